"""JSON Schema (draft 2020-12) export of iptkit models.

The schema is derived from the same field declarations the models and the
codec use (:func:`~iptkit._model.field_specs`), so it never drifts from what
:func:`iptkit.load` accepts.  It mirrors the codec's wire rules:

* every object lists its fields under ``properties``, the required ones
  under ``required``, and refuses other keys (``additionalProperties: false``);
* a whole number is ``integer``; a decimal number is ``number`` (which
  accepts whole numbers too: the model stores one as the float of the same
  value); text is ``string``; a boolean is ``boolean``;
* a date is a ``string`` with ``format: date`` and a pattern that accepts only
  real calendar days written ``YYYY-MM-DD``; a date and time is a ``string``
  with ``format: date-time`` and a pattern that also demands a UTC offset, so
  a naive date and time is refused even by validators that skip ``format``;
* an enumeration is a ``string`` restricted to its values (``enum``);
* a ``tuple[X, ...]`` is an ``array`` of ``X``; ``X | None`` is ``anyOf`` with
  ``null``;
* bounds become ``minimum``/``maximum``; lengths become ``minLength`` and
  ``maxLength`` for text but ``minItems`` and ``maxItems`` for lists; a
  pattern becomes an anchored ``pattern``;
* a top-level document requires ``schema_version``, fixed at
  :data:`~iptkit.SCHEMA_VERSION`.

Each model class and enumeration used by the exported class gets one entry
under ``$defs``, referenced with ``$ref`` (``#/$defs/<Name>`` unless the caller
gives another ``ref_template``).  Cross-field rules (each model's
``_invariants``) cannot be written in JSON Schema; only :func:`iptkit.load`
checks them.

:func:`definitions` gives the same pieces to a caller that places the
definitions itself (the pydantic hooks in :mod:`iptkit._io._pydantic`).
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import attrs

from iptkit._io._codec import SCHEMA_VERSION, converter
from iptkit._model import Constraints, document_kind, field_specs
from iptkit._protocol import BUILTIN_PROTOCOLS, Protocol
from iptkit._types import Kind, TypeShape, is_model

__all__ = [
    "DATETIME_PATTERN",
    "DATE_PATTERN",
    "DEFAULT_REF_TEMPLATE",
    "DIALECT",
    "ID_BASE",
    "Link",
    "definitions",
    "ecma_pattern",
    "json_schema",
]

#: The JSON Schema dialect every exported schema declares in ``$schema``.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Start of every ``$id``.  The URIs identify schemas; nothing is fetched from them.
ID_BASE = "https://iptkit.org/schema/"

#: How :func:`json_schema` writes a reference to a definition by default: ``{model}``
#: stands for the definition's name, a key of ``$defs``.
DEFAULT_REF_TEMPLATE = "#/$defs/{model}"

#: Writes the reference to the definition of a class, given the class and its name
#: in ``$defs`` (see :func:`definitions`).
Link = Callable[[type, str], dict[str, Any]]


def _anchored(body: str) -> str:
    """Anchor ``body`` so the whole text must match, in ECMA-262 and in Python alike.

    JSON Schema patterns are not anchored.  ``$`` ends the text in ECMA-262, but
    Python's ``re`` (used by the Python ``jsonschema`` package) also lets it
    match before a final newline; the look-ahead ``(?!\\n)`` closes that gap and
    changes nothing for an ECMA-262 engine.
    """
    return f"^(?:{body})$(?!\\n)"


# Calendar days as the models hold them, in ``YYYY-MM-DD`` form: the years
# 1900-2200 (iptkit._types.MIN_YEAR and MAX_YEAR), month lengths, and 29 February in
# leap years only (divisible by 4, except centuries not divisible by 400:
# 1900, 2100 and 2200 are not leap years, 2000 is).
_YEAR = "(?:19[0-9]{2}|2[01][0-9]{2}|2200)"
_LEAP_YEAR_END = "(?:0[48]|[2468][048]|[13579][26])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DAY = f"(?:{_YEAR}-{_MONTH_DAY}|(?:(?:19|2[01]){_LEAP_YEAR_END}|2000)-02-29)"
_FRACTION = "(?:\\.[0-9]{1,6})?"
_CLOCK = f"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9]{_FRACTION})?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"

#: Pattern of a date: a real calendar day of the years 1900-2200 written ``YYYY-MM-DD``.
DATE_PATTERN = _anchored(_DAY)

#: Pattern of a date and time: a real day (years 1900-2200), ``T``, ``HH:MM``
#: with optional seconds and fraction, and a required UTC offset (``Z`` or
#: ``+HH:MM``, whole minutes).
DATETIME_PATTERN = _anchored(f"{_DAY}T{_CLOCK}{_OFFSET}")

# The regular expressions :func:`ecma_pattern` passes through: literal
# letters, digits, ``_``, ``-`` and spaces; escaped syntax characters;
# classes of those plus ``.,:@/+'`` (literal inside a class in both dialects;
# no negation, no ``\d``/``\w``/``\s``, whose Python meaning is wider); groups,
# alternation and quantifiers.  Within this subset Python and ECMA-262 agree
# on syntax and meaning.
_CLASS_ITEM = r"(?:[A-Za-z0-9_ .,:@/+']|\\[\\\]\[\-^])"
_TOKEN = re.compile(
    r"[A-Za-z0-9_ \-]"
    r"|\\[\^$\\.*+?()\[\]{}|/]"
    rf"|\[{_CLASS_ITEM}(?:-{_CLASS_ITEM})?(?:{_CLASS_ITEM}(?:-{_CLASS_ITEM})?)*-?\]"
    r"|\(\?:|\(|\)|\|"
    r"|(?:[*+?]|\{[0-9]+(?:,[0-9]*)?\})\??"
)


def ecma_pattern(pattern: str) -> str | None:
    """Return ``pattern`` as an anchored JSON Schema pattern, or ``None``.

    A model's pattern must match the whole text (Python's ``re.fullmatch``).
    The result keeps that meaning under ECMA-262, the dialect of JSON Schema.
    Patterns outside a small subset on which both dialects agree give
    ``None``, so that nothing with a different meaning is ever emitted.

    Args:
        pattern: a Python regular expression from a field declaration.

    Returns:
        The anchored pattern, or ``None`` if it cannot be carried over safely.

    >>> ecma_pattern("[a-z][a-z0-9_]*")
    '^(?:[a-z][a-z0-9_]*)$(?!\\\\n)'
    >>> ecma_pattern(r"\\d+") is None
    True
    """
    position = 0
    after_atom = False
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None:
            return None
        token = match.group()
        if token[0] in "*+?{":
            # A quantifier must follow an atom: this refuses Python-only forms
            # such as the possessive "a*+" and inline flags like "(?i)".
            if not after_atom:
                return None
            after_atom = False
        else:
            after_atom = token not in ("(", "(?:", "|")
        position = match.end()
    try:
        re.compile(pattern)
    except re.error:
        return None
    return _anchored(pattern)


def _prose(doc: str | None) -> str | None:
    """Return the prose of a docstring: paragraphs before any example or section."""
    if not doc:
        return None
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", inspect.cleandoc(doc)):
        lines = [line.strip() for line in block.strip().splitlines()]
        if not lines or lines[0].startswith(">>>") or re.fullmatch(r"[A-Z][a-z]+:", lines[0]):
            break
        paragraphs.append(" ".join(lines))
    if paragraphs and paragraphs[-1].endswith(":"):  # it introduced the example
        paragraphs[-1] = paragraphs[-1][:-1] + "."
    text = "\n\n".join(paragraphs)
    # Sphinx cross-references and literals become plain Markdown code spans.
    text = re.sub(r":[a-z:]+:`~(?:[\w.]*\.)?(\w+)`", r"`\1`", text)
    text = re.sub(r":[a-z:]+:`([^`]+)`", r"`\1`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return re.sub(r"(?<=\S)  +", " ", text) or None


def _json_default(value: Any) -> tuple[bool, Any]:
    """Return ``(True, json_value)`` for a default that has a plain JSON form."""
    if value is None or type(value) in (bool, int, float, str):
        return True, value
    if isinstance(value, enum.Enum):
        return True, value.value
    if isinstance(value, dt.date):
        return True, value.isoformat()
    if isinstance(value, tuple):
        items = [_json_default(item) for item in value]
        if all(ok for ok, _ in items):
            return True, [item for _, item in items]
        return False, None
    if is_model(type(value)):
        return True, converter.unstructure(value)
    return False, None


_FACTORY: type = type(attrs.Factory(list))

#: The schema of each kind of plain value (copied before use).
_PLAIN_SCHEMAS: dict[Kind, dict[str, Any]] = {
    Kind.ANY: {},
    Kind.BOOL: {"type": "boolean"},
    Kind.INT: {"type": "integer"},
    Kind.FLOAT: {"type": "number"},
    Kind.STR: {"type": "string"},
    Kind.DATE: {"type": "string", "format": "date", "pattern": DATE_PATTERN},
    Kind.DATETIME: {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN},
}


class _Builder:
    """Builds one schema: the root object plus ``$defs`` for what it uses.

    ``link`` writes each reference to a definition; a reference to ``root``
    itself is ``#``.
    """

    def __init__(self, root: type | None, link: Link) -> None:
        self.root = root
        self.link = link
        self.names: dict[type, str] = {}
        self.defs: dict[str, dict[str, Any]] = {}

    def ref(self, cls: type) -> dict[str, Any]:
        """Return a reference to ``cls``, adding its definition on first use."""
        if cls is self.root:
            return {"$ref": "#"}
        name = self.names.get(cls)
        if name is None:
            name = cls.__name__
            if name in self.defs:
                module = cls.__module__.removeprefix("iptkit.").lstrip("_")
                name = f"{module}.{cls.__qualname__}"
            self.names[cls] = name
            self.defs[name] = {}  # reserved first: a class may refer to itself
            if is_model(cls):
                self.defs[name].update(self.model_body(cls))
            else:
                self.defs[name].update(self.enum_body(cls))
        return self.link(cls, name)

    @staticmethod
    def enum_body(cls: type[enum.Enum]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": cls.__name__}
        description = _prose(cls.__doc__)
        if description:
            body["description"] = description
        body["type"] = "string"
        body["enum"] = [member.value for member in cls]
        return body

    def model_body(
        self, cls: type, *, document: bool = False, require_version: bool = True
    ) -> dict[str, Any]:
        """The schema of ``cls``; as a top-level document (with ``schema_version``) if asked.

        ``require_version=False`` lists ``schema_version`` without requiring
        it, as :func:`iptkit.load` reads with the same argument.
        """
        body: dict[str, Any] = {"title": cls.__name__}
        description = _prose(cls.__doc__)
        if description:
            body["description"] = description
        properties: dict[str, Any] = {}
        required: list[str] = []
        if document and document_kind(cls) is not None:
            properties["schema_version"] = {
                "description": (
                    "Version of the iptkit document format. This schema describes "
                    f"version {SCHEMA_VERSION}; iptkit also reads older versions and "
                    "upgrades them."
                ),
                "type": "integer",
                "const": SCHEMA_VERSION,
            }
            if require_version:
                required.append("schema_version")
        defaults = {f.name: f.default for f in attrs.fields(cls)}
        for spec in field_specs(cls):
            prop: dict[str, Any] = {}
            if spec.constraints.doc:
                prop["description"] = spec.constraints.doc
            prop.update(self.value_schema(spec.shape, spec.constraints))
            if spec.required:
                required.append(spec.name)
            elif not isinstance(defaults[spec.name], _FACTORY):
                known, value = _json_default(defaults[spec.name])
                if known:
                    prop["default"] = value
            properties[spec.name] = prop
        body["type"] = "object"
        body["properties"] = properties
        if required:
            body["required"] = required
        body["additionalProperties"] = False
        return body

    def value_schema(self, shape: TypeShape, constraints: Constraints) -> dict[str, Any]:
        """Schema of a field's value: its type plus the declared constraints."""
        if shape.kind is Kind.OPTIONAL:
            inner = shape.inner
            parts = inner.alternatives if inner.kind is Kind.UNION else (inner,)
            branches = [self.value_schema(a, constraints) for a in parts]
            return {"anyOf": [*branches, {"type": "null"}]}
        if shape.kind is Kind.UNION:
            return {"anyOf": [self.value_schema(a, constraints) for a in shape.alternatives]}
        schema = self.type_schema(shape)
        kind = schema.get("type")
        if kind in ("integer", "number"):
            if constraints.ge is not None:
                schema["minimum"] = constraints.ge
            if constraints.le is not None:
                schema["maximum"] = constraints.le
        elif kind == "string":
            if constraints.min_len is not None:
                schema["minLength"] = constraints.min_len
            if constraints.max_len is not None:
                schema["maxLength"] = constraints.max_len
            if constraints.pattern is not None:
                pattern = ecma_pattern(constraints.pattern)
                if pattern is not None:
                    schema["pattern"] = pattern
        elif kind == "array":
            if constraints.min_len is not None:
                schema["minItems"] = constraints.min_len
            if constraints.max_len is not None:
                schema["maxItems"] = constraints.max_len
        return schema

    def type_schema(self, shape: TypeShape) -> dict[str, Any]:
        """Schema of a value of ``shape``, without field constraints."""
        kind = shape.kind
        if shape.cls is Protocol and self.root is not Protocol:
            # A field holding a protocol: a built-in's name, or a custom protocol.
            return {
                "anyOf": [
                    {
                        "description": "The name of a built-in protocol.",
                        "type": "string",
                        "enum": sorted(BUILTIN_PROTOCOLS),
                    },
                    self.ref(Protocol),
                ]
            }
        if kind is Kind.ENUM or kind is Kind.MODEL:
            return self.ref(typing.cast("type", shape.cls))
        if kind is Kind.TUPLE:
            return {"type": "array", "items": self.type_schema(shape.inner)}
        if kind is Kind.OPTIONAL or kind is Kind.UNION:
            return self.value_schema(shape, Constraints())
        return dict(_PLAIN_SCHEMAS[kind])


def _schema_id(cls: type) -> str:
    kind = document_kind(cls)
    if kind is not None:
        return f"{ID_BASE}{kind}/v{SCHEMA_VERSION}.json"
    return f"{ID_BASE}models/{cls.__name__}/v{SCHEMA_VERSION}.json"


def _one_field(template: str) -> bool:
    """Whether ``template`` has ``{model}`` and no other replacement field."""
    try:
        written = template.format(model="\0")
    except (IndexError, KeyError, ValueError):
        return False
    return "\0" in written


def json_schema(cls: type, *, ref_template: str = DEFAULT_REF_TEMPLATE) -> dict[str, Any]:
    """Return a JSON Schema (draft 2020-12) for the JSON form of model ``cls``.

    The schema describes what :func:`iptkit.dump` writes and :func:`iptkit.load`
    reads, except for cross-field rules, which only :func:`iptkit.load` checks.
    A top-level document gets an ``$id`` of the form
    ``https://iptkit.org/schema/<kind>/v<version>.json`` (an identifier only;
    nothing is served there).  Each call returns a new dict, identical for the
    same class and template, with keys in a fixed order.

    Args:
        cls: an iptkit model class, e.g. :class:`~iptkit.InterpersonalInventory`.
        ref_template: how a reference to a definition is written, ``{model}``
            standing for its name.  The definitions are under ``$defs`` of the
            result whatever the template: a caller who gives another template,
            such as ``"#/components/schemas/{model}"`` for an OpenAPI document,
            moves them there (and leaves out ``$schema`` and ``$id``, which
            belong to a schema document of its own).

    Returns:
        The schema as a JSON-ready dict.

    Raises:
        TypeError: ``cls`` is not an iptkit model class, or ``ref_template``
            is not text.
        ValueError: ``ref_template`` lacks ``{model}`` or has other braces.

    >>> from iptkit import InterpersonalInventory, json_schema
    >>> schema = json_schema(InterpersonalInventory)
    >>> schema["$id"]
    'https://iptkit.org/schema/inventory/v2.json'
    >>> schema["required"]
    ['schema_version']
    >>> schema["$defs"]["Relationship"]["properties"]["closeness"]
    {'description': 'Ring of the closeness circle, 1 = closest.', 'type': 'integer', \
'minimum': 1, 'maximum': 5}
    >>> openapi = json_schema(InterpersonalInventory, ref_template="#/components/schemas/{model}")
    >>> openapi["properties"]["relationships"]["items"]
    {'$ref': '#/components/schemas/Relationship'}
    """
    if not is_model(cls):
        msg = f"{cls!r} is not an iptkit model class"
        raise TypeError(msg)
    if not isinstance(ref_template, str):
        msg = f"ref_template must be text, not {type(ref_template).__name__}"
        raise TypeError(msg)
    if not _one_field(ref_template):
        msg = (
            "ref_template must hold {model} (the name of a definition) and no other braces,"
            ' e.g. "#/components/schemas/{model}"'
        )
        raise ValueError(msg)

    def link(_: type, name: str) -> dict[str, Any]:
        return {"$ref": ref_template.format(model=name)}

    builder = _Builder(cls, link)
    body = builder.model_body(cls, document=True)
    schema: dict[str, Any] = {"$schema": DIALECT, "$id": _schema_id(cls), **body}
    if builder.defs:
        schema["$defs"] = {name: builder.defs[name] for name in sorted(builder.defs)}
    return schema


def definitions(
    cls: type, link: Link, *, require_version: bool = True
) -> tuple[dict[str, Any], dict[type, dict[str, Any]]]:
    """The schema of model ``cls`` as a top-level document, and of every class it uses.

    The pieces of :func:`json_schema`, for a caller that keeps definitions
    where it likes: ``link(target, name)`` writes each reference to the
    definition of class ``target`` (``name`` is its key in ``$defs`` of
    :func:`json_schema`).  Returns the schema of ``cls`` (without ``$schema``,
    ``$id`` and ``$defs``) and the definition of each model class and
    enumeration it refers to, directly or not, by class.  A document class
    used inside another is defined as a part of it (without
    ``schema_version``), as :func:`iptkit.load` reads it.

    ``cls`` must be an iptkit model class (the caller's to check).
    """
    builder = _Builder(None, link)
    body = builder.model_body(cls, document=True, require_version=require_version)
    return body, {target: builder.defs[name] for target, name in builder.names.items()}
