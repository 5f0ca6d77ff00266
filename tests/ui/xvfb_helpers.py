"""Run as a separate process under Xvfb (QT_QPA_PLATFORM=xcb):

python xvfb_helpers.py show "LINE ONE" "LINE TWO"   a frameless window of big black text on white
python xvfb_helpers.py grab                         grab the screen with ui.capture, read it
                                                    through the Engine, print JSON
python xvfb_helpers.py square X Y SIZE              white screen, a red square at logical X, Y
python xvfb_helpers.py region X Y W H               the desktop grab and a region cut from it
                                                    (logical units), as sizes and red share, JSON
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


def square(x: int, y: int, size: int) -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QColor, QGuiApplication, QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    class Square(QWidget):
        def paintEvent(self, event):
            painter = QPainter(self)
            painter.fillRect(self.rect(), QColor("white"))
            painter.fillRect(x, y, size, size, QColor("red"))
            painter.end()

    app = QApplication([])
    widget = Square()
    widget.setWindowFlags(Qt.WindowType.FramelessWindowHint)
    widget.setGeometry(QGuiApplication.primaryScreen().geometry())
    widget.show()
    QTimer.singleShot(500, lambda: print("shown", flush=True))
    return app.exec()


def region(x: int, y: int, w: int, h: int) -> int:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841
    from assistant.gui.capture import grab_rect, grab_virtual_desktop

    desktop = grab_virtual_desktop()
    image = grab_rect(QRect(x, y, w, h), desktop)
    red = sum(1 for r, g, b in image.getdata() if r > 200 and g < 60 and b < 60)
    screen = QGuiApplication.primaryScreen()
    print(
        json.dumps(
            {
                "logical": [screen.geometry().width(), screen.geometry().height()],
                "ratio": screen.devicePixelRatio(),
                "desktop": [desktop.width(), desktop.height()],
                "region": list(image.size),
                "red_share": red / (image.width * image.height),
            }
        )
    )
    return 0


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "show":
        sys.exit(show(args))
    if mode == "square":
        sys.exit(square(*map(int, args)))
    if mode == "region":
        sys.exit(region(*map(int, args)))
    sys.exit(grab())
