"""No value of a document reaches a message, ``str()``, ``repr()`` or a report.

A marker is put into every text, enumeration, date, date-and-time, number
and time-zone position of generated documents (from :mod:`iptkit.testing`)
and of the bundled examples, and must never appear in:

* the message of any issue, ``str()``/``repr()`` of the error and its issues,
  the exception's arguments, ``errors()`` without ``include_input``;
* the same after pickling the error;
* the messages of :func:`iptkit.check` findings on valid documents whose free
  text holds markers;
* the reports of ``iptkit check`` in every format, unless ``--show-values``
  is given (then the marker does appear, so these tests can fail); the one
  value a report shows on purpose is the ``patient_id`` of a course that
  loaded, in its own field (never inside a message), and that field is taken
  out before the reports are searched.

The value itself is kept on :attr:`iptkit.Issue.input` and shown by
``errors(include_input=True)``; that is checked too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
import iptkit.testing
from _helpers import public_documents
from _positions import Loc, Position, positions, replace_at, value_at
from iptkit import TreatmentCourse, ValidationError

DOCUMENTS = public_documents()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "data").glob("*.json"))
CORPUS = ROOT / "examples" / "data" / "corpus.jsonl"
SRC = Path(iptkit.__file__).resolve().parent.parent

#: Free text no report may show.
TEXT = "Zq9MARKER"
#: A number no report may show.
NUMBER = 987654321
#: A date and a date and time no report may show.
DATE = "1987-06-05"
DATETIME = "1987-06-05T13:57:41+03:17"

#: Every way a marker could be spelt in a message.
SPELLINGS = (TEXT, str(NUMBER), f"{NUMBER:,}", "9.87654321", DATE, "13:57:41", "1987, 6, 5")

#: Markers for each kind of position (each kind also gets the text marker:
#: text where a date belongs, for one, is its own path through the codec).
MARKERS: dict[str, tuple[Any, ...]] = {
    "text": (TEXT, f"{TEXT} told me about her sister"),
    "zone": (f"{TEXT}/Nowhere", f"Europe/{TEXT}"),
    "enum": (TEXT, TEXT.lower()),
    "date": (DATE, TEXT, "1987-06-32"),
    "datetime": (DATETIME, TEXT, "1987-06-05T13:57:41", DATE),
    "int": (NUMBER, -NUMBER, TEXT, NUMBER + 0.5),
    "number": (NUMBER + 0.5, NUMBER, TEXT),
    "bool": (NUMBER, TEXT),
    "union": (TEXT, NUMBER, [TEXT]),
}

#: Codes of issues about the one value at their path: such an issue keeps it.
VALUE_CODES = frozenset(
    {
        "wrong_type",
        "invalid_value",
        "out_of_range",
        "too_short",
        "too_long",
        "invalid_zone",
        "naive_datetime",
        "unsupported_schema_version",
    }
)


def leaks(text: str) -> list[str]:
    """The spellings of a marker found in ``text``."""
    return [spelling for spelling in SPELLINGS if spelling in text]


def holds_marker(value: Any) -> bool:
    """Whether a JSON value holds a marker (as a value, not only inside a message)."""
    return bool(leaks(json.dumps(value, default=str)))


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def assert_error_keeps_no_value(error: ValidationError) -> None:
    """No message, str, repr, argument or errors() entry of ``error`` holds a marker."""
    shown = [
        str(error),
        repr(error),
        repr(error.args),
        json.dumps(error.errors(), default=repr),
        *(str(issue) for issue in error.issues),
        *(repr(issue) for issue in error.issues),
        *(issue.message for issue in error.issues),
    ]
    again = pickle.loads(pickle.dumps(error))
    assert again.issues == error.issues
    shown += [str(again), repr(again), *(issue.message for issue in again.issues)]
    for text in shown:
        assert not leaks(text), f"{leaks(text)} in {text!r}"


def assert_inputs_kept(error: ValidationError, marked: dict[Loc, Any]) -> None:
    """An issue about one marked value keeps that value as its input, shown on request."""
    for issue in error.issues:
        if issue.loc in marked and issue.code in VALUE_CODES:
            assert issue.has_input, issue
            assert issue.input == marked[issue.loc], issue
    with_input = json.dumps(error.errors(include_input=True), default=repr)
    if any(issue.has_input and holds_marker(issue.input) for issue in error.issues):
        assert leaks(with_input), "errors(include_input=True) shows the values"


def load_marked(cls: type, doc: Any, marked: dict[Loc, Any]) -> ValidationError | None:
    """Load ``doc`` (as a value and as text); check any error; return it."""
    outcome: list[ValidationError | None] = []
    calls: list[Callable[[], object]] = [
        lambda: iptkit.load(cls, doc),
        lambda: iptkit.loads(cls, json.dumps(doc)),
    ]
    for call in calls:
        try:
            call()
        except ValidationError as exc:
            assert_error_keeps_no_value(exc)
            assert_inputs_kept(exc, marked)
            outcome.append(exc)
        else:
            outcome.append(None)
    first, second = outcome
    assert (first is None) == (second is None)
    return first


@st.composite
def marked_documents(draw: st.DrawFn, cls: type) -> tuple[Any, dict[Loc, Any]]:
    """A valid ``cls`` document with markers at some, or all, of its positions."""
    doc = iptkit.dump(draw(st.from_type(cls)))
    places = positions(cls, doc, document=True)
    everywhere = draw(st.booleans())
    if everywhere:
        chosen = places
    else:
        chosen = draw(st.lists(st.sampled_from(places), min_size=1, max_size=3, unique=True))
    marked: dict[Loc, Any] = {}
    for loc, kind, _field in chosen:
        value = draw(st.sampled_from(MARKERS[kind])) if not everywhere else MARKERS[kind][0]
        doc = replace_at(doc, loc, value)
        marked[loc] = value
    return doc, marked


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
def test_no_marker_reaches_an_error(cls: type) -> None:
    """Markers anywhere in a generated document never reach the error's text."""

    @given(marked_documents(cls))
    def run(case: tuple[Any, dict[Loc, Any]]) -> None:
        doc, marked = case
        load_marked(cls, doc, marked)

    run()


def example_documents() -> list[tuple[str, Any]]:
    """The bundled example courses and the valid lines of the example corpus."""
    found = [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in EXAMPLES]
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        try:
            doc = json.loads(line)
            iptkit.load(TreatmentCourse, doc)
        except (ValueError, ValidationError):
            continue
        found.append((f"corpus.jsonl:{number}", doc))
        if len(found) >= len(EXAMPLES) + 3:
            break
    return found


EXAMPLE_DOCUMENTS = example_documents()


@pytest.mark.parametrize(("name", "doc"), EXAMPLE_DOCUMENTS, ids=[n for n, _ in EXAMPLE_DOCUMENTS])
def test_no_marker_reaches_an_error_from_the_examples(name: str, doc: Any) -> None:
    """Every position of an example course, marked at once or a few at a time."""
    places = positions(TreatmentCourse, doc, document=True)
    assert {kind for _, kind, _ in places} >= {"text", "zone", "enum", "date", "datetime", "int"}
    everywhere = dict.fromkeys((loc for loc, *_ in places), None)
    marked_doc = doc
    for loc, kind, _field in places:
        everywhere[loc] = MARKERS[kind][0]
        marked_doc = replace_at(marked_doc, loc, MARKERS[kind][0])
    error = load_marked(TreatmentCourse, marked_doc, everywhere)
    assert error is not None

    @given(st.lists(st.sampled_from(places), min_size=1, max_size=3, unique=True), st.data())
    def run(chosen: list[Position], data: st.DataObject) -> None:
        marked: dict[Loc, Any] = {}
        changed = doc
        for loc, kind, _field in chosen:
            value = data.draw(st.sampled_from(MARKERS[kind]))
            changed = replace_at(changed, loc, value)
            marked[loc] = value
        load_marked(TreatmentCourse, changed, marked)

    run()


def test_the_markers_are_seen_when_present() -> None:
    """The check itself works: a marker in a message would be caught."""
    issue = iptkit.Issue("$.x", "invalid_value", f"{TEXT} is not allowed.")
    with pytest.raises(AssertionError):
        assert_error_keeps_no_value(ValidationError([issue]))
    assert leaks(f"total {NUMBER:,}")
    assert leaks(f"on {DATE}")


def test_unknown_keys_keep_their_value_as_input_only() -> None:
    """An unknown key stays in the path (structure); its value is only the issue's input."""
    doc = {**iptkit.dump(iptkit.InterpersonalInventory()), "notes": TEXT}
    with pytest.raises(ValidationError) as info:
        iptkit.load(iptkit.InterpersonalInventory, doc)
    (issue,) = info.value.issues
    assert (issue.path, issue.code, issue.input) == ("$.notes", "unknown_field", TEXT)
    assert_error_keeps_no_value(info.value)


def test_huge_schema_version_is_reported_without_it() -> None:
    """A version too large to print is one issue whose message does not try to."""
    doc = {"schema_version": 10**5000, "relationships": []}
    with pytest.raises(ValidationError) as info:
        iptkit.load(iptkit.InterpersonalInventory, doc)
    (issue,) = info.value.issues
    assert (issue.code, issue.input) == ("unsupported_schema_version", 10**5000)
    str(info.value)


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


def mark_free_text(doc: Any) -> tuple[Any, int]:
    """``doc`` with a distinct marker in each text position that keeps it valid.

    Returns the document and how many positions hold a marker.
    """
    count = 0
    for loc, kind, _field in positions(TreatmentCourse, doc):
        if kind != "text" or value_at(doc, loc) is None:
            continue
        candidate = replace_at(doc, loc, f"{TEXT}{count}")
        try:
            iptkit.load(TreatmentCourse, candidate)
        except ValidationError:
            continue
        doc = candidate
        count += 1
    return doc, count


def assert_findings_quote_nothing(doc: Any) -> None:
    course = iptkit.load(TreatmentCourse, doc)
    for finding in iptkit.check(course):
        assert not leaks(finding.message), finding
        assert not leaks(str(finding)), finding
        assert not leaks(repr(finding)), finding


@pytest.mark.parametrize(("name", "doc"), EXAMPLE_DOCUMENTS, ids=[n for n, _ in EXAMPLE_DOCUMENTS])
def test_findings_of_examples_quote_no_free_text(name: str, doc: Any) -> None:
    """Findings of an example course whose free text holds markers never quote it."""
    marked, count = mark_free_text(doc)
    assert count > 5
    assert_findings_quote_nothing(marked)


@given(iptkit.testing.courses())
def test_findings_quote_no_free_text(course: TreatmentCourse) -> None:
    """Findings of generated courses whose free text holds markers never quote it."""
    marked, _ = mark_free_text(iptkit.dump(course))
    assert_findings_quote_nothing(marked)


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


def run_check(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m iptkit check ARGS``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "iptkit", "check", *args],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


def report_formats() -> list[str]:
    """Every ``--format`` the command offers (csv too, when there is one)."""
    usage = run_check("--help").stdout.decode()
    found = re.search(r"--format \{([a-z,]+)\}", usage)
    assert found, usage
    return found.group(1).split(",")


def marked_lines() -> Iterator[dict[str, Any]]:
    """Course documents for the command line: markers everywhere, a few, and in free text."""
    for _, doc in EXAMPLE_DOCUMENTS:
        places = positions(TreatmentCourse, doc, document=True)
        everywhere = doc
        for loc, kind, _field in places:
            everywhere = replace_at(everywhere, loc, MARKERS[kind][0])
        yield everywhere
        for index, (loc, kind, _field) in enumerate(places):
            if index % 7 == 0:
                yield replace_at(doc, loc, MARKERS[kind][index % len(MARKERS[kind])])
        yield mark_free_text(doc)[0]


def other_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    """The parts of the example courses stored as documents of their own, marked everywhere."""
    parts = {
        "contract": ("contract", iptkit.TreatmentContract),
        "inventory": ("inventory", iptkit.InterpersonalInventory),
        "maintenance": ("maintenance_agreement", iptkit.MaintenanceAgreement),
        "schedule": ("schedule", iptkit.Schedule),
    }
    for _, course in EXAMPLE_DOCUMENTS[: len(EXAMPLES)]:
        for name, (kind, cls) in parts.items():
            part = course.get(name)
            if not isinstance(part, dict):
                continue
            doc = {"schema_version": iptkit.SCHEMA_VERSION, **part}
            marked = doc
            for loc, place_kind, _field in positions(cls, doc, document=True):
                marked = replace_at(marked, loc, MARKERS[place_kind][0])
            yield kind, marked


@pytest.fixture(scope="module")
def marked_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """JSON Lines files of marked documents, one per document kind."""
    folder = tmp_path_factory.mktemp("marked")
    lines: dict[str, list[str]] = {"course": [json.dumps(doc) for doc in marked_lines()]}
    lines["course"].append('{"patient_id": "' + TEXT + '", not json')
    for kind, doc in other_documents():
        lines.setdefault(kind, []).append(json.dumps(doc))
    files = {}
    for kind, found in lines.items():
        path = folder / f"{kind}.jsonl"
        path.write_text("\n".join(found) + "\n", encoding="utf-8")
        files[kind] = path
    return files


FORMATS = report_formats()


def without_patient_ids(fmt: str, stdout: str) -> tuple[str, set[str]]:
    """The report without its ``patient_id`` fields, and the ids those fields held."""
    ids: set[str] = set()
    if fmt == "text":
        found = re.compile(r"^([^ ]*?) \(patient (.*?)\): ", re.MULTILINE)
        ids = {match.group(2) for match in found.finditer(stdout)}
        return found.sub(r"\1: ", stdout), ids
    if fmt == "csv":
        import csv

        table = list(csv.reader(stdout.splitlines()))
        column = table[0].index("patient_id")
        ids = {row[column] for row in table[1:] if row[column]}
        return "\n".join(",".join(r[:column] + r[column + 1 :]) for r in table), ids
    rows = json.loads(stdout)["rows"] if fmt == "json" else map(json.loads, stdout.splitlines())
    kept = []
    for row in rows:
        patient_id = row.pop("patient_id")
        if patient_id is not None:
            ids.add(patient_id)
        kept.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(kept), ids


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_hold_no_marker(marked_corpus: dict[str, Path], fmt: str) -> None:
    """Without --show-values no report format shows a marker, for any document kind."""
    assert {"course", "contract", "inventory", "schedule"} <= set(marked_corpus)
    for kind, path in marked_corpus.items():
        proc = run_check("--format", fmt, "--document", kind, str(path))
        assert proc.returncode == 1, proc.stderr.decode()
        assert b"Traceback" not in proc.stderr
        assert proc.stdout.count(b"\n") > 3
        report, ids = without_patient_ids(fmt, proc.stdout.decode("utf-8", errors="replace"))
        # The ids shown are those of courses that loaded, each from its own document.
        loaded = {
            doc.get("patient_id") for doc in map(json.loads, path.read_text().splitlines()[:-1])
        }
        assert ids <= loaded if kind == "course" else not ids
        for text in (report, proc.stderr.decode("utf-8", errors="replace")):
            assert not leaks(text), f"{kind} --format {fmt}: {leaks(text)}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_show_markers_on_request(marked_corpus: dict[str, Path], fmt: str) -> None:
    """With --show-values the markers do appear (so the test above can fail)."""
    proc = run_check("--format", fmt, "--show-values", str(marked_corpus["course"]))
    assert proc.returncode == 1, proc.stderr.decode()
    text = proc.stdout.decode("utf-8", errors="replace")
    assert TEXT in text
    assert str(NUMBER) in text
    assert DATE in text


def test_marked_dates_are_real_dates() -> None:
    """The date markers are values the codec reads, so they reach the model's rules too."""
    assert dt.date.fromisoformat(DATE)
    assert dt.datetime.fromisoformat(DATETIME).utcoffset()
