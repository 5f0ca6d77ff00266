"""Start a private Xvfb server on a free display; shared by the Xvfb test and the benchmarks
that need a real X screen (bench/bench_app.py, bench/screenshots.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time


def _free_display(first: int, last: int) -> int:
    for n in range(first, last):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return n
    raise RuntimeError("No free X display number.")


def start_xvfb(
    first: int = 140,
    last: int = 200,
    size: str = "1920x1080x24",
    timeout: float = 20.0,
    backing_store: bool = True,
) -> tuple[subprocess.Popen, str]:
    """(the Xvfb process, its DISPLAY value); RuntimeError, with a sentence, if it cannot.
    backing_store=False: the server keeps no copy of covered windows, so a window uncovered by
    another one must repaint itself (as on many real X desktops without a compositor)."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb).")
    n = _free_display(first, last)
    proc = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", size, "-nolisten", "tcp", *([] if backing_store else ["-bs"])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not os.path.exists(f"/tmp/.X11-unix/X{n}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("Xvfb did not start.")
        time.sleep(0.05)
    return proc, f":{n}"
