"""Spoken edit instructions → a list of deterministic operations, or nothing.

A small grammar: the instruction is split into clauses ("and", "then", commas); each clause
must be fully explained by ONE operation pattern plus amount words plus harmless fillers
("could you please make it ..."). A clause with any word left over ("make the SKY brighter")
is not guessed at: the whole instruction is reported as not deterministic, so the caller can
hand it to a semantic (diffusion) edit or say plainly that it was not understood.

A number said for an operation must be in that operation's range ("rotate 1e308 degrees",
"zoom 0%", "resize to -5 by 10 pixels"): parse raises BadInput naming the number, as it was
said, and the allowed range, rather than clamping it silently or handing it to a model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import BadInput
from .operations import RANGES, Operation, Range

# ---- amounts ----------------------------------------------------------------------------------
SMALL, MEDIUM, LARGE = 0.15, 0.3, 0.6

_SMALL_WORDS = r"a (?:little )?bit|a little|a tiny bit|a touch|slightly|somewhat|a tad|a smidge|little"
_LARGE_WORDS = (
    r"a lot|lots|a great deal|much|way|very|really|far|significantly|substantially|heavily|"
    r"strongly|massively|hugely|considerably|greatly|loads|extremely"
)

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
}
# Any number a person (or a hostile script) may write, so that an absurd one is named and refused
# rather than left over: signs, decimals, exponents ("-5", ".5", "1e308").
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"


def _words_to_digits(text: str) -> str:
    """'thirty five percent' → '35 percent' (only the number words we list)."""
    tens = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    units = "one|two|three|four|five|six|seven|eight|nine"
    text = re.sub(
        rf"\b({tens})[ -]({units})\b", lambda m: str(_NUMBER_WORDS[m.group(1)] + _NUMBER_WORDS[m.group(2)]), text
    )
    names = sorted(_NUMBER_WORDS, key=len, reverse=True)
    pattern = (
        r"\b("
        + "|".join(re.escape(n) for n in names)
        + r")\b(?=\s*(?:%|percent|per cent|degrees?|times|x\b|pixels?|px))"
    )
    return re.sub(pattern, lambda m: str(_NUMBER_WORDS[m.group(1)]), text)


@dataclass
class Amount:
    """How much: a fraction (0.3 = 30 percent), a multiplier, degrees or pixels, if said."""

    fraction: float | None = None
    factor: float | None = None
    degrees: float | None = None
    pixels: tuple[int | None, int | None] | None = None
    number: float | None = None  # a number said without a unit ("rotate 45", "brightness 20")
    word: str | None = None  # "small" | "large" when said in words
    absolute: bool = False  # "to 40 percent" (a target) rather than "by 40 percent"
    said: dict[str, str] = field(default_factory=dict)  # kind → the number as it was said

    def level(self, default: float = MEDIUM) -> float:
        if self.fraction is not None:
            return self.fraction
        return {"small": SMALL, "large": LARGE}.get(self.word or "", default)


_AMOUNT_PATTERNS: list[tuple[str, str]] = [
    ("pixels_wh", rf"(?:to |at )?({_NUM})\s*(?:x|by|×|\*)\s*({_NUM})(?:\s*(?:pixels?|px))?"),
    ("pixels_w", rf"(?:to |at )?({_NUM})\s*(?:pixels?|px)\s*(?:wide|across|in width|width)"),
    ("pixels_h", rf"(?:to |at )?({_NUM})\s*(?:pixels?|px)\s*(?:tall|high|in height|height)"),
    ("percent", rf"(?:by |to |at )?({_NUM})\s*(?:%|percent|per cent|pc)"),
    ("degrees", rf"(?:by )?({_NUM})\s*(?:°|degrees?|deg)"),
    ("factor", rf"(?:by )?(?:a factor of )?({_NUM})\s*(?:x|times)(?: as)?"),
    ("number", rf"(?:by |to |at )?({_NUM})"),
    ("twice", r"twice(?: as)?|double(?: the)?|doubled"),
    ("half", r"half(?= as | the size| size)(?: as)?|halve"),
    ("small", _SMALL_WORDS),
    ("large", _LARGE_WORDS),
]
_AMOUNT_RE = [(kind, re.compile(rf"(?<![\w.])(?:{pat})(?![\w])")) for kind, pat in _AMOUNT_PATTERNS]


def _take_amount(clause: str) -> tuple[Amount, str]:
    """Pull every amount expression out of `clause`; return it and the clause without them."""
    amount = Amount()
    for kind, regex in _AMOUNT_RE:
        m = regex.search(clause)
        if not m:
            continue
        clause = clause[: m.start()] + " " + clause[m.end() :]
        if m.groups():
            amount.said[kind] = m.group(1)
        if kind == "pixels_wh":
            amount.said["height"] = m.group(2)
            amount.pixels = (_pixels(m.group(1)), _pixels(m.group(2)))
        elif kind == "pixels_w":
            amount.pixels = (_pixels(m.group(1)), None)
        elif kind == "pixels_h":
            amount.said["height"] = m.group(1)
            amount.pixels = (None, _pixels(m.group(1)))
        elif kind == "percent":
            amount.fraction = float(m.group(1)) / 100.0
            amount.absolute = m.group(0).startswith(("to ", "at "))
        elif kind == "degrees":
            amount.degrees = float(m.group(1))
        elif kind == "factor":
            amount.factor = float(m.group(1))
        elif kind == "number":
            amount.number = float(m.group(1))
            amount.absolute = m.group(0).startswith(("to ", "at "))
        elif kind == "twice":
            amount.factor = 2.0
        elif kind == "half":
            amount.factor = 0.5
        elif amount.word is None:
            amount.word = kind
    return amount, re.sub(r"\s+", " ", clause).strip()


def _pixels(text: str) -> int:
    """A side in pixels; absurd values become a sentinel the range check names and refuses."""
    value = float(text)
    return round(value) if math.isfinite(value) and abs(value) < 1e9 else -1


def _check(value: float, said: str | None, rng: Range, what: str) -> None:
    """BadInput naming the number as it was said and the allowed range, if `value` is outside it."""
    if math.isfinite(value) and rng.lo <= value <= rng.hi:
        return
    number = said if said is not None else f"{value:g}"
    raise BadInput(f"{number} {rng.unit} is out of range for {what}: say {rng.lo:g} to {rng.hi:g} {rng.unit}.")


# ---- regions ----------------------------------------------------------------------------------
_REGIONS: list[tuple[str, str]] = [
    ("top-left", r"top[ -]?left|upper[ -]?left"),
    ("top-right", r"top[ -]?right|upper[ -]?right"),
    ("bottom-left", r"bottom[ -]?left|lower[ -]?left"),
    ("bottom-right", r"bottom[ -]?right|lower[ -]?right"),
    ("left", r"left"),
    ("right", r"right"),
    ("top", r"top|upper"),
    ("bottom", r"bottom|lower"),
    ("centre", r"cent(?:re|er|ral)|middle"),
]
_REGION_TAIL = r"(?:\s+(?:half|quarter|corner|side|part|bit|portion|section|area|region|third))?"
_REGION_RE = re.compile(
    r"\b(?:" + "|".join(f"(?P<r{i}>{p})" for i, (_, p) in enumerate(_REGIONS)) + r")\b" + _REGION_TAIL
)


def _region(text: str) -> str | None:
    m = _REGION_RE.search(text)
    if not m:
        return None
    for i, (name, _) in enumerate(_REGIONS):
        if m.group(f"r{i}"):
            return name
    return None


# ---- operation patterns -----------------------------------------------------------------------
C = r"colou?rs?"
_PATTERNS: list[tuple[str, str]] = [
    # order matters: specific phrases before general ones
    (
        "text_bigger",
        r"(?:make |enlarge |increase |magnify |zoom )?(?:the )?(?:text|writing|words|letters|font|print|type)"
        r"(?: size)? (?:bigger|larger|easier to read|more readable|readable)|"
        r"(?:bigger|larger|enlarge(?: the)?|magnify(?: the)?) (?:text|writing|words|letters|font|print)|"
        r"(?:make )?(?:it )?easier to read",
    ),
    (
        "invert",
        rf"invert(?:ed)?(?: the)?(?: {C})?|(?:reverse|flip|swap) (?:the )?{C}|(?:make it )?(?:a )?negative|"
        rf"inverted {C}",
    ),
    (
        "greyscale",
        rf"gr[ae]y ?scale|blackandwhite|monochrome|mono|(?:remove|drop|strip|take out|get rid of)"
        rf"(?: all)?(?: the)? {C}|no {C}|without {C}|gr[ae]y|desaturate (?:it )?(?:completely|fully)",
    ),
    (
        "saturation_up",
        rf"(?:more|increase(?: the)?|boost(?: the)?|raise(?: the)?|higher|up the) (?:saturation|{C}|colou?rful|"
        rf"vivid|vibran(?:t|ce))|"
        rf"saturat(?:e|ed)|more saturated|(?:more )?(?:colou?rful|vivid|vibrant)|saturation up|{C} (?:up|pop)|pop",
    ),
    (
        "saturation_down",
        rf"(?:less|decrease(?: the)?|reduce(?: the)?|lower(?: the)?|lower) (?:saturation|{C}|colou?rful|vivid|"
        rf"saturated)|"
        rf"desaturat(?:e|ed)|(?:more )?(?:muted|washed out|dull(?:er)?)|saturation down|{C} down|"
        rf"tone down(?: the)? {C}",
    ),
    (
        "contrast_up",
        r"(?:more|increase(?: the)?|boost(?: the)?|raise(?: the)?|higher|high|up the|stronger|add) contrast|"
        r"contrast (?:up|higher|more)|(?:more )?contrast(?:y|ier)",
    ),
    (
        "contrast_down",
        r"(?:less|decrease(?: the)?|reduce(?: the)?|lower(?: the)?|low|softer|weaker) contrast|contrast (?:down|"
        r"lower|less)",
    ),
    (
        "brightness_up",
        r"bright(?:er|en)?|light(?:er|en)|(?:increase|raise|boost|up)(?: the)? brightness|brightness up|"
        r"more (?:light|bright)|less dark|not so dark",
    ),
    (
        "brightness_down",
        r"dark(?:er|en)?|dim(?:mer)?|(?:decrease|reduce|lower)(?: the)? brightness|brightness down|"
        r"less bright|not so bright",
    ),
    (
        "sharpen",
        r"sharpen(?:ed)?|sharper|crisper|crisp|clearer|more (?:detail|defined|sharp)|less blurr?y|"
        r"(?:un)?blur(?:red)? less|deblur",
    ),
    ("blur", r"blur(?:red|ry)?|blurrier|soften|softer|smooth(?:er|en)?|fuzzier|less sharp"),
    (
        "rotate",
        r"(?:rotate|rotated|turn|spin)(?: it)?(?: by)?(?:\s+(?:to the |towards the )?(?P<rdir>left|right|"
        r"clockwise|anti-? ?clockwise|counter-? ?clockwise|around|round|over|upside down))?|"
        r"upside down|(?:a )?quarter turn(?: to the)?(?:\s+(?P<qdir>left|right))?",
    ),
    (
        "flip",
        r"(?:flip|mirror|reflect)(?:ed)?(?: it)?(?:\s+(?P<fdir>horizontally|vertically|left to right|"
        r"right to left|top to bottom|"
        r"bottom to top|upside down|sideways|side to side|left right|up down|across|over))?",
    ),
    (
        "zoom_in",
        r"zoom(?:ed)? in(?: (?:on|to|at|towards))?|close[ -]?up(?: of| on)?|closer(?: look)?(?: at)?|magnify|"
        r"enlarge (?=.*\b(?:left|right|top|bottom|cent|middle|upper|lower))",
    ),
    ("zoom_out", r"zoom(?:ed)? out|further away|pull back"),
    (
        "crop",
        r"crop(?:ped)?(?: it)?(?: (?:to|down to|out|in on|into))?|cut (?:out|down to|it to|to)|keep only|"
        r"only keep|just keep|trim(?: it)?(?: to)?|"
        r"(?:show|give me) (?:me )?only",
    ),
    (
        "resize_up",
        r"bigger|larger|big|large|enlarge(?:d)?|upscale(?:d)?|scale(?:d)? (?:it )?up|grow|"
        r"increase(?: the)? size|size up|blow (?:it )?up|embiggen",
    ),
    (
        "resize_down",
        r"smaller|shrink|shrunk|downscale(?:d)?|scale(?:d)? (?:it )?down|reduce(?: the)? size|"
        r"decrease(?: the)? size|size down|tinier|compress",
    ),
    (
        "resize",
        r"(?:re-?size|re-?scale|scale)(?:d)?(?: it)?(?: to)?|(?:change|set)(?: the)? (?:size|dimensions)(?: to)?|size",
    ),
    # a level with no direction: "zoom 200%", "brightness 20", "contrast to 150 percent"
    ("zoom_level", r"zoom(?:ed)?(?: level)?"),
    ("tone_level", r"(?P<tone>brightness|contrast|saturation|colou?r saturation)(?: level)?"),
]
_PATTERN_RE = [(name, re.compile(rf"(?<![\w-])(?:{pat})(?![\w])")) for name, pat in _PATTERNS]

# Words that carry no meaning for a deterministic edit: politeness, the object, light verbs.
_FILLERS = set(
    """
a an the it its it's this that these those them image picture photo photograph pic screenshot shot screen
everything whole entire all of please pls could can would will you u i i'd id we me my our to make
makes made making do does be is are was look looks looking like want wanna need needs let let's lets
just also then now so and too for thanks thank cheers ok okay hey hi assistant bit more some abit
there here up by again instead same once go ahead kindly little as one try see if really quite
give gimme should into out in on at whole way image's pictures photos mode version effect filter
turn set change convert switch apply put can't cannot hard barely
""".split()
)
# Region words are consumed only when the operation uses a region (crop, zoom).
_REGION_WORDS = set(
    """
left right top bottom upper lower centre center central middle half quarter corner side part portion section area
region third top-left top-right bottom-left bottom-right upper-left upper-right lower-left lower-right
""".split()
)
_ROTATE_WORDS = {
    "left",
    "right",
    "clockwise",
    "anticlockwise",
    "counterclockwise",
    "anti",
    "counter",
    "around",
    "round",
    "over",
    "degrees",
    "degree",
    "upside",
    "down",
    "quarter",
    "turn",
    "direction",
    "side",
}
_FLIP_WORDS = {
    "horizontally",
    "vertically",
    "sideways",
    "side",
    "left",
    "right",
    "top",
    "bottom",
    "across",
    "over",
    "upside",
    "down",
    "axis",
    "horizontal",
    "vertical",
}

_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\band then\b|\bthen\b|\band also\b|\balso\b|\bplus\b|\bas well as\b|\band\b|\.(?=\s|$)|!|\?)\s*"
)
_POLITE_RE = re.compile(
    r"\b(?:i would like you to|i'd like you to|i want you to|i need you to|would you mind|"
    r"could you|can you|would you|will you|please|kindly|thank you|thanks)\b"
)


# Why the user wants it ("so I can read it") adds nothing to what to do.
_PURPOSE_RE = re.compile(
    r"\b(?:so (?:that )?(?:i|we|you) (?:can|could|will be able to)|(?<=clearer) to|(?<=sharper) to)"
    r" (?:read|see)(?: it| this| that| them| the \w+)?(?: better| more easily| clearly| properly)?"
)


@dataclass
class ParseResult:
    operations: list[Operation] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)  # clauses no pattern fully explains
    problem: str | None = None  # a known verb missing what it needs

    @property
    def deterministic(self) -> bool:
        return bool(self.operations) and not self.unrecognised and self.problem is None


def normalise(text: str) -> str:
    text = (text or "").lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[\"“”`]", " ", text)
    # joined so the clause splitter does not cut them at "and"
    text = text.replace("black & white", " blackandwhite ").replace("b&w", " blackandwhite ")
    text = re.sub(r"\bblack\s*-?\s*and\s*-?\s*white\b", "blackandwhite", text)
    text = re.sub(r"\b(left|right|top|bottom)\s+and\s+(left|right|top|bottom)\b", r"\1-\2", text)
    text = _words_to_digits(text)
    text = _POLITE_RE.sub(" ", text)
    text = _PURPOSE_RE.sub(" ", text)
    text = text.replace("\u2212", "-")  # the minus sign
    # "rotate it by 90" → "rotate it by 90 degrees"
    text = re.sub(
        rf"\b((?:rotate|turn|spin)(?: it)?(?: by)? )({_NUM})(?![\w.])(?!\s*(?:°|degrees?|deg|%|percent|times|x\b))",
        r"\1\2 degrees",
        text,
    )
    return re.sub(r"\s+", " ", text).strip()


def parse(text: str) -> ParseResult:
    """Parse an instruction. Raises BadInput only for a number out of its operation's range."""
    result = ParseResult()
    clean = normalise(text)
    if not clean:
        return result
    for clause in (c.strip() for c in _SPLIT_RE.split(clean)):
        if not clause or not (set(re.findall(r"[\w'-]+", clause)) - _FILLERS):
            continue  # pure filler ("please", "thanks")
        op, problem = _parse_clause(clause)
        if problem:
            result.problem = result.problem or problem
        if op is None:
            if not problem:
                result.unrecognised.append(clause.replace("blackandwhite", "black and white"))
        else:
            result.operations.append(op)
    return result


def _leftover_words(text: str, extra: frozenset[str] | set[str] = frozenset()) -> set[str]:
    words = set(re.findall(r"[a-z][\w'-]*|\d+", text))
    return {w for w in words if w not in _FILLERS and w not in extra}


def _parse_clause(clause: str) -> tuple[Operation | None, str | None]:
    amount, rest = _take_amount(clause)
    for name, regex in _PATTERN_RE:
        m = regex.search(rest)
        if not m:
            continue
        remaining = rest[: m.start()] + " " + rest[m.end() :]
        allowed = _allowed_words(name)
        if _leftover_words(remaining, allowed):
            continue  # something else is being asked: do not guess
        if amount.number is not None and name not in _TAKES_BARE_NUMBER:
            return None, None  # "blur 5": five what? not guessed
        return _build(name, m, amount, remaining)
    if (
        amount.pixels
        and amount.number is None
        and not _leftover_words(rest, {"size", "pixels", "pixel", "wide", "tall"})
    ):
        return _resize_pixels(amount), None  # "make it 800 pixels wide"
    return None, None


# A number without a unit means degrees for a rotation, a level for "zoom"/"brightness" alone.
_TAKES_BARE_NUMBER = {"rotate", "zoom_level", "tone_level"}


def _allowed_words(name: str) -> set[str]:
    if name in ("crop", "zoom_in", "zoom_out"):
        return _REGION_WORDS
    if name == "rotate":
        return _ROTATE_WORDS
    if name == "flip":
        return _FLIP_WORDS
    if name in ("resize", "resize_up", "resize_down"):
        return {"size", "pixels", "pixel", "wide", "tall", "original", "dimensions", "resolution"}
    if name == "text_bigger":
        return {"size"}
    if name.startswith("saturation"):
        return {"colour", "colours", "color", "colors"}
    if name == "zoom_level":
        return {"level"}
    return set()


_TONE_NAMES = {"brightness": "brightness", "contrast": "contrast", "saturation": "colour strength"}


def _build(name: str, m: re.Match, amount: Amount, remaining: str) -> tuple[Operation | None, str | None]:
    if name.endswith("_up") or name.endswith("_down"):
        kind, direction = name.rsplit("_", 1)
        if kind == "resize":
            return _resize(amount, grow=direction == "up"), None
        return _tone(kind, amount, up=direction == "up"), None
    if name == "tone_level":
        return _tone_level(m.group("tone"), amount)
    if name in ("greyscale", "invert"):
        return Operation(name), None
    if name in ("sharpen", "blur"):
        if amount.fraction is not None:
            what = "sharpening" if name == "sharpen" else "blurring"
            _check(amount.fraction * 100, amount.said.get("percent"), RANGES["strength_percent"], what)
        if amount.factor is not None:
            return None, None  # "blur it twice": not a strength we can honour
        return Operation(name, value=amount.level()), None
    if name == "rotate":
        return _rotate(m, amount, m.group(0) + " " + remaining)
    if name == "flip":
        words = (m.group("fdir") or "") + " " + remaining
        vertical = bool(re.search(r"vertical|top|bottom|upside|up down", words))
        return Operation("flip", target="vertical" if vertical else "horizontal"), None
    if name == "crop":
        region = _region(remaining)
        if region is None:
            return None, "Say which part to crop to, for example: crop to the left half, or the top left quarter."
        return Operation("crop", target=region), None
    if name in ("zoom_in", "zoom_out"):
        what = "zooming in" if name == "zoom_in" else "zooming out"
        factor = _times(amount, what, "zoom_times", "zoom_by_percent", {"small": 1.5, "large": 3.0}, 2.0)
        target = _region(remaining) or "centre" if name == "zoom_in" else None
        return Operation(name, value=factor, target=target), None
    if name == "zoom_level":
        return _zoom_level(amount)
    if name == "text_bigger":
        factor = _times(amount, "bigger text", "text_times", "text_percent", {"small": 1.5, "large": 3.0}, 2.0)
        return Operation("text_bigger", value=factor), None
    if name == "resize":
        if amount.pixels:
            return _resize_pixels(amount), None
        if amount.fraction is not None:
            _check(amount.fraction * 100, amount.said.get("percent"), RANGES["resize_percent"], "resizing")
            return Operation("resize", value=amount.fraction), None
        if amount.factor is not None:
            _check(amount.factor, amount.said.get("factor"), RANGES["resize_times"], "resizing")
            return Operation("resize", value=amount.factor), None
        return None, "Say the new size, for example: resize to 50 percent, or to 800 by 600 pixels."
    return None, None


def _times(amount: Amount, what: str, times: str, percent: str, words: dict[str, float], default: float) -> float:
    """A zoom-like factor from "3 times", "by 50 percent" (1.5) or "a lot", range-checked."""
    if amount.fraction is not None:
        _check(amount.fraction * 100, amount.said.get("percent"), RANGES[percent], what)
        return 1.0 + amount.fraction
    if amount.factor is not None:
        if "factor" in amount.said:
            _check(amount.factor, amount.said["factor"], RANGES[times], what)
        return amount.factor
    return words.get(amount.word or "", default)


def _tone(kind: str, amount: Amount, up: bool) -> Operation:
    what = _TONE_NAMES[kind]
    if amount.factor is not None and "factor" in amount.said:  # "3 times as bright"
        _check(amount.factor, amount.said["factor"], RANGES["tone_times"], what)
    if amount.factor is not None:  # "twice as bright", "half as bright"
        return Operation(kind, value=amount.factor - 1.0)
    if amount.fraction is not None:
        rng = RANGES["tone_up_percent" if up else "tone_down_percent"]
        _check(amount.fraction * 100, amount.said.get("percent"), rng, what)
    sign = 1.0 if up else -1.0
    return Operation(kind, value=sign * amount.level())


def _tone_level(tone: str, amount: Amount) -> tuple[Operation | None, str | None]:
    """ "brightness 20" / "brightness -20%" (a change), "contrast to 150 percent" (a level)."""
    kind = "saturation" if "saturation" in tone else tone
    what = _TONE_NAMES[kind]
    value = amount.fraction * 100 if amount.fraction is not None else amount.number
    said = amount.said.get("percent", amount.said.get("number"))
    if value is None:
        return None, f"Say how much to change the {what}, for example: {what} up 20 percent."
    if amount.absolute:
        _check(value, said, RANGES["tone_to_percent"], what)
        return Operation(kind, value=value / 100 - 1.0), None
    _check(value, said, RANGES["tone_change_percent"], what)
    return Operation(kind, value=value / 100), None


def _zoom_level(amount: Amount) -> tuple[Operation | None, str | None]:
    """ "zoom 200%" or "zoom 2x": a level where 100 percent is the picture as it is."""
    if amount.fraction is not None:
        _check(amount.fraction * 100, amount.said.get("percent"), RANGES["zoom_level_percent"], "zooming")
        level = amount.fraction
    elif amount.factor is not None or amount.number is not None:
        level = amount.factor if amount.factor is not None else amount.number  # type: ignore[assignment]
        said = amount.said.get("factor", amount.said.get("number"))
        _check(level, said, RANGES["zoom_level_times"], "zooming")
    else:
        return None, "Say which way to zoom, for example: zoom in, zoom out, or zoom 200 percent."
    if abs(level - 1.0) < 1e-9:
        raise BadInput("A zoom of 100 percent is the picture as it is. Say, for example: zoom 200 percent.")
    if level > 1.0:
        return Operation("zoom_in", value=level, target="centre"), None
    return Operation("zoom_out", value=1.0 / level), None


def _resize_pixels(amount: Amount) -> Operation:
    width, height = amount.pixels or (None, None)
    rng = RANGES["pixels"]
    if width is not None:
        _check(width, amount.said.get("pixels_wh", amount.said.get("pixels_w")), rng, "resizing")
    if height is not None:
        _check(height, amount.said.get("height"), rng, "resizing")
    return Operation("resize", pixels=(width, height))


def _resize(amount: Amount, grow: bool) -> Operation:
    if amount.pixels:
        return _resize_pixels(amount)
    said = amount.said.get("percent")
    if amount.factor is not None:
        if "factor" in amount.said:
            _check(amount.factor, amount.said["factor"], RANGES["resize_times"], "resizing")
        factor = amount.factor
        if not grow and factor > 1:
            factor = 1.0 / factor  # "three times smaller"
    elif amount.fraction is not None and amount.absolute:
        _check(amount.fraction * 100, said, RANGES["resize_percent"], "resizing")
        factor = amount.fraction
    elif amount.fraction is not None:
        _check(amount.fraction * 100, said, RANGES["grow_by_percent" if grow else "shrink_by_percent"], "resizing")
        factor = 1.0 + amount.fraction if grow else 1.0 - amount.fraction
    else:
        step = {"small": 0.2, "large": 1.0}.get(amount.word or "", 0.5)
        factor = 1.0 + step if grow else 1.0 / (1.0 + step)
    return Operation("resize", value=factor)


def _rotate(m: re.Match, amount: Amount, words: str) -> tuple[Operation | None, str | None]:
    direction = m.group("rdir") or m.group("qdir") or ""
    words = words + " " + direction
    anticlockwise = bool(re.search(r"\bleft\b|anti-? ?clockwise|counter-? ?clockwise", words))
    said_degrees = amount.degrees if amount.degrees is not None else amount.number
    if said_degrees is not None:
        degrees = said_degrees
        _check(abs(degrees), amount.said.get("degrees", amount.said.get("number")), RANGES["degrees"], "rotating")
    elif re.search(r"upside down|around|round|over|\b180\b", words):
        degrees = 180.0
    elif re.search(r"\bleft\b|\bright\b|clockwise|quarter", words):
        degrees = 90.0
    elif re.match(r"(?:rotate|rotated)\b", m.group(0)):
        degrees = 90.0  # "rotate it": a quarter turn clockwise, as photo viewers do
    else:
        return None, None  # a bare "turn" is not a rotation ("turn the dog into ...")
    signed = degrees if anticlockwise else -degrees  # PIL: positive angles turn anticlockwise
    return Operation("rotate", value=signed), None
