"""When a remote server cannot answer, may the local model answer instead? (the engine's rule)"""

from __future__ import annotations

from ..errors import RemoteUnavailable
from .settings import RemoteSettings


def should_fall_back(error: BaseException, settings: RemoteSettings, answered: bool) -> bool:
    """True when the local model should answer instead: the user allowed it (fallback_to_local),
    the failure is the server's (not the user's Stop, which is Cancelled, not RemoteUnavailable),
    and nothing of the remote answer has been shown or spoken yet (a half answer followed by a
    different whole one would confuse; the engine reports the cut instead)."""
    return (
        isinstance(error, RemoteUnavailable)
        and settings.fallback_to_local
        and error.fallback_ok
        and not error.partial
        and not answered
    )


def fallback_notice(error: RemoteUnavailable) -> str:
    """The sentence said before the local answer, e.g. "Nothing is answering at localhost:11434.
    Is Ollama running? Answering with the local model instead." (an app sentence: trusted)."""
    return f"{error.message} Answering with the local model instead."
