"""Screenshots of every window under a real X server, at normal size, at 200% font size and
with a high-contrast palette. Writes docs/screenshots/<window>-<variant>.png.

    python bench/screenshots.py            starts its own Xvfb (or uses $DISPLAY with --use-display)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.events import options_for

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xvfb import start_xvfb  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VARIANTS = ["normal", "large", "contrast"]


def _save(pixmap, name: str, scale: float = 1.0) -> None:
    from PIL import Image

    from ui.capture import qimage_to_pil

    image = qimage_to_pil(pixmap.toImage())
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    # A small palette keeps the PNGs a few tens of KB while text stays crisp.
    image.quantize(colors=48, method=Image.Quantize.MEDIANCUT).save(OUT / f"{name}.png", optimize=True)


def render(variant: str) -> None:
    """In this process (under X): build each window with sample content and grab it."""
    from PySide6.QtWidgets import QApplication

    from tests.conftest import render_text

    app = QApplication([])
    from assistant.config import Settings
    from assistant.history import HistoryStore
    from ui.history_view import HistoryView
    from ui.main_window import MainWindow
    from ui.model_manager import ModelManager
    from ui.region import RegionOverlay
    from ui.settings_dialog import SettingsDialog
    from ui.speech import AppSpeech
    from ui.theme import scale_font, use_high_contrast

    if variant == "large":
        scale_font(app, 2.0)
    elif variant == "contrast":
        use_high_contrast(app)
    settings = Settings()
    settings.speech.enabled = False
    history = HistoryStore()
    picture = render_text(["Quarterly report", "Total: 4721 euros", "[ OK ]   [ Cancel ]"], size=(800, 400))
    # The transcript shows what the offline engine really says about this picture.
    from assistant.engine import Engine, Request

    engine = Engine(settings=settings)
    description = engine.run_to_result(
        Request("describe", image=picture, options=options_for("describe", backend="embedded"))
    ).text
    question = "What does it say?"
    answer = engine.run_to_result(Request("ask", text=question, options=options_for("ask", backend="embedded"))).text
    cid = history.add_capture(picture, "screen")
    history.add_entry(cid, "describe", description)
    history.add_entry(cid, "ask", answer, question=question)
    window = MainWindow(settings, history=history, speech=AppSpeech(settings))
    window.set_picture(picture, description)
    for line in ["Describe (screen)", description, f"Q: {question}", answer]:
        window.transcript_add(line)
    window.question.setText("What does the red button say?")
    window.status("Done.")
    windows = {
        "main": window,
        "settings": SettingsDialog(settings, None, window),
        "history": HistoryView(history, window),
        "models": ModelManager(settings, window),
    }
    for w in windows.values():
        size = w.sizeHint().expandedTo(w.size())
        w.resize(min(size.width(), 1900), min(size.height(), 1060))
        w.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    for name, w in windows.items():
        _save(w.grab(), f"{name}-{variant}")
    windows["settings"].tabs.setCurrentIndex(1)  # the longest page
    app.processEvents()
    _save(windows["settings"].grab(), f"settings-hotkeys-{variant}")
    from PySide6.QtGui import QPixmap

    background = QPixmap.fromImage(
        __import__("ui.capture", fromlist=["pil_to_qimage"]).pil_to_qimage(
            render_text(["Some document on the screen", "with a chart and two buttons"], size=(1280, 720), font_size=40)
        )
    )
    overlay = RegionOverlay(background)
    overlay.resize(background.size())
    overlay.show()
    app.processEvents()
    _save(overlay.grab(), f"region-{variant}", scale=0.5)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--render":
        sys.path.insert(0, str(ROOT))
        render(sys.argv[2])
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    xvfb = None
    display = os.environ.get("DISPLAY") if "--use-display" in sys.argv else None
    if display is None:
        try:
            xvfb, display = start_xvfb(first=120, last=140)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
    try:
        with tempfile.TemporaryDirectory() as home:
            env = dict(
                os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", SCREEN_ASSISTANT_HOME=home, HF_HUB_OFFLINE="1"
            )
            for variant in VARIANTS:
                subprocess.run([sys.executable, __file__, "--render", variant], env=env, check=True, cwd=ROOT)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"Wrote {len(list(OUT.glob('*.png')))} screenshots to {OUT} ({total / 1024:.0f} KB).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
