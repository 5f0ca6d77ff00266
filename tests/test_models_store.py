"""Registry, store and the `models` CLI, offline."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from assistant.config import Settings
from assistant.errors import BadInput, ModelUnavailable
from assistant.models import ModelStore, Preset, Registry

ROOT = Path(__file__).resolve().parents[1]


def _model_dir(tmp_path):
    d = tmp_path / "tiny-model"
    d.mkdir()
    save_file({"w": torch.zeros(4, 4)}, str(d / "model.safetensors"))
    (d / "config.json").write_text('{"model_type": "tiny"}')
    return d


def _cli(*args, home):
    env = dict(os.environ, SCREEN_ASSISTANT_HOME=str(home), HF_HOME=str(home / "hf"), HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_every_preset_has_task_size_and_licence():
    presets = Registry().all()
    assert {
        "smolvlm-256m",
        "smolvlm-500m",
        "qwen2.5-vl-3b",
        "sd-turbo",
        "taesd",
        "instruct-pix2pix",
        "flux-schnell",
        "flux-dev",
        "flux-kontext-dev",
        "rapidocr",
        "whisper-tiny-en",
    } <= {p.name for p in presets}
    for p in presets:
        assert p.task and p.licence and p.licence != "unknown" and p.size_mb > 0
        assert (p.repo is None) != (p.package is None)


def test_hub_weights_are_safetensors_only():
    for p in Registry().all():
        if p.repo and p.task != "speech-recognition":  # CTranslate2 model.bin is not a pickle
            assert not any(pattern.endswith((".bin", ".pt", ".pth", ".ckpt")) for pattern in p.allow)


def test_missing_hub_preset_names_pull_command(home):
    store = ModelStore(Registry(), cache_dir=home / "empty-cache")
    with pytest.raises(ModelUnavailable) as err:
        store.path("smolvlm-256m")
    assert err.value.exit_code == 3
    assert "screen-assistant models pull smolvlm-256m" in err.value.message
    assert not store.is_installed("smolvlm-256m")


def test_embedded_presets_installed_offline():
    store = ModelStore()
    for name in ("rapidocr", "open-nsfw", "profanity-check", "minilm", "whisper-tiny-en", "efficientnet-lite0"):
        assert store.is_installed(name), name


def test_unknown_preset_is_bad_input():
    with pytest.raises(BadInput, match="no model preset called 'nope'"):
        Registry().get("nope")


def test_local_preset_persisted_verified_and_removed(home, tmp_path):
    d = _model_dir(tmp_path)
    Registry().add_local("mine", d, task="image-text-to-text")
    store = ModelStore(Registry())  # a new registry reads the persisted local preset
    assert store.path("mine") == d.resolve()
    report = store.verify("mine")
    assert report.ok and report.files == 2
    store.remove("mine")
    assert "mine" not in Registry()


def test_verify_detects_truncated_safetensors(home, tmp_path):
    d = _model_dir(tmp_path)
    weights = d / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-20])
    registry = Registry()
    registry.register(Preset(name="broken", task="image-text-to-text", local_path=str(d)))
    report = ModelStore(registry).verify("broken")
    assert not report.ok and any("truncated" in p for p in report.problems)


def test_cli_models_list_json(home):
    proc = _cli("models", "list", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    rows = {r["preset"]: r for r in json.loads(proc.stdout)}
    assert rows["rapidocr"]["installed"] and not rows["smolvlm-256m"]["installed"]
    assert rows["smolvlm-256m"]["licence"] == "Apache-2.0"


def test_cli_pull_offline_exit_3_and_plain_message(home):
    proc = _cli("models", "pull", "taesd", home=home)
    assert proc.returncode == 3
    assert "Could not download 'taesd'" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_add_local_and_verify(home, tmp_path):
    d = _model_dir(tmp_path)
    assert _cli("models", "add-local", "mine", str(d), "--task", "image-text-to-text", home=home).returncode == 0
    proc = _cli("models", "verify", "mine", "--json", home=home)
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["ok"]
    proc = _cli("models", "verify", "nope", home=home)
    assert proc.returncode == 2 and "no model preset" in proc.stderr


def test_settings_round_trip(home):
    s = Settings()
    s.speech.rate = 220
    s.safety.image_threshold = 0.5
    s.ui.hotkeys["describe_screen"] = "ctrl+alt+shift+x"
    s.save()
    loaded = Settings.load()
    assert loaded.speech.rate == 220 and loaded.safety.image_threshold == 0.5
    assert loaded.ui.hotkeys["describe_screen"] == "ctrl+alt+shift+x"


def test_broken_settings_file_falls_back_to_defaults(home):
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text("this is [not toml")
    assert Settings.load().speech.rate == Settings().speech.rate
