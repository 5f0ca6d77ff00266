"""The Wayland path: the GlobalShortcuts portal client against a fake portal on a private
D-Bus session bus (a real dbus-daemon; skipped with the reason when it is not installed)."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from assistant.hotkeys import HotkeyManager
from assistant.hotkeys.portal import PortalBackend
from tests.hotkeys.fake_portal import FakePortal

COMBOS = {"describe_screen": "ctrl+alt+shift+d", "read_text": "ctrl+alt+shift+t", "open_app": "ctrl+alt+shift+o"}
LABELS = {"describe_screen": "Describe the screen", "read_text": "Read the text", "open_app": "Open the assistant"}


# A session bus with no service folders, so an installed xdg-desktop-portal is never started.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
    <allow receive_sender="*"/><allow receive_requested_reply="true"/><allow receive_type="signal"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def bus(tmp_path):
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (apt-get install dbus-daemon).")
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=tmp_path))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    address = proc.stdout.readline().strip() if proc.stdout else ""
    assert address.startswith("unix:"), "dbus-daemon did not print its address"
    yield address
    proc.terminate()
    proc.wait(10)


class Recorder:
    def __init__(self):
        self.items: list[str] = []
        self.event = threading.Event()

    def __call__(self, item: str) -> None:
        self.items.append(item)
        self.event.set()

    def wait(self, timeout: float = 10) -> list[str]:
        assert self.event.wait(timeout), "nothing arrived"
        self.event.clear()
        return self.items


def manager_on(bus: str, fired: Recorder, notices: Recorder) -> HotkeyManager:
    return HotkeyManager(
        fired,
        hint="Bind main.py trigger instead.",
        labels=LABELS,
        notice=notices,
        backend_factory=lambda: PortalBackend(bus=bus, labels=LABELS),
    )


PORTAL = "the Wayland desktop's global shortcuts portal"


def test_portal_binds_shortcuts_and_activations_run_actions(bus):
    portal = FakePortal(bus)
    fired, notices = Recorder(), Recorder()
    manager = manager_on(bus, fired, notices)
    try:
        assert manager.register(COMBOS)  # at once: the desktop answers on the backend's thread
        assert manager.message == f"Global hotkeys: asking {PORTAL} for the keys."
        assert portal.bound_event.wait(10)
        asked = {sid: {k: v[1] for k, v in info.items()} for sid, info in portal.bound}
        assert asked["describe_screen"] == {
            "description": "Describe the screen",
            "preferred_trigger": "CTRL+ALT+SHIFT+d",
        }
        # The fake desktop gave keys to all but the last: the user hears which one is missing.
        assert notices.wait() == [
            f"Global hotkeys are on, through {PORTAL}. The desktop bound 2 of 3 global hotkeys. "
            "Without a key: Open the assistant."
        ]
        assert manager.active and manager.message == notices.items[-1]
        portal.press("read_text")
        assert fired.wait() == ["read_text"]
        portal.press("describe_screen", session="/org/freedesktop/portal/desktop/session/someone/else")
        portal.press("describe_screen")
        assert fired.wait() == ["read_text", "describe_screen"]  # another session's press is not ours
    finally:
        manager.unregister()
        portal.close()
    assert portal.closed == portal.sessions  # the session is closed on unregister


def test_user_cancelling_the_desktop_dialog_is_said(bus):
    portal = FakePortal(bus, bind_response=1)
    notices = Recorder()
    manager = manager_on(bus, Recorder(), notices)
    try:
        assert manager.register(COMBOS)
        assert notices.wait() == [
            f"Global hotkeys are off (tried {PORTAL}): The desktop's global shortcuts were not set up "
            "(cancelled). Bind main.py trigger instead."
        ]
        assert not manager.active
    finally:
        manager.unregister()
        portal.close()


def test_desktop_without_the_portal(bus):
    portal = FakePortal(bus, offer_shortcuts=False)
    notices = Recorder()
    manager = manager_on(bus, Recorder(), notices)
    try:
        manager.register(COMBOS)
        assert notices.wait() == [
            f"Global hotkeys are off (tried {PORTAL}): This Wayland desktop does not offer global shortcuts "
            "to applications. Bind main.py trigger instead."
        ]
        assert not manager.active
    finally:
        manager.unregister()
        portal.close()


def test_no_portal_service_at_all(bus):
    notices = Recorder()
    manager = manager_on(bus, Recorder(), notices)
    manager.register(COMBOS)
    try:
        assert "does not offer global shortcuts" in notices.wait()[0] and not manager.active
    finally:
        manager.unregister()


def test_no_session_bus_is_said_at_once(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    manager = HotkeyManager(lambda a: None, backend_factory=lambda: PortalBackend())
    assert manager.register(COMBOS) is False
    assert manager.message == (
        f"Global hotkeys are off (tried {PORTAL}): "
        "There is no desktop message bus (DBUS_SESSION_BUS_ADDRESS is not set)."
    )
