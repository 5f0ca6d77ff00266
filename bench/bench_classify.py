"""The ImageNet hint: numpy EfficientNet-Lite0 (the app's) vs the same network in torch (before).

  memory  resident memory (VmRSS, RssAnon) of a fresh process after loading the network and
          classifying one photo, for: nothing loaded (imports only), torch, numpy
  time    per image, medians of N, torch and numpy alternating in one process on the evaluation
          photos; torch on one thread (as the app ran it), numpy with BLAS limited to one thread
          (as the app runs it) and with BLAS's default threads

Prints a table; never part of pass/fail. Expect noise on a shared machine (the load average is printed).

    python bench/bench_classify.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTOS = sorted((ROOT / "bench" / "eval" / "photos").glob("*.[jp][pn]g"))

_MEMORY = """
import json, sys
from PIL import Image
from assistant.vision.classify import ImageNetClassifier, preprocess
image = Image.open(sys.argv[2])
if sys.argv[1] == "torch":
    import torch
    from tests.lite0_torch import load_network
    torch.set_num_threads(1)
    net = load_network()
    with torch.inference_mode():
        net(torch.from_numpy(preprocess(image)))
elif sys.argv[1] == "numpy":
    ImageNetClassifier().top(image, 3)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({k: int(status[k].split()[0]) // 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
                 | {"torch_loaded": "torch" in sys.modules}))
"""


def memory(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, kind, str(PHOTOS[0])], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout)


def timings(runs: int) -> dict[str, list[float]]:
    import numpy as np
    import torch
    from PIL import Image
    from threadpoolctl import threadpool_limits

    from assistant.vision.classify import ImageNetClassifier, preprocess, softmax
    from tests.lite0_torch import load_network

    torch.set_num_threads(1)
    ref = load_network()
    ours = ImageNetClassifier()
    net = ours._load()
    images = [Image.open(p).convert("RGB") for p in PHOTOS]
    ours.top(images[0])  # warm both
    with torch.inference_mode():
        ref(torch.from_numpy(preprocess(images[0])))
    result: dict[str, list[float]] = {"torch (1 thread)": [], "numpy (BLAS 1 thread)": [], "numpy (BLAS default)": []}
    for i in range(runs):
        image = images[i % len(images)]
        t = time.perf_counter()
        with torch.inference_mode():
            torch.softmax(ref(torch.from_numpy(preprocess(image))), dim=1)
        result["torch (1 thread)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ours.top(image, 3)
        result["numpy (BLAS 1 thread)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        with threadpool_limits(limits=None):
            softmax(net.logits(np.ascontiguousarray(preprocess(image)[0].transpose(1, 2, 0))))
        result["numpy (BLAS default)"].append(time.perf_counter() - t)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    print(f"{'fresh process':<28}{'VmRSS MB':>10}{'RssAnon MB':>12}{'RssFile MB':>12}  torch imported")
    for kind in ("imports only", "torch", "numpy"):
        m = memory(kind)
        print(f"{kind:<28}{m['VmRSS']:>10}{m['RssAnon']:>12}{m['RssFile']:>12}  {m['torch_loaded']}")
    print(f"\n{'per image (median of ' + str(args.runs) + ')':<28}{'ms':>10}{'min ms':>10}")
    for name, values in timings(args.runs).items():
        print(f"{name:<28}{statistics.median(values) * 1000:>10.1f}{min(values) * 1000:>10.1f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
