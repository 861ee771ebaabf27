"""The layers of the package show in its imports (design.md, "Layers").

The walk reads every module of ``src/iptkit`` with :mod:`ast` (nothing is
imported), so a lazy import inside a function counts as much as one at the
top: a model module may not reach into the io or cli wing by either route.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "iptkit"

#: Modules of the model layer: pure, no I/O, no export format.
MODELS = frozenset(
    {
        "iptkit._classify",
        "iptkit._contract",
        "iptkit._course",
        "iptkit._focus",
        "iptkit._group",
        "iptkit._inventory",
        "iptkit._life_events",
        "iptkit._measures",
        "iptkit._model",
        "iptkit._ordering",
        "iptkit._protocol",
        "iptkit._recurrence",
        "iptkit._schedule",
        "iptkit._sessions",
        "iptkit.measures",
        "iptkit.protocols",
    }
)
#: Modules of the io wing that read and check whole corpora: library code, used by the cli wing.
CORPUS_READERS = ("iptkit._sources", "iptkit._checkrun", "iptkit._corpus", "iptkit.dask")
WINGS = ("iptkit._io", "iptkit._cli", "iptkit.fhir", "iptkit.tables", *CORPUS_READERS)
#: The one module outside the cli wing that may import it: ``python -m iptkit`` runs the command.
CLI_ENTRY_POINTS = frozenset({"iptkit.__main__"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every iptkit module that ``name`` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("iptkit"):
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("iptkit"):
                yield target
                # ``from iptkit import _x`` imports the submodule iptkit._x.
                for alias in node.names:
                    yield f"{target}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for target in _imports(name, path) if target in modules and target != name}
        for name, path in modules.items()
    }


def test_the_walk_sees_the_package() -> None:
    """The walk finds the layers it checks (so the tests below can fail)."""
    graph = _graph()
    assert graph.keys() >= MODELS
    assert "iptkit._io._codec" in graph["iptkit"]
    assert "iptkit._sessions" in graph["iptkit._schedule"]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_models_do_not_import_the_wings(model: str) -> None:
    """No model module imports the io or cli wing, directly or through another module."""
    graph = _graph()
    seen: set[str] = set()
    todo = [model]
    while todo:
        current = todo.pop()
        for target in graph[current]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    reached = sorted(t for t in seen if t.startswith(WINGS))
    assert not reached, f"{model} reaches {reached}"


def test_only_the_command_line_imports_the_cli_wing() -> None:
    """No library module imports ``iptkit._cli``; the command line builds on the library.

    The readers and the checking of chunks (:mod:`iptkit._sources`,
    :mod:`iptkit._checkrun`) are library modules that the command line,
    :mod:`iptkit._corpus` and :mod:`iptkit.dask` share.
    """
    graph = _graph()
    assert "iptkit._cli" in graph["iptkit.__main__"]  # the walk sees such imports
    offenders = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        if not (
            name == "iptkit._cli" or name.startswith("iptkit._cli.") or name in CLI_ENTRY_POINTS
        )
        for target in targets
        if target == "iptkit._cli" or target.startswith("iptkit._cli.")
    )
    assert not offenders, offenders


@pytest.mark.parametrize("module", CORPUS_READERS)
def test_corpus_readers_are_library_modules(module: str) -> None:
    """Each corpus reader exists and reaches no module of the cli wing, even through others."""
    graph = _graph()
    assert module in graph
    seen: set[str] = set()
    todo = [module]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert not [t for t in seen if t.startswith("iptkit._cli")], module


def test_no_import_circles() -> None:
    """No module imports itself through others (the package's own ``__init__`` aside).

    ``iptkit/__init__.py`` gathers the public names and imports nearly every
    module; a module that imports ``iptkit`` itself for the public names
    (the command line does) is not a circle of the layers, so the package
    root is left out of the walk; so is a module's own package, whose
    ``__init__`` only re-exports it.
    """
    graph = {
        name: {t for t in targets if t != "iptkit" and not name.startswith(t + ".")}
        for name, targets in _graph().items()
        if name != "iptkit"
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, circles
