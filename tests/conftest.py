"""Shared test set-up: no network, an isolated home for settings/history/models, offscreen Qt."""

import os
import tempfile

# Set before anything imports huggingface_hub / Qt.
_HOME = tempfile.mkdtemp(prefix="assistant-test-home-")
os.environ["SCREEN_ASSISTANT_HOME"] = _HOME
os.environ["HF_HOME"] = os.path.join(_HOME, "hf")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"]


def font(size: int = 32, bold: bool = False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def render_text(lines, size=(900, 300), font_size=36, origin=(30, 30), spacing=1.6):
    """A white picture with black text lines, drawn with a real TrueType font."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    f = font(font_size)
    x, y = origin
    for line in lines:
        draw.text((x, y), line, fill="black", font=f)
        y += int(font_size * spacing)
    return img


def pytest_collection_modifyitems(config, items):
    """Linux-only tests (espeak-ng speech, Xvfb) are skipped with their reason elsewhere."""
    from tests.platform_support import skip_reason

    for item in items:
        for mark in item.iter_markers():
            if reason := skip_reason(mark.name):
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh, empty assistant home for tests that write settings, history or local presets."""
    monkeypatch.setenv("SCREEN_ASSISTANT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
