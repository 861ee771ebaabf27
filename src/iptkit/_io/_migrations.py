"""Schema versions of top-level documents and the migrations between them.

Every document iptkit writes carries ``schema_version``.  A document of an
older version is upgraded step by step, one migration per version, before
the codec reads it; a newer version than this release knows is refused.
Each migration is a pure function on the decoded JSON and is tested with a
real document of the version it reads.

A version problem (none given, not a whole number, not one this release
reads) is one issue among the others, never a gate: the rest of the
document is read as the current version, so that one report holds every
problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from iptkit._errors import Issue
from iptkit._protocol import BUILTIN_PROTOCOLS

__all__ = ["SCHEMA_VERSION", "upgrade"]

#: The ``schema_version`` this release writes into top-level documents.
#:
#: * 1: the first release.
#: * 2: one session vocabulary.  A session record's ``attendance`` became
#:   ``status`` (``attended`` is ``held``, ``no_show`` is ``missed``); a
#:   schedule's ``cancelled`` became ``cancelled_by_patient`` (version 1's
#:   ``Schedule.cancel`` was the patient's cancellation, treated like a miss);
#:   a schedule's ``missed`` list of made-up slots became rows of its
#:   ``sessions`` with ``made_up: true`` and the phase of the session that
#:   replaced them; a measurement names its session's kind (``session_kind``),
#:   so maintenance session M2 is no longer read as acute session 2; a
#:   built-in protocol written out in full is read as today's built-in.
SCHEMA_VERSION = 2

_Migration = Callable[[str, dict[str, Any]], dict[str, Any]]

#: ``version -> migrate(kind, body)``: a body of that version to one of the next.
_MIGRATIONS: dict[int, _Migration] = {}


_RECORD_STATUS = {"attended": "held", "no_show": "missed"}
_SCHEDULE_STATUS = {"cancelled": "cancelled_by_patient"}


def _v1_record(record: Any) -> Any:
    if type(record) is dict and "attendance" in record:
        record = {("status" if k == "attendance" else k): v for k, v in record.items()}
        status = record["status"]
        if type(status) is str:
            record["status"] = _RECORD_STATUS.get(status, status)
    return record


def _v1_row(row: Any) -> Any:
    if type(row) is dict and type(row.get("status")) is str:
        row = dict(row)
        row["status"] = _SCHEDULE_STATUS.get(row["status"], row["status"])
    return row


def _start_key(row: Any) -> Any:
    """Sort key of a row by its instant; rows that are not readable keep their place."""
    try:
        return dt.datetime.fromisoformat(row["starts_at"]).timestamp()
    except (TypeError, KeyError, ValueError, OverflowError):
        return None


def _by_day_of_month(plan: Any) -> Any:
    """A version-1 maintenance plan or agreement recurred monthly by the day of the month."""
    if type(plan) is dict and "monthly_by" not in plan:
        return {**plan, "monthly_by": "day_of_month"}
    return plan


def _v1_schedule(schedule: Any) -> Any:
    if type(schedule) is not dict:
        return schedule
    body = dict(schedule)
    if type(body.get("maintenance")) is list:
        body["maintenance"] = [_by_day_of_month(plan) for plan in body["maintenance"]]
    sessions = body.get("sessions")
    if type(sessions) is list:
        body["sessions"] = sessions = [_v1_row(row) for row in sessions]
    if "missed" not in body:
        return body
    missed = body.pop("missed")
    if type(missed) is not list or type(sessions) is not list:
        body["missed"] = missed  # left for the codec to report
        return body
    rows = list(sessions)
    for slot in missed:
        row = _v1_row(slot)
        if type(row) is dict:
            row = {**row, "made_up": True}
            replacement = next(
                (
                    s
                    for s in sessions
                    if type(s) is dict
                    and s.get("kind") == row.get("kind")
                    and s.get("number") == row.get("number")
                ),
                None,
            )
            if replacement is not None and "phase" in replacement:
                row.setdefault("phase", replacement["phase"])
        rows.append(row)
    keys = [_start_key(row) for row in rows]
    if all(key is not None for key in keys):
        rows = [row for _, row in sorted(zip(keys, rows, strict=True), key=lambda p: p[0])]
    body["sessions"] = rows
    return body


def _v1_measurements(measurements: Any, records: Any) -> Any:
    """Name the session kind of measurements that version 1 left ambiguous.

    Version 1 tied a measurement to a session by number alone, so maintenance
    session M2 and acute session 2 were both "2".  A measurement whose number
    and day match a maintenance record, and no acute record, belonged to that
    maintenance session; every other one stays acute, as version 1 read it.
    """
    if type(measurements) is not list or type(records) is not list:
        return measurements
    by_kind: dict[str, set[tuple[Any, Any]]] = {"acute": set(), "maintenance": set()}
    for record in records:
        if type(record) is dict and type(record.get("starts_at")) is str:
            kind = record.get("kind", "acute")
            if kind in by_kind:
                by_kind[kind].add((record.get("number"), record["starts_at"][:10]))
    migrated = []
    for measurement in measurements:
        if type(measurement) is dict and "session_kind" not in measurement:
            key = (measurement.get("session_number"), measurement.get("taken_on"))
            if key in by_kind["maintenance"] and key not in by_kind["acute"]:
                measurement = {**measurement, "session_kind": "maintenance"}
        migrated.append(measurement)
    return migrated


def _v1_protocol(protocol: Any) -> Any:
    """A built-in protocol embedded by version 1 is read as today's built-in of that name.

    Version 1 wrote every protocol out in full, so a document keeps the
    built-in as it was then (without, say, the age range IPT-A now carries)
    and would no longer equal the built-in it named (nor load: a built-in's
    name is reserved for its rules).  It becomes the name, as version 2
    writes a built-in.  Custom protocols, with names no built-in has, are
    left as they are.
    """
    if type(protocol) is dict and type(protocol.get("name")) is str:
        name = protocol["name"]
        if name in BUILTIN_PROTOCOLS:
            return name
    return protocol


def _v1_protocols(body: dict[str, Any]) -> dict[str, Any]:
    """Read the protocols of a document and of its embedded parts as today's built-ins."""
    body = dict(body)
    if "protocol" in body:
        body["protocol"] = _v1_protocol(body["protocol"])
    for part in ("contract", "schedule"):
        if type(body.get(part)) is dict:
            body[part] = _v1_protocols(body[part])
    return body


def _from_v1(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: one session vocabulary, made-up misses as rows, measured session kinds.

    Monthly maintenance recurred by the day of the month in version 1; version 2
    keeps the weekday by default, so version-1 plans and agreements say so.
    """
    body = _v1_protocols(body)
    if kind == "schedule":
        return dict(_v1_schedule(body))
    if kind == "maintenance_agreement":
        return dict(_by_day_of_month(body))
    if kind == "course":
        body = dict(body)
        if "maintenance" in body:
            body["maintenance"] = _by_day_of_month(body["maintenance"])
        if type(body.get("sessions")) is list:
            body["sessions"] = [_v1_record(record) for record in body["sessions"]]
        if "measurements" in body:
            body["measurements"] = _v1_measurements(body["measurements"], body.get("sessions"))
        if "schedule" in body:
            body["schedule"] = _v1_schedule(body["schedule"])
    return body


_MIGRATIONS[1] = _from_v1


_READ_AS_CURRENT = f"the rest was read as version {SCHEMA_VERSION}, the current one."


def upgrade(
    kind: str, data: dict[str, Any], *, require_version: bool = True
) -> tuple[dict[str, Any], list[Issue]]:
    """Check ``schema_version``; return the body of a ``kind`` document at the current version.

    Returns the body (without ``schema_version``) and the issues of its
    version, empty when it is fine.  A document with a version problem is
    read as the current version: missing (unless ``require_version`` is
    false, when that is no problem), not a whole number, or not a version
    this release reads (below 1 or newer than :data:`SCHEMA_VERSION`).
    Messages never quote the version given; each issue keeps it as its
    ``input``.
    """
    if "schema_version" not in data:
        if not require_version:
            return data, []
        return data, [
            Issue(
                "$.schema_version",
                "missing_field",
                f"The document has no schema_version; {_READ_AS_CURRENT}",
            )
        ]
    body = dict(data)
    version = body.pop("schema_version")
    if type(version) is not int:
        message = f"The schema_version must be a whole number; {_READ_AS_CURRENT}"
        return body, [Issue("$.schema_version", "wrong_type", message, version)]
    if version > SCHEMA_VERSION or version < 1:
        message = (
            f"This schema_version is not one this release reads (1 to {SCHEMA_VERSION}); "
            + _READ_AS_CURRENT
        )
        return body, [Issue("$.schema_version", "unsupported_schema_version", message, version)]
    while version < SCHEMA_VERSION:
        body = _MIGRATIONS[version](kind, body)
        version += 1
    return body, []
