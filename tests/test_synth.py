"""Tests of the synthetic corpus generator (``iptkit synth``)."""

from __future__ import annotations

import collections
import io
import json
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    FocusArea,
    LifeEventKind,
    PartyRole,
    SessionKind,
    SessionStatus,
    TreatmentCourse,
    ValidationError,
    dumps,
    loads,
)
from iptkit._cli._synth import DEFECTS, DEPARTURES, WIDE, CorpusLine, iter_corpus, synth_course
from iptkit._cli._synth import write_corpus as write
from iptkit.measures import INSTRUMENTS, InstrumentId, change
from iptkit.protocols import ADOLESCENT, IPT_UK, STANDARD, STUART

#: The issue code each kind of broken line must raise on loading.
DEFECT_CODES = {
    "invalid_json": "invalid_json",
    "duplicate_key": "duplicate_key",
    "not_an_object": "wrong_type",
    "unknown_field": "unknown_field",
    "wrong_type": "wrong_type",
    "missing_field": "missing_field",
    "naive_datetime": "naive_datetime",
    "invalid_date": "invalid_value",
    "invalid_value": "invalid_value",
    "number_gap": "number_sequence",
    "duplicate_number": "number_sequence",
    "phase_mismatch": "phase_mismatch",
    "score_out_of_range": "out_of_range",
    "total_mismatch": "total_mismatch",
    "unsupported_schema_version": "unsupported_schema_version",
    "outside_course": "outside_course",
    "onset_after_start": "out_of_order",
    "made_up_not_missed": "made_up_not_missed",
    "goal_outside_focus": "goal_outside_focus",
    "invalid_zone": "invalid_zone",
}

#: The finding iptkit.check reports for each departure built into a valid course.
DEPARTURE_FINDINGS = {
    "three_focus_areas": "too_many_focus_areas",
    "no_inventory": "inventory_missing",
    "measures_missing": "measure_gap",
    "no_contract": "contract_missing",
    "risk_unassessed": "safety_unassessed",
    "too_many_sessions": "total_outside_protocol",
    "long_sessions": "minutes_outside_protocol",
    "late_inventory": "inventory_late",
    "no_sick_role": "sick_role_missing",
    "ending_not_raised": "ending_not_raised",
    "no_diagnosis": "diagnosis_missing",
}


def corpus_text(**arguments: object) -> str:
    out = io.StringIO()
    write(out, **arguments)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(scope="module")
def lines() -> list[CorpusLine]:
    """A corpus of 300 courses, a fifth of them broken."""
    return list(iter_corpus(courses=300, seed=7, invalid_fraction=0.2))


@pytest.fixture(scope="module")
def valid(lines: list[CorpusLine]) -> list[TreatmentCourse]:
    """The valid courses of :func:`lines`, loaded."""
    return [loads(TreatmentCourse, line.text) for line in lines if line.defect is None]


class TestWriteCorpus:
    def test_same_seed_gives_identical_bytes(self) -> None:
        """Two runs with the same arguments write byte-identical output."""
        first = corpus_text(courses=40, seed=3, invalid_fraction=0.25)
        assert first == corpus_text(courses=40, seed=3, invalid_fraction=0.25)

    def test_different_seeds_differ(self) -> None:
        """Another seed gives other courses."""
        assert corpus_text(courses=5, seed=1) != corpus_text(courses=5, seed=2)

    def test_one_line_per_course(self) -> None:
        """Every course is one line ending in a newline."""
        text = corpus_text(courses=12, seed=4, invalid_fraction=0.5)
        assert text.endswith("\n")
        assert text.count("\n") == 12

    def test_no_courses_writes_nothing(self) -> None:
        """Zero courses give an empty output."""
        assert corpus_text(courses=0, seed=4) == ""

    def test_no_invalid_fraction_gives_only_valid_courses(self) -> None:
        """With ``invalid_fraction=0`` every line loads as a course."""
        for line in corpus_text(courses=60, seed=9).splitlines():
            assert isinstance(loads(TreatmentCourse, line), TreatmentCourse)

    def test_every_line_is_json_unless_broken_as_json(self, lines: list[CorpusLine]) -> None:
        """Only lines broken as invalid JSON fail to parse as JSON."""
        for line in lines:
            if line.defect == "invalid_json":
                with pytest.raises(json.JSONDecodeError):
                    json.loads(line.text)
            else:
                json.loads(line.text)

    def test_lines_are_what_iter_corpus_yields(self) -> None:
        """write_corpus writes the texts iter_corpus yields, in order."""
        texts = [line.text for line in iter_corpus(courses=15, seed=5, invalid_fraction=0.3)]
        assert corpus_text(courses=15, seed=5, invalid_fraction=0.3).splitlines() == texts

    @pytest.mark.parametrize(
        ("arguments", "path", "code"),
        [
            ({"courses": -1, "seed": 0}, "$.courses", "out_of_range"),
            ({"courses": 2.0, "seed": 0}, "$.courses", "wrong_type"),
            ({"courses": 1, "seed": "0"}, "$.seed", "wrong_type"),
            (
                {"courses": 1, "seed": 0, "invalid_fraction": 1.5},
                "$.invalid_fraction",
                "out_of_range",
            ),
            (
                {"courses": 1, "seed": 0, "invalid_fraction": "0.1"},
                "$.invalid_fraction",
                "wrong_type",
            ),
            ({"courses": 1, "seed": 0, "sessions": 2}, "$.sessions", "out_of_range"),
            ({"courses": 1, "seed": 0, "sessions": 1000}, "$.sessions", "out_of_range"),
            ({"courses": 1, "seed": 0, "sessions": 16.0}, "$.sessions", "wrong_type"),
        ],
    )
    def test_bad_arguments_are_refused(
        self, arguments: dict[str, object], path: str, code: str
    ) -> None:
        """A bad argument raises ValidationError at its name."""
        with pytest.raises(ValidationError) as caught:
            corpus_text(**arguments)
        assert [(i.path, i.code) for i in caught.value.issues] == [(path, code)]


class TestIterCorpus:
    def test_valid_lines_are_iptkit_dumps_of_a_course(self, lines: list[CorpusLine]) -> None:
        """Each valid line loads, and iptkit.dumps of the course gives the line back exactly."""
        for line in lines:
            if line.defect is None:
                assert dumps(loads(TreatmentCourse, line.text)) == line.text

    @given(courses=st.integers(0, 40), fraction=st.floats(0, 1), seed=st.integers(0, 3))
    def test_broken_count_is_the_requested_share(
        self, courses: int, fraction: float, seed: int
    ) -> None:
        """The number of broken lines is the requested share of the courses, rounded."""
        broken = [
            line.defect
            for line in iter_corpus(courses=courses, seed=seed, invalid_fraction=fraction)
            if line.defect is not None
        ]
        assert len(broken) == round(courses * fraction)

    def test_each_broken_line_raises_its_code(self, lines: list[CorpusLine]) -> None:
        """Every broken line fails to load with the issue code of its defect."""
        broken = [line for line in lines if line.defect is not None]
        assert len(broken) == 60
        for line in broken:
            assert line.defect is not None
            with pytest.raises(ValidationError) as caught:
                loads(TreatmentCourse, line.text)
            assert DEFECT_CODES[line.defect] in {i.code for i in caught.value.issues}

    def test_many_kinds_of_defect(self) -> None:
        """A larger broken corpus shows every kind of defect."""
        seen = {line.defect for line in iter_corpus(courses=400, seed=2, invalid_fraction=1.0)}
        assert seen == set(DEFECTS)

    def test_defect_table_covers_every_defect(self) -> None:
        """Every defect the generator knows has an expected issue code here."""
        assert set(DEFECT_CODES) == set(DEFECTS)

    def test_a_course_does_not_depend_on_the_broken_share(self) -> None:
        """Course i is the same whatever the share of broken lines, when it is not broken."""
        plain = list(iter_corpus(courses=20, seed=8))
        mixed = list(iter_corpus(courses=20, seed=8, invalid_fraction=0.5))
        for before, after in zip(plain, mixed, strict=True):
            if after.defect is None:
                assert after.text == before.text


class TestCorpusContent:
    """The corpus looks like a service's records (domain reference §2, §4, §5, §7)."""

    def test_protocol_mix(self, valid: list[TreatmentCourse]) -> None:
        """Adult IPT (standard and IPT-UK) is the most common; several variants appear (§4)."""
        names = collections.Counter(course.protocol.name for course in valid)
        adult = names[STANDARD.name] + names[IPT_UK.name]
        assert adult > len(valid) / 3
        assert {"adolescent", "brief", "group", "counseling", "stuart"} <= set(names)

    def test_adolescent_courses_involve_a_parent(self, valid: list[TreatmentCourse]) -> None:
        """IPT-A courses name a parent or carer in the contract and hold joint sessions (§4)."""
        young = [c for c in valid if c.protocol == ADOLESCENT]
        assert young
        for course in young:
            if course.contract is not None:
                roles = {party.role for party in course.contract.parties}
                assert PartyRole.PARENT_CARER in roles
            assert any(r.parent_present for r in course.sessions)

    def test_life_events_fit_the_focus(self, valid: list[TreatmentCourse]) -> None:
        """Grief follows a death; a dispute has a person in dispute and a stage (§2.2, §2.3)."""
        for course in valid:
            assert course.formulation is not None
            focus = course.formulation.focus_areas[0]
            kinds = {event.kind for event in course.life_events}
            if focus is FocusArea.GRIEF:
                assert LifeEventKind.DEATH in kinds
                if course.inventory is not None:
                    assert any(r.deceased for r in course.inventory.relationships)
            elif focus is FocusArea.ROLE_DISPUTE:
                assert LifeEventKind.CONFLICT in kinds
                if course.inventory is not None:
                    assert any(
                        r.in_dispute and r.dispute_stage is not None
                        for r in course.inventory.relationships
                    )
            elif focus is FocusArea.INTERPERSONAL_DEFICITS:
                # No life event near the onset, and a sparse, distant inventory.
                assert course.onset is not None
                assert all((course.onset - e.date).days > 730 for e in course.life_events)
                if course.inventory is not None:
                    assert len(course.inventory.relationships) <= 3
                    assert all(r.closeness >= 3 for r in course.inventory.relationships)

    def test_inventories_use_pseudonymous_labels(self, valid: list[TreatmentCourse]) -> None:
        """People in the inventory are P1, P2, ... in order, never names (§5)."""
        for course in valid:
            if course.inventory is not None:
                labels = [r.label for r in course.inventory.relationships]
                assert labels == [f"P{n}" for n in range(1, len(labels) + 1)]

    def test_scores_within_instrument_ranges(self, valid: list[TreatmentCourse]) -> None:
        """Every total and item answer lies within its instrument's range (§7.1)."""
        for course in valid:
            for _, _, found in course.all_scores():
                instrument = INSTRUMENTS[found.instrument]
                assert 0 <= found.total <= instrument.max_total
                if found.item_scores is not None:
                    assert all(0 <= answer <= 3 for answer in found.item_scores)
                    assert sum(found.item_scores) == found.total

    def test_phq9_falls_for_most_patients(self, valid: list[TreatmentCourse]) -> None:
        """PHQ-9 falls by about half from session 1 to the last acute measure (§7.2).

        The median drop lies between 40% and 70%, and about half of the
        finished courses (dropouts included) meet the response criterion.
        """
        percents = []
        responses = []
        for course in valid:
            phq = [
                (number, found)
                for _, number, found in course.all_scores()
                if number is not None and found.instrument is InstrumentId.PHQ9
            ]
            if len(phq) < 2 or course.ended_on is None:
                continue
            result = change(phq[0][1], phq[-1][1])
            percents.append(float(result.percent or 0))
            responses.append(bool(result.response))
        assert 40 <= statistics.median(percents) <= 70
        assert 0.4 <= sum(responses) / len(responses) <= 0.85

    def test_some_safety_items_are_positive(self, valid: list[TreatmentCourse]) -> None:
        """PHQ-9 item 9 is sometimes above 0, and then mostly a risk assessment is recorded."""
        flagged = [
            record
            for course in valid
            for record in course.sessions
            if any(s.safety_flag for s in record.scores)
        ]
        assert flagged
        assessed = sum(record.risk_assessed for record in flagged)
        assert assessed / len(flagged) > 0.8

    def test_misses_make_ups_extensions_and_maintenance_occur(
        self, valid: list[TreatmentCourse]
    ) -> None:
        """The corpus has counted misses, made-up misses, extensions and maintenance (§6)."""
        records = [record for course in valid for record in course.sessions]
        assert any(r.made_up for r in records)
        assert any(not r.made_up and r.status is SessionStatus.MISSED for r in records)
        assert any(r.kind is SessionKind.MAINTENANCE for r in records)
        assert any(r.kind is SessionKind.PRE_TREATMENT for r in records)
        assert any(c.contract is not None and c.contract.amendments for c in valid)
        assert any(c.schedule is not None for c in valid)
        assert any(c.ended_on is None for c in valid)

    def test_goal_ratings_rise(self, valid: list[TreatmentCourse]) -> None:
        """Goal progress is mostly higher at the last rating than at the first."""
        pairs = [
            (goal.ratings[0].progress, goal.ratings[-1].progress)
            for course in valid
            for goal in course.goals
            if len(goal.ratings) >= 2
        ]
        assert sum(last > first for first, last in pairs) / len(pairs) > 0.7


class TestSessions:
    @pytest.mark.parametrize("total", [16, 64])
    def test_forced_total_is_contracted(self, total: int) -> None:
        """``sessions=`` fixes the contracted acute total of every course."""
        for line in iter_corpus(courses=6, seed=1, sessions=total):
            course = loads(TreatmentCourse, line.text)
            assert course.contract is not None
            assert course.contract.total == total
            if not course.protocol.allows_total(total):
                pytest.fail(f"{course.protocol.name} does not allow {total} sessions")

    def test_total_beyond_the_protocols_uses_a_wide_protocol(self) -> None:
        """A total no built-in protocol allows is judged against the wide protocol."""
        course = loads(TreatmentCourse, next(iter_corpus(courses=1, seed=1, sessions=64)).text)
        assert course.protocol == WIDE

    def test_total_beyond_the_contract_limit_has_no_contract(self) -> None:
        """256 sessions exceed what a contract may plan: the course has none, but all records."""
        course = loads(TreatmentCourse, next(iter_corpus(courses=1, seed=1, sessions=256)).text)
        assert course.contract is None
        numbers = {r.number for r in course.acute_records if r.counts}
        assert max(numbers) >= 200


class TestSynthCourse:
    def test_same_random_state_gives_same_course(self) -> None:
        """A course depends on its random source only."""
        first = synth_course(random.Random(12), patient_id="SY-1")
        assert synth_course(random.Random(12), patient_id="SY-1") == first

    @pytest.mark.parametrize("departure", DEPARTURES)
    def test_departure_is_found_by_check(self, departure: str) -> None:
        """Each built-in departure gives its finding under iptkit.check (§8)."""
        check = getattr(iptkit, "check", None)
        if check is None:
            pytest.skip("this release has no check()")
        found: set[str] = set()
        for seed in range(8):
            course = synth_course(random.Random(seed), patient_id="SY-1", departures=(departure,))
            found.update(finding.code for finding in check(course))
        assert DEPARTURE_FINDINGS[departure] in found

    def test_without_departures_there_are_no_warnings_of_the_kinds_built_in(self) -> None:
        """A course without departures shows none of the findings departures are for."""
        check = getattr(iptkit, "check", None)
        if check is None:
            pytest.skip("this release has no check()")
        built_in = set(DEPARTURE_FINDINGS.values()) - {"safety_unassessed", "measure_gap"}
        for seed in range(30):
            course = synth_course(random.Random(seed), patient_id="SY-1", departures=())
            assert not built_in & {finding.code for finding in check(course)}

    def test_stuart_courses_never_focus_on_deficits(self) -> None:
        """Stuart & Robertson's protocol has no interpersonal deficits (§2.1)."""
        for seed in range(200):
            course = synth_course(random.Random(seed), patient_id="SY-1", departures=())
            if course.protocol == STUART and course.formulation is not None:
                assert FocusArea.INTERPERSONAL_DEFICITS not in course.formulation.focus_areas

    def test_issues_helper_agrees(self) -> None:
        """A broken line's issues are reported the same way as any invalid document."""
        line = next(
            line
            for line in iter_corpus(courses=60, seed=5, invalid_fraction=1.0)
            if line.defect == "unknown_field"
        )
        codes = {code for _, code in issues_of(lambda: loads(TreatmentCourse, line.text))}
        assert "unknown_field" in codes
