"""What the offline describer measures about one picture (Analysis) and the wording both the
describer and the question answerer use: quoting, positions, counts, titles, navigation, error
lines. Shared by embedded.py (descriptions) and questions.py (answers), which import it and
never each other."""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .base import TextLine
from .charts import Chart
from .detect import Detection
from .kinds import PixelStats, dominant_colours, image_kind, region_colours
from .layout import Box
from .screen import ScreenLayout

VLM_PRESET = "smolvlm-256m"
PULL_COMMAND = f"screen-assistant models pull {VLM_PRESET}"
NEUTRAL = {"white", "black", "grey", "light grey", "dark grey"}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass
class DialogSeen:
    """A dialog with its words: title (title bar or heading), buttons in order, what it says."""

    box: Box
    title: TextLine | None
    buttons: list[TextLine]
    message: list[TextLine]


@dataclass
class WidgetsSeen:
    dialog: DialogSeen | None = None
    buttons: list[TextLine] = field(default_factory=list)  # every button, top to bottom, left to right
    fields: list[TextLine] = field(default_factory=list)  # the labels of empty form fields


@dataclass
class Analysis:
    """Everything measured about one image; filled in lazily, once."""

    image: Image.Image
    stats: PixelStats
    bgr: np.ndarray | None  # for recognition; let go once every line is read (pixels()) recreates it
    quads: list | None = None
    groups: list[list[int]] = field(default_factory=list)  # detection boxes per line, reading order
    boxes: list[Box] = field(default_factory=list)  # one box per line (group)
    read: dict[int, TextLine | None] = field(default_factory=dict)  # recognised lines by group
    piece_boxes: list[Box] = field(default_factory=list)  # one box per detection region (quads)
    pieces: dict[int, TextLine | None] = field(default_factory=dict)  # recognised regions by index
    widgets: WidgetsSeen | None = None
    links: list[TextLine] | None = None  # link phrases in the main text
    turn: int | None = None  # degrees the picture was turned (clockwise) to read it; None: not checked
    standing: int = 0  # detected regions taller than wide (before a photo's texture filter)
    regions: int = 0  # ... out of this many
    lines: list[TextLine] | None = None
    layout: ScreenLayout | None = None
    layout_settled: bool = False
    layout_done: bool = False  # the layout was worked out (it stays None for photos)
    chart: Chart | None = None
    chart_done: bool = False
    objects: list[Detection] | None = None
    vectors: np.ndarray | None = None  # sentence embeddings of the lines, for questions
    hint: Future | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    _colours: list[tuple[str, float]] | None = None

    @property
    def colours(self) -> list[tuple[str, float]]:
        """The dominant colour names, measured when first asked for (`read` never needs them)."""
        if self._colours is None:
            self._colours = dominant_colours(self.image)
        return self._colours

    def pixels(self) -> np.ndarray:
        """The picture as BGR pixels for the OCR models, made again if it was let go."""
        from .ocr import to_bgr

        if self.bgr is None:
            self.bgr = to_bgr(self.image)
        return self.bgr

    @property
    def kind(self) -> str:
        kind = image_kind(self.stats, len(self.quads or []))
        if kind == "document" and self.layout is not None and self.layout.nav:
            return "screenshot"  # a light page with a side navigation list is a screen, not a letter
        return kind


def number_word(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def quote(text: str) -> str:
    return f"“{text.strip()}”"


def quote_end(text: str) -> str:
    """A quotation that ends a sentence: no second full stop after one inside the quote."""
    return quote(text) + ("" if text.strip()[-1:] in ".!?" else ".")


def position(box: tuple[int, int, int, int], size: tuple[int, int]) -> str:
    """Where a box sits on a 3x3 grid, as words: "at the top left", "in the middle"."""
    cx, cy = (box[0] + box[2]) / 2 / size[0], (box[1] + box[3]) / 2 / size[1]
    row = "top" if cy < 1 / 3 else ("bottom" if cy > 2 / 3 else "")
    col = "left" if cx < 1 / 3 else ("right" if cx > 2 / 3 else "")
    if not row and not col:
        return "in the middle"
    if not row:
        return f"on the {col}"
    return f"at the {row} {col}".rstrip()


def title_line(a: Analysis, lines: list[TextLine]) -> TextLine | None:
    """The page's title (its largest heading near the top) or a window's title bar line."""
    if a.kind not in ("screenshot", "document") or not a.boxes:
        return None
    layout = a.layout
    if layout is None or layout.title is None:
        return None
    line = a.read.get(layout.title)
    if line is None or menu_words(line.text):
        return None  # a window without a title bar starts with its menu bar
    return line


def nav_lines(a: Analysis) -> list[TextLine]:
    if a.layout is None:
        return []
    return [line for i in a.layout.nav if (line := a.read.get(i)) is not None]


def main_lines(a: Analysis, lines: list[TextLine]) -> list[TextLine]:
    """Lines of the main content: not the side navigation list, not the title."""
    if a.layout is None:
        return lines
    skip = {id(a.read.get(i)) for i in a.layout.nav}
    if a.layout.title is not None:
        skip.add(id(a.read.get(a.layout.title)))
    return [line for line in lines if id(line) not in skip]


MENU_NAMES = {
    "file",
    "edit",
    "view",
    "help",
    "tools",
    "window",
    "insert",
    "format",
    "go",
    "run",
    "terminal",
    "settings",
    "options",
    "history",
    "bookmarks",
    "selection",
    "image",
    "table",
}


def menu_words(text: str) -> bool:
    """3-12 capitalised single words including at least two usual menu names."""
    words = text.split()
    return (
        3 <= len(words) <= 12
        and all(w[:1].isupper() and w.isalpha() for w in words)
        and sum(w.lower() in MENU_NAMES for w in words) >= 2
    )


def coloured_labels(a: Analysis, lines: list[TextLine]) -> list[tuple[TextLine, str, str]]:
    """Short text on a coloured background (buttons, badges): (line, background, text colour)."""
    found = []
    for line in lines:
        if len(line.text.split()) > 4:
            continue
        bg, fg = region_colours(a.image, line.box)
        if bg not in NEUTRAL and bg != fg:
            found.append((line, bg, fg))
    return found


# A line is called an error or warning only when it reads like one: it starts with the word
# and a colon ("Error: …", "error[E0382]: …", "Warning: …") or with "Failed to". Lines that
# merely contain "problem", "error" or "cannot" are ordinary text (3 of 6 documentation
# pages were wrongly said to show an error message when any such word counted).
ERROR_START = re.compile(r"^\s*(?:(?:error|warning|fatal)(?:\s*\[[\w-]+\])?\s*:|failed to\b)", re.I)


# ... or when it sits in a dialog whose title says so ("Error", "Upload failed", "Warning").
ERROR_TITLE = re.compile(r"\b(error|errors|warning|failed|failure|fatal)\b", re.I)


def error_lines(
    lines: list[TextLine], title: TextLine | None = None, dialog: DialogSeen | None = None
) -> list[TextLine]:
    found = [l for l in lines if l is not title and ERROR_START.match(l.text)]
    if dialog is not None and dialog.title is not None and ERROR_TITLE.search(dialog.title.text):
        found = [*dialog.message, *(l for l in found if l not in dialog.message)]
    return found


def words(line: TextLine | None) -> bool:
    """Text a button, a field's label or a dialog line can have: two letters at least."""
    return line is not None and sum(c.isalpha() for c in line.text) >= 2


def button_words(text: str) -> bool:
    """A button's label: one to four words, two letters at least, short."""
    return 1 <= len(text.split()) <= 4 and len(text) <= 30 and sum(c.isalpha() for c in text) >= 2


def dialog_phrase(dialog: DialogSeen) -> str:
    """'a dialog titled “Save changes?” with the buttons “Don't save”, “Cancel” and “Save”'."""
    said = "a dialog" + (f" titled {quote(dialog.title.text)}" if dialog.title is not None else "")
    names = [quote(b.text) for b in dialog.buttons]
    if names:
        said += f" with the button{'s' if len(names) > 1 else ''} {join_words(names)}"
    return said
