"""The Qt-free controller, driven as the GUI and the CLI drive it: one queue, cancel, history,
re-open, repeat, settings that take effect at once. And the engine's input-picture verdict."""

from __future__ import annotations

import threading

import pytest

from assistant.config import Settings
from assistant.controller import Controller, Finished, Notice, PictureShown, TranscriptLine
from assistant.engine import Engine
from assistant.events import ErrorEvent, PictureVerdict, Request, Result, SafetyVerdict, TextChunk, options_for
from assistant.safety import SafetyGate

from .conftest import render_text


class Tagged:
    """A backend that says which model preset it was built for."""

    name = "vlm"

    def __init__(self, model: str):
        self.model = model

    def describe(self, image, detail="quick", cancel=None):
        yield f"Described by {self.model}."

    def ask(self, image, question, history=None, cancel=None):
        yield f"{self.model} heard {len(history or [])} earlier turns."


class Recorder:
    def __init__(self):
        self.events = []
        self.done = threading.Event()

    def __call__(self, event):
        self.events.append(event)
        if isinstance(event, Finished):
            self.done.set()

    def wait(self):
        assert self.done.wait(30), "the request never finished"
        self.done.clear()
        return [e for e in self.events if isinstance(e, Finished)][-1].what


def _controller(settings, **kwargs):
    def build(s):
        engine = Engine(settings=s, gate=SafetyGate())
        engine._build_backend = lambda kind: Tagged(engine.settings.models.vlm_preset)
        return engine

    controller = Controller(settings, engine_factory=build, **kwargs)
    recorder = Recorder()
    controller.add_listener(recorder)
    return controller, recorder


def _picture():
    return render_text(["Hello"], size=(200, 80))


def test_a_new_description_model_is_used_after_the_settings_change(home):
    settings = Settings()
    settings.models.backend, settings.models.vlm_preset = "vlm", "model-a"
    controller, recorder = _controller(settings)
    controller.submit("describe", image=_picture())
    assert recorder.wait() == "result:describe"
    changed = Settings()
    changed.models.backend, changed.models.vlm_preset = "vlm", "model-b"
    controller.apply_settings(changed)
    controller.submit("describe")
    assert recorder.wait() == "result:describe"
    results = [e for e in recorder.events if isinstance(e, Result)]
    assert [r.text for r in results] == ["Described by model-a.", "Described by model-b."]
    assert Settings.load().models.vlm_preset == "model-b"  # and it was saved
    controller.close()


def test_follow_ups_carry_the_description_and_earlier_answers(home):
    settings = Settings()
    settings.models.backend = "vlm"
    controller, recorder = _controller(settings)
    controller.submit("describe", image=_picture())
    recorder.wait()
    controller.submit("ask", text="what?")
    recorder.wait()
    answer = [e for e in recorder.events if isinstance(e, Result)][-1]
    assert answer.text.endswith("heard 1 earlier turns.")
    controller.close()


def test_a_newer_request_cancels_the_running_one(home):
    release = threading.Event()

    class Slow(Tagged):
        def describe(self, image, detail="quick", cancel=None):
            yield "First words "
            while not cancel.is_set() and not release.wait(0.01):
                pass
            yield "never heard."

    settings = Settings()
    settings.models.backend = "vlm"
    controller, recorder = _controller(settings)
    engine = controller.engine()
    engine._build_backend = lambda kind: Slow("slow")
    controller.submit("describe", image=_picture())
    threading.Timer(0.3, lambda: controller.submit("ask", text="and now?")).start()
    assert recorder.wait() == "error:cancelled"
    assert recorder.wait() == "result:ask"
    spoken = "".join(e.text for e in recorder.events if isinstance(e, TextChunk))
    assert "never heard" not in spoken
    controller.close()


def test_repeat_and_history_reopen(home):
    from assistant.history import HistoryStore

    store = HistoryStore()
    capture = store.add_capture(_picture(), "screen")
    store.add_entry(capture, "describe", "A greeting.")
    said = []

    class Voice:
        def __getattr__(self, name):
            return lambda *args: said.append((name, *args))

    controller, recorder = _controller(Settings(), history=store, speech=Voice())
    controller.repeat()
    assert any("nothing to repeat" in str(e.text) for e in recorder.events if isinstance(e, Notice))
    assert controller.reopen(capture)
    assert any(isinstance(e, PictureShown) and e.description == "A greeting." for e in recorder.events)
    assert any(isinstance(e, TranscriptLine) and e.text == "A greeting." for e in recorder.events)
    controller.repeat()
    assert ("say", "A greeting.") in [(name, str(text)) for name, text, *_ in said if name == "say"]
    controller.close()
    store.close()


# ---- the input picture's own verdict ------------------------------------------------------------
class Flagging(SafetyGate):
    def check_image(self, image):
        return SafetyVerdict(allowed=False, image_score=0.99, reason="explicit")


def _run(mode: str):
    settings = Settings()
    settings.safety.picture_check = mode
    engine = Engine(settings=settings, gate=Flagging(), backends={"embedded": Tagged("offline")})
    request = Request("describe", image=_picture(), options=options_for("describe", backend="embedded"))
    return engine, list(engine.run(request))


def test_a_flagged_picture_is_named_first_and_the_preview_blurred():
    engine, events = _run("warn")
    verdict = next(e for e in events if isinstance(e, PictureVerdict))
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    assert verdict.flagged and chunks[0].startswith("Warning: this picture may contain explicit content.")
    assert events.index(verdict) < events.index(next(e for e in events if isinstance(e, TextChunk)))
    result = events[-1]
    assert isinstance(result, Result) and result.picture_warning and result.text.startswith("Warning:")
    follow_up = engine.run_to_result(Request("ask", text="and?", options=options_for("ask", backend="embedded")))
    assert not follow_up.text.startswith("Warning")  # said once per picture


def test_a_flagged_picture_can_be_withheld_or_not_checked():
    _, events = _run("withhold")
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "blocked"
    assert not any(isinstance(e, TextChunk) for e in events)
    _, events = _run("off")
    assert not any(isinstance(e, PictureVerdict) for e in events) and events[-1].text == "Described by offline."


# ---- settings are checked when they load ----------------------------------------------------------
@pytest.mark.parametrize(
    "text, field, expected",
    [
        ("[safety]\ntext_threshold = 7\n", ("safety", "text_threshold"), 0.8),
        ("[safety]\nimage_threshold = 'high'\n", ("safety", "image_threshold"), 0.8),
        ("[safety]\npicture_check = 'maybe'\n", ("safety", "picture_check"), "warn"),
        ("[speech]\nrate = true\n", ("speech", "rate"), 180),
        ("[models]\nmax_new_tokens = 0\n", ("models", "max_new_tokens"), 160),
        ("[outputs]\nspeak_with = 'telepathy'\n", ("outputs", "speak_with"), "auto"),
    ],
)
def test_bad_setting_values_get_a_sentence_and_the_default(home, text, field, expected):
    path = home / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    settings = Settings.load(path)
    assert getattr(getattr(settings, field[0]), field[1]) == expected
    assert len(settings.problems) == 1 and f"{field[0]}.{field[1]}" in settings.problems[0]
    assert "Error" not in settings.problems[0]


def test_good_values_load_and_old_hotkey_names_are_migrated(home):
    path = home / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[safety]\ntext_threshold = 0.5\n[ui.hotkeys]\nask = "ctrl+alt+shift+a"\nread_text = "ctrl+alt+f"\n'
    )
    settings = Settings.load(path)
    assert settings.safety.text_threshold == 0.5 and settings.problems == []
    assert settings.ui.hotkeys == {"focus_question": "ctrl+alt+shift+a", "read_screen": "ctrl+alt+f"}


# ---- model servers through the engine: marker, fallback, never chosen by auto -------------------
class Failing(Tagged):
    name = "remote"
    marker = "(from Nowhere)"

    def describe(self, image, detail="quick", cancel=None):
        from assistant.errors import RemoteUnavailable

        raise RemoteUnavailable("Nothing is answering at localhost:9.", reason="refused", provider="x")
        yield ""


class Answering(Tagged):
    name = "remote"
    marker = "(from Somewhere)"


def _remote_engine(backend, fallback: bool):
    settings = Settings()
    settings.models.backend = "remote"
    settings.remote.provider = "x"
    settings.remote.fallback_to_local = fallback
    return Engine(settings=settings, backends={"remote:x:": backend, "embedded": Tagged("local")})


def test_a_server_answer_ends_with_where_it_came_from():
    result = _remote_engine(Answering("big"), False).run_to_result(Request("describe", image=_picture()))
    assert result.text == "Described by big. (from Somewhere)" and result.backend == "remote"


def test_a_failing_server_falls_back_to_the_local_model_only_when_allowed():
    result = _remote_engine(Failing("x"), True).run_to_result(Request("describe", image=_picture()))
    assert isinstance(result, Result)
    assert result.text.startswith("Nothing is answering at localhost:9. Answering with the local model instead.")
    assert result.text.endswith("Described by local.")
    refused = _remote_engine(Failing("x"), False).run_to_result(Request("describe", image=_picture()))
    assert isinstance(refused, ErrorEvent) and refused.reason == "refused" and refused.exit_code == 3


def test_auto_never_picks_a_model_server():
    engine = Engine(settings=Settings())
    assert not engine.choose_backend(Request("describe")).startswith("remote")


def test_freed_memory_is_given_back_before_a_request_is_reported_done(home, monkeypatch):
    """A read leaves ~60 MB freed on the heap when its result arrives; the controller returns it
    (malloc_trim) before Finished, and again after the request's last cleanup (issue 10)."""
    import assistant.controller as controller_module

    order: list[str] = []
    monkeypatch.setattr(controller_module, "release_memory", lambda: order.append("trim"))
    controller, recorder = _controller(Settings())
    controller.add_listener(lambda event: order.append("finished") if isinstance(event, Finished) else None)
    controller.submit("describe", image=_picture(), options=options_for("describe", backend="vlm"))
    assert recorder.wait() == "result:describe"
    controller.close()
    assert order[:3] == ["trim", "finished", "trim"]
