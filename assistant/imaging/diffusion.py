"""Diffusion pipelines for semantic edits and illustrations, loaded only from the model store.

Presets: text-to-image sd-turbo (+ the taesd tiny autoencoder) on CPU, flux-schnell / flux-dev
on a GPU; image-edit instruct-pix2pix on CPU, flux-kontext-dev on a GPU. Pipelines load from
the store's local directory with local_files_only and safetensors only; nothing here
downloads. Running happens in a worker thread so the caller can stream step progress and
cancel between steps.
"""

from __future__ import annotations

import json
import queue
import random
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..errors import AssistantError, BadInput, Cancelled, ModelUnavailable
from ..events import Stage
from ..logs import get_logger
from ..models.store import pull_command

log = get_logger(__name__)

TEXT_TO_IMAGE, IMAGE_EDIT = "text-to-image", "image-edit"

# "auto" presets by task and device, best first; the first one installed is used.
AUTO_PRESETS = {
    (TEXT_TO_IMAGE, "cuda"): ["flux-schnell", "flux-dev", "sd-turbo"],
    (TEXT_TO_IMAGE, "cpu"): ["sd-turbo"],
    (IMAGE_EDIT, "cuda"): ["flux-kontext-dev", "instruct-pix2pix"],
    (IMAGE_EDIT, "cpu"): ["instruct-pix2pix"],
}
# A text-to-image preset decoded with a tiny autoencoder preset when that one is installed.
TINY_AUTOENCODER = {"sd-turbo": "taesd"}
EDIT_CLASSES = {"StableDiffusionInstructPix2PixPipeline", "FluxKontextPipeline"}


@dataclass
class Recipe:
    """Sensible settings for one pipeline family; the user may override steps, seed and size."""

    steps: int
    guidance: float
    size: int  # default square side for generation / longest side for edits
    multiple: int = 16  # width and height must be multiples of this
    extra: dict[str, Any] = field(default_factory=dict)


def recipe_for(pipe) -> Recipe:
    name = type(pipe).__name__
    if name == "StableDiffusionInstructPix2PixPipeline":
        return Recipe(steps=10, guidance=7.5, size=512, multiple=8, extra={"image_guidance_scale": 1.5})
    if name == "FluxKontextPipeline":
        return Recipe(steps=28, guidance=2.5, size=1024, extra={"_auto_resize": False})
    if name.startswith("Flux"):
        if getattr(pipe.transformer.config, "guidance_embeds", False):  # FLUX.1-dev: guidance-distilled
            return Recipe(steps=28, guidance=3.5, size=1024, extra={"max_sequence_length": 512})
        return Recipe(steps=4, guidance=0.0, size=1024, extra={"max_sequence_length": 256})  # schnell
    return Recipe(steps=1, guidance=0.0, size=512, multiple=8)  # SD-Turbo: 1-4 steps without guidance


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def dtype_for(dev: str, precision: str | None = None):
    """bfloat16 on GPUs and on CPUs with native bfloat16 (AVX512-BF16 / AMX), where it runs
    the SD-Turbo UNet about 1.8 times faster than float32; float32 elsewhere or when asked."""
    import torch

    if precision == "float32":
        return torch.float32
    if precision == "bfloat16" or dev == "cuda":
        return torch.bfloat16
    try:
        fast = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        fast = False
    return torch.bfloat16 if fast else torch.float32


# ---- choosing and loading -----------------------------------------------------------------------
def choose_preset(store, task: str, wanted: str, dev: str) -> str:
    """The preset to use, or ModelUnavailable naming the preset to pull."""
    if wanted and wanted != "auto":
        preset = store.registry.get(wanted)
        if preset.task != task:
            raise BadInput(f"The preset '{wanted}' is for {preset.task}, not {task}.")
        store.path(wanted)  # ModelUnavailable with the pull command when missing
        return wanted
    candidates = AUTO_PRESETS[(task, dev)]
    for name in candidates:
        if name in store.registry and store.is_installed(name):
            return name
    what = "Drawing pictures" if task == TEXT_TO_IMAGE else "This kind of edit"
    raise ModelUnavailable(
        f"{what} needs the model preset '{candidates[0]}', which is not installed. "
        f"Download it once with: {pull_command(candidates[0])}",
        preset=candidates[0],
    )


@dataclass
class LoadedPipeline:
    pipe: Any
    preset: str
    autoencoder: str | None  # tiny autoencoder preset in use, if any
    recipe: Recipe
    precision: str = "float32"


def _model_index(path: Path, name: str) -> dict:
    try:
        return json.loads((path / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelUnavailable(
            f"The model preset '{name}' is not a complete diffusers pipeline "
            f"(model_index.json is missing or damaged). Pull it again with: {pull_command(name)}",
            preset=name,
        ) from None


DRAWING_MISSING = (
    "Drawing pictures and model edits need the optional drawing part, which is not installed. "
    "Install it with: pip install 'screen-assistant[drawing]'"
)


def require_diffusers() -> None:
    """Drawing is an optional part of the install (diffusers is large): say so plainly."""
    try:
        import diffusers  # noqa: F401
    except ImportError:
        raise ModelUnavailable(DRAWING_MISSING, preset="diffusers") from None


def load_pipeline(
    store, name: str, task: str, dev: str, autoencoder: str | None = None, precision: str | None = None
) -> LoadedPipeline:
    require_diffusers()
    import diffusers

    path = store.path(name)
    index = _model_index(path, name)
    dtype = dtype_for(dev, precision)
    kwargs: dict[str, Any] = {"local_files_only": True, "use_safetensors": True, "torch_dtype": dtype}
    if "safety_checker" in index:
        # The engine's own safety gate checks every picture; the pipeline's checker would be a
        # second, slower one that silently blacks out images instead of saying why.
        kwargs.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    autoencoder = autoencoder or TINY_AUTOENCODER.get(name)
    if autoencoder and store.is_installed(autoencoder):
        kwargs["vae"] = _load(
            lambda: diffusers.AutoencoderTiny.from_pretrained(
                store.path(autoencoder), torch_dtype=dtype, local_files_only=True, use_safetensors=True
            ),
            autoencoder,
        )
    else:
        autoencoder = None
    if task == TEXT_TO_IMAGE:
        pipe = _load(lambda: diffusers.AutoPipelineForText2Image.from_pretrained(path, **kwargs), name)
    else:
        class_name = index.get("_class_name", "")
        if class_name not in EDIT_CLASSES:
            raise BadInput(
                f"The preset '{name}' holds a {class_name or 'unknown'} pipeline, which cannot edit "
                "pictures from an instruction."
            )
        pipe = _load(lambda: getattr(diffusers, class_name).from_pretrained(path, **kwargs), name)
    pipe = prepare_for_device(pipe, dev)
    return LoadedPipeline(pipe, name, autoencoder, recipe_for(pipe), str(dtype).replace("torch.", ""))


def prepare_for_device(pipe, dev: str):
    """Move to the device; on CPU store the autoencoder's convolutions channels-last, which
    decodes a 512x512 picture about 1.3-1.7 times faster with oneDNN."""
    import torch

    pipe = pipe.to(dev)
    if dev == "cpu" and getattr(pipe, "vae", None) is not None:
        pipe.vae.to(memory_format=torch.channels_last)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _load(fn, name: str):
    try:
        return fn()
    except AssistantError:
        raise
    except MemoryError:
        raise
    except Exception:
        log.exception("loading preset %s failed", name)
        raise ModelUnavailable(
            f"The model preset '{name}' could not be loaded: its files may be incomplete. "
            f"Check it with: python main.py models verify {name}",
            preset=name,
        ) from None


def cached_pipeline(
    extra: dict, store, name: str, task: str, dev: str, autoencoder: str | None = None, precision: str | None = None
) -> LoadedPipeline:
    """Keep one pipeline loaded per session: loading takes seconds, and two would not fit in memory."""
    key = (name, task, dev, autoencoder, precision)
    cached = extra.get("diffusion")
    if cached and cached[0] == key:
        return cached[1]
    extra.pop("diffusion", None)
    loaded = load_pipeline(store, name, task, dev, autoencoder, precision)
    extra["diffusion"] = (key, loaded)
    return loaded


# ---- settings from the request -----------------------------------------------------------------
def parse_size(value: Any) -> tuple[int, int] | None:
    """'512x768' / (512, 768) / 512 → (width, height), rounded down to multiples of 16."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str):
            parts = value.lower().replace("×", "x").replace(" ", "").split("x")
            width, height = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (int(parts[0]),) * 2
        elif isinstance(value, int):
            width = height = value
        else:
            width, height = int(value[0]), int(value[1])
    except (ValueError, IndexError, TypeError):
        raise BadInput(
            f"The size '{value}' is not understood. Give it as width x height, for example 512x512."
        ) from None
    if not (64 <= width <= 2048 and 64 <= height <= 2048):
        raise BadInput(f"The size {width} by {height} is out of range: each side must be 64 to 2048 pixels.")
    return width // 16 * 16, height // 16 * 16


def parse_steps(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        steps = int(value)
    except (ValueError, TypeError):
        raise BadInput(f"The number of steps '{value}' is not a whole number.") from None
    if not 1 <= steps <= 100:
        raise BadInput(f"The number of steps must be between 1 and 100, not {steps}.")
    return steps


def parse_seed(value: Any) -> int:
    if value in (None, ""):
        return random.randrange(2**31)
    try:
        seed = int(value)
    except (ValueError, TypeError):
        raise BadInput(f"The seed '{value}' is not a whole number.") from None
    if not 0 <= seed < 2**63:
        raise BadInput("The seed must be a whole number of zero or more.")
    return seed


def fit_for_edit(image: Image.Image, longest: int, multiple: int) -> Image.Image:
    """Scale so the longest side is at most `longest`, each side a multiple of `multiple`."""
    scale = min(1.0, longest / max(image.size))
    width = max(multiple, int(image.width * scale) // multiple * multiple)
    height = max(multiple, int(image.height * scale) // multiple * multiple)
    return image if (width, height) == image.size else image.resize((width, height), Image.Resampling.LANCZOS)


# ---- running -----------------------------------------------------------------------------------
class _Interrupted(Exception):
    """Raised inside the step callback to stop the pipeline between steps."""


def run_steps(
    pipe, kwargs: dict, steps: int, cancel: threading.Event, stage: str, label: str
) -> Generator[Any, None, Any]:
    """Run `pipe(**kwargs)` in a worker thread; yield Stage for each step and return the
    image (so a handler writes `image = yield from run_steps(...)`).

    Cancelling (cancel set, or the consumer closing this generator) stops the pipeline at the
    end of the current step."""
    import torch

    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def on_step_end(_pipe, step, _timestep, callback_kwargs):
        if cancel.is_set() or stop.is_set():
            raise _Interrupted()
        events.put(("step", step + 1))
        return callback_kwargs

    def work():
        try:
            with torch.inference_mode():
                output = pipe(**kwargs, num_inference_steps=steps, callback_on_step_end=on_step_end, output_type="pil")
            events.put(("done", output.images[0]))
        except _Interrupted:
            events.put(("cancelled", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread, which raises it there
            events.put(("error", exc))

    worker = threading.Thread(target=work, name="diffusion", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = events.get()
            if kind == "step":
                yield Stage(stage, f"{label}: step {value} of {steps}.", value / steps)
            elif kind == "done":
                if cancel.is_set():
                    raise Cancelled("Cancelled. No picture was kept.")
                return value
            elif kind == "cancelled":
                raise Cancelled("Cancelled. No picture was made.")
            else:
                if isinstance(value, RuntimeError) and "out of memory" in str(value).lower():
                    raise MemoryError() from value
                raise value
    finally:
        stop.set()


def make_generator(seed: int):
    import torch

    return torch.Generator(device="cpu").manual_seed(seed)
