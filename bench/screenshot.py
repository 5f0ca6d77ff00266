"""A 1920x1080 text-heavy synthetic screenshot drawn with a real TrueType font.

Benchmarks import `render_screenshot()` so every backend is timed on the same picture: a
window title bar, a menu bar, two columns of body text, an error message and two buttons.
The text is fixed so OCR output can be checked word for word (see SCREENSHOT_TEXT).
"""

from __future__ import annotations

import os

from PIL import Image, ImageDraw, ImageFont

SIZE = (1920, 1080)
FONT_DIR = "/usr/share/fonts/truetype/dejavu"

TITLE = "Quarterly Report - Notes Editor"
MENU = ["File", "Edit", "View", "Insert", "Format", "Help"]
LEFT_COLUMN = [
    "Sales grew by twelve percent this quarter.",
    "The northern region led with new customers.",
    "Online orders doubled since the spring launch.",
    "Returns fell after the packaging redesign.",
    "Support tickets were answered within a day.",
    "Two new stores opened in the coastal towns.",
    "Inventory levels stayed close to the target.",
    "Marketing spent less than the planned budget.",
    "The loyalty scheme now has forty thousand members.",
    "Delivery times improved by almost two days.",
    "Staff training finished before the holidays.",
    "Energy costs rose slightly in the warehouses.",
]
RIGHT_COLUMN = [
    "Next steps for the coming quarter:",
    "Hire three engineers for the mobile team.",
    "Move the billing system to the new servers.",
    "Survey customers about the delivery options.",
    "Review supplier contracts before renewal.",
    "Publish the accessibility statement online.",
    "Plan the summer sale with the design team.",
    "Reduce paper use in every regional office.",
    "Test the checkout flow with screen readers.",
    "Report progress at the board meeting in May.",
]
ERROR_MESSAGE = "Error: the file could not be saved."
BUTTONS = [("Save", (40, 110, 200)), ("Delete", (200, 40, 40))]

SCREENSHOT_TEXT = [TITLE, *MENU, *LEFT_COLUMN, *RIGHT_COLUMN, ERROR_MESSAGE, *(b[0] for b in BUTTONS)]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if os.path.exists(path):
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _title_bar(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, SIZE[0], 48), fill=(45, 45, 52))
    draw.text((24, 10), TITLE, fill="white", font=_font(24, bold=True))
    for i, colour in enumerate([(90, 90, 96)] * 3):  # minimise / maximise / close squares
        x = SIZE[0] - 150 + i * 48
        draw.rectangle((x, 12, x + 28, 36), outline=colour, width=2)


def _menu_bar(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 48, SIZE[0], 92), fill=(236, 236, 240))
    x = 24
    font = _font(20)
    for item in MENU:
        draw.text((x, 58), item, fill=(20, 20, 20), font=font)
        x += int(draw.textlength(item, font=font)) + 44


def _column(draw: ImageDraw.ImageDraw, lines: list[str], x: int, y: int) -> None:
    font = _font(26)
    for line in lines:
        draw.text((x, y), line, fill=(25, 25, 25), font=font)
        y += 46


def _button(draw: ImageDraw.ImageDraw, label: str, colour: tuple[int, int, int], x: int, y: int) -> None:
    draw.rounded_rectangle((x, y, x + 220, y + 64), radius=10, fill=colour)
    font = _font(26, bold=True)
    width = draw.textlength(label, font=font)
    draw.text((x + (220 - width) / 2, y + 16), label, fill="white", font=font)


def render_screenshot() -> Image.Image:
    """The benchmark screenshot: 1920x1080 RGB, deterministic."""
    img = Image.new("RGB", SIZE, (250, 250, 252))
    draw = ImageDraw.Draw(img)
    _title_bar(draw)
    _menu_bar(draw)
    _column(draw, LEFT_COLUMN, 80, 150)
    draw.line((960, 140, 960, 720), fill=(210, 210, 215), width=2)  # column rule
    _column(draw, RIGHT_COLUMN, 1040, 150)
    draw.rectangle((80, 780, 900, 840), fill=(253, 236, 236), outline=(200, 40, 40), width=2)
    draw.text((100, 794), ERROR_MESSAGE, fill=(160, 20, 20), font=_font(26))
    for i, (label, colour) in enumerate(BUTTONS):
        _button(draw, label, colour, 1380 + i * 260, 940)
    return img


if __name__ == "__main__":
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "screenshot.png"
    render_screenshot().save(out)
    print(out)
