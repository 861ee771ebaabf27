"""iptkit models as pydantic types: ``TypeAdapter(Model)``, fields of a ``BaseModel``, FastAPI.

Every model gets pydantic's two hooks from :func:`iptkit._model.model`; they
call the functions here, which this module hands to the model layer when
iptkit is imported (:func:`iptkit._model.use_pydantic_hooks`).  pydantic
itself is imported only once pydantic asks a model for its schema, so
``import iptkit`` never imports it.

What pydantic gets:

* **validation** is :func:`iptkit.load` with ``require_version=False``: a web
  form or an API client sends a document without ``schema_version``, which
  then reads as the current version; a version that is given is checked (and
  an older one migrated) as usual.  JSON text (``validate_json``, a request
  body) is decoded by pydantic's parser first and the decoded value loaded:
  text that is not JSON is pydantic's ``json_invalid`` error, and where a key
  appears twice in one object the parser keeps the last value (``loads`` would
  refuse the text).  An instance of the class is taken as it is (it is valid
  already).
* **errors**: a :class:`~iptkit.ValidationError` becomes a
  ``pydantic_core.ValidationError`` with one error per issue, all at once:
  ``loc`` the issue's path as a tuple (below the field's own name inside a
  ``BaseModel``), ``type`` its code and ``msg`` its message.  The ``input``
  of each is ``None``: values may be personal data, and pydantic prints the
  input of an error in ``str()`` and hands it to FastAPI's 422 responses.
* **serialization** (``dump_python``, ``dump_json``, FastAPI responses) is
  :func:`iptkit.dump`, in both of pydantic's modes: the JSON-ready dict, with
  ``schema_version`` first for a top-level document.
* **JSON Schema** is :func:`iptkit.json_schema`'s, with ``schema_version``
  listed but not required (as validation reads it).  Each model class and
  enumeration is one of pydantic's definitions, so pydantic puts it where the
  caller wants (``$defs``, or ``components/schemas`` of an OpenAPI document)
  and names it after the class.  A document class has two: as a pydantic type
  it is ``<Name>Document`` (``TreatmentContractDocument``, which may carry
  ``schema_version``), and as a part of another document ``<Name>`` (a
  course's ``contract``, which may not), as :func:`iptkit.load` reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iptkit._errors import ValidationError
from iptkit._io._codec import dump, load
from iptkit._io._schema import definitions
from iptkit._model import document_kind, use_pydantic_hooks

if TYPE_CHECKING:
    import pydantic_core
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema

__all__ = ["pydantic_core_schema", "pydantic_error", "pydantic_json_schema"]


def _core_ref(cls: type, *, document: bool = False) -> str:
    """pydantic's reference to the definition of ``cls`` (its top-level form if ``document``).

    pydantic names a definition after the last dotted part before ``:``: the
    class's name, and ``<Name>Document`` for the top-level form of a document
    class, which may carry ``schema_version`` where the same class as a part
    of another document may not.  The class's id keeps apart classes of one
    name.
    """
    suffix = "Document" if document else ""
    return f"iptkit.{cls.__qualname__}{suffix}:{id(cls)}"


def _top_ref(cls: type) -> str:
    """pydantic's reference to ``cls`` used as a pydantic type (a field, a request body)."""
    return _core_ref(cls, document=document_kind(cls) is not None)


def pydantic_error(cls: type, error: ValidationError) -> pydantic_core.ValidationError:
    """``error`` as pydantic's error: one line per issue (loc, type, msg), no values.

    The message goes in as a template without context, which pydantic shows
    as it is (braces included).
    """
    from pydantic_core import InitErrorDetails, PydanticCustomError
    from pydantic_core import ValidationError as PydanticValidationError

    lines = [
        InitErrorDetails(
            type=PydanticCustomError(issue.code, issue.message), loc=issue.loc, input=None
        )
        for issue in error.issues
    ]
    return PydanticValidationError.from_exception_data(cls.__name__, lines)


def pydantic_core_schema(cls: type, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """The core schema of model ``cls``: :func:`iptkit.load` in, :func:`iptkit.dump` out."""
    from pydantic_core import core_schema as cs

    def validate(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        try:
            return load(cls, value, require_version=False)
        except ValidationError as exc:
            raise pydantic_error(cls, exc) from None

    # pydantic names the validator after the function, in the title of its errors.
    validate.__name__ = validate.__qualname__ = cls.__name__
    return cs.no_info_plain_validator_function(
        validate,
        ref=_top_ref(cls),
        serialization=cs.plain_serializer_function_ser_schema(dump, when_used="always"),
    )


def pydantic_json_schema(
    cls: type, schema: CoreSchema, handler: GetJsonSchemaHandler
) -> dict[str, Any]:
    """The JSON Schema of model ``cls``, each class it uses a definition of pydantic's.

    Every reference is written by pydantic (``handler`` given a reference to
    the class's definition), and the definitions are handed to pydantic as
    definitions of a core schema, each with its body as its JSON Schema; the
    schema of ``cls`` itself becomes the definition of ``cls`` (its core
    schema has a ``ref``).
    """
    from pydantic_core import core_schema as cs

    def link(target: type, _name: str) -> dict[str, Any]:
        reference: dict[str, Any] = handler(cs.definition_reference_schema(_core_ref(target)))
        return reference

    body, parts = definitions(cls, link, require_version=False)
    if parts:
        handler(
            cs.definitions_schema(
                cs.any_schema(),
                [_definition(_core_ref(target), part) for target, part in parts.items()],
            )
        )
    return body


def _definition(ref: str, body: dict[str, Any]) -> CoreSchema:
    """A core schema that stands for one definition: ``ref``, whose JSON Schema is ``body``."""
    from pydantic_core import core_schema as cs

    def given(_schema: Any, _handler: Any) -> dict[str, Any]:
        return body

    return cs.any_schema(ref=ref, metadata={"pydantic_js_functions": [given]})


use_pydantic_hooks(pydantic_core_schema, pydantic_json_schema)
