"""The session: one vocabulary, one label, one set of numbering rules for plans and records.

A schedule's planned sessions and a course's session records are checked by
the same rules (design.md, rules 1, 2, 3 and 6), so the same break gives the
same code in both; a course that carries both is held to agreement.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    Phase,
    Schedule,
    ScheduledSession,
    SessionKind,
    SessionRecord,
    SessionStatus,
    TreatmentCourse,
    ValidationError,
    evolve,
    plan_sessions,
    session_label,
)
from iptkit.protocols import BRIEF, STANDARD
from iptkit.testing import courses, schedules

LONDON = ZoneInfo("Europe/London")
FIRST = dt.datetime(2026, 3, 2, 10, tzinfo=LONDON)
V1 = Path(__file__).parent / "data" / "v1"
EXAMPLES = Path(__file__).parent.parent / "examples" / "data"


def _plan(total: int = 12, **options: Any) -> Schedule:
    return plan_sessions(FIRST, total, zone="Europe/London", **options)


def _course(schedule: Schedule | None, records: tuple[SessionRecord, ...]) -> TreatmentCourse:
    starts = [r.starts_at for r in records]
    if schedule is not None:
        starts += [s.starts_at for s in schedule.sessions]
    return TreatmentCourse(
        patient_id="SX-1",
        protocol=schedule.protocol if schedule is not None else STANDARD,
        started_on=min(starts).date() - dt.timedelta(days=1),
        schedule=schedule,
        sessions=records,
    )


def _records_of(schedule: Schedule) -> tuple[SessionRecord, ...]:
    return tuple(SessionRecord.from_scheduled(s) for s in schedule.sessions)


class TestVocabulary:
    """One status vocabulary and one label for a planned contact and its record."""

    def test_plan_and_record_share_the_status_type(self) -> None:
        """Both models type their status with the same enumeration."""
        record_type = typing.get_type_hints(SessionRecord)["status"]
        planned_type = typing.get_type_hints(ScheduledSession)["status"]
        assert record_type is planned_type is SessionStatus
        assert [s.value for s in SessionStatus] == [
            "planned",
            "held",
            "missed",
            "cancelled_by_patient",
            "cancelled_by_therapist",
        ]

    def test_pre_treatment_contact_has_one_label(self) -> None:
        """Reference §4: the IPT-B engagement session is session 0 before acute session 1."""
        plan = _plan(8, protocol=BRIEF)
        contact = plan.sessions[0]
        assert contact.kind is SessionKind.PRE_TREATMENT
        record = SessionRecord.from_scheduled(contact, status=SessionStatus.HELD)
        assert contact.label == record.label == session_label(SessionKind.PRE_TREATMENT, 0) == "0"

    @pytest.mark.parametrize(
        ("kind", "number", "label"),
        [(SessionKind.ACUTE, 3, "3"), (SessionKind.MAINTENANCE, 2, "M2")],
    )
    def test_labels(self, kind: SessionKind, number: int, label: str) -> None:
        """Acute sessions by number, maintenance sessions M1..Mk (reference §3.3)."""
        assert session_label(kind, number) == label

    def test_fell_through(self) -> None:
        """Missed and cancelled sessions fell through; planned and held ones did not."""
        assert {s for s in SessionStatus if s.fell_through} == {
            SessionStatus.MISSED,
            SessionStatus.CANCELLED_BY_PATIENT,
            SessionStatus.CANCELLED_BY_THERAPIST,
        }
        assert [s for s in SessionStatus if s.took_place] == [SessionStatus.HELD]


class TestFromScheduled:
    """SessionRecord.from_scheduled: the supported bridge from plan to record."""

    def test_takes_what_the_plan_knows(self) -> None:
        """Number, kind, start, minutes and phase come from the planned session."""
        planned = _plan(16).session(5)
        record = SessionRecord.from_scheduled(planned)
        assert (record.number, record.kind, record.starts_at, record.minutes) == (
            5,
            SessionKind.ACUTE,
            planned.starts_at,
            planned.minutes,
        )
        # Standard protocol, 16 sessions: sessions 4-13 are the middle phase (reference §3.1).
        assert record.phase is Phase.MIDDLE
        assert record.status is SessionStatus.PLANNED

    def test_facts_set_and_override(self) -> None:
        """Facts fill the other fields and may override the plan's (a shorter session)."""
        planned = _plan().session(1)
        record = SessionRecord.from_scheduled(
            planned, status=SessionStatus.HELD, minutes=40, sick_role_given=True
        )
        assert (record.status, record.minutes, record.sick_role_given) == (
            SessionStatus.HELD,
            40,
            True,
        )

    def test_invalid_facts_are_refused(self) -> None:
        """A record made up although it was held is invalid, as when built by hand."""
        planned = _plan().session(2)
        assert issues_of(
            lambda: SessionRecord.from_scheduled(planned, status=SessionStatus.HELD, made_up=True)
        ) == [("$.made_up", "made_up_not_missed")]

    def test_made_up_miss_keeps_its_flag(self) -> None:
        """The record of a made-up miss is made up too, with the session's number."""
        schedule = _plan(missed_policy=iptkit.MissedSessionPolicy.MADE_UP).hold(1).miss(2)
        row = schedule.made_up[0]
        record = SessionRecord.from_scheduled(row)
        assert (record.number, record.made_up, record.status) == (2, True, SessionStatus.MISSED)


class TestSameRuleSameCode:
    """A rule broken in a schedule and in a course's records gives the same code."""

    @staticmethod
    def _both(change: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        schedule = _plan(8)
        rows = list(schedule.sessions)
        change(rows)
        records = [SessionRecord.from_scheduled(r) for r in rows]
        data = iptkit.dump(schedule)
        data["sessions"] = [iptkit.dump(r) for r in rows]
        from_schedule = issues_of(lambda: iptkit.load(Schedule, data))
        from_course = issues_of(lambda: _course(None, tuple(records)))
        return from_schedule, from_course

    def test_a_number_skipped(self) -> None:
        """Rule 1: session 3 numbered 4 breaks the sequence in both."""

        def skip(rows: list[ScheduledSession]) -> None:
            rows[2] = evolve(rows[2], number=4)

        from_schedule, from_course = self._both(skip)
        assert ("$.sessions[2].number", "number_sequence") in from_schedule
        assert from_course == [("$.sessions[2].number", "number_sequence")]

    def test_two_sessions_at_one_time(self) -> None:
        """Rule 2: two sessions starting at the same time."""

        def same_time(rows: list[ScheduledSession]) -> None:
            rows[3] = evolve(rows[3], starts_at=rows[2].starts_at)

        from_schedule, from_course = self._both(same_time)
        assert ("$.sessions[3].starts_at", "duplicate_start") in from_schedule
        assert ("$.sessions[3].starts_at", "duplicate_start") in from_course

    def test_sessions_out_of_start_order(self) -> None:
        """Rule 2: the list is in start order."""

        def swap(rows: list[ScheduledSession]) -> None:
            rows[4], rows[5] = rows[5], rows[4]

        from_schedule, from_course = self._both(swap)
        assert ("$.sessions[5].starts_at", "start_order") in from_schedule
        assert ("$.sessions[5].starts_at", "start_order") in from_course

    def test_pre_treatment_numbered_one(self) -> None:
        """Rule 1: a pre-treatment contact is numbered 0, in a plan or a record."""
        planned = _plan(8, protocol=BRIEF).sessions[0]
        data = {**iptkit.dump(planned), "number": 1}
        record = {**iptkit.dump(SessionRecord.from_scheduled(planned)), "number": 1}
        assert issues_of(lambda: iptkit.load(ScheduledSession, data)) == [
            ("$.number", "number_sequence")
        ]
        assert issues_of(lambda: iptkit.load(SessionRecord, record)) == [
            ("$.number", "number_sequence")
        ]


class TestScheduleAgreement:
    """A course carrying a schedule and records: both tell the same story."""

    def test_records_of_the_schedule_agree(self) -> None:
        """The records made from a schedule's sessions agree with it."""
        schedule = _plan(12, missed_policy=iptkit.MissedSessionPolicy.MADE_UP)
        schedule = schedule.hold(1).hold(2).miss(3).hold(3)
        course = _course(schedule, _records_of(schedule))
        assert [r.label for r in course.sessions][:5] == ["1", "2", "3", "3", "4"]
        assert course.sessions_used == 3

    def test_held_sessions_without_records(self) -> None:
        """Five sessions held in the schedule, two records: the three others are reported."""
        schedule = _plan(12)
        for number in range(1, 6):
            schedule = schedule.hold(number)
        records = _records_of(schedule)[:2]
        assert issues_of(lambda: _course(schedule, records)) == [
            (f"$.schedule.sessions[{index}]", "schedule_mismatch") for index in (2, 3, 4)
        ]

    def test_a_record_on_another_day(self) -> None:
        """A record whose date matches no session of the schedule."""
        schedule = _plan(12).hold(1)
        records = list(_records_of(schedule)[:2])
        records[1] = evolve(records[1], starts_at=records[1].starts_at + dt.timedelta(days=1))
        assert issues_of(lambda: _course(schedule, tuple(records))) == [
            ("$.sessions[1]", "schedule_mismatch")
        ]

    def test_a_record_with_another_number_kind(self) -> None:
        """A maintenance record where the schedule has an acute session."""
        schedule = _plan(12).hold(1)
        first = _records_of(schedule)[0]
        other = evolve(first, kind=SessionKind.MAINTENANCE, phase=Phase.MAINTENANCE)
        assert ("$.sessions[0]", "schedule_mismatch") in issues_of(
            lambda: _course(schedule, (other,))
        )

    def test_moved_session(self) -> None:
        """A moved session's record matches the schedule on its new day."""
        schedule = _plan(12).hold(1)
        moved = schedule.move(2, schedule.session(2).starts_at - dt.timedelta(days=2)).hold(2)
        records = _records_of(moved)[:2]
        assert _course(moved, records).sessions[1].starts_at == moved.session(2).starts_at
        assert issues_of(lambda: _course(moved, _records_of(schedule)[:2])) == [
            ("$.sessions[1]", "schedule_mismatch"),
            ("$.schedule.sessions[1]", "schedule_mismatch"),
        ]

    @given(schedules(max_total=8, max_operations=4))
    def test_any_schedule_agrees_with_its_records(self, schedule: Schedule) -> None:
        """For any schedule, its in-order prefix of records forms a course that agrees."""
        statuses = [s.status is SessionStatus.PLANNED for s in schedule.sessions]
        if statuses != sorted(statuses):
            return  # resolved out of order: see the state machine
        course = _course(schedule, _records_of(schedule))
        assert [r.label for r in course.sessions] == [s.label for s in schedule.sessions]

    @given(courses())
    def test_drawn_courses_are_valid(self, course: TreatmentCourse) -> None:
        """The public strategy builds courses from schedules; they load back equal."""
        assert iptkit.loads(TreatmentCourse, iptkit.dumps(course)) == course


class TestOperations:
    """Schedule operations on the one session model."""

    def test_cancel_by_therapist(self) -> None:
        """A cancellation records who called the session off."""
        schedule = _plan(8, missed_policy=iptkit.MissedSessionPolicy.COUNTS)
        assert schedule.cancel(2).session(2).status is SessionStatus.CANCELLED_BY_PATIENT
        cancelled = schedule.cancel(2, by_therapist=True).session(2)
        assert cancelled.status is SessionStatus.CANCELLED_BY_THERAPIST

    def test_made_up_miss_is_a_row(self) -> None:
        """Rule 4: the missed slot stays in the sessions, made up, before its replacement."""
        schedule = _plan(8).miss(3, make_up=True)
        rows = [(s.label, s.status.value, s.made_up) for s in schedule.sessions[2:5]]
        assert rows == [("3", "missed", True), ("3", "planned", False), ("4", "planned", False)]
        assert schedule.session(3).starts_at == FIRST + dt.timedelta(weeks=3)
        assert len(schedule.acute) == 8

    def test_backdated_extension_that_rephases_held_sessions(self) -> None:
        """An extension may not change the phase of a session already held (rule 5)."""
        schedule = _plan(5).hold(1).hold(2).hold(3)
        # Standard protocol: 5 sessions split 2/1/2, so session 3 is the middle one;
        # 6 sessions split 3/1/2, so under 6 it would be initial.
        assert schedule.session(3).phase is Phase.MIDDLE
        day_3 = schedule.session(3).starts_at.date()
        assert issues_of(lambda: schedule.extend(6, on=day_3, reason="Slow response")) == [
            ("$.on", "held_phase_changed")
        ]
        later = schedule.extend(6, on=day_3 + dt.timedelta(days=1), reason="Slow response")
        assert [later.session(n).phase for n in (3, 4, 5, 6)] == [
            Phase.MIDDLE,
            Phase.MIDDLE,
            Phase.TERMINATION,
            Phase.TERMINATION,
        ]


class TestMigration:
    """Version 1 documents load as the same objects their version 2 form gives."""

    @pytest.mark.parametrize(
        "name", ["adult_grief_16", "missed_extension_maintenance", "adolescent_ipt_a"]
    )
    def test_v1_course_equals_v2(self, name: str) -> None:
        """The v1 example courses read back equal to the v2 examples made from the same plan."""
        old = (V1 / f"{name}.json").read_text(encoding="utf-8")
        assert json.loads(old)["schema_version"] == 1
        new = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
        # Version 1 had no safety answer beside a total; the v2 examples record item 9.
        for record in new["sessions"]:
            for found in record["scores"]:
                found["safety_item"] = None
        assert iptkit.loads(TreatmentCourse, old) == iptkit.load(TreatmentCourse, new)

    def test_v1_maintenance_recurs_by_the_day_of_the_month(self) -> None:
        """Version 1 dated monthly maintenance by the day of the month; it still does.

        The agreement's first session is Thursday 26 June 2025: by the day of
        the month, M2 is Saturday 26 July (by the weekday it would be the
        fourth Thursday, 24 July).
        """
        course = json.loads((V1 / "missed_extension_maintenance.json").read_text("utf-8"))
        agreement = iptkit.load(
            iptkit.MaintenanceAgreement, {"schema_version": 1, **course["maintenance"]}
        )
        assert agreement.monthly_by is iptkit.MonthlyBy.DAY_OF_MONTH
        assert [s.date() for s in agreement.session_starts()[:2]] == [
            dt.date(2025, 6, 26),
            dt.date(2025, 7, 26),
        ]
        loaded = iptkit.loads(TreatmentCourse, json.dumps(course))
        assert loaded.schedule is not None
        assert [p.monthly_by for p in loaded.schedule.maintenance] == [
            iptkit.MonthlyBy.DAY_OF_MONTH
        ]
        assert loaded.maintenance is not None
        assert loaded.maintenance.monthly_by is iptkit.MonthlyBy.DAY_OF_MONTH

    def test_v1_schedule_made_up_slot_and_cancellation(self) -> None:
        """A v1 schedule's made-up slot becomes a made-up row; 'cancelled' the patient's."""
        course = json.loads((V1 / "missed_extension_maintenance.json").read_text("utf-8"))
        schedule = {"schema_version": 1, **course["schedule"]}
        assert [m["status"] for m in schedule["missed"]] == ["missed", "cancelled"]
        loaded = iptkit.load(Schedule, schedule)
        assert [(s.label, s.status.value) for s in loaded.made_up] == [
            ("3", "missed"),
            ("7", "cancelled_by_patient"),
        ]

    def test_v1_record_attendance(self) -> None:
        """A v1 record's attendance is its status: attended is held, no_show is missed."""
        course = json.loads((V1 / "missed_extension_maintenance.json").read_text("utf-8"))
        spelled = {r["attendance"] for r in course["sessions"]}
        assert spelled == {"attended", "no_show", "cancelled_by_patient", "planned"}
        loaded = iptkit.load(TreatmentCourse, course)
        assert {r.status.value for r in loaded.sessions} == {
            "held",
            "missed",
            "cancelled_by_patient",
            "planned",
        }

    @given(st.sampled_from(["planned", "held", "missed", "cancelled_by_therapist"]))
    def test_v2_statuses_untouched(self, status: str) -> None:
        """The migration renames only version 1's spellings."""
        record = iptkit.dump(SessionRecord.from_scheduled(_plan().session(1)))
        record["status"] = status
        assert iptkit.load(SessionRecord, record).status.value == status

    def test_unreadable_v1_shapes_reach_the_codec(self) -> None:
        """A v1 schedule with a broken missed list is reported, not migrated away."""
        data = {**iptkit.dump(_plan()), "schema_version": 1, "missed": "lots"}
        with pytest.raises(ValidationError) as caught:
            iptkit.load(Schedule, data)
        assert ("$.missed", "unknown_field") in [(i.path, i.code) for i in caught.value.issues]


def test_v1_builtin_protocol_is_read_as_todays() -> None:
    """Version 1 wrote built-ins out in full; they load as today's built-in of that name."""
    course = json.loads((V1 / "adolescent_ipt_a.json").read_text("utf-8"))
    assert course["protocol"]["name"] == "adolescent"
    assert "min_age" not in course["protocol"]
    loaded = iptkit.load(TreatmentCourse, course)
    assert loaded.protocol == iptkit.protocols.ADOLESCENT
    assert loaded.protocol.min_age == 12  # IPT-A's range today (reference §4)
    # A custom protocol, under a name no built-in has, is kept as written.
    custom = {**course["protocol"], "name": "our_teen_ipt"}
    mine = {**course, "protocol": custom, "contract": None, "schedule": None}
    assert iptkit.load(TreatmentCourse, mine).protocol.name == "our_teen_ipt"
