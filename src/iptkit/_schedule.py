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
from typing import Any

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
from iptkit._ordering import in_date_order
from iptkit._protocol import (
    MIN_ACUTE_SESSIONS,
    STANDARD,
    Frequency,
    Phase,
    Protocol,
)
from iptkit._recurrence import recurrence_starts, slot_before, slots_after, zone_info
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
    agreement made after the acute course.
    """

    first_start: dt.datetime = field(doc="Start of the block's first slot (aware).")
    frequency: Frequency = field(default=Frequency.MONTHLY, doc="How often sessions recur.")
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
        doc="Days in the zone on which no session falls, in order.",
        rules=[in_date_order("Excluded dates", unique=True)],
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
    ) -> Schedule:
        """Plan the sessions a treatment contract sets out.

        The acute total is the contract's total after its amendments, which
        the schedule keeps; excluded dates and the missed-session policy come
        from the contract's contingency policy.  A maintenance agreement, if
        given, adds its sessions after the acute course.

        Raises:
            ValidationError: the maintenance agreement is in another zone, or
                starts before the acute course ends.
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
        planned = plan_sessions(
            terms.first_session,
            contract.total,
            zone=terms.zone,
            frequency=terms.frequency,
            exclude=contract.contingency.excluded_dates,
            protocol=contract.protocol,
            minutes=terms.minutes,
            missed_policy=contract.contingency.missed,
        )
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
            ValidationError: no such session (``unknown_session``), it is not
                planned (``already_resolved``), or it would be a held
                termination session dated before an amendment
                (``amended_after_termination``).
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
            kind: its kind; by default pre-treatment for 0, acute otherwise.

        Raises:
            ValidationError: no such session (``unknown_session``); it is not
                planned (``already_resolved``); ``make_up`` contradicts the
                missed-session policy (``against_missed_policy``) or is needed
                (``missed_policy_needed``); a later session is already held or
                missed (``later_session_resolved``); a pre-treatment contact
                cannot be made up (``cannot_make_up``).
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
        """
        return self._miss(number, make_up, kind, SessionStatus.MISSED)

    def cancel(
        self,
        number: int,
        *,
        make_up: bool | None = None,
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
        return self._miss(number, make_up, kind, status)

    def _miss(
        self,
        number: int,
        make_up: bool | None,
        kind: SessionKind | None,
        status: SessionStatus,
    ) -> Schedule:
        index = self._planned_index(number, kind)
        target = self.sessions[index]
        if make_up is not None and type(make_up) is not bool:
            raise ValidationError.single(
                "$.make_up", "wrong_type", "Expected true or false.", make_up
            )
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
        elif self.missed_policy is not None and make_up != (
            self.missed_policy is MissedSessionPolicy.MADE_UP
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

    def _next_slot(self, kind: SessionKind) -> tuple[dt.datetime, int]:
        """The first free slot of ``kind``'s series after its last session or record."""
        times = [s.starts_at for s in self.sessions if s.kind is kind]
        if kind is SessionKind.MAINTENANCE:
            plan = self.maintenance[-1]
            anchor, frequency, minutes = plan.first_start, plan.frequency, plan.minutes
        else:
            anchor, frequency, minutes = self.first_start, self.frequency, self.minutes
        taken = {s.starts_at for s in self.sessions}
        after = max(times)
        while True:
            (start,) = slots_after(
                anchor, after, 1, zone=self.zone, frequency=frequency, exclude=self.exclude
            )
            if start not in taken:
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
        if not isinstance(to, dt.datetime) or to.utcoffset() is None:
            raise ValidationError.single(
                "$.to", "naive_datetime", "The new start needs a time zone.", to
            )
        try:
            moved = to.astimezone(zone_info(self.zone))
        except (OverflowError, ValueError):
            raise ValidationError.single(
                "$.to", "out_of_range", "The new start is outside the supported dates.", to
            ) from None
        if moved.date() in self.exclude:
            raise ValidationError.single(
                "$.to", "excluded_date", "No session may fall on an excluded date."
            )
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

        Allowed only before a termination-phase session is held.  New
        sessions follow the last acute one in the series; the phases of the
        sessions not yet held are re-derived for the new total.

        Args:
            new_total: the new acute total, above the current one.
            on: the day the extension was agreed.
            reason: why, in words (kept private).

        Raises:
            ValidationError: a termination-phase session is held
                (``termination_started``); ``new_total`` is not above the
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
        for session in self.acute:
            if session.status is SessionStatus.HELD and session.phase is Phase.TERMINATION:
                raise ValidationError.single(
                    "$",
                    "termination_started",
                    "The course can only be extended before a termination-phase session is held.",
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
    ) -> Schedule:
        """Add ``count`` maintenance sessions after every other session (rule 6).

        They are numbered on from the last maintenance session (M1..Mk for
        the first block) and skip excluded dates.

        Args:
            count: how many sessions.
            frequency: how often they recur (monthly by default, domain
                reference §3.3).
            first_start: start of the first one; by default one ``frequency``
                step after the last session.
            minutes: length of a session; by default that of acute sessions.
            agreed_on: the day the maintenance was agreed.

        Raises:
            ValidationError: ``first_start`` is not after the last session
                (``maintenance_before_acute``), or an argument is invalid.
            ScheduleError: the sessions do not fit in ten years.

        >>> import datetime as dt
        >>> from iptkit import plan_sessions
        >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> plan = plan_sessions(first, 8, zone="UTC").add_maintenance(3)
        >>> [(s.label, s.starts_at.date().isoformat()) for s in plan.maintenance_sessions]
        [('M1', '2026-05-20'), ('M2', '2026-06-20'), ('M3', '2026-07-20')]
        """
        plan_minutes = self.minutes if minutes is None else minutes
        values = {"count": count, "frequency": frequency, "minutes": plan_minutes}
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
            (start,) = slots_after(
                last, last, 1, zone=self.zone, frequency=frequency, exclude=self.exclude
            )
            anchor = start
        else:
            if first_start <= last:
                raise ValidationError.single(
                    "$.first_start",
                    "maintenance_before_acute",
                    "Maintenance sessions must start after every earlier session.",
                )
            anchor = first_start
        starts = recurrence_starts(
            anchor, count, zone=self.zone, frequency=frequency, exclude=self.exclude
        )
        plan = MaintenancePlan(
            first_start=anchor,
            frequency=frequency,
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


def _policy_words(policy: MissedSessionPolicy) -> str:
    return "counts" if policy is MissedSessionPolicy.COUNTS else "is made up"


def _made_up_issues(schedule: Schedule) -> Iterator[Issue]:
    """Rule 4 as the schedule's own operations keep it.

    A made-up miss is followed by the session that took its number, and the
    missed-session policy, when there is one, is kept: no made-up miss under
    ``counts``, no counted miss of an acute session under ``made_up`` (the
    policy is the treatment contract's; maintenance is agreed separately and
    a missed maintenance session may count).
    """
    policy = schedule.missed_policy
    sessions = schedule.sessions
    for index, session in enumerate(sessions):
        if session.kind is SessionKind.PRE_TREATMENT or not session.status.fell_through:
            continue
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

    The series starts no later than its second acute session (session 1 may
    have moved, but only between its neighbours).  A maintenance block's
    anchor is not held to the acute sessions: its sessions are (rule 6), and
    a moved maintenance session may leave the anchor behind.
    """
    acute = [s.starts_at for s in schedule.sessions if s.kind is SessionKind.ACUTE]
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
    """Rule 5: no amendment agreed after a termination-phase session was held."""
    if not schedule.amendments:
        return
    held = [
        _local_date(s.starts_at, info)
        for s in schedule.sessions
        if s.kind is SessionKind.ACUTE
        and s.status is SessionStatus.HELD
        and s.phase is Phase.TERMINATION
    ]
    if not held:
        return
    first = min(held)
    for index, amendment in enumerate(schedule.amendments):
        if amendment.agreed_on > first:
            yield Issue(
                f"$.amendments[{index}].agreed_on",
                "amended_after_termination",
                "The total can only change before a termination-phase session is held.",
            )


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
) -> Schedule:
    """Plan ``total`` acute sessions from ``first_start``.

    Every session keeps the local wall-clock time of ``first_start`` in
    ``zone`` across daylight-saving changes.  No session falls on an excluded
    date: that slot is skipped and later sessions follow on.  If the protocol
    has a pre-treatment contact, it is planned one slot before session 1 and
    numbered 0; acute numbering still starts at 1.

    Args:
        first_start: aware start of the first slot of the series.
        total: contracted acute sessions (at least 3).
        zone: IANA zone, e.g. ``"Europe/London"``.
        frequency: how often sessions recur.
        exclude: days (in ``zone``) without sessions.
        protocol: the protocol variant; fixes the phases.
        minutes: length of a session; by default the protocol's longest.
        missed_policy: whether missed sessions count or are made up; by
            default decided at each :meth:`Schedule.miss`.

    Raises:
        ValidationError: an argument is invalid (naive ``first_start``,
            unknown zone, total below 3, ...).
        ScheduleError: the sessions do not fit in ten years.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York"))
    >>> plan = plan_sessions(first, 16, zone="America/New_York")
    >>> [s.starts_at.isoformat() for s in plan.sessions[:2]]
    ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']
    >>> [s.phase.value for s in plan.sessions][2:4]
    ['initial', 'middle']
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
        for issue in check_fields(Schedule, values)
    ]
    if not issues:
        try:
            zone_info(zone)
        except ValidationError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ValidationError(issues)
    excluded = tuple(sorted(set(days)))
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
        first_start=first_start.astimezone(zone_info(zone)),
        frequency=frequency,
        minutes=session_minutes,
        contracted_total=total,
        exclude=excluded,
        missed_policy=missed_policy,
        sessions=_derive(sessions, protocol, lambda _: total),
    )
