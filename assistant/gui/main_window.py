"""The main window: picture preview, transcript, question box, actions, progress, status.

Every action is a named QAction (menus, shortcuts, tray and triggers all use the same one);
all model work runs in an EngineJob thread.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assistant.config import Settings

from . import capture
from .actions import ACTIONS
from .announce import announce
from .speech import AppSpeech
from .workers import EngineJob, EngineProvider

# If nothing has been said this long after a request starts, say what it is doing, so the
# user never sits in silence wondering whether the key press worked.
BUSY_SPEECH_MS = 1500
HIDE_FOR_CAPTURE_MS = 250  # long enough for the window system to repaint what was behind us
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


class MainWindow(QMainWindow):
    busy_changed = Signal(bool)
    speech_problem = Signal(str)  # from a background check of the TTS worker
    job_done = Signal(str)  # "result:<intent>" | "error:<kind>" (tests and the benchmark)

    def __init__(
        self, settings: Settings, provider: EngineProvider | None = None, history=None, speech: AppSpeech | None = None
    ):
        super().__init__()
        self.settings = settings
        self.provider = provider or EngineProvider(settings)
        self.history = history
        self.speech = speech or AppSpeech(settings)
        self.current_image: Image.Image | None = None
        self.capture_id: int | None = None
        self.job: EngineJob | None = None
        self._pending: tuple | None = None
        self._restore = None  # applied to the engine session by the next job
        self._awaiting_capture = False
        self._pending_entries: list[tuple[str, str, str]] = []
        self._last_progress = ""
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_SPEECH_MS)
        self._busy_timer.timeout.connect(self._say_busy)
        self._answer_parts: list[str] = []
        self._last_answer = ""
        self.quitting = False
        self.tray = None
        self.setWindowTitle("Screen Assistant")
        self.setObjectName("mainWindow")
        self.setAccessibleName("Screen Assistant")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._set_tab_order()
        self.resize(QSize(900, 650))
        self.speech_problem.connect(self._on_speech_problem)  # emitted from a checking thread
        if not self.speech.available and self.speech.reason:
            self.status(self.speech.reason)

    def _on_speech_problem(self, text: str) -> None:
        self.announce(text, speak=False)

    def check_speech(self) -> None:
        """Find out off the GUI thread whether speech can be heard; say why not in the status."""
        import threading

        def check():
            problem = self.speech.problem()
            if problem:
                self.speech_problem.emit(f"{problem} Answers are shown as text.")

        threading.Thread(target=check, daemon=True, name="speech-check").start()

    # ---- layout -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.preview = QLabel("No picture yet. Capture the screen, paste or open an image.")
        self.preview.setObjectName("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setWordWrap(True)
        self.preview.setMinimumSize(QSize(200, 150))
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.preview.setAccessibleName("Picture")
        self.preview.setAccessibleDescription("No picture yet.")

        self.transcript = QPlainTextEdit()
        self.transcript.setObjectName("transcript")
        self.transcript.setReadOnly(True)
        # Keyboard-selectable so screen readers can move through it line by line.
        self.transcript.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.transcript.setAccessibleName("Transcript")
        self.transcript.setAccessibleDescription("Descriptions, questions and answers, newest at the end.")
        self.transcript.setTabChangesFocus(True)

        question_label = QLabel("&Question:")
        self.question = QLineEdit()
        self.question.setObjectName("question")
        self.question.setAccessibleName("Question")
        self.question.setAccessibleDescription(
            "Type a question about the picture and press Enter. Also used "
            "as the instruction for Edit and the prompt for Generate."
        )
        self.question.setPlaceholderText("Ask about the picture, e.g. what does the red button say?")
        self.question.returnPressed.connect(self.ask)
        question_label.setBuddy(self.question)
        self.ask_button = self._button("&Ask", "Ask the question about the picture", self.ask)
        self.dictate_button = self._button("Dic&tate", "Speak your question (press again to stop)", self.dictate)

        self.describe_button = self._button("&Describe", "Describe the current picture", self.describe)
        self.read_button = self._button("&Read text", "Read the text in the current picture", self.read_text)
        self.screen_button = self._button(
            "Describe &screen", "Capture the screen and describe it", lambda: self.trigger("describe_screen")
        )
        self.open_button = self._button("&Open image…", "Open an image file", self.open_file)

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setAccessibleName("Progress")
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.cancel_button = self._button("&Cancel", "Cancel the current step (Escape)", self.cancel)
        self.cancel_button.setVisible(False)

        self.status_label = QLabel("Ready.")
        self.status_label.setObjectName("status")
        self.status_label.setAccessibleName("Status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.status_label.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.preview)
        splitter.addWidget(self.transcript)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        ask_row = QHBoxLayout()
        ask_row.addWidget(question_label)
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        ask_row.addWidget(self.dictate_button)
        action_row = QHBoxLayout()
        for button in (self.screen_button, self.open_button, self.describe_button, self.read_button):
            action_row.addWidget(button)
        action_row.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(action_row)
        layout.addWidget(splitter, 1)
        layout.addLayout(ask_row)
        layout.addLayout(progress_row)
        layout.addWidget(self.status_label)
        self.setCentralWidget(central)

    def _button(self, text: str, description: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.setAccessibleDescription(description)
        button.setToolTip(description)
        button.clicked.connect(slot)
        return button

    def _set_tab_order(self) -> None:
        order = [
            self.question,
            self.ask_button,
            self.dictate_button,
            self.transcript,
            self.preview,
            self.screen_button,
            self.open_button,
            self.describe_button,
            self.read_button,
            self.cancel_button,
            self.status_label,
        ]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    # ---- actions and menus --------------------------------------------------------------
    def _action(self, name: str, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text.replace("&", "").rstrip("…"))
        action.setToolTip(action.statusTip())
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        a = self._action
        a("open_file", "&Open image…", self.open_file, QKeySequence.StandardKey.Open)
        a("paste", "&Paste image", self.paste_image, "Ctrl+Shift+V")
        a("save", "&Save picture…", self.save_image, QKeySequence.StandardKey.Save)
        a("history", "&History…", self.show_history, "Ctrl+H")
        a("settings", "Se&ttings…", self.show_settings, "Ctrl+,")
        a("models", "&Model manager…", self.show_models, "Ctrl+M")
        a("hide", "&Hide window", self.hide_to_tray, "Ctrl+W")
        a("quit", "&Quit", self.quit_app, "Ctrl+Q")
        a("describe_screen", "Describe &screen", lambda: self.trigger("describe_screen"), "Ctrl+1")
        a(
            "describe_all",
            "Describe &all screens",
            lambda: self.capture_and_run("all_screens", "describe"),
            "Ctrl+Shift+1",
        )
        a("describe_window", "Describe active &window", lambda: self.trigger("describe_window"), "Ctrl+2")
        a("describe_region", "Describe a &region…", lambda: self.trigger("describe_region"), "Ctrl+3")
        a("read_screen", "Read &text on screen", lambda: self.trigger("read_text"), "Ctrl+4")
        a("describe", "&Describe picture", self.describe, "Ctrl+D")
        a("read_text", "&Read text in picture", self.read_text, "Ctrl+R")
        a("ask", "&Ask", self.ask, "Ctrl+Return")
        a("focus_question", "&Question box", self.focus_question, "Ctrl+L")
        a("dictate", "Dic&tate", self.dictate, "Ctrl+Shift+D")
        a("edit", "&Edit picture (instruction in question box)", self.edit, "Ctrl+E")
        a("generate", "&Generate picture (prompt in question box)", self.generate, "Ctrl+G")
        a("undo", "&Undo edit", lambda: self.run_engine("undo"), "Ctrl+Z")
        a("redo", "Red&o edit", lambda: self.run_engine("redo"), "Ctrl+Shift+Z")
        a("repeat", "&Repeat last answer", self.repeat, "Ctrl+Shift+R")
        a("stop", "&Stop speaking and cancel", self.stop, "Escape")
        a("cancel", "&Cancel current step", self.cancel, "Ctrl+.")
        a("keys", "&Keys and hotkeys", self.show_keys, QKeySequence.StandardKey.HelpContents)
        for n, prompt in enumerate(self.settings.ui.saved_prompts[:9], start=1):
            a(f"prompt_{n}", f"&{n} {prompt}", lambda checked=False, n=n: self.saved_prompt(n), f"Alt+{n}")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        groups = [
            ("&File", ["open_file", "paste", "save", None, "history", "settings", "models", None, "hide", "quit"]),
            ("&Capture", ["describe_screen", "describe_all", "describe_window", "describe_region", "read_screen"]),
            (
                "&Picture",
                ["describe", "read_text", "ask", "focus_question", "dictate", None, "edit", "generate", "undo", "redo"],
            ),
            ("Pro&mpts", [n for n in self.actions_by_name if n.startswith("prompt_")]),
            ("&Speech", ["repeat", "stop", "cancel"]),
            ("&Help", ["keys"]),
        ]
        for title, names in groups:
            menu: QMenu = bar.addMenu(title)
            menu.setAccessibleName(title.replace("&", ""))
            for name in names:
                menu.addSeparator() if name is None else menu.addAction(self.actions_by_name[name])

    # ---- status and announcements -------------------------------------------------------
    def status(self, text: str) -> None:
        self.status_label.setText(text)

    def announce(self, text: str, speak: bool = True, assertive: bool = False) -> None:
        """Status line + accessibility announcement + (optionally) the app's own speech."""
        self.status(text)
        announce(
            self.status_label, text, self.speech.say if speak and self.speech.available else None, assertive=assertive
        )

    def transcript_add(self, text: str) -> None:
        self.transcript.appendPlainText(text)
        self.transcript.verticalScrollBar().setValue(self.transcript.verticalScrollBar().maximum())

    # ---- picture ------------------------------------------------------------------------
    def set_picture(self, image: Image.Image, description: str = "") -> None:
        self.current_image = image
        self._show_pixmap()
        self.preview.setAccessibleDescription(description or f"A picture, {image.width} by {image.height} pixels.")

    def _show_pixmap(self) -> None:
        if self.current_image is None:
            return
        pixmap = QPixmap.fromImage(capture.pil_to_qimage(self.current_image))
        self.preview.setPixmap(
            pixmap.scaled(
                self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_pixmap()

    # ---- running engine requests ---------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None

    def run_engine(
        self, intent: str, image=None, text: str = "", options=None, source: str = "", label: str | None = ""
    ) -> None:
        """Start a request; a running one is cancelled and this one starts after it."""
        from assistant.engine import Request

        request = Request(intent, image=image, text=text, options=dict(options or {}))
        if self.job is not None:
            self._pending = (request, source, label)
            self.job.cancel()
            return
        self._start(request, source, label)

    def _start(self, request, source: str, label: str | None) -> None:
        prepare = None
        if request.image is not None and source and self.history is not None:
            image = request.image
            history = self.history
            prepare = lambda: history.add_capture(image, source)  # noqa: E731 (runs in the job thread)
        if isinstance(request.image, Image.Image):
            self.set_picture(request.image)
            self.capture_id = None
        self._awaiting_capture = prepare is not None
        restore, self._restore = self._restore, None
        job = EngineJob(self.provider, request, prepare, self, restore=restore)
        job.prepared.connect(self._on_prepared)
        job.progress.connect(self._on_progress)
        job.chunk.connect(self._on_chunk)
        job.result.connect(self._on_result)
        job.error.connect(self._on_error)
        job.finished.connect(self._on_finished)
        self.job = job
        self._answer_parts = []
        self.speech.begin()
        if label is not None:
            self.transcript_add(label or _default_label(request))
        self._set_busy(True)
        self._last_progress = ""
        self.announce("Working.", speak=False)
        self._busy_timer.start()
        job.start()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setRange(0, 0)
        self.busy_changed.emit(busy)

    def _on_prepared(self, capture_id) -> None:
        """The capture is stored (written alongside the request): file what was said already."""
        self._awaiting_capture = False
        self.capture_id = capture_id
        pending, self._pending_entries = self._pending_entries, []
        for kind, text, question in pending:
            self._record(kind, text, question)

    def _on_progress(self, stage: str, message: str, fraction: float) -> None:
        if fraction >= 0:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(fraction * 100))
        self.progress.setFormat(message)
        self._last_progress = message
        self.announce(message, speak=False)

    def _say_busy(self) -> None:
        if self.job is not None and not self._answer_parts and self.speech.available:
            self.speech.say(self._last_progress or "Working.")

    def _on_chunk(self, text: str) -> None:
        from assistant.engine import TextChunk

        if not self._answer_parts:
            self.transcript_add("")
            self._answer_start = self.transcript.document().characterCount() - 1
        self._answer_parts.append(text)
        # Rewrite the answer in place so it stays whole lines while it streams in.
        cursor = self.transcript.textCursor()
        cursor.setPosition(self._answer_start)
        cursor.movePosition(cursor.MoveOperation.End, cursor.MoveMode.KeepAnchor)
        cursor.insertText("".join(self._answer_parts).strip())
        self.speech.feed(TextChunk(text))

    def _on_result(self, result) -> None:
        self.speech.finish()
        if result.image is not None:
            self.set_picture(result.image)
            self._store_capture(result.image, result.intent)
        text = result.text.strip()
        if result.intent in ("describe", "ask", "read_text", "edit", "generate", "undo", "redo", "clarify"):
            if not self._answer_parts and text:
                self.transcript_add(text)
                self.speech.say(text)
            if text:
                self._last_answer = text
            if result.intent in ("describe", "read_text") and text:
                self.preview.setAccessibleDescription(text)
            self._record(result.intent, text, result.slots.get("question", ""))
            self.status("Done.")
            announce(self.status_label, "Done.")
        elif result.intent == "transcribe":
            self._dictated(text)
        else:
            self.act_on_intent(result.intent, result.slots)
        self.job_done.emit(f"result:{result.intent}")

    def _record(self, kind: str, text: str, question: str) -> None:
        if self._awaiting_capture:
            self._pending_entries.append((kind, text, question))
        elif self.history is not None and self.capture_id is not None and text:
            self.history.add_entry(self.capture_id, kind, text, question)

    def _store_capture(self, image: Image.Image, source: str) -> None:
        if self.history is not None:
            self.capture_id = self.history.add_capture(image, source)

    def _on_error(self, kind: str, message: str) -> None:
        self.speech.finish()
        prefix = {"blocked": "Blocked. ", "cancelled": ""}.get(kind, "")
        text = prefix + message if not message.startswith(prefix) else message
        self.transcript_add(text)
        self.announce(text, assertive=kind != "cancelled")
        self.job_done.emit(f"error:{kind}")

    def _on_finished(self) -> None:
        self._busy_timer.stop()
        job, self.job = self.job, None
        if job is not None:
            job.wait()  # `finished` comes just before the thread ends; let it end first
            job.deleteLater()
        self._set_busy(False)
        if self._pending is not None:
            request, source, label = self._pending
            self._pending = None
            self._start(request, source, label)

    def cancel(self) -> None:
        if self.job is not None:
            self._pending = None
            self.job.cancel()
            self.status("Cancelling.")

    def stop(self) -> None:
        """Escape: stop speaking, and cancel whatever is running."""
        self.speech.stop()
        if self.job is not None:
            self.cancel()
        else:
            self.status("Stopped.")

    # ---- user actions -------------------------------------------------------------------
    def describe(self) -> None:
        self.run_engine("describe")

    def read_text(self) -> None:
        self.run_engine("read_text")

    def ask(self) -> None:
        question = self.question.text().strip()
        if not question:
            self.focus_question()
            self.announce("Type a question first.")
            return
        self.question.clear()
        self.run_engine("ask", text=question, label=f"Q: {question}")

    def edit(self) -> None:
        self._with_box_text("edit", "Type the change you want in the question box, then choose Edit.")

    def generate(self) -> None:
        self._with_box_text("generate", "Type what to draw in the question box, then choose Generate.")

    def _with_box_text(self, intent: str, hint: str) -> None:
        text = self.question.text().strip()
        if not text:
            self.focus_question()
            self.announce(hint)
            return
        self.question.clear()
        self.run_engine(intent, text=text, label=f"{intent.capitalize()}: {text}")

    def focus_question(self) -> None:
        self.bring_to_front()
        self.question.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def repeat(self) -> None:
        if self._last_answer:
            self.speech.stop()
            self.speech.say(self._last_answer)
            self.status(self._last_answer.splitlines()[0])
        else:
            self.announce("There is nothing to repeat yet.")

    def saved_prompt(self, number: int) -> None:
        prompts = self.settings.ui.saved_prompts
        if not 1 <= number <= len(prompts):
            self.announce(f"There is no saved prompt {number}.")
            return
        prompt = prompts[number - 1]
        if self.current_image is None:
            self.capture_and_run("screen", "ask", text=prompt)
        else:
            self.run_engine("ask", text=prompt, label=f"Q: {prompt}")

    def dictate(self) -> None:
        from .dictation import Dictation

        if not hasattr(self, "_dictation"):
            self._dictation = Dictation(self)
        self._dictation.toggle()

    def _dictated(self, text: str) -> None:
        """Spoken input may be a question or a command ("make it bigger", "read this"):
        the engine's router decides; the UI acts on what it returns."""
        if not text:
            self.announce("I did not hear anything.")
            return
        self.transcript_add(f"You said: {text}")
        self.run_engine("utterance", text=text, label=None)

    # ---- captures -----------------------------------------------------------------------
    def trigger(self, action: str) -> None:
        """Run a named action (hotkeys, tray, `main.py trigger`, buttons)."""
        if action == "describe_screen":
            self.capture_and_run("screen", "describe")
        elif action == "describe_window":
            self.capture_and_run("window", "describe")
        elif action == "describe_region":
            self.choose_region()
        elif action == "read_text":
            self.capture_and_run("screen", "read_text")
        elif action == "ask":
            self.focus_question()
            self.announce("Ask your question.")
        elif action == "repeat":
            self.repeat()
        elif action == "stop_speaking":
            self.stop()
        elif action == "open_app":
            self.bring_to_front()
        elif action.startswith("prompt_"):
            self.saved_prompt(int(action[7:]))
        else:
            self.announce(f"Unknown action {action}.")

    def capture_and_run(self, kind: str, intent: str, text: str = "") -> None:
        if kind in ("screen", "all_screens", "window"):
            self._out_of_the_way(lambda: self._capture_and_run(kind, intent, text))
        else:
            self._capture_and_run(kind, intent, text)

    def _out_of_the_way(self, grab) -> None:
        """When our own window is in front (the action came from its menu or a button), hide it
        for a moment so the capture shows the screen the user means, then bring it back."""
        if not (self.isVisible() and self.isActiveWindow() and not self.isMinimized()):
            grab()
            return
        self.hide()

        def grab_and_return():
            try:
                grab()
            finally:
                self.show()
                self.activateWindow()

        QTimer.singleShot(HIDE_FOR_CAPTURE_MS, self, grab_and_return)  # context: dropped if we are deleted

    def _capture_and_run(self, kind: str, intent: str, text: str = "") -> None:
        try:
            image, note = self._capture(kind)
        except capture.CaptureError as exc:
            self.announce(exc.message, assertive=True)
            return
        if note:
            self.status(note)
        label = {"describe": "Describe", "read_text": "Read text", "ask": f"Q: {text}"}.get(intent, intent)
        self.run_engine(
            intent,
            image=image,
            text=text,
            source=kind,
            label=f"{label} ({kind.replace('_', ' ')})" if intent != "ask" else label,
        )

    def _capture(self, kind: str) -> tuple[Image.Image, str]:
        if kind == "screen":
            return capture.grab_screen(), ""
        if kind == "all_screens":
            return capture.grab_screen(all_screens=True), ""
        if kind == "window":
            return capture.grab_active_window(self)
        if kind == "clipboard":
            return capture.clipboard_image(), ""
        raise capture.CaptureError(f"Unknown capture {kind}.")

    def choose_region(self) -> None:
        self._out_of_the_way(self._show_region_overlay)

    def _show_region_overlay(self) -> None:
        from .region import RegionOverlay

        background = capture.grab_virtual_desktop()
        if background.isNull() or background.width() < 2:
            self.announce("I could not capture the screen to choose a region.", assertive=True)
            return
        self.overlay = RegionOverlay(background, speak=self.speech.say if self.speech.available else None)
        self.overlay.chosen.connect(lambda rect, bg=background: self._region_chosen(rect, bg))
        self.overlay.start()

    def _region_chosen(self, rect, background) -> None:
        try:
            image = capture.grab_rect(rect, background)
        except capture.CaptureError as exc:
            self.announce(exc.message, assertive=True)
            return
        self.run_engine("describe", image=image, source="region", label="Describe (region)")

    def paste_image(self) -> None:
        self.capture_and_run("clipboard", "describe")

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        from assistant.errors import AssistantError
        from assistant.images import load_image

        try:
            image = load_image(path, max_pixels=self.settings.max_pixels)
        except AssistantError as exc:
            self.announce(exc.message, assertive=True)
            return
        self.run_engine(
            "describe", image=image, source=f"file:{Path(path).name}", label=f"Describe ({Path(path).name})"
        )

    def save_image(self) -> None:
        if self.current_image is None:
            self.announce("There is no picture to save.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save picture", str(Path.home() / "picture.png"), "PNG image (*.png);;JPEG image (*.jpg)"
        )
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        try:
            self.current_image.save(path)
        except (OSError, ValueError) as exc:
            self.announce(f"Could not save the picture: {exc}.", assertive=True)
            return
        self.announce(f"Saved to {path}.")

    # drag and drop: files or image data
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and mime.urls()[0].isLocalFile():
            self.open_path(mime.urls()[0].toLocalFile())
        elif mime.hasImage():
            self.run_engine(
                "describe",
                image=capture.qimage_to_pil(mime.imageData()),
                source="drop",
                label="Describe (dropped picture)",
            )
        event.acceptProposedAction()

    # ---- intents routed by the engine that the UI acts on --------------------------------
    def act_on_intent(self, intent: str, slots: dict) -> None:
        mapping = {
            "capture_screen": lambda: self.trigger("describe_screen"),
            "capture_window": lambda: self.trigger("describe_window"),
            "capture_region": lambda: self.trigger("describe_region"),
            "repeat": self.repeat,
            "stop_speaking": self.stop,
            "save": self.save_image,
            "open_file": self.open_file,
            "help": self.show_keys,
        }
        handler = mapping.get(intent)
        if handler is None:
            self.announce(f"I can't do '{intent}' from here.")
        else:
            handler()

    # ---- other windows ------------------------------------------------------------------
    def show_history(self) -> None:
        from .history_view import HistoryView

        if self.history is None:
            self.announce("History is not available.")
            return
        self.history_view = HistoryView(self.history, self)
        self.history_view.reopen.connect(self.reopen_capture)
        self.history_view.show()
        self.history_view.activateWindow()

    def reopen_capture(self, capture_id: int) -> None:
        capture_row = self.history.get(capture_id)
        if capture_row is None:
            self.announce("That capture is no longer in the history.")
            return
        image = capture_row.load_image()
        self.capture_id = capture_id
        last = capture_row.entries[-1].text if capture_row.entries else ""
        self.set_picture(image, capture_row.summary if capture_row.entries else "")
        self._last_answer = last
        qa = [(e.question, e.text) for e in capture_row.entries if e.kind == "ask"]
        self._restore = lambda engine: _restore_session(engine, image, qa)
        self.transcript_add(f"Re-opened capture {capture_id} ({capture_row.source}).")
        for entry in capture_row.entries:
            self.transcript_add(f"Q: {entry.question}\n{entry.text}" if entry.question else entry.text)
        self.bring_to_front()
        self.question.setFocus()
        self.announce(f"Re-opened. {capture_row.summary} Ask a question.", speak=True)

    def show_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.speech, self)
        self.settings_dialog = dialog
        if dialog.exec():
            self.apply_settings(dialog.result_settings)

    def apply_settings(self, settings: Settings) -> None:
        settings.save()
        self.settings = settings
        self.provider.replace_settings(settings)
        self.speech.set_settings(settings)
        app_hotkeys = getattr(self, "hotkeys", None)
        if app_hotkeys is not None:
            app_hotkeys.register(settings.ui.hotkeys)
        self.announce("Settings saved.")

    def show_models(self) -> None:
        from .model_manager import ModelManager

        self.model_manager = ModelManager(self.settings, self)
        self.model_manager.show()
        self.model_manager.activateWindow()

    def show_keys(self) -> None:
        lines = [
            f"{a.text().replace('&', '')}: {a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}"
            for a in self.actions_by_name.values()
            if not a.shortcut().isEmpty()
        ]
        lines.append("")
        lines.append("Global hotkeys:")
        lines += [f"{ACTIONS.get(k, k)}: {v}" for k, v in self.settings.ui.hotkeys.items()]
        box = QMessageBox(
            QMessageBox.Icon.Information, "Keys and hotkeys", "\n".join(lines), QMessageBox.StandardButton.Close, self
        )
        box.setAccessibleName("Keys and hotkeys")
        box.open()
        self.keys_box = box

    # ---- window management --------------------------------------------------------------
    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    def hide_to_tray(self) -> None:
        if self.tray is not None:
            self.hide()
            self.announce("The assistant is in the system tray.", speak=True)
        else:
            self.showMinimized()

    def quit_app(self) -> None:
        self.quitting = True
        if self.job is not None:
            self.job.cancel()
            self.job.wait(5000)
        self.speech.close()
        self.close()
        QGuiApplication.quit()

    def closeEvent(self, event) -> None:
        if self.tray is not None and not self.quitting:
            event.ignore()
            self.hide_to_tray()
            return
        if self.job is not None:
            self.job.cancel()
            self.job.wait(5000)
        super().closeEvent(event)


def _restore_session(engine, image, qa) -> None:
    engine.session.set_image(image)
    engine.session.history = list(qa)


def _default_label(request) -> str:
    return {
        "describe": "Describe",
        "read_text": "Read text",
        "ask": f"Q: {request.text}",
        "undo": "Undo",
        "redo": "Redo",
    }.get(request.intent, request.intent.capitalize())
