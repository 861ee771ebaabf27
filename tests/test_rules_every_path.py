"""The numbering rules and dated consistency hold on every path into a document.

A schedule document refuses the states its own operations refuse, a course
refuses what its schedule would refuse with the same code, and what happens
in a course is dated within it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    FocusArea,
    Formulation,
    Frequency,
    InterpersonalInventory,
    MaintenanceAgreement,
    MissedSessionPolicy,
    Phase,
    Relationship,
    RelationshipRole,
    Schedule,
    SessionKind,
    SessionRecord,
    SessionStatus,
    TreatmentCourse,
    TreatmentGoal,
    evolve,
    plan_sessions,
)
from iptkit.protocols import BRIEF, STANDARD
from iptkit.testing import schedules

LONDON = ZoneInfo("Europe/London")
FIRST = dt.datetime(2026, 3, 2, 10, tzinfo=LONDON)

#: The codes of rules 1, 2 and 6, which a schedule and a course check alike.
SEQUENCE_CODES = frozenset(
    {"number_sequence", "start_order", "duplicate_start", "kind_order", "maintenance_before_acute"}
)


def _plan(total: int = 12, **options: Any) -> Schedule:
    return plan_sessions(FIRST, total, zone="Europe/London", **options)


def _course(records: tuple[SessionRecord, ...], **fields: Any) -> TreatmentCourse:
    values: dict[str, Any] = {
        "patient_id": "RP-1",
        "protocol": STANDARD,
        "started_on": dt.date(2026, 2, 1),
        "sessions": records,
    }
    values.update(fields)
    return TreatmentCourse(**values)


def _load_schedule(schedule: Schedule, **changes: Any) -> list[tuple[str, str]]:
    data = iptkit.dump(schedule)
    data.update(changes)
    return issues_of(lambda: iptkit.load(Schedule, data))


class TestScheduleDocuments:
    """A schedule document refuses the states its operations refuse."""

    def test_made_up_under_a_counts_policy(self) -> None:
        """Under "counts" the operations never make a session up; neither may a document."""
        made_up = _plan(missed_policy=MissedSessionPolicy.MADE_UP).miss(3)
        assert _load_schedule(made_up, missed_policy="counts") == [
            ("$.sessions[2].made_up", "against_missed_policy")
        ]

    def test_counted_miss_under_a_made_up_policy(self) -> None:
        """Under "made_up" an acute miss is never counted."""
        counted = _plan(missed_policy=MissedSessionPolicy.COUNTS).miss(3)
        assert _load_schedule(counted, missed_policy="made_up") == [
            ("$.sessions[2].made_up", "against_missed_policy")
        ]

    def test_made_up_slot_after_every_session(self) -> None:
        """A made-up miss with no session after it to take its number."""
        plan = _plan(4)
        data = iptkit.dump(plan)
        extra = {
            **data["sessions"][-1],
            "starts_at": (plan.end + dt.timedelta(weeks=1)).isoformat(),
            "number": 5,
            "status": "missed",
            "made_up": True,
        }
        data["sessions"].append(extra)
        assert ("$.sessions[4].made_up", "number_sequence") in issues_of(
            lambda: iptkit.load(Schedule, data)
        )

    def test_first_start_after_the_sessions(self) -> None:
        """The series cannot start after the sessions it planned."""
        plan = _plan(8)
        late = (plan.end + dt.timedelta(days=30)).isoformat()
        assert _load_schedule(plan, first_start=late) == [("$.first_start", "start_order")]

    def test_maintenance_session_before_the_acute_course(self) -> None:
        """Rule 6: maintenance sessions come after the last acute session."""
        plan = _plan(8).add_maintenance(2)
        data = iptkit.dump(plan)
        m1 = data["sessions"].pop(8)
        m1["starts_at"] = (FIRST + dt.timedelta(days=3)).isoformat()
        data["sessions"].insert(1, m1)
        assert ("$.sessions[2].kind", "maintenance_before_acute") in issues_of(
            lambda: iptkit.load(Schedule, data)
        )

    def test_two_pre_treatment_contacts(self) -> None:
        """Reference §4: one engagement session (IPT-B) before session 1, not two."""
        plan = _plan(8, protocol=BRIEF)
        data = iptkit.dump(plan)
        second = {
            **data["sessions"][0],
            "starts_at": (plan.sessions[0].starts_at + dt.timedelta(days=1)).isoformat(),
        }
        data["sessions"].insert(1, second)
        assert ("$.sessions[1].kind", "number_sequence") in issues_of(
            lambda: iptkit.load(Schedule, data)
        )


class TestCourseRecords:
    """A course's records keep the rules a schedule keeps."""

    @staticmethod
    def _record(number: int, phase: Phase, weeks: int | None = None) -> SessionRecord:
        offset = number - 1 if weeks is None else weeks
        return SessionRecord(
            number=number,
            starts_at=FIRST + dt.timedelta(weeks=offset),
            minutes=50,
            status=SessionStatus.HELD,
            phase=phase,
        )

    def test_phases_in_order_without_a_contract(self) -> None:
        """Without a total, phases are still held to their order (rule 3)."""
        order = [Phase.TERMINATION, Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION, Phase.INITIAL]
        records = tuple(self._record(n, phase) for n, phase in enumerate(order, start=1))
        assert issues_of(lambda: _course(records)) == [
            ("$.sessions[1].phase", "phase_mismatch"),
            ("$.sessions[2].phase", "phase_mismatch"),
            ("$.sessions[4].phase", "phase_mismatch"),
        ]

    def test_extension_after_termination_began(self) -> None:
        """Amended 12 -> 16 once termination began: it loads, lengthens termination, is reported.

        Standard protocol, 12 sessions: sessions 10-12 are the termination phase
        (reference §3.1, three termination sessions); at 16, 14-16 are.  Phases
        never go backwards (rule 3), so after a held termination session the
        later ones stay in termination.
        """
        contract = iptkit.TreatmentContract(
            protocol=STANDARD,
            sessions=iptkit.SessionTerms(
                total=12,
                frequency=Frequency.WEEKLY,
                minutes=50,
                first_session=FIRST,
                zone="Europe/London",
            ),
            focus_areas=(FocusArea.GRIEF,),
        )
        day_10 = (FIRST + dt.timedelta(weeks=9)).date()

        def amended(on: dt.date) -> iptkit.TreatmentContract:
            extension = iptkit.Amendment(agreed_on=on, new_total=16, reason="Slow")
            return evolve(contract, amendments=(extension,))

        # Agreed after session 10: termination began; 11-16 stay in termination.
        late = amended(day_10 + dt.timedelta(days=1))
        phases = [Phase.INITIAL] * 3 + [Phase.MIDDLE] * 6 + [Phase.TERMINATION] * 7
        records = tuple(self._record(n, p) for n, p in enumerate(phases, start=1))
        course = _course(records, contract=late)
        assert [f.code for f in iptkit.check(course) if f.path.startswith("$.contract.amend")] == [
            "amended_in_termination"
        ]
        # Going back to the middle phase after a termination session is refused.
        backwards = phases[:10] + [Phase.MIDDLE] * 3 + [Phase.TERMINATION] * 3
        records = tuple(self._record(n, p) for n, p in enumerate(backwards, start=1))
        found = issues_of(lambda: _course(records, contract=late))
        assert found == [(f"$.sessions[{i}].phase", "phase_mismatch") for i in (10, 11, 12)]
        # Agreed the day before: session 10 is a middle session, so records that
        # say termination at 10 and middle at 11-13 are refused at session 10.
        phases = [Phase.INITIAL] * 3 + [Phase.MIDDLE] * 6 + [Phase.TERMINATION]
        phases += [Phase.MIDDLE] * 3
        records = tuple(self._record(n, p) for n, p in enumerate(phases, start=1))
        found = issues_of(lambda: _course(records, contract=amended(day_10 - dt.timedelta(1))))
        assert found == [("$.sessions[9].phase", "phase_mismatch")]

    def test_made_up_pre_treatment_record(self) -> None:
        """A pre-treatment contact is never made up."""
        planned = _plan(8, protocol=BRIEF).sessions[0]
        assert issues_of(
            lambda: SessionRecord.from_scheduled(planned, status=SessionStatus.MISSED, made_up=True)
        ) == [("$.made_up", "cannot_make_up")]

    def test_schedule_of_another_protocol(self) -> None:
        """A course and its schedule follow one protocol."""
        schedule = _plan(8, protocol=BRIEF)
        assert issues_of(lambda: _course((), schedule=schedule)) == [
            ("$.schedule.protocol", "protocol_mismatch")
        ]


class TestDatedWithinTheCourse:
    """What is made during a course is dated within it (outside_course)."""

    def test_goal_formulation_and_inventory(self) -> None:
        """Goals, their ratings, the formulation and the inventory fall in the course."""
        before = dt.date(2026, 1, 1)
        goal = TreatmentGoal(
            focus_area=FocusArea.GRIEF, description="Visit the grave", set_on=before
        )
        formulation = Formulation(focus_areas=(FocusArea.GRIEF,), agreed_on=before)
        inventory = InterpersonalInventory(completed_on=dt.date(2027, 1, 1))
        assert issues_of(
            lambda: _course(
                (),
                ended_on=dt.date(2026, 6, 1),
                goals=(goal,),
                formulation=formulation,
                inventory=inventory,
            )
        ) == [
            ("$.inventory.completed_on", "outside_course"),
            ("$.formulation.agreed_on", "outside_course"),
            ("$.goals[0].set_on", "outside_course"),
        ]

    def test_a_diagnosis_may_come_with_the_referral(self) -> None:
        """A diagnosis before the course started is kept: referrals bring one."""
        diagnosis = iptkit.Diagnosis(
            system=iptkit.DiagnosisSystem.ICD10, code="F32.1", recorded_on=dt.date(2025, 12, 1)
        )
        assert _course((), diagnosis=diagnosis).diagnosis == diagnosis

    def test_inventory_death_after_its_completion(self) -> None:
        """An inventory records what was known when it was completed."""
        mother = Relationship(
            label="M",
            role=RelationshipRole.PARENT,
            closeness=1,
            deceased=True,
            died_on=dt.date(2026, 5, 1),
        )
        assert issues_of(
            lambda: InterpersonalInventory(
                relationships=(mother,), completed_on=dt.date(2026, 4, 1)
            )
        ) == [("$.relationships[0].died_on", "after_completion")]

    def test_maintenance_agreed_after_its_first_session(self) -> None:
        """A maintenance agreement is made before M1 (reference §3.3)."""
        with pytest.raises(iptkit.ValidationError) as caught:
            MaintenanceAgreement(
                agreed_on=dt.date(2026, 8, 1),
                frequency=Frequency.MONTHLY,
                minutes=50,
                first_session=dt.datetime(2026, 7, 13, 9, tzinfo=LONDON),
                zone="Europe/London",
                count=3,
            )
        assert [(i.path, i.code) for i in caught.value.issues] == [
            ("$.agreed_on", "agreed_after_start")
        ]


_EDITS = st.sampled_from(["number", "starts_at", "swap", "kind", "drop"])


class TestScheduleAndCourseRefuseAlike:
    """Whatever a schedule refuses of its sessions, a course with the same records refuses."""

    @given(schedules(max_total=8, max_operations=3), _EDITS, st.integers(0, 50), st.data())
    def test_same_rows_same_codes(
        self, schedule: Schedule, edit: str, pick: int, data: st.DataObject
    ) -> None:
        """Break the rows one way; rules 1, 2 and 6 give the same codes at the same paths."""
        rows = list(schedule.sessions)
        index = pick % len(rows)
        row = rows[index]
        if edit == "number" and row.kind is not SessionKind.PRE_TREATMENT:
            rows[index] = evolve(row, number=row.number + data.draw(st.integers(1, 3)))
        elif edit == "starts_at":
            neighbour = rows[index - 1] if index else rows[(index + 1) % len(rows)]
            rows[index] = evolve(row, starts_at=neighbour.starts_at)
        elif edit == "swap" and index + 1 < len(rows):
            rows[index], rows[index + 1] = rows[index + 1], rows[index]
        elif edit == "kind" and row.kind is SessionKind.ACUTE and not row.made_up:
            rows[index] = evolve(row, kind=SessionKind.MAINTENANCE, phase=Phase.MAINTENANCE)
        elif edit == "drop" and len(rows) > 3:
            del rows[index]
        data_doc = iptkit.dump(schedule)
        data_doc["sessions"] = [iptkit.dump(r) for r in rows]
        from_schedule = {
            found
            for found in _issues(lambda: iptkit.load(Schedule, data_doc))
            if found[1] in SEQUENCE_CODES
            and found[0].startswith("$.sessions[")
            # A schedule holds every session, so a made-up miss there must be followed
            # by its replacement; a course's records may end before the replacement.
            and not found[0].endswith(".made_up")
        }
        records = tuple(SessionRecord.from_scheduled(r) for r in rows)
        started = min(r.starts_at for r in rows).date() - dt.timedelta(days=1)
        from_course = {
            found
            for found in _issues(lambda: _course(records, started_on=started))
            if found[1] in SEQUENCE_CODES
        }
        assert from_schedule == from_course


def _issues(call: Any) -> list[tuple[str, str]]:
    """The (path, code) pairs ``call`` raises, or none when it succeeds."""
    try:
        call()
    except iptkit.ValidationError as exc:
        return [(issue.path, issue.code) for issue in exc.issues]
    return []
