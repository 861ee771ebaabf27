"""``iptkit check`` on Dask against ``--jobs``: what the cluster costs per course.

The corpus is split into files (Dask gives each file to one task, so one file
would keep one worker busy whatever the cluster).  On that folder:

* ``iptkit check --jobs 1`` and ``--jobs 2`` as whole processes (wall time,
  process start included), the measure ``bench/run.py`` takes already;
* ``iptkit.dask.check(files)`` computed on a ``distributed.LocalCluster`` of
  one and of two worker processes (one thread each), started beforehand: the
  wall time of the computation alone, and the start of the cluster apart.

The overhead per course is the Dask wall time less the ``--jobs`` wall time
with as many workers, over the number of courses: what scheduling, moving the
rows back and collecting them cost beyond the checks.  Without the ``dask``
extra the report says so and nothing is measured.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: Runs ``iptkit check`` on a path with some ``--jobs`` once; returns its wall seconds and more.
RunCheck = Callable[[Path, int], dict[str, float]]
#: Writes a corpus of some courses to a path; returns its size in bytes.
WriteCorpus = Callable[..., int]

#: Worker counts measured, for ``--jobs`` and for the Dask cluster alike.
WORKERS = (1, 2)


def split_corpus(folder: Path, courses: int, parts: int, write: WriteCorpus) -> list[Path]:
    """Write ``courses`` 16-record courses as ``parts`` JSON Lines files under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in range(parts):
        count = courses // parts + (1 if part < courses % parts else 0)
        if count:
            path = folder / f"part-{part:03}.jsonl"
            write(path, courses=count, sessions=16, seed=part)
            paths.append(path)
    return paths


def time_dask(
    folder: Path, files: Sequence[Path], repeats: int, run_check: RunCheck
) -> dict[str, Any]:
    """Median wall seconds of ``--jobs N`` and of Dask with N workers, for N in 1 and 2."""
    try:
        import distributed

        import iptkit.dask
    except ImportError as exc:
        return {"missing": str(exc)}
    names = [str(path) for path in files]
    walls: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    starts: dict[int, float] = {}
    for workers in WORKERS:
        start = time.perf_counter()
        cluster: Any = distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None
        )
        client: Any = distributed.Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        starts[workers] = time.perf_counter() - start
        try:
            warm: Any = iptkit.dask.check(names[:1])
            client.compute(warm.count()).result()  # start the workers' imports
            for _ in range(repeats):
                jobs = f"--jobs {workers}"
                walls.setdefault(jobs, []).append(run_check(folder, workers)["wall"])
                begin = time.perf_counter()
                found = client.compute(iptkit.dask.check(names)).result()
                walls.setdefault(f"dask {workers}", []).append(time.perf_counter() - begin)
                rows[f"dask {workers}"] = len(found)
        finally:
            client.close()
            cluster.close()
    return {
        "walls": {name: statistics.median(values) for name, values in walls.items()},
        "cluster start": starts,
        "rows": rows,
    }


def report_dask(result: dict[str, Any], courses: int, parts: int) -> list[str]:
    """Return the Markdown section of the measurement."""
    out = [f"### `iptkit check` on Dask: {courses} courses in {parts} files", ""]
    if "missing" in result:
        return [*out, f"Not measured: {result['missing']}", ""]
    walls = result["walls"]
    out += [
        "Wall seconds, medians. `--jobs`: a whole process, its start and imports included; "
        "Dask: the computation on a cluster already started. On a small corpus the "
        "process start dominates and the overhead comes out negative.",
        "",
    ]
    out += ["| run | wall s | courses/s | overhead µs per course |", "| --- | --- | --- | --- |"]
    for workers in WORKERS:
        jobs, dask = walls[f"--jobs {workers}"], walls[f"dask {workers}"]
        overhead = (dask - jobs) / courses * 1e6
        out.append(f"| `--jobs {workers}` | {jobs:.2f} | {courses / jobs:.0f} | |")
        out.append(
            f"| Dask, {workers} worker{'s' if workers > 1 else ''} | {dask:.2f} | "
            f"{courses / dask:.0f} | {overhead:+.0f} |"
        )
    starts = ", ".join(
        f"{workers} worker{'s' if workers > 1 else ''}: {seconds:.1f} s"
        for workers, seconds in result["cluster start"].items()
    )
    out += ["", f"Starting the LocalCluster (not counted above): {starts}.", ""]
    return out
