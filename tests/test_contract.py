"""The treatment contract (domain reference §6) and the maintenance agreement (§3.3).

The contract's invariants are asserted with their exact path and code; the
protocol departures the checks report as findings must still load.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import issues_of
from iptkit import (
    Amendment,
    ContingencyPolicy,
    DisputeStage,
    FocusArea,
    Frequency,
    MaintenanceAgreement,
    Obligation,
    Party,
    PartyRole,
    Phase,
    SessionTerms,
    TreatmentContract,
    ValidationError,
    dump,
    load,
    phase_lengths,
)
from iptkit.protocols import ADOLESCENT, IPT_UK, STANDARD, STUART
from iptkit.testing import contracts, maintenance_agreements

NEW_YORK = "America/New_York"
NY = ZoneInfo(NEW_YORK)
#: Monday 2 March 2026, 09:00 in New York; clocks go forward on Sunday 8 March.
FIRST = dt.datetime(2026, 3, 2, 9, tzinfo=NY)


def _evolve(obj: Any, **changes: Any) -> Any:
    """Return ``obj`` with ``changes``, validated like a new object."""
    return iptkit.evolve(obj, **changes)


def _terms(**changes: Any) -> SessionTerms:
    values: dict[str, Any] = {
        "total": 16,
        "frequency": Frequency.WEEKLY,
        "minutes": 50,
        "first_session": FIRST,
        "zone": NEW_YORK,
    }
    return SessionTerms(**{**values, **changes})


def _contract(**changes: Any) -> TreatmentContract:
    """A 16-session weekly IPT-UK contract from Monday 2 March 2026 (ends 15 June)."""
    values: dict[str, Any] = {
        "protocol": IPT_UK,
        "sessions": _terms(),
        "focus_areas": (FocusArea.ROLE_TRANSITION,),
    }
    return TreatmentContract(**{**values, **changes})


def _termination_findings(contract: TreatmentContract) -> list[str]:
    """Paths of the ``amended_in_termination`` findings on a course holding ``contract``."""
    course = iptkit.TreatmentCourse(
        patient_id="P-1",
        protocol=contract.protocol,
        started_on=contract.sessions.first_local_date,
        contract=contract,
    )
    return [f.path for f in iptkit.check(course) if f.code == "amended_in_termination"]


def _amend(on: dt.date, total: int) -> Amendment:
    return Amendment(agreed_on=on, new_total=total, reason="Agreed at review")


class TestSessionTerms:
    """SessionTerms: number, frequency, length and start of acute sessions."""

    @pytest.mark.parametrize("minutes", [0, -50, 481])
    def test_minutes_out_of_range(self, minutes: int) -> None:
        """A session of no minutes, negative minutes or over eight hours is out of range."""
        assert issues_of(lambda: _terms(minutes=minutes)) == [("$.minutes", "out_of_range")]

    @pytest.mark.parametrize("total", [0, 2, 101])
    def test_total_out_of_range(self, total: int) -> None:
        """A course needs at least one session per phase (3) and at most 100 sessions."""
        assert issues_of(lambda: _terms(total=total)) == [("$.total", "out_of_range")]

    def test_naive_first_session(self) -> None:
        """The first session needs a time zone."""
        naive = dt.datetime(2026, 3, 2, 9)
        assert issues_of(lambda: _terms(first_session=naive)) == [
            ("$.first_session", "naive_datetime")
        ]

    @pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../etc/passwd", "EST5EDT,M3"])
    def test_unknown_zone(self, zone: str) -> None:
        """A zone that is not an IANA name is invalid_zone."""
        assert issues_of(lambda: _terms(zone=zone)) == [("$.zone", "invalid_zone")]

    def test_first_session_in_a_plausible_era(self) -> None:
        """A first session in year 1 cannot be planned and is out of range."""
        ancient = dt.datetime(1, 1, 1, 9, tzinfo=dt.UTC)
        assert issues_of(lambda: _terms(first_session=ancient)) == [
            ("$.first_session", "out_of_range")
        ]

    def test_first_local_date_uses_zone(self) -> None:
        """The first session's date is read in the contract's zone, not the offset given."""
        late = dt.datetime(2026, 3, 3, 2, tzinfo=dt.UTC)  # 21:00 on 2 March in New York
        assert _terms(first_session=late).first_local_date == dt.date(2026, 3, 2)


class TestContingencyPolicy:
    """ContingencyPolicy: missed sessions and excluded dates."""

    def test_defaults_make_up_missed_sessions(self) -> None:
        """By default a missed session is made up (session-numbering rule 4)."""
        assert ContingencyPolicy().missed.value == "made_up"

    def test_duplicate_excluded_date(self) -> None:
        """An excluded date listed twice is a duplicate value, at the repeat."""
        day = dt.date(2026, 4, 6)
        assert issues_of(lambda: ContingencyPolicy(excluded_dates=(day, day))) == [
            ("$.excluded_dates[1]", "duplicate_value")
        ]

    def test_excluded_dates_are_stored_in_date_order(self) -> None:
        """Excluded dates given in any order are kept in date order, in code and from JSON."""
        days = (dt.date(2026, 4, 6), dt.date(2026, 4, 1))
        policy = ContingencyPolicy(excluded_dates=days)
        assert policy.excluded_dates == (dt.date(2026, 4, 1), dt.date(2026, 4, 6))
        loaded = iptkit.load(ContingencyPolicy, {"excluded_dates": ["2026-04-06", "2026-04-01"]})
        assert loaded == policy
        assert iptkit.dump(policy)["excluded_dates"] == ["2026-04-01", "2026-04-06"]

    def test_max_missed_at_least_one(self) -> None:
        """Reviewing after zero missed sessions is out of range."""
        assert issues_of(lambda: ContingencyPolicy(max_missed=0)) == [
            ("$.max_missed", "out_of_range")
        ]

    def test_repr_hides_free_text(self) -> None:
        """What happens after missed sessions, illness or absence is private text."""
        policy = ContingencyPolicy(
            max_missed=2, after_max_missed="SECRET-A", illness="SECRET-B", therapist_absence="C!"
        )
        assert "SECRET" not in repr(policy)
        assert "C!" not in repr(policy)
        assert "max_missed=2" in repr(policy)


class TestTreatmentContract:
    """TreatmentContract: invariants, departures that load, and the planned dates."""

    def test_end_date_of_weekly_course(self) -> None:
        """16 weekly sessions from Monday 2 March 2026 end on Monday 15 June 2026."""
        assert _contract().end_date == dt.date(2026, 6, 15)

    def test_excluded_dates_push_the_end(self) -> None:
        """Two excluded session days move the end two weeks on, to 29 June 2026."""
        policy = ContingencyPolicy(excluded_dates=(dt.date(2026, 4, 6), dt.date(2026, 5, 25)))
        contract = _contract(contingency=policy)
        assert contract.end_date == dt.date(2026, 6, 29)
        days = [start.date() for start in contract.session_starts()]
        assert dt.date(2026, 4, 6) not in days
        assert dt.date(2026, 5, 25) not in days

    def test_excluded_days_without_sessions_change_nothing(self) -> None:
        """Excluding a day on which no session falls leaves the end date alone."""
        policy = ContingencyPolicy(excluded_dates=(dt.date(2026, 4, 7),))
        assert _contract(contingency=policy).end_date == dt.date(2026, 6, 15)

    def test_sessions_keep_wall_clock_time_across_dst(self) -> None:
        """Every session starts at 09:00 New York time, before and after 8 March."""
        starts = _contract().session_starts()
        assert len(starts) == 16
        assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
        assert starts[0].utcoffset() != starts[1].utcoffset()

    def test_total_follows_last_amendment(self) -> None:
        """The contracted total is the last amendment's new total, else the original."""
        assert _contract().total == 16
        extended = _contract(amendments=(_amend(dt.date(2026, 4, 1), 20),))
        assert extended.total == 20
        assert len(extended.session_starts()) == 20
        assert extended.end_date == dt.date(2026, 7, 13)

    def test_phase_of_uses_amended_total(self) -> None:
        """Phases are re-derived from the amended total (rule 5)."""
        extended = _contract(amendments=(_amend(dt.date(2026, 4, 1), 20),))
        assert _contract().phase_of(13) is Phase.TERMINATION
        assert extended.phase_of(13) is Phase.MIDDLE
        assert extended.phase_of(17) is Phase.TERMINATION

    # Invariants -------------------------------------------------------------

    def test_no_focus_area(self) -> None:
        """A contract agrees at least one focus area."""
        assert issues_of(lambda: _contract(focus_areas=())) == [("$.focus_areas", "too_short")]

    def test_duplicate_focus_area(self) -> None:
        """A focus area listed twice is a duplicate value, at the repeat."""
        areas = (FocusArea.GRIEF, FocusArea.ROLE_TRANSITION, FocusArea.GRIEF)
        assert issues_of(lambda: _contract(focus_areas=areas)) == [
            ("$.focus_areas[2]", "duplicate_value")
        ]

    def test_dispute_stage_needs_role_dispute(self) -> None:
        """A dispute stage without a role-dispute focus is refused (§2.3)."""
        assert issues_of(lambda: _contract(dispute_stage=DisputeStage.IMPASSE)) == [
            ("$.dispute_stage", "stage_without_dispute")
        ]
        disputed = _contract(
            focus_areas=(FocusArea.ROLE_DISPUTE,), dispute_stage=DisputeStage.IMPASSE
        )
        assert disputed.dispute_stage is DisputeStage.IMPASSE

    def test_amendments_out_of_order(self) -> None:
        """Amendments must be listed in the order they were agreed."""
        changes = (_amend(dt.date(2026, 4, 10), 18), _amend(dt.date(2026, 4, 1), 20))
        assert issues_of(lambda: _contract(amendments=changes)) == [
            ("$.amendments[1].agreed_on", "out_of_order")
        ]

    def test_amendment_below_elapsed_sessions(self) -> None:
        """By Tuesday 14 April seven sessions were planned; a new total of 6 is refused."""
        on = dt.date(2026, 4, 14)
        assert issues_of(lambda: _contract(amendments=(_amend(on, 6),))) == [
            ("$.amendments[0].new_total", "total_below_elapsed")
        ]
        assert _contract(amendments=(_amend(on, 7),)).total == 7

    def test_session_on_amendment_day_is_not_elapsed(self) -> None:
        """A session planned on the day of the amendment is not yet counted as elapsed."""
        on = dt.date(2026, 4, 13)  # the 7th session's day: six sessions before it
        assert issues_of(lambda: _contract(amendments=(_amend(on, 5),))) == [
            ("$.amendments[0].new_total", "total_below_elapsed")
        ]
        assert _contract(amendments=(_amend(on, 6),)).total == 6

    def test_amendment_on_first_termination_session(self) -> None:
        """Rule 5: under IPT-UK session 13 of 16 (25 May) opens termination.

        An amendment from then on loads and is a finding; the day before is not.
        """
        assert phase_lengths(16, IPT_UK)[2] == 4
        for on in (dt.date(2026, 5, 25), dt.date(2026, 6, 1)):
            late = _contract(amendments=(_amend(on, 20),))
            assert late.total == 20
            assert _termination_findings(late) == ["$.contract.amendments[0].agreed_on"]
        early = _contract(amendments=(_amend(dt.date(2026, 5, 24), 20),))
        assert _termination_findings(early) == []

    def test_termination_start_depends_on_protocol(self) -> None:
        """The standard protocol's termination starts at session 14 (1 June), so 25 May is fine."""
        contract = _contract(protocol=STANDARD, amendments=(_amend(dt.date(2026, 5, 25), 18),))
        assert _termination_findings(contract) == []
        late = _contract(protocol=STANDARD, amendments=(_amend(dt.date(2026, 6, 1), 18),))
        assert _termination_findings(late) == ["$.contract.amendments[0].agreed_on"]

    def test_later_amendment_judged_under_total_in_force(self) -> None:
        """After an extension to 20, termination starts at session 17 (22 June), not 13."""
        first = _amend(dt.date(2026, 4, 1), 20)
        contract = _contract(amendments=(first, _amend(dt.date(2026, 6, 1), 18)))
        assert _termination_findings(contract) == []
        late = _contract(amendments=(first, _amend(dt.date(2026, 6, 22), 18)))
        assert _termination_findings(late) == ["$.contract.amendments[1].agreed_on"]

    def test_signatures_in_initial_phase_load(self) -> None:
        """§3.2: the contract is set in the initial phase, so signing after session 1 loads."""
        parties = (
            Party(role=PartyRole.PATIENT, label="P", signed_on=dt.date(2026, 3, 16)),
            Party(role=PartyRole.THERAPIST, label="T", signed_on=dt.date(2026, 2, 20)),
        )
        assert _contract(parties=parties).parties == parties

    def test_signed_after_end(self) -> None:
        """A signature dated after the last planned session is refused."""
        late = Party(role=PartyRole.PATIENT, label="P", signed_on=dt.date(2026, 6, 16))
        on_time = Party(role=PartyRole.THERAPIST, label="T", signed_on=dt.date(2026, 6, 15))
        assert issues_of(lambda: _contract(parties=(on_time, late))) == [
            ("$.parties[1].signed_on", "signed_after_end")
        ]

    def test_signature_judged_against_amended_end(self) -> None:
        """After an extension to 20 sessions, the contract ends on 13 July."""
        late = Party(role=PartyRole.PATIENT, label="P", signed_on=dt.date(2026, 7, 1))
        extended = _contract(parties=(late,), amendments=(_amend(dt.date(2026, 4, 1), 20),))
        assert extended.end_date == dt.date(2026, 7, 13)

    def test_duplicate_party_label(self) -> None:
        """Two parties cannot share a label."""
        parties = (
            Party(role=PartyRole.PATIENT, label="A"),
            Party(role=PartyRole.PARENT_CARER, label="A"),
        )
        assert issues_of(lambda: _contract(parties=parties)) == [
            ("$.parties[1].label", "duplicate_label")
        ]

    def test_schedule_that_cannot_fit(self) -> None:
        """100 monthly sessions with 25 excluded session days do not fit in ten years."""
        first = dt.datetime(2026, 3, 2, 9, tzinfo=NY)
        excluded = tuple(dt.date(2027 + m // 12, m % 12 + 1, 2) for m in range(25))
        sessions = _terms(total=100, frequency=Frequency.MONTHLY, first_session=first)
        assert issues_of(
            lambda: _contract(
                sessions=sessions, contingency=ContingencyPolicy(excluded_dates=excluded)
            )
        ) == [("$.sessions", "schedule_too_long")]

    def test_every_problem_reported(self) -> None:
        """Independent breaches are reported together."""
        issues = issues_of(
            lambda: _contract(
                focus_areas=(FocusArea.GRIEF, FocusArea.GRIEF),
                dispute_stage=DisputeStage.DISSOLUTION,
                parties=(Party(role=PartyRole.PATIENT, label="P", signed_on=dt.date(2027, 1, 1)),),
            )
        )
        assert issues == [
            ("$.focus_areas[1]", "duplicate_value"),
            ("$.dispute_stage", "stage_without_dispute"),
            ("$.parties[0].signed_on", "signed_after_end"),
        ]

    def test_minutes_in_a_document(self) -> None:
        """A contract document with zero-minute sessions fails at the nested path."""
        data = dump(_contract())
        data["sessions"]["minutes"] = 0
        assert issues_of(lambda: load(TreatmentContract, data)) == [
            ("$.sessions.minutes", "out_of_range")
        ]

    # Departures that load (findings, not invariants) -------------------------

    def test_three_focus_areas_load(self) -> None:
        """§2.4: a third focus area is a finding, so the contract loads."""
        areas = (FocusArea.GRIEF, FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION)
        assert _contract(focus_areas=areas).focus_areas == areas

    def test_twenty_sessions_on_standard_load(self) -> None:
        """§4: some trials ran standard IPT to 20 sessions; that loads."""
        contract = _contract(protocol=STANDARD, sessions=_terms(total=20))
        assert not STANDARD.allows_total(20)
        assert contract.end_date == dt.date(2026, 7, 13)

    def test_ninety_minute_sessions_load(self) -> None:
        """Sessions longer than the protocol's usual 50 minutes load."""
        assert _contract(sessions=_terms(minutes=90)).sessions.minutes == 90

    def test_focus_outside_protocol_loads(self) -> None:
        """§2.1: interpersonal deficits is not a Stuart problem area, yet the contract loads."""
        areas = (FocusArea.INTERPERSONAL_DEFICITS,)
        assert FocusArea.INTERPERSONAL_DEFICITS not in STUART.focus_areas
        assert _contract(protocol=STUART, focus_areas=areas).protocol is STUART

    def test_repr_hides_private_text(self) -> None:
        """Labels, reasons, obligations and plans stay out of repr."""
        contract = _contract(
            amendments=(Amendment(agreed_on=dt.date(2026, 4, 1), new_total=18, reason="XREASON"),),
            parties=(Party(role=PartyRole.PATIENT, label="XLABEL"),),
            obligations=(Obligation(role=PartyRole.PATIENT, description="XDUTY"),),
            boundaries="XBOUNDS",
            out_of_session_contact="XCONTACT",
            crisis_plan="XCRISIS",
        )
        text = repr(contract)
        for secret in ("XREASON", "XLABEL", "XDUTY", "XBOUNDS", "XCONTACT", "XCRISIS"):
            assert secret not in text
        assert "new_total=18" in text

    # Properties ----------------------------------------------------------------

    @given(contracts())
    def test_planned_dates_follow_the_contract(self, contract: TreatmentContract) -> None:
        """A drawn contract plans its total, in order, on no excluded day, ending on end_date."""
        starts = contract.session_starts()
        assert len(starts) == contract.total
        assert all(a < b for a, b in itertools.pairwise(starts))
        excluded = set(contract.contingency.excluded_dates)
        assert not any(start.date() in excluded for start in starts)
        assert contract.end_date == starts[-1].date()

    @given(contracts(max_amendments=0), st.integers(-3, 3))
    def test_amendment_in_termination_is_a_finding(
        self, contract: TreatmentContract, days_later: int
    ) -> None:
        """Rule 5: an amendment dated on or after the first termination session is reported."""
        termination = phase_lengths(contract.total, contract.protocol)[2]
        first_termination = contract.session_starts()[contract.total - termination].date()
        on = first_termination + dt.timedelta(days=days_later)
        try:
            amended = _evolve(contract, amendments=(_amend(on, contract.total + 1),))
        except ValidationError as exc:  # only the dated rules unrelated to rule 5 may refuse it
            codes = exc.codes
        else:
            codes = frozenset()
        if codes:
            assert codes <= {"total_below_elapsed", "schedule_too_long", "out_of_range"}
            return
        expected = ["$.contract.amendments[0].agreed_on"] if days_later >= 0 else []
        assert _termination_findings(amended) == expected

    @given(contracts(protocol=ADOLESCENT, focus_areas=(FocusArea.ROLE_DISPUTE,)))
    def test_strategy_narrows(self, contract: TreatmentContract) -> None:
        """contracts() keeps the protocol and focus areas it is given."""
        assert contract.protocol is ADOLESCENT
        assert contract.focus_areas == (FocusArea.ROLE_DISPUTE,)


class TestMaintenanceAgreement:
    """MaintenanceAgreement: a separate contract numbered M1..Mk (rule 6)."""

    LONDON = "Europe/London"
    M1 = dt.datetime(2026, 7, 13, 9, tzinfo=ZoneInfo("Europe/London"))

    def _agreement(self, **changes: Any) -> MaintenanceAgreement:
        values: dict[str, Any] = {
            "agreed_on": dt.date(2026, 6, 15),
            "minutes": 50,
            "first_session": self.M1,
            "zone": self.LONDON,
        }
        return MaintenanceAgreement(**{**values, **changes})

    def test_monthly_by_default(self) -> None:
        """§3.3: maintenance is usually monthly, and that is the default."""
        assert self._agreement(count=3).frequency is Frequency.MONTHLY

    def test_count_plans_that_many_sessions(self) -> None:
        """Twelve second Mondays from 13 July 2026 run to 14 June 2027, always at 09:00."""
        starts = self._agreement(count=12).session_starts()
        assert len(starts) == 12
        assert starts[0] == self.M1
        assert starts[-1].date() == dt.date(2027, 6, 14)
        assert {(s.hour, s.minute) for s in starts} == {(9, 0)}

    def test_until_is_inclusive(self) -> None:
        """Sessions fall up to and including the end date (second Mondays: 14 December)."""
        starts = self._agreement(until=dt.date(2026, 12, 14)).session_starts()
        assert [s.date().day for s in starts] == [13, 10, 14, 12, 9, 14]
        assert starts[-1].date() == dt.date(2026, 12, 14)
        assert len(self._agreement(until=dt.date(2026, 12, 13)).session_starts()) == 5

    def test_both_count_and_until(self) -> None:
        """Exactly one of count and until: both is refused."""
        assert issues_of(lambda: self._agreement(count=6, until=dt.date(2027, 1, 1))) == [
            ("$.until", "both_count_and_until")
        ]

    def test_neither_count_nor_until(self) -> None:
        """Exactly one of count and until: neither is refused."""
        assert issues_of(self._agreement) == [("$.count", "missing_count_or_until")]

    def test_until_before_first_session(self) -> None:
        """An end date before session M1 is refused."""
        assert issues_of(lambda: self._agreement(until=dt.date(2026, 7, 12))) == [
            ("$.until", "until_before_first_session")
        ]

    def test_until_too_far(self) -> None:
        """An agreement running more than five years is out of range."""
        assert issues_of(lambda: self._agreement(until=dt.date(2031, 12, 31))) == [
            ("$.until", "out_of_range")
        ]

    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"count": 0}, ("$.count", "out_of_range")),
            ({"count": 6, "minutes": 0}, ("$.minutes", "out_of_range")),
            ({"count": 6, "zone": "Nowhere/Else"}, ("$.zone", "invalid_zone")),
        ],
    )
    def test_field_rules(self, changes: dict[str, Any], expected: tuple[str, str]) -> None:
        """Counts, minutes and zones are checked with their paths."""
        assert issues_of(lambda: self._agreement(**changes)) == [expected]

    @given(maintenance_agreements())
    def test_sessions_within_terms(self, agreement: MaintenanceAgreement) -> None:
        """M1 is the first session; a count plans that many, an end date bounds them all."""
        starts = agreement.session_starts()
        assert starts[0] == agreement.first_session
        assert all(a < b for a, b in itertools.pairwise(starts))
        if agreement.count is not None:
            assert len(starts) == agreement.count
        else:
            assert agreement.until is not None
            assert starts[-1].date() <= agreement.until


class TestDatedRulesShortcut:
    """The date-free shortcut for amendments and signatures agrees with planning."""

    @given(
        st.sampled_from(list(Frequency)),
        st.lists(st.tuples(st.integers(-20, 200), st.integers(3, 30)), max_size=3),
        st.lists(st.integers(-20, 300), max_size=2),
        st.lists(st.integers(0, 120), max_size=3, unique=True),
    )
    def test_same_outcome_as_planning(
        self,
        frequency: Frequency,
        amendments: list[tuple[int, int]],
        signatures: list[int],
        excluded: list[int],
    ) -> None:
        """Building a contract gives the same issues with and without the shortcut."""
        first = _terms().first_local_date
        changes: dict[str, Any] = {
            "sessions": _terms(frequency=frequency),
            "amendments": tuple(
                _amend(first + dt.timedelta(days=d), total) for d, total in sorted(amendments)
            ),
            "parties": tuple(
                Party(
                    role=PartyRole.PATIENT,
                    label=f"S{index}",
                    signed_on=first + dt.timedelta(days=d),
                )
                for index, d in enumerate(signatures)
            ),
            "contingency": ContingencyPolicy(
                excluded_dates=tuple(first + dt.timedelta(days=d) for d in sorted(excluded))
            ),
        }

        def outcome() -> frozenset[tuple[str, str]]:
            try:
                _contract(**changes)
            except ValidationError as exc:
                return frozenset((i.path, i.code) for i in exc.issues)
            return frozenset()

        fast = outcome()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(TreatmentContract, "_provably_fine", lambda *_: False)
            planned = outcome()
        assert fast == planned
