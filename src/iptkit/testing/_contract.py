"""Strategies for treatment contracts and maintenance agreements.

Every object drawn respects the invariants of :mod:`iptkit._contract`:
amendments are drawn in date order against the planned session dates, before
the first termination-phase session under the total in force, and never
below the sessions planned to have taken place by their date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from iptkit._contract import (
    MAX_ACUTE_SESSIONS,
    MAX_MAINTENANCE_SESSIONS,
    Amendment,
    ContingencyPolicy,
    MaintenanceAgreement,
    MissedSessionPolicy,
    Modality,
    Obligation,
    Party,
    PartyRole,
    SessionTerms,
    TreatmentContract,
)
from iptkit._focus import DisputeStage, FocusArea
from iptkit._protocol import MIN_ACUTE_SESSIONS, Format, Frequency, Protocol, phase_lengths
from iptkit._recurrence import recurrence_starts
from iptkit.testing._common import aware_datetimes, dates, private_text, zone_names
from iptkit.testing._protocol import protocols

__all__ = [
    "amendments",
    "contingency_policies",
    "contracts",
    "maintenance_agreements",
    "obligations",
    "parties",
    "session_terms",
]

_FIRST = dt.datetime(2000, 1, 1)
_LAST = dt.datetime(2040, 12, 31)


def _local_date(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


@st.composite
def session_terms(
    draw: st.DrawFn,
    *,
    protocol: Protocol | None = None,
    total: int | None = None,
    frequency: Frequency | None = None,
) -> SessionTerms:
    """Session terms; with ``protocol``, totals, frequencies and minutes mostly fit it.

    Now and then a drawn value departs from the protocol (more sessions,
    longer sessions), as real records do: such contracts still load.
    """
    if total is None:
        if protocol is None:
            total = draw(st.integers(MIN_ACUTE_SESSIONS, 24))
        else:
            beyond = min(MAX_ACUTE_SESSIONS, protocol.max_sessions + 4)
            total = draw(
                st.integers(protocol.min_sessions, protocol.max_sessions)
                | st.integers(MIN_ACUTE_SESSIONS, beyond)
            )
    if frequency is None:
        choices: Sequence[Frequency] = list(Frequency) if protocol is None else protocol.frequencies
        frequency = draw(st.sampled_from(choices))
    if protocol is None:
        minutes = draw(st.integers(1, 480))
    else:
        minutes = draw(
            st.integers(protocol.min_minutes, protocol.max_minutes) | st.integers(1, 480)
        )
    return SessionTerms(
        total=total,
        frequency=frequency,
        minutes=minutes,
        first_session=draw(aware_datetimes(_FIRST, _LAST)),
        zone=draw(zone_names()),
    )


@st.composite
def contingency_policies(
    draw: st.DrawFn, *, near: dt.date | None = None, max_excluded: int = 3
) -> ContingencyPolicy:
    """Contingency policies; excluded dates fall within a year after ``near`` when given."""
    days = dates() if near is None else dates(near, near + dt.timedelta(days=366))
    excluded = sorted(set(draw(st.lists(days, max_size=max_excluded))))
    return ContingencyPolicy(
        missed=draw(st.sampled_from(MissedSessionPolicy)),
        max_missed=draw(st.none() | st.integers(1, 6)),
        after_max_missed=draw(st.none() | private_text()),
        illness=draw(st.none() | private_text()),
        therapist_absence=draw(st.none() | private_text()),
        excluded_dates=tuple(excluded),
    )


def amendments() -> st.SearchStrategy[Amendment]:
    """Single amendments, on their own (not checked against any contract)."""
    return st.builds(
        Amendment,
        agreed_on=dates(),
        new_total=st.integers(MIN_ACUTE_SESSIONS, 30),
        reason=private_text(),
    )


def parties() -> st.SearchStrategy[Party]:
    """Single parties, signed or not."""
    return st.builds(
        Party,
        role=st.sampled_from(PartyRole),
        label=private_text(max_size=12),
        signed_on=st.none() | dates(),
    )


def obligations() -> st.SearchStrategy[Obligation]:
    """Obligations of one side."""
    return st.builds(Obligation, role=st.sampled_from(PartyRole), description=private_text())


def _draw_amendments(
    draw: st.DrawFn,
    protocol: Protocol,
    terms: SessionTerms,
    excluded: tuple[dt.date, ...],
    count: int,
) -> tuple[Amendment, ...]:
    """Draw up to ``count`` amendments consistent with the planned session dates."""
    ceiling = min(MAX_ACUTE_SESSIONS, terms.total + 8)
    starts = recurrence_starts(
        terms.first_session,
        ceiling,
        zone=terms.zone,
        frequency=terms.frequency,
        exclude=excluded,
    )
    days = [start.date() for start in starts]
    earliest = days[0] - dt.timedelta(days=14)
    drawn: list[Amendment] = []
    in_force = terms.total
    for _ in range(count):
        termination = phase_lengths(in_force, protocol)[2]
        latest = days[in_force - termination] - dt.timedelta(days=1)
        if latest < earliest:
            break
        agreed_on = draw(st.dates(earliest, latest))
        elapsed = bisect.bisect_left(days, agreed_on, hi=in_force)
        new_total = draw(st.integers(max(MIN_ACUTE_SESSIONS, elapsed), ceiling))
        reason = draw(private_text())
        drawn.append(Amendment(agreed_on=agreed_on, new_total=new_total, reason=reason))
        earliest = agreed_on
        in_force = new_total
    return tuple(drawn)


@st.composite
def contracts(
    draw: st.DrawFn,
    *,
    protocol: Protocol | None = None,
    focus_areas: tuple[FocusArea, ...] | None = None,
    total: int | None = None,
    frequency: Frequency | None = None,
    max_amendments: int = 2,
) -> TreatmentContract:
    """Valid treatment contracts; keywords fix the protocol, focus areas, total or frequency.

    Focus areas come mostly from the protocol's own list, at most its
    ``max_focus_areas``; now and then one more, or one the protocol does not
    recognise (both are findings, not errors).  Every party signs on or
    before the day of the first session.

    >>> from hypothesis import given, settings
    >>> from iptkit.protocols import ADOLESCENT
    >>> @settings(max_examples=20)
    ... @given(contracts(protocol=ADOLESCENT, max_amendments=0))
    ... def test_follows_ipt_a(contract):
    ...     assert contract.protocol is ADOLESCENT
    >>> test_follows_ipt_a()
    """
    chosen = draw(protocols()) if protocol is None else protocol
    terms = draw(session_terms(protocol=chosen, total=total, frequency=frequency))
    first_day = _local_date(terms.first_session, terms.zone)
    if focus_areas is None:
        pool = st.sampled_from(chosen.focus_areas) | st.sampled_from(FocusArea)
        limit = min(len(FocusArea), chosen.max_focus_areas + 1)
        focus_areas = tuple(draw(st.lists(pool, min_size=1, max_size=limit, unique=True)))
    stage = None
    if FocusArea.ROLE_DISPUTE in focus_areas:
        stage = draw(st.none() | st.sampled_from(DisputeStage))
    contingency = draw(contingency_policies(near=first_day))
    count = draw(st.integers(0, max_amendments))
    changes = (
        _draw_amendments(draw, chosen, terms, contingency.excluded_dates, count) if count else ()
    )
    roles = [PartyRole.PATIENT, PartyRole.THERAPIST]
    if draw(st.booleans()):
        roles.append(PartyRole.PARENT_CARER)
    signed = st.none() | st.integers(0, 21).map(lambda back: first_day - dt.timedelta(days=back))
    people = tuple(
        Party(role=role, label=f"{role.value}_{index + 1}", signed_on=draw(signed))
        for index, role in enumerate(roles[: draw(st.integers(0, len(roles)))])
    )
    return TreatmentContract(
        protocol=chosen,
        sessions=terms,
        focus_areas=focus_areas,
        dispute_stage=stage,
        modality=draw(st.sampled_from(Modality)),
        format=chosen.format if draw(st.booleans()) else draw(st.sampled_from(Format)),
        contingency=contingency,
        amendments=changes,
        parties=people,
        obligations=tuple(draw(st.lists(obligations(), max_size=2))),
        boundaries=draw(st.none() | private_text()),
        out_of_session_contact=draw(st.none() | private_text()),
        crisis_plan=draw(st.none() | private_text()),
        maintenance_discussed=draw(st.none() | st.booleans()),
    )


@st.composite
def maintenance_agreements(
    draw: st.DrawFn, *, frequency: Frequency | None = None, by_count: bool | None = None
) -> MaintenanceAgreement:
    """Maintenance agreements, by a count of sessions or by an end date (``by_count``)."""
    first = draw(aware_datetimes(_FIRST, _LAST))
    zone = draw(zone_names())
    use_count = draw(st.booleans()) if by_count is None else by_count
    first_day = _local_date(first, zone)
    return MaintenanceAgreement(
        agreed_on=draw(dates(first_day - dt.timedelta(days=60), first_day)),
        frequency=draw(st.sampled_from(Frequency)) if frequency is None else frequency,
        minutes=draw(st.integers(1, 480)),
        first_session=first,
        zone=zone,
        count=draw(st.integers(1, min(36, MAX_MAINTENANCE_SESSIONS))) if use_count else None,
        until=None if use_count else draw(dates(first_day, first_day + dt.timedelta(days=3 * 366))),
    )


st.register_type_strategy(SessionTerms, session_terms())
st.register_type_strategy(ContingencyPolicy, contingency_policies())
st.register_type_strategy(Amendment, amendments())
st.register_type_strategy(Party, parties())
st.register_type_strategy(Obligation, obligations())
st.register_type_strategy(TreatmentContract, contracts())
st.register_type_strategy(MaintenanceAgreement, maintenance_agreements())
