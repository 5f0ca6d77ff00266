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

import tomli_w

from .commands import RENAMED, default_hotkeys, is_trigger
from .paths import APP_NAME as APP_NAME  # re-exported: the folders used to be defined here
from .paths import config_dir as config_dir
from .paths import data_dir as data_dir
from .remote.settings import RemoteSettings


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
    # The input picture's own check: warn (say so first, blur the preview until shown),
    # withhold (answer nothing about it), off.
    picture_check: str = "warn"


@dataclass
class EmbeddedSettings:
    """The offline describer (OCR, layout, objects)."""

    # EfficientNet-Lite0 labels for photos the detector finds nothing in. Off by default: on the
    # six evaluation photos without a COCO object it was never confident, the one confident
    # hint on record ("modem" for a circuit board) was wrong. (It runs in numpy: ~9 MB, no torch.)
    imagenet_hints: bool = False
    cache_images: int = 4  # analyses kept (each about the picture's RGB size)
    # The object detector (~190 MB) is let go after this many seconds without a photo and
    # loaded again (~0.3 s, overlapping the photo's text detection) for the next one.
    detector_idle_seconds: float = 20.0


@dataclass
class OutputSettings:
    """Where answers are spoken. speak_with: auto (the screen reader when one is running, else the
    app's own voice) | screen-reader | voice | both | text. braille: answers on a braille display."""

    speak_with: str = "auto"
    braille: bool = True


@dataclass
class HistorySettings:
    """What the history keeps. keep_days / keep_captures of 0 mean no limit of that kind."""

    keep_days: float = 30.0
    keep_captures: int = 0
    private: bool = False  # keep nothing: no history file is read or written


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
    # command id -> global hotkey; defaults from assistant/commands.py. Ctrl+Alt+Shift avoids
    # NVDA (Insert/CapsLock+key) and JAWS (Insert+key) gestures.
    hotkeys: dict = field(default_factory=default_hotkeys)
    saved_prompts: list = field(
        default_factory=lambda: [
            "Describe only the chart.",
            "List the buttons.",
            "What is the error message?",
            "Summarise the text.",
        ]
    )


# Allowed values, checked when settings load: (low, high) for numbers, a tuple of choices for text.
LIMITS: dict[str, tuple] = {
    "speech.rate": (60, 500),
    "speech.volume": (0.0, 1.0),
    "safety.text_threshold": (0.0, 1.0),
    "safety.image_threshold": (0.0, 1.0),
    "safety.picture_check": ("warn", "withhold", "off"),
    "models.backend": ("auto", "embedded", "vlm", "remote"),
    "models.detail": ("quick", "full"),
    "models.max_new_tokens": (1, 1024),
    "max_pixels": (1_000_000, 178_956_970),  # Pillow refuses anything larger whatever we say
    "max_file_mb": (1, 4096),
    "max_audio_seconds": (1, 7200),
    "outputs.speak_with": ("auto", "screen-reader", "voice", "both", "text"),
    "history.keep_days": (0, 36500),
    "embedded.cache_images": (1, 64),
    "embedded.detector_idle_seconds": (0.0, 86400.0),
    "history.keep_captures": (0, 10_000_000),
}
SECTIONS = ("speech", "outputs", "safety", "models", "ui", "history", "embedded")


@dataclass
class Settings:
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)  # model servers; keys live in the keyring
    embedded: EmbeddedSettings = field(default_factory=EmbeddedSettings)
    max_pixels: int = 100_000_000  # the largest picture accepted (from its header, before decoding)
    max_file_mb: float = 256.0  # the largest picture or recording file opened (checked before reading)
    max_audio_seconds: float = 600.0  # the longest recording transcribed (from its header)
    # Sentences about values that could not be used (out of range, wrong type, unreadable file);
    # the app shows and speaks them. Never saved.
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.toml"

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Settings from the file, each value checked: a bad one gets a sentence in `problems`
        and its default. Never raises: a broken file must not stop the app."""
        path = path or cls.path()
        settings = cls()
        if not path.exists():
            return settings
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            settings.problems.append(f"The settings file {path} could not be read, so the defaults are used.")
            return settings
        for section in SECTIONS:
            values = raw.get(section)
            if isinstance(values, dict):
                target = getattr(settings, section)
                for key, value in values.items():
                    if hasattr(target, key):
                        _set_checked(target, f"{section}.{key}", key, value, settings.problems)
        # remote: its own reader drops key-like fields (keys belong in the keyring) and wrong types
        settings.remote = RemoteSettings.from_dict(raw.get("remote") if isinstance(raw.get("remote"), dict) else None)
        for key in ("max_pixels", "max_file_mb", "max_audio_seconds"):
            if key in raw:
                _set_checked(settings, key, key, raw[key], settings.problems)
        settings.ui.hotkeys = _migrated_hotkeys(settings.ui.hotkeys, settings.problems)
        return settings

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dataclasses.asdict(self)
        data.pop("problems", None)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
        return path


def _set_checked(target, name: str, key: str, value, problems: list[str]) -> None:
    default = getattr(target, key)
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        ok = isinstance(value, type(default))
    else:  # numbers: an int where a float is expected is fine; a bool is not a number here
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(default, int) and not isinstance(value, int):
            ok = float(value).is_integer()
    limit = LIMITS.get(name)
    if ok and limit is not None:
        if isinstance(limit[0], str):
            ok = value in limit
        else:
            ok = limit[0] <= value <= limit[1]
    if not ok:
        problems.append(f"The setting {name} = {value!r} cannot be used{_allowed(limit)}; using {default!r}.")
        return
    setattr(target, key, type(default)(value) if isinstance(default, (int, float)) else value)


def _allowed(limit) -> str:
    if limit is None:
        return ""
    if isinstance(limit[0], str):
        return " (allowed: " + ", ".join(limit) + ")"
    return f" (allowed: {limit[0]} to {limit[1]})"


def _migrated_hotkeys(hotkeys: dict, problems: list[str]) -> dict:
    """Hotkeys keyed by command id; names from earlier versions are renamed, unknown ones dropped."""
    out: dict[str, str] = {}
    old_file = not any(new in hotkeys for new in RENAMED.values())
    for name, combo in hotkeys.items():
        name = RENAMED.get(name, name) if old_file else name
        if not isinstance(combo, str) or not is_trigger(name):
            problems.append(f"The hotkey setting for {name!r} is not an action I know, so it is ignored.")
            continue
        out[name] = combo
    return out
