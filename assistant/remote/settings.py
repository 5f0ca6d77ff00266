"""Settings for the remote picture-model backend, to be wired into assistant/config.py as
`Settings.remote` (section [remote] in settings.toml).

Nothing secret lives here: API keys are only in the system keyring (see secrets.py). Provider
overrides that try to carry a key are dropped when read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..logs import get_logger

log = get_logger(__name__)

SECRET_FIELDS = {"api_key", "key_value", "token", "password", "secret", "authorization"}


@dataclass
class RemoteSettings:
    # Preset used by `--backend remote` when no --provider is given (see resources/providers.toml).
    provider: str = "ollama"
    # Model for that provider; "" keeps the preset's (or the server's first listed model).
    model: str = ""
    # Per-provider overrides, e.g. {"vllm": {"base_url": "http://gpu.office.lan:8000/v1"}},
    # and user-defined servers: {"office": {"label": "Office GPU", "base_url": "...", "model": "..."}}.
    providers: dict = field(default_factory=dict)
    # Providers the user has said run on their own computer or network: no consent question,
    # still only honoured for loopback or private-network addresses.
    trusted_local: list = field(default_factory=list)
    # Say where a remote answer came from, e.g. "(from OpenAI)".
    show_source: bool = True
    # When the server cannot answer (down, refused, no vision...), answer with the local model.
    fallback_to_local: bool = False
    # Seconds to wait for a connection; the read timeout comes from the provider preset
    # unless read_timeout is above zero.
    connect_timeout: float = 5.0
    read_timeout: float = 0.0
    # Answer lengths, in tokens.
    quick_tokens: int = 300
    full_tokens: int = 1000
    ask_tokens: int = 500

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> RemoteSettings:
        """Settings from a TOML section; unknown keys and key-like fields are ignored."""
        settings = cls()
        for key, value in (raw or {}).items():
            default = getattr(settings, key, None)
            if key not in _FIELDS:
                continue
            if isinstance(default, list) and isinstance(value, str):
                value = [value]  # trusted_local = "ollama" means ["ollama"], never a substring test
            if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, type(default)):
                if not (isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)):
                    log.warning("ignored the setting remote.%s: it should be a %s", key, type(default).__name__)
                    continue
            setattr(settings, key, value)
        settings.providers = _without_secrets(settings.providers)
        settings.trusted_local = [str(name) for name in settings.trusted_local]
        return settings

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["providers"] = _without_secrets(data["providers"])
        return data


_FIELDS = {f.name for f in dataclasses.fields(RemoteSettings)}


def _without_secrets(providers: Any) -> dict:
    if not isinstance(providers, dict):
        return {}
    clean: dict[str, dict] = {}
    for name, overrides in providers.items():
        if not isinstance(overrides, dict):
            continue
        dropped = sorted(k for k in overrides if str(k).lower() in SECRET_FIELDS)
        if dropped:
            # Names only: the value is a secret that must not reach the log either.
            log.warning("ignored %s in the settings of provider %s: keys belong in the keyring", dropped, name)
        clean[str(name)] = {k: v for k, v in overrides.items() if str(k).lower() not in SECRET_FIELDS}
    return clean
