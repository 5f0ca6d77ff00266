"""Spoken edit instructions → a list of deterministic operations, or nothing.

A small grammar: the instruction is split into clauses ("and", "then", commas); each clause
must be fully explained by ONE operation pattern plus amount words plus harmless fillers
("could you please make it ..."). A clause with any word left over ("make the SKY brighter")
is not guessed at: the whole instruction is reported as not deterministic, so the caller can
hand it to a semantic (diffusion) edit or say plainly that it was not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .operations import Operation

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
_NUM = r"\d{1,6}(?:\.\d{1,3})?"


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
    word: str | None = None  # "small" | "large" when said in words
    absolute: bool = False  # "to 40 percent" (a target) rather than "by 40 percent"

    def level(self, default: float = MEDIUM) -> float:
        if self.fraction is not None:
            return self.fraction
        return {"small": SMALL, "large": LARGE}.get(self.word or "", default)


_AMOUNT_PATTERNS: list[tuple[str, str]] = [
    ("pixels_wh", rf"(?:to |at )?({_NUM})\s*(?:x|by|×|\*)\s*({_NUM})(?:\s*(?:pixels?|px))?"),
    ("pixels_w", rf"(?:to |at )?({_NUM})\s*(?:pixels?|px)\s*(?:wide|across|in width|width)"),
    ("pixels_h", rf"(?:to |at )?({_NUM})\s*(?:pixels?|px)\s*(?:tall|high|in height|height)"),
    ("percent", rf"(?:by |to |at )?({_NUM})\s*(?:%|percent|per cent|pc)"),
    ("degrees", rf"(?:by )?(-?{_NUM})\s*(?:°|degrees?|deg)"),
    ("factor", rf"(?:by )?(?:a factor of )?({_NUM})\s*(?:x|times)(?: as)?"),
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
        if kind == "pixels_wh":
            amount.pixels = (int(float(m.group(1))), int(float(m.group(2))))
        elif kind == "pixels_w":
            amount.pixels = (int(float(m.group(1))), None)
        elif kind == "pixels_h":
            amount.pixels = (None, int(float(m.group(1))))
        elif kind == "percent":
            amount.fraction = float(m.group(1)) / 100.0
            amount.absolute = m.group(0).startswith(("to ", "at "))
        elif kind == "degrees":
            amount.degrees = float(m.group(1))
        elif kind == "factor":
            amount.factor = float(m.group(1))
        elif kind == "twice":
            amount.factor = 2.0
        elif kind == "half":
            amount.factor = 0.5
        elif amount.word is None:
            amount.word = kind
    return amount, re.sub(r"\s+", " ", clause).strip()


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
    # "rotate it by 90" → "rotate it by 90 degrees"
    text = re.sub(
        r"\b((?:rotate|turn|spin)(?: it)?(?: by)? )(\d{1,3})\b(?!\s*(?:°|degrees?|deg|%|percent|times|x\b))",
        r"\1\2 degrees",
        text,
    )
    return re.sub(r"\s+", " ", text).strip()


def parse(text: str) -> ParseResult:
    """Parse an instruction; never raises."""
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
        return _build(name, m, amount, remaining)
    if amount.pixels and not _leftover_words(rest, {"size", "pixels", "pixel", "wide", "tall"}):
        return Operation("resize", pixels=amount.pixels), None  # "make it 800 pixels wide"
    return None, None


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
    return set()


def _build(name: str, m: re.Match, amount: Amount, remaining: str) -> tuple[Operation | None, str | None]:
    if name.endswith("_up") or name.endswith("_down"):
        kind, direction = name.rsplit("_", 1)
        if kind == "resize":
            return _resize(amount, grow=direction == "up"), None
        if amount.factor is not None and amount.factor > 0:  # "twice as bright", "half as bright"
            return Operation(kind, value=amount.factor - 1.0), None
        sign = 1.0 if direction == "up" else -1.0
        return Operation(kind, value=sign * amount.level()), None
    if name in ("greyscale", "invert"):
        return Operation(name), None
    if name == "sharpen":
        return Operation("sharpen", value=amount.level()), None
    if name == "blur":
        return Operation("blur", value=amount.level()), None
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
    if name == "zoom_in":
        factor = amount.factor or {"small": 1.5, "large": 3.0}.get(amount.word or "", 2.0)
        if amount.fraction is not None:
            factor = 1.0 + amount.fraction
        return Operation("zoom_in", value=factor, target=_region(remaining) or "centre"), None
    if name == "zoom_out":
        factor = amount.factor or {"small": 1.5, "large": 3.0}.get(amount.word or "", 2.0)
        if amount.fraction is not None:
            factor = 1.0 + amount.fraction
        return Operation("zoom_out", value=factor), None
    if name == "text_bigger":
        factor = amount.factor or {"small": 1.5, "large": 3.0}.get(amount.word or "", 2.0)
        if amount.fraction is not None:
            factor = 1.0 + amount.fraction
        return Operation("text_bigger", value=factor), None
    if name == "resize":
        if amount.pixels:
            return Operation("resize", pixels=amount.pixels), None
        if amount.fraction is not None:
            return Operation("resize", value=amount.fraction), None
        if amount.factor is not None:
            return Operation("resize", value=amount.factor), None
        return None, "Say the new size, for example: resize to 50 percent, or to 800 by 600 pixels."
    return None, None


def _resize(amount: Amount, grow: bool) -> Operation:
    if amount.pixels:
        return Operation("resize", pixels=amount.pixels)
    if amount.factor is not None:
        factor = amount.factor
        if not grow and factor > 1:
            factor = 1.0 / factor  # "three times smaller"
    elif amount.fraction is not None and amount.absolute:
        factor = amount.fraction
    elif amount.fraction is not None:
        factor = 1.0 + amount.fraction if grow else max(0.01, 1.0 - amount.fraction)
    else:
        step = {"small": 0.2, "large": 1.0}.get(amount.word or "", 0.5)
        factor = 1.0 + step if grow else 1.0 / (1.0 + step)
    return Operation("resize", value=factor)


def _rotate(m: re.Match, amount: Amount, words: str) -> tuple[Operation | None, str | None]:
    direction = m.group("rdir") or m.group("qdir") or ""
    words = words + " " + direction
    anticlockwise = bool(re.search(r"\bleft\b|anti-? ?clockwise|counter-? ?clockwise", words))
    if amount.degrees is not None:
        degrees = amount.degrees
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
