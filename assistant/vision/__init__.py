"""Vision backends: describe / ask / read_text behind one interface (see base.py)."""

from .base import TextLine, VisionBackend

__all__ = ["TextLine", "VisionBackend"]
