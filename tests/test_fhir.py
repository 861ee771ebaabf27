"""FHIR R4 bundles in and out (:mod:`iptkit.fhir`).

The facts checked here: the LOINC codes of the PHQ-9 and GAD-7 items, totals
and answers (LOINC's own pages: answer list LL358-3, the PHQ-SADS panel
69729-2, the PHQ-9 panel 44249-1, the totals 44261-6 and 70274-6), the
FHIR statuses a session maps to, every resource accepted by the R4B models
of ``fhir.resources``, references that resolve inside the bundle, the same
bundle for the same course, no free text unless asked for, the round trip,
and a reader that answers any JSON value with a course or a ValidationError.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import iptkit
from _helpers import _nodes, _replace, edge_values, json_values, value_at
from iptkit import (
    Amendment,
    ContingencyPolicy,
    Diagnosis,
    DiagnosisSystem,
    DisputeStage,
    EndReason,
    FocusArea,
    Formulation,
    FormulationRevision,
    Frequency,
    GoalRating,
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    MaintenanceAgreement,
    MissedSessionPolicy,
    Modality,
    Obligation,
    Party,
    PartyRole,
    Relationship,
    RelationshipRole,
    Schedule,
    SessionRecord,
    SessionStatus,
    SessionTerms,
    TaskOutcome,
    Technique,
    TreatmentContract,
    TreatmentCourse,
    TreatmentGoal,
    ValidationError,
    evolve,
)
from iptkit.fhir import (
    BASE,
    CODE_SYSTEM,
    EXTENSION,
    LOINC_ANSWERS,
    LOINC_ITEMS,
    NOT_EXPORTED,
    PATIENT_ID_SYSTEM,
    from_bundle,
    to_bundle,
    validate_bundle,
)
from iptkit.measures import BDI2, GAD7, HAMD17, PHQ9, InstrumentId, Measurement, from_total, score
from iptkit.protocols import STANDARD
from iptkit.testing import (
    courses,
    custom_protocols,
    maintenance_agreements,
    measurements,
    schedules,
)

#: Free text that must not reach a bundle unless asked for, nor any message.
SECRET = "Jane Doe told me about her sister"
LOINC = "http://loinc.org"
ZONE = "Europe/London"
FIRST = dt.datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo(ZONE))

#: The nine PHQ-9 items in item order (LOINC panel 44249-1).
PHQ9_ITEMS = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
#: The seven GAD-7 items in item order (LOINC PHQ-SADS panel 69729-2).
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
#: LOINC answer list LL358-3, by item score.
ANSWERS = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")

slow = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# --------------------------------------------------------------------------
# A course that uses every part of the mapping
# --------------------------------------------------------------------------


def full_course(text: str = SECRET) -> TreatmentCourse:
    """A course with a contract, schedule, every session status, all four instruments, ...

    Every free-text field holds ``text``.
    """
    contract = TreatmentContract(
        protocol=STANDARD,
        sessions=SessionTerms(
            total=12, frequency=Frequency.WEEKLY, minutes=50, first_session=FIRST, zone=ZONE
        ),
        focus_areas=(FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION),
        dispute_stage=DisputeStage.IMPASSE,
        modality=Modality.VIDEO,
        contingency=ContingencyPolicy(
            missed=MissedSessionPolicy.MADE_UP,
            max_missed=3,
            after_max_missed=text,
            illness=text,
            therapist_absence=text,
            excluded_dates=(dt.date(2026, 4, 6),),
        ),
        amendments=(Amendment(agreed_on=dt.date(2026, 2, 2), new_total=14, reason=text),),
        parties=(
            Party(role=PartyRole.PATIENT, label=text, signed_on=dt.date(2026, 1, 5)),
            Party(role=PartyRole.THERAPIST, label="T1"),
        ),
        obligations=(Obligation(role=PartyRole.PATIENT, description=text),),
        boundaries=text,
        out_of_session_contact=text,
        crisis_plan=text,
        maintenance_discussed=True,
    )
    plan = Schedule.from_contract(contract)
    plan = plan.hold(1).hold(2).miss(3, make_up=True).hold(3)
    plan = plan.cancel(4, by_therapist=True, make_up=True).hold(4)
    plan = plan.cancel(5, make_up=True)
    last = plan.sessions[-1].starts_at
    plan = plan.add_maintenance(
        2, first_start=last + dt.timedelta(days=28), agreed_on=dt.date(2026, 3, 2)
    )
    facts: dict[int, dict[str, Any]] = {
        0: {
            "modality": Modality.VIDEO,
            "scores": (score(PHQ9, [1, 2, 1, 0, 3, 1, 2, 0, 1]),),
            "techniques": (Technique.PSYCHOEDUCATION, Technique.EXPLORATION),
            "sick_role_given": True,
            "risk_assessed": True,
        },
        1: {
            "modality": Modality.PHONE,
            "scores": (score(GAD7, [0, 1, 2, 3, 0, 1, 2]), from_total(HAMD17, 18, safety_item=2)),
            "previous_task_outcome": TaskOutcome.PARTLY_DONE,
            "parent_present": True,
        },
        3: {
            "scores": (score(BDI2, [0] * 15 + ["2b", 0, "1a", 0, 0, 0]),),
            "ending_raised": True,
            "maintenance_discussed": True,
        },
    }
    records = []
    for index, row in enumerate(plan.sessions):
        if row.status is SessionStatus.PLANNED and index > 8:
            break
        extra = dict(facts.get(index, {}))
        if row.status is SessionStatus.HELD:
            extra |= {"focus_areas": (FocusArea.ROLE_DISPUTE,), "task_set": text}
            extra["notes"] = text
        records.append(SessionRecord.from_scheduled(row, **extra))
    return TreatmentCourse(
        patient_id="AB-1234",
        protocol=STANDARD,
        started_on=dt.date(2025, 12, 15),
        age_at_start=34,
        onset=dt.date(2025, 10, 1),
        diagnosis=Diagnosis(
            system=DiagnosisSystem.ICD10, code="F32.1", recorded_on=dt.date(2025, 12, 15)
        ),
        contract=contract,
        maintenance=MaintenanceAgreement(
            agreed_on=dt.date(2026, 3, 2),
            minutes=50,
            first_session=last + dt.timedelta(days=28),
            zone=ZONE,
            count=2,
        ),
        inventory=InterpersonalInventory(
            relationships=(Relationship(label="P1", role=RelationshipRole.PARTNER, closeness=1),),
            completed_on=dt.date(2026, 1, 12),
        ),
        life_events=(LifeEvent(kind=LifeEventKind.CONFLICT, date=dt.date(2025, 9, 1)),),
        formulation=Formulation(
            focus_areas=(FocusArea.ROLE_DISPUTE,),
            agreed_on=dt.date(2026, 1, 19),
            linked_people=(text,),
            revisions=(
                FormulationRevision(
                    on=dt.date(2026, 2, 9),
                    focus_areas=(FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION),
                    reason=text,
                ),
            ),
        ),
        schedule=plan,
        sessions=tuple(records),
        measurements=(
            Measurement(
                taken_on=dt.date(2025, 12, 15),
                score=from_total(PHQ9, 14, safety_item=1),
                risk_assessed_on=dt.date(2025, 12, 16),
            ),
            Measurement(
                taken_on=dt.date(2026, 1, 12),
                session_number=2,
                score=score(PHQ9, [0, 0, 1, 1, 2, 2, 3, 3, 0]),
            ),
        ),
        goals=(
            TreatmentGoal(
                focus_area=FocusArea.ROLE_DISPUTE,
                description=text,
                set_on=dt.date(2026, 1, 19),
                ratings=(
                    GoalRating(on=dt.date(2026, 1, 26), progress=2),
                    GoalRating(on=dt.date(2026, 2, 23), progress=6),
                ),
            ),
        ),
    )


FULL = full_course()


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources of ``kind`` in a bundle, in order."""
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def extension(resource: dict[str, Any], name: str) -> Any:
    """The value of iptkit's extension ``name`` on ``resource`` (None if absent)."""
    for item in resource.get("extension", ()):
        if item["url"] == EXTENSION + name:
            return next(v for k, v in item.items() if k.startswith("value"))
    return None


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` string anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def issues(bundle: Any) -> list[tuple[str, str]]:
    """The (path, code) of each issue from_bundle reports for ``bundle``."""
    with pytest.raises(ValidationError) as info:
        from_bundle(bundle)
    return [(issue.path, issue.code) for issue in info.value.issues]


def without_text(course: TreatmentCourse) -> TreatmentCourse:
    """``course`` as a bundle without free text gives it back: placeholders, no inventory."""
    return from_bundle(to_bundle(course))


# --------------------------------------------------------------------------
# The mapping table
# --------------------------------------------------------------------------


class TestCodes:
    """The LOINC codes, FHIR statuses and iptkit code systems of the mapping."""

    def test_phq9_and_gad7_item_codes(self) -> None:
        """Item codes in item order, as LOINC's panels list them."""
        assert LOINC_ITEMS[InstrumentId.PHQ9] == PHQ9_ITEMS
        assert LOINC_ITEMS[InstrumentId.GAD7] == GAD7_ITEMS
        assert set(LOINC_ITEMS) == {InstrumentId.PHQ9, InstrumentId.GAD7}

    def test_item_codes_agree_with_the_instruments(self) -> None:
        """Where the instruments carry a LOINC item code, the bundle uses the same one."""
        for info in (PHQ9, GAD7):
            assert info.loinc_items is not None
            for ours, theirs in zip(LOINC_ITEMS[info.id], info.loinc_items, strict=True):
                assert theirs is None or ours == theirs

    def test_answer_codes(self) -> None:
        """Answer list LL358-3: 0 Not at all ... 3 Nearly every day."""
        assert LOINC_ANSWERS == (
            ("LA6568-5", "Not at all"),
            ("LA6569-3", "Several days"),
            ("LA6570-1", "More than half the days"),
            ("LA6571-9", "Nearly every day"),
        )

    def test_phq9_response_and_total(self) -> None:
        """A PHQ-9 with items: a response of LOINC item and answer codes, a total of 44261-6."""
        bundle = to_bundle(FULL)
        (response, *_) = resources(bundle, "QuestionnaireResponse")
        assert response["questionnaire"] == "http://loinc.org/q/44249-1"
        assert [item["linkId"] for item in response["item"]] == list(PHQ9_ITEMS)
        answers = [item["answer"][0]["valueCoding"] for item in response["item"]]
        assert {a["system"] for a in answers} == {LOINC}
        assert [a["code"] for a in answers] == [ANSWERS[v] for v in (1, 2, 1, 0, 3, 1, 2, 0, 1)]
        total = next(
            o
            for o in resources(bundle, "Observation")
            if o["code"]["coding"][0]["code"] == "44261-6"
        )
        assert total["code"]["coding"][0]["system"] == LOINC
        assert total["valueInteger"] == 11
        assert total["category"][0]["coding"][0]["code"] == "survey"
        assert total["interpretation"][0]["coding"][0] == {
            "system": CODE_SYSTEM + "symptom-severity",
            "code": "moderate",
        }

    def test_gad7_total_is_not_the_panel(self) -> None:
        """The GAD-7 total is 70274-6; the panel code 69737-5 names the questionnaire only."""
        bundle = to_bundle(FULL)
        codes = [o["code"]["coding"][0]["code"] for o in resources(bundle, "Observation")]
        assert "70274-6" in codes
        assert "69737-5" not in codes
        responses = resources(bundle, "QuestionnaireResponse")
        gad = next(r for r in responses if r["questionnaire"] == "http://loinc.org/q/69737-5")
        assert [item["linkId"] for item in gad["item"]] == list(GAD7_ITEMS)

    def test_other_instruments_have_no_loinc(self) -> None:
        """HAM-D17 and BDI-II use iptkit codes only; their safety answer is a component."""
        bundle = to_bundle(FULL)
        hamd = next(
            o
            for o in resources(bundle, "Observation")
            if o["code"]["coding"][0]["code"] == "hamd17"
        )
        assert hamd["code"]["coding"][0]["system"] == CODE_SYSTEM + "instrument-total"
        assert LOINC not in json.dumps(hamd)
        assert hamd["component"] == [
            {
                "code": {
                    "coding": [{"system": CODE_SYSTEM + "instrument-item", "code": "hamd17-3"}]
                },
                "valueInteger": 2,
            }
        ]
        bdi = next(
            r
            for r in resources(bundle, "QuestionnaireResponse")
            if r["questionnaire"] == f"{BASE}/Questionnaire/bdi2"
        )
        assert LOINC not in json.dumps(bdi)
        assert bdi["item"][15] == {"linkId": "16", "answer": [{"valueString": "2b"}]}

    def test_phq9_safety_answer_beside_a_total(self) -> None:
        """A PHQ-9 total with item 9 known: a component of 44260-8 with a LOINC answer."""
        bundle = to_bundle(FULL)
        screen = next(
            o for o in resources(bundle, "Observation") if "component" in o and "encounter" not in o
        )
        (component,) = screen["component"]
        assert component["code"]["coding"][0] == {"system": LOINC, "code": "44260-8"}
        assert component["valueCodeableConcept"]["coding"][0]["code"] == ANSWERS[1]
        assert extension(screen, "risk-assessed-on") == "2025-12-16"

    def test_appointment_statuses(self) -> None:
        """booked, fulfilled, noshow, cancelled with the reason saying who; made-up rows kept."""
        bundle = to_bundle(FULL)
        plan = FULL.schedule
        assert plan is not None
        appointments = resources(bundle, "Appointment")
        assert len(appointments) == len(plan.sessions)
        expected = {
            SessionStatus.PLANNED: ("booked", None),
            SessionStatus.HELD: ("fulfilled", None),
            SessionStatus.MISSED: ("noshow", None),
            SessionStatus.CANCELLED_BY_PATIENT: ("cancelled", "pat"),
            SessionStatus.CANCELLED_BY_THERAPIST: ("cancelled", "prov"),
        }
        seen = set()
        for row, appointment in zip(plan.sessions, appointments, strict=True):
            status, reason = expected[row.status]
            seen.add(row.status)
            assert appointment["status"] == status
            given: Any = appointment.get("cancelationReason")
            if reason is None:
                assert given is None
            else:
                assert given["coding"][0] == {
                    "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
                    "code": reason,
                    "display": "Patient" if reason == "pat" else "Provider",
                }
            assert extension(appointment, "made-up") == (True if row.made_up else None)
            assert extension(appointment, "session-number") == row.number
            assert appointment["minutesDuration"] == row.minutes
        assert seen == set(SessionStatus)
        assert sum(1 for row in plan.sessions if row.made_up) == 3

    def test_encounters(self) -> None:
        """One per record; status and class from the record; its appointment linked."""
        bundle = to_bundle(FULL)
        encounters = resources(bundle, "Encounter")
        assert len(encounters) == len(FULL.sessions)
        status = {
            SessionStatus.HELD: "finished",
            SessionStatus.PLANNED: "planned",
            SessionStatus.MISSED: "cancelled",
            SessionStatus.CANCELLED_BY_PATIENT: "cancelled",
            SessionStatus.CANCELLED_BY_THERAPIST: "cancelled",
        }
        urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        for record, encounter in zip(FULL.sessions, encounters, strict=True):
            assert encounter["status"] == status[record.status]
            assert extension(encounter, "session-status") == record.status.value
            assert encounter["class"]["code"] == (
                "AMB" if record.modality is Modality.IN_PERSON else "VR"
            )
            assert encounter["length"]["value"] == record.minutes
            (appointment,) = encounter["appointment"]
            target = urls[appointment["reference"]]
            assert extension(target, "session-number") == record.number
        held = [e for e in encounters if e["status"] == "finished"]
        assert held[0]["reasonCode"][0]["coding"][0] == {
            "system": CODE_SYSTEM + "focus-area",
            "code": "role_dispute",
        }

    def test_patient_holds_only_the_pseudonymous_id(self) -> None:
        """No name, no birth date: one identifier."""
        (patient,) = resources(to_bundle(FULL, include_text=True), "Patient")
        assert patient == {
            "resourceType": "Patient",
            "identifier": [{"system": PATIENT_ID_SYSTEM, "value": "AB-1234"}],
        }

    def test_condition_and_care_plan(self) -> None:
        """ICD-10 diagnosis; the contract's focus areas and period; goals referenced."""
        bundle = to_bundle(FULL)
        (condition,) = resources(bundle, "Condition")
        assert condition["code"]["coding"] == [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "F32.1"}
        ]
        assert condition["onsetDateTime"] == "2025-10-01"
        contract, maintenance = resources(bundle, "CarePlan")
        categories = [c["coding"][0] for c in contract["category"]]
        assert categories == [
            {"system": CODE_SYSTEM + "care-plan-kind", "code": "acute"},
            {"system": CODE_SYSTEM + "focus-area", "code": "role_dispute"},
            {"system": CODE_SYSTEM + "focus-area", "code": "role_transition"},
        ]
        plan = FULL.schedule
        assert plan is not None
        assert len(contract["activity"]) == plan.total == 14
        assert contract["period"]["start"] == plan.acute[0].starts_at.isoformat()
        assert contract["period"]["end"] == plan.acute[-1].ends_at.isoformat()
        (goal,) = resources(bundle, "Goal")
        assert contract["goal"] == [
            {
                "reference": bundle["entry"][[e["resource"] for e in bundle["entry"]].index(goal)][
                    "fullUrl"
                ]
            }
        ]
        assert maintenance["created"] == "2026-03-02"
        assert extension(maintenance, "session-count") == 2

    def test_contract_without_schedule_plans_its_own_dates(self) -> None:
        """Without a schedule the activities are the contract's dates, with no references."""
        course = evolve(FULL, schedule=None)
        (contract, _) = resources(to_bundle(course), "CarePlan")
        assert FULL.contract is not None
        starts = FULL.contract.session_starts()
        assert [a["detail"]["scheduledPeriod"]["start"] for a in contract["activity"]] == [
            s.isoformat() for s in starts
        ]
        assert all(a["detail"]["status"] == "not-started" for a in contract["activity"])


# --------------------------------------------------------------------------
# Valid FHIR, references, determinism, privacy
# --------------------------------------------------------------------------


def assert_valid_fhir(bundle: dict[str, Any]) -> None:
    """Every resource, and the whole bundle, accepted by the R4B models of fhir.resources."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate(resource)
    Bundle.model_validate(bundle)
    validate_bundle(bundle)


def assert_references_resolve(bundle: dict[str, Any]) -> None:
    """fullUrls are distinct urn:uuids; every reference names one of them."""
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for url in urls:
        assert url.startswith("urn:uuid:")
        assert uuid.UUID(url.removeprefix("urn:uuid:")).version == 5
    assert set(references(bundle)) <= set(urls)


class TestValidFhir:
    """The bundle is FHIR the R4B models accept, and hangs together."""

    @pytest.mark.parametrize("include_text", [False, True])
    def test_full_course(self, include_text: bool) -> None:
        """Every resource type of the mapping, with and without free text."""
        bundle = to_bundle(FULL, include_text=include_text)
        assert_valid_fhir(bundle)
        assert_references_resolve(bundle)
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert kinds == {
            "Patient",
            "EpisodeOfCare",
            "Condition",
            "CarePlan",
            "ClinicalImpression",
            "Goal",
            "Observation",
            "Schedule",
            "Appointment",
            "Encounter",
            "QuestionnaireResponse",
        }

    @slow
    @given(courses())
    def test_generated_courses(self, course: TreatmentCourse) -> None:
        """Any valid course gives a bundle the models accept, whose references resolve."""
        bundle = to_bundle(course, include_text=True)
        assert_valid_fhir(bundle)
        assert_references_resolve(bundle)

    def test_reference_targets(self) -> None:
        """Scores point to their session's Encounter and their answers; goals to their ratings."""
        bundle = to_bundle(FULL)
        urls = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
        for observation in resources(bundle, "Observation"):
            if "encounter" in observation:
                assert urls[observation["encounter"]["reference"]] == "Encounter"
            for link in observation.get("derivedFrom", ()):
                assert urls[link["reference"]] == "QuestionnaireResponse"
        (goal,) = resources(bundle, "Goal")
        assert [urls[r["reference"]] for r in goal["outcomeReference"]] == ["Observation"] * 2
        _, revision = resources(bundle, "ClinicalImpression")
        assert urls[revision["previous"]["reference"]] == "ClinicalImpression"

    def test_validate_bundle_reports_paths(self) -> None:
        """fhir.resources' refusals become issues at the element refused, without values."""
        bundle = to_bundle(FULL)
        broken = copy.deepcopy(bundle)
        index = [e["resource"]["resourceType"] for e in broken["entry"]].index("Encounter")
        del broken["entry"][index]["resource"]["class"]
        broken["entry"][0]["resource"]["identifier"][0]["value"] = {"secret": SECRET}
        with pytest.raises(ValidationError) as info:
            validate_bundle(broken)
        paths = {issue.path for issue in info.value.issues}
        assert f"$.entry[{index}].resource.class" in paths
        assert {issue.code for issue in info.value.issues} == {"fhir_invalid"}
        assert SECRET not in str(info.value)

    def test_validate_flag(self) -> None:
        """to_bundle(..., validate=True) returns the same bundle once the models accept it."""
        assert to_bundle(FULL, validate=True) == to_bundle(FULL)


class TestDeterminism:
    """The same course gives the same bundle; ids come from the course and the role."""

    def test_same_course_same_bundle(self) -> None:
        """Twice, and from an equal course loaded from JSON."""
        again = iptkit.loads(TreatmentCourse, iptkit.dumps(FULL))
        text = json.dumps(to_bundle(FULL))
        assert json.dumps(to_bundle(FULL)) == text
        assert json.dumps(to_bundle(again)) == text

    def test_ids_are_uuid5_of_course_and_role(self) -> None:
        """The Patient's fullUrl is uuid5 of iptkit's namespace and the course's key."""
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
        expected = uuid.uuid5(namespace, "AB-1234/2025-12-15/patient")
        assert to_bundle(FULL)["entry"][0]["fullUrl"] == f"urn:uuid:{expected}"

    def test_other_course_other_ids(self) -> None:
        """Another patient id, or another start, gives other fullUrls throughout."""
        mine = {e["fullUrl"] for e in to_bundle(FULL)["entry"]}
        other = evolve(FULL, patient_id="AB-9999")
        assert mine.isdisjoint(e["fullUrl"] for e in to_bundle(other)["entry"])

    def test_only_json_types(self) -> None:
        """The bundle is plain data: json.loads(json.dumps(b)) == b."""
        bundle = to_bundle(FULL, include_text=True)
        assert json.loads(json.dumps(bundle)) == bundle


class TestFreeText:
    """Personal free text stays out unless asked for."""

    def test_left_out_by_default(self) -> None:
        """No free text of the course, in any field, reaches the default bundle."""
        assert SECRET in iptkit.dumps(FULL)
        assert SECRET not in json.dumps(to_bundle(FULL))

    def test_written_on_request(self) -> None:
        """With include_text, every free-text field is written (and read back)."""
        text = json.dumps(to_bundle(FULL, include_text=True))
        # contract (6 fields + an amendment + a party + an obligation), schedule amendment,
        # formulation (person + revision), goal, and each held session's task and notes.
        held = sum(1 for r in FULL.sessions if r.status is SessionStatus.HELD)
        assert text.count(SECRET) == 9 + 1 + 2 + 1 + 2 * held

    @slow
    @given(courses(), st.sampled_from(["Zebra Yak Marker", "Ünïcödé marker ✓"]))
    def test_generated_courses(self, course: TreatmentCourse, marker: str) -> None:
        """Private text drawn into any field of a generated course stays out."""
        marked = iptkit.loads(TreatmentCourse, _mark_private(iptkit.dump(course), marker))
        assert marker not in json.dumps(to_bundle(marked), ensure_ascii=False)


_PRIVATE_KEYS = {
    "task_set",
    "notes",
    "description",
    "reason",
    "label",
    "boundaries",
    "out_of_session_contact",
    "crisis_plan",
    "after_max_missed",
    "illness",
    "therapist_absence",
}


def _mark_private(document: Any, marker: str) -> str:
    """The course document with every private text replaced by ``marker``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            marked: dict[str, Any] = {}
            for key, item in value.items():
                if key in _PRIVATE_KEYS and isinstance(item, str):
                    marked[key] = marker
                elif key == "inventory":  # its labels must stay distinct; it is not carried
                    marked[key] = item
                elif key == "linked_people":
                    marked[key] = [marker for _ in item]
                else:
                    marked[key] = walk(item)
            return marked
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    result = walk(document)
    contract = result.get("contract")
    if contract is not None:
        for number, party in enumerate(contract["parties"]):
            party["label"] = f"{marker} {number}"  # labels stay distinct
    return json.dumps(result)


# --------------------------------------------------------------------------
# Reading back
# --------------------------------------------------------------------------


class TestRoundTrip:
    """What the bundle carries comes back; what it does not is documented."""

    def test_full_course_with_text(self) -> None:
        """With free text, everything but the inventory and life events comes back equal."""
        back = from_bundle(to_bundle(FULL, include_text=True))
        assert back == evolve(FULL, inventory=None, life_events=())

    @pytest.mark.parametrize("text", ["\u00a0", "\u2003\u00a0\u2003", "\x0b"])
    def test_text_of_white_space_only(self, text: str) -> None:
        """Text FHIR's string pattern refuses travels as base64 in an extension, and comes back."""
        course = full_course(text)
        bundle = to_bundle(course, include_text=True)
        assert_valid_fhir(bundle)
        assert '"valueBase64Binary"' in json.dumps(bundle)
        assert from_bundle(bundle) == evolve(course, inventory=None, life_events=())

    def test_full_course_without_text(self) -> None:
        """Without free text, required text comes back as a placeholder, optional text as None."""
        back = without_text(FULL)
        assert back.contract is not None
        assert back.formulation is not None
        assert back.goals[0].description == NOT_EXPORTED
        assert back.formulation.revisions[0].reason == NOT_EXPORTED
        assert back.formulation.linked_people == ()
        assert [p.label for p in back.contract.parties] == ["party-1", "party-2"]
        assert back.contract.amendments[0].reason == NOT_EXPORTED
        assert back.contract.obligations[0].description == NOT_EXPORTED
        assert back.contract.crisis_plan is None
        assert all(r.notes is None and r.task_set is None for r in back.sessions)
        # Everything else is as it was.
        assert back.sessions == tuple(evolve(r, notes=None, task_set=None) for r in FULL.sessions)
        assert back.schedule is not None
        assert FULL.schedule is not None
        assert back.schedule.sessions == FULL.schedule.sessions
        assert back.measurements == FULL.measurements
        assert back.diagnosis == FULL.diagnosis
        assert back.maintenance == FULL.maintenance
        assert to_bundle(back) == to_bundle(FULL)

    @slow
    @given(courses())
    def test_generated_courses(self, course: TreatmentCourse) -> None:
        """to_bundle(from_bundle(to_bundle(c))) == to_bundle(c); with text, the course itself."""
        bundle = to_bundle(course)
        assert to_bundle(from_bundle(bundle)) == bundle
        with_text = from_bundle(to_bundle(course, include_text=True))
        assert with_text == evolve(course, inventory=None, life_events=())

    @slow
    @given(schedules(), st.data())
    def test_generated_schedules(self, plan: Schedule, data: st.DataObject) -> None:
        """Schedules with made-up rows, moves, extensions and maintenance blocks come back."""
        records = []
        for row in plan.sessions:
            if row.status is SessionStatus.PLANNED:
                break
            modality = data.draw(st.sampled_from(Modality))
            records.append(SessionRecord.from_scheduled(row, modality=modality))
        kept = {(r.kind, r.number, r.made_up) for r in records}
        assume(
            all(
                (row.kind, row.number, row.made_up) in kept
                for row in plan.sessions
                if row.status is SessionStatus.HELD
            )
        )
        start = plan.sessions[0].starts_at.date() - dt.timedelta(days=3)
        course = TreatmentCourse(
            patient_id="AB-1",
            protocol=plan.protocol,
            started_on=start,
            schedule=plan,
            sessions=tuple(records),
        )
        bundle = to_bundle(course, include_text=True)
        assert from_bundle(bundle) == course
        assert_valid_fhir(bundle)

    @slow
    @given(
        custom_protocols(),
        maintenance_agreements(),
        st.lists(measurements(), max_size=3),
        st.sampled_from(EndReason),
    )
    def test_custom_protocol_maintenance_and_measures(
        self,
        protocol: iptkit.Protocol,
        agreement: MaintenanceAgreement,
        taken: list[Measurement],
        reason: EndReason,
    ) -> None:
        """A custom protocol travels as a JSON attachment; the rest as extensions."""
        start = min([agreement.agreed_on, *(m.taken_on for m in taken)])
        course = TreatmentCourse(
            patient_id="AB-1",
            protocol=protocol,
            started_on=start,
            ended_on=max([agreement.agreed_on, *(m.taken_on for m in taken)]),
            ended_reason=reason,
            maintenance=agreement,
            measurements=tuple(taken),
        )
        bundle = to_bundle(course)
        assert from_bundle(bundle) == course
        (episode,) = resources(bundle, "EpisodeOfCare")
        attachment = extension(episode, "protocol")
        text = base64.b64decode(attachment["data"]).decode()
        assert iptkit.load(iptkit.Protocol, json.loads(text)) == protocol
        assert_valid_fhir(bundle)

    def test_smallest_course(self) -> None:
        """An id and a start date: a Patient and an EpisodeOfCare."""
        course = TreatmentCourse(patient_id="AB-1", started_on=dt.date(2026, 3, 2))
        bundle = to_bundle(course)
        assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
            "Patient",
            "EpisodeOfCare",
        ]
        assert from_bundle(bundle) == course


# --------------------------------------------------------------------------
# Bundles from elsewhere
# --------------------------------------------------------------------------


def entry_index(bundle: dict[str, Any], kind: str, nth: int = 0) -> int:
    """The position in ``entry`` of the ``nth`` resource of ``kind``."""
    found = [i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind]
    return found[nth]


class TestHostileBundles:
    """Anything iptkit cannot accept is one issue among all the others, at its FHIR path."""

    def test_not_a_bundle(self) -> None:
        """Other JSON values and other resources are refused at $."""
        assert issues([]) == [("$", "wrong_type")]
        assert issues({"resourceType": "Patient"}) == [
            ("$.resourceType", "invalid_value"),
            ("$.type", "missing_field"),
            ("$.entry", "missing_resource"),
            ("$.entry", "missing_resource"),
        ]

    def test_every_problem_at_once(self) -> None:
        """Several independent problems in one bundle are reported together."""
        bundle = to_bundle(FULL)
        encounter = entry_index(bundle, "Encounter")
        appointment = entry_index(bundle, "Appointment")
        answers = entry_index(bundle, "QuestionnaireResponse")
        bundle["entry"][1]["resource"]["period"]["start"] = "2025-13-15"
        bundle["entry"][appointment]["resource"]["status"] = "proposed"
        bundle["entry"][encounter]["resource"]["period"]["end"] = "2030-01-01T00:00:00Z"
        bundle["entry"][answers]["resource"]["item"][2]["answer"][0]["valueCoding"]["code"] = (
            "LA0000-0"
        )
        bundle["entry"].append({"resource": {"resourceType": "Practitioner"}})
        bundle["entry"][0]["resource"]["modifierExtension"] = [{"url": "https://example.org/x"}]
        found = issues(bundle)
        assert sorted(found) == sorted(
            [
                ("$.entry[1].resource.period.start", "invalid_value"),
                (f"$.entry[{appointment}].resource.status", "invalid_value"),
                (f"$.entry[{encounter}].resource.period.end", "out_of_range"),
                (
                    f"$.entry[{answers}].resource.item[2].answer[0].valueCoding.code",
                    "invalid_value",
                ),
                (
                    f"$.entry[{len(bundle['entry']) - 1}].resource.resourceType",
                    "unsupported_resource",
                ),
                ("$.entry[0].resource.modifierExtension", "unsupported_modifier"),
            ]
        )

    def test_rules_of_the_course_land_on_the_element(self) -> None:
        """A record renumbered: the numbering rule is reported at its session-number extension."""
        bundle = to_bundle(FULL)
        index = entry_index(bundle, "Encounter", 2)
        extensions = bundle["entry"][index]["resource"]["extension"]
        position = [e["url"] for e in extensions].index(EXTENSION + "session-number")
        extensions[position]["valueInteger"] = 9
        assert (
            f"$.entry[{index}].resource.extension[{position}].valueInteger",
            "number_sequence",
        ) in issues(bundle)

    def test_references(self) -> None:
        """A reference to nothing in the bundle, or to the wrong kind of resource."""
        bundle = to_bundle(FULL)
        index = next(
            i
            for i, e in enumerate(bundle["entry"])
            if e["resource"]["resourceType"] == "Observation" and "encounter" in e["resource"]
        )
        bundle["entry"][index]["resource"]["encounter"]["reference"] = bundle["entry"][0]["fullUrl"]
        assert issues(bundle) == [
            (f"$.entry[{index}].resource.encounter.reference", "unresolved_reference")
        ]

    def test_relative_references(self) -> None:
        """References by type and id ("Encounter/e1") resolve like fullUrls."""
        bundle = to_bundle(FULL)
        for number, entry in enumerate(bundle["entry"]):
            entry["resource"]["id"] = f"r{number}"
        lookup = {
            e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle["entry"]
        }
        text = json.dumps(bundle)
        for url, relative in lookup.items():
            text = text.replace(f'"reference": "{url}"', f'"reference": "{relative}"')
        relative_bundle = json.loads(text)
        for entry in relative_bundle["entry"]:
            del entry["fullUrl"]
        assert from_bundle(relative_bundle) == from_bundle(bundle)

    def test_one_patient_and_one_course(self) -> None:
        """No Patient, or two EpisodesOfCare: refused."""
        bundle = to_bundle(FULL)
        patient = bundle["entry"].pop(0)
        assert ("$.entry", "missing_resource") in issues(bundle)
        bundle["entry"].insert(0, patient)
        bundle["entry"].append(copy.deepcopy(bundle["entry"][1]))
        bundle["entry"][-1]["fullUrl"] = "urn:uuid:00000000-0000-5000-8000-000000000000"
        assert issues(bundle) == [
            (f"$.entry[{len(bundle['entry']) - 1}].resource.resourceType", "duplicate_resource")
        ]

    def test_cancelled_needs_who(self) -> None:
        """A cancelled appointment without a reason cannot say who cancelled it."""
        bundle = to_bundle(FULL)
        index = next(
            i
            for i, e in enumerate(bundle["entry"])
            if e["resource"].get("status") == "cancelled"
            and e["resource"]["resourceType"] == "Appointment"
        )
        del bundle["entry"][index]["resource"]["cancelationReason"]
        assert issues(bundle) == [(f"$.entry[{index}].resource.cancelationReason", "missing_field")]

    def test_unplaced_resources(self) -> None:
        """An Observation that is no score, and answers no score points to, are refused."""
        bundle = to_bundle(FULL)
        bundle["entry"].append(
            {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}}
        )
        index = next(i for i, e in enumerate(bundle["entry"]) if "derivedFrom" in e["resource"])
        del bundle["entry"][index]["resource"]["derivedFrom"]
        answers = index - 1  # the answers come just before their total
        found = issues(bundle)
        assert (
            f"$.entry[{len(bundle['entry']) - 1}].resource.resourceType",
            "unsupported_resource",
        ) in found
        assert (f"$.entry[{answers}].resource.resourceType", "unsupported_resource") in found

    def test_messages_never_quote_values(self) -> None:
        """A secret put where values are read appears in no message, only in Issue.input."""
        bundle = to_bundle(FULL)
        encounter = entry_index(bundle, "Encounter")
        bundle["entry"][0]["resource"]["identifier"][0]["value"] = SECRET
        bundle["entry"][1]["resource"]["period"]["start"] = SECRET
        bundle["entry"][encounter]["resource"]["status"] = SECRET
        del bundle["entry"][encounter]["resource"]["extension"][2]  # the session-status
        with pytest.raises(ValidationError) as info:
            from_bundle(bundle)
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value.issues)
        assert any(issue.input == SECRET for issue in info.value.issues)

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(st.data())
    def test_any_json_value(self, data: st.DataObject) -> None:
        """Mutated bundles and arbitrary JSON: a course or a ValidationError, nothing else."""
        given_value = data.draw(json_values | mutated_bundles())
        try:
            course = from_bundle(given_value)
        except ValidationError as exc:
            for issue in exc.issues:
                assert issue.path.startswith("$")
                assert SECRET not in issue.message
        else:
            assert isinstance(course, TreatmentCourse)


def _at(bundle: dict[str, Any], kind: str, nth: int = 0) -> tuple[dict[str, Any], str]:
    """The ``nth`` resource of ``kind`` and its path."""
    index = entry_index(bundle, kind, nth)
    return bundle["entry"][index]["resource"], f"$.entry[{index}].resource"


def _ext_at(resource: dict[str, Any], name: str) -> int:
    """The position of iptkit's extension ``name`` in ``resource.extension``."""
    return [e["url"] for e in resource["extension"]].index(EXTENSION + name)


def _score_with(bundle: dict[str, Any], key: str) -> tuple[dict[str, Any], str]:
    """The first Observation holding ``key``, and its path."""
    for index, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        if resource["resourceType"] == "Observation" and key in resource:
            return resource, f"$.entry[{index}].resource"
    raise AssertionError(key)  # pragma: no cover - the full course has every kind


def _held(bundle: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The first Encounter of a session held."""
    nth = next(n for n, r in enumerate(FULL.sessions) if r.status is SessionStatus.HELD)
    return _at(bundle, "Encounter", nth)


def _cancelled_appointment(bundle: dict[str, Any]) -> tuple[dict[str, Any], str]:
    plan = FULL.schedule
    assert plan is not None
    nth = next(
        n for n, r in enumerate(plan.sessions) if r.status is SessionStatus.CANCELLED_BY_PATIENT
    )
    return _at(bundle, "Appointment", nth)


def _edit_encounter_status(b: dict[str, Any]) -> str:
    resource, path = _at(b, "Encounter", 2)  # the missed session 3, made up
    del resource["extension"][_ext_at(resource, "session-status")]
    return f"{path}.extension"


def _edit_encounter_unknown_status(b: dict[str, Any]) -> str:
    resource, path = _held(b)
    del resource["extension"][_ext_at(resource, "session-status")]
    resource["status"] = "arrived"
    return f"{path}.status"


def _edit_virtual_without_modality(b: dict[str, Any]) -> str:
    resource, path = _held(b)  # held by video
    del resource["extension"][_ext_at(resource, "modality")]
    return f"{path}.extension"


def _edit_end(value: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _held(b)
        resource["period"]["end"] = value
        return f"{path}.period.end"

    return edit


def _edit_no_period(b: dict[str, Any]) -> str:
    resource, path = _held(b)
    del resource["period"]
    return f"{path}.period"


def _edit_twice(b: dict[str, Any]) -> str:
    resource, path = _held(b)
    position = _ext_at(resource, "session-number")
    resource["extension"].append(resource["extension"][position])
    return f"{path}.extension[{len(resource['extension']) - 1}]"


def _edit_wrong_value_key(b: dict[str, Any]) -> str:
    resource, path = _held(b)
    position = _ext_at(resource, "session-number")
    resource["extension"][position] = {"url": EXTENSION + "session-number", "valueString": "2"}
    return f"{path}.extension[{position}]"


def _edit_technique_without_code(b: dict[str, Any]) -> str:
    resource, path = _held(b)
    resource["extension"].append({"url": EXTENSION + "technique"})
    return f"{path}.extension[{len(resource['extension']) - 1}]"


def _edit_reference(value: Any, suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _score_with(b, "encounter")
        resource["encounter"] = value
        return f"{path}.encounter{suffix}"

    return edit


def _edit_duplicate_url(b: dict[str, Any]) -> str:
    b["entry"][3]["fullUrl"] = b["entry"][2]["fullUrl"]
    return "$.entry[3].fullUrl"


def _edit_no_schedule(b: dict[str, Any]) -> str:
    index = entry_index(b, "Schedule")
    del b["entry"][index]
    return f"$.entry[{index}].resource.resourceType"


def _edit_plan_kind(b: dict[str, Any]) -> str:
    resource, path = _at(b, "CarePlan", 1)
    resource["category"][0]["coding"][0]["code"] = "other"
    return f"{path}.resourceType"


def _edit_two_contracts(b: dict[str, Any]) -> str:
    resource, path = _at(b, "CarePlan", 1)
    resource["category"][0]["coding"][0]["code"] = "acute"
    return f"{path}.category"


def _edit_protocol(value: dict[str, Any], suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _at(b, "EpisodeOfCare")
        resource["extension"][0] = {"url": EXTENSION + "protocol", **value}
        return f"{path}.extension[0]{suffix}"

    return edit


def _edit_protocol_twice(b: dict[str, Any]) -> str:
    resource, path = _at(b, "EpisodeOfCare")
    resource["extension"].append(resource["extension"][0])
    return f"{path}.extension[{len(resource['extension']) - 1}]"


def _edit_no_episode_period(b: dict[str, Any]) -> str:
    resource, path = _at(b, "EpisodeOfCare")
    del resource["period"]
    return f"{path}.period"


def _edit_diagnosis_system(b: dict[str, Any]) -> str:
    resource, path = _at(b, "Condition")
    resource["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    return f"{path}.code"


def _edit_no_recorded_date(b: dict[str, Any]) -> str:
    resource, path = _at(b, "Condition")
    del resource["recordedDate"]
    return f"{path}.recordedDate"


def _edit_revision(link: Any) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _at(b, "ClinicalImpression", 1)
        if link is None:
            del resource["previous"]
            return f"{path}.previous"
        resource["previous"] = link
        return f"{path}.previous.reference"

    return edit


def _edit_revision_of_itself(b: dict[str, Any]) -> str:
    index = entry_index(b, "ClinicalImpression", 1)
    b["entry"][index]["resource"]["previous"] = {"reference": b["entry"][index]["fullUrl"]}
    return f"$.entry[{index}].resource.previous.reference"


def _edit_patient(b: dict[str, Any]) -> str:
    resource, path = _at(b, "Patient")
    resource["identifier"] = [{"system": PATIENT_ID_SYSTEM}]
    return f"{path}.identifier"


def _edit_goal_category(b: dict[str, Any]) -> str:
    resource, path = _at(b, "Goal")
    del resource["category"]
    return f"{path}.category"


def _edit_rating(b: dict[str, Any]) -> str:
    resource, path = _score_with(b, "focus")
    del resource["valueInteger"]
    return f"{path}.valueInteger"


def _edit_cancellation(reason: Any, suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _cancelled_appointment(b)
        resource["cancelationReason"] = reason
        return f"{path}.cancelationReason{suffix}"

    return edit


def _edit_total(b: dict[str, Any]) -> str:
    resource, path = _score_with(b, "derivedFrom")
    del resource["valueInteger"]
    return f"{path}.valueInteger"


def _edit_component(value: dict[str, Any], suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _score_with(b, "component")
        component = resource["component"][0]
        for key in ("valueInteger", "valueCodeableConcept"):
            component.pop(key, None)
        component.update(value)
        return f"{path}.component[0]{suffix}"

    return edit


def _edit_answer(item: dict[str, Any], suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        resource, path = _at(b, "QuestionnaireResponse")
        resource["item"][4] = {**resource["item"][4], **item}
        return f"{path}.item[4]{suffix}"

    return edit


def _edit_bundle_type(b: dict[str, Any]) -> str:
    b["type"] = "history"
    return "$.type"


def _edit_entry(value: Any, suffix: str) -> Any:
    def edit(b: dict[str, Any]) -> str:
        b["entry"].append(value)
        return f"$.entry[{len(b['entry']) - 1}]{suffix}"

    return edit


#: An edit of the full course's bundle, and the code of the issue it must cause
#: at the path the edit returns.
EDITS: list[tuple[str, Any, str]] = [
    ("cancelled encounter without its exact status", _edit_encounter_status, "missing_field"),
    ("encounter status iptkit does not read", _edit_encounter_unknown_status, "invalid_value"),
    ("virtual encounter without its modality", _edit_virtual_without_modality, "missing_field"),
    ("end that is no date and time", _edit_end("soon"), "invalid_value"),
    ("end on a day that does not exist", _edit_end("2026-02-30T09:00:00Z"), "invalid_value"),
    ("end not on a whole minute", _edit_end("2026-01-05T10:50:30+00:00"), "invalid_value"),
    ("encounter without a period", _edit_no_period, "missing_field"),
    ("extension given twice", _edit_twice, "duplicate_value"),
    ("extension without its value", _edit_wrong_value_key, "missing_field"),
    ("repeating extension without its value", _edit_technique_without_code, "missing_field"),
    ("reference that is no object", _edit_reference("x", ""), "wrong_type"),
    ("reference without its target", _edit_reference({}, ".reference"), "missing_field"),
    ("two entries with one fullUrl", _edit_duplicate_url, "duplicate_value"),
    ("appointments without their schedule", _edit_no_schedule, "missing_resource"),
    ("care plan of no iptkit kind", _edit_plan_kind, "unsupported_resource"),
    ("two contracts", _edit_two_contracts, "duplicate_resource"),
    ("unknown protocol", _edit_protocol({"valueCode": "x"}, ".valueCode"), "unknown_protocol"),
    ("protocol of no value", _edit_protocol({}, ""), "missing_field"),
    (
        "protocol attachment without data",
        _edit_protocol({"valueAttachment": {}}, ".valueAttachment.data"),
        "missing_field",
    ),
    (
        "protocol attachment not base64",
        _edit_protocol({"valueAttachment": {"data": "%%"}}, ".valueAttachment.data"),
        "invalid_value",
    ),
    ("protocol given twice", _edit_protocol_twice, "duplicate_value"),
    ("course without a period", _edit_no_episode_period, "missing_field"),
    ("diagnosis in another code system", _edit_diagnosis_system, "invalid_value"),
    ("diagnosis without its date", _edit_no_recorded_date, "missing_field"),
    ("revision without the impression it revises", _edit_revision(None), "missing_field"),
    (
        "revision of another impression",
        _edit_revision({"reference": "urn:uuid:00000000-0000-5000-8000-000000000000"}),
        "unresolved_reference",
    ),
    (
        "revision of an impression other than the one before",
        _edit_revision_of_itself,
        "unresolved_reference",
    ),
    ("patient without an identifier", _edit_patient, "missing_field"),
    ("goal without its focus area", _edit_goal_category, "missing_field"),
    ("goal rating without its progress", _edit_rating, "missing_field"),
    (
        "cancellation by someone else",
        _edit_cancellation(
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
                        "code": "other",
                    }
                ]
            },
            ".coding[0].code",
        ),
        "invalid_value",
    ),
    (
        "cancellation reason in no known system",
        _edit_cancellation({"text": "x"}, ""),
        "missing_field",
    ),
    ("score without its total", _edit_total, "missing_field"),
    ("safety item without its answer", _edit_component({}, ""), "missing_field"),
    (
        "safety answer that is no object",
        _edit_component({"valueCodeableConcept": "x"}, ".valueCodeableConcept"),
        "wrong_type",
    ),
    (
        "safety answer not coded in LOINC",
        _edit_component({"valueCodeableConcept": {"text": "x"}}, ".valueCodeableConcept"),
        "missing_field",
    ),
    (
        "safety answer coding that is no object",
        _edit_component(
            {"valueCodeableConcept": {"coding": ["x"]}}, ".valueCodeableConcept.coding[0]"
        ),
        "wrong_type",
    ),
    (
        "item with two answers",
        _edit_answer({"answer": [{"valueInteger": 1}, {"valueInteger": 2}]}, ".answer"),
        "invalid_value",
    ),
    ("item without an answer", _edit_answer({"answer": []}, ".answer"), "missing_field"),
    (
        "answer of no kind iptkit reads",
        _edit_answer({"answer": [{"valueBoolean": True}]}, ".answer[0]"),
        "missing_field",
    ),
    ("item out of place", _edit_answer({"linkId": "44250-9"}, ".linkId"), "invalid_value"),
    ("history bundle", _edit_bundle_type, "invalid_value"),
    ("entry that is no object", _edit_entry([], ""), "wrong_type"),
    ("entry without a resource", _edit_entry({}, ".resource"), "missing_field"),
    (
        "resource without a type",
        _edit_entry({"resource": {}}, ".resource.resourceType"),
        "missing_field",
    ),
]


class TestForeignBundles:
    """Each thing iptkit cannot accept, reported at the element it is about."""

    @pytest.mark.parametrize(("edit", "code"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
    def test_edit(self, edit: Any, code: str) -> None:
        """The edit gives the expected issue at the path it returns, and no traceback."""
        bundle = copy.deepcopy(to_bundle(FULL))
        path = edit(bundle)
        assert (path, code) in issues(bundle)

    def test_finished_encounter_without_exact_status_is_held(self) -> None:
        """Without the session-status extension, a finished Encounter is a session held."""
        bundle = to_bundle(FULL)
        resource, _ = _held(bundle)
        del resource["extension"][_ext_at(resource, "session-status")]
        assert from_bundle(bundle) == from_bundle(to_bundle(FULL))

    def test_offsets_fhir_cannot_write_become_utc(self) -> None:
        """FHIR writes whole-minute offsets up to 14 hours: any other instant is written in UTC."""
        from iptkit._io._fhir import _when

        odd = dt.timezone(dt.timedelta(minutes=9, seconds=21))
        moment = dt.datetime(1900, 1, 1, 12, 0, tzinfo=odd)
        assert _when(moment) == "1900-01-01T11:50:39+00:00"
        kept = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=14)))
        assert _when(kept) == "2026-01-01T12:00:00+14:00"


_FHIR_VALUES = st.sampled_from(
    [
        SECRET,
        "cancelled",
        "noshow",
        "urn:uuid:00000000-0000-5000-8000-000000000000",
        {"reference": SECRET},
        {"coding": [{"system": LOINC, "code": "LA6571-9"}]},
        [{"url": EXTENSION + "session-number", "valueInteger": 2}],
        [{"url": EXTENSION + "protocol", "valueAttachment": {"data": "e30="}}],
        "2026-03-02T09:00:00+01:00",
        "2026-03-02",
    ]
)


@st.composite
def mutated_bundles(draw: st.DrawFn) -> Any:
    """A bundle of a generated course with one to three parts replaced, dropped or added."""
    bundle: Any = to_bundle(draw(courses()), include_text=draw(st.booleans()))
    for _ in range(draw(st.integers(1, 3))):
        trail = draw(st.sampled_from(_nodes(bundle)))
        target = value_at(bundle, trail)
        kind = draw(st.sampled_from(["edge", "any", "drop", "twice", "add"]))
        if kind == "drop" and isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            bundle = _replace(bundle, trail, {k: v for k, v in target.items() if k != key})
        elif kind == "twice" and isinstance(target, list) and target:
            bundle = _replace(bundle, trail, [*target, *target])
        elif kind == "add" and isinstance(target, dict):
            key = draw(st.sampled_from(["modifierExtension", "extension", "encounter", "x"]))
            bundle = _replace(bundle, trail, {**target, key: draw(json_values | _FHIR_VALUES)})
        elif kind == "any":
            bundle = _replace(bundle, trail, draw(json_values | _FHIR_VALUES))
        else:
            bundle = _replace(bundle, trail, draw(edge_values | _FHIR_VALUES))
    return bundle


# --------------------------------------------------------------------------
# Without the extra
# --------------------------------------------------------------------------


def test_without_the_extra() -> None:
    """to_bundle and from_bundle need no FHIR library; validation names the missing extra."""
    code = (
        "import sys\n"
        "sys.modules['fhir'] = None\n"
        "import datetime as dt\n"
        "import iptkit\n"
        "from iptkit.fhir import from_bundle, to_bundle, validate_bundle\n"
        "course = iptkit.TreatmentCourse(patient_id='AB-1', started_on=dt.date(2026, 3, 2))\n"
        "assert from_bundle(to_bundle(course)) == course\n"
        "try:\n"
        "    to_bundle(course, validate=True)\n"
        "except iptkit.MissingExtraError as exc:\n"
        "    print(exc.extra)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "fhir"
    assert "fhir.resources" not in re.sub(r"\s+", " ", result.stderr)


def test_to_bundle_takes_a_course() -> None:
    """Anything else is refused as a wrong type, without quoting it."""
    with pytest.raises(ValidationError) as info:
        to_bundle(iptkit.dump(FULL))  # type: ignore[arg-type]
    assert [(i.path, i.code) for i in info.value.issues] == [("$", "wrong_type")]
    assert "AB-1234" not in str(info.value)
