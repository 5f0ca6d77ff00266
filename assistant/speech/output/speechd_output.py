"""Linux: speak through speech-dispatcher, the service Orca itself speaks through.

The client is speech-dispatcher's own Python binding (`speechd`, Debian python3-speechd), loaded
from the system's packages (see system_modules): it is maintained with the server, in its source
tree, and every distribution ships the pair together, so the client always matches the server.

Priorities (SSIP's model; Orca speaks everything at "message" and interrupts itself with CANCEL
on its own connection only):
  INTERRUPT -> CANCEL self, then "message": our previous answer stops, Orca's speech is untouched.
  QUEUE     -> "message": queued in order behind Orca's messages and ours; never cuts Orca off.
               ("text" would be wrong: text interrupts itself, so of a streamed answer only the
               last sentence would be said; "important" would cut Orca off and block it.)
  POLITE    -> "notification": said only when nothing else is; anything newer cancels it.
The server keeps speaking what it was handed after the connection closes, so the CLI need not
wait for the end of speech before it exits (tests/speech/test_speechd_output.py checks this).
"""

from __future__ import annotations

import getpass
import threading
from typing import Any

from ...events import SafeText
from ...logs import get_logger
from .base import OutputFailed, Priority, speakable
from .system_modules import import_system_module

log = get_logger(__name__)

CLIENT_NAME = "screen-assistant"
SSIP_PRIORITY = {Priority.INTERRUPT: "message", Priority.QUEUE: "message", Priority.POLITE: "notification"}
NOT_INSTALLED = (
    "Speech through the screen reader needs speech-dispatcher's Python client "
    "(on Debian or Ubuntu: sudo apt install speech-dispatcher python3-speechd)."
)
NOT_RUNNING = "speech-dispatcher, which the screen reader speaks through, is not running."


def load_speechd() -> Any | None:
    return import_system_module("speechd")


class SpeechDispatcherOutput:
    """One SSIP connection named "screen-assistant". Thread-safe: the client library sends a
    command and then waits for its reply, so two threads must never interleave commands."""

    name = "speech-dispatcher"
    has_braille = False

    def __init__(self, autospawn: bool = False, address: str | None = None, component: str = "answers"):
        self.autospawn = autospawn
        self.address = address  # None: the client's default ($SPEECHD_ADDRESS or the user's socket)
        self.component = component
        self._lock = threading.RLock()
        self._client: Any = None
        self._priority: str | None = None
        self._problem: str | None = None

    # ---- availability ------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        try:
            self._connected()
        except OutputFailed:
            return False
        return True

    @property
    def problem(self) -> str | None:
        return None if self.available else self._problem

    # ---- speaking ---------------------------------------------------------------------------
    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        words = speakable(text)
        if not words:
            return
        with self._lock:
            client = self._connected()
            try:
                if priority is Priority.INTERRUPT:
                    client.cancel()
                self._set_priority(client, SSIP_PRIORITY[priority])
                client.speak(words)
            except Exception as exc:
                self._drop_connection()
                raise OutputFailed("speech-dispatcher stopped answering.") from exc

    def stop(self) -> None:
        with self._lock:
            if self._client is None:
                return
            try:
                self._client.cancel()  # scope self: only this app's messages
            except Exception as exc:
                self._drop_connection()
                raise OutputFailed("speech-dispatcher stopped answering.") from exc

    def braille(self, text: SafeText) -> None:
        return None

    def reconnect(self) -> None:
        """Drop the connection; the next call opens a new one (the retry after a failure)."""
        with self._lock:
            self._drop_connection()

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    # ---- internals ---------------------------------------------------------------------------
    def _connected(self) -> Any:
        with self._lock:
            if self._client is not None:
                return self._client
            speechd = load_speechd()
            if speechd is None:
                self._problem = NOT_INSTALLED
                raise OutputFailed(NOT_INSTALLED)
            try:
                self._client = speechd.SSIPClient(
                    CLIENT_NAME,
                    component=self.component,
                    user=_user(),
                    address=self.address,
                    autospawn=self.autospawn,
                )
            except Exception as exc:
                log.info("speech-dispatcher is not reachable", exc_info=True)
                self._problem = NOT_RUNNING
                raise OutputFailed(NOT_RUNNING) from exc
            self._priority = None
            self._problem = None
            return self._client

    def _set_priority(self, client: Any, priority: str) -> None:
        if priority != self._priority:
            client.set_priority(priority)
            self._priority = priority

    def _drop_connection(self) -> None:
        client, self._client = self._client, None
        self._priority = None
        if client is not None:
            try:
                client.close()
            except Exception:
                log.exception("closing the speech-dispatcher connection")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
