"""The screen reader's side of the a11y test: runs on the SYSTEM python (/usr/bin/python3 with
Debian's python3-pyatspi), reads one JSON command per line on stdin, answers one JSON line
on stdout. It sees the app only through AT-SPI, as Orca would: roles, names, states, the Text
interface, focus and announcement events.

Commands ({"cmd": ..., ...}):
  wait_app   name, timeout           the application appears on the accessibility bus
  windows                            its top-level windows: role, name, active, showing
  tree       window?                 every showing node: role, name, states, text (when it has
                                     the Text interface); counts of focusable / named ones
  focus                              the focused node (role, name, window, text)
  wait_focus role?, name?, window?, timeout     until the focused node matches
  find       role?, name?, window?   the first showing node that matches, with its text
  wait_find  role?, name?, window?, timeout, text_contains?
  events     clear?                  focus / announcement / window events seen so far
"""

from __future__ import annotations

import json
import sys
import threading
import time

import pyatspi
from gi.repository import Atspi, GLib

TEXT_LIMIT = 4000
MAX_DEPTH = 40


def _states(node) -> set[str]:
    try:
        state_set = node.getState()
    except Exception:
        return set()
    wanted = {
        "focusable": pyatspi.STATE_FOCUSABLE,
        "focused": pyatspi.STATE_FOCUSED,
        "showing": pyatspi.STATE_SHOWING,
        "visible": pyatspi.STATE_VISIBLE,
        "active": pyatspi.STATE_ACTIVE,
        "enabled": pyatspi.STATE_ENABLED,
        "checked": pyatspi.STATE_CHECKED,
        "editable": pyatspi.STATE_EDITABLE,
    }
    return {name for name, state in wanted.items() if state_set.contains(state)}


def _text(node) -> str | None:
    """What the Text interface exposes (None when the node has no Text interface)."""
    try:
        text = node.queryText()
    except NotImplementedError:
        return None
    except Exception:
        return None
    try:
        return text.getText(0, min(text.characterCount, TEXT_LIMIT))
    except Exception:
        return None


def _info(node, window: str = "") -> dict:
    return {
        "role": node.getRoleName(),
        "name": node.name or "",
        "description": node.description or "",
        "states": sorted(_states(node)),
        "text": _text(node),
        "window": window,
    }


class Client:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.lock = threading.Lock()
        self.app_name = ""
        self.focus_source = None  # the source of the last focus event, as Orca tracks focus

    # ---- finding things ----------------------------------------------------------------
    def app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            try:
                child = desktop.getChildAtIndex(i)
            except Exception:
                continue
            if child is not None and child.name == self.app_name:
                # No caching: libatspi's cached states go stale when Qt does not send a
                # "focused: false" for a control in a window that lost activation.
                child.set_cache_mask(Atspi.Cache.NONE)
                child.clear_cache()
                return child
        return None

    def windows(self) -> list:
        app = self.app()
        if app is None:
            return []
        out = []
        for i in range(app.childCount):
            try:
                child = app.getChildAtIndex(i)
            except Exception:
                continue
            if child is not None:
                out.append(child)
        return out

    def walk(self, window_name: str | None = None, showing_only: bool = True):
        """(node, window name) for every node of every (showing) window, depth first."""
        for window in self.windows():
            states = _states(window)
            if showing_only and "showing" not in states:
                continue
            if window_name is not None and window.name != window_name:
                continue
            stack = [(window, 0)]
            while stack:
                node, depth = stack.pop()
                yield node, window.name or ""
                if depth >= MAX_DEPTH:
                    continue
                try:
                    count = node.childCount
                except Exception:
                    continue
                for i in reversed(range(count)):
                    try:
                        child = node.getChildAtIndex(i)
                    except Exception:
                        continue
                    if child is None:
                        continue
                    if showing_only and "showing" not in _states(child):
                        continue
                    stack.append((child, depth + 1))

    def window_of(self, node) -> str:
        try:
            while node is not None:
                parent = node.parent
                if parent is None or parent.getRoleName() == "application":
                    return node.name or ""
                node = parent
        except Exception:
            return ""
        return ""

    def focused(self) -> dict | None:
        """The focused node: the last focus event's source while it still says it is focused
        (as a screen reader tracks focus), else the focused node of the active window."""
        source = self.focus_source
        if source is not None and {"focused", "showing"} <= _states(source):
            return _info(source, self.window_of(source))
        return self.scan_focus()

    def scan_focus(self) -> dict | None:
        # Only the active window holds the focus; fall back to all windows (an overlay that
        # the window manager does not mark active still reports its focused state).
        for active_only in (True, False):
            for window in self.windows():
                states = _states(window)
                if "showing" not in states or (active_only and "active" not in states):
                    continue
                for node, name in self.walk(window.name):
                    if name != (window.name or ""):
                        continue
                    if "focused" in _states(node):
                        return _info(node, name)
        return None

    # ---- commands -------------------------------------------------------------------------
    def cmd_wait_app(self, name: str, timeout: float = 60) -> dict:
        self.app_name = name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.app() is not None and any("showing" in _states(w) for w in self.windows()):
                return {"ok": True}
            time.sleep(0.1)
        return {"ok": False, "error": f"{name} did not appear on the accessibility bus in {timeout} s"}

    def cmd_windows(self) -> dict:
        return {
            "ok": True,
            "windows": [
                {"role": w.getRoleName(), "name": w.name or "", "states": sorted(_states(w))} for w in self.windows()
            ],
        }

    def cmd_tree(self, window: str | None = None) -> dict:
        nodes = [_info(node, name) for node, name in self.walk(window)]
        focusable = [n for n in nodes if "focusable" in n["states"]]
        unnamed = [n for n in focusable if not n["name"].strip()]
        return {
            "ok": True,
            "nodes": nodes,
            "counts": {
                "nodes": len(nodes),
                "focusable": len(focusable),
                "named": len(focusable) - len(unnamed),
                "unnamed": len(unnamed),
            },
        }

    def cmd_focus(self) -> dict:
        return {"ok": True, "focus": self.focused()}

    def _matches(self, info: dict | None, role=None, name=None, window=None, text_contains=None) -> bool:
        if info is None:
            return False
        if role is not None and info["role"] != role:
            return False
        if name is not None and info["name"] != name:
            return False
        if window is not None and info["window"] != window:
            return False
        if text_contains is not None and text_contains not in (info["text"] or ""):
            return False
        return True

    def cmd_wait_focus(self, role=None, name=None, window=None, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        focus = None
        while time.monotonic() < deadline:
            focus = self.focused()
            if self._matches(focus, role, name, window):
                return {"ok": True, "focus": focus}
            time.sleep(0.1)
        return {"ok": False, "focus": focus}

    def cmd_find(self, role=None, name=None, window=None, text_contains=None) -> dict:
        for node, window_name in self.walk():
            if role is not None and node.getRoleName() != role:
                continue
            if name is not None and (node.name or "") != name:
                continue
            info = _info(node, window_name)
            if self._matches(info, role, name, window, text_contains):
                return {"ok": True, "node": info}
        return {"ok": False, "node": None}

    def cmd_wait_find(self, role=None, name=None, window=None, text_contains=None, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.cmd_find(role, name, window, text_contains)
            if found["ok"]:
                return found
            time.sleep(0.15)
        return self.cmd_find(role, name, window)  # what is there, for the failure message

    def cmd_events(self, clear: bool = True) -> dict:
        with self.lock:
            out = list(self.events)
            if clear:
                self.events.clear()
        return {"ok": True, "events": out}

    # ---- events -----------------------------------------------------------------------------
    def on_event(self, event) -> None:
        try:
            source = event.source
            app = source.getApplication() if source is not None else None
            if app is None or (self.app_name and app.name != self.app_name):
                return
            record = {"type": event.type, "role": source.getRoleName(), "name": source.name or "", "t": time.time()}
            if event.type.startswith("object:announcement"):
                record["text"] = str(event.any_data)
            elif event.type.startswith("object:state-changed:focused"):
                if not event.detail1:
                    return
                self.focus_source = source
            elif event.type.startswith("object:text-changed"):
                record["text"] = str(event.any_data)[:200]
            with self.lock:
                self.events.append(record)
                del self.events[:-500]
        except Exception as exc:  # a node that vanished mid-event: keep listening
            print(json.dumps({"log": f"event skipped: {exc}"}), file=sys.stderr, flush=True)


def main() -> int:
    client = Client()
    for event_type in (
        "object:state-changed:focused",
        "object:announcement",
        "window:activate",
        "object:text-changed:insert",
        "object:text-changed:delete",
    ):
        pyatspi.Registry.registerEventListener(client.on_event, event_type)

    def on_line(source, condition) -> bool:
        line = sys.stdin.readline()
        if not line:
            pyatspi.Registry.stop()
            return False
        try:
            request = json.loads(line)
            handler = getattr(client, "cmd_" + request.pop("cmd"))
            reply = handler(**request)
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        return True

    GLib.io_add_watch(sys.stdin, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_line)
    print(json.dumps({"ready": True}), flush=True)
    pyatspi.Registry.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
