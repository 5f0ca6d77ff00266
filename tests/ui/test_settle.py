"""The capture waits until the screen no longer shows the app (ui/settle.py), not a fixed
quarter of a second: the decision on pixels, and the window's hide-grab-return around it."""

from __future__ import annotations

import numpy as np
import pytest

from ui import main_window
from ui.settle import TILE, ScreenSettle

rng = np.random.default_rng(7)


def picture(h: int = 4 * TILE, w: int = 6 * TILE) -> np.ndarray:
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_not_settled_while_the_window_is_still_on_screen():
    own = picture()
    settle = ScreenSettle(before=own.copy(), own=own)
    assert settle.known
    # stale pixels (no compositor, the window behind has not repainted yet): twice the same
    assert not settle.settled(own.copy())
    assert not settle.settled(own.copy())


def test_settled_once_the_window_is_gone_and_the_screen_is_still():
    own, behind = picture(), picture()
    settle = ScreenSettle(before=own.copy(), own=own)
    assert not settle.settled(behind.copy())  # gone, but one look cannot tell it is still
    assert settle.settled(behind.copy())


def test_not_settled_while_the_screen_still_changes():
    own = picture()
    settle = ScreenSettle(before=own.copy(), own=own)
    for _ in range(5):  # a fade-out: every look differs from the last
        assert not settle.settled(picture())


def test_a_part_still_showing_the_window_keeps_it_waiting():
    own, behind = picture(), picture()
    settle = ScreenSettle(before=own.copy(), own=own)
    partly = behind.copy()
    partly[:TILE, :TILE] = own[:TILE, :TILE]  # one window behind repainted, another not yet
    assert not settle.settled(partly.copy())
    assert not settle.settled(partly.copy())
    assert not settle.settled(behind.copy())
    assert settle.settled(behind.copy())


def test_a_covered_part_does_not_have_to_change():
    own, other_app = picture(), picture()
    before = own.copy()
    before[:, : 3 * TILE] = other_app[:, : 3 * TILE]  # another program's window covers our left half
    settle = ScreenSettle(before=before, own=own)
    after = before.copy()
    after[:, 3 * TILE :] = picture()[:, 3 * TILE :]  # our right half is replaced by what was behind
    assert not settle.settled(after.copy())
    assert settle.settled(after.copy())


@pytest.mark.parametrize(
    "before, own",
    [
        (picture(), picture()),  # covered entirely, or a grab that never equals our rendering
        (np.full((64, 64, 3), 255, np.uint8), np.full((64, 64, 3), 255, np.uint8)),  # plain: says nothing
        (picture(64, 64), picture(64, 80)),  # sizes differ (the window spans two screens)
    ],
)
def test_when_nothing_can_be_told_apart_the_fixed_wait_is_used(before, own):
    settle = ScreenSettle(before=before, own=own)
    assert not settle.known
    assert not settle.settled(picture())
    assert not settle.settled(picture())


# ---- the window around it --------------------------------------------------------------------
def test_the_capture_waits_for_the_screen_to_settle(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window, "HIDE_FOR_CAPTURE_MS", 600_000)  # only the pixels decide here
    own, behind = picture(), picture()
    looks = [own, own, behind, behind, behind]
    taken: list[int] = []

    def sample():
        taken.append(1)
        return looks[len(taken) - 1].copy()

    monkeypatch.setattr(window, "_settle_check", lambda: (ScreenSettle(own.copy(), own), sample))
    grabbed = []
    monkeypatch.setattr(window, "_capture_and_run", lambda *a: grabbed.append((len(taken), window.isVisible())))
    window.trigger("describe_screen")
    qtbot.waitUntil(lambda: bool(grabbed), timeout=20000)
    assert grabbed == [(4, False)]  # after the 4th look (gone, then still), with the window hidden
    qtbot.waitUntil(window.isVisible, timeout=5000)


def test_without_a_usable_grab_the_capture_still_happens_hidden(qtbot, window, monkeypatch):
    monkeypatch.setattr(window, "_settle_check", lambda: (None, None))
    grabbed = []
    monkeypatch.setattr(window, "_capture_and_run", lambda *a: grabbed.append(window.isVisible()))
    window.trigger("describe_screen")
    qtbot.waitUntil(lambda: bool(grabbed), timeout=20000)
    assert grabbed == [False]
    qtbot.waitUntil(window.isVisible, timeout=5000)


def test_a_covered_window_needs_no_wait_once_grabs_are_known_to_match():
    """No tile shows the app (the program the user works in covers it). If this screen's grabs
    were seen to equal the app's rendering before, nothing of the app is on screen: capture at
    once. Not known (a first capture, colour management): the fixed wait, as before."""
    before, own = picture(), picture()
    assert ScreenSettle(before, own, grabs_match=True).hidden_already
    assert not ScreenSettle(before, own, grabs_match=False).hidden_already
    visible = own.copy()
    assert not ScreenSettle(visible, own, grabs_match=True).hidden_already  # the app shows: wait for it
    assert not ScreenSettle(picture(64, 64), picture(64, 80), grabs_match=True).hidden_already  # sizes differ


def test_a_covered_window_is_captured_without_the_fixed_wait(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window, "HIDE_FOR_CAPTURE_MS", 600_000)  # a wait would time the test out
    own = picture()
    looks: list[np.ndarray] = []
    # An earlier capture showed the app: grabs are known to match here.
    window._grabs_match = False
    monkeypatch.setattr(main_window.capture, "grab_area", lambda *a: own.copy())
    monkeypatch.setattr(main_window.capture, "pixmap_pixels", lambda *a: own.copy())
    settle, _ = window._settle_check()
    assert settle.known and window._grabs_match
    # Now other windows cover it entirely.
    monkeypatch.setattr(main_window.capture, "grab_area", lambda *a: looks.append(1) or picture())
    grabbed = []
    monkeypatch.setattr(window, "_capture_and_run", lambda *a: grabbed.append(window.isVisible()))
    window.trigger("describe_screen")
    qtbot.waitUntil(lambda: bool(grabbed), timeout=20000)
    assert grabbed == [False] and len(looks) == 1  # hidden, at once, after the one look before hiding
    qtbot.waitUntil(window.isVisible, timeout=5000)
