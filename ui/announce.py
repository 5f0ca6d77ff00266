"""Announcements for busy / done / error / blocked states.

Both channels on purpose: QAccessibleAnnouncementEvent reaches a screen reader when our app
has focus, but screen readers drop announcements from unfocused apps (the usual case after a
global hotkey), so the app's own speech says it too.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent  # Qt 6.8+

from assistant.events import SafeText

# Every announcement, newest last, for tests and the status history.
announced: list[str] = []


def announce(widget, text: SafeText, speak=None, assertive: bool = False) -> None:
    """Announce `text` through accessibility (if available) and `speak(text)` if given."""
    if not text:
        return
    announced.append(text)
    del announced[:-200]
    if widget is not None:
        event = QAccessibleAnnouncementEvent(widget, text)
        if assertive:
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
        QAccessible.updateAccessibility(event)
    if speak is not None:
        speak(text)
