"""The one rule that lists of dated things are kept in date order.

Excluded dates, amendments, relationship changes, goal ratings and formulation
revisions are all stored in the order they happened, so that JSON has one
spelling per value and "the latest" is simply the last item.  They share this
check and its one code, ``out_of_order``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from iptkit._errors import Issue

__all__ = ["date_order_issues"]


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
                    path.format(index), "duplicate_value", f"{items} list the same day twice."
                )
            elif day < previous:
                yield Issue(path.format(index), "out_of_order", message)
                continue
        previous = day if previous is None else max(previous, day)
