"""F1: every key and hotkey as a table a screen reader can walk row by row (one row per
command: what it does, its key in the app, its global hotkey)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from assistant import commands


class KeysDialog(QDialog):
    def __init__(self, actions: dict[str, QAction], hotkeys: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keys and hotkeys")
        self.setAccessibleName("Keys and hotkeys")
        rows = []
        for command_id, action in actions.items():
            command = commands.get(command_id)
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            label = action.text().replace("&", "").rstrip("…")
            rows.append((label, key or "none", hotkeys.get(command_id) or "none", command.help if command else ""))
        for command in commands.COMMANDS:  # commands with only a global hotkey
            if command.id not in actions and hotkeys.get(command.id):
                rows.append((command.plain_label, "none", hotkeys[command.id], command.help))
        self.table = QTableWidget(len(rows), 4, self)
        self.table.setObjectName("keysTable")
        self.table.setAccessibleName("Keys")
        self.table.setHorizontalHeaderLabels(["Action", "Key in the app", "Global hotkey", "What it does"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(820, 560)
        if rows:
            self.table.setCurrentCell(0, 0)
        self.table.setFocus()
