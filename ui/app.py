"""Desktop app entry: `screen-assistant-gui`, or `python main.py` with no arguments.

Single instance: a second start (or `screen-assistant trigger ACTION`) talks to the running app
over the local trigger channel instead of opening another window.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from assistant.logs import get_logger, setup_logging
from assistant.memory import limit_malloc_arenas

log = get_logger(__name__)


class _HotkeyBridge(QObject):
    """Hotkey callbacks arrive on the hotkey library's thread; a signal hops to the GUI thread."""

    fired = Signal(str)
    notice = Signal(str)  # the hotkey backend's later news (portal answer, lost X connection)


def main(argv: list[str] | None = None) -> int:
    limit_malloc_arenas()  # before Qt and the models start their threads
    setup_logging()
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        # Qt would abort with a crash report; say it plainly instead.
        print(
            "There is no graphical desktop here (DISPLAY is not set), so the app cannot open. "
            "The command line works: screen-assistant --help",
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
        window.status(window.controller.gated("Another copy seems to be starting; triggers may not reach this one."))
    elif server.problem:  # our usual name was taken: a fresh private one is in use
        window.controller.notice(window.controller.gated(server.problem), assertive=True)
    code = app.exec()
    shutdown(window, server, hotkeys)
    return int(code)


def build_app(app, settings=None, history=None, speech=None, engine_factory=None, on_event: Callable | None = None):
    """Create the controller, window, trigger server, hotkeys and tray; show the window.

    on_event: an extra controller listener (benchmarks and tests observe the app through it)."""
    limit_malloc_arenas()  # again for callers that skip main(): before the app's own threads start
    from assistant.config import Settings
    from assistant.controller import Controller
    from assistant.history import HistoryStore

    from .hotkeys import HotkeyManager
    from .main_window import MainWindow
    from .theme import apply_system_preferences
    from .tray import app_icon, make_tray
    from .trigger import TriggerServer

    apply_system_preferences(app)
    app.setWindowIcon(app_icon())
    settings = settings or Settings.load()
    opened = HistoryStore.open(retention=settings.history) if history is None else None
    if opened is not None:
        history = opened.store
    controller = Controller(
        settings,
        history=history,
        speech=speech,
        engine_factory=engine_factory,
        speech_factory=None if speech is not None else _make_speaker,
    )
    if on_event is not None:
        controller.add_listener(on_event)
    window = MainWindow(controller)
    server = TriggerServer(window)
    server.triggered.connect(window.trigger)
    bridge = _HotkeyBridge(window)
    bridge.fired.connect(window.trigger)
    bridge.notice.connect(window.hotkey_notice)  # a bound method: it runs in the GUI thread
    hotkeys = HotkeyManager(bridge.fired.emit, notice=bridge.notice.emit)
    window.hotkeys = hotkeys
    tray = make_tray(window)
    app.setQuitOnLastWindowClosed(tray is None)
    if settings.ui.start_minimised and tray is not None:
        window.status(controller.gated("Started in the system tray."))
    elif settings.ui.start_minimised:
        window.showMinimized()  # no tray on this desktop: minimise to the task bar instead
    else:
        window.show()
    if opened is not None:
        window.history_off_reason = opened.unavailable_reason
    QTimer.singleShot(0, lambda: _after_start(window, hotkeys, settings, opened.problem if opened else None))
    return window, server, hotkeys


def _after_start(window, hotkeys, settings, history_problem: str | None) -> None:
    hotkeys.register(settings.ui.hotkeys)
    # In the transcript too: a status line is overwritten by the next one, the transcript keeps it.
    message = window.controller.gated(hotkeys.message)
    window.transcript_add(message)
    window.announce(message, speak=False)
    if history_problem:  # a damaged file moved aside, a full or read-only disk
        window.controller.notice(window.controller.gated(history_problem), assertive=True)
    # Finding the screen reader, building the engine and loading what the first description
    # needs take a moment: all happen off the GUI thread so the window answers at once. Other
    # models (the picture model, the sentence model for questions) still load on first use.
    threading.Thread(target=_warm, args=(window.controller,), daemon=True, name="warm-up").start()
    # Whether this screen's grabs equal the window's rendering (a few ms, once painted): then a
    # capture while other windows cover the app need not wait for it to hide (ui/settle.py).
    QTimer.singleShot(1000, window, window.check_grabs_match)


def _make_speaker(settings, notice):
    from assistant.speech.output import speaker_for

    return speaker_for(settings, notice=notice)


def _warm(controller) -> None:
    if controller.speech is None:
        controller.start_speech()
    try:
        # The OCR sessions (about a second) and the picture check's classifier: now, not on the
        # first hotkey. Idle memory stays under 400 MB (bench/bench_app.py).
        controller.engine().warm_up()
    except Exception:
        log.exception("warming the engine failed")  # the first request reports it in a plain sentence


def shutdown(window, server, hotkeys) -> None:
    hotkeys.unregister()
    server.close()
    window.controller.close()
    if window.history is not None:
        window.history.close()
