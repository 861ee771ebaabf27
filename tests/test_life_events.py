"""Tests of life events (domain reference §2.2 triggers, §5 dated events)."""

from __future__ import annotations

import datetime as dt

import pytest

import iptkit
from _helpers import issues_of
from iptkit import LifeEvent, LifeEventKind, ValidationError
from iptkit._model import field, model


@model(document="event_log")
class _EventLog:
    """A document holding events, standing in for the course record."""

    events: tuple[LifeEvent, ...] = field(default=())


#: Kinds the trigger column of §2.2 names, plus conflict and other.
REQUIRED_KINDS = {
    "death",
    "separation",
    "divorce",
    "marriage",
    "new_relationship",
    "birth_of_child",
    "child_leaving_home",
    "new_job",
    "job_loss",
    "retirement",
    "relocation",
    "school_change",
    "illness_diagnosis",
    "conflict",
    "other",
}


class TestLifeEventKind:
    """The kinds of life event."""

    def test_has_every_trigger_of_the_reference(self) -> None:
        """Every trigger named in §2.2 (and conflict, other) is a kind."""
        assert {kind.value for kind in LifeEventKind} >= REQUIRED_KINDS

    def test_values_are_lowercase_snake_case(self) -> None:
        """Values are the JSON form: lowercase snake_case (design, Models)."""
        for kind in LifeEventKind:
            assert kind.value == kind.name.lower()


class TestLifeEvent:
    """Construction, validation and JSON of a life event."""

    def test_positional_arguments(self) -> None:
        """Kind, date, person and description can be given by position."""
        event = LifeEvent(LifeEventKind.DEATH, dt.date(2024, 3, 1), "P1", "Husband died")
        assert event.kind is LifeEventKind.DEATH
        assert event.date == dt.date(2024, 3, 1)
        assert event.person == "P1"
        assert event.description == "Husband died"

    def test_keyword_arguments(self) -> None:
        """The keyword names are kind, date, person and description."""
        event = LifeEvent(
            kind=LifeEventKind.RETIREMENT,
            date=dt.date(2024, 1, 31),
            person=None,
            description=None,
        )
        assert event == LifeEvent(LifeEventKind.RETIREMENT, dt.date(2024, 1, 31))

    def test_repr_hides_person_and_description(self) -> None:
        """The label and the free text are personal data and stay out of repr."""
        text = repr(LifeEvent(LifeEventKind.CONFLICT, dt.date(2024, 1, 2), "Zed", "Row at home"))
        assert "Zed" not in text
        assert "Row" not in text
        assert "conflict" in text

    def test_empty_person_refused(self) -> None:
        """An empty label is refused at its field."""
        assert issues_of(lambda: LifeEvent(LifeEventKind.DEATH, dt.date(2024, 1, 1), "")) == [
            ("$.person", "too_short")
        ]

    def test_empty_description_refused(self) -> None:
        """An empty description is refused; leave it out instead."""
        assert issues_of(
            lambda: LifeEvent(LifeEventKind.OTHER, dt.date(2024, 1, 1), description="")
        ) == [("$.description", "too_short")]

    def test_wrong_types_all_reported(self) -> None:
        """A text kind and a datetime date are both reported, each at its field."""
        assert issues_of(
            lambda: LifeEvent("death", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))  # type: ignore[arg-type]
        ) == [("$.kind", "wrong_type"), ("$.date", "wrong_type")]

    def test_long_person_refused(self) -> None:
        """A label longer than an inventory label (64 characters) is refused."""
        assert issues_of(lambda: LifeEvent(LifeEventKind.DEATH, dt.date(2024, 1, 1), "x" * 65)) == [
            ("$.person", "too_long")
        ]

    def test_json_form(self) -> None:
        """The JSON form uses the enum value and an ISO date, and reads back equal."""
        event = LifeEvent(LifeEventKind.BIRTH_OF_CHILD, dt.date(2024, 2, 29), "B", "Daughter")
        data = iptkit.dump(event)
        assert data == {
            "kind": "birth_of_child",
            "date": "2024-02-29",
            "person": "B",
            "description": "Daughter",
        }
        assert iptkit.load(LifeEvent, data) == event

    def test_tuple_of_events_round_trips(self) -> None:
        """A tuple of events inside a document, as a course stores them, survives the codec."""
        events = (
            LifeEvent(LifeEventKind.RELOCATION, dt.date(2023, 12, 1)),
            LifeEvent(LifeEventKind.CONFLICT, dt.date(2024, 1, 5), "P1"),
        )
        record = _EventLog(events=events)
        data = iptkit.dump(record)
        assert data["events"][1] == {
            "kind": "conflict",
            "date": "2024-01-05",
            "person": "P1",
            "description": None,
        }
        assert iptkit.loads(_EventLog, iptkit.dumps(record)) == record

    def test_bad_event_in_document_reported_at_its_path(self) -> None:
        """A bad event inside a document is reported with the full path."""
        data = {
            "schema_version": iptkit.SCHEMA_VERSION,
            "events": [{"kind": "death", "date": "2024-01-01"}, {"kind": "death", "date": "1/2"}],
        }
        with pytest.raises(ValidationError) as info:
            iptkit.load(_EventLog, data)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.events[1].date", "invalid_value")
        ]

    def test_unknown_kind_refused_on_load(self) -> None:
        """An unknown kind in JSON is an invalid value at its path."""
        with pytest.raises(ValidationError) as info:
            iptkit.load(LifeEvent, {"kind": "lottery_win", "date": "2024-01-01"})
        assert [(i.path, i.code) for i in info.value.issues] == [("$.kind", "invalid_value")]

    def test_sort_key_orders_by_date_first(self) -> None:
        """Events sort by date, then kind, person and description."""
        late = LifeEvent(LifeEventKind.CONFLICT, dt.date(2024, 2, 1))
        early = LifeEvent(LifeEventKind.RETIREMENT, dt.date(2024, 1, 1))
        same_day = LifeEvent(LifeEventKind.DEATH, dt.date(2024, 1, 1))
        ordered = sorted([late, early, same_day], key=lambda e: e.sort_key)
        assert ordered == [same_day, early, late]
