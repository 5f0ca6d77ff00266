"""Real applications under Xvfb with the openbox window manager, captured at 1920x1080.

    python bench/eval/capture_apps.py      # writes bench/eval/apps/NAME.png + NAME.json

Needs Xvfb, openbox, xmessage (x11-utils) and chromium. Ground truth: the text each program was
given and the window title openbox draws. The captures are kept in the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "apps"
RUST = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html"

APPS = [
    {
        "name": "xmessage-error",
        "cmd": ["xmessage", "-center", "-buttons", "Retry,Cancel", "Error: could not connect to the print server."],
        "title": "xmessage",
        "text": ["Error: could not connect to the print server.", "Retry", "Cancel"],
        "error": True,
        "licence": "xmessage (X11 licence, Debian x11-utils); text written for this test",
    },
    {
        "name": "xmessage-notice",
        "cmd": ["xmessage", "-center", "-buttons", "OK", "The backup finished. 42 files were copied."],
        "title": "xmessage",
        "text": ["The backup finished. 42 files were copied.", "OK"],
        "error": False,
        "licence": "xmessage (X11 licence, Debian x11-utils); text written for this test",
    },
    {
        "name": "chromium-window-rustdoc",
        "cmd": [
            "chromium", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--window-position=0,0",
            "--window-size=1920,1080",
            (RUST / "rustdoc/what-is-rustdoc.html").as_uri(),
        ],
        "title": "What is rustdoc?",
        # the browser's own words; the page's text is in screens/rustdoc-what-is.json
        "text": [
            "What is rustdoc? - The rustdoc book",
            "File",
            str(RUST / "rustdoc/what-is-rustdoc.html"),
            "You are using an unsupported command-line flag: --no-sandbox. Stability and security will suffer.",
        ],
        "page": "rustdoc-what-is",
        "error": False,
        "licence": "Chromium (BSD-3-Clause) showing the rustdoc book (MIT OR Apache-2.0)",
    },
]  # fmt: skip


def grab(display: str, path: Path) -> None:
    code = (
        "import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication(sys.argv); "
        f"QGuiApplication.primaryScreen().grabWindow(0).save({str(path)!r})"
    )
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def main() -> None:
    from tests.xvfb import start_xvfb

    OUT.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb()
    env = {**os.environ, "DISPLAY": display}
    wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        for app in APPS:
            with tempfile.TemporaryDirectory() as profile:
                cmd = app["cmd"] + ([f"--user-data-dir={profile}"] if app["cmd"][0] == "chromium" else [])
                proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(8 if app["cmd"][0] == "chromium" else 2)
                grab(display, OUT / f"{app['name']}.png")
                proc.terminate()
                proc.wait(timeout=20)
            truth = {k: app[k] for k in ("name", "title", "text", "error", "licence", "page") if k in app}
            truth["kind"] = "app"
            (OUT / f"{app['name']}.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
            print(app["name"])
    finally:
        wm.terminate()
        xvfb.terminate()


if __name__ == "__main__":
    main()
