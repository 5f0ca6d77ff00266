"""The SQLite history store: captures with thumbnails, entries, search, re-open, WAL."""

import sqlite3
import threading

from PIL import Image

from assistant.history import HistoryStore, default_path
from tests.conftest import render_text


def test_capture_round_trip_with_entries(home):
    store = HistoryStore()
    image = render_text(["Invoice 42"], size=(640, 200))
    cid = store.add_capture(image, "file:invoice.png")
    store.add_entry(cid, "describe", "A white page with the words Invoice 42.")
    store.add_entry(cid, "ask", "It says Invoice 42.", question="What does it say?")
    capture = store.get(cid)
    assert store.path == default_path() and str(home) in str(store.path)
    assert (capture.width, capture.height, capture.source) == (640, 200, "file:invoice.png")
    assert [e.kind for e in capture.entries] == ["describe", "ask"]
    assert capture.entries[1].question == "What does it say?"
    assert capture.summary == "A white page with the words Invoice 42."
    assert capture.load_image().tobytes() == image.tobytes()
    thumb = Image.open(__import__("io").BytesIO(capture.thumbnail))
    assert thumb.width <= 160 and thumb.height <= 120


def test_search_matches_text_and_questions_newest_first(home):
    store = HistoryStore()
    a = store.add_capture(Image.new("RGB", (50, 50), "red"), "screen")
    b = store.add_capture(Image.new("RGB", (50, 50), "blue"), "clipboard")
    store.add_entry(a, "describe", "A bar chart of sales.")
    store.add_entry(b, "ask", "Two buttons: OK and Cancel.", question="List the buttons")
    assert [c.id for c in store.search("chart")] == [a]
    assert [c.id for c in store.search("buttons")] == [b]
    assert [c.id for c in store.search("")] == [b, a]
    assert store.search("nothing like this") == []
    store.delete(a)
    assert store.get(a) is None and [c.id for c in store.recent()] == [b]


def test_wal_mode_and_concurrent_writers(home):
    store = HistoryStore()
    cid = store.add_capture(Image.new("RGB", (20, 20), "white"), "screen")
    threads = [
        threading.Thread(target=lambda n=n: store.add_entry(cid, "ask", f"answer {n}", f"q{n}")) for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get(cid).entries) == 8
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"


# ---- privacy: permissions, retention, private mode, clear ----------------------------------------
import os  # noqa: E402
import stat  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from assistant.history import (  # noqa: E402
    DAMAGED_SENTENCE,
    ENTRY_NOT_SAVED,
    PRIVATE_SENTENCE,
    HistorySettings,
)


def _modes(folder):
    """{relative path: permission bits} for everything under `folder`, the folder itself as '.'."""
    found = {".": stat.S_IMODE(os.lstat(folder).st_mode)}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def _picture(colour="white", size=(40, 30)):
    image = Image.new("RGB", size, colour)
    image.putpixel((1, 1), (0, 0, 0))
    return image


@pytest.fixture
def open_umask():
    """The most permissive umask: modes must come from the code, not from the user's umask."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_new_history_is_private_from_creation(home, open_umask):
    opened = HistoryStore.open()
    store = opened.store
    assert opened.problem is None and store is not None
    cid = store.add_capture(_picture(), "screen")
    store.add_entry(cid, "describe", "A white picture.")
    modes = _modes(store.folder)
    assert {"history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm", "images"} <= set(modes)
    assert any(name.startswith("images/") and name.endswith(".png") for name in modes)
    for name, mode in modes.items():
        is_dir = name in (".", "images")
        assert mode == (0o700 if is_dir else 0o600), f"{name} is {oct(mode)}"
    store.close()


def test_older_install_is_made_private_on_start(home):
    store = HistoryStore.open().store
    store.add_capture(_picture(), "screen")
    store.close()
    # What the old code left behind: 0755 folders and 0644 files, plus a stray picture.
    for name in _modes(store.folder):
        path = store.folder / name
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert _modes(store.folder)["history.sqlite3"] == 0o644
    store = HistoryStore.open().store
    assert all(mode in (0o700, 0o600) for mode in _modes(store.folder).values()), _modes(store.folder)
    assert len(store.recent()) == 1
    store.close()


def _age(store, capture_id, days):
    with store._lock, store._conn() as db:
        db.execute("UPDATE captures SET created=? WHERE id=?", (time.time() - days * 86400, capture_id))


def test_retention_by_days_on_open_removes_pictures_too(home):
    store = HistoryStore.open().store  # default: keep 30 days
    assert store.retention == HistorySettings(keep_days=30, keep_captures=0, private=False)
    old, recent = store.add_capture(_picture("red"), "screen"), store.add_capture(_picture("blue"), "screen")
    store.add_entry(old, "describe", "An old red picture.")
    old_file = store.get(old).image_file
    _age(store, old, 31)
    _age(store, recent, 29)
    store.close()
    store = HistoryStore.open().store
    assert [c.id for c in store.recent()] == [recent] and not old_file.exists()
    assert sorted(p.name for p in store.images_dir.iterdir()) == [store.get(recent).image_file.name]
    assert store.search("old red") == []
    store.close()


def test_retention_by_count_after_each_capture_and_when_changed(home):
    store = HistoryStore.open(retention=HistorySettings(keep_days=0, keep_captures=2)).store
    ids = [store.add_capture(_picture(), "screen") for _ in range(4)]
    assert [c.id for c in store.recent()] == [ids[3], ids[2]]
    assert len(list(store.images_dir.iterdir())) == 2
    _age(store, ids[2], 400)  # no age limit: still kept
    assert store.apply_retention() == 0 and len(store.recent()) == 2
    assert store.set_retention(HistorySettings(keep_days=0, keep_captures=1)) == 1
    assert [c.id for c in store.recent()] == [ids[3]] and len(list(store.images_dir.iterdir())) == 1
    store.close()


def test_private_mode_writes_nothing_at_all(home):
    opened = HistoryStore.open(retention=HistorySettings(private=True))
    assert opened.store is None and opened.private and opened.problem is None
    assert opened.unavailable_reason == PRIVATE_SENTENCE
    assert not home.exists() or list(home.rglob("*")) == []


def _raw_bytes(store):
    return b"".join(p.read_bytes() for p in store.folder.glob("history.sqlite3*"))


def test_clear_removes_every_picture_and_leaves_no_thumbnail_in_the_file(home):
    store = HistoryStore.open().store
    noisy = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))  # a thumbnail no other bytes match
    cid = store.add_capture(noisy, "screen")
    store.add_entry(cid, "describe", "Secret bank statement 4711.")
    store.add_capture(_picture(), "clipboard")
    thumbnail = store.get(cid).thumbnail
    (store.folder / "damaged-20240101-000000").mkdir()  # a damaged copy moved aside earlier
    (store.folder / "damaged-20240101-000000" / "history.sqlite3").write_bytes(b"old")
    assert thumbnail[16:80] in _raw_bytes(store)
    assert store.clear() is True
    assert store.recent() == [] and list(store.images_dir.iterdir()) == []
    assert not list(store.folder.glob("damaged-*"))
    raw = _raw_bytes(store)
    assert thumbnail[16:80] not in raw and b"Secret bank statement" not in raw
    assert store.add_capture(_picture(), "screen") is not None  # still usable afterwards
    store.close()


def test_delete_removes_the_picture(home):
    store = HistoryStore.open().store
    cid = store.add_capture(_picture(), "screen")
    path = store.get(cid).image_file
    assert path.exists() and store.delete(cid) is True
    assert not path.exists() and store.get(cid) is None
    store.close()


def test_damaged_database_is_moved_aside_and_a_new_one_started(home):
    store = HistoryStore.open().store
    store.add_capture(_picture(), "screen")
    store.close()
    store.path.write_bytes(b"this is not a database " * 200)
    opened = HistoryStore.open()
    assert opened.store is not None and opened.store.recent() == []
    (moved,) = list(store.folder.glob("damaged-*"))
    assert opened.problem == DAMAGED_SENTENCE.format(name=moved.name)
    assert "damaged" in opened.problem and "moved aside" in opened.problem and "Error" not in opened.problem
    assert (moved / "history.sqlite3").read_bytes().startswith(b"this is not a database")
    assert len(list((moved / "images").iterdir())) == 1  # the pictures went with it, not deleted
    assert stat.S_IMODE(moved.stat().st_mode) == 0o700
    assert opened.store.add_capture(_picture(), "screen") is not None
    opened.store.close()


def test_malformed_pages_are_found_at_open(home):
    store = HistoryStore.open().store
    for n in range(40):
        cid = store.add_capture(Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3)), "screen")
        store.add_entry(cid, "describe", f"picture {n} " * 50)
    store.close()
    data = bytearray(store.path.read_bytes())
    assert len(data) > 8 * 4096
    data[3 * 4096 : 6 * 4096] = os.urandom(3 * 4096)  # pages in the middle: the header still looks fine
    store.path.write_bytes(bytes(data))
    opened = HistoryStore.open()
    assert opened.store is not None and opened.problem and "damaged" in opened.problem
    assert opened.store.recent() == []
    opened.store.close()


def test_a_failing_write_returns_a_sentence_instead_of_raising(home):
    store = HistoryStore.open().store
    assert store.add_entry(12345, "describe", "No such capture.") is False  # foreign key
    assert store.take_problem() == ENTRY_NOT_SAVED and store.take_problem() is None
    assert store.enabled  # one failed write does not turn history off
    store.close()
    assert store.add_capture(_picture(), "screen") is None and store.recent() == []
    assert store.get(1) is None and store.delete(1) is False


def test_a_missing_picture_is_a_sentence_not_an_exception(home):
    from assistant.history import PICTURE_MISSING

    store = HistoryStore.open().store
    capture = store.get(store.add_capture(_picture(), "screen"))
    assert store.picture(capture).size == (40, 30)
    capture.image_file.unlink()
    assert store.picture(capture) is None and store.take_problem() == PICTURE_MISSING
    assert store.enabled  # reading, not writing: history stays on
    store.close()


def test_an_unreadable_picture_does_not_turn_history_off(home, monkeypatch):
    store = HistoryStore.open().store
    capture = store.get(store.add_capture(_picture(), "screen"))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Image, "open", refuse)
    assert store.picture(capture) is None and store.enabled
    monkeypatch.undo()
    assert store.add_capture(_picture(), "screen") is not None
    store.close()
