"""Diffusion edit and generation end to end: tiny random pipelines built in-process (tests/
tiny_diffusers.py), registered as local presets, loaded through the real store and the real
loading code, run through the Engine and its safety gate.

Most tests inject a describer into Engine(backends={"embedded": ...}) because they are about
the imaging path, not about describing: the test double names the picture's real mean colour,
so the tests can check the description is of the picture that was actually drawn.
`test_generate_is_described_by_the_real_embedded_backend` uses the real backend.
"""

import json
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from assistant.colours import colour_name
from assistant.config import Settings
from assistant.engine import Engine, ErrorEvent, Progress, Request, Result, TextChunk
from assistant.events import options_for
from assistant.models import ModelStore, Preset, Registry
from assistant.safety import SafetyGate
from tests import tiny_diffusers


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-diffusers")
    return {
        "sd": tiny_diffusers.save_text_to_image(root / "sd"),
        "taesd": tiny_diffusers.save_tiny_autoencoder(root / "taesd"),
        "pix2pix": tiny_diffusers.save_instruct_pix2pix(root / "pix2pix"),
        "flux": tiny_diffusers.save_flux(root / "flux"),
        "kontext": tiny_diffusers.save_flux_kontext(root / "kontext"),
    }


def make_store(tiny_dirs, tmp_path) -> ModelStore:
    """The real registry, with the CPU presets pointing at tiny local pipelines."""
    registry = Registry(local_file=tmp_path / "no_local_models.toml")
    registry.register(Preset(name="sd-turbo", task="text-to-image", local_path=str(tiny_dirs["sd"])))
    registry.register(Preset(name="taesd", task="autoencoder", local_path=str(tiny_dirs["taesd"])))
    registry.register(Preset(name="instruct-pix2pix", task="image-edit", local_path=str(tiny_dirs["pix2pix"])))
    registry.register(Preset(name="tiny-flux", task="text-to-image", local_path=str(tiny_dirs["flux"])))
    registry.register(Preset(name="tiny-kontext", task="image-edit", local_path=str(tiny_dirs["kontext"])))
    return ModelStore(registry)


class ColourDescriber:
    """Describes a picture by its real mean colour; records what it was shown."""

    name, model = "embedded", "colour-test-double"

    def __init__(self):
        self.seen: list[Image.Image] = []

    def describe(self, image, detail="quick", cancel=None):
        self.seen.append(image)
        mean = tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0))
        yield "A picture that is mostly "
        yield f"{colour_name(mean)}."


def make_engine(tiny_dirs, tmp_path, gate=None, **models):
    settings = Settings()
    for key, value in models.items():
        setattr(settings.models, key, value)
    describer = ColourDescriber()
    engine = Engine(
        settings=settings, store=make_store(tiny_dirs, tmp_path), gate=gate, backends={"embedded": describer}
    )
    return engine, describer


def run(engine, request, on_event=None):
    events = []
    for event in engine.run(request):
        events.append(event)
        if on_event:
            on_event(event)
    return events[-1], events


def photo(width=96, height=64):
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), "RGB")


# ---- generation -----------------------------------------------------------------------------------
def test_generate_sd_turbo_with_tiny_autoencoder(tiny_dirs, tmp_path):
    engine, describer = make_engine(tiny_dirs, tmp_path)
    out = tmp_path / "drawing.png"
    final, events = run(
        engine,
        Request(
            "generate",
            text="a lighthouse at sunset",
            options=options_for("generate", steps=3, seed=7, size="96x64", out=str(out)),
        ),
    )
    assert isinstance(final, Result), final
    steps = [e for e in events if isinstance(e, Progress) and e.stage == "generate"]
    assert [round(e.fraction, 3) for e in steps] == [0.333, 0.667, 1.0]
    assert final.image.size == (96, 64)
    assert final.model == "sd-turbo" and final.extra["autoencoder"] == "taesd"
    pipe = engine.session.extra["diffusion"][1].pipe
    assert type(pipe).__name__ == "StableDiffusionPipeline" and type(pipe.vae).__name__ == "AutoencoderTiny"
    # the PNG carries the prompt and settings, and holds exactly the returned picture
    saved = Image.open(out)
    assert saved.text["prompt"] == "a lighthouse at sunset"
    settings = json.loads(saved.text["settings"])
    precision = engine.session.extra["diffusion"][1].precision
    assert settings == {
        "preset": "sd-turbo",
        "autoencoder": "taesd",
        "steps": 3,
        "seed": 7,
        "size": "96x64",
        "guidance_scale": 0.0,
        "precision": precision,
    }
    assert str(pipe.unet.dtype) == f"torch.{precision}"
    assert np.array_equal(np.asarray(saved.convert("RGB")), np.asarray(final.image))
    # described after generating: the describer saw the drawing, and the user hears it
    assert describer.seen == [final.image]
    mean = tuple(int(v) for v in np.asarray(final.image).reshape(-1, 3).mean(axis=0))
    assert final.text == f"I drew: a lighthouse at sunset. A picture that is mostly {colour_name(mean)}."
    assert "".join(e.text for e in events if isinstance(e, TextChunk)).strip() == final.text
    assert engine.session.image is final.image


def test_same_seed_same_picture_other_seed_differs(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    a, _ = run(
        engine,
        Request("generate", text="a red house", options=options_for("generate", steps=1, seed=11, size="64x64")),
    )
    b, _ = run(
        engine,
        Request("generate", text="a red house", options=options_for("generate", steps=1, seed=11, size="64x64")),
    )
    c, _ = run(
        engine,
        Request("generate", text="a red house", options=options_for("generate", steps=1, seed=12, size="64x64")),
    )
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))


def test_precision_can_be_forced_to_float32(tiny_dirs, tmp_path):
    import torch

    engine, _ = make_engine(tiny_dirs, tmp_path)
    final, _ = run(
        engine,
        Request(
            "generate",
            text="a cat",
            options=options_for("generate", steps=1, seed=1, size="64x64", precision="float32"),
        ),
    )
    assert isinstance(final, Result) and final.extra["precision"] == "float32"
    assert engine.session.extra["diffusion"][1].pipe.unet.dtype == torch.float32


def test_generate_with_tiny_flux(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path, generate_preset="tiny-flux")
    final, events = run(
        engine,
        Request("generate", text="a cat", options=options_for("generate", steps=2, seed=1, size="64x64")),
    )
    assert isinstance(final, Result), final
    assert final.model == "tiny-flux" and final.image.size == (64, 64)
    assert type(engine.session.extra["diffusion"][1].pipe).__name__ == "FluxPipeline"
    assert len([e for e in events if isinstance(e, Progress) and e.stage == "generate"]) == 2


def test_cancel_stops_between_steps_and_saves_nothing(tiny_dirs, tmp_path):
    engine, describer = make_engine(tiny_dirs, tmp_path)
    out = tmp_path / "cancelled.png"

    def cancel_after_first_step(event):
        if isinstance(event, Progress) and event.stage == "generate":
            engine.cancel()

    final, events = run(
        engine,
        Request(
            "generate",
            text="a tree",
            options=options_for("generate", steps=4, seed=1, size="64x64", out=str(out)),
        ),
        on_event=cancel_after_first_step,
    )
    assert isinstance(final, ErrorEvent) and final.kind == "cancelled"
    assert len([e for e in events if isinstance(e, Progress) and e.stage == "generate"]) < 4
    assert not out.exists() and describer.seen == []


def test_blocked_generation_is_withheld_unsaved_undescribed(tiny_dirs, tmp_path):
    # the real NSFW model with a zero threshold: every picture counts as explicit
    engine, describer = make_engine(tiny_dirs, tmp_path, gate=SafetyGate(image_threshold=0.0))
    out = tmp_path / "blocked.png"
    final, events = run(
        engine,
        Request(
            "generate",
            text="a green tree",
            options=options_for("generate", steps=1, seed=1, size="64x64", out=str(out)),
        ),
    )
    assert isinstance(final, ErrorEvent) and final.kind == "blocked" and final.exit_code == 4
    assert "withheld" in final.message
    assert not out.exists()
    assert describer.seen == []
    assert engine.session.image is None
    assert not any(isinstance(e, (Result, TextChunk)) for e in events)


def test_flagged_prompt_refused_before_any_model_loads(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    final, events = run(
        engine, Request("generate", text="a fucking lighthouse", options=options_for("generate", size="64x64"))
    )
    assert isinstance(final, ErrorEvent) and final.kind == "blocked"
    assert "diffusion" not in engine.session.extra  # nothing was loaded or computed
    assert not any(isinstance(e, Progress) for e in events)


@pytest.mark.parametrize(
    "options,words",
    [
        ({"size": "12x12"}, "out of range"),
        ({"size": "big"}, "not understood"),
        ({"steps": 0}, "between 1 and 100"),
        ({"seed": "x"}, "not a whole number"),
        ({"out": "/no/such/dir/a.png"}, "does not exist"),
        ({"out": "drawing.gif"}, "must end in"),
    ],
)
def test_bad_generation_settings_are_bad_input(tiny_dirs, tmp_path, options, words):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    final, _ = run(engine, Request("generate", text="a cat", options=options_for("generate", **options)))
    assert isinstance(final, ErrorEvent) and final.exit_code == 2 and words in final.message


def test_missing_presets_name_what_to_pull(tmp_path):
    engine = Engine(store=ModelStore(Registry(local_file=tmp_path / "none.toml")))
    final, _ = run(engine, Request("generate", text="a cat"))
    assert isinstance(final, ErrorEvent) and final.exit_code == 3
    assert "python main.py models pull sd-turbo" in final.message
    final, _ = run(engine, Request("edit", image=photo(), text="make the sky purple"))
    assert final.exit_code == 3 and "python main.py models pull instruct-pix2pix" in final.message


def test_generate_is_described_by_the_real_embedded_backend(tiny_dirs, tmp_path):
    pytest.importorskip("assistant.vision.embedded")
    engine = Engine(store=make_store(tiny_dirs, tmp_path))
    final, _ = run(
        engine,
        Request(
            "generate",
            text="a blue sky",
            options=options_for("generate", steps=1, seed=2, size="64x64", backend="embedded"),
        ),
    )
    assert isinstance(final, Result), final
    assert final.text.startswith("I drew: a blue sky.")
    assert final.extra["description"] and "could not describe" not in final.extra["description"]


# ---- semantic edits -------------------------------------------------------------------------------
def test_semantic_edit_with_instruct_pix2pix_and_undo(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    before = photo(96, 64)
    out = tmp_path / "purple.png"
    final, events = run(
        engine,
        Request(
            "edit",
            image=before,
            text="make the sky purple",
            options=options_for("edit", steps=2, seed=5, out=str(out)),
        ),
    )
    assert isinstance(final, Result), final
    assert final.backend == "diffusers" and final.model == "instruct-pix2pix"
    assert type(engine.session.extra["diffusion"][1].pipe).__name__ == "StableDiffusionInstructPix2PixPipeline"
    assert final.image.size == before.size  # back to the size the user gave
    assert not np.array_equal(np.asarray(final.image), np.asarray(before))
    assert final.text == "Edited the picture: make the sky purple."
    assert len([e for e in events if isinstance(e, Progress) and e.stage == "edit"]) == 2
    assert Image.open(out).text["instruction"] == "make the sky purple"
    assert engine.session.image is final.image
    undo, _ = run(engine, Request("undo"))
    assert undo.text == "Undid: edited the picture: make the sky purple."
    assert np.array_equal(np.asarray(engine.session.image), np.asarray(before))


def test_semantic_edit_with_tiny_flux_kontext(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path, edit_preset="tiny-kontext")
    final, _ = run(
        engine,
        Request(
            "edit",
            image=photo(64, 64),
            text="turn the dog into a golden retriever",
            options=options_for("edit", steps=2, seed=1, size=64),
        ),
    )
    assert isinstance(final, Result), final
    assert final.model == "tiny-kontext" and final.image.size == (64, 64)
    assert type(engine.session.extra["diffusion"][1].pipe).__name__ == "FluxKontextPipeline"


def test_blocked_semantic_edit_keeps_the_old_picture(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path, gate=SafetyGate(image_threshold=0.0))
    engine.settings.safety.picture_check = "off"  # this test is about the edited picture, not the input
    before = photo()
    final, _ = run(
        engine, Request("edit", image=before, text="make the sky purple", options=options_for("edit", steps=1))
    )
    assert isinstance(final, ErrorEvent) and final.kind == "blocked"
    assert np.array_equal(np.asarray(engine.session.image), np.asarray(before))
    nothing, _ = run(engine, Request("undo"))
    assert nothing.text == "There is nothing to undo."


def test_wrong_task_preset_is_refused(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    final, _ = run(
        engine, Request("generate", text="a cat", options=options_for("generate", preset="instruct-pix2pix"))
    )
    assert isinstance(final, ErrorEvent) and final.exit_code == 2 and "image-edit" in final.message


def test_router_utterance_reaches_the_same_edit_path(tiny_dirs, tmp_path):
    pytest.importorskip("assistant.router")
    engine, _ = make_engine(tiny_dirs, tmp_path)
    final, _ = run(engine, Request("utterance", image=photo(), text="make it brighter and rotate it left"))
    if isinstance(final, Result) and final.intent == "clarify":
        pytest.skip("the router asked for clarification")
    assert isinstance(final, Result) and final.intent == "edit", final
    assert final.text == "Made 30 percent brighter and rotated left."


# ---- the command line ------------------------------------------------------------------------------
def test_cli_generate_with_local_presets(tiny_dirs, home, tmp_path, capsys):
    from assistant.cli import main

    registry = Registry()
    registry.add_local("sd-turbo", tiny_dirs["sd"], task="text-to-image")
    registry.add_local("taesd", tiny_dirs["taesd"], task="autoencoder")
    out = tmp_path / "cli.png"
    code = main(["generate", "a house", "-o", str(out), "--steps", "2", "--seed", "4", "--size", "64x64", "--json"])
    assert code == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert data["saved_to"] == str(out) and data["seed"] == 4 and data["steps"] == 2
    assert data["text"].startswith("I drew: a house.")
    assert json.loads(Image.open(out).text["settings"])["autoencoder"] == "taesd"


def test_cli_generate_without_model_exits_3(home, capsys):
    from assistant.cli import main

    assert main(["generate", "a house"]) == 3
    assert "models pull sd-turbo" in capsys.readouterr().err


def test_worker_thread_ends_after_run(tiny_dirs, tmp_path):
    engine, _ = make_engine(tiny_dirs, tmp_path)
    run(
        engine,
        Request("generate", text="a tree", options=options_for("generate", steps=1, seed=1, size="64x64")),
    )
    assert not any(t.name == "diffusion" and t.is_alive() for t in threading.enumerate())


def test_without_the_drawing_part_the_user_hears_how_to_add_it(monkeypatch):
    """diffusers is an optional extra: a plain sentence naming it, never an ImportError."""
    monkeypatch.setitem(sys.modules, "diffusers", None)  # as if not installed
    engine = Engine(settings=Settings(), backends={"embedded": ColourDescriber()})
    final, _ = run(engine, Request("generate", text="a lighthouse", options=options_for("generate", size="64x64")))
    assert isinstance(final, ErrorEvent) and final.exit_code == 3
    assert "pip install 'screen-assistant[drawing]'" in final.message
