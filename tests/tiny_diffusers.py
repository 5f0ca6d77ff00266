"""Tiny random diffusers pipelines built in-process, for tests of the real loading/running code.

Each builder assembles a pipeline from tiny components (a few thousand parameters), with
tokenizers built locally from a small vocabulary, and saves it with save_pretrained into a
directory: exactly the layout the model store hands to assistant.imaging.diffusion.
Nothing here touches the network.
"""

from __future__ import annotations

from pathlib import Path

import torch

_WORDS = [
    "a",
    "the",
    "cat",
    "dog",
    "sky",
    "purple",
    "red",
    "make",
    "turn",
    "into",
    "golden",
    "retriever",
    "draw",
    "lighthouse",
    "at",
    "sunset",
    "house",
    "tree",
    "blue",
    "green",
]


def _byte_chars() -> list[str]:
    """GPT-2 style printable stand-ins for the 256 byte values (what CLIP's BPE works on)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def clip_tokenizer():
    """A byte-level BPE CLIP tokenizer: every byte, every byte at a word end, a few merges."""
    from transformers import CLIPTokenizer

    chars = _byte_chars()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in chars:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    merges = [("c", "a"), ("ca", "t</w>"), ("s", "k"), ("sk", "y</w>")]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tok = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    return tok


def t5_tokenizer():
    """A Unigram T5 tokenizer over a small word list (plus single letters as fallbacks)."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [("▁" + w, -3.0) for w in _WORDS]
    pieces += [(ch, -6.0) for ch in "abcdefghijklmnopqrstuvwxyz"]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def clip_text_encoder(vocab_size: int, hidden: int = 32):
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    config = CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=hidden,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    return CLIPTextModel(config).eval()


def tiny_unet(in_channels: int = 4, cross_attention_dim: int = 32):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(16, 32),
        norm_num_groups=8,
        attention_head_dim=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim,
    )


def tiny_autoencoder_kl(latent_channels: int = 4, **extra):
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=latent_channels,
        block_out_channels=(8, 16),
        norm_num_groups=8,
        layers_per_block=1,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        sample_size=32,
        **extra,
    )


def tiny_autoencoder_tiny():
    """A two-block AutoencoderTiny: the same class as taesd, with a 2x latent scale."""
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    return AutoencoderTiny(
        encoder_block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        num_encoder_blocks=(1, 1),
        num_decoder_blocks=(1, 1),
        latent_channels=4,
    )


def _sd_components():
    from diffusers import EulerDiscreteScheduler

    tokenizer = clip_tokenizer()
    return dict(
        tokenizer=tokenizer,
        text_encoder=clip_text_encoder(len(tokenizer)),
        vae=tiny_autoencoder_kl(),
        scheduler=EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            timestep_spacing="trailing",
            steps_offset=1,
        ),
    )


def save_text_to_image(directory: Path) -> Path:
    """A tiny StableDiffusionPipeline (the sd-turbo layout)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(
        unet=tiny_unet(), safety_checker=None, feature_extractor=None, requires_safety_checker=False, **_sd_components()
    )
    pipe.save_pretrained(directory, safe_serialization=True)
    return Path(directory)


def save_tiny_autoencoder(directory: Path) -> Path:
    """A tiny AutoencoderTiny saved on its own (the taesd layout)."""
    tiny_autoencoder_tiny().save_pretrained(directory, safe_serialization=True)
    return Path(directory)


def save_instruct_pix2pix(directory: Path) -> Path:
    """A tiny StableDiffusionInstructPix2PixPipeline (8 input channels: noise + image latents)."""
    from diffusers import StableDiffusionInstructPix2PixPipeline

    pipe = StableDiffusionInstructPix2PixPipeline(
        unet=tiny_unet(in_channels=8),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        **_sd_components(),
    )
    pipe.save_pretrained(directory, safe_serialization=True)
    return Path(directory)


def _flux_components():
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import T5Config, T5EncoderModel

    tokenizer = clip_tokenizer()
    tokenizer_2 = t5_tokenizer()
    torch.manual_seed(0)
    t5 = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer_2),
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            decoder_start_token_id=0,
        )
    ).eval()
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=(4, 4, 8),
    )
    vae = tiny_autoencoder_kl(
        latent_channels=1, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.0609, scaling_factor=1.5035
    )
    return dict(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=clip_text_encoder(len(tokenizer)),
        tokenizer=tokenizer,
        text_encoder_2=t5,
        tokenizer_2=tokenizer_2,
        transformer=transformer,
    )


def save_flux(directory: Path) -> Path:
    """A tiny FluxPipeline (the FLUX.1-schnell / dev layout)."""
    from diffusers import FluxPipeline

    FluxPipeline(**_flux_components()).save_pretrained(directory, safe_serialization=True)
    return Path(directory)


def save_flux_kontext(directory: Path) -> Path:
    """A tiny FluxKontextPipeline (the FLUX.1-Kontext-dev layout)."""
    from diffusers import FluxKontextPipeline

    FluxKontextPipeline(**_flux_components()).save_pretrained(directory, safe_serialization=True)
    return Path(directory)
