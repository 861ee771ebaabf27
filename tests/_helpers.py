"""Helpers shared by the tests."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import strategies as st

import iptkit
from iptkit import Issue, ValidationError
from iptkit._model import is_model

T = TypeVar("T")

#: Public modules whose ``__all__`` may hold models.
PUBLIC_MODULES = ("iptkit", "iptkit.measures", "iptkit.protocols")


def public_models() -> list[type]:
    """Every model class the public API exports."""
    found: dict[str, type] = {}
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if is_model(obj):
                found[obj.__qualname__] = obj
    return [found[name] for name in sorted(found)]


def public_documents() -> list[type]:
    """Public model classes stored as top-level documents."""
    return [cls for cls in public_models() if getattr(cls, "__iptkit_document__", None)]


def issues_of(call: Callable[[], Any]) -> list[tuple[str, str]]:
    """Run ``call``, which must raise ValidationError, and return (path, code) pairs."""
    with pytest.raises(ValidationError) as info:
        call()
    return [(issue.path, issue.code) for issue in info.value.issues]


def assert_only_json(value: Any, path: str = "$") -> None:
    """Assert ``value`` holds only JSON types (str-keyed dicts, lists and scalars)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"non-string key at {path}"
            assert_only_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_only_json(item, f"{path}[{index}]")
    else:
        assert value is None or type(value) in (str, int, float, bool), (
            f"{type(value).__name__} at {path}"
        )


# --------------------------------------------------------------------------
# Mutated JSON documents, for the totality and schema-agreement properties
# --------------------------------------------------------------------------


def value_at(doc: Any, loc: tuple[str | int, ...]) -> Any:
    """The value of ``doc`` at ``loc``."""
    for step in loc:
        doc = doc[step]
    return doc


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
edge_values = (
    st.integers(-2, 102)
    | st.sampled_from([0.0, 1.0, 2.0, 2.5, -1.0, "", "x", "a" * 65, "A1", "a_1", "a\n", []])
    | st.from_regex(r"[0-9]{4}-(0[0-9]|1[0-3])-[0-3][0-9]", fullmatch=True)
    | st.from_regex(
        r"20[0-9]{2}-0[1-3]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9](:[0-6][0-9])?(Z|[+-][0-2][0-9]:00)?",
        fullmatch=True,
    )
)


def _nodes(value: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) into a JSON value."""
    found = [trail]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_nodes(item, (*trail, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nodes(item, (*trail, index)))
    return found


def _replace(value: Any, trail: tuple[Any, ...], new: Any) -> Any:
    if not trail:
        return new
    head, *rest = trail
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(rest), new)}
    copy = list(value)
    copy[head] = _replace(copy[head], tuple(rest), new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, cls: type) -> Any:
    """A valid document of ``cls`` with one part replaced, added, dropped or duplicated."""
    doc = iptkit.dump(draw(st.from_type(cls)))
    trail = draw(st.sampled_from(_nodes(doc)))
    target = value_at(doc, trail)
    kind = draw(st.sampled_from(["edge", "any", "add_key", "drop_key", "grow_list"]))
    if kind == "add_key" and isinstance(target, dict):
        key = draw(st.text(max_size=8) | st.sampled_from(["schema_version", "label", "x"]))
        return _replace(doc, trail, {**target, key: draw(json_values)})
    if kind == "drop_key" and isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        return _replace(doc, trail, {k: v for k, v in target.items() if k != key})
    if kind == "grow_list" and isinstance(target, list) and target:
        return _replace(doc, trail, [*target, *target])
    if kind == "any":
        return _replace(doc, trail, draw(json_values))
    return _replace(doc, trail, draw(edge_values))


__all__ = [
    "Issue",
    "assert_only_json",
    "iptkit",
    "issues_of",
    "json_values",
    "mutated",
    "public_documents",
    "public_models",
    "value_at",
]


#: What coverage.py adds to standard error when the suite runs under it (``make pytest``).
COVERAGE_NOISE = re.compile(rb"^[^\n]*CoverageWarning[^\n]*\n(?:  [^\n]*\n)?", re.MULTILINE)


def quiet(err: bytes | None) -> bytes:
    """Standard error of a child process without the warnings coverage.py adds to it."""
    return COVERAGE_NOISE.sub(b"", err or b"")
