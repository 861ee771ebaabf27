"""Session scheduling: the planned sessions of a course of IPT and their numbering.

A :class:`Schedule` holds every session of a course in start-time order,
together with everything needed to re-derive it: the protocol variant, the
IANA zone, the acute series (first start, frequency, length), the contracted
total and its amendments, the excluded dates, the missed-session policy and
the maintenance plans.

Its invariants are the session-numbering rules of the design (1, 2, 3, 6 and
7, and the dated part of 5), checked arithmetically from the stored sessions:
loading a schedule never computes a recurrence.  Planning
(:func:`plan_sessions`) and the operations that need new slots
(:meth:`Schedule.extend`, a made-up :meth:`Schedule.miss`,
:meth:`Schedule.add_maintenance`) compute them with :mod:`dateutil.rrule`.

A missed session that is made up (rule 4) stays in :attr:`Schedule.sessions`
with ``made_up`` set: it keeps the number it had, and that number and every
later one of the same kind move one slot on, with a new slot added at the end
of the series.  A missed session that counts keeps its number, spent.  The
numbering rules themselves live in :mod:`iptkit._sessions`, shared with the
session records of a course.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from iptkit._contract import (
    MAX_ACUTE_SESSIONS,
    MAX_MAINTENANCE_SESSIONS,
    Amendment,
    MaintenanceAgreement,
    MissedSessionPolicy,
    TreatmentContract,
    amendments_in_order,
    total_in_force,
    valid_zone,
)
from iptkit._errors import Issue, ScheduleError, ValidationError
from iptkit._model import check_fields, evolve, field, model
from iptkit._protocol import (
    MIN_ACUTE_SESSIONS,
    STANDARD,
    Format,
    Frequency,
    Phase,
    Protocol,
)
from iptkit._recurrence import (
    MonthlyBy,
    days_in_order,
    in_zone,
    next_anchor,
    no_day_twice,
    recurrence_starts,
    slot_before,
    slots_after,
    zone_info,
)
from iptkit._sessions import (
    SessionKind,
    SessionStatus,
    TotalOn,
    expected_numbers,
    expected_phases,
    phase_issues,
    row_issues,
    sequence_issues,
    session_label,
)

__all__ = [
    "MaintenancePlan",
    "Schedule",
    "ScheduledSession",
    "plan_sessions",
]


@model
class ScheduledSession:
    """One session of a schedule: its kind, number, time, phase and status.

    >>> import datetime as dt
    >>> s = ScheduledSession(
    ...     kind=SessionKind.MAINTENANCE,
    ...     number=2,
    ...     starts_at=dt.datetime(2026, 9, 7, 9, tzinfo=dt.timezone.utc),
    ...     minutes=50,
    ...     phase=Phase.MAINTENANCE,
    ... )
    >>> s.label, s.ends_at.time().isoformat()
    ('M2', '09:50:00')
    """

    kind: SessionKind = field(doc="Pre-treatment contact, acute or maintenance session.")
    number: int = field(
        ge=0,
        le=1000,
        doc="0 for the pre-treatment contact, else 1..n within the session's kind.",
    )
    starts_at: dt.datetime = field(doc="When the session starts (aware).")
    minutes: int = field(ge=1, le=480, doc="Length of the session in minutes.")
    phase: Phase | None = field(doc="Phase of the course; null for a pre-treatment contact.")
    status: SessionStatus = field(default=SessionStatus.PLANNED, doc="What became of it.")

    made_up: bool = field(
        default=False,
        doc="A missed or cancelled session whose number moved on to a later slot (rule 4).",
    )

    @property
    def label(self) -> str:
        """How the session is shown: ``"0"``, ``"3"``, or ``"M2"`` for maintenance."""
        return session_label(self.kind, self.number)

    @property
    def ends_at(self) -> dt.datetime:
        """When the session ends."""
        return self.starts_at + dt.timedelta(minutes=self.minutes)

    def _invariants(self) -> Iterator[Issue]:
        return row_issues(self)


@model
class MaintenancePlan:
    """The terms of a block of maintenance sessions (rule 6).

    Domain reference §3.3: maintenance is usually monthly, and is a separate
    agreement made after the acute course.  A monthly block keeps the weekday
    and week of the month of its first slot ("the second Tuesday"), or, with
    ``monthly_by`` set to :attr:`~iptkit.MonthlyBy.DAY_OF_MONTH`, its day of
    the month.  A session that would fall on an excluded day moves to the
    next allowed day of that rule (a week later, or the next day).
    """

    first_start: dt.datetime = field(doc="Start of the block's first slot (aware).")
    frequency: Frequency = field(default=Frequency.MONTHLY, doc="How often sessions recur.")
    monthly_by: MonthlyBy = field(
        default=MonthlyBy.WEEKDAY,
        doc=(
            "For monthly sessions only: the weekday and week of the month of the first slot "
            "(the last such weekday when it falls in a fifth week), or its day of the month."
        ),
    )
    minutes: int = field(ge=1, le=480, doc="Length of a session in minutes.")
    count: int = field(ge=1, le=MAX_MAINTENANCE_SESSIONS, doc="How many sessions are agreed.")
    agreed_on: dt.date | None = field(default=None, doc="The day the block was agreed.")


def _total_on(contracted: int, amendments: tuple[Amendment, ...]) -> TotalOn:
    return lambda day: total_in_force(contracted, amendments, day)


def _derive(
    sessions: Iterable[ScheduledSession], protocol: Protocol, total_on: TotalOn
) -> tuple[ScheduledSession, ...]:
    """Put sessions in start order and give each the number and phase the rules give.

    Rules 1, 3 and 6 as :mod:`iptkit._sessions` states them: pre-treatment
    contacts are 0, acute sessions 1..n and maintenance sessions 1..k in start
    order (a made-up miss keeps the number of the session that replaced it),
    and each acute phase follows from the number and the total in force.
    """
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    numbered = [
        s if s.number == n else evolve(s, number=n)
        for s, n in zip(ordered, expected_numbers(ordered), strict=True)
    ]
    phases = expected_phases(numbered, protocol=protocol, total_on=total_on)
    return tuple(
        s if s.phase is p else evolve(s, phase=p) for s, p in zip(numbered, phases, strict=True)
    )


@model(document="schedule")
class Schedule:
    """The planned sessions of a course of IPT, and the terms they follow.

    Build one with :func:`plan_sessions` or :meth:`from_contract`; change it
    with the methods below, each of which returns a new schedule (a schedule
    is immutable).  An operation that would break a rule raises
    :class:`~iptkit.ValidationError` or :class:`~iptkit.ScheduleError`.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> from iptkit import plan_sessions
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York"))
    >>> schedule = plan_sessions(first, 12, zone="America/New_York")
    >>> schedule = schedule.hold(1).miss(2, make_up=True)
    >>> [(s.label, s.status.value, s.made_up) for s in schedule.sessions][1:3]
    [('2', 'missed', True), ('2', 'planned', False)]
    >>> schedule.sessions[-1].starts_at.date().isoformat()
    '2026-05-25'
    """

    protocol: Protocol = field(doc="The protocol variant the course follows.")
    zone: str = field(
        min_len=1,
        max_len=64,
        doc="IANA time zone whose wall-clock time the sessions keep.",
        rules=[valid_zone],
    )
    first_start: dt.datetime = field(
        doc="Start of the acute series' first slot; later slots recur from it."
    )
    frequency: Frequency = field(doc="How often acute sessions recur.")
    minutes: int = field(ge=1, le=480, doc="Length of an acute session in minutes.")
    contracted_total: int = field(
        ge=MIN_ACUTE_SESSIONS,
        le=MAX_ACUTE_SESSIONS,
        doc="Acute sessions contracted before any amendment.",
    )
    amendments: tuple[Amendment, ...] = field(
        default=(),
        doc="Agreed changes of the acute total (extensions), in date order.",
        rules=[amendments_in_order],
    )
    exclude: tuple[dt.date, ...] = field(
        default=(),
        max_len=1000,
        doc=(
            "Days in the zone on which no session falls, none twice; taken in any order and "
            "stored in date order, from code and from JSON alike, so that both give the same "
            "value (a set of days has no order of its own to keep)."
        ),
        rules=[no_day_twice],
        canonical=days_in_order,
    )
    missed_policy: MissedSessionPolicy | None = field(
        default=None,
        doc="Whether a missed session counts or is made up; null: decided each time.",
    )
    maintenance: tuple[MaintenancePlan, ...] = field(
        default=(), doc="Agreed blocks of maintenance sessions, in order."
    )
    sessions: tuple[ScheduledSession, ...] = field(
        min_len=MIN_ACUTE_SESSIONS,
        max_len=2000,
        doc="Every session, made-up misses included, in start order.",
    )

    # ------------------------------------------------------------------
    # Derived values
    # ------------------------------------------------------------------

    @property
    def total(self) -> int:
        """The acute total after amendments (the last one wins)."""
        if self.amendments:
            return self.amendments[-1].new_total
        return self.contracted_total

    def total_on(self, day: dt.date) -> int:
        """The acute total in force on ``day`` (the amendments agreed by then)."""
        return total_in_force(self.contracted_total, self.amendments, day)

    @property
    def acute(self) -> tuple[ScheduledSession, ...]:
        """The acute sessions that spend a number, 1..:attr:`total` (made-up misses left out)."""
        return tuple(s for s in self.sessions if s.kind is SessionKind.ACUTE and not s.made_up)

    @property
    def maintenance_sessions(self) -> tuple[ScheduledSession, ...]:
        """The maintenance sessions that spend a number, M1..Mk."""
        return tuple(
            s for s in self.sessions if s.kind is SessionKind.MAINTENANCE and not s.made_up
        )

    @property
    def made_up(self) -> tuple[ScheduledSession, ...]:
        """The missed or cancelled sessions whose numbers moved on (rule 4), in start order."""
        return tuple(s for s in self.sessions if s.made_up)

    @property
    def pre_treatment(self) -> ScheduledSession | None:
        """The pre-treatment contact (session 0), if there is one."""
        first = self.sessions[0]
        return first if first.kind is SessionKind.PRE_TREATMENT else None

    @property
    def end(self) -> dt.datetime:
        """Start of the last acute session: the end the contract implies."""
        return self.acute[-1].starts_at

    def session(self, number: int, kind: SessionKind | None = None) -> ScheduledSession:
        """Return the session numbered ``number`` of ``kind``.

        Args:
            number: the session's number (0 for the pre-treatment contact).
            kind: the kind; by default pre-treatment for 0, acute otherwise.

        Raises:
            ValidationError: there is no such session (``unknown_session``).
        """
        return self.sessions[self._index(number, kind)]

    def history(self, number: int, kind: SessionKind | None = None) -> tuple[ScheduledSession, ...]:
        """Every row that has carried ``number``, in start order.

        :meth:`session` gives the session that carries the number now; a
        made-up miss (status missed or cancelled, ``made_up`` set) keeps the
        number too and comes before it here.

        Raises:
            ValidationError: there is no such session (``unknown_session``).

        >>> import datetime as dt
        >>> from iptkit import plan_sessions
        >>> plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc), 8, zone="UTC")
        >>> [(s.status.value, s.made_up) for s in plan.miss(4, make_up=True).history(4)]
        [('missed', True), ('planned', False)]
        """
        current = self.sessions[self._index(number, kind)]
        return tuple(
            s for s in self.sessions if s.kind is current.kind and s.number == current.number
        )

    def _index(self, number: int, kind: SessionKind | None) -> int:
        if type(number) is not int:
            raise ValidationError.single(
                "$.number", "wrong_type", "Expected a whole number.", number
            )
        if kind is None:
            kind = SessionKind.PRE_TREATMENT if number == 0 else SessionKind.ACUTE
        for index, session in enumerate(self.sessions):
            if session.kind is kind and session.number == number and not session.made_up:
                return index
        raise ValidationError.single(
            "$.number", "unknown_session", "The schedule has no session with that number."
        )

    # ------------------------------------------------------------------
    # Planning from a contract
    # ------------------------------------------------------------------

    @classmethod
    def from_contract(
        cls,
        contract: TreatmentContract,
        *,
        maintenance: MaintenanceAgreement | None = None,
        if_first_excluded: Literal["refuse", "move"] = "refuse",
    ) -> Schedule:
        """Plan the sessions a treatment contract sets out.

        The acute total is the contract's total after its amendments, which
        the schedule keeps; excluded dates and the missed-session policy come
        from the contract's contingency policy.  A maintenance agreement, if
        given, adds its sessions after the acute course.

        Args:
            contract: the treatment contract.
            maintenance: a maintenance agreement to add after the course.
            if_first_excluded: what to do when the first session falls on
                one of the contract's excluded dates: ``"refuse"`` (the
                default) or ``"move"`` it to the next allowed slot, as for
                :func:`plan_sessions`.

        Raises:
            ValidationError: the first session falls on an excluded date
                (``first_session_excluded``, at ``$.sessions.first_session``);
                the maintenance agreement is in another zone, or starts
                before the acute course ends.
            ScheduleError: the sessions do not fit in ten years.

        >>> import datetime as dt
        >>> from zoneinfo import ZoneInfo
        >>> from iptkit import SessionTerms, TreatmentContract
        >>> from iptkit import FocusArea, Frequency, protocols
        >>> contract = TreatmentContract(
        ...     protocol=protocols.IPT_UK,
        ...     focus_areas=(FocusArea.ROLE_TRANSITION,),
        ...     sessions=SessionTerms(
        ...         total=16,
        ...         frequency=Frequency.WEEKLY,
        ...         minutes=50,
        ...         first_session=dt.datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Europe/London")),
        ...         zone="Europe/London",
        ...     ),
        ... )
        >>> schedule = Schedule.from_contract(contract)
        >>> schedule.total, schedule.missed_policy.value
        (16, 'made_up')
        """
        terms = contract.sessions
        try:
            planned = plan_sessions(
                terms.first_session,
                contract.total,
                zone=terms.zone,
                frequency=terms.frequency,
                exclude=contract.contingency.excluded_dates,
                protocol=contract.protocol,
                minutes=terms.minutes,
                missed_policy=contract.contingency.missed,
                if_first_excluded=if_first_excluded,
            )
        except ValidationError as exc:
            # The contract's own path for its first session.
            raise ValidationError(
                Issue(
                    i.path.replace("$.first_start", "$.sessions.first_session", 1),
                    i.code,
                    i.message,
                    i.input,
                )
                for i in exc.issues
            ) from None
        schedule = planned._rebuilt(
            planned.sessions, contracted_total=terms.total, amendments=contract.amendments
        )
        if maintenance is not None:
            schedule = schedule.add_agreement(maintenance)
        return schedule

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    def hold(self, number: int, *, kind: SessionKind | None = None) -> Schedule:
        """Record that session ``number`` took place; it keeps its phase from now on.

        Args:
            number: the session's number.
            kind: its kind; by default pre-treatment for 0, acute otherwise.

        Raises:
            ValidationError: no such session (``unknown_session``) or it is
                not planned (``already_resolved``).
        """
        index = self._planned_index(number, kind)
        sessions = list(self.sessions)
        sessions[index] = evolve(sessions[index], status=SessionStatus.HELD)
        return evolve(self, sessions=tuple(sessions))

    def miss(
        self,
        number: int,
        *,
        make_up: bool | None = None,
        make_up_at: dt.datetime | None = None,
        kind: SessionKind | None = None,
    ) -> Schedule:
        """Record that the patient missed session ``number`` (rule 4).

        Args:
            number: the session's number.
            make_up: ``False``: the missed session counts, its number is spent
                and the course keeps its end.  ``True``: the session stays in
                :attr:`sessions` marked ``made_up``, and its number and every
                later one of the same kind move one slot on (the end moves
                one slot later).  By default the schedule's :attr:`missed_policy`.
            make_up_at: book the make-up at this time instead (an aware
                datetime, e.g. later the same week): the missed session stays
                marked ``made_up`` and a session with its number is added at
                ``make_up_at``; every other session keeps its time.  It must
                fall after the missed session and before the next one, on a
                day that is not excluded.  Implies ``make_up=True``.
            kind: its kind; by default pre-treatment for 0, acute otherwise.

        A schedule of a group protocol (:attr:`Protocol.format` ``group``)
        is the group's calendar and follows the closed-group rule: a group
        session that falls through counts unless the whole group meets again
        at a time booked with ``make_up_at``; later sessions never shift.  A
        member's absence is recorded on the member (:class:`~iptkit.GroupCourse`),
        not here.

        Raises:
            ValidationError: no such session (``unknown_session``); it is not
                planned (``already_resolved``); ``make_up`` contradicts the
                missed-session policy (``against_missed_policy``) or is needed
                (``missed_policy_needed``); a later session is already held or
                missed (``later_session_resolved``); a pre-treatment contact
                cannot be made up (``cannot_make_up``); a group session would
                shift the later ones (``group_session_shifted``);
                ``make_up_at`` is given with ``make_up=False``
                (``make_up_conflict``), is naive (``naive_datetime``), on an
                excluded date (``excluded_date``) or not between the missed
                session and the next one (``start_order``).
            ScheduleError: the replacement slot would fall after maintenance
                has begun, or does not fit in ten years.

        >>> import datetime as dt
        >>> from iptkit import plan_sessions
        >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> plan = plan_sessions(first, 8, zone="UTC")
        >>> plan.miss(3, make_up=False).end == plan.end
        True
        >>> (plan.miss(3, make_up=True).end - plan.end).days
        7
        >>> later = dt.datetime(2026, 3, 18, 15, tzinfo=dt.timezone.utc)
        >>> booked = plan.miss(3, make_up_at=later)
        >>> booked.end == plan.end, booked.session(3).starts_at.day
        (True, 18)
        >>> booked.session(4) == plan.session(4)
        True
        """
        return self._miss(number, make_up, kind, SessionStatus.MISSED, make_up_at)

    def cancel(
        self,
        number: int,
        *,
        make_up: bool | None = None,
        make_up_at: dt.datetime | None = None,
        kind: SessionKind | None = None,
        by_therapist: bool = False,
    ) -> Schedule:
        """Record that session ``number`` was cancelled; as :meth:`miss` otherwise.

        Args:
            by_therapist: the therapist or the service called it off
                (``cancelled_by_therapist``); by default the patient did
                (``cancelled_by_patient``).
        """
        if type(by_therapist) is not bool:
            raise ValidationError.single(
                "$.by_therapist", "wrong_type", "Expected true or false.", by_therapist
            )
        status = (
            SessionStatus.CANCELLED_BY_THERAPIST
            if by_therapist
            else SessionStatus.CANCELLED_BY_PATIENT
        )
        return self._miss(number, make_up, kind, status, make_up_at)

    def _miss(
        self,
        number: int,
        make_up: bool | None,
        kind: SessionKind | None,
        status: SessionStatus,
        make_up_at: dt.datetime | None = None,
    ) -> Schedule:
        index = self._planned_index(number, kind)
        target = self.sessions[index]
        if make_up is not None and type(make_up) is not bool:
            raise ValidationError.single(
                "$.make_up", "wrong_type", "Expected true or false.", make_up
            )
        if make_up_at is not None:
            if make_up is False:
                raise ValidationError.single(
                    "$.make_up_at",
                    "make_up_conflict",
                    "A make-up time is given for a missed session that is not made up.",
                )
            make_up = True
        group = _closed_group(self.protocol, target.kind)
        if group:
            # The closed-group rule: the group's calendar never shifts.
            if make_up and make_up_at is None:
                raise ValidationError.single(
                    "$.make_up",
                    "group_session_shifted",
                    "A group session is not made up by moving the later ones: book the "
                    "group's make-up with make_up_at, or record an individual contact.",
                )
            make_up = make_up_at is not None
        if target.kind is SessionKind.PRE_TREATMENT:
            # The pre-treatment contact spends no acute number: it always counts.
            if make_up:
                raise ValidationError.single(
                    "$.make_up",
                    "cannot_make_up",
                    "A pre-treatment contact cannot be made up; move it instead.",
                )
            make_up = False
        elif make_up is None:
            if self.missed_policy is None:
                raise ValidationError.single(
                    "$.make_up",
                    "missed_policy_needed",
                    "Say whether the missed session is made up: the schedule has no policy.",
                )
            make_up = self.missed_policy is MissedSessionPolicy.MADE_UP
        elif (
            not group
            and self.missed_policy is not None
            and make_up != (self.missed_policy is MissedSessionPolicy.MADE_UP)
        ):
            raise ValidationError.single(
                "$.make_up",
                "against_missed_policy",
                f"The contract says a missed session {_policy_words(self.missed_policy)}.",
            )
        if not make_up:
            sessions = list(self.sessions)
            sessions[index] = evolve(target, status=status)
            return evolve(self, sessions=tuple(sessions))
        if make_up_at is not None:
            return self._made_up_at(index, status, make_up_at)
        same = [i for i, s in enumerate(self.sessions) if s.kind is target.kind]
        later = [i for i in same if self.sessions[i].number > target.number]
        for i in later:
            if self.sessions[i].status is not SessionStatus.PLANNED:
                raise ValidationError.single(
                    "$.number",
                    "later_session_resolved",
                    "A later session is already recorded, so this one cannot be made up.",
                )
        new_slot = self._next_slot(target.kind)
        slots = [(self.sessions[i].starts_at, self.sessions[i].minutes) for i in later]
        slots.append(new_slot)
        sessions = list(self.sessions)
        moved = [
            evolve(sessions[i], starts_at=start, minutes=minutes)
            for i, (start, minutes) in zip([index, *later], slots, strict=True)
        ]
        for i, session in zip([index, *later], moved, strict=True):
            sessions[i] = session
        sessions.append(evolve(target, status=status, made_up=True))
        return self._rebuilt(sessions)

    def _made_up_at(self, index: int, status: SessionStatus, when: dt.datetime) -> Schedule:
        """Session ``index`` fell through and is made up at ``when``; nothing else moves."""
        target = self.sessions[index]
        start = self._new_start(when, "$.make_up_at")
        later = self.sessions[index + 1] if index + 1 < len(self.sessions) else None
        if start <= target.starts_at or (later is not None and start >= later.starts_at):
            raise ValidationError.single(
                "$.make_up_at",
                "start_order",
                "A make-up must fall after the missed session and before the next one.",
            )
        if target.kind is SessionKind.ACUTE:
            self._check_before_maintenance(start)
        sessions = list(self.sessions)
        sessions[index] = evolve(target, status=status, made_up=True)
        sessions.insert(index + 1, evolve(target, starts_at=start))
        return self._keeping_held_phases(self._rebuilt(sessions), "$.make_up_at")

    def _new_start(self, when: Any, path: str) -> dt.datetime:
        """``when`` in the schedule's zone, if it is an aware time on a day not excluded."""
        if not isinstance(when, dt.datetime) or when.utcoffset() is None:
            raise ValidationError.single(
                path, "naive_datetime", "The time needs a time zone.", when
            )
        try:
            start = when.astimezone(zone_info(self.zone))
        except (OverflowError, ValueError):
            raise ValidationError.single(
                path, "out_of_range", "The time is outside the supported dates.", when
            ) from None
        if start.date() in self.exclude:
            raise ValidationError.single(
                path, "excluded_date", "No session may fall on an excluded date."
            )
        return start

    def _next_slot(self, kind: SessionKind) -> tuple[dt.datetime, int]:
        """The first free slot of ``kind``'s series after its last session or record."""
        times = [s.starts_at for s in self.sessions if s.kind is kind]
        # The maintenance rule (weekday or day of the month, excluded slots moved).
        monthly_by, maintenance = MonthlyBy.DAY_OF_MONTH, kind is SessionKind.MAINTENANCE
        if maintenance:
            plan = self.maintenance[-1]
            anchor, frequency, minutes = plan.first_start, plan.frequency, plan.minutes
            monthly_by = plan.monthly_by
        else:
            anchor, frequency, minutes = self.first_start, self.frequency, self.minutes
        # In UTC: a slot in a daylight-saving fold never equals a time with a
        # fixed offset (PEP 495), so the stored starts are compared as instants.
        taken = {s.starts_at.astimezone(dt.UTC) for s in self.sessions}
        after = max(times)
        while True:
            (start,) = slots_after(
                anchor,
                after,
                1,
                zone=self.zone,
                frequency=frequency,
                exclude=self.exclude,
                monthly_by=monthly_by,
                move_excluded=maintenance,
            )
            if start.astimezone(dt.UTC) not in taken:
                break
            after = start
        if kind is SessionKind.ACUTE:
            self._check_before_maintenance(start)
        return start, minutes

    def _check_before_maintenance(self, start: dt.datetime) -> None:
        """Acute slots must come before every maintenance session, made-up or not.

        And before the first slot of every maintenance block, as the schedule's
        invariants demand (rule 6).
        """
        maintenance = [s.starts_at for s in self.sessions if s.kind is SessionKind.MAINTENANCE]
        maintenance += [plan.first_start for plan in self.maintenance]
        if maintenance and start >= min(maintenance):
            msg = "the acute sessions would run past the start of maintenance; move maintenance"
            raise ScheduleError(msg)

    def _planned_index(self, number: int, kind: SessionKind | None) -> int:
        index = self._index(number, kind)
        if self.sessions[index].status is not SessionStatus.PLANNED:
            raise ValidationError.single(
                "$.number",
                "already_resolved",
                "That session is already recorded as held, missed or cancelled.",
            )
        return index

    def move(self, number: int, to: dt.datetime, *, kind: SessionKind | None = None) -> Schedule:
        """Move planned session ``number`` to start at ``to``.

        The move must keep the numbering: ``to`` lies strictly between the
        sessions before and after it, made-up misses included (rules 1 and
        2), and not on an excluded date (rule 7).

        Raises:
            ValidationError: no such session (``unknown_session``), not planned
                (``already_resolved``), ``to`` is naive (``naive_datetime``),
                on an excluded date (``excluded_date``), out of order
                (``start_order``), or on a day under another total in force
                that would change the phase of a session already held
                (``held_phase_changed``).
        """
        index = self._planned_index(number, kind)
        moved = self._new_start(to, "$.to")
        before = self.sessions[index - 1].starts_at if index > 0 else None
        after = self.sessions[index + 1].starts_at if index + 1 < len(self.sessions) else None
        if (before is not None and moved <= before) or (after is not None and moved >= after):
            raise ValidationError.single(
                "$.to",
                "start_order",
                "A session can only move between the sessions before and after it.",
            )
        sessions = list(self.sessions)
        sessions[index] = evolve(sessions[index], starts_at=moved)
        # Its day may fall under another total in force: phases are derived again.
        return self._keeping_held_phases(self._rebuilt(sessions), "$.to")

    def extend(self, new_total: int, *, on: dt.date, reason: str) -> Schedule:
        """Extend the acute course to ``new_total`` sessions by an amendment (rule 5).

        Allowed up to the day of the last acute session.  New sessions follow
        the last acute one in the series; the phases of the sessions not yet
        held are re-derived for the new total, and never fall behind a phase
        already held: an extension agreed once the termination phase has
        begun lengthens that phase.  The manuals advise against that, so
        :func:`iptkit.check` reports it (``amended_in_termination``), but it
        is not refused.

        Args:
            new_total: the new acute total, above the current one.
            on: the day the extension was agreed.
            reason: why, in words (kept private).

        Raises:
            ValidationError: ``on`` is after the last acute session
                (``amended_after_end``); ``new_total`` is not above the
                current total (``not_an_extension``); agreed on ``on``, it would
                change the phase of a session already held
                (``held_phase_changed``: sessions from ``on`` follow the new
                total); the amendment is invalid.
            ScheduleError: the new sessions would run into maintenance.

        >>> import datetime as dt
        >>> from iptkit import plan_sessions
        >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> plan = plan_sessions(first, 12, zone="UTC").extend(
        ...     16, on=dt.date(2026, 3, 20), reason="Slow response"
        ... )
        >>> plan.total, plan.contracted_total, plan.session(13).phase.value
        (16, 12, 'middle')
        """
        if type(new_total) is not int:
            raise ValidationError.single(
                "$.new_total", "wrong_type", "Expected a whole number.", new_total
            )
        if new_total <= self.total:
            raise ValidationError.single(
                "$.new_total",
                "not_an_extension",
                "An extension must raise the total above the one agreed so far.",
                new_total,
            )
        try:
            amendment = Amendment(agreed_on=on, new_total=new_total, reason=reason)
        except ValidationError as exc:
            raise ValidationError(
                Issue(i.path.replace("$.agreed_on", "$.on"), i.code, i.message, i.input)
                for i in exc.issues
            ) from None
        last = _local_date(self.acute[-1].starts_at, zone_info(self.zone))
        if on > last:
            raise ValidationError.single(
                "$.on",
                "amended_after_end",
                "The total can only change up to the day of the last acute session.",
                on,
            )
        starts = slots_after(
            self.first_start,
            max(s.starts_at for s in self.sessions if s.kind is SessionKind.ACUTE),
            new_total - self.total,
            zone=self.zone,
            frequency=self.frequency,
            exclude=self.exclude,
        )
        self._check_before_maintenance(starts[-1])
        added = [
            ScheduledSession(
                kind=SessionKind.ACUTE,
                number=self.total + offset + 1,
                starts_at=start,
                minutes=self.minutes,
                phase=Phase.TERMINATION,
            )
            for offset, start in enumerate(starts)
        ]
        extended = self._rebuilt([*self.sessions, *added], amendments=(*self.amendments, amendment))
        return self._keeping_held_phases(extended, "$.on")

    def add_maintenance(
        self,
        count: int,
        *,
        frequency: Frequency = Frequency.MONTHLY,
        first_start: dt.datetime | None = None,
        minutes: int | None = None,
        agreed_on: dt.date | None = None,
        monthly_by: MonthlyBy = MonthlyBy.WEEKDAY,
    ) -> Schedule:
        """Add ``count`` maintenance sessions after every other session (rule 6).

        They are numbered on from the last maintenance session (M1..Mk for
        the first block).  A monthly block keeps the weekday and week of the
        month of its first slot ("the second Tuesday"; from a fifth week, "the
        last Friday"), or its day of the month.  A monthly session that would
        fall on an excluded day moves to the next allowed day of that rule:
        the same weekday a week later, or the next day (one that would move
        as far as the next month's slot takes that slot, and the block runs a
        month longer); a session of another frequency on an excluded day is
        dropped and the block runs one slot longer.

        Args:
            count: how many sessions.
            frequency: how often they recur (monthly by default, domain
                reference §3.3).
            first_start: start of the first slot; by default one ``frequency``
                step after the last session (for a monthly block, by
                ``monthly_by`` from that session).
            minutes: length of a session; by default that of acute sessions.
            agreed_on: the day the maintenance was agreed.
            monthly_by: for a monthly block only: :attr:`MonthlyBy.WEEKDAY
                <iptkit.MonthlyBy.WEEKDAY>` (the default) or
                :attr:`MonthlyBy.DAY_OF_MONTH <iptkit.MonthlyBy.DAY_OF_MONTH>`.

        Raises:
            ValidationError: ``first_start`` is not after the last session
                (``maintenance_before_acute``), or an argument is invalid.
            ScheduleError: the sessions do not fit in ten years.

        >>> import datetime as dt
        >>> from iptkit import MonthlyBy, plan_sessions
        >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> plan = plan_sessions(first, 8, zone="UTC")  # the last on Monday 2026-04-20
        >>> kept = plan.add_maintenance(3)  # the third Monday of each month
        >>> [(s.label, s.starts_at.date().isoformat()) for s in kept.maintenance_sessions]
        [('M1', '2026-05-18'), ('M2', '2026-06-15'), ('M3', '2026-07-20')]
        >>> by_day = plan.add_maintenance(3, monthly_by=MonthlyBy.DAY_OF_MONTH)
        >>> [s.starts_at.date().isoformat() for s in by_day.maintenance_sessions]
        ['2026-05-20', '2026-06-20', '2026-07-20']
        """
        plan_minutes = self.minutes if minutes is None else minutes
        values = {
            "count": count,
            "frequency": frequency,
            "minutes": plan_minutes,
            "monthly_by": monthly_by,
        }
        # The plan's own checks: a date and an aware datetime within the supported years.
        if agreed_on is not None:
            values["agreed_on"] = agreed_on
        if first_start is not None:
            values["first_start"] = first_start
        issues = check_fields(MaintenancePlan, values)
        if issues:
            raise ValidationError(issues)
        last = self.sessions[-1].starts_at
        if first_start is None:
            # The block's first slot, excluded or not: an excluded one moves
            # (monthly) or is dropped, as any other slot of the block.
            anchor = next_anchor(
                last, last, zone=self.zone, frequency=frequency, monthly_by=monthly_by
            )
        else:
            if first_start <= last:
                raise ValidationError.single(
                    "$.first_start",
                    "maintenance_before_acute",
                    "Maintenance sessions must start after every earlier session.",
                )
            anchor = first_start
        starts = recurrence_starts(
            anchor,
            count,
            zone=self.zone,
            frequency=frequency,
            exclude=self.exclude,
            monthly_by=monthly_by,
            move_excluded=True,
        )
        plan = MaintenancePlan(
            first_start=anchor,
            frequency=frequency,
            monthly_by=monthly_by,
            minutes=plan_minutes,
            count=count,
            agreed_on=agreed_on,
        )
        added = [
            ScheduledSession(
                kind=SessionKind.MAINTENANCE,
                number=offset + 1,
                starts_at=start,
                minutes=plan_minutes,
                phase=Phase.MAINTENANCE,
            )
            for offset, start in enumerate(starts)
        ]
        return self._rebuilt([*self.sessions, *added], maintenance=(*self.maintenance, plan))

    def add_agreement(self, agreement: MaintenanceAgreement) -> Schedule:
        """Add the sessions of a maintenance agreement (rule 6).

        Raises:
            ValidationError: the agreement is in another zone (``zone_mismatch``)
                or starts before the last session (``maintenance_before_acute``).
            ScheduleError: the sessions do not fit in ten years.
        """
        if agreement.zone != self.zone:
            raise ValidationError.single(
                "$.zone", "zone_mismatch", "The agreement is in another time zone."
            )
        count = agreement.count
        if count is None:
            count = max(1, len(agreement.session_starts()))
        return self.add_maintenance(
            count,
            frequency=agreement.frequency,
            first_start=agreement.first_session,
            minutes=agreement.minutes,
            agreed_on=agreement.agreed_on,
            monthly_by=agreement.monthly_by,
        )

    def rebuild(self) -> Schedule:
        """Re-derive every number and phase from the session records (rule 8).

        Sessions are ordered by start time and numbered within their kind;
        phases of acute sessions not held come from the number, the total and
        the protocol.  For a valid schedule the result equals the schedule.

        >>> import datetime as dt
        >>> from iptkit import plan_sessions
        >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> plan = plan_sessions(first, 8, zone="UTC").hold(1).miss(2, make_up=True)
        >>> plan.rebuild() == plan
        True
        """
        return self._rebuilt(self.sessions)

    def _keeping_held_phases(self, changed: Schedule, path: str) -> Schedule:
        """``changed``, unless it gives a session already held another phase (rule 5)."""
        phases = {(s.kind, s.number, s.made_up): s.phase for s in changed.sessions}
        for session in self.sessions:
            key = (session.kind, session.number, session.made_up)
            if session.status is SessionStatus.HELD and phases[key] is not session.phase:
                raise ValidationError.single(
                    path,
                    "held_phase_changed",
                    "The change would give a session already held another phase: sessions "
                    "from the day of an amendment follow its total.",
                )
        return changed

    def _rebuilt(self, sessions: Iterable[ScheduledSession], **changes: Any) -> Schedule:
        """A copy with ``changes`` whose ``sessions`` are renumbered and rephased."""
        total_on = _total_on(
            changes.get("contracted_total", self.contracted_total),
            changes.get("amendments", self.amendments),
        )
        derived = _derive(sessions, self.protocol, total_on)
        return evolve(self, sessions=derived, **changes)

    # ------------------------------------------------------------------
    # Invariants (arithmetic only: no recurrence on the load path)
    # ------------------------------------------------------------------

    def _invariants(self) -> Iterator[Issue]:
        # The zone, excluded dates and amendments are checked on their own as
        # field rules; the rules below need a zone they can use.
        try:
            info = zone_info(self.zone)
        except ValidationError:
            info = None
        sequence = list(sequence_issues(self.sessions))
        yield from sequence
        yield from _count_issues(self)
        yield from _made_up_issues(self)
        yield from _series_issues(self)
        if not sequence:
            yield from phase_issues(self.sessions, protocol=self.protocol, total_on=self.total_on)
        yield from _amendment_issues(self, info)
        if info is not None and self.exclude:
            yield from _excluded_issues(self, info)


def _closed_group(protocol: Protocol, kind: SessionKind) -> bool:
    """Whether the closed-group rule, not the missed-session policy, governs a session.

    A group protocol's acute sessions are the group's calendar: one that falls
    through counts unless the whole group meets again at a booked time.
    """
    return protocol.format is Format.GROUP and kind is SessionKind.ACUTE


def _policy_words(policy: MissedSessionPolicy) -> str:
    return "counts" if policy is MissedSessionPolicy.COUNTS else "is made up"


def _made_up_issues(schedule: Schedule) -> Iterator[Issue]:
    """Rule 4 as the schedule's own operations keep it.

    A made-up miss is followed by the session that took its number, and the
    missed-session policy, when there is one, is kept (a group protocol's
    calendar follows the closed-group rule instead, see :meth:`Schedule.miss`):
    no made-up miss under ``counts``, no counted miss of an acute session under ``made_up`` (the
    policy is the treatment contract's; maintenance is agreed separately and
    a missed maintenance session may count).
    """
    sessions = schedule.sessions
    for index, session in enumerate(sessions):
        if session.kind is SessionKind.PRE_TREATMENT or not session.status.fell_through:
            continue
        # The closed-group rule: a group session that falls through counts,
        # unless the whole group met again at a booked time (a made-up row).
        policy = None if _closed_group(schedule.protocol, session.kind) else schedule.missed_policy
        if session.made_up:
            if not any(
                later.kind is session.kind and later.number == session.number and not later.made_up
                for later in sessions[index + 1 :]
            ):
                yield Issue(
                    f"$.sessions[{index}].made_up",
                    "number_sequence",
                    "A made-up session must be followed by the session that took its number.",
                )
            if policy is MissedSessionPolicy.COUNTS:
                yield Issue(
                    f"$.sessions[{index}].made_up",
                    "against_missed_policy",
                    "The schedule's policy says a missed session counts, not that it is made up.",
                )
        elif policy is MissedSessionPolicy.MADE_UP and session.kind is SessionKind.ACUTE:
            yield Issue(
                f"$.sessions[{index}].made_up",
                "against_missed_policy",
                "The schedule's policy says a missed session is made up, not that it counts.",
            )


def _series_issues(schedule: Schedule) -> Iterator[Issue]:
    """The anchor of the acute series agrees with the sessions it planned.

    The series starts no later than its second acute session that spends a
    number (session 1 may have moved, but only between its neighbours, and a
    made-up miss of it may be made up before session 2).  A maintenance block's
    anchor is not held to the acute sessions: its sessions are (rule 6), and
    a moved maintenance session may leave the anchor behind.
    """
    acute = [s.starts_at for s in schedule.acute]  # made-up misses left out
    if len(acute) >= 2 and schedule.first_start > acute[1]:
        yield Issue(
            "$.first_start",
            "start_order",
            "The first slot of the series comes after the second acute session.",
        )


def _count_issues(schedule: Schedule) -> Iterator[Issue]:
    """Rules 1 and 6: the schedule holds exactly the agreed acute and maintenance sessions."""
    acute = len(schedule.acute)
    if acute != schedule.total:
        yield Issue(
            "$.sessions",
            "session_count",
            "The schedule holds more or fewer acute sessions than the agreed total.",
        )
    maintenance = len(schedule.maintenance_sessions)
    agreed = sum(plan.count for plan in schedule.maintenance)
    if maintenance != agreed:
        yield Issue(
            "$.sessions",
            "session_count",
            "The schedule holds more or fewer maintenance sessions than its plans agree.",
        )


def _local_date(moment: dt.datetime, info: Any) -> dt.date:
    """The calendar date of ``moment`` in zone ``info`` (its own date at the limits)."""
    if info is None:
        return moment.date()
    try:
        return moment.astimezone(info).date()
    except (OverflowError, ValueError):
        return moment.date()


def _amendment_issues(schedule: Schedule, info: Any) -> Iterator[Issue]:
    """Rule 5: no amendment agreed after the last acute session of the total it changes.

    Judged on the schedule's own dates, made-up misses and moves included.
    An amendment agreed once the termination phase has begun is allowed: it
    is a finding (``amended_in_termination``), not an invariant.
    """
    if not schedule.amendments:
        return
    days = {
        s.number: _local_date(s.starts_at, info)
        for s in schedule.sessions
        if s.kind is SessionKind.ACUTE and not s.made_up
    }
    in_force = schedule.contracted_total
    for index, amendment in enumerate(schedule.amendments):
        last = days.get(in_force)
        if last is not None and amendment.agreed_on > last:
            yield Issue(
                f"$.amendments[{index}].agreed_on",
                "amended_after_end",
                "The total can only change up to the day of the last acute session.",
            )
        in_force = amendment.new_total


def _excluded_issues(schedule: Schedule, info: Any) -> Iterator[Issue]:
    """Rule 7: no session, made-up misses included, on an excluded date."""
    excluded = frozenset(schedule.exclude)
    for index, session in enumerate(schedule.sessions):
        if _local_date(session.starts_at, info) in excluded:
            yield Issue(
                f"$.sessions[{index}].starts_at",
                "excluded_date",
                "No session may fall on an excluded date.",
            )


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------


def plan_sessions(
    first_start: dt.datetime,
    total: int,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
    protocol: Protocol = STANDARD,
    minutes: int | None = None,
    missed_policy: MissedSessionPolicy | None = None,
    if_first_excluded: Literal["refuse", "move"] = "refuse",
) -> Schedule:
    """Plan ``total`` acute sessions from ``first_start``.

    Every session keeps the local wall-clock time of ``first_start`` in
    ``zone`` across daylight-saving changes: on a day the clocks skip that
    time the session moves forward by the gap, and on a day they repeat it
    the session takes its first occurrence.  No session falls on an excluded
    date: that slot is skipped and later sessions follow on.  A first start
    on an excluded date is refused unless ``if_first_excluded="move"`` asks
    for session 1 in the next allowed slot.  If the protocol has a
    pre-treatment contact, it is planned one slot before session 1 and
    numbered 0; acute numbering still starts at 1.

    Args:
        first_start: aware start of the first slot of the series.  Its
            wall-clock time is the one written when the zone reads it as the
            same instant (01:30 on a day the clocks skip 01:30 stays 01:30),
            else its local time in ``zone``.
        total: contracted acute sessions (at least 3).
        zone: IANA zone, e.g. ``"Europe/London"``.
        frequency: how often sessions recur.
        exclude: days (in ``zone``) without sessions, in any order, none
            twice; the schedule keeps them in date order.
        protocol: the protocol variant; fixes the phases.
        minutes: length of a session; by default the protocol's longest.
        missed_policy: whether missed sessions count or are made up; by
            default decided at each :meth:`Schedule.miss`.
        if_first_excluded: ``"refuse"`` (the default): a ``first_start`` on
            an excluded date is an error; ``"move"``: session 1 takes the
            next allowed slot of the series.

    Raises:
        ValidationError: an argument is invalid (naive ``first_start``,
            unknown zone, total below 3, an excluded date listed twice
            (``duplicate_value``), ...), or ``first_start`` falls on an
            excluded date (``first_session_excluded``).
        ScheduleError: the sessions do not fit in ten years.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York"))
    >>> plan = plan_sessions(first, 16, zone="America/New_York")
    >>> [s.starts_at.isoformat() for s in plan.sessions[:2]]
    ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']
    >>> [s.phase.value for s in plan.sessions][2:4]
    ['initial', 'middle']
    >>> holiday = dt.date(2026, 3, 2)
    >>> try:
    ...     plan_sessions(first, 16, zone="America/New_York", exclude=[holiday])
    ... except ValidationError as exc:
    ...     print([(issue.path, issue.code) for issue in exc.issues])
    [('$.first_start', 'first_session_excluded')]
    >>> moved = plan_sessions(
    ...     first, 16, zone="America/New_York", exclude=[holiday], if_first_excluded="move"
    ... )
    >>> moved.sessions[0].starts_at.date().isoformat()
    '2026-03-09'
    """
    if minutes is None:
        session_minutes = protocol.max_minutes if isinstance(protocol, Protocol) else 50
    else:
        session_minutes = minutes
    days = tuple(exclude) if not isinstance(exclude, str) else exclude
    values = {
        "protocol": protocol,
        "zone": zone,
        "first_start": first_start,
        "frequency": frequency,
        "minutes": session_minutes,
        "contracted_total": total,
        "exclude": days,
        "missed_policy": missed_policy,
    }
    issues = [
        Issue(
            issue.path.replace("$.contracted_total", "$.total"),
            issue.code,
            issue.message,
            issue.input,
        )
        for issue in check_fields(Schedule, values, rules=True)
    ]
    if type(if_first_excluded) is not str or if_first_excluded not in ("refuse", "move"):
        issues.append(
            Issue(
                "$.if_first_excluded",
                "invalid_value",
                'Expected "refuse" or "move".',
                if_first_excluded,
            )
        )
    if not issues:
        try:
            zone_info(zone)
        except ValidationError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ValidationError(issues)
    excluded = days_in_order(days)
    first_local = in_zone(first_start, zone)
    if if_first_excluded == "refuse" and first_local.date() in excluded:
        raise ValidationError.single(
            "$.first_start",
            "first_session_excluded",
            "The first session falls on an excluded date; choose another first start, or "
            'pass if_first_excluded="move" to begin in the next allowed slot.',
            first_start,
        )
    starts = recurrence_starts(first_start, total, zone=zone, frequency=frequency, exclude=excluded)
    sessions = [
        ScheduledSession(
            kind=SessionKind.ACUTE,
            number=index + 1,
            starts_at=start,
            minutes=session_minutes,
            phase=Phase.INITIAL,
        )
        for index, start in enumerate(starts)
    ]
    if protocol.pre_treatment:
        before = slot_before(
            first_start, starts[0], zone=zone, frequency=frequency, exclude=excluded
        )
        sessions.insert(
            0,
            ScheduledSession(
                kind=SessionKind.PRE_TREATMENT,
                number=0,
                starts_at=before,
                minutes=session_minutes,
                phase=None,
            ),
        )
    return Schedule(
        protocol=protocol,
        zone=zone,
        first_start=first_local,
        frequency=frequency,
        minutes=session_minutes,
        contracted_total=total,
        exclude=excluded,
        missed_policy=missed_policy,
        sessions=_derive(sessions, protocol, lambda _: total),
    )
