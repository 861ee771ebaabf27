"""Schema versions of top-level documents and the migrations between them.

Every document iptkit writes carries ``schema_version``.  A document of an
older version is upgraded step by step, one migration per version, before
the codec reads it; a newer version than this release knows is refused.
Each migration is a pure function on the decoded JSON and is tested with a
real document of the version it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iptkit._errors import ValidationError

__all__ = ["SCHEMA_VERSION", "upgrade"]

#: The ``schema_version`` this release writes into top-level documents.
SCHEMA_VERSION = 1

_Migration = Callable[[str, dict[str, Any]], dict[str, Any]]

#: ``version -> migrate(kind, body)``: a body of that version to one of the next.
_MIGRATIONS: dict[int, _Migration] = {}


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
