"""What the engine remembers between requests: the current picture and what was said about it."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .events import SafetyVerdict


@dataclass
class Session:
    """The current image and what has been said about it (for follow-ups and repeat)."""

    image: Image.Image | None = None
    # (question, answer) pairs about `image`; a description is kept as its own turn so a
    # follow-up knows what was already said.
    history: list[tuple[str, str]] = field(default_factory=list)
    last_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # per-session caches (edit history, pipelines)
    # The input picture's safety check: running (Future) or done (verdict), and whether the
    # user has heard its warning already.
    picture_check: Future | SafetyVerdict | None = None
    picture_warned: bool = False

    def set_image(self, image: Image.Image) -> None:
        if image is not self.image:
            self.image = image
            self.history = []
            self.picture_check = None
            self.picture_warned = False
