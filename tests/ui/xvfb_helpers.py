"""Run as a separate process under Xvfb (QT_QPA_PLATFORM=xcb):

python xvfb_helpers.py show "LINE ONE" "LINE TWO"   a frameless window of big black text on white
                                                    (BUSY_MS=60: its event loop is blocked 60 ms
                                                    of every 75, as a busy program's is)
python xvfb_helpers.py grab                         grab the screen with ui.capture, read it
                                                    through the Engine, print JSON
python xvfb_helpers.py square X Y SIZE              white screen, a red square at logical X, Y
python xvfb_helpers.py region X Y W H               the desktop grab and a region cut from it
                                                    (logical units), as sizes and red share, JSON
python xvfb_helpers.py own_window N                 the app's window over the screen; N screen
                                                    captures; how much of the window's area in
                                                    each equals the screen without the window, JSON
"""

from __future__ import annotations

import json
import os
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
    busy_ms = int(os.environ.get("BUSY_MS", "0"))
    if busy_ms:  # a busy program: it repaints what another window uncovers only when it gets to it
        import time

        busy = QTimer(label)
        busy.timeout.connect(lambda: time.sleep(busy_ms / 1000))
        busy.start(busy_ms + 15)
    return app.exec()


def grab() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841 (Qt's screen grab needs the application object)
    from assistant.engine import Engine, Request
    from ui.capture import grab_screen

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
    from ui.capture import grab_rect, grab_virtual_desktop

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


def own_window(trials: int) -> int:
    """The main window shown over whatever is on screen; each capture must show what is behind
    it (the app never describes itself), however soon after hiding it is taken."""
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from assistant.config import Settings
    from assistant.controller import Controller
    from assistant.safety import trusted
    from ui.capture import grab_screen
    from ui.main_window import MainWindow

    reference = np.asarray(grab_screen())  # before the window ever shows
    window = MainWindow(Controller(Settings()))
    for _ in range(12):
        window.transcript_add(trusted("Screen Assistant describes the screen. " * 3))
    window.setGeometry(80, 60, 720, 520)
    window.show()
    results: list[dict] = []
    check = window._settle_check

    def recorded_check():
        settle, sample = check()
        results.append({"known": bool(settle is not None and settle.known)})
        return settle, sample

    window._settle_check = recorded_check

    def grabbed() -> None:
        shot = np.asarray(grab_screen())
        g = window.geometry()
        area = (slice(g.y(), g.y() + g.height()), slice(g.x(), g.x() + g.width()))
        same = np.all(shot[area] == reference[area], axis=2)
        results[-1]["same_share"] = float(same.mean())
        if len(results) < trials:
            QTimer.singleShot(400, lambda: window._out_of_the_way(grabbed))
        else:
            QTimer.singleShot(0, app.quit)

    QTimer.singleShot(800, lambda: window._out_of_the_way(grabbed))
    app.exec()
    print(json.dumps(results))
    window.controller.close()
    return 0


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "own_window":
        sys.exit(own_window(int(args[0])))
    if mode == "show":
        sys.exit(show(args))
    if mode == "square":
        sys.exit(square(*map(int, args)))
    if mode == "region":
        sys.exit(region(*map(int, args)))
    sys.exit(grab())
