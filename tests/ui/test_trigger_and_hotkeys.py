"""The single-instance trigger channel between two processes, the hotkey fallback message,
and the model manager's download failure and cancel paths."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread

ROOT = Path(__file__).resolve().parents[2]


def _trigger(action: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "trigger", action],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_trigger_reaches_running_app_from_another_process(qtbot, home):
    from ui.trigger import TriggerServer

    server = TriggerServer()
    assert server.listen()
    try:
        received = []
        server.triggered.connect(received.append)
        proc = _trigger("describe-screen")
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)  # our event loop answers it
        assert proc.returncode == 0, proc.stderr.read()
        assert received == ["describe_screen"]
        proc = _trigger("prompt_2")
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        assert proc.returncode == 0 and received == ["describe_screen", "prompt_2"]
    finally:
        server.close()


# What `trigger` imports, printed when it exits (a desktop shortcut waits for this process).
_IMPORTS_AT_EXIT = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr))\n"
    "from assistant.__main__ import main\n"
    "sys.argv = ['main.py', 'trigger', 'describe-screen']\n"
    "sys.exit(main())\n"
)


def test_trigger_sends_without_loading_the_rest_of_the_app(qtbot, home):
    """The action is delivered before the parser of every other command, the text gate (the
    word table, PIL) or the settings code is imported: they are only needed to print a sentence."""
    from ui.trigger import TriggerServer

    server = TriggerServer()
    assert server.listen()
    try:
        received = []
        server.triggered.connect(received.append)
        proc = subprocess.Popen(
            [sys.executable, "-c", _IMPORTS_AT_EXIT],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        stderr = proc.stderr.read()
        assert proc.returncode == 0, stderr
        assert received == ["describe_screen"]
        modules = set(stderr.split("MODULES", 1)[1].split())
        heavy = {"PIL", "assistant.safety", "assistant.events", "assistant.config", "assistant.cli.core"}
        assert not heavy & modules, heavy & modules
    finally:
        server.close()


def test_trigger_without_app_or_with_bad_action(home):
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "trigger", "describe_screen"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 3 and "not running" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "trigger", "make_coffee"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "Unknown action" in out.stderr


def test_second_start_brings_first_to_front(qtbot, window, home):
    """`python main.py` while the app runs: the new process hands over and exits."""
    from ui.trigger import TriggerServer

    server = TriggerServer(window)
    server.triggered.connect(window.trigger)
    assert server.listen()
    try:
        window.showMinimized()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        assert proc.returncode == 0 and "already running" in proc.stdout.read()
        assert not window.isMinimized()
    finally:
        server.close()


def test_trigger_actions_run_in_window(qtbot, window):
    window.trigger("ask")
    assert window.question.hasFocus() or window.focusWidget() is window.question
    window.trigger("repeat")
    assert "nothing to repeat" in window.status_label.text()
    window.trigger("prompt_9")
    assert "no saved prompt 9" in window.status_label.text()


def test_hotkeys_fall_back_to_trigger_with_instructions(monkeypatch):
    from ui import hotkeys

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no portal to ask
    manager = hotkeys.HotkeyManager(lambda action: None)
    assert manager.register({"describe_screen": "ctrl+alt+shift+d"}) is False
    assert not manager.active
    assert "Wayland" in manager.message and "trigger describe_screen" in manager.message
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)  # Windows has no geteuid
    # An ordinary user on X11 gets key grabs now (tests/hotkeys/test_x11_grabs.py presses them).
    from assistant.hotkeys import choose_backend
    from assistant.hotkeys.x11 import X11Backend

    assert hotkeys.unavailable_reason() is None and isinstance(choose_backend(), X11Backend)


def test_default_hotkeys_avoid_screen_reader_keys():
    from assistant.config import UiSettings
    from ui.hotkeys import validate_combo

    defaults = UiSettings().hotkeys
    assert all(validate_combo(c) is None for c in defaults.values())
    assert len(set(defaults.values())) == len(defaults)
    assert validate_combo("insert+f7") and validate_combo("d") and validate_combo("capslock+ctrl+d")


# ---- model manager ----------------------------------------------------------------------------
def test_model_manager_download_failure_is_a_clear_sentence(qtbot, settings):
    from ui.model_manager import ModelManager

    manager = ModelManager(settings)
    qtbot.addWidget(manager)
    manager.show()
    names = [manager.table.item(r, 0).text() for r in range(manager.table.rowCount())]
    assert "smolvlm-256m" in names
    row = names.index("smolvlm-256m")
    assert manager.table.item(row, 1).text() == "not installed"
    assert manager.table.item(row, 3).text() == "Apache-2.0" and manager.table.item(row, 2).text().endswith("MB")
    manager.table.setFocus()
    manager.table.selectRow(row)
    threads = []
    done = manager._done
    manager._done = lambda *a, **k: (threads.append(QThread.currentThread()), done(*a, **k))
    qtbot.keyClick(manager.download_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: manager.job is None, timeout=60000)
    assert threads == [manager.thread()]  # the outcome is handled in the GUI thread, not the download's
    text = manager.status.text()
    assert text.startswith("Could not download 'smolvlm-256m'") and "network" in text
    assert manager.download_button.isEnabled() and not manager.cancel_button.isEnabled()


class _SlowStore:
    """Stands in for ModelStore.pull's network part: reports progress until cancelled."""

    def __init__(self, registry):
        self.registry = registry
        self.reported = threading.Event()

    def is_installed(self, name):
        return False

    def pull(self, name, progress=None):
        done = 0
        while True:
            done += 1
            progress(done, 1000, "downloading")  # raises once the user cancels
            self.reported.set()
            threading.Event().wait(0.005)


def test_model_manager_cancel_download(qtbot, settings):
    from assistant.models import Registry
    from ui.model_manager import ModelManager

    store = _SlowStore(Registry())
    manager = ModelManager(settings, store=store)
    qtbot.addWidget(manager)
    manager.show()
    manager.table.selectRow(0)
    manager.download()
    qtbot.waitUntil(lambda: store.reported.is_set() and manager.progress.value() > 0, timeout=10000)
    assert manager.cancel_button.isEnabled()
    qtbot.keyClick(manager.cancel_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: manager.job is None, timeout=10000)
    assert manager.status.text().endswith("cancelled.")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Windows and macOS always have a display; Linux may not"
)
def test_app_without_display_says_so(home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 3 and "no graphical desktop" in out.stderr and "Traceback" not in out.stderr
