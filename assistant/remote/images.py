"""Pictures shrunk and compressed to a provider's limits, as base64 data URLs.

Screens (few colours, sharp text) go as 256-colour PNG: shrinking smooths text edges into
thousands of in-between shades, which makes a full-colour PNG larger than the original (250 kB
for a 1536x864 screen, measured) while a 256-colour palette keeps the text visibly identical at
60 kB and encodes in about 30 ms. Photos go as JPEG, ten times smaller than PNG for them and
encoded in a few milliseconds. Anything still over the byte limit is re-encoded at lower quality,
then shrunk. Every format here (PNG, JPEG) is read by every server, unlike WebP (llama.cpp).
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zlib
from dataclasses import dataclass

from PIL import Image

SCREEN_COLOURS = 4096  # at most this many colours in a sample: a screen, not a photo
PALETTE = 256
JPEG_QUALITIES = (85, 70, 55)
SHRINK_STEP = 0.75
MIN_EDGE = 256


@dataclass(frozen=True)
class PreparedImage:
    data_url: str
    mime: str
    size: tuple[int, int]  # what is sent
    original_size: tuple[int, int]
    payload_bytes: int  # encoded picture, before base64
    encode_ms: float

    @property
    def upload_bytes(self) -> int:
        """Bytes on the wire for the picture (base64 text)."""
        return len(self.data_url)


def prepare_image(image: Image.Image, max_edge: int = 1536, max_bytes: int = 4_000_000) -> PreparedImage:
    """`image` as a data URL no larger than max_edge pixels on its longer side and max_bytes encoded."""
    t0 = time.perf_counter()
    original = image.size
    rgb = _rgb(image)
    screen = _looks_like_screen(rgb)
    rgb = _fit(rgb, max_edge)
    mime, payload = _encode(rgb, "image/png" if screen else "image/jpeg", JPEG_QUALITIES[0])
    for quality in JPEG_QUALITIES[1:] if mime == "image/jpeg" else JPEG_QUALITIES:
        if len(payload) <= max_bytes:
            break
        mime, payload = _encode(rgb, "image/jpeg", quality)
    while len(payload) > max_bytes and max(rgb.size) > MIN_EDGE:
        rgb = _fit(rgb, int(max(rgb.size) * SHRINK_STEP))
        mime, payload = _encode(rgb, "image/jpeg", JPEG_QUALITIES[-1])
    url = f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
    return PreparedImage(url, mime, rgb.size, original, len(payload), (time.perf_counter() - t0) * 1000)


def picture_key(image: Image.Image) -> str:
    """Content key: the same pixels give the same key whatever object holds them.

    CRC-32 of every pixel (about 1.5 ms for a 1920x1080 screen, against 8 ms for SHA-256 and
    25 ms for BLAKE2b) plus SHA-256 of a small sample: two different pictures share a key only
    if both collide, far rarer than any other failure, and the cache holds a handful of pictures.

    Computed once per picture object (a follow-up sends the same object: copying and summing
    every pixel again cost 2.5-10 ms before each request). The object is made copy-on-write
    (Pillow's `readonly`): any later change through Pillow (paste, putpixel, ImageDraw, putdata,
    putalpha, thumbnail...) first gives it a new pixel buffer, which is not the one the key was
    computed from, so the key is computed again; a write through `load()`'s pixel access raises
    instead. The sample is compared on every call too, and palette pictures (whose colours can
    change in place) are always summed: a stale picture is never taken for the current one."""
    if image.mode in ("P", "PA"):
        return _content_key(image)
    image.load()
    pixels = image.im
    sample = _sample_digest(image)
    known = getattr(image, _KEY_ATTRIBUTE, None)
    if known is not None and known[0] is pixels and known[1] == sample and image.readonly:
        return known[2]
    key = _content_key(image, sample)
    image.readonly = 1
    # Kept on the picture itself (Pillow pictures cannot be dictionary keys): a copy or any new
    # picture made from it starts without one.
    setattr(image, _KEY_ATTRIBUTE, (pixels, sample, key))
    return key


# (the pixel buffer the key was computed from, sample digest, key)
_KEY_ATTRIBUTE = "_screen_assistant_picture_key"


def _sample_digest(image: Image.Image) -> str:
    return hashlib.sha256(image.resize((64, 36), Image.Resampling.NEAREST).tobytes()).hexdigest()[:16]


def _content_key(image: Image.Image, sample: str | None = None) -> str:
    sample = sample or _sample_digest(image)
    crc = zlib.crc32(image.tobytes())
    if image.mode in ("P", "PA"):
        crc = zlib.crc32(bytes(image.getpalette() or []), crc)  # same indices, other colours: another picture
    return f"{image.mode}{image.size}:{crc:08x}:{sample}"


def png_bytes(image: Image.Image) -> int:
    """Size of the picture as a plain full-size PNG: what sending it unprepared would cost."""
    buffer = io.BytesIO()
    _rgb(image).save(buffer, "PNG")
    return buffer.tell()


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")  # transparent areas read as white, not black
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def _fit(image: Image.Image, max_edge: int) -> Image.Image:
    longest = max(image.size)
    if longest <= max_edge:
        return image
    scale = max_edge / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Bicubic: text as sharp as Lanczos to the eye here, in half the time.
    return image.resize(size, Image.Resampling.BICUBIC)


def _looks_like_screen(image: Image.Image) -> bool:
    step = max(1, max(image.size) // 512)
    sample = image.resize((max(1, image.width // step), max(1, image.height // step)), Image.Resampling.NEAREST)
    return sample.getcolors(maxcolors=SCREEN_COLOURS) is not None


def _encode(image: Image.Image, mime: str, quality: int) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    if mime == "image/png":
        palette = image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        palette.save(buffer, "PNG", compress_level=3)  # level 3: near level 6's size in a third of the time
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=False)
    return mime, buffer.getvalue()
