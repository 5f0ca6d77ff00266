"""Fixtures for the desktop app tests: a real Engine with a small deterministic vision
backend (so flows are fast), a real history store and settings in an isolated home."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from assistant.config import Settings


def dominant_colour(image: Image.Image) -> str:
    r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    names = {
        "white": (255, 255, 255),
        "black": (0, 0, 0),
        "red": (220, 30, 30),
        "green": (30, 160, 30),
        "blue": (30, 30, 220),
        "yellow": (240, 220, 40),
    }
    return min(names, key=lambda n: sum((a - c) ** 2 for a, c in zip((r, g, b), names[n], strict=True)))


class MeasuringBackend:
    """A VisionBackend that reports facts it measures from the image it is given (size and
    dominant colour), so tests can tell which picture reached the engine. `hold` makes
    describe wait after its first chunk until cancelled or released (for the cancel test)."""

    name = "embedded"
    model = "measuring-test-backend"

    def __init__(self):
        self.hold = threading.Event()
        self.released = threading.Event()
        self.calls: list[tuple[str, tuple, list]] = []

    def describe(self, image, detail="quick", cancel=None):
        self.calls.append(("describe", image.size, []))
        yield f"A picture {image.width} by {image.height} pixels, "
        if self.hold.is_set():
            while not (cancel is not None and cancel.is_set()) and not self.released.wait(0.01):
                pass
        yield f"mostly {dominant_colour(image)}."

    def ask(self, image, question, history=None, cancel=None):
        self.calls.append(("ask", image.size, list(history or [])))
        yield f"You asked: {question.rstrip('?')}. "
        yield f"Earlier questions: {len(history or [])}. The picture is mostly {dominant_colour(image)}."

    def read_text(self, image):
        return []


@pytest.fixture
def backend():
    return MeasuringBackend()


@pytest.fixture
def settings(home):
    s = Settings()
    s.speech.enabled = False  # no audio device in CI; speech is exercised through the adapter hook
    s.save()
    return s


@pytest.fixture
def window(qtbot, settings, backend, home):
    from assistant.controller import Controller
    from assistant.engine import Engine
    from assistant.history import HistoryStore
    from assistant.speech.output import speaker_for
    from ui.main_window import MainWindow

    settings.models.backend = "embedded"
    spoken: list[str] = []
    speech = speaker_for(settings, notice=None)  # speech is off in these settings: text only
    speech.on_queued = lambda text, kind: spoken.append(text)
    controller = Controller(
        settings,
        history=HistoryStore(),
        speech=speech,
        engine_factory=lambda s: Engine(settings=s, backends={"embedded": backend}),
    )
    win = MainWindow(controller)
    win.spoken = spoken
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win
    controller.close()
    win.history.close()
