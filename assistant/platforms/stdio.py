"""UTF-8 on standard output and error, whatever the pipe or console code page says.

Why: on Windows a pipe or a redirected file gets the ANSI code page (cp1252 in Western
Europe), so printing "→" or OCR text in Greek, Cyrillic or Chinese raised UnicodeEncodeError
and a command died on a character. This is what Python's UTF-8 mode (PEP 540, the default
from Python 3.15 on, PEP 686) does for the two output streams, applied at run time so it also
holds when the app is started by an entry-point launcher or a frozen executable.
"""

from __future__ import annotations

import codecs
import io
import sys

# Lone surrogates (undecodable file names) are the only thing UTF-8 cannot encode: replace
# them rather than fail. stderr keeps the escape so a log reader can still see the bytes.
_ERRORS = {"stdout": "replace", "stderr": "backslashreplace"}


def _is_utf8(encoding: str | None) -> bool:
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def ensure_utf8_stdio() -> list[str]:
    """Reconfigure sys.stdout and sys.stderr to UTF-8 where they use another encoding.

    Returns the names of the streams it changed (for logging and tests). Streams that are
    missing (a windowed app has none) or are not text files (a test's capture) are left alone.
    Safe to call more than once.
    """
    changed = []
    for name, errors in _ERRORS.items():
        stream = getattr(sys, name, None)
        if not isinstance(stream, io.TextIOWrapper):
            continue
        if _is_utf8(stream.encoding) and stream.errors == errors:
            continue
        stream.reconfigure(encoding="utf-8", errors=errors)
        changed.append(name)
    return changed
