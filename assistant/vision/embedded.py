"""The offline describer: works on a fresh machine with no downloads.

It reports only what it can measure — text (rapidocr), colours and layout (pixels), the kind
of picture (pixel statistics) — plus, for photos only, a hedged ImageNet hint from
EfficientNet-Lite0 when the model is confident. It never guesses beyond that: questions
about anything else get an honest sentence naming the picture model to install.

Streaming: the first sentence needs only pixel statistics and text *detection* (~0.3 s on a
1920x1080 screen); recognition (the slow part) follows, then the details. Each image's
analysis is cached, so describe-then-read or several questions OCR the image only once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .base import TextLine
from .classify import Guess, ImageNetClassifier
from .kinds import PHOTO_MAX_FLAT, PixelStats, dominant_colours, image_kind, pixel_stats, region_colours
from .layout import column_count, merge_line_pieces, reading_order
from .ocr import TextReader, quad_to_box, to_bgr

VLM_PRESET = "smolvlm-256m"
PULL_COMMAND = f"python main.py models pull {VLM_PRESET}"
# A hint is spoken only for photos, only when the top ImageNet class has at least this
# probability AND at least HINT_MARGIN times the runner-up's (justified in docs/embedded.md:
# photo-like synthetic textures never scored above 0.12).
HINT_MIN_PROBABILITY = 0.4
HINT_MARGIN = 2.0
CACHE_SIZE = 4
# In photos, a "line" taller than this share of the picture was texture, not text (the sample
# tower photo gave a 411-px box read as one Chinese character); screens and pages keep them,
# since a captured button or heading can fill the picture.
PHOTO_MAX_LINE_HEIGHT = 0.4
NEUTRAL = {"white", "black", "grey", "light grey", "dark grey"}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass
class Analysis:
    """Everything measured about one image; filled in lazily, once."""

    image: Image.Image
    stats: PixelStats
    colours: list[tuple[str, float]]
    bgr: np.ndarray
    quads: list | None = None
    lines: list[TextLine] | None = None
    hint: Guess | None = None
    hint_done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def kind(self) -> str:
        return image_kind(self.stats, len(self.quads or []))


class EmbeddedBackend:
    name = "embedded"
    model = "embedded (rapidocr PP-OCRv6 + efficientnet-lite0)"

    def __init__(self):
        self._reader = TextReader()
        self._classifier = ImageNetClassifier()
        self._cache: OrderedDict[str, Analysis] = OrderedDict()
        self._cache_lock = threading.Lock()

    # ---- analysis (cached per image) --------------------------------------------------
    def analyse(self, image: Image.Image) -> Analysis:
        key = _image_key(image)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rgb = image.convert("RGB")
        found = Analysis(rgb, pixel_stats(rgb), dominant_colours(rgb), to_bgr(rgb))
        with self._cache_lock:
            found = self._cache.setdefault(key, found)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def detect(self, a: Analysis) -> list:
        with a.lock:
            if a.quads is None:
                quads = self._reader.detect(a.bgr)
                if a.stats.flat_share < PHOTO_MAX_FLAT:
                    limit = PHOTO_MAX_LINE_HEIGHT * a.image.height
                    quads = [q for q in quads if np.ptp(q[:, 1]) <= limit]
                a.quads = quads
            return a.quads

    def lines(self, a: Analysis) -> list[TextLine]:
        quads = self.detect(a)
        with a.lock:
            if a.lines is None:
                a.lines = reading_order(self._reader.recognise(a.bgr, quads))
            return a.lines

    def line_estimate(self, a: Analysis) -> int:
        """How many text lines detection found, counting pieces of one line once."""
        shape = a.bgr.shape
        return len(merge_line_pieces([TextLine("", quad_to_box(q, shape)) for q in self.detect(a)]))

    def hint(self, a: Analysis) -> Guess | None:
        """A confident ImageNet label for photos; None for everything else."""
        self.detect(a)  # the kind depends on whether there is text
        with a.lock:
            if not a.hint_done:
                a.hint_done = True
                if a.kind == "photo":
                    a.hint = self._confident_guess(a.image)
            return a.hint

    def _confident_guess(self, image: Image.Image) -> Guess | None:
        try:
            top = self._classifier.top(image, k=2)
        except (ImportError, OSError, RuntimeError, ValueError):
            return None  # hints are optional: a broken classifier must not silence the description
        if top[0].probability >= HINT_MIN_PROBABILITY and top[0].probability >= HINT_MARGIN * top[1].probability:
            return top[0]
        return None

    # ---- the VisionBackend interface ----------------------------------------------------
    def read_text(self, image: Image.Image) -> list[TextLine]:
        return list(self.lines(self.analyse(image)))

    def describe(
        self, image: Image.Image, detail: str = "quick", cancel: threading.Event | None = None
    ) -> Iterator[str]:
        a = self.analyse(image)
        self.detect(a)
        yield first_sentence(a.kind, a.colours, self.line_estimate(a), self.hint(a)) + " "
        if cancel is not None and cancel.is_set():
            return
        lines = self.lines(a) if a.quads else []
        for sentence in detail_sentences(a, lines, full=(detail == "full")):
            if cancel is not None and cancel.is_set():
                return
            yield sentence + " "

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        from .questions import answer

        a = self.analyse(image)
        lines = self.lines(a) if self.detect(a) else []
        for sentence in answer(question, a, lines):
            if cancel is not None and cancel.is_set():
                return
            yield sentence + " "


# ---- wording ------------------------------------------------------------------------------
def _image_key(image: Image.Image) -> str:
    digest = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()
    return f"{image.mode}:{image.size[0]}x{image.size[1]}:{digest}"


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


KIND_PHRASES = {
    "screenshot": "A screenshot",
    "document": "A text document",
    "photo": "A photo",
    "graphic": "A simple graphic with flat colours",
}


def first_sentence(kind: str, colours: list[tuple[str, float]], text_regions: int, hint: Guess | None) -> str:
    parts = [KIND_PHRASES[kind]]
    if hint is not None:
        article = "an" if hint.label[:1].lower() in "aeiou" else "a"
        parts.append(f"possibly showing {article} {hint.label}")
    if colours:
        parts.append("mostly " + join_words([name for name, _ in colours]))
    if text_regions == 0:
        parts.append("with no text")
    elif kind == "photo" or text_regions <= 2:
        parts.append("with a little text")
    else:
        parts.append(f"with about {text_regions} lines of text")
    return ", ".join(parts) + "."


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
    """The window or page title: the topmost line, if it sits in the top tenth of a screenshot."""
    if a.kind != "screenshot" or not lines:
        return None
    top = min(lines, key=lambda l: l.box[1])
    if _menu_words(top.text):
        return None  # a window without a title bar starts with its menu bar
    return top if top.box[3] <= 0.1 * a.image.height else None


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


def _menu_words(text: str) -> bool:
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


def menu_lines(a: Analysis, lines: list[TextLine], title: TextLine | None) -> list[TextLine]:
    """A screenshot's menu bar: one row of 3-12 capitalised single words near the top."""
    if a.kind != "screenshot":
        return []
    near_top = [l for l in lines if l is not title and l.box[3] <= 0.12 * a.image.height]
    if not near_top:
        return []
    first = min(l.box[1] for l in near_top)
    height = min(l.box[3] - l.box[1] for l in near_top)
    near_top = [l for l in near_top if l.box[1] - first < 0.5 * height]  # the first row only
    words = [w for l in near_top for w in l.text.split()]
    if 3 <= len(words) <= 12 and all(w[:1].isupper() and w.isalpha() for w in words):
        return near_top
    return []


ERROR_WORDS = (
    "error",
    "failed",
    "failure",
    "could not",
    "couldn't",
    "cannot",
    "can't",
    "unable",
    "warning",
    "invalid",
    "denied",
    "not found",
    "not responding",
    "problem",
)


def error_lines(lines: list[TextLine]) -> list[TextLine]:
    return [l for l in lines if any(w in l.text.lower() for w in ERROR_WORDS)]


def detail_sentences(a: Analysis, lines: list[TextLine], full: bool) -> Iterator[str]:
    kind = a.kind
    if not lines:
        if a.quads:
            yield "I could not make out the words, though."
    else:
        title = title_line(a, lines)
        if title is not None:
            yield f"The title at the top reads {quote_end(title.text)}"
        menu = menu_lines(a, lines, title)
        if menu:
            yield f"The menu bar has {join_words([w for l in menu for w in l.text.split()])}."
        columns = column_count(lines)
        if columns >= 2:
            yield f"The text is laid out in {number_word(columns)} columns."
        errors = error_lines(lines)
        if errors:
            yield f"There is an error or warning message: {quote_end(errors[0].text)}"
        labels = coloured_labels(a, lines)
        if labels:
            described = [f"{quote(l.text)} on {bg} {position(l.box, a.image.size)}" for l, bg, _ in labels[:4]]
            yield f"Labels or buttons on colour: {join_words(described)}."
        body = [l for l in lines if l is not title and l not in menu]
        shown = body if full else body[:3]
        if shown:
            yield ("The text reads: " if full or len(body) <= 3 else "The text begins: ") + " ".join(
                _sentence(l.text) for l in shown
            )
        if not full and len(body) > 3:
            yield f"Ask me to read it to hear all {len(lines)} lines."
    if kind in ("photo", "graphic"):
        yield (
            "Offline I can only report text, colours and layout. For a real description of "
            f"what it shows, install the picture model {VLM_PRESET} with: {PULL_COMMAND}."
        )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?:;" else text + "."
