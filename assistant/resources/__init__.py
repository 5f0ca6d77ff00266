"""Data files shipped inside the package (presets, intent examples, labels).

Read them with `resource(name)`, never through a path relative to the checkout, so an installed
wheel works from any directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(name: str) -> Traversable:
    """The packaged data file `name` (e.g. "models.toml")."""
    return resources.files(__name__) / name
