"""The hotkey manager's choices and sentences, with a stand-in backend; combo parsing."""

from __future__ import annotations

import sys

import pytest

from assistant.hotkeys import HotkeyManager, HotkeysUnavailable, Registration, choose_backend, parse_combo
from assistant.hotkeys.combo import Combo, validate_combo, xdg_trigger


class StandIn:
    name = "a stand-in backend"

    def __init__(self, taken=(), unavailable: str = ""):
        self.taken, self.unavailable = set(taken), unavailable
        self.started: dict = {}
        self.stopped = 0

    def start(self, combos, callback):
        if self.unavailable:
            raise HotkeysUnavailable(self.unavailable)
        self.started = combos
        out = Registration()
        for action, combo in combos.items():
            if action in self.taken:
                out.problems.append(f"{combo.spoken()} is already used by another program.")
            else:
                out.bound.append(action)
        return out

    def stop(self):
        self.stopped += 1


def test_combos_parse_and_are_said_plainly():
    combo = parse_combo(" Ctrl+Alt+Shift+D ")
    assert combo == Combo(frozenset({"ctrl", "alt", "shift"}), "d")
    assert combo.spoken() == "Ctrl+Alt+Shift+D" and xdg_trigger(combo) == "CTRL+ALT+SHIFT+d"
    assert parse_combo("windows+f1").spoken() == "Super+F1" and xdg_trigger(parse_combo("ctrl+,")) == "CTRL+comma"
    for bad in ("d", "ctrl++d", "insert+f7", "capslock+ctrl+d", "ctrl+banana+d", ""):
        with pytest.raises(ValueError):
            parse_combo(bad)
    assert validate_combo("") is None  # empty: no hotkey for that action


def test_message_names_the_backend_and_each_taken_combo():
    backend = StandIn(taken={"describe_screen"})
    manager = HotkeyManager(
        lambda a: None, labels={"describe_screen": "Describe the screen"}, backend_factory=lambda: backend
    )
    assert manager.register({"describe_screen": "ctrl+alt+shift+d", "read_text": "ctrl+alt+shift+t", "ask": ""})
    assert manager.active and manager.backend_name == "a stand-in backend"
    assert manager.message == (
        "Global hotkeys are on, through a stand-in backend. Ctrl+Alt+Shift+D is already used by another "
        "program, so 'Describe the screen' has no global hotkey. Choose other keys in Settings."
    )
    assert set(backend.started) == {"describe_screen", "read_text"}  # the empty one is not bound
    manager.unregister()
    assert backend.stopped == 1 and not manager.active


def test_when_nothing_works_the_message_says_why_and_what_to_do_instead():
    manager = HotkeyManager(
        lambda a: None,
        hint="Bind main.py trigger describe_screen instead.",
        backend_factory=lambda: StandIn(unavailable="The X display :9 cannot be reached."),
    )
    assert manager.register({"describe_screen": "ctrl+alt+shift+d"}) is False
    assert manager.message == (
        "Global hotkeys are off (tried a stand-in backend): The X display :9 cannot be reached. "
        "Bind main.py trigger describe_screen instead."
    )
    everything_taken = HotkeyManager(lambda a: None, backend_factory=lambda: StandIn(taken={"describe_screen"}))
    assert everything_taken.register({"describe_screen": "ctrl+alt+shift+d"}) is False
    assert "already used by another program" in everything_taken.message


def test_backend_per_platform(monkeypatch):
    from assistant.hotkeys.keyboard_backend import KeyboardBackend
    from assistant.hotkeys.portal import PortalBackend
    from assistant.hotkeys.x11 import X11Backend

    monkeypatch.delenv("SCREEN_ASSISTANT_NO_HOTKEYS", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":5")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    assert isinstance(choose_backend(), X11Backend)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert isinstance(choose_backend(), PortalBackend)  # not X grabs through XWayland
    monkeypatch.setattr(sys, "platform", "win32")
    assert isinstance(choose_backend(), KeyboardBackend)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert choose_backend() is None
    manager = HotkeyManager(lambda a: None)
    assert manager.register({"describe_screen": "ctrl+alt+shift+d"}) is False
    assert manager.message == "Global hotkeys are off: Global hotkeys are not supported on this system."


def test_x11_events_to_actions_drop_autorepeat_and_lock_bits():
    from types import SimpleNamespace as Event

    from assistant.hotkeys.x11 import _actions

    press, release, lock, ctrl_alt_shift = 2, 3, 0x12, 0x0D
    grabs = {(40, ctrl_alt_shift): "describe_screen"}
    assert _actions([], grabs, lock, press, release) == []  # a wake-up with no events (it once killed the thread)
    held = [
        Event(type=press, detail=40, state=ctrl_alt_shift | 0x10, time=1),  # Num Lock on
        Event(type=release, detail=40, state=ctrl_alt_shift, time=5),  # auto-repeat: release+press, same time
        Event(type=press, detail=40, state=ctrl_alt_shift, time=5),
        Event(type=release, detail=40, state=ctrl_alt_shift, time=9),
        Event(type=press, detail=41, state=ctrl_alt_shift, time=12),  # not a hotkey
        Event(type=press, detail=40, state=ctrl_alt_shift | 0x02, time=20),  # Caps Lock on: a new press
    ]
    assert _actions(held, grabs, lock, press, release) == ["describe_screen", "describe_screen"]
