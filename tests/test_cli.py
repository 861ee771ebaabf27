"""Tests of the ``iptkit`` command line, run as a real subprocess.

The documents are small literals, changed by hand to make them invalid.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

import iptkit
from iptkit._cli import _documents as documents
from iptkit.protocols import BRIEF, STANDARD

SRC = Path(iptkit.__file__).resolve().parent.parent
#: Free text that must never reach the output unless asked for.
SECRET = "Jane Doe told me about her sister"

#: The smallest course: an id and a start date (the protocol defaults to standard).
COURSE: dict[str, Any] = {"schema_version": 1, "patient_id": "AB-1234", "started_on": "2026-03-02"}

#: The fields of a problem row, in order (``--format jsonl`` puts ``type`` first).
ROW_FIELDS = ["file", "line", "index", "patient_id", "path", "code", "severity", "message"]

#: A course of the bundled corpus that loads and has one finding (an unsigned contract).
EXAMPLE_CORPUS = SRC.parent / "examples" / "data" / "corpus.jsonl"

#: Twelve weekly sessions at 09:00 in Berlin; summer time begins on 29 March 2026.
CONTRACT: dict[str, Any] = {
    "schema_version": 1,
    "protocol": iptkit.dump(STANDARD),
    "sessions": {
        "total": 12,
        "frequency": "weekly",
        "minutes": 50,
        "first_session": "2026-03-02T09:00:00+01:00",
        "zone": "Europe/Berlin",
    },
    "focus_areas": ["role_transition"],
}


def run(
    *args: str, stdin: bytes | None = None, stderr: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m iptkit ARGS`` and return the finished process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "iptkit", *args],
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr is None else stderr,
        env=env,
        timeout=120,
        check=False,
    )


def check(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``iptkit check ARGS``."""
    return run("check", *args, stdin=stdin)


def jsonl(proc: subprocess.CompletedProcess[bytes]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the problem rows of ``--format jsonl`` (standard output) and its summary.

    The summary is the last line of standard error, never among the rows.
    """
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert all(r["type"] == "problem" for r in records)
    summary = json.loads(proc.stderr.decode().splitlines()[-1])
    assert summary["type"] == "summary"
    return records, summary


def where(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The (line, path, code) of each row."""
    return [(r["line"], r["path"], r["code"]) for r in rows]


def clean_document() -> dict[str, Any]:
    """A valid course without findings at error severity."""
    return dict(COURSE)


def line_of(document: dict[str, Any]) -> bytes:
    """A document as one line of JSON Lines."""
    return json.dumps(document).encode() + b"\n"


def clean_line() -> bytes:
    """:func:`clean_document` as one line of JSON Lines."""
    return line_of(clean_document())


def misspelt_line() -> bytes:
    """A document with an unknown key ``closness`` (reported at ``$.closness``)."""
    return line_of({**clean_document(), "closness": 1})


def secret_line() -> bytes:
    """A document whose ``schema_version`` is patient free text (``wrong_type``)."""
    return line_of({**clean_document(), "schema_version": SECRET})


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A JSON Lines file: clean, blank, clean, misspelt, not JSON, clean."""
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(
        clean_line() + b"\n" + clean_line() + misspelt_line() + b"{not json\n" + clean_line()
    )
    return path


class TestExitCodes:
    """``iptkit check`` exit codes: 0 clean, 1 errors, 2 usage or I/O error."""

    def test_clean_documents_exit_zero(self, tmp_path: Path) -> None:
        """Documents without error-severity problems give exit code 0."""
        path = tmp_path / "clean.jsonl"
        path.write_bytes(clean_line() * 3)
        proc = check("--format", "jsonl", str(path))
        assert proc.returncode == 0, proc.stderr
        rows, summary = jsonl(proc)
        assert all(r["severity"] != "error" for r in rows)
        assert summary["documents"] == {"read": 3, "valid": 3, "with_errors": 0}

    def test_invalid_document_exits_one(self, corpus: Path) -> None:
        """A document with a validation issue gives exit code 1."""
        proc = check(str(corpus))
        assert proc.returncode == 1
        assert proc.stderr == b""

    def test_missing_file_exits_two(self, tmp_path: Path) -> None:
        """A path that does not exist is a usage error, reported without a traceback."""
        proc = check(str(tmp_path / "absent.jsonl"))
        assert proc.returncode == 2
        assert b"absent.jsonl" in proc.stderr
        assert b"no such file" in proc.stderr
        assert b"Traceback" not in proc.stderr
        assert proc.stdout == b""

    @staticmethod
    def lock_folder(monkeypatch: pytest.MonkeyPatch, locked: Path) -> None:
        """Make listing ``locked`` fail as a folder without read permission does.

        The error is raised by hand, in process, because root may list any folder.
        """
        import errno

        real_scandir = os.scandir

        def scandir(path: Any = ".") -> Any:
            if Path(path) == locked:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)

    def test_unreadable_directory_exits_two(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A directory named on the command line that cannot be listed stops the run (exit 2)."""
        from iptkit._cli import main

        (tmp_path / "course.json").write_text(json.dumps(COURSE), encoding="utf-8")
        self.lock_folder(monkeypatch, tmp_path)
        code = main(["check", str(tmp_path)])
        captured = capsys.readouterr()
        assert code == 2
        assert "cannot read directory" in captured.err
        assert repr(str(tmp_path)) in captured.err
        assert "Traceback" not in captured.err
        assert captured.out == ""

    def test_unreadable_folder_inside_a_directory(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A folder inside the directory that cannot be listed is reported; the run goes on."""
        from iptkit._cli import main

        locked = tmp_path / "locked"
        locked.mkdir()
        (tmp_path / "course.json").write_text(json.dumps(COURSE), encoding="utf-8")
        self.lock_folder(monkeypatch, locked)
        code = main(["check", str(tmp_path)])
        captured = capsys.readouterr()
        assert code == 2
        assert captured.err.splitlines() == [
            f"iptkit check: error: cannot read directory {str(locked)!r}: {os.strerror(13)}"
        ]
        assert "Documents: 1 read, 1 valid, 0 with errors (1 file)" in captured.out
        assert "Inputs that could not be read: 1" in captured.out

    @pytest.mark.parametrize(
        "options",
        [("--jobs", "-1"), ("--jobs", "many"), ("--format", "xml"), ("--no-such-option",)],
    )
    def test_bad_option_exits_two(self, corpus: Path, options: tuple[str, ...]) -> None:
        """A bad option is a usage error (exit code 2)."""
        proc = check(*options, str(corpus))
        assert proc.returncode == 2
        assert b"usage:" in proc.stderr

    def test_unknown_document_kind_exits_two(self, corpus: Path) -> None:
        """A document kind that does not exist is a usage error listing the kinds."""
        proc = run("check", "--document", "diary", str(corpus))
        assert proc.returncode == 2
        assert b"'diary'" in proc.stderr
        assert b"inventory" in proc.stderr

    def test_no_command_exits_two(self) -> None:
        """``iptkit`` without a command prints its usage and exits with 2."""
        proc = run()
        assert proc.returncode == 2
        assert b"usage:" in proc.stderr


class TestFormats:
    """``--format text|json|jsonl`` report the same problems and totals."""

    EXPECTED: ClassVar = [(4, "$.closness", "unknown_field"), (5, "$", "invalid_json")]

    def test_jsonl(self, corpus: Path) -> None:
        """jsonl gives one object per problem, in input order; the summary goes to stderr."""
        rows, summary = jsonl(check("--format", "jsonl", str(corpus)))
        assert where(rows) == self.EXPECTED
        assert {r["file"] for r in rows} == {str(corpus)}
        assert {r["severity"] for r in rows} == {"error"}
        assert all(list(r) == ["type", *ROW_FIELDS] for r in rows)
        assert summary["documents"] == {"read": 5, "valid": 3, "with_errors": 2}
        assert summary["severities"]["error"] == 2
        assert summary["files"] == 1

    def test_json(self, corpus: Path) -> None:
        """json gives one object holding the rows and the summary."""
        proc = check("--format", "json", str(corpus))
        report = json.loads(proc.stdout)
        assert set(report) == {"rows", "summary"}
        assert where(report["rows"]) == self.EXPECTED
        assert report["summary"]["documents"] == {"read": 5, "valid": 3, "with_errors": 2}
        codes = {(c["code"], c["severity"], c["count"]) for c in report["summary"]["codes"]}
        assert {("unknown_field", "error", 1), ("invalid_json", "error", 1)} <= codes

    def test_json_without_problems_is_valid_json(self, tmp_path: Path) -> None:
        """json output is one valid object even when nothing was read."""
        path = tmp_path / "empty.jsonl"
        path.write_bytes(b"")
        report = json.loads(check("--format", "json", str(path)).stdout)
        assert report["rows"] == []
        assert report["summary"]["documents"]["read"] == 0

    def test_text(self, corpus: Path) -> None:
        """text gives one line per problem with file, line, severity, code and path, then totals."""
        proc = check(str(corpus))
        lines = proc.stdout.decode().splitlines()
        assert lines[0].startswith(f"{corpus}:4: error [unknown_field] $.closness: ")
        assert lines[1].startswith(f"{corpus}:5: error [invalid_json] $: ")
        table = [line.split() for line in lines if line.startswith(("unknown_field", "invalid"))]
        assert ["unknown_field", "error", "1"] in table
        assert ["invalid_json", "error", "1"] in table
        assert "Documents: 5 read, 3 valid, 2 with errors (1 file)" in lines


class TestInputs:
    """Files, JSON Lines, directories and standard input."""

    def test_line_numbers_count_blank_lines(self, tmp_path: Path) -> None:
        """A JSON Lines row gives the physical line number; blank lines are skipped, not read."""
        path = tmp_path / "gaps.ndjson"
        path.write_bytes(b"\n" + clean_line() + b"   \n\n" + misspelt_line())
        rows, summary = jsonl(check("--format", "jsonl", str(path)))
        assert where(rows) == [(5, "$.closness", "unknown_field")]
        assert summary["documents"]["read"] == 2

    def test_corrupt_line_in_the_middle(self, tmp_path: Path) -> None:
        """A line that is not JSON is reported and the lines after it are still checked."""
        path = tmp_path / "corrupt.jsonl"
        path.write_bytes(clean_line() + b'{"schema_version": 1, \n' + misspelt_line())
        rows, summary = jsonl(check("--format", "jsonl", str(path)))
        assert where(rows) == [(2, "$", "invalid_json"), (3, "$.closness", "unknown_field")]
        assert summary["documents"] == {"read": 3, "valid": 1, "with_errors": 2}

    def test_non_utf8_line(self, tmp_path: Path) -> None:
        """A line that is not UTF-8 is reported as invalid_json and the run goes on."""
        path = tmp_path / "latin1.jsonl"
        path.write_bytes(clean_line() + '{"label": "Zoë"}\n'.encode("latin-1") + clean_line())
        rows, summary = jsonl(check("--format", "jsonl", str(path)))
        assert where(rows) == [(2, "$", "invalid_json")]
        assert "UTF-8" in rows[0]["message"]
        assert summary["documents"] == {"read": 3, "valid": 2, "with_errors": 1}

    def test_empty_json_lines_file(self, tmp_path: Path) -> None:
        """An empty JSON Lines file holds no documents, which is not an error."""
        path = tmp_path / "empty.jsonl"
        path.write_bytes(b"")
        proc = check("--format", "jsonl", str(path))
        assert proc.returncode == 0
        rows, summary = jsonl(proc)
        assert rows == []
        assert summary["documents"] == {"read": 0, "valid": 0, "with_errors": 0}

    def test_empty_json_file(self, tmp_path: Path) -> None:
        """An empty .json file is one document that is not JSON."""
        path = tmp_path / "empty.json"
        path.write_bytes(b"")
        proc = check("--format", "jsonl", str(path))
        assert proc.returncode == 1
        rows, _ = jsonl(proc)
        assert [(r["line"], r["path"], r["code"]) for r in rows] == [(None, "$", "invalid_json")]

    def test_json_file_holds_one_pretty_document(self, tmp_path: Path) -> None:
        """A .json file is one document, even spread over many lines."""
        path = tmp_path / "one.json"
        path.write_text(json.dumps({**clean_document(), "closness": 1}, indent=2))
        rows, summary = jsonl(check("--format", "jsonl", str(path)))
        assert where(rows) == [(None, "$.closness", "unknown_field")]
        assert summary["documents"]["read"] == 1

    def test_directory(self, tmp_path: Path) -> None:
        """A directory is searched recursively in sorted order for .json, .jsonl and .ndjson."""
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "deep").mkdir()
        (tmp_path / "a.json").write_bytes(misspelt_line())
        (tmp_path / "b" / "c.jsonl").write_bytes(clean_line() + misspelt_line())
        (tmp_path / "b" / "deep" / "d.ndjson").write_bytes(misspelt_line())
        (tmp_path / "b" / "notes.txt").write_bytes(b"not a document")
        rows, summary = jsonl(check("--format", "jsonl", str(tmp_path)))
        files = [Path(r["file"]).relative_to(tmp_path).as_posix() for r in rows]
        assert files == ["a.json", "b/c.jsonl", "b/deep/d.ndjson"]
        assert [r["line"] for r in rows] == [None, 2, 1]
        assert summary["files"] == 3
        assert summary["documents"]["read"] == 4

    def test_standard_input(self) -> None:
        """``-`` reads JSON Lines from standard input."""
        proc = check("--format", "jsonl", "-", stdin=clean_line() + misspelt_line())
        rows, summary = jsonl(proc)
        assert [(r["file"], r["line"], r["code"]) for r in rows] == [
            ("<stdin>", 2, "unknown_field")
        ]
        assert summary["documents"]["read"] == 2


class TestJobs:
    """``--jobs N`` checks in worker processes with the same result."""

    def test_two_jobs_give_the_same_rows_as_one(self, tmp_path: Path) -> None:
        """Rows come back in input order whatever the number of worker processes."""
        lines = []
        for number in range(1, 701):
            if number % 97 == 0:
                lines.append(b"[1, 2\n")
            elif number % 45 == 0:
                lines.append(misspelt_line())
            else:
                lines.append(clean_line())
        path = tmp_path / "big.jsonl"
        path.write_bytes(b"".join(lines))
        one = check("--format", "jsonl", "--jobs", "1", str(path))
        two = check("--format", "jsonl", "--jobs", "2", str(path))
        assert one.stdout == two.stdout
        rows, summary = jsonl(two)
        expected_lines = sorted(
            {n for n in range(1, 701) if n % 97 == 0} | {n for n in range(1, 701) if n % 45 == 0}
        )
        assert [r["line"] for r in rows] == expected_lines
        assert summary["documents"]["read"] == 700
        assert two.returncode == 1


class TestShowValues:
    """Patient free text stays out of reports unless ``--show-values`` is given."""

    @pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
    def test_free_text_hidden_by_default(self, tmp_path: Path, fmt: str) -> None:
        """Without --show-values no value of the document appears in the output."""
        path = tmp_path / "secret.jsonl"
        path.write_bytes(secret_line() + SECRET.encode() + b"\n")
        proc = check("--format", fmt, str(path))
        assert proc.returncode == 1
        assert b"schema_version" in proc.stdout
        assert SECRET.encode() not in proc.stdout
        assert SECRET.encode() not in proc.stderr
        assert b"Jane" not in proc.stdout

    def test_values_shown_on_request(self, tmp_path: Path) -> None:
        """With --show-values each row carries the offending value, cut to about 60 characters."""
        path = tmp_path / "secret.jsonl"
        long_text = "x" * 200
        path.write_bytes(
            secret_line()
            + json.dumps({**clean_document(), "schema_version": long_text}).encode()
            + b"\n"
            + misspelt_line()
            + b'{"patient_id": "AB-1\tJane\r\n'
        )
        rows, _ = jsonl(check("--format", "jsonl", "--show-values", str(path)))
        assert [(r["path"], r["value"]) for r in rows[:1]] == [
            ("$.schema_version", json.dumps(SECRET))
        ]
        assert rows[1]["value"].startswith('"xxxx')
        assert len(rows[1]["value"]) == 60
        assert (rows[2]["path"], rows[2]["value"]) == ("$.closness", "1")
        # A line that is not JSON shows its start as read, control characters escaped.
        assert rows[3]["code"] == "invalid_json"
        assert rows[3]["value"] == '{"patient_id": "AB-1\\tJane'

    def test_text_shows_values(self, tmp_path: Path) -> None:
        """The text report appends the value to the row."""
        path = tmp_path / "secret.jsonl"
        path.write_bytes(secret_line())
        proc = check("--show-values", str(path))
        first = proc.stdout.decode().splitlines()[0]
        assert first.endswith(f"value: {json.dumps(SECRET)}")


def course_with_session(*, risk_assessed: bool) -> dict[str, Any]:
    """A course under :data:`CONTRACT` whose first session has PHQ-9 item 9 answered 1."""
    session = {
        "number": 1,
        "starts_at": "2026-03-02T09:00:00+01:00",
        "minutes": 50,
        "attendance": "attended",
        "phase": "initial",
        "risk_assessed": risk_assessed,
        "scores": [{"instrument": "phq9", "items": [1] * 9, "total": 9}],
    }
    contract = {k: v for k, v in CONTRACT.items() if k != "schema_version"}
    return {**COURSE, "contract": contract, "sessions": [session]}


class TestFindings:
    """Valid documents are checked with ``iptkit.check`` and every finding is reported."""

    def test_error_finding(self, tmp_path: Path) -> None:
        """A positive PHQ-9 item 9 without a risk assessment (reference 8.8) is an error: exit 1."""
        path = tmp_path / "courses.jsonl"
        path.write_bytes(line_of(course_with_session(risk_assessed=False)))
        proc = check("--format", "jsonl", str(path))
        assert proc.returncode == 1
        rows, summary = jsonl(proc)
        assert [(r["severity"], r["code"], r["path"]) for r in rows] == [
            ("error", "safety_unassessed", "$.sessions[0].scores[0]")
        ]
        assert summary["documents"] == {"read": 1, "valid": 1, "with_errors": 1}

    def test_protocol_option(self, tmp_path: Path) -> None:
        """--protocol brief judges 12 sessions against its 8 (reference 4): a warning, exit 0."""
        path = tmp_path / "courses.jsonl"
        path.write_bytes(line_of(course_with_session(risk_assessed=True)))
        assert jsonl(check("--format", "jsonl", str(path)))[0] == []
        proc = check("--format", "jsonl", "--protocol", "brief", str(path))
        assert proc.returncode == 0
        rows, summary = jsonl(proc)
        assert [(r["severity"], r["code"], r["path"]) for r in rows] == [
            ("warning", "total_outside_protocol", "$.contract.sessions.total")
        ]
        assert summary["severities"] == {"error": 0, "warning": 1, "info": 0}

    def test_findings_match_the_library(self, tmp_path: Path) -> None:
        """The rows of valid courses are exactly their findings from iptkit.check, in order."""
        courses = [course_with_session(risk_assessed=flag) for flag in (False, True, False)]
        expected = []
        for number, course in enumerate(courses, 1):
            loaded = iptkit.load(iptkit.TreatmentCourse, course)
            for finding in iptkit.check(loaded, protocol=BRIEF):
                expected.append((number, finding.severity.value, finding.code, finding.path))
        path = tmp_path / "findings.jsonl"
        path.write_bytes(b"".join(line_of(course) for course in courses))
        rows, _ = jsonl(check("--format", "jsonl", "--protocol", "brief", str(path)))
        assert [(r["line"], r["severity"], r["code"], r["path"]) for r in rows] == expected
        assert len(expected) == 5


class TestProgress:
    """A progress line on standard error only when it is a terminal."""

    def test_nothing_on_stderr_when_not_a_terminal(self, corpus: Path) -> None:
        """With standard error redirected, the run writes nothing there."""
        assert check(str(corpus)).stderr == b""

    @pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
    def test_progress_on_a_terminal(self, corpus: Path) -> None:
        """With standard error on a terminal, a progress line counts the documents."""
        import pty

        leader, follower = pty.openpty()
        try:
            proc = run("check", "--format", "jsonl", str(corpus), stderr=follower)
            os.close(follower)
            seen = b""
            while select.select([leader], [], [], 1.0)[0]:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            os.close(leader)
        assert b"checked 5 documents" in seen
        assert b'"type": "summary"' in seen  # the summary goes to the terminal too
        assert len(proc.stdout.splitlines()) == 2


class TestSchema:
    """``iptkit schema`` prints the JSON Schema of a document kind."""

    def test_inventory_schema(self) -> None:
        """The printed schema is the library's json_schema of the document."""
        proc = run("schema", "--document", "inventory")
        assert proc.returncode == 0
        schema = json.loads(proc.stdout)
        assert schema == documents.json_schema(iptkit.InterpersonalInventory)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def test_course_is_the_default(self) -> None:
        """Without --document the schema is the course's."""
        proc = run("schema")
        assert json.loads(proc.stdout) == documents.json_schema(iptkit.TreatmentCourse)

    def test_unknown_kind(self) -> None:
        """An unknown document kind is a usage error."""
        assert run("schema", "--document", "diary").returncode == 2


class TestSchedule:
    """``iptkit schedule`` prints the planned sessions of a contract."""

    def test_table(self, tmp_path: Path) -> None:
        """One row per session: number, kind, phase, local time (09:00 across DST), status."""
        path = tmp_path / "contract.json"
        path.write_text(json.dumps(CONTRACT))
        proc = run("schedule", str(path))
        assert proc.returncode == 0, proc.stderr
        header, *rows = [line.split() for line in proc.stdout.decode().splitlines()]
        assert header[:3] == ["#", "kind", "phase"]
        assert [row[0] for row in rows] == [str(n) for n in range(1, 13)]
        # Standard protocol (domain reference section 3.1): 3 initial, 3 termination.
        assert [row[2] for row in rows] == ["initial"] * 3 + ["middle"] * 6 + ["termination"] * 3
        assert {row[5] for row in rows} == {"09:00"}
        assert [row[6] for row in rows[3:5]] == ["CET", "CEST"]
        assert rows[0][3] == "2026-03-02"

    def test_ical(self, tmp_path: Path) -> None:
        """--ical prints an iCalendar with one event per session."""
        path = tmp_path / "contract.json"
        path.write_text(json.dumps(CONTRACT))
        proc = run("schedule", "--ical", str(path))
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout.decode()
        assert text.startswith("BEGIN:VCALENDAR")
        assert text.count("BEGIN:VEVENT") == 12

    def test_invalid_contract(self, tmp_path: Path) -> None:
        """An invalid contract is reported issue by issue with exit code 1."""
        path = tmp_path / "contract.json"
        path.write_text(json.dumps({**CONTRACT, "focus_areas": "grief"}))
        proc = run("schedule", str(path))
        assert proc.returncode == 1
        assert b"$.focus_areas" in proc.stderr
        assert b"[wrong_type]" in proc.stderr
        assert b"Traceback" not in proc.stderr

    def test_missing_contract(self, tmp_path: Path) -> None:
        """A contract file that does not exist is an I/O error."""
        assert run("schedule", str(tmp_path / "absent.json")).returncode == 2


class TestVersion:
    """``iptkit --version``."""

    def test_version(self) -> None:
        """It prints the program name and version and exits with 0."""
        proc = run("--version")
        assert proc.returncode == 0
        assert proc.stdout.startswith(b"iptkit ")


# --------------------------------------------------------------------------
# iptkit export
# --------------------------------------------------------------------------


def export(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``iptkit export --to fhir ARGS``."""
    return run("export", "--to", "fhir", *args, stdin=stdin)


def synthetic_corpus(path: Path, courses: int) -> list[bytes]:
    """Write ``courses`` synthetic course documents to ``path``; return its lines."""
    proc = run("synth", "--courses", str(courses), "--seed", "7", "--output", str(path))
    assert proc.returncode == 0
    return path.read_bytes().splitlines()


def with_notes() -> dict[str, Any]:
    """A valid course whose one session record holds :data:`SECRET` as its notes."""
    return {
        **COURSE,
        "sessions": [
            {
                "number": 1,
                "starts_at": "2026-03-02T09:00:00+01:00",
                "minutes": 50,
                "status": "held",
                "phase": "initial",
                "notes": SECRET,
            }
        ],
    }


class TestExport:
    """``iptkit export --to fhir``: one bundle per valid course, as JSON Lines."""

    def test_one_bundle_per_course(self, tmp_path: Path) -> None:
        """Each line is the bundle of the course on the same line of the input."""
        path = tmp_path / "courses.jsonl"
        lines = synthetic_corpus(path, 25)
        proc = export(str(path))
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == b""
        written = proc.stdout.decode().splitlines()
        assert len(written) == len(lines)
        from iptkit.fhir import from_bundle, to_bundle

        for line, text in zip(lines, written, strict=True):
            course = iptkit.loads(iptkit.TreatmentCourse, line)
            bundle = json.loads(text)
            assert bundle == to_bundle(course)
            assert to_bundle(from_bundle(bundle)) == bundle

    def test_two_jobs_give_the_same_output_as_one(self, tmp_path: Path) -> None:
        """Bundles and problems come out in input order whatever the number of workers."""
        path = tmp_path / "courses.jsonl"
        lines = synthetic_corpus(path, 300)
        lines[40] = misspelt_line().rstrip(b"\n")
        lines[250] = b"[1, 2"
        path.write_bytes(b"\n".join(lines) + b"\n")
        one = export("--jobs", "1", str(path))
        two = export("--jobs", "2", str(path))
        assert one.returncode == two.returncode == 1
        assert one.stdout == two.stdout
        assert len(one.stdout.splitlines()) == 298

        def said(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
            # Only the command's own lines (a coverage run adds warnings of its workers).
            lines = proc.stderr.decode().splitlines()
            return [x for x in lines if x.startswith((str(path), "iptkit export"))]

        assert said(one) == said(two)
        errors = said(one)
        assert errors[0].startswith(f"{path}:41: error [unknown_field] $.closness: ")
        assert errors[1].startswith(f"{path}:251: error [invalid_json] $: ")
        assert errors[-1] == "iptkit export: 298 of 300 documents exported, 2 not valid (1 file)"

    def test_invalid_documents_are_reported_not_written(self, corpus: Path) -> None:
        """Exit code 1; the valid documents are still written."""
        proc = export(str(corpus))
        assert proc.returncode == 1
        assert len(proc.stdout.splitlines()) == 3
        err = proc.stderr.decode()
        assert f"{corpus}:4: error [unknown_field] $.closness" in err
        assert f"{corpus}:5: error [invalid_json] $" in err
        assert "Traceback" not in err

    def test_output_file(self, tmp_path: Path) -> None:
        """``--output FILE`` writes the bundles there and nothing on standard output."""
        source = tmp_path / "in.jsonl"
        source.write_bytes(clean_line() * 2)
        target = tmp_path / "out.jsonl"
        proc = export("--output", str(target), str(source))
        assert proc.returncode == 0
        assert proc.stdout == b""
        lines = target.read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["resourceType"] for line in lines] == ["Bundle", "Bundle"]

    def test_unwritable_output_exits_two(self, tmp_path: Path) -> None:
        """An output file that cannot be opened is an I/O error, said in one line."""
        source = tmp_path / "in.jsonl"
        source.write_bytes(clean_line())
        proc = export("--output", str(tmp_path / "missing" / "out.jsonl"), str(source))
        assert proc.returncode == 2
        assert proc.stderr.decode().startswith("iptkit export: error: cannot write ")
        assert len(proc.stderr.splitlines()) == 1

    def test_usage_errors_exit_two(self, tmp_path: Path) -> None:
        """A missing input, or no --to, is a usage error."""
        assert export(str(tmp_path / "absent.jsonl")).returncode == 2
        assert run("export", str(tmp_path)).returncode == 2

    def test_free_text_only_on_request(self) -> None:
        """Notes stay out of the bundle unless --include-text is given."""
        line = line_of(with_notes())
        plain = export("-", stdin=line)
        assert plain.returncode == 0
        assert SECRET.encode() not in plain.stdout
        full = export("--include-text", "-", stdin=line)
        assert SECRET.encode() in full.stdout

    def test_invalid_values_are_not_shown(self) -> None:
        """Problems on standard error never quote the document."""
        proc = export("-", stdin=secret_line())
        assert proc.returncode == 1
        assert SECRET.encode() not in proc.stderr
        assert b"[wrong_type] $.schema_version" in proc.stderr

    def test_line_separators_in_free_text_stay_escaped(self) -> None:
        """Free text holding U+2028 or NEL still gives one line per bundle."""
        document = with_notes()
        document["sessions"][0]["notes"] = "first\u2028second\x85third"
        proc = export("--include-text", "-", stdin=line_of(document) * 2)
        assert proc.returncode == 0
        lines = proc.stdout.decode().splitlines()
        assert len(lines) == 2
        assert "first\u2028second\x85third" in json.dumps(json.loads(lines[0]), ensure_ascii=False)


def finding_line() -> bytes:
    """A course that loads and has a finding: the third line of the bundled corpus."""
    line = EXAMPLE_CORPUS.read_bytes().splitlines(keepends=True)[2]
    assert json.loads(line)["patient_id"] == "SY-000002"
    return line


class TestRowFields:
    """Every problem row says where its document is and whose course it is."""

    @pytest.fixture
    def mixed(self, tmp_path: Path) -> Path:
        """A course with a finding, then a misspelt course (it does not load)."""
        path = tmp_path / "mixed.jsonl"
        path.write_bytes(finding_line() + misspelt_line())
        return path

    def test_patient_id_in_jsonl(self, mixed: Path) -> None:
        rows, _ = jsonl(check("--format", "jsonl", str(mixed)))
        found = {(r["line"], r["code"]): r["patient_id"] for r in rows}
        assert found == {(1, "contract_unsigned"): "SY-000002", (2, "unknown_field"): None}
        assert all(r["index"] is None for r in rows)

    def test_patient_id_in_json(self, mixed: Path) -> None:
        report = json.loads(check("--format", "json", str(mixed)).stdout)
        assert [r["patient_id"] for r in report["rows"]] == ["SY-000002", None]
        assert all(list(r) == ROW_FIELDS for r in report["rows"])

    def test_patient_id_in_csv(self, mixed: Path) -> None:
        import csv

        proc = check("--format", "csv", str(mixed))
        table = list(csv.reader(proc.stdout.decode().splitlines()))
        assert table[0] == ROW_FIELDS
        assert [(row[1], row[3]) for row in table[1:]] == [("1", "SY-000002"), ("2", "")]

    def test_patient_id_in_text(self, mixed: Path) -> None:
        lines = check(str(mixed)).stdout.decode().splitlines()
        assert lines[0].startswith(f"{mixed}:1 (patient SY-000002): info [contract_unsigned] ")
        assert lines[1].startswith(f"{mixed}:2: error [unknown_field] ")

    def test_left_out_row_keeps_the_patient_id(self, tmp_path: Path) -> None:
        path = tmp_path / "one.jsonl"
        path.write_bytes(finding_line())
        rows, _ = jsonl(check("--format", "jsonl", "--max-problems", "1", str(path)))
        assert {r["patient_id"] for r in rows} == {"SY-000002"}

    def test_a_document_that_does_not_load_names_nobody(self, tmp_path: Path) -> None:
        """Even with a readable ``patient_id``, a document that fails to load gives null."""
        path = tmp_path / "bad.jsonl"
        path.write_bytes(line_of({**clean_document(), "started_on": "March"}))
        rows, _ = jsonl(check("--format", "jsonl", str(path)))
        assert rows
        assert {r["patient_id"] for r in rows} == {None}


class TestSummaryApart:
    """The summary never goes among the rows of standard output."""

    def test_jsonl_stdout_holds_rows_only(self, corpus: Path) -> None:
        proc = check("--format", "jsonl", str(corpus))
        records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        assert [r["type"] for r in records] == ["problem", "problem"]
        (line,) = proc.stderr.decode().splitlines()
        summary = json.loads(line)
        assert summary["type"] == "summary"
        assert summary["documents"] == {"read": 5, "valid": 3, "with_errors": 2}

    @pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "csv"])
    def test_summary_file(self, corpus: Path, tmp_path: Path, fmt: str) -> None:
        """``--summary FILE`` writes the summary as JSON for every format."""
        written = tmp_path / "summary.json"
        proc = check("--format", fmt, "--summary", str(written), str(corpus))
        assert proc.returncode == 1
        summary = json.loads(written.read_text(encoding="utf-8"))
        assert summary["type"] == "summary"
        assert summary["documents"] == {"read": 5, "valid": 3, "with_errors": 2}
        if fmt in ("jsonl", "csv"):
            assert proc.stderr == b""  # it went to the file instead
        plain = check("--format", fmt, str(corpus))
        assert proc.stdout == plain.stdout  # the rows are the same
        if fmt == "json":
            report = json.loads(proc.stdout)
            assert {**report["summary"], "type": "summary"} == summary

    def test_summary_file_that_cannot_be_written(self, corpus: Path, tmp_path: Path) -> None:
        proc = check("--summary", str(tmp_path / "no" / "such.json"), str(corpus))
        assert proc.returncode == 2
        assert proc.stdout == b""
        assert proc.stderr.decode().startswith("iptkit check: error: cannot write ")
        proc = check("--summary", "-", str(corpus))
        assert proc.returncode == 2
        assert b"--summary takes a file name" in proc.stderr


class TestArraysAndCompressedFiles:
    """JSON files that hold arrays, and gzip-compressed files in directories."""

    def test_array_file_gives_one_document_per_element(self, tmp_path: Path) -> None:
        path = tmp_path / "courses.json"
        elements = [
            clean_document(),
            {**clean_document(), "closness": 1},
            json.loads(finding_line()),
        ]
        path.write_text(json.dumps(elements), encoding="utf-8")
        rows, summary = jsonl(check("--format", "jsonl", str(path)))
        assert [(r["line"], r["index"], r["code"], r["patient_id"]) for r in rows] == [
            (None, 1, "unknown_field", None),
            (None, 2, "contract_unsigned", "SY-000002"),
        ]
        assert summary["documents"] == {"read": 3, "valid": 2, "with_errors": 1}
        text = check(str(path)).stdout.decode().splitlines()
        assert text[0].startswith(f"{path}[1]: error [unknown_field] $.closness: ")

    def test_array_elements_match_read_documents(self, tmp_path: Path) -> None:
        """check and read_documents split an array file the same way."""
        path = tmp_path / "courses.json"
        path.write_text(json.dumps([clean_document(), 3, {}]), encoding="utf-8")
        rows, _ = jsonl(check("--format", "jsonl", str(path)))
        failed = [(r.index, r.line) for r in iptkit.read_documents(path) if not r.ok]
        assert sorted({(r["index"], r["line"]) for r in rows}) == failed == [(1, None), (2, None)]

    def test_directory_finds_compressed_files(self, tmp_path: Path) -> None:
        import gzip

        (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(clean_line() + misspelt_line()))
        (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps([COURSE, {}]).encode()))
        (tmp_path / "c.ndjson.gz").write_bytes(gzip.compress(misspelt_line()))
        (tmp_path / "d.txt.gz").write_bytes(gzip.compress(misspelt_line()))  # not a document
        rows, summary = jsonl(check("--format", "jsonl", str(tmp_path)))
        assert summary["files"] == 3
        assert summary["documents"] == {"read": 5, "valid": 2, "with_errors": 3}
        assert sorted({(Path(r["file"]).name, r["line"], r["index"]) for r in rows}) == [
            ("a.jsonl.gz", 2, None),
            ("b.json.gz", None, 1),
            ("c.ndjson.gz", 1, None),
        ]

    def test_the_cap_applies_decompressed(self, tmp_path: Path) -> None:
        """A small compressed file that holds a large document is not read past the cap."""
        import gzip

        big = {**clean_document(), "padding": "x" * 10_000}
        (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(line_of(big) + clean_line()))
        (tmp_path / "big.json.gz").write_bytes(gzip.compress(json.dumps(big).encode()))
        proc = check("--format", "jsonl", "--max-document-bytes", "1000", str(tmp_path))
        rows, summary = jsonl(proc)
        assert sorted((Path(r["file"]).name, r["line"], r["code"]) for r in rows) == [
            ("big.json.gz", None, "document_too_large"),
            ("big.jsonl.gz", 1, "document_too_large"),
        ]
        assert summary["documents"]["read"] == 3

    def test_damaged_compressed_file_is_an_input_error(self, tmp_path: Path) -> None:
        import gzip

        packed = gzip.compress(clean_line() * 50)
        (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
        (tmp_path / "not.jsonl.gz").write_bytes(clean_line())
        proc = check(str(tmp_path))
        assert proc.returncode == 2
        errors = [line for line in proc.stderr.decode().splitlines() if "error" in line]
        assert len(errors) == 2
        assert "the compressed data ends early" in errors[0]
        assert "not a gzip file" in errors[1]


class TestWhatTheCommandImports:
    """The command line imports what a command uses, not every optional part."""

    NEVER_FOR_CHECK = (
        "iptkit._cli._synth",  # the corpus generator
        "iptkit.tables",
        "iptkit.dask",
        "iptkit.fhir",
        "pyarrow",
        "dask",
        "fhir",
        "hypothesis",
        "pydantic",
        "icalendar",
    )

    def imported_by(self, *args: str) -> set[str]:
        code = (
            "import sys, runpy\n"
            f"sys.argv = ['iptkit', *{list(args)!r}]\n"
            "try:\n"
            "    runpy.run_module('iptkit', run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "sys.stdout.flush()\n"
            "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=SRC.parent,
        )
        return set(proc.stderr.split())

    def test_check_imports_no_generator_and_no_extra(self) -> None:
        modules = self.imported_by("check", "examples/data/adult_grief_16.json")
        assert "iptkit._checks" in modules  # the run happened
        found = {
            name
            for name in modules
            if any(name == n or name.startswith(n + ".") for n in self.NEVER_FOR_CHECK)
        }
        assert not found

    def test_version_imports_no_generator(self) -> None:
        modules = self.imported_by("--version")
        assert "iptkit" in modules
        assert "iptkit._cli._synth" not in modules
