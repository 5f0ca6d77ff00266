"""Image loading: every format normalised to upright RGB; every bad input a clear sentence."""

import io
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
    with pytest.raises(BadInput, match="too large: 20000 by 20000 pixels is 400 megapixels, over the limit of 100"):
        load_image(_png_header_only(20000, 20000))


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
