"""Quickstart: build an interpersonal inventory, store it as JSON, read it back.

Run it with ``make demo`` (or ``python examples/quickstart.py`` once iptkit is
installed).  It shows the three things most programs do with iptkit:

1. build a validated model in code;
2. write it as JSON and read it back without losing anything;
3. load a malformed document and report every problem, each with its JSON
   path and a stable code, the way an app would show them next to a form.

The people in the inventory carry pseudonymous labels, never names.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import textwrap
from pathlib import Path

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
    ValidationError,
)

#: A document with several mistakes of the kinds real records show.
MALFORMED = """
{
  "schema_version": 1,
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


def main() -> int:
    """Run the three steps and return a process exit status."""
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
