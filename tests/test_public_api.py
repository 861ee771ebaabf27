"""The public API: what is exported, in what order, documented where.

The public API is what ``iptkit`` and its public submodules (names without a
leading underscore) export in ``__all__``.  Each name must resolve, carry a
docstring, and appear in the API reference under ``docs/``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import pkgutil
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import iptkit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ENTRY_POINT = "_iptkit_hypothesis:_hypothesis_setup_hook"


def public_module_names() -> list[str]:
    """``iptkit`` and every submodule or subpackage whose name has no leading underscore."""
    names = ["iptkit"]
    for info in pkgutil.iter_modules(iptkit.__path__, "iptkit."):
        if not info.name.rpartition(".")[2].startswith("_"):
            names.append(info.name)
    return names


PUBLIC_MODULES = public_module_names()


def module(name: str) -> ModuleType:
    """Import a public module by name."""
    return importlib.import_module(name)


def export_order(name: str) -> tuple[int, str]:
    """The order of ``__all__``: UPPER_CASE constants, CamelCase, then lowercase."""
    if name.upper() == name:
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def is_data(obj: object) -> bool:
    """Whether autodoc treats ``obj`` as a constant (neither a class nor a function)."""
    return not (isinstance(obj, type) or inspect.isroutine(obj))


def doc_comment(obj: object, name: str) -> str | None:
    """The doc comment of a module-level constant where it is defined, as the docs read it."""
    pycode = pytest.importorskip("sphinx.pycode")
    loaded = sorted(m for m in sys.modules if m == "iptkit" or m.startswith("iptkit."))
    for module_name in loaded:
        if getattr(sys.modules[module_name], name, None) is not obj:
            continue
        analyzer = pycode.ModuleAnalyzer.for_module(module_name)
        analyzer.find_attr_docs()
        lines = analyzer.attr_docs.get(("", name))
        if lines:
            return "\n".join(lines).strip()
    return None


def api_sources() -> str:
    """The text of every page under ``docs/``."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))


_AUTOMODULE = re.compile(r"^\.\. automodule:: (\S+)\n((?:[ \t]+:.*\n)*)", re.MULTILINE)
_AUTO_OBJECT = re.compile(r"^\.\. auto(?:data|class|function|exception|attribute):: (\S+)", re.M)


def documented() -> tuple[set[str], set[str], set[str]]:
    """Modules with an automodule, modules whose members it lists, and single objects."""
    text = api_sources()
    modules: set[str] = set()
    with_members: set[str] = set()
    for match in _AUTOMODULE.finditer(text):
        modules.add(match.group(1))
        if ":members:" in match.group(2):
            with_members.add(match.group(1))
    return modules, with_members, set(_AUTO_OBJECT.findall(text))


def exports() -> list[tuple[str, str]]:
    """Every (module, name) pair of the public API."""
    return [(m, name) for m in PUBLIC_MODULES for name in getattr(module(m), "__all__", ())]


def test_public_modules_found() -> None:
    """The public modules known today are all found."""
    assert {"iptkit", "iptkit.protocols", "iptkit.testing"} <= set(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
class TestModule:
    """Each public module: its __all__ and its place in the API reference."""

    def test_has_all(self, module_name: str) -> None:
        """A public module says what it exports."""
        assert isinstance(getattr(module(module_name), "__all__", None), list)

    def test_all_sorted(self, module_name: str) -> None:
        """__all__ lists constants, then classes, then functions, each alphabetical."""
        names = list(module(module_name).__all__)
        assert names == sorted(names, key=export_order)

    def test_all_unique(self, module_name: str) -> None:
        """No name is exported twice."""
        names = module(module_name).__all__
        assert len(names) == len(set(names))

    def test_has_docstring(self, module_name: str) -> None:
        """The module says what it is for."""
        assert (module(module_name).__doc__ or "").strip()

    def test_in_api_reference(self, module_name: str) -> None:
        """The module has an automodule directive in the documentation."""
        modules, _, _ = documented()
        assert module_name in modules


@pytest.mark.parametrize(("module_name", "name"), exports(), ids=lambda v: str(v))
class TestExport:
    """Each exported name: it resolves, is documented, and is in the API reference."""

    def test_resolves(self, module_name: str, name: str) -> None:
        """The name exists in its module."""
        assert hasattr(module(module_name), name)

    def test_has_docstring(self, module_name: str, name: str) -> None:
        """Classes and functions have their own docstring; constants a doc comment."""
        obj: Any = getattr(module(module_name), name)
        if isinstance(obj, type):
            doc = obj.__dict__.get("__doc__")
        elif inspect.isroutine(obj):
            doc = obj.__doc__
        else:
            doc = doc_comment(obj, name)
        assert (doc or "").strip(), f"{module_name}.{name} has no documentation"

    def test_in_api_reference(self, module_name: str, name: str) -> None:
        """The API pages document the name: by automodule members, or one line for a constant."""
        _, with_members, objects = documented()
        obj = getattr(module(module_name), name)
        qualified = f"{module_name}.{name}"
        if is_data(obj):
            assert qualified in objects, f"add '.. autodata:: {qualified}' to the API pages"
        else:
            assert module_name in with_members or qualified in objects


class TestHypothesisEntryPoint:
    """The ``hypothesis`` entry point registers the strategies of iptkit.testing."""

    def test_declared_in_pyproject(self) -> None:
        """pyproject.toml declares the entry point in the ``hypothesis`` group."""
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert ENTRY_POINT in project["entry-points"]["hypothesis"].values()

    def test_target_is_callable(self) -> None:
        """The declared object exists and can be called."""
        module_name, _, attribute = ENTRY_POINT.partition(":")
        hook = getattr(importlib.import_module(module_name), attribute)
        assert callable(hook)
        hook()  # importing the strategies twice is harmless

    def test_installed(self) -> None:
        """The installed distribution exposes the entry point to hypothesis."""
        try:
            importlib.metadata.distribution("iptkit")
        except importlib.metadata.PackageNotFoundError:
            pytest.skip("iptkit is not installed, only on the path")
        values = [ep.value for ep in importlib.metadata.entry_points(group="hypothesis")]
        assert ENTRY_POINT in values

    def test_strategies_registered(self) -> None:
        """After the hook runs, from_type draws valid inventories."""
        from hypothesis import given
        from hypothesis import strategies as st

        seen: list[iptkit.InterpersonalInventory] = []

        @given(st.from_type(iptkit.InterpersonalInventory))
        def draw(inv: iptkit.InterpersonalInventory) -> None:
            seen.append(inv)

        draw()
        assert seen
        assert all(isinstance(inv, iptkit.InterpersonalInventory) for inv in seen)
