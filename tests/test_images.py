"""Image loading: every format normalised to upright RGB; every bad input a clear sentence."""

import io
import os
import struct

import numpy as np
import pytest
from PIL import Image

from assistant.errors import BadInput
from assistant.images import blank_reason, load_image


def _save(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _gradient(size=(64, 48)):
    w, h = size
    arr = np.zeros((h, w, 3), np.uint8)
    arr[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    arr[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    arr[..., 2] = 90
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_format_loads_as_rgb(tmp_path, fmt):
    path = tmp_path / f"pic.{fmt.lower()}"
    _gradient().save(path, fmt)
    img = load_image(path)
    assert img.mode == "RGB" and img.size == (64, 48)


def test_bytes_and_pil_sources():
    data = _save(_gradient(), "PNG")
    assert load_image(data).size == (64, 48)
    assert load_image(_gradient().convert("L")).mode == "RGB"


def test_gif_uses_first_frame():
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    img = load_image(buf.getvalue())
    r, g, b = img.getpixel((5, 5))
    assert r > 200 and b < 50


def test_cmyk_jpeg_becomes_rgb():
    img = load_image(_save(_gradient().convert("CMYK"), "JPEG"))
    assert img.mode == "RGB"


def test_16_bit_greyscale_scaled_to_8_bit():
    arr = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    img = load_image(_save(Image.fromarray(arr), "PNG"))
    px = np.asarray(img)
    assert img.mode == "RGB" and px.max() >= 250 and px.min() <= 5


def test_palette_with_transparency_flattened_on_white():
    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 16, 32))
    loaded = load_image(_save(img.convert("P"), "PNG", transparency=0) if False else _save(img, "PNG"))
    assert loaded.getpixel((24, 5)) == (255, 255, 255)
    assert loaded.getpixel((4, 5)) == (255, 0, 0)


def test_exif_rotation_applied():
    img = _gradient((80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    loaded = load_image(_save(img, "JPEG", exif=exif.tobytes()))
    assert loaded.size == (40, 80)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda p: p / "missing.png", "does not exist"),
        (lambda p: p, "is a folder"),
    ],
)
def test_missing_and_directory(tmp_path, make, phrase):
    with pytest.raises(BadInput, match=phrase) as err:
        load_image(make(tmp_path))
    assert str(tmp_path) in err.value.message


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(BadInput, match=r"empty.png is empty \(0 bytes\)"):
        load_image(path)


def test_truncated(tmp_path):
    path = tmp_path / "cut.jpg"
    data = _save(_gradient((400, 300)), "JPEG", quality=95)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="truncated|damaged"):
        load_image(path)


def test_text_renamed_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("shopping list: eggs, milk\n")
    with pytest.raises(BadInput, match="notes.png is a text file, not an image"):
        load_image(path)


def test_svg(tmp_path):
    path = tmp_path / "logo.png"
    path.write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    with pytest.raises(BadInput, match="SVG"):
        load_image(path)


def _png_header_only(width, height):
    """A PNG whose header claims width x height (pixels never decoded before the check)."""
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def test_decompression_bomb_default_limit():
    # Above Pillow's own ceiling (about 179 megapixels) Pillow refuses first; we say it plainly.
    with pytest.raises(BadInput, match="too large: 400 megapixels, over the limit of 100 megapixels"):
        load_image(_png_header_only(20000, 20000))
    with pytest.raises(BadInput, match="too large: 12000 by 12000 pixels is 144 megapixels, over the limit of 100"):
        load_image(_png_header_only(12000, 12000))
    with pytest.raises(BadInput, match="too large: 400 megapixels, over the limit of 179 megapixels"):
        load_image(_png_header_only(20000, 20000), max_pixels=500_000_000)  # never "over 500" for 400


def test_pixel_limit_configurable():
    data = _save(_gradient((200, 100)), "PNG")
    with pytest.raises(BadInput, match="too large"):
        load_image(data, max_pixels=10_000)
    assert load_image(data, max_pixels=20_000).size == (200, 100)


@pytest.mark.parametrize("w,h,phrase", [(3, 300, "too small"), (20, 5000, "unusable shape")])
def test_absurd_sizes(w, h, phrase):
    with pytest.raises(BadInput, match=phrase):
        load_image(Image.new("RGB", (w, h), "white"))


def test_never_a_traceback_on_random_bytes():
    rng = np.random.default_rng(0)
    for n in (1, 7, 100, 5000):
        with pytest.raises(BadInput):
            load_image(rng.integers(0, 256, n, dtype=np.uint8).tobytes())


# ---- blank guard ------------------------------------------------------------------------------
def test_black_screen_reported_as_blank_with_curtain_hint():
    reason = blank_reason(Image.new("RGB", (1920, 1080), "black"))
    assert reason == (
        "The image is blank: it is entirely black. A screen curtain or privacy setting may be hiding the screen."
    )


def test_near_uniform_white_with_jpeg_noise():
    img = load_image(_save(Image.new("RGB", (640, 480), (250, 250, 250)), "JPEG", quality=60))
    assert blank_reason(img).startswith("The image is blank: it is")
    assert "white" in blank_reason(img)


def test_single_colour_named():
    assert "dark blue" in blank_reason(Image.new("RGB", (100, 100), (10, 20, 90)))


def test_one_small_word_on_an_empty_screen_is_not_blank():
    from tests.conftest import render_text

    assert blank_reason(render_text(["Hello"], size=(1920, 1080), font_size=14)) is None


def test_one_small_word_survives_jpeg():
    from tests.conftest import render_text

    img = load_image(_save(render_text(["OK"], size=(1920, 1080), font_size=14), "JPEG", quality=70))
    assert blank_reason(img) is None


# ---- hostile files (issue 11): see also tests/test_hostile_inputs.py, which runs the CLI -----------
_PS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\nshowpage\n"


def test_pillows_global_bomb_guard_is_left_alone():
    import assistant.images  # noqa: F401 - importing it used to switch the guard off for the process

    assert Image.MAX_IMAGE_PIXELS is not None


@pytest.mark.parametrize("name", ["loop.png", "loop.eps", "loop.ps", "loop.jpg"])
def test_postscript_never_reaches_ghostscript_whatever_its_name(tmp_path, monkeypatch, name):
    from PIL import EpsImagePlugin

    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(self))
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: opened.append("gs") or True)
    path = tmp_path / name
    path.write_bytes(_PS)
    with pytest.raises(BadInput, match="is a PostScript document"):
        load_image(path)
    with pytest.raises(BadInput, match="is a PostScript document"):
        load_image(_PS)
    assert opened == []


def test_only_the_allowed_plugins_are_tried(monkeypatch):
    from assistant import images

    seen = []
    real_open = Image.open
    monkeypatch.setattr(
        Image, "open", lambda fp, mode="r", formats=None: seen.append(formats) or real_open(fp, mode, formats)
    )
    images.load_image(_save(_gradient(), "PNG"))
    assert seen and seen[0] and set(seen[0]) <= set(images.ALLOWED_FORMATS)
    assert not {"EPS", "PDF", "PSD", "WMF", "MPEG"} & set(seen[0])


@pytest.mark.parametrize(
    "make,phrase",
    [
        (lambda p: os.mkfifo(p / "pipe.png") or p / "pipe.png", "is a named pipe, not a picture file"),
        (lambda p: "/dev/zero", "is a device, not a picture file"),
        (
            lambda p: (p / "a.png").symlink_to(p / "b.png") or (p / "b.png").symlink_to(p / "a.png") or p / "a.png",
            "loop",
        ),
        (lambda p: p / ("x" * 300 + ".png"), "its name is too long"),
        (lambda p: (p / "f").write_bytes(b"x") and p / "f" / "inside.png", "part of its path is a file"),
    ],
)
def test_files_that_are_not_regular_files_are_refused_at_once(tmp_path, make, phrase):
    with pytest.raises(BadInput, match=phrase):
        load_image(make(tmp_path))


def test_unreadable_file_is_a_plain_sentence(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "secret.png"
    path.write_bytes(_save(_gradient(), "PNG"))

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(BadInput, match=r"secret.png cannot be read: permission denied\.$"):
        load_image(path)


def test_file_size_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    with open(path, "wb") as f:
        f.write(_save(_gradient(), "PNG"))
        f.truncate(3 * 1024**3)  # sparse: no disk used
    monkeypatch.setattr(os, "open", lambda *a, **k: pytest.fail("opened a file over the limit"))
    with pytest.raises(BadInput, match=r"big.png is too large: 3.2 GB, over the limit of 256 MB\."):
        load_image(path)


def test_file_size_limit_is_a_parameter(tmp_path):
    path = tmp_path / "pic.png"
    data = _save(_gradient((400, 300)), "PNG")
    path.write_bytes(data)
    with pytest.raises(BadInput, match=r"pic.png is too large: 1.1 KB, over the limit of 1 KB\."):
        load_image(path, max_file_mb=0.001)
    assert load_image(path, max_file_mb=1).size == (400, 300)
    with pytest.raises(BadInput, match="too large"):
        load_image(data, max_file_mb=0.001)


def test_large_pictures_are_decoded_at_reduced_size():
    big = _gradient((4000, 3000))
    png = load_image(_save(big, "PNG"), decode_pixels=1_000_000)
    jpg = load_image(_save(big, "JPEG"), decode_pixels=1_000_000)
    assert png.size == (1000, 750) and png.mode == "RGB"  # reduced by a whole factor (4)
    assert jpg.width * jpg.height <= 1_000_000 * 1.01 and jpg.width >= 900
    assert load_image(_save(big, "PNG")).size == (4000, 3000)  # under the default: every pixel kept


def test_jpeg_uses_draft_decoding_for_large_pictures(monkeypatch):
    from PIL import JpegImagePlugin

    asked = []
    real = JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda self, m, s: asked.append(s) or real(self, m, s))
    load_image(_save(_gradient((4000, 3000)), "JPEG"), decode_pixels=1_000_000)
    assert asked == [(1000, 750)]  # 12 MP over a 1 MP budget: a quarter each side


def test_exif_rotation_survives_reduction():
    exif = Image.Exif()
    exif[0x0112] = 6
    img = load_image(_save(_gradient((800, 400)), "JPEG", exif=exif.tobytes()), decode_pixels=50_000)
    assert img.height > img.width


@pytest.mark.parametrize(
    "mode,fill,expected",
    [
        ("I;16", 65535, 255),
        ("I;16B", 32768, 127),
        ("I", 70000, 255),  # 32-bit above 16 bits: clipped to white
        ("I", 200, 200),  # 32-bit holding 8-bit values: kept
        ("F", float("nan"), 0),  # not a number: black, never a crash
        ("F", 1e38, 0),  # a flat float picture: its lowest value is black
    ],
)
def test_deep_modes_become_8_bit(mode, fill, expected):
    img = load_image(_save(Image.new(mode, (64, 48), fill), "TIFF"))
    assert img.mode == "RGB" and img.getpixel((5, 5)) == (expected,) * 3


def test_float_picture_with_nan_and_inf_keeps_its_finite_range():
    arr = np.linspace(0.0, 1.0, 64 * 48, dtype=np.float32).reshape(48, 64)
    arr[0, :4] = [np.nan, np.inf, -np.inf, 1e38]
    arr[0, 3] = 0.5
    img = np.asarray(load_image(_save(Image.fromarray(arr, "F"), "TIFF")))
    assert img[-1, -1, 0] == 255 and img[1, 0, 0] < 10


def test_16_bit_picture_takes_no_float64_copy(monkeypatch):
    """The 10000x10000 16-bit case (194 KB, 1.86 GB peak) in miniature: conversion happens in
    strips, never as one full-size float array."""
    from assistant import images

    monkeypatch.setattr(images, "_STRIP_PIXELS", 64 * 8)
    real = np.asarray
    largest = []

    def spy(a, *args, **kwargs):
        out = real(a, *args, **kwargs)
        largest.append(out.size)
        return out

    monkeypatch.setattr(images.np, "asarray", spy)
    arr = (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 21).astype(np.uint16)
    img = images.load_image(_save(Image.fromarray(arr), "PNG"))
    assert img.size == (64, 48) and max(largest) <= 64 * 8


def test_animated_gif_decodes_only_the_first_frame():
    frames = [Image.new("RGB", (64, 64), "red")] + [Image.new("RGB", (64, 64), c) for c in ("blue", "green") * 500]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    img = load_image(buf.getvalue())
    assert img.getpixel((3, 3))[0] > 200


@pytest.mark.parametrize(
    "data,phrase",
    [
        (b"%PDF-1.7\n", "is a PDF document"),
        (b"8BPS\x00\x01" + b"\x00" * 100, "is a Photoshop document"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 100, "is a JPEG 2000 picture"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "is a HEIC photo"),
        (bytes(range(256)) * 4, "is not a picture format I can read. Use a PNG, JPEG"),
    ],
)
def test_formats_we_do_not_open_are_named(data, phrase):
    with pytest.raises(BadInput, match=phrase):
        load_image(data)


def test_pictures_in_memory_are_bounded_and_copied():
    src = Image.new("RGB", (64, 48), "red")
    out = load_image(src)
    assert out is not src and out.getpixel((0, 0)) == (255, 0, 0)
    assert load_image(Image.new("I;16", (64, 48), 65535)).getpixel((0, 0)) == (255, 255, 255)
