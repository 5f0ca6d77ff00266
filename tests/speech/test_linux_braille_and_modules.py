"""Loading the system's speechd / brlapi modules into the venv, and braille through BrlAPI."""

from __future__ import annotations

import sys
import types

import pytest

from assistant.safety import MASK, trusted
from assistant.speech.output import OutputFailed, Speaker
from assistant.speech.output.braille import BrlapiOutput, load_brlapi
from assistant.speech.output.system_modules import import_system_module, system_site_dirs


def test_only_the_named_module_is_loaded_from_the_system_folder(tmp_path, monkeypatch):
    package = tmp_path / "fakesysmod"
    package.mkdir()
    (package / "__init__.py").write_text("from . import helper\nVALUE = helper.VALUE\n")
    (package / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "numpy").mkdir()  # a system numpy must never shadow the venv's
    (tmp_path / "numpy" / "__init__.py").write_text("raise RuntimeError('shadowed')\n")
    monkeypatch.delitem(sys.modules, "fakesysmod", raising=False)
    module = import_system_module("fakesysmod", dirs=[tmp_path])
    assert module is not None and module.VALUE == 42
    import numpy

    assert "site-packages" in numpy.__file__ and str(tmp_path) not in sys.path
    monkeypatch.delitem(sys.modules, "fakesysmod")


def test_a_compiled_module_for_another_python_is_not_loaded(tmp_path):
    (tmp_path / "othermod.cpython-39-x86_64-linux-gnu.so").write_bytes(b"\x7fELF not really")
    (tmp_path / "othermod.so").write_bytes(b"\x7fELF no abi tag")
    assert import_system_module("othermod", dirs=[tmp_path]) is None


def test_the_debian_speechd_client_loads_into_the_venv():
    if not any((d / "speechd" / "__init__.py").exists() for d in system_site_dirs()):
        pytest.skip("python3-speechd is not installed")
    speechd = import_system_module("speechd")
    assert speechd is not None and hasattr(speechd, "SSIPClient") and speechd.Priority.MESSAGE == "message"


# ---- braille ------------------------------------------------------------------------------------------
class FakeConnection:
    def __init__(self, log):
        self.log = log
        self.displaySize = (20, 1)

    def enterTtyModeWithPath(self, path=None):
        self.log.append(("enter",))

    def writeText(self, text, cursor=None):
        self.log.append(("write", text))

    def leaveTtyMode(self):
        self.log.append(("leave",))

    def closeConnection(self):
        self.log.append(("close",))


def fake_brlapi(log, running=True):
    def connect():
        if not running:
            raise OSError("connection refused")
        return FakeConnection(log)

    return types.SimpleNamespace(Connection=connect)


def test_braille_shows_a_display_full_then_hands_the_display_back():
    log: list[tuple] = []
    output = BrlapiOutput(brlapi=fake_brlapi(log), hold_seconds=60)
    assert output.available
    output.braille(trusted(f"A {MASK} word on a long line of text."))
    output.braille(trusted("Second."))
    output.stop()  # Stop hands the display back at once
    output.close()
    assert log == [
        ("enter",),
        ("write", "A filtered word on a"),  # 20 cells
        ("write", "Second."),
        ("leave",),
        ("close",),
    ]


def test_the_speaker_brailles_the_whole_streamed_answer_once():
    log: list[tuple] = []
    speaker = Speaker([BrlapiOutput(brlapi=fake_brlapi(log), hold_seconds=60)])
    speaker.begin()
    speaker.feed(trusted("Two. "))
    speaker.feed(trusted("Three."))
    speaker.finish()
    assert speaker.wait(5)
    assert [entry for entry in log if entry[0] == "write"] == [("write", "Two. Three.")]
    speaker.close()


def test_no_brltty_is_a_plain_sentence():
    output = BrlapiOutput(brlapi=fake_brlapi([], running=False))
    assert output.available is False and output.problem == "No braille display: brltty is not running."
    with pytest.raises(OutputFailed):
        output.braille(trusted("Hello."))


def test_real_brlapi_when_brltty_runs():
    brlapi = load_brlapi()
    if brlapi is None:
        pytest.skip("python3-brlapi is not installed")
    output = BrlapiOutput(brlapi=brlapi, hold_seconds=0.1)
    if not output.available:
        pytest.skip("brltty is not running here (no braille display to write to)")
    output.braille(trusted("Screen assistant braille test."))
    output.close()
