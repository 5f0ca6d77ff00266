"""Screen, window, clipboard and file captures, returned as PIL images for the engine.

Runs on the GUI thread (Qt's grab functions require it); a full-HD grab takes milliseconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QCursor, QGuiApplication, QImage, QPainter, QPixmap

from assistant.errors import BadInput
from assistant.images import load_image


class CaptureError(BadInput):
    """A capture could not be made; the message says why in a plain sentence."""


def qimage_to_pil(image: QImage) -> Image.Image:
    """Convert through an in-memory PNG-free buffer copy: exact pixels, no Qt lifetime issues."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = bytes(rgb.constBits())[: stride * height]
    return Image.frombuffer("RGB", (width, height), data, "raw", "RGB", stride, 1).copy()


def pil_to_qimage(image: Image.Image) -> QImage:
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()


def _is_wayland() -> bool:
    return QGuiApplication.platformName().startswith("wayland")


def _check(pixmap: QPixmap, what: str) -> Image.Image:
    if pixmap.isNull() or pixmap.width() == 0:
        if _is_wayland():
            raise CaptureError(
                f"I could not capture the {what}: this Wayland session does not allow apps "
                "to take screenshots. Take one with your desktop's screenshot key, then "
                "paste it here with Control+V."
            )
        raise CaptureError(f"I could not capture the {what}.")
    return qimage_to_pil(pixmap.toImage())


def screen_under_pointer():
    return QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()


def grab_screen(all_screens: bool = False) -> Image.Image:
    """The screen under the mouse pointer, or every screen side by side."""
    screens = QGuiApplication.screens()
    if not screens:
        raise CaptureError("There is no screen to capture.")
    if not all_screens or len(screens) == 1:
        return _check(screen_under_pointer().grabWindow(0), "screen")
    return _check(grab_virtual_desktop(), "screens")


def grab_virtual_desktop() -> QPixmap:
    screens = QGuiApplication.screens()
    area = QRect()
    for screen in screens:
        area = area.united(screen.geometry())
    canvas = QPixmap(area.size())
    canvas.fill()
    painter = QPainter(canvas)
    for screen in screens:
        painter.drawPixmap(screen.geometry().topLeft() - area.topLeft(), screen.grabWindow(0))
    painter.end()
    return canvas


def grab_rect(rect: QRect, source: QPixmap | None = None) -> Image.Image:
    """A rectangle in virtual-desktop coordinates (from the region overlay)."""
    if rect.width() < 2 or rect.height() < 2:
        raise CaptureError("The region is too small. Make it bigger and try again.")
    if source is not None:
        return _check(source.copy(rect), "region")
    screen = QGuiApplication.screenAt(rect.center()) or QGuiApplication.primaryScreen()
    local = rect.translated(-screen.geometry().topLeft())
    return _check(screen.grabWindow(0, local.x(), local.y(), local.width(), local.height()), "region")


def active_window_id() -> int | None:
    """The foreground window of whatever app is active (not only ours), where the OS tells us."""
    if sys.platform == "win32":
        import ctypes

        return int(ctypes.windll.user32.GetForegroundWindow()) or None
    if QGuiApplication.platformName() == "xcb" and shutil.which("xdotool"):
        try:
            out = subprocess.run(
                ["xdotool", "getactivewindow"], capture_output=True, text=True, timeout=2, env=dict(os.environ)
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else None
    return None


def grab_active_window(fallback_widget=None) -> tuple[Image.Image, str]:
    """(image, note). Falls back to our own focused window, then to the screen, saying so."""
    wid = active_window_id()
    if wid:
        pixmap = screen_under_pointer().grabWindow(wid)
        if not pixmap.isNull() and pixmap.width() > 1:
            return qimage_to_pil(pixmap.toImage()), ""
    if fallback_widget is not None and fallback_widget.isVisible():
        return qimage_to_pil(fallback_widget.grab().toImage()), "I could only see this app's own window."
    return grab_screen(), "I could not find the active window, so I captured the whole screen."


def clipboard_image() -> Image.Image:
    clip = QGuiApplication.clipboard()
    mime = clip.mimeData()
    if mime is not None and mime.hasImage():
        image = clip.image()
        if not image.isNull():
            return qimage_to_pil(image)
    if mime is not None and mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                return load_image(url.toLocalFile())
    raise CaptureError("The clipboard has no picture. Copy an image or take a screenshot first.")
