"""Tests of session records, goals, the formulation and the treatment course."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

import iptkit
from _helpers import issues_of
from iptkit import (
    Amendment,
    FocusArea,
    Formulation,
    FormulationRevision,
    Frequency,
    GoalRating,
    Phase,
    SessionKind,
    SessionRecord,
    SessionStatus,
    SessionTerms,
    TreatmentContract,
    TreatmentCourse,
    TreatmentGoal,
    evolve,
)
from iptkit.measures import PHQ9, InstrumentId, Measurement, score
from iptkit.protocols import IPT_UK, STANDARD
from iptkit.testing import courses

NEW_YORK = ZoneInfo("America/New_York")
FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)


def _contract(total: int = 16, **changes: Any) -> TreatmentContract:
    contract = TreatmentContract(
        protocol=IPT_UK,
        sessions=SessionTerms(
            total=total,
            frequency=Frequency.WEEKLY,
            minutes=50,
            first_session=FIRST,
            zone="America/New_York",
        ),
        focus_areas=(FocusArea.GRIEF,),
    )
    return evolve(contract, **changes)


def _record(number: int, phase: Phase, **changes: Any) -> SessionRecord:
    values: dict[str, Any] = {
        "number": number,
        "starts_at": FIRST + dt.timedelta(weeks=number - 1),
        "minutes": 50,
        "status": SessionStatus.HELD,
        "phase": phase,
    }
    values.update(changes)
    return SessionRecord(**values)


def _ipt_uk_phase(number: int) -> Phase:
    """IPT-UK, 16 sessions: 1-4 initial, 5-12 middle, 13-16 termination (reference §3.1)."""
    if number <= 4:
        return Phase.INITIAL
    if number <= 12:
        return Phase.MIDDLE
    return Phase.TERMINATION


def _course(records: tuple[SessionRecord, ...] = (), **changes: Any) -> TreatmentCourse:
    values: dict[str, Any] = {
        "patient_id": "PT-001",
        "protocol": IPT_UK,
        "started_on": dt.date(2026, 2, 16),
        "contract": _contract(),
        "sessions": records,
    }
    values.update(changes)
    return TreatmentCourse(**values)


def _full_course() -> TreatmentCourse:
    records = tuple(_record(n, _ipt_uk_phase(n)) for n in range(1, 17))
    return _course(records)


class TestSessionRecord:
    """Rules a single record keeps."""

    def test_label(self) -> None:
        """Acute records show their number, maintenance ones Mk, pre-treatment 0 (as planned)."""
        assert _record(3, Phase.INITIAL).label == "3"
        maintenance = _record(2, Phase.MAINTENANCE, kind=SessionKind.MAINTENANCE)
        assert maintenance.label == "M2"
        pre = evolve(
            _record(1, Phase.INITIAL), number=0, kind=SessionKind.PRE_TREATMENT, phase=None
        )
        assert pre.label == "0"

    def test_acute_number_starts_at_one(self) -> None:
        """An acute record numbered 0 is refused at its number."""
        assert issues_of(lambda: _record(0, Phase.INITIAL)) == [("$.number", "number_sequence")]

    def test_maintenance_phase(self) -> None:
        """A maintenance record must be in the maintenance phase (rule 6)."""
        assert issues_of(lambda: _record(1, Phase.MIDDLE, kind=SessionKind.MAINTENANCE)) == [
            ("$.phase", "phase_mismatch")
        ]

    def test_pre_treatment_has_no_phase(self) -> None:
        """A pre-treatment contact is number 0 and has no phase (reference §4)."""
        assert issues_of(lambda: _record(1, Phase.INITIAL, kind=SessionKind.PRE_TREATMENT)) == [
            ("$.number", "number_sequence"),
            ("$.phase", "phase_mismatch"),
        ]

    def test_attended_cannot_be_made_up(self) -> None:
        """Only a missed session can be made up (rule 4)."""
        assert issues_of(lambda: _record(2, Phase.INITIAL, made_up=True)) == [
            ("$.made_up", "made_up_not_missed")
        ]

    def test_naive_start_refused(self) -> None:
        """A start without an offset is refused."""
        naive = dt.datetime(2026, 3, 2, 9)
        assert issues_of(lambda: _record(1, Phase.INITIAL, starts_at=naive)) == [
            ("$.starts_at", "naive_datetime")
        ]

    def test_repr_hides_notes_and_task(self) -> None:
        """Free text stays out of repr."""
        record = _record(1, Phase.INITIAL, notes="very private", task_set="call sister")
        assert "very private" not in repr(record)
        assert "call sister" not in repr(record)


class TestTreatmentGoal:
    """Goals and their ratings."""

    def test_ratings_in_order(self) -> None:
        """A rating before the previous one is refused at its date."""
        day = dt.date(2026, 3, 1)
        ratings = (
            GoalRating(on=day, progress=2),
            GoalRating(on=day - dt.timedelta(days=1), progress=3),
        )
        assert issues_of(
            lambda: TreatmentGoal(
                focus_area=FocusArea.GRIEF, description="x", set_on=day, ratings=ratings
            )
        ) == [("$.ratings[1].on", "out_of_order")]

    def test_latest_progress(self) -> None:
        """The latest rating is the last one."""
        day = dt.date(2026, 3, 1)
        goal = TreatmentGoal(
            focus_area=FocusArea.GRIEF,
            description="x",
            set_on=day,
            ratings=(GoalRating(on=day, progress=2), GoalRating(on=day, progress=5)),
        )
        assert goal.latest_progress == 5


class TestFormulation:
    """The formulation and renegotiated changes of focus."""

    def test_focus_on_follows_revisions(self) -> None:
        """The focus in force is the one of the latest revision by that day."""
        day = dt.date(2026, 3, 1)
        formulation = Formulation(
            focus_areas=(FocusArea.ROLE_DISPUTE,),
            agreed_on=day,
            revisions=(
                FormulationRevision(
                    on=day + dt.timedelta(days=20),
                    focus_areas=(FocusArea.ROLE_TRANSITION,),
                    reason="the marriage ended",
                ),
            ),
        )
        assert formulation.focus_on(day) == (FocusArea.ROLE_DISPUTE,)
        assert formulation.focus_on(day + dt.timedelta(days=25)) == (FocusArea.ROLE_TRANSITION,)
        assert formulation.all_focus_areas == {FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION}


class TestTreatmentCourseInvariants:
    """Cross-object invariants of a course, each with its path and code."""

    def test_full_course_loads(self) -> None:
        """A 16-session IPT-UK course with the phases of reference §3.1 is valid."""
        course = _full_course()
        assert iptkit.loads(TreatmentCourse, iptkit.dumps(course)) == course

    def test_phase_must_follow_protocol(self) -> None:
        """Session 5 of 16 under IPT-UK is middle, not initial (reference §3.1)."""
        records = (*(_record(n, _ipt_uk_phase(n)) for n in range(1, 5)), _record(5, Phase.INITIAL))
        assert issues_of(lambda: _course(records)) == [("$.sessions[4].phase", "phase_mismatch")]

    def test_phase_under_standard(self) -> None:
        """Under STANDARD, session 4 of 16 is already middle (initial phase at most 3)."""
        contract = _contract(protocol=STANDARD)
        records = tuple(_record(n, Phase.INITIAL) for n in range(1, 5))
        issues = issues_of(lambda: _course(records, protocol=STANDARD, contract=contract))
        assert issues == [("$.sessions[3].phase", "phase_mismatch")]

    def test_gap_in_numbers(self) -> None:
        """Acute numbers run 1..n without gaps (rule 1)."""
        records = (_record(1, Phase.INITIAL), _record(3, Phase.INITIAL))
        assert issues_of(lambda: _course(records)) == [("$.sessions[1].number", "number_sequence")]

    def test_duplicate_number(self) -> None:
        """No two counted sessions share a number (rule 2)."""
        second = _record(1, Phase.INITIAL, starts_at=FIRST + dt.timedelta(days=2))
        records = (_record(1, Phase.INITIAL), second)
        assert issues_of(lambda: _course(records)) == [("$.sessions[1].number", "number_sequence")]

    def test_times_rise_with_number(self) -> None:
        """Start times strictly increase with number (rule 2)."""
        records = (
            _record(1, Phase.INITIAL, starts_at=FIRST + dt.timedelta(days=8)),
            _record(2, Phase.INITIAL, starts_at=FIRST + dt.timedelta(days=1)),
        )
        assert issues_of(lambda: _course(records)) == [("$.sessions[1].starts_at", "start_order")]

    def test_made_up_miss_keeps_numbering(self) -> None:
        """A made-up miss does not spend its number; the replacement carries it (rule 4)."""
        records = (
            _record(1, Phase.INITIAL),
            _record(2, Phase.INITIAL, status=SessionStatus.MISSED, made_up=True),
            _record(2, Phase.INITIAL, starts_at=FIRST + dt.timedelta(weeks=2)),
        )
        course = _course(records)
        assert course.sessions_used == 2
        assert course.sessions_remaining == 14

    def test_counted_miss_spends_number(self) -> None:
        """A counted miss spends its number (rule 4)."""
        records = (
            _record(1, Phase.INITIAL),
            _record(2, Phase.INITIAL, status=SessionStatus.MISSED),
        )
        assert _course(records).sessions_used == 2

    def test_beyond_contract(self) -> None:
        """No acute record beyond the contracted total (plus amendments)."""
        contract = _contract(total=12)
        records = tuple(_record(n, _ipt_uk_phase(n)) for n in range(1, 14))
        issues = issues_of(lambda: _course(records, contract=contract))
        assert ("$.sessions[12].number", "beyond_contract") in issues

    def test_amendment_extends_total(self) -> None:
        """An amendment agreed before termination lets the course run to the new total."""
        amendment = Amendment(agreed_on=dt.date(2026, 3, 20), new_total=16, reason="slow start")
        contract = _contract(total=12, amendments=(amendment,))
        # Before the amendment (sessions 1-3) the 12-session phases apply; after it, 16.
        records = tuple(_record(n, _ipt_uk_phase(n)) for n in range(1, 17))
        course = _course(records, contract=contract)
        assert course.total_on(dt.date(2026, 3, 1)) == 12
        assert course.total_on(dt.date(2026, 4, 1)) == 16

    def test_maintenance_after_acute(self) -> None:
        """Maintenance sessions fall after the last acute session (rule 6)."""
        records = (
            _record(
                1,
                Phase.MAINTENANCE,
                kind=SessionKind.MAINTENANCE,
                starts_at=FIRST - dt.timedelta(days=1),
            ),
            _record(1, Phase.INITIAL),
        )
        issues = issues_of(lambda: _course(records))
        assert ("$.sessions[1].kind", "maintenance_before_acute") in issues

    def test_recorded_after_planned(self) -> None:
        """A session held after one still planned is refused."""
        records = (
            _record(1, Phase.INITIAL, status=SessionStatus.PLANNED),
            _record(2, Phase.INITIAL),
        )
        assert issues_of(lambda: _course(records)) == [
            ("$.sessions[1].status", "recorded_after_planned")
        ]

    def test_measure_outside_course(self) -> None:
        """A measurement before the course started is refused."""
        early = Measurement(
            taken_on=dt.date(2026, 1, 1), session_number=None, score=score(PHQ9, [1] * 9)
        )
        assert issues_of(lambda: _course(measurements=(early,))) == [
            ("$.measurements[0].taken_on", "outside_course")
        ]

    def test_goal_outside_focus(self) -> None:
        """A goal's focus area must be among the agreed ones."""
        goal = TreatmentGoal(
            focus_area=FocusArea.ROLE_DISPUTE, description="x", set_on=dt.date(2026, 3, 1)
        )
        assert issues_of(lambda: _course(goals=(goal,))) == [
            ("$.goals[0].focus_area", "goal_outside_focus")
        ]

    def test_protocol_mismatch(self) -> None:
        """The contract must follow the course's protocol."""
        assert issues_of(lambda: _course(protocol=STANDARD)) == [
            ("$.contract.protocol", "protocol_mismatch")
        ]

    def test_onset_after_start(self) -> None:
        """The onset of the episode cannot follow the start of the course."""
        assert issues_of(lambda: _course(onset=dt.date(2026, 3, 1))) == [
            ("$.onset", "out_of_order")
        ]

    def test_too_many_focus_areas_still_loads(self) -> None:
        """Three focus areas are a protocol departure (a finding), not an invariant (§2.4)."""
        contract = _contract(
            focus_areas=(FocusArea.GRIEF, FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION)
        )
        assert len(_course(contract=contract).contract.focus_areas) == 3  # type: ignore[union-attr]

    def test_load_reports_paths_inside_course(self) -> None:
        """A bad nested value is reported at its full path."""
        data = iptkit.dump(_full_course())
        data["sessions"][3]["minutes"] = "fifty"
        data["sessions"][5]["phase"] = "middel"
        with pytest.raises(iptkit.ValidationError) as info:
            iptkit.load(TreatmentCourse, data)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.sessions[3].minutes", "wrong_type"),
            ("$.sessions[5].phase", "invalid_value"),
        ]


class TestDerivedViews:
    """Attendance, remaining sessions and measurement cadence."""

    def test_attendance_rate(self) -> None:
        """Rate = attended / past sessions, leaving out therapist cancellations."""
        records = (
            _record(1, Phase.INITIAL),
            _record(2, Phase.INITIAL, status=SessionStatus.MISSED),
            _record(3, Phase.INITIAL, status=SessionStatus.CANCELLED_BY_THERAPIST),
            _record(4, Phase.INITIAL),
            _record(5, Phase.MIDDLE, status=SessionStatus.PLANNED),
        )
        assert _course(records).attendance_rate == pytest.approx(2 / 3)

    def test_no_attendance_yet(self) -> None:
        """With nothing held yet the rate is unknown."""
        assert _course().attendance_rate is None

    def test_measured_sessions(self) -> None:
        """Sessions with a score are listed in order."""
        phq = score(PHQ9, [2] * 9)
        records = (
            _record(1, Phase.INITIAL, scores=(phq,)),
            _record(2, Phase.INITIAL),
            _record(3, Phase.INITIAL, scores=(phq,)),
        )
        assert _course(records).measured_sessions() == (1, 3)


class TestOutcomes:
    """Baseline against latest score per instrument (reference §7.2)."""

    def test_response_and_remission(self) -> None:
        """PHQ-9 from 18 to 4: a drop of 78%, a response, and remission (total below 5)."""
        records = (
            _record(1, Phase.INITIAL, scores=(score(PHQ9, [2, 2, 2, 2, 2, 2, 2, 2, 2]),)),
            _record(2, Phase.INITIAL, scores=(score(PHQ9, [1, 1, 1, 1, 0, 0, 0, 0, 0]),)),
        )
        outcome = _course(records).outcomes()[InstrumentId.PHQ9]
        assert (outcome.baseline.session, outcome.follow_up.session) == ("1", "2")
        assert outcome.change.baseline.total == 18
        assert outcome.change.follow_up.total == 4
        assert outcome.change.response is True
        assert outcome.change.remission is True

    def test_single_measure_has_no_outcome(self) -> None:
        """An instrument measured once has no outcome yet."""
        records = (_record(1, Phase.INITIAL, scores=(score(PHQ9, [1] * 9),)),)
        assert _course(records).outcomes() == {}


class TestGeneratedCourses:
    """Properties over generated courses."""

    @given(courses())
    def test_numbering_rules_hold(self, course: TreatmentCourse) -> None:
        """Counted acute records are numbered 1..n with rising start times (rules 1-2)."""
        counted = sorted((r for r in course.acute_records if r.counts), key=lambda r: r.number)
        assert [r.number for r in counted] == list(range(1, len(counted) + 1))
        starts = [r.starts_at for r in counted]
        assert starts == sorted(starts)
        assert len(set(starts)) == len(starts)
        phases = [r.phase.order for r in counted if r.phase is not None]
        assert phases == sorted(phases)

    @given(courses())
    def test_remaining_never_negative(self, course: TreatmentCourse) -> None:
        """Sessions remaining is between 0 and the contracted total."""
        remaining = course.sessions_remaining
        if course.contract is None:
            assert remaining is None
        else:
            assert remaining is not None
            assert 0 <= remaining <= course.contract.total
