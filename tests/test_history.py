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
