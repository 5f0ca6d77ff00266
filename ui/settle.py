"""When the screen no longer shows the app: the window hides for a capture (the app never
describes itself), and the capture waits until what was behind it is back on screen.

A fixed wait (HIDE_FOR_CAPTURE_MS, 250 ms) was the whole of it before; it was a quarter of a
second on every capture, and still only a guess. Now the screen is looked at: before hiding, the
area the window covers is grabbed and compared, tile by tile, with the window's own rendering;
the tiles that match are the ones that showed the app (a covered part shows another window and
does not match). After hiding, the area is grabbed again every POLL_MS until none of those
tiles still shows the app and two grabs in a row agree (the windows behind have repainted and
nothing is still fading out); then the capture is taken. When no tile matched (the window is
covered entirely, or this platform's screen grab never equals the app's rendering: colour
management) nothing can be told apart, and the fixed wait is used as before, unless this
screen's grabs were already seen to equal the app's rendering (an earlier capture, or the check
once the window first showed): then no tile matching means nothing of the app is on screen (the
program the user works in covers it), and the capture is taken at once. The fixed wait is also the
longest any capture waits.

The window itself comes back no sooner than RETURN_AFTER_MS after it hid (the capture does not
wait for that): shown again at once, openbox left the focus with nobody.

Measured under Xvfb + openbox without a compositor (bench/bench_trigger_speech.py): windows
behind the app repaint within 3-45 ms of the hide, also with the two cores fully busy.
"""

from __future__ import annotations

import numpy as np

HIDE_FOR_CAPTURE_MS = 250  # the longest wait, and the wait when the screen cannot tell us
RETURN_AFTER_MS = 250  # the window is hidden at least this long
POLL_MS = 10
TILE = 16  # pixels: a line of text is about this high


def _tiles(image: np.ndarray, tile: int) -> np.ndarray:
    """(rows, cols, tile, tile, channels) view of the image cut to whole tiles."""
    h, w = image.shape[0] - image.shape[0] % tile, image.shape[1] - image.shape[1] % tile
    cut = image[:h, :w]
    return cut.reshape(h // tile, tile, w // tile, tile, -1).swapaxes(1, 2)


def tiles_equal(a: np.ndarray, b: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Per tile: are the two pictures identical there?"""
    return np.all(_tiles(a, tile) == _tiles(b, tile), axis=(2, 3, 4))


def busy_tiles(image: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Per tile: does it hold more than one colour? (A plain tile of ours cannot be told from a
    plain tile of the window behind, and says nothing either way.)"""
    t = _tiles(image, tile)
    return np.any(t != t[:, :, :1, :1, :], axis=(2, 3, 4))


class ScreenSettle:
    """Qt-free decision: has the area the window covered stopped showing it?

    before: the screen area just before hiding; own: the window's own rendering of the same
    area (same size, physical pixels)."""

    def __init__(self, before: np.ndarray, own: np.ndarray, tile: int = TILE, grabs_match: bool = False):
        self.tile = tile
        self.grabs_match = grabs_match  # this screen's grabs were seen to equal our rendering before
        self.own = own
        self.ours: np.ndarray | None = None  # tiles that showed the app
        if before.shape == own.shape and before.ndim == 3 and min(before.shape[:2]) >= tile:
            self.ours = tiles_equal(before, own, tile) & busy_tiles(own, tile)
        self._last: np.ndarray | None = None

    @property
    def known(self) -> bool:
        """False: nothing on screen could be told to be the app's: wait the fixed time instead."""
        return self.ours is not None and bool(self.ours.any())

    @property
    def hidden_already(self) -> bool:
        """Nothing of the app is on screen: no tile of it shows, and this screen's grabs are
        known to show it where it is visible. Nothing to wait for."""
        return self.grabs_match and self.ours is not None and not self.ours.any()

    def settled(self, sample: np.ndarray) -> bool:
        """Feed the area grabbed after hiding; True once nothing of the app is left in it and
        it did not change since the previous sample."""
        if not self.known or sample.shape != self.own.shape:
            return False
        last, self._last = self._last, sample
        still_ours = self.ours & tiles_equal(sample, self.own, self.tile)
        return not still_ours.any() and last is not None and np.array_equal(last, sample)
