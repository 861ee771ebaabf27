"""The ``iptkit`` command line (also ``python -m iptkit``).

Subcommands:

* ``iptkit check PATH...`` reads treatment-course documents from JSON files,
  JSON Lines files, directories or standard input, and reports every
  validation issue and every protocol finding, streaming: memory stays flat
  whatever the size of the input.
* ``iptkit schedule CONTRACT.json`` prints the planned sessions of a contract.
* ``iptkit schema`` prints the JSON Schema of a document.
* ``iptkit synth`` writes a synthetic corpus of course documents.

Exit codes: 0 when nothing was found at error severity, 1 when something was,
2 for a usage or input/output error.

>>> main(["--version"])  # doctest: +ELLIPSIS
iptkit ...
0
"""

from __future__ import annotations

import argparse
import collections
import importlib.metadata
import io
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from iptkit._cli import _documents as documents
from iptkit._errors import IptkitError, Issue, ValidationError
from iptkit._io._codec import load, loads, parse_json

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "build_parser", "check_chunk", "main"]

#: Nothing was found at error severity.
EXIT_OK = 0
#: At least one document has a problem at error severity.
EXIT_PROBLEMS = 1
#: The command line was wrong, or an input could not be read.
EXIT_USAGE = 2

#: Suffixes of JSON Lines files (one document per line).
LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
#: Suffixes of the files a directory is searched for.
DOCUMENT_SUFFIXES = frozenset({".json"}) | LINES_SUFFIXES
#: Severities in the order reports list them.
SEVERITIES = ("error", "warning", "info")
#: A document sent to a worker process is cut into chunks of at most this many documents ...
CHUNK_DOCUMENTS = 256
#: ... or this many bytes, whichever comes first.
CHUNK_BYTES = 1 << 20
#: Chunks in flight per worker process: enough to keep each busy, few enough to bound memory.
CHUNKS_PER_JOB = 3
#: Values shown by ``--show-values`` are cut to this many characters.
VALUE_WIDTH = 60
#: Name shown for standard input.
STDIN_NAME = "<stdin>"

_BOM = b"\xef\xbb\xbf"


class UsageError(Exception):
    """The command line cannot be carried out (exit code 2)."""


# --------------------------------------------------------------------------
# Checking one chunk of documents (runs in worker processes)
# --------------------------------------------------------------------------

#: One document to check: ``(source index, line number or None, raw bytes)``.
Unit = tuple[int, int | None, bytes]
#: One problem of a document: ``(path, code, severity, message, value or None)``.
Row = tuple[str, str, str, str, str | None]
#: The outcome for one document: ``(source index, line, valid, problems)``.
Outcome = tuple[int, int | None, bool, tuple[Row, ...]]


class CheckOptions(NamedTuple):
    """What every worker needs to know to check a document (small and picklable)."""

    document: str
    protocol: str | None = None
    show_values: bool = False


def check_chunk(options: CheckOptions, units: Sequence[Unit]) -> list[Outcome]:
    """Parse, load and check each raw document of a chunk.

    Runs in worker processes, so it takes and returns only plain values:
    raw bytes in, compact tuples out; no model object crosses a process
    boundary.

    Args:
        options: the document kind, protocol and whether to capture values.
        units: ``(source index, line number, raw JSON bytes)`` per document.

    Returns:
        ``(source index, line number, valid, problems)`` per document, in order.

    >>> raw = b'{"schema_version": 1, "relationships": [{"label": "P1"}]}'
    >>> [(o[2], [r[:3] for r in o[3]]) for o in check_chunk(
    ...     CheckOptions("inventory"), [(0, 1, raw)])]  # doctest: +NORMALIZE_WHITESPACE
    [(False, [('$.relationships[0].role', 'missing_field', 'error'),
              ('$.relationships[0].closeness', 'missing_field', 'error')])]
    """
    cls = documents.document_type(options.document)
    protocol = documents.protocol(options.protocol)
    return [
        (source, line, *_check_one(cls, protocol, options.show_values, raw))
        for source, line, raw in units
    ]


def _check_one(
    cls: type, protocol: Any, show_values: bool, raw: bytes
) -> tuple[bool, tuple[Row, ...]]:
    try:
        data = parse_json(raw)
    except ValidationError as exc:
        preview = _preview_raw(raw) if show_values else None
        return False, tuple(_issue_rows(exc.issues, lambda _: preview))
    try:
        obj: Any = load(cls, data)
    except ValidationError as exc:
        return False, tuple(_issue_rows(exc.issues, _value_finder(data, show_values)))
    except Exception as exc:  # a defect elsewhere must not stop a long run
        return False, (_internal_error("load", exc),)
    try:
        found = documents.findings(obj, protocol)
    except Exception as exc:
        return True, (_internal_error("check", exc),)
    find_value = _value_finder(data, show_values)
    return True, tuple(
        (path, code, severity, message, find_value(path)) for severity, code, path, message in found
    )


def _issue_rows(issues: Iterable[Issue], value: Callable[[str], str | None]) -> Iterator[Row]:
    for issue in issues:
        yield (issue.path, issue.code, "error", issue.message, value(issue.path))


def _internal_error(step: str, exc: Exception) -> Row:
    # Only the exception's type: its text could quote the document.
    message = f"iptkit failed to {step} this document ({type(exc).__name__}); please report it."
    return ("$", "internal_error", "error", message, None)


def _value_finder(data: Any, show_values: bool) -> Callable[[str], str | None]:
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
    return _truncate(json.dumps(value, ensure_ascii=False, allow_nan=True))


def _preview_raw(raw: bytes) -> str:
    """Return the start of a text that is not JSON, unquoted, with control characters escaped."""
    text = raw[: VALUE_WIDTH * 4].decode("utf-8", "replace")
    return _truncate("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


def _truncate(text: str) -> str:
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "\u2026"


# --------------------------------------------------------------------------
# Reading the inputs
# --------------------------------------------------------------------------


class Source(NamedTuple):
    """One input: a file, or standard input."""

    name: str
    path: Path | None
    json_lines: bool
    size: int | None


def expand_paths(paths: Sequence[str]) -> list[Source]:
    """Turn the ``PATH`` arguments into the list of inputs, in reading order.

    Directories are searched recursively for ``*.json``, ``*.jsonl`` and
    ``*.ndjson`` files, in sorted order; ``-`` is standard input.

    Raises:
        UsageError: a path does not exist or cannot be read.
    """
    sources: list[Source] = []
    for arg in paths:
        if arg == "-":
            sources.append(Source(STDIN_NAME, None, True, None))
            continue
        path = Path(arg)
        if path.is_dir():
            sources.extend(_walk(path))
        elif path.exists():
            sources.append(_file_source(path))
        else:
            msg = f"cannot read {arg!r}: no such file or directory"
            raise UsageError(msg)
    return sources


def _walk(top: Path) -> Iterator[Source]:
    def fail(error: OSError) -> None:
        msg = f"cannot read directory {error.filename!r}: {error.strerror or error}"
        raise UsageError(msg)

    for folder, dirnames, filenames in os.walk(top, onerror=fail):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(folder, filename)
            if path.suffix.lower() in DOCUMENT_SUFFIXES:
                yield _file_source(path)


def _file_source(path: Path) -> Source:
    try:
        size = path.stat().st_size
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror or exc}"
        raise UsageError(msg) from None
    if not os.access(path, os.R_OK):
        msg = f"cannot read {str(path)!r}: permission denied"
        raise UsageError(msg)
    return Source(str(path), path, path.suffix.lower() in LINES_SUFFIXES, size)


def read_units(
    sources: Sequence[Source], on_error: Callable[[Source, OSError], None]
) -> Iterator[Unit]:
    """Yield every document of every input, one at a time.

    JSON Lines inputs are read line by line (blank lines are skipped); other
    files hold one document each.  A file that fails while being read is
    passed to ``on_error`` and reading goes on with the next one.
    """
    for index, source in enumerate(sources):
        try:
            if source.path is None:
                yield from _lines(index, sys.stdin.buffer)
            elif source.json_lines:
                with source.path.open("rb") as stream:
                    yield from _lines(index, stream)
            else:
                raw = source.path.read_bytes()
                yield (index, None, raw.removeprefix(_BOM))
        except OSError as exc:
            on_error(source, exc)


def _lines(index: int, stream: Iterable[bytes]) -> Iterator[Unit]:
    for number, line in enumerate(stream, 1):
        if number == 1:
            line = line.removeprefix(_BOM)
        if line.strip():
            yield (index, number, line.rstrip(b"\r\n"))


def chunked(units: Iterable[Unit]) -> Iterator[tuple[list[Unit], int]]:
    """Group documents into chunks for the workers; yield each with its size in bytes."""
    chunk: list[Unit] = []
    size = 0
    for unit in units:
        chunk.append(unit)
        size += len(unit[2])
        if len(chunk) >= CHUNK_DOCUMENTS or size >= CHUNK_BYTES:
            yield chunk, size
            chunk, size = [], 0
    if chunk:
        yield chunk, size


def run_chunks(
    options: CheckOptions, chunks: Iterable[tuple[list[Unit], int]], jobs: int
) -> Iterator[tuple[list[Outcome], int]]:
    """Check chunks, in this process or in ``jobs`` worker processes.

    Results come back in input order.  At most ``CHUNKS_PER_JOB`` chunks per
    worker are in flight, so memory stays bounded however long the input is.
    """
    if jobs <= 1:
        for chunk, size in chunks:
            yield check_chunk(options, chunk), size
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
    try:
        pending: collections.deque[tuple[Future[list[Outcome]], int]] = collections.deque()
        for chunk, size in chunks:
            pending.append((pool.submit(check_chunk, options, chunk), size))
            if len(pending) >= jobs * CHUNKS_PER_JOB:
                future, done = pending.popleft()
                yield future.result(), done
        while pending:
            future, done = pending.popleft()
            yield future.result(), done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Leave Ctrl-C to the main process, which stops the workers cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


class Problem(NamedTuple):
    """One reported problem of one document."""

    file: str
    line: int | None
    path: str
    code: str
    severity: str
    message: str
    value: str | None


class Tally:
    """Counts kept while a run streams by."""

    def __init__(self) -> None:
        self.files = 0
        self.documents = 0
        self.valid = 0
        self.with_errors = 0
        self.io_errors = 0
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
            "io_errors": self.io_errors,
        }


class Reporter:
    """Writes problems as they come and a summary at the end."""

    def __init__(self, out: TextIO, show_values: bool) -> None:
        self.out = out
        self.show_values = show_values

    def start(self) -> None:
        """Write what comes before the first problem."""

    def problem(self, problem: Problem) -> None:
        """Write one problem."""
        raise NotImplementedError

    def finish(self, tally: Tally) -> None:
        """Write the summary."""
        raise NotImplementedError

    def _fields(self, problem: Problem) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "file": problem.file,
            "line": problem.line,
            "path": problem.path,
            "code": problem.code,
            "severity": problem.severity,
            "message": problem.message,
        }
        if self.show_values:
            fields["value"] = problem.value
        return fields


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class TextReporter(Reporter):
    """One line per problem, then tables of counts."""

    def problem(self, problem: Problem) -> None:
        where = problem.file if problem.line is None else f"{problem.file}:{problem.line}"
        text = f"{where}: {problem.severity} [{problem.code}] {problem.path}: {problem.message}"
        if self.show_values and problem.value is not None:
            text += f"  value: {problem.value}"
        self.out.write(text + "\n")

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
        write(
            f"Documents: {tally.documents:,} read, {tally.valid:,} valid, "
            f"{tally.with_errors:,} with errors ({_plural(tally.files, 'file')})\n"
        )
        if tally.io_errors:
            write(f"Inputs that could not be read: {tally.io_errors:,}\n")


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
    """One JSON object per problem (``"type": "problem"``), then one summary object."""

    def problem(self, problem: Problem) -> None:
        self.out.write(_dumps({"type": "problem", **self._fields(problem)}) + "\n")

    def finish(self, tally: Tally) -> None:
        self.out.write(_dumps({"type": "summary", **tally.as_json()}) + "\n")


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "jsonl": JsonLinesReporter,
}


class Progress:
    """A progress line on standard error, drawn only when it is a terminal."""

    WIDTH = 24
    INTERVAL = 0.1

    def __init__(self, stream: TextIO, total_bytes: int | None) -> None:
        self.stream = stream
        self.enabled = _isatty(stream)
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
        text = f"checked {documents:,} documents ({rate:,.0f}/s)"
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            filled = math.floor(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"[{bar}] {share:4.0%}  {text}"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the line so other output starts on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------


def _command_check(args: argparse.Namespace) -> int:
    kind = _document_kind(args.document)
    sources = expand_paths(args.paths)
    options = CheckOptions(kind, args.protocol, args.show_values)
    reporter = REPORTERS[args.format](sys.stdout, args.show_values)
    tally = Tally()
    tally.files = len(sources)
    known_sizes = [s.size for s in sources]
    total = None if None in known_sizes else sum(s.size or 0 for s in sources)
    progress = Progress(sys.stderr, total)

    def io_failed(source: Source, exc: OSError) -> None:
        progress.clear()
        tally.io_errors += 1
        reason = exc.strerror or type(exc).__name__
        print(f"iptkit check: error: cannot read {source.name!r}: {reason}", file=sys.stderr)

    jobs = args.jobs or os.cpu_count() or 1
    names = [source.name for source in sources]
    done_bytes = 0
    reporter.start()
    outcomes = run_chunks(options, chunked(read_units(sources, io_failed)), jobs)
    for results, size in outcomes:
        for source, line, valid, rows in results:
            tally.documents += 1
            tally.valid += valid
            has_error = False
            if rows and progress.shown:
                progress.clear()  # rows may go to the same terminal
            for path, code, severity, message, value in rows:
                tally.codes[code, severity] += 1
                has_error = has_error or severity == "error"
                reporter.problem(Problem(names[source], line, path, code, severity, message, value))
            tally.with_errors += has_error
        done_bytes += size
        progress.update(tally.documents, done_bytes)
    if tally.documents:
        progress.update(tally.documents, done_bytes, force=True)
    progress.clear()
    reporter.finish(tally)
    if tally.io_errors:
        return EXIT_USAGE
    return EXIT_PROBLEMS if tally.with_errors else EXIT_OK


def _document_kind(kind: str) -> str:
    available = documents.document_types()
    if kind not in available:
        choices = ", ".join(available) or "none"
        msg = f"documents of kind {kind!r} are not available; choose from: {choices}"
        raise UsageError(msg)
    return kind


def _read_document(kind: str, name: str) -> Any:
    cls = documents.document_type(_document_kind(kind))
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        msg = f"cannot read {name!r}: {exc.strerror or type(exc).__name__}"
        raise UsageError(msg) from None
    return loads(cls, raw.removeprefix(_BOM))


def _command_schedule(args: argparse.Namespace) -> int:
    try:
        contract = _read_document("contract", args.contract)
        schedule = documents.plan_schedule(contract)
    except ValidationError as exc:
        print(f"iptkit schedule: {args.contract} is not a valid contract:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_PROBLEMS
    except IptkitError as exc:
        print(f"iptkit schedule: cannot plan the schedule: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.ical:
        sys.stdout.write(documents.schedule_ical(schedule))
        return EXIT_OK
    header = ("#", "kind", "phase", "local date and time", "status")
    rows = [header, *documents.schedule_rows(schedule)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [
            c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells).rstrip())
    return EXIT_OK


def _command_schema(args: argparse.Namespace) -> int:
    cls = documents.document_type(_document_kind(args.document))
    schema = documents.json_schema(cls)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


def _command_synth(args: argparse.Namespace) -> int:
    try:
        if args.output == "-":
            documents.write_corpus(
                sys.stdout,
                courses=args.courses,
                seed=args.seed,
                invalid_fraction=args.invalid_fraction,
            )
        else:
            with open(args.output, "w", encoding="utf-8", newline="\n") as out:
                documents.write_corpus(
                    out,
                    courses=args.courses,
                    seed=args.seed,
                    invalid_fraction=args.invalid_fraction,
                )
    except OSError as exc:
        msg = f"cannot write {args.output!r}: {exc.strerror or type(exc).__name__}"
        raise UsageError(msg) from None
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


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``iptkit`` command line."""
    kinds = ", ".join(documents.document_types())
    parser = argparse.ArgumentParser(
        prog="iptkit",
        description="Check, schedule and describe Interpersonal Psychotherapy records.",
        epilog="Exit codes: 0 no errors, 1 errors found, 2 usage or input/output error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="validate and check documents",
        description=(
            "Validate documents and report protocol findings. PATH is a JSON file "
            "(one document), a JSON Lines file (.jsonl or .ndjson, one document per "
            "line), a directory (searched recursively) or - for JSON Lines on "
            "standard input."
        ),
        epilog="Exit codes: 0 no errors, 1 errors found, 2 usage or input/output error.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or -")
    check.add_argument(
        "--format",
        choices=tuple(REPORTERS),
        default="text",
        help="text (default), json (one object) or jsonl (one object per problem)",
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=_count,
        default=1,
        metavar="N",
        help="check in N worker processes (0: one per CPU; default 1)",
    )
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
        choices=documents.protocol_names(),
        metavar="NAME",
        help="protocol to check courses against (default: the course's own); one of: "
        + ", ".join(documents.protocol_names()),
    )

    schedule = commands.add_parser(
        "schedule",
        help="print the planned sessions of a contract",
        description="Plan the sessions of a treatment contract and print them.",
    )
    schedule.add_argument("contract", metavar="CONTRACT.json", help="contract document, or -")
    schedule.add_argument("--ical", action="store_true", help="print iCalendar instead")

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
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _command_check,
    "schedule": _command_schedule,
    "schema": _command_schema,
    "synth": _command_synth,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``iptkit`` command line and return its exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0, 1 or 2 (see the module documentation).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("iptkit: error: a command is required", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return _COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"iptkit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEMS
