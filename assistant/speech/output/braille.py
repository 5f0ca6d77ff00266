"""Linux braille through BrlAPI (brltty's client library; Debian python3-brlapi) when brltty runs.

A message takes the display for `hold_seconds` and is then handed back (leaveTtyMode), so the
screen reader's own braille (Orca also writes through BrlAPI) returns by itself. Only the first
display-full of a message is shown: BrlAPI leaves panning to the client, and reading keys is
the screen reader's business. Orca 49+ offers a D-Bus call that brailles through Orca itself
(its Remote Controller): the better route where it exists; not built here (Debian 12 ships Orca 43).
"""

from __future__ import annotations

import threading
from typing import Any

from ...events import SafeText
from ...logs import get_logger
from .base import OutputFailed, Priority, brailleable
from .system_modules import import_system_module

log = get_logger(__name__)


def load_brlapi() -> Any | None:
    return import_system_module("brlapi")


class BrlapiOutput:
    name = "braille display"
    has_braille = True

    def __init__(self, brlapi: Any = None, hold_seconds: float = 10.0):
        self._brlapi = brlapi
        self.hold_seconds = hold_seconds
        self._connection: Any = None
        self._in_tty = False
        self._timer: threading.Timer | None = None
        self._lock = threading.RLock()
        self._problem: str | None = None

    @property
    def available(self) -> bool:
        try:
            self._connect()
        except OutputFailed:
            return False
        return True

    @property
    def problem(self) -> str | None:
        return None if self.available else self._problem

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        return None  # a braille display does not speak; the Speaker sends it braille()

    def braille(self, text: SafeText) -> None:
        line = brailleable(text)
        if not line:
            return
        with self._lock:
            connection = self._connect()
            try:
                if not self._in_tty:
                    connection.enterTtyModeWithPath()
                    self._in_tty = True
                width, height = connection.displaySize
                connection.writeText(line[: max(1, width * max(1, height))])
            except Exception as exc:
                self._drop()
                raise OutputFailed("The braille display stopped answering.") from exc
            self._hold()

    def stop(self) -> None:
        self._release()

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ---- internals ---------------------------------------------------------------------------
    def _connect(self) -> Any:
        with self._lock:
            if self._connection is not None:
                return self._connection
            module = self._brlapi or load_brlapi()
            if module is None:
                self._problem = "Braille needs BrlAPI's Python module (sudo apt install python3-brlapi)."
                raise OutputFailed(self._problem)
            try:
                self._connection = module.Connection()
            except Exception as exc:
                log.info("brltty is not reachable", exc_info=True)
                self._problem = "No braille display: brltty is not running."
                raise OutputFailed(self._problem) from exc
            return self._connection

    def _hold(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.hold_seconds, self._release)
        self._timer.daemon = True
        self._timer.start()

    def _release(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._in_tty and self._connection is not None:
                try:
                    self._connection.leaveTtyMode()
                except Exception:
                    log.exception("handing the braille display back")
            self._in_tty = False

    def _drop(self) -> None:
        self._release()
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.closeConnection()
            except Exception:
                log.exception("closing the BrlAPI connection")
