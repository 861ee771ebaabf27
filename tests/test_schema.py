"""Tests of the JSON Schema export, ``iptkit.json_schema``.

The schema and :func:`iptkit.load` must agree: a document the schema refuses
is refused by ``load``, and a document ``load`` accepts passes the schema.
Only cross-field rules (and whole numbers written with a decimal point, which
JSON Schema counts as integers) may make ``load`` stricter than the schema.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

import iptkit
import iptkit.testing
from _helpers import mutated, public_documents, public_models, value_at
from iptkit import Issue, ValidationError, _model
from iptkit._io._schema import DATE_PATTERN, DATETIME_PATTERN, ecma_pattern
from iptkit._model import field, field_specs, is_model, model

# --------------------------------------------------------------------------
# A document with every kind of field the model framework supports
# --------------------------------------------------------------------------


class Mood(enum.Enum):
    """How the day went."""

    LOW = "low"
    HIGH = "high"


@model
class Part:
    """A part of a sample, with a coded name."""

    code: str = field(min_len=2, max_len=6, pattern=r"[a-z][a-z0-9_]*", doc="Short code.")
    weight: float = field(default=0.5, ge=0, le=1)


@model(document="sample")
class Sample:
    """A document using each kind of field.

    >>> Sample.__name__
    'Sample'
    """

    day: dt.date = field(doc="A calendar day.")
    at: dt.datetime = field(doc="An instant.")
    count: int = field(ge=1, le=10)
    note: str | None = field(default=None, min_len=1, max_len=5)
    mood: Mood = Mood.LOW
    maybe_mood: Mood | None = None
    parts: tuple[Part, ...] = field(default=(), max_len=2)
    tags: tuple[str, ...] = field(default=(), min_len=0, max_len=3)
    either: int | str = 0
    ratio: float | None = None
    flag: bool = False
    loose: typing.Any = None

    def _invariants(self) -> Iterator[Issue]:
        # A cross-field rule that deliberately reuses a generic code.
        if self.flag and self.note is None:
            yield Issue("$.note", "invalid_value", "A flagged sample needs a note.")


_codes = st.from_regex(r"[a-z][a-z0-9_]{1,5}", fullmatch=True)
_parts = st.builds(Part, code=_codes, weight=st.floats(0, 1))
_notes = st.text(min_size=1, max_size=5)


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    """Valid samples."""
    flag = draw(st.booleans())
    return Sample(
        day=draw(iptkit.testing.dates()),
        at=draw(iptkit.testing.aware_datetimes()),
        count=draw(st.integers(1, 10)),
        note=draw(_notes if flag else st.none() | _notes),
        mood=draw(st.sampled_from(Mood)),
        maybe_mood=draw(st.none() | st.sampled_from(Mood)),
        parts=tuple(draw(st.lists(_parts, max_size=2))),
        tags=tuple(draw(st.lists(st.text(max_size=3), max_size=3))),
        either=draw(st.integers() | st.text(max_size=3)),
        ratio=draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        flag=flag,
        loose=draw(st.none() | st.integers() | st.text(max_size=3)),
    )


st.register_type_strategy(Sample, samples())
st.register_type_strategy(Part, _parts)

MODELS = [*public_models(), Sample, Part]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def validator(cls: type) -> Draft202012Validator:
    """A validator of ``cls``'s schema that checks formats too."""
    return Draft202012Validator(iptkit.json_schema(cls), format_checker=FormatChecker())


def reachable(cls: type) -> list[type]:
    """``cls`` and every model or enumeration its fields use, in a stable order."""
    found: dict[type, None] = {}

    def visit(tp: Any) -> None:
        if typing.get_origin(tp) in (tuple, typing.Union, types.UnionType):
            for arg in typing.get_args(tp):
                visit(arg)
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            found.setdefault(tp)
        elif is_model(tp) and tp not in found:
            found[tp] = None
            for spec in field_specs(tp):
                visit(spec.type)

    visit(cls)
    return list(found)


@contextlib.contextmanager
def without_cross_field_rules(cls: type) -> Iterator[None]:
    """Switch off the rules a schema cannot state, in ``cls`` and every model inside it.

    These are the ``_invariants`` (cross-field rules) and the fields' own
    rules beyond their bounds (``field(rules=...)``: a known zone name, no item
    listed twice, dates in order).
    """
    models = [c for c in reachable(cls) if is_model(c)]
    saved = {c: c.__dict__["_invariants"] for c in models if "_invariants" in c.__dict__}
    specs = {c: field_specs(c) for c in models}
    plans = {c: _model._plan(c) for c in models}
    try:
        for owner in saved:
            setattr(owner, "_invariants", None)  # noqa: B010 (a class attribute)
        for owner in models:
            _model._SPECS[owner] = tuple(
                attrs.evolve(spec, constraints=attrs.evolve(spec.constraints, rules=()))
                for spec in specs[owner]
            )
            _model._PLANS[owner] = (_model._compile_fast(owner), plans[owner][1])
        yield
    finally:
        for owner, method in saved.items():
            setattr(owner, "_invariants", method)  # noqa: B010
        _model._SPECS.update(specs)
        _model._PLANS.update(plans)


def is_integral_float(value: Any) -> bool:
    """Whether ``value`` is a decimal number with nothing after the point, like 2.0."""
    return type(value) is float and value.is_integer()


def load_issues(cls: type, doc: Any) -> tuple[Issue, ...]:
    """The issues ``load`` reports for ``doc`` (empty if it loads)."""
    try:
        iptkit.load(cls, doc)
    except ValidationError as exc:
        return exc.issues
    return ()


#: Codes only the codec gives, never a cross-field rule.  (Cross-field rules do
#: use generic codes such as ``wrong_type`` or ``invalid_value``: a PHQ-9 item
#: answered with a letter is ``wrong_type`` because of the instrument field.)
CODEC_ONLY_CODES = frozenset({"unknown_field", "naive_datetime", "unsupported_schema_version"})


def assert_agreement(cls: type, checker: Draft202012Validator, doc: Any) -> None:
    """Assert that the schema and ``load`` agree on ``doc`` where the schema can."""
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if type(version) is int and 1 <= version < iptkit.SCHEMA_VERSION:
        return  # the schema states the current version; older ones are migrated on load
    schema_errors = [e.message for e in checker.iter_errors(doc)]
    issues = load_issues(cls, doc)
    if schema_errors:
        assert issues, f"schema refuses what load accepts: {schema_errors}"
        return
    if not issues:
        return
    # The schema accepted a document load refuses: only a cross-field rule, or a
    # whole number written with a decimal point, may be the reason.
    assert not {issue.code for issue in issues} & CODEC_ONLY_CODES, issues
    with without_cross_field_rules(cls):
        remaining = load_issues(cls, doc)
    for issue in remaining:
        assert issue.code == "wrong_type", issue
        assert is_integral_float(value_at(doc, issue.loc)), issue


# Mutations: a valid document with one part changed, biased towards values near
# the edges of what the schema states (bounds, lengths, dates, integral floats).


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_public_models_are_covered() -> None:
    """The generic schema tests see the public models and documents."""
    assert iptkit.InterpersonalInventory in MODELS
    assert iptkit.InterpersonalInventory in public_documents()
    assert iptkit.Protocol in MODELS


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
class TestJsonSchemaOfEveryModel:
    """Properties of the schema of each public model (and a sample of every field kind)."""

    def test_is_a_valid_2020_12_schema(self, cls: type) -> None:
        """The schema passes the draft 2020-12 metaschema."""
        schema = iptkit.json_schema(cls)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)

    def test_is_deterministic_json(self, cls: type) -> None:
        """Two calls give equal, JSON-serialisable schemas with the same text."""
        first, second = iptkit.json_schema(cls), iptkit.json_schema(cls)
        assert first == second
        assert first is not second
        text = json.dumps(first, sort_keys=True)
        assert text == json.dumps(second, sort_keys=True)
        assert json.loads(text) == first
        assert json.dumps(first) == json.dumps(second)  # key order is fixed too

    def test_every_dumped_document_validates(self, cls: type) -> None:
        """Whatever dump() writes passes the schema, formats included."""
        checker = validator(cls)

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            doc = iptkit.dump(obj)
            assert [e.message for e in checker.iter_errors(doc)] == []

        run()

    def test_schema_and_load_agree_on_mutations(self, cls: type) -> None:
        """On mutated documents, the schema refuses only what load refuses, and vice versa."""
        checker = validator(cls)

        @given(mutated(cls))
        def run(doc: Any) -> None:
            assert_agreement(cls, checker, doc)

        run()

    def test_one_definition_per_class(self, cls: type) -> None:
        """Each model and enumeration used gets one $defs entry, and every $ref resolves."""
        schema = iptkit.json_schema(cls)
        defs = schema.get("$defs", {})
        expected = {c.__name__ for c in reachable(cls) if c is not cls}
        assert set(defs) == expected
        refs = set(_refs(schema))
        assert refs <= {"#"} | {f"#/$defs/{name}" for name in defs}
        assert {f"#/$defs/{name}" for name in defs} <= refs

    def test_objects_are_closed_and_list_required_fields(self, cls: type) -> None:
        """Every object refuses unknown keys and requires exactly the fields without a default."""
        schema = iptkit.json_schema(cls)
        bodies = {cls: schema} | {
            c: schema["$defs"][c.__name__] for c in reachable(cls) if c is not cls and is_model(c)
        }
        for owner, body in bodies.items():
            assert body["additionalProperties"] is False
            names = [spec.name for spec in field_specs(owner)]
            wanted = [spec.name for spec in field_specs(owner) if spec.required]
            if owner is cls and cls in [*public_documents(), Sample]:
                names.insert(0, "schema_version")
                wanted.insert(0, "schema_version")
            assert list(body["properties"]) == names
            assert body.get("required", []) == wanted

    def test_defaults_validate(self, cls: type) -> None:
        """Every default the schema states is itself valid for its property."""
        schema = iptkit.json_schema(cls)
        bodies = [schema, *schema.get("$defs", {}).values()]
        for body in bodies:
            for name, prop in body.get("properties", {}).items():
                if "default" in prop:
                    sub = {**prop, "$defs": schema.get("$defs", {})}
                    check = Draft202012Validator(sub, format_checker=FormatChecker())
                    assert check.is_valid(prop["default"]), name

    def test_every_pattern_is_carried_over(self, cls: type) -> None:
        """No field pattern is left out for being outside the safe regex subset."""
        for owner in reachable(cls):
            if is_model(owner):
                for spec in field_specs(owner):
                    if spec.constraints.pattern is not None:
                        assert ecma_pattern(spec.constraints.pattern) is not None, spec.name


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


class TestJsonSchema:
    """Example-based tests of ``iptkit.json_schema``."""

    def test_document_header(self) -> None:
        """A document has $schema, a stable $id, and a required schema_version fixed at 1."""
        schema = iptkit.json_schema(iptkit.InterpersonalInventory)
        assert schema["$id"] == "https://iptkit.org/schema/inventory/v2.json"
        assert schema["title"] == "InterpersonalInventory"
        assert schema["description"].startswith("The patient's important relationships")
        assert schema["required"] == ["schema_version"]
        assert schema["properties"]["schema_version"]["type"] == "integer"
        assert schema["properties"]["schema_version"]["const"] == iptkit.SCHEMA_VERSION == 2

    def test_schema_version_other_than_current_is_refused(self) -> None:
        """A missing or future schema_version fails the schema as it fails load.

        Version 1 documents are migrated when loaded; the schema states version 2 only.
        """
        checker = validator(iptkit.InterpersonalInventory)
        assert checker.is_valid({"schema_version": 2})
        assert not checker.is_valid({"schema_version": 1})
        assert not load_issues(iptkit.InterpersonalInventory, {"schema_version": 1})
        for doc in ({}, {"schema_version": 3}, {"schema_version": 0}, {"schema_version": "2"}):
            assert not checker.is_valid(doc)
            assert load_issues(iptkit.InterpersonalInventory, doc)

    def test_part_has_no_schema_version(self) -> None:
        """A class that is not a document has no schema_version and an $id under models/."""
        schema = iptkit.json_schema(iptkit.Relationship)
        assert "schema_version" not in schema["properties"]
        assert schema["$id"] == "https://iptkit.org/schema/models/Relationship/v2.json"
        assert schema["required"] == ["label", "role", "closeness"]

    def test_closeness_ring_bounds(self) -> None:
        """The closeness circle's rings 1 (closest) to 5 become minimum and maximum (§5)."""
        closeness = iptkit.json_schema(iptkit.Relationship)["properties"]["closeness"]
        assert closeness == {
            "description": "Ring of the closeness circle, 1 = closest.",
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
        }

    def test_lengths_of_text_and_lists_use_different_keywords(self) -> None:
        """min_len/max_len become minLength/maxLength on text, minItems/maxItems on lists."""
        label = iptkit.json_schema(iptkit.Relationship)["properties"]["label"]
        assert (label["minLength"], label["maxLength"]) == (1, 64)
        assert "minItems" not in label
        frequencies = iptkit.json_schema(iptkit.Protocol)["properties"]["frequencies"]
        assert frequencies["minItems"] == 1
        assert "minLength" not in frequencies
        parts = iptkit.json_schema(Sample)["properties"]["parts"]
        assert parts == {
            "type": "array",
            "items": {"$ref": "#/$defs/Part"},
            "maxItems": 2,
            "default": [],
        }

    def test_optional_and_union_fields(self) -> None:
        """X | None is anyOf with null, constraints on the X branch; scalar unions are anyOf."""
        props = iptkit.json_schema(Sample)["properties"]
        assert props["note"] == {
            "anyOf": [{"type": "string", "minLength": 1, "maxLength": 5}, {"type": "null"}],
            "default": None,
        }
        assert props["either"] == {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "default": 0,
        }
        assert props["maybe_mood"] == {
            "anyOf": [{"$ref": "#/$defs/Mood"}, {"type": "null"}],
            "default": None,
        }
        assert props["loose"] == {"default": None}

    def test_enumerations_are_definitions(self) -> None:
        """An enumeration is a string definition listing its values, with its docstring."""
        defs = iptkit.json_schema(iptkit.Relationship)["$defs"]
        assert defs["RelationshipRole"]["type"] == "string"
        assert defs["RelationshipRole"]["enum"] == [m.value for m in iptkit.RelationshipRole]
        assert defs["RelationshipRole"]["description"] == "Who the person is to the patient."
        assert defs["DisputeStage"]["enum"] == ["renegotiation", "impasse", "dissolution"]

    def test_dates_and_times(self) -> None:
        """Dates and datetimes are strings with a format and a calendar-aware pattern."""
        props = iptkit.json_schema(Sample)["properties"]
        assert props["day"] == {
            "description": "A calendar day.",
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
        }
        assert props["at"]["format"] == "date-time"
        assert props["at"]["pattern"] == DATETIME_PATTERN

    def test_descriptions_come_from_docstrings_and_field_docs(self) -> None:
        """Docstring prose (not examples) and field docs become descriptions."""
        schema = iptkit.json_schema(iptkit.Protocol)
        assert ">>>" not in json.dumps(schema)
        assert schema["description"] == (
            "An immutable description of one IPT protocol variant.\n\n"
            "The built-ins live in `iptkit.protocols`; define your own for a local adaptation."
        )
        assert schema["properties"]["max_focus_areas"]["description"] == (
            "Most focus areas per course."
        )

    @pytest.mark.parametrize("not_a_model", [int, dict, Mood, "Protocol", None, object()])
    def test_refuses_a_non_model(self, not_a_model: Any) -> None:
        """Anything but a model class raises TypeError."""
        with pytest.raises(TypeError, match="not an iptkit model class"):
            iptkit.json_schema(not_a_model)

    def test_refuses_a_model_instance(self) -> None:
        """A model object (not its class) raises TypeError."""
        part = Part(code="ab")
        with pytest.raises(TypeError):
            iptkit.json_schema(part)  # type: ignore[arg-type]

    def test_returns_a_fresh_dict(self) -> None:
        """Changing a returned schema does not change the next one."""
        schema = iptkit.json_schema(iptkit.Relationship)
        schema["properties"]["closeness"]["maximum"] = 99
        assert iptkit.json_schema(iptkit.Relationship)["properties"]["closeness"]["maximum"] == 5


def _sample_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": iptkit.SCHEMA_VERSION,
        "day": "2026-01-05",
        "at": "2026-01-05T09:30:00+01:00",
        "count": 3,
    }
    return doc | changes


class TestWireRulesInTheSchema:
    """The schema refuses what load refuses, field by field (codes from the codec)."""

    @pytest.mark.parametrize(
        ("day", "accepted"),
        [
            ("2026-01-05", True),
            ("2024-02-29", True),  # leap year
            ("2000-02-29", True),  # divisible by 400
            ("2100-02-29", False),  # century, not a leap year
            ("2026-02-29", False),
            ("2026-02-30", False),
            ("2026-04-31", False),
            ("2026-12-31", True),
            ("2026-13-01", False),
            ("0000-01-01", False),
            ("1900-01-01", True),  # the first supported day (years 1900-2200)
            ("2200-12-31", True),  # the last one
            ("20260105", False),
            ("2026-W02-1", False),
            ("2026-1-5", False),
            ("2026-01-05\n", False),
            ("2026-01-05T00:00:00+00:00", False),
        ],
    )
    def test_dates(self, day: str, accepted: bool) -> None:
        """Only real days written YYYY-MM-DD pass, in the schema and in load alike."""
        doc = _sample_doc(day=day)
        assert validator(Sample).is_valid(doc) is accepted
        # Even a validator that ignores "format" refuses impossible days.
        assert Draft202012Validator(iptkit.json_schema(Sample)).is_valid(doc) is accepted
        issues = [(i.path, i.code) for i in load_issues(Sample, doc)]
        assert issues == ([] if accepted else [("$.day", "invalid_value")])

    @pytest.mark.parametrize(
        ("at", "code"),
        [
            ("2026-01-05T09:30:00+01:00", None),
            ("2026-01-05T09:30:00Z", None),
            ("2026-01-05T09:30Z", None),
            ("2026-01-05T09:30:00.25-05:00", None),
            ("2026-03-29T01:30:00+00:00", None),
            ("2026-01-05T23:59:59+14:00", None),
            ("2026-01-05T09:30:00", "naive_datetime"),
            ("2026-01-05T09:30", "naive_datetime"),
            ("2026-02-30T09:30:00Z", "invalid_value"),
            ("2026-01-05T24:00:00Z", "invalid_value"),
            ("2026-01-05T23:59:60Z", "invalid_value"),
            ("2026-01-05T09:30:00+24:00", "invalid_value"),
            ("2026-01-05 09:30:00Z", "invalid_value"),
            ("2026-01-05t09:30:00z", "invalid_value"),
            ("2026-01-05", "invalid_value"),
            ("2026-01-05T09:30:00Z\n", "invalid_value"),
        ],
    )
    def test_datetimes(self, at: str, code: str | None) -> None:
        """Datetimes need a real day, a valid clock time and a UTC offset in both."""
        doc = _sample_doc(at=at)
        assert validator(Sample).is_valid(doc) is (code is None)
        assert Draft202012Validator(iptkit.json_schema(Sample)).is_valid(doc) is (code is None)
        issues = [(i.path, i.code) for i in load_issues(Sample, doc)]
        assert issues == ([] if code is None else [("$.at", code)])

    @given(
        st.from_regex(
            r"[0-9]{4}-[0-1][0-9]-[0-3][0-9](T[0-2][0-9]:[0-6][0-9](:[0-6][0-9](\.[0-9]{1,7})?)?"
            r"(Z|[+-][0-2][0-9]:[0-6][0-9](:[0-6][0-9])?)?)?",
            fullmatch=True,
        )
    )
    def test_date_like_text_agrees(self, text: str) -> None:
        """For any date-like text, the patterns alone decide as load does."""
        checker = Draft202012Validator(iptkit.json_schema(Sample))
        for name in ("day", "at"):
            doc = _sample_doc(**{name: text})
            assert checker.is_valid(doc) is not load_issues(Sample, doc), name

    @pytest.mark.parametrize(
        ("changes", "path", "code"),
        [
            ({"count": 0}, "$.count", "out_of_range"),
            ({"count": 11}, "$.count", "out_of_range"),
            ({"count": "3"}, "$.count", "wrong_type"),
            ({"count": True}, "$.count", "wrong_type"),
            ({"count": 3.5}, "$.count", "wrong_type"),
            ({"note": ""}, "$.note", "too_short"),
            ({"note": "abcdef"}, "$.note", "too_long"),
            ({"mood": "LOW"}, "$.mood", "invalid_value"),
            ({"tags": ["a", "b", "c", "d"]}, "$.tags", "too_long"),
            ({"tags": "abc"}, "$.tags", "wrong_type"),
            ({"parts": [{"code": "a"}]}, "$.parts[0].code", "too_short"),
            ({"parts": [{"code": "Ab"}]}, "$.parts[0].code", "invalid_value"),
            ({"parts": [{"code": "ab\n"}]}, "$.parts[0].code", "invalid_value"),
            ({"parts": [{"code": "ab", "weight": 1.5}]}, "$.parts[0].weight", "out_of_range"),
            ({"parts": [{}]}, "$.parts[0].code", "missing_field"),
            ({"parts": [{"code": "ab", "c": 1}]}, "$.parts[0].c", "unknown_field"),
            ({"either": 1.5}, "$.either", "wrong_type"),
            ({"ratio": "0.5"}, "$.ratio", "wrong_type"),
            ({"flag": "no"}, "$.flag", "wrong_type"),
            ({"extra": 1}, "$.extra", "unknown_field"),
        ],
    )
    def test_field_rules(self, changes: dict[str, Any], path: str, code: str) -> None:
        """Each field rule load enforces is enforced by the schema too."""
        doc = _sample_doc(**changes)
        assert [(i.path, i.code) for i in load_issues(Sample, doc)] == [(path, code)]
        assert not validator(Sample).is_valid(doc)

    def test_whole_number_for_decimal(self) -> None:
        """A whole number where a decimal number is expected passes both."""
        doc = _sample_doc(ratio=2, parts=[{"code": "ab", "weight": 1}])
        assert validator(Sample).is_valid(doc)
        assert load_issues(Sample, doc) == ()

    def test_integral_float_for_whole_number_is_iptkit_only(self) -> None:
        """3.0 for a whole number is an integer to JSON Schema, but load refuses it."""
        doc = _sample_doc(count=3.0)
        assert validator(Sample).is_valid(doc)
        assert [(i.path, i.code) for i in load_issues(Sample, doc)] == [("$.count", "wrong_type")]

    def test_cross_field_rules_are_iptkit_only(self) -> None:
        """A breach of a cross-field rule passes the schema; load refuses it."""
        doc = _sample_doc(flag=True)
        assert validator(Sample).is_valid(doc)
        assert [(i.path, i.code) for i in load_issues(Sample, doc)] == [("$.note", "invalid_value")]
        relationship = {"label": "P1", "role": "partner", "closeness": 1}
        inventory = {
            "schema_version": iptkit.SCHEMA_VERSION,
            "relationships": [relationship, relationship],
        }
        assert validator(iptkit.InterpersonalInventory).is_valid(inventory)
        assert [
            (i.path, i.code) for i in load_issues(iptkit.InterpersonalInventory, inventory)
        ] == [("$.relationships[1].label", "duplicate_label")]

    def test_agreement_helper_catches_a_wrong_schema(self) -> None:
        """The agreement check fails when a schema accepts a field error load reports."""
        schema = iptkit.json_schema(Sample)
        del schema["properties"]["count"]["maximum"]
        loose = Draft202012Validator(schema, format_checker=FormatChecker())
        with pytest.raises(AssertionError):
            assert_agreement(Sample, loose, _sample_doc(count=11))


class TestEcmaPattern:
    """Which Python patterns are carried into the schema, and how."""

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ("[a-z][a-z0-9_]*", "^(?:[a-z][a-z0-9_]*)$(?!\\n)"),
            ("[A-Z]{2,3}-[0-9]+", "^(?:[A-Z]{2,3}-[0-9]+)$(?!\\n)"),
            ("(?:ab|cd)?x", "^(?:(?:ab|cd)?x)$(?!\\n)"),
            (r"v[0-9]+\.[0-9]+", "^(?:v[0-9]+\\.[0-9]+)$(?!\\n)"),
            ("a*?", "^(?:a*?)$(?!\\n)"),
            ("[a-]", "^(?:[a-])$(?!\\n)"),
            (r"[A-Za-z0-9_.\-]+", "^(?:[A-Za-z0-9_.\\-]+)$(?!\\n)"),
        ],
    )
    def test_safe_patterns_are_anchored(self, pattern: str, expected: str) -> None:
        """Patterns in the shared subset are kept and anchored at both ends."""
        assert ecma_pattern(pattern) == expected

    @pytest.mark.parametrize(
        "pattern",
        [
            r"\d+",  # Unicode digits in Python, ASCII in ECMA-262
            r"\w+",
            r"\s",
            "a.b",  # "." differs on line separators
            "[^a-z]",
            "a*+",  # possessive in Python, an error in ECMA-262
            "a{,3}",
            "(?P<name>a)",
            "(?i)abc",
            "a$",
            "^a",
            r"\Aa\Z",
            "[z-a]",  # invalid range
            "(a",
            "é",
        ],
    )
    def test_unsafe_patterns_are_left_out(self, pattern: str) -> None:
        """Patterns whose meaning could differ between the dialects give None."""
        assert ecma_pattern(pattern) is None

    @pytest.mark.parametrize(
        "pattern", ["[a-z][a-z0-9_]*", r"[A-Za-z0-9_.\-]+", "(?:ab|cd)?x", "[A-Z]{2,3}-[0-9]+"]
    )
    def test_anchored_pattern_matches_as_fullmatch(self, pattern: str) -> None:
        """Searched with Python's re (as jsonschema does), the result equals a full match."""
        anchored = ecma_pattern(pattern)
        assert anchored is not None

        @given(
            st.from_regex(pattern, fullmatch=True).map(lambda t: t[:6])
            | st.from_regex(pattern, fullmatch=True).map(lambda t: t + "\n")
            | st.text(max_size=5)
        )
        def run(text: str) -> None:
            assert bool(re.search(anchored, text)) is bool(re.fullmatch(pattern, text))

        run()
