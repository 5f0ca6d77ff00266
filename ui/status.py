"""A status line a screen reader can read again at any time: its text is exposed through the
accessibility Text interface (a QLabel with an accessible name exposes only that name), it is in
the Tab order, and it looks like a line of text, not a box to type in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit


class StatusLine(QLineEdit):
    def __init__(self, name: str, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setReadOnly(True)
        self.setFrame(False)
        self.setAccessibleName(name)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setCursorPosition(0)

    def setText(self, text: str | None, /) -> None:
        super().setText(text)
        self.setCursorPosition(0)  # a long line shows (and is read) from its start
