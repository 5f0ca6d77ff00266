"""Global hotkeys on X11 as an ordinary user: XGrabKey on the root window (python-xlib).

Why python-xlib and not pynput: pynput's GlobalHotKeys on X11 listens through the RECORD
extension, so the key still reaches the focused application as well (Ctrl+Alt+Shift+D would
also type into the user's document), and it cannot tell that another program already owns a
combo. XGrabKey consumes the key and answers BadAccess when the combo is taken, which we say
as a sentence. pynput itself uses python-xlib underneath, so this is one layer fewer.

An X server matches grabs on the exact modifier state, so each combo is grabbed once per
combination of the lock modifiers (Caps Lock, Num Lock, Scroll Lock): with Num Lock on (the
default on many desktops) the hotkey must still work.
"""

from __future__ import annotations

import itertools
import os
import select
import threading
from collections.abc import Callable

from ..logs import get_logger
from .base import HotkeysUnavailable, Notice, Registration, ignore_notice
from .combo import Combo, keysym_name

log = get_logger(__name__)

START_TIMEOUT_S = 10.0


class X11Backend:
    name = "X11 key grabs"

    def __init__(self, display: str | None = None):
        self.display_name = display or os.environ.get("DISPLAY", "")
        self.notice: Notice = ignore_notice
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._stopping = threading.Event()

    # ---- the manager's side -----------------------------------------------------------------
    def start(self, combos: dict[str, Combo], callback: Callable[[str], None]) -> Registration:
        if not self.display_name:
            raise HotkeysUnavailable("There is no X display (DISPLAY is not set).")
        try:
            from Xlib import display as xdisplay
            from Xlib import error as xerror
        except ImportError:
            raise HotkeysUnavailable("The python-xlib package is missing, so keys cannot be grabbed.") from None
        try:
            conn = xdisplay.Display(self.display_name)
        except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
            raise HotkeysUnavailable(f"The X display {self.display_name} cannot be reached ({exc}).") from None
        try:
            registration, grabs = _grab_all(conn, combos)
        except Exception:
            conn.close()
            raise
        if not registration.bound:
            conn.close()
            return registration
        self._stopping.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(
            target=self._loop, args=(conn, grabs, callback), daemon=True, name="x11-hotkeys"
        )
        self._thread.start()
        return registration

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        os.write(self._wake_w, b"x")
        self._thread.join(START_TIMEOUT_S)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._thread = None

    # ---- the X connection's thread --------------------------------------------------------------
    def _loop(self, conn, grabs: dict[tuple[int, int], str], callback: Callable[[str], None]) -> None:
        """Read key presses until stop(); all X calls of this connection happen here."""
        from Xlib import X

        lock_masks = _lock_masks(conn)
        ignored = 0
        for mask in lock_masks:
            ignored |= mask
        try:
            while not self._stopping.is_set():
                readable, _, _ = select.select([conn.fileno(), self._wake_r], [], [], 1.0)
                if self._wake_r in readable:
                    break
                events = []
                while conn.pending_events():
                    events.append(conn.next_event())
                for action in _actions(events, grabs, ignored, X.KeyPress, X.KeyRelease):
                    _call(callback, action)
        except Exception:
            log.exception("reading X11 hotkey events")
            self.notice("The connection to the X display failed.", False)
        finally:
            _ungrab_all(conn, grabs, lock_masks)
            conn.close()


def _call(callback: Callable[[str], None], action: str) -> None:
    try:
        callback(action)
    except Exception:
        log.exception("running the hotkey action %s", action)


def _actions(events: list, grabs: dict[tuple[int, int], str], ignored: int, press: int, release: int) -> list[str]:
    """The actions of the key presses in `events`. X sends a held key as release+press pairs
    with one timestamp: those repeats are dropped, so holding a hotkey runs it once."""
    out = []
    skip = False
    for event, following in zip(events, [*events[1:], None], strict=False):
        if skip:
            skip = False
            continue
        if (
            event.type == release
            and following is not None
            and following.type == press
            and (following.detail, following.time) == (event.detail, event.time)
        ):
            skip = True
            continue
        if event.type == press:
            action = grabs.get((event.detail, event.state & ~ignored & 0xFF))
            if action is not None:
                out.append(action)
    return out


def _modifier_mask(conn, keysym_names: tuple[str, ...]) -> int:
    """The modifier bit (Mod1..Mod5, Lock...) a key such as Num_Lock is mapped to; 0 if none."""
    from Xlib import XK

    codes = {conn.keysym_to_keycode(XK.string_to_keysym(n)) for n in keysym_names} - {0}
    for index, keycodes in enumerate(conn.get_modifier_mapping()):
        if codes & set(keycodes):
            return 1 << index
    return 0


def _lock_masks(conn) -> list[int]:
    """Caps Lock, Num Lock and Scroll Lock bits: a hotkey must work whatever their state."""
    from Xlib import X

    masks = [X.LockMask, _modifier_mask(conn, ("Num_Lock",)), _modifier_mask(conn, ("Scroll_Lock",))]
    return sorted({m for m in masks if m})


def _combo_mask(conn, combo: Combo) -> int:
    from Xlib import X

    masks = {
        "ctrl": X.ControlMask,
        "shift": X.ShiftMask,
        "alt": _modifier_mask(conn, ("Alt_L", "Alt_R", "Meta_L")) or X.Mod1Mask,
        "super": _modifier_mask(conn, ("Super_L", "Super_R")) or X.Mod4Mask,
    }
    mask = 0
    for modifier in combo.modifiers:
        mask |= masks[modifier]
    return mask


def _variants(base: int, lock_masks: list[int]) -> list[int]:
    out = []
    for n in range(len(lock_masks) + 1):
        for extra in itertools.combinations(lock_masks, n):
            mask = base
            for m in extra:
                mask |= m
            out.append(mask)
    return out


def _grab_all(conn, combos: dict[str, Combo]) -> tuple[Registration, dict[tuple[int, int], str]]:
    """Grab every combo (in all lock variants); BadAccess means another program owns it."""
    from Xlib import XK, X
    from Xlib import error as xerror

    root = conn.screen().root
    lock_masks = _lock_masks(conn)
    registration = Registration()
    grabs: dict[tuple[int, int], str] = {}
    for action, combo in combos.items():
        keycode = conn.keysym_to_keycode(XK.string_to_keysym(keysym_name(combo.key)))
        if not keycode:
            registration.problems.append(f"{combo.spoken()} has a key this keyboard does not have.")
            continue
        base = _combo_mask(conn, combo)
        catchers = []
        for mask in _variants(base, lock_masks):
            catcher = xerror.CatchError(xerror.BadAccess)
            root.grab_key(keycode, mask, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
            catchers.append((mask, catcher))
        conn.sync()  # errors arrive asynchronously: wait for the server's verdict on each grab
        if any(c.get_error() for _, c in catchers):
            for mask, c in catchers:
                if not c.get_error():
                    root.ungrab_key(keycode, mask)
            registration.problems.append(f"{combo.spoken()} is already used by another program.")
            continue
        grabs[(keycode, base)] = action
        registration.bound.append(action)
    conn.sync()
    return registration, grabs


def _ungrab_all(conn, grabs: dict[tuple[int, int], str], lock_masks: list[int]) -> None:
    try:
        root = conn.screen().root
        for keycode, base in grabs:
            for mask in _variants(base, lock_masks):
                root.ungrab_key(keycode, mask)
        conn.sync()
    except Exception:
        log.exception("releasing X11 hotkey grabs")
