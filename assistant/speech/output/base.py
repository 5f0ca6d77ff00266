"""What every speech output is: the protocol, the three priorities, and the small shared pieces.

An output is one way of getting gated text to the user: the user's screen reader (speech-dispatcher
on Linux, NVDA or JAWS on Windows, VoiceOver on macOS), the app's own voice, or a braille display.
Outputs accept only SafeText (mypy enforces it: a plain str is rejected), so nothing that skipped
the safety gate can be spoken. Every call may block for a short while (a socket or COM round
trip): the Speaker calls them from its own threads, never from the GUI thread.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ...events import SafeText
from ...safety import MASK
from ..tts import speakable

__all__ = ["CallbackOutput", "OutputFailed", "Priority", "SpeechOutput", "brailleable", "speakable"]


class Priority(enum.Enum):
    """How a message relates to what is being said.

    INTERRUPT: the user asked for this now (an answer, Stop's own confirmation): silence what this
               app was saying, then speak. A screen reader's own speech is left alone where the
               output can tell the two apart (speech-dispatcher can; NVDA cannot).
    QUEUE:     after what is already queued, in order (the sentences of a streamed answer).
    POLITE:    a status change ("Working…"): said only when nothing else is, may be dropped.
    """

    INTERRUPT = "interrupt"
    QUEUE = "queue"
    POLITE = "polite"

    @classmethod
    def of(cls, value: Priority | str) -> Priority:
        return value if isinstance(value, Priority) else cls(str(value).lower())


class OutputFailed(RuntimeError):
    """An output could not take a message; `str()` is a plain sentence for the user."""


@runtime_checkable
class SpeechOutput(Protocol):
    """One route to the user's ears (and fingers).

    name:      short, shown to the user ("NVDA", "speech-dispatcher", "own voice").
    available: True when speak() is expected to be heard.
    problem:   why not, as a plain sentence (None when available).
    has_braille: True when braille() reaches a braille display.
    """

    name: str
    has_braille: bool

    @property
    def available(self) -> bool: ...

    @property
    def problem(self) -> str | None: ...

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        """Hand `text` over; raise OutputFailed (or any error) when it could not be."""

    def stop(self) -> None:
        """Silence what this app asked this output to say, now."""

    def braille(self, text: SafeText) -> None:
        """Show `text` on the braille display (a no-op where the output has none)."""

    def close(self) -> None: ...


def brailleable(text: str) -> str:
    """Text for a braille display: one line, masked words as the same short word speech uses."""
    return speakable(text) if MASK in (text or "") else " ".join((text or "").split())


class CallbackOutput:
    """An output made of callables: the GUI's hook for AT-SPI / UIA announcements
    (QAccessibleAnnouncementEvent), which must stay in the Qt layer.

    `announce(text, priority)` is called from a Speaker thread, so the GUI must hand it to the GUI
    thread (a queued signal). By default only POLITE messages go there: answers already reach the
    screen reader through its own output, and a second copy would be spoken twice."""

    has_braille = False

    def __init__(
        self,
        name: str,
        announce: Callable[[SafeText, Priority], None],
        stop: Callable[[], None] | None = None,
        priorities: frozenset[Priority] = frozenset({Priority.POLITE}),
    ):
        self.name = name
        self._announce = announce
        self._stop = stop
        self.priorities = priorities

    @property
    def available(self) -> bool:
        return True

    @property
    def problem(self) -> str | None:
        return None

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        if priority in self.priorities:
            self._announce(text, priority)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()

    def braille(self, text: SafeText) -> None:
        return None

    def close(self) -> None:
        return None
