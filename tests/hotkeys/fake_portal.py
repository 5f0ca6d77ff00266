"""A stand-in for xdg-desktop-portal's GlobalShortcuts on a private D-Bus (jeepney): answers
CreateSession and BindShortcuts with Response signals the way the real portal does, records
what it was asked, and can press a shortcut (emit Activated)."""

from __future__ import annotations

import threading

from jeepney import DBusAddress, HeaderFields, MessageType, message_bus, new_error, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"


class FakePortal:
    def __init__(self, address: str, bind_response: int = 0, offer_shortcuts: bool = True):
        self.conn = open_dbus_connection(bus=address)
        self.conn.send_and_get_reply(message_bus.RequestName(PORTAL_NAME), timeout=5)
        self.bind_response = bind_response  # 0 success, 1 the user cancelled
        self.offer_shortcuts = offer_shortcuts
        self.bound: list = []
        self.sessions: list[str] = []
        self.closed: list[str] = []
        self.bound_event = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def press(self, shortcut_id: str, session: str | None = None) -> None:
        signal = new_signal(
            DBusAddress(PORTAL_PATH, interface=SHORTCUTS),
            "Activated",
            "osta{sv}",
            (session or self.sessions[-1], shortcut_id, 0, {}),
        )
        with self._lock:
            self.conn.send(signal)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type == MessageType.method_call:
                with self._lock:
                    self._answer(message)

    def _answer(self, message) -> None:
        member = message.header.fields.get(HeaderFields.member)
        interface = message.header.fields.get(HeaderFields.interface)
        sender = str(message.header.fields.get(HeaderFields.sender))[1:].replace(".", "_")
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            if not self.offer_shortcuts:
                self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownInterface", "s", ("no",)))
                return
            self.conn.send(new_method_return(message, "v", (("u", 2),)))
        elif member == "CreateSession":
            options = message.body[0]
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions.append(session)
            self.conn.send(new_method_return(message, "o", (request,)))
            self._respond(request, 0, {"session_handle": ("s", session)})
        elif member == "BindShortcuts":
            session, shortcuts, _parent, options = message.body
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            self.bound = shortcuts
            self.conn.send(new_method_return(message, "o", (request,)))
            given = [(sid, {"trigger_description": ("s", info["preferred_trigger"][1])}) for sid, info in shortcuts]
            self._respond(request, self.bind_response, {"shortcuts": ("a(sa{sv})", given[:-1])})
            self.bound_event.set()
        elif member == "Close":
            self.closed.append(str(message.header.fields.get(HeaderFields.path)))
            self.conn.send(new_method_return(message))
        else:
            self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,)))

    def _respond(self, request: str, code: int, results: dict) -> None:
        signal = new_signal(
            DBusAddress(request, interface="org.freedesktop.portal.Request"), "Response", "ua{sv}", (code, results)
        )
        self.conn.send(signal)
