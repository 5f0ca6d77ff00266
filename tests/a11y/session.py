"""One running app under the real stack, driven like a screen-reader user drives it: keys go
in through xdotool (XTEST, as a keyboard would), everything coming back is read through the
AT-SPI client (system python) or from speech-dispatcher's capture file.

Selectors are accessible roles and names only, never widget internals, so the walk survives
a rewrite of the GUI as long as what the user hears stays the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.a11y.stack import SYSTEM_PYTHON, Stack

ROOT = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).with_name("atspi_client.py")
APP_NAME = "Screen Assistant"
MAIN_WINDOW = "Screen Assistant"


class A11yError(AssertionError):
    pass


class AtspiClient:
    """The pyatspi client subprocess: one JSON command in, one JSON reply out."""

    def __init__(self, env: dict, log: Path):
        self._log = open(log, "w")
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(CLIENT)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        hello = self.proc.stdout.readline() if self.proc.stdout else ""
        if not hello.strip():
            raise A11yError(f"The AT-SPI client did not start; see {log}.")

    def __call__(self, cmd: str, **args) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise A11yError(f"The AT-SPI client ended while answering {cmd}.")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close() if self.proc.stdin else None
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class AppSession:
    """The app (project venv) started inside `stack`, plus the AT-SPI client."""

    def __init__(self, stack: Stack, home: Path, python: str = sys.executable, hotkeys: bool = True):
        self.stack = stack
        self.home = home
        self.env = dict(
            stack.env,
            SCREEN_ASSISTANT_HOME=str(home),
            QT_QPA_PLATFORM="xcb",
            QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
            QT_ACCESSIBILITY="1",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            PYTHONPATH=str(ROOT),
        )
        if not hotkeys:
            self.env["SCREEN_ASSISTANT_NO_HOTKEYS"] = "1"
        self.python = python
        self.app: subprocess.Popen | None = None
        self.client: AtspiClient | None = None
        self.event_log: list[dict] = []  # every AT-SPI event seen, oldest first

    # ---- life cycle ---------------------------------------------------------------------
    def start(self, timeout: float = 60) -> AppSession:
        write_settings(self.home)
        self._app_log = open(self.stack.root / "app.log", "w")
        self.app = subprocess.Popen(
            [self.python, "-m", "tests.a11y.app_under_test"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._app_log,
            stderr=subprocess.STDOUT,
        )
        self.client = AtspiClient(self.stack.env, self.stack.root / "atspi-client.log")
        reply = self.client("wait_app", name=APP_NAME, timeout=timeout)
        if not reply["ok"]:
            raise A11yError(f"{reply.get('error')}; app log:\n{self.app_log()}")
        return self

    def app_log(self) -> str:
        path = self.stack.root / "app.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(10)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait(5)
        if hasattr(self, "_app_log"):
            self._app_log.close()

    # ---- input ----------------------------------------------------------------------------
    def key(self, *keys: str, delay: float = 0.15) -> None:
        """Press keys (xdotool names: ctrl+o, Return, Escape, shift+Tab) one after another."""
        for k in keys:
            subprocess.run(["xdotool", "key", "--clearmodifiers", k], env=self.stack.env, check=True, timeout=10)
            time.sleep(delay)

    def type(self, text: str) -> None:
        subprocess.run(["xdotool", "type", "--delay", "5", text], env=self.stack.env, check=True, timeout=30)

    def trigger(self, action: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.python, str(ROOT / "main.py"), "trigger", action],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    # ---- reading back -------------------------------------------------------------------
    def ask(self, cmd: str, **args) -> dict:
        assert self.client is not None
        return self.client(cmd, **args)

    def focus(self) -> dict | None:
        return self.ask("focus")["focus"]

    def wait_focus(self, timeout: float = 10, **match) -> dict | None:
        """The focused node once it matches (role/name/window), else None."""
        reply = self.ask("wait_focus", timeout=timeout, **match)
        if reply["ok"]:
            self.last_focus = reply["focus"]
            return reply["focus"]
        # What a failure message needs: where the focus is and which windows show.
        recent = [f"{e['type']} {e['role']} {e['name']!r}" for e in self.events()[-10:]]
        where = {"focus": reply["focus"], "windows": self.windows(), "recent events": recent}
        self.last_focus = json.dumps(where)  # a string: pytest shortens long dicts in messages
        return None

    def find(self, timeout: float = 0, **match) -> dict | None:
        if timeout:
            reply = self.ask("wait_find", timeout=timeout, **match)
        else:
            reply = self.ask("find", **match)
        return reply["node"] if reply["ok"] else None

    def text_of(self, **match) -> str | None:
        node = self.find(**match)
        return None if node is None else node["text"]

    def wait_text(self, contains: str, timeout: float = 60, **match) -> dict | None:
        return self.find(timeout=timeout, text_contains=contains, **match)

    def tree(self, window: str | None = None) -> dict:
        return self.ask("tree", window=window)

    def windows(self) -> list[dict]:
        return self.ask("windows")["windows"]

    def showing_windows(self) -> list[str]:
        return [w["name"] for w in self.windows() if "showing" in w["states"]]

    def events(self) -> list[dict]:
        """Every event seen so far (focus, window activation, announcements, text changes)."""
        self.event_log += self.ask("events")["events"]
        return self.event_log

    def mark(self) -> int:
        """A position in the event log: wait_event(since=mark) looks only at later events."""
        return len(self.events())

    def wait_event(
        self, kind: str, contains: str = "", since: int = 0, timeout: float = 10, name: str | None = None
    ) -> dict | None:
        """The first event of type `kind` (prefix, e.g. "object:announcement") after `since`
        whose text contains `contains` (and whose source is named `name`), else None."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events()[since:]:
                if not event["type"].startswith(kind) or contains not in event.get("text", ""):
                    continue
                if name is None or event["name"] == name:
                    return event
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def announcements(self, since: int = 0) -> list[str]:
        return [e.get("text", "") for e in self.events()[since:] if e["type"].startswith("object:announcement")]

    def wait_spoken(self, contains: str, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if contains in self.stack.spoken():
                return True
            time.sleep(0.1)
        return False

    # ---- getting back to a known state -------------------------------------------------------
    def back_to_main(self, tries: int = 6) -> None:
        """Close whatever a step left open (dialogs, the region picker) until only the main
        window shows and is active: each test starts from the same place."""
        for _ in range(tries):
            showing = [w for w in self.windows() if "showing" in w["states"]]
            others = [w for w in showing if w["name"] != MAIN_WINDOW or w["role"] != "frame"]
            main_active = any(w["name"] == MAIN_WINDOW and "active" in w["states"] for w in showing)
            if not others and main_active:
                return
            if others and not any("active" in w["states"] for w in others):
                # A window that lost focus (the region picker today) cannot get Escape: give
                # it the keyboard the way a sighted user would click it.
                self._activate_by_name(others[0]["name"])
            self.key("Escape", delay=0.4)
        raise A11yError(f"Could not get back to the main window; showing: {self.windows()}")

    def _activate_by_name(self, name: str) -> None:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"],
            env=self.stack.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        ids = found.stdout.split()
        if not ids:  # an untitled overlay: the newest visible window of the app
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(self.app.pid if self.app else 0)],
                env=self.stack.env,
                capture_output=True,
                text=True,
                timeout=10,
            )
            ids = found.stdout.split()
        if ids:
            subprocess.run(
                ["xdotool", "windowactivate", "--sync", ids[-1]], env=self.stack.env, timeout=10, check=False
            )
            time.sleep(0.3)


def write_settings(home: Path) -> None:
    """Speech as a screen-reader user has it by default ("Speak with: auto": the screen reader
    when one runs, which the stack announces on the AT-SPI bus as Orca does, so the app's own
    voice stays off and only speech-dispatcher can carry an answer); the offline backend.
    Written as TOML by hand: the settings loader keeps defaults for the rest."""
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.toml").write_text(
        '[speech]\nenabled = true\n\n[outputs]\nspeak_with = "auto"\n\n[models]\nbackend = "embedded"\n'
    )


def env_is_ci() -> bool:
    return bool(os.environ.get("CI"))
