"""Logging: one rotating file in the platform log folder, plus hooks for uncaught exceptions.

Users never see a traceback; the log keeps it, so a problem reported as a plain sentence can
still be diagnosed. Nothing user-private goes in at INFO level: no answers, no OCR text, no keys.

    from assistant.logs import get_logger
    log = get_logger(__name__)
    ...
    except Exception:
        log.exception("what we were doing")      # every catch-all logs
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path

import platformdirs

APP_NAME = "screen-assistant"
LOG_FILE = "screen-assistant.log"
MAX_BYTES = 1_000_000
BACKUPS = 3

_configured = False
_lock = threading.Lock()

# Until setup_logging runs (a library user, a test), log records go nowhere: never to the
# user's terminal, where a traceback would read as a crash.
logging.getLogger("assistant").addHandler(logging.NullHandler())


def log_dir() -> Path:
    home = os.environ.get("SCREEN_ASSISTANT_HOME")
    return Path(home) / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME))


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def setup_logging(verbose: bool = False, to_file: bool = True) -> Path | None:
    """Configure the `assistant` logger once per process; returns the log file, if any.

    verbose: also write DEBUG lines to stderr (the CLI's --verbose). A folder that cannot be
    written (read-only home) leaves file logging off; the app still starts."""
    global _configured
    with _lock:
        root = logging.getLogger("assistant")
        if verbose:
            stream = logging.StreamHandler(sys.stderr)
            stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            stream.setLevel(logging.DEBUG)
            root.addHandler(stream)
            root.setLevel(logging.DEBUG)
        if _configured:
            return _current_file(root)
        _configured = True
        if not verbose:
            root.setLevel(logging.INFO)
        path = None
        if to_file:
            try:
                folder = log_dir()
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                path = folder / LOG_FILE
                handler = logging.handlers.RotatingFileHandler(
                    path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
                )
                handler.setFormatter(
                    logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
                )
                root.addHandler(handler)
                # Library warnings (Pillow, faster-whisper ...) go to the log, not the terminal.
                logging.captureWarnings(True)
                warnings_log = logging.getLogger("py.warnings")
                warnings_log.addHandler(handler)
                warnings_log.propagate = False
            except OSError:
                path = None
        _install_hooks()
        return path


def _current_file(root: logging.Logger) -> Path | None:
    for handler in root.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def _install_hooks() -> None:
    log = logging.getLogger("assistant.uncaught")
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def excepthook(kind, value, tb):
        if not issubclass(kind, KeyboardInterrupt):
            log.critical("uncaught exception", exc_info=(kind, value, tb))
        previous_hook(kind, value, tb)

    def thread_excepthook(args):
        if args.exc_type is not SystemExit:
            log.critical(
                "uncaught exception in thread %s",
                getattr(args.thread, "name", "?"),
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )
        previous_thread_hook(args)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
