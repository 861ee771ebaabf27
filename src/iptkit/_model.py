"""The small model framework every iptkit class is built with.

A model is a frozen, slotted attrs class made by :func:`model`.  Its fields are
declared with :func:`field`, which records simple constraints (bounds,
lengths, a pattern) as data, so that the same declaration drives:

* the checks run when an object is built (``__attrs_post_init__``),
* the codec, which reports every field problem of a document at once,
* the JSON Schema export.

Cross-field rules live in a method ``_invariants(self)`` that yields
:class:`~iptkit.Issue` objects with paths relative to the object (``$``).  It
runs only when every field has the right type and is within its bounds.

Nothing here imports the codec: models stay pure.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

from iptkit._errors import Issue, ValidationError

__all__ = [
    "FieldSpec",
    "check_fields",
    "evolve",
    "field",
    "field_specs",
    "is_model",
    "model",
    "spec_for",
]

T = TypeVar("T")

_META_KEY = "iptkit"


@attrs.frozen
class Constraints:
    """Declarative bounds stored in a field's metadata."""

    ge: int | float | None = None
    le: int | float | None = None
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    private: bool = False
    doc: str | None = None


def field(
    *,
    default: Any = attrs.NOTHING,
    factory: Callable[[], Any] | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_len: int | None = None,
    max_len: int | None = None,
    pattern: str | None = None,
    private: bool = False,
    doc: str | None = None,
) -> Any:
    """Declare a model field with optional constraints.

    Args:
        default: default value (omit for a required field).
        factory: callable making the default (for mutable-looking defaults).
        ge: smallest allowed number (inclusive).
        le: largest allowed number (inclusive).
        min_len: fewest characters (text) or items (tuples).
        max_len: most characters (text) or items (tuples).
        pattern: regular expression the whole text must match.
        private: personal data (names, free text): kept out of ``repr``.
        doc: one sentence describing the field (used by the JSON Schema).
    """
    constraints = Constraints(ge, le, min_len, max_len, pattern, private, doc)
    if factory is not None:
        return attrs.field(factory=factory, repr=not private, metadata={_META_KEY: constraints})
    return attrs.field(default=default, repr=not private, metadata={_META_KEY: constraints})


# --------------------------------------------------------------------------
# Type descriptions
# --------------------------------------------------------------------------


@attrs.frozen
class FieldSpec:
    """What the framework knows about one field of a model."""

    name: str
    type: Any
    required: bool
    constraints: Constraints
    check: Callable[[Any, str], Iterator[Issue]]


def is_model(cls: Any) -> bool:
    """Return whether ``cls`` is a class built with :func:`model`."""
    return isinstance(cls, type) and "__iptkit_model__" in cls.__dict__


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    dt.date: "a date (YYYY-MM-DD)",
    dt.datetime: "a date and time with a UTC offset",
    tuple: "a list",
}


def describe(tp: Any) -> str:
    """Return a plain description of what a value of type ``tp`` looks like."""
    if tp in _KIND_NAMES:
        return _KIND_NAMES[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if is_model(tp) or attrs.has(tp):
        return "an object"
    origin = typing.get_origin(tp)
    if origin is tuple:
        return "a list"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        parts = [describe(a) for a in args]
        if type(None) in typing.get_args(tp):
            parts.append("null")
        return " or ".join(parts)
    return getattr(tp, "__name__", repr(tp))


_Check = Callable[[Any, str], Iterator[Issue]]


def _no_issues(value: Any, path: str) -> Iterator[Issue]:
    return iter(())


def _wrong_type(tp: Any, path: str) -> Issue:
    return Issue(path, "wrong_type", f"Expected {describe(tp)}.")


def _type_check(tp: Any) -> _Check:
    """Return a check that yields a ``wrong_type`` issue unless a value is a ``tp``."""
    if tp is Any:
        return _no_issues
    if tp is bool:

        def check_bool(value: Any, path: str) -> Iterator[Issue]:
            if value is not True and value is not False:
                yield _wrong_type(bool, path)

        return check_bool
    if tp is int:

        def check_int(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
                yield _wrong_type(int, path)

        return check_int
    if tp is float:

        def check_float(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not float:
                yield _wrong_type(float, path)
            elif not math.isfinite(value):
                yield Issue(path, "invalid_value", "Expected a finite number.")

        return check_float
    if tp is dt.date:

        def check_date(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not dt.date:
                yield _wrong_type(dt.date, path)

        return check_date
    if tp is dt.datetime:

        def check_datetime(value: Any, path: str) -> Iterator[Issue]:
            if not isinstance(value, dt.datetime):
                yield _wrong_type(dt.datetime, path)
            elif value.utcoffset() is None:
                yield Issue(
                    path,
                    "naive_datetime",
                    "The date and time has no time zone or UTC offset.",
                )

        return check_datetime
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:  # pragma: no cover - design error
            msg = f"only tuple[X, ...] is supported, not {tp!r}"
            raise TypeError(msg)
        item_check = _type_check(args[0])

        def check_tuple(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not tuple:
                yield _wrong_type(tp, path)
                return
            for index, item in enumerate(value):
                yield from item_check(item, f"{path}[{index}]")

        return check_tuple
    if origin in (typing.Union, types.UnionType):
        alternatives = typing.get_args(tp)
        optional = type(None) in alternatives
        others = [a for a in alternatives if a is not type(None)]
        if len(others) == 1:
            inner = _type_check(others[0])

            def check_optional(value: Any, path: str) -> Iterator[Issue]:
                if value is not None:
                    yield from inner(value, path)

            return check_optional
        checks = [_type_check(a) for a in others]

        def check_union(value: Any, path: str) -> Iterator[Issue]:
            if optional and value is None:
                return
            for check in checks:
                if not any(True for _ in check(value, path)):
                    return
            yield _wrong_type(tp, path)

        return check_union
    if isinstance(tp, type):
        exact = tp is str

        def check_instance(value: Any, path: str) -> Iterator[Issue]:
            if (type(value) is not tp) if exact else not isinstance(value, tp):
                yield _wrong_type(tp, path)

        return check_instance
    msg = f"unsupported field type {tp!r}"  # pragma: no cover - design error
    raise TypeError(msg)  # pragma: no cover


def _bounds_check(name: str, c: Constraints) -> _Check | None:
    """Return a check of a field's declared bounds, or ``None`` if it has none."""
    label = _label(name)
    pattern = re.compile(c.pattern) if c.pattern is not None else None
    if c.ge is None and c.le is None and c.min_len is None and c.max_len is None and not pattern:
        return None

    def check(value: Any, path: str) -> Iterator[Issue]:
        if value is None:
            return
        if c.ge is not None and value < c.ge:
            if c.le is not None:
                yield Issue(path, "out_of_range", f"{label} must be between {c.ge} and {c.le}.")
            else:
                yield Issue(path, "out_of_range", f"{label} must be at least {c.ge}.")
        elif c.le is not None and value > c.le:
            if c.ge is not None:
                yield Issue(path, "out_of_range", f"{label} must be between {c.ge} and {c.le}.")
            else:
                yield Issue(path, "out_of_range", f"{label} must be at most {c.le}.")
        if c.min_len is not None and len(value) < c.min_len:
            if isinstance(value, str) and c.min_len == 1:
                yield Issue(path, "too_short", f"{label} must not be empty.")
            else:
                unit = "character" if isinstance(value, str) else "item"
                plural = "s" if c.min_len != 1 else ""
                yield Issue(
                    path, "too_short", f"{label} needs at least {c.min_len} {unit}{plural}."
                )
        if c.max_len is not None and len(value) > c.max_len:
            unit = "character" if isinstance(value, str) else "item"
            plural = "s" if c.max_len != 1 else ""
            yield Issue(path, "too_long", f"{label} allows at most {c.max_len} {unit}{plural}.")
        if pattern is not None and not pattern.fullmatch(value):
            yield Issue(path, "invalid_value", f"{label} is not in the expected format.")

    return check


def _combine(type_check: _Check, bounds: _Check | None) -> _Check:
    if bounds is None:
        return type_check

    def check(value: Any, path: str) -> Iterator[Issue]:
        found = False
        for issue in type_check(value, path):
            found = True
            yield issue
        if not found:
            yield from bounds(value, path)

    return check


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    """Return the :class:`FieldSpec` of every field of model ``cls`` (cached)."""
    specs = _SPECS.get(cls)
    if specs is None:
        # Resolve names in the namespace the class was defined in: a module
        # imported a second time (doctest collection does this) must not
        # make the first copy's fields point at the second copy's types.
        namespace = cls.__dict__.get("__iptkit_namespace__")
        hints = typing.get_type_hints(cls, globalns=namespace)
        built = []
        for f in attrs.fields(cls):
            constraints = f.metadata.get(_META_KEY, Constraints())
            tp = hints[f.name]
            check = _combine(_type_check(tp), _bounds_check(f.name, constraints))
            built.append(
                FieldSpec(
                    name=f.name,
                    type=tp,
                    required=f.default is attrs.NOTHING,
                    constraints=constraints,
                    check=check,
                )
            )
        specs = tuple(built)
        _SPECS[cls] = specs
    return specs


def spec_for(cls: type, name: str) -> FieldSpec:
    """Return the :class:`FieldSpec` of field ``name`` of ``cls``."""
    for spec in field_specs(cls):
        if spec.name == name:
            return spec
    raise KeyError(name)


def check_fields(cls: type, values: dict[str, Any]) -> list[Issue]:
    """Check each value in ``values`` against the matching field of ``cls``.

    Used by the codec to report field problems even when another field of the
    same object failed to load.  Paths are relative to the object.
    """
    issues: list[Issue] = []
    for spec in field_specs(cls):
        if spec.name in values:
            issues.extend(spec.check(values[spec.name], "$." + spec.name))
    return issues


# --------------------------------------------------------------------------
# Fast path: one compiled check per class
# --------------------------------------------------------------------------
#
# Building an object runs the field checks above, which yield issues with
# paths: thorough, but they cost a generator per field.  Valid objects are by
# far the common case, so each class also gets one plain function, compiled
# from its field declarations, that only answers "is every field fine?".  It
# is a sufficient test: when it says yes, the detailed checks would find
# nothing; when it says no (or cannot tell), the detailed checks run and
# report exactly as before.

_Fast = Callable[[Any], bool]
_FAST: dict[type, _Fast] = {}


class _FastSource:
    """Collects the names a compiled check refers to, and its lines."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_isfinite": math.isfinite}
        self.lines: list[str] = []

    def name(self, value: Any) -> str:
        key = f"_v{len(self.names)}"
        self.names[key] = value
        return key


def _fast_type(tp: Any, var: str, src: _FastSource) -> str | None:
    """Return an expression true only if ``var`` passes the type check of ``tp``.

    ``None`` when the type needs statements (tuples) or is not covered.
    """
    if tp is Any:
        return "True"
    if tp is bool:
        return f"({var} is True or {var} is False)"
    if tp is int:
        return f"type({var}) is int"
    if tp is float:
        return f"(type({var}) is float and _isfinite({var}))"
    if tp is dt.datetime:
        cls_name = src.name(dt.datetime)
        return f"(type({var}) is {cls_name} and {var}.utcoffset() is not None)"
    origin = typing.get_origin(tp)
    if origin is tuple:
        return None
    if origin in (typing.Union, types.UnionType):
        alternatives = typing.get_args(tp)
        parts = [f"{var} is None"] if type(None) in alternatives else []
        for alternative in alternatives:
            if alternative is type(None):
                continue
            part = _fast_type(alternative, var, src)
            if part is None:
                return None
            parts.append(part)
        return "(" + " or ".join(parts) + ")"
    if isinstance(tp, type):
        # date, str, enumerations and models: the exact class is always right.
        return f"type({var}) is {src.name(tp)}"
    return None  # pragma: no cover - unsupported types are refused earlier


def _fast_bounds(c: Constraints, var: str, src: _FastSource) -> list[str]:
    """Return expressions that together hold only if ``var`` is within ``c``."""
    tests = []
    if c.ge is not None:
        tests.append(f"{c.ge!r} <= {var}")
    if c.le is not None:
        tests.append(f"{var} <= {c.le!r}")
    if c.min_len is not None:
        tests.append(f"len({var}) >= {c.min_len!r}")
    if c.max_len is not None:
        tests.append(f"len({var}) <= {c.max_len!r}")
    if c.pattern is not None:
        tests.append(f"{src.name(re.compile(c.pattern).fullmatch)}({var}) is not None")
    return tests


def _fast_field(spec: FieldSpec, src: _FastSource) -> None:
    """Add the lines that return ``False`` unless field ``spec`` surely passes its checks."""
    out = src.lines
    out.append(f"    v = self.{spec.name}")
    tp = spec.type
    indent = "    "
    origin = typing.get_origin(tp)
    optional = origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)
    inner = tp
    if optional:
        others = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(others) == 1:
            inner = others[0]
    bounds = _fast_bounds(spec.constraints, "v", src)
    if typing.get_origin(inner) is tuple:
        if inner is not tp:
            out.append("    if v is not None:")
            indent = "        "
        item_type = typing.get_args(inner)[0]
        item = _fast_type(item_type, "x", src)
        if item is None:  # pragma: no cover - no such field today
            item = f"not any(True for _ in {src.name(_type_check(item_type))}(x, '$'))"
        out.append(f"{indent}if type(v) is not tuple: return False")
        out.append(f"{indent}for x in v:")
        out.append(f"{indent}    if not ({item}): return False")
        for test in bounds:
            out.append(f"{indent}if not ({test}): return False")
        return
    expression = _fast_type(tp, "v", src)
    if expression is None:  # pragma: no cover - no such field today
        expression = f"not any(True for _ in {src.name(spec.check)}(v, '$'))"
    out.append(f"    if not {expression}: return False")
    if bounds:
        guard = "v is not None and not " if optional else "not "
        out.append(f"    if {guard}({' and '.join(bounds)}): return False")


def _compile_fast(cls: type) -> _Fast:
    """Compile the fast field check of model ``cls`` (cached)."""
    fast = _FAST.get(cls)
    if fast is None:
        src = _FastSource()
        src.lines.append("def fast(self):")
        for spec in field_specs(cls):
            _fast_field(spec, src)
        src.lines.append("    return True")
        namespace = dict(src.names)
        # The source is built from the class's own field declarations only.
        exec("\n".join(src.lines), namespace)
        fast = typing.cast(_Fast, namespace["fast"])
        _FAST[cls] = fast
    return fast


_INSTANT_FIELDS: dict[type, tuple[str, ...]] = {}


def _instant_fields(cls: type) -> tuple[str, ...]:
    """Names of the fields of ``cls`` holding one datetime (or ``None``)."""
    names = _INSTANT_FIELDS.get(cls)
    if names is None:
        names = tuple(
            spec.name
            for spec in field_specs(cls)
            if spec.type is dt.datetime or spec.type == (dt.datetime | None)
        )
        _INSTANT_FIELDS[cls] = names
    return names


def _fix_offsets(self: Any, cls: type) -> None:
    """Store each datetime with a fixed UTC offset instead of a zone's rules.

    The instant, the offset and the wall-clock time are kept; only the zone
    object goes (a model that needs the zone keeps its IANA name in a field).
    Without this a datetime in a daylight-saving fold or gap would never
    compare equal to the same instant read back from JSON, which carries
    the offset only.
    """
    names = _INSTANT_FIELDS.get(cls)
    if names is None:
        names = _instant_fields(cls)
    for name in names:
        value = getattr(self, name)
        if value is not None and type(value.tzinfo) is not dt.timezone:
            offset = value.utcoffset()
            object.__setattr__(self, name, value.replace(tzinfo=dt.timezone(offset), fold=0))


def _post_init(self: Any) -> None:
    cls = type(self)
    fast = _FAST.get(cls) or _compile_fast(cls)
    if fast(self):
        invariants = getattr(self, "_invariants", None)
        if invariants is not None:
            found = iter(invariants())
            first = next(found, None)
            if first is not None:
                raise ValidationError([first, *found])
        _fix_offsets(self, cls)
        return
    issues: list[Issue] = []
    for spec in field_specs(cls):
        issues.extend(spec.check(getattr(self, spec.name), "$." + spec.name))
    if not issues:
        invariants = getattr(self, "_invariants", None)
        if invariants is not None:
            issues.extend(invariants())
    if issues:
        raise ValidationError(issues)
    _fix_offsets(self, cls)


@typing.overload
def model(cls: type[T], /) -> type[T]: ...


@typing.overload
def model(*, kw_only: bool = ..., document: str | None = ...) -> Callable[[type[T]], type[T]]: ...


@typing.dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(attrs.field, field)
)
def model(
    cls: type[T] | None = None,
    /,
    *,
    kw_only: bool = True,
    document: str | None = None,
) -> type[T] | Callable[[type[T]], type[T]]:
    """Make ``cls`` a frozen, slotted, validated iptkit model.

    Args:
        cls: the class to decorate.
        kw_only: whether ``__init__`` takes keyword arguments only.
        document: for a class stored as a top-level JSON document, its
            document kind; the codec then writes and checks
            ``schema_version``.
    """

    def wrap(cls: type[T]) -> type[T]:
        if "__attrs_post_init__" in cls.__dict__:  # pragma: no cover - design error
            msg = f"{cls.__name__}: put cross-field rules in _invariants()"
            raise TypeError(msg)
        cls.__attrs_post_init__ = _post_init  # type: ignore[attr-defined]
        built = attrs.frozen(kw_only=kw_only)(cls)
        built.__iptkit_model__ = True  # type: ignore[attr-defined]
        built.__iptkit_document__ = document  # type: ignore[attr-defined]
        module = sys.modules.get(cls.__module__)
        # The live namespace of the module being executed (later names appear in it).
        built.__iptkit_namespace__ = (  # type: ignore[attr-defined]
            vars(module) if module is not None else None
        )
        return built

    if cls is not None:
        return wrap(cls)
    return wrap


def document_kind(cls: type) -> str | None:
    """Return the document kind of ``cls`` if it is a top-level document."""
    kind: str | None = getattr(cls, "__iptkit_document__", None)
    return kind


def evolve(obj: T, /, **changes: Any) -> T:
    """Return a copy of model ``obj`` with ``changes`` applied, checked like a new object.

    The typed twin of :func:`attrs.evolve` for iptkit models (type checkers do
    not see iptkit models as attrs classes).

    >>> from iptkit import Relationship, RelationshipRole, evolve
    >>> friend = Relationship(label="F", role=RelationshipRole.FRIEND, closeness=3)
    >>> evolve(friend, closeness=2).closeness
    2

    Raises:
        ValidationError: the changed object would break a rule.
    """
    result: T = attrs.evolve(obj, **changes)  # type: ignore[misc]
    return result
