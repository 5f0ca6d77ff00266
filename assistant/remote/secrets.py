"""API keys: kept only in the system keyring (Secret Service, KWallet, macOS Keychain, Windows
Credential Locker), never in settings, logs, history or messages.

Where no keyring exists (a headless Linux box), storing a key fails with a plain sentence. The
alternative is an environment variable set for the session only, SCREEN_ASSISTANT_API_KEY_<NAME>
(e.g. SCREEN_ASSISTANT_API_KEY_OPENAI), filled from a password manager rather than typed into a
shell start-up file: the app reads it and never writes it anywhere. A provider's conventional
variable (OPENAI_API_KEY, GEMINI_API_KEY) is honoured too, for that provider only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..errors import ModelUnavailable
from ..logs import get_logger
from .providers import Provider

log = get_logger(__name__)

SERVICE = "screen-assistant"  # the keyring "service"; the provider name is the "user name"
ENV_PREFIX = "SCREEN_ASSISTANT_API_KEY_"
HIDDEN = "[key hidden]"


class KeyringUnavailable(ModelUnavailable):
    """No usable system keyring: the key cannot be stored safely."""


def env_var_for(provider_name: str) -> str:
    """SCREEN_ASSISTANT_API_KEY_<NAME>, NAME upper-cased with other characters as underscores."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]+", "_", provider_name.upper()).strip("_")


def get_api_key(provider: Provider) -> str | None:
    """The key for `provider`: the session variable, else the keyring, else its conventional variable."""
    return _lookup(provider)[0]


def key_source(provider: Provider) -> str:
    """Where the key would come from: "environment", "keyring", "none" (no key found),
    "not needed", or "keyring unavailable" (no key found and no keyring to hold one)."""
    if provider.key == "none":
        return "not needed"
    return _lookup(provider)[1]


def set_api_key(provider_name: str, key: str) -> None:
    """Store a key in the keyring. Raises KeyringUnavailable (plain sentence) where there is none."""
    key = key.strip()
    if not key:
        raise ValueError("empty key")
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, provider_name, key)
    except Exception as exc:  # noqa: BLE001 - logged by _unavailable without the traceback, which may hold the key
        raise _unavailable(provider_name, exc) from None


def delete_api_key(provider_name: str) -> bool:
    """Remove a stored key; False if there was none."""
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, provider_name)
        return True
    except Exception as exc:  # noqa: BLE001 - logged by _unavailable (by kind only, as above)
        if _is_missing(exc):
            return False
        raise _unavailable(provider_name, exc) from None


def keyring_available() -> bool:
    try:
        from keyring.backends import fail

        return not isinstance(_keyring().get_keyring(), fail.Keyring)
    except Exception:
        log.exception("checking for a system keyring")
        return False


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret (and of its tail, which some servers quote)
    replaced by "[key hidden]"."""
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        text = text.replace(secret, HIDDEN)
        if len(secret) >= 12:
            text = text.replace(secret[-8:], HIDDEN)  # "sk-...abcd1234" style partial echoes
    return re.sub(r"(?i)(bearer\s+)\S+", r"\1" + HIDDEN, text)


# ---- internals -----------------------------------------------------------------------------------
def _lookup(provider: Provider) -> tuple[str | None, str]:
    session = os.environ.get(env_var_for(provider.name), "").strip()
    if session:
        return session, "environment"
    stored, available = _from_keyring(provider.name)
    if stored:
        return stored, "keyring"
    conventional = os.environ.get(provider.key_env, "").strip() if provider.key_env else ""
    if conventional:
        return conventional, "environment"
    return None, "none" if available else "keyring unavailable"


def _from_keyring(name: str) -> tuple[str | None, bool]:
    """(key or None, whether a keyring answered)."""
    try:
        keyring = _keyring()
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:
        return None, False
    try:
        return keyring.get_password(SERVICE, name) or None, True
    except NoKeyringError:
        return None, False
    except KeyringError:
        log.warning("the system keyring could not be read (locked or refused)")
        return None, False
    except Exception:
        log.exception("reading an API key from the keyring")
        return None, False


def _keyring():
    import keyring

    return keyring


def _is_missing(exc: Exception) -> bool:
    try:
        from keyring.errors import PasswordDeleteError
    except ImportError:
        return False
    return isinstance(exc, PasswordDeleteError)


def _unavailable(provider_name: str, exc: Exception) -> KeyringUnavailable:
    log.warning("the keyring refused to store or delete a key (%s)", type(exc).__name__)
    return KeyringUnavailable(
        "There is no working system keyring on this computer, so the API key cannot be stored safely. "
        "Unlock or install one (GNOME Keyring, KWallet or KeePassXC), or set the environment variable "
        f"{env_var_for(provider_name)} for this session, filled from your password manager."
    )
