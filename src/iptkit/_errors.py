"""Errors raised by iptkit and the :class:`Issue` they carry.

Every exception iptkit raises derives from :class:`IptkitError`.  Bad data
raises :class:`ValidationError`, which lists *every* problem found as
:class:`Issue` objects with a JSON path, a stable code and a plain message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypedDict

import attrs

__all__ = [
    "IptkitError",
    "Issue",
    "IssueDict",
    "MissingExtraError",
    "ScheduleError",
    "ValidationError",
    "join_path",
    "relocate",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


def join_path(base: str, key: str | int) -> str:
    """Return the JSON path of ``key`` inside the value at ``base``.

    >>> join_path("$", "relationships")
    '$.relationships'
    >>> join_path("$.relationships", 2)
    '$.relationships[2]'
    >>> join_path("$", "two words")
    "$['two words']"
    """
    if isinstance(key, int):
        return f"{base}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{base}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{base}['{escaped}']"


def _parse_path(path: str) -> tuple[str | int, ...]:
    """Split a path made by :func:`join_path` into its keys and indexes."""
    if not path.startswith("$"):
        return (path,)
    loc: list[str | int] = []
    pos = 1
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if match is None:  # not a path we wrote: keep the rest whole
            loc.append(path[pos:])
            break
        name, index, quoted = match.groups()
        if name is not None:
            loc.append(name)
        elif index is not None:
            loc.append(int(index))
        else:
            loc.append(re.sub(r"\\(.)", r"\1", quoted))
        pos = match.end()
    return tuple(loc)


class IssueDict(TypedDict):
    """One entry of :meth:`ValidationError.errors`, shaped as pydantic's."""

    loc: tuple[str | int, ...]
    type: str
    msg: str
    path: str


@attrs.frozen
class Issue:
    """One problem found in a value.

    Attributes:
        path: JSON path into the input: ``$`` for the whole value, ``.name``
            for a field, ``[i]`` for a list item, e.g.
            ``$.relationships[2].closeness``.
        code: stable snake_case identifier of the rule that failed (the
            documentation lists every code).
        message: one plain sentence saying what is wrong.

    >>> Issue("$.closeness", "out_of_range", "Closeness must be at least 1.").loc
    ('closeness',)
    """

    path: str
    code: str
    message: str

    @property
    def loc(self) -> tuple[str | int, ...]:
        """The path as a tuple of field names and list indexes."""
        return _parse_path(self.path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"


def relocate(issues: Iterable[Issue], base: str) -> list[Issue]:
    """Return ``issues`` with their paths moved below ``base``.

    Paths of a nested value are relative to it (they start at ``$``); the
    codec calls this to place them inside the enclosing document.

    >>> relocate([Issue("$.name", "wrong_type", "Expected text.")], "$.people[0]")
    [Issue(path='$.people[0].name', code='wrong_type', message='Expected text.')]
    """
    if base == "$":
        return list(issues)
    return [Issue(base + issue.path[1:], issue.code, issue.message) for issue in issues]


class IptkitError(Exception):
    """Base class of every exception iptkit raises."""


class ValidationError(IptkitError, ValueError):
    """A value, a document or an operation breaks one or more rules.

    ``issues`` lists every problem found, not only the first one.

    >>> from iptkit import Issue, ValidationError
    >>> err = ValidationError([Issue("$.closeness", "out_of_range", "Must be at least 1.")])
    >>> print(err)
    1 validation issue:
      $.closeness: Must be at least 1. [out_of_range]
    >>> err.errors()[0]["loc"], err.errors()[0]["type"]
    (('closeness',), 'out_of_range')
    """

    issues: tuple[Issue, ...]

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(issues)
        if not self.issues:
            msg = "a ValidationError needs at least one Issue"
            raise ValueError(msg)
        super().__init__(self.issues)

    @classmethod
    def single(cls, path: str, code: str, message: str) -> ValidationError:
        """Build an error holding one issue."""
        return cls((Issue(path, code, message),))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.issues,))

    def __str__(self) -> str:
        count = len(self.issues)
        head = f"{count} validation issue{'s' if count != 1 else ''}:"
        return "\n  ".join([head, *(str(issue) for issue in self.issues)])

    def errors(self) -> list[IssueDict]:
        """Return the issues as pydantic-style dicts (``loc``, ``type``, ``msg``, ``path``)."""
        return [
            {"loc": issue.loc, "type": issue.code, "msg": issue.message, "path": issue.path}
            for issue in self.issues
        ]

    @property
    def codes(self) -> frozenset[str]:
        """The set of codes among the issues (handy in tests and filters)."""
        return frozenset(issue.code for issue in self.issues)


class ScheduleError(IptkitError):
    """A schedule was asked for that cannot exist.

    Raised, for example, when more sessions are requested than fit before an
    end date, or when every candidate slot is excluded.
    """


class MissingExtraError(IptkitError, ImportError):
    """An optional feature was used without the extra that installs what it needs.

    The message names the extra to install, e.g. ``pip install "iptkit[hypothesis]"``.
    It is also an :class:`ImportError`, so code that guards an optional import
    with ``except ImportError`` keeps working.
    """

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(f'{feature} needs the "{extra}" extra: pip install "iptkit[{extra}]"')
