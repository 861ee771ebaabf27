"""Building blocks shared by the strategies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil import tz
from hypothesis import strategies as st

__all__ = ["aware_datetimes", "dates", "private_text", "zone_names"]

#: Zones with and without daylight-saving time, in both hemispheres; the
#: first is UTC so failures shrink to it.
ZONES: tuple[str, ...] = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Africa/Nairobi",
)

_EARLIEST = dt.date(2000, 1, 1)
_LATEST = dt.date(2040, 12, 31)


def zone_names() -> st.SearchStrategy[str]:
    """IANA zone names, shrinking towards ``"UTC"``."""
    return st.sampled_from(ZONES)


def dates(
    min_value: dt.date = _EARLIEST, max_value: dt.date = _LATEST
) -> st.SearchStrategy[dt.date]:
    """Calendar dates within a plausible clinical range, shrinking to ``min_value``."""
    return st.dates(min_value=min_value, max_value=max_value)


def aware_datetimes(
    min_value: dt.datetime = dt.datetime(2000, 1, 1),
    max_value: dt.datetime = dt.datetime(2040, 12, 31),
) -> st.SearchStrategy[dt.datetime]:
    """Timezone-aware datetimes in one of the zones of :func:`zone_names`, whole minutes only.

    Only wall-clock times that exist: a time skipped by a spring-forward
    change is moved on by the gap, and an ambiguous one takes its first
    occurrence.
    """
    return st.builds(
        _real_time, st.datetimes(min_value=min_value, max_value=max_value), zone_names()
    )


def _real_time(naive: dt.datetime, zone: str) -> dt.datetime:
    info = ZoneInfo(zone)
    local = naive.replace(second=0, microsecond=0, fold=0, tzinfo=info)
    return tz.resolve_imaginary(local).astimezone(dt.UTC).astimezone(info)


def private_text(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Free text as a patient or clinician might write it (no control characters)."""
    return st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
        min_size=min_size,
        max_size=max_size,
    )
