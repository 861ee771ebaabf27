"""iCalendar export (RFC 5545), read back with the icalendar package."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given

from iptkit import (
    Schedule,
    SessionStatus,
    ValidationError,
    dumps,
    loads,
    plan_sessions,
    protocols,
    to_ical,
)
from iptkit._io._ical import (
    escape_text,
    event_uid,
    fold_line,
    observances,
    utc_offset_text,
)
from iptkit.testing import schedules

NY = ZoneInfo("America/New_York")
STAMP = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
FELL_THROUGH = (
    SessionStatus.MISSED,
    SessionStatus.CANCELLED_BY_PATIENT,
    SessionStatus.CANCELLED_BY_THERAPIST,
)

#: Zones the read-back tests plan in, with a first start that puts a change
#: of offset inside a 16-week course (none for Asia/Kolkata, +05:30 all year).
DST_COURSES = {
    "Europe/London": dt.datetime(2026, 3, 2, 9),
    "America/New_York": dt.datetime(2026, 10, 5, 17, 30),
    "Australia/Sydney": dt.datetime(2026, 3, 2, 8),
    "Asia/Kolkata": dt.datetime(2026, 3, 2, 9),
}


# --------------------------------------------------------------------------
# Reading the text back
# --------------------------------------------------------------------------


def _calendar(text: str) -> Any:
    return icalendar.Calendar.from_ical(text)


def _events(text: str) -> list[Any]:
    return list(_calendar(text).walk("VEVENT"))


def _vtimezones(text: str) -> dict[str, Any]:
    return {str(tz["TZID"]): tz for tz in _calendar(text).walk("VTIMEZONE")}


def _onsets(vtimezone: Any) -> list[tuple[dt.datetime, dt.timedelta]]:
    """Each observance of a VTIMEZONE as (UTC instant of its onset, offset from then on).

    RFC 5545 dates an onset in the local time in force before it, so the
    instant is DTSTART minus TZOFFSETFROM.
    """
    found = []
    for part in vtimezone.walk():
        if part.name not in ("STANDARD", "DAYLIGHT"):
            continue
        assert "RRULE" not in part
        assert "RDATE" not in part
        onset = part.decoded("DTSTART")
        assert onset.tzinfo is None
        utc = (onset - part.decoded("TZOFFSETFROM")).replace(tzinfo=dt.UTC)
        found.append((utc, part.decoded("TZOFFSETTO")))
    found.sort()
    return found


def _instant(local: dt.datetime, onsets: list[tuple[dt.datetime, dt.timedelta]]) -> dt.datetime:
    """The instant a TZID wall-clock time means under the observances ``onsets``.

    An observance applies to an instant from its onset to the next one; of a
    wall-clock time met twice, the first occurrence is meant (RFC 5545 §3.3.5).
    """
    naive = local.replace(tzinfo=None)
    candidates = []
    for index, (onset, offset) in enumerate(onsets):
        instant = (naive - offset).replace(tzinfo=dt.UTC)
        ends = onsets[index + 1][0] if index + 1 < len(onsets) else None
        if onset <= instant and (ends is None or instant < ends):
            candidates.append(instant)
    assert candidates, f"no observance of the VTIMEZONE covers {naive}"
    return min(candidates)


def _assert_events_match(schedule: Schedule, text: str, stamp: dt.datetime | None = STAMP) -> None:
    """Each session is one event, read back right by icalendar and by the VTIMEZONE."""
    events = _events(text)
    assert len(events) == len(schedule.sessions)
    uids = [str(event["UID"]) for event in events]
    assert len(set(uids)) == len(uids)
    zones = _vtimezones(text)
    onsets = {tzid: _onsets(tz) for tzid, tz in zones.items()}
    # dateutil's reading of the VTIMEZONE as written, not the zone of that name.
    built = {tzid: tz.to_tz(lookup_tzid=False) for tzid, tz in zones.items()}
    used = set()
    expected_stamp = schedule.first_start if stamp is None else stamp
    for session, event in zip(schedule.sessions, events, strict=True):
        assert str(event["UID"]) == event_uid(schedule, session)
        start = event.decoded("DTSTART")
        assert start.utcoffset() is not None
        # In UTC: aware times in two zones never compare equal in a repeated hour.
        assert start.astimezone(dt.UTC) == session.starts_at.astimezone(dt.UTC)
        tzid = event["DTSTART"].params.get("TZID")
        if tzid is None:
            assert event["DTSTART"].to_ical().endswith(b"Z")
        else:
            used.add(tzid)
            assert tzid == schedule.zone
            assert _instant(start, onsets[tzid]) == session.starts_at
            local = start.replace(tzinfo=None)
            by_dateutil = local.replace(tzinfo=built[tzid]).astimezone(dt.UTC)
            assert by_dateutil == session.starts_at.astimezone(dt.UTC)
        assert event.decoded("DURATION") == dt.timedelta(minutes=session.minutes)
        assert event.decoded("DTSTAMP") == expected_stamp.replace(microsecond=0)
        expected_status = "CANCELLED" if session.status in FELL_THROUGH else "CONFIRMED"
        assert str(event["STATUS"]) == expected_status
        assert str(event["X-IPTKIT-STATUS"]) == session.status.value
    assert set(zones) == used


def _assert_lines(text: str) -> None:
    """Every line ends in CRLF and has at most 75 octets."""
    assert text.endswith("END:VCALENDAR\r\n")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    assert "\n" not in "".join(lines)
    assert "\r" not in "".join(lines)
    assert all(len(line.encode()) <= 75 for line in lines)


def _course() -> Schedule:
    return (
        plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=NY),
            8,
            zone="America/New_York",
            protocol=protocols.BRIEF,
        )
        .hold(1)
        .miss(2, make_up=True)
        .miss(3, make_up=False)
        .add_maintenance(2)
    )


def _dst_course(zone: str) -> Schedule:
    first = DST_COURSES[zone].replace(tzinfo=ZoneInfo(zone))
    return plan_sessions(first, 16, zone=zone).hold(1).hold(2)


class TestToIcal:
    """iptkit.to_ical."""

    def test_every_event_reads_back(self) -> None:
        """Each session is one VEVENT with its UID, start, duration and status."""
        schedule = _course()
        _assert_events_match(schedule, to_ical(schedule, stamp=STAMP))

    def test_summaries_name_number_and_phase(self) -> None:
        """Titles show the session number and phase; M-labels for maintenance."""
        summaries = [str(e["SUMMARY"]) for e in _events(to_ical(_course(), stamp=STAMP))]
        assert summaries[0] == "IPT pre-treatment contact"
        assert summaries[1] == "IPT session 1 (initial)"
        # Session 2 was missed and made up: its slot is an event of its own, cancelled.
        assert summaries[2] == summaries[3] == "IPT session 2 (initial)"
        assert summaries[5] == "IPT session 4 (middle)"
        assert summaries[-1] == "IPT maintenance session M2"

    def test_events_carry_no_free_text(self) -> None:
        """An event has only fixed properties: titles from kind, number and phase."""
        names = {name for event in _events(to_ical(_course())) for name in event}
        assert names == {
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DURATION",
            "SUMMARY",
            "STATUS",
            "X-IPTKIT-KIND",
            "X-IPTKIT-STATUS",
        }

    def test_local_time_and_zone_kept_across_dst(self) -> None:
        """DTSTART names the IANA zone and keeps 09:00 local before and after the change."""
        text = to_ical(_course(), stamp=STAMP)
        assert "DTSTART;TZID=America/New_York:20260302T090000\r\n" in text
        assert "DTSTART;TZID=America/New_York:20260316T090000\r\n" in text
        starts = [e.decoded("DTSTART") for e in _events(text)]
        assert {(s.astimezone(NY).hour, s.astimezone(NY).minute) for s in starts} == {(9, 0)}

    def test_utc_schedules_use_z_times(self) -> None:
        """A UTC schedule writes times with the Z suffix and needs no VTIMEZONE."""
        schedule = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), 3, zone="UTC")
        text = to_ical(schedule, stamp=STAMP)
        assert "DTSTART:20260302T090000Z\r\n" in text
        assert "TZID" not in text
        assert "VTIMEZONE" not in text
        _assert_events_match(schedule, text)

    def test_crlf_and_line_length(self) -> None:
        """Every line ends in CRLF and has at most 75 octets."""
        _assert_lines(to_ical(_course(), stamp=STAMP))

    def test_uids_are_stable(self) -> None:
        """The same schedule gives the same UIDs; another first start gives others."""
        first = to_ical(_course(), stamp=STAMP)
        again = to_ical(_course(), stamp=STAMP)
        assert first == again
        other = plan_sessions(dt.datetime(2026, 3, 3, 9, tzinfo=NY), 8, zone="America/New_York")
        assert {str(e["UID"]) for e in _events(first)}.isdisjoint(
            str(e["UID"]) for e in _events(to_ical(other, stamp=STAMP))
        )

    def test_moved_session_keeps_its_uid(self) -> None:
        """Moving a session updates its event rather than making a new one."""
        schedule = _course()
        moved = schedule.move(5, dt.datetime(2026, 4, 8, 15, tzinfo=NY))
        assert event_uid(schedule, schedule.session(5)) == event_uid(moved, moved.session(5))

    def test_naive_stamp_refused(self) -> None:
        """The stamp must be aware."""
        with pytest.raises(ValidationError) as info:
            to_ical(_course(), stamp=dt.datetime(2026, 1, 1))
        assert [(i.path, i.code) for i in info.value.issues] == [("$.stamp", "naive_datetime")]

    def test_stamp_out_of_range_refused(self) -> None:
        """The stamp must lie in the supported years."""
        with pytest.raises(ValidationError) as info:
            to_ical(_course(), stamp=dt.datetime(1800, 1, 1, tzinfo=dt.UTC))
        assert [(i.path, i.code) for i in info.value.issues] == [("$.stamp", "out_of_range")]

    @given(schedules(max_operations=3))
    def test_any_schedule_reads_back(self, schedule: Schedule) -> None:
        """For generated schedules, icalendar reads back every event exactly."""
        _assert_events_match(schedule, to_ical(schedule, stamp=STAMP))


class TestTimeZones:
    """The VTIMEZONE written for the schedule's zone."""

    @pytest.mark.parametrize("zone", sorted(DST_COURSES))
    def test_starts_resolve_through_the_vtimezone(self, zone: str) -> None:
        """Every start, before and after a change of offset, means the session's instant."""
        schedule = _dst_course(zone)
        text = to_ical(schedule)
        _assert_events_match(schedule, text, stamp=None)
        _assert_lines(text)
        offsets = {s.starts_at.utcoffset() for s in schedule.sessions}
        assert len(offsets) == (1 if zone == "Asia/Kolkata" else 2)

    @pytest.mark.parametrize(
        ("zone", "expected"),
        [
            (
                "Europe/London",
                [
                    ("STANDARD", "20260301T000000", "+0000", "+0000", "GMT"),
                    ("DAYLIGHT", "20260329T010000", "+0000", "+0100", "BST"),
                ],
            ),
            (
                "America/New_York",
                [
                    ("DAYLIGHT", "20261003T200000", "-0400", "-0400", "EDT"),
                    ("STANDARD", "20261101T020000", "-0400", "-0500", "EST"),
                ],
            ),
            (
                "Australia/Sydney",
                [
                    ("DAYLIGHT", "20260228T110000", "+1100", "+1100", "AEDT"),
                    ("STANDARD", "20260405T030000", "+1100", "+1000", "AEST"),
                ],
            ),
            ("Asia/Kolkata", [("STANDARD", "20260301T053000", "+0530", "+0530", "IST")]),
        ],
    )
    def test_observances(self, zone: str, expected: list[tuple[str, ...]]) -> None:
        """One observance for the span's start, one per change: onset in the old local time."""
        vtimezone = _vtimezones(to_ical(_dst_course(zone)))[zone]
        found = [
            (
                part.name,
                part["DTSTART"].to_ical().decode(),
                part["TZOFFSETFROM"].to_ical(),
                part["TZOFFSETTO"].to_ical(),
                str(part["TZNAME"]),
            )
            for part in vtimezone.subcomponents
        ]
        assert found == expected

    def test_zone_without_changes_is_one_standard_observance(self) -> None:
        """Asia/Tokyo has no change in the span: one STANDARD with equal offsets at its start."""
        schedule = plan_sessions(
            dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Tokyo")), 12, zone="Asia/Tokyo"
        )
        text = to_ical(schedule)
        assert (
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:20260301T090000\r\n"
            "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\n"
            "END:VTIMEZONE\r\n"
        ) in text
        _assert_events_match(schedule, text, stamp=None)

    def test_offsets_with_seconds(self) -> None:
        """Monrovia's -00:44:30 (until 1972) is written +HHMMSS; starts still resolve."""
        zone = "Africa/Monrovia"
        schedule = plan_sessions(dt.datetime(1972, 1, 8, 9, tzinfo=ZoneInfo(zone)), 4, zone=zone)
        text = to_ical(schedule)
        assert "TZOFFSETFROM:-004430\r\nTZOFFSETTO:+0000\r\n" in text
        assert "DTSTART:19720107T000000\r\n" in text
        _assert_events_match(schedule, text, stamp=None)

    def test_second_pass_of_a_repeated_hour_is_written_in_utc(self) -> None:
        """01:30 met twice on 1 November 2026 in New York: the second pass is a Z time."""
        schedule = plan_sessions(
            dt.datetime(2026, 10, 25, 9, tzinfo=NY), 4, zone="America/New_York"
        )
        second_pass = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)
        moved = schedule.move(2, second_pass)
        text = to_ical(moved)
        assert "DTSTART:20261101T063000Z\r\n" in text
        _assert_events_match(moved, text, stamp=None)
        first_pass = schedule.move(2, second_pass.replace(fold=0))
        text = to_ical(first_pass)
        assert "DTSTART;TZID=America/New_York:20261101T013000\r\n" in text
        _assert_events_match(first_pass, text, stamp=None)

    @pytest.mark.parametrize(
        ("offset", "text"),
        [
            (dt.timedelta(hours=5, minutes=30), "+0530"),
            (dt.timedelta(hours=-3, minutes=-30), "-0330"),
            (dt.timedelta(hours=14), "+1400"),
            (dt.timedelta(), "+0000"),
            (dt.timedelta(seconds=-1), "-000001"),
            (dt.timedelta(hours=1, seconds=15), "+010015"),
        ],
    )
    def test_utc_offset_text(self, offset: dt.timedelta, text: str) -> None:
        """+HHMM, +HHMMSS only with seconds, never -0000."""
        assert utc_offset_text(offset) == text

    @pytest.mark.parametrize("zone", ["Europe/London", "America/Santiago", "Asia/Gaza"])
    def test_every_change_found_to_the_second(self, zone: str) -> None:
        """Each observance starts exactly where the zone's offset changes, over three years."""
        info = ZoneInfo(zone)
        start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        found = observances(zone, start, start + dt.timedelta(days=3 * 365))
        assert found[0].offset_from == found[0].offset_to
        assert len(found) >= 6
        second = dt.timedelta(seconds=1)
        for observance in found[1:]:
            instant = (observance.onset - observance.offset_from).replace(tzinfo=dt.UTC)
            assert (instant - second).astimezone(info).utcoffset() == observance.offset_from
            assert instant.astimezone(info).utcoffset() == observance.offset_to
        # Between two onsets the offset stays put (checked hourly).
        hour = dt.timedelta(hours=1)
        moment, index = start, 0
        while moment < start + dt.timedelta(days=3 * 365):
            while (
                index + 1 < len(found)
                and (found[index + 1].onset - found[index + 1].offset_from).replace(tzinfo=dt.UTC)
                <= moment
            ):
                index += 1
            assert moment.astimezone(info).utcoffset() == found[index].offset_to
            moment += hour


class TestCancelledSessions:
    """Missed and cancelled sessions are cancelled events, made-up ones included."""

    @pytest.mark.parametrize(
        "change",
        [
            lambda s: s.miss(3, make_up=True),
            lambda s: s.miss(3, make_up=False),
            lambda s: s.cancel(4, make_up=True, by_therapist=True),
            lambda s: s.cancel(4, make_up=False),
            lambda s: s.miss(3, make_up=True).miss(3, make_up=True),
        ],
        ids=["missed-made-up", "missed-counts", "cancelled-made-up", "cancelled", "twice"],
    )
    def test_cancelled_events(self, change: Any) -> None:
        """One event per session, STATUS:CANCELLED where it fell through, UIDs unique."""
        schedule = change(_dst_course("Europe/London"))
        text = to_ical(schedule)
        _assert_events_match(schedule, text, stamp=None)
        events = _events(text)
        cancelled = [e for e in events if str(e["STATUS"]) == "CANCELLED"]
        fell_through = [s for s in schedule.sessions if s.status in FELL_THROUGH]
        assert len(cancelled) == len(fell_through) >= 1
        assert str(cancelled[0]["SUMMARY"]).startswith("IPT session ")

    def test_made_up_slot_and_its_replacement_differ(self) -> None:
        """The made-up slot and the session that took its number have their own UIDs."""
        schedule = _dst_course("Europe/London").miss(3, make_up=True)
        made_up = schedule.made_up[0]
        replacement = schedule.session(3)
        assert made_up.number == replacement.number == 3
        assert event_uid(schedule, made_up) != event_uid(schedule, replacement)
        # Deterministic: the same schedule, planned again, gives the same UID.
        again = _dst_course("Europe/London").miss(3, make_up=True)
        assert event_uid(again, again.made_up[0]) == event_uid(schedule, made_up)

    def test_held_and_planned_are_confirmed(self) -> None:
        """Planned and held sessions stay CONFIRMED."""
        schedule = _dst_course("Europe/London")
        statuses = {str(e["STATUS"]) for e in _events(to_ical(schedule))}
        assert statuses == {"CONFIRMED"}


class TestByteStable:
    """The same schedule always gives the same bytes."""

    def test_default_stamp_comes_from_the_schedule(self) -> None:
        """Without stamp=, DTSTAMP is the first slot of the series, in UTC."""
        text = to_ical(_course())
        assert "DTSTAMP:20260302T140000Z\r\n" in text
        assert text == to_ical(_course())

    def test_same_after_a_json_round_trip(self) -> None:
        """A schedule written as JSON and read back gives the same calendar."""
        schedule = _course().cancel(4, make_up=True, by_therapist=True)
        assert to_ical(loads(Schedule, dumps(schedule))) == to_ical(schedule)

    @given(schedules(zones=(*sorted(DST_COURSES), "UTC"), max_operations=3))
    def test_any_schedule_twice(self, schedule: Schedule) -> None:
        """Generated schedules: the same text twice, every start right, every line short."""
        text = to_ical(schedule)
        assert to_ical(schedule) == text
        _assert_events_match(schedule, text, stamp=None)
        _assert_lines(text)


class TestFolding:
    """Line folding and text escaping (RFC 5545 §3.1, §3.3.11)."""

    def test_fold_long_ascii(self) -> None:
        """A 150-octet line becomes 75 + 74 + 3 octets with a leading space."""
        parts = fold_line("X" * 150).split("\r\n")
        assert [len(p) for p in parts] == [75, 75, 2]
        assert all(p.startswith(" ") for p in parts[1:])

    def test_fold_never_splits_a_character(self) -> None:
        """Multi-octet characters stay whole; unfolding restores the line."""
        line = "SUMMARY:" + "é€😀" * 30
        folded = fold_line(line)
        parts = folded.split("\r\n")
        assert all(len(p.encode()) <= 75 for p in parts)
        assert folded.replace("\r\n ", "") == line

    def test_escape(self) -> None:
        """Backslash, semicolon, comma and newline are escaped."""
        assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
