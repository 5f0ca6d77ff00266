"""The packaging recipes (not buildable here: PyInstaller + Inno Setup need Windows, py2app
needs macOS) stay consistent with the app: every embedded model package travels in both
builds, the macOS bundle carries its permission strings and minimum system, the Windows
installer is per-user, the frozen build keeps one OpenMP runtime, and the CI workflow builds
and tests what the docs promise."""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "windows" / "screen-assistant.spec"
ISS = ROOT / "packaging" / "windows" / "installer.iss"
PY2APP = ROOT / "packaging" / "macos" / "setup.py"
WORKFLOW = ROOT / ".github" / "workflows" / "platforms.yml"


def _assigned(path: Path, name: str):
    """A top-level constant of a build script, without running the build (its plain
    assignments only, in order, so one constant may use another)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    plain = [n for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)]
    namespace: dict = {}
    for node in plain:
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
        except NameError:  # uses PyInstaller's own names (Analysis, SPECPATH …): not a constant
            continue
    assert name in namespace, f"{name} is not assigned in {path.name}"
    return namespace[name]


def _embedded_import_names() -> set[str]:
    """Import names of the packages that ship the embedded models (resources/models.toml)."""
    presets = tomllib.loads((ROOT / "assistant" / "resources" / "models.toml").read_text(encoding="utf-8"))
    # the project's own package (the text filter's word table) is built in by definition
    dists = {p["package"] for p in presets["presets"].values() if p.get("package")} - {"screen-assistant"}
    by_dist: dict[str, set[str]] = {}
    for module, owners in importlib.metadata.packages_distributions().items():
        for owner in owners:
            by_dist.setdefault(owner.lower(), set()).add(module)
    missing = [d for d in dists if d.lower() not in by_dist]
    assert not missing, f"not installed: {missing}"
    return {m for d in dists for m in by_dist[d.lower()] if not m.startswith("_")}


def test_every_embedded_model_package_is_in_both_builds():
    needed = _embedded_import_names()
    assert needed <= set(_assigned(SPEC, "MODEL_PACKAGES")), "add it to MODEL_PACKAGES in the PyInstaller spec"
    assert needed <= set(_assigned(PY2APP, "PACKAGES")), "add it to PACKAGES in packaging/macos/setup.py"


def test_the_windows_build_carries_every_packaged_resource():
    spec = SPEC.read_text(encoding="utf-8")
    assert 'collect_data_files("assistant", includes=["resources/*"])' in spec


def test_macos_bundle_has_its_permission_strings_and_minimum_system():
    plist = _assigned(PY2APP, "OPTIONS")["plist"]
    assert "screen" in plist["NSScreenCaptureUsageDescription"].lower()
    assert "dictate" in plist["NSMicrophoneUsageDescription"].lower()
    assert plist["LSMinimumSystemVersion"] == "14.0"  # torch 2.13.0: macOS 14+ arm64 wheels only
    assert _assigned(PY2APP, "OPTIONS")["arch"] == "arm64"


def test_windows_build_keeps_one_openmp_runtime_and_two_programs():
    spec = SPEC.read_text(encoding="utf-8")
    assert "libiomp5md.dll" in spec and 'name="ScreenAssistant"' in spec and "console=False" in spec
    assert 'name="screen-assistant"' in spec and "console=True" in spec


def test_windows_installer_is_per_user():
    iss = ISS.read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss and r"DefaultDirName={autopf}" in iss
    assert 'Source: "{#SourceDir}\\*"' in iss and "HKCU" in iss


def test_workflow_tests_and_builds_on_both_systems():
    text = WORKFLOW.read_text(encoding="utf-8")
    for needle in (
        "windows-latest",
        "macos-14",
        "python -m pytest",
        "pyinstaller packaging/windows/screen-assistant.spec",
        "iscc",
        "python setup.py py2app",
        "hdiutil create",
        "pipx install",
    ):
        assert needle in text, needle
