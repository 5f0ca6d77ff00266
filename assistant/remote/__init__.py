"""Bring your own model: OpenAI-compatible picture-model servers (Ollama, llama.cpp, vLLM,
LM Studio) and cloud providers the user agreed to.

    from assistant.remote import RemoteSettings, list_providers, get_provider, test_connection
    from assistant.vision.remote import remote_backend

Keys: secrets.py (system keyring only). Consent and the source marker: consent.py. Errors: every
failure is an assistant.errors.RemoteUnavailable with a plain sentence and a `reason`.
This package imports quickly: the `openai` client (most of a second to import) loads only when a
server is contacted.
"""

from importlib import import_module
from typing import Any

# name -> submodule. Nothing is imported until used: config.py reads RemoteSettings from
# settings.py, and consent.py reads config (an eager import here would make a circle).
_WHERE = {
    "ConsentStore": "consent",
    "can_be_marked_local": "consent",
    "check_consent": "consent",
    "consent_question": "consent",
    "is_trusted_local": "consent",
    "needs_consent": "consent",
    "source_marker": "consent",
    "PreparedImage": "images",
    "prepare_image": "images",
    "Provider": "providers",
    "get_provider": "providers",
    "host_scope": "providers",
    "list_providers": "providers",
    "load_presets": "providers",
    "KeyringUnavailable": "secrets",
    "delete_api_key": "secrets",
    "env_var_for": "secrets",
    "get_api_key": "secrets",
    "key_source": "secrets",
    "set_api_key": "secrets",
    "RemoteSettings": "settings",
    "ConnectionReport": "check",
    "test_connection": "check",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
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
