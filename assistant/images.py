"""Load any image the user hands us and make it upright 8-bit RGB, or say plainly why not.

Every failure is a BadInput with a sentence that names the file and what is wrong; nothing
here lets a PIL traceback reach the user. The blank guard stops uniform images (screen
curtain, locked screen, black capture) from reaching a model that would invent content.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageOps, ImageStat, UnidentifiedImageError

from .colours import colour_name
from .errors import BadInput
from .logs import get_logger

log = get_logger(__name__)

# We enforce our own, configurable pixel limit before decoding (see load_image), so PIL's
# global guard is switched off to stop it refusing images our limit allows.
Image.MAX_IMAGE_PIXELS = None

DEFAULT_MAX_PIXELS = 100_000_000
MIN_SIDE = 8
MAX_ASPECT = 100

ImageSource = str | os.PathLike | bytes | bytearray | Image.Image


def _describe_source(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"The file {os.fspath(source)}"
    if isinstance(source, Image.Image):
        return "The image"
    return "The image data"


def _sniff(head: bytes) -> str | None:
    """Say what a non-image file looks like, for a more useful message."""
    text = head.lstrip()[:512].lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text) or b"<svg" in text[:256]:
        return "svg"
    if text.startswith(b"%pdf"):
        return "pdf"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return None


def _read_bytes(source: ImageSource, name: str) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    assert not isinstance(source, Image.Image)  # the caller handles pictures in memory
    path = Path(os.fspath(source))
    if not path.exists():
        raise BadInput(f"{name} does not exist.")
    if path.is_dir():
        raise BadInput(f"{name} is a folder, not an image file.")
    try:
        return path.read_bytes()
    except PermissionError:
        raise BadInput(f"{name} cannot be read: permission denied.") from None
    except OSError as exc:
        raise BadInput(f"{name} cannot be read: {exc.strerror or exc}.") from None


def _to_rgb(img: Image.Image) -> Image.Image:
    """Normalise every PIL mode to 8-bit RGB; transparency is flattened onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        if img.mode == "F":
            lo, hi = float(arr.min()), float(arr.max()) or 1.0
            arr = (arr - lo) / ((hi - lo) or 1.0) * 255.0
        else:
            arr = arr / hi * 255.0
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "PA", "La"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    if img.mode != "RGB":
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, L, 1
    return img


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Return an upright 8-bit RGB copy of `source` (path, bytes or PIL image)."""
    name = _describe_source(source)
    if isinstance(source, Image.Image):
        img = source
    else:
        data = _read_bytes(source, name)
        if not data:
            raise BadInput(f"{name} is empty (0 bytes).")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            kind = _sniff(data[:1024])
            if kind == "svg":
                raise BadInput(
                    f"{name} is an SVG vector drawing, which cannot be described directly. Export it as PNG first."
                ) from None
            if kind == "pdf":
                raise BadInput(f"{name} is a PDF document, not an image. Open a page as an image first.") from None
            if kind == "text":
                raise BadInput(f"{name} is a text file, not an image.") from None
            raise BadInput(f"{name} is not an image format I can read.") from None
        except Exception:  # PIL raises many types for malformed headers
            log.warning("could not open %s as an image", name, exc_info=True)
            raise BadInput(f"{name} could not be opened as an image: the file may be damaged.") from None
    width, height = img.size
    if width <= 0 or height <= 0:
        raise BadInput(f"{name} has no pixels ({width} by {height}).")
    if width * height > max_pixels:
        raise BadInput(
            f"{name} is too large: {width} by {height} pixels is "
            f"{width * height / 1e6:.0f} megapixels, over the limit of {max_pixels / 1e6:.0f}."
        )
    if min(width, height) < MIN_SIDE:
        raise BadInput(f"{name} is too small to describe: {width} by {height} pixels.")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise BadInput(f"{name} has an unusable shape: {width} by {height} pixels.")
    try:
        if getattr(img, "is_animated", False):
            img.seek(0)
        img.load()
        img = ImageOps.exif_transpose(img) or img
        return _to_rgb(img).copy()
    except OSError as exc:
        if "truncated" in str(exc).lower() or "broken" in str(exc).lower():
            raise BadInput(f"{name} is damaged or incomplete (the file is truncated).") from None
        raise BadInput(f"{name} could not be decoded: it may be damaged.") from None
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
    rgb = img.convert("RGB")
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
