"""The one facade. A Request goes in; events come out: Progress, TextChunk, then exactly one
Result or ErrorEvent. The controller (GUI), the CLI and the tests use only this.

The safety gate by construction: handlers (vision/handlers.py, imaging/handlers.py,
speech/handlers.py, `_handle_utterance` below) yield raw drafts (Stage, Draft, Outcome). Only
`_Publisher` turns them into user-facing events, and every text it puts in one has passed
`SafetyGate.filter_text` (SafeText). Pictures a user will see pass the image gate, and a new
input picture gets the image verdict too (warn / withhold / off).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from .config import Settings
from .errors import AssistantError, BadInput, Blocked, Cancelled
from .events import (
    Draft,
    ErrorEvent,
    Event,
    HandlerEvent,
    Outcome,
    PictureVerdict,
    Progress,
    Request,
    Result,
    SafeLine,
    SafeText,
    SafetyVerdict,
    Stage,
    TextChunk,
    options_for,
)
from .images import load_image
from .logs import get_logger
from .models import ModelStore, Registry
from .safety import SafetyGate, join, trusted
from .session import Session
from .vision.base import VisionBackend

if TYPE_CHECKING:
    from .router import Router

log = get_logger(__name__)

Handler = Callable[["Engine", Request], Iterator[HandlerEvent]]

PICTURE_WITHHELD = "The picture was withheld because it may contain explicit content."
# How a description is kept in the follow-up history (the picture model sees it as a turn).
DESCRIBE_TURN = "Describe this picture."


@dataclass
class RoutedIntent:
    """What an utterance means, with every echoed word gated (route, listen, dictation)."""

    name: str
    slots: dict[str, SafeText]
    confidence: float
    clarification: SafeText | None
    safety: SafetyVerdict = field(default_factory=SafetyVerdict)

    def as_dict(self) -> dict:
        out = {
            "intent": self.name,
            "slots": {k: str(v) for k, v in self.slots.items()},
            "confidence": round(self.confidence, 3),
        }
        if self.clarification:
            out["clarification"] = str(self.clarification)
        return out


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
        self._backend_lock = threading.RLock()  # building the picture model builds the OCR reader it uses
        self._cancel = threading.Event()
        self._router: Router | None = None
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picture-check")
        self._publisher: _Publisher | None = None
        self._handlers: dict[str, Handler] = _handler_table()

    # ---- public API ---------------------------------------------------------------------
    def run(self, request: Request) -> Iterator[Event]:
        """Yield events for `request`; never raises, always ends with Result or ErrorEvent."""
        self._cancel.clear()
        publisher = self._publisher = _Publisher(self)
        try:
            handler = self._handlers.get(request.intent)
            if handler is None:
                raise BadInput(f"I don't know how to '{request.intent}'.")
            for draft in handler(self, request):
                yield from publisher.publish(draft)
        except AssistantError as exc:
            yield publisher.error(exc.kind, exc.message, exc.exit_code, getattr(exc, "reason", ""))
        except MemoryError:
            yield publisher.error(
                "internal", "There was not enough memory to finish. Try a smaller image or a smaller model.", 1
            )
        except Exception:  # last resort: a plain sentence, never a traceback
            log.exception("request %s failed", request.intent)
            yield publisher.error("internal", "Something went wrong inside the assistant. Please try again.", 1)
        finally:
            self._publisher = None

    def run_to_result(self, request: Request, on_event: Callable[[Event], None] | None = None) -> Result | ErrorEvent:
        final: Result | ErrorEvent = ErrorEvent("internal", trusted("No result."), 1)
        for event in self.run(request):
            if on_event:
                on_event(event)
            if isinstance(event, (Result, ErrorEvent)):
                final = event
        return final

    def route(self, text: str, has_image: bool = False, last_answer_spoken: bool = False) -> RoutedIntent:
        """What `text` would do, with its slots and clarification gated (the CLI's route/listen)."""
        intent = self.router.route(text, has_image=has_image, last_answer_spoken=last_answer_spoken)
        verdict = SafetyVerdict()
        slots = {k: self.gated(str(v), verdict) for k, v in intent.slots.items()}
        clarification = self.gated(intent.clarification, verdict) if intent.clarification else None
        return RoutedIntent(intent.name, slots, intent.confidence, clarification, verdict)

    def gated(self, text: str, verdict: SafetyVerdict | None = None) -> SafeText:
        """`text` through the text gate (masked words replaced); folds the verdict into `verdict`."""
        safe, found = self.gate.filter_text(text)
        if verdict is not None:
            verdict.absorb(found)
        return safe

    @property
    def router(self) -> Router:
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

    def configure(self, settings: Settings) -> None:
        """Apply new settings: backends whose model settings changed are dropped (the next request
        loads the new model), the gate takes the new thresholds."""
        old, self.settings = self.settings, settings
        if old.remote != settings.remote:
            with self._backend_lock:
                for kind in [k for k in self._backends if k.startswith("remote:")]:
                    self._backends.pop(kind)
        if (old.models.vlm_preset, old.models.max_new_tokens) != (
            settings.models.vlm_preset,
            settings.models.max_new_tokens,
        ):
            with self._backend_lock:
                self._backends.pop("vlm", None)
        if (old.safety.text_threshold, old.safety.image_threshold) != (
            settings.safety.text_threshold,
            settings.safety.image_threshold,
        ):
            self.gate = SafetyGate.from_settings(settings)

    def close(self) -> None:
        self._checker.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> None:
        """Load what the first description needs, so the first key press does not wait for it:
        the offline backend's OCR sessions, then the input-picture check's classifier (about
        0.1 s and 85 MB; it runs alongside every description and holds back its first word).
        Call it off the GUI thread (the app does, once its window shows). Loads only: nothing is
        said, shown or remembered."""
        warm = getattr(self.backend("embedded"), "warm_up", None)
        if warm is not None:
            warm()
        if self.settings.safety.picture_check != "off":
            self.gate.warm_up()

    # ---- pictures -----------------------------------------------------------------------
    def prepare_image(self, request: Request) -> Image.Image:
        if request.image is None:
            if self.session.image is None:
                raise BadInput("There is no picture yet. Capture the screen or open an image first.")
            return self.session.image
        s = self.settings
        # Descriptions work on a reduced copy of a huge picture; an edit keeps every pixel.
        decode = {"decode_pixels": s.max_pixels} if request.intent == "edit" else {}
        image = load_image(request.image, max_pixels=s.max_pixels, max_file_mb=s.max_file_mb, **decode)
        self.session.set_image(image)
        if self.settings.safety.picture_check != "off":
            # Alongside the request, not before it: the answer waits only at its first word.
            self.session.picture_check = self._checker.submit(self.gate.check_image, image)
        return image

    def check_picture(self, image: Image.Image) -> Image.Image:
        """`image` if the gate allows it to be shown; raise Blocked (withheld) otherwise."""
        verdict = self.gate.check_image(image)
        if self._publisher is not None:
            self._publisher.verdict.absorb(verdict)
            self._publisher.checked.add(id(image))
        if not verdict.allowed:
            raise Blocked(verdict.reason)
        return image

    # ---- backends -----------------------------------------------------------------------
    def backend(self, kind: str) -> VisionBackend:
        """kind: embedded | vlm | remote:PROVIDER:MODEL (from choose_backend). Loaded once,
        lazily; ModelUnavailable if the model is missing."""
        with self._backend_lock:
            if kind not in self._backends:
                self._backends[kind] = self._build_backend(kind)
            return self._backends[kind]

    def _build_backend(self, kind: str) -> VisionBackend:
        if kind == "embedded":
            from .vision.embedded import EmbeddedBackend

            # Questions by meaning use the router's sentence model: one copy in memory, not two.
            return EmbeddedBackend(settings=self.settings.embedded, make_embedder=lambda: self.router.load()[1])
        if kind == "vlm":
            from .vision.hub_vlm import HubVLMBackend

            preset = self.settings.models.vlm_preset
            # The OCR text grounds the picture model's answer, and its quotations are checked against it.
            reader = getattr(self.backend("embedded"), "read_lines", None)
            return HubVLMBackend(
                self.store.path(preset), name=preset, max_new_tokens=self.settings.models.max_new_tokens, ocr=reader
            )
        if kind.startswith("remote:"):
            from .vision.remote import remote_backend

            _, provider, model = kind.split(":", 2)
            return remote_backend(self.settings.remote, provider=provider or None, model=model or None)
        raise BadInput(f"Unknown backend '{kind}'. Use auto, embedded, vlm or remote.")

    def choose_backend(self, request: Request, text_heavy: bool = False) -> str:
        """The backend kind for a request. A model server is used only when the user chose it
        (never by auto): local stays the default."""
        wanted = request.option("backend") or self.settings.models.backend
        if wanted == "remote":
            provider = request.option("provider") or self.settings.remote.provider
            return f"remote:{provider}:{request.option('model') or self.settings.remote.model}"
        if wanted != "auto":
            return wanted
        if text_heavy:
            return "embedded"
        if "vlm" in self._backends or self.store.is_installed(self.settings.models.vlm_preset):
            return "vlm"
        return "embedded"

    # ---- bookkeeping after a result -----------------------------------------------------------
    def _remember(self, result: Result) -> None:
        if not result.text:
            return
        self.session.last_text = result.text
        if result.intent == "describe":
            self.session.history.append((DESCRIBE_TURN, str(result.text)))
        elif result.intent == "ask" and "question" in result.slots:
            self.session.history.append((str(result.slots["question"]), str(result.text)))


class _Publisher:
    """Turns one request's raw drafts into gated events. The only place events are made."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.gate = engine.gate
        self.verdict = SafetyVerdict()
        self.pending = ""
        self.parts: list[SafeText] = []
        self.picture_warning: SafeText | None = None
        self.picture_done = False
        self.checked: set[int] = set()  # ids of pictures that passed check_picture in this request

    def publish(self, draft: HandlerEvent) -> Iterator[Event]:
        if isinstance(draft, Stage):
            yield Progress(draft.stage, self.engine.gated(draft.message, self.verdict), draft.fraction)
        elif isinstance(draft, Draft):
            self.engine.check_cancelled()
            self.pending += draft.text
            cut = self.gate.release_point(self.pending)
            if cut > 0:
                ready, self.pending = self.pending[:cut], self.pending[cut:]
                yield from self._chunk(ready)
        else:
            yield from self._finish(draft)

    def _chunk(self, text: str) -> Iterator[Event]:
        yield from self._picture_first()
        piece = self.engine.gated(text, self.verdict)
        self.parts.append(piece)
        yield TextChunk(piece)

    def _picture_first(self) -> Iterator[Event]:
        """Before the first word about a new picture: its own verdict (wait for the check)."""
        if self.picture_done:
            return
        self.picture_done = True
        session = self.engine.session
        check = session.picture_check
        if check is None:
            return
        if isinstance(check, Future):
            check = session.picture_check = check.result()
        flagged = not check.allowed
        self.verdict.absorb(SafetyVerdict(image_score=check.image_score))
        if flagged and self.engine.settings.safety.picture_check == "withhold":
            raise Blocked(PICTURE_WITHHELD)
        yield PictureVerdict(flagged=flagged)
        if flagged and not session.picture_warned:
            session.picture_warned = True
            self.picture_warning = trusted("Warning: this picture may contain explicit content. ")
            self.parts.append(self.picture_warning)
            yield TextChunk(self.picture_warning)

    def _finish(self, outcome: Outcome) -> Iterator[Event]:
        if self.pending:
            ready, self.pending = self.pending, ""
            yield from self._chunk(ready)
        yield from self._picture_first()
        gated = self.engine.gated
        if outcome.text is not None:
            text = gated(outcome.text, self.verdict)
            if self.picture_warning:
                text = join([self.picture_warning, text])
        else:
            text = join(self.parts, strip=True)
        image = outcome.image
        if image is not None and id(image) not in self.checked:
            image = self.engine.check_picture(image)
        extra = dict(outcome.extra)
        extra.update({name: gated(value, self.verdict) for name, value in outcome.texts.items()})
        result = Result(
            intent=outcome.intent,
            text=text,
            backend=outcome.backend,
            model=outcome.model,
            timings_ms=outcome.timings_ms,
            safety=self.verdict,
            lines=None if outcome.lines is None else [self._line(line) for line in outcome.lines],
            image=image,
            slots={k: gated(v, self.verdict) for k, v in outcome.slots.items()},
            extra=extra,
            picture_warning=self.picture_warning,
        )
        self.engine._remember(result)
        yield result

    def _line(self, line) -> SafeLine:
        return SafeLine(self.engine.gated(line.text, self.verdict), tuple(line.box), float(line.confidence))

    def error(self, kind: str, message: str, exit_code: int, reason: str = "") -> ErrorEvent:
        return ErrorEvent(kind, self.engine.gated(message, self.verdict), exit_code, reason)


# ---- routing: an utterance becomes one of the other requests, or a command for the UI ----------
def _handle_utterance(engine: Engine, request: Request) -> Iterator[HandlerEvent]:
    has_image = request.image is not None or engine.session.image is not None
    spoken = bool(request.option("last_answer_spoken")) or bool(engine.session.last_text)
    intent = engine.router.route(request.text, has_image=has_image, last_answer_spoken=spoken)
    if intent.clarification:
        yield Outcome(
            "clarify",
            text=intent.clarification,
            slots={k: str(v) for k, v in intent.slots.items()},
            extra={"confidence": intent.confidence, "routed": intent.name},
        )
        return
    handler = engine._handlers.get(intent.name)
    if handler is None or intent.name == "utterance":
        # A command the user interface carries out (capture, repeat, save ...): say which.
        yield Outcome(
            intent.name,
            text="",
            slots={k: str(v) for k, v in intent.slots.items()},
            extra={"confidence": intent.confidence},
        )
        return
    slot_text = (
        intent.slots.get("question") or intent.slots.get("instruction") or intent.slots.get("prompt") or request.text
    )
    sub = Request(
        intent.name,
        image=request.image,
        text=str(slot_text),
        options=options_for(intent.name, backend=request.option("backend")),
    )
    yield from handler(engine, sub)


def _handler_table() -> dict[str, Handler]:
    from .imaging.handlers import HANDLERS as imaging
    from .speech.handlers import HANDLERS as speech
    from .vision.handlers import HANDLERS as vision

    table: dict[str, Handler] = {"utterance": _handle_utterance}
    for group in (vision, imaging, speech):
        table.update(group)
    return table
