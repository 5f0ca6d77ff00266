"""Loading recordings for speech-to-text, without a model: hostile files, lengths from the header,
absurd samples, channel mixing that cannot cancel speech, and numbers said correctly."""

from __future__ import annotations

import errno
import io
import os
import struct

import numpy as np
import pytest
import soundfile as sf

from assistant.errors import BadInput
from assistant.speech import stt
from assistant.speech.stt import SAMPLE_RATE, load_audio, say_seconds, silence_reason


def _wav_header(frames: int, rate: int = 16000, channels: int = 1) -> bytes:
    data = frames * channels * 2
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data)
    )


def _tone(seconds=1.0, hz=440.0, rate=SAMPLE_RATE, level=0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.mark.parametrize(
    "seconds,than,said",
    [
        (600.1, 600, "600.1 seconds"),
        (600.04, 600, "600.04 seconds"),
        (600.0004, 600, "600.0004 seconds"),
        (600, None, "600 seconds (10 minutes)"),
        (7200, 600, "7200 seconds (2 hours)"),
        (3600, None, "3600 seconds (1 hour)"),
        (60, None, "60 seconds (1 minute)"),
        (90, None, "90 seconds"),
        (601, 600, "601 seconds"),
        (1, None, "1 second"),
        (12.25, None, "12.2 seconds"),
    ],
)
def test_lengths_are_said_as_they_are(seconds, than, said):
    """ "600.1 s" used to be said as "10 minutes long; the limit is 10 minutes"."""
    assert say_seconds(seconds, than=than) == said


def test_length_is_judged_from_the_header_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    with open(path, "wb") as f:  # two hours of 16 kHz silence, sparse on disk
        f.write(_wav_header(16000 * 7200))
        f.truncate(44 + 16000 * 7200 * 2)
    monkeypatch.setattr(sf.SoundFile, "blocks", lambda *a, **k: pytest.fail("decoded before the length check"))
    monkeypatch.setattr(sf.SoundFile, "read", lambda *a, **k: pytest.fail("decoded before the length check"))
    with pytest.raises(BadInput) as err:
        load_audio(str(path))
    assert err.value.message == (
        "The recording is 7200 seconds (2 hours) long; the limit is 600 seconds (10 minutes). "
        "Please use a shorter recording."
    )


def test_length_just_over_the_limit_names_both_numbers(tmp_path):
    path = tmp_path / "t.wav"
    sf.write(path, np.zeros(int(16000 * 600.1), np.int16), 16000)
    with pytest.raises(BadInput, match=r"is 600\.1 seconds long; the limit is 600 seconds"):
        load_audio(str(path))
    with pytest.raises(BadInput, match=r"is 600\.1 seconds long; the limit is 300 seconds \(5 minutes\)\."):
        load_audio(str(path), max_seconds=300)


@pytest.mark.parametrize(
    "value,phrase",
    [
        (float("nan"), "is damaged: some of its samples are not numbers"),
        (float("inf"), "is damaged: some of its samples are not numbers"),
        (-float("inf"), "is damaged: some of its samples are not numbers"),
        (1e30, "is damaged: its sample values are far outside the range of sound"),
        (3.4e38, "is damaged: its sample values are far outside the range of sound"),
    ],
)
def test_samples_that_are_not_sound_are_refused(tmp_path, value, phrase):
    """A float WAV of 1e30 used to be transcribed as "$$$$$$$$$$$$$"."""
    samples = _tone(2.0)
    samples[8000:8100] = value
    path = tmp_path / "bad.wav"
    sf.write(path, samples, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(BadInput, match=phrase):
        load_audio(str(path))
    with pytest.raises(BadInput, match=phrase.replace("is damaged", "")):
        load_audio((samples, SAMPLE_RATE))


def test_ordinary_overs_are_clipped_and_wrong_scale_is_scaled(tmp_path):
    loud = _tone(1.0, level=1.5)
    out = load_audio((loud, SAMPLE_RATE))
    assert out.max() <= 1.0 and out.max() > 0.99  # clipped, not scaled down
    int_scaled = _tone(1.0, level=20000.0)  # float samples written at 16-bit scale
    path = tmp_path / "scaled.wav"
    sf.write(path, int_scaled, SAMPLE_RATE, subtype="FLOAT")
    out = load_audio(str(path))
    assert 0.99 < np.abs(out).max() <= 1.0
    assert np.corrcoef(out, int_scaled / 20000.0)[0, 1] > 0.999


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("WAV", "FLOAT"), ("FLAC", "PCM_16"), ("OGG", "VORBIS")])
def test_phase_inverted_channels_do_not_cancel(tmp_path, fmt, subtype):
    """Averaging the channels turned phase-inverted speech into silence."""
    tone = _tone(1.0)
    path = tmp_path / f"stereo.{fmt.lower()}"
    sf.write(path, np.stack([tone, -tone], axis=1), SAMPLE_RATE, format=fmt, subtype=subtype)
    out = load_audio(str(path))
    assert silence_reason(out) is None
    assert _rms(out) == pytest.approx(_rms(tone), rel=0.1)


@pytest.mark.parametrize(
    "channels,expected",
    [
        (lambda x: [x, x], lambda x: x),  # identical: the plain average
        (lambda x: [x, -x], lambda x: x),  # opposite phase: added, not cancelled
        (lambda x: [np.zeros_like(x), x], lambda x: x),  # one silent channel: the other, not half of it
        # 5.1: each channel weighted by its share of the common signal, signs aligned
        (lambda x: [x, 0.5 * x, -0.25 * x, np.zeros_like(x), x, -x], lambda x: x * 3.3125 / 3.75),
    ],
)
def test_channels_are_mixed_along_their_common_axis(channels, expected):
    x = _tone(1.0)
    stacked = np.stack(channels(x), axis=1)
    out = load_audio((stacked, SAMPLE_RATE))
    assert np.allclose(np.abs(out), np.abs(expected(x)), atol=0.05 * np.abs(x).max()), _rms(out)
    assert _rms(out) == pytest.approx(_rms(expected(x)), rel=0.15)
    channels_first = load_audio((stacked.T, SAMPLE_RATE))  # (channels, frames) arrays work too
    assert np.allclose(channels_first, out)


def test_uncorrelated_channels_keep_both_sources():
    a, b = _tone(1.0, 300.0), _tone(1.0, 700.0, level=0.3)
    out = load_audio((np.stack([a, b], axis=1), SAMPLE_RATE))
    spectrum = np.abs(np.fft.rfft(out))
    assert spectrum[300] > 100 and silence_reason(out) is None


def test_a_constant_offset_is_not_sound():
    assert silence_reason(np.full(SAMPLE_RATE * 2, 0.5, np.float32)).startswith("The recording is silent")
    assert silence_reason(_tone(1.0) + 0.5) is None


def test_long_file_is_decoded_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(stt, "BLOCK_FRAMES", 1000)
    tone = _tone(3.0, rate=44100)
    path = tmp_path / "t.wav"
    sf.write(path, np.stack([tone, -tone], axis=1), 44100)
    out = load_audio(str(path))
    reference = stt.resample(tone, 44100)
    assert len(out) == len(reference) and np.allclose(out, reference, atol=1e-3)


@pytest.mark.parametrize(
    "make,phrase",
    [
        (lambda p: p / "missing.wav", r"missing.wav does not exist\."),
        (lambda p: p, r"is a folder, not a recording file\."),
        (lambda p: os.mkfifo(p / "pipe.wav") or p / "pipe.wav", r"is a named pipe, not a recording file"),
        (lambda p: "/dev/zero", r"/dev/zero is a device, not a recording file\."),
        (
            lambda p: (p / "a.wav").symlink_to(p / "b.wav") or (p / "b.wav").symlink_to(p / "a.wav") or p / "a.wav",
            "loop",
        ),
        (lambda p: (p / "e.wav").write_bytes(b"") or p / "e.wav", r"e.wav is empty\."),
        (lambda p: (p / "h.wav").write_bytes(_wav_header(0)) and p / "h.wav", r"The recording is empty\."),
        (
            lambda p: (p / "n.mp3").write_bytes(b"ID3\3\0\0\0\0\0\0" + bytes(range(256)) * 40) and p / "n.mp3",
            "is not audio I can read",
        ),
        (lambda p: (p / "t.wav").write_text("hello") and p / "t.wav", "is not audio I can read"),
    ],
)
def test_files_that_cannot_be_recordings_get_a_sentence(tmp_path, make, phrase):
    with pytest.raises(BadInput, match=phrase) as err:
        load_audio(make(tmp_path))
    assert "Error" not in err.value.message


def test_permission_denied_is_a_sentence_not_a_class_name(tmp_path, monkeypatch):
    """`transcribe` of an unreadable file said "Something went wrong (PermissionError)"."""
    path = tmp_path / "secret.wav"
    sf.write(path, _tone(1.0), SAMPLE_RATE)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(BadInput, match=r"secret.wav cannot be read: permission denied\.$"):
        load_audio(str(path))


def test_file_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.wav"
    with open(path, "wb") as f:
        f.write(_wav_header(16000))
        f.truncate(3 * 1024**3)
    with pytest.raises(BadInput, match=r"big.wav is too large: 3.2 GB, over the limit of 256 MB\."):
        load_audio(str(path))
    small = tmp_path / "small.wav"
    sf.write(small, _tone(1.0), SAMPLE_RATE)
    with pytest.raises(BadInput, match="over the limit of 10 KB"):
        load_audio(str(small), max_file_mb=0.01)
    with pytest.raises(BadInput, match="is too large: it is over the limit of 10 KB"):
        load_audio(io.BytesIO(small.read_bytes()), max_file_mb=0.01)


def _m4a(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """AAC in MP4 (read by PyAV, not libsndfile), stereo when given two channels."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        layout = "stereo" if samples.ndim == 2 else "mono"
        stream = out.add_stream("aac", rate=rate, layout=layout)
        planar = samples.T if samples.ndim == 2 else samples[None, :]
        for start in range(0, planar.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, start : start + 1024]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def test_other_formats_through_pyav_are_mixed_and_bounded(tmp_path):
    tone = _tone(2.0)
    path = tmp_path / "stereo.m4a"
    path.write_bytes(_m4a(np.stack([tone, -tone], axis=1)))
    out = load_audio(str(path))
    assert silence_reason(out) is None and _rms(out) > 0.5 * _rms(tone)
    with pytest.raises(BadInput, match=r"The recording is 2\.\d+ seconds long; the limit is 1 second\."):
        load_audio(str(path), max_seconds=1)
