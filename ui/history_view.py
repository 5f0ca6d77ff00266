"""History: search past captures, see thumbnails and what was said, re-open one to ask more."""

from __future__ import annotations

import datetime

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from .announce import announce
from .status import StatusLine


class HistoryView(QDialog):
    reopen = Signal(int)

    def __init__(self, store, parent=None, gated=None):
        super().__init__(parent)
        self.store = store
        # Text from the history file is shown only after the safety gate, like any other output.
        self.gated = gated or (lambda text: text)
        self.setWindowTitle("History")
        self.setObjectName("historyView")
        self.setAccessibleName("History")
        search_label = QLabel("&Search:")
        self.search = QLineEdit()
        self.search.setAccessibleName("Search history")
        self.search.setAccessibleDescription("Words from descriptions, questions or answers")
        search_label.setBuddy(self.search)
        self.list = QListWidget()
        self.list.setObjectName("historyList")
        self.list.setAccessibleName("Captures")
        self.list.setAccessibleDescription("Newest first. Press Enter to re-open a capture and ask more.")
        self.list.setIconSize(QSize(96, 72))
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.details.setTabChangesFocus(True)
        self.details.setAccessibleName("What was said about this capture")
        self.open_button = QPushButton("&Re-open and ask")
        self.open_button.setAccessibleName("Re-open and ask")
        self.open_button.setAccessibleDescription("Make this capture the current picture")
        self.delete_button = QPushButton("&Delete")
        self.delete_button.setAccessibleName("Delete capture")
        self.clear_button = QPushButton("Clear &all…")
        self.clear_button.setAccessibleName("Clear all history")
        self.clear_button.setAccessibleDescription("Delete every capture, its picture and what was said about it")
        self.close_button = QPushButton("C&lose")
        self.close_button.setAccessibleName("Close")
        self.count = StatusLine("Number of captures")

        self._timer = QTimer(self, singleShot=True, interval=250)  # search as you type, debounced
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self.refresh)
        self.list.currentItemChanged.connect(self._show_details)
        self.list.itemActivated.connect(lambda item: self._reopen())
        self.open_button.clicked.connect(self._reopen)
        self.delete_button.clicked.connect(self._delete)
        self.clear_button.clicked.connect(self._clear)
        self.close_button.clicked.connect(self.close)

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 1)
        middle.addWidget(self.details, 1)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.delete_button, self.clear_button, self.close_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addLayout(buttons)
        self.resize(860, 520)
        self.refresh()

    def refresh(self) -> None:
        captures = self.store.search(self.search.text())
        self.list.clear()
        for c in captures:
            when = datetime.datetime.fromtimestamp(c.created).strftime("%Y-%m-%d %H:%M")
            item = QListWidgetItem(self.gated(f"{when}, {c.source}: {c.summary}"))
            pixmap = QPixmap()
            pixmap.loadFromData(c.thumbnail)
            item.setIcon(QIcon(pixmap))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
        self.count.setText(f"{len(captures)} found")
        if captures:
            self.list.setCurrentRow(0)
        else:
            self.details.setPlainText("No captures found.")

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show_details(self, item, _previous=None) -> None:
        if item is None:
            return
        capture = self.store.get(item.data(Qt.ItemDataRole.UserRole))
        if capture is None:
            return
        lines = [f"{capture.source}, {capture.width} by {capture.height} pixels."]
        for e in capture.entries:
            lines.append(f"Q: {e.question}\n{e.text}" if e.question else f"{e.kind}: {e.text}")
        self.details.setPlainText(self.gated("\n".join(lines)))

    def _reopen(self) -> None:
        capture_id = self.current_id()
        if capture_id is not None:
            self.reopen.emit(capture_id)
            self.close()

    def _delete(self) -> None:
        capture_id = self.current_id()
        if capture_id is not None:
            deleted = self.store.delete(capture_id)
            self.refresh()
            self._tell("Deleted." if deleted else self.store.take_problem() or "The capture could not be deleted.")

    def _clear(self) -> None:
        answer = QMessageBox.question(
            self,
            "Clear all history",
            "Delete every capture, its picture and everything said about it? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        cleared = self.store.clear()
        self.refresh()
        self._tell("History cleared." if cleared else self.store.take_problem() or "The history could not be cleared.")

    def _tell(self, sentence: str) -> None:
        """Shown with the count and announced, so a screen-reader user hears the outcome."""
        shown = self.gated(sentence)  # the store's own sentences, but every shown text passes the gate
        self.count.setText(f"{shown} {self.count.text()}")
        announce(self.count, shown, assertive=True)
