"""Model registry (what presets exist) and store (where their files are). The ONLY place that
locates model weights: backends receive a directory from the store and never download."""

from .registry import Preset, Registry
from .store import ModelStore

__all__ = ["Preset", "Registry", "ModelStore"]
