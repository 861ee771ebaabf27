"""The eight session-numbering rules, guarded by a stateful property test.

A hypothesis state machine plans a course (from plan_sessions arguments or
from a treatment contract), then applies random sequences of hold, miss
(counted or made up), cancel, move, extend and add-maintenance operations.
After every step it checks each numbering rule of the design with its own
checker (written independently of the schedule's invariants), the JSON
round trip, and that rebuilding from the records changes nothing.  It also
builds a treatment course whose records are the schedule's sessions
(``SessionRecord.from_scheduled``) and holds it to the same rules: the course
and its schedule must agree.  An operation the rules forbid must raise
ValidationError or ScheduleError and leave the schedule as it was.

First sessions are drawn on ordinary days and at wall-clock times that a
daylight-saving change skips or repeats (taken from the real transitions of
a few zones, some at midnight or by half an hour).  Every slot the schedule
plans itself must then keep the series' wall-clock time, read one way: a
time in a gap moves forward by the gap, a repeated time takes its first
occurrence.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import iptkit
from iptkit import (
    Format,
    Frequency,
    MissedSessionPolicy,
    MonthlyBy,
    Phase,
    Schedule,
    ScheduledSession,
    ScheduleError,
    SessionKind,
    SessionRecord,
    SessionStatus,
    TreatmentCourse,
    ValidationError,
    evolve,
    phase_of,
    plan_sessions,
)
from iptkit.testing import builtin_protocols, contracts, session_starts
from iptkit.testing._schedule import DST_ZONES

_ACUTE_PHASES = (Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION)


def _local_date(schedule: Schedule, moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(schedule.zone)).date()


def _of_kind(schedule: Schedule, kind: SessionKind) -> list[ScheduledSession]:
    """The sessions of ``kind`` that spend a number (made-up misses left out)."""
    return [s for s in schedule.sessions if s.kind is kind and not s.made_up]


def _fell_through(session: ScheduledSession) -> bool:
    return session.status not in (SessionStatus.PLANNED, SessionStatus.HELD)


def _in_force(schedule: Schedule, day: dt.date) -> int:
    total = schedule.contracted_total
    for amendment in schedule.amendments:
        if amendment.agreed_on <= day:
            total = amendment.new_total
    return total


def _rule_3_phases(
    schedule: Schedule,
    total_on: Callable[[dt.date], int],
    sessions: list[ScheduledSession] | None = None,
) -> list[tuple[ScheduledSession, Phase]]:
    """Each acute row with the phase rule 3 gives it: by number, total in force, protocol.

    Phases never go backwards down the rows, made-up misses included.
    ``sessions`` replaces the schedule's own (in start order) to ask "what if".
    """
    floor = 0
    found = []
    for session in schedule.sessions if sessions is None else sessions:
        if session.kind is not SessionKind.ACUTE:
            continue
        total = max(total_on(_local_date(schedule, session.starts_at)), session.number)
        plain = phase_of(session.number, total, schedule.protocol)
        floor = max(floor, plain.order)
        found.append((session, _ACUTE_PHASES[floor]))
    return found


# --------------------------------------------------------------------------
# One checker per rule (design.md, "Session-numbering rules")
# --------------------------------------------------------------------------


def check_rule_1_acute_numbers_consecutive_within_total(schedule: Schedule) -> None:
    """Acute sessions are 1..n in start order, and n is the agreed total."""
    acute = sorted(_of_kind(schedule, SessionKind.ACUTE), key=lambda s: s.starts_at)
    assert [s.number for s in acute] == list(range(1, len(acute) + 1))
    expected_total = (
        schedule.amendments[-1].new_total if schedule.amendments else schedule.contracted_total
    )
    assert len(acute) == expected_total == schedule.total


def check_rule_2_unique_numbers_and_increasing_starts(schedule: Schedule) -> None:
    """No two sessions share a number or a start; starts rise with the number."""
    starts = [s.starts_at for s in schedule.sessions]
    assert len(set(starts)) == len(starts)
    for before, after in zip(schedule.sessions, schedule.sessions[1:], strict=False):
        assert before.starts_at < after.starts_at
    for kind in SessionKind:
        numbers = [s.number for s in _of_kind(schedule, kind)]
        assert numbers == sorted(set(numbers))
    pre = _of_kind(schedule, SessionKind.PRE_TREATMENT)
    assert [s.number for s in pre] in ([], [0])
    if pre:
        assert pre[0] is schedule.sessions[0]


def check_rule_3_phases_follow_number_total_and_protocol(schedule: Schedule) -> None:
    """Acute phases come from phase_of under the total in force; never backwards."""
    for session, phase in _rule_3_phases(schedule, lambda day: _in_force(schedule, day)):
        assert session.phase is phase
    for session in schedule.sessions:
        if session.kind is SessionKind.MAINTENANCE:
            assert session.phase is Phase.MAINTENANCE
        elif session.kind is SessionKind.PRE_TREATMENT:
            assert session.phase is None


def check_rule_4_missed_sessions_follow_the_policy(schedule: Schedule) -> None:
    """A counted miss spends its number; a made-up one hands it to the next slot."""
    made_up = [s for s in schedule.sessions if s.made_up]
    for row in made_up:
        assert _fell_through(row)
        assert row.kind is not SessionKind.PRE_TREATMENT
        # The number moved on: a later row of the same kind spends it.
        assert any(
            s.kind is row.kind and s.number == row.number and s.starts_at > row.starts_at
            for s in _of_kind(schedule, row.kind)
        )
    policy = schedule.missed_policy
    # The closed-group rule: a group session counts unless the group meets again.
    group = schedule.protocol.format is Format.GROUP
    made_up = [s for s in made_up if not (group and s.kind is SessionKind.ACUTE)]
    counted = [
        s
        for s in schedule.sessions
        if s.kind is not SessionKind.PRE_TREATMENT
        and _fell_through(s)
        and not s.made_up
        and not (group and s.kind is SessionKind.ACUTE)
    ]
    if policy is MissedSessionPolicy.COUNTS:
        assert not made_up
    if policy is MissedSessionPolicy.MADE_UP:
        assert not counted


def check_rule_5_amendments_up_to_the_last_session(schedule: Schedule) -> None:
    """Amendments are in date order, each by the day of the last session of the total it changes.

    One agreed once the termination phase has begun is allowed (a finding).
    """
    days = [a.agreed_on for a in schedule.amendments]
    assert days == sorted(days)
    acute = {s.number: s for s in _of_kind(schedule, SessionKind.ACUTE) if not s.made_up}
    in_force = schedule.contracted_total
    for amendment in schedule.amendments:
        last = acute.get(in_force)
        if last is not None:
            assert amendment.agreed_on <= _local_date(schedule, last.starts_at)
        in_force = amendment.new_total


def check_rule_6_maintenance_numbered_after_acute(schedule: Schedule) -> None:
    """Maintenance sessions are M1..Mk and all start after the last acute session."""
    maintenance = _of_kind(schedule, SessionKind.MAINTENANCE)
    assert [s.label for s in maintenance] == [f"M{k}" for k in range(1, len(maintenance) + 1)]
    assert len(maintenance) == sum(plan.count for plan in schedule.maintenance)
    last_acute = max(s.starts_at for s in _of_kind(schedule, SessionKind.ACUTE))
    assert all(s.starts_at > last_acute for s in maintenance)


def check_rule_7_no_session_on_an_excluded_day(schedule: Schedule) -> None:
    """No session, made-up misses included, falls on an excluded date (in the zone)."""
    excluded = set(schedule.exclude)
    for start in [s.starts_at for s in schedule.sessions]:
        assert _local_date(schedule, start) not in excluded


def check_rule_8_rebuild_is_idempotent(schedule: Schedule) -> None:
    """Rebuilding from the records gives the same numbers and phases (and is stable)."""
    rebuilt = schedule.rebuild()
    assert rebuilt == schedule
    assert rebuilt.rebuild() == rebuilt


RULES: tuple[Callable[[Schedule], None], ...] = (
    check_rule_1_acute_numbers_consecutive_within_total,
    check_rule_2_unique_numbers_and_increasing_starts,
    check_rule_3_phases_follow_number_total_and_protocol,
    check_rule_4_missed_sessions_follow_the_policy,
    check_rule_5_amendments_up_to_the_last_session,
    check_rule_6_maintenance_numbered_after_acute,
    check_rule_7_no_session_on_an_excluded_day,
    check_rule_8_rebuild_is_idempotent,
)


def check_all_rules(schedule: Schedule) -> None:
    """Run every rule checker."""
    for check in RULES:
        check(schedule)


# --------------------------------------------------------------------------
# The state machine
# --------------------------------------------------------------------------


#: Zones whose clocks change: at 01:00 UTC, at 02:00 or 03:00 local time, at
#: midnight (Havana, Santiago) and by half an hour (Lord Howe Island).
TRANSITION_ZONES: tuple[str, ...] = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
)


@functools.cache
def odd_wall_times() -> tuple[tuple[str, dt.datetime], ...]:
    """Wall-clock times (zone, naive) that a real change of 2020-2030 skips or repeats.

    Found by scanning each zone's UTC offset day by day, then in quarter
    hours; each transition gives the quarter hours of its gap or fold.
    """
    found = []
    for zone in TRANSITION_ZONES:
        info = ZoneInfo(zone)
        day = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        offset = day.astimezone(info).utcoffset()
        while day.year < 2031:
            after = (day + dt.timedelta(days=1)).astimezone(info).utcoffset()
            if after != offset:
                moment = day
                while moment.astimezone(info).utcoffset() == offset:
                    moment += dt.timedelta(minutes=15)
                assert offset is not None
                assert after is not None
                # The wall-clock times between the two readings of the change.
                low, high = sorted((offset, after))
                wall = (moment + low).replace(tzinfo=None)
                while wall < (moment + high).replace(tzinfo=None):
                    found.append((zone, wall))
                    wall += dt.timedelta(minutes=15)
                offset = after
            day += dt.timedelta(days=1)
    return tuple(found)


@st.composite
def first_starts(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    """A zone and a first start in it: on any day, or in a gap or fold of a real change."""
    if draw(st.booleans()):
        zone = draw(st.sampled_from((*DST_ZONES, *TRANSITION_ZONES)))
        return zone, draw(session_starts(zone))
    zone, wall = draw(st.sampled_from(odd_wall_times()))
    return zone, wall.replace(tzinfo=ZoneInfo(zone), fold=draw(st.integers(0, 1)))


def _first_excluded_refused(call: Callable[[Literal["refuse", "move"]], Schedule]) -> Schedule:
    """``call("refuse")``; if the first day is excluded that is refused, and ``"move"`` plans."""
    try:
        return call("refuse")
    except ValidationError as exc:
        codes = [issue.code for issue in exc.issues]
    assert codes == ["first_session_excluded"]
    return call("move")


@st.composite
def planned(draw: st.DrawFn) -> tuple[Schedule, dt.time | None]:
    """A freshly planned course, from plan_sessions arguments or from a contract.

    With it the wall-clock time its series keeps, for a course planned from
    a first start written in its own zone (``None`` for a contract).
    """
    if draw(st.booleans()):
        contract = draw(contracts(max_amendments=2))
        return (
            _first_excluded_refused(
                lambda option: Schedule.from_contract(contract, if_first_excluded=option)
            ),
            None,
        )
    zone, first = draw(first_starts())
    offsets = draw(st.lists(st.integers(0, 150), max_size=4, unique=True))
    excluded = [first.date() + dt.timedelta(days=offset) for offset in offsets]
    total = draw(st.integers(3, 20))
    frequency = draw(st.sampled_from(Frequency))
    protocol = draw(builtin_protocols())
    policy = draw(st.none() | st.sampled_from(MissedSessionPolicy))
    schedule = _first_excluded_refused(
        lambda option: plan_sessions(
            first,
            total,
            zone=zone,
            frequency=frequency,
            exclude=draw(st.permutations(excluded)),
            protocol=protocol,
            missed_policy=policy,
            if_first_excluded=option,
        )
    )
    assert schedule.exclude == tuple(sorted(excluded))
    return schedule, first.replace(fold=0).time()


class ScheduleRules(RuleBasedStateMachine):
    """Random operations on a schedule; every numbering rule holds after each."""

    schedule: Schedule
    #: The wall-clock time of the acute series, when the machine planned it.
    wall: dt.time | None
    #: Start times that a move chose (not slots of a series).
    moved: set[dt.datetime]

    @initialize(planned=planned())
    def plan(self, planned: tuple[Schedule, dt.time | None]) -> None:
        self.schedule, self.wall = planned
        self.moved = set()

    # -- helpers -----------------------------------------------------------

    def _pick(self, data: st.DataObject, kind: SessionKind) -> ScheduledSession | None:
        sessions = _of_kind(self.schedule, kind)
        if not sessions:
            return None
        return data.draw(st.sampled_from(sessions), label="session")

    def _refused(self, call: Callable[[], Schedule]) -> None:
        """``call`` must raise an iptkit error and leave the schedule unchanged."""
        before = iptkit.dumps(self.schedule)
        with pytest.raises((ValidationError, ScheduleError)):
            call()
        assert iptkit.dumps(self.schedule) == before

    def _allow_schedule_error(self, call: Callable[[], Schedule]) -> bool:
        """Apply ``call``; a ScheduleError (no room before maintenance) is a refusal."""
        before = self.schedule
        try:
            self.schedule = call()
        except ScheduleError:
            assert self.schedule is before
            return False
        return True

    # -- rules -------------------------------------------------------------

    @rule(data=st.data(), maintenance=st.booleans())
    def hold(self, data: st.DataObject, maintenance: bool) -> None:
        """Hold a session: allowed for a planned one (rule 5 dates permitting)."""
        kind = SessionKind.MAINTENANCE if maintenance else SessionKind.ACUTE
        session = self._pick(data, kind)
        if session is None:
            return

        def call() -> Schedule:
            return self.schedule.hold(session.number, kind=kind)

        legal = session.status is SessionStatus.PLANNED
        if not legal:
            self._refused(call)
            return
        self.schedule = call()
        held = self.schedule.session(session.number, kind)
        assert held.status is SessionStatus.HELD
        assert held.starts_at == session.starts_at
        assert held.phase is session.phase

    @rule(
        data=st.data(),
        maintenance=st.booleans(),
        make_up=st.none() | st.booleans(),
        cancelled=st.booleans(),
    )
    def miss(
        self, data: st.DataObject, maintenance: bool, make_up: bool | None, cancelled: bool
    ) -> None:
        """Miss or cancel a session, counted or made up (rule 4)."""
        kind = SessionKind.MAINTENANCE if maintenance else SessionKind.ACUTE
        session = self._pick(data, kind)
        if session is None:
            return
        before = self.schedule
        method = before.cancel if cancelled else before.miss

        def call() -> Schedule:
            return method(session.number, make_up=make_up, kind=kind)

        policy = before.missed_policy
        if make_up is None and policy is None:
            legal = False
        elif policy is not None and make_up is not None:
            legal = make_up == (policy is MissedSessionPolicy.MADE_UP)
        else:
            legal = True
        chosen = make_up if make_up is not None else policy is MissedSessionPolicy.MADE_UP
        if before.protocol.format is Format.GROUP and kind is SessionKind.ACUTE:
            # The closed-group rule: a group session counts; it is never shifted.
            legal, chosen = make_up is not True, False
        # Every later session of the kind, made-up misses included, must still be planned.
        later = [s for s in before.sessions if s.kind is kind and s.number > session.number]
        legal = legal and session.status is SessionStatus.PLANNED
        if chosen:
            legal = legal and all(s.status is SessionStatus.PLANNED for s in later)
        if not legal:
            self._refused(call)
            return
        if not self._allow_schedule_error(call):
            return
        after = self.schedule
        status = SessionStatus.CANCELLED_BY_PATIENT if cancelled else SessionStatus.MISSED
        old = _of_kind(before, kind)
        new = _of_kind(after, kind)
        assert len(new) == len(old)
        if chosen:
            # Made up: the slot stays as a made-up row; the number and later ones move on.
            assert len(after.made_up) == len(before.made_up) + 1
            record = next(m for m in after.made_up if m.starts_at == session.starts_at)
            assert (record.number, record.status) == (session.number, status)
            for moved in new[session.number - 1 :]:
                assert moved.status is SessionStatus.PLANNED
            for a, b in zip(new[session.number - 1 : -1], old[session.number :], strict=True):
                assert a.starts_at == b.starts_at
            assert new[-1].starts_at > old[-1].starts_at
        else:
            # Counted: the number is spent in place; nothing else moves.
            assert after.made_up == before.made_up
            spent = after.session(session.number, kind)
            assert (spent.status, spent.starts_at) == (status, session.starts_at)
            assert [s.starts_at for s in new] == [s.starts_at for s in old]

    @rule(data=st.data(), fraction=st.floats(0.0, 0.99), cancelled=st.booleans())
    def make_up_at(self, data: st.DataObject, fraction: float, cancelled: bool) -> None:
        """Miss an acute session and book its make-up before the next one (rule 4)."""
        session = self._pick(data, SessionKind.ACUTE)
        if session is None:
            return
        before = self.schedule
        sessions = before.sessions
        index = sessions.index(session)
        last = index + 1 == len(sessions)
        high = session.starts_at + dt.timedelta(7) if last else sessions[index + 1].starts_at
        when = (session.starts_at + (high - session.starts_at) * fraction).replace(
            second=0, microsecond=0
        )
        method = before.cancel if cancelled else before.miss

        def call() -> Schedule:
            return method(session.number, make_up_at=when)

        group = before.protocol.format is Format.GROUP
        legal = (
            session.status is SessionStatus.PLANNED
            and (group or before.missed_policy is not MissedSessionPolicy.COUNTS)
            and session.starts_at < when
            and (last or when < high)
            and _local_date(before, when) not in before.exclude
        )
        if not legal:
            self._refused(call)
            return
        if not self._allow_schedule_error(call):
            return
        self.moved.add(when)  # a time chosen, not the series' slot
        after = self.schedule
        assert after.session(session.number).starts_at == when
        status = SessionStatus.CANCELLED_BY_PATIENT if cancelled else SessionStatus.MISSED
        added = [m for m in after.made_up if m not in before.made_up]
        assert [(m.number, m.starts_at, m.status) for m in added] == [
            (session.number, session.starts_at, status)
        ]
        # Every other session keeps its time.
        replacement = after.session(session.number)
        others = [s.starts_at for s in after.sessions if s not in added and s is not replacement]
        assert others == [s.starts_at for s in before.sessions if s is not session]

    @rule(data=st.data(), maintenance=st.booleans(), fraction=st.floats(0.01, 0.99))
    def move(self, data: st.DataObject, maintenance: bool, fraction: float) -> None:
        """Move a planned session between its neighbours (rules 1, 2 and 7 kept)."""
        kind = SessionKind.MAINTENANCE if maintenance else SessionKind.ACUTE
        session = self._pick(data, kind)
        if session is None:
            return
        sessions = self.schedule.sessions
        index = sessions.index(session)
        low = sessions[index - 1].starts_at if index else session.starts_at - dt.timedelta(7)
        high = (
            sessions[index + 1].starts_at
            if index + 1 < len(sessions)
            else session.starts_at + dt.timedelta(7)
        )
        to = (low + (high - low) * fraction).replace(second=0, microsecond=0)

        def call() -> Schedule:
            return self.schedule.move(session.number, to, kind=kind)

        moved = [evolve(s, starts_at=to) if s is session else s for s in sessions]
        # Its new day may fall under another total: a held session may not change phase.
        keeps_held_phases = all(
            phase is row.phase
            for row, phase in _rule_3_phases(
                self.schedule, lambda day: _in_force(self.schedule, day), moved
            )
            if row.status is SessionStatus.HELD
        )
        # The series' first slot comes no later than its second acute session.
        acute_rows = [s for s in moved if s.kind is SessionKind.ACUTE and not s.made_up]
        keeps_first_slot = (
            len(acute_rows) < 2 or self.schedule.first_start <= acute_rows[1].starts_at
        )
        # Rule 5: no amendment after the last session of the total it changes.
        days = {s.number: _local_date(self.schedule, s.starts_at) for s in acute_rows}
        in_force = self.schedule.contracted_total
        keeps_amendments = True
        for amendment in self.schedule.amendments:
            last = days.get(in_force)
            keeps_amendments = keeps_amendments and (last is None or amendment.agreed_on <= last)
            in_force = amendment.new_total
        legal = (
            session.status is SessionStatus.PLANNED
            and low < to < high
            and _local_date(self.schedule, to) not in self.schedule.exclude
            and keeps_held_phases
            and keeps_first_slot
            and keeps_amendments
        )
        if not legal:
            self._refused(call)
            return
        self.schedule = call()
        assert self.schedule.session(session.number, kind).starts_at == to
        self.moved.add(to)

    @rule(extra=st.integers(1, 4), day_offset=st.integers(-7, 60))
    def extend(self, extra: int, day_offset: int) -> None:
        """Extend the total: up to the day of the last acute session (rule 5)."""
        before = self.schedule
        new_total = before.total + extra
        on = _local_date(before, before.first_start) + dt.timedelta(days=day_offset)

        def call() -> Schedule:
            return before.extend(new_total, on=on, reason="Slow response")

        by_the_end = on <= _local_date(before, before.acute[-1].starts_at)
        in_order = all(a.agreed_on <= on for a in before.amendments)

        def total_on(day: dt.date) -> int:
            return new_total if day >= on else _in_force(before, day)

        # Sessions from ``on`` follow the new total: a held one may not change phase.
        keeps_held_phases = all(
            phase is session.phase
            for session, phase in _rule_3_phases(before, total_on)
            if session.status is SessionStatus.HELD
        )
        legal = by_the_end and new_total <= 100 and in_order and keeps_held_phases
        if not legal:
            self._refused(call)
            return
        if not self._allow_schedule_error(call):
            assert before.maintenance_sessions
            return
        after = self.schedule
        assert after.total == new_total
        assert after.amendments[-1].new_total == new_total
        for old in before.acute:
            new = after.session(old.number)
            assert (new.starts_at, new.status) == (old.starts_at, old.status)
            if old.status is SessionStatus.HELD:
                assert new.phase is old.phase

    @rule(
        count=st.integers(1, 4),
        monthly=st.booleans(),
        monthly_by=st.sampled_from(MonthlyBy),
        days_later=st.none() | st.integers(1, 70),
    )
    def add_maintenance(
        self, count: int, monthly: bool, monthly_by: MonthlyBy, days_later: int | None
    ) -> None:
        """Add maintenance sessions after the course (rule 6), from a given day or by default.

        A given first day may be excluded: its session moves on (monthly) or
        the slot is dropped, and the block still has ``count`` sessions.
        """
        before = self.schedule
        frequency = Frequency.MONTHLY if monthly else Frequency.FORTNIGHTLY
        first = None
        if days_later is not None:
            first = before.sessions[-1].starts_at + dt.timedelta(days=days_later)
        if not self._allow_schedule_error(
            lambda: before.add_maintenance(
                count, frequency=frequency, first_start=first, monthly_by=monthly_by
            )
        ):
            return
        added = self.schedule.maintenance_sessions[len(before.maintenance_sessions) :]
        assert len(added) == count
        assert all(s.starts_at > before.sessions[-1].starts_at for s in added)
        assert self.schedule.maintenance[-1].monthly_by is monthly_by

    @precondition(lambda self: hasattr(self, "schedule"))
    @rule(number=st.integers(-3, 200))
    def unknown_session(self, number: int) -> None:
        """Operations on a session that does not exist are refused."""
        if any(s.number == number for s in self.schedule.sessions):
            return
        self._refused(lambda: self.schedule.hold(number))
        self._refused(lambda: self.schedule.miss(number, make_up=False))

    # -- invariants ----------------------------------------------------------

    @invariant()
    def numbering_rules_hold(self) -> None:
        check_all_rules(self.schedule)

    @invariant()
    def planned_slots_keep_the_wall_clock_time(self) -> None:
        """Every acute slot the schedule chose (not a move) is at the series' wall-clock time.

        Read one way in every operation: a time the clocks skip that day moves
        forward by the gap; a time they repeat is its first occurrence.
        """
        if self.wall is None:
            return
        info = ZoneInfo(self.schedule.zone)
        for session in self.schedule.sessions:
            if session.kind is SessionKind.MAINTENANCE or session.starts_at in self.moved:
                continue
            day = session.starts_at.astimezone(info).date()
            wall = tz.resolve_imaginary(dt.datetime.combine(day, self.wall, tzinfo=info))
            # In UTC: a time in a fold never equals a time of another zone (PEP 495).
            assert session.starts_at.astimezone(dt.UTC) == wall.astimezone(dt.UTC)

    @invariant()
    def course_of_the_schedule_agrees(self) -> None:
        """A course whose records are the schedule's sessions keeps the same rules."""
        schedule = self.schedule
        records = tuple(SessionRecord.from_scheduled(s) for s in schedule.sessions)
        assert [r.label for r in records] == [s.label for s in schedule.sessions]

        def build() -> TreatmentCourse:
            return TreatmentCourse(
                patient_id="SM-1",
                protocol=schedule.protocol,
                started_on=min(_local_date(schedule, s.starts_at) for s in schedule.sessions),
                schedule=schedule,
                sessions=records,
            )

        statuses = [s.status is SessionStatus.PLANNED for s in schedule.sessions]
        in_order = statuses == sorted(statuses)  # resolved sessions, then planned ones
        if in_order:
            course = build()
            assert course.sessions_used == len(
                [s for s in schedule.acute if s.status is not SessionStatus.PLANNED]
            )
        else:
            # The one rule a course has beyond the schedule's: nothing recorded after a
            # session still planned.  Every other rule must agree.
            with pytest.raises(ValidationError) as caught:
                build()
            assert {i.code for i in caught.value.issues} == {"recorded_after_planned"}

    @invariant()
    def json_round_trip(self) -> None:
        text = iptkit.dumps(self.schedule)
        assert iptkit.loads(Schedule, text) == self.schedule
        assert iptkit.dumps(iptkit.loads(Schedule, text)) == text


# Examples come from the active profile (tests/conftest.py); steps stay modest.
ScheduleRules.TestCase.settings = settings(stateful_step_count=20)
TestScheduleRules = ScheduleRules.TestCase
