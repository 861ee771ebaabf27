"""Reading a corpus of documents, and its check results as plain rows.

:func:`read_documents` reads documents the way ``iptkit check`` does, with
the readers of :mod:`iptkit._sources` (the same file discovery, gzip-compressed
files included, the same JSON Lines reader, the same size cap per document,
the same splitting of a JSON file that holds an array of documents).  It
streams: one document is held at a time, so memory stays flat however large
the corpus.

:func:`findings_rows` turns the results into plain rows, the same problems
``iptkit check`` reports: the validation issues of documents that failed to
load, and the findings of :func:`iptkit.check` for those that loaded.

This module is part of the io wing: no model module may import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from os import PathLike
from typing import Any, Generic, TypeVar, overload

import attrs

from iptkit._checks import check
from iptkit._course import TreatmentCourse
from iptkit._errors import IptkitError, Issue, ValidationError
from iptkit._group import GroupCourse
from iptkit._io._codec import load, parse_json
from iptkit._sources import (
    MAX_DOCUMENT_BYTES,
    TOO_LARGE_CODE,
    Source,
    documents_in,
    expand_paths,
    read_units,
)

__all__ = ["MAX_DOCUMENT_BYTES", "DocumentResult", "findings_rows", "read_documents"]

T = TypeVar("T")

#: A path, or several: what :func:`read_documents` takes.  Signatures say ``Any``
#: (``os.PathLike`` cannot be linked in the offline docs build); this is checked.
_PATHS = (str, PathLike)

#: The value of one cell of a findings row.
Cell = str | int | None


@attrs.frozen
class DocumentResult(Generic[T]):
    """One document read by :func:`read_documents`: the object, or why it could not be loaded.

    Exactly one of ``value`` and ``error`` is set.

    Attributes:
        source: the file it came from, as named when reading (``"<stdin>"``
            for standard input).
        line: its line number in a JSON Lines file; ``None`` for a whole file.
        value: the loaded object, or ``None`` when it failed to load.
        error: every issue that kept it from loading, or ``None``.
        index: its position in a JSON file that holds an array of documents;
            ``None`` otherwise.
    """

    source: str
    line: int | None
    value: T | None
    error: ValidationError | None
    index: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the document loaded."""
        return self.error is None


def _path_list(path: Any) -> list[str]:
    """The paths as ``iptkit check`` takes them: text (a path object's own text)."""
    if isinstance(path, _PATHS):
        return [str(path)]
    try:
        items = list(path)
    except TypeError:
        items = [path]
    if not all(isinstance(item, _PATHS) for item in items):
        raise IptkitError("read_documents() takes a path (str or path object) or a list of paths.")
    return [str(item) for item in items]


@overload
def read_documents(
    path: Any, *, max_document_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[DocumentResult[TreatmentCourse]]: ...
@overload
def read_documents(
    path: Any, cls: type[T], *, max_document_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[DocumentResult[T]]: ...
def read_documents(
    path: Any,
    cls: type[Any] = TreatmentCourse,
    *,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[DocumentResult[Any]]:
    """Read and load every document of a corpus, one at a time.

    Args:
        path: a file, a directory, ``"-"`` for standard input, or a list of
            them.  Directories are searched as ``iptkit check`` searches them
            (``*.json``, ``*.jsonl`` and ``*.ndjson``, and each of them
            with ``.gz`` added, in sorted order).  A ``.jsonl`` or
            ``.ndjson`` file holds one document per line; a ``.json`` file
            holds one document, or an array of documents.  Files ending in
            ``.gz`` are decompressed as they are read.
        cls: the document class to load (a treatment course by default).
        max_document_bytes: a document larger than this (a line, a file, or
            a whole array file; decompressed, for a compressed file) is not
            read; its result has the error ``document_too_large``.

    Yields:
        A :class:`DocumentResult` per document, in reading order.

    Raises:
        IptkitError: a path does not exist or an input cannot be read (the
            documents read before it have been yielded).
    """
    sources = expand_paths(_path_list(path))

    def on_error(_: Source, message: str) -> None:
        raise IptkitError(message)

    def on_skip(_: Source, __: str) -> None:
        """Entries that are not regular files are left out, as ``iptkit check`` leaves them."""

    for source in sources:
        for _, line, raw in read_units([source], on_error, on_skip, max_document_bytes):
            yield from _results(cls, source.name, line, raw, max_document_bytes)


def _too_large(limit: int) -> ValidationError:
    message = (
        f"This document is larger than the limit of {limit:,} bytes "
        "(see max_document_bytes); it was not read."
    )
    return ValidationError([Issue("$", TOO_LARGE_CODE, message)])


def _results(
    cls: type[Any], name: str, line: int | None, raw: Any, limit: int
) -> Iterator[DocumentResult[Any]]:
    if not isinstance(raw, bytes):  # a document above the size cap
        yield DocumentResult(name, line, None, _too_large(limit))
        return
    try:
        data = parse_json(raw)
    except ValidationError as exc:
        yield DocumentResult(name, line, None, exc)
        return
    del raw
    for index, item in documents_in(data, line):
        yield _loaded(cls, name, line, item, index)


def _loaded(
    cls: type[Any], name: str, line: int | None, data: Any, index: int | None
) -> DocumentResult[Any]:
    try:
        return DocumentResult(name, line, load(cls, data), None, index)
    except ValidationError as exc:
        return DocumentResult(name, line, None, exc, index)


def findings_rows(
    results_or_courses: Iterable[DocumentResult[Any] | TreatmentCourse | GroupCourse],
) -> Iterator[dict[str, Cell]]:
    """The problems of each document as plain rows, the ones ``iptkit check`` reports.

    Each row is a dict of JSON scalars with the keys ``patient_id``,
    ``source``, ``line``, ``severity``, ``code``, ``path`` and ``message``.

    * A loaded course (a :class:`DocumentResult` with a value, or a course
      itself) gives one row per finding of :func:`iptkit.check`, with the
      course's ``patient_id``.
    * A document that failed to load gives one row per issue, at severity
      ``error``; nothing of the document is in it (``patient_id`` is
      ``None``): only the path, code and message of each issue.

    ``source`` and ``line`` are those of the :class:`DocumentResult`, ``None``
    for a course given directly.  Documents of other kinds have no findings.

    >>> import datetime as dt
    >>> from iptkit import TreatmentCourse
    >>> course = TreatmentCourse(patient_id="P-001", started_on=dt.date(2025, 1, 6))
    >>> list(findings_rows([course]))
    []
    """
    for item in results_or_courses:
        if isinstance(item, DocumentResult):
            source, line, value, error = item.source, item.line, item.value, item.error
        else:
            source, line, value, error = None, None, item, None
        if error is not None:
            for issue in error.issues:
                yield _row(None, source, line, "error", issue.code, issue.path, issue.message)
            continue
        if not isinstance(value, TreatmentCourse | GroupCourse):
            continue
        patient_id = getattr(value, "patient_id", None)
        for finding in check(value):
            yield _row(
                patient_id,
                source,
                line,
                finding.severity.value,
                finding.code,
                finding.path,
                finding.message,
            )


def _row(
    patient_id: str | None,
    source: str | None,
    line: int | None,
    severity: str,
    code: str,
    path: str,
    message: str,
) -> dict[str, Cell]:
    return {
        "patient_id": patient_id,
        "source": source,
        "line": line,
        "severity": severity,
        "code": code,
        "path": path,
        "message": message,
    }
