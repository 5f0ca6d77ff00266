"""Text to speech through the real pyttsx3 + espeak-ng, judged from the samples it produces."""

import time

import numpy as np
import pytest
import soundfile as sf

from assistant.cli import main as cli_main
from assistant.engine import ErrorEvent, Progress, Result, TextChunk
from assistant.errors import ModelUnavailable
from assistant.safety import MASK
from assistant.speech.output.speaker import Speaker
from assistant.speech.output.voice import OwnVoiceOutput
from assistant.speech.tts import SPOKEN_MASK, RecordingOutput, TextToSpeech, output_device_problem, speakable
from tests.platform_support import skip_reason

LONG_TEXT = " ".join(f"This is sentence number {i} of a long answer about the screen." for i in range(40))


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


@pytest.fixture
def recorder():
    return RecordingOutput(realtime=True)


@pytest.fixture
def tts(recorder):
    if reason := skip_reason("espeak"):
        pytest.skip(reason)
    engine = TextToSpeech(rate=200, output=recorder, notice=None)
    assert engine.engine_available, engine.problem
    yield engine
    engine.close()


def test_save_writes_real_speech_to_a_wav(tmp_path, tts):
    path = tts.save("The file has been saved. Three new messages are waiting.", tmp_path / "out.wav")
    samples, rate = sf.read(path, dtype="float32")
    seconds = len(samples) / rate
    assert 2.0 < seconds < 8.0  # about a dozen words at 200 words a minute
    assert rms(samples) > 0.02  # clearly audible, not silence
    frames = samples[: len(samples) // 400 * 400].reshape(-1, 400)
    voiced = np.sqrt((frames**2).mean(axis=1)) > 0.01
    assert 0.4 < voiced.mean() < 0.98  # speech with pauses, not a tone or noise


def test_rate_and_text_length_change_the_duration(tts):
    slow = TextToSpeech(rate=120, output=None, notice=None)
    fast = TextToSpeech(rate=300, output=None, notice=None)
    text = "Reading the text on the screen from top to bottom."
    slow_s = len(slow.synthesize(text)[0])
    fast_s = len(fast.synthesize(text)[0])
    assert slow_s > 1.6 * fast_s
    assert len(tts.synthesize(text + " " + text)[0]) > 1.6 * len(tts.synthesize(text)[0])


def test_voices_are_listed_and_a_voice_can_be_chosen(tts):
    voices = tts.voices()
    assert len(voices) > 5
    english = [v for v in voices if v.id.endswith("en-us")]
    assert english
    tts.voice = english[0].id
    samples, _ = tts.synthesize("Hello.")
    assert rms(samples) > 0.02


def test_masked_words_become_a_short_neutral_word():
    assert speakable(f"You are a {MASK} idiot") == f"You are a {SPOKEN_MASK} idiot"
    assert speakable(f"**Bold** {MASK}{MASK}") == f"Bold {SPOKEN_MASK} {SPOKEN_MASK}"


def test_stop_silences_a_long_utterance_and_the_next_one_plays(tts, recorder):
    full_seconds = len(tts.synthesize(LONG_TEXT)[0]) / 22050
    tts.speak(LONG_TEXT)
    for _ in range(400):  # until about a second has been played
        if recorder.seconds > 1.0:
            break
        tts.wait(0.01)
    assert tts.is_speaking
    tts.stop()
    assert tts.wait(timeout=2.0), "stop() did not end speech"
    played = recorder.seconds
    assert played < full_seconds / 4  # cut off, not played to the end
    tts.wait(0.3)
    assert recorder.seconds == pytest.approx(played, abs=0.05)  # and nothing more is played

    tts.speak("Next answer.")
    assert tts.wait(timeout=10)
    assert recorder.seconds - played > 0.5  # the worker took the next utterance


def test_interrupt_replaces_what_is_playing(tts, recorder):
    tts.speak(LONG_TEXT)
    tts.speak("Short.", interrupt=True)
    assert tts.wait(timeout=10)
    assert recorder.seconds < 3.0  # the long text was dropped


@pytest.mark.espeak
def test_no_speech_engine_says_so_once_and_continues(tmp_path):
    notices = []
    tts = TextToSpeech(driver="no_such_driver", output=RecordingOutput(), notice=notices.append)
    assert not tts.engine_available and "espeak-ng" in tts.problem
    tts.speak("Hello.")
    tts.speak("Hello again.")
    assert not tts.is_speaking
    assert len(notices) == 1 and "text only" in notices[0]
    with pytest.raises(ModelUnavailable):
        tts.save("Hello.", tmp_path / "x.wav")
    assert tts.voices() == []


def test_no_audio_device_is_reported_plainly():
    if output_device_problem() is None:
        pytest.skip("this machine has a sound card")
    notices = []
    tts = TextToSpeech(notice=notices.append)
    assert not tts.can_speak and "audio output device" in tts.problem
    tts.speak("Hello.")
    assert notices and not tts.is_speaking


class _Sink:
    """The answer path of the Speaker with only the app's own voice (was SpeechSink)."""

    def __init__(self, tts):
        self.tts = tts
        self.speaker = Speaker([OwnVoiceOutput(tts)])
        self.speaker.begin()

    def feed(self, event):
        self.speaker.speak_event(event)

    def finish(self, timeout=None):
        return self.speaker.wait(timeout)


@pytest.mark.espeak
def test_sink_starts_speaking_before_the_stream_ends():
    recorder = RecordingOutput(realtime=False)
    sink = _Sink(TextToSpeech(output=recorder, notice=None))
    sink.feed(Progress("generate", "Describing the picture."))
    sink.feed(TextChunk("A settings window with two "))
    assert not sink.tts.is_speaking and recorder.seconds == 0  # no complete sentence yet
    sink.feed(TextChunk("buttons. The left one says "))
    # first sentence spoken while streaming (handed to the voice on its own thread: allow it a moment)
    deadline = time.monotonic() + 10
    while not (sink.tts.is_speaking or recorder.seconds > 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.tts.is_speaking or recorder.seconds > 0
    sink.feed(TextChunk("OK."))
    sink.feed(Result(intent="describe", text="A settings window with two buttons. The left one says OK."))
    assert sink.finish(timeout=20)
    assert recorder.seconds > 2.0  # both sentences were played


@pytest.mark.espeak
def test_sink_speaks_unstreamed_results_and_errors():
    recorder = RecordingOutput(realtime=False)
    sink = _Sink(TextToSpeech(output=recorder, notice=None))
    sink.feed(Result(intent="clarify", text="Do you want me to describe the picture, or read the text?"))
    assert sink.finish(timeout=20)
    after_result = recorder.seconds
    assert after_result > 2.0
    sink.feed(ErrorEvent("bad_input", "There is no picture yet."))
    assert sink.finish(timeout=20)
    assert recorder.seconds - after_result > 0.8


@pytest.mark.espeak
def test_cli_say_writes_a_file(tmp_path, capsys):
    out = tmp_path / "say.wav"
    assert cli_main(["say", "Hello from the command line.", "--to", str(out)]) == 0
    samples, rate = sf.read(out)
    assert len(samples) / rate > 1.0 and rms(samples) > 0.02
    assert capsys.readouterr().out == ""  # nothing but the file (driver chatter silenced)
    assert cli_main(["say", "  ", "--to", str(out)]) == 2
