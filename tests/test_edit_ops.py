"""Deterministic edits on real pixels, the edit history (undo/redo) through the engine, the
safety gate on edited pictures, and the `edit` command."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from assistant.engine import Engine, ErrorEvent, Progress, Request, Result
from assistant.errors import BadInput
from assistant.events import options_for
from assistant.images import load_image
from assistant.imaging.operations import Operation, apply, apply_all, summary
from assistant.imaging.parser import parse
from tests.conftest import render_text


def photo(width=240, height=160, seed=0):
    """A smooth colourful gradient with noise: every operation has something to change."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    base = np.concatenate([x * 200 + 30 + 0 * y, y * 180 + 40 + 0 * x, (1 - x) * 150 + 50 + 0 * y], axis=2)
    noisy = base + rng.normal(0, 12, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def marked(width=200, height=100):
    """White picture with a red block at the top left and a blue block at the bottom right."""
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, 19, 9], fill=(255, 0, 0))
    d.rectangle([width - 20, height - 10, width - 1, height - 1], fill=(0, 0, 255))
    return img


def arr(img):
    return np.asarray(img, dtype=np.float64)


def luminance(img):
    return arr(img.convert("L")).mean()


def sharpness(img):
    """Mean absolute Laplacian: rises with crisp edges, falls with blur."""
    a = arr(img.convert("L"))
    lap = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return np.abs(lap).mean()


def chroma(img):
    a = arr(img)
    return (a.max(axis=2) - a.min(axis=2)).mean()


def run(text, img):
    return apply_all(img, parse(text).operations)


# ---- each operation on real pixels -----------------------------------------------------------
def test_brighter_raises_and_darker_lowers_mean_luminance():
    img = photo()
    brighter, text = run("make it 30 percent brighter", img)
    darker, _ = run("make it a lot darker", img)
    assert luminance(brighter) > luminance(img) + 10
    assert luminance(darker) < luminance(img) - 20
    assert text == "Made 30 percent brighter."


def test_contrast_changes_spread():
    img = photo()
    more, _ = run("more contrast", img)
    less, _ = run("less contrast", img)
    assert arr(more.convert("L")).std() > arr(img.convert("L")).std() * 1.1
    assert arr(less.convert("L")).std() < arr(img.convert("L")).std() * 0.9


def test_saturation_and_greyscale():
    img = photo()
    vivid, _ = run("more colourful", img)
    muted, _ = run("desaturate it", img)
    grey, text = run("make it black and white", img)
    assert chroma(vivid) > chroma(img) > chroma(muted)
    g = arr(grey)
    assert np.array_equal(g[..., 0], g[..., 1]) and np.array_equal(g[..., 1], g[..., 2])
    assert text == "Made black and white."


def test_invert_gives_exact_inverse_pixels():
    img = photo()
    inverted, text = run("invert the colours", img)
    assert np.array_equal(arr(inverted), 255 - arr(img))
    assert text == "Inverted the colours."


def test_rotate_left_and_right_swap_dimensions_and_move_corners():
    img = marked(200, 100)
    left, text = run("rotate it left", img)
    assert left.size == (100, 200)
    assert left.getpixel((2, 197)) == (255, 0, 0)  # top-left corner went to bottom-left
    right, _ = run("rotate it right", img)
    assert right.size == (100, 200)
    assert right.getpixel((97, 2)) == (255, 0, 0)  # top-left corner went to top-right
    assert text == "Rotated left."


def test_rotate_180_and_any_angle():
    img = marked(200, 100)
    flipped, text = run("turn it upside down", img)
    assert flipped.size == (200, 100) and flipped.getpixel((197, 97)) == (255, 0, 0)
    assert text == "Turned upside down."
    tilted, text = run("rotate it 30 degrees", img)
    assert tilted.width > 200 and tilted.height > 100  # expanded to keep the corners
    assert text == "Rotated 30 degrees clockwise."


def test_flip_horizontal_and_vertical():
    img = photo()
    mirrored, _ = run("flip it", img)
    assert np.array_equal(arr(mirrored), arr(img)[:, ::-1])
    upside, text = run("flip it vertically", img)
    assert np.array_equal(arr(upside), arr(img)[::-1])
    assert text == "Flipped top to bottom."


@pytest.mark.parametrize(
    "text,box",
    [
        ("crop to the left half", (0, 0, 120, 160)),
        ("crop to the right half", (120, 0, 240, 160)),
        ("crop to the top half", (0, 0, 240, 80)),
        ("crop to the bottom half", (0, 80, 240, 160)),
        ("crop to the centre", (60, 40, 180, 120)),
        ("crop to the top left quarter", (0, 0, 120, 80)),
        ("crop to the bottom right quarter", (120, 80, 240, 160)),
    ],
)
def test_crop_regions_keep_exactly_that_part(text, box):
    img = photo()
    cropped, _ = run(text, img)
    assert np.array_equal(arr(cropped), arr(img.crop(box)))


def test_zoom_in_on_centre_enlarges_the_middle():
    img = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(img).rectangle([80, 80, 119, 119], fill=(255, 0, 0))  # 4 percent of the picture
    zoomed, text = run("zoom in", img)
    assert zoomed.size == img.size
    red = (arr(zoomed)[..., 0] > 200) & (arr(zoomed)[..., 1] < 60)
    assert 0.13 < red.mean() < 0.19  # 2x zoom: 4x the area
    assert text == "Zoomed in 2 times."


def test_zoom_in_on_a_corner_shows_that_corner():
    img = marked(200, 100)
    zoomed, text = run("zoom in on the top left", img)
    assert zoomed.size == img.size
    r, g, b = zoomed.getpixel((30, 15))  # the 20x10 red block is now 40x20
    assert r > 240 and g < 20 and b < 20
    assert "top left" in text


def test_zoom_out_shrinks_content_on_same_canvas():
    img = Image.new("RGB", (200, 200), (255, 0, 0))
    ImageDraw.Draw(img).rectangle([0, 0, 199, 199], outline="white", width=4)
    out, _ = run("zoom out", img)
    assert out.size == img.size
    red = (arr(out)[..., 0] > 200) & (arr(out)[..., 1] < 60)
    assert 0.18 < red.mean() < 0.3


def test_sharpen_and_blur_change_edge_strength():
    img = photo().filter(ImageFilter.GaussianBlur(1))
    sharp, _ = run("sharpen it", img)
    blurred, _ = run("blur it", img)
    assert sharpness(sharp) > sharpness(img) * 1.2
    assert sharpness(blurred) < sharpness(img) * 0.8


def test_resize_percent_and_pixels():
    img = photo(240, 160)
    half, text = run("resize to 50%", img)
    assert half.size == (120, 80)
    assert text == "Resized to 50 percent, 120 by 80 pixels."
    exact, _ = run("resize to 300x100", img)
    assert exact.size == (300, 100)
    wide, _ = run("make it 480 pixels wide", img)
    assert wide.size == (480, 320)
    bigger, _ = run("make it bigger by 50 percent", img)
    assert bigger.size == (360, 240)


def test_resize_limits_are_plain_sentences():
    img = photo(240, 160)
    with pytest.raises(BadInput, match="too large"):
        apply(img, Operation("resize", value=100.0), max_pixels=1_000_000)
    with pytest.raises(BadInput, match="too small"):
        apply(img, Operation("resize", pixels=(4, 4)))


def test_text_bigger_upscales_with_sharper_edges_than_plain_resize():
    img = render_text(["Invoice 42"], size=(300, 80), font_size=24, origin=(10, 20))
    big, text = run("make the text bigger", img)
    assert big.size == (600, 160)
    plain = img.resize((600, 160), Image.Resampling.LANCZOS)
    assert sharpness(big) > sharpness(plain)
    assert text.startswith("Made the text 2 times bigger")


def test_chain_applies_in_order_and_summarises():
    img = photo(240, 160)
    out, text = run("rotate it left and make it 30 percent brighter", img)
    assert out.size == (160, 240)
    assert luminance(out) > luminance(img)
    assert text == "Rotated left and made 30 percent brighter."


def test_summary_joins_phrases():
    assert summary(["a", "b", "c"]) == "A, b and c."
    assert summary([]) == "Nothing was changed."


# ---- through the engine: history, gate, saving -------------------------------------------------
@pytest.fixture(scope="module")
def engine():
    return Engine()


def result_of(engine, request):
    events = list(engine.run(request))
    final = events[-1]
    return final, events


def test_edit_through_engine_sets_current_image_and_undo_redo(engine):
    original = photo()
    final, events = result_of(engine, Request("edit", image=original, text="make it brighter and rotate it left"))
    assert isinstance(final, Result), final
    assert any(isinstance(e, Progress) for e in events)
    assert final.text == "Made 30 percent brighter and rotated left."
    assert final.image.size == (160, 240)
    assert engine.session.image is final.image
    loaded = engine.session.extra["edits"].steps[0].image  # the loaded copy of `original`
    assert np.array_equal(arr(loaded), arr(original))

    # a second edit on the session's current image (no image in the request)
    second, _ = result_of(engine, Request("edit", text="invert it"))
    assert np.array_equal(arr(second.image), 255 - arr(final.image))

    undo, _ = result_of(engine, Request("undo"))
    assert undo.text == "Undid: inverted the colours."
    assert engine.session.image is final.image
    undo2, _ = result_of(engine, Request("undo"))
    assert undo2.text == "Undid: made 30 percent brighter and rotated left."
    assert engine.session.image is loaded
    nothing, _ = result_of(engine, Request("undo"))
    assert nothing.text == "There is nothing to undo." and nothing.image is None

    redo, _ = result_of(engine, Request("redo"))
    assert redo.text == "Redid: made 30 percent brighter and rotated left."
    assert engine.session.image is final.image
    # a new edit after undo discards what was undone
    result_of(engine, Request("edit", text="flip it"))
    again, _ = result_of(engine, Request("redo"))
    assert again.text == "There is nothing to redo."


def test_undo_said_as_an_edit_instruction_undoes(engine):
    first, _ = result_of(engine, Request("edit", image=photo(), text="invert it"))
    undone, _ = result_of(engine, Request("edit", text="undo that"))
    assert undone.intent == "undo" and undone.text == "Undid: inverted the colours."
    redone, _ = result_of(engine, Request("edit", text="Redo."))
    assert redone.text == "Redid: inverted the colours." and engine.session.image is first.image


def test_new_picture_starts_a_new_history(engine):
    result_of(engine, Request("edit", image=photo(seed=1), text="blur it"))
    result_of(engine, Request("edit", image=photo(seed=2), text="sharpen it"))
    undo, _ = result_of(engine, Request("undo"))
    assert undo.text == "Undid: sharpened."
    nothing, _ = result_of(engine, Request("undo"))
    assert nothing.text == "There is nothing to undo."  # the blur belonged to the other picture


def test_edit_saves_png_with_instruction_metadata(engine, tmp_path):
    out = tmp_path / "edited.png"
    final, _ = result_of(
        engine,
        Request("edit", image=photo(), text="make it black and white", options=options_for("edit", out=str(out))),
    )
    assert final.extra["saved_to"] == str(out)
    saved = Image.open(out)
    assert saved.text["instruction"] == "make it black and white"
    assert json.loads(saved.text["edit"])["operations"] == ["greyscale"]
    assert np.array_equal(arr(saved.convert("RGB")), arr(final.image))


@pytest.mark.parametrize(
    "text,kind",
    [
        ("", "bad_input"),
        ("crop it", "bad_input"),
        ("what is this", "bad_input"),
        ("please", "bad_input"),
        ("make the sky purple", "unavailable"),
    ],
)
def test_edit_refusals_are_plain_sentences(engine, text, kind):
    final, _ = result_of(engine, Request("edit", image=photo(), text=text))
    assert isinstance(final, ErrorEvent) and final.kind == kind
    assert "Traceback" not in final.message
    if kind == "bad_input":
        assert final.message.endswith(".")
    if kind == "unavailable":
        assert final.exit_code == 3 and "models pull instruct-pix2pix" in final.message


def test_blocked_edit_never_reaches_output(tmp_path):
    from assistant.safety import SafetyGate

    strict = Engine(gate=SafetyGate(image_threshold=0.0))  # the real NSFW model; every score is >= 0
    before = photo()
    out = tmp_path / "never.png"
    final, events = result_of(
        strict, Request("edit", image=before, text="invert it", options=options_for("edit", out=str(out)))
    )
    assert isinstance(final, ErrorEvent) and final.kind == "blocked"
    assert "withheld" in final.message
    assert not out.exists()
    assert not any(isinstance(e, Result) for e in events)
    assert np.array_equal(arr(strict.session.image), arr(before))  # the blocked edit did not replace it


def test_offensive_instruction_refused_before_editing(engine):
    final, events = result_of(engine, Request("edit", image=photo(), text="make this fucking thing brighter"))
    assert isinstance(final, ErrorEvent) and final.kind == "blocked"
    assert not any(isinstance(e, Progress) for e in events)


# ---- the command line ---------------------------------------------------------------------------
def test_cli_edit_writes_file_and_json(tmp_path, capsys):
    from assistant.cli import main

    src = tmp_path / "in.png"
    photo().save(src)
    out = tmp_path / "out.png"
    code = main(["edit", str(src), "rotate it right and make it a bit darker", "-o", str(out), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "Rotated right and made 15 percent darker."
    assert data["saved_to"] == str(out)
    assert load_image(out).size == (160, 240)


@pytest.mark.parametrize(
    "argv,code",
    [
        (["edit", "/no/such/file.png", "make it brighter"], 2),
        (["edit", "{src}", "crop it"], 2),
        (["edit", "{src}", "brighter", "-o", "{tmp}/out.txt"], 2),
        (["edit", "{src}", "turn the dog into a golden retriever"], 3),
    ],
)
def test_cli_edit_exit_codes(tmp_path, capsys, argv, code):
    from assistant.cli import main

    src = tmp_path / "in.png"
    photo().save(src)
    argv = [a.format(src=src, tmp=tmp_path) for a in argv]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_fused_curves_match_one_at_a_time():
    img = photo()
    operations = parse("make it brighter, more contrast, then invert it and make it a bit darker").operations
    fused, text = apply_all(img, operations)
    stepwise = img
    for op in operations:
        stepwise, _ = apply(stepwise, op)
    assert np.abs(arr(fused) - arr(stepwise)).max() <= 2
    assert text == (
        "Made 30 percent brighter, increased the contrast by 30 percent, inverted the colours "
        "and made 15 percent darker."
    )


def test_parallel_strips_equal_whole_picture_sharpen():
    from assistant.imaging import operations

    img = photo(1800, 1200)  # above the size where strips are used
    whole = Image.blend(img.filter(ImageFilter.BoxBlur(2.0)), img, 2.2)
    assert np.array_equal(arr(operations._sharpen(img, percent=120)), arr(whole))
