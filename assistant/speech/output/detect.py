"""Is a screen reader running? (Decides the default "Speak with" route.)

Linux:   AT-SPI's own flag (org.a11y.Status.ScreenReaderEnabled on the session bus, which GNOME's
         and Orca's settings set), else an `orca` process of this user.
Windows: NVDA answers its controller's testIfRunning, or JAWS's window exists.
macOS:   NSWorkspace.isVoiceOverEnabled.
Every check is bounded (a D-Bus call waits at most `timeout`) and never raises.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ...logs import get_logger

log = get_logger(__name__)

LINUX_SCREEN_READERS = {"orca": "Orca", "fenrir": "Fenrir", "speakup": "Speakup"}


@dataclass(frozen=True)
class ScreenReader:
    name: str | None  # "Orca", "NVDA", "JAWS", "VoiceOver"; None: none found
    how: str = ""  # what told us, for the log and the settings page

    def __bool__(self) -> bool:
        return self.name is not None


def detect_screen_reader(platform: str = sys.platform, timeout: float = 0.5) -> ScreenReader:
    try:
        if platform.startswith("linux"):
            return _linux(timeout)
        if platform == "win32":
            return _windows()
        if platform == "darwin":
            from .macos import voiceover_running

            return ScreenReader("VoiceOver", "NSWorkspace") if voiceover_running() else ScreenReader(None)
    except Exception:
        log.exception("looking for a running screen reader")
    return ScreenReader(None)


def _linux(timeout: float) -> ScreenReader:
    process = screen_reader_process()
    if process:
        return ScreenReader(process, "process list")
    if atspi_screen_reader_enabled(timeout):
        return ScreenReader("a screen reader", "AT-SPI ScreenReaderEnabled")
    return ScreenReader(None)


def atspi_screen_reader_enabled(timeout: float = 0.5) -> bool:
    """org.a11y.Status.ScreenReaderEnabled on the session bus; False when there is no bus."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        from jeepney import DBusAddress, Properties
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return False
    address = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Status")
    try:
        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(Properties(address).get("ScreenReaderEnabled"), timeout=timeout)
    except Exception:
        log.info("AT-SPI status not readable", exc_info=True)
        return False
    try:
        ((signature, value),) = reply.body
    except (TypeError, ValueError):
        return False
    return signature == "b" and bool(value)


def screen_reader_process(proc: Path = Path("/proc")) -> str | None:
    """The name of a screen reader running as this user, from the process list."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(proc.iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if uid is not None and entry.stat().st_uid != uid:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in argv[:2]:  # the program, or the script a python interpreter runs
            name = os.path.basename(arg.decode(errors="replace"))
            if name in LINUX_SCREEN_READERS:
                return LINUX_SCREEN_READERS[name]
    return None


def _windows() -> ScreenReader:
    from .windows import NvdaOutput, jaws_window_open

    if NvdaOutput().available:
        return ScreenReader("NVDA", "controller testIfRunning")
    if jaws_window_open():
        return ScreenReader("JAWS", "JAWS window")
    return ScreenReader(None)
