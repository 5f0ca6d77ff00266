"""Giving memory back (assistant/memory.py): glibc's arena limit and trim, measured in a child."""

import subprocess
import sys

import pytest

from assistant.memory import release_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

ARENAS = r"""
import ctypes, os, sys, threading
from assistant.memory import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas(2)
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
hold = threading.Event()
threads = [threading.Thread(target=lambda: (libc.malloc(100_000), hold.wait())) for _ in range(12)]
for t in threads:
    t.start()
read, write = os.pipe()
saved = os.dup(2)
os.dup2(write, 2)
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
os.dup2(saved, 2)
os.close(write)
hold.set()
for t in threads:
    t.join()
print(os.read(read, 1 << 20).decode().count("Arena "))
"""


def _arenas(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", ARENAS, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_the_arena_limit_holds_for_threads_started_after_it():
    """Twelve threads that allocate: glibc gives them up to 8 arenas per core, each keeping its
    own freed memory resident; after limit_malloc_arenas(2) they share two."""
    assert _arenas("limit") <= 2 < _arenas("none")


def test_release_memory_is_safe_to_call_anywhere():
    release_memory()
