"""iptkit models as pydantic types: ``TypeAdapter``, fields of a ``BaseModel``.

Validation is :func:`iptkit.load` (``require_version=False``), errors are
iptkit's issues one for one, serialization is :func:`iptkit.dump` and the
JSON Schema is :func:`iptkit.json_schema`'s, with pydantic placing the
definitions.  No value of a document reaches pydantic's errors.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("pydantic", reason="needs the pydantic extra")

import pydantic
from pydantic import BaseModel, ConfigDict, TypeAdapter

import iptkit
import iptkit.testing
from _helpers import mutated, public_documents, public_models
from _positions import positions, replace_at
from iptkit import Issue, TreatmentContract, TreatmentCourse, ValidationError
from iptkit._io._pydantic import pydantic_error

DOCUMENTS = public_documents()
MODELS = public_models()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "data").glob("*.json"))

#: Put into documents; must never appear in what pydantic shows of an error.
MARKER = "Zq9MARKER"
#: Where pydantic writes references for OpenAPI (FastAPI's template).
OPENAPI = "#/components/schemas/{model}"

Outcome = Any  # a loaded object, or the (loc, type, msg) of each problem


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(tp: Any) -> TypeAdapter[Any]:
    """One ``TypeAdapter`` per type (building one is the slow part)."""
    if tp not in _ADAPTERS:
        _ADAPTERS[tp] = TypeAdapter(tp)
    return _ADAPTERS[tp]


def example_course() -> TreatmentCourse:
    return iptkit.loads(TreatmentCourse, EXAMPLES[0].read_text(encoding="utf-8"))


def contract_document() -> dict[str, Any]:
    """A valid contract document, as an API client sends one (no ``schema_version``)."""
    contract = example_course().contract
    assert contract is not None
    doc = iptkit.dump(contract)
    del doc["schema_version"]
    return doc


def three_problems() -> dict[str, Any]:
    """A contract document with three independent problems, two of them holding the marker."""
    doc = contract_document()
    doc["sessions"] = {**doc["sessions"], "total": 0}
    doc["focus_areas"] = [MARKER]
    doc["colour"] = MARKER
    return doc


THREE_PROBLEMS: list[tuple[tuple[str | int, ...], str]] = [
    (("sessions", "total"), "out_of_range"),
    (("focus_areas", 0), "invalid_value"),
    (("colour",), "unknown_field"),
]


def iptkit_outcome(call: Any) -> Outcome:
    """What iptkit's own ``call`` gives: the object, or each issue's (loc, code, message)."""
    try:
        return call()
    except ValidationError as exc:
        return [(issue.loc, issue.code, issue.message) for issue in exc.issues]


def pydantic_outcome(call: Any) -> Outcome:
    """What a pydantic ``call`` gives, in the same form; no error keeps a value."""
    try:
        return call()
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        assert all(error["input"] is None for error in errors)
        return [(error["loc"], error["type"], error["msg"]) for error in errors]


def refused_as_json(ta: TypeAdapter[Any], text: str) -> bool:
    """Whether pydantic's parser refuses ``text`` (before iptkit sees it)."""
    try:
        ta.validate_json(text)
    except pydantic.ValidationError as exc:
        return [error["type"] for error in exc.errors()] == ["json_invalid"]
    return False


def shown(exc: pydantic.ValidationError) -> list[str]:
    """Everything pydantic shows of an error."""
    return [
        str(exc),
        repr(exc),
        exc.json(),
        exc.json(include_url=False),
        repr(exc.errors()),
        repr(exc.errors(include_context=True)),
    ]


def without_header(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as pydantic gives it: no ``$schema`` or ``$id``, ``schema_version`` optional."""
    body = {key: value for key, value in schema.items() if key not in ("$schema", "$id")}
    if "required" in body and "schema_version" in body["required"]:
        required = [name for name in body["required"] if name != "schema_version"]
        if required:
            body["required"] = required
        else:
            del body["required"]
    return body


def refs(value: Any) -> list[str]:
    """Every ``$ref`` in a JSON value."""
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [ref for item in value.values() for ref in refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in refs(item)]
    return []


# --------------------------------------------------------------------------
# The core stays free of pydantic
# --------------------------------------------------------------------------


def test_importing_iptkit_does_not_import_pydantic() -> None:
    """``import iptkit`` and its daily use (load, dump, schema) leave pydantic unimported."""
    code = (
        "import sys\n"
        "import iptkit\n"
        "doc = {'label': 'P1', 'role': 'friend', 'closeness': 2}\n"
        "iptkit.dumps(iptkit.load(iptkit.Relationship, doc))\n"
        "iptkit.json_schema(iptkit.TreatmentCourse)\n"
        "names = ('pydantic', 'pydantic_core')\n"
        "found = sorted(m for m in sys.modules if m.split('.')[0] in names)\n"
        "assert not found, found\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
def test_every_model_is_a_pydantic_type(cls: type) -> None:
    """Every public model has pydantic's hooks and gives a TypeAdapter with a schema."""
    assert callable(cls.__get_pydantic_core_schema__)  # type: ignore[attr-defined]
    assert callable(cls.__get_pydantic_json_schema__)  # type: ignore[attr-defined]
    schema = adapter(cls).json_schema()
    assert schema["title"] == cls.__name__
    assert schema["additionalProperties"] is False


# --------------------------------------------------------------------------
# Every document through TypeAdapter
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
class TestEveryDocument:
    """TypeAdapter(Document) loads, dumps and describes what iptkit does."""

    def test_round_trip(self, cls: type) -> None:
        """validate_json/validate_python give the object; dump_* give iptkit.dump's JSON."""
        ta = adapter(cls)

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            text = iptkit.dumps(obj)
            data = iptkit.dump(obj)
            assert ta.validate_json(text) == obj
            assert ta.validate_json(text.encode()) == obj
            assert ta.validate_python(data) == obj
            assert ta.validate_python(obj) is obj
            assert ta.dump_python(obj, mode="json") == data
            assert ta.dump_python(obj) == data
            assert json.loads(ta.dump_json(obj)) == json.loads(text)
            # What a web form or an API client sends: no schema_version.
            body = {key: value for key, value in data.items() if key != "schema_version"}
            assert ta.validate_python(body) == obj
            assert ta.validate_json(json.dumps(body)) == obj

        run()

    def test_same_outcome_as_load_on_mutations(self, cls: type) -> None:
        """On mutated documents pydantic gives load's object or load's issues, one for one."""
        ta = adapter(cls)

        @given(mutated(cls))
        def run(doc: Any) -> None:
            expected = iptkit_outcome(lambda: iptkit.load(cls, doc, require_version=False))
            assert pydantic_outcome(lambda: ta.validate_python(doc)) == expected
            text = json.dumps(doc)
            if refused_as_json(ta, text):
                # Text pydantic's parser refuses (a lone surrogate): iptkit refuses it too.
                assert isinstance(iptkit_outcome(lambda: iptkit.loads(cls, text)), list)
            else:
                parsed = json.loads(text)
                assert pydantic_outcome(lambda: ta.validate_json(text)) == iptkit_outcome(
                    lambda: iptkit.load(cls, parsed, require_version=False)
                )

        run()

    def test_json_schema_is_iptkits(self, cls: type) -> None:
        """The schema is json_schema(cls)'s, definitions and names included."""
        expected = without_header(iptkit.json_schema(cls))
        for mode in ("validation", "serialization"):
            assert adapter(cls).json_schema(mode=mode) == expected
        openapi = without_header(iptkit.json_schema(cls, ref_template=OPENAPI))
        assert adapter(cls).json_schema(ref_template=OPENAPI) == openapi

    def test_a_given_version_is_checked(self, cls: type) -> None:
        """A schema_version that is given must be one iptkit reads."""
        with pytest.raises(pydantic.ValidationError) as info:
            adapter(cls).validate_python({"schema_version": 99})
        errors = info.value.errors()
        assert (("schema_version",), "unsupported_schema_version") in [
            (error["loc"], error["type"]) for error in errors
        ]


def test_dump_json_is_the_text_of_dumps() -> None:
    """For the example documents, dump_json writes exactly the text of iptkit.dumps."""
    for path in EXAMPLES:
        course = iptkit.loads(TreatmentCourse, path.read_text(encoding="utf-8"))
        assert adapter(TreatmentCourse).dump_json(course).decode() == iptkit.dumps(course)
        for part in (course.contract, course.inventory, course.schedule):
            assert part is not None
            assert adapter(type(part)).dump_json(part).decode() == iptkit.dumps(part)


# --------------------------------------------------------------------------
# Errors: every problem at once, no value
# --------------------------------------------------------------------------


def test_every_problem_at_once() -> None:
    """Three independent problems give three pydantic errors with iptkit's loc, type and msg."""
    doc = three_problems()
    with pytest.raises(ValidationError) as ours:
        iptkit.load(TreatmentContract, doc, require_version=False)
    ta = adapter(TreatmentContract)
    calls: list[Callable[[], object]] = [
        lambda: ta.validate_python(doc),
        lambda: ta.validate_json(json.dumps(doc)),
    ]
    for call in calls:
        with pytest.raises(pydantic.ValidationError) as info:
            call()
        errors = info.value.errors()
        assert [(error["loc"], error["type"]) for error in errors] == THREE_PROBLEMS
        assert [error["msg"] for error in errors] == [i.message for i in ours.value.issues]
        assert info.value.error_count() == 3
        for text in shown(info.value):
            assert MARKER not in text


def test_error_of_the_whole_value() -> None:
    """A value of the wrong kind is one error at the top (an empty loc)."""
    with pytest.raises(pydantic.ValidationError) as info:
        adapter(TreatmentContract).validate_python(MARKER)
    (error,) = info.value.errors()
    assert (error["loc"], error["type"], error["input"]) == ((), "wrong_type", None)
    assert "TreatmentContract" in info.value.title
    for text in shown(info.value):
        assert MARKER not in text


def test_an_instance_of_another_model_is_refused() -> None:
    """Only an instance of the class itself is taken as it is."""
    course = example_course()
    with pytest.raises(pydantic.ValidationError) as info:
        adapter(TreatmentContract).validate_python(course)
    assert [error["type"] for error in info.value.errors()] == ["wrong_type"]


def test_messages_are_kept_as_written() -> None:
    """A message is shown as it is, braces included (it is no template)."""
    issues = [Issue("$.a[2]", "some_code", "Use {name} or {0} here."), Issue("$", "other", "B.")]
    error = pydantic_error(TreatmentContract, ValidationError(issues))
    assert [(e["loc"], e["type"], e["msg"]) for e in error.errors()] == [
        (("a", 2), "some_code", "Use {name} or {0} here."),
        ((), "other", "B."),
    ]


@st.composite
def marked_documents(draw: st.DrawFn, cls: type) -> Any:
    """A valid ``cls`` document with the marker at some of its positions.

    Only values hold the marker: keys are structure, and a message may name
    one (an unknown field).
    """
    doc = iptkit.dump(draw(st.from_type(cls)))
    places = positions(cls, doc, document=True)
    for loc, _kind, _field in draw(st.lists(st.sampled_from(places), min_size=1, max_size=4)):
        doc = replace_at(doc, loc, draw(st.sampled_from([MARKER, [MARKER], {"x": MARKER}])))
    return doc


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
def test_no_value_reaches_an_error(cls: type) -> None:
    """The marker, wherever it is put, never shows in pydantic's errors."""
    ta = adapter(cls)

    @given(marked_documents(cls))
    def run(doc: Any) -> None:
        calls: list[Callable[[], object]] = [
            lambda: ta.validate_python(doc),
            lambda: ta.validate_json(json.dumps(doc)),
        ]
        for call in calls:
            try:
                call()
            except pydantic.ValidationError as exc:
                for text in shown(exc):
                    assert MARKER not in text

    run()


def test_text_that_is_not_json_is_pydantics_to_report() -> None:
    """pydantic's parser refuses bad JSON; hide_input_in_errors keeps the text out of it."""
    text = '{"crisis_plan": "' + MARKER
    hidden = TypeAdapter(TreatmentContract, config=ConfigDict(hide_input_in_errors=True))
    with pytest.raises(pydantic.ValidationError) as info:
        hidden.validate_json(text)
    assert [error["type"] for error in info.value.errors()] == ["json_invalid"]
    assert MARKER not in str(info.value)


# --------------------------------------------------------------------------
# Inside a user's own pydantic models
# --------------------------------------------------------------------------


class Body(BaseModel):
    """A request body holding a contract and a note."""

    contract: TreatmentContract
    note: str


class Both(BaseModel):
    """A contract on its own and a course holding one."""

    contract: TreatmentContract
    course: TreatmentCourse | None = None


class TestInsideABaseModel:
    """An iptkit model as the type of a field."""

    def test_valid(self) -> None:
        """A field takes a document (with or without schema_version) or an object."""
        doc = contract_document()
        contract = iptkit.load(TreatmentContract, doc, require_version=False)
        body = Body.model_validate({"contract": doc, "note": "n"})
        assert body.contract == contract
        assert Body(contract=contract, note="n").contract is contract
        assert Body.model_validate_json(body.model_dump_json()) == body
        assert body.model_dump(mode="json")["contract"] == iptkit.dump(contract)
        assert body.model_dump()["contract"] == iptkit.dump(contract)
        assert json.loads(body.model_dump_json())["contract"] == iptkit.dump(contract)

    def test_problems_are_under_the_field_name(self) -> None:
        """iptkit's problems and pydantic's own come together, iptkit's below the field."""
        with pytest.raises(pydantic.ValidationError) as info:
            Body.model_validate({"contract": three_problems(), "note": 3})
        found = [(error["loc"], error["type"]) for error in info.value.errors()]
        assert found == [(("contract", *loc), code) for loc, code in THREE_PROBLEMS] + [
            (("note",), "string_type")
        ]
        for text in shown(info.value):
            assert MARKER not in text

    def test_in_a_list(self) -> None:
        """Each item is checked; its index leads the loc."""
        doc = contract_document()
        with pytest.raises(pydantic.ValidationError) as info:
            adapter(list[TreatmentContract]).validate_python([doc, three_problems()])
        found = [(error["loc"], error["type"]) for error in info.value.errors()]
        assert found == [((1, *loc), code) for loc, code in THREE_PROBLEMS]

    def test_schema(self) -> None:
        """The field refers to the document's definition; the rest are iptkit's definitions."""
        schema = Body.model_json_schema()
        assert schema["properties"]["contract"] == {"$ref": "#/$defs/TreatmentContractDocument"}
        ours = without_header(iptkit.json_schema(TreatmentContract))
        defs = ours.pop("$defs")
        assert schema["$defs"] == {"TreatmentContractDocument": ours, **defs}

    def test_a_document_inside_another_is_a_part(self) -> None:
        """A course's contract is defined without schema_version, the contract itself with it."""
        schema = Both.model_json_schema(ref_template=OPENAPI)
        defs = schema["$defs"]
        document, part = defs["TreatmentContractDocument"], defs["TreatmentContract"]
        assert "schema_version" in document["properties"]
        assert "schema_version" not in document.get("required", [])
        assert "schema_version" not in part["properties"]
        course_schema = iptkit.json_schema(TreatmentCourse, ref_template=OPENAPI)
        assert part == course_schema["$defs"]["TreatmentContract"]
        course = defs["TreatmentCourseDocument"]
        assert course["properties"]["contract"]["anyOf"][0] == {
            "$ref": "#/components/schemas/TreatmentContract"
        }
        names = {ref.rpartition("/")[2] for ref in refs(schema)}
        assert names <= set(defs)
        assert all(ref.startswith("#/components/schemas/") for ref in refs(schema))


# --------------------------------------------------------------------------
# json_schema(ref_template=...)
# --------------------------------------------------------------------------


class TestRefTemplate:
    """References written another way, for OpenAPI documents."""

    @pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
    def test_default_is_defs(self, cls: type) -> None:
        """Without a template, references point into $defs, as before."""
        schema = iptkit.json_schema(cls)
        assert schema == iptkit.json_schema(cls, ref_template="#/$defs/{model}")
        assert {ref.rpartition("/")[0] for ref in refs(schema)} <= {"#/$defs"}

    @pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
    def test_openapi(self, cls: type) -> None:
        """Only the references change: same definitions, same names."""
        default = iptkit.json_schema(cls)
        openapi = iptkit.json_schema(cls, ref_template=OPENAPI)
        assert openapi.keys() == default.keys()
        assert openapi["$defs"].keys() == default["$defs"].keys()
        assert sorted(refs(openapi)) == sorted(
            ref.replace("#/$defs/", "#/components/schemas/") for ref in refs(default)
        )
        rewritten = json.dumps(default).replace('"#/$defs/', '"#/components/schemas/')
        assert json.loads(rewritten) == openapi

    @pytest.mark.parametrize(
        "template", ["#/components/schemas/", "#/{name}", "#/{0}/{model}", "{{model}}", "{model"]
    )
    def test_refuses_a_template_without_its_one_field(self, template: str) -> None:
        """A template must hold {model} and nothing else in braces."""
        with pytest.raises(ValueError, match="model"):
            iptkit.json_schema(TreatmentContract, ref_template=template)

    def test_refuses_what_is_not_text(self) -> None:
        """A template is text."""
        with pytest.raises(TypeError, match="text"):
            iptkit.json_schema(TreatmentContract, ref_template=3)  # type: ignore[arg-type]
