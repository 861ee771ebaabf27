"""JSON codec: strict, lossless conversion between models and JSON values.

The wire rules (each enforced by a structure hook registered on a cattrs
:class:`cattrs.Converter`):

* an object is a JSON object whose keys are exactly the model's fields:
  an unknown key is refused (``unknown_field``, reported at the key), a
  missing required key too (``missing_field``);
* no coercion: ``"no"`` is not a boolean, ``3.9`` is not a whole number,
  ``12`` is not text, a text is not a list (``wrong_type``); a whole number is
  accepted where a decimal number is expected, and stored as the float of the
  same value (the model does this, for objects built in code too);
* a date is text ``YYYY-MM-DD``; a date and time is ISO 8601 text with a UTC
  offset (``Z`` or ``+HH:MM``); a datetime without one is refused
  (``naive_datetime``);
* an enumeration is its lowercase string value (``invalid_value`` otherwise);
* a list is a JSON array and becomes a tuple;
* values keep the models' bounds (dates 1900-2200, text without unpaired
  surrogates, ...), and a document nests arrays and objects at most
  :data:`~iptkit._types.MAX_DEPTH` (64) levels deep (``too_deep``), judged
  the same way whatever the caller's stack depth;
* a top-level document carries ``schema_version``; a version this release
  does not know is refused (``unsupported_schema_version``), and a missing one
  is ``missing_field`` unless ``require_version=False``.  Either way the rest
  of the document is read as the current version and its problems are
  reported too.

Every problem of a document is reported in one :class:`~iptkit.ValidationError`;
messages say what kind of value was found, never the value itself, which
each issue keeps as its ``input`` (the JSON value at its path).
Field problems, each field's own rules included, are found even when a
sibling field fails; an object's cross-field rules run once all its fields
loaded.
"""

from __future__ import annotations

import collections
import contextvars
import datetime as dt
import enum
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import cattrs

from iptkit._errors import NO_INPUT, Issue, ValidationError, join_path, relocate
from iptkit._io._migrations import SCHEMA_VERSION, upgrade
from iptkit._model import check_fields, document_kind, field_specs
from iptkit._protocol import BUILTIN_PROTOCOLS, Protocol
from iptkit._types import (
    MAX_DEPTH,
    SCALARS,
    Kind,
    TypeShape,
    compile_function,
    describe,
    is_model,
    nested_too_deep,
    shape_of,
    value_words,
)

__all__ = [
    "SCHEMA_VERSION",
    "converter",
    "dump",
    "dumps",
    "load",
    "loads",
    "make_converter",
]

T = TypeVar("T")

# ASCII digits only; a UTC offset is Z or +HH:MM (no seconds), as the docs and
# the JSON Schema say.  Days outside the supported years are the model's to refuse.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?\Z"
)

_Hook = Callable[[Any, Any], Any]

#: The most issues :func:`load` lists, when its caller set ``max_issues``;
#: beyond it, issues are only counted, so memory does not grow with them.
_MAX_ISSUES: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "iptkit_max_issues", default=None
)


def _listing(issues: list[Issue]) -> bool:
    """Whether an issue found now is still listed (the cap is not reached yet)."""
    limit = _MAX_ISSUES.get()
    return limit is None or len(issues) < limit


def _gathered(issues: list[Issue], left: collections.Counter[str] | None) -> ValidationError:
    """The error listing ``issues`` (in order), cut to the cap; the rest counted per code."""
    limit = _MAX_ISSUES.get()
    if limit is not None and len(issues) > limit:
        left = left if left is not None else collections.Counter()
        left.update(issue.code for issue in issues[limit:])
        del issues[limit:]
    return ValidationError(issues, left_out=left)


def _count_left_out(
    left: collections.Counter[str] | None, codes: Mapping[str, int]
) -> collections.Counter[str] | None:
    """``left`` with ``codes`` added (a new counter if there was none and ``codes`` has some)."""
    if not codes:
        return left
    left = left if left is not None else collections.Counter()
    left.update(codes)
    return left


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

#: The Python types of decoded JSON values.
_JSON_TYPES = frozenset({dict, list, str, int, float, bool, type(None)})


def _wrong_type(shape: TypeShape, value: Any) -> ValidationError:
    """A ``wrong_type`` error for ``value`` where a JSON value of ``shape`` belongs.

    The message says what kind of value arrived, never what it says.  A Python
    object that JSON cannot hold (a ``datetime``, a tuple, a model) gets a
    message saying that :func:`load` reads JSON.
    """
    kind = shape.kind
    if type(value) in _JSON_TYPES:
        words = f"an object ({shape.model_class.__name__})" if kind is Kind.MODEL else None
        message = f"Expected {words or describe(shape)}; got {value_words(value)}."
    else:
        if kind is Kind.TUPLE:
            wanted = "a JSON array"
        elif kind is Kind.MODEL:
            wanted = f"a JSON object ({shape.model_class.__name__})"
        else:
            wanted = f"a JSON string holding {describe(shape)}"
        message = (
            f"Expected {wanted}; got a Python {type(value).__name__} object,"
            " which load() does not read."
        )
    return ValidationError.single("$", "wrong_type", message, value)


# --------------------------------------------------------------------------
# Structuring
# --------------------------------------------------------------------------


def _needs_hook(shape: TypeShape) -> bool:
    """Whether a JSON value of ``shape`` must be converted before the model gets it.

    Plain values (numbers, text, booleans) go to the model unchanged: the
    model checks their type, and stores a whole number given for a decimal
    field as a float.
    """
    if shape.kind is Kind.OPTIONAL:
        return _needs_hook(shape.inner)
    return shape.kind not in SCALARS and shape.kind is not Kind.UNION


def _structure_date(value: Any, _: Any) -> dt.date:
    if type(value) is not str:
        raise _wrong_type(shape_of(dt.date), value)
    if _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError.single("$", "invalid_value", "Expected a real date as YYYY-MM-DD.", value)


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    if type(value) is not str:
        raise _wrong_type(shape_of(dt.datetime), value)
    if _DATETIME.match(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                raise ValidationError.single(
                    "$",
                    "naive_datetime",
                    "The date and time has no time zone or UTC offset.",
                    value,
                )
            return parsed
    raise ValidationError.single(
        "$",
        "invalid_value",
        "Expected a date and time as YYYY-MM-DDTHH:MM:SS with a UTC offset.",
        value,
    )


def _enum_hook(shape: TypeShape) -> _Hook:
    members: Mapping[Any, enum.Enum] = shape.enum_class._value2member_map_
    allowed = ", ".join(repr(m.value) for m in shape.enum_class)

    def structure_enum(value: Any, _: Any) -> enum.Enum:
        if type(value) is not str:
            raise _wrong_type(shape, value)
        member = members.get(value)
        if member is None:
            raise ValidationError.single(
                "$",
                "invalid_value",
                f"The text is not an allowed value here; use one of {allowed}.",
                value,
            )
        return member

    return structure_enum


def _tuple_hook(shape: TypeShape, conv: cattrs.Converter) -> _Hook:
    item_shape = shape.inner
    if not _needs_hook(item_shape):

        def structure_plain_list(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _wrong_type(shape, value)
            return tuple(value)

        return structure_plain_list
    item_type = item_shape.hint
    item_hook = conv.get_structure_hook(item_type)

    def structure_list(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _wrong_type(shape, value)
        if not value:
            return ()
        # A plain loop: fastest for the short lists records hold (map() costs more to set up).
        items: list[Any] = []
        append = items.append
        try:
            for item in value:
                append(item_hook(item, item_type))
        except ValidationError:
            pass
        else:
            return tuple(items)
        # Report every item that fails (hooks are pure: running one again is harmless).
        # Past the cap on issues, an item's issues are only counted.
        issues: list[Issue] = []
        left: collections.Counter[str] | None = None
        for index, item in enumerate(value):
            try:
                item_hook(item, item_type)
            except ValidationError as exc:
                if _listing(issues):
                    issues.extend(relocate(exc.issues, f"$[{index}]"))
                else:
                    left = left if left is not None else collections.Counter()
                    left.update(issue.code for issue in exc.issues)
                left = _count_left_out(left, exc.left_out)
        raise _gathered(issues, left)

    return structure_list


def _optional_hook(shape: TypeShape, conv: cattrs.Converter) -> _Hook:
    inner = shape.inner.hint
    hook = conv.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None:
            return None
        return hook(value, inner)

    return structure_optional


def _structure_hook(tp: Any, conv: cattrs.Converter) -> _Hook:
    """The structure hook of a type whose JSON value needs converting (see :func:`_needs_hook`)."""
    shape = shape_of(tp)
    kind = shape.kind
    if kind is Kind.DATE:
        return _structure_date
    if kind is Kind.DATETIME:
        return _structure_datetime
    if kind is Kind.ENUM:
        return _enum_hook(shape)
    if kind is Kind.TUPLE:
        return _tuple_hook(shape, conv)
    if kind is Kind.OPTIONAL:
        return _optional_hook(shape, conv)
    return _model_hook(shape.model_class, conv)


def _hooked(tp: Any) -> bool:
    """Whether iptkit's hooks structure ``tp`` (a field type whose value needs converting).

    Only field types are ever asked for, and :func:`~iptkit._model.field_specs`
    has refused any type :func:`~iptkit._types.shape_of` does not know.
    """
    return _needs_hook(shape_of(tp))


def _model_hook(cls: type, conv: cattrs.Converter) -> _Hook:
    """Build the structure hook of model ``cls``: one loop over its fields.

    A plain value goes to the model as it is; any other value goes through the
    hook of its type (for ``X | None``, the hook of ``X`` unless the value is
    null).  Every problem is collected: missing and unknown keys, each field
    that fails its hook, and the field checks of the fields that did load.
    """
    steps: list[tuple[str, _Hook | None, bool, bool]] = []
    for spec in field_specs(cls):
        shape = spec.shape
        nullable = shape.kind is Kind.OPTIONAL
        target = shape.inner if nullable else shape
        hook = conv.get_structure_hook(target.hint) if _needs_hook(target) else None
        if target.hint is Protocol and hook is not None:
            hook = _protocol_field_hook(hook)
        steps.append((spec.name, hook, spec.required, nullable))
    known = frozenset(name for name, *_ in steps)
    size = len(known)
    shape = shape_of(cls)
    order = _issue_order([name for name, *_ in steps])

    def structure_model(data: Any, _: Any) -> Any:
        if type(data) is not dict:
            raise _wrong_type(shape, data)
        if len(data) != size or not known.issuperset(data):
            return report(data)
        # Every field is given, as dump() writes them.
        issues: list[Issue] | None = None
        left: collections.Counter[str] | None = None
        kwargs = {}
        for name, hook, _required, nullable in steps:
            value = data[name]
            if hook is None or (nullable and value is None):
                kwargs[name] = value
                continue
            try:
                # iptkit's hooks do not use their second argument (cattrs passes the type).
                kwargs[name] = hook(value, None)
            except ValidationError as exc:
                if issues is None:
                    issues = []
                issues.extend(relocate(exc.issues, "$." + name))
                left = _count_left_out(left, exc.left_out)
        if issues:
            issues.extend(check_fields(cls, kwargs, rules=True))
            raise _gathered(sorted(issues, key=order), left)
        return cls(**kwargs)

    def report(data: dict[Any, Any]) -> Any:
        """The same, for an object that lacks fields or has unknown keys."""
        issues: list[Issue] = []
        left: collections.Counter[str] | None = None
        kwargs = {}
        for name, hook, required, nullable in steps:
            if name in data:
                value = data[name]
                if hook is None or (nullable and value is None):
                    kwargs[name] = value
                    continue
                try:
                    kwargs[name] = hook(value, None)
                except ValidationError as exc:
                    issues.extend(relocate(exc.issues, "$." + name))
                    left = _count_left_out(left, exc.left_out)
            elif required:
                issues.append(
                    Issue("$." + name, "missing_field", f"The required field {name!r} is missing.")
                )
        unknown, more = _unknown(cls, known, data)
        issues.extend(unknown)
        if more:
            left = _count_left_out(left, {"unknown_field": more})
        if issues:
            # Report field problems of the fields that did load, too.
            issues.extend(check_fields(cls, kwargs, rules=True))
            raise _gathered(sorted(issues, key=order), left)
        return cls(**kwargs)

    # No generated code here: an unrolled, compiled version of this loop (0.1.0's) loads
    # the examples corpus only 1.02x as fast (1.02x with the models' checks off too).
    return structure_model


def _protocol_field_hook(structure_protocol: _Hook) -> _Hook:
    """The hook of a field holding a protocol: a built-in's name, or the protocol as an object.

    A document names a built-in protocol (``"protocol": "ipt_uk"``) rather
    than repeating its rules; a custom protocol is an object.  An object
    giving a built-in's name with other rules is refused by the protocol
    itself (``builtin_protocol_altered``).
    """
    names = ", ".join(sorted(BUILTIN_PROTOCOLS))

    def structure(value: Any, _: Any) -> Any:
        if type(value) is str:
            found = BUILTIN_PROTOCOLS.get(value)
            if found is None:
                raise ValidationError.single(
                    "$",
                    "unknown_protocol",
                    f"No built-in protocol has that name; name one of {names}, or give "
                    "the protocol as an object.",
                    value,
                )
            return found
        return structure_protocol(value, None)

    return structure


def _dump_protocol_field(protocol: Protocol) -> Any:
    """A built-in protocol by its name; any other as an object."""
    if protocol.name in BUILTIN_PROTOCOLS:  # its rules are the built-in's: the name is reserved
        return protocol.name
    return converter.unstructure(protocol)


def _unknown(cls: type, known: frozenset[str], data: dict[Any, Any]) -> tuple[list[Issue], int]:
    """An ``unknown_field`` issue at each key of ``data`` that ``cls`` has no field for.

    A key is structure and stays in the path and the message; the value
    under it is kept as the issue's ``input`` only.  A key that is not text
    (a Python dict can hold one; JSON cannot) is named by its type only.
    Past the cap on issues the keys are only counted: the second value is
    how many were.
    """
    issues: list[Issue] = []
    more = 0
    limit = _MAX_ISSUES.get()
    for key, value in data.items():
        if key in known:
            continue
        if limit is not None and len(issues) >= limit:
            more += 1
            continue
        if type(key) is str:
            path = join_path("$", key)
            message = f"{cls.__name__} has no field {key[:40]!r}."
        else:
            path = join_path("$", f"<{type(key).__name__}>")
            message = f"{cls.__name__} has no field of that name; field names are text."
        issues.append(Issue(path, "unknown_field", message, value))
    return issues, more


def _issue_order(names: list[str]) -> Callable[[Issue], int]:
    """Sort issues by field order so reports read top to bottom."""
    rank = {name: index for index, name in enumerate(names)}

    def order(issue: Issue) -> int:
        loc = issue.loc
        head = loc[0] if loc else None
        return rank.get(head, len(rank)) if isinstance(head, str) else len(rank)

    return order


# --------------------------------------------------------------------------
# Unstructuring
# --------------------------------------------------------------------------


def _model_dumper(cls: type, conv: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    """Build the dumper of model ``cls``: one compiled dict display of its fields.

    Plain values are written as they are, enumerations as their value, dates
    and datetimes as ISO 8601 text, tuples as lists and nested models by their
    own dumper; ``None`` stays ``None``.
    """
    names: dict[str, Any] = {}
    entries = []
    for spec in field_specs(cls):
        shape = spec.shape
        if shape.kind is Kind.OPTIONAL:
            expression = _dump_expression(shape.inner, "v", conv, names, 0)
            if expression is not None:
                expression = f"(None if (v := obj.{spec.name}) is None else {expression})"
        else:
            expression = _dump_expression(shape, f"obj.{spec.name}", conv, names, 0)
        entries.append(f"{spec.name!r}: {expression or f'obj.{spec.name}'}")
    lines = ["def unstructure(obj):", "    return {" + ", ".join(entries) + "}"]
    # Generated: dump() of the examples corpus takes 1.75x as long with a plain loop over
    # (field, writer) pairs instead (dumps() 1.31x).
    compiled: Callable[[Any], dict[str, Any]] = compile_function("unstructure", lines, names)
    return compiled


def _dump_expression(
    shape: TypeShape, var: str, conv: cattrs.Converter, names: dict[str, Any], depth: int
) -> str | None:
    """An expression dumping the value ``var`` of ``shape`` (``None``: it is JSON as it is).

    ``var`` is evaluated once, except inside an ``OPTIONAL`` (a plain name there).
    """
    kind = shape.kind
    if kind is Kind.ENUM:
        return f"{var}._value_"
    if kind is Kind.DATE or kind is Kind.DATETIME:
        return f"{var}.isoformat()"
    if kind is Kind.TUPLE:
        item = f"x{depth}"
        inner = _dump_expression(shape.inner, item, conv, names, depth + 1)
        return f"list({var})" if inner is None else f"[{inner} for {item} in {var}]"
    if kind is Kind.OPTIONAL:
        inner = _dump_expression(shape.inner, var, conv, names, depth)
        return None if inner is None else f"(None if {var} is None else {inner})"
    if kind is Kind.MODEL:
        name = f"d{len(names)}"
        cls = shape.model_class
        if cls is Protocol:
            names[name] = _dump_protocol_field
            return f"{name}({var})"
        names[name] = conv.get_unstructure_hook(cls)
        names[f"c{name}"] = cls
        names["unstructure_any"] = conv.unstructure
        # A subclass (a model a downstream package extended) is written with its own fields.
        return f"({name}({var}) if type({var}) is c{name} else unstructure_any({var}))"
    return None  # plain values and unions of them


def make_converter() -> cattrs.Converter:
    """Return a new converter configured with iptkit's wire rules.

    Only models and the field types that need converting get hooks; plain
    values go to the models unchanged (see :func:`_needs_hook`).
    """
    conv = cattrs.Converter()
    conv.register_structure_hook_factory(_hooked, _structure_hook)
    conv.register_unstructure_hook_factory(is_model, _model_dumper)
    return conv


#: The converter behind :func:`load` and :func:`dump`.
converter = make_converter()


def _check_model_class(cls: Any) -> None:
    if not is_model(cls):
        msg = f"{cls!r} is not an iptkit model class"
        raise TypeError(msg)


def load(
    cls: type[T], data: Any, *, require_version: bool = True, max_issues: int | None = None
) -> T:
    """Build a ``cls`` from a JSON value (dicts, lists, strings, numbers, ...).

    Total: for any JSON value at all this returns a valid object or raises
    :class:`~iptkit.ValidationError` listing every problem.  Each issue
    about one value keeps the JSON value at its path as
    ``Issue.input``.

    A top-level document (a class with a document kind) carries
    ``schema_version``.  A missing, malformed or unsupported version is one
    issue among the others: the rest of the document is read as the current
    version and every other problem is reported too.

    Args:
        cls: an iptkit model class, e.g. :class:`~iptkit.InterpersonalInventory`.
        data: the decoded JSON value.
        require_version: ``False`` accepts a top-level document without
            ``schema_version`` as the current version (an API body, a web
            form); a version that is given is still checked.  Ignored for
            classes that are not top-level documents.
        max_issues: list at most this many issues (the first ones, in
            document order) and only count the rest, per code, in
            :attr:`ValidationError.left_out <iptkit.ValidationError.left_out>`;
            the memory a bad document takes then stays bounded however many
            problems it has.  ``None`` (the default) lists every issue.

    Raises:
        ValidationError: ``data`` does not describe a valid ``cls`` (or nests
            lists and dicts more than 64 levels deep: ``too_deep``).
        TypeError: ``cls`` is not an iptkit model, or ``max_issues`` is not a
            whole number (programming errors).
        ValueError: ``max_issues`` is below 1.

    >>> from iptkit import InterpersonalInventory, Relationship
    >>> load(Relationship, {"label": "P1", "role": "partner", "closeness": 1}).closeness
    1
    >>> load(InterpersonalInventory, {"relationships": []}, require_version=False).relationships
    ()
    >>> bad = {"relationships": [{"label": "P", "role": "x", "closeness": 9}] * 3}
    >>> try:
    ...     load(InterpersonalInventory, bad, require_version=False, max_issues=2)
    ... except ValidationError as exc:
    ...     print(len(exc.issues), exc.left_out, exc.count)
    2 {'invalid_value': 2, 'out_of_range': 2} 6
    """
    _check_model_class(cls)
    _check_max_issues(max_issues)
    token = _MAX_ISSUES.set(max_issues)
    try:
        return _load(cls, data, require_version)
    except ValidationError:
        # Checked only when loading failed: a value that loads fits its
        # model's shape, which nests far less than MAX_DEPTH levels.
        if nested_too_deep(data):
            raise _too_deep() from None
        raise
    finally:
        _MAX_ISSUES.reset(token)


def _check_max_issues(max_issues: Any) -> None:
    if max_issues is None:
        return
    if type(max_issues) is not int:
        msg = f"max_issues must be a whole number or None, not {type(max_issues).__name__}"
        raise TypeError(msg)
    if max_issues < 1:
        msg = "max_issues must be at least 1 (or None for every issue)"
        raise ValueError(msg)


def _too_deep(text: Any = NO_INPUT) -> ValidationError:
    """The ``too_deep`` error of a document nested deeper than :data:`MAX_DEPTH` levels."""
    return ValidationError.single(
        "$",
        "too_deep",
        f"The document nests lists and objects more than {MAX_DEPTH} levels deep.",
        text,
    )


def _load(cls: type[T], data: Any, require_version: bool) -> T:
    """:func:`load` without the nesting limit."""
    kind = document_kind(cls)
    version_issues: list[Issue] = []
    if kind is not None:
        if type(data) is not dict:
            raise _wrong_type(shape_of(cls), data)
        data, version_issues = upgrade(kind, data, require_version=require_version)
    hook = converter.get_structure_hook(cls)
    try:
        result: T = hook(data, cls)
    except ValidationError as exc:
        issues = _json_inputs([*version_issues, *exc.issues], data)
        raise _gathered(issues, _count_left_out(None, exc.left_out)) from None
    if version_issues:
        raise ValidationError(version_issues)
    return result


def _json_inputs(issues: list[Issue], data: Any) -> list[Issue]:
    """``issues`` with each ``input`` replaced by the JSON value at the issue's path in ``data``.

    The model checks see converted values (a tuple for a JSON array, a member
    for its text); the caller gave JSON, so an issue keeps what the caller
    gave.  An issue without an input, or whose path is not in ``data``,
    stays as it is.
    """
    result = []
    for issue in issues:
        if issue.has_input:
            found, value = _json_at(data, issue.loc)
            if found and value is not issue.input:
                issue = Issue(issue.path, issue.code, issue.message, value)
        result.append(issue)
    return result


def _json_at(data: Any, loc: tuple[str | int, ...]) -> tuple[bool, Any]:
    """Whether ``data`` has a value at ``loc``, and the value."""
    for key in loc:
        if type(data) is dict:
            if key not in data:
                return False, None
            data = data[key]
        elif type(data) is list and type(key) is int and 0 <= key < len(data):
            data = data[key]
        else:
            return False, None
    return True, data


def _reject_constant(token: str) -> Any:
    msg = f"{token} is not valid JSON"
    raise ValueError(msg)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Report the first key to appear a second time.
        first = {key: index for index, (key, _) in reversed(list(enumerate(pairs)))}
        second = min(index for index, (key, _) in enumerate(pairs) if first[key] != index)
        raise _DuplicateKeyError(pairs[second][0])
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def parse_json(text: str | bytes) -> Any:
    """Decode JSON text strictly (no ``NaN``, no repeated keys), or raise ``ValidationError``."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError.single(
                "$", "invalid_json", "The document is not valid UTF-8 text.", text
            ) from None
    if not isinstance(text, str):
        msg = f"loads() takes str or bytes, not {type(text).__name__}"
        raise TypeError(msg)
    try:
        return _DECODER.decode(text)
    except (RecursionError, ValueError) as exc:
        failure = exc
    # The nesting limit comes first, and is judged on the text alone: where the
    # decoder runs out of stack depends on the caller's own stack depth.
    if _text_too_deep(text):
        raise _too_deep(text) from None
    if isinstance(failure, RecursionError):
        # Not too deep: the caller's own stack is nearly used up.
        return _decode_on_fresh_stack(text)
    raise _decode_error(failure, text) from None


def _decode_error(exc: ValueError, text: str) -> ValidationError:
    """The issue of text the decoder refused with ``exc``."""
    # The issues keep the text as their input; messages give positions only.
    if isinstance(exc, _DuplicateKeyError):
        return ValidationError.single(
            "$", "duplicate_key", f"The key {str(exc)[:40]!r} appears twice in one object.", text
        )
    return ValidationError.single(
        "$", "invalid_json", f"The document is not valid JSON: {exc}.", text
    )


#: A JSON string (perhaps cut short), or a bracket outside strings.
_NESTING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def _text_too_deep(text: str) -> bool:
    """Whether arrays and objects in JSON ``text`` nest more than :data:`MAX_DEPTH` levels.

    Counted from the brackets outside strings, valid JSON or not, without
    recursion (so the answer is the same at any depth of the caller's stack).
    """
    depth = 0
    for token in _NESTING_TOKEN.finditer(text):
        mark = text[token.start()]
        if mark == "[" or mark == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif mark == "]" or mark == "}":
            depth -= 1
    return False


def _decode_on_fresh_stack(text: str) -> Any:
    """Decode ``text`` (nested at most :data:`MAX_DEPTH` levels) on a new thread's stack."""
    outcome: list[Any] = []

    def decode() -> None:
        try:
            outcome.append((True, _DECODER.decode(text)))
        except ValueError as exc:
            outcome.append((False, exc))

    worker = threading.Thread(target=decode, name="iptkit-json")
    worker.start()
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise _decode_error(value, text) from None
    return value


def loads(
    cls: type[T], text: str | bytes, *, require_version: bool = True, max_issues: int | None = None
) -> T:
    """Build a ``cls`` from JSON text (``str`` or UTF-8 ``bytes``).

    ``require_version`` and ``max_issues`` are as for :func:`load`.

    Raises:
        ValidationError: the text is not JSON (``invalid_json``, ``duplicate_key``),
            nests arrays and objects more than 64 levels deep (``too_deep``),
            or does not describe a valid ``cls``.

    >>> from iptkit import Relationship
    >>> loads(Relationship, '{"label": "P1", "role": "friend", "closeness": 2}').role
    <RelationshipRole.FRIEND: 'friend'>
    """
    _check_model_class(cls)
    _check_max_issues(max_issues)
    data = parse_json(text)
    try:
        return load(cls, data, require_version=require_version, max_issues=max_issues)
    except ValidationError as exc:
        if len(exc.issues) == 1 and exc.issues[0].code == "too_deep":
            # As when the decoder itself found it too deep: the text is the input.
            raise _too_deep(text if isinstance(text, str) else bytes(text).decode()) from None
        raise


def dump(obj: Any) -> dict[str, Any]:
    """Return ``obj`` as a JSON-ready dict (only dicts, lists, str, int, float, bool, None).

    A top-level document gets its ``schema_version`` first.
    """
    cls = type(obj)
    _check_model_class(cls)
    body: dict[str, Any] = converter.unstructure(obj)
    if document_kind(cls) is not None:
        return {"schema_version": SCHEMA_VERSION, **body}
    return body


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Return ``obj`` as JSON text; the same object always gives the same text.

    >>> from iptkit import Relationship, RelationshipRole
    >>> dumps(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2))[:46]
    '{"label":"P1","role":"friend","closeness":2,"c'
    """
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(
        dump(obj), ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )
