"""The embedded backend behind the engine (safety gate included) and the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.events import options_for
from tests.conftest import render_text

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine():
    from assistant.engine import Engine
    from assistant.vision.embedded import EmbeddedBackend

    return Engine(backends={"embedded": EmbeddedBackend()})


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "page.png"
    render_text(["Library opening hours", "Monday to Friday 9 to 5"], size=(900, 300)).save(path)
    return path


def test_auto_uses_embedded_without_the_picture_model(engine):
    from assistant.engine import Request

    assert engine.choose_backend(Request("describe")) == "embedded"
    assert engine.choose_backend(Request("ask", text="what does it say"), text_heavy=True) == "embedded"


def test_engine_describe_through_the_gate(engine, page):
    from assistant.engine import Progress, Request, Result, TextChunk

    events = list(engine.run(Request("describe", image=str(page), options=options_for("describe", backend="embedded"))))
    assert any(isinstance(e, Progress) for e in events)
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    result = events[-1]
    assert isinstance(result, Result), result
    assert result.backend == "embedded" and "rapidocr" in result.model
    assert result.text.startswith("A text document")
    assert "Library opening hours" in result.text
    assert "".join(chunks).strip() == result.text
    assert result.safety.allowed and "first_chunk" in result.timings_ms


def test_engine_ask_and_read(engine, page):
    from assistant.engine import Request, Result

    answer = engine.run_to_result(Request("ask", image=str(page), text="What does it say?"))
    assert isinstance(answer, Result) and "Monday to Friday 9 to 5" in answer.text
    read = engine.run_to_result(Request("read_text", image=str(page)))
    assert [l.text for l in read.lines] == ["Library opening hours", "Monday to Friday 9 to 5"]


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=240
    )


def test_cli_read_json_has_lines_with_boxes(page):
    proc = _cli("read", str(page), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [l["text"] for l in out["lines"]] == ["Library opening hours", "Monday to Friday 9 to 5"]
    for line in out["lines"]:
        left, top, right, bottom = line["box"]
        assert 0 <= left < right <= 900 and 0 <= top < bottom <= 300


def test_cli_describe_with_embedded_backend(page):
    proc = _cli("describe", str(page), "--backend", "embedded")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("A text document")
    assert "Library opening hours" in proc.stdout
