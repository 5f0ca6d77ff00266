"""Global hotkeys for the app: the Qt-free manager of assistant.hotkeys (X11 key grabs, the
Wayland GlobalShortcuts portal, the keyboard package on Windows) plus what the GUI adds: the
action names users hear, and the `main.py trigger ACTION` hint for desktops where no backend
works, which users bind in their desktop's own keyboard settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from assistant.hotkeys import HotkeyManager as _Manager
from assistant.hotkeys import unavailable_reason, validate_combo

from .actions import ACTIONS

__all__ = ["TRIGGER_HINT", "HotkeyManager", "trigger_command", "unavailable_reason", "validate_combo"]

TRIGGER_HINT = "Bind keys in your desktop's keyboard shortcut settings to commands like: {command}"


def trigger_command(action: str) -> str:
    main = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "main.py")
    return f"{sys.executable} {main} trigger {action}"


class HotkeyManager(_Manager):
    """`callback(action)` is called from the backend's thread, so the caller must hop to the
    GUI thread (the app passes a queued signal's emit); so must `notice(sentence)`."""

    def __init__(self, callback: Callable[[str], None], notice: Callable[[str], None] | None = None, **kw):
        kw.setdefault("hint", TRIGGER_HINT.format(command=trigger_command("describe_screen")))
        kw.setdefault("labels", dict(ACTIONS))
        super().__init__(callback, notice=notice, **kw)
