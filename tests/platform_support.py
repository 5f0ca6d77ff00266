"""Which tests can run on this operating system, with the reason when they cannot.

The suite runs on Linux, Windows and macOS (the CI workflow's runners). Tests that judge
espeak-ng's speech or need an X server are Linux-only by nature: there they are skipped with a
reason shown in the summary (`-ra`), never passed silently. On Linux a missing espeak-ng or
Xvfb is a setup problem, and the tests say so themselves.
"""

from __future__ import annotations

import sys

LINUX = sys.platform.startswith("linux")

REASONS = {
    "espeak": "judged against espeak-ng speech, the Linux voice; Windows (SAPI5) and macOS speech are "
    "tested with fakes of their own APIs",
    "xvfb": "needs Xvfb, an X server for Linux; screen capture on Windows and macOS is tested through "
    "its platform logic with fakes",
}


def skip_reason(marker: str, platform: str | None = None) -> str | None:
    """The reason a test with `marker` cannot run on `platform` (default: this one), or None."""
    linux = (platform or sys.platform).startswith("linux")
    if marker in REASONS and not linux:
        return f"Not on {platform or sys.platform}: {REASONS[marker]}."
    return None
