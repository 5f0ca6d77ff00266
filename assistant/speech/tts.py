"""Speech output with pyttsx3 (espeak-ng on Linux, SAPI5 on Windows, NSSpeechSynthesizer on macOS).

pyttsx3 is not thread-safe and its run loop blocks, so one dedicated worker thread owns the
engine (one per process: espeak-ng cannot be initialised twice) and every call reaches it
through a queue. The worker has pyttsx3 render each sentence
to a WAV file (save_to_file + runAndWait), then plays the samples through an AudioOutput in
small blocks. That is what makes stop() immediate: playback checks for a stop between blocks
(tens of milliseconds), whereas pyttsx3's own playback on Linux shells out to a player that
cannot be interrupted. Long texts are split into sentences first, so the first sentence is
heard while the rest is still being rendered.

    tts = TextToSpeech.from_settings(settings.speech)
    tts.speak("Hello. This is the second sentence.")
    tts.stop()                     # silence now, drop what is queued
    tts.is_speaking                # True while anything is queued or playing
    tts.wait()                     # block until everything queued has been spoken
    tts.voices(); tts.rate = 200; tts.volume = 0.8; tts.voice = "gmw/en-us"
    tts.save("Hello.", "out.wav")  # render to a file (works without a sound card)

With no speech engine (no espeak-ng) or no audio output device the assistant says so once
(`notice`) and carries on text-only; speak() then does nothing and never raises.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import BadInput, ModelUnavailable
from ..events import SafeText
from ..logs import get_logger
from ..safety import MASK
from .chunker import SentenceChunker
from .platform_voices import RENDER_TIMEOUT, driver_kind, nsss_renderer, sapi_renderer

log = get_logger(__name__)

SPOKEN_MASK = "filtered"  # what a word withheld by the safety gate sounds like
_MARKUP = re.compile(r"[*_`#>|]+")
_SPACES = re.compile(r"\s+")


def speakable(text: str) -> str:
    """Text as it should be spoken: masked words become a short neutral word, markup goes."""
    text = (text or "").replace(MASK, f" {SPOKEN_MASK} ")
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip()


@dataclass
class VoiceInfo:
    id: str
    name: str
    languages: list[str]
    gender: str | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


# ---- audio outputs ------------------------------------------------------------------------------
class AudioOutput(Protocol):
    def play(self, samples: np.ndarray, rate: int, cancelled: Callable[[], bool]) -> None:
        """Play float32 mono samples; return early (promptly) once cancelled() is True."""


BLOCK_SECONDS = 0.03  # how often playback checks for stop(): the worst-case stop delay


def output_device_problem() -> str | None:
    """A spoken-ready sentence if no sound output device can be used, else None."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        return "Sound output is not available because the PortAudio library is missing."
    try:
        sd.query_devices(kind="output")
    except Exception:
        log.info("no output device", exc_info=True)
        return "No audio output device was found."
    return None


class SoundDeviceOutput:
    """The default sound card, through PortAudio (sounddevice)."""

    def play(self, samples: np.ndarray, rate: int, cancelled: Callable[[], bool]) -> None:
        import sounddevice as sd

        block = max(1, int(rate * BLOCK_SECONDS))
        with sd.OutputStream(samplerate=rate, channels=1, dtype="float32") as stream:
            for start in range(0, len(samples), block):
                if cancelled():
                    stream.abort()
                    return
                stream.write(np.ascontiguousarray(samples[start : start + block], dtype=np.float32))


class RecordingOutput:
    """Keeps what was played instead of sounding it, at the pace a sound card would take.

    For machines without a sound card (servers, CI) and for checking what a listener would
    have heard, including where stop() cut an utterance off."""

    def __init__(self, realtime: bool = True):
        self.realtime = realtime
        self.rate = 0
        self._parts: list[np.ndarray] = []
        self._lock = threading.Lock()

    def play(self, samples: np.ndarray, rate: int, cancelled: Callable[[], bool]) -> None:
        self.rate = rate
        block = max(1, int(rate * BLOCK_SECONDS))
        t0 = time.perf_counter()
        for start in range(0, len(samples), block):
            if cancelled():
                return
            with self._lock:
                self._parts.append(samples[start : start + block].copy())
            if self.realtime:
                ahead = (start + block) / rate - (time.perf_counter() - t0)
                if ahead > 0:
                    time.sleep(ahead)

    @property
    def samples(self) -> np.ndarray:
        with self._lock:
            return np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0


# ---- the worker -------------------------------------------------------------------------------
@dataclass
class _Job:
    kind: str  # speak | render | voices
    owner: TextToSpeech
    text: str = ""
    generation: int = 0
    future: Future | None = None


class _EngineWorker:
    """The one thread that owns the process's pyttsx3 engine. espeak-ng can be initialised once
    per process and routes audio through one global callback, so every TextToSpeech shares
    this worker; each job carries its owner's settings, output and stop generation."""

    _instances: dict[str | None, _EngineWorker] = {}
    _instances_lock = threading.Lock()

    @classmethod
    def shared(cls, driver: str | None) -> _EngineWorker:
        """The worker for `driver` (None: the platform default), started on first use."""
        with cls._instances_lock:
            if driver not in cls._instances:
                cls._instances[driver] = cls(driver)
            return cls._instances[driver]

    def __init__(self, driver: str | None):
        self.driver = driver
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.ready = threading.Event()
        self.problem: str | None = None
        self._applied: dict = {}
        self._renderer: Callable[[str, str, Callable[[], bool]], bool] | None = None
        self._workdir = tempfile.mkdtemp(prefix="assistant-tts-")
        threading.Thread(target=self._run, name="tts-worker", daemon=True).start()

    def _run(self) -> None:
        engine = self._start_engine()
        self.ready.set()
        while True:
            job = self.jobs.get()
            try:
                self._do(engine, job)
            except Exception as exc:  # a failed utterance must not kill the worker
                log.exception("speech job %s failed", job.kind)
                if job.future and not job.future.done():
                    job.future.set_exception(exc)
                elif job.kind == "speak":
                    job.owner._notice("Speech failed for one sentence.")
            finally:
                if job.kind == "speak":
                    job.owner._job_done()

    def _start_engine(self):
        try:
            import pyttsx3
            from pyttsx3.engine import default_engine_by_sys_platform

            if (self.driver or default_engine_by_sys_platform()) == "sapi5":
                import comtypes  # SAPI5 is COM: each thread that uses it must join COM

                comtypes.CoInitialize()
            engine = pyttsx3.init(self.driver)
            _quiet_driver(engine)
            self._renderer = _platform_renderer(engine)
            return engine
        except Exception as exc:
            log.exception("speech engine %s could not start", self.driver)
            self.problem = (
                "No speech engine was found (on Linux install espeak-ng)."
                if isinstance(exc, (OSError, ImportError))
                else "The speech engine could not start."
            )
            return None

    def _do(self, engine, job: _Job) -> None:
        owner = job.owner
        if engine is None:
            if job.future:
                job.future.set_exception(ModelUnavailable(self.problem or "", preset="espeak-ng"))
            return
        if job.kind == "voices" and job.future is not None:
            job.future.set_result([_voice_info(v) for v in engine.getProperty("voices")])
            return
        if job.kind == "speak" and owner._cancelled(job.generation):
            return
        self._apply(engine, owner)
        rendered = self._render(engine, job.text, lambda: job.kind == "speak" and owner._cancelled(job.generation))
        if rendered is None:
            return  # Stop arrived while the sentence was being rendered
        samples, rate = rendered
        if job.kind == "render" and job.future is not None:
            job.future.set_result((samples, rate))
        elif not owner._cancelled(job.generation) and owner._output is not None:
            owner._output.play(samples, rate, lambda: owner._cancelled(job.generation))

    def _apply(self, engine, owner: TextToSpeech) -> None:
        for name, value in owner.voice_settings().items():
            if value == "" or self._applied.get(name) == value:
                continue
            try:
                _set_property(engine, name, value)
                self._applied[name] = value
            except (ValueError, KeyError):
                owner._notice(f"The speech engine does not accept the {name} '{value}'.")

    def _render(self, engine, text: str, cancelled: Callable[[], bool]) -> tuple[np.ndarray, int] | None:
        """The sentence as samples; None when cancelled mid-render."""
        import soundfile as sf

        # macOS writes AIFF whatever the name says; soundfile reads either by its header
        path = os.path.join(self._workdir, "utterance.aiff" if driver_kind(engine) == "nsss" else "utterance.wav")
        for _ in range(2):
            if os.path.exists(path):
                os.remove(path)
            if self._renderer is not None:  # SAPI5 / NSSpeechSynthesizer: their own completion
                if not self._renderer(text, path, cancelled):
                    return None
            else:
                self._render_with_pyttsx3(engine, text, path)
            if os.path.exists(path) and os.path.getsize(path) > 44:
                samples, rate = sf.read(path, dtype="float32", always_2d=True)
                if len(samples):
                    return samples.mean(axis=1), rate
        raise RuntimeError("the speech engine produced no audio")

    def _render_with_pyttsx3(self, engine, text: str, path: str) -> None:
        """espeak-ng (and any other driver): pyttsx3's save_to_file. espeak-ng synthesises on
        its own thread and runAndWait can return before the file is written (always on the
        first call), so wait for the driver's finished-utterance notice, sent after the file
        is complete. (SAPI5 never sends it for a file: see platform_voices.)"""
        finished = threading.Event()
        token = engine.connect("finished-utterance", lambda finished=finished, **_: finished.set())
        try:
            engine.save_to_file(text, path)
            engine.runAndWait()
            finished.wait(RENDER_TIMEOUT)
            _settle(engine)
        finally:
            engine.disconnect(token)


def _print_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class TextToSpeech:
    """Speech output. Every public method is thread-safe and returns quickly; the pyttsx3
    engine itself lives in one worker thread shared by all instances in the process."""

    def __init__(
        self,
        rate: int = 180,
        volume: float = 1.0,
        voice: str = "",
        output: AudioOutput | str | None = "auto",
        driver: str | None = None,
        notice: Callable[[str], None] | None = _print_notice,
    ):
        self._rate, self._volume, self._voice = int(rate), float(volume), voice or ""
        self._notice_fn = notice
        self._noticed: set[str] = set()
        self._generation = 0
        self._pending = 0
        self._idle = threading.Condition()
        self._output, self._output_problem = self._pick_output(output)
        self._chunker_limit = 240
        self._worker = _EngineWorker.shared(driver)

    @classmethod
    def from_settings(cls, speech_settings, **kwargs) -> TextToSpeech:
        """Build from config.SpeechSettings (rate, volume, voice)."""
        return cls(rate=speech_settings.rate, volume=speech_settings.volume, voice=speech_settings.voice, **kwargs)

    # ---- availability --------------------------------------------------------------------
    @property
    def engine_available(self) -> bool:
        """True once pyttsx3 has started (waits for the worker to start, at most 10 s)."""
        self._worker.ready.wait(10)
        return self._worker.ready.is_set() and self._worker.problem is None

    @property
    def can_speak(self) -> bool:
        """True when speak() will be heard: a speech engine and an audio output exist."""
        return self.engine_available and self._output is not None

    @property
    def problem(self) -> str | None:
        """Why speech is unavailable, as a sentence; None when it works."""
        if not self.engine_available:
            return self._worker.problem or "The speech engine did not start."
        return self._output_problem

    # ---- speaking ----------------------------------------------------------------------------
    def speak(self, text: SafeText, interrupt: bool = False) -> None:
        """Queue `text` to be spoken sentence by sentence. interrupt=True silences what is
        playing and drops what is queued first. Never raises; without speech it does nothing."""
        if interrupt:
            self.stop()
        if not speakable(text):
            return
        if not self.can_speak:
            self._notice(self.problem or "Speech is not available.")
            return
        chunker = SentenceChunker(self._chunker_limit)
        sentences = [spoken for s in chunker.feed(text) + chunker.flush() if (spoken := speakable(s))]
        with self._idle:
            generation = self._generation
            self._pending += len(sentences)
        for sentence in sentences:
            self._worker.jobs.put(_Job("speak", self, sentence, generation))

    def stop(self) -> None:
        """Silence at once: the sentence playing stops within one block, the queue is dropped."""
        with self._idle:
            self._generation += 1

    @property
    def is_speaking(self) -> bool:
        with self._idle:
            return self._pending > 0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been spoken (or stopped). False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # ---- rendering to samples or files ---------------------------------------------------
    def synthesize(self, text: str, timeout: float = 120) -> tuple[np.ndarray, int]:
        """Render `text` to float32 mono samples and their sample rate (no playback)."""
        text = speakable(text)
        if not text:
            raise BadInput("There is no text to speak.")
        if not self.engine_available:
            raise ModelUnavailable(self.problem or "The speech engine did not start.", preset="espeak-ng")
        return self._call("render", text, timeout)

    def save(self, text: str, path: str | os.PathLike) -> Path:
        """Render `text` into an audio file (WAV, FLAC or OGG by the file name's suffix)."""
        import soundfile as sf

        path = Path(path)
        samples, rate = self.synthesize(text)
        try:
            sf.write(str(path), samples, rate)
        except (OSError, RuntimeError, TypeError, ValueError) as exc:
            raise BadInput(f"I could not write the audio file {path}: {exc}.") from None
        return path

    # ---- settings --------------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        """Voices the speech engine offers (empty without an engine)."""
        if not self.engine_available:
            return []
        return self._call("voices", "", 30)

    @property
    def rate(self) -> int:
        """Words per minute (60-500); applies from the next sentence."""
        return self._rate

    @rate.setter
    def rate(self, words_per_minute: int) -> None:
        self._rate = int(max(60, min(500, words_per_minute)))

    @property
    def volume(self) -> float:
        """0.0-1.0; applies from the next sentence."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = float(max(0.0, min(1.0, value)))

    @property
    def voice(self) -> str:
        """A voice id from voices(); empty means the engine's default."""
        return self._voice

    @voice.setter
    def voice(self, voice_id: str) -> None:
        self._voice = voice_id or ""

    def close(self) -> None:
        """Stop speaking. (The shared engine worker stays for other instances.)"""
        self.stop()
        self.wait(5)

    # ---- internals ----------------------------------------------------------------------------
    def _call(self, kind: str, text: str, timeout: float):
        future: Future = Future()
        self._worker.jobs.put(_Job(kind, self, text, future=future))
        return future.result(timeout=timeout)

    def _job_done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def voice_settings(self) -> dict[str, int | float | str]:
        """rate, volume and voice as the worker applies them before each sentence."""
        return {"rate": self._rate, "volume": self._volume, "voice": self._voice}

    def _notice(self, message: str) -> None:
        if message not in self._noticed:
            self._noticed.add(message)
            if self._notice_fn:
                self._notice_fn(f"{message} Continuing with text only.")

    def _pick_output(self, output) -> tuple[AudioOutput | None, str | None]:
        if output is None:
            return None, "Speech output is switched off."
        if output != "auto":
            return output, None
        problem = output_device_problem()
        return (None, problem) if problem else (SoundDeviceOutput(), None)

    def _cancelled(self, generation: int) -> bool:
        return generation != self._generation


def _voice_info(voice) -> VoiceInfo:
    languages = [lang.decode() if isinstance(lang, bytes) else str(lang) for lang in (voice.languages or [])]
    return VoiceInfo(id=str(voice.id), name=str(voice.name or voice.id), languages=languages, gender=voice.gender)


def _set_property(engine, name: str, value) -> None:
    """engine.setProperty, made to take effect before the next utterance. espeak-ng (retrieval
    mode) applies settings on its own thread, and pyttsx3 may hold them in its queue until the
    next run, so an utterance can start with the old rate; set it on the driver and wait
    (briefly) until espeak-ng reports the new value."""
    driver = getattr(engine.proxy, "_driver", None)
    kind = driver_kind(engine)
    if driver is not None and kind in ("sapi5", "nsss"):
        # pyttsx3 would queue the change until its run loop, which these renders never start
        driver.setProperty(name, value)
        return
    if driver is None or kind != "espeak":
        engine.setProperty(name, value)
        return
    driver.setProperty(name, value)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline and not _property_matches(driver.getProperty(name), value):
        time.sleep(0.003)


def _property_matches(current, wanted) -> bool:
    if isinstance(wanted, float):
        return current is not None and abs(float(current) - wanted) < 0.011
    if isinstance(wanted, str):
        return str(current or "").lower() == wanted.lower()
    return current == wanted


def _settle(engine) -> None:
    """Wait until espeak-ng's synthesis thread is idle. It sends finished-utterance before it
    is done, and a rate or voice set in that gap is silently lost."""
    module = getattr(getattr(engine.proxy, "_driver", None), "__module__", "")
    if module.endswith(".espeak"):
        from pyttsx3.drivers import _espeak

        _espeak.Synchronize()


def _platform_renderer(engine) -> Callable[[str, str, Callable[[], bool]], bool] | None:
    """The platform's own renderer for SAPI5 and NSSpeechSynthesizer; None: pyttsx3's path."""
    kind = driver_kind(engine)
    if kind == "sapi5":
        return sapi_renderer(engine)
    if kind == "nsss":
        return nsss_renderer(engine)
    return None


def _quiet_driver(engine) -> None:
    """pyttsx3's espeak driver prints 'Audio saved to …' on stdout after every file; in a CLI
    that would mix with the answer. Shadow print in that driver module only."""
    module = getattr(getattr(engine.proxy, "_driver", None), "__module__", "")
    if module.endswith(".espeak"):
        setattr(sys.modules[module], "print", lambda *args, **kwargs: None)  # noqa: B010 - a module global
