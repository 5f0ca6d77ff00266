"""The app's own voice (pyttsx3: espeak-ng, SAPI5, NSSpeechSynthesizer) as one more output."""

from __future__ import annotations

from ...events import SafeText
from ..tts import TextToSpeech
from .base import OutputFailed, Priority


class OwnVoiceOutput:
    """INTERRUPT silences what the voice was saying first; POLITE is said only when the voice is
    idle (like speech-dispatcher's "notification", a status never talks over an answer)."""

    name = "own voice"
    has_braille = False

    def __init__(self, tts: TextToSpeech, owns_tts: bool = True):
        self.tts = tts
        self._owns_tts = owns_tts

    @property
    def available(self) -> bool:
        return self.tts.can_speak

    @property
    def problem(self) -> str | None:
        return self.tts.problem

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        if not self.tts.can_speak:
            raise OutputFailed(self.tts.problem or "The app's own voice is not available.")
        if priority is Priority.POLITE and self.tts.is_speaking:
            return
        self.tts.speak(text, interrupt=priority is Priority.INTERRUPT)

    def stop(self) -> None:
        self.tts.stop()

    def braille(self, text: SafeText) -> None:
        return None

    def wait(self, timeout: float | None = None) -> bool:
        return self.tts.wait(timeout)

    def close(self) -> None:
        if self._owns_tts:
            self.tts.close()
        else:
            self.tts.stop()
