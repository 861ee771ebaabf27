"""``iptkit export --to parquet|csv --table``, ``iptkit check --format csv``, and their helpers.

The command runs as a real subprocess; what it writes is read back with
pyarrow and pandas and compared with :mod:`iptkit.tables` over
:func:`iptkit.read_documents`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import given

import iptkit
from iptkit import CHECKS, DocumentResult, Finding, TreatmentCourse, read_documents, tables
from iptkit.measures import PHQ9, from_total
from iptkit.measures import change as measure_change
from iptkit.testing import findings

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(iptkit.__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
GRIEF = DATA / "adult_grief_16.json"
TABLE_NAMES = ("courses", "sessions", "scores", "outcomes", "findings")

#: The smallest valid course.
COURSE: dict[str, Any] = {"schema_version": 2, "patient_id": "AB-1", "started_on": "2026-03-02"}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m iptkit ARGS`` and return the finished process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "iptkit", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def results() -> list[DocumentResult[TreatmentCourse]]:
    return list(read_documents(DATA))


def expected(name: str, results: list[DocumentResult[TreatmentCourse]]) -> Any:
    """The table ``name`` of the courses that loaded, as :mod:`iptkit.tables` builds it."""
    loaded = [result for result in results if result.ok]
    return getattr(tables, name)(loaded)


def lines(documents: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(document).encode() + b"\n" for document in documents)


class TestExportTables:
    @pytest.mark.parametrize("name", TABLE_NAMES)
    def test_parquet(
        self, name: str, tmp_path: Path, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """Parquet holds the table of the valid courses, read back by pyarrow and pandas."""
        out = tmp_path / f"{name}.parquet"
        proc = run("export", "--to", "parquet", "--table", name, str(DATA), "-o", str(out))
        assert proc.returncode == 1  # examples/data holds invalid documents on purpose
        assert proc.stdout == b""
        assert b"not valid" in proc.stderr
        table = pq.read_table(out)
        want = expected(name, results)
        assert table.schema == want.schema
        assert table.num_rows == want.num_rows > 0
        assert table.equals(want)
        frame = pd.read_parquet(out)
        assert len(frame) == want.num_rows
        assert list(frame.columns) == want.schema.names

    @pytest.mark.parametrize("name", TABLE_NAMES)
    def test_csv(
        self, name: str, tmp_path: Path, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """CSV on standard output and in a file: the same rows as the table."""
        proc = run("export", "--to", "csv", "--table", name, str(DATA))
        assert proc.returncode == 1
        out = tmp_path / f"{name}.csv"
        to_file = run("export", "--to", "csv", "--table", name, str(DATA), "-o", str(out))
        assert to_file.returncode == 1
        assert to_file.stdout == b""
        assert out.read_bytes() == proc.stdout
        want = expected(name, results)
        frame = pd.read_csv(io.BytesIO(proc.stdout))
        assert list(frame.columns) == want.schema.names
        assert len(frame) == want.num_rows
        assert list(frame["patient_id"]) == want.column("patient_id").to_pylist()
        read = pa_csv.read_csv(io.BytesIO(proc.stdout))
        assert read.num_rows == want.num_rows

    def test_csv_lists_are_joined(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        """A list column is written as its items joined by ``;``."""
        proc = run("export", "--to", "csv", "--table", "sessions", str(DATA))
        rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
        want = expected("sessions", results).column("techniques").to_pylist()
        assert [row["techniques"] for row in rows] == [";".join(items) for items in want]

    def test_percent_is_the_float_view(self, tmp_path: Path) -> None:
        """The exported percent is :attr:`Change.percent_float` of each outcome."""
        out = tmp_path / "outcomes.parquet"
        proc = run("export", "--to", "parquet", "--table", "outcomes", str(GRIEF), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        [result] = read_documents(GRIEF)
        assert result.value is not None
        floats = [o.change.percent_float for o in result.value.outcomes().values()]
        assert pq.read_table(out).column("percent").to_pylist() == floats

    @pytest.mark.parametrize("to", ["parquet", "csv"])
    def test_jobs_give_the_same_bytes(self, to: str, tmp_path: Path) -> None:
        """Two worker processes write exactly what one writes."""
        one, two = tmp_path / "one", tmp_path / "two"
        for jobs, out in (("1", one), ("2", two)):
            proc = run(
                "export",
                "--to",
                to,
                "--table",
                "sessions",
                "--jobs",
                jobs,
                str(DATA),
                "-o",
                str(out),
            )
            assert proc.returncode == 1
        assert one.read_bytes() == two.read_bytes()
        if to == "parquet":
            assert pq.read_table(one).equals(pq.read_table(two))

    def test_all_valid_exits_0(self, tmp_path: Path) -> None:
        out = tmp_path / "courses.parquet"
        feed = lines([COURSE, {**COURSE, "patient_id": "AB-2"}])
        proc = run(
            "export", "--to", "parquet", "--table", "courses", "-", "-o", str(out), stdin=feed
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == b""
        assert pq.read_table(out).column("patient_id").to_pylist() == ["AB-1", "AB-2"]

    def test_no_valid_course_writes_an_empty_table(self) -> None:
        """Nothing valid: a header only, exit 1, the problem on standard error."""
        proc = run("export", "--to", "csv", "--table", "courses", "-", stdin=b"{}\n")
        assert proc.returncode == 1
        assert proc.stdout.decode().splitlines() == [
            ",".join(f'"{name}"' for name in tables.COURSES_SCHEMA.names)
        ]
        assert b"missing_field" in proc.stderr

    def test_invalid_documents_reported_not_written(self, tmp_path: Path) -> None:
        out = tmp_path / "courses.parquet"
        feed = lines([COURSE, {**COURSE, "started_on": "not a date"}])
        proc = run(
            "export", "--to", "parquet", "--table", "courses", "-", "-o", str(out), stdin=feed
        )
        assert proc.returncode == 1
        assert pq.read_table(out).num_rows == 1
        assert b"<stdin>:2" in proc.stderr
        assert b"not a date" not in proc.stderr

    @pytest.mark.parametrize(
        ("args", "says"),
        [
            (("--to", "parquet", "--table", "courses"), b"needs -o FILE"),
            (("--to", "csv"), b"needs --table"),
            (("--to", "fhir", "--table", "courses"), b"--table is for"),
            (("--to", "csv", "--table", "patients"), b"invalid choice"),
        ],
    )
    def test_usage_errors(self, args: tuple[str, ...], says: bytes) -> None:
        proc = run("export", *args, str(GRIEF))
        assert proc.returncode == 2
        assert proc.stdout == b""
        assert says in proc.stderr

    def test_unwritable_output(self, tmp_path: Path) -> None:
        out = tmp_path / "absent" / "courses.parquet"
        proc = run("export", "--to", "parquet", "--table", "courses", str(GRIEF), "-o", str(out))
        assert proc.returncode == 2
        [line] = proc.stderr.decode().splitlines()
        assert "cannot write" in line

    def test_unreadable_input(self, tmp_path: Path) -> None:
        out = tmp_path / "courses.parquet"
        absent = str(tmp_path / "absent.jsonl")
        proc = run("export", "--to", "parquet", "--table", "courses", absent, "-o", str(out))
        assert proc.returncode == 2

    def test_without_pyarrow(self, tmp_path: Path) -> None:
        """Without pyarrow: one line naming the ``tables`` extra, exit 2, nothing written."""
        out = tmp_path / "courses.parquet"
        code = (
            "import sys; sys.modules['pyarrow'] = None; from iptkit._cli._main import main; "
            f"sys.exit(main(['export', '--to', 'parquet', '--table', 'courses', {str(GRIEF)!r}, "
            f"'-o', {str(out)!r}]))"
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, env=env, timeout=60, check=False
        )
        assert proc.returncode == 2
        [line] = proc.stderr.decode().splitlines()
        assert "'tables' extra" in line
        assert not out.exists()


class TestCheckCsv:
    def test_rows_match_jsonl(self) -> None:
        """Header, then the jsonl problem rows; the summary on standard error only."""
        proc = run("check", "--format", "csv", str(DATA))
        jsonl = run("check", "--format", "jsonl", str(DATA))
        assert proc.returncode == jsonl.returncode == 1
        text = proc.stdout.decode()
        assert text.splitlines()[0] == "file,line,index,patient_id,path,code,severity,message"
        rows = list(csv.DictReader(io.StringIO(text)))
        problems = [json.loads(line) for line in jsonl.stdout.decode().splitlines()]
        assert {r["type"] for r in problems} == {"problem"}
        assert len(rows) == len(problems) > 0
        for row, problem in zip(rows, problems, strict=True):
            del problem["type"]
            assert row == {k: "" if v is None else str(v) for k, v in problem.items()}
        summary = json.loads(jsonl.stderr.decode().splitlines()[-1])
        assert summary["type"] == "summary"
        err = proc.stderr.decode()
        assert f"{summary['documents']['read']:,} read" in err
        assert "Documents:" not in text
        assert "Problems:" not in text

    def test_show_values_adds_the_column(self) -> None:
        feed = lines([{**COURSE, "schema_version": "secret text"}])
        hidden = run("check", "--format", "csv", "-", stdin=feed)
        shown = run("check", "--format", "csv", "--show-values", "-", stdin=feed)
        assert b"secret" not in hidden.stdout
        [row] = list(csv.DictReader(io.StringIO(shown.stdout.decode())))
        assert row["code"] == "wrong_type"
        assert "secret text" in row["value"]

    def test_a_key_cannot_forge_a_row(self) -> None:
        """Line breaks and controls in an unknown key stay inside one escaped cell."""
        key = 'x"\n<stdin>,9,$,forged,error,"forged"\r\n\x0b\x1c\x85\u2028\x1b[31m'
        feed = lines([{**COURSE, key: 1}])
        proc = run("check", "--format", "csv", "-", stdin=feed)
        assert proc.returncode == 1
        text = proc.stdout.decode()
        physical = text.splitlines()  # splits on every line break Python knows
        rows = list(csv.reader(io.StringIO(text)))
        assert len(physical) == len(rows) == 2
        [header, row] = rows
        assert len(row) == len(header)
        assert row[header.index("code")] == "unknown_field"
        assert "forged" not in [cell for r in rows for cell in r]
        assert "\x1b" not in text
        assert "\x85" not in text


class TestFindings:
    @given(findings())
    def test_strategy_draws_real_checks(self, finding: Finding) -> None:
        severities = {info.code: info.severity for info in CHECKS}
        assert finding.code in severities
        assert finding.severity is severities[finding.code]
        assert finding.path.startswith("$")
        assert finding.message


class TestPercentFloat:
    def test_float_view_of_the_exact_percent(self) -> None:
        change = measure_change(from_total(PHQ9, 3), from_total(PHQ9, 2))
        assert change.percent == Fraction(100, 3)
        assert change.percent_float == pytest.approx(100 / 3)
        assert isinstance(change.percent_float, float)

    def test_none_when_baseline_is_zero(self) -> None:
        change = measure_change(from_total(PHQ9, 0), from_total(PHQ9, 2))
        assert change.percent is None
        assert change.percent_float is None
