"""Time the Hub VLM backend on the FULL-SIZE SmolVLM-256M architecture with random weights.

    python bench/bench_vlm.py [--runs 3] [--tokens 40] [--variants base,fp32,threads1,int8,bf16,tile384,full]

The architecture comes from resources/model_configs/smolvlm-256m (the real config); the weights
are random and the tokenizer is made locally with the same vocabulary size and special tokens,
so the compute per token and per image is the real model's, offline. min_new_tokens forces
every answer to the same length because random weights would stop at arbitrary points.

Measured on a 1920x1080 text-heavy screenshot (real TrueType font), medians of --runs rounds;
in every round each variant takes its turn, and every ratio is formed inside one round:
  first_chunk   describe(quick), nothing cached, until the first streamed text
  describe      the whole describe(quick) for --tokens new tokens
  followup      ask() with the earlier turn in history: image prefix cached vs not (ratio)
  overhead      Engine.run(describe) and backend.describe vs processor + raw model.generate on
                the same inputs (ratio - 1); --paired repeats them back to back at the end
Not a test: numbers depend on the machine and on whatever else shares the CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.events import options_for

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("SCREEN_ASSISTANT_HOME", tempfile.mkdtemp(prefix="bench-vlm-home-"))

CONFIG_DIR = ROOT / "resources" / "model_configs" / "smolvlm-256m"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
QUESTIONS = ("What does the error message say?", "Which button is red?")


def render_screenshot():
    """A 1920x1080 editor window: title, menu, two columns of text, an error and two buttons."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1920, 1080), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    font = lambda size: ImageFont.truetype(FONT, size) if os.path.exists(FONT) else ImageFont.load_default(size)  # noqa: E731
    draw.rectangle((0, 0, 1920, 48), fill=(45, 45, 52))
    draw.text((24, 10), "Quarterly Report - Notes Editor", fill="white", font=font(24))
    draw.text((24, 60), "File   Edit   View   Insert   Format   Help", fill="black", font=font(20))
    body = font(22)
    for i in range(26):
        y = 120 + i * 34
        draw.text(
            (60, y),
            f"Line {i + 1}: sales grew by {i + 3} percent in region {i % 7 + 1} this quarter.",
            fill="black",
            font=body,
        )
        draw.text(
            (1000, y),
            f"Task {i + 1}: review supplier contract number {1200 + 17 * i} before May.",
            fill=(30, 30, 90),
            font=body,
        )
    draw.rectangle((560, 420, 1360, 640), fill="white", outline=(200, 40, 40), width=4)
    draw.text((600, 470), "Error: the file could not be saved.", fill=(200, 40, 40), font=font(30))
    for x, label, colour in ((640, "Save", (40, 110, 200)), (1000, "Delete", (200, 40, 40))):
        draw.rectangle((x, 560, x + 260, 620), fill=colour)
        draw.text((x + 80, 572), label, fill="white", font=font(28))
    return img


def model_dir(cache_root: Path) -> Path:
    from tests.tiny_vlm import build_from_config_dir

    dest = cache_root / "smolvlm-256m-random"
    if not (dest / "model.safetensors").exists():
        print(f"building the random full-size model in {dest} (once) ...", flush=True)
        build_from_config_dir(CONFIG_DIR, dest)
    return dest


def median(values):
    return statistics.median(values) if values else float("nan")


def timed_stream(chunks):
    t0 = time.perf_counter()
    first = None
    for _ in chunks:
        if first is None:
            first = time.perf_counter() - t0
    return first, time.perf_counter() - t0


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def raw_describe(backend, image, tokens):
    """processor + model.generate on the very prompt describe() builds: no app code at all."""
    import torch

    from assistant.vision.hub_vlm import DESCRIBE_PROMPTS

    prefix, suffix = backend.build_prompt([DESCRIBE_PROMPTS["quick"]])
    inputs = backend.processor(
        text=prefix + suffix, images=[image], return_tensors="pt", **backend.adapter.image_kwargs("quick")
    )
    with torch.inference_mode():
        backend.net.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)


def blank_guard(image):
    from assistant.images import blank_reason

    blank_reason(image)


class SmallTileAdapter:
    """Experiment: one 384 px tile (36 image tokens) instead of 512 px (64) for 'quick'."""

    def __init__(self, base):
        self.base = base
        self.model_types, self.image_end_marker = base.model_types, base.image_end_marker

    def image_kwargs(self, detail):
        if detail != "quick":
            return self.base.image_kwargs(detail)
        return {"do_image_splitting": False, "max_image_size": {"longest_edge": 384}}

    def save_state(self, model):
        return self.base.save_state(model)

    def restore_state(self, model, state):
        self.base.restore_state(model, state)


class Variant:
    """One configuration under test; base and threads1 share the same loaded model."""

    def __init__(self, name, backend, threads):
        self.name, self.backend, self.threads = name, backend, threads
        self.samples: dict[str, list[float]] = {}
        self.history = None

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def one_round(self, image, tokens, engine=None):
        import torch

        torch.set_num_threads(self.threads)
        b = self.backend
        b.prefix_cache.clear()
        first, total = timed_stream(b.describe(image, "quick"))
        self.add("first_chunk_s", first)
        self.add("describe_s", total)
        if self.history is None:
            self.history = [(QUESTIONS[0], "".join(b.ask(image, QUESTIONS[0])))]
        b.use_prefix_cache = True
        cached_first, cached = timed_stream(b.ask(image, QUESTIONS[1], history=self.history))
        b.use_prefix_cache = False
        plain_first, plain = timed_stream(b.ask(image, QUESTIONS[1], history=self.history))
        b.use_prefix_cache = True
        self.add("followup_cached_s", cached)
        self.add("followup_uncached_s", plain)
        self.add("followup_ratio", cached / plain)
        self.add("followup_first_chunk_ratio", cached_first / plain_first)
        if engine is not None:  # app overhead, each app run paired with a raw run right after it
            from assistant.engine import Request

            raw = timed(lambda: raw_describe(b, image, tokens))
            b.prefix_cache.clear()
            app = timed(
                lambda: engine.run_to_result(
                    Request("describe", image=image, options=options_for("describe", backend="vlm"))
                )
            )
            self.add("raw_generate_s", raw)
            self.add("backend_overhead", total / raw - 1)
            self.add("engine_describe_s", app)
            self.add("engine_overhead", app / raw - 1)
            self.add("blank_guard_s", timed(lambda: blank_guard(image)))

    def medians(self):
        return {"variant": self.name, "threads": self.threads, **{k: median(v) for k, v in self.samples.items()}}


def make_backend(path, tokens, **options):
    from assistant.vision.hub_vlm import HubVLMBackend

    backend = HubVLMBackend(path, name="smolvlm-256m-random", max_new_tokens=tokens, **options)
    backend.generate_kwargs = {"min_new_tokens": tokens}
    return backend


def make_variants(names, path, args):
    base = make_backend(path, args.tokens)
    variants = []
    for name in names:
        if name == "base":
            variants.append(Variant(name, base, args.threads))
        elif name == "threads1":
            variants.append(Variant(name, base, 1))
        elif name == "int8":
            variants.append(Variant(name, make_backend(path, args.tokens, quantize=True), args.threads))
        elif name in ("bf16", "fp32"):
            dtype = {"bf16": "bfloat16", "fp32": "float32"}[name]
            variants.append(Variant(name, make_backend(path, args.tokens, dtype=dtype), args.threads))
        elif name == "tile384":
            small = make_backend(path, args.tokens)
            small.adapter = SmallTileAdapter(small.adapter)
            small.processor.image_seq_len = 36  # (384 / 16)^2 patches / 4^2 pixel shuffle
            variants.append(Variant(name, small, args.threads))
    return base, variants


def make_engine(backend, tokens):
    from assistant.config import Settings
    from assistant.engine import Engine

    settings = Settings()
    settings.models.max_new_tokens = tokens
    return Engine(settings=settings, backends={"vlm": backend})


def full_detail(backend, image, threads):
    import torch

    torch.set_num_threads(threads)
    backend.prefix_cache.clear()
    first, total = timed_stream(backend.describe(image, "full"))
    tiles = backend.processor.image_processor(image, do_image_splitting=True)["pixel_values"].shape[1]
    return {"variant": "full", "threads": threads, "tiles": tiles, "first_chunk_s": first, "describe_s": total}


def paired_overhead(backend, engine, image, tokens, repeats):
    """Raw processor + generate, backend.describe (streamed) and Engine describe back to back,
    `repeats` times: the cleanest overhead figure on a shared CPU."""
    from assistant.engine import Request

    times = {"raw_s": [], "backend_s": [], "engine_s": []}
    for _ in range(repeats):
        times["raw_s"].append(timed(lambda: raw_describe(backend, image, tokens)))
        backend.prefix_cache.clear()
        times["backend_s"].append(timed(lambda: list(backend.describe(image, "quick"))))
        backend.prefix_cache.clear()
        times["engine_s"].append(
            timed(
                lambda: engine.run_to_result(
                    Request("describe", image=image, options=options_for("describe", backend="vlm"))
                )
            )
        )
    row = {"variant": "paired", **{k: median(v) for k, v in times.items()}}
    row["backend_overhead"] = row["backend_s"] / row["raw_s"] - 1
    row["engine_overhead"] = row["engine_s"] / row["raw_s"] - 1
    return row


def show(row):
    print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)


def main():
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument(
        "--variants",
        default="base,fp32,threads1,int8",
        help="comma list of base (the backend's default dtype), fp32, bf16, threads1, int8, tile384, full",
    )
    parser.add_argument("--paired", type=int, default=5, help="back-to-back raw/backend/engine repeats")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-vlm-models")
    args = parser.parse_args()

    path = model_dir(args.cache)
    image = render_screenshot()
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    base, variants = make_variants(names, path, args)
    engine = make_engine(base, args.tokens)
    print(
        f"torch {torch.__version__}, {os.cpu_count()} CPUs, base dtype {base.net.dtype}, "
        f"load average {os.getloadavg()[0]:.2f}; "
        f"{args.runs} rounds, {args.tokens} new tokens, image {image.size[0]}x{image.size[1]}"
    )
    from assistant.engine import Request

    engine.run_to_result(
        Request("describe", image=image, options=options_for("describe", backend="vlm"))
    )  # warm the gate
    for v in variants:  # warm-up: allocator, kernels, processor
        list(v.backend.describe(image, "quick"))
    # Variants take turns inside each round, so a burst of load from others hits all of them.
    for r in range(args.runs):
        for v in variants:
            v.one_round(image, args.tokens, engine if v.name == "base" else None)
        print(f"round {r + 1} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    rows = [v.medians() for v in variants]
    for row in rows:
        show(row)
    if args.paired:
        show(paired_overhead(base, engine, image, args.tokens, args.paired))
    if "full" in names:
        show(full_detail(base, image, args.threads))
    top = next((r for r in rows if r["variant"] == "base"), None)
    if top:
        print("\ntargets: first chunk <= 2.0 s, follow-up cached/uncached <= 0.35, app overhead <= 5 %")
        print(
            f"base: first chunk {top['first_chunk_s']:.2f} s; follow-up ratio {top['followup_ratio']:.2f} "
            f"(first chunk {top['followup_first_chunk_ratio']:.2f}); backend overhead "
            f"{100 * top['backend_overhead']:+.1f} %, engine overhead {100 * top['engine_overhead']:+.1f} % "
            f"(the blank-image guard alone {top['blank_guard_s']:.2f} s)"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
