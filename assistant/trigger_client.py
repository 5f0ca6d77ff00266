"""The client side of the trigger channel, without Qt: `screen-assistant trigger ACTION` sends
one action line to the running app and reads one reply line.

The app's server (assistant/gui/trigger.py) is a QLocalServer: a Unix socket in the temporary
folder on Linux and macOS, a named pipe on Windows. Both are plain files to Python.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
import sys
import tempfile
import time

from .config import data_dir
from .logs import get_logger

log = get_logger(__name__)


def server_name() -> str:
    """One name per user and per assistant home (so tests with their own home never collide)."""
    home = str(data_dir())
    digest = hashlib.sha1(home.encode("utf-8")).hexdigest()[:10]
    return f"screen-assistant-{getpass.getuser()}-{digest}"


def send_action(action: str, timeout_ms: int = 2000) -> str | None:
    """Send `action` to the running app. Returns its reply ('ok' or an error sentence), or
    None if no app is running."""
    try:
        if sys.platform == "win32":
            return _send_pipe(action, timeout_ms)
        return _send_unix(action, timeout_ms)
    except OSError:
        log.info("no assistant app answered on the trigger channel", exc_info=True)
        return None


def _send_unix(action: str, timeout_ms: int) -> str | None:
    path = os.path.join(tempfile.gettempdir(), server_name())
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_ms / 1000)
        sock.connect(path)
        sock.sendall((action + "\n").encode("utf-8"))
        reply = b""
        while not reply.endswith(b"\n"):
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    return reply.decode("utf-8", "replace").strip() or "The assistant app did not answer."


def _send_pipe(action: str, timeout_ms: int) -> str | None:
    path = rf"\\.\pipe\{server_name()}"
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            pipe = open(path, "r+b", buffering=0)
            break
        except FileNotFoundError:
            return None
        except OSError:  # busy: another client is being served
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    with pipe:
        pipe.write((action + "\n").encode("utf-8"))
        reply = pipe.readline()
    return reply.decode("utf-8", "replace").strip() or "The assistant app did not answer."
