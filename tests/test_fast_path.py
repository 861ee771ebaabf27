"""The compiled fast check agrees with the detailed field checks, for every public model.

Building an object first runs one compiled function per class that only says
whether every field is fine (``iptkit._model.fast_check``); only when it says
no do the detailed checks run to find the issues.  So the two must agree
exactly: when the fast check accepts the field values, the detailed checks
find no issue; when it rejects them, they find at least one.

Objects are assembled with ``object.__new__`` and ``object.__setattr__``, so
that field values the constructor would refuse can be put in place: values
drawn valid (``iptkit.testing`` through ``st.from_type``), values drawn from
the field's type alone (``st.from_type`` of the hint), and mutations: wrong
types, numbers out of range, text too long, ``None``, whole numbers for
decimals, lists for tuples, members of the wrong enumeration.
"""

from __future__ import annotations

import datetime as dt
import enum
import http
import math
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit.testing  # noqa: F401  (registers the strategies of every public model)
from _helpers import public_models
from iptkit._model import Constraints, FieldSpec, check_fields, fast_check, field_specs
from iptkit._types import Kind, TypeShape

MODELS = public_models()


class _Stray(enum.Enum):
    """An enumeration no model uses."""

    ONE = "one"


class _Text(str):
    """A str subclass: not text to iptkit (exact str only)."""


class _Moment(dt.datetime):
    """A datetime subclass: a datetime to iptkit."""


_AWARE = dt.datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/London"))

#: Values of many kinds, wrong for most fields and right for a few.
_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    "",
    "x",
    "a" * 500,
    _Text("text"),
    b"bytes",
    [],
    (),
    {},
    [1, 2],
    (None,),
    ("x",),
    (1.5,),
    dt.date(2026, 1, 14),
    dt.datetime(2026, 1, 14, 9),
    dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC),
    _AWARE,
    _Moment(2026, 1, 14, 9, tzinfo=dt.UTC),
    _Stray.ONE,
    http.HTTPStatus.OK,  # an int subclass
    2**53 + 1,
    10**400,
    object(),
]


def _numbers_near(c: Constraints) -> st.SearchStrategy[Any]:
    """Numbers just inside and just outside a field's bounds, as ints and floats."""
    edges: list[Any] = []
    for bound in (c.ge, c.le):
        if bound is not None:
            edges += [bound, bound - 1, bound + 1, float(bound) - 0.5, float(bound) + 0.5]
    return st.sampled_from(edges) if edges else st.nothing()


def _texts_near(c: Constraints) -> st.SearchStrategy[Any]:
    """Text around a field's length limits (and so often off its pattern)."""
    sizes = {0, 1}
    for limit in (c.min_len, c.max_len):
        if limit is not None:
            sizes |= {max(limit - 1, 0), limit, limit + 1}
    return st.sampled_from(sorted(sizes)).flatmap(
        lambda n: st.sampled_from(["a" * n, "A" * n, "1" * n, "a_" * (n // 2)])
    )


def _near_kind(shape: TypeShape, valid: Any) -> list[Any]:
    """Values that a field of ``shape`` nearly takes: the cases a fast check gets wrong."""
    kind = shape.kind
    if kind is Kind.OPTIONAL:
        return [None, *_near_kind(shape.inner, valid)]
    if kind is Kind.INT:
        return [True, 1.0, http.HTTPStatus.OK, 2**70, "1"]
    if kind is Kind.FLOAT:
        return [0, 1, 2, 10, 100, -1, True, math.nan, math.inf, 2**53 + 1, 2**60, 10**400]
    if kind is Kind.BOOL:
        return [0, 1, None, "true"]
    if kind is Kind.STR:
        return [_Text("a"), b"a", 1, "", "a" * 65, "a" * 401, "A1", "a_1", "a\n"]
    if kind is Kind.DATE:
        return [dt.datetime(2026, 1, 14, tzinfo=dt.UTC), "2026-01-14", dt.date(2026, 1, 14)]
    if kind is Kind.DATETIME:
        return [
            dt.datetime(2026, 1, 14, 9),
            _Moment(2026, 1, 14, 9, tzinfo=dt.UTC),
            _AWARE,
            dt.date(2026, 1, 14),
            "2026-01-14T09:00:00Z",
        ]
    if kind is Kind.ENUM:
        members = list(shape.enum_class)
        return [members[0].value, members[-1].name, _Stray.ONE, members[0]]
    if kind is Kind.MODEL:
        as_dict = attrs.asdict(valid, recurse=False) if attrs.has(type(valid)) else {}
        return [as_dict, _Stray.ONE, object()]
    if kind is Kind.TUPLE:
        items = tuple(valid) if isinstance(valid, tuple) else ()
        found: list[Any] = [list(items), (), items * 2, items * 9]
        for odd in _near_kind(shape.inner, items[0] if items else None):
            found.append((*items, odd))
        return found
    if kind is Kind.UNION:
        return [x for a in shape.alternatives for x in _near_kind(a, valid)]
    return []


def _mutation(shape: TypeShape, c: Constraints, valid: Any) -> st.SearchStrategy[Any]:
    """Values near or beyond what a field of ``shape`` allows."""
    near = _near_kind(shape, valid)
    return st.one_of(
        st.sampled_from(near) if near else st.nothing(),
        _numbers_near(c),
        _texts_near(c),
        st.sampled_from(_ODD_VALUES),
        st.integers() | st.floats() | st.text(max_size=20),
    )


def _field_value(spec: FieldSpec, valid: Any) -> st.SearchStrategy[Any]:
    """A value for one field: the valid one, one of its type, or (most often) a mutation."""
    mutation = _mutation(spec.shape, spec.constraints, valid)
    return st.one_of(st.just(valid), st.from_type(spec.type), mutation, mutation)


def _assemble(cls: type, values: dict[str, Any]) -> Any:
    """An instance of ``cls`` holding ``values``, without running any check."""
    obj: Any = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def _agree(cls: type, fast: Any, values: dict[str, Any]) -> None:
    issues = check_fields(cls, values, rules=True)
    accepted = fast(_assemble(cls, values))
    assert accepted == (not issues), (
        f"{cls.__name__}: the fast check {'accepts' if accepted else 'refuses'} but the "
        f"detailed checks found {[(i.path, i.code) for i in issues]}"
    )


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
def test_fast_check_agrees_with_the_detailed_checks(cls: type) -> None:
    """Fast check says yes exactly when the detailed field checks find nothing."""
    specs = field_specs(cls)
    fast = fast_check(cls)
    assert all(spec.name in attrs.fields_dict(cls) for spec in specs)

    @given(st.from_type(cls), st.data())
    def run(valid: Any, data: st.DataObject) -> None:
        values = {spec.name: getattr(valid, spec.name) for spec in specs}
        _agree(cls, fast, values)
        # One field at a time: a value the fast check wrongly refuses shows only
        # when every other field is fine.
        for spec in specs:
            value = data.draw(_field_value(spec, values[spec.name]), spec.name)
            _agree(cls, fast, {**values, spec.name: value})
        # Several at once.
        changed = dict(values)
        for name in data.draw(st.sets(st.sampled_from(list(values)), max_size=3)):
            spec = next(s for s in specs if s.name == name)
            changed[name] = data.draw(_field_value(spec, values[name]), name)
        _agree(cls, fast, changed)

    run()


def test_every_public_model_is_covered() -> None:
    """The property runs for the public models (a sanity check on the parametrisation)."""
    assert len(MODELS) >= 20
    kinds = {spec.shape.kind for cls in MODELS for spec in field_specs(cls)}
    assert {Kind.INT, Kind.FLOAT, Kind.STR, Kind.DATE, Kind.DATETIME, Kind.ENUM} <= kinds
