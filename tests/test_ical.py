"""iCalendar export (RFC 5545), read back with the icalendar package."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given

from iptkit import Schedule, SessionStatus, ValidationError, plan_sessions, protocols, to_ical
from iptkit._io._ical import escape_text, event_uid, fold_line
from iptkit.testing import schedules

NY = ZoneInfo("America/New_York")
STAMP = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def _events(text: str) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(text)
    return [part for part in calendar.walk() if part.name == "VEVENT"]


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


def _assert_events_match(schedule: Schedule, text: str) -> None:
    events = _events(text)
    assert len(events) == len(schedule.sessions)
    uids = [str(event["UID"]) for event in events]
    assert len(set(uids)) == len(uids)
    for session, event in zip(schedule.sessions, events, strict=True):
        assert str(event["UID"]) == event_uid(schedule, session)
        start = event.decoded("DTSTART")
        assert start.utcoffset() is not None
        assert start == session.starts_at
        assert event.decoded("DURATION") == dt.timedelta(minutes=session.minutes)
        assert event.decoded("DTSTAMP") == STAMP
        expected_status = (
            "CANCELLED"
            if session.status
            in (
                SessionStatus.MISSED,
                SessionStatus.CANCELLED_BY_PATIENT,
                SessionStatus.CANCELLED_BY_THERAPIST,
            )
            else "CONFIRMED"
        )
        assert str(event["STATUS"]) == expected_status


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

    def test_local_time_and_zone_kept_across_dst(self) -> None:
        """DTSTART names the IANA zone and keeps 09:00 local before and after the change."""
        text = to_ical(_course(), stamp=STAMP)
        assert "DTSTART;TZID=America/New_York:20260302T090000\r\n" in text
        assert "DTSTART;TZID=America/New_York:20260316T090000\r\n" in text
        starts = [e.decoded("DTSTART") for e in _events(text)]
        assert {(s.astimezone(NY).hour, s.astimezone(NY).minute) for s in starts} == {(9, 0)}

    def test_utc_schedules_use_z_times(self) -> None:
        """A UTC schedule writes times with the Z suffix."""
        schedule = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), 3, zone="UTC")
        assert "DTSTART:20260302T090000Z\r\n" in to_ical(schedule, stamp=STAMP)

    def test_crlf_and_line_length(self) -> None:
        """Every line ends in CRLF and has at most 75 octets."""
        text = to_ical(_course(), stamp=STAMP)
        assert text.endswith("END:VCALENDAR\r\n")
        lines = text.split("\r\n")
        assert "\n" not in "".join(lines)
        assert all(len(line.encode()) <= 75 for line in lines)

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

    @given(schedules(max_operations=3))
    def test_any_schedule_reads_back(self, schedule: Schedule) -> None:
        """For generated schedules, icalendar reads back every event exactly."""
        _assert_events_match(schedule, to_ical(schedule, stamp=STAMP))


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
