"""Links in a page's text: words drawn in a link colour (blue to purple, the web's own default
and most sites') or underlined, on the page's own background.

Where each word lies comes from the recogniser's own character positions (rapidocr word boxes),
read again only for lines that have link-coloured or underlined ink at all. A line entirely in
one colour, or ruled under its whole width, is a heading or a list as often as a link: nothing
is said about it. Lines on another background than the page's (code blocks, notes, sidebars)
are skipped: syntax colours are not links. Measured on bench/eval (docs/embedded.md).
"""

from __future__ import annotations

import numpy as np

from .base import TextLine
from .layout import Box

LINK_HUE = (195, 265)  # degrees: link blue (syntax colours: keyword purples are 279-299)
LINK_MIN_SATURATION = 0.45
LINK_SHARE = 0.6  # of a word's ink pixels in the link colour (its edges are paler)
UNDERLINE_SHARE = 0.9  # of a word's width covered by a line under it
SMALL_WORDS = set("a an the and or of to in on at for by with is are be can it this that as from".split())
PAGE_TOLERANCE = 4  # per channel: a line's background is the page's (code blocks are 5-9 off white)


def _hsv(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rgb = pixels.astype(np.float32) / 255.0
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    delta = np.where(mx - mn == 0, 1e-6, mx - mn)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(mx == r, (g - b) / delta % 6, np.where(mx == g, (b - r) / delta + 2, (r - g) / delta + 4)) * 60
    sat = np.where(mx == 0, 0, (mx - mn) / np.maximum(mx, 1e-6))
    return hue, sat, mx


def candidate(rgb: np.ndarray, box: Box, page: tuple[int, int, int]) -> bool:
    """Cheap first look: a line on the page's background with some link-coloured or underlined ink."""
    found = _ink(rgb, box, page)
    if found is None:
        return False
    ink, coloured, rows = found
    ink_h = int(rows[-1] - rows[0] + 1)
    return bool(coloured.sum() >= 20 or _longest_run(_underline(ink, rows)) >= 1.5 * ink_h)


def _ink(rgb: np.ndarray, box: Box, page: tuple[int, int, int]):
    x0, y0, x1, y1 = box
    crop = rgb[y0:y1, x0:x1].astype(np.int16)
    if crop.size == 0:
        return None
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    bg = np.median(border, axis=0)
    if np.abs(bg - np.asarray(page)).max() > PAGE_TOLERANCE:
        return None  # a code block, a note, a coloured panel: not the page's own text
    ink = np.abs(crop - bg).sum(axis=-1) > 60
    rows = np.nonzero(ink.any(axis=1))[0]
    if rows.size == 0:
        return None
    hue, sat, val = _hsv(crop.astype(np.uint8))
    coloured = ink & (hue >= LINK_HUE[0]) & (hue <= LINK_HUE[1]) & (sat >= LINK_MIN_SATURATION) & (val >= 0.25)
    return ink, coloured, rows


def line_links(
    rgb: np.ndarray, box: Box, words: list[tuple[str, int, int]], page: tuple[int, int, int]
) -> list[TextLine]:
    """The link phrases among `words` (text, left, right in picture x) of the line in `box`."""
    found = _ink(rgb, box, page)
    if found is None or not words:
        return []
    ink, coloured, rows = found
    under = _underline(ink, rows)
    by_colour, by_line = [], []
    for _, a, b in words:
        a, b = max(0, a - box[0]), min(ink.shape[1], b - box[0])
        n = int(ink[:, a:b].sum()) if b > a else 0
        by_colour.append(n > 0 and coloured[:, a:b].sum() >= LINK_SHARE * n)
        by_line.append(b > a and under[a:b].mean() >= UNDERLINE_SHARE)
    if all(by_colour) and not any(by_line) or all(by_line):
        return []  # a line all in one colour, or ruled under its whole width: a heading as often as a link
    out, run = [], []
    for (word, a, b), flag in zip(words, [c or u for c, u in zip(by_colour, by_line, strict=True)], strict=True):
        if flag:
            run.append((word, a, b))
        elif run:
            out.append(_phrase(run, box))
            run = []
    if run:
        out.append(_phrase(run, box))
    # not "a", "=", "fn"; a link of only "the" or "and" means the word positions slipped
    return [l for l in out if sum(c.isalpha() for c in l.text) >= 3 and set(l.text.lower().split()) - SMALL_WORDS]


def _phrase(run: list[tuple[str, int, int]], box: Box) -> TextLine:
    # OCR reads an underlined gap as "_" ("help_pages")
    text = " ".join(w for w, _, _ in run).replace("_", " ").strip(".,;:!?()")
    return TextLine(text, (run[0][1], box[1], run[-1][2], box[3]))


def _underline(ink: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The ink row with the most ink in the lowest part of the line: under an underlined word it
    covers every column; through letters it has gaps between the strokes."""
    low = ink[int(rows[0] + 0.6 * (rows[-1] - rows[0])) : rows[-1] + 1]
    return low[int(np.argmax(low.sum(axis=1)))]


def _longest_run(row: np.ndarray) -> int:
    padded = np.concatenate([[0], row.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max()) if edges.size else 0
