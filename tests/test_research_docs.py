"""The research page's files: the allocation of the demo study and the PHQ-9 picture.

``docs/research.md`` joins the demo corpus to ``examples/research/allocation.csv``
and shows a picture drawn by ``examples/research/plot_trajectory.py``. The
doctests of the page run in ``make docs``; these tests keep the files they
rely on true to the scripts that write them.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

import iptkit
from iptkit import tables

ROOT = Path(__file__).resolve().parent.parent
RESEARCH = ROOT / "examples" / "research"
CORPUS = ROOT / "examples" / "data" / "corpus.jsonl"
ALLOCATION = RESEARCH / "allocation.csv"
PAGE = ROOT / "docs" / "research.md"
PICTURE = ROOT / "docs" / "_static" / "phq9_trajectory.png"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_script(name: str) -> ModuleType:
    """A script of examples/research, imported as a module."""
    spec = importlib.util.spec_from_file_location(name, RESEARCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature and its first and last chunks."""
    assert data[:8] == _PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def allocation() -> dict[str, str]:
    """The arm of each patient, as the committed CSV gives it."""
    with ALLOCATION.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    arms = {row["patient_id"]: row["arm"] for row in rows}
    assert len(arms) == len(rows), "a patient is allocated twice"
    return arms


@pytest.fixture(scope="module")
def plotting() -> ModuleType:
    return load_script("plot_trajectory")


class TestAllocation:
    def test_reproduces_the_committed_file(self) -> None:
        """make_allocation.py writes exactly allocation.csv, byte for byte."""
        built = load_script("make_allocation").build()
        assert ALLOCATION.read_bytes().decode("utf-8") == built

    def test_main_writes_to_a_file(self, tmp_path: Path) -> None:
        """``--out`` writes the same text elsewhere."""
        module = load_script("make_allocation")
        out = tmp_path / "allocation.csv"
        assert module.main(["--out", str(out)]) == 0
        assert out.read_text(encoding="utf-8") == ALLOCATION.read_text(encoding="utf-8")

    def test_every_loaded_patient_has_one_arm(self) -> None:
        """The file covers the patients whose course loads, no one else, in two even arms."""
        loaded = {r.value.patient_id for r in iptkit.read_documents(CORPUS) if r.value is not None}
        arms = allocation()
        assert set(arms) == loaded
        counts = sorted(list(arms.values()).count(arm) for arm in set(arms.values()))
        assert counts == [len(loaded) // 2, len(loaded) // 2]

    def test_not_among_the_scanned_documents(self) -> None:
        """examples/data keeps only course documents: the allocation lives elsewhere."""
        assert not list((ROOT / "examples" / "data").glob("*.csv"))


class TestTrajectoryPicture:
    def test_script_writes_a_png(self, tmp_path: Path) -> None:
        """Run as a command, the script writes a PNG picture of a readable size."""
        out = tmp_path / "phq9.png"
        subprocess.run(
            [sys.executable, str(RESEARCH / "plot_trajectory.py"), str(out)],
            check=True,
            capture_output=True,
        )
        data = out.read_bytes()
        assert len(data) > 20_000
        width, height = png_size(data)
        assert width >= 600
        assert height >= 300

    def test_committed_picture_is_a_png(self) -> None:
        """The picture the page shows is there and is a PNG."""
        width, height = png_size(PICTURE.read_bytes())
        assert width > height > 0

    def test_page_shows_the_picture(self) -> None:
        """The research page includes the picture and names the script that draws it."""
        text = PAGE.read_text(encoding="utf-8")
        assert re.search(r"```\{image\} _static/phq9_trajectory\.png\n", text)
        assert "examples/research/plot_trajectory.py" in text

    def test_means_match_the_scores_table(self, plotting: ModuleType) -> None:
        """Each plotted mean is the mean PHQ-9 total of that acute session in that arm."""
        arms = allocation()
        totals: dict[tuple[str, int], list[int]] = defaultdict(list)
        for row in tables.scores(iptkit.read_documents(CORPUS)).to_pylist():
            if row["instrument"] == "phq9" and row["session_kind"] == "acute":
                totals[arms[row["patient_id"]], row["session_number"]].append(row["total"])
        means = plotting.mean_by_session(plotting.phq9_by_session())
        plotted = {
            (str(arm), int(number)): float(value)
            for arm in means.columns
            for number, value in means[arm].items()
        }
        assert plotted == pytest.approx({key: sum(v) / len(v) for key, v in totals.items()})
        assert {number for _, number in plotted} == set(range(1, 17))
