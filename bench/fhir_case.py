"""The FHIR export: iptkit's share and fhir.resources' share, measured apart.

For courses of the bench corpus, in one process, medians over repeats in
which the approaches take turns (CPU time, as the rest of ``bench/run.py``):

* ``iptkit.fhir.to_bundle``: the course as a FHIR R4 Bundle (plain dicts);
* ``iptkit.fhir.from_bundle``: the bundle read back into a course;
* ``json.dumps`` of the bundle, the cost of writing it as a line;
* ``Bundle.model_validate`` of ``fhir.resources.R4B`` on the bundle (every
  resource in it checked by its R4B model), when the ``fhir`` extra is
  installed; otherwise the report says so.

``iptkit.loads`` of the same lines is timed beside them for scale.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any

#: Times each job ``repeats`` times, taking turns; returns median CPU and wall seconds.
Timer = Callable[[dict[str, Callable[[], None]], int], dict[str, dict[str, float]]]

LOAD = "iptkit.loads (for scale)"
TO_BUNDLE = "iptkit to_bundle"
FROM_BUNDLE = "iptkit from_bundle"
DUMPS = "json.dumps(bundle)"
VALIDATE = "fhir.resources R4B Bundle.model_validate"


def _each(function: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            function(item)

    return run


def time_fhir(lines: list[bytes], repeats: int, timer: Timer) -> dict[str, Any]:
    """Time the export of ``lines`` (course documents) and its validation; seconds per course."""
    import iptkit
    from iptkit.fhir import from_bundle, to_bundle

    courses = [iptkit.loads(iptkit.TreatmentCourse, line) for line in lines]
    bundles = [to_bundle(course) for course in courses]
    jobs = {
        LOAD: _each(lambda line: iptkit.loads(iptkit.TreatmentCourse, line), lines),
        TO_BUNDLE: _each(to_bundle, courses),
        FROM_BUNDLE: _each(from_bundle, bundles),
        DUMPS: _each(json.dumps, bundles),
    }
    note = ""
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        note = "fhir.resources is not installed here (the `fhir` extra): validation not measured."
    else:
        jobs[VALIDATE] = _each(Bundle.model_validate, bundles)
    medians = timer(jobs, repeats)
    return {
        "courses": len(lines),
        "repeats": repeats,
        "resources per bundle": statistics.mean(len(b["entry"]) for b in bundles),
        "bytes per bundle": statistics.mean(len(json.dumps(b)) for b in bundles),
        "seconds per course": {
            name: {kind: seconds / len(lines) for kind, seconds in times.items()}
            for name, times in medians.items()
        },
        "note": note,
    }


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report_fhir(result: dict[str, Any], sessions: int) -> list[str]:
    """The Markdown table of :func:`time_fhir`'s result."""
    times = result["seconds per course"]
    own = times[TO_BUNDLE]["cpu"]
    lines = [
        f"### FHIR export, {sessions}-record courses ({result['courses']} courses, "
        f"medians of {result['repeats']})",
        "",
        f"A bundle holds {result['resources per bundle']:.0f} resources, "
        f"{result['bytes per bundle'] / 1e3:.0f} KB as JSON.",
        "",
        _row(["step", "µs/course (CPU)", "courses/s", "vs to_bundle", "µs/course (wall)"]),
        _row(["---"] * 5),
    ]
    for name, value in times.items():
        cpu = value["cpu"]
        lines.append(
            _row(
                [
                    name,
                    f"{cpu * 1e6:.0f}",
                    f"{1 / cpu:.0f}",
                    f"{cpu / own:.2f}x",
                    f"{value['wall'] * 1e6:.0f}",
                ]
            )
        )
    lines.append("")
    if VALIDATE in times:
        share = own / (own + times[VALIDATE]["cpu"])
        lines.append(
            f"Export and validation together: iptkit's to_bundle is {share:.0%} of the time, "
            f"fhir.resources' validation {1 - share:.0%}."
        )
    else:
        lines.append(result["note"])
    return [*lines, ""]
