"""Full-screen overlay to choose a region with the mouse or the keyboard.

Keys: arrows move the box, Shift+arrows resize it, Control makes steps fine (1 px instead of
20), Enter confirms, Escape cancels. The size and position are announced after each key.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from assistant.platforms.screens import DesktopLayout

from .announce import announce

STEP, FINE_STEP, MIN_SIZE = 20, 1, 8


class RegionOverlay(QWidget):
    chosen = Signal(QRect)  # logical units from the virtual desktop's top-left (capture.grab_rect maps it)
    cancelled = Signal()

    def __init__(self, background: QPixmap, speak=None, parent=None, gated=None):
        super().__init__(
            parent, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.Tool
        )
        self.background = background
        # A capture.DesktopGrab holds physical pixels and says where each screen sits; the
        # overlay works in logical units, so each screen's pixels are drawn at its logical place.
        self.desktop: DesktopLayout | None = getattr(background, "layout", None)
        self._speak = speak
        # Our sentences (box position and size) pass the same gate as everything said.
        self._gated = gated or (lambda text: text)
        self.setObjectName("regionOverlay")
        self.setAccessibleName("Choose a region")
        self.setAccessibleDescription(
            "Arrow keys move the box, Shift with arrows resizes it, Control makes "
            "small steps, Enter confirms, Escape cancels. You can also drag "
            "with the mouse."
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._origin = QPoint(0, 0)
        if self.desktop is not None and not self.desktop.logical_bounds.empty:
            bounds = self.desktop.logical_bounds
            size, self._origin = QSize(bounds.width, bounds.height), QPoint(bounds.x, bounds.y)
        elif not background.isNull():
            size = background.deviceIndependentSize().toSize()
        else:
            size = QSize(800, 600)
        self.resize(size)
        # Start with a centred box half the screen's size, so keys alone are enough.
        self.box = QRect(QPoint(size.width() // 4, size.height() // 4), size / 2)
        self._drag_start: QPoint | None = None

    # ---- showing ------------------------------------------------------------------------
    def start(self) -> None:
        self.move(self._origin)  # over every screen, from the virtual desktop's top-left corner
        self.showFullScreen() if self._fits_one_screen() else self.show()
        self.activateWindow()
        self.setFocus()
        self._say(f"Choose a region. {self.describe_box()}. " + self.accessibleDescription())

    def _fits_one_screen(self) -> bool:
        return len(QGuiApplication.screens()) <= 1

    def describe_box(self) -> str:
        b = self.box
        return f"{b.width()} by {b.height()} pixels, at {b.x()}, {b.y()}"

    def _say(self, text: str) -> None:
        announce(self, self._gated(text), self._speak)

    # ---- keyboard -----------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = Qt.Key(event.key()), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish()
            return
        if key == Qt.Key.Key_Escape:
            self.close()
            self._say("Region cancelled.")
            self.cancelled.emit()
            return
        delta: tuple[int, int] | None = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }.get(Qt.Key(key))
        if delta is None:
            super().keyPressEvent(event)
            return
        step = FINE_STEP if mods & Qt.KeyboardModifier.ControlModifier else STEP
        dx, dy = delta[0] * step, delta[1] * step
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self.box.setWidth(max(MIN_SIZE, self.box.width() + dx))
            self.box.setHeight(max(MIN_SIZE, self.box.height() + dy))
        else:
            self.box.translate(dx, dy)
        self._clamp()
        self.update()
        self._say(self.describe_box())

    def _clamp(self) -> None:
        area = self.rect()
        self.box.setWidth(min(self.box.width(), area.width()))
        self.box.setHeight(min(self.box.height(), area.height()))
        x = min(max(self.box.x(), 0), area.width() - self.box.width())
        y = min(max(self.box.y(), 0), area.height() - self.box.height())
        self.box.moveTo(x, y)

    def _finish(self) -> None:
        rect = QRect(self.box)
        self.close()
        self._say(f"Region chosen, {self.describe_box()}.")
        self.chosen.emit(rect)

    # ---- mouse --------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_start = event.position().toPoint()
            self.box = QRect(self._drag_start, QSize(1, 1))
            self.update()

    def mouseMoveEvent(self, event) -> None:
        if self._drag_start is not None:
            self.box = QRect(self._drag_start, event.position().toPoint()).normalized()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag_start is None:
            return
        self._drag_start = None
        if self.box.width() >= MIN_SIZE and self.box.height() >= MIN_SIZE:
            self._finish()
        else:
            self._say("That region is too small. Drag a bigger box, or use the arrow keys.")

    # ---- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self.desktop is not None:
            painter.fillRect(self.rect(), QColor("black"))  # logical gaps between mixed-DPI screens
            for placement in self.desktop.placements:
                target, source = self.desktop.overlay_rect(placement), placement.canvas
                painter.drawPixmap(
                    QRect(target.x, target.y, target.width, target.height),
                    self.background,
                    QRect(source.x, source.y, source.width, source.height),
                )
        elif not self.background.isNull():
            painter.drawPixmap(0, 0, self.background)
        shade = QColor(0, 0, 0, 110)
        outside = [
            QRect(0, 0, self.width(), self.box.top()),
            QRect(0, self.box.bottom() + 1, self.width(), self.height()),
            QRect(0, self.box.top(), self.box.left(), self.box.height()),
            QRect(self.box.right() + 1, self.box.top(), self.width(), self.box.height()),
        ]
        for part in outside:
            painter.fillRect(part, shade)
        # Two contrasting outlines stay visible on any background.
        painter.setPen(QPen(QColor("black"), 5))
        painter.drawRect(self.box)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight).lighter(130), 3))
        painter.drawRect(self.box)
        label = self.describe_box()
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)  # relative to the system font, never pixels
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text_rect = metrics.boundingRect(label).adjusted(-8, -6, 8, 6)
        text_rect.moveTopLeft(QPoint(self.box.left(), max(0, self.box.top() - text_rect.height() - 4)))
        painter.fillRect(text_rect, self.palette().color(QPalette.ColorRole.Window))
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
