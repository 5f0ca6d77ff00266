"""Model manager: every preset with size, licence and whether it is installed; download with
progress and cancel, remove. Downloads run in a DownloadJob thread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from assistant.safety import SafetyGate

from .announce import announce
from .status import StatusLine
from .workers import DownloadJob

COLUMNS = ["Preset", "Installed", "Size", "Licence", "Task", "Description"]


class ModelManager(QDialog):
    def __init__(self, settings, parent=None, store=None):
        super().__init__(parent)
        self._gate = SafetyGate.from_settings(settings)
        self.setWindowTitle("Model manager")
        self.setObjectName("modelManager")
        self.setAccessibleName("Model manager")
        if store is None:
            from assistant.models import ModelStore

            store = ModelStore()
        self.store = store
        self.job: DownloadJob | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("modelTable")
        self.table.setAccessibleName("Models")
        self.table.setAccessibleDescription("One row per model preset. Choose a row, then Download or Remove.")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.download_button = self._button("&Download", "Download the selected model", self.download)
        self.remove_button = self._button("&Remove", "Delete the selected model's files", self.remove)
        self.cancel_button = self._button("&Cancel download", "Stop the download", self.cancel)
        self.cancel_button.setEnabled(False)
        self.close_button = self._button("C&lose", "Close the model manager", self.close)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.setVisible(False)
        self.status = StatusLine("Model status", "Choose a model, then Download or Remove.")
        self.status.setObjectName("modelStatus")
        row = QHBoxLayout()
        for button in (self.download_button, self.remove_button, self.cancel_button, self.close_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.resize(1000, 480)
        self.refresh()

    def _button(self, text, description, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", ""))
        button.setAccessibleDescription(description)
        button.clicked.connect(slot)
        return button

    def refresh(self) -> None:
        presets = self.store.registry.all()
        self.table.setRowCount(len(presets))
        for r, preset in enumerate(presets):
            installed = "installed" if self.store.is_installed(preset.name) else "not installed"
            size = f"{preset.size_mb:.0f} MB" if preset.size_mb else "unknown"
            for c, value in enumerate([preset.name, installed, size, preset.licence, preset.task, preset.description]):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, preset.name)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        if self.table.currentRow() < 0 and presets:
            self.table.selectRow(0)

    def selected(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def say(self, text: str, assertive: bool = False) -> None:
        """Our sentences name presets and quote errors: they pass the gate like any output."""
        safe = self._gate.filter_text(text)[0]
        self.status.setText(safe)
        announce(self.status, safe, assertive=assertive)

    # ---- actions ------------------------------------------------------------------------
    def download(self) -> None:
        name = self.selected()
        if not name or self.job is not None:
            return
        if self.store.is_installed(name):
            self.say(f"{name} is already installed.")
            return
        self.job = DownloadJob(self.store, name, self)
        self.job.progress.connect(self._on_progress)
        # Bound methods, not lambdas: with lambdas the test suite crashed now and then (with
        # accessibility active) once the job was deleted from inside the lambda's slot call.
        self.job.finished_ok.connect(self._on_installed)
        self.job.failed.connect(self._on_failed)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        if self.focusWidget() is self.download_button:
            # Disabling the focused button would send focus on to Remove: a second Space would
            # then delete a model. Cancel is what the user may want next.
            self.cancel_button.setFocus()
        self.download_button.setEnabled(False)
        self.say(f"Downloading {name}.")
        self.job.start()

    def _on_installed(self, path: str) -> None:
        self._done(f"{self.job.name if self.job else 'The model'} is installed.")

    def _on_failed(self, message: str) -> None:
        self._done(message, assertive=True)

    def _on_progress(self, done: float, total: float, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{done / 1e6:.0f} of {total / 1e6:.0f} MB")

    def _done(self, message: str, assertive: bool = False) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.wait(2000)
            job.deleteLater()
        self.progress.setVisible(False)
        refocus = self.focusWidget() is self.cancel_button
        self.download_button.setEnabled(True)
        if refocus:
            self.download_button.setFocus()
        self.cancel_button.setEnabled(False)
        self.refresh()
        self.say(message, assertive)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.say("Cancelling the download.")

    def remove(self) -> None:
        name = self.selected()
        if not name:
            return
        from assistant.errors import AssistantError

        try:
            freed = self.store.remove(name)
        except AssistantError as exc:
            self.say(exc.message, assertive=True)
            return
        self.refresh()
        self.say(f"Removed {name}, {freed / 1e6:.0f} MB freed.")

    def closeEvent(self, event) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job.wait(5000)
        super().closeEvent(event)
