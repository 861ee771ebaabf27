"""FHIR R4 bundles in and out: a :class:`~iptkit.TreatmentCourse` as a ``collection`` Bundle.

:func:`to_bundle` writes plain JSON-ready data (dicts, lists, text, numbers)
without any FHIR library; :func:`from_bundle` reads such data back into a
course, reporting every problem at once as a :class:`~iptkit.ValidationError`
whose paths point into the bundle (``$.entry[3].resource.status``);
:func:`validate_bundle` checks a bundle with the R4B models of
``fhir.resources`` (the ``fhir`` extra).  The resources used here have the
same shape in R4 and R4B.

How it works, in both directions: the writer walks the course; the reader
turns the bundle into an iptkit course *document* (the JSON that
:func:`iptkit.load` reads), noting for every value it places which element of
the bundle it came from, and then calls :func:`iptkit.load`.  So the rules a
course keeps are checked in one place, every issue the codec finds is
reported, and each is moved back onto the element of the bundle it is about.

The mapping of each field is documented in ``docs/fhir.md``; what the bundle
does not carry is listed there too.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from iptkit._contract import (
    Amendment,
    MaintenanceAgreement,
    Modality,
    Obligation,
    Party,
    TreatmentContract,
)
from iptkit._course import (
    Diagnosis,
    DiagnosisSystem,
    Formulation,
    SessionRecord,
    TreatmentCourse,
    TreatmentGoal,
)
from iptkit._errors import NO_INPUT, Issue, MissingExtraError, ValidationError, join_path
from iptkit._io._codec import SCHEMA_VERSION, converter, load, parse_json
from iptkit._measures import GAD7, INSTRUMENTS, PHQ9, Instrument, InstrumentId, Score
from iptkit._protocol import BUILTIN_PROTOCOLS, STANDARD, Protocol
from iptkit._recurrence import zone_info
from iptkit._schedule import MaintenancePlan, Schedule, ScheduledSession
from iptkit._sessions import SessionKind, SessionStatus

__all__ = [
    "BASE",
    "CODE_SYSTEM",
    "EXTENSION",
    "LOINC_ANSWERS",
    "LOINC_ITEMS",
    "NOT_EXPORTED",
    "PATIENT_ID_SYSTEM",
    "from_bundle",
    "to_bundle",
    "validate_bundle",
]

# --------------------------------------------------------------------------
# Names: iptkit's own code systems and extensions, and the external ones
# --------------------------------------------------------------------------

#: Root of every URI iptkit defines for FHIR (code systems, extensions, identifiers).
BASE: Final = "https://iptkit.org/fhir"
#: Prefix of iptkit's code systems: ``CODE_SYSTEM + "focus-area"`` and so on.
CODE_SYSTEM: Final = f"{BASE}/CodeSystem/"
#: Prefix of iptkit's extensions: ``EXTENSION + "session-number"`` and so on.
EXTENSION: Final = f"{BASE}/StructureDefinition/"
#: The identifier system of the pseudonymous patient id.
PATIENT_ID_SYSTEM: Final = f"{BASE}/sid/patient-id"
#: Stands in for required free text that the bundle left out (``include_text=False``).
NOT_EXPORTED: Final = "(not exported)"

LOINC: Final = "http://loinc.org"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
#: The URI HL7's terminology authority endorses for ICD-11 MMS
#: (terminology.hl7.org, NamingSystem ICD11MMS).
ICD11: Final = "http://id.who.int/icd/release/11/mms"
#: DSM-5 has no code system URI in HL7 terminology: iptkit names one, for the
#: codes exactly as the record holds them.
DSM5: Final = CODE_SYSTEM + "dsm-5"
ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
CANCELLATION_REASON: Final = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
UCUM: Final = "http://unitsofmeasure.org"

FOCUS_AREA: Final = CODE_SYSTEM + "focus-area"
SEVERITY: Final = CODE_SYSTEM + "symptom-severity"
PLAN_KIND: Final = CODE_SYSTEM + "care-plan-kind"
INSTRUMENT_TOTAL: Final = CODE_SYSTEM + "instrument-total"
INSTRUMENT_ITEM: Final = CODE_SYSTEM + "instrument-item"
OBSERVATION_CODE: Final = CODE_SYSTEM + "observation"
GOAL_PROGRESS: Final = "goal-progress"

_DIAGNOSIS_SYSTEMS: Final = {
    DiagnosisSystem.ICD10: ICD10,
    DiagnosisSystem.ICD11: ICD11,
    DiagnosisSystem.DSM5: DSM5,
}
_DIAGNOSIS_BY_URI: Final = {uri: system.value for system, uri in _DIAGNOSIS_SYSTEMS.items()}

#: LOINC answer codes of the PHQ-9 and GAD-7 items, by item score.  From LOINC
#: answer list LL358-3 ("Not at all/Several days/More than half the days/Nearly
#: every day", loinc.org/LL358-3), which both instruments' items use.
LOINC_ANSWERS: Final[tuple[tuple[str, str], ...]] = (
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
)
_ANSWER_SCORES: Final = {code: score for score, (code, _) in enumerate(LOINC_ANSWERS)}

#: LOINC item codes, in item order, of the instruments with confirmed codes
#: (the instruments' own tables; reference section 7.5 for PHQ-9, and the
#: PHQ-SADS panel, loinc.org/69729-2, for GAD-7 items 1 and 2).
LOINC_ITEMS: Final[Mapping[InstrumentId, tuple[str, ...]]] = {
    info.id: tuple(code for code in info.loinc_items if code is not None)
    for info in (PHQ9, GAD7)
    if info.loinc_items is not None
}
#: LOINC displays of the total scores (cdn.loinc.org/44261-6; the LOINC name of 70274-6).
_TOTAL_DISPLAYS: Final = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}

_APPOINTMENT_STATUS: Final = {
    SessionStatus.PLANNED: "booked",
    SessionStatus.HELD: "fulfilled",
    SessionStatus.MISSED: "noshow",
    SessionStatus.CANCELLED_BY_PATIENT: "cancelled",
    SessionStatus.CANCELLED_BY_THERAPIST: "cancelled",
}
#: Who called a session off, as a code of HL7's appointment-cancellation-reason
#: system ("pat" Patient, "prov" Provider).
_CANCELLED_BY: Final = {
    SessionStatus.CANCELLED_BY_PATIENT: ("pat", "Patient"),
    SessionStatus.CANCELLED_BY_THERAPIST: ("prov", "Provider"),
}
_ENCOUNTER_STATUS: Final = {
    SessionStatus.PLANNED: "planned",
    SessionStatus.HELD: "finished",
    SessionStatus.MISSED: "cancelled",
    SessionStatus.CANCELLED_BY_PATIENT: "cancelled",
    SessionStatus.CANCELLED_BY_THERAPIST: "cancelled",
}
_ENCOUNTER_CLASS: Final = {
    Modality.IN_PERSON: ("AMB", "ambulatory"),
    Modality.VIDEO: ("VR", "virtual"),
    Modality.PHONE: ("VR", "virtual"),
}

#: uuid5 namespace of every ``urn:uuid`` iptkit writes.
_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, BASE)


# --------------------------------------------------------------------------
# Small writers
# --------------------------------------------------------------------------


#: The widest UTC offset FHIR writes (its dateTime pattern stops at 14:00).
_WIDEST_OFFSET: Final = dt.timedelta(hours=14)


def _when(value: dt.datetime) -> str:
    """A FHIR dateTime or instant: ISO 8601 with its UTC offset, in UTC when FHIR cannot say it.

    FHIR writes offsets in whole minutes up to 14 hours either way; a datetime
    with any other offset is written in UTC (the same instant).
    """
    offset = value.utcoffset()
    if offset is not None and (
        offset.seconds % 60 or offset.microseconds or abs(offset) > _WIDEST_OFFSET
    ):
        value = value.astimezone(dt.UTC)
    return value.isoformat()


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": EXTENSION + name, **value}


def _part(name: str, **value: Any) -> dict[str, Any]:
    """A part of a complex extension (its url is the part's name)."""
    return {"url": name, **value}


#: What FHIR's ``string`` pattern needs, as fhir.resources reads it: a character
#: other than Unicode white space, or a space, tab or line end.
_FHIR_STRING: Final = re.compile(r"[ \r\n\t\S]")


def _text(text: str) -> dict[str, str]:
    """Free text as the value of an extension.

    ``valueString``, unless the text is made only of Unicode white space other
    than spaces, tabs and line ends (a no-break space, say), which FHIR's
    ``string`` pattern refuses: then ``valueBase64Binary`` of its UTF-8 bytes.
    """
    if _FHIR_STRING.search(text) is not None:
        return {"valueString": text}
    return {"valueBase64Binary": base64.b64encode(text.encode("utf-8")).decode("ascii")}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _focus(areas: Iterable[Any]) -> list[dict[str, Any]]:
    return [_concept(FOCUS_AREA, area.value) for area in areas]


def _session_extensions(row: ScheduledSession | SessionRecord) -> list[dict[str, Any]]:
    found = [
        _ext("session-kind", valueCode=row.kind.value),
        _ext("session-number", valueInteger=row.number),
    ]
    if row.phase is not None:
        found.append(_ext("phase", valueCode=row.phase.value))
    if row.made_up:
        found.append(_ext("made-up", valueBoolean=True))
    return found


def _amendment(amendment: Amendment, text: bool) -> dict[str, Any]:
    parts = [
        _part("agreed-on", valueDate=amendment.agreed_on.isoformat()),
        _part("new-total", valueInteger=amendment.new_total),
    ]
    if text:
        parts.append(_part("reason", **_text(amendment.reason)))
    return _ext("amendment", extension=parts)


def _protocol_extension(protocol: Protocol) -> dict[str, Any]:
    if protocol.name in BUILTIN_PROTOCOLS:
        return _ext("protocol", valueCode=protocol.name)
    text = json.dumps(converter.unstructure(protocol), ensure_ascii=False, separators=(",", ":"))
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return _ext("protocol", valueAttachment={"contentType": "application/json", "data": data})


class _Writer:
    """Builds the entries of one course's bundle, in a fixed order."""

    def __init__(self, course: TreatmentCourse, text: bool) -> None:
        self.course = course
        self.text = text
        key = f"{course.patient_id}/{course.started_on.isoformat()}/"
        # uuid5 by hand (RFC 9562: SHA-1 of namespace and name), from a hash of the
        # course's part of the name: a bundle needs over a hundred of them.
        self.hash = hashlib.sha1(_NAMESPACE.bytes + key.encode("utf-8"), usedforsecurity=False)
        self.urns: dict[str, str] = {}
        self.entries: list[dict[str, Any]] = []
        self.patient = self.ref("patient")
        self.condition = (
            self.ref("condition")
            if course.diagnosis is not None or course.onset is not None
            else None
        )

    def urn(self, role: str) -> str:
        """``urn:uuid:`` and the uuid5 of the course and ``role``, as :func:`uuid.uuid5` gives."""
        found = self.urns.get(role)
        if found is None:
            digest = self.hash.copy()
            digest.update(role.encode("utf-8"))
            raw = bytearray(digest.digest()[:16])
            raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
            raw[8] = (raw[8] & 0x3F) | 0x80  # RFC variant
            text = raw.hex()
            found = f"urn:uuid:{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
            self.urns[role] = found
        return found

    def ref(self, role: str) -> dict[str, str]:
        return {"reference": self.urn(role)}

    def add(self, role: str, resource: dict[str, Any]) -> None:
        self.entries.append({"fullUrl": self.urn(role), "resource": resource})

    # -- the course ---------------------------------------------------------

    def write(self) -> dict[str, Any]:
        course = self.course
        self.add(
            "patient",
            {
                "resourceType": "Patient",
                "identifier": [{"system": PATIENT_ID_SYSTEM, "value": course.patient_id}],
            },
        )
        self.episode()
        self.diagnosis()
        if course.contract is not None:
            self.contract(course.contract)
        if course.maintenance is not None:
            self.maintenance(course.maintenance)
        if course.formulation is not None:
            self.formulation(course.formulation)
        for index, goal in enumerate(course.goals):
            self.goal(index, goal)
        appointments: dict[tuple[SessionKind, int, bool, dt.date], dict[str, str]] = {}
        if course.schedule is not None:
            appointments = self.schedule(course.schedule)
        info = zone_info(course.schedule.zone) if course.schedule is not None else None
        for index, record in enumerate(course.sessions):
            key = (record.kind, record.number, record.made_up, _day(record.starts_at, info))
            self.encounter(index, record, appointments.get(key))
        for index, record in enumerate(course.sessions):
            for position, taken in enumerate(record.scores):
                role = f"session/{index}/score/{position}"
                self.score(role, taken, _when(record.starts_at), self.ref(f"session/{index}"))
        for index, measurement in enumerate(course.measurements):
            extra: list[dict[str, Any]] = []
            kind = measurement.session_kind
            if measurement.session_number is not None or kind is not SessionKind.ACUTE:
                extra.append(_ext("session-kind", valueCode=kind.value))
            if measurement.session_number is not None:
                extra.append(_ext("session-number", valueInteger=measurement.session_number))
            if measurement.risk_assessed_on is not None:
                extra.append(
                    _ext("risk-assessed-on", valueDate=measurement.risk_assessed_on.isoformat())
                )
            self.score(
                f"measurement/{index}",
                measurement.score,
                measurement.taken_on.isoformat(),
                None,
                extra,
            )
        return {"resourceType": "Bundle", "type": "collection", "entry": self.entries}

    def episode(self) -> None:
        course = self.course
        period = {"start": course.started_on.isoformat()}
        if course.ended_on is not None:
            period["end"] = course.ended_on.isoformat()
        extensions = [_protocol_extension(course.protocol)]
        if course.ended_reason is not None:
            extensions.append(_ext("end-reason", valueCode=course.ended_reason.value))
        if course.age_at_start is not None:
            extensions.append(_ext("age-at-start", valueInteger=course.age_at_start))
        resource: dict[str, Any] = {
            "resourceType": "EpisodeOfCare",
            "extension": extensions,
            "status": "finished" if course.ended_on is not None else "active",
            "patient": self.patient,
            "period": period,
        }
        if self.condition is not None:
            resource["diagnosis"] = [{"condition": self.condition}]
        self.add("episode", resource)

    def diagnosis(self) -> None:
        course = self.course
        if self.condition is None:
            return
        resource: dict[str, Any] = {"resourceType": "Condition", "subject": self.patient}
        diagnosis: Diagnosis | None = course.diagnosis
        if diagnosis is not None:
            resource["code"] = _concept(_DIAGNOSIS_SYSTEMS[diagnosis.system], diagnosis.code)
        if course.onset is not None:
            resource["onsetDateTime"] = course.onset.isoformat()
        if diagnosis is not None:
            resource["recordedDate"] = diagnosis.recorded_on.isoformat()
        self.add("condition", resource)

    def plan(self, kind: str, **rest: Any) -> dict[str, Any]:
        status = "completed" if self.course.ended_on is not None else "active"
        resource: dict[str, Any] = {"resourceType": "CarePlan", "extension": rest.pop("extension")}
        resource.update(status=status, intent="plan")
        resource["category"] = [_concept(PLAN_KIND, kind), *rest.pop("category", [])]
        resource["subject"] = self.patient
        resource.update(rest)
        return resource

    def contract(self, contract: TreatmentContract) -> None:
        terms = contract.sessions
        policy = contract.contingency
        extensions = [
            _ext("contracted-total", valueInteger=terms.total),
            _ext("frequency", valueCode=terms.frequency.value),
            _ext("session-minutes", valueInteger=terms.minutes),
            _ext("first-session", valueDateTime=_when(terms.first_session)),
            _ext("time-zone", valueCode=terms.zone),
            _ext("modality", valueCode=contract.modality.value),
            _ext("format", valueCode=contract.format.value),
        ]
        if contract.dispute_stage is not None:
            extensions.append(_ext("dispute-stage", valueCode=contract.dispute_stage.value))
        extensions.append(_ext("missed-session-policy", valueCode=policy.missed.value))
        if policy.max_missed is not None:
            extensions.append(_ext("max-missed", valueInteger=policy.max_missed))
        extensions += [
            _ext("excluded-date", valueDate=d.isoformat()) for d in policy.excluded_dates
        ]
        extensions += [_amendment(a, self.text) for a in contract.amendments]
        extensions += [self.party(party) for party in contract.parties]
        extensions += [self.obligation(item) for item in contract.obligations]
        if contract.maintenance_discussed is not None:
            extensions.append(
                _ext("maintenance-discussed", valueBoolean=contract.maintenance_discussed)
            )
        if self.text:
            for name, value in (
                ("boundaries", contract.boundaries),
                ("out-of-session-contact", contract.out_of_session_contact),
                ("crisis-plan", contract.crisis_plan),
                ("after-max-missed", policy.after_max_missed),
                ("illness", policy.illness),
                ("therapist-absence", policy.therapist_absence),
            ):
                if value is not None:
                    extensions.append(_ext(name, **_text(value)))
        sessions = self.planned_acute(contract)
        rest: dict[str, Any] = {
            "extension": extensions,
            "category": _focus(contract.focus_areas),
            "period": {"start": sessions[0][1], "end": sessions[-1][2]},
        }
        if self.condition is not None:
            rest["addresses"] = [self.condition]
        if self.course.goals:
            rest["goal"] = [self.ref(f"goal/{i}") for i in range(len(self.course.goals))]
        rest["activity"] = [
            {"reference": reference}
            if reference is not None
            else {
                "detail": {
                    "kind": "Appointment",
                    "status": "not-started",
                    "scheduledPeriod": {"start": start, "end": end},
                }
            }
            for reference, start, end in sessions
        ]
        self.add("contract", self.plan("acute", **rest))

    def planned_acute(
        self, contract: TreatmentContract
    ) -> list[tuple[dict[str, str] | None, str, str]]:
        """The acute sessions the contract plans: from the schedule if there is one."""
        schedule = self.course.schedule
        if schedule is not None:
            return [
                (
                    self.ref(f"appointment/{index}"),
                    _when(row.starts_at),
                    _when(row.ends_at),
                )
                for index, row in enumerate(schedule.sessions)
                if row.kind is SessionKind.ACUTE and not row.made_up
            ]
        length = dt.timedelta(minutes=contract.sessions.minutes)
        return [(None, _when(start), _when(start + length)) for start in contract.session_starts()]

    def party(self, party: Party) -> dict[str, Any]:
        parts = [_part("role", valueCode=party.role.value)]
        if party.signed_on is not None:
            parts.append(_part("signed-on", valueDate=party.signed_on.isoformat()))
        if self.text:
            parts.append(_part("label", **_text(party.label)))
        return _ext("party", extension=parts)

    def obligation(self, obligation: Obligation) -> dict[str, Any]:
        parts = [_part("role", valueCode=obligation.role.value)]
        if self.text:
            parts.append(_part("description", **_text(obligation.description)))
        return _ext("obligation", extension=parts)

    def maintenance(self, agreement: MaintenanceAgreement) -> None:
        extensions = [
            _ext("frequency", valueCode=agreement.frequency.value),
            _ext("monthly-by", valueCode=agreement.monthly_by.value),
            _ext("session-minutes", valueInteger=agreement.minutes),
            _ext("first-session", valueDateTime=_when(agreement.first_session)),
            _ext("time-zone", valueCode=agreement.zone),
        ]
        period = {"start": _when(agreement.first_session)}
        if agreement.count is not None:
            extensions.append(_ext("session-count", valueInteger=agreement.count))
        if agreement.until is not None:
            extensions.append(_ext("until", valueDate=agreement.until.isoformat()))
            period["end"] = agreement.until.isoformat()
        self.add(
            "maintenance",
            self.plan(
                "maintenance",
                extension=extensions,
                period=period,
                created=agreement.agreed_on.isoformat(),
            ),
        )

    def formulation(self, formulation: Formulation) -> None:
        base: dict[str, Any] = {"status": "completed", "subject": self.patient}
        if self.condition is not None:
            base["problem"] = [self.condition]
        first: dict[str, Any] = {"resourceType": "ClinicalImpression"}
        if self.text and formulation.linked_people:
            first["extension"] = [
                _ext("linked-person", **_text(label)) for label in formulation.linked_people
            ]
        first.update(base)
        first["effectiveDateTime"] = formulation.agreed_on.isoformat()
        first["finding"] = [{"itemCodeableConcept": c} for c in _focus(formulation.focus_areas)]
        self.add("formulation/0", first)
        for index, revision in enumerate(formulation.revisions, start=1):
            resource: dict[str, Any] = {"resourceType": "ClinicalImpression", **base}
            resource["effectiveDateTime"] = revision.on.isoformat()
            resource["previous"] = self.ref(f"formulation/{index - 1}")
            if self.text and _FHIR_STRING.search(revision.reason) is not None:
                resource["summary"] = revision.reason
            elif self.text:  # white space only, which a FHIR string refuses: an extension
                resource = {
                    "resourceType": "ClinicalImpression",
                    "extension": [_ext("reason", **_text(revision.reason))],
                    **{key: value for key, value in resource.items() if key != "resourceType"},
                }
            resource["finding"] = [{"itemCodeableConcept": c} for c in _focus(revision.focus_areas)]
            self.add(f"formulation/{index}", resource)

    def goal(self, index: int, goal: TreatmentGoal) -> None:
        role = f"goal/{index}"
        focus = _concept(FOCUS_AREA, goal.focus_area.value)
        plain = self.text and _FHIR_STRING.search(goal.description) is not None
        resource: dict[str, Any] = {"resourceType": "Goal"}
        if self.text and not plain:  # white space only, which a FHIR string refuses
            resource["extension"] = [_ext("description", **_text(goal.description))]
        resource |= {
            "lifecycleStatus": "active",
            "category": [focus],
            "description": {"text": goal.description} if plain else focus,
            "subject": self.patient,
            "startDate": goal.set_on.isoformat(),
        }
        if self.condition is not None:
            resource["addresses"] = [self.condition]
        if goal.ratings:
            resource["outcomeReference"] = [
                self.ref(f"{role}/rating/{j}") for j in range(len(goal.ratings))
            ]
        self.add(role, resource)
        for j, rating in enumerate(goal.ratings):
            self.add(
                f"{role}/rating/{j}",
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": _concept(OBSERVATION_CODE, GOAL_PROGRESS),
                    "subject": self.patient,
                    "focus": [self.ref(role)],
                    "effectiveDateTime": rating.on.isoformat(),
                    "valueInteger": rating.progress,
                },
            )

    def schedule(
        self, schedule: Schedule
    ) -> dict[tuple[SessionKind, int, bool, dt.date], dict[str, str]]:
        extensions = [
            _ext("time-zone", valueCode=schedule.zone),
            _ext("first-start", valueDateTime=_when(schedule.first_start)),
            _ext("frequency", valueCode=schedule.frequency.value),
            _ext("session-minutes", valueInteger=schedule.minutes),
            _ext("contracted-total", valueInteger=schedule.contracted_total),
        ]
        if schedule.missed_policy is not None:
            extensions.append(_ext("missed-session-policy", valueCode=schedule.missed_policy.value))
        extensions += [_ext("excluded-date", valueDate=d.isoformat()) for d in schedule.exclude]
        extensions += [_amendment(a, self.text) for a in schedule.amendments]
        extensions += [_maintenance_plan(plan) for plan in schedule.maintenance]
        rows = schedule.sessions
        self.add(
            "schedule",
            {
                "resourceType": "Schedule",
                "extension": extensions,
                "active": True,
                "actor": [self.patient],
                "planningHorizon": {
                    "start": _when(rows[0].starts_at),
                    "end": _when(rows[-1].ends_at),
                },
            },
        )
        info = zone_info(schedule.zone)
        found: dict[tuple[SessionKind, int, bool, dt.date], dict[str, str]] = {}
        for index, row in enumerate(rows):
            role = f"appointment/{index}"
            resource: dict[str, Any] = {
                "resourceType": "Appointment",
                "extension": _session_extensions(row),
                "status": _APPOINTMENT_STATUS[row.status],
            }
            who = _CANCELLED_BY.get(row.status)
            if who is not None:
                resource["cancelationReason"] = _concept(CANCELLATION_REASON, *who)
            resource["start"] = _when(row.starts_at)
            resource["end"] = _when(row.ends_at)
            resource["minutesDuration"] = row.minutes
            resource["participant"] = [{"actor": self.patient, "status": "accepted"}]
            self.add(role, resource)
            key = (row.kind, row.number, row.made_up, _day(row.starts_at, info))
            found.setdefault(key, self.ref(role))
        return found

    def encounter(self, index: int, record: SessionRecord, appointment: Any) -> None:
        extensions = _session_extensions(record)
        extensions.append(_ext("session-status", valueCode=record.status.value))
        extensions.append(_ext("modality", valueCode=record.modality.value))
        extensions += [_ext("technique", valueCode=t.value) for t in record.techniques]
        if record.previous_task_outcome is not None:
            extensions.append(
                _ext("previous-task-outcome", valueCode=record.previous_task_outcome.value)
            )
        for name, flag in (
            ("sick-role-given", record.sick_role_given),
            ("ending-raised", record.ending_raised),
            ("risk-assessed", record.risk_assessed),
            ("maintenance-discussed", record.maintenance_discussed),
            ("parent-present", record.parent_present),
        ):
            if flag:
                extensions.append(_ext(name, valueBoolean=True))
        if self.text:
            if record.task_set is not None:
                extensions.append(_ext("task", **_text(record.task_set)))
            if record.notes is not None:
                extensions.append(_ext("note", **_text(record.notes)))
        code, display = _ENCOUNTER_CLASS[record.modality]
        ends = record.starts_at + dt.timedelta(minutes=record.minutes)
        resource: dict[str, Any] = {
            "resourceType": "Encounter",
            "extension": extensions,
            "status": _ENCOUNTER_STATUS[record.status],
            "class": _coding(ACT_CODE, code, display),
            "subject": self.patient,
            "episodeOfCare": [self.ref("episode")],
        }
        if appointment is not None:
            resource["appointment"] = [appointment]
        resource["period"] = {"start": _when(record.starts_at), "end": _when(ends)}
        resource["length"] = {
            "value": record.minutes,
            "unit": "min",
            "system": UCUM,
            "code": "min",
        }
        if record.focus_areas:
            resource["reasonCode"] = _focus(record.focus_areas)
        self.add(f"session/{index}", resource)

    def score(
        self,
        role: str,
        taken: Score,
        when: str,
        encounter: dict[str, str] | None,
        extensions: list[dict[str, Any]] | None = None,
    ) -> None:
        info = INSTRUMENTS[taken.instrument]
        answers_role = f"{role}/answers"
        if taken.items is not None:
            response: dict[str, Any] = {
                "resourceType": "QuestionnaireResponse",
                "questionnaire": _questionnaire(info),
                "status": "completed",
                "subject": self.patient,
            }
            if encounter is not None:
                response["encounter"] = encounter
            response["authored"] = when
            response["item"] = [
                {"linkId": link, "answer": [_answer(info, answer)]}
                for link, answer in zip(_link_ids(info), taken.items, strict=True)
            ]
            self.add(answers_role, response)
        band = taken.severity
        observation: dict[str, Any] = {"resourceType": "Observation"}
        if extensions:
            observation["extension"] = extensions
        observation.update(
            status="final",
            category=[_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
            code=_total_code(info),
            subject=self.patient,
        )
        if encounter is not None:
            observation["encounter"] = encounter
        observation["effectiveDateTime"] = when
        observation["valueInteger"] = taken.total
        observation["interpretation"] = [_concept(SEVERITY, band.value)]
        if taken.items is not None:
            observation["derivedFrom"] = [self.ref(answers_role)]
        if taken.safety_item is not None:
            observation["component"] = [_safety_component(info, taken.safety_item)]
        self.add(role, observation)


def _maintenance_plan(plan: MaintenancePlan) -> dict[str, Any]:
    parts = [
        _part("first-start", valueDateTime=_when(plan.first_start)),
        _part("frequency", valueCode=plan.frequency.value),
        _part("monthly-by", valueCode=plan.monthly_by.value),
        _part("session-minutes", valueInteger=plan.minutes),
        _part("session-count", valueInteger=plan.count),
    ]
    if plan.agreed_on is not None:
        parts.append(_part("agreed-on", valueDate=plan.agreed_on.isoformat()))
    return _ext("maintenance-plan", extension=parts)


def _day(moment: dt.datetime, info: Any) -> dt.date:
    if info is None:
        return moment.date()
    try:
        return moment.astimezone(info).date()
    except (OverflowError, ValueError):  # pragma: no cover - only at the ends of datetime's range
        return moment.date()


def _questionnaire(info: Instrument) -> str:
    if info.id in LOINC_ITEMS and info.loinc_panel is not None:
        return f"{LOINC}/q/{info.loinc_panel}"
    return f"{BASE}/Questionnaire/{info.id.value}"


def _link_ids(info: Instrument) -> tuple[str, ...]:
    """The linkId of each item: its LOINC code where confirmed, else its number."""
    codes = LOINC_ITEMS.get(info.id)
    if codes is not None:
        return codes
    return tuple(str(number) for number in range(1, info.item_count + 1))


def _item_code(info: Instrument, number: int) -> dict[str, Any]:
    codes = LOINC_ITEMS.get(info.id)
    if codes is not None:
        return _concept(LOINC, codes[number - 1])
    return _concept(INSTRUMENT_ITEM, f"{info.id.value}-{number}")


def _answer(info: Instrument, answer: int | str) -> dict[str, Any]:
    if info.id in LOINC_ITEMS and type(answer) is int:
        code, display = LOINC_ANSWERS[answer]
        return {"valueCoding": _coding(LOINC, code, display)}
    if type(answer) is str:
        return {"valueString": answer}
    return {"valueInteger": answer}


def _total_code(info: Instrument) -> dict[str, Any]:
    if info.id in LOINC_ITEMS and info.loinc_total is not None:
        return _concept(LOINC, info.loinc_total, _TOTAL_DISPLAYS.get(info.loinc_total))
    return _concept(INSTRUMENT_TOTAL, info.id.value)


def _safety_component(info: Instrument, answer: int) -> dict[str, Any]:
    assert info.safety_item is not None  # a score keeps a safety answer only then
    component: dict[str, Any] = {"code": _item_code(info, info.safety_item.number)}
    if info.id in LOINC_ITEMS:
        code, display = LOINC_ANSWERS[answer]
        component["valueCodeableConcept"] = _concept(LOINC, code, display)
    else:
        component["valueInteger"] = answer
    return component


def to_bundle(
    course: TreatmentCourse, *, include_text: bool = False, validate: bool = False
) -> dict[str, Any]:
    """Return ``course`` as a FHIR R4 ``collection`` Bundle of plain JSON-ready data.

    The bundle holds dicts, lists, text, whole numbers and booleans only, and
    is the same for the same course: every ``fullUrl`` is a ``urn:uuid`` made
    with uuid5 from the patient id, the course's start date and the role of
    the resource, and every reference points to an entry of the bundle.  The
    resources, the codes and what is left out are listed in the FHIR page of
    the documentation.  No FHIR library is needed.

    Args:
        course: the course.
        include_text: also write personal free text (session notes and
            tasks, goal wording, reasons for amendments and revisions, party
            labels, obligations, the contract's texts, the people a
            formulation names).  Left out by default.
        validate: check the bundle with ``fhir.resources`` before returning
            it (:func:`validate_bundle`; needs the ``fhir`` extra).

    Raises:
        ValidationError: ``course`` is not a :class:`~iptkit.TreatmentCourse`
            (``wrong_type`` at ``$``); with ``validate=True``, fhir.resources
            refuses the bundle (``fhir_invalid``).
        MissingExtraError: ``validate=True`` without the ``fhir`` extra.

    >>> import datetime as dt
    >>> from iptkit import TreatmentCourse
    >>> bundle = to_bundle(TreatmentCourse(patient_id="AB-1", started_on=dt.date(2026, 3, 2)))
    >>> bundle["type"], [e["resource"]["resourceType"] for e in bundle["entry"]]
    ('collection', ['Patient', 'EpisodeOfCare'])
    """
    if not isinstance(course, TreatmentCourse):
        raise ValidationError.single("$", "wrong_type", "Expected a TreatmentCourse.", course)
    bundle = _Writer(course, include_text is True).write()
    if validate:
        validate_bundle(bundle)
    return bundle


# --------------------------------------------------------------------------
# Validation with fhir.resources (the ``fhir`` extra)
# --------------------------------------------------------------------------


def validate_bundle(bundle: Any) -> None:
    """Check ``bundle`` with the R4B ``Bundle`` model of ``fhir.resources`` (the ``fhir`` extra).

    The model checks the structure, cardinality and data types of the bundle
    and of every resource in it.

    Raises:
        ValidationError: the model refuses the bundle; one issue
            (``fhir_invalid``) per element refused, at its path
            (``$.entry[3].resource.status``).  Messages name the kind of
            problem, never the value.
        MissingExtraError: ``fhir.resources`` is not installed.
    """
    try:
        from fhir.resources.R4B.bundle import Bundle
        from pydantic import ValidationError as PydanticError
    except ImportError as exc:
        raise MissingExtraError("iptkit.fhir.validate_bundle", "fhir") from exc
    try:
        Bundle.model_validate(bundle)
    except PydanticError as exc:
        issues = []
        for error in exc.errors(include_url=False, include_input=False):
            path = "$"
            for key in error.get("loc", ()):
                path = join_path(path, key if isinstance(key, int) else str(key))
            kind = str(error.get("type", "invalid"))
            issues.append(
                Issue(path, "fhir_invalid", f"fhir.resources refuses this element ({kind}).")
            )
        raise ValidationError(
            issues or [Issue("$", "fhir_invalid", "Not a valid Bundle.")]
        ) from None


# --------------------------------------------------------------------------
# Reading a bundle
# --------------------------------------------------------------------------

#: Resource types iptkit reads; any other is refused (``unsupported_resource``).
READ_TYPES: Final = frozenset(
    {
        "Patient",
        "EpisodeOfCare",
        "Condition",
        "CarePlan",
        "ClinicalImpression",
        "Goal",
        "Schedule",
        "Appointment",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
    }
)
#: Bundle types whose entries are resources as they stand (not a history or responses).
_BUNDLE_TYPES: Final = frozenset({"collection", "document", "searchset", "transaction", "batch"})

_APPOINTMENT_READ: Final = {
    "booked": SessionStatus.PLANNED.value,
    "fulfilled": SessionStatus.HELD.value,
    "noshow": SessionStatus.MISSED.value,
}
_ENCOUNTER_READ: Final = {
    "planned": SessionStatus.PLANNED.value,
    "finished": SessionStatus.HELD.value,
}
_TOTALS: Final = {
    **{
        (LOINC, info.loinc_total): info
        for info in INSTRUMENTS.values()
        if info.id in LOINC_ITEMS and info.loinc_total is not None
    },
    **{(INSTRUMENT_TOTAL, info.id.value): info for info in INSTRUMENTS.values()},
}
_WHEN: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
_LAST_STEP: Final = re.compile(r"(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\])\Z")


class _Bad:
    """A value that could not be read; its problem is already reported."""

    __slots__ = ()


_BAD: Final = _Bad()

_WORDS: Final = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "a whole number",
    bool: "true or false",
}


class _Entry:
    """One entry of the bundle: its resource, where it is, and whether it was read."""

    __slots__ = ("index", "path", "resource", "type", "used")

    def __init__(self, index: int, resource: dict[str, Any], kind: str) -> None:
        self.index = index
        self.path = f"$.entry[{index}].resource"
        self.resource = resource
        self.type = kind
        self.used = False


Found = tuple[Any, str]


class _Reader:
    """Turns a bundle into an iptkit course document, noting where each value came from."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        #: iptkit document path -> bundle path of the element it came from.
        self.origins: dict[str, str] = {"$": "$"}
        #: iptkit document paths whose problem is already reported.
        self.muted: list[str] = []
        self.entries: list[_Entry] = []
        self.by_url: dict[str, _Entry] = {}
        self.by_id: dict[str, _Entry] = {}
        #: The course's protocol as the document gives it, and where it came from.
        self.protocol: Any = STANDARD.name
        self.protocol_origin = "$"

    # -- reporting ----------------------------------------------------------

    def issue(self, path: str, code: str, message: str, value: Any = NO_INPUT) -> None:
        self.issues.append(Issue(path, code, message, value))

    def put(self, holder: dict[str, Any], key: str, ipt: str, value: Any, where: str) -> None:
        """Place ``value`` at ``ipt`` in the document, remembering that it came from ``where``.

        A value that could not be read goes in as ``_BAD``, which the codec
        refuses: the object holding it then fails on that field (its rules
        across fields, which would judge a default in its place, do not run),
        and the codec's issue about it is muted, having been reported already.
        """
        self.origins[ipt] = where
        if value is _BAD:
            self.muted.append(ipt)
        holder[key] = value

    def put_found(self, holder: dict[str, Any], key: str, ipt: str, found: Found | None) -> None:
        if found is not None:
            self.put(holder, key, ipt, found[0], found[1])

    # -- typed access -------------------------------------------------------

    def get(
        self,
        element: dict[str, Any],
        key: str,
        path: str,
        kind: type,
        *,
        missing: str | None = None,
    ) -> Any:
        """The value under ``key`` if it has JSON type ``kind``; ``None`` if absent; else ``_BAD``.

        With ``missing`` (a message), an absent value is reported as ``missing_field``.
        """
        where = join_path(path, key)
        if key not in element:
            if missing is not None:
                self.issue(where, "missing_field", missing)
                return _BAD
            return None
        value = element[key]
        if type(value) is not kind:
            self.issue(where, "wrong_type", f"Expected {_WORDS[kind]}.", value)
            return _BAD
        return value

    def items(self, element: dict[str, Any], key: str, path: str) -> Iterator[tuple[Any, str]]:
        """The items of the list under ``key``, with their paths (none if it is absent or wrong)."""
        found = self.get(element, key, path, list)
        if isinstance(found, list):
            where = join_path(path, key)
            for index, item in enumerate(found):
                yield item, f"{where}[{index}]"

    def objects(
        self, element: dict[str, Any], key: str, path: str
    ) -> Iterator[tuple[dict[str, Any], str]]:
        for item, where in self.items(element, key, path):
            if type(item) is dict:
                yield item, where
            else:
                self.issue(where, "wrong_type", "Expected an object.", item)

    def codes(self, concept: Any, path: str, system: str) -> list[Found]:
        """The codes of ``system`` in a CodeableConcept, with their paths."""
        if type(concept) is not dict:
            self.issue(path, "wrong_type", "Expected an object.", concept)
            return []
        found: list[Found] = []
        for coding, where in self.objects(concept, "coding", path):
            if coding.get("system") == system and "code" in coding:
                found.append((coding["code"], join_path(where, "code")))
        return found

    def concept_codes(
        self, element: dict[str, Any], key: str, path: str, system: str
    ) -> list[Found]:
        """The codes of ``system`` in a list of CodeableConcepts under ``key``."""
        found: list[Found] = []
        for concept, where in self.items(element, key, path):
            found += self.codes(concept, where, system)
        return found

    # -- extensions ---------------------------------------------------------

    def extensions(
        self, element: dict[str, Any], path: str, *, prefix: str = EXTENSION
    ) -> dict[str, list[tuple[dict[str, Any], str]]]:
        """iptkit's extensions of ``element`` by name (other extensions are not read)."""
        found: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for extension, where in self.objects(element, "extension", path):
            url = self.get(extension, "url", where, str, missing="An extension needs a url.")
            if isinstance(url, str) and url.startswith(prefix):
                found.setdefault(url[len(prefix) :], []).append((extension, where))
        return found

    def one(
        self,
        found: dict[str, list[tuple[dict[str, Any], str]]],
        name: str,
        value_key: str,
    ) -> Found | None:
        """The value of the extension ``name`` (given once), with its path; ``None`` if absent."""
        given = found.get(name)
        if not given:
            return None
        for _, where in given[1:]:
            self.issue(where, "duplicate_value", "This extension may be given only once.")
        return self.value(*given[0], value_key)

    def value(self, extension: dict[str, Any], where: str, value_key: str) -> Found:
        """The value of an extension; free text also from ``valueBase64Binary`` (UTF-8)."""
        if value_key in extension:
            return (extension[value_key], join_path(where, value_key))
        if value_key == "valueString" and "valueBase64Binary" in extension:
            path = join_path(where, "valueBase64Binary")
            data = extension["valueBase64Binary"]
            try:
                return (base64.b64decode(data, validate=True).decode("utf-8"), path)
            except (binascii.Error, ValueError, TypeError):
                self.issue(path, "invalid_value", "Expected text as UTF-8 in base64.", data)
                return (_BAD, path)
        self.issue(where, "missing_field", f"This extension needs a {value_key}.")
        return (_BAD, where)

    def many(
        self, found: dict[str, list[tuple[dict[str, Any], str]]], name: str, value_key: str
    ) -> list[Found]:
        return [self.value(extension, where, value_key) for extension, where in found.get(name, ())]

    def put_list(
        self, holder: dict[str, Any], key: str, ipt: str, values: list[Found], where: str
    ) -> None:
        """Place a list of found values (each with its own origin) at ``ipt``."""
        self.origins[ipt] = where
        kept: list[Any] = []
        for value, origin in values:
            self.origins[f"{ipt}[{len(kept)}]"] = origin
            if value is _BAD:
                self.muted.append(ipt)
            kept.append(value)
        holder[key] = kept

    # -- references ---------------------------------------------------------

    def resolve(self, reference: Any, path: str, kind: str) -> _Entry | None:
        """The entry a Reference points to, which must be a ``kind`` in the bundle."""
        if type(reference) is not dict:
            self.issue(path, "wrong_type", "Expected an object.", reference)
            return None
        target = self.get(reference, "reference", path, str, missing="The reference is empty.")
        if not isinstance(target, str):
            return None
        entry = self.by_url.get(target) or self.by_id.get(target)
        if entry is None or entry.type != kind:
            self.issue(
                join_path(path, "reference"),
                "unresolved_reference",
                f"The reference does not point to {'an' if kind[0] in 'AEIOU' else 'a'} {kind} "
                "in this bundle.",
                target,
            )
            return None
        return entry

    # -- the bundle ---------------------------------------------------------

    def read(self, bundle: Any) -> TreatmentCourse:
        if type(bundle) is not dict:
            raise ValidationError.single(
                "$", "wrong_type", "Expected a FHIR Bundle object.", bundle
            )
        kind = bundle.get("resourceType", _BAD)
        if kind is _BAD:
            self.issue("$.resourceType", "missing_field", "A FHIR resource needs a resourceType.")
        elif kind != "Bundle":
            self.issue("$.resourceType", "invalid_value", "Expected a Bundle.", kind)
        bundle_type = self.get(bundle, "type", "$", str, missing="A Bundle needs a type.")
        if isinstance(bundle_type, str) and bundle_type not in _BUNDLE_TYPES:
            self.issue(
                "$.type",
                "invalid_value",
                "iptkit reads collection, document, searchset, transaction and batch bundles.",
                bundle_type,
            )
        self.index(bundle)
        document = self.course()
        for entry in self.entries:
            if not entry.used and entry.type in READ_TYPES:
                self.issue(
                    join_path(entry.path, "resourceType"),
                    "unsupported_resource",
                    _UNPLACED.get(entry.type, "iptkit cannot place this resource in a course."),
                )
        return self.finish(document)

    def index(self, bundle: dict[str, Any]) -> None:
        for index, (entry, where) in enumerate(self.items(bundle, "entry", "$")):
            if type(entry) is not dict:
                self.issue(where, "wrong_type", "Expected an object.", entry)
                continue
            path = join_path(where, "resource")
            resource = self.get(
                entry, "resource", where, dict, missing="The entry has no resource."
            )
            if not isinstance(resource, dict):
                continue
            kind = self.get(
                resource, "resourceType", path, str, missing="A FHIR resource needs a resourceType."
            )
            item = _Entry(index, resource, kind if isinstance(kind, str) else "")
            self.entries.append(item)
            if isinstance(kind, str) and kind not in READ_TYPES:
                self.issue(
                    join_path(path, "resourceType"),
                    "unsupported_resource",
                    "iptkit does not read resources of this type; leave them out of the bundle.",
                    kind,
                )
            if resource.get("modifierExtension"):
                self.issue(
                    join_path(path, "modifierExtension"),
                    "unsupported_modifier",
                    "The resource has a modifier extension, which changes its meaning in a way "
                    "iptkit does not know.",
                )
            url = self.get(entry, "fullUrl", where, str)
            if isinstance(url, str):
                if url in self.by_url:
                    self.issue(
                        join_path(where, "fullUrl"),
                        "duplicate_value",
                        "Two entries of the bundle have the same fullUrl.",
                    )
                else:
                    self.by_url[url] = item
            ident = resource.get("id")
            if isinstance(kind, str) and type(ident) is str:
                self.by_id.setdefault(f"{kind}/{ident}", item)

    def of_type(self, kind: str) -> list[_Entry]:
        return [entry for entry in self.entries if entry.type == kind]

    def single(self, kind: str, *, required: bool) -> _Entry | None:
        found = self.of_type(kind)
        if not found:
            if required:
                self.issue(
                    "$.entry",
                    "missing_resource",
                    f"The bundle has no {kind}; iptkit needs exactly one.",
                )
            return None
        for extra in found[1:]:
            extra.used = True
            self.issue(
                join_path(extra.path, "resourceType"),
                "duplicate_resource",
                f"The bundle has more than one {kind}; iptkit reads one per course.",
            )
        found[0].used = True
        return found[0]

    # -- the course document ------------------------------------------------

    def course(self) -> dict[str, Any]:
        document: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        patient = self.single("Patient", required=True)
        if patient is not None:
            self.patient(document, patient)
        else:
            self.put(document, "patient_id", "$.patient_id", _BAD, "$.entry")
        episode = self.single("EpisodeOfCare", required=True)
        if episode is not None:
            self.episode(document, episode)
        else:
            self.put(document, "started_on", "$.started_on", _BAD, "$.entry")
        condition = self.single("Condition", required=False)
        if condition is not None:
            self.condition(document, condition)
        plans = self.care_plans()
        if "acute" in plans:
            self.contract(document, plans["acute"])
        if "maintenance" in plans:
            self.maintenance(document, plans["maintenance"])
        impressions = self.of_type("ClinicalImpression")
        if impressions:
            self.formulation(document, impressions)
        goals = self.of_type("Goal")
        if goals:
            self.origins["$.goals"] = "$.entry"
            document["goals"] = [self.goal(i, entry) for i, entry in enumerate(goals)]
        schedule = self.single("Schedule", required=False)
        appointments = self.of_type("Appointment")
        if schedule is not None:
            self.schedule(document, schedule, appointments)
        elif appointments:
            for entry in appointments:
                entry.used = True
            self.issue(
                join_path(appointments[0].path, "resourceType"),
                "missing_resource",
                "Appointments are read as the sessions of a schedule, which needs a Schedule "
                "resource with the schedule's terms.",
            )
        self.sessions_and_scores(document)
        return document

    def patient(self, document: dict[str, Any], entry: _Entry) -> None:
        found: Found | None = None
        first: Found | None = None
        for identifier, where in self.objects(entry.resource, "identifier", entry.path):
            if "value" not in identifier:
                continue
            value = (identifier["value"], join_path(where, "value"))
            if identifier.get("system") == PATIENT_ID_SYSTEM and found is None:
                found = value
            if first is None:
                first = value
        found = found or first
        if found is None:
            self.issue(
                join_path(entry.path, "identifier"),
                "missing_field",
                "The Patient needs an identifier with the pseudonymous patient id.",
            )
            found = (_BAD, join_path(entry.path, "identifier"))
        self.put(document, "patient_id", "$.patient_id", *found)

    def episode(self, document: dict[str, Any], entry: _Entry) -> None:
        path = entry.path
        self.origins["$.protocol"] = path
        self.origins["$.started_on"] = path
        found = self.extensions(entry.resource, path)
        protocol = found.get("protocol")
        if protocol:
            self.protocol, origin = self.read_protocol(protocol[0])
            for _, where in protocol[1:]:
                self.issue(where, "duplicate_value", "This extension may be given only once.")
            self.protocol_origin = origin
            self.put(document, "protocol", "$.protocol", self.protocol, origin)
        self.put_found(
            document, "ended_reason", "$.ended_reason", self.one(found, "end-reason", "valueCode")
        )
        self.put_found(
            document,
            "age_at_start",
            "$.age_at_start",
            self.one(found, "age-at-start", "valueInteger"),
        )
        period = self.get(
            entry.resource, "period", path, dict, missing="The course's period is missing."
        )
        where = join_path(path, "period")
        if isinstance(period, dict):
            start = self.get(
                period, "start", where, str, missing="The course's start date is missing."
            )
            self.put(document, "started_on", "$.started_on", start, join_path(where, "start"))
            end = self.get(period, "end", where, str)
            if end is not None:
                self.put(document, "ended_on", "$.ended_on", end, join_path(where, "end"))
        else:
            self.put(document, "started_on", "$.started_on", _BAD, where)

    def read_protocol(self, given: tuple[dict[str, Any], str]) -> Found:
        """A built-in protocol's name (valueCode), or a custom one's JSON (valueAttachment)."""
        extension, where = given
        if "valueCode" in extension:
            return (extension["valueCode"], join_path(where, "valueCode"))
        attachment = extension.get("valueAttachment")
        path = join_path(where, "valueAttachment")
        if type(attachment) is not dict:
            self.issue(
                where,
                "missing_field",
                "The protocol extension needs a valueCode or a valueAttachment.",
            )
            return (_BAD, where)
        data = self.get(attachment, "data", path, str, missing="The attachment has no data.")
        data_path = join_path(path, "data")
        if not isinstance(data, str):
            return (_BAD, data_path)
        try:
            return (parse_json(base64.b64decode(data, validate=True)), data_path)
        except (binascii.Error, ValueError):  # ValidationError is a ValueError too
            self.issue(
                data_path, "invalid_value", "The attachment is not JSON text in base64.", data
            )
            return (_BAD, data_path)

    def condition(self, document: dict[str, Any], entry: _Entry) -> None:
        path, resource = entry.path, entry.resource
        onset = self.get(resource, "onsetDateTime", path, str)
        if onset is not None:
            self.put(document, "onset", "$.onset", onset, join_path(path, "onsetDateTime"))
        code = resource.get("code")
        if code is None:
            return
        where = join_path(path, "code")
        found: list[tuple[str, Found]] = []
        for uri, system in _DIAGNOSIS_BY_URI.items():
            found += [(system, item) for item in self.codes(code, where, uri)]
        if not found:
            if type(code) is dict:
                self.issue(
                    where,
                    "invalid_value",
                    "iptkit reads a diagnosis coded in ICD-10, ICD-11 or DSM-5.",
                )
            return
        diagnosis: dict[str, Any] = {"system": found[0][0]}
        self.origins["$.diagnosis"] = where
        self.origins["$.diagnosis.system"] = where
        self.put(diagnosis, "code", "$.diagnosis.code", *found[0][1])
        recorded = self.get(
            resource, "recordedDate", path, str, missing="A coded diagnosis needs its recordedDate."
        )
        self.put(
            diagnosis,
            "recorded_on",
            "$.diagnosis.recorded_on",
            recorded,
            join_path(path, "recordedDate"),
        )
        document["diagnosis"] = diagnosis

    def care_plans(self) -> dict[str, _Entry]:
        plans: dict[str, _Entry] = {}
        for entry in self.of_type("CarePlan"):
            kinds = self.concept_codes(entry.resource, "category", entry.path, PLAN_KIND)
            kind = kinds[0][0] if kinds else None
            if kind not in ("acute", "maintenance"):
                continue  # not placed: reported as unsupported
            entry.used = True
            if kind in plans:
                self.issue(
                    join_path(entry.path, "category"),
                    "duplicate_resource",
                    "The bundle has more than one CarePlan of this kind; iptkit reads one.",
                )
            else:
                plans[kind] = entry
        return plans

    def contract(self, document: dict[str, Any], entry: _Entry) -> None:
        path = entry.path
        found = self.extensions(entry.resource, path)
        contract: dict[str, Any] = {}
        self.origins["$.contract"] = path
        self.put(contract, "protocol", "$.contract.protocol", self.protocol, self.protocol_origin)
        terms: dict[str, Any] = {}
        self.origins["$.contract.sessions"] = path
        for key, name, value_key in (
            ("total", "contracted-total", "valueInteger"),
            ("frequency", "frequency", "valueCode"),
            ("minutes", "session-minutes", "valueInteger"),
            ("first_session", "first-session", "valueDateTime"),
            ("zone", "time-zone", "valueCode"),
        ):
            value = self.required(found, name, value_key, path)
            self.put(terms, key, f"$.contract.sessions.{key}", *value)
        contract["sessions"] = terms
        areas = self.concept_codes(entry.resource, "category", path, FOCUS_AREA)
        self.put_list(
            contract, "focus_areas", "$.contract.focus_areas", areas, join_path(path, "category")
        )
        for key, name, value_key in (
            ("dispute_stage", "dispute-stage", "valueCode"),
            ("modality", "modality", "valueCode"),
            ("format", "format", "valueCode"),
            ("maintenance_discussed", "maintenance-discussed", "valueBoolean"),
            ("boundaries", "boundaries", "valueString"),
            ("out_of_session_contact", "out-of-session-contact", "valueString"),
            ("crisis_plan", "crisis-plan", "valueString"),
        ):
            self.put_found(contract, key, f"$.contract.{key}", self.one(found, name, value_key))
        policy: dict[str, Any] = {}
        self.origins["$.contract.contingency"] = path
        for key, name, value_key in (
            ("missed", "missed-session-policy", "valueCode"),
            ("max_missed", "max-missed", "valueInteger"),
            ("after_max_missed", "after-max-missed", "valueString"),
            ("illness", "illness", "valueString"),
            ("therapist_absence", "therapist-absence", "valueString"),
        ):
            self.put_found(
                policy, key, f"$.contract.contingency.{key}", self.one(found, name, value_key)
            )
        self.put_list(
            policy,
            "excluded_dates",
            "$.contract.contingency.excluded_dates",
            self.many(found, "excluded-date", "valueDate"),
            path,
        )
        contract["contingency"] = policy
        contract["amendments"] = self.amendments(found, "$.contract.amendments", path)
        contract["parties"] = self.parties(found, path)
        contract["obligations"] = self.obligations(found, path)
        document["contract"] = contract

    def required(
        self,
        found: dict[str, list[tuple[dict[str, Any], str]]],
        name: str,
        value_key: str,
        path: str,
    ) -> Found:
        value = self.one(found, name, value_key)
        if value is None:
            where = join_path(path, "extension")
            self.issue(where, "missing_field", f"The {name} extension is missing.")
            return (_BAD, where)
        return value

    def parts(
        self, extension: dict[str, Any], where: str
    ) -> dict[str, list[tuple[dict[str, Any], str]]]:
        """The parts of a complex extension by name."""
        return self.extensions(extension, where, prefix="")

    def amendments(
        self, found: dict[str, list[tuple[dict[str, Any], str]]], ipt: str, path: str
    ) -> list[dict[str, Any]]:
        self.origins[ipt] = path
        result = []
        for index, (extension, where) in enumerate(found.get("amendment", ())):
            parts = self.parts(extension, where)
            item: dict[str, Any] = {}
            at = f"{ipt}[{index}]"
            self.origins[at] = where
            self.put(
                item,
                "agreed_on",
                f"{at}.agreed_on",
                *self.required(parts, "agreed-on", "valueDate", where),
            )
            self.put(
                item,
                "new_total",
                f"{at}.new_total",
                *self.required(parts, "new-total", "valueInteger", where),
            )
            reason = self.one(parts, "reason", "valueString") or (NOT_EXPORTED, where)
            self.put(item, "reason", f"{at}.reason", *reason)
            result.append(item)
        return result

    def parties(
        self, found: dict[str, list[tuple[dict[str, Any], str]]], path: str
    ) -> list[dict[str, Any]]:
        self.origins["$.contract.parties"] = path
        result = []
        for index, (extension, where) in enumerate(found.get("party", ())):
            parts = self.parts(extension, where)
            item: dict[str, Any] = {}
            at = f"$.contract.parties[{index}]"
            self.origins[at] = where
            self.put(item, "role", f"{at}.role", *self.required(parts, "role", "valueCode", where))
            self.put_found(
                item, "signed_on", f"{at}.signed_on", self.one(parts, "signed-on", "valueDate")
            )
            label = self.one(parts, "label", "valueString") or (f"party-{index + 1}", where)
            self.put(item, "label", f"{at}.label", *label)
            result.append(item)
        return result

    def obligations(
        self, found: dict[str, list[tuple[dict[str, Any], str]]], path: str
    ) -> list[dict[str, Any]]:
        self.origins["$.contract.obligations"] = path
        result = []
        for index, (extension, where) in enumerate(found.get("obligation", ())):
            parts = self.parts(extension, where)
            item: dict[str, Any] = {}
            at = f"$.contract.obligations[{index}]"
            self.origins[at] = where
            self.put(item, "role", f"{at}.role", *self.required(parts, "role", "valueCode", where))
            text = self.one(parts, "description", "valueString") or (NOT_EXPORTED, where)
            self.put(item, "description", f"{at}.description", *text)
            result.append(item)
        return result

    def maintenance(self, document: dict[str, Any], entry: _Entry) -> None:
        path = entry.path
        found = self.extensions(entry.resource, path)
        agreement: dict[str, Any] = {}
        self.origins["$.maintenance"] = path
        created = self.get(
            entry.resource,
            "created",
            path,
            str,
            missing="The maintenance agreement needs its date (created).",
        )
        self.put(
            agreement, "agreed_on", "$.maintenance.agreed_on", created, join_path(path, "created")
        )
        for key, name, value_key in (
            ("minutes", "session-minutes", "valueInteger"),
            ("first_session", "first-session", "valueDateTime"),
            ("zone", "time-zone", "valueCode"),
        ):
            self.put(
                agreement, key, f"$.maintenance.{key}", *self.required(found, name, value_key, path)
            )
        for key, name, value_key in (
            ("frequency", "frequency", "valueCode"),
            ("monthly_by", "monthly-by", "valueCode"),
            ("count", "session-count", "valueInteger"),
            ("until", "until", "valueDate"),
        ):
            self.put_found(agreement, key, f"$.maintenance.{key}", self.one(found, name, value_key))
        document["maintenance"] = agreement

    def formulation(self, document: dict[str, Any], entries: list[_Entry]) -> None:
        first, *revisions = entries
        for entry in entries:
            entry.used = True
        formulation: dict[str, Any] = {}
        self.origins["$.formulation"] = first.path
        self.impression(formulation, "$.formulation", first, "agreed_on")
        found = self.extensions(first.resource, first.path)
        self.put_list(
            formulation,
            "linked_people",
            "$.formulation.linked_people",
            self.many(found, "linked-person", "valueString"),
            first.path,
        )
        result = []
        previous = first
        for index, entry in enumerate(revisions):
            at = f"$.formulation.revisions[{index}]"
            self.origins[at] = entry.path
            item: dict[str, Any] = {}
            self.impression(item, at, entry, "on")
            link = entry.resource.get("previous")
            if link is None:
                self.issue(
                    join_path(entry.path, "previous"),
                    "missing_field",
                    "A revision of the formulation points to the impression it revises (previous).",
                )
            else:
                target = self.resolve(link, join_path(entry.path, "previous"), "ClinicalImpression")
                if target is not None and target is not previous:
                    self.issue(
                        join_path(entry.path, "previous") + ".reference",
                        "unresolved_reference",
                        "A revision must point to the impression just before it in the bundle.",
                    )
            summary = self.get(entry.resource, "summary", entry.path, str)
            where = join_path(entry.path, "summary")
            reason = (summary, where) if summary is not None else None
            found = self.extensions(entry.resource, entry.path)
            reason = reason or self.one(found, "reason", "valueString") or (NOT_EXPORTED, where)
            self.put(item, "reason", f"{at}.reason", *reason)
            result.append(item)
            previous = entry
        formulation["revisions"] = result
        document["formulation"] = formulation

    def impression(self, holder: dict[str, Any], at: str, entry: _Entry, date_key: str) -> None:
        path = entry.path
        areas: list[Found] = []
        for finding, where in self.objects(entry.resource, "finding", path):
            if "itemCodeableConcept" in finding:
                areas += self.codes(
                    finding["itemCodeableConcept"],
                    join_path(where, "itemCodeableConcept"),
                    FOCUS_AREA,
                )
        self.put_list(holder, "focus_areas", f"{at}.focus_areas", areas, join_path(path, "finding"))
        when = self.get(
            entry.resource,
            "effectiveDateTime",
            path,
            str,
            missing="The impression needs its date (effectiveDateTime).",
        )
        self.put(holder, date_key, f"{at}.{date_key}", when, join_path(path, "effectiveDateTime"))

    def goal(self, index: int, entry: _Entry) -> dict[str, Any]:
        entry.used = True
        path, resource = entry.path, entry.resource
        at = f"$.goals[{index}]"
        self.origins[at] = path
        goal: dict[str, Any] = {}
        areas = self.concept_codes(resource, "category", path, FOCUS_AREA)
        if areas:
            self.put(goal, "focus_area", f"{at}.focus_area", *areas[0])
        else:
            where = join_path(path, "category")
            self.issue(
                where, "missing_field", "A goal needs the focus area it works on (category)."
            )
            self.put(goal, "focus_area", f"{at}.focus_area", _BAD, where)
        description = resource.get("description")
        where = join_path(path, "description")
        text: Found | None = None
        if type(description) is dict and "text" in description:
            text = (description["text"], join_path(where, "text"))
        found = self.extensions(resource, path)
        text = text or self.one(found, "description", "valueString") or (NOT_EXPORTED, where)
        self.put(goal, "description", f"{at}.description", *text)
        start = self.get(
            resource, "startDate", path, str, missing="A goal needs the day it was set (startDate)."
        )
        self.put(goal, "set_on", f"{at}.set_on", start, join_path(path, "startDate"))
        ratings: list[dict[str, Any]] = []
        self.origins[f"{at}.ratings"] = path
        for reference, where in self.items(resource, "outcomeReference", path):
            target = self.resolve(reference, where, "Observation")
            if target is None:
                continue
            target.used = True
            rating: dict[str, Any] = {}
            spot = f"{at}.ratings[{len(ratings)}]"
            self.origins[spot] = target.path
            on = self.get(
                target.resource,
                "effectiveDateTime",
                target.path,
                str,
                missing="A goal rating needs its date.",
            )
            self.put(rating, "on", f"{spot}.on", on, join_path(target.path, "effectiveDateTime"))
            progress = target.resource.get("valueInteger", _BAD)
            if progress is _BAD:
                self.issue(
                    join_path(target.path, "valueInteger"),
                    "missing_field",
                    "A goal rating needs its progress (valueInteger).",
                )
            self.put(
                rating,
                "progress",
                f"{spot}.progress",
                progress,
                join_path(target.path, "valueInteger"),
            )
            ratings.append(rating)
        goal["ratings"] = ratings
        return goal

    def schedule(self, document: dict[str, Any], entry: _Entry, appointments: list[_Entry]) -> None:
        path = entry.path
        found = self.extensions(entry.resource, path)
        schedule: dict[str, Any] = {}
        self.origins["$.schedule"] = path
        self.put(schedule, "protocol", "$.schedule.protocol", self.protocol, self.protocol_origin)
        for key, name, value_key in (
            ("zone", "time-zone", "valueCode"),
            ("first_start", "first-start", "valueDateTime"),
            ("frequency", "frequency", "valueCode"),
            ("minutes", "session-minutes", "valueInteger"),
            ("contracted_total", "contracted-total", "valueInteger"),
        ):
            self.put(
                schedule, key, f"$.schedule.{key}", *self.required(found, name, value_key, path)
            )
        self.put_found(
            schedule,
            "missed_policy",
            "$.schedule.missed_policy",
            self.one(found, "missed-session-policy", "valueCode"),
        )
        self.put_list(
            schedule,
            "exclude",
            "$.schedule.exclude",
            self.many(found, "excluded-date", "valueDate"),
            path,
        )
        schedule["amendments"] = self.amendments(found, "$.schedule.amendments", path)
        plans = []
        self.origins["$.schedule.maintenance"] = path
        for index, (extension, where) in enumerate(found.get("maintenance-plan", ())):
            parts = self.parts(extension, where)
            plan: dict[str, Any] = {}
            at = f"$.schedule.maintenance[{index}]"
            self.origins[at] = where
            for key, name, value_key in (
                ("first_start", "first-start", "valueDateTime"),
                ("minutes", "session-minutes", "valueInteger"),
                ("count", "session-count", "valueInteger"),
            ):
                self.put(plan, key, f"{at}.{key}", *self.required(parts, name, value_key, where))
            for key, name, value_key in (
                ("frequency", "frequency", "valueCode"),
                ("monthly_by", "monthly-by", "valueCode"),
                ("agreed_on", "agreed-on", "valueDate"),
            ):
                self.put_found(plan, key, f"{at}.{key}", self.one(parts, name, value_key))
            plans.append(plan)
        schedule["maintenance"] = plans
        self.origins["$.schedule.sessions"] = path
        rows = []
        for index, appointment in enumerate(appointments):
            appointment.used = True
            rows.append(self.appointment(f"$.schedule.sessions[{index}]", appointment))
        schedule["sessions"] = rows
        document["schedule"] = schedule

    def session_identity(
        self, row: dict[str, Any], at: str, entry: _Entry
    ) -> dict[str, list[tuple[dict[str, Any], str]]]:
        found = self.extensions(entry.resource, entry.path)
        self.origins[at] = entry.path
        self.put(
            row,
            "kind",
            f"{at}.kind",
            *self.required(found, "session-kind", "valueCode", entry.path),
        )
        self.put(
            row,
            "number",
            f"{at}.number",
            *self.required(found, "session-number", "valueInteger", entry.path),
        )
        phase = self.one(found, "phase", "valueCode") or (None, entry.path)
        self.put(row, "phase", f"{at}.phase", *phase)
        self.put_found(row, "made_up", f"{at}.made_up", self.one(found, "made-up", "valueBoolean"))
        return found

    def appointment(self, at: str, entry: _Entry) -> dict[str, Any]:
        path, resource = entry.path, entry.resource
        row: dict[str, Any] = {}
        self.session_identity(row, at, entry)
        start = self.get(resource, "start", path, str, missing="A session needs its start.")
        self.put(row, "starts_at", f"{at}.starts_at", start, join_path(path, "start"))
        minutes = self.get(
            resource,
            "minutesDuration",
            path,
            int,
            missing="A session needs its length (minutesDuration).",
        )
        self.put(row, "minutes", f"{at}.minutes", minutes, join_path(path, "minutesDuration"))
        self.put(
            row,
            "status",
            f"{at}.status",
            self.appointment_status(resource, path),
            join_path(path, "status"),
        )
        return row

    def appointment_status(self, resource: dict[str, Any], path: str) -> Any:
        status = self.get(resource, "status", path, str, missing="An Appointment needs a status.")
        if not isinstance(status, str):
            return _BAD
        if status in _APPOINTMENT_READ:
            return _APPOINTMENT_READ[status]
        where = join_path(path, "status")
        if status != "cancelled":
            self.issue(
                where,
                "invalid_value",
                "iptkit reads the appointment statuses booked, fulfilled, noshow and cancelled.",
                status,
            )
            return _BAD
        reason = resource.get("cancelationReason")
        where = join_path(path, "cancelationReason")
        if reason is None:
            self.issue(
                where,
                "missing_field",
                "A cancelled session needs a cancelationReason saying who cancelled it.",
            )
            return _BAD
        for code, code_path in self.codes(reason, where, CANCELLATION_REASON):
            if code == "pat" or (type(code) is str and code.startswith("pat-")):
                return SessionStatus.CANCELLED_BY_PATIENT.value
            if code == "prov" or (type(code) is str and code.startswith("prov-")):
                return SessionStatus.CANCELLED_BY_THERAPIST.value
            self.issue(
                code_path,
                "invalid_value",
                "The cancellation reason does not say whether the patient or the therapist "
                "cancelled.",
                code,
            )
            return _BAD
        if type(reason) is dict:
            self.issue(
                where,
                "missing_field",
                "The cancellation reason needs a code of HL7's appointment-cancellation-reason "
                "system.",
            )
        return _BAD

    def sessions_and_scores(self, document: dict[str, Any]) -> None:
        encounters = self.of_type("Encounter")
        records: list[dict[str, Any]] = []
        by_entry: dict[int, int] = {}
        self.origins["$.sessions"] = "$.entry"
        for index, entry in enumerate(encounters):
            entry.used = True
            by_entry[entry.index] = index
            records.append(self.encounter(f"$.sessions[{index}]", entry))
        measurements: list[dict[str, Any]] = []
        self.origins["$.measurements"] = "$.entry"
        for entry in self.of_type("Observation"):
            if entry.used:
                continue  # a goal rating
            info = self.instrument(entry)
            if info is None:
                continue
            entry.used = True
            link = entry.resource.get("encounter")
            if link is not None:
                target = self.resolve(link, join_path(entry.path, "encounter"), "Encounter")
                if target is None:
                    self.mark_answers(entry)  # reported once, at the reference
                    continue
                number = by_entry[target.index]
                scores = records[number]["scores"]
                at = f"$.sessions[{number}].scores[{len(scores)}]"
                scores.append(self.score(at, entry, info))
            else:
                at = f"$.measurements[{len(measurements)}]"
                measurements.append(self.measurement(at, entry, info))
        if records:
            document["sessions"] = records
        if measurements:
            document["measurements"] = measurements

    def mark_answers(self, entry: _Entry) -> None:
        """Count the answers a score points to as read (the score itself could not be placed)."""
        for link, _ in self.items(entry.resource, "derivedFrom", entry.path):
            if type(link) is dict and type(link.get("reference")) is str:
                target = self.by_url.get(link["reference"]) or self.by_id.get(link["reference"])
                if target is not None:
                    target.used = True

    def encounter(self, at: str, entry: _Entry) -> dict[str, Any]:
        path, resource = entry.path, entry.resource
        record: dict[str, Any] = {}
        found = self.session_identity(record, at, entry)
        self.origins[f"{at}.scores"] = path
        record["scores"] = []
        period = self.get(resource, "period", path, dict, missing="A session needs its period.")
        where = join_path(path, "period")
        start: Any = _BAD
        end: Any = _BAD
        if isinstance(period, dict):
            start = self.get(period, "start", where, str, missing="A session needs its start.")
            end = self.get(period, "end", where, str, missing="A session needs its end.")
        self.put(record, "starts_at", f"{at}.starts_at", start, join_path(where, "start"))
        self.put(
            record,
            "minutes",
            f"{at}.minutes",
            self.minutes(start, end, where),
            join_path(where, "end"),
        )
        status = self.one(found, "session-status", "valueCode")
        if status is None:
            status = self.encounter_status(resource, path)
        self.put(record, "status", f"{at}.status", *status)
        modality = self.one(found, "modality", "valueCode")
        if modality is None and self.virtual(resource, path):
            where = join_path(path, "extension")
            self.issue(
                where,
                "missing_field",
                "A virtual session needs the modality extension (video or phone).",
            )
            modality = (_BAD, where)
        self.put_found(record, "modality", f"{at}.modality", modality)
        areas = self.concept_codes(resource, "reasonCode", path, FOCUS_AREA)
        self.put_list(
            record, "focus_areas", f"{at}.focus_areas", areas, join_path(path, "reasonCode")
        )
        self.put_list(
            record,
            "techniques",
            f"{at}.techniques",
            self.many(found, "technique", "valueCode"),
            path,
        )
        for key, name, value_key in (
            ("previous_task_outcome", "previous-task-outcome", "valueCode"),
            ("sick_role_given", "sick-role-given", "valueBoolean"),
            ("ending_raised", "ending-raised", "valueBoolean"),
            ("risk_assessed", "risk-assessed", "valueBoolean"),
            ("maintenance_discussed", "maintenance-discussed", "valueBoolean"),
            ("parent_present", "parent-present", "valueBoolean"),
            ("task_set", "task", "valueString"),
            ("notes", "note", "valueString"),
        ):
            self.put_found(record, key, f"{at}.{key}", self.one(found, name, value_key))
        return record

    def encounter_status(self, resource: dict[str, Any], path: str) -> Found:
        where = join_path(path, "status")
        status = self.get(resource, "status", path, str, missing="An Encounter needs a status.")
        if isinstance(status, str):
            if status in _ENCOUNTER_READ:
                return (_ENCOUNTER_READ[status], where)
            if status == "cancelled":
                self.issue(
                    join_path(path, "extension"),
                    "missing_field",
                    "A cancelled session needs the session-status extension saying whether it was "
                    "missed or cancelled, and by whom.",
                )
            else:
                self.issue(
                    where,
                    "invalid_value",
                    "iptkit reads the encounter statuses planned, finished and cancelled.",
                    status,
                )
        return (_BAD, where)

    def virtual(self, resource: dict[str, Any], path: str) -> bool:
        given = resource.get("class")
        return type(given) is dict and given.get("system") == ACT_CODE and given.get("code") == "VR"

    def minutes(self, start: Any, end: Any, where: str) -> Any:
        """The whole minutes from ``start`` to ``end`` (FHIR dateTimes with seconds and offset)."""
        if not isinstance(start, str) or not isinstance(end, str):
            return _BAD
        message = "Expected a date and time as YYYY-MM-DDTHH:MM:SS with a UTC offset."
        begun, ended = _parse_when(start), _parse_when(end)
        for value, key, parsed in ((start, "start", begun), (end, "end", ended)):
            if parsed is None:
                self.issue(join_path(where, key), "invalid_value", message, value)
        if begun is None or ended is None:
            return _BAD
        length, rest = divmod(ended - begun, dt.timedelta(minutes=1))
        if rest:
            self.issue(
                join_path(where, "end"),
                "invalid_value",
                "A session lasts a whole number of minutes.",
            )
            return _BAD
        return length

    def instrument(self, entry: _Entry) -> Instrument | None:
        """The instrument whose total the Observation holds; ``None`` if it holds none."""
        code = entry.resource.get("code")
        where = join_path(entry.path, "code")
        if type(code) is dict:
            for coding, _ in self.objects(code, "coding", where):
                system, value = coding.get("system"), coding.get("code")
                if type(system) is str and type(value) is str:
                    info = _TOTALS.get((system, value))
                    if info is not None:
                        return info
        return None

    def score(self, at: str, entry: _Entry, info: Instrument) -> dict[str, Any]:
        path, resource = entry.path, entry.resource
        self.origins[at] = path
        score: dict[str, Any] = {"instrument": info.id.value}
        self.origins[f"{at}.instrument"] = join_path(path, "code")
        total = resource.get("valueInteger", _BAD)
        if total is _BAD:
            self.issue(
                join_path(path, "valueInteger"),
                "missing_field",
                "A score needs its total (valueInteger).",
            )
        self.put(score, "total", f"{at}.total", total, join_path(path, "valueInteger"))
        self.safety(score, at, entry, info)
        for link, where in self.items(resource, "derivedFrom", path):
            target = self.resolve(link, where, "QuestionnaireResponse")
            if target is not None:
                target.used = True
                self.answers(score, at, target, info)
            break
        return score

    def safety(self, score: dict[str, Any], at: str, entry: _Entry, info: Instrument) -> None:
        """The safety item's answer recorded beside a total, from its component."""
        item = info.safety_item
        if item is None:
            return
        wanted = _item_code(info, item.number)["coding"][0]
        for component, where in self.objects(entry.resource, "component", entry.path):
            codes = self.codes(component.get("code"), join_path(where, "code"), wanted["system"])
            if not any(code == wanted["code"] for code, _ in codes):
                continue
            ipt = f"{at}.safety_item"
            if "valueInteger" in component:
                found = (component["valueInteger"], join_path(where, "valueInteger"))
            elif "valueCodeableConcept" in component:
                concept = component["valueCodeableConcept"]
                concept_path = join_path(where, "valueCodeableConcept")
                codings: list[tuple[Any, str]] = []
                if type(concept) is dict:
                    codings = list(self.items(concept, "coding", concept_path))
                else:
                    self.issue(concept_path, "wrong_type", "Expected an object.", concept)
                found = self.answer_coding(codings[0] if codings else None, concept_path)
            else:
                self.issue(where, "missing_field", "The safety item's component needs its answer.")
                found = (_BAD, where)
            self.put(score, "safety_item", ipt, *found)
            return

    def answer_coding(self, given: tuple[Any, str] | None, where: str) -> Found:
        """The item score of a LOINC answer Coding (LOINC answer list LL358-3)."""
        if given is None:
            self.issue(where, "missing_field", "The answer needs a LOINC answer code.")
            return (_BAD, where)
        coding, path = given
        if type(coding) is not dict:
            self.issue(path, "wrong_type", "Expected an object.", coding)
            return (_BAD, path)
        code = coding.get("code")
        code_path = join_path(path, "code")
        if coding.get("system") == LOINC and type(code) is str and code in _ANSWER_SCORES:
            return (_ANSWER_SCORES[code], code_path)
        self.issue(
            code_path,
            "invalid_value",
            "Expected one of the LOINC answers Not at all, Several days, More than half the "
            "days, Nearly every day (LA6568-5, LA6569-3, LA6570-1, LA6571-9).",
            code,
        )
        return (_BAD, code_path)

    def answers(self, score: dict[str, Any], at: str, entry: _Entry, info: Instrument) -> None:
        """The item answers of a QuestionnaireResponse, in item order."""
        path = entry.path
        links = _link_ids(info)
        ipt = f"{at}.items"
        self.origins[ipt] = join_path(path, "item")
        values: list[Any] = []
        for index, (item, where) in enumerate(self.objects(entry.resource, "item", path)):
            link = item.get("linkId")
            if index < len(links) and link != links[index]:
                self.issue(
                    join_path(where, "linkId"),
                    "invalid_value",
                    f"Item {index + 1} of the {info.name} has another linkId.",
                    link,
                )
            answers = list(self.objects(item, "answer", where))
            found: Found
            if len(answers) != 1:
                message = "Each item needs exactly one answer."
                code = "invalid_value" if answers else "missing_field"
                self.issue(join_path(where, "answer"), code, message)
                found = (_BAD, join_path(where, "answer"))
            else:
                answer, answer_path = answers[0]
                if "valueCoding" in answer:
                    found = self.answer_coding(
                        (answer["valueCoding"], join_path(answer_path, "valueCoding")), answer_path
                    )
                elif "valueInteger" in answer:
                    found = (answer["valueInteger"], join_path(answer_path, "valueInteger"))
                elif "valueString" in answer:
                    found = (answer["valueString"], join_path(answer_path, "valueString"))
                else:
                    message = "The answer has no valueCoding, valueInteger or valueString."
                    self.issue(answer_path, "missing_field", message)
                    found = (_BAD, answer_path)
            self.origins[f"{ipt}[{index}]"] = found[1]
            values.append(found[0])
        if any(value is _BAD for value in values):
            self.muted.append(ipt)
            score["items"] = _BAD  # the score fails on its items: no sum to compare
        else:
            score["items"] = values

    def measurement(self, at: str, entry: _Entry, info: Instrument) -> dict[str, Any]:
        path = entry.path
        measurement: dict[str, Any] = {}
        self.origins[at] = path
        found = self.extensions(entry.resource, path)
        when = self.get(
            entry.resource,
            "effectiveDateTime",
            path,
            str,
            missing="A measure taken outside a session needs its date (effectiveDateTime).",
        )
        self.put(
            measurement, "taken_on", f"{at}.taken_on", when, join_path(path, "effectiveDateTime")
        )
        self.put_found(
            measurement,
            "session_kind",
            f"{at}.session_kind",
            self.one(found, "session-kind", "valueCode"),
        )
        self.put_found(
            measurement,
            "session_number",
            f"{at}.session_number",
            self.one(found, "session-number", "valueInteger"),
        )
        self.put_found(
            measurement,
            "risk_assessed_on",
            f"{at}.risk_assessed_on",
            self.one(found, "risk-assessed-on", "valueDate"),
        )
        measurement["score"] = self.score(f"{at}.score", entry, info)
        return measurement

    # -- loading ------------------------------------------------------------

    def finish(self, document: dict[str, Any]) -> TreatmentCourse:
        """Load the document; report the reader's issues and the codec's, on the bundle."""
        try:
            course = load(TreatmentCourse, document)
        except ValidationError as exc:
            found = [*self.issues, *self.translate(exc.issues, mute=True)]
            if not found:  # pragma: no cover - a muted value is always reported: a safety net
                found = list(self.translate(exc.issues, mute=False))
        else:
            if not self.issues:
                return course
            found = list(self.issues)
        unique: dict[tuple[str, str, str], Issue] = {}
        for issue in found:
            unique.setdefault((issue.path, issue.code, issue.message), issue)
        raise ValidationError(unique.values()) from None

    def translate(self, issues: Iterable[Issue], *, mute: bool) -> Iterator[Issue]:
        """The codec's issues, moved onto the elements of the bundle their values came from."""
        for issue in issues:
            if mute and any(_within(issue.path, muted) for muted in self.muted):
                continue
            yield Issue(self.where(issue.path), issue.code, issue.message, issue.input)

    def where(self, path: str) -> str:
        """The bundle path of the nearest document path at or above ``path`` with an origin."""
        while path not in self.origins:
            cut = _LAST_STEP.search(path)
            path = path[: cut.start()] if cut is not None else "$"  # "$" has an origin
        return self.origins[path]


#: Why a resource of a type iptkit reads was not placed in the course.
_UNPLACED: Final = {
    "CarePlan": "iptkit reads a CarePlan only as the treatment contract or the maintenance "
    "agreement (its category names which, in iptkit's care-plan-kind system).",
    "Observation": "iptkit reads an Observation only as the total of a symptom measure (PHQ-9, "
    "GAD-7 by LOINC, others by iptkit's instrument-total code) or as a goal rating a Goal "
    "points to.",
    "QuestionnaireResponse": "iptkit reads a QuestionnaireResponse only as the item answers of a "
    "score Observation that points to it (derivedFrom).",
}


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith((base + ".", base + "["))


def _parse_when(text: str) -> dt.datetime | None:
    if not _WHEN.match(text):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def from_bundle(bundle: Any) -> TreatmentCourse:
    """Read a :class:`~iptkit.TreatmentCourse` from a FHIR bundle (decoded JSON).

    A bundle :func:`to_bundle` wrote comes back as the same course in all the
    bundle carries: writing the result again gives the same bundle.  Required
    free text the bundle left out comes back as :data:`NOT_EXPORTED` (a party
    without its label as ``party-1``, ``party-2``, ...).

    A bundle from elsewhere is read by the same rules (the FHIR page of the
    documentation lists the resources and extensions read).  Resource types
    iptkit does not read, and resources it cannot place in a course, are
    refused rather than dropped; extensions of other publishers are ignored.

    Total: for any JSON value this returns a course or raises
    :class:`~iptkit.ValidationError`, never anything else.

    Raises:
        ValidationError: listing every problem found, each at the path of
            the element of the bundle it is about (``$.entry[3].resource.status``).
            Messages never quote a value of the bundle.

    >>> import datetime as dt
    >>> from iptkit import TreatmentCourse
    >>> course = TreatmentCourse(patient_id="AB-1", started_on=dt.date(2026, 3, 2))
    >>> from_bundle(to_bundle(course)) == course
    True
    >>> try:
    ...     from_bundle({"resourceType": "Bundle", "type": "collection", "entry": []})
    ... except ValidationError as exc:
    ...     print(sorted(exc.codes))
    ['missing_resource']
    """
    try:
        return _Reader().read(bundle)
    except RecursionError:  # pragma: no cover - the reader never recurses on the input
        raise ValidationError.single("$", "too_deep", "The bundle nests too deeply.") from None
