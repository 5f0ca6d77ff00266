"""The picture-model path with the REAL SmolVLM-256M-Instruct processor, tokenizer and chat
template (tests/data/smolvlm-256m-instruct), tiny random weights of the same vocabulary."""

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assistant.vision.base import TextLine
from assistant.vision.hub_vlm import (
    UNCONFIRMED,
    HubVLMBackend,
    _StopAtSentenceEnd,
    checked_sentences,
    confirmed,
    grounding_text,
    tiling_long_side,
)
from tests.tiny_vlm import build_with_real_files

EVAL = Path(__file__).resolve().parents[1] / "bench" / "eval"
IMAGE_TOKEN = 49190


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory):
    return build_with_real_files(tmp_path_factory.mktemp("smolvlm-real-files"))


@pytest.fixture(scope="module")
def backend(real_dir):
    return HubVLMBackend(real_dir, name="smolvlm-real-files", max_new_tokens=12, dtype="float32")


def photo():
    return Image.open(EVAL / "photos" / "china.jpg").convert("RGB")  # 640x427


def screen():
    return Image.open(EVAL / "screens" / "cargo-first-steps.png").convert("RGB")  # 1920x1080


def babble(**extra):
    """Random weights pushed to say " red." over and over: short sentences."""
    return {"sequence_bias": {(2382,): 10.0, (2382, 30): 20.0}, **extra}


def image_tokens(backend, image, detail, turns=("describe",), grounding=""):
    inputs = backend.generation_inputs(image, list(turns), detail, grounding)
    return int((inputs["input_ids"] == IMAGE_TOKEN).sum())


# ---- tiles ------------------------------------------------------------------------------------
def test_the_real_files_load(backend):
    tok = backend.processor.tokenizer
    assert len(tok) == 49280 and tok.convert_tokens_to_ids("<end_of_utterance>") == 49279
    assert backend.processor.image_seq_len == 64


def test_a_small_photo_is_never_blown_up_into_tiles(backend):
    """The processor's own default turns a 640x427 photo into 12 tiles + 1 (832 tokens)."""
    assert tiling_long_side(photo(), "full") == 512
    assert image_tokens(backend, photo(), "quick") == 64
    assert image_tokens(backend, photo(), "full") == 64


def test_a_screen_keeps_its_text_legible(backend):
    """quick: 3x2 tiles + overview (a 1920x1080 screen at 1536 px); full: 4x3 + overview. With the
    OCR text in the prompt, quick keeps one overview: the words come from the OCR."""
    backend.use_prefix_cache = False
    grounding = grounding_text([TextLine("First Steps with Cargo", (0, 0, 1, 1))])
    try:
        assert image_tokens(backend, screen(), "quick") == 7 * 64
        assert image_tokens(backend, screen(), "full") == 13 * 64
        assert image_tokens(backend, screen(), "quick", grounding=grounding) == 64
        assert image_tokens(backend, screen(), "full", grounding=grounding) == 13 * 64
    finally:
        backend.use_prefix_cache = True


def test_a_large_photo_tiles_only_in_full_detail():
    big = Image.fromarray(np.random.default_rng(0).integers(0, 256, (1500, 2000, 3), dtype=np.uint8))
    assert tiling_long_side(big, "quick") == 512
    assert tiling_long_side(big, "full") == 1536  # 3 tiles across, never more than the pixels hold


# ---- grounding --------------------------------------------------------------------------------
def test_ocr_text_goes_into_the_cached_prefix(backend):
    lines = [TextLine("First Steps with Cargo", (0, 0, 10, 10)), TextLine("$ cargo new hello_world", (0, 20, 10, 30))]
    grounding = grounding_text(lines)
    prefix, suffix = backend.build_prompt(["What command does it show?"], grounding)
    assert prefix.startswith("<|im_start|>User: Text read from this picture by OCR")
    assert "$ cargo new hello_world" in prefix and prefix.endswith("<image>")
    assert suffix == "What command does it show?<end_of_utterance>\nAssistant:"
    assert grounding_text([]) == ""


def test_backend_reads_the_picture_through_the_injected_reader(real_dir):
    seen = []

    def reader(image):
        seen.append(image.size)
        return [TextLine("Save", (0, 0, 10, 10))]

    backend = HubVLMBackend(real_dir, name="smolvlm-real-files", max_new_tokens=8, dtype="float32", ocr=reader)
    text = "".join(backend.describe(photo()))
    assert seen == [(640, 427)]
    assert isinstance(text, str)


def test_only_the_grounding_lines_are_read_before_generation(real_dir):
    """With a streaming reader (read_lines), lines past the grounding are read only when a
    quotation needs checking."""
    pulled = []

    def reader(image):
        for i in range(100):
            pulled.append(i)
            yield TextLine(f"line {i}", (0, i, 10, i + 1))

    backend = HubVLMBackend(real_dir, name="smolvlm-real-files", max_new_tokens=4, dtype="float32", ocr=reader)
    backend.generate_kwargs = babble()
    "".join(backend.describe(photo()))
    assert len(pulled) == 40  # GROUNDING_LINES; no quotation to check in "red. red."


def test_a_failing_reader_does_not_silence_the_answer(real_dir):
    def broken(image):
        raise OSError("disk gone")

    backend = HubVLMBackend(real_dir, name="smolvlm-real-files", max_new_tokens=4, dtype="float32", ocr=broken)
    backend.generate_kwargs = babble()
    assert "red" in "".join(backend.describe(photo()))


# ---- sentences and quotations -----------------------------------------------------------------
SCREEN_LINES = [
    TextLine("Quarterly Report - Notes Editor", (0, 0, 1, 1)),
    TextLine("Error: the file could not be saved.", (0, 0, 1, 1)),
]


def test_quotes_are_checked_against_the_screen_text():
    assert confirmed("Error: the file could not be saved", SCREEN_LINES)
    assert confirmed("Quarterly Reprot", SCREEN_LINES)  # an OCR slip still confirms
    assert not confirmed("Annual Budget 2024", SCREEN_LINES)


def test_a_sentence_quoting_text_not_on_screen_is_dropped():
    chunks = ["The window is titled “Quarterly ", "Report”. It says “Annual Budget 2024” at the top. ", "It is white."]
    out = list(checked_sentences(iter(chunks), SCREEN_LINES, [False]))
    assert out[0] == "The window is titled “Quarterly Report”. "
    assert out[1] == UNCONFIRMED + " " and out[2] == "It is white."
    assert "Annual" not in "".join(out)


def test_an_answer_cut_by_the_cap_ends_at_its_last_full_sentence():
    out = "".join(checked_sentences(iter(["A window. It has a red ", "button and"]), None, [True]))
    assert out == "A window. "
    finished = "".join(checked_sentences(iter(["A window. It has a red button"]), None, [False]))
    assert finished == "A window. It has a red button"  # ended by the model itself: kept
    alone = "".join(checked_sentences(iter(["A window with a red"]), None, [True]))
    assert alone == "A window with a red…"  # never silence


def test_generation_stops_at_the_first_sentence_end_past_the_budget(backend):
    import torch

    tok = backend.processor.tokenizer
    stop = _StopAtSentenceEnd(tok, budget=3)
    stop.start = 1
    ids = tok("x The box is red.", add_special_tokens=False)["input_ids"]
    assert stop(torch.tensor([ids]), None).item() and stop.hit
    stop.hit = False
    early = tok("x Red.", add_special_tokens=False)["input_ids"]
    assert not stop(torch.tensor([early[:2]]), None).item()  # still within the budget


def test_streamed_answers_never_end_mid_sentence(backend):
    """Random weights babble; whatever comes out ends with a sentence end or the ellipsis."""
    backend.generate_kwargs = babble()
    try:
        for detail in ("quick", "full"):
            text = "".join(backend.describe(photo(), detail)).strip()
            assert text and text[-1] in '.!?…"”’)'
    finally:
        backend.generate_kwargs = {}


def test_cancel_still_works_with_sentence_streaming(backend):
    from assistant.errors import Cancelled

    backend.generate_kwargs = babble(min_new_tokens=60)
    backend.max_new_tokens = 60
    cancel = threading.Event()
    chunks = []
    try:
        with pytest.raises(Cancelled):
            for chunk in backend.ask(photo(), "what is it", cancel=cancel):
                chunks.append(chunk)
                cancel.set()
    finally:
        backend.generate_kwargs, backend.max_new_tokens = {}, 12
    assert len(chunks) == 1


def test_real_chat_template_history_format(backend):
    """ask(history=[(question, answer)]): earlier turns alternate User / Assistant."""
    prefix, suffix = backend.build_prompt(["Describe this picture.", "A temple.", "What colour is the roof?"])
    assert prefix == "<|im_start|>User:<image>"
    assert suffix == (
        "Describe this picture.<end_of_utterance>\nAssistant: A temple.<end_of_utterance>\n"
        "User: What colour is the roof?<end_of_utterance>\nAssistant:"
    )
