"""UTF-8 output through a pipe whose encoding cannot hold the text (a Windows cp1252 pipe,
emulated here with PYTHONIOENCODING=cp1252, which sets the same stream encoding)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Arrow → Greek Ωμέγα, Japanese 東京, Cyrillic Привет"


def _run(code: str, **extra_env) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="cp1252", **extra_env)
    env.pop("PYTHONUTF8", None)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)


def test_the_pipe_really_is_cp1252_without_the_fix():
    """The emulation is real: a plain print of the text fails exactly as on Windows."""
    out = _run(f"print({TEXT!r})")
    assert out.returncode != 0 and b"UnicodeEncodeError" in out.stderr


def test_print_to_stdout_and_stderr_after_ensure_utf8_stdio():
    code = (
        "import sys\n"
        "from assistant.platforms import ensure_utf8_stdio\n"
        "changed = ensure_utf8_stdio()\n"
        f"print({TEXT!r})\n"
        f"print({TEXT!r}, file=sys.stderr)\n"
        "print(sorted(changed))\n"
        "print(ensure_utf8_stdio())\n"  # a second call changes nothing
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    lines = out.stdout.decode("utf-8").splitlines()
    assert lines == [TEXT, "['stderr', 'stdout']", "[]"]
    assert out.stderr.decode("utf-8").strip() == TEXT


def test_a_real_command_prints_non_latin_text():
    """`route` quotes the utterance it did not understand: it crashed on this before."""
    code = (
        "import sys\n"
        "from assistant.platforms import ensure_utf8_stdio\n"
        "ensure_utf8_stdio()\n"
        "from assistant.cli import main\n"
        "sys.exit(main(['route', 'read 東京 → now']))\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert "東京" in out.stdout.decode("utf-8")


def test_python_dash_m_assistant_is_utf8_safe():
    env = dict(os.environ, PYTHONIOENCODING="cp1252")
    env.pop("PYTHONUTF8", None)
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "route", "read 東京 → now"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert "東京" in out.stdout.decode("utf-8")


def test_lone_surrogates_do_not_fail():
    """An undecodable file name (surrogate-escaped) is printed with a replacement mark."""
    code = (
        "import sys\n"
        "from assistant.platforms import ensure_utf8_stdio\n"
        "ensure_utf8_stdio()\n"
        "print('file \\udcff.png')\n"
        "print('file \\udcff.png', file=sys.stderr)\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert out.stdout.decode("utf-8").strip() == "file ?.png"
    assert out.stderr.decode("utf-8").strip() == "file \\udcff.png"


def test_streams_that_are_not_text_files_are_left_alone(monkeypatch):
    import io

    from assistant.platforms import ensure_utf8_stdio

    monkeypatch.setattr(sys, "stdout", None)  # a windowed app (pythonw, gui_scripts) has none
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert ensure_utf8_stdio() == []
