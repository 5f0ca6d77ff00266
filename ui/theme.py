"""Follow the system: palette, contrast preference and font size come from the platform.

No pixel fonts are set anywhere; these helpers only scale the system font and apply a
high-contrast palette when the system asks for more contrast (or for screenshots)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette


def high_contrast_palette() -> QPalette:
    """White on black with yellow focus/selection: the usual high-contrast scheme."""
    p = QPalette()
    black, white, yellow, cyan = QColor("black"), QColor("white"), QColor("yellow"), QColor("cyan")
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase,
                 QPalette.ColorRole.Button, QPalette.ColorRole.ToolTipBase):
        p.setColor(role, black)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.ToolTipText, QPalette.ColorRole.BrightText, QPalette.ColorRole.PlaceholderText):
        p.setColor(role, white)
    p.setColor(QPalette.ColorRole.Highlight, yellow)
    p.setColor(QPalette.ColorRole.HighlightedText, black)
    p.setColor(QPalette.ColorRole.Link, cyan)
    p.setColor(QPalette.ColorRole.Light, white)
    p.setColor(QPalette.ColorRole.Mid, white)
    p.setColor(QPalette.ColorRole.Dark, white)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#c0c0c0"))
    return p


def wants_high_contrast(app) -> bool:
    hints = app.styleHints()
    try:
        return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    except AttributeError:   # Qt < 6.10 has no contrast preference
        return False


def apply_system_preferences(app) -> None:
    """Use a high-contrast palette when the system asks for it; keep the system palette otherwise."""
    if wants_high_contrast(app):
        app.setPalette(high_contrast_palette())
    try:
        app.styleHints().accessibility().contrastPreferenceChanged.connect(
            lambda *_: app.setPalette(high_contrast_palette() if wants_high_contrast(app) else QPalette()))
    except AttributeError:
        pass


def scale_font(app, factor: float) -> None:
    """Scale the system font (e.g. 2.0 for 200%), in points, never in pixels."""
    font = QGuiApplication.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    app.setFont(font)
