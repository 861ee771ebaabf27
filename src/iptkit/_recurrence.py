"""Recurring session times, computed with :mod:`dateutil.rrule`.

Sessions recur at the local wall-clock time of the first one in an IANA zone,
so 09:00 stays 09:00 across daylight-saving changes.  Excluded calendar dates
(holidays, therapist absence) become EXDATEs of an :class:`~dateutil.rrule.rruleset`:
the slot is dropped and later sessions move one slot on.

This is the planning path only; loading and checking never call it (it costs
far more than reading a whole course).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule, tz

from iptkit._errors import ScheduleError, ValidationError
from iptkit._protocol import Frequency

__all__ = ["recurrence_starts", "zone_info"]

#: Planning never looks further ahead than this from the first session.
HORIZON = dt.timedelta(days=366 * 10)


def zone_info(zone: str) -> ZoneInfo:
    """Return the :class:`~zoneinfo.ZoneInfo` for an IANA zone name.

    Raises:
        ValidationError: ``zone`` is not a known IANA zone name (``invalid_zone``).
    """
    if not isinstance(zone, str) or not zone or zone.startswith(("/", ".")) or ".." in zone:
        raise ValidationError.single("$.zone", "invalid_zone", "Not a known IANA time zone name.")
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError.single(
            "$.zone", "invalid_zone", "Not a known IANA time zone name."
        ) from None


def _rule(frequency: Frequency, start: dt.datetime, until: dt.datetime) -> rrule.rrule:
    if frequency is Frequency.WEEKLY:
        return rrule.rrule(rrule.WEEKLY, dtstart=start, until=until)
    if frequency is Frequency.FORTNIGHTLY:
        return rrule.rrule(rrule.WEEKLY, interval=2, dtstart=start, until=until)
    if frequency is Frequency.TWICE_WEEKLY:
        # The first session's weekday and the day three days later (Mon/Thu, ...).
        first = start.weekday()
        return rrule.rrule(
            rrule.WEEKLY,
            byweekday=sorted({first, (first + 3) % 7}),
            dtstart=start,
            until=until,
        )
    # Monthly on the same day of the month; in a month without that day
    # (the 31st in April) the session falls on the month's last day.
    day = start.day
    return rrule.rrule(
        rrule.MONTHLY,
        bymonthday=(day, -1) if day > 28 else (day,),
        bysetpos=1,
        dtstart=start,
        until=until,
    )


def recurrence_starts(
    first_start: dt.datetime,
    count: int,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
    skip: int = 0,
) -> tuple[dt.datetime, ...]:
    """Return ``count`` aware session start times recurring from ``first_start``.

    Args:
        first_start: aware datetime of the first slot of the series.
        count: how many start times to return.
        zone: IANA zone whose wall-clock time the series keeps.
        frequency: how often sessions recur.
        exclude: calendar dates (in ``zone``) on which no session may fall.
        skip: how many allowed slots to pass over before the first returned one.

    Returns:
        Start times in ``zone``, strictly increasing.  A wall-clock time that
        does not exist on a spring-forward day is moved forward by the gap.

    Raises:
        ValidationError: ``first_start`` is naive or ``zone`` is unknown.
        ScheduleError: fewer than ``count`` slots fit within ten years.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> ny = ZoneInfo("America/New_York")
    >>> first = dt.datetime(2026, 3, 2, 9, tzinfo=ny)
    >>> starts = recurrence_starts(first, 2, zone="America/New_York")
    >>> [s.isoformat() for s in starts]
    ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']
    """
    if first_start.utcoffset() is None:
        raise ValidationError.single(
            "$.first_start", "naive_datetime", "The first session needs a time zone."
        )
    info = zone_info(zone)
    local = first_start.astimezone(info).replace(tzinfo=None)
    until = local + HORIZON
    rules = rrule.rruleset()
    rules.rrule(_rule(frequency, local, until))
    wall = local.time()
    for day in set(exclude):
        rules.exdate(dt.datetime.combine(day, wall))
    naive = list(islice(rules, skip, skip + count))
    if len(naive) < count:
        msg = f"only {len(naive)} of {count} sessions fit in the ten years after the first one"
        raise ScheduleError(msg)
    return tuple(tz.resolve_imaginary(moment.replace(tzinfo=info)) for moment in naive)
