"""Tests of focus-area classification (domain reference §2.1-2.4, §5, §9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from _helpers import issues_of
from iptkit import (
    IPSRT_RULES,
    STUART_RULES,
    WEISSMAN_RULES,
    Candidate,
    ContactFrequency,
    DisputeStage,
    EvidenceRule,
    Expectation,
    ExpectationHolder,
    FocusArea,
    FocusAssessment,
    FocusDisagreement,
    FocusPair,
    Format,
    Formulation,
    Frequency,
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    Relationship,
    RelationshipRole,
    RuleSet,
    SessionTerms,
    TreatmentContract,
    TreatmentCourse,
    TriggerRule,
    check,
    classify,
    compare_focus,
)
from iptkit._focus import CLASSIC_FOCUS_AREAS
from iptkit._model import evolve
from iptkit.protocols import IPSRT, STANDARD, STUART
from iptkit.testing import inventories, life_events, rule_sets

K = LifeEventKind
A = FocusArea
R = RelationshipRole
ONSET = dt.date(2024, 6, 1)
RULE_SETS = {"weissman": WEISSMAN_RULES, "stuart": STUART_RULES}


def ago(days: int) -> dt.date:
    """The day ``days`` before onset (negative: after onset)."""
    return ONSET - dt.timedelta(days=days)


def ev(kind: LifeEventKind, days_before: int, person: str | None = None) -> LifeEvent:
    """A life event ``days_before`` onset."""
    return LifeEvent(kind, ago(days_before), person)


def rel(label: str, role: RelationshipRole, closeness: int, **kwargs: Any) -> Relationship:
    """A relationship of the inventory."""
    return Relationship(label=label, role=role, closeness=closeness, **kwargs)


def unmet(text: str = "Help at home") -> Expectation:
    """An expectation the patient holds that is not met."""
    return Expectation(held_by=ExpectationHolder.PATIENT, description=text, met=False)


def inv(*people: Relationship) -> InterpersonalInventory:
    """An inventory of ``people``."""
    return InterpersonalInventory(relationships=people)


def isolated() -> InterpersonalInventory:
    """Long-standing isolation: one distant acquaintance, nobody to confide in (§2.2, §5)."""
    return inv(rel("N1", R.NEIGHBOUR, 4, confiding=False, contact=ContactFrequency.RARELY))


def supportive() -> InterpersonalInventory:
    """A partner and a friend, both close and confiding; no dispute."""
    return inv(
        rel("P1", R.PARTNER, 1, confiding=True),
        rel("F1", R.FRIEND, 2, confiding=True),
        rel("M1", R.PARENT, 2, confiding=True),
    )


# --------------------------------------------------------------------------
# The vignette table
# --------------------------------------------------------------------------

Expected = tuple[FocusArea | None, FocusArea | None]


@attrs.frozen
class Vignette:
    """A case described after the manuals, with the expected proposal per rule set."""

    name: str
    source: str
    events: tuple[LifeEvent, ...]
    inventory: InterpersonalInventory | None
    weissman: Expected
    stuart: Expected
    stage: DisputeStage | None = None


def _v(
    name: str,
    source: str,
    events: list[LifeEvent],
    inventory: InterpersonalInventory | None,
    weissman: Expected,
    stuart: Expected | None = None,
    stage: DisputeStage | None = None,
) -> Vignette:
    return Vignette(
        name,
        source,
        tuple(events),
        inventory,
        weissman,
        weissman if stuart is None else stuart,
        stage,
    )


VIGNETTES = [
    _v(
        "spouse_died_three_months_before_onset",
        "§2.2 grief trigger; §5 deceased near onset",
        [ev(K.DEATH, 91, "P1")],
        inv(
            rel("P1", R.PARTNER, 1, deceased=True, died_on=ago(91)),
            rel("C1", R.CHILD, 2, confiding=True),
        ),
        (A.GRIEF, None),
    ),
    _v(
        "parent_died_in_inventory_only",
        "§5: the deceased appears in the inventory with a date",
        [],
        inv(rel("M1", R.PARENT, 1, deceased=True, died_on=ago(150)), rel("F1", R.FRIEND, 2)),
        (A.GRIEF, None),
    ),
    _v(
        "friend_died_just_after_onset",
        "§2.2 rule 3: onset or persistence; window runs one month past onset",
        [ev(K.DEATH, -20, "F1")],
        None,
        (A.GRIEF, None),
    ),
    _v(
        "divorce",
        "§2.2 rule 1 (Weissman: not a death, so a transition); §9 wider grief and loss",
        [ev(K.DIVORCE, 120, "X1")],
        inv(rel("X1", R.FORMER_PARTNER, 3), rel("S1", R.SIBLING, 2, confiding=True)),
        (A.ROLE_TRANSITION, None),
        (A.GRIEF, None),
    ),
    _v(
        "separation",
        "§2.2 rule 1; §9 scope of grief",
        [ev(K.SEPARATION, 60)],
        None,
        (A.ROLE_TRANSITION, None),
        (A.GRIEF, None),
    ),
    _v(
        "new_baby",
        "§2.2 transition trigger: birth of a child",
        [ev(K.BIRTH_OF_CHILD, 70)],
        supportive(),
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "retirement",
        "§2.2 transition trigger: retirement",
        [ev(K.RETIREMENT, 200)],
        None,
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "chronic_loneliness_no_events",
        "§2.1 deficits: social isolation, no life events; §2.1 Stuart has no such area",
        [],
        isolated(),
        (A.INTERPERSONAL_DEFICITS, None),
        (None, None),
    ),
    _v(
        "conflict_with_partner",
        "§2.2 dispute trigger; §5 unmet mutual expectations and conflict",
        [ev(K.CONFLICT, 30, "P1")],
        inv(
            rel(
                "P1",
                R.PARTNER,
                1,
                in_dispute=True,
                dispute_stage=DisputeStage.RENEGOTIATION,
                expectations=(unmet(),),
            ),
        ),
        (A.ROLE_DISPUTE, None),
        stage=DisputeStage.RENEGOTIATION,
    ),
    _v(
        "move_strained_marriage",
        "§2.2 rule 5: a move strains a marriage; dispute and transition linked by the partner",
        [ev(K.RELOCATION, 150, "P1"), ev(K.CONFLICT, 60, "P1")],
        inv(
            rel("P1", R.PARTNER, 1, in_dispute=True, dispute_stage=DisputeStage.RENEGOTIATION),
            rel("F1", R.FRIEND, 3),
        ),
        (A.ROLE_DISPUTE, A.ROLE_TRANSITION),
        stage=DisputeStage.RENEGOTIATION,
    ),
    _v(
        "work_conflict_led_to_new_job",
        "§2.2 rule 5: a conflict at work leads to a job change",
        [ev(K.CONFLICT, 240, "B1"), ev(K.NEW_JOB, 40, "B1")],
        inv(
            rel("B1", R.MANAGER, 4, in_dispute=True, dispute_stage=DisputeStage.DISSOLUTION),
            rel("P1", R.PARTNER, 1, confiding=True),
        ),
        (A.ROLE_DISPUTE, A.ROLE_TRANSITION),
        stage=DisputeStage.DISSOLUTION,
    ),
    _v(
        "death_ten_years_ago_nothing_recent",
        "§2.2 rule 3: timing; an old death alone is outside the window",
        [ev(K.DEATH, 3652, "M1")],
        None,
        (None, None),
    ),
    _v(
        "death_ten_years_ago_and_isolated",
        "§2.2 rules 2-3: no recent event, isolation in the inventory",
        [ev(K.DEATH, 3652, "M1")],
        inv(
            rel("M1", R.PARENT, 1, deceased=True, died_on=ago(3652)),
            rel("N1", R.NEIGHBOUR, 5, confiding=False),
        ),
        (A.INTERPERSONAL_DEFICITS, None),
        (None, None),
    ),
    _v(
        "job_loss",
        "§2.2 transition trigger; §9 job loss as a loss under the wider reading",
        [ev(K.JOB_LOSS, 100)],
        None,
        (A.ROLE_TRANSITION, None),
        (A.GRIEF, None),
    ),
    _v(
        "child_leaving_home",
        "§2.2 transition trigger: a child leaving home",
        [ev(K.CHILD_LEAVING_HOME, 180, "C1")],
        inv(rel("C1", R.CHILD, 2, confiding=True), rel("P1", R.PARTNER, 1, confiding=True)),
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "new_diagnosis",
        "§2.2 transition trigger: a new serious diagnosis; §2.2 rule 1 loss of health",
        [ev(K.ILLNESS_DIAGNOSIS, 45)],
        None,
        (A.ROLE_TRANSITION, None),
        (A.GRIEF, None),
    ),
    _v(
        "adolescent_school_change",
        "§2.2 transition trigger (IPT-A: change of school)",
        [ev(K.SCHOOL_CHANGE, 90)],
        inv(rel("M1", R.PARENT, 1, confiding=True), rel("T1", R.CLASSMATE, 3)),
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "dispute_at_impasse_with_parent",
        "§2.3 impasse; §5 dispute from the inventory alone",
        [],
        inv(
            rel(
                "M1",
                R.PARENT,
                1,
                in_dispute=True,
                dispute_stage=DisputeStage.IMPASSE,
                expectations=(unmet(),),
            ),
            rel("F1", R.FRIEND, 2, confiding=True),
        ),
        (A.ROLE_DISPUTE, None),
        stage=DisputeStage.IMPASSE,
    ),
    _v(
        "hidden_dispute_unmet_expectations",
        "§2.2 open or hidden conflict; §5 unmet expectations mark a dispute",
        [],
        inv(rel("P1", R.PARTNER, 1, expectations=(unmet(), unmet("Time together")))),
        (A.ROLE_DISPUTE, None),
    ),
    _v(
        "marriage",
        "§2.2 transition trigger: marriage",
        [ev(K.MARRIAGE, 200, "P1")],
        inv(rel("P1", R.PARTNER, 1, confiding=True)),
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "new_job",
        "§2.2 transition trigger: new job",
        [ev(K.NEW_JOB, 25)],
        None,
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "isolated_but_recently_retired",
        "§2.2 rule 2: withdrawal after a life event is not a deficit",
        [ev(K.RETIREMENT, 60)],
        isolated(),
        (A.ROLE_TRANSITION, None),
    ),
    _v(
        "job_loss_three_years_ago",
        "§2.2 rule 3: an event long before onset does not count",
        [ev(K.JOB_LOSS, 3 * 365)],
        None,
        (None, None),
    ),
    _v(
        "friend_died_eighteen_months_before",
        "§2.2 rule 3: weight fades beyond the window (half weight here)",
        [ev(K.DEATH, 365 + 182, "F1")],
        None,
        (A.GRIEF, None),
    ),
    _v(
        "nothing_at_all",
        "§2.2 rule 2: deficits is never guessed from an empty input",
        [],
        None,
        (None, None),
    ),
    _v(
        "empty_inventory",
        "§2.2 rule 2: an inventory listing nobody is not evidence of isolation",
        [],
        inv(),
        (None, None),
    ),
    _v(
        "only_an_unmapped_event",
        "§2.2: an event no rule maps is not evidence",
        [ev(K.OTHER, 30)],
        None,
        (None, None),
    ),
    _v(
        "death_with_unresolved_dispute",
        "§2.2 grief; §5 an unresolved conflict with the deceased is reported, not hidden",
        [ev(K.DEATH, 80, "F1")],
        inv(
            rel("F1", R.PARENT, 1, deceased=True, died_on=ago(80), in_dispute=True),
            rel("S1", R.SIBLING, 2, confiding=True),
        ),
        (A.GRIEF, None),
    ),
    _v(
        "new_baby_and_unrelated_dispute",
        "§2.4: a second focus only when clearly linked",
        [ev(K.BIRTH_OF_CHILD, 90), ev(K.CONFLICT, 20, "M1")],
        inv(rel("M1", R.PARENT, 2, in_dispute=True), rel("P1", R.PARTNER, 1, confiding=True)),
        (A.ROLE_DISPUTE, None),
    ),
    _v(
        "isolated_with_a_single_sign",
        "§2.2 rule 2: one weak sign is not enough for deficits",
        [],
        inv(rel("F1", R.FRIEND, 1)),
        (None, None),
    ),
]


@pytest.mark.parametrize("rule_name", sorted(RULE_SETS))
@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette(vignette: Vignette, rule_name: str) -> None:
    """Each vignette gets the primary and secondary area expected under each rule set."""
    rules = RULE_SETS[rule_name]
    result = classify(vignette.events, onset=ONSET, inventory=vignette.inventory, rules=rules)
    expected = vignette.weissman if rule_name == "weissman" else vignette.stuart
    assert (result.primary, result.secondary) == expected, result.explain()
    if vignette.stage is not None:
        assert result.stage is vignette.stage


def test_vignette_table_is_large_and_covers_each_area() -> None:
    """The table has at least 25 cases and each area and 'no proposal' occurs."""
    assert len(VIGNETTES) >= 25
    primaries = {v.weissman[0] for v in VIGNETTES} | {v.stuart[0] for v in VIGNETTES}
    assert primaries == {*CLASSIC_FOCUS_AREAS, None}


#: (name, events, inventory, primary under IPSRT_RULES): IPSRT keeps Weissman's four areas
#: and adds grief for the lost healthy self (§2.1); reading a new diagnosis as that loss is
#: the library's convention [C].
IPSRT_VIGNETTES = [
    pytest.param([ev(K.ILLNESS_DIAGNOSIS, 60)], None, A.LOSS_OF_HEALTHY_SELF, id="diagnosis"),
    pytest.param([ev(K.DEATH, 60, "P1")], None, A.GRIEF, id="death"),
    pytest.param([ev(K.DIVORCE, 60)], None, A.ROLE_TRANSITION, id="divorce"),
    pytest.param([ev(K.CONFLICT, 60, "P1")], None, A.ROLE_DISPUTE, id="conflict"),
    pytest.param([], "isolated", A.INTERPERSONAL_DEFICITS, id="isolation"),
    pytest.param(
        [ev(K.ILLNESS_DIAGNOSIS, 60)], "isolated", A.LOSS_OF_HEALTHY_SELF, id="diagnosis+isolation"
    ),
    pytest.param([ev(K.ILLNESS_DIAGNOSIS, 2000)], None, None, id="old diagnosis"),
]


@pytest.mark.parametrize(("events", "inventory", "primary"), IPSRT_VIGNETTES)
def test_ipsrt_vignette(
    events: list[LifeEvent], inventory: str | None, primary: FocusArea | None
) -> None:
    """IPSRT's rules: Weissman's four areas plus the loss of the healthy self (§2.1)."""
    people = isolated() if inventory == "isolated" else None
    result = classify(events, onset=ONSET, inventory=people, rules=IPSRT_RULES)
    assert result.primary is primary, result.explain()


def test_ipsrt_rules_are_weissmans_plus_the_fifth_area() -> None:
    """IPSRT_RULES: Weissman's areas then the loss of the healthy self; grief needs a death."""
    assert IPSRT_RULES.areas == (*WEISSMAN_RULES.areas, A.LOSS_OF_HEALTHY_SELF)
    assert IPSRT_RULES.grief_requires_death
    assert IPSRT_RULES.deficits_last_resort
    fifth = [(t.kind, t.weight) for t in IPSRT_RULES.triggers if t.area is A.LOSS_OF_HEALTHY_SELF]
    assert fifth == [(K.ILLNESS_DIAGNOSIS, 1.0)]
    assert len({v.name for v in VIGNETTES}) == len(VIGNETTES)


# --------------------------------------------------------------------------
# Rule sets
# --------------------------------------------------------------------------


class TestRuleSet:
    """The rule set: data, invariants and the timing window."""

    def test_weissman_has_four_areas_and_grief_needs_a_death(self) -> None:
        """Weissman: four areas (§2.1), grief only for a death (§2.2 rule 1)."""
        assert WEISSMAN_RULES.areas == CLASSIC_FOCUS_AREAS
        assert WEISSMAN_RULES.grief_requires_death
        assert WEISSMAN_RULES.deficits_last_resort
        grief_kinds = {t.kind for t in WEISSMAN_RULES.triggers if t.area is A.GRIEF}
        assert grief_kinds == {K.DEATH}

    def test_weissman_maps_every_transition_trigger_of_the_reference(self) -> None:
        """Every §2.2 transition trigger maps to role transition under Weissman."""
        kinds = {t.kind for t in WEISSMAN_RULES.triggers if t.area is A.ROLE_TRANSITION}
        assert kinds == {
            K.MARRIAGE,
            K.SEPARATION,
            K.DIVORCE,
            K.NEW_JOB,
            K.JOB_LOSS,
            K.RETIREMENT,
            K.RELOCATION,
            K.BIRTH_OF_CHILD,
            K.CHILD_LEAVING_HOME,
            K.ILLNESS_DIAGNOSIS,
            K.NEW_RELATIONSHIP,
            K.SCHOOL_CHANGE,
        }

    def test_stuart_has_three_areas_and_wider_loss(self) -> None:
        """Stuart & Robertson: no deficits area; wider losses count as grief and loss."""
        assert A.INTERPERSONAL_DEFICITS not in STUART_RULES.areas
        assert len(STUART_RULES.areas) == 3
        assert not STUART_RULES.grief_requires_death
        grief_kinds = {t.kind for t in STUART_RULES.triggers if t.area is A.GRIEF}
        assert grief_kinds == {K.DEATH, K.SEPARATION, K.DIVORCE, K.JOB_LOSS, K.ILLNESS_DIAGNOSIS}

    def test_other_is_not_a_trigger(self) -> None:
        """No built-in maps an 'other' event to an area."""
        assert WEISSMAN_RULES.triggers_for(K.OTHER) == ()
        assert STUART_RULES.triggers_for(K.OTHER) == ()

    @pytest.mark.parametrize(
        ("days_before", "weight"),
        [
            (0, 1.0),
            (365, 1.0),
            (-31, 1.0),
            (365 + 73, 0.8),
            (365 + 365, 0.0),
            (3652, 0.0),
            (-(31 + 61), 0.0),
        ],
    )
    def test_default_window(self, days_before: int, weight: float) -> None:
        """Full weight from 12 months before to 1 month after onset, fading beyond (§2.2 rule 3)."""
        assert WEISSMAN_RULES.timing_weight(ago(days_before), ONSET) == pytest.approx(weight)

    def test_weight_never_rises_with_distance(self) -> None:
        """Further from onset never weighs more."""
        weights = [WEISSMAN_RULES.timing_weight(ago(d), ONSET) for d in range(0, 800, 7)]
        assert weights == sorted(weights, reverse=True)

    def test_zero_fade_cuts_off_at_the_window(self) -> None:
        """With no fade an event just outside the window counts for nothing."""
        sharp = evolve(WEISSMAN_RULES, name="sharp", fade_before_days=0)
        assert sharp.timing_weight(ago(365), ONSET) == 1.0
        assert sharp.timing_weight(ago(366), ONSET) == 0.0

    def test_evolve_checks_the_new_values(self) -> None:
        """evolve re-checks fields: a negative window is out of range."""
        assert issues_of(lambda: evolve(WEISSMAN_RULES, full_before_days=-1)) == [
            ("$.full_before_days", "out_of_range")
        ]

    def test_trigger_for_unrecognised_area_refused(self) -> None:
        """A trigger naming an area the rule set lacks is refused at its path."""
        assert issues_of(
            lambda: evolve(
                STUART_RULES,
                triggers=(
                    *STUART_RULES.triggers,
                    TriggerRule(kind=K.OTHER, area=A.INTERPERSONAL_DEFICITS),
                ),
            )
        ) == [(f"$.triggers[{len(STUART_RULES.triggers)}].area", "area_not_recognised")]

    def test_duplicate_area_and_trigger_refused(self) -> None:
        """Listing an area twice, or a kind-area row twice, is a duplicate value."""
        row = TriggerRule(kind=K.DEATH, area=A.GRIEF)
        assert issues_of(
            lambda: RuleSet(name="x", areas=(A.GRIEF, A.GRIEF), triggers=(row, row))
        ) == [("$.areas", "duplicate_value"), ("$.triggers[1]", "duplicate_value")]

    def test_pair_of_unrecognised_area_refused(self) -> None:
        """A secondary pair must use areas the rule set recognises."""
        pair = FocusPair(first=A.ROLE_DISPUTE, second=A.ROLE_TRANSITION)
        assert issues_of(
            lambda: RuleSet(name="grief_only", areas=(A.GRIEF,), secondary_pairs=(pair,))
        ) == [
            ("$.secondary_pairs[0].first", "area_not_recognised"),
            ("$.secondary_pairs[0].second", "area_not_recognised"),
        ]

    def test_built_ins_pair_dispute_and_transition(self) -> None:
        """Both built-ins allow only a dispute with a transition as a second focus (§2.2 rule 5)."""
        for rules in (WEISSMAN_RULES, STUART_RULES):
            (pair,) = rules.secondary_pairs
            assert {pair.first, pair.second} == {A.ROLE_DISPUTE, A.ROLE_TRANSITION}

    def test_pair_needs_two_areas(self) -> None:
        """A pair of one area with itself is invalid."""
        assert issues_of(lambda: FocusPair(first=A.GRIEF, second=A.GRIEF)) == [
            ("$.second", "invalid_value")
        ]

    def test_duplicate_pair_refused(self) -> None:
        """The same pair in either order is listed only once."""
        pair = FocusPair(first=A.ROLE_TRANSITION, second=A.ROLE_DISPUTE)
        assert issues_of(
            lambda: evolve(WEISSMAN_RULES, secondary_pairs=(*WEISSMAN_RULES.secondary_pairs, pair))
        ) == [("$.secondary_pairs[1]", "duplicate_value")]

    def test_trigger_weight_bounds(self) -> None:
        """A negative trigger weight is out of range."""
        assert issues_of(lambda: TriggerRule(kind=K.DEATH, area=A.GRIEF, weight=-0.5)) == [
            ("$.weight", "out_of_range")
        ]


# --------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------


def _evidence(result: FocusAssessment, rule: EvidenceRule) -> list[Any]:
    return [e for e in result.evidence if e.rule is rule]


class TestClassify:
    """Behaviour of classify beyond the vignettes."""

    def test_arguments_checked(self) -> None:
        """Wrong argument types raise ValidationError with every path."""
        assert issues_of(
            lambda: classify(
                [ev(K.DEATH, 10), "death"],  # type: ignore[list-item]
                onset=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
                inventory={},  # type: ignore[arg-type]
                rules="weissman",  # type: ignore[arg-type]
            )
        ) == [
            ("$.events[1]", "wrong_type"),
            ("$.onset", "wrong_type"),
            ("$.inventory", "wrong_type"),
            ("$.rules", "wrong_type"),
        ]

    def test_events_must_be_a_collection(self) -> None:
        """A single event (not a list of them) is refused."""
        assert issues_of(
            lambda: classify(ev(K.DEATH, 10), onset=ONSET)  # type: ignore[arg-type]
        ) == [("$.events", "wrong_type")]

    def test_accepts_any_iterable(self) -> None:
        """A generator of events gives the same result as a list."""
        events = [ev(K.RETIREMENT, 30), ev(K.CONFLICT, 10)]
        assert classify(iter(events), onset=ONSET) == classify(events, onset=ONSET)

    def test_no_evidence_says_so(self) -> None:
        """With nothing at all there is no primary and the text says there is no evidence."""
        result = classify([], onset=ONSET)
        assert result.primary is None
        assert result.secondary is None
        assert result.ranked == ()
        assert result.areas == ()
        assert "no evidence" in result.explain()

    def test_evidence_is_structured(self) -> None:
        """Each candidate lists its evidence with rule, event, person, timing and weight."""
        event = ev(K.DEATH, 91, "P1")
        result = classify([event], onset=ONSET)
        (candidate,) = result.ranked
        assert isinstance(candidate, Candidate)
        assert candidate.area is A.GRIEF
        assert candidate.score == 1.0
        (item,) = candidate.evidence
        assert item.rule is EvidenceRule.TRIGGER_EVENT
        assert item.event == event
        assert item.person == "P1"
        assert item.timing == 1.0
        assert item.weight == 1.0
        assert candidate.people == ("P1",)
        assert candidate.events == (event,)

    def test_old_death_scores_nothing_but_is_reported(self) -> None:
        """A death ten years before onset is listed as outside the window, with no weight."""
        result = classify([ev(K.DEATH, 3652, "M1")], onset=ONSET)
        assert result.primary is None
        grief = result.candidate(A.GRIEF)
        assert grief is not None
        assert grief.score == 0.0
        assert [e.rule for e in grief.evidence] == [EvidenceRule.OUTSIDE_WINDOW]
        assert "outside the timing window" in result.explain()

    def test_recent_events_outweigh_old_ones(self) -> None:
        """An event near onset outweighs an older event of another area (§2.2 rule 3)."""
        result = classify([ev(K.DEATH, 600, "M1"), ev(K.RELOCATION, 60)], onset=ONSET)
        assert result.primary is A.ROLE_TRANSITION
        grief = result.candidate(A.GRIEF)
        assert grief is not None
        assert 0 < grief.score < 1

    def test_weak_evidence_is_not_proposed(self) -> None:
        """Evidence below the rule set's minimum score gives no primary, and says why."""
        result = classify([ev(K.RETIREMENT, 365 + 300)], onset=ONSET)
        assert result.primary is None
        assert result.ranked[0].score > 0
        assert "below" in result.explain()

    def test_dispute_needs_conflict_or_unmet_expectations(self) -> None:
        """A close partner with met expectations and no conflict gives no dispute (§5)."""
        met = Expectation(held_by=ExpectationHolder.OTHER, description="Calls", met=True)
        result = classify(
            [], onset=ONSET, inventory=inv(rel("P1", R.PARTNER, 1, expectations=(met,)))
        )
        assert result.candidate(A.ROLE_DISPUTE) is None

    def test_conflict_event_alone_is_a_dispute(self) -> None:
        """A conflict event with no inventory is evidence of a dispute, with no stage."""
        result = classify([ev(K.CONFLICT, 40, "P1")], onset=ONSET)
        assert result.primary is A.ROLE_DISPUTE
        assert result.stage is None

    def test_stage_of_closest_disputed_relationship(self) -> None:
        """With two disputes, the stage reported is that of the closer person."""
        result = classify(
            [],
            onset=ONSET,
            inventory=inv(
                rel("B1", R.MANAGER, 4, in_dispute=True, dispute_stage=DisputeStage.IMPASSE),
                rel("P1", R.PARTNER, 1, in_dispute=True, dispute_stage=DisputeStage.DISSOLUTION),
            ),
        )
        assert result.primary is A.ROLE_DISPUTE
        assert result.stage is DisputeStage.DISSOLUTION
        assert "dissolution" in result.explain()

    def test_no_dispute_with_a_deceased_person(self) -> None:
        """A conflict with someone recorded as deceased is a contradiction, not a dispute."""
        result = classify(
            [ev(K.CONFLICT, 30, "M1")],
            onset=ONSET,
            inventory=inv(rel("M1", R.PARENT, 1, deceased=True), rel("F1", R.FRIEND, 1)),
        )
        dispute = result.candidate(A.ROLE_DISPUTE)
        assert dispute is not None
        assert dispute.score == 0
        assert EvidenceRule.DEATH_WITH_DISPUTE in {e.rule for e in result.contradictions}

    def test_unknown_person_is_a_contradiction(self) -> None:
        """An event naming someone not in the inventory is reported, and still counts."""
        result = classify(
            [ev(K.DEATH, 50, "P9")], onset=ONSET, inventory=inv(rel("P1", R.PARTNER, 1))
        )
        assert result.primary is A.GRIEF
        (item,) = result.contradictions
        assert item.rule is EvidenceRule.UNKNOWN_PERSON
        assert item.is_contradiction
        assert item.person == "P9"
        assert "P9" in result.explain()

    def test_death_of_living_person_is_a_contradiction(self) -> None:
        """A death event for someone the inventory lists as living is reported."""
        result = classify(
            [ev(K.DEATH, 50, "P1")], onset=ONSET, inventory=inv(rel("P1", R.PARTNER, 1))
        )
        assert [e.rule for e in result.contradictions] == [EvidenceRule.DEATH_OF_LIVING_PERSON]

    def test_death_date_mismatch_is_a_contradiction(self) -> None:
        """Different dates of death in the event and the inventory are reported."""
        result = classify(
            [ev(K.DEATH, 50, "P1")],
            onset=ONSET,
            inventory=inv(rel("P1", R.PARTNER, 1, deceased=True, died_on=ago(80))),
        )
        assert [e.rule for e in result.contradictions] == [EvidenceRule.DEATH_DATE_MISMATCH]
        grief = result.candidate(A.GRIEF)
        assert grief is not None
        assert grief.score == 1.0  # counted once, from the event

    def test_death_with_dispute_is_reported_under_grief(self) -> None:
        """A death with an unresolved dispute with the same person stays grief, flagged."""
        result = classify(
            [ev(K.DEATH, 60, "P1")],
            onset=ONSET,
            inventory=inv(
                rel("P1", R.PARTNER, 1, deceased=True, in_dispute=True, expectations=(unmet(),))
            ),
        )
        assert result.primary is A.GRIEF
        assert [e.rule for e in result.contradictions] == [EvidenceRule.DEATH_WITH_DISPUTE]
        assert "Points to check" in result.explain()

    def test_undated_death_in_inventory_counts_half(self) -> None:
        """A deceased person without a date counts at the undated weight (timing unknown)."""
        result = classify([], onset=ONSET, inventory=inv(rel("M1", R.PARENT, 1, deceased=True)))
        grief = result.candidate(A.GRIEF)
        assert grief is not None
        assert grief.score == WEISSMAN_RULES.undated_weight
        assert grief.evidence[0].timing is None

    def test_grief_needs_death_rule_is_a_parameter(self) -> None:
        """Stuart rules told that grief needs a death treat a divorce as a transition."""
        strict = evolve(STUART_RULES, name="stuart_strict", grief_requires_death=True)
        result = classify([ev(K.DIVORCE, 60)], onset=ONSET, rules=strict)
        assert result.primary is A.ROLE_TRANSITION
        assert _evidence(result, EvidenceRule.GRIEF_NEEDS_DEATH)

    def test_deficits_set_aside_is_explained(self) -> None:
        """When other evidence exists, the deficits candidate shows why it was set aside."""
        result = classify([ev(K.CONFLICT, 10, "N1")], onset=ONSET, inventory=isolated())
        deficits = result.candidate(A.INTERPERSONAL_DEFICITS)
        assert deficits is not None
        assert deficits.score == 0
        assert deficits.evidence[-1].rule is EvidenceRule.DEFICITS_LAST_RESORT

    def test_deficits_compete_when_not_last_resort(self) -> None:
        """Without the last-resort rule, deficits keeps its score next to other evidence."""
        rules = evolve(WEISSMAN_RULES, name="open", deficits_last_resort=False)
        inventory = inv(rel("N1", R.NEIGHBOUR, 5, confiding=False, expectations=(unmet(),)))
        result = classify([ev(K.NEW_JOB, 365 + 300)], onset=ONSET, inventory=inventory, rules=rules)
        assert result.primary is A.INTERPERSONAL_DEFICITS
        assert result.ranked[0].score == 1.0

    def test_stuart_notes_isolation_without_proposing_it(self) -> None:
        """Under Stuart, signs of isolation are a note, never a candidate (§2.1)."""
        result = classify([], onset=ONSET, inventory=isolated(), rules=STUART_RULES)
        assert result.ranked == ()
        assert [n.rule for n in result.notes] == [EvidenceRule.DEFICITS_NOT_RECOGNISED]
        assert "complicating factor" in result.explain()

    def test_empty_inventory_noted(self) -> None:
        """An inventory listing nobody is noted, not read as isolation."""
        result = classify([], onset=ONSET, inventory=inv())
        assert [n.rule for n in result.notes] == [EvidenceRule.EMPTY_INVENTORY]
        assert result.primary is None

    def test_unmapped_event_noted(self) -> None:
        """An 'other' event is kept as a note saying no rule maps it."""
        result = classify([ev(K.OTHER, 5)], onset=ONSET)
        assert [n.rule for n in result.notes] == [EvidenceRule.NO_TRIGGER]
        assert "not a trigger" in result.explain()

    def test_secondary_needs_a_link(self) -> None:
        """Dispute and transition with different people give no second focus (§2.4)."""
        result = classify([ev(K.CONFLICT, 30, "P1"), ev(K.RELOCATION, 40, "P2")], onset=ONSET)
        assert result.primary is A.ROLE_DISPUTE
        assert result.secondary is None

    def test_secondary_needs_an_allowed_pair(self) -> None:
        """Grief and a linked transition stay a single focus under the default pairs."""
        result = classify([ev(K.DEATH, 30, "P1"), ev(K.RELOCATION, 40, "P1")], onset=ONSET)
        assert result.primary is A.GRIEF
        assert result.secondary is None

    def test_secondary_needs_enough_weight(self) -> None:
        """A linked but weak second area (below the ratio) is not proposed."""
        result = classify(
            [*(ev(K.CONFLICT, d, "P1") for d in (30, 20, 10)), ev(K.RELOCATION, 40, "P1")],
            onset=ONSET,
        )
        assert result.primary is A.ROLE_DISPUTE
        assert result.secondary is None

    def test_tie_broken_by_area_order_and_explained(self) -> None:
        """Equal scores go to the area listed first by the rule set, and the text says so."""
        result = classify([ev(K.CONFLICT, 30, "P1"), ev(K.RETIREMENT, 40)], onset=ONSET)
        assert result.primary is A.ROLE_DISPUTE
        assert "scored the same" in result.explain()
        reordered = evolve(
            WEISSMAN_RULES,
            name="transition_first",
            areas=(A.ROLE_TRANSITION, A.GRIEF, A.ROLE_DISPUTE, A.INTERPERSONAL_DEFICITS),
        )
        again = classify(
            [ev(K.CONFLICT, 30, "P1"), ev(K.RETIREMENT, 40)], onset=ONSET, rules=reordered
        )
        assert again.primary is A.ROLE_TRANSITION

    def test_explain_never_repeats_descriptions(self) -> None:
        """Free-text descriptions never appear in the explanation."""
        event = LifeEvent(K.DEATH, ago(20), "P1", "Secret words here")
        assert "Secret" not in classify([event], onset=ONSET).explain()

    def test_stuart_loss_is_worded_as_loss(self) -> None:
        """Under Stuart a divorce is explained as a loss counted towards grief and loss."""
        text = classify([ev(K.DIVORCE, 30)], onset=ONSET, rules=STUART_RULES).explain()
        assert "loss other than a death" in text

    def test_custom_rule_set(self) -> None:
        """A user-built rule set maps its own triggers."""
        rules = RuleSet(
            name="moves_only",
            areas=(A.ROLE_TRANSITION,),
            triggers=(TriggerRule(kind=K.RELOCATION, area=A.ROLE_TRANSITION, weight=2.0),),
        )
        result = classify([ev(K.RELOCATION, 30), ev(K.DEATH, 30)], onset=ONSET, rules=rules)
        assert result.primary is A.ROLE_TRANSITION
        assert result.ranked[0].score == 2.0
        assert [n.rule for n in result.notes] == [EvidenceRule.NO_TRIGGER]


class TestCompareFocus:
    """Comparing a recorded focus with an assessment."""

    def test_agreement_is_none(self) -> None:
        """A record naming the proposed areas agrees."""
        result = classify([ev(K.RELOCATION, 150, "P1"), ev(K.CONFLICT, 60, "P1")], onset=ONSET)
        assert result.secondary is not None
        assert compare_focus([A.ROLE_DISPUTE, A.ROLE_TRANSITION], result) is None
        assert compare_focus([A.ROLE_DISPUTE], result) is None

    def test_missing_and_unsupported(self) -> None:
        """A record naming another area misses the proposal and lacks support."""
        result = classify([ev(K.RETIREMENT, 60)], onset=ONSET)
        found = compare_focus([A.GRIEF], result)
        assert found == FocusDisagreement(
            recorded=(A.GRIEF,),
            proposed=A.ROLE_TRANSITION,
            missing=(A.ROLE_TRANSITION,),
            unsupported=(A.GRIEF,),
        )
        assert "grief" in found.message

    def test_deficits_recorded_despite_events(self) -> None:
        """Deficits recorded while a life event is in the window is unsupported (§8 check 5)."""
        result = classify([ev(K.RETIREMENT, 60)], onset=ONSET, inventory=isolated())
        found = compare_focus([A.ROLE_TRANSITION, A.INTERPERSONAL_DEFICITS], result)
        assert found is not None
        assert found.missing == ()
        assert found.unsupported == (A.INTERPERSONAL_DEFICITS,)

    def test_nothing_recorded_nothing_proposed(self) -> None:
        """No record and no proposal agree."""
        assert compare_focus([], classify([], onset=ONSET)) is None

    def test_recorded_without_evidence(self) -> None:
        """A recorded focus with no evidence at all is unsupported."""
        found = compare_focus([A.GRIEF], classify([], onset=ONSET))
        assert found is not None
        assert found.proposed is None
        assert found.unsupported == (A.GRIEF,)

    def test_arguments_checked(self) -> None:
        """Non-areas in the record, or a lone area, are refused with their paths."""
        result = classify([], onset=ONSET)
        assert issues_of(
            lambda: compare_focus([A.GRIEF, "grief"], result)  # type: ignore[list-item]
        ) == [("$.recorded[1]", "wrong_type")]
        assert issues_of(
            lambda: compare_focus(A.GRIEF, result)  # type: ignore[arg-type]
        ) == [("$.recorded", "wrong_type")]


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


def near_events() -> st.SearchStrategy[LifeEvent]:
    """Events from about 30 months before onset to 4 months after it."""
    return life_events(
        min_date=ONSET - dt.timedelta(days=900), max_date=ONSET + dt.timedelta(days=120)
    )


TRIGGER_KINDS = [k for k in LifeEventKind if k not in (K.OTHER,)]


class TestClassifyProperties:
    """General rules of classify, checked on drawn inputs."""

    @given(
        st.lists(near_events(), max_size=6),
        st.none() | inventories(max_relationships=4),
        rule_sets(),
        st.randoms(use_true_random=False),
    )
    def test_deterministic_and_order_independent(
        self,
        events: list[LifeEvent],
        inventory: InterpersonalInventory | None,
        rules: RuleSet,
        rnd: Any,
    ) -> None:
        """Shuffling the events or the inventory changes nothing in the assessment."""
        first = classify(events, onset=ONSET, inventory=inventory, rules=rules)
        shuffled = list(events)
        rnd.shuffle(shuffled)
        other_inventory = inventory
        if inventory is not None:
            people = list(inventory.relationships)
            rnd.shuffle(people)
            other_inventory = InterpersonalInventory(
                relationships=tuple(people),
                completed_on=inventory.completed_on,
                social_style=inventory.social_style,
            )
        second = classify(shuffled, onset=ONSET, inventory=other_inventory, rules=rules)
        assert second == first
        assert second.explain() == first.explain()

    @given(
        st.lists(near_events(), max_size=5),
        st.none() | inventories(max_relationships=4),
        st.sampled_from([WEISSMAN_RULES, STUART_RULES]),
        life_events(max_date=ONSET - dt.timedelta(days=731))
        | life_events(min_date=ONSET + dt.timedelta(days=93)),
    )
    def test_far_event_does_not_change_primary(
        self,
        events: list[LifeEvent],
        inventory: InterpersonalInventory | None,
        rules: RuleSet,
        far: LifeEvent,
    ) -> None:
        """An event far outside the window changes neither the primary nor the secondary."""
        before = classify(events, onset=ONSET, inventory=inventory, rules=rules)
        after = classify([*events, far], onset=ONSET, inventory=inventory, rules=rules)
        assert (after.primary, after.secondary) == (before.primary, before.secondary)
        assert [(c.area, c.score) for c in after.ranked if c.score > 0] == [
            (c.area, c.score) for c in before.ranked if c.score > 0
        ]

    @given(
        life_events(
            kinds=TRIGGER_KINDS,
            min_date=ONSET - dt.timedelta(days=365),
            max_date=ONSET + dt.timedelta(days=31),
        ),
        st.lists(near_events(), max_size=4),
        st.none() | inventories(max_relationships=4),
        st.sampled_from([WEISSMAN_RULES, STUART_RULES]),
    )
    def test_deficits_never_primary_with_an_event_in_the_window(
        self,
        trigger: LifeEvent,
        events: list[LifeEvent],
        inventory: InterpersonalInventory | None,
        rules: RuleSet,
    ) -> None:
        """A death, conflict or role change inside the window rules deficits out (§2.2 rule 2)."""
        result = classify([trigger, *events], onset=ONSET, inventory=inventory, rules=rules)
        assert result.primary is not A.INTERPERSONAL_DEFICITS
        assert result.secondary is not A.INTERPERSONAL_DEFICITS

    @given(
        st.lists(near_events(), max_size=6),
        st.none() | inventories(max_relationships=5),
        rule_sets(),
    )
    def test_assessment_is_consistent(
        self,
        events: list[LifeEvent],
        inventory: InterpersonalInventory | None,
        rules: RuleSet,
    ) -> None:
        """Ranking, primary, secondary and the recognised areas fit together."""
        result = classify(events, onset=ONSET, inventory=inventory, rules=rules)
        scores = [c.score for c in result.ranked]
        assert scores == sorted(scores, reverse=True)
        assert all(s >= 0 for s in scores)
        assert all(c.area in rules.areas for c in result.ranked)
        for candidate in result.ranked:
            assert candidate.score == pytest.approx(sum(e.weight for e in candidate.evidence))
        if result.primary is None:
            assert result.secondary is None
            assert "No focus area is proposed" in result.explain()
        else:
            assert result.primary is result.ranked[0].area
            assert result.ranked[0].score >= rules.min_score
            assert compare_focus(result.areas, result) is None
        if result.secondary is not None:
            assert result.secondary is not result.primary
            assert any(result.primary in p and result.secondary in p for p in rules.secondary_pairs)

    @given(st.lists(near_events(), max_size=6), inventories(max_relationships=5))
    def test_stuart_never_proposes_deficits(
        self, events: list[LifeEvent], inventory: InterpersonalInventory
    ) -> None:
        """Stuart & Robertson have no deficits area, so it is never proposed (§2.1)."""
        result = classify(events, onset=ONSET, inventory=inventory, rules=STUART_RULES)
        assert A.INTERPERSONAL_DEFICITS not in result.areas
        assert result.candidate(A.INTERPERSONAL_DEFICITS) is None

    @given(inventories(max_relationships=5), st.sampled_from([WEISSMAN_RULES, STUART_RULES]))
    def test_grief_only_with_a_death_under_weissman(
        self, inventory: InterpersonalInventory, rules: RuleSet
    ) -> None:
        """Under Weissman grief is proposed only when a death is recorded (§2.2 rule 1)."""
        events = [ev(kind, 30) for kind in LifeEventKind if kind is not K.DEATH]
        result = classify(events, onset=ONSET, inventory=inventory, rules=WEISSMAN_RULES)
        if result.primary is A.GRIEF:
            assert any(r.deceased for r in inventory.relationships)


def test_public_helpers_exported() -> None:
    """The classification names are part of the public API."""
    import iptkit

    for name in (
        "LifeEvent",
        "LifeEventKind",
        "classify",
        "compare_focus",
        "FocusAssessment",
        "FocusDisagreement",
        "RuleSet",
        "TriggerRule",
        "FocusPair",
        "Candidate",
        "Evidence",
        "EvidenceRule",
        "WEISSMAN_RULES",
        "STUART_RULES",
        "IPSRT_RULES",
    ):
        assert name in iptkit.__all__


# --------------------------------------------------------------------------
# Classification and the checks agree
# --------------------------------------------------------------------------

#: Each built-in rule set with the protocol whose checks use it by default.
RULES_AND_PROTOCOLS = [
    pytest.param(WEISSMAN_RULES, STANDARD, id="weissman"),
    pytest.param(STUART_RULES, STUART, id="stuart"),
    pytest.param(IPSRT_RULES, IPSRT, id="ipsrt"),
]

#: Findings that say a recorded focus does not fit the evidence or the protocol.
FOCUS_CHOICE_CODES = frozenset(
    {
        "grief_without_death",
        "deficits_despite_events",
        "focus_differs_from_evidence",
        "focus_not_recognised",
        "too_many_focus_areas",
    }
)

STARTED = ONSET + dt.timedelta(days=30)


def _recorded_course(
    protocol: Any,
    events: list[LifeEvent],
    inventory: InterpersonalInventory | None,
    areas: tuple[FocusArea, ...],
    *,
    on_contract: bool,
) -> TreatmentCourse:
    """A course recording ``areas`` as its focus, in a formulation or only on the contract."""
    if inventory is not None:
        inventory = evolve(inventory, completed_on=None)  # dated within the course or not at all
    fields: dict[str, Any] = {
        "patient_id": "CL-1",
        "protocol": protocol,
        "started_on": STARTED,
        "onset": ONSET,
        "inventory": inventory,
        "life_events": tuple(events),
    }
    if on_contract:
        fields["contract"] = TreatmentContract(
            protocol=protocol,
            sessions=SessionTerms(
                total=protocol.typical_sessions,
                frequency=Frequency.WEEKLY,
                minutes=protocol.min_minutes,
                first_session=dt.datetime.combine(STARTED, dt.time(9), tzinfo=dt.UTC),
                zone="UTC",
            ),
            focus_areas=areas,
            format=Format.INDIVIDUAL,
        )
    else:
        fields["formulation"] = Formulation(focus_areas=areas, agreed_on=STARTED)
    return TreatmentCourse(**fields)


class TestChecksAgreeWithClassify:
    """The area classify proposes is one the checks accept for the same evidence.

    Under each built-in rule set, a course that records the proposed focus
    draws none of the findings that say the focus does not fit (issue: every
    recorded focus drawing a finding leaves the clinician no right choice).
    """

    @pytest.mark.parametrize(("rules", "protocol"), RULES_AND_PROTOCOLS)
    @given(
        events=st.lists(near_events(), max_size=6),
        inventory=st.none() | inventories(max_relationships=5),
        on_contract=st.booleans(),
    )
    def test_recording_the_proposal_draws_no_focus_finding(
        self,
        rules: RuleSet,
        protocol: Any,
        events: list[LifeEvent],
        inventory: InterpersonalInventory | None,
        on_contract: bool,
    ) -> None:
        """Recording classify's areas: no focus finding; a dispute lacks only a named person."""
        assessment = classify(events, onset=ONSET, inventory=inventory, rules=rules)
        assume(assessment.primary is not None)  # nothing proposed, nothing to record
        course = _recorded_course(
            protocol, events, inventory, assessment.areas, on_contract=on_contract
        )
        found = {finding.code for finding in check(course)}
        assert not found & FOCUS_CHOICE_CODES, assessment.explain()
        if "dispute_without_person" in found:
            # Only when every piece of dispute evidence names nobody (a conflict event
            # without a person): recording who it is with clears it, not another focus.
            candidate = assessment.candidate(A.ROLE_DISPUTE)
            assert candidate is not None
            assert all(e.person is None for e in candidate.evidence if e.weight > 0)

    @pytest.mark.parametrize(("rules", "protocol"), RULES_AND_PROTOCOLS)
    def test_checks_use_the_rule_set_of_the_protocol(self, rules: RuleSet, protocol: Any) -> None:
        """The checks pick, for each protocol, the rule set the property pairs it with."""
        from iptkit import CheckConfig

        assert CheckConfig().rules_for(protocol) is rules

    def test_divorce_under_stuart(self) -> None:
        """The issue's case: Stuart proposes grief for a divorce, and grief draws no finding."""
        divorce = [ev(K.DIVORCE, 60)]
        assert classify(divorce, onset=ONSET, rules=STUART_RULES).primary is A.GRIEF
        grief = _recorded_course(STUART, divorce, None, (A.GRIEF,), on_contract=False)
        assert not {f.code for f in check(grief)} & FOCUS_CHOICE_CODES
        # Role transition is the reading Stuart's rules rank second: informed, not refused.
        transition = _recorded_course(
            STUART, divorce, None, (A.ROLE_TRANSITION,), on_contract=False
        )
        assert [f.code for f in check(transition)] == ["focus_differs_from_evidence"]

    def test_divorce_under_weissman(self) -> None:
        """Under Weissman a divorce is a role transition; grief there still needs a death."""
        divorce = [ev(K.DIVORCE, 60)]
        assert classify(divorce, onset=ONSET).primary is A.ROLE_TRANSITION
        transition = _recorded_course(
            STANDARD, divorce, None, (A.ROLE_TRANSITION,), on_contract=False
        )
        assert check(transition) == ()
        grief = _recorded_course(STANDARD, divorce, None, (A.GRIEF,), on_contract=False)
        assert {f.code for f in check(grief)} == {
            "grief_without_death",
            "focus_differs_from_evidence",
        }

    def test_unmet_expectations_name_the_person_in_dispute(self) -> None:
        """§5: unmet expectations with a living person support a dispute focus."""
        people = inv(rel("P1", R.PARENT, 1, confiding=True, expectations=(unmet(),)))
        assert classify([], onset=ONSET, inventory=people).primary is A.ROLE_DISPUTE
        course = _recorded_course(STANDARD, [], people, (A.ROLE_DISPUTE,), on_contract=False)
        assert "dispute_without_person" not in {f.code for f in check(course)}

    def test_anonymous_conflict_still_needs_a_person(self) -> None:
        """A conflict event naming nobody: the dispute focus fits, but say who it is with."""
        course = _recorded_course(
            STANDARD, [ev(K.CONFLICT, 60)], None, (A.ROLE_DISPUTE,), on_contract=False
        )
        assert [f.code for f in check(course)] == [
            "dispute_without_person",
            "dispute_without_stage",
        ]

    def test_deficits_rule_switched_off(self) -> None:
        """Rules without the last-resort rule do not report deficits despite events."""
        rules = evolve(WEISSMAN_RULES, name="no_last_resort", deficits_last_resort=False)
        from iptkit import CheckConfig

        course = _recorded_course(
            STANDARD,
            [ev(K.RELOCATION, 60)],
            isolated(),
            (A.INTERPERSONAL_DEFICITS,),
            on_contract=False,
        )
        assert "deficits_despite_events" in {f.code for f in check(course)}
        config = CheckConfig(rules=rules)
        assert "deficits_despite_events" not in {f.code for f in check(course, config=config)}
