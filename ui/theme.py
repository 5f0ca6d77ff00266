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
    for role in (
        QPalette.ColorRole.Window,
        QPalette.ColorRole.Base,
        QPalette.ColorRole.AlternateBase,
        QPalette.ColorRole.Button,
        QPalette.ColorRole.ToolTipBase,
    ):
        p.setColor(role, black)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.ToolTipText,
        QPalette.ColorRole.BrightText,
        QPalette.ColorRole.PlaceholderText,
    ):
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


# Fusion draws frames in a shade of the window colour, invisible on black; draw them in the
# text colour instead. palette() keeps every colour coming from the palette.
HIGH_CONTRAST_STYLE = """
QLineEdit, QPlainTextEdit, QTextEdit, QListWidget, QTableWidget, QComboBox, QSpinBox, QDoubleSpinBox,
QPushButton, QTabWidget::pane { border: 2px solid palette(window-text); }
QPushButton { padding: 4px 10px; }
QCheckBox::indicator { border: 2px solid palette(window-text); width: 1em; height: 1em; }
QCheckBox::indicator:checked { background: palette(highlight); }
*:focus { border: 3px solid palette(highlight); }
"""


# Where keyboard focus is must be easy to see at any contrast: a 3-pixel ring in the highlight
# colour (the platform's ring is one pixel).
FOCUS_STYLE = """
QPushButton:focus, QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QListWidget:focus,
QTableWidget:focus, QComboBox:focus, QSpinBox:focus, QDoubleSpinBox:focus, QCheckBox:focus,
QLabel:focus, QTabBar::tab:focus { border: 3px solid palette(highlight); }
"""


def use_high_contrast(app) -> None:
    app.setPalette(high_contrast_palette())
    app.setStyleSheet(HIGH_CONTRAST_STYLE + FOCUS_STYLE)


def wants_high_contrast(app) -> bool:
    hints = app.styleHints()
    try:
        return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    except AttributeError:  # Qt < 6.10 has no contrast preference
        return False


def apply_system_preferences(app) -> None:
    """Use a high-contrast palette when the system asks for it; keep the system palette otherwise."""
    if wants_high_contrast(app):
        use_high_contrast(app)
    else:
        app.setStyleSheet(FOCUS_STYLE)

    def changed(*_):
        if wants_high_contrast(app):
            use_high_contrast(app)
        else:
            app.setStyleSheet(FOCUS_STYLE)
            app.setPalette(QPalette())

    try:
        app.styleHints().accessibility().contrastPreferenceChanged.connect(changed)
    except AttributeError:
        pass


def scale_font(app, factor: float) -> None:
    """Scale the system font (e.g. 2.0 for 200%), in points, never in pixels."""
    font = QGuiApplication.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    app.setFont(font)
