"""A minimal app for trigger tests, run as a subprocess: listens, prints where, prints each action.

python -m tests.trigger_app
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication

from ui.trigger import TriggerServer


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    server = TriggerServer()
    listening = server.listen()
    print(f"listening={listening} path={server.path} problem={server.problem}", flush=True)
    server.triggered.connect(lambda action: print(f"action {action}", flush=True))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
