"""Global hotkeys on X11 as an ORDINARY user: a listener process (dropped to `nobody` when the
test runs as root) grabs combos on a private Xvfb; xdotool presses keys through XTEST, as a
keyboard would. Covers Num Lock / Caps Lock variants, a combo another program already holds
(BadAccess, said as a sentence) and releasing the grabs."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.xvfb import start_xvfb

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.xvfb]
COMBOS = {"describe_screen": "ctrl+alt+shift+d", "read_text": "ctrl+alt+shift+t"}
# As root (CI), the listener drops to the user nobody; otherwise it already is an ordinary user.
DROP = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []


@pytest.fixture(scope="module")
def display():
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install xvfb xdotool).")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop from root to an ordinary user.")
    probe = subprocess.run(
        [*DROP, sys.executable, "-c", "import Xlib, assistant.hotkeys.x11"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        pytest.skip(f"An ordinary user cannot run the project's python from this checkout: {last}")
    try:
        proc, name = start_xvfb(first=200, last=240, size="800x600x24")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield name
    proc.terminate()
    proc.wait(10)


class Listener:
    def __init__(self, display: str, home: Path, combos: dict[str, str]):
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o777)  # the ordinary user writes its logs and settings here
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DISPLAY": display,
            "HOME": str(home),
            "SCREEN_ASSISTANT_HOME": str(home),
            "XDG_SESSION_TYPE": "x11",
            "PYTHONPATH": str(ROOT),
        }
        self.proc = subprocess.Popen(
            [*DROP, sys.executable, "-m", "tests.hotkeys.listener", json.dumps(combos)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.outcome = self.next(60)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout: float = 10) -> dict:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
            raise AssertionError(f"the listener said nothing in {timeout} s {err[-2000:]}") from None

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def press(display: str, *keys: str) -> None:
    for key in keys:  # no --clearmodifiers: it would also switch Caps Lock off
        subprocess.run(["xdotool", "key", key], env=dict(os.environ, DISPLAY=display), check=True, timeout=10)


@pytest.fixture
def listener(display, tmp_path):
    started: list[Listener] = []

    def start(combos=COMBOS) -> Listener:
        started.append(Listener(display, tmp_path / f"home{len(started)}", combos))
        return started[-1]

    yield start
    for item in started:
        item.close()


def test_ordinary_user_grabs_and_hears_hotkeys(display, listener):
    first = listener()
    assert first.outcome["uid"] != 0
    assert first.outcome["registered"], first.outcome
    assert first.outcome["message"] == "Global hotkeys are on, through X11 key grabs."
    press(display, "ctrl+alt+d", "ctrl+alt+shift+d")  # the first is no hotkey: nothing fires for it
    assert first.next() == {"action": "describe_screen"}
    press(display, "ctrl+alt+shift+t")
    assert first.next() == {"action": "read_text"}
    # Typing in between (xdotool wakes the connection with no key event for us) changes nothing.
    subprocess.run(["xdotool", "type", "what does it say?"], env=dict(os.environ, DISPLAY=display), check=True)
    press(display, "ctrl+alt+shift+d")
    assert first.next() == {"action": "describe_screen"}


@pytest.mark.parametrize("lock", ["Num_Lock", "Caps_Lock"])
def test_hotkeys_work_with_lock_keys_on(display, listener, lock):
    first = listener()
    press(display, lock)
    try:
        press(display, "ctrl+alt+shift+d")
        assert first.next() == {"action": "describe_screen"}
    finally:
        press(display, lock)


def test_a_combo_taken_by_another_program_is_said_plainly(display, listener):
    holder = listener({"describe_screen": "ctrl+alt+shift+d"})
    assert holder.outcome["registered"]
    second = listener()
    assert second.outcome["registered"], second.outcome  # the free combo still works
    message = second.outcome["message"]
    assert "Ctrl+Alt+Shift+D is already used by another program, so 'Describe the screen' has no global hotkey" in (
        message
    )
    assert "BadAccess" not in message and "Error" not in message
    press(display, "ctrl+alt+shift+t")
    assert second.next() == {"action": "read_text"}
    # Released grabs can be taken by the next program.
    holder.send("unregister")
    assert holder.next() == {"unregistered": True}
    third = listener({"describe_screen": "ctrl+alt+shift+d"})
    assert third.outcome["message"] == "Global hotkeys are on, through X11 key grabs.", third.outcome
