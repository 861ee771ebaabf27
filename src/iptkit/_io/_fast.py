"""The accelerator of the ``fast`` extra: compiled JSON reading and writing.

With `msgspec <https://jcristharif.com/msgspec/>`_ installed (``pip install
"iptkit[fast]"``), :func:`~iptkit.loads` and :func:`~iptkit.dumps` take a
compiled path for what they can do there, and the pure-Python path for
everything else, so results and errors are the same with and without it:

* **Reading.**  msgspec decodes the text into structs of the models' shape:
  the objects' keys (none unknown, none missing), arrays, enumerations by
  value, and the nesting.  Each struct then becomes a model object through
  the model's own compiled build lines (:func:`~iptkit._model.add_build_lines`:
  types, bounds, text, canonical forms, field and cross-field rules), with
  dates and datetimes read by the codec's own hooks.  Anything that does not
  pass (a missing key, an unknown one, a bad value, a document of another
  version) is read again by the pure path, which reports every problem.
  msgspec keeps the last of a repeated key; the codec proves that no key is
  repeated from the keys the structs hold (see ``_no_key_repeated``).
* **Writing.**  msgspec writes the dict :func:`~iptkit.dump` builds, for the
  models that hold no decimal number (msgspec writes ``1e16`` where the
  standard library writes ``1e+16``); its text escaping is the standard
  library's, so the text is the same byte for byte.

Set the environment variable ``IPTKIT_PURE_PYTHON=1`` to run without the
accelerator although it is installed.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from iptkit._errors import ValidationError
from iptkit._io import _codec
from iptkit._model import (
    GeneratedSource,
    add_build_lines,
    document_kind,
    field_specs,
    made_by_hooks,
)
from iptkit._protocol import BUILTIN_PROTOCOLS, Protocol
from iptkit._types import Kind, TypeShape, compile_function, shape_of

try:
    import msgspec
except ImportError:  # pragma: no cover - CI installs every extra
    msgspec = None  # type: ignore[assignment]

__all__ = ["ENV_PURE", "accelerator", "dump_text", "installed", "load_plain"]

#: Set (to anything but ``""`` or ``"0"``) to run without the accelerator.
ENV_PURE = "IPTKIT_PURE_PYTHON"


class _NotPlain(Exception):
    """A document the compiled path leaves to the pure one."""


class _Reader(NamedTuple):
    """How the compiled path reads one model class."""

    decode: Callable[[Any], Any]
    convert: _Convert
    document: bool


_READERS: dict[type, _Reader] = {}

_Convert = Callable[[Any, list[int]], Any]

#: Per model class: its struct type (nested use, no ``schema_version``) and its converter.
_STRUCTS: dict[type, Any] = {}
_CONVERTERS: dict[type, _Convert] = {}

#: Per model class: whether its dumped dict holds only text, whole numbers,
#: booleans and null (then msgspec writes it as the standard library does).
_WRITABLE: dict[type, bool] = {}


def load_plain(cls: type, text: Any) -> tuple[Any, int] | None:
    """A ``cls`` read from ``text`` and the number of keys its objects had, or ``None``.

    ``None``: the text is not a plainly valid document for the compiled
    path; the pure path reads it (and reports its problems).
    """
    reader = _READERS.get(cls) or _reader(cls)
    try:
        raw = reader.decode(text)
    except (msgspec.DecodeError, RecursionError):  # its ValidationError is a DecodeError too
        return None  # RecursionError: deep nesting inside a field of any JSON value
    keys = [0]
    try:
        if reader.document:
            version = raw.schema_version
            if type(version) is not int or version != _codec.SCHEMA_VERSION:
                return None  # an older version is migrated by the pure path
            keys[0] = 1
        return reader.convert(raw, keys), keys[0]
    except (_NotPlain, ValidationError):
        return None


def dump_text(obj: Any) -> str | None:
    """``obj`` as the text :func:`~iptkit.dumps` writes, or ``None`` if msgspec may not write it."""
    cls = type(obj)
    writable = _WRITABLE.get(cls)
    if writable is None:
        writable = _WRITABLE[cls] = _holds_no_decimals(shape_of(cls), set())
    if not writable:
        return None
    text: str = msgspec.json.encode(_codec.dump(obj)).decode()
    return text


# --------------------------------------------------------------------------
# Building the readers
# --------------------------------------------------------------------------


def _reader(cls: type) -> _Reader:
    document = document_kind(cls) is not None
    struct = _struct(cls, document)
    reader = _Reader(msgspec.json.Decoder(struct).decode, _converter(cls), document)
    _READERS[cls] = reader
    return reader


def _struct(cls: type, document: bool = False) -> Any:
    """The msgspec struct type of ``cls``'s objects (all fields required, no others)."""
    if not document and cls in _STRUCTS:
        return _STRUCTS[cls]
    fields: list[tuple[str, Any]] = [("schema_version", Any)] if document else []
    fields += [(spec.name, _struct_type(spec.shape)) for spec in field_specs(cls)]
    struct = msgspec.defstruct(f"{cls.__name__}Struct", fields, forbid_unknown_fields=True)
    if not document:
        _STRUCTS[cls] = struct
    return struct


def _struct_type(shape: TypeShape) -> Any:
    """What msgspec decodes a field of ``shape`` as.

    Plain values are taken as they are (``Any``): the build lines check them
    exactly as the models do.  Enumerations of text values are decoded by
    msgspec, as the codec decodes them (by their exact value).
    """
    kind = shape.kind
    if kind is Kind.ENUM and _text_enum(shape.enum_class):
        return shape.enum_class
    if kind is Kind.TUPLE:
        return tuple[_struct_type(shape.inner), ...]  # type: ignore[misc]
    if kind is Kind.OPTIONAL:
        inner = _struct_type(shape.inner)
        return Any if inner is Any else inner | None
    if kind is Kind.MODEL:
        struct = _struct(shape.model_class)
        # A protocol field holds a built-in's name or the protocol itself.
        return str | struct if shape.model_class is Protocol else struct
    return Any


def _text_enum(cls: type[enum.Enum]) -> bool:
    return all(type(member.value) is str for member in cls)


def _converter(cls: type) -> _Convert:
    """Compile the function making a ``cls`` of its struct (or raising ``_NotPlain``)."""
    found = _CONVERTERS.get(cls)
    if found is not None:
        return found
    # Models nest as a tree (a model never holds itself), so the nested
    # models' converters are compiled first, while this one is written.
    src = GeneratedSource()
    specs = field_specs(cls)
    arguments = [f"a{index}" for index in range(len(specs))]
    src.lines += ["def convert(s, keys):", f"    keys[0] += {len(specs)}"]
    for spec, argument in zip(specs, arguments, strict=True):
        src.lines.append(f"    {argument} = s.{spec.name}")
        expression = _conversion(spec.shape, argument, src, 0)
        if expression is not None:
            src.lines.append(f"    {argument} = {expression}")
    # msgspec and the converters make members, objects and tuples of the fields' very types.
    typed = frozenset(spec.name for spec in specs if made_by_hooks(spec.shape))
    add_build_lines(cls, src, arguments, fail=f"raise {src.name(_NotPlain)}", typed=typed)
    convert: _Convert = compile_function("convert", src.lines, src.names)
    _CONVERTERS[cls] = convert
    return convert


def _conversion(
    shape: TypeShape,
    var: str,
    src: GeneratedSource,
    depth: int,
) -> str | None:
    """An expression turning the decoded ``var`` of ``shape`` into its value (``None``: as is)."""
    kind = shape.kind
    if (
        kind is Kind.DATE
        or kind is Kind.DATETIME
        or (kind is Kind.ENUM and not _text_enum(shape.enum_class))
    ):
        # The codec's own hook: one home for what a date, a datetime or such an enumeration is.
        return f"{src.name(_codec.converter.get_structure_hook(shape.hint))}({var}, None)"
    if kind is Kind.MODEL:
        cls = shape.model_class
        convert = src.name(_converter(cls))
        if cls is Protocol:
            builtin = src.name(_builtin_protocol)
            return f"({builtin}({var}) if type({var}) is str else {convert}({var}, keys))"
        return f"{convert}({var}, keys)"
    if kind is Kind.TUPLE:
        item = f"x{depth}"
        inner = _conversion(shape.inner, item, src, depth + 1)
        return None if inner is None else f"tuple([{inner} for {item} in {var}])"
    if kind is Kind.OPTIONAL:
        inner = _conversion(shape.inner, var, src, depth)
        return None if inner is None else f"(None if {var} is None else {inner})"
    return None


def _builtin_protocol(name: str) -> Protocol:
    found = BUILTIN_PROTOCOLS.get(name)
    if found is None:
        raise _NotPlain
    return found


def _holds_no_decimals(shape: TypeShape, seen: set[type]) -> bool:
    """Whether values of ``shape`` dump to text, whole numbers, booleans and null only."""
    kind = shape.kind
    if kind in (Kind.FLOAT, Kind.ANY):
        return False
    if kind is Kind.UNION:
        return all(_holds_no_decimals(a, seen) for a in shape.alternatives)
    if kind is Kind.TUPLE or kind is Kind.OPTIONAL:
        return _holds_no_decimals(shape.inner, seen)
    if kind is Kind.ENUM:
        return all(type(m.value) in (str, int) for m in shape.enum_class)
    if kind is Kind.MODEL:
        cls = shape.model_class
        if cls in seen:
            return True
        seen.add(cls)
        return all(_holds_no_decimals(spec.shape, seen) for spec in field_specs(cls))
    return kind in (Kind.STR, Kind.INT, Kind.BOOL, Kind.DATE, Kind.DATETIME)


def installed() -> bool:
    """Whether msgspec is installed (the compiled path can run)."""
    return msgspec is not None


def accelerator() -> bool:
    """Whether the compiled path is in use (msgspec installed, ``IPTKIT_PURE_PYTHON`` not set)."""
    return installed() and os.environ.get(ENV_PURE, "") in ("", "0")


if accelerator():
    _codec.use_accelerator(load_plain, dump_text)
