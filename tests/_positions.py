"""The positions of a JSON document, each with the kind of value the model declares there.

Used by the privacy and one-report properties to put a chosen value (a
marker, a corruption) into every place of one kind: text, enumeration, date,
date and time, whole number, decimal number, time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iptkit._model import field_specs
from iptkit._types import Kind, TypeShape

__all__ = ["Loc", "Position", "positions", "replace_at", "value_at"]

#: A place in a JSON value: keys and list indexes from the top.
Loc = tuple[str | int, ...]

#: ``(loc, kind, field)``: kind is one of ``text``, ``zone``, ``enum``,
#: ``date``, ``datetime``, ``int``, ``number``, ``bool`` or ``union`` (a
#: union of plain values, such as ``int | str``); ``field`` is the
#: model class and field name that declare it (``None`` for
#: ``schema_version``).
Position = tuple[Loc, str, tuple[type, str] | None]

_KINDS = {
    Kind.STR: "text",
    Kind.ENUM: "enum",
    Kind.DATE: "date",
    Kind.DATETIME: "datetime",
    Kind.INT: "int",
    Kind.FLOAT: "number",
    Kind.BOOL: "bool",
}


def positions(cls: type, data: Any, *, document: bool = False) -> list[Position]:
    """Every position of ``data``, a dumped ``cls``, with the kind declared there.

    A null optional field is a position too, of its non-null kind.  With
    ``document``, the top-level ``schema_version`` is a whole-number position.
    """
    found: list[Position] = []
    if document and isinstance(data, dict) and "schema_version" in data:
        found.append((("schema_version",), "int", None))
    found.extend(_model_positions(cls, data, ()))
    return found


def _model_positions(cls: type, data: Any, loc: Loc) -> Iterator[Position]:
    if not isinstance(data, dict):
        return
    for spec in field_specs(cls):
        if spec.name in data:
            yield from _positions(spec.shape, data[spec.name], (*loc, spec.name), (cls, spec.name))


def _positions(
    shape: TypeShape, value: Any, loc: Loc, owner: tuple[type, str]
) -> Iterator[Position]:
    kind = shape.kind
    if kind is Kind.OPTIONAL:
        if value is None:
            inner = shape.inner
            if inner.kind in _KINDS:
                yield loc, _kind_name(inner, owner), owner
            elif inner.kind is Kind.UNION:
                yield loc, "union", owner
            return
        yield from _positions(shape.inner, value, loc, owner)
    elif kind is Kind.TUPLE:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _positions(shape.inner, item, (*loc, index), owner)
    elif kind is Kind.MODEL:
        yield from _model_positions(shape.model_class, value, loc)
    elif kind is Kind.UNION:
        yield loc, "union", owner
    elif kind in _KINDS:
        yield loc, _kind_name(shape, owner), owner


def _kind_name(shape: TypeShape, owner: tuple[type, str]) -> str:
    name = _KINDS[shape.kind]
    if name == "text" and owner[1] == "zone":
        return "zone"
    return name


def value_at(data: Any, loc: Loc) -> Any:
    """The value of ``data`` at ``loc``."""
    for key in loc:
        data = data[key]
    return data


def replace_at(data: Any, loc: Loc, new: Any) -> Any:
    """A copy of ``data`` with the value at ``loc`` replaced by ``new`` (``data`` is kept)."""
    if not loc:
        return new
    head, *rest = loc
    if isinstance(data, dict):
        return {**data, head: replace_at(data[head], tuple(rest), new)}
    copy = list(data)
    copy[head] = replace_at(copy[head], tuple(rest), new)  # type: ignore[index]
    return copy
