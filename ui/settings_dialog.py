"""Settings: voice, rate, volume; hotkeys; model preset and detail; safety thresholds; saved
prompts; start minimised. OK validates, then the caller saves (Settings.save)."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import commands
from assistant.config import Settings
from assistant.logs import get_logger
from assistant.safety import SafetyGate

from .hotkeys import validate_combo
from .remote_page import RemotePage

log = get_logger(__name__)
SPEAK_WITH_CHOICES = (
    ("auto", "Screen reader when one is running, else the app's voice"),
    ("screen-reader", "Screen reader"),
    ("voice", "The app's own voice"),
    ("both", "Screen reader and the app's voice"),
    ("text", "Text only: do not speak"),
)


def _named(widget, name: str, description: str = ""):
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, speech=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setAccessibleName("Settings")
        self.original = settings
        self.result_settings: Settings = copy.deepcopy(settings)
        self._speech = speech
        self.tabs = _named(QTabWidget(), "Settings pages")
        self.tabs.addTab(self._speech_page(settings), "&Speech")
        self.tabs.addTab(self._hotkeys_page(settings), "&Hotkeys")
        self.tabs.addTab(self._models_page(settings), "&Models")
        self.tabs.addTab(self._safety_page(settings), "Sa&fety")
        self.tabs.addTab(self._general_page(settings), "&General")
        self.remote_page = RemotePage(settings.remote, SafetyGate.from_settings(settings))
        self.tabs.addTab(self.remote_page, "Model ser&ver")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        for button in buttons.buttons():
            _named(button, button.text().replace("&", ""))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    # ---- pages --------------------------------------------------------------------------
    def _form(self) -> tuple[QWidget, QFormLayout]:
        page = QWidget()
        return page, QFormLayout(page)

    def _row(self, form: QFormLayout, label: str, widget, description: str = ""):
        text = QLabel(label)
        text.setBuddy(widget)
        _named(widget, label.replace("&", "").rstrip(":"), description)
        form.addRow(text, widget)
        return widget

    def _speech_page(self, s: Settings) -> QWidget:
        page, form = self._form()
        self.speak_with = self._row(
            form,
            "Speak &with:",
            QComboBox(),
            "Your screen reader speaks and brailles answers in its own voice; the app's own voice "
            "is for computers without one",
        )
        for value, label in SPEAK_WITH_CHOICES:
            self.speak_with.addItem(label, value)
        current = s.outputs.speak_with if s.speech.enabled else "text"
        self.speak_with.setCurrentIndex(max(0, self.speak_with.findData(current)))
        self.speech_state = QLabel(self._speech_state())
        self.speech_state.setObjectName("speechState")
        self.speech_state.setWordWrap(True)
        self.speech_state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.speech_state.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.speech_state.setAccessibleName("Speech now")
        form.addRow(self.speech_state)
        self.braille = _named(
            QCheckBox("Show answers on a &braille display"),
            "Braille",
            "When a braille display is connected through the screen reader or brltty",
        )
        self.braille.setChecked(bool(s.outputs.braille))
        form.addRow(self.braille)
        self.voice = self._row(form, "&Voice:", QComboBox(), "The app's own voice")
        self.voice.addItem("System default", "")
        for voice_id, name in self._voices():
            self.voice.addItem(name, voice_id)
        index = self.voice.findData(s.speech.voice)
        self.voice.setCurrentIndex(max(index, 0))
        self.rate = self._row(form, "&Rate (words per minute):", QSpinBox(), "How fast speech is")
        self.rate.setRange(80, 450)
        self.rate.setSingleStep(10)
        self.rate.setValue(int(s.speech.rate))
        self.volume = self._row(form, "V&olume (percent):", QSpinBox(), "How loud speech is")
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setValue(round(float(s.speech.volume) * 100))
        return page

    def _speech_state(self) -> str:
        """What speaks right now: the truth, not the setting (speech may have failed)."""
        speaker = self._speech
        if speaker is None or not getattr(speaker, "active_outputs", None):
            problem = getattr(speaker, "problem", None)
            return f"Speech now: text only. {problem or ''}".strip()
        return "Speech now: " + ", ".join(speaker.active_outputs) + "."

    def _voices(self) -> list[tuple[str, str]]:
        voice = getattr(self._speech, "own_voice", None)
        if voice is None:
            return []
        try:
            return [(v.id, v.name) for v in voice.voices()]
        except Exception:
            log.exception("listing voices failed")
            return []

    def _hotkeys_page(self, s: Settings) -> QWidget:
        page, form = self._form()
        note = QLabel(
            "Global hotkeys, like ctrl+alt+shift+d. Leave empty for none. They avoid Insert and "
            "Caps Lock, which screen readers use."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.hotkey_edits: dict[str, QLineEdit] = {}
        for command in commands.COMMANDS:
            if command.global_ and (command.hotkey or command.id in s.ui.hotkeys):
                title = command.plain_label
                edit = self._row(form, f"{title}:", QLineEdit(s.ui.hotkeys.get(command.id, "")), f"Hotkey for: {title}")
                self.hotkey_edits[command.id] = edit
        for n in range(1, 5):
            action = f"prompt_{n}"
            edit = self._row(
                form,
                f"Saved prompt {n}:",
                QLineEdit(s.ui.hotkeys.get(action, "")),
                f"Hotkey that asks saved prompt {n} about the screen",
            )
            self.hotkey_edits[action] = edit
        return page

    def _models_page(self, s: Settings) -> QWidget:
        page, form = self._form()
        self.backend = self._row(
            form, "&Backend:", QComboBox(), "auto uses the description model when installed, else the embedded one"
        )
        for value, text in (
            ("auto", "Automatic"),
            ("embedded", "Embedded (offline, fast)"),
            ("vlm", "Description model"),
            ("remote", "Model server (see the Model server page)"),
        ):
            self.backend.addItem(text, value)
        self.backend.setCurrentIndex(max(self.backend.findData(s.models.backend), 0))
        self.vlm_preset = self._row(form, "Description &model:", QComboBox(), "Model preset for describe and ask")
        for name in self._vlm_presets(s.models.vlm_preset):
            self.vlm_preset.addItem(name, name)
        self.vlm_preset.setCurrentIndex(max(self.vlm_preset.findData(s.models.vlm_preset), 0))
        self.detail = self._row(form, "&Detail level:", QComboBox(), "Quick: one or two sentences. Full: more.")
        self.detail.addItem("Quick", "quick")
        self.detail.addItem("Full", "full")
        self.detail.setCurrentIndex(max(self.detail.findData(s.models.detail), 0))
        manage = _named(QPushButton("Manage &models…"), "Manage models", "Download or remove models")
        manage.clicked.connect(self._open_model_manager)
        form.addRow(manage)
        return page

    def _vlm_presets(self, current: str) -> list[str]:
        try:
            from assistant.models import Registry

            names = [p.name for p in Registry().by_task("image-text-to-text")]
        except Exception:
            log.exception("listing the description presets failed")
            names = []
        return names if current in names else [current] + names

    def _safety_page(self, s: Settings) -> QWidget:
        page, form = self._form()
        self.text_threshold = self._row(
            form, "&Text threshold:", QDoubleSpinBox(), "Words scored above this are masked. Lower is stricter."
        )
        self.image_threshold = self._row(
            form, "&Image threshold:", QDoubleSpinBox(), "Pictures scored above this are withheld. Lower is stricter."
        )
        for spin, value in (
            (self.text_threshold, s.safety.text_threshold),
            (self.image_threshold, s.safety.image_threshold),
        ):
            spin.setRange(0.05, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(float(value))
        self.picture_check = self._row(
            form,
            "&Pictures that may be explicit:",
            QComboBox(),
            "Warn says so first and blurs the preview until you show it; withhold describes nothing",
        )
        for choice, label in (("warn", "Warn and blur"), ("withhold", "Withhold"), ("off", "Do not check")):
            self.picture_check.addItem(label, choice)
        self.picture_check.setCurrentIndex(max(0, self.picture_check.findData(s.safety.picture_check)))
        return page

    def _general_page(self, s: Settings) -> QWidget:
        page, form = self._form()
        self.start_minimised = _named(
            QCheckBox("Start &minimised"), "Start minimised", "Start in the system tray without showing the window"
        )
        form.addRow(self.start_minimised)
        self.start_minimised.setChecked(bool(s.ui.start_minimised))
        note = QLabel("Describe screen hides this window for a moment, so the assistant never describes itself.")
        note.setWordWrap(True)
        form.addRow(note)
        self.prompts = self._row(
            form,
            "Saved &prompts (one a line):",
            QPlainTextEdit(),
            "Saved prompt 1 is Alt+1 in the app and prompt_1 for triggers",
        )
        self.prompts.setTabChangesFocus(True)
        self.prompts.setPlainText("\n".join(s.ui.saved_prompts))
        self.private = _named(
            QCheckBox("&Private mode: keep no history"),
            "Private mode",
            "Nothing you capture, ask or hear is written to disk. Past history stays until you clear it.",
        )
        self.private.setChecked(bool(s.history.private))
        form.addRow(self.private)
        self.keep_days = self._row(
            form, "Keep history for (&days):", QSpinBox(), "Older captures are removed. 0 keeps them without limit."
        )
        self.keep_days.setRange(0, 3650)
        self.keep_days.setValue(int(s.history.keep_days))
        self.keep_captures = self._row(
            form, "Keep at most (&captures):", QSpinBox(), "The oldest captures go first. 0 means no limit."
        )
        self.keep_captures.setRange(0, 100000)
        self.keep_captures.setValue(int(s.history.keep_captures))
        return page

    def _open_model_manager(self) -> None:
        from .model_manager import ModelManager

        self.model_manager = ModelManager(self.result_settings, self)
        self.model_manager.show()

    # ---- result -------------------------------------------------------------------------
    def collect(self) -> Settings:
        s = copy.deepcopy(self.original)
        s.outputs.speak_with = self.speak_with.currentData()
        s.speech.enabled = s.outputs.speak_with != "text"
        s.outputs.braille = self.braille.isChecked()
        s.speech.voice = self.voice.currentData() or ""
        s.speech.rate = self.rate.value()
        s.speech.volume = self.volume.value() / 100.0
        s.ui.hotkeys = {action: edit.text().strip().lower() for action, edit in self.hotkey_edits.items()}
        s.models.backend = self.backend.currentData()
        s.models.vlm_preset = self.vlm_preset.currentData()
        s.models.detail = self.detail.currentData()
        s.safety.text_threshold = round(self.text_threshold.value(), 2)
        s.safety.image_threshold = round(self.image_threshold.value(), 2)
        s.safety.picture_check = self.picture_check.currentData()
        s.ui.start_minimised = self.start_minimised.isChecked()
        s.history.private = self.private.isChecked()
        s.history.keep_days = float(self.keep_days.value())
        s.history.keep_captures = self.keep_captures.value()
        s.ui.saved_prompts = [line.strip() for line in self.prompts.toPlainText().splitlines() if line.strip()]
        return s

    def problems(self, s: Settings) -> list[str]:
        out = [p for combo in s.ui.hotkeys.values() if (p := validate_combo(combo))]
        used = [c for c in s.ui.hotkeys.values() if c]
        out += [f"The hotkey {c} is used twice." for c in sorted(set(used)) if used.count(c) > 1]
        return out

    def accept(self) -> None:
        settings = self.collect()
        problems = self.problems(settings)
        if problems:
            self.tabs.setCurrentIndex(1)
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Settings not saved", " ".join(problems), QMessageBox.StandardButton.Ok, self
            )
            box.setAccessibleName("Settings not saved")
            box.open()
            self.problem_box = box
            return
        key = self.remote_page.collect(settings.remote)
        if settings.models.backend == "remote" and not self._remote_allowed(settings):
            return
        if key and not self._store_key(settings.remote.provider, key):
            return
        self.result_settings = settings
        super().accept()

    def _remote_allowed(self, settings: Settings) -> bool:
        """Choosing a server that is not local asks once, in plain words, before any picture goes."""
        from assistant.remote import ConsentStore, consent_question, get_provider, needs_consent

        provider = get_provider(settings.remote.provider, settings.remote, settings.remote.model or None)
        if not needs_consent(provider, settings.remote):
            return True
        question = self.remote_page._gate.filter_text(consent_question(provider))[0]
        answer = QMessageBox.question(
            self,
            "Send pictures?",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        allowed = answer == QMessageBox.StandardButton.Yes
        ConsentStore().record(provider, allowed)
        return allowed

    def _store_key(self, provider: str, key: str) -> bool:
        from assistant.errors import AssistantError
        from assistant.remote import set_api_key

        try:
            set_api_key(provider, key)
        except AssistantError as exc:
            QMessageBox.warning(self, "Key not stored", self.remote_page._gate.filter_text(exc.message)[0])
            return False
        return True
