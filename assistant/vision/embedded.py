"""The offline describer: works on a fresh machine with no downloads.

It says only what a detector measured, each above a threshold justified in docs/embedded.md:
text (rapidocr), the screen's layout (title, side navigation list, main column; screen.py),
charts with their own title, axis titles and legend (charts.py), common objects in photos
(SSD-MobileNet COCO detector; detect.py), colours and the kind of picture (pixel statistics).
For photos where the detector finds nothing, an EfficientNet-Lite0 ImageNet label may follow
in the details when confident. Questions beyond that get an honest sentence naming the
picture model to install.

Streaming: the first sentence needs only pixel statistics, text *detection*, at most one line
recognised (a screen's title) and, for photos, the object detector (~80 ms); the slow parts
(recognising every line, the ImageNet classifier, which runs on its own one-thread worker)
come after it. `read_lines` yields each line as soon as it is recognised, in reading order
worked out from the detection boxes. Each image's analysis is cached, so describe-then-read
or several questions OCR each line once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np
from PIL import Image

from ..config import EmbeddedSettings
from ..logs import get_logger
from ..memory import release_memory
from .analysis import (
    PULL_COMMAND,
    VLM_PRESET,
    Analysis,
    DialogSeen,
    WidgetsSeen,
    button_words,
    coloured_labels,
    dialog_phrase,
    error_lines,
    join_words,
    main_lines,
    menu_words,
    nav_lines,
    number_word,
    position,
    quote,
    quote_end,
    title_line,
    words,
)
from .base import TextLine
from .charts import Chart, find_chart, title_index
from .classify import Guess, ImageNetClassifier
from .detect import Detection, ObjectDetector, objects_clause
from .kinds import PHOTO_MAX_FLAT, pixel_stats
from .layout import Box, order_boxes
from .links import candidate, line_links
from .ocr import MIN_CONFIDENCE, TextReader, is_vertical, quad_to_box, to_bgr
from .screen import TOP_BAND, ScreenLayout, find_layout, main_columns, settle_title
from .widgets import Face, find_dialog, find_widgets

log = get_logger(__name__)

# An ImageNet hint is spoken only for photos in which the object detector found nothing, only
# when the top class has at least this probability AND at least HINT_MARGIN times the
# runner-up's (justified in docs/embedded.md).
HINT_MIN_PROBABILITY = 0.4
HINT_MARGIN = 2.0
HINT_WAIT_SECONDS = 5.0  # the details wait this long for the hint at most, then go on without it
CACHE_SIZE = 4
LINKS_SAID = 5  # a description names at most this many links (a question lists them all)
# In photos, a "line" taller than this share of the picture was texture, not text (the sample
# tower photo gave a 411-px box read as one Chinese character); screens and pages keep them,
# since a captured button or heading can fill the picture.
PHOTO_MAX_LINE_HEIGHT = 0.4
# Turning a picture of text the right way up (EmbeddedBackend.upright, figures in docs/embedded.md)
TURN_SAMPLE = 3  # pieces recognised to judge a turn
TURN_VERTICAL_SHARE = 0.6  # a page on its side: most regions stand upright
UPRIGHT_SCORE = MIN_CONFIDENCE  # the median score of a turn's sample must be a sure reading...
TURN_MARGIN = 0.15  # ... and this much surer than the picture as it is


def _sample_score(reader: TextReader, bgr: np.ndarray, quads: list) -> float:
    """Median recognition score of the widest upright regions (0 when there are none)."""
    flat = sorted((q for q in quads if not is_vertical(q)), key=lambda q: -float(np.ptp(q[:, 0])))[:TURN_SAMPLE]
    scores = [reader.read_one(bgr, q)[1] for q in flat]
    return float(np.median(scores)) if scores else 0.0


class EmbeddedBackend:
    name = "embedded"
    model = "embedded (rapidocr PP-OCRv6 + SSD-MobileNet-v2 COCO + efficientnet-lite0)"

    def __init__(
        self,
        embedder=None,
        settings: EmbeddedSettings | None = None,
        make_embedder: Callable[[], Any] | None = None,
    ):
        """embedder: an all-MiniLM-L6-v2 sentence embedder to share (the router's `_Embedder`,
        ~185 MB when loaded twice), or make_embedder: how to get it on the first question that
        needs it (the engine hands over the router's); else a copy of our own then."""
        self._make_embedder = make_embedder
        self.settings = settings or EmbeddedSettings()
        self._reader = TextReader()
        self._detector = ObjectDetector(idle_seconds=self.settings.detector_idle_seconds)
        self._classifier = ImageNetClassifier()
        self._hints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagenet-hint")
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._cache: OrderedDict[str, Analysis] = OrderedDict()
        self._cache_lock = threading.Lock()

    # ---- analysis (cached per image) --------------------------------------------------
    def analyse(self, image: Image.Image) -> Analysis:
        key = _image_key(image)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rgb = image if image.mode == "RGB" else image.convert("RGB")  # the caller's picture, not a copy
        found = Analysis(rgb, pixel_stats(rgb), to_bgr(rgb))
        with self._cache_lock:
            found = self._cache.setdefault(key, found)
            while len(self._cache) > max(1, self.settings.cache_images):
                self._cache.popitem(last=False)
        return found

    def detect(self, a: Analysis) -> list:
        """Text regions, and from their boxes alone the reading order of the lines."""
        with a.lock:
            if a.quads is None:
                quads = self._reader.detect(a.pixels())
                a.regions, a.standing = len(quads), sum(is_vertical(q) for q in quads)
                if a.stats.flat_share < PHOTO_MAX_FLAT:
                    limit = PHOTO_MAX_LINE_HEIGHT * a.image.height
                    quads = [q for q in quads if np.ptp(q[:, 1]) <= limit]
                boxes = [quad_to_box(q, a.pixels().shape) for q in quads]
                a.piece_boxes = boxes
                a.groups = order_boxes(boxes)
                a.boxes = [_union([boxes[i] for i in group]) for group in a.groups]
                a.quads = quads
            return a.quads

    def layout(self, a: Analysis) -> None:
        """The screen layout from the line boxes (geometry only, ~14 ms on a dense page): worked
        out when a description or question needs it, never before `read`'s first line."""
        self.detect(a)
        with a.lock:
            if a.layout is None and not a.layout_done and a.stats.flat_share >= PHOTO_MAX_FLAT:
                a.layout = find_layout(a.boxes, a.image)
            a.layout_done = True

    def line_at(self, a: Analysis, index: int) -> TextLine | None:
        """Line `index` (reading order), recognised once; None when nothing sure was read."""
        self.detect(a)
        with a.lock:
            if index not in a.read:
                pieces = [self.piece(a, i) for i in a.groups[index]]
                kept = [p for p in pieces if p is not None]
                a.read[index] = (
                    TextLine(" ".join(p.text for p in kept), a.boxes[index], min(p.confidence for p in kept))
                    if kept
                    else None
                )
            return a.read[index]

    def upright(self, a: Analysis) -> int:
        """Turn an upside-down or sideways picture of text the right way up, once, before its
        lines are read; returns the turn in degrees (clockwise, 0 when it was upright).

        Free for upright text: the first line in reading order is recognised anyway and is
        sure. Only when the first pieces are all unsure (upside-down text reads as garbage
        scored 0.3-0.7) or most regions stand upright (a page lying on its side) are turned
        copies detected and their widest regions recognised; the turn whose readings are sure
        (median score >= 0.8) and clearly surer than the picture as it is wins."""
        quads = self.detect(a)
        with a.lock:
            if a.turn is not None:
                return a.turn
            a.turn = 0
            sideways = a.standing >= max(2, TURN_VERTICAL_SHARE * a.regions)  # counted before a photo's filter
            if not quads and not sideways:
                return 0
            if not sideways:
                first = [k for group in a.groups[:TURN_SAMPLE] for k in group][:TURN_SAMPLE]
                if any(self.piece(a, k) is not None for k in first):
                    return 0  # the first line reads: upright
            here = _sample_score(self._reader, a.pixels(), quads)
            best, best_score = 0, here
            for turn in (90, 270) if sideways else (180,):
                turned = np.ascontiguousarray(np.rot90(a.pixels(), k=-turn // 90))
                score = _sample_score(self._reader, turned, self._reader.detect(turned))
                if score >= UPRIGHT_SCORE and score >= best_score + TURN_MARGIN:
                    best, best_score = turn, score
            if best:
                self._turn(a, best)
            return best

    def _turn(self, a: Analysis, turn: int) -> None:
        """Start again on the picture turned `turn` degrees clockwise."""
        a.image = a.image.rotate(-turn, expand=True)
        a.bgr = None
        a.quads, a.groups, a.boxes, a.piece_boxes = None, [], [], []
        a.read, a.pieces, a.lines, a.layout, a.layout_settled, a.layout_done = {}, {}, None, None, False, False
        a.chart, a.chart_done, a.widgets, a.links = None, False, None, None
        a.turn = turn
        self.detect(a)

    def piece(self, a: Analysis, k: int) -> TextLine | None:
        """Detection region `k`, recognised once (a line is one or more regions)."""
        quads = self.detect(a)
        with a.lock:
            if k not in a.pieces:
                a.pieces[k] = self._reader.recognise_one(a.pixels(), quads[k])
            return a.pieces[k]

    def widgets(self, a: Analysis) -> WidgetsSeen:
        """Dialogs, buttons and empty form fields of a screen (nothing for photos and charts):
        found from outlines and faces (widgets.py), then only their own few lines are read."""
        self.layout(a)
        with a.lock:
            if a.widgets is None:
                a.widgets = WidgetsSeen()
                if a.kind in ("screenshot", "document") and self.chart_found(a) is None:
                    try:
                        a.widgets = self._find_widgets(a)
                    except Exception:
                        log.exception("finding dialogs and buttons")  # optional: say the rest
            return a.widgets

    def _find_widgets(self, a: Analysis) -> WidgetsSeen:
        rgb = np.asarray(a.image)
        found = find_widgets(rgb, a.piece_boxes)
        faces: list[Face] = []
        buttons: list[TextLine] = []
        for face in found.button_faces:
            label = self._face_text(a, face)
            if label is not None and button_words(label.text):
                faces.append(face)
                buttons.append(label)
        seen = WidgetsSeen(buttons=buttons)
        dialog = find_dialog(rgb, a.piece_boxes, faces)
        if dialog is not None:
            title = self._bar_title(a, dialog.bar) if dialog.bar is not None else None
            if title is None and dialog.title is not None:
                title = self.piece(a, dialog.title)
            message = [
                line
                for j in sorted(dialog.lines, key=lambda j: (a.piece_boxes[j][1] // 8, a.piece_boxes[j][0]))
                if j != dialog.title and words(line := self.piece(a, j))
            ]
            own = [buttons[faces.index(f)] for f in dialog.buttons]
            seen.dialog = DialogSeen(dialog.box, title if words(title) else None, own, [l for l in message if l])
        for label_index, _ in found.fields:
            label = self.piece(a, label_index)
            if label is not None and words(label) and len(label.text.split()) <= 4:
                seen.fields.append(TextLine(label.text.rstrip(": "), label.box, label.confidence))
        return seen

    def _face_text(self, a: Analysis, face: Face) -> TextLine | None:
        """A button's label: the regions inside its face, else its ink read directly (short
        labels on colour, like a browser's "OK", can escape text detection; a region shared with
        the buttons beside it holds their words too)."""
        inside = sorted(
            (k for k, b in enumerate(a.piece_boxes) if _centre_in(b, face.box)), key=lambda k: a.piece_boxes[k][0]
        )
        if inside and face.source is None:
            read = [p for k in inside if (p := self.piece(a, k)) is not None]
            if not read:
                return None
            return TextLine(" ".join(p.text for p in read), face.box, min(p.confidence for p in read))
        x0, y0, x1, y1 = face.ink
        m = 3 if face.source is None else 1  # a round outline that hugs its letters reads as '(Cancel)' at 3
        quad = np.array([[x0 - m, y0 - m], [x1 + m, y0 - m], [x1 + m, y1 + m], [x0 - m, y1 + m]], dtype=np.float32)
        line = self._reader.recognise_one(a.pixels(), quad)
        return TextLine(line.text, face.box, line.confidence) if line is not None else None

    def _bar_title(self, a: Analysis, bar: tuple[int, int, int, int]) -> TextLine | None:
        """The words in a window's title bar, found again at full size (title bars are small)."""
        import cv2

        x0, y0, x1, y1 = bar
        # twice the size: openbox's white-on-light-blue "Error" escapes detection at its own size
        crop = cv2.resize(a.pixels()[y0:y1, x0:x1], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        read = [line for q in self._reader.detect(crop) if (line := self._reader.recognise_one(crop, q))]
        read = [l for l in read if words(l)]
        if not read:
            return None
        best = max(read, key=lambda l: l.box[2] - l.box[0])
        b = best.box
        return TextLine(best.text, (b[0] // 2 + x0, b[1] // 2 + y0, b[2] // 2 + x0, b[3] // 2 + y0), best.confidence)

    def links(self, a: Analysis, lines: list[TextLine]) -> list[TextLine]:
        """Link phrases (blue to purple, or underlined, on the page's own background) in the main
        text of a screen or page, in reading order."""
        self.layout(a)
        with a.lock:
            if a.links is None:
                a.links = []
                if a.kind in ("screenshot", "document") and self.chart_found(a) is None:
                    rgb = np.asarray(a.image)
                    buttons = [b.box for b in self.widgets(a).buttons]
                    main = {id(l) for l in main_lines(a, lines)}
                    quads = a.quads or []
                    for index, line in sorted(a.read.items()):
                        if line is None or id(line) not in main or any(_overlaps(line.box, b) for b in buttons):
                            continue
                        if not candidate(rgb, line.box, a.stats.background):
                            continue
                        words = [w for k in a.groups[index] for w in self._reader.read_words(a.pixels(), quads[k])]
                        a.links.extend(line_links(rgb, line.box, words, a.stats.background))
            return a.links

    def lines(self, a: Analysis) -> list[TextLine]:
        self.upright(a)
        with a.lock:
            if a.lines is None:
                found = (self.line_at(a, i) for i in range(len(a.groups)))
                a.lines = [line for line in found if line is not None]
                self.screen(a)
                a.bgr = None  # every line is read: the BGR copy (6 MB for full HD) is not needed again
                release_memory()
            return a.lines

    def line_estimate(self, a: Analysis) -> int:
        """How many text lines detection found, counting pieces of one line once."""
        self.detect(a)
        return len(a.groups)

    def screen(self, a: Analysis) -> ScreenLayout:
        """The layout, with its title settled on a heading that reads as words (not an icon)."""
        self.layout(a)
        with a.lock:
            if a.layout is None:
                return ScreenLayout()
            if not a.layout_settled:
                a.layout_settled = True
                settle_title(a.layout, lambda i: _words(self.line_at(a, i)))
            return a.layout

    def chart_found(self, a: Analysis) -> Chart | None:
        """Axes plus aligned tick labels (from boxes: no recognition needed)."""
        self.detect(a)
        with a.lock:
            if not a.chart_done:
                a.chart_done = True
                if a.kind != "photo":
                    a.chart = find_chart(a.image, [TextLine("", b) for b in a.boxes])
            return a.chart

    def objects(self, a: Analysis) -> list[Detection]:
        """COCO objects in photos (empty for screens, pages and drawings)."""
        self.detect(a)
        with a.lock:
            if a.objects is None:
                a.objects = []
                if a.kind == "photo":
                    try:
                        a.objects = self._detector.detect(np.asarray(a.image))  # gives its buffers back
                    except Exception:
                        log.exception("detecting objects in a photo")  # objects are optional: say the rest
            return a.objects

    def start_hint(self, a: Analysis) -> None:
        """Start the ImageNet classifier in the background, only for photos with no COCO object."""
        if not self.settings.imagenet_hints:
            return
        with a.lock:
            if a.hint is None and a.kind == "photo" and not self.objects(a):
                a.hint = self._hints.submit(self._confident_guess, a.image)

    def hint(self, a: Analysis, wait: float = HINT_WAIT_SECONDS) -> Guess | None:
        """A confident ImageNet label for photos without detected objects; None otherwise."""
        self.start_hint(a)
        if a.hint is None:
            return None
        try:
            return a.hint.result(timeout=wait)
        except FutureTimeout:
            return None

    def _confident_guess(self, image: Image.Image) -> Guess | None:
        try:
            top = self._classifier.top(image, k=2)
        except (ImportError, OSError, RuntimeError, ValueError):
            log.exception("classifying a photo")
            return None  # hints are optional: a broken classifier must not silence the description
        if top[0].probability >= HINT_MIN_PROBABILITY and top[0].probability >= HINT_MARGIN * top[1].probability:
            return top[0]
        return None

    def embedder(self):
        with self._embedder_lock:
            if self._embedder is None and self._make_embedder is not None:
                self._embedder = self._make_embedder()
            if self._embedder is None:
                from ..router import _Embedder, embedding_model_dir

                self._embedder = _Embedder(embedding_model_dir())
            return self._embedder

    def warm_up(self) -> None:
        """Load the OCR sessions now (the app can call this in the background at start-up)."""
        self._reader.warm_up()

    # ---- the VisionBackend interface ----------------------------------------------------
    def read_lines(self, image: Image.Image, cancel: threading.Event | None = None) -> Iterator[TextLine]:
        """Lines in reading order, each yielded as soon as it is recognised."""
        a = self.analyse(image)
        self.upright(a)
        for index in range(len(a.groups)):
            if cancel is not None and cancel.is_set():
                return
            line = self.line_at(a, index)
            if line is not None:
                yield line
        self.lines(a)  # everything is read now: keep the list for questions (and give memory back)

    def read_text(self, image: Image.Image) -> list[TextLine]:
        return list(self.read_lines(image))

    def describe(
        self, image: Image.Image, detail: str = "quick", cancel: threading.Event | None = None
    ) -> Iterator[str]:
        a = self.analyse(image)
        yield self.first_sentence(a) + " "
        if cancel is not None and cancel.is_set():
            return
        lines = self.lines(a) if a.quads else []
        for sentence in detail_sentences(self, a, lines, full=(detail == "full")):
            if cancel is not None and cancel.is_set():
                return
            yield sentence + " "
        self._let_go(a)

    def first_sentence(self, a: Analysis) -> str:
        if a.stats.flat_share < PHOTO_MAX_FLAT:
            self._detector.prepare()  # a photo: load the detector while its text is being found
        self.layout(a)
        kind = a.kind
        if kind == "photo":
            self.start_hint(a)  # runs while the first sentence is spoken
            return first_sentence(kind, a.colours, len(a.groups), objects=self.objects(a))
        if kind in ("screenshot", "document"):
            self.upright(a)  # a scanned page lying upside down or on its side: turned before its title is read
        chart = self.chart_found(a)
        if chart is not None:
            at = title_index(chart, a.boxes)
            title = self.line_at(a, at) if at is not None else None
            return first_sentence("chart", a.colours, len(a.groups), title=title if _words(title) else None)
        layout = self.screen(a) if kind in ("screenshot", "document") else None
        title = self.line_at(a, layout.title) if layout is not None and layout.title is not None else None
        dialog = self.widgets(a).dialog if layout is not None else None
        return first_sentence(kind, a.colours, len(a.groups), layout=layout, title=title, dialog=dialog)

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
        for sentence in answer(question, a, lines, backend=self):
            if cancel is not None and cancel.is_set():
                return
            yield sentence + " "
        self._let_go(a)

    def _let_go(self, a: Analysis) -> None:
        """After a description or answer: drop the BGR copy of the picture (6 MB for full HD; a
        photo never reads lines, and finding links makes it again), which the cached analysis
        would otherwise keep for as long as it is cached (pixels() makes it again if a follow-up
        needs it), and give freed buffers back (glibc keeps them: a photo's detector pass, the
        embeddings of the lines for a question)."""
        with a.lock:
            a.bgr = None
        release_memory()


def _words(line: TextLine | None) -> bool:
    """A line that can be a title: at least two letters, and not a menu bar."""
    return line is not None and sum(c.isalpha() for c in line.text) >= 2 and not menu_words(line.text)


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


# ---- wording ------------------------------------------------------------------------------
def _image_key(image: Image.Image) -> str:
    digest = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()
    return f"{image.mode}:{image.size[0]}x{image.size[1]}:{digest}"


KIND_PHRASES = {
    "screenshot": "A screenshot",
    "document": "A text document",
    "photo": "A photo",
    "graphic": "A simple graphic with flat colours",
    "chart": "A chart",
}


def first_sentence(
    kind: str,
    colours: list[tuple[str, float]],
    text_regions: int,
    hint: Guess | None = None,
    *,
    objects: list[Detection] | None = None,
    layout: ScreenLayout | None = None,
    title: TextLine | None = None,
    dialog: DialogSeen | None = None,
) -> str:
    parts = [KIND_PHRASES[kind]]
    if title is not None:
        noun = {"document": "A text document", "screenshot": "A screen"}.get(kind, KIND_PHRASES[kind])
        if layout is not None and layout.title_from_bar:
            noun = "A window"
        parts = [f"{noun} titled {quote(title.text)}"]
    if dialog is not None:
        parts[0] += " with " + dialog_phrase(dialog)  # 'a dialog titled “Quit” with the buttons “Yes” and “No”'
    clause = objects_clause(objects or [])
    if clause:
        parts[0] += " " + clause
    elif hint is not None:
        article = "an" if hint.label[:1].lower() in "aeiou" else "a"
        parts.append(f"possibly showing {article} {hint.label}")
    if layout is not None and layout.nav:
        parts.append(f"with a navigation list of about {len(layout.nav)} items on the {layout.nav_side}")
    if colours:
        parts.append("mostly " + join_words([name for name, _ in colours]))
    if text_regions == 0:
        parts.append("with no text")
    elif kind == "photo" or text_regions <= 2:
        parts.append("with a little text")
    else:
        parts.append(f"with about {text_regions} lines of text")
    return ", ".join(parts) + "."


def _centre_in(b: Box, area: Box) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def menu_lines(a: Analysis, lines: list[TextLine], title: TextLine | None) -> list[TextLine]:
    """A screenshot's menu bar: one row of 3-12 capitalised single words near the top, at least
    two of them usual menu names (File, Edit, View...): a site header ("The Cargo Book") next to
    a navigation entry is not a menu bar."""
    if a.kind != "screenshot":
        return []
    nav = {id(l) for l in nav_lines(a)}
    near_top = [l for l in lines if l is not title and id(l) not in nav and l.box[3] <= 0.12 * a.image.height]
    if not near_top:
        return []
    first = min(l.box[1] for l in near_top)
    height = min(l.box[3] - l.box[1] for l in near_top)
    near_top = [l for l in near_top if l.box[1] - first < 0.5 * height]  # the first row only
    return near_top if menu_words(" ".join(l.text for l in near_top)) else []


def detail_sentences(backend: EmbeddedBackend, a: Analysis, lines: list[TextLine], full: bool) -> Iterator[str]:
    kind = a.kind
    if a.turn == 180:
        yield "The text is upside down; I turned the picture to read it."
    elif a.turn:
        yield "The text runs sideways; I turned the picture a quarter turn to read it."
    chart = find_chart(a.image, lines) if a.chart is not None and lines else None
    if not lines:
        if a.quads:
            yield "I could not make out the words, though."
    elif chart is not None:
        at = title_index(chart, a.boxes) if a.chart is not None else None
        yield from chart_sentences(chart, said_title=at is not None and _words(a.read.get(at)))
    else:
        backend.widgets(a)
        backend.links(a, lines)
        yield from text_sentences(a, lines, full)
    if kind == "photo":
        hint = backend.hint(a)
        if hint is not None:
            article = "an" if hint.label[:1].lower() in "aeiou" else "a"
            yield f"It may show {article} {hint.label}."
    if kind in ("photo", "graphic"):
        yield (
            "Offline I can only name common objects and report text, colours and layout. For a real "
            f"description of what it shows, install the picture model {VLM_PRESET} with: {PULL_COMMAND}."
        )


def chart_sentences(chart: Chart, said_title: bool = False) -> Iterator[str]:
    if chart.title is not None and not said_title:
        yield f"Its title reads {quote_end(chart.title.text)}"
    axes = []
    if chart.x_title is not None:
        axes.append(f"the horizontal axis is labelled {quote(chart.x_title.text)}")
    if chart.y_title is not None:
        axes.append(f"the vertical axis is labelled {quote(chart.y_title.text)}")
    if axes:
        sentence = join_words(axes)
        yield sentence[0].upper() + sentence[1:] + "."
    if chart.legend:
        yield f"The legend lists {join_words([quote(l.text) for l in chart.legend])}."


def text_sentences(a: Analysis, lines: list[TextLine], full: bool) -> Iterator[str]:
    title = title_line(a, lines)
    menu = menu_lines(a, lines, title)
    if menu:
        yield f"The menu bar has {join_words([w for l in menu for w in l.text.split()])}."
    main = [l for l in main_lines(a, lines) if l not in menu]
    if title is not None:  # a site's header above the page's own heading is not its text
        main = [l for l in main if l.box[1] >= title.box[1]]
    columns = main_columns([l for l in main if l.box[1] >= TOP_BAND * a.image.height])
    if columns >= 2:
        yield f"The main text is laid out in {number_word(columns)} columns."
    seen = a.widgets or WidgetsSeen()
    dialog = seen.dialog
    if dialog is not None and dialog.message:
        yield f"The dialog says {quote_end(' '.join(l.text for l in dialog.message))}"
    errors = error_lines(main, title, dialog)
    if errors:
        yield f"There is an error or warning message: {quote_end(errors[0].text)}"
    others = [b for b in seen.buttons if dialog is None or b not in dialog.buttons]
    if others:
        yield f"Buttons: {join_words([quote(b.text) for b in others[:6]])}."
    if len(seen.fields) == 1:
        yield f"An empty form field labelled {quote_end(seen.fields[0].text)}"
    elif seen.fields:
        yield f"Empty form fields labelled {join_words([quote(f.text) for f in seen.fields])}."
    if a.links:
        named = join_words([quote(l.text) for l in a.links[:LINKS_SAID]])
        yield f"Links: {named}." if len(a.links) <= LINKS_SAID else f"Links include {named} ({len(a.links)} in all)."
    button_boxes = [b.box for b in seen.buttons]
    main = [l for l in main if not any(_overlaps(l.box, b) for b in button_boxes)] if button_boxes else main
    labels = coloured_labels(a, main)
    if labels:
        described = [f"{quote(l.text)} on {bg} {position(l.box, a.image.size)}" for l, bg, _ in labels[:4]]
        yield f"Labels or buttons on colour: {join_words(described)}."
    shown = main if full else main[:3]
    if shown:
        yield ("The text reads: " if full or len(main) <= 3 else "The main text begins: ") + " ".join(
            _sentence(l.text) for l in shown
        )
    if not full and len(main) > 3:
        yield f"Ask me to read it to hear all {len(lines)} lines."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?:;" else text + "."
