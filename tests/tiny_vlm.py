"""Build SmolVLM-shaped (Idefics3) models with random weights, offline, for tests and benchmarks.

The tokenizer is made here with the `tokenizers` library: a word-level vocabulary that holds the
special tokens SmolVLM's processor needs (<image>, <fake_token_around_image>, <global-img>,
<row_R_col_C>, <end_of_utterance>) at the ids the real SmolVLM tokenizer uses when the vocabulary
is full size. Whole-word tokens decode with spaces between them, so even a random model streams
text in several chunks. Nothing here touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path

BASE_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ROW_COL_TOKENS = [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
IMAGE_TOKENS = ["<fake_token_around_image>", "<image>"]
END_OF_UTTERANCE = "<end_of_utterance>"

# SmolVLM's own chat template (user/assistant turns, image placeholder inside the user turn).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

WORDS = (
    "a an the this that is are was of in on at to and or with for from by as it its there here "
    "picture image screen window button buttons menu text title page dialog box field error message "
    "red green blue black white yellow grey dark light large small left right top bottom middle "
    "shows contains reads says open close save cancel ok file edit view help search settings "
    "user assistant describe question answer what where which who how many colour color one two three "
    "blind person short sentence details important read exactly layout first then "
    "window chart table list icon link tab toolbar status bar document email browser photo person "
    "sky sea tree house car dog cat man woman child people street road water sun cloud"
).split()
PUNCTUATION = list(".,:;!?'\"()-/")
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
DIGITS = list("0123456789")


def build_tokenizer(dest: Path, vocab_size: int | None = None):
    """A word-level fast tokenizer with SmolVLM's special tokens; saved to `dest`.

    vocab_size: pad the plain vocabulary with unused tokens so the special tokens land on the
    ids the real SmolVLM tokenizer gives them (49152...) and the total matches the real model."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    plain = BASE_TOKENS + ["User", "Assistant", "System"] + WORDS + PUNCTUATION + LETTERS + DIGITS
    vocab: dict[str, int] = {}
    for token in plain:
        vocab.setdefault(token, len(vocab))
    added = ["<global-img>", *ROW_COL_TOKENS, *IMAGE_TOKENS]
    if vocab_size:
        base = vocab_size - 128  # SmolVLM: 49152 plain tokens, then 128 added ones
        while len(vocab) < base:
            vocab[f"<unused_{len(vocab)}>"] = len(vocab)
        reserved = [f"<|reserved_special_token_{i}|>" for i in range(128 - len(added) - 1)]
        added = added + reserved
    added.append(END_OF_UTTERANCE)

    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in added])
    if vocab_size and tok.get_vocab_size() != vocab_size:
        raise AssertionError(f"tokenizer has {tok.get_vocab_size()} tokens, wanted {vocab_size}")

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token=END_OF_UTTERANCE,
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        additional_special_tokens=[*IMAGE_TOKENS, END_OF_UTTERANCE],
    )
    fast.save_pretrained(dest)
    return fast


def build_processor(dest: Path, tokenizer, tile: int, longest_edge: int, image_seq_len: int):
    from transformers import Idefics3Processor
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=True,
        max_image_size={"longest_edge": tile},
        size={"longest_edge": longest_edge},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        resample=1,
    )
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=image_seq_len, chat_template=CHAT_TEMPLATE
    )
    processor.save_pretrained(dest)
    return processor


def tiny_config(vocab_size: int, image_token_id: int, eos_id: int, pad_id: int):
    from transformers import Idefics3Config

    text = dict(
        model_type="llama",
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        rope_theta=100000.0,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        bos_token_id=1,
    )
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=64, patch_size=16
    )
    return Idefics3Config(
        text_config=text, vision_config=vision, scale_factor=2, image_token_id=image_token_id, tie_word_embeddings=False
    )


def save_model(dest: Path, config, tokenizer, seed: int = 0):
    import torch
    from transformers import AutoModelForImageTextToText, GenerationConfig

    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    eos = tokenizer.convert_tokens_to_ids(END_OF_UTTERANCE)
    model.generation_config = GenerationConfig(
        eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id
    )
    model.save_pretrained(dest, safe_serialization=True)
    return model


def build_tiny_smolvlm(dest: Path, seed: int = 0) -> Path:
    """A ~100k-parameter SmolVLM: 64 px tiles of 16 px patches, 4 image tokens per tile."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(dest)
    tile, patch, scale = 64, 16, 2
    image_seq_len = (tile // patch) ** 2 // scale**2
    build_processor(dest, tokenizer, tile=tile, longest_edge=2 * tile, image_seq_len=image_seq_len)
    config = tiny_config(
        len(tokenizer),
        tokenizer.convert_tokens_to_ids("<image>"),
        tokenizer.convert_tokens_to_ids(END_OF_UTTERANCE),
        tokenizer.pad_token_id,
    )
    save_model(dest, config, tokenizer, seed=seed)
    return dest


def build_from_config_dir(config_dir: Path, dest: Path, seed: int = 0) -> Path:
    """A full-size model with random weights from a real config.json + processor configs."""
    from transformers import AutoConfig

    config_dir, dest = Path(config_dir), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    config = AutoConfig.from_pretrained(config_dir, local_files_only=True)
    tokenizer = build_tokenizer(dest, vocab_size=config.text_config.vocab_size)
    pre = json.loads((config_dir / "preprocessor_config.json").read_text())
    proc = json.loads((config_dir / "processor_config.json").read_text())
    build_processor(
        dest,
        tokenizer,
        tile=pre["max_image_size"]["longest_edge"],
        longest_edge=pre["size"]["longest_edge"],
        image_seq_len=proc["image_seq_len"],
    )
    assert tokenizer.convert_tokens_to_ids("<image>") == config.image_token_id
    save_model(dest, config, tokenizer, seed=seed)
    return dest


# ---- Qwen2.5-VL -------------------------------------------------------------------------------
QWEN_SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
# Qwen2.5-VL's chat template (default system turn; image placeholder inside the user turn).
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_qwen25vl(dest: Path, seed: int = 0) -> Path:
    """A tiny random Qwen2.5-VL (14 px patches, 2x2 merge) with a local word-level tokenizer."""
    import torch
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    from transformers import AutoModelForImageTextToText, GenerationConfig, PreTrainedTokenizerFast, Qwen2_5_VLConfig
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {}
    for token in ["system", "user", "assistant", "You", "helpful"] + WORDS + PUNCTUATION + LETTERS + DIGITS:
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="a"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in QWEN_SPECIAL])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    # Written file by file, as the hub folder holds them: the stock Qwen2_5_VLProcessor cannot be
    # built here because its video processor needs torchvision.
    tokenizer.save_pretrained(dest)
    Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=28 * 28 * 64).save_pretrained(dest)
    (dest / "chat_template.jinja").write_text(QWEN_CHAT_TEMPLATE, encoding="utf-8")
    (dest / "processor_config.json").write_text(json.dumps({"processor_class": "Qwen2_5_VLProcessor"}))
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL}
    config = Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
            rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            bos_token_id=ids["<|endoftext|>"],
        ),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=64,
            fullatt_block_indexes=[1],
            window_size=56,
        ),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config = GenerationConfig(eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    model.save_pretrained(dest, safe_serialization=True)
    return dest


# ---- the real SmolVLM-256M-Instruct processor files -------------------------------------------
REAL_SMOLVLM = Path(__file__).resolve().parent / "data" / "smolvlm-256m-instruct"
REAL_FILES = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
    "processor_config.json",
    "preprocessor_config.json",
    "generation_config.json",
]


def build_with_real_files(dest: Path, seed: int = 0) -> Path:
    """Random tiny weights behind the REAL SmolVLM-256M-Instruct tokenizer (49,280 tokens),
    chat template and processor settings (512 px tiles, 64 image tokens per tile, 2048 px long
    side): the model is small, everything the processor and tokenizer do is the real thing."""
    import shutil

    import torch
    from transformers import AutoModelForImageTextToText, GenerationConfig, Idefics3Config

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in REAL_FILES:
        shutil.copy(REAL_SMOLVLM / name, dest / name)
    real = json.loads((REAL_SMOLVLM / "config.json").read_text())
    text = dict(
        model_type="llama",
        vocab_size=real["vocab_size"],
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=8192,
        rms_norm_eps=1e-5,
        pad_token_id=2,
        eos_token_id=49279,
        bos_token_id=0,
    )
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    vision |= dict(image_size=real["vision_config"]["image_size"], patch_size=real["vision_config"]["patch_size"])
    config = Idefics3Config(
        text_config=text,
        vision_config=vision,
        scale_factor=real["scale_factor"],
        image_token_id=real["image_token_id"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config = GenerationConfig(eos_token_id=49279, pad_token_id=2, bos_token_id=0)
    model.save_pretrained(dest, safe_serialization=True)
    return dest
