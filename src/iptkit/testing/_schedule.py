"""Strategies for schedules and their sessions.

:func:`schedules` plans a course with :func:`iptkit.plan_sessions` and then
applies a few random operations (hold, miss, cancel, move, extend, add
maintenance), so the schedules it draws carry held and missed sessions,
made-up misses, amendments and maintenance blocks.  Sizes are kept small:
planning computes recurrences, which is the slow part.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from iptkit._contract import MissedSessionPolicy
from iptkit._errors import ScheduleError, ValidationError
from iptkit._protocol import ACUTE_PHASES, Frequency, Phase
from iptkit._schedule import MaintenancePlan, Schedule, ScheduledSession, plan_sessions
from iptkit._sessions import SessionKind, SessionStatus
from iptkit.testing._common import aware_datetimes, dates
from iptkit.testing._protocol import builtin_protocols

__all__ = [
    "DST_ZONES",
    "maintenance_plans",
    "schedule_operations",
    "scheduled_sessions",
    "schedules",
    "session_starts",
]

#: UTC first (failures shrink to it), then zones with daylight-saving time in
#: both hemispheres.
DST_ZONES: tuple[str, ...] = ("UTC", "America/New_York", "Europe/London", "Australia/Sydney")


def session_facts(
    draw: st.DrawFn, kind: SessionKind | None = None
) -> tuple[SessionKind, int, Phase | None, SessionStatus, bool]:
    """Kind, number, phase, status and made-up flag of one session that fit together."""
    chosen = draw(st.sampled_from(SessionKind)) if kind is None else kind
    phase: Phase | None
    if chosen is SessionKind.PRE_TREATMENT:
        number, phase = 0, None
    elif chosen is SessionKind.MAINTENANCE:
        number, phase = draw(st.integers(1, 40)), Phase.MAINTENANCE
    else:
        number, phase = draw(st.integers(1, 40)), draw(st.sampled_from(ACUTE_PHASES))
    status = draw(st.sampled_from(SessionStatus))
    made_up = (
        chosen is not SessionKind.PRE_TREATMENT and status.fell_through and draw(st.booleans())
    )
    return chosen, number, phase, status, made_up


@st.composite
def scheduled_sessions(draw: st.DrawFn, *, kind: SessionKind | None = None) -> ScheduledSession:
    """Single valid sessions of any kind, with a number, phase and status that fit it."""
    chosen, number, phase, status, made_up = session_facts(draw, kind)
    return ScheduledSession(
        kind=chosen,
        number=number,
        starts_at=draw(aware_datetimes()),
        minutes=draw(st.integers(15, 120)),
        phase=phase,
        status=status,
        made_up=made_up,
    )


def maintenance_plans() -> st.SearchStrategy[MaintenancePlan]:
    """Terms of maintenance blocks."""
    return st.builds(
        MaintenancePlan,
        first_start=aware_datetimes(),
        frequency=st.sampled_from(Frequency),
        minutes=st.integers(15, 120),
        count=st.integers(1, 12),
        agreed_on=st.none() | dates(),
    )


@functools.lru_cache(maxsize=64)
def session_starts(zone: str) -> st.SearchStrategy[dt.datetime]:
    """First-session times in ``zone``: 2020-2030, daytime, whole quarter hours.

    Times on days when the clocks change are included on purpose.
    """
    info = ZoneInfo(zone)
    return st.builds(
        lambda day, hour, quarter: dt.datetime(
            day.year, day.month, day.day, hour, 15 * quarter, tzinfo=info
        ),
        st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
        st.integers(0, 23),
        st.integers(0, 3),
    )


def _number_of(schedule: Schedule, kind: SessionKind, pick: int) -> int:
    numbers = [s.number for s in schedule.sessions if s.kind is kind and not s.made_up]
    return numbers[pick % len(numbers)] if numbers else 1


@st.composite
def schedule_operations(draw: st.DrawFn) -> Callable[[Schedule], Schedule]:
    """One operation to apply to a schedule; it may be refused."""
    name = draw(st.sampled_from(["hold", "miss", "cancel", "move", "extend", "maintain"]))
    pick = draw(st.integers(0, 60))
    make_up = draw(st.none() | st.booleans())
    extra = draw(st.integers(1, 4))
    fraction = draw(st.floats(0.05, 0.95))

    def apply(schedule: Schedule) -> Schedule:
        if name == "maintain":
            return schedule.add_maintenance(extra)
        if name == "extend":
            day = schedule.sessions[0].starts_at.date()
            return schedule.extend(schedule.total + extra, on=day, reason="Agreed extension")
        kind = SessionKind.MAINTENANCE if pick % 5 == 4 else SessionKind.ACUTE
        number = _number_of(schedule, kind, pick)
        if name == "hold":
            return schedule.hold(number, kind=kind)
        if name == "miss":
            return schedule.miss(number, make_up=make_up, kind=kind)
        if name == "cancel":
            return schedule.cancel(number, make_up=make_up, kind=kind, by_therapist=pick % 2 == 1)
        index = schedule.sessions.index(schedule.session(number, kind))
        low = schedule.sessions[index - 1].starts_at if index else None
        high = (
            schedule.sessions[index + 1].starts_at if index + 1 < len(schedule.sessions) else None
        )
        here = schedule.sessions[index].starts_at
        low = low if low is not None else here - dt.timedelta(days=7)
        high = high if high is not None else here + dt.timedelta(days=7)
        to = low + (high - low) * fraction
        return schedule.move(number, to.replace(second=0, microsecond=0), kind=kind)

    apply.__name__ = f"{name}_{pick}"
    return apply


_OPERATIONS = schedule_operations()


@st.composite
def schedules(
    draw: st.DrawFn,
    *,
    zones: tuple[str, ...] = DST_ZONES,
    max_total: int = 12,
    max_operations: int = 4,
) -> Schedule:
    """Valid schedules, planned and then changed by a few random operations.

    Args:
        draw: supplied by hypothesis.
        zones: IANA zones to plan in.
        max_total: most acute sessions planned (at least 3).
        max_operations: most operations applied after planning (refused ones
            are skipped).
    """
    zone = draw(st.sampled_from(zones))
    first = draw(session_starts(zone))
    exclude = draw(st.lists(st.integers(0, 120), max_size=3, unique=True))
    schedule = plan_sessions(
        first,
        draw(st.integers(3, max(3, max_total))),
        zone=zone,
        frequency=draw(st.sampled_from(Frequency)),
        exclude=[first.date() + dt.timedelta(days=offset) for offset in exclude],
        protocol=draw(builtin_protocols()),
        missed_policy=draw(st.none() | st.sampled_from(MissedSessionPolicy)),
        # An excluded first day: session 1 in the next allowed slot.
        if_first_excluded="move",
    )
    for operation in draw(st.lists(_OPERATIONS, max_size=max_operations)):
        try:
            schedule = operation(schedule)
        except (ValidationError, ScheduleError):
            continue
    return schedule


st.register_type_strategy(ScheduledSession, scheduled_sessions())
st.register_type_strategy(MaintenancePlan, maintenance_plans())
st.register_type_strategy(Schedule, schedules())
