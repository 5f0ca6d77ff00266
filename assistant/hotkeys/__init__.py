"""Global hotkeys, Qt-free: one manager, one backend per platform, and a plain sentence that
says which backend is active (or why none is).

  Linux, X11         X11 key grabs (XGrabKey through python-xlib): an ordinary user is enough
  Linux, Wayland     the desktop's xdg-desktop-portal GlobalShortcuts interface, where offered
  Windows            the keyboard package
  macOS / elsewhere  none: bind `main.py trigger ACTION` in the system's keyboard settings

`callback(action)` runs on the backend's thread: a GUI must hop to its own thread (the app
passes a queued Qt signal's emit).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..logs import get_logger
from .base import HotkeyBackend, HotkeysUnavailable, Notice, Registration
from .combo import Combo, parse_combo, validate_combo

log = get_logger(__name__)

__all__ = [
    "Combo",
    "HotkeyBackend",
    "HotkeyManager",
    "HotkeysUnavailable",
    "Notice",
    "Registration",
    "choose_backend",
    "parse_combo",
    "unavailable_reason",
    "validate_combo",
]


def _wayland() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) or os.environ.get("XDG_SESSION_TYPE") == "wayland"


def unavailable_reason() -> str | None:
    """Why no backend can even be tried here, as a sentence; None if one can."""
    if os.environ.get("SCREEN_ASSISTANT_NO_HOTKEYS"):
        return "Global hotkeys are turned off."
    if sys.platform.startswith("linux"):
        if not _wayland() and not os.environ.get("DISPLAY"):
            return "There is no graphical desktop to take global hotkeys from."
        return None
    if sys.platform == "win32":
        return None
    return "Global hotkeys are not supported on this system."


def choose_backend(labels: dict[str, str] | None = None) -> HotkeyBackend | None:
    """The backend for this desktop, or None (see unavailable_reason)."""
    if unavailable_reason() is not None:
        return None
    if sys.platform == "win32":
        from .keyboard_backend import KeyboardBackend

        return KeyboardBackend()
    if _wayland():
        # X11 grabs under XWayland only see keys while an X window has focus: use the portal.
        from .portal import PortalBackend

        return PortalBackend(labels=labels)
    from .x11 import X11Backend

    return X11Backend()


class HotkeyManager:
    """register({action: "ctrl+alt+shift+d"}) -> bool; `.active`, `.backend_name` and
    `.message` (a sentence naming the active backend, or why hotkeys are off); unregister()."""

    def __init__(
        self,
        callback: Callable[[str], None],
        hint: str = "",
        labels: dict[str, str] | None = None,
        notice: Callable[[str], None] | None = None,
        backend_factory: Callable[[], HotkeyBackend | None] | None = None,
    ):
        self._callback = callback
        self.hint = hint  # what to do instead, said when hotkeys are off (the GUI names `trigger`)
        self.labels = labels or {}
        self.notice = notice  # later news, as the new .message (called on the backend's thread)
        self._injected = backend_factory is not None
        self._factory = backend_factory or (lambda: choose_backend(self.labels))
        self._backend: HotkeyBackend | None = None
        self.active = False
        self.backend_name = ""
        self.message = ""

    def register(self, hotkeys: dict[str, str]) -> bool:
        self.unregister()
        combos, problems = {}, []
        for action, text in hotkeys.items():
            if not text or not text.strip():
                continue
            try:
                combos[action] = parse_combo(text)
            except ValueError as exc:
                problems.append(str(exc))
        reason = None if self._injected else unavailable_reason()
        backend = None if reason else self._factory()
        if backend is None:
            return self._off(reason or "Global hotkeys are not supported here.")
        if not combos:
            return self._off("No global hotkeys are set.", backend)
        backend.notice = lambda sentence, active: self._on_notice(backend, sentence, active)
        try:
            registration = backend.start(combos, self._callback)
        except HotkeysUnavailable as exc:
            return self._off(exc.message, backend)
        except Exception:
            log.exception("starting global hotkeys through %s", backend.name)
            return self._off(f"Global hotkeys through {backend.name} could not start.", backend)
        problems += [self._with_action(p, combos) for p in registration.problems]
        if not registration.bound:
            return self._off(" ".join(problems) or "No global hotkey could be set.", backend)
        self._backend = backend
        self.active = True
        self.backend_name = backend.name
        self.message = f"Global hotkeys are on, through {backend.name}."
        if registration.pending:
            self.message = f"Global hotkeys: asking {backend.name} for the keys."
        if problems:
            self.message += " " + " ".join(problems) + " Choose other keys in Settings."
        return True

    def unregister(self) -> None:
        if self._backend is not None:
            try:
                self._backend.stop()
            except Exception:
                log.exception("stopping global hotkeys")
        self._backend = None
        self.active = False

    def _off(self, reason: str, backend: HotkeyBackend | None = None) -> bool:
        self.active = False
        self.backend_name = ""
        tried = f" (tried {backend.name})" if backend is not None else ""
        self.message = f"Global hotkeys are off{tried}: {reason}"
        if self.hint:
            self.message += " " + self.hint
        return False

    def _with_action(self, problem: str, combos: dict[str, Combo]) -> str:
        """'Ctrl+Alt+Shift+D is already used by another program.' + what lost its key."""
        for action, combo in combos.items():
            if problem.startswith(combo.spoken()):
                label = self.labels.get(action, action.replace("_", " "))
                return f"{problem[:-1]}, so '{label}' has no global hotkey."
        return problem

    def _on_notice(self, backend: HotkeyBackend, sentence: str, active: bool) -> None:
        """News from the backend's thread (the portal's outcome, a lost X connection)."""
        if backend is not self._backend:
            return  # a backend already replaced or stopped
        name = backend.name
        if active:
            self.active = True
            self.message = f"Global hotkeys are on, through {name}. {sentence}"
        else:
            self.active = False
            self.message = f"Global hotkeys are off (tried {name}): {sentence}"
            if self.hint:
                self.message += " " + self.hint
        if self.notice is not None:
            self.notice(self.message)
