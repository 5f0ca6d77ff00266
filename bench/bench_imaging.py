"""Imaging benchmark: prints medians and ratios measured in this run. Never part of pass/fail.

1. A deterministic edit chain on a 12-megapixel photo (target: at most 0.5 s), the operations
   alone and the whole engine edit (parse, operations, safety gate).
2. Text-to-image with the full-size SD-Turbo UNet architecture (resources/model_configs/
   sd-turbo-unet) and the taesd tiny autoencoder, random weights, 512x512, 1 step, on this CPU
   (target: at most 10 s), run through the same worker-thread code the engine uses; plus the
   tiny autoencoder's decode time against the full-size AutoencoderKL decode, as a ratio.

    python bench/bench_imaging.py [--runs 3] [--skip-diffusion] [--threads N] [--precision auto|float32|bfloat16]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONFIGS = ROOT / "resources" / "model_configs" / "sd-turbo-unet"
CHAIN = "make it a bit brighter, more contrast, rotate it left and sharpen it"


def median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def twelve_megapixel_photo():
    """4000x3000, smooth gradients plus sensor-like noise (compresses and filters like a photo)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 4000, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, 3000, dtype=np.float32)[:, None]
    channels = [x * 180 + y * 40 + 20, y * 200 + 30 + 0 * x, (1 - x) * 150 + y * 60 + 10]
    img = np.stack(channels, axis=2) + rng.normal(0, 8, (3000, 4000, 3)).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def bench_edit_chain(runs: int) -> dict:
    from assistant.engine import Engine, Request, Result
    from assistant.imaging.operations import apply, apply_all
    from assistant.imaging.parser import parse

    photo = twelve_megapixel_photo()
    operations = parse(CHAIN).operations
    ops_median, ops_all = median_time(lambda: apply_all(photo, operations), runs)
    per_op = {}
    for op in operations:
        per_op[op.name], _ = median_time(lambda op=op: apply(photo, op), runs)
    engine = Engine()
    engine.gate.check_image(photo)  # load the image-safety model outside the timing

    def engine_edit():
        final = engine.run_to_result(Request("edit", image=photo, text=CHAIN))
        assert isinstance(final, Result), final

    engine_median, _ = median_time(engine_edit, runs)
    return {
        "instruction": CHAIN,
        "megapixels": photo.width * photo.height / 1e6,
        "operations_median_s": ops_median,
        "operations_runs_s": ops_all,
        "per_operation_median_s": per_op,
        "engine_edit_median_s": engine_median,
        "target_s": 0.5,
    }


def build_sd_turbo_shaped_pipeline(dtype):
    """Full-size SD-Turbo UNet + full-size SD-2 text encoder + taesd-shaped tiny autoencoder,
    random weights, tokenizer built locally (the real vocabulary is not needed for timing)."""
    import torch
    from diffusers import AutoencoderTiny, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from tests.tiny_diffusers import clip_tokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(_config("unet_config.json"))
    vae = AutoencoderTiny.from_config(_config("autoencoder_tiny_config.json"))
    text_encoder = CLIPTextModel(
        CLIPTextConfig(  # OpenCLIP ViT-H/14 text tower, as in SD 2.x
            vocab_size=49408,
            hidden_size=1024,
            intermediate_size=4096,
            num_hidden_layers=23,
            num_attention_heads=16,
            max_position_embeddings=77,
            hidden_act="gelu",
            projection_dim=512,
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing", steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=clip_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    for module in (unet, vae, text_encoder):
        module.eval()
    return pipe.to(dtype=dtype)


def _config(name: str) -> dict:
    data = json.loads((CONFIGS / name).read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def bench_text_to_image(runs: int, precision: str | None) -> dict:
    import torch
    from diffusers import AutoencoderKL

    from assistant.imaging import diffusion

    dtype = diffusion.dtype_for("cpu", precision)  # what the app would use on this CPU
    t0 = time.perf_counter()
    pipe = diffusion.prepare_for_device(build_sd_turbo_shaped_pipeline(dtype), "cpu")  # as the app loads it
    build_s = time.perf_counter() - t0
    params = {
        name: sum(p.numel() for p in getattr(pipe, name).parameters()) / 1e6 for name in ("unet", "text_encoder", "vae")
    }

    def generate():
        kwargs = {
            "prompt": "a lighthouse at sunset",
            "guidance_scale": 0.0,
            "width": 512,
            "height": 512,
            "generator": diffusion.make_generator(1),
        }
        steps = diffusion.run_steps(pipe, kwargs, 1, threading.Event(), "generate", "Drawing")
        try:
            while True:
                next(steps)  # progress events
        except StopIteration as done:
            assert done.value.size == (512, 512)

    generate()  # warm-up: first call allocates and picks kernels
    gen_median, gen_all = median_time(generate, runs)

    latents = torch.randn(1, 4, 64, 64, generator=torch.Generator().manual_seed(0)).to(dtype)
    full_vae = AutoencoderKL.from_config(_config("autoencoder_kl_config.json")).eval().to(dtype)
    full_vae.to(memory_format=torch.channels_last)  # same treatment as the tiny one: a fair ratio
    params["autoencoder_kl"] = sum(p.numel() for p in full_vae.parameters()) / 1e6
    with torch.inference_mode():
        pipe.vae.decode(latents)
        tiny_decode, _ = median_time(lambda: pipe.vae.decode(latents), runs)
        full_decode, _ = median_time(lambda: full_vae.decode(latents), runs)
    return {
        "size": "512x512",
        "steps": 1,
        "precision": str(dtype).replace("torch.", ""),
        "parameters_millions": params,
        "build_s": build_s,
        "generate_median_s": gen_median,
        "generate_runs_s": gen_all,
        "target_s": 10.0,
        "tiny_autoencoder_decode_median_s": tiny_decode,
        "autoencoder_kl_decode_median_s": full_decode,
        "decode_ratio_full_over_tiny": full_decode / tiny_decode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip-diffusion", action="store_true")
    parser.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    report = {
        "cpu_threads": args.threads,
        "runs": args.runs,
        "torch": torch.__version__,
        "load_average_at_start": os.getloadavg(),
    }
    chain = report["edit_chain"] = bench_edit_chain(max(args.runs, 5))
    print(
        f"Edit chain on a {chain['megapixels']:.0f} MP photo ({CHAIN!r}): operations median "
        f"{chain['operations_median_s']:.3f} s (fastest {min(chain['operations_runs_s']):.3f} s), whole engine "
        f"edit {chain['engine_edit_median_s']:.3f} s (target <= 0.5 s)"
    )
    for name, seconds in chain["per_operation_median_s"].items():
        print(f"  {name:<12} {seconds:.3f} s")
    if not args.skip_diffusion:
        t2i = report["text_to_image"] = bench_text_to_image(args.runs, args.precision)
        p = t2i["parameters_millions"]
        print(
            f"Text-to-image 512x512, 1 step, SD-Turbo UNet ({p['unet']:.0f} M) + taesd ({p['vae']:.1f} M), "
            f"random weights, {t2i['precision']}, {args.threads} threads: median {t2i['generate_median_s']:.2f} s "
            f"(target <= 10 s)"
        )
        print(
            f"  decode 64x64 latents: tiny {t2i['tiny_autoencoder_decode_median_s']:.3f} s, AutoencoderKL "
            f"({p['autoencoder_kl']:.0f} M) {t2i['autoencoder_kl_decode_median_s']:.3f} s, "
            f"ratio {t2i['decode_ratio_full_over_tiny']:.1f}x"
        )
    report["load_average_at_end"] = os.getloadavg()  # other work on the machine inflates every figure
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
