"""The real Linux accessibility stack for one test session (also used by bench/):

Xvfb (a screen) -> dbus-run-session (a session bus) -> openbox (a window manager, so windows
get focus) -> at-spi-bus-launcher (the accessibility bus) -> a private speech-dispatcher whose
only output module appends what it is asked to say to `spoken.txt` (a stand-in ear: the same
service Orca speaks through, with no sound card needed).

Only the standard library, so it runs on the project's venv and on the system python alike.
Every start raises StackError with a plain sentence when a part does not come up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.xvfb import start_xvfb

SYSTEM_PYTHON = "/usr/bin/python3"
AT_SPI_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"

# Debian package -> a file that proves it is installed (checked before anything starts).
REQUIRED = {
    "xvfb": "/usr/bin/Xvfb",
    "dbus-daemon": "/usr/bin/dbus-run-session",
    "at-spi2-core": AT_SPI_LAUNCHER,
    "openbox": "/usr/bin/openbox",
    "xdotool": "/usr/bin/xdotool",
    "speech-dispatcher": "/usr/bin/speech-dispatcher",
    "speech-dispatcher (generic module)": "/usr/lib/speech-dispatcher-modules/sd_generic",
}
SYSTEM_MODULES = {"python3-pyatspi": "pyatspi", "python3-speechd": "speechd"}


class StackError(RuntimeError):
    pass


def missing_packages() -> list[str]:
    """Debian packages the stack needs that are not installed (empty when all are there)."""
    missing = [pkg for pkg, path in REQUIRED.items() if not os.path.exists(path)]
    if not os.path.exists(SYSTEM_PYTHON):
        return [*missing, "python3"]
    for pkg, module in SYSTEM_MODULES.items():
        probe = subprocess.run([SYSTEM_PYTHON, "-c", f"import {module}"], capture_output=True, timeout=60)
        if probe.returncode != 0:
            missing.append(pkg)
    return missing


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what}: the process exited with code {proc.returncode}.")
        if time.monotonic() > deadline:
            raise StackError(f"{what}: not ready after {timeout:.1f} seconds.")
        time.sleep(0.05)


def write_speechd_config(root: Path) -> Path:
    """The private speech-dispatcher's configuration (recipe of the team's speechd-capture
    tool): one generic output module running `printf '%s\\n' '$DATA' >> spoken.txt` per
    message, libao on its null driver. Returns the configuration folder."""
    conf = root / "conf"
    (conf / "modules").mkdir(parents=True, exist_ok=True)
    (root / "run").mkdir(exist_ok=True)
    (root / "run").chmod(0o700)
    (root / "home").mkdir(exist_ok=True)
    if os.path.isdir("/etc/speech-dispatcher/clients"):
        shutil.copytree("/etc/speech-dispatcher/clients", conf / "clients", dirs_exist_ok=True)
    (conf / "speechd.conf").write_text(
        f'LogLevel 3\nLogDir "{root}"\nAudioOutputMethod "libao"\n'
        'AddModule "capture" "sd_generic" "capture.conf"\nDefaultModule capture\n'
    )
    # sd_generic substitutes $DATA (the text, its quotes escaped for a shell) and runs the line
    # with sh; `\\'` in the file is sd_generic's escaped quote.
    (conf / "modules" / "capture.conf").write_text(
        f"GenericExecuteSynth \"printf '%s\\\\n' \\'$DATA\\' >> {root}/spoken.txt\"\n"
        'AddVoice "en" "MALE1" "en"\nDefaultVoice "en"\nGenericLanguage "en" "en" "utf-8"\n'
    )
    (root / "home" / ".libao").write_text("default_driver=null\n")
    return conf


@dataclass
class Stack:
    """Start with `start()`, end with `stop()`; `env` is what a client of the stack needs."""

    root: Path
    screen: str = "1280x800x24"
    env: dict[str, str] = field(default_factory=dict)
    _procs: list[subprocess.Popen] = field(default_factory=list)  # each leads its own process group
    _xvfb: subprocess.Popen | None = None

    @property
    def spoken_file(self) -> Path:
        return self.root / "speechd" / "spoken.txt"

    def spoken(self) -> str:
        return self.spoken_file.read_text(encoding="utf-8", errors="replace") if self.spoken_file.exists() else ""

    @property
    def speechd_socket(self) -> Path:
        return self.root / "speechd" / "run" / "speech-dispatcher" / "speechd.sock"

    def start(self) -> Stack:
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            xvfb, display = start_xvfb(first=100, last=140, size=self.screen)
        except RuntimeError as exc:
            raise StackError(str(exc)) from None
        self._xvfb = xvfb
        base = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
        base.update(DISPLAY=display, XDG_SESSION_TYPE="x11", NO_AT_BRIDGE="0", GTK_A11Y="atspi")
        self.env = base
        self._start_bus()
        self._start_window_manager()
        self._start_accessibility_bus()
        self._start_speech_dispatcher()
        return self

    def _spawn(self, argv: list[str], env: dict | None = None, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(
            argv,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=kw.pop("stdout", subprocess.DEVNULL),
            stderr=kw.pop("stderr", subprocess.DEVNULL),
            start_new_session=True,  # its own process group, ended as a whole in stop()
            **kw,
        )
        self._procs.append(proc)
        return proc

    def _start_bus(self) -> None:
        # dbus-run-session owns the bus daemon and ends it when its child ends: the child
        # prints the address and then waits until stop() ends the group.
        proc = self._spawn(
            ["dbus-run-session", "--", "sh", "-c", 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 100000'],
            stdout=subprocess.PIPE,
            text=True,
        )
        address = proc.stdout.readline().strip() if proc.stdout else ""
        if not address:
            raise StackError("dbus-run-session did not start a session bus.")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address

    def _start_window_manager(self) -> None:
        ready = self.root / "openbox.ready"
        # --startup runs once openbox manages the screen: then windows can take focus.
        self._spawn(["openbox", "--sm-disable", "--startup", f"touch {ready}"])
        _wait(ready.exists, 20, "openbox (window manager)", self._procs[-1])

    def _start_accessibility_bus(self) -> None:
        proc = self._spawn([AT_SPI_LAUNCHER, "--launch-immediately"])

        def bus_answers() -> bool:
            out = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.a11y.Bus",
                    "/org/a11y/bus",
                    "org.a11y.Bus.GetAddress",
                ],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=10,
            )
            return out.returncode == 0 and "unix:" in out.stdout

        _wait(bus_answers, 20, "the accessibility bus (at-spi-bus-launcher)", proc)
        # What Orca does when it starts: tell applications a screen reader is running.
        self.set_screen_reader_enabled(True)

    def set_screen_reader_enabled(self, on: bool) -> None:
        subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.a11y.Bus",
                "/org/a11y/bus",
                "org.freedesktop.DBus.Properties.Set",
                "string:org.a11y.Status",
                "string:ScreenReaderEnabled",
                f"variant:boolean:{'true' if on else 'false'}",
            ],
            env=self.env,
            capture_output=True,
            check=True,
            timeout=10,
        )

    def _start_speech_dispatcher(self) -> None:
        root = self.root / "speechd"
        conf = write_speechd_config(root)
        env = dict(self.env, XDG_RUNTIME_DIR=str(root / "run"), HOME=str(root / "home"))
        proc = self._spawn(["speech-dispatcher", "-s", "-C", str(conf), "-t", "600"], env=env)
        _wait(self.speechd_socket.exists, 20, "speech-dispatcher", proc)
        # Clients (the app, spd-say, Orca) find the server through these two.
        self.env["SPEECHD_ADDRESS"] = f"unix_socket:{self.speechd_socket}"
        self.env["XDG_RUNTIME_DIR"] = str(root / "run")

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self._procs):
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        self._procs.clear()
        if self._xvfb is not None:
            self._xvfb.terminate()
            self._xvfb.wait(10)
            self._xvfb = None
