"""Trigger -> first sentence at the screen reader's speech service (issue 13, item 5).

Under the real stack of tests/a11y (Xvfb 1280x800, D-Bus, openbox, AT-SPI, a private
speech-dispatcher whose output module appends every message to spoken.txt), a screen reader
announced on the AT-SPI bus as Orca does, and "Speak with: auto", so the app speaks through the
screen reader's speech-dispatcher and its own voice stays off:

  cold   `main.py trigger describe_screen` as the first request after the app started
         (the app is restarted for every cold run), until the first line lands in spoken.txt;
         twice: once the background warm-up (ui/app.py `_warm`) has finished (what a user who
         presses the key a few seconds after start gets: the target), and right after the
         engine was built, with the warm-up still running (a key pressed within the first second)
  warm   the same trigger again on the running app (same screen: the picture analysis is cached)
  warm, new screen   the trigger on the running app after the screen changed (a new window of
         other text each time: nothing cached, the case a user meets most)

Also printed, from the app's BENCH lines (bench/app_probe.py): trigger -> the app received it,
trigger -> the screen was grabbed, trigger -> first answer chunk in the app, trigger -> answer
complete; and the load average before and after (the machine is shared). Targets (embedded
path): cold <= 1.0 s, warm <= 0.4 s. Medians of small samples on a shared 2-core machine:
expect noise. Never part of pass/fail.

    python bench/bench_trigger_speech.py [--cold 3] [--warm 5] [--timeout 20]

spoken.txt is watched from before the trigger on a thread, so each line's time is when it
arrived (it used to be polled only once the answer had ended, which counted the whole
answer, not its first sentence).
"""

from __future__ import annotations

import argparse
import json
import os
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


class Ear:
    """Watches spoken.txt on a thread from before the trigger: (wall-clock time first seen, text)
    of each complete line added after the byte it started at."""

    def __init__(self, stack: Stack):
        self.file = stack.spoken_file
        self.start = self.file.stat().st_size if self.file.exists() else 0
        self.lines: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            data = self.file.read_bytes() if self.file.exists() else b""
            lines = data[self.start :].decode("utf-8", "replace").split("\n")[:-1]  # complete lines only
            now = time.time()
            self.lines += [(now, line.strip()) for line in lines[len(self.lines) :]]
            time.sleep(0.002)

    def wait(self, until, timeout: float) -> list[tuple[float, str]]:
        deadline = time.time() + timeout
        while not until(list(self.lines)) and time.time() < deadline:
            time.sleep(0.01)
        self._stop.set()
        self._thread.join()
        return list(self.lines)


def one_trigger(stack: Stack, app: App, env: dict, timeout: float) -> dict:
    ear = Ear(stack)
    t0 = time.time()
    subprocess.run([sys.executable, MAIN, "trigger", "describe_screen"], cwd=ROOT, env=env, capture_output=True)
    received = app.wait_for("trigger_received", timeout)
    captured = app.wait_for("captured", timeout)
    queued = app.wait_for("speech_answer", timeout)
    done = app.wait_for("done:", timeout)
    # The answer's first sentence is the first line heard that begins the first chunk's text;
    # progress speech ("Thinking about it.") may come before it.
    opening = " ".join(app.first_chunk.split())[:12]

    def is_answer(text: str) -> bool:
        return bool(opening) and " ".join(text.split())[:12] == opening

    lines = ear.wait(lambda seen: any(is_answer(text) for _, text in seen), max(0.0, t0 + timeout - time.time()))
    answer = next(((t, text) for t, text in lines if is_answer(text)), (None, ""))
    return {
        "received": received and received - t0,
        "captured": captured and captured - t0,
        "queued": queued and queued - t0,
        "done": done and done - t0,
        "heard": lines[0][0] - t0 if lines else None,
        "spoken": answer[0] and answer[0] - t0,
        "first_heard": lines[0][1] if lines else "",
        "sentence": answer[1],
    }


def start_app(env: dict, until: str = "engine_ready") -> App:
    """The app, once it has shown its window and built its engine (until="warmed": and finished
    its background warm-up)."""
    app = App(env)
    ready = app.wait_for("shown", 60) is not None and app.wait_for("engine_ready", 180) is not None
    if ready and until == "warmed":
        ready = app.wait_for("warmed", 180) is not None
    if not ready:
        app.stop()
        raise RuntimeError("the app did not start within 4 minutes")
    return app


def row(label: str, values: list, target: float | None = None) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return f"{label:<64}{'never':>10}   ({len(values)} runs: nothing arrived)"
    med = statistics.median(got)
    text = f"{label:<64}{med:>10.2f}{min(got):>10.2f}{max(got):>10.2f}  n={len(got)}/{len(values)}"
    if target is not None:
        text += f"  target <= {target} ({'met' if med <= target else 'MISSED'}; ratio {med / target:.2f})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", type=int, default=3, help="app starts, one cold trigger each")
    parser.add_argument("--warm", type=int, default=5, help="warm triggers on the last app")
    parser.add_argument("--warm-new", type=int, default=5, help="warm triggers after the screen changed")
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
    early: list[dict] = []
    warm: list[dict] = []
    fresh: list[dict] = []
    load_before = os.getloadavg()
    try:
        assert shown.stdout is not None
        shown.stdout.readline()
        for _ in range(args.cold):
            app = start_app(env, until="engine_ready")
            early.append(one_trigger(stack, app, env, args.timeout))
            app.stop()
        for n in range(args.cold):
            app = start_app(env, until="warmed")
            cold.append(one_trigger(stack, app, env, args.timeout))
            if n < args.cold - 1:
                app.stop()
        for _ in range(args.warm):
            time.sleep(0.5)
            warm.append(one_trigger(stack, app, env, args.timeout))
        for n in range(args.warm_new):
            shown.terminate()
            shown.wait()
            lines = [f"Invoice {4100 + n}", f"Amount due: {37 * (n + 3)} euros", f"Due date: {n + 4} March"]
            shown = subprocess.Popen([sys.executable, SHOW, "show", *lines], env=env, stdout=subprocess.PIPE, text=True)
            assert shown.stdout is not None
            shown.stdout.readline()
            time.sleep(0.5)
            fresh.append(one_trigger(stack, app, env, args.timeout))
        app.stop()
    finally:
        shown.terminate()
        stack.stop()
    print(f"{'seconds after `main.py trigger describe_screen`':<64}{'median':>10}{'min':>10}{'max':>10}")
    load_after = os.getloadavg()
    cases = (
        ("cold", cold, 1.0),
        ("cold, warm-up running", early, None),
        ("warm", warm, 0.4),
        ("warm, new screen", fresh, 0.4),
    )
    for label, runs, target in cases:
        print(row(f"{label}: trigger -> app received it", [r["received"] for r in runs]))
        print(row(f"{label}: trigger -> screen grabbed", [r["captured"] for r in runs]))
        print(row(f"{label}: trigger -> first answer chunk in the app", [r["queued"] for r in runs]))
        print(row(f"{label}: trigger -> answer complete", [r["done"] for r in runs]))
        print(row(f"{label}: trigger -> anything at speech-dispatcher", [r["heard"] for r in runs]))
        print(row(f"{label}: trigger -> first answer sentence at speechd", [r["spoken"] for r in runs], target))
    runs = cold + early + warm + fresh
    print("first answer sentences heard:", sorted({r["sentence"] for r in runs if r["sentence"]}) or "none")
    before = sorted({r["first_heard"] for r in runs if r["first_heard"] and r["first_heard"] != r["sentence"]})
    print("heard before the answer:", before or "nothing")
    print(
        f"(screen-reader path, own voice off; {args.cold}+{args.cold} cold starts, {args.warm} warm triggers, "
        f"{args.warm_new} on a new screen; "
        f"screen 1280x800; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
        f"{os.cpu_count()} CPUs, shared: noisy)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
