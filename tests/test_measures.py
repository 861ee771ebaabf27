"""Tests of the symptom measures (domain reference §7).

Severity tables are written out below as literal rows copied from the
reference, with their sources; every band edge is derived from these rows
and checked against the library, so a mistyped edge in either place fails.
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
import iptkit.measures
from _helpers import issues_of
from iptkit import ValidationError
from iptkit.measures import (
    BDI2,
    BDI2_LETTER_ANSWERS,
    GAD7,
    HAMD17,
    INSTRUMENTS,
    PHQ9,
    Change,
    Instrument,
    InstrumentId,
    Measurement,
    Score,
    SymptomSeverity,
    TableStatus,
    change,
    from_total,
    score,
    severity_of,
)
from iptkit.testing import changes, instruments, item_answers, measurements, scores

# --------------------------------------------------------------------------
# Published facts, copied from the domain reference
# --------------------------------------------------------------------------

#: (instrument, id, items, highest total): reference §7.1 table.
INSTRUMENT_FACTS = [
    (PHQ9, "phq9", 9, 27),
    (GAD7, "gad7", 7, 21),
    (HAMD17, "hamd17", 17, 52),
    (BDI2, "bdi2", 21, 63),
]

#: PHQ-9 bands, Kroenke et al. 2001 (reference §7.1).
PHQ9_KROENKE_2001 = [
    ("minimal", 0, 4),
    ("mild", 5, 9),
    ("moderate", 10, 14),
    ("moderately_severe", 15, 19),
    ("severe", 20, 27),
]
#: GAD-7 bands, Spitzer et al. 2006 (reference §7.1).
GAD7_SPITZER_2006 = [
    ("minimal", 0, 4),
    ("mild", 5, 9),
    ("moderate", 10, 14),
    ("severe", 15, 21),
]
#: HAM-D17 bands, Zimmerman et al. 2013, "0-7 no depression", "≥24 severe" up to the 52
#: maximum (reference §7.1).
HAMD17_ZIMMERMAN_2013 = [
    ("no_depression", 0, 7),
    ("mild", 8, 16),
    ("moderate", 17, 23),
    ("severe", 24, 52),
]
#: HAM-D17 older convention: 10-13 mild, 14-17 mild to moderate, >17 moderate
#: to severe (reference §7.4); 0-9, below its first cut-off, is read as no depression.
HAMD17_OLDER_CONVENTION = [
    ("no_depression", 0, 9),
    ("mild", 10, 13),
    ("mild_to_moderate", 14, 17),
    ("moderate_to_severe", 18, 52),
]
#: BDI-II manual bands, Beck, Steer & Brown 1996 (reference §7.1, §7.4).
BDI2_BECK_1996 = [
    ("minimal", 0, 13),
    ("mild", 14, 19),
    ("moderate", 20, 28),
    ("severe", 29, 63),
]
#: First-edition BDI bands that some sites give for the BDI-II (reference §7.4).
BDI_FIRST_EDITION = [
    ("minimal", 0, 9),
    ("mild", 10, 18),
    ("moderate", 19, 29),
    ("severe", 30, 63),
]

#: (instrument, table name, rows): every table the library offers.
TABLES: list[tuple[Instrument, str, list[tuple[str, int, int]]]] = [
    (PHQ9, "kroenke_2001", PHQ9_KROENKE_2001),
    (GAD7, "spitzer_2006", GAD7_SPITZER_2006),
    (HAMD17, "zimmerman_2013", HAMD17_ZIMMERMAN_2013),
    (HAMD17, "older_convention", HAMD17_OLDER_CONVENTION),
    (BDI2, "beck_1996", BDI2_BECK_1996),
    (BDI2, "bdi_first_edition", BDI_FIRST_EDITION),
]

#: Default table of each instrument (HAM-D17 defaults to Zimmerman, reference §7.4).
DEFAULT_TABLES = {
    PHQ9: "kroenke_2001",
    GAD7: "spitzer_2006",
    HAMD17: "zimmerman_2013",
    BDI2: "beck_1996",
}


def _edges() -> list[tuple[Instrument, str, int, str]]:
    """Both ends of every band of every table, with the severity they belong to."""
    found = []
    for instrument, name, rows in TABLES:
        for severity, low, high in rows:
            found.append((instrument, name, low, severity))
            found.append((instrument, name, high, severity))
    return found


def _crossings() -> list[tuple[Instrument, str, int, str, str]]:
    """Each boundary between adjacent bands: (last total below, band below, band above)."""
    found = []
    for instrument, name, rows in TABLES:
        for (below, _, high), (above, low, _) in itertools.pairwise(rows):
            assert low == high + 1
            found.append((instrument, name, high, below, above))
    return found


EDGES = _edges()
CROSSINGS = _crossings()


def _edge_id(value: Any) -> str:
    return value.name if isinstance(value, Instrument) else str(value)


#: HAM-D17 items rated 0-4 (1-based); the others are rated 0-2.
HAMD17_FIVE_POINT_ITEMS = {1, 2, 3, 7, 8, 9, 10, 11, 15}

#: LOINC codes, reference §7.5.
PHQ9_ITEM_LOINC = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]


# --------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------


class TestInstruments:
    """The built-in instrument descriptions (reference §7.1, §7.5)."""

    @pytest.mark.parametrize(("instrument", "ident", "items", "top"), INSTRUMENT_FACTS)
    def test_items_and_range(
        self, instrument: Instrument, ident: str, items: int, top: int
    ) -> None:
        """Each instrument has the identifier, item count and total range of §7.1."""
        assert instrument.id.value == ident
        assert instrument.item_count == items
        assert instrument.max_total == top
        assert INSTRUMENTS[InstrumentId(ident)] is instrument

    def test_every_instrument_listed(self) -> None:
        """INSTRUMENTS holds exactly the four built-in instruments."""
        assert set(INSTRUMENTS) == set(InstrumentId)
        assert {i for i, *_ in INSTRUMENT_FACTS} == set(INSTRUMENTS.values())

    def test_hamd17_item_maxima(self) -> None:
        """HAM-D17 items 1-3, 7-11 and 15 run 0-4, the other eight 0-2, for a 0-52 total."""
        expected = tuple(4 if n in HAMD17_FIVE_POINT_ITEMS else 2 for n in range(1, 18))
        assert HAMD17.item_max == expected
        assert sum(expected) == 52

    @pytest.mark.parametrize("instrument", [PHQ9, GAD7, BDI2], ids=_edge_id)
    def test_self_report_items_run_zero_to_three(self, instrument: Instrument) -> None:
        """PHQ-9, GAD-7 and BDI-II items are all scored 0-3."""
        assert set(instrument.item_max) == {3}
        assert not instrument.clinician_rated

    def test_hamd17_is_clinician_rated(self) -> None:
        """The HAM-D17 is the one clinician-rated instrument."""
        assert HAMD17.clinician_rated

    def test_phq9_loinc_codes(self) -> None:
        """PHQ-9 panel 44249-1, total 44261-6 and the nine item codes in order (§7.5)."""
        assert PHQ9.loinc_panel == "44249-1"
        assert PHQ9.loinc_total == "44261-6"
        assert PHQ9.loinc_items == tuple(PHQ9_ITEM_LOINC)
        assert PHQ9.loinc_items is not None
        assert PHQ9.loinc_items[8] == "44260-8"

    def test_gad7_loinc_codes(self) -> None:
        """GAD-7 panel 69737-5 is distinct from total 70274-6 (§7.5).

        Items 1 and 2, which §7.5 leaves open, are taken from LOINC's PHQ-SADS
        panel (69729-2): 69725-0 and 68509-9.
        """
        assert GAD7.loinc_panel == "69737-5"
        assert GAD7.loinc_total == "70274-6"
        assert GAD7.loinc_items == (
            "69725-0",
            "68509-9",
            "69733-4",
            "69734-2",
            "69735-9",
            "69689-8",
            "69736-7",
        )

    @pytest.mark.parametrize("instrument", [HAMD17, BDI2], ids=_edge_id)
    def test_no_unconfirmed_loinc_codes(self, instrument: Instrument) -> None:
        """No LOINC code is given where the reference confirms none."""
        assert instrument.loinc_panel is None
        assert instrument.loinc_total is None
        assert instrument.loinc_items is None

    def test_wrong_gad7_code_nowhere(self) -> None:
        """The mistaken GAD-7 code 69730-0 (§7.5) appears in no instrument."""
        for instrument in INSTRUMENTS.values():
            codes = {
                instrument.loinc_panel,
                instrument.loinc_total,
                *(instrument.loinc_items or ()),
            }
            assert "69730-0" not in codes

    @pytest.mark.parametrize(
        ("instrument", "safety"), [(PHQ9, (9,)), (BDI2, (9,)), (GAD7, ()), (HAMD17, (3,))]
    )
    def test_safety_items(self, instrument: Instrument, safety: tuple[int, ...]) -> None:
        """PHQ-9 item 9, BDI-II item 9 and HAM-D17 item 3 are the safety items (§7.1)."""
        assert instrument.safety_items == safety

    def test_only_bdi2_takes_lettered_answers(self) -> None:
        """BDI-II items 16 and 18 take lettered answers; no other item does (§7.1)."""
        assert BDI2.lettered_items == (16, 18)
        assert all(not i.lettered_items for i in (PHQ9, GAD7, HAMD17))

    @pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=_edge_id)
    def test_no_reliability_values_carried(self, instrument: Instrument) -> None:
        """No built-in instrument carries RCI values, as the reference cites none."""
        assert instrument.reliability_sd is None
        assert instrument.test_retest is None

    def test_instruments_are_immutable(self) -> None:
        """An instrument cannot be changed in place."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            PHQ9.name = "PHQ-8"  # type: ignore[misc]

    def test_repr_names_instrument(self) -> None:
        """The repr is short and names the instrument."""
        assert repr(HAMD17) == "<Instrument HAM-D17>"


class TestSeverityTables:
    """Each table matches its published rows (reference §7.1, §7.4)."""

    @pytest.mark.parametrize(("instrument", "name", "rows"), TABLES, ids=_edge_id)
    def test_table_matches_published_rows(
        self, instrument: Instrument, name: str, rows: list[tuple[str, int, int]]
    ) -> None:
        """The library's bands equal the literal rows copied from the reference."""
        table = instrument.table(name)
        assert [(b.severity.value, b.low, b.high) for b in table.bands] == rows
        assert table.max_total == instrument.max_total

    @pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=_edge_id)
    def test_every_table_is_tested(self, instrument: Instrument) -> None:
        """Every table the library offers appears in the literal tables above."""
        assert set(instrument.table_names) == {n for i, n, _ in TABLES if i is instrument}
        assert instrument.default_table.name == DEFAULT_TABLES[instrument]
        assert instrument.table_names[0] == DEFAULT_TABLES[instrument]

    @pytest.mark.parametrize(
        ("instrument", "name", "status"),
        [
            (PHQ9, "kroenke_2001", TableStatus.PUBLISHED),
            (GAD7, "spitzer_2006", TableStatus.PUBLISHED),
            (HAMD17, "zimmerman_2013", TableStatus.EMPIRICAL),
            (HAMD17, "older_convention", TableStatus.CONVENTION),
            (BDI2, "beck_1996", TableStatus.PUBLISHED),
            (BDI2, "bdi_first_edition", TableStatus.OTHER_EDITION),
        ],
        ids=_edge_id,
    )
    def test_status(self, instrument: Instrument, name: str, status: TableStatus) -> None:
        """Each table states where it comes from, and non-default tables carry a note."""
        table = instrument.table(name)
        assert table.status is status
        assert table.source
        if name != DEFAULT_TABLES[instrument]:
            assert table.note

    def test_unknown_table(self) -> None:
        """Asking for a table the instrument lacks raises unknown_table at $.table."""
        assert issues_of(lambda: PHQ9.table("zimmerman_2013")) == [("$.table", "unknown_table")]

    def test_bands_must_be_contiguous(self) -> None:
        """A table with a gap between bands cannot be built."""
        from iptkit.measures import Band, SeverityTable

        with pytest.raises(ValueError, match="contiguous"):
            SeverityTable(
                name="gappy",
                bands=(Band(SymptomSeverity.MILD, 0, 4), Band(SymptomSeverity.SEVERE, 6, 9)),
                status=TableStatus.CONVENTION,
                source="none",
            )


# --------------------------------------------------------------------------
# severity_of
# --------------------------------------------------------------------------


class TestSeverityOf:
    """severity_of() reads a total's band from a named table."""

    @pytest.mark.parametrize(("instrument", "table", "total", "expected"), EDGES, ids=_edge_id)
    def test_band_edges(
        self, instrument: Instrument, table: str, total: int, expected: str
    ) -> None:
        """Both ends of every published band give that band's severity."""
        assert severity_of(instrument, total, table) is SymptomSeverity(expected)

    @pytest.mark.parametrize(
        ("instrument", "table", "last", "below", "above"), CROSSINGS, ids=_edge_id
    )
    def test_band_crossings(
        self, instrument: Instrument, table: str, last: int, below: str, above: str
    ) -> None:
        """One point above a band's top lies in the next band."""
        assert severity_of(instrument, last, table).value == below
        assert severity_of(instrument, last + 1, table).value == above

    def test_hamd17_defaults_to_zimmerman(self) -> None:
        """Without a table name, HAM-D17 uses Zimmerman 2013 (reference §7.4)."""
        assert severity_of(HAMD17, 16) is SymptomSeverity.MILD
        assert severity_of(HAMD17, 17) is SymptomSeverity.MODERATE
        assert severity_of(HAMD17, 17, "older_convention") is SymptomSeverity.MILD_TO_MODERATE

    def test_bdi2_editions_disagree(self) -> None:
        """A BDI-II of 12 is minimal by the manual but mild by first-edition bands (§7.4)."""
        assert severity_of(BDI2, 12) is SymptomSeverity.MINIMAL
        assert severity_of(BDI2, 12, "bdi_first_edition") is SymptomSeverity.MILD

    def test_accepts_identifier(self) -> None:
        """An InstrumentId or its text value selects the instrument too."""
        assert severity_of(InstrumentId.GAD7, 15) is SymptomSeverity.SEVERE
        assert severity_of("gad7", 15) is SymptomSeverity.SEVERE

    @pytest.mark.parametrize(("instrument", "_ident", "_items", "top"), INSTRUMENT_FACTS)
    def test_total_out_of_range(
        self, instrument: Instrument, _ident: str, _items: int, top: int
    ) -> None:
        """A total below 0 or above the maximum raises out_of_range at $.total."""
        assert issues_of(lambda: severity_of(instrument, top + 1)) == [("$.total", "out_of_range")]
        assert issues_of(lambda: severity_of(instrument, -1)) == [("$.total", "out_of_range")]

    def test_total_wrong_type(self) -> None:
        """A total that is not a whole number raises wrong_type at $.total."""
        assert issues_of(lambda: severity_of(PHQ9, 4.0)) == [("$.total", "wrong_type")]  # type: ignore[arg-type]
        assert issues_of(lambda: severity_of(PHQ9, True)) == [("$.total", "wrong_type")]

    def test_unknown_instrument(self) -> None:
        """An unknown identifier or a non-instrument is refused at $.instrument."""
        assert issues_of(lambda: severity_of("phq8", 3)) == [("$.instrument", "invalid_value")]
        assert issues_of(lambda: severity_of(9, 3)) == [("$.instrument", "wrong_type")]  # type: ignore[arg-type]

    @given(st.data())
    def test_monotone_in_total(self, data: st.DataObject) -> None:
        """A higher total never falls in a lower band of the same table."""
        instrument, name, _ = data.draw(st.sampled_from(TABLES))
        low = data.draw(st.integers(0, instrument.max_total))
        high = data.draw(st.integers(low, instrument.max_total))
        order = [b.severity for b in instrument.table(name).bands]
        rank_low = order.index(severity_of(instrument, low, name))
        rank_high = order.index(severity_of(instrument, high, name))
        assert rank_low <= rank_high


# --------------------------------------------------------------------------
# score and from_total
# --------------------------------------------------------------------------


class TestScore:
    """score() totals item answers and refuses bad ones, naming the item."""

    def test_phq9_total(self) -> None:
        """The total is the sum of the nine answers."""
        result = score(PHQ9, [1, 2, 1, 0, 3, 1, 2, 0, 1])
        assert result.total == 11
        assert result.items == (1, 2, 1, 0, 3, 1, 2, 0, 1)
        assert result.instrument is InstrumentId.PHQ9
        assert result.severity is SymptomSeverity.MODERATE

    def test_hamd17_maxima_accepted(self) -> None:
        """Every HAM-D17 item at its own maximum gives the 52 maximum."""
        assert score(HAMD17, list(HAMD17.item_max)).total == 52

    def test_accepts_tuple_and_identifier(self) -> None:
        """Any sequence of answers and the instrument's identifier are accepted."""
        assert score("gad7", (3,) * 7).total == 21
        assert score(InstrumentId.GAD7, (0,) * 7).total == 0

    @pytest.mark.parametrize(("instrument", "_ident", "count", "_top"), INSTRUMENT_FACTS)
    def test_wrong_item_count(
        self, instrument: Instrument, _ident: str, count: int, _top: int
    ) -> None:
        """One answer too few or too many raises wrong_item_count at $.items."""
        assert issues_of(lambda: score(instrument, [0] * (count - 1))) == [
            ("$.items", "wrong_item_count")
        ]
        assert issues_of(lambda: score(instrument, [0] * (count + 1))) == [
            ("$.items", "wrong_item_count")
        ]

    def test_phq9_item9_out_of_range(self) -> None:
        """A 4 on PHQ-9 item 9 is out of range at $.items[8]."""
        assert issues_of(lambda: score(PHQ9, [0] * 8 + [4])) == [("$.items[8]", "out_of_range")]

    def test_negative_answer(self) -> None:
        """A negative answer is out of range."""
        assert issues_of(lambda: score(GAD7, [0, -1, 0, 0, 0, 0, 0])) == [
            ("$.items[1]", "out_of_range")
        ]

    def test_hamd17_three_point_item(self) -> None:
        """HAM-D17 item 4 (rated 0-2) refuses a 3 while item 1 (0-4) takes a 4."""
        items = [4, 0, 0, 3] + [0] * 13
        assert issues_of(lambda: score(HAMD17, items)) == [("$.items[3]", "out_of_range")]

    def test_every_bad_item_reported(self) -> None:
        """All bad answers are listed, each at its own path."""
        assert issues_of(lambda: score(PHQ9, [5, 0, 0, 0, 0, 0, 0, 9, 0])) == [
            ("$.items[0]", "out_of_range"),
            ("$.items[7]", "out_of_range"),
        ]

    @pytest.mark.parametrize("bad", [1.0, True, None, [1]])
    def test_wrong_type_answer(self, bad: Any) -> None:
        """A decimal, boolean, null or list answer is wrong_type at its path."""
        items: list[Any] = [0] * 9
        items[2] = bad
        assert issues_of(lambda: score(PHQ9, items)) == [("$.items[2]", "wrong_type")]

    def test_text_answer_on_plain_item(self) -> None:
        """Text is refused on an item that takes only numbers."""
        assert issues_of(lambda: score(PHQ9, ["1"] + [0] * 8)) == [("$.items[0]", "wrong_type")]

    @pytest.mark.parametrize("items", ["000000000", b"000000000", 5, {"a": 1}])
    def test_items_not_a_list(self, items: Any) -> None:
        """Text, bytes, a number or a mapping is not a list of answers."""
        assert issues_of(lambda: score(PHQ9, items)) == [("$.items", "wrong_type")]

    def test_wrong_type_and_count_together(self) -> None:
        """A short list with a bad answer reports both problems."""
        answers: list[Any] = [0, 1.5]
        assert issues_of(lambda: score(GAD7, answers)) == [
            ("$.items", "wrong_item_count"),
            ("$.items[1]", "wrong_type"),
        ]

    def test_not_an_instrument(self) -> None:
        """Something other than an instrument is refused at $.instrument."""
        assert issues_of(lambda: score(None, [0] * 9)) == [("$.instrument", "wrong_type")]  # type: ignore[arg-type]

    @pytest.mark.parametrize(("answer", "value"), sorted(BDI2_LETTER_ANSWERS.items()))
    @pytest.mark.parametrize("item", [16, 18])
    def test_bdi2_lettered_answers(self, item: int, answer: str, value: int) -> None:
        """BDI-II items 16 and 18 score 0, 1a, 1b, ..., 3b as 0, 1, 1, ..., 3 (§7.1)."""
        items: list[int | str] = [0] * 21
        items[item - 1] = answer
        result = score(BDI2, items)
        assert result.total == value
        assert result.items is not None
        assert result.items[item - 1] == answer
        assert iptkit.loads(Score, iptkit.dumps(result)) == result

    def test_bdi2_letter_scores_match_reference(self) -> None:
        """The seven lettered options are 0, 1a, 1b, 2a, 2b, 3a, 3b scored 0-3 (§7.1)."""
        assert dict(BDI2_LETTER_ANSWERS) == {
            "0": 0,
            "1a": 1,
            "1b": 1,
            "2a": 2,
            "2b": 2,
            "3a": 3,
            "3b": 3,
        }

    def test_bdi2_numbers_on_lettered_items(self) -> None:
        """Plain numbers are accepted on the lettered items too."""
        items = [0] * 21
        items[15] = 3
        assert score(BDI2, items).total == 3

    def test_bdi2_unknown_letter(self) -> None:
        """An unknown lettered answer is invalid_value at its path."""
        items: list[int | str] = [0] * 21
        items[17] = "4a"
        assert issues_of(lambda: score(BDI2, items)) == [("$.items[17]", "invalid_value")]

    def test_bdi2_letter_on_other_item(self) -> None:
        """A lettered answer on an item other than 16 or 18 is wrong_type."""
        items: list[int | str] = [0] * 21
        items[8] = "1a"
        assert issues_of(lambda: score(BDI2, items)) == [("$.items[8]", "wrong_type")]

    @given(scores(with_items=True))
    def test_total_is_sum_of_item_scores(self, result: Score) -> None:
        """The total of a scored instrument equals the sum of its item scores."""
        assert result.item_scores is not None
        assert result.total == sum(result.item_scores)
        assert score(result.definition, list(result.items or ())) == result

    @given(scores(with_items=True))
    def test_agrees_with_from_total(self, result: Score) -> None:
        """score() and from_total() agree on total and severity."""
        alone = from_total(result.instrument, result.total)
        assert alone.total == result.total
        assert alone.severity is result.severity
        assert alone.items is None


class TestFromTotal:
    """from_total() records a score whose items are unknown."""

    @pytest.mark.parametrize(("instrument", "_ident", "_items", "top"), INSTRUMENT_FACTS)
    def test_range_ends(self, instrument: Instrument, _ident: str, _items: int, top: int) -> None:
        """0 and the maximum are accepted; one beyond either end is out_of_range at $.total."""
        assert from_total(instrument, 0).total == 0
        assert from_total(instrument, top).total == top
        assert issues_of(lambda: from_total(instrument, top + 1)) == [("$.total", "out_of_range")]
        assert issues_of(lambda: from_total(instrument, -1)) == [("$.total", "out_of_range")]

    @pytest.mark.parametrize("bad", [10.0, "10", None, True])
    def test_wrong_type(self, bad: Any) -> None:
        """A total that is not a whole number is wrong_type at $.total."""
        assert issues_of(lambda: from_total(PHQ9, bad)) == [("$.total", "wrong_type")]

    def test_items_unknown(self) -> None:
        """The score has no items and no safety answer."""
        result = from_total(PHQ9, 22)
        assert result.items is None
        assert result.item_scores is None
        assert result.safety_flag is None
        assert result.severity is SymptomSeverity.SEVERE


# --------------------------------------------------------------------------
# The Score and Measurement models
# --------------------------------------------------------------------------


class TestScoreModel:
    """The Score model keeps its invariants however it is built."""

    def test_total_must_match_items(self) -> None:
        """A total that is not the sum of the items is total_mismatch at $.total."""
        assert issues_of(lambda: Score(instrument=InstrumentId.GAD7, items=(1,) * 7, total=6)) == [
            ("$.total", "total_mismatch")
        ]

    def test_loaded_item_out_of_range(self) -> None:
        """Loading a PHQ-9 with item 9 at 4 names $.items[8]."""
        data = {"instrument": "phq9", "items": [0] * 8 + [4], "total": 4}
        assert issues_of(lambda: iptkit.load(Score, data)) == [("$.items[8]", "out_of_range")]

    def test_loaded_wrong_count(self) -> None:
        """Loading a GAD-7 with six items is wrong_item_count at $.items."""
        data = {"instrument": "gad7", "items": [0] * 6, "total": 0}
        assert issues_of(lambda: iptkit.load(Score, data)) == [("$.items", "wrong_item_count")]

    def test_loaded_total_out_of_range(self) -> None:
        """Loading a HAM-D17 total of 53 is out_of_range at $.total."""
        data = {"instrument": "hamd17", "total": 53}
        assert issues_of(lambda: iptkit.load(Score, data)) == [("$.total", "out_of_range")]

    def test_loaded_unknown_instrument(self) -> None:
        """An unknown instrument identifier is invalid_value at $.instrument."""
        data = {"instrument": "phq8", "total": 3}
        assert issues_of(lambda: iptkit.load(Score, data)) == [("$.instrument", "invalid_value")]

    def test_json_form(self) -> None:
        """A score dumps as instrument id, items, total and safety answer (null with items)."""
        result = score(GAD7, [0, 1, 2, 3, 0, 1, 2])
        assert iptkit.dump(result) == {
            "instrument": "gad7",
            "items": [0, 1, 2, 3, 0, 1, 2],
            "total": 9,
            "safety_item": None,
        }

    def test_immutable(self) -> None:
        """A score cannot be changed in place."""
        result = from_total(PHQ9, 3)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            result.total = 4  # type: ignore[misc]

    def test_phq9_item9_flags(self) -> None:
        """Any PHQ-9 item-9 answer above 0 flags, whatever the total (§7.1)."""
        assert score(PHQ9, [0] * 8 + [1]).safety_flag is True
        assert score(PHQ9, [0] * 8 + [3]).safety_flag is True
        assert score(PHQ9, [3] * 8 + [0]).safety_flag is False

    def test_bdi2_item9_flags(self) -> None:
        """A BDI-II item-9 answer above 0 flags (§7.1)."""
        items = [0] * 21
        items[8] = 1
        assert score(BDI2, items).safety_flag is True
        assert score(BDI2, [0] * 21).safety_flag is False

    def test_no_safety_item_means_unknown(self) -> None:
        """GAD-7 scores have no safety flag: the GAD-7 has no safety item (§7.1)."""
        assert score(GAD7, [3] * 7).safety_flag is None
        assert score(GAD7, [3] * 7).safety_answer is None

    def test_hamd17_item3_flags(self) -> None:
        """HAM-D17 item 3 (suicide) rated 1 or more flags, even in a "mild" total (§7.1)."""
        items = [0] * 17
        items[2] = 4  # HAM-D17 item 3, suicide: attempts at suicide
        items[0] = 4
        result = score(HAMD17, items)
        assert (result.total, result.severity, result.safety_flag) == (
            8,
            SymptomSeverity.MILD,
            True,
        )
        items[2] = 1  # feels life is not worth living
        assert score(HAMD17, items).safety_flag is True
        items[2] = 0
        assert score(HAMD17, items).safety_flag is False

    def test_definition(self) -> None:
        """A score leads back to its instrument."""
        assert from_total("bdi2", 4).definition is BDI2


class TestMeasurement:
    """A Measurement ties a score to a day and optionally a session."""

    def test_fields(self) -> None:
        """The day, session number and score are kept."""
        m = Measurement(taken_on=dt.date(2025, 1, 6), session_number=4, score=from_total(PHQ9, 9))
        assert m.session_number == 4
        assert m.score.severity is SymptomSeverity.MILD
        assert (
            Measurement(taken_on=dt.date(2025, 1, 6), score=from_total(PHQ9, 9)).session_number
            is None
        )

    def test_session_number_positive(self) -> None:
        """Session number 0 is out_of_range at $.session_number."""
        assert issues_of(
            lambda: Measurement(
                taken_on=dt.date(2025, 1, 6), session_number=0, score=from_total(PHQ9, 9)
            )
        ) == [("$.session_number", "out_of_range")]

    def test_nested_path(self) -> None:
        """A bad item inside a loaded measurement is reported at $.score.items[i]."""
        data = {
            "taken_on": "2025-01-06",
            "session_number": 1,
            "score": {"instrument": "phq9", "items": [0] * 8 + [7], "total": 7},
        }
        assert issues_of(lambda: iptkit.load(Measurement, data)) == [
            ("$.score.items[8]", "out_of_range")
        ]

    @given(measurements())
    def test_round_trip(self, m: Measurement) -> None:
        """A measurement survives JSON unchanged."""
        assert iptkit.loads(Measurement, iptkit.dumps(m)) == m


# --------------------------------------------------------------------------
# change
# --------------------------------------------------------------------------


def _pair(instrument: Instrument, before: int, after: int, **kwargs: Any) -> Change:
    return change(from_total(instrument, before), from_total(instrument, after), **kwargs)


class TestChange:
    """change() compares two scores as reference §7.2 defines."""

    def test_exactly_half_is_response(self) -> None:
        """A drop of exactly 50% is a response (§7.2: "≥50%" includes 50%)."""
        c = _pair(PHQ9, 16, 8)
        assert c.percent == 50
        assert c.response is True
        assert c.partial_response is False
        assert _pair(HAMD17, 21, 11).response is False
        assert _pair(HAMD17, 20, 10).response is True

    def test_just_short_of_half_is_partial(self) -> None:
        """A drop of 10 from 21 (47.6%) is a partial response, not a response."""
        c = _pair(PHQ9, 21, 11)
        assert c.response is False
        assert c.partial_response is True
        assert c.percent == Fraction(1000, 21)

    def test_quarter_edge(self) -> None:
        """A drop of exactly 25% is a partial response; just under is neither."""
        assert _pair(PHQ9, 20, 15).partial_response is True
        assert _pair(PHQ9, 21, 16).partial_response is False
        assert _pair(PHQ9, 21, 16).response is False

    def test_thresholds_are_exact_decimals(self) -> None:
        """A threshold of 0.1 or 0.2 is the decimal, so exactly 10% or 20% meets it."""
        assert _pair(PHQ9, 10, 9, response_drop=0.1, partial_drop=0.1).response is True
        assert _pair(PHQ9, 5, 4, response_drop=0.2, partial_drop=0.1).response is True
        assert _pair(PHQ9, 5, 4, response_drop=0.2, partial_drop=0.2).partial_response is False

    def test_zero_baseline(self) -> None:
        """A baseline of 0 leaves percent and response undefined, without an error."""
        c = _pair(PHQ9, 0, 3)
        assert c.percent is None
        assert c.drop is None
        assert c.response is None
        assert c.partial_response is None
        assert c.remission is True
        assert c.points == -3

    def test_worsening(self) -> None:
        """A rise in total is a negative percent and neither kind of response."""
        c = _pair(GAD7, 8, 12)
        assert c.percent == -50
        assert c.response is False
        assert c.partial_response is False

    @pytest.mark.parametrize(
        ("instrument", "remitted", "not_remitted"),
        [(PHQ9, 4, 5), (HAMD17, 7, 8), (GAD7, 4, 5), (BDI2, 13, 14)],
        ids=_edge_id,
    )
    def test_default_remission(
        self, instrument: Instrument, remitted: int, not_remitted: int
    ) -> None:
        """PHQ-9 below 5 and HAM-D17 7 or less (§7.2); GAD-7 below 5, BDI-II 13 or less."""
        top = instrument.max_total
        assert _pair(instrument, top, remitted).remission is True
        assert _pair(instrument, top, not_remitted).remission is False

    def test_ipt_a_recovery_threshold(self) -> None:
        """HAM-D ≤6 "recovery" of an IPT-A trial is remission_at_most=6 (§7.2, §7.4)."""
        assert _pair(HAMD17, 20, 7, remission_at_most=6).remission is False
        assert _pair(HAMD17, 20, 6, remission_at_most=6).remission is True
        assert _pair(HAMD17, 20, 7, remission_at_most=6).effective_remission_at_most == 6
        assert _pair(HAMD17, 20, 7).effective_remission_at_most == 7

    @pytest.mark.parametrize(
        ("instrument", "at_most"), [(PHQ9, 4), (HAMD17, 7), (GAD7, 4), (BDI2, 13)], ids=_edge_id
    )
    def test_instrument_thresholds_are_inclusive(
        self, instrument: Instrument, at_most: int
    ) -> None:
        """PHQ-9 below 5 is 4 or less; HAM-D17 7 or less (§7.2); GAD-7, BDI-II by convention."""
        assert instrument.remission_at_most == at_most
        assert instrument.remission_source

    def test_different_instruments(self) -> None:
        """A PHQ-9 baseline and a GAD-7 follow-up cannot be compared."""
        assert issues_of(lambda: change(from_total(PHQ9, 9), from_total(GAD7, 4))) == [
            ("$.follow_up.instrument", "instrument_mismatch")
        ]

    def test_not_scores(self) -> None:
        """Something other than a score is wrong_type at its path."""
        assert issues_of(lambda: change(9, from_total(GAD7, 4))) == [  # type: ignore[arg-type]
            ("$.baseline", "wrong_type")
        ]

    def test_partial_above_response(self) -> None:
        """A partial-response drop above the response drop is invalid_range."""
        assert issues_of(lambda: _pair(PHQ9, 10, 5, response_drop=0.3, partial_drop=0.4)) == [
            ("$.partial_drop", "invalid_range")
        ]

    def test_drop_out_of_range(self) -> None:
        """A response drop above 1 is out_of_range."""
        assert issues_of(lambda: _pair(PHQ9, 10, 5, response_drop=1.5)) == [
            ("$.response_drop", "out_of_range")
        ]

    def test_whole_number_thresholds(self) -> None:
        """Whole-number thresholds are taken as decimals."""
        c = _pair(PHQ9, 10, 0, response_drop=1, partial_drop=0)
        assert c.response is True
        assert c.response_drop == 1.0

    def test_remission_threshold_range(self) -> None:
        """A remission threshold may be the maximum total, not more."""
        assert _pair(PHQ9, 10, 27, remission_at_most=27).remission is True
        assert issues_of(lambda: _pair(PHQ9, 10, 5, remission_at_most=28)) == [
            ("$.remission_at_most", "out_of_range")
        ]

    def test_no_reliable_change_without_values(self) -> None:
        """Without an SD and a reliability, reliable change is unknown."""
        c = _pair(PHQ9, 20, 2)
        assert c.reliable_change_index is None
        assert c.reliable_change is None

    def test_reliable_change_index(self) -> None:
        """RCI = drop / (SD * sqrt(2(1 - r))), Jacobson & Truax 1991; |RCI| > 1.96 is reliable."""
        small = _pair(PHQ9, 20, 15, reliability_sd=5.0, test_retest=0.8)
        assert small.reliable_change_index == pytest.approx(5 / (5 * 0.4**0.5))
        assert small.reliable_change is False
        large = _pair(PHQ9, 20, 10, reliability_sd=5.0, test_retest=0.8)
        assert large.reliable_change is True
        worse = _pair(PHQ9, 10, 20, reliability_sd=5.0, test_retest=0.8)
        assert worse.reliable_change_index is not None
        assert worse.reliable_change_index < 0
        assert worse.reliable_change is True

    def test_reliability_needs_both_values(self) -> None:
        """An SD without a reliability is incomplete_reliability at $.test_retest."""
        assert issues_of(lambda: _pair(PHQ9, 20, 10, reliability_sd=5.0)) == [
            ("$.test_retest", "incomplete_reliability")
        ]
        assert issues_of(lambda: _pair(PHQ9, 20, 10, test_retest=0.5)) == [
            ("$.reliability_sd", "incomplete_reliability")
        ]

    def test_reliability_bounds(self) -> None:
        """A reliability of 1 or an SD of 0 would divide by zero and is refused."""
        assert issues_of(lambda: _pair(PHQ9, 20, 10, reliability_sd=5.0, test_retest=1.0)) == [
            ("$.test_retest", "out_of_range")
        ]
        assert issues_of(lambda: _pair(PHQ9, 20, 10, reliability_sd=0.0, test_retest=0.5)) == [
            ("$.reliability_sd", "out_of_range")
        ]

    @given(st.data())
    def test_any_valid_pair(self, data: st.DataObject) -> None:
        """Any two scores of one instrument compare without error, as §7.2 defines."""
        instrument = data.draw(instruments())
        baseline = data.draw(scores(instrument))
        follow_up = data.draw(scores(instrument))
        c = change(baseline, follow_up)
        if baseline.total == 0:
            assert c.percent is None
            assert c.response is None
        else:
            drop = Fraction(baseline.total - follow_up.total, baseline.total)
            assert c.percent == drop * 100
            assert c.response is (drop >= Fraction(1, 2))
            assert c.partial_response is (Fraction(1, 4) <= drop < Fraction(1, 2))
        assert c.remission is (follow_up.total <= (instrument.remission_at_most or 0))

    @given(changes())
    def test_response_and_partial_exclusive(self, c: Change) -> None:
        """A response is never also a partial response; both are undefined together."""
        assert not (c.response and c.partial_response)
        assert (c.response is None) == (c.partial_response is None) == (c.baseline.total == 0)
        if c.response:
            assert c.percent is not None
            assert c.percent >= Fraction(repr(c.response_drop)) * 100

    @given(changes())
    def test_reliable_change_symmetric(self, c: Change) -> None:
        """Swapping baseline and follow-up flips the sign of the RCI only."""
        swapped = change(
            c.follow_up,
            c.baseline,
            response_drop=c.response_drop,
            partial_drop=c.partial_drop,
            reliability_sd=c.reliability_sd,
            test_retest=c.test_retest,
        )
        if c.reliable_change_index is None:
            assert swapped.reliable_change_index is None
        else:
            assert swapped.reliable_change_index == -c.reliable_change_index
            assert swapped.reliable_change is c.reliable_change


# --------------------------------------------------------------------------
# Safety items (reference §7.1)
# --------------------------------------------------------------------------

#: (instrument, item number, highest answer, flag threshold): reference §7.1 "Safety items":
#: PHQ-9 item 9 and BDI-II item 9, any answer above 0; HAM-D17 item 3 (suicide), rated
#: 0-4, "a rating of 1 or more calls for the same follow-up".
SAFETY_FACTS = [(PHQ9, 9, 3, 1), (BDI2, 9, 3, 1), (HAMD17, 3, 4, 1)]

#: (instrument, highest total the other items reach without the safety item): a total
#: above it cannot have the safety item at 0.
SAFETY_FORCED = [(PHQ9, 24), (BDI2, 60), (HAMD17, 48)]


class TestSafetyItems:
    """Every instrument with a safety item declares it, with its threshold and source."""

    @pytest.mark.parametrize(("instrument", "number", "top", "flag_at"), SAFETY_FACTS, ids=_edge_id)
    def test_declared_as_in_the_reference(
        self, instrument: Instrument, number: int, top: int, flag_at: int
    ) -> None:
        """The item number, its range and the flag threshold match §7.1, with a source."""
        item = instrument.safety_item
        assert item is not None
        assert (item.number, instrument.item_max[number - 1], item.flag_at_least) == (
            number,
            top,
            flag_at,
        )
        assert "§7.1" in item.source
        assert "secondary" in item.source  # the reference rates these facts [S]
        assert item.asks

    def test_gad7_has_none(self) -> None:
        """The GAD-7 has no safety item (§7.1)."""
        assert GAD7.safety_item is None
        assert GAD7.safety_items == ()

    def test_hamd17_item3_anchors(self) -> None:
        """HAM-D17 item 3 names Hamilton's anchors 0-4 (§7.1)."""
        assert HAMD17.safety_item is not None
        assert "attempts at suicide" in HAMD17.safety_item.asks
        assert "Hamilton 1960" in HAMD17.safety_item.source

    @pytest.mark.parametrize(("instrument", "number", "top", "flag_at"), SAFETY_FACTS, ids=_edge_id)
    def test_every_answer_flags_from_the_threshold(
        self, instrument: Instrument, number: int, top: int, flag_at: int
    ) -> None:
        """Each answer of the safety item, alone, flags exactly from the threshold up."""
        for answer in range(top + 1):
            items = [0] * instrument.item_count
            items[number - 1] = answer
            itemised = score(instrument, items)
            alone = from_total(instrument, answer, safety_item=answer)
            assert itemised.safety_answer == alone.safety_answer == answer
            assert itemised.safety_flag is alone.safety_flag is (answer >= flag_at)


class TestFromTotalWithSafetyItem:
    """from_total(instrument, total, safety_item=...) keeps the safety answer (§7.1)."""

    def test_phq9_27_flags_only_when_told(self) -> None:
        """PHQ-9 22 alone cannot tell; with item 9 it can."""
        assert from_total(PHQ9, 22).safety_flag is None
        assert from_total(PHQ9, 22, safety_item=0).safety_flag is False
        assert from_total(PHQ9, 22, safety_item=2).safety_flag is True

    def test_hamd17_mild_total_with_item_3_at_4(self) -> None:
        """A HAM-D17 total of 8 ("mild") with item 3 at 4 flags."""
        result = from_total(HAMD17, 8, safety_item=4)
        assert result.severity is SymptomSeverity.MILD
        assert result.safety_flag is True

    @pytest.mark.parametrize(("instrument", "others"), SAFETY_FORCED, ids=_edge_id)
    def test_total_alone_settles_only_the_extremes(
        self, instrument: Instrument, others: int
    ) -> None:
        """0 means the item was 0; above what the other items reach, it was positive."""
        assert from_total(instrument, 0).safety_flag is False
        assert from_total(instrument, 1).safety_flag is None
        assert from_total(instrument, others).safety_flag is None
        assert from_total(instrument, others + 1).safety_flag is True
        assert from_total(instrument, instrument.max_total).safety_flag is True
        assert from_total(instrument, instrument.max_total).safety_answer is None

    def test_gad7_has_no_safety_item(self) -> None:
        """A safety answer for the GAD-7 is no_safety_item at $.safety_item."""
        assert issues_of(lambda: from_total(GAD7, 5, safety_item=0)) == [
            ("$.safety_item", "no_safety_item")
        ]
        assert from_total(GAD7, 5).safety_flag is None

    @pytest.mark.parametrize(("instrument", "number", "top", "_flag"), SAFETY_FACTS, ids=_edge_id)
    def test_answer_out_of_range(
        self, instrument: Instrument, number: int, top: int, _flag: int
    ) -> None:
        """An answer above the item's highest is out_of_range; below 0 too."""
        assert issues_of(lambda: from_total(instrument, 20, safety_item=top + 1)) == [
            ("$.safety_item", "out_of_range")
        ]
        assert issues_of(lambda: from_total(instrument, 20, safety_item=-1)) == [
            ("$.safety_item", "out_of_range")
        ]

    @pytest.mark.parametrize("bad", [1.0, "1", True])
    def test_answer_wrong_type(self, bad: Any) -> None:
        """A safety answer that is not a whole number is wrong_type."""
        assert issues_of(lambda: from_total(PHQ9, 12, safety_item=bad)) == [
            ("$.safety_item", "wrong_type")
        ]

    def test_total_must_hold_the_answer(self) -> None:
        """An answer above the total, or a total the other items cannot reach, mismatch."""
        assert issues_of(lambda: from_total(PHQ9, 1, safety_item=2)) == [
            ("$.total", "total_mismatch")
        ]
        assert issues_of(lambda: from_total(PHQ9, 26, safety_item=1)) == [
            ("$.total", "total_mismatch")
        ]
        assert from_total(PHQ9, 25, safety_item=1).safety_flag is True
        # A total out of range is reported once, not again as a mismatch.
        assert issues_of(lambda: from_total(PHQ9, 30, safety_item=1)) == [
            ("$.total", "out_of_range")
        ]

    def test_not_beside_items(self) -> None:
        """With the items given, the answer is among them: safety_item_with_items."""
        assert issues_of(
            lambda: Score(instrument=InstrumentId.PHQ9, items=(0,) * 9, total=0, safety_item=0)
        ) == [("$.safety_item", "safety_item_with_items")]

    def test_json_round_trip(self) -> None:
        """The answer is written beside the total, null when unknown, and read back."""
        told = from_total(HAMD17, 8, safety_item=4)
        assert (
            iptkit.dumps(told) == '{"instrument":"hamd17","items":null,"total":8,"safety_item":4}'
        )
        assert iptkit.loads(Score, iptkit.dumps(told)) == told
        unknown = from_total(PHQ9, 27)
        assert iptkit.dump(unknown)["safety_item"] is None
        assert iptkit.loads(Score, iptkit.dumps(unknown)) == unknown

    def test_documents_without_the_key_load(self) -> None:
        """A score written before the field existed loads with the answer unknown."""
        loaded = iptkit.load(Score, {"instrument": "phq9", "items": None, "total": 12})
        assert loaded == from_total(PHQ9, 12)
        assert loaded.safety_item is None

    @given(st.data())
    def test_total_and_answer_flag_as_the_items_do(self, data: st.DataObject) -> None:
        """from_total with the safety answer flags exactly as scoring every item does."""
        instrument = data.draw(st.sampled_from([PHQ9, BDI2, HAMD17]))
        answers = data.draw(item_answers(instrument))
        full = score(instrument, answers)
        assert instrument.safety_item is not None
        answer = full.item_scores[instrument.safety_item.number - 1]  # type: ignore[index]
        alone = from_total(instrument, full.total, safety_item=answer)
        assert alone.safety_flag is full.safety_flag
        assert alone.safety_answer == full.safety_answer == answer

    @given(st.data())
    def test_total_alone_never_contradicts_the_items(self, data: st.DataObject) -> None:
        """A flag settled by the total alone is the flag of every item answers with that total."""
        instrument = data.draw(instruments())
        full = score(instrument, data.draw(item_answers(instrument)))
        assert from_total(instrument, full.total).safety_flag in (None, full.safety_flag)

    @pytest.mark.parametrize(("instrument", "number", "top", "flag_at"), SAFETY_FACTS, ids=_edge_id)
    def test_total_alone_settles_exactly_when_it_can(
        self, instrument: Instrument, number: int, top: int, flag_at: int
    ) -> None:
        """For every total, the flag is None exactly when answers on both sides fit it."""
        others = instrument.max_total - top
        for total in range(instrument.max_total + 1):
            possible = range(max(0, total - others), min(top, total) + 1)
            flags = {answer >= flag_at for answer in possible}
            expected = flags.pop() if len(flags) == 1 else None
            assert from_total(instrument, total).safety_flag is expected, total


class TestMeasurementRiskAssessment:
    """A Measurement records that a risk assessment followed, and when."""

    def test_default_none(self) -> None:
        """Without it, no risk assessment is recorded."""
        m = Measurement(taken_on=dt.date(2025, 1, 6), score=from_total(PHQ9, 9, safety_item=1))
        assert m.risk_assessed_on is None

    def test_same_day_and_later(self) -> None:
        """An assessment on the day or later is kept and round-trips through JSON."""
        for later in (0, 3):
            day = dt.date(2025, 1, 6)
            m = Measurement(
                taken_on=day,
                score=from_total(PHQ9, 9, safety_item=1),
                risk_assessed_on=day + dt.timedelta(days=later),
            )
            assert iptkit.loads(Measurement, iptkit.dumps(m)) == m
            assert (
                iptkit.dump(m)["risk_assessed_on"] == (day + dt.timedelta(days=later)).isoformat()
            )

    def test_not_before_the_measure(self) -> None:
        """An assessment dated before the measure is out_of_order."""
        assert issues_of(
            lambda: Measurement(
                taken_on=dt.date(2025, 1, 6),
                score=from_total(PHQ9, 9),
                risk_assessed_on=dt.date(2025, 1, 5),
            )
        ) == [("$.risk_assessed_on", "out_of_order")]

    def test_loaded_without_the_key(self) -> None:
        """A measurement written before the field existed loads with no assessment."""
        data = {"taken_on": "2025-01-06", "score": {"instrument": "phq9", "total": 9}}
        assert iptkit.load(Measurement, data).risk_assessed_on is None

    @given(measurements())
    def test_strategy_is_valid_and_round_trips(self, m: Measurement) -> None:
        """Drawn measurements keep the assessment rule and round-trip."""
        assert m.risk_assessed_on is None or m.risk_assessed_on >= m.taken_on
        assert iptkit.loads(Measurement, iptkit.dumps(m)) == m


# --------------------------------------------------------------------------
# Names: inclusive thresholds, published wording, deprecated aliases
# --------------------------------------------------------------------------


class TestDeprecatedAliases:
    """The exclusive remission_below stays one release, with a DeprecationWarning."""

    def test_change_argument(self) -> None:
        """change(remission_below=7) is change(remission_at_most=6), with a warning."""
        with pytest.warns(DeprecationWarning, match="remission_at_most"):
            old = _pair(HAMD17, 20, 7, remission_below=7)
        assert old == _pair(HAMD17, 20, 7, remission_at_most=6)
        assert old.remission is False

    def test_change_properties(self) -> None:
        """Change.remission_below and effective_remission_below read one above, and warn."""
        c = _pair(HAMD17, 20, 7, remission_at_most=6)
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert c.remission_below == 7
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert c.effective_remission_below == 7
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert _pair(HAMD17, 20, 7).effective_remission_below == 8
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert _pair(HAMD17, 20, 7).remission_below is None

    @pytest.mark.parametrize(
        ("instrument", "below"), [(PHQ9, 5), (HAMD17, 8), (GAD7, 5), (BDI2, 14)], ids=_edge_id
    )
    def test_instrument_property(self, instrument: Instrument, below: int) -> None:
        """Instrument.remission_below is the old exclusive value, with a warning."""
        with pytest.warns(DeprecationWarning, match="Instrument.remission_at_most"):
            assert instrument.remission_below == below

    def test_both_spellings(self) -> None:
        """Giving both spellings is invalid_value at $.remission_below."""
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert issues_of(
                lambda: _pair(PHQ9, 20, 4, remission_below=5, remission_at_most=4)
            ) == [("$.remission_below", "invalid_value")]

    @pytest.mark.parametrize(("bad", "code"), [(0, "out_of_range"), ("5", "wrong_type")])
    def test_bad_old_value(self, bad: Any, code: str) -> None:
        """remission_below=0 has no inclusive equivalent; text is not a number."""
        with pytest.warns(DeprecationWarning, match="remission_below"):
            assert issues_of(lambda: _pair(PHQ9, 20, 4, remission_below=bad)) == [
                ("$.remission_below", code)
            ]

    def test_hamd17_wording(self) -> None:
        """Zimmerman's lowest HAM-D17 band is "no depression"; no label is "none" any more."""
        assert severity_of(HAMD17, 0) is SymptomSeverity.NO_DEPRESSION
        assert SymptomSeverity.NO_DEPRESSION.value == "no_depression"
        assert "none" not in {s.value for s in SymptomSeverity}

    def test_stored_change_uses_the_new_key(self) -> None:
        """A change is written with remission_at_most; the old key is refused."""
        c = _pair(HAMD17, 20, 7, remission_at_most=6)
        doc = iptkit.dump(c)
        assert doc["remission_at_most"] == 6
        assert "remission_below" not in doc
        doc["remission_below"] = doc.pop("remission_at_most")
        assert ("$.remission_below", "unknown_field") in issues_of(lambda: iptkit.load(Change, doc))


# --------------------------------------------------------------------------
# Module surface
# --------------------------------------------------------------------------


def _export_order(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


class TestModule:
    """iptkit.measures is a public module with a sorted, complete __all__."""

    def test_all_sorted(self) -> None:
        """__all__ lists constants, then classes, then functions, each alphabetical."""
        names = list(iptkit.measures.__all__)
        assert names == sorted(names, key=_export_order)

    def test_all_complete(self) -> None:
        """Every public name of the module is in __all__ and exists."""
        public = {
            n
            for n, v in vars(iptkit.measures).items()
            if not n.startswith("_") and getattr(v, "__module__", "").startswith("iptkit._measures")
        }
        public |= {"BDI2", "BDI2_LETTER_ANSWERS", "GAD7", "HAMD17", "INSTRUMENTS", "PHQ9"}
        public |= {"RELIABLE_CHANGE_Z"}
        assert set(iptkit.measures.__all__) == public
        assert all(hasattr(iptkit.measures, n) for n in iptkit.measures.__all__)

    def test_severity_name_not_taken(self) -> None:
        """The measures do not claim the name Severity, kept for finding severities."""
        assert "Severity" not in iptkit.measures.__all__

    @pytest.mark.parametrize("cls", [Score, Measurement, Change])
    def test_strategy_registered(self, cls: type) -> None:
        """from_type draws valid instances of each public model."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            assert isinstance(obj, cls)

        run()

    def test_validation_error_is_value_error(self) -> None:
        """Errors from the measures are ValidationErrors (and so ValueErrors)."""
        with pytest.raises(ValueError, match="out_of_range"):
            from_total(PHQ9, 99)
        with pytest.raises(ValidationError):
            from_total(PHQ9, 99)


def test_reliable_change_index_with_an_underflowing_sd() -> None:
    """A subnormal SD gives no index (None), never a ZeroDivisionError."""
    from iptkit.measures import PHQ9, change, from_total

    for retest in (0.84, 0.99):  # an infinite index, then an SD that underflows to zero
        found = change(
            from_total(PHQ9, 18, safety_item=0),
            from_total(PHQ9, 9, safety_item=0),
            reliability_sd=5e-324,
            test_retest=retest,
        )
        assert found.reliable_change_index is None
        assert found.reliable_change is None
