"""Reading a corpus as ``iptkit check`` reads it, and its problems as plain rows."""

from __future__ import annotations

import collections
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import iptkit
from iptkit import DocumentResult, TreatmentCourse, findings_rows, read_documents

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
COURSE_FILES = ("adolescent_ipt_a.json", "adult_grief_16.json", "missed_extension_maintenance.json")
ROW_KEYS = ["patient_id", "source", "line", "severity", "code", "path", "message"]


def cli_rows(*paths: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The problem rows and the summary of ``iptkit check --format jsonl``."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "iptkit",
            "check",
            "--format",
            "jsonl",
            "--max-problems",
            "0",
            *paths,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(r["type"] == "problem" for r in rows)
    summary = json.loads(result.stderr.splitlines()[-1])  # the summary goes to standard error
    assert summary["type"] == "summary"
    return rows, summary


def key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["patient_id"],
        row["line"],
        row["severity"],
        row["code"],
        row["path"],
        row["message"],
    )


@pytest.fixture(scope="module")
def results() -> list[DocumentResult[TreatmentCourse]]:
    return list(read_documents(DATA))


def course_document(name: str = "adult_grief_16.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


class TestReadDocuments:
    def test_counts_match_the_command_line(
        self, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """As many documents read and loaded as ``iptkit check`` counts."""
        _, summary = cli_rows("examples/data")
        loaded = [r for r in results if r.ok]
        assert len(results) == summary["documents"]["read"] == 203
        assert len(loaded) == summary["documents"]["valid"] == 183
        assert len(results) - len(loaded) == 20

    def test_sources_and_lines(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        """Whole files have no line; the lines of the corpus are numbered from 1."""
        by_source = collections.Counter(Path(r.source).name for r in results)
        assert by_source == dict.fromkeys(COURSE_FILES, 1) | {"corpus.jsonl": 200}
        whole = [r for r in results if not r.source.endswith(".jsonl")]
        assert all(r.line is None and r.index is None and r.ok for r in whole)
        lines = [r.line or 0 for r in results if r.source.endswith(".jsonl")]
        assert lines == sorted(lines)
        assert lines[0] == 1

    def test_exactly_one_of_value_and_error(
        self, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        for result in results:
            assert (result.value is None) != (result.error is None)
            assert result.ok is (result.error is None)
            if result.value is not None:
                assert isinstance(result.value, TreatmentCourse)

    def test_a_single_file_and_a_list(self) -> None:
        one = list(read_documents(DATA / "adult_grief_16.json"))
        assert [r.value.patient_id for r in one if r.value] == ["EX-GRIEF-01"]
        two = list(read_documents([str(DATA / name) for name in COURSE_FILES[:2]]))
        assert [r.ok for r in two] == [True, True]

    def test_other_document_kinds(self, tmp_path: Path) -> None:
        """``cls`` names the class to load."""
        path = tmp_path / "inventory.json"
        path.write_text('{"schema_version": 1, "relationships": []}', encoding="utf-8")
        [result] = read_documents(path, iptkit.InterpersonalInventory)
        assert isinstance(result.value, iptkit.InterpersonalInventory)

    def test_gzip_json_lines(self, tmp_path: Path) -> None:
        """A gzip-compressed JSON Lines file gives the same results as the plain one."""
        raw = (DATA / "corpus.jsonl").read_bytes()
        packed = tmp_path / "corpus.jsonl.gz"
        packed.write_bytes(gzip.compress(raw))
        plain = list(read_documents(DATA / "corpus.jsonl"))
        unpacked = list(read_documents(packed))
        assert [(r.line, r.ok) for r in unpacked] == [(r.line, r.ok) for r in plain]
        assert [r.value for r in unpacked] == [r.value for r in plain]

    def test_gzip_json(self, tmp_path: Path) -> None:
        packed = tmp_path / "course.json.gz"
        packed.write_bytes(gzip.compress((DATA / "adult_grief_16.json").read_bytes()))
        [result] = read_documents(packed)
        assert result.value is not None
        assert result.value.patient_id == "EX-GRIEF-01"
        assert result.source == str(packed)

    def test_broken_gzip(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.jsonl.gz"
        broken.write_bytes(b"not gzip at all")
        with pytest.raises(iptkit.IptkitError, match="cannot read"):
            list(read_documents(broken))

    def test_directory_finds_gzip_files(self, tmp_path: Path) -> None:
        """A directory is searched for compressed document files too, as ``iptkit check`` does."""
        raw = (DATA / "corpus.jsonl").read_bytes()
        (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw))
        course = (DATA / "adult_grief_16.json").read_bytes()
        (tmp_path / "b.json.gz").write_bytes(gzip.compress(course))
        (tmp_path / "c.ndjson.gz").write_bytes(gzip.compress(raw.splitlines(keepends=True)[2]))
        (tmp_path / "d.gz").write_bytes(gzip.compress(course))  # no document suffix: ignored
        found = list(read_documents(tmp_path))
        names = collections.Counter(Path(r.source).name for r in found)
        assert names == {"a.jsonl.gz": 200, "b.json.gz": 1, "c.ndjson.gz": 1}
        _, summary = cli_rows(str(tmp_path))
        assert summary["documents"]["read"] == len(found)
        assert summary["documents"]["valid"] == sum(r.ok for r in found)

    def test_gzip_cap_is_on_the_decompressed_size(self, tmp_path: Path) -> None:
        packed = tmp_path / "big.json.gz"
        packed.write_bytes(gzip.compress(b'{"a": "' + b"x" * 100_000 + b'"}'))
        assert packed.stat().st_size < 1_000
        [result] = read_documents(tmp_path, max_document_bytes=1_000)
        assert result.error is not None
        assert [i.code for i in result.error.issues] == ["document_too_large"]

    def test_json_array(self, tmp_path: Path) -> None:
        """A JSON file holding an array gives one result per element, with its index."""
        good = course_document()
        path = tmp_path / "courses.json"
        path.write_text(json.dumps([good, {"schema_version": 2}, good]), encoding="utf-8")
        found = list(read_documents(path))
        assert [(r.index, r.line, r.ok) for r in found] == [
            (0, None, True),
            (1, None, False),
            (2, None, True),
        ]
        assert found[1].error is not None
        assert {i.code for i in found[1].error.issues} >= {"missing_field"}

    def test_stdin(self) -> None:
        """``"-"`` reads JSON Lines from standard input."""
        code = (
            "import iptkit\n"
            "found = list(iptkit.read_documents('-'))\n"
            "print(sum(r.ok for r in found), sum(not r.ok for r in found), found[0].source)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            input=(DATA / "corpus.jsonl").read_bytes(),
            capture_output=True,
            timeout=120,
            check=True,
        )
        assert result.stdout.split() == [b"180", b"20", b"<stdin>"]

    def test_stdin_monkeypatched(self, monkeypatch: pytest.MonkeyPatch) -> None:
        line = json.dumps(course_document()).encode()
        stream = io.TextIOWrapper(io.BytesIO(line + b"\n\n{\n"), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stream)
        found = list(read_documents("-"))
        assert [(r.source, r.line, r.ok) for r in found] == [
            ("<stdin>", 1, True),
            ("<stdin>", 3, False),
        ]

    def test_document_too_large(self, tmp_path: Path) -> None:
        path = tmp_path / "big.jsonl"
        path.write_text('{"a": 1}\n' + '{"b": "' + "x" * 100 + '"}\n', encoding="utf-8")
        found = list(read_documents(path, max_document_bytes=50))
        assert found[1].error is not None
        [issue] = found[1].error.issues
        assert issue.code == "document_too_large"
        assert "xxx" not in issue.message

    def test_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(iptkit.IptkitError, match="no such file"):
            list(read_documents(tmp_path / "absent.jsonl"))

    def test_directory_with_subfolders(self, tmp_path: Path) -> None:
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "x.json").write_bytes((DATA / "adult_grief_16.json").read_bytes())
        (tmp_path / "a.json").write_bytes((DATA / "adolescent_ipt_a.json").read_bytes())
        (tmp_path / "ignored.txt").write_text("{}", encoding="utf-8")
        names = [Path(r.source).name for r in read_documents(tmp_path)]
        assert names == ["a.json", "x.json"]


class TestFindingsRows:
    def test_same_rows_as_the_command_line(
        self, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """Every problem ``iptkit check`` lists, and no other, for the same corpus."""
        expected, summary = cli_rows("examples/data")
        rows = list(findings_rows(results))
        assert len(rows) == len(expected) == sum(summary["severities"].values())
        assert collections.Counter(key(r) for r in rows) == collections.Counter(
            key(r) for r in expected
        )
        assert collections.Counter(
            (Path(str(r["source"])).name, r["line"]) for r in rows
        ) == collections.Counter((Path(r["file"]).name, r["line"]) for r in expected)

    def test_rows_are_plain(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        for row in findings_rows(results):
            assert list(row) == ROW_KEYS
            assert all(v is None or isinstance(v, str | int) for v in row.values())
            assert row["severity"] in {"error", "warning", "info"}
        json.dumps(list(findings_rows(results)))

    def test_failed_documents_show_no_values(
        self, results: list[DocumentResult[TreatmentCourse]]
    ) -> None:
        """A document that failed to load gives error rows with nothing of the document."""
        failed = [r for r in results if not r.ok]
        rows = list(findings_rows(failed))
        assert rows
        assert {r["severity"] for r in rows} == {"error"}
        assert {r["patient_id"] for r in rows} == {None}
        total = sum(len(r.error.issues) for r in failed if r.error is not None)
        assert len(rows) == total
        for result in failed:
            assert result.error is not None
            for issue in result.error.issues:
                if isinstance(issue.input, str) and len(issue.input) > 3:
                    assert all(issue.input not in str(v) for v in rows[0].values())

    def test_courses_directly(self, results: list[DocumentResult[TreatmentCourse]]) -> None:
        """Courses given directly have no source or line, and their own patient_id."""
        courses = [r.value for r in results if r.value is not None]
        rows = list(findings_rows(courses))
        assert rows
        assert {(r["source"], r["line"]) for r in rows} == {(None, None)}
        ids = {c.patient_id for c in courses}
        assert {r["patient_id"] for r in rows} <= ids
        loaded_rows = [r for r in findings_rows(results) if r["patient_id"] is not None]
        assert len(rows) == len(loaded_rows)

    def test_checks_match_iptkit_check(self) -> None:
        [result] = read_documents(DATA / "missed_extension_maintenance.json")
        assert result.value is not None
        expected = [(f.severity.value, f.code, f.path) for f in iptkit.check(result.value)]
        got = [(r["severity"], r["code"], r["path"]) for r in findings_rows([result])]
        assert got == expected


def test_paths_must_be_paths() -> None:
    """Anything but a path or a list of paths is refused with an iptkit error."""
    with pytest.raises(iptkit.IptkitError, match="takes a path"):
        list(read_documents(42))
    with pytest.raises(iptkit.IptkitError, match="takes a path"):
        list(read_documents([DATA, 3]))
