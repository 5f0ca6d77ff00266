"""The Linux screen-reader path for real: a private speech-dispatcher whose output module writes
every message it is asked to speak into spoken.txt (the recipe is in speechd_capture.py)."""

from __future__ import annotations

import time

import pytest

from assistant.safety import MASK, trusted
from assistant.speech.output import Priority, Speaker
from assistant.speech.output.speechd_output import SpeechDispatcherOutput, load_speechd
from tests.speech import speechd_capture

pytestmark = [
    # speechd's reader thread ends itself with sys.exit() when a connection closes
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.skipif(
        bool(speechd_capture.available()) or load_speechd() is None,
        reason=speechd_capture.available() or "speech-dispatcher's Python client (python3-speechd) is not installed",
    ),
]

SLOW = "sleep 0.4; "  # each message takes 0.4 s to "speak", so later ones queue behind it


@pytest.fixture
def ear(tmp_path):
    capture = speechd_capture.start(tmp_path / "ear")
    yield capture
    capture.stop()


@pytest.fixture
def slow_ear(tmp_path):
    capture = speechd_capture.start(tmp_path / "slow-ear", delay_command=SLOW)
    yield capture
    capture.stop()


def speaker_for(capture, notices=None):
    output = SpeechDispatcherOutput(address=capture.address)
    return Speaker([output], notice=(notices.append if notices is not None else None), mode="screen-reader")


def test_the_gated_text_itself_arrives(ear):
    speaker = speaker_for(ear)
    assert speaker.active_outputs == ["speech-dispatcher"]
    speaker.say(trusted("The save button is at the top right."))
    lines = ear.wait_for(lambda lines: lines)
    assert lines == ["The save button is at the top right."]
    assert speaker.wait(10)
    speaker.close()


def test_a_masked_word_is_spoken_as_filtered_not_as_brackets(ear):
    speaker = speaker_for(ear)
    speaker.say(trusted(f"The sign says {MASK} off."))
    assert ear.wait_for(lambda lines: lines) == ["The sign says filtered off."]
    speaker.close()


def test_a_streamed_answer_arrives_sentence_by_sentence_in_order(ear):
    speaker = speaker_for(ear)
    speaker.begin()
    for piece in ["The window shows ", "a form. It has two fie", "lds. The OK button is ", "disabled"]:
        speaker.feed(trusted(piece))
    # the first complete sentence goes out before the answer is finished
    assert ear.wait_for(lambda lines: lines)[0] == "The window shows a form."
    speaker.finish()
    expected = ["The window shows a form.", "It has two fields.", "The OK button is disabled"]
    assert ear.wait_for(lambda lines: len(lines) >= 3) == expected
    speaker.close()


def test_the_client_is_named_screen_assistant_and_uses_ssip_priorities(tmp_path):
    capture = speechd_capture.start(tmp_path / "verbose", log_level=5)  # the server logs each command
    speaker = speaker_for(capture)
    try:
        for text, priority in (("Answer.", Priority.QUEUE), ("Status.", Priority.POLITE), ("New.", Priority.INTERRUPT)):
            speaker.say(trusted(text), priority)
            assert speaker.wait(10)  # else INTERRUPT drops the others before they are handed over
    finally:
        speaker.close()
        capture.stop()
    log = (capture.root / "speech-dispatcher.log").read_text(errors="replace")
    assert "CLIENT_NAME " in log and ":screen-assistant:answers" in log
    commands = [line.split("DATA:|", 1)[1] for line in log.splitlines() if "DATA:|" in line]
    ours = [c for c in commands if c.startswith(("SET self PRIORITY", "CANCEL", "SPEAK"))]
    assert ours == [
        "SET self PRIORITY message",
        "SPEAK",
        "SET self PRIORITY notification",
        "SPEAK",
        "CANCEL self",
        "SET self PRIORITY message",
        "SPEAK",
    ]


def test_queued_sentences_do_not_interrupt_each_other(slow_ear):
    # "text" priority would keep only the last; "message" keeps all three, in order
    speaker = speaker_for(slow_ear)
    for sentence in ("One.", "Two.", "Three."):
        speaker.say(trusted(sentence), Priority.QUEUE)
    assert slow_ear.wait_for(lambda lines: len(lines) >= 3) == ["One.", "Two.", "Three."]
    speaker.close()


def test_interrupt_drops_our_queue_but_not_the_screen_readers_own_speech(slow_ear):
    speechd = load_speechd()
    orca = speechd.SSIPClient("orca", address=slow_ear.address, autospawn=False)  # speaks as Orca does
    orca.set_priority(speechd.Priority.MESSAGE)
    speaker = speaker_for(slow_ear)
    try:
        orca.speak("Orca reads the focused button.")
        for sentence in ("Old answer one.", "Old answer two.", "Old answer three."):
            speaker.say(trusted(sentence), Priority.QUEUE)
        speaker.say(trusted("New answer."), Priority.INTERRUPT)
        lines = slow_ear.wait_for(lambda lines: "New answer." in lines)
        speaker.wait(10)
    finally:
        orca.close()
        speaker.close()
    assert lines[0] == "Orca reads the focused button."  # never cut off by us
    assert "New answer." in lines
    assert "Old answer three." not in slow_ear.spoken()


def test_polite_status_is_dropped_while_something_is_being_said(slow_ear):
    speaker = speaker_for(slow_ear)
    speaker.say(trusted("Working."), Priority.POLITE)  # idle: said
    assert slow_ear.wait_for(lambda lines: lines) == ["Working."]
    speaker.say(trusted("The answer."), Priority.QUEUE)
    speaker.say(trusted("Still working."), Priority.POLITE)  # an answer is speaking: dropped
    speaker.say(trusted("The end."), Priority.QUEUE)
    lines = slow_ear.wait_for(lambda lines: "The end." in lines)
    assert lines == ["Working.", "The answer.", "The end."]
    speaker.close()


def test_stop_silences_and_drops_what_is_queued(slow_ear):
    speaker = speaker_for(slow_ear)
    for i in range(6):
        speaker.say(trusted(f"Sentence {i}."))
    slow_ear.wait_for(lambda lines: lines)
    speaker.stop()
    assert speaker.wait(10)  # stop leaves nothing pending
    heard = slow_ear.spoken()
    assert heard[0] == "Sentence 0." and len(heard) < 6
    speaker.say(trusted("After stop."))
    assert slow_ear.wait_for(lambda lines: "After stop." in lines)[-1] == "After stop."
    speaker.close()


def test_a_restarted_server_is_reached_again_on_the_retry(tmp_path):
    capture = speechd_capture.start(tmp_path / "a")
    notices: list[str] = []
    speaker = speaker_for(capture, notices)
    speaker.say(trusted("First."))
    assert capture.wait_for(lambda lines: lines) == ["First."]
    capture.stop()
    capture = speechd_capture.start(tmp_path / "a")  # same socket path, new server
    try:
        speaker.say(trusted("Second."))
        assert capture.wait_for(lambda lines: "Second." in lines)[-1] == "Second."
        assert notices == [] and speaker.active_outputs == ["speech-dispatcher"]
    finally:
        speaker.close()
        capture.stop()


def test_a_dead_server_is_retried_once_then_the_user_is_told(ear):
    notices: list[str] = []
    speaker = speaker_for(ear, notices)
    speaker.say(trusted("First."))
    ear.wait_for(lambda lines: lines)
    ear.stop()
    speaker.say(trusted("Second."))
    assert speaker.wait(10)
    assert speaker.active_outputs == []
    assert notices and notices[0].endswith("Answers are shown as text only.")
    assert "speech-dispatcher" in notices[0]
    assert speaker.problem == "No speech output works, so answers are shown as text only."
    speaker.close()


def test_not_running_is_a_plain_sentence(tmp_path):
    output = SpeechDispatcherOutput(address=f"unix_socket:{tmp_path / 'none.sock'}")
    assert output.available is False
    assert output.problem == "speech-dispatcher, which the screen reader speaks through, is not running."


def test_what_was_handed_over_is_spoken_after_the_app_disconnects(slow_ear):
    # the CLI closes its speaker and exits right after the answer: nothing may be lost
    speaker = speaker_for(slow_ear)
    for sentence in ("One.", "Two.", "Three."):
        speaker.say(trusted(sentence))
    assert speaker.wait(10)
    speaker.close()
    assert slow_ear.wait_for(lambda lines: len(lines) >= 3) == ["One.", "Two.", "Three."]


def test_both_the_screen_reader_and_the_own_voice_get_the_answer_and_stop_silences_both(slow_ear):
    from assistant.events import ErrorEvent, Result, TextChunk
    from assistant.speech.output.voice import OwnVoiceOutput
    from assistant.speech.tts import RecordingOutput, TextToSpeech

    recorder = RecordingOutput(realtime=True)
    tts = TextToSpeech(rate=200, output=recorder, notice=None)
    if not tts.can_speak:
        pytest.skip(f"the own voice cannot speak here: {tts.problem}")
    speaker = Speaker([SpeechDispatcherOutput(address=slow_ear.address), OwnVoiceOutput(tts)], mode="both")
    speaker.begin()
    for piece in ("The dialog asks whether to save. ", "There are three buttons. ", "Save is the default. "):
        speaker.speak_event(TextChunk(trusted(piece)))
    speaker.speak_event(TextChunk(trusted("Cancel closes it")))
    speaker.speak_event(Result(intent="describe", text=trusted("")))
    slow_ear.wait_for(lambda lines: lines)
    deadline = time.monotonic() + 15
    while recorder.seconds == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    speaker.stop()
    assert speaker.wait(15)
    heard_seconds, heard_lines = recorder.seconds, slow_ear.spoken()
    assert 0 < heard_seconds < 4  # the own voice was cut off inside the first sentence or two
    assert heard_lines[0] == "The dialog asks whether to save." and len(heard_lines) < 4
    time.sleep(0.5)
    assert recorder.seconds == heard_seconds and slow_ear.spoken() == heard_lines  # silent after Stop
    speaker.speak_event(ErrorEvent(kind="internal", message=trusted("The picture could not be read.")))
    assert slow_ear.wait_for(lambda lines: lines[-1:] == ["The picture could not be read."])
    speaker.close()
