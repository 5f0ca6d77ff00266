"""The `trigger` command users bind to keys: quoted paths, the installed entry point or the
frozen executable, no console window on Windows, and the macOS Shortcuts script. The last
tests run the command built for this machine for real."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.platforms.launch import (
    CLI_ENTRY,
    GUI_ENTRY,
    Installation,
    binding_hint,
    current,
    macos_shortcut_script,
    trigger_argv,
    trigger_command,
)

ROOT = Path(__file__).resolve().parents[2]
WIN_SCRIPTS = r"C:\Users\Ann Lee\AppData\Roaming\Python\Python311\Scripts"
WIN_PYTHON = r"C:\Program Files\Python311\python.exe"


def test_windows_uses_the_windowed_gui_entry_point_quoted():
    inst = Installation(
        "win32",
        WIN_PYTHON,
        scripts={
            GUI_ENTRY: WIN_SCRIPTS + r"\screen-assistant-gui.exe",
            CLI_ENTRY: WIN_SCRIPTS + r"\screen-assistant.exe",
        },
        windowed_python=r"C:\Program Files\Python311\pythonw.exe",
    )
    assert trigger_command("describe_screen", inst) == (
        '"C:\\Users\\Ann Lee\\AppData\\Roaming\\Python\\Python311\\Scripts\\screen-assistant-gui.exe" '
        "trigger describe_screen"
    )


def test_windows_without_the_gui_entry_point_uses_pythonw_not_a_console():
    inst = Installation(
        "win32",
        WIN_PYTHON,
        scripts={CLI_ENTRY: WIN_SCRIPTS + r"\screen-assistant.exe"},
        windowed_python=r"C:\Program Files\Python311\pythonw.exe",
    )
    assert trigger_argv("read_text", inst) == [
        r"C:\Program Files\Python311\pythonw.exe",
        "-m",
        "assistant",
        "trigger",
        "read_text",
    ]
    assert trigger_command("read_text", inst).startswith('"C:\\Program Files\\Python311\\pythonw.exe" -m assistant')


def test_frozen_build_calls_itself():
    exe = r"C:\Users\Ann Lee\AppData\Local\Programs\Screen Assistant\ScreenAssistant.exe"
    inst = Installation("win32", exe, frozen=True, windowed_python=None)
    assert trigger_command("describe_window", inst) == f'"{exe}" trigger describe_window'
    app = "/Applications/Screen Assistant.app/Contents/MacOS/Screen Assistant"
    inst = Installation("darwin", app, frozen=True)
    assert trigger_command("describe_window", inst) == f"'{app}' trigger describe_window"


@pytest.mark.parametrize("home", ["/home/ann", "/home/Ann Lee", "/home/o'brien"])
def test_linux_and_macos_use_the_console_entry_point_and_split_back(home):
    script = f"{home}/.local/bin/screen-assistant"
    inst = Installation("linux", "/usr/bin/python3", scripts={CLI_ENTRY: script})
    command = trigger_command("describe_screen", inst)
    assert shlex.split(command) == [script, "trigger", "describe_screen"]


def test_without_any_entry_point_python_runs_the_package():
    inst = Installation("linux", "/opt/py/bin/python3")
    assert trigger_argv("repeat", inst) == ["/opt/py/bin/python3", "-m", "assistant", "trigger", "repeat"]
    assert "main.py" not in trigger_command("repeat", inst)


def test_macos_shortcut_script_is_one_absolute_command():
    script_path = "/Users/ann/.local/bin/screen-assistant"
    inst = Installation(
        "darwin", "/Users/ann/.local/pipx/venvs/screen-assistant/bin/python", scripts={CLI_ENTRY: script_path}
    )
    script = macos_shortcut_script("describe_window", inst)
    assert script == "exec /Users/ann/.local/bin/screen-assistant trigger describe_window"
    assert "\n" not in script and shlex.split(script)[1].startswith("/")
    hint = binding_hint("describe_window", inst)
    assert "Shortcuts app" in hint and "Run Shell Script" in hint and script_path in hint


def test_hints_per_system():
    windows = Installation("win32", WIN_PYTHON, scripts={GUI_ENTRY: WIN_SCRIPTS + r"\screen-assistant-gui.exe"})
    assert "Shortcut key" in binding_hint("describe_screen", windows)
    linux = Installation("linux", "/usr/bin/python3", scripts={CLI_ENTRY: "/usr/bin/screen-assistant"})
    assert "keyboard shortcut settings" in binding_hint("describe_screen", linux)


def test_hotkey_fallback_message_names_the_quoted_command(monkeypatch):
    from assistant.platforms import launch
    from ui import hotkeys

    mac = Installation("darwin", "/usr/bin/python3", scripts={CLI_ENTRY: "/Users/Ann Lee/.local/bin/screen-assistant"})
    monkeypatch.setattr(launch, "current", lambda: mac)
    monkeypatch.setattr(sys, "platform", "darwin")
    manager = hotkeys.HotkeyManager(lambda action: None)
    assert manager.register({"describe_screen": "ctrl+alt+shift+d"}) is False
    assert "Shortcuts app" in manager.message
    assert "'/Users/Ann Lee/.local/bin/screen-assistant' trigger describe_screen" in manager.message
    assert "main.py" not in manager.message


# ---- the command built for this machine, run for real -----------------------------------------
def test_this_installation_runs_its_trigger_command(home):
    """No app is running in the test's home: the command must start, parse the action and say
    so (exit 3), which proves the quoting and the entry point on this system."""
    argv = trigger_argv("describe_screen", current())
    assert "main.py" not in " ".join(argv)
    out = subprocess.run(argv, cwd=home.parent, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, (argv, out.stderr[-2000:])
    windowed = sys.platform == "win32"  # pythonw / the GUI launcher have no stderr to write to
    assert windowed or "not running" in out.stderr, (argv, out.stderr[-2000:])


def test_python_dash_m_assistant_is_the_cli(home):
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "trigger", "make_coffee"],
        cwd=home.parent,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "Unknown action" in out.stderr
