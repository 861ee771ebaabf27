"""Plot PHQ-9 totals by acute session in each arm of the demo study.

The corpus (``examples/data/corpus.jsonl``) and its allocation
(``allocation.csv``, next to this script) are made up. Each panel shows one
arm: a thin line per patient and, in bold, the mean total of the patients
measured at each session number. The dotted line is 5: a total below it is
remission on the PHQ-9.

It writes ``docs/_static/phq9_trajectory.png``, the picture on the research
page, unless given another path::

    python examples/research/plot_trajectory.py [OUT.png]

It needs pandas and matplotlib besides ``iptkit[tables]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no window, no display needed

import matplotlib.pyplot as plt
import pandas as pd  # type: ignore[import-untyped]

import iptkit
from iptkit import tables

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "corpus.jsonl"
ALLOCATION = HERE / "allocation.csv"
PICTURE = HERE.parent.parent / "docs" / "_static" / "phq9_trajectory.png"

#: A PHQ-9 total below this is remission.
REMISSION_BELOW = 5


def phq9_by_session(corpus: Path = CORPUS, allocation: Path = ALLOCATION) -> Any:
    """PHQ-9 scores of acute sessions, one row per score, with the patient's arm.

    Columns: ``patient_id``, ``arm``, ``session_number`` and ``total``.
    Patients missing from the allocation file are left out (an inner join).
    """
    scores = tables.scores(iptkit.read_documents(corpus)).to_pandas(types_mapper=pd.ArrowDtype)
    acute = scores[(scores["instrument"] == "phq9") & (scores["session_kind"] == "acute")]
    arms = pd.read_csv(allocation, dtype=str)
    merged = acute.merge(arms, on="patient_id", validate="many_to_one")
    return merged[["patient_id", "arm", "session_number", "total"]]


def mean_by_session(frame: Any) -> Any:
    """The mean total at each session number (rows) in each arm (columns)."""
    return frame.pivot_table(
        index="session_number", columns="arm", values="total", aggfunc="mean"
    ).astype(float)


def plot(frame: Any, out: Any) -> None:
    """Draw one panel per arm and save the figure as PNG to ``out`` (a path or a file)."""
    means = mean_by_session(frame)
    arms = list(means.columns)
    figure, axes = plt.subplots(1, len(arms), figsize=(9, 4), sharey=True, squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=True):
        for _, patient in frame[frame["arm"] == arm].groupby("patient_id"):
            ax.plot(patient["session_number"], patient["total"], color="0.75", linewidth=0.5)
        ax.plot(means.index, means[arm], color="C0", linewidth=2.5, marker="o", label="mean")
        ax.axhline(REMISSION_BELOW, color="C2", linestyle=":", label="remission below 5")
        ax.set_title(f"{arm} ({frame[frame['arm'] == arm]['patient_id'].nunique()} patients)")
        ax.set_xlabel("acute session")
        ax.set_xticks(range(1, int(means.index.max()) + 1, 3))
    axes[0][0].set_ylabel("PHQ-9 total (0-27)")
    axes[0][0].set_ylim(0, 27)
    axes[0][0].legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    """Write the picture; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", type=Path, default=PICTURE, help="the PNG file to write")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    plot(phq9_by_session(), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
