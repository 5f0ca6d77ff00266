"""Global hotkeys through the `keyboard` package: the Windows backend (it hooks the keyboard
with SetWindowsHookEx, no rights needed there). On Linux it needs root and /dev/input, so it
is used there only as a last resort."""

from __future__ import annotations

from collections.abc import Callable

from ..logs import get_logger
from .base import HotkeysUnavailable, Notice, Registration, ignore_notice
from .combo import MODIFIER_ORDER, Combo

log = get_logger(__name__)


def keyboard_combo(combo: Combo) -> str:
    names = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "super": "windows"}
    return "+".join([*(names[m] for m in MODIFIER_ORDER if m in combo.modifiers), combo.key])


class KeyboardBackend:
    name = "the keyboard package"

    def __init__(self) -> None:
        self._handles: list = []
        self.notice: Notice = ignore_notice

    def start(self, combos: dict[str, Combo], callback: Callable[[str], None]) -> Registration:
        try:
            import keyboard
        except ImportError:
            raise HotkeysUnavailable("The keyboard package is missing.") from None
        registration = Registration()
        for action, combo in combos.items():
            try:
                self._handles.append(keyboard.add_hotkey(keyboard_combo(combo), callback, args=(action,)))
                registration.bound.append(action)
            except (OSError, ValueError, RuntimeError) as exc:
                if not self._handles and isinstance(exc, OSError | RuntimeError):
                    raise HotkeysUnavailable(f"The keyboard cannot be read here ({exc}).") from None
                registration.problems.append(f"{combo.spoken()} cannot be used ({exc}).")
        return registration

    def stop(self) -> None:
        if not self._handles:
            return
        try:
            import keyboard

            for handle in self._handles:
                keyboard.remove_hotkey(handle)
        except (ImportError, OSError, ValueError, KeyError):
            log.exception("removing keyboard hotkeys")
        self._handles = []
