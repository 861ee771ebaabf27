"""Explainable, rule-based proposal of a focus area.

Domain reference §2.2 (triggers and selection rules 1-5), §2.4 (one focus, at
most two when clearly linked), §5 (mapping the inventory to focus areas) and
§9 (where the manuals disagree).  The rules are data: a :class:`RuleSet` holds
which areas exist, which kinds of event trigger which area, the timing window
around onset, the weights and the inventory thresholds of the last-resort
rule.  :func:`classify` applies one and returns a :class:`FocusAssessment`
that keeps every piece of evidence, including contradictions, and can say in
plain words why it proposes what it proposes.

The classifier proposes; the clinician and patient choose (the focus is agreed
with the patient, §3.2).  Nothing here is a diagnosis.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from iptkit._errors import Issue, ValidationError
from iptkit._focus import DisputeStage, FocusArea
from iptkit._inventory import InterpersonalInventory, Relationship
from iptkit._life_events import LifeEvent, LifeEventKind
from iptkit._model import distinct, field, model

__all__ = [
    "IPSRT_RULES",
    "STUART_RULES",
    "WEISSMAN_RULES",
    "Candidate",
    "Evidence",
    "EvidenceRule",
    "FocusAssessment",
    "FocusDisagreement",
    "FocusPair",
    "RuleSet",
    "TriggerRule",
    "classify",
    "compare_focus",
]

#: Largest window or fade length a rule set may use, in days (ten years).
MAX_WINDOW_DAYS = 3650

_K = LifeEventKind
_F = FocusArea


# --------------------------------------------------------------------------
# Rules as data
# --------------------------------------------------------------------------


@model
class TriggerRule:
    """One row of a rule set's trigger table: an event kind counts for an area.

    >>> TriggerRule(kind=LifeEventKind.RETIREMENT, area=FocusArea.ROLE_TRANSITION)
    TriggerRule(kind=<LifeEventKind.RETIREMENT: 'retirement'>, area=<FocusArea.ROLE_TRANSITION: \
'role_transition'>, weight=1.0)
    """

    kind: LifeEventKind = field(doc="The kind of life event.")
    area: FocusArea = field(doc="The focus area it is evidence for.")
    weight: float = field(
        default=1.0, ge=0.0, le=10.0, doc="Points one such event adds inside the window."
    )


@model
class FocusPair:
    """Two focus areas that may be proposed together when clearly linked (§2.2 rule 5)."""

    first: FocusArea
    second: FocusArea

    def _invariants(self) -> Iterator[Issue]:
        if self.first is self.second:
            message = "A pair needs two different focus areas."
            yield Issue("$.second", "invalid_value", message, self.second)

    def __contains__(self, area: object) -> bool:
        return area is self.first or area is self.second


@model
class RuleSet:
    """An immutable, named set of rules for proposing a focus area.

    Use a built-in (:data:`WEISSMAN_RULES`, :data:`STUART_RULES`) or derive
    one with :func:`iptkit.evolve`:

    >>> from iptkit import evolve
    >>> wide = evolve(WEISSMAN_RULES, name="wide_window", full_before_days=730)
    >>> wide.timing_weight(dt.date(2023, 1, 1), onset=dt.date(2024, 6, 1))
    1.0
    >>> round(WEISSMAN_RULES.timing_weight(dt.date(2023, 1, 1), onset=dt.date(2024, 6, 1)), 2)
    0.58

    Timing (§2.2 rule 3): an event from ``full_before_days`` before onset to
    ``full_after_days`` after it counts fully (weight 1).  Beyond either edge
    its weight falls in a straight line to 0 over ``fade_before_days`` or
    ``fade_after_days``; further away it counts for nothing.  The default
    window (12 months before onset to 1 month after, fading over a further
    12 months before and 2 months after) is a convention [C], not a manual's
    number.

    Interpersonal deficits (§2.2 rule 2, §5): the inventory shows a *sign* of
    isolation when few people are living in it (at most
    ``few_relationships``), when nobody is on the inner rings (closeness
    ring ``close_ring`` or nearer), when nobody is a confidant (none marked
    confiding and at least one marked not confiding), or when at least
    ``unsatisfying_share`` of the relationships have unmet expectations.
    With ``deficits_min_signs`` signs or more, each sign adds
    ``deficits_sign_weight`` points.  With ``deficits_last_resort``, any
    grief, dispute or transition evidence with weight sets deficits aside.
    """

    name: str = field(min_len=1, max_len=64, pattern=r"[a-z][a-z0-9_]*", doc="Identifier.")
    source: str = field(default="", max_len=400, doc="Where the rules come from.")
    areas: tuple[FocusArea, ...] = field(
        min_len=1,
        doc="Focus areas the rules recognise, in order of preference on a tie.",
        rules=[distinct("A focus area is listed twice.", each=False)],
    )
    triggers: tuple[TriggerRule, ...] = field(
        default=(),
        doc="Which kinds of event count as evidence for which area.",
        rules=[
            distinct(
                "The same kind of event is mapped to the same focus area twice.",
                key=lambda trigger: (trigger.kind, trigger.area),
            )
        ],
    )
    grief_requires_death: bool = field(
        default=True, doc="Whether only a death counts towards grief (§2.2 rule 1)."
    )
    full_before_days: int = field(
        default=365, ge=0, le=MAX_WINDOW_DAYS, doc="Days before onset that count fully."
    )
    full_after_days: int = field(
        default=31, ge=0, le=MAX_WINDOW_DAYS, doc="Days after onset that count fully."
    )
    fade_before_days: int = field(
        default=365,
        ge=0,
        le=MAX_WINDOW_DAYS,
        doc="Days over which the weight falls to 0 before the full window.",
    )
    fade_after_days: int = field(
        default=61,
        ge=0,
        le=MAX_WINDOW_DAYS,
        doc="Days over which the weight falls to 0 after the full window.",
    )
    undated_weight: float = field(
        default=0.5, ge=0.0, le=1.0, doc="Timing weight of a death in the inventory with no date."
    )
    deceased_weight: float = field(
        default=1.0, ge=0.0, le=10.0, doc="Points for a deceased person in the inventory."
    )
    dispute_weight: float = field(
        default=1.0, ge=0.0, le=10.0, doc="Points for a living relationship marked in dispute."
    )
    unmet_expectations_weight: float = field(
        default=0.5,
        ge=0.0,
        le=10.0,
        doc="Points for a living relationship with unmet expectations, not marked in dispute.",
    )
    deficits_last_resort: bool = field(
        default=True,
        doc="Whether any grief, dispute or transition evidence sets deficits aside (§2.2 rule 2).",
    )
    deficits_min_signs: int = field(
        default=2, ge=1, le=4, doc="Signs of isolation needed before deficits is considered."
    )
    deficits_sign_weight: float = field(
        default=0.25, ge=0.0, le=10.0, doc="Points for each sign of isolation."
    )
    few_relationships: int = field(
        default=2, ge=0, le=100, doc="At most this many living people counts as few."
    )
    close_ring: int = field(
        default=2, ge=1, le=5, doc="Nobody on this ring or nearer counts as distant."
    )
    unsatisfying_share: float = field(
        default=0.5,
        ge=0.0,
        le=1.0,
        doc="Share of relationships with unmet expectations that counts as unsatisfying.",
    )
    min_score: float = field(
        default=0.5, ge=0.0, le=100.0, doc="Lowest score that can be proposed as the focus."
    )
    secondary_ratio: float = field(
        default=0.5,
        ge=0.0,
        le=1.0,
        doc="A second focus needs at least this share of the first one's score.",
    )
    secondary_pairs: tuple[FocusPair, ...] = field(
        default=(),
        doc="Pairs of areas that may be proposed together when linked (§2.2 rule 5).",
        rules=[
            distinct(
                "A pair is listed twice.", key=lambda pair: frozenset((pair.first, pair.second))
            )
        ],
    )

    def _invariants(self) -> Iterator[Issue]:
        # Areas, triggers and pairs listed twice are field rules.
        for index, trigger in enumerate(self.triggers):
            if trigger.area not in self.areas:
                yield Issue(
                    f"$.triggers[{index}].area",
                    "area_not_recognised",
                    "A trigger names a focus area the rule set does not recognise.",
                )
        for index, pair in enumerate(self.secondary_pairs):
            for name, area in (("first", pair.first), ("second", pair.second)):
                if area not in self.areas:
                    yield Issue(
                        f"$.secondary_pairs[{index}].{name}",
                        "area_not_recognised",
                        "A pair names a focus area the rule set does not recognise.",
                    )

    def triggers_for(self, kind: LifeEventKind) -> tuple[TriggerRule, ...]:
        """Return the rows of the trigger table for events of ``kind``.

        >>> [t.area.value for t in STUART_RULES.triggers_for(LifeEventKind.DIVORCE)]
        ['grief', 'role_transition']
        """
        return tuple(t for t in self.triggers if t.kind is kind)

    def timing_weight(self, day: dt.date, onset: dt.date) -> float:
        """Return how much an event on ``day`` counts, from 0 to 1 (§2.2 rule 3).

        >>> onset = dt.date(2024, 6, 1)
        >>> WEISSMAN_RULES.timing_weight(dt.date(2024, 3, 1), onset)
        1.0
        >>> WEISSMAN_RULES.timing_weight(dt.date(2014, 6, 1), onset)
        0.0
        """
        offset = (day - onset).days
        if offset < -self.full_before_days:
            beyond, fade = -self.full_before_days - offset, self.fade_before_days
        elif offset > self.full_after_days:
            beyond, fade = offset - self.full_after_days, self.fade_after_days
        else:
            return 1.0
        if beyond >= fade:
            return 0.0
        return 1.0 - beyond / fade

    def recognises(self, area: FocusArea) -> bool:
        """Whether ``area`` is one of the rule set's focus areas."""
        return area in self.areas


_TRANSITION_KINDS = (
    _K.SEPARATION,
    _K.DIVORCE,
    _K.MARRIAGE,
    _K.NEW_RELATIONSHIP,
    _K.BIRTH_OF_CHILD,
    _K.CHILD_LEAVING_HOME,
    _K.NEW_JOB,
    _K.JOB_LOSS,
    _K.RETIREMENT,
    _K.RELOCATION,
    _K.SCHOOL_CHANGE,
    _K.ILLNESS_DIAGNOSIS,
)

#: Disputes and transitions often come together (§2.2 rule 5).
_LINKED = FocusPair(first=_F.ROLE_DISPUTE, second=_F.ROLE_TRANSITION)

#: Losses other than a death that the Stuart & Robertson rules read as loss.
_LOSS_KINDS = (_K.SEPARATION, _K.DIVORCE, _K.JOB_LOSS, _K.ILLNESS_DIAGNOSIS)

WEISSMAN_RULES = RuleSet(
    name="weissman",
    source="Weissman, Markowitz & Klerman (2000, 2018); domain reference §2.1-2.2, §5",
    areas=(_F.GRIEF, _F.ROLE_DISPUTE, _F.ROLE_TRANSITION, _F.INTERPERSONAL_DEFICITS),
    triggers=(
        TriggerRule(kind=_K.DEATH, area=_F.GRIEF),
        TriggerRule(kind=_K.CONFLICT, area=_F.ROLE_DISPUTE),
        *(TriggerRule(kind=kind, area=_F.ROLE_TRANSITION) for kind in _TRANSITION_KINDS),
    ),
    grief_requires_death=True,
    deficits_last_resort=True,
    secondary_pairs=(_LINKED,),
)
"""The four focus areas of Weissman, Markowitz & Klerman (the default).

Grief needs a death (§2.2 rule 1): separation, divorce, job loss and a new
diagnosis are role transitions.  A conflict event, a living relationship
marked in dispute, or one with unmet expectations is evidence of a role
dispute.  Interpersonal deficits is the last resort (rule 2): proposed only
from inventory signs of isolation, and only when no grief, dispute or
transition evidence carries weight.  The timing window and the weights are
conventions [C] (see :class:`RuleSet`).
"""

STUART_RULES = RuleSet(
    name="stuart",
    source="Stuart & Robertson, Interpersonal Psychotherapy (2nd ed.); domain reference §2.1, §9",
    areas=(_F.GRIEF, _F.ROLE_DISPUTE, _F.ROLE_TRANSITION),
    triggers=(
        TriggerRule(kind=_K.DEATH, area=_F.GRIEF),
        *(TriggerRule(kind=kind, area=_F.GRIEF) for kind in _LOSS_KINDS),
        TriggerRule(kind=_K.CONFLICT, area=_F.ROLE_DISPUTE),
        *(
            TriggerRule(
                kind=kind, area=_F.ROLE_TRANSITION, weight=0.75 if kind in _LOSS_KINDS else 1.0
            )
            for kind in _TRANSITION_KINDS
        ),
    ),
    grief_requires_death=False,
    deficits_last_resort=True,
    secondary_pairs=(_LINKED,),
)
"""The three problem areas of Stuart & Robertson (IPT Institute).

"Grief and loss" is wider than a death: a separation, a divorce, a job loss
and a new serious diagnosis count as losses (weight 1) and, less strongly, as
role transitions (weight 0.75); preferring the loss reading is a
convention [C].  Interpersonal deficits is not a problem area: signs of
isolation in the inventory are reported as a note (interpersonal sensitivity
complicates one of the three areas), never proposed.

The checks judge a recorded focus by the same reading: with these rules a
loss other than a death supports a grief focus (``grief_without_death`` does
not fire), so the grief this rule set proposes is never reported.
"""

IPSRT_RULES = RuleSet(
    name="ipsrt",
    source="IPSRT (Frank; ipsrt.org) on Weissman, Markowitz & Klerman; domain reference "
    "§2.1-2.2, §4",
    areas=(
        _F.GRIEF,
        _F.ROLE_DISPUTE,
        _F.ROLE_TRANSITION,
        _F.INTERPERSONAL_DEFICITS,
        _F.LOSS_OF_HEALTHY_SELF,
    ),
    triggers=(
        TriggerRule(kind=_K.DEATH, area=_F.GRIEF),
        TriggerRule(kind=_K.CONFLICT, area=_F.ROLE_DISPUTE),
        *(
            TriggerRule(
                kind=kind,
                area=_F.ROLE_TRANSITION,
                weight=0.75 if kind is _K.ILLNESS_DIAGNOSIS else 1.0,
            )
            for kind in _TRANSITION_KINDS
        ),
        TriggerRule(kind=_K.ILLNESS_DIAGNOSIS, area=_F.LOSS_OF_HEALTHY_SELF),
    ),
    grief_requires_death=True,
    deficits_last_resort=True,
    secondary_pairs=(_LINKED,),
)
"""Weissman's rules with IPSRT's fifth problem area, grief for the lost healthy self.

IPSRT keeps IPT's four areas and adds the loss of the healthy self (§2.1) [S].
Grief still needs a death.  A new diagnosis of the patient's own (for IPSRT,
usually of bipolar disorder) counts towards the loss of the healthy self
(weight 1) and, less strongly, towards a role transition (weight 0.75);
reading the diagnosis as that loss first is a convention [C] of this
library, as is the same timing window as Weissman's.  The checks use these
rules for a protocol that recognises the fifth area
(:data:`~iptkit.protocols.IPSRT`).
"""


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


class EvidenceRule(enum.Enum):
    """The rule that produced one piece of :class:`Evidence`."""

    #: An event whose kind the trigger table maps to the area (§2.2).
    TRIGGER_EVENT = "trigger_event"
    #: The event lies too far from onset to count (§2.2 rule 3).
    OUTSIDE_WINDOW = "outside_window"
    #: A loss that is not a death does not count towards grief (§2.2 rule 1).
    GRIEF_NEEDS_DEATH = "grief_needs_death"
    #: No row of the trigger table maps the event's kind to a recognised area.
    NO_TRIGGER = "no_trigger"
    #: The inventory marks someone as deceased (§5).
    DECEASED_IN_INVENTORY = "deceased_in_inventory"
    #: The inventory marks a living relationship as in dispute (§5).
    DISPUTE_IN_INVENTORY = "dispute_in_inventory"
    #: A living relationship has unmet expectations (§5).
    UNMET_EXPECTATIONS = "unmet_expectations"
    #: A sign of isolation in the inventory (§5).
    ISOLATION_SIGN = "isolation_sign"
    #: Deficits set aside because other evidence exists (§2.2 rule 2).
    DEFICITS_LAST_RESORT = "deficits_last_resort"
    #: Signs of isolation, but the rule set has no deficits area (§2.1).
    DEFICITS_NOT_RECOGNISED = "deficits_not_recognised"
    #: An inventory with nobody in it is not taken as evidence of isolation.
    EMPTY_INVENTORY = "empty_inventory"
    #: Contradiction: an event names a person the inventory does not list.
    UNKNOWN_PERSON = "unknown_person"
    #: Contradiction: a death is recorded for someone the inventory lists as living.
    DEATH_OF_LIVING_PERSON = "death_of_living_person"
    #: Contradiction: the event and the inventory give different dates of death.
    DEATH_DATE_MISMATCH = "death_date_mismatch"
    #: Contradiction: someone who died is also in an unresolved dispute.
    DEATH_WITH_DISPUTE = "death_with_dispute"


#: Rules whose evidence is a contradiction between inputs.
CONTRADICTIONS = frozenset(
    {
        EvidenceRule.UNKNOWN_PERSON,
        EvidenceRule.DEATH_OF_LIVING_PERSON,
        EvidenceRule.DEATH_DATE_MISMATCH,
        EvidenceRule.DEATH_WITH_DISPUTE,
    }
)


@attrs.frozen
class Evidence:
    """One reason for (or against, or a doubt about) a focus area.

    Attributes:
        rule: which rule produced it.
        area: the focus area it bears on (``None`` for a general note).
        weight: points it adds to the area's score (0 for notes and
            contradictions).
        timing: the timing weight of a dated item (0 to 1), else ``None``.
        event: the life event it comes from, if any.
        person: the inventory label concerned, if any.
        message: one plain sentence; names labels and dates, never free text.
    """

    rule: EvidenceRule
    area: FocusArea | None
    weight: float
    timing: float | None = None
    event: LifeEvent | None = None
    person: str | None = attrs.field(default=None, repr=False)
    message: str = attrs.field(default="", repr=False)

    @property
    def is_contradiction(self) -> bool:
        """Whether the evidence reports two inputs that disagree."""
        return self.rule in CONTRADICTIONS


@attrs.frozen
class Candidate:
    """One focus area considered, with its score and all its evidence.

    Attributes:
        area: the focus area.
        score: the sum of the evidence weights (0 when set aside).
        evidence: every piece of evidence bearing on the area.
        stage: for a role dispute, the stage recorded in the inventory.
    """

    area: FocusArea
    score: float
    evidence: tuple[Evidence, ...]
    stage: DisputeStage | None = None

    @property
    def people(self) -> tuple[str, ...]:
        """Labels of the people behind the evidence that carries weight, sorted."""
        return tuple(sorted({e.person for e in self.evidence if e.weight > 0 and e.person}))

    @property
    def events(self) -> tuple[LifeEvent, ...]:
        """The events behind the evidence that carries weight, in date order."""
        found = {e.event for e in self.evidence if e.weight > 0 and e.event is not None}
        return tuple(sorted(found, key=lambda event: event.sort_key))

    @property
    def contradictions(self) -> tuple[Evidence, ...]:
        """The contradictions among the evidence."""
        return tuple(e for e in self.evidence if e.is_contradiction)


@attrs.frozen
class FocusDisagreement:
    """How a recorded focus differs from a :class:`FocusAssessment`.

    Attributes:
        recorded: the focus areas recorded for the course.
        proposed: the assessment's primary area (``None`` if it proposes none).
        missing: proposed areas absent from the record.
        unsupported: recorded areas without evidence that carries weight, or
            not recognised by the rule set.
    """

    recorded: tuple[FocusArea, ...]
    proposed: FocusArea | None
    missing: tuple[FocusArea, ...]
    unsupported: tuple[FocusArea, ...]

    @property
    def message(self) -> str:
        """One or two plain sentences describing the disagreement."""
        parts = []
        if self.missing:
            parts.append(
                "The evidence points to "
                + _join(a.label for a in self.missing)
                + ", which is not recorded."
            )
        if self.unsupported:
            parts.append(
                "No evidence supports the recorded "
                + _join(a.label for a in self.unsupported)
                + "."
            )
        return " ".join(parts)


@attrs.frozen
class FocusAssessment:
    """The proposal :func:`classify` makes, with everything it is based on.

    Attributes:
        primary: the proposed focus area, or ``None`` when the evidence is
            absent or too weak.
        secondary: a second, clearly linked focus area (§2.2 rule 5, §2.4),
            or ``None``.
        ranked: every area considered, highest score first (ties in the
            order of the rule set's areas).
        notes: evidence about no particular area (events no rule maps,
            contradictions about unknown people, isolation the rules do not
            treat as a focus).
        onset: the onset date the timing was judged against.
        rules: the rule set applied.
        events: the events given, in date order.
    """

    primary: FocusArea | None
    secondary: FocusArea | None
    ranked: tuple[Candidate, ...]
    notes: tuple[Evidence, ...]
    onset: dt.date
    rules: RuleSet = attrs.field(repr=False)
    events: tuple[LifeEvent, ...] = attrs.field(repr=False)

    @property
    def areas(self) -> tuple[FocusArea, ...]:
        """The proposed areas: primary first, then secondary (possibly empty)."""
        return tuple(a for a in (self.primary, self.secondary) if a is not None)

    def candidate(self, area: FocusArea) -> Candidate | None:
        """Return the candidate for ``area``, or ``None`` if it was not considered."""
        for candidate in self.ranked:
            if candidate.area is area:
                return candidate
        return None

    @property
    def stage(self) -> DisputeStage | None:
        """The dispute stage, when a proposed area is a role dispute and its stage is known."""
        if FocusArea.ROLE_DISPUTE not in self.areas:
            return None
        candidate = self.candidate(FocusArea.ROLE_DISPUTE)
        return candidate.stage if candidate is not None else None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """Every piece of evidence: the candidates' in rank order, then the notes."""
        return (*(e for c in self.ranked for e in c.evidence), *self.notes)

    @property
    def contradictions(self) -> tuple[Evidence, ...]:
        """Every contradiction found, each listed once."""
        found: list[Evidence] = []
        for item in self.evidence:
            if item.is_contradiction and item not in found:
                found.append(item)
        return tuple(found)

    def explain(self) -> str:
        """Return a plain-language account of the proposal and its reasons.

        The text names events by kind and date and people by their inventory
        label; it never repeats a free-text description.
        """
        return _explain(self)


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------


def classify(
    events: Iterable[LifeEvent],
    *,
    onset: dt.date,
    inventory: InterpersonalInventory | None = None,
    rules: RuleSet = WEISSMAN_RULES,
) -> FocusAssessment:
    """Propose a focus area from life events and the interpersonal inventory.

    Deterministic: the result does not depend on the order of ``events`` or
    of the inventory's relationships.

    >>> onset = dt.date(2024, 6, 1)
    >>> events = [LifeEvent(LifeEventKind.DEATH, dt.date(2024, 3, 2), "P1")]
    >>> assessment = classify(events, onset=onset)
    >>> assessment.primary
    <FocusArea.GRIEF: 'grief'>
    >>> print(assessment.explain())
    Proposed focus: grief (score 1.00) under the weissman rules.
    Reasons:
    - The death of P1 on 2024-03-02 (3 months before onset) is a trigger for grief (+1.00).
    >>> classify([], onset=onset).primary is None
    True

    Args:
        events: the dated life events recorded for the episode.
        onset: the day symptoms of the current episode began.
        inventory: the interpersonal inventory, if one was gathered.
        rules: the rule set to apply; :data:`WEISSMAN_RULES` by default.

    Returns:
        The assessment, with every candidate area, its score and evidence.

    Raises:
        ValidationError: an argument has the wrong type (``wrong_type`` at
            ``$.events[i]``, ``$.onset``, ``$.inventory`` or ``$.rules``).
    """
    ordered = _check_arguments(events, onset, inventory, rules)
    found: dict[FocusArea, list[Evidence]] = {area: [] for area in rules.areas}
    notes: list[Evidence] = []
    people = {r.label: r for r in inventory.relationships} if inventory is not None else {}

    for event in ordered:
        _event_evidence(event, onset, inventory, people, rules, found, notes)
    if inventory is not None:
        for label in sorted(people):
            _relationship_evidence(people[label], ordered, onset, rules, found)
        _isolation_evidence(inventory, rules, found, notes)

    candidates = []
    for area in rules.areas:
        evidence = found[area]
        if not evidence:
            continue
        score = math.fsum(e.weight for e in evidence)
        stage = _dispute_stage(evidence, people) if area is FocusArea.ROLE_DISPUTE else None
        candidates.append(Candidate(area=area, score=score, evidence=tuple(evidence), stage=stage))
    order = {area: index for index, area in enumerate(rules.areas)}
    ranked = tuple(sorted(candidates, key=lambda c: (-c.score, order[c.area])))

    primary: Candidate | None = None
    if ranked and ranked[0].score > 0 and ranked[0].score >= rules.min_score:
        primary = ranked[0]
    secondary = _secondary(primary, ranked, rules)
    return FocusAssessment(
        primary=primary.area if primary is not None else None,
        secondary=secondary.area if secondary is not None else None,
        ranked=ranked,
        notes=tuple(notes),
        onset=onset,
        rules=rules,
        events=ordered,
    )


def compare_focus(
    recorded: Sequence[FocusArea], assessment: FocusAssessment
) -> FocusDisagreement | None:
    """Compare the focus recorded for a course with an assessment.

    Returns ``None`` when they agree: the proposed primary area (if any) is
    recorded, and every recorded area has evidence that carries weight under
    the assessment's rules.  Otherwise returns what differs.

    >>> onset = dt.date(2024, 6, 1)
    >>> a = classify([LifeEvent(LifeEventKind.RETIREMENT, dt.date(2024, 2, 1))], onset=onset)
    >>> compare_focus([FocusArea.ROLE_TRANSITION], a) is None
    True
    >>> print(compare_focus([FocusArea.GRIEF], a).message)
    The evidence points to role transition, which is not recorded. No evidence supports \
the recorded grief.

    Raises:
        ValidationError: ``recorded`` holds something other than focus areas
            (``wrong_type`` at ``$.recorded[i]``).
    """
    if isinstance(recorded, (str, bytes, FocusArea)) or not isinstance(recorded, Iterable):
        raise ValidationError.single(
            "$.recorded", "wrong_type", "Expected a list of focus areas.", recorded
        )
    areas = tuple(recorded)
    issues = [
        Issue(f"$.recorded[{index}]", "wrong_type", "Expected a focus area.", area)
        for index, area in enumerate(areas)
        if not isinstance(area, FocusArea)
    ]
    if not isinstance(assessment, FocusAssessment):
        message = "Expected a focus assessment."
        issues.append(Issue("$.assessment", "wrong_type", message, assessment))
    if issues:
        raise ValidationError(issues)
    missing = tuple(a for a in assessment.areas[:1] if a not in areas)
    unsupported = []
    for area in dict.fromkeys(areas):
        candidate = assessment.candidate(area)
        if candidate is None or candidate.score <= 0:
            unsupported.append(area)
    if not missing and not unsupported:
        return None
    return FocusDisagreement(
        recorded=areas,
        proposed=assessment.primary,
        missing=missing,
        unsupported=tuple(unsupported),
    )


def _check_arguments(events: Any, onset: Any, inventory: Any, rules: Any) -> tuple[LifeEvent, ...]:
    issues: list[Issue] = []
    items: tuple[Any, ...] = ()
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        issues.append(Issue("$.events", "wrong_type", "Expected a list of life events.", events))
    else:
        items = tuple(events)
        issues.extend(
            Issue(f"$.events[{index}]", "wrong_type", "Expected a life event.", item)
            for index, item in enumerate(items)
            if not isinstance(item, LifeEvent)
        )
    if type(onset) is not dt.date:
        issues.append(Issue("$.onset", "wrong_type", "Expected a date (YYYY-MM-DD).", onset))
    if inventory is not None and not isinstance(inventory, InterpersonalInventory):
        message = "Expected an interpersonal inventory."
        issues.append(Issue("$.inventory", "wrong_type", message, inventory))
    if not isinstance(rules, RuleSet):
        issues.append(Issue("$.rules", "wrong_type", "Expected a rule set.", rules))
    if issues:
        raise ValidationError(issues)
    return tuple(sorted(items, key=lambda event: event.sort_key))


def _event_evidence(
    event: LifeEvent,
    onset: dt.date,
    inventory: InterpersonalInventory | None,
    people: dict[str, Relationship],
    rules: RuleSet,
    found: dict[FocusArea, list[Evidence]],
    notes: list[Evidence],
) -> None:
    """Add the evidence one event gives (and the contradictions it shows)."""
    what = _event_phrase(event, onset)
    person = event.person
    relationship = people.get(person) if person is not None else None
    triggers = tuple(t for t in rules.triggers_for(event.kind) if rules.recognises(t.area))
    home = triggers[0].area if triggers else None

    if person is not None and inventory is not None and relationship is None:
        _add(
            found,
            notes,
            Evidence(
                EvidenceRule.UNKNOWN_PERSON,
                home,
                0.0,
                event=event,
                person=person,
                message=f"{_cap(what)} names {person}, who is not in the interpersonal inventory.",
            ),
        )
    is_death = event.kind is LifeEventKind.DEATH
    grief = FocusArea.GRIEF if rules.recognises(FocusArea.GRIEF) else None
    if is_death and relationship is not None and not relationship.deceased:
        _add(
            found,
            notes,
            Evidence(
                EvidenceRule.DEATH_OF_LIVING_PERSON,
                grief,
                0.0,
                event=event,
                person=person,
                message=f"{_cap(what)} is recorded, but the inventory lists {person} as living.",
            ),
        )
    if (
        is_death
        and relationship is not None
        and relationship.died_on is not None
        and relationship.died_on != event.date
    ):
        _add(
            found,
            notes,
            Evidence(
                EvidenceRule.DEATH_DATE_MISMATCH,
                grief,
                0.0,
                event=event,
                person=person,
                message=(
                    f"The inventory gives {relationship.died_on.isoformat()} as the date of "
                    f"death of {person}, but the event is dated {event.date.isoformat()}."
                ),
            ),
        )
    if not triggers:
        notes.append(
            Evidence(
                EvidenceRule.NO_TRIGGER,
                None,
                0.0,
                event=event,
                person=person,
                message=f"{_cap(what)} is not a trigger for any focus area under these rules.",
            )
        )
        return
    timing = rules.timing_weight(event.date, onset)
    for trigger in triggers:
        area = trigger.area
        if area is FocusArea.GRIEF and rules.grief_requires_death and not is_death:
            found[area].append(
                Evidence(
                    EvidenceRule.GRIEF_NEEDS_DEATH,
                    area,
                    0.0,
                    timing,
                    event,
                    person,
                    f"{_cap(what)} is a loss but not a death; these rules count only a death "
                    "towards grief.",
                )
            )
        elif timing == 0:
            found[area].append(
                Evidence(
                    EvidenceRule.OUTSIDE_WINDOW,
                    area,
                    0.0,
                    timing,
                    event,
                    person,
                    f"{_cap(what)} lies outside the timing window, so it does not count "
                    f"towards {area.label}.",
                )
            )
        elif area is FocusArea.ROLE_DISPUTE and relationship is not None and relationship.deceased:
            found[area].append(
                Evidence(
                    EvidenceRule.DEATH_WITH_DISPUTE,
                    area,
                    0.0,
                    timing,
                    event,
                    person,
                    f"{_cap(what)} is recorded, but the inventory lists {person} as deceased; "
                    "a role dispute needs a living person.",
                )
            )
        else:
            weight = trigger.weight * timing
            role = (
                "a loss other than a death, counted towards grief and loss"
                if area is FocusArea.GRIEF and not is_death
                else f"a trigger for {area.label}"
            )
            found[area].append(
                Evidence(
                    EvidenceRule.TRIGGER_EVENT,
                    area,
                    weight,
                    timing,
                    event,
                    person,
                    f"{_cap(what)} is {role}{_timing_note(timing)} (+{weight:.2f}).",
                )
            )


def _relationship_evidence(
    relationship: Relationship,
    events: tuple[LifeEvent, ...],
    onset: dt.date,
    rules: RuleSet,
    found: dict[FocusArea, list[Evidence]],
) -> None:
    """Add the evidence one relationship of the inventory gives (§5)."""
    label = relationship.label
    mine = [e for e in events if e.person == label]
    deaths = [e for e in mine if e.kind is LifeEventKind.DEATH]
    # A death event that counts stands for the inventory's record of the same
    # death; one outside the window does not hide a dated record inside it.
    counted_deaths = [e for e in deaths if rules.timing_weight(e.date, onset) > 0]
    conflicts = [e for e in mine if e.kind is LifeEventKind.CONFLICT]
    unresolved = relationship.in_dispute or relationship.has_unmet_expectations
    grief = FocusArea.GRIEF
    dispute = FocusArea.ROLE_DISPUTE

    if relationship.deceased:
        if rules.recognises(grief) and not counted_deaths:
            if relationship.died_on is not None:
                timing = rules.timing_weight(relationship.died_on, onset)
                when = _when(relationship.died_on, onset)
                if timing == 0 and deaths:
                    pass  # the death event already reports that it lies outside the window
                elif timing == 0:
                    found[grief].append(
                        Evidence(
                            EvidenceRule.OUTSIDE_WINDOW,
                            grief,
                            0.0,
                            timing,
                            person=label,
                            message=f"The inventory records the death of {label} {when}, "
                            "outside the timing window, so it does not count towards grief.",
                        )
                    )
                else:
                    weight = rules.deceased_weight * timing
                    found[grief].append(
                        Evidence(
                            EvidenceRule.DECEASED_IN_INVENTORY,
                            grief,
                            weight,
                            timing,
                            person=label,
                            message=f"The inventory records the death of {label} {when}"
                            f"{_timing_note(timing)} (+{weight:.2f}).",
                        )
                    )
            else:
                weight = rules.deceased_weight * rules.undated_weight
                found[grief].append(
                    Evidence(
                        EvidenceRule.DECEASED_IN_INVENTORY,
                        grief,
                        weight,
                        None,
                        person=label,
                        message=f"The inventory records {label} as deceased, with no date, so "
                        f"the timing cannot be judged (+{weight:.2f}).",
                    )
                )
        if unresolved:
            _add_death_with_dispute(found, rules, label)
        return

    if deaths and (unresolved or conflicts):
        _add_death_with_dispute(found, rules, label)
    if not rules.recognises(dispute):
        return
    stage = relationship.dispute_stage
    if relationship.in_dispute:
        stage_text = f", at the {stage.value} stage" if stage is not None else ""
        unmet = " with unmet expectations" if relationship.has_unmet_expectations else ""
        weight = rules.dispute_weight
        found[dispute].append(
            Evidence(
                EvidenceRule.DISPUTE_IN_INVENTORY,
                dispute,
                weight,
                person=label,
                message=f"The inventory marks the relationship with {label} as in dispute"
                f"{unmet}{stage_text} (+{weight:.2f}).",
            )
        )
    elif relationship.has_unmet_expectations:
        weight = rules.unmet_expectations_weight
        found[dispute].append(
            Evidence(
                EvidenceRule.UNMET_EXPECTATIONS,
                dispute,
                weight,
                person=label,
                message=f"The relationship with {label} has unmet expectations, though it is "
                f"not marked as in dispute (+{weight:.2f}).",
            )
        )


def _add_death_with_dispute(
    found: dict[FocusArea, list[Evidence]],
    rules: RuleSet,
    label: str,
) -> None:
    area = FocusArea.GRIEF if rules.recognises(FocusArea.GRIEF) else None
    item = Evidence(
        EvidenceRule.DEATH_WITH_DISPUTE,
        area,
        0.0,
        person=label,
        message=f"{label} has died, yet the record also shows an unresolved dispute or unmet "
        "expectations with them; an unresolved conflict can complicate mourning.",
    )
    if area is not None:
        found[area].append(item)
    elif rules.recognises(FocusArea.ROLE_DISPUTE):  # pragma: no cover - custom rules only
        found[FocusArea.ROLE_DISPUTE].append(item)


def _isolation_evidence(
    inventory: InterpersonalInventory,
    rules: RuleSet,
    found: dict[FocusArea, list[Evidence]],
    notes: list[Evidence],
) -> None:
    """Add the deficits evidence: signs of isolation, last resort (§2.2 rule 2, §5)."""
    deficits = FocusArea.INTERPERSONAL_DEFICITS
    if not inventory.relationships:
        notes.append(
            Evidence(
                EvidenceRule.EMPTY_INVENTORY,
                None,
                0.0,
                message="The inventory lists nobody; an empty inventory is not taken as "
                "evidence of isolation.",
            )
        )
        return
    signs = _isolation_signs(inventory, rules)
    if len(signs) < rules.deficits_min_signs:
        return
    if not rules.recognises(deficits):
        notes.append(
            Evidence(
                EvidenceRule.DEFICITS_NOT_RECOGNISED,
                None,
                0.0,
                message="The inventory shows signs of isolation ("
                + "; ".join(signs)
                + "); these rules do not treat interpersonal deficits as a focus, so read "
                "them as a complicating factor.",
            )
        )
        return
    # Any weighted evidence, or any trigger event inside the window, of another
    # area: a life event near onset rules deficits out (§2.2 rule 2).
    others = [
        e
        for area, items in found.items()
        if area is not deficits
        for e in items
        if e.weight > 0 or (e.timing is not None and e.timing > 0)
    ]
    set_aside = rules.deficits_last_resort and bool(others)
    weight = 0.0 if set_aside else rules.deficits_sign_weight
    for sign in signs:
        found[deficits].append(
            Evidence(
                EvidenceRule.ISOLATION_SIGN,
                deficits,
                weight,
                message=f"Sign of isolation: {sign} (+{weight:.2f}).",
            )
        )
    if set_aside:
        areas = sorted({e.area for e in others if e.area is not None}, key=rules.areas.index)
        found[deficits].append(
            Evidence(
                EvidenceRule.DEFICITS_LAST_RESORT,
                deficits,
                0.0,
                message="Interpersonal deficits is a last resort and is set aside, because "
                f"there is evidence of {_join(a.label for a in areas)}.",
            )
        )


def _isolation_signs(inventory: InterpersonalInventory, rules: RuleSet) -> list[str]:
    """Return a phrase for each sign of isolation the inventory shows."""
    living = [r for r in inventory.relationships if not r.deceased]
    signs = []
    if len(living) <= rules.few_relationships:
        count = len(living)
        signs.append(f"few people ({count} living {'person' if count == 1 else 'people'})")
    if not any(r.closeness <= rules.close_ring for r in living):
        signs.append(f"nobody on closeness ring {rules.close_ring} or nearer")
    if not any(r.confiding is True for r in living) and (
        not living or any(r.confiding is False for r in living)
    ):
        signs.append("no confiding relationship")
    unmet = sum(1 for r in living if r.has_unmet_expectations)
    if living and unmet and unmet / len(living) >= rules.unsatisfying_share:
        signs.append(f"unmet expectations in {unmet} of {len(living)} relationships")
    return signs


def _dispute_stage(
    evidence: list[Evidence], people: dict[str, Relationship]
) -> DisputeStage | None:
    """The stage of the closest disputed relationship with a recorded stage."""
    staged = [
        people[e.person]
        for e in evidence
        if e.rule is EvidenceRule.DISPUTE_IN_INVENTORY
        and e.person is not None
        and people[e.person].dispute_stage is not None
    ]
    if not staged:
        return None
    closest = min(staged, key=lambda r: (r.closeness, r.label))
    return closest.dispute_stage


def _secondary(
    primary: Candidate | None, ranked: tuple[Candidate, ...], rules: RuleSet
) -> Candidate | None:
    """A second area linked to the first by a person or event (§2.2 rule 5, §2.4)."""
    if primary is None:
        return None
    for candidate in ranked:
        if candidate is primary or candidate.score <= 0:
            continue
        if candidate.score < rules.min_score:
            continue
        if candidate.score < rules.secondary_ratio * primary.score:
            continue
        if not any(
            primary.area in pair and candidate.area in pair for pair in rules.secondary_pairs
        ):
            continue
        if _linked(primary, candidate):
            return candidate
    return None


def _linked(first: Candidate, second: Candidate) -> bool:
    """Whether two candidates rest on the same person or the same event."""
    if set(first.people) & set(second.people):
        return True
    return bool(set(first.events) & set(second.events))


def _add(found: dict[FocusArea, list[Evidence]], notes: list[Evidence], item: Evidence) -> None:
    if item.area is not None:
        found[item.area].append(item)
    else:
        notes.append(item)


# --------------------------------------------------------------------------
# Wording
# --------------------------------------------------------------------------

_KIND_PHRASES = {
    _K.DEATH: "the death",
    _K.SEPARATION: "a separation",
    _K.DIVORCE: "a divorce",
    _K.MARRIAGE: "a marriage",
    _K.NEW_RELATIONSHIP: "a new relationship",
    _K.BIRTH_OF_CHILD: "the birth of a child",
    _K.CHILD_LEAVING_HOME: "a child leaving home",
    _K.NEW_JOB: "a new job",
    _K.JOB_LOSS: "a job loss",
    _K.RETIREMENT: "retirement",
    _K.RELOCATION: "a move",
    _K.SCHOOL_CHANGE: "a change of school",
    _K.ILLNESS_DIAGNOSIS: "a new diagnosis of illness",
    _K.CONFLICT: "a conflict",
    _K.OTHER: "an event of another kind",
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _when(day: dt.date, onset: dt.date) -> str:
    """E.g. ``on 2024-03-02 (3 months before onset)``."""
    days = (day - onset).days
    if days == 0:
        return f"on {day.isoformat()} (the day of onset)"
    side = "before" if days < 0 else "after"
    span = abs(days)
    if span < 60:
        amount = f"{span} day{'s' if span != 1 else ''}"
    elif span < 730:
        months = round(span / 30.44)
        amount = f"{months} months"
    else:
        years = round(span / 365.25)
        amount = f"{years} years"
    return f"on {day.isoformat()} ({amount} {side} onset)"


def _event_phrase(event: LifeEvent, onset: dt.date) -> str:
    kind = _KIND_PHRASES[event.kind]
    who = ""
    if event.person is not None:
        who = f" of {event.person}" if event.kind is _K.DEATH else f" involving {event.person}"
    elif event.kind is _K.DEATH:
        who = " of someone"
    return f"{kind}{who} {_when(event.date, onset)}"


def _timing_note(timing: float) -> str:
    if timing >= 1:
        return ""
    return f", counted at {timing:.2f} because it lies beyond the full window"


def _explain(assessment: FocusAssessment) -> str:
    rules = assessment.rules
    lines: list[str] = []
    weighted = [c for c in assessment.ranked if c.score > 0]
    if assessment.primary is None:
        if not assessment.evidence:
            lines.append(
                "No focus area is proposed: there is no evidence to choose one from (no life "
                "events and no findings in an inventory)."
            )
        elif not weighted:
            lines.append(
                "No focus area is proposed: nothing found counts as evidence for a focus area "
                f"under the {rules.name} rules."
            )
        else:
            lines.append(
                "No focus area is proposed: the strongest evidence "
                f"({weighted[0].area.label}, score {weighted[0].score:.2f}) is below "
                f"the {rules.min_score:.2f} the {rules.name} rules require."
            )
    else:
        top = assessment.candidate(assessment.primary)
        assert top is not None  # the primary is always a candidate
        lines.append(
            f"Proposed focus: {top.area.label} (score {top.score:.2f}) under the "
            f"{rules.name} rules."
        )
        if top.stage is not None:
            lines.append(f"Dispute stage recorded in the inventory: {top.stage.value}.")
        lines.append("Reasons:")
        lines.extend(f"- {e.message}" for e in top.evidence if not e.is_contradiction)
        tied = [c for c in weighted if c is not top and c.score == top.score]
        if tied:
            lines.append(
                f"{_cap(_join(c.area.label for c in tied))} scored the same; "
                f"{top.area.label} comes first in the rule set's order of areas."
            )
    if assessment.secondary is not None:
        second = assessment.candidate(assessment.secondary)
        assert second is not None
        shared = sorted(set(second.people) & set(_primary_people(assessment)))
        link = f"the same person ({', '.join(shared)})" if shared else "the same event"
        lines.append(
            f"Linked second focus: {second.area.label} (score {second.score:.2f}), tied to {link}."
        )
        if second.stage is not None:
            lines.append(f"Dispute stage recorded in the inventory: {second.stage.value}.")
        lines.extend(f"- {e.message}" for e in second.evidence if not e.is_contradiction)
    shown = set(assessment.areas)
    others = [c for c in assessment.ranked if c.area not in shown]
    if others:
        lines.append("Also considered:")
        for candidate in others:
            lines.append(f"- {candidate.area.label} (score {candidate.score:.2f}):")
            lines.extend(f"  - {e.message}" for e in candidate.evidence if not e.is_contradiction)
    contradictions = assessment.contradictions
    if contradictions:
        lines.append("Points to check:")
        lines.extend(f"- {e.message}" for e in contradictions)
    other_notes = [n for n in assessment.notes if not n.is_contradiction]
    if other_notes:
        lines.append("Notes:")
        lines.extend(f"- {n.message}" for n in other_notes)
    return "\n".join(lines)


def _primary_people(assessment: FocusAssessment) -> tuple[str, ...]:
    """Labels behind the primary area's weighted evidence."""
    if assessment.primary is None:
        return ()
    candidate = assessment.candidate(assessment.primary)
    return candidate.people if candidate is not None else ()
