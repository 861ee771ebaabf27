"""Synthetic course documents for the benchmarks (JSON Lines, one course a line).

Every course is built with iptkit's public API, so every line is valid and in
the current schema version, and dumped with :func:`iptkit.dumps`: the corpus
cannot drift from the document iptkit reads.  A course of ``sessions`` records
has a contract, an inventory, life events, a formulation, a schedule planned
from the contract (:meth:`iptkit.Schedule.from_contract`, with maintenance
blocks when there are more records than the largest contract allows), its
session records made from the schedule
(:meth:`iptkit.SessionRecord.from_scheduled`), measurements and goals.  The
records are the acute sessions (up to the largest contract iptkit allows, 100)
and, beyond those, weekly maintenance sessions.  Records of held sessions carry
techniques, focus areas, a task, notes and (every fourth session) a PHQ-9 with
its item answers; some sessions were missed and count.

Building a course costs about as much as loading it, so a corpus is built
from a few hundred distinct courses written over and over, each copy with its
own patient id.

Private names of iptkit used here: none.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import iptkit
from iptkit import (
    ContingencyPolicy,
    Diagnosis,
    DiagnosisSystem,
    Expectation,
    ExpectationHolder,
    FocusArea,
    Formulation,
    Frequency,
    GoalRating,
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    MissedSessionPolicy,
    Obligation,
    Party,
    PartyRole,
    Phase,
    Relationship,
    RelationshipChange,
    RelationshipRole,
    Schedule,
    ScheduledSession,
    SessionRecord,
    SessionStatus,
    SessionTerms,
    TaskOutcome,
    Technique,
    TreatmentContract,
    TreatmentCourse,
    TreatmentGoal,
)
from iptkit.measures import GAD7, PHQ9, Measurement, from_total, score
from iptkit.protocols import STANDARD

__all__ = ["build_course", "distinct_lines", "write_corpus"]

#: Largest acute total a contract may have; further records are maintenance sessions.
MAX_ACUTE = 100
#: Largest block of maintenance sessions one plan may hold.
MAX_MAINTENANCE_BLOCK = 100
#: How many distinct courses a corpus cycles through.
DISTINCT = 200

_ZONES = ("Europe/London", "America/New_York", "Europe/Berlin", "Australia/Sydney")
_TECHNIQUES = tuple(Technique)
_ROLES = (
    RelationshipRole.PARTNER,
    RelationshipRole.PARENT,
    RelationshipRole.FRIEND,
    RelationshipRole.CO_WORKER,
    RelationshipRole.SIBLING,
)


def _words(rng: random.Random, count: int) -> str:
    vocabulary = ("talked", "about", "work", "partner", "sleep", "mood", "plans", "week", "call")
    return " ".join(rng.choice(vocabulary) for _ in range(count)).capitalize() + "."


def _inventory(rng: random.Random, started: dt.date) -> InterpersonalInventory:
    relationships = []
    for index in range(rng.randint(3, 5)):
        relationships.append(
            Relationship(
                label=f"P{index + 1}",
                role=_ROLES[index % len(_ROLES)],
                closeness=rng.randint(1, 5),
                positive_aspects=(_words(rng, 4),),
                negative_aspects=(_words(rng, 5),),
                expectations=(
                    Expectation(
                        held_by=ExpectationHolder.PATIENT,
                        description=_words(rng, 6),
                        met=rng.choice((True, False, None)),
                    ),
                ),
                confiding=rng.choice((True, False)),
                changes=(
                    RelationshipChange(
                        on=started - dt.timedelta(days=rng.randint(30, 300)),
                        description=_words(rng, 5),
                    ),
                ),
            )
        )
    return InterpersonalInventory(
        relationships=tuple(relationships),
        completed_on=started + dt.timedelta(days=21),
        social_style=_words(rng, 8),
    )


def _contract(
    rng: random.Random, acute: int, first: dt.datetime, zone: str, focus: tuple[FocusArea, ...]
) -> TreatmentContract:
    signed = first.date() - dt.timedelta(days=1)
    return TreatmentContract(
        protocol=STANDARD,
        sessions=SessionTerms(
            total=acute, frequency=Frequency.WEEKLY, minutes=50, first_session=first, zone=zone
        ),
        focus_areas=focus,
        contingency=ContingencyPolicy(
            missed=MissedSessionPolicy.COUNTS,
            max_missed=3,
            illness=_words(rng, 6),
            excluded_dates=(),
        ),
        parties=(
            Party(role=PartyRole.PATIENT, label="patient", signed_on=signed),
            Party(role=PartyRole.THERAPIST, label="therapist", signed_on=signed),
        ),
        obligations=(
            Obligation(role=PartyRole.PATIENT, description=_words(rng, 6)),
            Obligation(role=PartyRole.THERAPIST, description=_words(rng, 6)),
        ),
        crisis_plan=_words(rng, 10),
        maintenance_discussed=True,
    )


def build_course(seed: int, sessions: int) -> TreatmentCourse:
    """Build one valid course with ``sessions`` session records.

    Args:
        seed: seed of the random choices (same seed, same course).
        sessions: how many session records the course holds.

    Returns:
        The course.
    """
    rng = random.Random(seed)
    zone = rng.choice(_ZONES)
    acute = min(sessions, MAX_ACUTE)
    first_day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 365))
    first = dt.datetime.combine(first_day, dt.time(rng.choice((9, 10, 14))), ZoneInfo(zone))
    started = first_day - dt.timedelta(days=rng.randint(7, 30))
    focus = (rng.choice((FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION, FocusArea.GRIEF)),)
    contract = _contract(rng, acute, first, zone, focus)
    schedule = Schedule.from_contract(contract)
    for block in range(0, sessions - acute, MAX_MAINTENANCE_BLOCK):
        count = min(MAX_MAINTENANCE_BLOCK, sessions - acute - block)
        schedule = schedule.add_maintenance(count, frequency=Frequency.WEEKLY)
    ongoing = rng.random() < 0.3
    held_until = rng.randint(acute // 2, acute) if ongoing else acute
    records: list[SessionRecord] = []
    for planned in schedule.sessions:
        if planned.phase is not Phase.MAINTENANCE:
            if planned.number > held_until:
                status = SessionStatus.PLANNED
            else:
                status = SessionStatus.MISSED if rng.random() < 0.08 else SessionStatus.HELD
        else:
            status = SessionStatus.PLANNED if ongoing else SessionStatus.HELD
        records.append(_record(rng, planned, status, focus))
    last_day = records[-1].starts_at.date()
    ended = None if ongoing else last_day + dt.timedelta(days=7)
    return TreatmentCourse(
        patient_id=f"PT-{seed:06d}",
        protocol=STANDARD,
        started_on=started,
        ended_on=ended,
        onset=started - dt.timedelta(days=rng.randint(30, 200)),
        diagnosis=Diagnosis(system=DiagnosisSystem.ICD10, code="F32.1", recorded_on=started),
        contract=contract,
        inventory=_inventory(rng, started),
        life_events=(
            LifeEvent(
                LifeEventKind.JOB_LOSS, started - dt.timedelta(days=90), None, _words(rng, 5)
            ),
            LifeEvent(LifeEventKind.CONFLICT, started - dt.timedelta(days=40), "P1", None),
        ),
        formulation=Formulation(
            focus_areas=focus, agreed_on=first_day + dt.timedelta(days=14), linked_people=("P1",)
        ),
        schedule=schedule,
        sessions=tuple(records),
        measurements=(
            Measurement(taken_on=started, score=from_total(PHQ9, rng.randint(10, 24))),
            Measurement(taken_on=started, score=from_total(GAD7, rng.randint(5, 18))),
        ),
        goals=(
            TreatmentGoal(
                focus_area=focus[0],
                description=_words(rng, 7),
                set_on=first_day,
                ratings=tuple(
                    GoalRating(on=first_day + dt.timedelta(weeks=4 * k), progress=min(10, 2 * k))
                    for k in range(1, 4)
                ),
            ),
        ),
    )


def _record(
    rng: random.Random,
    planned: ScheduledSession,
    status: SessionStatus,
    focus: tuple[FocusArea, ...],
) -> SessionRecord:
    if status is not SessionStatus.HELD:
        return SessionRecord.from_scheduled(planned, status=status)
    number, phase = planned.number, planned.phase
    measured = number % 4 == 1
    items = [rng.randint(0, 3) for _ in range(9)]
    return SessionRecord.from_scheduled(
        planned,
        status=status,
        focus_areas=focus if number % 2 else (),
        techniques=tuple(rng.sample(_TECHNIQUES, 3)),
        task_set=_words(rng, 6),
        previous_task_outcome=rng.choice(tuple(TaskOutcome)) if number > 1 else None,
        sick_role_given=phase is Phase.INITIAL,
        ending_raised=phase is Phase.TERMINATION,
        risk_assessed=measured,
        scores=(score(PHQ9, items),) if measured else (),
        notes=_words(rng, 12),
    )


def distinct_lines(sessions: int, count: int = DISTINCT, seed: int = 0) -> list[str]:
    """Return ``count`` distinct course documents of ``sessions`` records as JSON text."""
    return [iptkit.dumps(build_course(seed + index, sessions)) for index in range(count)]


def _copies(templates: list[str], courses: int) -> Iterator[str]:
    """Yield ``courses`` lines, cycling through ``templates`` with fresh patient ids."""
    for index in range(courses):
        template = templates[index % len(templates)]
        # Every template holds one '"patient_id":"PT-nnnnnn"'; give each copy its own.
        head, _, tail = template.partition('"patient_id":"')
        yield f'{head}"patient_id":"PT-{index:06d}{tail[9:]}'


def write_corpus(path: Path, *, courses: int, sessions: int, seed: int = 0) -> int:
    """Write ``courses`` courses of ``sessions`` records to ``path``; return its size in bytes."""
    templates = distinct_lines(sessions, min(courses, DISTINCT), seed)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for line in _copies(templates, courses):
            out.write(line)
            out.write("\n")
    return path.stat().st_size
