"""Strategies for protocol variants."""

from __future__ import annotations

from hypothesis import strategies as st

from iptkit._focus import FocusArea
from iptkit._protocol import (
    BUILTIN_PROTOCOLS,
    MIN_ACUTE_SESSIONS,
    Format,
    Frequency,
    PhaseRule,
    Protocol,
)
from iptkit.testing._common import private_text

__all__ = ["builtin_protocols", "custom_protocols", "phase_rules", "protocols"]


def phase_rules() -> st.SearchStrategy[PhaseRule]:
    """Phase rules with 1-6 initial and termination sessions and a middle of at least 1-6."""
    return st.builds(
        PhaseRule,
        initial=st.integers(1, 6),
        termination=st.integers(1, 6),
        min_middle=st.integers(1, 6),
    )


def builtin_protocols() -> st.SearchStrategy[Protocol]:
    """One of the built-in protocols, shrinking towards ``STANDARD``."""
    return st.sampled_from(list(BUILTIN_PROTOCOLS.values()))


@st.composite
def custom_protocols(draw: st.DrawFn) -> Protocol:
    """User-defined protocols with consistent ranges."""
    counts = sorted(draw(st.lists(st.integers(MIN_ACUTE_SESSIONS, 40), min_size=3, max_size=3)))
    minutes = sorted(draw(st.lists(st.integers(15, 120), min_size=2, max_size=2)))
    frequencies = draw(st.lists(st.sampled_from(Frequency), min_size=1, max_size=4, unique=True))
    areas = draw(
        st.lists(st.sampled_from(FocusArea), min_size=1, max_size=len(FocusArea), unique=True)
    )
    ages = sorted(draw(st.lists(st.integers(0, 120), min_size=2, max_size=2)))
    return Protocol(
        # A built-in's name belongs to the built-in (builtin_protocol_altered).
        name=draw(
            st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
                lambda name: name not in BUILTIN_PROTOCOLS
            )
        ),
        population=draw(private_text()),
        min_sessions=counts[0],
        typical_sessions=counts[1],
        max_sessions=counts[2],
        min_minutes=minutes[0],
        max_minutes=minutes[1],
        default_frequency=draw(st.sampled_from(frequencies)),
        frequencies=tuple(frequencies),
        format=draw(st.sampled_from(Format)),
        pre_treatment=draw(st.booleans()),
        phase_rule=draw(phase_rules()),
        focus_areas=tuple(areas),
        max_focus_areas=draw(st.integers(1, 4)),
        min_age=draw(st.none() | st.just(ages[0])),
        max_age=draw(st.none() | st.just(ages[1])),
    )


def protocols() -> st.SearchStrategy[Protocol]:
    """Built-in protocols, or now and then a user-defined one."""
    return builtin_protocols() | custom_protocols()


st.register_type_strategy(PhaseRule, phase_rules())
st.register_type_strategy(Protocol, protocols())
