"""Walk the Qt accessibility tree of every window; fail on any focusable control without a
name. Also: the region overlay driven by keys, and announcements reach accessibility."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAccessible, QColor, QPixmap
from PySide6.QtWidgets import QWidget

from ui import announce as announce_module


def _unnamed_focusable(root: QWidget) -> list[str]:
    """Every visible widget that takes keyboard focus but has no accessible name."""
    problems = []
    for widget in [root] + root.findChildren(QWidget):
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if widget.focusProxy() is not None:  # e.g. a spin box's inner line edit: named by its owner
            continue
        iface = QAccessible.queryAccessibleInterface(widget)
        name = iface.text(QAccessible.Text.Name).strip() if iface is not None else ""
        if not name:
            problems.append(
                f"{type(widget).__name__} objectName={widget.objectName()!r} parent={type(widget.parent()).__name__}"
            )
    return problems


def _walk_tree(iface, depth=0, seen=None) -> int:
    """Visit the accessibility tree itself (not only widgets) and count nodes."""
    seen = seen if seen is not None else set()
    if iface is None or depth > 40 or not iface.isValid():
        return 0
    count = 1
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child is not None and id(child) not in seen:
            seen.add(id(child))
            count += _walk_tree(child, depth + 1, seen)
    return count


def _windows(window, qtbot):
    from ui.history_view import HistoryView
    from ui.model_manager import ModelManager
    from ui.region import RegionOverlay
    from ui.settings_dialog import SettingsDialog

    settings = SettingsDialog(window.settings, window.controller.speech, window)
    history = HistoryView(window.history, window)
    models = ModelManager(window.settings, window)
    background = QPixmap(400, 300)
    background.fill(QColor("white"))
    overlay = RegionOverlay(background)
    out = [
        ("main window", window),
        ("settings", settings),
        ("history", history),
        ("model manager", models),
        ("region overlay", overlay),
    ]
    for _, w in out[1:]:
        qtbot.addWidget(w)
        w.show()
    return out


def test_every_focusable_control_has_a_name(qtbot, window):
    window.history.add_capture(__import__("PIL.Image", fromlist=["Image"]).new("RGB", (8, 8)), "screen")
    window.progress.setVisible(True)
    window.cancel_button.setVisible(True)
    problems = {}
    for title, win in _windows(window, qtbot):
        if title == "settings":  # check every page, not only the first
            for index in range(win.tabs.count()):
                win.tabs.setCurrentIndex(index)
                problems.setdefault(title, []).extend(_unnamed_focusable(win))
        else:
            problems[title] = _unnamed_focusable(win)
        assert _walk_tree(QAccessible.queryAccessibleInterface(win)) > 1 or title == "region overlay"
        assert QAccessible.queryAccessibleInterface(win).text(QAccessible.Text.Name)
    assert {k: v for k, v in problems.items() if v} == {}


def test_menu_actions_have_mnemonics_and_shortcuts(window):
    for action in window.actions_by_name.values():
        assert "&" in action.text(), action.text()
        assert not action.shortcut().isEmpty(), action.text()
    shortcuts = [a.shortcut().toString() for a in window.actions_by_name.values()]
    assert len(shortcuts) == len(set(shortcuts)), "two actions share a shortcut"
    for menu_action in window.menuBar().actions():
        assert "&" in menu_action.text()


def test_announcement_goes_to_accessibility_and_speech(window):
    spoken = []
    announce_module.announce(window.status_label, "Describing the picture.", spoken.append)
    assert announce_module.announced[-1] == "Describing the picture."
    assert spoken == ["Describing the picture."]
    assert announce_module.QAccessibleAnnouncementEvent is not None  # Qt 6.8+ has it (required)


# ---- region overlay, driven by keys -----------------------------------------------------------
@pytest.fixture
def overlay(qtbot):
    from ui.region import RegionOverlay

    background = QPixmap(800, 600)
    background.fill(QColor("white"))
    spoken: list[str] = []
    widget = RegionOverlay(background, speak=spoken.append)
    widget.spoken = spoken
    qtbot.addWidget(widget)
    widget.start()
    qtbot.waitExposed(widget)
    return widget


def test_region_overlay_keys_move_resize_and_confirm(qtbot, overlay):
    assert overlay.box == QRect(200, 150, 400, 300)
    assert "400 by 300 pixels, at 200, 150" in overlay.spoken[0]
    qtbot.keyClick(overlay, Qt.Key.Key_Right)
    qtbot.keyClick(overlay, Qt.Key.Key_Down)
    assert overlay.box.topLeft().toTuple() == (220, 170)
    assert overlay.spoken[-1] == "400 by 300 pixels, at 220, 170"
    qtbot.keyClick(overlay, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(overlay, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(overlay, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # fine step
    assert overlay.box == QRect(221, 170, 380, 280)
    for _ in range(40):  # cannot leave the screen
        qtbot.keyClick(overlay, Qt.Key.Key_Right)
    assert overlay.box.right() == 799
    with qtbot.waitSignal(overlay.chosen) as chosen:
        qtbot.keyClick(overlay, Qt.Key.Key_Return)
    assert chosen.args[0] == QRect(420, 170, 380, 280)
    assert overlay.spoken[-1].startswith("Region chosen, 380 by 280 pixels")


def test_region_overlay_escape_cancels(qtbot, overlay):
    with qtbot.waitSignal(overlay.cancelled):
        qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible() and overlay.spoken[-1] == "Region cancelled."


def test_region_overlay_mouse_drag(qtbot, overlay):
    from PySide6.QtCore import QPoint

    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(10, 20))
    qtbot.mouseMove(overlay, QPoint(110, 70))
    with qtbot.waitSignal(overlay.chosen) as chosen:
        qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=QPoint(110, 70))
    assert chosen.args[0].topLeft().toTuple() == (10, 20)
    assert abs(chosen.args[0].width() - 100) <= 1 and abs(chosen.args[0].height() - 50) <= 1


def test_region_choice_is_cropped_and_described(qtbot, window, backend):
    from PIL import Image

    from ui.capture import grab_rect, qimage_to_pil

    background = QPixmap(400, 300)
    background.fill(QColor("white"))
    crop = grab_rect(QRect(10, 20, 120, 80), background)
    assert crop.size == (120, 80)
    assert qimage_to_pil(background.toImage()).getpixel((5, 5)) == (255, 255, 255)
    assert isinstance(crop, Image.Image)


def test_tab_order_follows_the_layout(qtbot, window):
    from PySide6.QtWidgets import QApplication

    window.question.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.question)
    seen = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    expected = [
        window.ask_button,
        window.dictate_button,
        window.transcript,
        window.preview,
        window.screen_button,
        window.open_button,
        window.describe_button,
        window.read_button,
    ]
    assert [w.accessibleName() for w in seen] == [w.accessibleName() for w in expected]


def test_no_pixel_fonts_and_fonts_follow_the_application(qtbot, window):
    from PySide6.QtWidgets import QApplication

    from ui.theme import high_contrast_palette, scale_font

    widgets = [window] + window.findChildren(QWidget)
    assert all(w.font().pixelSize() == -1 for w in widgets)  # sizes in points only
    before = window.question.font().pointSizeF()
    app = QApplication.instance()
    old_font, old_palette = app.font(), app.palette()
    try:
        scale_font(app, 2.0)
        app.setPalette(high_contrast_palette())
        qtbot.waitUntil(lambda: window.question.font().pointSizeF() == 2 * before)  # propagated by events
        qtbot.waitUntil(
            lambda: window.transcript.palette().color(window.transcript.backgroundRole()) == QColor("black")
        )
    finally:
        app.setFont(old_font)
        app.setPalette(old_palette)


def test_every_command_has_a_handler_in_the_window(window):
    """A command is carried out by a capture, an engine intent, the controller or a view method."""
    from assistant import commands

    controller_commands = {"repeat", "stop_speaking", "cancel", "dictate"}
    for c in commands.COMMANDS:
        handled = c.capture or c.intent or c.id in controller_commands or hasattr(window, f"cmd_{c.id}")
        assert handled, f"nothing carries out {c.id}"
        if c.menu or c.shortcut:
            assert c.id in window.actions_by_name


def test_menu_bar_is_named_and_f1_lists_keys_as_a_table(qtbot, window):
    assert window.menuBar().accessibleName() == "Menu bar"
    window.trigger("help")
    table = window.keys_box.table
    assert table.rowCount() >= len(window.actions_by_name)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Describe screen"] and rows["Keys and hotkeys"]
    window.keys_box.close()
