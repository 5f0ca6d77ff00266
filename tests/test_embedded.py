"""The embedded offline backend, with its real models (rapidocr, EfficientNet-Lite0)."""

import io
import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw

from assistant.vision.base import TextLine
from tests.conftest import font, render_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def backend():
    from assistant.vision.embedded import EmbeddedBackend

    return EmbeddedBackend()


@pytest.fixture(scope="session")
def screenshot():
    from bench.screenshot import render_screenshot

    return render_screenshot()


def _sample_photo(name):
    from sklearn.datasets import load_sample_image  # ships real photos; sklearn comes with alt-profanity-check

    return Image.fromarray(load_sample_image(name))


def _text(chunks):
    return "".join(chunks)


def two_column_page():
    """A heading across the top, two aligned columns with a paragraph break at the same
    height in both, then a footer: reading order must finish the left column first."""
    img = Image.new("RGB", (1400, 760), "white")
    draw = ImageDraw.Draw(img)
    f = font(30)
    draw.text((60, 30), "Garden club newsletter", fill="black", font=font(40, bold=True))
    left = ["Tomatoes need sun", "Water them early", None, "Pick them when red"]
    right = ["Roses like clay soil", "Prune them in March", None, "Feed them in June"]
    for i, (a, b) in enumerate(zip(left, right, strict=False)):
        y = 150 + i * 70
        if a:
            draw.text((60, y), a, fill="black", font=f)
        if b:
            draw.text((760, y), b, fill="black", font=f)
    draw.text((60, 640), "Meetings every Tuesday", fill="black", font=f)
    return img


# ---- OCR ---------------------------------------------------------------------------------
def test_reads_rendered_words_exactly(backend):
    img = render_text(["Invoice number 4821", "Total due: 36 euros", "Pay by Friday"])
    lines = backend.read_text(img)
    assert [l.text for l in lines] == ["Invoice number 4821", "Total due: 36 euros", "Pay by Friday"]
    for line in lines:
        assert isinstance(line, TextLine) and line.box[2] > line.box[0] and line.box[3] > line.box[1]
        assert 0.5 <= line.confidence <= 1.0


def test_multi_column_reading_order(backend):
    lines = [l.text for l in backend.read_text(two_column_page())]
    assert lines == [
        "Garden club newsletter",
        "Tomatoes need sun",
        "Water them early",
        "Pick them when red",
        "Roses like clay soil",
        "Prune them in March",
        "Feed them in June",
        "Meetings every Tuesday",
    ]


def test_screenshot_text_in_order(backend, screenshot):
    from bench.screenshot import ERROR_MESSAGE, LEFT_COLUMN, RIGHT_COLUMN, TITLE

    texts = [l.text for l in backend.read_text(screenshot)]
    assert texts[0] == TITLE
    body = LEFT_COLUMN + RIGHT_COLUMN + [ERROR_MESSAGE, "Save", "Delete"]
    assert [t for t in texts if t in body] == body  # every body line, in reading order


def test_ocr_is_cached_per_image(backend, monkeypatch):
    img = render_text(["Cached once", "Read twice"])
    calls = []
    real = backend._reader.recognise_one
    monkeypatch.setattr(backend._reader, "recognise_one", lambda *a: calls.append(1) or real(*a))
    first = _text(backend.describe(img))
    again = backend.read_text(img.copy())  # equal pixels, different object: same analysis
    assert "Cached once" in first and [l.text for l in again] == ["Cached once", "Read twice"]
    assert len(calls) == len(backend.analyse(img).quads)  # every detected region read once


def test_concurrent_requests_for_one_image_ocr_it_once(backend, monkeypatch):
    img = render_text(["Two threads", "one OCR pass"])
    calls, results = [], []
    real = backend._reader.recognise_one
    monkeypatch.setattr(backend._reader, "recognise_one", lambda *a: calls.append(1) or real(*a))
    threads = [threading.Thread(target=lambda: results.append(backend.read_text(img.copy()))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == len(backend.analyse(img).quads)
    assert [[l.text for l in r] for r in results] == [["Two threads", "one OCR pass"]] * 3


def test_ocr_never_downloads(monkeypatch):
    """The models come from inside the rapidocr package: its download code is never reached."""
    from rapidocr.utils import download_file

    from assistant.vision.ocr import TextReader, to_bgr

    def refuse(*args, **kwargs):
        raise AssertionError("rapidocr tried to download a file")

    monkeypatch.setattr(download_file.DownloadFile, "run", staticmethod(refuse))
    reader = TextReader()
    img = to_bgr(render_text(["Offline only"]))
    assert [l.text for l in reader.recognise(img, reader.detect(img))] == ["Offline only"]


# ---- layout (pure geometry) ---------------------------------------------------------------
def test_pieces_of_one_line_are_merged_but_columns_are_not():
    from assistant.vision.layout import reading_order

    pieces = [
        TextLine("world", (130, 10, 200, 40)),
        TextLine("Hello", (20, 10, 120, 40)),
        TextLine("Far", (600, 12, 660, 40)),
        TextLine("Below", (20, 60, 120, 90)),
        TextLine("Right", (600, 60, 700, 90)),
    ]
    assert [l.text for l in reading_order(pieces)] == ["Hello world", "Below", "Far", "Right"]
    assert reading_order(pieces)[0].box == (20, 10, 200, 40)


# ---- describe ------------------------------------------------------------------------------
def test_describe_screenshot_streams_short_first_sentence(backend, screenshot):
    chunks = list(backend.describe(screenshot))
    first = chunks[0].strip()
    assert len(chunks) > 2
    assert first.startswith("A window titled “Quarterly Report - Notes Editor”") and first.endswith(".")
    assert len(first.split()) <= 20
    rest = "".join(chunks[1:])
    assert "two columns" in rest
    assert "The menu bar has File, Edit, View, Insert, Format and Help." in rest
    assert "Error: the file could not be saved." in rest
    assert "possibly" not in "".join(chunks)  # no ImageNet hint on a screenshot


def test_describe_document(backend):
    img = render_text(["Dear Sam,", "The meeting moved to Friday.", "Bring the report."], size=(900, 400))
    text = _text(backend.describe(img, detail="full"))
    assert text.startswith("A text document")
    assert "The meeting moved to Friday." in text


def test_photo_and_document_kinds(backend):
    photo = backend.analyse(_sample_photo("flower.jpg"))
    backend.detect(photo)
    assert photo.kind == "photo"
    doc = backend.analyse(render_text(["A page of text", "with two lines"]))
    backend.detect(doc)
    assert doc.kind == "document"
    described = _text(backend.describe(_sample_photo("flower.jpg")))
    assert described.startswith("A photo") and "smolvlm-256m" in described


def test_screenshot_saved_as_jpeg_is_still_a_screenshot(backend, screenshot):
    buf = io.BytesIO()
    screenshot.save(buf, "JPEG", quality=75)
    a = backend.analyse(Image.open(buf).convert("RGB"))
    backend.detect(a)
    assert a.kind == "screenshot"


def test_hints_only_for_confident_photos(screenshot):
    from assistant.config import EmbeddedSettings
    from assistant.vision.embedded import HINT_MIN_PROBABILITY, EmbeddedBackend

    backend = EmbeddedBackend(settings=EmbeddedSettings(imagenet_hints=True))
    assert backend.hint(backend.analyse(screenshot)) is None
    assert backend.hint(backend.analyse(render_text(["Not a photo"]))) is None
    rng = np.random.default_rng(1)
    texture = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    assert backend.hint(backend.analyse(texture)) is None
    photo = backend.analyse(_sample_photo("china.jpg"))
    hint = backend.hint(photo)
    assert hint is None or hint.probability >= HINT_MIN_PROBABILITY


def test_photo_texture_is_not_read_as_text(backend):
    photo = _sample_photo("china.jpg")
    for line in backend.read_text(photo):
        assert line.box[3] - line.box[1] <= 0.4 * photo.height


def test_a_captured_button_filling_the_picture_is_read(backend):
    img = Image.new("RGB", (300, 90), (40, 110, 200))
    ImageDraw.Draw(img).text((40, 10), "Send", fill="white", font=font(60, bold=True))
    assert [l.text for l in backend.read_text(img)] == ["Send"]
    assert "blue" in _text(backend.ask(img, "what colour is the Send button?"))


def test_classifier_is_plausible_on_a_real_photo(backend):
    top = backend._classifier.top(_sample_photo("china.jpg"), k=3)
    assert {g.label for g in top} & {"palace", "bell cote", "monastery", "stupa", "castle", "church"}
    assert 0.0 < top[0].probability <= 1.0 and top[0].probability >= top[1].probability


def test_cancel_stops_after_first_sentence(backend):
    cancel = threading.Event()
    chunks = []
    for chunk in backend.describe(render_text(["Stop after this", "Not this"]), cancel=cancel):
        chunks.append(chunk)
        cancel.set()
    assert len(chunks) == 1


# ---- colours -------------------------------------------------------------------------------
def test_colour_names_on_solid_patches(backend):
    from assistant.vision.kinds import dominant_colours

    img = Image.new("RGB", (400, 400), (220, 30, 30))
    draw = ImageDraw.Draw(img)
    draw.rectangle((240, 0, 400, 199), fill=(30, 60, 200))  # red 30%, blue 20%, green 50%
    draw.rectangle((0, 200, 400, 400), fill=(30, 160, 60))
    names = [name for name, _ in dominant_colours(img)]
    assert names == ["green", "red", "blue"]
    answer = _text(backend.ask(img, "What colours are in this picture?"))
    assert "green" in answer and "red" in answer and "blue" in answer


# ---- ask -----------------------------------------------------------------------------------
def test_what_does_it_say(backend):
    img = render_text(["Platform 4", "Train to Leeds"])
    answer = _text(backend.ask(img, "What does it say?"))
    assert "Platform 4" in answer and "Train to Leeds" in answer


def test_what_does_the_red_button_say(backend, screenshot):
    answer = _text(backend.ask(screenshot, "What does the red button say?"))
    assert "Delete" in answer and "Save" not in answer
    assert "Save" in _text(backend.ask(screenshot, "what does the blue button say"))


def test_error_message_questions(backend, screenshot):
    yes = _text(backend.ask(screenshot, "Is there an error message?"))
    assert yes.startswith("Yes") and "Error: the file could not be saved." in yes
    no = _text(backend.ask(render_text(["All files saved", "Have a nice day"]), "is there an error?"))
    assert no.startswith("No")


def test_title_question(backend, screenshot):
    assert "Quarterly Report - Notes Editor" in _text(backend.ask(screenshot, "What is the title?"))


def test_layout_question(backend, screenshot):
    assert "bottom right" in _text(backend.ask(screenshot, "Where is the Delete button?"))


@pytest.mark.parametrize(
    "question", ["Is there a dog in this picture?", "Who is the person on the left?", "Is the woman smiling?"]
)
def test_honest_answer_when_it_cannot_tell(backend, question):
    answer = _text(backend.ask(_sample_photo("flower.jpg"), question))
    assert "can't tell" in answer
    assert "smolvlm-256m" in answer and "screen-assistant models pull smolvlm-256m" in answer
    assert not answer.lower().startswith(("yes", "no"))


def test_first_sentence_wording():
    from assistant.vision.classify import Guess
    from assistant.vision.embedded import first_sentence

    assert (
        first_sentence("photo", [("white", 0.6), ("blue", 0.2)], 0, Guess("ice bear", 0.8))
        == "A photo, possibly showing an ice bear, mostly white and blue, with no text."
    )
    assert (
        first_sentence("screenshot", [("white", 0.9)], 12, None)
        == "A screenshot, mostly white, with about 12 lines of text."
    )


def test_tightly_spaced_paragraph_keeps_line_order():
    """Detector boxes of 10-point text overlap vertically; stacked lines must not be read as
    one row sorted by x (seen on a real app screenshot: lines 2 and 3 were swapped)."""
    from assistant.vision.base import TextLine
    from assistant.vision.layout import reading_order

    boxes = [
        (398, 71, 887, 94),
        (398, 85, 887, 107),
        (395, 95, 874, 122),
        (396, 111, 859, 137),
        (395, 121, 882, 150),
        (400, 141, 465, 160),
    ]
    lines = [TextLine(f"line{i}", box) for i, box in enumerate(boxes)]
    assert [l.text for l in reading_order(list(reversed(lines)))] == [f"line{i}" for i in range(6)]


def test_window_without_title_bar_starts_with_its_menu_not_a_title(backend):
    """Seen on the app under Xvfb (no window decorations): the menu bar was called the title."""
    from PIL import ImageDraw

    from tests.conftest import font

    img = Image.new("RGB", (1600, 900), (240, 240, 240))
    draw = ImageDraw.Draw(img)
    draw.text((8, 4), "File   Capture   Picture   Speech   Help", fill="black", font=font(15))
    draw.rectangle((8, 30, 300, 60), outline="grey")
    draw.text((14, 36), "Describe screen", fill="black", font=font(15))
    draw.rectangle((400, 80, 1580, 700), fill="white")
    draw.rectangle((0, 860, 1600, 900), fill=(40, 40, 60))  # status bar: window furniture
    draw.text((10, 868), "Ready", fill="white", font=font(15))
    for i, line in enumerate(
        ["Meeting notes for Tuesday", "Budget approved for the new printer", "Next review in two weeks"]
    ):
        draw.text((420, 100 + 40 * i), line, fill="black", font=font(22))
    text = _text(backend.describe(img))
    assert "The menu bar has File, Capture, Picture, Speech and Help." in text
    assert "title" not in text.lower()


def test_a_cached_analysis_keeps_no_second_copy_of_the_picture(backend):
    """Each cached analysis once held the picture twice more (an RGB copy and a BGR copy, ~12 MB
    for a full-HD screen, four analyses cached): the RGB picture is the caller's own, and the
    BGR pixels recognition needs are let go once every line is read."""
    img = render_text(["Memory matters", "Keep one copy"])
    a = backend.analyse(img)
    assert a.image is img
    backend.read_text(img)
    assert a.bgr is None
    again = backend.analyse(img.copy())  # same pixels: the cached analysis answers
    assert again is a and [l.text for l in backend.read_text(img)] == ["Memory matters", "Keep one copy"]
    line = backend.line_at(backend.analyse(render_text(["Read again later"])), 0)
    assert line is not None and line.text == "Read again later"


def test_descriptions_and_answers_let_the_bgr_copy_go(backend):
    """A photo never reads lines and finding a page's links makes the BGR copy again: after a
    description or an answer, the cached analysis no longer holds it (6 MB for full HD each, four
    analyses cached); a follow-up makes it again."""
    photo = _sample_photo("flower.jpg")
    _text(backend.describe(photo))
    assert backend.analyse(photo).bgr is None
    page = render_text(["Memory matters", "Keep one copy"])
    _text(backend.ask(page, "what does it say?"))
    assert backend.analyse(page).bgr is None
    assert "Memory matters" in _text(backend.ask(page, "what does it say?"))


def test_a_4k_screen_is_detected_in_bands_without_losing_or_doubling_a_line(monkeypatch):
    """Above ~1 MP of detection input the text detector runs on overlapping bands of rows
    (detection memory grows ~230 bytes a pixel: a 16-bit 10000x10000 scan peaked near 1.2 GB).
    A line lying across a band edge is found once, whole, and every line is still read."""
    from assistant.vision import ocr

    img = Image.new("RGB", (3840, 2160), "white")
    draw = ImageDraw.Draw(img)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    # 3840x2160 is detected at half size (1920x1080): bands of 520 rows overlapping by 160
    # (own rows 0-440, 440-800, 800-1080); lines straddle 880 and 1600 (full-size rows).
    tops = [60, 400, 860, 1040, 1250, 1560, 1590 + 40, 1760, 1900, 2050]
    for word, top in zip(words, tops, strict=True):
        draw.text((200 + 30 * len(word), top), f"{word} line of text", fill="black", font=font(44))
    bgr = ocr.to_bgr(img)
    assert len(ocr.bands(1080, 1920)) > 1
    calls = []
    reader = ocr.TextReader()
    engine = reader._load()
    original = type(engine).__call__
    monkeypatch.setattr(
        type(engine), "__call__", lambda self, im, **kw: calls.append(im.shape) or original(self, im, **kw)
    )
    quads = reader.detect(bgr)
    read = sorted((q[:, 1].mean(), reader.read_one(bgr, q)[0]) for q in quads)
    assert [text for _, text in read] == [f"{w} line of text" for w in words]
    assert len(calls) == 3 and all(h * w <= 1_100_000 for h, w, _ in calls)
