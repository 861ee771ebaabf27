"""Example tests of session scheduling (design.md, session-numbering rules).

Phase boundaries come from the domain reference §3.1 and the protocol table
in §4; maintenance frequencies from §3.3; contingency policies from §6.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import iptkit
from _helpers import issues_of
from iptkit import (
    FocusArea,
    Frequency,
    MissedSessionPolicy,
    MonthlyBy,
    Phase,
    Schedule,
    ScheduleError,
    SessionKind,
    SessionStatus,
    SessionTerms,
    TreatmentContract,
    plan_sessions,
    protocols,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
UTC = dt.UTC


def _ny_course(**kwargs: Any) -> Schedule:
    """16 weekly sessions from Monday 2026-03-02 09:00 in New York."""
    return plan_sessions(
        dt.datetime(2026, 3, 2, 9, tzinfo=NY), 16, zone="America/New_York", **kwargs
    )


def _local(schedule: Schedule) -> list[str]:
    zone = ZoneInfo(schedule.zone)
    return [s.starts_at.astimezone(zone).isoformat() for s in schedule.sessions]


def _tampered(schedule: Schedule, index: int, **changes: Any) -> dict[str, Any]:
    doc = iptkit.dump(schedule)
    doc["sessions"][index].update(changes)
    return doc


class TestPlanSessions:
    """plan_sessions: wall-clock times across DST, exclusions, pre-treatment."""

    def test_new_york_keeps_nine_oclock_across_dst(self) -> None:
        """Sessions stay at 09:00 local while the offset moves from -05:00 to -04:00."""
        schedule = _ny_course()
        starts = [s.starts_at.astimezone(NY) for s in schedule.sessions]
        assert len(starts) == 16
        assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
        assert starts[0].isoformat() == "2026-03-02T09:00:00-05:00"
        assert starts[1].isoformat() == "2026-03-09T09:00:00-04:00"
        assert starts[0].utcoffset() == dt.timedelta(hours=-5)
        assert all(s.utcoffset() == dt.timedelta(hours=-4) for s in starts[1:])
        assert starts[-1].date() == dt.date(2026, 6, 15)

    def test_two_excluded_dates_end_two_weeks_later(self) -> None:
        """Each excluded slot is skipped, so two exclusions move the end by two weeks."""
        plain = _ny_course()
        excluded = _ny_course(exclude=[dt.date(2026, 3, 16), dt.date(2026, 5, 25)])
        assert excluded.end - plain.end == dt.timedelta(weeks=2)
        days = {s.starts_at.astimezone(NY).date() for s in excluded.sessions}
        assert days.isdisjoint({dt.date(2026, 3, 16), dt.date(2026, 5, 25)})
        assert excluded.exclude == (dt.date(2026, 3, 16), dt.date(2026, 5, 25))

    def test_london_keeps_evening_time_into_summer_time(self) -> None:
        """Europe/London moves to BST on 2026-03-29; 18:30 stays 18:30 local."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 23, 18, 30, tzinfo=LONDON), 3, zone="Europe/London"
        )
        assert _local(schedule) == [
            "2026-03-23T18:30:00+00:00",
            "2026-03-30T18:30:00+01:00",
            "2026-04-06T18:30:00+01:00",
        ]

    def test_sydney_keeps_time_when_daylight_saving_ends(self) -> None:
        """Australia/Sydney leaves daylight time on 2026-04-05 (+11:00 to +10:00)."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 30, 17, tzinfo=SYDNEY), 3, zone="Australia/Sydney"
        )
        assert _local(schedule) == [
            "2026-03-30T17:00:00+11:00",
            "2026-04-06T17:00:00+10:00",
            "2026-04-13T17:00:00+10:00",
        ]

    def test_sydney_keeps_time_when_daylight_saving_starts(self) -> None:
        """Australia/Sydney starts daylight time on 2026-10-04 (+10:00 to +11:00)."""
        schedule = plan_sessions(
            dt.datetime(2026, 9, 28, 8, tzinfo=SYDNEY), 3, zone="Australia/Sydney"
        )
        assert _local(schedule)[:2] == ["2026-09-28T08:00:00+10:00", "2026-10-05T08:00:00+11:00"]

    def test_monthly_on_the_31st_uses_the_last_day_of_short_months(self) -> None:
        """Monthly from 31 January: 28 February, 31 March, 30 April."""
        schedule = plan_sessions(
            dt.datetime(2026, 1, 31, 10, tzinfo=UTC), 4, zone="UTC", frequency=Frequency.MONTHLY
        )
        assert [s.starts_at.date().isoformat() for s in schedule.sessions] == [
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
        ]

    def test_twice_weekly_meets_three_days_apart(self) -> None:
        """Twice weekly from a Monday gives Monday and Thursday sessions."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=NY),
            4,
            zone="America/New_York",
            frequency=Frequency.TWICE_WEEKLY,
        )
        assert [s.starts_at.strftime("%a %d") for s in schedule.sessions] == [
            "Mon 02",
            "Thu 05",
            "Mon 09",
            "Thu 12",
        ]

    def test_ipt_uk_phases_are_four_eight_four(self) -> None:
        """IPT-UK, 16 sessions: initial 1-4, middle 5-12, termination 13-16 (§3.1)."""
        schedule = _ny_course(protocol=protocols.IPT_UK)
        phases = [s.phase for s in schedule.sessions]
        assert phases == [Phase.INITIAL] * 4 + [Phase.MIDDLE] * 8 + [Phase.TERMINATION] * 4

    def test_brief_ipt_plans_an_engagement_session_zero(self) -> None:
        """IPT-B has an engagement session before session 1, numbered 0 (§4)."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 9, 9, tzinfo=NY),
            8,
            zone="America/New_York",
            protocol=protocols.BRIEF,
        )
        pre = schedule.pre_treatment
        assert pre is not None
        assert (pre.kind, pre.number, pre.label, pre.phase) == (
            SessionKind.PRE_TREATMENT,
            0,
            "0",
            None,
        )
        assert pre.starts_at.astimezone(NY).isoformat() == "2026-03-02T09:00:00-05:00"
        assert [s.number for s in schedule.acute] == list(range(1, 9))

    def test_pre_treatment_skips_an_excluded_day_backwards(self) -> None:
        """The pre-treatment slot moves to the previous allowed slot, never past session 1."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 9, 9, tzinfo=NY),
            8,
            zone="America/New_York",
            protocol=protocols.GROUP,
            exclude=[dt.date(2026, 3, 2)],
        )
        assert schedule.sessions[0].starts_at.astimezone(NY).date() == dt.date(2026, 2, 23)

    def test_minutes_default_to_the_protocol(self) -> None:
        """Group IPT sessions last 90 minutes by default (§4)."""
        schedule = _ny_course(protocol=protocols.GROUP)
        assert {s.minutes for s in schedule.sessions} == {90}

    def test_bad_arguments_report_every_issue(self) -> None:
        """Naive start, short total and a bad frequency are all reported."""
        assert issues_of(
            lambda: plan_sessions(
                dt.datetime(2026, 3, 2, 9),
                2,
                zone="UTC",
                frequency="weekly",  # type: ignore[arg-type]
            )
        ) == [
            ("$.first_start", "naive_datetime"),
            ("$.frequency", "wrong_type"),
            ("$.total", "out_of_range"),
        ]

    def test_unknown_zone(self) -> None:
        """An unknown IANA zone name is refused with invalid_zone."""
        assert issues_of(
            lambda: plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 8, zone="Mars/Base")
        ) == [("$.zone", "invalid_zone")]

    def test_impossible_plan_raises_schedule_error(self) -> None:
        """100 monthly sessions with three years of excluded first-of-months do not fit."""
        first = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
        excluded = [dt.date(2026 + year, month, 1) for year in range(3) for month in range(1, 13)]
        with pytest.raises(ScheduleError):
            plan_sessions(
                first,
                100,
                zone="UTC",
                frequency=Frequency.MONTHLY,
                exclude=excluded,
                if_first_excluded="move",
            )


class TestMiss:
    """Schedule.miss and Schedule.cancel: rule 4."""

    def test_made_up_miss_moves_the_end_one_slot(self) -> None:
        """A made-up session stays as a made-up row and every later number moves one week on."""
        plan = _ny_course()
        after = plan.miss(5, make_up=True)
        assert after.end - plan.end == dt.timedelta(weeks=1)
        assert [m.label for m in after.made_up] == ["5"]
        assert after.made_up[0].starts_at == plan.session(5).starts_at
        assert after.session(5).starts_at == plan.session(6).starts_at
        assert [s.number for s in after.acute] == list(range(1, 17))

    def test_counted_miss_keeps_the_end(self) -> None:
        """A counted miss spends its number: status missed, same end, nothing made up."""
        plan = _ny_course()
        after = plan.miss(5, make_up=False)
        assert after.end == plan.end
        assert after.session(5).status is SessionStatus.MISSED
        assert after.made_up == ()

    def test_cancel_records_cancelled(self) -> None:
        """cancel() records the patient's cancellation by default, counted or made up."""
        plan = _ny_course()
        cancelled = SessionStatus.CANCELLED_BY_PATIENT
        assert plan.cancel(3, make_up=False).session(3).status is cancelled
        assert plan.cancel(3, make_up=True).made_up[0].status is cancelled

    def test_policy_decides_by_default(self) -> None:
        """Without make_up the schedule's policy decides."""
        plan = _ny_course(missed_policy=MissedSessionPolicy.MADE_UP)
        assert len(plan.miss(2).made_up) == 1

    def test_policy_conflict_refused(self) -> None:
        """Making up a session under a counts policy is refused."""
        plan = _ny_course(missed_policy=MissedSessionPolicy.COUNTS)
        assert issues_of(lambda: plan.miss(2, make_up=True)) == [
            ("$.make_up", "against_missed_policy")
        ]

    def test_no_policy_needs_a_choice(self) -> None:
        """Without a policy, make_up must be given."""
        assert issues_of(lambda: _ny_course().miss(2)) == [("$.make_up", "missed_policy_needed")]

    def test_cannot_make_up_before_a_recorded_later_session(self) -> None:
        """A made-up miss is refused when a later session is already held."""
        plan = _ny_course().hold(4)
        assert issues_of(lambda: plan.miss(3, make_up=True)) == [
            ("$.number", "later_session_resolved")
        ]

    def test_pre_treatment_cannot_be_made_up(self) -> None:
        """The engagement session can be missed (counted) but not made up."""
        plan = _ny_course(protocol=protocols.BRIEF, missed_policy=MissedSessionPolicy.MADE_UP)
        assert plan.miss(0).session(0).status is SessionStatus.MISSED
        assert issues_of(lambda: plan.miss(0, make_up=True)) == [("$.make_up", "cannot_make_up")]

    def test_made_up_slot_refused_when_it_reaches_maintenance(self) -> None:
        """The replacement slot may not fall after maintenance has begun (rule 6)."""
        last = _ny_course().end
        plan = _ny_course().add_maintenance(2, first_start=last + dt.timedelta(days=3))
        with pytest.raises(ScheduleError):
            plan.miss(16, make_up=True)

    def test_replacement_slot_skips_a_made_up_maintenance_slot(self) -> None:
        """An acute replacement may not take the slot a made-up maintenance session left."""
        first = dt.datetime(2029, 1, 18, tzinfo=UTC)
        plan = plan_sessions(first, 4, zone="UTC", frequency=Frequency.MONTHLY)
        plan = plan.add_maintenance(2, monthly_by=MonthlyBy.DAY_OF_MONTH)
        plan = plan.miss(1, make_up=True, kind=SessionKind.MAINTENANCE)
        assert plan.made_up[0].starts_at == dt.datetime(2029, 5, 18, tzinfo=UTC)
        with pytest.raises(ScheduleError):
            plan.miss(2, make_up=True)


class TestMakeUpAt:
    """Schedule.miss(make_up_at=...): a make-up booked at a chosen time (rule 4)."""

    def _plan(self) -> Schedule:
        return plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 8, zone="UTC")

    def test_made_up_later_the_same_week(self) -> None:
        """Session 3 (Monday 16 March) missed, made up on Wednesday: nothing else moves."""
        plan = self._plan()
        wednesday = dt.datetime(2026, 3, 18, 14, tzinfo=UTC)
        booked = plan.miss(3, make_up_at=wednesday)
        assert booked.end == plan.end
        assert booked.session(3).starts_at == wednesday
        assert booked.session(3).status is SessionStatus.PLANNED
        (missed,) = booked.made_up
        assert (missed.number, missed.status, missed.starts_at) == (
            3,
            SessionStatus.MISSED,
            plan.session(3).starts_at,
        )
        others = [s for s in booked.acute if s.number != 3]
        assert others == [s for s in plan.acute if s.number != 3]
        assert booked.rebuild() == booked
        assert iptkit.loads(Schedule, iptkit.dumps(booked)) == booked

    def test_cancelled_by_the_therapist_and_made_up(self) -> None:
        plan = self._plan()
        booked = plan.cancel(
            8, make_up_at=dt.datetime(2026, 4, 24, 9, tzinfo=UTC), by_therapist=True
        )
        assert booked.made_up[0].status is SessionStatus.CANCELLED_BY_THERAPIST
        assert booked.end.date() == dt.date(2026, 4, 24)

    def test_in_the_zone_of_the_schedule(self) -> None:
        """A make-up given in another offset is the same instant, stored as the others are."""
        plan = plan_sessions(dt.datetime(2026, 7, 6, 9, tzinfo=LONDON), 8, zone="Europe/London")
        when = dt.datetime(2026, 7, 15, 12, tzinfo=SYDNEY)  # 03:00 in London (BST)
        booked = plan.miss(2, make_up_at=when)
        assert booked.session(2).starts_at == when
        assert booked.session(2).starts_at.tzinfo == plan.session(1).starts_at.tzinfo
        assert booked.session(2).starts_at.astimezone(LONDON).hour == 3

    @pytest.mark.parametrize(
        ("when", "code"),
        [
            (dt.datetime(2026, 3, 16, 9, tzinfo=UTC), "start_order"),  # the missed slot itself
            (dt.datetime(2026, 3, 13, 9, tzinfo=UTC), "start_order"),  # before it
            (dt.datetime(2026, 3, 23, 9, tzinfo=UTC), "start_order"),  # on session 4
            (dt.datetime(2026, 3, 25, 9, tzinfo=UTC), "start_order"),  # after session 4
            (dt.datetime(2026, 3, 18, 9), "naive_datetime"),
            ("2026-03-18T09:00Z", "naive_datetime"),
        ],
    )
    def test_refused_times(self, when: Any, code: str) -> None:
        assert issues_of(lambda: self._plan().miss(3, make_up_at=when)) == [("$.make_up_at", code)]

    def test_refused_on_an_excluded_day(self) -> None:
        plan = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 8, zone="UTC", exclude={dt.date(2026, 3, 18)}
        )
        when = dt.datetime(2026, 3, 18, 9, tzinfo=UTC)
        assert issues_of(lambda: plan.miss(3, make_up_at=when)) == [
            ("$.make_up_at", "excluded_date")
        ]

    def test_conflicts_with_make_up_false(self) -> None:
        when = dt.datetime(2026, 3, 18, 9, tzinfo=UTC)
        assert issues_of(lambda: self._plan().miss(3, make_up=False, make_up_at=when)) == [
            ("$.make_up_at", "make_up_conflict")
        ]

    def test_against_a_counts_policy(self) -> None:
        plan = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
            8,
            zone="UTC",
            missed_policy=MissedSessionPolicy.COUNTS,
        )
        when = dt.datetime(2026, 3, 18, 9, tzinfo=UTC)
        assert issues_of(lambda: plan.miss(3, make_up_at=when)) == [
            ("$.make_up", "against_missed_policy")
        ]


class TestClosedGroup:
    """A group protocol's schedule is the group's calendar: it never shifts."""

    def _plan(self) -> Schedule:
        first = dt.datetime(2026, 3, 2, 18, tzinfo=LONDON)
        return plan_sessions(
            first,
            8,
            zone="Europe/London",
            protocol=protocols.WHO_GROUP,
            minutes=90,
            missed_policy=MissedSessionPolicy.MADE_UP,
        )

    def test_a_missed_group_session_counts(self) -> None:
        """WHO Group IPT, 8 weekly sessions: a group session that falls through counts."""
        plan = self._plan()
        missed = plan.miss(5)
        assert missed.end == plan.end
        assert missed.session(5).status is SessionStatus.MISSED
        assert [s.starts_at for s in missed.acute] == [s.starts_at for s in plan.acute]

    def test_never_shifted(self) -> None:
        assert issues_of(lambda: self._plan().miss(5, make_up=True)) == [
            ("$.make_up", "group_session_shifted")
        ]

    def test_the_whole_group_meets_again(self) -> None:
        plan = self._plan()
        thursday = dt.datetime(2026, 4, 2, 18, tzinfo=LONDON)
        booked = plan.cancel(5, make_up_at=thursday, by_therapist=True)
        assert booked.session(5).starts_at == thursday
        assert booked.end == plan.end


class TestHold:
    """Schedule.hold."""

    def test_hold_records_held(self) -> None:
        """A held session keeps its number, time and phase."""
        plan = _ny_course().hold(1)
        assert plan.session(1).status is SessionStatus.HELD
        assert plan.session(1).phase is Phase.INITIAL

    def test_hold_twice_refused(self) -> None:
        """A session already recorded cannot be recorded again."""
        plan = _ny_course().hold(1)
        assert issues_of(lambda: plan.hold(1)) == [("$.number", "already_resolved")]

    def test_unknown_session(self) -> None:
        """A number outside the schedule is refused."""
        assert issues_of(lambda: _ny_course().hold(17)) == [("$.number", "unknown_session")]
        assert issues_of(lambda: _ny_course().hold(1, kind=SessionKind.MAINTENANCE)) == [
            ("$.number", "unknown_session")
        ]


class TestExtend:
    """Schedule.extend: rule 5."""

    def test_phases_are_re_derived(self) -> None:
        """12 to 16 standard sessions: session 10 moves from termination to middle."""
        plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=NY), 12, zone="America/New_York")
        assert plan.session(10).phase is Phase.TERMINATION
        extended = plan.hold(1).extend(16, on=dt.date(2026, 3, 5), reason="Partial response")
        assert extended.session(10).phase is Phase.MIDDLE
        assert [s.phase for s in extended.acute][-3:] == [Phase.TERMINATION] * 3
        assert extended.total == 16
        assert extended.contracted_total == 12
        assert extended.amendments[0].new_total == 16
        assert extended.end - plan.end == dt.timedelta(weeks=4)

    def test_held_sessions_keep_their_phase(self) -> None:
        """A held middle session stays middle even where the new total says initial."""
        plan = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 3, zone="UTC", protocol=protocols.STANDARD
        )
        held = plan.hold(1).hold(2)
        assert held.session(2).phase is Phase.MIDDLE
        extended = held.extend(16, on=dt.date(2026, 3, 10), reason="Agreed")
        assert extended.session(2).phase is Phase.MIDDLE
        assert extended.session(3).phase is Phase.MIDDLE

    def test_refused_after_the_last_session(self) -> None:
        """Rule 5: the total cannot change after the day of the last acute session."""
        plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 4, zone="UTC")
        assert issues_of(lambda: plan.extend(6, on=dt.date(2026, 3, 24), reason="Too late")) == [
            ("$.on", "amended_after_end")
        ]
        # On the day of the last session (23 March) it is still possible.
        assert plan.extend(6, on=dt.date(2026, 3, 23), reason="Agreed at the end").total == 6

    def test_allowed_in_termination_and_lengthens_it(self) -> None:
        """Rule 5: extended once termination began, later sessions stay in termination.

        Standard protocol, 12 sessions: 10-12 are the termination phase; session
        10 is held, then the course is extended to 16 the next day.
        """
        plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 12, zone="UTC")
        for number in range(1, 11):
            plan = plan.hold(number)
        assert plan.session(10).phase is Phase.TERMINATION
        extended = plan.extend(16, on=dt.date(2026, 5, 5), reason="Agreed in termination")
        assert [s.phase for s in extended.acute][9:] == [Phase.TERMINATION] * 7
        assert extended.session(16).starts_at.date() == dt.date(2026, 6, 15)
        # The same day as the held session would give it another phase: refused.
        assert issues_of(lambda: plan.extend(16, on=dt.date(2026, 5, 4), reason="Same day")) == [
            ("$.on", "held_phase_changed")
        ]

    def test_after_made_up_misses_the_contract_agrees(self) -> None:
        """Two made-up misses push the end two weeks on; an extension then is storable.

        The contract judges no rule-5 date of its own, so a course carrying the
        schedule and the amended contract loads.
        """
        contract = iptkit.TreatmentContract(
            protocol=protocols.STANDARD,
            sessions=iptkit.SessionTerms(
                total=16,
                frequency=iptkit.Frequency.WEEKLY,
                minutes=50,
                first_session=dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
                zone="UTC",
            ),
            focus_areas=(iptkit.FocusArea.GRIEF,),
        )
        plan = Schedule.from_contract(contract).miss(2).miss(5)
        assert plan.end.date() == dt.date(2026, 6, 29)  # planned 15 June, two weeks on
        on = dt.date(2026, 6, 22)  # after the planned end, before the real one
        extended = plan.extend(20, on=on, reason="Slow response")
        amended = iptkit.evolve(contract, amendments=extended.amendments)
        course = iptkit.TreatmentCourse(
            patient_id="P-1",
            protocol=protocols.STANDARD,
            started_on=dt.date(2026, 3, 2),
            contract=amended,
            schedule=extended,
        )
        assert course.schedule is not None
        assert course.schedule.total == 20

    def test_must_raise_the_total(self) -> None:
        """An extension to the same total is refused."""
        assert issues_of(
            lambda: _ny_course().extend(16, on=dt.date(2026, 3, 3), reason="Same")
        ) == [("$.new_total", "not_an_extension")]

    def test_amendment_after_the_end_in_a_document(self) -> None:
        """A schedule document amended after its last acute session is refused on load."""
        plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 4, zone="UTC")
        extended = plan.extend(5, on=dt.date(2026, 3, 23), reason="Agreed at the end")
        doc = iptkit.dump(extended)
        doc["amendments"][0]["agreed_on"] = "2026-03-24"
        assert issues_of(lambda: iptkit.load(Schedule, doc)) == [
            ("$.amendments[0].agreed_on", "amended_after_end")
        ]


class TestMaintenance:
    """Schedule.add_maintenance: rule 6."""

    def test_monthly_maintenance_numbered_m1_to_mk(self) -> None:
        """Monthly maintenance (§3.3) is numbered M1..Mk after the last acute session.

        The course ends on Monday 15 June 2026, the third Monday of June; by
        default maintenance keeps the third Monday of the month.
        """
        plan = _ny_course().add_maintenance(3)
        maintenance = plan.maintenance_sessions
        assert [s.label for s in maintenance] == ["M1", "M2", "M3"]
        assert [s.starts_at.astimezone(NY).date().isoformat() for s in maintenance] == [
            "2026-07-20",
            "2026-08-17",
            "2026-09-21",
        ]
        assert {s.phase for s in maintenance} == {Phase.MAINTENANCE}
        assert plan.maintenance[0].count == 3

    def test_second_block_continues_the_numbers(self) -> None:
        """A second block of maintenance goes on from M4."""
        plan = _ny_course().add_maintenance(3).add_maintenance(2)
        assert [s.label for s in plan.maintenance_sessions][-2:] == ["M4", "M5"]

    def test_must_start_after_the_course(self) -> None:
        """Maintenance starting before the last acute session is refused."""
        assert issues_of(
            lambda: _ny_course().add_maintenance(2, first_start=dt.datetime(2026, 4, 1, tzinfo=NY))
        ) == [("$.first_start", "maintenance_before_acute")]

    def test_extension_cannot_run_into_maintenance(self) -> None:
        """Extra acute sessions that would overlap maintenance raise ScheduleError."""
        plan = _ny_course().add_maintenance(2, frequency=Frequency.WEEKLY)
        with pytest.raises(ScheduleError):
            plan.extend(18, on=dt.date(2026, 3, 3), reason="Agreed")

    def test_from_an_agreement(self) -> None:
        """A maintenance agreement adds its sessions in the same zone."""
        agreement = iptkit.MaintenanceAgreement(
            agreed_on=dt.date(2026, 6, 1),
            minutes=50,
            first_session=dt.datetime(2026, 7, 6, 9, tzinfo=NY),
            zone="America/New_York",
            count=6,
        )
        plan = _ny_course().add_agreement(agreement)
        assert len(plan.maintenance_sessions) == 6
        assert plan.maintenance[0].agreed_on == dt.date(2026, 6, 1)


class TestMove:
    """Schedule.move: rules 1, 2 and 7 kept."""

    def test_move_within_the_gap(self) -> None:
        """A session can move to another day between its neighbours."""
        to = dt.datetime(2026, 3, 18, 14, tzinfo=NY)
        plan = _ny_course().move(3, to)
        assert plan.session(3).starts_at == to

    def test_move_past_a_neighbour_refused(self) -> None:
        """Moving past the next session would renumber, so it is refused."""
        to = dt.datetime(2026, 3, 24, 9, tzinfo=NY)
        assert issues_of(lambda: _ny_course().move(3, to)) == [("$.to", "start_order")]

    def test_move_to_an_excluded_day_refused(self) -> None:
        """No session may be moved onto an excluded day."""
        plan = _ny_course(exclude=[dt.date(2026, 3, 18)])
        to = dt.datetime(2026, 3, 18, 9, tzinfo=NY)
        assert issues_of(lambda: plan.move(3, to)) == [("$.to", "excluded_date")]

    def test_move_to_a_naive_time_refused(self) -> None:
        """The new start must be aware."""
        assert issues_of(lambda: _ny_course().move(3, dt.datetime(2026, 3, 17, 9))) == [
            ("$.to", "naive_datetime")
        ]


class TestFromContract:
    """Schedule.from_contract."""

    def _contract(self, **kwargs: Any) -> TreatmentContract:
        return TreatmentContract(
            protocol=protocols.IPT_UK,
            focus_areas=(FocusArea.GRIEF,),
            sessions=SessionTerms(
                total=12,
                frequency=Frequency.WEEKLY,
                minutes=50,
                first_session=dt.datetime(2026, 1, 5, 10, tzinfo=LONDON),
                zone="Europe/London",
            ),
            **kwargs,
        )

    def test_plans_the_contract(self) -> None:
        """Total, minutes, zone, exclusions and policy come from the contract."""
        contingency = iptkit.ContingencyPolicy(
            missed=MissedSessionPolicy.COUNTS, excluded_dates=(dt.date(2026, 1, 12),)
        )
        schedule = Schedule.from_contract(self._contract(contingency=contingency))
        assert schedule.total == 12
        assert schedule.missed_policy is MissedSessionPolicy.COUNTS
        assert schedule.session(2).starts_at.date() == dt.date(2026, 1, 19)
        assert {s.minutes for s in schedule.sessions} == {50}

    def test_keeps_amendments(self) -> None:
        """An amended contract is planned to its amended total, with the amendment kept."""
        amendment = iptkit.Amendment(
            agreed_on=dt.date(2026, 1, 20), new_total=16, reason="Slow progress"
        )
        schedule = Schedule.from_contract(self._contract(amendments=(amendment,)))
        assert (schedule.contracted_total, schedule.total) == (12, 16)
        assert schedule.amendments == (amendment,)
        assert [s.phase for s in schedule.acute][12:] == [Phase.TERMINATION] * 4


class TestInvariants:
    """Loading a schedule checks the rules arithmetically, with exact paths."""

    def test_gap_in_numbers(self) -> None:
        """A skipped number is reported at the session (rule 1)."""
        doc = _tampered(_ny_course(), 3, number=5)
        assert ("$.sessions[3].number", "number_sequence") in issues_of(
            lambda: iptkit.load(Schedule, doc)
        )

    def test_wrong_phase(self) -> None:
        """A planned session with the wrong phase is reported (rule 3)."""
        doc = _tampered(_ny_course(), 4, phase="termination")
        assert issues_of(lambda: iptkit.load(Schedule, doc)) == [
            ("$.sessions[4].phase", "phase_mismatch")
        ]

    def test_held_phase_going_backwards(self) -> None:
        """A held session's phase follows rule 3 like any other (phase_mismatch)."""
        plan = _ny_course().hold(4).hold(5)
        doc = _tampered(plan, 4, phase="initial")
        assert issues_of(lambda: iptkit.load(Schedule, doc)) == [
            ("$.sessions[4].phase", "phase_mismatch")
        ]

    def test_start_times_must_increase(self) -> None:
        """Two sessions at the same time, or one before the one listed before it (rule 2)."""
        plan = _ny_course()
        doc = _tampered(plan, 2, starts_at=plan.sessions[1].starts_at.isoformat())
        assert ("$.sessions[2].starts_at", "duplicate_start") in issues_of(
            lambda: iptkit.load(Schedule, doc)
        )
        doc = _tampered(plan, 2, starts_at=plan.sessions[0].starts_at.isoformat())
        assert ("$.sessions[2].starts_at", "start_order") in issues_of(
            lambda: iptkit.load(Schedule, doc)
        )

    def test_session_on_an_excluded_day(self) -> None:
        """A session on an excluded day is reported (rule 7)."""
        doc = iptkit.dump(_ny_course())
        doc["exclude"] = ["2026-03-09"]
        assert issues_of(lambda: iptkit.load(Schedule, doc)) == [
            ("$.sessions[1].starts_at", "excluded_date")
        ]

    def test_too_few_sessions(self) -> None:
        """Fewer acute sessions than the total is reported (rule 1)."""
        doc = iptkit.dump(_ny_course())
        doc["contracted_total"] = 17
        assert ("$.sessions", "session_count") in issues_of(lambda: iptkit.load(Schedule, doc))

    def test_maintenance_before_acute(self) -> None:
        """A maintenance session listed before an acute one is reported (rule 6)."""
        plan = _ny_course().add_maintenance(1)
        doc = iptkit.dump(plan)
        m1 = doc["sessions"].pop()
        m1["starts_at"] = "2026-06-10T09:00:00-04:00"
        doc["sessions"].insert(15, m1)
        assert ("$.sessions[16].kind", "maintenance_before_acute") in issues_of(
            lambda: iptkit.load(Schedule, doc)
        )

    def test_missed_slot_sharing_a_start(self) -> None:
        """A made-up miss at its replacement's time is reported (rule 2)."""
        plan = _ny_course().miss(2, make_up=True)
        doc = iptkit.dump(plan)
        assert doc["sessions"][1]["made_up"] is True
        doc["sessions"][1]["starts_at"] = doc["sessions"][2]["starts_at"]
        assert ("$.sessions[2].starts_at", "duplicate_start") in issues_of(
            lambda: iptkit.load(Schedule, doc)
        )

    def test_session_kind_and_phase_agree(self) -> None:
        """A maintenance session must be in the maintenance phase."""
        with pytest.raises(iptkit.ValidationError) as info:
            iptkit.ScheduledSession(
                kind=SessionKind.MAINTENANCE,
                number=1,
                starts_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
                minutes=50,
                phase=Phase.MIDDLE,
            )
        assert [(i.path, i.code) for i in info.value.issues] == [("$.phase", "phase_mismatch")]


class TestRebuild:
    """Schedule.rebuild: rule 8."""

    def test_rebuild_is_identity_after_operations(self) -> None:
        """After holds, misses, an extension and maintenance, rebuilding changes nothing."""
        plan = (
            _ny_course(protocol=protocols.STUART)
            .hold(1)
            .miss(2, make_up=True)
            .miss(3, make_up=False)
            .extend(18, on=dt.date(2026, 3, 20), reason="Agreed")
            .add_maintenance(2)
        )
        assert plan.rebuild() == plan
        assert iptkit.loads(Schedule, iptkit.dumps(plan)) == plan
