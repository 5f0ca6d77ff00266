"""History in the app: a failing history write never stops "Done.", and Clear all removes
every capture and picture after a confirmation."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from assistant.config import HistorySettings
from assistant.history import OFF_SENTENCES, HistoryStore
from tests.fs_helpers import fill, tmpfs
from ui import announce

CTRL = Qt.KeyboardModifier.ControlModifier


def _picture(size, colour):
    image = Image.new("RGB", size, colour)
    image.paste((0, 0, 0), (2, 2, 2 + size[0] // 8, 2 + size[1] // 8))
    return image


def test_disk_filling_up_mid_session_still_announces_done(qtbot, window, monkeypatch, tmp_path):
    with tmpfs(tmp_path / "small", "1m") as disk:
        window.history.close()
        store = window.controller.history = HistoryStore.open(disk / "history" / "history.sqlite3").store
        path = tmp_path / "red.png"
        _picture((120, 80), (220, 30, 30)).save(path)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
        with qtbot.waitSignal(window.job_done, timeout=20000) as done:
            qtbot.keyClick(window, Qt.Key.Key_O, CTRL)
        assert done.args[0] == "result:describe" and window.capture_id is not None

        fill(disk)
        announce.announced.clear()
        qtbot.keyClicks(window.question, "What colour is it?")
        with qtbot.waitSignal(window.job_done, timeout=20000) as done:
            qtbot.keyClick(window.question, Qt.Key.Key_Return)  # its answer cannot be filed: the disk is full
        assert done.args[0] == "result:ask"
        assert window.status_label.text() == "Done." and "Done." in announce.announced
        assert OFF_SENTENCES["full"] in announce.announced and not store.enabled  # said once, to the user
        assert store.take_problem() is None
        store.close()


def test_clear_all_asks_first_then_removes_everything(qtbot, window, monkeypatch):
    store = window.history
    for colour in ("red", "blue"):
        store.add_entry(store.add_capture(_picture((30, 20), colour), "screen"), "describe", f"A {colour} picture.")
    qtbot.keyClick(window, Qt.Key.Key_H, CTRL)
    view = window.history_view
    qtbot.waitExposed(view)
    assert view.list.count() == 2

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.keyClick(view.clear_button, Qt.Key.Key_Space)
    assert view.list.count() == 2 and len(store.recent()) == 2  # said no: nothing removed

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.keyClick(view.clear_button, Qt.Key.Key_Space)
    assert view.list.count() == 0 and store.recent() == [] and list(store.images_dir.iterdir()) == []
    assert view.count.text().startswith("History cleared.") and "History cleared." in announce.announced
    assert view.clear_button.accessibleName() == "Clear all history"


def test_private_mode_store_is_none_with_a_sentence(home):
    opened = HistoryStore.open(retention=HistorySettings(private=True))
    assert opened.store is None and "Private mode" in opened.unavailable_reason
