"""The built wheel works outside the checkout: installed into a clean environment, its commands
find their packaged resources from any directory (models.toml, intents.toml, labels, the
text filter's word table)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from .conftest import render_text

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600  # hang guard only


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), str(ROOT)],
        check=True,
        timeout=TIMEOUT,
        capture_output=True,
    )
    (wheel,) = work.glob("screen_assistant-*.whl")
    env_dir = work / "clean"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=TIMEOUT,
        capture_output=True,
    )
    # The dependencies (torch and the rest) come from this test run's environment, by a path
    # entry only: its editable copy of the project is not visible there.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir, work


def _run(env_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    return subprocess.run(
        [str(env_dir / "bin" / "screen-assistant"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    env_dir, work = installed
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    ).stdout
    assert str(env_dir) in where and str(ROOT) not in where
    assert (env_dir / "bin" / "screen-assistant-gui").exists()


def test_models_list_route_and_read_from_any_directory(installed, home):
    env_dir, work = installed
    listed = _run(env_dir, work, "models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {"smolvlm-256m", "minilm"} <= {row["preset"] for row in json.loads(listed.stdout)}
    routed = _run(env_dir, work, "route", "please read this to me", "--has-image", "--json")
    assert routed.returncode == 0, routed.stderr
    assert json.loads(routed.stdout)["intent"] == "read_text"
    picture = work / "page.png"
    render_text(["Packaged resources", "work everywhere"]).save(picture)
    read = _run(env_dir, work, "read", str(picture))
    assert read.returncode == 0, read.stderr
    assert "Packaged resources" in read.stdout and "Traceback" not in read.stderr
