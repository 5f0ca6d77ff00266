"""What the per-picture tiling costs the picture model: time to the first generated token
(vision encoder + prefill + one token) on the FULL-SIZE SmolVLM-256M architecture with random
weights (bench_vlm.py builds it), old fixed tiling vs the new size-and-kind tiling.

    python bench/bench_vlm_tiles.py [--runs 3]

Cases: a 1920x1080 documentation screen in quick mode (old: one 512 px view; new: 3x2 tiles +
overview, legible text) and a 640x427 photo in full mode (old: blown up to 12 tiles + 1;
new: one view). Medians, and new/old ratios formed inside each round.
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
os.environ.setdefault("SCREEN_ASSISTANT_HOME", tempfile.mkdtemp(prefix="bench-vlm-home-"))
EVAL = ROOT / "bench" / "eval"


def first_token_s(backend, image, detail: str, old: bool) -> tuple[float, int]:
    backend.prefix_cache.clear()
    if old:  # the previous fixed behaviour: one view in quick, the processor's default tiles in full
        backend.image_kwargs = lambda img, d, grounded=False: {"do_image_splitting": d == "full"}
    else:
        backend.__dict__.pop("image_kwargs", None)
    inputs = backend.generation_inputs(image, ["Describe this picture."], detail)
    t0 = time.perf_counter()
    backend.generate_ids(image, ["Describe this picture."], detail, 1)
    return time.perf_counter() - t0, int((inputs["input_ids"] == backend.net.config.image_token_id).sum())


def main() -> None:
    from PIL import Image

    from bench.bench_vlm import model_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-vlm-models")
    args = parser.parse_args()
    from assistant.vision.hub_vlm import HubVLMBackend

    backend = HubVLMBackend(model_dir(args.cache), name="smolvlm-256m-random")
    cases = {
        "screen_quick": (Image.open(EVAL / "screens" / "cargo-first-steps.png").convert("RGB"), "quick"),
        "photo_full": (Image.open(EVAL / "photos" / "china.jpg").convert("RGB"), "full"),
    }
    first_token_s(backend, cases["photo_full"][0], "quick", old=False)  # warm-up
    for name, (image, detail) in cases.items():
        old, new, ratio = [], [], []
        for _ in range(args.runs):
            o, o_tokens = first_token_s(backend, image, detail, old=True)
            n, n_tokens = first_token_s(backend, image, detail, old=False)
            old.append(o)
            new.append(n)
            ratio.append(n / o)
        print(
            f"{name}: old {statistics.median(old):.2f} s ({o_tokens} image tokens), "
            f"new {statistics.median(new):.2f} s ({n_tokens} image tokens), new/old {statistics.median(ratio):.2f}, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
