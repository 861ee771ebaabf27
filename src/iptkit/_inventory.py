"""The interpersonal inventory: the patient's important relationships.

Domain reference §5.  Each :class:`Relationship` describes one person by a
role and a pseudonymous label (never a name), where the patient places them on
the closeness circle, how the relationship goes, the expectations on each side,
and dated changes, especially around the onset of symptoms.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator

from iptkit._errors import Issue
from iptkit._focus import DisputeStage
from iptkit._model import distinct, field, model
from iptkit._ordering import in_date_order

__all__ = [
    "ContactFrequency",
    "Expectation",
    "ExpectationHolder",
    "InterpersonalInventory",
    "Relationship",
    "RelationshipChange",
    "RelationshipRole",
]

#: Innermost and outermost ring of the closeness circle.
CLOSEST_RING = 1
OUTERMOST_RING = 5


class RelationshipRole(enum.Enum):
    """Who the person is to the patient."""

    PARTNER = "partner"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    OTHER_FAMILY = "other_family"
    FRIEND = "friend"
    CO_WORKER = "co_worker"
    MANAGER = "manager"
    CLASSMATE = "classmate"
    TEACHER = "teacher"
    CARER = "carer"
    NEIGHBOUR = "neighbour"
    FORMER_PARTNER = "former_partner"
    OTHER = "other"


class ContactFrequency(enum.Enum):
    """How often the patient is in touch with the person."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    RARELY = "rarely"
    NONE = "none"


class ExpectationHolder(enum.Enum):
    """Whose expectation of the relationship it is."""

    PATIENT = "patient"
    OTHER = "other"


@model
class Expectation:
    """One expectation held in a relationship, and whether it is met.

    Unmet, non-reciprocal expectations are the marker of a role dispute.
    """

    held_by: ExpectationHolder
    description: str = field(min_len=1, private=True, doc="What is expected, in words.")
    met: bool | None = field(default=None, doc="Whether it is met; null when unknown.")


@model
class RelationshipChange:
    """A dated change in a relationship (e.g. around the onset of symptoms)."""

    on: dt.date = field(doc="When the change happened (or began).")
    description: str = field(min_len=1, private=True, doc="What changed, in words.")
    approximate: bool = field(default=False, doc="Whether the date is only approximate.")


@model
class Relationship:
    """One important person in the patient's life, as the inventory records them.

    >>> r = Relationship(label="P1", role=RelationshipRole.PARTNER, closeness=1)
    >>> r.closeness
    1
    >>> "P1" in repr(r)
    False
    """

    label: str = field(
        min_len=1,
        max_len=64,
        private=True,
        doc="Pseudonymous label, unique within the inventory (never a real name).",
    )
    role: RelationshipRole
    closeness: int = field(
        ge=CLOSEST_RING,
        le=OUTERMOST_RING,
        doc="Ring of the closeness circle, 1 = closest.",
    )
    contact: ContactFrequency | None = field(default=None, doc="How often they are in touch.")
    positive_aspects: tuple[str, ...] = field(default=(), private=True)
    negative_aspects: tuple[str, ...] = field(default=(), private=True)
    expectations: tuple[Expectation, ...] = field(default=())
    confiding: bool | None = field(
        default=None, doc="Whether the patient can confide in this person."
    )
    wished_changes: tuple[str, ...] = field(
        default=(), private=True, doc="What the patient would like to change."
    )
    changes: tuple[RelationshipChange, ...] = field(
        default=(), rules=[in_date_order("Changes", attr="on")]
    )
    deceased: bool = field(default=False, doc="Whether the person has died.")
    died_on: dt.date | None = field(default=None, doc="Date of death, if known.")
    in_dispute: bool = field(default=False, doc="Whether the relationship is in dispute.")
    dispute_stage: DisputeStage | None = field(default=None)

    @property
    def has_unmet_expectations(self) -> bool:
        """Whether any expectation in the relationship is recorded as unmet."""
        return any(e.met is False for e in self.expectations)

    def _invariants(self) -> Iterator[Issue]:
        if self.died_on is not None and not self.deceased:
            yield Issue(
                "$.died_on",
                "death_date_without_death",
                "A date of death is given for a person not marked as deceased.",
            )
        if self.dispute_stage is not None and not self.in_dispute:
            yield Issue(
                "$.dispute_stage",
                "stage_without_dispute",
                "A dispute stage is given for a relationship not marked as in dispute.",
            )


@model(document="inventory")
class InterpersonalInventory:
    """The patient's important relationships, gathered in the initial phase.

    >>> inv = InterpersonalInventory(
    ...     relationships=(
    ...         Relationship(label="P1", role=RelationshipRole.PARTNER, closeness=1),
    ...         Relationship(label="M", role=RelationshipRole.PARENT, closeness=2),
    ...     ),
    ... )
    >>> [r.role.value for r in inv.relationships]
    ['partner', 'parent']
    """

    relationships: tuple[Relationship, ...] = field(
        default=(),
        doc="The people reviewed, closest first or in any order.",
        rules=[
            distinct(
                "Two relationships share the same label; labels must be unique.",
                key=lambda relationship: relationship.label,
                below=".label",
                code="duplicate_label",
            )
        ],
    )
    completed_on: dt.date | None = field(default=None, doc="The day the inventory was completed.")
    social_style: str | None = field(
        default=None,
        private=True,
        doc="Notes on the patient's general style with others.",
    )

    def _invariants(self) -> Iterator[Issue]:
        if self.completed_on is not None:
            yield from _after_completion(self.relationships, self.completed_on)

    def by_label(self, label: str) -> Relationship | None:
        """Return the relationship with ``label``, or ``None``."""
        for relationship in self.relationships:
            if relationship.label == label:
                return relationship
        return None

    @property
    def labels(self) -> frozenset[str]:
        """The labels of every relationship in the inventory."""
        return frozenset(r.label for r in self.relationships)


def _after_completion(
    relationships: tuple[Relationship, ...], completed_on: dt.date
) -> Iterator[Issue]:
    """An inventory records what was known when it was completed: nothing dated later."""
    for index, relationship in enumerate(relationships):
        if relationship.died_on is not None and relationship.died_on > completed_on:
            yield Issue(
                f"$.relationships[{index}].died_on",
                "after_completion",
                "A death is dated after the inventory was completed.",
            )
        for number, change in enumerate(relationship.changes):
            if change.on > completed_on:
                yield Issue(
                    f"$.relationships[{index}].changes[{number}].on",
                    "after_completion",
                    "A change is dated after the inventory was completed.",
                )
