"""Loaded by every Python process the test run starts (PYTHONPATH): a connection to anything but
this machine raises at once, so a passing suite proves the app and its tests use no network.
Loopback (127.0.0.0/8, ::1) and local sockets (AF_UNIX) stay open: the remote-model tests talk to
a server on 127.0.0.1, the trigger channel and speech-dispatcher use Unix sockets."""

import ipaddress
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


class NetworkBlocked(OSError):
    pass


def _allowed(sock: socket.socket, address) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _guarded(original):
    def connect(self, address):
        if not _allowed(self, address):
            raise NetworkBlocked(f"the test run blocks connections beyond this machine (to {address!r})")
        return original(self, address)

    return connect


socket.socket.connect = _guarded(_connect)  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded(_connect_ex)  # type: ignore[method-assign]
