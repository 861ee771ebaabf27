"""JSON codec: strict, lossless conversion between models and JSON values.

The wire rules (each enforced by a structure hook registered on a cattrs
:class:`cattrs.Converter`):

* an object is a JSON object whose keys are exactly the model's fields:
  an unknown key is refused (``unknown_field``, reported at the key), a
  missing required key too (``missing_field``);
* no coercion: ``"no"`` is not a boolean, ``3.9`` is not a whole number,
  ``12`` is not text, a text is not a list (``wrong_type``); a whole number is
  accepted where a decimal number is expected;
* a date is text ``YYYY-MM-DD``; a date and time is ISO 8601 text with a UTC
  offset (``Z`` or ``+HH:MM``); a datetime without one is refused
  (``naive_datetime``);
* an enumeration is its lowercase string value (``invalid_value`` otherwise);
* a list is a JSON array and becomes a tuple;
* a top-level document carries ``schema_version``; a version this release
  does not know is refused (``unsupported_schema_version``).

Every problem of a document is reported in one :class:`~iptkit.ValidationError`.
Field problems are found even when a sibling field fails; an object's
cross-field rules run once all its fields loaded.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import cattrs

from iptkit._errors import Issue, ValidationError, join_path, relocate
from iptkit._io._migrations import SCHEMA_VERSION, upgrade
from iptkit._model import check_fields, describe, document_kind, field_specs, is_model

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

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
    r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?\Z"
)

_Hook = Callable[[Any, Any], Any]


def _passthrough(value: Any, _: Any) -> Any:
    """Hand the value to the model unchanged; the model checks its type."""
    return value


def _wrong_type(tp: Any) -> ValidationError:
    return ValidationError.single("$", "wrong_type", f"Expected {describe(tp)}.")


def _structure_float(value: Any, _: Any) -> Any:
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise ValidationError.single(
                "$", "out_of_range", "The number is too large to store."
            ) from None
    return value


def _structure_date(value: Any, _: Any) -> dt.date:
    if type(value) is not str:
        raise _wrong_type(dt.date)
    if _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError.single("$", "invalid_value", "Expected a real date as YYYY-MM-DD.")


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    if type(value) is not str:
        raise _wrong_type(dt.datetime)
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
                )
            return parsed
    raise ValidationError.single(
        "$",
        "invalid_value",
        "Expected a date and time as YYYY-MM-DDTHH:MM:SS with a UTC offset.",
    )


def _make_enum_hook(tp: type[enum.Enum], _: cattrs.Converter) -> _Hook:
    members: Mapping[Any, enum.Enum] = tp._value2member_map_
    allowed = ", ".join(repr(m.value) for m in tp)

    def structure_enum(value: Any, _: Any) -> enum.Enum:
        if type(value) is not str:
            raise _wrong_type(tp)
        member = members.get(value)
        if member is None:
            raise ValidationError.single(
                "$", "invalid_value", f"{value[:40]!r} is not allowed here; use one of {allowed}."
            )
        return member

    return structure_enum


def _is_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


def _make_tuple_hook(tp: Any, conv: cattrs.Converter) -> _Hook:
    item_type = typing.get_args(tp)[0]
    item_hook = conv.get_structure_hook(item_type)
    if item_hook is _passthrough:

        def structure_plain_list(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _wrong_type(tp)
            return tuple(value)

        return structure_plain_list

    def structure_list(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _wrong_type(tp)
        items: list[Any] = []
        append = items.append
        try:
            for item in value:
                append(item_hook(item, item_type))
        except ValidationError as exc:
            # Item len(items) failed: report it, then every later item that fails too.
            failed = len(items)
            issues = list(relocate(exc.issues, f"$[{failed}]"))
            for index in range(failed + 1, len(value)):
                try:
                    item_hook(value[index], item_type)
                except ValidationError as later:
                    issues.extend(relocate(later.issues, f"$[{index}]"))
            raise ValidationError(issues) from None
        return tuple(items)

    return structure_list


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _make_union_hook(tp: Any, conv: cattrs.Converter) -> _Hook:
    args = typing.get_args(tp)
    others = [a for a in args if a is not type(None)]
    if len(others) == 1:
        inner = others[0]
        hook = conv.get_structure_hook(inner)
        if hook is _passthrough:
            return _passthrough

        def structure_optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            return hook(value, inner)

        return structure_optional
    hooks = [conv.get_structure_hook(a) for a in others]
    if all(h is _passthrough for h in hooks):
        return _passthrough
    msg = f"iptkit models support unions of plain values only, not {tp!r}"  # pragma: no cover
    raise TypeError(msg)  # pragma: no cover


def _make_model_hook(cls: type, conv: cattrs.Converter) -> _Hook:
    """Build the structure hook of one model class."""
    plan: list[tuple[str, _Hook | None, Any, bool]] = []
    for spec in field_specs(cls):
        hook = conv.get_structure_hook(spec.type)
        plan.append((spec.name, None if hook is _passthrough else hook, spec.type, spec.required))
    known = frozenset(name for name, *_ in plan)
    name = cls.__name__

    def structure_model(data: Any, _: Any) -> Any:
        """Structure ``data`` field by field, collecting every problem (the reference path)."""
        if type(data) is not dict:
            raise ValidationError.single("$", "wrong_type", f"Expected an object ({name}).")
        issues: list[Issue] = []
        kwargs: dict[str, Any] = {}
        for field_name, hook, field_type, required in plan:
            if field_name not in data:
                if required:
                    issues.append(
                        Issue(
                            "$." + field_name,
                            "missing_field",
                            f"The required field {field_name!r} is missing.",
                        )
                    )
                continue
            value = data[field_name]
            if hook is None:
                kwargs[field_name] = value
                continue
            try:
                kwargs[field_name] = hook(value, field_type)
            except ValidationError as exc:
                issues.extend(relocate(exc.issues, "$." + field_name))
        if not known.issuperset(data):
            for key in data:
                if key not in known:
                    issues.append(
                        Issue(
                            join_path("$", key if isinstance(key, str | int) else repr(key)),
                            "unknown_field",
                            f"{name} has no field {str(key)[:40]!r}.",
                        )
                    )
        if issues:
            # Report field problems of the fields that did load, too.
            issues.extend(check_fields(cls, kwargs))
            raise ValidationError(sorted(issues, key=_issue_order(plan)))
        return cls(**kwargs)

    return _compile_model_hook(cls, plan, structure_model)


def _compile_model_hook(
    cls: type, plan: list[tuple[str, _Hook | None, Any, bool]], reference: _Hook
) -> _Hook:
    """Compile the structure hook of ``cls``: the plan unrolled into straight-line code.

    For an object with every required key and no unknown key the compiled
    hook does what the reference loop does, field by field, and reports
    field problems the same way; any other value goes to ``reference``
    before a field hook has run, so no hook ever runs twice.
    """
    names: dict[str, Any] = {
        "cls": cls,
        "reference": reference,
        "ValidationError": ValidationError,
        "relocate": relocate,
        "check_fields": check_fields,
        "order": _issue_order(plan),
    }
    required = [field_name for field_name, _h, _t, req in plan if req]
    optional = [field_name for field_name, _h, _t, req in plan if not req]
    present = " + ".join([str(len(required)), *(f"({n!r} in data)" for n in optional)])
    lines = ["def structure(data, _):", "    if type(data) is not dict: return reference(data, _)"]
    if required:
        test = " and ".join(f"{n!r} in data" for n in required)
        lines.append(f"    if not ({test}): return reference(data, _)")
    lines.append(f"    if len(data) != {present}: return reference(data, _)")
    lines.append("    kwargs = {}")
    lines.append("    issues = None")
    for index, (field_name, hook, field_type, req) in enumerate(plan):
        indent = "    "
        if not req:
            lines.append(f"    if {field_name!r} in data:")
            indent = "        "
        if hook is None:
            lines.append(f"{indent}kwargs[{field_name!r}] = data[{field_name!r}]")
            continue
        names[f"h{index}"] = hook
        names[f"t{index}"] = field_type
        call = f"h{index}(data[{field_name!r}], t{index})"
        lines.append(f"{indent}try:")
        lines.append(f"{indent}    kwargs[{field_name!r}] = {call}")
        lines.append(f"{indent}except ValidationError as exc:")
        lines.append(f"{indent}    if issues is None: issues = []")
        lines.append(f"{indent}    issues.extend(relocate(exc.issues, {'$.' + field_name!r}))")
    lines.append("    if issues is not None:")
    lines.append("        issues.extend(check_fields(cls, kwargs))")
    lines.append("        raise ValidationError(sorted(issues, key=order))")
    lines.append("    return cls(**kwargs)")
    # The source is built from the model's own field declarations only.
    exec("\n".join(lines), names)
    compiled: _Hook = names["structure"]
    return compiled


def _issue_order(plan: list[tuple[str, _Hook | None, Any, bool]]) -> Callable[[Issue], int]:
    """Sort issues by field order so reports read top to bottom."""
    rank = {name: index for index, (name, *_) in enumerate(plan)}

    def order(issue: Issue) -> int:
        loc = issue.loc
        head = loc[0] if loc else None
        return rank.get(head, len(rank)) if isinstance(head, str) else len(rank)

    return order


# --------------------------------------------------------------------------
# Unstructuring
# --------------------------------------------------------------------------


def _unstructure_enum(value: enum.Enum) -> Any:
    return value.value


def _unstructure_temporal(value: dt.date) -> str:
    return value.isoformat()


def _make_model_dumper(cls: type, conv: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    """Build the dumper of model ``cls``: one compiled dict display of its fields.

    A field that is ``None`` stays ``None``; any other value is written by
    the converter's hook for its type, except that enumerations and dates are
    written inline (``._value_``, ``.isoformat()``) when the converter uses
    iptkit's own hooks for them.
    """
    names: dict[str, Any] = {}
    entries = []
    for spec in field_specs(cls):
        expression = _dump_expression(spec.type, "v", conv, names, 0)
        if expression is None:
            entries.append(f"{spec.name!r}: obj.{spec.name}")
        else:
            entries.append(
                f"{spec.name!r}: (None if (v := obj.{spec.name}) is None else {expression})"
            )
    source = "def unstructure(obj):\n    return {" + ", ".join(entries) + "}"
    # The source is built from the model's own field declarations only.
    exec(source, names)
    compiled: Callable[[Any], dict[str, Any]] = names["unstructure"]
    return compiled


def _dump_expression(
    tp: Any, var: str, conv: cattrs.Converter, names: dict[str, Any], depth: int
) -> str | None:
    """An expression dumping the non-null value ``var`` of type ``tp`` (``None``: as it is)."""
    if tp in (int, str, bool, float, typing.Any):
        return None
    if _is_union(tp):
        others = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(others) == 1:
            return _dump_expression(others[0], var, conv, names, depth)
        if all(_dumper_for(a, conv) is None for a in others):
            return None
        name = f"d{len(names)}"  # pragma: no cover - no such field today
        names[name] = conv.unstructure  # pragma: no cover
        return f"{name}({var})"  # pragma: no cover
    if _is_tuple(tp):
        item = f"x{depth}"
        inner = _dump_expression(typing.get_args(tp)[0], item, conv, names, depth + 1)
        if inner is None:
            return f"list({var})"
        return f"[{inner} for {item} in {var}]"
    hook = conv.get_unstructure_hook(tp)
    if hook is _unstructure_enum:
        return f"{var}._value_"
    if hook is _unstructure_temporal:
        return f"{var}.isoformat()"
    name = f"d{len(names)}"
    names[name] = hook
    return f"{name}({var})"


def _dumper_for(tp: Any, conv: cattrs.Converter) -> Callable[[Any], Any] | None:
    """Return how to dump a value of ``tp`` (``None``: it is already JSON)."""
    if tp in (int, str, bool, float, typing.Any):
        return None
    if _is_union(tp):
        others = [a for a in typing.get_args(tp) if a is not type(None)]
        dumpers = [_dumper_for(a, conv) for a in others]
        if all(d is None for d in dumpers):
            return None
        if len(others) == 1:
            return dumpers[0]
        return conv.unstructure  # pragma: no cover - no such field today
    if _is_tuple(tp):
        item = _dumper_for(typing.get_args(tp)[0], conv)
        if item is None:
            return list
        return lambda values: [item(v) for v in values]
    hook: Callable[[Any], Any] = conv.get_unstructure_hook(tp)
    return hook


def make_converter() -> cattrs.Converter:
    """Return a new converter configured with iptkit's wire rules."""
    conv = cattrs.Converter()
    conv.register_structure_hook(int, _passthrough)
    conv.register_structure_hook(str, _passthrough)
    conv.register_structure_hook(bool, _passthrough)
    conv.register_structure_hook(typing.Any, _passthrough)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _make_enum_hook
    )
    conv.register_structure_hook_factory(_is_tuple, _make_tuple_hook)
    conv.register_structure_hook_factory(_is_union, _make_union_hook)
    conv.register_structure_hook_factory(is_model, _make_model_hook)

    conv.register_unstructure_hook(dt.date, _unstructure_temporal)
    conv.register_unstructure_hook(dt.datetime, _unstructure_temporal)
    conv.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum),
        lambda _t, _c: _unstructure_enum,
    )
    conv.register_unstructure_hook_factory(is_model, _make_model_dumper)
    return conv


#: The converter behind :func:`load` and :func:`dump`.
converter = make_converter()


def _check_model_class(cls: Any) -> None:
    if not is_model(cls):
        msg = f"{cls!r} is not an iptkit model class"
        raise TypeError(msg)


def load(cls: type[T], data: Any) -> T:
    """Build a ``cls`` from a JSON value (dicts, lists, strings, numbers, ...).

    Total: for any JSON value at all this returns a valid object or raises
    :class:`~iptkit.ValidationError` listing every problem.

    Args:
        cls: an iptkit model class, e.g. :class:`~iptkit.InterpersonalInventory`.
        data: the decoded JSON value.

    Raises:
        ValidationError: ``data`` does not describe a valid ``cls``.
        TypeError: ``cls`` is not an iptkit model (a programming error).

    >>> from iptkit import Relationship
    >>> load(Relationship, {"label": "P1", "role": "partner", "closeness": 1}).closeness
    1
    """
    _check_model_class(cls)
    kind = document_kind(cls)
    if kind is not None:
        if type(data) is not dict:
            raise ValidationError.single("$", "wrong_type", f"Expected an object ({cls.__name__}).")
        data = upgrade(kind, data)
    hook = converter.get_structure_hook(cls)
    result: T = hook(data, cls)
    return result


def _reject_constant(token: str) -> Any:
    msg = f"{token} is not valid JSON"
    raise ValueError(msg)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def parse_json(text: str | bytes) -> Any:
    """Decode JSON text strictly (no ``NaN``, no repeated keys), or raise ``ValidationError``."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError.single(
                "$", "invalid_json", "The document is not valid UTF-8 text."
            ) from None
    if not isinstance(text, str):
        msg = f"loads() takes str or bytes, not {type(text).__name__}"
        raise TypeError(msg)
    try:
        return _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        raise ValidationError.single(
            "$", "duplicate_key", f"The key {str(exc)[:40]!r} appears twice in one object."
        ) from None
    except RecursionError:
        raise ValidationError.single(
            "$", "invalid_json", "The document is nested too deeply to read."
        ) from None
    except ValueError as exc:
        raise ValidationError.single(
            "$", "invalid_json", f"The document is not valid JSON: {exc}."
        ) from None


def loads(cls: type[T], text: str | bytes) -> T:
    """Build a ``cls`` from JSON text (``str`` or UTF-8 ``bytes``).

    Raises:
        ValidationError: the text is not JSON (``invalid_json``, ``duplicate_key``)
            or does not describe a valid ``cls``.

    >>> from iptkit import Relationship
    >>> loads(Relationship, '{"label": "P1", "role": "friend", "closeness": 2}').role
    <RelationshipRole.FRIEND: 'friend'>
    """
    _check_model_class(cls)
    return load(cls, parse_json(text))


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
