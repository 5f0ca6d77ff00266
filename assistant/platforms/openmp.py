"""One OpenMP runtime per process on Windows: torch's, shared with ctranslate2 (Whisper).

What the win_amd64 wheels ship (file lists and PE import tables read from the wheels):
- torch 2.13.0: torch/lib/libiomp5md.dll, Intel OpenMP 5.0.20260213. torch/__init__.py loads
  every DLL in torch/lib by its full path; torch_cpu.dll imports libiomp5md.dll by name.
- ctranslate2 4.8.5: ctranslate2/libiomp5md.dll, Intel OpenMP 5.0.20250910. Its __init__.py
  loads every *.dll in its folder with ctypes.CDLL(full path); ctranslate2.dll imports 22
  OpenMP functions from libiomp5md.dll by name, and torch's newer copy exports all 22.
- numpy and scipy (OpenBLAS), onnxruntime (its own thread pool), scikit-learn (vcomp140, the
  Microsoft runtime) and PyAV bring no Intel OpenMP.
Windows maps a second copy of a DLL loaded by a different full path, and two Intel OpenMP
runtimes initialised in one process abort it with "OMP: Error #15" (the photo hint runs on
torch, dictation on ctranslate2). KMP_DUPLICATE_LIB_OK only silences the check: not a fix.

The fix: torch's runtime is the process's only one. Before ctranslate2 is imported, torch's
libiomp5md.dll is loaded by its own full path (found without importing torch; torch's later
load of the same path gets the same module), and while ctranslate2's loader runs, its request
for its own copy is answered with the module already loaded. ctranslate2.dll binds to it by
name. A frozen build leaves ctranslate2's copy out altogether (packaging/windows).

Call prepare_ctranslate2() before any import of ctranslate2 or faster_whisper; it is cheap
after the first call and does nothing on other systems.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..logs import get_logger

log = get_logger(__name__)

OPENMP_DLL = "libiomp5md.dll"
# Runtimes that refuse to share a process with each other (Intel's, and LLVM's that Microsoft
# ships as libomp140); Microsoft's older vcomp140 (scikit-learn) is separate and harmless.
CLASHING_RUNTIMES = (OPENMP_DLL, "libomp.dll", "libomp140.x86_64.dll")

_lock = threading.Lock()
_prepared: str | None = None


class DllLoader(Protocol):
    """The two loader calls this needs: which module of a base name is loaded, and load by path."""

    def loaded(self, name: str) -> int | None: ...

    def load(self, path: str) -> int: ...


class WindowsLoader:
    """kernel32 through ctypes (Windows only)."""

    def __init__(self) -> None:
        self._kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        self._kernel32.GetModuleHandleW.restype = ctypes.c_void_p
        self._kernel32.GetModuleHandleW.argtypes = [ctypes.c_wchar_p]

    def loaded(self, name: str) -> int | None:
        return self._kernel32.GetModuleHandleW(name) or None

    def load(self, path: str) -> int:
        return ctypes.WinDLL(path)._handle  # type: ignore[attr-defined]


def torch_openmp_path() -> Path | None:
    """torch's libiomp5md.dll, found through the import system without importing torch."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "lib" / OPENMP_DLL
        if path.is_file():
            return path
    return None


@contextmanager
def shared_openmp(loader: DllLoader) -> Iterator[None]:
    """While active, ctypes.CDLL of any libiomp5md.dll returns the one already loaded instead
    of mapping a second copy (ctranslate2's package loader goes through ctypes.CDLL)."""
    original = ctypes.CDLL

    class _SharedRuntimeCDLL(original):  # type: ignore[valid-type,misc]
        def __init__(self, name: Any, *args: Any, **kwargs: Any) -> None:
            handle = loader.loaded(OPENMP_DLL) if _is_openmp(name) and kwargs.get("handle") is None else None
            if handle:
                log.info("reusing the loaded OpenMP runtime instead of %s", name)
                kwargs["handle"] = handle
            super().__init__(name, *args, **kwargs)

    ctypes.CDLL = _SharedRuntimeCDLL  # type: ignore[misc]
    try:
        yield
    finally:
        ctypes.CDLL = original  # type: ignore[misc]


def _is_openmp(name: Any) -> bool:
    return isinstance(name, (str, os.PathLike)) and os.path.basename(os.fspath(name)).lower() == OPENMP_DLL


def prepare_ctranslate2(
    platform: str | None = None,
    loader: DllLoader | None = None,
    importer: Callable[[], object] | None = None,
    torch_runtime: Path | None = None,
) -> str:
    """Make ctranslate2 use torch's OpenMP runtime; returns what was done, in a few words.

    The arguments exist for tests (a simulated Windows loader); callers pass none of them.
    """
    global _prepared
    if (platform or sys.platform) != "win32":
        return "not needed on this system"
    with _lock:
        if _prepared is not None and loader is None:
            return _prepared
        loader = loader or WindowsLoader()
        runtime = torch_runtime if torch_runtime is not None else torch_openmp_path()
        if runtime is None:
            _prepared = "torch is not installed: ctranslate2 keeps its own runtime"
        else:
            if loader.loaded(OPENMP_DLL) is None:
                loader.load(str(runtime))
            with shared_openmp(loader):
                (importer or (lambda: importlib.import_module("ctranslate2")))()
            _prepared = f"ctranslate2 shares {runtime}"
        log.info("OpenMP: %s", _prepared)
        return _prepared


def loaded_openmp_runtimes() -> list[str]:
    """Full paths of every OpenMP runtime mapped into this process (Windows; [] elsewhere).
    For diagnostics and the Windows CI check: more than one means the fix was bypassed."""
    if sys.platform != "win32":
        return []
    from ctypes import wintypes

    psapi = ctypes.WinDLL("psapi", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    process = kernel32.GetCurrentProcess()
    modules = (wintypes.HMODULE * 2048)()
    needed = wintypes.DWORD()
    if not psapi.EnumProcessModules(process, modules, ctypes.sizeof(modules), ctypes.byref(needed)):
        return []
    names = []
    buffer = ctypes.create_unicode_buffer(32768)
    for handle in modules[: needed.value // ctypes.sizeof(wintypes.HMODULE)]:
        if psapi.GetModuleFileNameExW(process, handle, buffer, len(buffer)):
            names.append(buffer.value)
    return [n for n in names if os.path.basename(n).lower() in CLASHING_RUNTIMES]
