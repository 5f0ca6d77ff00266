"""Desktop app benchmark, under a real X server with a full-HD screen (Xvfb 1920x1080):

  start      `python main.py` until the main window is shown (medians of N starts)
  idle RSS   resident memory after start, once the engine is built and the background warm-up
             (OCR sessions, the picture check's classifier) has finished
  trigger    `python main.py trigger describe_screen` until the first speech chunk is queued,
             embedded path: cold (the first request, once the warm-up has finished) and warm

Targets: window <= 1.5 s, idle RSS <= 400 MB. Prints a table; never part of pass/fail.

    python bench/bench_app.py [--starts 5] [--triggers 4]
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xvfb import start_xvfb  # noqa: E402

MAIN = str(ROOT / "main.py")
PROBE = str(ROOT / "bench" / "app_probe.py")  # the app with timing lines, hooked from outside
SCREEN_TEXT = ["Quarterly report", "Total: 4721 euros", "Status: paid"]

SHOW_TEXT = r"""
import sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("\n".join(sys.argv[1:]))
label.setWindowFlags(Qt.WindowType.FramelessWindowHint)
p = label.palette(); p.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.white)
p.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.black); label.setPalette(p)
label.setAutoFillBackground(True)
f = QFont("DejaVu Sans"); f.setPointSize(40); label.setFont(f)
label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
label.setContentsMargins(0, 0, 120, 120)
label.setGeometry(0, 0, 1920, 1080); label.show()
QTimer.singleShot(300, lambda: print("shown", flush=True))
app.exec()
"""


class App:
    """One running app (bench/app_probe.py) whose BENCH lines are read on a thread."""

    def __init__(self, env: dict):
        self.t0 = time.time()
        self.proc = subprocess.Popen(
            [sys.executable, PROBE], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("BENCH "):
                _, event, stamp = line.split()
                self.lines.put((event, float(stamp)))

    def wait_for(self, prefix: str | tuple, timeout: float = 300) -> tuple[str, float]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event, stamp = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError("the app exited") from None
                continue
            if event.startswith(prefix):
                return event, stamp
        raise TimeoutError(prefix)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def trigger(env: dict, action: str) -> float:
    t = time.time()
    subprocess.run([sys.executable, MAIN, "trigger", action], cwd=ROOT, env=env, check=True, capture_output=True)
    return t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--triggers", type=int, default=4)
    args = parser.parse_args()
    load_before = os.getloadavg()
    try:
        xvfb, display = start_xvfb(first=160, last=190)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    home = tempfile.mkdtemp(prefix="bench-app-home-")
    env = dict(
        os.environ,
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        SCREEN_ASSISTANT_HOME=home,
        HF_HUB_OFFLINE="1",
        SCREEN_ASSISTANT_NO_HOTKEYS="1",
    )
    env.pop("WAYLAND_DISPLAY", None)
    shown = subprocess.Popen(
        [sys.executable, "-c", SHOW_TEXT, *SCREEN_TEXT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        shown.stdout.readline()
        starts, rss = [], []
        for _ in range(args.starts):
            app = App(env)
            _, stamp = app.wait_for("shown", 60)
            starts.append(stamp - app.t0)
            app.wait_for("engine_ready", 120)
            app.wait_for("warmed", 120)
            time.sleep(1.0)
            rss.append(app.rss_mb())
            app.stop()

        app = App(env)
        app.wait_for("engine_ready", 120)
        app.wait_for("warmed", 120)
        # The app's window sits at the top left; the known text is at the bottom right.
        latencies, totals, outcomes, channel = [], [], [], []
        for _ in range(args.triggers):
            t = trigger(env, "describe_screen")
            _, received = app.wait_for("trigger_received", 60)
            event, queued = app.wait_for(("speech_answer", "done:"), 300)
            channel.append(received - t)
            outcome, done = (event, queued) if event.startswith("done:") else app.wait_for("done:", 300)
            if event.startswith("done:"):
                queued = float("nan")  # nothing was streamed (an error): no answer chunk
            latencies.append(queued - t)
            totals.append(done - t)
            outcomes.append(outcome.split(":", 1)[1])
            time.sleep(0.5)
        rss_after = app.rss_mb()
        app.stop()
    finally:
        shown.terminate()
        xvfb.terminate()
        shutil.rmtree(home, ignore_errors=True)

    med = statistics.median
    print(f"{'measure':<46}{'median':>10}{'min':>10}{'max':>10}  target")
    print(
        f"{'start until main window shown (s)':<46}{med(starts):>10.2f}{min(starts):>10.2f}{max(starts):>10.2f}"
        f"  <= 1.5  ({'met' if med(starts) <= 1.5 else 'MISSED'}; ratio {med(starts) / 1.5:.2f})"
    )
    print(
        f"{'idle RSS after start (MB)':<46}{med(rss):>10.0f}{min(rss):>10.0f}{max(rss):>10.0f}"
        f"  <= 400  ({'met' if med(rss) <= 400 else 'MISSED'}; ratio {med(rss) / 400:.2f})"
    )
    print(f"{'trigger -> first speech chunk, cold (s)':<46}{latencies[0]:>10.2f}  (after the warm-up)")
    warm = latencies[1:] or latencies
    print(f"{'trigger -> first speech chunk, warm (s)':<46}{med(warm):>10.2f}{min(warm):>10.2f}{max(warm):>10.2f}")
    print(
        f"{'  of which trigger command -> app (s)':<46}{med(channel):>10.2f}{min(channel):>10.2f}{max(channel):>10.2f}"
    )
    print(f"{'trigger -> answer complete, warm (s)':<46}{med(totals[1:] or totals):>10.2f}")
    print(f"{'RSS after describing (MB)':<46}{rss_after:>10.0f}")
    print(f"outcomes: {', '.join(outcomes)}   (starts: {args.starts}, triggers: {args.triggers}, screen 1920x1080)")
    after = os.getloadavg()[0]
    print(f"load average {load_before[0]:.2f} before, {after:.2f} after ({os.cpu_count()} CPUs, shared: noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
