"""User settings, persisted as TOML in the platform config directory.

SCREEN_ASSISTANT_HOME overrides every location (config, data, history) so tests and portable
installs stay self-contained.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import tomli_w

APP_NAME = "screen-assistant"


def config_dir() -> Path:
    home = os.environ.get("SCREEN_ASSISTANT_HOME")
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = os.environ.get("SCREEN_ASSISTANT_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


@dataclass
class SpeechSettings:
    enabled: bool = True
    rate: int = 180  # words per minute
    volume: float = 1.0  # 0.0 - 1.0
    voice: str = ""  # engine voice id; empty = system default


@dataclass
class SafetySettings:
    # alt-profanity-check probability above which a word is masked
    text_threshold: float = 0.8
    # Yahoo open-NSFW probability above which an image is withheld
    image_threshold: float = 0.8


@dataclass
class ModelSettings:
    backend: str = "auto"  # auto | embedded | vlm
    vlm_preset: str = "smolvlm-256m"
    detail: str = "quick"  # quick | full
    stt_preset: str = "whisper-tiny-en"
    edit_preset: str = "auto"  # auto picks by device
    generate_preset: str = "auto"
    max_new_tokens: int = 160


@dataclass
class UiSettings:
    start_minimised: bool = False
    hotkeys: dict = field(
        default_factory=lambda: {
            # Ctrl+Alt+Shift avoids NVDA (Insert/CapsLock+key) and JAWS (Insert+key) gestures.
            "describe_screen": "ctrl+alt+shift+d",
            "describe_window": "ctrl+alt+shift+w",
            "describe_region": "ctrl+alt+shift+r",
            "read_text": "ctrl+alt+shift+t",
            "ask": "ctrl+alt+shift+a",
            "repeat": "ctrl+alt+shift+p",
            "stop_speaking": "ctrl+alt+shift+s",
            "open_app": "ctrl+alt+shift+o",
        }
    )
    saved_prompts: list = field(
        default_factory=lambda: [
            "Describe only the chart.",
            "List the buttons.",
            "What is the error message?",
            "Summarise the text.",
        ]
    )


@dataclass
class Settings:
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    max_pixels: int = 100_000_000

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.toml"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or cls.path()
        settings = cls()
        if not path.exists():
            return settings
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return settings  # a broken file must never stop the app; defaults apply
        for section in ("speech", "safety", "models", "ui"):
            target = getattr(settings, section)
            for key, value in (raw.get(section) or {}).items():
                if hasattr(target, key):
                    setattr(target, key, value)
        if isinstance(raw.get("max_pixels"), int):
            settings.max_pixels = raw["max_pixels"]
        return settings

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(dataclasses.asdict(self)), encoding="utf-8")
        os.replace(tmp, path)
        return path
