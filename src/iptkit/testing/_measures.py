"""Strategies for symptom measures."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from iptkit._measures import (
    BDI2_LETTER_ANSWERS,
    INSTRUMENTS,
    Change,
    Instrument,
    InstrumentId,
    Measurement,
    Score,
)
from iptkit.testing._common import dates

__all__ = ["changes", "instruments", "item_answers", "measurements", "scores"]


def instruments() -> st.SearchStrategy[Instrument]:
    """One of the built-in instruments, shrinking towards the PHQ-9."""
    return st.sampled_from(list(INSTRUMENTS.values()))


def _instrument(instrument: Instrument | InstrumentId | None) -> st.SearchStrategy[Instrument]:
    if instrument is None:
        return instruments()
    if isinstance(instrument, InstrumentId):
        return st.just(INSTRUMENTS[instrument])
    return st.just(instrument)


@st.composite
def item_answers(draw: st.DrawFn, instrument: Instrument) -> tuple[int | str, ...]:
    """Valid answers to every item of ``instrument``, lettered ones included."""
    answers: list[int | str] = []
    for number, top in enumerate(instrument.item_max, start=1):
        choice: st.SearchStrategy[int | str] = st.integers(0, top)
        if number in instrument.lettered_items:
            choice = choice | st.sampled_from(sorted(BDI2_LETTER_ANSWERS))
        answers.append(draw(choice))
    return tuple(answers)


@st.composite
def scores(
    draw: st.DrawFn,
    instrument: Instrument | InstrumentId | None = None,
    *,
    with_items: bool | None = None,
) -> Score:
    """Valid scores, with item answers or with a total alone.

    A total alone of an instrument with a safety item carries, or not, an
    answer to that item that the total allows.

    Args:
        draw: supplied by hypothesis.
        instrument: keep to one instrument; any built-in one when ``None``.
        with_items: ``True`` for item answers, ``False`` for a total alone,
            ``None`` for either.
    """
    info = draw(_instrument(instrument))
    items = draw(st.booleans()) if with_items is None else with_items
    if items:
        answers = draw(item_answers(info))
        total = sum(BDI2_LETTER_ANSWERS[a] if isinstance(a, str) else a for a in answers)
        return Score(instrument=info.id, items=answers, total=total)
    total = draw(st.integers(0, info.max_total))
    safety = info.safety_item
    answer: int | None = None
    if safety is not None and draw(st.booleans()):
        top = info.item_max[safety.number - 1]
        others = info.max_total - top
        answer = draw(st.integers(max(0, total - others), min(top, total)))
    return Score(instrument=info.id, total=total, safety_item=answer)


@st.composite
def measurements(
    draw: st.DrawFn,
    instrument: Instrument | InstrumentId | None = None,
) -> Measurement:
    """Measurements on a day, tied to a session 1-30 or to none.

    Some record a risk assessment, on the day the measure was taken or up
    to a week later.
    """
    taken_on = draw(dates())
    assessed: dt.date | None = None
    if draw(st.booleans()):
        assessed = taken_on + dt.timedelta(days=draw(st.integers(0, 7)))
    return Measurement(
        taken_on=taken_on,
        session_number=draw(st.none() | st.integers(1, 30)),
        score=draw(scores(instrument)),
        risk_assessed_on=assessed,
    )


@st.composite
def changes(draw: st.DrawFn, instrument: Instrument | InstrumentId | None = None) -> Change:
    """Changes between two scores of one instrument, with varied thresholds.

    Thresholds are drawn as hundredths, so the exact-decimal edges (a drop
    of exactly 50%) come up often.
    """
    info = draw(_instrument(instrument))
    baseline = draw(scores(info))
    follow_up = draw(scores(info))
    drops = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
    reliability = draw(
        st.none()
        | st.tuples(
            st.floats(0.5, 20.0, allow_nan=False), st.integers(0, 99).map(lambda r: r / 100)
        )
    )
    return Change(
        baseline=baseline,
        follow_up=follow_up,
        response_drop=drops[1] / 100,
        partial_drop=drops[0] / 100,
        remission_at_most=draw(st.none() | st.integers(0, info.max_total)),
        reliability_sd=None if reliability is None else reliability[0],
        test_retest=None if reliability is None else reliability[1],
    )


st.register_type_strategy(Score, scores())
st.register_type_strategy(Measurement, measurements())
st.register_type_strategy(Change, changes())
