"""End to end: espeak-ng (through pyttsx3) speaks commands into WAV files, the real Whisper
tiny.en transcribes them through the engine, and the router returns the right intent."""

import pytest

from assistant.engine import Engine, Request, Result
from assistant.events import options_for
from assistant.router import Router
from assistant.safety import MASK
from assistant.speech.tts import TextToSpeech
from tests.platform_support import skip_reason

pytestmark = pytest.mark.slow

COMMANDS = [
    # (spoken, picture open, intent)
    ("Describe the screen.", True, "describe"),
    ("Um, could you please tell me what this says?", True, "read_text"),
    ("Read the text out loud.", True, "read_text"),
    ("Take a screenshot of this window.", False, "describe_window"),
    ("Draw a lighthouse at sunset.", False, "generate"),
    ("Stop talking.", True, "stop_speaking"),
    ("Open a file.", False, "open_file"),
    ("What does this say?", True, "read_text"),
]


@pytest.fixture(scope="module")
def voice():
    if reason := skip_reason("espeak"):
        pytest.skip(reason)
    return TextToSpeech(rate=150, voice="gmw/en-us", output=None, notice=None)


@pytest.fixture(scope="module")
def engine():
    return Engine()


@pytest.fixture(scope="module")
def router():
    return Router()


def transcribe(engine, path) -> str:
    result = engine.run_to_result(Request("transcribe", options=options_for("transcribe", audio=str(path))))
    assert isinstance(result, Result), result
    return result.text


@pytest.mark.parametrize("spoken,has_image,intent", COMMANDS)
def test_spoken_command_reaches_the_right_intent(tmp_path, voice, engine, router, spoken, has_image, intent):
    wav = voice.save(spoken, tmp_path / "command.wav")
    heard = transcribe(engine, wav)
    got = router.route(heard, has_image=has_image)
    assert got.name == intent, f"heard {heard!r}, routed {got}"


def test_a_masked_word_is_spoken_as_a_neutral_marker(tmp_path, voice, engine):
    wav = voice.save(f"That word was {MASK}.", tmp_path / "masked.wav")
    heard = transcribe(engine, wav).lower()
    assert "filtered" in heard and "[" not in heard
