"""The suite is honest on every system: Linux-only tests are skipped with a reason elsewhere."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import pytest_collection_modifyitems
from tests.platform_support import skip_reason


@pytest.mark.parametrize("platform", ["win32", "darwin"])
@pytest.mark.parametrize("marker", ["espeak", "xvfb"])
def test_linux_only_markers_have_a_reason_elsewhere(platform, marker):
    reason = skip_reason(marker, platform)
    assert reason is not None and reason.startswith(f"Not on {platform}:")


def test_nothing_is_skipped_on_linux_or_for_other_markers():
    assert skip_reason("espeak", "linux") is None and skip_reason("xvfb", "linux") is None
    assert skip_reason("slow", "win32") is None


class _Item:
    def __init__(self, *marks):
        self.marks = [getattr(pytest.mark, m).mark for m in marks]

    def iter_markers(self):
        return iter(list(self.marks))

    def add_marker(self, mark):
        self.marks.append(mark.mark)


def test_collection_adds_the_skip_on_windows(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    espeak, xvfb, plain = _Item("espeak"), _Item("xvfb", "slow"), _Item("slow")
    pytest_collection_modifyitems(None, [espeak, xvfb, plain])
    skips = [[m for m in item.marks if m.name == "skip"] for item in (espeak, xvfb, plain)]
    assert [len(s) for s in skips] == [1, 1, 0]
    assert "espeak-ng" in skips[0][0].kwargs["reason"] and "X server" in skips[1][0].kwargs["reason"]
