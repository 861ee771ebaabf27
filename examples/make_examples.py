"""Write the example data in ``examples/data`` from Python code.

Three made-up courses of IPT, each built with iptkit's public API and written
as pretty JSON, and a small synthetic corpus for ``iptkit check``:

* ``adult_grief_16.json``: 16 weekly sessions of IPT-UK for a widow whose
  husband died four months before the onset; PHQ-9 falls to remission;
* ``adolescent_ipt_a.json``: 12 sessions of IPT-A for a 15-year-old in a role
  dispute with her mother, who is a party to the contract and joins three
  sessions (phases 1-4, 5-8, 9-12);
* ``missed_extension_maintenance.json``: a role transition with two missed
  sessions made up, an extension from 12 to 16 sessions agreed in the middle
  phase, and monthly maintenance sessions M1..M4;
* ``corpus.jsonl``: 200 synthetic courses (seed 7), a tenth broken on purpose.

Everything is fixed: running the script again rewrites the same bytes (the
tests check this).  No real person is described; people are labelled P1, P2...

Usage: ``python examples/make_examples.py [--out FOLDER]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import iptkit
from iptkit import (
    Amendment,
    ContactFrequency,
    ContingencyPolicy,
    Diagnosis,
    DiagnosisSystem,
    DisputeStage,
    Expectation,
    ExpectationHolder,
    FocusArea,
    Formulation,
    Frequency,
    GoalRating,
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    MaintenanceAgreement,
    MissedSessionPolicy,
    MonthlyBy,
    Obligation,
    Party,
    PartyRole,
    Phase,
    Relationship,
    RelationshipChange,
    RelationshipRole,
    Schedule,
    SessionKind,
    SessionRecord,
    SessionTerms,
    TaskOutcome,
    Technique,
    TreatmentContract,
    TreatmentCourse,
    TreatmentGoal,
    evolve,
)
from iptkit._cli._synth import write_corpus
from iptkit.measures import GAD7, PHQ9, Measurement, Score, from_total, score
from iptkit.protocols import ADOLESCENT, IPT_UK, STANDARD

#: Where the files go by default.
DATA = Path(__file__).resolve().parent / "data"

#: The corpus for the demo: how many courses, the seed and the broken share.
CORPUS = {"courses": 200, "seed": 7, "invalid_fraction": 0.1}


def _phq9(*answers: int) -> Score:
    return score(PHQ9, answers)


def _records(
    schedule: Schedule,
    content: dict[str, dict[str, Any]],
) -> tuple[SessionRecord, ...]:
    """The record of every session of ``schedule``, made-up misses included, in start order.

    ``content`` gives what happened at a session, by its label (``"3"``,
    ``"M2"``); a made-up miss has only the facts its planned session carries.
    """
    return tuple(
        SessionRecord.from_scheduled(
            session, **({} if session.made_up else content.get(session.label, {}))
        )
        for session in schedule.sessions
    )


def _day(schedule: Schedule, number: int, kind: SessionKind = SessionKind.ACUTE) -> dt.date:
    return schedule.session(number, kind).starts_at.date()


# --------------------------------------------------------------------------
# 1. Adult grief, IPT-UK, 16 sessions
# --------------------------------------------------------------------------


def adult_grief() -> TreatmentCourse:
    """A widow's 16-session IPT-UK course with a grief focus, ending in remission."""
    zone = "Europe/London"
    first = dt.datetime(2025, 2, 10, 10, 0, tzinfo=ZoneInfo(zone))
    contract = TreatmentContract(
        protocol=IPT_UK,
        sessions=SessionTerms(
            total=16, frequency=Frequency.WEEKLY, minutes=50, first_session=first, zone=zone
        ),
        focus_areas=(FocusArea.GRIEF,),
        contingency=ContingencyPolicy(missed=MissedSessionPolicy.MADE_UP, max_missed=2),
        parties=(
            Party(role=PartyRole.PATIENT, label="patient", signed_on=first.date()),
            Party(role=PartyRole.THERAPIST, label="T1", signed_on=first.date()),
        ),
        obligations=(
            Obligation(role=PartyRole.PATIENT, description="Attend weekly or give notice."),
            Obligation(role=PartyRole.THERAPIST, description="Keep the agreed time each week."),
        ),
        crisis_plan="Call the GP or the crisis line; out of hours, go to the emergency department.",
        maintenance_discussed=True,
    )
    schedule = Schedule.from_contract(contract)
    for number in range(1, 17):
        schedule = schedule.hold(number)
    phq = {
        1: _phq9(2, 3, 2, 3, 2, 2, 2, 1, 1),
        4: _phq9(2, 2, 2, 2, 2, 2, 2, 1, 0),
        8: _phq9(1, 2, 2, 2, 1, 2, 1, 1, 0),
        12: _phq9(1, 1, 1, 2, 1, 1, 1, 0, 0),
        16: _phq9(0, 1, 0, 1, 1, 0, 1, 0, 0),
    }
    gad = {
        1: score(GAD7, [2, 2, 2, 1, 1, 2, 1]),
        8: score(GAD7, [1, 1, 2, 1, 1, 1, 0]),
        16: score(GAD7, [0, 1, 1, 0, 0, 1, 0]),
    }
    middle = (Technique.ENCOURAGEMENT_OF_AFFECT, Technique.EXPLORATION)
    content: dict[str, dict[str, Any]] = {}
    for number in range(1, 17):
        phase = contract.phase_of(number)
        entry: dict[str, Any] = {
            "scores": tuple(s for s in (phq.get(number), gad.get(number)) if s is not None)
        }
        if phase is Phase.INITIAL:
            entry["techniques"] = (Technique.PSYCHOEDUCATION, Technique.INTERPERSONAL_INVENTORY)
        else:
            entry["focus_areas"] = (FocusArea.GRIEF,)
            entry["techniques"] = middle if phase is Phase.MIDDLE else (Technique.CLARIFICATION,)
        content[str(number)] = entry
    content["1"].update(sick_role_given=True, risk_assessed=True)
    content["6"].update(
        task_set="Look through the photographs from the wedding with the daughter.",
    )
    content["7"].update(previous_task_outcome=TaskOutcome.DONE)
    for number in range(12, 17):
        content[str(number)]["ending_raised"] = True
    for number in (15, 16):
        content[str(number)]["maintenance_discussed"] = True
    records = _records(schedule, content)
    return TreatmentCourse(
        patient_id="EX-GRIEF-01",
        protocol=IPT_UK,
        started_on=dt.date(2025, 2, 3),
        ended_on=_day(schedule, 16),
        onset=dt.date(2025, 1, 6),
        diagnosis=Diagnosis(system=DiagnosisSystem.ICD10, code="F32.1", recorded_on=first.date()),
        contract=contract,
        inventory=InterpersonalInventory(
            relationships=(
                Relationship(
                    label="P1",
                    role=RelationshipRole.PARTNER,
                    closeness=1,
                    contact=ContactFrequency.NONE,
                    positive_aspects=("Thirty years together; did everything as a pair.",),
                    deceased=True,
                    died_on=dt.date(2024, 9, 14),
                    changes=(
                        RelationshipChange(
                            on=dt.date(2024, 9, 14), description="Died after a short illness."
                        ),
                    ),
                ),
                Relationship(
                    label="P2",
                    role=RelationshipRole.CHILD,
                    closeness=2,
                    contact=ContactFrequency.WEEKLY,
                    confiding=True,
                ),
                Relationship(
                    label="P3",
                    role=RelationshipRole.FRIEND,
                    closeness=2,
                    contact=ContactFrequency.MONTHLY,
                    wished_changes=("See her more often, as before.",),
                ),
                Relationship(
                    label="P4",
                    role=RelationshipRole.SIBLING,
                    closeness=3,
                    contact=ContactFrequency.MONTHLY,
                ),
                Relationship(
                    label="P5",
                    role=RelationshipRole.NEIGHBOUR,
                    closeness=4,
                    contact=ContactFrequency.WEEKLY,
                ),
            ),
            completed_on=_day(schedule, 2),
        ),
        life_events=(
            LifeEvent(
                LifeEventKind.DEATH,
                dt.date(2024, 9, 14),
                "P1",
                "Husband died after a short illness.",
            ),
        ),
        formulation=Formulation(
            focus_areas=(FocusArea.GRIEF,), agreed_on=_day(schedule, 4), linked_people=("P1",)
        ),
        schedule=schedule,
        sessions=records,
        measurements=(
            # Screening at the assessment, before session 1.
            Measurement(taken_on=dt.date(2025, 2, 3), score=_phq9(2, 3, 2, 3, 2, 2, 2, 2, 0)),
        ),
        goals=(
            TreatmentGoal(
                focus_area=FocusArea.GRIEF,
                description="Talk about the loss with the family and take up the choir again.",
                set_on=_day(schedule, 4),
                ratings=tuple(
                    GoalRating(on=_day(schedule, n), progress=p)
                    for n, p in ((6, 2), (10, 5), (14, 7), (16, 8))
                ),
            ),
        ),
    )


# --------------------------------------------------------------------------
# 2. IPT-A, 12 sessions, role dispute with a parent
# --------------------------------------------------------------------------


def adolescent() -> TreatmentCourse:
    """A 15-year-old's IPT-A course: a role dispute with her mother, who joins three sessions."""
    zone = "America/New_York"
    first = dt.datetime(2025, 9, 16, 16, 0, tzinfo=ZoneInfo(zone))
    contract = TreatmentContract(
        protocol=ADOLESCENT,
        sessions=SessionTerms(
            total=12, frequency=Frequency.WEEKLY, minutes=45, first_session=first, zone=zone
        ),
        focus_areas=(FocusArea.ROLE_DISPUTE,),
        dispute_stage=DisputeStage.RENEGOTIATION,
        parties=(
            Party(role=PartyRole.PATIENT, label="patient", signed_on=first.date()),
            Party(role=PartyRole.PARENT_CARER, label="P1", signed_on=first.date()),
            Party(role=PartyRole.THERAPIST, label="T1", signed_on=first.date()),
        ),
        obligations=(
            Obligation(role=PartyRole.PATIENT, description="Come each week and try the tasks."),
            Obligation(
                role=PartyRole.PARENT_CARER,
                description="Bring her to sessions and join the first, a middle and the last.",
            ),
            Obligation(
                role=PartyRole.THERAPIST, description="Keep what is said private, except risk."
            ),
        ),
        crisis_plan="Tell a parent or the school counsellor; call the crisis line.",
        maintenance_discussed=True,
    )
    schedule = Schedule.from_contract(contract)
    for number in range(1, 13):
        schedule = schedule.hold(number)
    phq = {
        1: _phq9(2, 2, 2, 2, 1, 2, 2, 1, 0),
        3: _phq9(2, 2, 2, 2, 1, 2, 1, 1, 0),
        5: _phq9(2, 2, 1, 2, 1, 1, 1, 1, 0),
        7: _phq9(1, 2, 1, 1, 1, 1, 1, 1, 0),
        9: _phq9(1, 1, 1, 1, 1, 1, 1, 0, 0),
        11: _phq9(1, 1, 0, 1, 0, 1, 1, 0, 0),
        12: _phq9(0, 1, 0, 1, 0, 1, 0, 0, 0),
    }
    content: dict[str, dict[str, Any]] = {}
    for number in range(1, 13):
        phase = contract.phase_of(number)
        entry: dict[str, Any] = {"scores": (phq[number],) if number in phq else ()}
        if phase is Phase.INITIAL:
            entry["techniques"] = (Technique.PSYCHOEDUCATION, Technique.CLOSENESS_CIRCLE)
        elif phase is Phase.MIDDLE:
            entry["focus_areas"] = (FocusArea.ROLE_DISPUTE,)
            entry["techniques"] = (Technique.COMMUNICATION_ANALYSIS, Technique.ROLE_PLAY)
        else:
            entry["focus_areas"] = (FocusArea.ROLE_DISPUTE,)
            entry["techniques"] = (Technique.CLARIFICATION, Technique.ENCOURAGEMENT_OF_AFFECT)
        content[str(number)] = entry
    content["1"].update(sick_role_given=True, risk_assessed=True, parent_present=True)
    content["6"].update(
        parent_present=True,
        techniques=(Technique.COMMUNICATION_ANALYSIS, Technique.EXPECTATION_CLARIFICATION),
        task_set="Ask for one evening out a week and say when she will be home.",
    )
    content["7"].update(previous_task_outcome=TaskOutcome.PARTLY_DONE)
    content["12"].update(parent_present=True, maintenance_discussed=True)
    for number in (8, 9, 10, 11, 12):
        content[str(number)]["ending_raised"] = True
    return TreatmentCourse(
        patient_id="EX-TEEN-01",
        protocol=ADOLESCENT,
        started_on=dt.date(2025, 9, 8),
        ended_on=_day(schedule, 12),
        onset=dt.date(2025, 6, 20),
        diagnosis=Diagnosis(system=DiagnosisSystem.DSM5, code="296.22", recorded_on=first.date()),
        contract=contract,
        inventory=InterpersonalInventory(
            relationships=(
                Relationship(
                    label="P1",
                    role=RelationshipRole.PARENT,
                    closeness=2,
                    contact=ContactFrequency.DAILY,
                    in_dispute=True,
                    dispute_stage=DisputeStage.RENEGOTIATION,
                    expectations=(
                        Expectation(
                            held_by=ExpectationHolder.PATIENT,
                            description="To be trusted to go out with friends.",
                            met=False,
                        ),
                        Expectation(
                            held_by=ExpectationHolder.OTHER,
                            description="To know where she is and be told in time.",
                            met=False,
                        ),
                    ),
                    changes=(
                        RelationshipChange(
                            on=dt.date(2025, 4, 1),
                            description="Arguments about going out became daily.",
                            approximate=True,
                        ),
                    ),
                ),
                Relationship(
                    label="P2",
                    role=RelationshipRole.PARENT,
                    closeness=2,
                    contact=ContactFrequency.WEEKLY,
                ),
                Relationship(
                    label="P3",
                    role=RelationshipRole.SIBLING,
                    closeness=3,
                    contact=ContactFrequency.DAILY,
                ),
                Relationship(
                    label="P4",
                    role=RelationshipRole.FRIEND,
                    closeness=1,
                    contact=ContactFrequency.DAILY,
                    confiding=True,
                ),
                Relationship(
                    label="P5",
                    role=RelationshipRole.TEACHER,
                    closeness=4,
                    contact=ContactFrequency.WEEKLY,
                ),
            ),
            completed_on=_day(schedule, 3),
        ),
        life_events=(
            LifeEvent(
                LifeEventKind.CONFLICT,
                dt.date(2025, 4, 1),
                "P1",
                "Daily arguments with her mother about going out.",
            ),
        ),
        formulation=Formulation(
            focus_areas=(FocusArea.ROLE_DISPUTE,),
            agreed_on=_day(schedule, 4),
            linked_people=("P1",),
        ),
        schedule=schedule,
        sessions=_records(schedule, content),
        goals=(
            TreatmentGoal(
                focus_area=FocusArea.ROLE_DISPUTE,
                description="Agree rules about going out with her mother, with fewer arguments.",
                set_on=_day(schedule, 4),
                ratings=tuple(
                    GoalRating(on=_day(schedule, n), progress=p)
                    for n, p in ((5, 1), (8, 4), (10, 6), (12, 8))
                ),
            ),
        ),
    )


# --------------------------------------------------------------------------
# 3. Missed and made-up sessions, an extension, and maintenance
# --------------------------------------------------------------------------


def missed_extension_maintenance() -> TreatmentCourse:
    """A role transition: two misses made up, 12 extended to 16, then monthly M1..M4."""
    zone = "America/Chicago"
    first = dt.datetime(2025, 1, 9, 9, 30, tzinfo=ZoneInfo(zone))
    holiday = dt.date(2025, 3, 20)  # the therapist is away that week
    base = TreatmentContract(
        protocol=STANDARD,
        sessions=SessionTerms(
            total=12, frequency=Frequency.WEEKLY, minutes=50, first_session=first, zone=zone
        ),
        focus_areas=(FocusArea.ROLE_TRANSITION,),
        contingency=ContingencyPolicy(
            missed=MissedSessionPolicy.MADE_UP, max_missed=3, excluded_dates=(holiday,)
        ),
        parties=(
            Party(role=PartyRole.PATIENT, label="patient", signed_on=first.date()),
            Party(role=PartyRole.THERAPIST, label="T1", signed_on=first.date()),
        ),
        crisis_plan="Call the clinic's duty line in office hours; otherwise 988.",
    )
    reason = "Slower response than hoped; four more sessions agreed in the middle phase."
    schedule = Schedule.from_contract(base)
    schedule = schedule.hold(1).hold(2)
    schedule = schedule.miss(3, make_up=True)  # no show: session 3 moves on a week
    schedule = schedule.hold(3).hold(4).hold(5).hold(6)
    schedule = schedule.cancel(7, make_up=True)  # cancelled by the patient, made up
    schedule = schedule.hold(7)
    agreed = _day(schedule, 7)
    schedule = schedule.extend(16, on=agreed, reason=reason)
    for number in range(8, 17):
        schedule = schedule.hold(number)
    last_acute = schedule.session(16).starts_at
    agreement = MaintenanceAgreement(
        agreed_on=last_acute.date(),
        frequency=Frequency.MONTHLY,
        minutes=50,
        first_session=dt.datetime(2025, 6, 26, 9, 30, tzinfo=ZoneInfo(zone)),
        zone=zone,
        count=4,
        # This service books maintenance by the day of the month (the default keeps
        # the weekday: "fourth Thursday").
        monthly_by=MonthlyBy.DAY_OF_MONTH,
    )
    schedule = schedule.add_agreement(agreement)
    for number in (1, 2, 3):
        schedule = schedule.hold(number, kind=SessionKind.MAINTENANCE)
    contract = evolve(
        base,
        amendments=(Amendment(agreed_on=agreed, new_total=16, reason=reason),),
        maintenance_discussed=True,
    )
    phq = {
        1: _phq9(2, 2, 3, 2, 2, 2, 2, 1, 0),
        4: _phq9(2, 2, 2, 2, 2, 2, 2, 1, 0),
        7: _phq9(2, 2, 2, 2, 1, 2, 2, 1, 0),
        10: _phq9(1, 2, 2, 1, 1, 2, 1, 1, 0),
        13: _phq9(1, 1, 1, 1, 1, 1, 1, 0, 0),
        16: _phq9(1, 1, 0, 1, 0, 1, 0, 0, 0),
    }
    content: dict[str, dict[str, Any]] = {}
    for session in schedule.acute:
        number = session.number
        entry: dict[str, Any] = {"scores": (phq[number],) if number in phq else ()}
        if session.phase is not Phase.INITIAL:
            entry["focus_areas"] = (FocusArea.ROLE_TRANSITION,)
            entry["techniques"] = (Technique.DECISION_ANALYSIS, Technique.ROLE_PLAY)
        else:
            entry["techniques"] = (Technique.PSYCHOEDUCATION, Technique.INTERPERSONAL_INVENTORY)
        content[str(number)] = entry
    content["1"].update(sick_role_given=True, risk_assessed=True)
    for number in range(12, 17):
        content[str(number)]["ending_raised"] = True
    content["16"]["maintenance_discussed"] = True
    for number, total in ((1, 6), (2, 5), (3, 6)):
        content[f"M{number}"] = {
            "focus_areas": (FocusArea.ROLE_TRANSITION,),
            "techniques": (Technique.CLARIFICATION,),
            "scores": (from_total(PHQ9, total, safety_item=0),),
        }
    return TreatmentCourse(
        patient_id="EX-MEM-01",
        protocol=STANDARD,
        started_on=dt.date(2024, 12, 30),
        onset=dt.date(2024, 10, 1),
        diagnosis=Diagnosis(system=DiagnosisSystem.ICD11, code="6A70.1", recorded_on=first.date()),
        contract=contract,
        maintenance=agreement,
        inventory=InterpersonalInventory(
            relationships=(
                Relationship(
                    label="P1",
                    role=RelationshipRole.PARTNER,
                    closeness=1,
                    contact=ContactFrequency.DAILY,
                    confiding=True,
                ),
                Relationship(
                    label="P2",
                    role=RelationshipRole.MANAGER,
                    closeness=4,
                    contact=ContactFrequency.DAILY,
                    changes=(
                        RelationshipChange(
                            on=dt.date(2024, 8, 5), description="New manager with the new job."
                        ),
                    ),
                ),
                Relationship(
                    label="P3",
                    role=RelationshipRole.CO_WORKER,
                    closeness=3,
                    contact=ContactFrequency.DAILY,
                ),
                Relationship(
                    label="P4",
                    role=RelationshipRole.PARENT,
                    closeness=2,
                    contact=ContactFrequency.WEEKLY,
                ),
                Relationship(
                    label="P5",
                    role=RelationshipRole.FRIEND,
                    closeness=3,
                    contact=ContactFrequency.RARELY,
                    wished_changes=("Keep in touch since the move.",),
                ),
            ),
            completed_on=_day(schedule, 2),
        ),
        life_events=(
            LifeEvent(
                LifeEventKind.NEW_JOB, dt.date(2024, 8, 5), None, "Promoted to lead a new team."
            ),
            LifeEvent(
                LifeEventKind.RELOCATION, dt.date(2024, 8, 1), None, "Moved city for the job."
            ),
        ),
        formulation=Formulation(
            focus_areas=(FocusArea.ROLE_TRANSITION,), agreed_on=_day(schedule, 3)
        ),
        schedule=schedule,
        sessions=_records(schedule, content),
        goals=(
            TreatmentGoal(
                focus_area=FocusArea.ROLE_TRANSITION,
                description="Feel able to lead the team and ask for help when needed.",
                set_on=_day(schedule, 3),
                ratings=tuple(
                    GoalRating(on=_day(schedule, n), progress=p)
                    for n, p in ((5, 2), (9, 3), (13, 6), (16, 7))
                ),
            ),
        ),
    )


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def build_all() -> dict[str, str]:
    """Return every example file's name and text."""
    files = {
        "adult_grief_16.json": adult_grief(),
        "adolescent_ipt_a.json": adolescent(),
        "missed_extension_maintenance.json": missed_extension_maintenance(),
    }
    texts = {name: iptkit.dumps(course, indent=2) + "\n" for name, course in files.items()}
    corpus = io.StringIO()
    write_corpus(corpus, **CORPUS)  # type: ignore[arg-type]
    texts["corpus.jsonl"] = corpus.getvalue()
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    """Write the example files and return a process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write (default: data)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in build_all().items():
        (args.out / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
