"""Request handlers for describe / ask / read_text.

Each yields raw drafts (Stage, Draft, Outcome); the engine gates every word before anyone sees
or hears it. A blank or unreadable capture is reported as such and never described.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator

from PIL import Image

from ..context import Context
from ..errors import BadInput, RemoteUnavailable
from ..events import Draft, HandlerEvent, Outcome, Request, Stage
from ..images import blank_reason
from ..remote.fallback import fallback_notice, should_fall_back
from .base import TextLine, VisionBackend

# Questions about the words on screen are the OCR's job even when a picture model is installed.
_TEXT_QUESTION = re.compile(
    r"\b(read|what does (it|this|that|the \w+) say|what('s| is) written|text|says?|spell|words?)\b", re.I
)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _blank(intent: str, image: Image.Image, t0: float) -> Outcome | None:
    reason = blank_reason(image)
    if reason is None:
        return None
    return Outcome(
        intent=intent,
        text=reason,
        backend="guard",
        model="blank-check",
        timings_ms={"total": _ms(t0)},
        extra={"blank": True},
    )


def handle_describe(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    image = ctx.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if blank := _blank("describe", image, t0):
        yield blank
        return
    kind = ctx.choose_backend(request)
    yield Stage("load_model", "Loading the model." if kind == "vlm" else "Looking at the picture.")
    detail = request.option("detail", ctx.settings.models.detail)
    backend = yield from _answer(
        ctx, kind, lambda b: b.describe(image, detail=detail, cancel=ctx.cancel_event), timings, t0
    )
    timings["total"] = _ms(t0)
    yield Outcome("describe", backend=backend.name, model=backend.model, timings_ms=timings)


def handle_ask(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    question = request.text.strip()
    if not question:
        raise BadInput("Please say or type a question.")
    image = ctx.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if blank := _blank("ask", image, t0):
        yield blank
        return
    kind = ctx.choose_backend(request, text_heavy=bool(_TEXT_QUESTION.search(question)))
    history = list(ctx.session.history)
    backend = yield from _answer(
        ctx, kind, lambda b: b.ask(image, question, history=history, cancel=ctx.cancel_event), timings, t0
    )
    timings["total"] = _ms(t0)
    yield Outcome("ask", backend=backend.name, model=backend.model, timings_ms=timings, slots={"question": question})


def handle_read(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    image = ctx.prepare_image(request)
    timings = {"load_image": _ms(t0)}
    if blank := _blank("read_text", image, t0):
        yield blank
        return
    yield Stage("ocr", "Reading the text.")
    backend = ctx.backend("embedded")
    t1 = time.perf_counter()
    lines: list[TextLine] = []
    for line in _lines(backend, image, ctx):
        ctx.check_cancelled()
        if not lines:
            timings["first_line"] = _ms(t0)
        lines.append(line)
        yield Draft(line.text + "\n")  # a whole line at a time: the gate releases it at once
    timings["ocr"] = _ms(t1)
    if not lines:
        yield Draft("I found no text in this picture.")
    timings["total"] = _ms(t0)
    yield Outcome("read_text", backend=backend.name, model="rapidocr", timings_ms=timings, lines=lines)


def _answer(
    ctx: Context, kind: str, stream: Callable[[VisionBackend], Iterator[str]], timings: dict, t0: float
) -> Generator[HandlerEvent, None, VisionBackend]:
    """Stream an answer from the backend `kind`. When a model server fails before saying anything
    and the user allowed it, the local model answers instead, after a sentence saying so. A
    server's answer ends with where it came from ("(from OpenAI)") unless the user turned that off."""
    t1 = time.perf_counter()
    backend = ctx.backend(kind)
    timings["load_model"] = _ms(t1)
    yield Stage("generate", "Thinking about it.")
    answered = False
    try:
        for piece in stream(backend):
            if not answered:
                answered = True
                timings["first_chunk"] = _ms(t0)
            yield Draft(piece)
    except RemoteUnavailable as error:
        if not should_fall_back(error, ctx.settings.remote, answered):
            raise
        yield Draft(fallback_notice(error) + " ")
        backend = ctx.backend("vlm" if ctx.store.is_installed(ctx.settings.models.vlm_preset) else "embedded")
        for piece in stream(backend):
            yield Draft(piece)
        return backend
    marker = getattr(backend, "marker", "")
    if marker and answered:
        yield Draft(" " + marker)
    return backend


def _lines(backend, image: Image.Image, ctx: Context) -> Iterator[TextLine]:
    """Lines in reading order, as soon as each is recognised where the backend can stream."""
    stream = getattr(backend, "read_lines", None)
    if stream is not None:
        return stream(image, cancel=ctx.cancel_event)
    return iter(backend.read_text(image))


HANDLERS = {"describe": handle_describe, "ask": handle_ask, "read_text": handle_read}
