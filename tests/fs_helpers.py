"""Real failing file systems for tests: a tiny tmpfs (a full disk), a read-only remount, and
running a helper as another user. Each needs root; tests skip with the reason otherwise."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY_PYTHON = "/usr/bin/python3"  # a system python any user can run (a pyenv shim may not be)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m") -> Iterator[Path]:
    """Mount a tmpfs of `size` at `where`; skip the test when mounting is not allowed here."""
    if not IS_ROOT or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root (run the suite as root or in CI to cover this)")
    where.mkdir(parents=True, exist_ok=True)
    out = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if out.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {out.stderr.strip()}")
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def remount(where: Path, mode: str) -> None:
    """mode: 'ro' or 'rw'."""
    out = _run("mount", "-o", f"remount,{mode}", str(where))
    assert out.returncode == 0, out.stderr


def fill(where: Path) -> None:
    """Use up every free byte of the file system holding `where`."""
    with open(where / "filler", "wb") as fh:
        block = b"\xff" * 65536
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError:
            pass
    with contextlib.suppress(OSError), open(where / "filler-tail", "wb") as fh:  # the last partial block
        for _ in range(65536):
            fh.write(b"\xff")
            fh.flush()


def as_nobody(argv: list[str]) -> list[str]:
    """argv run as the unprivileged user `nobody` (skip unless root and setpriv/runuser exist)."""
    if not IS_ROOT:
        pytest.skip("running a second user needs root (the squatter runs as nobody)")
    if not os.path.exists(NOBODY_PYTHON):
        pytest.skip(f"{NOBODY_PYTHON} is missing; the squatter needs a python any user can run")
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--", *argv]
    pytest.skip("neither setpriv nor runuser is installed (util-linux)")
    raise AssertionError  # unreachable; pytest.skip raises
