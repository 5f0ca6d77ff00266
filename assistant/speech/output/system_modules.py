"""Import one module that the operating system's packages installed, from inside a virtualenv.

speech-dispatcher's Python client (`speechd`, Debian python3-speechd) and BrlAPI's binding
(`brlapi`, Debian python3-brlapi) are not on PyPI in a form that matches the user's server; they
come with the system's packages, in the system Python's dist-packages, which a venv cannot see.
Adding that whole folder to sys.path would let every other system package (numpy, PIL…) shadow
the venv's own; so only the one named module is loaded, by path. A compiled module is loaded only
when its file name carries this interpreter's ABI tag (e.g. cpython-311-x86_64-linux-gnu).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

from ...logs import get_logger

log = get_logger(__name__)


def system_site_dirs() -> list[Path]:
    """Where distributions put their Python packages (Debian/Ubuntu, Fedora/Arch/openSUSE)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        "/usr/lib/python3/dist-packages",
        f"/usr/lib/{version}/dist-packages",
        f"/usr/lib/{version}/site-packages",
        f"/usr/lib64/{version}/site-packages",
        f"/usr/local/lib/{version}/dist-packages",
    ]
    ours = {
        Path(p).resolve() for p in (sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib")) if p
    }
    return [Path(c) for c in candidates if Path(c).is_dir() and Path(c).resolve() not in ours]


def import_system_module(name: str, dirs: list[Path] | None = None) -> ModuleType | None:
    """`import name` if the venv has it, else the system package's copy loaded by path; None when
    neither exists (or the system copy was built for another Python)."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    for folder in dirs if dirs is not None else system_site_dirs():
        spec = _spec_in(folder, name)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # a package's relative imports ("from . import paths") need it
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[name]
            log.exception("could not load the system module %s from %s", name, folder)
            continue
        log.info("loaded the system module %s from %s", name, spec.origin)
        return module
    return None


def _spec_in(folder: Path, name: str) -> importlib.machinery.ModuleSpec | None:
    package = folder / name / "__init__.py"
    if package.is_file():
        return importlib.util.spec_from_file_location(name, package, submodule_search_locations=[str(package.parent)])
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:  # only this interpreter's ABI
        compiled = folder / f"{name}{suffix}"
        if compiled.is_file() and suffix != ".so":  # a bare .so carries no ABI tag: unsafe to guess
            return importlib.util.spec_from_file_location(name, compiled)
    plain = folder / f"{name}.py"
    return importlib.util.spec_from_file_location(name, plain) if plain.is_file() else None
