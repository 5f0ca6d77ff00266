"""A history writer to be killed (kill -9) by tests/test_history_failures.py.

    python -m tests.history_writer DB_PATH SEED              adds, files answers, deletes, forever
    python -m tests.history_writer DB_PATH SEED --kill-at P  one capture, then SIGKILLs itself at P

Every line it prints is printed only after the store call returned, so a printed line is a
committed fact: "added ID", "entry ID", "deleting ID" (before the call) / "deleted ID" (after).
"""

from __future__ import annotations

import os
import random
import signal
import sys
from pathlib import Path

from PIL import Image

import assistant.history as history
from assistant.config import HistorySettings
from assistant.history import HistoryStore

KILL_POINTS = {
    "add:pending-committed",  # the row is committed as pending, the picture not yet written
    "add:picture-not-renamed",  # the temporary picture is written, not yet renamed
    "add:picture-renamed",  # the picture is in place, the row not yet marked done
    "delete:marked",  # the row is marked for deletion, the picture still there
    "delete:picture-removed",  # the picture is gone, the row still there
}


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(point: str) -> None:
    """Make the next matching step of the store kill this process (no seam in the product code)."""
    real_replace, real_unlink = os.replace, history._unlink
    if point == "add:pending-committed":
        HistoryStore._write_picture = lambda self, image, name: _die()  # type: ignore[method-assign]
    elif point == "add:picture-not-renamed":
        history.os.replace = lambda src, dst: _die()  # type: ignore[assignment]
    elif point == "add:picture-renamed":
        history.os.replace = lambda src, dst: (real_replace(src, dst), _die())  # type: ignore[assignment]
    elif point == "delete:marked":
        history._unlink = lambda path: _die()
    elif point == "delete:picture-removed":
        history._unlink = lambda path: (real_unlink(path), _die()) if path.suffix == ".png" else real_unlink(path)


def _picture(rng: random.Random) -> Image.Image:
    return Image.frombytes("RGB", (48, 32), rng.randbytes(48 * 32 * 3))


def main(argv: list[str]) -> int:
    path, seed = Path(argv[0]), int(argv[1])
    rng = random.Random(seed)
    opened = HistoryStore.open(path, HistorySettings(keep_days=0, keep_captures=0))
    store = opened.store
    assert store is not None, opened.problem
    print("ready", flush=True)
    if "--kill-at" in argv:
        point = argv[argv.index("--kill-at") + 1]
        cid = store.add_capture(_picture(rng), "screen")
        print(f"added {cid}", flush=True)
        _arm(point)
        if point.startswith("add:"):
            print(f"adding {store.add_capture(_picture(rng), 'screen')}", flush=True)
        else:
            print(f"deleting {cid}", flush=True)
            store.delete(cid)
        print("survived", flush=True)  # the kill point was never reached: the test fails on this
        return 1
    while True:
        cid = store.add_capture(_picture(rng), "screen")
        print(f"added {cid}", flush=True)
        if store.add_entry(cid, "describe", f"text {cid}"):
            print(f"entry {cid}", flush=True)
        if rng.random() < 0.4:
            victims = [c.id for c in store.recent(50)]
            victim = rng.choice(victims)
            print(f"deleting {victim}", flush=True)
            if store.delete(victim):
                print(f"deleted {victim}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
