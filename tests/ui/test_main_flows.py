"""Main flows driven by keyboard events: describe an opened file and a pasted picture, ask a
follow-up, cancel, re-open from history and ask more, settings persist."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog

from assistant.config import Settings
from ui.capture import pil_to_qimage

CTRL = Qt.KeyboardModifier.ControlModifier


def _picture(size, colour):
    """A mostly one-colour picture with a small black mark (a plain fill is caught as blank)."""
    image = Image.new("RGB", size, colour)
    image.paste((0, 0, 0), (2, 2, 2 + size[0] // 8, 2 + size[1] // 8))
    return image


def _open_by_keys(qtbot, window, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(window, Qt.Key.Key_O, CTRL)
    return done.args[0]


def test_describe_opened_file_then_ask_follow_up(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "red.png"
    _picture((320, 200), (220, 30, 30)).save(path)
    assert _open_by_keys(qtbot, window, monkeypatch, path) == "result:describe"
    description = "A picture 320 by 200 pixels, mostly red."
    assert description in window.transcript.toPlainText()
    assert window.preview.accessibleDescription() == description
    assert window.spoken and window.spoken[0].startswith("A picture 320 by 200")  # streamed to speech
    assert window.status_label.text() == "Done."

    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)  # focus the question box
    assert QApplication.focusWidget() is window.question
    qtbot.keyClicks(window.question, "What colour is it?")
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(window.question, Qt.Key.Key_Return)
    assert done.args[0] == "result:ask"
    assert (
        # the description is the first turn of the conversation (issue 10: follow-ups know what was said)
        "You asked: What colour is it. Earlier questions: 1. The picture is mostly red."
        in window.transcript.toPlainText()
    )

    qtbot.keyClicks(window.question, "And the size?")
    with qtbot.waitSignal(window.job_done, timeout=20000):
        qtbot.keyClick(window.question, Qt.Key.Key_Return)
    assert "Earlier questions: 2." in window.transcript.toPlainText()  # the follow-up had context

    (capture,) = window.history.recent()
    assert capture.source == "file:red.png" and (capture.width, capture.height) == (320, 200)
    assert [(e.kind, e.question) for e in capture.entries] == [
        ("describe", ""),
        ("ask", "What colour is it?"),
        ("ask", "And the size?"),
    ]


def test_paste_clipboard_picture(qtbot, window):
    QGuiApplication.clipboard().setImage(pil_to_qimage(_picture((64, 48), (30, 30, 220))))
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(window, Qt.Key.Key_V, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert done.args[0] == "result:describe"
    assert "A picture 64 by 48 pixels, mostly blue." in window.transcript.toPlainText()
    assert window.history.recent()[0].source == "clipboard"


def test_bad_file_is_a_plain_sentence(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.keyClick(window, Qt.Key.Key_O, CTRL)
    assert not window.busy and "Traceback" not in window.status_label.text()
    assert "notes.png" in window.status_label.text() or "picture" in window.status_label.text().lower()


def test_escape_cancels_a_long_step(qtbot, window, backend, monkeypatch, tmp_path):
    backend.hold.set()
    path = tmp_path / "green.png"
    _picture((100, 100), (30, 160, 30)).save(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.keyClick(window, Qt.Key.Key_O, CTRL)
    qtbot.waitUntil(lambda: "A picture 100 by 100" in window.transcript.toPlainText(), timeout=20000)
    assert window.cancel_button.isVisible() and window.progress.isVisible()
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert done.args[0] == "error:cancelled"
    qtbot.waitUntil(lambda: not window.busy)
    assert not window.cancel_button.isVisible()
    assert "mostly green" not in window.transcript.toPlainText()
    assert window.transcript.toPlainText().rstrip().endswith("Cancelled.")


def test_history_reopen_and_ask_more(qtbot, window, backend):
    store = window.history
    yellow = _picture((90, 60), (240, 220, 40))
    old = store.add_capture(yellow, "screen")
    store.add_entry(old, "describe", "A yellow square.")
    store.add_entry(old, "ask", "It is yellow.", question="What colour?")
    other = store.add_capture(_picture((10, 10), "white"), "clipboard")
    store.add_entry(other, "describe", "A white dot.")

    qtbot.keyClick(window, Qt.Key.Key_H, CTRL)
    view = window.history_view
    qtbot.waitExposed(view)
    assert view.list.count() == 2
    qtbot.keyClicks(view.search, "yellow")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.list.count() == 1 and "A yellow square." in view.list.item(0).text()
    assert "Q: What colour?" in view.details.toPlainText()
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Return)  # re-open
    assert window.capture_id == old
    assert window.preview.accessibleDescription() == "A yellow square."

    qtbot.keyClicks(window.question, "Anything else?")
    with qtbot.waitSignal(window.job_done, timeout=20000):
        qtbot.keyClick(window.question, Qt.Key.Key_Return)
    kind, size, history = backend.calls[-1]
    assert (kind, size) == ("ask", (90, 60))
    assert history == [("Describe this picture.", "A yellow square."), ("What colour?", "It is yellow.")]
    assert "Earlier questions: 2. The picture is mostly yellow." in window.transcript.toPlainText()
    assert [e.question for e in store.get(old).entries][-1] == "Anything else?"


def test_settings_persist(qtbot, window):
    def drive_dialog():
        dialog = window.settings_dialog
        dialog.tabs.setCurrentIndex(0)
        dialog.rate.setFocus()
        dialog.rate.selectAll()
        qtbot.keyClicks(dialog.rate, "250")
        dialog.tabs.setCurrentIndex(4)
        dialog.start_minimised.setFocus()
        qtbot.keyClick(dialog.start_minimised, Qt.Key.Key_Space)
        dialog.tabs.setCurrentIndex(1)
        edit = dialog.hotkey_edits["describe_screen"]
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, "ctrl+alt+shift+x")
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter = OK

    QTimer.singleShot(0, drive_dialog)
    qtbot.keyClick(window, Qt.Key.Key_Comma, CTRL)
    loaded = Settings.load()
    assert loaded.speech.rate == 250
    assert loaded.ui.start_minimised is True
    assert loaded.ui.hotkeys["describe_screen"] == "ctrl+alt+shift+x"
    assert window.settings.speech.rate == 250


def test_settings_refuse_clashing_hotkeys(qtbot, window):
    from ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, window.controller.speech, window)
    qtbot.addWidget(dialog)
    dialog.hotkey_edits["repeat"].setText("insert+d")
    dialog.hotkey_edits["focus_question"].setText(dialog.hotkey_edits["read_screen"].text())
    problems = dialog.problems(dialog.collect())
    assert any("Insert" in p for p in problems) and any("used twice" in p for p in problems)
    dialog.accept()
    assert dialog.result() == 0 and Settings.load().ui.hotkeys["repeat"] == "ctrl+alt+shift+p"


def test_dictate_without_microphone_says_so(qtbot, window):
    from assistant.speech.audio import microphone_problem

    if microphone_problem() is None:
        import pytest

        pytest.skip("a microphone is present; this checks the no-microphone sentence")
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert not window.busy and "microphone" in window.status_label.text().lower()
    assert window.dictate_button.text() == "Dic&tate"


def test_dictate_then_ask_with_real_speech(qtbot, window, backend, monkeypatch, tmp_path):
    """Push-to-talk: the recording (espeak-ng speech instead of a microphone) is transcribed by
    the embedded Whisper model through the Engine and asked as the question."""
    import shutil
    import subprocess

    import numpy as np
    import pytest
    import soundfile

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "What colour is the sky?"], check=True)
    samples, rate = soundfile.read(wav, dtype="float32")

    class FileRecorder:  # stands in for the microphone only
        def start(self):
            pass

        def stop(self):
            from assistant.speech.stt import resample

            return resample(np.asarray(samples), rate)

    import assistant.speech.audio as audio

    monkeypatch.setattr(audio, "Recorder", FileRecorder)
    window.set_picture(_picture((40, 40), (30, 30, 220)))
    window.controller.engine().session.set_image(window.current_image)
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.dictate_button.accessibleName() == "Stop dictating"
    with qtbot.waitSignal(window.job_done, timeout=120000) as done:
        qtbot.keyClick(window, Qt.Key.Key_D, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert done.args[0] == "result:transcribe"
    qtbot.waitUntil(lambda: not window.busy and backend.calls and backend.calls[-1][0] == "ask", timeout=20000)
    qtbot.waitUntil(lambda: "The picture is mostly blue." in window.transcript.toPlainText(), timeout=20000)
    asked = window.transcript.toPlainText().lower()
    assert "sky" in asked and "colo" in asked


def test_describe_region_chosen_with_keys(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_3, CTRL)
    qtbot.waitUntil(lambda: getattr(window, "overlay", None) is not None and window.overlay.isVisible())
    qtbot.waitUntil(window.isVisible)  # hidden only for the grab, then back
    overlay = window.overlay
    qtbot.waitExposed(overlay)
    start = overlay.box.size()
    qtbot.keyClick(overlay, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(overlay, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(overlay, Qt.Key.Key_Return)
    assert done.args[0] == "result:describe"
    capture = window.history.recent()[0]
    assert capture.source == "region"
    assert (capture.width, capture.height) == (start.width() - 20, start.height() - 20)
    assert window.current_image.size == (start.width() - 20, start.height() - 20)


def test_edit_then_undo_by_keys(qtbot, window, monkeypatch, tmp_path):
    """Spoken-style edit through the real imaging handler; the new picture replaces the preview
    and is stored; Ctrl+Z brings the original back."""
    path = tmp_path / "red.png"
    _picture((120, 80), (220, 30, 30)).save(path)
    assert _open_by_keys(qtbot, window, monkeypatch, path) == "result:describe"
    original = window.current_image.copy()
    qtbot.keyClicks(window.question, "invert the colours")
    with qtbot.waitSignal(window.job_done, timeout=60000) as done:
        qtbot.keyClick(window, Qt.Key.Key_E, CTRL)
    assert done.args[0] == "result:edit", window.transcript.toPlainText()
    r, g, b = window.current_image.getpixel((100, 70))
    assert (r, g, b) == tuple(255 - c for c in original.getpixel((100, 70)))
    assert window.history.recent()[0].source == "edit"
    window.preview.setFocus()
    with qtbot.waitSignal(window.job_done, timeout=60000) as done:
        qtbot.keyClick(window.preview, Qt.Key.Key_Z, CTRL)
    assert done.args[0] == "result:undo"
    assert window.current_image.tobytes() == original.tobytes()


def test_blocked_edit_is_announced_and_picture_kept(qtbot, window, settings, monkeypatch, tmp_path):
    """With the image threshold at 0 the gate withholds every output picture: the UI must say
    'Blocked', keep the old picture and store nothing new."""
    from ui import announce as announce_module

    settings.safety.image_threshold = 0.0
    path = tmp_path / "red.png"
    _picture((120, 80), (220, 30, 30)).save(path)
    assert _open_by_keys(qtbot, window, monkeypatch, path) == "result:describe"
    before = window.current_image.tobytes()
    qtbot.keyClicks(window.question, "invert the colours")
    with qtbot.waitSignal(window.job_done, timeout=60000) as done:
        qtbot.keyClick(window, Qt.Key.Key_E, CTRL)
    assert done.args[0] == "error:blocked"
    assert window.status_label.text().startswith("Blocked.")
    assert announce_module.announced[-1].startswith("Blocked.")
    assert window.current_image.tobytes() == before and len(window.history.recent()) == 1


def test_drop_file_and_saved_prompt_by_key(qtbot, window, backend, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "chart.png"
    _picture((200, 100), (30, 160, 30)).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        window.dropEvent(drop)
    assert done.args[0] == "result:describe" and window.history.recent()[0].source == "file:chart.png"

    with qtbot.waitSignal(window.job_done, timeout=20000) as done:
        qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # saved prompt 1
    prompt = window.settings.ui.saved_prompts[0]
    assert done.args[0] == "result:ask"
    assert f"You asked: {prompt.rstrip('?')}" in window.transcript.toPlainText()
    assert window.history.recent()[0].entries[-1].question == prompt


def test_settings_say_what_speaks_now_not_what_was_chosen(qtbot, window):
    """Issue 13: "Speak answers" stayed ticked when speech was unavailable. The Speech page now
    says what actually speaks, from the speaker itself, next to the "Speak with" choice."""
    from types import SimpleNamespace

    from ui.settings_dialog import SettingsDialog

    broken = SimpleNamespace(active_outputs=[], problem="No audio output device was found.", own_voice=None)
    dialog = SettingsDialog(window.settings, broken, window)
    qtbot.addWidget(dialog)
    assert dialog.speech_state.text() == "Speech now: text only. No audio output device was found."
    working = SimpleNamespace(active_outputs=["screen reader (speech-dispatcher)"], problem=None, own_voice=None)
    dialog = SettingsDialog(window.settings, working, window)
    qtbot.addWidget(dialog)
    assert dialog.speech_state.text() == "Speech now: screen reader (speech-dispatcher)."
