"""Symptom measures: instruments, scores, severity bands, response and remission.

Domain reference §7.  Four instruments are built in: the PHQ-9, the GAD-7,
the 17-item Hamilton Depression Rating Scale (HAM-D17) and the BDI-II.  An
:class:`Instrument` is a fixed description (items, ranges, severity tables,
codes); a :class:`Score` is one completed measure, stored by courses inside a
:class:`Measurement`; a :class:`Change` compares two scores of the same
instrument.

Arithmetic on changes is exact (:class:`fractions.Fraction`), so a drop of
exactly 50% is a response, as §7.2 requires.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs

from iptkit._errors import Issue, ValidationError
from iptkit._model import Rule, field, model
from iptkit._sessions import SessionKind

__all__ = [
    "BDI2",
    "BDI2_LETTER_ANSWERS",
    "GAD7",
    "HAMD17",
    "INSTRUMENTS",
    "PHQ9",
    "RELIABLE_CHANGE_Z",
    "Band",
    "Change",
    "Instrument",
    "InstrumentId",
    "Measurement",
    "SafetyItem",
    "Score",
    "SeverityTable",
    "SymptomSeverity",
    "TableStatus",
    "change",
    "from_total",
    "score",
    "severity_of",
]


def _deprecated(old: str, new: str) -> None:
    """Warn that ``old`` is a deprecated spelling of ``new`` (removed in the next release)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new} "
        "(an inclusive threshold).",
        DeprecationWarning,
        stacklevel=3,
    )


class InstrumentId(enum.Enum):
    """Identifier of a built-in instrument; its value is the JSON form."""

    PHQ9 = "phq9"
    GAD7 = "gad7"
    HAMD17 = "hamd17"
    BDI2 = "bdi2"


class SymptomSeverity(enum.Enum):
    """Severity band of a symptom-measure total.

    Each table uses only some of these; within one table the bands rise in the
    order the table lists them.  (Not to be confused with the severity of a
    protocol finding.)  Labels follow the wording of the tables that use them:
    the HAM-D17 band below 8 is Zimmerman et al.'s "no depression" (called
    ``NONE``, value ``"none"``, in earlier snapshots; a severity is computed
    from a total and never stored, so no document holds the old value), the
    lowest PHQ-9, GAD-7 and BDI-II bands their authors' "minimal".
    """

    NO_DEPRESSION = "no_depression"
    MINIMAL = "minimal"
    MILD = "mild"
    MILD_TO_MODERATE = "mild_to_moderate"
    MODERATE = "moderate"
    MODERATELY_SEVERE = "moderately_severe"
    MODERATE_TO_SEVERE = "moderate_to_severe"
    SEVERE = "severe"


class TableStatus(enum.Enum):
    """Where a severity table comes from, and so how far to trust it."""

    #: Bands given by the instrument's authors or its manual.
    PUBLISHED = "published"
    #: Cut-offs derived from data by a named study.
    EMPIRICAL = "empirical"
    #: Bands in common use without a single authoritative source.
    CONVENTION = "convention"
    #: Bands of another edition of the instrument, applied to this one by
    #: some sources; kept only to reproduce records scored that way.
    OTHER_EDITION = "other_edition"


# --------------------------------------------------------------------------
# Severity tables
# --------------------------------------------------------------------------


@attrs.frozen
class Band:
    """One severity band: totals from ``low`` to ``high``, both inclusive."""

    severity: SymptomSeverity
    low: int
    high: int

    def __contains__(self, total: object) -> bool:
        return type(total) is int and self.low <= total <= self.high


def _band_issues(bands: Any) -> list[Issue]:
    """Problems with the bands of a severity table (messages quote no value)."""
    if type(bands) is not tuple:
        return [Issue("$.bands", "wrong_type", "The bands must be a tuple of Band objects.", bands)]
    if not bands:
        return [Issue("$.bands", "too_short", "A severity table needs at least one band.", bands)]
    issues: list[Issue] = []
    expected: int | None = 0
    for index, band in enumerate(bands):
        path = f"$.bands[{index}]"
        if not isinstance(band, Band):
            issues.append(Issue(path, "wrong_type", "Expected a Band.", band))
            expected = None
            continue
        if not isinstance(band.severity, SymptomSeverity):
            message = "Expected a SymptomSeverity."
            issues.append(Issue(f"{path}.severity", "wrong_type", message, band.severity))
        bad_bounds = False
        for name in ("low", "high"):
            bound = getattr(band, name)
            if type(bound) is not int:
                message = "Expected a whole number."
                issues.append(Issue(f"{path}.{name}", "wrong_type", message, bound))
                bad_bounds = True
        if bad_bounds:
            expected = None
            continue
        if band.high < band.low:
            issues.append(
                Issue(path, "invalid_range", "A band's lowest total is above its highest total.")
            )
        if expected is not None and band.low != expected:
            issues.append(
                Issue(
                    f"{path}.low",
                    "bands_not_contiguous",
                    "The first band must start at a total of 0."
                    if index == 0
                    else "A band must start at the total right after the band before it ends.",
                )
            )
        expected = band.high + 1
    return issues


def _check_bands(table: SeverityTable, _: attrs.Attribute[Any], bands: Any) -> None:
    """Bands must be :class:`Band` objects that cover 0 up to the maximum without gaps.

    Raises:
        ValidationError: listing every problem (``$.bands...``).
    """
    issues = _band_issues(bands)
    if issues:
        raise ValidationError(issues)


@attrs.frozen
class SeverityTable:
    """A named banding of an instrument's totals into severities.

    Building one with bands that are not contiguous from 0 raises
    :class:`~iptkit.ValidationError` (codes ``bands_not_contiguous``,
    ``invalid_range``, ``too_short``, ``wrong_type``, at ``$.bands...``).

    Attributes:
        name: identifier used to select the table, e.g. ``"zimmerman_2013"``.
        bands: the bands in rising order; together they cover every total
            from 0 to the instrument's maximum.
        status: where the table comes from.
        source: the publication or the convention it follows.
        note: caveats on its use.
    """

    name: str
    bands: tuple[Band, ...] = attrs.field(validator=_check_bands)
    status: TableStatus
    source: str
    note: str = ""

    @property
    def max_total(self) -> int:
        """The highest total the table covers."""
        return self.bands[-1].high

    def band_for(self, total: int) -> Band:
        """Return the band holding ``total``.

        Raises:
            ValidationError: ``total`` is not a whole number (``$.total``,
                ``wrong_type``) or lies outside the table (``$.total``,
                ``out_of_range``).
        """
        if type(total) is not int:
            raise ValidationError.single("$.total", "wrong_type", "Expected a whole number.", total)
        if total >= 0:
            for band in self.bands:
                if total <= band.high:
                    return band
        raise ValidationError.single(
            "$.total",
            "out_of_range",
            f"A total in this severity table must be between 0 and {self.max_total}.",
            total,
        )

    def severity(self, total: int) -> SymptomSeverity:
        """Return the severity of ``total`` in this table.

        Raises:
            ValidationError: as :meth:`band_for`.
        """
        return self.band_for(total).severity


def _table(
    name: str,
    status: TableStatus,
    source: str,
    *bands: tuple[SymptomSeverity, int, int],
    note: str = "",
) -> SeverityTable:
    return SeverityTable(
        name=name,
        bands=tuple(Band(s, low, high) for s, low, high in bands),
        status=status,
        source=source,
        note=note,
    )


_S = SymptomSeverity

# --------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------

#: Letter answers of BDI-II items 16 (sleep) and 18 (appetite), and their scores.
BDI2_LETTER_ANSWERS: Mapping[str, int] = MappingProxyType(
    {"0": 0, "1a": 1, "1b": 1, "2a": 2, "2b": 2, "3a": 3, "3b": 3}
)


@attrs.frozen
class SafetyItem:
    """The item of an instrument that asks about suicide or self-harm (reference §7.1).

    An answer at or above ``flag_at_least`` should prompt a suicide-risk
    follow-up, whatever the total.

    Attributes:
        number: the item's 1-based number.
        asks: what the item asks about or rates, in a few words.
        flag_at_least: the lowest answer that raises the flag (inclusive).
        source: where the item and its threshold come from, and how firm
            that source is.
    """

    number: int
    asks: str
    flag_at_least: int
    source: str


@attrs.frozen(repr=False)
class Instrument:
    """An immutable description of one symptom measure (domain reference §7).

    Attributes:
        id: identifier, also the ``instrument`` of a :class:`Score`.
        name: the usual short name, e.g. ``"PHQ-9"``.
        title: the full name.
        clinician_rated: whether a clinician rates it (else self-report).
        recall: the period the answers cover.
        item_max: the highest answer of each item, in item order (every item
            starts at 0).
        severity_tables: the selectable severity tables; the first is the
            default.
        lettered_items: 1-based numbers of items that also take lettered
            answers (BDI-II items 16 and 18, see :data:`BDI2_LETTER_ANSWERS`).
        safety_item: the item that asks about suicide or self-harm, with
            its flag threshold (§7.1); ``None`` for an instrument without one.
        loinc_panel: LOINC code of the panel, where one is confirmed (§7.5).
        loinc_total: LOINC code of the total score, where one is confirmed.
        loinc_items: LOINC code of each item in item order, ``None`` for an
            item whose code is not confirmed; ``None`` when no item code is.
        remission_at_most: a follow-up total at or below this is a
            remission, by default (§7.2); ``None`` if the instrument defines
            none.
        remission_source: where the remission threshold comes from.
        reliability_sd: standard deviation of totals for the reliable-change
            index, from a cited source; ``None`` when none is carried.
        test_retest: test-retest reliability for the reliable-change index,
            from a cited source; ``None`` when none is carried.
    """

    id: InstrumentId
    name: str
    title: str
    clinician_rated: bool
    recall: str
    item_max: tuple[int, ...]
    severity_tables: tuple[SeverityTable, ...]
    lettered_items: tuple[int, ...] = ()
    safety_item: SafetyItem | None = None
    loinc_panel: str | None = None
    loinc_total: str | None = None
    loinc_items: tuple[str | None, ...] | None = None
    remission_at_most: int | None = None
    remission_source: str = ""
    reliability_sd: float | None = None
    test_retest: float | None = None

    def __repr__(self) -> str:
        return f"<Instrument {self.name}>"

    @property
    def item_count(self) -> int:
        """How many items the instrument has."""
        return len(self.item_max)

    @property
    def max_total(self) -> int:
        """The highest possible total (the lowest is 0)."""
        return sum(self.item_max)

    @property
    def default_table(self) -> SeverityTable:
        """The severity table used unless another is named."""
        return self.severity_tables[0]

    @property
    def top_band(self) -> Band:
        """The most severe band of the default table."""
        return self.default_table.bands[-1]

    @property
    def safety_items(self) -> tuple[int, ...]:
        """The number of the safety item as a 1-tuple; ``()`` without one."""
        return () if self.safety_item is None else (self.safety_item.number,)

    @property
    def remission_below(self) -> int | None:
        """Deprecated: ``remission_at_most`` plus one (an exclusive threshold).

        Kept for one release; reading it emits a :class:`DeprecationWarning`.
        """
        _deprecated("Instrument.remission_below", "Instrument.remission_at_most")
        return None if self.remission_at_most is None else self.remission_at_most + 1

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names of the selectable severity tables, the default first."""
        return tuple(t.name for t in self.severity_tables)

    def table(self, name: str | None = None) -> SeverityTable:
        """Return the severity table called ``name`` (the default for ``None``).

        Raises:
            ValidationError: no table of that name (``$.table``, ``unknown_table``).
        """
        if name is None:
            return self.default_table
        for candidate in self.severity_tables:
            if candidate.name == name:
                return candidate
        raise ValidationError.single(
            "$.table",
            "unknown_table",
            f"The {self.name} has no severity table of that name; use one of "
            + ", ".join(self.table_names)
            + ".",
        )


PHQ9 = Instrument(
    id=InstrumentId.PHQ9,
    name="PHQ-9",
    title="Patient Health Questionnaire, 9 items",
    clinician_rated=False,
    recall="last 2 weeks",
    item_max=(3,) * 9,
    severity_tables=(
        _table(
            "kroenke_2001",
            TableStatus.PUBLISHED,
            "Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606-613",
            (_S.MINIMAL, 0, 4),
            (_S.MILD, 5, 9),
            (_S.MODERATE, 10, 14),
            (_S.MODERATELY_SEVERE, 15, 19),
            (_S.SEVERE, 20, 27),
        ),
    ),
    safety_item=SafetyItem(
        number=9,
        asks="thoughts of being better off dead or of hurting oneself",
        flag_at_least=1,
        source=(
            "any answer above 0, whatever the total (secondary sources, reference §7.1: "
            "PHQ-9 scoring pages; item-9 answers predict later suicide attempts, "
            "Psychiatr Serv doi:10.1176/appi.ps.201200587)"
        ),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    loinc_items=(
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ),
    remission_at_most=4,
    remission_source="PHQ-9 total below 5, i.e. 4 or less (ICSI depression guideline; "
    "reference §7.2)",
)
"""The PHQ-9: 9 self-report items scored 0-3, total 0-27 (reference §7.1).

Item 9 (thoughts of being better off dead or of self-harm) is the safety
item.  LOINC codes from reference §7.5.
"""

GAD7 = Instrument(
    id=InstrumentId.GAD7,
    name="GAD-7",
    title="Generalized Anxiety Disorder, 7 items",
    clinician_rated=False,
    recall="last 2 weeks",
    item_max=(3,) * 7,
    severity_tables=(
        _table(
            "spitzer_2006",
            TableStatus.PUBLISHED,
            "Spitzer, Kroenke, Williams & Loewe 2006, Arch Intern Med 166:1092-1097",
            (_S.MINIMAL, 0, 4),
            (_S.MILD, 5, 9),
            (_S.MODERATE, 10, 14),
            (_S.SEVERE, 15, 21),
        ),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    # Items 1 and 2 as the PHQ-SADS panel (LOINC 69729-2) lists them.
    loinc_items=("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
    remission_at_most=4,
    remission_source=(
        "convention: a total in the minimal band (4 or less); the reference names no "
        "GAD-7 remission definition"
    ),
)
"""The GAD-7: 7 self-report items scored 0-3, total 0-21 (reference §7.1).

It has no safety item.  LOINC codes from reference §7.5: the panel 69737-5 is
not the total score (70274-6).  Item codes are those seen for items 3-7;
items 1 and 2 have none confirmed.  Item 6 (69689-8) carries "last 4W" in
its LOINC name, a known quirk.
"""

HAMD17 = Instrument(
    id=InstrumentId.HAMD17,
    name="HAM-D17",
    title="Hamilton Depression Rating Scale, 17 items",
    clinician_rated=True,
    recall="recent days to the past week",
    # Items 1-3, 7-11 and 15 are rated 0-4; items 4-6, 12-14, 16 and 17 are rated 0-2.
    item_max=(4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2),
    severity_tables=(
        _table(
            "zimmerman_2013",
            TableStatus.EMPIRICAL,
            "Zimmerman, Martinez, Young, Chelminski & Dalrymple 2013, "
            "J Affect Disord 150:384-388, doi:10.1016/j.jad.2013.04.028",
            (_S.NO_DEPRESSION, 0, 7),
            (_S.MILD, 8, 16),
            (_S.MODERATE, 17, 23),
            (_S.SEVERE, 24, 52),
        ),
        _table(
            "older_convention",
            TableStatus.CONVENTION,
            "older convention quoted by clinical pages (reference §7.4)",
            (_S.NO_DEPRESSION, 0, 9),
            (_S.MILD, 10, 13),
            (_S.MILD_TO_MODERATE, 14, 17),
            (_S.MODERATE_TO_SEVERE, 18, 52),
            note=(
                "The convention names only 10-13 mild, 14-17 mild to moderate and "
                "above 17 moderate to severe; the 0-9 band below its first cut-off "
                "is read here as no depression."
            ),
        ),
    ),
    safety_item=SafetyItem(
        number=3,
        asks="suicide (0 absent, 1 life not worth living, 2 wishes to be dead, "
        "3 suicidal ideas or gesture, 4 attempts at suicide)",
        flag_at_least=1,
        source=(
            "Hamilton 1960 anchors as reproduced by HAM-D-17 scoring pages; a rating of "
            "1 or more calls for the same follow-up as a positive PHQ-9 item 9 "
            "(secondary sources, reference §7.1)"
        ),
    ),
    remission_at_most=7,
    remission_source="HAM-D17 total of 7 or less (1991 consensus conference; reference §7.2)",
)
"""The 17-item Hamilton Depression Rating Scale, clinician-rated, total 0-52.

There is no single official banding (reference §7.1, §7.4): the default table
is the empirical one of Zimmerman et al. 2013, whose lowest band is "no
depression".  Item 3 (suicide, rated 0-4) is the safety item: a rating of 1
or more flags, although a total with it at 4 can be "mild".
"""

BDI2 = Instrument(
    id=InstrumentId.BDI2,
    name="BDI-II",
    title="Beck Depression Inventory, second edition",
    clinician_rated=False,
    recall="last 2 weeks including today",
    item_max=(3,) * 21,
    severity_tables=(
        _table(
            "beck_1996",
            TableStatus.PUBLISHED,
            "BDI-II manual: Beck, Steer & Brown 1996",
            (_S.MINIMAL, 0, 13),
            (_S.MILD, 14, 19),
            (_S.MODERATE, 20, 28),
            (_S.SEVERE, 29, 63),
        ),
        _table(
            "bdi_first_edition",
            TableStatus.OTHER_EDITION,
            "bands of the first-edition BDI, given for the BDI-II by some sites (reference §7.4)",
            (_S.MINIMAL, 0, 9),
            (_S.MILD, 10, 18),
            (_S.MODERATE, 19, 29),
            (_S.SEVERE, 30, 63),
            note="Not valid for the BDI-II; only for reproducing records banded this way.",
        ),
    ),
    lettered_items=(16, 18),
    safety_item=SafetyItem(
        number=9,
        asks="suicidal thoughts or wishes",
        flag_at_least=1,
        source=(
            "reviewed on its own whenever endorsed, i.e. any answer above 0 (secondary "
            "sources, reference §7.1: BDI-II scoring pages)"
        ),
    ),
    remission_at_most=13,
    remission_source=(
        "convention: a total in the manual's minimal band (13 or less); the "
        "reference names no BDI-II remission definition"
    ),
)
"""The BDI-II: 21 self-report items scored 0-3, total 0-63 (reference §7.1).

Items 16 (sleep) and 18 (appetite) take the answers 0, 1a, 1b, 2a, 2b, 3a,
3b, scored 0-3.  Item 9 (suicidal thoughts or wishes) is the safety item.
No LOINC code is confirmed in the reference.
"""

#: Every built-in instrument by its identifier.
INSTRUMENTS: Mapping[InstrumentId, Instrument] = MappingProxyType(
    {i.id: i for i in (PHQ9, GAD7, HAMD17, BDI2)}
)

#: The highest total of any built-in instrument (BDI-II, 63): the declared
#: bound of every total; each instrument's own range is checked against it.
_HIGHEST_TOTAL = max(i.max_total for i in INSTRUMENTS.values())

#: The highest answer to any item of a built-in instrument (HAM-D17, 4).
_HIGHEST_ANSWER = max(max(i.item_max) for i in INSTRUMENTS.values())


def _resolve(instrument: Any) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, InstrumentId):
        return INSTRUMENTS[instrument]
    if type(instrument) is str:
        for known in INSTRUMENTS.values():
            if known.id.value == instrument:
                return known
        raise ValidationError.single(
            "$.instrument",
            "invalid_value",
            "Unknown instrument; use one of " + ", ".join(i.value for i in InstrumentId) + ".",
            instrument,
        )
    raise ValidationError.single(
        "$.instrument", "wrong_type", "Expected one of the instruments, e.g. PHQ9.", instrument
    )


def _answer_issue(info: Instrument, index: int, answer: int | str) -> Issue | None:
    """Return the problem with the answer to item ``index`` (0-based), if any."""
    number = index + 1
    path = f"$.items[{index}]"
    if isinstance(answer, str):
        if number not in info.lettered_items:
            message = f"Item {number} of the {info.name} takes a number."
            return Issue(path, "wrong_type", message, answer)
        if answer not in BDI2_LETTER_ANSWERS:
            return Issue(
                path,
                "invalid_value",
                f"Item {number} of the {info.name} takes 0-3 or one of "
                + ", ".join(BDI2_LETTER_ANSWERS)
                + ".",
                answer,
            )
        return None
    if not 0 <= answer <= info.item_max[index]:
        return Issue(
            path,
            "out_of_range",
            f"Item {number} of the {info.name} must be between 0 and {info.item_max[index]}.",
            answer,
        )
    return None


def _answer_value(answer: int | str) -> int:
    return BDI2_LETTER_ANSWERS[answer] if isinstance(answer, str) else answer


def _item_issues(info: Instrument, items: tuple[int | str, ...]) -> list[Issue]:
    if len(items) != info.item_count:
        return [
            Issue(
                "$.items",
                "wrong_item_count",
                f"The {info.name} has {info.item_count} items; give one answer for each.",
            )
        ]
    found = (_answer_issue(info, index, answer) for index, answer in enumerate(items))
    return [issue for issue in found if issue is not None]


def _plainly_valid(info: Instrument, items: tuple[int | str, ...], total: int) -> bool:
    """Fast test for the common case: whole numbers in range that sum to ``total``."""
    if len(items) != info.item_count:
        return False
    found = 0
    for answer, top in zip(items, info.item_max, strict=True):
        if type(answer) is not int or not 0 <= answer <= top:
            return False
        found += answer
    return found == total


def _total_issue(info: Instrument, total: int) -> Issue | None:
    if not 0 <= total <= info.max_total:
        return Issue(
            "$.total",
            "out_of_range",
            f"A {info.name} total must be between 0 and {info.max_total}.",
            total,
        )
    return None


def _safety_bounds(info: Instrument, item: SafetyItem, total: int) -> tuple[int, int]:
    """The lowest and highest answer to the safety item that a total in range allows."""
    top = info.item_max[item.number - 1]
    others = info.max_total - top
    return max(0, total - others), min(top, total)


def _safety_answer_issues(
    info: Instrument, items: tuple[int | str, ...] | None, total: int, answer: int
) -> Iterator[Issue]:
    """Problems with a safety answer stored beside a total (messages quote no value)."""
    item = info.safety_item
    if item is None:
        message = f"The {info.name} has no safety item."
        yield Issue("$.safety_item", "no_safety_item", message, answer)
        return
    if items is not None:
        yield Issue(
            "$.safety_item",
            "safety_item_with_items",
            "The safety item's answer is already among the items; give it only there.",
            answer,
        )
        return
    top = info.item_max[item.number - 1]
    if answer > top:
        yield Issue(
            "$.safety_item",
            "out_of_range",
            f"Item {item.number} of the {info.name}, its safety item, must be between 0 and {top}.",
            answer,
        )
        return
    if _total_issue(info, total) is None:
        low, high = _safety_bounds(info, item, total)
        if not low <= answer <= high:
            yield Issue(
                "$.total",
                "total_mismatch",
                "The total cannot be reached with the safety item answered as given beside it.",
                total,
            )


# --------------------------------------------------------------------------
# Scores and measurements
# --------------------------------------------------------------------------


@model
class Score:
    """One completed symptom measure: item answers and total, or the total alone.

    Build one with :func:`score` (from item answers) or :func:`from_total`.

    >>> s = score(PHQ9, [1, 2, 1, 0, 3, 1, 2, 0, 1])
    >>> s.total, s.severity.value, s.safety_flag
    (11, 'moderate', True)
    """

    instrument: InstrumentId = field(doc="Which instrument was completed.")
    items: tuple[int | str, ...] | None = field(
        default=None,
        doc="The answer to each item in item order, or null when only the total is known. "
        "BDI-II items 16 and 18 may hold a lettered answer such as '2a'.",
    )
    total: int = field(ge=0, le=_HIGHEST_TOTAL, doc="The total score.")
    safety_item: int | None = field(
        default=None,
        ge=0,
        le=_HIGHEST_ANSWER,
        doc="The answer to the instrument's safety item (PHQ-9 item 9, BDI-II item 9, "
        "HAM-D17 item 3) recorded beside a total; null when it is not known, and null "
        "when the items are given (the answer is then among them).",
    )

    def _invariants(self) -> Iterator[Issue]:
        info = INSTRUMENTS[self.instrument]
        items = self.items
        if self.safety_item is not None:
            yield from _safety_answer_issues(info, items, self.total, self.safety_item)
        if items is not None and _plainly_valid(info, items, self.total):
            return
        total_issue = _total_issue(info, self.total)
        if items is not None:
            item_issues = _item_issues(info, items)
            yield from item_issues
            if not item_issues and total_issue is None:
                expected = sum(_answer_value(a) for a in items)
                if expected != self.total:
                    yield Issue(
                        "$.total",
                        "total_mismatch",
                        "The total must equal the sum of the item scores.",
                        self.total,
                    )
        if total_issue is not None:
            yield total_issue

    @property
    def definition(self) -> Instrument:
        """The :class:`Instrument` this score belongs to."""
        return INSTRUMENTS[self.instrument]

    @property
    def item_scores(self) -> tuple[int, ...] | None:
        """The score of each item (lettered answers as numbers), or ``None``.

        >>> items = [0] * 15 + ["2b", 0, "1a", 0, 0, 0]
        >>> score(BDI2, items).item_scores[15:18]
        (2, 0, 1)
        """
        if self.items is None:
            return None
        return tuple(_answer_value(a) for a in self.items)

    @property
    def severity(self) -> SymptomSeverity:
        """The severity band of the total in the instrument's default table."""
        return self.definition.default_table.severity(self.total)

    @property
    def safety_answer(self) -> int | None:
        """The answer to the instrument's safety item, when the score records it.

        Read from the items, or from :attr:`safety_item` beside a total.
        ``None`` when the score does not record it, or the instrument has no
        safety item (GAD-7).

        >>> score(PHQ9, [0] * 8 + [2]).safety_answer
        2
        >>> from_total(PHQ9, 12, safety_item=1).safety_answer
        1
        """
        item = self.definition.safety_item
        if item is None:
            return None
        if self.items is not None:
            return _answer_value(self.items[item.number - 1])
        return self.safety_item

    @property
    def safety_flag(self) -> bool | None:
        """Whether the safety item is positive: at or above its flag threshold (reference §7.1).

        ``True`` when PHQ-9 item 9, BDI-II item 9 or HAM-D17 item 3 is 1 or
        more, whatever the total; ``False`` when it is 0.  The answer comes
        from the items or from the answer recorded beside a total
        (:func:`from_total` with ``safety_item=``).  A total alone settles the
        flag only at its extremes: a total of 0 means the item was 0, and a
        total the other items cannot reach without it (PHQ-9 25 or more,
        HAM-D17 49 or more, BDI-II 61 or more) means it was positive.
        Otherwise ``None``: the score cannot tell, and ``None`` never means "no
        risk".  Always ``None`` for an instrument without a safety item (GAD-7).

        >>> print(from_total(PHQ9, 22).safety_flag)
        None
        >>> from_total(PHQ9, 22, safety_item=0).safety_flag
        False
        >>> from_total(PHQ9, 27).safety_flag
        True
        """
        info = self.definition
        item = info.safety_item
        if item is None:
            return None
        answer = self.safety_answer
        if answer is not None:
            return answer >= item.flag_at_least
        low, high = _safety_bounds(info, item, self.total)
        if low >= item.flag_at_least:
            return True
        if high < item.flag_at_least:
            return False
        return None


@model
class Measurement:
    """A score taken on a given day, optionally tied to a numbered session.

    ``risk_assessed_on`` records that a suicide-risk assessment was done, and
    when, so a positive screening score can be answered without a session
    record (a risk assessment that day clears a positive safety item for
    :func:`iptkit.check`).  It cannot be before ``taken_on`` (``out_of_order``).

    >>> m = Measurement(taken_on=dt.date(2025, 3, 4), session_number=1,
    ...                 score=from_total(GAD7, 12))
    >>> m.score.severity.value
    'moderate'
    >>> screen = Measurement(taken_on=dt.date(2025, 3, 4),
    ...                      score=from_total(PHQ9, 14, safety_item=1),
    ...                      risk_assessed_on=dt.date(2025, 3, 4))
    >>> screen.score.safety_flag, screen.risk_assessed_on.isoformat()
    (True, '2025-03-04')
    """

    taken_on: dt.date = field(doc="The day the measure was completed.")
    session_number: int | None = field(
        default=None,
        ge=1,
        le=1000,
        doc="Number of the session it belongs to; null when taken outside a session.",
    )
    session_kind: SessionKind = field(
        default=SessionKind.ACUTE,
        doc="Kind of that session: session_number 2 of maintenance is M2, not acute session 2.",
    )
    score: Score = field(doc="The score.")
    risk_assessed_on: dt.date | None = field(
        default=None,
        doc="The day a suicide-risk assessment followed this measure; null when none is "
        "recorded with it.",
    )

    def _invariants(self) -> Iterator[Issue]:
        if self.risk_assessed_on is not None and self.risk_assessed_on < self.taken_on:
            yield Issue(
                "$.risk_assessed_on",
                "out_of_order",
                "A risk assessment recorded with a measure cannot be dated before the "
                "measure was taken.",
                self.risk_assessed_on,
            )


def _items_tuple(items: Any) -> tuple[Any, ...]:
    if isinstance(items, str | bytes | bytearray) or not isinstance(items, Sequence):
        raise ValidationError.single(
            "$.items", "wrong_type", "Expected a list of item answers.", items
        )
    return tuple(items)


def score(instrument: Instrument | InstrumentId | str, items: Sequence[int | str]) -> Score:
    """Score a completed instrument from its item answers.

    Args:
        instrument: e.g. :data:`PHQ9`, its :class:`InstrumentId`, or the
            identifier as text (``"phq9"``).
        items: the answer to each item in item order: whole numbers; BDI-II
            items 16 and 18 also take ``"0"``, ``"1a"``, ``"1b"``, ``"2a"``,
            ``"2b"``, ``"3a"``, ``"3b"`` (kept as given in the score).

    Returns:
        The score, with its total.

    Raises:
        ValidationError: the number of answers is wrong (``$.items``,
            ``wrong_item_count``), or an answer is out of range
            (``$.items[i]``, ``out_of_range``), of the wrong type
            (``wrong_type``) or an unknown lettered answer (``invalid_value``).

    >>> score(GAD7, [1, 1, 2, 0, 1, 3, 0]).total
    8
    >>> score(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 4])
    Traceback (most recent call last):
    ...
    iptkit._errors.ValidationError: 1 validation issue:
      $.items[8]: Item 9 of the PHQ-9 must be between 0 and 3. [out_of_range]
    """
    info = _resolve(instrument)
    answers = _items_tuple(items)
    issues = [
        Issue(f"$.items[{index}]", "wrong_type", "Expected a whole number.", answer)
        for index, answer in enumerate(answers)
        if type(answer) is not int and type(answer) is not str
    ]
    if issues:
        if len(answers) != info.item_count:
            issues.insert(0, _item_issues(info, answers)[0])
        raise ValidationError(issues)
    issues = _item_issues(info, answers)
    if issues:
        raise ValidationError(issues)
    return Score(instrument=info.id, items=answers, total=sum(_answer_value(a) for a in answers))


def from_total(
    instrument: Instrument | InstrumentId | str, total: int, *, safety_item: int | None = None
) -> Score:
    """Record a score known only by its total, with its safety item's answer if known.

    Args:
        instrument: e.g. :data:`PHQ9`, its :class:`InstrumentId`, or the
            identifier as text (``"phq9"``).
        total: the total score.
        safety_item: the answer to the instrument's safety item (PHQ-9 item 9,
            BDI-II item 9, HAM-D17 item 3), stored beside the total so that
            :attr:`Score.safety_flag` can tell; ``None`` when it is not known.

    >>> from_total(HAMD17, 18).severity.value
    'moderate'
    >>> s = from_total(HAMD17, 8, safety_item=4)
    >>> s.severity.value, s.safety_flag
    ('mild', True)

    Raises:
        ValidationError: the total is not a whole number (``$.total``,
            ``wrong_type``) or outside the instrument's range
            (``out_of_range``); the safety answer is not a whole number
            (``$.safety_item``, ``wrong_type``), outside the item's range
            (``out_of_range``), given for an instrument without a safety item
            (``no_safety_item``), or more than the total or too low for it
            (``$.total``, ``total_mismatch``).
    """
    info = _resolve(instrument)
    return Score(instrument=info.id, items=None, total=total, safety_item=safety_item)


def severity_of(
    instrument: Instrument | InstrumentId | str, total: int, table: str | None = None
) -> SymptomSeverity:
    """Return the severity of ``total`` in a named table of the instrument.

    Args:
        instrument: e.g. :data:`HAMD17`.
        total: a total within the instrument's range.
        table: a table name from :attr:`Instrument.table_names`; the
            default table when ``None``.

    Raises:
        ValidationError: the total is not a whole number or out of range
            (``$.total``), or the table is unknown (``$.table``, ``unknown_table``).

    >>> severity_of(HAMD17, 15).value
    'mild'
    >>> severity_of(HAMD17, 15, "older_convention").value
    'mild_to_moderate'
    """
    info = _resolve(instrument)
    chosen = info.table(table)
    if type(total) is not int:
        raise ValidationError.single("$.total", "wrong_type", "Expected a whole number.", total)
    issue = _total_issue(info, total)
    if issue is not None:
        raise ValidationError((issue,))
    return chosen.severity(total)


# --------------------------------------------------------------------------
# Change between two scores
# --------------------------------------------------------------------------

#: An absolute reliable-change index above this is a reliable change
#: (Jacobson & Truax 1991: p < .05 without real change).
RELIABLE_CHANGE_Z = 1.96


def _exact(value: float) -> Fraction:
    """The decimal a float was written as, exactly (0.5 -> 1/2, 0.3 -> 3/10)."""
    return Fraction(repr(value))


def _sd_issues(value: float, path: str) -> list[Issue]:
    if value > 0:
        return []
    return [Issue(path, "out_of_range", "The standard deviation must be above 0.", value)]


def _reliability_issues(value: float, path: str) -> list[Issue]:
    if 0 <= value < 1:
        return []
    message = "Test-retest reliability must be at least 0 and below 1."
    return [Issue(path, "out_of_range", message, value)]


#: Field rule of a standard deviation: above 0.
_above_zero = Rule(_sd_issues, lambda value: value > 0)
#: Field rule of a test-retest reliability: at least 0 and below 1.
_reliability_in_range = Rule(_reliability_issues, lambda value: 0 <= value < 1)


@model
class Change:
    """The change from a baseline score to a follow-up score of the same instrument.

    Thresholds are stored with the change, so a stored change means the same
    thing when read back.  ``None`` for ``remission_at_most``,
    ``reliability_sd`` or ``test_retest`` means "the instrument's own value".

    >>> c = change(from_total(PHQ9, 16), from_total(PHQ9, 8))
    >>> c.percent, c.response, c.partial_response, c.remission
    (Fraction(50, 1), True, False, False)
    """

    baseline: Score = field(doc="The earlier score.")
    follow_up: Score = field(doc="The later score, of the same instrument.")
    response_drop: float = field(
        default=0.5, ge=0, le=1, doc="Smallest drop (as a fraction of baseline) that is a response."
    )
    partial_drop: float = field(
        default=0.25,
        ge=0,
        le=1,
        doc="Smallest drop (as a fraction of baseline) that is a partial response.",
    )
    remission_at_most: int | None = field(
        default=None,
        ge=0,
        le=_HIGHEST_TOTAL,
        doc="A follow-up total at or below this is a remission; null for the instrument's own.",
    )
    reliability_sd: float | None = field(
        default=None,
        doc="Standard deviation for the reliable-change index; null for the instrument's.",
        rules=[_above_zero],
    )
    test_retest: float | None = field(
        default=None,
        doc="Test-retest reliability for the reliable-change index; null for the instrument's.",
        rules=[_reliability_in_range],
    )

    def _invariants(self) -> Iterator[Issue]:
        if self.follow_up.instrument is not self.baseline.instrument:
            yield Issue(
                "$.follow_up.instrument",
                "instrument_mismatch",
                "The follow-up score must be of the same instrument as the baseline.",
            )
        if self.partial_drop > self.response_drop:
            yield Issue(
                "$.partial_drop",
                "invalid_range",
                "The partial-response drop cannot exceed the response drop.",
            )
        if self.remission_at_most is not None:
            limit = self.baseline.definition.max_total
            if self.remission_at_most > limit:
                yield Issue(
                    "$.remission_at_most",
                    "out_of_range",
                    f"Remission at most must be between 0 and {limit}.",
                    self.remission_at_most,
                )
        if (self.reliability_sd is None) != (self.test_retest is None):
            missing = "$.test_retest" if self.test_retest is None else "$.reliability_sd"
            yield Issue(
                missing,
                "incomplete_reliability",
                "The reliable-change index needs both a standard deviation and a "
                "test-retest reliability.",
            )

    @property
    def points(self) -> int:
        """The drop in total points (negative when symptoms rose)."""
        return self.baseline.total - self.follow_up.total

    @property
    def drop(self) -> Fraction | None:
        """The drop as an exact fraction of baseline; ``None`` when baseline is 0.

        (baseline - follow-up) / baseline, reference §7.2; negative when
        symptoms rose.
        """
        if self.baseline.total == 0:
            return None
        return Fraction(self.points, self.baseline.total)

    @property
    def percent(self) -> Fraction | None:
        """The drop in percent of baseline (exact); ``None`` when baseline is 0."""
        drop = self.drop
        return None if drop is None else drop * 100

    @property
    def percent_float(self) -> float | None:
        """:attr:`percent` as a float, for analysis; ``None`` when baseline is 0.

        :attr:`percent` stays the exact value the thresholds are judged on;
        this is the one float view of it (the ``percent`` column of
        :func:`iptkit.tables.outcomes` is this value).

        >>> change(from_total(PHQ9, 3), from_total(PHQ9, 2)).percent_float
        33.333333333333336
        """
        percent = self.percent
        return None if percent is None else float(percent)

    @property
    def response(self) -> bool | None:
        """Whether the total fell by at least ``response_drop`` (exactly 50% counts).

        ``None`` when the baseline is 0, which leaves the drop undefined.
        """
        drop = self.drop
        return None if drop is None else drop >= _exact(self.response_drop)

    @property
    def partial_response(self) -> bool | None:
        """Whether the drop is at least ``partial_drop`` but short of a response.

        A response is never also a partial response.  ``None`` when the
        baseline is 0.
        """
        drop = self.drop
        if drop is None:
            return None
        return _exact(self.partial_drop) <= drop < _exact(self.response_drop)

    @property
    def effective_remission_at_most(self) -> int | None:
        """The remission threshold in use (inclusive): the stored one or the instrument's."""
        if self.remission_at_most is not None:
            return self.remission_at_most
        return self.baseline.definition.remission_at_most

    @property
    def remission_below(self) -> int | None:
        """Deprecated: :attr:`remission_at_most` plus one (an exclusive threshold).

        Kept for one release; reading it emits a :class:`DeprecationWarning`.
        """
        _deprecated("Change.remission_below", "Change.remission_at_most")
        return None if self.remission_at_most is None else self.remission_at_most + 1

    @property
    def effective_remission_below(self) -> int | None:
        """Deprecated: :attr:`effective_remission_at_most` plus one.

        Kept for one release; reading it emits a :class:`DeprecationWarning`.
        """
        _deprecated("Change.effective_remission_below", "Change.effective_remission_at_most")
        threshold = self.effective_remission_at_most
        return None if threshold is None else threshold + 1

    @property
    def remission(self) -> bool | None:
        """Whether the follow-up total is at or below the remission threshold.

        ``None`` only when neither the change nor the instrument has one.
        """
        threshold = self.effective_remission_at_most
        return None if threshold is None else self.follow_up.total <= threshold

    @property
    def reliable_change_index(self) -> float | None:
        """Jacobson-Truax reliable-change index, positive when symptoms fell.

        (baseline - follow-up) / S_diff with S_diff = SD * sqrt(2 * (1 - r))
        (Jacobson & Truax 1991).  ``None`` unless an SD and a test-retest
        reliability are known: none of the built-in instruments carries
        them, so pass values from a cited source to :func:`change`.
        """
        info = self.baseline.definition
        sd = self.reliability_sd if self.reliability_sd is not None else info.reliability_sd
        r = self.test_retest if self.test_retest is not None else info.test_retest
        if sd is None or r is None:
            return None
        s_diff = sd * math.sqrt(2 * (1 - r))
        # A subnormal SD underflows to zero or gives an infinite index: no usable value.
        if s_diff == 0 or not math.isfinite(self.points / s_diff):
            return None
        return self.points / s_diff

    @property
    def reliable_change(self) -> bool | None:
        """Whether the change exceeds measurement error (absolute RCI above 1.96).

        ``None`` when the index is unknown.
        """
        rci = self.reliable_change_index
        return None if rci is None else abs(rci) > RELIABLE_CHANGE_Z


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def change(
    baseline: Score,
    follow_up: Score,
    *,
    response_drop: float = 0.5,
    partial_drop: float = 0.25,
    remission_at_most: int | None = None,
    reliability_sd: float | None = None,
    test_retest: float | None = None,
    remission_below: int | None = None,
) -> Change:
    """Compare a follow-up score with a baseline score (reference §7.2).

    Args:
        baseline: the earlier score.
        follow_up: the later score, of the same instrument.
        response_drop: smallest drop, as a fraction of baseline, that counts
            as a response (default one half; exactly one half counts).
        partial_drop: smallest drop that counts as a partial response
            (default one quarter).
        remission_at_most: a follow-up total at or below this is a remission
            (inclusive); ``None`` for the instrument's own (PHQ-9 4, HAM-D17
            7; GAD-7 4 and BDI-II 13 by convention).
        reliability_sd: standard deviation of totals, for the reliable-change
            index; give it with ``test_retest``, both from a cited source.
        test_retest: test-retest reliability, for the reliable-change index.
        remission_below: deprecated exclusive spelling of the remission
            threshold (``remission_below=n`` is ``remission_at_most=n - 1``);
            kept for one release, with a :class:`DeprecationWarning`.

    Returns:
        The change, with its percent, response, partial response, remission
        and reliable change.

    Raises:
        ValidationError: the scores are of different instruments
            (``$.follow_up.instrument``, ``instrument_mismatch``), or a
            threshold is out of range; both ``remission_at_most`` and the
            deprecated ``remission_below`` are given (``$.remission_below``,
            ``invalid_value``).

    >>> c = change(score(PHQ9, [2] * 9), from_total(PHQ9, 4))
    >>> float(c.percent), c.response, c.remission
    (77.77777777777777, True, True)
    >>> change(from_total(HAMD17, 20), from_total(HAMD17, 7), remission_at_most=6).remission
    False
    """
    if remission_below is not None:
        _deprecated("change(remission_below=...)", "change(remission_at_most=...)")
        remission_at_most = _from_exclusive(remission_below, remission_at_most)
    return Change(
        baseline=baseline,
        follow_up=follow_up,
        response_drop=_as_float(response_drop),
        partial_drop=_as_float(partial_drop),
        remission_at_most=remission_at_most,
        reliability_sd=_as_float(reliability_sd),
        test_retest=_as_float(test_retest),
    )


def _from_exclusive(below: Any, at_most: int | None) -> int:
    """The inclusive threshold for the deprecated exclusive ``remission_below``.

    Raises:
        ValidationError: at ``$.remission_below``: both spellings given
            (``invalid_value``), not a whole number (``wrong_type``), or below
            1, which no inclusive threshold can say (``out_of_range``).
    """
    path = "$.remission_below"
    if at_most is not None:
        raise ValidationError.single(
            path,
            "invalid_value",
            "Give remission_at_most only; remission_below is its deprecated spelling.",
            below,
        )
    if type(below) is not int:
        raise ValidationError.single(path, "wrong_type", "Expected a whole number.", below)
    if below < 1:
        raise ValidationError.single(
            path,
            "out_of_range",
            "Remission below must be at least 1; use remission_at_most.",
            below,
        )
    return below - 1
