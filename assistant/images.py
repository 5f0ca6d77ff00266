"""Load any picture the user hands us and make it upright 8-bit RGB, or say plainly why not.

Users open whatever arrives (mail attachments, downloads), so a picture file is treated as
hostile until proven otherwise:
- only a regular file of at most max_file_mb is opened (files.open_user_file): a named pipe
  would block, /dev/zero never ends, a sparse 3 GB file is refused from its size alone;
- only an explicit list of Pillow formats is tried (ALLOWED_FORMATS). PostScript, EPS and PDF
  are never handed to Ghostscript, whatever the file is called, and Pillow never imports its
  other plugins on our behalf;
- the size in the header is checked against a per-call pixel limit before the body is decoded
  (Pillow's own process-wide bomb guard stays as it is: a second line of defence);
- large pictures are decoded at reduced size (JPEG draft scaling, then box reduction), and deep
  ones (16-bit, 32-bit, float) are brought to 8 bits strip by strip, so a request's memory stays
  bounded whatever the picture.

Every failure is a BadInput with a sentence that names the file and what is wrong. The blank
guard stops uniform images (screen curtain, locked screen, black capture) from reaching a model
that would invent content.
"""

from __future__ import annotations

import codecs
import functools
import importlib
import io
import math
import os
import re
import warnings
from contextlib import nullcontext
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageChops, ImageStat, UnidentifiedImageError

from .colours import colour_name
from .errors import BadInput
from .files import DEFAULT_MAX_FILE_MB, MB, check_size, file_name, open_user_file
from .logs import get_logger

log = get_logger(__name__)

DEFAULT_MAX_PIXELS = 100_000_000
# Above this many pixels a picture is decoded at reduced size, by a whole factor. 4K screenshots
# (8.3 MP) and 12 MP photos keep every pixel. The budget is set by what follows: a whole CLI
# `describe` peaks at about 0.33 GB + 43 bytes a pixel (OCR detection grows with the picture),
# so 12 MP stays under 1 GB (measured: 4 MP 0.5 GB, 16 MP 1.0 GB, 25 MP 1.6 GB).
DEFAULT_DECODE_PIXELS = 12_000_000
MIN_SIDE = 8
MAX_ASPECT = 100

# The formats a user's picture may be in, with the Pillow plugin that reads each. Nothing else
# is tried: EPS/PS/PDF would start Ghostscript, and rarer plugins are attack surface we do not need.
_PLUGINS = {
    "PNG": "PngImagePlugin",
    "JPEG": "JpegImagePlugin",
    "GIF": "GifImagePlugin",
    "BMP": "BmpImagePlugin",
    "TIFF": "TiffImagePlugin",
    "WEBP": "WebPImagePlugin",
    "AVIF": "AvifImagePlugin",
    "ICO": "IcoImagePlugin",
    "PPM": "PpmImagePlugin",
}
ALLOWED_FORMATS = tuple(_PLUGINS)
FORMATS_SENTENCE = "Use a PNG, JPEG, GIF, BMP, TIFF, WebP, AVIF or ICO picture."

_DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_REDUCIBLE = ("L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_STRIP_PIXELS = 4_000_000  # deep pictures are converted this many pixels at a time

ImageSource = str | os.PathLike | bytes | bytearray | Image.Image


@functools.cache
def allowed_formats() -> tuple[str, ...]:
    """The allowed formats this Pillow can read. Their plugins are imported here, by name, so
    Image.open never falls back to Image.init() (which imports every plugin, EPS included)."""
    for fmt, module in _PLUGINS.items():
        try:
            importlib.import_module(f"PIL.{module}")
        except ImportError:  # AVIF needs a Pillow built with libavif
            log.info("Pillow cannot read %s here", fmt)
    return tuple(fmt for fmt in ALLOWED_FORMATS if fmt in Image.OPEN)


def _describe_source(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return file_name(source)
    if isinstance(source, Image.Image):
        return "The image"
    return "The image data"


# ---- what a file that is not a picture is -----------------------------------------------------
def _looks_like_text(head: bytes) -> bool:
    if not head or b"\0" in head:
        return False
    try:  # an incomplete character cut off at the end of the sample is fine
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _not_a_picture(name: str, head: bytes) -> str:
    """A sentence saying what a file Pillow may not open is, for a more useful message."""
    text = head.lstrip()[:512].lower()
    if head.startswith((b"%!", b"\xc5\xd0\xd3\xc6")) or text.startswith(b"%!ps"):
        return (
            f"{name} is a PostScript document. PostScript files are programs, so they are not opened; "
            "export it as a PNG picture first."
        )
    if text.startswith(b"%pdf"):
        return f"{name} is a PDF document, not an image. Open a page as an image first."
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text) or b"<svg" in text[:256]:
        return f"{name} is an SVG vector drawing, which cannot be described directly. Export it as PNG first."
    if head.startswith(b"8BPS"):
        return f"{name} is a Photoshop document, which I cannot open. Save it as a PNG or JPEG picture first."
    if head.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        return f"{name} is a JPEG 2000 picture, which I do not open. Save it as a PNG or JPEG picture first."
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"):
        return f"{name} is a HEIC photo, which I cannot open yet. Save it as a JPEG picture first."
    if _looks_like_text(head[:1024]):
        return f"{name} is a text file, not an image."
    return f"{name} is not a picture format I can read. {FORMATS_SENTENCE}"


# ---- opening: the header only ----------------------------------------------------------------
def _source_file(source: str | os.PathLike | bytes | bytearray, name: str, max_bytes: int):
    """A context manager giving a binary file object for a path or bytes."""
    if isinstance(source, (bytes, bytearray)):
        check_size(len(source), name, max_bytes)
        return nullcontext(io.BytesIO(bytes(source)))
    return open_user_file(source, what="picture", max_bytes=max_bytes)


def _open(fp: BinaryIO, name: str, max_pixels: int) -> Image.Image:
    """Identify the picture from its header; nothing of the body is decoded yet."""
    if not fp.read(1):
        raise BadInput(f"{name} is empty (0 bytes).")
    fp.seek(0)
    try:
        with warnings.catch_warnings():  # our pixel limit applies, not Pillow's warning
            warnings.simplefilter("ignore")
            return Image.open(fp, formats=allowed_formats())
    except UnidentifiedImageError:
        fp.seek(0)
        raise BadInput(_not_a_picture(name, fp.read(2048))) from None
    except Image.DecompressionBombError as exc:  # over Pillow's own ceiling, before ours was asked
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "more pixels than allowed"
        ceiling = min(max_pixels, 2 * (Image.MAX_IMAGE_PIXELS or max_pixels))  # Pillow refuses above twice its own
        raise BadInput(f"{name} is too large: {size}, over the limit of {ceiling / 1e6:.0f} megapixels.") from None
    except Exception:  # Pillow raises many types for malformed headers
        log.warning("could not open %s as an image", name, exc_info=True)
        raise BadInput(f"{name} could not be opened as an image: the file may be damaged.") from None


def _check_dimensions(size: tuple[int, int], name: str, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise BadInput(f"{name} has no pixels ({width} by {height}).")
    if width * height > max_pixels:
        raise BadInput(
            f"{name} is too large: {width} by {height} pixels is "
            f"{width * height / 1e6:.0f} megapixels, over the limit of {max_pixels / 1e6:.0f} megapixels."
        )
    if min(width, height) < MIN_SIDE:
        raise BadInput(f"{name} is too small to describe: {width} by {height} pixels.")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise BadInput(f"{name} has an unusable shape: {width} by {height} pixels.")


# ---- decoding: bounded memory ------------------------------------------------------------------
def _reduction(pixels: int, budget: int) -> int:
    """The whole-number factor that brings `pixels` within `budget` (1: decode as is)."""
    return 1 if pixels <= budget else math.ceil(math.sqrt(pixels / budget))


def _orientation(img: Image.Image) -> Image.Transpose | None:
    try:
        return _ORIENTATION.get(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # a malformed EXIF block only loses the rotation hint
        log.info("unreadable EXIF orientation", exc_info=True)
        return None


def _finite_range(img: Image.Image, rows: int) -> tuple[float, float]:
    """Smallest and largest finite value of a float picture, strip by strip."""
    lo, hi = math.inf, -math.inf
    for top in range(0, img.height, rows):
        band = np.asarray(img.crop((0, top, img.width, min(img.height, top + rows))))
        finite = band[np.isfinite(band)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return (lo, hi) if lo <= hi else (0.0, 0.0)


def _deep_to_8bit(img: Image.Image, factor: int = 1) -> Image.Image:
    """16-bit, 32-bit and float pictures to 8-bit greyscale, a strip at a time, each strip
    reduced by `factor` as it is made: never a full-size float copy (a 10000x10000 16-bit PNG
    used to peak at 1.9 GB) and never a full-size 8-bit copy either."""
    rows = max(1, _STRIP_PIXELS // img.width)
    rows = max(factor, rows - rows % factor)  # whole blocks of the reduction in every strip
    if img.mode == "F":
        lo, hi = _finite_range(img, rows)
    elif img.mode == "I":
        _, top = img.getextrema()
        lo, hi = 0.0, 65535.0 if float(top) > 255 else 255.0  # type: ignore[arg-type]
    else:
        lo, hi = 0.0, 65535.0
    scale = 255.0 / ((hi - lo) or 1.0)
    out = Image.new("L", (-(-img.width // factor), -(-img.height // factor)))
    for top in range(0, img.height, rows):
        band = np.asarray(img.crop((0, top, img.width, min(img.height, top + rows))), dtype=np.float64)
        with np.errstate(all="ignore"):
            band = np.nan_to_num((band - lo) * scale, nan=0.0, posinf=255.0, neginf=0.0)
        strip = Image.fromarray(np.clip(band, 0, 255).astype(np.uint8), "L")
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return out


def _flatten(img: Image.Image) -> Image.Image:
    """Any remaining mode to RGB; transparency is flattened onto white."""
    if img.mode in ("RGBA", "RGBa", "LA", "La", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, L, RGBX


def _decode(img: Image.Image, name: str, max_pixels: int, decode_pixels: int) -> Image.Image:
    """Upright 8-bit RGB from an opened picture, at most about decode_pixels large."""
    _check_dimensions(img.size, name, max_pixels)
    factor = _reduction(img.width * img.height, decode_pixels)
    if factor > 1:  # JPEG decodes straight to 1/2, 1/4 or 1/8 size; other formats ignore this
        img.draft(None, (max(1, img.width // factor), max(1, img.height // factor)))
    img.load()
    _check_dimensions(img.size, name, max_pixels)  # an icon's real frame may differ from its header
    turn = _orientation(img)
    new = False
    if img.mode in _DEEP_MODES:  # converted and reduced together, a strip at a time
        img, new = _deep_to_8bit(img, _reduction(img.width * img.height, decode_pixels)), True
    elif img.mode not in _REDUCIBLE:  # palette and 1-bit pixels cannot be averaged
        transparent = img.mode in ("PA", "La", "RGBa") or "transparency" in img.info
        img, new = img.convert("RGBA" if transparent else "RGB"), True
    factor = _reduction(img.width * img.height, decode_pixels)
    if factor > 1:
        img, new = img.reduce(factor), True
    if img.mode != "RGB":
        img, new = _flatten(img), True
    if turn is not None:
        img, new = img.transpose(turn), True
    return img if new else img.copy()  # a plain picture, detached from the file


def load_image(
    source: ImageSource,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    decode_pixels: int = DEFAULT_DECODE_PIXELS,
) -> Image.Image:
    """Return an upright 8-bit RGB copy of `source` (path, bytes or PIL image).

    max_pixels: the largest picture accepted (from its header, before decoding).
    max_file_mb: the largest file opened (from its size, before reading).
    decode_pixels: larger pictures are decoded at reduced size, so memory stays bounded."""
    name = _describe_source(source)
    try:
        if isinstance(source, Image.Image):
            return _decode(source, name, max_pixels, decode_pixels)
        with _source_file(source, name, int(max_file_mb * MB)) as fp:
            return _decode(_open(fp, name, max_pixels), name, max_pixels, decode_pixels)
    except BadInput:
        raise
    except OSError as exc:
        if "truncated" in str(exc).lower() or "broken" in str(exc).lower():
            raise BadInput(f"{name} is damaged or incomplete (the file is truncated).") from None
        log.warning("could not decode %s", name, exc_info=True)
        raise BadInput(f"{name} could not be decoded: it may be damaged.") from None
    except MemoryError:
        raise BadInput(f"{name} is too large to open with the memory available.") from None
    except Exception:
        log.warning("could not decode %s", name, exc_info=True)
        raise BadInput(f"{name} could not be decoded: it may be damaged.") from None


def blank_reason(img: Image.Image, ink_threshold: int = 24, max_ink_pixels: int = 12) -> str | None:
    """A spoken explanation if `img` is (nearly) one flat colour, else None.

    A pixel is "ink" when some channel differs from the image's median colour by more than
    ink_threshold (0-255). JPEG noise and dithering on a flat capture stay under it, while a
    single small word on an empty 1920x1080 screen gives hundreds of ink pixels; averaging
    statistics (standard deviation) would miss that word, so we count pixels instead.
    """
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    if max(rgb.size) > 2048:  # bound the cost on huge images; BOX keeps thin strokes visible
        factor = max(rgb.size) / 2048
        rgb = rgb.resize((max(1, int(rgb.width / factor)), max(1, int(rgb.height / factor))), Image.Resampling.BOX)
    # PIL's C loops, not numpy on the full frame: this runs before every request (~10 ms at 1080p).
    sample = np.asarray(rgb.resize((min(rgb.width, 192), min(rgb.height, 108)), Image.Resampling.NEAREST))
    r0, g0, b0 = (int(v) for v in np.median(sample.reshape(-1, 3), axis=0))
    median = (r0, g0, b0)
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, median))
    r, g, b = diff.split()
    strongest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    ink = sum(strongest.histogram()[ink_threshold + 1 :])
    if ink > max_ink_pixels:
        return None
    spread = max(ImageStat.Stat(rgb).stddev)
    colour = colour_name(median)
    lead = f"it is entirely {colour}" if spread < 0.5 else f"it is almost entirely {colour}"
    if colour == "black":
        return f"The image is blank: {lead}. A screen curtain or privacy setting may be hiding the screen."
    return f"The image is blank: {lead}, with nothing else to describe."
