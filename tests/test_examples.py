"""Tests of the bundled example data and the script that writes it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

import iptkit
from iptkit import (
    FocusArea,
    LifeEventKind,
    PartyRole,
    Phase,
    SessionKind,
    SessionStatus,
    TreatmentCourse,
    ValidationError,
    loads,
)
from iptkit.measures import InstrumentId, change
from iptkit.protocols import ADOLESCENT, IPT_UK, STANDARD

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = EXAMPLES / "data"
COURSE_FILES = sorted(DATA.glob("*.json"))


def load_example(name: str) -> TreatmentCourse:
    return loads(TreatmentCourse, (DATA / name).read_text(encoding="utf-8"))


def make_examples() -> ModuleType:
    """The example-writing script, imported as a module."""
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_examples", module)
    spec.loader.exec_module(module)
    return module


def phq9_change(course: TreatmentCourse) -> iptkit.measures.Change:
    scores = [
        found
        for _, number, found in course.all_scores()
        if number is not None and found.instrument is InstrumentId.PHQ9
    ]
    return change(scores[0], scores[-1])


class TestExampleFiles:
    def test_there_are_three_courses(self) -> None:
        """The three documented example courses are present."""
        assert [p.name for p in COURSE_FILES] == [
            "adolescent_ipt_a.json",
            "adult_grief_16.json",
            "missed_extension_maintenance.json",
        ]

    @pytest.mark.parametrize("path", COURSE_FILES, ids=lambda p: p.name)
    def test_course_loads(self, path: Path) -> None:
        """Each example is a valid course document."""
        course = loads(TreatmentCourse, path.read_text(encoding="utf-8"))
        assert course.patient_id.startswith("EX-")

    @pytest.mark.parametrize("path", COURSE_FILES, ids=lambda p: p.name)
    def test_course_has_no_findings(self, path: Path) -> None:
        """Each example follows its protocol: iptkit.check finds nothing."""
        check = getattr(iptkit, "check", None)
        if check is None:
            pytest.skip("this release has no check()")
        course = loads(TreatmentCourse, path.read_text(encoding="utf-8"))
        assert [(f.code, f.path) for f in check(course)] == []

    @pytest.mark.parametrize("path", COURSE_FILES, ids=lambda p: p.name)
    def test_course_is_pretty_json(self, path: Path) -> None:
        """Each example is written as iptkit.dumps with an indent of 2 and a final newline."""
        text = path.read_text(encoding="utf-8")
        assert text == iptkit.dumps(loads(TreatmentCourse, text), indent=2) + "\n"

    def test_corpus_lines(self) -> None:
        """The demo corpus has 200 lines; a tenth fail to load, the rest are courses."""
        lines = (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 200
        failures = 0
        for line in lines:
            try:
                loads(TreatmentCourse, line)
            except ValidationError:
                failures += 1
        assert failures == 20


class TestAdultGrief:
    """Adult IPT-UK with a grief focus (domain reference §2.2, §4, §7.2)."""

    def test_protocol_and_total(self) -> None:
        """Sixteen weekly sessions of IPT-UK, all held."""
        course = load_example("adult_grief_16.json")
        assert course.protocol == IPT_UK
        assert course.contract is not None
        assert course.contract.total == 16
        assert [r.number for r in course.acute_records] == list(range(1, 17))
        assert course.attendance_rate == 1.0
        assert course.sessions_remaining == 0

    def test_grief_follows_a_death_before_the_onset(self) -> None:
        """The focus is grief; the spouse in the inventory died months before the onset."""
        course = load_example("adult_grief_16.json")
        assert course.formulation is not None
        assert course.formulation.focus_areas == (FocusArea.GRIEF,)
        assert course.inventory is not None
        assert course.onset is not None
        deceased = [r for r in course.inventory.relationships if r.deceased]
        assert [r.label for r in deceased] == ["P1"]
        assert deceased[0].died_on is not None
        assert 60 <= (course.onset - deceased[0].died_on).days <= 180
        assert [e.kind for e in course.life_events] == [LifeEventKind.DEATH]

    def test_phq9_reaches_remission(self) -> None:
        """PHQ-9 falls by more than half and ends below 5 (§7.2)."""
        result = phq9_change(load_example("adult_grief_16.json"))
        assert result.response is True
        assert result.remission is True

    def test_phases_follow_ipt_uk(self) -> None:
        """Sessions 1-4 initial, 5-12 middle, 13-16 termination (§3.1, IPT-UK)."""
        course = load_example("adult_grief_16.json")
        phases = [r.phase for r in course.acute_records]
        expected = [Phase.INITIAL] * 4 + [Phase.MIDDLE] * 8 + [Phase.TERMINATION] * 4
        assert phases == expected


class TestAdolescent:
    """IPT-A with a parent (domain reference §4)."""

    def test_twelve_sessions_in_three_phases_of_four(self) -> None:
        """ADOLESCENT, 12 sessions: 1-4 initial, 5-8 middle, 9-12 termination."""
        course = load_example("adolescent_ipt_a.json")
        assert course.protocol == ADOLESCENT
        assert course.contract is not None
        assert course.contract.total == 12
        phases = [r.phase for r in course.acute_records]
        assert phases == [Phase.INITIAL] * 4 + [Phase.MIDDLE] * 4 + [Phase.TERMINATION] * 4

    def test_parent_is_a_party_and_joins_sessions(self) -> None:
        """A parent signs the contract and joins the first, a middle and the last session."""
        course = load_example("adolescent_ipt_a.json")
        assert course.contract is not None
        parents = [p for p in course.contract.parties if p.role is PartyRole.PARENT_CARER]
        assert len(parents) == 1
        joined = [r for r in course.acute_records if r.parent_present]
        assert [r.number for r in joined] == [1, 6, 12]
        assert [r.phase for r in joined] == [Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION]

    def test_role_dispute_with_the_parent(self) -> None:
        """The focus is a role dispute with the parent who is a party (§2.2, §2.3)."""
        course = load_example("adolescent_ipt_a.json")
        assert course.contract is not None
        assert course.inventory is not None
        assert course.contract.focus_areas == (FocusArea.ROLE_DISPUTE,)
        assert course.contract.dispute_stage is not None
        (parent,) = [p for p in course.contract.parties if p.role is PartyRole.PARENT_CARER]
        person = course.inventory.by_label(parent.label)
        assert person is not None
        assert person.in_dispute


class TestMissedExtensionMaintenance:
    """Misses made up, an extension and maintenance (design rules 4, 5 and 6)."""

    def test_misses_are_made_up(self) -> None:
        """Two missed sessions keep their number, which the next slot spends (rule 4)."""
        course = load_example("missed_extension_maintenance.json")
        made_up = [r for r in course.acute_records if r.made_up]
        assert [(r.number, r.status) for r in made_up] == [
            (3, SessionStatus.MISSED),
            (7, SessionStatus.CANCELLED_BY_PATIENT),
        ]
        counted = [r.number for r in course.acute_records if r.counts]
        assert counted == list(range(1, 17))

    def test_extension_agreed_before_termination(self) -> None:
        """12 sessions extended to 16 by an amendment agreed in the middle phase (rule 5)."""
        course = load_example("missed_extension_maintenance.json")
        assert course.protocol == STANDARD
        assert course.contract is not None
        assert course.contract.sessions.total == 12
        (amendment,) = course.contract.amendments
        assert amendment.new_total == 16
        termination = [r for r in course.acute_records if r.phase is Phase.TERMINATION]
        assert all(amendment.agreed_on < r.starts_at.date() for r in termination)
        assert [r.number for r in termination] == [14, 15, 16]

    def test_maintenance_sessions_follow_the_acute_course(self) -> None:
        """Maintenance sessions are M1..M4, all after session 16 (rule 6)."""
        course = load_example("missed_extension_maintenance.json")
        maintenance = [r for r in course.sessions if r.kind is SessionKind.MAINTENANCE]
        assert [r.label for r in maintenance] == ["M1", "M2", "M3", "M4"]
        last_acute = max(r.starts_at for r in course.acute_records)
        assert all(r.starts_at > last_acute for r in maintenance)
        assert course.maintenance is not None
        assert course.maintenance.count == 4
        assert course.schedule is not None
        assert [s.label for s in course.schedule.maintenance_sessions] == ["M1", "M2", "M3", "M4"]


class TestMakeExamples:
    def test_reproduces_the_committed_files(self) -> None:
        """make_examples.py writes exactly the files in examples/data, byte for byte."""
        built = make_examples().build_all()
        committed = {p.name: p.read_text(encoding="utf-8") for p in DATA.iterdir()}
        assert sorted(built) == sorted(committed)
        for name, text in built.items():
            assert text == committed[name], name

    def test_main_writes_to_a_folder(self, tmp_path: Path) -> None:
        """``--out`` writes the files to another folder."""
        module = make_examples()
        assert module.main(["--out", str(tmp_path)]) == 0
        assert json.loads((tmp_path / "adult_grief_16.json").read_text())["patient_id"] == (
            "EX-GRIEF-01"
        )
