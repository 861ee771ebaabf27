"""Quickstart: build an inventory, store it as JSON, then read a whole course.

Run it with ``make demo`` (or ``python examples/quickstart.py`` once iptkit is
installed).  It shows the things most programs do with iptkit:

1. build a validated model in code;
2. write it as JSON and read it back without losing anything;
3. load a malformed document and report every problem, each with its JSON
   path and a stable code, the way an app would show them next to a form;
4. load a bundled course of IPT (``examples/data/adult_grief_16.json``) and
   show its schedule, its outcome on the PHQ-9, attendance and the sessions
   left.

The people in the examples carry pseudonymous labels, never names; the
courses are made up.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import iptkit
from iptkit import (
    ContactFrequency,
    DisputeStage,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
    TreatmentCourse,
    ValidationError,
)
from iptkit.measures import InstrumentId

#: The bundled example courses, written by ``examples/make_examples.py``.
DATA = Path(__file__).resolve().parent / "data"

#: A document with several mistakes of the kinds real records show.
MALFORMED = """
{
  "schema_version": 2,
  "relationships": [
    {"label": "P1", "role": "partner", "closness": 1, "in_dispute": "no"},
    {"label": "W1", "role": "boss", "closeness": 9},
    {"label": "M", "role": "parent", "closeness": "2", "died_on": "2025-02-30"}
  ],
  "completed_on": "20260114"
}
"""


def build_inventory() -> InterpersonalInventory:
    """Return a small inventory: a partner in dispute, a mother who died, a friend."""
    return InterpersonalInventory(
        relationships=(
            Relationship(
                label="P1",
                role=RelationshipRole.PARTNER,
                closeness=1,
                contact=ContactFrequency.DAILY,
                in_dispute=True,
                dispute_stage=DisputeStage.IMPASSE,
                expectations=(
                    Expectation(
                        held_by=ExpectationHolder.PATIENT,
                        description="Shares the household work.",
                        met=False,
                    ),
                ),
                changes=(
                    RelationshipChange(
                        on=dt.date(2025, 9, 1),
                        description="Arguments began after the move.",
                        approximate=True,
                    ),
                ),
            ),
            Relationship(
                label="M",
                role=RelationshipRole.PARENT,
                closeness=2,
                deceased=True,
                died_on=dt.date(2025, 6, 14),
            ),
            Relationship(
                label="F1",
                role=RelationshipRole.FRIEND,
                closeness=3,
                contact=ContactFrequency.MONTHLY,
                confiding=True,
            ),
        ),
        completed_on=dt.date(2026, 1, 14),
    )


def show_course(path: Path) -> None:
    """Load a course document and print its schedule, outcome and attendance."""
    course = iptkit.loads(TreatmentCourse, path.read_bytes())
    contract = course.contract
    print(f"\nLoaded {path.name}: course {course.patient_id}, protocol {course.protocol.name}.")
    if course.formulation is not None:
        focus = ", ".join(area.label for area in course.formulation.focus_areas)
        print(f"  Agreed focus: {focus}.")
    if course.schedule is not None:
        zone = ZoneInfo(course.schedule.zone)
        print(f"  Schedule ({course.schedule.zone}):")
        for session in course.schedule.sessions:
            local = session.starts_at.astimezone(zone)
            phase = session.phase.value if session.phase is not None else ""
            print(
                f"    {session.label:>3}  {local:%a %d %b %Y %H:%M}  "
                f"{phase:<12} {session.status.value}"
            )
    outcome = course.outcomes().get(InstrumentId.PHQ9)
    if outcome is not None:
        result = outcome.change
        baseline, final = result.baseline, result.follow_up
        first = outcome.baseline.session
        last = outcome.follow_up.session
        print(
            f"  PHQ-9: {baseline.total} at {f'session {first}' if first else 'screening'} "
            f"({baseline.severity.value}), {final.total} at "
            f"{f'session {last}' if last else 'follow-up'} ({final.severity.value}); "
            f"{float(result.percent or 0):.0f}% lower, response {result.response}, "
            f"remission {result.remission}."
        )
    rate = course.attendance_rate
    if rate is not None:
        print(f"  Attendance: {rate:.0%} of past acute sessions.")
    if contract is not None:
        print(
            f"  Sessions: {course.sessions_used} of {contract.total} used, "
            f"{course.sessions_remaining} remaining."
        )


def main() -> int:
    """Run the steps and return a process exit status."""
    inventory = build_inventory()
    print(f"Built an inventory of {len(inventory.relationships)} relationships.")
    first = repr(inventory.relationships[0])
    print("repr() shows structure but hides labels and free text:")
    print(textwrap.fill(first, width=96, initial_indent="  ", subsequent_indent="    "))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inventory.json"
        path.write_text(iptkit.dumps(inventory, indent=2), encoding="utf-8")
        print(f"\nWrote {path.stat().st_size} bytes of JSON; the first lines:")
        for line in path.read_text(encoding="utf-8").splitlines()[:6]:
            print(f"  {line}")
        again = iptkit.loads(InterpersonalInventory, path.read_bytes())
    if again != inventory:
        print("The inventory read back differs from the one written.", file=sys.stderr)
        return 1
    print("Read it back: equal to the original.")

    print("\nLoading a malformed document:")
    try:
        iptkit.loads(InterpersonalInventory, MALFORMED)
    except ValidationError as error:
        print(f"  {len(error.issues)} problems, all reported at once:")
        for issue in error.issues:
            print(f"  {issue.path:<32} {issue.code:<15} {issue.message}")
        print("\n  The same as data for an API response (errors()):")
        print("  " + json.dumps(error.errors()[0], default=list))
    else:
        print("The malformed document was accepted.", file=sys.stderr)
        return 1

    show_course(DATA / "adult_grief_16.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
