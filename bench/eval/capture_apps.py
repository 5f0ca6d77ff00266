"""Real applications under Xvfb with the openbox window manager, captured at 1920x1080, and
web pages with dialogs, forms and links rendered by headless Chromium.

    python bench/eval/capture_apps.py [NAME ...]   # writes bench/eval/apps/NAME.png + NAME.json

Needs Xvfb, openbox, xmessage (x11-utils), zenity (GTK 3), python3-tk, PySide6 and chromium.
Ground truth: the text each program was given, the window title openbox draws, the dialog's
buttons and form fields in order. The captures are kept in the repository.
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
HTML = Path(__file__).resolve().parent / "html"
QT_MESSAGE_BOX = r"""
import sys
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication(sys.argv[:1]); app.setStyle("Fusion")
box = QMessageBox(QMessageBox.Icon.Warning, "Delete files?", "Delete the 3 selected files permanently?",
                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
box.button(QMessageBox.StandardButton.Yes).setText("Delete")
box.button(QMessageBox.StandardButton.No).setText("Keep")
box.show(); app.exec()
"""
TK_MESSAGE_BOX = r"""
import tkinter
from tkinter import messagebox
root = tkinter.Tk(); root.withdraw()
messagebox.askyesnocancel("Quit", "Save the drawing before quitting?")
"""
GTK = "zenity 3.44 (GTK 3, LGPL-2.1+, Debian zenity); text written for this set"

APPS = [
    {
        "name": "xmessage-error",
        "cmd": ["xmessage", "-center", "-buttons", "Retry,Cancel", "Error: could not connect to the print server."],
        "title": "xmessage",
        "text": ["Error: could not connect to the print server.", "Retry", "Cancel"],
        "dialog": {"title": "xmessage", "buttons": ["Retry", "Cancel"]},
        "error": True,
        "licence": "xmessage (X11 licence, Debian x11-utils); text written for this test",
    },
    {
        "name": "xmessage-notice",
        "cmd": ["xmessage", "-center", "-buttons", "OK", "The backup finished. 42 files were copied."],
        "title": "xmessage",
        "text": ["The backup finished. 42 files were copied.", "OK"],
        "dialog": {"title": "xmessage", "buttons": ["OK"]},
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
    {
        "name": "zenity-question",
        "cmd": ["zenity", "--question", "--title=Save changes?",
                "--text=Save the changes to report.odt before closing?",
                "--ok-label=Save", "--cancel-label=Cancel", "--extra-button=Don't save"],
        "title": "Save changes?",
        "text": ["Save the changes to report.odt before closing?", "Don't save", "Cancel", "Save"],
        "dialog": {"title": "Save changes?", "buttons": ["Don't save", "Cancel", "Save"]},
        "error": False,
        "licence": GTK,
    },
    {
        "name": "zenity-error",
        "cmd": ["zenity", "--error", "--title=Error", "--text=The file could not be opened."],
        "title": "Error",
        "text": ["The file could not be opened.", "OK"],
        "dialog": {"title": "Error", "buttons": ["OK"]},
        "error": True,
        "licence": GTK,
    },
    {
        "name": "zenity-forms",
        "cmd": ["zenity", "--forms", "--title=Sign in", "--text=Sign in to the mail server", "--add-entry=Name",
                "--add-password=Password"],
        "title": "Sign in",
        "text": ["Sign in to the mail server", "Name", "Password", "Cancel", "OK"],
        "dialog": {"title": "Sign in", "buttons": ["Cancel", "OK"]},
        "fields": ["Name", "Password"],
        "error": False,
        "licence": GTK,
    },
    {
        "name": "qt-messagebox",
        "cmd": [sys.executable, "-c", QT_MESSAGE_BOX],
        "title": "Delete files?",
        "text": ["Delete the 3 selected files permanently?", "Delete", "Keep"],
        "dialog": {"title": "Delete files?", "buttons": ["Delete", "Keep"]},
        "error": False,
        "licence": "Qt 6 QMessageBox, Fusion style (PySide6, LGPL-3.0); text written for this set",
    },
    {
        "name": "tk-messagebox",
        "cmd": ["python3", "-c", TK_MESSAGE_BOX],
        "title": "Quit",
        "text": ["Save the drawing before quitting?", "Yes", "No", "Cancel"],
        "dialog": {"title": "Quit", "buttons": ["Yes", "No", "Cancel"]},
        "error": False,
        "licence": "Tk 8.6 messagebox (tkinter, Tcl/Tk licence, BSD-style); text written for this set",
    },
    {
        "name": "chromium-alert",
        "cmd": [
            "chromium", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--window-position=0,0",
            "--window-size=1920,1080", (HTML / "alert.html").as_uri(),
        ],
        "title": "This page says",  # the dialog's own title (the tab says "Session ending")
        "text": ["This page says", "Your session ends in 5 minutes. Save your work.", "OK", "Session ending",
                 "Timesheet", "Enter the hours you worked this week.", "File", str(HTML / "alert.html"),
                 "You are using an unsupported command-line flag: --no-sandbox. Stability and security will suffer."],
        "dialog": {"title": "This page says", "buttons": ["OK"]},
        "error": False,
        "licence": "Chromium (BSD-3-Clause) JavaScript alert; page written for this set",
    },
]  # fmt: skip

# Web pages written for this set (Apache-2.0, like the project), rendered by headless Chromium.
PAGES = [
    {
        "name": "web-dialog-delete",
        "page": "dialog-delete.html",
        "title": "Delete this photo?",
        "text": ["Holiday photos", "Twelve photos from the trip to the coast in June.", "Delete this photo?",
                 "It will be removed from every album.", "Delete", "Cancel"],
        "dialog": {"title": "Delete this photo?", "buttons": ["Delete", "Cancel"]},
        "error": False,
    },
    {
        "name": "web-dialog-upload-failed",
        "page": "dialog-upload-failed.html",
        "title": "Upload failed",
        "text": ["Shared documents", "Drop files here or choose them from your computer to share them with the team.",
                 "Upload failed", "The file budget-2024.xlsx is larger than 25 MB.", "Try again", "Close"],
        "dialog": {"title": "Upload failed", "buttons": ["Try again", "Close"]},
        "error": True,
    },
    {
        "name": "web-form-signup",
        "page": "form-signup.html",
        "title": "Create an account",
        "text": ["Create an account", "Already registered? Sign in here or read the privacy notice first.",
                 "Full name", "Email", "Password", "Create account", "Questions? See the help pages."],
        "buttons": ["Create account"],
        "fields": ["Full name", "Email", "Password"],
        "links": ["Sign in here", "privacy notice", "help pages"],
        "error": False,
    },
]  # fmt: skip
KEYS = ("name", "title", "text", "error", "licence", "page", "dialog", "fields", "links", "buttons")


def grab(display: str, path: Path) -> None:
    code = (
        "import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication(sys.argv); "
        f"QGuiApplication.primaryScreen().grabWindow(0).save({str(path)!r})"
    )
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def render_pages(names: list[str]) -> None:
    for page in PAGES:
        if names and page["name"] not in names:
            continue
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    "--window-size=1920,1080", "--virtual-time-budget=3000", f"--user-data-dir={profile}",
                    f"--screenshot={OUT / (page['name'] + '.png')}", (HTML / page["page"]).as_uri(),
                ],
                check=True, capture_output=True, timeout=180,
            )  # fmt: skip
        truth = {k: page[k] for k in KEYS if k in page}
        truth["page"] = f"html/{page['page']}"
        truth["licence"] = "page written for this set (Apache-2.0), rendered by Chromium (BSD-3-Clause)"
        truth["kind"] = "app"
        (OUT / f"{page['name']}.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
        print(page["name"])


def main(names: list[str]) -> None:
    from tests.xvfb import start_xvfb

    OUT.mkdir(parents=True, exist_ok=True)
    render_pages(names)
    xvfb, display = start_xvfb()
    env = {**os.environ, "DISPLAY": display, "NO_AT_BRIDGE": "1"}
    wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        for app in APPS:
            if names and app["name"] not in names:
                continue
            with tempfile.TemporaryDirectory() as profile:
                cmd = app["cmd"] + ([f"--user-data-dir={profile}"] if app["cmd"][0] == "chromium" else [])
                qt = {"QT_QPA_PLATFORM": "xcb"} if app["name"].startswith("qt") else {}
                proc = subprocess.Popen(cmd, env={**env, **qt}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(8 if app["cmd"][0] == "chromium" else 2)
                grab(display, OUT / f"{app['name']}.png")
                proc.terminate()
                proc.wait(timeout=20)
            truth = {k: app[k] for k in KEYS if k in app}
            truth["kind"] = "app"
            (OUT / f"{app['name']}.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
            print(app["name"])
    finally:
        wm.terminate()
        xvfb.terminate()


if __name__ == "__main__":
    main(sys.argv[1:])
