"""The Windows foreground-window capture, driven through a fake of the user32/gdi32/dwmapi
functions it calls (the real ones exist only on Windows). The fake window is a 1200x800 frame
with a title bar, inside a GetWindowRect 7 px larger on each side (Windows 10/11 invisible
resize borders), like a browser window at 100 % scaling."""

from __future__ import annotations

import ctypes
import types

import pytest
from PIL import Image, ImageDraw

from assistant.platforms import windows
from assistant.platforms.screens import Rect

FRAME = Rect(100, 50, 1200, 800)  # DWM extended frame bounds, physical pixels
WINDOW = Rect(93, 50, 1214, 807)  # GetWindowRect: invisible borders left, right and bottom
TITLE = (32, 96, 200)  # the title bar's colour in the fake picture


def window_picture(blank: bool = False) -> Image.Image:
    """What PrintWindow renders: the whole GetWindowRect area, borders transparent (black)."""
    image = Image.new("RGB", (WINDOW.width, WINDOW.height), "black")
    if blank:
        return image
    frame = FRAME.translated(-WINDOW.x, -WINDOW.y)
    draw = ImageDraw.Draw(image)
    draw.rectangle((frame.x, frame.y, frame.right - 1, frame.bottom - 1), fill="white")
    draw.rectangle((frame.x, frame.y, frame.right - 1, frame.y + 30), fill=TITLE)
    draw.text((frame.x + 10, frame.y + 100), "Quarterly report", fill="black")
    return image


class FakeWin32:
    def __init__(self, *, foreground=0x1234, pid=4321, print_ok=True, blank=False, dwm_ok=True):
        self.calls: list[tuple] = []
        self.live: set[str] = set()  # GDI objects not yet released
        picture = window_picture(blank)
        rec = self._record

        def fill(ref, rect: Rect):
            target = ref._obj
            target.left, target.top, target.right, target.bottom = rect.x, rect.y, rect.right, rect.bottom

        def get_pid(handle, ref):
            ref._obj.value = pid
            return 1

        def get_dibits(dc, bitmap, start, lines, buffer, info_ref, usage):
            header = info_ref._obj.bmiHeader
            rec("GetDIBits", header.biWidth, header.biHeight, header.biBitCount)
            data = picture.convert("RGBA").tobytes("raw", "BGRA")
            ctypes.memmove(buffer, data, len(data))
            return lines

        self.user32 = types.SimpleNamespace(
            SetThreadDpiAwarenessContext=lambda ctx: rec("SetThreadDpiAwarenessContext", ctx) or 17,
            GetForegroundWindow=lambda: foreground,
            GetWindowThreadProcessId=get_pid,
            GetWindowRect=lambda handle, ref: fill(ref, WINDOW) or 1,
            GetDC=lambda hwnd: self._new("screen-dc"),
            ReleaseDC=lambda hwnd, dc: self._free("screen-dc"),
            PrintWindow=lambda handle, dc, flags: rec("PrintWindow", handle, flags) or int(print_ok),
        )
        self.gdi32 = types.SimpleNamespace(
            CreateCompatibleDC=lambda dc: self._new("memory-dc"),
            CreateCompatibleBitmap=lambda dc, w, h: rec("CreateCompatibleBitmap", w, h) or self._new("bitmap"),
            SelectObject=lambda dc, obj: 99,
            DeleteObject=lambda obj: self._free("bitmap"),
            DeleteDC=lambda dc: self._free("memory-dc"),
            GetDIBits=get_dibits,
        )
        self.dwmapi = types.SimpleNamespace(
            DwmGetWindowAttribute=lambda handle, attr, ref, size: (
                rec("DwmGetWindowAttribute", attr, size) or (fill(ref, FRAME) or 0) if dwm_ok else -2147467259
            )
        )

    def _record(self, *call):
        self.calls.append(call)

    def _new(self, kind):
        self.live.add(kind)
        return len(self.live)

    def _free(self, kind):
        self.live.discard(kind)
        return 1


class Screen:
    """A screen grab in physical pixels: the window is visible at FRAME."""

    def __init__(self):
        self.asked: list[Rect] = []

    def crop(self, rect: Rect) -> Image.Image:
        self.asked.append(rect)
        return Image.new("RGB", (rect.width, rect.height), (10, 200, 10))


def test_gpu_window_is_printed_whole_with_its_title_bar():
    api, screen = FakeWin32(), Screen()
    image, how = windows.capture_foreground_window(screen.crop, own_pid=1, api=api)
    assert how == "printed" and screen.asked == []
    assert image.size == (FRAME.width, FRAME.height)  # the visible frame: no invisible borders
    assert image.getpixel((5, 5)) == TITLE and image.getpixel((5, 200)) == (255, 255, 255)
    assert ("PrintWindow", 0x1234, windows.PW_RENDERFULLCONTENT) in api.calls
    assert ("CreateCompatibleBitmap", WINDOW.width, WINDOW.height) in api.calls
    assert ("GetDIBits", WINDOW.width, -WINDOW.height, 32) in api.calls  # top-down rows
    assert ("DwmGetWindowAttribute", windows.DWMWA_EXTENDED_FRAME_BOUNDS, 16) in api.calls


def test_every_call_runs_per_monitor_dpi_aware_and_restores_the_thread():
    api = FakeWin32()
    windows.capture_foreground_window(Screen().crop, own_pid=1, api=api)
    contexts = [c[1] for c in api.calls if c[0] == "SetThreadDpiAwarenessContext"]
    assert contexts and contexts[0::2] == [windows.DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2] * (len(contexts) // 2)
    assert contexts[1::2] == [17] * (len(contexts) // 2)  # the previous context, put back


def test_gdi_objects_are_released():
    api = FakeWin32()
    windows.capture_foreground_window(Screen().crop, own_pid=1, api=api)
    assert api.live == set()
    api = FakeWin32(print_ok=False)
    windows.capture_foreground_window(Screen().crop, own_pid=1, api=api)
    assert api.live == set()


@pytest.mark.parametrize("problem", [{"print_ok": False}, {"blank": True}])
def test_failed_or_black_print_falls_back_to_the_screen(problem):
    api, screen = FakeWin32(**problem), Screen()
    image, how = windows.capture_foreground_window(screen.crop, own_pid=1, api=api)
    assert how == "screen" and screen.asked == [FRAME]  # the visible frame, in physical pixels
    assert image.size == (FRAME.width, FRAME.height)


def test_without_dwm_bounds_the_window_rectangle_is_used():
    api, screen = FakeWin32(dwm_ok=False, print_ok=False), Screen()
    windows.capture_foreground_window(screen.crop, own_pid=1, api=api)
    assert screen.asked == [WINDOW]


@pytest.mark.parametrize("kwargs", [{"foreground": 0}, {"pid": 1}])
def test_no_window_or_our_own_window_is_left_to_the_caller(kwargs):
    assert windows.capture_foreground_window(Screen().crop, own_pid=1, api=FakeWin32(**kwargs)) is None
