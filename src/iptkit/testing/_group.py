"""Strategies for closed groups: group courses, members, attendance and individual contacts.

:func:`group_courses` plans one group calendar with
:func:`iptkit.plan_sessions` under a group protocol, records the first
sessions as held (now and then one called off by the service), and gives
each member of the roster an attendance row for the held sessions (held,
missed or cancelled by the member), now and then a gap, an early leaving
date, and individual contacts that make up a missed session.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from iptkit._contract import MissedSessionPolicy
from iptkit._group import (
    ATTENDANCE_STATUSES,
    GroupCourse,
    GroupMember,
    IndividualContact,
    MemberAttendance,
)
from iptkit._model import evolve
from iptkit._protocol import COMMUNITY_GROUP, MIN_ACUTE_SESSIONS, WHO_GROUP, Format, Protocol
from iptkit._schedule import Schedule, ScheduledSession, plan_sessions
from iptkit._sessions import SessionKind, SessionStatus
from iptkit.testing._common import aware_datetimes
from iptkit.testing._contract import contracts
from iptkit.testing._protocol import custom_protocols
from iptkit.testing._schedule import DST_ZONES, session_starts

__all__ = [
    "group_courses",
    "group_members",
    "group_protocols",
    "individual_contacts",
    "member_attendance",
]

#: Attendance statuses in a fixed order (held first, so failures shrink to it).
_STATUSES = sorted(ATTENDANCE_STATUSES, key=list(SessionStatus).index)


def member_attendance() -> st.SearchStrategy[MemberAttendance]:
    """Single attendance rows, on their own (not checked against any schedule)."""
    return st.builds(MemberAttendance, number=st.integers(0, 40), status=st.sampled_from(_STATUSES))


def individual_contacts() -> st.SearchStrategy[IndividualContact]:
    """Single individual contacts, on their own (not checked against any member's misses)."""
    return st.builds(
        IndividualContact,
        starts_at=aware_datetimes(),
        minutes=st.integers(15, 90),
        makes_up=st.none() | st.integers(1, 40),
    )


@st.composite
def _standalone_members(draw: st.DrawFn) -> GroupMember:
    """Members on their own: rows in order, make-ups only for rows they missed."""
    numbers = sorted(draw(st.sets(st.integers(0, 20), max_size=10)))
    rows = tuple(
        MemberAttendance(number=n, status=draw(st.sampled_from(_STATUSES))) for n in numbers
    )
    missed = [row.number for row in rows if row.status.fell_through and row.number]
    contacts = []
    for number in draw(st.lists(st.sampled_from(missed), max_size=2)) if missed else []:
        contacts.append(
            IndividualContact(
                starts_at=draw(aware_datetimes()),
                minutes=draw(st.integers(15, 90)),
                makes_up=number,
            )
        )
    contacts.sort(key=lambda contact: contact.starts_at)
    return GroupMember(
        label=draw(st.from_regex(r"[A-Z][0-9]{1,2}", fullmatch=True)),
        attendance=rows,
        individual_contacts=tuple(contacts),
        left_on=draw(st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2031, 12, 31))),
    )


def group_members() -> st.SearchStrategy[GroupMember]:
    """Single members, on their own (not checked against any group schedule)."""
    return _standalone_members()


def group_protocols() -> st.SearchStrategy[Protocol]:
    """Protocols delivered in groups: WHO Group IPT, community group IPT, or a custom one."""
    return st.sampled_from([WHO_GROUP, COMMUNITY_GROUP]) | custom_protocols().map(
        lambda protocol: evolve(protocol, format=Format.GROUP)
    )


def _group_schedule(draw: st.DrawFn, protocol: Protocol, max_sessions: int) -> Schedule:
    """A group calendar: the first sessions held, now and then one called off by the service."""
    zone = draw(st.sampled_from(DST_ZONES))
    low = max(MIN_ACUTE_SESSIONS, min(protocol.min_sessions, max_sessions))
    high = max(low, min(protocol.max_sessions, max_sessions))
    schedule = plan_sessions(
        draw(session_starts(zone)),
        draw(st.integers(low, high)),
        zone=zone,
        frequency=protocol.default_frequency,
        protocol=protocol,
        minutes=draw(st.integers(protocol.min_minutes, protocol.max_minutes)),
        missed_policy=draw(st.sampled_from([None, MissedSessionPolicy.COUNTS])),
    )
    if schedule.pre_treatment is not None and draw(st.booleans()):
        schedule = schedule.hold(0)
    for number in range(1, draw(st.integers(0, schedule.total)) + 1):
        if draw(st.integers(0, 9)) == 0:
            # The service called the group session off; the group's numbers stay.
            schedule = schedule.cancel(number, make_up=False, by_therapist=True)
        else:
            schedule = schedule.hold(number)
    return schedule


def _member(
    draw: st.DrawFn,
    label: str,
    schedule: Schedule,
    held: list[tuple[ScheduledSession, dt.date]],
) -> GroupMember:
    """One member of the roster: a row for (almost) every held session, make-ups for misses."""
    left_on: dt.date | None = None
    if held and draw(st.integers(0, 4)) == 0:
        left_on = draw(st.sampled_from([day for _, day in held]))
    rows: list[MemberAttendance] = []
    if schedule.pre_treatment is not None and draw(st.booleans()):
        rows.append(MemberAttendance(number=0, status=draw(st.sampled_from(_STATUSES))))
    statuses = st.sampled_from(_STATUSES) | st.just(SessionStatus.HELD)
    for session, day in held:
        if left_on is not None and day > left_on:
            break
        if draw(st.integers(0, 9)) == 0:
            continue  # no row: the finding member_attendance_missing
        rows.append(MemberAttendance(number=session.number, status=draw(statuses)))
    by_number = {session.number: session for session, _ in held}
    contacts: list[IndividualContact] = []
    for row in rows:
        if row.number and row.status.fell_through and draw(st.booleans()):
            after = dt.timedelta(days=draw(st.integers(0, 6)), hours=draw(st.integers(1, 8)))
            contacts.append(
                IndividualContact(
                    starts_at=by_number[row.number].starts_at + after,
                    minutes=draw(st.integers(15, 60)),
                    makes_up=row.number,
                )
            )
    if held and draw(st.integers(0, 4)) == 0:
        # A contact that stands in for no group session.
        start = held[0][0].starts_at + dt.timedelta(days=draw(st.integers(0, 60)), hours=3)
        contacts.append(
            IndividualContact(starts_at=start, minutes=draw(st.integers(15, 60)), makes_up=None)
        )
    contacts.sort(key=lambda contact: contact.starts_at)
    return GroupMember(
        label=label,
        attendance=tuple(rows),
        individual_contacts=tuple(contacts),
        left_on=left_on,
    )


@st.composite
def group_courses(
    draw: st.DrawFn,
    *,
    protocol: Protocol | None = None,
    max_members: int = 10,
    max_sessions: int = 16,
) -> GroupCourse:
    """Valid group courses: one group calendar, a roster, attendance and make-up contacts.

    Args:
        draw: supplied by hypothesis.
        protocol: the group protocol; by default a built-in group protocol
            or now and then a custom one delivered in groups.
        max_members: most members on the roster (WHO Group IPT: up to
            about 10).
        max_sessions: most group sessions planned.

    >>> from hypothesis import given, settings
    >>> from iptkit.protocols import WHO_GROUP
    >>> @settings(max_examples=10)
    ... @given(group_courses(protocol=WHO_GROUP, max_members=4))
    ... def test_members_name_group_sessions(group):
    ...     numbers = {s.number for s in group.schedule.sessions}
    ...     assert all(
    ...         row.number in numbers for m in group.members for row in m.attendance
    ...     )
    >>> test_members_name_group_sessions()
    """
    chosen = draw(group_protocols()) if protocol is None else protocol
    schedule = _group_schedule(draw, chosen, max_sessions)
    zone = ZoneInfo(schedule.zone)
    held = [
        (s, s.starts_at.astimezone(zone).date())
        for s in schedule.sessions
        if s.kind is SessionKind.ACUTE and s.status.took_place
    ]
    count = draw(st.integers(0, max(0, max_members)))
    members = tuple(_member(draw, f"M{index + 1}", schedule, held) for index in range(count))
    contract = None
    if draw(st.booleans()):
        contract = draw(contracts(protocol=chosen, max_amendments=0))
    return GroupCourse(
        group_id=draw(st.from_regex(r"[A-Z]{2,4}-[0-9]{1,4}", fullmatch=True)),
        protocol=chosen,
        schedule=schedule,
        members=members,
        contract=contract,
    )


st.register_type_strategy(MemberAttendance, member_attendance())
st.register_type_strategy(IndividualContact, individual_contacts())
st.register_type_strategy(GroupMember, group_members())
st.register_type_strategy(GroupCourse, group_courses())
