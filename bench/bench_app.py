"""Desktop app benchmark, under a real X server with a full-HD screen (Xvfb 1920x1080):

  start      `python main.py` until the main window is shown (medians of N starts)
  idle RSS   resident memory after start, once the engine is built and the background warm-up
             (OCR sessions, the picture check's classifier) has finished
  trigger    `python main.py trigger describe_screen` until the first speech chunk is queued,
             embedded path: cold (the first request, once the warm-up has finished) and warm
  mixed      ten mixed requests in one app on real pictures shown full screen (describe a dense
             documentation page, a photo, a chart and a dialog; read a page; saved-prompt
             questions), then the app's resident memory (VmRSS; smaps_rollup split) and peak

Targets: window <= 1.5 s, idle RSS <= 400 MB, resident after the ten mixed requests <= 450 MB.
Prints a table; never part of pass/fail.

    python bench/bench_app.py [--starts 5] [--triggers 4] [--mixed-only]
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


SHOW_IMAGE = r"""
import sys
from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
label.setWindowFlags(Qt.WindowType.FramelessWindowHint)
label.setGeometry(0, 0, 1920, 1080)
label.setAlignment(Qt.AlignmentFlag.AlignCenter)
label.setStyleSheet("background: black")
label.show()

def show():
    path = sys.stdin.readline().strip()
    if not path:
        app.quit()
        return
    pixmap = QPixmap(path)
    if pixmap.width() != 1920 or pixmap.height() != 1080:  # photos fill the screen, as in a viewer
        pixmap = pixmap.scaled(1920, 1080, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                               Qt.TransformationMode.SmoothTransformation)
    label.setPixmap(pixmap)
    label.raise_()
    QTimer.singleShot(400, lambda: print("shown", flush=True))

notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
notifier.activated.connect(show)
app.exec()
"""
EVAL = ROOT / "bench" / "eval"
# (what is on screen, the action): ten requests of every kind the offline path serves.
MIXED = [
    ("screens/std-vec.png", "describe_screen"),
    ("screens/std-vec.png", "read_screen"),
    ("apps/xmessage-error.png", "prompt_2"),  # "List the buttons."
    ("photos/chelsea.png", "describe_screen"),
    ("charts/line-throughput.png", "describe_screen"),
    ("screens/cargo-first-steps.png", "read_screen"),
    ("screens/cargo-first-steps.png", "prompt_1"),  # a question by meaning (the sentence model)
    ("photos/astronaut.png", "describe_screen"),
    ("screens/node-fs.png", "describe_screen"),
    ("apps/xmessage-error.png", "prompt_3"),  # "What is the error message?"
]
IDLE_WAIT = 25.0
PROMPTS = ["What does it say about creating a new package?", "List the buttons.", "What is the error message?"]


def memory_mb(pid: int) -> dict:
    """VmRSS and VmHWM (peak), and the anonymous / file-backed split from smaps_rollup."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        if line.startswith(("Anonymous:", "Rss:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    out["file"] = out.get("Rss", 0) - out.get("Anonymous", 0)
    out["torch"] = "libtorch_cpu" in Path(f"/proc/{pid}/maps").read_text()  # is torch imported?
    return out


def mixed(env: dict, hints: bool = False) -> tuple[list[dict], list[str], dict]:
    """Ten mixed requests in one app: memory after each, the outcomes, memory at the end.

    hints: ImageNet hints on, and china.jpg (no COCO object, so the hint runs) instead of the astronaut."""
    home = Path(env["SCREEN_ASSISTANT_HOME"])
    (home / "config").mkdir(parents=True, exist_ok=True)
    quoted = ", ".join(f'"{p}"' for p in PROMPTS)
    settings = f"[ui]\nsaved_prompts = [{quoted}]\n" + ("[embedded]\nimagenet_hints = true\n" if hints else "")
    (home / "config" / "settings.toml").write_text(settings, encoding="utf-8")
    viewer = subprocess.Popen(
        [sys.executable, "-c", SHOW_IMAGE], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    app = App(env)
    after, outcomes = [], []
    try:
        app.wait_for("engine_ready", 120)
        for picture, action in MIXED:
            if hints and picture == "photos/astronaut.png":
                picture = "photos/china.jpg"
            viewer.stdin.write(str(EVAL / picture) + "\n")
            viewer.stdin.flush()
            viewer.stdout.readline()
            trigger(env, action)
            event, _ = app.wait_for("done:", 300)
            outcomes.append(f"{action}:{event.split(':', 2)[-1]}")
            after.append(memory_mb(app.proc.pid))
        time.sleep(2.0)
        settled = memory_mb(app.proc.pid)
        time.sleep(IDLE_WAIT)  # the object detector is let go after 20 s without a photo
        settled["idle"] = memory_mb(app.proc.pid)["VmRSS"]
    finally:
        app.stop()
        viewer.stdin.close()
        viewer.terminate()
    return after, outcomes, settled


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
    parser.add_argument("--mixed-only", action="store_true", help="only the ten mixed requests")
    parser.add_argument(
        "--imagenet-hints",
        action="store_true",
        help="mixed requests with ImageNet hints on (china.jpg for the astronaut)",
    )
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
        if args.mixed_only:
            shown.terminate()
            report_mixed(*mixed(env, args.imagenet_hints))
            return 0
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
        shown.terminate()
        mixed_result = mixed(env, args.imagenet_hints)
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
    report_mixed(*mixed_result)
    after = os.getloadavg()[0]
    print(f"load average {load_before[0]:.2f} before, {after:.2f} after ({os.cpu_count()} CPUs, shared: noisy)")
    return 0


def report_mixed(after: list[dict], outcomes: list[str], settled: dict) -> None:
    rss = [m["VmRSS"] for m in after]
    print(f"{'RSS after each of 10 mixed requests (MB)':<46}" + " ".join(f"{r:.0f}" for r in rss))
    end = settled["VmRSS"]
    print(
        f"{'RSS after 10 mixed requests, settled (MB)':<46}{end:>10.0f}"
        f"  <= 450  ({'met' if end <= 450 else 'MISSED'}; ratio {end / 450:.2f})"
    )
    print(
        f"{'  anonymous / file-backed (MB)':<46}{settled['Anonymous']:>10.0f}{settled['file']:>10.0f}"
        f"   peak (VmHWM) {settled['VmHWM']:.0f}"
    )
    print(f"{f'RSS {IDLE_WAIT:.0f} s later, idle (MB)':<46}{settled['idle']:>10.0f}")
    print(f"{'torch imported in the app':<46}{settled['torch']!s:>10}")
    print(f"mixed outcomes: {', '.join(outcomes)}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
