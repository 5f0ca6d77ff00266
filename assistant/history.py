"""History of captures, descriptions and questions, kept in SQLite (WAL) in the data directory.

Qt-free: the desktop app shows it, the core could use it headless. Each capture keeps its
full picture as a PNG file next to the database (so it can be re-opened and asked about
again) and a small PNG thumbnail inside the database (so the list loads fast).

Privacy and reliability, because the pictures are screenshots of private screens:
- the folder is 0700 and every file 0600 from the moment it is created (older installs are
  fixed when the store opens);
- retention (days and/or number of captures) is applied on open and after every capture; a
  private mode keeps nothing and touches no file;
- a capture and its picture come and go together even when the process is killed: rows are
  committed as 'pending' before the picture is written and as 'deleting' before it is removed,
  and the next open finishes whatever a crash interrupted;
- nothing here raises into the caller: `HistoryStore.open` returns a store or a plain sentence,
  and a failing write returns None/False and leaves a sentence for `take_problem()`. A full
  disk, a read-only folder or a damaged file turns history off for the session.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .config import HistorySettings, data_dir
from .logs import get_logger

try:  # POSIX: lets the first opener sweep interrupted writes without racing another process
    import fcntl
except ImportError:  # Windows: files in use cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]

log = get_logger(__name__)

THUMB_SIZE = (160, 120)
FOLDER_MODE = 0o700
FILE_MODE = 0o600
DAY = 86400.0
_CHUNK = 500  # ids per statement (SQLite limits bound parameters)
_POSIX = os.name == "posix"

PRIVATE_SENTENCE = "Private mode is on, so the history keeps nothing."
DAMAGED_SENTENCE = (
    "The history file was damaged, so it was moved aside to the folder {name} next to it, "
    "and a new, empty history was started."
)
OFF_SENTENCES = {
    "full": "History is off for this session because the disk is full. Answers still work.",
    "readonly": "History is off for this session because its folder cannot be written to. Answers still work.",
    "damaged": (
        "History is off for this session because the history file is damaged. It will be moved aside "
        "and a new history started the next time the app starts. Answers still work."
    ),
    "failed": "History is off for this session because it could not be opened. Answers still work.",
}
CAPTURE_NOT_SAVED = "This picture could not be saved in the history."
ENTRY_NOT_SAVED = "This answer could not be saved in the history."
DELETE_FAILED = "The history could not be changed."
READ_FAILED = "The history could not be read."
PICTURE_MISSING = "The picture of this capture could not be read from the history."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    image_file TEXT NOT NULL,
    thumbnail BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'ok'
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_capture ON entries(capture_id);
"""
_COLUMNS = "c.id, c.created, c.source, c.width, c.height, c.image_file, c.thumbnail"


@dataclass
class OpenedHistory:
    """What `HistoryStore.open` gives back: a store, or None with the reason.

    `problem` is a plain sentence for the app to speak and show once (a damaged file moved
    aside still gives a store; a full or read-only disk gives none)."""

    store: HistoryStore | None
    problem: str | None = None
    private: bool = False

    @property
    def unavailable_reason(self) -> str:
        """What to say when the user opens the history and there is no store."""
        if self.private:
            return PRIVATE_SENTENCE
        return self.problem or OFF_SENTENCES["failed"]


@dataclass
class Entry:
    kind: str  # describe | ask | read_text | edit | generate ...
    question: str
    text: str
    created: float


@dataclass
class Capture:
    id: int
    created: float
    source: str  # screen | window | region | clipboard | file:NAME ...
    width: int
    height: int
    image_file: Path
    thumbnail: bytes
    entries: list[Entry] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The first description or answer, for the history list."""
        for entry in self.entries:
            if entry.text:
                return entry.text.splitlines()[0]
        return "No description yet."

    def load_image(self) -> Image.Image:
        with Image.open(self.image_file) as img:
            return img.convert("RGB")


class _Damaged(Exception):
    """quick_check found the database inconsistent."""


def default_path() -> Path:
    return data_dir() / "history" / "history.sqlite3"


def classify(exc: BaseException) -> str:
    """damaged | full | readonly | failed: what a failure means for the rest of the session."""
    if isinstance(exc, _Damaged):
        return "damaged"
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        kinds = {11: "damaged", 26: "damaged", 13: "full", 3: "readonly", 8: "readonly", 14: "readonly"}
        return kinds.get(code, "failed")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return "full"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "readonly"
    return "failed"


# ---- files: private from creation -------------------------------------------------------------
def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    _make_private(folder)


def _make_private(path: Path) -> None:
    """Take group and other access away from a folder or file we own; symlinks are never followed.
    (Only taken away: a folder the user made read-only stays read-only.)"""
    if not _POSIX:
        return  # Windows: the per-user profile folder's ACL already keeps other users out
    st = os.lstat(path)
    if st.st_uid != os.getuid() or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        return
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        os.chmod(path, mode & ~0o077)


def fix_permissions(folder: Path) -> None:
    """Older installs made 0755 folders and 0644 files (0700 and 0600 now): tighten everything under `folder`."""
    _make_private(folder)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            _make_private(Path(root) / name)


def _create_private_file(path: Path) -> None:
    """Create an empty 0600 file if missing (SQLite gives its WAL and SHM files the same mode)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    os.close(os.open(path, flags, FILE_MODE))


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _move_aside(path: Path) -> Path:
    """Put a damaged database and its pictures in `damaged-YYYYmmdd-HHMMSS/` beside it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.parent / f"damaged-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = path.parent / f"damaged-{stamp}-{n}"
    target.mkdir(mode=FOLDER_MODE)
    _make_private(target)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(path) + suffix)
        if source.exists():
            os.replace(source, target / source.name)
    images = path.parent / "images"
    if images.exists():
        os.replace(images, target / "images")
    return target


def _thumbnail_png(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    buf = io.BytesIO()
    thumb.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class HistoryStore:
    """Thread-safe: one connection guarded by a lock (writes are small and rare).

    Use `HistoryStore.open(...)`, which never raises. The constructor raises on failure (it is
    what `open` calls) and is kept for callers that want the exception."""

    def __init__(self, path: Path | None = None, retention: HistorySettings | None = None):
        self.path = Path(path or default_path())
        self.folder = self.path.parent
        self.images_dir = self.folder / "images"
        self.retention = retention or HistorySettings()
        self.enabled = True  # False once a full disk, read-only folder or damage turned it off
        self._lock = threading.RLock()
        self._problems: list[str] = []
        self._closed = False
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self._open_files()
        except BaseException:
            self._close_handles()
            raise
        self.apply_retention()

    @classmethod
    def open(cls, path: Path | None = None, retention: HistorySettings | None = None) -> OpenedHistory:
        """Open the history; never raises. A damaged file is moved aside and a fresh one started."""
        retention = retention or HistorySettings()
        if retention.private:
            return OpenedHistory(None, None, private=True)
        path = Path(path or default_path())
        try:
            return OpenedHistory(cls(path, retention))
        except Exception as exc:
            kind = classify(exc)
            log.exception("opening the history (%s)", kind)
            if kind != "damaged":
                return OpenedHistory(None, OFF_SENTENCES[kind])
        try:
            moved = _move_aside(path)
            log.warning("moved a damaged history aside to %s", moved)
            return OpenedHistory(cls(path, retention), DAMAGED_SENTENCE.format(name=moved.name))
        except Exception as exc:
            log.exception("starting a new history after damage")
            kind = classify(exc)
            return OpenedHistory(None, OFF_SENTENCES["damaged" if kind == "failed" else kind])

    def _open_files(self) -> None:
        _private_folder(self.folder)
        self.images_dir.mkdir(exist_ok=True, mode=FOLDER_MODE)
        fix_permissions(self.folder)
        exclusive = self._take_lock()
        _create_private_file(self.path)
        db = self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        check = db.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise _Damaged(str(check))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA secure_delete=ON")  # deleted screenshots' thumbnails are overwritten, not left in free pages
        db.execute("PRAGMA temp_store=MEMORY")
        db.executescript(_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(captures)")}
        if "state" not in columns:  # a history from before crash-safe deletes
            db.execute("ALTER TABLE captures ADD COLUMN state TEXT NOT NULL DEFAULT 'ok'")
        db.commit()
        fix_permissions(self.folder)  # the WAL and SHM files exist only now
        self._recover(exclusive)
        if exclusive and fcntl is not None and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)  # let another process open it too

    def _take_lock(self) -> bool:
        """A shared lock while open; True if no other process has the store open (safe to sweep)."""
        if fcntl is None:
            return True
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        self._lock_fd = os.open(self.folder / "history.lock", flags, FILE_MODE)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
            return False

    def _recover(self, exclusive: bool) -> None:
        """Finish what a killed process left half done; drop pictures no capture refers to."""
        db = self._conn()
        states = ("pending", "deleting") if exclusive else ("deleting",)
        marks = ",".join("?" * len(states))
        rows = db.execute(f"SELECT id, image_file FROM captures WHERE state IN ({marks})", states).fetchall()
        for _cid, name in rows:
            self._unlink_picture(name)
        with db:
            db.execute(f"DELETE FROM captures WHERE state IN ({marks})", states)
        if rows:
            log.info("finished %d interrupted history writes", len(rows))
        if exclusive:
            self._sweep_orphans()

    def _sweep_orphans(self, keep_temporary: bool = False) -> None:
        referenced = {name for (name,) in self._conn().execute("SELECT image_file FROM captures")}
        for entry in self.images_dir.iterdir():
            if entry.name in referenced or (keep_temporary and entry.name.endswith(".tmp")):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                _unlink(entry)

    def _unlink_picture(self, name: str) -> None:
        if name:
            _unlink(self.images_dir / name)
            _unlink(self.images_dir / (name + ".tmp"))

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._closed:
            raise sqlite3.ProgrammingError("the history is closed")
        return self._db

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close_handles()

    def _close_handles(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except Exception:
                log.exception("closing the history database")
            self._db = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ---- problems -------------------------------------------------------------------------------
    def take_problem(self) -> str | None:
        """The sentence(s) about writes that failed since the last call, or None. Say it, show it."""
        with self._lock:
            problems, self._problems = self._problems, []
        return " ".join(problems) or None

    def _failed(self, exc: BaseException, sentence: str, reading: bool = False) -> None:
        """Keep the sentence for take_problem(); turn history off where retrying cannot help
        (a failed read turns it off only when the file is damaged)."""
        kind = classify(exc)
        if kind == "damaged" or (kind in ("full", "readonly") and not reading):
            if not self.enabled:
                return  # already said once
            self.enabled = False
            sentence = OFF_SENTENCES[kind]
        with self._lock:
            if sentence not in self._problems:
                self._problems.append(sentence)

    @property
    def writable(self) -> bool:
        return self.enabled and not self._closed

    # ---- writing --------------------------------------------------------------------------------
    def add_capture(self, image: Image.Image, source: str) -> int | None:
        """Store a capture; its id, or None (private, off, or failed: see take_problem())."""
        if not self.writable:
            return None
        name = f"{secrets.token_hex(8)}.png"
        capture_id: int | None = None
        try:
            thumbnail = _thumbnail_png(image)
            with self._lock:  # held throughout: readers here see a capture whole or not at all
                with self._conn() as db:
                    cur = db.execute(
                        "INSERT INTO captures(created, source, width, height, image_file, thumbnail, state) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                        (time.time(), source, image.width, image.height, name, thumbnail),
                    )
                capture_id = int(cur.lastrowid or 0)
                self._write_picture(image, name)
                with self._conn() as db:
                    db.execute("UPDATE captures SET state='ok' WHERE id=?", (capture_id,))
        except Exception as exc:
            log.exception("storing a capture")
            self._failed(exc, CAPTURE_NOT_SAVED)
            if capture_id is not None:
                self._discard(capture_id, name)
            return None
        self.apply_retention()
        return capture_id

    def _write_picture(self, image: Image.Image, name: str) -> None:
        """Written to a 0600 temporary file, synced, then renamed: never a half picture."""
        final = self.images_dir / name
        temporary = self.images_dir / (name + ".tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            with os.fdopen(os.open(temporary, flags, FILE_MODE), "wb") as fh:
                image.convert("RGB").save(fh, "PNG", compress_level=1)  # fast; nobody waits on this
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, final)
        except BaseException:
            _unlink(temporary)
            raise

    def _discard(self, capture_id: int, name: str) -> None:
        """Best effort after a failed add; whatever is left, the next open sweeps."""
        try:
            self._unlink_picture(name)
            with self._lock, self._conn() as db:
                db.execute("DELETE FROM captures WHERE id=?", (capture_id,))
        except Exception:
            log.exception("removing a half-stored capture (the next start finishes it)")

    def add_entry(self, capture_id: int, kind: str, text: str, question: str = "") -> bool:
        """File what was said about a capture; False if it was not stored (see take_problem())."""
        if not self.writable:
            return False
        try:
            with self._lock, self._conn() as db:
                db.execute(
                    "INSERT INTO entries(capture_id, created, kind, question, text) VALUES (?, ?, ?, ?, ?)",
                    (capture_id, time.time(), kind, question, text),
                )
            return True
        except Exception as exc:
            log.exception("storing an answer")
            self._failed(exc, ENTRY_NOT_SAVED)
            return False

    def delete(self, capture_id: int) -> bool:
        """Remove one capture and its picture; True when it is gone."""
        return self._remove_ids([capture_id], "deleting a capture")

    def clear(self) -> bool:
        """Remove every capture, every picture and any damaged copies moved aside; True when done."""
        if self._closed:
            return False
        try:
            with self._lock:
                ids = [cid for (cid,) in self._conn().execute("SELECT id FROM captures")]
            if not self._remove(ids, states=("ok", "pending")):
                return False
            with self._lock:
                self._sweep_orphans(keep_temporary=True)  # a picture being written now finishes or is undone
                db = self._conn()
                db.execute("VACUUM")  # no old thumbnail left in free pages
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nor in the write-ahead log
            for damaged in self.folder.glob("damaged-*"):
                if damaged.is_dir() and not damaged.is_symlink():
                    shutil.rmtree(damaged)
            return True
        except Exception as exc:
            log.exception("clearing the history")
            self._failed(exc, DELETE_FAILED)
            return False

    def _remove_ids(self, ids: list[int], doing: str) -> bool:
        if self._closed:
            return False
        try:
            return self._remove(ids)
        except Exception as exc:
            log.exception(doing)
            self._failed(exc, DELETE_FAILED)
            return False

    def _remove(self, ids: list[int], states: tuple[str, ...] = ("ok",)) -> bool:
        """Mark, unlink, forget: a kill at any point leaves 'deleting' rows the next open finishes."""
        marks = ",".join("?" * len(states))
        for chunk in _chunks(ids):
            where = f"id IN ({','.join('?' * len(chunk))}) AND state IN ({marks})"
            with self._lock, self._conn() as db:
                names = [n for (n,) in db.execute(f"SELECT image_file FROM captures WHERE {where}", (*chunk, *states))]
                db.execute(f"UPDATE captures SET state='deleting' WHERE {where}", (*chunk, *states))
            for name in names:
                self._unlink_picture(name)
            with self._lock, self._conn() as db:
                db.execute(
                    f"DELETE FROM captures WHERE id IN ({','.join('?' * len(chunk))}) AND state='deleting'", chunk
                )
        return True

    # ---- retention ------------------------------------------------------------------------------
    def set_retention(self, retention: HistorySettings) -> int | None:
        """New limits take effect at once (the settings dialog); see apply_retention()."""
        self.retention = retention
        return self.apply_retention()

    def apply_retention(self) -> int | None:
        """Remove captures older than keep_days or beyond the newest keep_captures.
        Returns how many were removed, or None if that failed (see take_problem())."""
        if not self.writable:
            return None
        keep_days, keep_captures = self.retention.keep_days, self.retention.keep_captures
        try:
            with self._lock:
                db = self._conn()
                ids: set[int] = set()
                if keep_days and keep_days > 0:
                    cutoff = time.time() - keep_days * DAY
                    ids.update(
                        i for (i,) in db.execute("SELECT id FROM captures WHERE state='ok' AND created < ?", (cutoff,))
                    )
                if keep_captures and keep_captures > 0:
                    rows = db.execute(
                        "SELECT id FROM captures WHERE state='ok' ORDER BY created DESC, id DESC LIMIT -1 OFFSET ?",
                        (int(keep_captures),),
                    )
                    ids.update(i for (i,) in rows)
            self._remove(sorted(ids))
            if keep_days and keep_days > 0:
                self._expire_damaged(time.time() - keep_days * DAY)
            return len(ids)
        except Exception as exc:
            log.exception("applying the history's retention")
            self._failed(exc, DELETE_FAILED)
            return None

    def _expire_damaged(self, cutoff: float) -> None:
        """Damaged copies moved aside hold screenshots too: they expire like captures."""
        for damaged in self.folder.glob("damaged-*"):
            if damaged.is_dir() and not damaged.is_symlink() and damaged.stat().st_mtime < cutoff:
                shutil.rmtree(damaged)

    # ---- reading --------------------------------------------------------------------------------
    def get(self, capture_id: int) -> Capture | None:
        if self._closed:
            return None
        try:
            with self._lock:
                row = (
                    self._conn()
                    .execute(f"SELECT {_COLUMNS} FROM captures c WHERE c.id=? AND c.state='ok'", (capture_id,))
                    .fetchone()
                )
                return None if row is None else self._capture(row)
        except Exception as exc:
            log.exception("reading the history")
            self._failed(exc, READ_FAILED, reading=True)
            return None

    def picture(self, capture: Capture) -> Image.Image | None:
        """The capture's full picture, or None (see take_problem()) if its file is gone or unreadable."""
        try:
            return capture.load_image()
        except Exception as exc:
            log.exception("reading a capture's picture")
            self._failed(exc, PICTURE_MISSING, reading=True)
            return None

    def recent(self, limit: int = 200) -> list[Capture]:
        return self.search("", limit)

    def search(self, query: str, limit: int = 200) -> list[Capture]:
        """Captures whose source, descriptions, questions or answers contain `query`, newest first."""
        like = f"%{query.strip()}%"
        if self._closed:
            return []
        try:
            with self._lock:
                rows = (
                    self._conn()
                    .execute(
                        f"SELECT {_COLUMNS} FROM captures c WHERE c.state='ok' AND (?='%%' OR c.source LIKE ? OR "
                        "EXISTS (SELECT 1 FROM entries e WHERE e.capture_id=c.id "
                        "AND (e.text LIKE ? OR e.question LIKE ?))) "
                        "ORDER BY c.created DESC, c.id DESC LIMIT ?",
                        (like, like, like, like, limit),
                    )
                    .fetchall()
                )
                return [self._capture(row) for row in rows]
        except Exception as exc:
            log.exception("searching the history")
            self._failed(exc, READ_FAILED, reading=True)
            return []

    def _capture(self, row) -> Capture:
        entries = [
            Entry(kind, question, text, created)
            for kind, question, text, created in self._conn().execute(
                "SELECT kind, question, text, created FROM entries WHERE capture_id=? ORDER BY id", (row[0],)
            )
        ]
        return Capture(
            id=row[0],
            created=row[1],
            source=row[2],
            width=row[3],
            height=row[4],
            image_file=self.images_dir / row[5],
            thumbnail=row[6],
            entries=entries,
        )
