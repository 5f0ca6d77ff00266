"""Every output path passes the safety gate: every engine intent, every CLI command, every text
sink of the desktop app. The gate here masks every word (text threshold 0), so any word a user
could see or hear that did not pass it shows up. The only words allowed through are the app's
own constant sentences, marked with safety.trusted("...") (a literal: test_layers checks that).

A new intent, CLI command or sink without a case here fails `test_every_*_is_covered`."""

from __future__ import annotations

import ast
import io
import re
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from PIL import Image

from assistant.config import Settings
from assistant.engine import Engine
from assistant.events import (
    OPTIONS_FOR_INTENT,
    ErrorEvent,
    PictureVerdict,
    Progress,
    Request,
    Result,
    TextChunk,
    options_for,
)
from assistant.safety import SafetyGate

from ..conftest import render_text
from .imports import sources

WORD = re.compile(r"[A-Za-z]{2,}")


def _trusted_words() -> set[str]:
    words = {"filtered"}  # what a masked word becomes
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "trusted" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    words.update(w.lower() for w in WORD.findall(arg.value))
    return words


TRUSTED = _trusted_words()


def ungated(text: str) -> list[str]:
    return [w for w in WORD.findall(str(text)) if w.lower() not in TRUSTED]


class Speaking:
    """A backend whose every answer is made of ordinary words (all masked by this gate)."""

    name, model = "embedded", "speaking"

    def describe(self, image, detail="quick", cancel=None):
        yield from ["A red square ", "on a white page. ", "It says hello."]

    def ask(self, image, question, history=None, cancel=None):
        yield f"You asked about {question}."

    def read_text(self, image):
        from assistant.vision.base import TextLine

        return [TextLine("Quarterly report", (0, 0, 90, 20)), TextLine("Total due", (0, 30, 90, 50))]


def _texts(event) -> list[str]:
    if isinstance(event, Progress):
        return [event.message]
    if isinstance(event, TextChunk):
        return [event.text]
    if isinstance(event, ErrorEvent):
        return [event.message]
    if isinstance(event, Result):
        # extra holds numbers, paths and labels for programs (the CLI's JSON gates them again)
        out = [event.text, *event.slots.values(), *(line.text for line in event.lines or [])]
        return out + ([event.picture_warning] if event.picture_warning else [])
    assert isinstance(event, PictureVerdict), event
    return []


def _speech_wav(tmp_path) -> Path:
    path = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "describe the screen please"], check=True, timeout=60)
    return path


# ---- engine intents ------------------------------------------------------------------------------
def _intent_cases(tmp_path) -> dict[str, Request]:
    picture = render_text(["Quarterly report", "Total due"], size=(400, 120))
    return {
        "describe": Request("describe", image=picture),
        "ask": Request("ask", image=picture, text="what colour is the square?"),
        "read_text": Request("read_text", image=picture),
        "edit": Request("edit", image=picture, text="invert the colours"),
        "undo": Request("undo"),
        "redo": Request("redo"),
        "generate": Request("generate", text="a lighthouse at sunset", options=options_for("generate", size="64x64")),
        "transcribe": Request("transcribe", options=options_for("transcribe", audio=str(_speech_wav(tmp_path)))),
        "utterance": Request("utterance", image=picture, text="what does the sign say about opening hours?"),
    }


def test_every_engine_intent_is_covered(tmp_path):
    assert set(_intent_cases(tmp_path)) == set(OPTIONS_FOR_INTENT)


@pytest.mark.espeak
def test_every_engine_intent_says_only_gated_words(tmp_path, home):
    settings = Settings()
    settings.models.backend = "embedded"
    engine = Engine(settings=settings, gate=SafetyGate(text_threshold=0.0), backends={"embedded": Speaking()})
    for intent, request in _intent_cases(tmp_path).items():
        events = list(engine.run(request))
        assert isinstance(events[-1], (Result, ErrorEvent)), intent
        for event in events:
            for text in _texts(event):
                assert ungated(text) == [], f"{intent}: {type(event).__name__} says {text!r}"


# ---- CLI commands --------------------------------------------------------------------------------
def _cli_cases(tmp_path) -> dict[str, list[str]]:
    picture = tmp_path / "page.png"
    render_text(["Quarterly report", "Total due"], size=(400, 120)).save(picture)
    return {
        "describe": ["describe", str(picture)],
        "ask": ["ask", str(picture), "what colour is the square?"],
        "read": ["read", str(picture), "--json"],
        "edit": ["edit", str(picture), "invert the colours", "-o", str(tmp_path / "out.png")],
        "generate": ["generate", "a lighthouse", "-o", str(tmp_path / "drawn.png"), "--size", "64x64"],
        "say": ["say", "hello there", "--to", str(tmp_path / "said.wav")],
        "transcribe": ["transcribe", str(_speech_wav(tmp_path))],
        "listen": ["listen", "--seconds", "1"],
        "route": ["route", "please read the sign to me", "--has-image"],
        "trigger": ["trigger", "describe_screen"],
        "models list": ["models", "list"],
        "models pull": ["models", "pull", "smolvlm-256m"],
        "models verify": ["models", "verify", "minilm"],
        "models remove": ["models", "remove", "smolvlm-256m"],
        "models add-local": ["models", "add-local", "mine", str(tmp_path / "nowhere"), "--task", "autoencoder"],
        "models providers": ["models", "providers"],
        "models test": ["models", "test", "custom"],
        "models key": ["models", "key", "custom", "--delete"],
    }


def _cli_commands() -> set[str]:
    from assistant.cli import build_parser

    parser = build_parser()
    names = set()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():
            nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
            names.update(f"{name} {n}" for a in nested for n in a.choices) if nested else names.add(name)
    return names


def test_every_cli_command_is_covered(tmp_path):
    assert set(_cli_cases(tmp_path)) == _cli_commands()


@pytest.mark.espeak
def test_every_cli_command_prints_only_gated_words(tmp_path, home):
    from assistant.cli import main as cli_main
    from assistant.cli import output

    settings = Settings()
    settings.safety.text_threshold = 0.0  # the CLI's own printer and the engine read it
    settings.models.backend = "embedded"
    settings.save()
    output.gate.cache_clear()
    try:
        for name, argv in _cli_cases(tmp_path).items():
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                cli_main(argv)
            said = out.getvalue() + err.getvalue()
            assert ungated(said) == [], f"{name} printed {said!r}"
    finally:
        output.gate.cache_clear()


# ---- the desktop app's sinks ---------------------------------------------------------------------
SINKS = {"transcript", "status", "announcements", "speech", "picture description", "history list"}


@pytest.mark.espeak
def test_every_text_sink_of_the_app_shows_only_gated_words(qtbot, tmp_path, home, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from assistant.controller import Controller
    from assistant.history import HistoryStore
    from ui import announce
    from ui.main_window import MainWindow

    settings = Settings()
    settings.safety.text_threshold = 0.0
    settings.speech.enabled = False
    spoken: list[str] = []

    class Voice:
        def __getattr__(self, name):
            return lambda *args: spoken.extend(str(a) for a in args if isinstance(a, str))

    store = HistoryStore()
    old = store.add_capture(Image.new("RGB", (40, 30), "yellow"), "screen")
    store.add_entry(old, "describe", "A yellow square from an earlier day.")

    def engine(s):
        return Engine(settings=s, backends={"embedded": Speaking()})

    controller = Controller(settings, history=store, speech=Voice(), engine_factory=engine)
    window = MainWindow(controller)
    qtbot.addWidget(window)
    announce.announced.clear()
    path = tmp_path / "page.png"
    render_text(["Quarterly report"], size=(300, 80)).save(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    for step in (
        lambda: window.trigger("open_file"),
        lambda: (window.question.setText("what is it?"), window.trigger("ask")),
        lambda: window.trigger("read_text"),
        lambda: (window.question.setText("make it brighter"), window.trigger("edit")),
        lambda: window.trigger("undo"),
    ):
        with qtbot.waitSignal(window.job_done, timeout=60000):
            step()
    window.trigger("repeat")
    window.trigger("history")
    window.history_view.list.setCurrentRow(0)
    window.reopen_capture(old)
    window.open_path(str(tmp_path / "missing.png"))  # an error that quotes the user's file name
    seen = {
        "transcript": window.transcript.toPlainText(),
        "status": window.status_label.text(),
        "announcements": "\n".join(announce.announced),
        "speech": "\n".join(spoken),
        "picture description": window.preview.accessibleDescription(),
        "history list": "\n".join(
            window.history_view.list.item(i).text() for i in range(window.history_view.list.count())
        )
        + window.history_view.details.toPlainText(),
    }
    assert set(seen) == SINKS
    for sink, text in seen.items():
        assert text, f"nothing reached the {sink}: the test did not exercise it"
        assert ungated(text) == [], f"{sink}: {text!r}"
    controller.close()
    store.close()
