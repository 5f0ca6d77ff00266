"""Start the real desktop app for the a11y test, with one test hook: a picture of exactly
SLOW_SIZE pixels makes the offline describe pause after its first sentence until the user
cancels (up to SLOW_SECONDS), so "Cancel during a slow request" can be walked by keyboard
without racing a fast model. Every other picture takes the real embedded path.

    .venv/bin/python -m tests.a11y.app_under_test
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SLOW_SIZE = (1021, 611)
SLOW_SECONDS = 60.0


def install_slow_pictures() -> None:
    from assistant.vision.embedded import EmbeddedBackend

    real_describe = EmbeddedBackend.describe

    def describe(self, image, detail="quick", cancel: threading.Event | None = None):
        if image.size != SLOW_SIZE:
            yield from real_describe(self, image, detail, cancel)
            return
        yield "A slow test picture. "
        (cancel or threading.Event()).wait(SLOW_SECONDS)
        yield "It was not cancelled."

    EmbeddedBackend.describe = describe  # type: ignore[method-assign]


def main() -> int:
    install_slow_pictures()
    from ui.app import main as app_main

    return app_main([sys.argv[0]])


if __name__ == "__main__":
    sys.exit(main())
