"""Throughput of the checks, parse to findings, and where the time goes.

``iptkit check`` reads a line, loads the course (parse, structure, every
invariant) and runs the protocol checks on it.  This part times those steps
in one process, per course, beside the parse floor (``json.loads`` and
``orjson.loads``), on the pure-Python path and with the ``fast`` extra, and
profiles one pass to say which parts of the package the time goes to.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable, Sequence
from typing import Any

#: Where a function's module puts it, first match wins (prefixes of the file path).
STAGES = (
    ("protocol checks (findings)", ("iptkit/_checks.py",)),
    ("parse: the standard library's JSON decoder", ("json/", "<method 'decode' of '_json")),
    ("parse: msgspec (fast extra)", ("msgspec",)),
    ("structure: the codec's hooks and writers", ("iptkit/_io/", "<iptkit-generated")),
    ("model checks: field checks, canonical forms", ("iptkit/_model.py", "iptkit/_types.py")),
    ("cross-field rules: session numbering, phases", ("iptkit/_sessions.py", "iptkit/_schedule")),
    ("cross-field rules: other models", ("iptkit/_c", "iptkit/_measures", "iptkit/_recurrence")),
    ("enumerations (hashing members)", ("enum.py",)),
)
OTHER = "other (the standard library, built-ins)"

Timer = Callable[[dict[str, Callable[[], None]], int], dict[str, dict[str, float]]]
OnPath = Callable[[Callable[[], None], tuple[Any, Any]], Callable[[], None]]
Each = Callable[[Callable[[Any], Any], Sequence[Any]], Callable[[], None]]


def time_stages(
    lines: Sequence[bytes],
    repeats: int,
    timing: tuple[Timer, Each, OnPath],
    compiled: tuple[Any, Any],
) -> dict[str, dict[str, float]]:
    """CPU and wall seconds per course of each step, pure and (if installed) compiled.

    ``timing``: run.py's median timer, its loop over items, and its switch of paths.
    """
    import json

    import orjson

    import iptkit

    timer, each, on_path = timing
    course = iptkit.TreatmentCourse
    courses = [iptkit.loads(course, line) for line in lines]

    def loads_and_check(line: bytes) -> None:
        iptkit.check(iptkit.loads(course, line))

    pure = (None, None)
    jobs = {
        "json.loads": each(json.loads, lines),
        "orjson.loads": each(orjson.loads, lines),
        "iptkit.check (findings only)": each(iptkit.check, courses),
        "loads + check": on_path(each(loads_and_check, lines), pure),
    }
    if compiled[0] is not None:
        jobs["loads + check [fast]"] = on_path(each(loads_and_check, lines), compiled)
    medians = timer(jobs, repeats)
    return {
        name: {kind: seconds / len(lines) for kind, seconds in times.items()}
        for name, times in medians.items()
    }


def profile(lines: Sequence[bytes], on_path: OnPath, compiled: tuple[Any, Any]) -> dict[str, Any]:
    """Profile loads + check over ``lines`` on each path; the share of time per stage."""
    import iptkit

    course = iptkit.TreatmentCourse
    result: dict[str, Any] = {}
    paths = {"pure": (None, None)}
    if compiled[0] is not None:
        paths["fast"] = compiled
    for name, path in paths.items():
        profiler = cProfile.Profile()

        def run(profiler: cProfile.Profile = profiler) -> None:
            profiler.enable()
            for line in lines:
                iptkit.check(iptkit.loads(course, line))
            profiler.disable()

        on_path(run, path)()
        stats = pstats.Stats(profiler)
        shares: dict[str, float] = {}
        top: list[tuple[str, float]] = []
        raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
        for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in raw.items():
            stage = _stage(filename, function)
            shares[stage] = shares.get(stage, 0.0) + tottime
            top.append((f"{_short(filename)}:{function}", tottime))
        total = sum(shares.values()) or 1.0
        top.sort(key=lambda item: -item[1])
        result[name] = {
            "stages": {stage: seconds / total for stage, seconds in shares.items()},
            "top": [(where, seconds / total) for where, seconds in top[:10]],
        }
    return result


def _stage(filename: str, function: str) -> str:
    where = filename if filename != "~" else function
    for stage, prefixes in STAGES:
        if any(prefix in where for prefix in prefixes):
            return stage
    return OTHER


def _short(filename: str) -> str:
    if "/iptkit/" in filename:
        return "iptkit/" + filename.split("/iptkit/", 1)[1]
    return filename.rsplit("/", 1)[-1]


def report(times: dict[str, dict[str, float]], profiles: dict[str, Any]) -> list[str]:
    """Markdown: throughput per core beside the parse floor, then the profile."""
    floor = times["json.loads"]["cpu"]
    lines = [
        "### `iptkit check` per core: parse to findings (16-record courses, in-process)",
        "",
        "| step | µs/course (CPU) | courses/s per core | vs json.loads |",
        "| --- | --- | --- | --- |",
    ]
    for name, value in times.items():
        cpu = value["cpu"]
        lines.append(f"| {name} | {cpu * 1e6:.0f} | {1 / cpu:.0f} | {cpu / floor:.2f}x |")
    lines.append("")
    for path, found in profiles.items():
        lines += [
            f"Where the time of loads + check goes ({path} path, share of profiled time):",
            "",
        ]
        lines += ["| stage | share |", "| --- | --- |"]
        for stage, share in sorted(found["stages"].items(), key=lambda item: -item[1]):
            lines.append(f"| {stage} | {share:.0%} |")
        lines += ["", "Top functions by own time:", ""]
        lines += ["| function | share |", "| --- | --- |"]
        lines += [f"| `{where}` | {share:.1%} |" for where, share in found["top"]]
        lines.append("")
    return lines
