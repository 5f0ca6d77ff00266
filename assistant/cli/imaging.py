"""edit / generate sub-commands: the same engine paths the router's spoken intents use."""

from __future__ import annotations

import random
from pathlib import Path

from ..events import Request, options_for
from .core import BACKENDS, add_output_options, run_request


def register(sub) -> None:
    p = sub.add_parser("edit", help="edit a picture from an instruction ('make it brighter and rotate it left')")
    p.add_argument("path", help="the picture to edit")
    p.add_argument("instruction", help="what to change, in plain words")
    p.add_argument(
        "-o", "--out", default=None, help="where to save the result (default: PATH-edited.png next to the picture)"
    )
    p.add_argument("--preset", default=None, help="image-edit preset for edits that need a model")
    p.add_argument("--steps", type=int, default=None, help="diffusion steps for model edits")
    p.add_argument("--seed", type=int, default=None, help="random seed for model edits")
    _precision_option(p)
    add_output_options(p)
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("generate", help="draw a picture from a description")
    p.add_argument("prompt", help="what to draw")
    p.add_argument("-o", "--out", default=None, help="where to save the PNG (default: drawing-SEED.png)")
    p.add_argument("--steps", type=int, default=None, help="diffusion steps (SD-Turbo: 1-4)")
    p.add_argument("--seed", type=int, default=None, help="random seed, to draw the same picture again")
    p.add_argument("--size", default=None, help="width x height, for example 512x512")
    p.add_argument("--preset", default=None, help="text-to-image preset (default: chosen by device)")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="which vision backend describes the drawing")
    _precision_option(p)
    add_output_options(p)
    p.set_defaults(func=cmd_generate)


def _precision_option(p) -> None:
    p.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        default=None,
        help="model number format (auto: bfloat16 on GPUs and CPUs that run it natively)",
    )


def cmd_edit(args) -> int:
    out = args.out or str(Path(args.path).with_name(Path(args.path).stem + "-edited.png"))
    options = options_for(
        "edit", out=out, preset=args.preset, steps=args.steps, seed=args.seed, precision=args.precision
    )
    return run_request(Request("edit", image=args.path, text=args.instruction, options=options), args)


def cmd_generate(args) -> int:
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    options = options_for(
        "generate",
        out=args.out or f"drawing-{seed}.png",
        preset=args.preset,
        steps=args.steps,
        seed=seed,
        size=args.size,
        precision=args.precision,
        backend=args.backend,
    )
    return run_request(Request("generate", text=args.prompt, options=options), args)
