"""capture.py and region.py with the platform layer (offscreen Qt): physical-pixel regions on
a mixed-DPI desktop, the overlay drawing each screen at its logical place, the macOS
permission sentence, and the Windows/macOS active-window paths with their system calls faked.
The real-X-server version of the DPI check is in test_xvfb_capture.py."""

from __future__ import annotations

import sys

import pytest
from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPixmap

from assistant.platforms.screens import NATIVE_ORIGIN, DesktopLayout, Rect, ScreenInfo
from ui import capture

# Windows, laptop at 200 % left of a monitor at 100 %: logical (0,0,400,300) and (800,0,400,300)
LAPTOP = ScreenInfo("laptop", Rect(0, 0, 400, 300), 2.0)
MONITOR = ScreenInfo("monitor", Rect(800, 0, 400, 300), 1.0)


def mixed_dpi_grab() -> capture.DesktopGrab:
    """A 1200x600 physical desktop: the laptop's 800x600 pixels red with a blue 20x20 square at
    physical (200,200), the monitor's 400x300 pixels green."""
    layout = DesktopLayout([LAPTOP, MONITOR], NATIVE_ORIGIN)
    assert layout.size == (1200, 600)
    image = QImage(1200, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    painter = QPainter(image)
    painter.fillRect(QRect(0, 0, 800, 600), QColor("red"))
    painter.fillRect(QRect(200, 200, 20, 20), QColor("blue"))
    painter.fillRect(QRect(800, 0, 400, 300), QColor("green"))
    painter.end()
    return capture.DesktopGrab(QPixmap.fromImage(image), layout)


def colour(image: Image.Image, x: int, y: int) -> str:
    names = {(255, 0, 0): "red", (0, 0, 255): "blue", (0, 128, 0): "green", (0, 0, 0): "black"}
    return names.get(image.getpixel((x, y))[:3], str(image.getpixel((x, y))))


def channel(image: Image.Image, x: int, y: int) -> str:
    pixel = image.getpixel((x, y))[:3]
    return "none" if max(pixel) < 20 else ("red", "green", "blue")[pixel.index(max(pixel))]


def test_region_on_the_200_percent_screen_keeps_every_pixel(qapp):
    # logical (100,100,10,10) on the laptop is physical (200,200,20,20): the blue square, whole
    image = capture.grab_rect(QRect(100, 100, 10, 10), mixed_dpi_grab())
    assert image.size == (20, 20)
    assert {colour(image, x, y) for x in range(20) for y in range(20)} == {"blue"}


def test_region_on_the_100_percent_screen(qapp):
    image = capture.grab_rect(QRect(850, 50, 100, 50), mixed_dpi_grab())
    assert image.size == (100, 50) and colour(image, 50, 25) == "green"


def test_region_in_the_logical_gap_between_screens_is_refused(qapp):
    with pytest.raises(capture.CaptureError, match="not on any screen"):
        capture.grab_rect(QRect(500, 50, 100, 50), mixed_dpi_grab())


def test_overlay_draws_each_screen_at_its_logical_place(qtbot):
    from ui.region import RegionOverlay

    overlay = RegionOverlay(mixed_dpi_grab())
    qtbot.addWidget(overlay)
    assert (overlay.width(), overlay.height()) == (1200, 300)  # the logical bounds, not 1200x600 pixels
    shot = capture.qimage_to_pil(overlay.grab().toImage())
    shot = shot.resize((overlay.width(), overlay.height()))  # in case the offscreen screen has a ratio
    # the overlay darkens what is outside the box, so compare the strongest channel
    assert channel(shot, 105, 105) == "blue"  # the laptop's square, drawn at logical (100,100)
    assert channel(shot, 30, 290) == "red"  # the laptop's bottom-left: its picture is not cut in half
    assert channel(shot, 1190, 5) == "green"  # the monitor, at logical x 800-1200
    assert channel(shot, 600, 150) == "none"  # the logical gap between them: no picture


def test_desktop_grab_is_physical_and_laid_out(qapp):
    grab = capture.grab_virtual_desktop()
    screen = QGuiApplication.primaryScreen()
    ratio = screen.devicePixelRatio()
    assert isinstance(grab, capture.DesktopGrab) and grab.problem is None
    assert grab.width() >= round(screen.geometry().width() * ratio)
    assert grab.layout.logical_bounds.width >= screen.geometry().width()


# ---- macOS: the permission ------------------------------------------------------------------
class NoPermission:
    def check(self):
        return "macOS does not let me see the screen: a capture would show only the desktop background."


def test_macos_without_permission_says_so_instead_of_capturing(qapp, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(capture, "_permission", NoPermission())
    for grab in (capture.grab_screen, lambda: capture.grab_active_window(None)):
        with pytest.raises(capture.CaptureError, match="only the desktop background"):
            grab()
    desktop = capture.grab_virtual_desktop()  # the region overlay's background: null, with the reason
    assert desktop.isNull() and "desktop background" in desktop.problem
    with pytest.raises(capture.CaptureError, match="desktop background"):
        capture.grab_rect(QRect(0, 0, 50, 50), desktop)


# ---- the active window on Windows and macOS (system calls faked) ------------------------------
def test_windows_active_window_is_cut_in_physical_pixels(qapp, monkeypatch):
    from assistant.platforms import windows

    asked = []

    def fake_capture(crop_screen, own_pid, api=None):
        asked.append(own_pid)
        image = crop_screen(Rect(10, 20, 300, 200))  # PrintWindow came back black: cut from screen
        return image, "screen"

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "capture_foreground_window", fake_capture)
    image, note = capture.grab_active_window(None)
    assert asked and note == "" and image.size == (300, 200)


def test_macos_active_window_from_the_window_list(qapp, monkeypatch):
    from assistant.platforms import macos

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(capture, "_permission", type("Granted", (), {"check": lambda self: None})())
    window = {
        "kCGWindowNumber": 7,
        "kCGWindowOwnerPID": 400,
        "kCGWindowOwnerName": "Safari",
        "kCGWindowLayer": 0,
        "kCGWindowBounds": {"X": 40, "Y": 30, "Width": 320, "Height": 240},
    }
    monkeypatch.setattr(macos, "window_list", lambda: [window])
    monkeypatch.setattr(macos, "frontmost_pid", lambda: 400)
    image, note = capture.grab_active_window(None)
    ratio = QGuiApplication.primaryScreen().devicePixelRatio()
    assert note == "" and image.size == (round(320 * ratio), round(240 * ratio))


def test_macos_without_a_front_window_falls_back_and_says_so(qapp, monkeypatch):
    from assistant.platforms import macos

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(capture, "_permission", type("Granted", (), {"check": lambda self: None})())
    monkeypatch.setattr(macos, "window_list", lambda: [])
    monkeypatch.setattr(macos, "frontmost_pid", lambda: 400)
    image, note = capture.grab_active_window(None)
    assert "whole screen" in note and image.width > 0


def test_a_failing_system_call_falls_back_to_the_screen(qapp, monkeypatch):
    from assistant.platforms import windows

    def broken(crop_screen, own_pid, api=None):
        raise OSError("[WinError 5] Access is denied")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows, "capture_foreground_window", broken)
    image, note = capture.grab_active_window(None)
    assert "whole screen" in note
