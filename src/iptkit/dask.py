"""Run ``iptkit check`` on a Dask cluster: the same checks, the same rows.

:func:`check` turns JSON Lines files (or a bag of raw lines) into a
``dask.bag.Bag`` of row dicts, the ones ``iptkit check --format jsonl``
prints (``file``, ``line``, ``path``, ``code``, ``severity``, ``message``).
Each file is read by a worker, with the reader of the command line, so file
names and line numbers are kept; documents are checked by
the ``check_chunk`` function of the command line, the function the ``--jobs`` workers run.

It needs the ``dask`` extra (``pip install "iptkit[dask]"``) here and on every
worker; without it, importing this module raises
:class:`~iptkit.MissingExtraError`.
"""

from __future__ import annotations

import functools
import glob
import socket
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from iptkit._cli._main import (
    MAX_PROBLEMS,
    CheckOptions,
    Outcome,
    Oversized,
    Problem,
    Source,
    Unit,
    UsageError,
    _left_out_row,
    check_chunk,
    chunked,
    expand_paths,
    read_units,
)
from iptkit._errors import IptkitError, MissingExtraError

try:
    import dask.bag as _dask_bag
    from dask.bag import Bag
    from dask.delayed import delayed as _delayed
except ImportError as exc:  # pragma: no cover - CI installs every extra
    raise MissingExtraError("iptkit.dask", "dask") from exc

#: A ``dask.bag.Bag``: dask ships no type hints, so it is typed as ``Any``.
DaskBag: TypeAlias = Any
#: dask ships no type hints for these: use them untyped.
db: Any = _dask_bag
delayed: Any = _delayed


if TYPE_CHECKING:
    from iptkit._cli._main import StreamRun

__all__ = ["check"]

#: The address that makes ``iptkit check --dask`` start a cluster on this machine.
LOCAL = "local"
#: Seconds to wait for a scheduler named by address.
CONNECT_TIMEOUT = "10s"
#: Seconds to wait for a TCP connection to the scheduler's port before that.
PROBE_SECONDS = 5.0
#: Options :func:`check` takes in ``config``, besides its keyword arguments.
CONFIG_KEYS = frozenset({"show_values", "max_document_bytes"})

#: What the worker gives back for one source: its outcomes, and the message of a failure.
_Part = tuple[list[Outcome], str | None]
#: One reported problem as a dict: the fields of ``iptkit check --format jsonl``.
Row = dict[str, Any]


def check(
    paths_or_bag: str | Sequence[str] | DaskBag,
    *,
    document: str = "course",
    protocol: str | None = None,
    max_problems: int = MAX_PROBLEMS,
    config: Mapping[str, Any] | None = None,
) -> DaskBag:
    """Check documents on Dask; return a bag of the rows ``iptkit check`` reports.

    Args:
        paths_or_bag: a path or glob, a list of them (JSON Lines files, JSON
            files or directories, as the command line takes them), or a
            ``dask.bag.Bag`` of raw JSON Lines (``str`` or ``bytes``),
            for instance from ``dask.bag.read_text``.  A bag has no file
            names: each row names its partition as ``<partition N>`` and its
            line as the position in that partition.
        document: the document kind (``iptkit check --document``).
        protocol: the protocol to check courses against (``--protocol``).
        max_problems: problems listed per document, the rest counted in one
            ``problems_left_out`` row (0: all).
        config: further options: ``show_values`` (adds a ``value`` to each
            row, like ``--show-values``) and ``max_document_bytes``.

    Returns:
        A lazy bag of dicts with ``file``, ``line``, ``path``, ``code``,
        ``severity`` and ``message`` (and ``value`` with ``show_values``).
        Computing it raises :class:`~iptkit.IptkitError` for a file that
        cannot be read.

    Raises:
        IptkitError: an unknown key in ``config``, ``-`` (standard input)
            among the paths, or a path that does not exist or matches no file.
    """
    extra = dict(config or {})
    unknown = sorted(set(extra) - CONFIG_KEYS)
    if unknown:
        raise IptkitError(f"unknown config keys: {', '.join(unknown)}")
    options = CheckOptions(
        document,
        protocol,
        bool(extra.get("show_values", False)),
        max_problems,
        int(extra.get("max_document_bytes", CheckOptions("").max_document_bytes)),
    )
    if isinstance(paths_or_bag, Bag):
        parts = [
            delayed(_check_lines)(options, index, part)
            for index, part in enumerate(_any(paths_or_bag).to_delayed())
        ]
        bag: Bag = db.from_delayed(parts)
        return bag
    sources = _sources([paths_or_bag] if isinstance(paths_or_bag, str) else paths_or_bag)
    rows = functools.partial(_rows, options=options, names=[s.name for s in sources])
    checked: Bag = _any(source_bag(list(enumerate(sources)), options)).map_partitions(rows)
    return checked


def _any(value: object) -> Any:
    return value


def _sources(patterns: Iterable[str]) -> list[Source]:
    paths: list[str] = []
    for pattern in patterns:
        if pattern == "-":
            raise IptkitError("standard input cannot be read on a Dask cluster")
        if glob.has_magic(pattern):
            found = sorted(glob.glob(pattern, recursive=True))
            if not found:
                raise IptkitError(f"no file matches {pattern!r}")
            paths.extend(found)
        else:
            paths.append(pattern)
    try:
        return expand_paths(paths)
    except UsageError as exc:
        raise IptkitError(str(exc)) from None


def source_bag(indexed: Sequence[tuple[int, Source]], options: CheckOptions) -> Bag:
    """Return a bag with one partition per ``(index, source)``: its ``(outcomes, failure)``.

    Each outcome names its source by ``index``.
    """
    bag = db.from_sequence(indexed, npartitions=max(1, len(indexed)))
    checked: Bag = bag.map_partitions(_check_sources, options)
    return checked


def _check_sources(items: Iterable[tuple[int, Source]], options: CheckOptions) -> list[_Part]:
    """Read and check whole sources (runs on a worker)."""
    parts: list[_Part] = []
    for index, source in items:
        failures: list[str] = []

        def failed(_: Source, message: str, failures: list[str] = failures) -> None:
            failures.append(message)

        def skipped(_: Source, reason: str) -> None:
            pass

        # read_units numbers sources from 0: give each unit its index in the whole run.
        units = read_units([source], failed, skipped, options.max_document_bytes)
        outcomes: list[Outcome] = []
        for chunk, _ in chunked(units):
            shifted: list[Unit] = [(index, line, raw) for _, line, raw in chunk]
            outcomes.extend(check_chunk(options, shifted))
        parts.append((outcomes, failures[0] if failures else None))
    return parts


def _rows(parts: Iterable[_Part], options: CheckOptions, names: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for outcomes, failure in parts:
        if failure is not None:
            raise IptkitError(failure)
        rows.extend(_outcome_rows(outcomes, names, options))
    return rows


def _outcome_rows(
    outcomes: Iterable[Outcome], names: Sequence[str], options: CheckOptions
) -> list[Row]:
    """Return the row dicts of outcomes, as ``iptkit check --format jsonl`` writes them."""
    rows: list[Row] = []
    for source, line, _, problems, left_out in outcomes:
        file = names[source]
        listed = [Problem(file, line, *row) for row in problems]
        if left_out:
            count = sum(number for _, _, number in left_out)
            listed.append(_left_out_row(file, line, count, options.max_problems))
        rows.extend(_fields(problem, options.show_values) for problem in listed)
    return rows


def _fields(problem: Problem, show_values: bool) -> Row:
    fields: Row = {
        "file": problem.file,
        "line": problem.line,
        "path": problem.path,
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
    }
    if show_values:
        fields["value"] = problem.value
    return fields


def _check_lines(options: CheckOptions, index: int, lines: Iterable[str | bytes]) -> list[Row]:
    """Check one partition of a bag of raw lines (runs on a worker)."""
    units: list[Unit] = []
    for number, text in enumerate(lines, start=1):
        raw = text.encode("utf-8") if isinstance(text, str) else text
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        limit = options.max_document_bytes
        units.append((0, number, raw if len(raw) <= limit else Oversized(len(raw))))
    names = [f"<partition {index}>"]
    rows: list[Row] = []
    for chunk, _ in chunked(units):
        rows.extend(_outcome_rows(check_chunk(options, chunk), names, options))
    return rows


def connect(address: str) -> Any:
    """Return a ``distributed.Client``: a new local cluster for ``local``, else a scheduler.

    ``local`` starts a ``distributed.LocalCluster`` of two worker processes
    of one thread each, closed with the client.

    Raises:
        UsageError: ``distributed`` is missing, or the scheduler cannot be reached.
    """
    try:
        import distributed as _distributed
    except ImportError:  # pragma: no cover - CI installs every extra
        raise UsageError(str(MissingExtraError("iptkit check --dask", "dask"))) from None
    distributed: Any = _distributed
    try:
        if address == LOCAL:
            cluster = distributed.LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
            )
            client = distributed.Client(cluster, set_as_default=False)
            client._iptkit_cluster = cluster
            return client
        _probe(address)
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot reach the Dask scheduler at {address!r}: {reason}") from None


def _probe(address: str) -> None:
    """Raise :class:`OSError` if nothing listens at a TCP ``address``.

    A refused address fails here at once, before a client is made: a client
    that failed to connect complains again when it is collected.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme in {"tcp", "tls"}:
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=PROBE_SECONDS).close()


def close(client: Any) -> None:
    """Close a client from :func:`connect`, and the local cluster it started."""
    client.close()
    cluster = getattr(client, "_iptkit_cluster", None)
    if cluster is not None:
        cluster.close()


def cli_results(
    address: str, run: StreamRun, options: CheckOptions
) -> Generator[list[Outcome], None, None]:
    """Connect to ``address``; return the outcomes of ``run``'s sources, checked on Dask.

    What ``iptkit check --dask ADDRESS`` reports in place of the results of
    the ``--jobs`` workers: one list of outcomes per source, in order.  A
    source that cannot be read or is skipped is reported through ``run`` as
    the command line does.  Close the generator to close the client.

    Raises:
        UsageError: standard input among the sources, or no scheduler at ``address``.
    """
    if any(source.path is None for source in run.sources):
        raise UsageError("standard input (-) cannot be read with --dask")
    return _results(connect(address), run, options)


def _results(
    client: Any, run: StreamRun, options: CheckOptions
) -> Generator[list[Outcome], None, None]:
    sources = run.sources
    try:
        readable = [
            (i, s) for i, s in enumerate(sources) if s.problem is None and s.skipped is None
        ]
        bag = source_bag(readable, options) if readable else None
        futures = iter(client.compute(_any(bag).to_delayed()) if bag is not None else [])
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
        close(client)
