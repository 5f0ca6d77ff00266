"""The Qt binding itself must not corrupt reference counts: PySide6 6.12.0 dropped a
reference to True/False on every emit of a bool through a Python signal, so the app (and this
suite) aborted in bool_dealloc during garbage collection after enough emits."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    anything = Signal(object)


def test_emitting_bools_keeps_their_reference_counts(qtbot):
    emitter = _Emitter()
    received = []
    emitter.flag.connect(received.append)
    emitter.anything.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(50):
        emitter.flag.emit(True)
        emitter.anything.emit(False)
    received.clear()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
