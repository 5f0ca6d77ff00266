"""Global hotkeys through the `keyboard` package, where the OS lets it work.

The keyboard package needs Windows, or Linux as root with access to /dev/input, and never
works under Wayland. Elsewhere we say so and point to `screen-assistant trigger ACTION`, which
the user binds in their desktop's own keyboard settings (macOS: a Shortcuts shortcut); the
command itself is built by assistant.platforms.launch (quoted, installed entry point or frozen
executable, no console window on Windows).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from assistant.platforms import launch


def trigger_command(action: str) -> str:
    """The command line that sends `action` to the running app, quoted for this system."""
    return launch.trigger_command(action)


def trigger_hint(action: str = "describe_screen") -> str:
    """How to bind a key to `action` on this system, with the command to bind."""
    return launch.binding_hint(action)


def unavailable_reason() -> str | None:
    """Why global hotkeys cannot work here, as a sentence; None if they can be tried."""
    if os.environ.get("SCREEN_ASSISTANT_NO_HOTKEYS"):
        return "Global hotkeys are turned off."
    if sys.platform.startswith("linux"):
        if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
            return "Global hotkeys cannot be read under Wayland."
        if hasattr(os, "geteuid") and os.geteuid() != 0:
            return "Global hotkeys need administrator rights and access to input devices on Linux."
        if not os.path.isdir("/dev/input") or not any(n.startswith("event") for n in os.listdir("/dev/input")):
            return "Global hotkeys need access to input devices, and none were found."
    elif sys.platform == "darwin":
        return "Global hotkeys are not supported on this system."
    return None


class HotkeyManager:
    """Registers action hotkeys; `callback(action)` is called from the keyboard thread, so the
    caller must hop to the GUI thread (the app passes a queued signal's emit)."""

    def __init__(self, callback: Callable[[str], None]):
        self._callback = callback
        self._handles: list = []
        self.active = False
        self.message = ""

    def register(self, hotkeys: dict[str, str]) -> bool:
        self.unregister()
        reason = unavailable_reason()
        if reason is None:
            try:
                import keyboard

                for action, combo in hotkeys.items():
                    if combo:
                        self._handles.append(keyboard.add_hotkey(combo, self._callback, args=(action,)))
                self.active = True
                self.message = "Global hotkeys are on."
                return True
            except (ImportError, OSError, ValueError, RuntimeError) as exc:
                self.unregister()
                reason = f"Global hotkeys could not start ({type(exc).__name__}: {exc})."
        self.active = False
        self.message = f"{reason} " + trigger_hint("describe_screen")
        return False

    def unregister(self) -> None:
        if self._handles:
            try:
                import keyboard

                for handle in self._handles:
                    keyboard.remove_hotkey(handle)
            except (ImportError, OSError, ValueError, KeyError):
                pass
        self._handles = []
        self.active = False


def validate_combo(combo: str) -> str | None:
    """None if `combo` is a usable hotkey like ctrl+alt+shift+d; else a sentence saying why not."""
    combo = combo.strip().lower()
    if not combo:
        return None  # empty means: no hotkey for this action
    parts = [p.strip() for p in combo.split("+")]
    if any(not p for p in parts):
        return f"'{combo}' has an empty key between plus signs."
    modifiers = {"ctrl", "alt", "shift", "windows", "win", "super", "cmd"}
    if "insert" in parts or "caps lock" in parts or "capslock" in parts:
        return f"'{combo}' uses Insert or Caps Lock, which screen readers use as their own modifier."
    if not any(p in modifiers for p in parts[:-1]):
        return f"'{combo}' needs at least one modifier such as ctrl or alt, so it does not steal a normal key."
    return None
