"""Rule 5 on every path: the schedule, a course and its contract agree on extensions.

Design rule 5: an extension is agreed up to the day of the last acute session,
judged on the schedule's own dates (made-up misses included); one agreed once
the termination phase has begun is allowed and reported as a finding.  These
properties drive :meth:`Schedule.extend` over generated courses with misses and
held sessions, and hold the contract, the course and the schedule document to
the same answer.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import assume, given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    Schedule,
    SessionRecord,
    SessionStatus,
    TreatmentContract,
    TreatmentCourse,
    ValidationError,
    evolve,
)
from iptkit._contract import MAX_ACUTE_SESSIONS
from iptkit._recurrence import zone_info
from iptkit.testing import contracts


def _course(contract: TreatmentContract, schedule: Schedule) -> TreatmentCourse:
    """A course holding the contract, the schedule and a record of each of its sessions."""
    records = tuple(SessionRecord.from_scheduled(s) for s in schedule.sessions)
    return TreatmentCourse(
        patient_id="P-1",
        protocol=contract.protocol,
        # A day early: records keep UTC times, whose date may be the day before.
        started_on=schedule.sessions[0].starts_at.date() - dt.timedelta(days=1),
        contract=contract,
        schedule=schedule,
        sessions=records,
    )


@st.composite
def courses_in_progress(draw: st.DrawFn) -> tuple[TreatmentContract, Schedule]:
    """A contract without amendments and its schedule, with some sessions held or missed."""
    contract = draw(contracts(max_amendments=0))
    try:
        schedule = Schedule.from_contract(contract)
    except (ValidationError, iptkit.ScheduleError):
        assume(False)
        raise AssertionError from None  # pragma: no cover - assume() stops here
    steps = draw(st.integers(0, len(schedule.acute)))
    for _ in range(steps):
        # The next session still planned, in start order (a made-up number comes back).
        planned = [s for s in schedule.sessions if s.status is SessionStatus.PLANNED]
        if not planned:
            break
        number, kind = planned[0].number, planned[0].kind
        action = draw(st.sampled_from(["hold", "hold", "miss"]))
        try:
            if action == "hold":
                schedule = schedule.hold(number, kind=kind)
            else:
                schedule = schedule.miss(number, kind=kind)
        except iptkit.ScheduleError:
            break
    return contract, schedule


def _local_day(schedule: Schedule, moment: dt.datetime) -> dt.date:
    return moment.astimezone(zone_info(schedule.zone)).date()


@given(courses_in_progress(), st.integers(-30, 10), st.integers(1, 6))
def test_what_extend_accepts_a_course_accepts(
    case: tuple[TreatmentContract, Schedule], days_from_end: int, more: int
) -> None:
    """Any extension the schedule takes, the contract and a course holding both take.

    And the finding says whether it was agreed in the termination phase.
    """
    contract, schedule = case
    last_day = _local_day(schedule, schedule.acute[-1].starts_at)
    on = last_day + dt.timedelta(days=days_from_end)
    new_total = min(schedule.total + more, MAX_ACUTE_SESSIONS)
    assume(new_total > schedule.total)
    try:
        extended = schedule.extend(new_total, on=on, reason="Agreed")
    except iptkit.ScheduleError:
        return
    except ValidationError as exc:
        codes = exc.codes
    else:
        codes = frozenset()
    if codes:
        # Refused only for rule 5: after the end, or a held session's phase would change.
        assert codes <= {"amended_after_end", "held_phase_changed"}
        assert (on > last_day) == ("amended_after_end" in codes)
        return
    assert on <= last_day
    amended = evolve(contract, amendments=extended.amendments)
    course = _course(amended, extended)
    findings = [f for f in iptkit.check(course) if f.code == "amended_in_termination"]
    termination = [
        _local_day(schedule, s.starts_at)
        for s in schedule.acute
        if s.phase is iptkit.Phase.TERMINATION
    ]
    assert bool(findings) == (on >= min(termination))
    # Held sessions keep their phase; phases never go backwards.
    held = {s.number: s.phase for s in schedule.acute if s.status is SessionStatus.HELD}
    assert all(extended.session(n).phase is phase for n, phase in held.items())
    order = [iptkit.Phase.INITIAL, iptkit.Phase.MIDDLE, iptkit.Phase.TERMINATION]
    ranks = [order.index(s.phase) for s in extended.acute if s.phase is not None]
    assert ranks == sorted(ranks)


@given(courses_in_progress(), st.integers(1, 40))
def test_a_document_refuses_what_extend_refuses(
    case: tuple[TreatmentContract, Schedule], days_late: int
) -> None:
    """An amendment after the last acute session: extend refuses it, and so does a document.

    The document is the one extend gives on the last day, with the amendment's
    date moved later by hand; a course carrying it is refused with the same code.
    """
    contract, schedule = case
    last_day = _local_day(schedule, schedule.acute[-1].starts_at)
    late = last_day + dt.timedelta(days=days_late)
    new_total = schedule.total + 1
    assume(new_total <= MAX_ACUTE_SESSIONS)
    assert ("$.on", "amended_after_end") in issues_of(
        lambda: schedule.extend(new_total, on=late, reason="Late")
    )
    try:
        on_time = schedule.extend(new_total, on=last_day, reason="On the last day")
    except (ValidationError, iptkit.ScheduleError):
        return
    doc = iptkit.dump(on_time)
    doc["amendments"][-1]["agreed_on"] = late.isoformat()
    assert ("$.amendments[0].agreed_on", "amended_after_end") in issues_of(
        lambda: iptkit.load(Schedule, doc)
    )
    amended = evolve(contract, amendments=on_time.amendments)
    course_doc = iptkit.dump(_course(amended, on_time))
    course_doc["schedule"] = {k: v for k, v in doc.items() if k != "schema_version"}
    assert ("$.schedule.amendments[0].agreed_on", "amended_after_end") in issues_of(
        lambda: iptkit.load(TreatmentCourse, course_doc)
    )
