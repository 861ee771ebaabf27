"""What the command line needs from the rest of iptkit, in one place.

The command line drives several parts of the library: the document models
(found by their document kind), the findings of :func:`iptkit.check`, the
built-in protocols, the JSON Schema export, schedule planning and the
synthetic corpus.  Every lookup of those parts goes through this module, so
the command line itself never reaches into them directly.
"""

from __future__ import annotations

import functools
from typing import Any, TextIO

import iptkit
from iptkit._model import document_kind, is_model

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

#: The document kind ``iptkit check`` and ``iptkit schema`` read by default.
DEFAULT_DOCUMENT = "course"

#: The document kinds that have findings (:func:`iptkit.check` takes them).
CHECKED_DOCUMENTS = frozenset({DEFAULT_DOCUMENT, "group"})

#: One finding as plain values: ``(severity, code, path, message)``.
FindingRow = tuple[str, str, str, str]

#: One planned session as plain text: ``(number, kind, phase, local time, status)``.
ScheduleRow = tuple[str, str, str, str, str]


@functools.cache
def document_types() -> dict[str, type]:
    """Return every public top-level document class by its document kind.

    >>> document_types()["inventory"].__name__
    'InterpersonalInventory'
    """
    found: dict[str, type] = {}
    for name in iptkit.__all__:
        obj = getattr(iptkit, name)
        if is_model(obj):
            kind = document_kind(obj)
            if kind is not None:
                found[kind] = obj
    return dict(sorted(found.items()))


def document_type(kind: str) -> type:
    """Return the document class of ``kind``.

    Raises:
        KeyError: no public document has that kind.
    """
    return document_types()[kind]


def protocol_names() -> list[str]:
    """Return the names of the built-in protocols, sorted."""
    from iptkit.protocols import BUILTIN_PROTOCOLS

    return sorted(BUILTIN_PROTOCOLS)


@functools.cache
def protocol(name: str | None) -> Any:
    """Return the protocol ``name`` names (``None`` for the default).

    ``name`` is the name of a built-in protocol, or the JSON text of a
    protocol document as :func:`protocol_document` returns it.
    """
    if name is None:
        return None
    from iptkit.protocols import BUILTIN_PROTOCOLS

    if name in BUILTIN_PROTOCOLS:
        return BUILTIN_PROTOCOLS[name]
    return iptkit.loads(iptkit.Protocol, name)


def protocol_document(raw: bytes) -> str:
    """Load a protocol document and return it as compact JSON text for :func:`protocol`.

    Raises:
        ValidationError: the document is not valid JSON or not a valid protocol.
    """
    return iptkit.dumps(iptkit.loads(iptkit.Protocol, raw))


def load_plugins() -> None:
    """Load the checks of every installed plugin (once per process)."""
    iptkit.load_check_plugins()


def findings(document: Any, protocol: Any = None) -> list[FindingRow]:
    """Return the findings of a loaded document as plain tuples.

    Treatment courses and group courses have findings (the kinds in
    :data:`CHECKED_DOCUMENTS`); other documents have none.
    """
    if document_kind(type(document)) not in CHECKED_DOCUMENTS:
        return []
    return [
        (f.severity.value, f.code, f.path, f.message)
        for f in iptkit.check(document, protocol=protocol)
    ]


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
