"""The foreground window on Windows, pictured the way the user sees it, title bar included.

Why not Qt's grabWindow(hwnd): it copies the window's own device context (GetDC + BitBlt),
which is black for windows drawn by the GPU (browsers, Electron, UWP and WinUI apps), and it
covers only the client area. Instead:
1. PrintWindow with PW_RENDERFULLCONTENT (Windows 8.1+) asks DWM to render the whole window,
   frame and title bar included, even where other windows cover it;
2. the picture is cropped to the DWM extended frame bounds (the visible frame: GetWindowRect
   also counts the invisible resize borders of Windows 10 and 11);
3. if PrintWindow fails or returns a blank picture (some GPU or protected content), the same
   rectangle is cut from a grab of the screen: the foreground window is in front, so the
   screen shows it as the user sees it.
Coordinates are physical pixels: the calls run with per-monitor DPI awareness (v2).

Everything talks to the system through a `Win32` object, so tests drive the real code with a
fake of the few user32/gdi32/dwmapi functions it calls.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image

from ..images import blank_reason
from ..logs import get_logger
from .screens import Rect

log = get_logger(__name__)

PW_RENDERFULLCONTENT = 0x2
DWMWA_EXTENDED_FRAME_BOUNDS = 9
DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 = -4
BI_RGB, DIB_RGB_COLORS = 0, 0


class RECT(ctypes.Structure):
    # Windows LONG is 32 bits on every Windows; c_long would be 64 bits where tests run (Linux)
    _fields_ = [
        ("left", ctypes.c_int32),
        ("top", ctypes.c_int32),
        ("right", ctypes.c_int32),
        ("bottom", ctypes.c_int32),
    ]

    def to_rect(self) -> Rect:
        return Rect(self.left, self.top, self.right - self.left, self.bottom - self.top)


class BITMAPINFOHEADER(ctypes.Structure):
    _fields_ = [
        ("biSize", ctypes.c_uint32),
        ("biWidth", ctypes.c_int32),
        ("biHeight", ctypes.c_int32),
        ("biPlanes", ctypes.c_uint16),
        ("biBitCount", ctypes.c_uint16),
        ("biCompression", ctypes.c_uint32),
        ("biSizeImage", ctypes.c_uint32),
        ("biXPelsPerMeter", ctypes.c_int32),
        ("biYPelsPerMeter", ctypes.c_int32),
        ("biClrUsed", ctypes.c_uint32),
        ("biClrImportant", ctypes.c_uint32),
    ]


class BITMAPINFO(ctypes.Structure):
    _fields_ = [("bmiHeader", BITMAPINFOHEADER), ("bmiColors", ctypes.c_uint32 * 3)]


@dataclass(frozen=True)
class ForegroundWindow:
    handle: int
    pid: int
    window: Rect  # GetWindowRect: includes the invisible resize borders
    frame: Rect  # what the user sees: title bar and borders, physical pixels


class Win32:
    """The user32, gdi32 and dwmapi functions used here (Windows only)."""

    def __init__(self) -> None:
        windll = ctypes.windll  # type: ignore[attr-defined]
        self.user32, self.gdi32, self.dwmapi = windll.user32, windll.gdi32, windll.dwmapi
        self.user32.GetForegroundWindow.restype = ctypes.c_void_p
        self.user32.GetWindowThreadProcessId.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.user32.GetWindowRect.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.dwmapi.DwmGetWindowAttribute.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.c_uint32,
        ]
        self.user32.GetDC.restype = ctypes.c_void_p
        self.user32.GetDC.argtypes = [ctypes.c_void_p]
        self.user32.ReleaseDC.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.user32.PrintWindow.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
        self.user32.SetThreadDpiAwarenessContext.restype = ctypes.c_void_p
        self.user32.SetThreadDpiAwarenessContext.argtypes = [ctypes.c_void_p]
        self.gdi32.CreateCompatibleDC.restype = ctypes.c_void_p
        self.gdi32.CreateCompatibleDC.argtypes = [ctypes.c_void_p]
        self.gdi32.CreateCompatibleBitmap.restype = ctypes.c_void_p
        self.gdi32.CreateCompatibleBitmap.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self.gdi32.SelectObject.restype = ctypes.c_void_p
        self.gdi32.SelectObject.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.gdi32.DeleteObject.argtypes = [ctypes.c_void_p]
        self.gdi32.DeleteDC.argtypes = [ctypes.c_void_p]
        self.gdi32.GetDIBits.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_uint,
        ]


@contextmanager
def _per_monitor_dpi(api: Any):
    """Physical coordinates from every call, whatever the process's own DPI awareness."""
    previous = None
    try:
        previous = api.user32.SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2)
    except AttributeError:  # before Windows 10 1607: the process setting applies
        log.debug("SetThreadDpiAwarenessContext is not available")
    try:
        yield
    finally:
        if previous:
            api.user32.SetThreadDpiAwarenessContext(previous)


def foreground_window(api: Any) -> ForegroundWindow | None:
    """The window the user is working in, or None if there is none (the desktop, a lock screen)."""
    with _per_monitor_dpi(api):
        handle = api.user32.GetForegroundWindow()
        if not handle:
            return None
        pid = ctypes.c_uint32()  # DWORD
        api.user32.GetWindowThreadProcessId(handle, ctypes.byref(pid))
        window = RECT()
        if not api.user32.GetWindowRect(handle, ctypes.byref(window)):
            return None
        frame = RECT()
        found = api.dwmapi.DwmGetWindowAttribute(
            handle, DWMWA_EXTENDED_FRAME_BOUNDS, ctypes.byref(frame), ctypes.sizeof(frame)
        )
        visible = frame.to_rect() if found == 0 and not frame.to_rect().empty else window.to_rect()
        if visible.empty:
            return None
        return ForegroundWindow(int(handle), int(pid.value), window.to_rect(), visible)


def print_window(api: Any, window: ForegroundWindow) -> Image.Image | None:
    """PrintWindow(PW_RENDERFULLCONTENT) into a bitmap, cropped to the visible frame."""
    width, height = window.window.width, window.window.height
    screen_dc = api.user32.GetDC(None)
    memory_dc = api.gdi32.CreateCompatibleDC(screen_dc)
    bitmap = api.gdi32.CreateCompatibleBitmap(screen_dc, width, height)
    old = api.gdi32.SelectObject(memory_dc, bitmap)
    try:
        with _per_monitor_dpi(api):
            if not api.user32.PrintWindow(window.handle, memory_dc, PW_RENDERFULLCONTENT):
                return None
        info = BITMAPINFO()
        info.bmiHeader.biSize = ctypes.sizeof(BITMAPINFOHEADER)
        info.bmiHeader.biWidth, info.bmiHeader.biHeight = width, -height  # negative: top row first
        info.bmiHeader.biPlanes, info.bmiHeader.biBitCount, info.bmiHeader.biCompression = 1, 32, BI_RGB
        pixels = ctypes.create_string_buffer(width * height * 4)
        if api.gdi32.GetDIBits(memory_dc, bitmap, 0, height, pixels, ctypes.byref(info), DIB_RGB_COLORS) != height:
            return None
    finally:
        api.gdi32.SelectObject(memory_dc, old)
        api.gdi32.DeleteObject(bitmap)
        api.gdi32.DeleteDC(memory_dc)
        api.user32.ReleaseDC(None, screen_dc)
    image = Image.frombuffer("RGB", (width, height), pixels.raw, "raw", "BGRX", 0, 1)
    frame = window.frame.translated(-window.window.x, -window.window.y)
    return image.crop((frame.x, frame.y, frame.right, frame.bottom))


def capture_foreground_window(
    crop_screen: Callable[[Rect], Image.Image | None], own_pid: int, api: Any = None
) -> tuple[Image.Image, str] | None:
    """(picture, how) of the foreground window, or None when there is no window to picture
    (none in front, or it is our own, which the caller handles). `how` is "printed" or "screen".
    `crop_screen(rect)` cuts a physical-pixel rectangle out of a screen grab."""
    api = api or Win32()
    window = foreground_window(api)
    if window is None or window.pid == own_pid:
        return None
    try:
        printed = print_window(api, window)
    except OSError:
        log.warning("PrintWindow failed; using the screen", exc_info=True)
        printed = None
    if printed is not None and blank_reason(printed) is None:
        return printed, "printed"
    log.info("PrintWindow gave %s; cutting the window from the screen", "a blank picture" if printed else "nothing")
    from_screen = crop_screen(window.frame)
    return (from_screen, "screen") if from_screen is not None else None
