"""Settings page for model servers (Ollama, llama.cpp, vLLM, LM Studio, cloud providers):
which server and model, its API key (kept in the system keyring, never in the settings file),
whether it runs on the user's own network, the source marker, falling back to the local model,
and a connection test that lists the server's models and says whether one takes pictures."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from assistant.logs import get_logger
from assistant.remote.settings import RemoteSettings
from assistant.safety import SafetyGate

from .announce import announce

log = get_logger(__name__)


class _Reports(QObject):
    done = Signal(str)  # the connection report, in sentences (a string: nothing else crosses threads)


class RemotePage(QWidget):
    def __init__(self, settings: RemoteSettings, gate: SafetyGate, parent=None):
        super().__init__(parent)
        from assistant.remote import list_providers

        self._gate = gate
        self._settings = settings
        form = QFormLayout(self)
        self.provider = self._row(form, "Model &server:", QComboBox(), "Where pictures are described")
        for p in list_providers(settings):
            self.provider.addItem(p.label, p.name)
        self.provider.setCurrentIndex(max(0, self.provider.findData(settings.provider)))
        self.model = self._row(
            form, "Model &name:", QLineEdit(settings.model), "Empty: the server's own choice or the preset's"
        )
        self.key = self._row(
            form, "API &key:", QLineEdit(), "Stored in the system keyring when you press OK; never in a file"
        )
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.local = self._check(
            form,
            "This server runs on my own computer or &network",
            "Only for addresses on this computer or a private network: pictures are then not asked about",
        )
        self.show_source = self._check(form, "Say where answers come &from", "Ends each answer with its server")
        self.show_source.setChecked(settings.show_source)
        self.fallback = self._check(
            form,
            "If the server cannot answer, use the &local model",
            "Answers from this computer's model instead, after saying so",
        )
        self.fallback.setChecked(settings.fallback_to_local)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setAccessibleDescription("Lists the server's models and checks that one takes pictures")
        self.test_button.clicked.connect(self.test_connection)
        form.addRow(self.test_button)
        self.report = QLabel("Not tested yet.")
        self.report.setObjectName("connectionReport")
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.report.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.report.setAccessibleName("Connection")
        form.addRow(self.report)
        self._reports = _Reports(self)
        self._reports.done.connect(self._show_report)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self._provider_changed()

    def _row(self, form: QFormLayout, label: str, widget, description: str):
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
        form.addRow(label, widget)
        return widget

    def _check(self, form: QFormLayout, text: str, description: str) -> QCheckBox:
        box = QCheckBox(text)
        box.setAccessibleName(text.replace("&", ""))
        box.setAccessibleDescription(description)
        form.addRow(box)
        return box

    def chosen(self):
        from assistant.remote import get_provider

        return get_provider(self.provider.currentData(), self._settings, self.model.text().strip() or None)

    def _provider_changed(self) -> None:
        from assistant.remote import can_be_marked_local

        provider = self.chosen()
        can = not provider.local and can_be_marked_local(provider)
        self.local.setEnabled(can)
        self.local.setChecked(provider.name in self._settings.trusted_local and can)
        self.key.setEnabled(provider.key != "none")

    def collect(self, settings: RemoteSettings) -> str:
        """Fill `settings` from the page; returns the key typed (for the keyring), or ""."""
        settings.provider = self.provider.currentData()
        settings.model = self.model.text().strip()
        settings.show_source = self.show_source.isChecked()
        settings.fallback_to_local = self.fallback.isChecked()
        trusted = [n for n in settings.trusted_local if n != settings.provider]
        settings.trusted_local = trusted + ([settings.provider] if self.local.isChecked() else [])
        return self.key.text().strip()

    def test_connection(self) -> None:
        """Off the GUI thread: a server may take seconds to answer."""
        from assistant.remote import test_connection

        provider = self.chosen()
        key = self.key.text().strip() or None
        self.test_button.setEnabled(False)
        self._say("Testing the connection.")

        def run() -> None:
            try:
                text = " ".join(test_connection(provider, api_key=key).sentences())
            except Exception as exc:
                log.exception("connection test failed")
                text = getattr(exc, "message", "") or "The connection test could not run."
            self._reports.done.emit(text)

        threading.Thread(target=run, daemon=True, name="connection-test").start()

    def _show_report(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self._say(text)

    def _say(self, text: str) -> None:
        """Model names in the report come from the server: they pass the gate like any output."""
        safe = self._gate.filter_text(text)[0]
        self.report.setText(safe)
        announce(self.report, safe)
