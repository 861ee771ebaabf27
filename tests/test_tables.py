"""Typed Arrow tables of courses, as pandas, DuckDB and Parquet read them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

import iptkit
from iptkit import DocumentResult, TreatmentCourse, read_documents, tables

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
GRIEF = DATA / "adult_grief_16.json"


@pytest.fixture(scope="module")
def results() -> list[DocumentResult[TreatmentCourse]]:
    return list(read_documents(DATA))


@pytest.fixture(scope="module")
def grief() -> TreatmentCourse:
    [result] = read_documents(GRIEF)
    assert result.value is not None
    return result.value


def query(sql: str) -> list[tuple[Any, ...]]:
    """The rows of a DuckDB query."""
    relation = duckdb.sql(sql)
    assert relation is not None
    return relation.fetchall()


TABLES: dict[str, tuple[Any, Any, Any]] = {
    "courses": (tables.courses, tables.courses_batches, tables.COURSES_SCHEMA),
    "sessions": (tables.sessions, tables.sessions_batches, tables.SESSIONS_SCHEMA),
    "scores": (tables.scores, tables.scores_batches, tables.SCORES_SCHEMA),
    "outcomes": (tables.outcomes, tables.outcomes_batches, tables.OUTCOMES_SCHEMA),
    "findings": (tables.findings, tables.findings_batches, tables.FINDINGS_SCHEMA),
}


class TestSchemas:
    @pytest.mark.parametrize("name", sorted(TABLES))
    def test_schema_and_patient_id(
        self, name: str, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """Every table has its documented schema, and patient_id first."""
        build, _, schema = TABLES[name]
        table = build(results)
        assert table.schema.equals(schema)
        assert table.schema.names[0] == "patient_id"
        assert table.num_rows > 0

    @pytest.mark.parametrize("name", sorted(TABLES))
    def test_empty(self, name: str) -> None:
        build, _, schema = TABLES[name]
        table = build([])
        assert table.num_rows == 0
        assert table.schema.equals(schema)

    def test_types(self) -> None:
        """Dates are date32, instants UTC timestamps, percentages float64, enums strings."""
        assert tables.COURSES_SCHEMA.field("started_on").type == pa.date32()
        assert tables.SESSIONS_SCHEMA.field("starts_at").type == pa.timestamp("us", tz="UTC")
        assert tables.SESSIONS_SCHEMA.field("status").type == pa.string()
        assert tables.SESSIONS_SCHEMA.field("techniques").type == pa.list_(pa.string())
        assert tables.OUTCOMES_SCHEMA.field("percent").type == pa.float64()
        assert tables.OUTCOMES_SCHEMA.field("percent").nullable
        assert tables.OUTCOMES_SCHEMA.field("response").type == pa.bool_()
        assert tables.SCORES_SCHEMA.field("on").type == pa.date32()

    def test_no_private_fields(self) -> None:
        """Free text marked private in the models is in no table."""
        private = {"notes", "task_set", "description", "reason", "linked_people", "label_of"}
        for _, _, schema in TABLES.values():
            assert not private & set(schema.names)


class TestValues:
    def test_courses_row(self, grief: TreatmentCourse) -> None:
        [row] = tables.courses([grief]).to_pylist()
        assert row["patient_id"] == "EX-GRIEF-01"
        assert row["protocol"] == "ipt_uk"
        assert row["started_on"] == dt.date(2025, 2, 3)
        assert row["focus_areas"] == ["grief"]
        assert (row["contracted_sessions"], row["acute_records"]) == (16, 16)
        assert row["attendance_rate"] == 1.0

    def test_sixteen_acute_sessions(self, grief: TreatmentCourse) -> None:
        table = tables.sessions([grief])
        assert table.num_rows == 16
        assert set(table.column("kind").to_pylist()) == {"acute"}
        assert table.column("number").to_pylist() == list(range(1, 17))
        assert table.column("label").to_pylist() == [str(n) for n in range(1, 17)]
        first = table.column("starts_at")[0].as_py()
        assert first == grief.sessions[0].starts_at
        assert first.utcoffset() == dt.timedelta(0)

    def test_phq9_scores(self, grief: TreatmentCourse) -> None:
        table = tables.scores([grief])
        phq9 = [r for r in table.to_pylist() if r["instrument"] == "phq9"]
        assert len(phq9) == 6
        assert phq9[0]["total"] == 18
        assert phq9[0]["session"] is None  # the screening measure, outside a session
        assert phq9[-1]["total"] == 4
        expected = [s.total for _, _, s in grief.all_scores() if s.instrument.value == "phq9"]
        assert [r["total"] for r in phq9] == expected

    def test_outcomes_float_beside_fraction(self, grief: TreatmentCourse) -> None:
        rows = {r["instrument"]: r for r in tables.outcomes([grief]).to_pylist()}
        change = grief.outcomes()[iptkit.measures.InstrumentId.PHQ9].change
        phq9 = rows["phq9"]
        assert (phq9["baseline_total"], phq9["follow_up_total"]) == (18, 4)
        assert change.percent is not None
        assert phq9["percent"] == pytest.approx(float(change.percent))
        assert (phq9["response"], phq9["remission"]) == (True, True)

    def test_percent_null_for_zero_baseline(self, grief: TreatmentCourse) -> None:
        """A baseline of 0 leaves the percent change undefined: null, not NaN."""
        zero = iptkit.measures.from_total(iptkit.measures.PHQ9, 0)
        first = iptkit.measures.Measurement(taken_on=grief.started_on, score=zero)
        course = iptkit.evolve(grief, measurements=(first,))
        rows = {r["instrument"]: r for r in tables.outcomes([course]).to_pylist()}
        assert rows["phq9"]["percent"] is None
        assert rows["phq9"]["response"] is None

    def test_failed_documents(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        """The data tables take the loaded courses; findings keeps the failures."""
        loaded = sum(r.ok for r in results)
        assert tables.courses(results).num_rows == loaded == 183
        found = tables.findings(results)
        assert found.num_rows == len(list(iptkit.findings_rows(results)))
        assert found.filter(pa.compute.is_null(found.column("patient_id"))).num_rows > 0


class TestPandas:
    def test_typed_columns(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        """As documented: date_as_object=False gives datetime64 columns, percent float64."""
        frame = tables.outcomes(results).to_pandas(date_as_object=False)
        assert frame["baseline_on"].dtype.kind == "M"
        assert frame["percent"].dtype == "float64"
        assert frame["baseline_total"].dtype == "int32"
        sessions = tables.sessions(results).to_pandas()
        assert str(sessions["starts_at"].dtype).startswith("datetime64")
        assert str(sessions["starts_at"].dt.tz) == "UTC"

    def test_arrow_dtypes(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        frame = tables.courses(results).to_pandas(types_mapper=pd.ArrowDtype)
        assert str(frame["started_on"].dtype) == "date32[day][pyarrow]"
        assert str(frame["ended_on"].dtype) == "date32[day][pyarrow]"

    def test_findings_frame(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        frame = pd.DataFrame.from_records(iptkit.findings_rows(results))
        counts = frame["severity"].value_counts().to_dict()
        assert counts == {"error": 123, "warning": 60, "info": 36}


class TestParquet:
    def test_duckdb_over_parquet(
        self, tmp_path: Path, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        for name, (build, _, _) in TABLES.items():
            pq.write_table(build(results), tmp_path / f"{name}.parquet")
        sessions = (tmp_path / "sessions.parquet").as_posix()
        rows = query(
            f"select count(*) from '{sessions}' where patient_id = 'EX-GRIEF-01' and kind = 'acute'"
        )
        assert rows == [(16,)]
        courses = (tmp_path / "courses.parquet").as_posix()
        assert query(f"select count(*) from '{courses}'") == [(183,)]
        findings = (tmp_path / "findings.parquet").as_posix()
        by_severity = dict(query(f"select severity, count(*) from '{findings}' group by severity"))
        assert by_severity == {"error": 123, "warning": 60, "info": 36}
        outcomes = (tmp_path / "outcomes.parquet").as_posix()
        [(kind,)] = query(f"select typeof(percent) from '{outcomes}' limit 1")
        assert kind == "DOUBLE"

    @pytest.mark.parametrize("name", sorted(TABLES))
    def test_streamed_write_equals_one_batch(
        self, name: str, tmp_path: Path, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """Small batches written as they come give the same table as one batch."""
        build, batches, schema = TABLES[name]
        path = tmp_path / f"{name}.parquet"
        written = 0
        with pq.ParquetWriter(path, schema) as writer:
            for batch in batches(iter(results), batch_size=7):
                assert batch.num_rows <= 7
                writer.write_batch(batch)
                written += 1
        whole = build(results, batch_size=1_000_000)
        assert written >= whole.num_rows // 7
        assert pq.read_table(path).equals(whole)

    def test_batch_size_must_be_positive(self) -> None:
        with pytest.raises(iptkit.IptkitError):
            tables.courses([], batch_size=0)


def test_without_pyarrow_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['pyarrow'] = None\n"
        "import iptkit\n"
        "try:\n"
        "    import iptkit.tables\n"
        "except iptkit.MissingExtraError as exc:\n"
        "    print(exc.extra)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "tables"
