"""Button geometry (assistant/vision/widgets.py) on drawn rows of words; the real toolkits and
pages are in test_embedded_real.py."""

import numpy as np
from PIL import Image, ImageDraw

from assistant.vision.widgets import find_widgets
from tests.conftest import font


def row(words: list[tuple[str, bool]]) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Words on white, the (word, True) ones in a round outline close around them (xmessage's
    buttons), and one text box over the whole row, as text detection gives for such a row."""
    img = Image.new("RGB", (700, 160), "white")
    draw = ImageDraw.Draw(img)
    f = font(22)
    x = 30
    for word, outlined in words:
        width = int(draw.textlength(word, font=f))
        if outlined:
            draw.rounded_rectangle((x, 60, x + width + 14, 96), radius=17, outline="black")
        draw.text((x + 7, 65), word, fill="black", font=f)
        x += width + 14 + 4
    return np.asarray(img), [(26, 56, x, 100)]


def test_outlined_buttons_read_as_one_text_box_are_each_a_button():
    rgb, boxes = row([("Retry", True), ("Cancel", True)])
    faces = find_widgets(rgb, boxes).button_faces
    assert len(faces) == 2 and faces[0].box[2] < faces[1].box[0]
    assert all(f.source == boxes[0] for f in faces)  # their words are read from each one's own ink


def test_a_text_box_with_words_outside_the_outlines_has_no_buttons():
    """A line of text with an outlined word in it (an inline code span, a key cap) is not a
    row of buttons."""
    rgb, boxes = row([("Press", False), ("the", False), ("Retry", True)])
    assert find_widgets(rgb, boxes).button_faces == []
