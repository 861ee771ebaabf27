"""The small model framework every iptkit class is built with.

A model is a frozen, slotted attrs class made by :func:`model`.  Its fields are
declared with :func:`field`, which records simple constraints (bounds,
lengths, a pattern) as data, and with a type hint, which
:func:`~iptkit._types.shape_of` turns into a :class:`~iptkit._types.TypeShape`,
so that the same declaration drives:

* the checks run when an object is built (``__attrs_post_init__``),
* the codec, which reports every field problem of a document at once,
* the JSON Schema export.

Values are taken as they are, with two exceptions, both stored in the form
JSON reads back so that ``load(type(x), dump(x)) == x``: a whole number given
for a decimal (``float``) field is stored as the ``float`` of the same value
(one that no ``float`` holds exactly is refused), and a datetime is stored with
its fixed UTC offset instead of its zone's rules.  Nothing else is converted: a
list where a tuple is expected, or text where an enumeration member is
expected, is refused with a message saying what to pass instead.

Cross-field rules live in a method ``_invariants(self)`` that yields
:class:`~iptkit.Issue` objects with paths relative to the object (``$``).  It
runs only when every field has the right type and is within its bounds.

Nothing here imports the codec: models stay pure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

from iptkit._errors import Issue, ValidationError
from iptkit._types import (
    Kind,
    TypeShape,
    compile_function,
    describe,
    int_fits_float,
    shape_of,
    value_words,
)
from iptkit._types import is_model as is_model

__all__ = [
    "FieldSpec",
    "check_fields",
    "evolve",
    "fast_check",
    "field",
    "field_specs",
    "is_model",
    "model",
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

    The field's type hint says what values it takes, with no coercion: a
    ``tuple[X, ...]`` field takes a tuple (a list is refused with "got a list;
    use a tuple"), an enumeration field takes a member (its text value is
    refused).  The one widening is numeric: a ``float`` field also takes an
    ``int`` (not a ``bool``), in code as in JSON, and stores the ``float`` of
    the same value.

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
# Field descriptions
# --------------------------------------------------------------------------


@attrs.frozen
class FieldSpec:
    """What the framework knows about one field of a model."""

    name: str
    type: Any
    shape: TypeShape
    required: bool
    constraints: Constraints
    check: Callable[[Any, str], Iterator[Issue]]


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


# --------------------------------------------------------------------------
# Detailed checks: one per field, yielding issues with paths
# --------------------------------------------------------------------------
#
# These messages are read by people who build objects in Python as well as by
# people whose JSON was loaded: the codec hands plain values (numbers, text,
# booleans) to the model unchanged, and converts everything else first.  So a
# message about a plain value speaks JSON ("text", "a whole number"), and one
# about a date, an enumeration, a model or a tuple speaks Python.  A message
# says what kind of value arrived, never what it says: values are personal data.

_Check = Callable[[Any, str], Iterator[Issue]]


def _expected(shape: TypeShape) -> str:
    """What a value of ``shape`` must be, in the words of a Python caller."""
    kind = shape.kind
    if kind is Kind.DATE:
        return "a date"
    if kind is Kind.DATETIME:
        return "a datetime with a UTC offset"
    if kind is Kind.ENUM or kind is Kind.MODEL:
        name = typing.cast("type", shape.cls).__name__
        return f"a {name} member" if kind is Kind.ENUM else f"a {name}"
    if kind is Kind.TUPLE:
        return "a tuple (a list in JSON)"
    if kind is Kind.OPTIONAL:
        return _expected(shape.inner) + " or null"
    if kind is Kind.UNION:
        return " or ".join(_expected(a) for a in shape.alternatives)
    return describe(shape)


def _hint(shape: TypeShape, value: Any) -> str:
    """Advice for a value of a kind people often pass by mistake ("" if none)."""
    kind = shape.kind
    if kind is Kind.TUPLE and isinstance(value, list):
        return "; use a tuple"
    if kind is Kind.ENUM and isinstance(value, str):
        return f"; use a {shape.enum_class.__name__} member"
    if kind is Kind.MODEL and isinstance(value, dict):
        name = shape.model_class.__name__
        return f"; build a {name}, or read JSON with iptkit.load()"
    if kind is Kind.DATE and isinstance(value, dt.datetime):
        return "; use its date()"
    return ""


def _wrong_type(shape: TypeShape, value: Any, path: str) -> Issue:
    got = value_words(value)
    if type(value) is dict:
        got = "an object (a dict)"
    message = f"Expected {_expected(shape)}; got {got}{_hint(shape, value)}."
    return Issue(path, "wrong_type", message)


def _no_issues(value: Any, path: str) -> Iterator[Issue]:
    return iter(())


def _type_check(shape: TypeShape) -> _Check:
    """Return a check that yields a ``wrong_type`` issue unless a value is of ``shape``.

    Each kind accepts here exactly what :func:`_fast_type` accepts.
    """
    kind = shape.kind
    if kind is Kind.ANY:
        return _no_issues
    if kind is Kind.BOOL:

        def check_bool(value: Any, path: str) -> Iterator[Issue]:
            if value is not True and value is not False:
                yield _wrong_type(shape, value, path)

        return check_bool
    if kind is Kind.INT:

        def check_int(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
                yield _wrong_type(shape, value, path)

        return check_int
    if kind is Kind.FLOAT:

        def check_float(value: Any, path: str) -> Iterator[Issue]:
            # A whole number is a number too: it is stored as the float of the
            # same value, and refused if no float holds that value exactly.
            if type(value) is float:
                if not math.isfinite(value):
                    yield Issue(path, "invalid_value", "Expected a finite number.")
            elif type(value) is int:
                if not int_fits_float(value):
                    yield Issue(
                        path, "out_of_range", "The whole number is too large to store exactly."
                    )
            else:
                yield _wrong_type(shape, value, path)

        return check_float
    if kind is Kind.DATETIME:

        def check_datetime(value: Any, path: str) -> Iterator[Issue]:
            if not isinstance(value, dt.datetime):
                yield _wrong_type(shape, value, path)
            elif value.utcoffset() is None:
                yield Issue(
                    path,
                    "naive_datetime",
                    "The date and time has no time zone or UTC offset.",
                )

        return check_datetime
    if kind is Kind.TUPLE:
        item_check = _type_check(shape.inner)

        def check_tuple(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not tuple:
                yield _wrong_type(shape, value, path)
                return
            for index, item in enumerate(value):
                yield from item_check(item, f"{path}[{index}]")

        return check_tuple
    if kind is Kind.OPTIONAL:
        inner = _type_check(shape.inner)

        def check_optional(value: Any, path: str) -> Iterator[Issue]:
            if value is not None:
                yield from inner(value, path)

        return check_optional
    if kind is Kind.UNION:
        checks = [_type_check(a) for a in shape.alternatives]

        def check_union(value: Any, path: str) -> Iterator[Issue]:
            for check in checks:
                if not any(True for _ in check(value, path)):
                    return
            yield _wrong_type(shape, value, path)

        return check_union
    # STR and DATE take the exact class (a datetime is not a date here);
    # ENUM and MODEL take instances.
    cls = typing.cast("type", shape.cls if kind in (Kind.ENUM, Kind.MODEL) else shape.hint)
    exact = kind is Kind.STR or kind is Kind.DATE

    def check_instance(value: Any, path: str) -> Iterator[Issue]:
        if (type(value) is not cls) if exact else not isinstance(value, cls):
            yield _wrong_type(shape, value, path)

    return check_instance


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
            shape = shape_of(tp)
            check = _combine(_type_check(shape), _bounds_check(f.name, constraints))
            built.append(
                FieldSpec(
                    name=f.name,
                    type=tp,
                    shape=shape,
                    required=f.default is attrs.NOTHING,
                    constraints=constraints,
                    check=check,
                )
            )
        specs = tuple(built)
        _SPECS[cls] = specs
    return specs


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
# agrees with the detailed checks: when it says yes they would find nothing,
# when it says no they find at least one issue (tests/test_fast_path.py).

_Fast = Callable[[Any], bool]


class _FastSource:
    """Collects the names a compiled check refers to, and its lines."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_isfinite": math.isfinite, "_fits": int_fits_float}
        self.lines: list[str] = []

    def name(self, value: Any) -> str:
        key = f"_v{len(self.names)}"
        self.names[key] = value
        return key


def _fast_type(shape: TypeShape, var: str, src: _FastSource) -> str:
    """Return an expression true exactly when ``var`` passes the type check of ``shape``.

    A tuple needs statements: :func:`_fast_field` writes those, and a tuple
    anywhere else (inside a union) cannot be declared (see :func:`shape_of`).
    """
    kind = shape.kind
    if kind is Kind.ANY:
        return "True"
    if kind is Kind.BOOL:
        return f"({var} is True or {var} is False)"
    if kind is Kind.INT:
        return f"(type({var}) is int or (isinstance({var}, int) and type({var}) is not bool))"
    if kind is Kind.FLOAT:
        return (
            f"((type({var}) is float and _isfinite({var}))"
            f" or (type({var}) is int and _fits({var})))"
        )
    if kind is Kind.DATETIME:
        cls = src.name(dt.datetime)
        return (
            f"((type({var}) is {cls} or isinstance({var}, {cls}))"
            f" and {var}.utcoffset() is not None)"
        )
    if kind is Kind.OPTIONAL:
        return f"({var} is None or {_fast_type(shape.inner, var, src)})"
    if kind is Kind.UNION:
        return "(" + " or ".join(_fast_type(a, var, src) for a in shape.alternatives) + ")"
    if kind is Kind.STR or kind is Kind.DATE:
        return f"type({var}) is {src.name(shape.hint)}"
    # ENUM and MODEL: the exact class first (the usual case), then subclasses.
    cls = src.name(shape.cls)
    return f"(type({var}) is {cls} or isinstance({var}, {cls}))"


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
    """Add the lines that return ``False`` unless field ``spec`` passes its checks."""
    out = src.lines
    out.append(f"    v = self.{spec.name}")
    shape = spec.shape
    optional = shape.kind is Kind.OPTIONAL
    inner = shape.inner if optional else shape
    bounds = _fast_bounds(spec.constraints, "v", src)
    if inner.kind is Kind.TUPLE:
        indent = "    "
        if optional:
            out.append("    if v is not None:")
            indent = "        "
        item = _fast_type(inner.inner, "x", src)
        out.append(f"{indent}if type(v) is not tuple: return False")
        out.append(f"{indent}for x in v:")
        out.append(f"{indent}    if not {item}: return False")
        for test in bounds:
            out.append(f"{indent}if not ({test}): return False")
        return
    out.append(f"    if not {_fast_type(shape, 'v', src)}: return False")
    if bounds:
        guard = "v is not None and not " if optional else "not "
        out.append(f"    if {guard}({' and '.join(bounds)}): return False")


def _compile_fast(cls: type) -> _Fast:
    """Compile the fast field check of model ``cls``."""
    src = _FastSource()
    src.lines.append("def fast(self):")
    for spec in field_specs(cls):
        _fast_field(spec, src)
    src.lines.append("    return True")
    # Generated: loads() of the examples corpus takes 1.28x as long with a plain loop
    # of per-field predicates instead (1.44x with only the detailed checks).
    return typing.cast(_Fast, compile_function("fast", src.lines, src.names))


# --------------------------------------------------------------------------
# Stored form: the few values kept in a canonical form
# --------------------------------------------------------------------------

_Fix = Callable[[Any], Any]


def _float_of(value: Any) -> Any:
    """A whole number given for a decimal field, as the float of the same value."""
    return float(value) if type(value) is int else value


def _fixed_offset(value: dt.datetime) -> dt.datetime:
    """Store a datetime with a fixed UTC offset instead of a zone's rules.

    The instant, the offset and the wall-clock time are kept; only the zone
    object goes (a model that needs the zone keeps its IANA name in a field).
    Without this a datetime in a daylight-saving fold or gap would never
    compare equal to the same instant read back from JSON, which carries
    the offset only.
    """
    if type(value.tzinfo) is dt.timezone:
        return value
    return value.replace(tzinfo=dt.timezone(typing.cast(dt.timedelta, value.utcoffset())), fold=0)


def _fixer(shape: TypeShape) -> _Fix | None:
    """How a checked value of ``shape`` is stored, or ``None`` if always as it is."""
    kind = shape.kind
    if kind is Kind.FLOAT:
        return _float_of
    if kind is Kind.DATETIME:
        return _fixed_offset
    if kind is Kind.UNION:
        kinds = {a.kind for a in shape.alternatives}
        # A whole number stays one where a whole number (or any value) is allowed.
        return _float_of if Kind.FLOAT in kinds and not kinds & {Kind.INT, Kind.ANY} else None
    if kind is Kind.OPTIONAL:
        inner = _fixer(shape.inner)
        if inner is None:
            return None
        fix_inner = inner

        def fix_optional(value: Any) -> Any:
            return value if value is None else fix_inner(value)

        return fix_optional
    if kind is Kind.TUPLE:
        item = _fixer(shape.inner)
        if item is None:
            return None
        fix_item = item

        def fix_tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
            fixed = tuple([fix_item(x) for x in value])
            return value if all(a is b for a, b in zip(fixed, value, strict=True)) else fixed

        return fix_tuple
    return None


# --------------------------------------------------------------------------
# What runs when an object is built
# --------------------------------------------------------------------------

_Plan = tuple[_Fast, tuple[tuple[str, _Fix], ...]]

#: Per class: the fast check, and the fields whose values may need storing in
#: canonical form (with how).
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        fixes = []
        for spec in field_specs(cls):
            fix = _fixer(spec.shape)
            if fix is not None:
                fixes.append((spec.name, fix))
        plan = (_compile_fast(cls), tuple(fixes))
        _PLANS[cls] = plan
    return plan


def fast_check(cls: type) -> _Fast:
    """The compiled fast field check of model ``cls`` (for tests)."""
    return _plan(cls)[0]


def _post_init(self: Any) -> None:
    cls = type(self)
    fast, fixes = _PLANS.get(cls) or _plan(cls)
    if not fast(self):
        issues: list[Issue] = []
        for spec in field_specs(cls):
            issues.extend(spec.check(getattr(self, spec.name), "$." + spec.name))
        if issues:  # always, as the two checks agree; never raise an empty error
            raise ValidationError(issues)
    if fixes:
        for name, fix in fixes:
            value = getattr(self, name)
            fixed = fix(value)
            if fixed is not value:
                object.__setattr__(self, name, fixed)
    invariants = getattr(self, "_invariants", None)
    if invariants is not None:
        found = iter(invariants())
        first = next(found, None)
        if first is not None:
            raise ValidationError([first, *found])


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

    Building an object checks every field against its type hint and
    declaration (see :func:`field`) and then the class's ``_invariants``;
    any problem raises :class:`~iptkit.ValidationError` listing them all.
    Values are not converted, except that a ``float`` field stores an ``int``
    as the ``float`` of the same value and a datetime is stored with its fixed
    UTC offset.  In particular a list is not turned into a tuple: a list given
    for a tuple field is refused ("got a list; use a tuple"), so an object
    never holds a mutable sequence.

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
