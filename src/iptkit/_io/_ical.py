"""iCalendar (RFC 5545) export of a schedule, written without third-party code.

One ``VEVENT`` per session, with a UID that depends only on the schedule
(the same schedule always gives the same UIDs), ``DTSTART`` in the
schedule's IANA zone (``TZID=``) so calendar programs keep the local time
across daylight-saving changes, and a ``DURATION``.  Lines end in CRLF, are
folded at 75 octets, and text values are escaped (RFC 5545 §3.1, §3.3.11).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from iptkit._errors import ValidationError
from iptkit._recurrence import zone_info
from iptkit._schedule import Schedule, ScheduledSession
from iptkit._sessions import SessionKind
from iptkit._types import MAX_YEAR, MIN_YEAR

__all__ = ["escape_text", "event_uid", "fold_line", "to_ical"]

#: Most octets on one line, CRLF not counted (RFC 5545 §3.1).
LINE_OCTETS = 75

_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


def escape_text(text: str) -> str:
    r"""Escape a TEXT value: backslash, semicolon, comma and newlines.

    >>> escape_text("a, b; c\\d\ne")
    'a\\, b\\; c\\\\d\\ne'
    """
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold ``line`` into pieces of at most 75 octets joined by CRLF and a space.

    Multi-octet UTF-8 characters are never split.

    >>> folded = fold_line("SUMMARY:" + "x" * 80)
    >>> [len(part) for part in folded.split("\\r\\n")]
    [75, 14]
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [" "], 1, LINE_OCTETS
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _dtstart(moment: dt.datetime, zone: str) -> str:
    """``DTSTART`` in the zone's local time, or in UTC where local time is ambiguous."""
    if zone in _UTC_NAMES:
        return "DTSTART:" + _utc_text(moment)
    local = moment.astimezone(zone_info(zone))
    # A wall-clock time repeated when clocks go back cannot name the second
    # occurrence with TZID: write that rare case in UTC.
    if local.replace(fold=0).astimezone(dt.UTC) != moment:
        return "DTSTART:" + _utc_text(moment)
    return f"DTSTART;TZID={zone}:" + local.strftime("%Y%m%dT%H%M%S")


def summary(session: ScheduledSession) -> str:
    """The event title of ``session``, e.g. ``"IPT session 3 (middle)"``."""
    if session.kind is SessionKind.PRE_TREATMENT:
        return "IPT pre-treatment contact"
    if session.kind is SessionKind.MAINTENANCE:
        return f"IPT maintenance session {session.label}"
    phase = session.phase.value if session.phase is not None else "acute"
    return f"IPT session {session.number} ({phase})"


def _status(session: ScheduledSession) -> str:
    if session.status.fell_through:
        return "CANCELLED"
    return "CONFIRMED"


def event_uid(schedule: Schedule, session: ScheduledSession) -> str:
    """Return the stable iCalendar UID of ``session`` of ``schedule``.

    It depends on the zone, the first slot of the series, and the session's
    kind and number, so the same schedule always gives the same UIDs and a
    moved session keeps its UID.  The slot of a made-up miss shares its
    number with the session that replaced it, so its start time is part of
    its key too.
    """
    parts = [schedule.zone, schedule.first_start.isoformat(), session.kind.value]
    parts.append(str(session.number))
    if session.made_up:
        parts.append(session.starts_at.isoformat())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + "@iptkit"


def to_ical(schedule: Schedule, *, stamp: dt.datetime | None = None) -> str:
    """Return ``schedule`` as RFC 5545 iCalendar text, one event per session.

    Each event has a stable UID (from the zone, the first slot of the series,
    the session's kind and number: a moved session keeps it), ``DTSTART``
    with the schedule's zone as ``TZID``, a ``DURATION``, a title such as
    ``IPT session 3 (middle)`` and ``STATUS:CANCELLED`` for a missed or
    cancelled session, made-up misses included.  Lines end in CRLF and are
    folded at 75 octets.

    Args:
        schedule: the schedule to export.
        stamp: the ``DTSTAMP`` of every event (when the text was made);
            by default now.  Pass a fixed value for byte-identical output.

    Raises:
        ValidationError: ``stamp`` is naive (``naive_datetime``) or outside
            the supported years (``out_of_range``).

    >>> import datetime as dt
    >>> from iptkit import plan_sessions, to_ical
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    >>> text = to_ical(plan_sessions(first, 3, zone="UTC"), stamp=first)
    >>> text.count("BEGIN:VEVENT"), "SUMMARY:IPT session 2 (middle)" in text
    (3, True)
    """
    if stamp is None:
        stamp = dt.datetime.now(dt.UTC)
    elif not isinstance(stamp, dt.datetime) or stamp.utcoffset() is None:
        raise ValidationError.single(
            "$.stamp", "naive_datetime", "The stamp needs a time zone.", stamp
        )
    elif not MIN_YEAR <= stamp.year <= MAX_YEAR:
        raise ValidationError.single(
            "$.stamp",
            "out_of_range",
            f"The stamp must lie in the years {MIN_YEAR} to {MAX_YEAR}.",
            stamp,
        )
    stamp_text = _utc_text(stamp)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//iptkit//iptkit//EN",
        "CALSCALE:GREGORIAN",
    ]
    for session in schedule.sessions:
        lines += [
            "BEGIN:VEVENT",
            "UID:" + event_uid(schedule, session),
            "DTSTAMP:" + stamp_text,
            _dtstart(session.starts_at, schedule.zone),
            f"DURATION:PT{session.minutes}M",
            "SUMMARY:" + escape_text(summary(session)),
            "STATUS:" + _status(session),
            "X-IPTKIT-KIND:" + session.kind.value,
            "X-IPTKIT-STATUS:" + session.status.value,
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
