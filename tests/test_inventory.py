"""The interpersonal inventory and its invariants (domain reference §5, §2.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    DisputeStage,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
)
from iptkit.testing import inventories, relationships


def partner(**changes: Any) -> Relationship:
    """A valid relationship with ``changes`` applied."""
    fields: dict[str, Any] = {"label": "P1", "role": RelationshipRole.PARTNER, "closeness": 1}
    return Relationship(**{**fields, **changes})


def change(on: dt.date, text: str = "Moved out.") -> RelationshipChange:
    """A dated change of a relationship."""
    return RelationshipChange(on=on, description=text)


class TestRelationship:
    """Relationship: one person of the inventory."""

    @pytest.mark.parametrize("ring", [1, 2, 3, 4, 5])
    def test_closeness_rings(self, ring: int) -> None:
        """Every ring of the closeness circle is accepted, 1 being closest (§5)."""
        assert partner(closeness=ring).closeness == ring

    @pytest.mark.parametrize("ring", [0, 6])
    def test_closeness_outside_the_circle(self, ring: int) -> None:
        """A ring outside 1..5 is out_of_range."""
        assert issues_of(lambda: partner(closeness=ring)) == [("$.closeness", "out_of_range")]

    def test_stage_without_dispute(self) -> None:
        """A dispute stage needs the relationship marked as in dispute (§2.3)."""
        assert issues_of(lambda: partner(dispute_stage=DisputeStage.IMPASSE)) == [
            ("$.dispute_stage", "stage_without_dispute")
        ]

    @pytest.mark.parametrize("stage", list(DisputeStage))
    def test_each_dispute_stage(self, stage: DisputeStage) -> None:
        """Each of the three stages is allowed for a relationship in dispute (§2.3)."""
        assert partner(in_dispute=True, dispute_stage=stage).dispute_stage is stage

    def test_the_three_dispute_stages(self) -> None:
        """A role dispute has exactly three stages (§2.3)."""
        assert [s.value for s in DisputeStage] == ["renegotiation", "impasse", "dissolution"]

    def test_dispute_without_a_stage(self) -> None:
        """A dispute whose stage is not yet known is allowed."""
        assert partner(in_dispute=True).dispute_stage is None

    def test_death_date_without_death(self) -> None:
        """A date of death needs the person marked as deceased."""
        assert issues_of(lambda: partner(died_on=dt.date(2025, 6, 14))) == [
            ("$.died_on", "death_date_without_death")
        ]

    def test_deceased_with_or_without_a_date(self) -> None:
        """A person who died may have a date of death, or not (it may be unknown)."""
        assert partner(deceased=True, died_on=dt.date(2025, 6, 14)).deceased
        assert partner(deceased=True).died_on is None

    def test_changes_out_of_order(self) -> None:
        """Dated changes must be in date order; the first one out of order is flagged."""
        dates = [dt.date(2025, 9, 1), dt.date(2025, 10, 1), dt.date(2025, 3, 1)]
        assert issues_of(lambda: partner(changes=tuple(change(d) for d in dates))) == [
            ("$.changes[2].on", "out_of_order")
        ]

    def test_changes_on_the_same_day(self) -> None:
        """Two changes on one day are in order."""
        day = dt.date(2025, 9, 1)
        assert len(partner(changes=(change(day), change(day, "Argued."))).changes) == 2

    def test_several_invariants_at_once(self) -> None:
        """Every broken invariant of a relationship is reported together, in field order."""
        assert issues_of(
            lambda: partner(
                died_on=dt.date(2025, 6, 14),
                dispute_stage=DisputeStage.DISSOLUTION,
                changes=(change(dt.date(2025, 9, 1)), change(dt.date(2025, 1, 1))),
            )
        ) == [
            ("$.changes[1].on", "out_of_order"),
            ("$.died_on", "death_date_without_death"),
            ("$.dispute_stage", "stage_without_dispute"),
        ]

    def test_invariants_wait_for_valid_fields(self) -> None:
        """Cross-field rules run only once every field is valid, so issues do not pile up."""
        assert issues_of(lambda: partner(closeness=9, died_on=dt.date(2025, 6, 14))) == [
            ("$.closeness", "out_of_range")
        ]

    def test_unmet_expectations(self) -> None:
        """has_unmet_expectations is true when an expectation is recorded as not met (§5)."""
        unmet = Expectation(held_by=ExpectationHolder.PATIENT, description="Help.", met=False)
        unknown = Expectation(held_by=ExpectationHolder.OTHER, description="Visits.")
        assert partner(expectations=(unknown, unmet)).has_unmet_expectations
        assert not partner(expectations=(unknown,)).has_unmet_expectations

    def test_repr_hides_labels_and_free_text(self) -> None:
        """repr() shows no label, aspect, wish, expectation or change text."""
        rel = partner(
            label="Secret-Label",
            positive_aspects=("kind-words",),
            negative_aspects=("harsh-words",),
            wished_changes=("more-time",),
            expectations=(
                Expectation(held_by=ExpectationHolder.PATIENT, description="hidden-hope"),
            ),
            changes=(change(dt.date(2025, 9, 1), "hidden-change"),),
        )
        text = repr(rel)
        for secret in ("Secret-Label", "kind", "harsh", "more-time", "hidden"):
            assert secret not in text
        assert "closeness=1" in text

    def test_is_frozen(self) -> None:
        """Relationships cannot be changed in place; evolve checks the new one."""
        rel = partner()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            rel.closeness = 2  # type: ignore[misc]
        assert issues_of(lambda: iptkit.evolve(rel, closeness=7)) == [
            ("$.closeness", "out_of_range")
        ]


class TestInterpersonalInventory:
    """InterpersonalInventory: the people reviewed in the initial phase."""

    def test_empty_inventory(self) -> None:
        """An inventory with no one yet is valid (it is filled in over sessions)."""
        assert InterpersonalInventory().relationships == ()

    def test_duplicate_label(self) -> None:
        """Labels are unique; the second use of a label is flagged at its path."""
        people = (
            partner(label="P1"),
            partner(label="M", role=RelationshipRole.PARENT),
            partner(label="P1", role=RelationshipRole.FRIEND),
        )
        assert issues_of(lambda: InterpersonalInventory(relationships=people)) == [
            ("$.relationships[2].label", "duplicate_label")
        ]

    def test_duplicate_label_from_json(self) -> None:
        """Loaded from JSON, the same rule reports the same path."""
        doc = {
            "schema_version": 1,
            "relationships": [
                {"label": "A", "role": "partner", "closeness": 1},
                {"label": "A", "role": "friend", "closeness": 2},
            ],
        }
        assert issues_of(lambda: iptkit.load(InterpersonalInventory, doc)) == [
            ("$.relationships[1].label", "duplicate_label")
        ]

    def test_relationship_invariants_from_json(self) -> None:
        """A relationship's invariants are reported under its index in the document."""
        doc = {
            "schema_version": 1,
            "relationships": [
                {"label": "A", "role": "partner", "closeness": 1},
                {
                    "label": "B",
                    "role": "friend",
                    "closeness": 2,
                    "dispute_stage": "impasse",
                    "died_on": "2025-06-14",
                    "changes": [
                        {"on": "2025-09-01", "description": "x"},
                        {"on": "2025-08-01", "description": "y"},
                    ],
                },
            ],
        }
        assert issues_of(lambda: iptkit.load(InterpersonalInventory, doc)) == [
            ("$.relationships[1].changes[1].on", "out_of_order"),
            ("$.relationships[1].died_on", "death_date_without_death"),
            ("$.relationships[1].dispute_stage", "stage_without_dispute"),
        ]

    def test_by_label_and_labels(self) -> None:
        """by_label finds a person by label; labels lists them all."""
        inv = InterpersonalInventory(
            relationships=(partner(), partner(label="M", role=RelationshipRole.PARENT))
        )
        found = inv.by_label("M")
        assert found is not None
        assert found.role is RelationshipRole.PARENT
        assert inv.by_label("nobody") is None
        assert inv.labels == frozenset({"P1", "M"})

    def test_repr_hides_free_text(self) -> None:
        """The notes on social style stay out of repr."""
        inv = InterpersonalInventory(social_style="avoids-conflict", relationships=(partner(),))
        assert "avoids-conflict" not in repr(inv)
        assert "P1" not in repr(inv)

    @given(inventories(min_relationships=1, max_relationships=4), st.data())
    def test_any_repeated_label_is_flagged(self, inv: InterpersonalInventory, data: Any) -> None:
        """Appending a person with a label already used is duplicate_label at that index."""
        label = data.draw(st.sampled_from(sorted(inv.labels)))
        extra = data.draw(relationships(label=label))
        people = (*inv.relationships, extra)
        # Leave the completion date out: the extra person's dates may be later.
        assert issues_of(lambda: iptkit.evolve(inv, relationships=people, completed_on=None)) == [
            (f"$.relationships[{len(inv.relationships)}].label", "duplicate_label")
        ]
