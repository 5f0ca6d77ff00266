"""macOS: the Screen Recording permission and the frontmost window from the window list.

Why: without the Screen Recording permission, macOS hands an app a screen grab that shows
only the desktop wallpaper and the app's own windows. That picture is not black, so the blank
guard did not fire and the assistant described the wallpaper. Now every screen capture asks
CGPreflightScreenCaptureAccess first and, when it says no, the user hears how to turn the
permission on (CGRequestScreenCaptureAccess shows the system's own prompt, once per app).

The permission belongs to the app macOS holds responsible: the Screen Assistant app when it
runs as an .app bundle, or the terminal that started it (for a pipx or uv install).

"Describe window" asked Qt to grab a window by id, which on macOS means one of our own views;
it returned the whole screen. The frontmost window now comes from the Quartz window list
(CGWindowListCopyWindowInfo, bounds in points) and is cut out of the screen grab; its bounds
are readable without the permission, its pixels are not.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..logs import get_logger
from .screens import Rect

log = get_logger(__name__)

CORE_GRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
MIN_WINDOW_POINTS = 40  # smaller windows are tool tips, status items and the like
SETTINGS_PATH = (
    "System Settings, Privacy and Security, Screen Recording "
    "(called Screen and System Audio Recording on macOS 15 and later)"
)


# ---- the permission -------------------------------------------------------------------------
@dataclass(frozen=True)
class PermissionDecision:
    allowed: bool
    request: bool  # show macOS's own prompt now (only the first time in a session)
    message: str | None  # what to tell the user when not allowed


def responsible_app_name(frozen: bool | None = None) -> str:
    """Who the permission must be given to, in words."""
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    return "Screen Assistant" if frozen else "the app you started Screen Assistant from, such as Terminal"


def screen_recording_decision(granted: bool, asked_this_session: bool, app_name: str) -> PermissionDecision:
    if granted:
        return PermissionDecision(True, False, None)
    if not asked_this_session:
        return PermissionDecision(
            False,
            True,
            "macOS does not let me see the screen yet: a capture would show only the desktop background. "
            "macOS is showing its permission request now; choose Open System Settings and turn on "
            f"{app_name}, then quit and reopen Screen Assistant.",
        )
    return PermissionDecision(
        False,
        False,
        "macOS does not let me see the screen: a capture would show only the desktop background. "
        f"Turn on {app_name} in {SETTINGS_PATH}, then quit and reopen Screen Assistant.",
    )


class ScreenRecordingPermission:
    """CGPreflightScreenCaptureAccess / CGRequestScreenCaptureAccess (macOS 10.15+; the app
    needs macOS 14 for torch anyway). `core_graphics` is injectable for tests."""

    def __init__(self, core_graphics: Any = None, app_name: str | None = None):
        self._cg = core_graphics
        self._asked = False
        self.app_name = app_name or responsible_app_name()

    def _library(self) -> Any:
        if self._cg is None:
            self._cg = ctypes.cdll.LoadLibrary(CORE_GRAPHICS)
            for name in ("CGPreflightScreenCaptureAccess", "CGRequestScreenCaptureAccess"):
                getattr(self._cg, name).restype = ctypes.c_bool
                getattr(self._cg, name).argtypes = []
        return self._cg

    def check(self) -> str | None:
        """None if captures will show the screen; else the sentence to say (and, the first
        time, macOS's own prompt is shown)."""
        cg = self._library()
        decision = screen_recording_decision(bool(cg.CGPreflightScreenCaptureAccess()), self._asked, self.app_name)
        if decision.request:
            self._asked = True
            if cg.CGRequestScreenCaptureAccess():  # granted on the spot (rare: needs a restart usually)
                return None
        return decision.message


# ---- the frontmost window -------------------------------------------------------------------
@dataclass(frozen=True)
class WindowInfo:
    number: int
    owner: str
    title: str  # empty without the Screen Recording permission
    bounds: Rect  # points, top-left origin on the main display (Qt's logical space on macOS)


def _bounds(entry: Mapping[str, Any]) -> Rect | None:
    b = entry.get("kCGWindowBounds") or {}
    try:
        return Rect.from_edges(b["X"], b["Y"], b["X"] + b["Width"], b["Y"] + b["Height"])
    except (KeyError, TypeError):
        return None


def frontmost_window(
    entries: Iterable[Mapping[str, Any]], frontmost_pid: int | None, own_pid: int
) -> WindowInfo | None:
    """The first normal window (layer 0, visible, not tiny, not ours) of the frontmost app.

    `entries` is CGWindowListCopyWindowInfo's list, front to back. Without a frontmost app
    (or when it has no normal window, e.g. the Finder showing only the desktop) returns None
    rather than guess at another app's window.
    """
    for entry in entries:
        pid = entry.get("kCGWindowOwnerPID")
        if pid == own_pid or (frontmost_pid is not None and pid != frontmost_pid):
            continue
        if entry.get("kCGWindowLayer", 0) != 0 or float(entry.get("kCGWindowAlpha", 1.0)) <= 0:
            continue
        if entry.get("kCGWindowIsOnscreen") is False:
            continue
        bounds = _bounds(entry)
        if bounds is None or bounds.width < MIN_WINDOW_POINTS or bounds.height < MIN_WINDOW_POINTS:
            continue
        return WindowInfo(
            int(entry.get("kCGWindowNumber", 0)),
            str(entry.get("kCGWindowOwnerName", "")),
            str(entry.get("kCGWindowName", "") or ""),
            bounds,
        )
    return None


def window_list() -> list[Mapping[str, Any]]:
    """On-screen windows, front to back (macOS only; pyobjc-framework-Quartz)."""
    import Quartz

    options = Quartz.kCGWindowListOptionOnScreenOnly | Quartz.kCGWindowListExcludeDesktopElements
    return list(Quartz.CGWindowListCopyWindowInfo(options, Quartz.kCGNullWindowID) or [])


def frontmost_pid() -> int | None:
    """The process id of the app macOS considers active (macOS only; pyobjc AppKit)."""
    try:
        from AppKit import NSWorkspace
    except ImportError:
        log.warning("AppKit is not available; choosing the front window without the active app")
        return None
    app = NSWorkspace.sharedWorkspace().frontmostApplication()
    return int(app.processIdentifier()) if app is not None else None
