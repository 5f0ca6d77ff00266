"""Screens as screens: the title, side navigation lists, the main content column, buttons and
the window's title bar, found from OCR line boxes, their sizes and the colours around them.

Everything here works on line boxes alone, so the first sentence of a description can say
"A screen titled “What is rustdoc?”, with a navigation list of about 22 items on the left"
after text detection and ONE recognition (the title's).

Why these rules (checked on the 24 documentation pages in bench/eval/screens):
- a side navigation list is a band of at least 6 lines along the left (or right) edge that no
  line crosses, separated from the rest by a blank gutter at least 1.5 line-heights wide (0.5
  when the list sits on a panel of its own colour, as in the Node.js documentation), and at
  most 40 % of the width;
- the page title is a heading in the upper 40 % of the main content: a line whose box is at
  least 1.15 times the median line height and either 1.4 times as tall or drawn with at least
  1.3 times the median ink per column (headings are larger and bolder than body text; the
  rustdoc heading "Struct Vec" is only 1.21 times as tall as body lines but 1.8 times as
  heavy). Among them the one with the largest height x ink, discounted by up to half towards
  the bottom of that region, wins: the bold page heading beats a site name set thin and grey
  above it ("Rust By Example") and a bold sub-heading further down ("Examples"). Candidates
  are recognised in that order, so an icon that looks like a heading (it reads as nothing)
  is skipped. Without a heading, the line inside a full-width bar of its
  own colour at the very top is the window's title bar;
- buttons are found by the describer as short text on a coloured (not grey) background; grey
  fills and thin borders are not taken as buttons, because inline code, code blocks and table
  cells on documentation pages look exactly like that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

import numpy as np
from PIL import Image

from .base import TextLine
from .layout import Box, column_count

TOP_BAND = 0.08  # share of the height where top bars (menu bars, site headers) live
NAV_MIN_LINES = 6
GUTTER_LINES = 1.5  # blank gutter, in line heights, that cuts off a side list on a plain page
PANEL_GUTTER_LINES = 0.5  # ... when the side list sits on a panel of its own colour
NAV_MAX_SHARE = 0.4  # a side list is at most this share of the width
TITLE_REGION = 0.4
TITLE_MIN_RATIO = 1.15
TITLE_TALL_RATIO = 1.4
TITLE_INK_RATIO = 1.3
BAR_TOP = 0.06


@dataclass
class ScreenLayout:
    nav: list[int] = field(default_factory=list)  # indices of the side navigation list's lines
    nav_side: str = ""  # "left" or "right"
    title: int | None = None  # index of the title line
    title_from_bar: bool = False  # the title is a window title bar, not a heading
    candidates: list[int] = field(default_factory=list)  # possible headings, topmost first
    bar: int | None = None  # the line in a window title bar, if any
    main: list[int] = field(default_factory=list)  # indices of the main content's lines
    line_height: float = 0.0


def _h(box: Box) -> int:
    return max(1, box[3] - box[1])


def find_layout(boxes: list[Box], image: Image.Image) -> ScreenLayout:
    """Navigation list, title and main content from line boxes in reading order."""
    out = ScreenLayout()
    if not boxes:
        return out
    w, h = image.size
    out.line_height = float(median(_h(b) for b in boxes))
    out.nav, out.nav_side = _side_list(boxes, image, out.line_height)
    rest = [i for i in range(len(boxes)) if i not in set(out.nav)]
    out.bar = _title_bar(boxes, rest, image)
    out.candidates = _headings(boxes, [i for i in rest if i != out.bar], image)
    settle_title(out, lambda i: True)
    out.main = [i for i in rest if i != out.title and not (out.title_from_bar and boxes[i][3] <= BAR_TOP * h)]
    return out


def _side_list(boxes: list[Box], image: Image.Image, lh: float) -> tuple[list[int], str]:
    w, h = image.size
    body = [i for i, b in enumerate(boxes) if b[1] >= TOP_BAND * h]
    for side in ("left", "right"):
        gutter = _gutter(boxes, body, w, GUTTER_LINES * lh, side)
        if gutter is None:
            gutter = _gutter(boxes, body, w, PANEL_GUTTER_LINES * lh, side)
            if gutter is None or not _colour_step(image, gutter):
                continue
        inside = [i for i in body if (boxes[i][2] <= gutter[0] if side == "left" else boxes[i][0] >= gutter[1])]
        outside = [i for i in body if i not in set(inside)]
        if len(inside) >= NAV_MIN_LINES and outside:
            # the list's own top-band lines (a site name above it) belong to it as well
            top = [
                i
                for i, b in enumerate(boxes)
                if b[1] < TOP_BAND * h and (b[2] <= gutter[0] if side == "left" else b[0] >= gutter[1])
            ]
            return sorted(top + inside), side
    return [], ""


def _colour_step(image: Image.Image, gutter: tuple[int, int]) -> bool:
    """The page colour changes across the gutter: a side panel with its own background."""
    h = image.height
    strip = np.asarray(image.convert("RGB").crop((gutter[0], int(TOP_BAND * h), gutter[1] + 1, h))).astype(int)
    left, right = np.median(strip[:, 0], axis=0), np.median(strip[:, -1], axis=0)
    return float(np.abs(left - right).sum()) > 60


def _gutter(boxes: list[Box], body: list[int], w: int, min_width: float, side: str) -> tuple[int, int] | None:
    """The blank vertical strip nearest the edge that cuts off a side list, as (left, right) x."""
    covered = np.zeros(w + 1, dtype=bool)
    for i in body:
        covered[boxes[i][0] : boxes[i][2]] = True
    lo, hi = (int(0.04 * w), int(NAV_MAX_SHARE * w)) if side == "left" else (int((1 - NAV_MAX_SHARE) * w), w - 8)
    xs = range(lo, hi) if side == "left" else range(hi, lo, -1)
    start = None
    for x in xs:
        if not covered[x]:
            start = x if start is None else start
            if abs(x - start) + 1 >= min_width:
                a, b = sorted((start, x))
                while a > 0 and not covered[a - 1]:
                    a -= 1
                while b < w and not covered[b + 1]:
                    b += 1
                return a, b
        else:
            start = None
    return None


def _headings(boxes: list[Box], rest: list[int], image: Image.Image) -> list[int]:
    if not rest:
        return []
    gray = np.asarray(image.convert("L")).astype(np.int16)
    body_h = median(_h(boxes[i]) for i in rest)
    body_ink = median(_ink(gray, boxes[i]) for i in rest) or 1.0
    upper = [i for i in rest if boxes[i][1] <= TITLE_REGION * image.height and _h(boxes[i]) >= TITLE_MIN_RATIO * body_h]
    ink = {i: _ink(gray, boxes[i]) for i in upper}
    heavy = [i for i in upper if _h(boxes[i]) >= TITLE_TALL_RATIO * body_h or ink[i] >= TITLE_INK_RATIO * body_ink]

    def weight(i: int) -> float:  # bigger, bolder and higher up is more title-like
        return _h(boxes[i]) * ink[i] * (1 - 0.5 * boxes[i][1] / (TITLE_REGION * image.height))

    return sorted(heavy, key=lambda i: -weight(i))


def _ink(gray: np.ndarray, box: Box) -> float:
    """Mean ink pixels per inked column: about the stroke weight times the letter height."""
    crop = gray[box[1] : box[3], box[0] : box[2]]
    if crop.size == 0:
        return 0.0
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    on = np.abs(crop - np.median(border)) > 40
    cols = int((on.sum(axis=0) > 0).sum())
    return float(on.sum()) / max(1, cols)


def settle_title(layout: ScreenLayout, readable) -> None:
    """The first candidate heading that `readable(index)` accepts, else the title bar line."""
    layout.title, layout.title_from_bar = None, False
    for i in layout.candidates[:4]:
        if readable(i):
            layout.title = i
            return
    if layout.bar is not None and readable(layout.bar):
        layout.title, layout.title_from_bar = layout.bar, True


def _title_bar(boxes: list[Box], rest: list[int], image: Image.Image) -> int | None:
    """The topmost line, when it sits in a full-width band of one colour unlike the page's."""
    top = [i for i in rest if boxes[i][3] <= BAR_TOP * image.height]
    if not top:
        return None
    first = min(top, key=lambda i: (boxes[i][1], boxes[i][0]))
    y = min(image.height - 1, boxes[first][1] + _h(boxes[first]) // 2)
    row = np.asarray(image.convert("RGB").crop((0, max(0, y - 1), image.width, y + 1))).reshape(-1, 3).astype(int)
    page = np.asarray(image.convert("RGB").crop((0, int(0.5 * image.height), image.width, int(0.5 * image.height) + 2)))
    bar = np.median(row, axis=0)
    share = float((np.abs(row - bar).sum(axis=1) < 24).mean())
    differs = float(np.abs(np.median(page.reshape(-1, 3), axis=0) - bar).sum()) > 60
    return first if share >= 0.8 and differs else None


COLUMN_MIN_LINES = 3


def main_columns(lines: list[TextLine]) -> int:
    """Text columns of the main content only (the side list and the title are not columns), and
    only columns of at least three lines: a button row beside a code line ("COPY", "CJS") is
    not a column of text."""
    return column_count(lines, min_lines=COLUMN_MIN_LINES)
