"""Errors the user hears about. Every one carries a plain sentence and an exit code."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: `message` is a complete sentence fit to be spoken."""

    kind = "internal"
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(AssistantError):
    """The user's input (file, audio, instruction) cannot be used."""

    kind = "bad_input"
    exit_code = 2


class ModelUnavailable(AssistantError):
    """A model or resource is not installed or cannot be loaded."""

    kind = "unavailable"
    exit_code = 3

    def __init__(self, message: str, preset: str | None = None):
        super().__init__(message)
        self.preset = preset


class Blocked(AssistantError):
    """The safety gate withheld an output or refused a request."""

    kind = "blocked"
    exit_code = 4


class Cancelled(AssistantError):
    """The user cancelled a long step."""

    kind = "cancelled"
    exit_code = 130


# Exit codes shared by every command line entry.
EXIT_OK, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 2, 3


class RemoteUnavailable(ModelUnavailable):
    """A picture-model server (Ollama, vLLM, a cloud provider...) could not answer.

    `reason` names what went wrong in one word ("refused", "dns", "tls", "timeout", "auth",
    "model_missing", "too_large", "rate_limited", "server", "no_vision", "stream_cut", "consent",
    "no_key", ...), for tests and the engine's fallback rule. `fallback_ok` says whether answering
    with the local model instead makes sense (true unless the user stopped it). `partial` is true
    when part of the answer had already streamed. `retry_after` is in seconds when the server said.
    The message never contains an API key."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        provider: str = "",
        host: str = "",
        fallback_ok: bool = True,
        partial: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        super().__init__(message, preset=provider or None)
        self.reason = reason
        self.provider = provider
        self.host = host
        self.fallback_ok = fallback_ok
        self.partial = partial
        self.retry_after = retry_after
        self.status = status
