"""Findings of the screen-reader review (issue 13), each checked where it was found."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from assistant.events import TextChunk
from assistant.safety import trusted

from .test_trigger_and_hotkeys import _SlowStore


def test_removing_a_model_that_is_not_downloaded_is_a_sentence(qtbot, settings, home):
    from ui.model_manager import ModelManager

    manager = ModelManager(settings)
    qtbot.addWidget(manager)
    manager.show()
    names = [manager.table.item(r, 0).text() for r in range(manager.table.rowCount())]
    manager.table.selectRow(names.index("smolvlm-256m"))
    manager.remove()  # raised CacheNotFound inside the slot before: silent
    assert "is not downloaded" in manager.status.text()


def test_cli_models_remove_of_nothing_is_a_sentence_not_a_traceback(home):
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "models", "remove", "smolvlm-256m"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3 and "is not downloaded" in proc.stderr and "Traceback" not in proc.stderr


def test_download_disabling_itself_does_not_send_focus_to_remove(qtbot, settings):
    from assistant.models import Registry
    from ui.model_manager import ModelManager

    manager = ModelManager(settings, store=_SlowStore(Registry()))
    qtbot.addWidget(manager)
    manager.show()
    manager.activateWindow()
    manager.table.selectRow(0)
    manager.download_button.setFocus()
    qtbot.keyClick(manager.download_button, Qt.Key.Key_Space)
    assert manager.focusWidget() is not manager.remove_button
    assert manager.focusWidget() is manager.cancel_button
    manager.cancel()
    qtbot.waitUntil(lambda: manager.job is None, timeout=10000)


def test_streamed_answers_are_appended_never_rewritten(qtbot, window):
    changes = []
    window.transcript.document().contentsChange.connect(lambda pos, removed, added: changes.append(removed))
    window.transcript_add(trusted("Earlier answer."))
    for piece in ("The picture ", "shows a ", "red square."):
        window._on_event(TextChunk(trusted(piece)))
    assert window.transcript.toPlainText().endswith("Earlier answer.\nThe picture shows a red square.")
    assert all(removed == 0 for removed in changes)  # nothing deleted: the caret and the reader stay put


def test_describe_screen_hides_the_app_even_when_another_window_is_active(qtbot, window, monkeypatch):
    seen = []
    monkeypatch.setattr(window, "isActiveWindow", lambda: False)  # the hotkey was pressed elsewhere
    monkeypatch.setattr(window, "_capture_and_run", lambda *a: seen.append(window.isVisible()))
    window.trigger("describe_screen")
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [False]  # hidden while the screen was grabbed
    qtbot.waitUntil(window.isVisible, timeout=5000)


def test_the_focus_ring_is_wider_than_one_pixel(window):
    from ui.theme import apply_system_preferences

    apply_system_preferences(QApplication.instance())
    assert "3px solid palette(highlight)" in QApplication.instance().styleSheet()
    QApplication.instance().setStyleSheet("")
