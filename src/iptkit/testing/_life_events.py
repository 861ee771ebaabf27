"""Strategies for life events and focus classification rule sets."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from hypothesis import strategies as st

from iptkit._classify import (
    IPSRT_RULES,
    STUART_RULES,
    WEISSMAN_RULES,
    FocusPair,
    RuleSet,
    TriggerRule,
)
from iptkit._focus import FocusArea
from iptkit._life_events import LifeEvent, LifeEventKind
from iptkit.testing._common import dates, private_text

__all__ = [
    "builtin_rule_sets",
    "custom_rule_sets",
    "focus_pairs",
    "life_events",
    "rule_sets",
    "trigger_rules",
]

#: Labels shared with :func:`iptkit.testing.inventories`, so drawn events can
#: name people drawn into an inventory.
INVENTORY_LABELS: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5", "P6")


def life_events(
    *,
    kinds: Sequence[LifeEventKind] | None = None,
    people: Sequence[str] | None = None,
    min_date: dt.date = dt.date(2000, 1, 1),
    max_date: dt.date = dt.date(2040, 12, 31),
) -> st.SearchStrategy[LifeEvent]:
    """Valid life events.

    Args:
        kinds: the kinds to draw from (all by default).
        people: labels to draw ``person`` from; by default a label like
            ``P1`` (as in drawn inventories), any short text, or none.
        min_date: earliest date.
        max_date: latest date.
    """
    person: st.SearchStrategy[str | None]
    if people is None:
        person = st.none() | st.sampled_from(INVENTORY_LABELS) | private_text(max_size=12)
    else:
        person = st.none() | st.sampled_from(tuple(people)) if people else st.none()
    return st.builds(
        LifeEvent,
        kind=st.sampled_from(tuple(kinds) if kinds is not None else tuple(LifeEventKind)),
        date=dates(min_date, max_date),
        person=person,
        description=st.none() | private_text(),
    )


def trigger_rules(
    areas: Sequence[FocusArea] = tuple(FocusArea),
) -> st.SearchStrategy[TriggerRule]:
    """Rows of a trigger table mapping an event kind to one of ``areas``."""
    return st.builds(
        TriggerRule,
        kind=st.sampled_from(LifeEventKind),
        area=st.sampled_from(tuple(areas)),
        weight=st.floats(0.0, 10.0, allow_nan=False),
    )


def focus_pairs() -> st.SearchStrategy[FocusPair]:
    """Pairs of two different focus areas."""
    pairs = list(itertools.combinations(FocusArea, 2))
    return st.sampled_from(pairs).map(lambda p: FocusPair(first=p[0], second=p[1]))


def builtin_rule_sets() -> st.SearchStrategy[RuleSet]:
    """One of the built-in rule sets, shrinking towards ``WEISSMAN_RULES``."""
    return st.sampled_from((WEISSMAN_RULES, STUART_RULES, IPSRT_RULES))


@st.composite
def custom_rule_sets(draw: st.DrawFn) -> RuleSet:
    """User-defined rule sets with consistent tables."""
    areas = tuple(
        draw(st.lists(st.sampled_from(FocusArea), min_size=1, max_size=len(FocusArea), unique=True))
    )
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(LifeEventKind), st.sampled_from(areas)),
            max_size=8,
            unique=True,
        )
    )
    triggers = tuple(
        TriggerRule(kind=kind, area=area, weight=draw(st.floats(0.0, 10.0, allow_nan=False)))
        for kind, area in rows
    )
    combos = list(itertools.combinations(areas, 2))
    pairs: tuple[FocusPair, ...] = ()
    if combos:
        chosen = draw(st.lists(st.sampled_from(combos), max_size=2, unique=True))
        pairs = tuple(FocusPair(first=a, second=b) for a, b in chosen)
    unit = st.floats(0.0, 1.0, allow_nan=False)
    days = st.integers(0, 1000)
    return RuleSet(
        name=draw(st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)),
        source=draw(st.text(max_size=20)),
        areas=areas,
        triggers=triggers,
        grief_requires_death=draw(st.booleans()),
        full_before_days=draw(days),
        full_after_days=draw(days),
        fade_before_days=draw(days),
        fade_after_days=draw(days),
        undated_weight=draw(unit),
        deceased_weight=draw(st.floats(0.0, 10.0, allow_nan=False)),
        dispute_weight=draw(st.floats(0.0, 10.0, allow_nan=False)),
        unmet_expectations_weight=draw(st.floats(0.0, 10.0, allow_nan=False)),
        deficits_last_resort=draw(st.booleans()),
        deficits_min_signs=draw(st.integers(1, 4)),
        deficits_sign_weight=draw(unit),
        few_relationships=draw(st.integers(0, 6)),
        close_ring=draw(st.integers(1, 5)),
        unsatisfying_share=draw(unit),
        min_score=draw(st.floats(0.0, 3.0, allow_nan=False)),
        secondary_ratio=draw(unit),
        secondary_pairs=pairs,
    )


def rule_sets() -> st.SearchStrategy[RuleSet]:
    """Built-in rule sets, or now and then a user-defined one."""
    return builtin_rule_sets() | custom_rule_sets()


st.register_type_strategy(LifeEvent, life_events())
st.register_type_strategy(TriggerRule, trigger_rules())
st.register_type_strategy(FocusPair, focus_pairs())
st.register_type_strategy(RuleSet, rule_sets())
