"""The course document as pydantic v2 models: the baseline of the benchmarks.

Written only to compare against: the same fields, types, defaults and bounds
as the iptkit models (schema version 2), with the same strictness where
pydantic can say it (``strict=True``: no coercion; ``extra="forbid"``: unknown
keys refused; aware datetimes; enumerations by value; frozen).  The
cross-field invariants are ``model_validator(mode="after")`` methods doing the
same work as the ``_invariants`` of the iptkit models.  Where iptkit keeps a
rule in a plain helper function, the validator calls that same helper, so both
sides pay for the same rule: above all the session-numbering rules of
``iptkit._sessions`` (rules 1, 2, 3 and 6, over rows with ``kind``,
``number``, ``starts_at``, ``status``, ``made_up`` and ``phase``), which a
schedule and a course both run.

The enumerations are iptkit's own (plain :class:`enum.Enum` classes).

Private names of iptkit imported here (a rename in iptkit breaks this file
first, so keep the list in step with the imports below):

- ``iptkit._sessions``: ``row_issues``, ``sequence_issues``, ``phase_issues``,
  ``agreement_issues`` (the session-numbering rules);
- ``iptkit._ordering``: ``date_order_issues`` (lists kept in date order);
- ``iptkit._contract``: ``amendments_in_order``, ``total_in_force``,
  ``_SLOTS_IN_HORIZON`` (the acute total in force; when a contract's dates must
  be planned);
- ``iptkit._measures``: ``INSTRUMENTS``, ``_answer_value``, ``_item_issues``,
  ``_plainly_valid``, ``_total_issue`` (score items and totals);
- ``iptkit._recurrence``: ``recurrence_starts``, ``zone_info`` (planned dates,
  IANA zones), ``no_day_twice``, ``days_in_order`` (excluded dates: none twice,
  stored in date order).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

import iptkit
from iptkit import (
    ContactFrequency,
    DiagnosisSystem,
    DisputeStage,
    EndReason,
    ExpectationHolder,
    FocusArea,
    Format,
    Frequency,
    Issue,
    LifeEventKind,
    MissedSessionPolicy,
    Modality,
    MonthlyBy,
    PartyRole,
    Phase,
    RelationshipRole,
    ScheduleError,
    SessionKind,
    SessionStatus,
    TaskOutcome,
    Technique,
    ValidationError,
    phase_lengths,
)
from iptkit._contract import _SLOTS_IN_HORIZON, amendments_in_order, total_in_force
from iptkit._measures import (
    INSTRUMENTS,
    _answer_value,
    _item_issues,
    _plainly_valid,
    _total_issue,
)
from iptkit._ordering import date_order_issues
from iptkit._recurrence import days_in_order, no_day_twice, recurrence_starts, zone_info
from iptkit._sessions import agreement_issues, phase_issues, row_issues, sequence_issues
from iptkit.measures import InstrumentId
from iptkit.protocols import BUILTIN_PROTOCOLS, STANDARD

#: The schema version these models read.  A new version of the document needs this file
#: brought up to date (fields, rules and the private names above).
SCHEMA_VERSION = 2
if iptkit.SCHEMA_VERSION != SCHEMA_VERSION:
    msg = (
        f"bench/pydantic_model.py describes schema version {SCHEMA_VERSION}, "
        f"iptkit writes {iptkit.SCHEMA_VERSION}: bring the baseline up to date"
    )
    raise ImportError(msg)

__all__ = ["TreatmentCourse"]

Minutes = Annotated[int, Field(ge=1, le=480)]
Total = Annotated[int, Field(ge=3, le=100)]
Zone = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1)]
Label = Annotated[str, Field(min_length=1, max_length=64)]


class Strict(BaseModel):
    """Base of every model: strict, closed, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _raise(issues: list[Issue]) -> None:
    if issues:
        raise ValueError("; ".join(f"{i.path}: {i.message} [{i.code}]" for i in issues))


def _excluded_days(days: tuple[dt.date, ...], path: str) -> tuple[dt.date, ...]:
    """Excluded dates as iptkit stores them: none twice, in date order whatever the order given."""
    _raise(list(no_day_twice(days, path)))
    return days_in_order(days)


def _zone_issues(zone: str) -> list[Issue]:
    try:
        zone_info(zone)
    except ValidationError as exc:
        return list(exc.issues)
    return []


# --------------------------------------------------------------------------
# Protocol
# --------------------------------------------------------------------------


class PhaseRule(Strict):
    initial: Annotated[int, Field(ge=1, le=20)]
    termination: Annotated[int, Field(ge=1, le=20)]
    min_middle: Annotated[int, Field(ge=1, le=20)] = 1


class Protocol(Strict):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
    population: Text
    min_sessions: Total
    typical_sessions: Total
    max_sessions: Total
    min_minutes: Minutes
    max_minutes: Minutes
    default_frequency: Frequency = Frequency.WEEKLY
    frequencies: Annotated[tuple[Frequency, ...], Field(min_length=1)] = (Frequency.WEEKLY,)
    format: Format = Format.INDIVIDUAL
    pre_treatment: bool = False
    phase_rule: PhaseRule = PhaseRule(initial=3, termination=3)
    focus_areas: Annotated[tuple[FocusArea, ...], Field(min_length=1)] = tuple(FocusArea)
    max_focus_areas: Annotated[int, Field(ge=1, le=4)] = 2
    min_age: Annotated[int, Field(ge=0, le=120)] | None = None
    max_age: Annotated[int, Field(ge=0, le=120)] | None = None

    @model_validator(mode="after")
    def _invariants(self) -> Protocol:
        issues = []
        if not self.min_sessions <= self.typical_sessions <= self.max_sessions:
            issues.append(Issue("$.typical_sessions", "invalid_range", "min <= typical <= max."))
        if self.min_minutes > self.max_minutes:
            issues.append(Issue("$.max_minutes", "invalid_range", "Longest below shortest."))
        if self.default_frequency not in self.frequencies:
            issues.append(Issue("$.default_frequency", "invalid_value", "Not allowed."))
        if len(set(self.frequencies)) != len(self.frequencies):
            issues.append(Issue("$.frequencies", "duplicate_value", "Listed twice."))
        if len(set(self.focus_areas)) != len(self.focus_areas):
            issues.append(Issue("$.focus_areas", "duplicate_value", "Listed twice."))
        builtin = _BUILTINS.get(self.name)
        if builtin is not None and builtin != self:
            issues.append(Issue("$.name", "builtin_protocol_altered", "Name reserved."))
        _raise(issues)
        return self


#: The built-in protocols, by name (a document names one instead of embedding it).
_BUILTINS: dict[str, Protocol] = {}
_BUILTINS.update(
    (name, Protocol.model_validate_json(json.dumps(iptkit.dump(protocol))))
    for name, protocol in BUILTIN_PROTOCOLS.items()
)


def _named(value: object) -> object:
    """A built-in protocol's name becomes that protocol; anything else is left as it is."""
    if type(value) is str:
        found = _BUILTINS.get(value)
        if found is None:
            raise ValueError("unknown_protocol")
        return found
    return value


#: A field holding a protocol: a built-in's name, or the protocol as an object.
ProtocolRef = Annotated[Protocol, BeforeValidator(_named)]


# --------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------


def _first_session_issues(first: dt.datetime) -> list[Issue]:
    if not 1900 <= first.year <= 2999:
        return [Issue("$.first_session", "out_of_range", "Year out of range.")]
    return []


class SessionTerms(Strict):
    total: Total
    frequency: Frequency
    minutes: Minutes
    first_session: AwareDatetime
    zone: Zone

    @model_validator(mode="after")
    def _invariants(self) -> SessionTerms:
        _raise(_first_session_issues(self.first_session) + _zone_issues(self.zone))
        return self

    @property
    def first_local_date(self) -> dt.date:
        return self.first_session.astimezone(zone_info(self.zone)).date()


class ContingencyPolicy(Strict):
    missed: MissedSessionPolicy = MissedSessionPolicy.MADE_UP
    max_missed: Annotated[int, Field(ge=1, le=100)] | None = None
    after_max_missed: str | None = None
    illness: str | None = None
    therapist_absence: str | None = None
    excluded_dates: Annotated[tuple[dt.date, ...], Field(max_length=1000)] = ()

    @field_validator("excluded_dates", mode="after")
    @classmethod
    def _in_date_order(cls, days: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        return _excluded_days(days, "$.excluded_dates")


class Amendment(Strict):
    agreed_on: dt.date
    new_total: Total
    reason: Text


class Party(Strict):
    role: PartyRole
    label: Label
    signed_on: dt.date | None = None


class Obligation(Strict):
    role: PartyRole
    description: Text


class TreatmentContract(Strict):
    protocol: ProtocolRef
    sessions: SessionTerms
    focus_areas: Annotated[tuple[FocusArea, ...], Field(min_length=1)]
    dispute_stage: DisputeStage | None = None
    modality: Modality = Modality.IN_PERSON
    format: Format = Format.INDIVIDUAL
    contingency: ContingencyPolicy = ContingencyPolicy()
    amendments: tuple[Amendment, ...] = ()
    parties: tuple[Party, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    boundaries: str | None = None
    out_of_session_contact: str | None = None
    crisis_plan: str | None = None
    maintenance_discussed: bool | None = None

    @property
    def total(self) -> int:
        return self.amendments[-1].new_total if self.amendments else self.sessions.total

    def total_on(self, day: dt.date) -> int:
        return total_in_force(self.sessions.total, self.amendments, day)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _invariants(self) -> TreatmentContract:
        _raise(list(self._issues()))
        return self

    def _issues(self) -> Iterator[Issue]:
        seen: set[FocusArea] = set()
        for index, area in enumerate(self.focus_areas):
            if area in seen:
                yield Issue(f"$.focus_areas[{index}]", "duplicate_value", "Listed twice.")
            seen.add(area)
        if self.dispute_stage is not None and FocusArea.ROLE_DISPUTE not in seen:
            yield Issue("$.dispute_stage", "stage_without_dispute", "No role dispute.")
        labels: set[str] = set()
        for index, party in enumerate(self.parties):
            if party.label in labels:
                yield Issue(f"$.parties[{index}].label", "duplicate_label", "Shared label.")
            labels.add(party.label)
        yield from amendments_in_order(self.amendments, "$.amendments")
        first_day = self.sessions.first_local_date
        late = [
            index
            for index, party in enumerate(self.parties)
            if party.signed_on is not None and party.signed_on > first_day
        ]
        largest = max([self.sessions.total, *(a.new_total for a in self.amendments)])
        may_not_fit = (
            largest + len(self.contingency.excluded_dates)
            > _SLOTS_IN_HORIZON[self.sessions.frequency]
        )
        if not self.amendments and not late and not may_not_fit:
            return
        terms = self.sessions
        try:
            starts = recurrence_starts(
                terms.first_session,
                largest,
                zone=terms.zone,
                frequency=terms.frequency,
                exclude=self.contingency.excluded_dates,
            )
        except ScheduleError:
            yield Issue("$.sessions", "schedule_too_long", "Does not fit.")
            return
        days = [start.date() for start in starts]
        in_force = self.sessions.total
        for index, amendment in enumerate(self.amendments):
            termination = phase_lengths(in_force, self.protocol)[2]  # type: ignore[arg-type]
            if amendment.agreed_on >= days[in_force - termination]:
                yield Issue(f"$.amendments[{index}].agreed_on", "amended_in_termination", ".")
            if amendment.new_total < bisect.bisect_left(days, amendment.agreed_on, hi=in_force):
                yield Issue(f"$.amendments[{index}].new_total", "total_below_elapsed", ".")
            in_force = amendment.new_total
        end = days[self.total - 1]
        for index in late:
            signed = self.parties[index].signed_on
            if signed is not None and signed > end:
                yield Issue(f"$.parties[{index}].signed_on", "signed_after_end", ".")


class MaintenanceAgreement(Strict):
    agreed_on: dt.date
    frequency: Frequency = Frequency.MONTHLY
    monthly_by: MonthlyBy = MonthlyBy.WEEKDAY
    minutes: Minutes
    first_session: AwareDatetime
    zone: Zone
    count: Annotated[int, Field(ge=1, le=100)] | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _invariants(self) -> MaintenanceAgreement:
        first = _first_session_issues(self.first_session)
        zone = _zone_issues(self.zone)
        issues = first + zone
        if self.count is not None and self.until is not None:
            issues.append(Issue("$.until", "both_count_and_until", "Not both."))
        elif self.count is None and self.until is None:
            issues.append(Issue("$.count", "missing_count_or_until", "One of them."))
        elif self.until is not None and not first and not zone:
            first_day = self.first_session.astimezone(zone_info(self.zone)).date()
            if self.until < first_day:
                issues.append(Issue("$.until", "until_before_first_session", "."))
            elif (self.until - first_day).days > 366 * 5:
                issues.append(Issue("$.until", "out_of_range", "."))
        _raise(issues)
        return self


# --------------------------------------------------------------------------
# Inventory and life events
# --------------------------------------------------------------------------


class Expectation(Strict):
    held_by: ExpectationHolder
    description: Text
    met: bool | None = None


class RelationshipChange(Strict):
    on: dt.date
    description: Text
    approximate: bool = False


class Relationship(Strict):
    label: Label
    role: RelationshipRole
    closeness: Annotated[int, Field(ge=1, le=5)]
    contact: ContactFrequency | None = None
    positive_aspects: tuple[str, ...] = ()
    negative_aspects: tuple[str, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    confiding: bool | None = None
    wished_changes: tuple[str, ...] = ()
    changes: tuple[RelationshipChange, ...] = ()
    deceased: bool = False
    died_on: dt.date | None = None
    in_dispute: bool = False
    dispute_stage: DisputeStage | None = None

    @model_validator(mode="after")
    def _invariants(self) -> Relationship:
        issues = []
        if self.died_on is not None and not self.deceased:
            issues.append(Issue("$.died_on", "death_date_without_death", "."))
        if self.dispute_stage is not None and not self.in_dispute:
            issues.append(Issue("$.dispute_stage", "stage_without_dispute", "."))
        issues.extend(
            date_order_issues([c.on for c in self.changes], "$.changes[{}].on", items="Changes")
        )
        _raise(issues)
        return self


class InterpersonalInventory(Strict):
    relationships: tuple[Relationship, ...] = ()
    completed_on: dt.date | None = None
    social_style: str | None = None

    @model_validator(mode="after")
    def _invariants(self) -> InterpersonalInventory:
        seen: set[str] = set()
        issues = []
        for index, relationship in enumerate(self.relationships):
            if relationship.label in seen:
                issues.append(Issue(f"$.relationships[{index}].label", "duplicate_label", "."))
            seen.add(relationship.label)
        _raise(issues)
        return self


class LifeEvent(Strict):
    kind: LifeEventKind
    date: dt.date
    person: Label | None = None
    description: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


# --------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------


class ScheduledSession(Strict):
    kind: SessionKind
    number: Annotated[int, Field(ge=0, le=1000)]
    starts_at: AwareDatetime
    minutes: Minutes
    phase: Phase | None
    status: SessionStatus = SessionStatus.PLANNED
    made_up: bool = False

    @model_validator(mode="after")
    def _invariants(self) -> ScheduledSession:
        _raise(list(row_issues(self)))
        return self


class MaintenancePlan(Strict):
    first_start: AwareDatetime
    frequency: Frequency = Frequency.MONTHLY
    monthly_by: MonthlyBy = MonthlyBy.WEEKDAY
    minutes: Minutes
    count: Annotated[int, Field(ge=1, le=100)]
    agreed_on: dt.date | None = None


def _local_date(moment: dt.datetime, info: Any) -> dt.date:
    if info is None:
        return moment.date()
    try:
        return moment.astimezone(info).date()
    except (OverflowError, ValueError):
        return moment.date()


class Schedule(Strict):
    protocol: ProtocolRef
    zone: Zone
    first_start: AwareDatetime
    frequency: Frequency
    minutes: Minutes
    contracted_total: Total
    amendments: tuple[Amendment, ...] = ()
    exclude: Annotated[tuple[dt.date, ...], Field(max_length=1000)] = ()
    missed_policy: MissedSessionPolicy | None = None
    maintenance: tuple[MaintenancePlan, ...] = ()
    sessions: Annotated[tuple[ScheduledSession, ...], Field(min_length=3, max_length=2000)]

    @property
    def total(self) -> int:
        return self.amendments[-1].new_total if self.amendments else self.contracted_total

    def total_on(self, day: dt.date) -> int:
        return total_in_force(self.contracted_total, self.amendments, day)  # type: ignore[arg-type]

    @field_validator("exclude", mode="after")
    @classmethod
    def _in_date_order(cls, days: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        return _excluded_days(days, "$.exclude")

    @model_validator(mode="after")
    def _invariants(self) -> Schedule:
        # The numbering rules are iptkit's own functions (iptkit._sessions): run the same ones.
        issues: list[Issue] = []
        info: Any
        try:
            info = zone_info(self.zone)
        except ValidationError as exc:
            issues.extend(exc.issues)
            info = None
        issues.extend(amendments_in_order(self.amendments, "$.amendments"))
        sequence = list(sequence_issues(self.sessions))
        issues += sequence
        issues.extend(self._count_issues())
        if not sequence:
            protocol: Any = self.protocol
            issues.extend(phase_issues(self.sessions, protocol=protocol, total_on=self.total_on))
        issues.extend(self._amendment_issues(info))
        if info is not None and self.exclude:
            excluded = frozenset(self.exclude)
            for index, session in enumerate(self.sessions):
                if _local_date(session.starts_at, info) in excluded:
                    issues.append(Issue(f"$.sessions[{index}].starts_at", "excluded_date", "."))
        _raise(issues)
        return self

    def _count_issues(self) -> Iterator[Issue]:
        acute = sum(1 for s in self.sessions if s.kind is SessionKind.ACUTE)
        if acute != self.total:
            yield Issue("$.sessions", "session_count", ".")
        maintenance = sum(1 for s in self.sessions if s.kind is SessionKind.MAINTENANCE)
        if maintenance != sum(plan.count for plan in self.maintenance):
            yield Issue("$.sessions", "session_count", ".")

    def _amendment_issues(self, info: Any) -> Iterator[Issue]:
        if not self.amendments:
            return
        held = [
            _local_date(s.starts_at, info)
            for s in self.sessions
            if s.kind is SessionKind.ACUTE
            and s.status is SessionStatus.HELD
            and s.phase is Phase.TERMINATION
        ]
        if not held:
            return
        first = min(held)
        for index, amendment in enumerate(self.amendments):
            if amendment.agreed_on > first:
                yield Issue(f"$.amendments[{index}].agreed_on", "amended_after_termination", ".")


# --------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------


class Score(Strict):
    instrument: InstrumentId
    items: tuple[int | str, ...] | None = None
    total: int
    safety_item: Annotated[int, Field(ge=0, le=4)] | None = None

    @model_validator(mode="after")
    def _invariants(self) -> Score:
        info = INSTRUMENTS[self.instrument]
        if self.items is not None and _plainly_valid(info, self.items, self.total):
            return self
        total_issue = _total_issue(info, self.total)
        issues: list[Issue] = []
        if self.items is not None:
            issues = _item_issues(info, self.items)
            if (
                not issues
                and total_issue is None
                and sum(_answer_value(a) for a in self.items) != self.total
            ):
                issues.append(Issue("$.total", "total_mismatch", "."))
        if total_issue is not None:
            issues.append(total_issue)
        _raise(issues)
        return self


class Measurement(Strict):
    taken_on: dt.date
    session_number: Annotated[int, Field(ge=1, le=1000)] | None = None
    session_kind: SessionKind = SessionKind.ACUTE
    score: Score
    risk_assessed_on: dt.date | None = None


# --------------------------------------------------------------------------
# Course
# --------------------------------------------------------------------------


class Diagnosis(Strict):
    system: DiagnosisSystem
    code: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9.\-]+$")]
    recorded_on: dt.date


class SessionRecord(Strict):
    number: Annotated[int, Field(ge=0, le=1000)]
    kind: SessionKind = SessionKind.ACUTE
    starts_at: AwareDatetime
    minutes: Minutes
    status: SessionStatus = SessionStatus.PLANNED
    made_up: bool = False
    modality: Modality = Modality.IN_PERSON
    phase: Phase | None
    focus_areas: tuple[FocusArea, ...] = ()
    techniques: tuple[Technique, ...] = ()
    task_set: str | None = None
    previous_task_outcome: TaskOutcome | None = None
    sick_role_given: bool = False
    ending_raised: bool = False
    risk_assessed: bool = False
    maintenance_discussed: bool = False
    parent_present: bool = False
    scores: tuple[Score, ...] = ()
    notes: str | None = None

    @property
    def counts(self) -> bool:
        return not self.made_up

    @model_validator(mode="after")
    def _invariants(self) -> SessionRecord:
        issues = list(row_issues(self))
        if len(set(self.focus_areas)) != len(self.focus_areas):
            issues.append(Issue("$.focus_areas", "duplicate_value", "."))
        if len(set(self.techniques)) != len(self.techniques):
            issues.append(Issue("$.techniques", "duplicate_value", "."))
        _raise(issues)
        return self


class GoalRating(Strict):
    on: dt.date
    progress: Annotated[int, Field(ge=0, le=10)]


class TreatmentGoal(Strict):
    focus_area: FocusArea
    description: Text
    set_on: dt.date
    ratings: tuple[GoalRating, ...] = ()

    @model_validator(mode="after")
    def _invariants(self) -> TreatmentGoal:
        _raise(
            list(
                date_order_issues(
                    [rating.on for rating in self.ratings],
                    "$.ratings[{}].on",
                    items="Ratings",
                    not_before=self.set_on,
                    since="the goal was set",
                )
            )
        )
        return self


class FormulationRevision(Strict):
    on: dt.date
    focus_areas: Annotated[tuple[FocusArea, ...], Field(min_length=1)]
    reason: Text


class Formulation(Strict):
    focus_areas: Annotated[tuple[FocusArea, ...], Field(min_length=1)]
    agreed_on: dt.date
    linked_people: tuple[str, ...] = ()
    revisions: tuple[FormulationRevision, ...] = ()

    @model_validator(mode="after")
    def _invariants(self) -> Formulation:
        issues = []
        if len(set(self.focus_areas)) != len(self.focus_areas):
            issues.append(Issue("$.focus_areas", "duplicate_value", "."))
        issues.extend(
            date_order_issues(
                [revision.on for revision in self.revisions],
                "$.revisions[{}].on",
                items="Revisions",
                not_before=self.agreed_on,
                since="the formulation was agreed",
            )
        )
        _raise(issues)
        return self

    @property
    def all_focus_areas(self) -> frozenset[FocusArea]:
        areas = set(self.focus_areas)
        for revision in self.revisions:
            areas.update(revision.focus_areas)
        return frozenset(areas)


_STANDARD = _BUILTINS[STANDARD.name]


class TreatmentCourse(Strict):
    """The course document (with its ``schema_version``, as iptkit writes it)."""

    schema_version: Literal[2]
    patient_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    protocol: ProtocolRef = _STANDARD
    started_on: dt.date
    ended_on: dt.date | None = None
    ended_reason: EndReason | None = None
    age_at_start: Annotated[int, Field(ge=0, le=120)] | None = None
    onset: dt.date | None = None
    diagnosis: Diagnosis | None = None
    contract: TreatmentContract | None = None
    maintenance: MaintenanceAgreement | None = None
    inventory: InterpersonalInventory | None = None
    life_events: tuple[LifeEvent, ...] = ()
    formulation: Formulation | None = None
    schedule: Schedule | None = None
    sessions: tuple[SessionRecord, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    goals: tuple[TreatmentGoal, ...] = ()

    @model_validator(mode="after")
    def _invariants(self) -> TreatmentCourse:
        _raise(list(self._issues()))
        return self

    def _within(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    def total_on(self, day: dt.date) -> int | None:
        if self.contract is None:
            return None
        return self.contract.total_on(day)

    def _issues(self) -> Iterator[Issue]:
        # Parts.
        for name, part in (("contract", self.contract), ("schedule", self.schedule)):
            if part is not None and part.protocol != self.protocol:
                yield Issue(f"$.{name}.protocol", "protocol_mismatch", ".")
        if self.ended_on is not None and self.ended_on < self.started_on:
            yield Issue("$.ended_on", "out_of_order", ".")
        if self.onset is not None and self.onset > self.started_on:
            yield Issue("$.onset", "out_of_order", ".")
        # Dates.
        for index, measurement in enumerate(self.measurements):
            if not self._within(measurement.taken_on):
                yield Issue(f"$.measurements[{index}].taken_on", "outside_course", ".")
        for index, record in enumerate(self.sessions):
            if not self._within(record.starts_at.date()):
                yield Issue(f"$.sessions[{index}].starts_at", "outside_course", ".")
        # Numbering (rules 1, 2, 3 and 6): the same functions as iptkit.
        records = self.sessions
        sequence = list(sequence_issues(records))
        yield from sequence
        contract = self.contract
        if contract is not None:
            beyond = [
                Issue(f"$.sessions[{index}].number", "beyond_contract", ".")
                for index, record in enumerate(records)
                if record.kind is SessionKind.ACUTE and record.number > contract.total
            ]
            yield from beyond
            sequence.extend(beyond)
        in_force = contract or self.schedule
        if in_force is not None and not sequence:
            protocol: Any = self.protocol
            yield from phase_issues(records, protocol=protocol, total_on=in_force.total_on)
        planned = [r.starts_at for r in records if r.status is SessionStatus.PLANNED]
        if planned:
            earliest = min(planned)
            for index, record in enumerate(records):
                if record.status is not SessionStatus.PLANNED and record.starts_at > earliest:
                    yield Issue(f"$.sessions[{index}].status", "recorded_after_planned", ".")
        if self.schedule is not None:
            info = zone_info(self.schedule.zone)

            def day_of(moment: dt.datetime) -> dt.date:
                try:
                    return moment.astimezone(info).date()
                except (OverflowError, ValueError):
                    return moment.date()

            yield from agreement_issues(records, self.schedule.sessions, day_of=day_of)
        # Goals.
        agreed: frozenset[FocusArea] | None = None
        if self.formulation is not None:
            agreed = self.formulation.all_focus_areas
        elif self.contract is not None:
            agreed = frozenset(self.contract.focus_areas)
        if agreed is not None:
            for index, goal in enumerate(self.goals):
                if goal.focus_area not in agreed:
                    yield Issue(f"$.goals[{index}].focus_area", "goal_outside_focus", ".")
