"""Engine handlers for edit / generate / undo / redo, registered into Engine._handlers.

Order of work in every handler, for safety and for the user's time:
  1. check the instruction/prompt with the text filter and the output path (no compute yet);
  2. do the work, streaming Progress;
  3. pass the picture through the engine's safety gate (a blocked picture is never returned,
     shown, saved or described);
  4. only then save it, make it the session's current picture and say what was done.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

from PIL import Image

from ..engine import Progress, Result, TextChunk
from ..errors import BadInput, ModelUnavailable
from ..safety import SafetyVerdict
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


def _say(engine, text: str, verdict: SafetyVerdict) -> str:
    """A sentence we wrote still passes the text gate (it may quote the user's words)."""
    return engine.gated_str(text, verdict)


# ---- edit --------------------------------------------------------------------------------------
def handle_edit(engine, request) -> Iterator:
    t0 = time.perf_counter()
    instruction = request.text.strip()
    if not instruction:
        raise BadInput("Please say what to change, for example: make it brighter.")
    if m := _UNDO_REDO.match(instruction):  # "undo that" said as an edit
        yield from _step_back_or_forward(engine, request, m.group(1).lower())
        return
    out = check_output(request.options.get("out"))
    engine.gate.check_prompt(instruction)
    image = engine.prepare_image(request)
    timings = {"prepare": _ms(t0)}  # prompt check + image load
    parsed = parse(instruction)
    if parsed.problem and not parsed.unrecognised:
        raise BadInput(parsed.problem)
    if not parsed.operations and not parsed.unrecognised:
        raise BadInput("I did not catch what to change. Say, for example: make it brighter, or rotate it left.")
    if parsed.deterministic:
        yield Progress("edit", "Editing the picture.")
        t1 = time.perf_counter()
        edited, text = apply_all(image, parsed.operations, engine.settings.max_pixels, engine.check_cancelled)
        timings["edit"] = _ms(t1)
        backend, model = "pillow", "deterministic"
        extra = {"operations": [op.name for op in parsed.operations]}
    else:
        if not parsed.operations and _QUESTION.search(instruction):
            raise BadInput("That sounds like a question, not an edit. Ask it as a question about the picture instead.")
        edited, text, model, extra = yield from _semantic_edit(engine, request, image, instruction, parsed, timings)
        backend = "diffusers"
    metadata = {"instruction": instruction, "edit": json.dumps(extra), "Software": "screen-assistant"}
    yield from _finish(engine, "edit", image, edited, text, backend, model, timings, t0, out, metadata, extra)


def _semantic_edit(engine, request, image: Image.Image, instruction: str, parsed, timings: dict):
    dev = diffusion.device()
    try:
        name = diffusion.choose_preset(
            engine.store, diffusion.IMAGE_EDIT, request.options.get("preset") or engine.settings.models.edit_preset, dev
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
    steps = diffusion.parse_steps(request.options.get("steps"))
    seed = diffusion.parse_seed(request.options.get("seed"))
    yield Progress("load_model", f"Loading the picture-editing model {name}.")
    t1 = time.perf_counter()
    loaded = diffusion.cached_pipeline(
        engine.session.extra, engine.store, name, diffusion.IMAGE_EDIT, dev, precision=request.options.get("precision")
    )
    timings["load_model"] = _ms(t1)
    recipe = loaded.recipe
    steps = steps or recipe.steps
    longest = max(diffusion.parse_size(request.options.get("size")) or (recipe.size,))
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
    result = yield from diffusion.run_steps(loaded.pipe, kwargs, steps, engine.cancel_event, "edit", "Editing")
    timings["edit"] = _ms(t2)
    if result.size != image.size:
        result = result.resize(image.size, Image.Resampling.LANCZOS)
    text = f"Edited the picture: {instruction.rstrip('.')}."
    return result, text, name, {"preset": name, "steps": steps, "seed": seed, "precision": loaded.precision}


def _finish(
    engine,
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
) -> Iterator:
    verdict = SafetyVerdict()
    edited = engine.gated_image(edited, verdict)
    history = history_for(engine.session.extra, before)
    history.push(edited, text)
    engine.session.set_image(edited)  # new picture: earlier answers about the old one no longer apply
    if out:
        extra["saved_to"] = save_image(edited, out, metadata)
    spoken = _say(engine, text, verdict)
    yield TextChunk(spoken)
    timings["total"] = _ms(t0)
    extra.update(width=edited.width, height=edited.height, can_undo=history.can_undo)
    yield Result(
        intent=intent,
        text=spoken,
        backend=backend,
        model=model,
        timings_ms=timings,
        safety=verdict,
        image=edited,
        extra=extra,
    )


# ---- undo / redo -------------------------------------------------------------------------------
def _history(engine) -> EditHistory | None:
    history = engine.session.extra.get(SESSION_KEY)
    if isinstance(history, EditHistory) and history.follows(engine.session.image):
        return history
    return None


def _step_back_or_forward(engine, request, intent: str) -> Iterator:
    t0 = time.perf_counter()
    verdict = SafetyVerdict()
    history = _history(engine)
    possible = history is not None and (history.can_undo if intent == "undo" else history.can_redo)
    if not possible:
        text = _say(engine, f"There is nothing to {intent}.", verdict)
        yield TextChunk(text)
        yield Result(
            intent=intent,
            text=text,
            backend="history",
            model="",
            timings_ms={"total": _ms(t0)},
            safety=verdict,
            extra={"changed": False},
        )
        return
    out = check_output(request.options.get("out"))
    step = history.undo() if intent == "undo" else history.redo()
    image = engine.gated_image(history.current, verdict)
    engine.session.set_image(image)
    what = step.summary.rstrip(".")
    what = what[:1].lower() + what[1:]
    text = _say(engine, f"{'Undid' if intent == 'undo' else 'Redid'}: {what}.", verdict)
    extra = {
        "changed": True,
        "can_undo": history.can_undo,
        "can_redo": history.can_redo,
        "width": image.width,
        "height": image.height,
    }
    if out:
        extra["saved_to"] = save_image(image, out, {"history": text})
    yield TextChunk(text)
    yield Result(
        intent=intent,
        text=text,
        backend="history",
        model="",
        timings_ms={"total": _ms(t0)},
        safety=verdict,
        image=image,
        extra=extra,
    )


def handle_undo(engine, request) -> Iterator:
    yield from _step_back_or_forward(engine, request, "undo")


def handle_redo(engine, request) -> Iterator:
    yield from _step_back_or_forward(engine, request, "redo")


# ---- generate ----------------------------------------------------------------------------------
def handle_generate(engine, request) -> Iterator:
    t0 = time.perf_counter()
    prompt = request.text.strip()
    if not prompt:
        raise BadInput("Please say what to draw, for example: a lighthouse at sunset.")
    out = check_output(request.options.get("out"))
    engine.gate.check_prompt(prompt)  # refused before any model is loaded
    size = diffusion.parse_size(request.options.get("size"))
    steps = diffusion.parse_steps(request.options.get("steps"))
    seed = diffusion.parse_seed(request.options.get("seed"))
    dev = diffusion.device()
    name = diffusion.choose_preset(
        engine.store,
        diffusion.TEXT_TO_IMAGE,
        request.options.get("preset") or engine.settings.models.generate_preset,
        dev,
    )
    yield Progress("load_model", f"Loading the drawing model {name}.")
    t1 = time.perf_counter()
    loaded = diffusion.cached_pipeline(
        engine.session.extra,
        engine.store,
        name,
        diffusion.TEXT_TO_IMAGE,
        dev,
        request.options.get("autoencoder"),
        request.options.get("precision"),
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
    image = yield from diffusion.run_steps(loaded.pipe, kwargs, steps, engine.cancel_event, "generate", "Drawing")
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
    verdict = SafetyVerdict()
    image = engine.gated_image(image, verdict)
    engine.session.set_image(image)
    engine.session.extra.pop(SESSION_KEY, None)  # a new picture starts a new edit history
    extra = dict(settings)
    if out:
        extra["saved_to"] = save_image(
            image, out, {"prompt": prompt, "settings": json.dumps(settings), "Software": "screen-assistant"}
        )
    lead = _say(engine, f"I drew: {prompt.rstrip('.')}. ", verdict)
    yield TextChunk(lead)
    description = yield from _describe_drawing(engine, request, image, verdict, timings)
    timings["total"] = _ms(t0)
    extra["description"] = description
    yield Result(
        intent="generate",
        text=(lead + description).strip(),
        backend="diffusers",
        model=name,
        timings_ms=timings,
        safety=verdict,
        image=image,
        extra=extra,
    )


def _describe_drawing(engine, request, image: Image.Image, verdict: SafetyVerdict, timings: dict):
    """Say what was actually drawn (the user cannot see it), through the text gate."""
    from ..errors import AssistantError

    yield Progress("describe", "Looking at the drawing.")
    t0 = time.perf_counter()
    parts: list[str] = []
    try:
        backend = engine.backend(engine.choose_backend(request))
        for chunk in engine.gated_text(backend.describe(image, detail="quick", cancel=engine.cancel_event), verdict):
            parts.append(chunk.text)
            yield chunk
    except (AssistantError, ImportError) as exc:
        if getattr(exc, "kind", "") == "cancelled":
            raise
        why = exc.message if isinstance(exc, AssistantError) else "the description model is not installed."
        note = _say(engine, f"I could not describe it: {why}", verdict)
        parts.append(note)
        yield TextChunk(note)
    timings["describe"] = _ms(t0)
    return "".join(parts).strip()


HANDLERS: dict = {"edit": handle_edit, "generate": handle_generate, "undo": handle_undo, "redo": handle_redo}
