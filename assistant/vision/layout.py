"""Reading order for OCR lines: merge pieces of one line, find columns, then read each column
top to bottom.

The order comes from a recursive cut of the page:
1. cut horizontally where a blank strip at least one line high crosses the whole region
   (title bar / body / footer);
2. put back together neighbouring strips that share a column gutter (a paragraph break that
   happens at the same height in both columns is not the end of the columns);
3. cut each strip vertically at gutters (blank x-ranges at least two line-heights wide), read
   the columns left to right and recurse into each;
4. what cannot be cut is read row by row, left to right.
"""

from __future__ import annotations

from statistics import median

from .base import TextLine

Box = tuple[int, int, int, int]


def _height(line: TextLine) -> int:
    return max(1, line.box[3] - line.box[1])


def _same_row(a: Box, b: Box, overlap: float = 0.5) -> bool:
    top, bottom = max(a[1], b[1]), min(a[3], b[3])
    return bottom - top >= overlap * min(a[3] - a[1], b[3] - b[1])


def merge_line_pieces(lines: list[TextLine]) -> list[TextLine]:
    """Join boxes that sit on the same text line with no more than a word gap between them."""
    pending = sorted(lines, key=lambda l: (l.box[1], l.box[0]))
    merged: list[TextLine] = []
    for line in sorted(pending, key=lambda l: l.box[0]):
        for i, other in enumerate(merged):
            h = max(_height(line), _height(other))
            gap = line.box[0] - other.box[2]
            similar = 0.67 <= _height(line) / _height(other) <= 1.5
            if similar and _same_row(line.box, other.box, 0.6) and -h <= gap <= 0.9 * h:
                merged[i] = _join(other, line)
                break
        else:
            merged.append(line)
    return merged


def _join(left: TextLine, right: TextLine) -> TextLine:
    box = (
        min(left.box[0], right.box[0]),
        min(left.box[1], right.box[1]),
        max(left.box[2], right.box[2]),
        max(left.box[3], right.box[3]),
    )
    return TextLine(f"{left.text} {right.text}", box, min(left.confidence, right.confidence))


def _gaps(spans: list[tuple[int, int]], min_gap: float) -> list[tuple[int, int]]:
    """Blank intervals at least `min_gap` wide between the covered parts of one axis."""
    gaps, reach = [], None
    for start, end in sorted(spans):
        if reach is not None and start - reach >= min_gap:
            gaps.append((reach, start))
        reach = end if reach is None else max(reach, end)
    return gaps


def _split(lines: list[TextLine], gaps: list[tuple[int, int]], axis: int) -> list[list[TextLine]]:
    groups: list[list[TextLine]] = [[] for _ in range(len(gaps) + 1)]
    for line in lines:
        centre = (line.box[axis] + line.box[axis + 2]) / 2
        groups[sum(1 for g in gaps if centre > g[0])].append(line)
    return [g for g in groups if g]


def _gutters(lines: list[TextLine], h: float) -> list[tuple[int, int]]:
    return _gaps([(l.box[0], l.box[2]) for l in lines], 2.0 * h)


def _share_gutter(a: list[TextLine], b: list[TextLine], h: float) -> bool:
    ga, gb = _gutters(a, h), _gutters(b, h)
    return any(min(x[1], y[1]) > max(x[0], y[0]) for x in ga for y in gb)


def _strips(lines: list[TextLine], h: float) -> list[list[TextLine]]:
    strips = _split(lines, _gaps([(l.box[1], l.box[3]) for l in lines], 1.0 * h), axis=1)
    joined = [strips[0]]
    for strip in strips[1:]:
        if _share_gutter(joined[-1], strip, h):
            joined[-1] = joined[-1] + strip
        else:
            joined.append(strip)
    return joined


def _stacked(a: Box, b: Box) -> bool:
    """Boxes that share most of their width are lines above one another, never one row, even
    when tightly spaced text gives them detector boxes that overlap vertically."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    return shared > 0.5 * min(a[2] - a[0], b[2] - b[0])


def _rows(lines: list[TextLine]) -> list[TextLine]:
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        if rows and _same_row(rows[-1][0].box, line.box) and not any(_stacked(o.box, line.box) for o in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda l: l.box[0])]


def _order(lines: list[TextLine], h: float, depth: int = 0) -> list[TextLine]:
    if len(lines) <= 1 or depth > 12:
        return _rows(lines)
    strips = _strips(lines, h)
    if len(strips) > 1:
        return [l for strip in strips for l in _order(strip, h, depth + 1)]
    columns = _split(lines, _gutters(lines, h), axis=0)
    if len(columns) > 1:
        return [l for col in columns for l in _order(col, h, depth + 1)]
    return _rows(lines)


def reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Lines in the order a sighted reader would take them."""
    if not lines:
        return []
    merged = merge_line_pieces(lines)
    h = median(_height(l) for l in merged)
    return _order(merged, h)


def column_count(lines: list[TextLine], min_lines: int = 1) -> int:
    """The largest number of side-by-side columns of at least `min_lines` lines found in any
    strip of the page (at least 1 when there is text)."""
    if not lines:
        return 0
    h = median(_height(l) for l in lines)
    counts = (sum(len(c) >= min_lines for c in _split(s, _gutters(s, h), axis=0)) for s in _strips(lines, h))
    return max(1, max(counts))


def order_boxes(boxes: list[Box]) -> list[list[int]]:
    """Reading order from detection boxes alone (before any text is recognised): groups of box
    indices, each group the pieces of one line, left to right. Lets `read` speak its first line
    after one recognition instead of after all of them."""
    if not boxes:
        return []
    ordered = reading_order([TextLine(str(i), box) for i, box in enumerate(boxes)])
    return [[int(i) for i in line.text.split()] for line in ordered]
