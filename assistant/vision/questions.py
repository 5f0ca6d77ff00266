"""Answers the offline backend can give truthfully: about text (OCR), colours and layout.

Each question is matched against a short list of kinds, in order; the first that fits
answers. "What does it say about X", "where is X" and "what command does it tell me to run"
are answered by finding the lines closest in meaning (retrieval.py) and quoting them with
their position. Anything else gets an honest sentence saying this cannot be told without the
picture-understanding model, and how to install it. Nothing here guesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..colours import colour_name
from .analysis import (
    PULL_COMMAND,
    VLM_PRESET,
    Analysis,
    WidgetsSeen,
    coloured_labels,
    dialog_phrase,
    error_lines,
    join_words,
    main_lines,
    nav_lines,
    number_word,
    position,
    quote,
    quote_end,
    title_line,
)
from .base import TextLine
from .kinds import dominant_colours
from .retrieval import best_lines, command_lines
from .screen import main_columns

COLOUR_WORDS = [
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "purple",
    "pink",
    "brown",
    "white",
    "black",
    "grey",
    "gray",
]
WIDGETS = r"(button|label|link|box|tab|sign|banner|badge|message|text|icon|bar|heading)"
STOPWORDS = set(
    """a an the is are was were what which who where how does do did it this that there
these those of on in at to for with and or any some say says said text word words read
button label link box tab sign banner badge message icon bar picture image screen please
me tell can you i my show written see find""".split()
)

_COLOUR_Q = re.compile(r"\bcolou?rs?\b", re.I)
_COLOURED_TEXT_Q = re.compile(
    rf"\b({'|'.join(COLOUR_WORDS)})\b.*\b{WIDGETS}?\b.*\b(say|says|read|labell?ed)\b"
    rf"|\b(say|says|read)\b.*\b({'|'.join(COLOUR_WORDS)})\b",
    re.I,
)
_ERROR_Q = re.compile(r"\b(error|errors|warning|warnings|alert|problem|fail\w*|wrong)\b", re.I)
_TITLE_Q = re.compile(r"\b(title|heading|headline|called|name of the (window|page|app|document|program))\b", re.I)
_READ_Q = re.compile(
    r"\b(read|what does (it|this|that|the (page|screen|text|document)) say|"
    r"what('s| is) written|what (text|words)|any text|the text)\b",
    re.I,
)
_COUNT_Q = re.compile(r"\bhow many (lines|words|columns)\b", re.I)
_LAYOUT_Q = re.compile(r"\b(where|layout|laid out|columns?|arranged|arrangement|position)\b", re.I)
_KIND_Q = re.compile(
    r"\b(what (kind|type|sort) of|is (this|it) an? (photo|photograph|screenshot|document|"
    r"picture|drawing|graphic))\b",
    re.I,
)
_COMMAND_Q = re.compile(
    r"\b(what|which) (commands?|should i (type|run))\b|\bcommands? (do|should|to|does)\b|"
    r"\bwhat (do|should) i (type|run)\b|\btell me to run\b",
    re.I,
)
_ABOUT_Q = re.compile(
    r"\b(?:say|says|said|tell|tells|mention|mentions|written|anything)\b.*?\babout\s+(?P<topic>.+)", re.I
)
_BUTTONS_Q = re.compile(
    r"\b(list|what|which|name|read)\b.*\bbuttons\b|\bhow many buttons\b|\bany buttons\b|"
    r"\bbuttons\b.*\b(are there|can you see|do you see)\b",
    re.I,
)
_LINKS_Q = re.compile(r"\blinks?\b|\bhyperlinks?\b", re.I)
_DIALOG_Q = re.compile(r"\b(dialog|dialogue|pop-?up|message box|alert box)\b", re.I)
_HOW_Q = re.compile(r"\bhow (do|can|should|would) (i|you|we)\b", re.I)
_FIND_Q = re.compile(r"\b(is there|are there|does it (say|mention|contain)|find|can you see)\b", re.I)
_REGION = re.compile(r"\b(top|bottom|left|right|background)\b", re.I)


if TYPE_CHECKING:
    from .embedded import EmbeddedBackend


def cannot_tell() -> str:
    return (
        "I can't tell that offline: without the picture-understanding model I can only read "
        "text and report colours and layout, and I won't guess. To ask about anything else, "
        f"install the picture model {VLM_PRESET} with: {PULL_COMMAND}."
    )


def answer(question: str, a: Analysis, lines: list[TextLine], backend: EmbeddedBackend | None = None) -> Iterator[str]:
    q = question.strip()
    for pattern, handler in _HANDLERS:
        if pattern.search(q):
            result = handler(q, a, lines, backend)
            if result:
                yield from result
                return
    yield cannot_tell()


# ---- helpers --------------------------------------------------------------------------------
def _keywords(question: str) -> list[str]:
    words = re.findall(r"[\w'-]+", question.lower())
    return [w for w in words if w not in STOPWORDS and w not in COLOUR_WORDS and len(w) > 1]


def _quoted(question: str) -> str | None:
    m = re.search(r"[\"“'‘]([^\"”'’]+)[\"”'’]", question)
    return m.group(1).lower() if m else None


def matching_line(question: str, lines: list[TextLine]) -> TextLine | None:
    """The line sharing the most keywords with the question (at least one)."""
    wanted = _quoted(question)
    if wanted:
        hits = [l for l in lines if wanted in l.text.lower()]
        return hits[0] if hits else None
    keys = _keywords(question)
    best, score = None, 0
    for line in lines:
        words = set(re.findall(r"[\w'-]+", line.text.lower()))
        s = sum(1 for k in keys if k in words)
        if s > score:
            best, score = line, s
    return best


def _colour_asked(question: str) -> str | None:
    m = re.search(rf"\b({'|'.join(COLOUR_WORDS)})\b", question, re.I)
    return None if m is None else m.group(1).lower().replace("gray", "grey")


def _widget(question: str) -> str:
    m = re.search(rf"\b{WIDGETS}\b", question, re.I)
    return m.group(1).lower() if m else "text"


def _full_text(lines: list[TextLine]) -> str:
    return " ".join(l.text if l.text[-1:] in ".!?:;" else l.text + "." for l in lines)


# ---- one function per kind of question ------------------------------------------------------
def _coloured_text(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    colour = _colour_asked(q)
    if colour is None:
        return None
    widget = _widget(q)
    labels = coloured_labels(a, lines)
    hits = [(l, bg, fg) for l, bg, fg in labels if colour in bg.split()]
    if not hits:
        hits = [(l, bg, fg) for l, bg, fg in _all_regions(a, lines) if colour in fg.split()]
    if hits:
        said = [f"{quote(l.text)} {position(l.box, a.image.size)}" for l, _, _ in hits[:3]]
        if len(hits) == 1:
            return [f"The {colour} {widget} says {said[0]}."]
        return [f"There are {number_word(len(hits))} {colour} {widget}s: {join_words(said)}."]
    others = [f"{quote(l.text)} on {bg}" for l, bg, _ in labels[:3]]
    tail = f" The text on colour I can see is {join_words(others)}." if others else ""
    return [f"I can't find text on {colour} or written in {colour}.{tail}"]


def _all_regions(a: Analysis, lines: list[TextLine]):
    from .kinds import region_colours

    return [(l, *region_colours(a.image, l.box)) for l in lines]


def _colour(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    line = matching_line(q, lines) if (_keywords(q) or _quoted(q)) else None
    if line is not None:
        from .kinds import region_colours

        bg, fg = region_colours(a.image, line.box)
        widget = _widget(q)
        subject = f"The {quote(line.text)} {widget}" if widget != "text" else f"The text {quote(line.text)}"
        return [f"{subject} is {bg}, with {fg} writing." if widget != "text" else f"{subject} is {fg} on {bg}."]
    region = _REGION.search(q)
    if region and region.group(1).lower() != "background":
        name = region.group(1).lower()
        colours = dominant_colours(_crop_region(a, name), limit=2, min_share=0.15)
        return [f"The {name} of the picture is mostly {join_words([c for c, _ in colours])}."]
    if region:
        return [f"The background is {colour_name(a.stats.background)}."]
    names = [name for name, _ in a.colours]
    if not names:
        return [
            f"The picture has many colours; none covers much of it. The commonest is {colour_name(a.stats.background)}."
        ]
    return [f"The picture is mostly {join_words(names)}."]


def _crop_region(a: Analysis, name: str):
    w, h = a.image.size
    boxes = {
        "top": (0, 0, w, h // 10),
        "bottom": (0, h - h // 10, w, h),
        "left": (0, 0, w // 5, h),
        "right": (w - w // 5, 0, w, h),
    }
    return a.image.crop(boxes[name])


def _seen(a: Analysis, backend=None) -> WidgetsSeen:
    if backend is not None:
        return backend.widgets(a)
    return a.widgets or WidgetsSeen()


def _buttons(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    found = _seen(a, backend).buttons
    if not found:
        return ["I found no buttons: no short text inside a box of its own."]
    names = join_words([f"{quote(b.text)} {position(b.box, a.image.size)}" for b in found[:3]])
    if len(found) == 1:
        return [f"There is one button: {names}."]
    if len(found) <= 3:
        return [f"The buttons are {join_words([quote(b.text) for b in found])}, in that order: {names}."]
    return [f"There are {number_word(len(found))} buttons: {join_words([quote(b.text) for b in found[:8]])}."]


def _links(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    found = backend.links(a, lines) if backend is not None else (a.links or [])
    if not found:
        return ["I found no links: no blue or underlined words in the page's text."]
    return [
        f"{'One link' if len(found) == 1 else f'{len(found)} links'}: {join_words([quote(l.text) for l in found])}."
    ]


def _dialog(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    dialog = _seen(a, backend).dialog
    if dialog is None:
        return ["I found no dialog: no panel with buttons of its own on top of the screen."]
    out = [f"There is {dialog_phrase(dialog)}."]
    if dialog.message:
        out.append(f"It says {quote_end(' '.join(l.text for l in dialog.message))}")
    return out


def _errors(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    found = error_lines(lines, title_line(a, lines), _seen(a, backend).dialog)
    if not found:
        return ["No. None of the text I can read looks like an error or warning."]
    first = found[0]
    out = [f"Yes. {position(first.box, a.image.size).capitalize()} it says {quote_end(first.text)}"]
    if len(found) > 1:
        out.append("Also: " + "; ".join(quote(l.text) for l in found[1:4]) + ".")
    return out


def _title(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    if not lines:
        return ["I found no text, so I can't find a title."]
    title = title_line(a, lines)
    if title is not None:
        return [f"The title reads {quote_end(title.text)}"]
    main = main_lines(a, lines)
    tallest = max(main[:8] or lines[:8], key=lambda l: l.box[3] - l.box[1])
    return [f"I found no heading or title bar; the largest text near the start reads {quote_end(tallest.text)}"]


def _read(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    if not lines:
        return ["I found no text in this picture."]
    return [f"It says: {_full_text(lines)}"]


def _count(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    match = _COUNT_Q.search(q)
    what = match.group(1).lower() if match else "lines"
    if what == "lines":
        n = len(lines)
    elif what == "words":
        n = sum(len(l.text.split()) for l in lines)
    else:
        n = main_columns(main_lines(a, lines))
    return [
        f"I count {number_word(n)} {what if n != 1 else what[:-1]} of text."
        if what != "columns"
        else f"The text is in {number_word(n)} column{'s' if n != 1 else ''}."
    ]


def _layout(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    if re.search(r"\bwhere\b", q, re.I):
        line = matching_line(q, lines)
        if line is None:
            return _retrieved(q, a, lines, backend, missing=None)  # None: the honest fallback answers
        return [f"{quote(line.text)} is {position(line.box, a.image.size)}."]
    if not lines:
        return [f"There is no text; the picture is mostly {join_words([c for c, _ in a.colours]) or 'one colour'}."]
    out = []
    title = title_line(a, lines)
    if title is not None:
        out.append(f"The title is {quote(title.text)}, {position(title.box, a.image.size)}.")
    nav = nav_lines(a)
    if nav and a.layout is not None:
        out.append(f"A navigation list of {len(nav)} items runs down the {a.layout.nav_side}.")
    n = main_columns(main_lines(a, lines))
    out.append(f"The main text is in {number_word(n)} column{'s' if n != 1 else ''}; {len(lines)} lines in all.")
    labels = coloured_labels(a, lines)
    if labels:
        out.append(
            "On colour: "
            + join_words([f"{quote(l.text)} on {bg} {position(l.box, a.image.size)}" for l, bg, _ in labels[:4]])
            + "."
        )
    return out


def _kind(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str]:
    if backend is not None:
        backend.chart_found(a)
    if a.chart is not None:
        return ["It looks like a chart: I found its axes and tick labels."]
    kind = {"graphic": "a simple graphic with flat colours"}.get(a.kind, f"a {a.kind}")
    return [f"It looks like {kind}, judging by its pixels and text."]


def _find(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    quoted = _quoted(q)
    keys = [quoted] if quoted else _keywords(q)
    if not keys:
        return None
    text = " ".join(l.text.lower() for l in lines)
    if all(re.search(rf"\b{re.escape(k)}\b", text) for k in keys):
        line = matching_line(q, lines)
        where = position(line.box, a.image.size) if line else ""
        return [f"The text {quote(line.text if line else ' '.join(keys))} appears {where}.".replace(" .", ".")]
    return None  # absent from the text: that says nothing about the picture, so no guess


def _retrieved(q: str, a: Analysis, lines: list[TextLine], backend, missing: str | None) -> list[str] | None:
    """The lines closest in meaning to `q`, quoted with where they are; `missing` when none is."""
    if backend is None or not lines:
        return [missing] if missing else None
    embed = backend.embedder()
    with a.lock:
        if a.vectors is None or len(a.vectors) != len(lines):
            from .retrieval import line_vectors

            a.vectors = line_vectors(lines, embed)
    hits = best_lines(q, lines, embed, a.vectors)
    if not hits:
        return [missing] if missing else None
    said = [f"{quote(h.line.text)} {position(h.line.box, a.image.size)}" for h in hits]
    return [f"The closest text I can read: {join_words(said)}."]


def _command(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    found = command_lines(lines)
    if not found:
        return ["I found no command to type in the text I can read."]
    said = [f"{quote(l.text)} {position(l.box, a.image.size)}" for l in found[:3]]
    shows = "It shows this command" if len(found) == 1 else "It shows these commands"
    more = f" There are {len(found)} in all; ask me to read it to hear them all." if len(found) > 3 else ""
    return [f"{shows}: {join_words(said)}.{more}"]


def _about(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    m = _ABOUT_Q.search(q)
    topic = (m.group("topic") if m else q).strip(" ?.!")
    return _retrieved(topic, a, lines, backend, missing=f"I found nothing about {topic} in the text I can read.")


def _how(q: str, a: Analysis, lines: list[TextLine], backend=None) -> list[str] | None:
    return _retrieved(q, a, lines, backend, missing=None)


_HANDLERS = [
    (_COLOURED_TEXT_Q, _coloured_text),
    (_COLOUR_Q, _colour),
    (_BUTTONS_Q, _buttons),
    (_LINKS_Q, _links),
    (_ERROR_Q, _errors),
    (_DIALOG_Q, _dialog),
    (_TITLE_Q, _title),
    (_COUNT_Q, _count),
    (_KIND_Q, _kind),
    (_COMMAND_Q, _command),
    (_ABOUT_Q, _about),
    (_LAYOUT_Q, _layout),
    (_READ_Q, _read),
    (_FIND_Q, _find),
    (_HOW_Q, _how),
]
