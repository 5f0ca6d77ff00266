"""Time the remote backend against a bare `openai` client call, on one `transformers serve`.

    python bench/bench_remote.py [--runs 15] [--tokens 64] [--full-size]

The server is `transformers serve` on 127.0.0.1 with the tiny random SmolVLM the tests build
(--full-size: the real SmolVLM-256M architecture with random weights, slower and closer to a
real server's per-token cost). Each run sends the same picture and prompt twice, once through the
app's backend (RemoteVisionBackend.describe: consent check, cached picture, reader thread, cancel
polling, error mapping) and once through a bare `client.chat.completions.create(stream=True)`,
alternating which goes first. End-of-answer is banned (logit_bias) so both answers are exactly
--tokens long, and the texts are checked to be identical.

Printed: medians of time to first chunk and total, the overhead ratio (app / bare - 1, per run,
then the median; target <= 5 %), and upload sizes of a few pictures before and after preparation
(shrinking to the provider's max_edge, PNG for screens, JPEG for photos).
Not a test: numbers depend on the machine and on whatever else shares its two cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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
os.environ.setdefault("SCREEN_ASSISTANT_HOME", tempfile.mkdtemp(prefix="bench-remote-home-"))

CONFIG_DIR = ROOT / "resources" / "model_configs" / "smolvlm-256m"


def timed(chunks) -> tuple[float, float, str]:
    """(seconds to the first non-empty chunk, seconds in all, text) for an iterator of text."""
    start = time.perf_counter()
    first = None
    parts = []
    for text in chunks:
        if text and first is None:
            first = time.perf_counter() - start
        parts.append(text)
    return first or float("nan"), time.perf_counter() - start, "".join(parts)


def bare_stream(client, model: str, messages: list[dict], tokens: int, extra: dict):
    stream = client.chat.completions.create(
        model=model, messages=messages, max_tokens=tokens, stream=True, extra_body=extra
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content


def fixed_cost_ms(backend, picture, repeats: int = 30) -> float:
    """What the backend does before each request is sent, with the picture already prepared."""
    from assistant.remote.consent import check_consent
    from assistant.vision.hub_vlm import DESCRIBE_PROMPTS
    from assistant.vision.remote import build_messages

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check_consent(backend.provider, backend.settings, backend._consent)
        prepared = backend.prepare(picture)
        build_messages(prepared.data_url, [DESCRIBE_PROMPTS["quick"]])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def consent_file_cost_ms(backend, repeats: int = 30) -> float:
    """Checking the consent of a server the user said yes to (not marked local): the answers file."""
    from assistant.remote import ConsentStore, RemoteSettings
    from assistant.remote.consent import check_consent

    settings = RemoteSettings(providers=backend.settings.providers, provider=backend.settings.provider)
    store = ConsentStore()
    store.record(backend.provider, allowed=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check_consent(backend.provider, settings, store)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def upload_sizes(max_edge: int, max_bytes: int) -> list[tuple[str, int, int, str, tuple[int, int], float]]:
    import numpy as np
    from PIL import Image

    from assistant.remote.images import png_bytes, prepare_image
    from bench.screenshot import render_screenshot

    screen = render_screenshot()
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (135, 240, 3), dtype=np.uint8)).resize(
        (1920, 1080), Image.Resampling.BICUBIC
    )
    pictures = {
        "screenshot 1920x1080": screen,
        "screenshot 3840x2160 (HiDPI)": screen.resize((3840, 2160), Image.Resampling.NEAREST),
        "photo-like 1920x1080": photo,
    }
    rows = []
    for name, picture in pictures.items():
        before = 4 * ((png_bytes(picture) + 2) // 3)  # as base64, like the prepared upload
        prepared = prepare_image(picture, max_edge, max_bytes)
        rows.append((name, before, prepared.upload_bytes, prepared.mime, prepared.size, prepared.encode_ms))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--full-size", action="store_true", help="the real SmolVLM-256M architecture")
    args = parser.parse_args()
    load_before = os.getloadavg()

    from openai import OpenAI

    from assistant.remote import RemoteSettings
    from assistant.vision.hub_vlm import DESCRIBE_PROMPTS
    from assistant.vision.remote import build_messages, remote_backend
    from bench.screenshot import render_screenshot
    from tests.remote_server import TransformersServer
    from tests.tiny_vlm import build_from_config_dir, build_tiny_smolvlm

    work = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    model_dir = (
        build_from_config_dir(CONFIG_DIR, work / "model") if args.full_size else build_tiny_smolvlm(work / "model")
    )
    eos = json.loads((model_dir / "generation_config.json").read_text())["eos_token_id"]
    extra = {"logit_bias": {str(eos): -100.0}}  # every answer exactly --tokens long
    server = TransformersServer(model_dir, work).start()
    try:
        settings = RemoteSettings(
            provider="bench",
            providers={"bench": {"label": "Bench", "base_url": server.base_url, "model": server.model_dir}},
            trusted_local=["bench"],
            quick_tokens=args.tokens,
        )
        backend = remote_backend(settings)
        backend.client.provider = dataclasses.replace(backend.provider, extra_body=extra)
        screen = render_screenshot()
        prepared = backend.prepare(screen)  # both paths send these exact bytes
        messages = build_messages(prepared.data_url, [DESCRIBE_PROMPTS["quick"]])
        bare = OpenAI(base_url=server.base_url, api_key="no-key", max_retries=0)

        def app_run():
            return timed(backend.describe(screen))

        def bare_run():
            return timed(bare_stream(bare, server.model_dir, messages, args.tokens, extra))

        app_run(), bare_run()  # warm-up: model, connections, caches
        fixed = fixed_cost_ms(backend, screen)
        consent_ms = consent_file_cost_ms(backend)
        rows = []
        for i in range(args.runs):
            order = [("app", app_run), ("bare", bare_run)] if i % 2 == 0 else [("bare", bare_run), ("app", app_run)]
            result = {name: run() for name, run in order}
            if result["app"][2] != result["bare"][2]:
                print("warning: the two answers differ in run", i + 1)
            rows.append(result)
    finally:
        server.stop()

    def median(key: str, index: int) -> float:
        return statistics.median(r[key][index] for r in rows) * 1000

    ratio_first = statistics.median(r["app"][0] / r["bare"][0] - 1 for r in rows) * 100
    ratio_total = statistics.median(r["app"][1] / r["bare"][1] - 1 for r in rows) * 100
    model = "SmolVLM-256M architecture (random weights)" if args.full_size else "tiny random SmolVLM"
    print(f"transformers serve on 127.0.0.1, {model}, {args.tokens} tokens, {args.runs} paired runs")
    print(f"picture: 1920x1080 screenshot sent as {prepared.size[0]}x{prepared.size[1]} {prepared.mime}")
    print(f"{'':24}{'first chunk ms':>16}{'total ms':>12}")
    print(f"{'app backend':24}{median('app', 0):16.1f}{median('app', 1):12.1f}")
    print(f"{'bare openai client':24}{median('bare', 0):16.1f}{median('bare', 1):12.1f}")
    print(f"overhead (median of per-run ratios): first chunk {ratio_first:+.1f} %, total {ratio_total:+.1f} %")
    print(f"picture preparation, paid once per picture (follow-ups reuse it): {prepared.encode_ms:.1f} ms")
    print(f"app's own work before each request (consent, picture cache lookup, messages): {fixed:.2f} ms (median)")
    print(f"checking a yes remembered in the consent file (a server not marked local): {consent_ms:.2f} ms (median)")
    after = os.getloadavg()[0]
    print(f"load average {load_before[0]:.2f} before, {after:.2f} after ({os.cpu_count()} CPUs, shared: noisy)")
    print()
    print(f"{'upload (base64) for max_edge 1536':36}{'plain PNG':>12}{'prepared':>12}  sent as")
    for name, before, after, mime, size, ms in upload_sizes(backend.provider.max_edge, backend.provider.max_bytes):
        print(f"{name:36}{before / 1000:10.0f}kB{after / 1000:10.0f}kB  {size[0]}x{size[1]} {mime}, {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
