"""Microphone capture with sounddevice (PortAudio; Debian package libportaudio2), 16 kHz mono.

Two ways to end a recording:
- push-to-talk: `rec = Recorder(); rec.start(); …; audio = rec.stop()`
- automatic end of speech: `record_utterance()` stops after the speaker falls silent, judged by
  the silero VAD bundled with faster-whisper (default) or by energy.

End-of-speech detectors take blocks of 16 kHz float32 samples, so they work the same on a live
microphone and on a recording (which is how they are tested on a machine without a microphone).
No microphone gives ModelUnavailable with a plain sentence.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from ..errors import ModelUnavailable
from ..logs import get_logger
from ..platforms.openmp import prepare_ctranslate2
from .stt import SAMPLE_RATE, resample

log = get_logger(__name__)

NO_MICROPHONE = "No microphone was found. Connect one, or check that it is not disabled, then try again."


def microphone_problem() -> str | None:
    """A spoken-ready sentence if no microphone can be used, else None."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        return "The microphone cannot be used because the PortAudio library is missing."
    try:
        device = sd.query_devices(kind="input")
    except Exception:
        log.info("no input device", exc_info=True)
        return NO_MICROPHONE
    if not device or int(device.get("max_input_channels", 0)) < 1:
        return NO_MICROPHONE
    return None


# ---- end-of-speech detection ----------------------------------------------------------------
class _Endpointer:
    """The utterance ends after `silence_ms` of quiet once speech has lasted `min_speech_ms`;
    subclasses decide, stretch by stretch, what counts as speech."""

    def __init__(self, silence_ms: int, min_speech_ms: int):
        self.silence_ms, self.min_speech_ms = silence_ms, min_speech_ms
        self.speech_ms = 0.0
        self.quiet_ms = 0.0

    @property
    def heard_speech(self) -> bool:
        return self.speech_ms >= self.min_speech_ms

    def _count(self, ms: float, speech: bool) -> bool:
        """Account `ms` of audio; True once the utterance has ended."""
        if speech:
            self.speech_ms += ms
            self.quiet_ms = 0.0
        elif self.speech_ms > 0:
            self.quiet_ms += ms
        return self.heard_speech and self.quiet_ms >= self.silence_ms


class EnergyEndpointer(_Endpointer):
    """Speech = blocks well above the noise floor. The floor adapts to the room from the
    quietest recent blocks."""

    def __init__(self, silence_ms: int = 700, min_speech_ms: int = 200, ratio: float = 4.0, min_level: float = 0.004):
        super().__init__(silence_ms, min_speech_ms)
        self.ratio, self.min_level = ratio, min_level
        self.floor: float | None = None

    def feed(self, block: np.ndarray) -> bool:
        """True once the utterance has ended."""
        level = float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))) if len(block) else 0.0
        ms = 1000.0 * len(block) / SAMPLE_RATE
        floor = level if self.floor is None else self.floor
        speech = level > max(self.min_level, self.ratio * floor)
        if speech:
            floor *= 1.002  # creep up slowly, in case the "speech" is a new steady noise
        else:
            floor = 0.9 * floor + 0.1 * level  # the room's noise, learnt between words
        self.floor = floor
        return self._count(ms, speech)


class SileroEndpointer(_Endpointer):
    """The silero VAD (ONNX, shipped with faster-whisper) scores each 32 ms frame."""

    FRAME = 512

    def __init__(self, silence_ms: int = 700, min_speech_ms: int = 200, threshold: float = 0.5):
        prepare_ctranslate2()  # faster_whisper's package import loads ctranslate2 (Windows: one OpenMP)
        from faster_whisper.vad import get_vad_model

        super().__init__(silence_ms, min_speech_ms)
        self.model = get_vad_model()
        self.threshold = threshold
        self._pending = np.zeros(0, np.float32)
        self._previous = np.zeros(self.FRAME, np.float32)  # context for the first new frame

    def feed(self, block: np.ndarray) -> bool:
        self._pending = np.concatenate([self._pending, block.astype(np.float32)])
        whole = len(self._pending) // self.FRAME * self.FRAME
        if whole == 0:
            return False
        frames, self._pending = self._pending[:whole], self._pending[whole:]
        # one earlier frame goes in front so the model has its context; its score is dropped
        probs = self.model(np.concatenate([self._previous, frames])).reshape(-1)[1:]
        self._previous = frames[-self.FRAME :]
        frame_ms = 1000.0 * self.FRAME / SAMPLE_RATE
        ended = False
        for p in probs:
            ended = self._count(frame_ms, p >= self.threshold)
        return ended


def make_endpointer(kind: str = "silero", silence_ms: int = 700):
    if kind == "energy":
        return EnergyEndpointer(silence_ms=silence_ms)
    try:
        return SileroEndpointer(silence_ms=silence_ms)
    except Exception:  # onnxruntime missing or the model file gone: energy still works
        log.warning("silero end-of-speech detector unavailable; using energy", exc_info=True)
        return EnergyEndpointer(silence_ms=silence_ms)


# ---- capture ----------------------------------------------------------------------------------
class Recorder:
    """Push-to-talk: start() opens the microphone, stop() returns 16 kHz mono float32 samples.
    on_block(samples) is called from the audio thread for level meters or end-of-speech checks."""

    def __init__(self, on_block: Callable[[np.ndarray], None] | None = None, max_seconds: float = 60.0):
        self.on_block = on_block
        self.max_seconds = max_seconds
        self._blocks: queue.Queue[np.ndarray] = queue.Queue()
        self._stream = None
        self._rate = SAMPLE_RATE
        self._frames = 0

    @property
    def recording(self) -> bool:
        return self._stream is not None

    def start(self) -> None:
        if self._stream is not None:
            return
        if problem := microphone_problem():
            raise ModelUnavailable(problem)
        import sounddevice as sd

        try:
            stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", callback=self._callback)
        except Exception:  # some devices refuse 16 kHz: record at their own rate and resample
            log.info("16 kHz input refused; trying the device rate", exc_info=True)
            try:
                rate = int(sd.query_devices(kind="input")["default_samplerate"])
                stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32", callback=self._callback)
            except Exception:
                log.exception("opening the microphone failed")
                raise ModelUnavailable(
                    "The microphone could not be opened. Check that it is connected and not used by another program."
                ) from None
        self._rate = int(stream.samplerate)
        self._frames = 0
        stream.start()
        self._stream = stream

    def stop(self) -> np.ndarray:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        blocks = []
        while not self._blocks.empty():
            blocks.append(self._blocks.get_nowait())
        audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
        return resample(audio, self._rate, SAMPLE_RATE)

    def _callback(self, indata, frames, time_info, status) -> None:
        block = indata[:, 0].copy()
        if self._frames / self._rate >= self.max_seconds:
            return
        self._frames += len(block)
        self._blocks.put(block)
        if self.on_block:
            self.on_block(resample(block, self._rate, SAMPLE_RATE))


def record_utterance(
    max_seconds: float = 15.0,
    endpointer: str = "silero",
    silence_ms: int = 700,
    no_speech_timeout: float = 8.0,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """Record one spoken command and stop on its own when the speaker falls silent."""
    detector = make_endpointer(endpointer, silence_ms)
    ended = threading.Event()
    lock = threading.Lock()

    def on_block(block: np.ndarray) -> None:
        with lock:
            if detector.feed(block):
                ended.set()

    recorder = Recorder(on_block=on_block, max_seconds=max_seconds)
    recorder.start()
    t0 = time.monotonic()
    try:
        while not ended.wait(0.05):
            elapsed = time.monotonic() - t0
            if (cancel is not None and cancel.is_set()) or elapsed >= max_seconds:
                break
            if elapsed >= no_speech_timeout and not detector.heard_speech:
                break
    finally:
        audio = recorder.stop()
    return audio
