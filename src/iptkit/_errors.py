"""Errors raised by iptkit and the :class:`Issue` they carry.

Every exception iptkit raises derives from :class:`IptkitError`.  Bad data
raises :class:`ValidationError`, which lists *every* problem found as
:class:`Issue` objects with a JSON path, a stable code and a plain message.

Messages never quote a value of the document (values are personal data and
errors end up in logs).  The offending value is kept on ``Issue.input``,
which ``str()`` and ``repr()`` never show and :meth:`ValidationError.errors`
gives only when asked (``include_input=True``).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, NotRequired, TypedDict

import attrs

__all__ = [
    "NO_INPUT",
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
    # A lone surrogate cannot be written as UTF-8: show it as an escape instead.
    if any("\ud800" <= char <= "\udfff" for char in escaped):
        escaped = "".join(
            f"\\u{ord(char):04x}" if "\ud800" <= char <= "\udfff" else char for char in escaped
        )
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
    """One entry of :meth:`ValidationError.errors`, shaped as pydantic's.

    ``input`` is there only when asked for (``include_input=True``) and the
    issue has a value (:attr:`Issue.has_input`).
    """

    loc: tuple[str | int, ...]
    type: str
    msg: str
    path: str
    input: NotRequired[Any]


class _NoInput:
    """The type of ``NO_INPUT`` (one instance, kept through pickling)."""

    __slots__ = ()
    _instance: _NoInput | None = None

    def __new__(cls) -> _NoInput:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_INPUT"

    def __reduce__(self) -> str:
        return "NO_INPUT"


#: The ``Issue.input`` of an issue that is not about one value (a missing
#: field, a rule across fields).  ``None`` cannot say this: null is a value.
NO_INPUT: Final = _NoInput()


@attrs.frozen
class Issue:
    """One problem found in a value.

    Attributes:
        path: JSON path into the input: ``$`` for the whole value, ``.name``
            for a field, ``[i]`` for a list item, e.g.
            ``$.relationships[2].closeness``.
        code: stable snake_case identifier of the rule that failed (the
            documentation lists every code).
        message: one plain sentence saying what is wrong; it never quotes
            the value.
        input: the offending value, as given (for :func:`iptkit.load`, the
            JSON value at ``path``), or ``NO_INPUT`` when the issue is not
            about one value.  It may be personal data: ``str()`` and
            ``repr()`` never show it, and it takes no part in equality or
            hashing.

    >>> Issue("$.closeness", "out_of_range", "Closeness must be at least 1.").loc
    ('closeness',)
    >>> issue = Issue("$.closeness", "out_of_range", "Must be at least 1.", 0)
    >>> issue.input, issue.has_input, issue
    (0, True, Issue(path='$.closeness', code='out_of_range', message='Must be at least 1.'))
    """

    path: str
    code: str
    message: str
    # Not part of equality, hashing or repr: an issue is identified by its
    # path, code and message, and the value may be unhashable or personal.
    input: Any = attrs.field(default=NO_INPUT, eq=False, repr=False)

    @property
    def loc(self) -> tuple[str | int, ...]:
        """The path as a tuple of field names and list indexes."""
        return _parse_path(self.path)

    @property
    def has_input(self) -> bool:
        """Whether the issue keeps the value it is about (``input``)."""
        return self.input is not NO_INPUT

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"

    def __reduce__(self) -> tuple[Any, ...]:
        # A value that cannot be pickled (a lock, a lambda passed to a
        # constructor) is left out rather than making the error unpicklable.
        value = self.input
        if value is not NO_INPUT and type(value) not in _PLAIN_TYPES:
            try:
                pickle.dumps(value)
            except Exception:  # any failure means the value cannot be kept
                value = NO_INPUT
        return (Issue, (self.path, self.code, self.message, value))


#: Types whose values always pickle (no need to try).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def relocate(issues: Iterable[Issue], base: str) -> list[Issue]:
    """Return ``issues`` with their paths moved below ``base``.

    Paths of a nested value are relative to it (they start at ``$``); the
    codec calls this to place them inside the enclosing document.

    >>> relocate([Issue("$.name", "wrong_type", "Expected text.")], "$.people[0]")
    [Issue(path='$.people[0].name', code='wrong_type', message='Expected text.')]
    """
    if base == "$":
        return list(issues)
    return [
        Issue(base + issue.path[1:], issue.code, issue.message, issue.input) for issue in issues
    ]


class IptkitError(Exception):
    """Base class of every exception iptkit raises."""


class ValidationError(IptkitError, ValueError):
    """A value, a document or an operation breaks one or more rules.

    ``issues`` lists every problem found, not only the first one.  Neither
    ``str()``, ``repr()`` nor the exception's arguments show the values the
    issues keep (``Issue.input``); :meth:`errors` gives them on request.

    >>> from iptkit import Issue, ValidationError
    >>> err = ValidationError([Issue("$.closeness", "out_of_range", "Must be at least 1.", 0)])
    >>> print(err)
    1 validation issue:
      $.closeness: Must be at least 1. [out_of_range]
    >>> err.errors()[0]["loc"], err.errors()[0]["type"], "input" in err.errors()[0]
    (('closeness',), 'out_of_range', False)
    >>> err.errors(include_input=True)[0]["input"]
    0
    """

    issues: tuple[Issue, ...]
    #: Issues found but not listed, counted per code: empty unless the
    #: caller capped the issues (``iptkit.load(..., max_issues=N)``).
    left_out: Mapping[str, int]

    def __init__(
        self, issues: Iterable[Issue], *, left_out: Mapping[str, int] | None = None
    ) -> None:
        self.issues = tuple(issues)
        if not self.issues:
            msg = "a ValidationError needs at least one Issue"
            raise ValueError(msg)
        self.left_out = dict(sorted(left_out.items())) if left_out else {}
        super().__init__(self.issues)

    @classmethod
    def single(cls, path: str, code: str, message: str, input: Any = NO_INPUT) -> ValidationError:
        """Build an error holding one issue (with the value it is about, if any)."""
        return cls((Issue(path, code, message, input),))

    @property
    def count(self) -> int:
        """How many issues were found: those listed plus those :attr:`left_out`."""
        return len(self.issues) + sum(self.left_out.values())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.issues, self.left_out))

    def __str__(self) -> str:
        count = self.count
        head = f"{count} validation issue{'s' if count != 1 else ''}:"
        lines = [head, *(str(issue) for issue in self.issues)]
        if self.left_out:
            more = count - len(self.issues)
            codes = ", ".join(self.left_out)
            lines.append(f"... and {more} more not listed [{codes}]")
        return "\n  ".join(lines)

    def errors(self, *, include_input: bool = False) -> list[IssueDict]:
        """Return the issues as pydantic-style dicts (``loc``, ``type``, ``msg``, ``path``).

        Args:
            include_input: also give each issue's value under ``input`` (as
                pydantic does), for the issues that keep one
                (:attr:`Issue.has_input`).  Values may be personal data: ask
                for them only where they may be shown.
        """
        found: list[IssueDict] = []
        for issue in self.issues:
            entry: IssueDict = {
                "loc": issue.loc,
                "type": issue.code,
                "msg": issue.message,
                "path": issue.path,
            }
            if include_input and issue.has_input:
                entry["input"] = issue.input
            found.append(entry)
        return found

    @property
    def codes(self) -> frozenset[str]:
        """The set of codes among the issues (handy in tests and filters)."""
        return frozenset(issue.code for issue in self.issues)


def _rebuild_error(
    cls: type[ValidationError], issues: tuple[Issue, ...], left_out: Mapping[str, int]
) -> ValidationError:
    """Unpickle a :class:`ValidationError` (or subclass) with its counts of issues left out."""
    return cls(issues, left_out=left_out)


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
