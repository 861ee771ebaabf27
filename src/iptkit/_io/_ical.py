"""iCalendar (RFC 5545) export of a schedule, written without third-party code.

One ``VEVENT`` per session, made-up misses included, with a UID that
depends only on the schedule (the same schedule always gives the same UIDs),
``DTSTART`` in the schedule's IANA zone (``TZID=``) so calendar programs keep
the local time across daylight-saving changes, and a ``DURATION``.  A missed
or cancelled session is an event with ``STATUS:CANCELLED``.

Every ``TZID`` the text uses has a ``VTIMEZONE`` (RFC 5545 §3.6.5) computed
here from the zone's rules: the UTC offsets are scanned across the span the
schedule covers, each change is found to the second, and each becomes one
``STANDARD`` or ``DAYLIGHT`` observance.  A schedule in UTC writes its times
with ``Z`` and needs no ``VTIMEZONE``.

The same schedule always gives the same text: ``DTSTAMP`` is derived from the
schedule unless given.  Lines end in CRLF, are folded at 75 octets, and text
values are escaped (RFC 5545 §3.1, §3.3.11).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import NamedTuple
from zoneinfo import ZoneInfo

from iptkit._errors import ValidationError
from iptkit._recurrence import zone_info
from iptkit._schedule import Schedule, ScheduledSession
from iptkit._sessions import SessionKind
from iptkit._types import MAX_YEAR, MIN_YEAR

__all__ = [
    "LINE_OCTETS",
    "SPAN_MARGIN",
    "Observance",
    "escape_text",
    "event_uid",
    "fold_line",
    "observances",
    "to_ical",
    "utc_offset_text",
    "vtimezone",
]

#: Most octets on one line, CRLF not counted (RFC 5545 §3.1).
LINE_OCTETS = 75

#: How far a ``VTIMEZONE`` reaches before the first session starts and after
#: the last one ends.
SPAN_MARGIN = dt.timedelta(days=1)

#: Seconds between two looks at a zone's offset when scanning for changes.
#: The time zone database has no two changes of one zone within a week of
#: each other since 1900, so none is missed.
_SCAN_STEP = 6 * 3600

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

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


def _dtstart(moment: dt.datetime, zone: str) -> tuple[str, bool]:
    """``DTSTART`` in the zone's local time, or in UTC where local time is ambiguous.

    Also says whether the line names the zone as ``TZID``.
    """
    if zone in _UTC_NAMES:
        return "DTSTART:" + _utc_text(moment), False
    local = moment.astimezone(zone_info(zone))
    # A wall-clock time repeated when clocks go back means its first
    # occurrence (RFC 5545 §3.3.5): write the second one in UTC.
    if local.replace(fold=0).astimezone(dt.UTC) != moment:
        return "DTSTART:" + _utc_text(moment), False
    return f"DTSTART;TZID={zone}:" + local.strftime("%Y%m%dT%H%M%S"), True


# --------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------


def utc_offset_text(offset: dt.timedelta) -> str:
    """Write a UTC offset as RFC 5545 does: ``+HHMM``, or ``+HHMMSS`` if it has seconds.

    No offset is written ``-0000`` (RFC 5545 §3.3.14).

    >>> utc_offset_text(dt.timedelta(hours=5, minutes=30))
    '+0530'
    >>> utc_offset_text(-dt.timedelta(minutes=44, seconds=30)), utc_offset_text(dt.timedelta())
    ('-004430', '+0000')
    """
    seconds = round(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    minutes, second = divmod(abs(seconds), 60)
    hour, minute = divmod(minutes, 60)
    text = f"{sign}{hour:02d}{minute:02d}"
    return f"{text}{second:02d}" if second else text


class Observance(NamedTuple):
    """One ``STANDARD`` or ``DAYLIGHT`` sub-component of a ``VTIMEZONE``."""

    #: Local wall-clock time of the onset, in the offset in force before it.
    onset: dt.datetime
    #: The offset in force before the onset.
    offset_from: dt.timedelta
    #: The offset in force from the onset on.
    offset_to: dt.timedelta
    #: The zone's abbreviation from the onset on (``tzname()``), if it has one.
    name: str | None
    #: Whether the new offset is daylight-saving time (``dst()`` is positive).
    daylight: bool


class _Period(NamedTuple):
    offset: dt.timedelta
    name: str | None
    daylight: bool


def _period(info: ZoneInfo, second: int) -> _Period:
    """Offset, abbreviation and kind of time in force in ``info`` at a POSIX second."""
    local = (_EPOCH + dt.timedelta(seconds=second)).astimezone(info)
    offset = local.utcoffset() or dt.timedelta()
    dst = local.dst()
    return _Period(offset, local.tzname() or None, dst is not None and dst > dt.timedelta())


def _wall_time(second: int, offset: dt.timedelta) -> dt.datetime:
    return (_EPOCH + dt.timedelta(seconds=second) + offset).replace(tzinfo=None)


def observances(zone: str, start: dt.datetime, end: dt.datetime) -> list[Observance]:
    """The observances of ``zone`` from the instant ``start`` to the instant ``end``.

    The first is dated at ``start`` (rounded down to the second) with equal
    offsets, and says what is in force there; each later one is a change of
    offset (or of abbreviation) after ``start`` and no later than ``end``,
    found to the second by bisection.

    Raises:
        ValidationError: ``zone`` is not a known IANA zone name (``invalid_zone``).

    >>> start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> [
    ...     (o.onset.isoformat(), str(o.offset_to), o.name)
    ...     for o in observances("Europe/London", start, start + dt.timedelta(days=60))
    ... ]
    [('2026-03-01T00:00:00', '0:00:00', 'GMT'), ('2026-03-29T01:00:00', '1:00:00', 'BST')]
    """
    info = zone_info(zone)
    first = (start - _EPOCH) // dt.timedelta(seconds=1)
    last = -((_EPOCH - end) // dt.timedelta(seconds=1))
    here = _period(info, first)
    found = [
        Observance(
            _wall_time(first, here.offset), here.offset, here.offset, here.name, here.daylight
        )
    ]
    second = first
    while second < last:
        ahead = min(second + _SCAN_STEP, last)
        if _period(info, ahead) == here:
            second = ahead
            continue
        # The period changes after ``low`` and by ``high``: halve the gap
        # until ``high`` is the first second of the new period.
        low, high = second, ahead
        while high - low > 1:
            middle = (low + high) // 2
            if _period(info, middle) == here:
                low = middle
            else:
                high = middle
        new = _period(info, high)
        found.append(
            Observance(
                _wall_time(high, here.offset), here.offset, new.offset, new.name, new.daylight
            )
        )
        here, second = new, high
    return found


def vtimezone(zone: str, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The unfolded lines of a ``VTIMEZONE`` for ``zone`` from ``start`` to ``end``.

    One observance for ``start``, with equal offsets, then one per offset
    change in the span (see :func:`observances`), each with ``DTSTART`` in
    the local time before the change, ``TZOFFSETFROM``, ``TZOFFSETTO`` and
    ``TZNAME``; no ``RRULE``.  An observance is ``DAYLIGHT`` where the zone's
    ``dst()`` is positive, else ``STANDARD``: a zone without changes in the
    span, such as Asia/Kolkata, has one ``STANDARD`` observance.

    Raises:
        ValidationError: ``zone`` is not a known IANA zone name (``invalid_zone``).

    >>> start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> print("\\n".join(vtimezone("Asia/Kolkata", start, start + dt.timedelta(days=9))))
    BEGIN:VTIMEZONE
    TZID:Asia/Kolkata
    BEGIN:STANDARD
    DTSTART:20260301T053000
    TZOFFSETFROM:+0530
    TZOFFSETTO:+0530
    TZNAME:IST
    END:STANDARD
    END:VTIMEZONE
    """
    lines = ["BEGIN:VTIMEZONE", "TZID:" + zone]
    for observance in observances(zone, start, end):
        kind = "DAYLIGHT" if observance.daylight else "STANDARD"
        lines += [
            "BEGIN:" + kind,
            "DTSTART:" + observance.onset.strftime("%Y%m%dT%H%M%S"),
            "TZOFFSETFROM:" + utc_offset_text(observance.offset_from),
            "TZOFFSETTO:" + utc_offset_text(observance.offset_to),
        ]
        if observance.name:
            lines.append("TZNAME:" + escape_text(observance.name))
        lines.append("END:" + kind)
    lines.append("END:VTIMEZONE")
    return lines


def _span(schedule: Schedule) -> tuple[dt.datetime, dt.datetime]:
    """The instants a ``VTIMEZONE`` of ``schedule`` covers: whole UTC days around it.

    From midnight UTC at least :data:`SPAN_MARGIN` before the first session
    starts to midnight UTC at least as long after the last one ends.
    """
    day = dt.timedelta(days=1)
    first = min(s.starts_at for s in schedule.sessions) - SPAN_MARGIN
    last = max(s.ends_at for s in schedule.sessions) + SPAN_MARGIN
    return _EPOCH + (first - _EPOCH) // day * day, _EPOCH - (_EPOCH - last) // day * day


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def summary(session: ScheduledSession) -> str:
    """The event title of ``session``, e.g. ``"IPT session 3 (middle)"``.

    Only the kind, number and phase: never text from a record.
    """
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
    its key too: no two sessions of a schedule share a UID.
    """
    parts = [schedule.zone, schedule.first_start.isoformat(), session.kind.value]
    parts.append(str(session.number))
    if session.made_up:
        parts.append(session.starts_at.isoformat())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + "@iptkit"


def _check_stamp(stamp: dt.datetime) -> None:
    if not isinstance(stamp, dt.datetime) or stamp.utcoffset() is None:
        raise ValidationError.single(
            "$.stamp", "naive_datetime", "The stamp needs a time zone.", stamp
        )
    if not MIN_YEAR <= stamp.year <= MAX_YEAR:
        raise ValidationError.single(
            "$.stamp",
            "out_of_range",
            f"The stamp must lie in the years {MIN_YEAR} to {MAX_YEAR}.",
            stamp,
        )


def to_ical(schedule: Schedule, *, stamp: dt.datetime | None = None) -> str:
    """Return ``schedule`` as RFC 5545 iCalendar text, one event per session.

    Every session of :attr:`~iptkit.Schedule.sessions` is one event, made-up
    misses included.  Each has a stable UID (from the zone, the first slot of
    the series, the session's kind and number: a moved session keeps it; a
    made-up miss adds its start time), ``DTSTART`` in the schedule's zone
    with the zone's name as ``TZID``, a ``DURATION``, a title such as
    ``IPT session 3 (middle)`` (kind, number and phase only) and
    ``STATUS:CANCELLED`` for a missed or cancelled session, ``CONFIRMED``
    for one planned or held.  The text has a ``VTIMEZONE`` for the zone,
    computed from its offset changes over the span of the schedule (a day
    either side).

    A schedule in UTC (``UTC``, ``Etc/UTC`` and their aliases) writes its
    times in UTC with ``Z`` and has no ``VTIMEZONE``.  A session that starts
    in the second pass of a wall-clock hour repeated when the clocks go back
    is written in UTC too (a ``TZID`` time there means the first pass).
    Times are written to the second.

    The same schedule always gives the same text.  Lines end in CRLF and are
    folded at 75 octets.

    Args:
        schedule: the schedule to export.
        stamp: the ``DTSTAMP`` of every event (when the text was made); by
            default the schedule's :attr:`~iptkit.Schedule.first_start`, so
            that the text depends on the schedule alone.

    Raises:
        ValidationError: ``stamp`` is naive (``naive_datetime``) or outside
            the supported years (``out_of_range``).

    >>> import datetime as dt
    >>> from iptkit import plan_sessions, to_ical
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    >>> text = to_ical(plan_sessions(first, 3, zone="UTC"))
    >>> text.count("BEGIN:VEVENT"), "SUMMARY:IPT session 2 (middle)" in text
    (3, True)
    >>> "DTSTAMP:20260302T090000Z" in text, "VTIMEZONE" in text
    (True, False)
    """
    if stamp is None:
        stamp = schedule.first_start
    else:
        _check_stamp(stamp)
    stamp_text = _utc_text(stamp)
    events: list[str] = []
    named_zone = False
    for session in schedule.sessions:
        start, named = _dtstart(session.starts_at, schedule.zone)
        named_zone = named_zone or named
        events += [
            "BEGIN:VEVENT",
            "UID:" + event_uid(schedule, session),
            "DTSTAMP:" + stamp_text,
            start,
            f"DURATION:PT{session.minutes}M",
            "SUMMARY:" + escape_text(summary(session)),
            "STATUS:" + _status(session),
            "X-IPTKIT-KIND:" + session.kind.value,
            "X-IPTKIT-STATUS:" + session.status.value,
            "END:VEVENT",
        ]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//iptkit//iptkit//EN",
        "CALSCALE:GREGORIAN",
    ]
    if named_zone:
        lines += vtimezone(schedule.zone, *_span(schedule))
    lines += events
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
