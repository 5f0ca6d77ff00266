"""Deterministic picture edits with Pillow. Each operation returns the new image and a short
past-tense phrase ("rotated left") that the summary sentence is built from.

Every value is checked against its range before any pixel is touched (BadInput naming the value
and the range), so a summary never claims more than was done and no value is clamped silently.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageEnhance, ImageFilter, ImageOps, ImageStat

from ..errors import BadInput

MIN_SIDE = 8


@dataclass(frozen=True)
class Operation:
    """name: brightness | contrast | saturation | greyscale | invert | rotate | flip | crop |
    zoom_in | zoom_out | sharpen | blur | resize | text_bigger.
    value: signed fraction (brightness...), degrees anticlockwise (rotate), factor (zoom,
    resize, text_bigger) or strength (sharpen, blur). target: region or flip axis."""

    name: str
    value: float | None = None
    target: str | None = None
    pixels: tuple[int | None, int | None] | None = None


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    unit: str


# Allowed amounts as a person says them; the parser checks these and names the number said.
RANGES: dict[str, Range] = {
    "degrees": Range(0.1, 360, "degrees"),
    "zoom_times": Range(1.1, 20, "times"),
    "zoom_by_percent": Range(10, 1900, "percent"),
    "zoom_level_percent": Range(5, 2000, "percent"),
    "zoom_level_times": Range(0.05, 20, "times"),
    "tone_up_percent": Range(1, 1000, "percent"),
    "tone_down_percent": Range(1, 100, "percent"),
    "tone_change_percent": Range(-100, 1000, "percent"),
    "tone_to_percent": Range(0, 1100, "percent"),
    "tone_times": Range(0.01, 11, "times"),
    "strength_percent": Range(1, 100, "percent"),
    "resize_percent": Range(1, 5000, "percent"),
    "resize_times": Range(0.01, 50, "times"),
    "grow_by_percent": Range(1, 4900, "percent"),
    "shrink_by_percent": Range(1, 99, "percent"),
    "pixels": Range(MIN_SIDE, 65535, "pixels"),
    "text_times": Range(1.1, 8, "times"),
    "text_percent": Range(10, 700, "percent"),
}

# The same limits in the units an Operation carries (for callers that build operations directly).
_VALUE_RANGES: dict[str, tuple[float, float, str]] = {
    "brightness": (-1.0, 10.0, "brightness change"),
    "contrast": (-1.0, 10.0, "contrast change"),
    "saturation": (-1.0, 10.0, "colour strength change"),
    "rotate": (-360.0, 360.0, "rotation in degrees"),
    "zoom_in": (1.1, 20.0, "zoom factor"),
    "zoom_out": (1.1, 20.0, "zoom factor"),
    "text_bigger": (1.1, 8.0, "text enlargement factor"),
    "resize": (0.01, 50.0, "resize factor"),
    "sharpen": (0.0, 1.0, "sharpening strength"),
    "blur": (0.0, 1.0, "blur strength"),
}


def check_operation(op: Operation) -> None:
    """BadInput if a value of `op` is out of range (not a number, infinite, too big or small)."""
    if op.value is not None and op.name in _VALUE_RANGES:
        lo, hi, what = _VALUE_RANGES[op.name]
        if not (math.isfinite(op.value) and lo <= op.value <= hi):
            raise BadInput(f"The {what} {op.value:g} is out of range: it must be {lo:g} to {hi:g}.")
    for side in op.pixels or ():
        if side is not None and not (MIN_SIDE <= side <= RANGES["pixels"].hi):
            raise BadInput(f"A side of {side} pixels is out of range: it must be {MIN_SIDE} to 65535 pixels.")


def _percent(value: float) -> str:
    return f"{round(abs(value) * 100):d} percent"


def _times(factor: float) -> str:
    if abs(factor - round(factor)) < 0.05:
        return f"{int(round(factor))} times"
    return f"{factor:.1f} times"


def _strength(value: float) -> str:
    return "a little" if value <= 0.2 else ("strongly" if value >= 0.5 else "")


_REGION_NAMES = {
    "left": "the left half",
    "right": "the right half",
    "top": "the top half",
    "bottom": "the bottom half",
    "centre": "the centre",
    "top-left": "the top left quarter",
    "top-right": "the top right quarter",
    "bottom-left": "the bottom left quarter",
    "bottom-right": "the bottom right quarter",
}


def region_box(size: tuple[int, int], region: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a named region."""
    w, h = size
    boxes = {
        "left": (0, 0, w // 2, h),
        "right": (w - w // 2, 0, w, h),
        "top": (0, 0, w, h // 2),
        "bottom": (0, h - h // 2, w, h),
        "centre": (w // 4, h // 4, w - w // 4, h - h // 4),
        "top-left": (0, 0, w // 2, h // 2),
        "top-right": (w - w // 2, 0, w, h // 2),
        "bottom-left": (0, h - h // 2, w // 2, h),
        "bottom-right": (w - w // 2, h - h // 2, w, h),
    }
    return boxes[region]


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if min(width, height) < MIN_SIDE:
        raise BadInput(f"That would make the picture too small: {width} by {height} pixels.")
    if width * height > max_pixels:
        raise BadInput(
            f"That would make the picture too large: {width} by {height} pixels is over the "
            f"limit of {max_pixels / 1e6:.0f} megapixels."
        )


def _tone_phrase(op: Operation) -> str:
    value = op.value or 0.0
    up = value >= 0
    return {
        "brightness": f"made {_percent(value)} {'brighter' if up else 'darker'}",
        "contrast": f"{'increased' if up else 'reduced'} the contrast by {_percent(value)}",
        "saturation": f"made the colours {_percent(value)} {'stronger' if up else 'weaker'}",
    }[op.name]


def _factor(op: Operation) -> float:
    return 1.0 + (op.value or 0.0)


# Brightness, contrast and invert are per-channel curves: a run of them is fused into one
# lookup table and applied in a single pass (a 12-megapixel photo in tens of milliseconds).
_CURVES = {"brightness", "contrast", "invert"}


def _apply_curves(image: Image.Image, ops: list[Operation]) -> Image.Image:
    table = list(range(256))
    preview = image.reduce(4) if min(image.size) >= 64 else image  # for contrast's mean grey
    for op in ops:
        if op.name == "brightness":
            f = _factor(op)
            curve: list[float] = [v * f for v in range(256)]
        elif op.name == "contrast":
            f = _factor(op)
            mean = ImageStat.Stat(preview.point(table * 3).convert("L")).mean[0]
            curve = [mean + (v - mean) * f for v in range(256)]
        else:
            curve = [255.0 - v for v in range(256)]
        levels = [min(255, max(0, int(round(c)))) for c in curve]
        table = [levels[t] for t in table]
    return image.point(table * 3)


def _sharpen(image: Image.Image, percent: float, radius: float = 2.0) -> Image.Image:
    """Unsharp mask as one box blur and one extrapolating blend (several times faster than
    ImageFilter.UnsharpMask on large pictures): out = v + percent/100 * (v - blur(v))."""

    def unsharp(part: Image.Image) -> Image.Image:
        return Image.blend(part.filter(ImageFilter.BoxBlur(radius)), part, 1.0 + percent / 100.0)

    return _in_strips(image, unsharp, overlap=int(radius) + 2)


def _in_strips(image: Image.Image, fn, overlap: int) -> Image.Image:
    """Run a neighbourhood filter on horizontal strips in parallel (Pillow releases the GIL);
    strips overlap by more than the filter radius, so the result equals filtering the whole."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or image.width * image.height < 2_000_000:
        return fn(image)
    h = image.height
    cuts = [h * i // workers for i in range(workers + 1)]

    def strip(i: int) -> Image.Image:
        top, bottom = max(0, cuts[i] - overlap), min(h, cuts[i + 1] + overlap)
        done = fn(image.crop((0, top, image.width, bottom)))
        return done.crop((0, cuts[i] - top, image.width, cuts[i + 1] - top))

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(strip, range(workers)))
    out = Image.new(image.mode, image.size)
    for i, part in enumerate(parts):
        out.paste(part, (0, cuts[i]))
    return out


def _rotate(image: Image.Image, op: Operation) -> tuple[Image.Image, str]:
    degrees = (op.value or 0.0) % 360.0
    exact = {90.0: Image.Transpose.ROTATE_90, 180.0: Image.Transpose.ROTATE_180, 270.0: Image.Transpose.ROTATE_270}
    if degrees in exact:
        out = image.transpose(exact[degrees])
    elif degrees == 0.0:
        out = image.copy()
    else:
        out = image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    if degrees == 90.0:
        return out, "rotated left"
    if degrees == 270.0:
        return out, "rotated right"
    if degrees == 180.0:
        return out, "turned upside down"
    if degrees <= 180.0:
        return out, f"rotated {round(degrees):d} degrees anticlockwise"
    return out, f"rotated {round(360 - degrees):d} degrees clockwise"


def _zoom_in(image: Image.Image, op: Operation) -> tuple[Image.Image, str]:
    """Crop a box 1/factor the size around the region's centre, then scale back to full size."""
    factor = 2.0 if op.value is None else op.value
    w, h = image.size
    left, top, right, bottom = region_box(image.size, op.target or "centre")
    cx, cy = (left + right) / 2, (top + bottom) / 2
    bw, bh = w / factor, h / factor
    x0 = min(max(0.0, cx - bw / 2), w - bw)
    y0 = min(max(0.0, cy - bh / 2), h - bh)
    out = image.resize((w, h), Image.Resampling.LANCZOS, box=(x0, y0, x0 + bw, y0 + bh))
    target = op.target or "centre"
    where = "" if target == "centre" else f" on {_REGION_NAMES[target]}"
    return out, f"zoomed in {_times(factor)}{where}"


def _zoom_out(image: Image.Image, op: Operation) -> tuple[Image.Image, str]:
    """Shrink the picture and centre it on a canvas of the original size, filled with its edge colour."""
    factor = 2.0 if op.value is None else op.value
    w, h = image.size
    small = image.resize((max(1, round(w / factor)), max(1, round(h / factor))), Image.Resampling.LANCZOS)
    border = image.resize((16, 16), Image.Resampling.BOX)
    rgb = border.convert("RGB")
    edge = [rgb.getpixel((x, y)) for x in range(16) for y in (0, 15)] + [
        rgb.getpixel((x, y)) for y in range(16) for x in (0, 15)
    ]
    fill = tuple(sum(c[i] for c in edge if isinstance(c, tuple)) // len(edge) for i in range(3))
    canvas = Image.new("RGB", (w, h), fill)
    canvas.paste(small, ((w - small.width) // 2, (h - small.height) // 2))
    return canvas, f"zoomed out {_times(factor)}"


def _resize(image: Image.Image, op: Operation, max_pixels: int) -> tuple[Image.Image, str]:
    w, h = image.size
    if op.pixels:
        pw, ph = op.pixels
        if pw and ph:
            size = (int(pw), int(ph))
        elif pw:
            size = (int(pw), max(1, round(h * pw / w)))
        elif ph:
            size = (max(1, round(w * ph / h)), int(ph))
        else:
            raise BadInput("Say the new size in pixels, for example: resize to 800 by 600.")
        _check_size(*size, max_pixels)
        return image.resize(size, Image.Resampling.LANCZOS), f"resized to {size[0]} by {size[1]} pixels"
    factor = 1.0 if op.value is None else op.value
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    _check_size(*size, max_pixels)
    return (
        image.resize(size, Image.Resampling.LANCZOS),
        f"resized to {round(factor * 100):d} percent, {size[0]} by {size[1]} pixels",
    )


def _text_bigger(image: Image.Image, op: Operation, max_pixels: int) -> tuple[Image.Image, str]:
    """Upscale (Lanczos) then unsharp-mask: letters get bigger and their edges stay crisp."""
    factor = 2.0 if op.value is None else op.value
    size = (round(image.width * factor), round(image.height * factor))
    _check_size(*size, max_pixels)
    out = image.resize(size, Image.Resampling.LANCZOS)
    out = _sharpen(out, percent=120, radius=max(1.0, factor / 2))
    return out, f"made the text {_times(factor)} bigger ({size[0]} by {size[1]} pixels) and sharpened it"


def apply(image: Image.Image, op: Operation, max_pixels: int = 100_000_000) -> tuple[Image.Image, str]:
    """Apply one operation to an RGB image; return the new image and a past-tense phrase."""
    check_operation(op)
    name = op.name
    if name in _CURVES:
        out = _apply_curves(image, [op])
        return out, "inverted the colours" if name == "invert" else _tone_phrase(op)
    if name == "saturation":
        return ImageEnhance.Color(image).enhance(_factor(op)), _tone_phrase(op)
    if name == "greyscale":
        return image.convert("L").convert("RGB"), "made black and white"
    if name == "rotate":
        return _rotate(image, op)
    if name == "flip":
        if op.target == "vertical":
            return ImageOps.flip(image), "flipped top to bottom"
        return ImageOps.mirror(image), "flipped left to right"
    if name == "crop":
        box = region_box(image.size, op.target or "centre")
        _check_size(box[2] - box[0], box[3] - box[1], max_pixels)
        return image.crop(box), f"cropped to {_REGION_NAMES[op.target or 'centre']}"
    if name == "zoom_in":
        return _zoom_in(image, op)
    if name == "zoom_out":
        return _zoom_out(image, op)
    if name == "sharpen":
        value = 0.3 if op.value is None else op.value
        return _sharpen(image, percent=80 + value * 400), " ".join(filter(None, ["sharpened", _strength(value)]))
    if name == "blur":
        value = 0.3 if op.value is None else op.value
        radius = value * 8 * max(1.0, max(image.size) / 1000)
        return image.filter(ImageFilter.GaussianBlur(radius)), " ".join(filter(None, ["blurred", _strength(value)]))
    if name == "resize":
        return _resize(image, op, max_pixels)
    if name == "text_bigger":
        return _text_bigger(image, op, max_pixels)
    raise BadInput(f"I don't know the edit '{name}'.")


def apply_all(
    image: Image.Image, operations: list[Operation], max_pixels: int = 100_000_000, check_cancel=None
) -> tuple[Image.Image, str]:
    """Apply operations in order; return the result and one plain summary sentence."""
    phrases = []
    i = 0
    while i < len(operations):
        if check_cancel:
            check_cancel()
        run = i
        while run < len(operations) and operations[run].name in _CURVES:
            run += 1
        if run - i > 1:  # fuse consecutive curves into one pass
            for op in operations[i:run]:
                check_operation(op)
            image = _apply_curves(image, operations[i:run])
            phrases += ["inverted the colours" if op.name == "invert" else _tone_phrase(op) for op in operations[i:run]]
            i = run
            continue
        image, phrase = apply(image, operations[i], max_pixels)
        phrases.append(phrase)
        i += 1
    return image, summary(phrases)


def summary(phrases: list[str]) -> str:
    """['rotated left', 'made 30 percent brighter'] → 'Rotated left and made 30 percent brighter.'"""
    if not phrases:
        return "Nothing was changed."
    text = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return text[0].upper() + text[1:] + "."
