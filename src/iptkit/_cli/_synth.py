"""A synthetic corpus of treatment courses, for demonstrations, tests and benchmarks.

:func:`write_corpus` writes one course document per line (JSON Lines).  The
courses are made up, never real patients: pseudonymous ids (``SY-000123``),
people in the inventory labelled ``P1``, ``P2``, ...  They are meant to look
like the records of a real service:

* protocols in plausible proportions: mostly adult IPT (standard and IPT-UK),
  some IPT-A with a parent or carer as a party and joint sessions, brief IPT
  with an engagement session, WHO group IPT, interpersonal counselling and
  Stuart & Robertson's variant (domain reference §4);
* life events near the onset that fit the agreed focus: a death for grief, a
  conflict for a role dispute, a change of role for a transition, nothing
  recent and a sparse inventory for interpersonal deficits (§2.2, §5);
* weekly sessions with missed sessions that count or are made up, holidays,
  extensions agreed before termination and maintenance sessions M1..Mk
  (session-numbering rules 1-7);
* PHQ-9 at baseline and every one to four sessions, falling by about half by
  the end for most patients, with noise, some non-responders and a temporary
  worsening; an occasional positive item 9, mostly followed by a risk
  assessment (§7);
* goals whose ratings rise.

Some valid courses depart from the protocol on purpose (three focus areas, no
inventory, measures missing, ...) so :func:`iptkit.check` has findings to
report; and a chosen share of lines is broken on purpose (invalid JSON, an
unknown key, a wrong type, a naive datetime, a gap in the numbering, ...) so
``iptkit check`` has errors to report.

Everything comes from :class:`random.Random` seeded per course: the same
arguments give byte-identical output.  Session times are computed with plain
date arithmetic at daytime hours (no recurrence rule is expanded), which is
what the contract's weekly recurrence gives at those hours (§6, rule 7).

>>> import io
>>> out = io.StringIO()
>>> write_corpus(out, courses=3, seed=1)
>>> lines = out.getvalue().splitlines()
>>> len(lines)
3
>>> from iptkit import TreatmentCourse, loads
>>> loads(TreatmentCourse, lines[0]).patient_id
'SY-000000'
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring as _encode_text
from typing import Any, NamedTuple, TextIO
from zoneinfo import ZoneInfo

import attrs

from iptkit._contract import (
    MAX_ACUTE_SESSIONS,
    Amendment,
    ContingencyPolicy,
    MaintenanceAgreement,
    MissedSessionPolicy,
    Modality,
    Obligation,
    Party,
    PartyRole,
    SessionTerms,
    TreatmentContract,
)
from iptkit._course import (
    Diagnosis,
    DiagnosisSystem,
    Formulation,
    GoalRating,
    SessionRecord,
    TaskOutcome,
    Technique,
    TreatmentCourse,
    TreatmentGoal,
)
from iptkit._errors import Issue, ValidationError
from iptkit._focus import DisputeStage, FocusArea
from iptkit._inventory import (
    ContactFrequency,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
)
from iptkit._io._codec import SCHEMA_VERSION, dumps, loads, text_expression, text_names
from iptkit._life_events import LifeEvent, LifeEventKind
from iptkit._model import evolve, field_specs
from iptkit._protocol import (
    ADOLESCENT,
    BRIEF,
    BUILTIN_PROTOCOLS,
    COUNSELING,
    GROUP,
    IPT_UK,
    STANDARD,
    STUART,
    Frequency,
    Phase,
    PhaseRule,
    Protocol,
    phase_lengths,
)
from iptkit._recurrence import MonthlyBy
from iptkit._schedule import MaintenancePlan, Schedule, ScheduledSession
from iptkit._sessions import SessionKind, SessionStatus, expected_phases
from iptkit._types import Kind, TypeShape, compile_function, shape_of
from iptkit.measures import GAD7, HAMD17, PHQ9, Instrument, Measurement, Score

__all__ = [
    "DEFECTS",
    "DEPARTURES",
    "WIDE",
    "CorpusLine",
    "iter_corpus",
    "synth_course",
    "write_corpus",
]

#: The kinds of broken line the corpus contains, each failing to load.
DEFECTS: tuple[str, ...] = (
    "invalid_json",
    "duplicate_key",
    "not_an_object",
    "unknown_field",
    "wrong_type",
    "missing_field",
    "naive_datetime",
    "invalid_date",
    "invalid_value",
    "number_gap",
    "duplicate_number",
    "phase_mismatch",
    "score_out_of_range",
    "total_mismatch",
    "unsupported_schema_version",
    "outside_course",
    "onset_after_start",
    "made_up_not_missed",
    "goal_outside_focus",
    "invalid_zone",
)

#: Departures from the protocol some valid courses show (each a finding of check()).
DEPARTURES: tuple[str, ...] = (
    "three_focus_areas",
    "no_inventory",
    "measures_missing",
    "no_contract",
    "risk_unassessed",
    "too_many_sessions",
    "long_sessions",
    "late_inventory",
    "no_sick_role",
    "ending_not_raised",
    "no_diagnosis",
)

#: Share of valid courses that depart from the protocol on purpose.
DEPARTING_SHARE = 0.12

#: A protocol for courses of any length up to the contract limit (used when a
#: forced total lies outside the built-in protocol's range).
WIDE = Protocol(
    name="synthetic_wide",
    population="Synthetic adult courses of any length (benchmarks and tests)",
    min_sessions=3,
    typical_sessions=16,
    max_sessions=MAX_ACUTE_SESSIONS,
    min_minutes=45,
    max_minutes=50,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=3, termination=3),
)

_PROTOCOL_WEIGHTS: tuple[tuple[Protocol, int], ...] = (
    (STANDARD, 30),
    (IPT_UK, 25),
    (ADOLESCENT, 12),
    (BRIEF, 9),
    (GROUP, 8),
    (STUART, 8),
    (COUNSELING, 8),
)
_PROTOCOLS = tuple(p for p, _ in _PROTOCOL_WEIGHTS)
_PROTOCOL_CUM = tuple(sum(w for _, w in _PROTOCOL_WEIGHTS[: i + 1]) for i in range(7))

_ZONES = (
    "Europe/London",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "Europe/Dublin",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
)
#: WHO group IPT was developed in Uganda and is used in low-resource settings.
_GROUP_ZONES = ("Africa/Kampala", "Africa/Nairobi", "Europe/London")

_FIRST_DAY = dt.date(2022, 1, 3)
_START_SPAN_DAYS = 3 * 365


_DIAGNOSES = (
    (DiagnosisSystem.ICD10, "F32.1"),
    (DiagnosisSystem.ICD10, "F32.2"),
    (DiagnosisSystem.ICD10, "F33.1"),
    (DiagnosisSystem.ICD11, "6A70.1"),
    (DiagnosisSystem.ICD11, "6A71.2"),
    (DiagnosisSystem.DSM5, "296.22"),
    (DiagnosisSystem.DSM5, "296.32"),
)

_INITIAL_TECHNIQUES = (
    Technique.PSYCHOEDUCATION,
    Technique.INTERPERSONAL_INVENTORY,
    Technique.CLOSENESS_CIRCLE,
    Technique.EXPLORATION,
)
_MIDDLE_TECHNIQUES = {
    FocusArea.GRIEF: (
        Technique.ENCOURAGEMENT_OF_AFFECT,
        Technique.EXPLORATION,
        Technique.CLARIFICATION,
        Technique.BETWEEN_SESSION_TASK,
    ),
    FocusArea.ROLE_DISPUTE: (
        Technique.COMMUNICATION_ANALYSIS,
        Technique.ROLE_PLAY,
        Technique.EXPECTATION_CLARIFICATION,
        Technique.DECISION_ANALYSIS,
        Technique.BETWEEN_SESSION_TASK,
    ),
    FocusArea.ROLE_TRANSITION: (
        Technique.DECISION_ANALYSIS,
        Technique.EXPLORATION,
        Technique.ENCOURAGEMENT_OF_AFFECT,
        Technique.ROLE_PLAY,
        Technique.BETWEEN_SESSION_TASK,
    ),
    FocusArea.INTERPERSONAL_DEFICITS: (
        Technique.USE_OF_THERAPEUTIC_RELATIONSHIP,
        Technique.ROLE_PLAY,
        Technique.COMMUNICATION_ANALYSIS,
        Technique.BETWEEN_SESSION_TASK,
    ),
}
_TERMINATION_TECHNIQUES = (
    Technique.CLARIFICATION,
    Technique.ENCOURAGEMENT_OF_AFFECT,
    Technique.EXPLORATION,
)

_TASKS = {
    FocusArea.GRIEF: (
        "Look through photographs and note what comes up.",
        "Visit the grave with a friend.",
        "Write down three memories to bring next week.",
    ),
    FocusArea.ROLE_DISPUTE: (
        "Ask for ten minutes to talk about the weekend plans.",
        "Notice what happens just before an argument starts.",
        "Say one thing that is needed, calmly, once this week.",
    ),
    FocusArea.ROLE_TRANSITION: (
        "List what was lost and what the new role offers.",
        "Join one activity linked to the new role.",
        "Ask a colleague for help with one task.",
    ),
    FocusArea.INTERPERSONAL_DEFICITS: (
        "Send a message to an old friend.",
        "Stay for a drink after the class.",
        "Ask a neighbour a question.",
    ),
}

_GOALS = {
    FocusArea.GRIEF: "Talk about the loss without avoiding it and take up one old interest.",
    FocusArea.ROLE_DISPUTE: "Agree how decisions at home are made, with fewer arguments.",
    FocusArea.ROLE_TRANSITION: "Feel able to manage the new role and build support in it.",
    FocusArea.INTERPERSONAL_DEFICITS: "Have at least two people to see or call each week.",
}

_TRANSITIONS_ADULT = (
    LifeEventKind.NEW_JOB,
    LifeEventKind.BIRTH_OF_CHILD,
    LifeEventKind.DIVORCE,
    LifeEventKind.SEPARATION,
    LifeEventKind.RELOCATION,
    LifeEventKind.JOB_LOSS,
    LifeEventKind.RETIREMENT,
    LifeEventKind.ILLNESS_DIAGNOSIS,
    LifeEventKind.CHILD_LEAVING_HOME,
)
#: Transitions the Stuart & Robertson rules do not read as a loss.
_TRANSITIONS_NOT_LOSS = (
    LifeEventKind.NEW_JOB,
    LifeEventKind.BIRTH_OF_CHILD,
    LifeEventKind.RELOCATION,
    LifeEventKind.RETIREMENT,
)
_TRANSITIONS_YOUNG = (
    LifeEventKind.SCHOOL_CHANGE,
    LifeEventKind.RELOCATION,
    LifeEventKind.NEW_RELATIONSHIP,
)

_OBLIGATIONS = (
    Obligation(role=PartyRole.PATIENT, description="Attend every session or give notice."),
    Obligation(role=PartyRole.THERAPIST, description="Start and end each session on time."),
)
_PARENT_OBLIGATION = Obligation(
    role=PartyRole.PARENT_CARER, description="Bring the young person and join agreed sessions."
)


class CorpusLine(NamedTuple):
    """One line of the corpus and, for a broken line, the kind of defect it has."""

    text: str
    defect: str | None


# --------------------------------------------------------------------------
# Rendering: JSON text exactly as iptkit.dumps writes it, without building models
# --------------------------------------------------------------------------
#
# Building and validating every model of a course costs about ten times what
# writing it does, so the generator writes the JSON text directly, field by
# field in each model's declared order, the way the codec does.  The tests load
# every line back and check that iptkit.dumps gives the same text.


class _Text(str):
    """JSON text already rendered."""

    __slots__ = ()


def _render(value: object) -> str:
    """One value as compact JSON, as the codec writes it."""
    writer = _WRITERS.get(type(value))
    if writer is None:
        writer = _writer_for(type(value))
    return writer(value)


def _render_list(values: Sequence[object]) -> str:
    return "[" + ",".join([_render(v) for v in values]) + "]"


def _render_temporal(value: dt.date) -> str:
    return '"' + value.isoformat() + '"'


_WRITERS: dict[type, Callable[[Any], str]] = {
    _Text: str.__str__,
    str: _encode_text,
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
    type(None): lambda _: "null",
    tuple: _render_list,
    list: _render_list,
    dt.date: _render_temporal,
    dt.datetime: _render_temporal,
}


def _writer_for(kind: type) -> Callable[[Any], str]:
    """The writer of an enumeration (a table of its values), a model instance or a float."""
    writer: Callable[[Any], str]
    shape = shape_of(kind)
    if shape.kind is Kind.ENUM:
        table = {member: _encode_text(member.value) for member in shape.enum_class}
        writer = table.__getitem__
    elif shape.kind is Kind.MODEL:
        writer = _rendered_model
    elif shape.kind is Kind.FLOAT:
        writer = float.__repr__
    else:  # pragma: no cover - a bug in this module
        msg = f"cannot render {kind.__name__}"
        raise TypeError(msg)
    _WRITERS[kind] = writer
    return writer


@functools.cache
def _rendered_model(value: Any) -> str:
    """A model instance (a protocol, a default) inside a document, rendered once.

    A built-in protocol is written by its name, as the codec writes it in a
    document; anything else by the codec itself.
    """
    if isinstance(value, Protocol) and value.name in BUILTIN_PROTOCOLS:
        return _encode_text(value.name)
    return dumps(value)


class _Missing:
    """Marks a keyword not given to a shape (its default is written)."""


def _own_expression(shape: TypeShape, var: str) -> str | None:
    """How the generator writes a value unlike the codec (see :func:`text_expression`).

    Nested models arrive already rendered (or are rendered once), and a
    whole number given for a decimal field is written as the model stores
    it, as the float of that value.
    """
    if shape.kind is Kind.MODEL:
        return f"R({var})"
    if shape.kind is Kind.FLOAT:
        return f"repr(float({var}))"
    return None


def _shape(cls: type, *, top: bool = False) -> Callable[..., str]:
    """A function taking ``cls``'s fields as keywords and returning its JSON text.

    The function is compiled from the field list, like the codec's own
    structuring hooks; a required field missing is a ``TypeError``.

    Args:
        cls: the model class.
        top: the text is a top-level document, with its ``schema_version`` first.
    """
    names: dict[str, Any] = {**text_names(), "R": _render, "T": _Text, "M": _Missing}
    params: list[str] = []
    pieces: list[str] = []
    for index, (attribute, spec) in enumerate(
        zip(attrs.fields(cls), field_specs(cls), strict=True)
    ):
        name = attribute.name
        key = ("" if index == 0 else ",") + f'"{name}":'
        written = text_expression(spec.shape, name, names, override=_own_expression)
        default = attribute.default
        if default is attrs.NOTHING or isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            # A default made from the other fields: the generator always gives the value.
            params.append(name)
            pieces.append(f"{key!r} + {written}")
        else:
            params.append(f"{name}=M")
            names[f"D{index}"] = _render(default)
            pieces.append(f"{key!r} + (D{index} if {name} is M else {written})")
    opening = f'{{"schema_version":{SCHEMA_VERSION},' if top else "{"
    lines = [
        f"def render(*, {', '.join(params)}):",
        f"    return T({opening!r} + " + " + ".join(pieces) + ' + "}")',
    ]
    # Generated: write_corpus(200) takes 1.11x as long with a plain loop over the fields.
    render: Callable[..., str] = compile_function("render", lines, names)
    render.__name__ = f"render_{cls.__name__}"
    return render


_Amendment = _shape(Amendment)
_ContingencyPolicy = _shape(ContingencyPolicy)
_Diagnosis = _shape(Diagnosis)
_Expectation = _shape(Expectation)
_Formulation = _shape(Formulation)
_GoalRating = _shape(GoalRating)
_InterpersonalInventory = _shape(InterpersonalInventory)
_LifeEvent = _shape(LifeEvent)
_MaintenanceAgreement = _shape(MaintenanceAgreement)
_MaintenancePlan = _shape(MaintenancePlan)
_Measurement = _shape(Measurement)
_Party = _shape(Party)
_Relationship = _shape(Relationship)
_RelationshipChange = _shape(RelationshipChange)
_Schedule = _shape(Schedule)
_ScheduledSession = _shape(ScheduledSession)
_Score = _shape(Score)
_SessionRecord = _shape(SessionRecord)
_SessionTerms = _shape(SessionTerms)
_TreatmentContract = _shape(TreatmentContract)
_TreatmentCourse = _shape(TreatmentCourse, top=True)
_TreatmentGoal = _shape(TreatmentGoal)


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def write_corpus(
    out: TextIO,
    *,
    courses: int,
    seed: int,
    invalid_fraction: float = 0.0,
    sessions: int | None = None,
) -> None:
    """Write ``courses`` synthetic course documents to ``out`` as JSON Lines.

    Args:
        out: a text stream; each line ends in ``"\\n"``.
        courses: how many lines to write.
        seed: any integer; the same arguments always give the same bytes.
        invalid_fraction: the share of lines broken on purpose, 0 to 1
            (rounded to a whole number of lines).
        sessions: force this acute total on every course (3 to 999).  A total
            outside the chosen protocol's range uses :data:`WIDE` instead; a
            total above the contract limit of 100 gives courses without a
            contract (they are findings, not errors).

    Raises:
        ValidationError: an argument is out of range or of the wrong type.
    """
    for line in iter_corpus(
        courses=courses, seed=seed, invalid_fraction=invalid_fraction, sessions=sessions
    ):
        out.write(line.text)
        out.write("\n")


def iter_corpus(
    *,
    courses: int,
    seed: int,
    invalid_fraction: float = 0.0,
    sessions: int | None = None,
) -> Iterator[CorpusLine]:
    """Yield the lines :func:`write_corpus` writes, each with its defect (or ``None``).

    Arguments as for :func:`write_corpus`.

    Raises:
        ValidationError: an argument is out of range or of the wrong type.

    >>> lines = list(iter_corpus(courses=10, seed=3, invalid_fraction=0.2))
    >>> sum(line.defect is not None for line in lines)
    2
    """
    _check_arguments(courses, seed, invalid_fraction, sessions)
    broken_count = round(courses * invalid_fraction)
    chooser = random.Random(f"iptkit-synth-defects:{seed}:{courses}")
    broken = frozenset(chooser.sample(range(courses), broken_count))
    for index in range(courses):
        rng = random.Random(f"iptkit-synth:{seed}:{index}")
        text = _course_text(rng, patient_id=f"SY-{index:06d}", sessions=sessions)
        if index in broken:
            yield _break(rng, text)
        else:
            yield CorpusLine(text, None)


def _check_arguments(
    courses: object, seed: object, invalid_fraction: object, sessions: object
) -> None:
    issues: list[Issue] = []
    if type(courses) is not int:
        issues.append(Issue("$.courses", "wrong_type", "Expected a whole number."))
    elif courses < 0:
        issues.append(
            Issue("$.courses", "out_of_range", "The number of courses must be 0 or more.")
        )
    if type(seed) is not int:
        issues.append(Issue("$.seed", "wrong_type", "Expected a whole number."))
    if type(invalid_fraction) not in (int, float):
        issues.append(Issue("$.invalid_fraction", "wrong_type", "Expected a number from 0 to 1."))
    elif not 0 <= invalid_fraction <= 1:  # type: ignore[operator]
        issues.append(
            Issue("$.invalid_fraction", "out_of_range", "The share must be between 0 and 1.")
        )
    if sessions is not None:
        if type(sessions) is not int:
            issues.append(Issue("$.sessions", "wrong_type", "Expected a whole number."))
        elif not 3 <= sessions <= 999:
            issues.append(
                Issue("$.sessions", "out_of_range", "The acute total must be from 3 to 999.")
            )
    if issues:
        raise ValidationError(issues)


# --------------------------------------------------------------------------
# One course
# --------------------------------------------------------------------------


class _Slot(NamedTuple):
    starts_at: dt.datetime
    number: int
    status: SessionStatus
    made_up: bool


class _Rec(NamedTuple):
    """A session record: the planned session behind it, and the record's JSON text."""

    row: ScheduledSession
    text: str

    @property
    def kind(self) -> SessionKind:
        return self.row.kind

    @property
    def starts_at(self) -> dt.datetime:
        return self.row.starts_at

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def status(self) -> SessionStatus:
        return self.row.status

    @property
    def made_up(self) -> bool:
        return self.row.made_up

    @property
    def phase(self) -> Phase | None:
        return self.row.phase


#: What a session record takes from the planned session (SessionRecord.from_scheduled).
_PLAN_FIELDS = ("number", "kind", "starts_at", "minutes", "phase", "status", "made_up")
_SCHEDULED_FIELDS = tuple(spec.name for spec in field_specs(ScheduledSession))


def _record_text(row: ScheduledSession, **facts: Any) -> str:
    """The JSON text of the record of planned session ``row``, with ``facts`` (JSON-ready)."""
    record = SessionRecord.from_scheduled(row)
    return _SessionRecord(**{name: getattr(record, name) for name in _PLAN_FIELDS}, **facts)


class _Event(NamedTuple):
    kind: LifeEventKind
    date: dt.date
    person: str | None
    description: str | None

    @property
    def sort_key(self) -> tuple[dt.date, str, str, str]:
        return (self.date, self.kind.value, self.person or "", self.description or "")


def synth_course(
    rng: random.Random,
    *,
    patient_id: str,
    sessions: int | None = None,
    departures: Sequence[str] | None = None,
) -> TreatmentCourse:
    """Return one valid synthetic course drawn from ``rng`` (loaded from its JSON text).

    >>> course = synth_course(random.Random(5), patient_id="SY-5", departures=())
    >>> course.patient_id, course.contract is not None
    ('SY-5', True)

    Args:
        rng: the source of randomness (the course depends on nothing else).
        patient_id: the pseudonymous id to give the course.
        sessions: force the acute total (see :func:`write_corpus`).
        departures: departures from the protocol to build in (names from
            :data:`DEPARTURES`); by default a random few for about one
            course in eight.
    """
    return loads(
        TreatmentCourse,
        _course_text(rng, patient_id=patient_id, sessions=sessions, departures=departures),
    )


def _course_text(
    rng: random.Random,
    *,
    patient_id: str,
    sessions: int | None = None,
    departures: Sequence[str] | None = None,
) -> str:
    """The JSON text of one valid synthetic course (arguments as for :func:`synth_course`)."""
    if departures is None:
        departures = ()
        if rng.random() < DEPARTING_SHARE:
            departures = tuple(rng.sample(DEPARTURES, rng.choice((1, 1, 2))))
    return _CourseBuilder(rng, patient_id, sessions, frozenset(departures)).build()


def _pick_protocol(rng: random.Random) -> Protocol:
    roll = rng.randrange(_PROTOCOL_CUM[-1])
    for protocol, bound in zip(_PROTOCOLS, _PROTOCOL_CUM, strict=True):
        if roll < bound:
            return protocol
    return STANDARD  # pragma: no cover - the weights cover every roll


def _typical_total(rng: random.Random, protocol: Protocol) -> int:
    if protocol is STANDARD:
        return rng.choice((16, 16, 16, 12, 12, 14))
    if protocol is IPT_UK:
        return rng.choice((16, 16, 16, 16, 12))
    if protocol is ADOLESCENT:
        return rng.choice((12, 12, 12, 12, 16))
    if protocol is STUART:
        return rng.choice((12, 12, 10, 14, 16))
    if protocol is COUNSELING:
        return rng.choice((3, 4, 5, 6, 6))
    return protocol.typical_sessions


@functools.cache
def _patterns(items: int, total: int) -> tuple[tuple[int, ...], ...]:
    """Sixteen ways to answer ``items`` items (0-3 each) adding up to ``total``.

    Drawn once from a fixed seed, so a course needs one random choice per
    score instead of one per point.
    """
    rng = random.Random(f"iptkit-synth-patterns:{items}:{total}")
    found: list[tuple[int, ...]] = []
    for _ in range(16):
        answers = [0] * items
        open_items = list(range(items))
        for _ in range(min(total, 3 * items)):
            pick = rng.randrange(len(open_items))
            answers[open_items[pick]] += 1
            if answers[open_items[pick]] == 3:
                open_items[pick] = open_items[-1]
                open_items.pop()
        found.append(tuple(answers))
    return tuple(found)


@functools.cache
def _orderings(techniques: tuple[Technique, ...], size: int) -> tuple[tuple[Technique, ...], ...]:
    """Every ordered choice of ``size`` different techniques (for one random pick)."""
    return tuple(itertools.permutations(techniques, size))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


class _CourseBuilder:
    """Draws one course; each method fills in one part, in the order of a course."""

    def __init__(
        self,
        rng: random.Random,
        patient_id: str,
        forced_total: int | None,
        departures: frozenset[str],
    ) -> None:
        self.rng = rng
        self.patient_id = patient_id
        self.departures = departures
        protocol = _pick_protocol(rng)
        if forced_total is not None:
            total = forced_total
            if not protocol.allows_total(total):
                protocol = WIDE
        else:
            total = _typical_total(rng, protocol)
            if "too_many_sessions" in departures and protocol in (STANDARD, IPT_UK):
                total = 20
        self.protocol = protocol
        self.total = total
        self.has_contract = "no_contract" not in departures and total <= MAX_ACUTE_SESSIONS
        self.young = protocol is ADOLESCENT
        zones = _GROUP_ZONES if protocol is GROUP else _ZONES
        self.zone_name = rng.choice(zones)
        self.zone = ZoneInfo(self.zone_name)
        self.started_on = _FIRST_DAY + dt.timedelta(days=rng.randrange(_START_SPAN_DAYS))
        self.onset = self.started_on - dt.timedelta(days=rng.randint(30, 300))
        self.first_day = self.started_on + dt.timedelta(days=rng.randint(7, 21))
        if protocol.pre_treatment:
            self.first_day += dt.timedelta(days=7)
        self.wall = dt.time(rng.randint(8, 17), rng.choice((0, 0, 15, 30, 45)))
        if protocol is GROUP or "long_sessions" not in departures:
            self.minutes = protocol.max_minutes
        else:
            self.minutes = 90
        self.responder = rng.random() < 0.78
        self.attend_rate = 0.92 if rng.random() < 0.85 else 0.72
        self.policy = (
            MissedSessionPolicy.MADE_UP if rng.random() < 0.7 else MissedSessionPolicy.COUNTS
        )
        state = rng.random()
        self.state = "completed" if state < 0.78 else "ongoing" if state < 0.9 else "dropout"
        roll = rng.random()
        self.modality = (
            Modality.IN_PERSON if roll < 0.7 else Modality.VIDEO if roll < 0.95 else Modality.PHONE
        )
        self.amendment: tuple[dt.date, int] | None = None
        self.agreement: tuple[dt.datetime, int, dt.date] | None = None
        self.maintenance_open = False
        self.excluded: tuple[dt.date, ...] = ()
        if rng.random() < 0.2 and total >= 6:
            self.excluded = (self.first_day + dt.timedelta(weeks=rng.randint(2, total - 2)),)

    # -- people and focus ---------------------------------------------------

    def build(self) -> str:
        self._people_and_focus()
        self._contract_frame()
        slots = self._slots()
        self.slots = slots
        records = self._records(slots)
        maintenance_records = self._maintenance(records)
        records.extend(maintenance_records)
        ended_on = self._ended_on(records)
        measurements = self._outside_measurements(ended_on)
        if ended_on is not None and measurements and measurements[-1][0] > ended_on:
            ended_on = measurements[-1][0]
        contract = self._contract()
        return _TreatmentCourse(
            patient_id=self.patient_id,
            protocol=self.protocol,
            started_on=self.started_on,
            ended_on=ended_on,
            onset=self.onset,
            diagnosis=self._diagnosis(),
            contract=contract,
            maintenance=self._agreement(),
            inventory=self._inventory(),
            life_events=[
                _LifeEvent(kind=e.kind, date=e.date, person=e.person, description=e.description)
                for e in sorted(self.events, key=lambda e: e.sort_key)
            ],
            formulation=self._formulation(),
            schedule=self._schedule(contract, records),
            sessions=[record.text for record in records],
            measurements=[text for _, text in measurements],
            goals=self._goals(),
        )

    def _people_and_focus(self) -> None:
        rng = self.rng
        protocol = self.protocol
        choices = [FocusArea.GRIEF] * 25 + [FocusArea.ROLE_DISPUTE] * 30
        choices += [FocusArea.ROLE_TRANSITION] * 35
        if FocusArea.INTERPERSONAL_DEFICITS in protocol.focus_areas:
            choices += [FocusArea.INTERPERSONAL_DEFICITS] * 10
        focus = rng.choice(choices)
        self.focus: tuple[FocusArea, ...] = (focus,)
        self.events: list[_Event] = []
        self.linked: list[str] = []
        self.dispute_stage: DisputeStage | None = None
        people = self._base_people(focus)
        if focus is FocusArea.GRIEF:
            self._grief(people)
        elif focus is FocusArea.ROLE_DISPUTE:
            self._dispute(people)
        elif focus is FocusArea.ROLE_TRANSITION:
            self._transition(people)
        else:
            self._deficits()
        if (
            len(self.focus) == 1
            and focus in (FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION)
            and rng.random() < 0.15
        ):
            # Disputes and transitions often come together (§2.2 rule 5).
            if focus is FocusArea.ROLE_DISPUTE:
                self._add_transition_event()
                self.focus = (focus, FocusArea.ROLE_TRANSITION)
            else:
                self._dispute(people)
                self.focus = (focus, FocusArea.ROLE_DISPUTE)
        if "three_focus_areas" in self.departures:
            extra = [a for a in protocol.focus_areas if a not in self.focus]
            self.focus = (*self.focus, *extra[: 3 - len(self.focus)])
        self.people = people

    def _base_people(self, focus: FocusArea) -> list[dict[str, Any]]:
        """Draft relationships (as keyword dicts) for the inventory, P1.. in order."""
        rng = self.rng
        if focus is FocusArea.INTERPERSONAL_DEFICITS:
            roles = [RelationshipRole.SIBLING, RelationshipRole.CO_WORKER, RelationshipRole.OTHER]
            roles = roles[: rng.randint(1, 3)]
        elif self.young:
            roles = [RelationshipRole.PARENT, RelationshipRole.PARENT, RelationshipRole.SIBLING]
            roles += rng.sample(
                [
                    RelationshipRole.FRIEND,
                    RelationshipRole.FRIEND,
                    RelationshipRole.CLASSMATE,
                    RelationshipRole.TEACHER,
                    RelationshipRole.OTHER_FAMILY,
                ],
                rng.randint(1, 4),
            )
        else:
            roles = []
            if rng.random() < 0.7:
                roles.append(RelationshipRole.PARTNER)
            roles.append(RelationshipRole.PARENT)
            pool = [
                RelationshipRole.CHILD,
                RelationshipRole.SIBLING,
                RelationshipRole.FRIEND,
                RelationshipRole.FRIEND,
                RelationshipRole.CO_WORKER,
                RelationshipRole.MANAGER,
                RelationshipRole.NEIGHBOUR,
                RelationshipRole.OTHER_FAMILY,
            ]
            roles += rng.sample(pool, rng.randint(3 - len(roles), 8 - len(roles)))
        people: list[dict[str, Any]] = []
        for index, role in enumerate(roles):
            close = {
                RelationshipRole.PARTNER: 1,
                RelationshipRole.PARENT: 1 if self.young else 2,
                RelationshipRole.CHILD: 1,
                RelationshipRole.SIBLING: 2,
                RelationshipRole.FRIEND: 2,
                RelationshipRole.OTHER_FAMILY: 3,
            }.get(role, 3)
            if focus is FocusArea.INTERPERSONAL_DEFICITS:
                close = rng.randint(3, 5)
            people.append(
                {
                    "label": f"P{index + 1}",
                    "role": role,
                    "closeness": min(5, close + rng.choice((0, 0, 0, 1))),
                    "contact": rng.choice(
                        (ContactFrequency.DAILY, ContactFrequency.WEEKLY, ContactFrequency.MONTHLY)
                    )
                    if focus is not FocusArea.INTERPERSONAL_DEFICITS
                    else rng.choice((ContactFrequency.MONTHLY, ContactFrequency.RARELY)),
                    "confiding": rng.random() < 0.5
                    if focus is not FocusArea.INTERPERSONAL_DEFICITS
                    else False,
                }
            )
        return people

    def _event_date(self, low: int, high: int) -> dt.date:
        return self.onset - dt.timedelta(days=self.rng.randint(low, high))

    def _grief(self, people: list[dict[str, Any]]) -> None:
        rng = self.rng
        wanted = (
            (RelationshipRole.PARENT, RelationshipRole.OTHER_FAMILY, RelationshipRole.FRIEND)
            if self.young
            else (RelationshipRole.PARTNER, RelationshipRole.PARENT, RelationshipRole.CHILD)
        )
        candidates = [p for p in people if p["role"] in wanted]
        person = rng.choice(candidates) if candidates else people[0]
        died = self._event_date(30, 180)
        person.update(
            deceased=True,
            died_on=died,
            contact=ContactFrequency.NONE,
            closeness=1,
            changes=(_RelationshipChange(on=died, description="Died after a short illness."),),
        )
        self.events.append(
            _Event(LifeEventKind.DEATH, died, person["label"], "A close person died.")
        )
        self.linked.append(person["label"])

    def _dispute(self, people: list[dict[str, Any]]) -> None:
        rng = self.rng
        if self.young:
            wanted: tuple[RelationshipRole, ...] = (RelationshipRole.PARENT,)
        else:
            wanted = (
                RelationshipRole.PARTNER,
                RelationshipRole.PARENT,
                RelationshipRole.MANAGER,
                RelationshipRole.SIBLING,
            )
        candidates = [p for p in people if p["role"] in wanted and not p.get("deceased")]
        living = [p for p in people if not p.get("deceased")]
        person = rng.choice(candidates or living)
        stage = rng.choice(
            (DisputeStage.RENEGOTIATION, DisputeStage.RENEGOTIATION, DisputeStage.IMPASSE)
        )
        if not self.young and rng.random() < 0.1:
            stage = DisputeStage.DISSOLUTION
        started = self._event_date(14, 200)
        person.update(
            in_dispute=True,
            dispute_stage=stage,
            expectations=(
                _Expectation(
                    held_by=ExpectationHolder.PATIENT,
                    description="Decisions are talked over first.",
                    met=False,
                ),
                _Expectation(
                    held_by=ExpectationHolder.OTHER,
                    description="More help with everyday tasks.",
                    met=False,
                ),
            ),
            changes=(
                _RelationshipChange(
                    on=started, description="Arguments became frequent.", approximate=True
                ),
            ),
        )
        self.dispute_stage = stage
        self.events.append(
            _Event(LifeEventKind.CONFLICT, started, person["label"], "Repeated arguments.")
        )
        self.linked.append(person["label"])

    def _transition(self, people: list[dict[str, Any]]) -> None:
        self._add_transition_event()

    def _add_transition_event(self) -> None:
        rng = self.rng
        pool: tuple[LifeEventKind, ...]
        if self.young:
            pool = _TRANSITIONS_YOUNG
        elif self.protocol is STUART:
            pool = _TRANSITIONS_NOT_LOSS
        elif self.protocol is BRIEF:
            pool = (LifeEventKind.BIRTH_OF_CHILD, LifeEventKind.BIRTH_OF_CHILD, *_TRANSITIONS_ADULT)
        else:
            pool = _TRANSITIONS_ADULT
        kind = rng.choice(pool)
        self.events.append(
            _Event(kind, self._event_date(14, 240), None, "A change of role before the onset.")
        )

    def _deficits(self) -> None:
        if self.rng.random() < 0.5:
            # Only a distant event: outside any timing window (§2.2 rule 3).
            self.events.append(
                _Event(LifeEventKind.RELOCATION, self._event_date(1500, 4000), None, None)
            )

    def _inventory(self) -> str | None:
        if "no_inventory" in self.departures:
            return None
        completed = self.inventory_day
        if "late_inventory" in self.departures and self.late_day is not None:
            completed = self.late_day
        return _InterpersonalInventory(
            relationships=tuple(_Relationship(**person) for person in self.people),
            completed_on=completed,
            social_style="Keeps to a few people; finds asking for help hard."
            if FocusArea.INTERPERSONAL_DEFICITS in self.focus
            else None,
        )

    # -- the contract and the sessions ---------------------------------------

    def _contract_frame(self) -> None:
        """Decide on amendments and maintenance before the slots are laid out."""
        rng = self.rng
        protocol = self.protocol
        self.final_total = self.total
        can_extend = (
            self.has_contract
            and self.state == "completed"
            and self.total < protocol.max_sessions
            and self.total >= 6
            and protocol is not WIDE
        )
        if can_extend and rng.random() < 0.12:
            new_total = min(protocol.max_sessions, self.total + rng.choice((2, 4, 4)))
            _, _, termination = phase_lengths(self.total, protocol)
            planned = self._planned_days(self.total)
            agreed = planned[self.total - termination - 1]
            self.amendment = (agreed, new_total)
            self.final_total = new_total

    def _planned_days(self, count: int) -> list[dt.date]:
        """The contract's planned session days: weekly from the first, skipping exclusions."""
        days: list[dt.date] = []
        day = self.first_day
        while len(days) < count:
            if day not in self.excluded:
                days.append(day)
            day += dt.timedelta(weeks=1)
        return days

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.wall, tzinfo=self.zone)

    def _total_on(self, day: dt.date) -> int:
        if self.amendment is not None and self.amendment[0] <= day:
            return self.amendment[1]
        return self.total

    def _slots(self) -> list[_Slot]:
        """Lay out the acute slots with their numbers and status (rules 1, 2, 4, 7)."""
        rng = self.rng
        total = self.final_total
        made_up_policy = self.policy is MissedSessionPolicy.MADE_UP
        if self.state == "ongoing":
            resolved_until = rng.randint(
                min(total, phase_lengths(total, self.protocol)[0] + 1), total
            )
            if resolved_until == total:
                resolved_until = total - 1
        else:
            resolved_until = total
        dropout_at = total + 1
        if self.state == "dropout":
            dropout_at = rng.randint(min(3, total), max(3, total - 2))
        slots: list[_Slot] = []
        day = self.first_day
        number = 1
        extra = 0
        dropped = 0
        while number <= total:
            if day in self.excluded:
                day += dt.timedelta(weeks=1)
                continue
            starts_at = self._at(day)
            if number > resolved_until:
                slots.append(_Slot(starts_at, number, SessionStatus.PLANNED, False))
                number += 1
            elif number >= dropout_at:
                # The patient stops coming: two no-shows, then the course is closed.
                slots.append(_Slot(starts_at, number, SessionStatus.MISSED, made_up_policy))
                dropped += 1
                if dropped == 2:
                    break
                if not made_up_policy:
                    number += 1
            else:
                attended = number == 1 or rng.random() < self.attend_rate
                if attended or extra >= 6:
                    slots.append(_Slot(starts_at, number, SessionStatus.HELD, False))
                    number += 1
                else:
                    by_patient = (
                        SessionStatus.MISSED,
                        SessionStatus.MISSED,
                        SessionStatus.CANCELLED_BY_PATIENT,
                    )
                    missed = rng.choice(
                        by_patient
                        if rng.random() < 0.85
                        else (SessionStatus.CANCELLED_BY_THERAPIST,)
                    )
                    slots.append(_Slot(starts_at, number, missed, made_up_policy))
                    if made_up_policy:
                        extra += 1
                    else:
                        number += 1
            day += dt.timedelta(weeks=1)
        return slots

    def _records(self, slots: list[_Slot]) -> list[_Rec]:
        rng = self.rng
        records: list[_Rec] = []
        total = self.final_total
        held_numbers = [s.number for s in slots if s.status is SessionStatus.HELD]
        last_held = held_numbers[-1] if held_numbers else 0
        self._plan_measures(total, last_held)
        self.record_days: dict[int, dt.date] = {}
        self.held_days: list[tuple[int, dt.date]] = []
        if self.protocol.pre_treatment:
            # The engagement session or pre-group meeting, one week before session 1.
            pre = ScheduledSession(
                kind=SessionKind.PRE_TREATMENT,
                number=0,
                starts_at=self._at(self.first_day - dt.timedelta(weeks=1)),
                minutes=self.minutes,
                phase=None,
                status=SessionStatus.HELD,
            )
            text = _record_text(
                pre,
                techniques=(Technique.PSYCHOEDUCATION,),
                sick_role_given=rng.random() < 0.3,
                risk_assessed=True,
            )
            records.append(_Rec(pre, text))
        initial_end = phase_lengths(total, self.protocol)[0]
        task_pending = False
        risk_skipped = False
        rows = [
            ScheduledSession(
                kind=SessionKind.ACUTE,
                number=slot.number,
                starts_at=slot.starts_at,
                minutes=self.minutes,
                phase=Phase.INITIAL,
                status=slot.status,
                made_up=slot.made_up,
            )
            for slot in slots
        ]
        phases = expected_phases(rows, protocol=self.protocol, total_on=self._total_on)
        for slot, row, phase in zip(slots, rows, phases, strict=True):
            day = slot.starts_at.date()
            if row.phase is not phase:
                row = evolve(row, phase=phase)
            if slot.made_up is False:
                self.record_days[slot.number] = day
            if slot.status is not SessionStatus.HELD:
                if slot.number in self.measured and not slot.made_up:
                    # The measure due at a missed session is taken at the next one held.
                    self.measured.add(slot.number + 1)
                records.append(_Rec(row, _record_text(row, modality=self.modality)))
                continue
            self.held_days.append((slot.number, day))
            number = slot.number
            scores, flagged = self._scores_at(number, total, last_held)
            risk = number == 1 and "risk_unassessed" not in self.departures
            if flagged:
                if "risk_unassessed" in self.departures and not risk_skipped:
                    risk_skipped = True
                else:
                    risk = risk or rng.random() < 0.96
            if phase is Phase.INITIAL:
                techniques = rng.choice(_orderings(_INITIAL_TECHNIQUES, 2))
                focus: tuple[FocusArea, ...] = ()
            elif phase is Phase.MIDDLE:
                techniques = rng.choice(_orderings(_MIDDLE_TECHNIQUES[self.focus[0]], 3))
                focus = self.focus
            else:
                techniques = rng.choice(_orderings(_TERMINATION_TECHNIQUES, 2))
                focus = self.focus
            task = None
            if phase is Phase.MIDDLE and rng.random() < 0.6:
                task = rng.choice(_TASKS[self.focus[0]])
            outcome = None
            if task_pending:
                outcome = rng.choice(
                    (
                        TaskOutcome.DONE,
                        TaskOutcome.DONE,
                        TaskOutcome.PARTLY_DONE,
                        TaskOutcome.NOT_DONE,
                    )
                )
            task_pending = task is not None
            # The sick role is given at the first session, often again at the second (§3.2).
            sick_role = "no_sick_role" not in self.departures and (
                number == 1 or (number == 2 and rng.random() < 0.4)
            )
            ending = (
                "ending_not_raised" not in self.departures
                and number >= max(1, total - 4)
                and (number <= max(1, total - 2) or rng.random() < 0.5)
            )
            text = _record_text(
                row,
                modality=self.modality
                if rng.random() < 0.9
                else rng.choice((Modality.VIDEO, Modality.PHONE)),
                focus_areas=focus,
                techniques=techniques,
                task_set=task,
                previous_task_outcome=outcome,
                sick_role_given=sick_role,
                ending_raised=ending,
                risk_assessed=risk,
                maintenance_discussed=phase is Phase.TERMINATION
                and (number == total or rng.random() < 0.3),
                parent_present=self._parent_present(number, total),
                scores=scores,
            )
            records.append(_Rec(row, text))
        # Days the rest of the course refers to.
        initial_days = [d for n, d in self.held_days if n <= initial_end]
        self.inventory_day = initial_days[min(1, len(initial_days) - 1)]
        self.formulation_day = initial_days[-1]
        later = [d for n, d in self.held_days if n > initial_end + 1]
        self.late_day: dt.date | None = later[0] if later else None
        return records

    def _parent_present(self, number: int, total: int) -> bool:
        """IPT-A: a parent at the first session, a middle joint session, and the end (§4)."""
        if not self.young:
            return False
        if number in (1, total):
            return True
        if number == total // 2 and FocusArea.ROLE_DISPUTE in self.focus:
            return True
        return self.rng.random() < 0.08

    def _maintenance(self, records: list[_Rec]) -> list[_Rec]:
        """A separate monthly maintenance agreement after some completed courses (§3.3, rule 6)."""
        rng = self.rng
        if not self.has_contract or self.state != "completed":
            return []
        if rng.random() >= (0.35 if self.protocol in (STANDARD, STUART, IPT_UK) else 0.12):
            return []
        last = max(r.starts_at for r in records)
        first = last.date() + dt.timedelta(days=rng.randint(28, 35))
        if first.day > 28:
            first -= dt.timedelta(days=first.day - 28)
        count = rng.randint(3, 6)
        held = count if rng.random() < 0.7 else rng.randint(1, count - 1)
        self.agreement = (self._at(first), count, last.date())
        self.maintenance_open = held < count
        found: list[_Rec] = []
        for k in range(count):
            starts_at = self._at(_add_months(first, k))
            if k < held:
                status = SessionStatus.HELD if rng.random() < 0.9 else SessionStatus.MISSED
            else:
                status = SessionStatus.PLANNED
            held_now = status is SessionStatus.HELD
            row = ScheduledSession(
                kind=SessionKind.MAINTENANCE,
                number=k + 1,
                starts_at=starts_at,
                minutes=self.minutes,
                phase=Phase.MAINTENANCE,
                status=status,
            )
            text = _record_text(
                row,
                modality=self.modality,
                focus_areas=self.focus if held_now else (),
                techniques=(Technique.CLARIFICATION,) if held_now else (),
                scores=[self._phq9(self._trajectory_end + rng.randint(-2, 2), False)]
                if held_now
                else (),
            )
            found.append(_Rec(row, text))
        return found

    def _agreement(self) -> str | None:
        if self.agreement is None:
            return None
        first, count, agreed_on = self.agreement
        return _MaintenanceAgreement(
            agreed_on=agreed_on,
            minutes=self.minutes,
            first_session=first,
            zone=self.zone_name,
            count=count,
            # The generator dates monthly sessions by the day of the month.
            monthly_by=MonthlyBy.DAY_OF_MONTH,
        )

    def _amendments(self) -> list[str]:
        if self.amendment is None:
            return []
        agreed_on, new_total = self.amendment
        return [
            _Amendment(
                agreed_on=agreed_on,
                new_total=new_total,
                reason="Slow response; more sessions agreed before the ending.",
            )
        ]

    def _ended_on(self, records: list[_Rec]) -> dt.date | None:
        if self.state == "ongoing" or self.maintenance_open:
            return None
        last = max(r.starts_at.date() for r in records)
        return last + dt.timedelta(days=self.rng.randint(0, 14))

    def _contract(self) -> str | None:
        if not self.has_contract:
            return None
        rng = self.rng
        # Signed at the assessment or the first session: never later, so the
        # contract's own checks need no planned dates (§6).
        signed: dt.date | None = self.first_day if rng.random() < 0.8 else self.started_on
        if rng.random() < 0.1:
            signed = None
        roles = [(PartyRole.PATIENT, "patient"), (PartyRole.THERAPIST, "T1")]
        obligations = list(_OBLIGATIONS)
        if self.young:
            living = [p for p in self.people if not p.get("deceased")]
            parents = [p for p in living if p["role"] is RelationshipRole.PARENT]
            roles.append((PartyRole.PARENT_CARER, (parents or living)[0]["label"]))
            obligations.append(_PARENT_OBLIGATION)
        parties = [_Party(role=role, label=label, signed_on=signed) for role, label in roles]
        return _TreatmentContract(
            protocol=self.protocol,
            sessions=_SessionTerms(
                total=self.total,
                frequency=Frequency.WEEKLY,
                minutes=self.minutes,
                first_session=self._at(self.first_day),
                zone=self.zone_name,
            ),
            focus_areas=self.focus,
            dispute_stage=self.dispute_stage if FocusArea.ROLE_DISPUTE in self.focus else None,
            modality=self.modality,
            format=self.protocol.format,
            contingency=_ContingencyPolicy(
                missed=self.policy,
                max_missed=rng.choice((None, 2, 3)),
                excluded_dates=self.excluded,
            ),
            amendments=self._amendments(),
            parties=parties,
            obligations=obligations,
            crisis_plan="Call the crisis line or go to the emergency department."
            if rng.random() < 0.6
            else None,
            maintenance_discussed=True if self.agreement is not None else None,
        )

    def _schedule(self, contract: str | None, records: list[_Rec]) -> str | None:
        """The planned sessions, for about a quarter of the courses with a contract."""
        if contract is None or self.state == "dropout" or self.rng.random() >= 0.25:
            return None
        sessions = [
            _ScheduledSession(**{name: getattr(r.row, name) for name in _SCHEDULED_FIELDS})
            for r in records
        ]
        plans: list[str] = []
        if self.agreement is not None:
            first, count, agreed_on = self.agreement
            plans.append(
                _MaintenancePlan(
                    first_start=first,
                    frequency=Frequency.MONTHLY,
                    minutes=self.minutes,
                    count=count,
                    agreed_on=agreed_on,
                    monthly_by=MonthlyBy.DAY_OF_MONTH,
                )
            )
        return _Schedule(
            protocol=self.protocol,
            zone=self.zone_name,
            first_start=self._at(self.first_day),
            frequency=Frequency.WEEKLY,
            minutes=self.minutes,
            contracted_total=self.total,
            amendments=self._amendments(),
            exclude=self.excluded,
            missed_policy=self.policy,
            maintenance=plans,
            sessions=sessions,
        )

    # -- measures -----------------------------------------------------------

    def _plan_measures(self, total: int, last_held: int) -> None:
        """Choose the sessions with measures and the PHQ-9 trajectory (§7.2, §7.3)."""
        rng = self.rng
        every = 1 if self.protocol is COUNSELING else rng.choice((1, 2, 2, 3, 4, 4))
        numbers = set(range(1, total + 1, every))
        numbers.add(last_held)
        if "measures_missing" in self.departures:
            numbers = {1}
        self.measured = numbers
        self.with_gad = rng.random() < 0.4
        self.with_hamd = self.protocol in (STANDARD, WIDE) and rng.random() < 0.15
        baseline = rng.randint(10, 24)
        if self.responder:
            end = baseline * (1 - rng.uniform(0.4, 0.75))
        else:
            end = baseline * (1 - rng.uniform(-0.05, 0.3))
        self._baseline = baseline
        self._trajectory_end = max(0, round(end))
        self._worse_at = rng.randint(2, max(2, total - 2)) if rng.random() < 0.3 else -1
        self._worse_by = rng.randint(3, 6)

    def _level(self, number: int, total: int) -> float:
        t = (number - 1) / max(total - 1, 1)
        # Steeper early, flattening towards the end (most change comes early in IPT).
        shape: float = 1 - (1 - t) ** 1.4
        value = self._baseline + (self._trajectory_end - self._baseline) * shape
        if number == self._worse_at:
            value += self._worse_by
        elif number == self._worse_at + 1:
            value += self._worse_by / 2
        return value

    def _scores_at(self, number: int, total: int, last_held: int) -> tuple[list[str], bool]:
        if number not in self.measured:
            return [], False
        rng = self.rng
        level = self._level(number, total) + rng.gauss(0, 1.5)
        phq = max(0, min(27, round(level)))
        # Item 9 above 0 now and then when depressed; always above 24 (8 items give 24).
        flag = (phq >= 10 and rng.random() < 0.12) or phq > 24
        if "risk_unassessed" in self.departures and number == 1:
            flag = True
        found = [self._phq9(phq, flag)]
        if self.with_gad:
            gad = max(0, min(21, round(level * 0.75 + rng.gauss(0, 1.5))))
            found.append(self._items(GAD7, gad, None))
        if self.with_hamd and number in (1, last_held, total // 2):
            hamd = max(0, min(52, round(level * 1.1 + rng.gauss(0, 2))))
            found.append(_Score(instrument=HAMD17.id, items=None, total=hamd))
        return found, flag

    def _phq9(self, total: int, flag: bool) -> str:
        """A PHQ-9 with item answers; item 9 is above 0 exactly when ``flag`` is set."""
        total = max(0, min(27 if flag else 24, total))
        item9 = 0
        if flag:
            item9 = 2 if total >= 20 and self.rng.random() < 0.3 else 1
        return self._items(PHQ9, total, max(item9, total - 24, 0))

    def _items(self, instrument: Instrument, total: int, last: int | None) -> str:
        """Item answers (0-3) adding up to ``total``; ``last`` fixes the final item."""
        free = instrument.item_count - (last is not None)
        answers = list(self.rng.choice(_patterns(free, total - (last or 0))))
        if last is not None:
            answers.append(last)
        return _Score(instrument=instrument.id, items=answers, total=sum(answers))

    def _outside_measurements(self, ended_on: dt.date | None) -> list[tuple[dt.date, str]]:
        rng = self.rng
        found: list[tuple[dt.date, str]] = []
        if rng.random() < 0.4:
            score = self._phq9(self._baseline + rng.randint(-1, 2), False)
            found.append((self.started_on, _Measurement(taken_on=self.started_on, score=score)))
        if ended_on is not None and self.state == "completed" and rng.random() < 0.25:
            day = ended_on + dt.timedelta(days=rng.randint(0, 90))
            score = self._phq9(self._trajectory_end + rng.randint(-2, 3), False)
            found.append((day, _Measurement(taken_on=day, score=score)))
        return found

    # -- the rest -----------------------------------------------------------

    def _diagnosis(self) -> str | None:
        if "no_diagnosis" in self.departures:
            return None
        system, code = self.rng.choice(_DIAGNOSES)
        return _Diagnosis(system=system, code=code, recorded_on=self.held_days[0][1])

    def _formulation(self) -> str:
        return _Formulation(
            focus_areas=self.focus,
            agreed_on=self.formulation_day,
            linked_people=self.linked,
        )

    def _goals(self) -> list[str]:
        rng = self.rng
        rating_days = [d for _, d in self.held_days if d > self.formulation_day]
        if len(rating_days) > 5:
            step = len(rating_days) / 5
            rating_days = [rating_days[round(i * step)] for i in range(5)]
        goals: list[str] = []
        for area in self.focus[:2]:
            progress = rng.randint(0, 3)
            top = rng.randint(6, 9) if self.responder else rng.randint(2, 5)
            ratings: list[str] = []
            for index, day in enumerate(rating_days):
                target = progress + (top - progress) * (index + 1) / len(rating_days)
                value = max(0, min(10, round(target + rng.choice((-1, 0, 0, 0, 1)))))
                ratings.append(_GoalRating(on=day, progress=value))
            goals.append(
                _TreatmentGoal(
                    focus_area=area,
                    description=_GOALS[area],
                    set_on=self.formulation_day,
                    ratings=ratings,
                )
            )
        return goals


# --------------------------------------------------------------------------
# Broken lines
# --------------------------------------------------------------------------


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _break(rng: random.Random, text: str) -> CorpusLine:
    """Return the course ``text`` as a line broken in one of the :data:`DEFECTS` ways."""
    defect = rng.choice(DEFECTS)
    data = json.loads(text)
    sessions: list[dict[str, Any]] = data["sessions"]
    acute = [s for s in sessions if s["kind"] == "acute"]
    counted = [s for s in acute if not s["made_up"]]
    if defect == "invalid_json":
        return CorpusLine(text[: rng.randint(1, len(text) - 1)], defect)
    if defect == "duplicate_key":
        return CorpusLine(
            text.replace('"patient_id":', '"patient_id":"X","patient_id":', 1), defect
        )
    if defect == "not_an_object":
        return CorpusLine(_compact([data]), defect)
    if defect == "unknown_field":
        target = rng.choice((data, rng.choice(sessions)))
        target[rng.choice(("patient_name", "sesion_notes", "Notes", "score"))] = "x"
    elif defect == "wrong_type":
        choice = rng.randrange(3)
        if choice == 0:
            rng.choice(sessions)["minutes"] = "50"
        elif choice == 1:
            rng.choice(sessions)["made_up"] = "no"
        else:
            data["started_on"] = 20240101
    elif defect == "missing_field":
        if rng.random() < 0.5:
            del data["patient_id"]
        else:
            del rng.choice(sessions)["starts_at"]
    elif defect == "naive_datetime":
        record = rng.choice(sessions)
        record["starts_at"] = record["starts_at"][:19]
    elif defect == "invalid_date":
        data["started_on"] = data["started_on"][:5] + "02-30"
    elif defect == "invalid_value":
        rng.choice(sessions)["status"] = rng.choice(("came", "HELD", "late"))
    elif defect == "number_gap":
        # Drop a counted record below the highest number: the numbers skip it.
        gone = _numbered(counted, rng.randint(1, len(counted) - 1))
        data["sessions"] = [s for s in sessions if s is not gone]
    elif defect == "duplicate_number":
        _numbered(counted, 2)["number"] = 1
    elif defect == "phase_mismatch":
        _numbered(counted, 1)["phase"] = "maintenance"
    elif defect == "score_out_of_range":
        record = _numbered(counted, 1)
        record["scores"] = [{"instrument": "phq9", "items": None, "total": rng.randint(28, 40)}]
    elif defect == "total_mismatch":
        record = _numbered(counted, 1)
        record["scores"] = [{"instrument": "phq9", "items": [1] * 9, "total": 12}]
    elif defect == "unsupported_schema_version":
        data["schema_version"] = SCHEMA_VERSION + rng.choice((1, 5, 97))
    elif defect == "outside_course":
        data["ended_on"] = data["started_on"]
    elif defect == "onset_after_start":
        started_on = dt.date.fromisoformat(data["started_on"])
        data["onset"] = (started_on + dt.timedelta(days=rng.randint(1, 60))).isoformat()
    elif defect == "made_up_not_missed":
        _numbered(counted, 1)["made_up"] = True
    elif defect == "goal_outside_focus":
        formulation = data["formulation"]
        agreed = set(formulation["focus_areas"])
        for revision in formulation["revisions"]:
            agreed.update(revision["focus_areas"])
        other = next(a for a in FocusArea if a.value not in agreed)
        data["goals"].append(
            {
                "focus_area": other.value,
                "description": "Unrelated goal.",
                "set_on": data["started_on"],
                "ratings": [],
            }
        )
    else:  # invalid_zone
        target = data["contract"]["sessions"] if data["contract"] else None
        if target is not None:
            target["zone"] = rng.choice(("Mars/Olympus_Mons", "Europe/Lundon", "GMT+25"))
        else:  # no contract to hold a zone: break a date instead, and say so
            defect = "invalid_date"
            data["started_on"] = "tomorrow"
    return CorpusLine(_compact(data), defect)


def _numbered(records: list[dict[str, Any]], number: int) -> dict[str, Any]:
    """The counted acute record numbered ``number`` (every course has 1 and 2)."""
    for record in records:
        if record["number"] == number:
            return record
    raise AssertionError(number)  # pragma: no cover - a course always has these
