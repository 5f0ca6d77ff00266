"""Global hotkeys for the app: the Qt-free manager of assistant.hotkeys (X11 key grabs, the
Wayland GlobalShortcuts portal, the keyboard package on Windows) plus what the GUI adds: the
command names users hear, and the `screen-assistant trigger ACTION` hint for desktops where no
backend works, which users bind in their desktop's own keyboard settings (macOS: a Shortcuts
shortcut); the command itself is built by assistant.platforms.launch (quoted, installed entry
point or frozen executable, no console window on Windows).
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.commands import COMMANDS
from assistant.hotkeys import HotkeyManager as _Manager
from assistant.hotkeys import unavailable_reason, validate_combo
from assistant.platforms import launch

__all__ = ["HotkeyManager", "trigger_command", "trigger_hint", "unavailable_reason", "validate_combo"]


def trigger_command(action: str) -> str:
    """The command line that sends `action` to the running app, quoted for this system."""
    return launch.trigger_command(action)


def trigger_hint(action: str = "describe_screen") -> str:
    """How to bind a key to `action` on this system, with the command to bind."""
    return launch.binding_hint(action)


class HotkeyManager(_Manager):
    """`callback(action)` is called from the backend's thread, so the caller must hop to the
    GUI thread (the app passes a queued signal's emit); so must `notice(message)`."""

    def __init__(self, callback: Callable[[str], None], notice: Callable[[str], None] | None = None, **kw):
        kw.setdefault("hint", trigger_hint("describe_screen"))
        kw.setdefault("labels", {c.id: c.plain_label for c in COMMANDS if c.hotkey or c.global_})
        super().__init__(callback, notice=notice, **kw)
