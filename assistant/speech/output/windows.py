"""Windows: NVDA through its controller client DLL, then JAWS (and the other screen readers that
accessible_output2 knows) through their COM or DLL APIs.

NVDA: nvdaControllerClient(32|64).dll, LGPL-2.1, from NV Access; accessible_output2 ships both
builds, so the app needs no DLL of its own. Called with ctypes and explicit signatures (every
function returns a Windows error code, 0 = success). NVDA queues speakText behind what it is
saying; there is no way to cancel only our own speech, so INTERRUPT and Stop cancel NVDA's
current utterance too (what NVDA add-ons do for a requested answer).

JAWS and others: accessible_output2 (MIT, pure Python, so it installs on every Python version;
cytolk, the other well-kept wrapper, is compiled and had no wheel for Python 3.13 when this was
written). JAWS goes through its COM object FreedomSci.JawsApi (SayString, BrailleString,
StopSpeech).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

from ...events import SafeText
from ...logs import get_logger
from .base import OutputFailed, Priority, brailleable, speakable

log = get_logger(__name__)

# name -> (argument types, result type); error_status_t is an unsigned long.
NVDA_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "nvdaController_testIfRunning": ([], ctypes.c_ulong),
    "nvdaController_speakText": ([ctypes.c_wchar_p], ctypes.c_ulong),
    "nvdaController_cancelSpeech": ([], ctypes.c_ulong),
    "nvdaController_brailleMessage": ([ctypes.c_wchar_p], ctypes.c_ulong),
}
NVDA_NOT_RUNNING = "NVDA is not running."


def nvda_dll_path() -> Path | None:
    """The controller client that accessible_output2 ships, for this process's bitness."""
    spec = importlib.util.find_spec("accessible_output2")
    if spec is None or not spec.submodule_search_locations:
        return None
    bits = 64 if sys.maxsize > 2**32 else 32
    path = Path(next(iter(spec.submodule_search_locations))) / "lib" / f"nvdaControllerClient{bits}.dll"
    return path if path.is_file() else None


def load_nvda_library(path: str | Path) -> Any:
    """The DLL with every function's signature set. Windows DLLs use stdcall (WinDLL); elsewhere
    (tests) a stand-in library built with the same exports is loaded with the C convention."""
    loader = getattr(ctypes, "WinDLL", None) if sys.platform == "win32" else None
    library = (loader or ctypes.CDLL)(str(path))
    for name, (argtypes, restype) in NVDA_SIGNATURES.items():
        function = getattr(library, name)
        function.argtypes = argtypes
        function.restype = restype
    return library


class NvdaOutput:
    name = "NVDA"
    has_braille = True

    def __init__(self, library: Any = None, dll_path: str | Path | None = None):
        self._library = library
        self._dll_path = dll_path
        self._lock = threading.Lock()
        self._problem: str | None = None

    @property
    def available(self) -> bool:
        try:
            return self._call("nvdaController_testIfRunning") == 0
        except OutputFailed as exc:
            self._problem = str(exc)
            return False

    @property
    def problem(self) -> str | None:
        if self.available:
            return None
        return self._problem or NVDA_NOT_RUNNING

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        words = speakable(text)
        if not words:
            return
        if priority is Priority.INTERRUPT:
            self._check(self._call("nvdaController_cancelSpeech"))
        self._check(self._call("nvdaController_speakText", words))

    def stop(self) -> None:
        self._check(self._call("nvdaController_cancelSpeech"))

    def braille(self, text: SafeText) -> None:
        line = brailleable(text)
        if line:
            self._check(self._call("nvdaController_brailleMessage", line))

    def close(self) -> None:
        return None

    # ---- internals ---------------------------------------------------------------------------
    def _lib(self) -> Any:
        if self._library is None:
            path = self._dll_path or nvda_dll_path()
            if path is None:
                raise OutputFailed("NVDA's controller client is missing (install accessible_output2).")
            try:
                self._library = load_nvda_library(path)
            except (OSError, AttributeError) as exc:
                log.exception("loading %s", path)
                raise OutputFailed("NVDA's controller client could not be loaded.") from exc
        return self._library

    def _call(self, name: str, *args: Any) -> int:
        with self._lock:  # the client keeps one RPC binding; one call at a time
            return int(getattr(self._lib(), name)(*args))

    def _check(self, code: int) -> None:
        if code != 0:
            raise OutputFailed(f"NVDA did not take the message (Windows error {code}).")


class AccessibleOutput2Output:
    """A screen reader that accessible_output2 drives (JAWS by default). `factory` builds its
    output object (tests pass a fake); None imports accessible_output2.outputs.<module>."""

    has_braille = True

    def __init__(self, module: str = "jaws", class_name: str = "Jaws", name: str = "JAWS", factory: Any = None):
        self.name = name
        self._module, self._class_name = module, class_name
        self._factory = factory
        self._output: Any = None
        self._problem: str | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        try:
            output = self._get()
            return bool(output.is_active())
        except Exception:
            log.info("%s is not available", self.name, exc_info=True)
            self._problem = self._problem or f"{self.name} is not running."
            return False

    @property
    def problem(self) -> str | None:
        return None if self.available else self._problem

    def speak(self, text: SafeText, priority: Priority = Priority.QUEUE) -> None:
        words = speakable(text)
        if words:
            with self._lock:
                self._get().speak(words, interrupt=priority is Priority.INTERRUPT)

    def stop(self) -> None:
        with self._lock:
            output = self._get()
            if hasattr(output, "silence"):
                output.silence()
            elif hasattr(getattr(output, "object", None), "StopSpeech"):
                output.object.StopSpeech()  # JAWS's COM API

    def braille(self, text: SafeText) -> None:
        line = brailleable(text)
        if line:
            with self._lock:
                self._get().braille(line)

    def close(self) -> None:
        self._output = None

    def _get(self) -> Any:
        if self._output is None:
            factory = self._factory
            if factory is None:
                try:
                    module = importlib.import_module(f"accessible_output2.outputs.{self._module}")
                except ImportError as exc:
                    self._problem = f"{self.name} support needs the accessible_output2 package."
                    raise OutputFailed(self._problem) from exc
                factory = getattr(module, self._class_name)
            try:
                self._output = factory()
            except Exception as exc:  # accessible_output2 raises OutputError when not installed
                self._problem = f"{self.name} is not installed."
                raise OutputFailed(self._problem) from exc
        return self._output


def jaws_window_open() -> bool:
    """JAWS's main window exists (cheap check before touching COM)."""
    if sys.platform != "win32":
        return False
    user32 = getattr(ctypes, "windll").user32  # noqa: B009 - windll exists only on Windows
    return bool(user32.FindWindowW("JFWUI2", None))
