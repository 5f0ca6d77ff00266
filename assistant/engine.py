"""The one facade. A Request goes in; events come out: Progress, TextChunk, then exactly one
Result or ErrorEvent. The CLI, the GUI and the tests use only this.

Every piece of model output leaves through `_gated_text` / `_gated_lines` / `_gated_image`,
so nothing reaches a user without passing the safety gate.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .config import Settings
from .errors import AssistantError, BadInput, Blocked, Cancelled
from .images import ImageSource, blank_reason, load_image
from .models import ModelStore, Registry
from .safety import SafetyGate, SafetyVerdict
from .vision.base import TextLine, VisionBackend


# ---- events -------------------------------------------------------------------------------
@dataclass
class Progress:
    stage: str
    message: str
    fraction: float | None = None


@dataclass
class TextChunk:
    text: str


@dataclass
class Result:
    intent: str
    text: str
    backend: str = ""
    model: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    safety: SafetyVerdict = field(default_factory=SafetyVerdict)
    lines: list[TextLine] | None = None
    image: Image.Image | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = {
            "intent": self.intent,
            "text": self.text,
            "backend": self.backend,
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "safety": self.safety.as_dict(),
        }
        if self.lines is not None:
            out["lines"] = [line.as_dict() for line in self.lines]
        if self.slots:
            out["slots"] = self.slots
        out.update({k: v for k, v in self.extra.items() if _jsonable(v)})
        return out


@dataclass
class ErrorEvent:
    kind: str
    message: str
    exit_code: int = 1


Event = Progress | TextChunk | Result | ErrorEvent


@dataclass
class Request:
    """intent: describe | ask | read_text | edit | generate | undo | redo | utterance."""

    intent: str
    image: ImageSource | None = None  # None → the session's current image
    text: str = ""  # question, instruction, prompt or utterance
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Session:
    """The current image and what has been said about it (for follow-ups and repeat)."""

    image: Image.Image | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    last_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def set_image(self, image: Image.Image) -> None:
        if image is not self.image:
            self.image = image
            self.history = []


Handler = Callable[["Engine", Request], Iterator[Event]]

_TEXT_QUESTION = re.compile(
    r"\b(read|what does (it|this|that|the \w+) say|what('s| is) written|text|says?|spell|words?)\b", re.I
)


class Engine:
    def __init__(
        self,
        settings: Settings | None = None,
        store: ModelStore | None = None,
        gate: SafetyGate | None = None,
        backends: dict[str, VisionBackend] | None = None,
    ):
        self.settings = settings or Settings.load()
        self.store = store or ModelStore(Registry())
        self.gate = gate or SafetyGate.from_settings(self.settings)
        self.session = Session()
        self._backends: dict[str, VisionBackend] = dict(backends or {})
        self._backend_lock = threading.Lock()
        self._cancel = threading.Event()
        self._router = None
        self._handlers: dict[str, Handler] = {
            "describe": _handle_describe,
            "ask": _handle_ask,
            "read_text": _handle_read,
            "utterance": _handle_utterance,
        }
        from .imaging.handlers import HANDLERS as imaging_handlers
        from .speech.handlers import HANDLERS as speech_handlers

        self._handlers.update(imaging_handlers)
        self._handlers.update(speech_handlers)

    # ---- public API ---------------------------------------------------------------------
    def run(self, request: Request) -> Iterator[Event]:
        """Yield events for `request`; never raises, always ends with Result or ErrorEvent."""
        self._cancel.clear()
        handler = self._handlers.get(request.intent)
        if handler is None:
            yield ErrorEvent("bad_input", f"I don't know how to '{request.intent}'.", 2)
            return
        try:
            for event in handler(self, request):
                if isinstance(event, Result):
                    self.session.last_text = event.text
                yield event
        except AssistantError as exc:
            yield ErrorEvent(exc.kind, exc.message, exc.exit_code)
        except MemoryError:
            yield ErrorEvent(
                "internal", "There was not enough memory to finish. Try a smaller image or a smaller model.", 1
            )
        except Exception as exc:  # last resort: a plain sentence, never a traceback
            yield ErrorEvent(
                "internal", f"Something went wrong inside the assistant ({type(exc).__name__}). Please try again.", 1
            )

    def run_to_result(self, request: Request, on_event: Callable[[Event], None] | None = None) -> Result | ErrorEvent:
        final: Result | ErrorEvent = ErrorEvent("internal", "No result.", 1)
        for event in self.run(request):
            if on_event:
                on_event(event)
            if isinstance(event, (Result, ErrorEvent)):
                final = event
        return final

    @property
    def router(self):
        """The utterance router, built on first use (its embedding model loads lazily too)."""
        if self._router is None:
            from .router import Router

            self._router = Router()
        return self._router

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("Cancelled.")

    # ---- images -------------------------------------------------------------------------
    def prepare_image(self, request: Request, *, allow_blank: bool = False) -> Image.Image:
        if request.image is None:
            if self.session.image is None:
                raise BadInput("There is no picture yet. Capture the screen or open an image first.")
            return self.session.image
        image = load_image(request.image, max_pixels=self.settings.max_pixels)
        self.session.set_image(image)
        return image

    # ---- backends -----------------------------------------------------------------------
    def backend(self, kind: str) -> VisionBackend:
        """kind: embedded | vlm. Loaded once, lazily; ModelUnavailable if the model is missing."""
        with self._backend_lock:
            if kind not in self._backends:
                if kind == "embedded":
                    from .vision.embedded import EmbeddedBackend

                    self._backends[kind] = EmbeddedBackend()
                elif kind == "vlm":
                    preset = self.settings.models.vlm_preset
                    path = self.store.path(preset)
                    from .vision.hub_vlm import HubVLMBackend

                    self._backends[kind] = HubVLMBackend(
                        path, name=preset, max_new_tokens=self.settings.models.max_new_tokens
                    )
                else:
                    raise BadInput(f"Unknown backend '{kind}'. Use auto, embedded or vlm.")
            return self._backends[kind]

    def choose_backend(self, request: Request, text_heavy: bool = False) -> str:
        wanted = request.options.get("backend") or self.settings.models.backend
        if wanted != "auto":
            return wanted
        if text_heavy:
            return "embedded"
        if "vlm" in self._backends or self.store.is_installed(self.settings.models.vlm_preset):
            return "vlm"
        return "embedded"

    # ---- the gate -----------------------------------------------------------------------
    def gated_text(self, chunks: Iterator[str], verdict: SafetyVerdict) -> Iterator[TextChunk]:
        """Pass streamed model text through the gate at word boundaries.

        A word is never split across the gate, so a profane word cut between two chunks is
        still caught. `verdict` is updated in place."""
        pending = ""
        for chunk in chunks:
            self.check_cancelled()
            pending += chunk
            cut = max(pending.rfind(" "), pending.rfind("\n"))
            if cut < 0:
                continue
            ready, pending = pending[: cut + 1], pending[cut + 1 :]
            yield TextChunk(self.gated_str(ready, verdict))
        if pending:
            yield TextChunk(self.gated_str(pending, verdict))

    def gated_str(self, text: str, verdict: SafetyVerdict) -> str:
        """`text` with offensive words masked; `verdict` is updated in place."""
        masked, v = self.gate.filter_text(text)
        verdict.absorb(v)
        return masked

    def gated_lines(self, lines: list[TextLine], verdict: SafetyVerdict) -> list[TextLine]:
        return [TextLine(self.gated_str(line.text, verdict), line.box, line.confidence) for line in lines]

    def gated_image(self, image: Image.Image, verdict: SafetyVerdict) -> Image.Image:
        """Return `image` if the gate allows it; raise Blocked (image withheld) otherwise."""
        v = self.gate.check_image(image)
        verdict.absorb(v)
        if not v.allowed:
            raise Blocked(v.reason)
        return image


# ---- handlers -------------------------------------------------------------------------------
def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))


def _blank_result(intent: str, reason: str, t0: float) -> Result:
    return Result(
        intent=intent,
        text=reason,
        backend="guard",
        model="blank-check",
        timings_ms={"total": _ms(t0)},
        extra={"blank": True},
    )


def _stream_result(
    engine: Engine, intent: str, backend: VisionBackend, chunks: Iterator[str], t0: float, timings: dict[str, float]
) -> Iterator[Event]:
    verdict = SafetyVerdict()
    parts: list[str] = []
    for piece in engine.gated_text(chunks, verdict):
        if not parts:
            timings["first_chunk"] = _ms(t0)
        parts.append(piece.text)
        yield piece
    timings["total"] = _ms(t0)
    yield Result(
        intent=intent,
        text="".join(parts).strip(),
        backend=backend.name,
        model=backend.model,
        timings_ms=timings,
        safety=verdict,
    )


def _handle_describe(engine: Engine, request: Request) -> Iterator[Event]:
    t0 = time.perf_counter()
    image = engine.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if reason := blank_reason(image):
        yield _blank_result("describe", reason, t0)
        return
    kind = engine.choose_backend(request)
    yield Progress("load_model", "Loading the model." if kind == "vlm" else "Looking at the picture.")
    t1 = time.perf_counter()
    backend = engine.backend(kind)
    timings["load_model"] = _ms(t1)
    yield Progress("generate", "Describing the picture.")
    detail = request.options.get("detail") or engine.settings.models.detail
    yield from _stream_result(
        engine, "describe", backend, backend.describe(image, detail=detail, cancel=engine.cancel_event), t0, timings
    )


def _handle_ask(engine: Engine, request: Request) -> Iterator[Event]:
    t0 = time.perf_counter()
    question = request.text.strip()
    if not question:
        raise BadInput("Please say or type a question.")
    image = engine.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if reason := blank_reason(image):
        yield _blank_result("ask", reason, t0)
        return
    kind = engine.choose_backend(request, text_heavy=bool(_TEXT_QUESTION.search(question)))
    t1 = time.perf_counter()
    backend = engine.backend(kind)
    timings["load_model"] = _ms(t1)
    yield Progress("generate", "Thinking about your question.")
    history = list(engine.session.history)
    chunks = backend.ask(image, question, history=history, cancel=engine.cancel_event)
    for event in _stream_result(engine, "ask", backend, chunks, t0, timings):
        if isinstance(event, Result):
            engine.session.history.append((question, event.text))
            event.slots = {"question": question}
        yield event


def _handle_read(engine: Engine, request: Request) -> Iterator[Event]:
    t0 = time.perf_counter()
    image = engine.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if reason := blank_reason(image):
        yield _blank_result("read_text", reason, t0)
        return
    yield Progress("ocr", "Reading the text.")
    backend = engine.backend("embedded")
    t1 = time.perf_counter()
    raw = backend.read_text(image)
    timings["ocr"] = _ms(t1)
    verdict = SafetyVerdict()
    lines = engine.gated_lines(raw, verdict)
    if not lines:
        text = "I found no text in this picture."
    else:
        text = "\n".join(line.text for line in lines)
    yield TextChunk(text)
    timings["total"] = _ms(t0)
    yield Result(
        intent="read_text",
        text=text,
        backend=backend.name,
        model="rapidocr",
        timings_ms=timings,
        safety=verdict,
        lines=lines,
    )


# intents the engine acts on; the rest (capture, save, stop_speaking, ...) belong to the UI
_ENGINE_INTENTS = {
    "describe": "describe",
    "ask": "ask",
    "read_text": "read_text",
    "edit": "edit",
    "generate": "generate",
    "undo": "undo",
    "redo": "redo",
}


def _handle_utterance(engine: Engine, request: Request) -> Iterator[Event]:
    router = engine.router
    has_image = request.image is not None or engine.session.image is not None
    intent = router.route(request.text, has_image=has_image, last_answer_spoken=bool(engine.session.last_text))
    if intent.clarification:
        verdict = SafetyVerdict()
        text = engine.gated_str(intent.clarification, verdict)
        yield Result(
            intent="clarify",
            text=text,
            slots=intent.slots,
            safety=verdict,
            extra={"confidence": intent.confidence, "routed": intent.name},
        )
        return
    target = _ENGINE_INTENTS.get(intent.name)
    if target is None or target not in engine._handlers:
        yield Result(intent=intent.name, text="", slots=intent.slots, extra={"confidence": intent.confidence})
        return
    slot_text = (
        intent.slots.get("question") or intent.slots.get("instruction") or intent.slots.get("prompt") or request.text
    )
    sub = Request(intent=target, image=request.image, text=slot_text, options=request.options)
    yield from engine._handlers[target](engine, sub)
