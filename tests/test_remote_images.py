"""Pictures are shrunk and compressed to a provider's limits before they are sent."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from assistant.remote import images as images_module
from assistant.remote.images import picture_key, png_bytes, prepare_image
from tests.conftest import render_text


def decoded(prepared) -> Image.Image:
    header, data = prepared.data_url.split(",", 1)
    assert header == f"data:{prepared.mime};base64"
    raw = base64.b64decode(data)
    assert len(raw) == prepared.payload_bytes
    return Image.open(io.BytesIO(raw))


def photo(size=(1920, 1080)) -> Image.Image:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def test_a_screen_goes_as_png_within_the_edge_limit():
    screen = render_text(["Save changes before closing?", "Save   Don't save   Cancel"], size=(1920, 1080))
    prepared = prepare_image(screen, max_edge=1536)
    assert prepared.mime == "image/png"
    assert prepared.size == (1536, 864) and prepared.original_size == (1920, 1080)
    assert decoded(prepared).size == (1536, 864)
    # Fewer pixels (fewer picture tokens for the model), though not always fewer bytes: shrinking
    # smooths text edges into more colours, which PNG compresses less well.
    assert prepared.payload_bytes <= 4_000_000


def test_a_photo_goes_as_jpeg_and_is_far_smaller_than_png():
    picture = photo()
    prepared = prepare_image(picture, max_edge=1536)
    assert prepared.mime == "image/jpeg"
    assert prepared.payload_bytes * 4 < png_bytes(picture)


@pytest.mark.parametrize("limit", [200_000, 60_000])
def test_the_byte_limit_is_met_by_lower_quality_then_shrinking(limit):
    prepared = prepare_image(photo(), max_edge=2048, max_bytes=limit)
    assert prepared.payload_bytes <= limit
    assert prepared.mime == "image/jpeg"
    assert decoded(prepared).size == prepared.size


def test_small_pictures_keep_their_size_and_transparency_reads_as_white():
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    prepared = prepare_image(image)
    assert prepared.size == (40, 30)
    assert decoded(prepared).convert("RGB").getpixel((5, 5)) == (255, 255, 255)
    assert prepared.upload_bytes == len(prepared.data_url)


# ---- the picture's key: once per picture object, never stale -------------------------------------
def counted_sums(monkeypatch) -> list[int]:
    sums: list[int] = []
    real = images_module._content_key
    monkeypatch.setattr(images_module, "_content_key", lambda *a: (sums.append(1), real(*a))[1])
    return sums


def test_the_key_is_computed_once_per_picture(monkeypatch):
    sums = counted_sums(monkeypatch)
    screen = render_text(["Quarterly report"], size=(640, 360))
    keys = {picture_key(screen) for _ in range(5)}
    assert len(keys) == 1 and len(sums) == 1
    # the same pixels in another object: the same key (a follow-up may hold a copy)
    assert picture_key(screen.copy()) in keys and len(sums) == 2


def _draw(image):
    from PIL import ImageDraw

    ImageDraw.Draw(image).rectangle((5, 5, 40, 40), fill=(200, 30, 30))


@pytest.mark.parametrize(
    "change",
    [
        _draw,
        lambda image: image.paste((10, 200, 10), (0, 0, 30, 30)),
        lambda image: image.putpixel((3, 3), (1, 2, 3)),
        lambda image: image.putdata([(9, 9, 9)] * (image.width * image.height)),
        lambda image: image.thumbnail((100, 100)),
        lambda image: image.frombytes(bytes(image.width * image.height * 3)),  # in place, same buffer
    ],
    ids=["draw", "paste", "putpixel", "putdata", "thumbnail", "frombytes"],
)
def test_a_picture_changed_in_place_gets_a_new_key(change):
    screen = render_text(["Quarterly report"], size=(640, 360))
    before = picture_key(screen)
    change(screen)
    assert picture_key(screen) != before


def test_a_write_through_pixel_access_raises_instead_of_going_unnoticed():
    screen = render_text(["Quarterly report"], size=(640, 360))
    picture_key(screen)
    pixels = screen.load()
    assert pixels is not None
    with pytest.raises(ValueError):
        pixels[0, 0] = (1, 2, 3)


def test_a_palette_picture_with_new_colours_gets_a_new_key():
    picture = render_text(["Quarterly report"], size=(640, 360)).convert("P", palette=Image.Palette.ADAPTIVE)
    before = picture_key(picture)
    palette = picture.getpalette()
    assert palette is not None
    picture.putpalette([255 - v for v in palette])  # same indices, other colours
    assert picture_key(picture) != before


def test_the_backend_never_sends_a_stale_picture(home):
    from assistant.remote import RemoteSettings
    from assistant.vision.remote import remote_backend

    settings = RemoteSettings(
        provider="t", providers={"t": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}}, trusted_local=["t"]
    )
    backend = remote_backend(settings)
    screen = render_text(["Quarterly report"], size=(640, 360))
    first = backend.prepare(screen)
    assert backend.prepare(screen) is first  # a follow-up: the same bytes, not encoded again
    _draw(screen)
    changed = backend.prepare(screen)
    assert changed.data_url != first.data_url
    assert decoded(changed).convert("RGB").getpixel((20, 20)) == (200, 30, 30)
