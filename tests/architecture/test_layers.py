"""The shape of the package, checked from its source: no import circles, a Qt-free core, and
gated text made only by the safety module."""

from __future__ import annotations

import ast

from .imports import cycles, external_imports, graph, module_name, modules, sources

QT = {"PySide6", "PyQt5", "PyQt6", "shiboken6", "PySide2"}


def test_no_import_circles():
    assert cycles(graph()) == []


def test_the_circle_finder_finds_circles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# The entry point starts either the command line or the GUI, so it may name the GUI package.
ENTRY = "assistant.__main__"


def test_the_core_never_imports_qt():
    core = {name: path for name, path in modules().items() if name.split(".")[0] == "assistant"}
    offenders = {name: sorted(external_imports(path) & QT) for name, path in core.items()}
    assert {n: q for n, q in offenders.items() if q} == {}
    reaching_gui = {n: sorted(t for t in targets if t.split(".")[0] == "ui") for n, targets in graph().items()}
    assert {n: g for n, g in reaching_gui.items() if g and n in core and n != ENTRY} == {}


def test_safe_text_is_made_only_by_the_safety_module():
    makers = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SafeText":
                makers.append(module_name(path))
    assert set(makers) <= {"assistant.safety"}


def test_trusted_is_only_given_string_literals():
    """`trusted` marks a constant sentence of ours as safe: anything computed must pass the gate."""
    bad = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "trusted":
                args = node.args
                if module_name(path) == "assistant.safety":
                    continue
                if len(args) != 1 or not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
                    bad.append(f"{module_name(path)}:{node.lineno}")
    assert bad == []
