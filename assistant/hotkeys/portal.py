"""Global hotkeys on Wayland through the desktop's xdg-desktop-portal GlobalShortcuts interface
(D-Bus, through jeepney: pure Python, no GLib main loop, blocking I/O on our own thread).

Wayland never lets an application read keys meant for others; the portal asks the desktop to
bind them for us, and the desktop may ask the user to confirm or change the keys. So start() only
starts a thread: finding the portal, binding and the outcome happen there (never on the GUI
thread: a D-Bus-activated portal can take seconds to answer) and are told through `notice`.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections import deque
from collections.abc import Callable

from ..logs import get_logger
from .base import HotkeysUnavailable, Notice, Registration, ignore_notice
from .combo import Combo, xdg_trigger

log = get_logger(__name__)

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"
CALL_TIMEOUT_S = 5.0
POLL_S = 0.5


class PortalBackend:
    name = "the Wayland desktop's global shortcuts portal"

    def __init__(self, bus: str = "SESSION", labels: dict[str, str] | None = None):
        self.bus = bus  # "SESSION" or a D-Bus address (tests run a private bus)
        self.labels = labels or {}
        self.notice: Notice = ignore_notice
        self.version = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, combos: dict[str, Combo], callback: Callable[[str], None]) -> Registration:
        if self.bus == "SESSION" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise HotkeysUnavailable("There is no desktop message bus (DBUS_SESSION_BUS_ADDRESS is not set).")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(dict(combos), callback), daemon=True, name="portal-hotkeys"
        )
        self._thread.start()
        return Registration(bound=list(combos), pending=True)

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(CALL_TIMEOUT_S + 2 * POLL_S)
            self._thread = None

    # ---- D-Bus ------------------------------------------------------------------------------
    def _connect(self):
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError:
            raise HotkeysUnavailable("The jeepney package is missing, so the desktop cannot be asked.") from None
        try:
            return open_dbus_connection(bus=self.bus)
        except KeyError:
            raise HotkeysUnavailable("There is no desktop message bus (DBUS_SESSION_BUS_ADDRESS is not set).") from None
        except (OSError, ValueError) as exc:
            raise HotkeysUnavailable(f"The desktop's message bus cannot be reached ({exc}).") from None

    def _portal_version(self) -> int:
        from jeepney import DBusAddress, Properties
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        conn = self._connect()
        try:
            address = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SHORTCUTS)
            reply = conn.send_and_get_reply(Properties(address).get("version"), timeout=CALL_TIMEOUT_S)
            return int(unwrap_msg(reply)[0][1])
        except (DBusErrorResponse, TimeoutError, OSError) as exc:
            log.info("no GlobalShortcuts portal: %s", exc)
            raise HotkeysUnavailable("This Wayland desktop does not offer global shortcuts to applications.") from None
        finally:
            conn.close()

    def _run(self, combos: dict[str, Combo], callback: Callable[[str], None]) -> None:
        try:
            self.version = self._portal_version()
            conn = self._connect()
        except HotkeysUnavailable as exc:
            self.notice(exc.message, False)
            return
        try:
            self._session(conn, combos, callback)
        except Exception:
            log.exception("talking to the global shortcuts portal")
            self.notice("The desktop's global shortcuts stopped working.", False)
        finally:
            conn.close()

    def _session(self, conn, combos: dict[str, Combo], callback: Callable[[str], None]) -> None:
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
        from jeepney.wrappers import unwrap_msg

        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SHORTCUTS)
        responses_rule = MatchRule(type="signal", interface=REQUEST, member="Response")
        activated_rule = MatchRule(type="signal", interface=SHORTCUTS, member="Activated", path=PORTAL_PATH)
        responses: deque = deque(maxlen=16)
        activated: deque = deque(maxlen=64)
        with conn.filter(responses_rule, queue=responses), conn.filter(activated_rule, queue=activated):
            for rule in (responses_rule, activated_rule):
                unwrap_msg(conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_TIMEOUT_S))
            options = {"handle_token": ("s", _token()), "session_handle_token": ("s", _token())}
            request = unwrap_msg(
                conn.send_and_get_reply(
                    new_method_call(portal, "CreateSession", "a{sv}", (options,)), timeout=CALL_TIMEOUT_S
                )
            )[0]
            answer = self._response(conn, responses, request)
            if answer is None:
                return
            if answer[0] != 0:
                self.notice("The desktop did not let the assistant create global shortcuts.", False)
                return
            session = str(answer[1]["session_handle"][1])
            shortcuts = [
                (action, {"description": ("s", self.labels.get(action, action)), "preferred_trigger": ("s", trig)})
                for action, trig in ((a, xdg_trigger(c)) for a, c in combos.items())
            ]
            request = unwrap_msg(
                conn.send_and_get_reply(
                    new_method_call(
                        portal,
                        "BindShortcuts",
                        "oa(sa{sv})sa{sv}",
                        (session, shortcuts, "", {"handle_token": ("s", _token())}),
                    ),
                    timeout=CALL_TIMEOUT_S,
                )
            )[0]
            answer = self._response(conn, responses, request)
            if answer is None:
                return
            self.notice(*self._bound_sentence(answer, combos))
            try:
                self._listen(conn, activated, session, set(combos), callback)
            finally:
                close = new_method_call(DBusAddress(session, bus_name=PORTAL_NAME, interface=SESSION), "Close")
                conn.send(close)

    def _response(self, conn, responses: deque, request_path: str):
        """(code, results) of the portal's Response to `request_path`; None when stopping.
        The user may take their time in the desktop's confirmation dialog: no deadline."""
        from jeepney import HeaderFields

        while not self._stopping.is_set():
            try:
                message = conn.recv_until_filtered(responses, timeout=POLL_S)
            except TimeoutError:
                continue
            if message.header.fields.get(HeaderFields.path) == request_path:
                return message.body
        return None

    def _bound_sentence(self, answer, combos: dict[str, Combo]) -> tuple[str, bool]:
        code, results = answer
        if code != 0:
            return "The desktop's global shortcuts were not set up (cancelled).", False
        bound = {sid: info for sid, info in results.get("shortcuts", ("", []))[1]}
        missing = [self.labels.get(a, a) for a in combos if a not in bound]
        sentence = f"The desktop bound {len(bound)} of {len(combos)} global hotkeys."
        if missing:
            sentence += " Without a key: " + ", ".join(missing) + "."
        return sentence, bool(bound)

    def _listen(self, conn, activated: deque, session: str, actions: set[str], callback) -> None:
        while not self._stopping.is_set():
            try:
                message = conn.recv_until_filtered(activated, timeout=POLL_S)
            except TimeoutError:
                continue
            session_handle, shortcut_id = str(message.body[0]), str(message.body[1])
            if session_handle == session and shortcut_id in actions:
                try:
                    callback(shortcut_id)
                except Exception:
                    log.exception("running the hotkey action %s", shortcut_id)


def _token() -> str:
    return "screen_assistant_" + secrets.token_hex(4)
