"""macOS decisions with fakes: the Screen Recording permission (a fake CoreGraphics library)
and choosing the frontmost window from a window list shaped like CGWindowListCopyWindowInfo's
(the dictionaries pyobjc returns, keyed by the kCGWindow* names)."""

from __future__ import annotations

import sys

import pytest

from assistant.platforms import macos
from assistant.platforms.screens import Rect


class FakeCoreGraphics:
    def __init__(self, granted: bool, grant_on_request: bool = False):
        self.granted, self.grant_on_request, self.requests = granted, grant_on_request, 0

    def CGPreflightScreenCaptureAccess(self):
        return self.granted

    def CGRequestScreenCaptureAccess(self):
        self.requests += 1
        return self.grant_on_request


def test_granted_permission_lets_captures_through():
    cg = FakeCoreGraphics(granted=True)
    assert macos.ScreenRecordingPermission(cg, "Screen Assistant").check() is None
    assert cg.requests == 0


def test_missing_permission_is_said_plainly_and_asked_for_once():
    cg = FakeCoreGraphics(granted=False)
    permission = macos.ScreenRecordingPermission(cg, "Terminal")
    first = permission.check()
    assert first is not None and "only the desktop background" in first and "permission request" in first
    second = permission.check()
    assert (
        second is not None and "Turn on Terminal in System Settings, Privacy and Security, Screen Recording" in second
    )
    assert "quit and reopen" in second
    assert cg.requests == 1  # macOS's own prompt is not pushed at the user again


def test_permission_granted_at_the_prompt():
    cg = FakeCoreGraphics(granted=False, grant_on_request=True)
    assert macos.ScreenRecordingPermission(cg, "Screen Assistant").check() is None


def test_who_needs_the_permission():
    assert macos.responsible_app_name(frozen=True) == "Screen Assistant"
    assert "Terminal" in macos.responsible_app_name(frozen=False)


def _window(number, pid, owner, x, y, w, h, layer=0, name="", alpha=1.0, onscreen=True):
    return {
        "kCGWindowNumber": number,
        "kCGWindowOwnerPID": pid,
        "kCGWindowOwnerName": owner,
        "kCGWindowName": name,
        "kCGWindowLayer": layer,
        "kCGWindowAlpha": alpha,
        "kCGWindowIsOnscreen": onscreen,
        "kCGWindowBounds": {"X": x, "Y": y, "Width": w, "Height": h},
    }


# A real-looking list, front to back: menu bar items and the Dock sit on other layers.
WINDOWS = [
    _window(11, 300, "Control Centre", 1400, 0, 38, 24, layer=25),
    _window(12, 301, "Window Server", 0, 0, 1512, 24, layer=24, name="Menubar"),
    _window(20, 999, "Screen Assistant", 200, 200, 600, 400),  # ours, hidden for the capture
    _window(30, 400, "Safari", 80.5, 60, 1200, 800.25, name="Apple"),
    _window(31, 400, "Safari", 0, 0, 20, 20),  # a tiny helper window
    _window(40, 500, "Mail", 100, 100, 1000, 700),
    _window(50, 600, "Dock", 0, 900, 1512, 82, layer=20),
]


def test_the_frontmost_apps_first_normal_window():
    window = macos.frontmost_window(WINDOWS, frontmost_pid=400, own_pid=999)
    assert window is not None
    assert (window.number, window.owner, window.title) == (30, "Safari", "Apple")
    assert window.bounds == Rect(80, 60, 1201, 801)  # fractional points rounded outwards


def test_without_permission_titles_are_missing_but_bounds_are_there():
    entries = [{k: v for k, v in w.items() if k != "kCGWindowName"} for w in WINDOWS]
    window = macos.frontmost_window(entries, frontmost_pid=500, own_pid=999)
    assert window is not None and window.owner == "Mail" and window.title == ""


def test_unknown_frontmost_app_takes_the_front_normal_window_that_is_not_ours():
    window = macos.frontmost_window(WINDOWS, frontmost_pid=None, own_pid=999)
    assert window is not None and window.number == 30


@pytest.mark.parametrize("pid", [300, 600, 12345])
def test_an_app_without_a_normal_window_gives_none(pid):
    """Control Centre, the Dock, or an app whose windows are all closed: no guessing."""
    assert macos.frontmost_window(WINDOWS, frontmost_pid=pid, own_pid=999) is None


def test_transparent_offscreen_and_broken_entries_are_skipped():
    entries = [
        _window(1, 400, "Safari", 0, 0, 800, 600, alpha=0.0),
        _window(2, 400, "Safari", 0, 0, 800, 600, onscreen=False),
        {"kCGWindowOwnerPID": 400, "kCGWindowLayer": 0},
        _window(3, 400, "Safari", 10, 10, 800, 600),
    ]
    window = macos.frontmost_window(entries, frontmost_pid=400, own_pid=999)
    assert window is not None and window.number == 3


@pytest.mark.skipif(sys.platform != "darwin", reason="the Quartz window list and CoreGraphics exist only on macOS")
def test_real_window_list_and_permission_calls_answer():
    entries = macos.window_list()
    assert isinstance(entries, list)
    macos.frontmost_window(entries, macos.frontmost_pid(), own_pid=0)
    permission = macos.ScreenRecordingPermission()
    assert isinstance(permission._library().CGPreflightScreenCaptureAccess(), bool)
