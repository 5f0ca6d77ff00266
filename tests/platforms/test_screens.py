"""Desktop layout in physical pixels: single screens at 100-200 %, mixed-DPI Windows and macOS
set-ups (the screen rectangles are what Qt reports on those systems)."""

from __future__ import annotations

import pytest

from assistant.platforms.screens import NATIVE_ORIGIN, POINTS, DesktopLayout, Rect, ScreenInfo, coordinate_model


def test_coordinate_models_per_platform_plugin():
    assert coordinate_model("windows") == NATIVE_ORIGIN
    assert coordinate_model("xcb") == NATIVE_ORIGIN
    assert coordinate_model("cocoa") == POINTS
    assert coordinate_model("wayland") == POINTS
    assert coordinate_model("offscreen") == POINTS


@pytest.mark.parametrize("model", [NATIVE_ORIGIN, POINTS])
@pytest.mark.parametrize("scale,logical", [(1.0, (1920, 1080)), (1.5, (1280, 720)), (2.0, (1440, 900))])
def test_one_screen_keeps_every_physical_pixel(model, scale, logical):
    layout = DesktopLayout([ScreenInfo("only", Rect(0, 0, *logical), scale)], model)
    physical = (round(logical[0] * scale), round(logical[1] * scale))
    assert layout.size == physical
    # a box chosen in the overlay (logical) covers scale x as many pixels on each side
    box = layout.to_canvas(Rect(100, 50, 200, 100))
    assert box == Rect(round(100 * scale), round(50 * scale), round(200 * scale), round(100 * scale))


def test_windows_mixed_dpi_has_no_gap_in_pixels():
    """Windows: a 4K laptop panel at 200 % left of a 1080p monitor at 100 %. Qt keeps the
    native origins (0,0) and (3840,0) and halves the laptop's size: logical space has a gap
    between x=1920 and x=3840 that the physical picture must not have."""
    laptop = ScreenInfo("laptop", Rect(0, 0, 1920, 1080), 2.0)
    monitor = ScreenInfo("monitor", Rect(3840, 0, 1920, 1080), 1.0)
    layout = DesktopLayout([laptop, monitor], NATIVE_ORIGIN)
    assert layout.size == (3840 + 1920, 2160)
    assert [p.canvas for p in layout.placements] == [Rect(0, 0, 3840, 2160), Rect(3840, 0, 1920, 1080)]
    # the overlay spans the logical bounds; each screen's picture is drawn at its logical place
    assert layout.logical_bounds == Rect(0, 0, 5760, 1080)
    assert [layout.overlay_rect(p) for p in layout.placements] == [laptop.logical, monitor.logical]
    # a box on the laptop: doubled; on the monitor: as is
    assert layout.to_canvas(Rect(10, 10, 100, 50)) == Rect(20, 20, 200, 100)
    assert layout.to_canvas(Rect(3900, 100, 300, 200)) == Rect(3900, 100, 300, 200)
    # a box in the logical gap covers no screen
    assert layout.to_canvas(Rect(2000, 100, 300, 200)) is None
    # a window rectangle from GetWindowRect/DWM (physical) maps by the canvas origin only
    assert layout.native_to_canvas(Rect(3000, 500, 1200, 400)) == Rect(3000, 500, 1200, 400)


def test_windows_monitor_left_of_the_primary_has_negative_coordinates():
    primary = ScreenInfo("primary", Rect(0, 0, 1280, 720), 1.5)  # 1920x1080 physical
    left = ScreenInfo("left", Rect(-1920, 0, 1920, 1080), 1.0)
    layout = DesktopLayout([primary, left], NATIVE_ORIGIN)
    assert layout.size == (3840, 1080)
    assert layout.placements[0].canvas == Rect(1920, 0, 1920, 1080)
    assert layout.native_to_canvas(Rect(-100, 10, 300, 200)) == Rect(1820, 10, 300, 200)
    # overlay coordinates start at the logical bounds' top-left (-1920, 0)
    assert layout.to_canvas(Rect(1920, 0, 128, 72)) == Rect(1920, 0, 192, 108)


def test_macos_retina_beside_a_plain_monitor():
    """macOS: points tile without gaps; the picture uses the larger scale everywhere."""
    retina = ScreenInfo("built-in", Rect(0, 0, 1512, 982), 2.0)
    plain = ScreenInfo("external", Rect(1512, 0, 1920, 1080), 1.0)
    layout = DesktopLayout([retina, plain], POINTS)
    assert layout.size == (2 * (1512 + 1920), 2 * 1080)
    assert layout.placements[1].canvas == Rect(3024, 0, 3840, 2160)  # enlarged, no pixel lost
    # a window from the Quartz window list (points) spanning both screens
    assert layout.native_to_canvas(Rect(1400, 100, 300, 200)) == Rect(2800, 200, 600, 400)


def test_fractional_scales_round_outwards():
    layout = DesktopLayout([ScreenInfo("s", Rect(0, 0, 1097, 617), 1.75)], NATIVE_ORIGIN)
    box = layout.to_canvas(Rect(1, 1, 3, 3))
    assert box is not None
    assert box.x <= 1.75 and box.right >= 4 * 1.75 and box.bottom >= 4 * 1.75


def test_boxes_are_clipped_to_the_picture():
    layout = DesktopLayout([ScreenInfo("s", Rect(0, 0, 800, 600), 2.0)], NATIVE_ORIGIN)
    assert layout.to_canvas(Rect(700, 500, 500, 500)) == Rect(1400, 1000, 200, 200)
    assert layout.native_to_canvas(Rect(-50, -50, 100, 100)) == Rect(0, 0, 50, 50)
    assert layout.native_to_canvas(Rect(5000, 5000, 10, 10)) is None


def test_no_screens_is_an_empty_layout():
    layout = DesktopLayout([], NATIVE_ORIGIN)
    assert layout.size == (0, 0) and layout.to_canvas(Rect(0, 0, 10, 10)) is None
