"""Protocol variants and the phase of each acute session (session-numbering rule 3).

The tables below come from the domain reference: §3.1 (phase boundaries by
source) and §4 (protocol variants).  Where a boundary is a convention of
this library rather than a source's statement, the table says so.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    FocusArea,
    Format,
    Frequency,
    Phase,
    PhaseRule,
    Protocol,
    ValidationError,
    phase_lengths,
    phase_of,
)
from iptkit._focus import CLASSIC_FOCUS_AREAS
from iptkit.protocols import (
    ADOLESCENT,
    BRIEF,
    BUILTIN_PROTOCOLS,
    COMMUNITY_GROUP,
    COUNSELING,
    GROUP,
    IPSRT,
    IPT_UK,
    STANDARD,
    STUART,
    WHO_GROUP,
)
from iptkit.testing import builtin_protocols, custom_protocols, protocols

INIT, MID, TERM = Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION


def _evolve(protocol: Protocol, **changes: Any) -> Protocol:
    """Return ``protocol`` with ``changes`` (validated like a new object).

    A changed built-in takes a name of its own: built-in names are reserved.
    """
    changes.setdefault("name", f"local_{protocol.name}")
    return iptkit.evolve(protocol, **changes)


def _course(initial: int, middle: int, termination: int) -> list[Phase]:
    return [INIT] * initial + [MID] * middle + [TERM] * termination


#: (protocol, typical total, phase of sessions 1..total, source).
TYPICAL_COURSES = [
    # §3.1 IPT-UK: sessions 1-4 initial, 5-12 middle, the remaining 13-16 termination.
    pytest.param(IPT_UK, 16, _course(4, 8, 4), id="ipt_uk-16 (§3.1 IPT-UK)"),
    # §4 IPT-A: 12 weeks, phases commonly taught as 1-4 / 5-8 / 9-12.
    pytest.param(ADOLESCENT, 12, _course(4, 4, 4), id="adolescent-12 (§4 IPT-A)"),
    # §3.1 Stuart & Robertson: initial 1-3 sessions, conclusion 1-2 sessions (lengths).
    pytest.param(STUART, 12, _course(3, 7, 2), id="stuart-12 (§3.1 Stuart & Robertson)"),
    # §3.1 Weissman et al.: initial no more than 3; the last 3 as termination is a convention.
    pytest.param(STANDARD, 16, _course(3, 10, 3), id="standard-16 (§3.1 Weissman et al.)"),
    # §3.1 IPT-B: initial limited to 2 sessions of 8; the 2-session end is a convention.
    pytest.param(BRIEF, 8, _course(2, 4, 2), id="brief-8 (§3.1 IPT-B)"),
    # §3.1 WHO Group IPT: 8 group sessions; the 2/4/2 split is a convention.
    pytest.param(GROUP, 8, _course(2, 4, 2), id="group-8 (§3.1 WHO Group IPT)"),
    # §4 IPC: 3 sessions; first initial, last termination is a convention.
    pytest.param(COUNSELING, 3, _course(1, 1, 1), id="counseling-3 (§4 IPC)"),
    # §4 other group IPT programmes: 12 weeks (StrongMinds Africa); the 3/…/3 split is [C].
    pytest.param(COMMUNITY_GROUP, 12, _course(3, 6, 3), id="community_group-12 (§4 groups)"),
    # §4 IPSRT: acute ~20 weeks; 4 initial and 3 termination sessions are [C].
    pytest.param(IPSRT, 20, _course(4, 13, 3), id="ipsrt-20 (§4 IPSRT)"),
]

#: (protocol, min / typical / max sessions, min / max minutes) from §4.
VARIANT_TABLE = [
    pytest.param(STANDARD, (8, 16, 16), (45, 50), id="standard"),
    pytest.param(IPT_UK, (12, 16, 16), (50, 50), id="ipt_uk"),
    # §3.1/§4: lengths 1-3 + 4-12 + 1-2 imply 6-17 acute sessions.
    pytest.param(STUART, (6, 12, 17), (50, 60), id="stuart"),
    pytest.param(ADOLESCENT, (12, 12, 16), (35, 50), id="adolescent"),
    pytest.param(BRIEF, (8, 8, 8), (45, 50), id="brief"),
    pytest.param(GROUP, (8, 8, 8), (90, 90), id="group"),
    pytest.param(COUNSELING, (3, 3, 6), (20, 30), id="counseling"),
    # §4: general group IPT 8-16 weeks, StrongMinds Africa 12; minutes are [C].
    pytest.param(COMMUNITY_GROUP, (8, 12, 16), (60, 120), id="community_group"),
    # §4: IPSRT acute ~20 weeks of 45-60 minutes; 16-24 around it is [C].
    pytest.param(IPSRT, (16, 20, 24), (45, 60), id="ipsrt"),
]


@st.composite
def protocol_and_total(
    draw: st.DrawFn, source: st.SearchStrategy[Protocol]
) -> tuple[Protocol, int]:
    """A protocol and a total within its allowed range."""
    protocol = draw(source)
    return protocol, draw(st.integers(protocol.min_sessions, protocol.max_sessions))


def _assert_phase_rule_3(protocol: Protocol, total: int) -> None:
    phases = [phase_of(number, total, protocol) for number in range(1, total + 1)]
    assert phases[0] is Phase.INITIAL
    assert phases[-1] is Phase.TERMINATION
    assert all(a.order <= b.order for a, b in itertools.pairwise(phases))
    assert set(phases) == {Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION}
    initial, middle, termination = phase_lengths(total, protocol)
    assert phases == _course(initial, middle, termination)


class TestPhaseOf:
    """phase_of: the phase of an acute session from its number, the total and the protocol."""

    @pytest.mark.parametrize(("protocol", "total", "expected"), TYPICAL_COURSES)
    def test_typical_course_matches_source(
        self, protocol: Protocol, total: int, expected: list[Phase]
    ) -> None:
        """Every session of the variant's typical course has the phase its source gives."""
        assert protocol.typical_sessions == total
        assert [phase_of(n, total, protocol) for n in range(1, total + 1)] == expected

    def test_standard_is_the_default(self) -> None:
        """Without a protocol, the standard protocol's boundaries apply."""
        assert [phase_of(n, 12) for n in (3, 4, 9, 10)] == [INIT, MID, MID, TERM]

    @given(protocol_and_total(builtin_protocols()))
    def test_builtin_phases_cover_course_in_order(self, case: tuple[Protocol, int]) -> None:
        """For every built-in and allowed total: initial first, termination last, never back."""
        _assert_phase_rule_3(*case)

    @given(protocol_and_total(custom_protocols()))
    def test_custom_phases_cover_course_in_order(self, case: tuple[Protocol, int]) -> None:
        """The same holds for user-defined protocols with any phase rule."""
        _assert_phase_rule_3(*case)

    @pytest.mark.parametrize("number", [0, -1, 17, 100])
    def test_number_outside_course_is_refused(self, number: int) -> None:
        """A session number outside 1..total is out of range."""
        assert issues_of(lambda: phase_of(number, 16, IPT_UK)) == [("$.number", "out_of_range")]

    @given(protocols(), st.integers(3, 40), st.integers(-50, 100))
    def test_number_outside_any_course_is_refused(
        self, protocol: Protocol, total: int, number: int
    ) -> None:
        """Any number below 1 or above the total raises ValidationError, never anything else."""
        if 1 <= number <= total:
            assert isinstance(phase_of(number, total, protocol), Phase)
        else:
            with pytest.raises(ValidationError) as info:
                phase_of(number, total, protocol)
            assert [(i.path, i.code) for i in info.value.issues] == [("$.number", "out_of_range")]

    @pytest.mark.parametrize("number", [True, 2.0, "2"])
    def test_number_of_wrong_type_is_refused(self, number: Any) -> None:
        """A number that is not a whole int (a bool, a float, a text) is refused."""
        assert issues_of(lambda: phase_of(number, 16)) == [("$.number", "out_of_range")]

    @pytest.mark.parametrize("total", [0, 1, 2])
    def test_course_without_every_phase_is_refused(self, total: int) -> None:
        """A total below 3 cannot hold one session of each phase."""
        assert issues_of(lambda: phase_of(1, total)) == [("$.total", "out_of_range")]


class TestPhaseLengths:
    """phase_lengths: how many sessions each acute phase takes."""

    @pytest.mark.parametrize(("protocol", "total", "expected"), TYPICAL_COURSES)
    def test_typical_course(self, protocol: Protocol, total: int, expected: list[Phase]) -> None:
        """The lengths agree with the per-session tables of §3.1 and §4."""
        assert phase_lengths(total, protocol) == (
            expected.count(INIT),
            expected.count(MID),
            expected.count(TERM),
        )

    def test_short_course_shortens_termination_first_on_tie(self) -> None:
        """IPT-UK's 4 + 4 in 8 sessions: termination gives way first, a middle session remains."""
        assert phase_lengths(8, IPT_UK) == (4, 1, 3)

    def test_short_course_shortens_longer_phase(self) -> None:
        """A 3 + 2 rule in 5 sessions: the longer initial phase gives way."""
        three_two = _evolve(STUART, min_sessions=3, phase_rule=PhaseRule(initial=3, termination=2))
        assert phase_lengths(5, three_two) == (2, 1, 2)

    @pytest.mark.parametrize(
        ("total", "lengths"),
        [(6, (1, 4, 1)), (7, (2, 4, 1)), (8, (2, 4, 2)), (9, (3, 4, 2)), (17, (3, 12, 2))],
    )
    def test_min_middle_shortens_the_other_phases(
        self, total: int, lengths: tuple[int, int, int]
    ) -> None:
        """Stuart's rule keeps 4 middle sessions, shortening initial and conclusion for them."""
        assert phase_lengths(total, STUART) == lengths

    def test_min_middle_gives_way_when_nothing_is_left(self) -> None:
        """Below 2 + min_middle sessions, initial and termination keep one session each."""
        assert phase_lengths(5, STUART) == (1, 3, 1)
        assert phase_lengths(3, STUART) == (1, 1, 1)

    @given(protocols(), st.integers(3, 100))
    def test_lengths_add_up(self, protocol: Protocol, total: int) -> None:
        """Each phase has at least one session, none exceeds its rule, and they sum to the total."""
        initial, middle, termination = phase_lengths(total, protocol)
        assert min(initial, middle, termination) >= 1
        assert initial <= protocol.phase_rule.initial
        assert termination <= protocol.phase_rule.termination
        assert initial + middle + termination == total
        assert middle >= min(protocol.phase_rule.min_middle, total - 2)


class TestProtocol:
    """Protocol: field bounds and cross-field invariants."""

    @pytest.mark.parametrize(("protocol", "sessions", "minutes"), VARIANT_TABLE)
    def test_builtin_matches_variant_table(
        self, protocol: Protocol, sessions: tuple[int, int, int], minutes: tuple[int, int]
    ) -> None:
        """Session counts and minutes of each built-in follow the §4 table."""
        assert (protocol.min_sessions, protocol.typical_sessions, protocol.max_sessions) == sessions
        assert (protocol.min_minutes, protocol.max_minutes) == minutes
        assert protocol.allows_total(protocol.typical_sessions)

    def test_builtins_by_name(self) -> None:
        """BUILTIN_PROTOCOLS maps each built-in's name to it."""
        assert all(name == p.name for name, p in BUILTIN_PROTOCOLS.items())
        assert len(BUILTIN_PROTOCOLS) == 9
        assert BUILTIN_PROTOCOLS["group"] is WHO_GROUP is GROUP

    def test_stuart_has_three_focus_areas(self) -> None:
        """§2.1: Stuart & Robertson use three problem areas, no interpersonal deficits."""
        assert FocusArea.INTERPERSONAL_DEFICITS not in STUART.focus_areas
        assert len(STUART.focus_areas) == 3
        assert STANDARD.focus_areas == CLASSIC_FOCUS_AREAS

    def test_default_focus_areas_are_weissmans_four(self) -> None:
        """§2.1: a protocol recognises the four classic areas unless it lists others."""
        assert CLASSIC_FOCUS_AREAS == (
            FocusArea.GRIEF,
            FocusArea.ROLE_DISPUTE,
            FocusArea.ROLE_TRANSITION,
            FocusArea.INTERPERSONAL_DEFICITS,
        )
        custom = Protocol(
            name="plain",
            population="Adults",
            min_sessions=8,
            typical_sessions=8,
            max_sessions=8,
            min_minutes=50,
            max_minutes=50,
        )
        assert custom.focus_areas == CLASSIC_FOCUS_AREAS

    def test_group_and_brief_have_pre_treatment_contact(self) -> None:
        """§4: WHO Group IPT has a pre-group meeting and IPT-B an engagement session."""
        assert GROUP.pre_treatment
        assert BRIEF.pre_treatment
        assert GROUP.format is Format.GROUP
        assert not STANDARD.pre_treatment

    def test_standard_allows_twice_weekly(self) -> None:
        """§4: standard acute IPT is weekly, sometimes twice weekly."""
        assert STANDARD.frequencies == (Frequency.WEEKLY, Frequency.TWICE_WEEKLY)

    def test_typical_outside_range(self) -> None:
        """A typical total outside minimum..maximum is an invalid range."""
        assert issues_of(lambda: _evolve(STANDARD, typical_sessions=20)) == [
            ("$.typical_sessions", "invalid_range")
        ]

    def test_minutes_reversed(self) -> None:
        """A shortest session longer than the longest is an invalid range."""
        assert issues_of(lambda: _evolve(STANDARD, min_minutes=60)) == [
            ("$.max_minutes", "invalid_range")
        ]

    def test_default_frequency_not_allowed(self) -> None:
        """The default frequency must be among the allowed ones."""
        assert issues_of(lambda: _evolve(IPT_UK, default_frequency=Frequency.MONTHLY)) == [
            ("$.default_frequency", "invalid_value")
        ]

    def test_duplicate_frequency(self) -> None:
        """A frequency listed twice is a duplicate value."""
        twice = (Frequency.WEEKLY, Frequency.WEEKLY)
        assert issues_of(lambda: _evolve(IPT_UK, frequencies=twice)) == [
            ("$.frequencies", "duplicate_value")
        ]

    def test_duplicate_focus_area(self) -> None:
        """A focus area listed twice is a duplicate value."""
        twice = (FocusArea.GRIEF, FocusArea.GRIEF)
        assert issues_of(lambda: _evolve(STANDARD, focus_areas=twice)) == [
            ("$.focus_areas", "duplicate_value")
        ]

    def test_no_focus_area(self) -> None:
        """A protocol recognises at least one focus area."""
        assert issues_of(lambda: _evolve(STANDARD, focus_areas=())) == [
            ("$.focus_areas", "too_short")
        ]

    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"name": "Clinic Six"}, ("$.name", "invalid_value")),
            ({"min_sessions": 2}, ("$.min_sessions", "out_of_range")),
            ({"max_sessions": 101}, ("$.max_sessions", "out_of_range")),
            ({"max_minutes": 0}, ("$.max_minutes", "out_of_range")),
            ({"max_focus_areas": 5}, ("$.max_focus_areas", "out_of_range")),
            ({"min_age": -1}, ("$.min_age", "out_of_range")),
            ({"max_age": 121}, ("$.max_age", "out_of_range")),
            ({"min_age": 20, "max_age": 12}, ("$.max_age", "invalid_range")),
            ({"typical_sessions": "16"}, ("$.typical_sessions", "wrong_type")),
        ],
    )
    def test_field_bounds(self, changes: dict[str, Any], expected: tuple[str, str]) -> None:
        """Each field's bounds and type are checked, with the field's path."""
        assert issues_of(lambda: _evolve(STANDARD, **changes)) == [expected]

    def test_empty_name(self) -> None:
        """An empty name is both too short and not in the identifier format."""
        assert issues_of(lambda: _evolve(STANDARD, name="")) == [
            ("$.name", "too_short"),
            ("$.name", "invalid_value"),
        ]

    def test_phase_rule_bounds(self) -> None:
        """A phase of no sessions is out of range."""
        assert issues_of(lambda: PhaseRule(initial=0, termination=2)) == [
            ("$.initial", "out_of_range")
        ]
        assert issues_of(lambda: PhaseRule(initial=2, termination=2, min_middle=0)) == [
            ("$.min_middle", "out_of_range")
        ]

    def test_every_problem_reported(self) -> None:
        """All invariant breaches are reported together."""
        issues = issues_of(
            lambda: _evolve(
                STANDARD, typical_sessions=4, min_minutes=60, default_frequency=Frequency.MONTHLY
            )
        )
        assert issues == [
            ("$.typical_sessions", "invalid_range"),
            ("$.max_minutes", "invalid_range"),
            ("$.default_frequency", "invalid_value"),
        ]


class TestBuiltinNames:
    """A built-in protocol's name is reserved for its rules."""

    @pytest.mark.parametrize("builtin", list(iptkit.protocols.BUILTIN_PROTOCOLS.values()))
    def test_altered_builtin_is_refused(self, builtin: Protocol) -> None:
        more = builtin.max_sessions + 1 if builtin.max_sessions < 100 else 99
        assert issues_of(lambda: iptkit.evolve(builtin, max_sessions=more)) == [
            ("$.name", "builtin_protocol_altered")
        ]
        assert iptkit.evolve(builtin, name="local", max_sessions=more).max_sessions == more

    def test_an_equal_copy_is_the_builtin(self) -> None:
        copy = iptkit.evolve(STANDARD)
        assert copy == STANDARD
