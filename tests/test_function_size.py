"""No function of the package is longer than 50 lines: a rule of the stream has one short home.

A function's length is its body from the first statement after the docstring to its last line,
blank lines and comments included: a docstring documents, it is not code to read through.
Nested functions and methods count on their own (and inside the function that holds them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import typedstream

PACKAGE = Path(typedstream.__file__).resolve().parent
MAX_LINES = 50

ALLOWED: dict[str, str] = {
    # The argparse table of the CLI: one declaration per option, read top to bottom.
    "_cli._parser": "argparse table",
    # The test kit's long reply: three wires' frames written out as data, one branch each.
    "testing._kit._slow": "frames as data",
}

Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.AST, prefix: str) -> Iterator[tuple[str, Function]]:
    """Every function under ``tree``, named ``module.Class.method`` (nested ones too)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}.{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from functions(node, name)
        else:
            yield from functions(node, prefix)


def length(function: Function) -> int:
    body = function.body
    if ast.get_docstring(function) is not None and len(body) > 1:
        body = body[1:]
    end = function.end_lineno
    assert end is not None
    return end - body[0].lineno + 1


def lengths() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.update((name, length(node)) for name, node in functions(tree, module))
    return found


def test_no_function_is_longer_than_50_lines() -> None:
    too_long = {
        name: lines
        for name, lines in lengths().items()
        if lines > MAX_LINES and name not in ALLOWED
    }
    assert too_long == {}


def test_every_allowed_function_exists_and_needs_its_exception() -> None:
    # The measure is not blind (it sees the long ones), and the list holds no stale names.
    found = lengths()
    assert {name: found.get(name, 0) > MAX_LINES for name in ALLOWED} == dict.fromkeys(
        ALLOWED, True
    )


def test_methods_and_nested_functions_are_measured() -> None:
    source = (
        "class A:\n"
        "    def m(self):\n"
        '        """Doc\n\n        string."""\n'
        "        def inner():\n"
        "            return 1\n"
        "\n"
        "        return inner()\n"
    )
    found = {name: length(node) for name, node in functions(ast.parse(source), "mod")}
    assert found == {"mod.A.m": 4, "mod.A.m.inner": 1}
