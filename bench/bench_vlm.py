"""Time the Hub VLM backend on the FULL-SIZE SmolVLM-256M architecture with random weights.

    python bench/bench_vlm.py [--runs 3] [--tokens 40] [--variants base,threads1,int8,bf16,tile384,full]

The architecture comes from resources/model_configs/smolvlm-256m (the real config); the weights
are random and the tokenizer is made locally with the same vocabulary size and special tokens,
so the compute per token and per image is the real model's, offline. min_new_tokens forces
every answer to the same length because random weights would stop at arbitrary points.

Measured on a 1920x1080 text-heavy screenshot (real TrueType font), medians of --runs:
  first_chunk   describe(quick), nothing cached, until the first streamed text
  describe      the whole describe(quick) for --tokens new tokens
  followup      ask() with the earlier turn in history: image prefix cached vs not (ratio)
  overhead      Engine.run(describe) and backend.describe vs processor + raw model.generate on
                the same inputs (ratio - 1)
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
        draw.text((60, y), f"Line {i + 1}: sales grew by {i + 3} percent in region {i % 7 + 1} this quarter.",
                  fill="black", font=body)
        draw.text((1000, y), f"Task {i + 1}: review supplier contract number {1200 + 17 * i} before May.",
                  fill=(30, 30, 90), font=body)
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


def bench_describe(backend, image, runs):
    firsts, totals = [], []
    for _ in range(runs):
        backend.prefix_cache.clear()
        first, total = timed_stream(backend.describe(image, "quick"))
        firsts.append(first)
        totals.append(total)
    return median(firsts), median(totals)


def bench_followup(backend, image, runs):
    first_answer = "".join(backend.ask(image, QUESTIONS[0]))
    history = [(QUESTIONS[0], first_answer)]
    cached, plain, cached_first, plain_first = [], [], [], []
    for _ in range(runs):
        backend.use_prefix_cache = True
        f, t = timed_stream(backend.ask(image, QUESTIONS[1], history=history))
        cached_first.append(f)
        cached.append(t)
        backend.use_prefix_cache = False
        f, t = timed_stream(backend.ask(image, QUESTIONS[1], history=history))
        plain_first.append(f)
        plain.append(t)
    backend.use_prefix_cache = True
    return median(cached_first), median(plain_first), median(cached), median(plain)


def bench_raw(backend, image, runs, tokens):
    """processor + model.generate on the very prompt describe() builds: no app code at all."""
    import torch

    from assistant.vision.hub_vlm import DESCRIBE_PROMPTS

    prefix, suffix = backend.build_prompt([DESCRIBE_PROMPTS["quick"]])
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        inputs = backend.processor(text=prefix + suffix, images=[image], return_tensors="pt",
                                   **backend.adapter.image_kwargs("quick"))
        with torch.inference_mode():
            backend.net.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        times.append(time.perf_counter() - t0)
    return median(times)


def bench_engine(path, image, runs, tokens, threads):
    import torch

    from assistant.config import Settings
    from assistant.engine import Engine, Request, Result
    from assistant.models import ModelStore, Preset, Registry

    registry = Registry()
    registry.register(Preset(name="smolvlm-256m-random", task="image-text-to-text", local_path=str(path)))
    settings = Settings()
    settings.models.vlm_preset = "smolvlm-256m-random"
    settings.models.max_new_tokens = tokens
    engine = Engine(settings=settings, store=ModelStore(registry))
    backend = engine.backend("vlm")
    backend.generate_kwargs = {"min_new_tokens": tokens}
    torch.set_num_threads(threads)
    engine.run_to_result(Request("describe", image=image, options={"backend": "vlm"}))  # warm the gate
    totals = []
    for _ in range(runs):
        backend.prefix_cache.clear()
        t0 = time.perf_counter()
        result = engine.run_to_result(Request("describe", image=image, options={"backend": "vlm"}))
        totals.append(time.perf_counter() - t0)
        assert isinstance(result, Result), result
    return median(totals)


def blank_guard_time(image, runs):
    from assistant.images import blank_reason

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        blank_reason(image)
        times.append(time.perf_counter() - t0)
    return median(times)


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


def run_variant(name, path, image, args):
    import torch

    from assistant.vision.hub_vlm import HubVLMBackend

    threads = 1 if name == "threads1" else args.threads
    torch.set_num_threads(threads)
    backend = HubVLMBackend(path, name="smolvlm-256m-random", max_new_tokens=args.tokens,
                            quantize=(name == "int8"), dtype="bfloat16" if name == "bf16" else None)
    backend.generate_kwargs = {"min_new_tokens": args.tokens}
    if name == "tile384":
        backend.adapter = SmallTileAdapter(backend.adapter)
        backend.processor.image_seq_len = 36  # (384 / 16)^2 patches / 4^2 pixel shuffle
    list(backend.describe(image, "quick"))  # warm-up: allocator, kernels, processor
    if name == "full":  # tiled: 12 tiles + a global view for 1920x1080; one run is plenty
        backend.prefix_cache.clear()
        first, total = timed_stream(backend.describe(image, "full"))
        tiles = backend.processor.image_processor(image, do_image_splitting=True)["pixel_values"].shape[1]
        return {"variant": name, "threads": threads, "tiles": tiles, "first_chunk_s": first, "describe_s": total}
    first, describe_total = bench_describe(backend, image, args.runs)
    cached_first, plain_first, cached, plain = bench_followup(backend, image, args.runs)
    row = {"variant": name, "threads": threads, "first_chunk_s": first, "describe_s": describe_total,
           "followup_cached_s": cached, "followup_uncached_s": plain, "followup_ratio": cached / plain,
           "followup_first_chunk_ratio": cached_first / plain_first}
    if name == "base":
        raw = bench_raw(backend, image, args.runs, args.tokens)
        row["raw_generate_s"] = raw
        row["backend_overhead"] = describe_total / raw - 1
        del backend
        engine_total = bench_engine(path, image, args.runs, args.tokens, threads)
        row["engine_describe_s"] = engine_total
        row["engine_overhead"] = engine_total / raw - 1
        row["blank_guard_s"] = blank_guard_time(image, args.runs)  # the engine's own pre-check
    return row


def main():
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--variants", default="base,threads1,int8,tile384",
                        help="comma list of base, threads1, int8, bf16, tile384, full")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-vlm-models")
    args = parser.parse_args()

    path = model_dir(args.cache)
    image = render_screenshot()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"{args.runs} runs, {args.tokens} new tokens, image {image.size[0]}x{image.size[1]}")
    rows = []
    for name in args.variants.split(","):
        row = run_variant(name.strip(), path, image, args)
        rows.append(row)
        print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
    base = next((r for r in rows if r["variant"] == "base"), None)
    if base:
        print("\ntargets: first chunk <= 2.0 s, follow-up cached/uncached <= 0.35, app overhead <= 5 %")
        print(f"base: first chunk {base['first_chunk_s']:.2f} s; follow-up ratio {base['followup_ratio']:.2f} "
              f"(first chunk {base['followup_first_chunk_ratio']:.2f}); backend overhead "
              f"{100 * base['backend_overhead']:+.1f} %, engine overhead {100 * base['engine_overhead']:+.1f} % "
              f"(of which the blank-image guard {base['blank_guard_s']:.2f} s)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
