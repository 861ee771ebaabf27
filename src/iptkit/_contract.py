"""The treatment contract of acute IPT and the separate maintenance agreement.

Domain reference §6: the contract fixes, at the outset, the number, length
and frequency of sessions, and with them the end date; the agreed focus
areas; the roles and obligations of each side; the rules of conduct; and
what happens when a session is missed.  Changes are explicit amendments
(§6 "Changes and extensions"), which the manuals advise agreeing before the
termination phase begins; one agreed later is reported as a finding, not
refused (session-numbering rule 5).  Further work after acute treatment is a
new contract: a :class:`MaintenanceAgreement`, whose sessions are numbered
M1..Mk on their own (rule 6).

Only what a record cannot break and still mean something is an invariant
here.  Departures from a protocol (three focus areas, 20 sessions on the
standard protocol, 90-minute sessions, a focus area the protocol does not
recognise) load, and the checks report them as findings.

Planned session dates come from :func:`~iptkit._recurrence.recurrence_starts`
(dateutil, DST-safe).  That costs far more than reading a contract, so the
invariants compute dates only when a rule cannot be judged without them: when
the contract has amendments, or a signature is dated after the first session.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from collections.abc import Iterator

from iptkit._errors import Issue, ScheduleError, ValidationError
from iptkit._focus import DisputeStage, FocusArea
from iptkit._model import Rule, distinct, field, model
from iptkit._ordering import in_date_order
from iptkit._protocol import (
    MIN_ACUTE_SESSIONS,
    Format,
    Frequency,
    Phase,
    Protocol,
    phase_of,
)
from iptkit._recurrence import (
    MonthlyBy,
    days_in_order,
    no_day_twice,
    recurrence_starts,
    zone_info,
)

__all__ = [
    "MAX_ACUTE_SESSIONS",
    "MAX_MAINTENANCE_SESSIONS",
    "MAX_MAINTENANCE_YEARS",
    "Amendment",
    "ContingencyPolicy",
    "MaintenanceAgreement",
    "MissedSessionPolicy",
    "Modality",
    "Obligation",
    "Party",
    "PartyRole",
    "SessionTerms",
    "TreatmentContract",
]

#: Most acute sessions a contract may plan (the protocols stop at 100 too).
MAX_ACUTE_SESSIONS = 100
#: Most sessions a maintenance agreement may count.
MAX_MAINTENANCE_SESSIONS = 100
#: Longest a maintenance agreement given by an end date may run, in years.
#: Trials of monthly maintenance ran for two to three years (domain reference §3.3).
MAX_MAINTENANCE_YEARS = 5

#: First sessions are accepted from this year up to :data:`_LAST_YEAR`.
_FIRST_YEAR = 1900
_LAST_YEAR = 2999

#: How many slots of each frequency surely fit in the ten-year planning
#: horizon of the recurrence; beyond that a plan may not fit at all.
_SLOTS_IN_HORIZON = {
    Frequency.WEEKLY: 520,
    Frequency.TWICE_WEEKLY: 1040,
    Frequency.FORTNIGHTLY: 260,
    Frequency.MONTHLY: 119,
}


class MissedSessionPolicy(enum.Enum):
    """What becomes of a session the patient misses (session-numbering rule 4)."""

    #: The session's number is spent: the course is one session shorter.
    COUNTS = "counts"
    #: The number moves to a replacement slot; later sessions shift.
    MADE_UP = "made_up"


class Modality(enum.Enum):
    """How sessions are delivered (domain reference §4, remote delivery)."""

    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class PartyRole(enum.Enum):
    """Who a party to the contract is."""

    PATIENT = "patient"
    THERAPIST = "therapist"
    #: A parent or carer, e.g. in IPT for adolescents (IPT-A).
    PARENT_CARER = "parent_carer"


def _zone_known(zone: str) -> bool:
    try:
        zone_info(zone)
    except ValidationError:
        return False
    return True


def _zone_issues(zone: str, path: str) -> list[Issue]:
    try:
        zone_info(zone)
    except ValidationError as exc:
        return [Issue(path, issue.code, issue.message, zone) for issue in exc.issues]
    return []


#: Field rule: a time zone name this release knows (``invalid_zone``).
valid_zone = Rule(_zone_issues, _zone_known)


def _year_plannable(first: dt.datetime) -> bool:
    return _FIRST_YEAR <= first.year <= _LAST_YEAR


def _first_year_issues(first: dt.datetime, path: str) -> list[Issue]:
    if _year_plannable(first):
        return []
    message = f"The first session must fall between the years {_FIRST_YEAR} and {_LAST_YEAR}."
    return [Issue(path, "out_of_range", message, first)]


#: Field rule: a first session within the years a plan can be made for.
_first_session_in_range = Rule(_first_year_issues, _year_plannable)


@model
class SessionTerms:
    """How many acute sessions, how often, how long, and when they start.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> terms = SessionTerms(
    ...     total=16,
    ...     frequency=Frequency.WEEKLY,
    ...     minutes=50,
    ...     first_session=dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York")),
    ...     zone="America/New_York",
    ... )
    >>> terms.first_local_date
    datetime.date(2026, 3, 2)
    """

    total: int = field(
        ge=MIN_ACUTE_SESSIONS,
        le=MAX_ACUTE_SESSIONS,
        doc="Contracted acute sessions before any amendment (at least 3: one per phase).",
    )
    frequency: Frequency = field(doc="How often acute sessions take place.")
    minutes: int = field(ge=1, le=480, doc="Length of a session in minutes.")
    first_session: dt.datetime = field(
        doc="Start of the first acute session.", rules=[_first_session_in_range]
    )
    zone: str = field(
        min_len=1,
        max_len=64,
        doc="IANA time zone whose wall-clock time the sessions keep.",
        rules=[valid_zone],
    )

    @property
    def first_local_date(self) -> dt.date:
        """The calendar date of the first session in :attr:`zone`."""
        return self.first_session.astimezone(zone_info(self.zone)).date()


@model
class ContingencyPolicy:
    """What happens when sessions are missed, and days without sessions.

    The IPT manuals leave this to the service (domain reference §6); a UK
    service, for example, reviews after two missed appointments.
    """

    missed: MissedSessionPolicy = field(
        default=MissedSessionPolicy.MADE_UP, doc="Whether a missed session counts or is made up."
    )
    max_missed: int | None = field(
        default=None, ge=1, le=100, doc="Missed sessions after which the course is reviewed."
    )
    after_max_missed: str | None = field(
        default=None, private=True, doc="What happens after that many missed sessions."
    )
    illness: str | None = field(
        default=None, private=True, doc="What happens when the patient is ill."
    )
    therapist_absence: str | None = field(
        default=None, private=True, doc="What happens when the therapist is away."
    )
    excluded_dates: tuple[dt.date, ...] = field(
        default=(),
        max_len=1000,
        doc=(
            "Days on which no session takes place (holidays, absence), none twice; taken in "
            "any order and stored in date order, from code and from JSON alike, so that both "
            "give the same value (a set of days has no order of its own to keep)."
        ),
        rules=[no_day_twice],
        canonical=days_in_order,
    )


@model
class Amendment:
    """An explicit change of the contracted acute total (an extension or a cut).

    Domain reference §6: any change must be renegotiated explicitly.  Rule 5:
    a schedule refuses one agreed after its last acute session; one agreed
    once the termination phase has begun is a finding.
    """

    agreed_on: dt.date = field(doc="The day the change was agreed.")
    new_total: int = field(
        ge=MIN_ACUTE_SESSIONS,
        le=MAX_ACUTE_SESSIONS,
        doc="The contracted acute total from this amendment on.",
    )
    reason: str = field(min_len=1, private=True, doc="Why the total changed, in words.")


#: Field rule: amendments are listed in the order they were agreed (contract and schedule alike).
amendments_in_order = in_date_order("Amendments", attr="agreed_on")


def total_in_force(contracted: int, amendments: tuple[Amendment, ...], day: dt.date) -> int:
    """The acute total in force on ``day``: the last amendment agreed by then wins."""
    total = contracted
    for amendment in amendments:
        if amendment.agreed_on <= day:
            total = amendment.new_total
    return total


@model
class Party:
    """A person who agrees to the contract, by role and pseudonymous label."""

    role: PartyRole
    label: str = field(
        min_len=1,
        max_len=64,
        private=True,
        doc="Pseudonymous label, unique within the contract (never a real name).",
    )
    signed_on: dt.date | None = field(default=None, doc="The day this party signed, if signed.")


@model
class Obligation:
    """Something one side undertakes, e.g. to attend or to give notice of absence."""

    role: PartyRole = field(doc="Whose obligation it is.")
    description: str = field(min_len=1, private=True, doc="The obligation, in words.")


@model(document="contract")
class TreatmentContract:
    """The agreed frame of a course of acute IPT (domain reference §6).

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> from iptkit import FocusArea, Frequency
    >>> from iptkit.protocols import IPT_UK
    >>> contract = TreatmentContract(
    ...     protocol=IPT_UK,
    ...     sessions=SessionTerms(
    ...         total=16,
    ...         frequency=Frequency.WEEKLY,
    ...         minutes=50,
    ...         first_session=dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York")),
    ...         zone="America/New_York",
    ...     ),
    ...     focus_areas=(FocusArea.ROLE_TRANSITION,),
    ... )
    >>> contract.total, contract.end_date
    (16, datetime.date(2026, 6, 15))
    >>> contract.phase_of(13).value
    'termination'
    """

    protocol: Protocol = field(doc="The protocol variant the course follows.")
    sessions: SessionTerms = field(doc="Number, frequency, length and start of acute sessions.")
    focus_areas: tuple[FocusArea, ...] = field(
        min_len=1,
        doc="The agreed focus areas, the main one first.",
        rules=[distinct("A focus area is listed twice.")],
    )
    dispute_stage: DisputeStage | None = field(
        default=None, doc="Stage of the role dispute, when a role dispute is a focus."
    )
    modality: Modality = Modality.IN_PERSON
    format: Format = Format.INDIVIDUAL
    contingency: ContingencyPolicy = field(default=ContingencyPolicy())
    amendments: tuple[Amendment, ...] = field(
        default=(),
        doc="Agreed changes of the acute total, in date order.",
        rules=[amendments_in_order],
    )
    parties: tuple[Party, ...] = field(
        default=(),
        doc="Who agreed to the contract and when they signed.",
        rules=[
            distinct(
                "Two parties share the same label; labels must be unique.",
                key=lambda party: party.label,
                below=".label",
                code="duplicate_label",
            )
        ],
    )
    obligations: tuple[Obligation, ...] = field(
        default=(), doc="Roles and obligations of the patient, therapist and parent or carer."
    )
    boundaries: str | None = field(
        default=None, private=True, doc="Rules of conduct and boundaries of the therapy."
    )
    out_of_session_contact: str | None = field(
        default=None, private=True, doc="Whether and how to make contact between sessions."
    )
    crisis_plan: str | None = field(
        default=None, private=True, doc="What to do in a crisis or emergency."
    )
    maintenance_discussed: bool | None = field(
        default=None, doc="Whether maintenance treatment was discussed; null when unknown."
    )

    # ------------------------------------------------------------------
    # Derived values
    # ------------------------------------------------------------------

    @property
    def total(self) -> int:
        """The contracted acute total after amendments (the last one wins)."""
        if self.amendments:
            return self.amendments[-1].new_total
        return self.sessions.total

    def total_on(self, day: dt.date) -> int:
        """The contracted acute total in force on ``day`` (amendments agreed by then)."""
        return total_in_force(self.sessions.total, self.amendments, day)

    def phase_of(self, number: int) -> Phase:
        """Return the phase of acute session ``number`` under the amended total.

        Raises:
            ValidationError: ``number`` is not within 1..:attr:`total`.
        """
        return phase_of(number, self.total, self.protocol)

    def session_starts(self) -> tuple[dt.datetime, ...]:
        """Return the planned start of every acute session, in the contract's zone.

        Sessions recur at the wall-clock time of the first one (across
        daylight-saving changes) and skip the excluded dates; the count is
        the amended :attr:`total`.

        Raises:
            ScheduleError: the sessions do not fit in the ten years after the
                first one.
        """
        return self._starts(self.total)

    @property
    def end_date(self) -> dt.date:
        """The local date of the last planned acute session: the end the contract implies."""
        return self.session_starts()[-1].date()

    def _starts(self, count: int) -> tuple[dt.datetime, ...]:
        terms = self.sessions
        return recurrence_starts(
            terms.first_session,
            count,
            zone=terms.zone,
            frequency=terms.frequency,
            exclude=self.contingency.excluded_dates,
        )

    # ------------------------------------------------------------------
    # Invariants
    # ------------------------------------------------------------------

    def _invariants(self) -> Iterator[Issue]:
        yield from self._focus_issues()
        first_day = self.sessions.first_local_date
        late_signatures = [
            index
            for index, party in enumerate(self.parties)
            if party.signed_on is not None and party.signed_on > first_day
        ]
        largest = max([self.sessions.total, *(a.new_total for a in self.amendments)])
        may_not_fit = (
            largest + len(self.contingency.excluded_dates)
            > _SLOTS_IN_HORIZON[self.sessions.frequency]
        )
        if not may_not_fit and self._provably_fine(first_day, late_signatures):
            return
        # Dates are needed: plan once, for the largest total any amendment sets.
        try:
            days = [start.date() for start in self._starts(largest)]
        except ScheduleError:
            yield Issue(
                "$.sessions",
                "schedule_too_long",
                "The planned sessions do not fit in the ten years after the first one.",
            )
            return
        yield from self._amendment_issues(days)
        end = days[self.total - 1]
        for index in late_signatures:
            signed = self.parties[index].signed_on
            if signed is not None and signed > end:
                yield Issue(
                    f"$.parties[{index}].signed_on",
                    "signed_after_end",
                    "The contract is signed after the last session it plans.",
                )

    def _provably_fine(self, first_day: dt.date, late_signatures: list[int]) -> bool:
        """Whether the dated rules hold without planning the dates.

        Slot *k* never falls before ``first_day + (k - 1) * shortest gap``
        (excluded dates only push sessions later), so an amendment agreed
        before that bound for the first termination-phase session, or a
        signature before it for the last session, is certainly fine.  Only
        the rest (rare in real data) needs the recurrence, which costs far
        more than loading a whole course.
        """
        gap = _SHORTEST_GAP_DAYS[self.sessions.frequency]

        def earliest(slot: int) -> dt.date:
            return first_day + dt.timedelta(days=gap * (slot - 1))

        def most_elapsed(day: dt.date, in_force: int) -> int:
            return min(in_force, max((day - first_day).days - 1, -1) // gap + 1)

        in_force = self.sessions.total
        for amendment in self.amendments:
            if amendment.new_total < most_elapsed(amendment.agreed_on, in_force):
                return False
            in_force = amendment.new_total
        end = earliest(self.total)
        return all(
            (signed := self.parties[index].signed_on) is None or signed <= end
            for index in late_signatures
        )

    def _focus_issues(self) -> Iterator[Issue]:
        # Focus areas listed twice and parties sharing a label are field rules.
        if self.dispute_stage is not None and FocusArea.ROLE_DISPUTE not in self.focus_areas:
            yield Issue(
                "$.dispute_stage",
                "stage_without_dispute",
                "A dispute stage is given but no role dispute is among the focus areas.",
            )

    def _amendment_issues(self, days: list[dt.date]) -> Iterator[Issue]:
        """The elapsed-sessions rule, judged on the planned dates.

        Rule 5's dates are not judged here: made-up misses and moved sessions
        push the real end past the planned one, and only a schedule knows
        them.  A :class:`~iptkit.Schedule` refuses an amendment agreed after
        its last acute session (``amended_after_end``); one agreed once the
        termination phase has begun is a finding (``amended_in_termination``).
        """
        in_force = self.sessions.total
        for index, amendment in enumerate(self.amendments):
            elapsed = bisect.bisect_left(days, amendment.agreed_on, hi=in_force)
            if amendment.new_total < elapsed:
                yield Issue(
                    f"$.amendments[{index}].new_total",
                    "total_below_elapsed",
                    "The new total is below the number of sessions planned before the change.",
                )
            in_force = amendment.new_total


#: The fewest days between two consecutive slots of each frequency.
_SHORTEST_GAP_DAYS = {
    Frequency.WEEKLY: 7,
    Frequency.TWICE_WEEKLY: 3,
    Frequency.FORTNIGHTLY: 14,
    Frequency.MONTHLY: 28,
}


def _slot_bound(frequency: Frequency, days: int) -> int:
    """Return an upper bound on the slots of ``frequency`` within ``days`` days of the first."""
    if frequency is Frequency.WEEKLY:
        return days // 7 + 1
    if frequency is Frequency.TWICE_WEEKLY:
        return 2 * (days // 7 + 1)
    if frequency is Frequency.FORTNIGHTLY:
        return days // 14 + 1
    return days // 28 + 1


@model(document="maintenance_agreement")
class MaintenanceAgreement:
    """A separate contract for maintenance sessions after acute treatment.

    Domain reference §3.3 and §6: further work after the acute course is a
    new, explicitly agreed contract, usually monthly.  Its sessions are
    numbered M1..Mk on their own (session-numbering rule 6).  It runs for a
    fixed number of sessions (``count``) or up to a date (``until``): exactly
    one of the two.

    Monthly sessions keep the weekday and week of the month of M1 by default
    (``monthly_by``): from Monday 13 July 2026, the second Monday of each
    month.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> agreement = MaintenanceAgreement(
    ...     agreed_on=dt.date(2026, 6, 15),
    ...     minutes=50,
    ...     first_session=dt.datetime(2026, 7, 13, 9, tzinfo=ZoneInfo("Europe/London")),
    ...     zone="Europe/London",
    ...     until=dt.date(2026, 12, 31),
    ... )
    >>> [start.date().isoformat() for start in agreement.session_starts()][-2:]
    ['2026-11-09', '2026-12-14']
    >>> from iptkit import evolve
    >>> by_day = evolve(agreement, monthly_by=MonthlyBy.DAY_OF_MONTH)
    >>> [start.date().isoformat() for start in by_day.session_starts()][-2:]
    ['2026-11-13', '2026-12-13']
    """

    agreed_on: dt.date = field(doc="The day the agreement was made.")
    frequency: Frequency = field(default=Frequency.MONTHLY, doc="How often sessions take place.")
    monthly_by: MonthlyBy = field(
        default=MonthlyBy.WEEKDAY,
        doc=(
            "For monthly sessions only: the weekday and week of the month of M1 (the last such "
            "weekday when M1 falls in a fifth week), or its day of the month."
        ),
    )
    minutes: int = field(ge=1, le=480, doc="Length of a session in minutes.")
    first_session: dt.datetime = field(
        doc="Start of maintenance session M1.", rules=[_first_session_in_range]
    )
    zone: str = field(
        min_len=1,
        max_len=64,
        doc="IANA time zone whose wall-clock time the sessions keep.",
        rules=[valid_zone],
    )
    count: int | None = field(
        default=None, ge=1, le=MAX_MAINTENANCE_SESSIONS, doc="How many sessions are agreed."
    )
    until: dt.date | None = field(
        default=None, doc="The last day on which a session may fall (inclusive)."
    )

    def _invariants(self) -> Iterator[Issue]:
        # Field rules report these two; the dated rules below need both to hold.
        first_issues = list(_first_session_in_range(self.first_session, "$.first_session"))
        zone_issues = list(valid_zone(self.zone, "$.zone"))
        if self.count is not None and self.until is not None:
            yield Issue(
                "$.until",
                "both_count_and_until",
                "Give either a number of sessions or an end date, not both.",
            )
        elif self.count is None and self.until is None:
            yield Issue(
                "$.count",
                "missing_count_or_until",
                "Give either a number of sessions or an end date.",
            )
        if not first_issues and not zone_issues and self.agreed_on > self.first_local_date:
            yield Issue(
                "$.agreed_on",
                "agreed_after_start",
                "Maintenance is agreed before its first session, not after.",
            )
        if self.count is not None or self.until is None or first_issues or zone_issues:
            return
        first_day = self.first_local_date
        if self.until < first_day:
            yield Issue(
                "$.until",
                "until_before_first_session",
                "The end date falls before the first maintenance session.",
                self.until,
            )
        elif (self.until - first_day).days > 366 * MAX_MAINTENANCE_YEARS:
            yield Issue(
                "$.until",
                "out_of_range",
                f"A maintenance agreement may run for at most {MAX_MAINTENANCE_YEARS} years.",
                self.until,
            )

    @property
    def first_local_date(self) -> dt.date:
        """The calendar date of session M1 in :attr:`zone`."""
        return self.first_session.astimezone(zone_info(self.zone)).date()

    def session_starts(self) -> tuple[dt.datetime, ...]:
        """Return the planned start of sessions M1..Mk, in the agreement's zone."""
        if self.count is not None:
            return recurrence_starts(
                self.first_session,
                self.count,
                zone=self.zone,
                frequency=self.frequency,
                monthly_by=self.monthly_by,
            )
        assert self.until is not None  # an invariant: exactly one of count and until
        span = (self.until - self.first_local_date).days
        starts = recurrence_starts(
            self.first_session,
            _slot_bound(self.frequency, span),
            zone=self.zone,
            frequency=self.frequency,
            monthly_by=self.monthly_by,
        )
        return tuple(start for start in starts if start.date() <= self.until)
