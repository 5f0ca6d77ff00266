"""Screen readers on Windows and macOS, against their API boundaries (not run against the real
screen readers here: this is Linux).

NVDA: a stand-in for nvdaControllerClient.dll built with gcc from data/fake_nvda_controller.c,
with the same exported names and C signatures, loaded through the same ctypes code (argtypes and
restype set from NVDA_SIGNATURES). JAWS: a fake accessible_output2 output. VoiceOver: a fake AppKit.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import types
from pathlib import Path

import pytest

from assistant.safety import MASK, trusted
from assistant.speech.output import OutputFailed, Priority, Speaker
from assistant.speech.output.macos import VoiceOverOutput
from assistant.speech.output.windows import AccessibleOutput2Output, NvdaOutput, load_nvda_library

SOURCE = Path(__file__).parent / "data" / "fake_nvda_controller.c"


@pytest.fixture(scope="module")
def nvda_dll(tmp_path_factory):
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to build the stand-in NVDA controller client")
    path = tmp_path_factory.mktemp("nvda") / "nvdaControllerClient64.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-o", str(path), str(SOURCE)], check=True)
    return path


@pytest.fixture
def nvda(nvda_dll, tmp_path):
    library = load_nvda_library(nvda_dll)
    log = tmp_path / "nvda-calls.txt"
    control = ctypes.CDLL(str(nvda_dll))  # the same loaded library: the fake's own switches
    control.fake_set_log(str(log).encode())
    control.fake_set_running(1)
    calls = lambda: log.read_text(encoding="utf-8").splitlines() if log.exists() else []  # noqa: E731
    yield types.SimpleNamespace(output=NvdaOutput(library=library), calls=calls, control=control)
    control.fake_set_running(1)


def test_nvda_signatures_are_set_on_the_real_ctypes_functions(nvda_dll):
    library = load_nvda_library(nvda_dll)
    assert library.nvdaController_speakText.argtypes == [ctypes.c_wchar_p]
    assert library.nvdaController_speakText.restype is ctypes.c_ulong
    assert library.nvdaController_testIfRunning.argtypes == []


def test_nvda_speaks_queues_interrupts_and_brailles(nvda):
    out = nvda.output
    assert out.available and out.problem is None
    out.speak(trusted("Le café coûte 5 € — 東京."), Priority.QUEUE)
    out.speak(trusted("New answer."), Priority.INTERRUPT)
    out.braille(trusted(f"A {MASK} word."))
    out.stop()
    assert nvda.calls() == [
        "speakText\tLe café coûte 5 € — 東京.",  # wide strings cross the boundary intact
        "cancelSpeech\t",
        "speakText\tNew answer.",
        "brailleMessage\tA filtered word.",
        "cancelSpeech\t",
    ]


def test_nvda_not_running_is_a_plain_sentence_and_speak_fails(nvda):
    nvda.control.fake_set_running(0)
    assert nvda.output.available is False
    assert nvda.output.problem == "NVDA is not running."
    with pytest.raises(OutputFailed, match=r"NVDA did not take the message \(Windows error 1722\)"):
        nvda.output.speak(trusted("Hello."))


def test_nvda_through_the_speaker_streams_sentences_and_brailles_the_whole_answer(nvda):
    speaker = Speaker([nvda.output], mode="screen-reader")
    speaker.begin()
    for piece in ("Two buttons. ", "OK is ", "on the left."):
        speaker.feed(trusted(piece))
    speaker.finish()
    assert speaker.wait(10)
    assert nvda.calls() == [
        "cancelSpeech\t",  # begin(): the previous answer stops
        "speakText\tTwo buttons.",
        "speakText\tOK is on the left.",
        "brailleMessage\tTwo buttons. OK is on the left.",
    ]
    speaker.close()


def test_nvda_quitting_is_retried_once_then_the_user_is_told(nvda):
    notices: list[str] = []
    speaker = Speaker([nvda.output], notice=notices.append, mode="screen-reader")
    nvda.control.fake_set_running(0)
    speaker.say(trusted("Hello."))
    assert speaker.wait(10)
    assert notices == ["NVDA did not take the message (Windows error 1722). Answers are shown as text only."]
    assert speaker.active_outputs == []
    speaker.close()


def test_a_dll_without_the_functions_is_a_plain_problem(tmp_path):
    output = NvdaOutput(dll_path=shutil.which("true") or "/bin/true")  # not a library at all
    assert output.available is False
    assert output.problem == "NVDA's controller client could not be loaded."


# ---- JAWS through accessible_output2 ---------------------------------------------------------------
class FakeJaws:
    def __init__(self):
        self.calls: list[tuple] = []
        self.active = True
        self.object = types.SimpleNamespace(StopSpeech=lambda: self.calls.append(("StopSpeech",)))

    def is_active(self):
        return self.active

    def speak(self, text, interrupt=False):
        self.calls.append(("speak", text, interrupt))

    def braille(self, text):
        self.calls.append(("braille", text))


def test_jaws_speaks_interrupts_brailles_and_stops():
    jaws = FakeJaws()
    output = AccessibleOutput2Output(factory=lambda: jaws)
    assert output.available and output.name == "JAWS"
    output.speak(trusted("Queued."), Priority.QUEUE)
    output.speak(trusted("Now."), Priority.INTERRUPT)
    output.braille(trusted("Braille."))
    output.stop()
    assert jaws.calls == [
        ("speak", "Queued.", False),
        ("speak", "Now.", True),
        ("braille", "Braille."),
        ("StopSpeech",),
    ]


def test_jaws_not_installed_is_a_plain_sentence():
    def missing():
        raise RuntimeError("COM class not registered")

    output = AccessibleOutput2Output(factory=missing)
    assert output.available is False and output.problem == "JAWS is not installed."


# ---- VoiceOver ---------------------------------------------------------------------------------------
def fake_appkit(voiceover_on: bool = True):
    posted: list[tuple] = []
    window = object()
    kit = types.SimpleNamespace(
        NSAccessibilityAnnouncementKey="AXAnnouncementKey",
        NSAccessibilityPriorityKey="AXPriorityKey",
        NSAccessibilityAnnouncementRequestedNotification="AXAnnouncementRequested",
        NSApplication=types.SimpleNamespace(sharedApplication=lambda: types.SimpleNamespace(mainWindow=lambda: window)),
        NSWorkspace=types.SimpleNamespace(
            sharedWorkspace=lambda: types.SimpleNamespace(isVoiceOverEnabled=lambda: voiceover_on)
        ),
        NSAccessibilityPostNotificationWithUserInfo=lambda *args: posted.append(args),
    )
    return kit, posted, window


def test_voiceover_announcements_carry_text_and_priority_on_the_main_thread():
    kit, posted, window = fake_appkit()
    on_main: list = []
    output = VoiceOverOutput(appkit=kit, on_main=lambda f: (on_main.append(f), f()))
    assert output.available and output.problem is None
    output.speak(trusted(f"Answer with a {MASK} word."), Priority.INTERRUPT)
    output.speak(trusted("Working."), Priority.POLITE)
    assert len(on_main) == 2  # handed to the main thread, never posted from a worker
    assert posted == [
        (window, "AXAnnouncementRequested", {"AXAnnouncementKey": "Answer with a filtered word.", "AXPriorityKey": 90}),
        (window, "AXAnnouncementRequested", {"AXAnnouncementKey": "Working.", "AXPriorityKey": 10}),
    ]


def test_voiceover_off_is_a_plain_sentence():
    kit, _, _ = fake_appkit(voiceover_on=False)
    output = VoiceOverOutput(appkit=kit)
    assert output.available is False and output.problem == "VoiceOver is not running."
