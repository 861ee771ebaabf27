"""Strategies for session records, goals, formulations and whole courses."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from iptkit._contract import TreatmentContract
from iptkit._course import (
    Diagnosis,
    DiagnosisSystem,
    Formulation,
    FormulationRevision,
    GoalRating,
    SessionRecord,
    TaskOutcome,
    Technique,
    TreatmentCourse,
    TreatmentGoal,
)
from iptkit._errors import ScheduleError, ValidationError
from iptkit._focus import FocusArea
from iptkit._model import evolve
from iptkit._protocol import Phase, Protocol
from iptkit._schedule import Schedule, ScheduledSession
from iptkit._sessions import SessionKind, SessionStatus
from iptkit.measures import Measurement
from iptkit.testing._common import dates, private_text
from iptkit.testing._contract import contracts
from iptkit.testing._inventory import inventories
from iptkit.testing._life_events import life_events
from iptkit.testing._measures import measurements, scores
from iptkit.testing._protocol import builtin_protocols
from iptkit.testing._schedule import session_facts

__all__ = [
    "courses",
    "diagnoses",
    "formulations",
    "goal_ratings",
    "session_records",
    "treatment_goals",
]


def diagnoses() -> st.SearchStrategy[Diagnosis]:
    """Diagnoses with plausible codes."""
    return st.builds(
        Diagnosis,
        system=st.sampled_from(DiagnosisSystem),
        code=st.sampled_from(["F32.1", "F33.0", "6A70.1", "296.22"]),
        recorded_on=dates(),
    )


def goal_ratings() -> st.SearchStrategy[GoalRating]:
    """Single progress ratings."""
    return st.builds(GoalRating, on=dates(), progress=st.integers(0, 10))


@st.composite
def treatment_goals(
    draw: st.DrawFn,
    *,
    focus_areas: tuple[FocusArea, ...] | None = None,
    between: tuple[dt.date, dt.date] | None = None,
) -> TreatmentGoal:
    """Goals with ratings in date order, on one of ``focus_areas``, dated ``between`` two days."""
    first, last = between or (dt.date(2000, 1, 1), dt.date(2040, 1, 1))
    set_on = draw(dates(min_value=first, max_value=last))
    days = sorted(draw(st.lists(st.integers(0, min(400, (last - set_on).days)), max_size=3)))
    return TreatmentGoal(
        focus_area=draw(st.sampled_from(focus_areas or tuple(FocusArea))),
        description=draw(private_text()),
        set_on=set_on,
        ratings=tuple(
            GoalRating(on=set_on + dt.timedelta(days=d), progress=draw(st.integers(0, 10)))
            for d in days
        ),
    )


@st.composite
def formulations(
    draw: st.DrawFn,
    *,
    focus_areas: tuple[FocusArea, ...] | None = None,
    agreed_on: dt.date | None = None,
    until: dt.date | None = None,
) -> Formulation:
    """Formulations with one or two focus areas and revisions in date order, up to ``until``."""
    areas = focus_areas or tuple(
        draw(st.lists(st.sampled_from(FocusArea), min_size=1, max_size=2, unique=True))
    )
    start = agreed_on or draw(dates(max_value=dt.date(2039, 1, 1)))
    room = 200 if until is None else max(min(200, (until - start).days), 0)
    offsets = sorted(draw(st.lists(st.integers(0, room), max_size=2)))
    revisions = tuple(
        FormulationRevision(
            on=start + dt.timedelta(days=offset),
            focus_areas=tuple(
                draw(st.lists(st.sampled_from(areas), min_size=1, max_size=2, unique=True))
            ),
            reason=draw(private_text()),
        )
        for offset in offsets
    )
    return Formulation(
        focus_areas=areas,
        agreed_on=start,
        linked_people=tuple(draw(st.lists(st.sampled_from(["P1", "P2", "P3"]), max_size=2))),
        revisions=revisions,
    )


@st.composite
def session_records(draw: st.DrawFn) -> SessionRecord:
    """Single session records of any kind (not tied to a course)."""
    kind, number, phase, status, made_up = session_facts(draw)
    planned = ScheduledSession(
        kind=kind,
        number=number,
        starts_at=draw(
            st.datetimes(
                min_value=dt.datetime(2000, 1, 1),
                max_value=dt.datetime(2040, 1, 1),
                timezones=st.just(dt.UTC),
            )
        ).replace(second=0, microsecond=0),
        minutes=50,
        phase=phase,
        status=status,
        made_up=made_up,
    )
    return _record(draw, planned)


def _record(
    draw: st.DrawFn, planned: ScheduledSession, focus: tuple[FocusArea, ...] = ()
) -> SessionRecord:
    """The record of ``planned``, with facts drawn to fit what happened."""
    held = planned.status is SessionStatus.HELD
    phase = planned.phase
    if not held:
        return SessionRecord.from_scheduled(planned)
    return SessionRecord.from_scheduled(
        planned,
        focus_areas=focus,
        techniques=tuple(draw(st.lists(st.sampled_from(Technique), max_size=3, unique=True))),
        task_set=draw(st.none() | private_text()),
        previous_task_outcome=draw(st.none() | st.sampled_from(TaskOutcome)),
        sick_role_given=phase is Phase.INITIAL and draw(st.booleans()),
        ending_raised=draw(st.booleans()),
        risk_assessed=draw(st.booleans()),
        maintenance_discussed=phase is Phase.TERMINATION and draw(st.booleans()),
        parent_present=draw(st.booleans()),
        scores=tuple(draw(st.lists(scores(), max_size=1))),
        notes=draw(st.none() | private_text()),
    )


@st.composite
def courses(
    draw: st.DrawFn,
    *,
    protocol: Protocol | None = None,
    with_contract: bool | None = None,
    max_records: int | None = None,
) -> TreatmentCourse:
    """Valid treatment courses: contract, inventory, records, measures and goals.

    The records are those of a schedule planned from the contract, whose first
    sessions were held, missed or cancelled (made up or counted, as the
    contract says) in turn: :meth:`~iptkit.SessionRecord.from_scheduled` of each, then
    some of the sessions still planned.  About half the courses carry that
    schedule too.  Shrinks towards a course with no contract and no records.
    """
    chosen = protocol or draw(builtin_protocols())
    has_contract = draw(st.booleans()) if with_contract is None else with_contract
    contract: TreatmentContract | None = draw(contracts(protocol=chosen)) if has_contract else None
    if contract is not None:
        first_day = contract.sessions.first_local_date
    else:
        first_day = draw(dates(max_value=dt.date(2039, 1, 1)))
    started_on = first_day - dt.timedelta(days=draw(st.integers(0, 60)))
    onset = draw(st.none() | st.integers(0, 400).map(lambda d: started_on - dt.timedelta(days=d)))
    focus = contract.focus_areas if contract is not None else None
    records: list[SessionRecord] = []
    schedule: Schedule | None = None
    if contract is not None:
        schedule, records = _acute_records(draw, contract, max_records)
    last_day = max((r.starts_at.date() for r in records), default=started_on)
    ended_on = draw(st.none() | st.just(last_day + dt.timedelta(days=draw(st.integers(0, 30)))))
    if any(r.status is SessionStatus.PLANNED for r in records):
        ended_on = None
    end = ended_on or last_day + dt.timedelta(days=30)
    span = max((end - started_on).days, 0)
    # The formulation, goals and inventory are made during the course.
    formulation = draw(st.none() | formulations(focus_areas=focus, agreed_on=started_on, until=end))
    inventory = draw(st.none() | inventories(max_relationships=3))
    if inventory is not None and inventory.completed_on is not None:
        completed = started_on + dt.timedelta(days=draw(st.integers(0, span)))
        known = [
            day
            for person in inventory.relationships
            for day in (person.died_on, *(change.on for change in person.changes))
            if day is not None
        ]
        inventory = evolve(
            inventory, completed_on=completed if all(d <= completed for d in known) else None
        )
    taken = draw(st.lists(measurements(), max_size=2))
    outside = [
        Measurement(
            taken_on=started_on + dt.timedelta(days=draw(st.integers(0, span))),
            session_number=m.session_number,
            score=m.score,
        )
        for m in taken
    ]
    goal_areas: tuple[FocusArea, ...] | None = None
    if formulation is not None:
        goal_areas = tuple(sorted(formulation.all_focus_areas, key=lambda a: a.value))
    elif contract is not None:
        goal_areas = contract.focus_areas
    return TreatmentCourse(
        patient_id=draw(st.from_regex(r"[A-Z]{2}-[0-9]{3,6}", fullmatch=True)),
        protocol=chosen,
        started_on=started_on,
        ended_on=ended_on,
        onset=onset,
        diagnosis=draw(st.none() | diagnoses()),
        contract=contract,
        inventory=inventory,
        life_events=tuple(draw(st.lists(life_events(), max_size=3))),
        formulation=formulation,
        schedule=schedule if draw(st.booleans()) else None,
        sessions=tuple(records),
        measurements=tuple(outside),
        goals=tuple(
            draw(
                st.lists(
                    treatment_goals(focus_areas=goal_areas, between=(started_on, end)), max_size=2
                )
            )
        ),
    )


_OUTCOMES = ("hold", "hold", "hold", "miss", "cancel", "cancel_by_therapist")


def _acute_records(
    draw: st.DrawFn, contract: TreatmentContract, max_records: int | None
) -> tuple[Schedule, list[SessionRecord]]:
    """A schedule from ``contract`` with its first sessions resolved, and their records."""
    schedule = Schedule.from_contract(contract, if_first_excluded="move")
    limit = contract.total + 4 if max_records is None else min(max_records, contract.total + 4)
    for outcome in draw(st.lists(st.sampled_from(_OUTCOMES), max_size=limit)):
        planned = [s for s in schedule.acute if s.status is SessionStatus.PLANNED]
        if not planned:
            break
        number = planned[0].number
        try:
            if outcome == "hold":
                schedule = schedule.hold(number)
            elif outcome == "miss":
                schedule = schedule.miss(number)
            else:
                schedule = schedule.cancel(number, by_therapist=outcome == "cancel_by_therapist")
        except (ValidationError, ScheduleError):
            break
    acute = [s for s in schedule.sessions if s.kind is SessionKind.ACUTE]
    resolved = [s for s in acute if s.status is not SessionStatus.PLANNED]
    room = len(acute) - len(resolved)
    if max_records is not None:
        room = max(min(room, max_records - len(resolved)), 0)
    rows = acute[: len(resolved) + draw(st.integers(0, room))]
    return schedule, [_record(draw, row, contract.focus_areas) for row in rows]


st.register_type_strategy(Diagnosis, diagnoses())
st.register_type_strategy(GoalRating, goal_ratings())
st.register_type_strategy(TreatmentGoal, treatment_goals())
st.register_type_strategy(Formulation, formulations())
st.register_type_strategy(
    FormulationRevision,
    st.builds(
        FormulationRevision,
        on=dates(),
        focus_areas=st.lists(st.sampled_from(FocusArea), min_size=1, max_size=2, unique=True).map(
            tuple
        ),
        reason=private_text(),
    ),
)
st.register_type_strategy(SessionRecord, session_records())
st.register_type_strategy(TreatmentCourse, courses())
