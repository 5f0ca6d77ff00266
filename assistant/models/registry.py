"""Presets from assistant/resources/models.toml plus user-added local directories."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import tomli_w

from ..config import config_dir
from ..errors import BadInput
from ..resources import resource

DEFAULT_ALLOW = ["*.safetensors", "*.json", "*.txt", "*.model", "*.jinja", "tokenizer*", "*.tiktoken", "*.py.never"]


@dataclass
class Preset:
    name: str
    task: str
    repo: str | None = None
    revision: str = "main"
    package: str | None = None
    local_path: str | None = None
    size_mb: float = 0
    licence: str = "unknown"
    description: str = ""
    device: str = "any"
    allow: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOW))
    ignore: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        if self.local_path:
            return "local"
        return "embedded" if self.package else "download"

    def package_installed(self) -> bool:
        if not self.package:
            return False
        try:
            metadata.version(self.package)
            return True
        except metadata.PackageNotFoundError:
            return False


def _local_file() -> Path:
    return config_dir() / "local_models.toml"


class Registry:
    """All known presets. `extra` lets tests and callers register presets in memory."""

    def __init__(self, path: Path | None = None, local_file: Path | None = None):
        self._path = path or resource("models.toml")
        self._local_file = local_file or _local_file()
        self._presets: dict[str, Preset] = {}
        raw = tomllib.loads(self._path.read_text(encoding="utf-8"))
        for name, entry in raw.get("presets", {}).items():
            self._presets[name] = Preset(name=name, **entry)
        if self._local_file.exists():
            try:
                local = tomllib.loads(self._local_file.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError:
                local = {}
            for name, entry in local.get("presets", {}).items():
                self._presets[name] = Preset(name=name, **entry)

    def __contains__(self, name: str) -> bool:
        return name in self._presets

    def get(self, name: str) -> Preset:
        try:
            return self._presets[name]
        except KeyError:
            known = ", ".join(sorted(self._presets))
            raise BadInput(f"There is no model preset called '{name}'. Known presets: {known}.") from None

    def all(self) -> list[Preset]:
        return list(self._presets.values())

    def by_task(self, task: str) -> list[Preset]:
        return [p for p in self._presets.values() if p.task == task]

    def register(self, preset: Preset) -> Preset:
        self._presets[preset.name] = preset
        return preset

    def add_local(self, name: str, path: Path, task: str, licence: str = "unknown", persist: bool = True) -> Preset:
        """Use a model directory already on disk as a preset (users with models on disk, tests)."""
        path = Path(path).expanduser().resolve()
        if not path.is_dir():
            raise BadInput(f"The folder {path} does not exist.")
        preset = self.register(
            Preset(name=name, task=task, local_path=str(path), licence=licence, description=f"Local model in {path}")
        )
        if persist:
            data: dict[str, dict] = {"presets": {}}
            if self._local_file.exists():
                data = tomllib.loads(self._local_file.read_text(encoding="utf-8"))
                data.setdefault("presets", {})
            data["presets"][name] = {
                "task": task,
                "local_path": str(path),
                "licence": licence,
                "description": preset.description,
            }
            self._local_file.parent.mkdir(parents=True, exist_ok=True)
            self._local_file.write_text(tomli_w.dumps(data), encoding="utf-8")
        return preset

    def remove_local(self, name: str) -> bool:
        if not self._local_file.exists():
            return False
        data = tomllib.loads(self._local_file.read_text(encoding="utf-8"))
        if name not in data.get("presets", {}):
            return False
        del data["presets"][name]
        self._local_file.write_text(tomli_w.dumps(data), encoding="utf-8")
        self._presets.pop(name, None)
        return True
