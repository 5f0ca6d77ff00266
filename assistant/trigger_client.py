"""The client side of the trigger channel, without Qt: `screen-assistant trigger ACTION` and a
second start of the app send one action to the running app and read one reply.

The channel is owned, not just named (the old one was a predictable name in world-writable
/tmp: another local user could bind it first, receive the user's actions and make a second
start believe the app was "already running"):
- the app's socket is a full path in a private folder: $XDG_RUNTIME_DIR/screen-assistant, or
  <temp>/screen-assistant-<uid> when that is unset; the folder must be a real 0700 folder of
  this user, else the channel moves to <data dir>/run (inside the user's home);
- beside it, a 0600 file names the socket and holds a per-start secret; a challenge-response
  handshake proves each side to the other (the secret never crosses the socket), so nothing
  is believed or sent before the peer proves it can read the user's private folder;
- Linux: the peer's uid is also checked with SO_PEERCRED, on both sides. Other Unix systems
  rely on the folder's permissions and the handshake; Windows on the pipe's per-user access
  rights (Qt's UserAccessOption) and the handshake, with the secret in the user's temp folder.
The server is ui/trigger.py (a QLocalServer); this module holds what both share.
"""

from __future__ import annotations

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .logs import get_logger
from .paths import data_dir  # not .config: the trigger command must start fast

log = get_logger(__name__)

APP_FOLDER = "screen-assistant"
# sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, including the final NUL
MAX_SOCKET_PATH = 107 if sys.platform.startswith("linux") else 103
MAX_LINE = 512
PROTOCOL = "screen-assistant-trigger-1"

FOLDER_TAKEN = (
    "The trigger channel's usual folder, {folder}, belongs to someone else or is not private, so the "
    "app uses a private folder in your home instead. Triggers still work."
)
NOT_PRIVATE = "The trigger channel's folder {folder} is not private, so nothing was sent through it."
NOT_THE_APP = "Something that is not the assistant answered on its trigger channel, so nothing was sent to it."
NO_ANSWER = "Something on the assistant's trigger channel did not answer, so nothing was sent to it."


@dataclass
class Delivery:
    """What `deliver` found. reply: 'ok' or the app's sentence; None when no app of this user
    answered (and nothing was sent to anything else). problem: a sentence about an unsafe or
    silent channel that was skipped, or None."""

    reply: str | None
    problem: str | None = None


# ---- where the channel lives ---------------------------------------------------------------------
def uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def digest() -> str:
    """One channel per assistant home (so tests with their own home never collide)."""
    return hashlib.sha1(str(data_dir()).encode("utf-8")).hexdigest()[:10]


def _private_base(path: Path) -> bool:
    """$XDG_RUNTIME_DIR is trusted only as the spec promises it: ours, 0700, a real folder."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return path.is_absolute() and stat.S_ISDIR(st.st_mode) and st.st_uid == uid() and not st.st_mode & 0o077


def runtime_folder() -> Path:
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg and (uid() is None or _private_base(Path(xdg))):
        return Path(xdg) / APP_FOLDER
    if xdg:
        log.warning("XDG_RUNTIME_DIR is not a private folder of this user; not using it")
    owner = uid() if uid() is not None else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"{APP_FOLDER}-{owner}"


def fallback_folder() -> Path:
    """Inside the user's own data folder: nobody else can create anything there."""
    return data_dir() / "run"


def folders() -> list[Path]:
    first, second = runtime_folder(), fallback_folder()
    return [first] if first == second else [first, second]


def socket_name(folder: Path, fresh: bool = False) -> str:
    suffix = f"-{secrets.token_hex(4)}" if fresh else ""
    if uid() is None:  # Windows: a named pipe, not a file
        return f"{APP_FOLDER}-{getpass.getuser()}-{digest()}{suffix}"
    return str(folder / f"trigger-{digest()}{suffix}.sock")


def server_name() -> str:
    """The channel's usual full path (TriggerServer.path says where the app actually listens)."""
    return socket_name(runtime_folder())


def info_file(folder: Path) -> Path:
    return folder / f"trigger-{digest()}.json"


def folder_problem(folder: Path, create: bool) -> str | None:
    """None if `folder` is a private folder of this user (made so when create is True and we
    own it); else a sentence saying why not, or 'missing' when it does not exist."""
    if uid() is None:
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
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid():
        log.warning("trigger folder %s is not a folder of this user (owner %s)", folder, st.st_uid)
        return FOLDER_TAKEN.format(folder=folder)
    if st.st_mode & 0o077:
        if not create:
            return NOT_PRIVATE.format(folder=folder)
        os.chmod(folder, 0o700)  # ours, made with a loose umask: close it before using it
    return None


# ---- proof ----------------------------------------------------------------------------------------
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


def peer_is_user(descriptor: int) -> bool:
    """False when the kernel says the peer runs as another user (unknown counts as the user:
    the folder's permissions and the handshake still hold)."""
    try:
        other = peer_uid(descriptor)
    except OSError:
        log.exception("reading the trigger peer's uid")
        return False
    if other is not None and other != uid():
        log.warning("trigger peer runs as uid %s, not as this user", other)
        return False
    return True


def mac(token: bytes, *parts: str) -> str:
    return hmac.new(token, "|".join((PROTOCOL, *parts)).encode("utf-8"), hashlib.sha256).hexdigest()


def write_info(folder: Path, name: str, token: bytes) -> None:
    """Publish where the app listens and this start's secret: 0600, written whole, then renamed."""
    target = info_file(folder)
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(temporary, flags, 0o600), "w", encoding="utf-8") as fh:
        json.dump({"socket": name, "token": token.hex(), "pid": os.getpid()}, fh)
    os.replace(temporary, target)


def read_info(folder: Path) -> tuple[str, bytes] | str | None:
    """(socket name, token), None if there is none, or a problem sentence if it is not private."""
    path = info_file(folder)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError:
        log.exception("opening the trigger channel's secret file")
        return NOT_PRIVATE.format(folder=folder)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if uid() is not None and (not stat.S_ISREG(st.st_mode) or st.st_uid != uid() or st.st_mode & 0o077):
            return NOT_PRIVATE.format(folder=folder)
        try:
            info = json.loads(fh.read(4096))
            name, token = str(info["socket"]), bytes.fromhex(info["token"])
        except (ValueError, KeyError, TypeError):
            log.warning("the trigger channel's secret file is unreadable; ignoring it")
            return None
    if uid() is not None and Path(name).parent != folder:
        return NOT_PRIVATE.format(folder=folder)  # never follow the file out of the private folder
    return name, token


# ---- the client ------------------------------------------------------------------------------------
def deliver(action: str, timeout_ms: int = 2000) -> Delivery:
    """Send `action` to this user's running app, proven by the handshake; never to anything else."""
    problems: list[str] = []
    for folder in folders():
        why = folder_problem(folder, create=False)
        if why == "missing":
            continue
        if why:
            problems.append(why)
            continue
        delivery = deliver_in(folder, action, timeout_ms)
        if delivery.reply is not None:
            return Delivery(delivery.reply, " ".join(problems) or None)
        if delivery.problem:
            problems.append(delivery.problem)
    return Delivery(None, " ".join(problems) or None)


def send_action(action: str, timeout_ms: int = 2000) -> str | None:
    """Send `action` to the running app. Returns its reply ('ok' or an error sentence), or
    None if no app of this user is running (nothing is sent to anything else)."""
    return deliver(action, timeout_ms).reply


def deliver_in(folder: Path, action: str, timeout_ms: int) -> Delivery:
    """The handshake with whatever this (already checked) folder's secret file names."""
    info = read_info(folder)
    if not isinstance(info, tuple):
        return Delivery(None, info)
    name, token = info
    try:
        with _connect(name, timeout_ms) as channel:
            return _handshake(channel, token, action)
    except TimeoutError:
        log.warning("the trigger channel's peer did not answer in time")
        return Delivery(None, NO_ANSWER)
    except OSError:
        log.info("no assistant app listens on %s (a stale secret file)", name, exc_info=True)
        return Delivery(None)


def _handshake(channel: _Channel, token: bytes, action: str) -> Delivery:
    if not channel.peer_is_user():
        return Delivery(None, NOT_THE_APP)
    nonce = secrets.token_hex(16)
    channel.write_line(f"hello {nonce}")
    parts = channel.read_line().split()
    if (
        len(parts) != 3
        or parts[0] != "welcome"
        or not hmac.compare_digest(parts[2], mac(token, "server", nonce, parts[1]))
    ):
        log.warning("the trigger channel's peer failed the handshake")
        return Delivery(None, NOT_THE_APP)
    channel.write_line(f"{action} {mac(token, 'client', parts[1], action)}")
    return Delivery(channel.read_line() or "The assistant app did not answer.")


class _Stream(Protocol):
    def write(self, data: bytes, /) -> int | None: ...
    def flush(self) -> None: ...
    def readline(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...


class _Channel:
    """One connection, a line at a time: a Unix socket, or a named pipe on Windows."""

    def __init__(self, stream: _Stream, sock: socket.socket | None = None):
        self.stream, self.sock = stream, sock

    def __enter__(self) -> _Channel:
        return self

    def __exit__(self, *exc) -> None:
        self.stream.close()
        if self.sock is not None:
            self.sock.close()

    def peer_is_user(self) -> bool:
        return self.sock is None or peer_is_user(self.sock.fileno())

    def write_line(self, line: str) -> None:
        self.stream.write((line + "\n").encode("utf-8"))
        self.stream.flush()

    def read_line(self) -> str:
        return self.stream.readline(MAX_LINE).decode("utf-8", "replace").strip()


def _connect(name: str, timeout_ms: int) -> _Channel:
    if uid() is None:
        return _Channel(_open_pipe(name, timeout_ms))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_ms / 1000)  # every read and write below: a silent peer cannot hang us
    try:
        sock.connect(name)
        return _Channel(sock.makefile("rwb"), sock)
    except BaseException:
        sock.close()
        raise


def _open_pipe(name: str, timeout_ms: int) -> _Stream:
    path = rf"\\.\pipe\{name}"
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            return open(path, "r+b", buffering=0)  # closed by _Channel
        except FileNotFoundError:
            raise
        except OSError:  # busy: another client is being served
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
