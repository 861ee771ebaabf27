"""Typed Apache Arrow tables of treatment courses, for analysis (extra ``tables``).

Each function takes any iterable of :class:`~iptkit.TreatmentCourse` objects
(or of :class:`~iptkit.DocumentResult` objects from
:func:`iptkit.read_documents`, whose loaded values it takes) and returns a
``pyarrow.Table`` with a fixed, documented schema:

* :func:`courses`: one row per course;
* :func:`sessions`: one row per session record;
* :func:`scores`: one row per symptom score, in a session or outside one;
* :func:`outcomes`: one row per course and instrument measured twice or more;
* :func:`findings`: one row per problem, as :func:`iptkit.findings_rows` gives them.

Every table has ``patient_id``.  Days are ``date32``, instants are
``timestamp[us, tz=UTC]``, enumerations are their JSON strings, focus areas
and techniques are lists of strings, and a percent change is a ``float64``
(null when undefined) beside the exact values the models keep.

Free-text fields and every field marked private in the models (session notes,
tasks set, goal descriptions, the names of people) are left out: the tables
carry the coded record, never what was written about a patient.

Each table is built in record batches of ``batch_size`` rows, and each
function has a ``*_batches`` twin that yields them one at a time, so a
corpus larger than memory can be written to Parquet as it is read::

    import pyarrow.parquet as pq
    from iptkit import read_documents, tables

    with pq.ParquetWriter("sessions.parquet", tables.SESSIONS_SCHEMA) as writer:
        for batch in tables.sessions_batches(read_documents("corpus/")):
            writer.write_batch(batch)

This module needs the optional ``tables`` extra (pyarrow); without it,
importing it raises :class:`~iptkit.MissingExtraError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from iptkit._corpus import DocumentResult, findings_rows
from iptkit._course import TreatmentCourse
from iptkit._errors import IptkitError, MissingExtraError

try:
    import pyarrow as pa  # type: ignore[import-untyped]
except ImportError:
    raise MissingExtraError("iptkit.tables", "tables") from None

__all__ = [
    "BATCH_SIZE",
    "COURSES_SCHEMA",
    "FINDINGS_SCHEMA",
    "OUTCOMES_SCHEMA",
    "SCORES_SCHEMA",
    "SESSIONS_SCHEMA",
    "courses",
    "courses_batches",
    "findings",
    "findings_batches",
    "outcomes",
    "outcomes_batches",
    "scores",
    "scores_batches",
    "sessions",
    "sessions_batches",
]

#: Rows per record batch unless ``batch_size`` says otherwise.
BATCH_SIZE = 10_000

_UTC = pa.timestamp("us", tz="UTC")
_TEXTS = pa.list_(pa.string())

#: Columns of :func:`courses`: one row per course.
COURSES_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("protocol", pa.string(), nullable=False),
        pa.field("started_on", pa.date32(), nullable=False),
        pa.field("ended_on", pa.date32()),
        pa.field("ended_reason", pa.string()),
        pa.field("age_at_start", pa.int32()),
        pa.field("onset", pa.date32()),
        pa.field("diagnosis_system", pa.string()),
        pa.field("diagnosis_code", pa.string()),
        pa.field("focus_areas", _TEXTS),
        pa.field("contracted_sessions", pa.int32()),
        pa.field("session_records", pa.int32(), nullable=False),
        pa.field("acute_records", pa.int32(), nullable=False),
        pa.field("sessions_used", pa.int32(), nullable=False),
        pa.field("attendance_rate", pa.float64()),
        pa.field("acute_ended_on", pa.date32()),
    ]
)

#: Columns of :func:`sessions`: one row per session record.
SESSIONS_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("number", pa.int32(), nullable=False),
        pa.field("starts_at", _UTC, nullable=False),
        pa.field("minutes", pa.int32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("made_up", pa.bool_(), nullable=False),
        pa.field("modality", pa.string(), nullable=False),
        pa.field("phase", pa.string()),
        pa.field("focus_areas", _TEXTS, nullable=False),
        pa.field("techniques", _TEXTS, nullable=False),
        pa.field("previous_task_outcome", pa.string()),
        pa.field("sick_role_given", pa.bool_(), nullable=False),
        pa.field("ending_raised", pa.bool_(), nullable=False),
        pa.field("risk_assessed", pa.bool_(), nullable=False),
        pa.field("maintenance_discussed", pa.bool_(), nullable=False),
        pa.field("parent_present", pa.bool_(), nullable=False),
        pa.field("scores", pa.int32(), nullable=False),
    ]
)

#: Columns of :func:`scores`: one row per score of a course.
SCORES_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("on", pa.date32(), nullable=False),
        pa.field("session", pa.string()),
        pa.field("session_kind", pa.string()),
        pa.field("session_number", pa.int32()),
        pa.field("instrument", pa.string(), nullable=False),
        pa.field("total", pa.int32(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("safety_item", pa.int32()),
        pa.field("safety_flag", pa.bool_()),
        pa.field("path", pa.string(), nullable=False),
    ]
)

#: Columns of :func:`outcomes`: one row per course and instrument measured twice or more.
OUTCOMES_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string(), nullable=False),
        pa.field("instrument", pa.string(), nullable=False),
        pa.field("baseline_on", pa.date32(), nullable=False),
        pa.field("baseline_session", pa.string()),
        pa.field("baseline_total", pa.int32(), nullable=False),
        pa.field("follow_up_on", pa.date32(), nullable=False),
        pa.field("follow_up_session", pa.string()),
        pa.field("follow_up_total", pa.int32(), nullable=False),
        pa.field("points", pa.int32(), nullable=False),
        pa.field("percent", pa.float64()),
        pa.field("response", pa.bool_()),
        pa.field("partial_response", pa.bool_()),
        pa.field("remission", pa.bool_()),
    ]
)

#: Columns of :func:`findings`: one row per problem of a document.
FINDINGS_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string()),
        pa.field("source", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
    ]
)

Row = dict[str, Any]
Items = Iterable[TreatmentCourse | DocumentResult[Any]]


def _loaded(items: Items) -> Iterator[TreatmentCourse]:
    """The courses of ``items``: courses as they are, the values of loaded results."""
    for item in items:
        value = item.value if isinstance(item, DocumentResult) else item
        if isinstance(value, TreatmentCourse):
            yield value


def _text(value: Any) -> str | None:
    return None if value is None else str(value.value)


def _batched(rows: Iterable[Row], schema: Any, batch_size: int) -> Iterator[Any]:
    """Yield ``rows`` as record batches of ``schema``, ``batch_size`` rows at most each."""
    if batch_size < 1:
        raise IptkitError("batch_size must be at least 1.")
    names = schema.names
    columns: dict[str, list[Any]] = {name: [] for name in names}
    count = 0
    for row in rows:
        for name in names:
            columns[name].append(row[name])
        count += 1
        if count == batch_size:
            yield pa.RecordBatch.from_pydict(columns, schema=schema)
            columns = {name: [] for name in names}
            count = 0
    if count:
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


def _table(batches: Iterable[Any], schema: Any) -> Any:
    return pa.Table.from_batches(list(batches), schema=schema)


# --------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------


def _course_rows(items: Items) -> Iterator[Row]:
    for course in _loaded(items):
        diagnosis = course.diagnosis
        if course.formulation is not None:
            focus = course.formulation.focus_areas
        elif course.contract is not None:
            focus = course.contract.focus_areas
        else:
            focus = None
        yield {
            "patient_id": course.patient_id,
            "protocol": course.protocol.name,
            "started_on": course.started_on,
            "ended_on": course.ended_on,
            "ended_reason": _text(course.ended_reason),
            "age_at_start": course.age_at_start,
            "onset": course.onset,
            "diagnosis_system": None if diagnosis is None else diagnosis.system.value,
            "diagnosis_code": None if diagnosis is None else diagnosis.code,
            "focus_areas": None if focus is None else [area.value for area in focus],
            "contracted_sessions": None if course.contract is None else course.contract.total,
            "session_records": len(course.sessions),
            "acute_records": len(course.acute_records),
            "sessions_used": course.sessions_used,
            "attendance_rate": course.attendance_rate,
            "acute_ended_on": course.acute_ended_on,
        }


def _session_rows(items: Items) -> Iterator[Row]:
    for course in _loaded(items):
        for position, record in enumerate(course.sessions):
            yield {
                "patient_id": course.patient_id,
                "position": position,
                "label": record.label,
                "kind": record.kind.value,
                "number": record.number,
                "starts_at": record.starts_at.astimezone(dt.UTC),
                "minutes": record.minutes,
                "status": record.status.value,
                "made_up": record.made_up,
                "modality": record.modality.value,
                "phase": _text(record.phase),
                "focus_areas": [area.value for area in record.focus_areas],
                "techniques": [technique.value for technique in record.techniques],
                "previous_task_outcome": _text(record.previous_task_outcome),
                "sick_role_given": record.sick_role_given,
                "ending_raised": record.ending_raised,
                "risk_assessed": record.risk_assessed,
                "maintenance_discussed": record.maintenance_discussed,
                "parent_present": record.parent_present,
                "scores": len(record.scores),
            }


def _score_rows(items: Items) -> Iterator[Row]:
    for course in _loaded(items):
        for entry in course.scored():
            taken = entry.score
            yield {
                "patient_id": course.patient_id,
                "on": entry.on,
                "session": entry.session,
                "session_kind": _text(entry.kind),
                "session_number": entry.number,
                "instrument": taken.instrument.value,
                "total": taken.total,
                "severity": taken.severity.value,
                "safety_item": taken.safety_answer,
                "safety_flag": taken.safety_flag,
                "path": entry.path,
            }


def _outcome_rows(items: Items, acute_only: bool) -> Iterator[Row]:
    for course in _loaded(items):
        for instrument, outcome in course.outcomes(acute_only=acute_only).items():
            change = outcome.change
            yield {
                "patient_id": course.patient_id,
                "instrument": instrument.value,
                "baseline_on": outcome.baseline.on,
                "baseline_session": outcome.baseline.session,
                "baseline_total": change.baseline.total,
                "follow_up_on": outcome.follow_up.on,
                "follow_up_session": outcome.follow_up.session,
                "follow_up_total": change.follow_up.total,
                "points": change.points,
                "percent": change.percent_float,
                "response": change.response,
                "partial_response": change.partial_response,
                "remission": change.remission,
            }


# --------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------


def courses_batches(items: Items, *, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Yield the rows of :func:`courses` as ``pyarrow.RecordBatch`` objects."""
    return _batched(_course_rows(items), COURSES_SCHEMA, batch_size)


def courses(items: Items, *, batch_size: int = BATCH_SIZE) -> Any:
    """One row per course (schema :data:`COURSES_SCHEMA`).

    Columns: ``patient_id``; ``protocol`` (its name); ``started_on``,
    ``ended_on`` and ``onset`` (dates); ``ended_reason``; ``age_at_start``;
    ``diagnosis_system`` and ``diagnosis_code``; ``focus_areas`` (the
    formulation's, else the contract's; null without either);
    ``contracted_sessions`` (the acute total, amendments included; null
    without a contract); ``session_records`` and ``acute_records`` (records
    of any kind, of acute sessions); ``sessions_used`` (acute numbers spent);
    ``attendance_rate`` (a float; null before any acute session); and
    ``acute_ended_on`` (the last acute session held).
    """
    return _table(courses_batches(items, batch_size=batch_size), COURSES_SCHEMA)


def sessions_batches(items: Items, *, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Yield the rows of :func:`sessions` as ``pyarrow.RecordBatch`` objects."""
    return _batched(_session_rows(items), SESSIONS_SCHEMA, batch_size)


def sessions(items: Items, *, batch_size: int = BATCH_SIZE) -> Any:
    """One row per session record (schema :data:`SESSIONS_SCHEMA`).

    Columns: ``patient_id``; ``position`` (the record's index in the course);
    ``label`` (``"0"``, ``"3"``, ``"M2"``), ``kind`` and ``number``;
    ``starts_at`` (UTC); ``minutes``; ``status``; ``made_up``; ``modality``;
    ``phase`` (null for a pre-treatment contact); ``focus_areas`` and
    ``techniques`` (lists); ``previous_task_outcome``; the flags
    ``sick_role_given``, ``ending_raised``, ``risk_assessed``,
    ``maintenance_discussed`` and ``parent_present``; and ``scores`` (how
    many scores the record holds; see :func:`scores`).  The task set and
    the notes are left out.
    """
    return _table(sessions_batches(items, batch_size=batch_size), SESSIONS_SCHEMA)


def scores_batches(items: Items, *, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Yield the rows of :func:`scores` as ``pyarrow.RecordBatch`` objects."""
    return _batched(_score_rows(items), SCORES_SCHEMA, batch_size)


def scores(items: Items, *, batch_size: int = BATCH_SIZE) -> Any:
    """One row per score of each course, by date (schema :data:`SCORES_SCHEMA`).

    The rows of a course are those of :meth:`iptkit.TreatmentCourse.scored`:
    scores of session records and measurements outside sessions.

    Columns: ``patient_id``; ``on`` (the day); ``session``, ``session_kind``
    and ``session_number`` (null outside a session); ``instrument``;
    ``total``; ``severity`` (the instrument's default band); ``safety_item``
    (the safety item's answer, when known) and ``safety_flag`` (whether it is
    positive; null when unknown); and ``path``, where the score is in the
    course document.
    """
    return _table(scores_batches(items, batch_size=batch_size), SCORES_SCHEMA)


def outcomes_batches(
    items: Items, *, acute_only: bool = True, batch_size: int = BATCH_SIZE
) -> Iterator[Any]:
    """Yield the rows of :func:`outcomes` as ``pyarrow.RecordBatch`` objects."""
    return _batched(_outcome_rows(items, acute_only), OUTCOMES_SCHEMA, batch_size)


def outcomes(items: Items, *, acute_only: bool = True, batch_size: int = BATCH_SIZE) -> Any:
    """One row per course and instrument measured twice or more (schema :data:`OUTCOMES_SCHEMA`).

    The rows are :meth:`iptkit.TreatmentCourse.outcomes` (``acute_only`` is
    passed on): the first score of each instrument against its last.

    Columns: ``patient_id``; ``instrument``; ``baseline_on``,
    ``baseline_session`` and ``baseline_total``; ``follow_up_on``,
    ``follow_up_session`` and ``follow_up_total``; ``points`` (the drop in
    points, negative when symptoms rose); ``percent`` (the drop in percent of
    baseline as a float, :attr:`iptkit.measures.Change.percent_float`;
    :attr:`~iptkit.measures.Change.percent` stays an exact fraction; null
    when the baseline is 0); and ``response``,
    ``partial_response`` and ``remission`` (null when undefined).
    """
    return _table(
        outcomes_batches(items, acute_only=acute_only, batch_size=batch_size), OUTCOMES_SCHEMA
    )


def findings_batches(items: Iterable[Any], *, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Yield the rows of :func:`findings` as ``pyarrow.RecordBatch`` objects."""
    return _batched(findings_rows(items), FINDINGS_SCHEMA, batch_size)


def findings(items: Iterable[Any], *, batch_size: int = BATCH_SIZE) -> Any:
    """The rows of :func:`iptkit.findings_rows` as a table (schema :data:`FINDINGS_SCHEMA`).

    Takes courses or :class:`~iptkit.DocumentResult` objects; a document that
    failed to load gives one ``error`` row per issue, with no value of the
    document (``patient_id`` is null).
    """
    return _table(findings_batches(items, batch_size=batch_size), FINDINGS_SCHEMA)
