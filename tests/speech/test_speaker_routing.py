"""Which outputs "Speak with" picks, screen-reader detection, and the Speaker's behaviour with
outputs that fail, hang or recover (fake outputs: the real ones have their own tests)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import types

import pytest

from assistant.safety import trusted
from assistant.speech.output import OutputFailed, Priority, ScreenReader, Speaker, make_speaker, normalise_mode
from assistant.speech.output.base import CallbackOutput
from assistant.speech.output.detect import atspi_screen_reader_enabled, screen_reader_process
from assistant.speech.output.speaker import choose_outputs


class FakeOutput:
    def __init__(self, name="fake", available=True, problem=None, has_braille=False, fail_times=0, block=None):
        self.name, self._available, self._problem = name, available, problem
        self.has_braille = has_braille
        self.fail_times = fail_times
        self.block = block  # an Event the first speak waits on (a hung screen reader)
        self.entered = threading.Event()
        self.calls: list[tuple] = []
        self.reconnects = 0

    @property
    def available(self):
        return self._available

    @property
    def problem(self):
        return None if self._available else self._problem

    def speak(self, text, priority=Priority.QUEUE):
        self.entered.set()
        if self.block is not None:
            self.block.wait(10)
            self.block = None
        if self.fail_times:
            self.fail_times -= 1
            raise OutputFailed(f"{self.name} stopped answering.")
        self.calls.append(("speak", str(text), priority))

    def stop(self):
        self.calls.append(("stop",))

    def braille(self, text):
        self.calls.append(("braille", str(text)))

    def reconnect(self):
        self.reconnects += 1

    def close(self):
        self.calls.append(("close",))


VOICE = FakeOutput("own voice")


def own_voice():
    return VOICE


# ---- choosing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "reader", "expected"),
    [
        ("auto", ScreenReader("Orca"), ["speech-dispatcher"]),
        ("auto", ScreenReader(None), ["own voice"]),
        ("screen-reader", ScreenReader(None), ["speech-dispatcher"]),  # chosen: used even if undetected
        ("both", ScreenReader("Orca"), ["speech-dispatcher", "own voice"]),
        ("voice", ScreenReader("Orca"), ["own voice"]),
        ("text", ScreenReader("Orca"), []),
    ],
)
def test_speak_with_picks_the_outputs(mode, reader, expected):
    outputs, notes = choose_outputs(mode, reader, [FakeOutput("speech-dispatcher")], own_voice)
    assert [o.name for o in outputs] == expected and notes == []


def test_the_first_working_screen_reader_wins_nvda_before_jaws():
    candidates = [FakeOutput("NVDA", available=False, problem="NVDA is not running."), FakeOutput("JAWS")]
    outputs, _ = choose_outputs("auto", ScreenReader("JAWS"), candidates, own_voice)
    assert [o.name for o in outputs] == ["JAWS"]


def test_no_screen_reader_after_all_falls_back_to_the_own_voice_and_says_why():
    candidates = [FakeOutput("speech-dispatcher", available=False, problem="speech-dispatcher is not running.")]
    outputs, notes = choose_outputs("screen-reader", ScreenReader(None), candidates, own_voice)
    assert [o.name for o in outputs] == ["own voice"]
    assert notes == ["speech-dispatcher is not running. Speaking with the app's own voice instead."]


@pytest.mark.parametrize(
    ("given", "mode"),
    [
        (None, "auto"),
        ("Screen reader", "screen-reader"),
        ("screen_reader", "screen-reader"),
        ("own voice", "voice"),
        ("BOTH", "both"),
        ("text only", "text"),
        ("off", "text"),
    ],
)
def test_mode_names_are_forgiving(given, mode):
    assert normalise_mode(given) == mode


def test_an_unknown_mode_is_a_plain_sentence():
    with pytest.raises(
        ValueError, match="Speak with must be one of auto, screen-reader, voice, both, text, not 'loud'."
    ):
        normalise_mode("loud")


def test_make_speaker_reports_its_choice_and_tells_the_user_once():
    notices: list[str] = []
    speaker = make_speaker(
        "screen-reader",
        None,
        notices.append,
        tts=types.SimpleNamespace(can_speak=True, problem=None, stop=lambda: None),
        detect=lambda: ScreenReader(None),
        candidates=[FakeOutput("NVDA", available=False, problem="NVDA is not running.")],
        platform="win32",
    )
    assert speaker.active_outputs == ["own voice"]
    assert notices == ["NVDA is not running. Speaking with the app's own voice instead."]
    speaker.close()


def test_an_own_voice_without_a_sound_device_is_dropped_at_start_with_a_sentence():
    notices: list[str] = []
    started = time.monotonic()
    no_device = types.SimpleNamespace(can_speak=False, problem="No audio output device was found.", stop=lambda: None)
    speaker = make_speaker("voice", None, notices.append, tts=no_device)
    assert time.monotonic() - started < 5  # hang guard: the check runs on the output's own thread
    assert speaker.wait(5)
    assert speaker.active_outputs == [] and speaker.available is False
    assert notices == ["No audio output device was found. Answers are shown as text only."]
    speaker.close()


def test_text_only_has_no_outputs_and_says_so():
    speaker = make_speaker("text", None, None)
    assert speaker.active_outputs == [] and speaker.problem == "Speech is off: answers are shown as text only."
    speaker.say(trusted("Nothing is spoken."))
    assert speaker.wait(5)
    speaker.close()


# ---- the Speaker -----------------------------------------------------------------------------------
def test_every_output_gets_every_sentence_and_stop_reaches_all_at_once():
    a, b = FakeOutput("a"), FakeOutput("b", has_braille=True)
    speaker = Speaker([a, b])
    speaker.say(trusted("One."), Priority.POLITE)
    assert speaker.wait(5)
    speaker.stop()
    assert speaker.wait(5)
    assert a.calls == [("speak", "One.", Priority.POLITE), ("stop",)]
    assert b.calls == [("speak", "One.", Priority.POLITE), ("braille", "One."), ("stop",)]
    speaker.close()


def test_a_hung_output_blocks_neither_the_caller_nor_the_other_outputs():
    hang = threading.Event()
    slow, fast = FakeOutput("hung", block=hang), FakeOutput("fine")
    speaker = Speaker([slow, fast])
    started = time.monotonic()
    speaker.say(trusted("Hello."))
    assert slow.entered.wait(5) and fast.entered.wait(5)
    speaker.stop()
    assert time.monotonic() - started < 5  # hang guard: say() and stop() return at once
    deadline = time.monotonic() + 5
    while len(fast.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fast.calls == [("speak", "Hello.", Priority.QUEUE), ("stop",)]
    assert slow.calls == []  # still stuck inside the hung screen reader
    hang.set()
    assert speaker.wait(5)
    speaker.close()


def test_one_failure_is_retried_after_reconnecting_and_nobody_is_bothered():
    flaky = FakeOutput("speech-dispatcher", fail_times=1)
    notices: list[str] = []
    speaker = Speaker([flaky], notice=notices.append)
    speaker.say(trusted("Hello."))
    assert speaker.wait(5)
    assert flaky.reconnects == 1 and flaky.calls == [("speak", "Hello.", Priority.QUEUE)] and notices == []
    speaker.close()


def test_a_second_failure_drops_the_output_and_names_what_still_speaks():
    broken, voice = FakeOutput("NVDA", fail_times=2), FakeOutput("own voice")
    notices: list[str] = []
    speaker = Speaker([broken, voice], notice=notices.append)
    speaker.say(trusted("Hello."))
    speaker.say(trusted("Again."))
    assert speaker.wait(5)
    assert speaker.active_outputs == ["own voice"]
    assert notices == ["NVDA stopped answering. Still speaking with own voice."]
    assert [c[1] for c in voice.calls if c[0] == "speak"] == ["Hello.", "Again."]
    speaker.revive()
    assert speaker.active_outputs == ["NVDA", "own voice"]
    speaker.close()


def test_interrupt_drops_what_was_queued_but_not_yet_handed_over():
    hang = threading.Event()
    output = FakeOutput("sr", block=hang)
    speaker = Speaker([output])
    speaker.say(trusted("First."))
    assert output.entered.wait(5)  # held up inside the output
    speaker.say(trusted("Stale one."))
    speaker.say(trusted("Stale two."))
    speaker.say(trusted("Fresh."), Priority.INTERRUPT)
    hang.set()
    assert speaker.wait(5)
    assert [c[1] for c in output.calls] == ["First.", "Fresh."]
    speaker.close()


def test_announcement_hook_gets_only_polite_status_by_default():
    heard: list[tuple] = []
    hook = CallbackOutput("AT-SPI announcements", lambda text, priority: heard.append((str(text), priority)))
    speaker = Speaker([])
    speaker.add_output(hook)
    speaker.say(trusted("Working."), Priority.POLITE)
    speaker.say(trusted("The answer."), Priority.QUEUE)
    assert speaker.wait(5)
    assert heard == [("Working.", Priority.POLITE)]
    speaker.close()


# ---- detection -------------------------------------------------------------------------------------
def test_orca_is_found_in_the_process_list(tmp_path):
    for pid, argv in {"101": [b"/usr/bin/python3", b"/usr/bin/orca", b"--replace"], "102": [b"orca-helper"]}.items():
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
    (tmp_path / "self").mkdir()
    assert screen_reader_process(tmp_path) == "Orca"
    (tmp_path / "101" / "cmdline").write_bytes(b"/usr/bin/gedit\0")
    assert screen_reader_process(tmp_path) is None


@pytest.fixture
def private_session_bus(monkeypatch, tmp_path):
    launcher = "/usr/libexec/at-spi-bus-launcher"
    if not (shutil.which("dbus-daemon") and os.path.exists(launcher)):
        pytest.skip("needs dbus-daemon and at-spi2-core's at-spi-bus-launcher")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    bus_launcher = subprocess.Popen(
        [launcher],
        env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield address
    for process in (bus_launcher, daemon):
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(5)


def test_the_atspi_screen_reader_flag_is_read_from_the_session_bus(private_session_bus):
    from jeepney import DBusAddress, Properties
    from jeepney.io.blocking import open_dbus_connection

    deadline = time.monotonic() + 10
    status = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Status")
    with open_dbus_connection(bus="SESSION") as connection:
        while time.monotonic() < deadline:  # the launcher needs a moment to claim its name
            try:
                connection.send_and_get_reply(Properties(status).set("ScreenReaderEnabled", "b", False), timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        assert atspi_screen_reader_enabled(timeout=2) is False
        connection.send_and_get_reply(Properties(status).set("ScreenReaderEnabled", "b", True), timeout=2)
    assert atspi_screen_reader_enabled(timeout=2) is True


def test_without_a_session_bus_there_is_no_flag(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert atspi_screen_reader_enabled() is False
