"""Closed groups: GroupCourse, GroupMember, MemberAttendance, IndividualContact.

Facts from the domain reference, §4: WHO Group IPT is one individual
pre-group meeting and then 8 weekly group sessions of about 90 minutes, for
groups of up to about 10 members; other group programmes run 6-16 weeks with
8-12 members.  In a closed group the group's sessions are planned once; a
member attends or misses each of them, and a missed group session is never
made up by moving the member's numbers on.

The bundled example ``examples/groups/who_group.json`` is written by
:func:`who_group_example` below; run this file as a script to write it again
(``python tests/test_groups.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

import iptkit
from _helpers import issues_of
from iptkit import (
    CHECKS,
    CheckConfig,
    ContingencyPolicy,
    FocusArea,
    Format,
    Frequency,
    GroupCourse,
    GroupMember,
    IndividualContact,
    MemberAttendance,
    MissedSessionPolicy,
    Schedule,
    SessionKind,
    SessionStatus,
    SessionTerms,
    Severity,
    TreatmentContract,
    ValidationError,
    check,
    dumps,
    evolve,
    loads,
    plan_sessions,
)
from iptkit.protocols import COMMUNITY_GROUP, STANDARD, WHO_GROUP
from iptkit.testing import group_courses

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(iptkit.__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "groups" / "who_group.json"

HELD = SessionStatus.HELD
MISSED = SessionStatus.MISSED
CANCELLED = SessionStatus.CANCELLED_BY_PATIENT

#: The codes of the checks of closed groups.
GROUP_CODES = frozenset({"member_missed_too_many", "member_attendance_missing"})

#: Group session 1 of the test groups: Monday 2 March 2026, 10:00 UTC; weekly after.
FIRST = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def who_plan(held: int = 8, *, pre_group_held: bool = True) -> Schedule:
    """A WHO Group IPT calendar: pre-group meeting, 8 weekly group sessions, ``held`` held."""
    plan = plan_sessions(
        FIRST, 8, zone="UTC", protocol=WHO_GROUP, missed_policy=MissedSessionPolicy.COUNTS
    )
    if pre_group_held:
        plan = plan.hold(0)
    for number in range(1, held + 1):
        plan = plan.hold(number)
    return plan


def rows(*statuses: SessionStatus, start: int = 1) -> tuple[MemberAttendance, ...]:
    """Attendance rows numbered from ``start``, one per status."""
    return tuple(
        MemberAttendance(number=start + offset, status=status)
        for offset, status in enumerate(statuses)
    )


def member(label: str, *statuses: SessionStatus, **changes: Any) -> GroupMember:
    """A member with a pre-group meeting and one row per group session from 1."""
    attendance = (MemberAttendance(number=0, status=HELD), *rows(*statuses))
    return GroupMember(label=label, attendance=attendance, **changes)


def group_contract(max_missed: int | None = 2, protocol: Any = WHO_GROUP) -> TreatmentContract:
    """The group's contract: 8 weekly 90-minute sessions; misses count."""
    return TreatmentContract(
        protocol=protocol,
        sessions=SessionTerms(
            total=8, frequency=Frequency.WEEKLY, minutes=90, first_session=FIRST, zone="UTC"
        ),
        focus_areas=(FocusArea.ROLE_TRANSITION,),
        format=Format.GROUP,
        contingency=ContingencyPolicy(missed=MissedSessionPolicy.COUNTS, max_missed=max_missed),
    )


def group(*members: GroupMember, **changes: Any) -> GroupCourse:
    """A WHO group with all 8 sessions held and ``members``."""
    fields: dict[str, Any] = {
        "group_id": "GRP-01",
        "protocol": WHO_GROUP,
        "schedule": who_plan(),
        "members": members,
    }
    fields.update(changes)
    return GroupCourse(**fields)


def contact(number: int | None, after: dt.timedelta = dt.timedelta(days=2)) -> IndividualContact:
    """A 45-minute individual contact ``after`` the start of group session ``number``."""
    start = FIRST + dt.timedelta(weeks=(number or 1) - 1) + after
    return IndividualContact(starts_at=start, minutes=45, makes_up=number)


def findings(subject: GroupCourse, code: str) -> list[tuple[str, Severity]]:
    """(path, severity) of each finding of ``code``."""
    return [(f.path, f.severity) for f in check(subject) if f.code == code]


# --------------------------------------------------------------------------
# The bundled example
# --------------------------------------------------------------------------


def who_group_example() -> GroupCourse:
    """A made-up WHO Group IPT group of 6 members in Nairobi.

    The contract plans the pre-group meeting and 8 weekly group sessions of
    90 minutes (Mondays at 10:00), all held.  Two members miss a session: M2
    misses session 3 without notice and is seen alone on the Thursday after
    it for a 45-minute make-up contact; M5 gives notice for session 6.  The
    contract reviews a member after two missed sessions.
    """
    zone = "Africa/Nairobi"
    first = dt.datetime(2026, 3, 2, 10, tzinfo=ZoneInfo(zone))
    contract = TreatmentContract(
        protocol=WHO_GROUP,
        sessions=SessionTerms(
            total=8, frequency=Frequency.WEEKLY, minutes=90, first_session=first, zone=zone
        ),
        # The problem areas WHO Group IPT names: grief, disputes, life changes, loneliness.
        focus_areas=(
            FocusArea.GRIEF,
            FocusArea.ROLE_DISPUTE,
            FocusArea.ROLE_TRANSITION,
            FocusArea.INTERPERSONAL_DEFICITS,
        ),
        format=Format.GROUP,
        contingency=ContingencyPolicy(missed=MissedSessionPolicy.COUNTS, max_missed=2),
    )
    schedule = Schedule.from_contract(contract)
    for number in range(9):
        schedule = schedule.hold(number)
    absent = {"M2": (3, MISSED), "M5": (6, CANCELLED)}
    members = []
    for index in range(1, 7):
        label = f"M{index}"
        attendance = [MemberAttendance(number=0, status=HELD)]
        for number in range(1, 9):
            status = absent[label][1] if absent.get(label, (0,))[0] == number else HELD
            attendance.append(MemberAttendance(number=number, status=status))
        contacts: tuple[IndividualContact, ...] = ()
        if label == "M2":
            thursday = schedule.session(3).starts_at + dt.timedelta(days=3, hours=4)
            contacts = (IndividualContact(starts_at=thursday, minutes=45, makes_up=3),)
        members.append(
            GroupMember(label=label, attendance=tuple(attendance), individual_contacts=contacts)
        )
    return GroupCourse(
        group_id="EX-GROUP-01",
        protocol=WHO_GROUP,
        schedule=schedule,
        members=tuple(members),
        contract=contract,
    )


def example_text() -> str:
    """The example as it is written: iptkit.dumps with an indent of 2 and a final newline."""
    return dumps(who_group_example(), indent=2) + "\n"


class TestExample:
    """The bundled WHO Group IPT example."""

    def test_file_is_written_by_the_library(self) -> None:
        """The committed file is exactly what who_group_example() dumps."""
        assert EXAMPLE.read_text(encoding="utf-8") == example_text()

    def test_who_group_facts(self) -> None:
        """6 members; a pre-group meeting and 8 weekly 90-minute group sessions (§4)."""
        example = loads(GroupCourse, EXAMPLE.read_text(encoding="utf-8"))
        assert example.protocol == WHO_GROUP
        assert len(example.members) == 6
        sessions = example.schedule.sessions
        assert [s.label for s in sessions] == [str(n) for n in range(9)]
        assert sessions[0].kind is SessionKind.PRE_TREATMENT
        assert {s.minutes for s in sessions} == {90}
        gaps = {b.starts_at - a.starts_at for a, b in itertools.pairwise(sessions)}
        assert gaps == {dt.timedelta(weeks=1)}
        assert [s.label for s in example.held] == [str(n) for n in range(1, 9)]

    def test_misses_and_one_make_up(self) -> None:
        """Two misses; the one make-up contact comes after the session it stands in for."""
        example = loads(GroupCourse, EXAMPLE.read_text(encoding="utf-8"))
        assert [(m.label, m.missed) for m in example.members if m.missed] == [
            ("M2", (3,)),
            ("M5", (6,)),
        ]
        contacts = [(m.label, c) for m in example.members for c in m.individual_contacts]
        assert len(contacts) == 1
        label, made_up = contacts[0]
        assert (label, made_up.makes_up) == ("M2", 3)
        assert made_up.starts_at > example.schedule.session(3).starts_at

    def test_no_findings(self) -> None:
        """Every member has a row for every held session and stays within the contract."""
        example = loads(GroupCourse, EXAMPLE.read_text(encoding="utf-8"))
        assert check(example) == ()


# --------------------------------------------------------------------------
# Domain facts: a missed group session never moves the member's numbers
# --------------------------------------------------------------------------


class TestClosedGroup:
    """The group's sessions are planned once; members attend or miss them."""

    def test_who_plan(self) -> None:
        """WHO Group IPT plans a pre-group meeting (0) and group sessions 1-8, weekly, 90 min."""
        plan = who_plan(held=0, pre_group_held=False)
        assert [s.label for s in plan.sessions] == [str(n) for n in range(9)]
        assert plan.pre_treatment is not None
        assert {s.minutes for s in plan.sessions} == {90}
        assert plan.end == FIRST + dt.timedelta(weeks=7)

    def test_a_miss_keeps_the_group_numbers(self) -> None:
        """A member who misses session 5 still comes to sessions 6-8 of the group, on its days."""
        plan = who_plan()
        absent = member("M1", HELD, HELD, HELD, HELD, MISSED, HELD, HELD, HELD)
        subject = group(absent, member("M2", *[HELD] * 8))
        assert absent.missed == (5,)
        assert absent.attended == (0, 1, 2, 3, 4, 6, 7, 8)
        assert subject.schedule == plan
        assert subject.schedule.session(8).starts_at == FIRST + dt.timedelta(weeks=7)
        assert absent.status_at(8) is HELD
        assert absent.status_at(9) is None

    def test_the_individual_policy_would_shift(self) -> None:
        """For contrast: an individual course that makes up session 5 ends a week later."""
        individual = plan_sessions(FIRST, 8, zone="UTC", protocol=STANDARD)
        for number in range(1, 5):
            individual = individual.hold(number)
        shifted = individual.miss(5, make_up=True)
        assert shifted.session(8).starts_at - individual.session(8).starts_at == dt.timedelta(
            weeks=1
        )
        # The group's session 8 stays where the group meets, whoever misses session 5.
        missed = group(member("M1", HELD, HELD, HELD, HELD, MISSED, HELD, HELD, HELD))
        assert missed.schedule.session(8).starts_at == who_plan().session(8).starts_at

    def test_make_up_is_an_individual_contact(self) -> None:
        """A make-up is a contact of its own; the missed row stays missed."""
        absent = member(
            "M1",
            HELD,
            HELD,
            MISSED,
            HELD,
            HELD,
            HELD,
            HELD,
            HELD,
            individual_contacts=(contact(3),),
        )
        subject = group(absent)
        assert subject.members[0].missed == (3,)
        assert subject.members[0].individual_contacts[0].makes_up == 3
        assert [s.label for s in subject.held] == [str(n) for n in range(1, 9)]

    def test_contact_on_the_same_day_after_the_session(self) -> None:
        """A make-up may start the moment the missed session starts, or any time after."""
        at_start = contact(3, dt.timedelta(0))
        subject = group(member("M1", HELD, HELD, MISSED, individual_contacts=(at_start,)))
        assert subject.members[0].individual_contacts == (at_start,)

    def test_contacts_that_make_up_nothing(self) -> None:
        """A contact without makes_up needs no miss."""
        subject = group(member("M1", HELD, individual_contacts=(contact(None),)))
        assert subject.members[0].individual_contacts[0].makes_up is None

    def test_pre_group_meeting_is_the_members_own(self) -> None:
        """Row 0 may be recorded whatever the schedule says of its session 0."""
        plan = who_plan(held=2, pre_group_held=False)
        subject = group(member("M1", HELD, HELD), schedule=plan)
        assert subject.members[0].status_at(0) is HELD
        assert plan.session(0).status is SessionStatus.PLANNED

    def test_member_who_left(self) -> None:
        """A member who left has rows up to the day they left."""
        left = member("M1", HELD, HELD, MISSED, left_on=FIRST.date() + dt.timedelta(weeks=2))
        assert group(left).members[0].left_on == dt.date(2026, 3, 16)

    def test_community_group_has_no_pre_group_meeting(self) -> None:
        """Community group IPT: 8-16 weekly group sessions, numbered from 1."""
        plan = plan_sessions(FIRST, 12, zone="UTC", protocol=COMMUNITY_GROUP).hold(1).hold(2)
        subject = GroupCourse(
            group_id="CG-7",
            protocol=COMMUNITY_GROUP,
            schedule=plan,
            members=(GroupMember(label="A", attendance=rows(HELD, MISSED)),),
        )
        assert [s.label for s in subject.held] == ["1", "2"]
        assert subject.member("A") is subject.members[0]
        assert subject.member("B") is None


# --------------------------------------------------------------------------
# Invariants, each with its code and path
# --------------------------------------------------------------------------


class TestInvariants:
    """What a group record cannot break and still mean something."""

    def test_not_a_group_protocol(self) -> None:
        """An individual protocol is refused at the protocol's format."""
        plan = plan_sessions(FIRST, 8, zone="UTC", protocol=STANDARD)
        with pytest.raises(ValidationError) as info:
            GroupCourse(group_id="G", protocol=STANDARD, schedule=plan, members=())
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.protocol.format", "not_a_group_protocol")
        ]
        assert info.value.issues[0].input is Format.INDIVIDUAL

    def test_schedule_protocol_mismatch(self) -> None:
        """The calendar follows the group's protocol (protocol_mismatch)."""
        plan = plan_sessions(FIRST, 8, zone="UTC", protocol=COMMUNITY_GROUP)
        assert issues_of(lambda: group(schedule=plan)) == [
            ("$.schedule.protocol", "protocol_mismatch")
        ]

    def test_contract_protocol_mismatch(self) -> None:
        """So does the contract."""
        contract = group_contract(protocol=COMMUNITY_GROUP)
        assert issues_of(lambda: group(contract=contract)) == [
            ("$.contract.protocol", "protocol_mismatch")
        ]

    def test_group_id_pattern(self) -> None:
        """The group id is a pseudonymous code, never a name with spaces."""
        assert issues_of(lambda: group(group_id="Tuesday group")) == [
            ("$.group_id", "invalid_value")
        ]

    def test_duplicate_label(self) -> None:
        """Labels are unique within the roster; the issue keeps the label, the message does not."""
        with pytest.raises(ValidationError) as info:
            group(member("Amina", HELD), member("Amina", HELD))
        (issue,) = info.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.members[1].label",
            "duplicate_label",
            "Amina",
        )
        assert "Amina" not in str(info.value)

    def test_label_is_private(self) -> None:
        """repr never shows a member's label."""
        assert "Amina" not in repr(member("Amina", HELD))
        assert "Amina" not in repr(group(member("Amina", HELD)))

    def test_attendance_listed_twice(self) -> None:
        """One row per group session (duplicate_value)."""
        twice = (*rows(HELD, HELD), MemberAttendance(number=2, status=MISSED))
        assert issues_of(lambda: GroupMember(label="A", attendance=twice)) == [
            ("$.attendance[2].number", "duplicate_value")
        ]

    def test_attendance_out_of_order(self) -> None:
        """Rows are listed in order of the group's session numbers (out_of_order)."""
        backwards = (*rows(HELD, HELD, start=3), MemberAttendance(number=1, status=HELD))
        with pytest.raises(ValidationError) as info:
            GroupMember(label="A", attendance=backwards)
        (issue,) = info.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.attendance[2].number",
            "out_of_order",
            1,
        )

    @pytest.mark.parametrize(
        "status", [SessionStatus.PLANNED, SessionStatus.CANCELLED_BY_THERAPIST]
    )
    def test_attendance_status(self, status: SessionStatus) -> None:
        """A member's row is held, missed or cancelled by the member; nothing else."""
        with pytest.raises(ValidationError) as info:
            MemberAttendance(number=1, status=status)
        (issue,) = info.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.status",
            "invalid_attendance_status",
            status,
        )
        assert status.value not in issue.message

    def test_attendance_number_bounds(self) -> None:
        """Numbers start at 0, the pre-group meeting."""
        assert issues_of(lambda: MemberAttendance(number=-1, status=HELD)) == [
            ("$.number", "out_of_range")
        ]

    def test_contacts_in_start_order(self) -> None:
        """Individual contacts are listed in start order (out_of_order)."""
        later, earlier = contact(None, dt.timedelta(days=5)), contact(None)
        assert issues_of(
            lambda: GroupMember(
                label="A", attendance=rows(HELD), individual_contacts=(later, earlier)
            )
        ) == [("$.individual_contacts[1].starts_at", "out_of_order")]

    def test_make_up_of_a_session_attended(self) -> None:
        """A make-up stands in for a session the member missed (made_up_not_missed)."""
        with pytest.raises(ValidationError) as info:
            GroupMember(label="A", attendance=rows(HELD, HELD), individual_contacts=(contact(2),))
        (issue,) = info.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.individual_contacts[0].makes_up",
            "made_up_not_missed",
            2,
        )

    def test_make_up_of_a_session_not_recorded(self) -> None:
        """A make-up of a session with no row is refused too."""
        assert issues_of(
            lambda: GroupMember(label="A", attendance=rows(HELD), individual_contacts=(contact(4),))
        ) == [("$.individual_contacts[0].makes_up", "made_up_not_missed")]

    def test_make_up_of_a_cancellation(self) -> None:
        """A session the member gave notice for can be made up."""
        made_up = GroupMember(
            label="A", attendance=rows(HELD, CANCELLED), individual_contacts=(contact(2),)
        )
        assert made_up.missed == (2,)

    def test_pre_group_meeting_is_never_made_up(self) -> None:
        """makes_up names a group session, 1 or more."""
        assert issues_of(lambda: IndividualContact(starts_at=FIRST, minutes=30, makes_up=0)) == [
            ("$.makes_up", "out_of_range")
        ]

    def test_unknown_group_session(self) -> None:
        """Rows name sessions of the group's schedule (unknown_group_session)."""
        beyond = GroupMember(label="A", attendance=rows(HELD, start=9))
        with pytest.raises(ValidationError) as info:
            group(beyond)
        (issue,) = info.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.members[0].attendance[0].number",
            "unknown_group_session",
            9,
        )
        assert "9" not in issue.message

    def test_no_pre_group_meeting_in_the_protocol(self) -> None:
        """Row 0 needs a pre-group meeting in the schedule (community group IPT has none)."""
        plan = plan_sessions(FIRST, 8, zone="UTC", protocol=COMMUNITY_GROUP).hold(1)
        first = GroupMember(label="A", attendance=rows(HELD, HELD, start=0))
        assert issues_of(
            lambda: GroupCourse(
                group_id="G", protocol=COMMUNITY_GROUP, schedule=plan, members=(first,)
            )
        ) == [("$.members[0].attendance[0].number", "unknown_group_session")]

    def test_session_not_held(self) -> None:
        """Rows only for sessions the schedule marks as held (group_session_not_held)."""
        plan = who_plan(held=3)
        assert issues_of(lambda: group(member("A", HELD, HELD, HELD, MISSED), schedule=plan)) == [
            ("$.members[0].attendance[4]", "group_session_not_held")
        ]

    def test_session_called_off_by_the_service(self) -> None:
        """A session the service called off has no attendance."""
        plan = who_plan(held=1).cancel(2, make_up=False, by_therapist=True).hold(3)
        assert issues_of(lambda: group(member("A", HELD, MISSED, HELD), schedule=plan)) == [
            ("$.members[0].attendance[2]", "group_session_not_held")
        ]
        skipped = (MemberAttendance(number=1, status=HELD), MemberAttendance(number=3, status=HELD))
        kept = group(GroupMember(label="A", attendance=skipped), schedule=plan)
        assert [s.number for s in kept.held] == [1, 3]

    def test_recorded_after_leaving(self) -> None:
        """Nothing is recorded for a session after the member left (recorded_after_leaving)."""
        left = FIRST.date() + dt.timedelta(weeks=1)
        gone = member("A", HELD, HELD, MISSED, left_on=left)
        assert issues_of(lambda: group(gone)) == [
            ("$.members[0].attendance[3]", "recorded_after_leaving")
        ]

    def test_make_up_before_the_session(self) -> None:
        """A make-up cannot start before the group session it stands in for (out_of_order)."""
        early = contact(3, -dt.timedelta(hours=1))
        absent = member("A", HELD, HELD, MISSED, individual_contacts=(early,))
        with pytest.raises(ValidationError) as info:
            group(absent)
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == (
            "$.members[0].individual_contacts[0].starts_at",
            "out_of_order",
        )
        assert issue.input == early.starts_at

    def test_load_reports_everything_at_once(self) -> None:
        """One load of a broken document lists every problem, each with its path."""
        doc = iptkit.dump(group(member("A", HELD, HELD, MISSED), member("B", HELD)))
        doc["members"][1]["label"] = "A"
        doc["members"][0]["attendance"][1]["status"] = "planned"
        doc["members"][1]["attendance"].append({"number": 12, "status": "held"})
        # A local protocol (a built-in's name is reserved for its rules) for individuals.
        doc["protocol"] = {**iptkit.dump(WHO_GROUP), "name": "local", "format": "individual"}
        with pytest.raises(ValidationError) as info:
            iptkit.load(GroupCourse, doc)
        # A member that cannot be built stops the cross-field rules, not the protocol's rule.
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.protocol.format", "not_a_group_protocol"),
            ("$.members[0].attendance[1].status", "invalid_attendance_status"),
        ]
        del doc["members"][0]["attendance"][1]
        with pytest.raises(ValidationError) as info:
            iptkit.load(GroupCourse, doc)
        assert sorted((i.path, i.code) for i in info.value.issues) == [
            ("$.members[1].attendance[2].number", "unknown_group_session"),
            ("$.members[1].label", "duplicate_label"),
            ("$.protocol.format", "not_a_group_protocol"),
            ("$.schedule.protocol", "protocol_mismatch"),
        ]
        for issue in info.value.issues:
            assert "12" not in issue.message
            assert "individual" not in issue.message


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


class TestMemberMissedTooMany:
    """member_missed_too_many: more misses than the contract's max_missed (§6)."""

    def test_one_past_the_limit(self) -> None:
        """Three misses with max_missed 2: a warning at the third miss, once."""
        absent = member("A", HELD, MISSED, HELD, CANCELLED, MISSED, MISSED, HELD, HELD)
        subject = group(absent, member("B", *[HELD] * 8), contract=group_contract(2))
        assert findings(subject, "member_missed_too_many") == [
            ("$.members[0].attendance[5]", Severity.WARNING)
        ]

    def test_at_the_limit(self) -> None:
        """Two misses with max_missed 2 are within the policy."""
        absent = member("A", HELD, MISSED, HELD, MISSED, HELD, HELD, HELD, HELD)
        assert findings(group(absent, contract=group_contract(2)), "member_missed_too_many") == []

    def test_pre_group_meeting_is_not_a_group_session(self) -> None:
        """A missed pre-group meeting does not count towards the limit."""
        attendance = (MemberAttendance(number=0, status=MISSED), *rows(MISSED, *[HELD] * 7))
        subject = group(GroupMember(label="A", attendance=attendance), contract=group_contract(1))
        assert findings(subject, "member_missed_too_many") == []

    def test_make_up_does_not_undo_a_miss(self) -> None:
        """A made-up session was still missed by the group member."""
        absent = member(
            "A", MISSED, MISSED, HELD, HELD, HELD, HELD, HELD, HELD,
            individual_contacts=(contact(1), contact(2)),
        )  # fmt: skip
        subject = group(absent, contract=group_contract(1))
        assert findings(subject, "member_missed_too_many") == [
            ("$.members[0].attendance[2]", Severity.WARNING)
        ]

    @pytest.mark.parametrize("contract", [None, group_contract(None)], ids=["none", "no_limit"])
    def test_no_limit(self, contract: TreatmentContract | None) -> None:
        """Without a contract, or a limit in it, nothing is reported."""
        absent = member("A", *[MISSED] * 8)
        assert findings(group(absent, contract=contract), "member_missed_too_many") == []


class TestMemberAttendanceMissing:
    """member_attendance_missing: a held group session without the member's row (§4)."""

    def test_a_gap(self) -> None:
        """A member with no row for session 4 gets one warning at their attendance."""
        gap = (*rows(HELD, HELD, HELD), *rows(HELD, HELD, HELD, HELD, start=5))
        subject = group(GroupMember(label="A", attendance=gap), member("B", *[HELD] * 8))
        assert findings(subject, "member_attendance_missing") == [
            ("$.members[0].attendance", Severity.WARNING)
        ]

    def test_one_finding_per_member(self) -> None:
        """A member with no rows at all gets one finding, not one per session."""
        subject = group(
            GroupMember(label="A", attendance=()), GroupMember(label="B", attendance=())
        )
        assert findings(subject, "member_attendance_missing") == [
            ("$.members[0].attendance", Severity.WARNING),
            ("$.members[1].attendance", Severity.WARNING),
        ]

    def test_sessions_not_held_need_no_row(self) -> None:
        """Planned sessions, and sessions the service called off, need no row."""
        plan = who_plan(held=3).cancel(4, make_up=False, by_therapist=True)
        subject = group(member("A", HELD, HELD, HELD), schedule=plan)
        assert findings(subject, "member_attendance_missing") == []

    def test_pre_group_meeting_needs_no_row(self) -> None:
        """The pre-group meeting is the member's own: no row is expected for it."""
        subject = group(GroupMember(label="A", attendance=rows(*[HELD] * 8)))
        assert check(subject) == ()

    def test_member_who_left(self) -> None:
        """Sessions after the day a member left need no row; sessions before do."""
        left = FIRST.date() + dt.timedelta(weeks=2)
        gone = member("A", HELD, HELD, MISSED, left_on=left)
        assert findings(group(gone), "member_attendance_missing") == []
        early = member("A", HELD, HELD, left_on=left)
        assert findings(group(early), "member_attendance_missing") == [
            ("$.members[0].attendance", Severity.WARNING)
        ]


class TestGroupChecks:
    """check() on a group course: its own checks, configured as any other."""

    def test_registered(self) -> None:
        """Both checks are in the registry, as warnings citing the domain reference."""
        infos = {info.code: info for info in CHECKS}
        for code in GROUP_CODES:
            assert infos[code].severity is Severity.WARNING
            assert "§4" in infos[code].source

    def test_no_group_size_check(self) -> None:
        """No protocol states a largest group, so no check judges a group's size."""
        assert not any("size" in info.code or "large" in info.code for info in CHECKS)
        crowded = group(*(member(f"M{n}", *[HELD] * 8) for n in range(1, 16)))
        assert check(crowded) == ()

    def test_course_checks_do_not_run(self) -> None:
        """A group course gets only the checks of closed groups."""
        absent = member("A", *[MISSED] * 8)
        subject = group(absent, GroupMember(label="B", attendance=()), contract=group_contract(1))
        assert {f.code for f in check(subject)} == GROUP_CODES

    def test_configured(self) -> None:
        """Codes can be switched off or given another severity."""
        subject = group(member("A", *[MISSED] * 8), contract=group_contract(1))
        config = CheckConfig(severities={"member_missed_too_many": Severity.INFO})
        assert [(f.code, f.severity) for f in check(subject, config=config)] == [
            ("member_missed_too_many", Severity.INFO)
        ]
        off = CheckConfig(disabled={"member_missed_too_many"})
        assert check(subject, config=off) == ()

    def test_another_protocol_may_be_given(self) -> None:
        """protocol= is taken as for a course; the group checks do not depend on it."""
        subject = group(member("A", *[MISSED] * 8), contract=group_contract(1))
        assert check(subject, protocol=COMMUNITY_GROUP) == check(subject)

    def test_wrong_type(self) -> None:
        """Anything but a course or a group course is refused."""
        assert issues_of(lambda: check("group")) == [("$.course", "wrong_type")]  # type: ignore[arg-type]

    def test_messages_hold_no_value(self) -> None:
        """No finding names a member's label or a session number."""
        absent = member("Zq9MARKER", *[MISSED] * 7)
        subject = group(absent, contract=group_contract(3))
        found = check(subject)
        assert {f.code for f in found} == GROUP_CODES
        for finding in found:
            for shown in (finding.message, str(finding), repr(finding)):
                assert "Zq9MARKER" not in shown
                assert not any(ch.isdigit() for ch in finding.message)

    @given(group_courses(max_members=6))
    def test_never_raises(self, subject: GroupCourse) -> None:
        """Findings of any valid group are group findings, sorted, with paths into it."""
        found = check(subject)
        assert {f.code for f in found} <= GROUP_CODES
        assert list(found) == sorted(found, key=lambda f: f.sort_key)
        assert all(f.path.startswith("$.members[") for f in found)


# --------------------------------------------------------------------------
# JSON and schema
# --------------------------------------------------------------------------


class TestJson:
    """A group course is a top-level document ("group"), read back without loss."""

    def test_round_trip(self) -> None:
        """dumps/loads give the same group, and dumps is deterministic."""
        subject = who_group_example()
        text = dumps(subject)
        assert loads(GroupCourse, text) == subject
        assert dumps(loads(GroupCourse, text)) == text
        assert next(iter(json.loads(text))) == "schema_version"

    def test_document_kind(self) -> None:
        """The command line finds it by its kind."""
        from iptkit._cli import _documents as documents

        assert documents.document_type("group") is GroupCourse
        assert "group" in documents.CHECKED_DOCUMENTS

    def test_schema_validates_the_example(self) -> None:
        """json_schema(GroupCourse) accepts the example and refuses an unknown key."""
        checker = Draft202012Validator(
            iptkit.json_schema(GroupCourse), format_checker=FormatChecker()
        )
        doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        assert [e.message for e in checker.iter_errors(doc)] == []
        doc["members"][0]["name"] = "Amina"
        assert not checker.is_valid(doc)

    @given(group_courses(max_members=4))
    def test_generated_round_trip(self, subject: GroupCourse) -> None:
        """Any generated group comes back equal from its JSON."""
        assert loads(GroupCourse, dumps(subject)) == subject


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m iptkit ARGS`` and return the finished process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "iptkit", *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def report(proc: subprocess.CompletedProcess[bytes]) -> tuple[list[dict[str, Any]], Any]:
    """The problem rows (standard output) and the summary (standard error) of ``--format jsonl``."""
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return records, json.loads(proc.stderr.decode().splitlines()[-1])


class TestCommandLine:
    """``iptkit check --document group``."""

    def test_example_is_clean(self) -> None:
        """The example loads and has no findings: exit code 0."""
        proc = run("check", "--document", "group", "--format", "jsonl", str(EXAMPLE))
        assert proc.returncode == 0, proc.stderr
        rows_, summary = report(proc)
        assert rows_ == []
        assert summary["documents"] == {"read": 1, "valid": 1, "with_errors": 0}

    def test_findings_and_errors(self, tmp_path: Path) -> None:
        """A group with findings exits 0 with warnings; a broken one exits 1 with its paths."""
        doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        del doc["members"][3]["attendance"][4]
        warned = tmp_path / "warned.json"
        warned.write_text(json.dumps(doc))
        proc = run("check", "--document", "group", "--format", "jsonl", str(warned))
        assert proc.returncode == 0, proc.stderr
        rows_, _ = report(proc)
        assert [(r["path"], r["code"], r["severity"]) for r in rows_] == [
            ("$.members[3].attendance", "member_attendance_missing", "warning")
        ]
        doc["members"][0]["attendance"][8]["number"] = 40
        doc["members"][5]["label"] = doc["members"][4]["label"]
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps(doc))
        proc = run("check", "--document", "group", "--format", "jsonl", str(broken))
        assert proc.returncode == 1
        rows_, _ = report(proc)
        assert [(r["path"], r["code"]) for r in rows_] == [
            ("$.members[5].label", "duplicate_label"),
            ("$.members[0].attendance[8].number", "unknown_group_session"),
        ]
        assert all("M5" not in r["message"] and "40" not in r["message"] for r in rows_)

    def test_read_as_a_course(self, tmp_path: Path) -> None:
        """Read as a course (the default kind), the example is invalid: exit 1, never 2."""
        proc = run("check", "--format", "jsonl", str(EXAMPLE))
        assert proc.returncode == 1
        assert b"Traceback" not in proc.stderr
        rows_, summary = report(proc)
        assert summary["documents"] == {"read": 1, "valid": 0, "with_errors": 1}
        assert {r["code"] for r in rows_} >= {"unknown_field", "missing_field"}

    def test_schema(self) -> None:
        """``iptkit schema --document group`` prints json_schema(GroupCourse)."""
        proc = run("schema", "--document", "group")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == iptkit.json_schema(GroupCourse)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


def group_numbers(subject: GroupCourse) -> dict[int, tuple[SessionKind, dt.datetime]]:
    """The group's session numbers, with the kind and start of each."""
    return {
        s.number: (s.kind, s.starts_at)
        for s in subject.schedule.sessions
        if s.kind is not SessionKind.MAINTENANCE and not s.made_up
    }


class TestProperties:
    """What holds for every generated group course."""

    @given(group_courses())
    def test_attendance_names_group_sessions(self, subject: GroupCourse) -> None:
        """Every row names a group session of the schedule: held, or the pre-group meeting."""
        numbers = group_numbers(subject)
        held = {s.number for s in subject.held}
        for each in subject.members:
            for row in each.attendance:
                assert row.number in numbers
                kind, _ = numbers[row.number]
                assert row.number in held or kind is SessionKind.PRE_TREATMENT
            for made_up in each.individual_contacts:
                if made_up.makes_up is not None:
                    assert made_up.makes_up in each.missed
                    assert made_up.starts_at >= numbers[made_up.makes_up][1]

    @given(group_courses(), st.data())
    def test_misses_never_move_group_sessions(
        self, subject: GroupCourse, data: st.DataObject
    ) -> None:
        """Turning a member's attended session into a miss, made up or not, moves nothing."""
        attended = [
            (index, position)
            for index, each in enumerate(subject.members)
            for position, row in enumerate(each.attendance)
            if row.number and row.status is HELD
        ]
        if not attended:
            return
        index, position = data.draw(st.sampled_from(attended))
        chosen = subject.members[index]
        row = chosen.attendance[position]
        status = data.draw(st.sampled_from([MISSED, CANCELLED]))
        attendance = list(chosen.attendance)
        attendance[position] = evolve(row, status=status)
        contacts = list(chosen.individual_contacts)
        if data.draw(st.booleans()):
            start = group_numbers(subject)[row.number][1] + dt.timedelta(days=1)
            contacts.append(IndividualContact(starts_at=start, minutes=45, makes_up=row.number))
            contacts.sort(key=lambda c: c.starts_at)
        changed_member = evolve(
            chosen, attendance=tuple(attendance), individual_contacts=tuple(contacts)
        )
        members = list(subject.members)
        members[index] = changed_member
        changed = evolve(subject, members=tuple(members))
        assert changed.schedule == subject.schedule
        assert group_numbers(changed) == group_numbers(subject)
        assert [r.number for r in changed_member.attendance] == [
            r.number for r in chosen.attendance
        ]
        assert row.number in changed_member.missed
        assert loads(GroupCourse, dumps(changed)) == changed


def write_example() -> None:
    """Write ``examples/groups/who_group.json`` from :func:`who_group_example`."""
    EXAMPLE.parent.mkdir(exist_ok=True)
    EXAMPLE.write_text(example_text(), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    write_example()
