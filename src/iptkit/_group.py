"""Closed groups: one group calendar, a roster, and each member's attendance.

Group IPT runs as a closed group (domain reference §4): WHO Group IPT is one
individual pre-group meeting and then 8 weekly group sessions of about 90
minutes, for groups of up to about 10 members; other group programmes run 6
to 16 weeks with 8 to 12 members.  The group's sessions are planned once, for
everybody, in one :class:`~iptkit.Schedule`.  A member attends or misses each
group session; the group meets whether or not a member comes.

So a missed group session is never *made up* the way an individual course
makes up a missed session (session-numbering rule 4), by moving the member's
numbers on: that would put a member's "session 8" a week after the group has
ended.  A member's records name the group's own session numbers, and nothing
a member does changes them.  A make-up, if there is one, is an individual
contact recorded as such (:class:`IndividualContact`), naming the group
session it stands in for.

A :class:`GroupCourse` is a top-level document (``"group"``).  Its invariants
are the rules a group record cannot break and still mean something: the
protocol is a group protocol, the schedule follows it, labels are unique,
each attendance row names a group session of the schedule that took place
(or the pre-group meeting), nothing is recorded for a session after the
member left, and a make-up contact stands in for a session the member missed,
on or after that session.  Departures worth a review (more misses than the
contract allows, a held session with no attendance row) are findings of
:func:`iptkit.check`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from iptkit._contract import TreatmentContract
from iptkit._errors import Issue
from iptkit._model import Rule, distinct, field, model
from iptkit._ordering import in_date_order
from iptkit._protocol import Format, Protocol
from iptkit._recurrence import zone_info
from iptkit._schedule import Schedule, ScheduledSession
from iptkit._sessions import SessionKind, SessionStatus

__all__ = [
    "ATTENDANCE_STATUSES",
    "GroupCourse",
    "GroupMember",
    "IndividualContact",
    "MemberAttendance",
]

#: What a member's attendance at a group session can be: the member came, did
#: not come without notice, or gave notice of not coming.  A session still
#: planned, or one the service called off, is the group schedule's to record.
ATTENDANCE_STATUSES = frozenset(
    {SessionStatus.HELD, SessionStatus.MISSED, SessionStatus.CANCELLED_BY_PATIENT}
)


def _status_issues(value: SessionStatus, path: str) -> Iterator[Issue]:
    if value not in ATTENDANCE_STATUSES:
        yield Issue(
            path,
            "invalid_attendance_status",
            "A member's attendance is held, missed or cancelled by the patient; what became "
            "of a group session itself is recorded in the group's schedule.",
            value,
        )


#: Field rule: a status a member's attendance can have (``invalid_attendance_status``).
_attendance_status = Rule(_status_issues, ATTENDANCE_STATUSES.__contains__)


def _order_holds(rows: Sequence[MemberAttendance]) -> bool:
    return all(a.number <= b.number for a, b in itertools.pairwise(rows))


def _order_issues(rows: Sequence[MemberAttendance], path: str) -> Iterator[Issue]:
    """Rows listed in order of session number (``out_of_order``); repeats are ``distinct``'s."""
    highest: int | None = None
    for index, row in enumerate(rows):
        if highest is not None and row.number < highest:
            yield Issue(
                f"{path}[{index}].number",
                "out_of_order",
                "Attendance must be listed in order of group session number.",
                row.number,
            )
        else:
            highest = row.number


#: Field rule: attendance rows in order of session number (``out_of_order``).
_attendance_in_order = Rule(_order_issues, _order_holds)


@model
class MemberAttendance:
    """Whether one member came to one group session.

    ``number`` is the group's own number of the session, as the group
    schedule gives it: a member who missed session 5 still comes next to
    session 6.  Number 0 is the member's individual pre-group meeting, where
    the protocol has one (WHO Group IPT).

    >>> from iptkit import SessionStatus
    >>> MemberAttendance(number=5, status=SessionStatus.MISSED)
    MemberAttendance(number=5, status=<SessionStatus.MISSED: 'missed'>)
    """

    number: int = field(
        ge=0,
        le=1000,
        doc="The group session's number in the group schedule; 0 for the pre-group meeting.",
    )
    status: SessionStatus = field(
        doc="held (came), missed (no notice) or cancelled_by_patient (gave notice).",
        rules=[_attendance_status],
    )


@model
class IndividualContact:
    """An individual contact with one member outside the group sessions.

    A contact that stands in for a group session the member missed names
    that session in ``makes_up``; the group's numbers do not move for it.

    >>> import datetime as dt
    >>> contact = IndividualContact(
    ...     starts_at=dt.datetime(2026, 4, 2, 14, tzinfo=dt.UTC), minutes=30, makes_up=5
    ... )
    >>> contact.makes_up, contact.ends_at.time().isoformat()
    (5, '14:30:00')
    """

    starts_at: dt.datetime = field(doc="When the contact starts (aware).")
    minutes: int = field(ge=1, le=480, doc="Length of the contact in minutes.")
    makes_up: int | None = field(
        default=None,
        ge=1,
        le=1000,
        doc="The number of the group session it stands in for; null if it stands in for none.",
    )

    @property
    def ends_at(self) -> dt.datetime:
        """When the contact ends."""
        return self.starts_at + dt.timedelta(minutes=self.minutes)


@model
class GroupMember:
    """One member of a closed group: a pseudonymous label and what the member attended.

    ``attendance`` holds one row per group session the member is recorded
    for, in order of the group's session numbers; ``individual_contacts``
    the member's individual contacts (make-ups among them), in start order.

    >>> from iptkit import SessionStatus
    >>> member = GroupMember(
    ...     label="M3",
    ...     attendance=(
    ...         MemberAttendance(number=1, status=SessionStatus.HELD),
    ...         MemberAttendance(number=2, status=SessionStatus.MISSED),
    ...         MemberAttendance(number=3, status=SessionStatus.HELD),
    ...     ),
    ... )
    >>> member.attended, member.missed
    ((1, 3), (2,))
    >>> "M3" in repr(member)  # the label is personal data: repr leaves it out
    False

    Raises:
        ValidationError: a row is listed twice (``duplicate_value``) or out
            of order (``out_of_order``), a status is not one of attendance
            (``invalid_attendance_status``), contacts are not in start order
            (``out_of_order``), or a make-up contact names a session the
            member did not miss (``made_up_not_missed``).
    """

    label: str = field(
        min_len=1,
        max_len=64,
        private=True,
        doc="Pseudonymous label, unique within the group (never a real name).",
    )
    attendance: tuple[MemberAttendance, ...] = field(
        max_len=1000,
        doc="One row per group session recorded for the member, in order of session number.",
        rules=[
            distinct(
                "Two attendance rows name the same group session.",
                key=lambda row: row.number,
                below=".number",
            ),
            _attendance_in_order,
        ],
    )
    individual_contacts: tuple[IndividualContact, ...] = field(
        default=(),
        max_len=1000,
        doc="Individual contacts with the member (make-ups among them), in start order.",
        rules=[in_date_order("Individual contacts", attr="starts_at")],
    )
    left_on: dt.date | None = field(
        default=None, doc="The day the member left the group, if the member left early."
    )

    @property
    def attended(self) -> tuple[int, ...]:
        """Numbers of the sessions the member came to (0 for the pre-group meeting)."""
        return tuple(row.number for row in self.attendance if row.status is SessionStatus.HELD)

    @property
    def missed(self) -> tuple[int, ...]:
        """Numbers of the sessions the member missed or cancelled."""
        return tuple(row.number for row in self.attendance if row.status.fell_through)

    def status_at(self, number: int) -> SessionStatus | None:
        """The member's attendance at session ``number``, or ``None`` if none is recorded."""
        for row in self.attendance:
            if row.number == number:
                return row.status
        return None

    def _invariants(self) -> Iterator[Issue]:
        missed = frozenset(self.missed)
        for index, contact in enumerate(self.individual_contacts):
            if contact.makes_up is not None and contact.makes_up not in missed:
                yield Issue(
                    f"$.individual_contacts[{index}].makes_up",
                    "made_up_not_missed",
                    "A make-up contact stands in for a group session the member missed or "
                    "cancelled; the member's attendance records no such miss.",
                    contact.makes_up,
                )


def _group_protocol_issues(protocol: Protocol, path: str) -> Iterator[Issue]:
    if protocol.format is not Format.GROUP:
        yield Issue(
            path + ".format",
            "not_a_group_protocol",
            "A group course follows a protocol delivered in groups.",
            protocol.format,
        )


#: Field rule: a protocol delivered in groups (``not_a_group_protocol``).
_group_protocol = Rule(_group_protocol_issues, lambda protocol: protocol.format is Format.GROUP)


@model(document="group")
class GroupCourse:
    """The record of one closed IPT group: its calendar, its roster and their attendance.

    The schedule is the group's, planned once (usually with
    :func:`~iptkit.plan_sessions` and the group protocol); each member's
    attendance names the group's session numbers.  A member who misses a
    session changes nothing in the schedule.

    >>> import datetime as dt
    >>> from iptkit import (
    ...     MissedSessionPolicy, SessionStatus, plan_sessions, protocols
    ... )
    >>> first = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    >>> plan = plan_sessions(
    ...     first, 8, zone="UTC", protocol=protocols.WHO_GROUP,
    ...     missed_policy=MissedSessionPolicy.COUNTS,
    ... )
    >>> plan = plan.hold(1).hold(2)
    >>> came, missed = SessionStatus.HELD, SessionStatus.MISSED
    >>> group = GroupCourse(
    ...     group_id="GRP-01",
    ...     protocol=protocols.WHO_GROUP,
    ...     schedule=plan,
    ...     members=(
    ...         GroupMember(label="M1", attendance=(
    ...             MemberAttendance(number=0, status=came),
    ...             MemberAttendance(number=1, status=came),
    ...             MemberAttendance(number=2, status=came),
    ...         )),
    ...         GroupMember(label="M2", attendance=(
    ...             MemberAttendance(number=0, status=came),
    ...             MemberAttendance(number=1, status=missed),
    ...             MemberAttendance(number=2, status=came),
    ...         )),
    ...     ),
    ... )
    >>> [s.label for s in group.held], group.member("M2").missed
    (['1', '2'], (1,))
    >>> group.schedule.end == plan.end
    True
    """

    group_id: str = field(
        min_len=1, max_len=64, pattern=r"[A-Za-z0-9_.\-]+", doc="Pseudonymous group id."
    )
    protocol: Protocol = field(
        doc="The group protocol the group follows (delivered in groups).",
        rules=[_group_protocol],
    )
    schedule: Schedule = field(
        doc="The group's calendar: every group session, planned once for all members."
    )
    members: tuple[GroupMember, ...] = field(
        max_len=1000,
        doc="The roster: every member of the closed group.",
        rules=[
            distinct(
                "Two members share the same label; labels must be unique.",
                key=lambda member: member.label,
                below=".label",
                code="duplicate_label",
            )
        ],
    )
    contract: TreatmentContract | None = field(
        default=None,
        doc="The group's treatment contract, if recorded; its contingency policy says how "
        "many missed sessions lead to a review.",
    )

    # ------------------------------------------------------------------
    # Derived values
    # ------------------------------------------------------------------

    @property
    def held(self) -> tuple[ScheduledSession, ...]:
        """The group sessions (not the pre-group meeting) the schedule marks as held."""
        return tuple(
            s
            for s in self.schedule.sessions
            if s.kind is SessionKind.ACUTE and not s.made_up and s.status.took_place
        )

    def local_day(self, moment: dt.datetime) -> dt.date:
        """The calendar day of ``moment`` in the zone of the group's schedule."""
        return _local_day(moment, zone_info(self.schedule.zone))

    def member(self, label: str) -> GroupMember | None:
        """The member with ``label``, or ``None``."""
        for member in self.members:
            if member.label == label:
                return member
        return None

    # ------------------------------------------------------------------
    # Invariants
    # ------------------------------------------------------------------

    def _invariants(self) -> Iterator[Issue]:
        for name, part in (("schedule", self.schedule), ("contract", self.contract)):
            if part is not None and part.protocol != self.protocol:
                yield Issue(
                    f"$.{name}.protocol",
                    "protocol_mismatch",
                    f"The {name} follows a different protocol from the group.",
                )
        sessions = _numbered(self.schedule)
        info = zone_info(self.schedule.zone)  # known: the schedule checked it
        for index, member in enumerate(self.members):
            yield from _member_issues(member, f"$.members[{index}]", sessions, info)


def _local_day(moment: dt.datetime, info: ZoneInfo) -> dt.date:
    """The calendar day of ``moment`` in zone ``info``.

    Instants lie in the years 1900-2200 as written, so the conversion cannot
    overflow.
    """
    return moment.astimezone(info).date()


def _numbered(schedule: Schedule) -> dict[int, ScheduledSession]:
    """The pre-group meeting and the group sessions that spend a number, by number."""
    return {
        s.number: s
        for s in schedule.sessions
        if s.kind is not SessionKind.MAINTENANCE and not s.made_up
    }


def _member_issues(
    member: GroupMember, path: str, sessions: dict[int, ScheduledSession], info: ZoneInfo
) -> Iterator[Issue]:
    """One member's records against the group schedule."""
    for index, row in enumerate(member.attendance):
        where = f"{path}.attendance[{index}]"
        session = sessions.get(row.number)
        if session is None:
            yield Issue(
                where + ".number",
                "unknown_group_session",
                "The group schedule has no session with this number.",
                row.number,
            )
            continue
        if session.kind is SessionKind.PRE_TREATMENT:
            continue  # the member's own pre-group meeting, not a session of the group
        if not session.status.took_place:
            yield Issue(
                where,
                "group_session_not_held",
                "Attendance is recorded for a group session the schedule does not mark as held.",
            )
        if member.left_on is not None and _local_day(session.starts_at, info) > member.left_on:
            yield Issue(
                where,
                "recorded_after_leaving",
                "Attendance is recorded for a group session after the member left the group.",
            )
    for index, contact in enumerate(member.individual_contacts):
        made_up = sessions.get(contact.makes_up) if contact.makes_up is not None else None
        if made_up is not None and contact.starts_at < made_up.starts_at:
            yield Issue(
                f"{path}.individual_contacts[{index}].starts_at",
                "out_of_order",
                "A make-up contact cannot start before the group session it stands in for.",
                contact.starts_at,
            )
