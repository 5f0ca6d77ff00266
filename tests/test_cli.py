"""CLI contract: exit codes 0 / 2 / 3, plain messages on stderr, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, home):
    env = dict(os.environ, SCREEN_ASSISTANT_HOME=str(home), HF_HOME=str(home / "hf"), HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize(
    "args",
    [
        ["describe", "{tmp}/missing.png"],
        ["ask", "{tmp}/notes.png", "what is this?"],
        ["read", "{tmp}"],
        ["describe", "{tmp}/notes.png", "--json"],
    ],
)
def test_bad_input_exit_2_without_traceback(tmp_path, args):
    (tmp_path / "notes.png").write_text("not a picture")
    proc = cli(*[a.format(tmp=tmp_path) for a in args], home=tmp_path / "home")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().endswith(".")


def test_usage_error_exit_2(tmp_path):
    proc = cli("describe", home=tmp_path)
    assert proc.returncode == 2 and "Error:" in proc.stderr


def test_blank_capture_is_described_honestly(tmp_path):
    from PIL import Image

    Image.new("RGB", (800, 600), "black").save(tmp_path / "black.png")
    proc = cli("describe", str(tmp_path / "black.png"), home=tmp_path / "home")
    assert proc.returncode == 0
    assert "The image is blank: it is entirely black." in proc.stdout
