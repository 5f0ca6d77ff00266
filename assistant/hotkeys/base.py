"""What every hotkey backend offers the manager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .combo import Combo


class HotkeysUnavailable(Exception):
    """A backend cannot work here; the message is a plain sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Later news from a backend's thread: (sentence, whether hotkeys still work).
Notice = Callable[[str, bool], None]


def ignore_notice(sentence: str, active: bool) -> None:
    return None


@dataclass
class Registration:
    """What a backend managed: the actions it bound, and a sentence per combo it could not.
    `pending`: the outcome comes later through the backend's notice (the portal asks the
    desktop, which may ask the user), so nothing waits for it on the caller's thread."""

    bound: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    pending: bool = False


class HotkeyBackend(Protocol):
    name: str  # said to the user: "X11 key grabs", "the desktop's global shortcuts portal"
    notice: Notice  # set by the manager before start()

    def start(self, combos: dict[str, Combo], callback: Callable[[str], None]) -> Registration:
        """Bind the combos, quickly (it runs on the caller's thread, maybe the GUI's);
        `callback(action)` runs on the backend's own thread. Raises HotkeysUnavailable when
        nothing can be bound here at all."""
        ...

    def stop(self) -> None: ...
