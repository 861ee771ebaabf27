"""The one rule that lists of dated things are kept in date order.

Excluded dates, amendments, relationship changes, goal ratings and formulation
revisions are all stored in the order they happened, so that JSON has one
spelling per value and "the latest" is simply the last item.  They share this
check and its one code, ``out_of_order``.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from iptkit._errors import Issue
from iptkit._model import Rule

__all__ = ["date_order_issues", "in_date_order", "not_before_issues"]


def date_order_issues(
    days: Sequence[dt.date],
    path: str,
    *,
    items: str,
    not_before: dt.date | None = None,
    since: str = "",
    unique: bool = False,
) -> Iterator[Issue]:
    """Issues for the items of ``days`` that break date order.

    Args:
        days: the date of each item, in list order.
        path: the JSON path of an item's date, with ``{}`` for its index
            (``"$.ratings[{}].on"``).
        items: what the items are, plural, for the message ("Ratings").
        not_before: a day no item may precede (the goal's own date, ...).
        since: what ``not_before`` is, for the message ("the goal was set").
        unique: a day may not repeat (``duplicate_value``).

    >>> [i.code for i in date_order_issues([dt.date(2026, 1, 2), dt.date(2026, 1, 1)],
    ...                                    "$.exclude[{}]", items="Excluded dates")]
    ['out_of_order']
    """
    message = f"{items} must be listed in date order"
    message += f" and not before {since}." if not_before is not None else "."
    previous = not_before
    for index, day in enumerate(days):
        if previous is not None:
            if unique and index and day == previous:
                yield Issue(
                    path.format(index), "duplicate_value", f"{items} list the same day twice.", day
                )
            elif day < previous:
                yield Issue(path.format(index), "out_of_order", message, day)
                continue
        previous = day if previous is None else max(previous, day)


def not_before_issues(
    days: Sequence[dt.date], path: str, *, items: str, not_before: dt.date, since: str
) -> Iterator[Issue]:
    """Issues for the items of ``days`` dated before ``not_before`` (``out_of_order``).

    The cross-field half of :func:`date_order_issues` with ``not_before``:
    items out of order among themselves are left to the field rule
    :func:`in_date_order`, so no item is reported twice.

    >>> days = [dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2025, 1, 1)]
    >>> [i.path for i in not_before_issues(days, "$.r[{}]", items="Ratings",
    ...                                    not_before=dt.date(2026, 2, 1), since="it was set")]
    ['$.r[0]']
    """
    message = f"{items} must not be dated before {since}."
    latest: dt.date | None = None
    for index, day in enumerate(days):
        if latest is not None and day < latest:
            continue  # out of order: the field rule reports it
        latest = day
        if day < not_before:
            yield Issue(path.format(index), "out_of_order", message, day)


def in_date_order(items: str, *, attr: str | None = None, unique: bool = False) -> Rule:
    """A field rule: the items of a tuple field (or their ``attr``) are in date order.

    A rule of the field alone (see :func:`iptkit._model.field`), so it is
    checked even when a sibling field is wrong.  ``items`` and ``unique`` are
    as for :func:`date_order_issues`.

    >>> rule = in_date_order("Days")
    >>> [(i.path, i.code) for i in rule((dt.date(2026, 1, 2), dt.date(2026, 1, 1)), "$.days")]
    [('$.days[1]', 'out_of_order')]
    """
    below = "" if attr is None else "." + attr
    before = operator.lt if unique else operator.le

    def holds(value: Any) -> bool:
        if len(value) < 2:
            return True
        days = value if attr is None else [getattr(item, attr) for item in value]
        return all(map(before, days, days[1:]))

    def rule(value: Any, path: str) -> Iterator[Issue]:
        days = value if attr is None else [getattr(item, attr) for item in value]
        return date_order_issues(days, path + "[{}]" + below, items=items, unique=unique)

    return Rule(rule, holds)
