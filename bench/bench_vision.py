"""Offline vision benchmarks: medians and ratios measured side by side in one run.

    python bench/bench_vision.py [--runs 5] [--old PATH_TO_OLD_CHECKOUT] [--json OUT]

- read: first line yielded by `read_lines` on a dense 1920x1080 page, warm (target <= 0.5 s),
  and all lines;
- describe: first sentence, warm (in process) and cold (a fresh `python` process: imports, model
  loading and the first sentence, as when the app has just started);
- memory: peak (ru_maxrss) of a CLI `read` and `describe --backend embedded` (target peak
  <= 500 MB for read), and resident memory after ten mixed requests in one process (target
  <= 450 MB); with --old the same CLI runs of an older checkout are measured alongside;
- per image: object detector on each photo, OCR (detect + recognise) on each screen;
- a photo's first sentence when the object detector was let go (after its idle time).
Timings on a shared machine are noisy: the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVAL = ROOT / "bench" / "eval"
DENSE = EVAL / "screens" / "std-vec.png"
PHOTO = EVAL / "photos" / "chelsea.png"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def fresh(image: Image.Image, i: int) -> Image.Image:
    """The same picture with one pixel changed, so no cache answers for it."""
    img = image.copy()
    img.putpixel((0, img.height - 1), (i % 256, 0, 0))
    return img


def median(xs: list[float]) -> float:
    return round(statistics.median(xs), 3)


def bench_read(backend, runs: int) -> dict:
    page = Image.open(DENSE).convert("RGB")
    list(backend.read_lines(fresh(page, 255)))  # warm: sessions loaded, kernels compiled
    first, whole, first_cpu, whole_cpu, lines = [], [], [], [], 0
    for i in range(runs):
        img = fresh(page, i)
        t0, c0 = time.perf_counter(), time.process_time()
        stream = backend.read_lines(img)
        next(stream)
        first.append(time.perf_counter() - t0)
        first_cpu.append(time.process_time() - c0)
        lines = 1 + len(list(stream))
        whole.append(time.perf_counter() - t0)
        whole_cpu.append(time.process_time() - c0)
    return {
        "read_first_line_s": median(first),
        "read_first_line_cpu_s": median(first_cpu),
        "read_all_lines_s": median(whole),
        "read_all_lines_cpu_s": median(whole_cpu),
        "lines": lines,
        "first_line_vs_target_0.5": round(median(first) / 0.5, 2),
        "first_line_share_of_all": round(median(first) / median(whole), 3),
    }


def bench_describe_warm(backend, runs: int) -> dict:
    out = {}
    for label, path in (("screen", DENSE), ("photo", PHOTO)):
        image = Image.open(path).convert("RGB")
        list(backend.describe(fresh(image, 255)))
        first, whole = [], []
        for i in range(runs):
            t0 = time.perf_counter()
            stream = backend.describe(fresh(image, i))
            next(stream)
            first.append(time.perf_counter() - t0)
            list(stream)
            whole.append(time.perf_counter() - t0)
        out[f"describe_{label}_first_sentence_warm_s"] = median(first)
        out[f"describe_{label}_whole_warm_s"] = median(whole)
    # the object detector let go after its idle time: loaded again while the photo's text is found
    image, again = Image.open(PHOTO).convert("RGB"), []
    for i in range(runs):
        backend._detector.release()
        t0 = time.perf_counter()
        next(backend.describe(fresh(image, 100 + i)))
        again.append(time.perf_counter() - t0)
    out["describe_photo_first_sentence_detector_let_go_s"] = median(again)
    return out


OCR_CPU = """
import sys, time, statistics, resource
sys.path.insert(0, {root!r})
from PIL import Image
from assistant.vision.embedded import EmbeddedBackend
page = Image.open({path!r}).convert("RGB")
backend = EmbeddedBackend()
backend.read_text(page.copy())
cpu, wall = [], []
for i in range({runs}):
    img = page.copy()
    img.putpixel((0, 0), (i, 1, 2))
    c, w = time.process_time(), time.perf_counter()
    lines = backend.read_text(img)
    cpu.append(time.process_time() - c)
    wall.append(time.perf_counter() - w)
print(statistics.median(cpu), statistics.median(wall), len(lines))
"""


def bench_ocr_cpu(runs: int, old: Path | None) -> dict:
    """CPU seconds to read every line of the dense page, this checkout vs an older one."""
    out: dict = {}
    for label, root in (("new", ROOT), ("old", old)):
        if root is None:
            continue
        code = OCR_CPU.format(root=str(root), path=str(DENSE), runs=runs)
        env = {**os.environ, "PYTHONPATH": str(root)}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, env=env)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        cpu, wall, lines = proc.stdout.split()[-3:]
        out[f"ocr_all_lines_cpu_s_{label}"] = round(float(cpu), 2)
        out[f"ocr_all_lines_wall_s_{label}"] = round(float(wall), 2)
        out[f"ocr_lines_{label}"] = int(lines)
    if old is not None:
        out["ocr_cpu_new_vs_old"] = round(out["ocr_all_lines_cpu_s_new"] / out["ocr_all_lines_cpu_s_old"], 2)
    return out


COLD = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from PIL import Image
from assistant.vision.embedded import EmbeddedBackend
image = Image.open({path!r}).convert("RGB")
stream = EmbeddedBackend().describe(image)
next(stream)
print(time.perf_counter() - t0)
"""


def bench_describe_cold(runs: int, root: Path = ROOT) -> dict:
    out = {}
    for label, path in (("screen", DENSE), ("photo", PHOTO)):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            code = COLD.format(root=str(root), path=str(path))
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            times.append(wall)
        out[f"describe_{label}_first_sentence_cold_s"] = median(times)
    return out


def peak_mb(args: list[str], root: Path) -> tuple[float, float]:
    """(peak resident MB, wall s) of one CLI run, from a wrapper process's ru_maxrss."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t, p.returncode)"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    cmd = [sys.executable, "-c", wrapper, sys.executable, str(root / "main.py"), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=900).stdout.split()
    if out[2] != "0":
        raise RuntimeError(f"{args} exited {out[2]}")
    return round(float(out[0]), 1), round(float(out[1]), 2)


def bench_memory(runs: int, old: Path | None) -> dict:
    out: dict = {}
    for label, root in (("new", ROOT), ("old", old)):
        if root is None:
            continue
        for name, args in (
            ("read", ["read", str(DENSE)]),
            ("describe", ["describe", str(DENSE), "--backend", "embedded"]),
        ):
            peaks, walls = zip(*(peak_mb(args, root) for _ in range(runs)), strict=True)
            out[f"cli_{name}_peak_mb_{label}"] = median(list(peaks))
            out[f"cli_{name}_wall_s_{label}"] = median(list(walls))
    if old is not None:
        for name in ("read", "describe"):
            out[f"cli_{name}_peak_new_vs_old"] = round(
                out[f"cli_{name}_peak_mb_new"] / out[f"cli_{name}_peak_mb_old"], 2
            )
            out[f"cli_{name}_wall_new_vs_old"] = round(out[f"cli_{name}_wall_s_new"] / out[f"cli_{name}_wall_s_old"], 2)
    return out


def resident_after_mixed(backend) -> dict:
    """Resident memory after ten mixed requests (describe, read, ask) in this process."""
    screens = sorted((EVAL / "screens").glob("*.png"))[:4]
    photos = [EVAL / "photos" / n for n in ("chelsea.png", "astronaut.png", "china.jpg")]
    jobs = [
        ("describe", screens[0]),
        ("read", screens[1]),
        ("ask", screens[0]),
        ("describe", photos[0]),
        ("describe", photos[1]),
        ("read", screens[2]),
        ("ask", screens[2]),
        ("describe", screens[3]),
        ("describe", photos[2]),
        ("read", screens[3]),
    ]
    for kind, path in jobs:
        image = Image.open(path).convert("RGB")
        if kind == "describe":
            list(backend.describe(image))
        elif kind == "read":
            list(backend.read_lines(image))
        else:
            list(backend.ask(image, "what does it say about installing?"))
    status = Path("/proc/self/status").read_text()
    rss = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS"))
    return {
        "resident_after_10_mixed_mb": round(rss / 1024, 1),
        "peak_in_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def mixed_in_child() -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--mixed-child"], capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def per_image(backend) -> dict:
    from assistant.vision.ocr import to_bgr

    detector, ocr = {}, {}
    for meta in json.loads((EVAL / "photos" / "photos.json").read_text(encoding="utf-8")):
        rgb = np.asarray(Image.open(EVAL / "photos" / meta["name"]).convert("RGB"))
        backend._detector.detect(rgb)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            backend._detector.detect(rgb)
            times.append(time.perf_counter() - t0)
        detector[meta["name"]] = median(times)
    reader = backend._reader
    for path in sorted((EVAL / "screens").glob("*.png"))[:8]:
        bgr = to_bgr(Image.open(path).convert("RGB"))
        t0 = time.perf_counter()
        quads = reader.detect(bgr)
        t1 = time.perf_counter()
        reader.recognise(bgr, quads)
        t2 = time.perf_counter()
        ocr[path.stem] = {"detect_s": round(t1 - t0, 3), "recognise_s": round(t2 - t1, 3), "regions": len(quads)}
    return {
        "detector_ms_median": round(1000 * statistics.median(detector.values()), 1),
        "detector_ms": {k: round(1000 * v, 1) for k, v in detector.items()},
        "ocr_per_screen": ocr,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old", type=Path, help="an older checkout to measure CLI memory and time against")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip", nargs="*", default=[], help="any of: read describe cold images mixed memory ocr_cpu")
    parser.add_argument("--mixed-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from assistant.vision.embedded import EmbeddedBackend

    if args.mixed_child:  # a fresh process, so nothing else this benchmark loaded is counted
        print(json.dumps(resident_after_mixed(EmbeddedBackend())))
        return

    results: dict = {"load_average_start": load()}
    backend = EmbeddedBackend()
    steps = [
        ("read", lambda: bench_read(backend, args.runs)),
        ("describe", lambda: bench_describe_warm(backend, args.runs)),
        ("cold", lambda: bench_describe_cold(max(1, args.runs // 2))),
        ("images", lambda: per_image(backend)),
        ("mixed", mixed_in_child),
        ("memory", lambda: bench_memory(max(1, args.runs // 2), args.old)),
        ("ocr_cpu", lambda: bench_ocr_cpu(args.runs, args.old)),
    ]
    for name, step in steps:
        if name in args.skip:
            continue
        part = step()
        results.update(part)
        print(json.dumps({name: part, "load_average": load()}), flush=True)
    results["load_average_end"] = load()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
