"""Engine handlers for edit / generate / undo / redo, registered into Engine._handlers.

Order of work in every handler, for safety and for the user's time:
  1. check the instruction/prompt with the text filter and the output path (no compute yet);
  2. do the work, streaming Progress;
  3. pass the picture through the image gate (a blocked picture is never returned, shown, saved
     or described);
  4. only then save it, make it the session's current picture and say what was done.
Every sentence goes out as a raw Draft/Outcome: the engine gates it (it may quote the user).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Generator, Iterator

from PIL import Image

from ..context import Context
from ..errors import BadInput, ModelUnavailable
from ..events import Draft, HandlerEvent, Outcome, Request, Stage
from . import diffusion
from .history import SESSION_KEY, EditHistory, history_for
from .operations import apply_all
from .parser import parse
from .saving import check_output, save_image

SIMPLE_EDITS = (
    "brightness, contrast, colour, black and white, invert, rotate, flip, crop, zoom, sharpen, "
    "blur, resize and bigger text"
)
_UNDO_REDO = re.compile(r"^\s*(undo|redo)(?: (?:that|it|this|the last (?:edit|change)))?\s*[.!]?\s*$", re.I)
_QUESTION = re.compile(r"^\s*(what|who|where|when|why|how|which|is|are|does|do|can you see|tell me)\b|\?\s*$", re.I)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


# ---- edit --------------------------------------------------------------------------------------
def handle_edit(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    instruction = request.text.strip()
    if not instruction:
        raise BadInput("Please say what to change, for example: make it brighter.")
    if m := _UNDO_REDO.match(instruction):  # "undo that" said as an edit
        yield from _step_back_or_forward(ctx, request, m.group(1).lower())
        return
    out = check_output(request.option("out"))
    ctx.gate.check_prompt(instruction)
    image = ctx.prepare_image(request)
    timings = {"prepare": _ms(t0)}  # prompt check + image load
    parsed = parse(instruction)
    if parsed.problem and not parsed.unrecognised:
        raise BadInput(parsed.problem)
    if not parsed.operations and not parsed.unrecognised:
        raise BadInput("I did not catch what to change. Say, for example: make it brighter, or rotate it left.")
    if parsed.deterministic:
        yield Stage("edit", "Editing the picture.")
        t1 = time.perf_counter()
        edited, text = apply_all(image, parsed.operations, ctx.settings.max_pixels, ctx.check_cancelled)
        timings["edit"] = _ms(t1)
        backend, model = "pillow", "deterministic"
        extra = {"operations": [op.name for op in parsed.operations]}
    else:
        if not parsed.operations and _QUESTION.search(instruction):
            raise BadInput("That sounds like a question, not an edit. Ask it as a question about the picture instead.")
        edited, text, model, extra = yield from _semantic_edit(ctx, request, image, instruction, parsed, timings)
        backend = "diffusers"
    metadata = {"instruction": instruction, "edit": json.dumps(extra), "Software": "screen-assistant"}
    yield from _finish(ctx, "edit", image, edited, text, backend, model, timings, t0, out, metadata, extra)


def _semantic_edit(ctx: Context, request: Request, image: Image.Image, instruction: str, parsed, timings: dict):
    diffusion.require_diffusers()
    dev = diffusion.device()
    try:
        name = diffusion.choose_preset(
            ctx.store, diffusion.IMAGE_EDIT, request.option("preset") or ctx.settings.models.edit_preset, dev
        )
    except ModelUnavailable as exc:
        lead = (
            f"'{instruction}' is not one of the simple edits ({SIMPLE_EDITS}). "
            if not parsed.operations
            else f"Part of '{instruction}' ('{'; '.join(parsed.unrecognised)}') is not one of the simple edits. "
        )
        raise ModelUnavailable(
            lead + "Changes like that need a picture-editing model. " + exc.message, preset=exc.preset
        ) from None
    steps = diffusion.parse_steps(request.option("steps"))
    seed = diffusion.parse_seed(request.option("seed"))
    yield Stage("load_model", f"Loading the picture-editing model {name}.")
    t1 = time.perf_counter()
    loaded = diffusion.cached_pipeline(
        ctx.session.extra, ctx.store, name, diffusion.IMAGE_EDIT, dev, precision=request.option("precision")
    )
    timings["load_model"] = _ms(t1)
    recipe = loaded.recipe
    steps = steps or recipe.steps
    longest = max(diffusion.parse_size(request.option("size")) or (recipe.size,))
    source = diffusion.fit_for_edit(image, longest, recipe.multiple)
    kwargs = {
        "image": source,
        "prompt": instruction,
        "guidance_scale": recipe.guidance,
        "generator": diffusion.make_generator(seed),
        **recipe.extra,
    }
    if type(loaded.pipe).__name__ == "FluxKontextPipeline":
        kwargs.update(height=source.height, width=source.width, max_area=source.width * source.height)
    t2 = time.perf_counter()
    result = yield from diffusion.run_steps(loaded.pipe, kwargs, steps, ctx.cancel_event, "edit", "Editing")
    timings["edit"] = _ms(t2)
    if result.size != image.size:
        result = result.resize(image.size, Image.Resampling.LANCZOS)
    text = f"Edited the picture: {instruction.rstrip('.')}."
    return result, text, name, {"preset": name, "steps": steps, "seed": seed, "precision": loaded.precision}


def _finish(
    ctx: Context,
    intent: str,
    before: Image.Image,
    edited: Image.Image,
    text: str,
    backend: str,
    model: str,
    timings: dict,
    t0: float,
    out,
    metadata: dict,
    extra: dict,
) -> Iterator[HandlerEvent]:
    edited = ctx.check_picture(edited)
    history = history_for(ctx.session.extra, before)
    history.push(edited, text)
    ctx.session.set_image(edited)  # new picture: earlier answers about the old one no longer apply
    if out:
        extra["saved_to"] = save_image(edited, out, metadata)
    yield Draft(text)
    timings["total"] = _ms(t0)
    extra.update(width=edited.width, height=edited.height, can_undo=history.can_undo)
    yield Outcome(intent, backend=backend, model=model, timings_ms=timings, image=edited, extra=extra)


# ---- undo / redo -------------------------------------------------------------------------------
def _history(ctx: Context) -> EditHistory | None:
    history = ctx.session.extra.get(SESSION_KEY)
    if isinstance(history, EditHistory) and history.follows(ctx.session.image):
        return history
    return None


def _step_back_or_forward(ctx: Context, request: Request, intent: str) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    history = _history(ctx)
    if history is None or not (history.can_undo if intent == "undo" else history.can_redo):
        yield Draft(f"There is nothing to {intent}.")
        yield Outcome(intent, backend="history", timings_ms={"total": _ms(t0)}, extra={"changed": False})
        return
    out = check_output(request.option("out"))
    step = history.undo() if intent == "undo" else history.redo()
    image = ctx.check_picture(history.current)
    ctx.session.set_image(image)
    what = step.summary.rstrip(".")
    what = what[:1].lower() + what[1:]
    text = f"{'Undid' if intent == 'undo' else 'Redid'}: {what}."
    extra: dict[str, object] = {
        "changed": True,
        "can_undo": history.can_undo,
        "can_redo": history.can_redo,
        "width": image.width,
        "height": image.height,
    }
    if out:
        extra["saved_to"] = save_image(image, out, {"history": text})
    yield Draft(text)
    yield Outcome(intent, backend="history", timings_ms={"total": _ms(t0)}, image=image, extra=extra)


def handle_undo(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    yield from _step_back_or_forward(ctx, request, "undo")


def handle_redo(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    yield from _step_back_or_forward(ctx, request, "redo")


# ---- generate ----------------------------------------------------------------------------------
def handle_generate(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    t0 = time.perf_counter()
    prompt = request.text.strip()
    if not prompt:
        raise BadInput("Please say what to draw, for example: a lighthouse at sunset.")
    out = check_output(request.option("out"))
    ctx.gate.check_prompt(prompt)  # refused before any model is loaded
    diffusion.require_diffusers()
    size = diffusion.parse_size(request.option("size"))
    steps = diffusion.parse_steps(request.option("steps"))
    seed = diffusion.parse_seed(request.option("seed"))
    dev = diffusion.device()
    name = diffusion.choose_preset(
        ctx.store,
        diffusion.TEXT_TO_IMAGE,
        request.option("preset") or ctx.settings.models.generate_preset,
        dev,
    )
    yield Stage("load_model", f"Loading the drawing model {name}.")
    t1 = time.perf_counter()
    loaded = diffusion.cached_pipeline(
        ctx.session.extra,
        ctx.store,
        name,
        diffusion.TEXT_TO_IMAGE,
        dev,
        request.option("autoencoder"),
        request.option("precision"),
    )
    timings = {"load_model": _ms(t1)}
    recipe = loaded.recipe
    steps = steps or recipe.steps
    width, height = size or (recipe.size, recipe.size)
    kwargs = {
        "prompt": prompt,
        "guidance_scale": recipe.guidance,
        "width": width,
        "height": height,
        "generator": diffusion.make_generator(seed),
        **recipe.extra,
    }
    t2 = time.perf_counter()
    image = yield from diffusion.run_steps(loaded.pipe, kwargs, steps, ctx.cancel_event, "generate", "Drawing")
    timings["generate"] = _ms(t2)
    settings = {
        "preset": name,
        "autoencoder": loaded.autoencoder or "full",
        "steps": steps,
        "seed": seed,
        "size": f"{width}x{height}",
        "guidance_scale": recipe.guidance,
        "precision": loaded.precision,
    }
    image = ctx.check_picture(image)
    ctx.session.set_image(image)
    ctx.session.extra.pop(SESSION_KEY, None)  # a new picture starts a new edit history
    extra: dict[str, object] = dict(settings)
    if out:
        extra["saved_to"] = save_image(
            image, out, {"prompt": prompt, "settings": json.dumps(settings), "Software": "screen-assistant"}
        )
    yield Draft(f"I drew: {prompt.rstrip('.')}. ")
    description = yield from _describe_drawing(ctx, request, image, timings)
    timings["total"] = _ms(t0)
    yield Outcome(
        "generate",
        backend="diffusers",
        model=name,
        timings_ms=timings,
        image=image,
        extra=extra,
        texts={"description": description},
    )


def _describe_drawing(
    ctx: Context, request: Request, image: Image.Image, timings: dict
) -> Generator[HandlerEvent, None, str]:
    """Say what was actually drawn (the user cannot see it); returns the raw description."""
    from ..errors import AssistantError

    yield Stage("describe", "Looking at the drawing.")
    t0 = time.perf_counter()
    parts: list[str] = []
    try:
        backend = ctx.backend(ctx.choose_backend(request))
        for piece in backend.describe(image, detail="quick", cancel=ctx.cancel_event):
            parts.append(piece)
            yield Draft(piece)
    except (AssistantError, ImportError) as exc:
        if getattr(exc, "kind", "") == "cancelled":
            raise
        why = exc.message if isinstance(exc, AssistantError) else "the description model is not installed."
        parts.append(f"I could not describe it: {why}")
        yield Draft(parts[-1])
    timings["describe"] = _ms(t0)
    return "".join(parts).strip()


HANDLERS = {"edit": handle_edit, "generate": handle_generate, "undo": handle_undo, "redo": handle_redo}
