"""System tray icon with the main actions (where the desktop has a tray)."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from assistant import commands


def app_icon() -> QIcon:
    """A simple drawn eye-like icon, so no binary asset is needed."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#1a4f9c"))
    painter.setPen(QColor("white"))
    painter.drawEllipse(4, 14, 56, 36)
    painter.setBrush(QColor("white"))
    painter.drawEllipse(22, 22, 20, 20)
    painter.setBrush(QColor("black"))
    painter.drawEllipse(28, 28, 8, 8)
    painter.end()
    return QIcon(pixmap)


def make_tray(window) -> QSystemTrayIcon | None:
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app_icon(), window)
    tray.setToolTip("Screen Assistant")
    menu = QMenu(window)
    for command in commands.COMMANDS:
        if command.hotkey:  # the actions people reach from anywhere
            menu.addAction(command.plain_label, partial(window.trigger, command.id))
    menu.addSeparator()
    menu.addAction("Settings…", lambda: window.trigger("settings"))
    menu.addAction("Quit", lambda: window.trigger("quit"))
    tray.setContextMenu(menu)
    tray.activated.connect(
        lambda reason: window.bring_to_front() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
    )
    tray.show()
    window.tray = tray
    return tray
