"""Open a file the user named without trusting it.

Users open whatever arrives (mail attachments, downloads), so before a single byte is read:
only a regular file is opened (a named pipe would block the open, /dev/zero never ends), its
size is checked against a limit, and every operating-system error becomes a plain sentence that
names the file and what is wrong. Nothing here lets a Python class name reach the user.

    with open_user_file("photo.png", what="picture", max_bytes=limits.max_file_bytes) as fp:
        ...  # a binary file object, positioned at 0
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

from .errors import BadInput

DEFAULT_MAX_FILE_MB = 256
MB = 1_000_000  # sizes are said in decimal megabytes, as file managers show them


@dataclass
class InputLimits:
    """Settings for opening user files (the lead wires them into Settings and the TOML file).

    max_file_mb: the largest picture or recording file opened, checked before reading it.
    max_pixels: the largest picture accepted, from its header, before decoding.
    max_audio_seconds: the longest recording accepted, from its header, before decoding.
    """

    max_file_mb: float = DEFAULT_MAX_FILE_MB
    max_pixels: int = 100_000_000
    max_audio_seconds: float = 600.0

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)


def file_name(path: str | os.PathLike) -> str:
    """'The file /path/x.png', shortened in the middle if a hostile name is absurdly long."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if len(text) > 160:
        text = f"{text[:60]}…{text[-60:]}"
    return f"The file {text}"


def say_size(size: int) -> str:
    """Bytes as a person says them: '3.2 GB', '300 MB', '12 KB', '512 bytes'."""
    for unit, scale in (("GB", MB * 1000), ("MB", MB), ("KB", 1000)):
        if size >= scale:
            value = size / scale
            number = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
            return f"{number} {unit}"
    return f"{size} bytes"


def _say_limit(max_bytes: int) -> str:
    mb = max_bytes / MB
    return f"{mb:g} MB" if mb >= 1 else say_size(max_bytes)


def os_error_sentence(name: str, exc: OSError, what: str = "file") -> str:
    """One plain sentence for an operating-system error about the file called `name`."""
    code = exc.errno
    if code == errno.ENOENT:
        return f"{name} does not exist."
    if code in (errno.EACCES, errno.EPERM):
        return f"{name} cannot be read: permission denied."
    if code == errno.EISDIR:
        return f"{name} is a folder, not a {what} file."
    if code == errno.ELOOP:
        return f"{name} cannot be opened: its symbolic links go round in a loop."
    if code == errno.ENAMETOOLONG:
        return f"{name} cannot be opened: its name is too long."
    if code == errno.ENOTDIR:
        return f"{name} cannot be opened: part of its path is a file, not a folder."
    if code == errno.EIO:
        return f"{name} cannot be read: the disk reported a read error."
    if code in (errno.EMFILE, errno.ENFILE):
        return f"{name} cannot be opened: too many files are open. Close some programs and try again."
    reason = (exc.strerror or "the system refused").rstrip(".").lower()
    return f"{name} cannot be read: {reason}."


def _check_kind(mode: int, name: str, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise BadInput(f"{name} is a folder, not a {what} file.")
    if stat.S_ISFIFO(mode):
        raise BadInput(f"{name} is a named pipe, not a {what} file. Save the {what} to a file first.")
    if stat.S_ISSOCK(mode):
        raise BadInput(f"{name} is a socket, not a {what} file.")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise BadInput(f"{name} is a device, not a {what} file.")
    raise BadInput(f"{name} is not a regular file, so it cannot be opened as a {what}.")


def check_size(size: int, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise BadInput(f"{name} is too large: {say_size(size)}, over the limit of {_say_limit(max_bytes)}.")


def open_user_file(path: str | os.PathLike, what: str = "file", max_bytes: int = DEFAULT_MAX_FILE_MB * MB) -> BinaryIO:
    """A binary file object for the regular file at `path`, or BadInput with a sentence.

    The kind and size are checked with stat before opening; the open itself never blocks
    (O_NONBLOCK) and the checks are repeated on the opened descriptor, so a file swapped for a
    pipe in between is still refused."""
    name = file_name(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise BadInput(os_error_sentence(name, exc, what)) from None
    except ValueError:  # a NUL character in the name
        raise BadInput(f"{name} has a name no file can have.") from None
    _check_kind(info.st_mode, name, what)
    check_size(info.st_size, name, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadInput(os_error_sentence(name, exc, what)) from None
    try:
        info = os.fstat(fd)
        _check_kind(info.st_mode, name, what)
        check_size(info.st_size, name, max_bytes)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(fp: BinaryIO, name: str, max_bytes: int) -> bytes:
    """All of `fp`, refusing more than max_bytes (for files whose size the system does not
    know, such as those under /proc, and for streams)."""
    data = fp.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadInput(f"{name} is too large: it is over the limit of {_say_limit(max_bytes)}.")
    return data
