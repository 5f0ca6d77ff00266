"""The one interface every vision backend implements.

Backends return RAW model output. They never speak, show or return anything to the user
directly: the engine passes every chunk and line through the safety gate first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image


@dataclass
class TextLine:
    """One line of text found in an image; box is (left, top, right, bottom) in pixels."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float = 1.0

    def as_dict(self) -> dict:
        return {"text": self.text, "box": list(self.box), "confidence": round(float(self.confidence), 4)}


def conversation(history: list[tuple[str, str]] | None, question: str) -> list[str]:
    """The turns a chat model sees: earlier (question, answer) pairs, oldest first, then the new
    question (user, assistant, ..., user)."""
    turns: list[str] = []
    for earlier_question, earlier_answer in history or []:
        turns += [earlier_question, earlier_answer]
    turns.append(question.strip())
    return turns


@runtime_checkable
class VisionBackend(Protocol):
    name: str  # "vlm" or "embedded"
    model: str  # preset or model name reported to the user

    def describe(
        self, image: Image.Image, detail: str = "quick", cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Stream a description: a short first sentence, then details."""

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream an answer to `question` about `image`; history is earlier (question, answer)."""


@runtime_checkable
class TextReader(Protocol):
    """A backend that reads text (OCR): the embedded backend."""

    def read_text(self, image: Image.Image) -> list[TextLine]:
        """Lines of text in reading order (columns, top to bottom, left to right)."""
