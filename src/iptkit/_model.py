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
its fixed UTC offset instead of its zone's rules.  A field may declare one
canonical form of its own (``field(canonical=...)``: excluded dates are
stored sorted).  Nothing else is converted: a list where a tuple is expected,
or text where an enumeration member is expected, is refused with a message
saying what to pass instead.

A field's own rules beyond its bounds (a valid time zone name, no item
listed twice, dated items in date order) are declared with the field:
``field(rules=[...])`` takes functions of the value and its path that yield
issues (:data:`FieldRule`).  They run for each field whose value has the right
type and is within its bounds, even when a sibling field is wrong, so one
report holds every field's problems.

Cross-field rules live in a method ``_invariants(self)`` that yields
:class:`~iptkit.Issue` objects with paths relative to the object (``$``).  It
runs only when every field has the right type and is within its bounds (a
field rule that failed does not stop it: an invariant that needs a field
rule to hold checks that itself).

Every issue about one value keeps that value as ``Issue.input``;
messages never quote it.

Nothing here imports the codec: models stay pure.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import re
import sys
import types
import typing
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

import attrs

from iptkit._errors import Issue, ValidationError, join_path
from iptkit._types import (
    MAX_DATE,
    MAX_YEAR,
    MIN_DATE,
    MIN_YEAR,
    Kind,
    TypeShape,
    compile_function,
    describe,
    int_fits_float,
    is_text,
    offset_in_minutes,
    shape_of,
    value_words,
)
from iptkit._types import is_model as is_model

__all__ = [
    "FieldRule",
    "FieldSpec",
    "Rule",
    "check_fields",
    "distinct",
    "evolve",
    "fast_check",
    "field",
    "field_specs",
    "is_model",
    "model",
    "use_pydantic_hooks",
]

T = TypeVar("T")

_META_KEY = "iptkit"

#: A rule of one field: given the field's value (of the declared type, within
#: its bounds, never ``None``) and its path (``$.name``), yield the issues of
#: that value, with paths at or below the given one.  Give a :class:`Rule`
#: for a rule that runs on every object built: its cheap ``holds`` test goes
#: into the compiled fast check.
FieldRule = Callable[[Any, str], Iterable[Issue]]


@attrs.frozen
class Rule:
    """A field rule with a cheap test for the usual case, where it holds.

    Attributes:
        issues: the rule itself (see :data:`FieldRule`).
        holds: true exactly when ``issues`` finds nothing for a value; it
            runs inside the compiled fast check of every object built, so it
            must be cheap and must not raise.
    """

    issues: FieldRule
    holds: Callable[[Any], bool]

    def __call__(self, value: Any, path: str) -> Iterable[Issue]:
        return self.issues(value, path)


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
    rules: tuple[FieldRule, ...] = ()
    canonical: Callable[[Any], Any] | None = None


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
    rules: Iterable[FieldRule] = (),
    canonical: Callable[[Any], Any] | None = None,
) -> Any:
    """Declare a model field with optional constraints.

    The field's type hint says what values it takes, with no coercion: a
    ``tuple[X, ...]`` field takes a tuple (a list is refused with "got a list;
    use a tuple"), an enumeration field takes a member (its text value is
    refused).  The one widening is numeric: a ``float`` field also takes an
    ``int`` (not a ``bool``), in code as in JSON, and stores the ``float`` of
    the same value.

    Whatever the declaration, every value keeps iptkit's bounds: an ``int``
    field takes exactly ``int`` (not a ``bool`` or an ``IntEnum`` member),
    text holds no unpaired surrogate (``invalid_text``), a date lies between
    1900-01-01 and 2200-12-31 and a datetime in those years as written, with a
    UTC offset of whole minutes.
    Declare ``ge`` and ``le`` on every ``int`` field (a test checks).

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
        rules: the field's own further rules, each a function of the value
            and its path returning a list of issues, run once its value has
            the right type and is within its bounds, whatever the other
            fields hold.
        canonical: the one form a value is stored in, for a field whose
            values have several spellings of one meaning (a set of days given
            in any order, stored sorted).  Given a value that passed the
            field's checks (never ``None``), it returns the value to store:
            the same object when it is already in that form.  It runs when
            an object is built, so in code and from JSON alike.
    """
    constraints = Constraints(
        ge, le, min_len, max_len, pattern, private, doc, tuple(rules), canonical
    )
    if factory is not None:
        return attrs.field(factory=factory, repr=not private, metadata={_META_KEY: constraints})
    return attrs.field(default=default, repr=not private, metadata={_META_KEY: constraints})


# --------------------------------------------------------------------------
# Field descriptions
# --------------------------------------------------------------------------


@attrs.frozen
class FieldSpec:
    """What the framework knows about one field of a model.

    ``check`` is the field's type and bounds check (what the compiled fast
    check answers for); :meth:`issues` adds the field's own rules.
    """

    name: str
    type: Any
    shape: TypeShape
    required: bool
    constraints: Constraints
    check: Callable[[Any, str], Iterator[Issue]]

    def issues(self, value: Any, path: str) -> list[Issue]:
        """Every problem of ``value`` in this field: type and bounds, else its own rules."""
        found = list(self.check(value, path))
        if not found and value is not None:
            for rule in self.constraints.rules:
                found.extend(rule(value, path))
        return found


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
        # Say whether the text is a member's value, never which one.
        name = shape.enum_class.__name__
        if value in shape.enum_class._value2member_map_:
            return f"; use a {name} member ({name}(text) gives it)"
        return f"; use a {name} member (the text is not one of their values)"
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
    return Issue(path, "wrong_type", message, value)


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
            # An int itself: not a bool, not an IntEnum member or other subclass.
            if type(value) is not int:
                yield _wrong_type(shape, value, path)

        return check_int
    if kind is Kind.FLOAT:

        def check_float(value: Any, path: str) -> Iterator[Issue]:
            # A whole number is a number too: it is stored as the float of the
            # same value, and refused if no float holds that value exactly.
            if type(value) is float:
                if not math.isfinite(value):
                    yield Issue(path, "invalid_value", "Expected a finite number.", value)
            elif type(value) is int:
                if not int_fits_float(value):
                    yield Issue(
                        path,
                        "out_of_range",
                        "The whole number is too large to store exactly.",
                        value,
                    )
            else:
                yield _wrong_type(shape, value, path)

        return check_float
    if kind is Kind.DATETIME:

        def check_datetime(value: Any, path: str) -> Iterator[Issue]:
            if not isinstance(value, dt.datetime):
                yield _wrong_type(shape, value, path)
                return
            offset = value.utcoffset()
            if offset is None:
                yield Issue(
                    path,
                    "naive_datetime",
                    "The date and time has no time zone or UTC offset.",
                    value,
                )
            elif not offset_in_minutes(offset):
                yield Issue(
                    path,
                    "invalid_value",
                    "The UTC offset must be whole minutes (+HH:MM), without seconds.",
                    value,
                )
            elif not MIN_YEAR <= value.year <= MAX_YEAR:
                yield _date_range_issue(value, path)

        return check_datetime
    if kind is Kind.DATE:

        def check_date(value: Any, path: str) -> Iterator[Issue]:
            # A date itself: a datetime is not a calendar day here.
            if type(value) is not dt.date:
                yield _wrong_type(shape, value, path)
            elif not MIN_DATE <= value <= MAX_DATE:
                yield _date_range_issue(value, path)

        return check_date
    if kind is Kind.STR:

        def check_str(value: Any, path: str) -> Iterator[Issue]:
            if type(value) is not str:
                yield _wrong_type(shape, value, path)
            elif not is_text(value):
                yield _invalid_text(value, path)

        return check_str
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
            # Fine if one alternative takes it; else the problem of an
            # alternative of the right type (text that is not valid Unicode),
            # else the wrong type.
            problem: list[Issue] | None = None
            for check in checks:
                found = list(check(value, path))
                if not found:
                    return
                if problem is None and any(i.code != "wrong_type" for i in found):
                    problem = found
            yield from problem or (_wrong_type(shape, value, path),)

        return check_union
    # ENUM and MODEL take instances.
    cls = typing.cast("type", shape.cls)

    def check_instance(value: Any, path: str) -> Iterator[Issue]:
        if not isinstance(value, cls):
            yield _wrong_type(shape, value, path)

    if kind is not Kind.MODEL:
        return check_instance

    def check_model(value: Any, path: str) -> Iterator[Issue]:
        kind_of_value = type(value)
        if kind_of_value is cls or (isinstance(value, cls) and is_model(kind_of_value)):
            return
        if isinstance(value, cls):
            # A plain subclass: its extra attributes would be lost on writing.
            yield Issue(
                path,
                "wrong_type",
                f"Expected a {cls.__name__}; got a subclass that is not an iptkit model "
                "(decorate it with iptkit.model so its fields are kept).",
                value,
            )
            return
        yield _wrong_type(shape, value, path)

    return check_model


def _date_range_issue(value: Any, path: str) -> Issue:
    message = f"The date must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
    return Issue(path, "out_of_range", message, value)


def _invalid_text(value: Any, path: str) -> Issue:
    return Issue(
        path,
        "invalid_text",
        "The text holds a character that is not valid Unicode (an unpaired surrogate).",
        value,
    )


def _bounds_check(name: str, c: Constraints) -> _Check | None:
    """Return a check of a field's declared bounds, or ``None`` if it has none.

    Messages give the declared bounds (never the value, which each issue keeps
    as its ``input``).
    """
    label = _label(name)
    pattern = re.compile(c.pattern) if c.pattern is not None else None
    if c.ge is None and c.le is None and c.min_len is None and c.max_len is None and not pattern:
        return None

    def check(value: Any, path: str) -> Iterator[Issue]:
        if value is None:
            return
        if c.ge is not None and value < c.ge:
            if c.le is not None:
                message = f"{label} must be between {c.ge} and {c.le}."
            else:
                message = f"{label} must be at least {c.ge}."
            yield Issue(path, "out_of_range", message, value)
        elif c.le is not None and value > c.le:
            if c.ge is not None:
                message = f"{label} must be between {c.ge} and {c.le}."
            else:
                message = f"{label} must be at most {c.le}."
            yield Issue(path, "out_of_range", message, value)
        if c.min_len is not None and len(value) < c.min_len:
            if isinstance(value, str) and c.min_len == 1:
                message = f"{label} must not be empty."
            else:
                unit = "character" if isinstance(value, str) else "item"
                plural = "s" if c.min_len != 1 else ""
                message = f"{label} needs at least {c.min_len} {unit}{plural}."
            yield Issue(path, "too_short", message, value)
        if c.max_len is not None and len(value) > c.max_len:
            unit = "character" if isinstance(value, str) else "item"
            plural = "s" if c.max_len != 1 else ""
            message = f"{label} allows at most {c.max_len} {unit}{plural}."
            yield Issue(path, "too_long", message, value)
        if pattern is not None and not pattern.fullmatch(value):
            yield Issue(path, "invalid_value", f"{label} is not in the expected format.", value)

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


def distinct(
    message: str,
    *,
    key: Callable[[Any], Hashable] | None = None,
    below: str = "",
    code: str = "duplicate_value",
    each: bool = True,
) -> Rule:
    """A rule of a tuple field: no two items are alike (``duplicate_value``).

    Args:
        message: the message of the issue (it must not quote the item).
        key: what makes two items alike (the items themselves by default).
        below: where below a repeated item the issue points (``".label"``).
        code: the issue's code.
        each: an issue at each repeated item (its path, and its key as the
            ``input``); else one issue at the field, holding the whole tuple.

    >>> rule = distinct("A day is listed twice.")
    >>> [(i.path, i.input) for i in rule((1, 2, 1, 1), "$.days")]
    [('$.days[2]', 1), ('$.days[3]', 1)]
    """

    def holds(value: Any) -> bool:
        if key is None:
            return len(set(value)) == len(value)
        return len({key(item) for item in value}) == len(value)

    def rule(value: Any, path: str) -> list[Issue]:
        if holds(value):
            return []
        if not each:
            return [Issue(path, code, message, value)]
        issues = []
        seen: set[Hashable] = set()
        for index, item in enumerate(value):
            found = item if key is None else key(item)
            if found in seen:
                issues.append(Issue(f"{path}[{index}]{below}", code, message, found))
            seen.add(found)
        return issues

    return Rule(rule, holds)


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def _field_hints(cls: type) -> dict[str, Any]:
    """The resolved type hint of every field of ``cls``, each in its own class's module.

    A model may extend another declared in another module (a downstream
    package adding a field): each class's annotations are read in the
    namespace of the module that declared them.
    """
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        own = inspect.get_annotations(klass)  # the class's own, as written
        if not own:
            continue
        namespace = klass.__dict__.get("__iptkit_namespace__")
        if namespace is None:
            module = sys.modules.get(klass.__module__)
            namespace = vars(module) if module is not None else {}
        holder = types.SimpleNamespace(__annotations__=dict(own))
        hints.update(typing.get_type_hints(holder, globalns=namespace))
    return hints


def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    """Return the :class:`FieldSpec` of every field of model ``cls`` (cached)."""
    specs = _SPECS.get(cls)
    if specs is None:
        # Resolve names in the namespace the class was defined in: a module
        # imported a second time (doctest collection does this) must not
        # make the first copy's fields point at the second copy's types.
        hints = _field_hints(cls)
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


def check_fields(cls: type, values: dict[str, Any], *, rules: bool = False) -> list[Issue]:
    """Check each value in ``values`` against the matching field of ``cls``.

    Type and bounds only (what the compiled fast check answers for), or, with
    ``rules``, each field's own rules too (:meth:`FieldSpec.issues`).  The
    codec uses the latter to report every field problem even when another
    field of the same object failed to load.  Paths are relative to the object.
    """
    issues: list[Issue] = []
    for spec in field_specs(cls):
        if spec.name in values:
            value = values[spec.name]
            path = "$." + spec.name
            issues.extend(spec.issues(value, path) if rules else spec.check(value, path))
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
        return f"{var} is not {src.name(_MISSING)}"
    if kind is Kind.BOOL:
        return f"({var} is True or {var} is False)"
    if kind is Kind.INT:
        return f"type({var}) is int"
    if kind is Kind.FLOAT:
        return (
            f"((type({var}) is float and _isfinite({var}))"
            f" or (type({var}) is int and _fits({var})))"
        )
    if kind is Kind.DATETIME:
        cls = src.name(dt.datetime)
        return (
            f"((type({var}) is {cls} or isinstance({var}, {cls}))"
            f" and (_o := {var}.utcoffset()) is not None"
            " and not (_o.seconds % 60 or _o.microseconds)"
            f" and {MIN_YEAR} <= {var}.year <= {MAX_YEAR})"
        )
    if kind is Kind.OPTIONAL:
        return f"({var} is None or {_fast_type(shape.inner, var, src)})"
    if kind is Kind.UNION:
        return "(" + " or ".join(_fast_type(a, var, src) for a in shape.alternatives) + ")"
    if kind is Kind.STR:
        # isascii() is a flag test: only other text is searched for surrogates.
        return f"(type({var}) is str and ({var}.isascii() or {src.name(is_text)}({var})))"
    if kind is Kind.DATE:
        first, last = src.name(MIN_DATE), src.name(MAX_DATE)
        return f"(type({var}) is {src.name(dt.date)} and {first} <= {var} <= {last})"
    # ENUM and MODEL: the exact class first (the usual case), then subclasses
    # (for a model, only a subclass that is a model itself, whose fields are kept).
    cls = src.name(shape.cls)
    if kind is Kind.MODEL:
        model_check = src.name(is_model)
        return (
            f"(type({var}) is {cls} or (isinstance({var}, {cls}) and {model_check}(type({var}))))"
        )
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


def _fast_field(
    spec: FieldSpec,
    src: _FastSource,
    value: str | None = None,
    fail: str = "return False",
    typed: bool = False,
) -> None:
    """Add the lines that run ``fail`` unless field ``spec`` passes its checks.

    ``value``: the expression of the field's value (``self.<name>`` by default).
    ``typed``: the value is known to be of the field's type (see
    :func:`add_build_lines`): only its bounds and rules are checked.
    """
    out = src.lines
    out.append(f"    v = {value or 'self.' + spec.name}")
    shape = spec.shape
    optional = shape.kind is Kind.OPTIONAL
    inner = shape.inner if optional else shape
    bounds = _fast_bounds(spec.constraints, "v", src)
    if inner.kind is Kind.TUPLE:
        indent = "    "
        if optional:
            out.append("    if v is not None:")
            indent = "        "
        if not typed:
            item = _fast_type(inner.inner, "x", src)
            out.append(f"{indent}if type(v) is not tuple: {fail}")
            out.append(f"{indent}for x in v:")
            out.append(f"{indent}    if not {item}: {fail}")
        for test in [*bounds, *_fast_rules(spec, src)]:
            out.append(f"{indent}if not ({test}): {fail}")
        return
    if not typed:
        out.append(f"    if not {_fast_type(shape, 'v', src)}: {fail}")
    tests = [*bounds, *_fast_rules(spec, src)]
    if tests:
        guard = "v is not None and not " if optional else "not "
        out.append(f"    if {guard}({' and '.join(tests)}): {fail}")


def _fast_rules(spec: FieldSpec, src: _FastSource) -> list[str]:
    """Expressions true exactly when ``v`` keeps the field's own rules.

    A :class:`Rule` gives its cheap ``holds`` test; any other rule is run and
    must find nothing.
    """
    tests = []
    path = "$." + spec.name
    for rule in spec.constraints.rules:
        if isinstance(rule, Rule):
            tests.append(f"{src.name(rule.holds)}(v)")
        else:
            tests.append(f"not {src.name(_finds_anything)}({src.name(rule)}, v, {path!r})")
    return tests


def _finds_anything(rule: FieldRule, value: Any, path: str) -> bool:
    return any(True for _ in rule(value, path))


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


#: What generated code is built from: the names it refers to, and its lines.
GeneratedSource = _FastSource


def made_by_hooks(shape: TypeShape) -> bool:
    """Whether a converted value of ``shape`` is of its type by construction.

    True for enumerations, models and tuples of them (``X | None`` of those
    too): the codec's hooks and the compiled reader make exactly these
    members, objects and tuples.  Dates, datetimes and plain values are
    tested (their bounds are part of the type test).
    """
    kind = shape.kind
    if kind is Kind.OPTIONAL or kind is Kind.TUPLE:
        return made_by_hooks(shape.inner)
    return kind is Kind.ENUM or kind is Kind.MODEL


def add_build_lines(
    cls: type,
    src: GeneratedSource,
    arguments: list[str],
    fail: str,
    typed: frozenset[str] = frozenset(),
) -> None:
    """Add lines that build a ``cls`` from the locals ``arguments`` (its fields, in order).

    The lines run what building the object runs when nothing is wrong (the
    fast field checks, the canonical forms, the cross-field rules) on the
    values as given, set the fields and return the object; as soon as
    anything does not pass they run ``fail`` instead (a statement that
    builds the object the ordinary way, which reports every problem).  The
    codec ends its compiled structure hooks with them: the same checks as
    ``cls(**fields)``, without the call through ``__init__`` and the
    re-reading of each field.  ``typed`` names the fields whose values the
    caller made itself, of the field's very type (an enumeration member, an
    object of the model class, a tuple of those): their type is not tested
    again, their bounds and rules are.
    """
    specs = field_specs(cls)
    for spec, argument in zip(specs, arguments, strict=True):
        _fast_field(spec, src, value=argument, fail=fail, typed=spec.name in typed)
    _, fixes = _plan(cls)
    fixed = dict(fixes)
    for spec, argument in zip(specs, arguments, strict=True):
        fix = fixed.get(spec.name)
        if fix is not None:
            src.lines.append(f"    {argument} = {src.name(fix)}({argument})")
    src.lines.append(f"    obj = {src.name(object.__new__)}({src.name(cls)})")
    src.lines.append(f"    _set = {src.name(object.__setattr__.__get__)}(obj)")
    for spec, argument in zip(specs, arguments, strict=True):
        src.lines.append(f"    _set({spec.name!r}, {argument})")
    if getattr(cls, "_invariants", None) is not None:
        # Looked up when it runs, as _post_init does.
        src.lines.append("    rules = obj._invariants")
        src.lines.append(
            f"    if rules is not None and {src.name(next)}(iter(rules()), None) is not None:"
        )
        src.lines.append(f"        {fail}")
    src.lines.append("    return obj")


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


def _then_canonical(fix: _Fix | None, canonical: _Fix) -> _Fix:
    """``fix`` (if any), then a field's own ``canonical`` form (see :func:`field`)."""

    def fix_canonical(value: Any) -> Any:
        if value is None:
            return value
        return canonical(value if fix is None else fix(value))

    return fix_canonical


# --------------------------------------------------------------------------
# What runs when an object is built
# --------------------------------------------------------------------------

_Plan = tuple[_Fast, tuple[tuple[str, _Fix], ...]]

#: Per class: the fast check (field rules included), and the fields whose
#: values may need storing in canonical form (with how).
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        fixes = []
        for spec in field_specs(cls):
            fix = _fixer(spec.shape)
            canonical = spec.constraints.canonical
            if canonical is not None:
                fix = _then_canonical(fix, canonical)
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
    broken: list[Issue] | None = None
    if not fast(self):
        # The detailed checks: types, bounds, and the own rules of the fields
        # that passed both (even when a sibling did not).
        issues: list[Issue] = []
        typed = True
        for spec in field_specs(cls):
            value = getattr(self, spec.name)
            path = "$." + spec.name
            if value is _MISSING:  # a required argument not given (see _install_init)
                issues.append(_missing_field(spec.name))
                typed = False
                continue
            found = list(spec.check(value, path))
            if found:
                typed = False
                issues.extend(found)
            elif value is not None:
                for rule in spec.constraints.rules:
                    issues.extend(rule(value, path))
        if not typed:
            raise ValidationError(issues)
        # Every field has the right type and is within its bounds, but a field
        # rule failed: the cross-field rules can run too.
        broken = issues
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
            if broken:
                raise ValidationError(_in_field_order(cls, [*broken, first, *found]))
            raise ValidationError([first, *found])
    if broken:
        raise ValidationError(broken)


def _in_field_order(cls: type, issues: list[Issue]) -> list[Issue]:
    """``issues`` sorted by the field each is about, in declaration order (stable)."""
    rank = {spec.name: index for index, spec in enumerate(field_specs(cls))}

    def order(issue: Issue) -> int:
        loc = issue.loc
        return rank.get(loc[0], len(rank)) if loc and isinstance(loc[0], str) else len(rank)

    return sorted(issues, key=order)


# --------------------------------------------------------------------------
# Arguments: a missing or unknown one is a ValidationError, never a TypeError
# --------------------------------------------------------------------------
#
# attrs writes an ``__init__`` whose signature Python itself checks, raising
# TypeError for a missing or unknown argument.  Each model gets a generated
# ``__init__`` instead that cannot fail to bind: a required argument defaults
# to the sentinel ``_MISSING``, which no field check accepts (so the detailed
# checks, which name it ``missing_field``, run only when one is missing), and
# unknown arguments are collected in ``**_extra``, tested once.  A valid call
# runs the same statements as attrs' own ``__init__``.


class _Missing:
    """The type of :data:`_MISSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


#: The value of a required argument that was not given (never stored: the
#: checks refuse it).
_MISSING: Any = _Missing()


def _missing_field(name: str) -> Issue:
    return Issue("$." + name, "missing_field", f"The required field {name!r} is missing.")


def _argument_issues(
    cls: type, positional: tuple[Any, ...], extra: dict[str, Any], given: dict[str, Any]
) -> list[Issue]:
    """Every problem of a call of ``cls`` with the fields ``given`` and these extras.

    ``positional``: arguments given by position beyond what ``cls`` takes;
    ``extra``: keyword arguments that are not fields.  The given fields get
    their own checks too, so one error lists everything.
    """
    issues: list[Issue] = []
    if positional:
        fields = attrs.fields(cls)
        most = "no" if all(f.kw_only for f in fields) else f"at most {len(fields)}"
        message = f"{cls.__name__} takes {most} arguments by position; pass fields by name."
        issues.append(Issue("$", "invalid_arguments", message))
    for key in extra:
        path = join_path("$", key) if isinstance(key, str) else "$"
        message = f"{cls.__name__} has no field {key[:40]!r}."
        issues.append(Issue(path, "unknown_field", message, extra[key]))
    for spec in field_specs(cls):
        value = given.get(spec.name, _MISSING)
        if value is _MISSING:
            if spec.required:
                issues.append(_missing_field(spec.name))
        else:
            issues.extend(spec.issues(value, "$." + spec.name))
    return issues


def _refuse_arguments(
    cls: type, positional: tuple[Any, ...], extra: dict[str, Any], given: dict[str, Any]
) -> None:
    raise ValidationError(_argument_issues(cls, positional, extra, given))


def _bind(
    cls: type, values: tuple[Any, ...], more: tuple[Any, ...], keywords: dict[str, Any]
) -> tuple[Any, ...]:
    """Merge the keyword arguments of a model that takes its fields by position too.

    ``values`` holds the fields by position (``_MISSING`` where none was
    given), ``more`` the positional arguments beyond them.  A field given
    twice, an unknown keyword or too many positions is refused.
    """
    names = [f.alias for f in attrs.fields(cls)]
    merged = list(values)
    given = next((i for i, v in enumerate(values) if v is _MISSING), len(values))
    twice: list[Issue] = []
    extra: dict[str, Any] = {}
    for key, value in keywords.items():
        if key not in names:
            extra[key] = value
        elif names.index(key) < given:
            twice.append(
                Issue(
                    "$." + key,
                    "invalid_arguments",
                    f"The field {key!r} is given both by position and by name.",
                )
            )
        else:
            merged[names.index(key)] = value
    if more or extra or twice:
        issues = _argument_issues(cls, more, extra, dict(zip(names, merged, strict=True)))
        raise ValidationError([*twice, *issues])
    return tuple(merged)


def _install_init(cls: type, *, kw_only: bool) -> None:
    """Give model ``cls`` an ``__init__`` that reports argument problems as ValidationError.

    The signature shown (``inspect.signature``, help, hypothesis) stays that
    of attrs' ``__init__``.
    """
    original = cls.__init__  # type: ignore[misc]
    names: dict[str, Any] = {
        "_M": _MISSING,
        "_get": object.__setattr__.__get__,
        "_cls": cls,
        "_refuse": _refuse_arguments,
        "_bind": _bind,
        "_post_init": _post_init,
    }
    params: list[str] = []
    sets: list[str] = []
    # A default made from the object (``Factory(..., takes_self=True)``) is set
    # after every other field, so it may depend on any field given.
    later: list[str] = []
    for index, f in enumerate(attrs.fields(cls)):
        arg = f.alias
        value = arg
        if f.default is attrs.NOTHING:
            default = "_M"
        elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            names[f"_f{index}"] = f.default.factory
            default = "_M"
            made = f"_f{index}(self)" if f.default.takes_self else f"_f{index}()"
            value = f"({arg} if {arg} is not _M else {made})"
        elif kw_only:
            names[f"_d{index}"] = f.default
            default = f"_d{index}"
        else:  # by position: unset until bound, so that _bind sees what was given
            names[f"_d{index}"] = f.default
            default = "_M"
            value = f"({arg} if {arg} is not _M else _d{index})"
        params.append(f"{arg}={default}")
        takes_self = isinstance(f.default, attrs.Factory) and f.default.takes_self  # type: ignore[arg-type]
        (later if takes_self else sets).append(f"    _setattr({f.name!r}, {value})")
    sets += later
    args = [f.alias for f in attrs.fields(cls)]
    if kw_only:
        signature = ", ".join(["self", "*_args", *params, "**_extra"])
        check = [
            "    if _args or _extra:",
            "        _refuse(_cls, _args, _extra, {"
            + ", ".join(f"{a!r}: {a}" for a in args)
            + "})",
        ]
    else:
        signature = ", ".join(["self", *params, *(["/"] if params else []), "*_args", "**_kw"])
        fields = "".join(a + ", " for a in args)
        check = [
            "    if _args or _kw:",
            f"        ({fields}) = _bind(_cls, ({fields}), _args, _kw)",
        ]
    lines = [
        f"def __init__({signature}):",
        *check,
        "    _setattr = _get(self)",
        *sets,
        "    _post_init(self)",
    ]
    # Generated: building every object of the examples corpus takes about 1.03x the
    # time with attrs' own __init__ (1.11x with a Python wrapper turning its TypeError
    # into a ValidationError instead); the **_extra dict is the cost, partly won back
    # by calling _post_init directly.
    init = compile_function("__init__", lines, names)
    init.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = original.__doc__
    cls.__init__ = init  # type: ignore[misc]


# --------------------------------------------------------------------------
# pydantic hooks
# --------------------------------------------------------------------------

#: The functions behind every model's pydantic hooks, by hook name.  The io
#: wing (``iptkit._io._pydantic``) sets them when iptkit is imported (any
#: import of an iptkit module imports iptkit first): a model module never
#: imports the io wing, and nothing here imports pydantic.
_PYDANTIC_HOOKS: dict[str, Callable[..., Any]] = {}


def use_pydantic_hooks(
    core_schema: Callable[[type, Any, Any], Any], json_schema: Callable[[type, Any, Any], Any]
) -> None:
    """Set what a model answers when pydantic asks for its core schema and its JSON Schema.

    Each function gets the model class and pydantic's two arguments.  They
    run only when pydantic calls a model's hooks (``TypeAdapter(Model)``, a
    pydantic field of a model type), so pydantic is imported then, if ever.
    """
    _PYDANTIC_HOOKS["core_schema"] = core_schema
    _PYDANTIC_HOOKS["json_schema"] = json_schema


def _get_pydantic_core_schema(cls: type, source: Any, handler: Any) -> Any:
    """pydantic's hook: validation by :func:`iptkit.load`, serialization by :func:`iptkit.dump`."""
    return _PYDANTIC_HOOKS["core_schema"](cls, source, handler)


def _get_pydantic_json_schema(cls: type, core_schema: Any, handler: Any) -> Any:
    """pydantic's hook: the schema of :func:`iptkit.json_schema`, definitions placed by pydantic."""
    return _PYDANTIC_HOOKS["json_schema"](cls, core_schema, handler)


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
    any problem raises :class:`~iptkit.ValidationError` listing them all,
    a missing argument (``missing_field``) or an unknown one
    (``unknown_field``) included: never a bare ``TypeError``.
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

    The class is also a pydantic type (see the "Use with pydantic and FastAPI" page): its
    pydantic hooks cost nothing until pydantic calls them.
    """

    def wrap(cls: type[T]) -> type[T]:
        if "__attrs_post_init__" in cls.__dict__:  # pragma: no cover - design error
            msg = f"{cls.__name__}: put cross-field rules in _invariants()"
            raise TypeError(msg)
        cls.__attrs_post_init__ = _post_init  # type: ignore[attr-defined]
        built = attrs.frozen(kw_only=kw_only)(cls)
        _install_init(built, kw_only=kw_only)
        built.__iptkit_model__ = True  # type: ignore[attr-defined]
        built.__iptkit_document__ = document  # type: ignore[attr-defined]
        module = sys.modules.get(cls.__module__)
        # The live namespace of the module being executed (later names appear in it).
        built.__iptkit_namespace__ = (  # type: ignore[attr-defined]
            vars(module) if module is not None else None
        )
        # A pydantic type too (TypeAdapter, FastAPI bodies), unless the class says otherwise.
        if "__get_pydantic_core_schema__" not in cls.__dict__:
            built.__get_pydantic_core_schema__ = classmethod(  # type: ignore[attr-defined]
                _get_pydantic_core_schema
            )
        if "__get_pydantic_json_schema__" not in cls.__dict__:
            built.__get_pydantic_json_schema__ = classmethod(  # type: ignore[attr-defined]
                _get_pydantic_json_schema
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
        ValidationError: the changed object would break a rule, or a change
            names no field (``unknown_field``).
    """
    result: T = attrs.evolve(obj, **changes)  # type: ignore[misc]
    return result
