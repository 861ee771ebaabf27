"""What the command line needs from the rest of iptkit, in one place.

The command line drives several parts of the library: the document models
(found by their document kind), the findings of :func:`iptkit.check`, the
built-in protocols, the JSON Schema export, schedule planning and the
synthetic corpus.  Every lookup of those parts goes through this module, so
the command line itself never reaches into them directly.
"""

from __future__ import annotations

from typing import Any, TextIO

import iptkit

# The lookups a check needs live with the checking of chunks (the Dask workers
# need them too); the command line finds them here with the others.
from iptkit._checkrun import (
    CHECKED_DOCUMENTS,
    DEFAULT_DOCUMENT,
    FindingRow,
    document_type,
    document_types,
    findings,
    load_plugins,
    protocol,
    protocol_names,
)

__all__ = [
    "CHECKED_DOCUMENTS",
    "DEFAULT_DOCUMENT",
    "FindingRow",
    "ScheduleRow",
    "document_type",
    "document_types",
    "findings",
    "json_schema",
    "load_plugins",
    "plan_schedule",
    "protocol",
    "protocol_document",
    "protocol_names",
    "schedule_ical",
    "schedule_rows",
    "write_corpus",
]

#: One planned session as plain text: ``(number, kind, phase, local time, status)``.
ScheduleRow = tuple[str, str, str, str, str]


def protocol_document(raw: bytes) -> str:
    """Load a protocol document and return it as compact JSON text for :func:`protocol`.

    Raises:
        ValidationError: the document is not valid JSON or not a valid protocol.
    """
    return iptkit.dumps(iptkit.loads(iptkit.Protocol, raw))


def json_schema(cls: type) -> dict[str, Any]:
    """Return the JSON Schema of a document class."""
    from iptkit._io._schema import json_schema as export

    return export(cls)


def plan_schedule(contract: Any) -> Any:
    """Return the planned schedule of a treatment contract.

    Raises:
        ValidationError: the contract cannot be scheduled.
        ScheduleError: the contract cannot be scheduled.
    """
    return iptkit.Schedule.from_contract(contract)


def schedule_rows(schedule: Any) -> list[ScheduleRow]:
    """Return one row of plain text per session of a schedule, in local time."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(schedule.zone)
    rows: list[ScheduleRow] = []
    for session in schedule.sessions:
        local = session.starts_at.astimezone(zone)
        rows.append(
            (
                session.label,
                _text(session.kind),
                _text(session.phase),
                local.strftime("%Y-%m-%d %a %H:%M %Z"),
                _text(session.status),
            )
        )
    return rows


def schedule_ical(schedule: Any) -> str:
    """Return a schedule as iCalendar text."""
    from iptkit._io._ical import to_ical

    return to_ical(schedule)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def write_corpus(out: TextIO, *, courses: int, seed: int, invalid_fraction: float) -> None:
    """Write a synthetic corpus of course documents as JSON Lines to ``out``."""
    from iptkit._cli._synth import write_corpus as write

    write(out, courses=courses, seed=seed, invalid_fraction=invalid_fraction)
