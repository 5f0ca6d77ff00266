"""The trigger channel's server: a QLocalServer in the running app. `screen-assistant trigger ACTION`
and a second start of the app connect to it (assistant/trigger_client.py) and send one action.

Why: global hotkeys cannot be grabbed everywhere (Wayland, Linux without /dev/input access),
but every desktop lets users bind a key to a command; that command is `screen-assistant trigger ...`.

How the channel is owned (private folder, secret file, handshake, SO_PEERCRED): see
assistant/trigger_client.py. Here: a lock file held while the app listens tells a stale socket
(left by a killed app: removed and reused) from a live one; a name taken by anything else (a
file that is not a socket, another user's socket, a socket that is not the app) is left alone,
reported in a plain sentence, and the app listens on a fresh private name that clients find
through the secret file.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import socket
import stat
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.commands import is_trigger as is_valid  # the one place triggers check action names
from assistant.logs import get_logger
from assistant.trigger_client import (  # noqa: F401 - re-exported: app.py and tests import them from here
    FOLDER_TAKEN,
    MAX_LINE,
    MAX_SOCKET_PATH,
    NOT_THE_APP,
    Delivery,
    deliver,
    deliver_in,
    digest,
    fallback_folder,
    folder_problem,
    folders,
    info_file,
    mac,
    peer_is_user,
    read_info,
    runtime_folder,
    send_action,
    server_name,
    socket_name,
    uid,
    write_info,
)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = get_logger(__name__)

ALREADY_RUNNING = "The assistant is already running."
OTHER_COPY_STUCK = (
    "Another copy of the assistant holds the trigger channel but does not answer, so triggers and "
    "hotkey commands will not reach this copy."
)
NAME_TAKEN = (
    "Something that is not this app had taken the trigger channel's usual place, so the app "
    "uses a private one instead. Triggers still work."
)
NO_CHANNEL = "The trigger channel could not start, so `screen-assistant trigger` cannot reach this app."


def _write_line(sock: QLocalSocket, line: str) -> None:
    sock.write((line + "\n").encode("utf-8"))
    sock.flush()


# ---- the server ---------------------------------------------------------------------------------
class _Session:
    """One connection: it must say hello, then send one action proven with the token."""

    def __init__(self, sock: QLocalSocket):
        self.sock = sock
        self.nonce = secrets.token_hex(16)
        self.greeted = False


class TriggerServer(QObject):
    """Emits `triggered(action)` for each valid action a proven client sends.

    After listen(): `problem` holds a sentence to show (or None), `already_running` says a
    proven copy of the app answered, `path` is where this one listens."""

    triggered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._sessions: dict[int, _Session] = {}
        self._token = b""
        self._lock_fd: int | None = None
        self._folder: Path | None = None
        self.problem: str | None = None
        self.already_running = False
        self.path: str | None = None

    def listen(self) -> bool:
        """True when listening (perhaps on a fresh private name: see `problem`)."""
        problems: list[str] = []
        for folder in folders():
            why = folder_problem(folder, create=True)
            if why:
                problems.append(why)
                continue
            if deliver_in(folder, "ping", 1000).reply is not None:
                self.already_running, self.problem = True, ALREADY_RUNNING
                return False
            try:
                listening = self._listen_in(folder, problems)
            except OSError:
                log.exception("starting the trigger channel in %s", folder)
                listening = False
            if listening is None:  # another copy holds the lock: it may have just started listening
                self.already_running = deliver_in(folder, "ping", 1000).reply is not None
                self.problem = ALREADY_RUNNING if self.already_running else OTHER_COPY_STUCK
                return False
            if listening:
                self.problem = " ".join(dict.fromkeys(problems)) or None
                return True
        self.problem = " ".join(dict.fromkeys([*problems, NO_CHANNEL]))
        return False

    def _listen_in(self, folder: Path, problems: list[str]) -> bool | None:
        """None when another live copy holds this folder's lock."""
        lock = _take_lock(folder)
        if lock is False:
            return None
        name = socket_name(folder)
        if not _name_is_free(name):
            problems.append(NAME_TAKEN)
            name = socket_name(folder, fresh=True)
        if uid() is not None and len(os.fsencode(name)) > MAX_SOCKET_PATH:
            log.warning("trigger socket path too long (%d bytes): %s", len(os.fsencode(name)), name)
            _release(lock)
            return False
        if not self._server.listen(name):
            log.warning("listening on %s failed: %s", name, self._server.errorString())
            _release(lock)
            return False
        self._token = secrets.token_bytes(32)
        write_info(folder, name, self._token)
        self._lock_fd = lock if isinstance(lock, int) and not isinstance(lock, bool) else None
        self._folder, self.path = folder, name
        log.info("trigger channel listening at %s", name)
        return True

    def close(self) -> None:
        self._server.close()
        if self._folder is not None:
            info = read_info(self._folder)
            if isinstance(info, tuple) and info[0] == self.path:
                info_file(self._folder).unlink(missing_ok=True)
            self._folder = None
        _release(self._lock_fd)
        self._lock_fd = None

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if not peer_is_user(int(sock.socketDescriptor())):  # another user's process: not a word to it
                sock.abort()
                sock.deleteLater()
                continue
            key = id(sock)
            self._sessions[key] = _Session(sock)
            sock.readyRead.connect(lambda k=key: self._on_ready(k))
            sock.disconnected.connect(lambda k=key: self._forget(k))
            if sock.bytesAvailable():  # the line may have arrived before we connected
                self._on_ready(key)
            if sock.state() == QLocalSocket.LocalSocketState.UnconnectedState:  # gone before we listened
                self._forget(key)

    def _forget(self, key: int) -> None:
        session = self._sessions.pop(key, None)
        if session is not None:
            session.sock.deleteLater()

    def _on_ready(self, key: int) -> None:
        session = self._sessions.get(key)
        if session is None:
            return
        sock = session.sock
        while sock.canReadLine():
            line = bytes(sock.readLine(MAX_LINE).data()).decode("utf-8", "replace").strip()
            reply = self._answer(session, line)
            if reply is None:
                sock.abort()
                return
            _write_line(sock, reply)
        if sock.bytesAvailable() > MAX_LINE:
            sock.abort()

    def _answer(self, session: _Session, line: str) -> str | None:
        """The next line to send, or None to hang up on a peer that is not the user's own app."""
        if not session.greeted:
            parts = line.split()
            if len(parts) != 2 or parts[0] != "hello":
                log.warning("a trigger client skipped the handshake")
                return None
            session.greeted = True
            return f"welcome {session.nonce} {mac(self._token, 'server', parts[1], session.nonce)}"
        action, _, proof = line.rpartition(" ")
        if not hmac.compare_digest(proof, mac(self._token, "client", session.nonce, action)):
            log.warning("a trigger client failed the handshake")
            return None
        if action == "ping":
            return "ok"
        if is_valid(action):
            self.triggered.emit(action)
            return "ok"
        return f"Unknown action '{action}'."


def _take_lock(folder: Path) -> int | bool:
    """The lock's descriptor (held while listening), True where there are no locks, False if
    another live process holds it."""
    if fcntl is None:
        return True
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(folder / f"trigger-{digest()}.lock", flags, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    return fd


def _release(lock: int | bool | None) -> None:
    if isinstance(lock, int) and not isinstance(lock, bool):
        with contextlib.suppress(OSError):
            os.close(lock)


def _name_is_free(name: str) -> bool:
    """Free, or a stale socket of ours (removed now). We hold the lock, so no copy of the app
    listens here: anything else at this path is not ours to take over."""
    if uid() is None:
        return True  # Windows pipes: Qt refuses a name in use; the handshake guards the rest
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        return True
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != uid():
        log.warning("trigger path %s is taken (mode %o, owner %s)", name, st.st_mode, st.st_uid)
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(name)
    except ConnectionRefusedError:
        os.unlink(name)  # stale: left by an app that was killed
        return True
    except OSError:
        log.exception("probing the trigger path")
        return False
    finally:
        probe.close()
    log.warning("trigger path %s has a listener that is not the app", name)
    return False


def ensure_core_app():
    """QLocalSocket needs a Qt application object; the CLI has none of its own."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.instance() or QCoreApplication([os.path.basename(__file__)])
