"""Schema versions of top-level documents and the migrations between them.

Every document iptkit writes carries ``schema_version``.  A document of an
older version is upgraded step by step, one migration per version, before
the codec reads it; a newer version than this release knows is refused.
Each migration is a pure function on the decoded JSON and is tested with a
real document of the version it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from iptkit._errors import ValidationError

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
#:   replaced them.
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


def _v1_schedule(schedule: Any) -> Any:
    if type(schedule) is not dict:
        return schedule
    body = dict(schedule)
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


def _from_v1(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: one session vocabulary, made-up misses as session rows."""
    if kind == "schedule":
        return dict(_v1_schedule(body))
    if kind == "course":
        body = dict(body)
        if type(body.get("sessions")) is list:
            body["sessions"] = [_v1_record(record) for record in body["sessions"]]
        if "schedule" in body:
            body["schedule"] = _v1_schedule(body["schedule"])
    return body


_MIGRATIONS[1] = _from_v1


def upgrade(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check ``schema_version`` and return the body of a ``kind`` document at the current version.

    The returned body has no ``schema_version`` key.
    """
    if "schema_version" not in data:
        raise ValidationError.single(
            "$.schema_version",
            "missing_field",
            "The document has no schema_version.",
        )
    version = data["schema_version"]
    if type(version) is not int:
        raise ValidationError.single(
            "$.schema_version", "wrong_type", "The schema_version must be a whole number."
        )
    if version > SCHEMA_VERSION or version < 1:
        raise ValidationError.single(
            "$.schema_version",
            "unsupported_schema_version",
            f"Schema version {version} is not supported; this release reads "
            f"versions 1 to {SCHEMA_VERSION}.",
        )
    body = {k: v for k, v in data.items() if k != "schema_version"}
    while version < SCHEMA_VERSION:
        body = _MIGRATIONS[version](kind, body)
        version += 1
    return body
