"""The real-stack fixture: one app under Xvfb + openbox + D-Bus + AT-SPI + speech-dispatcher
for the whole module (starting it once keeps the walk well under two minutes).

Runs as root (as CI's `.ci/run` does on a fresh Debian machine, where scripts/setup.sh has
installed the packages). Elsewhere it skips with the reason; in CI (CI set) a missing package
is a failure, so a broken install step can never pass as a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.a11y.session import A11yError, AppSession
from tests.a11y.stack import Stack, StackError, missing_packages

# Figures the walk collects (AT-SPI counts per window, status texts), printed at the end of
# the run and written next to the stack's logs: the issue wants before/after numbers.
REPORT: dict = {"windows": {}, "status_texts": {}, "focus_after": []}


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") and os.geteuid() == 0:
        pytest.fail(f"{reason} (CI runs as root after scripts/setup.sh installed the packages)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def stack():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip(
            "The real-stack accessibility test runs as root, as CI's .ci/run does "
            "(it starts its own X server, buses and speech-dispatcher)."
        )
    missing = missing_packages()
    if missing:
        _skip_or_fail(
            "The real accessibility stack needs these Debian packages: "
            + ", ".join(missing)
            + " (apt-get install them, or run scripts/setup.sh as root)."
        )
    root = Path(tempfile.mkdtemp(prefix="a11y-stack-"))
    stack = Stack(root)
    try:
        stack.start()
    except StackError as exc:
        stack.stop()
        pytest.fail(f"The accessibility stack did not start: {exc}", pytrace=False)
    yield stack
    stack.stop()
    if not os.environ.get("A11Y_KEEP"):  # A11Y_KEEP=1 keeps the logs (app, client, speech-dispatcher)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def app(stack):
    session = AppSession(stack, stack.root / "home")
    try:
        session.start()
    except A11yError as exc:
        session.stop()
        pytest.fail(str(exc), pytrace=False)
    yield session
    session.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    if not REPORT["windows"]:
        return
    terminalreporter.section("AT-SPI figures (real stack)")
    for window, counts in REPORT["windows"].items():
        terminalreporter.write_line(
            f"{window:<28} nodes {counts['nodes']:>4}  focusable {counts['focusable']:>4}  "
            f"named {counts['named']:>4}  unnamed {counts['unnamed']:>3}"
        )
    for name, text in REPORT["status_texts"].items():
        shown = "not readable (no Text interface)" if text is None else f"readable: {text!r}"
        terminalreporter.write_line(f"status text {name!r}: {shown}")
    for step, where in REPORT["focus_after"]:
        terminalreporter.write_line(f"focus after {step:<52} {where}")
    readable = sum(1 for t in REPORT["status_texts"].values() if t is not None)
    terminalreporter.write_line(f"status texts readable: {readable} of {len(REPORT['status_texts'])}")
    out = Path(tempfile.gettempdir()) / "a11y-report.json"
    out.write_text(json.dumps(REPORT, indent=1))
    terminalreporter.write_line(f"(written to {out})")
