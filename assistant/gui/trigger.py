"""Single-instance channel: a QLocalServer in the running app; `main.py trigger ACTION` and a
second start of the app connect to it and send one action.

Why: global hotkeys cannot be grabbed everywhere (Wayland, Linux without /dev/input access),
but every desktop lets users bind a key to a command; that command is `main.py trigger ...`.

Owned, not just named: the old channel was a predictable name in world-writable /tmp, so
another local user could bind it first, receive the user's actions and make the app believe
it was "already running". Now:
- the socket is a full path in a private folder: $XDG_RUNTIME_DIR/screen-assistant, or
  <temp>/screen-assistant-<uid> when that is unset; the folder must be a real 0700 folder
  owned by the user, else the channel moves to <data dir>/run (inside the user's home);
- a per-start secret (a 0600 file beside the socket, with the socket's path) and a
  challenge-response handshake prove each side to the other: only a peer that can read the
  user's private folder can pass, and the secret never crosses the socket;
- Linux: the peer's uid is also checked on both sides with SO_PEERCRED. Other Unix systems get
  the folder's permissions and the handshake; Windows gets Qt's per-user pipe access rights
  and the handshake (the secret file lives in the user's own temp folder);
- a lock file held while the app listens tells a stale socket (left by a killed app: removed
  and reused) from a live one; a name taken by anything else (a file that is not a socket,
  another user's socket, a socket that is not the app) is left alone, reported in a plain
  sentence, and the app listens on a fresh private name that clients find through the secret file.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import hmac
import json
import os
import secrets
import socket
import stat
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.config import data_dir
from assistant.logs import get_logger

from .actions import is_valid  # the one place triggers check action names (a command registry can replace it)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = get_logger(__name__)

APP_FOLDER = "screen-assistant"
# sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, including the final NUL
MAX_SOCKET_PATH = 107 if sys.platform.startswith("linux") else 103
MAX_LINE = 512
PROTOCOL = "screen-assistant-trigger-1"

ALREADY_RUNNING = "The assistant is already running."
OTHER_COPY_STUCK = (
    "Another copy of the assistant holds the trigger channel but does not answer, so triggers and "
    "hotkey commands will not reach this copy."
)
NAME_TAKEN = (
    "Something that is not this app had taken the trigger channel's usual place, so the app "
    "uses a private one instead. Triggers still work."
)
FOLDER_TAKEN = (
    "The trigger channel's usual folder, {folder}, belongs to someone else or is not private, so the "
    "app uses a private folder in your home instead. Triggers still work."
)
NO_CHANNEL = "The trigger channel could not start, so `python main.py trigger` cannot reach this app."
NOT_THE_APP = "Something that is not the assistant answered on its trigger channel, so nothing was sent to it."
NOT_PRIVATE = "The trigger channel's folder {folder} is not private, so nothing was sent through it."


@dataclass
class Delivery:
    """What `deliver` found. reply: 'ok' or the app's sentence; None when no app of this user
    answered (nothing was sent to anything else). problem: a sentence about an unsafe channel."""

    reply: str | None
    problem: str | None = None


# ---- where the channel lives -------------------------------------------------------------------
def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def _digest() -> str:
    """One channel per assistant home (so tests with their own home never collide)."""
    return hashlib.sha1(str(data_dir()).encode("utf-8")).hexdigest()[:10]


def _private_base(path: Path) -> bool:
    """$XDG_RUNTIME_DIR is trusted only as the spec promises it: ours, 0700, a real folder."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return path.is_absolute() and stat.S_ISDIR(st.st_mode) and st.st_uid == _uid() and not st.st_mode & 0o077


def runtime_folder() -> Path:
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and (_uid() is None or _private_base(Path(xdg))):
        return Path(xdg) / APP_FOLDER
    if xdg:
        log.warning("XDG_RUNTIME_DIR is not a private folder of this user; not using it")
    owner = _uid() if _uid() is not None else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"{APP_FOLDER}-{owner}"


def fallback_folder() -> Path:
    """Inside the user's own data folder: nobody else can create anything there."""
    return data_dir() / "run"


def _folders() -> list[Path]:
    first, second = runtime_folder(), fallback_folder()
    return [first] if first == second else [first, second]


def server_name() -> str:
    """The channel's usual full path (TriggerServer.path says where it actually listens)."""
    return _socket_name(runtime_folder())


def _socket_name(folder: Path, fresh: bool = False) -> str:
    suffix = f"-{secrets.token_hex(4)}" if fresh else ""
    if _uid() is None:  # Windows: a named pipe, not a file
        return f"{APP_FOLDER}-{getpass.getuser()}-{_digest()}{suffix}"
    return str(folder / f"trigger-{_digest()}{suffix}.sock")


def _info_file(folder: Path) -> Path:
    return folder / f"trigger-{_digest()}.json"


def _folder_problem(folder: Path, create: bool) -> str | None:
    """None if `folder` is a private folder of this user (made so if we own it); else why not.
    'missing' when it does not exist and create is False."""
    if _uid() is None:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return None
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.lstat(folder)
    except FileNotFoundError:
        return "missing"
    except OSError:
        log.exception("preparing the trigger folder")
        return FOLDER_TAKEN.format(folder=folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != _uid():
        log.warning("trigger folder %s is not a folder of this user (owner %s)", folder, st.st_uid)
        return FOLDER_TAKEN.format(folder=folder)
    if st.st_mode & 0o077:
        if not create:
            return NOT_PRIVATE.format(folder=folder)
        os.chmod(folder, 0o700)  # ours, made with a loose umask: close it before using it
    return None


def peer_uid(descriptor: int) -> int | None:
    """The uid of the process at the other end of a connected Unix socket (Linux SO_PEERCRED),
    or None where the system cannot tell. Reads a duplicate: the caller's descriptor stays its own."""
    if descriptor < 0 or not hasattr(socket, "SO_PEERCRED"):
        return None
    duplicate = socket.fromfd(descriptor, socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        creds = duplicate.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    finally:
        duplicate.close()
    return struct.unpack("3i", creds)[1]


def _peer_is_user(sock: QLocalSocket) -> bool:
    try:
        uid = peer_uid(int(sock.socketDescriptor()))
    except OSError:
        log.exception("reading the trigger peer's uid")
        return False
    if uid is not None and uid != _uid():
        log.warning("trigger peer runs as uid %s, not as this user", uid)
        return False
    return True


def _mac(token: bytes, *parts: str) -> str:
    return hmac.new(token, "|".join((PROTOCOL, *parts)).encode("utf-8"), hashlib.sha256).hexdigest()


# ---- the secret file: where the app listens and the per-start token ---------------------------
def _write_info(folder: Path, name: str, token: bytes) -> None:
    target = _info_file(folder)
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(temporary, flags, 0o600), "w", encoding="utf-8") as fh:
        json.dump({"socket": name, "token": token.hex(), "pid": os.getpid()}, fh)
    os.replace(temporary, target)


def _read_info(folder: Path) -> tuple[str, bytes] | str | None:
    """(socket name, token), None if there is none, or a problem sentence if it is not private."""
    path = _info_file(folder)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError:
        log.exception("opening the trigger channel's secret file")
        return NOT_PRIVATE.format(folder=folder)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if _uid() is not None and (not stat.S_ISREG(st.st_mode) or st.st_uid != _uid() or st.st_mode & 0o077):
            return NOT_PRIVATE.format(folder=folder)
        try:
            info = json.loads(fh.read(4096))
            name, token = str(info["socket"]), bytes.fromhex(info["token"])
        except (ValueError, KeyError, TypeError):
            log.warning("the trigger channel's secret file is unreadable; ignoring it")
            return None
    if _uid() is not None and Path(name).parent != folder:
        return NOT_PRIVATE.format(folder=folder)  # never follow the file out of the private folder
    return name, token


# ---- the client ---------------------------------------------------------------------------------
def deliver(action: str, timeout_ms: int = 2000) -> Delivery:
    """Send `action` to this user's running app, proven by the handshake; never to anything else."""
    problems: list[str] = []
    for folder in _folders():
        why = _folder_problem(folder, create=False)
        if why == "missing":
            continue
        if why:
            problems.append(why)
            continue
        info = _read_info(folder)
        if isinstance(info, str):
            problems.append(info)
        elif info is not None:
            delivery = _handshake(info[0], info[1], action, timeout_ms)
            if delivery.reply is not None:
                return Delivery(delivery.reply, " ".join(problems) or None)
            if delivery.problem:
                problems.append(delivery.problem)
    return Delivery(None, " ".join(problems) or None)


def send_action(action: str, timeout_ms: int = 2000) -> str | None:
    """Send `action` to the running app. Returns its reply ('ok' or an error sentence),
    or None if no app of this user is running (nothing is sent to anything else)."""
    return deliver(action, timeout_ms).reply


def _handshake(name: str, token: bytes, action: str, timeout_ms: int) -> Delivery:
    sock = QLocalSocket()
    sock.connectToServer(name)
    try:
        if not sock.waitForConnected(timeout_ms):
            return Delivery(None)  # a stale socket: the app that wrote the file is gone
        if not _peer_is_user(sock):
            return Delivery(None, NOT_THE_APP)
        nonce = secrets.token_hex(16)
        _write_line(sock, f"hello {nonce}")
        parts = (_read_line(sock, timeout_ms) or "").split()
        if (
            len(parts) != 3
            or parts[0] != "welcome"
            or not hmac.compare_digest(parts[2], _mac(token, "server", nonce, parts[1]))
        ):
            log.warning("the trigger channel's peer failed the handshake")
            return Delivery(None, NOT_THE_APP)
        _write_line(sock, f"{action} {_mac(token, 'client', parts[1], action)}")
        return Delivery(_read_line(sock, timeout_ms) or "The assistant app did not answer.")
    finally:
        sock.abort()


def _write_line(sock: QLocalSocket, line: str) -> None:
    sock.write((line + "\n").encode("utf-8"))
    sock.flush()


def _read_line(sock: QLocalSocket, timeout_ms: int) -> str | None:
    while not sock.canReadLine():
        if sock.bytesAvailable() > MAX_LINE or not sock.waitForReadyRead(timeout_ms):
            return None
    return bytes(sock.readLine(MAX_LINE).data()).decode("utf-8", "replace").strip()


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
        for folder in _folders():
            why = _folder_problem(folder, create=True)
            if why:
                problems.append(why)
                continue
            if _deliver_in(folder, "ping", 1000).reply is not None:
                self.already_running, self.problem = True, ALREADY_RUNNING
                return False
            try:
                listening = self._listen_in(folder, problems)
            except OSError:
                log.exception("starting the trigger channel in %s", folder)
                listening = False
            if listening is None:  # another copy holds the lock: it may have just started listening
                self.already_running = _deliver_in(folder, "ping", 1000).reply is not None
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
        name = _socket_name(folder)
        if not _name_is_free(name):
            problems.append(NAME_TAKEN)
            name = _socket_name(folder, fresh=True)
        if _uid() is not None and len(os.fsencode(name)) > MAX_SOCKET_PATH:
            log.warning("trigger socket path too long (%d bytes): %s", len(os.fsencode(name)), name)
            _release(lock)
            return False
        if not self._server.listen(name):
            log.warning("listening on %s failed: %s", name, self._server.errorString())
            _release(lock)
            return False
        self._token = secrets.token_bytes(32)
        _write_info(folder, name, self._token)
        self._lock_fd = lock if isinstance(lock, int) and not isinstance(lock, bool) else None
        self._folder, self.path = folder, name
        log.info("trigger channel listening at %s", name)
        return True

    def close(self) -> None:
        self._server.close()
        if self._folder is not None:
            info = _read_info(self._folder)
            if isinstance(info, tuple) and info[0] == self.path:
                _info_file(self._folder).unlink(missing_ok=True)
            self._folder = None
        _release(self._lock_fd)
        self._lock_fd = None

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if not _peer_is_user(sock):  # another user's process: not a word to it
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
            return f"welcome {session.nonce} {_mac(self._token, 'server', parts[1], session.nonce)}"
        action, _, proof = line.rpartition(" ")
        if not hmac.compare_digest(proof, _mac(self._token, "client", session.nonce, action)):
            log.warning("a trigger client failed the handshake")
            return None
        if action == "ping":
            return "ok"
        if is_valid(action):
            self.triggered.emit(action)
            return "ok"
        return f"Unknown action '{action}'."


def _deliver_in(folder: Path, action: str, timeout_ms: int) -> Delivery:
    """The handshake with whatever this folder's secret file names (the folder is already checked)."""
    info = _read_info(folder)
    if not isinstance(info, tuple):
        return Delivery(None, info)
    return _handshake(info[0], info[1], action, timeout_ms)


def _take_lock(folder: Path) -> int | bool:
    """The lock's descriptor (held while listening), True where there are no locks, False if
    another live process holds it."""
    if fcntl is None:
        return True
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(folder / f"trigger-{_digest()}.lock", flags, 0o600)
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
    if _uid() is None:
        return True  # Windows pipes: Qt refuses a name in use; the handshake guards the rest
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        return True
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != _uid():
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
