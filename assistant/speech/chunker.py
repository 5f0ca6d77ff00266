"""Split streamed model text into sentences so speech can start after the first one.

Text arrives in arbitrary pieces ("The button says 3." + "14 euros. Next…"). A sentence is
released only when its end is certain: end punctuation followed by white space, or a line
break (read_text sends one line per text line). Decimal numbers, initials and common
abbreviations ("Dr.", "e.g.", "No. 5") never end a sentence. A very long run without any
sentence end is cut at a comma or space so the listener is not kept waiting.
"""

from __future__ import annotations

import re

from ..events import SafeText
from ..safety import join, split, trusted

# Words that are followed by a full stop without ending the sentence.
ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "mt",
    "vs",
    "ca",
    "approx",
    "dept",
    "est",
    "inc",
    "ltd",
    "co",
    "corp",
    "fig",
    "figs",
    "ref",
    "al",
    "cf",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "rev",
    "hon",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
}
# These are abbreviations only when a number follows ("No. 5", "p. 12"); else a real word.
BEFORE_NUMBER = {"no", "nos", "vol", "p", "pp", "ch", "sec", "art", "op"}
# "etc." ends a sentence only when a capital letter follows.
MAYBE_END = {"etc"}

_END_PUNCT = ".!?…"
_CLOSERS = "\"')]}»”’"
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")  # e.g  i.e  U.S  a.m


class SentenceChunker:
    """feed() pieces of text, get back the sentences completed so far; flush() at the end."""

    def __init__(self, max_chars: int = 240):
        self.max_chars = max_chars
        self._buf = trusted("")

    def feed(self, text: SafeText) -> list[SafeText]:
        self._buf = join([self._buf, text]) if text else self._buf
        return self._drain(final=False)

    def flush(self) -> list[SafeText]:
        out = self._drain(final=True)
        rest, self._buf = split(self._buf, len(self._buf))[0], trusted("")
        if _speakable(rest):
            out.append(rest)
        return out

    def reset(self) -> None:
        self._buf = trusted("")

    # ---- internals ------------------------------------------------------------------------
    def _drain(self, final: bool) -> list[SafeText]:
        out: list[SafeText] = []
        while True:
            cut = self._find_boundary(final)
            if cut is None:
                break
            sentence, self._buf = split(self._buf, cut)
            if _speakable(sentence):
                out.append(sentence)
        return out

    def _find_boundary(self, final: bool) -> int | None:
        buf = self._buf
        for i, ch in enumerate(buf):
            if ch == "\n":
                return i + 1
            if ch in _END_PUNCT:
                end = _skip_closers(buf, i + 1)
                if end >= len(buf):
                    if final:
                        return end
                    return None  # the next character decides; wait for it
                if buf[end].isspace():
                    verdict = _ends_sentence(buf, i, end)
                    if verdict is None and not final:
                        return None  # the next word decides; wait for it
                    if verdict is not False:
                        return end
        if len(buf) > self.max_chars:
            return _soft_cut(buf, self.max_chars)
        return None


def _skip_closers(buf: str, j: int) -> int:
    while j < len(buf) and (buf[j] in _END_PUNCT or buf[j] in _CLOSERS):
        j += 1
    return j


def _ends_sentence(buf: str, dot: int, end: int) -> bool | None:
    """Is the punctuation at `dot` (followed by white space at `end`) a real sentence end?
    None: it depends on the next word, which has not arrived yet."""
    if buf[dot] != ".":
        return True  # ! ? … always end
    start = dot
    while start > 0 and not buf[start - 1].isspace():
        start -= 1
    word = buf[start:dot].strip(_CLOSERS + "(")
    low = word.lower()
    nxt = buf[end:].lstrip()
    if low in ABBREVIATIONS:
        return False
    if _DOTTED.match(word) or (len(word) == 1 and word.isalpha() and word.isupper()):
        return False  # "e.g.", "U.S.", an initial as in "J. R. Tolkien"
    if low in BEFORE_NUMBER or low in MAYBE_END:
        if not nxt:
            return None
        if low in MAYBE_END:
            return nxt[0].isupper()
        return not nxt[0].isdigit()
    if word.isdigit() and _sentence_start(buf, start):
        return False  # a list number: "1. Open the file"
    return True


def _sentence_start(buf: str, start: int) -> bool:
    before = buf[:start].rstrip(" \t")
    return not before or before[-1] in "\n:" + _END_PUNCT + _CLOSERS


def _soft_cut(buf: str, limit: int) -> int | None:
    """Where to cut a long run without a sentence end: after a comma or similar, else at a space;
    never inside a word (None: wait for a space)."""
    for sep in (", ", "; ", ": ", " - ", " "):
        cut = buf.rfind(sep, 0, limit)
        if cut > limit // 3:
            return cut + len(sep)
    space = next((i for i in range(limit, len(buf)) if buf[i].isspace()), None)
    return space


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
