"""macOS: VoiceOver announcements (NSAccessibilityAnnouncementRequestedNotification via pyobjc).

VoiceOver speaks (and brailles) an announcement that an app posts on one of its accessibility
elements, at a priority: High interrupts VoiceOver's current speech, Medium and Low queue.
AppKit wants the call on the main thread; the Qt event loop runs Cocoa's, so the post is handed
to it with performSelectorOnMainThread (PyObjCTools.AppHelper.callAfter). There is no API to
silence an announcement: Stop has nothing to do here (VoiceOver's Control key does it).

NOT RUN HERE: this machine is Linux. The unit test drives this code against a fake AppKit; whether
VoiceOver reads an announcement posted by a process without a window (the CLI) is unverified.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ...events import SafeText
from ...logs import get_logger
from .base import OutputFailed, Priority, speakable

log = get_logger(__name__)

# NSAccessibilityPriorityLevel: Low = 10, Medium = 50, High = 90
ANNOUNCEMENT_PRIORITY = {Priority.INTERRUPT: 90, Priority.QUEUE: 50, Priority.POLITE: 10}


def _appkit() -> Any | None:
    try:
        return importlib.import_module("AppKit")
    except ImportError:
        return None


def voiceover_running(appkit: Any | None = None) -> bool:
    appkit = appkit or _appkit()
    if appkit is None:
        return False
    try:
        return bool(appkit.NSWorkspace.sharedWorkspace().isVoiceOverEnabled())
    except Exception:
        log.exception("asking whether VoiceOver runs")
        return False


def _call_on_main(function: Callable[[], None]) -> None:
    from PyObjCTools import AppHelper  # pyobjc

    AppHelper.callAfter(function)


class VoiceOverOutput:
    name = "VoiceOver"
    has_braille = False  # VoiceOver brailles announcements itself

    def __init__(self, appkit: Any | None = None, on_main: Callable[[Callable[[], None]], None] | None = None):
        self._appkit = appkit
        self._on_main = on_main or _call_on_main

    @property
    def available(self) -> bool:
        return voiceover_running(self._kit(required=False))

    @property
    def problem(self) -> str | None:
        if self._kit(required=False) is None:
            return "VoiceOver announcements need pyobjc (pip install pyobjc-framework-Cocoa)."
        return None if self.available else "VoiceOver is not running."

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        words = speakable(text)
        if not words:
            return
        kit: Any = self._kit(required=True)
        info = {
            kit.NSAccessibilityAnnouncementKey: words,
            kit.NSAccessibilityPriorityKey: ANNOUNCEMENT_PRIORITY[priority],
        }

        def post() -> None:
            application = kit.NSApplication.sharedApplication()
            element = application.mainWindow() or application
            kit.NSAccessibilityPostNotificationWithUserInfo(
                element, kit.NSAccessibilityAnnouncementRequestedNotification, info
            )

        self._on_main(post)

    def stop(self) -> None:
        return None

    def braille(self, text: SafeText) -> None:
        return None

    def close(self) -> None:
        return None

    def _kit(self, required: bool) -> Any | None:
        kit = self._appkit or _appkit()
        if kit is None and required:
            raise OutputFailed("VoiceOver announcements need pyobjc (pip install pyobjc-framework-Cocoa).")
        self._appkit = kit
        return kit
