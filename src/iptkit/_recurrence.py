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
import functools
from collections.abc import Iterable
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import rrule, tz

from iptkit._errors import ScheduleError, ValidationError
from iptkit._protocol import Frequency
from iptkit._types import MAX_DATE, MAX_YEAR, MIN_DATE, MIN_YEAR, offset_in_minutes

__all__ = ["recurrence_starts", "slot_before", "slots_after", "zone_info"]

#: Planning never looks further ahead than this from the first session.
HORIZON = dt.timedelta(days=366 * 10)

#: The first and last wall-clock times a planned slot may have (the model
#: bounds: see :data:`iptkit._types.MIN_YEAR`).
_EARLIEST = dt.datetime.combine(MIN_DATE, dt.time.min)
_LATEST = dt.datetime.combine(MAX_DATE, dt.time.max)

#: Names a zone database may hold that are not IANA zones but aliases whose
#: meaning depends on the host (its own zone, its default rules, a
#: placeholder); ``posix/`` and ``right/`` hold copies of the zones with other
#: leap-second handling.
_HOST_NAMES = frozenset({"localtime", "posixrules", "Factory"})
_HOST_PREFIXES = ("posix/", "right/")


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA zone names of the bundled ``tzdata`` package and the system database."""
    names = available_timezones()
    return frozenset(
        name for name in names if name not in _HOST_NAMES and not name.startswith(_HOST_PREFIXES)
    )


def zone_info(zone: str) -> ZoneInfo:
    """Return the :class:`~zoneinfo.ZoneInfo` for an IANA zone name.

    Only names of the IANA time zone database are taken (as the ``tzdata``
    package or the system's zone files hold them): names whose meaning
    depends on the host (``localtime``, ``posixrules``, ``Factory``,
    ``posix/...``, ``right/...``) are refused, so that a document means the
    same instants on every machine.

    Raises:
        ValidationError: ``zone`` is not a known IANA zone name (``invalid_zone``).
    """
    if type(zone) is not str or zone not in _zone_names():
        raise ValidationError.single(
            "$.zone", "invalid_zone", "Not a known IANA time zone name.", zone
        )
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError.single(
            "$.zone", "invalid_zone", "Not a known IANA time zone name.", zone
        ) from None


def _rule(
    frequency: Frequency, anchor: dt.datetime, start: dt.datetime, until: dt.datetime
) -> rrule.rrule:
    """The series of ``frequency`` anchored at ``anchor``, from ``start`` to ``until``.

    All three are naive local wall-clock times.  The pattern (weekday, day of
    the month, fortnight parity) comes from ``anchor``; ``start`` only bounds
    the series from below, so a series can be read before its anchor.  For a
    fortnightly series ``start`` must lie a whole number of fortnights from
    ``anchor``.
    """
    hour, minute, second = anchor.hour, anchor.minute, anchor.second
    if frequency is Frequency.WEEKLY:
        return rrule.rrule(
            rrule.WEEKLY,
            byweekday=anchor.weekday(),
            dtstart=start,
            until=until,
            byhour=hour,
            byminute=minute,
            bysecond=second,
        )
    if frequency is Frequency.FORTNIGHTLY:
        return rrule.rrule(
            rrule.WEEKLY,
            interval=2,
            byweekday=anchor.weekday(),
            dtstart=start,
            until=until,
            byhour=hour,
            byminute=minute,
            bysecond=second,
        )
    if frequency is Frequency.TWICE_WEEKLY:
        # The anchor's weekday and the day three days later (Mon/Thu, ...).
        first = anchor.weekday()
        return rrule.rrule(
            rrule.WEEKLY,
            byweekday=sorted({first, (first + 3) % 7}),
            dtstart=start,
            until=until,
            byhour=hour,
            byminute=minute,
            bysecond=second,
        )
    # Monthly on the anchor's day of the month; in a month without that day
    # (the 31st in April) the session falls on the month's last day.
    day = anchor.day
    return rrule.rrule(
        rrule.MONTHLY,
        bymonthday=(day, -1) if day > 28 else (day,),
        bysetpos=1,
        dtstart=start,
        until=until,
        byhour=hour,
        byminute=minute,
        bysecond=second,
    )


def _series(
    anchor: dt.datetime,
    start: dt.datetime,
    until: dt.datetime,
    frequency: Frequency,
    exclude: Iterable[dt.date],
) -> rrule.rruleset:
    """The series as an rruleset with one EXDATE per excluded date (naive local times)."""
    rules = rrule.rruleset()
    rules.rrule(_rule(frequency, anchor, start, until))
    wall = anchor.time()
    for day in set(exclude):
        rules.exdate(dt.datetime.combine(day, wall))
    return rules


def _local(moment: dt.datetime, info: ZoneInfo, name: str) -> dt.datetime:
    """``moment`` as a naive wall-clock time in ``info`` (checked to be aware and in range)."""
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise ValidationError.single(
            f"$.{name}", "naive_datetime", "The date and time needs a time zone.", moment
        )
    # The year as written first: only then is the zone's time sure to exist.
    local = None
    if MIN_YEAR <= moment.year <= MAX_YEAR:
        local = moment.astimezone(info).replace(tzinfo=None)
    if local is None or not _EARLIEST <= local <= _LATEST:
        raise ValidationError.single(
            f"$.{name}",
            "out_of_range",
            f"The date must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.",
            moment,
        )
    return local


def _too_few(found: int, count: int, until: dt.datetime, what: str, after: str) -> ScheduleError:
    """The error when only ``found`` of ``count`` slots fit before ``until``."""
    if until >= _LATEST:
        limit = f"before the last supported date, {MAX_DATE.isoformat()}"
    else:
        limit = f"in the ten years after {after}"
    return ScheduleError(f"only {found} of {count} {what} fit {limit}")


def _aware(naive: dt.datetime, info: ZoneInfo) -> dt.datetime:
    """Attach ``info``; a wall-clock time skipped by a DST change moves forward by the gap."""
    moment: dt.datetime = tz.resolve_imaginary(naive.replace(tzinfo=info))
    offset = moment.utcoffset()
    if offset is not None and not offset_in_minutes(offset):
        # Local mean time, before a zone adopted a standard offset (Amsterdam
        # until 1937 was +00:19:32): iptkit stores offsets in whole minutes.
        msg = "the zone's UTC offset on those dates is not whole minutes; plan in another zone"
        raise ScheduleError(msg)
    return moment


def _aligned_start(anchor: dt.datetime, target: dt.datetime) -> dt.datetime:
    """A lower bound for a series, at or before ``target``, fortnight-aligned with ``anchor``."""
    if target >= anchor:
        return anchor
    fortnights = (anchor - target).days // 14 + 1
    return anchor - dt.timedelta(weeks=2 * fortnights)


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
    info = zone_info(zone)
    local = _local(first_start, info, "first_start")
    until = min(local + HORIZON, _LATEST)
    rules = _series(local, local, until, frequency, exclude)
    naive = list(islice(rules, skip, skip + count))
    if len(naive) < count:
        raise _too_few(len(naive), count, until, "sessions", "the first one")
    return tuple(_aware(moment, info) for moment in naive)


def slots_after(
    anchor: dt.datetime,
    after: dt.datetime,
    count: int,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
) -> tuple[dt.datetime, ...]:
    """Return the first ``count`` allowed slots of a series strictly after ``after``.

    Args:
        anchor: aware start of the series' first slot (it fixes the weekday,
            the day of the month and the wall-clock time).
        after: aware instant; only slots later than it are returned.
        count: how many slots to return.
        zone: IANA zone whose wall-clock time the series keeps.
        frequency: how often the series recurs.
        exclude: calendar dates (in ``zone``) on which no slot may fall.

    Raises:
        ValidationError: ``anchor`` or ``after`` is naive, or ``zone`` is unknown.
        ScheduleError: fewer than ``count`` slots fit within ten years of ``after``.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> ny = ZoneInfo("America/New_York")
    >>> anchor = dt.datetime(2026, 3, 2, 9, tzinfo=ny)
    >>> late = dt.datetime(2026, 3, 20, 12, tzinfo=ny)
    >>> [s.isoformat() for s in slots_after(anchor, late, 1, zone="America/New_York")]
    ['2026-03-23T09:00:00-04:00']
    """
    info = zone_info(zone)
    local_anchor = _local(anchor, info, "anchor")
    local_after = _local(after, info, "after")
    until = min(max(local_after, local_anchor) + HORIZON, _LATEST)
    rules = _series(
        local_anchor, _aligned_start(local_anchor, local_after), until, frequency, exclude
    )
    found: list[dt.datetime] = []
    for moment in rules.xafter(local_after, count=None, inc=False):
        aware = _aware(moment, info)
        if aware > after:
            found.append(aware)
            if len(found) == count:
                return tuple(found)
    raise _too_few(len(found), count, until, "slots", "the last one")


def slot_before(
    anchor: dt.datetime,
    before: dt.datetime,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
) -> dt.datetime:
    """Return the last allowed slot of a series strictly before ``before``.

    Arguments as for :func:`slots_after`; the series extends backwards from
    its anchor with the same pattern.

    Raises:
        ScheduleError: no allowed slot lies within ten years before ``before``.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> ny = ZoneInfo("America/New_York")
    >>> first = dt.datetime(2026, 3, 9, 9, tzinfo=ny)
    >>> slot_before(first, first, zone="America/New_York").isoformat()
    '2026-03-02T09:00:00-05:00'
    """
    info = zone_info(zone)
    local_anchor = _local(anchor, info, "anchor")
    local_before = _local(before, info, "before")
    span = dt.timedelta(days=62)
    while True:
        start = _aligned_start(local_anchor, local_before - span)
        rules = _series(local_anchor, start, local_before, frequency, exclude)
        candidates = list(rules.between(start, local_before, inc=True))
        for moment in reversed(candidates):
            if moment < _EARLIEST:
                break
            aware = _aware(moment, info)
            if aware < before:
                return aware
        if span >= HORIZON or start < _EARLIEST:
            msg = "no allowed slot fits in the ten years before the first session"
            if start < _EARLIEST:
                msg = f"no allowed slot fits after {MIN_DATE.isoformat()} before the first session"
            raise ScheduleError(msg)
        span *= 4
