"""Trigger -> first sentence at the screen reader's speech service (issue 13, item 5).

Under the real stack of tests/a11y (Xvfb 1280x800, D-Bus, openbox, AT-SPI, a private
speech-dispatcher whose output module appends every message to spoken.txt), a screen reader
announced on the AT-SPI bus as Orca does, and "Speak with: auto", so the app speaks through the
screen reader's speech-dispatcher and its own voice stays off:

  cold   `main.py trigger describe_screen` as the first request after the app started
         (the app is restarted for every cold run; it has shown its window and built its
         engine, models still load lazily), until the first line lands in spoken.txt
  warm   the same trigger again on the running app

Also printed, from the app's BENCH lines (bench/app_probe.py): trigger -> the app received it,
trigger -> first answer chunk in the app, trigger -> answer complete. Targets (embedded
path): cold <= 1.0 s, warm <= 0.4 s. Medians of small samples on a shared 2-core machine:
expect noise. Never part of pass/fail.

    python bench/bench_trigger_speech.py [--cold 3] [--warm 5] [--timeout 20]
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.a11y.session import write_settings  # noqa: E402
from tests.a11y.stack import Stack, StackError, missing_packages  # noqa: E402

MAIN = str(ROOT / "main.py")
PROBE = str(ROOT / "bench" / "app_probe.py")  # the app with BENCH timing lines, hooked from outside
SHOW = str(ROOT / "tests" / "ui" / "xvfb_helpers.py")
SCREEN_TEXT = ["Quarterly report", "Total: 4721 euros", "Status: paid"]


class App:
    """One app (bench/app_probe.py, started as main.py starts it) in the stack, its BENCH lines
    read on a thread."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, PROBE], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.lines: queue.Queue = queue.Queue()
        self.first_chunk = ""  # the text of the latest answer's first chunk
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("BENCH_TEXT "):
                self.first_chunk = json.loads(line[len("BENCH_TEXT ") :])
            elif line.startswith("BENCH "):
                _, event, stamp = line.split()
                self.lines.put((event, float(stamp)))

    def wait_for(self, prefix: str, timeout: float) -> float | None:
        """Wall-clock stamp of the next BENCH event starting with `prefix`; None on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event, stamp = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError("the app exited") from None
                continue
            if event.startswith(prefix):
                return stamp
        return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def heard_lines(stack: Stack, before: int, until) -> list[tuple[float, str]]:
    """(wall-clock time first seen, text) of each line added to spoken.txt after byte `before`,
    polled every 5 ms while `until()` is false."""
    seen: list[tuple[float, str]] = []
    while not until(seen):
        data = stack.spoken_file.read_bytes() if stack.spoken_file.exists() else b""
        lines = data[before:].decode("utf-8", "replace").split("\n")[:-1]  # complete lines only
        now = time.time()
        seen += [(now, line.strip()) for line in lines[len(seen) :]]
        time.sleep(0.005)
    return seen


def one_trigger(stack: Stack, app: App, env: dict, timeout: float) -> dict:
    before = stack.spoken_file.stat().st_size if stack.spoken_file.exists() else 0
    t0 = time.time()
    subprocess.run([sys.executable, MAIN, "trigger", "describe_screen"], cwd=ROOT, env=env, capture_output=True)
    received = app.wait_for("trigger_received", timeout)
    queued = app.wait_for("speech_answer", timeout)
    done = app.wait_for("done:", timeout)
    # The answer's first sentence is the first line heard that begins the first chunk's text;
    # progress speech ("Thinking about it.") may come before it.
    opening = " ".join(app.first_chunk.split())[:12]

    def is_answer(text: str) -> bool:
        return bool(opening) and " ".join(text.split())[:12] == opening

    def answered(seen) -> bool:
        return any(is_answer(text) for _, text in seen) or time.time() > t0 + timeout

    lines = heard_lines(stack, before, answered)
    answer = next(((t, text) for t, text in lines if is_answer(text)), (None, ""))
    return {
        "received": received and received - t0,
        "queued": queued and queued - t0,
        "done": done and done - t0,
        "heard": lines[0][0] - t0 if lines else None,
        "spoken": answer[0] and answer[0] - t0,
        "first_heard": lines[0][1] if lines else "",
        "sentence": answer[1],
    }


def start_app(env: dict) -> App:
    app = App(env)
    if app.wait_for("shown", 60) is None or app.wait_for("engine_ready", 180) is None:
        app.stop()
        raise RuntimeError("the app did not start within 4 minutes")
    return app


def row(label: str, values: list, target: float | None = None) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return f"{label:<52}{'never':>10}   ({len(values)} runs: nothing arrived)"
    med = statistics.median(got)
    text = f"{label:<52}{med:>10.2f}{min(got):>10.2f}{max(got):>10.2f}  n={len(got)}/{len(values)}"
    if target is not None:
        text += f"  target <= {target} ({'met' if med <= target else 'MISSED'}; ratio {med / target:.2f})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", type=int, default=3, help="app starts, one cold trigger each")
    parser.add_argument("--warm", type=int, default=5, help="warm triggers on the last app")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait per trigger")
    args = parser.parse_args()
    missing = missing_packages()
    if missing:
        raise SystemExit("Missing Debian packages: " + ", ".join(missing))
    root = Path(tempfile.mkdtemp(prefix="bench-trigger-speech-"))
    stack = Stack(root)
    try:
        stack.start()
    except StackError as exc:
        stack.stop()
        raise SystemExit(f"The stack did not start: {exc}") from None
    home = root / "home"
    write_settings(home)  # "auto" with a screen reader running: only the screen-reader path speaks
    env = dict(
        stack.env,
        SCREEN_ASSISTANT_HOME=str(home),
        SCREEN_ASSISTANT_BENCH="1",
        QT_QPA_PLATFORM="xcb",
        QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        SCREEN_ASSISTANT_NO_HOTKEYS="1",
    )
    shown = subprocess.Popen([sys.executable, SHOW, "show", *SCREEN_TEXT], env=env, stdout=subprocess.PIPE, text=True)
    cold: list[dict] = []
    warm: list[dict] = []
    try:
        assert shown.stdout is not None
        shown.stdout.readline()
        for n in range(args.cold):
            app = start_app(env)
            cold.append(one_trigger(stack, app, env, args.timeout))
            if n < args.cold - 1:
                app.stop()
        for _ in range(args.warm):
            time.sleep(0.5)
            warm.append(one_trigger(stack, app, env, args.timeout))
        app.stop()
    finally:
        shown.terminate()
        stack.stop()
    print(f"{'seconds after `main.py trigger describe_screen`':<52}{'median':>10}{'min':>10}{'max':>10}")
    for label, runs, target in (("cold", cold, 1.0), ("warm", warm, 0.4)):
        print(row(f"{label}: trigger -> app received it", [r["received"] for r in runs]))
        print(row(f"{label}: trigger -> first answer chunk in the app", [r["queued"] for r in runs]))
        print(row(f"{label}: trigger -> answer complete", [r["done"] for r in runs]))
        print(row(f"{label}: trigger -> anything at speech-dispatcher", [r["heard"] for r in runs]))
        print(row(f"{label}: trigger -> first answer sentence at speechd", [r["spoken"] for r in runs], target))
    print("first answer sentences heard:", sorted({r["sentence"] for r in cold + warm if r["sentence"]}) or "none")
    early = sorted({r["first_heard"] for r in cold + warm if r["first_heard"] and r["first_heard"] != r["sentence"]})
    print("heard before the answer:", early or "nothing")
    print(
        f"(screen-reader path, own voice off; {args.cold} cold starts, {args.warm} warm triggers; "
        "screen 1280x800; shared CPU: noisy)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
