"""The main window: a view of the Controller. Picture preview, transcript, question box,
buttons, progress, status; menus, shortcuts and buttons generated from assistant.commands.

What the window does itself is only what needs Qt: capturing the screen, dialogs, showing
things. Requests, history, speech and settings belong to the controller; its events arrive on
the controller's worker thread and hop to the GUI thread through one queued signal.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter
from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QPixmap
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

from assistant import commands
from assistant.controller import (
    Busy,
    ConsentNeeded,
    Controller,
    Dictating,
    Finished,
    Notice,
    PictureShown,
    RunCommand,
    TranscriptLine,
)
from assistant.errors import AssistantError
from assistant.events import ErrorEvent, PictureVerdict, Progress, Result, SafeText, TextChunk
from assistant.logs import get_logger
from assistant.safety import trusted

from . import capture
from .announce import announce
from .settle import HIDE_FOR_CAPTURE_MS, POLL_MS, RETURN_AFTER_MS, ScreenSettle
from .status import StatusLine

log = get_logger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
BLUR_RADIUS = 24
SEPARATOR_AFTER = {"save", "models", "dictate"}  # menu groups


class MainWindow(QMainWindow):
    busy_changed = Signal(bool)
    job_done = Signal(str)  # "result:<intent>" | "error:<kind>", after the window has shown it
    _wake = Signal()  # "events are waiting": carries nothing across threads

    def __init__(self, controller: Controller):
        super().__init__()
        self.controller = controller
        self.current_image: Image.Image | None = None
        self._blurred = False
        self._answer_open = False
        self.quitting = False
        self.tray: Any = None
        self.hotkeys: Any = None  # HotkeyManager, set by the app
        self.overlay: Any = None  # the region picker while it is open
        self.history_off_reason = ""  # why there is no history this session, if there is none
        self._refocus_after = False  # give the focus back after a capture (we had it before)
        self._grabs_match = False  # this screen's grabs were seen to equal the window's rendering
        self.setWindowTitle("Screen Assistant")
        self.setObjectName("mainWindow")
        self.setAccessibleName("Screen Assistant")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._set_tab_order()
        self.resize(QSize(900, 650))
        # Controller events arrive on its worker thread. They wait in a plain queue and a signal
        # without arguments wakes the GUI thread to take them, in order; no Python object has
        # to be marshalled through Qt's queued connections.
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._gui_thread = threading.get_ident()
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        controller.add_listener(self._receive)
        for problem in controller.settings.problems:
            self.transcript_add(controller.gated(problem))

    @property
    def settings(self):
        return self.controller.settings

    @property
    def history(self):
        return self.controller.history

    @property
    def capture_id(self) -> int | None:
        return self.controller.capture_id

    @property
    def busy(self) -> bool:
        return self.controller.busy

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
        self.question.returnPressed.connect(lambda: self.trigger("ask"))
        question_label.setBuddy(self.question)
        self.ask_button = self._button("ask")
        self.dictate_button = self._button("dictate")
        self.describe_button = self._button("describe")
        self.read_button = self._button("read_text")
        self.screen_button = self._button("describe_screen")
        self.open_button = self._button("open_file")

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setAccessibleName("Progress")
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.cancel_button = self._button("cancel")
        self.cancel_button.setVisible(False)

        self.status_label = StatusLine("Status", "Ready.")
        self.status_label.setObjectName("status")

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

    def _button(self, command_id: str) -> QPushButton:
        command = commands.BY_ID[command_id]
        button = QPushButton(command.button)
        button.setObjectName(f"{command_id}Button")
        button.setAccessibleName(command.button.replace("&", "").rstrip("…"))
        button.setAccessibleDescription(command.help)
        button.setToolTip(command.help)
        button.clicked.connect(lambda: self.trigger(command_id))
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
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # ---- actions and menus, from the command registry --------------------------------------
    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        for command in commands.COMMANDS:
            if command.menu or command.shortcut:
                self._add_action(command)
        for n, prompt in enumerate(self.settings.ui.saved_prompts[: commands.MAX_SAVED_PROMPTS], start=1):
            saved = commands.get(f"prompt_{n}")
            assert saved is not None
            self._add_action(saved, text=f"&{n} {prompt}")

    def _add_action(self, command: commands.Command, text: str | None = None) -> QAction:
        action = QAction(text or command.label, self)
        action.setObjectName(command.id)
        if command.shortcut:
            standard = getattr(QKeySequence.StandardKey, command.shortcut, None)
            action.setShortcut(QKeySequence(standard) if standard is not None else QKeySequence(command.shortcut))
        action.setStatusTip(command.help)
        action.setToolTip(command.help)
        action.triggered.connect(lambda checked=False, c=command.id: self.trigger(c))
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        self.actions_by_name[command.id] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        bar.setAccessibleName("Menu bar")
        for key, title in commands.MENUS:
            menu: QMenu = bar.addMenu(title)
            menu.setAccessibleName(title.replace("&", ""))
            ids = [c.id for c in commands.in_menu(key)]
            if key == "prompts":
                ids = [name for name in self.actions_by_name if name.startswith("prompt_")]
            for command_id in ids:
                menu.addAction(self.actions_by_name[command_id])
                if command_id in SEPARATOR_AFTER:
                    menu.addSeparator()

    # ---- commands -------------------------------------------------------------------------
    def trigger(self, command_id: str) -> None:
        """Carry out a command (menus, shortcuts, buttons, hotkeys, the tray, `trigger`, voice)."""
        command = commands.get(command_id)
        if command is None:
            self.announce(self.controller.gated(f"Unknown action {command_id}."))
            return
        if (n := commands.prompt_number(command_id)) is not None:
            self.saved_prompt(n)
        elif command.capture:
            self.capture_and_run(command.capture, command.intent, source_command=command_id)
        elif hasattr(self, f"cmd_{command_id}"):
            getattr(self, f"cmd_{command_id}")()
        elif command.needs_text:
            text = self.question.text()
            if text.strip():
                self.question.clear()
            else:
                self.focus_question()
            self.controller.ask_or_run(command, text)
        elif not self.controller.run_command(command_id):
            self.announce(self.controller.gated(f"I can't do '{command_id}' from here."))

    def saved_prompt(self, number: int) -> None:
        prompt = self.controller.saved_prompt(number)
        if prompt is None:
            return
        if self.current_image is None:
            self.capture_and_run("screen", "ask", text=prompt)
        else:
            self.controller.submit("ask", text=prompt, label=self.controller.gated(f"Q: {prompt}"))

    def cmd_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def cmd_save(self) -> None:
        if self.current_image is None:
            self.announce(trusted("There is no picture to save."))
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save picture", str(Path.home() / "picture.png"), "PNG image (*.png);;JPEG image (*.jpg)"
        )
        if path:
            self.save_to(path)

    def cmd_history(self) -> None:
        from .history_view import HistoryView

        if self.history is None:
            reason = self.history_off_reason or "History is not available."
            self.announce(self.controller.gated(reason))
            return
        self.history_view = HistoryView(self.history, self, gated=self.controller.gated)
        self.history_view.reopen.connect(self.reopen_capture)
        self.history_view.show()
        self.history_view.activateWindow()

    def cmd_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.controller.speech, self)
        self.settings_dialog = dialog
        if dialog.exec():
            self.apply_settings(dialog.result_settings)

    def cmd_models(self) -> None:
        from .model_manager import ModelManager

        self.model_manager = ModelManager(self.settings, self)
        self.model_manager.show()
        self.model_manager.activateWindow()

    def cmd_hide(self) -> None:
        if self.tray is not None:
            self.hide()
            self.announce(trusted("The assistant is in the system tray."))
        else:
            self.showMinimized()

    def cmd_quit(self) -> None:
        self.quitting = True
        self.close()
        QGuiApplication.quit()

    def cmd_focus_question(self) -> None:
        self.focus_question()
        self.announce(trusted("Ask your question."), speak=False)

    def cmd_help(self) -> None:
        from .keys_dialog import KeysDialog

        self.keys_box = KeysDialog(self.actions_by_name, self.settings.ui.hotkeys, self)
        self.keys_box.open()

    def cmd_open_log_folder(self) -> None:
        from assistant.logs import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.announce(self.controller.gated(f"The log folder is {folder}."))

    def cmd_open_app(self) -> None:
        self.bring_to_front()

    def cmd_dictate(self) -> None:
        self.controller.dictate()

    def cmd_stop_speaking(self) -> None:
        self.controller.stop()

    def focus_question(self) -> None:
        self.bring_to_front()
        self.question.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---- controller events (GUI thread) -------------------------------------------------------
    def _receive(self, event) -> None:
        if threading.get_ident() == self._gui_thread:
            self._drain()  # keep order: anything queued before goes first
            self._on_event(event)
        else:
            self._inbox.put(event)
            self._wake.emit()

    def _drain(self) -> None:
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._on_event(event)

    def _on_event(self, event) -> None:
        if isinstance(event, TextChunk):
            self._append_answer(event.text)
        elif isinstance(event, Progress):
            if event.fraction is not None:
                self.progress.setRange(0, 100)
                self.progress.setValue(int(event.fraction * 100))
            self.progress.setFormat(event.message)
            self.announce(event.message, speak=False)
        elif isinstance(event, Notice):
            self.announce(event.text, assertive=event.assertive, speak=False)
        elif isinstance(event, TranscriptLine):
            self._answer_open = False
            self.transcript_add(event.text)
        elif isinstance(event, PictureShown):
            self.set_picture(event.image, event.description)
        elif isinstance(event, PictureVerdict):
            self._set_blur(event.flagged)
        elif isinstance(event, Result):
            self._on_result(event)
        elif isinstance(event, ErrorEvent):
            self._answer_open = False
        elif isinstance(event, Busy):
            self._set_busy(event.busy)
        elif isinstance(event, RunCommand):
            self.trigger(event.command)
        elif isinstance(event, Dictating):
            self.dictate_button.setText("Stop dic&tating" if event.on else "Dic&tate")
            self.dictate_button.setAccessibleName("Stop dictating" if event.on else "Dictate")
        elif isinstance(event, ConsentNeeded):
            self._ask_consent(event)
        elif isinstance(event, Finished):
            self.job_done.emit(event.what)

    def _ask_consent(self, event: ConsentNeeded) -> None:
        answer = QMessageBox.question(
            self,
            "Send pictures?",
            event.question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        self.controller.answer_consent(event.provider, answer == QMessageBox.StandardButton.Yes, event.request)

    def _append_answer(self, text: SafeText) -> None:
        """Streamed text is appended where the answer ends: the caret and what a screen reader
        has read stay put (the whole answer is never rewritten)."""
        if not self._answer_open:
            self._answer_open = True
            self.transcript_add(trusted(""))
        cursor = self.transcript.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(text.lstrip() if self._at_line_start() else text)
        self._scroll_to_end()

    def _at_line_start(self) -> bool:
        return self.transcript.document().lastBlock().text() == ""

    def _on_result(self, result: Result) -> None:
        self._answer_open = False
        if not result.text:
            return
        if result.intent in ("describe", "read_text"):
            self.preview.setAccessibleDescription(result.text)
        if not self._has_streamed(result):
            self.transcript_add(result.text)

    def _has_streamed(self, result: Result) -> bool:
        last = self.transcript.document().lastBlock().text()
        return bool(last) and result.text.rstrip().endswith(last.strip())

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setRange(0, 0)
        self.busy_changed.emit(busy)

    # ---- status and announcements -------------------------------------------------------
    def status(self, text: SafeText) -> None:
        self.status_label.setText(text)

    def announce(self, text: SafeText, speak: bool = True, assertive: bool = False) -> None:
        """Status line + accessibility announcement (+ the controller's speech when speak)."""
        self.status(text)
        announce(self.status_label, text, assertive=assertive)
        if speak:
            self.controller.speak(text)

    def transcript_add(self, text: SafeText) -> None:
        self.transcript.appendPlainText(text)
        self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    # ---- picture ------------------------------------------------------------------------
    def set_picture(self, image: Image.Image, description: SafeText | None = None) -> None:
        if image is not self.current_image:
            self._blurred = False
        self.current_image = image
        self._show_pixmap()
        self.preview.setAccessibleDescription(description or f"A picture, {image.width} by {image.height} pixels.")

    def _set_blur(self, flagged: bool) -> None:
        if flagged != self._blurred:
            self._blurred = flagged
            self._show_pixmap()

    def cmd_show_picture(self) -> None:
        """The user chose to see a picture that was blurred as possibly explicit."""
        self._set_blur(False)

    def _show_pixmap(self) -> None:
        if self.current_image is None:
            return
        image = self.current_image
        if self._blurred:
            small = image.convert("RGB")
            small.thumbnail((256, 256))
            image = small.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
        pixmap = QPixmap.fromImage(capture.pil_to_qimage(image))
        self.preview.setPixmap(
            pixmap.scaled(
                self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_pixmap()

    # ---- captures -----------------------------------------------------------------------
    def capture_and_run(self, kind: str, intent: str, text: str = "", source_command: str = "") -> None:
        if kind == "region":
            self._out_of_the_way(self._show_region_overlay)
        elif kind in ("screen", "all_screens", "window"):
            self._out_of_the_way(lambda: self._capture_and_run(kind, intent, text))
        else:
            self._capture_and_run(kind, intent, text)

    def _out_of_the_way(self, grab) -> None:
        """The app never describes itself: while it is on screen it hides for a moment so the
        capture shows what the user means, then comes back. It takes the focus back only if it
        had it (a hotkey pressed in another program leaves the focus there). The capture waits
        until the screen shows what was behind the window (ui/settle.py), at most
        HIDE_FOR_CAPTURE_MS."""
        if not self.isVisible() or self.isMinimized():
            grab()
            return
        was_active = self.isActiveWindow()
        settle, sample = self._settle_check()
        self.hide()
        started = time.monotonic()

        def grab_then_return():
            self._refocus_after = was_active
            try:
                grab()
            finally:
                # The capture does not wait for this: the window comes back only once the window
                # manager has surely finished hiding it (openbox, given the window back at once,
                # left the focus with nobody).
                hidden_for = (time.monotonic() - started) * 1000
                QTimer.singleShot(max(0, round(RETURN_AFTER_MS - hidden_for)), self, self._show_behind_picker)

        def poll():
            waited = (time.monotonic() - started) * 1000
            if settle is not None and settle.hidden_already:
                grab_then_return()  # covered by other windows: the screen never showed the app
            elif waited >= HIDE_FOR_CAPTURE_MS or (settle is not None and settle.settled(sample())):
                grab_then_return()
            elif settle is not None and settle.known:
                QTimer.singleShot(POLL_MS, self, poll)  # context: dropped if we are deleted
            else:
                QTimer.singleShot(max(1, round(HIDE_FOR_CAPTURE_MS - waited)), self, poll)

        QTimer.singleShot(0, self, poll)

    def _settle_check(self):
        """(ScreenSettle, sampler) for the area this window covers, from a grab of it and the
        window's own rendering taken before hiding; (None, None) when the screen cannot be
        grabbed here (the fixed wait is used then)."""
        screen = self.screen()
        if screen is None:
            return None, None
        area = self.geometry().translated(-screen.geometry().topLeft())
        try:
            before = capture.grab_area(screen, area)
            own = capture.pixmap_pixels(self.grab())
        except Exception:  # a platform that cannot grab: wait the fixed time, as before
            log.exception("grabbing the window's area before a capture")
            return None, None
        settle = ScreenSettle(before, own, grabs_match=self._grabs_match)
        self._grabs_match = self._grabs_match or settle.known
        return settle, lambda: capture.grab_area(screen, area)

    def check_grabs_match(self) -> None:
        """Once the window is on screen and in front: do this screen's grabs equal the window's
        own rendering? Then a later capture with the window entirely covered need not wait."""
        if self._grabs_match or not self.isVisible() or not self.isActiveWindow():
            return
        settle, _ = self._settle_check()
        log.info("screen grabs %s the window's rendering", "equal" if settle and settle.known else "differ from")

    def _show_behind_picker(self) -> None:
        """Show the window again. While the region picker is open it must keep the focus (arrows,
        Enter and Escape go to it), so the window is shown without being activated."""
        overlay = self.overlay
        picking = overlay is not None and overlay.isVisible()
        if not picking and self._refocus_after:
            self.show()
            self._refocus()
            return
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.show()
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, False)
        if picking:
            overlay.raise_()
            overlay.activateWindow()

    def _refocus(self) -> None:
        if getattr(self, "_refocus_after", False):
            self._refocus_after = False
            self.activateWindow()

    def _capture_and_run(self, kind: str, intent: str, text: str = "") -> None:
        try:
            image, note = self._capture(kind)
        except capture.CaptureError as exc:
            self.announce(self.controller.gated(exc.message), assertive=True)
            return
        if note:
            self.status(self.controller.gated(note))
        label = self.controller.capture_label(intent, kind, text)
        self.controller.submit(intent, image=image, text=text, source=kind, label=label)

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

    def _show_region_overlay(self) -> None:
        from .region import RegionOverlay

        background = capture.grab_virtual_desktop()
        if background.isNull() or background.width() < 2:
            self._refocus()
            problem = getattr(background, "problem", None)  # e.g. no Screen Recording permission
            message = (
                self.controller.gated(problem)
                if problem
                else trusted("I could not capture the screen to choose a region.")
            )
            self.announce(message, assertive=True)
            return
        speak = self.controller.speech.say if self.controller.speech is not None else None
        self.overlay = overlay = RegionOverlay(background, speak=speak, gated=self.controller.gated)
        overlay.chosen.connect(lambda rect, bg=background: self._region_chosen(rect, bg))
        overlay.cancelled.connect(self._region_cancelled)
        overlay.start()

    def _region_chosen(self, rect, background) -> None:
        self._refocus()
        try:
            image = capture.grab_rect(rect, background)
        except capture.CaptureError as exc:
            self.announce(self.controller.gated(exc.message), assertive=True)
            return
        label = self.controller.capture_label("describe", "region")
        self.controller.submit("describe", image=image, source="region", label=label)

    def _region_cancelled(self) -> None:
        self._refocus()  # the picker said "Region cancelled." itself

    def open_path(self, path: str) -> None:
        from assistant.images import load_image

        try:
            image = load_image(path, max_pixels=self.settings.max_pixels, max_file_mb=self.settings.max_file_mb)
        except AssistantError as exc:
            self.announce(self.controller.gated(exc.message), assertive=True)
            return
        name = Path(path).name
        label = self.controller.gated(f"Describe ({name})")
        self.controller.submit("describe", image=image, source=f"file:{name}", label=label)

    def save_to(self, path: str) -> None:
        if self.current_image is None:
            return
        try:
            self.current_image.save(path)
        except (OSError, ValueError):
            self.announce(self.controller.gated(f"Could not save the picture to {path}."), assertive=True)
            return
        self.announce(self.controller.gated(f"Saved to {path}."))

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
            image = capture.qimage_to_pil(mime.imageData())
            label = trusted("Describe (dropped picture)")
            self.controller.submit("describe", image=image, source="drop", label=label)
        event.acceptProposedAction()

    def hotkey_notice(self, text: str) -> None:
        """News from the hotkey backend after start (the Wayland portal's answer, a lost X
        connection): announced, and kept in the transcript."""
        safe = self.controller.gated(text)
        self.transcript_add(safe)
        self.announce(safe, assertive=True, speak=False)

    # ---- history and settings -----------------------------------------------------------------
    def reopen_capture(self, capture_id: int) -> None:
        if self.controller.reopen(capture_id):
            self.bring_to_front()
            self.question.setFocus()

    def apply_settings(self, settings) -> None:
        self.controller.apply_settings(settings)
        if self.hotkeys is not None:
            self.hotkeys.register(settings.ui.hotkeys)

    # ---- window management --------------------------------------------------------------
    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event) -> None:
        if self.tray is not None and not self.quitting:
            event.ignore()
            self.cmd_hide()
            return
        self.controller.cancel()
        super().closeEvent(event)
