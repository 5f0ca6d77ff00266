"""Privacy rules for remote servers, without Qt: who must be asked before a picture leaves,
the question, the remembered answer, and the marker every remote answer carries.

Local stays the default. A provider counts as local only when the user has said so
(RemoteSettings.trusted_local) AND its address is loopback or on a private network: a server on
this machine may still forward pictures to the internet, so the app never decides that alone.
Everything else asks once per server address (scheme, host and port), and the answer is kept in
remote-consent.toml beside the settings.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import tomli_w

from ..config import config_dir
from ..errors import RemoteUnavailable
from ..logs import get_logger
from .providers import Provider, host_scope
from .settings import RemoteSettings

log = get_logger(__name__)

CONSENT_FILE = "remote-consent.toml"
ALLOWED, DENIED, UNKNOWN = "allowed", "denied", "unknown"


def consent_path() -> Path:
    return config_dir() / CONSENT_FILE


class ConsentStore:
    """The user's answers, by server origin. Looks at the file on every call so two processes
    (the app and the CLI) see each other's answers, but reads it again only when it changed:
    every write replaces the file (a new inode), and its inode, size and change times are
    compared (one stat, instead of a read and a TOML parse before each request)."""

    def __init__(self, path: Path | None = None):
        self.path = path or consent_path()
        self._lock = threading.Lock()
        self._seen: tuple[tuple[int, int, int, int], dict] | None = None  # (file signature, its servers)

    def state(self, provider: Provider) -> str:
        entry = self._read().get(provider.origin)
        if not isinstance(entry, dict):
            return UNKNOWN
        return ALLOWED if entry.get("allowed") is True else DENIED

    def record(self, provider: Provider, allowed: bool) -> None:
        with self._lock:
            data = self._read()
            data[provider.origin] = {
                "allowed": bool(allowed),
                "provider": provider.name,
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            self._write(data)

    def forget(self, provider: Provider) -> None:
        with self._lock:
            data = self._read()
            if data.pop(provider.origin, None) is not None:
                self._write(data)

    def _read(self) -> dict:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        except OSError:
            log.warning("the consent file %s could not be read; asking again", self.path)
            return {}
        signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        seen = self._seen
        if seen is not None and seen[0] == signature:
            return dict(seen[1])
        try:  # read after the stat: a file replaced in between is newer than its signature, and read again next time
            servers = dict(tomllib.loads(self.path.read_text(encoding="utf-8")).get("servers", {}))
        except FileNotFoundError:
            return {}
        except (OSError, tomllib.TOMLDecodeError):
            log.warning("the consent file %s could not be read; asking again", self.path)
            return {}
        self._seen = (signature, servers)
        return dict(servers)

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps({"servers": data}), encoding="utf-8")
        os.replace(tmp, self.path)
        self._seen = None


def is_trusted_local(
    provider: Provider, settings: RemoteSettings, resolve: Callable[[str], list[str]] | None = None
) -> bool:
    """True when the user marked this provider local and its address really is loopback/private."""
    if provider.name not in (settings.trusted_local or []):
        return False
    return host_scope(provider.hostname, resolve) in ("loopback", "private")


def can_be_marked_local(provider: Provider, resolve: Callable[[str], list[str]] | None = None) -> bool:
    """Whether Settings may offer "this server runs on my own computer or network"."""
    return bool(provider.hostname) and host_scope(provider.hostname, resolve) in ("loopback", "private")


def needs_consent(
    provider: Provider,
    settings: RemoteSettings | None = None,
    store: ConsentStore | None = None,
    resolve: Callable[[str], list[str]] | None = None,
) -> bool:
    """True when the user must be asked (consent_question) before a picture goes to `provider`."""
    settings = settings or RemoteSettings()
    if is_trusted_local(provider, settings, resolve):
        return False
    return (store or ConsentStore()).state(provider) != ALLOWED


def consent_question(provider: Provider) -> str:
    """The question asked once, in plain spoken words."""
    return f"Pictures you describe will be sent to {provider.host}. Continue?"


def check_consent(
    provider: Provider,
    settings: RemoteSettings | None = None,
    store: ConsentStore | None = None,
    resolve: Callable[[str], list[str]] | None = None,
) -> None:
    """Raise RemoteUnavailable(reason="consent") unless a picture may go to `provider`."""
    store = store or ConsentStore()
    if not needs_consent(provider, settings, store, resolve):
        return
    if store.state(provider) == DENIED:
        message = (
            f"You chose not to send pictures to {provider.host}. To use {provider.label}, "
            "allow it in Settings, or choose a local model."
        )
    else:
        message = f"Pictures would be sent to {provider.host}, and you have not agreed to that yet."
    raise RemoteUnavailable(message, reason="consent", provider=provider.name, host=provider.host)


def source_marker(provider: Provider, settings: RemoteSettings | None = None) -> str:
    """The short note every remote answer carries, e.g. "(from OpenAI)"; "" when turned off."""
    settings = settings or RemoteSettings()
    if not settings.show_source:
        return ""
    label = provider.label if provider.name != "custom" or not provider.hostname else provider.host
    return f"(from {label})"
