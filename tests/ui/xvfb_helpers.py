"""Run as a separate process under Xvfb (QT_QPA_PLATFORM=xcb):

python xvfb_helpers.py show "LINE ONE" "LINE TWO"   a frameless window of big black text on white
python xvfb_helpers.py grab                         grab the screen with ui.capture, read it
                                                    through the Engine, print JSON
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def show(lines: list[str]) -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QFont, QPalette
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication([])
    label = QLabel("\n".join(lines))
    label.setWindowFlags(Qt.WindowType.FramelessWindowHint)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.white)
    palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.black)
    label.setPalette(palette)
    label.setAutoFillBackground(True)
    font = QFont("DejaVu Sans")
    font.setPointSize(48)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setGeometry(0, 0, 1920, 1080)
    label.show()
    QTimer.singleShot(500, lambda: print("shown", flush=True))
    return app.exec()


def grab() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841 (Qt's screen grab needs the application object)
    from assistant.engine import Engine, Request
    from assistant.gui.capture import grab_screen

    image = grab_screen()
    result = Engine().run_to_result(Request("read_text", image=image))
    print(
        json.dumps(
            {
                "size": list(image.size),
                "text": getattr(result, "text", ""),
                "error": getattr(result, "kind", None) and getattr(result, "message", ""),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(show(sys.argv[2:]) if sys.argv[1] == "show" else grab())
