"""Nothing silent about suicide risk: the safety items in iptkit.check (reference §7.1, §8.8).

Two checks read the safety item of a score (PHQ-9 item 9, BDI-II item 9,
HAM-D17 item 3):

* ``safety_unassessed`` (error): the item is positive and no risk assessment
  is recorded that day, at a session or with a measurement;
* ``safety_item_unknown`` (warning): a total is recorded without the item's
  answer, so a positive item cannot be ruled out; the message is stronger in
  the instrument's most severe band.

Each finding gets a course that produces it and a neighbouring one that does
not.  The courses are small: weekly acute sessions of the standard protocol,
no contract, so that no other check has a deadline that matters here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import given

import iptkit
from iptkit import (
    CHECKS,
    SessionRecord,
    SessionStatus,
    Severity,
    TreatmentCourse,
    check,
    phase_of,
)
from iptkit.measures import (
    BDI2,
    GAD7,
    HAMD17,
    PHQ9,
    Instrument,
    Measurement,
    Score,
    from_total,
    score,
)
from iptkit.protocols import STANDARD
from iptkit.testing import courses

V1 = Path(__file__).parent / "data" / "v1"

#: Session 1: Monday 2 March 2026, 09:00 UTC; weekly after.
FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
STARTED = FIRST.date() - dt.timedelta(days=14)
SAFETY_CODES = ("safety_unassessed", "safety_item_unknown")
E, W = Severity.ERROR, Severity.WARNING

#: A score with every answer known and no safety flag.
CLEAR = from_total(PHQ9, 10, safety_item=0)


def day_of(number: int) -> dt.date:
    """The date of weekly session ``number``."""
    return FIRST.date() + dt.timedelta(weeks=number - 1)


def hamd(item3: int, *, first: int = 4) -> Score:
    """A HAM-D17 scored item by item: item 1 at ``first``, item 3 (suicide) at ``item3``."""
    items = [0] * 17
    items[0] = first
    items[2] = item3
    return score(HAMD17, items)


def record(number: int, scores: Sequence[Score] = (CLEAR,), **fields: Any) -> SessionRecord:
    """Held acute session ``number`` of a 12-session standard course."""
    return SessionRecord(
        number=number,
        starts_at=FIRST + dt.timedelta(weeks=number - 1),
        minutes=50,
        status=SessionStatus.HELD,
        phase=phase_of(number, 12, STANDARD),
        scores=tuple(scores),
        **fields,
    )


def course(
    records: Sequence[SessionRecord] = (), measurements: Sequence[Measurement] = ()
) -> TreatmentCourse:
    """A standard course started two weeks before session 1."""
    return TreatmentCourse(
        patient_id="SF-1001",
        started_on=STARTED,
        sessions=tuple(records),
        measurements=tuple(measurements),
    )


def found(subject: TreatmentCourse, code: str) -> list[tuple[str, Severity]]:
    """(path, severity) of each finding of ``code``."""
    return [(f.path, f.severity) for f in check(subject) if f.code == code]


def messages(subject: TreatmentCourse, code: str) -> list[str]:
    """The messages of the findings of ``code``."""
    return [f.message for f in check(subject) if f.code == code]


class TestRegistered:
    """Both checks are registered with their severities and sources."""

    def test_codes_severities_sources(self) -> None:
        """safety_unassessed is an error, safety_item_unknown a warning, both citing §7.1."""
        infos = {info.code: info for info in CHECKS}
        assert infos["safety_unassessed"].severity is Severity.ERROR
        assert infos["safety_item_unknown"].severity is Severity.WARNING
        for code in SAFETY_CODES:
            assert "§7.1" in infos[code].source
            assert "§8.8" in infos[code].source

    def test_clear_course(self) -> None:
        """Scores with their safety answers at 0 give neither finding."""
        subject = course([record(1), record(2, [CLEAR, score(GAD7, [3] * 7)])])
        assert [f.code for f in check(subject) if f.code in SAFETY_CODES] == []


class TestSafetyUnassessed:
    """A positive safety item needs a risk assessment on the same day (§8.8)."""

    def test_hamd17_item3_in_a_mild_total(self) -> None:
        """HAM-D17 item 3 rated 4 is an error although the total, 8, is "mild"."""
        rated = hamd(4)
        assert (rated.total, rated.severity.value) == (8, "mild")
        subject = course([record(1), record(2, [rated])])
        assert found(subject, "safety_unassessed") == [("$.sessions[1].scores[0]", E)]

    def test_hamd17_item3_assessed(self) -> None:
        """The same score with a risk assessment at the session gives nothing."""
        subject = course([record(1), record(2, [hamd(4)], risk_assessed=True)])
        assert found(subject, "safety_unassessed") == []

    def test_hamd17_item3_at_zero(self) -> None:
        """HAM-D17 item 3 at 0 raises no flag."""
        assert found(course([record(1, [hamd(0)])]), "safety_unassessed") == []

    def test_total_with_its_safety_answer(self) -> None:
        """A total stored with a positive safety answer is an error; with 0, nothing."""
        positive = course([record(1, [from_total(HAMD17, 8, safety_item=4)])])
        assert found(positive, "safety_unassessed") == [("$.sessions[0].scores[0]", E)]
        negative = course([record(1, [from_total(HAMD17, 8, safety_item=0)])])
        assert found(negative, "safety_unassessed") == []

    def test_bdi2_item9(self) -> None:
        """BDI-II item 9 answered 1 is an error (§7.1)."""
        items = [0] * 21
        items[8] = 1
        subject = course([record(1, [CLEAR, score(BDI2, items)])])
        assert found(subject, "safety_unassessed") == [("$.sessions[0].scores[1]", E)]

    def test_phq9_total_too_high_for_item9_at_zero(self) -> None:
        """PHQ-9 27 alone means item 9 was 3: an error as well as safety_item_unknown."""
        subject = course([record(1, [from_total(PHQ9, 27)])])
        assert found(subject, "safety_unassessed") == [("$.sessions[0].scores[0]", E)]
        assert found(subject, "safety_item_unknown") == [("$.sessions[0].scores[0]", W)]
        assessed = course([record(1, [from_total(PHQ9, 27)], risk_assessed=True)])
        assert found(assessed, "safety_unassessed") == []

    def test_screening_measure_without_assessment(self) -> None:
        """A positive screening score outside a session, with no assessment, is an error."""
        screen = Measurement(taken_on=STARTED, score=from_total(PHQ9, 14, safety_item=1))
        subject = course([record(1)], [screen])
        assert found(subject, "safety_unassessed") == [("$.measurements[0].score", E)]

    def test_screening_measure_assessed_the_same_day(self) -> None:
        """risk_assessed_on the day clears it, without inventing a session."""
        screen = Measurement(
            taken_on=STARTED,
            score=from_total(PHQ9, 14, safety_item=1),
            risk_assessed_on=STARTED,
        )
        assert found(course([record(1)], [screen]), "safety_unassessed") == []

    def test_screening_measure_assessed_a_day_later(self) -> None:
        """An assessment recorded the next day is not the same day: still an error."""
        screen = Measurement(
            taken_on=STARTED,
            score=from_total(PHQ9, 14, safety_item=1),
            risk_assessed_on=STARTED + dt.timedelta(days=1),
        )
        subject = course([record(1)], [screen])
        assert found(subject, "safety_unassessed") == [("$.measurements[0].score", E)]

    def test_measurement_assessment_clears_a_session_the_same_day(self) -> None:
        """A measurement's risk assessment clears a positive score at a session that day."""
        flagged = record(2, [score(PHQ9, [1] * 9)])
        note = Measurement(taken_on=day_of(2), score=CLEAR, risk_assessed_on=day_of(2))
        assert found(course([record(1), flagged], [note]), "safety_unassessed") == []
        other_day = Measurement(taken_on=day_of(1), score=CLEAR, risk_assessed_on=day_of(1))
        subject = course([record(1), flagged], [other_day])
        assert found(subject, "safety_unassessed") == [("$.sessions[1].scores[0]", E)]

    def test_session_assessment_clears_a_measurement_the_same_day(self) -> None:
        """A session record with risk_assessed clears a positive measure taken that day."""
        measure = Measurement(taken_on=day_of(2), score=score(PHQ9, [0] * 8 + [2]))
        assessed = course([record(1), record(2, risk_assessed=True)], [measure])
        assert found(assessed, "safety_unassessed") == []
        not_assessed = course([record(1), record(2)], [measure])
        assert found(not_assessed, "safety_unassessed") == [("$.measurements[0].score", E)]

    def test_measurement_for_an_assessed_session(self) -> None:
        """A measure that names an assessed session is cleared by it, whatever its day."""
        measure = Measurement(
            taken_on=day_of(2) - dt.timedelta(days=1),
            session_number=2,
            score=score(PHQ9, [0] * 8 + [2]),
        )
        assessed = course([record(1), record(2, risk_assessed=True)], [measure])
        assert found(assessed, "safety_unassessed") == []

    def test_one_measurement_clears_another_the_same_day(self) -> None:
        """Two measures on one day: the assessment recorded with either clears both."""
        positive = Measurement(taken_on=STARTED, score=from_total(BDI2, 30, safety_item=2))
        assessed = Measurement(
            taken_on=STARTED, score=from_total(PHQ9, 12, safety_item=1), risk_assessed_on=STARTED
        )
        assert found(course([], [positive, assessed]), "safety_unassessed") == []

    def test_assessment_another_day_does_not_clear(self) -> None:
        """An assessment at session 1 does not clear a positive score at session 2."""
        subject = course([record(1, risk_assessed=True), record(2, [hamd(2)])])
        assert found(subject, "safety_unassessed") == [("$.sessions[1].scores[0]", E)]


class TestSafetyItemUnknown:
    """A total without its safety answer is reported, more strongly in the top band."""

    def test_phq9_27_from_total(self) -> None:
        """PHQ-9 27 as a total alone draws the warning, with the stronger message."""
        subject = course([record(1, [from_total(PHQ9, 27)], risk_assessed=True)])
        assert found(subject, "safety_item_unknown") == [("$.sessions[0].scores[0]", W)]
        (message,) = messages(subject, "safety_item_unknown")
        assert "most severe band" in message
        assert "suicide risk" in message

    def test_mid_range_total(self) -> None:
        """PHQ-9 12 alone draws the warning with the plain message."""
        subject = course([record(1, [from_total(PHQ9, 12)])])
        assert found(subject, "safety_item_unknown") == [("$.sessions[0].scores[0]", W)]
        (message,) = messages(subject, "safety_item_unknown")
        assert "most severe band" not in message
        assert "cannot be ruled out" in message

    def test_answer_recorded(self) -> None:
        """The same totals with their safety answers draw nothing."""
        told = [from_total(PHQ9, 12, safety_item=0), from_total(PHQ9, 27, safety_item=3)]
        subject = course([record(1, told, risk_assessed=True)])
        assert found(subject, "safety_item_unknown") == []

    def test_items_known(self) -> None:
        """A score with its items draws nothing."""
        subject = course([record(1, [score(PHQ9, [3] * 8 + [0]), hamd(0)])])
        assert found(subject, "safety_item_unknown") == []

    def test_no_safety_item(self) -> None:
        """A GAD-7 total draws nothing: the GAD-7 has no safety item."""
        subject = course([record(1, [CLEAR, from_total(GAD7, 21)])])
        assert found(subject, "safety_item_unknown") == []

    def test_total_of_zero_rules_it_out(self) -> None:
        """A total of 0 means the safety item was 0: nothing to report."""
        subject = course([record(1, [from_total(PHQ9, 0), from_total(HAMD17, 0)])])
        assert found(subject, "safety_item_unknown") == []

    def test_hamd17_total_alone(self) -> None:
        """A HAM-D17 total alone draws the warning: item 3 rates suicide."""
        subject = course([record(1, [CLEAR, from_total(HAMD17, 18)])])
        assert found(subject, "safety_item_unknown") == [("$.sessions[0].scores[1]", W)]

    def test_measurement(self) -> None:
        """A measurement outside a session is reported at its score."""
        screen = Measurement(taken_on=STARTED, score=from_total(BDI2, 30))
        subject = course([record(1)], [screen])
        assert found(subject, "safety_item_unknown") == [("$.measurements[0].score", W)]

    def test_top_band_edges(self) -> None:
        """The stronger message starts at the first total of each default table's top band."""
        for instrument, first in ((PHQ9, 20), (BDI2, 29), (HAMD17, 24)):
            assert instrument.top_band.low == first
            below = messages(course([record(1, [from_total(instrument, first - 1)])]), _UNKNOWN)
            at = messages(course([record(1, [from_total(instrument, first)])]), _UNKNOWN)
            assert len(below) == len(at) == 1
            assert "most severe band" not in below[0]
            assert "most severe band" in at[0]

    def test_severity_can_be_changed(self) -> None:
        """The warning can be raised to an error or switched off like any check."""
        subject = course([record(1, [from_total(PHQ9, 12)])])
        raised = iptkit.CheckConfig(severities={_UNKNOWN: Severity.ERROR})
        assert [f.severity for f in check(subject, config=raised) if f.code == _UNKNOWN] == [E]
        off = iptkit.CheckConfig(disabled={_UNKNOWN})
        assert [f for f in check(subject, config=off) if f.code == _UNKNOWN] == []


_UNKNOWN = "safety_item_unknown"


def _score_at(subject: TreatmentCourse, path: str) -> Score:
    """The score a finding's path points at."""
    match = re.fullmatch(r"\$\.sessions\[(\d+)\]\.scores\[(\d+)\]", path)
    if match:
        return subject.sessions[int(match[1])].scores[int(match[2])]
    match = re.fullmatch(r"\$\.measurements\[(\d+)\]\.score", path)
    assert match, path
    return subject.measurements[int(match[1])].score


class TestPrivacyAndProperties:
    """Messages hold no document values; findings point at the scores they are about."""

    def test_messages_hold_no_values(self) -> None:
        """No digit (score, date, answer) in any message of the two checks."""
        screen = Measurement(taken_on=STARTED, score=from_total(PHQ9, 27))
        subject = course([record(1, [hamd(4), from_total(PHQ9, 13)]), record(2)], [screen])
        found_messages = [f.message for f in check(subject) if f.code in SAFETY_CODES]
        assert len(found_messages) == 4
        assert not [m for m in found_messages if re.search(r"\d", m)]

    @given(courses())
    def test_findings_match_the_scores(self, subject: TreatmentCourse) -> None:
        """Every finding points at a score it is about, and every unknown answer is reported."""
        findings = [f for f in check(subject) if f.code in SAFETY_CODES]
        for finding in findings:
            about = _score_at(subject, finding.path)
            assert not re.search(r"\d", finding.message)
            if finding.code == "safety_unassessed":
                assert about.safety_flag is True
            else:
                assert about.safety_answer is None
                assert about.safety_flag is not False
        unknown = [
            s
            for s in [*(x for r in subject.sessions for x in r.scores)]
            + [m.score for m in subject.measurements]
            if s.definition.safety_item is not None
            and s.safety_answer is None
            and s.safety_flag is not False
        ]
        assert len([f for f in findings if f.code == _UNKNOWN]) == len(unknown)


class TestVersionOneDocuments:
    """Version-1 documents (no safety answer, no risk_assessed_on) still load."""

    def test_v1_courses_load_with_the_answers_unknown(self) -> None:
        """Every stored v1 course loads; its totals alone have no safety answer."""
        paths = sorted(V1.glob("*.json"))
        assert paths
        for path in paths:
            loaded = iptkit.loads(TreatmentCourse, path.read_text(encoding="utf-8"))
            everything: list[Score] = [s for r in loaded.sessions for s in r.scores]
            everything += [m.score for m in loaded.measurements]
            assert everything
            assert all(s.safety_item is None for s in everything)
            assert all(m.risk_assessed_on is None for m in loaded.measurements)
            # Read back, the document writes both keys, null.
            again = json.loads(iptkit.dumps(loaded))
            for item in again["sessions"]:
                assert all("safety_item" in s for s in item["scores"])

    def test_v1_item_scores_keep_their_flags(self) -> None:
        """A v1 score with items flags from them, as before."""
        loaded = iptkit.loads(
            TreatmentCourse, (V1 / "adult_grief_16.json").read_text(encoding="utf-8")
        )
        itemised = [s for r in loaded.sessions for s in r.scores if s.items is not None]
        assert itemised
        assert all(s.safety_flag is not None for s in itemised if s.definition.safety_item)


def test_instruments_with_a_safety_item() -> None:
    """The checks cover exactly the instruments that declare a safety item (§7.1)."""
    covered: list[Instrument] = [i for i in (PHQ9, GAD7, HAMD17, BDI2) if i.safety_item]
    assert covered == [PHQ9, HAMD17, BDI2]
