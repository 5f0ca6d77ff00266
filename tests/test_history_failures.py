"""The history under real failures: kill -9 of the writer (in a loop and at every step of a
write), a full disk (a small tmpfs), read-only folders. Nothing committed is lost, no picture
is left behind, nothing raises into the caller, and each failure is one plain sentence."""

from __future__ import annotations

import collections
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from assistant.config import HistorySettings
from assistant.history import OFF_SENTENCES, HistoryStore
from tests.fs_helpers import IS_ROOT, fill, remount, tmpfs
from tests.history_writer import KILL_POINTS

ROOT = Path(__file__).resolve().parents[1]
KILL_ROUNDS = 20
NO_LIMITS = HistorySettings(keep_days=0, keep_captures=0)


def _writer(path: Path, seed: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.history_writer", str(path), str(seed), *extra]


def _raw_state(path: Path) -> tuple[list[tuple[int, str, str]], set[str]]:
    """Rows (id, image_file, state) and picture files as a killed writer left them, before any recovery."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, image_file, state FROM captures ORDER BY id").fetchall()
    finally:
        db.close()
    return rows, {p.name for p in (path.parent / "images").iterdir()}


def _assert_consistent(store: HistoryStore) -> None:
    """Every capture is whole and every picture belongs to one: no orphan, no temporary file."""
    rows, files = _raw_state(store.path)
    assert all(state == "ok" for _, _, state in rows), rows
    assert files == {name for _, name, _ in rows}


def _noise(size=(48, 32)) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def test_kill_minus_nine_of_the_writer_in_a_loop(tmp_path):
    path = tmp_path / "history" / "history.sqlite3"
    rng = random.Random(20240611)
    alive: set[int] = set()  # captures whose add returned (and no delete started since)
    answered: set[int] = set()
    gone: set[int] = set()
    interrupted = collections.Counter()  # what each kill left for recovery to finish
    for round_ in range(KILL_ROUNDS):
        proc = subprocess.Popen(_writer(path, round_), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        lines = [proc.stdout.readline() for _ in range(rng.randint(1, 40))]
        time.sleep(rng.uniform(0, 0.03))  # not in step with its prints: land anywhere in a write
        proc.kill()  # SIGKILL, wherever the writer happens to be
        proc.wait(timeout=60)
        lines += proc.stdout.read().splitlines()
        for line in filter(None, (line.strip() for line in lines)):
            what, cid = line.split()[0], int(line.split()[1])
            if what == "added":
                alive.add(cid)
            elif what == "entry":
                answered.add(cid)
            elif what == "deleting":
                alive.discard(cid)
                answered.discard(cid)
            elif what == "deleted":
                gone.add(cid)
        rows, files = _raw_state(path)
        states = {state for _, _, state in rows} - {"ok"}
        orphans = files - {name for _, name, _ in rows}
        interrupted.update(states | ({"orphan file"} if orphans else set()) or {"nothing"})

        store = HistoryStore.open(path, NO_LIMITS).store  # opening finishes what the kill interrupted
        assert store is not None
        _assert_consistent(store)
        for cid in alive:
            capture = store.get(cid)
            assert capture is not None, f"round {round_}: committed capture {cid} was lost"
            assert capture.load_image().size == (48, 32)
            if cid in answered:
                assert [e.text for e in capture.entries] == [f"text {cid}"]
        assert all(store.get(cid) is None for cid in gone)
        store.close()
    print(f"kill -9 rounds: {KILL_ROUNDS}, committed captures checked: {len(alive)}, left for recovery: {interrupted}")
    assert len(alive) >= KILL_ROUNDS // 2  # the loop really wrote things


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_at_each_step_of_a_write(tmp_path, point):
    path = tmp_path / "history" / "history.sqlite3"
    out = subprocess.run(_writer(path, 7, "--kill-at", point), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == -9 and "survived" not in out.stdout, out.stdout + out.stderr
    first = int(out.stdout.split("added ")[1].split()[0])
    rows, files = _raw_state(path)
    left = {state for _, _, state in rows} - {"ok"}
    assert left == ({"pending"} if point.startswith("add:") else {"deleting"}), rows  # the kill landed mid-write
    if point == "add:picture-not-renamed":
        assert any(name.endswith(".png.tmp") for name in files)

    store = HistoryStore.open(path, NO_LIMITS).store
    _assert_consistent(store)
    if point.startswith("add:"):
        assert [c.id for c in store.recent()] == [first]  # the committed one whole, the interrupted one gone
        assert store.get(first).load_image().size == (48, 32)
    else:
        assert store.recent() == [] and list(store.images_dir.iterdir()) == []  # the delete was finished
    store.close()


def test_full_disk_turns_history_off_with_one_sentence(tmp_path):
    with tmpfs(tmp_path / "small", "1m") as disk:
        path = disk / "history" / "history.sqlite3"
        store = HistoryStore.open(path, NO_LIMITS).store
        first = store.add_capture(_noise(), "screen")
        assert first is not None and store.add_entry(first, "describe", "The first picture.")
        fill(disk)
        assert store.add_capture(_noise((200, 150)), "screen") is None  # no exception
        assert store.take_problem() == OFF_SENTENCES["full"]
        assert not store.enabled
        assert store.add_entry(first, "ask", "More.", "Why?") is False and store.add_capture(_noise(), "x") is None
        assert store.take_problem() is None  # said once, not once per write
        assert not [p for p in store.images_dir.iterdir() if p.name.endswith(".tmp")]
        assert store.get(first).entries[0].text == "The first picture."  # reading still works
        store.close()

        fresh = HistoryStore.open(disk / "elsewhere" / "history.sqlite3")  # a first start on a full disk
        assert fresh.store is None and fresh.problem == OFF_SENTENCES["full"]

        for filler in disk.glob("filler*"):
            filler.unlink()
        store = HistoryStore.open(path, NO_LIMITS).store  # space again: back, whole, nothing half-written
        _assert_consistent(store)
        assert [c.id for c in store.recent()] == [first]
        store.close()


def _make_read_only(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for name in files:
            os.chmod(Path(root) / name, 0o400)
        for name in dirs:
            os.chmod(Path(root) / name, 0o500)
    os.chmod(folder, 0o500)


def test_read_only_folder_at_start_turns_history_off(tmp_path):
    if IS_ROOT:  # root writes through permission bits: a read-only mount is the real thing
        with tmpfs(tmp_path / "disk", "4m") as disk:
            path = disk / "history" / "history.sqlite3"
            store = HistoryStore.open(path).store
            store.add_capture(_noise(), "screen")
            store.close()
            remount(disk, "ro")
            try:
                opened = HistoryStore.open(path)
            finally:
                remount(disk, "rw")
    else:
        path = tmp_path / "history" / "history.sqlite3"
        store = HistoryStore.open(path).store
        store.add_capture(_noise(), "screen")
        store.close()
        _make_read_only(path.parent)
        opened = HistoryStore.open(path)
        assert oct(os.stat(path.parent).st_mode & 0o777) == "0o500"  # tightening never adds write access
    assert opened.store is None and opened.problem == OFF_SENTENCES["readonly"]
    assert opened.unavailable_reason == OFF_SENTENCES["readonly"]


def test_read_only_parent_on_first_start(tmp_path):
    parent = tmp_path / "locked"
    if IS_ROOT:
        with tmpfs(parent, "1m"):
            remount(parent, "ro")
            try:
                opened = HistoryStore.open(parent / "history" / "history.sqlite3")
            finally:
                remount(parent, "rw")
    else:
        parent.mkdir()
        os.chmod(parent, 0o500)
        opened = HistoryStore.open(parent / "history" / "history.sqlite3")
    assert opened.store is None and opened.problem == OFF_SENTENCES["readonly"]


def test_pictures_folder_becoming_read_only_mid_session(tmp_path):
    path = tmp_path / "history" / "history.sqlite3"
    images = path.parent / "images"
    images.mkdir(parents=True)
    if IS_ROOT:
        with tmpfs(images, "1m"):
            store = HistoryStore.open(path, NO_LIMITS).store
            first = store.add_capture(_noise(), "screen")
            remount(images, "ro")
            try:
                second = store.add_capture(_noise(), "screen")
            finally:
                remount(images, "rw")
            problem = store.take_problem()
            rows = store.recent()
            store.close()
    else:
        store = HistoryStore.open(path, NO_LIMITS).store
        first = store.add_capture(_noise(), "screen")
        os.chmod(images, 0o500)
        second = store.add_capture(_noise(), "screen")
        problem = store.take_problem()
        rows = store.recent()
        store.close()
        os.chmod(images, 0o700)
    assert first is not None and second is None
    assert problem == OFF_SENTENCES["readonly"]
    assert [c.id for c in rows] == [first]  # the failed capture's row was taken back
