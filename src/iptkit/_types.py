"""One description of each field type, shared by every part of iptkit that needs one.

A model field is declared with a Python type hint (``int``, ``date | None``,
``tuple[Relationship, ...]``).  :func:`shape_of` turns the hint into a
:class:`TypeShape`: a small frozen tree tagged with a :class:`Kind`.  The
constructor checks, the compiled fast check, the codec, the JSON Schema
export and the corpus generator all switch on ``shape.kind`` instead of
inspecting typing objects themselves, so a new kind of field is added here
once and then handled (or refused) by each consumer in one visible place.

This module is part of the model layer: it imports neither the io wing nor
the cli wing.  It also holds :func:`compile_function`, the one place where
iptkit turns generated source into a function.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import linecache
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "MAX_DATE",
    "MAX_DEPTH",
    "MAX_YEAR",
    "MIN_DATE",
    "MIN_YEAR",
    "SCALARS",
    "Kind",
    "TypeShape",
    "compile_function",
    "describe",
    "int_fits_float",
    "is_model",
    "is_text",
    "nested_too_deep",
    "offset_in_minutes",
    "shape_of",
    "value_words",
]


class Kind(enum.Enum):
    """What kind of value a field holds."""

    ANY = "any"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    MODEL = "model"
    TUPLE = "tuple"
    OPTIONAL = "optional"
    UNION = "union"


#: Kinds whose Python values are JSON values as they are (the codec hands them
#: to the model unchanged; only these may be alternatives of a ``UNION``).
SCALARS = frozenset({Kind.ANY, Kind.BOOL, Kind.INT, Kind.FLOAT, Kind.STR})


@attrs.frozen
class TypeShape:
    """The type of a field, as iptkit understands it.

    Attributes:
        kind: what kind of value it is.
        hint: the type hint described (the codec's hooks are looked up by it).
        item: the items of a ``TUPLE``; the non-null type of an ``OPTIONAL``.
        alternatives: the alternatives of a ``UNION`` (never null: a union
            with ``None`` is an ``OPTIONAL`` of the rest).
        cls: the class of an ``ENUM`` or ``MODEL``.
    """

    kind: Kind
    hint: Any = attrs.field(eq=False)
    item: TypeShape | None = None
    alternatives: tuple[TypeShape, ...] = ()
    cls: type | None = None

    @property
    def inner(self) -> TypeShape:
        """The item of a ``TUPLE`` or ``OPTIONAL`` (a design error for other kinds)."""
        if self.item is None:  # pragma: no cover - a bug in a consumer, not reachable by input
            msg = f"a {self.kind.value} shape has no item"
            raise TypeError(msg)
        return self.item

    @property
    def enum_class(self) -> type[enum.Enum]:
        """The enumeration of an ``ENUM`` shape."""
        return typing.cast("type[enum.Enum]", self.cls)

    @property
    def model_class(self) -> type:
        """The class of a ``MODEL`` shape."""
        return typing.cast("type", self.cls)

    def contains(self, kind: Kind) -> bool:
        """Whether this shape or a part of it is of ``kind``."""
        if self.kind is kind:
            return True
        parts = (self.item,) if self.item is not None else self.alternatives
        return any(part.contains(kind) for part in parts)


def is_model(cls: Any) -> bool:
    """Return whether ``cls`` is a class built with :func:`iptkit._model.model`."""
    return isinstance(cls, type) and "__iptkit_model__" in cls.__dict__


_PLAIN: dict[Any, Kind] = {
    typing.Any: Kind.ANY,
    bool: Kind.BOOL,
    int: Kind.INT,
    float: Kind.FLOAT,
    str: Kind.STR,
    dt.date: Kind.DATE,
    dt.datetime: Kind.DATETIME,
}

_SHAPES: dict[Any, TypeShape] = {}


def shape_of(tp: Any) -> TypeShape:
    """Return the :class:`TypeShape` of type hint ``tp`` (cached).

    Supported: ``Any``, ``bool``, ``int``, ``float``, ``str``, ``date``,
    ``datetime``, enumerations, models, ``tuple[X, ...]``, ``X | None`` and
    unions of plain values (``int | str``).

    Raises:
        TypeError: ``tp`` is not a supported field type (a design error).

    >>> shape_of(tuple[int | str, ...] | None).kind
    <Kind.OPTIONAL: 'optional'>
    >>> shape_of(tuple[int | str, ...] | None).inner.inner.alternatives[1].kind
    <Kind.STR: 'str'>
    """
    try:
        shape = _SHAPES.get(tp)
    except TypeError:  # an unhashable hint: not a supported type either
        shape = None
    if shape is None:
        shape = _build(tp)
        _SHAPES[tp] = shape
    return shape


def _build(tp: Any) -> TypeShape:
    kind = _PLAIN.get(tp)
    if kind is not None:
        return TypeShape(kind, tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return TypeShape(Kind.ENUM, tp, cls=tp)
    if is_model(tp):
        return TypeShape(Kind.MODEL, tp, cls=tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return TypeShape(Kind.TUPLE, tp, item=shape_of(args[0]))
    if origin in (typing.Union, types.UnionType):
        others = tuple(a for a in args if a is not type(None))
        if len(others) < len(args):
            rest = others[0] if len(others) == 1 else typing.Union[others]  # noqa: UP007
            return TypeShape(Kind.OPTIONAL, tp, item=shape_of(rest))
        alternatives = tuple(shape_of(a) for a in others)
        if all(a.kind in SCALARS for a in alternatives):
            return TypeShape(Kind.UNION, tp, alternatives=alternatives)
        msg = f"iptkit models support unions of plain values only, not {tp!r}"
        raise TypeError(msg)
    msg = f"unsupported field type {tp!r}"
    raise TypeError(msg)


# --------------------------------------------------------------------------
# Words for messages
# --------------------------------------------------------------------------

_WORDS: dict[Kind, str] = {
    Kind.ANY: "any value",
    Kind.BOOL: "true or false",
    Kind.INT: "a whole number",
    Kind.FLOAT: "a number",
    Kind.STR: "text",
    Kind.DATE: "a date (YYYY-MM-DD)",
    Kind.DATETIME: "a date and time with a UTC offset",
    Kind.TUPLE: "a list",
    Kind.MODEL: "an object",
}


def describe(shape: TypeShape) -> str:
    """Return what a JSON value of ``shape`` looks like, in plain words.

    >>> describe(shape_of(int | None))
    'a whole number or null'
    """
    kind = shape.kind
    if kind is Kind.ENUM:
        return "one of " + ", ".join(repr(m.value) for m in shape.enum_class)
    if kind is Kind.OPTIONAL:
        return describe(shape.inner) + " or null"
    if kind is Kind.UNION:
        return " or ".join(describe(a) for a in shape.alternatives)
    return _WORDS[kind]


_VALUE_WORDS: dict[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a whole number",
    float: "a decimal number",
    str: "text",
    list: "a list",
    tuple: "a tuple",
    dict: "an object",
    dt.date: "a date",
    dt.datetime: "a datetime",
}


def value_words(value: Any) -> str:
    """What kind of value ``value`` is, in plain words: never what it says.

    Messages name the kind of a value only; the value itself may be
    personal data.

    >>> value_words("Mrs Smith"), value_words(None), value_words({1, 2})
    ('text', 'null', 'a set')
    """
    kind = type(value)
    words = _VALUE_WORDS.get(kind)
    if words is not None:
        return words
    if isinstance(value, enum.Enum):
        return f"a {kind.__name__} member"
    name = kind.__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def int_fits_float(value: int) -> bool:
    """Whether the whole number ``value`` is stored exactly by a ``float``.

    A whole number given for a decimal field is stored as the ``float`` of the
    same value; one that no ``float`` holds exactly (beyond 2**53 and not a
    multiple of a large enough power of two, or beyond the float range) is
    refused rather than silently rounded.

    >>> int_fits_float(2**53), int_fits_float(2**53 + 1), int_fits_float(10**400)
    (True, False, False)
    """
    try:
        return float(value) == value
    except OverflowError:
        return False


# --------------------------------------------------------------------------
# Bounds every value keeps, whatever its field declares
# --------------------------------------------------------------------------
#
# An object that exists can be shown, dumped, written as UTF-8 and computed
# with: every date derived from it (a session's end, a planned slot ten years
# on, the same instant in another zone) is a date Python can hold.

#: Earliest and latest year of a date, and of a datetime as written (its own
#: wall-clock date).  1900 comes before any date a living patient's records
#: hold (births, deaths, life events); 2200 lies far beyond any plan, and the
#: ten-year planning horizon, a session's length and a UTC offset of under a
#: day added to it stay far inside what Python's dates hold (years 1 to 9999).
MIN_YEAR = 1900
MAX_YEAR = 2200

#: The first and the last day a model may hold.
MIN_DATE = dt.date(MIN_YEAR, 1, 1)
MAX_DATE = dt.date(MAX_YEAR, 12, 31)

#: The deepest nesting of JSON arrays and objects a document may have (the
#: document itself is level 1).  Fixed, so that a document is read the same
#: way whatever the caller's own stack depth; every iptkit document needs
#: fewer than ten levels.
MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_text(value: str) -> bool:
    """Whether ``value`` holds Unicode scalar values only (no lone surrogates).

    Only such text can be written as UTF-8; JSON's ``\\ud800`` escapes and
    Python's ``"\\ud800"`` can make text that cannot.

    >>> is_text("Mrs Smith"), is_text("P\\ud800"), is_text("\\U0001f600")
    (True, False, True)
    """
    return value.isascii() or _SURROGATE.search(value) is None


def offset_in_minutes(offset: dt.timedelta) -> bool:
    """Whether the UTC offset ``offset`` is a whole number of minutes (``+HH:MM``).

    >>> offset_in_minutes(dt.timedelta(hours=-5)), offset_in_minutes(dt.timedelta(seconds=30))
    (True, False)
    """
    return not (offset.seconds % 60 or offset.microseconds)


def nested_too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists, tuples and dicts nest more than ``limit`` levels in ``value``.

    ``value`` itself, if a container, is level 1.  Iterative, so it works at
    any depth of the caller's stack; a value that contains itself is too deep.
    Each container is visited at most ``limit`` times, however often it is
    shared.

    >>> nested_too_deep([[1]], 2), nested_too_deep([[[1]]], 2), nested_too_deep(3, 0)
    (False, True, False)
    """
    # Depth first, one iterator per open container: the stack holds at most
    # ``limit + 1`` entries, so a wide value (a million items) takes no memory here.
    stack: list[Iterator[Any]] = [iter((value,))]
    seen: dict[int, int] = {}
    while stack:
        for item in stack[-1]:
            if isinstance(item, dict):
                children: Any = item.values()
            elif isinstance(item, list | tuple):
                children = item
            else:
                continue
            depth = len(stack)
            if depth > limit:
                return True
            if seen.get(id(item), 0) >= depth:
                continue
            seen[id(item)] = depth
            stack.append(iter(children))
            break
        else:
            stack.pop()
    return False


# --------------------------------------------------------------------------
# Generated code
# --------------------------------------------------------------------------

_SERIAL = itertools.count()


def compile_function(
    name: str, lines: Sequence[str], names: Mapping[str, Any]
) -> Callable[..., Any]:
    """Compile the function ``name`` defined by source ``lines``; return it.

    The one place where iptkit turns generated source into code.  Callers build
    the source from their own field declarations only (never from input), and
    pass every object it refers to in ``names``.  The source is registered with
    :mod:`linecache`, so a traceback through the function shows its lines.

    >>> double = compile_function("double", ["def double(x):", "    return 2 * x"], {})
    >>> double(21)
    42
    """
    source = "\n".join(lines) + "\n"
    filename = f"<iptkit-generated {name} {next(_SERIAL)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(names)
    exec(compile(source, filename, "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function
