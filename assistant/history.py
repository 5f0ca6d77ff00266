"""History of captures, descriptions and questions, kept in SQLite (WAL) in the data directory.

Qt-free: the desktop app shows it, the core could use it headless. Each capture keeps its
full picture as a PNG file next to the database (so it can be re-opened and asked about
again) and a small PNG thumbnail inside the database (so the list loads fast).
"""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .config import data_dir

THUMB_SIZE = (160, 120)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    image_file TEXT NOT NULL,
    thumbnail BLOB NOT NULL
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


def default_path() -> Path:
    return data_dir() / "history" / "history.sqlite3"


class HistoryStore:
    """Thread-safe: one connection guarded by a lock (writes are small and rare)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path or default_path())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.images_dir = self.path.parent / "images"
        self.images_dir.mkdir(exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- writing ------------------------------------------------------------------------
    def add_capture(self, image: Image.Image, source: str) -> int:
        thumb = image.copy()
        thumb.thumbnail(THUMB_SIZE)
        buf = io.BytesIO()
        thumb.convert("RGB").save(buf, "PNG")
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO captures(created, source, width, height, image_file, thumbnail) "
                "VALUES (?, ?, ?, ?, '', ?)",
                (time.time(), source, image.width, image.height, buf.getvalue()),
            )
            capture_id = int(cur.lastrowid or 0)
            image_file = self.images_dir / f"{capture_id}.png"
            image.convert("RGB").save(
                image_file, "PNG", compress_level=1
            )  # fast; the hotkey path waits on nothing here
            self._db.execute("UPDATE captures SET image_file=? WHERE id=?", (image_file.name, capture_id))
            self._db.commit()
        return capture_id

    def add_entry(self, capture_id: int, kind: str, text: str, question: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO entries(capture_id, created, kind, question, text) VALUES (?, ?, ?, ?, ?)",
                (capture_id, time.time(), kind, question, text),
            )
            self._db.commit()

    def delete(self, capture_id: int) -> None:
        with self._lock:
            row = self._db.execute("SELECT image_file FROM captures WHERE id=?", (capture_id,)).fetchone()
            self._db.execute("DELETE FROM captures WHERE id=?", (capture_id,))
            self._db.commit()
        if row and row[0]:
            (self.images_dir / row[0]).unlink(missing_ok=True)

    # ---- reading ------------------------------------------------------------------------
    def get(self, capture_id: int) -> Capture | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, created, source, width, height, image_file, thumbnail FROM captures WHERE id=?",
                (capture_id,),
            ).fetchone()
            if row is None:
                return None
            return self._capture(row)

    def recent(self, limit: int = 200) -> list[Capture]:
        return self.search("", limit)

    def search(self, query: str, limit: int = 200) -> list[Capture]:
        """Captures whose source, descriptions, questions or answers contain `query`, newest first."""
        like = f"%{query.strip()}%"
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created, source, width, height, image_file, thumbnail FROM captures c "
                "WHERE ?='%%' OR c.source LIKE ? OR EXISTS (SELECT 1 FROM entries e WHERE e.capture_id=c.id "
                "AND (e.text LIKE ? OR e.question LIKE ?)) ORDER BY c.created DESC, c.id DESC LIMIT ?",
                (like, like, like, like, limit),
            ).fetchall()
            return [self._capture(row) for row in rows]

    def _capture(self, row) -> Capture:
        entries = [
            Entry(kind, question, text, created)
            for kind, question, text, created in self._db.execute(
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
