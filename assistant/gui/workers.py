"""Work off the GUI thread: engine requests and model downloads run in QThreads and report
back through signals (queued to the GUI thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from assistant.config import Settings


class EngineProvider:
    """Creates the Engine once, lazily, off the GUI thread (its imports take time)."""

    def __init__(self, settings: Settings, factory: Callable | None = None):
        self.settings = settings
        self._factory = factory
        self._engine = None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._engine is None:
                if self._factory is not None:
                    self._engine = self._factory(self.settings)
                else:
                    from assistant.engine import Engine

                    self._engine = Engine(settings=self.settings)
            return self._engine

    @property
    def ready(self):
        return self._engine

    def replace_settings(self, settings: Settings) -> None:
        """Settings changed: the next request builds a fresh engine with them (same session)."""
        with self._lock:
            self.settings = settings
            if self._engine is not None:
                from assistant.safety import SafetyGate

                self._engine.settings = settings
                self._engine.gate = SafetyGate.from_settings(settings)


class EngineJob(QThread):
    """Runs one Request through engine.run and re-emits its events as signals.

    `prepare` (optional) runs alongside the request in a helper thread and its return value is
    passed on `prepared` (the app stores the capture in the history without delaying the answer)."""

    progress = Signal(str, str, float)  # stage, message, fraction (-1: unknown)
    chunk = Signal(str)
    result = Signal(object)  # assistant.engine.Result
    error = Signal(str, str)  # kind, message
    prepared = Signal(object)

    def __init__(
        self,
        provider: EngineProvider,
        request,
        prepare: Callable | None = None,
        parent=None,
        restore: Callable | None = None,
    ):
        super().__init__(parent)
        self.provider = provider
        self.request = request
        self._prepare = prepare
        self._restore = restore  # restore(engine): e.g. put a re-opened capture back in the session
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()
        engine = self.provider.ready
        if engine is not None:
            engine.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _run_prepare(self) -> None:
        try:
            self.prepared.emit(self._prepare())
        except Exception:
            self.prepared.emit(None)  # history is a convenience; never fail the request for it

    def run(self) -> None:
        prepare_thread = None
        if self._prepare is not None:
            # Alongside the request, not before it: storing a capture must not delay the answer.
            prepare_thread = threading.Thread(target=self._run_prepare, daemon=True, name="history-write")
            prepare_thread.start()
        try:
            self._run_engine()
        finally:
            if prepare_thread is not None:
                prepare_thread.join()  # this QObject must outlive the thread that emits on it

    def _run_engine(self) -> None:
        from assistant.engine import ErrorEvent, Progress, Result, TextChunk

        try:
            engine = self.provider.get()
            if self._restore is not None:
                self._restore(engine)
        except Exception as exc:  # the engine could not start: say it plainly
            message = getattr(exc, "message", None) or f"The assistant could not start ({type(exc).__name__})."
            self.error.emit("unavailable", message)
            return
        if self.cancelled:
            self.error.emit("cancelled", "Cancelled.")
            return
        for event in engine.run(self.request):
            if self.cancelled and not isinstance(event, (Result, ErrorEvent)):
                engine.cancel()
                continue
            if isinstance(event, Progress):
                self.progress.emit(event.stage, event.message, -1.0 if event.fraction is None else event.fraction)
            elif isinstance(event, TextChunk):
                self.chunk.emit(event.text)
            elif isinstance(event, Result):
                if self.cancelled:
                    self.error.emit("cancelled", "Cancelled.")
                else:
                    self.result.emit(event)
            elif isinstance(event, ErrorEvent):
                self.error.emit(event.kind, event.message)


class DownloadCancelled(Exception):
    pass


class DownloadJob(QThread):
    """store.pull(name) with byte progress; cancel aborts from inside the progress callback."""

    progress = Signal(float, float, str)  # done, total, message
    finished_ok = Signal(str)  # local path
    failed = Signal(str)  # a sentence

    def __init__(self, store, name: str, parent=None):
        super().__init__(parent)
        self.store = store
        self.name = name
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def _on_progress(self, done, total, message="") -> None:
        if self._cancelled.is_set():
            raise DownloadCancelled()
        self.progress.emit(float(done or 0), float(total or 0), str(message or ""))

    def run(self) -> None:
        try:
            path = self.store.pull(self.name, progress=self._on_progress)
        except DownloadCancelled:
            self.failed.emit(f"Download of {self.name} cancelled.")
        except Exception as exc:
            if self._cancelled.is_set():
                self.failed.emit(f"Download of {self.name} cancelled.")
            else:
                self.failed.emit(getattr(exc, "message", None) or f"Could not download {self.name}.")
        else:
            self.finished_ok.emit(str(path))
