"""Focus (problem) areas of IPT and the stages of a role dispute.

Domain reference §2: four focus areas in the Weissman, Markowitz & Klerman
tradition; Stuart & Robertson use three (no interpersonal deficits).  A role
dispute is in exactly one of three stages.
"""

from __future__ import annotations

import enum

__all__ = ["DisputeStage", "FocusArea"]


class FocusArea(enum.Enum):
    """The interpersonal problem a course of IPT works on.

    >>> FocusArea("role_dispute")
    <FocusArea.ROLE_DISPUTE: 'role_dispute'>
    """

    #: Complicated bereavement after the death of someone close.
    GRIEF = "grief"
    #: Conflict with a significant other over non-reciprocal expectations.
    ROLE_DISPUTE = "role_dispute"
    #: A change of social role (a move, a new baby, divorce, a new job, ...).
    ROLE_TRANSITION = "role_transition"
    #: Long-standing isolation with no recent life event; the last resort.
    INTERPERSONAL_DEFICITS = "interpersonal_deficits"

    @property
    def label(self) -> str:
        """The area's name in plain words, for messages and reports.

        >>> FocusArea.ROLE_DISPUTE.label
        'role dispute'
        """
        return self.value.replace("_", " ")


class DisputeStage(enum.Enum):
    """Stage of a role dispute (domain reference §2.3)."""

    #: Both sides know they disagree and are still trying to change things.
    RENEGOTIATION = "renegotiation"
    #: Talk has stopped; nothing is being tried.
    IMPASSE = "impasse"
    #: The relationship is judged beyond repair.
    DISSOLUTION = "dissolution"
