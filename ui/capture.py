"""Screen, window, clipboard and file captures, returned as PIL images for the engine.

Runs on the GUI thread (Qt's grab functions require it); a full-HD grab takes milliseconds.
Every capture is in physical pixels at any scaling; the platform decisions (DPI layout, the
Windows and macOS active window, the macOS Screen Recording permission) live in
assistant.platforms, Qt-free and tested there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QImage, QPainter, QPixmap

from assistant.errors import BadInput
from assistant.images import load_image
from assistant.logs import get_logger
from assistant.platforms.screens import DesktopLayout, Rect, ScreenInfo, coordinate_model

log = get_logger(__name__)


class CaptureError(BadInput):
    """A capture could not be made; the message says why in a plain sentence."""


def qimage_to_pil(image: QImage) -> Image.Image:
    """Convert through an in-memory PNG-free buffer copy: exact pixels, no Qt lifetime issues."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = bytes(rgb.constBits())[: stride * height]
    return Image.frombuffer("RGB", (width, height), data, "raw", "RGB", stride, 1).copy()


def pixmap_pixels(pixmap: QPixmap) -> np.ndarray:
    """(height, width, 3) uint8 copy of a pixmap's physical pixels (BGR order: for comparing
    two grabs, not for the engine)."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    if width == 0 or height == 0:
        return np.zeros((0, 0, 3), np.uint8)
    rows = np.frombuffer(image.constBits(), np.uint8, stride * height).reshape(height, stride // 4, 4)
    return rows[:, :width, :3].copy()


def grab_area(screen, area: QRect) -> np.ndarray:
    """The screen's pixels in `area` (logical units, relative to that screen's top-left)."""
    return pixmap_pixels(screen.grabWindow(0, area.x(), area.y(), area.width(), area.height()))


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


# ---- permission (macOS) -----------------------------------------------------------------------
_permission = None


def screen_access_problem() -> str | None:
    """A sentence if the system will not show us the screen (macOS without the Screen
    Recording permission: captures would show only the wallpaper); None otherwise."""
    global _permission
    if sys.platform != "darwin":
        return None
    from assistant.platforms.macos import ScreenRecordingPermission

    try:
        _permission = _permission or ScreenRecordingPermission()
        return _permission.check()
    except Exception:  # CoreGraphics not loadable: let the capture try, the blank guard remains
        log.exception("checking the Screen Recording permission")
        return None


def _ensure_screen_access() -> None:
    if problem := screen_access_problem():
        raise CaptureError(problem)


# ---- screens ------------------------------------------------------------------------------------
def _rect(r: QRect) -> Rect:
    return Rect(r.x(), r.y(), r.width(), r.height())


def _qrect(r: Rect) -> QRect:
    return QRect(r.x, r.y, r.width, r.height)


def screen_under_pointer():
    return QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()


def grab_screen(all_screens: bool = False) -> Image.Image:
    """The screen under the mouse pointer, or every screen side by side, in physical pixels
    (QScreen.grabWindow returns device pixels at any scaling)."""
    _ensure_screen_access()
    screens = QGuiApplication.screens()
    if not screens:
        raise CaptureError("There is no screen to capture.")
    if not all_screens or len(screens) == 1:
        return _check(screen_under_pointer().grabWindow(0), "screen")
    return _check(grab_virtual_desktop(), "screens")


class DesktopGrab(QPixmap):
    """Every screen's physical pixels in one picture, plus the layout saying where each screen
    is (the region overlay paints from it, region and window crops map through it). `problem`
    is the sentence to say when the system would not show the screen (the pixmap is null)."""

    def __init__(self, pixmap: QPixmap, layout: DesktopLayout, problem: str | None = None):
        super().__init__(pixmap)
        self.layout = layout
        self.problem = problem


def grab_virtual_desktop() -> DesktopGrab:
    """All screens in one physical-pixel picture, laid out by platforms.screens (no screen is
    shrunk to its logical size, mixed-DPI monitors leave no gaps)."""
    model = coordinate_model(QGuiApplication.platformName())
    if problem := screen_access_problem():
        return DesktopGrab(QPixmap(), DesktopLayout([], model), problem)
    screens = [s for s in QGuiApplication.screens() if not s.geometry().isEmpty()]
    layout = DesktopLayout([ScreenInfo(s.name(), _rect(s.geometry()), s.devicePixelRatio()) for s in screens], model)
    width, height = layout.size
    if width <= 0 or height <= 0:
        return DesktopGrab(QPixmap(), layout)
    canvas = QImage(width, height, QImage.Format.Format_RGB32)
    canvas.fill(Qt.GlobalColor.black)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # only a 1x screen beside a 2x one scales
    for screen, placement in zip(screens, layout.placements, strict=True):
        image = screen.grabWindow(0).toImage()
        image.setDevicePixelRatio(1.0)
        painter.drawImage(_qrect(placement.canvas), image)
    painter.end()
    return DesktopGrab(QPixmap.fromImage(canvas), layout)


def grab_rect(rect: QRect, source: QPixmap | None = None) -> Image.Image:
    """A rectangle chosen in the region overlay (logical units from the virtual desktop's
    top-left), cut from `source` (the overlay's background) in physical pixels."""
    if rect.width() < 2 or rect.height() < 2:
        raise CaptureError("The region is too small. Make it bigger and try again.")
    if source is None:
        source = grab_virtual_desktop()
    if isinstance(source, DesktopGrab):
        if source.problem:
            raise CaptureError(source.problem)
        canvas = source.layout.to_canvas(_rect(rect))
        if canvas is None:
            raise CaptureError("The region is not on any screen. Move it onto a screen and try again.")
        return _check(source.copy(_qrect(canvas)), "region")
    return _check(source.copy(rect), "region")


def _cut_from_desktop(native: Rect) -> Image.Image | None:
    """A window rectangle in the system's own coordinates, cut from a fresh desktop grab."""
    desktop = grab_virtual_desktop()
    canvas = desktop.layout.native_to_canvas(native) if not desktop.isNull() else None
    if canvas is None:
        return None
    return qimage_to_pil(desktop.copy(_qrect(canvas)).toImage())


# ---- the active window --------------------------------------------------------------------------
def active_window_id() -> int | None:
    """The foreground window of whatever app is active (not only ours), where the OS tells us."""
    if sys.platform == "win32":
        import ctypes

        return int(ctypes.windll.user32.GetForegroundWindow()) or None  # type: ignore[attr-defined]
    if QGuiApplication.platformName() == "xcb" and shutil.which("xdotool"):
        try:
            out = subprocess.run(
                ["xdotool", "getactivewindow"], capture_output=True, text=True, timeout=2, env=dict(os.environ)
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else None
    return None


def _system_window() -> Image.Image | None:
    """The active window through the system's own means (see platforms.windows / .macos)."""
    try:
        if sys.platform == "win32":
            from assistant.platforms.windows import capture_foreground_window

            found = capture_foreground_window(_cut_from_desktop, own_pid=os.getpid())
            return found[0] if found else None
        if sys.platform == "darwin":
            from assistant.platforms import macos

            window = macos.frontmost_window(macos.window_list(), macos.frontmost_pid(), own_pid=os.getpid())
            return _cut_from_desktop(window.bounds) if window else None
    except Exception:  # a system call we could not make: fall back to the screen, saying so
        log.exception("capturing the active window")
        return None
    wid = active_window_id()  # X11: the window's own pixels (the frame belongs to the window manager)
    if wid:
        pixmap = screen_under_pointer().grabWindow(wid)
        if not pixmap.isNull() and pixmap.width() > 1:
            return qimage_to_pil(pixmap.toImage())
    return None


def grab_active_window(fallback_widget=None) -> tuple[Image.Image, str]:
    """(image, note). Falls back to our own focused window, then to the screen, saying so."""
    _ensure_screen_access()
    image = _system_window()
    if image is not None:
        return image, ""
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
