"""What goes into the engine and what comes out of it.

In: a Request (intent + picture + text) with typed options for that intent.
Out, to users: Progress, TextChunk, then exactly one Result or ErrorEvent. Every piece of text
in those events is SafeText: it passed the safety gate. Handlers and backends never build them;
they yield the raw drafts below (Stage, Draft, Outcome) and the engine gates each one.

SafeText is a distinct type so mypy rejects plain text where gated text is required: the GUI,
the CLI printer and every speech output accept only SafeText. Only assistant.safety makes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from PIL import Image

ImageSource = str | os.PathLike | bytes | bytearray | Image.Image


class SafeText(str):
    """Text that passed the safety gate. Never construct one outside assistant.safety: use
    `SafetyGate.filter_text` (anything the user or a model wrote) or `safety.trusted` (a constant
    sentence the app itself wrote). Concatenating SafeText with str gives a plain str again, which
    must pass the gate once more; join SafeText pieces with `safety.join`."""

    __slots__ = ()


@dataclass
class SafetyVerdict:
    """What the gate decided about one output (text, image or both)."""

    allowed: bool = True
    masked_words: int = 0
    text_score: float = 0.0
    image_score: float | None = None
    reason: str = ""

    def absorb(self, other: SafetyVerdict) -> None:
        """Fold `other` into this verdict in place (a request gathers one verdict over many
        pieces of output)."""
        image_scores = [s for s in (self.image_score, other.image_score) if s is not None]
        self.allowed = self.allowed and other.allowed
        self.masked_words += other.masked_words
        self.text_score = max(self.text_score, other.text_score)
        self.image_score = max(image_scores) if image_scores else None
        self.reason = "; ".join(r for r in (self.reason, other.reason) if r)

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "masked_words": self.masked_words,
            "text_score": round(self.text_score, 4),
            "image_score": None if self.image_score is None else round(self.image_score, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SafeLine:
    """One gated line of text found in a picture; box is (left, top, right, bottom) in pixels."""

    text: SafeText
    box: tuple[int, int, int, int]
    confidence: float = 1.0

    def as_dict(self) -> dict:
        return {"text": str(self.text), "box": list(self.box), "confidence": round(float(self.confidence), 4)}


# ---- options, one dataclass per intent -----------------------------------------------------------
@dataclass(frozen=True)
class DescribeOptions:
    detail: str | None = None  # quick | full; None: the settings' choice
    backend: str | None = None  # auto | embedded | vlm | remote; None: the settings' choice
    provider: str | None = None  # remote: a provider preset (ollama, vllm, openai ...)
    model: str | None = None  # remote: the server's model name


@dataclass(frozen=True)
class AskOptions:
    backend: str | None = None
    provider: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class ReadOptions:
    pass


@dataclass(frozen=True)
class EditOptions:
    out: str | None = None  # where to save the result
    preset: str | None = None  # image-edit preset for edits that need a model
    steps: int | None = None
    seed: int | None = None
    size: str | None = None  # "WxH" for model edits
    precision: str | None = None  # auto | float32 | bfloat16


@dataclass(frozen=True)
class StepOptions:
    """undo / redo"""

    out: str | None = None


@dataclass(frozen=True)
class GenerateOptions:
    out: str | None = None
    preset: str | None = None
    steps: int | None = None
    seed: int | None = None
    size: str | None = None
    precision: str | None = None
    autoencoder: str | None = None  # a tiny autoencoder preset for fast decoding
    backend: str | None = None  # which vision backend describes the drawing


@dataclass(frozen=True)
class TranscribeOptions:
    audio: Any = None  # a path, bytes, or 16 kHz mono float samples
    stt_preset: str | None = None


@dataclass(frozen=True)
class UtteranceOptions:
    """A typed or spoken sentence: the router decides what it means."""

    backend: str | None = None
    last_answer_spoken: bool = False


Options = (
    DescribeOptions
    | AskOptions
    | ReadOptions
    | EditOptions
    | StepOptions
    | GenerateOptions
    | TranscribeOptions
    | UtteranceOptions
)

OPTIONS_FOR_INTENT: dict[str, type] = {
    "describe": DescribeOptions,
    "ask": AskOptions,
    "read_text": ReadOptions,
    "edit": EditOptions,
    "undo": StepOptions,
    "redo": StepOptions,
    "generate": GenerateOptions,
    "transcribe": TranscribeOptions,
    "utterance": UtteranceOptions,
}


@dataclass
class Request:
    """intent: one of OPTIONS_FOR_INTENT. image None means the session's current picture.
    text: the question, instruction, prompt or utterance."""

    intent: str
    image: ImageSource | None = None
    text: str = ""
    options: Options | None = None

    def __post_init__(self) -> None:
        kind = OPTIONS_FOR_INTENT.get(self.intent)
        if self.options is None and kind is not None:
            self.options = kind()
        elif kind is not None and not isinstance(self.options, kind):
            raise TypeError(f"{self.intent} takes {kind.__name__}, not {type(self.options).__name__}")

    def option(self, name: str, default: Any = None) -> Any:
        """One option by name (None when this intent has no such option)."""
        value = getattr(self.options, name, None)
        return default if value is None else value


def options_for(intent: str, **values: Any) -> Options:
    """Options for `intent` from keyword values, ignoring names the intent does not take and
    None values (the CLI builds them from its arguments)."""
    kind = OPTIONS_FOR_INTENT[intent]
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in values.items() if k in names and v is not None})


# ---- raw drafts: what handlers yield (never shown to users as they are) -------------------------
@dataclass(frozen=True)
class Stage:
    """A step of a long request (raw form of Progress)."""

    stage: str
    message: str
    fraction: float | None = None


@dataclass(frozen=True)
class Draft:
    """A piece of streamed text straight from a model or handler (raw form of TextChunk)."""

    text: str


@dataclass
class Outcome:
    """The end of a request as a handler sees it (raw form of Result). `text` None means: the
    text streamed as Drafts (the engine already gated it)."""

    intent: str
    text: str | None = None
    backend: str = ""
    model: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    lines: list | None = None  # vision.base.TextLine, raw
    image: Image.Image | None = None  # a picture the user will see: the engine gates it
    slots: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # numbers, paths, flags: never model or user text
    texts: dict[str, str] = field(default_factory=dict)  # named raw texts: gated into Result.extra


HandlerEvent = Stage | Draft | Outcome


# ---- gated events: what users see and hear --------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    stage: str
    message: SafeText
    fraction: float | None = None


@dataclass(frozen=True)
class TextChunk:
    text: SafeText


@dataclass(frozen=True)
class PictureVerdict:
    """The input picture's own safety verdict, before the first word about it. When flagged,
    the GUI keeps the preview blurred until the user chooses to show it."""

    flagged: bool


@dataclass
class Result:
    intent: str
    text: SafeText
    backend: str = ""
    model: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    safety: SafetyVerdict = field(default_factory=SafetyVerdict)
    lines: list[SafeLine] | None = None
    image: Image.Image | None = None
    slots: dict[str, SafeText] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The input picture's own verdict: a plain sentence when it looked explicit (warn mode); the
    # GUI keeps its preview blurred until the user chooses to show it.
    picture_warning: SafeText | None = None

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "intent": self.intent,
            "text": str(self.text),
            "backend": self.backend,
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "safety": self.safety.as_dict(),
        }
        if self.lines is not None:
            out["lines"] = [line.as_dict() for line in self.lines]
        if self.slots:
            out["slots"] = {k: str(v) for k, v in self.slots.items()}
        if self.picture_warning:
            out["picture_warning"] = str(self.picture_warning)
        out.update({k: v for k, v in self.extra.items() if _jsonable(v)})
        return out


@dataclass(frozen=True)
class ErrorEvent:
    kind: str  # bad_input | unavailable | blocked | cancelled | internal
    message: SafeText
    exit_code: int = 1
    reason: str = ""  # finer cause where a caller acts on it (remote: "consent", "no_key" ...)


Event = Progress | TextChunk | PictureVerdict | Result | ErrorEvent


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))
