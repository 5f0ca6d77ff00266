"""What kind of picture this is (screenshot, document, photo, graphic) and its colours, from
pixel statistics alone: fast (tens of milliseconds) and never a guess about content.

Why these measures:
- Rendered pictures (screens, pages, drawings) are made of large areas of exactly one colour;
  photos almost never are, even where they look smooth (sensor noise). `flat_share` is the
  share of pixels within 1 level of their right and lower neighbours after a nearest-neighbour
  shrink (which keeps flat areas flat). Measured: photos 0.01-0.24 (the 0.24 has a clear
  sky), screenshots and pages 0.78-0.95 (0.78 is a screenshot saved as JPEG at quality 75).
- A document is a light, nearly colourless page with text and no screen furniture; a screenshot
  has text plus window furniture: full-width bars of another colour, or coloured panels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..colours import colour_name

PHOTO_MAX_FLAT = 0.5  # midway between the photo and rendered ranges measured above


@dataclass
class PixelStats:
    flat_share: float  # share of pixels inside flat single-colour areas
    background: tuple[int, int, int]
    background_share: float  # share of the most common (quantised) colour
    saturated_share: float  # share of strongly coloured pixels
    has_bars: bool  # full-width bands of a colour other than the background


def _rgb(values) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in values[:3])
    return r, g, b


def _quantised(arr: np.ndarray) -> np.ndarray:
    q = (arr >> 4).astype(np.int32)
    return (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]


def pixel_stats(image: Image.Image) -> PixelStats:
    small = np.asarray(image.convert("RGB").resize(_fit(image.size, 480), Image.Resampling.NEAREST))
    codes = _quantised(small)
    signed = small.astype(np.int16)
    right = np.abs(signed[:-1, :-1] - signed[:-1, 1:]).max(axis=-1) <= 1
    down = np.abs(signed[:-1, :-1] - signed[1:, :-1]).max(axis=-1) <= 1
    flat = right & down
    counts = np.bincount(codes.ravel(), minlength=4096)  # 12-bit codes: a histogram, no sort (np.unique)
    top = int(counts.argmax())
    background = _rgb(small[codes == top].mean(axis=0).round())
    hsv = np.asarray(Image.fromarray(small).convert("HSV"))
    saturated = (hsv[..., 1] > 90) & (hsv[..., 2] > 60)
    return PixelStats(
        float(flat.mean()), background, float(counts[top] / codes.size), float(saturated.mean()), _has_bars(codes, top)
    )


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    scale = min(1.0, longest / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _has_bars(codes: np.ndarray, background: int) -> bool:
    """Rows that are one colour across at least 95% of the width, other than the background.
    A colour covering most of a row is that row's median, so no per-row counting is needed."""
    median = np.sort(codes, axis=1)[:, codes.shape[1] // 2]
    share = (codes == median[:, None]).mean(axis=1)
    rows = int(((share >= 0.95) & (median != background)).sum())
    return rows >= max(3, 0.015 * codes.shape[0])


def image_kind(stats: PixelStats, text_lines: int) -> str:
    """One of: photo, screenshot, document, graphic."""
    if stats.flat_share < PHOTO_MAX_FLAT:
        return "photo"
    light = sum(stats.background) / 3 > 200
    if text_lines >= 2 and light and not stats.has_bars and stats.saturated_share < 0.05:
        return "document"
    if text_lines >= 1:
        return "screenshot"
    return "graphic"


def dominant_colours(image: Image.Image, limit: int = 3, min_share: float = 0.08) -> list[tuple[str, float]]:
    """Plain colour names covering at least `min_share` of the picture, most common first."""
    small = np.asarray(image.convert("RGB").resize(_fit(image.size, 160), Image.Resampling.BOX))
    pixels = small.reshape(-1, 3)
    codes = _quantised(pixels)
    shares: Counter[str] = Counter()
    for code, count in zip(*np.unique(codes, return_counts=True), strict=True):
        mean = pixels[codes == code].mean(axis=0)
        shares[colour_name(_rgb(mean))] += int(count)
    total = len(pixels)
    return [(name, n / total) for name, n in shares.most_common(limit) if n / total >= min_share]


def region_colours(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[str, str]:
    """(background, text) colour names inside `box`, the text box of a label or button.

    The background is the commonest colour in a margin around the box; the text colour is
    the commonest colour inside the box that differs clearly from it."""
    w, h = image.size
    pad = max(4, (box[3] - box[1]) // 3)
    outer = (max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad), min(h, box[3] + pad))
    region = np.asarray(image.convert("RGB").crop(outer)).reshape(-1, 3).astype(np.int32)
    codes = _quantised(region)
    values, counts = np.unique(codes, return_counts=True)
    bg_code = values[counts.argmax()]
    bg = region[codes == bg_code].mean(axis=0)
    far = np.abs(region - bg).sum(axis=1) > 150
    if not far.any():
        return colour_name(_rgb(bg)), colour_name(_rgb(bg))
    far_codes = codes[far]
    fv, fc = np.unique(far_codes, return_counts=True)
    fg = region[far][far_codes == fv[fc.argmax()]].mean(axis=0)
    return colour_name(_rgb(bg)), colour_name(_rgb(fg))
