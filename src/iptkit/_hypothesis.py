"""Make ``st.from_type(Model)`` draw valid iptkit objects, at no import cost.

The strategies live in :mod:`iptkit.testing`, whose modules register them
with hypothesis when imported.  Importing that package costs a few tenths of
a second, so neither ``import hypothesis`` nor ``import iptkit`` does it.
Instead, once *both* are imported (in either order), every public model
class (:func:`lazy_types`, exactly the classes :mod:`iptkit.testing` draws)
gets a tiny resolver registered in its place; the first time hypothesis asks
for one of those classes, the resolver imports :mod:`iptkit.testing`, which
replaces all the resolvers with the real strategies, and hands over to them.
Importing :mod:`iptkit.testing` also replaces strategies a user registered
for iptkit models before it, as it always did; its docstring says so.

Two calls bring this about, whichever import comes second:

- ``iptkit/__init__.py`` calls :func:`_on_iptkit_imported` as its last
  statement; it registers the resolvers if hypothesis is already imported.
- hypothesis runs its ``hypothesis`` entry points when it is imported.
  iptkit's entry point is the top-level module ``_iptkit_hypothesis``,
  outside this package, so that loading it does not import iptkit; it calls
  :func:`_hypothesis_setup_hook` here only if iptkit is already imported.

This module imports nothing of iptkit or hypothesis at import time.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: The public modules whose model classes get a resolver.
PUBLIC_MODULES = ("iptkit", "iptkit.measures")

#: Set by iptkit/__init__.py once every public name is defined.
_iptkit_ready = False

#: Classes whose resolver is running: guards against a resolver that
#: iptkit.testing failed to replace asking hypothesis for its own class.
_resolving: set[type] = set()


def lazy_types() -> list[type]:
    """Every model class the public modules export (iptkit must be imported).

    These are the classes :mod:`iptkit.testing` draws; a test checks that it
    registers a strategy for each and for nothing else.
    """
    from iptkit._model import is_model

    found: list[type] = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and is_model(obj) and obj not in found:
                found.append(obj)
    return found


def _resolve(cls: type) -> Any:
    """Hypothesis's strategy for ``cls``: import iptkit.testing and hand over to it.

    Importing :mod:`iptkit.testing` registers the real strategy for ``cls``
    (and every other class), replacing this resolver, so hypothesis calls it
    at most once per class.  Returns ``NotImplemented`` (hypothesis then
    infers a strategy itself) if iptkit.testing has no strategy for ``cls``.
    """
    import iptkit.testing  # noqa: F401  (registers the real strategies)

    if cls in _resolving:
        return NotImplemented
    from hypothesis import strategies as st

    _resolving.add(cls)
    try:
        return st.from_type(cls)
    finally:
        _resolving.discard(cls)


def register_lazy_strategies() -> None:
    """Register :func:`_resolve` for every class of :func:`lazy_types`.

    Does nothing once :mod:`iptkit.testing` is imported: its strategies are
    registered (or being registered) already and must not be replaced.
    """
    if "iptkit.testing" in sys.modules:
        return
    from hypothesis import strategies as st

    for cls in lazy_types():
        st.register_type_strategy(cls, _resolve)


def _hypothesis_setup_hook() -> None:
    """Register the resolvers if iptkit has finished importing (hypothesis is imported)."""
    if _iptkit_ready:
        register_lazy_strategies()


def _on_iptkit_imported() -> None:
    """Called last by iptkit/__init__.py: register the resolvers if hypothesis is imported."""
    global _iptkit_ready
    _iptkit_ready = True
    if sys.modules.get("hypothesis") is not None:  # None: an import of it was blocked
        register_lazy_strategies()
