"""The trigger channel is owned, not just named: a private folder by full path, the peer's uid
checked on both sides, a handshake before anything is believed or sent, and a squatted name
(another user's folder or socket, a file that is not a socket, a socket that is not the app)
left alone with a plain sentence while the app listens on a fresh private name."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from assistant import trigger_client
from tests.fs_helpers import NOBODY_PYTHON, as_nobody
from ui import trigger
from ui.trigger import (
    FOLDER_TAKEN,
    NAME_TAKEN,
    NOT_THE_APP,
    TriggerServer,
    deliver,
    fallback_folder,
    runtime_folder,
    send_action,
    server_name,
)

ROOT = Path(__file__).resolve().parents[2]
CONNECT = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "try:\n    s.connect(sys.argv[1]); print('connected', flush=True); sys.stdin.read()\n"
    "except OSError as e:\n    print(type(e).__name__, flush=True)\n"
)


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _main(*args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _trigger_in_background(action: str) -> subprocess.Popen:
    """A `main.py trigger` whose answer needs our event loop (qtbot.waitUntil spins it)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "trigger", action],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _triggers_reach(qtbot, server: TriggerServer, action: str = "describe_screen") -> None:
    received: list[str] = []
    server.triggered.connect(received.append)
    proc = _trigger_in_background(action)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
    assert proc.returncode == 0, proc.stderr.read()
    assert received == [action]


@pytest.fixture
def short_home(monkeypatch):
    """A home with a short path (a Unix socket path holds at most 107 bytes)."""
    folder = tempfile.mkdtemp(prefix="sah-", dir="/tmp")
    monkeypatch.setenv("SCREEN_ASSISTANT_HOME", folder)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared_tmp(monkeypatch, short_home):
    """A world-writable sticky temp folder like /tmp, private to this test, and no XDG_RUNTIME_DIR:
    the set-up where another local user can race the app for names."""
    folder = tempfile.mkdtemp(prefix="sat-", dir="/tmp")
    os.chmod(folder, 0o1777)
    monkeypatch.setattr(tempfile, "tempdir", folder)
    monkeypatch.setenv("TMPDIR", folder)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def xdg(monkeypatch, short_home):
    folder = tempfile.mkdtemp(prefix="sax-", dir="/tmp")  # mkdtemp: 0700, as the spec requires
    monkeypatch.setenv("XDG_RUNTIME_DIR", folder)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


# ---- where it lives ---------------------------------------------------------------------------
def test_channel_is_a_full_path_in_the_private_runtime_folder(qtbot, xdg):
    server = TriggerServer()
    assert server.listen() and server.problem is None
    try:
        folder = xdg / "screen-assistant"
        assert server.path == server_name() and Path(server.path).parent == folder
        assert _mode(folder) == 0o700
        st = os.lstat(server.path)
        assert stat.S_ISSOCK(st.st_mode) and st.st_uid == os.getuid()
        (info,) = folder.glob("trigger-*.json")
        assert _mode(info) == 0o600 and json.loads(info.read_text())["socket"] == server.path
        _triggers_reach(qtbot, server)
    finally:
        server.close()
    assert not os.path.exists(server.path) and not list(folder.glob("*.json"))


def test_without_xdg_runtime_dir_a_0700_per_user_folder(qtbot, shared_tmp):
    server = TriggerServer()
    assert server.listen() and server.problem is None
    try:
        folder = shared_tmp / f"screen-assistant-{os.getuid()}"
        assert Path(server.path).parent == folder and _mode(folder) == 0o700
    finally:
        server.close()


def test_an_untrusted_xdg_runtime_dir_is_not_used(monkeypatch, shared_tmp):
    loose = shared_tmp / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(loose))
    assert runtime_folder() == shared_tmp / f"screen-assistant-{os.getuid()}"


# ---- another user -----------------------------------------------------------------------------
def test_another_user_squatting_the_names_never_gets_an_action(qtbot, shared_tmp):
    """The reported attack: a local user binds the name first. Before, the app said "already
    running; its window was brought to the front", exited, and the squatter got the actions."""
    script = shared_tmp / "squatter.py"  # the other user's own copy: it may not read a private checkout
    shutil.copyfile(ROOT / "tests" / "squatter.py", script)
    script.chmod(0o644)
    command = as_nobody([NOBODY_PYTHON, str(script)])
    folder, usual = runtime_folder(), server_name()
    old_name = shared_tmp / f"screen-assistant-{getpass.getuser()}-{trigger_client.digest()}"  # the old name
    log = shared_tmp / "squatter.log"
    squatter = subprocess.Popen([*command, str(log), usual, str(old_name)], stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout.readline().strip() == "ready"
        assert os.lstat(folder).st_uid == pwd.getpwnam("nobody").pw_uid

        delivery = deliver("open_app", 1000)  # what a second start asks
        assert delivery.reply is None and delivery.problem == FOLDER_TAKEN.format(folder=folder)
        out = _main("trigger", "describe_screen")
        assert out.returncode == 3 and "not running" in out.stderr and "Traceback" not in out.stderr

        server = TriggerServer()
        assert server.listen()
        try:
            assert server.problem == FOLDER_TAKEN.format(folder=folder)
            assert Path(server.path).parent == fallback_folder() and _mode(fallback_folder()) == 0o700
            _triggers_reach(qtbot, server)
            probe = subprocess.run(
                as_nobody([NOBODY_PYTHON, "-c", CONNECT, server.path]), capture_output=True, text=True, timeout=30
            )
            assert probe.stdout.strip() == "PermissionError"  # nobody cannot even reach the real channel
        finally:
            server.close()
    finally:
        squatter.kill()
        squatter.wait(timeout=30)
    assert not log.exists() or log.read_bytes() == b""  # not one byte was sent to the squatter


def test_peer_uid_comes_from_the_kernel(shared_tmp):
    command = as_nobody([NOBODY_PYTHON, "-c", CONNECT])
    path = str(shared_tmp / "peer.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(1)
    listener.settimeout(30)
    client = subprocess.Popen([*command, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        conn, _ = listener.accept()
        assert client.stdout.readline().strip() == "connected"
        assert trigger_client.peer_uid(conn.fileno()) == pwd.getpwnam("nobody").pw_uid
        conn.send(b"x")  # the descriptor still works: peer_uid read a duplicate
        conn.close()
    finally:
        client.kill()
        client.wait(timeout=30)
        listener.close()


def test_server_hangs_up_on_a_peer_of_another_user(qtbot, xdg, monkeypatch):
    server = TriggerServer()
    assert server.listen()
    try:
        monkeypatch.setattr(trigger_client, "peer_uid", lambda descriptor: os.getuid() + 1)  # as SO_PEERCRED says
        received: list[str] = []
        server.triggered.connect(received.append)
        proc = _trigger_in_background("describe_screen")
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
        assert proc.returncode == 3 and received == []
    finally:
        server.close()


def test_client_sends_nothing_to_a_server_of_another_user(xdg, monkeypatch, qapp):
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.trigger_app"], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True
    )
    try:
        assert app.stdout.readline().startswith("listening=True")
        assert send_action("ping", 5000) == "ok"
        monkeypatch.setattr(trigger_client, "peer_uid", lambda descriptor: os.getuid() + 1)  # another user
        assert deliver("describe_screen", 2000) == trigger.Delivery(None, NOT_THE_APP)
    finally:
        app.kill()
        out = app.communicate(timeout=30)[0]
    assert "action" not in out


# ---- the same user's names taken by something that is not the app -------------------------------
class _Impostor:
    """A socket at the app's usual path that answers every line with 'ok' (no handshake)."""

    def __init__(self, path: str):
        self.received = b""
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):  # a client that hangs up mid-answer
                while data := conn.recv(4096):
                    self.received += data
                    conn.sendall(b"ok\n" * data.count(b"\n"))

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def test_a_socket_that_does_not_answer_the_handshake_is_not_the_app(qtbot, xdg):
    folder = runtime_folder()
    folder.mkdir(mode=0o700)
    impostor = _Impostor(server_name())
    (folder / f"{Path(server_name()).stem}.json").write_text(
        json.dumps({"socket": server_name(), "token": "00" * 32, "pid": 1})
    )
    os.chmod(folder / f"{Path(server_name()).stem}.json", 0o600)
    try:
        assert deliver("open_app", 1000) == trigger.Delivery(None, NOT_THE_APP)  # never "already running"
        server = TriggerServer()
        assert server.listen()
        try:
            assert server.problem == NAME_TAKEN and server.path != server_name()
            assert Path(server.path).parent == folder
            _triggers_reach(qtbot, server)
        finally:
            server.close()
    finally:
        impostor.close()
    assert b"open_app" not in impostor.received and b"describe_screen" not in impostor.received


def test_a_file_that_is_not_a_socket_keeps_its_place(qtbot, xdg):
    folder = runtime_folder()
    folder.mkdir(mode=0o700)
    Path(server_name()).write_text("not a socket")
    server = TriggerServer()
    assert server.listen()
    try:
        assert server.problem == NAME_TAKEN and server.path != server_name()
        assert Path(server_name()).read_text() == "not a socket"
        _triggers_reach(qtbot, server)
    finally:
        server.close()


def test_stale_socket_of_a_killed_app_is_reused(qtbot, xdg):
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.trigger_app"], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True
    )
    line = app.stdout.readline()
    app.kill()  # SIGKILL: no chance to remove the socket or the secret file
    app.wait(timeout=30)
    assert line.startswith(f"listening=True path={server_name()} ")
    assert stat.S_ISSOCK(os.lstat(server_name()).st_mode)  # left behind
    assert send_action("ping", 2000) is None
    server = TriggerServer()
    assert server.listen()
    try:
        assert server.problem is None and server.path == server_name()
        _triggers_reach(qtbot, server)
    finally:
        server.close()


# ---- two copies of the real app ----------------------------------------------------------------
def _wait_for_app(proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout  # a hang guard, not a timing assertion
    while send_action("ping", 1000) != "ok":
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the app did not open its trigger channel"
        time.sleep(0.2)


def test_two_copies_of_the_real_app_and_a_killed_one(xdg, qapp):
    from assistant.config import Settings

    settings = Settings()
    settings.speech.enabled = False
    settings.save()

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    try:
        _wait_for_app(first)
        second = _main()  # a second start hands over to the first and exits
        assert second.returncode == 0 and "already running" in second.stdout
        first.kill()  # kill -9: a stale socket and secret file stay behind
        first.wait(timeout=30)
        third = start()
        try:
            _wait_for_app(third)  # it took over the stale name instead of claiming "already running"
            assert send_action("open_app") == "ok"
        finally:
            third.kill()
            out, _ = third.communicate(timeout=30)
        assert "already running" not in out
    finally:
        first.kill()
        first.wait(timeout=30)
