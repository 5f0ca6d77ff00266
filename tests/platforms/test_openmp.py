"""One OpenMP runtime per process on Windows (torch's; ctranslate2 shares it).

Here (Linux) the packages' real Windows loading code runs against a simulated Windows loader
(tests/platforms/windows_loader_sim.py) to see which DLLs a Windows process would map. On a
Windows machine (the CI workflow's windows-latest job) the last test checks a real process.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.platforms import openmp

from .windows_loader_sim import SimulatedWindows, lay_out, run_ctranslate2_loader, run_torch_loader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def windows(tmp_path, monkeypatch):
    def make(glob_order="ntfs", with_torch=True):
        torch_dir, ct2_dir = lay_out(tmp_path / "site-packages", with_torch=with_torch)
        sim = SimulatedWindows(torch_dir if with_torch else None, ct2_dir)
        sim.install(monkeypatch, ct2_dir, glob_order)
        sim.torch_dir, sim.ct2_dir = torch_dir, ct2_dir
        sim.torch_runtime = torch_dir / "lib" / "libiomp5md.dll"
        return sim

    return make


def _prepare(sim, monkeypatch):
    return openmp.prepare_ctranslate2(
        platform="win32",
        loader=sim.loader(),
        importer=lambda: run_ctranslate2_loader(monkeypatch),
        torch_runtime=sim.torch_runtime if sim.torch_dir.exists() else None,
    )


# ---- what happened before: two runtimes in whichever order ------------------------------------
@pytest.mark.parametrize("torch_first", [True, False])
def test_without_the_fix_both_runtimes_are_mapped(windows, monkeypatch, torch_first):
    sim = windows()
    if torch_first:
        run_torch_loader(monkeypatch, sim.torch_dir)
        run_ctranslate2_loader(monkeypatch)
    else:
        run_ctranslate2_loader(monkeypatch)
        run_torch_loader(monkeypatch, sim.torch_dir)
    assert len(sim.openmp_copies()) == 2  # the OMP: Error #15 set-up


# ---- with the fix: one runtime, torch's, in either order ---------------------------------------
@pytest.mark.parametrize("glob_order", ["ntfs", "reversed"])
def test_torch_first_then_whisper_maps_one_runtime(windows, monkeypatch, glob_order):
    sim = windows(glob_order)
    run_torch_loader(monkeypatch, sim.torch_dir)
    assert "shares" in _prepare(sim, monkeypatch)
    assert sim.openmp_copies() == [sim._key(sim.torch_runtime)]
    assert sim.bound_runtime(sim.ct2_dir / "ctranslate2.dll") == sim._key(sim.torch_runtime)
    assert sim.bound_runtime(sim.torch_dir / "lib" / "torch_cpu.dll") == sim._key(sim.torch_runtime)


@pytest.mark.parametrize("glob_order", ["ntfs", "reversed"])
def test_whisper_first_then_torch_maps_one_runtime(windows, monkeypatch, glob_order):
    sim = windows(glob_order)
    _prepare(sim, monkeypatch)
    run_torch_loader(monkeypatch, sim.torch_dir)
    assert sim.openmp_copies() == [sim._key(sim.torch_runtime)]
    assert sim.bound_runtime(sim.ct2_dir / "ctranslate2.dll") == sim._key(sim.torch_runtime)
    assert sim.bound_runtime(sim.torch_dir / "lib" / "torch_cpu.dll") == sim._key(sim.torch_runtime)


def test_without_torch_ctranslate2_keeps_its_own_runtime(windows, monkeypatch):
    sim = windows(with_torch=False)
    assert "not installed" in _prepare(sim, monkeypatch)
    run_ctranslate2_loader(monkeypatch)  # the caller's own import, unchanged
    assert sim.openmp_copies() == [sim._key(sim.ct2_dir / "libiomp5md.dll")]


def test_ctypes_is_restored_after_the_import(windows, monkeypatch):
    import ctypes

    sim = windows()
    before = ctypes.CDLL
    _prepare(sim, monkeypatch)
    assert ctypes.CDLL is before


def test_other_systems_need_nothing():
    assert openmp.prepare_ctranslate2(platform="linux") == "not needed on this system"
    assert openmp.prepare_ctranslate2(platform="darwin") == "not needed on this system"
    if sys.platform != "win32":
        assert openmp.loaded_openmp_runtimes() == []


def test_torch_runtime_is_found_without_importing_torch(tmp_path, monkeypatch):
    torch_dir, _ = lay_out(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    assert openmp.torch_openmp_path() == torch_dir / "lib" / "libiomp5md.dll"
    assert "torch" not in sys.modules


# ---- every place the app loads ctranslate2 goes through the fix --------------------------------
GUARDED = ("faster_whisper", "ctranslate2")


def _unguarded_imports(path: Path) -> list[str]:
    """Imports of faster_whisper/ctranslate2 not preceded, in their function, by prepare_ctranslate2()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if not any(n.split(".")[0] in GUARDED for n in names):
            continue
        function = node
        while function in parents and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = parents[function]
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _prepared_before(
            function, node.lineno
        ):
            problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return problems


def _prepared_before(function: ast.AST, lineno: int) -> bool:
    return any(
        isinstance(c, ast.Call)
        and getattr(c.func, "id", getattr(c.func, "attr", None)) == "prepare_ctranslate2"
        and c.lineno < lineno
        for c in ast.walk(function)
    )


def test_every_faster_whisper_import_in_the_app_is_prepared():
    problems = []
    for path in sorted((ROOT / "assistant").rglob("*.py")):
        problems += _unguarded_imports(path)
    assert not problems, "import faster_whisper/ctranslate2 without prepare_ctranslate2() first: " + ", ".join(problems)


# ---- a real Windows process (the CI workflow's Windows job) ------------------------------------
CHECK = """
import numpy as np
from assistant.platforms.openmp import loaded_openmp_runtimes, prepare_ctranslate2
from assistant.errors import BadInput
order = {order!r}
def use_torch():
    from assistant.vision import classify  # the photo hint's module
    import torch
    (torch.randn(512, 512) @ torch.randn(512, 512)).sum().item()  # runs OpenMP threads
def use_whisper():
    from assistant.models import ModelStore
    from assistant.speech.stt import transcriber_for
    try:
        transcriber_for(ModelStore(), "whisper-tiny-en").transcribe(
            (0.1 * np.sin(np.arange(32000) * 0.05)).astype(np.float32))
    except BadInput:
        pass  # a tone has no words; the encoder and decoder still ran
for step in order:
    use_torch() if step == "torch" else use_whisper()
print(len(loaded_openmp_runtimes()), loaded_openmp_runtimes())
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "win32", reason="needs a real Windows process (runs in the CI Windows job)")
@pytest.mark.parametrize("order", [("torch", "whisper"), ("whisper", "torch")])
def test_a_real_windows_process_has_one_openmp_runtime(order):
    out = subprocess.run(
        [sys.executable, "-c", CHECK.format(order=order)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().startswith("1 "), out.stdout
