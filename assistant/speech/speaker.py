"""The controller's speech: one-off sentences and streamed answers, over the TTS worker and
the sentence sink. It accepts only gated text (SafeText).

If speech cannot start (no engine, no audio device, module missing), the app keeps working
text-only and says why once, in the status line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import Result, SafeText, TextChunk
from ..logs import get_logger
from ..safety import trusted

log = get_logger(__name__)


class Speaker:
    def __init__(self, settings, on_queued: Callable[[str, str], None] | None = None):
        self.settings = settings
        self.available = False
        self.reason = ""
        self._tts: Any = None
        self._sink: Any = None
        self._stream_started = False
        # Called as on_queued(text, kind) when text is handed to speech; kind is "answer" for
        # the first piece of a streamed answer, "say" for announcements.
        self.on_queued = on_queued
        if not settings.speech.enabled:
            self.reason = "Speech is turned off in the settings."
            return
        try:
            from .tts import TextToSpeech

            # The TTS worker starts its engine on its own thread; problems arrive via notice.
            self._tts = TextToSpeech.from_settings(settings.speech, notice=self._on_notice)
            self.available = True
        except Exception as exc:  # ImportError, no speech engine...
            log.exception("speech output failed")
            self.reason = _reason(exc)

    def _on_notice(self, message: str) -> None:
        self.reason = message

    def problem(self) -> str | None:
        """Why speech cannot be heard (blocks until the TTS worker has started: call it off the
        GUI thread); None when it works."""
        if self._tts is None:
            return self.reason or None
        try:
            return self._tts.problem
        except Exception as exc:
            log.exception("speech output failed")
            return _reason(exc)

    # ---- one-off sentences (announcements) ----------------------------------------------
    def say(self, text: SafeText, interrupt: bool = False) -> None:
        self._queued(text, "say")
        if self._tts is not None:
            try:
                self._tts.speak(text, interrupt=interrupt)
            except Exception as exc:
                log.exception("speech output failed")
                self._fail(exc)

    def stop(self) -> None:
        self._sink = None
        if self._tts is not None:
            try:
                self._tts.stop()
            except Exception as exc:
                log.exception("speech output failed")
                self._fail(exc)

    @property
    def is_speaking(self) -> bool:
        return bool(self._tts is not None and getattr(self._tts, "is_speaking", False))

    # ---- streamed answers ---------------------------------------------------------------
    def begin(self) -> None:
        """A new answer starts: stop what was being said and open a sentence sink."""
        self.stop()
        self._stream_started = False
        if self._tts is None:
            return
        try:
            from .sink import SpeechSink

            self._sink = SpeechSink(self._tts)  # shares our TTS worker; never closes it
        except Exception as exc:
            log.exception("speech output failed")
            self._fail(exc)

    def feed(self, text: SafeText) -> None:
        """One streamed piece of an answer."""
        if text and not self._stream_started:
            self._stream_started = True
            self._queued(text, "answer")
        if self._sink is not None:
            try:
                self._sink.feed(TextChunk(text))
            except Exception as exc:
                log.exception("speech output failed")
                self._fail(exc)

    def finish(self) -> None:
        """Speak the half-finished last sentence. Not sink.finish(): that waits for speech to
        end, which would freeze the GUI; an empty Result only flushes the chunker."""
        if self._sink is not None:
            try:
                self._sink.feed(Result(intent="", text=trusted("")))
            except Exception as exc:
                log.exception("speech output failed")
                self._fail(exc)
        self._sink = None

    def set_settings(self, settings) -> None:
        self.settings = settings
        if self._tts is not None:
            for name in ("rate", "volume", "voice"):
                value = getattr(settings.speech, name)
                try:
                    if hasattr(self._tts, f"set_{name}"):
                        getattr(self._tts, f"set_{name}")(value)
                    elif hasattr(self._tts, name):
                        setattr(self._tts, name, value)
                except Exception as exc:
                    log.exception("speech output failed")
                    self._fail(exc)

    def voices(self) -> list[tuple[str, str]]:
        """(id, name) pairs; empty if speech is unavailable."""
        if self._tts is None or not hasattr(self._tts, "voices"):
            return []
        try:
            out = []
            for voice in self._tts.voices():
                if isinstance(voice, (tuple, list)):
                    out.append((str(voice[0]), str(voice[1])))
                else:
                    out.append((str(getattr(voice, "id", voice)), str(getattr(voice, "name", voice))))
            return out
        except Exception:
            log.exception("listing voices failed")
            return []

    def close(self) -> None:
        self.stop()
        if self._tts is not None and hasattr(self._tts, "close"):
            try:
                self._tts.close()
            except Exception:
                log.exception("closing speech failed")

    # ---- internals ----------------------------------------------------------------------
    def _queued(self, text: str, kind: str) -> None:
        if self.on_queued is not None:
            self.on_queued(text, kind)

    def _fail(self, exc: Exception) -> None:
        self.available = False
        self.reason = _reason(exc)
        self._tts = None
        self._sink = None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return "Speech output is not installed, so answers are shown as text only."
    return "Speech output could not start, so answers are shown as text only."
