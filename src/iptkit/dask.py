"""Run ``iptkit check`` on a Dask cluster: the same checks, the same rows.

:func:`check` turns JSON Lines files (or a bag of raw lines) into a
``dask.bag.Bag`` of row dicts, the ones ``iptkit check --format jsonl``
prints (``file``, ``line``, ``index``, ``patient_id``, ``path``, ``code``,
``severity``, ``message``; without its ``type``).  Each file is read by a
worker, with the readers ``iptkit check`` uses, so file names and line
numbers are kept; documents are checked by the function the ``--jobs``
workers of ``iptkit check`` run.

It needs the ``dask`` extra (``pip install "iptkit[dask]"``) here and on every
worker; without it, importing this module raises
:class:`~iptkit.MissingExtraError`.
"""

from __future__ import annotations

import functools
import glob
import socket
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

from iptkit._checkrun import (
    MAX_PROBLEMS,
    CheckOptions,
    Outcome,
    check_chunk,
    chunked,
    problem_fields,
    problems,
)
from iptkit._errors import IptkitError, MissingExtraError
from iptkit._sources import Oversized, Source, Unit, expand_paths, read_units

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
        A lazy bag of dicts with ``file``, ``line``, ``index`` (the position
        of a document in a JSON file that holds an array, else ``None``),
        ``patient_id`` (``None`` for a document that did not load), ``path``,
        ``code``, ``severity`` and ``message`` (and ``value`` with
        ``show_values``).
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
    return expand_paths(paths)


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
    return [
        problem_fields(problem, options.show_values)
        for outcome in outcomes
        for problem in problems(outcome, names[outcome[0]], options.max_problems)
    ]


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
    of one thread each, closed with the client (see :func:`close`).

    Raises:
        IptkitError: ``distributed`` is missing, or the scheduler cannot be reached.
    """
    try:
        import distributed as _distributed
    except ImportError:  # pragma: no cover - CI installs every extra
        raise MissingExtraError("iptkit check --dask", "dask") from None
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
        raise IptkitError(f"cannot reach the Dask scheduler at {address!r}: {reason}") from None


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
