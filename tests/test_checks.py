"""Protocol-adherence findings: iptkit.check, Finding, Severity, CheckConfig.

Each check is tested with a small course built to produce its finding and a
neighbouring one that must not, starting from a course that follows the
protocol in every respect.  Facts come from the domain reference: §8 lists
the adherence checks, §2.4 the number of focus areas, §4 the protocol
ranges, §7 the measures and their safety items.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from iptkit import (
    CHECKS,
    Amendment,
    CheckConfig,
    ContingencyPolicy,
    Diagnosis,
    DiagnosisSystem,
    DisputeStage,
    Finding,
    FocusArea,
    Format,
    Formulation,
    FormulationRevision,
    Frequency,
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    MaintenanceAgreement,
    Party,
    PartyRole,
    Phase,
    Protocol,
    Relationship,
    RelationshipRole,
    SessionKind,
    SessionRecord,
    SessionStatus,
    SessionTerms,
    Severity,
    TreatmentContract,
    TreatmentCourse,
    ValidationError,
    check,
    classify,
    evolve,
    phase_of,
)
from iptkit._checks import _Facts, _possible_areas
from iptkit.measures import BDI2, PHQ9, Measurement, from_total, score
from iptkit.protocols import GROUP, IPT_UK, STANDARD, STUART
from iptkit.testing import courses

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: Session 1 of every example course: Monday 2 March 2026, 09:00 UTC; weekly after.
FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
STARTED = FIRST.date() - dt.timedelta(days=14)
ONSET = STARTED - dt.timedelta(days=90)
CODES = tuple(info.code for info in CHECKS)


def day_of(number: int) -> dt.date:
    """The date of weekly session ``number``."""
    return FIRST.date() + dt.timedelta(weeks=number - 1)


def make_contract(total: int = 12, protocol: Protocol = STANDARD, **changes: Any) -> Any:
    """A contract that follows ``protocol``: signed at session 1, a role-transition focus."""
    terms = SessionTerms(
        total=total,
        frequency=changes.pop("frequency", Frequency.WEEKLY),
        minutes=changes.pop("minutes", 50),
        first_session=FIRST,
        zone="UTC",
    )
    signed = changes.pop("signed_on", FIRST.date())
    fields: dict[str, Any] = {
        "protocol": protocol,
        "sessions": terms,
        "focus_areas": (FocusArea.ROLE_TRANSITION,),
        "parties": (
            Party(role=PartyRole.PATIENT, label="PT", signed_on=signed),
            Party(role=PartyRole.THERAPIST, label="TH", signed_on=FIRST.date()),
        ),
    }
    fields.update(changes)
    return TreatmentContract(**fields)


def make_records(
    held: int,
    contract: TreatmentContract | None,
    protocol: Protocol,
    *,
    planned: int = 0,
    edit: Mapping[int, Mapping[str, Any]] | None = None,
) -> tuple[SessionRecord, ...]:
    """Weekly acute records 1..held attended, then ``planned`` more still planned.

    Every held session is measured (PHQ-9 total 10, item 9 at 0); the sick role is given at
    session 1, the ending raised from three sessions before the end, and
    maintenance discussed at the last contracted session.  ``edit`` replaces
    fields of the record with a given number.
    """
    total = contract.total if contract is not None else protocol.typical_sessions
    records = []
    for number in range(1, held + planned + 1):
        is_held = number <= held
        in_force = total
        if contract is not None:
            in_force = contract.sessions.total
            for amendment in contract.amendments:
                if amendment.agreed_on <= day_of(number):
                    in_force = amendment.new_total
        fields: dict[str, Any] = {
            "number": number,
            "starts_at": FIRST + dt.timedelta(weeks=number - 1),
            "minutes": 50,
            "status": SessionStatus.HELD if is_held else SessionStatus.PLANNED,
            "phase": phase_of(number, max(in_force, number), protocol),
            "focus_areas": contract.focus_areas if contract is not None and is_held else (),
            "sick_role_given": is_held and number == 1,
            "ending_raised": is_held and number >= total - 3,
            "maintenance_discussed": is_held and number == total,
            "scores": (from_total(PHQ9, 10, safety_item=0),) if is_held else (),
        }
        fields.update((edit or {}).get(number, {}))
        records.append(SessionRecord(**fields))
    return tuple(records)


def build(
    held: int = 12,
    *,
    total: int = 12,
    protocol: Protocol = STANDARD,
    planned: int = 0,
    edit: Mapping[int, Mapping[str, Any]] | None = None,
    contract: TreatmentContract | bool | None = True,
    **fields: Any,
) -> TreatmentCourse:
    """A course that follows ``protocol`` in every respect, unless told otherwise.

    ``contract=True`` makes the default contract for ``total`` sessions,
    ``None`` leaves it out; other course fields replace the defaults.
    """
    chosen = make_contract(total, protocol) if contract is True else contract
    if chosen is False:
        chosen = None
    assert chosen is None or isinstance(chosen, TreatmentContract)
    defaults: dict[str, Any] = {
        "patient_id": "AB-1001",
        "protocol": protocol,
        "started_on": STARTED,
        "onset": ONSET,
        "diagnosis": Diagnosis(system=DiagnosisSystem.ICD10, code="F32.1", recorded_on=day_of(1)),
        "contract": chosen,
        "inventory": InterpersonalInventory(
            relationships=(
                Relationship(
                    label="P1", role=RelationshipRole.PARTNER, closeness=1, confiding=True
                ),
            ),
            completed_on=day_of(2),
        ),
        "life_events": (LifeEvent(LifeEventKind.RELOCATION, ONSET - dt.timedelta(days=30)),),
        "sessions": make_records(held, chosen, protocol, planned=planned, edit=edit),
    }
    defaults.update(fields)
    return TreatmentCourse(**defaults)


def codes(course: TreatmentCourse, **kwargs: Any) -> list[str]:
    """The codes of the findings of ``course``, in order."""
    return [finding.code for finding in check(course, **kwargs)]


def only(course: TreatmentCourse, code: str, **kwargs: Any) -> list[tuple[str, Severity]]:
    """(path, severity) of each finding of ``code``."""
    return [(f.path, f.severity) for f in check(course, **kwargs) if f.code == code]


W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO


class TestCompliantCourse:
    """The baseline the example tests start from."""

    def test_complete_course_has_no_findings(self) -> None:
        """A course that follows the standard protocol in every respect has no findings."""
        assert check(build()) == ()

    def test_course_under_way_has_no_findings(self) -> None:
        """A course in its middle phase, with the rest planned, has no findings."""
        assert check(build(6, planned=6)) == ()

    def test_referral_has_no_findings(self) -> None:
        """A course just referred, with nothing recorded yet, has nothing due."""
        course = TreatmentCourse(patient_id="AB-1", started_on=STARTED)
        assert check(course) == ()


class TestContractChecks:
    """§8.1: a contract exists by the end of the initial phase."""

    def test_contract_missing(self) -> None:
        """No contract once the initial phase (3 sessions, standard) is over is a finding."""
        course = build(4, contract=None)
        assert only(course, "contract_missing") == [("$.contract", W)]

    def test_contract_missing_not_before_the_end_of_the_initial_phase(self) -> None:
        """During the initial phase a missing contract is not yet a departure."""
        assert "contract_missing" not in codes(build(2, contract=None))

    def test_contract_late(self) -> None:
        """A signature dated after session 3, the last initial session, is late."""
        contract = make_contract(signed_on=day_of(3) + dt.timedelta(days=1))
        assert only(build(contract=contract), "contract_late") == [
            ("$.contract.parties[0].signed_on", W)
        ]

    def test_contract_signed_at_the_last_initial_session_is_in_time(self) -> None:
        """A signature on the day of the last initial session is in time."""
        contract = make_contract(signed_on=day_of(3))
        assert "contract_late" not in codes(build(contract=contract))

    def test_contract_unsigned(self) -> None:
        """A contract with no signature date is reported for information."""
        contract = make_contract(parties=())
        assert only(build(contract=contract), "contract_unsigned") == [("$.contract.parties", INFO)]

    def test_signed_contract_is_not_unsigned(self) -> None:
        """One dated signature is enough."""
        assert "contract_unsigned" not in codes(build())


class TestDiagnosisAndBaseline:
    """§8.2: a diagnosis and a baseline symptom score in the initial phase."""

    def test_diagnosis_missing(self) -> None:
        """No diagnosis after the initial phase is a finding."""
        assert only(build(diagnosis=None), "diagnosis_missing") == [("$.diagnosis", W)]

    def test_diagnosis_missing_not_yet_due(self) -> None:
        """No diagnosis at session 2 is not yet a finding."""
        assert "diagnosis_missing" not in codes(build(2, planned=10, diagnosis=None))

    def test_diagnosis_late(self) -> None:
        """A diagnosis recorded after session 3 is late."""
        late = Diagnosis(system=DiagnosisSystem.DSM5, code="296.22", recorded_on=day_of(4))
        assert only(build(diagnosis=late), "diagnosis_late") == [("$.diagnosis.recorded_on", W)]

    def test_diagnosis_at_the_last_initial_session_is_in_time(self) -> None:
        """A diagnosis recorded on the day of session 3 is in time."""
        ok = Diagnosis(system=DiagnosisSystem.DSM5, code="296.22", recorded_on=day_of(3))
        assert "diagnosis_late" not in codes(build(diagnosis=ok))

    def test_baseline_missing(self) -> None:
        """No score at sessions 1-3 is a finding at the last initial session."""
        course = build(edit={n: {"scores": ()} for n in (1, 2, 3)})
        assert only(course, "baseline_missing") == [("$.sessions[2]", W)]

    def test_screening_measure_is_a_baseline(self) -> None:
        """A measure taken at referral, outside any session, is a baseline."""
        screening = Measurement(taken_on=STARTED, score=from_total(PHQ9, 15))
        course = build(edit={n: {"scores": ()} for n in (1, 2, 3)}, measurements=(screening,))
        assert "baseline_missing" not in codes(course)

    def test_initial_phase_of_the_protocol_judged(self) -> None:
        """IPT-UK's initial phase runs to session 4 (§3.1): a score at 4 is a baseline there."""
        edit = {n: {"scores": ()} for n in (1, 2, 3)}
        course = build(16, total=16, protocol=IPT_UK, edit=edit)
        assert "baseline_missing" not in codes(course)
        assert only(course, "baseline_missing", protocol=STANDARD) == [("$.sessions[2]", W)]


class TestSickRole:
    """§8.3 and §3.2: the sick role is given in the initial phase."""

    def test_sick_role_missing(self) -> None:
        """No initial-phase record with the sick role given is a finding."""
        course = build(edit={1: {"sick_role_given": False}})
        assert only(course, "sick_role_missing") == [("$.sessions", W)]

    def test_sick_role_at_the_last_initial_session(self) -> None:
        """The sick role given at session 3 of a standard course is in time."""
        course = build(edit={1: {"sick_role_given": False}, 3: {"sick_role_given": True}})
        assert "sick_role_missing" not in codes(course)

    def test_judged_against_another_protocol(self) -> None:
        """Session 4 is initial under IPT-UK (1-4) but not under the standard protocol (1-3)."""
        edit = {1: {"sick_role_given": False}, 4: {"sick_role_given": True}}
        course = build(16, total=16, protocol=IPT_UK, edit=edit)
        assert "sick_role_missing" not in codes(course)
        assert "sick_role_missing" in codes(course, protocol=STANDARD)

    def test_not_due_during_the_initial_phase(self) -> None:
        """At session 2 the sick role may still be given."""
        course = build(2, planned=10, edit={1: {"sick_role_given": False}})
        assert "sick_role_missing" not in codes(course)


class TestInventory:
    """§8.4 and §5: an inventory listing someone by the end of the initial phase."""

    def test_inventory_missing(self) -> None:
        """No inventory after the initial phase is a finding."""
        assert only(build(inventory=None), "inventory_missing") == [("$.inventory", W)]

    def test_inventory_late(self) -> None:
        """An inventory completed after session 3 is late."""
        late = InterpersonalInventory(
            relationships=(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2),),
            completed_on=day_of(5),
        )
        assert only(build(inventory=late), "inventory_late") == [("$.inventory.completed_on", W)]

    def test_inventory_without_a_date_is_not_late(self) -> None:
        """An inventory with no completion date cannot be judged late."""
        undated = InterpersonalInventory(
            relationships=(Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=2),)
        )
        assert "inventory_late" not in codes(build(inventory=undated))

    def test_inventory_empty(self) -> None:
        """An inventory that lists nobody is a finding."""
        empty = InterpersonalInventory(completed_on=day_of(2))
        assert only(build(inventory=empty), "inventory_empty") == [("$.inventory.relationships", W)]

    def test_inventory_with_someone_is_not_empty(self) -> None:
        """One person is enough (§8.4: at least one person)."""
        assert "inventory_empty" not in codes(build())


class TestFocus:
    """§8.5 and §2.4: what the recorded focus may be."""

    def test_three_focus_areas(self) -> None:
        """Three focus areas exceed the two the standard protocol allows (§2.4)."""
        three = (FocusArea.ROLE_TRANSITION, FocusArea.ROLE_DISPUTE, FocusArea.GRIEF)
        contract = make_contract(focus_areas=three, dispute_stage=DisputeStage.IMPASSE)
        assert only(build(contract=contract), "too_many_focus_areas") == [
            ("$.contract.focus_areas", W)
        ]

    def test_two_focus_areas_are_allowed(self) -> None:
        """Two linked focus areas are within the limit (§2.4)."""
        two = (FocusArea.ROLE_TRANSITION, FocusArea.ROLE_DISPUTE)
        contract = make_contract(focus_areas=two, dispute_stage=DisputeStage.IMPASSE)
        assert "too_many_focus_areas" not in codes(build(contract=contract))

    def test_deficits_not_recognised_by_stuart(self) -> None:
        """Stuart & Robertson have no interpersonal-deficits problem area (§2.1)."""
        contract = make_contract(
            protocol=STUART, focus_areas=(FocusArea.INTERPERSONAL_DEFICITS,), minutes=50
        )
        course = build(contract=contract, protocol=STUART, life_events=())
        assert only(course, "focus_not_recognised") == [("$.contract.focus_areas[0]", W)]

    def test_deficits_recognised_by_the_standard_protocol(self) -> None:
        """Weissman's four areas include interpersonal deficits (§2.1)."""
        contract = make_contract(focus_areas=(FocusArea.INTERPERSONAL_DEFICITS,))
        assert "focus_not_recognised" not in codes(build(contract=contract, life_events=()))

    def test_grief_without_death(self) -> None:
        """Grief needs a death (§2.2 rule 1)."""
        contract = make_contract(focus_areas=(FocusArea.GRIEF,))
        assert only(build(contract=contract), "grief_without_death") == [
            ("$.contract.focus_areas", W)
        ]

    def test_grief_with_a_death_event(self) -> None:
        """A death among the life events supports a grief focus."""
        contract = make_contract(focus_areas=(FocusArea.GRIEF,))
        death = LifeEvent(LifeEventKind.DEATH, ONSET - dt.timedelta(days=20))
        assert "grief_without_death" not in codes(build(contract=contract, life_events=(death,)))

    def test_grief_with_a_deceased_person(self) -> None:
        """A deceased person in the inventory supports a grief focus (§5)."""
        contract = make_contract(focus_areas=(FocusArea.GRIEF,))
        inventory = InterpersonalInventory(
            relationships=(
                Relationship(label="M", role=RelationshipRole.PARENT, closeness=1, deceased=True),
            ),
            completed_on=day_of(2),
        )
        assert "grief_without_death" not in codes(build(contract=contract, inventory=inventory))

    def test_dispute_without_person_or_stage(self) -> None:
        """A dispute needs a named other person and a stage (§8.5, §2.3)."""
        contract = make_contract(focus_areas=(FocusArea.ROLE_DISPUTE,))
        course = build(contract=contract)
        assert only(course, "dispute_without_person") == [("$.contract.focus_areas", W)]
        assert only(course, "dispute_without_stage") == [("$.contract.dispute_stage", W)]

    def test_dispute_with_person_and_stage(self) -> None:
        """A person in dispute with a stage in the inventory satisfies both checks."""
        contract = make_contract(focus_areas=(FocusArea.ROLE_DISPUTE,))
        inventory = InterpersonalInventory(
            relationships=(
                Relationship(
                    label="P1",
                    role=RelationshipRole.PARTNER,
                    closeness=1,
                    in_dispute=True,
                    dispute_stage=DisputeStage.RENEGOTIATION,
                ),
            ),
            completed_on=day_of(2),
        )
        found = codes(build(contract=contract, inventory=inventory))
        assert "dispute_without_person" not in found
        assert "dispute_without_stage" not in found

    def test_stage_on_the_contract(self) -> None:
        """A stage recorded on the contract is a stage."""
        contract = make_contract(
            focus_areas=(FocusArea.ROLE_DISPUTE,), dispute_stage=DisputeStage.IMPASSE
        )
        assert "dispute_without_stage" not in codes(build(contract=contract))

    def test_deficits_despite_a_recent_transition(self) -> None:
        """Deficits is the last resort: not with a job loss two months before onset (§2.2)."""
        contract = make_contract(focus_areas=(FocusArea.INTERPERSONAL_DEFICITS,))
        event = LifeEvent(LifeEventKind.JOB_LOSS, ONSET - dt.timedelta(days=60))
        course = build(contract=contract, life_events=(event,))
        assert only(course, "deficits_despite_events") == [("$.contract.focus_areas", W)]

    def test_deficits_with_only_old_events(self) -> None:
        """An event years before onset is outside the timing window (§2.2 rule 3)."""
        contract = make_contract(focus_areas=(FocusArea.INTERPERSONAL_DEFICITS,))
        event = LifeEvent(LifeEventKind.JOB_LOSS, ONSET - dt.timedelta(days=5 * 365))
        assert "deficits_despite_events" not in codes(
            build(contract=contract, life_events=(event,))
        )

    def test_focus_differs_from_evidence(self) -> None:
        """A death near onset points to grief; a transition focus is reported for information."""
        death = LifeEvent(LifeEventKind.DEATH, ONSET - dt.timedelta(days=20), "P1")
        course = build(life_events=(death,))
        assert only(course, "focus_differs_from_evidence") == [("$.contract.focus_areas", INFO)]

    def test_focus_agrees_with_evidence(self) -> None:
        """A relocation before onset points to the recorded role transition."""
        assert "focus_differs_from_evidence" not in codes(build())

    def test_no_evidence_no_comparison(self) -> None:
        """Without a proposal from the classifier there is nothing to disagree with."""
        assert "focus_differs_from_evidence" not in codes(build(life_events=(), inventory=None))

    def test_stuart_rules_for_stuart(self) -> None:
        """Under Stuart's rules a divorce is grief and loss (§2.1, §9); under Weissman's not."""
        divorce = LifeEvent(LifeEventKind.DIVORCE, ONSET - dt.timedelta(days=20))
        grief = (FocusArea.GRIEF,)
        stuart = build(
            contract=make_contract(protocol=STUART, focus_areas=grief, minutes=50),
            protocol=STUART,
            life_events=(divorce,),
            inventory=None,
        )
        assert "focus_differs_from_evidence" not in codes(stuart)
        standard = build(
            contract=make_contract(focus_areas=grief), life_events=(divorce,), inventory=None
        )
        assert "focus_differs_from_evidence" in codes(standard)


class TestFocusChange:
    """§8.11 and §6: the focus changes only by an explicit renegotiation."""

    def test_focus_not_agreed(self) -> None:
        """Working on a dispute when only a transition was agreed is a finding."""
        course = build(edit={6: {"focus_areas": (FocusArea.ROLE_DISPUTE,)}})
        assert only(course, "focus_not_agreed") == [("$.sessions[5].focus_areas", W)]

    def test_renegotiated_focus(self) -> None:
        """A formulation revision dated before the session makes the new focus agreed."""
        formulation = Formulation(
            focus_areas=(FocusArea.ROLE_TRANSITION,),
            agreed_on=day_of(3),
            revisions=(
                FormulationRevision(
                    on=day_of(6), focus_areas=(FocusArea.ROLE_DISPUTE,), reason="renegotiated"
                ),
            ),
        )
        edit = {n: {"focus_areas": (FocusArea.ROLE_DISPUTE,)} for n in range(6, 13)}
        course = build(edit=edit, formulation=formulation)
        assert "focus_not_agreed" not in codes(course)
        sooner = {n: {"focus_areas": (FocusArea.ROLE_DISPUTE,)} for n in range(5, 13)}
        early = build(edit=sooner, formulation=formulation)
        assert only(early, "focus_not_agreed") == [("$.sessions[4].focus_areas", W)]


class TestProtocolRanges:
    """§4 and §8.6: the contract within the protocol's ranges."""

    def test_twenty_sessions_on_the_standard_protocol(self) -> None:
        """20 sessions exceed the standard protocol's 16 (§4: some trials ran to 20)."""
        assert only(build(20, total=20), "total_outside_protocol") == [
            ("$.contract.sessions.total", W)
        ]

    def test_sixteen_sessions_on_the_standard_protocol(self) -> None:
        """16 is within 8-16."""
        assert "total_outside_protocol" not in codes(build(16, total=16))

    def test_amendment_beyond_protocol(self) -> None:
        """Extending a 16-session course to 20 goes beyond the protocol's maximum."""
        extended = make_contract(
            16, amendments=(Amendment(agreed_on=day_of(5), new_total=20, reason="slow start"),)
        )
        course = build(20, total=20, contract=extended)
        assert only(course, "amendment_beyond_protocol") == [
            ("$.contract.amendments[0].new_total", W)
        ]

    def test_amendment_within_protocol(self) -> None:
        """Extending a 12-session course to 16 stays within 8-16."""
        extended = make_contract(
            12, amendments=(Amendment(agreed_on=day_of(5), new_total=16, reason="slow start"),)
        )
        assert "amendment_beyond_protocol" not in codes(build(16, total=16, contract=extended))

    def test_minutes_outside_protocol(self) -> None:
        """90-minute sessions are outside the standard 45-50 minutes."""
        contract = make_contract(minutes=90)
        assert only(build(contract=contract), "minutes_outside_protocol") == [
            ("$.contract.sessions.minutes", W)
        ]

    def test_minutes_at_the_edge(self) -> None:
        """45 minutes is within 45-50."""
        contract = make_contract(minutes=45)
        assert "minutes_outside_protocol" not in codes(build(contract=contract))

    def test_frequency_outside_protocol(self) -> None:
        """Fortnightly sessions are not a standard-protocol frequency."""
        contract = make_contract(frequency=Frequency.FORTNIGHTLY)
        course = build(6, contract=contract)
        assert only(course, "frequency_outside_protocol") == [("$.contract.sessions.frequency", W)]

    def test_twice_weekly_is_allowed(self) -> None:
        """The standard protocol allows twice-weekly sessions (§4)."""
        contract = make_contract(frequency=Frequency.TWICE_WEEKLY)
        assert "frequency_outside_protocol" not in codes(build(3, contract=contract))

    def test_format_mismatch(self) -> None:
        """WHO group IPT delivered individually departs from the protocol's format."""
        contract = make_contract(8, GROUP, minutes=90)
        course = build(8, total=8, protocol=GROUP, contract=contract)
        assert only(course, "format_mismatch") == [("$.contract.format", W)]

    def test_group_format_matches(self) -> None:
        """A group contract under the group protocol matches."""
        contract = make_contract(8, GROUP, minutes=90, format=Format.GROUP)
        course = build(8, total=8, protocol=GROUP, contract=contract)
        assert "format_mismatch" not in codes(course)


class TestMeasures:
    """§8.7, §8.8 and §7: measures every four sessions, at the end, and safety items."""

    def test_measure_gap(self) -> None:
        """Sessions 2-5 without a measure break the every-4-sessions rule (§7.3)."""
        course = build(edit={n: {"scores": ()} for n in (2, 3, 4, 5)})
        assert only(course, "measure_gap") == [("$.sessions[4]", W)]

    def test_three_unmeasured_sessions_are_fine(self) -> None:
        """Sessions 2-4 without a measure, then one at 5, keep to the rule."""
        course = build(edit={n: {"scores": ()} for n in (2, 3, 4)})
        assert "measure_gap" not in codes(course)

    def test_interval_is_tunable(self) -> None:
        """With an interval of 3, sessions 2-4 without a measure are a gap."""
        course = build(edit={n: {"scores": ()} for n in (2, 3, 4)})
        config = CheckConfig(measure_interval=3)
        assert only(course, "measure_gap", config=config) == [("$.sessions[3]", W)]

    def test_missed_sessions_do_not_count(self) -> None:
        """Only held sessions count towards the interval."""
        missed: dict[str, Any] = {
            "status": SessionStatus.MISSED,
            "scores": (),
            "focus_areas": (),
        }
        edit = {2: {"scores": ()}, 3: missed, 4: missed, 5: {"scores": ()}}
        assert "measure_gap" not in codes(build(edit=edit))

    def test_measurement_on_the_session_day(self) -> None:
        """A questionnaire filled in on the day of the session counts for it."""
        edit = {n: {"scores": ()} for n in (2, 3, 4, 5)}
        same_day = Measurement(taken_on=day_of(4), score=from_total(PHQ9, 9))
        assert "measure_gap" not in codes(build(edit=edit, measurements=(same_day,)))

    def test_final_measure_missing(self) -> None:
        """The last acute session of a complete course needs a measure (§8.7)."""
        course = build(edit={12: {"scores": ()}})
        assert only(course, "final_measure_missing") == [("$.sessions[11]", W)]

    def test_final_measure_not_due_before_the_end(self) -> None:
        """While sessions remain, the last held one needs no measure yet."""
        course = build(11, planned=1, edit={11: {"scores": ()}})
        assert "final_measure_missing" not in codes(course)

    def test_positive_phq9_item_9_without_risk_assessment(self) -> None:
        """PHQ-9 item 9 above 0 needs a risk assessment at that session (§7.1): an error."""
        flagged = score(PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, 1])
        course = build(edit={5: {"scores": (flagged,)}})
        assert only(course, "safety_unassessed") == [("$.sessions[4].scores[0]", E)]

    def test_positive_bdi2_item_9_without_risk_assessment(self) -> None:
        """BDI-II item 9 is a safety item too (§7.1)."""
        items = [0] * 8 + [1] + [0] * 12
        flagged = score(BDI2, items)
        course = build(edit={5: {"scores": (from_total(PHQ9, 10), flagged)}})
        assert only(course, "safety_unassessed") == [("$.sessions[4].scores[1]", E)]

    def test_risk_assessed(self) -> None:
        """A risk assessment at the session answers the flag."""
        flagged = score(PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, 1])
        course = build(edit={5: {"scores": (flagged,), "risk_assessed": True}})
        assert "safety_unassessed" not in codes(course)

    def test_item_9_at_zero(self) -> None:
        """PHQ-9 item 9 at 0 raises no flag, whatever the total."""
        high = score(PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 0])
        assert "safety_unassessed" not in codes(build(edit={5: {"scores": (high,)}}))

    def test_flag_outside_a_session(self) -> None:
        """A flagged measure between sessions needs a risk assessment that day."""
        flagged = score(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 2])
        taken = Measurement(taken_on=day_of(5) + dt.timedelta(days=2), score=flagged)
        course = build(measurements=(taken,))
        assert only(course, "safety_unassessed") == [("$.measurements[0].score", E)]

    def test_flag_outside_a_session_assessed_the_same_day(self) -> None:
        """A risk assessment at a session on the same day answers the flag."""
        flagged = score(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 2])
        taken = Measurement(taken_on=day_of(5), score=flagged)
        course = build(measurements=(taken,), edit={5: {"risk_assessed": True}})
        assert "safety_unassessed" not in codes(course)

    def test_maintenance_sessions_do_not_count(self) -> None:
        """Maintenance records do not count as acute sessions for the measure interval."""
        course = build(edit={n: {"scores": ()} for n in (2, 3, 4)})
        maintenance = SessionRecord(
            number=1,
            kind=SessionKind.MAINTENANCE,
            starts_at=FIRST + dt.timedelta(weeks=16),
            minutes=50,
            status=SessionStatus.HELD,
            phase=Phase.MAINTENANCE,
        )
        course = evolve(course, sessions=(*course.sessions, maintenance))
        assert "measure_gap" not in codes(course)


class TestEnding:
    """§8.9 and §8.10: the ending raised in time; maintenance discussed."""

    def test_ending_not_raised(self) -> None:
        """The ending raised only at session 11 of 12 is too late (§8.9: 2 sessions ahead)."""
        edit = {n: {"ending_raised": n == 11} for n in range(1, 13)}
        assert only(build(edit=edit), "ending_not_raised") == [("$.sessions[9]", W)]

    def test_ending_raised_two_sessions_ahead(self) -> None:
        """Raising the ending at session 10 of 12 is in time."""
        edit = {n: {"ending_raised": n == 10} for n in range(1, 13)}
        assert "ending_not_raised" not in codes(build(edit=edit))

    def test_ending_not_due_yet(self) -> None:
        """Before session 10 of 12 has passed, nothing is due."""
        edit = {n: {"ending_raised": False} for n in range(1, 10)}
        assert "ending_not_raised" not in codes(build(9, planned=3, edit=edit))

    def test_notice_is_tunable(self) -> None:
        """With a notice of 4 sessions, raising the ending at session 10 of 12 is late."""
        edit = {n: {"ending_raised": n == 10} for n in range(1, 13)}
        config = CheckConfig(ending_notice=4)
        assert only(build(edit=edit), "ending_not_raised", config=config) == [("$.sessions[7]", W)]

    def test_maintenance_not_discussed(self) -> None:
        """A complete course with no discussion of maintenance is a finding (§6)."""
        course = build(edit={12: {"maintenance_discussed": False}})
        assert only(course, "maintenance_not_discussed") == [
            ("$.contract.maintenance_discussed", W)
        ]

    def test_maintenance_on_the_contract(self) -> None:
        """The contract's own record that maintenance was discussed is enough."""
        contract = make_contract(maintenance_discussed=True)
        course = build(contract=contract, edit={12: {"maintenance_discussed": False}})
        assert "maintenance_not_discussed" not in codes(course)

    def test_maintenance_agreement(self) -> None:
        """A maintenance agreement shows maintenance was discussed."""
        agreement = MaintenanceAgreement(
            agreed_on=day_of(12),
            minutes=50,
            first_session=FIRST + dt.timedelta(weeks=15),
            zone="UTC",
            count=6,
        )
        course = build(edit={12: {"maintenance_discussed": False}}, maintenance=agreement)
        assert "maintenance_not_discussed" not in codes(course)

    def test_maintenance_not_due_before_the_end(self) -> None:
        """During acute treatment maintenance may still be discussed."""
        assert "maintenance_not_discussed" not in codes(build(11, planned=1))


class TestAttendance:
    """§6: attendance and the contingency policy for missed sessions."""

    def test_low_attendance(self) -> None:
        """Two of four sessions missed is below the 75% expected, reported for information."""
        missed = {"status": SessionStatus.MISSED, "scores": (), "focus_areas": ()}
        course = build(4, planned=8, edit={2: missed, 4: missed})
        assert only(course, "low_attendance") == [("$.sessions", INFO)]

    def test_three_of_four_attended(self) -> None:
        """Three of four attended is exactly 75%, not below it."""
        missed = {"status": SessionStatus.MISSED, "scores": (), "focus_areas": ()}
        assert "low_attendance" not in codes(build(4, planned=8, edit={4: missed}))

    def test_missed_beyond_policy(self) -> None:
        """A second missed session goes beyond a policy that reviews after one."""
        contract = make_contract(contingency=ContingencyPolicy(max_missed=1))
        missed = {"status": SessionStatus.CANCELLED_BY_PATIENT, "scores": (), "focus_areas": ()}
        course = build(contract=contract, edit={5: missed, 8: missed})
        assert only(course, "missed_beyond_policy") == [("$.sessions[7]", W)]

    def test_missed_within_policy(self) -> None:
        """One missed session is within a policy that reviews after one."""
        contract = make_contract(contingency=ContingencyPolicy(max_missed=1))
        missed = {"status": SessionStatus.MISSED, "scores": (), "focus_areas": ()}
        assert "missed_beyond_policy" not in codes(build(contract=contract, edit={5: missed}))


class TestCheck:
    """iptkit.check over any valid course."""

    @given(courses())
    def test_never_raises(self, course: TreatmentCourse) -> None:
        """Findings never raise on a valid course and carry registered codes."""
        for finding in check(course):
            assert finding.code in CODES
            assert finding.path.startswith("$")
            assert finding.message

    @given(courses(), st.sampled_from([None, STANDARD, STUART, GROUP]))
    def test_deterministic_and_sorted(self, course: TreatmentCourse, protocol: Any) -> None:
        """The same course gives the same findings, sorted by path then code."""
        first = check(course, protocol=protocol)
        assert first == check(course, protocol=protocol)
        assert list(first) == sorted(first, key=lambda f: f.sort_key)

    @given(courses(), st.sampled_from(CODES))
    def test_disabling_removes_exactly_its_findings(
        self, course: TreatmentCourse, code: str
    ) -> None:
        """Switching a check off removes its findings and nothing else."""
        everything = check(course)
        without = check(course, config=CheckConfig(disabled=frozenset({code})))
        assert without == tuple(f for f in everything if f.code != code)

    @given(courses())
    def test_own_protocol_by_default(self, course: TreatmentCourse) -> None:
        """protocol=None judges the course against its own protocol."""
        assert check(course) == check(course, protocol=course.protocol)

    @given(courses())
    def test_classification_shortcut_is_safe(self, course: TreatmentCourse) -> None:
        """The classifier never proposes an area the shortcut deems impossible."""
        facts = _Facts(course, course.protocol, CheckConfig())
        rules = facts.rules
        onset = course.onset or course.started_on
        proposal = classify(
            course.life_events, onset=onset, inventory=course.inventory, rules=rules
        )
        assert proposal.primary is None or proposal.primary in _possible_areas(facts, rules)

    def test_severity_override(self) -> None:
        """A configured severity replaces the default."""
        course = build(diagnosis=None)
        config = CheckConfig(severities={"diagnosis_missing": Severity.ERROR})
        assert only(course, "diagnosis_missing", config=config) == [("$.diagnosis", E)]

    def test_paths_sort_by_index(self) -> None:
        """$.sessions[9] comes before $.sessions[10]."""
        edit = {n: {"scores": ()} for n in range(2, 12)}
        config = CheckConfig(measure_interval=1)
        paths = [f.path for f in check(build(edit=edit), config=config)]
        assert paths.index("$.sessions[9]") < paths.index("$.sessions[10]")

    def test_wrong_arguments(self) -> None:
        """Arguments of the wrong type raise ValidationError with their paths."""
        bad: Any = "course"
        with pytest.raises(ValidationError) as info:
            check(bad, protocol=bad, config=bad)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.course", "wrong_type"),
            ("$.protocol", "wrong_type"),
            ("$.config", "wrong_type"),
        ]

    def test_messages_never_repeat_labels(self) -> None:
        """Messages name no inventory label (personal data)."""
        death = LifeEvent(LifeEventKind.DEATH, ONSET - dt.timedelta(days=20), "Zelda-7")
        inventory = InterpersonalInventory(
            relationships=(
                Relationship(label="Zelda-7", role=RelationshipRole.PARENT, closeness=1),
            ),
        )
        findings = check(build(life_events=(death,), inventory=inventory))
        assert findings
        assert all("Zelda" not in f.message for f in findings)


class TestFinding:
    """iptkit.Finding and iptkit.Severity."""

    def test_positional_and_immutable(self) -> None:
        """A finding is built positionally and cannot be changed."""
        finding = Finding(Severity.INFO, "low_attendance", "$.sessions", "Low.")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            finding.code = "other"  # type: ignore[misc]

    def test_severity_values(self) -> None:
        """Severities are error, warning and info, most serious first."""
        assert [s.value for s in sorted(Severity, key=lambda s: s.rank)] == [
            "error",
            "warning",
            "info",
        ]

    def test_exported(self) -> None:
        """The checks are part of the public API."""
        for name in ("CHECKS", "CheckConfig", "CheckInfo", "Finding", "Severity", "check"):
            assert name in iptkit.__all__


class TestCheckConfig:
    """iptkit.CheckConfig validates what it is given."""

    def test_unknown_codes(self) -> None:
        """Unknown codes in disabled and severities are refused."""
        with pytest.raises(ValidationError) as info:
            CheckConfig(disabled={"nope"}, severities={"nada": Severity.INFO})
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.disabled", "unknown_check"),
            ("$.severities", "unknown_check"),
        ]

    def test_out_of_range(self) -> None:
        """Thresholds outside their ranges are refused, all at once."""
        with pytest.raises(ValidationError) as info:
            CheckConfig(measure_interval=0, ending_notice=-1, min_attendance=1.5)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.measure_interval", "out_of_range"),
            ("$.ending_notice", "out_of_range"),
            ("$.min_attendance", "out_of_range"),
        ]

    def test_wrong_types(self) -> None:
        """Values of the wrong type are refused with wrong_type."""
        bad: Any = "measure_gap"
        with pytest.raises(ValidationError) as info:
            CheckConfig(disabled=bad, severities=bad, measure_interval=bad, rules=bad)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.disabled", "wrong_type"),
            ("$.severities", "wrong_type"),
            ("$.measure_interval", "wrong_type"),
            ("$.rules", "wrong_type"),
        ]

    def test_hashable_and_equal(self) -> None:
        """Equal configurations are equal and hash alike."""
        a = CheckConfig(severities={"measure_gap": Severity.INFO}, disabled=["low_attendance"])
        b = CheckConfig(severities={"measure_gap": Severity.INFO}, disabled={"low_attendance"})
        assert a == b
        assert hash(a) == hash(b)

    def test_severities_as_pairs(self) -> None:
        """Pairs in any order give the same configuration as a mapping."""
        pairs: Any = [("measure_gap", Severity.INFO), ("low_attendance", Severity.ERROR)]
        mapping = {"low_attendance": Severity.ERROR, "measure_gap": Severity.INFO}
        assert CheckConfig(severities=pairs) == CheckConfig(severities=mapping)

    def test_severity_given_as_text(self) -> None:
        """A severity must be a Severity, not its text."""
        with pytest.raises(ValidationError) as info:
            CheckConfig(severities={"measure_gap": "info"})
        assert [(i.path, i.code) for i in info.value.issues] == [("$.severities", "wrong_type")]

    def test_rules_follow_the_protocol(self) -> None:
        """Stuart's rules for a protocol without deficits, Weissman's otherwise."""
        config = CheckConfig()
        assert config.rules_for(STUART) is iptkit.STUART_RULES
        assert config.rules_for(STANDARD) is iptkit.WEISSMAN_RULES


_ROW = re.compile(r"^\| `([a-z_]+)` \| (\w+) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)


class TestRegistry:
    """CHECKS, the registry, against docs/checks.md."""

    def test_codes_unique_and_snake_case(self) -> None:
        """Each code is registered once and is snake_case."""
        assert len(CODES) == len(set(CODES))
        assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in CODES)

    def test_every_check_cites_its_source(self) -> None:
        """Each check names a section of the domain reference."""
        assert all(info.source.startswith("§") and info.description for info in CHECKS)

    def test_documented(self) -> None:
        """docs/checks.md lists every registered code with its severity and source, and no other."""
        rows = {
            code: (severity, source.strip())
            for code, severity, source, _ in _ROW.findall(
                (DOCS / "checks.md").read_text(encoding="utf-8")
            )
        }
        assert rows == {info.code: (info.severity.value, info.source) for info in CHECKS}

    def test_safety_is_the_only_error(self) -> None:
        """Only the unanswered safety item is an error by default (§8.8)."""
        assert [i.code for i in CHECKS if i.severity is Severity.ERROR] == ["safety_unassessed"]
