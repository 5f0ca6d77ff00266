"""Another local user squatting the trigger channel (the tests run this as `nobody`, with the
system python and the standard library only).

    python3 squatter.py LOG PATH...

Creates each PATH's folder if missing (world-writable, as an attacker would), binds a socket
at PATH, opens it to everyone, prints "ready", then answers every line with "ok" and appends
whatever it receives to LOG."""

from __future__ import annotations

import os
import selectors
import socket
import sys


def main(log_path: str, paths: list[str]) -> int:
    selector = selectors.DefaultSelector()
    for path in paths:
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            os.mkdir(folder)
            os.chmod(folder, 0o777)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        os.chmod(path, 0o777)
        listener.listen(8)
        selector.register(listener, selectors.EVENT_READ, "listener")
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if key.data == "listener":
                conn, _ = sock.accept()
                selector.register(conn, selectors.EVENT_READ, "conn")
                continue
            data = sock.recv(4096)
            if not data:
                selector.unregister(sock)
                sock.close()
                continue
            with open(log_path, "ab") as log:
                log.write(data)
            sock.sendall(b"ok\n" * data.count(b"\n"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
