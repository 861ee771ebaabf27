"""The ``iptkit`` command line (also ``python -m iptkit``).

Subcommands:

* ``iptkit check PATH...`` reads treatment-course documents from JSON files,
  JSON Lines files, directories or standard input, and reports every
  validation issue and every protocol finding, streaming: memory stays flat
  whatever the size of the input, and whatever one line or file holds (a
  document above ``--max-document-bytes`` is reported, not read).
* ``iptkit schedule CONTRACT.json`` prints the planned sessions of a contract.
* ``iptkit schema`` prints the JSON Schema of a document.
* ``iptkit synth`` writes a synthetic corpus of course documents.
* ``iptkit export --to fhir PATH...`` reads course documents as ``check``
  does and writes one FHIR R4 Bundle per valid course as JSON Lines, streaming,
  with the same ``--jobs`` and progress; documents that are not valid are
  reported on standard error.  ``--to parquet`` and ``--to csv`` write one of
  the tables of :mod:`iptkit.tables` (``--table``) the same way.

Exit codes: 0 when nothing was found at error severity (``export``: every
document was exported), 1 when something was, 2 for a usage or input/output
error (an input that cannot be read, a report or an export that cannot be
written, a worker process that died), 128 + N when stopped by
signal N (130 for SIGINT, 143 for SIGTERM).  Every failure ends with one line
on standard error, never a traceback.

>>> main(["--version"])  # doctest: +ELLIPSIS
iptkit ...
0
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import importlib.metadata
import io
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, NoReturn, Protocol, TextIO, TypeVar

from iptkit._checkrun import (
    MAX_PROBLEMS,
    CheckOptions,
    LeftOut,
    Outcome,
    Problem,
    Row,
    check_chunk,
    chunked,
    internal_error,
    issue_rows,
    problem_fields,
    problems,
    too_large_row,
)
from iptkit._cli import _documents as documents
from iptkit._errors import IptkitError, ValidationError
from iptkit._io._codec import load, loads, parse_json
from iptkit._sources import (
    BOM,
    MAX_DOCUMENT_BYTES,
    TOO_LARGE_CODE,
    InputError,
    Oversized,
    Source,
    Unit,
    expand_paths,
    open_regular,
    read_units,
    stdin_bytes,
)
from iptkit._sources import reason as _reason

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "build_parser",
    "escape_text",
    "export_chunk",
    "main",
]

#: Options a worker needs (small and picklable), and the outcome it gives per document.
OptionsT = TypeVar("OptionsT")
ResultT = TypeVar("ResultT")

#: Nothing was found at error severity.
EXIT_OK = 0
#: At least one document has a problem at error severity.
EXIT_PROBLEMS = 1
#: The command line was wrong, an input could not be read, the report could
#: not be written, or a worker process died.
EXIT_USAGE = 2

#: Severities in the order reports list them.
SEVERITIES = ("error", "warning", "info")
#: Chunks in flight per worker process: enough to keep each busy, few enough to bound memory.
CHUNKS_PER_JOB = 3
#: ``--max-document-bytes`` above this is a usage error (1 TiB, or less where sizes are 32-bit).
DOCUMENT_BYTES_LIMIT = min(1 << 40, sys.maxsize // 4)
#: ``--jobs`` above this is a usage error; up to it, it is capped at the CPUs available.
JOBS_LIMIT = 4096
#: Seconds between two looks of a worker process at its parent.
WATCH_INTERVAL = 0.2


class UsageError(Exception):
    """The command line cannot be carried out (exit code 2)."""


class OutputError(Exception):
    """Standard output cannot be written (exit code 2)."""


class WorkerError(Exception):
    """A worker process died before it returned its results (exit code 2)."""


class Stopped(BaseException):
    """A signal asked the program to stop (exit code 128 + the signal number).

    A ``BaseException``, like ``KeyboardInterrupt``: code that catches every
    ``Exception`` to keep a long run going must not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# --------------------------------------------------------------------------
# Exporting one chunk of documents (runs in worker processes)
# --------------------------------------------------------------------------

#: Formats ``iptkit export --to`` writes: FHIR bundles as JSON Lines, or a table.
EXPORT_FORMATS = ("fhir", "parquet", "csv")
#: Formats that write one of the tables of :mod:`iptkit.tables` (``--table``).
TABLE_FORMATS = ("parquet", "csv")
#: Tables ``iptkit export --table`` writes, named as in :mod:`iptkit.tables`.
EXPORT_TABLES = ("courses", "sessions", "scores", "outcomes", "findings")


class ExportOptions(NamedTuple):
    """What every worker needs to know to export a document (small and picklable)."""

    to: str = "fhir"
    #: Whether personal free text goes into the output.
    include_text: bool = False
    #: Problems listed per document; 0 lists them all.
    max_problems: int = MAX_PROBLEMS
    #: The size cap of one document, named in the row of a document above it.
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    #: The table written for ``to`` in :data:`TABLE_FORMATS`.
    table: str = ""


#: What a valid course gives: an output line (``fhir``), or its table rows as dicts.
ExportedValue = str | list[dict[str, Any]]
#: The outcome of exporting one document:
#: ``(source index, line, output line or rows, or None; problems, left out)``.
Exported = tuple[int, int | None, ExportedValue | None, tuple[Row, ...], LeftOut]


def export_chunk(options: ExportOptions, units: Sequence[Unit]) -> list[Exported]:
    """Parse, load and export each raw course document of a chunk.

    Like :func:`check_chunk`, it runs in worker processes, takes and returns
    plain values only, and never raises for a document.  A valid course gives
    its export as one line of JSON text (without the line end); a document
    that is not valid gives its problems instead.

    >>> raw = b'{"schema_version": 2, "patient_id": "AB-1", "started_on": "2026-03-02"}'
    >>> ((source, line, text, rows, left),) = export_chunk(ExportOptions(), [(0, 1, raw)])
    >>> json.loads(text)["resourceType"], rows
    ('Bundle', ())
    >>> [r[:3] for r in export_chunk(ExportOptions(), [(0, 2, b"{}")])[0][3]][:1]
    [('$.schema_version', 'missing_field', 'error')]
    """
    cls = documents.document_type(documents.DEFAULT_DOCUMENT)
    found: list[Exported] = []
    for source, line, raw in units:
        if isinstance(raw, Oversized):
            rows = (too_large_row(options.max_document_bytes),)
            found.append((source, line, None, rows, ()))
        else:
            found.append((source, line, *_export_one(cls, options, raw)))
    return found


def _export_one(
    cls: type, options: ExportOptions, raw: bytes
) -> tuple[ExportedValue | None, tuple[Row, ...], LeftOut]:
    limit = options.max_problems
    try:
        try:
            data = parse_json(raw)
            course: Any = load(cls, data, max_issues=limit if limit > 0 else None)
        except ValidationError as exc:
            return None, *issue_rows(exc, lambda _: None, limit)
        except Exception as exc:  # a defect elsewhere must not stop a long run
            return None, (internal_error("load", exc),), ()
        try:
            text = _export_rows(course, options) if options.table else _export_text(course, options)
        except Exception as exc:
            return None, (internal_error("export", exc),), ()
        return text, (), ()
    except Exception as exc:  # MemoryError on a huge line, ...
        return None, (internal_error("read", exc),), ()


def _export_rows(course: Any, options: ExportOptions) -> list[dict[str, Any]]:
    """The rows one course gives in the table ``options.table`` (see :mod:`iptkit.tables`)."""
    batches = getattr(_tables(), f"{options.table}_batches")([course])
    return [row for batch in batches for row in batch.to_pylist()]


def _tables() -> Any:
    """The module :mod:`iptkit.tables`, imported when a table is asked for (it needs pyarrow).

    Raises :class:`~iptkit.MissingExtraError` (an ``ImportError``) without pyarrow.
    """
    import iptkit.tables as tables

    return tables


def _export_text(course: Any, options: ExportOptions) -> str:
    """One course in the format asked for, as one line of JSON text.

    Characters that some readers take for a line end or a terminal control
    (C1 controls, line and paragraph separators, bidirectional marks) are
    written as ``\\uXXXX`` escapes, so a line of free text stays one line.
    """
    from iptkit.fhir import to_bundle

    bundle = to_bundle(course, include_text=options.include_text)
    text = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))
    if _UNSAFE_JSON.search(text) is None:
        return text
    return _UNSAFE_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------


def _start_worker(main_pid: int) -> None:
    """Set up a worker process: signals, and an end when the main process ends.

    Ctrl-C is left to the main process, which stops the workers itself.
    SIGTERM and SIGHUP get their default action back (a worker inherits the
    main process's handlers).  If the main process dies without stopping the
    workers (SIGKILL, a crash), each worker notices and exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    exit_with_parent(main_pid)


def exit_with_parent(main_pid: int, *, kernel: bool = True) -> None:
    """Make this process exit when its parent or ``main_pid`` ends.

    On Linux the kernel sends SIGKILL when the parent ends
    (``PR_SET_PDEATHSIG``) unless ``kernel`` is false.  Everywhere, a
    watchdog thread looks every :data:`WATCH_INTERVAL` seconds whether the
    parent changed (the process was handed to another one) or ``main_pid`` is
    gone, and ends the process if so.
    """
    parent = os.getppid()
    if kernel and sys.platform.startswith("linux"):
        _kernel_parent_death_signal()
    if os.getppid() != parent or not _alive(main_pid):
        os._exit(EXIT_USAGE)  # pragma: no cover - os._exit leaves coverage no time to record
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent, main_pid), name="iptkit-watchdog", daemon=True
    )
    watchdog.start()


def _kernel_parent_death_signal() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError, ImportError):  # pragma: no cover - no usable libc prctl
        pass


def _watch_parent(parent: int, main_pid: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL)
        if os.getppid() != parent or not _alive(main_pid):
            os._exit(EXIT_USAGE)  # pragma: no cover - os._exit leaves coverage no time to record


def _alive(pid: int) -> bool:
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) is not a probe on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is not ours to signal
        return True
    return True


def available_cpus() -> int:
    """Return the number of CPUs this process may run on (at least 1)."""
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:  # pragma: no cover - Python 3.13 and later
        return max(1, counter() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: Set when a worker pool could not be shut down cleanly: ``main`` then ends
#: the process at once instead of waiting for the pool's thread at exit.
_pool_stuck = False


def run_chunks(
    options: OptionsT,
    chunks: Iterable[tuple[list[Unit], int]],
    jobs: int,
    work: Callable[[OptionsT, Sequence[Unit]], list[ResultT]] = check_chunk,  # type: ignore[assignment]
) -> Generator[tuple[list[ResultT], int], None, None]:
    """Run ``work`` (by default :func:`check_chunk`) on chunks, here or in ``jobs`` processes.

    ``work`` is a module-level function (worker processes import it by name)
    that takes ``options`` and a chunk and never raises for a document.
    Results come back in input order.  At most ``CHUNKS_PER_JOB`` chunks per
    worker are in flight, so memory stays bounded however long the input is.
    If the run stops early (an error, a signal, the caller closing this
    generator) the workers are killed; a worker that dies raises
    :class:`WorkerError`.
    """
    if jobs <= 1:
        for chunk, size in chunks:
            yield work(options, chunk), size
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(os.getpid(),))
    workers: dict[int, Any] = {}
    finished = False
    try:
        pending: collections.deque[tuple[Future[list[ResultT]], int]] = collections.deque()
        try:
            for chunk, size in chunks:
                pending.append((pool.submit(work, options, chunk), size))
                workers.update(getattr(pool, "_processes", None) or {})
                if len(pending) >= jobs * CHUNKS_PER_JOB:
                    future, done = pending.popleft()
                    yield future.result(), done
            while pending:
                future, done = pending.popleft()
                yield future.result(), done
        except BrokenProcessPool:
            raise WorkerError(_worker_death(workers.values())) from None
        except OSError as exc:  # fork failed: too many processes, not enough memory
            raise WorkerError(f"cannot start a worker process: {_reason(exc)}") from None
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _kill_pool(pool, workers.values())


def _worker_death(workers: Iterable[Any]) -> str:
    """Say how a worker died, as far as its exit status tells."""
    workers = list(workers)
    # The pool may report the break before the dead worker has been reaped.
    for process in workers:
        if _exit_code(process) is None:
            with contextlib.suppress(Exception):
                process.join(0.2)
    # When one worker dies the pool sends SIGTERM to the others: name another signal first.
    signals = sorted(
        (-code for code in (_exit_code(p) for p in workers) if code is not None and code < 0),
        key=lambda number: number == signal.SIGTERM,
    )
    if not signals:
        return "a worker process stopped unexpectedly; the report is incomplete"
    try:
        name = signal.Signals(signals[0]).name
    except ValueError:  # pragma: no cover - a signal Python has no name for
        name = f"signal {signals[0]}"
    hint = " (perhaps it ran out of memory)" if name == "SIGKILL" else ""
    return f"a worker process was killed by {name}{hint}; the report is incomplete"


def _exit_code(process: Any) -> int | None:
    try:
        code = process.exitcode
    except Exception:  # pragma: no cover - a process object in an odd state
        return None
    return code if isinstance(code, int) else None


def _kill_pool(pool: ProcessPoolExecutor, known: Iterable[Any]) -> None:
    """Kill the workers of ``pool`` and let its thread end, without waiting long."""
    global _pool_stuck
    processes = {*known, *(getattr(pool, "_processes", None) or {}).values()}
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(timeout=5.0)
        if manager.is_alive():  # pragma: no cover - a worker killed mid-message
            _pool_stuck = True


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------

#: Characters that must not reach a report raw: C0 and C1 controls and DEL
#: (newlines could forge a report line, ESC and CSI drive the terminal), line
#: and paragraph separators, and the marks that reorder text on screen.
_UNSAFE_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_TEXT = re.compile(f"[\x00-\x1f{_UNSAFE_BEYOND_C0}]")
#: JSON text already escapes C0 controls; the others are escaped as ``\\uXXXX``.
_UNSAFE_JSON = re.compile(f"[{_UNSAFE_BEYOND_C0}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_text(text: str) -> str:
    r"""Return ``text`` with every control character written as an escape.

    Newlines, carriage returns, tabs, ESC, other C0 and C1 controls, DEL,
    line and paragraph separators and bidirectional marks are written as
    ``\n``, ``\r``, ``\t``, ``\xHH`` or ``\uHHHH``, so a value or a key can
    neither start a report line of its own nor reach the terminal raw.

    >>> escape_text("$['a\nb']: \x1b[31mred")
    "$['a\\nb']: \\x1b[31mred"
    """
    if _UNSAFE_TEXT.search(text) is None:
        return text
    return _UNSAFE_TEXT.sub(_escape_match, text)


def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class Writer(Protocol):
    """Where a report goes."""

    def write(self, text: str, /) -> object: ...


class Output:
    """Standard output for reports: any failure to write becomes :class:`OutputError`."""

    __slots__ = ("stream",)

    def __init__(self, stream: TextIO | None) -> None:
        if stream is None:
            raise OutputError("standard output is closed")
        self.stream = stream

    def write(self, text: str) -> None:
        """Write ``text``."""
        try:
            self.stream.write(text)
        except (OSError, ValueError) as exc:
            raise OutputError(_output_failure(exc)) from None

    def flush(self) -> None:
        """Write out what is buffered."""
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise OutputError(_output_failure(exc)) from None


def _output_failure(exc: Exception) -> str:
    if isinstance(exc, BrokenPipeError):
        return "the program reading it has stopped (broken pipe)"
    if isinstance(exc, OSError):
        return _reason(exc)
    return "standard output is closed"


class Tally:
    """Counts kept while a run streams by."""

    def __init__(self) -> None:
        self.files = 0
        self.documents = 0
        self.valid = 0
        self.with_errors = 0
        self.io_errors = 0
        self.skipped = 0
        self.left_out = 0
        self.codes: collections.Counter[tuple[str, str]] = collections.Counter()

    def severities(self) -> dict[str, int]:
        """Return the number of problems per severity (every known severity listed)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for (_, severity), count in self.codes.items():
            counts[severity] = counts.get(severity, 0) + count
        return counts

    def code_rows(self) -> list[tuple[str, str, int]]:
        """Return ``(code, severity, count)``: most severe first, then most frequent."""
        rank = {severity: index for index, severity in enumerate(SEVERITIES)}
        return sorted(
            ((code, severity, count) for (code, severity), count in self.codes.items()),
            key=lambda row: (rank.get(row[1], len(rank)), -row[2], row[0]),
        )

    def as_json(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict."""
        return {
            "files": self.files,
            "documents": {
                "read": self.documents,
                "valid": self.valid,
                "with_errors": self.with_errors,
            },
            "severities": self.severities(),
            "codes": [
                {"code": code, "severity": severity, "count": count}
                for code, severity, count in self.code_rows()
            ],
            "left_out": self.left_out,
            "skipped": self.skipped,
            "io_errors": self.io_errors,
        }


class Reporter:
    """Writes problems as they come and a summary at the end."""

    #: Whether the summary goes to standard error (never among the rows of standard output).
    SUMMARY_ON_STDERR = False

    def __init__(self, out: Writer, show_values: bool, max_problems: int = MAX_PROBLEMS) -> None:
        self.out = out
        self.show_values = show_values
        self.max_problems = max_problems

    def start(self) -> None:
        """Write what comes before the first problem."""

    def problem(self, problem: Problem) -> None:
        """Write one problem."""
        raise NotImplementedError

    def finish(self, tally: Tally) -> None:
        """Write the summary."""
        raise NotImplementedError

    def _fields(self, problem: Problem) -> dict[str, Any]:
        return problem_fields(problem, self.show_values)


def _dumps(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if _UNSAFE_JSON.search(text) is None:
        return text
    return _UNSAFE_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class TextReporter(Reporter):
    """One line per problem, then tables of counts."""

    def problem(self, problem: Problem) -> None:
        text = f"{_where(problem)}: {problem.severity} [{problem.code}] {problem.path}: "
        text += problem.message
        if self.show_values and problem.value is not None:
            text += f"  value: {problem.value}"
        self.out.write(escape_text(text) + "\n")

    def finish(self, tally: Tally) -> None:
        write = self.out.write
        codes = tally.code_rows()
        if codes:
            width = max(len("code"), *(len(code) for code, _, _ in codes))
            write(f"\n{'code':<{width}}  {'severity':<8}  {'count':>7}\n")
            for code, severity, count in codes:
                write(f"{code:<{width}}  {severity:<8}  {count:>7,}\n")
            write("\n")
        severities = tally.severities()
        parts = [_plural(count, severity) for severity, count in severities.items()]
        write("Problems: " + ", ".join(parts) + "\n")
        if tally.left_out:
            write(
                f"Problems not listed: {tally.left_out:,} (at most {self.max_problems:,} "
                "per document; see --max-problems)\n"
            )
        write(
            f"Documents: {tally.documents:,} read, {tally.valid:,} valid, "
            f"{tally.with_errors:,} with errors ({_plural(tally.files, 'file')})\n"
        )
        if tally.skipped:
            write(f"Entries skipped (not regular files): {tally.skipped:,}\n")
        if tally.io_errors:
            write(f"Inputs that could not be read: {tally.io_errors:,}\n")


def _where(problem: Problem) -> str:
    """Where a problem is: ``file``, ``file:line`` or ``file[index]``, and whose course.

    >>> _where(Problem("a.jsonl", 3, None, "P-1", "$", "c", "error", "m", None))
    'a.jsonl:3 (patient P-1)'
    >>> _where(Problem("a.json", None, 2, None, "$", "c", "error", "m", None))
    'a.json[2]'
    """
    where = problem.file
    if problem.line is not None:
        where += f":{problem.line}"
    if problem.index is not None:
        where += f"[{problem.index}]"
    if problem.patient_id is not None:
        where += f" (patient {problem.patient_id})"
    return where


def _plural(count: int, noun: str) -> str:
    if noun == "info":
        return f"{count:,} info"
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class JsonReporter(Reporter):
    """One JSON object ``{"rows": [...], "summary": {...}}``, written as it streams."""

    _first = True

    def start(self) -> None:
        self.out.write('{"rows": [')

    def problem(self, problem: Problem) -> None:
        self.out.write(("\n" if self._first else ",\n") + _dumps(self._fields(problem)))
        self._first = False

    def finish(self, tally: Tally) -> None:
        self.out.write(("" if self._first else "\n") + '],\n"summary": ')
        self.out.write(_dumps(tally.as_json()) + "}\n")


class JsonLinesReporter(Reporter):
    """One JSON object per problem (``"type": "problem"``); the summary goes to standard error.

    The summary is one JSON object (``"type": "summary"``) on one line of
    standard error, never among the rows.
    """

    SUMMARY_ON_STDERR = True

    def problem(self, problem: Problem) -> None:
        self.out.write(_dumps({"type": "problem", **self._fields(problem)}) + "\n")

    def finish(self, tally: Tally) -> None:
        say(summary_line(tally))


def summary_line(tally: Tally) -> str:
    """Return the summary as one line of JSON text, ``{"type": "summary", ...}``."""
    return _dumps({"type": "summary", **tally.as_json()})


class CsvReporter(Reporter):
    """A header, then one CSV row per problem; the summary goes to standard error.

    The columns are the keys of a ``jsonl`` problem row but ``type``
    (``value`` only with ``--show-values``).  Every cell is escaped as in the text report, then
    quoted by the ``csv`` module as needed, so no key or value can start a
    row of its own; the summary never mixes with the rows.
    """

    SUMMARY_ON_STDERR = True

    def start(self) -> None:
        self._rows = csv.writer(self.out, lineterminator="\n")
        header = [name for name in Problem._fields if name != "value"]
        self._rows.writerow([*header, "value"] if self.show_values else header)

    def problem(self, problem: Problem) -> None:
        cells = self._fields(problem).values()
        self._rows.writerow(["" if cell is None else escape_text(str(cell)) for cell in cells])

    def finish(self, tally: Tally) -> None:
        TextReporter(_ErrorLines(), self.show_values, self.max_problems).finish(tally)


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "csv": CsvReporter,
    "jsonl": JsonLinesReporter,
}


class Progress:
    """A progress line on standard error, drawn only when it is a terminal."""

    WIDTH = 24
    INTERVAL = 0.1

    def __init__(
        self, stream: TextIO | None, total_bytes: int | None, verb: str = "checked"
    ) -> None:
        self.stream = stream
        self.verb = verb
        self.enabled = stream is not None and _isatty(stream)
        self.total = total_bytes
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, documents: int, done_bytes: int, *, force: bool = False) -> None:
        """Redraw the line (at most ten times a second unless ``force``)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.INTERVAL:
            return
        self.last = now
        rate = documents / max(now - self.started, 1e-9)
        text = f"{self.verb} {documents:,} documents ({rate:,.0f}/s)"
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            filled = math.floor(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"[{bar}] {share:4.0%}  {text}"
        self._draw("\r\x1b[K" + text)
        self.shown = True

    def clear(self) -> None:
        """Erase the line so other output starts on a clean line."""
        if self.shown:
            self._draw("\r\x1b[K")
            self.shown = False

    def _draw(self, text: str) -> None:
        try:
            assert self.stream is not None
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing
            self.enabled = False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def say(text: str) -> None:
    """Write one line on standard error; if that fails, stay quiet (never raise)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        _discard(stream)


def _discard(stream: Any) -> None:
    """Point a failed standard stream at the null device so exit does not fail on it again."""
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    except OSError:  # pragma: no cover - dup2 onto a descriptor we could read
        pass
    finally:
        os.close(null)


# --------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------


class StreamRun:
    """The reading side of a streaming command: inputs, their failures, and progress.

    ``check`` and ``export`` read the same inputs the same way: the ``PATH``
    arguments expanded (:func:`expand_paths`), documents read one at a time
    (:func:`read_units`), cut into chunks (:func:`chunked`) and handed to
    worker processes (:func:`run_chunks`); an input that cannot be read or is
    skipped is said in one line on standard error, in its turn; a progress
    line is drawn on a terminal.  The command does what it needs with each
    chunk's results, counting documents in :attr:`tally`.

    Raises:
        UsageError: a ``PATH`` cannot be used (see :func:`expand_paths`).
    """

    def __init__(self, name: str, paths: Sequence[str], limit: int, *, verb: str) -> None:
        self.name = name
        self.limit = limit
        try:
            self.sources = expand_paths(paths)
        except InputError as exc:
            raise UsageError(str(exc)) from None
        self.names = [source.name for source in self.sources]
        self.tally = Tally()
        readable = [s for s in self.sources if s.problem is None and s.skipped is None]
        self.tally.files = len(readable)
        known_sizes = [s.size for s in readable]
        total = None if None in known_sizes else sum(s.size or 0 for s in readable)
        self.progress = Progress(sys.stderr, total, verb)

    def _failed(self, source: Source, message: str) -> None:
        self.progress.clear()
        self.tally.io_errors += 1
        say(f"{self.name}: error: {message}")

    def _skipped(self, source: Source, reason: str) -> None:
        self.progress.clear()
        self.tally.skipped += 1
        say(f"{self.name}: note: skipping {source.name!r}: {reason}")

    def results(
        self,
        work: Callable[[OptionsT, Sequence[Unit]], list[ResultT]],
        options: OptionsT,
        jobs: int,
    ) -> Generator[list[ResultT], None, None]:
        """Yield the results of ``work`` chunk by chunk, in input order.

        The caller counts the documents of each chunk in :attr:`tally` before
        asking for the next; progress is drawn from that count.  Close the
        generator (``contextlib.closing``) to stop the workers on an early end.
        """
        units = read_units(self.sources, self._failed, self._skipped, self.limit)
        outcomes = run_chunks(options, chunked(units), jobs, work)
        done_bytes = 0
        tally, progress = self.tally, self.progress
        try:
            for results, size in outcomes:
                yield results
                done_bytes += size
                progress.update(tally.documents, done_bytes)
            if tally.documents:
                progress.update(tally.documents, done_bytes, force=True)
        finally:
            outcomes.close()  # on any early end, the workers are stopped here
            progress.clear()


def _command_check(args: argparse.Namespace, out: Output) -> int:
    kind = _document_kind(args.document)
    jobs = _jobs(args.jobs)
    limit = args.max_document_bytes
    protocol = _protocol_option(args.protocol, limit)
    _load_check_plugins()
    run = StreamRun("iptkit check", args.paths, limit, verb="checked")
    options = CheckOptions(kind, protocol, args.show_values, args.max_problems, limit)
    with contextlib.ExitStack() as stack:
        summary = None if args.summary is None else stack.enter_context(_summary_file(args.summary))
        if args.dask is None:
            outcomes = run.results(check_chunk, options, jobs)
        else:
            outcomes = _dask_results(args.dask, run, options)  # connects now
        reporter = REPORTERS[args.format](out, args.show_values, args.max_problems)
        tally, progress, names = run.tally, run.progress, run.names
        reporter.start()
        with contextlib.closing(outcomes) as chunks:
            for results in chunks:
                for outcome in results:
                    tally.documents += 1
                    tally.valid += outcome[4]
                    if outcome[5] and progress.shown:
                        progress.clear()  # rows may go to the same terminal
                    has_error = _report_rows(
                        reporter, tally, outcome, names[outcome[0]], args.max_problems
                    )
                    tally.with_errors += has_error
        if summary is None or not reporter.SUMMARY_ON_STDERR:
            reporter.finish(tally)
        if summary is not None:
            summary.write(summary_line(tally) + "\n")
            summary.flush()
    if tally.io_errors:
        return EXIT_USAGE
    return EXIT_PROBLEMS if tally.with_errors else EXIT_OK


@contextlib.contextmanager
def _summary_file(name: str) -> Iterator[_FileOutput]:
    """The file ``--summary`` names, opened before the run so a bad name fails at once."""
    if name == "-":
        raise UsageError("--summary takes a file name; the summary never goes to standard output")
    try:
        stream = open(name, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {name!r}: {_reason(exc)}") from None
    with stream:
        yield _FileOutput(stream, name)


def _dask_results(
    address: str, run: StreamRun, options: CheckOptions
) -> Generator[list[Outcome], None, None]:
    """Connect to ``address``; return the outcomes of ``run``'s sources, checked on Dask.

    What ``--dask ADDRESS`` reports in place of the results of the
    ``--jobs`` workers: one list of outcomes per source, in order.  A source
    that cannot be read or is skipped is reported as without ``--dask``.
    Close the generator to close the client.

    Raises:
        UsageError: the dask extra is missing, standard input is among the
            sources, or no scheduler answers at ``address``.
    """
    try:
        import iptkit.dask as on_dask  # an extra: imported only when asked for
    except ImportError as exc:  # MissingExtraError names the extra
        raise UsageError(str(exc)) from None
    if any(source.path is None for source in run.sources):
        raise UsageError("standard input (-) cannot be read with --dask")
    try:
        client = on_dask.connect(address)
    except IptkitError as exc:
        raise UsageError(str(exc)) from None
    return _on_cluster(on_dask, client, run, options)


def _on_cluster(
    on_dask: Any, client: Any, run: StreamRun, options: CheckOptions
) -> Generator[list[Outcome], None, None]:
    sources = run.sources
    try:
        readable = [
            (i, s) for i, s in enumerate(sources) if s.problem is None and s.skipped is None
        ]
        bag = on_dask.source_bag(readable, options) if readable else None
        futures = iter(client.compute(bag.to_delayed()) if bag is not None else [])
        for source in sources:
            if source.problem is not None:
                run._failed(source, source.problem)
            elif source.skipped is not None:
                run._skipped(source, source.skipped)
            else:
                future = next(futures)
                ((outcomes, failure),) = future.result()
                del future  # the cluster may forget it
                yield outcomes
                if failure is not None:
                    run._failed(source, failure)
    finally:
        on_dask.close(client)


def _protocol_option(value: str | None, limit: int) -> str | None:
    """Return ``--protocol`` as :class:`CheckOptions` carries it.

    A built-in name stays a name; anything else is a protocol document
    file, read (at most ``limit`` bytes), validated and passed on as JSON
    text.  A file that cannot be read or is not a valid protocol is a
    :class:`UsageError`.
    """
    if value is None or value in documents.protocol_names():
        return value
    names = ", ".join(documents.protocol_names())
    try:
        fd, _ = open_regular(Path(value))
        with open(fd, "rb") as stream:
            raw = stream.read(limit + len(BOM) + 1).removeprefix(BOM)
    except FileNotFoundError:
        msg = f"--protocol {value!r} is neither a built-in protocol ({names}) nor a file"
        raise UsageError(msg) from None
    except OSError as exc:
        raise UsageError(f"cannot read --protocol {value!r}: {_reason(exc)}") from None
    if len(raw) > limit:
        msg = f"cannot read --protocol {value!r}: it is larger than the limit of {limit:,} bytes"
        raise UsageError(msg)
    try:
        return documents.protocol_document(raw)
    except ValidationError as exc:
        first = exc.issues[0] if exc.issues else None
        where = f": {first.path} [{first.code}]" if first is not None else ""
        msg = f"--protocol {value!r} is not a valid protocol document{where}"
        raise UsageError(msg) from None


def _load_check_plugins() -> None:
    """Load the installed check plugins; a plugin that fails is a :class:`UsageError`."""
    try:
        documents.load_plugins()
    except Exception as exc:
        notes = getattr(exc, "__notes__", None) or [""]
        reason = " ".join(f"{type(exc).__name__}: {exc} {notes[-1]}".split())
        raise UsageError(f"cannot load the check plugins: {reason}") from None


def _report_rows(reporter: Reporter, tally: Tally, outcome: Outcome, name: str, limit: int) -> bool:
    """Report one document's rows (and how many were left out); say whether one is an error."""
    has_error = False
    *_, rows, left_out = outcome
    for _, code, severity, _, _ in rows:
        tally.codes[code, severity] += 1
        has_error = has_error or severity == "error"
    for code, severity, number in left_out:
        tally.codes[code, severity] += number
        has_error = has_error or severity == "error"
        tally.left_out += number
    for problem in problems(outcome, name, limit):
        reporter.problem(problem)
    return has_error


class _ErrorLines:
    """Standard error as a :class:`Writer` for problem rows: never raises (see :func:`say`)."""

    def write(self, text: str) -> None:
        say(text.rstrip("\n"))


class _FileOutput(Output):
    """A file named by ``--output``: a failure to write is a usage error naming the file."""

    __slots__ = ("name",)

    def __init__(self, stream: TextIO, name: str) -> None:
        super().__init__(stream)
        self.name = name

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot write {self.name!r}: {_failure(exc)}") from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot write {self.name!r}: {_failure(exc)}") from None


def _failure(exc: Exception) -> str:
    return _reason(exc) if isinstance(exc, OSError) else "the file is closed"


def _command_export(args: argparse.Namespace, out: Output) -> int:
    name = "iptkit export"
    table = _export_table(args)
    jobs = _jobs(args.jobs, name)
    limit = args.max_document_bytes
    run = StreamRun(name, args.paths, limit, verb="exported")
    options = ExportOptions(args.to, args.include_text, args.max_problems, limit, table)
    if table:
        return _export_to_table(run, options, jobs, args.output)
    if args.output == "-":
        return _export(run, options, jobs, _line_writer(out), args.max_problems)
    try:
        stream = open(args.output, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {args.output!r}: {_reason(exc)}") from None
    with stream:
        target = _FileOutput(stream, args.output)
        code = _export(run, options, jobs, _line_writer(target), args.max_problems)
        target.flush()
    return code


def _line_writer(target: Output) -> Callable[[Any, str, int | None], None]:
    return lambda text, _, __: target.write(f"{text}\n")


def _export_table(args: argparse.Namespace) -> str:
    """The table ``--table`` names for ``--to parquet`` or ``csv`` ("" for ``fhir``).

    Raises:
        UsageError: ``--table`` is missing or not wanted, Parquet is asked for
            without ``-o``, or pyarrow (the ``tables`` extra) is not installed.
    """
    if args.to not in TABLE_FORMATS:
        if args.table is not None:
            raise UsageError(
                f"--table is for --to {' or '.join(TABLE_FORMATS)}, not --to {args.to}"
            )
        return ""
    if args.table is None:
        raise UsageError(f"--to {args.to} needs --table, one of: {', '.join(EXPORT_TABLES)}")
    if args.to == "parquet" and args.output == "-":
        raise UsageError("--to parquet needs -o FILE: Parquet is not written to standard output")
    try:
        _tables()
    except ImportError:
        raise UsageError(
            f"--to {args.to} needs pyarrow: install the 'tables' extra "
            "(pip install 'iptkit[tables]')"
        ) from None
    return str(args.table)


def _export_to_table(run: StreamRun, options: ExportOptions, jobs: int, output: str) -> int:
    """Write the rows of ``options.table`` of each valid course to ``output``, in record batches.

    ``csv`` may go to standard output (``-``); list columns are written as
    their items joined by ``;``.  A failure to write is a usage error naming
    the file (for standard output, the error ``main`` reports for it).
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    tables = _tables()
    schema = getattr(tables, f"{options.table.upper()}_SCHEMA")
    with _table_stream(output) as stream, _table_writer(options.to, stream, schema) as write:
        pending: list[dict[str, Any]] = []

        def add(rows: list[dict[str, Any]], name: str, line: int | None) -> None:
            if options.table == "findings":  # where the course was read, as findings_rows says
                for row in rows:
                    row.update(source=name, line=line)
            pending.extend(rows)
            while len(pending) >= tables.BATCH_SIZE:
                write(pa.RecordBatch.from_pylist(pending[: tables.BATCH_SIZE], schema=schema))
                del pending[: tables.BATCH_SIZE]

        code = _export(run, options, jobs, add, options.max_problems)
        if pending:
            write(pa.RecordBatch.from_pylist(pending, schema=schema))
    return code


@contextlib.contextmanager
def _table_stream(output: str) -> Iterator[BinaryIO]:
    """The binary stream a table goes to; failures to write become errors naming it."""
    if output == "-":
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:
            raise OutputError("standard output is closed or takes no bytes")
        try:
            yield binary
        except OSError as exc:
            raise OutputError(_output_failure(exc)) from None
        return
    try:
        stream = open(output, "wb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {output!r}: {_reason(exc)}") from None
    try:
        with stream:
            yield stream
    except OSError as exc:
        raise UsageError(f"cannot write {output!r}: {_failure(exc)}") from None


@contextlib.contextmanager
def _table_writer(to: str, stream: BinaryIO, schema: Any) -> Iterator[Callable[[Any], None]]:
    """A function that writes one record batch of ``schema`` as ``to`` (parquet or csv)."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]
    import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    if to == "parquet":
        with pq.ParquetWriter(stream, schema) as parquet:
            yield parquet.write_batch
        return
    lists = [pa.types.is_list(field.type) for field in schema]
    flat = pa.schema(
        [
            field.with_type(pa.string()) if is_list else field
            for field, is_list in zip(schema, lists, strict=True)
        ]
    )

    def write_csv(batch: Any) -> None:
        columns = [
            pc.binary_join(column, ";") if is_list else column
            for column, is_list in zip(batch.columns, lists, strict=True)
        ]
        writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=flat))

    with pa_csv.CSVWriter(stream, flat) as writer:
        yield write_csv


def _export(
    run: StreamRun,
    options: ExportOptions,
    jobs: int,
    write: Callable[[Any, str, int | None], None],
    limit: int,
) -> int:
    """``write`` what each valid course gives (a line, or table rows); report the others."""
    reporter = TextReporter(_ErrorLines(), False, limit)
    tally, progress, names = run.tally, run.progress, run.names
    with contextlib.closing(run.results(export_chunk, options, jobs)) as chunks:
        for results in chunks:
            for source, line, text, rows, left_out in results:
                tally.documents += 1
                if text is not None:
                    tally.valid += 1
                    write(text, names[source], line)
                    continue
                progress.clear()
                outcome = (source, line, None, None, False, rows, left_out)
                has_error = _report_rows(reporter, tally, outcome, names[source], limit)
                tally.with_errors += has_error
    if tally.with_errors or tally.io_errors:
        say(
            f"{run.name}: {tally.valid:,} of {_plural(tally.documents, 'document')} exported, "
            f"{tally.with_errors:,} not valid ({_plural(tally.files, 'file')})"
        )
    if tally.io_errors:
        return EXIT_USAGE
    return EXIT_PROBLEMS if tally.with_errors else EXIT_OK


def _jobs(requested: int, name: str = "iptkit check") -> int:
    """Return the number of worker processes to use: at most one per CPU available."""
    cpus = available_cpus()
    if requested == 0:
        return cpus
    if requested > cpus:
        say(
            f"{name}: note: using {cpus} worker process{'' if cpus == 1 else 'es'}, "
            f"one per CPU available ({requested:,} asked for)"
        )
        return cpus
    return requested


def _document_kind(kind: str) -> str:
    available = documents.document_types()
    if kind not in available:
        choices = ", ".join(available) or "none"
        msg = f"documents of kind {kind!r} are not available; choose from: {choices}"
        raise UsageError(msg)
    return kind


def _read_document(kind: str, name: str, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read and load one document from the file ``name``, or standard input for ``-``.

    At most ``limit`` bytes (and a byte order mark) are read: a document
    above that is a :class:`UsageError` naming the cap; a file whose size
    already says so is not read at all.
    """
    cls = documents.document_type(_document_kind(kind))
    most = limit + len(BOM)
    document: bytes | None = None
    try:
        if name == "-":
            document = stdin_bytes().read(most + 1).removeprefix(BOM)
        else:
            fd, size = open_regular(Path(name))
            with open(fd, "rb") as stream:
                if size <= most:  # one byte more than the size tells that it grew
                    document = stream.read(size + 1).removeprefix(BOM)
    except FileNotFoundError:
        raise UsageError(f"cannot read {name!r}: no such file or directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read {name!r}: {_reason(exc)}") from None
    if document is None or len(document) > limit:
        msg = (
            f"cannot read {name!r}: it is larger than the limit of {limit:,} bytes "
            "(see --max-document-bytes)"
        )
        raise UsageError(msg)
    return loads(cls, document)


def _command_schedule(args: argparse.Namespace, out: Output) -> int:
    try:
        contract = _read_document("contract", args.contract, args.max_document_bytes)
        schedule = documents.plan_schedule(contract)
    except ValidationError as exc:
        say(escape_text(f"iptkit schedule: {args.contract} is not a valid contract:"))
        for issue in exc.issues:
            say(escape_text(f"  {issue}"))
        return EXIT_PROBLEMS
    except IptkitError as exc:
        say(escape_text(f"iptkit schedule: cannot plan the schedule: {exc}"))
        return EXIT_PROBLEMS
    if args.ical:
        out.write(documents.schedule_ical(schedule))
        return EXIT_OK
    header = ("#", "kind", "phase", "local date and time", "status")
    rows = [header, *documents.schedule_rows(schedule)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [
            c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.write(escape_text("  ".join(cells).rstrip()) + "\n")
    return EXIT_OK


def _command_schema(args: argparse.Namespace, out: Output) -> int:
    cls = documents.document_type(_document_kind(args.document))
    schema = documents.json_schema(cls)
    out.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def _command_synth(args: argparse.Namespace, out: Output) -> int:
    corpus = {
        "courses": args.courses,
        "seed": args.seed,
        "invalid_fraction": args.invalid_fraction,
    }
    try:
        if args.output == "-":
            try:
                documents.write_corpus(out.stream, **corpus)
            except (OSError, ValueError) as exc:
                raise OutputError(_output_failure(exc)) from None
        else:
            with open(args.output, "w", encoding="utf-8", newline="\n") as stream:
                documents.write_corpus(stream, **corpus)
    except OSError as exc:
        msg = f"cannot write {args.output!r}: {_reason(exc)}"
        raise UsageError(msg) from None
    except IptkitError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"expected a whole number of 0 or more, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _document_bytes(text: str) -> int:
    try:
        value = int(text) if len(text) <= 30 else 0
    except ValueError:
        value = 0
    if not 1 <= value <= DOCUMENT_BYTES_LIMIT:
        msg = f"expected a number of bytes from 1 to {DOCUMENT_BYTES_LIMIT:,}, not {text[:30]!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _job_count(text: str) -> int:
    try:
        value = int(text) if len(text) <= 20 else -1
    except ValueError:
        value = -1
    if not 0 <= value <= JOBS_LIMIT:
        msg = f"expected a whole number from 0 to {JOBS_LIMIT:,}, not {text[:30]!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        msg = f"expected a number from 0 to 1, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def version() -> str:
    """Return the installed version of iptkit."""
    try:
        return importlib.metadata.version("iptkit")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown: not installed)"


EXIT_CODES_EPILOG = (
    "Exit codes: 0 no errors, 1 errors found, 2 usage or input/output error "
    "(including a report that cannot be written and a worker process that died), "
    "128+N stopped by signal N."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a failure to print help or the version.

    ``argparse`` itself ignores a closed or full standard output (exit code
    0, nothing printed) and prints usage errors on standard output when
    standard error is closed.
    """

    def error(self, message: str) -> NoReturn:
        say(self.format_usage().rstrip("\n"))
        say(f"{self.prog}: error: {message}")
        self.exit(EXIT_USAGE)

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        if file is None:  # help or version for a standard output that is closed
            raise OutputError("standard output is closed")
        if file is sys.stdout:
            Output(file).write(message)  # raises OutputError, which main reports
        else:
            say(message.rstrip("\n"))


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``iptkit`` command line."""
    kinds = ", ".join(documents.document_types())
    parser = _Parser(
        prog="iptkit",
        description="Check, schedule, describe and export Interpersonal Psychotherapy records.",
        epilog=EXIT_CODES_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="validate and check documents",
        description=(
            "Validate documents and report protocol findings. PATH is a JSON file "
            "(one document, or an array of documents), a JSON Lines file (.jsonl or "
            ".ndjson, one document per line), either of them compressed with gzip (.gz), "
            "a directory (searched recursively; only regular files are read) "
            "or - for JSON Lines on standard input."
        ),
        epilog=EXIT_CODES_EPILOG,
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or -")
    check.add_argument(
        "--format",
        choices=tuple(REPORTERS),
        default="text",
        help="text (default), json (one object), jsonl (one object per problem) or csv "
        "(one row per problem); jsonl and csv write the summary to standard error",
    )
    check.add_argument(
        "--summary",
        metavar="FILE",
        help="also write the summary as one JSON object to FILE; jsonl and csv then leave it "
        "off standard error",
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=_job_count,
        default=1,
        metavar="N",
        help="check in N worker processes, at most one per CPU (0: one per CPU; default 1)",
    )
    check.add_argument(
        "--max-problems",
        type=_count,
        default=MAX_PROBLEMS,
        metavar="N",
        help=f"list at most N problems per document, count the rest (0: no limit; "
        f"default {MAX_PROBLEMS})",
    )
    _add_max_document_bytes(check, f"report it as {TOO_LARGE_CODE}")
    check.add_argument(
        "--show-values",
        action="store_true",
        help="also print the offending value of each problem (may show patient free text)",
    )
    check.add_argument(
        "--document",
        default=documents.DEFAULT_DOCUMENT,
        metavar="KIND",
        help=f"document kind to read (default {documents.DEFAULT_DOCUMENT}; one of: {kinds})",
    )
    check.add_argument(
        "--protocol",
        metavar="NAME|FILE.json",
        help="protocol to check courses against (default: the course's own): a protocol "
        "document file, or one of: " + ", ".join(documents.protocol_names()),
    )
    check.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="check on a Dask cluster: a scheduler address such as tcp://host:8786, or local "
        "for two worker processes on this machine (needs the dask extra)",
    )

    schedule = commands.add_parser(
        "schedule",
        help="print the planned sessions of a contract",
        description="Plan the sessions of a treatment contract and print them.",
    )
    schedule.add_argument("contract", metavar="CONTRACT.json", help="contract document, or -")
    schedule.add_argument("--ical", action="store_true", help="print iCalendar instead")
    _add_max_document_bytes(schedule, "stop with exit code 2")

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of a document",
        description="Print the JSON Schema (draft 2020-12) of a document kind.",
    )
    schema.add_argument(
        "--document",
        default=documents.DEFAULT_DOCUMENT,
        metavar="KIND",
        help=f"document kind (default {documents.DEFAULT_DOCUMENT}; one of: {kinds})",
    )

    synth = commands.add_parser(
        "synth",
        help="write a synthetic corpus of courses as JSON Lines",
        description="Write synthetic course documents (no real patient data) as JSON Lines.",
    )
    synth.add_argument("--courses", type=_count, required=True, metavar="N")
    synth.add_argument("--seed", type=int, default=0, metavar="S")
    synth.add_argument(
        "--invalid-fraction",
        type=_fraction,
        default=0.0,
        metavar="F",
        help="share of documents made invalid on purpose (0 to 1)",
    )
    synth.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")

    export = commands.add_parser(
        "export",
        help="write courses in another format (FHIR R4 bundles, or a Parquet or CSV table)",
        description=(
            "Read course documents as check does and write one FHIR R4 Bundle per valid "
            "course, one per line, or (--to parquet or csv) one of the tables of the valid "
            "courses (--table). Documents that are not valid are reported on standard "
            "error and not written. PATH is a JSON file, a JSON Lines file, a directory or "
            "- for JSON Lines on standard input."
        ),
        epilog=(
            "Exit codes: 0 every document exported, 1 some documents not valid (reported on "
            "standard error), 2 usage or input/output error, 128+N stopped by signal N."
        ),
    )
    export.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or -")
    export.add_argument(
        "--to",
        choices=EXPORT_FORMATS,
        required=True,
        help="the format to write: fhir (JSON Lines), or parquet or csv (a table; see --table)",
    )
    export.add_argument(
        "--table",
        choices=EXPORT_TABLES,
        help="the table written by --to parquet or csv: " + ", ".join(EXPORT_TABLES),
    )
    export.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="file to write (default: stdout)"
    )
    export.add_argument(
        "-j",
        "--jobs",
        type=_job_count,
        default=1,
        metavar="N",
        help="export in N worker processes, at most one per CPU (0: one per CPU; default 1)",
    )
    export.add_argument(
        "--include-text",
        action="store_true",
        help="also write personal free text (notes, goal wording, reasons); left out by default",
    )
    export.add_argument(
        "--max-problems",
        type=_count,
        default=MAX_PROBLEMS,
        metavar="N",
        help=f"list at most N problems per document, count the rest (0: no limit; "
        f"default {MAX_PROBLEMS})",
    )
    _add_max_document_bytes(export, f"report it as {TOO_LARGE_CODE}")
    return parser


def _add_max_document_bytes(parser: argparse.ArgumentParser, instead: str) -> None:
    parser.add_argument(
        "--max-document-bytes",
        type=_document_bytes,
        default=MAX_DOCUMENT_BYTES,
        metavar="N",
        help=f"do not read a document larger than N bytes, {instead} "
        f"(default {MAX_DOCUMENT_BYTES:,}: 64 MiB)",
    )


_COMMANDS: dict[str, Callable[[argparse.Namespace, Output], int]] = {
    "check": _command_check,
    "schedule": _command_schedule,
    "schema": _command_schema,
    "synth": _command_synth,
    "export": _command_export,
}

#: Signals that stop a run cleanly (workers killed, one line on standard error).
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Stopped` while the block runs.

    Only the first signal raises; it also puts back the default actions, so a
    second signal ends the process at once.  A worker process that gets a
    signal before it has set up its own handlers takes the default action.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(signum: int, frame: Any) -> None:
        if os.getpid() != owner:  # pragma: no cover - in a worker, which then dies of the signal
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        for number in _STOP_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        raise Stopped(signum)

    previous = {number: signal.getsignal(number) for number in _STOP_SIGNALS}
    for number in _STOP_SIGNALS:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _flush_stdout() -> None:
    """Flush standard output; raise :class:`OutputError` if it fails."""
    if sys.stdout is not None:
        Output(sys.stdout).flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``iptkit`` command line and return its exit code.

    Every failure ends with one line on standard error: a usage error, an
    input or output that fails, a worker process that dies (all exit code 2),
    or a stopping signal (128 + its number).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0, 1, 2 or 128 + a signal number (see the module documentation).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return _finish("iptkit", code)
    except OutputError as exc:  # --help or --version could not be printed
        _discard(sys.stdout)
        say(f"iptkit: error: cannot write to standard output: {exc}")
        return EXIT_USAGE
    if args.command is None:
        say(parser.format_usage().rstrip("\n"))
        say("iptkit: error: a command is required")
        return EXIT_USAGE
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    name = f"iptkit {args.command}"
    code = EXIT_USAGE
    with _stop_on_signals():
        try:
            code = _COMMANDS[args.command](args, Output(sys.stdout))
            code = _finish(name, code)
        except UsageError as exc:
            say(f"{name}: error: {exc}")
            code = _finish(name, EXIT_USAGE)
        except OutputError as exc:
            _discard(sys.stdout)
            say(f"{name}: error: cannot write to standard output: {exc}")
            code = EXIT_USAGE
        except WorkerError as exc:
            say(f"{name}: error: {exc}")
            code = _finish(name, EXIT_USAGE)
        except Stopped as exc:
            _discard(sys.stdout)
            say(f"{name}: stopped by {signal.Signals(exc.signum).name}; the output is incomplete")
            code = 128 + exc.signum
        except KeyboardInterrupt:  # pragma: no cover - only when no handler could be set
            code = 128 + signal.SIGINT
        except MemoryError:
            say(f"{name}: error: out of memory")
            code = EXIT_USAGE
        except Exception as exc:  # a defect: one line, no traceback, no value quoted
            say(f"{name}: error: unexpected {type(exc).__name__}; please report it")
            code = EXIT_USAGE
    if _pool_stuck:  # pragma: no cover - a worker killed mid-message
        _finish(name, code)
        say(f"{name}: error: worker processes could not be stopped cleanly")
        os._exit(code)
    return code


def _finish(name: str, code: int) -> int:
    """Flush standard output; return ``code``, or 2 with one line if that fails."""
    try:
        _flush_stdout()
    except OutputError as exc:
        _discard(sys.stdout)
        say(f"{name}: error: cannot write to standard output: {exc}")
        return EXIT_USAGE
    return code
