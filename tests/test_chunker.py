"""Sentence chunker: splits streamed text at sentence ends, never inside numbers or abbreviations."""

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.speech.chunker import SentenceChunker

TEXT = (
    "Dr. Smith paid $3.50 for it. Then e.g. apples, etc. Next: 1. Open the file. "
    "The U.S. Army is here! Really? Yes… ok. Version 1.2.3 is out.\nLine two\n"
    "J. R. R. Tolkien wrote it. No. 5 is mine. I said no. Then left"
)
EXPECTED = [
    "Dr. Smith paid $3.50 for it.",
    "Then e.g. apples, etc.",
    "Next: 1. Open the file.",
    "The U.S. Army is here!",
    "Really?",
    "Yes…",
    "ok.",
    "Version 1.2.3 is out.",
    "Line two",
    "J. R. R. Tolkien wrote it.",
    "No. 5 is mine.",
    "I said no.",
    "Then left",
]


def chunk(text: str, pieces: list[int] | None = None) -> list[str]:
    chunker, out, start = SentenceChunker(), [], 0
    for size in pieces or [len(text)]:
        out += chunker.feed(text[start : start + size])
        start += size
    out += chunker.feed(text[start:])
    return out + chunker.flush()


def test_splits_at_sentence_ends_only():
    assert chunk(TEXT) == EXPECTED


def test_decimals_and_prices_survive_a_stream_cut_at_the_point():
    chunker = SentenceChunker()
    assert chunker.feed("It costs 3.") == []  # could be "3. Next" or "3.14": wait
    assert chunker.feed("14 euros. And") == ["It costs 3.14 euros."]
    assert chunker.flush() == ["And"]


def test_first_sentence_is_released_before_the_stream_ends():
    chunker = SentenceChunker()
    assert chunker.feed("The window shows a login form. It has") == ["The window shows a login form."]
    assert chunker.feed(" two fields.") == []  # end not certain until the next character
    assert chunker.feed(" ") == ["It has two fields."]


def test_long_run_without_punctuation_is_cut_at_a_comma():
    chunker = SentenceChunker(max_chars=60)
    text = "a list of things, " * 10
    out = chunker.feed(text)
    assert out and all(len(s) <= 60 for s in out)
    assert " ".join(out + chunker.flush()).split() == text.split()


def test_lines_are_separate_sentences_and_punctuation_only_is_dropped():
    assert chunk("OK\nCancel\n...\n  \nHelp") == ["OK", "Cancel", "Help"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=12), max_size=40))
def test_any_streaming_gives_the_same_sentences(pieces):
    assert chunk(TEXT, pieces) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.lists(st.integers(min_value=1, max_value=20), max_size=20))
def test_never_loses_letters_or_digits_on_arbitrary_text(text, pieces):
    out = chunk(text, pieces)
    assert "".join(c for c in " ".join(out) if c.isalnum()) == "".join(c for c in text if c.isalnum())
    assert all(s == s.strip() and s for s in out)
