"""Single-instance channel: a QLocalServer in the running app; `main.py trigger ACTION` and a
second start of the app connect to it and send one action line.

Why: global hotkeys cannot be grabbed everywhere (Wayland, Linux without /dev/input access),
but every desktop lets users bind a key to a command; that command is `main.py trigger ...`.
"""

from __future__ import annotations

import getpass
import hashlib
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.commands import is_trigger as is_valid
from assistant.config import data_dir


def server_name() -> str:
    """One name per user and per assistant home (so tests with their own home never collide)."""
    home = str(data_dir())
    digest = hashlib.sha1(home.encode("utf-8")).hexdigest()[:10]
    return f"screen-assistant-{getpass.getuser()}-{digest}"


def send_action(action: str, timeout_ms: int = 2000) -> str | None:
    """Send `action` to the running app. Returns its reply ('ok' or an error sentence),
    or None if no app is running."""
    socket = QLocalSocket()
    socket.connectToServer(server_name())
    if not socket.waitForConnected(timeout_ms):
        return None
    socket.write((action + "\n").encode("utf-8"))
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    reply = b""
    while not reply.endswith(b"\n") and socket.waitForReadyRead(timeout_ms):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return reply.decode("utf-8", "replace").strip() or "The assistant app did not answer."


class TriggerServer(QObject):
    """Emits `triggered(action)` for each valid action line a client sends."""

    triggered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        name = server_name()
        if self._server.listen(name):
            return True
        # A crashed app can leave a stale socket file behind; nobody answers on it.
        if send_action("ping", 300) is None:
            QLocalServer.removeServer(name)
            return self._server.listen(name)
        return False

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():  # the line may have arrived before we connected
                self._on_ready(socket)

    def _on_ready(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        action = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
        if action == "ping":
            reply = "ok"
        elif is_valid(action):
            reply = "ok"
            self.triggered.emit(action)
        else:
            reply = f"Unknown action '{action}'."
        socket.write((reply + "\n").encode("utf-8"))
        socket.flush()


def ensure_core_app():
    """QLocalSocket needs a Qt application object; the CLI has none of its own."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.instance() or QCoreApplication([os.path.basename(__file__)])
