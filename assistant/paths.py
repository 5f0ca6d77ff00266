"""Where the app keeps its files. A module of its own, light to import: the `trigger` command
needs the data folder (its channel lives there) and must start fast, without the settings code.

SCREEN_ASSISTANT_HOME overrides every location (config, data, history) so tests and portable
installs stay self-contained.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "screen-assistant"


def config_dir() -> Path:
    home = os.environ.get("SCREEN_ASSISTANT_HOME")
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = os.environ.get("SCREEN_ASSISTANT_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))
