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
import operator
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import cattrs

from iptkit._errors import NO_INPUT, Issue, ValidationError, join_path, relocate
from iptkit._io._migrations import SCHEMA_VERSION, upgrade
from iptkit._model import (
    GeneratedSource,
    add_build_lines,
    check_fields,
    document_kind,
    field_specs,
    made_by_hooks,
)
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


#: Per enumeration hook: its members by value (compiled hooks look them up inline).
_ENUM_MEMBERS: dict[_Hook, Mapping[Any, enum.Enum]] = {}


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

    _ENUM_MEMBERS[structure_enum] = members
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
                append(item_hook(item, None))
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
                item_hook(item, None)
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
        return hook(value, None)

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
    """Build the structure hook of model ``cls``.

    A plain value goes to the model as it is; any other value goes through the
    hook of its type (for ``X | None``, the hook of ``X`` unless the value is
    null).  Every problem is collected: missing and unknown keys, each field
    that fails its hook, and the field checks of the fields that did load.
    An object with exactly the model's keys (as :func:`dump` writes them)
    takes the compiled hook of :func:`_compile_structure`; any other, the
    loop of ``report``.
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
    order = _issue_order([name for name, *_ in steps])

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

    return _compile_structure(cls, steps, report, order)


def _compile_structure(
    cls: type,
    steps: list[tuple[str, _Hook | None, bool, bool]],
    report: Callable[[dict[Any, Any]], Any],
    order: Callable[[Issue], int],
) -> _Hook:
    """Compile the structure hook of model ``cls`` for an object with every field given.

    One function per model: it reads each field, converts it with its hook
    (an enumeration by a lookup in the function itself), collects what
    fails, and ends with the model's own build lines
    (:func:`~iptkit._model.add_build_lines`), so a valid object is checked
    once, without a call through ``__init__``.  An object that lacks fields
    or has unknown keys goes to ``report``.  Whatever fails, the error is
    the one the plain loop over the fields gave: the field problems in field
    order, with the field checks of the fields that did load.
    """
    src = GeneratedSource()
    names = [name for name, *_ in steps]
    arguments = [f"a{index}" for index in range(len(steps))]
    values = ", ".join(arguments)
    error = src.name(ValidationError)
    missing = src.name(_NOT_LOADED)
    note = src.name(_note_failure)
    shape = shape_of(cls)

    def ordinary(*given: Any) -> Any:
        """Build the object the ordinary way (its checks report every problem)."""
        return cls(**dict(zip(names, given, strict=True)))

    def give_up(failed: _Failed, given: tuple[Any, ...]) -> ValidationError:
        issues, left = failed
        loaded = {n: v for n, v in zip(names, given, strict=True) if v is not _NOT_LOADED}
        issues.extend(check_fields(cls, loaded, rules=True))
        return _gathered(sorted(issues, key=order), left)

    def wrong(data: Any) -> ValidationError:
        return _wrong_type(shape, data)

    lines = src.lines
    lines += [
        "def structure(data, _):",
        "    if type(data) is not dict:",
        f"        raise {src.name(wrong)}(data)",
        f"    if len(data) != {len(steps)} or not {src.name(frozenset(names))}.issuperset(data):",
        f"        return {src.name(report)}(data)",
        "    failed = None",
    ]
    for (name, hook, _required, nullable), argument in zip(steps, arguments, strict=True):
        lines.append(f"    {argument} = data[{name!r}]")
        if hook is None:
            continue
        indent = "    "
        if nullable:
            lines.append(f"    if {argument} is not None:")
            indent = "        "
        path = "$." + name
        members = _ENUM_MEMBERS.get(hook)
        if members is not None:
            # The lookup inline; the hook itself only to report a value it refuses.
            lines += [
                f"{indent}v = {argument}",
                f"{indent}{argument} = {src.name(members)}.get(v) if type(v) is str else None",
                f"{indent}if {argument} is None:",
                f"{indent}    try:",
                f"{indent}        {argument} = {src.name(hook)}(v, None)",
                f"{indent}    except {error} as e:",
                f"{indent}        {argument}, failed = {missing}, {note}(e, {path!r}, failed)",
            ]
            continue
        lines += [
            f"{indent}try:",
            f"{indent}    {argument} = {src.name(hook)}({argument}, None)",
            f"{indent}except {error} as e:",
            f"{indent}    {argument}, failed = {missing}, {note}(e, {path!r}, failed)",
        ]
    lines += [
        "    if failed is not None:",
        f"        raise {src.name(give_up)}(failed, ({values},))",
    ]
    # A value a hook made is of its field's type (an enumeration member, an object, ...).
    typed = frozenset(
        spec.name
        for spec, (_, hook, *_rest) in zip(field_specs(cls), steps, strict=True)
        if hook is not None and made_by_hooks(spec.shape)
    )
    fail = f"return {src.name(ordinary)}({values})"
    add_build_lines(cls, src, arguments, fail=fail, typed=typed)
    # Generated: load() of the bench's 16-record courses takes 1.28x as long with a loop
    # over (field, hook) pairs that then calls the class (0.1.0's hook).
    structure: _Hook = compile_function("structure", lines, src.names)
    return structure


#: A field whose hook failed (never a value of a field).
_NOT_LOADED: Any = object()

#: The issues found so far in an object, and the count of those left out.
_Failed = tuple[list[Issue], "collections.Counter[str] | None"]


def _note_failure(exc: ValidationError, path: str, failed: _Failed | None) -> _Failed:
    """``failed`` with the issues of a field that failed to load at ``path``."""
    issues, left = failed if failed is not None else ([], None)
    issues.extend(relocate(exc.issues, path))
    return issues, _count_left_out(left, exc.left_out)


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


# --------------------------------------------------------------------------
# JSON text, written directly
# --------------------------------------------------------------------------
#
# ``dumps`` writes a model's JSON text without building the dict ``dump``
# returns: each model gets a compiled writer that formats its fields straight
# into one string.  The text is byte for byte what ``json.dumps(dump(obj),
# ensure_ascii=False, separators=(",", ":"))`` gives (a property test holds
# the two together): text goes through the encoder's own string escaping,
# whole numbers are written as ``int.__str__`` writes them (what the encoder
# does), and any other value (floats, ``Any``, unions) through the encoder.

#: The encoder of the compact form (``dumps`` without ``indent``).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))

_Writer = Callable[[Any], str]

#: JSON text of a string, escaped as the encoder escapes it.
_write_text: Callable[[str], str] = json.encoder.encode_basestring

#: Per model class: its compiled writer.
_WRITERS: dict[type, _Writer] = {}


#: Per document class: its compiled writer as a top-level document.
_DOCUMENT_WRITERS: dict[type, _Writer] = {}


def _writer(cls: type) -> _Writer:
    """The compiled writer of model ``cls`` (built on first use)."""
    writer = _WRITERS.get(cls)
    if writer is None:
        writer = _WRITERS[cls] = _model_writer(cls)
    return writer


def _top_writer(cls: type) -> _Writer:
    """The writer of ``cls`` at the top level: a document gets its ``schema_version`` first."""
    writer = _DOCUMENT_WRITERS.get(cls)
    if writer is None:
        _check_model_class(cls)
        if document_kind(cls) is None:
            writer = _writer(cls)
        else:
            writer = _model_writer(cls, f'"schema_version":{SCHEMA_VERSION}')
        _DOCUMENT_WRITERS[cls] = writer
    return writer


def _write_any(obj: Any) -> str:
    """The JSON text of a model object of any class (a subclass a downstream package made)."""
    cls = type(obj)
    _check_model_class(cls)
    return _writer(cls)(obj)


def _write_protocol(protocol: Protocol) -> str:
    """A built-in protocol by its name; any other as an object (as :func:`_dump_protocol_field`)."""
    if protocol.name in BUILTIN_PROTOCOLS:
        return _write_text(protocol.name)
    return _write_any(protocol)


def _model_writer(cls: type, first: str | None = None) -> _Writer:
    """Compile the writer of model ``cls``: its fields formatted into one f-string.

    An object of a subclass (a model a downstream package extended) is
    handed to the subclass's own writer, so its extra fields are written.
    ``first``: a member written before the fields (a document's version).
    """
    names = {**text_names(), "cls": cls}
    lines = ["def write(obj):", "    if type(obj) is not cls:", "        return write_any(obj)"]
    template = [] if first is None else [first]
    for index, spec in enumerate(field_specs(cls)):
        local = f"f{index}"
        shape = spec.shape
        if shape.kind is Kind.INT:
            # An int formats as its JSON text in the f-string itself.
            lines.append(f"    {local} = obj.{spec.name}")
        elif shape.kind is Kind.OPTIONAL:
            inner = text_expression(shape.inner, local, names)
            lines.append(f"    {local} = obj.{spec.name}")
            lines.append(f"    {local} = 'null' if {local} is None else {inner}")
        else:
            expression = text_expression(shape, f"obj.{spec.name}", names)
            lines.append(f"    {local} = {expression}")
        key = json.dumps(spec.name)
        template.append(f"{key}:{{{local}}}")
    body = ",".join(template)
    if "'" in body or "\\" in body:  # pragma: no cover - field names are identifiers
        msg = f"field names of {cls.__name__} cannot be written into a template"
        raise TypeError(msg)
    lines.append(f"    return f'{{{{{body}}}}}'")
    # Generated: dumps() of the bench's 16-record courses takes 1.58x as long building
    # dump()'s dict and encoding it with the standard library (0.1.0's way).
    writer: _Writer = compile_function("write", lines, names)
    return writer


def text_names() -> dict[str, Any]:
    """The names the expressions of :func:`text_expression` refer to."""
    return {
        "enc": _ENCODER.encode,
        "text": _write_text,
        "int_text": int.__repr__,
        "name_of": operator.attrgetter("_name_"),
        "sep": ",",
        "write_any": _write_any,
        "write_protocol": _write_protocol,
    }


#: A writer's own expression for a value of some shape (``None``: the usual one).
TextOverride = Callable[[TypeShape, str], "str | None"]


def text_expression(
    shape: TypeShape,
    var: str,
    names: dict[str, Any],
    depth: int = 0,
    override: TextOverride | None = None,
) -> str:
    """An expression giving the JSON text of the value ``var`` of ``shape``.

    ``var`` is a name or an attribute access (evaluated more than once only
    where that is cheap and gives the same value).  ``names`` starts as
    :func:`text_names` and gets the tables the expression uses.  ``override``
    may give its own expression for a shape (the corpus generator writes
    nested models it has rendered already).
    """
    if override is not None:
        own = override(shape, var)
        if own is not None:
            return own
    kind = shape.kind
    if kind is Kind.BOOL:
        return f"('true' if {var} else 'false')"
    if kind is Kind.DATE or kind is Kind.DATETIME:
        return f"'\"' + {var}.isoformat() + '\"'"
    if kind is Kind.ENUM:
        return f"{_enum_table(shape, names)}[{var}._name_]"
    if kind is Kind.TUPLE:
        items = _items_expression(shape.inner, var, names, depth, override)
        if "'" in items or '"' in items:  # a literal cannot go inside the f-string (3.11)
            return f"'[' + sep.join({items}) + ']'"
        return f"f'[{{sep.join({items})}}]'"
    if kind is Kind.OPTIONAL:
        held = f"v{depth}"
        inner = text_expression(shape.inner, held, names, depth + 1, override)
        return f"('null' if ({held} := {var}) is None else {inner})"
    if kind is Kind.UNION and all(a.kind in _TYPED_TEXT for a in shape.alternatives):
        # The one alternative the value's type names (a value is of one of them).
        tests = [
            f"{_TYPED_TEXT[a.kind]}({var}) if type({var}) is {a.kind.value} else "
            for a in shape.alternatives
        ]
        return "(" + "".join(tests) + f"enc({var}))"
    function = _text_function(shape, names)
    return f"{function}({var})"


def _enum_table(shape: TypeShape, names: dict[str, Any]) -> str:
    """The name of a table from each member's name to its JSON text."""
    table = f"m{len(names)}"
    names[table] = {m._name_: _ENCODER.encode(m._value_) for m in shape.enum_class}
    return table


def _text_function(shape: TypeShape, names: dict[str, Any]) -> str:
    """The name of a function giving the JSON text of a value of ``shape``."""
    kind = shape.kind
    if kind is Kind.STR:
        return "text"
    if kind is Kind.INT:
        return "int_text"
    if kind is Kind.MODEL:
        cls = shape.model_class
        if cls is Protocol:
            return "write_protocol"
        name = f"w{len(names)}"
        names[name] = _writer(cls)
        return name
    return "enc"  # floats, Any and other unions


def _items_expression(
    shape: TypeShape, var: str, names: dict[str, Any], depth: int, override: TextOverride | None
) -> str:
    """An iterable of the JSON texts of the items ``var`` of ``shape`` (no frame per item)."""
    kind = shape.kind
    if override is not None and override(shape, "x") is not None:
        kind = Kind.ANY  # the writer's own: item by item
    if kind is Kind.ENUM:
        lookup = f"g{len(names)}"
        names[lookup] = names[_enum_table(shape, names)].__getitem__
        return f"map({lookup}, map(name_of, {var}))"
    if kind in (Kind.STR, Kind.INT, Kind.MODEL):
        return f"map({_text_function(shape, names)}, {var})"
    item = f"x{depth}"
    inner = text_expression(shape, item, names, depth + 1, override)
    return f"[{inner} for {item} in {var}]"


#: The writers of the kinds a union may pick by the value's exact type.
_TYPED_TEXT = {Kind.STR: "text", Kind.INT: "int_text"}


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
    return _load_capped(cls, data, require_version, max_issues)


def _load_capped(cls: type[T], data: Any, require_version: bool, max_issues: int | None) -> T:
    """:func:`load` once its arguments are checked."""
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
        result: T = hook(data, None)
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
    text = _as_text(text)
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
    if _LOAD_PLAIN is not None and type(text) in _PLAIN_TEXT:
        found = _LOAD_PLAIN(cls, text)
        if found is not None:
            result, keys = found
            if not _no_key_repeated(text, keys):
                parse_json(text)  # the strict decoder: a repeated key is the error
            loaded: T = result
            return loaded
    text = _as_text(text)
    data = parse_json(text)
    try:
        return _load_capped(cls, data, require_version, max_issues)
    except ValidationError as exc:
        if len(exc.issues) == 1 and exc.issues[0].code == "too_deep":
            # As when the decoder itself found it too deep: the text is the input.
            raise _too_deep(text) from None
        raise


# --------------------------------------------------------------------------
# The accelerator (the ``fast`` extra, see iptkit._io._fast)
# --------------------------------------------------------------------------

_LoadPlain = Callable[[type, Any], "tuple[Any, int] | None"]

#: The types of text the compiled reader takes (a subclass of ``str`` goes the pure way).
_PLAIN_TEXT = (str, bytes, bytearray)
_DumpText = Callable[[Any], "str | None"]

#: The compiled reader: a plainly valid document and the number of keys its
#: objects had, or ``None`` (the pure path reads it).
_LOAD_PLAIN: _LoadPlain | None = None

#: The compiled writer: the text of an object, or ``None`` (the pure writer writes it).
_DUMP_TEXT: _DumpText | None = None


def use_accelerator(load_plain: _LoadPlain | None, dump_text: _DumpText | None) -> None:
    """Set (or, with ``None``, clear) the compiled reader and writer."""
    global _LOAD_PLAIN, _DUMP_TEXT
    _LOAD_PLAIN, _DUMP_TEXT = load_plain, dump_text


def loads_plainly(cls: type[T], text: Any) -> T | None:
    """A ``cls`` read from ``text`` by the compiled path alone, or ``None``.

    ``None``: the accelerator is not in use, or the document needs the pure
    path (it has a problem, or the proof that no key is repeated fails);
    :func:`loads` then reads it, with every problem reported.  For callers
    that have their own pure path (``iptkit check`` parses once and loads).
    """
    if _LOAD_PLAIN is None or type(text) not in _PLAIN_TEXT:
        return None
    found = _LOAD_PLAIN(cls, text)
    if found is None or not _no_key_repeated(text, found[1]):
        return None
    result: T = found[0]
    return result


def accelerated() -> tuple[_LoadPlain | None, _DumpText | None]:
    """The compiled reader and writer in use (for tests that run both paths)."""
    return _LOAD_PLAIN, _DUMP_TEXT


# msgspec keeps the last of a repeated key, so the compiled path needs a proof
# that no object of the text repeats one.  If no quote is followed by white
# space, every key of the text is followed by ``":``, so the text has at most
# ``text.count('":')`` keys; the structs hold at most the distinct keys of each
# object, all of them (a struct has every field, and nothing else).  Equal
# counts prove that every key is distinct.  Otherwise (pretty-printed text, a
# string holding ``":``) the strict decoder decides.

#: A quote followed by white space (one search: faster than four substring tests).
_QUOTE_SPACE = re.compile(r'"[ \t\n\r]')
_QUOTE_SPACE_BYTES = re.compile(rb'"[ \t\n\r]')


def _no_key_repeated(text: str | bytes | bytearray, keys: int) -> bool:
    """Whether ``keys`` keys read from ``text`` prove that no object repeats one (see above)."""
    if isinstance(text, str):
        return not _QUOTE_SPACE.search(text) and text.count('":') == keys
    return not _QUOTE_SPACE_BYTES.search(text) and text.count(b'":') == keys


def _as_text(text: Any) -> str:
    """``text`` as ``str`` (UTF-8 ``bytes`` decoded), or the error of text that is not."""
    if isinstance(text, bytes | bytearray):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError.single(
                "$", "invalid_json", "The document is not valid UTF-8 text.", text
            ) from None
    if not isinstance(text, str):
        msg = f"loads() takes str or bytes, not {type(text).__name__}"
        raise TypeError(msg)
    return text


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

    The text is :func:`dump`'s dict as JSON: compact (no spaces) unless
    ``indent`` is given, non-ASCII characters as themselves.

    >>> from iptkit import Relationship, RelationshipRole
    >>> dumps(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2))[:46]
    '{"label":"P1","role":"friend","closeness":2,"c'
    """
    if indent is not None:
        return json.dumps(
            dump(obj), ensure_ascii=False, allow_nan=False, indent=indent, separators=(",", ": ")
        )
    if _DUMP_TEXT is not None:
        _check_model_class(type(obj))
        text = _DUMP_TEXT(obj)
        if text is not None:
            return text
    writer = _DOCUMENT_WRITERS.get(type(obj)) or _top_writer(type(obj))
    return writer(obj)
