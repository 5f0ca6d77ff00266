"""A tiny random text-only Llama with the tiny VLM's word-level tokenizer (built offline): a model
without vision, for checking that a server which silently drops pictures is caught."""

from __future__ import annotations

from pathlib import Path

from tests.tiny_vlm import CHAT_TEMPLATE, END_OF_UTTERANCE, build_tokenizer


def build_tiny_llm(dest: Path, seed: int = 0) -> Path:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(dest)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(dest)
    eos = tokenizer.convert_tokens_to_ids(END_OF_UTTERANCE)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=2048,
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(dest, safe_serialization=True)
    return dest
