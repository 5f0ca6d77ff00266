"""Describe and answer questions with a transformers image-text-to-text model from a local folder.

One generic path serves every family: AutoProcessor + chat template -> AutoModelForImageTextToText
-> generate, streamed through TextIteratorStreamer. What differs between families (SmolVLM /
Idefics3 tiling, Qwen2.5-VL pixel limits and rotary state) lives in the small adapters below.

Follow-up questions must not re-encode the picture. Every prompt is split where the image ends:
the prefix (chat start + image tokens) is run through the model once, and its key/value cache is
kept in a small LRU keyed by image content and detail. Each request generates on top of a copy of
that cache, so a follow-up only pays for its own few text tokens.

Truth checks live in the stream itself (the engine gates what comes out, these make sure
there is less to gate):
- the picture is tiled from its size and kind: screens keep text legible (a 1920x1080 screen
  is 4x3 tiles plus an overview in "full"; 3x2 plus overview in "quick" unless the OCR text is
  in the prompt, which then carries the words), small photos are never blown up into tiles;
- with an OCR reader injected, the text read from the picture goes into the prompt as
  grounding, and every quotation in the answer is checked against it afterwards: a sentence
  quoting words that are not on the picture is dropped, and the listener is told once;
- answers end at a sentence boundary: past the token budget generation stops at the next
  sentence end (up to SENTENCE_GRACE more tokens), and a sentence still unfinished at that
  hard cap is dropped, not spoken half.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import queue
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from PIL import Image

from ..errors import Cancelled, ModelUnavailable
from ..logs import get_logger
from .base import TextLine, conversation

log = get_logger(__name__)

DESCRIBE_PROMPTS = {
    "quick": (
        "Describe this picture for a blind person. Start with one short sentence saying what it is. "
        "Then give the most important details, and read any important text exactly."
    ),
    "full": (
        "Describe this picture for a blind person. Start with one short sentence saying what it is. "
        "Then describe everything from top to bottom: text (read exactly), buttons, pictures, "
        "colours and layout."
    ),
}
QUICK_DESCRIBE_TOKENS = 120  # a quick description is a few sentences, never an essay
MAX_NEW_TOKENS_LIMIT = 1024
SENTENCE_GRACE = 40  # extra tokens allowed past the budget to finish the sentence under way
GROUNDING_LINES = 40  # OCR lines given to the model (a dense screen has 60-80; the first 40 cover the top)
GROUNDING_CHARS = 1500
GROUNDING_INTRO = (
    "Text read from this picture by OCR, top to bottom. When you quote text, quote only from it:\n{text}\n"
)
UNCONFIRMED = "I could not confirm the exact wording of some text, so I left it out."
# Tiles, as multiples of the model's tile size (512 px for SmolVLM), by detail and by whether
# the picture is rendered (screens, pages, charts: text must stay legible) or a photo.
TILES_LONG_SIDE = {("quick", True): 3, ("full", True): 4, ("quick", False): 1, ("full", False): 4}
RENDERED_MIN_FLAT = 0.5  # kinds.PHOTO_MAX_FLAT: share of flat single-colour pixels


# ---- family adapters ------------------------------------------------------------------------
class FamilyAdapter:
    """What a model family needs beyond the generic Auto path. The default suits most families."""

    model_types: tuple[str, ...] = ()
    # Text in the rendered chat template where the image part of the prompt ends. None turns
    # off prefix caching (we cannot split the prompt safely).
    image_end_marker: str | None = None

    def image_kwargs(
        self, detail: str, image: Image.Image | None = None, processor=None, grounded: bool = False
    ) -> dict[str, Any]:
        """Extra processor arguments for 'quick' (fast) or 'full' (more detail) for this picture;
        grounded: the prompt carries the picture's OCR text."""
        return {}

    def load_processor(self, path: Path):
        from transformers import AutoProcessor

        return AutoProcessor.from_pretrained(path, local_files_only=True, trust_remote_code=False)

    def save_state(self, model) -> dict[str, Any]:
        """Model state set while encoding the prefix that generation on top of it needs."""
        return {}

    def restore_state(self, model, state: dict[str, Any]) -> None:
        pass


class Idefics3Adapter(FamilyAdapter):
    """SmolVLM / Idefics3: the processor resizes the picture so its long side is `size` and cuts
    it into tiles of `max_image_size` plus a global view (64 image tokens each for SmolVLM-256M).
    Its default (2048 px) blows a 640x427 photo up into 12 tiles + 1, and 'quick' used to squeeze
    a 1920x1080 screen into one 512 px view where its text is illegible. So the long side is
    chosen per picture (tiling_long_side)."""

    model_types = ("idefics3", "smolvlm")
    image_end_marker = "<image>"  # the processor expands it in place, so the prompt splits after it

    def image_kwargs(
        self, detail: str, image: Image.Image | None = None, processor=None, grounded: bool = False
    ) -> dict[str, Any]:
        tile = _tile_size(processor)
        if image is None:
            return {"do_image_splitting": detail == "full"}
        long_side = tiling_long_side(image, detail, tile, grounded)
        return {"do_image_splitting": long_side > tile, "size": {"longest_edge": long_side}}


class QwenVLAdapter(FamilyAdapter):
    """Qwen2-VL / Qwen2.5-VL: image tokens grow with pixels, so cap them; the model keeps its
    multimodal rotary offset (rope_deltas) on itself, which must travel with the cached prefix."""

    model_types = ("qwen2_vl", "qwen2_5_vl")
    image_end_marker = "<|vision_end|>"
    MAX_PIXELS = {"quick": 512 * 28 * 28, "full": 1280 * 28 * 28}

    def image_kwargs(
        self, detail: str, image: Image.Image | None = None, processor=None, grounded: bool = False
    ) -> dict[str, Any]:
        return {
            "size": {"shortest_edge": 56 * 56, "longest_edge": self.MAX_PIXELS.get(detail, self.MAX_PIXELS["quick"])}
        }

    def load_processor(self, path: Path):
        """The stock processor bundles a video processor that needs torchvision, which CPU-only
        installs lack. Pictures never need it, so fall back to image processor + tokenizer."""
        try:
            return super().load_processor(path)
        except ImportError:
            return _image_only_qwen_processor(path)

    def save_state(self, model) -> dict[str, Any]:
        deltas = getattr(model.model, "rope_deltas", None)
        return {"rope_deltas": None if deltas is None else deltas.clone()}

    def restore_state(self, model, state: dict[str, Any]) -> None:
        model.model.rope_deltas = state.get("rope_deltas")


ADAPTERS = [Idefics3Adapter(), QwenVLAdapter()]


def is_rendered(image: Image.Image) -> bool:
    """Screens, pages and charts (large flat areas), as opposed to photos (see kinds.py)."""
    from .kinds import pixel_stats

    return pixel_stats(image).flat_share >= RENDERED_MIN_FLAT


def tiling_long_side(image: Image.Image, detail: str, tile: int = 512, grounded: bool = False) -> int:
    """The long side (a multiple of `tile`) the picture is resized to before tiling.

    Rendered pictures round up, so a 1920x1080 screen keeps its text legible (1536 px in
    'quick': 3x2 tiles + overview, 448 image tokens; 2048 in 'full'). In 'quick' with the OCR
    text in the prompt the model gets the exact words from it, so one overview suffices: the
    7 views cost 6.4x the time to the first word (13.6 s vs 3.8 s, bench_vlm_tiles.py). Photos
    round down, so they are never enlarged into tiles: a 640x427 photo stays one view."""
    rendered = is_rendered(image)
    most = 1 if (grounded and detail == "quick") else TILES_LONG_SIDE.get((detail, rendered), 1)
    native = max(image.size) / tile
    tiles = math.ceil(native - 0.1) if rendered else math.floor(native)
    return tile * max(1, min(most, tiles))


def _tile_size(processor) -> int:
    size = getattr(getattr(processor, "image_processor", None), "max_image_size", None) or {}
    return int(size.get("longest_edge", 512)) if isinstance(size, dict) else 512


def adapter_for(model_type: str) -> FamilyAdapter:
    return next((a for a in ADAPTERS if model_type in a.model_types), FamilyAdapter())


# ---- the prefix cache -----------------------------------------------------------------------
@dataclass
class PrefixEntry:
    """The encoded image part of a prompt: its token ids and the model's key/value cache."""

    input_ids: Any  # torch.LongTensor (1, n)
    cache: Any  # transformers DynamicCache after running input_ids
    state: dict[str, Any] = field(default_factory=dict)
    hits: int = 0


class PrefixCache:
    """A few encoded images, least recently used dropped first (each costs a few MB)."""

    def __init__(self, max_images: int = 4):
        self.max_images = max(0, int(max_images))
        self._entries: OrderedDict[tuple, PrefixEntry] = OrderedDict()

    def get(self, key: tuple) -> PrefixEntry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            entry.hits += 1
        return entry

    def put(self, key: tuple, entry: PrefixEntry) -> None:
        if self.max_images == 0:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_images:
            self._entries.popitem(last=False)

    def details_for(self, image_key: str) -> list[str]:
        return [key[1] for key in self._entries if key[0] == image_key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def image_key(image: Image.Image) -> str:
    """Content hash: the same pixels give the same key whatever object holds them."""
    digest = hashlib.blake2b(image.tobytes(), digest_size=16)
    digest.update(f"{image.mode}{image.size}".encode())
    return digest.hexdigest()


# ---- the backend ----------------------------------------------------------------------------
class HubVLMBackend:
    name = "vlm"

    def __init__(
        self,
        path: str | Path,
        name: str = "vlm",
        max_new_tokens: int = 160,
        *,
        device: str | None = None,
        cache_images: int = 4,
        prefix_cache: bool = True,
        quantize: bool = False,
        dtype: str | None = None,
        ocr: Callable[[Image.Image], Iterable[TextLine]] | None = None,
        generate_kwargs: dict[str, Any] | None = None,
    ):
        """generate_kwargs: extra arguments for every generate() call (sampling, a minimum length).
        ocr: reads a picture's text lines in reading order (the embedded backend's read_lines,
        which streams, or read_text). With it, the model gets the picture's first lines as
        grounding and quotations in answers are checked against all of them; lines past the
        grounding are only read when a quotation needs checking."""
        import torch

        self.model = name  # the preset name reported to the user
        self.path = Path(path)
        self.max_new_tokens = max(1, min(int(max_new_tokens), MAX_NEW_TOKENS_LIMIT))
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.use_prefix_cache = prefix_cache
        self.prefix_cache = PrefixCache(cache_images)
        self.generate_kwargs: dict[str, Any] = dict(generate_kwargs or {})
        self.ocr = ocr
        self.stats = {"prefix_encodes": 0, "prefix_hits": 0}
        self._lock = threading.Lock()  # one generation at a time per model
        self._worker = _GenerationThread()
        dtype = "float32" if quantize else (dtype or _default_dtype(self.device))
        self.adapter, self.processor, self.net = _load(self.path, name, self.device, dtype, quantize)

    # ---- VisionBackend --------------------------------------------------------------------
    def describe(
        self, image: Image.Image, detail: str = "quick", cancel: threading.Event | None = None
    ) -> Iterator[str]:
        detail = detail if detail in DESCRIBE_PROMPTS else "quick"
        limit = min(self.max_new_tokens, QUICK_DESCRIBE_TOKENS) if detail == "quick" else self.max_new_tokens
        return self._stream(image, [DESCRIBE_PROMPTS[detail]], detail, limit, cancel)

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        turns = conversation(history, question)
        return self._stream(image, turns, self._detail_for_question(image), self.max_new_tokens, cancel)

    # ---- prompt -------------------------------------------------------------------------
    def build_prompt(self, turns: list[str], grounding: str = "") -> tuple[str, str]:
        """Render the chat (image in the first user turn) and split it where the image ends.

        turns alternate user, assistant, ..., user. grounding (the picture's OCR text) goes
        before the image, so it is part of the cached prefix and follow-ups do not re-read it.
        Returns (prefix_text, suffix_text)."""
        messages = []
        for i, text in enumerate(turns):
            role = "user" if i % 2 == 0 else "assistant"
            content: list[dict[str, str]] = [{"type": "text", "text": text}]
            if i == 0:
                content.insert(0, {"type": "image"})
                if grounding:
                    content.insert(0, {"type": "text", "text": grounding})
            messages.append({"role": role, "content": content})
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        marker = self.adapter.image_end_marker
        if not marker or marker not in text:
            return text, ""
        cut = text.index(marker) + len(marker)
        return text[:cut], text[cut:]

    def _detail_for_question(self, image: Image.Image) -> str:
        """Answer on top of whatever encoding of this picture we already hold (full beats quick)."""
        if self.use_prefix_cache:
            held = self.prefix_cache.details_for(image_key(image))
            if "full" in held:
                return "full"
        return "quick"

    # ---- generation ---------------------------------------------------------------------
    def _stream(
        self, image: Image.Image, turns: list[str], detail: str, max_new_tokens: int, cancel: threading.Event | None
    ) -> Iterator[str]:
        """Sentences of the answer as they complete, each checked against the picture's text."""
        image = image.convert("RGB") if image.mode != "RGB" else image
        ocr = self.ocr
        text = PictureText(lambda: ocr(image)) if ocr is not None else None
        grounding = grounding_text(text.first(GROUNDING_LINES)) if text is not None else ""
        capped: list[bool] = []
        raw = self._raw_stream(image, turns, detail, max_new_tokens, cancel, grounding, capped)
        yield from checked_sentences(raw, text, capped)

    def _raw_stream(
        self,
        image: Image.Image,
        turns: list[str],
        detail: str,
        max_new_tokens: int,
        cancel: threading.Event | None,
        grounding: str,
        capped: list[bool],
    ) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        streamer = TextIteratorStreamer(self.processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        failures: list[BaseException] = []
        sentence_end = _StopAtSentenceEnd(self.processor.tokenizer, max_new_tokens)
        criteria = StoppingCriteriaList([_StopOnEvent(stop), _StopOnEvent(cancel), sentence_end])
        threads = torch.get_num_threads()  # the caller's setting; a long-lived thread keeps its own
        hard_cap = max_new_tokens + SENTENCE_GRACE

        def work():
            try:
                if torch.get_num_threads() != threads:
                    torch.set_num_threads(threads)
                with self._lock:
                    if stop.is_set() or (cancel is not None and cancel.is_set()):
                        streamer.end()  # given up while waiting for the model: skip the work
                        return
                    plan = self.plan(image, turns, detail, grounding)
                    sentence_end.start = plan.inputs["input_ids"].shape[1]
                    out = self.run_plan(plan, hard_cap, streamer=streamer, stopping_criteria=criteria)
                    new = out.sequences.shape[1] - plan.inputs["input_ids"].shape[1]
                    capped.append(new >= hard_cap and not sentence_end.hit)
            except BaseException as exc:  # noqa: BLE001 - reported to the caller's thread below
                failures.append(exc)
                streamer.end()

        done = self._worker.submit(work)
        try:
            for text in streamer:
                if text:
                    yield text
        finally:
            stop.set()  # the consumer stopped listening (or we are done): stop generating
            done.wait()
        if failures:
            raise _plain_error(failures[0], self.model) from failures[0]
        if cancel is not None and cancel.is_set():
            raise Cancelled("Stopped.")

    def generate_ids(
        self, image: Image.Image, turns: list[str], detail: str = "quick", max_new_tokens: int | None = None
    ) -> list[int]:
        """The new token ids of one generation, without streaming (to compare runs exactly)."""
        with self._lock:
            plan = self.plan(image, turns, detail)
            out = self.run_plan(plan, max_new_tokens or self.max_new_tokens)
        return out.sequences[0, plan.inputs["input_ids"].shape[1] :].tolist()

    def generation_inputs(
        self, image: Image.Image, turns: list[str], detail: str, grounding: str = ""
    ) -> dict[str, Any]:
        return self.plan(image, turns, detail, grounding).inputs

    def plan(self, image: Image.Image, turns: list[str], detail: str, grounding: str = "") -> _Plan:
        """generate() inputs: on top of the cached image prefix when we hold it; otherwise the
        whole prompt, marked so the prefix's key/value cache is kept after generation."""
        import torch

        prefix_text, suffix_text = self.build_prompt(turns, grounding)
        caching = self.use_prefix_cache and bool(suffix_text)
        key = (image_key(image), detail, prefix_text) if caching else None
        entry = self.prefix_cache.get(key) if key is not None else None
        suffix = self.processor.tokenizer(suffix_text, add_special_tokens=False)["input_ids"]
        if entry is None:
            inputs = dict(self._process(image, prefix_text + suffix_text, detail, grounded=bool(grounding)))
            ids = inputs["input_ids"][0].tolist()
            # Keep the prefix only if the suffix tokenised on its own is exactly the prompt's tail.
            clean = caching and 0 < len(suffix) < len(ids) and ids[-len(suffix) :] == suffix
            return _Plan(inputs, key if clean else None, len(ids) - len(suffix))
        self.stats["prefix_hits"] += 1
        suffix_ids = torch.tensor([suffix], dtype=entry.input_ids.dtype, device=entry.input_ids.device)
        input_ids = torch.cat([entry.input_ids, suffix_ids], dim=1)
        self.adapter.restore_state(self.net, entry.state)
        return _Plan(
            {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids), "cache": copy.deepcopy(entry.cache)}
        )

    def run_plan(self, plan: _Plan, max_new_tokens: int, **extra):
        """generate(), then keep the image prefix of the cache it built (the first request for a
        picture costs exactly a plain generate: the prefix is cut from its cache, not rerun)."""
        import torch

        settings = {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            **self.generate_kwargs,
            **extra,
            "return_dict_in_generate": True,
        }
        with torch.inference_mode():
            out = self.net.generate(**plan.inputs, **settings)
        if plan.keep_as is not None and out.cache is not None and out.cache.get_seq_length() >= plan.prefix_len:
            cache = out.cache
            cache.crop(plan.prefix_len - cache.get_seq_length())
            prefix_ids = plan.inputs["input_ids"][:, : plan.prefix_len]
            self.prefix_cache.put(plan.keep_as, PrefixEntry(prefix_ids, cache, self.adapter.save_state(self.net)))
            self.stats["prefix_encodes"] += 1
        return out

    def image_kwargs(self, image: Image.Image, detail: str, grounded: bool = False) -> dict[str, Any]:
        return self.adapter.image_kwargs(detail, image, self.processor, grounded)

    def _process(self, image: Image.Image, text: str, detail: str, grounded: bool = False):
        kwargs = self.image_kwargs(image, detail, grounded)
        inputs = self.processor(text=text, images=[image], return_tensors="pt", **kwargs)
        return inputs.to(self.device)


class _GenerationThread:
    """One long-lived thread runs every generation. oneDNN (bfloat16 and int8 matmuls on CPU)
    caches its compiled kernels per thread, so a fresh thread per request re-compiles them:
    measured +0.8 s on a 40-token description."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="vlm-generate", daemon=True)
        self._thread.start()

    def submit(self, job) -> threading.Event:
        done = threading.Event()
        self._jobs.put((job, done))
        return done

    def _run(self):
        while True:
            job, done = self._jobs.get()
            try:
                job()  # jobs report their own failures
            finally:
                done.set()


@dataclass
class _Plan:
    inputs: dict[str, Any]
    keep_as: tuple | None = None  # prefix-cache key to store the prefix under after generating
    prefix_len: int = 0


class _StopOnEvent:
    """Stops generate() at the next token once the event is set (cancel, or nobody listening)."""

    def __init__(self, event: threading.Event | None):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        flag = self.event is not None and self.event.is_set()
        return torch.full((input_ids.shape[0],), flag, dtype=torch.bool, device=input_ids.device)


class _StopAtSentenceEnd:
    """Past the token budget, stops at the first token that ends a sentence."""

    def __init__(self, tokenizer, budget: int):
        self.tokenizer, self.budget, self.start, self.hit = tokenizer, budget, 0, False

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        new = input_ids.shape[1] - self.start
        done = False
        if self.start and new >= self.budget:
            tail = self.tokenizer.decode(input_ids[0, -2:], skip_special_tokens=True)
            done = bool(re.search(r"[.!?][\"”’)]?\s*$", tail))
            self.hit = self.hit or done
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


# ---- truth checks on the answer ------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?][\"”’)]?\s+")
_QUOTED = re.compile(r"“([^”]{2,})”|\"([^\"]{2,})\"")


def grounding_text(lines: list[TextLine]) -> str:
    """The picture's OCR lines as prompt text (the first GROUNDING_LINES, GROUNDING_CHARS at most)."""
    text = "\n".join(l.text for l in lines[:GROUNDING_LINES])[:GROUNDING_CHARS]
    return GROUNDING_INTRO.format(text=text) if text.strip() else ""


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def confirmed(quote: str, lines: list[TextLine]) -> bool:
    """Whether a quotation is on the picture: in its OCR text, allowing a few OCR slips (at
    least 90 % of its characters matched within one line or two neighbouring lines)."""
    q = _norm(quote)
    if not q:
        return True
    texts = [_norm(l.text) for l in lines]
    if q in " ".join(texts):
        return True
    windows = texts + [f"{a} {b}" for a, b in zip(texts, texts[1:], strict=False)]
    for window in windows:
        matcher = difflib.SequenceMatcher(None, q, window, autojunk=False)
        if matcher.real_quick_ratio() < 0.5 * len(q) / max(len(q), len(window)):
            continue
        if sum(b.size for b in matcher.get_matching_blocks()) >= 0.9 * len(q):
            return True
    return False


class PictureText:
    """A picture's OCR lines, read lazily from the reader's iterator: the first few for the
    grounding before generation starts, the rest only when a quotation has to be checked."""

    def __init__(self, read: Callable[[], Iterable[TextLine]]):
        self._source: Iterator[TextLine] | None = None
        self._start = read
        self._read: list[TextLine] = []

    def first(self, n: int) -> list[TextLine]:
        self._pull(n)
        return self._read[:n]

    def all(self) -> list[TextLine]:
        self._pull(None)
        return self._read

    def _pull(self, n: int | None) -> None:
        try:
            if self._source is None:
                self._source = iter(self._start())
            while n is None or len(self._read) < n:
                line = next(self._source, None)
                if line is None:
                    break
                self._read.append(line)
        except Exception:
            log.exception("reading the picture's text for the picture model")
            self._source = iter(())  # what was read stays; unconfirmable quotes are dropped


def checked_sentences(
    chunks: Iterator[str], lines: list[TextLine] | PictureText | None, capped: list[bool]
) -> Iterator[str]:
    """Whole sentences from a stream of text pieces. With `lines` (the picture's OCR), a
    sentence quoting text that is not there is dropped and the listener told once. A last
    sentence cut off by the token cap is dropped, unless nothing else was said (then it ends
    with an ellipsis rather than leave the listener in silence)."""
    buffer, said, warned = "", False, False

    def known() -> list[TextLine]:
        return lines.all() if isinstance(lines, PictureText) else (lines or [])

    def check(sentence: str) -> Iterator[str]:
        nonlocal said, warned
        quotes = [a or b for a, b in _QUOTED.findall(sentence)]
        if lines is not None and quotes and not all(confirmed(q, known()) for q in quotes):
            if not warned:
                warned = True
                yield UNCONFIRMED + " "
            return
        said = True
        yield sentence

    for chunk in chunks:
        buffer += chunk
        while (m := _SENTENCE_END.search(buffer)) is not None:
            sentence, buffer = buffer[: m.end()], buffer[m.end() :]
            yield from check(sentence)
    tail = buffer.strip()
    if not tail:
        return
    if re.search(r"[.!?][\"”’)]?$", tail) or not (capped and capped[0]):
        yield from check(tail)
    elif not said:
        yield from check(tail.rstrip(",;: ") + "…")


def _default_dtype(device: str) -> str:
    """bfloat16 (the dtype SmolVLM and Qwen2.5-VL weights ship in) on GPUs and on CPUs with a
    fast bfloat16 path (AVX-512/AMX): about 30 % faster on CPU here. float32 elsewhere, where
    bfloat16 would be emulated slowly."""
    if device == "cuda":
        return "bfloat16"
    import torch

    try:
        fast = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        fast = False
    return "bfloat16" if fast else "float32"


def _load(path: Path, name: str, device: str, dtype: str, quantize: bool):
    """Adapter, processor and model from the local folder only: safetensors, no remote code."""
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText

    dtype = getattr(torch, dtype)
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
        adapter = adapter_for(config.model_type)
        processor = adapter.load_processor(path)
        net = AutoModelForImageTextToText.from_pretrained(
            path, config=config, local_files_only=True, trust_remote_code=False, use_safetensors=True, dtype=dtype
        )
    except MemoryError:
        raise
    except Exception as exc:
        raise ModelUnavailable(
            f"The picture model '{name}' in {path} could not be loaded ({_why(exc)}). Check its files with: "
            f"screen-assistant models verify {name}",
            preset=name,
        ) from exc
    cast(Any, net).to(device).eval()  # transformers types .to() through a decorator mypy can't follow
    if quantize and device == "cpu":
        net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    return adapter, processor, net


def _why(exc: Exception) -> str:
    missing = re.search(r"requires the (\w+) library", str(exc))
    if missing:
        return f"it needs the Python package {missing.group(1).lower()}, which is not installed"
    return type(exc).__name__


def _image_only_qwen_processor(path: Path):
    from transformers import AutoImageProcessor, AutoTokenizer, Qwen2_5_VLProcessor
    from transformers.processing_utils import ProcessorMixin

    class ImageOnlyQwenVLProcessor(Qwen2_5_VLProcessor):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            self.image_token, self.video_token = "<|image_pad|>", "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    image_processor = AutoImageProcessor.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    return ImageOnlyQwenVLProcessor(image_processor, tokenizer, chat_template=_chat_template(path, tokenizer))


def _chat_template(path: Path, tokenizer) -> str | None:
    if (path / "chat_template.jinja").is_file():
        return (path / "chat_template.jinja").read_text(encoding="utf-8")
    if (path / "chat_template.json").is_file():
        return json.loads((path / "chat_template.json").read_text(encoding="utf-8")).get("chat_template")
    return getattr(tokenizer, "chat_template", None)


def _plain_error(exc: BaseException, name: str) -> BaseException:
    from ..errors import AssistantError

    if isinstance(exc, (AssistantError, MemoryError)):
        return exc
    if isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower():
        return MemoryError()
    return ModelUnavailable(
        f"The picture model '{name}' failed while answering ({type(exc).__name__}). "
        "Please try again, or choose another model preset.",
        preset=name,
    )
