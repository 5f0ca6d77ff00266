"""Text filter benchmark: what the safety gate's text filter costs a cold process, before and after
the word table, and per call once warm.

  cold           a fresh interpreter: import assistant.safety, then the first filter_text
                 before  = the old path: import alt-profanity-check (scikit-learn, SciPy, joblib)
                           and predict_prob on the words, which the old filter_text did on first use
                 after   = SafetyGate().filter_text("hello") (the packaged table)
                 after, disguised = the first text with a Cyrillic letter and a glued word, which
                           also loads the look-alike data and the word splitter
                 import only = import assistant.safety, no filtering (the floor)
  warm           per call on a 200-word answer, same process: old (alt-profanity-check on each
                 word, no cache) and new (filter_text with its caches warm)

Each variant runs in its own subprocess, interleaved round by round so machine noise hits all of
them alike; prints medians of wall time (from the first import), the whole process's CPU time
(interpreter start included; steadier under load), peak RSS (ru_maxrss) and the ratios. Expect noise on a
shared 2-core machine. Never part of pass/fail.

    python bench/bench_textfilter.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_MEASURE = """
import resource, sys, time
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {{'sklearn', 'scipy', 'joblib', 'profanity_check'}})
ru = resource.getrusage(resource.RUSAGE_SELF)
print(elapsed, ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime, ','.join(heavy))
"""

VARIANTS = {
    "import only": "import assistant.safety",
    "before (alt-profanity-check)": (
        "import assistant.safety\nfrom profanity_check import predict_prob\npredict_prob(['hello'])"
    ),
    "after (word table)": "import assistant.safety\nassistant.safety.SafetyGate().filter_text('hello')",
    "after, disguised first text": (
        "import assistant.safety\nassistant.safety.SafetyGate().filter_text('Well, isshit and fu\\u0441k')"
    ),
}

ANSWER = (
    "The window shows a login form with two fields. The first field asks for your email address. "
    "Below it there is a blue button labelled Sign in, and a link that says Forgot your password. "
    "A banner at the top reads Welcome back to the class portal; the assessment for Essex starts Monday. "
) * 5


def cold(runs: int) -> dict[str, dict[str, float | str]]:
    samples: dict[str, list[tuple[float, float, float, str]]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, body in VARIANTS.items():
            out = subprocess.run(
                [sys.executable, "-c", _MEASURE.format(body=body)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            samples[name].append((float(out[0]), float(out[1]), float(out[2]), out[3] if len(out) > 3 else ""))
    return {
        name: {
            "seconds": statistics.median(s[0] for s in rows),
            "rss_mb": statistics.median(s[1] for s in rows),
            "cpu_seconds": statistics.median(s[2] for s in rows),  # whole process, less load-sensitive
            "heavy_modules": rows[-1][3] or "none",
        }
        for name, rows in samples.items()
    }


def warm(runs: int) -> dict[str, float]:
    import re

    from profanity_check import predict_prob

    from assistant.safety import SafetyGate

    words = [w.lower() for w in re.findall(r"[A-Za-z]+", ANSWER)]
    gate = SafetyGate()
    gate.filter_text(ANSWER)

    def timed(fn) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    return {
        "words": len(words),
        "old_seconds": timed(lambda: predict_prob(sorted(set(words)))),
        "new_seconds": timed(lambda: gate.filter_text(ANSWER)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {"cold": cold(args.runs), "warm": warm(max(args.runs, 20))}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    c = results["cold"]
    before, after = c["before (alt-profanity-check)"], c["after (word table)"]
    print(f"cold start, median of {args.runs} subprocesses each (interleaved)")
    for name, r in c.items():
        print(
            f"  {name:<30} {r['seconds'] * 1000:6.0f} ms wall  {r['cpu_seconds'] * 1000:6.0f} ms CPU (process)"
            f"  {r['rss_mb']:4.0f} MB peak  heavy modules: {r['heavy_modules']}"
        )
    print(
        f"  before/after: {before['seconds'] / after['seconds']:.1f}x less wall time, "
        f"{before['cpu_seconds'] / after['cpu_seconds']:.1f}x less CPU, "
        f"{before['rss_mb'] - after['rss_mb']:.0f} MB less peak RSS"
    )
    w = results["warm"]
    print(f"warm, {w['words']}-word answer, median per call")
    print(f"  old (predict_prob on its words) {w['old_seconds'] * 1000:7.2f} ms")
    print(f"  new (filter_text, disguises too) {w['new_seconds'] * 1000:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
