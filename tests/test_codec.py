"""The strict JSON codec: load, loads, dump and dumps.

Each generic issue code is shown on a concrete input, with its exact path.
Documents are inventories (domain reference §5) unless a rule needs a field
type the inventory lacks; those use small models defined here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import iptkit
from _helpers import issues_of
from iptkit import (
    InterpersonalInventory,
    Relationship,
    RelationshipRole,
    ValidationError,
    dump,
    dumps,
    load,
    loads,
)
from iptkit._model import field, model


@model
class Appointment:
    """A small model with a date and time, to test naive datetimes."""

    starts_at: dt.datetime
    minutes: float = field(default=50.0, ge=1)


@model(document="appointment_book")
class AppointmentBook:
    """A small document holding appointments."""

    appointments: tuple[Appointment, ...] = ()


def person(**changes: Any) -> dict[str, Any]:
    """A valid relationship as JSON, with ``changes`` applied."""
    return {"label": "P1", "role": "partner", "closeness": 1, **changes}


def inventory(*people: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid inventory document holding ``people``."""
    return {"schema_version": iptkit.SCHEMA_VERSION, "relationships": list(people), **fields}


class TestLoad:
    """load(): JSON values to models, with no coercion."""

    def test_valid_document(self) -> None:
        """A valid document gives the matching object."""
        inv = load(InterpersonalInventory, inventory(person(), completed_on="2026-01-14"))
        assert inv.relationships[0].role is RelationshipRole.PARTNER
        assert inv.completed_on == dt.date(2026, 1, 14)

    @pytest.mark.parametrize(
        ("field_name", "value"),
        [
            ("in_dispute", "no"),  # text is not a boolean
            ("in_dispute", 0),  # nor is a number
            ("closeness", 3.9),  # a decimal is not a whole number
            ("closeness", 2.0),  # not even a whole-valued one
            ("closeness", True),  # a boolean is not a number
            ("closeness", "2"),  # text is not a number
            ("label", 12),  # a number is not text
            ("died_on", 20260101),  # a number is not a date
            ("changes", "2026-01-01"),  # text is not a list
            ("expectations", {"held_by": "patient"}),  # an object is not a list
            ("role", 1),  # a number is not an enumeration value
        ],
    )
    def test_wrong_type(self, field_name: str, value: object) -> None:
        """A value of the wrong JSON type is wrong_type at that field."""
        doc = inventory(person(**{field_name: value}))
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            (f"$.relationships[0].{field_name}", "wrong_type")
        ]

    def test_text_as_a_list_of_objects(self) -> None:
        """A text where the list of relationships belongs is wrong_type at the list."""
        doc = inventory()
        doc["relationships"] = "P1, M"
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships", "wrong_type")
        ]

    def test_non_object_as_a_list_item(self) -> None:
        """A list item that is not an object is wrong_type at its index."""
        doc = inventory(person(), "M")  # type: ignore[arg-type]
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[1]", "wrong_type")
        ]

    @pytest.mark.parametrize("document", [None, [], 3, 2.5, "inventory", True])
    def test_document_not_an_object(self, document: object) -> None:
        """null, a list, a number, text or a boolean is not a document."""
        assert issues_of(lambda: load(InterpersonalInventory, document)) == [("$", "wrong_type")]

    @pytest.mark.parametrize("value", ["20260101", "2026-1-14", "2026-02-30", "14/01/2026", ""])
    def test_badly_written_or_impossible_date(self, value: str) -> None:
        """A date that is not a real YYYY-MM-DD day is invalid_value (the type, text, is right)."""
        doc = inventory(completed_on=value)
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.completed_on", "invalid_value")
        ]

    def test_unknown_enumeration_value(self) -> None:
        """A role that is not one of the listed values is invalid_value."""
        doc = inventory(person(role="boss"))
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].role", "invalid_value")
        ]

    def test_enumeration_values_are_lowercase(self) -> None:
        """The member name is not accepted in place of its value."""
        doc = inventory(person(role="PARTNER"))
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].role", "invalid_value")
        ]

    def test_unknown_field_reported_at_the_key(self) -> None:
        """A misspelt key is unknown_field at the key itself, and the real one is missing."""
        doc = inventory({"label": "P1", "role": "partner", "closness": 1})
        assert sorted(issues_of(lambda: load(InterpersonalInventory, doc))) == [
            ("$.relationships[0].closeness", "missing_field"),
            ("$.relationships[0].closness", "unknown_field"),
        ]

    def test_unknown_key_that_is_not_a_name(self) -> None:
        """A key with spaces is quoted in the path, and loc gives it back unquoted."""
        doc = inventory(person(**{"two words": 1}))
        with pytest.raises(ValidationError) as info:
            load(InterpersonalInventory, doc)
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == ("$.relationships[0]['two words']", "unknown_field")
        assert issue.loc == ("relationships", 0, "two words")

    def test_unknown_top_level_key(self) -> None:
        """Unknown keys are refused at the top level too, not dropped."""
        doc = inventory(notes="x")
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.notes", "unknown_field")
        ]

    def test_missing_field(self) -> None:
        """Each absent required field is missing_field at its own path."""
        doc = inventory({"label": "P1"})
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].role", "missing_field"),
            ("$.relationships[0].closeness", "missing_field"),
        ]

    @pytest.mark.parametrize("closeness", [0, 6, -1])
    def test_out_of_range(self, closeness: int) -> None:
        """Closeness outside rings 1..5 of the closeness circle is out_of_range (§5)."""
        doc = inventory(person(closeness=closeness))
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].closeness", "out_of_range")
        ]

    def test_too_short_and_too_long(self) -> None:
        """An empty label is too_short; one of 65 characters is too_long."""
        doc = inventory(person(label=""), person(label="x" * 65))
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].label", "too_short"),
            ("$.relationships[1].label", "too_long"),
        ]

    @pytest.mark.parametrize("value", ["2026-01-14T09:00:00", "2026-01-14T09:00"])
    def test_naive_datetime(self, value: str) -> None:
        """A date and time without a UTC offset is naive_datetime."""
        assert issues_of(lambda: load(Appointment, {"starts_at": value})) == [
            ("$.starts_at", "naive_datetime")
        ]

    @pytest.mark.parametrize(
        ("value", "offset"),
        [
            ("2026-01-14T09:00:00Z", dt.timedelta(0)),
            ("2026-01-14T09:00:00+01:00", dt.timedelta(hours=1)),
            ("2026-03-29T09:30-04:00", dt.timedelta(hours=-4)),
        ],
    )
    def test_aware_datetime(self, value: str, offset: dt.timedelta) -> None:
        """A date and time with Z or an offset loads with that offset."""
        assert load(Appointment, {"starts_at": value}).starts_at.utcoffset() == offset

    def test_badly_written_datetime(self) -> None:
        """A date and time not written as ISO 8601 is invalid_value."""
        assert issues_of(lambda: load(Appointment, {"starts_at": "14 Jan 2026 9am"})) == [
            ("$.starts_at", "invalid_value")
        ]

    def test_whole_number_accepted_as_a_decimal(self) -> None:
        """A whole number is a valid decimal number and loads as a float."""
        loaded = load(Appointment, {"starts_at": "2026-01-14T09:00:00Z", "minutes": 45})
        assert loaded.minutes == 45.0
        assert type(loaded.minutes) is float

    @pytest.mark.parametrize("fold", [0, 1])
    def test_datetime_in_a_daylight_saving_fold_round_trips(self, fold: int) -> None:
        """01:30 on the New York fall-back night (either occurrence) reads back equal."""
        zone = ZoneInfo("America/New_York")
        moment = dt.datetime(2026, 11, 1, 1, 30, fold=fold, tzinfo=zone)
        appointment = Appointment(starts_at=moment)
        assert appointment.starts_at.utcoffset() == moment.utcoffset()
        assert appointment.starts_at.replace(tzinfo=None) == moment.replace(tzinfo=None)
        assert load(Appointment, dump(appointment)) == appointment

    def test_huge_whole_number_for_a_decimal(self) -> None:
        """A whole number too large for a float is out_of_range, not an OverflowError."""
        doc = {"starts_at": "2026-01-14T09:00:00Z", "minutes": 10**400}
        assert issues_of(lambda: load(Appointment, doc)) == [("$.minutes", "out_of_range")]

    def test_several_problems_in_one_error(self) -> None:
        """Every problem of a document is reported in one error, top to bottom."""
        doc = inventory(
            {"label": "P1", "role": "partner", "closness": 1, "in_dispute": "no"},
            person(label="W1", role="boss", closeness=9),
            person(label="M", role="parent", died_on="2025-02-30"),
            completed_on="20260114",
        )
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.relationships[0].closeness", "missing_field"),
            ("$.relationships[0].in_dispute", "wrong_type"),
            ("$.relationships[0].closness", "unknown_field"),
            ("$.relationships[1].role", "invalid_value"),
            ("$.relationships[1].closeness", "out_of_range"),
            ("$.relationships[2].died_on", "invalid_value"),
            ("$.completed_on", "invalid_value"),
        ]

    def test_nested_naive_datetime_path(self) -> None:
        """Paths of nested problems run from the document root."""
        doc = {
            "schema_version": iptkit.SCHEMA_VERSION,
            "appointments": [{"starts_at": "2026-01-14T09:00Z"}, {"starts_at": "2026-01-21T09:00"}],
        }
        assert issues_of(lambda: load(AppointmentBook, doc)) == [
            ("$.appointments[1].starts_at", "naive_datetime")
        ]

    def test_missing_schema_version(self) -> None:
        """A document without schema_version is missing_field there."""
        assert issues_of(lambda: load(InterpersonalInventory, {"relationships": []})) == [
            ("$.schema_version", "missing_field")
        ]

    @pytest.mark.parametrize("version", ["1", 1.0, None, True])
    def test_schema_version_of_the_wrong_type(self, version: object) -> None:
        """schema_version must be a whole number."""
        doc = {"schema_version": version, "relationships": []}
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.schema_version", "wrong_type")
        ]

    @pytest.mark.parametrize("version", [0, -3, iptkit.SCHEMA_VERSION + 1])
    def test_unsupported_schema_version(self, version: int) -> None:
        """A version this release does not read is unsupported_schema_version."""
        doc = {"schema_version": version, "relationships": []}
        assert issues_of(lambda: load(InterpersonalInventory, doc)) == [
            ("$.schema_version", "unsupported_schema_version")
        ]

    def test_nested_model_has_no_schema_version(self) -> None:
        """Only top-level documents carry schema_version; a relationship refuses it."""
        assert issues_of(lambda: load(Relationship, {**person(), "schema_version": 1})) == [
            ("$.schema_version", "unknown_field")
        ]

    def test_not_a_model_class(self) -> None:
        """Passing a class that is not a model is a programming error (TypeError)."""
        with pytest.raises(TypeError, match="not an iptkit model"):
            load(dict, {})


class TestLoads:
    """loads(): JSON text to models, strictly."""

    def test_text_and_bytes(self) -> None:
        """str and UTF-8 bytes give the same object."""
        text = json.dumps(inventory(person(label="Zoë")))
        assert loads(InterpersonalInventory, text) == loads(
            InterpersonalInventory, text.encode("utf-8")
        )

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "{",
            '{"relationships": []',
            "{'schema_version': 1}",
            '{"schema_version": NaN}',
            '{"schema_version": Infinity}',
            b"\xff\xfe{}",
        ],
    )
    def test_invalid_json(self, text: str | bytes) -> None:
        """Text that is not strict JSON (or not UTF-8) is invalid_json at $.

        Text nested too deeply is too_deep (tests/test_bounds.py).
        """
        assert issues_of(lambda: loads(InterpersonalInventory, text)) == [("$", "invalid_json")]

    def test_duplicate_key(self) -> None:
        """A key repeated in one object is duplicate_key: one value would be lost."""
        text = '{"schema_version": 1, "relationships": [{"label": "A", "label": "B"}]}'
        assert issues_of(lambda: loads(InterpersonalInventory, text)) == [("$", "duplicate_key")]

    def test_model_problems_after_parsing(self) -> None:
        """Valid JSON describing a bad inventory gets the model's issues."""
        text = json.dumps(inventory(person(closeness=0)))
        assert issues_of(lambda: loads(InterpersonalInventory, text)) == [
            ("$.relationships[0].closeness", "out_of_range")
        ]


class TestDump:
    """dump(): models to JSON-ready values."""

    def test_document_starts_with_schema_version(self) -> None:
        """A document's dict has schema_version first, then the fields in order."""
        data = dump(InterpersonalInventory())
        assert list(data) == ["schema_version", "relationships", "completed_on", "social_style"]
        assert data["schema_version"] == iptkit.SCHEMA_VERSION

    def test_values_in_json_form(self) -> None:
        """Enumerations dump as their values, dates as ISO text, tuples as lists."""
        rel = Relationship(
            label="M", role=RelationshipRole.PARENT, closeness=2, deceased=True,
            died_on=dt.date(2025, 6, 14),
        )  # fmt: skip
        data = dump(rel)
        assert data["role"] == "parent"
        assert data["died_on"] == "2025-06-14"
        assert data["changes"] == []

    def test_aware_datetime_keeps_its_offset(self) -> None:
        """A datetime dumps as ISO text with its UTC offset and loads back equal."""
        when = dt.datetime(2026, 1, 14, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        data = dump(Appointment(starts_at=when))
        assert data == {"starts_at": "2026-01-14T09:00:00+01:00", "minutes": 50.0}
        assert load(Appointment, data).starts_at == when

    def test_not_a_model(self) -> None:
        """Dumping something that is not a model is a TypeError."""
        with pytest.raises(TypeError, match="not an iptkit model"):
            dump({"label": "P1"})


class TestDumps:
    """dumps(): models to deterministic JSON text."""

    def test_compact_and_deterministic(self) -> None:
        """Without indent the text is compact, and equal objects give equal text."""
        one = InterpersonalInventory(
            relationships=(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2),)
        )
        two = InterpersonalInventory(
            relationships=(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2),)
        )
        assert dumps(one) == dumps(two)
        assert dumps(one).startswith('{"schema_version":2,"relationships":[{"label":"P1"')

    def test_indent(self) -> None:
        """indent gives readable text that loads back equal."""
        inv = InterpersonalInventory(completed_on=dt.date(2026, 1, 14))
        text = dumps(inv, indent=2)
        assert text.splitlines()[1] == '  "schema_version": 2,'
        assert loads(InterpersonalInventory, text) == inv

    def test_non_ascii_kept(self) -> None:
        """Text outside ASCII is written as is, not escaped."""
        rel = Relationship(label="Zoë", role=RelationshipRole.FRIEND, closeness=2)
        assert '"Zoë"' in dumps(rel)
