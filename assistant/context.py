"""What a request handler may use from the engine. Handlers take a Context, never the Engine
class itself, so handler modules never import engine.py (no import circle) and tests can hand
them any object with these members."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from PIL import Image

from .config import Settings
from .events import Request
from .session import Session

if TYPE_CHECKING:
    from .models import ModelStore
    from .safety import SafetyGate
    from .vision.base import VisionBackend


class Context(Protocol):
    settings: Settings
    store: ModelStore
    gate: SafetyGate
    session: Session

    @property
    def cancel_event(self) -> threading.Event: ...

    def check_cancelled(self) -> None:
        """Raise Cancelled if the user cancelled."""

    def prepare_image(self, request: Request) -> Image.Image:
        """The request's picture (loaded, validated, made current) or the session's current one."""

    def backend(self, kind: str) -> VisionBackend:
        """A vision backend by kind, loaded once."""

    def choose_backend(self, request: Request, text_heavy: bool = False) -> str:
        """Which backend kind serves this request."""

    def check_picture(self, image: Image.Image) -> Image.Image:
        """Pass a picture the user will see through the image gate; raises Blocked when withheld."""
