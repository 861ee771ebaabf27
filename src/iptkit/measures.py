"""Symptom measures: PHQ-9, GAD-7, HAM-D17 and BDI-II (domain reference §7).

Score an instrument from its item answers, or record a total alone (with its
safety item's answer when known); read the severity band from a named table
and the safety flag; compare two scores for response, partial response,
remission and reliable change.

>>> from iptkit.measures import PHQ9, change, from_total, score
>>> baseline = score(PHQ9, [2, 2, 2, 2, 2, 1, 1, 1, 1])
>>> baseline.total, baseline.severity.value, baseline.safety_flag
(14, 'moderate', True)
>>> c = change(baseline, from_total(PHQ9, 7))
>>> c.percent, c.response, c.remission
(Fraction(50, 1), True, False)
"""

from __future__ import annotations

from iptkit._measures import (
    BDI2,
    BDI2_LETTER_ANSWERS,
    GAD7,
    HAMD17,
    INSTRUMENTS,
    PHQ9,
    RELIABLE_CHANGE_Z,
    Band,
    Change,
    Instrument,
    InstrumentId,
    Measurement,
    SafetyItem,
    Score,
    SeverityTable,
    SymptomSeverity,
    TableStatus,
    change,
    from_total,
    score,
    severity_of,
)

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
