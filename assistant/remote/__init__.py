"""Bring your own model: OpenAI-compatible picture-model servers (Ollama, llama.cpp, vLLM,
LM Studio) and cloud providers the user agreed to.

    from assistant.remote import RemoteSettings, list_providers, get_provider, test_connection
    from assistant.vision.remote import remote_backend

Keys: secrets.py (system keyring only). Consent and the source marker: consent.py. Errors: every
failure is an assistant.errors.RemoteUnavailable with a plain sentence and a `reason`.
This package imports quickly: the `openai` client (most of a second to import) loads only when a
server is contacted.
"""

from typing import Any

from .consent import (
    ConsentStore,
    can_be_marked_local,
    check_consent,
    consent_question,
    is_trusted_local,
    needs_consent,
    source_marker,
)
from .images import PreparedImage, prepare_image
from .providers import Provider, get_provider, host_scope, list_providers, load_presets
from .secrets import KeyringUnavailable, delete_api_key, env_var_for, get_api_key, key_source, set_api_key
from .settings import RemoteSettings


def __getattr__(name: str) -> Any:
    if name in ("ConnectionReport", "test_connection"):
        from . import check

        return getattr(check, name)
    raise AttributeError(name)


__all__ = [
    "ConnectionReport",
    "ConsentStore",
    "KeyringUnavailable",
    "PreparedImage",
    "Provider",
    "RemoteSettings",
    "can_be_marked_local",
    "check_consent",
    "consent_question",
    "delete_api_key",
    "env_var_for",
    "get_api_key",
    "get_provider",
    "host_scope",
    "is_trusted_local",
    "key_source",
    "list_providers",
    "load_presets",
    "needs_consent",
    "prepare_image",
    "set_api_key",
    "source_marker",
    "test_connection",
]
