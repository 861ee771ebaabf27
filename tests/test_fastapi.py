"""A FastAPI app takes and returns iptkit models with no code of its own for them.

A bad body gets a 422 listing every problem with iptkit's codes and no value
of the body; a good one comes back as :func:`iptkit.dumps` writes it; the
OpenAPI document holds iptkit's schemas.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import pytest

pytest.importorskip("fastapi", reason="needs FastAPI (the test dependency group)")

from fastapi import Body, FastAPI
from jsonschema import Draft202012Validator
from pydantic import BaseModel

import iptkit
from iptkit import TreatmentContract, TreatmentCourse

# The same documents as the pydantic tests: a valid contract body and one with
# three problems, two of them holding MARKER (which must never appear in a response).
from test_pydantic import MARKER, contract_document, three_problems

with warnings.catch_warnings():
    # Starlette's test client asks for a package of its own (httpx2) over httpx, in a warning.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = sorted((ROOT / "examples" / "data").glob("*.json"))[0]
JSON = {"content-type": "application/json"}


class Note(BaseModel):
    """A body of the app's own that holds a contract."""

    contract: TreatmentContract
    text: str


app = FastAPI()


@app.post("/contracts")
def add_contract(contract: Annotated[TreatmentContract, Body()]) -> TreatmentContract:
    """Take a contract and give it back."""
    return contract


@app.post("/notes", response_model=TreatmentContract)
def add_note(note: Note) -> Any:
    """Take a note holding a contract; answer with the contract."""
    return note.contract


@app.post("/courses")
def add_course(course: Annotated[TreatmentCourse, Body()]) -> TreatmentCourse:
    """Take a course (whose contract is a part) and give it back."""
    return course


client = TestClient(app)


THREE_PROBLEMS: list[tuple[list[str | int], str]] = [
    (["sessions", "total"], "out_of_range"),
    (["focus_areas", 0], "invalid_value"),
    (["colour"], "unknown_field"),
]


def test_a_valid_contract_comes_back_as_dumps_writes_it() -> None:
    """200, and the response body is exactly the text of iptkit.dumps."""
    doc = contract_document()
    response = client.post("/contracts", json=doc)
    assert response.status_code == 200
    contract = iptkit.load(TreatmentContract, doc, require_version=False)
    assert response.text == iptkit.dumps(contract)
    # With schema_version given, the same.
    response = client.post("/contracts", content=iptkit.dumps(contract), headers=JSON)
    assert response.status_code == 200
    assert response.text == iptkit.dumps(contract)


def test_a_course_comes_back_as_dumps_writes_it() -> None:
    """A whole course document, read and written by iptkit."""
    text = EXAMPLE.read_text(encoding="utf-8")
    response = client.post("/courses", content=text, headers=JSON)
    assert response.status_code == 200
    assert response.text == iptkit.dumps(iptkit.loads(TreatmentCourse, text))


def test_every_problem_in_one_422() -> None:
    """Three independent problems: one 422 listing all three with iptkit's codes and paths."""
    response = client.post("/contracts", json=three_problems())
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [(error["loc"], error["type"]) for error in detail] == [
        (["body", *loc], code) for loc, code in THREE_PROBLEMS
    ]
    with pytest.raises(iptkit.ValidationError) as info:
        iptkit.load(TreatmentContract, three_problems(), require_version=False)
    assert [error["msg"] for error in detail] == [issue.message for issue in info.value.issues]
    assert MARKER not in response.text


def test_problems_inside_the_apps_own_model() -> None:
    """In a body of the app's own, iptkit's problems come below the field, with pydantic's."""
    response = client.post("/notes", json={"contract": three_problems(), "text": 5})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [(error["loc"], error["type"]) for error in detail] == [
        *((["body", "contract", *loc], code) for loc, code in THREE_PROBLEMS),
        (["body", "text"], "string_type"),
    ]
    assert MARKER not in response.text
    good = client.post("/notes", json={"contract": contract_document(), "text": "t"})
    assert good.status_code == 200
    assert good.json() == iptkit.dump(
        iptkit.load(TreatmentContract, contract_document(), require_version=False)
    )


def test_no_value_of_a_bad_body_comes_back() -> None:
    """The marker in every kind of bad place never reaches the 422."""
    doc = contract_document()
    bodies = [
        {**doc, "crisis_plan": 5, "boundaries": [MARKER]},
        {**doc, "sessions": MARKER},
        {**doc, "sessions": {**doc["sessions"], "first_session": MARKER, "weeks": MARKER}},
        {**doc, "parties": [{"role": MARKER, "label": MARKER, "signed_on": MARKER}]},
        {**doc, "schema_version": MARKER},
        [MARKER],
        MARKER,
    ]
    for body in bodies:
        response = client.post("/contracts", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
        assert MARKER not in response.text


def test_the_openapi_document_holds_iptkits_schemas() -> None:
    """Request bodies and responses refer to iptkit's definitions in components/schemas.

    FastAPI leaves nulls out of its OpenAPI document (see :func:`no_nulls`);
    the rest of each definition is iptkit's.
    """
    document = app.openapi()
    schemas = document["components"]["schemas"]
    contract = without_header(iptkit.json_schema(TreatmentContract, ref_template=REF))
    contract = no_nulls(contract)
    for name, definition in contract.pop("$defs").items():
        assert schemas[name] == definition
    assert schemas["TreatmentContractDocument"] == contract
    operation = document["paths"]["/contracts"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"{PREFIX}TreatmentContractDocument"}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": f"{PREFIX}TreatmentContractDocument"}
    # The course's contract is a part of it (no schema_version), a definition of its own.
    course = no_nulls(iptkit.json_schema(TreatmentCourse, ref_template=REF))
    assert schemas["TreatmentContract"] == course["$defs"]["TreatmentContract"]
    assert schemas["Note"]["properties"]["contract"] == {
        "$ref": f"{PREFIX}TreatmentContractDocument"
    }


def test_the_openapi_document_is_whole() -> None:
    """Every reference resolves, and every component is a valid 2020-12 schema."""
    document = json.loads(json.dumps(app.openapi()))
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith(PREFIX), ref
        assert ref.removeprefix(PREFIX) in schemas, ref
    for definition in schemas.values():
        Draft202012Validator.check_schema(definition)


def test_the_example_app_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/fastapi_app.py stores a contract, gives it back, and refuses a bad one."""
    spec = importlib.util.spec_from_file_location(
        "fastapi_app", ROOT / "examples" / "fastapi_app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    # pydantic reads the module's annotations (postponed, as text) through sys.modules.
    monkeypatch.setitem(sys.modules, "fastapi_app", example)
    spec.loader.exec_module(example)
    with TestClient(example.app) as example_client:
        doc = contract_document()
        stored = example_client.post("/contracts", json=doc)
        assert stored.status_code == 201
        again = example_client.get("/contracts/1")
        assert (
            again.text
            == stored.text
            == iptkit.dumps(iptkit.load(TreatmentContract, doc, require_version=False))
        )
        note = {"inventory": {"relationships": []}, "session": 3}
        assert example_client.post("/contracts/1/notes", json=note).json() == {
            "relationships": 0,
            "session": 3,
        }
        bad = example_client.post("/contracts", json=three_problems())
        assert [error["type"] for error in bad.json()["detail"]] == [
            code for _, code in THREE_PROBLEMS
        ]
        assert "TreatmentContractDocument" in example.app.openapi()["components"]["schemas"]


REF = "#/components/schemas/{model}"
PREFIX = "#/components/schemas/"


def without_header(schema: dict[str, Any]) -> dict[str, Any]:
    """A document's schema as a component: no ``$schema``/``$id``, ``schema_version`` optional."""
    body = {key: value for key, value in schema.items() if key not in ("$schema", "$id")}
    body["required"] = [name for name in body["required"] if name != "schema_version"]
    return body


def no_nulls(value: Any) -> Any:
    """``value`` without the keys whose value is null, at any depth.

    FastAPI writes its OpenAPI document leaving out every null it holds,
    null defaults and nulls inside default objects too (for its own models
    as well).
    """
    if isinstance(value, dict):
        return {key: no_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [no_nulls(item) for item in value]
    return value


def refs(value: Any) -> list[str]:
    """Every ``$ref`` in a JSON value."""
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [ref for item in value.values() for ref in refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in refs(item)]
    return []
