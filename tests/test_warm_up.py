"""What the app loads in the background after its window shows, so the first key press does not
wait for it (issue 13, item 5): the OCR sessions and the input-picture check's classifier."""

from __future__ import annotations

from PIL import Image

from assistant.config import Settings
from assistant.controller import Controller
from assistant.engine import Engine


class WarmableBackend:
    name = "embedded"
    model = "warmable"

    def __init__(self):
        self.warmed = 0

    def warm_up(self):
        self.warmed += 1

    def describe(self, image, detail="quick", cancel=None):
        yield "A picture."

    def ask(self, image, question, history=None, cancel=None):
        yield "An answer."


def test_engine_warm_up_loads_the_ocr_and_the_picture_check():
    backend = WarmableBackend()
    engine = Engine(settings=Settings(), backends={"embedded": backend})
    assert engine.gate._nsfw is None
    engine.warm_up()
    assert backend.warmed == 1 and engine.gate._nsfw is not None
    # it only loads: no picture, no conversation, nothing to say
    assert engine.session.image is None and engine.session.history == [] and not engine.session.last_text


def test_no_picture_check_classifier_when_the_check_is_off():
    settings = Settings()
    settings.safety.picture_check = "off"
    backend = WarmableBackend()
    engine = Engine(settings=settings, backends={"embedded": backend})
    engine.warm_up()
    assert backend.warmed == 1 and engine.gate._nsfw is None


def test_the_warmed_classifier_gives_the_same_verdict():
    cold = Engine(settings=Settings(), backends={"embedded": WarmableBackend()})
    warm = Engine(settings=Settings(), backends={"embedded": WarmableBackend()})
    warm.warm_up()
    picture = Image.new("RGB", (320, 200), (200, 120, 90))
    assert warm.gate.check_image(picture) == cold.gate.check_image(picture)


def test_the_app_warms_the_engine_in_the_background(home):
    from ui.app import _warm

    backend = WarmableBackend()
    controller = Controller(Settings(), engine_factory=lambda s: Engine(settings=s, backends={"embedded": backend}))
    try:
        _warm(controller)
        assert backend.warmed == 1 and controller.engine().gate._nsfw is not None
    finally:
        controller.close()
