"""A private speech-dispatcher whose only output module appends every message to spoken.txt.

The stand-in "ear" for the screen-reader path on a machine without a sound card: the generic
module runs one shell command per message ($DATA is the text), libao's null driver takes the
(absent) audio. Needs the Debian packages speech-dispatcher and libao4.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVER = shutil.which("speech-dispatcher") or "/usr/bin/speech-dispatcher"


@dataclass
class Capture:
    root: Path
    process: subprocess.Popen

    @property
    def socket(self) -> Path:
        return self.root / "run" / "speech-dispatcher" / "speechd.sock"

    @property
    def address(self) -> str:
        return f"unix_socket:{self.socket}"

    @property
    def spoken_file(self) -> Path:
        return self.root / "spoken.txt"

    def spoken(self) -> list[str]:
        if not self.spoken_file.exists():
            return []
        return [line for line in self.spoken_file.read_text(encoding="utf-8").splitlines() if line.strip()]

    def wait_for(self, predicate, timeout: float = 15.0) -> list[str]:
        """Poll spoken.txt until predicate(lines) holds (a hang guard, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.spoken()
            if predicate(lines):
                return lines
            time.sleep(0.01)
        return self.spoken()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def available() -> str | None:
    """None when a capture server can start here, else why not (a skip reason)."""
    if not os.path.exists(SERVER):
        return "speech-dispatcher is not installed (apt package speech-dispatcher)"
    if not os.path.exists("/usr/lib/speech-dispatcher-modules/sd_generic"):
        return "speech-dispatcher's generic module is missing"
    return None


def start(root: Path, delay_command: str = "", log_level: int = 3) -> Capture:
    """Start the server under `root`. delay_command (e.g. "sleep 0.3; ") runs before each message
    is written, to make speaking take time (for tests of queueing and Stop)."""
    root.mkdir(parents=True, exist_ok=True)
    conf, run, home = root / "conf", root / "run", root / "home"
    (conf / "modules").mkdir(parents=True, exist_ok=True)
    run.mkdir(mode=0o700, exist_ok=True)
    home.mkdir(exist_ok=True)
    if os.path.isdir("/etc/speech-dispatcher/clients"):
        shutil.copytree("/etc/speech-dispatcher/clients", conf / "clients", dirs_exist_ok=True)
    (conf / "speechd.conf").write_text(
        f'LogLevel {log_level}\nLogDir "{root}"\nAudioOutputMethod "libao"\n'
        'AddModule "capture" "sd_generic" "capture.conf"\nDefaultModule capture\n'
    )
    spoken = root / "spoken.txt"
    (conf / "modules" / "capture.conf").write_text(
        f"GenericExecuteSynth \"{delay_command}printf '%s\\\\n' \\'$DATA\\' >> {spoken}\"\n"
        'AddVoice "en" "MALE1" "en"\nDefaultVoice "en"\nGenericLanguage "en" "en" "utf-8"\n'
    )
    (home / ".libao").write_text("default_driver=null\n")
    stale = run / "speech-dispatcher" / "speechd.sock"
    if stale.exists():
        stale.unlink()  # left by a server stopped earlier: wait for the new one's socket
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), HOME=str(home))
    process = subprocess.Popen(
        [SERVER, "-s", "-C", str(conf), "-t", "600"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    capture = Capture(root, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not capture.socket.exists():
        if process.poll() is not None:
            raise RuntimeError(f"speech-dispatcher exited with {process.returncode}; see {root}")
        time.sleep(0.05)
    if not capture.socket.exists():
        capture.stop()
        raise RuntimeError(f"speech-dispatcher did not open its socket; see {root}")
    return capture
