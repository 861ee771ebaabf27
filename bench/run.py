"""Benchmarks of iptkit's load path against pydantic v2, in one run on one corpus.

Run with ``make bench`` (installs the ``bench`` dependency group) or::

    python bench/run.py            # the full run (see bench/RESULTS.md for its options)
    python bench/run.py --quick    # smoke run: every path on tiny inputs (well under a minute)

What it measures, side by side on the same JSON Lines corpus:

* the JSON parse floor: ``json.loads`` and ``orjson.loads`` per line;
* ``iptkit.loads(TreatmentCourse, line)``: parse, structure and every check;
* ``TreatmentCourse.model_validate_json(line)`` of the pydantic v2 model in
  ``bench/pydantic_model.py`` (the baseline, "pydantic v2");
* ``iptkit.dumps`` against ``model_dump_json``;
* iptkit through pydantic: ``TypeAdapter(TreatmentCourse).validate_json(line)``
  against ``iptkit.loads`` and ``dump_json`` against ``iptkit.dumps``, reported
  as ratios (what a FastAPI app pays for taking iptkit models as pydantic types;
  target: at most 1.1x);
* courses of 16, 64 and 256 session records (cost per course and per session);
* peak memory holding every loaded course, one subprocess per approach;
* ``iptkit check --jobs 1`` against ``--jobs 2`` (wall time, subprocesses);
* peak RSS of ``iptkit check`` streaming files of different sizes;
* ``iptkit check`` on Dask (``bench/dask_case.py``): one and two workers of a
  ``LocalCluster`` against ``--jobs 1`` and ``--jobs 2``, the overhead per course;
* the FHIR export (``bench/fhir_case.py``): ``iptkit.fhir.to_bundle`` and
  ``from_bundle`` per course, apart from the validation of the bundle by
  ``fhir.resources`` (the ``fhir`` extra; skipped, and said, without it);
* import cost as whole processes: ``python -c "import iptkit"``, ``iptkit
  --version``, ``python -c "import pydantic"``, and ``python -c "import
  hypothesis"`` in this venv (where iptkit's hypothesis plugin is registered)
  against a clean venv, made in the work folder, holding the same hypothesis and
  no iptkit.

In-process times are CPU times (``time.process_time``) of the benchmark
process, medians over repeats in which the approaches take turns: on a
shared machine wall time mostly measures the other processes.  Ratios measured
in the same run are the figures to trust.  Import costs are CPU and wall
times of whole processes (medians; each command runs once first to write its
caches); the hypothesis budget is judged on CPU time, for the same reason.
Results are printed as Markdown and written as JSON to the work folder.

``--quick`` runs every one of these paths on a few dozen courses, to show that
the benchmarks work (``make bench-smoke``, run by CI); its ratios are too noisy
to read anything from.  It measures the hypothesis import against the clean
venv when pip can install hypothesis there (or the venv is already in the work
folder), and says so when it cannot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import check_case  # noqa: E402  (bench/ is not a package)
import corpus  # noqa: E402
import dask_case  # noqa: E402
import fhir_case  # noqa: E402

#: Session records per course, for the growth measurements.
SESSION_COUNTS = (16, 64, 256)
#: The most hypothesis may add to ``import hypothesis`` in this venv over a clean one.
HYPOTHESIS_BUDGET_MS = 30.0
#: The most loading through ``TypeAdapter(TreatmentCourse).validate_json`` may take
#: over ``iptkit.loads`` (a ratio of CPU times in the same run).
TYPE_ADAPTER_BUDGET = 1.1
#: Names of the timings of iptkit through pydantic's ``TypeAdapter``.
ADAPTER_LOAD = "iptkit TypeAdapter.validate_json"
ADAPTER_DUMP = "iptkit TypeAdapter.dump_json"
#: Names of the timings with the compiled path of the ``fast`` extra (msgspec).
FAST_LOAD = "iptkit [fast]"
FAST_DUMP = "iptkit dumps [fast]"
#: The targets, as ratios to pydantic v2 in the same run: (timing, baseline, at most).
TARGETS = (
    ("iptkit", "pydantic v2", 1.3),
    ("iptkit dumps", "pydantic v2 model_dump_json", 1.0),
    (FAST_LOAD, "pydantic v2", 0.9),
    (FAST_DUMP, "pydantic v2 model_dump_json", 0.5),
)

Approach = Callable[[bytes], Any]


# --------------------------------------------------------------------------
# Approaches
# --------------------------------------------------------------------------


def load_approaches() -> dict[str, Approach]:
    """The loaders compared, by name (imported here so a subprocess pays only for its own)."""
    import orjson

    import iptkit
    import pydantic_model

    course = iptkit.TreatmentCourse

    def iptkit_loads(line: bytes) -> Any:
        return iptkit.loads(course, line)

    return {
        "json.loads": json.loads,
        "orjson.loads": orjson.loads,
        "iptkit": iptkit_loads,
        "pydantic v2": pydantic_model.TreatmentCourse.model_validate_json,
    }


# --------------------------------------------------------------------------
# In-process timing
# --------------------------------------------------------------------------


def _median_times(jobs: dict[str, Callable[[], None]], repeats: int) -> dict[str, dict[str, float]]:
    """Run each job ``repeats`` times, taking turns; return median CPU and wall seconds."""
    cpu: dict[str, list[float]] = {name: [] for name in jobs}
    wall: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeats):
        for name, job in jobs.items():
            gc.collect()
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            job()
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start_wall)
    return {
        name: {"cpu": statistics.median(cpu[name]), "wall": statistics.median(wall[name])}
        for name in jobs
    }


def _each(function: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            function(item)

    return run


def _compiled_path() -> tuple[Any, Any]:
    """The compiled reader and writer of the ``fast`` extra (``None`` if not installed)."""
    from iptkit._io import _fast

    if not _fast.installed():
        return None, None
    return _fast.load_plain, _fast.dump_text


def _on_path(job: Callable[[], None], compiled: tuple[Any, Any]) -> Callable[[], None]:
    """``job`` run with the codec's compiled path set to ``compiled`` (``(None, None)``: pure)."""
    from iptkit._io import _codec

    def run() -> None:
        saved = _codec.accelerated()
        _codec.use_accelerator(*compiled)
        try:
            job()
        finally:
            _codec.use_accelerator(*saved)

    return run


def time_corpus(lines: list[bytes], repeats: int) -> dict[str, dict[str, float]]:
    """Time every loader and dumper over ``lines``; seconds per course.

    Besides the approaches of :func:`load_approaches`, iptkit's course model is
    timed through pydantic (``TypeAdapter``), loading and dumping, after a check
    that it gives the same objects and the same JSON as ``loads`` and ``dumps``.
    """
    from pydantic import TypeAdapter

    import iptkit

    approaches = load_approaches()
    ipt_objects = [approaches["iptkit"](line) for line in lines]
    pyd_objects = [approaches["pydantic v2"](line) for line in lines]
    adapter = TypeAdapter(iptkit.TreatmentCourse)
    for line, obj in zip(lines, ipt_objects, strict=True):
        same_json = json.loads(adapter.dump_json(obj)) == json.loads(iptkit.dumps(obj))
        if adapter.validate_json(line) != obj or not same_json:
            msg = "TypeAdapter(TreatmentCourse) disagrees with iptkit.loads or iptkit.dumps"
            raise RuntimeError(msg)
    pure, compiled = (None, None), _compiled_path()
    jobs = {name: _each(load, lines) for name, load in approaches.items()}
    # "iptkit" is the pure-Python path (the default install); "[fast]" the fast extra's.
    jobs["iptkit"] = _on_path(jobs["iptkit"], pure)
    if compiled[0] is not None:
        jobs[FAST_LOAD] = _on_path(_each(approaches["iptkit"], lines), compiled)
    jobs[ADAPTER_LOAD] = _on_path(_each(adapter.validate_json, lines), pure)
    jobs["iptkit dumps"] = _on_path(_each(iptkit.dumps, ipt_objects), pure)
    if compiled[0] is not None:
        jobs[FAST_DUMP] = _on_path(_each(iptkit.dumps, ipt_objects), compiled)
    jobs[ADAPTER_DUMP] = _on_path(_each(adapter.dump_json, ipt_objects), pure)
    jobs["pydantic v2 model_dump_json"] = _each(lambda m: m.model_dump_json(), pyd_objects)
    del ipt_objects, pyd_objects
    medians = _median_times(jobs, repeats)
    return {
        name: {kind: seconds / len(lines) for kind, seconds in times.items()}
        for name, times in medians.items()
    }


# --------------------------------------------------------------------------
# Memory, one subprocess per approach
# --------------------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0  # pragma: no cover - not Linux


def memory_child(name: str, path: str, count: int) -> None:
    """Load ``count`` lines of ``path`` with approach ``name`` and hold them all; print sizes."""
    load = load_approaches()[name]
    with open(path, "rb") as source:
        lines = [line for _, line in zip(range(count), source, strict=False)]
    gc.collect()
    before = _rss_kib()
    start = time.process_time()
    held = [load(line) for line in lines]
    seconds = time.process_time() - start
    gc.collect()
    after = _rss_kib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"courses": len(held), "before": before, "after": after, "peak": peak, "cpu": seconds}
        )
    )


def measure_memory(path: Path, count: int) -> dict[str, dict[str, float]]:
    """Peak and held memory per approach, each in a fresh interpreter."""
    results = {}
    for name in load_approaches():
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", name, str(path), str(count)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[name] = json.loads(out)
    return results


# --------------------------------------------------------------------------
# The command line, in subprocesses
# --------------------------------------------------------------------------


def _iptkit_command() -> list[str]:
    return [sys.executable, "-m", "iptkit"]


def run_check(path: Path, jobs: int) -> dict[str, float]:
    """Run ``iptkit check`` once; return wall seconds and the peak RSS of any of its processes."""
    wrapper = (
        "import resource, subprocess, sys, json\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'code': code, 'peak': usage.ru_maxrss,"
        " 'cpu': usage.ru_utime + usage.ru_stime}))\n"
    )
    command = [*_iptkit_command(), "check", str(path), "--jobs", str(jobs), "--format", "jsonl"]
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True
    ).stdout
    wall = time.perf_counter() - start
    result = json.loads(out)
    if result["code"] not in (0, 1):
        msg = f"iptkit check exited with {result['code']}"
        raise RuntimeError(msg)
    return {"wall": wall, "peak": result["peak"], "cpu": result["cpu"]}


def _spin(count: int) -> int:
    total = 0
    for value in range(count):
        total += value
    return total


def parallel_ceiling(repeats: int, count: int = 4_000_000) -> float:
    """Speed-up two processes get over one on pure, independent CPU work right now.

    On a shared machine this is well below 2: it bounds what ``--jobs 2`` can reach.
    """
    from concurrent.futures import ProcessPoolExecutor

    walls: dict[int, list[float]] = {1: [], 2: []}
    pools = {jobs: ProcessPoolExecutor(max_workers=jobs) for jobs in (1, 2)}
    try:
        for jobs, pool in pools.items():
            list(pool.map(_spin, [10] * jobs))  # start the workers
        for _ in range(repeats):
            for jobs, pool in pools.items():
                start = time.perf_counter()
                list(pool.map(_spin, [count] * 4))
                walls[jobs].append(time.perf_counter() - start)
    finally:
        for pool in pools.values():
            pool.shutdown()
    return statistics.median(walls[1]) / statistics.median(walls[2])


def time_check(path: Path, repeats: int) -> dict[int, dict[str, float]]:
    """Median wall time of ``iptkit check`` with one and two jobs, taking turns."""
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    for _ in range(repeats):
        for jobs in (1, 2):
            runs[jobs].append(run_check(path, jobs))
    return {
        jobs: {
            key: statistics.median(run[key] for run in results) for key in ("wall", "peak", "cpu")
        }
        for jobs, results in runs.items()
    }


# --------------------------------------------------------------------------
# Import cost, whole processes
# --------------------------------------------------------------------------


def _venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _console_script(name: str) -> list[str] | None:
    """The installed console script ``name`` beside this interpreter, if there is one."""
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else None


def clean_hypothesis_venv(workdir: Path, *, quick: bool) -> Path | str:
    """A venv in ``workdir`` with the hypothesis installed here and nothing of iptkit.

    Returns the venv's interpreter, or (when it cannot be made) why not.  The
    venv is kept and reused while it holds the same hypothesis version.  It gets
    no pip of its own: this venv's pip installs into it.
    """
    try:
        version = importlib.metadata.version("hypothesis")
    except importlib.metadata.PackageNotFoundError:
        return "hypothesis is not installed in this venv (make .venv/.dev or the bench group)"
    venv = workdir / "clean-venv"
    python = _venv_bin(venv) / "python"
    marker = venv / f"hypothesis-{version}.installed"
    if not (python.exists() and marker.exists()):
        shutil.rmtree(venv, ignore_errors=True)
        made = subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            return f"python -m venv failed: {made.stderr.strip()}"
        network = ["--retries", "0", "--timeout", "10"] if quick else []
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
        proc = subprocess.run(
            [*pip, *network, "--disable-pip-version-check", f"hypothesis=={version}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return f"pip could not install hypothesis {version} there: {lines[-1] if lines else ''}"
        marker.touch()
    has_iptkit = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('iptkit') is not None)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if has_iptkit != "False":
        msg = f"the clean venv {venv} can import iptkit"
        raise RuntimeError(msg)
    return python


def _process_seconds(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def time_imports(workdir: Path, repeats: int, *, quick: bool) -> dict[str, Any]:
    """Median wall and CPU seconds of whole processes that import things, taking turns.

    Every command runs once first (to write its bytecode caches), then
    ``repeats`` times.  Returns the times by label, the clean venv's status and
    the hypothesis overhead, judged on CPU time: on a shared machine wall time
    mostly measures the other processes.
    """
    python = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    # Bytecode caches, as an installed package has them: written by the first run of each
    # command, into the work folder (not the source tree), even where the environment
    # says not to write them (an import compiled from source costs about twice as much).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    no_plugins = env | {"HYPOTHESIS_NO_PLUGINS": "1"}
    version = _console_script("iptkit") or [python, "-m", "iptkit"]
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c pass": ([python, "-c", "pass"], env),
        "python -c 'import iptkit'": ([python, "-c", "import iptkit"], env),
        f"{'iptkit' if len(version) == 1 else 'python -m iptkit'} --version": (
            [*version, "--version"],
            env,
        ),
        "python -c 'import pydantic'": ([python, "-c", "import pydantic"], env),
        "python -c 'import hypothesis'": ([python, "-c", "import hypothesis"], env),
        "python -c 'import hypothesis', HYPOTHESIS_NO_PLUGINS=1": (
            [python, "-c", "import hypothesis"],
            no_plugins,
        ),
    }
    clean = clean_hypothesis_venv(workdir, quick=quick)
    if isinstance(clean, Path):
        commands["clean venv: python -c pass"] = ([str(clean), "-c", "pass"], env)
        commands["clean venv: python -c 'import hypothesis'"] = (
            [str(clean), "-c", "import hypothesis"],
            env,
        )
    elif not quick:
        msg = f"bench/run.py: the hypothesis import could not be measured: {clean}"
        raise SystemExit(msg)
    walls: dict[str, list[float]] = {label: [] for label in commands}
    cpus: dict[str, list[float]] = {label: [] for label in commands}
    for command, environment in commands.values():
        _process_seconds(command, environment)
    for _ in range(repeats):
        for label, (command, environment) in commands.items():
            wall, cpu = _process_seconds(command, environment)
            walls[label].append(wall)
            cpus[label].append(cpu)
    times = {label: statistics.median(values) for label, values in cpus.items()}
    result: dict[str, Any] = {
        "cpu seconds": times,
        "wall seconds": {label: statistics.median(values) for label, values in walls.items()},
        "repeats": repeats,
        "clean venv": str(clean),
    }
    if isinstance(clean, Path):
        ours = times["python -c 'import hypothesis'"]
        theirs = times["clean venv: python -c 'import hypothesis'"]
        result["hypothesis overhead ms"] = (ours - theirs) * 1e3
        result["hypothesis overhead net of startup ms"] = (
            (ours - times["python -c pass"]) - (theirs - times["clean venv: python -c pass"])
        ) * 1e3
    return result


def report_imports(imports: dict[str, Any]) -> list[str]:
    """The import-time table and the hypothesis overhead against its budget."""
    times, walls = imports["cpu seconds"], imports["wall seconds"]
    lines = [
        f"### Import cost (whole processes, medians of {imports['repeats']})",
        "",
        _row(["command", "CPU ms", "CPU ms over `python -c pass` (same venv)", "wall ms"]),
        _row(["---"] * 4),
    ]
    for label, seconds in times.items():
        bare = "clean venv: python -c pass" if label.startswith("clean venv") else "python -c pass"
        over = (seconds - times[bare]) * 1e3
        lines.append(
            _row([f"`{label}`", f"{seconds * 1e3:.0f}", f"{over:.0f}", f"{walls[label] * 1e3:.0f}"])
        )
    lines.append("")
    overhead = imports.get("hypothesis overhead ms")
    if overhead is None:
        lines.append(
            f"`import hypothesis` against a clean venv: not measured ({imports['clean venv']})."
        )
    else:
        net = imports["hypothesis overhead net of startup ms"]
        verdict = "within" if overhead <= HYPOTHESIS_BUDGET_MS else "OVER"
        lines.append(
            f"`import hypothesis` here takes {overhead:+.0f} ms of CPU against the clean venv "
            f"({net:+.0f} ms net of each venv's bare startup): {verdict} the budget of "
            f"{HYPOTHESIS_BUDGET_MS:.0f} ms."
        )
    return [*lines, ""]


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_facts() -> dict[str, str]:
    """Cores, Python, package versions, date and load, for the record."""
    versions = {}
    for package in ("iptkit", "attrs", "cattrs", "pydantic", "pydantic-core", "orjson", "msgspec"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "load": _load(),
    }


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report_times(sessions: int, times: dict[str, dict[str, float]], courses: int) -> list[str]:
    """One Markdown table of the in-process times for courses of ``sessions`` records."""
    base = times["pydantic v2"]["cpu"]
    floor = times["json.loads"]["cpu"]
    ofloor = times["orjson.loads"]["cpu"]
    lines = [
        f"### {sessions} session records per course ({courses} courses per repeat)",
        "",
        _row(
            [
                "approach",
                "µs/course (CPU)",
                "µs/session",
                "courses/s",
                "vs pydantic v2",
                "vs json.loads",
                "vs orjson.loads",
                "µs/course (wall)",
            ]
        ),
        _row(["---"] * 8),
    ]
    for name, value in times.items():
        cpu = value["cpu"]
        dump = "dump" in name
        reference = times["pydantic v2 model_dump_json"]["cpu"] if dump else base
        lines.append(
            _row(
                [
                    name,
                    f"{cpu * 1e6:.0f}",
                    f"{cpu * 1e6 / sessions:.1f}",
                    f"{1 / cpu:.0f}",
                    f"{cpu / reference:.2f}x",
                    "" if dump else f"{cpu / floor:.2f}x",
                    "" if dump else f"{cpu / ofloor:.2f}x",
                    f"{value['wall'] * 1e6:.0f}",
                ]
            )
        )
    return [*lines, "", *report_adapter(times), ""]


def adapter_ratios(times: dict[str, dict[str, float]]) -> tuple[float, float]:
    """CPU time through ``TypeAdapter`` over iptkit's own: loading, then dumping."""
    load = times[ADAPTER_LOAD]["cpu"] / times["iptkit"]["cpu"]
    dump = times[ADAPTER_DUMP]["cpu"] / times["iptkit dumps"]["cpu"]
    return load, dump


def report_adapter(times: dict[str, dict[str, float]]) -> list[str]:
    """The ratios of iptkit through pydantic's ``TypeAdapter`` to iptkit alone."""
    load, dump = adapter_ratios(times)
    verdict = "within" if load <= TYPE_ADAPTER_BUDGET else "OVER"
    return [
        f"Through pydantic, `TypeAdapter(TreatmentCourse).validate_json` takes {load:.2f}x "
        f"the CPU time of `iptkit.loads` ({verdict} the budget of {TYPE_ADAPTER_BUDGET}x); "
        f"`dump_json` takes {dump:.2f}x that of `iptkit.dumps`."
    ]


def report_targets(times: dict[int, dict[str, dict[str, float]]]) -> list[str]:
    """The ratios the targets are judged on, per size and per added record, and whether met."""
    lines = ["### Against the targets (CPU time, ratio to pydantic v2 in the same run)", ""]
    heads = [f"{n} records" for n in SESSION_COUNTS]
    lines += [_row(["timing", "target", *heads, "per added record", "met?"])]
    lines += [_row(["---"] * (4 + len(SESSION_COUNTS)))]
    for name, base, most in TARGETS:
        if name not in times[SESSION_COUNTS[0]]:
            lines.append(_row([name, f"<= {most}x", *["-"] * len(SESSION_COUNTS), "-", "not run"]))
            continue
        ratios = [times[n][name]["cpu"] / times[n][base]["cpu"] for n in SESSION_COUNTS]
        slopes = [
            linear_fit([(float(n), times[n][which]["cpu"]) for n in SESSION_COUNTS])[1]
            for which in (name, base)
        ]
        per_record = slopes[0] / slopes[1]
        met = "yes" if max(*ratios, per_record) <= most else "no"
        cells = [f"{r:.2f}x" for r in ratios]
        lines.append(_row([name, f"<= {most}x", *cells, f"{per_record:.2f}x", met]))
    return [*lines, ""]


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares line through ``(x, y)`` points: intercept, slope and R squared."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    total = sum((y - mean_y) ** 2 for _, y in points)
    return intercept, slope, 1 - residual / total if total else 1.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, few repeats")
    parser.add_argument("--courses", type=int, default=20_000, help="16-session courses")
    parser.add_argument("--sample", type=int, default=2_000, help="courses timed in-process")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per in-process timing")
    parser.add_argument("--held", type=int, default=20_000, help="courses held in memory")
    parser.add_argument("--check-courses", type=int, default=20_000, help="courses checked")
    parser.add_argument("--check-repeats", type=int, default=2, help="repeats per check run")
    parser.add_argument("--stream-mb", type=int, default=1000, help="size of the streaming file")
    parser.add_argument("--import-repeats", type=int, default=11, help="runs per import command")
    parser.add_argument(
        "--fhir-sample", type=int, default=200, help="16-record courses exported to FHIR"
    )
    parser.add_argument(
        "--ceiling-count", type=int, default=4_000_000, help="loop length of the CPU ceiling"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where corpora and the clean venv go"
    )
    parser.add_argument(
        "--times-only", action="store_true", help="only the in-process timings (no subprocesses)"
    )
    parser.add_argument(
        "--dask-courses", type=int, default=4_000, help="courses checked on Dask (0: skip)"
    )
    parser.add_argument("--dask-parts", type=int, default=8, help="files the Dask corpus is in")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.memory_child:
        name, path, count = args.memory_child
        memory_child(name, path, int(count))
        return 0
    if args.quick:
        args.courses, args.sample, args.repeats, args.held = 48, 16, 2, 48
        args.check_courses, args.check_repeats, args.stream_mb = 48, 1, 0
        args.import_repeats, args.ceiling_count = 3, 300_000
        args.fhir_sample = 8
        args.dask_courses, args.dask_parts = 24, 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="iptkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"facts": machine_facts(), "args": vars(args) | {"workdir": ""}}
    out = ["## Machine", ""]
    out += [f"- {key}: {value}" for key, value in results["facts"].items()]
    out += [f"- command: `python bench/run.py {' '.join(argv or sys.argv[1:])}`".rstrip(), ""]
    print("\n".join(out), flush=True)

    # Corpora: fewer courses for the longer ones, the same number of session records.
    files: dict[int, Path] = {}
    for sessions in SESSION_COUNTS:
        count = max(args.courses * SESSION_COUNTS[0] // sessions, 1)
        files[sessions] = workdir / f"courses-{sessions}.jsonl"
        size = corpus.write_corpus(files[sessions], courses=count, sessions=sessions)
        print(f"- corpus: {count} courses of {sessions} records, {size / 1e6:.1f} MB", flush=True)
    print()

    # In-process: parse floor, load + validate, dump.
    results["times"] = {}
    for sessions in SESSION_COUNTS:
        sample = max(args.sample * SESSION_COUNTS[0] // sessions, 1)
        with files[sessions].open("rb") as source:
            lines = [line for _, line in zip(range(sample), source, strict=False)]
        times = time_corpus(lines, args.repeats)
        results["times"][sessions] = times
        print("\n".join(report_times(sessions, times, len(lines))), flush=True)
    growth = ["### Growth with sessions per course", ""]
    growth += ["CPU µs per session record; fit: µs per course = fixed + per record x records."]
    growth += [""]
    heads = [f"{n} records" for n in SESSION_COUNTS]
    growth += [_row(["approach", *heads, "fixed µs", "µs per record", "R²"])]
    growth += [_row(["---"] * (4 + len(SESSION_COUNTS)))]
    for name in results["times"][SESSION_COUNTS[0]]:
        costs = [(n, results["times"][n][name]["cpu"] * 1e6) for n in SESSION_COUNTS]
        cells = [f"{us / n:.1f}" for n, us in costs]
        fixed, slope, r2 = linear_fit([(float(n), us) for n, us in costs])
        growth.append(_row([name, *cells, f"{fixed:.0f}", f"{slope:.1f}", f"{r2:.4f}"]))
    print("\n".join([*growth, ""]), flush=True)
    print("\n".join(report_targets(results["times"])), flush=True)

    # The checks per core, parse to findings, and where the time goes.
    with files[16].open("rb") as source:
        lines = [line for _, line in zip(range(args.sample), source, strict=False)]
    compiled = _compiled_path()
    timing = (_median_times, _each, _on_path)
    stages = check_case.time_stages(lines, args.repeats, timing, compiled)
    profiles = check_case.profile(lines, _on_path, compiled)
    results["check stages"] = {"times": stages, "profiles": profiles}
    print("\n".join(check_case.report(stages, profiles)), flush=True)

    # The FHIR export: iptkit's share, and fhir.resources' validation, apart.
    with files[16].open("rb") as source:
        lines = [line for _, line in zip(range(args.fhir_sample), source, strict=False)]
    results["fhir"] = fhir_case.time_fhir(lines, args.repeats, _median_times)
    print("\n".join(fhir_case.report_fhir(results["fhir"], 16)), flush=True)
    if args.times_only:
        (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
        print(f"- load average after: {_load()}")
        return 0

    # Memory holding every loaded course.
    held = min(args.courses, args.held)
    memory = measure_memory(files[16], held)
    results["memory"] = memory
    table = [f"### Memory holding {held} loaded 16-record courses (one process each)", ""]
    table += [_row(["approach", "KiB per course held", "peak RSS (MiB)", "load CPU s"])]
    table += [_row(["---"] * 4)]
    for name, value in memory.items():
        per_course = (value["after"] - value["before"]) / value["courses"]
        table.append(
            _row([name, f"{per_course:.1f}", f"{value['peak'] / 1024:.0f}", f"{value['cpu']:.1f}"])
        )
    print("\n".join([*table, ""]), flush=True)

    # The command line: one job against two.
    checked = files[16]
    if args.check_courses != args.courses:
        checked = workdir / f"check-{args.check_courses}.jsonl"
        corpus.write_corpus(checked, courses=args.check_courses, sessions=16)
    ceiling_repeats = 1 if args.quick else 3
    ceiling_before = parallel_ceiling(ceiling_repeats, args.ceiling_count)
    check = time_check(checked, args.check_repeats)
    ceiling = (ceiling_before + parallel_ceiling(ceiling_repeats, args.ceiling_count)) / 2
    results["check"] = check
    results["parallel ceiling"] = ceiling
    speedup = check[1]["wall"] / check[2]["wall"]
    megabytes = checked.stat().st_size / 1e6
    table = [f"### `iptkit check` on {args.check_courses} courses ({megabytes:.0f} MB)"]
    table += ["", _row(["jobs", "wall s", "courses/s", "CPU s (all processes)", "peak RSS MiB"])]
    table += [_row(["---"] * 5)]
    for jobs, value in check.items():
        table.append(
            _row(
                [
                    jobs,
                    f"{value['wall']:.1f}",
                    f"{args.check_courses / value['wall']:.0f}",
                    f"{value['cpu']:.1f}",
                    f"{value['peak'] / 1024:.0f}",
                ]
            )
        )
    table += ["", f"Speed-up of --jobs 2 over --jobs 1: {speedup:.2f}x", ""]
    table += [
        f"Speed-up of 2 processes over 1 on pure CPU work, same run: {ceiling:.2f}x "
        f"(so --jobs 2 reached {speedup / ceiling:.0%} of what the machine allowed).",
        "",
    ]
    print("\n".join(table), flush=True)

    # The same checks on Dask, against --jobs, on a corpus split into files.
    if args.dask_courses:
        folder = workdir / "dask-corpus"
        split = dask_case.split_corpus(
            folder, args.dask_courses, args.dask_parts, corpus.write_corpus
        )
        results["dask"] = dask_case.time_dask(folder, split, args.check_repeats, run_check)
        report = dask_case.report_dask(results["dask"], args.dask_courses, len(split))
        print("\n".join(report), flush=True)

    # Streaming: peak RSS against file size.
    stream_files = [
        (max(args.check_courses // 4, 1), workdir / "stream-quarter.jsonl"),
        (args.check_courses, checked),
    ]
    if args.stream_mb:
        per_course = checked.stat().st_size / args.check_courses
        big = int(args.stream_mb * 1e6 / per_course)
        if big > args.check_courses:
            stream_files.append((big, workdir / f"stream-{big}.jsonl"))
    rows = []
    for count, path in stream_files:
        if not path.exists():
            corpus.write_corpus(path, courses=count, sessions=16)
        run = run_check(path, 2)
        rows.append((count, path.stat().st_size, run))
        if path not in (files[16], checked):
            path.unlink()
    results["stream"] = [{"courses": c, "bytes": b, **r} for c, b, r in rows]
    table = ["### Streaming: `iptkit check --jobs 2`, peak RSS against file size", ""]
    table += [_row(["courses", "file MB", "peak RSS MiB", "wall s", "courses/s"])]
    table += [_row(["---"] * 5)]
    for count, size, run in rows:
        table.append(
            _row(
                [
                    count,
                    f"{size / 1e6:.0f}",
                    f"{run['peak'] / 1024:.0f}",
                    f"{run['wall']:.1f}",
                    f"{count / run['wall']:.0f}",
                ]
            )
        )
    print("\n".join([*table, ""]), flush=True)

    # Import cost, whole processes.
    results["imports"] = time_imports(workdir, args.import_repeats, quick=args.quick)
    print("\n".join(report_imports(results["imports"])), flush=True)

    results["facts"]["load after"] = _load()
    print(f"- load average after: {results['facts']['load after']}")
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"- raw results: {workdir / 'results.json'}")
    print(f"- run time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
