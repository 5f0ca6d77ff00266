"""Dialogs, buttons and form fields, found from the text boxes and the pixels around them.

Geometry first (no recognition needed), so the first sentence can name a dialog and its buttons
after recognising only their few lines. Every rule is measured on bench/eval (docs/embedded.md
has the figures and why each threshold sits where it does):

- a *face* is the closed area of one colour around a text box: flood-filled from the gaps
  between the letters, it must not reach the edge of a window a few text heights around the
  text (plain text on a page leaks into the page). A face with the same colour outside it is
  *bordered* (a line separates them); otherwise it is *filled*. When one text box holds several
  outlined buttons and the gaps between them (xmessage), each closed area in it is a face, but
  only when every bit of ink in the box lies inside one (not a line of text with a code span);
- a *button* is short text alone in a face (every text box touching the face lies inside it)
  that is about centred on it, where the face is not a table cell (its border lines stop at its
  corners), and, for a fill with no border, has clearly more padding than an inline code span or
  a badge (code spans, badges and table cells on documentation pages look exactly like buttons
  otherwise);
- a *dialog* is a closed panel of one colour around a button (it does not reach the picture's
  edges and covers at most half of it), holding at least one more line of text; its title is
  the text of a title bar directly above the panel (recognised again at full size: window
  title bars are small), else the panel's topmost line when it is set larger than the rest;
- a *form field* is an empty face right of a short label, on the label's row, at least four
  text heights wide and at most four high.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

import numpy as np

from .layout import Box

TOL = 10  # per channel: a face's own shading (Qt and GTK gradients) stays inside it, a border does not
BUTTON_MAX_WIDTH = 16  # text heights: a button's label is short
BUTTON_REACH_X = 2.5  # how far (text heights) a button's face may extend beside its text
BUTTON_REACH_Y = 1.2  # ... and above and below it
BUTTON_MAX_HEIGHT = 4.0  # a face taller than this many ink heights (capitals: 'Save') is a panel
# A button's own text box runs out of its face by at most 0.15 of its height (a detector's padding,
# bench/eval); the line of text around an outlined word by whole words.
TEXT_SLACK = 0.3
CENTRED = 0.15  # the ink's centre is within this share of the face's width from its centre
# A fill without a border needs this much padding (ink heights) beside its text... Inline code
# spans and badges ("deprecated" on red: 0.42) hug their words; buttons have 1.0-4.2 (bench/eval).
PLAIN_MIN_PAD_X = 0.8
PLAIN_MIN_PAD_Y = 0.3  # ... and above and below it
DIALOG_MAX_SHARE = 0.5  # a dialog covers at most half of the picture
FIELD_MIN_WIDTH = 4.0  # text heights
FIELD_HEIGHT = (1.1, 4.0)  # text heights
FIELD_GAP = 6.0  # a field starts at most this many text heights right of its label
TITLE_LARGER = 1.15  # a dialog's own heading is at least this much taller than its other lines
BAR_HEIGHT = 40  # pixels above a dialog's panel searched for its title bar's text
RECT_MIN_H, RECT_MAX_H = 16, 120  # outlines of widget size (pixels)
RECT_FILL = 0.8  # an outline encloses at least this share of its bounding box: about rectangular
FACE_UNIFORM = 0.5  # at least half of a face is its own colour
INSET_MAX = 6  # pixels between an outline's bounding box and its face: the edge, its closing, a border
EDGE_INK = 0.1  # at most this share of a face is ink touching its outline (rounded corners)
BUTTON_MIN_HEIGHT = 1.2  # a button is at least this many times as tall as its text
BUTTON_MAX_ASPECT = 8  # ... and at most this many times as wide as tall (not a bar or a banner)


@dataclass
class Face:
    box: Box  # the closed area of one colour around the text
    ink: Box  # what is drawn inside it (text, icons)
    colour: tuple[int, int, int]
    bordered: bool  # the same colour outside it, with a line between
    source: Box | None = None  # a text box shared with other outlines (its words are read from the ink)

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


@dataclass
class Dialog:
    box: Box  # the dialog's panel (without its title bar)
    buttons: list[Face]  # its buttons, top to bottom, left to right
    lines: list[int]  # the other lines inside it, in reading order
    title: int | None = None  # index of its title line (inside or in the title bar)
    bar: Box | None = None  # the title bar above the panel, when there is one


@dataclass
class Widgets:
    button_faces: list[Face] = field(default_factory=list)  # top to bottom, left to right
    fields: list[tuple[int, Box]] = field(default_factory=list)  # (label line index, field box)
    dialog: Dialog | None = None


def _colour_close(a: np.ndarray, b: np.ndarray, tol: int = TOL) -> bool:
    return bool(np.abs(a.astype(int) - b.astype(int)).max() <= tol)


def _mode_colour(pixels: np.ndarray) -> np.ndarray:
    flat = pixels.reshape(-1, 3)
    codes = (flat[:, 0].astype(np.int32) >> 3 << 10) | (flat[:, 1].astype(np.int32) >> 3 << 5) | (flat[:, 2] >> 3)
    values, counts = np.unique(codes, return_counts=True)
    return np.asarray(np.median(flat[codes == values[counts.argmax()]], axis=0), dtype=np.uint8)


def _seed_fills(rgb: np.ndarray, window: Box, seeds: list[tuple[int, int]], colour: np.ndarray) -> np.ndarray | None:
    """Window-sized labels of the areas of `colour` flood-filled from the seeds in turn (the
    first seed's area 1, the next one not yet reached 2, ...; 255 for all from the 255th on);
    None when no seed has that colour."""
    import cv2

    x0, y0, x1, y1 = window
    crop = np.array(rgb[y0:y1, x0:x1])  # a copy: OpenCV wants a writable picture even for a mask-only fill
    if crop.shape[0] < 3 or crop.shape[1] < 3:
        return None
    mask = np.zeros((crop.shape[0] + 2, crop.shape[1] + 2), np.uint8)
    planted = 0
    for x, y in seeds:
        cx, cy = x - x0, y - y0
        if not (0 <= cx < crop.shape[1] and 0 <= cy < crop.shape[0]) or mask[cy + 1, cx + 1]:
            continue
        if not _colour_close(crop[cy, cx], colour):
            continue
        planted += 1
        flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (min(planted, 255) << 8)
        cv2.floodFill(crop, mask, (cx, cy), (0, 0, 0), (TOL,) * 3, (TOL,) * 3, flags)
    return mask[1:-1, 1:-1] if planted else None


def _edge_labels(labels: np.ndarray) -> np.ndarray:
    """The labels of the areas that reach the window's edge (0 among them)."""
    return np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1], [0]]))


def _fill(rgb: np.ndarray, window: Box, seeds: list[tuple[int, int]], colour: np.ndarray) -> np.ndarray | None:
    """Mask (window-sized) of the area of `colour` connected to the seeds; None when it leaks to
    the window's edge (the text is not inside a closed area)."""
    labels = _seed_fills(rgb, window, seeds, colour)
    if labels is None or len(_edge_labels(labels)) > 1:
        return None
    return (labels > 0).astype(np.uint8)


def text_faces(rgb: np.ndarray, boxes: list[Box], i: int) -> list[Face]:
    """The face around a short text box, found from the gaps between its letters (outlines
    that touch the letters, like xmessage's round buttons, never close on their own); when that
    area leaks out of the box, the outlined buttons in it (split_faces)."""
    box = boxes[i]
    th = max(1, box[3] - box[1])
    inner = rgb[box[1] : box[3], box[0] : box[2]]
    if box[2] - box[0] > BUTTON_MAX_WIDTH * th or inner.size == 0:
        return []
    h, w = rgb.shape[:2]
    window = (
        max(0, int(box[0] - BUTTON_REACH_X * th - 4)),
        max(0, int(box[1] - BUTTON_REACH_Y * th - 4)),
        min(w, int(box[2] + BUTTON_REACH_X * th + 4)),
        min(h, int(box[3] + BUTTON_REACH_Y * th + 4)),
    )
    colour = _mode_colour(inner)
    step = max(2, th // 4)
    rows = {box[1] + int(f * th) for f in (0.3, 0.5, 0.7)}
    seeds = [(x, y) for y in rows for x in range(box[0], box[2], step)]
    labels = _seed_fills(rgb, window, seeds, colour)
    if labels is None:
        return []
    leaked = _edge_labels(labels)
    if len(leaked) == 1:
        face = _enclosing_face(rgb, window, labels > 0, colour)
        return [face] if face is not None else []
    return split_faces(rgb, window, labels, leaked, box, colour)


def _enclosing_face(rgb: np.ndarray, window: Box, mask: np.ndarray, colour: np.ndarray) -> Face | None:
    ys, xs = np.nonzero(mask)
    fx0, fy0, fx1, fy1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    face = (window[0] + fx0, window[1] + fy0, window[0] + fx1, window[1] + fy1)
    holes = ~mask[fy0:fy1, fx0:fx1].astype(bool)
    hy, hx = np.nonzero(holes)
    if hy.size == 0:
        return None
    ink = (face[0] + int(hx.min()), face[1] + int(hy.min()), face[0] + int(hx.max()) + 1, face[1] + int(hy.max()) + 1)
    return Face(face, ink, (int(colour[0]), int(colour[1]), int(colour[2])), _bordered(rgb, face, colour))


def _ring(rgb: np.ndarray, box: Box, gap: int) -> np.ndarray:
    """Pixels on a rectangle `gap` px outside `box` (clipped to the picture)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (
        max(0, box[0] - gap),
        max(0, box[1] - gap),
        min(w - 1, box[2] - 1 + gap),
        min(h - 1, box[3] - 1 + gap),
    )
    parts = [rgb[y0, x0 : x1 + 1], rgb[y1, x0 : x1 + 1], rgb[y0 : y1 + 1, x0], rgb[y0 : y1 + 1, x1]]
    return np.concatenate(parts)


def _bordered(rgb: np.ndarray, face: Box, colour: np.ndarray) -> bool:
    outside = np.median(_ring(rgb, face, 4), axis=0)
    return bool(np.abs(outside - colour.astype(float)).sum() < 40)


def _lines_run_on(rgb: np.ndarray, face: Box, colour: np.ndarray, from_corner: bool = False) -> bool:
    """A table cell: its border lines carry on past its corners (into the next cells). With
    `from_corner` the whole run from the corner must be line, not only its far end: a face
    flood-filled to its border has it right at its edge, and a round button's corners are open
    (xmessage's sit 5 pixels from the window's frame, which the far ends alone would take for a
    table's lines)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = face
    runs = [  # (y, x) at the corner, then at the far end
        ((y0 - 1, x0 - 1), (y0 - 1, x0 - 6)),
        ((y0 - 1, x1), (y0 - 1, x1 + 5)),
        ((y1, x0 - 1), (y1, x0 - 6)),
        ((y1, x1), (y1, x1 + 5)),
        ((y0 - 1, x0 - 1), (y0 - 6, x0 - 1)),
        ((y1, x0 - 1), (y1 + 5, x0 - 1)),
        ((y0 - 1, x1), (y0 - 6, x1)),
        ((y1, x1), (y1 + 5, x1)),
    ]
    hits = 0
    for (ya, xa), (yb, xb) in runs:
        ys = np.linspace(ya, yb, 6).round().astype(int) if from_corner else np.array([yb])
        xs = np.linspace(xa, xb, 6).round().astype(int) if from_corner else np.array([xb])
        if ys.min() < 0 or xs.min() < 0 or ys.max() >= h or xs.max() >= w:
            continue
        if (np.abs(rgb[ys, xs].astype(int) - colour.astype(int)).sum(axis=1) > 60).all():
            hits += 1
    return hits >= 2


def _alone(face: Face, boxes: list[Box]) -> bool:
    """Every text box that touches the face lies inside it (text wholly outside it is fine), but
    the one it shares with the outlines beside it. The whole box, not its centre: a line of text
    with an outlined word in its middle (a key cap, a code word) has its centre on that word."""
    x0, y0, x1, y1 = face.box
    for b in boxes:
        overlaps = b[0] < x1 and b[2] > x0 and b[1] < y1 and b[3] > y0
        if overlaps and b != face.source and not _inside(b, face.box):
            return False
    return True


def _inside(b: Box, face: Box) -> bool:
    """The box lies in the face, but for a detector's padding (TEXT_SLACK)."""
    slack = TEXT_SLACK * (b[3] - b[1])
    return (
        _centre_in(b, face)
        and b[0] >= face[0] - slack
        and b[1] >= face[1] - slack
        and b[2] <= face[2] + slack
        and b[3] <= face[3] + slack
    )


def _one_row(face: Box, boxes: list[Box]) -> bool:
    """The text inside a face is one row (a button's label), not a paragraph in a note box."""
    inside = [b for b in boxes if _centre_in(b, face)]
    return all(min(a[3], b[3]) - max(a[1], b[1]) > 0 for a in inside for b in inside)


def rect_candidates(rgb: np.ndarray) -> list[Box]:
    """Closed outlines of about rectangular shape and widget size: the edges of faces drawn with
    a border or a fill of their own (OpenCV: Canny edges closed by one pixel, their contours)."""
    import cv2

    w = rgb.shape[1]
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    edges = cv2.dilate(cv2.Canny(gray, 20, 60), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for c in contours:
        x, y, cw, ch = cv2.boundingRect(c)
        if RECT_MIN_H <= ch <= RECT_MAX_H and 0.8 * ch <= cw <= 0.6 * w:
            if cv2.contourArea(c) >= RECT_FILL * cw * ch:
                found.append((x, y, x + cw, y + ch))
    return found


def _off_row_colour(inner: np.ndarray) -> np.ndarray:
    """How far each pixel is from its row's own colour (faces may be shaded top to bottom): the
    row's median, or its most common colour where letters cover half the row (a long label's
    strokes, e.g. the crossbars of "Delete"), where the median is a letter's grey."""
    rows = np.median(inner, axis=1).astype(np.int16)
    diff = np.abs(inner.astype(np.int16) - rows[:, None, :]).sum(axis=2)
    for y in np.nonzero((diff < 30).mean(axis=1) < 0.5)[0]:
        diff[y] = np.abs(inner[y].astype(np.int16) - _mode_colour(inner[y]).astype(np.int16)).sum(axis=1)
    return diff


def face_in(rgb: np.ndarray, rect: Box, inset: int = 4) -> Face | None:
    """The face inside an outline: its colour, what is drawn on it, bordered or filled. Ink that
    touches the outline (a rounded corner, the letters of a word whose outline this is) is not
    drawing on the face; a face with much of it is not a face at all."""
    import cv2

    x0, y0, x1, y1 = rect
    inner = rgb[y0 + inset : y1 - inset, x0 + inset : x1 - inset]
    if inner.shape[0] < 4 or inner.shape[1] < 4:
        return None
    colour = _mode_colour(inner)
    diff = _off_row_colour(inner)
    if float((diff < 30).mean()) < FACE_UNIFORM:
        return None  # mostly drawing, not a face: a picture
    count, labels, stats, _ = cv2.connectedComponentsWithStats((diff > 80).astype(np.uint8), connectivity=8)
    ih, iw = diff.shape
    edge = {0, *labels[0], *labels[-1], *labels[:, 0], *labels[:, -1]}
    touching = sum(int(stats[k, cv2.CC_STAT_AREA]) for k in edge if k)
    if touching > EDGE_INK * ih * iw:
        if inset < INSET_MAX:  # a thick or double border (a focused default button): look further in
            return face_in(rgb, rect, inset + 2)
        return None  # letters run into the outline: the outline of a word, not a face
    keep = [k for k in range(1, count) if k not in edge]
    if sum(int(stats[k, cv2.CC_STAT_AREA]) for k in keep) < 5:
        ink = (x0, y0, x0, y0)  # nothing drawn on it
    else:
        ink = (
            x0 + inset + min(int(stats[k, cv2.CC_STAT_LEFT]) for k in keep),
            y0 + inset + min(int(stats[k, cv2.CC_STAT_TOP]) for k in keep),
            x0 + inset + max(int(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH]) for k in keep),
            y0 + inset + max(int(stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT]) for k in keep),
        )
    return Face(rect, ink, (int(colour[0]), int(colour[1]), int(colour[2])), _bordered(rgb, rect, colour))


def is_button(rgb: np.ndarray, face: Face) -> bool:
    """Text centred on a face with room around it, not a table cell, not an inline code span
    or a badge."""
    ink_h = face.ink[3] - face.ink[1]
    if ink_h < 4 or face.ink[2] - face.ink[0] < 4:
        return False
    height = face.box[3] - face.box[1]
    if (
        not (BUTTON_MIN_HEIGHT * ink_h <= height <= BUTTON_MAX_HEIGHT * ink_h)
        or face.width > BUTTON_MAX_ASPECT * height
    ):
        return False
    if abs((face.ink[0] + face.ink[2]) / 2 - (face.box[0] + face.box[2]) / 2) > CENTRED * face.width:
        return False  # text set to one side: a code block or a list row, not a button
    colour = np.asarray(face.colour, dtype=np.uint8)
    if face.bordered and _lines_run_on(rgb, face.box, colour, from_corner=face.source is not None):
        return False
    if not face.bordered:
        pad_x = min(face.ink[0] - face.box[0], face.box[2] - face.ink[2]) / ink_h
        pad_y = min(face.ink[1] - face.box[1], face.box[3] - face.ink[3]) / ink_h
        if pad_x < PLAIN_MIN_PAD_X or pad_y < PLAIN_MIN_PAD_Y:
            return False  # an inline code span, a badge
    return True


def _contains(outer: Box, inner: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def split_faces(
    rgb: np.ndarray, window: Box, labels: np.ndarray, leaked: np.ndarray, box: Box, colour: np.ndarray
) -> list[Face]:
    """Outlined buttons that text detection took as one box with what lies between them
    (xmessage's round '(Retry)(Cancel)' in one box, its '(OK)' in a box wider than the outline):
    the closed areas among those flood-filled from the gaps between the letters, when every bit
    of ink in the box is inside one of them (a line of text with a code span in it is not)."""
    th = max(1, box[3] - box[1])
    closed = np.bincount(labels.ravel(), minlength=256) >= th * th / 4  # not a letter's counter
    closed[leaked] = False
    faces = [f for k in np.nonzero(closed)[0] if (f := _closed_face(labels == k, th)) is not None]
    if not faces:
        return []
    x0, y0 = window[0], window[1]
    inner = rgb[box[1] : box[3], box[0] : box[2]]
    ink = np.abs(inner.astype(np.int16) - colour.astype(np.int16)).max(axis=2) > TOL
    for fx0, fy0, fx1, fy1 in (f[0] for f in faces):  # the face and its outline, up to 3 pixels thick
        ink[
            max(0, fy0 + y0 - 3 - box[1]) : max(0, fy1 + y0 + 3 - box[1]),
            max(0, fx0 + x0 - 3 - box[0]) : max(0, fx1 + x0 + 3 - box[0]),
        ] = False
    if ink.any():
        return []
    rgb_colour = (int(colour[0]), int(colour[1]), int(colour[2]))
    found = []
    for (fx0, fy0, fx1, fy1), (ix0, iy0, ix1, iy1) in faces:
        face = (fx0 + x0, fy0 + y0, fx1 + x0, fy1 + y0)
        ink_box = (ix0 + x0, iy0 + y0, ix1 + x0, iy1 + y0)
        found.append(Face(face, ink_box, rgb_colour, _bordered(rgb, face, colour), source=box))
    return found


def _closed_face(region: np.ndarray, th: int) -> tuple[Box, Box] | None:
    """(face, ink) of a closed area at least half a text height tall (not a letter's counter);
    the ink is what it encloses (not what lies beyond a round outline's corners)."""
    import cv2

    ys, xs = np.nonzero(region)
    fx0, fy0, fx1, fy1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    if fy1 - fy0 < th / 2:
        return None
    rest = (~region[fy0:fy1, fx0:fx1]).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    edge = {0, *labels[0], *labels[-1], *labels[:, 0], *labels[:, -1]}
    keep = [k for k in range(1, count) if k not in edge]
    if not keep:
        return None
    ink = (
        fx0 + min(int(stats[k, cv2.CC_STAT_LEFT]) for k in keep),
        fy0 + min(int(stats[k, cv2.CC_STAT_TOP]) for k in keep),
        fx0 + max(int(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH]) for k in keep),
        fy0 + max(int(stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT]) for k in keep),
    )
    return (fx0, fy0, fx1, fy1), ink


def find_widgets(rgb: np.ndarray, boxes: list[Box]) -> Widgets:
    """Buttons (geometry only: the caller reads and checks their words), the dialog around them,
    and empty form fields beside or under short labels."""
    out = Widgets()
    faces = [f for f in (face_in(rgb, r) for r in rect_candidates(rgb)) if f is not None]
    faces += [f for i in range(len(boxes)) for f in text_faces(rgb, boxes, i)]
    buttons = sorted(
        (f for f in faces if is_button(rgb, f) and _alone(f, boxes) and _one_row(f.box, boxes)),
        key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]),
    )
    for face in buttons:  # the innermost of nested outlines (a focus ring around a button)
        if not any(_contains(face.box, k.box) or _contains(k.box, face.box) for k in out.button_faces):
            out.button_faces.append(face)
    out.button_faces.sort(key=lambda f: (f.box[1] // 8, f.box[0]))
    out.dialog = find_dialog(rgb, boxes, out.button_faces)
    labelled: dict[int, Box] = {}
    for face in sorted(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1])):
        found = _field(face, boxes) if face.ink[2] - face.ink[0] <= 3 else None  # empty, or a cursor
        if found is not None and found[0] not in labelled:
            labelled[found[0]] = found[1]  # nested outlines of one field (its border's two edges): once
    out.fields = sorted(labelled.items(), key=lambda f: (f[1][1], f[1][0]))
    return out


def _field(face: Face, boxes: list[Box]) -> tuple[int, Box] | None:
    """(label line, field) for an empty face with a short label on its left or just above it."""
    x0, y0, x1, y1 = face.box
    best = None
    for i, b in enumerate(boxes):
        th = max(1, b[3] - b[1])
        if b[2] - b[0] > 12 * th or x1 - x0 < FIELD_MIN_WIDTH * th:
            continue
        if not (FIELD_HEIGHT[0] * th <= y1 - y0 <= FIELD_HEIGHT[1] * th):
            continue
        left = b[2] <= x0 + 2 and x0 - b[2] <= FIELD_GAP * th and y0 <= (b[1] + b[3]) / 2 <= y1
        above = b[3] <= y0 + 2 and y0 - b[3] <= 1.5 * th and abs(b[0] - x0) <= 2 * th
        if (left or above) and (best is None or abs(b[2] - x0) < abs(boxes[best][2] - x0)):
            best = i
    return (best, face.box) if best is not None else None


def find_dialog(rgb: np.ndarray, boxes: list[Box], buttons: list[Face]) -> Dialog | None:
    """The closed panel around a button, when it holds more text than the buttons' own."""
    h, w = rgb.shape[:2]
    for face in buttons:
        x0, y0, x1, y1 = face.box
        cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
        seeds = [  # around the button, beyond a focus ring
            p
            for gap in (6, 9, 12)
            for p in ((x0 - gap, cy), (x1 + gap, cy), (cx, y0 - gap), (cx, y1 + gap))
            if 0 <= p[0] < w and 0 <= p[1] < h
        ]
        if not seeds:
            continue
        colour = _mode_colour(np.stack([rgb[y, x] for x, y in seeds])[None])
        mask = _fill(rgb, (0, 0, w, h), seeds, colour)
        if mask is None:
            continue  # the buttons sit on the page itself
        ys, xs = np.nonzero(mask)
        panel = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        if (panel[2] - panel[0]) * (panel[3] - panel[1]) > DIALOG_MAX_SHARE * w * h:
            continue
        faces = [f for f in buttons if _contains(panel, f.box)]
        others = [
            j
            for j, b in enumerate(boxes)
            if _centre_in(b, panel) and not any(_centre_in(b, f.box) or b == f.source for f in faces)
        ]
        if not others:
            continue  # a lone button on a panel is a toolbar, not a dialog
        dialog = Dialog(panel, faces, others)
        dialog.bar = title_bar(rgb, panel)
        dialog.title = _heading(boxes, others)
        return dialog
    return None


def _centre_in(b: Box, area: Box) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


def _heading(boxes: list[Box], lines: list[int]) -> int | None:
    """The dialog's topmost line when it is set larger than the others (an HTML dialog's <h2>,
    a browser's 'This page says')."""
    if len(lines) < 2:
        return None
    top = min(lines, key=lambda j: boxes[j][1])
    rest = [boxes[j][3] - boxes[j][1] for j in lines if j != top]
    if boxes[top][3] - boxes[top][1] >= TITLE_LARGER * median(rest):
        return top
    return None


def title_bar(rgb: np.ndarray, panel: Box) -> Box | None:
    """The band where a window title bar sits on top of the panel: just above it, as wide as it,
    of one colour unlike the panel's and unlike what lies beside the band (the window ends
    there; a web page's dialog has the same page above it and beside it)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, _ = panel
    if y0 < 12 or x1 - x0 < 40 or x0 < 10:
        return None
    y = y0 - 4
    row = rgb[y, x0 + 4 : x1 - 4].astype(int)
    bar = np.median(row, axis=0)
    share = float((np.abs(row - bar).sum(axis=1) < 40).mean())
    panel_colour = rgb[y0 + 2, (x0 + x1) // 2].astype(int)
    beside = rgb[y, x0 - 8].astype(int)
    if share < 0.6 or np.abs(bar - panel_colour).sum() < 40 or np.abs(bar - beside).sum() < 60:
        return None
    return (x0, max(0, y0 - BAR_HEIGHT), x1, y0)
