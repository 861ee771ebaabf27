"""The treatment course: the whole record of one patient's course of IPT.

A :class:`TreatmentCourse` is the document a clinical app stores and a
researcher loads: the protocol, the contract and its amendments, the
inventory, life events, the formulation, the planned schedule, a
:class:`SessionRecord` per session, symptom measurements and goals.

Its invariants are the rules a record cannot break and still mean something
(design.md): session numbering of the records (rules 1, 2, 3 and 6, from
:mod:`iptkit._sessions`, the same rules a schedule keeps), records within the
contracted total and in agreement with the course's schedule, nothing
recorded after a session still planned, measurements within the course,
goals on agreed focus areas.
Protocol departures (too many sessions for the variant, no inventory, ...)
are findings of :func:`iptkit.check`, not invariants.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

import attrs

from iptkit._contract import MaintenanceAgreement, Modality, TreatmentContract
from iptkit._errors import Issue
from iptkit._focus import FocusArea
from iptkit._inventory import InterpersonalInventory
from iptkit._life_events import LifeEvent
from iptkit._model import distinct, field, model
from iptkit._ordering import in_date_order, not_before_issues
from iptkit._protocol import STANDARD, Phase, Protocol
from iptkit._recurrence import zone_info
from iptkit._schedule import Schedule, ScheduledSession
from iptkit._sessions import (
    SessionKind,
    SessionStatus,
    agreement_issues,
    phase_issues,
    row_issues,
    sequence_issues,
    session_label,
)
from iptkit.measures import Change, InstrumentId, Measurement, Score, change

__all__ = [
    "RECOVERY",
    "RETURN_THRESHOLDS",
    "Diagnosis",
    "DiagnosisSystem",
    "EndReason",
    "Formulation",
    "FormulationRevision",
    "GoalRating",
    "Outcome",
    "Relapse",
    "ReturnKind",
    "ScoredAt",
    "SessionRecord",
    "TaskOutcome",
    "Technique",
    "TreatmentCourse",
    "TreatmentGoal",
]


class Technique(enum.Enum):
    """IPT techniques used in a session (domain reference §3.2)."""

    EXPLORATION = "exploration"
    CLARIFICATION = "clarification"
    ENCOURAGEMENT_OF_AFFECT = "encouragement_of_affect"
    COMMUNICATION_ANALYSIS = "communication_analysis"
    DECISION_ANALYSIS = "decision_analysis"
    ROLE_PLAY = "role_play"
    EXPECTATION_CLARIFICATION = "expectation_clarification"
    PSYCHOEDUCATION = "psychoeducation"
    INTERPERSONAL_INVENTORY = "interpersonal_inventory"
    CLOSENESS_CIRCLE = "closeness_circle"
    USE_OF_THERAPEUTIC_RELATIONSHIP = "use_of_therapeutic_relationship"
    BETWEEN_SESSION_TASK = "between_session_task"


class TaskOutcome(enum.Enum):
    """How the task agreed at the previous session went."""

    DONE = "done"
    PARTLY_DONE = "partly_done"
    NOT_DONE = "not_done"


class DiagnosisSystem(enum.Enum):
    """Classification a diagnosis code belongs to."""

    ICD10 = "icd10"
    ICD11 = "icd11"
    DSM5 = "dsm5"


@model
class Diagnosis:
    """The explicit diagnosis made in the initial phase (domain reference §3.2)."""

    system: DiagnosisSystem
    code: str = field(min_len=1, max_len=16, pattern=r"[A-Za-z0-9.\-]+", doc="E.g. F32.1.")
    recorded_on: dt.date


@model
class SessionRecord:
    """What happened at one session.

    ``number`` is the acute session number (1..n), 0 for a pre-treatment
    contact, or the maintenance number k of session Mk.  A missed session that
    was *made up* keeps the number it was planned with and sets
    ``made_up=True``: the number is then spent by the later replacement record
    (design.md rule 4), exactly as in a :class:`~iptkit.Schedule`.

    Build the record of a planned session with :meth:`from_scheduled`.
    """

    number: int = field(ge=0, le=1000)
    kind: SessionKind = SessionKind.ACUTE
    starts_at: dt.datetime = field(doc="Start, with its UTC offset.")
    minutes: int = field(ge=1, le=480, doc="Planned or actual length in minutes.")
    status: SessionStatus = field(default=SessionStatus.PLANNED, doc="What became of it.")
    made_up: bool = field(default=False, doc="A missed session whose number moved on.")
    modality: Modality = Modality.IN_PERSON
    phase: Phase | None = field(doc="Phase of the course; null for a pre-treatment contact.")
    focus_areas: tuple[FocusArea, ...] = field(
        default=(),
        doc="Focus areas worked on.",
        rules=[distinct("A focus area is listed twice.", each=False)],
    )
    techniques: tuple[Technique, ...] = field(
        default=(), rules=[distinct("A technique is listed twice.", each=False)]
    )
    task_set: str | None = field(default=None, private=True, doc="Task agreed for the week.")
    previous_task_outcome: TaskOutcome | None = field(
        default=None, doc="How the task set at the previous session went."
    )
    sick_role_given: bool = False
    ending_raised: bool = field(default=False, doc="Whether the end of treatment was discussed.")
    risk_assessed: bool = field(default=False, doc="Whether a risk assessment was recorded.")
    maintenance_discussed: bool = field(
        default=False, doc="Whether continuation or maintenance treatment was discussed."
    )
    parent_present: bool = field(default=False, doc="Whether a parent or carer took part.")
    scores: tuple[Score, ...] = field(default=(), doc="Measures taken at this session.")
    notes: str | None = field(default=None, private=True)

    @classmethod
    def from_scheduled(cls, scheduled: ScheduledSession, **facts: Any) -> SessionRecord:
        """The record of planned session ``scheduled``, with ``facts`` about what happened.

        The record takes the session's number, kind, start, length, phase,
        status and made-up flag; ``facts`` sets any other field (techniques,
        scores, notes, ...) and may override those too (``status=...`` once it
        is held, ``minutes=`` for its real length).

        Raises:
            ValidationError: the facts make an invalid record.

        >>> import datetime as dt
        >>> from iptkit import SessionStatus, plan_sessions
        >>> plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), 12, zone="UTC")
        >>> record = SessionRecord.from_scheduled(plan.session(4), status=SessionStatus.HELD)
        >>> record.label, record.phase.value, record.status.value
        ('4', 'middle', 'held')
        """
        values: dict[str, Any] = {
            "number": scheduled.number,
            "kind": scheduled.kind,
            "starts_at": scheduled.starts_at,
            "minutes": scheduled.minutes,
            "phase": scheduled.phase,
            "status": scheduled.status,
            "made_up": scheduled.made_up,
        }
        values.update(facts)
        return cls(**values)

    @property
    def label(self) -> str:
        """How the session is shown, as in the schedule: ``"0"``, ``"3"`` or ``"M2"``."""
        return session_label(self.kind, self.number)

    @property
    def counts(self) -> bool:
        """Whether the record spends its number (every record but a made-up miss)."""
        return not self.made_up

    def _invariants(self) -> Iterator[Issue]:
        return row_issues(self)


@model
class GoalRating:
    """A dated rating of progress towards a goal (0 = none, 10 = achieved)."""

    on: dt.date
    progress: int = field(ge=0, le=10)


@model
class TreatmentGoal:
    """A goal of treatment linked to a focus area, with dated progress ratings."""

    focus_area: FocusArea
    description: str = field(min_len=1, private=True)
    set_on: dt.date
    ratings: tuple[GoalRating, ...] = field(default=(), rules=[in_date_order("Ratings", attr="on")])

    def _invariants(self) -> Iterator[Issue]:
        return not_before_issues(
            [rating.on for rating in self.ratings],
            "$.ratings[{}].on",
            items="Ratings",
            not_before=self.set_on,
            since="the goal was set",
        )

    @property
    def latest_progress(self) -> int | None:
        """The most recent progress rating, if any."""
        return self.ratings[-1].progress if self.ratings else None


@model
class FormulationRevision:
    """A renegotiated change of focus, agreed with the patient."""

    on: dt.date
    focus_areas: tuple[FocusArea, ...] = field(min_len=1)
    reason: str = field(min_len=1, private=True)


@model
class Formulation:
    """The interpersonal formulation: the agreed focus and the people it concerns."""

    focus_areas: tuple[FocusArea, ...] = field(
        min_len=1,
        doc="Agreed focus, one or two.",
        rules=[distinct("A focus area is listed twice.", each=False)],
    )
    agreed_on: dt.date
    linked_people: tuple[str, ...] = field(
        default=(), private=True, doc="Inventory labels of the people the focus concerns."
    )
    revisions: tuple[FormulationRevision, ...] = field(
        default=(), rules=[in_date_order("Revisions", attr="on")]
    )

    def _invariants(self) -> Iterator[Issue]:
        return not_before_issues(
            [revision.on for revision in self.revisions],
            "$.revisions[{}].on",
            items="Revisions",
            not_before=self.agreed_on,
            since="the formulation was agreed",
        )

    def focus_on(self, day: dt.date) -> tuple[FocusArea, ...]:
        """The focus areas in force on ``day`` (after any revisions by then)."""
        current = self.focus_areas
        for revision in self.revisions:
            if revision.on <= day:
                current = revision.focus_areas
        return current

    @property
    def all_focus_areas(self) -> frozenset[FocusArea]:
        """Every focus area agreed at any time."""
        areas = set(self.focus_areas)
        for revision in self.revisions:
            areas.update(revision.focus_areas)
        return frozenset(areas)


class EndReason(enum.Enum):
    """Why a course of IPT ended."""

    #: The contracted acute course was carried through (with any maintenance).
    COMPLETED = "completed"
    #: The patient stopped coming or withdrew before the planned end.
    DROPPED_OUT = "dropped_out"
    #: Passed on to another service or treatment.
    REFERRED_ON = "referred_on"
    #: The patient moved out of the service's reach.
    MOVED_AWAY = "moved_away"
    #: Ended early by the clinician or the service.
    CLINICIAN_ENDED = "clinician_ended"
    #: Any other reason (say which in the notes of the last session).
    OTHER = "other"


@attrs.frozen
class ScoredAt:
    """One score of a course, with when and where it was taken.

    Attributes:
        on: the day.
        kind: the kind of session it belongs to; ``None`` outside a session.
        number: the session's number within its kind; ``None`` outside one.
        score: the score.
        path: where it is in the course document, e.g. ``$.sessions[3].scores[0]``.
    """

    on: dt.date
    kind: SessionKind | None
    number: int | None
    score: Score
    path: str

    @property
    def session(self) -> str | None:
        """The session's label (``"3"``, ``"M2"``), or ``None`` outside a session."""
        if self.kind is None or self.number is None:
            return None
        return session_label(self.kind, self.number)


@attrs.frozen
class Outcome:
    """The change of one instrument over a course, and the two scores it compares."""

    change: Change
    baseline: ScoredAt
    follow_up: ScoredAt


class ReturnKind(enum.Enum):
    """A return of symptoms after remission (Frank et al. 1991; reference §7)."""

    #: Before recovery: within the recovery period of the remission.
    RELAPSE = "relapse"
    #: After recovery: a new episode.
    RECURRENCE = "recurrence"


@attrs.frozen
class Relapse:
    """A return of symptoms after remission at the end of the acute course."""

    kind: ReturnKind
    remitted: ScoredAt
    returned: tuple[ScoredAt, ...]


#: Remission must last this long to count as recovery: 4-6 months in Frank et
#: al. 1991 and Rush et al. 2006 (reference §7); the shorter end is taken here.
RECOVERY = dt.timedelta(weeks=17)

#: Default totals at or above which a score is a return of symptoms: PHQ-9 10
#: and HAM-D17 15, the severity thresholds maintenance trials use (reference
#: §7).  Other instruments need a threshold from the caller.
RETURN_THRESHOLDS: dict[InstrumentId, int] = {InstrumentId.PHQ9: 10, InstrumentId.HAMD17: 15}


def _protocol_of(contract: TreatmentContract | None) -> Protocol:
    """The protocol a course follows when it names none: its contract's, else STANDARD."""
    return STANDARD if contract is None else contract.protocol


@model(document="course")
class TreatmentCourse:
    """The whole record of one course of IPT.

    Fields not yet known early in a course (contract, inventory, formulation,
    schedule, ...) may be absent; :func:`iptkit.check` reports what the
    protocol expects by when.
    """

    patient_id: str = field(
        min_len=1, max_len=64, pattern=r"[A-Za-z0-9_.\-]+", doc="Pseudonymous patient id."
    )
    protocol: Protocol = field(
        default=attrs.Factory(lambda course: _protocol_of(course.contract), takes_self=True),
        doc="The protocol variant the course follows; by default its contract's, else STANDARD.",
    )
    started_on: dt.date = field(doc="Referral or assessment date: the course begins here.")
    ended_on: dt.date | None = field(default=None, doc="Set once the course has ended.")
    ended_reason: EndReason | None = field(
        default=None, doc="Why the course ended; only with ended_on."
    )
    age_at_start: int | None = field(
        default=None,
        ge=0,
        le=120,
        doc="The patient's age in whole years when the course started (not a date of birth).",
    )
    onset: dt.date | None = field(default=None, doc="Onset of the current episode.")
    diagnosis: Diagnosis | None = None
    contract: TreatmentContract | None = None
    maintenance: MaintenanceAgreement | None = None
    inventory: InterpersonalInventory | None = None
    life_events: tuple[LifeEvent, ...] = ()
    formulation: Formulation | None = None
    schedule: Schedule | None = None
    sessions: tuple[SessionRecord, ...] = ()
    measurements: tuple[Measurement, ...] = field(
        default=(), doc="Measures taken outside sessions (screening, follow-up)."
    )
    goals: tuple[TreatmentGoal, ...] = ()

    # ------------------------------------------------------------------
    # invariants
    # ------------------------------------------------------------------

    def _invariants(self) -> Iterator[Issue]:
        yield from self._check_parts()
        yield from self._check_dates()
        yield from self._check_numbering()
        yield from self._check_goals()

    def _check_parts(self) -> Iterator[Issue]:
        for name, part in (("contract", self.contract), ("schedule", self.schedule)):
            if part is not None and part.protocol != self.protocol:
                yield Issue(
                    f"$.{name}.protocol",
                    "protocol_mismatch",
                    f"The {name} follows a different protocol from the course.",
                )
        if self.ended_on is not None and self.ended_on < self.started_on:
            message = "The course cannot end before it starts."
            yield Issue("$.ended_on", "out_of_order", message, self.ended_on)
        if self.ended_reason is not None and self.ended_on is None:
            yield Issue(
                "$.ended_reason",
                "reason_without_end",
                "A reason for the end is given but the course has no end date.",
            )
        if self.onset is not None and self.onset > self.started_on:
            yield Issue(
                "$.onset",
                "out_of_order",
                "The onset of the episode cannot be after the course started.",
                self.onset,
            )

    def _within(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    def _check_dates(self) -> Iterator[Issue]:
        """What happened in the course is dated within it (``outside_course``).

        Sessions, measures, the inventory, the formulation and its revisions,
        goals and their ratings are all made during the course.  A diagnosis
        may come with the referral, before the course starts; one recorded
        after the initial phase (or after the course) is the finding
        ``diagnosis_late`` of :func:`iptkit.check`, not an invariant.
        """
        dated: list[tuple[str, dt.date | None, str]] = [
            (f"$.measurements[{i}].taken_on", m.taken_on, "A measure")
            for i, m in enumerate(self.measurements)
        ]
        dated += [
            (f"$.sessions[{i}].starts_at", r.starts_at.date(), "A session")
            for i, r in enumerate(self.sessions)
        ]
        if self.inventory is not None:
            dated.append(("$.inventory.completed_on", self.inventory.completed_on, "The inventory"))
        if self.formulation is not None:
            dated.append(("$.formulation.agreed_on", self.formulation.agreed_on, "The formulation"))
            dated += [
                (f"$.formulation.revisions[{i}].on", revision.on, "A revision of the formulation")
                for i, revision in enumerate(self.formulation.revisions)
            ]
        for i, goal in enumerate(self.goals):
            dated.append((f"$.goals[{i}].set_on", goal.set_on, "A goal"))
            dated += [
                (f"$.goals[{i}].ratings[{j}].on", rating.on, "A goal rating")
                for j, rating in enumerate(goal.ratings)
            ]
        for path, day, what in dated:
            if day is not None and not self._within(day):
                yield Issue(path, "outside_course", f"{what} is dated outside the course.")

    def total_on(self, day: dt.date) -> int | None:
        """The contracted acute total in force on ``day`` (amendments agreed by then)."""
        if self.contract is None:
            return None
        return self.contract.total_on(day)

    def _check_numbering(self) -> Iterator[Issue]:
        records = self.sessions
        sequence = list(sequence_issues(records))
        yield from sequence
        contract = self.contract
        if contract is not None:
            beyond = [
                Issue(
                    f"$.sessions[{index}].number",
                    "beyond_contract",
                    "The session is numbered beyond the acute total the contract agrees.",
                    record.number,
                )
                for index, record in enumerate(records)
                if record.kind is SessionKind.ACUTE and record.number > contract.total
            ]
            yield from beyond
            sequence.extend(beyond)
        # Rule 3 needs the total in force: from the contract, else the schedule;
        # without either, phases are only held to their order.
        in_force = contract or self.schedule
        if not sequence:
            yield from phase_issues(
                records,
                protocol=self.protocol,
                total_on=in_force.total_on if in_force is not None else None,
            )
        # A session recorded as held (or missed) may not follow one still planned.
        planned = [r.starts_at for r in records if r.status is SessionStatus.PLANNED]
        if planned:
            earliest_planned = min(planned)
            for index, record in enumerate(records):
                if (
                    record.status is not SessionStatus.PLANNED
                    and record.starts_at > earliest_planned
                ):
                    yield Issue(
                        f"$.sessions[{index}].status",
                        "recorded_after_planned",
                        "A session is recorded as taken place or missed after one still planned.",
                    )
        if self.schedule is not None:
            yield from self._check_against_schedule(self.schedule)

    def _check_against_schedule(self, schedule: Schedule) -> Iterator[Issue]:
        """Records and schedule tell the same story (``schedule_mismatch``)."""
        info = zone_info(schedule.zone)  # known: the schedule checked it

        def day_of(moment: dt.datetime) -> dt.date:
            try:
                return moment.astimezone(info).date()
            except (OverflowError, ValueError):
                return moment.date()

        yield from agreement_issues(self.sessions, schedule.sessions, day_of=day_of)

    def _check_goals(self) -> Iterator[Issue]:
        agreed: frozenset[FocusArea] | None = None
        if self.formulation is not None:
            agreed = self.formulation.all_focus_areas
        elif self.contract is not None:
            agreed = frozenset(self.contract.focus_areas)
        if agreed is None:
            return
        for index, goal in enumerate(self.goals):
            if goal.focus_area not in agreed:
                yield Issue(
                    f"$.goals[{index}].focus_area",
                    "goal_outside_focus",
                    "A goal is linked to a focus area that was not agreed.",
                )

    # ------------------------------------------------------------------
    # derived views
    # ------------------------------------------------------------------

    @property
    def acute_records(self) -> tuple[SessionRecord, ...]:
        """Records of acute sessions, in the order given."""
        return tuple(r for r in self.sessions if r.kind is SessionKind.ACUTE)

    @property
    def attendance_rate(self) -> float | None:
        """Share of past acute sessions the patient attended.

        Sessions still planned and sessions the therapist cancelled are left
        out; ``None`` when no acute session has happened yet.
        """
        relevant = [
            r
            for r in self.acute_records
            if r.status not in (SessionStatus.PLANNED, SessionStatus.CANCELLED_BY_THERAPIST)
        ]
        if not relevant:
            return None
        attended = sum(1 for r in relevant if r.status is SessionStatus.HELD)
        return attended / len(relevant)

    @property
    def sessions_used(self) -> int:
        """Acute session numbers spent so far (held, or missed and counted)."""
        return len(
            {
                r.number
                for r in self.acute_records
                if r.counts and r.status is not SessionStatus.PLANNED
            }
        )

    @property
    def sessions_remaining(self) -> int | None:
        """Contracted acute sessions not yet spent; ``None`` without a contract."""
        if self.contract is None:
            return None
        return max(self.contract.total - self.sessions_used, 0)

    def all_scores(self) -> tuple[tuple[dt.date, int | None, Score], ...]:
        """Every score of the course as ``(date, acute session number or None, score)``, by date.

        The number is that of an acute session only: a score at a maintenance
        session or outside any session has ``None`` (see :meth:`scored` for
        the session's label and kind).
        """
        return tuple(
            (entry.on, entry.number if entry.kind is SessionKind.ACUTE else None, entry.score)
            for entry in self.scored()
        )

    def scored(self) -> tuple[ScoredAt, ...]:
        """Every score of the course with when and where it was taken, by date.

        Scores of session records come first on a day, then measurements,
        each in list order.
        """
        found: list[ScoredAt] = []
        for index, record in enumerate(self.sessions):
            for position, taken in enumerate(record.scores):
                found.append(
                    ScoredAt(
                        on=record.starts_at.date(),
                        kind=record.kind,
                        number=record.number,
                        score=taken,
                        path=f"$.sessions[{index}].scores[{position}]",
                    )
                )
        for index, measurement in enumerate(self.measurements):
            numbered = measurement.session_number is not None
            found.append(
                ScoredAt(
                    on=measurement.taken_on,
                    kind=measurement.session_kind if numbered else None,
                    number=measurement.session_number,
                    score=measurement.score,
                    path=f"$.measurements[{index}].score",
                )
            )
        found.sort(key=lambda entry: entry.on)
        return tuple(found)

    @property
    def acute_ended_on(self) -> dt.date | None:
        """The day of the last acute session recorded as held, or ``None``."""
        held = [
            r.starts_at.date()
            for r in self.sessions
            if r.kind is SessionKind.ACUTE and r.status is SessionStatus.HELD
        ]
        return max(held, default=None)

    def _acute_course_scores(self) -> list[ScoredAt]:
        """Scores of the acute course: its sessions, and measurements up to its last session."""
        last = self.acute_ended_on
        return [
            entry
            for entry in self.scored()
            if entry.kind is not SessionKind.MAINTENANCE
            and (entry.kind is not None or last is None or entry.on <= last)
        ]

    def outcomes(
        self, *, acute_only: bool = True, until: dt.date | None = None
    ) -> dict[InstrumentId, Outcome]:
        """Baseline (first) against last score, for each instrument measured twice or more.

        Args:
            acute_only: compare within the acute course (the default): scores
                of pre-treatment and acute sessions, and measurements outside
                sessions up to the last acute session held; maintenance scores
                and later follow-ups are left out.  ``False``: the latest score
                of all, maintenance included.
            until: leave out scores taken after this day.

        Uses :func:`iptkit.measures.change` with its defaults (a drop of half
        or more is a response; the instrument's remission threshold).  Each
        :class:`Outcome` says which two scores it compared.
        """
        entries = list(self._acute_course_scores() if acute_only else self.scored())
        if until is not None:
            entries = [entry for entry in entries if entry.on <= until]
        by_instrument: dict[InstrumentId, list[ScoredAt]] = {}
        for entry in entries:
            by_instrument.setdefault(entry.score.instrument, []).append(entry)
        return {
            instrument: Outcome(
                change=change(found[0].score, found[-1].score),
                baseline=found[0],
                follow_up=found[-1],
            )
            for instrument, found in by_instrument.items()
            if len(found) > 1
        }

    def relapse(
        self,
        instrument: InstrumentId = InstrumentId.PHQ9,
        *,
        returned_at: int | None = None,
        consecutive: int = 2,
        recovery: dt.timedelta = RECOVERY,
    ) -> Relapse | None:
        """A return of symptoms after remission at the end of the acute course, if any.

        The rule (domain reference §7, after Frank et al. 1991 and Rush et al.
        2006): the last acute-course score of ``instrument`` is a remission;
        later, ``consecutive`` scores in a row are at or above ``returned_at``
        (by default PHQ-9 10, HAM-D17 15: the severity thresholds trials use).
        It is a *relapse* if the return begins within ``recovery`` of that
        remission (before recovery), else a *recurrence*.

        Returns:
            The first such return, or ``None`` (also when the instrument has
            no default threshold and ``returned_at`` is not given).
        """
        threshold = returned_at if returned_at is not None else RETURN_THRESHOLDS.get(instrument)
        if threshold is None or consecutive < 1:
            return None
        acute = self.outcomes().get(instrument)
        if acute is None or not acute.change.remission:
            return None
        remitted = acute.follow_up
        later = [
            entry
            for entry in self.scored()
            if entry.score.instrument is instrument and entry.on > remitted.on
        ]
        run: list[ScoredAt] = []
        for entry in later:
            run = [*run, entry] if entry.score.total >= threshold else []
            if len(run) == consecutive:
                kind = (
                    ReturnKind.RELAPSE
                    if run[0].on - remitted.on < recovery
                    else ReturnKind.RECURRENCE
                )
                return Relapse(kind=kind, remitted=remitted, returned=tuple(run))
        return None

    def measured_sessions(self) -> tuple[int, ...]:
        """Acute session numbers at which at least one measure was taken (maintenance aside)."""
        numbers = {number for _, number, _ in self.all_scores() if number is not None}
        return tuple(sorted(numbers))
