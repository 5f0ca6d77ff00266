"""The spoken-edit parser: many phrasings, chains, amounts, and things it must NOT match."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.imaging.parser import LARGE, MEDIUM, SMALL, parse


def ops(text):
    return [(o.name, o.value, o.target, o.pixels) for o in parse(text).operations]


# (instruction, expected operations as (name, value, target, pixels))
TABLE = [
    # brightness and amounts
    ("make it brighter", [("brightness", MEDIUM, None, None)]),
    ("brighter", [("brightness", MEDIUM, None, None)]),
    ("brighten the picture", [("brightness", MEDIUM, None, None)]),
    ("could you please make it a bit brighter", [("brightness", SMALL, None, None)]),
    ("make it slightly lighter please", [("brightness", SMALL, None, None)]),
    ("make it a lot brighter", [("brightness", LARGE, None, None)]),
    ("make it 30 percent brighter", [("brightness", 0.3, None, None)]),
    ("make it brighter by 45%", [("brightness", 0.45, None, None)]),
    ("increase the brightness by 20 per cent", [("brightness", 0.2, None, None)]),
    ("make it darker by thirty percent", [("brightness", -0.3, None, None)]),
    ("darken it by twenty five percent", [("brightness", -0.25, None, None)]),
    ("make it much darker", [("brightness", -LARGE, None, None)]),
    ("dim the image a little", [("brightness", -SMALL, None, None)]),
    ("twice as bright", [("brightness", 1.0, None, None)]),
    ("make it half as bright", [("brightness", -0.5, None, None)]),
    # contrast and saturation
    ("more contrast", [("contrast", MEDIUM, None, None)]),
    ("higher contrast please", [("contrast", MEDIUM, None, None)]),
    ("increase the contrast a lot", [("contrast", LARGE, None, None)]),
    ("reduce the contrast slightly", [("contrast", -SMALL, None, None)]),
    ("less contrast", [("contrast", -MEDIUM, None, None)]),
    ("make it more colourful", [("saturation", MEDIUM, None, None)]),
    ("boost the colors", [("saturation", MEDIUM, None, None)]),
    ("more saturation", [("saturation", MEDIUM, None, None)]),
    ("desaturate it a bit", [("saturation", -SMALL, None, None)]),
    ("make the colours less vivid", [("saturation", -MEDIUM, None, None)]),
    # greyscale / invert
    ("make it black and white", [("greyscale", None, None, None)]),
    ("black & white please", [("greyscale", None, None, None)]),
    ("turn it black and white", [("greyscale", None, None, None)]),
    ("convert to greyscale", [("greyscale", None, None, None)]),
    ("grayscale", [("greyscale", None, None, None)]),
    ("remove the colour", [("greyscale", None, None, None)]),
    ("make it grey", [("greyscale", None, None, None)]),
    ("invert the colours", [("invert", None, None, None)]),
    ("invert colors", [("invert", None, None, None)]),
    ("invert it", [("invert", None, None, None)]),
    ("make it a negative", [("invert", None, None, None)]),
    # rotate
    ("rotate it left", [("rotate", 90.0, None, None)]),
    ("rotate left", [("rotate", 90.0, None, None)]),
    ("rotate it to the right", [("rotate", -90.0, None, None)]),
    ("turn it clockwise", [("rotate", -90.0, None, None)]),
    ("rotate anticlockwise", [("rotate", 90.0, None, None)]),
    ("rotate it counter-clockwise", [("rotate", 90.0, None, None)]),
    ("rotate it 180 degrees", [("rotate", -180.0, None, None)]),
    ("turn it upside down", [("rotate", -180.0, None, None)]),
    ("rotate it 45 degrees", [("rotate", -45.0, None, None)]),
    ("rotate 30 degrees to the left", [("rotate", 30.0, None, None)]),
    ("rotate it", [("rotate", -90.0, None, None)]),
    ("give it a quarter turn to the left", [("rotate", 90.0, None, None)]),
    # flip
    ("flip it", [("flip", None, "horizontal", None)]),
    ("mirror the image", [("flip", None, "horizontal", None)]),
    ("flip it horizontally", [("flip", None, "horizontal", None)]),
    ("flip it vertically", [("flip", None, "vertical", None)]),
    ("flip it upside down", [("flip", None, "vertical", None)]),
    ("flip top to bottom", [("flip", None, "vertical", None)]),
    # crop
    ("crop to the left half", [("crop", None, "left", None)]),
    ("crop the right half", [("crop", None, "right", None)]),
    ("crop it to the top half", [("crop", None, "top", None)]),
    ("crop to the bottom half", [("crop", None, "bottom", None)]),
    ("crop to the centre", [("crop", None, "centre", None)]),
    ("keep only the middle", [("crop", None, "centre", None)]),
    ("crop to the top left quarter", [("crop", None, "top-left", None)]),
    ("crop the bottom right corner", [("crop", None, "bottom-right", None)]),
    ("just keep the upper left quarter", [("crop", None, "top-left", None)]),
    # zoom
    ("zoom in", [("zoom_in", 2.0, "centre", None)]),
    ("zoom in on the top left", [("zoom_in", 2.0, "top-left", None)]),
    ("zoom in a lot on the bottom half", [("zoom_in", 3.0, "bottom", None)]),
    ("zoom in 4 times on the centre", [("zoom_in", 4.0, "centre", None)]),
    ("zoom out", [("zoom_out", 2.0, None, None)]),
    ("zoom out a bit", [("zoom_out", 1.5, None, None)]),
    # sharpen / blur
    ("sharpen it", [("sharpen", MEDIUM, None, None)]),
    ("make it sharper", [("sharpen", MEDIUM, None, None)]),
    ("sharpen it a lot", [("sharpen", LARGE, None, None)]),
    ("make it less blurry", [("sharpen", MEDIUM, None, None)]),
    ("blur it", [("blur", MEDIUM, None, None)]),
    ("blur it slightly", [("blur", SMALL, None, None)]),
    ("make it blurrier", [("blur", MEDIUM, None, None)]),
    ("soften the image", [("blur", MEDIUM, None, None)]),
    # resize
    ("resize to 50%", [("resize", 0.5, None, None)]),
    ("resize it to 200 percent", [("resize", 2.0, None, None)]),
    ("resize to 800x600", [("resize", None, None, (800, 600))]),
    ("resize to 1024 by 768 pixels", [("resize", None, None, (1024, 768))]),
    ("make it 800 pixels wide", [("resize", None, None, (800, None))]),
    ("make it 300 pixels tall", [("resize", None, None, (None, 300))]),
    ("double the size", [("resize", 2.0, None, None)]),
    ("make it half the size", [("resize", 0.5, None, None)]),
    ("make it bigger", [("resize", 1.5, None, None)]),
    ("make it a lot bigger", [("resize", 2.0, None, None)]),
    ("make it a bit larger", [("resize", 1.2, None, None)]),
    ("make it 3 times bigger", [("resize", 3.0, None, None)]),
    ("make it bigger by 30 percent", [("resize", 1.3, None, None)]),
    ("shrink it by 25 percent", [("resize", 0.75, None, None)]),
    ("scale it down to 40 percent", [("resize", 0.4, None, None)]),
    # text
    ("make the text bigger", [("text_bigger", 2.0, None, None)]),
    ("make the writing larger please", [("text_bigger", 2.0, None, None)]),
    ("bigger text", [("text_bigger", 2.0, None, None)]),
    ("make the text a bit bigger", [("text_bigger", 1.5, None, None)]),
    ("make the text 3 times bigger", [("text_bigger", 3.0, None, None)]),
    ("make it easier to read", [("text_bigger", 2.0, None, None)]),
    # why the user wants it, and complaints, add nothing to do
    ("make it bigger so I can read it", [("resize", 1.5, None, None)]),
    ("zoom in so I can see better", [("zoom_in", 2.0, "centre", None)]),
    ("make it clearer to read", [("sharpen", MEDIUM, None, None)]),
    ("I can't see it, make it brighter", [("brightness", MEDIUM, None, None)]),
    ("rotate it by 90", [("rotate", -90.0, None, None)]),
    ("can you make the picture a little less bright", [("brightness", -SMALL, None, None)]),
    ("BRIGHTER!!!", [("brightness", MEDIUM, None, None)]),
    # chains
    ("make it brighter and rotate it left", [("brightness", MEDIUM, None, None), ("rotate", 90.0, None, None)]),
    ("rotate it left and make it 30 percent brighter", [("rotate", 90.0, None, None), ("brightness", 0.3, None, None)]),
    ("make it black and white, then invert it", [("greyscale", None, None, None), ("invert", None, None, None)]),
    ("crop to the left half and zoom in", [("crop", None, "left", None), ("zoom_in", 2.0, "centre", None)]),
    (
        "more contrast, sharpen it a bit and make it bigger",
        [("contrast", MEDIUM, None, None), ("sharpen", SMALL, None, None), ("resize", 1.5, None, None)],
    ),
    ("Make it brighter. Then flip it!", [("brightness", MEDIUM, None, None), ("flip", None, "horizontal", None)]),
    (
        "please rotate it right and also desaturate it, thanks",
        [("rotate", -90.0, None, None), ("saturation", -MEDIUM, None, None)],
    ),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t for t, _ in TABLE])
def test_parses(text, expected):
    result = parse(text)
    got = ops(text)
    assert len(got) == len(expected), (text, got)
    for (name, value, target, pixels), (ename, evalue, etarget, epixels) in zip(got, expected, strict=True):
        assert name == ename
        assert target == etarget
        assert pixels == epixels
        if evalue is None:
            assert value is None
        else:
            assert value == pytest.approx(evalue, abs=1e-6), (text, got)
    assert result.deterministic
    assert result.unrecognised == []


# Things that name no deterministic operation: they must go to a semantic edit, never be guessed.
NOT_DETERMINISTIC = [
    "make the sky purple",
    "turn the dog into a golden retriever",
    "make the sky brighter",  # a region we cannot find without a model
    "blur the background",
    "zoom in on the dog",
    "remove the person on the left",
    "add a hat to the cat",
    "what is this",
    "what does the sign say",
    "describe the picture",
    "make it look like a painting",
    "turn it into a watercolour",
    "make the car red",
    "make it brighter and make the sky purple",  # one part needs a model: the whole goes to the model
    "hello",
    "make the background black and white",
    "make the person bigger",
    "turn the lights off",
    "rotate the car",
    "invert the text colour only",
    "make it look older",
]


@pytest.mark.parametrize("text", NOT_DETERMINISTIC)
def test_not_deterministic(text):
    result = parse(text)
    assert not result.deterministic
    assert result.unrecognised, text


@pytest.mark.parametrize("text", ["", "   ", "please", "thanks", "please thank you", "...", "?", "turn it", "make it"])
def test_empty_and_filler_only(text):
    result = parse(text)
    assert result.operations == [] and result.unrecognised == [] and not result.deterministic


@pytest.mark.parametrize(
    "text,words",
    [
        ("crop it", "crop"),
        ("crop the picture please", "crop"),
        ("resize it", "size"),
    ],
)
def test_known_verb_missing_what_it_needs_explains(text, words):
    result = parse(text)
    assert not result.deterministic
    assert result.problem and words in result.problem.lower()


def test_semantic_part_is_reported_for_mixed_instruction():
    result = parse("make it brighter and make the sky purple")
    assert [o.name for o in result.operations] == ["brightness"]
    assert result.unrecognised == ["make the sky purple"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    result = parse(text)
    assert isinstance(result.operations, list)


_VOCAB = [
    "make",
    "it",
    "brighter",
    "rotate",
    "left",
    "and",
    "then",
    "30",
    "percent",
    "crop",
    "the",
    "half",
    "top",
    "zoom",
    "in",
    "out",
    "by",
    "x",
    "800",
    "degrees",
    "a",
    "bit",
    "lot",
    "sky",
    "purple",
    "black",
    "white",
    "text",
    "bigger",
    "flip",
    ",",
    ".",
    "%",
    "twice",
    "half",
    "size",
    "-5",
    "1e9",
    "0",
    "pixels",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=14))
def test_never_raises_on_instruction_like_word_salad(words):
    result = parse(" ".join(words))
    for op in result.operations:
        assert op.name
