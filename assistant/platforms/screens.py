"""Screen geometry and DPI: where each screen's physical pixels go in one picture of the whole
desktop, and which pixels a rectangle chosen on screen covers.

Why: Qt reports screens in logical (device-independent) units, but OCR needs every physical
pixel. At 150-200 % scaling a screen grab has 1.5-2x the pixels of its logical size; painting
it at logical size (as the region overlay did) threw those away before OCR. With monitors of
different scaling, logical space has gaps and overlaps, so the picture is laid out from each
screen's physical size instead.

Two coordinate models, depending on who does the scaling:
- NATIVE_ORIGIN (Windows, X11): Qt scales. A screen's logical rectangle keeps the system's
  native (physical) top-left corner and divides the size by the scale factor, so the physical
  rectangle is (x, y, width x scale, height x scale). Window rectangles from the system
  (GetWindowRect, DWM frame bounds) are in these physical coordinates.
- POINTS (macOS, Wayland, Qt's offscreen platform): the system's own logical units ("points");
  physical = points x scale. Screens tile points space without gaps; the picture uses the
  largest scale so no screen loses pixels (a 1x screen beside a 2x one is enlarged). Window
  rectangles from the system (the Quartz window list) are in points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

NATIVE_ORIGIN = "native-origin"
POINTS = "points"


def coordinate_model(platform_name: str) -> str:
    """Qt's platform plugin name ("windows", "xcb", "cocoa", "wayland", "offscreen") -> model."""
    name = platform_name.lower()
    return NATIVE_ORIGIN if name in ("windows", "xcb") else POINTS


@dataclass(frozen=True)
class Rect:
    """An integer rectangle; right and bottom are exclusive."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    @classmethod
    def from_edges(cls, left: float, top: float, right: float, bottom: float) -> Rect:
        """Rounded outwards, so a fractional edge never cuts a pixel off."""
        x, y = math.floor(left + 1e-6), math.floor(top + 1e-6)
        return cls(x, y, math.ceil(right - 1e-6) - x, math.ceil(bottom - 1e-6) - y)

    def translated(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.width, self.height)

    def intersected(self, other: Rect) -> Rect | None:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect(left, top, right - left, bottom - top) if right > left and bottom > top else None

    @staticmethod
    def union(rects: Iterable[Rect]) -> Rect:
        rects = list(rects)
        if not rects:
            return Rect(0, 0, 0, 0)
        left, top = min(r.x for r in rects), min(r.y for r in rects)
        return Rect(left, top, max(r.right for r in rects) - left, max(r.bottom for r in rects) - top)


@dataclass(frozen=True)
class ScreenInfo:
    """One screen as Qt reports it: logical geometry and device pixel ratio."""

    name: str
    logical: Rect
    scale: float


@dataclass(frozen=True)
class Placement:
    screen: ScreenInfo
    canvas: Rect  # where this screen's pixels go in the desktop picture (physical pixels)


class DesktopLayout:
    """Every screen placed in one physical-pixel picture ("canvas").

    `to_canvas` maps a rectangle chosen in the region overlay (logical units, origin at the
    top-left of `logical_bounds`) to canvas pixels; `native_to_canvas` maps a window rectangle
    in the system's own coordinates.
    """

    def __init__(self, screens: Iterable[ScreenInfo], model: str):
        self.screens = [s for s in screens if not s.logical.empty]
        self.model = model
        self.logical_bounds = Rect.union(s.logical for s in self.screens)
        self.scale = max((s.scale for s in self.screens), default=1.0)
        native = [self._native(s) for s in self.screens]
        self.native_bounds = Rect.union(native)
        self.placements = [
            Placement(s, r.translated(-self.native_bounds.x, -self.native_bounds.y))
            for s, r in zip(self.screens, native, strict=True)
        ]
        self.size = (self.native_bounds.width, self.native_bounds.height)

    def _native(self, screen: ScreenInfo) -> Rect:
        """The screen's rectangle in canvas units before the canvas origin is subtracted."""
        r = screen.logical
        if self.model == NATIVE_ORIGIN:
            return Rect(r.x, r.y, round(r.width * screen.scale), round(r.height * screen.scale))
        s = self.scale
        return Rect(round(r.x * s), round(r.y * s), round(r.width * s), round(r.height * s))

    def to_canvas(self, rect: Rect) -> Rect | None:
        """Canvas pixels covered by `rect` (overlay coordinates); None if it covers no screen."""
        absolute = rect.translated(self.logical_bounds.x, self.logical_bounds.y)
        pieces = []
        for p in self.placements:
            part = absolute.intersected(p.screen.logical)
            if part is None:
                continue
            fx = p.canvas.width / p.screen.logical.width
            fy = p.canvas.height / p.screen.logical.height
            left = p.canvas.x + (part.x - p.screen.logical.x) * fx
            top = p.canvas.y + (part.y - p.screen.logical.y) * fy
            pieces.append(Rect.from_edges(left, top, left + part.width * fx, top + part.height * fy))
        return self._clip(Rect.union(pieces)) if pieces else None

    def native_to_canvas(self, rect: Rect) -> Rect | None:
        """Canvas pixels of a rectangle in the system's window coordinates (see module doc)."""
        if self.model == POINTS:
            return self.to_canvas(rect.translated(-self.logical_bounds.x, -self.logical_bounds.y))
        return self._clip(rect.translated(-self.native_bounds.x, -self.native_bounds.y))

    def _clip(self, rect: Rect) -> Rect | None:
        return rect.intersected(Rect(0, 0, *self.size))

    def overlay_rect(self, placement: Placement) -> Rect:
        """Where a screen's picture is drawn in the region overlay (logical, bounds-relative)."""
        return placement.screen.logical.translated(-self.logical_bounds.x, -self.logical_bounds.y)
