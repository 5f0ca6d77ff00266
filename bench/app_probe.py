"""The desktop app with timing lines for bench/bench_app.py, observed from outside the app code:
it starts the app exactly as `main.py` does (ui.app.build_app) and adds a controller
listener plus a hook on the trigger server. Prints `BENCH <event> <unix time>` lines:

  shown                 the main window is on screen
  engine_ready          the engine was built in the background
  warmed                the background warm-up (ui/app.py `_warm`) has finished
  trigger_received:NAME a `trigger` line arrived
  captured              the screen was grabbed (after the window got out of the way)
  speech_answer         the first piece of an answer went to speech
  done:result:INTENT    a request ended (or done:error:KIND)
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bench(event: str) -> None:
    print(f"BENCH {event} {time.time():.6f}", flush=True)


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from assistant.controller import Finished
    from assistant.events import TextChunk
    from assistant.logs import setup_logging
    from ui import main_window
    from ui.app import build_app, shutdown

    setup_logging()
    app = QApplication(sys.argv[:1])
    answered = {"first": False}

    def on_event(event) -> None:
        if isinstance(event, TextChunk) and not answered["first"]:
            answered["first"] = True
            bench("speech_answer")
            # The chunk's text, so bench_trigger_speech.py can tell the answer from progress speech.
            print("BENCH_TEXT " + json.dumps(str(getattr(event, "text", ""))), flush=True)
        elif isinstance(event, Finished):
            answered["first"] = False
            bench(f"done:{event.what}")

    capture = main_window.MainWindow._capture

    def timed_capture(self, kind):
        try:
            return capture(self, kind)
        finally:
            bench("captured")

    main_window.MainWindow._capture = timed_capture  # type: ignore[method-assign]
    window, server, hotkeys = build_app(app, on_event=on_event)
    server.triggered.connect(lambda action: bench(f"trigger_received:{action}"))
    server.listen()
    QTimer.singleShot(0, lambda: bench("shown"))

    def wait_for_engine() -> None:
        while window.controller.engine_ready is None:
            time.sleep(0.02)
        bench("engine_ready")
        while any(t.name == "warm-up" for t in threading.enumerate()):
            time.sleep(0.02)
        bench("warmed")

    threading.Thread(target=wait_for_engine, daemon=True).start()
    code = app.exec()
    shutdown(window, server, hotkeys)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
