"""Write ``allocation.csv``: the study arm of each patient of the demo corpus.

The allocation is made up, like the corpus: it is not a randomisation. The
patients whose course loads from ``examples/data/corpus.jsonl`` are sorted by
their pseudonymous id and given the arms in turn (``ipt``,
``ipt_plus_medication``, ``ipt``, ...), so the file is the same on every run.
Both arms hold IPT courses, since every document of the corpus is one.

Run it from anywhere to rewrite the file next to this script, or give
``--out PATH`` to write it elsewhere::

    python examples/research/make_allocation.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import iptkit

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "corpus.jsonl"
ALLOCATION = HERE / "allocation.csv"

#: The arms, given in turn by sorted patient id.
ARMS = ("ipt", "ipt_plus_medication")


def patient_ids(corpus: Path = CORPUS) -> list[str]:
    """The sorted ids of the patients whose course loads from ``corpus``."""
    results = iptkit.read_documents(corpus)
    return sorted({r.value.patient_id for r in results if r.value is not None})


def build(corpus: Path = CORPUS) -> str:
    """The CSV text: a header, then one ``patient_id,arm`` line per patient."""
    lines = ["patient_id,arm"]
    for index, patient_id in enumerate(patient_ids(corpus)):
        lines.append(f"{patient_id},{ARMS[index % len(ARMS)]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the allocation file; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ALLOCATION, help="the CSV file to write")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.write_text(build(), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
