"""Under a real X server: another process puts known text on the screen; the app's capture
code grabs it and the Engine reads it back through the embedded OCR backend."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.xvfb import start_xvfb

HELPERS = Path(__file__).with_name("xvfb_helpers.py")
pytestmark = [pytest.mark.xvfb, pytest.mark.slow]


@pytest.fixture
def xvfb():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb).")
    try:
        proc, display = start_xvfb()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    yield env
    proc.terminate()
    proc.wait(10)


def test_screen_text_is_grabbed_and_read(xvfb):
    shown = subprocess.Popen(
        [sys.executable, str(HELPERS), "show", "QUARTERLY REPORT", "TOTAL 4721 EUROS"],
        env=xvfb,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert shown.stdout.readline().strip() == "shown"
        out = subprocess.run(
            [sys.executable, str(HELPERS), "grab"], env=xvfb, capture_output=True, text=True, timeout=240
        )
    finally:
        shown.terminate()
        shown.wait(10)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["size"] == [1920, 1080]
    text = result["text"].upper()
    for word in ("QUARTERLY", "REPORT", "TOTAL", "4721", "EUROS"):
        assert word in text, result
