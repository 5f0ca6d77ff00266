"""Charts and plots: found from their axes and tick labels, described by their own words.

Evidence for a chart (all of it is measured, none guessed):
- two long straight dark lines that meet in a corner: a vertical axis and a horizontal axis
  (each at least a quarter of the picture's size and 100 px long);
- at least three tick labels (small text boxes) in a row along one axis: stacked at the left of
  the vertical axis, or side by side under the horizontal axis.
Then the words are placed by where they sit: above the plot area is the title, under the
horizontal ticks the horizontal axis title, left of the vertical ticks (often turned sideways)
the vertical axis title, and words inside the plot area are legend entries. The chart's own
text is quoted; what kind of chart it is (line, bar) is not claimed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

import numpy as np
from PIL import Image

from .base import TextLine
from .layout import Box

DARK = 80  # axis lines are drawn near black; grid lines, borders and most filled bars are lighter
MIN_AXIS_SHARE = 0.25
MIN_AXIS_PX = 100
CORNER_PX = 12  # tick marks stick out of the corner by a few pixels
MIN_TICKS = 3
NUMBER = re.compile(r"^[−–-]?\d[\d.,\s]*%?$")


@dataclass
class Chart:
    frame: Box  # the plot area: left, top, right, bottom
    ticks: list[int] = field(default_factory=list)  # indices of tick labels
    title: TextLine | None = None
    x_title: TextLine | None = None
    y_title: TextLine | None = None
    legend: list[TextLine] = field(default_factory=list)


def _segments(mask: np.ndarray, min_len: int) -> list[tuple[int, int, int]]:
    """Runs of True along each row at least min_len long: (row, start, end)."""
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    d = np.diff(padded, axis=1)
    starts, ends = np.argwhere(d == 1), np.argwhere(d == -1)
    lengths = ends[:, 1] - starts[:, 1]
    keep = lengths >= min_len
    return [(int(r), int(s), int(e)) for (r, s), e in zip(starts[keep], ends[keep][:, 1], strict=True)]


def find_axes(image: Image.Image) -> Box | None:
    """The plot area framed by a vertical and a horizontal axis meeting at the bottom left."""
    gray = np.asarray(image.convert("L"))
    dark = gray < DARK
    h, w = gray.shape
    rows = _segments(dark, max(MIN_AXIS_PX, int(MIN_AXIS_SHARE * w)))
    cols = _segments(dark.T, max(MIN_AXIS_PX, int(MIN_AXIS_SHARE * h)))
    best: Box | None = None
    for y, x0, x1 in rows:
        for x, y0, y1 in cols:
            if abs(x - x0) <= CORNER_PX and abs(y - (y1 - 1)) <= CORNER_PX:
                frame = (x, y0, x1, y)
                if best is None or (x1 - x) * (y - y0) > (best[2] - best[0]) * (best[3] - best[1]):
                    best = frame
    return best


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _ticks(lines: list[TextLine], frame: Box, lh: float) -> list[int]:
    left, top, right, bottom = frame
    y_ticks = [
        i
        for i, l in enumerate(lines)
        if left - 8 * lh <= l.box[2] <= left + 2 and top - lh <= _centre(l.box)[1] <= bottom + lh and _small(l, lh)
    ]
    x_ticks = [
        i
        for i, l in enumerate(lines)
        if bottom - 2 <= l.box[1] <= bottom + 2 * lh and left - lh <= _centre(l.box)[0] <= right + lh and _small(l, lh)
    ]
    y_ticks = _aligned(lines, y_ticks, axis=2)
    x_ticks = _aligned(lines, x_ticks, axis=1)
    return sorted(set(y_ticks if len(y_ticks) >= MIN_TICKS else []) | set(x_ticks if len(x_ticks) >= MIN_TICKS else []))


def _small(line: TextLine, lh: float) -> bool:
    """A tick label: short text, or a short box when the text is not read yet."""
    if line.text:
        return len(line.text) <= 12 and (bool(NUMBER.match(line.text)) or len(line.text.split()) <= 2)
    return line.box[2] - line.box[0] <= 8 * lh


def _aligned(lines: list[TextLine], idx: list[int], axis: int) -> list[int]:
    """The largest group sharing one edge (right edges for stacked labels, tops for a row)."""
    best: list[int] = []
    for i in idx:
        group = [j for j in idx if abs(lines[j].box[axis] - lines[i].box[axis]) <= 6]
        if len(group) > len(best):
            best = group
    return best


def find_chart(image: Image.Image, lines: list[TextLine]) -> Chart | None:
    """A chart with its words, or None when the evidence is not all there."""
    if not lines:
        return None
    frame = find_axes(image)
    if frame is None:
        return None
    flat = [l.box[3] - l.box[1] for l in lines if (l.box[3] - l.box[1]) < 3 * (l.box[2] - l.box[0])]
    lh = float(median(flat)) if flat else 12.0
    ticks = _ticks(lines, frame, lh)
    if len(ticks) < MIN_TICKS:
        return None
    chart = Chart(frame, ticks)
    if all(l.text for l in lines):
        _words(chart, lines, lh)
    return chart


def _words(chart: Chart, lines: list[TextLine], lh: float) -> None:
    left, top, right, bottom = chart.frame
    tick_set = set(chart.ticks)
    others = [l for i, l in enumerate(lines) if i not in tick_set and any(c.isalpha() for c in l.text)]
    above = [
        l for l in others if l.box[3] <= top + 2 and l.box[1] >= top - 5 * lh and left <= _centre(l.box)[0] <= right
    ]
    chart.title = max(above, key=lambda l: l.box[3]) if above else None
    x_row = [lines[i] for i in chart.ticks if lines[i].box[1] >= bottom - 2]
    row_centre = max((_centre(l.box)[1] for l in x_row), default=float(bottom))
    row_bottom = max((l.box[3] for l in x_row), default=bottom)
    below = [l for l in others if _centre(l.box)[1] > row_centre + 0.3 * lh and l.box[1] <= row_bottom + 3 * lh]
    below = [l for l in below if left <= _centre(l.box)[0] <= right]
    chart.x_title = min(below, key=lambda l: l.box[1]) if below else None
    y_ticks_left = min((lines[i].box[0] for i in chart.ticks if lines[i].box[2] <= left + 2), default=left)
    beside = [l for l in others if _centre(l.box)[0] < y_ticks_left and top - lh <= _centre(l.box)[1] <= bottom + lh]
    chart.y_title = _vertical_title(beside)
    chart.legend = [l for l in others if left < l.box[0] and l.box[2] < right and top < l.box[1] and l.box[3] < bottom][
        :6
    ]


def _vertical_title(pieces: list[TextLine]) -> TextLine | None:
    """A sideways axis title, joined from its pieces read bottom to top (detection may cut it)."""
    upright = [l for l in pieces if l.box[3] - l.box[1] > l.box[2] - l.box[0]]
    if not upright:
        return max(pieces, key=lambda l: l.box[2] - l.box[0]) if pieces else None
    upright.sort(key=lambda l: -l.box[3])
    box = (
        min(l.box[0] for l in upright),
        min(l.box[1] for l in upright),
        max(l.box[2] for l in upright),
        max(l.box[3] for l in upright),
    )
    return TextLine(" ".join(l.text for l in upright), box, min(l.confidence for l in upright))


def title_index(chart: Chart, boxes: list[Box]) -> int | None:
    """The box just above the plot area and within its width: where a chart's title sits."""
    left, top, right, _ = chart.frame
    heights = sorted(b[3] - b[1] for b in boxes)
    lh = heights[len(heights) // 2] if heights else 12
    above = [
        i
        for i, b in enumerate(boxes)
        if b[3] <= top + 2 and b[1] >= top - 5 * lh and left <= (b[0] + b[2]) / 2 <= right
    ]
    return max(above, key=lambda i: boxes[i][3]) if above else None
