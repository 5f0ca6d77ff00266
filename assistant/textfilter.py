"""The text filter behind the safety gate: which spans of a text are offensive, without scikit-learn.

Scores come from a word -> probability table derived from alt-profanity-check
(scripts/build_profanity_table.py explains why a table is exact for single words; a test proves it
on the model's whole vocabulary). A word scores exactly what `profanity_check.predict_prob`
gives it, and importing this module costs milliseconds instead of scikit-learn and SciPy.

Each token is scored as written (the model's own verdict) and, when disguised, through its
readings: NFKC and accent folding, look-alike letters from other scripts, zero-width and joiner
characters dropped, digit/symbol swaps (sh1t, $hit, a$$), censoring stars (f*ck, a**),
stretched letters (fuuuck), words glued together (isshit), and letters spaced out or joined by
hyphens or dots (f u c k, f-u-c-k). A hit masks the ORIGINAL span of the text.

What the threshold means for a reading. The table gives P(offensive | the text is this one
word). A token as written is judged exactly as the model judges it. A reading is one guess
among several about what was meant, and taking the best of many guesses inflates false alarms,
so a reading counts only when it lands on a "target": a whole vocabulary word of three letters
or more that the model itself scores at or above the threshold. Tokens such as "sh", "ho", "ck",
"ing" and "cking" score high only because censored words in the training data left them behind;
as readings they would turn "shhh", Russian "но" or "bring" into hits, so they are never
targets. Each step is also narrow: a digit is a swapped letter only inside a word (A55 and mp3
are codes); a letter must be written three times before it counts as stretched (Wessex, Ratt);
a glued word is split by word frequency (wordninja), which keeps real words whole (shutdown,
Hancock), and counts only if every part is a target or a stop word, the short words a speech
recogniser or a hurried typist glues on ("is shit", "fuck you"), so "penis tone" (Penistone)
and "shi take" (shitake) stay as written. The same threshold applies to every reading, so a
higher setting relaxes disguised and plain words alike.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product

from .errors import ModelUnavailable
from .resources import resource

__all__ = ["Hit", "WordTable", "find_offensive", "mask_spans", "release_point", "word_table"]

TABLE_FILE = "profanity_scores.json"
FRAGMENTS = frozenset({"ing", "cking"})  # leftovers of censored training text, never a word
NOT_GLUE = frozenset({"co", "con", "de", "re", "un", "ie", "eg", "inc", "ltd", "etc"})
MIN_READING = 3  # a reading shorter than this is never a target
MAX_HOLD = 512  # streaming: release a pathological run of spaced letters longer than this

# Digit and symbol swaps; "il" means either letter.
_LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
_LEET.update({"@": "a", "$": "s", "!": "i", "|": "il", "+": "t", "€": "e"})
_WILD = "*#"  # censoring characters: each stands for a hidden letter
_TOKEN = re.compile(r"(?:[^\W_]|[@$!|+€*#])+")  # letters, digits, swap symbols, censoring marks
_GAP = re.compile(r"[\s\-._~·•/\\]{1,3}")  # what may separate spaced-out letters
_MODEL_TOKEN = re.compile(r"\w\w+")  # alt-profanity-check's token pattern
_CODE = re.compile(r"[a-z]+[0-9]+")  # A55, B52, mp3: a code, not a word with swapped letters
_MAX_VARIANTS = 256


@dataclass(frozen=True)
class WordTable:
    """alt-profanity-check as a table: `score(word)` == predict_prob([word])[0] for one word."""

    scores: dict[str, float]
    oov: float
    stop_words: frozenset[str]
    source: str
    version: str

    def score(self, word: str) -> float:
        return self.scores.get(word.lower(), self.oov)


@lru_cache(maxsize=1)
def word_table() -> WordTable:
    """The packaged table, read once. A missing or damaged table raises ModelUnavailable: the gate
    must never pass text through unfiltered."""
    try:
        data = json.loads(resource(TABLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            "The text safety filter's word list is missing or damaged. Please reinstall the app.",
            preset="profanity-check",
        ) from exc
    return WordTable(
        scores=data["scores"],
        oov=float(data["oov"]),
        stop_words=frozenset(data["stop_words"]),
        source=data["source"],
        version=data["version"],
    )


@lru_cache(maxsize=64)
def _targets(threshold: float) -> frozenset[str]:
    """Whole words the model flags at `threshold`: the only things a reading may land on."""
    return frozenset(
        w
        for w, p in word_table().scores.items()
        if p >= threshold and len(w) >= MIN_READING and w.isalpha() and w.isascii() and w not in FRAGMENTS
    )


@lru_cache(maxsize=64)
def _targets_by_length(threshold: float) -> dict[int, tuple[str, ...]]:
    by_len: dict[int, list[str]] = {}
    for w in _targets(threshold):
        by_len.setdefault(len(w), []).append(w)
    return {n: tuple(sorted(ws)) for n, ws in by_len.items()}


# ---- folding: one original character -> zero or more plain lower-case characters --------------
@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    out = []
    for c in unicodedata.normalize("NFKC", ch):  # fullwidth, mathematical letters, ligatures
        if c.isascii():
            out.append(c.lower())
            continue
        c = "".join(d for d in unicodedata.normalize("NFD", c) if unicodedata.category(d) not in ("Mn", "Me"))
        # what is left: Cf (zero-width space, joiners, soft hyphen) is dropped, a letter from another
        # script that looks like a Latin one becomes that Latin letter
        if not c or unicodedata.category(c[0]) == "Cf":
            continue
        out.append(_lookalike(c) if c.isalpha() else c.lower())
    return "".join(out)


@lru_cache(maxsize=4096)
def _lookalike(ch: str) -> str:
    """The Latin letter `ch` is confusable with (Unicode TR39 data via confusable-homoglyphs), else
    `ch` lower-cased. Loaded only when a non-Latin letter shows up, so plain text never pays."""
    from confusable_homoglyphs.confusables import confusables_data

    # lower-case first (Greek capital iota is listed as "l", its small form as "i"), then the
    # upper-case form (Cyrillic small "т" is only listed as a small capital)
    for form in dict.fromkeys((ch.lower(), ch, ch.upper())):
        for entry in confusables_data.get(form, ()):
            c = entry["c"]
            if len(c) == 1 and c.isascii() and c.isalpha():
                return c.lower()
    return ch.lower()


@dataclass(frozen=True)
class _Folded:
    """`text` folded character by character, with the original index of every folded character."""

    text: str
    folded: str
    origin: list[int] | None  # None: identity (ASCII text)

    @classmethod
    def of(cls, text: str) -> _Folded:
        if text.isascii():
            return cls(text, text.lower(), None)
        parts, origin = [], []
        for i, ch in enumerate(text):
            f = _fold_char(ch)
            parts.append(f)
            origin.extend([i] * len(f))
        return cls(text, "".join(parts), origin)

    def start(self, k: int) -> int:
        """Original start of the folded span starting at k, with any vanished characters before it."""
        if self.origin is None:
            return k
        j = self.origin[k]
        while j > 0 and self._vanished(j - 1):
            j -= 1
        return j

    def end(self, k: int) -> int:
        """Original end of the folded span ending at k (exclusive), with any vanished characters
        (combining marks, zero-width) that follow it, so no stray mark is left after a mask."""
        if self.origin is None:
            return k
        j = self.origin[k - 1] + 1
        while j < len(self.text) and self._vanished(j):
            j += 1
        return j

    def _vanished(self, j: int) -> bool:
        return not self.text[j].isspace() and _fold_char(self.text[j]) == ""


def _tokens(folded: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(folded)]


def _chains(folded: str, tokens: list[tuple[int, int]]) -> list[list[int]]:
    """Maximal groups of one-character tokens separated only by short gaps (spaces, hyphens,
    dots...): the letters of a spaced-out word. Indices into `tokens`."""
    chains: list[list[int]] = []
    for i, (s, e) in enumerate(tokens):
        if e - s != 1 or folded[s] in _WILD:  # a lone star between letters is arithmetic: C * S
            continue
        if chains and chains[-1][-1] == i - 1 and _GAP.fullmatch(folded, tokens[i - 1][1], s):
            chains[-1].append(i)
        else:
            chains.append([i])
    return chains


# ---- readings of one token ----------------------------------------------------------------------
def _core(token: str) -> str:
    """Strip punctuation that is not part of the word: markdown/bullet stars, a footnote star,
    trailing exclamation marks."""
    core = token.rstrip("!")
    if not core:
        return core
    if core[0] in _WILD:  # **bold**, *bullet, #hashtag
        core = core.lstrip(_WILD).rstrip(_WILD)
    elif core[-1] in _WILD and (len(core) < 2 or core[-2] not in _WILD):  # word* (a footnote), not a** / f***
        core = core[:-1]
    return core


def _swaps(core: str) -> list[str]:
    """Every reading of the digit and symbol swaps in `core` (wildcards kept)."""
    digits_ok = not core.isdigit() and not _CODE.fullmatch(core)
    options = []
    for ch in core:
        if ch in _LEET and (digits_ok or not ch.isdigit()):
            options.append(_LEET[ch])
        else:
            options.append(ch)
    count = 1
    for o in options:
        count *= len(o)
    if count > _MAX_VARIANTS:
        options = [o[0] for o in options]
    return ["".join(p) for p in product(*options)]


def _wild_matches(pattern: str, threshold: float) -> Iterator[str]:
    """Targets that `pattern` fits, each run of k censoring marks standing for k to k+2 letters
    (k to k+1 at the end of the word)."""
    parts = re.split(f"([{re.escape(_WILD)}]+)", pattern)
    if not any(p.isalpha() for p in parts):
        return
    regex = ""
    for n, part in enumerate(parts):
        if part and part[0] in _WILD:
            extra = 1 if n == len(parts) - 2 and not parts[-1] else 2
            regex += f"[a-z]{{{len(part)},{len(part) + extra}}}"
        else:
            regex += re.escape(part)
    compiled = re.compile(regex)
    for length, words in _targets_by_length(threshold).items():
        if len(pattern) <= length:
            yield from (w for w in words if compiled.fullmatch(w))


def _collapses(word: str) -> Iterator[str]:
    """Repeated letters cut to one or two: fuuuck -> fuck, asssss -> ass, niiigger -> nigger.
    Only in words with a letter written three times or more: a doubled letter is ordinary
    spelling (Ratt, Wessex) and not evidence of stretching."""
    runs = [m.group(0) for m in re.finditer(r"(.)\1*", word)]
    if max(len(r) for r in runs) < 3 or sum(len(r) > 1 for r in runs) > 6:
        return
    options = [(r,) if len(r) == 1 else (r[0], r[:2]) for r in runs]
    for p in product(*options):
        yield "".join(p)


@lru_cache(maxsize=1)
def _glue_words() -> frozenset[str]:
    """The model's English stop words, the words that get glued on, less the abbreviations and
    prefixes in that list (re-, co-, de-, un-, inc, etc), which begin or end many real words."""
    return word_table().stop_words - NOT_GLUE


def _could_glue(word: str, threshold: float, max_parts: int = 4) -> bool:
    """Whether `word` splits at all into targets and stop words with at least one target: a cheap
    check so the word splitter is loaded only for the rare words that need it."""
    targets, stops = _targets(threshold), _glue_words()

    @cache
    def ends(i: int, parts: int, seen_target: bool) -> bool:
        if i == len(word):
            return seen_target
        if parts == max_parts:
            return False
        for j in range(i + 1, len(word) + 1):
            piece = word[i:j]
            if piece in targets and ends(j, parts + 1, True):
                return True
            if piece in stops and ends(j, parts + 1, seen_target):
                return True
        return False

    return 4 <= len(word) <= 40 and ends(0, 0, False)


def _glued(word: str, threshold: float) -> float | None:
    """Words glued together (isshit -> is + shit): split by word frequency (wordninja, English
    Wikipedia unigrams), which keeps real words whole (shutdown, Wessex, Hancock), and count only
    if every part is a target or a stop word and one is a target (penis + tone stays whole)."""
    if not _could_glue(word, threshold):
        return None
    import wordninja  # ~0.2 s and ~10 MB on first use, so only when a split is possible

    parts = [p.lower() for p in wordninja.split(word)]
    targets, stops, scores = _targets(threshold), _glue_words(), word_table().scores
    if len(parts) < 2 or not all(p in targets or p in stops for p in parts):
        return None
    return max((scores[p] for p in parts if p in targets), default=None)


def _letter_score(word: str, threshold: float) -> float | None:
    """A pure-letter reading: a target itself, a target once repeated letters are cut, or targets
    glued to stop words. One step only: a collapsed word is not split again (Wessex -> wesex ->
    we + sex)."""
    targets, scores = _targets(threshold), word_table().scores
    if word in targets:
        return scores[word]
    if word in scores or word in word_table().stop_words:
        return None  # a real word in its own right: never re-read
    collapsed = [scores[w] for w in _collapses(word) if w in targets]
    if collapsed:
        return max(collapsed)
    return _glued(word, threshold)


@lru_cache(maxsize=4096)
def _spaced_phrase(joined: str, threshold: float) -> float | None:
    """Letters spaced out one by one lose the spaces between words too ("f u c k s h i t"): split
    by word frequency and flag a target among parts that are all words (or single letters)."""
    best = None
    for variant in _swaps(joined):
        if not variant.isalpha() or len(variant) < 2 * MIN_READING:
            continue
        import wordninja

        parts = [p.lower() for p in wordninja.split(variant)]
        table, targets = word_table(), _targets(threshold)
        if all(p in table.scores or p in table.stop_words or len(p) == 1 for p in parts):
            for p in parts:
                if p in targets and (best is None or table.scores[p] > best):
                    best = table.scores[p]
    return best


@lru_cache(maxsize=65536)
def _reading_score(folded: str, threshold: float) -> float | None:
    """Best target score among the readings of a folded token, or None."""
    core = _core(folded)
    if not core:
        return None
    readings: set[str] = set()
    best: float | None = None
    scores = word_table().scores
    has_letter = any(c.isalpha() for c in core)  # "1**" is arithmetic, "a**" is censored
    for variant in _swaps(core):
        if any(c in _WILD for c in variant):
            if not has_letter:
                continue
            for w in _wild_matches(variant, threshold):
                best = max(best or 0.0, scores[w])
        else:
            readings.add(variant)
    letters = "".join(c for c in core if c.isalpha())
    if letters != core:
        readings.add(letters)
    for r in readings:
        if not r.isalpha():
            continue
        s = _letter_score(r, threshold)
        if s is not None and (best is None or s > best):
            best = s
    return best


# ---- the filter -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """An offensive span of the original text: text[start:end], with the score that flagged it."""

    start: int
    end: int
    score: float


def _literal_score(raw: str) -> float:
    """The model's verdict on the token as written: its own tokens (\\w\\w+) scored one by one,
    as the gate always did ("ho!" is "ho", "sh!t" is "sh")."""
    table = word_table()
    return max((table.score(w) for w in _MODEL_TOKEN.findall(raw)), default=table.oov)


def find_offensive(text: str, threshold: float) -> tuple[list[Hit], float]:
    """The spans of `text` to mask (sorted, not overlapping) and the top score seen."""
    fold = _Folded.of(text)
    tokens = _tokens(fold.folded)
    hits: list[Hit] = []
    top = 0.0
    for s, e in tokens:
        start, end = fold.start(s), fold.end(e)
        folded, raw = fold.folded[s:e], text[start:end].lower()
        wordlike = any(c.isalpha() for c in folded)  # digits and symbols alone are not words
        literal = _literal_score(raw) if wordlike else 0.0
        reading = _reading_score(folded, threshold)
        score = literal if reading is None else max(literal, reading)
        top = max(top, score)
        if (wordlike and literal >= threshold) or reading is not None:
            hits.append(Hit(start, end, score))
    for chain in _chains(fold.folded, tokens):
        if len(chain) < MIN_READING:
            continue
        joined = "".join(fold.folded[tokens[i][0]] for i in chain)
        spaced = _reading_score(joined, threshold)
        if spaced is None:
            spaced = _spaced_phrase(joined, threshold)
        if spaced is not None:
            top = max(top, spaced)
            hits.append(Hit(fold.start(tokens[chain[0]][0]), fold.end(tokens[chain[-1]][1]), spaced))
    return _merge(hits), top


def _merge(hits: list[Hit]) -> list[Hit]:
    merged: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, h.end)):
        if merged and h.start < merged[-1].end:
            last = merged.pop()
            h = Hit(last.start, max(last.end, h.end), max(last.score, h.score))
        merged.append(h)
    return merged


def mask_spans(text: str, hits: list[Hit], mask: str) -> str:
    out, last = [], 0
    for h in hits:
        out += [text[last : h.start], mask]
        last = h.end
    out.append(text[last:])
    return "".join(out)


# ---- streaming ------------------------------------------------------------------------------------
def release_point(pending: str) -> int:
    """How many leading characters of streamed `pending` text can be filtered and released now.

    Filtering pending[:n] now and the rest later (with whatever arrives next) gives exactly what
    filtering the whole text at once gives: n is just after a whitespace character (a token never
    spans it) and before any run of spaced-out letters that reaches it or could still grow
    ("f u c" may become "f u c k"). A run held back longer than MAX_HOLD characters is released
    at the last whitespace, the one case where a word spread over the cut could be missed."""
    cut = next((i + 1 for i in range(len(pending) - 1, -1, -1) if pending[i].isspace()), 0)
    if cut == 0:
        return 0
    fold = _Folded.of(pending)
    tokens = _tokens(fold.folded)
    held = cut
    for chain in reversed(_chains(fold.folded, tokens)):
        first, last = tokens[chain[0]], tokens[chain[-1]]
        start = fold.start(first[0])
        if start >= held:
            continue
        live = chain[-1] == len(tokens) - 1 and (
            last[1] == len(fold.folded) or _GAP.fullmatch(fold.folded, last[1]) is not None
        )
        if live or fold.end(last[1]) > held:
            held = start
        else:
            break
    return held if len(pending) - held <= MAX_HOLD else cut
