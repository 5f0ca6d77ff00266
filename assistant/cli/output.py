"""The CLI's only way to print: gated text (SafeText) to stdout or stderr.

Text the user or a model wrote goes through `gated()` first; a constant sentence of ours goes
through `safety.trusted("...")` (a literal only)."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

from ..events import SafeText
from ..safety import SafetyGate


@lru_cache(maxsize=1)
def gate() -> SafetyGate:
    from ..config import Settings

    return SafetyGate.from_settings(Settings.load())


def gated(text: str) -> SafeText:
    """`text` through the same text gate as the engine's answers."""
    if isinstance(text, SafeText):
        return text
    return gate().filter_text(text)[0]


def out(text: SafeText, end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


def err(text: SafeText) -> None:
    print(text, file=sys.stderr, flush=True)


def out_json(data: Any, indent: int | None = None) -> None:
    """One JSON document; every string in it passes the gate."""
    out(gate().json(data, indent))
