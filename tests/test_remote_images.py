"""Pictures are shrunk and compressed to a provider's limits before they are sent."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from assistant.remote.images import png_bytes, prepare_image
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
