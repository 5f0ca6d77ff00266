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


def test_region_at_200_percent_keeps_physical_pixels(xvfb):
    """Qt scaling 2 on a 1920x1080 X screen: logical 960x540. A 100x100 logical square must
    come back as 200x200 pixels (the overlay's background was once painted at logical size,
    halving every region before OCR)."""
    env = dict(xvfb, QT_SCALE_FACTOR="2")
    shown = subprocess.Popen(
        [sys.executable, str(HELPERS), "square", "100", "100", "100"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert shown.stdout.readline().strip() == "shown"
        out = subprocess.run(
            [sys.executable, str(HELPERS), "region", "100", "100", "100", "100"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shown.terminate()
        shown.wait(10)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["logical"] == [960, 540] and result["ratio"] == 2.0
    assert result["desktop"] == [1920, 1080]
    assert result["region"] == [200, 200]
    assert result["red_share"] > 0.97, result


@pytest.fixture
def xvfb_without_backing_store():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb).")
    try:
        proc, display = start_xvfb(backing_store=False)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    yield env
    proc.terminate()
    proc.wait(10)


def test_the_app_never_captures_its_own_window(xvfb_without_backing_store, home):
    """Describe-screen hides the window and waits until the screen shows what is behind it (no
    compositor and no backing store here: the window behind must repaint itself); then the
    window's area in the capture equals the screen without the window, every time, and the wait
    was decided by the pixels (not the fixed quarter second). The program behind is busy (its
    event loop blocked 60 ms of every 75), so a grab taken right after hiding fails this: the
    window's stale pixels are still on screen."""
    xvfb = xvfb_without_backing_store
    lines = [f"LINE {n} OF THE REPORT BEHIND THE APP" for n in range(1, 13)]
    shown = subprocess.Popen(
        [sys.executable, str(HELPERS), "show", *lines],
        env=dict(xvfb, BUSY_MS="60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert shown.stdout.readline().strip() == "shown"
        out = subprocess.run(
            [sys.executable, str(HELPERS), "own_window", "8"],
            env=dict(xvfb, SCREEN_ASSISTANT_HOME=os.environ["SCREEN_ASSISTANT_HOME"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shown.terminate()
        shown.wait(10)
    assert out.returncode == 0, out.stderr[-2000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(results) == 8
    assert all(r["known"] for r in results), results
    assert all(r["same_share"] == 1.0 for r in results), results
