"""Calendar rules of planning: monthly maintenance, excluded dates, daylight-saving times.

Dates are facts of the Gregorian calendar (the second Tuesdays of 2026 are
13 January, 10 February, ...) and offsets facts of the IANA zone database
(Europe/London moves to summer time at 01:00 on the last Sunday of March and
back at 02:00 on the last Sunday of October; America/Havana moves from 00:00
to 01:00 on the second Sunday of March).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    ContingencyPolicy,
    FocusArea,
    Frequency,
    MaintenanceAgreement,
    MonthlyBy,
    Schedule,
    SessionKind,
    SessionTerms,
    TreatmentContract,
    ValidationError,
    evolve,
    plan_sessions,
    protocols,
)

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
HAVANA = ZoneInfo("America/Havana")


def _local(schedule: Schedule, kind: SessionKind = SessionKind.ACUTE) -> list[str]:
    zone = ZoneInfo(schedule.zone)
    return [
        s.starts_at.astimezone(zone).isoformat()
        for s in schedule.sessions
        if s.kind is kind and not s.made_up
    ]


def _days(schedule: Schedule, kind: SessionKind = SessionKind.MAINTENANCE) -> list[dt.date]:
    zone = ZoneInfo(schedule.zone)
    return [
        s.starts_at.astimezone(zone).date()
        for s in schedule.sessions
        if s.kind is kind and not s.made_up
    ]


def _autumn_course(**options: Any) -> Schedule:
    """Eight weekly sessions from Monday 6 October 2025 at 09:00 UTC (the last on 24 November)."""
    return plan_sessions(dt.datetime(2025, 10, 6, 9, tzinfo=UTC), 8, zone="UTC", **options)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The ``nth`` (0-based; -1 for the last) ``weekday`` of a month, from the calendar module."""
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    return dt.date(year, month, days[nth])


def _month_after(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


# --------------------------------------------------------------------------
# Monthly maintenance: weekday or day of the month
# --------------------------------------------------------------------------


class TestMonthlyByWeekday:
    """By default monthly maintenance keeps the weekday and week of the month of M1."""

    def test_second_tuesdays_of_2026(self) -> None:
        """From Tuesday 13 January 2026, the second Tuesday of every month."""
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        plan = _autumn_course().add_maintenance(12, first_start=first)
        assert [d.day for d in _days(plan)] == [13, 10, 10, 14, 12, 9, 14, 11, 8, 13, 10, 8]
        assert {d.weekday() for d in _days(plan)} == {calendar.TUESDAY}
        assert plan.maintenance[0].monthly_by is MonthlyBy.WEEKDAY

    def test_fifth_week_means_the_last_weekday(self) -> None:
        """Friday 30 January 2026 is a fifth Friday: the last Friday of each month follows."""
        first = dt.datetime(2026, 1, 30, 9, tzinfo=UTC)
        plan = _autumn_course().add_maintenance(6, first_start=first)
        assert [d.isoformat() for d in _days(plan)] == [
            "2026-01-30",
            "2026-02-27",
            "2026-03-27",
            "2026-04-24",
            "2026-05-29",
            "2026-06-26",
        ]

    def test_fourth_week_stays_the_fourth(self) -> None:
        """Thursday 22 January 2026 is a fourth Thursday; April 2026 has five, and the
        fourth (23 April) is kept, not the last (30 April)."""
        first = dt.datetime(2026, 1, 22, 9, tzinfo=UTC)
        plan = _autumn_course().add_maintenance(4, first_start=first)
        assert [d.day for d in _days(plan)] == [22, 26, 26, 23]

    def test_day_of_month_when_asked(self) -> None:
        """By day of the month: the 13th, whatever the weekday; the 31st becomes the last day."""
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        plan = _autumn_course().add_maintenance(
            3, first_start=first, monthly_by=MonthlyBy.DAY_OF_MONTH
        )
        assert [d.isoformat() for d in _days(plan)] == ["2026-01-13", "2026-02-13", "2026-03-13"]
        assert plan.maintenance[0].monthly_by is MonthlyBy.DAY_OF_MONTH
        last = dt.datetime(2026, 1, 31, 9, tzinfo=UTC)
        plan = _autumn_course().add_maintenance(
            3, first_start=last, monthly_by=MonthlyBy.DAY_OF_MONTH
        )
        assert [d.isoformat() for d in _days(plan)] == ["2026-01-31", "2026-02-28", "2026-03-31"]

    def test_default_first_slot_follows_the_last_session(self) -> None:
        """The course ends Monday 24 November 2025, the fourth Monday: M1 is 22 December."""
        plan = _autumn_course().add_maintenance(2)
        assert [d.isoformat() for d in _days(plan)] == ["2025-12-22", "2026-01-26"]

    def test_only_monthly_blocks_use_it(self) -> None:
        """A fortnightly block is the same either way."""
        course = _autumn_course()
        by_weekday = course.add_maintenance(4, frequency=Frequency.FORTNIGHTLY)
        by_day = course.add_maintenance(
            4, frequency=Frequency.FORTNIGHTLY, monthly_by=MonthlyBy.DAY_OF_MONTH
        )
        assert _days(by_weekday) == _days(by_day)
        assert [(b - a).days for a, b in itertools.pairwise(_days(by_day))] == [14] * 3

    def test_from_an_agreement(self) -> None:
        """add_agreement passes the agreement's choice on to the plan."""
        agreement = MaintenanceAgreement(
            agreed_on=dt.date(2025, 11, 24),
            minutes=50,
            first_session=dt.datetime(2026, 1, 13, 9, tzinfo=UTC),
            zone="UTC",
            count=3,
            monthly_by=MonthlyBy.DAY_OF_MONTH,
        )
        plan = _autumn_course().add_agreement(agreement)
        assert plan.maintenance[0].monthly_by is MonthlyBy.DAY_OF_MONTH
        assert [d.day for d in _days(plan)] == [13, 13, 13]
        weekday = _autumn_course().add_agreement(evolve(agreement, monthly_by=MonthlyBy.WEEKDAY))
        assert [d.day for d in _days(weekday)] == [13, 10, 10]

    def test_agreement_until_counts_weekday_sessions(self) -> None:
        """An agreement up to 10 March 2026 from 13 January has three second Tuesdays."""
        agreement = MaintenanceAgreement(
            agreed_on=dt.date(2025, 11, 24),
            minutes=50,
            first_session=dt.datetime(2026, 1, 13, 9, tzinfo=UTC),
            zone="UTC",
            until=dt.date(2026, 3, 10),
        )
        assert [s.date().day for s in agreement.session_starts()] == [13, 10, 10]
        assert len(_autumn_course().add_agreement(agreement).maintenance_sessions) == 3

    def test_wrong_type_refused(self) -> None:
        """The choice is a MonthlyBy member, not its text."""
        assert issues_of(
            lambda: _autumn_course().add_maintenance(2, monthly_by="weekday")  # type: ignore[arg-type]
        ) == [("$.monthly_by", "wrong_type")]

    @given(
        day=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
        count=st.integers(1, 14),
        by_day=st.booleans(),
    )
    def test_every_month_keeps_the_rule(self, day: dt.date, count: int, by_day: bool) -> None:
        """Session k falls in the k-th month after M1's, on the date the calendar gives."""
        first = dt.datetime.combine(day, dt.time(10), tzinfo=UTC)
        course = plan_sessions(first - dt.timedelta(weeks=10), 3, zone="UTC")
        monthly_by = MonthlyBy.DAY_OF_MONTH if by_day else MonthlyBy.WEEKDAY
        plan = course.add_maintenance(count, first_start=first, monthly_by=monthly_by)
        week = (day.day - 1) // 7
        for k, found in enumerate(_days(plan)):
            year, month = _month_after(day, k)
            if by_day:
                expected = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
            else:
                expected = _nth_weekday(year, month, day.weekday(), -1 if week == 4 else week)
            assert found == expected


class TestMonthlyByInJson:
    """monthly_by survives a JSON round trip; documents written before it still load."""

    def _plan(self) -> Schedule:
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        return _autumn_course().add_maintenance(
            3, first_start=first, monthly_by=MonthlyBy.DAY_OF_MONTH
        )

    def test_round_trip(self) -> None:
        """A schedule and an agreement are written with the choice and read back equal."""
        plan = self._plan()
        doc = iptkit.dump(plan)
        assert doc["maintenance"][0]["monthly_by"] == "day_of_month"
        assert iptkit.loads(Schedule, iptkit.dumps(plan)) == plan
        agreement = MaintenanceAgreement(
            agreed_on=dt.date(2026, 1, 1),
            minutes=50,
            first_session=dt.datetime(2026, 1, 13, 9, tzinfo=UTC),
            zone="UTC",
            count=2,
            monthly_by=MonthlyBy.DAY_OF_MONTH,
        )
        assert iptkit.dump(agreement)["monthly_by"] == "day_of_month"
        assert iptkit.loads(MaintenanceAgreement, iptkit.dumps(agreement)) == agreement

    def test_older_documents_read_as_weekday(self) -> None:
        """A maintenance plan or agreement without the field loads with the default."""
        doc = iptkit.dump(self._plan())
        del doc["maintenance"][0]["monthly_by"]
        assert iptkit.load(Schedule, doc).maintenance[0].monthly_by is MonthlyBy.WEEKDAY
        agreement = {
            "schema_version": iptkit.SCHEMA_VERSION,
            "agreed_on": "2026-01-01",
            "frequency": "monthly",
            "minutes": 50,
            "first_session": "2026-01-13T09:00:00Z",
            "zone": "UTC",
            "count": 2,
            "until": None,
        }
        loaded = iptkit.load(MaintenanceAgreement, agreement)
        assert loaded.monthly_by is MonthlyBy.WEEKDAY

    def test_unknown_value_refused(self) -> None:
        """Only the two spellings are read."""
        doc = iptkit.dump(self._plan())
        doc["maintenance"][0]["monthly_by"] = "weekly"
        assert issues_of(lambda: iptkit.load(Schedule, doc)) == [
            ("$.maintenance[0].monthly_by", "invalid_value")
        ]


# --------------------------------------------------------------------------
# Excluded maintenance dates move within the month
# --------------------------------------------------------------------------


class TestExcludedMaintenanceDates:
    """A monthly maintenance session on an excluded day moves to its rule's next allowed day."""

    def test_first_weekday_session_moves_a_week(self) -> None:
        """Second Tuesday 13 January excluded: M1 is Tuesday 20 January, M2 still 10 February."""
        course = _autumn_course(exclude=[dt.date(2026, 1, 13)])
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        plan = course.add_maintenance(3, first_start=first)
        assert [d.isoformat() for d in _days(plan)] == ["2026-01-20", "2026-02-10", "2026-03-10"]
        assert [s.label for s in plan.maintenance_sessions] == ["M1", "M2", "M3"]

    def test_first_day_of_month_session_moves_a_day(self) -> None:
        """15 and 16 January excluded: M1 is 17 January, M2 15 February."""
        course = _autumn_course(exclude=[dt.date(2026, 1, 16), dt.date(2026, 1, 15)])
        first = dt.datetime(2026, 1, 15, 9, tzinfo=UTC)
        plan = course.add_maintenance(2, first_start=first, monthly_by=MonthlyBy.DAY_OF_MONTH)
        assert [d.isoformat() for d in _days(plan)] == ["2026-01-17", "2026-02-15"]

    def test_later_sessions_move_within_their_month(self) -> None:
        """Second Tuesday of March excluded: M3 is 17 March, not April, and M4 14 April."""
        course = _autumn_course(exclude=[dt.date(2026, 3, 10)])
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        plan = course.add_maintenance(4, first_start=first)
        assert [d.isoformat() for d in _days(plan)] == [
            "2026-01-13",
            "2026-02-10",
            "2026-03-17",
            "2026-04-14",
        ]

    def test_default_first_slot_on_an_excluded_day(self) -> None:
        """The default M1 (fourth Monday, 22 December 2025) excluded: Monday 29 December."""
        plan = _autumn_course(exclude=[dt.date(2025, 12, 22)]).add_maintenance(2)
        assert [d.isoformat() for d in _days(plan)] == ["2025-12-29", "2026-01-26"]

    def test_made_up_slot_follows_the_same_rule(self) -> None:
        """A made-up M1 moves the numbers on to the next second Tuesday, moved if excluded."""
        course = _autumn_course(exclude=[dt.date(2026, 3, 10)])
        first = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)
        plan = course.add_maintenance(2, first_start=first)
        plan = plan.miss(1, make_up=True, kind=SessionKind.MAINTENANCE)
        assert [d.isoformat() for d in _days(plan)] == ["2026-02-10", "2026-03-17"]

    @given(
        day=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
        count=st.integers(1, 8),
        by_day=st.booleans(),
        picks=st.lists(st.integers(0, 7), max_size=3, unique=True),
        extra=st.lists(st.integers(1, 2), max_size=2),
    )
    def test_moves_stay_near_their_slot(
        self, day: dt.date, count: int, by_day: bool, picks: list[int], extra: list[int]
    ) -> None:
        """With a few excluded days, M1..Mk stay consecutive and increasing, none excluded,
        each on its own slot or moved on only past excluded days of its rule.

        At most three days of a rule in a row are excluded, so no session moves
        as far as the next month's slot (see the test after this one).
        """
        first = dt.datetime.combine(day, dt.time(10), tzinfo=UTC)
        monthly_by = MonthlyBy.DAY_OF_MONTH if by_day else MonthlyBy.WEEKDAY
        step = dt.timedelta(days=1 if by_day else 7)
        plain = plan_sessions(first - dt.timedelta(weeks=10), 3, zone="UTC")
        slots = _days(plain.add_maintenance(count, first_start=first, monthly_by=monthly_by))
        # Exclude some of the plain slots, and the days after them.
        excluded = {slots[i] for i in picks if i < len(slots)}
        excluded |= {d + step * n for d in list(excluded) for n in extra}
        course = plan_sessions(first - dt.timedelta(weeks=10), 3, zone="UTC", exclude=excluded)
        plan = course.add_maintenance(count, first_start=first, monthly_by=monthly_by)
        found = _days(plan)
        assert [s.label for s in plan.maintenance_sessions] == [f"M{k + 1}" for k in range(count)]
        assert found == sorted(set(found))
        assert not excluded & set(found)
        for slot, moved in zip(slots, found, strict=True):
            passed = []
            day_ = slot
            while day_ < moved:
                passed.append(day_)
                day_ += step
            assert day_ == moved
            assert all(d in excluded for d in passed)

    def test_a_month_without_an_allowed_day_merges_with_the_next(self) -> None:
        """Every Wednesday of February 2020 excluded: the first-Wednesday session moves to
        4 March, the March slot itself; the block still has three sessions, in order."""
        wednesdays = [dt.date(2020, 2, day) for day in (5, 12, 19, 26)]
        first = dt.datetime(2020, 1, 1, 10, tzinfo=UTC)
        course = plan_sessions(first - dt.timedelta(weeks=10), 3, zone="UTC", exclude=wednesdays)
        plan = course.add_maintenance(3, first_start=first)
        assert [d.isoformat() for d in _days(plan)] == ["2020-01-01", "2020-03-04", "2020-04-01"]


# --------------------------------------------------------------------------
# A first acute session on an excluded date
# --------------------------------------------------------------------------


class TestFirstSessionExcluded:
    """plan_sessions and from_contract refuse an excluded first day unless asked to move it."""

    FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)

    def test_refused_by_default(self) -> None:
        """The issue is at the first start, with it as the input and no date in the message."""
        with pytest.raises(ValidationError) as caught:
            plan_sessions(self.FIRST, 8, zone="UTC", exclude=[dt.date(2026, 3, 2)])
        (issue,) = caught.value.issues
        assert (issue.path, issue.code) == ("$.first_start", "first_session_excluded")
        assert issue.input == self.FIRST
        assert "2026" not in issue.message

    def test_moved_when_asked(self) -> None:
        """Moved, session 1 takes the next allowed slot; the series keeps its first slot."""
        plan = plan_sessions(
            self.FIRST,
            8,
            zone="UTC",
            exclude=[dt.date(2026, 3, 2), dt.date(2026, 3, 9)],
            if_first_excluded="move",
        )
        assert plan.session(1).starts_at.date() == dt.date(2026, 3, 16)
        assert plan.first_start == self.FIRST
        assert len(plan.acute) == 8

    def test_twice_weekly_moves_to_the_thursday(self) -> None:
        """Twice weekly from Monday 2 March: the next allowed slot is Thursday 5 March."""
        plan = plan_sessions(
            self.FIRST,
            4,
            zone="UTC",
            frequency=Frequency.TWICE_WEEKLY,
            exclude=[dt.date(2026, 3, 2)],
            if_first_excluded="move",
        )
        assert plan.session(1).starts_at.date() == dt.date(2026, 3, 5)

    def test_a_later_excluded_day_is_not_the_first(self) -> None:
        """Only the first slot's day is refused; later excluded days are skipped as before."""
        plan = plan_sessions(self.FIRST, 8, zone="UTC", exclude=[dt.date(2026, 3, 9)])
        assert plan.session(2).starts_at.date() == dt.date(2026, 3, 16)

    def test_first_day_is_the_local_day(self) -> None:
        """23:30 in New York on 1 March is 2 March in UTC: only 1 March, the zone's day, counts."""
        ny = ZoneInfo("America/New_York")
        first = dt.datetime(2026, 3, 1, 23, 30, tzinfo=ny)
        plan = plan_sessions(first, 3, zone="America/New_York", exclude=[dt.date(2026, 3, 2)])
        assert plan.session(1).starts_at == first
        assert issues_of(
            lambda: plan_sessions(first, 3, zone="America/New_York", exclude=[dt.date(2026, 3, 1)])
        ) == [("$.first_start", "first_session_excluded")]

    def test_bad_option_refused(self) -> None:
        """The option takes "refuse" or "move" only, and keeps the value given as the input."""
        with pytest.raises(ValidationError) as caught:
            plan_sessions(self.FIRST, 8, zone="UTC", if_first_excluded="skip")  # type: ignore[arg-type]
        (issue,) = caught.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.if_first_excluded",
            "invalid_value",
            "skip",
        )

    def _contract(self) -> TreatmentContract:
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
            contingency=ContingencyPolicy(excluded_dates=(dt.date(2026, 1, 5),)),
        )

    def test_from_contract(self) -> None:
        """The contract's path for its first session; moved on request."""
        contract = self._contract()
        assert issues_of(lambda: Schedule.from_contract(contract)) == [
            ("$.sessions.first_session", "first_session_excluded")
        ]
        schedule = Schedule.from_contract(contract, if_first_excluded="move")
        assert schedule.session(1).starts_at.date() == dt.date(2026, 1, 12)
        assert len(schedule.acute) == 12


# --------------------------------------------------------------------------
# Excluded dates are kept in date order
# --------------------------------------------------------------------------


class TestExcludedDatesInOrder:
    """Given in any order, excluded dates are stored sorted, in code and from JSON."""

    DAYS = (dt.date(2026, 5, 25), dt.date(2026, 3, 16), dt.date(2026, 4, 6))

    def test_plan_sessions_takes_a_set(self) -> None:
        """A set, or a list in any order, gives the same sorted tuple."""
        first = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
        from_set = plan_sessions(first, 16, zone="UTC", exclude=set(self.DAYS))
        from_list = plan_sessions(first, 16, zone="UTC", exclude=list(self.DAYS))
        assert from_set.exclude == from_list.exclude == tuple(sorted(self.DAYS))
        assert from_set == from_list

    def test_duplicates_refused(self) -> None:
        """A day given twice is refused at the repeat, with the day as the input."""
        first = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
        days = [dt.date(2026, 4, 6), dt.date(2026, 3, 16), dt.date(2026, 4, 6)]
        with pytest.raises(ValidationError) as caught:
            plan_sessions(first, 16, zone="UTC", exclude=days)
        (issue,) = caught.value.issues
        assert (issue.path, issue.code, issue.input) == (
            "$.exclude[2]",
            "duplicate_value",
            dt.date(2026, 4, 6),
        )
        assert issues_of(lambda: ContingencyPolicy(excluded_dates=(days[0], days[1], days[0]))) == [
            ("$.excluded_dates[2]", "duplicate_value")
        ]

    def test_schedule_from_json_in_any_order(self) -> None:
        """A schedule document with unsorted dates loads sorted and equal to the plan."""
        plan = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 16, zone="UTC", exclude=self.DAYS
        )
        doc = iptkit.dump(plan)
        assert doc["exclude"] == ["2026-03-16", "2026-04-06", "2026-05-25"]
        doc["exclude"] = [day.isoformat() for day in self.DAYS]
        assert iptkit.load(Schedule, doc) == plan
        assert evolve(plan, exclude=self.DAYS).exclude == plan.exclude

    @given(st.sets(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), max_size=8), st.data())
    def test_any_order_gives_one_value(self, days: set[dt.date], data: st.DataObject) -> None:
        """Every order of the same days gives the same policy, in code and from JSON."""
        given_order = tuple(data.draw(st.permutations(sorted(days))))
        policy = ContingencyPolicy(excluded_dates=given_order)
        assert policy.excluded_dates == tuple(sorted(days))
        loaded = iptkit.load(
            ContingencyPolicy, {"excluded_dates": [day.isoformat() for day in given_order]}
        )
        assert loaded == policy
        assert iptkit.loads(ContingencyPolicy, iptkit.dumps(policy)) == policy


# --------------------------------------------------------------------------
# Wall-clock times the clocks skip or repeat
# --------------------------------------------------------------------------


class TestSpringForwardGap:
    """A first session at a wall-clock time the spring-forward change skips."""

    # 2026-03-29 01:30 does not exist in London: the clocks go from 01:00 to 02:00.
    FIRST = dt.datetime(2026, 3, 29, 1, 30, tzinfo=LONDON)

    def test_extend_keeps_one_session_a_week(self) -> None:
        """New sessions follow the same wall-clock time: never two on one day."""
        plan = plan_sessions(self.FIRST, 4, zone="Europe/London")
        extended = plan.extend(6, on=dt.date(2026, 3, 1), reason="Agreed")
        days = [s.starts_at.astimezone(LONDON).date() for s in extended.acute]
        assert len(set(days)) == len(days) == 6
        assert _local(extended) == [
            "2026-03-29T02:30:00+01:00",
            "2026-04-05T01:30:00+01:00",
            "2026-04-12T01:30:00+01:00",
            "2026-04-19T01:30:00+01:00",
            "2026-04-26T01:30:00+01:00",
            "2026-05-03T01:30:00+01:00",
        ]

    def test_made_up_slot_keeps_the_wall_clock_time(self) -> None:
        """The replacement of a made-up miss is a week after the last session, same time."""
        plan = plan_sessions(self.FIRST, 4, zone="Europe/London").miss(2, make_up=True)
        assert _local(plan)[-1] == "2026-04-26T01:30:00+01:00"

    def test_json_round_trip_plans_the_same(self) -> None:
        """A schedule read back from JSON extends to the same sessions as the original."""
        plan = plan_sessions(self.FIRST, 4, zone="Europe/London")
        again = iptkit.loads(Schedule, iptkit.dumps(plan))
        on = dt.date(2026, 3, 1)
        assert again.extend(6, on=on, reason="Agreed") == plan.extend(6, on=on, reason="Agreed")

    def test_from_a_contract_read_from_json(self) -> None:
        """A contract's first session in the gap, read from JSON, plans at 01:30 too."""
        contract = TreatmentContract(
            protocol=protocols.STANDARD,
            focus_areas=(FocusArea.GRIEF,),
            sessions=SessionTerms(
                total=12,
                frequency=Frequency.WEEKLY,
                minutes=50,
                first_session=self.FIRST,
                zone="Europe/London",
            ),
        )
        again = iptkit.loads(TreatmentContract, iptkit.dumps(contract))
        schedule = Schedule.from_contract(again)
        assert _local(schedule)[:2] == ["2026-03-29T02:30:00+01:00", "2026-04-05T01:30:00+01:00"]
        assert [s.date() for s in again.session_starts()] == _days(schedule, SessionKind.ACUTE)

    def test_a_later_slot_in_the_gap_moves_forward_that_day_only(self) -> None:
        """Weekly at 01:30 from 22 March: 29 March is 02:30 summer time, 5 April 01:30 again."""
        first = dt.datetime(2026, 3, 22, 1, 30, tzinfo=LONDON)
        plan = plan_sessions(first, 3, zone="Europe/London")
        assert _local(plan) == [
            "2026-03-22T01:30:00+00:00",
            "2026-03-29T02:30:00+01:00",
            "2026-04-05T01:30:00+01:00",
        ]

    def test_maintenance_anchored_in_the_gap(self) -> None:
        """Weekly maintenance one step after a course ending 22 March at 01:30 keeps 01:30."""
        first = dt.datetime(2026, 3, 8, 1, 30, tzinfo=LONDON)
        plan = plan_sessions(first, 3, zone="Europe/London")
        plan = plan.add_maintenance(2, frequency=Frequency.WEEKLY)
        assert _local(plan, SessionKind.MAINTENANCE) == [
            "2026-03-29T02:30:00+01:00",
            "2026-04-05T01:30:00+01:00",
        ]

    def test_midnight_gap(self) -> None:
        """Havana skips 00:00-01:00 on 8 March 2026: 00:30 that day is 01:30, then 00:30."""
        first = dt.datetime(2026, 3, 1, 0, 30, tzinfo=HAVANA)
        plan = plan_sessions(first, 3, zone="America/Havana").extend(
            4, on=dt.date(2026, 3, 1), reason="Agreed"
        )
        assert _local(plan) == [
            "2026-03-01T00:30:00-05:00",
            "2026-03-08T01:30:00-04:00",
            "2026-03-15T00:30:00-04:00",
            "2026-03-22T00:30:00-04:00",
        ]


class TestAutumnFold:
    """A wall-clock time the autumn change repeats takes its first occurrence."""

    def test_first_session_in_the_fold(self) -> None:
        """01:30 on 25 October 2026 happens twice in London; the series takes the first."""
        for fold in (0, 1):
            first = dt.datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=fold)
            plan = plan_sessions(first, 3, zone="Europe/London")
            assert _local(plan) == [
                "2026-10-25T01:30:00+01:00",
                "2026-11-01T01:30:00+00:00",
                "2026-11-08T01:30:00+00:00",
            ]

    def test_a_made_up_slot_in_the_fold(self) -> None:
        """A replacement slot on the day of the change is the first 01:30 too."""
        first = dt.datetime(2026, 10, 4, 1, 30, tzinfo=LONDON)
        plan = plan_sessions(first, 3, zone="Europe/London").miss(1, make_up=True)
        assert _local(plan)[-1] == "2026-10-25T01:30:00+01:00"
        extended = plan.extend(4, on=dt.date(2026, 10, 1), reason="Agreed")
        assert _local(extended)[-1] == "2026-11-01T01:30:00+00:00"
