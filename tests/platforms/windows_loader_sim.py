"""A small model of the Windows DLL loader, enough to replay torch's and ctranslate2's own
package loaders (their real source, cut out of the installed packages) and see which DLLs a
Windows process would map.

Rules modelled (Microsoft's "Dynamic-link library search order"):
- a load by full path maps that file unless that same path is already mapped, even when a
  module of the same base name is loaded from elsewhere (two copies);
- a load or an import by base name takes the module of that name already loaded, if any
  (the first one loaded); otherwise it searches the importing DLL's folder, then the folders
  given to AddDllDirectory.
Every mapped copy of an OpenMP runtime counts as one runtime: "OMP: Error #15" is what a
second one causes, so the only safe number is one.

The folder layouts and import edges are those of the win_amd64 wheels (file lists from
`unzip -l`, import tables from `objdump -p`): torch 2.13.0 and ctranslate2 4.8.5.
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import glob
import os
import platform
import sys
import textwrap
import types
from pathlib import Path

TORCH_LIB = {  # torch/lib: file -> DLLs it imports (system DLLs left out)
    "c10.dll": [],
    "libiomp5md.dll": [],
    "libiompstubs5md.dll": [],
    "shm.dll": ["torch_cpu.dll", "c10.dll"],
    "torch.dll": [],
    "torch_cpu.dll": ["libiomp5md.dll", "uv.dll", "c10.dll"],
    "torch_global_deps.dll": [],
    "torch_python.dll": ["shm.dll", "torch_cpu.dll", "c10.dll"],
    "uv.dll": [],
}
CTRANSLATE2 = {  # ctranslate2/: _ext*.pyd imports ctranslate2.dll, which imports 22 OpenMP functions
    "ctranslate2.dll": ["libiomp5md.dll"],
    "cudnn64_9.dll": [],
    "libiomp5md.dll": [],
}


def lay_out(site: Path, with_torch: bool = True) -> tuple[Path, Path]:
    """Empty files named as in the wheels; returns (torch package dir, ctranslate2 dir)."""
    torch_dir, ct2_dir = site / "torch", site / "ctranslate2"
    if with_torch:
        (torch_dir / "lib").mkdir(parents=True)
        (torch_dir / "__init__.py").write_text("")
        for name in TORCH_LIB:
            (torch_dir / "lib" / name).write_bytes(b"")
    ct2_dir.mkdir(parents=True)
    for name in CTRANSLATE2:
        (ct2_dir / name).write_bytes(b"")
    return torch_dir, ct2_dir


class SimulatedWindows:
    SYSTEM_HANDLE = 10_000  # vcruntime140.dll, kernel32.dll …: present, not modelled

    def __init__(self, torch_dir: Path | None, ct2_dir: Path):
        self.imports: dict[str, list[str]] = {}
        if torch_dir is not None:
            for name, deps in TORCH_LIB.items():
                self.imports[self._key(torch_dir / "lib" / name)] = deps
        for name, deps in CTRANSLATE2.items():
            self.imports[self._key(ct2_dir / name)] = deps
        self.mapped: list[str] = []  # full paths, in load order
        self.bound: dict[tuple[str, str], str] = {}  # (importer, imported name) -> mapped path
        self.dll_dirs: list[str] = []

    @staticmethod
    def _key(path) -> str:
        return os.path.normcase(os.path.abspath(os.fspath(path)))

    # ---- the loader ------------------------------------------------------------------------
    def by_name(self, name: str) -> int | None:
        for i, path in enumerate(self.mapped):
            if os.path.basename(path).lower() == name.lower():
                return i + 1
        return None

    def _map(self, path: str) -> int:
        if path in self.mapped:
            return self.mapped.index(path) + 1
        self.mapped.append(path)
        handle = len(self.mapped)
        for dep in self.imports[path]:
            self._resolve(dep, importer=path)
        return handle

    def _resolve(self, name: str, importer: str | None) -> int | None:
        handle = self.by_name(name)
        if handle is None:
            folders = ([os.path.dirname(importer)] if importer else []) + self.dll_dirs
            for folder in folders:
                candidate = self._key(os.path.join(folder, name))
                if candidate in self.imports:
                    handle = self._map(candidate)
                    break
        if handle is not None and importer is not None:
            self.bound[(importer, name.lower())] = self.mapped[handle - 1]
        return handle

    def load_library(self, name) -> int:
        name = os.fspath(name)
        if os.path.dirname(name):
            key = self._key(name)
            if key not in self.imports:
                raise OSError(f"[WinError 126] The specified module could not be found: {name}")
            return self._map(key)
        return self._resolve(name, importer=None) or self.SYSTEM_HANDLE

    # ---- what a test asks ------------------------------------------------------------------
    def openmp_copies(self) -> list[str]:
        return [p for p in self.mapped if os.path.basename(p) == "libiomp5md.dll"]

    def bound_runtime(self, importer: Path) -> str | None:
        return self.bound.get((self._key(importer), "libiomp5md.dll"))

    # ---- fakes of the Windows-only pieces the packages' loaders call -----------------------
    def loader(self):
        sim = self

        class Loader:
            def loaded(self, name: str) -> int | None:
                return sim.by_name(name)

            def load(self, path: str) -> int:
                return sim.load_library(path)

        return Loader()

    def cdll_class(self):
        sim = self

        class FakeCDLL:
            def __init__(self, name, mode=0, handle=None, use_errno=False, use_last_error=False, winmode=None):
                self._name = name
                self._handle = handle if handle is not None else sim.load_library(name)

        return FakeCDLL

    def kernel32(self):
        def load_ex(path, _file, _flags):
            return self.load_library(path)

        def load(path):
            return self.load_library(path)

        return types.SimpleNamespace(
            AddDllDirectory=lambda path: 1,
            SetErrorMode=lambda mode: 0,
            LoadLibraryExW=load_ex,
            LoadLibraryW=load,
        )

    def install(self, monkeypatch, ct2_dir: Path, glob_order: str = "ntfs") -> None:
        """Make ctypes, os and importlib.resources behave as they would on Windows."""
        cdll = self.cdll_class()
        kernel32 = self.kernel32()
        monkeypatch.setattr(ctypes, "CDLL", cdll)
        monkeypatch.setattr(
            ctypes,
            "WinDLL",
            lambda name, **kw: kernel32 if os.fspath(name).lower().startswith("kernel32") else cdll(name),
            raising=False,
        )
        monkeypatch.setattr(ctypes, "get_last_error", lambda: 0, raising=False)
        monkeypatch.setattr(ctypes, "WinError", lambda code=None: OSError(code), raising=False)
        monkeypatch.setattr(os, "add_dll_directory", lambda path: self.dll_dirs.append(os.fspath(path)), raising=False)
        real_glob = glob.glob

        def ordered_glob(pattern, **kw):  # NTFS lists a folder in name order
            return sorted(real_glob(pattern, **kw), key=str.upper, reverse=glob_order == "reversed")

        monkeypatch.setattr(glob, "glob", ordered_glob)
        import importlib.resources

        real_files = importlib.resources.files
        monkeypatch.setattr(
            importlib.resources, "files", lambda name: ct2_dir if name == "ctranslate2" else real_files(name)
        )


# ---- the packages' own Windows loading code, run against the simulation ------------------------
_ORIGINS: dict[str, str] = {}


def _win32_block(package: str) -> ast.If:
    tree = ast.parse(Path(_installed_init(package)).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "sys.platform == 'win32'":
            return node
    raise AssertionError(f"{package}'s __init__.py has no Windows DLL loader any more: re-check platforms/openmp.py")


def _installed_init(package: str) -> str:
    import importlib.util

    if package not in _ORIGINS:  # looked up once: a test may put a stand-in module in sys.modules
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin, f"{package} is not installed"
        _ORIGINS[package] = spec.origin
    return _ORIGINS[package]


def run_ctranslate2_loader(monkeypatch) -> None:
    """Execute the Windows part of the installed ctranslate2/__init__.py."""
    block = _win32_block("ctranslate2")
    code = compile(ast.Module(body=block.body, type_ignores=[]), _installed_init("ctranslate2"), "exec")
    monkeypatch.setitem(sys.modules, "ctranslate2", types.ModuleType("ctranslate2"))
    exec(code, {"__name__": "ctranslate2", "sys": sys})


def run_torch_loader(monkeypatch, torch_dir: Path) -> None:
    """Execute torch/__init__.py's _load_dll_libraries() (from the installed torch)."""
    block = _win32_block("torch")
    functions = [n for n in block.body if isinstance(n, ast.FunctionDef) and n.name == "_load_dll_libraries"]
    assert functions, "torch's Windows loader is no longer _load_dll_libraries: re-check platforms/openmp.py"
    monkeypatch.setitem(sys.modules, "torch.version", types.SimpleNamespace(cuda=None))  # the CPU wheel
    namespace = {
        "__name__": "torch",
        "__file__": str(torch_dir / "__init__.py"),
        **{m.__name__: m for m in (builtins, ctypes, glob, os, platform, sys, textwrap)},
    }
    exec(compile(ast.Module(body=functions, type_ignores=[]), _installed_init("torch"), "exec"), namespace)
    namespace["_load_dll_libraries"]()
