"""Protocol variants: IPSRT, group programmes beyond WHO, Stuart's range, IPT-A's ages.

Each variant is tested against its row of the domain reference: §2.1 (IPSRT's
fifth problem area), §3.1 (phase boundaries by source), §4 (protocol
variants: sessions, minutes, populations, ages).  Values the reference does
not give are conventions of the library, and the tables say so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from iptkit import (
    IPSRT_RULES,
    CheckConfig,
    FocusArea,
    Format,
    Formulation,
    Frequency,
    LifeEvent,
    LifeEventKind,
    Phase,
    PhaseRule,
    Protocol,
    SessionTerms,
    Severity,
    TreatmentContract,
    TreatmentCourse,
    check,
    classify,
    dump,
    evolve,
    json_schema,
    load,
    phase_lengths,
)
from iptkit.protocols import (
    ADOLESCENT,
    BUILTIN_PROTOCOLS,
    COMMUNITY_GROUP,
    GROUP,
    IPSRT,
    STANDARD,
    STUART,
    WHO_GROUP,
)
from iptkit.testing import custom_protocols

FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
STARTED = FIRST.date() - dt.timedelta(days=14)
ONSET = STARTED - dt.timedelta(days=90)
HEALTHY_SELF = FocusArea.LOSS_OF_HEALTHY_SELF
FOCUS_CODES = {
    "focus_not_recognised",
    "focus_differs_from_evidence",
    "grief_without_death",
    "deficits_despite_events",
}


def contract(protocol: Protocol, total: int, **changes: Any) -> TreatmentContract:
    """A contract under ``protocol`` for ``total`` weekly sessions of its shortest length."""
    fields: dict[str, Any] = {
        "protocol": protocol,
        "sessions": SessionTerms(
            total=total,
            frequency=Frequency.WEEKLY,
            minutes=protocol.min_minutes,
            first_session=FIRST,
            zone="UTC",
        ),
        "focus_areas": (FocusArea.ROLE_TRANSITION,),
        "format": protocol.format,
    }
    fields.update(changes)
    return TreatmentContract(**fields)


def course(protocol: Protocol, **fields: Any) -> TreatmentCourse:
    """A course under ``protocol`` with nothing held yet (so nothing else is due)."""
    values: dict[str, Any] = {
        "patient_id": "VR-1",
        "protocol": protocol,
        "started_on": STARTED,
        "onset": ONSET,
    }
    values.update(fields)
    return TreatmentCourse(**values)


def codes(of: TreatmentCourse, **kwargs: Any) -> list[str]:
    return [finding.code for finding in check(of, **kwargs)]


class TestIpsrt:
    """§2.1 and §4: interpersonal and social rhythm therapy."""

    def test_matches_the_variant_table(self) -> None:
        """§4: acute ~20 weekly sessions of 45-60 minutes; the 16-24 range is a convention."""
        assert IPSRT.name == "ipsrt"
        assert (IPSRT.min_sessions, IPSRT.typical_sessions, IPSRT.max_sessions) == (16, 20, 24)
        assert (IPSRT.min_minutes, IPSRT.max_minutes) == (45, 60)
        assert IPSRT.frequencies == (Frequency.WEEKLY,)
        assert IPSRT.format is Format.INDIVIDUAL
        assert BUILTIN_PROTOCOLS["ipsrt"] is IPSRT
        assert "bipolar" in IPSRT.population.lower()

    def test_fifth_problem_area(self) -> None:
        """§2.1: IPSRT adds grief for the lost healthy self to the four areas."""
        assert IPSRT.focus_areas == (
            FocusArea.GRIEF,
            FocusArea.ROLE_DISPUTE,
            FocusArea.ROLE_TRANSITION,
            FocusArea.INTERPERSONAL_DEFICITS,
            HEALTHY_SELF,
        )
        assert HEALTHY_SELF.value == "loss_of_healthy_self"
        assert HEALTHY_SELF.label == "loss of the healthy self"

    def test_phases(self) -> None:
        """§4: initial and intermediate stages (ipsrt.org); 4 initial and 3 termination are [C]."""
        assert phase_lengths(20, IPSRT) == (4, 13, 3)
        assert Phase.parse("intermediate") is Phase.MIDDLE
        assert Phase.parse("preventive") is Phase.MAINTENANCE

    @pytest.mark.parametrize("protocol", list(BUILTIN_PROTOCOLS.values()), ids=lambda p: p.name)
    def test_fifth_area_only_where_the_protocol_allows_it(self, protocol: Protocol) -> None:
        """Only IPSRT recognises the loss of the healthy self; elsewhere it is a finding."""
        recorded = course(
            protocol,
            formulation=Formulation(focus_areas=(HEALTHY_SELF,), agreed_on=STARTED),
        )
        found = codes(recorded)
        if protocol is IPSRT:
            assert "focus_not_recognised" not in found
        else:
            assert HEALTHY_SELF not in protocol.focus_areas
            assert found.count("focus_not_recognised") == 1

    def test_contract_with_the_fifth_area(self) -> None:
        """A contract records the area under IPSRT with no finding, and under STANDARD with one."""
        ipsrt = course(IPSRT, contract=contract(IPSRT, 20, focus_areas=(HEALTHY_SELF,)))
        assert "focus_not_recognised" not in codes(ipsrt)
        standard = course(STANDARD, contract=contract(STANDARD, 16, focus_areas=(HEALTHY_SELF,)))
        assert [f.path for f in check(standard) if f.code == "focus_not_recognised"] == [
            "$.contract.focus_areas[0]"
        ]

    def test_checks_use_ipsrt_rules(self) -> None:
        """The checks judge an IPSRT course with IPSRT's rules."""
        assert CheckConfig().rules_for(IPSRT) is IPSRT_RULES
        assert CheckConfig().rules_for(STANDARD) is iptkit.WEISSMAN_RULES

    def test_diagnosis_points_to_the_healthy_self(self) -> None:
        """A new diagnosis near onset: loss of the healthy self under IPSRT, no finding."""
        diagnosis = LifeEvent(LifeEventKind.ILLNESS_DIAGNOSIS, ONSET - dt.timedelta(days=30))
        assessment = classify([diagnosis], onset=ONSET, rules=IPSRT_RULES)
        assert assessment.primary is HEALTHY_SELF
        recorded = course(
            IPSRT,
            life_events=(diagnosis,),
            formulation=Formulation(focus_areas=(HEALTHY_SELF,), agreed_on=STARTED),
        )
        assert not FOCUS_CODES & set(codes(recorded))
        transition = course(
            IPSRT,
            life_events=(diagnosis,),
            formulation=Formulation(focus_areas=(FocusArea.ROLE_TRANSITION,), agreed_on=STARTED),
        )
        assert "focus_differs_from_evidence" in codes(transition)

    def test_weissman_rules_do_not_know_the_fifth_area(self) -> None:
        """Weissman's and Stuart's rules never propose it (§2.1: only IPSRT has it)."""
        assert HEALTHY_SELF not in iptkit.WEISSMAN_RULES.areas
        assert HEALTHY_SELF not in iptkit.STUART_RULES.areas
        diagnosis = LifeEvent(LifeEventKind.ILLNESS_DIAGNOSIS, ONSET - dt.timedelta(days=30))
        assert classify([diagnosis], onset=ONSET).primary is FocusArea.ROLE_TRANSITION


class TestGroupProgrammes:
    """§4: WHO Group IPT and other group programmes."""

    def test_who_group_is_named_as_such(self) -> None:
        """GROUP is WHO Group IPT: the same object, its document name unchanged."""
        assert GROUP is WHO_GROUP
        assert WHO_GROUP.name == "group"
        assert "WHO" in WHO_GROUP.population
        assert (WHO_GROUP.min_sessions, WHO_GROUP.max_sessions) == (8, 8)
        assert WHO_GROUP.pre_treatment

    def test_community_group_matches_the_variant_table(self) -> None:
        """§4 other group IPT programmes: 8-16 weeks (general), 12 (StrongMinds Africa)."""
        group = COMMUNITY_GROUP
        assert (group.min_sessions, group.typical_sessions, group.max_sessions) == (8, 12, 16)
        assert group.format is Format.GROUP
        assert group.frequencies == (Frequency.WEEKLY,)
        assert BUILTIN_PROTOCOLS["community_group"] is group

    @pytest.mark.parametrize(
        ("total", "who", "community"),
        [(8, False, False), (12, True, False), (16, True, False), (17, True, True)],
    )
    def test_totals(self, total: int, who: bool, community: bool) -> None:
        """A 12- or 16-session group is outside WHO's 8 but within the community programme."""
        for protocol, expected in ((WHO_GROUP, who), (COMMUNITY_GROUP, community)):
            recorded = course(protocol, contract=contract(protocol, total))
            assert ("total_outside_protocol" in codes(recorded)) is expected

    def test_user_built_group_programme(self) -> None:
        """A 6-week group (StrongMinds US, §4) is declared as a Protocol of one's own."""
        six = Protocol(
            name="strongminds_us",
            population="Adults with depression in 6-week community groups",
            min_sessions=6,
            typical_sessions=6,
            max_sessions=6,
            min_minutes=60,
            max_minutes=90,
            format=Format.GROUP,
            phase_rule=PhaseRule(initial=2, termination=2),
        )
        recorded = course(six, contract=contract(six, 6))
        assert "total_outside_protocol" not in codes(recorded)
        assert "format_mismatch" not in codes(recorded)
        assert load(Protocol, dump(six)) == six


#: Stuart & Robertson's phase lengths (§3.1): initial 1-3, middle 4-12, conclusion 1-2.
STUART_LENGTHS = (range(1, 4), range(4, 13), range(1, 3))


class TestStuart:
    """§3.1 and §4: Stuart & Robertson's range follows from its phase lengths."""

    def test_range_is_the_one_the_lengths_imply(self) -> None:
        """1 + 4 + 1 = 6 to 3 + 12 + 2 = 17 acute sessions."""
        lowest = sum(r.start for r in STUART_LENGTHS)
        highest = sum(r.stop - 1 for r in STUART_LENGTHS)
        assert (STUART.min_sessions, STUART.max_sessions) == (lowest, highest) == (6, 17)

    @pytest.mark.parametrize("total", range(6, 18))
    def test_every_allowed_total_keeps_stuarts_lengths(self, total: int) -> None:
        """For every total in range, the phase rule gives lengths within Stuart's."""
        lengths = phase_lengths(total, STUART)
        assert all(n in allowed for n, allowed in zip(lengths, STUART_LENGTHS, strict=True))

    def test_docstring_agrees(self) -> None:
        """The docstring states the range the data holds."""
        text = " ".join((STUART.__doc__ or "").split()) + " " + _doc_of("STUART")
        assert "6 (1 + 4 + 1) to 17 (3 + 12 + 2)" in text

    def test_a_twenty_session_course_is_outside(self) -> None:
        """20 sessions, the top of the review's 8-20, is a departure (a finding)."""
        recorded = course(STUART, contract=contract(STUART, 20))
        assert "total_outside_protocol" in codes(recorded)
        within = course(STUART, contract=contract(STUART, 17))
        assert "total_outside_protocol" not in codes(within)


def _doc_of(name: str) -> str:
    """The doc comment of a constant of iptkit._protocol, as the docs read it."""
    pycode = pytest.importorskip("sphinx.pycode")
    analyzer = pycode.ModuleAnalyzer.for_module("iptkit._protocol")
    analyzer.find_attr_docs()
    return " ".join(" ".join(analyzer.attr_docs.get(("", name), [])).split())


class TestAdolescentAge:
    """§4: IPT-A is for adolescents aged 12-18; the age check."""

    def test_range_on_the_protocol(self) -> None:
        """ADOLESCENT carries 12-18; adult built-ins state no age range."""
        assert (ADOLESCENT.min_age, ADOLESCENT.max_age) == (12, 18)
        assert "12-18" in ADOLESCENT.population
        others = [p for p in BUILTIN_PROTOCOLS.values() if p is not ADOLESCENT]
        assert all(p.min_age is None and p.max_age is None for p in others)

    @pytest.mark.parametrize(
        ("age", "reported"),
        [(None, False), (0, True), (11, True), (12, False), (15, False), (18, False), (19, True)],
    )
    def test_age_outside_ipt_a(self, age: int | None, reported: bool) -> None:
        """An age outside 12-18 at the start of an IPT-A course is a warning at $.age_at_start."""
        found = [
            (f.path, f.severity)
            for f in check(course(ADOLESCENT, age_at_start=age))
            if f.code == "age_outside_protocol"
        ]
        assert found == ([("$.age_at_start", Severity.WARNING)] if reported else [])

    def test_adult_protocol_has_no_age_check(self) -> None:
        """A protocol without an age range reports no age."""
        assert "age_outside_protocol" not in codes(course(STANDARD, age_at_start=15))

    def test_judged_against_another_protocol(self) -> None:
        """protocol= judges the age against that protocol's range."""
        adult = course(STANDARD, age_at_start=30)
        assert codes(adult, protocol=ADOLESCENT) == ["age_outside_protocol"]

    def test_message_never_names_the_age(self) -> None:
        """The finding names the range, not the patient's age (privacy)."""
        (finding,) = check(course(ADOLESCENT, age_at_start=97))
        assert "97" not in finding.message
        assert "12 to 18" in finding.message

    @pytest.mark.parametrize(
        ("low", "high", "text"),
        [(65, None, "ages 65 and over"), (None, 25, "ages up to 25")],
    )
    def test_open_ranges(self, low: int | None, high: int | None, text: str) -> None:
        """A protocol may give only one bound; the other is no limit."""
        protocol = evolve(STANDARD, name="one_bound", min_age=low, max_age=high)
        outside = 40 if low is not None else 30
        (finding,) = check(course(protocol, age_at_start=outside))
        assert text in finding.message
        assert protocol.allows_age(low if low is not None else 0)

    @given(custom_protocols(), st.integers(0, 120))
    def test_allows_age_is_the_range(self, protocol: Protocol, age: int) -> None:
        """allows_age is min_age <= age <= max_age, a missing bound being no limit."""
        low = protocol.min_age if protocol.min_age is not None else 0
        high = protocol.max_age if protocol.max_age is not None else 120
        assert protocol.allows_age(age) is (low <= age <= high)

    def test_can_be_disabled(self) -> None:
        """The check can be switched off like any other."""
        config = CheckConfig(disabled={"age_outside_protocol"})
        assert check(course(ADOLESCENT, age_at_start=9), config=config) == ()


class TestSerialisation:
    """The new values and fields round-trip and appear in the JSON Schema."""

    @pytest.mark.parametrize("protocol", list(BUILTIN_PROTOCOLS.values()), ids=lambda p: p.name)
    def test_builtins_round_trip(self, protocol: Protocol) -> None:
        """Every built-in, new ones included, loads back equal from its JSON."""
        assert load(Protocol, dump(protocol)) == protocol

    def test_schema_lists_the_fifth_area_and_the_ages(self) -> None:
        """The JSON Schema's focus-area enumeration and the protocol's fields include them."""
        text = str(json_schema(TreatmentCourse))
        assert "loss_of_healthy_self" in text
        for name in ("min_age", "max_age", "min_middle"):
            assert name in text

    def test_old_protocol_document_loads(self) -> None:
        """A protocol written before min_age, max_age and min_middle loads with their defaults.

        (A local one: a built-in's name is reserved for the built-in's rules.)
        """
        old = {**dump(ADOLESCENT), "name": "local_adolescent"}
        del old["min_age"], old["max_age"]
        del old["phase_rule"]["min_middle"]
        loaded = load(Protocol, old)
        assert loaded.min_age is None
        assert loaded.phase_rule == ADOLESCENT.phase_rule
