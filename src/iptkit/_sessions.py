"""What a session is: its kinds, its status, its label and its numbering rules.

This module is the one home of the session-numbering rules of the design
(rules 1, 2, 3 and 6).  They are written once, over *rows*: any objects with
``kind``, ``number``, ``starts_at``, ``status``, ``made_up`` and ``phase``
attributes, listed in start order.  A :class:`~iptkit.Schedule` checks its
planned sessions with them and a :class:`~iptkit.TreatmentCourse` its session
records, so a broken rule has the same code wherever it is broken.

A missed or cancelled session that is *made up* (rule 4) is a row of its own
with ``made_up`` set: it keeps the number it had when it was missed, and the
next row of its kind that is not made up spends that number.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol as _Protocol

from iptkit._errors import Issue
from iptkit._protocol import ACUTE_PHASES, Phase, Protocol, phase_lengths

__all__ = [
    "SessionKind",
    "SessionRow",
    "SessionStatus",
    "TotalOn",
    "agreement_issues",
    "expected_numbers",
    "expected_phases",
    "phase_issues",
    "row_issues",
    "sequence_issues",
    "session_label",
]


class SessionKind(enum.Enum):
    """What a session is for; each kind is numbered on its own."""

    #: An engagement session or pre-group meeting before acute session 1,
    #: numbered 0 (domain reference §4: IPT-B, WHO Group IPT).
    PRE_TREATMENT = "pre_treatment"
    #: A session of the acute course, numbered 1..n.
    ACUTE = "acute"
    #: A session of maintenance treatment after the acute course, numbered
    #: M1..Mk (domain reference §3.3).
    MAINTENANCE = "maintenance"


class SessionStatus(enum.Enum):
    """What became of a session: one vocabulary for plans and records alike."""

    #: Not yet taken place.
    PLANNED = "planned"
    #: Took place.
    HELD = "held"
    #: The patient did not come and gave no notice (a no-show).
    MISSED = "missed"
    #: Called off ahead of time by the patient.
    CANCELLED_BY_PATIENT = "cancelled_by_patient"
    #: Called off ahead of time by the therapist or the service.
    CANCELLED_BY_THERAPIST = "cancelled_by_therapist"

    @property
    def took_place(self) -> bool:
        """Whether the session was held."""
        return self is SessionStatus.HELD

    @property
    def fell_through(self) -> bool:
        """Whether the session was missed or cancelled (it will not take place)."""
        return self is not SessionStatus.PLANNED and self is not SessionStatus.HELD


class SessionRow(_Protocol):
    """What the numbering rules read of a planned session or a session record."""

    @property
    def kind(self) -> SessionKind: ...

    @property
    def number(self) -> int: ...

    @property
    def starts_at(self) -> dt.datetime: ...

    @property
    def status(self) -> SessionStatus: ...

    @property
    def made_up(self) -> bool: ...

    @property
    def phase(self) -> Phase | None: ...


_KIND_ORDER = {kind: index for index, kind in enumerate(SessionKind)}


def session_label(kind: SessionKind, number: int) -> str:
    """How a session is shown: ``"0"`` (pre-treatment), ``"3"``, or ``"M2"`` for maintenance.

    A planned session and its record have the same label.

    >>> session_label(SessionKind.MAINTENANCE, 2), session_label(SessionKind.PRE_TREATMENT, 0)
    ('M2', '0')
    """
    return f"M{number}" if kind is SessionKind.MAINTENANCE else str(number)


def row_issues(row: SessionRow) -> Iterator[Issue]:
    """The rules one row keeps on its own: number and phase fit its kind (rules 1, 3, 6).

    Paths are relative to the row (``$.number``, ``$.phase``, ``$.made_up``).
    """
    kind = row.kind
    if kind is SessionKind.PRE_TREATMENT:
        if row.number != 0:
            yield Issue("$.number", "number_sequence", "A pre-treatment contact is numbered 0.")
        if row.phase is not None:
            yield Issue("$.phase", "phase_mismatch", "A pre-treatment contact has no phase.")
        if row.made_up:
            yield Issue(
                "$.made_up",
                "cannot_make_up",
                "A pre-treatment contact is never made up; move it instead.",
            )
    else:
        if row.number < 1:
            yield Issue(
                "$.number",
                "number_sequence",
                "Acute and maintenance sessions are numbered from 1.",
            )
        if kind is SessionKind.ACUTE and row.phase not in ACUTE_PHASES:
            yield Issue(
                "$.phase",
                "phase_mismatch",
                "An acute session is in the initial, middle or termination phase.",
            )
        elif kind is SessionKind.MAINTENANCE and row.phase is not Phase.MAINTENANCE:
            yield Issue(
                "$.phase", "phase_mismatch", "A maintenance session is in the maintenance phase."
            )
    if row.made_up and not row.status.fell_through:
        yield Issue(
            "$.made_up",
            "made_up_not_missed",
            "Only a missed or cancelled session can be made up.",
        )


def expected_numbers(rows: Iterable[SessionRow]) -> list[int]:
    """The number each row should have, given the rows in start order (rules 1 and 6).

    Pre-treatment contacts are 0; acute and maintenance sessions count 1, 2, ...
    within their kind; a made-up row has the number of the next row of its kind
    that is not made up.
    """
    spent = dict.fromkeys(SessionKind, 0)
    numbers: list[int] = []
    for row in rows:
        kind = row.kind
        if kind is SessionKind.PRE_TREATMENT:
            numbers.append(0)
        elif row.made_up:
            numbers.append(spent[kind] + 1)
        else:
            spent[kind] += 1
            numbers.append(spent[kind])
    return numbers


def sequence_issues(rows: Sequence[SessionRow], path: str = "$.sessions") -> Iterator[Issue]:
    """Rules 1, 2 and 6 over rows listed in start order.

    * start times strictly increase down the list (``start_order``, or
      ``duplicate_start`` for two rows at the same time);
    * pre-treatment contacts come first (``kind_order``) and maintenance
      sessions after every acute one (``maintenance_before_acute``);
    * numbers follow :func:`expected_numbers` (``number_sequence``, reported
      once per kind, at the first row that breaks the sequence), and there is
      at most one pre-treatment contact (reference §4: one engagement session
      or pre-group meeting).
    """
    latest = -1
    pre_treatment = 0
    for index, row in enumerate(rows):
        if index:
            before = rows[index - 1].starts_at
            if row.starts_at == before:
                yield Issue(
                    f"{path}[{index}].starts_at",
                    "duplicate_start",
                    "Two sessions start at the same time.",
                )
            elif row.starts_at < before:
                yield Issue(
                    f"{path}[{index}].starts_at",
                    "start_order",
                    "Each session must start after the one listed before it.",
                )
        if row.kind is SessionKind.PRE_TREATMENT:
            pre_treatment += 1
            if pre_treatment == 2:
                yield Issue(
                    f"{path}[{index}].kind",
                    "number_sequence",
                    "There is at most one pre-treatment contact, numbered 0.",
                )
        order = _KIND_ORDER[row.kind]
        if order < latest:
            if row.kind is SessionKind.ACUTE:
                yield Issue(
                    f"{path}[{index}].kind",
                    "maintenance_before_acute",
                    "Maintenance sessions must come after the last acute session.",
                )
            else:
                yield Issue(
                    f"{path}[{index}].kind",
                    "kind_order",
                    "A pre-treatment contact must come before the acute sessions.",
                )
        latest = max(latest, order)
    reported: set[SessionKind] = {SessionKind.PRE_TREATMENT}
    for index, (row, number) in enumerate(zip(rows, expected_numbers(rows), strict=True)):
        if row.kind not in reported and row.number != number:
            reported.add(row.kind)
            yield Issue(
                f"{path}[{index}].number",
                "number_sequence",
                "Sessions are numbered consecutively in start order; expected "
                f"{session_label(row.kind, number)} here.",
            )


#: The acute total in force on a day: the contracted total with the amendments agreed by then.
TotalOn = Callable[[dt.date], int]


def expected_phases(
    rows: Iterable[SessionRow], *, protocol: Protocol, total_on: TotalOn
) -> list[Phase | None]:
    """The phase each row should have (rule 3), given the rows in start order.

    An acute session's phase follows from its number, the acute total in force
    on its day (``total_on``: the contracted total with the amendments agreed
    by then, never below the number itself) and the protocol, and never falls
    behind the phase of an earlier session.  Maintenance sessions are in the
    maintenance phase; a pre-treatment contact has none.  Numbers are taken as
    they are: check them with :func:`sequence_issues` first.
    """
    lengths: dict[int, tuple[int, int, int]] = {}
    floor = 0
    phases: list[Phase | None] = []
    for row in rows:
        if row.kind is SessionKind.PRE_TREATMENT:
            phases.append(None)
            continue
        if row.kind is SessionKind.MAINTENANCE:
            phases.append(Phase.MAINTENANCE)
            continue
        number = row.number
        total = max(total_on(row.starts_at.date()), number)
        split = lengths.get(total)
        if split is None:
            split = lengths[total] = phase_lengths(total, protocol)
        initial, middle, _ = split
        order = 0 if number <= initial else 1 if number <= initial + middle else 2
        floor = max(floor, order)
        phases.append(ACUTE_PHASES[floor])
    return phases


def phase_issues(
    rows: Sequence[SessionRow],
    *,
    protocol: Protocol,
    total_on: TotalOn | None,
    path: str = "$.sessions",
) -> Iterator[Issue]:
    """Rule 3: each row's phase is the one :func:`expected_phases` gives.

    Without a total (``total_on`` is ``None``: no contract or schedule says
    how many sessions there are) only the order is checked: acute phases
    never go backwards down the rows.
    """
    if total_on is None:
        yield from _phase_order_issues(rows, path)
        return
    expected = expected_phases(rows, protocol=protocol, total_on=total_on)
    for index, (row, phase) in enumerate(zip(rows, expected, strict=True)):
        if row.phase is not phase and phase is not None:
            yield Issue(
                f"{path}[{index}].phase",
                "phase_mismatch",
                f"Session {session_label(row.kind, row.number)} belongs to the {phase.value} "
                f"phase under the {protocol.name} protocol and the total in force on its day.",
            )


def _phase_order_issues(rows: Sequence[SessionRow], path: str) -> Iterator[Issue]:
    floor = 0
    for index, row in enumerate(rows):
        phase = row.phase
        if row.kind is SessionKind.ACUTE and phase is not None:
            if phase.order < floor:
                yield Issue(
                    f"{path}[{index}].phase",
                    "phase_mismatch",
                    f"Session {session_label(row.kind, row.number)} is in an earlier phase than "
                    "a session before it; phases never go backwards.",
                )
            floor = max(floor, phase.order)


def agreement_issues(
    records: Sequence[SessionRow],
    planned: Sequence[SessionRow],
    *,
    day_of: Callable[[dt.datetime], dt.date],
    records_path: str = "$.sessions",
    planned_path: str = "$.schedule.sessions",
) -> Iterator[Issue]:
    """Session records against the schedule of the same course (``schedule_mismatch``).

    Every record matches a session of the schedule with the same kind, number,
    made-up flag and day (``day_of`` gives the calendar day of an instant in
    the schedule's zone): held, missed, moved or made up.  Every session the
    schedule marks as held has a record.
    """

    def key(row: SessionRow) -> tuple[SessionKind, int, bool, dt.date]:
        return (row.kind, row.number, row.made_up, day_of(row.starts_at))

    planned_keys = {key(row) for row in planned}
    recorded = set()
    for index, record in enumerate(records):
        found = key(record)
        recorded.add(found)
        if found not in planned_keys:
            yield Issue(
                f"{records_path}[{index}]",
                "schedule_mismatch",
                "The record has no session in the schedule with the same kind, number and day.",
            )
    for index, row in enumerate(planned):
        if row.status is SessionStatus.HELD and key(row) not in recorded:
            yield Issue(
                f"{planned_path}[{index}]",
                "schedule_mismatch",
                "The schedule says the session was held, but the course has no record of it.",
            )
