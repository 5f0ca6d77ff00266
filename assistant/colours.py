"""Plain-language colour names, shared by the blank guard and the embedded describer.

Names come from hue/lightness/saturation bands rather than a nearest-neighbour table, so
every RGB value gets a stable, human name ("dark blue", "light grey") a listener can picture.
"""

from __future__ import annotations

import colorsys

_HUES = [  # (upper hue bound in degrees, name)
    (15, "red"),
    (40, "orange"),
    (65, "yellow"),
    (160, "green"),
    (190, "teal"),
    (250, "blue"),
    (290, "purple"),
    (335, "pink"),
    (360, "red"),
]


def colour_name(rgb: tuple[int, int, int]) -> str:
    r, g, b = (c / 255.0 for c in rgb[:3])
    h, l, s = colorsys.rgb_to_hls(r, g, b)
    if l < 0.08:
        return "black"
    if l > 0.93:
        return "white"
    if s < 0.12 or (l < 0.18 and s < 0.3):
        if l < 0.3:
            return "dark grey"
        return "light grey" if l > 0.7 else "grey"
    deg = h * 360
    hue = next(name for bound, name in _HUES if deg < bound)
    if hue == "orange" and l < 0.35:
        return "brown"
    if l < 0.3:
        return f"dark {hue}"
    if l > 0.75:
        return f"light {hue}"
    return hue
