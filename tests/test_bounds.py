"""Bounds every value keeps: whole numbers, dates, text, nesting and zone names.

docs/json-schema.md ("Bounds every value keeps") states them; these tests
hold the models, the codec, the JSON Schema and the docs to the same numbers.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of, public_models
from iptkit._io._schema import DATE_PATTERN, DATETIME_PATTERN
from iptkit._model import field_specs, is_model
from iptkit._recurrence import _zone_names
from iptkit._types import MAX_DATE, MAX_DEPTH, MAX_YEAR, MIN_DATE, MIN_YEAR, Kind, TypeShape

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.UTC


def all_models() -> list[type]:
    """Every model class defined in iptkit's own modules, public or not."""
    found: dict[str, type] = {}
    package = importlib.import_module("iptkit")
    for info in pkgutil.walk_packages(package.__path__, "iptkit."):
        if "._cli" in info.name or info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for value in vars(module).values():
            if is_model(value) and value.__module__.startswith("iptkit"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


MODELS = all_models()

#: Whole numbers a field holds inside a list or union, where no field bound
#: applies, and the rule that bounds them instead.
BOUNDED_BY_A_RULE = {
    ("Score", "items"): "each answer is checked against its instrument's item range",
}


def _bare(shape: TypeShape) -> TypeShape:
    return shape.inner if shape.kind is Kind.OPTIONAL else shape


class TestWholeNumbers:
    """Every whole-number field declares a minimum and a maximum."""

    def test_models_found(self) -> None:
        """The walk sees public and internal models."""
        names = {cls.__name__ for cls in MODELS}
        assert {"Measurement", "Score", "ScheduledSession", "TreatmentCourse"} <= names
        assert len(MODELS) >= len(public_models())

    def test_every_int_field_is_bounded(self) -> None:
        """ge and le on each int field; ints inside lists or unions are bounded by a named rule."""
        unbounded = []
        for cls in MODELS:
            for spec in field_specs(cls):
                shape = _bare(spec.shape)
                if shape.kind is Kind.INT:
                    c = spec.constraints
                    if c.ge is None or c.le is None:
                        unbounded.append(f"{cls.__name__}.{spec.name}")
                elif (spec.shape.contains(Kind.INT) or spec.shape.contains(Kind.ANY)) and (
                    cls.__name__,
                    spec.name,
                ) not in BOUNDED_BY_A_RULE:
                    unbounded.append(f"{cls.__name__}.{spec.name} (inside {spec.type})")
        assert not unbounded, f"declare ge= and le= for: {unbounded}"

    def test_bounds_are_in_the_schema(self) -> None:
        """The declared bounds are the schema's minimum and maximum."""
        schema = iptkit.json_schema(iptkit.measures.Measurement)
        number = schema["properties"]["session_number"]["anyOf"][0]
        assert (number["minimum"], number["maximum"]) == (1, 1000)
        total = schema["$defs"]["Score"]["properties"]["total"]
        assert (total["minimum"], total["maximum"]) == (0, 63)

    @pytest.mark.parametrize(
        "value", [10**5000, -(10**5000), 2**64, 1001], ids=["huge", "-huge", "2**64", "1001"]
    )
    def test_huge_numbers_are_out_of_range(self, value: int) -> None:
        """A number with more digits than Python writes as text never gets into an object."""
        doc = {
            "taken_on": "2026-01-05",
            "session_number": value,
            "score": {"instrument": "phq9", "total": 3},
        }
        assert issues_of(lambda: iptkit.load(iptkit.measures.Measurement, doc)) == [
            ("$.session_number", "out_of_range")
        ]

    def test_score_items_bounded_by_their_instrument(self) -> None:
        """A huge item answer is refused by the instrument rule."""
        doc = {"instrument": "phq9", "items": [10**5000, *[0] * 8], "total": 0}
        issues = issues_of(lambda: iptkit.load(iptkit.measures.Score, doc))
        assert ("$.items[0]", "out_of_range") in issues

    @given(st.sampled_from(public_models()).flatmap(st.from_type))
    def test_every_accepted_int_can_be_written(self, obj: Any) -> None:
        """Any valid object's whole numbers are small enough to write and show."""
        text = iptkit.dumps(obj)
        assert len(max(re.findall(r"-?\d+", text) or ["0"], key=len)) < 25
        repr(obj)


class TestDates:
    """Dates lie between 1900-01-01 and 2200-12-31; datetimes in those years as written."""

    def test_the_bounds(self) -> None:
        """The documented numbers."""
        assert (dt.date(1900, 1, 1), dt.date(2200, 12, 31)) == (MIN_DATE, MAX_DATE)
        assert (MIN_YEAR, MAX_YEAR) == (1900, 2200)

    @pytest.mark.parametrize(
        ("day", "ok"),
        [("1900-01-01", True), ("2200-12-31", True), ("1899-12-31", False), ("2201-01-01", False)],
    )
    def test_dates_in_code_and_json(self, day: str, ok: bool) -> None:
        """The same days are accepted by constructors, load and the schema's pattern."""
        value = dt.date.fromisoformat(day)
        doc = {"system": "icd10", "code": "F32.1", "recorded_on": day}
        other = iptkit.load(iptkit.Diagnosis, {**doc, "recorded_on": "2026-01-05"})
        if ok:
            assert iptkit.load(iptkit.Diagnosis, doc).recorded_on == value
            assert iptkit.evolve(other, recorded_on=value).recorded_on == value
        else:
            assert issues_of(lambda: iptkit.load(iptkit.Diagnosis, doc)) == [
                ("$.recorded_on", "out_of_range")
            ]
            assert issues_of(lambda: iptkit.evolve(other, recorded_on=value)) == [
                ("$.recorded_on", "out_of_range")
            ]
        assert bool(re.match(DATE_PATTERN, day)) is ok

    @pytest.mark.parametrize(
        ("text", "ok"),
        [
            ("1900-01-01T00:00:00+14:00", True),
            ("2200-12-31T23:59:59-12:00", True),
            ("1899-12-31T23:59:59Z", False),
            ("2201-01-01T00:00:00Z", False),
        ],
    )
    def test_datetimes_by_the_year_written(self, text: str, ok: bool) -> None:
        """A date and time counts by its own wall-clock date, in code and JSON and the schema."""
        row = iptkit.dump(_plan().sessions[0])
        doc = {**row, "starts_at": text}
        if ok:
            session = iptkit.load(iptkit.ScheduledSession, doc)
            assert session.ends_at > session.starts_at
            assert iptkit.loads(iptkit.ScheduledSession, iptkit.dumps(session)) == session
        else:
            assert issues_of(lambda: iptkit.load(iptkit.ScheduledSession, doc)) == [
                ("$.starts_at", "out_of_range")
            ]
        assert bool(re.match(DATETIME_PATTERN, text)) is ok

    def test_every_date_field_is_bounded(self) -> None:
        """Each date and datetime field of every public model refuses a day outside the bounds."""
        for cls in public_models():
            for spec in field_specs(cls):
                shape = _bare(spec.shape)
                shape = shape.inner if shape.kind is Kind.TUPLE else shape
                if shape.kind is Kind.DATE:
                    bad: Any = dt.date(1899, 12, 31)
                elif shape.kind is Kind.DATETIME:
                    bad = dt.datetime(2201, 1, 1, tzinfo=UTC)
                else:
                    continue
                value = (bad,) if _bare(spec.shape).kind is Kind.TUPLE else bad
                codes = [issue.code for issue in spec.check(value, "$.x")]
                assert codes == ["out_of_range"], (cls, spec.name)

    def test_derived_dates_stay_computable(self) -> None:
        """From the last supported day, a session's end and any zone's local time exist."""
        late = dt.datetime(
            2200, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=23, minutes=59))
        )
        session = iptkit.evolve(_plan().sessions[0], starts_at=late)
        session.ends_at.astimezone(ZoneInfo("Pacific/Kiritimati"))
        early = dt.datetime(1900, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59)))
        (early - dt.timedelta(days=366 * 10)).astimezone(ZoneInfo("Pacific/Pago_Pago"))


class TestText:
    """Text is Unicode scalar values only."""

    @given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
    def test_any_unicode_text_is_accepted(self, label: str) -> None:
        """Every string UTF-8 can write is text (empty text aside, which the field refuses)."""
        if not label:
            return
        friend = iptkit.Relationship(
            label=label[:64], role=iptkit.RelationshipRole.FRIEND, closeness=2
        )
        assert iptkit.loads(iptkit.Relationship, iptkit.dumps(friend).encode()) == friend

    @given(st.text(max_size=5), st.integers(0xD800, 0xDFFF), st.text(max_size=5))
    def test_a_surrogate_anywhere_is_refused(self, before: str, point: int, after: str) -> None:
        """One unpaired surrogate anywhere in a text makes it invalid_text."""
        label = before + chr(point) + after
        assert issues_of(
            lambda: iptkit.Relationship(
                label=label, role=iptkit.RelationshipRole.FRIEND, closeness=2
            )
        )[0] == ("$.label", "invalid_text")


class TestNesting:
    """A fixed nesting limit, MAX_DEPTH levels."""

    def test_the_limit(self) -> None:
        """64 levels, far more than any iptkit document needs."""
        assert MAX_DEPTH == 64
        deepest = max(_depth(iptkit._types.shape_of(cls)) for cls in MODELS)
        assert deepest < 16 < MAX_DEPTH

    def test_very_deep_text_is_too_deep(self) -> None:
        """100,000 levels of brackets (it used to be invalid_json) are too_deep, quickly."""
        text = "[" * 100_000 + "]" * 100_000
        assert issues_of(lambda: iptkit.loads(iptkit.InterpersonalInventory, text)) == [
            ("$", "too_deep")
        ]

    def test_check_jobs_agree(self, tmp_path: Path) -> None:
        """iptkit check gives the same rows with one worker and with two (issue 11's 985 levels)."""
        lines = [
            '{"schema_version":2,"relationships":' + "[" * 985 + "]" * 985 + "}",
            "[" * 3000 + "]" * 3000,
            json.dumps({"schema_version": 2, "relationships": [], "social_style": "\ud800"}),
        ]
        path = tmp_path / "deep.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        outputs = []
        for jobs in ("1", "2"):
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "iptkit",
                    "check",
                    str(path),
                    "--document",
                    "inventory",
                    "--format",
                    "jsonl",
                    "--jobs",
                    jobs,
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 1, result.stderr
            outputs.append(result.stdout)
        assert outputs[0] == outputs[1]
        rows = [json.loads(line) for line in outputs[0].splitlines()]
        codes = [row["code"] for row in rows if row.get("type") == "problem"]
        assert codes == ["too_deep", "too_deep", "invalid_text"]


def _depth(shape: TypeShape, seen: frozenset[type] = frozenset()) -> int:
    """How many levels of arrays and objects a JSON value of ``shape`` can nest."""
    kind = shape.kind
    if kind is Kind.OPTIONAL:
        return _depth(shape.inner, seen)
    if kind is Kind.TUPLE:
        return 1 + _depth(shape.inner, seen)
    if kind is Kind.MODEL:
        cls = shape.model_class
        assert cls not in seen, f"{cls.__name__} contains itself"
        return 1 + max((_depth(s.shape, seen | {cls}) for s in field_specs(cls)), default=0)
    assert kind is not Kind.ANY
    return 0


class TestZones:
    """Zone names come from the IANA database; host-specific names are refused."""

    def test_names(self) -> None:
        """The IANA names are there; host aliases and the posix/right copies are not."""
        names = _zone_names()
        assert {"UTC", "Europe/London", "America/New_York", "Etc/GMT+5"} <= names
        assert not {"localtime", "posixrules", "Factory"} & names
        assert not [n for n in names if n.startswith(("posix/", "right/"))]

    @pytest.mark.parametrize(
        "zone",
        [
            "localtime",
            "posixrules",
            "Factory",
            "right/UTC",
            "posix/UTC",
            "/etc/localtime",
            "../UTC",
            "Mars/Olympus",
            "utc",
        ],
    )
    def test_refused(self, zone: str) -> None:
        """Everything else is invalid_zone, in a contract's terms too."""
        terms = iptkit.SessionTerms(
            total=12,
            frequency=iptkit.Frequency.WEEKLY,
            minutes=50,
            first_session=dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
            zone="UTC",
        )
        assert ("$.zone", "invalid_zone") in issues_of(lambda: iptkit.evolve(terms, zone=zone))


class TestDocs:
    """The docs state the bounds the code keeps."""

    def test_json_schema_page(self) -> None:
        """docs/json-schema.md gives the days, the depth and the zone rule."""
        text = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
        section = text.split("## Bounds every value keeps", 1)[1]
        for fact in (
            MIN_DATE.isoformat(),
            MAX_DATE.isoformat(),
            f"{MAX_DEPTH} levels",
            "`invalid_text`",
            "`too_deep`",
            "localtime",
            "minimum",
        ):
            assert fact in section, fact

    def test_getting_started_points_there(self) -> None:
        """The getting-started page sums them up."""
        text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
        assert "1900-01-01 and 2200-12-31" in text
        assert f"{MAX_DEPTH} levels deep" in text


def _plan() -> iptkit.Schedule:
    return iptkit.plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 12, zone="UTC")
