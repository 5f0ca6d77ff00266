"""Speak engine events as they arrive: the bridge between Engine.run() and TextToSpeech.

    sink = SpeechSink.create(settings)         # or SpeechSink(existing_tts) in the desktop app
    for event in engine.run(request):
        sink.feed(event)
    sink.finish()                              # wait until the last sentence has been spoken

TextChunk pieces go through the sentence chunker, so the first sentence is spoken while the
model is still generating. A Result whose text was not streamed (a clarification, a blank-image
notice) is spoken whole; an ErrorEvent's message is spoken; Progress events are not spoken.
"""

from __future__ import annotations

from ..events import ErrorEvent, Event, Result, TextChunk
from .chunker import SentenceChunker
from .tts import TextToSpeech


class SpeechSink:
    def __init__(self, tts: TextToSpeech, owns_tts: bool = False):
        self.tts = tts
        self._owns_tts = owns_tts
        self._chunker = SentenceChunker()
        self._streamed = False

    @classmethod
    def create(cls, settings, **tts_kwargs) -> SpeechSink:
        """A sink with its own TextToSpeech built from settings.speech. Without a speech engine
        or sound device it says so once and stays silent (text-only), never raising."""
        tts = TextToSpeech.from_settings(settings.speech, **tts_kwargs)
        if tts.problem:
            tts._notice(tts.problem)
        return cls(tts, owns_tts=True)

    def feed(self, event: Event) -> None:
        if isinstance(event, TextChunk):
            self._streamed = True
            self._say(self._chunker.feed(event.text))
        elif isinstance(event, Result):
            self._say(self._chunker.flush())
            if not self._streamed and event.text:
                self.tts.speak(event.text)
            self._streamed = False
        elif isinstance(event, ErrorEvent):
            self._say(self._chunker.flush())
            self.tts.speak(event.message)
            self._streamed = False

    def stop(self) -> None:
        """Silence now and forget any half-received sentence."""
        self._chunker.reset()
        self._streamed = False
        self.tts.stop()

    def finish(self, timeout: float | None = None) -> bool:
        """Speak what is left and wait until speech ends. False if `timeout` passed first."""
        self._say(self._chunker.flush())
        done = self.tts.wait(timeout)
        if self._owns_tts:
            self.tts.close()
        return done

    def _say(self, sentences: list[str]) -> None:
        for sentence in sentences:
            self.tts.speak(sentence)
