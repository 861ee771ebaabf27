"""Strategies for the interpersonal inventory."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from iptkit._focus import DisputeStage
from iptkit._inventory import (
    CLOSEST_RING,
    OUTERMOST_RING,
    ContactFrequency,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
)
from iptkit.testing._common import dates, private_text

__all__ = ["expectations", "inventories", "relationship_changes", "relationships"]


def expectations() -> st.SearchStrategy[Expectation]:
    """Expectations held by either side, met, unmet or unknown."""
    return st.builds(
        Expectation,
        held_by=st.sampled_from(ExpectationHolder),
        description=private_text(),
        met=st.none() | st.booleans(),
    )


def relationship_changes() -> st.SearchStrategy[RelationshipChange]:
    """Dated changes in a relationship."""
    return st.builds(
        RelationshipChange,
        on=dates(),
        description=private_text(),
        approximate=st.booleans(),
    )


@st.composite
def relationships(
    draw: st.DrawFn,
    *,
    label: str | None = None,
    deceased: bool | None = None,
    in_dispute: bool | None = None,
) -> Relationship:
    """Valid relationships; pass ``deceased`` or ``in_dispute`` to fix those flags."""
    is_deceased = draw(st.booleans()) if deceased is None else deceased
    disputed = draw(st.booleans()) if in_dispute is None else in_dispute
    changes = sorted(draw(st.lists(relationship_changes(), max_size=3)), key=lambda c: c.on)
    return Relationship(
        label=label if label is not None else draw(private_text(max_size=12)),
        role=draw(st.sampled_from(RelationshipRole)),
        closeness=draw(st.integers(CLOSEST_RING, OUTERMOST_RING)),
        contact=draw(st.none() | st.sampled_from(ContactFrequency)),
        positive_aspects=tuple(draw(st.lists(private_text(), max_size=2))),
        negative_aspects=tuple(draw(st.lists(private_text(), max_size=2))),
        expectations=tuple(draw(st.lists(expectations(), max_size=3))),
        confiding=draw(st.none() | st.booleans()),
        wished_changes=tuple(draw(st.lists(private_text(), max_size=2))),
        changes=tuple(changes),
        deceased=is_deceased,
        died_on=draw(st.none() | dates()) if is_deceased else None,
        in_dispute=disputed,
        dispute_stage=draw(st.none() | st.sampled_from(DisputeStage)) if disputed else None,
    )


@st.composite
def inventories(
    draw: st.DrawFn, *, min_relationships: int = 0, max_relationships: int = 6
) -> InterpersonalInventory:
    """Valid inventories with unique labels (``P1``, ``P2``, ...)."""
    count = draw(st.integers(min_relationships, max_relationships))
    people = tuple(draw(relationships(label=f"P{index + 1}")) for index in range(count))
    # Nothing in an inventory is dated after it was completed.
    known = [
        day
        for person in people
        for day in (person.died_on, *(change.on for change in person.changes))
        if day is not None
    ]
    earliest = max(known) if known else None
    completed: dt.date | None = draw(
        st.none() | (dates() if earliest is None else dates(min_value=earliest))
    )
    return InterpersonalInventory(
        relationships=people,
        completed_on=completed,
        social_style=draw(st.none() | private_text()),
    )


st.register_type_strategy(Expectation, expectations())
st.register_type_strategy(RelationshipChange, relationship_changes())
st.register_type_strategy(Relationship, relationships())
st.register_type_strategy(InterpersonalInventory, inventories())
