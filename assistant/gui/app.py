"""Desktop app entry: `python main.py` with no arguments.

Single instance: a second start (or `main.py trigger ACTION`) talks to the running app over
the local trigger channel instead of opening another window.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal

BENCH = bool(os.environ.get("SCREEN_ASSISTANT_BENCH"))


def _bench(event: str) -> None:
    """Machine-readable timing lines for bench/bench_app.py (off unless asked for)."""
    if BENCH:
        print(f"BENCH {event} {time.time():.6f}", flush=True)


class _HotkeyBridge(QObject):
    """Hotkey callbacks arrive on the keyboard package's thread; a signal hops to the GUI thread."""

    fired = Signal(str)


def main(argv: list[str] | None = None) -> int:
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        # Qt would abort with a crash report; say it plainly instead.
        print(
            "There is no graphical desktop here (DISPLAY is not set), so the app cannot open. "
            "The command line works: python main.py --help",
            file=sys.stderr,
        )
        return 3
    from PySide6.QtWidgets import QApplication

    from .trigger import send_action

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Screen Assistant")
    app.setOrganizationName("screen-assistant")
    if send_action("open_app", 500) is not None:
        print("The assistant is already running; its window was brought to the front.")
        return 0
    window, server, hotkeys = build_app(app)
    if not server.listen():
        window.status("Another copy seems to be starting; triggers may not reach this one.")
    code = app.exec()
    shutdown(window, server, hotkeys)
    return int(code)


def build_app(app, settings=None, history=None):
    """Create the window, trigger server, hotkeys and tray; show the window (unless minimised)."""
    from assistant.config import Settings
    from assistant.history import HistoryStore

    from .hotkeys import HotkeyManager
    from .main_window import MainWindow
    from .speech import AppSpeech
    from .theme import apply_system_preferences
    from .tray import app_icon, make_tray
    from .trigger import TriggerServer

    apply_system_preferences(app)
    app.setWindowIcon(app_icon())
    settings = settings or Settings.load()
    history = history or HistoryStore()
    speech = AppSpeech(settings, on_queued=lambda text, kind: _bench(f"speech_{kind}"))
    window = MainWindow(settings, history=history, speech=speech)
    server = TriggerServer(window)
    server.triggered.connect(lambda action: (_bench(f"trigger_received:{action}"), window.trigger(action)))
    bridge = _HotkeyBridge(window)
    bridge.fired.connect(window.trigger)
    hotkeys = HotkeyManager(bridge.fired.emit)
    window.hotkeys = hotkeys
    tray = make_tray(window)
    app.setQuitOnLastWindowClosed(tray is None)
    if settings.ui.start_minimised and tray is not None:
        window.status("Started in the system tray.")
    elif settings.ui.start_minimised:
        window.showMinimized()  # no tray on this desktop: minimise to the task bar instead
    else:
        window.show()
    QTimer.singleShot(0, lambda: _after_start(window, hotkeys, settings))
    return window, server, hotkeys


def _after_start(window, hotkeys, settings) -> None:
    _bench("shown")
    hotkeys.register(settings.ui.hotkeys)
    window.status(hotkeys.message)
    window.check_speech()
    window.job_done.connect(lambda what: _bench(f"done:{what}"))
    # The engine's imports are slow; build it in the background so the first hotkey is quick.
    # Models themselves still load lazily, on first use.
    threading.Thread(target=_warm, args=(window,), daemon=True, name="engine-warmup").start()


def _warm(window) -> None:
    try:
        window.provider.get()
        _bench("engine_ready")
    except Exception:
        pass  # the first request reports the problem in a plain sentence


def shutdown(window, server, hotkeys) -> None:
    hotkeys.unregister()
    server.close()
    if window.job is not None:
        window.job.cancel()
        window.job.wait(5000)
    window.speech.close()
    if window.history is not None:
        window.history.close()
