"""The suite runs with tests/no_network/sitecustomize.py loaded (scripts/setup.sh test): prove
the guard is active in this process and in the CLI processes the tests start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

GUARDED = "no_network" in os.environ.get("PYTHONPATH", "")


@pytest.mark.skipif(not GUARDED, reason="run through scripts/setup.sh test, which blocks the network")
def test_connections_beyond_this_machine_are_refused_here_and_in_children():
    with socket.socket() as sock, pytest.raises(OSError, match="blocks connections"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable anyway
    child = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode != 0 and "blocks connections" in child.stderr


def test_loopback_stays_open():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
