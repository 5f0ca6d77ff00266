"""Per-image edit history with undo and redo.

One history follows one picture: it starts from the picture the first edit was made to and
records every edited version. When the session's current picture is replaced by something
that is not in the history (a new capture or file), a new history starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

MAX_STEPS = 20  # older steps are dropped: a 12-megapixel picture takes 36 MB per step


@dataclass
class EditStep:
    image: Image.Image
    summary: str  # what produced this version ("Rotated left.")


@dataclass
class EditHistory:
    steps: list[EditStep] = field(default_factory=list)  # steps[0] is the original picture
    index: int = 0  # the version currently shown

    @classmethod
    def start(cls, image: Image.Image) -> EditHistory:
        return cls(steps=[EditStep(image, "")], index=0)

    @property
    def current(self) -> Image.Image:
        return self.steps[self.index].image

    def follows(self, image: Image.Image | None) -> bool:
        """True if `image` is the version this history currently shows."""
        return image is not None and image is self.current

    def push(self, image: Image.Image, summary: str) -> None:
        """Record a new version; anything that had been undone is discarded."""
        del self.steps[self.index + 1 :]
        self.steps.append(EditStep(image, summary))
        if len(self.steps) > MAX_STEPS + 1:
            del self.steps[1 : len(self.steps) - MAX_STEPS]  # keep the original and the newest steps
        self.index = len(self.steps) - 1

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.steps) - 1

    def undo(self) -> EditStep:
        """Step back; returns the step that was undone (its summary says what it was)."""
        undone = self.steps[self.index]
        self.index -= 1
        return undone

    def redo(self) -> EditStep:
        self.index += 1
        return self.steps[self.index]


SESSION_KEY = "edits"


def history_for(extra: dict, image: Image.Image) -> EditHistory:
    """The history that shows `image`, or a new one starting from it."""
    history = extra.get(SESSION_KEY)
    if not isinstance(history, EditHistory) or not history.follows(image):
        history = extra[SESSION_KEY] = EditHistory.start(image)
    return history
