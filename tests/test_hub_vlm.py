"""The Hub VLM backend on a tiny random SmolVLM built here, loaded through the real store and engine."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from assistant.config import Settings
from assistant.engine import Engine, ErrorEvent, Request, Result, TextChunk
from assistant.errors import Cancelled, ModelUnavailable
from assistant.events import options_for
from assistant.models import ModelStore, Preset, Registry
from assistant.vision.hub_vlm import HubVLMBackend, PrefixCache, PrefixEntry, image_key
from tests.conftest import render_text
from tests.tiny_vlm import build_tiny_smolvlm

ROOT = Path(__file__).resolve().parents[1]
PRESET = "tiny-smolvlm"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return build_tiny_smolvlm(tmp_path_factory.mktemp("tiny-smolvlm"))


@pytest.fixture(scope="session")
def backend(tiny_dir):
    return HubVLMBackend(tiny_dir, name=PRESET, max_new_tokens=24, dtype="float32")  # exact comparisons


@pytest.fixture
def fresh(backend):
    """The shared backend with an empty prefix cache and fixed-length answers."""
    backend.prefix_cache.clear()
    backend.use_prefix_cache = True
    backend.generate_kwargs = {"min_new_tokens": 24}
    return backend


@pytest.fixture
def engine(tiny_dir):
    registry = Registry()
    registry.register(Preset(name=PRESET, task="image-text-to-text", local_path=str(tiny_dir)))
    settings = Settings()
    settings.models.vlm_preset = PRESET
    settings.models.max_new_tokens = 24
    eng = Engine(settings=settings, store=ModelStore(registry))
    eng.backend("vlm").generate_kwargs = {"min_new_tokens": 24}  # random weights must not stop at once
    return eng


def picture(colour="red", size=(200, 120)):
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).rectangle((20, 20, 120, 80), fill=colour)
    return img


class VisionCalls:
    """Counts vision-encoder forward passes and the tiles each one received."""

    def __init__(self, backend):
        self.tiles: list[int] = []
        vision = backend.net.model.vision_model
        self._handle = vision.register_forward_hook(
            lambda mod, args, kwargs, out: self.tiles.append((args[0] if args else kwargs["pixel_values"]).shape[0]),
            with_kwargs=True,
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.remove()


def run(engine, request):
    events = list(engine.run(request))
    return [e for e in events if isinstance(e, TextChunk)], events[-1]


# ---- prompt and tokens ----------------------------------------------------------------------
@pytest.mark.parametrize("detail", ["quick", "full"])
def test_split_prompt_tokenises_exactly_like_the_processor(fresh, detail):
    """The cached path glues prefix ids to separately tokenised suffix ids; that must equal
    what the processor makes of the whole prompt, or the cache would change the answer."""
    fresh.generate_kwargs = {}
    img = picture(size=(300, 140))
    turns = ["what is red", "a box", "and the colour"]
    prefix, suffix = fresh.build_prompt(turns)
    assert prefix.endswith("<image>") and suffix.endswith("Assistant:")
    whole = fresh._process(img, prefix + suffix, detail)["input_ids"][0].tolist()
    fresh.generate_ids(img, turns[:1], detail, 1)  # holds the prefix now
    hits = fresh.stats["prefix_hits"]
    glued = fresh.generation_inputs(img, turns, detail)["input_ids"][0].tolist()
    assert fresh.stats["prefix_hits"] == hits + 1
    assert glued == whole


def test_quick_uses_one_tile_and_full_tiles(fresh):
    fresh.generate_kwargs = {}
    img = picture(size=(300, 140))
    with VisionCalls(fresh) as calls:
        fresh.generate_ids(img, ["describe"], "quick", 2)
        fresh.generate_ids(img, ["describe"], "full", 2)
    assert calls.tiles[0] == 1
    assert calls.tiles[1] > 1


# ---- through the engine -----------------------------------------------------------------------
def test_describe_streams_several_chunks_through_engine(engine):
    chunks, final = run(engine, Request("describe", image=picture(), options=options_for("describe", backend="vlm")))
    assert isinstance(final, Result), final
    assert len(chunks) >= 2
    assert final.backend == "vlm" and final.model == PRESET
    assert final.text == "".join(c.text for c in chunks).strip() != ""
    assert "first_chunk" in final.timings_ms


def test_followups_reuse_the_cached_image_encoding(engine):
    backend = engine.backend("vlm")
    img = picture("blue")
    with VisionCalls(backend) as calls:
        _, described = run(engine, Request("describe", image=img, options=options_for("describe", backend="vlm")))
        _, first = run(engine, Request("ask", text="what is blue", options=options_for("ask", backend="vlm")))
        _, second = run(engine, Request("ask", text="where is it", options=options_for("ask", backend="vlm")))
    assert all(isinstance(r, Result) and r.text for r in (described, first, second))
    assert calls.tiles == [1]  # encoded once, for the first request only
    # the description is the first turn, so a follow-up knows what was said (issue 10)
    assert [q for q, _ in engine.session.history] == ["Describe this picture.", "what is blue", "where is it"]


def test_followup_feeds_only_the_new_text_tokens(fresh):
    fresh.generate_kwargs = {}
    img, turns = picture("green"), ["what is green", "a box", "where"]
    fed: list[int] = []
    hook = fresh.net.model.text_model.register_forward_hook(
        lambda mod, args, kwargs, out: fed.append(kwargs["inputs_embeds"].shape[1]), with_kwargs=True
    )
    try:
        fresh.generate_ids(img, turns[:1], "quick", 1)
        fed.clear()
        fresh.generate_ids(img, turns, "quick", 1)
    finally:
        hook.remove()
    (entry,) = fresh.prefix_cache._entries.values()
    whole = fresh.generation_inputs(img, turns, "quick")["input_ids"].shape[1]
    assert fed == [whole - entry.input_ids.shape[1]]  # only the words after the image


def test_cached_and_uncached_greedy_answers_are_identical(fresh):
    img = picture("yellow", size=(260, 180))
    turns = ["what is yellow", "a box on the left", "what colour is the box"]
    for detail in ("quick", "full"):
        fresh.use_prefix_cache = True
        fresh.generate_ids(img, turns[:1], detail)  # fills the cache
        cached = fresh.generate_ids(img, turns, detail)  # follow-up on top of it
        assert fresh.stats["prefix_hits"] > 0
        fresh.use_prefix_cache = False
        plain = fresh.generate_ids(img, turns, detail)
        assert len(cached) == 24
        assert cached == plain


def test_cache_is_bounded_least_recently_used_first(tiny_dir):
    backend = HubVLMBackend(tiny_dir, name=PRESET, max_new_tokens=2, cache_images=2, dtype="float32")
    images = [picture(c) for c in ("red", "green", "blue")]
    with VisionCalls(backend) as calls:
        for img in images:
            backend.generate_ids(img, ["what"], "quick")
        backend.generate_ids(images[2], ["what"], "quick")  # still held
        backend.generate_ids(images[0], ["what"], "quick")  # dropped: encoded again
    assert len(backend.prefix_cache) == 2
    assert len(calls.tiles) == 4


def test_picture_changed_in_place_is_encoded_again(fresh):
    fresh.generate_kwargs = {}
    img = picture("red")
    with VisionCalls(fresh) as calls:
        fresh.generate_ids(img, ["what"], "quick", 1)
        ImageDraw.Draw(img).rectangle((150, 90, 190, 110), fill="blue")  # same object, new pixels
        fresh.generate_ids(img, ["what"], "quick", 1)
    assert calls.tiles == [1, 1]


def test_prefix_cache_unit():
    cache = PrefixCache(max_images=2)
    for name in "abc":
        cache.put((name, "quick", ""), PrefixEntry(None, None))
    assert cache.get(("a", "quick", "")) is None
    assert cache.get(("b", "quick", "")) is not None
    cache.put(("d", "full", ""), PrefixEntry(None, None))
    assert cache.get(("c", "quick", "")) is None and cache.details_for("d") == ["full"]
    assert image_key(picture("red")) == image_key(picture("red")) != image_key(picture("blue"))


# ---- cancel -------------------------------------------------------------------------------------
def test_cancel_stops_generation_early(fresh):
    fresh.generate_kwargs = {"min_new_tokens": 200}
    fresh.max_new_tokens = 200
    steps = []
    hook = fresh.net.lm_head.register_forward_hook(lambda *a: steps.append(1))
    cancel = threading.Event()
    chunks = []
    try:
        with pytest.raises(Cancelled):
            for chunk in fresh.ask(picture(), "what", cancel=cancel):
                chunks.append(chunk)
                cancel.set()
    finally:
        hook.remove()
        fresh.max_new_tokens = 24
    assert chunks
    assert len(steps) < 100


def test_listener_walking_away_stops_generation(fresh):
    fresh.generate_kwargs = {"min_new_tokens": 200}
    fresh.max_new_tokens = 200
    steps = []
    hook = fresh.net.lm_head.register_forward_hook(lambda *a: steps.append(1))
    try:
        stream = fresh.describe(picture(), "full")
        assert next(stream)
        stream.close()  # e.g. the GUI dropped the request
    finally:
        hook.remove()
        fresh.max_new_tokens = 24
    assert len(steps) < 100


def test_engine_cancel_mid_stream_reports_cancelled(engine):
    engine.backend("vlm").generate_kwargs = {"min_new_tokens": 24}
    events = []
    for event in engine.run(Request("describe", image=picture(), options=options_for("describe", backend="vlm"))):
        events.append(event)
        if isinstance(event, TextChunk):
            engine.cancel()
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "cancelled"
    # the model is free again: the next request completes
    assert isinstance(
        engine.run_to_result(Request("ask", text="what", options=options_for("ask", backend="vlm"))), Result
    )


# ---- failures -----------------------------------------------------------------------------------
def test_broken_model_folder_is_model_unavailable(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "idefics3"}')
    with pytest.raises(ModelUnavailable) as err:
        HubVLMBackend(tmp_path, name="broken")
    assert "broken" in err.value.message and "Traceback" not in err.value.message


def test_missing_preset_cli_exits_3(tmp_path):
    img = tmp_path / "shot.png"
    render_text(["Save changes?"], size=(400, 120)).save(img)
    env = dict(
        os.environ, SCREEN_ASSISTANT_HOME=str(tmp_path / "home"), HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1"
    )
    proc = subprocess.run(
        [sys.executable, "main.py", "describe", str(img), "--backend", "vlm"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "smolvlm-256m" in proc.stderr and "models pull" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- Qwen2.5-VL adapter -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory):
    from tests.tiny_vlm import build_tiny_qwen25vl

    return HubVLMBackend(
        build_tiny_qwen25vl(tmp_path_factory.mktemp("tiny-qwen")), name="tiny-qwen", max_new_tokens=4, dtype="float32"
    )


def test_qwen_prompt_splits_after_the_vision_block(tiny_qwen):
    prefix, suffix = tiny_qwen.build_prompt(["what is red"])
    assert prefix.endswith("<|vision_start|><|image_pad|><|vision_end|>")
    assert suffix.startswith("what is red")


def test_qwen_cached_followup_matches_uncached_after_another_image(tiny_qwen):
    """Qwen keeps the image's rotary offset on the model; encoding another picture in between
    must not leak into a follow-up answered from the cache."""
    square, tall = picture("red", size=(600, 600)), picture("blue", size=(56, 600))
    turns = ["what is red", "a box", "where"]

    def first_logits(cached):
        tiny_qwen.use_prefix_cache = cached
        out = tiny_qwen.run_plan(tiny_qwen.plan(square, turns, "quick"), 4, output_logits=True)
        return torch.stack(out.logits)

    tiny_qwen.generate_ids(square, turns[:1])
    tiny_qwen.generate_ids(tall, turns[:1])  # moves the model's rotary offset
    cached = first_logits(True)
    assert tiny_qwen.stats["prefix_hits"] >= 1
    plain = first_logits(False)
    assert torch.allclose(cached, plain, atol=1e-5), (cached - plain).abs().max()
