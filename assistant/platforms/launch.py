"""The command line that reaches the running app (`trigger ACTION`), for users to bind to a key
where the app cannot grab global hotkeys itself.

Why: the hint used to say `python.exe …/main.py trigger …`, unquoted. That broke on paths
with spaces ("C:\\Program Files", "Ann Lee"), opened a console window on Windows, and named
main.py, a file of the source checkout that an installed or frozen app does not have. Now, in
order of preference:
- a frozen build (PyInstaller, py2app): its own executable, `… trigger ACTION`;
- Windows: the GUI entry point `screen-assistant-gui.exe` (a windowed launcher: no console
  flashes up), else `pythonw.exe -m assistant`, else the console entry point;
- macOS and Linux: the console entry point `screen-assistant`, else `python -m assistant`.
Paths are absolute (macOS Shortcuts and desktop key bindings run with a minimal PATH) and
quoted for the system that runs them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field

CLI_ENTRY = "screen-assistant"
GUI_ENTRY = "screen-assistant-gui"


@dataclass(frozen=True)
class Installation:
    """How this copy of the app is installed; `current()` reads it, tests build their own."""

    platform: str  # sys.platform
    executable: str  # sys.executable (the app itself when frozen)
    frozen: bool = False
    scripts: dict[str, str] = field(default_factory=dict)  # entry point name -> launcher path
    windowed_python: str | None = None  # pythonw.exe beside python.exe (Windows)


def current() -> Installation:
    windows = sys.platform == "win32"
    suffix = ".exe" if windows else ""
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts")]
    scripts = {}
    for name in (CLI_ENTRY, GUI_ENTRY):
        found = next(
            (os.path.join(d, name + suffix) for d in folders if os.path.isfile(os.path.join(d, name + suffix))), None
        )
        found = found or shutil.which(name)
        if found:
            scripts[name] = os.path.abspath(found)
    pythonw = os.path.join(os.path.dirname(sys.executable), "pythonw.exe") if windows else None
    return Installation(
        platform=sys.platform,
        executable=os.path.abspath(sys.executable),
        frozen=bool(getattr(sys, "frozen", False)),
        scripts=scripts,
        windowed_python=pythonw if pythonw and os.path.isfile(pythonw) else None,
    )


def trigger_argv(action: str, installation: Installation | None = None) -> list[str]:
    inst = installation or current()
    if inst.frozen:
        return [inst.executable, "trigger", action]
    if inst.platform == "win32":
        if GUI_ENTRY in inst.scripts:
            return [inst.scripts[GUI_ENTRY], "trigger", action]
        if inst.windowed_python:
            return [inst.windowed_python, "-m", "assistant", "trigger", action]
    if CLI_ENTRY in inst.scripts:
        return [inst.scripts[CLI_ENTRY], "trigger", action]
    return [inst.executable, "-m", "assistant", "trigger", action]


def command_line(argv: list[str], platform: str) -> str:
    """One line the system's own launcher splits back into `argv`."""
    return subprocess.list2cmdline(argv) if platform == "win32" else shlex.join(argv)


def trigger_command(action: str, installation: Installation | None = None) -> str:
    inst = installation or current()
    return command_line(trigger_argv(action, inst), inst.platform)


def macos_shortcut_script(action: str, installation: Installation | None = None) -> str:
    """The text of a "Run Shell Script" action (Shortcuts app or Automator Quick Action) that
    sends `action` to the running app. Absolute paths: those actions run with a minimal PATH.
    `exec` so the shortcut finishes when the command does."""
    inst = installation or current()
    return "exec " + command_line(trigger_argv(action, inst), "darwin")


def binding_hint(action: str = "describe_screen", installation: Installation | None = None) -> str:
    """One or two sentences telling the user how to bind a key to an action on this system."""
    inst = installation or current()
    command = trigger_command(action, inst)
    if inst.platform == "darwin":
        return (
            "In the Shortcuts app, make a shortcut with a Run Shell Script action that runs: "
            f"{command}. Then give the shortcut a keyboard shortcut in its details."
        )
    if inst.platform == "win32":
        return f"Make a desktop shortcut to this command and set its Shortcut key in Properties: {command}"
    return f"Bind keys in your desktop's keyboard shortcut settings to commands like: {command}"
