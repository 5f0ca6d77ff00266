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


def keycap_line(before: str, cap: str, after: str) -> tuple[np.ndarray, list[tuple[int, int, int, int]], int]:
    """A line of text with one word drawn as a key cap (a grey outline with room around the
    word), the one text box text detection gives for the whole line, and the cap's middle."""
    img = Image.new("RGB", (700, 160), "white")
    draw = ImageDraw.Draw(img)
    f = font(22)
    x = 30
    draw.text((x, 65), before, fill="black", font=f)
    x += int(draw.textlength(before + " ", font=f))
    width = int(draw.textlength(cap, font=f))
    draw.rounded_rectangle((x, 56, x + width + 20, 98), radius=5, outline=(120, 120, 120), width=2)
    middle = x + (width + 20) // 2
    draw.text((x + 10, 65), cap, fill="black", font=f)
    x += width + 20 + int(draw.textlength(" ", font=f))
    draw.text((x, 65), after, fill="black", font=f)
    x += int(draw.textlength(after, font=f))
    return np.asarray(img), [(26, 60, x + 4, 94)], middle


def test_a_key_cap_in_a_line_of_text_is_not_a_button():
    """The line's box has its centre on the key cap (and short words: it would be said as a
    button "Press Ctrl and C"), but it runs out of the cap on both sides."""
    rgb, boxes, middle = keycap_line("Press", "Ctrl", "and C")
    assert abs((boxes[0][0] + boxes[0][2]) / 2 - middle) < 20  # the case a centre-only check misses
    assert find_widgets(rgb, boxes).button_faces == []


def test_a_button_whose_text_box_runs_a_little_out_of_its_face_is_still_a_button():
    """Detection boxes run a few pixels out of a tight face (bench/eval: up to 5 pixels, 0.15
    of the box's height); that is the button's own label, not a line crossing it."""
    img = Image.new("RGB", (400, 160), "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((100, 60, 200, 92), radius=4, outline=(120, 120, 120), width=2)
    draw.text((150, 76), "Cancel", fill="black", font=font(18), anchor="mm")
    for box in [(104, 63, 196, 89), (104, 56, 196, 90)]:  # inside the face, and 4-6 pixels out of its top
        faces = find_widgets(np.asarray(img), [box]).button_faces
        assert faces and all(abs(f.box[0] - 100) <= 3 and abs(f.box[2] - 200) <= 3 for f in faces), box
