"""Embedded (offline) backend on the 1920x1080 benchmark screenshot.

Prints medians over several runs of: time to the first spoken sentence, the whole quick
description, and OCR alone (detection + recognition), each on a fresh copy of the image so
the per-image cache never hides work. Also prints CPU seconds, which stay comparable when
other processes share the machine, and the load average so the wall times can be judged.

    python bench/bench_embedded.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.screenshot import render_screenshot

TARGETS = {"first_sentence_s": 1.0, "ocr_s": 1.5}


def _fresh(image):
    """An equal image the cache has not seen: one pixel differs each run."""
    copy = image.copy()
    _fresh.n = getattr(_fresh, "n", 0) + 1
    copy.putpixel((copy.width - 1, copy.height - 1), (_fresh.n % 256, 0, 0))
    return copy


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def measure(runs: int) -> dict:
    from assistant.vision.embedded import EmbeddedBackend

    image = render_screenshot()
    backend = EmbeddedBackend()
    _, load_s, _ = _timed(lambda: list(backend.describe(_fresh(image))))  # cold: loads the models
    first, total, total_cpu, ocr, ocr_cpu = [], [], [], [], []
    for _ in range(runs):
        img = _fresh(image)
        t0, c0 = time.perf_counter(), time.process_time()
        stream = backend.describe(img)
        next(stream)
        first.append(time.perf_counter() - t0)
        list(stream)
        total.append(time.perf_counter() - t0)
        total_cpu.append(time.process_time() - c0)
        lines, wall, cpu = _timed(lambda: backend.read_text(_fresh(image)))
        ocr.append(wall)
        ocr_cpu.append(cpu)
    med = statistics.median
    return {
        "runs": runs,
        "image": "1920x1080 synthetic screenshot",
        "lines_read": len(lines),
        "cold_first_describe_s": round(load_s, 2),
        "first_sentence_s": round(med(first), 3),
        "describe_total_s": round(med(total), 3),
        "describe_cpu_s": round(med(total_cpu), 3),
        "ocr_s": round(med(ocr), 3),
        "ocr_cpu_s": round(med(ocr_cpu), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for key, value in result.items():
        target = TARGETS.get(key)
        note = f"   target <= {target} s, ratio {value / target:.2f}" if target else ""
        print(f"{key:<24} {value}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
