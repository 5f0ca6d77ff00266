"""Model downloads off the GUI thread: a QThread that reports back through signals (queued to
the GUI thread). Requests run on the controller's own worker thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from assistant.logs import get_logger

log = get_logger(__name__)


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
            log.exception("download of %s failed", self.name)
            if self._cancelled.is_set():
                self.failed.emit(f"Download of {self.name} cancelled.")
            else:
                self.failed.emit(getattr(exc, "message", None) or f"Could not download {self.name}.")
        else:
            self.finished_ok.emit(str(path))
