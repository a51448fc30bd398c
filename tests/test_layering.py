"""The package's imports point one way: down the layers of docs/event-model.md §2.

Every import counts, wherever it is written (module level, inside a function, under
``TYPE_CHECKING``): a module imports only modules of its own layer or of a layer below, and
no set of modules imports itself round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import typedstream

PACKAGE = Path(typedstream.__file__).resolve().parent

# From the bottom up. A module may import modules of its own layer and of the layers below.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "events and errors",
        frozenset({"_version", "_errors", "_json", "_arguments", "_events", "_envelope"}),
    ),
    ("stream state", frozenset({"_state"})),
    (
        "wire vocabulary and options",
        frozenset({"_chat_vocab", "_anthropic_vocab", "_responses_vocab", "_options"}),
    ),
    (
        "readers, writers and checkers",
        frozenset(
            {
                "_sse",
                "_chat_reader",
                "_anthropic_reader",
                "_responses_reader",
                "_reader",
                "_check",
                "_anthropic_check",
                "_responses_check",
                "_writing",
                "_anthropic_out",
                "_responses_out",
                "_openai_out",
                "_accumulate",
                "_anthropic_message",
                "_tools",
                "_display",
            }
        ),
    ),
    (
        "drivers, CLI and the test kit",
        frozenset(
            {"_drivers", "_cli", "_demo", "testing", "testing._kit", "testing.pytest_plugin"}
        ),
    ),
    ("public surface", frozenset({"__init__", "__main__", "_loopback"})),
)
LAYER_OF = {module: depth for depth, (_, modules) in enumerate(LAYERS) for module in modules}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def package_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, by their names inside the package."""
    name = module_name(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif node.module and node.module.split(".")[0] == "typedstream":
                base, node_module = [], node.module.split(".", 1)[1:]
                found.update(_resolve(base + node_module, [a.name for a in node.names]))
                continue
            else:
                continue
            target = base + (node.module.split(".") if node.module else [])
            found.update(_resolve(target, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "typedstream" and len(parts) > 1:
                    found.add(".".join(parts[1:]))
    found.discard(name)
    return found


def _resolve(target: list[str], names: list[str]) -> set[str]:
    """``from target import names``: the modules among ``target`` and ``target.name``."""
    out: set[str] = set()
    for name in names:
        candidate = ".".join([*target, name])
        if candidate in LAYER_OF:
            out.add(candidate)
        elif target:
            out.add(".".join(target))
        else:
            out.add("__init__")
    return out


def graph() -> dict[str, set[str]]:
    return {module_name(path): package_imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_declared_layer() -> None:
    assert set(graph()) - set(LAYER_OF) == set()


def test_no_module_imports_a_module_of_a_layer_above_it() -> None:
    upward = [
        f"{module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} ({LAYERS[LAYER_OF[target]][0]})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if LAYER_OF[target] > LAYER_OF[module]
    ]
    assert upward == []


def test_the_modules_import_no_cycle() -> None:
    imports = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: explored
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(imports.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(imports):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_import_parser_sees_function_level_and_type_checking_imports() -> None:
    # The guard itself must not be blind to the imports that made the cycles it forbids:
    # _cli imports _demo and _openai_out inside functions, _tools imports _events only for
    # the type checker.
    assert {"_demo", "_openai_out", "_version"} <= package_imports(PACKAGE / "_cli.py")
    assert "_events" in package_imports(PACKAGE / "_tools.py")
