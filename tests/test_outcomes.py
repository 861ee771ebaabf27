"""Outcomes of the acute course, relapse during maintenance, and the course's end.

Facts from the domain reference: PHQ-9 response is a drop of half or more
from baseline and remission a total below 5 (§7.2); a return of symptoms is
a score back at or above the severity threshold (PHQ-9 10) at two
consecutive assessments; before recovery (remission sustained 4-6 months) it
is a relapse, after it a recurrence (§7, Frank et al. 1991).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

import iptkit
from _helpers import issues_of
from iptkit import (
    EndReason,
    FocusArea,
    Formulation,
    FormulationRevision,
    Frequency,
    Phase,
    ReturnKind,
    SessionKind,
    SessionRecord,
    SessionStatus,
    SessionTerms,
    TreatmentContract,
    TreatmentCourse,
    plan_sessions,
)
from iptkit.measures import PHQ9, InstrumentId, Measurement, from_total
from iptkit.protocols import STANDARD
from iptkit.testing import courses

LONDON = ZoneInfo("Europe/London")
FIRST = dt.datetime(2026, 3, 2, 10, tzinfo=LONDON)
V1 = Path(__file__).parent / "data" / "v1"


def _contract() -> TreatmentContract:
    return TreatmentContract(
        protocol=STANDARD,
        sessions=SessionTerms(
            total=12,
            frequency=Frequency.WEEKLY,
            minutes=50,
            first_session=FIRST,
            zone="Europe/London",
        ),
        focus_areas=(FocusArea.GRIEF,),
    )


def _acute(scores: dict[int, int]) -> list[SessionRecord]:
    """Twelve held weekly sessions; ``scores`` maps a session number to its PHQ-9 total."""
    plan = plan_sessions(FIRST, 12, zone="Europe/London")
    return [
        SessionRecord.from_scheduled(
            session,
            status=SessionStatus.HELD,
            scores=(from_total(PHQ9, scores[session.number]),) if session.number in scores else (),
        )
        for session in plan.sessions
    ]


def _maintenance(totals: list[int | None], *, weeks_after: int = 4) -> list[SessionRecord]:
    """Monthly maintenance sessions M1.. after the acute course, with PHQ-9 totals."""
    start = FIRST + dt.timedelta(weeks=11 + weeks_after)
    return [
        SessionRecord(
            number=k,
            kind=SessionKind.MAINTENANCE,
            starts_at=start + dt.timedelta(weeks=4 * (k - 1)),
            minutes=50,
            status=SessionStatus.HELD,
            phase=Phase.MAINTENANCE,
            scores=(from_total(PHQ9, total),) if total is not None else (),
        )
        for k, total in enumerate(totals, start=1)
    ]


def _course(records: list[SessionRecord], **fields: Any) -> TreatmentCourse:
    values: dict[str, Any] = {
        "patient_id": "OC-1",
        "protocol": STANDARD,
        "started_on": dt.date(2026, 2, 20),
        "contract": _contract(),
        "sessions": tuple(records),
    }
    values.update(fields)
    return TreatmentCourse(**values)


class TestOutcomes:
    """outcomes(*, acute_only=True, until=None)."""

    def test_acute_only_by_default(self) -> None:
        """End-of-acute 3 (remission) then M1 = 15: the acute outcome is a remission."""
        course = _course([*_acute({1: 18, 12: 3}), *_maintenance([15])])
        outcome = course.outcomes()[InstrumentId.PHQ9]
        assert (outcome.baseline.session, outcome.follow_up.session) == ("1", "12")
        assert outcome.change.response
        assert outcome.change.remission
        latest = course.outcomes(acute_only=False)[InstrumentId.PHQ9]
        # 18 to 15 is a drop of a sixth: no response, no remission.
        assert latest.follow_up.session == "M1"
        assert not latest.change.response
        assert not latest.change.remission

    def test_until_cuts_at_a_day(self) -> None:
        """Scores after ``until`` are left out."""
        course = _course(_acute({1: 18, 6: 9, 12: 3}))
        day_6 = (FIRST + dt.timedelta(weeks=5)).date()
        outcome = course.outcomes(until=day_6)[InstrumentId.PHQ9]
        assert outcome.follow_up.session == "6"
        assert outcome.follow_up.path == "$.sessions[5].scores[0]"
        assert outcome.change.response
        assert not outcome.change.remission

    def test_follow_up_measurement_after_the_acute_course(self) -> None:
        """A measure outside sessions after the last acute session is not acute."""
        later = Measurement(
            taken_on=(FIRST + dt.timedelta(weeks=20)).date(), score=from_total(PHQ9, 14)
        )
        course = _course(_acute({1: 18, 12: 4}), measurements=(later,))
        assert course.outcomes()[InstrumentId.PHQ9].follow_up.session == "12"
        assert course.outcomes(acute_only=False)[InstrumentId.PHQ9].follow_up.path == (
            "$.measurements[0].score"
        )

    def test_maintenance_measurement_is_not_acute_session_2(self) -> None:
        """A measure at M2 is named maintenance: it does not count as acute session 2."""
        records = [*_acute({1: 18}), *_maintenance([None, None])]
        m2_day = records[-1].starts_at.date()
        at_m2 = Measurement(
            taken_on=m2_day,
            session_number=2,
            session_kind=SessionKind.MAINTENANCE,
            score=from_total(PHQ9, 6),
        )
        course = _course(records, measurements=(at_m2,))
        assert course.measured_sessions() == (1,)
        assert [entry.session for entry in course.scored()] == ["1", "M2"]

    @given(courses())
    def test_acute_only_never_reads_a_maintenance_score(self, course: TreatmentCourse) -> None:
        """Acute-only outcomes compare scores of the acute course alone."""
        for outcome in course.outcomes().values():
            for entry in (outcome.baseline, outcome.follow_up):
                assert entry.kind is not SessionKind.MAINTENANCE

    @given(courses())
    def test_without_maintenance_both_answers_agree(self, course: TreatmentCourse) -> None:
        """With no maintenance score and nothing after the acute course, both modes agree."""
        last = course.acute_ended_on
        later = [
            entry
            for entry in course.scored()
            if entry.kind is SessionKind.MAINTENANCE or (last is not None and entry.on > last)
        ]
        if not later:
            assert course.outcomes() == course.outcomes(acute_only=False)


class TestRelapse:
    """course.relapse(): a return after remission at the end of the acute course."""

    def test_relapse_at_two_consecutive_maintenance_scores(self) -> None:
        """Remission (3), then 12 and 14 at M1 and M2: a relapse (before recovery)."""
        course = _course([*_acute({1: 18, 12: 3}), *_maintenance([12, 14])])
        found = course.relapse()
        assert found is not None
        assert found.kind is ReturnKind.RELAPSE
        assert found.remitted.session == "12"
        assert [entry.session for entry in found.returned] == ["M1", "M2"]

    def test_one_high_score_is_not_a_return(self) -> None:
        """12 then 8: not two consecutive scores at or above 10."""
        course = _course([*_acute({1: 18, 12: 3}), *_maintenance([12, 8, 11])])
        assert course.relapse() is None

    def test_recurrence_after_recovery(self) -> None:
        """A return that begins more than four months after remission is a recurrence."""
        course = _course([*_acute({1: 18, 12: 3}), *_maintenance([4, 3, 4, 2, 4, 12, 13])])
        found = course.relapse()
        assert found is not None
        assert found.kind is ReturnKind.RECURRENCE

    def test_no_remission_no_relapse(self) -> None:
        """A course that did not remit cannot relapse."""
        course = _course([*_acute({1: 18, 12: 11}), *_maintenance([12, 14])])
        assert course.relapse() is None

    def test_instrument_without_a_default_threshold(self) -> None:
        """GAD-7 has no default return threshold: the caller names one."""
        course = _course(_acute({1: 18, 12: 3}))
        assert course.relapse(InstrumentId.GAD7) is None

    def test_finding_without_a_change_of_plan(self) -> None:
        """A relapse with nothing changed since is a finding; a revision clears it."""
        records = [*_acute({1: 18, 12: 3}), *_maintenance([12, 14])]
        course = _course(records, ended_on=None)
        codes = [f.code for f in iptkit.check(course)]
        assert "relapse_without_plan" in codes
        revised = Formulation(
            focus_areas=(FocusArea.GRIEF,),
            agreed_on=dt.date(2026, 3, 16),
            revisions=(
                FormulationRevision(
                    on=records[-1].starts_at.date(),
                    focus_areas=(FocusArea.ROLE_TRANSITION,),
                    reason="Relapse after a move",
                ),
            ),
        )
        replanned = _course(records, formulation=revised)
        assert "relapse_without_plan" not in [f.code for f in iptkit.check(replanned)]


class TestTheEnd:
    """ended_reason, and checks that read it."""

    def test_reason_needs_an_end(self) -> None:
        """A reason without an end date is refused."""
        assert issues_of(lambda: _course([], ended_reason=EndReason.DROPPED_OUT)) == [
            ("$.ended_reason", "reason_without_end")
        ]

    def test_dropout_is_its_own_finding(self) -> None:
        """After session 6 the patient stops: a dropout, not a missing final measure."""
        records = _acute({1: 18})[:6]
        day = records[-1].starts_at.date() + dt.timedelta(days=14)
        dropout = _course(records, ended_on=day, ended_reason=EndReason.DROPPED_OUT)
        codes = {f.code for f in iptkit.check(dropout)}
        assert "ended_early" in codes
        assert not {"final_measure_missing", "maintenance_not_discussed"} & codes
        unexplained = _course(records, ended_on=day)
        assert "final_measure_missing" in {f.code for f in iptkit.check(unexplained)}

    @pytest.mark.parametrize(("age", "fine"), [(0, True), (15, True), (120, True), (121, False)])
    def test_age_in_years(self, age: int, fine: bool) -> None:
        """The age at the start is whole years, 0-120 (no date of birth is asked for)."""
        if fine:
            assert _course([], age_at_start=age).age_at_start == age
        else:
            assert issues_of(lambda: _course([], age_at_start=age)) == [
                ("$.age_at_start", "out_of_range")
            ]


def test_v1_maintenance_measurement_is_migrated() -> None:
    """A version 1 measurement at the day and number of a maintenance record becomes M-kind."""
    course = json.loads((V1 / "missed_extension_maintenance.json").read_text("utf-8"))
    maintenance = [r for r in course["sessions"] if r.get("kind") == "maintenance"]
    target = maintenance[0]
    course["measurements"] = [
        {
            "taken_on": target["starts_at"][:10],
            "session_number": target["number"],
            "score": {"instrument": "phq9", "items": None, "total": 4},
        }
    ]
    loaded = iptkit.load(TreatmentCourse, course)
    assert loaded.measurements[0].session_kind is SessionKind.MAINTENANCE
    sessions = {entry.path: entry.session for entry in loaded.scored()}
    assert sessions["$.measurements[0].score"] == f"M{target['number']}"
