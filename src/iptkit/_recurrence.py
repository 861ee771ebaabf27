"""Recurring session times, computed with :mod:`dateutil.rrule`.

Sessions recur at the local wall-clock time of the first one in an IANA zone,
so 09:00 stays 09:00 across daylight-saving changes.  Excluded calendar dates
(holidays, therapist absence) become EXDATEs of an :class:`~dateutil.rrule.rruleset`:
the slot is dropped and later sessions move one slot on.  A monthly series
may instead move an excluded slot to the next allowed day of its own rule
(``move_excluded``): the same weekday a week later, or the next day.

Every series (a plan, an extension, the slot of a made-up session, a
maintenance block) reads wall-clock times the same way:

* The wall-clock time of a series is the time written in its first start,
  whenever the zone reads that time as the same instant.  So 01:30 on a day
  the clocks skip from 01:00 to 02:00, given as a time in the zone or read
  back from JSON (``01:30+00:00``), is a series at 01:30.  Otherwise (a first
  start given in another zone or offset) it is the local time of that instant
  in the zone.
* A wall-clock time that a spring-forward change skips moves forward by the
  gap (01:30 is 02:30 summer time that day): the instant :mod:`zoneinfo`
  gives it with ``fold=0``.  Later slots keep 01:30.
* A wall-clock time that an autumn change repeats takes its first occurrence
  (``fold=0``).

This is the planning path only; loading and checking never call it (it costs
far more than reading a whole course).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Iterator
from itertools import islice, pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import rrule, tz

from iptkit._errors import ScheduleError, ValidationError
from iptkit._model import distinct
from iptkit._protocol import Frequency
from iptkit._types import MAX_DATE, MAX_YEAR, MIN_DATE, MIN_YEAR, offset_in_minutes

__all__ = [
    "MonthlyBy",
    "days_in_order",
    "in_zone",
    "next_anchor",
    "no_day_twice",
    "recurrence_starts",
    "slot_before",
    "slots_after",
    "zone_info",
]

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


class MonthlyBy(enum.Enum):
    """How a monthly series picks its day in each month.

    Only a monthly series uses it: weekly, twice-weekly and fortnightly
    series keep the weekday of their first slot whatever it says.

    >>> MonthlyBy.WEEKDAY.value
    'weekday'
    """

    #: The weekday and week of the month of the first slot: "the second
    #: Tuesday".  A first slot in the fifth week of its month (the 29th to the
    #: 31st) gives the last such weekday of every month: "the last Friday".
    #: One in the fourth week stays the fourth, also in months with a fifth.
    WEEKDAY = "weekday"
    #: The day of the month of the first slot; in a month without that day
    #: (the 31st in April) the month's last day.
    DAY_OF_MONTH = "day_of_month"


#: The field rule of excluded dates: no day listed twice (``duplicate_value``,
#: at the repeat, whatever the order).
no_day_twice = distinct("Excluded dates list the same day twice.")


def days_in_order(days: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
    """``days`` in date order: how excluded dates are stored (the same tuple if already so).

    >>> days_in_order((dt.date(2026, 5, 25), dt.date(2026, 4, 6)))
    (datetime.date(2026, 4, 6), datetime.date(2026, 5, 25))
    """
    if all(a <= b for a, b in pairwise(days)):
        return days
    return tuple(sorted(days))


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


def _week_of_month(day: dt.date) -> int:
    """Which of its month's weekdays ``day`` is: 1 to 4, or -1 (the last) in the fifth week."""
    week = (day.day - 1) // 7 + 1
    return -1 if week == 5 else week


def _rule(
    frequency: Frequency,
    anchor: dt.datetime,
    start: dt.datetime,
    until: dt.datetime,
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
) -> rrule.rrule:
    """The series of ``frequency`` anchored at ``anchor``, from ``start`` to ``until``.

    All three are naive local wall-clock times.  The pattern (weekday, day of
    the month or week of the month, fortnight parity) comes from ``anchor``
    (``monthly_by`` says which, for a monthly series); ``start`` only bounds
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
    if monthly_by is MonthlyBy.WEEKDAY:
        # The anchor's weekday in the anchor's week of the month ("second Tuesday").
        return rrule.rrule(
            rrule.MONTHLY,
            byweekday=rrule.weekdays[anchor.weekday()](_week_of_month(anchor)),
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
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
) -> rrule.rruleset:
    """The series as an rruleset with one EXDATE per excluded date (naive local times)."""
    rules = rrule.rruleset()
    rules.rrule(_rule(frequency, anchor, start, until, monthly_by))
    wall = anchor.time()
    for day in set(exclude):
        rules.exdate(dt.datetime.combine(day, wall))
    return rules


def _moved(
    rule: rrule.rrule, step: dt.timedelta, excluded: frozenset[dt.date], until: dt.datetime
) -> Iterator[dt.datetime]:
    """The slots of ``rule``, each on an excluded day moved on by ``step`` until it is allowed.

    Slots stay in strictly increasing order: a slot that, moved, would not
    come after the one before it (every day up to the next slot excluded)
    gives no slot of its own.
    """
    previous: dt.datetime | None = None
    for nominal in rule:
        slot = nominal
        while slot.date() in excluded:
            slot += step
        if slot > until:
            return
        if previous is not None and slot <= previous:
            continue
        previous = slot
        yield slot


def _slots(
    anchor: dt.datetime,
    start: dt.datetime,
    until: dt.datetime,
    frequency: Frequency,
    exclude: Iterable[dt.date],
    monthly_by: MonthlyBy,
    move_excluded: bool,
) -> Iterable[dt.datetime]:
    """The allowed slots of a series from ``start`` to ``until``, in order (naive local times).

    An excluded slot is dropped, or, for a monthly series with
    ``move_excluded``, moved to the next allowed day of its rule: a week on
    (the same weekday) or a day on (by day of the month).
    """
    if not (move_excluded and frequency is Frequency.MONTHLY):
        return _series(anchor, start, until, frequency, exclude, monthly_by)
    step = dt.timedelta(days=7 if monthly_by is MonthlyBy.WEEKDAY else 1)
    rule = _rule(frequency, anchor, start, until, monthly_by)
    return _moved(rule, step, frozenset(exclude), until)


def _zoned(moment: dt.datetime, info: ZoneInfo) -> dt.datetime:
    """The instant ``moment`` in ``info``, keeping the wall-clock time written if the zone can.

    The time as written is kept when the zone reads it, with either ``fold``,
    as the same instant: a time in a spring-forward gap written with the
    offset from before the change (``01:30+00:00`` in London, the offset
    :mod:`zoneinfo` gives it) stays 01:30, where a conversion would give
    02:30.  Any other moment is converted.
    """
    written = moment.replace(tzinfo=None)
    offset = moment.utcoffset()
    for fold in (0, 1):
        zoned = written.replace(tzinfo=info, fold=fold)
        if zoned.utcoffset() == offset:
            return zoned
    return moment.astimezone(info)


def _local(moment: dt.datetime, info: ZoneInfo, name: str) -> dt.datetime:
    """``moment`` as a naive wall-clock time in ``info`` (checked to be aware and in range).

    The wall-clock time is the one written when the zone reads it as the
    same instant (see :func:`_zoned`), so a first start in a gap keeps it.
    """
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise ValidationError.single(
            f"$.{name}", "naive_datetime", "The date and time needs a time zone.", moment
        )
    # The year as written first: only then is the zone's time sure to exist.
    local = None
    if MIN_YEAR <= moment.year <= MAX_YEAR:
        local = _zoned(moment, info).replace(tzinfo=None, fold=0)
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
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
    move_excluded: bool = False,
) -> tuple[dt.datetime, ...]:
    """Return ``count`` aware session start times recurring from ``first_start``.

    Args:
        first_start: aware datetime of the first slot of the series.
        count: how many start times to return.
        zone: IANA zone whose wall-clock time the series keeps.
        frequency: how often sessions recur.
        exclude: calendar dates (in ``zone``) on which no session may fall.
        skip: how many allowed slots to pass over before the first returned one.
        monthly_by: for a monthly series, whether it keeps the weekday and
            week of the month or the day of the month of ``first_start``.
        move_excluded: for a monthly series, move a slot on an excluded day
            to the next allowed day of its rule instead of dropping it.

    Returns:
        Start times in ``zone``, strictly increasing.  A wall-clock time that
        does not exist on a spring-forward day is moved forward by the gap;
        one that occurs twice takes the first occurrence.

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
    >>> second_tuesday = dt.datetime(2026, 1, 13, 9, tzinfo=ny)
    >>> starts = recurrence_starts(
    ...     second_tuesday, 3, zone="America/New_York",
    ...     frequency=Frequency.MONTHLY, monthly_by=MonthlyBy.WEEKDAY,
    ... )
    >>> [s.date().isoformat() for s in starts]
    ['2026-01-13', '2026-02-10', '2026-03-10']
    """
    info = zone_info(zone)
    local = _local(first_start, info, "first_start")
    until = min(local + HORIZON, _LATEST)
    slots = _slots(local, local, until, frequency, exclude, monthly_by, move_excluded)
    naive = list(islice(slots, skip, skip + count))
    if len(naive) < count:
        raise _too_few(len(naive), count, until, "sessions", "the first one")
    return tuple(_aware(moment, info) for moment in naive)


#: How far before ``after`` :func:`slots_after` starts reading wall-clock
#: times: a slot in a gap moves forward, so its wall-clock time may come
#: before ``after`` while the slot itself comes later (two days covers the
#: largest gap, a skipped calendar day).
_GAP_MARGIN = dt.timedelta(days=2)


def _later_slots(
    anchor: dt.datetime,
    after: dt.datetime,
    info: ZoneInfo,
    frequency: Frequency,
    exclude: Iterable[dt.date],
    monthly_by: MonthlyBy,
    move_excluded: bool,
) -> tuple[dt.datetime, Iterator[tuple[dt.datetime, dt.datetime]]]:
    """The horizon, and the allowed slots of a series later than ``after``.

    Each slot comes as its naive wall-clock time and its aware start; the
    slots are compared with ``after`` as instants.
    """
    local_anchor = _local(anchor, info, "anchor")
    local_after = _local(after, info, "after")
    until = min(max(local_after, local_anchor) + HORIZON, _LATEST)
    # A series whose excluded slots move has no slots before its anchor.
    start = local_anchor
    if not (move_excluded and frequency is Frequency.MONTHLY):
        start = _aligned_start(local_anchor, max(local_after - _GAP_MARGIN, _EARLIEST))
    slots = _slots(local_anchor, start, until, frequency, exclude, monthly_by, move_excluded)
    earliest = local_after - _GAP_MARGIN

    def later() -> Iterator[tuple[dt.datetime, dt.datetime]]:
        for moment in slots:
            if moment <= earliest:
                continue
            aware = _aware(moment, info)
            if aware > after:
                yield moment, aware

    return until, later()


def slots_after(
    anchor: dt.datetime,
    after: dt.datetime,
    count: int,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
    move_excluded: bool = False,
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
        monthly_by: as for :func:`recurrence_starts`.
        move_excluded: as for :func:`recurrence_starts`; such a series has
            no slots before its anchor.

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
    until, later = _later_slots(anchor, after, info, frequency, exclude, monthly_by, move_excluded)
    found = [aware for _, aware in islice(later, count)]
    if len(found) < count:
        raise _too_few(len(found), count, until, "slots", "the last one")
    return tuple(found)


def next_anchor(
    anchor: dt.datetime,
    after: dt.datetime,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
) -> dt.datetime:
    """Return the first slot of a series after ``after``, to start a new series there.

    The slot of :func:`slots_after` with no excluded dates, but as its
    wall-clock time in ``zone`` (``fold=0``) rather than the instant it
    resolves to: on a day a spring-forward change skips that time, a new
    series anchored here keeps the time, and only that day's slot moves
    forward by the gap.

    Raises:
        ValidationError: ``anchor`` or ``after`` is naive, or ``zone`` is unknown.
        ScheduleError: no slot fits within ten years of ``after``.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> london = ZoneInfo("Europe/London")
    >>> last = dt.datetime(2026, 3, 22, 1, 30, tzinfo=london)
    >>> anchor = next_anchor(last, last, zone="Europe/London")  # the clocks skip 01:30
    >>> anchor.isoformat()
    '2026-03-29T01:30:00+00:00'
    >>> slots_after(last, last, 1, zone="Europe/London")[0].isoformat()
    '2026-03-29T02:30:00+01:00'
    """
    info = zone_info(zone)
    until, later = _later_slots(anchor, after, info, frequency, (), monthly_by, False)
    for moment, _ in later:
        return moment.replace(tzinfo=info)
    raise _too_few(0, 1, until, "slots", "the last one")


def in_zone(moment: dt.datetime, zone: str) -> dt.datetime:
    """Return ``moment`` in ``zone``: the same instant, keeping its wall-clock time if it can.

    A time written in the zone stays as written, also in a daylight-saving
    gap or fold (where a conversion could change its wall-clock time); a time
    given in another zone or offset is converted.  This is the wall-clock
    time a series anchored at ``moment`` keeps.

    Raises:
        ValidationError: ``zone`` is unknown.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> gap = dt.datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/London"))
    >>> in_zone(gap, "Europe/London").isoformat()  # kept: 01:30 does not exist that day
    '2026-03-29T01:30:00+00:00'
    >>> gap.astimezone(dt.timezone.utc).astimezone(ZoneInfo("Europe/London")).isoformat()
    '2026-03-29T02:30:00+01:00'
    >>> in_zone(dt.datetime(2026, 6, 1, 8, tzinfo=dt.timezone.utc), "Europe/London").isoformat()
    '2026-06-01T09:00:00+01:00'
    """
    return _zoned(moment, zone_info(zone))


def slot_before(
    anchor: dt.datetime,
    before: dt.datetime,
    *,
    zone: str,
    frequency: Frequency = Frequency.WEEKLY,
    exclude: Iterable[dt.date] = (),
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH,
) -> dt.datetime:
    """Return the last allowed slot of a series strictly before ``before``.

    Arguments as for :func:`slots_after`; the series extends backwards from
    its anchor with the same pattern (excluded slots are dropped).

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
    # Slots are compared with ``before`` as instants: in a fold, a slot's
    # wall-clock time may come after that of ``before`` while the slot comes first.
    latest = min(local_before + _GAP_MARGIN, _LATEST)
    while True:
        start = _aligned_start(local_anchor, local_before - span)
        rules = _series(local_anchor, start, latest, frequency, exclude, monthly_by)
        candidates = list(rules.between(start, latest, inc=True))
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
