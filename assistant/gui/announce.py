"""Announcements for busy / done / error / blocked states.

Both channels on purpose: QAccessibleAnnouncementEvent reaches a screen reader when our app
has focus, but screen readers drop announcements from unfocused apps (the usual case after a
global hotkey), so the app's own speech says it too.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible

try:
    from PySide6.QtGui import QAccessibleAnnouncementEvent as _Announcement
except ImportError:  # Qt < 6.8
    _Announcement = None  # type: ignore[assignment,misc]  # the class is absent before Qt 6.8

# Every announcement, newest last, for tests and the status history.
announced: list[str] = []


def announce(widget, text: str, speak=None, assertive: bool = False) -> None:
    """Announce `text` through accessibility (if available) and `speak(text)` if given."""
    if not text:
        return
    announced.append(text)
    del announced[:-200]
    if _Announcement is not None and widget is not None:
        event = _Announcement(widget, text)
        if assertive:
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
        QAccessible.updateAccessibility(event)
    if speak is not None:
        speak(text)
