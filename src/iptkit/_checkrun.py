"""Checking documents in chunks: the work of ``iptkit check`` and :mod:`iptkit.dask`.

Raw documents (from :mod:`iptkit._sources`) are cut into chunks
(:func:`chunked`); :func:`check_chunk` parses, loads and checks each
document of a chunk and gives back plain values only, so it can run in a
worker process, here or on a Dask worker.  :func:`problems` turns those
values into the :class:`Problem` rows every report writes, and
:func:`problem_fields` into the fields of a row as JSON.

It also finds the parts of the library a check needs by name (the document
classes by their kind, the built-in protocols, the installed check plugins),
for the command line and the Dask workers alike.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from iptkit._checks import check, load_check_plugins
from iptkit._errors import Issue, ValidationError
from iptkit._io._codec import load, loads_plainly, parse_json
from iptkit._model import document_kind, is_model
from iptkit._sources import MAX_DOCUMENT_BYTES, TOO_LARGE_CODE, Oversized, Unit, documents_in

__all__ = [
    "CHECKED_DOCUMENTS",
    "DEFAULT_DOCUMENT",
    "MAX_PROBLEMS",
    "CheckOptions",
    "FindingRow",
    "LeftOut",
    "Outcome",
    "Problem",
    "Row",
    "check_chunk",
    "chunked",
    "document_type",
    "document_types",
    "findings",
    "json_preview",
    "load_plugins",
    "problem_fields",
    "problems",
    "protocol",
    "protocol_names",
]

#: The document kind ``iptkit check`` reads by default.
DEFAULT_DOCUMENT = "course"
#: The document kinds that have findings (:func:`iptkit.check` takes them).
CHECKED_DOCUMENTS = frozenset({DEFAULT_DOCUMENT, "group"})
#: Problems listed per document unless told otherwise.
MAX_PROBLEMS = 100
#: Code of the row that says how many problems of a document were not listed.
LEFT_OUT_CODE = "problems_left_out"
#: Values shown on request are cut to this many characters.
VALUE_WIDTH = 60
#: Documents are cut into chunks of at most this many documents ...
CHUNK_DOCUMENTS = 256
#: ... or this many bytes, whichever comes first.
CHUNK_BYTES = 1 << 20

#: One finding as plain values: ``(severity, code, path, message)``.
FindingRow = tuple[str, str, str, str]
#: One problem of a document: ``(path, code, severity, message, value or None)``.
Row = tuple[str, str, str, str, str | None]
#: Problems found but not listed: ``(code, severity, count)`` per code.
LeftOut = tuple[tuple[str, str, int], ...]
#: The outcome for one document: ``(source index, line, index in an array or None,
#: patient id or None, valid, problems, left out)``.
Outcome = tuple[int, int | None, int | None, str | None, bool, tuple[Row, ...], LeftOut]
#: What one document gives, before its place is added: ``(patient id, valid, problems, left out)``.
_Checked = tuple[str | None, bool, tuple[Row, ...], LeftOut]


# --------------------------------------------------------------------------
# The parts of the library a check needs, found by name
# --------------------------------------------------------------------------


@functools.cache
def document_types() -> dict[str, type]:
    """Return every public top-level document class by its document kind.

    >>> document_types()["inventory"].__name__
    'InterpersonalInventory'
    """
    import iptkit

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
    protocol document.
    """
    if name is None:
        return None
    from iptkit._io._codec import loads
    from iptkit._protocol import Protocol
    from iptkit.protocols import BUILTIN_PROTOCOLS

    if name in BUILTIN_PROTOCOLS:
        return BUILTIN_PROTOCOLS[name]
    return loads(Protocol, name)


def load_plugins() -> None:
    """Load the checks of every installed plugin (once per process)."""
    load_check_plugins()


def findings(document: Any, protocol: Any = None) -> list[FindingRow]:
    """Return the findings of a loaded document as plain tuples.

    Treatment courses and group courses have findings (the kinds in
    :data:`CHECKED_DOCUMENTS`); other documents have none.
    """
    if document_kind(type(document)) not in CHECKED_DOCUMENTS:
        return []
    return [
        (f.severity.value, f.code, f.path, f.message) for f in check(document, protocol=protocol)
    ]


# --------------------------------------------------------------------------
# Checking one chunk of documents (runs in worker processes)
# --------------------------------------------------------------------------


class CheckOptions(NamedTuple):
    """What every worker needs to know to check a document (small and picklable)."""

    document: str
    protocol: str | None = None
    show_values: bool = False
    #: Problems listed per document; 0 lists them all.
    max_problems: int = MAX_PROBLEMS
    #: The size cap of one document, named in the row of a document above it.
    max_document_bytes: int = MAX_DOCUMENT_BYTES


def check_chunk(options: CheckOptions, units: Sequence[Unit]) -> list[Outcome]:
    """Parse, load and check each raw document of a chunk.

    Runs in worker processes, so it takes and returns only plain values:
    raw bytes in, compact tuples out; no model object crosses a process
    boundary.  It never raises for a document: a failure iptkit does not
    expect becomes an ``internal_error`` row.

    A whole file whose top level is an array holds one document per element
    (:func:`~iptkit._sources.documents_in`): each gets an outcome of its own,
    with its index.

    Args:
        options: the document kind, protocol, whether to capture values,
            how many problems to list per document and the size cap.
        units: ``(source index, line number, raw JSON bytes)`` per document,
            or an :class:`~iptkit._sources.Oversized` in place of the bytes
            of a document above the size cap (it gets one
            ``document_too_large`` row).

    Returns:
        ``(source index, line number, index in an array, patient id, valid,
        problems, left out)`` per document, in order.  The patient id is
        that of a document that loaded (``None`` for one that did not, or
        that has none); ``left out`` counts, per code and severity, the
        problems found beyond ``options.max_problems``.

    >>> raw = b'{"schema_version": 1, "relationships": [{"label": "P1"}]}'
    >>> [(o[4], [r[:3] for r in o[5]], o[6]) for o in check_chunk(
    ...     CheckOptions("inventory"), [(0, 1, raw)])]  # doctest: +NORMALIZE_WHITESPACE
    [(False, [('$.relationships[0].role', 'missing_field', 'error'),
              ('$.relationships[0].closeness', 'missing_field', 'error')], ())]
    >>> [(o[4], [r[:3] for r in o[5]]) for o in check_chunk(
    ...     CheckOptions("inventory"), [(0, 2, Oversized(10**9))])]
    [(False, [('$', 'document_too_large', 'error')])]
    >>> [o[2:5] for o in check_chunk(CheckOptions("course"), [(0, None, b'[{"a": 1}, 2]')])]
    [(0, None, False), (1, None, False)]
    """
    load_plugins()  # once per process: a worker runs the plugins' checks too
    cls = document_type(options.document)
    found = protocol(options.protocol)
    outcomes: list[Outcome] = []
    for source, line, raw in units:
        if isinstance(raw, Oversized):
            outcomes.append((source, line, None, None, *_too_large(options)))
        else:
            checked = _check_raw(cls, found, options, line, raw)
            outcomes.extend((source, line, index, *outcome) for index, outcome in checked)
    return outcomes


def _too_large(options: CheckOptions) -> tuple[bool, tuple[Row, ...], LeftOut]:
    """Return the outcome of a document above the size cap: one row naming the cap."""
    return False, (too_large_row(options.max_document_bytes),), ()


def too_large_row(limit: int) -> Row:
    """Return the row of a document larger than ``limit`` bytes.

    The message names the cap, a setting, and nothing of the document.

    >>> too_large_row(1000)[:3]
    ('$', 'document_too_large', 'error')
    >>> print(too_large_row(1000)[3])  # doctest: +NORMALIZE_WHITESPACE
    This document is larger than the limit of 1,000 bytes (see --max-document-bytes);
    it was not read.
    """
    message = (
        f"This document is larger than the limit of {limit:,} bytes "
        "(see --max-document-bytes); it was not read."
    )
    return ("$", TOO_LARGE_CODE, "error", message, None)


def _check_raw(
    cls: type, protocol: Any, options: CheckOptions, line: int | None, raw: bytes
) -> list[tuple[int | None, _Checked]]:
    """Check the documents of one raw unit: one, or each element of an array file."""
    limit = options.max_problems
    try:
        if not options.show_values:
            # The compiled path of the fast extra, when it reads the document plainly.
            obj = loads_plainly(cls, raw)
            if obj is not None:
                return [(None, _check_loaded(obj, protocol, options, _no_value))]
        try:
            data = parse_json(raw)
        except ValidationError as exc:
            preview = preview_raw(raw) if options.show_values else None
            return [(None, (None, False, *issue_rows(exc, lambda _: preview, limit)))]
        return [
            (index, _check_data(cls, protocol, options, item))
            for index, item in documents_in(data, line)
        ]
    except Exception as exc:  # MemoryError on a huge line, a defect in a preview, ...
        return [(None, (None, False, (internal_error("read", exc),), ()))]


def _check_data(cls: type, protocol: Any, options: CheckOptions, data: Any) -> _Checked:
    limit = options.max_problems
    find_value = value_finder(data, options.show_values)
    try:
        # Issues past the limit are only counted, so memory does not follow them.
        obj: Any = load(cls, data, max_issues=limit if limit > 0 else None)
    except ValidationError as exc:
        return None, False, *issue_rows(exc, find_value, limit)
    except Exception as exc:  # a defect elsewhere must not stop a long run
        return None, False, (internal_error("load", exc),), ()
    return _check_loaded(obj, protocol, options, find_value)


def _no_value(_: str) -> None:
    return None


def _check_loaded(
    obj: Any, protocol: Any, options: CheckOptions, find_value: Callable[[str], str | None]
) -> _Checked:
    """The outcome of a document that loaded: its patient id and its findings."""
    limit = options.max_problems
    patient_id = getattr(obj, "patient_id", None)
    patient_id = patient_id if isinstance(patient_id, str) else None
    try:
        found = findings(obj, protocol)
    except Exception as exc:
        return patient_id, True, (internal_error("check", exc),), ()
    return patient_id, True, *_finding_rows(found, find_value, limit)


def issue_rows(
    error: ValidationError, value: Callable[[str], str | None], limit: int
) -> tuple[tuple[Row, ...], LeftOut]:
    """Return the first ``limit`` issues as rows (0: all) and count the rest per code.

    The rest are those beyond ``limit`` and those the error only counted
    (:attr:`ValidationError.left_out`).
    """
    issues = error.issues
    listed = issues if limit <= 0 or len(issues) <= limit else issues[:limit]
    rows = tuple((i.path, i.code, "error", i.message, value(i.path)) for i in listed)
    left = collections.Counter(error.left_out)
    left.update(issue.code for issue in itertools.islice(issues, len(listed), None))
    return rows, tuple((code, "error", count) for code, count in left.items())


def _finding_rows(
    found: Sequence[FindingRow], value: Callable[[str], str | None], limit: int
) -> tuple[tuple[Row, ...], LeftOut]:
    """Return the first ``limit`` findings as rows (0: all) and count the rest per code."""
    listed = found if limit <= 0 or len(found) <= limit else found[:limit]
    rows = tuple(
        (path, code, severity, message, value(path)) for severity, code, path, message in listed
    )
    if len(listed) == len(found):
        return rows, ()
    left = collections.Counter((code, severity) for severity, code, _, _ in found[limit:])
    return rows, tuple((code, severity, count) for (code, severity), count in left.items())


def internal_error(step: str, exc: BaseException) -> Row:
    """Return the row of a failure iptkit did not expect at ``step`` (load, check, ...)."""
    # Only the exception's type: its text could quote the document.
    message = f"iptkit failed to {step} this document ({type(exc).__name__}); please report it."
    return ("$", "internal_error", "error", message, None)


def chunked(units: Iterable[Unit]) -> Iterator[tuple[list[Unit], int]]:
    """Group documents into chunks for the workers; yield each with its size in bytes.

    The size counts the input each document took, an
    :class:`~iptkit._sources.Oversized` one included (it is what progress
    counts); a chunk is cut by the bytes it holds, which for such a
    document are none.
    """
    chunk: list[Unit] = []
    size = held = 0
    for unit in units:
        chunk.append(unit)
        raw = unit[2]
        if isinstance(raw, Oversized):
            size += raw.size
        else:
            size += len(raw)
            held += len(raw)
        if len(chunk) >= CHUNK_DOCUMENTS or held >= CHUNK_BYTES:
            yield chunk, size
            chunk, size, held = [], 0, 0
    if chunk:
        yield chunk, size


# --------------------------------------------------------------------------
# Problems as report rows
# --------------------------------------------------------------------------


class Problem(NamedTuple):
    """One reported problem of one document.

    The fields, in order, are those of a report row (``value`` only on request).
    """

    file: str
    line: int | None
    #: The document's position in a JSON file that holds an array (it hides ``tuple.index``).
    index: int | None  # type: ignore[assignment]
    patient_id: str | None
    path: str
    code: str
    severity: str
    message: str
    value: str | None


def problems(outcome: Outcome, file: str, max_problems: int) -> list[Problem]:
    """Return the problems of one document's outcome, read from ``file``, in report order.

    Problems beyond ``max_problems`` are counted in one more problem, at
    severity ``info``, with the code ``problems_left_out``.
    """
    _, line, index, patient_id, _, rows, left_out = outcome
    found = [Problem(file, line, index, patient_id, *row) for row in rows]
    if left_out:
        count = sum(number for _, _, number in left_out)
        message = (
            f"{count:,} more problem{'' if count == 1 else 's'} of this document "
            f"{'is' if count == 1 else 'are'} not listed (at most {max_problems:,} per document; "
            "see --max-problems)."
        )
        found.append(
            Problem(file, line, index, patient_id, "$", LEFT_OUT_CODE, "info", message, None)
        )
    return found


def problem_fields(problem: Problem, show_values: bool) -> dict[str, Any]:
    """Return a problem as the fields of a report row (``value`` only when asked for)."""
    fields = problem._asdict()
    if not show_values:
        del fields["value"]
    return fields


# --------------------------------------------------------------------------
# Values shown on request
# --------------------------------------------------------------------------


def value_finder(data: Any, show_values: bool) -> Callable[[str], str | None]:
    if not show_values:
        return lambda _: None
    return lambda path: _preview_value(data, path)


def _preview_value(data: Any, path: str) -> str | None:
    """Return the value at ``path`` in a decoded document as short JSON text."""
    value: Any = data
    for key in Issue(path, "", "").loc:
        if isinstance(value, dict) and isinstance(key, str) and key in value:
            value = value[key]
            continue
        if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
            continue
        return None
    return json_preview(value)


def json_preview(value: Any, width: int = VALUE_WIDTH) -> str:
    """Return ``value`` as JSON text cut to ``width`` characters.

    The text is what ``json.dumps(value, ensure_ascii=False)`` starts with,
    but only as much of the value is visited as the preview shows: a huge
    list, a long text or a deeply nested value costs no more than a small one,
    and nesting never recurses.

    >>> json_preview({"a": [1, 2.5, None, True], "b": "x"})
    '{"a": [1, 2.5, null, true], "b": "x"}'
    >>> json_preview(list(range(10**6)), width=20)
    '[0, 1, 2, 3, 4, 5, \u2026'
    >>> json_preview([[[[[]]]]] * 3, width=12)
    '[[[[[]]]], \u2026'
    """
    room = width + 1  # one character more than shown tells that the text was cut
    parts: list[str] = []
    # Open containers: [items, is an object, no item written yet].
    frames: list[list[Any]] = []
    pending: Any = value
    has_pending = True
    while room > 0:
        if has_pending:
            has_pending = False
            if isinstance(pending, dict):
                text = "{"
                frames.append([iter(pending.items()), True, True])
            elif isinstance(pending, list | tuple):
                text = "["
                frames.append([iter(pending), False, True])
            else:
                text = _json_scalar(pending, room)
        elif frames:
            frame = frames[-1]
            item: Any = next(frame[0], _END)
            if item is _END:
                frames.pop()
                text = "}" if frame[1] else "]"
            else:
                text = "" if frame[2] else ", "
                frame[2] = False
                if frame[1]:
                    key, item = item
                    text += _json_string(str(key), room) + ": "
                pending, has_pending = item, True
        else:
            break
        parts.append(text)
        room -= len(text)
    return truncate("".join(parts), width)


_END = object()


def _json_scalar(value: Any, room: int) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _json_string(value, room)
    if isinstance(value, int):
        try:
            return int.__repr__(value)
        except ValueError:  # more digits than Python converts
            return "\u2026" * room
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (math.inf, -math.inf):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    return _json_string(f"<{type(value).__name__}>", room)


def _json_string(text: str, room: int) -> str:
    # Escaping only lengthens text, so ``room`` characters fill the preview.
    return json.dumps(text[:room], ensure_ascii=False)


def preview_raw(raw: bytes) -> str:
    """Return the start of a text that is not JSON, unquoted, with control characters escaped."""
    text = raw[: VALUE_WIDTH * 4].decode("utf-8", "replace")
    return truncate("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


def truncate(text: str, width: int = VALUE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"
