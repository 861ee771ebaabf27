"""Protocol-adherence findings over a whole treatment course.

Design note "Invariants versus findings": a :class:`~iptkit.TreatmentCourse`
that exists is valid, yet it may still depart from the IPT protocol it
follows.  :func:`check` reports those departures as :class:`Finding` objects
and never raises on a valid course.  A closed group
(:class:`~iptkit.GroupCourse`) has checks of its own, in the same registry.

The checks are data: :data:`CHECKS` lists, for every check, its stable code,
its default :class:`Severity`, the section of the domain reference it comes
from and what it means.  A :class:`CheckConfig` switches checks off, changes
their severity and tunes their thresholds.

Everything is computed from the stored records, arithmetically: no
recurrence rule is expanded and no schedule is planned, so checking
thousands of courses stays cheap.  Focus classification
(:func:`~iptkit.classify`) runs only for the check that compares the
recorded focus with the evidence.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

import attrs

from iptkit._classify import (
    IPSRT_RULES,
    STUART_RULES,
    WEISSMAN_RULES,
    RuleSet,
    classify,
    compare_focus,
)
from iptkit._course import RETURN_THRESHOLDS, EndReason, SessionRecord, TreatmentCourse
from iptkit._errors import Issue, ScheduleError, ValidationError
from iptkit._focus import FocusArea
from iptkit._group import GroupCourse
from iptkit._life_events import LifeEventKind
from iptkit._protocol import Protocol, phase_lengths
from iptkit._recurrence import zone_info
from iptkit._schedule import _local_date
from iptkit._sessions import SessionKind, SessionStatus
from iptkit.measures import Score

__all__ = [
    "CHECKS",
    "CHECK_FAILED",
    "PLUGIN_GROUP",
    "CheckConfig",
    "CheckInfo",
    "Finding",
    "RegisteredCheck",
    "Severity",
    "check",
    "load_check_plugins",
    "register_check",
    "registered_checks",
    "unregister_check",
]


class Severity(enum.Enum):
    """How serious a finding is.

    >>> Severity("warning")
    <Severity.WARNING: 'warning'>
    >>> sorted(Severity, key=lambda s: s.rank)[0]
    <Severity.ERROR: 'error'>
    """

    #: A departure that puts the patient at risk and needs action now.
    ERROR = "error"
    #: A departure from the protocol worth reviewing.
    WARNING = "warning"
    #: Worth knowing; not in itself a departure.
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for an error, 1 for a warning, 2 for information (most serious first)."""
        return _RANKS[self]


_RANKS = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

_INDEX = re.compile(r"\[(\d+)\]")


def _path_key(path: str) -> tuple[tuple[int, str, int], ...]:
    """A sort key that orders ``$.sessions[2]`` before ``$.sessions[10]``."""
    key: list[tuple[int, str, int]] = []
    for position, part in enumerate(_INDEX.split(path)):
        if position % 2:
            key.append((0, "", int(part)))
        elif part:
            key.extend((1, name, 0) for name in part.split("."))
    return tuple(key)


@attrs.frozen
class Finding:
    """One departure from the protocol found in a course.

    Attributes:
        severity: how serious it is.
        code: the stable snake_case code of the check that found it (see
            :data:`CHECKS`).
        path: a JSON path into the course document, such as
            ``$.sessions[5]`` or ``$.contract.focus_areas``; ``$`` when
            nothing narrower applies.
        message: one plain sentence; it never repeats free text or labels.

    >>> f = Finding(Severity.WARNING, "measure_gap", "$.sessions[7]", "No measure.")
    >>> f.severity.value, f.code, f.path
    ('warning', 'measure_gap', '$.sessions[7]')
    """

    severity: Severity
    code: str
    path: str
    message: str

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """The order :func:`check` returns findings in: by path, then code, then message."""
        return (_path_key(self.path), self.code, self.message)


@attrs.frozen
class CheckInfo:
    """What one check is: its code, default severity, source and meaning.

    Attributes:
        code: the stable snake_case code its findings carry.
        severity: the default severity of its findings.
        source: the sections of the domain reference the check rests on.
        description: what a finding of this check means, in one sentence.
    """

    code: str
    severity: Severity
    source: str
    description: str


#: One check: what it is and the function that yields ``(path, message)`` pairs.
_Rule = tuple[CheckInfo, Callable[["_Facts"], Iterator[tuple[str, str]]]]
_REGISTRY: list[_Rule] = []
#: Checks registered with :func:`register_check`, by code, in registration order.
_EXTRA: dict[str, tuple[CheckInfo, RegisteredCheck]] = {}


def _check(
    code: str, severity: Severity, source: str, description: str
) -> Callable[
    [Callable[[_Facts], Iterator[tuple[str, str]]]], Callable[[_Facts], Iterator[tuple[str, str]]]
]:
    """Register a check function under ``code``."""

    def register(
        function: Callable[[_Facts], Iterator[tuple[str, str]]],
    ) -> Callable[[_Facts], Iterator[tuple[str, str]]]:
        _REGISTRY.append((CheckInfo(code, severity, source, description), function))
        return function

    return register


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


def _to_frozenset(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value
    return frozenset(value)


def _to_pairs(value: Any) -> Any:
    """A mapping (or pairs) of codes to severities as ``(code, severity)`` pairs by code."""
    items = value.items() if isinstance(value, Mapping) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        return value
    pairs = tuple(items)
    if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
        return value
    return tuple(sorted(pairs, key=lambda pair: str(pair[0])))


@attrs.frozen
class CheckConfig:
    """Which checks run, how serious their findings are, and their thresholds.

    >>> config = CheckConfig(disabled={"measure_gap"}, measure_interval=6)
    >>> config.enabled("measure_gap"), config.enabled("final_measure_missing")
    (False, True)
    >>> CheckConfig(severities={"low_attendance": Severity.WARNING}).severity("low_attendance")
    <Severity.WARNING: 'warning'>
    >>> CheckConfig(disabled={"no_such_check"})
    Traceback (most recent call last):
    ...
    iptkit._errors.ValidationError: 1 validation issue:
      $.disabled: No check has the code 'no_such_check'. [unknown_check]

    Attributes:
        disabled: codes of checks not to run.
        severities: a severity for a code, in place of its default (given as
            a mapping or as pairs; kept as ``(code, severity)`` pairs sorted
            by code).
        measure_interval: a symptom measure is expected among any this many
            consecutive held acute sessions (IPT Institute: 4; reference §7.3).
        ending_notice: the ending is expected to be raised at least this many
            sessions before the last acute session (reference §3.1: 2 to 4).
        min_attendance: attendance below this share of past acute sessions
            is reported (a convention).
        rules: the focus rule set for the checks that weigh life events;
            ``None`` picks :data:`~iptkit.IPSRT_RULES` for a protocol that
            recognises the loss of the healthy self (IPSRT),
            :data:`~iptkit.STUART_RULES` for one without interpersonal
            deficits (Stuart & Robertson) and :data:`~iptkit.WEISSMAN_RULES`
            otherwise.

    Raises:
        ValidationError: a code is unknown (``unknown_check``), a value has
            the wrong type (``wrong_type``) or lies out of range
            (``out_of_range``).
    """

    disabled: frozenset[str] = attrs.field(default=frozenset(), converter=_to_frozenset)
    severities: tuple[tuple[str, Severity], ...] = attrs.field(default=(), converter=_to_pairs)
    measure_interval: int = 4
    ending_notice: int = 2
    min_attendance: float = 0.75
    rules: RuleSet | None = None

    def __attrs_post_init__(self) -> None:
        issues = list(self._issues())
        if issues:
            raise ValidationError(issues)

    def _issues(self) -> Iterator[Issue]:
        known = {info.code for info in CHECKS} | _EXTRA.keys()
        if not isinstance(self.disabled, frozenset) or not all(
            isinstance(code, str) for code in self.disabled
        ):
            yield Issue("$.disabled", "wrong_type", "Expected a set of check codes.", self.disabled)
        else:
            for code in sorted(self.disabled - known):
                yield Issue("$.disabled", "unknown_check", f"No check has the code {code!r}.", code)
        if not isinstance(self.severities, tuple) or not all(
            isinstance(pair, tuple)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], Severity)
            for pair in self.severities
        ):
            yield Issue(
                "$.severities",
                "wrong_type",
                "Expected a mapping of check codes to severities.",
                self.severities,
            )
        else:
            for code, _ in self.severities:
                if code not in known:
                    yield Issue(
                        "$.severities", "unknown_check", f"No check has the code {code!r}.", code
                    )
        for name, low, high in (("measure_interval", 1, 100), ("ending_notice", 0, 100)):
            value = getattr(self, name)
            if type(value) is not int:
                yield Issue(f"$.{name}", "wrong_type", "Expected a whole number.", value)
            elif not low <= value <= high:
                yield Issue(
                    f"$.{name}",
                    "out_of_range",
                    f"The value must be between {low} and {high}.",
                    value,
                )
        share = self.min_attendance
        if type(share) not in (int, float) or not math.isfinite(share):
            message = "Expected a number between 0 and 1."
            yield Issue("$.min_attendance", "wrong_type", message, share)
        elif not 0 <= share <= 1:
            message = "The share must be between 0 and 1."
            yield Issue("$.min_attendance", "out_of_range", message, share)
        if self.rules is not None and not isinstance(self.rules, RuleSet):
            yield Issue("$.rules", "wrong_type", "Expected a rule set.", self.rules)

    def enabled(self, code: str) -> bool:
        """Whether the check ``code`` runs."""
        return code not in self.disabled

    def severity(self, code: str) -> Severity:
        """The severity findings of check ``code`` get under this configuration."""
        for name, severity in self.severities:
            if name == code:
                return severity
        extra = _EXTRA.get(code)
        return extra[0].severity if extra is not None else _INFO_BY_CODE[code].severity

    def rules_for(self, protocol: Protocol) -> RuleSet:
        """The focus rule set used for a course judged against ``protocol``."""
        if self.rules is not None:
            return self.rules
        if FocusArea.LOSS_OF_HEALTHY_SELF in protocol.focus_areas:
            return IPSRT_RULES
        if FocusArea.INTERPERSONAL_DEFICITS in protocol.focus_areas:
            return WEISSMAN_RULES
        return STUART_RULES


# --------------------------------------------------------------------------
# Facts computed once per course
# --------------------------------------------------------------------------

_MISSED_BY_PATIENT = (SessionStatus.MISSED, SessionStatus.CANCELLED_BY_PATIENT)


def _day(record: SessionRecord) -> dt.date:
    return record.starts_at.date()


def _spent(record: SessionRecord) -> bool:
    """Whether the record spends its number and is past (held, or missed and counted)."""
    return record.counts and record.status is not SessionStatus.PLANNED


class _Facts:
    """What the checks need to know about one course, each computed at most once."""

    def __init__(self, course: TreatmentCourse, protocol: Protocol, config: CheckConfig) -> None:
        self.course = course
        self.protocol = protocol
        self.config = config

    @cached_property
    def acute(self) -> list[tuple[int, SessionRecord]]:
        """Acute records with their index in ``sessions``, in order of start time."""
        found = [
            (index, record)
            for index, record in enumerate(self.course.sessions)
            if record.kind is SessionKind.ACUTE
        ]
        found.sort(key=lambda item: item[1].starts_at)
        return found

    @cached_property
    def held(self) -> list[tuple[int, SessionRecord]]:
        """Acute records of sessions that took place, in order of start time."""
        return [(i, r) for i, r in self.acute if r.status is SessionStatus.HELD]

    @cached_property
    def counted(self) -> dict[int, tuple[int, SessionRecord]]:
        """The record that spends each acute number (made-up misses left out)."""
        return {record.number: (index, record) for index, record in self.acute if record.counts}

    @cached_property
    def acute_days(self) -> dict[int, dt.date]:
        """The local day of each acute number: the schedule's, else the records'.

        Numbers neither holds come from the contract's plan, which is expanded
        only here and only for a contract with amendments (rare in real data).
        """
        course = self.course
        days: dict[int, dt.date] = {}
        contract = course.contract
        if contract is not None and contract.amendments:
            try:
                starts = contract._starts(
                    max([contract.sessions.total, *(a.new_total for a in contract.amendments)])
                )
            except ScheduleError:
                starts = ()
            days.update((n, start.date()) for n, start in enumerate(starts, 1))
        for _, record in self.counted.values():
            days[record.number] = record.starts_at.date()
        if course.schedule is not None:
            info = zone_info(course.schedule.zone)
            for session in course.schedule.acute:
                days[session.number] = _local_date(session.starts_at, info)
        return days

    @property
    def total(self) -> int | None:
        """The contracted acute total after amendments, if there is a contract."""
        contract = self.course.contract
        return contract.total if contract is not None else None

    @cached_property
    def initial_end(self) -> int:
        """The number of the last initial-phase session under the judged protocol.

        Without a contract the protocol's typical total stands in for it.
        """
        total = self.total if self.total is not None else self.protocol.typical_sessions
        return phase_lengths(total, self.protocol)[0]

    def spent(self, number: int) -> tuple[int, SessionRecord] | None:
        """The record spending acute ``number`` if that session is past."""
        found = self.counted.get(number)
        if found is None or not _spent(found[1]):
            return None
        return found

    @cached_property
    def initial_deadline(self) -> tuple[dt.date, int] | None:
        """Date and index of the last initial-phase session, once the phase is over.

        The phase is over when the session numbered :attr:`initial_end` is
        past, or when the course has ended after at least one acute session
        (then the last one past within the phase counts).  ``None`` while the
        initial phase is still running or nothing has happened yet.
        """
        found = self.spent(self.initial_end)
        if found is None and self.course.ended_on is not None:
            earlier = [
                self.counted[n]
                for n in range(self.initial_end - 1, 0, -1)
                if self.spent(n) is not None
            ]
            found = earlier[0] if earlier else None
        if found is None:
            return None
        index, record = found
        return _day(record), index

    @cached_property
    def ended_early(self) -> bool:
        """Whether the course ended, by its recorded reason, before it was completed."""
        reason = self.course.ended_reason
        return reason is not None and reason is not EndReason.COMPLETED

    @cached_property
    def acute_complete(self) -> bool:
        """Whether acute treatment is over: its last session is past, or the course ended."""
        if self.total is not None and self.spent(self.total) is not None:
            return True
        return self.course.ended_on is not None and any(_spent(r) for _, r in self.acute)

    @cached_property
    def measured_days(self) -> frozenset[dt.date]:
        """Days on which a measure was taken outside a session."""
        return frozenset(m.taken_on for m in self.course.measurements)

    @cached_property
    def measured_numbers(self) -> frozenset[int]:
        """Acute session numbers that a measurement outside the records names."""
        return frozenset(
            m.session_number for m in self.course.measurements if m.session_number is not None
        )

    def measured(self, record: SessionRecord) -> bool:
        """Whether a symptom measure was taken at a held acute session (or that day)."""
        return (
            bool(record.scores)
            or record.number in self.measured_numbers
            or _day(record) in self.measured_days
        )

    @cached_property
    def focus_lists(self) -> list[tuple[str, tuple[FocusArea, ...]]]:
        """Every recorded list of focus areas with its path, contract first."""
        course = self.course
        found: list[tuple[str, tuple[FocusArea, ...]]] = []
        if course.contract is not None:
            found.append(("$.contract.focus_areas", course.contract.focus_areas))
        formulation = course.formulation
        if formulation is not None:
            found.append(("$.formulation.focus_areas", formulation.focus_areas))
            found.extend(
                (f"$.formulation.revisions[{i}].focus_areas", revision.focus_areas)
                for i, revision in enumerate(formulation.revisions)
            )
        return found

    def first_path_with(self, area: FocusArea) -> str | None:
        """The path of the first recorded focus list naming ``area``, if any."""
        for path, areas in self.focus_lists:
            if area in areas:
                return path
        return None

    @property
    def onset(self) -> dt.date:
        """Onset of the episode; the course's start when the onset is not recorded."""
        return self.course.onset or self.course.started_on

    @cached_property
    def rules(self) -> RuleSet:
        """The focus rule set in use."""
        return self.config.rules_for(self.protocol)


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

_W = Severity.WARNING


def _areas_text(areas: Iterable[FocusArea]) -> str:
    names = [a.label for a in areas]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- §8.1 the contract ------------------------------------------------------


@_check(
    "contract_missing",
    _W,
    "§8.1, §6",
    "The initial phase is over and the course has no treatment contract.",
)
def _contract_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    if facts.course.contract is None and facts.initial_deadline is not None:
        yield "$.contract", "The initial phase is over but no treatment contract is recorded."


@_check(
    "contract_late",
    _W,
    "§8.1, §6",
    "A party signed the contract after the last session of the initial phase.",
)
def _contract_late(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    deadline = facts.initial_deadline
    if contract is None or deadline is None:
        return
    for index, party in enumerate(contract.parties):
        if party.signed_on is not None and party.signed_on > deadline[0]:
            yield (
                f"$.contract.parties[{index}].signed_on",
                "The contract was signed after the last session of the initial phase "
                f"(session {facts.course.sessions[deadline[1]].label}).",
            )


@_check(
    "contract_unsigned",
    Severity.INFO,
    "§8.1, §6",
    "The initial phase is over and no party's signature date is recorded on the contract.",
)
def _contract_unsigned(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    if contract is None or facts.initial_deadline is None:
        return
    if not any(party.signed_on is not None for party in contract.parties):
        yield (
            "$.contract.parties",
            "No signature date is recorded, so the contract cannot be shown to have been "
            "agreed in the initial phase.",
        )


# -- §8.2 diagnosis and baseline ---------------------------------------------


@_check(
    "diagnosis_missing",
    _W,
    "§8.2, §3.2",
    "The initial phase is over and no diagnosis is recorded.",
)
def _diagnosis_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    if facts.course.diagnosis is None and facts.initial_deadline is not None:
        yield "$.diagnosis", "The initial phase is over but no diagnosis is recorded."


@_check(
    "diagnosis_late",
    _W,
    "§8.2, §3.2",
    "The diagnosis was recorded after the last session of the initial phase.",
)
def _diagnosis_late(facts: _Facts) -> Iterator[tuple[str, str]]:
    diagnosis = facts.course.diagnosis
    deadline = facts.initial_deadline
    if diagnosis is not None and deadline is not None and diagnosis.recorded_on > deadline[0]:
        yield (
            "$.diagnosis.recorded_on",
            "The diagnosis was recorded after the last session of the initial phase "
            f"(session {facts.course.sessions[deadline[1]].label}).",
        )


@_check(
    "baseline_missing",
    _W,
    "§8.2, §7.3",
    "No symptom score is dated on or before the last session of the initial phase.",
)
def _baseline_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    deadline = facts.initial_deadline
    if deadline is None:
        return
    day, index = deadline
    if not any(when <= day for when, _, _ in facts.course.all_scores()):
        yield (
            f"$.sessions[{index}]",
            "No baseline symptom score was taken by the last session of the initial phase.",
        )


# -- §8.3 sick role -----------------------------------------------------------


@_check(
    "sick_role_missing",
    _W,
    "§8.3, §3.2",
    "The initial phase is over and no initial-phase session records that the sick role was given.",
)
def _sick_role_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    if facts.initial_deadline is None:
        return
    end = facts.initial_end
    for record in facts.course.sessions:
        if not record.sick_role_given:
            continue
        if record.kind is SessionKind.PRE_TREATMENT or (
            record.kind is SessionKind.ACUTE and record.number <= end
        ):
            return
    yield "$.sessions", "No session of the initial phase records that the sick role was given."


# -- §8.4 inventory -----------------------------------------------------------


@_check(
    "inventory_missing",
    _W,
    "§8.4, §5",
    "The initial phase is over and no interpersonal inventory is recorded.",
)
def _inventory_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    if facts.course.inventory is None and facts.initial_deadline is not None:
        yield "$.inventory", "The initial phase is over but no interpersonal inventory is recorded."


@_check(
    "inventory_late",
    _W,
    "§8.4, §5",
    "The interpersonal inventory was completed after the last session of the initial phase.",
)
def _inventory_late(facts: _Facts) -> Iterator[tuple[str, str]]:
    inventory = facts.course.inventory
    deadline = facts.initial_deadline
    if inventory is None or deadline is None or inventory.completed_on is None:
        return
    if inventory.completed_on > deadline[0]:
        yield (
            "$.inventory.completed_on",
            "The interpersonal inventory was completed after the last session of the initial "
            f"phase (session {facts.course.sessions[deadline[1]].label}).",
        )


@_check(
    "inventory_empty",
    _W,
    "§8.4, §5",
    "The initial phase is over and the interpersonal inventory lists nobody.",
)
def _inventory_empty(facts: _Facts) -> Iterator[tuple[str, str]]:
    inventory = facts.course.inventory
    if inventory is not None and not inventory.relationships and facts.initial_deadline is not None:
        yield "$.inventory.relationships", "The interpersonal inventory lists nobody."


# -- §8.5 and §2.4 the focus --------------------------------------------------


@_check(
    "too_many_focus_areas",
    _W,
    "§8.5, §2.4",
    "A recorded focus names more areas than the protocol allows (two at most in most "
    "protocols; a third is a loss of focus).",
)
def _too_many_focus_areas(facts: _Facts) -> Iterator[tuple[str, str]]:
    most = facts.protocol.max_focus_areas
    for path, areas in facts.focus_lists:
        if len(areas) > most:
            yield (
                path,
                f"{len(areas)} focus areas are recorded; the {facts.protocol.name} protocol "
                f"allows at most {most}.",
            )


@_check(
    "focus_not_recognised",
    _W,
    "§8.5, §2.1",
    "A recorded focus area is not one the protocol recognises (e.g. interpersonal deficits "
    "under Stuart & Robertson).",
)
def _focus_not_recognised(facts: _Facts) -> Iterator[tuple[str, str]]:
    known = facts.protocol.focus_areas
    for path, areas in facts.focus_lists:
        for position, area in enumerate(areas):
            if area not in known:
                yield (
                    f"{path}[{position}]",
                    f"The {facts.protocol.name} protocol does not recognise this focus area.",
                )


@_check(
    "grief_without_death",
    _W,
    "§8.5, §2.2",
    "Grief is a focus, but the inventory lists no deceased person and no death is "
    "recorded among the life events (nor, under rules where grief need not follow a "
    "death, such as Stuart & Robertson's, a loss those rules count towards grief).",
)
def _grief_without_death(facts: _Facts) -> Iterator[tuple[str, str]]:
    path = facts.first_path_with(FocusArea.GRIEF)
    if path is None:
        return
    course = facts.course
    if any(event.kind is LifeEventKind.DEATH for event in course.life_events):
        return
    if course.inventory is not None and any(r.deceased for r in course.inventory.relationships):
        return
    # §2.2 rule 1 is a parameter of the rules (§9 "Scope of grief"): where grief
    # need not follow a death, a loss the rules count towards grief supports it.
    rules = facts.rules
    if not rules.grief_requires_death and any(
        trigger.area is FocusArea.GRIEF and trigger.weight > 0
        for event in course.life_events
        for trigger in rules.triggers_for(event.kind)
    ):
        return
    if rules.grief_requires_death:
        message = "Grief is a focus, but no death is recorded in the inventory or the life events."
    else:
        message = (
            f"Grief is a focus, but no death, and no loss the {rules.name} rules count towards "
            "grief, is recorded in the inventory or the life events."
        )
    yield path, message


def _dispute_people(facts: _Facts) -> bool:
    course = facts.course
    # Unmet (non-reciprocal) expectations are the marker of a dispute (§5), so
    # a living person with them is a person the dispute can be with, as the
    # classifier counts them.
    if course.inventory is not None and any(
        (r.in_dispute or r.has_unmet_expectations) and not r.deceased
        for r in course.inventory.relationships
    ):
        return True
    return any(
        event.kind is LifeEventKind.CONFLICT and event.person is not None
        for event in course.life_events
    )


@_check(
    "dispute_without_person",
    _W,
    "§8.5, §2.2, §5",
    "Role dispute is a focus, but no living person in the inventory is marked as in "
    "dispute or has unmet expectations, and no conflict event names a person.",
)
def _dispute_without_person(facts: _Facts) -> Iterator[tuple[str, str]]:
    path = facts.first_path_with(FocusArea.ROLE_DISPUTE)
    if path is not None and not _dispute_people(facts):
        yield (
            path,
            "Role dispute is a focus, but no person in dispute is recorded in the inventory "
            "or the life events.",
        )


@_check(
    "dispute_without_stage",
    _W,
    "§8.5, §2.3",
    "Role dispute is a focus, but no dispute stage is recorded on the contract or in the "
    "inventory.",
)
def _dispute_without_stage(facts: _Facts) -> Iterator[tuple[str, str]]:
    path = facts.first_path_with(FocusArea.ROLE_DISPUTE)
    if path is None:
        return
    course = facts.course
    if course.contract is not None and course.contract.dispute_stage is not None:
        return
    if course.inventory is not None and any(
        r.dispute_stage is not None for r in course.inventory.relationships
    ):
        return
    where = "$.contract.dispute_stage" if course.contract is not None else path
    yield where, "Role dispute is a focus, but its stage is not recorded."


@_check(
    "deficits_despite_events",
    _W,
    "§8.5, §2.2 rules 2-3",
    "Interpersonal deficits is a focus although a death, conflict or role change lies near "
    "the onset; deficits is the last resort.",
)
def _deficits_despite_events(facts: _Facts) -> Iterator[tuple[str, str]]:
    path = facts.first_path_with(FocusArea.INTERPERSONAL_DEFICITS)
    rules = facts.rules
    if path is None or not rules.deficits_last_resort:
        return  # rules without the last-resort rule (§2.2 rule 2) weigh deficits like any area
    onset = facts.onset
    near: set[FocusArea] = set()
    for event in facts.course.life_events:
        areas = {
            t.area
            for t in rules.triggers_for(event.kind)
            if t.area is not FocusArea.INTERPERSONAL_DEFICITS and t.weight > 0
        }
        if areas and rules.timing_weight(event.date, onset) > 0:
            near |= areas
    if near:
        ordered = [a for a in FocusArea if a in near]
        yield (
            path,
            "Interpersonal deficits is a focus, yet life events near the onset point to "
            f"{_areas_text(ordered)}; deficits is chosen only when none applies.",
        )


def _possible_areas(facts: _Facts, rules: RuleSet) -> set[FocusArea]:
    """Every area :func:`classify` could possibly propose for the course (a superset).

    The classifier weighs trigger events, deceased and disputed people and,
    for interpersonal deficits, signs of isolation in an inventory that lists
    someone.  Deficits is left out only when the rules treat it as the last
    resort and other evidence surely carries weight: a trigger event inside
    the timing window (other than a dispute, which a death can void, or a
    loss that is not a death where grief needs one), or a living person
    marked as in dispute.
    """
    course = facts.course
    deficits = FocusArea.INTERPERSONAL_DEFICITS
    found: set[FocusArea] = set()
    weighty = False
    for event in course.life_events:
        for trigger in rules.triggers_for(event.kind):
            area = trigger.area
            found.add(area)
            if (
                not weighty
                and area is not deficits
                and area is not FocusArea.ROLE_DISPUTE
                and rules.recognises(area)
                and trigger.weight > 0
                and not (
                    area is FocusArea.GRIEF
                    and rules.grief_requires_death
                    and event.kind is not LifeEventKind.DEATH
                )
                and rules.timing_weight(event.date, facts.onset) > 0
            ):
                weighty = True
    inventory = course.inventory
    if inventory is not None and inventory.relationships:
        for relationship in inventory.relationships:
            if relationship.deceased:
                found.add(FocusArea.GRIEF)
            elif relationship.in_dispute or relationship.has_unmet_expectations:
                found.add(FocusArea.ROLE_DISPUTE)
                if relationship.in_dispute and rules.dispute_weight > 0:
                    weighty = weighty or rules.recognises(FocusArea.ROLE_DISPUTE)
        if not (rules.deficits_last_resort and weighty):
            found.add(deficits)
    return {area for area in found if rules.recognises(area)}


@_check(
    "focus_differs_from_evidence",
    Severity.INFO,
    "§2.2, §5, §9",
    "The focus proposed by classifying the life events and the inventory is not among the "
    "recorded focus areas.",
)
def _focus_differs_from_evidence(facts: _Facts) -> Iterator[tuple[str, str]]:
    course = facts.course
    if course.formulation is not None:
        path = "$.formulation.focus_areas"
        recorded = sorted(course.formulation.all_focus_areas, key=list(FocusArea).index)
    elif course.contract is not None:
        path = "$.contract.focus_areas"
        recorded = list(course.contract.focus_areas)
    else:
        return
    rules = facts.rules
    if _possible_areas(facts, rules) <= set(recorded):
        return  # whatever classify proposes is recorded: skip the work
    assessment = classify(
        course.life_events, onset=facts.onset, inventory=course.inventory, rules=rules
    )
    if assessment.primary is None:
        return
    disagreement = compare_focus(recorded, assessment)
    if disagreement is not None and disagreement.missing:
        yield (
            path,
            f"Under the {rules.name} rules the recorded events and inventory point to "
            f"{assessment.primary.label}, which is not a recorded focus. " + disagreement.message,
        )


@_check(
    "focus_not_agreed",
    _W,
    "§8.11, §6",
    "A session works on a focus area not agreed at its date: the focus changed without a "
    "recorded renegotiation (a formulation revision).",
)
def _focus_not_agreed(facts: _Facts) -> Iterator[tuple[str, str]]:
    course = facts.course
    formulation = course.formulation
    if formulation is None and course.contract is None:
        return
    fixed = course.contract.focus_areas if course.contract is not None else ()
    for index, record in enumerate(course.sessions):
        if not record.focus_areas:
            continue
        agreed = formulation.focus_on(_day(record)) if formulation is not None else fixed
        extra = [a for a in record.focus_areas if a not in agreed]
        if extra:
            yield (
                f"$.sessions[{index}].focus_areas",
                f"Session {record.label} works on a focus area that was not agreed on that "
                "day, and no renegotiation is recorded.",
            )


# -- §8.6 and §4 the contract against the protocol ----------------------------


@_check(
    "total_outside_protocol",
    _W,
    "§4, §8.6",
    "The contracted number of acute sessions lies outside the protocol's minimum to maximum.",
)
def _total_outside_protocol(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    protocol = facts.protocol
    if contract is not None and not protocol.allows_total(contract.sessions.total):
        yield (
            "$.contract.sessions.total",
            f"The contracted number of acute sessions is outside the {protocol.min_sessions} "
            f"to {protocol.max_sessions} the {protocol.name} protocol plans.",
        )


@_check(
    "amendment_beyond_protocol",
    _W,
    "§8.6, §6",
    "An amendment extends the acute course beyond the protocol's maximum number of sessions.",
)
def _amendment_beyond_protocol(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    if contract is None:
        return
    most = facts.protocol.max_sessions
    for index, amendment in enumerate(contract.amendments):
        if amendment.new_total > most:
            yield (
                f"$.contract.amendments[{index}].new_total",
                f"An amendment extends the course beyond the {most} acute sessions the "
                f"{facts.protocol.name} protocol plans at most.",
            )


@_check(
    "amended_in_termination",
    _W,
    "§6, §8.6",
    "An amendment changes the acute total once the termination phase has begun; the "
    "manuals advise keeping to the contract and offering another treatment instead.",
)
def _amended_in_termination(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    if contract is None or not contract.amendments:
        return
    days = facts.acute_days
    in_force = contract.sessions.total
    for index, amendment in enumerate(contract.amendments):
        first_termination = in_force - phase_lengths(in_force, contract.protocol)[2] + 1
        day = days.get(first_termination)
        if day is not None and amendment.agreed_on >= day:
            yield (
                f"$.contract.amendments[{index}].agreed_on",
                "An amendment is agreed on or after the day of the first termination-phase "
                "session under the total it changes.",
            )
        in_force = amendment.new_total


@_check(
    "minutes_outside_protocol",
    _W,
    "§4",
    "The contracted session length lies outside the protocol's range of minutes.",
)
def _minutes_outside_protocol(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    protocol = facts.protocol
    if contract is None:
        return
    minutes = contract.sessions.minutes
    if not protocol.min_minutes <= minutes <= protocol.max_minutes:
        yield (
            "$.contract.sessions.minutes",
            f"The contracted session length is outside the {protocol.min_minutes} to "
            f"{protocol.max_minutes} minutes the {protocol.name} protocol plans.",
        )


@_check(
    "frequency_outside_protocol",
    _W,
    "§4",
    "The contracted frequency of sessions is not one the protocol allows.",
)
def _frequency_outside_protocol(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    protocol = facts.protocol
    if contract is not None and contract.sessions.frequency not in protocol.frequencies:
        allowed = ", ".join(f.value.replace("_", " ") for f in protocol.frequencies)
        yield (
            "$.contract.sessions.frequency",
            f"The contracted frequency is not one the {protocol.name} protocol allows ({allowed}).",
        )


@_check(
    "format_mismatch",
    _W,
    "§4",
    "The contract's format (individual, group, conjoint) differs from the protocol's.",
)
def _format_mismatch(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    protocol = facts.protocol
    if contract is not None and contract.format is not protocol.format:
        yield (
            "$.contract.format",
            f"The contract's format differs from the {protocol.name} protocol's, which is "
            f"delivered as {protocol.format.value}.",
        )


def _age_range_text(protocol: Protocol) -> str:
    low, high = protocol.min_age, protocol.max_age
    if low is not None and high is not None:
        return f"ages {low} to {high}"
    if low is not None:
        return f"ages {low} and over"
    return f"ages up to {high}"


@_check(
    "age_outside_protocol",
    _W,
    "§4",
    "The patient's age at the start of the course lies outside the age range the protocol "
    "is for (IPT-A: adolescents 12-18).",
)
def _age_outside_protocol(facts: _Facts) -> Iterator[tuple[str, str]]:
    age = facts.course.age_at_start
    protocol = facts.protocol
    if age is None or protocol.allows_age(age):
        return
    # The message names the protocol's range, never the patient's age.
    yield (
        "$.age_at_start",
        f"The patient's age at the start of the course is outside the {protocol.name} "
        f"protocol's {_age_range_text(protocol)}.",
    )


# -- §8.7 and §8.8 measures ----------------------------------------------------


@_check(
    "measure_gap",
    _W,
    "§8.7, §7.3",
    "Held acute sessions went by without a symptom measure for the configured interval "
    "(4 by default, after the IPT Institute).",
)
def _measure_gap(facts: _Facts) -> Iterator[tuple[str, str]]:
    interval = facts.config.measure_interval
    run = 0
    for index, record in facts.held:
        if facts.measured(record):
            run = 0
            continue
        run += 1
        if run == interval:
            run = 0
            yield (
                f"$.sessions[{index}]",
                f"No symptom measure was taken in {interval} held sessions up to "
                f"session {record.label}.",
            )


@_check(
    "final_measure_missing",
    _W,
    "§8.7",
    "Acute treatment is over and no symptom measure was taken at its last held session.",
)
def _final_measure_missing(facts: _Facts) -> Iterator[tuple[str, str]]:
    # A course that ended early has no planned last session to measure at.
    if not facts.acute_complete or not facts.held or facts.ended_early:
        return
    index, record = facts.held[-1]
    if not facts.measured(record):
        yield (
            f"$.sessions[{index}]",
            f"No symptom measure was taken at session {record.label}, the last acute session held.",
        )


def _flagged(scores: Iterable[Score]) -> Iterator[int]:
    for position, item in enumerate(scores):
        if item.safety_flag is True:
            yield position


def _risk_assessed_days(course: TreatmentCourse) -> set[dt.date]:
    """Days with a recorded risk assessment: at a session, or with a measurement."""
    days = {_day(r) for r in course.sessions if r.risk_assessed}
    days.update(m.risk_assessed_on for m in course.measurements if m.risk_assessed_on is not None)
    return days


@_check(
    "safety_unassessed",
    Severity.ERROR,
    "§8.8, §7.1",
    "A safety item (PHQ-9 item 9, BDI-II item 9, HAM-D17 item 3) is positive, in the item "
    "answers, in the answer recorded beside a total, or because the total is too high for it "
    "to be 0, and no risk assessment is recorded on that day (a session record marked "
    "risk_assessed, or a measurement with risk_assessed_on that day).",
)
def _safety_unassessed(facts: _Facts) -> Iterator[tuple[str, str]]:
    course = facts.course
    assessed_days = _risk_assessed_days(course)
    for index, record in enumerate(course.sessions):
        if _day(record) in assessed_days:
            continue
        for position in _flagged(record.scores):
            yield (
                f"$.sessions[{index}].scores[{position}]",
                "A safety item is positive at this session and no risk assessment is "
                "recorded that day; follow up on suicide risk.",
            )
    assessed_sessions = {(r.kind, r.number) for r in course.sessions if r.risk_assessed}
    for index, measurement in enumerate(course.measurements):
        if measurement.score.safety_flag is not True:
            continue
        if measurement.taken_on in assessed_days:
            continue
        if (measurement.session_kind, measurement.session_number) in assessed_sessions:
            continue
        yield (
            f"$.measurements[{index}].score",
            "A safety item is positive in this measure and no risk assessment is recorded "
            "that day; follow up on suicide risk.",
        )


def _safety_unknown(item: Score) -> bool:
    """Whether a score of an instrument with a safety item leaves a positive answer open."""
    return (
        item.definition.safety_item is not None
        and item.safety_answer is None
        and item.safety_flag is not False
    )


def _unknown_safety_message(item: Score) -> str:
    if item.total in item.definition.top_band:
        return (
            "A total in the instrument's most severe band is recorded without its safety "
            "item's answer: make sure suicide risk was assessed, and record the answer "
            "beside the total."
        )
    return (
        "A total is recorded without its safety item's answer, so a positive safety item "
        "cannot be ruled out; record the answer beside the total."
    )


@_check(
    "safety_item_unknown",
    _W,
    "§7.1, §8.8",
    "A score of an instrument with a safety item (PHQ-9, BDI-II, HAM-D17) is a total without "
    "the safety item's answer, so a positive safety item cannot be ruled out (a total of 0 "
    "rules it out); the message is stronger when the total is in the instrument's most "
    "severe band.",
)
def _safety_item_unknown(facts: _Facts) -> Iterator[tuple[str, str]]:
    course = facts.course
    for index, record in enumerate(course.sessions):
        for position, item in enumerate(record.scores):
            if _safety_unknown(item):
                yield f"$.sessions[{index}].scores[{position}]", _unknown_safety_message(item)
    for index, measurement in enumerate(course.measurements):
        if _safety_unknown(measurement.score):
            yield f"$.measurements[{index}].score", _unknown_safety_message(measurement.score)


# -- §8.9 and §8.10 the ending --------------------------------------------------


@_check(
    "ending_not_raised",
    _W,
    "§8.9, §3.2",
    "The end of treatment was not raised at a held session at least the configured number "
    "of sessions (2 by default) before the last contracted acute session.",
)
def _ending_not_raised(facts: _Facts) -> Iterator[tuple[str, str]]:
    total = facts.total
    if total is None:
        return
    latest = max(total - facts.config.ending_notice, 1)
    due = facts.spent(latest)
    if due is None:
        return
    for _, record in facts.held:
        if record.ending_raised and record.number <= latest:
            return
    yield (
        f"$.sessions[{due[0]}]",
        f"The end of treatment was not raised {total - latest} or more sessions before the "
        "last contracted acute session.",
    )


@_check(
    "maintenance_not_discussed",
    _W,
    "§8.10, §6, §3.3",
    "Acute treatment is over and no record shows that continuation or maintenance "
    "treatment was discussed.",
)
def _maintenance_not_discussed(facts: _Facts) -> Iterator[tuple[str, str]]:
    # Maintenance follows a completed acute course, not a dropout or referral.
    if not facts.acute_complete or facts.ended_early:
        return
    course = facts.course
    if course.maintenance is not None:
        return
    if course.contract is not None and course.contract.maintenance_discussed is True:
        return
    if any(r.maintenance_discussed or r.kind is SessionKind.MAINTENANCE for r in course.sessions):
        return
    path = "$.contract.maintenance_discussed" if course.contract is not None else "$"
    yield path, "Acute treatment is over and maintenance treatment was not discussed."


@_check(
    "ended_early",
    Severity.INFO,
    "§6, §3.2",
    "The course ended before it was completed (dropped out, referred on, moved away, "
    "ended by the clinician or for another reason); its last-session checks are not applied.",
)
def _ended_early(facts: _Facts) -> Iterator[tuple[str, str]]:
    reason = facts.course.ended_reason
    if facts.ended_early and reason is not None:
        yield "$.ended_reason", _EARLY_END_MESSAGES[reason]


_EARLY_END_MESSAGES = {
    EndReason.DROPPED_OUT: "The patient dropped out before the course was completed.",
    EndReason.REFERRED_ON: "The course ended early with a referral to another service.",
    EndReason.MOVED_AWAY: "The course ended early because the patient moved away.",
    EndReason.CLINICIAN_ENDED: "The clinician or the service ended the course early.",
    EndReason.OTHER: "The course ended early for another reason.",
}


@_check(
    "relapse_without_plan",
    _W,
    "§3.3, §7",
    "Symptoms returned after remission at the end of the acute course (course.relapse()) and "
    "no change of plan is recorded from then on: no formulation revision, contract amendment "
    "or maintenance agreement, and the course did not end with a referral.",
)
def _relapse_without_plan(facts: _Facts) -> Iterator[tuple[str, str]]:
    course = facts.course
    for instrument in RETURN_THRESHOLDS:
        found = course.relapse(instrument)
        if found is None:
            continue
        since = found.returned[0].on
        if course.ended_reason is EndReason.REFERRED_ON:
            continue
        changes = [a.agreed_on for a in course.contract.amendments] if course.contract else []
        if course.formulation is not None:
            changes += [revision.on for revision in course.formulation.revisions]
        if course.maintenance is not None:
            changes.append(course.maintenance.agreed_on)
        if any(day >= since for day in changes):
            continue
        yield (
            found.returned[-1].path,
            f"Symptoms returned after remission ({found.kind.value}) and no change of plan "
            "is recorded since.",
        )


# -- attendance ---------------------------------------------------------------


@_check(
    "low_attendance",
    Severity.INFO,
    "§6",
    "The patient attended fewer past acute sessions than the configured share (75% by "
    "default; a convention).",
)
def _low_attendance(facts: _Facts) -> Iterator[tuple[str, str]]:
    rate = facts.course.attendance_rate
    if rate is not None and rate < facts.config.min_attendance:
        yield (
            "$.sessions",
            "The patient attended fewer past acute sessions than the "
            f"{facts.config.min_attendance:.0%} expected.",
        )


@_check(
    "missed_beyond_policy",
    _W,
    "§6",
    "The patient missed more acute sessions than the contract's contingency policy allows "
    "before a review.",
)
def _missed_beyond_policy(facts: _Facts) -> Iterator[tuple[str, str]]:
    contract = facts.course.contract
    if contract is None or contract.contingency.max_missed is None:
        return
    allowed = contract.contingency.max_missed
    missed = 0
    for index, record in facts.acute:
        if record.status in _MISSED_BY_PATIENT:
            missed += 1
            if missed == allowed + 1:
                yield (
                    f"$.sessions[{index}]",
                    "With this session, more acute sessions have been missed than the "
                    "contract allows before the course is reviewed.",
                )
                return


# --------------------------------------------------------------------------
# Closed groups
# --------------------------------------------------------------------------
#
# A group course is checked by checks of its own, registered here: they read
# the group's schedule and each member's attendance, never a course's records.


class _GroupFacts:
    """What the group checks need to know about one group course, each computed at most once."""

    def __init__(self, group: GroupCourse, protocol: Protocol, config: CheckConfig) -> None:
        self.group = group
        self.protocol = protocol
        self.config = config

    @cached_property
    def held_days(self) -> list[tuple[int, dt.date]]:
        """Number and local day of each group session the schedule marks as held."""
        group = self.group
        return [(s.number, group.local_day(s.starts_at)) for s in group.held]


_GroupCheck = Callable[[_GroupFacts], Iterator[tuple[str, str]]]
_GROUP_REGISTRY: list[tuple[CheckInfo, _GroupCheck]] = []


def _group_check(
    code: str, severity: Severity, source: str, description: str
) -> Callable[[_GroupCheck], _GroupCheck]:
    """Register a check of group courses under ``code``."""

    def register(function: _GroupCheck) -> _GroupCheck:
        _GROUP_REGISTRY.append((CheckInfo(code, severity, source, description), function))
        return function

    return register


@_group_check(
    "member_missed_too_many",
    _W,
    "§6, §4",
    "A member of a closed group missed more group sessions than the group's contract allows "
    "before a review (its contingency policy's max_missed).",
)
def _member_missed_too_many(facts: _GroupFacts) -> Iterator[tuple[str, str]]:
    contract = facts.group.contract
    if contract is None or contract.contingency.max_missed is None:
        return
    allowed = contract.contingency.max_missed
    for index, member in enumerate(facts.group.members):
        missed = 0
        for row_index, row in enumerate(member.attendance):
            if row.number == 0 or row.status not in _MISSED_BY_PATIENT:
                continue  # the pre-group meeting is not a group session
            missed += 1
            if missed == allowed + 1:
                yield (
                    f"$.members[{index}].attendance[{row_index}]",
                    "With this group session, the member has missed more group sessions than "
                    "the group's contract allows before a review.",
                )
                break


@_group_check(
    "member_attendance_missing",
    _W,
    "§4",
    "A group session the schedule marks as held has no attendance row for a member who had "
    "not left the group by then; one finding per member.",
)
def _member_attendance_missing(facts: _GroupFacts) -> Iterator[tuple[str, str]]:
    held = facts.held_days
    if not held:
        return
    for index, member in enumerate(facts.group.members):
        recorded = {row.number for row in member.attendance}
        left = member.left_on
        if any(n not in recorded and (left is None or day <= left) for n, day in held):
            yield (
                f"$.members[{index}].attendance",
                "The member has no attendance recorded for one or more group sessions the "
                "schedule marks as held, although the member had not left the group by then.",
            )


#: Every check :func:`check` runs, as :class:`CheckInfo` records, grouped as in §8 of
#: the domain reference, then the checks of closed groups.  Codes are stable; new
#: checks may be added.
CHECKS: tuple[CheckInfo, ...] = tuple(info for info, _ in [*_REGISTRY, *_GROUP_REGISTRY])
_INFO_BY_CODE = {info.code: info for info in CHECKS}


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

_DEFAULT_CONFIG = CheckConfig()


def check(
    course: TreatmentCourse | GroupCourse,
    *,
    protocol: Protocol | None = None,
    config: CheckConfig | None = None,
) -> tuple[Finding, ...]:
    """Return the protocol departures found in a treatment course or a closed group.

    Never raises on a valid course: departures are findings, not errors
    (design note "Invariants versus findings").  Checks whose deadline has
    not come yet (the end of the initial phase, the end of acute treatment)
    report nothing until it has passed.  A :class:`~iptkit.GroupCourse` gets
    the checks of closed groups (``member_missed_too_many``,
    ``member_attendance_missing``); a treatment course all the others.

    >>> import datetime as dt
    >>> from zoneinfo import ZoneInfo
    >>> from iptkit import FocusArea, Frequency, SessionTerms, TreatmentContract, TreatmentCourse
    >>> from iptkit.protocols import STANDARD
    >>> contract = TreatmentContract(
    ...     protocol=STANDARD,
    ...     sessions=SessionTerms(
    ...         total=20,
    ...         frequency=Frequency.WEEKLY,
    ...         minutes=50,
    ...         first_session=dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Europe/London")),
    ...         zone="Europe/London",
    ...     ),
    ...     focus_areas=(FocusArea.ROLE_TRANSITION,),
    ... )
    >>> course = TreatmentCourse(
    ...     patient_id="AB-123", started_on=dt.date(2026, 2, 20), contract=contract
    ... )
    >>> for finding in check(course):
    ...     print(finding.severity.value, finding.code, finding.path)
    warning total_outside_protocol $.contract.sessions.total
    >>> check(course, config=CheckConfig(disabled={"total_outside_protocol"}))
    ()

    Args:
        course: the treatment course or group course to check.
        protocol: the protocol to judge the course against; ``None`` for the
            course's own (``course.protocol``).
        config: which checks run, their severities and thresholds; ``None``
            for the defaults.

    Returns:
        The findings, sorted by path, then code, then message.

    Raises:
        ValidationError: an argument has the wrong type (``wrong_type`` at
            ``$.course``, ``$.protocol`` or ``$.config``).
    """
    issues: list[Issue] = []
    if not isinstance(course, (TreatmentCourse, GroupCourse)):
        message = "Expected a treatment course or a group course."
        issues.append(Issue("$.course", "wrong_type", message, course))
    if protocol is not None and not isinstance(protocol, Protocol):
        issues.append(Issue("$.protocol", "wrong_type", "Expected a protocol.", protocol))
    if config is not None and not isinstance(config, CheckConfig):
        issues.append(Issue("$.config", "wrong_type", "Expected a check configuration.", config))
    if issues:
        raise ValidationError(issues)
    settings = config if config is not None else _DEFAULT_CONFIG
    if isinstance(course, GroupCourse):
        judged = protocol if protocol is not None else course.protocol
        return _group_findings(_GroupFacts(course, judged, settings), settings)
    facts = _Facts(course, protocol if protocol is not None else course.protocol, settings)
    found: list[Finding] = []
    for info, function in _REGISTRY:
        if info.code in settings.disabled:
            continue
        severity = settings.severity(info.code)
        found.extend(
            Finding(severity, info.code, path, message) for path, message in function(facts)
        )
    found.extend(_registered_findings(course, facts.protocol, settings))
    found.sort(key=lambda finding: finding.sort_key)
    return tuple(found)


def _group_findings(facts: _GroupFacts, settings: CheckConfig) -> tuple[Finding, ...]:
    """Run the checks of closed groups; the findings sorted as :func:`check` sorts them."""
    found = [
        Finding(settings.severity(info.code), info.code, path, message)
        for info, function in _GROUP_REGISTRY
        if info.code not in settings.disabled
        for path, message in function(facts)
    ]
    found.sort(key=lambda finding: finding.sort_key)
    return tuple(found)


# --------------------------------------------------------------------------
# Checks registered by users and plugins
# --------------------------------------------------------------------------

#: A registered check: the course, the protocol it is judged against and the
#: configuration in, ``(path, message)`` pairs out.
RegisteredCheck = Callable[[TreatmentCourse, Protocol, CheckConfig], Iterable[tuple[str, str]]]

#: The code of the finding that stands in for a registered check that failed.
CHECK_FAILED = "check_failed"

#: The entry-point group :func:`load_check_plugins` loads.
PLUGIN_GROUP = "iptkit.checks"

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

#: The entry points :func:`load_check_plugins` has loaded in this process.
_LOADED_PLUGINS: set[tuple[str, str]] = set()


def register_check(
    *, code: str, severity: Severity, title: str, source: str = ""
) -> Callable[[RegisteredCheck], RegisteredCheck]:
    """Register a check of your own; use it as a decorator.

    The decorated function is called as ``function(course, protocol,
    config)`` with the :class:`~iptkit.TreatmentCourse`, the
    :class:`~iptkit.Protocol` the course is judged against and the
    :class:`CheckConfig` in use, and yields ``(path, message)`` pairs: a
    JSON path into the course document (starting with ``$``) and one plain
    sentence.  A message must never contain values from the record (names,
    free text, labels, dates, scores): findings are printed and shared.

    Registered checks run in :func:`check` on treatment courses, after the
    built-in ones, unless a :class:`CheckConfig` disables their code.  If a
    check raises, or yields something other than a pair of texts, :func:`check`
    still returns: that check's findings are replaced by one ``check_failed``
    finding (severity error, path ``$``) naming its code, so a broken rule
    is never silently skipped.

    >>> @register_check(code="doc_example", severity=Severity.INFO, title="An example.")
    ... def _example(course, protocol, config):
    ...     yield "$", "An example finding."
    >>> [info.code for info in registered_checks()]
    ['doc_example']
    >>> unregister_check("doc_example")

    Args:
        code: a snake_case code, not taken by a built-in or registered check.
        severity: the default severity of its findings.
        title: what a finding means, in one sentence.
        source: where the rule comes from (a local standard, a paper).

    Returns:
        A decorator that registers the function and returns it unchanged.

    Raises:
        ValueError: the code is not snake_case, or is already taken.
        TypeError: the severity is not a :class:`Severity`, or the title or
            source is not text.
    """
    if not isinstance(code, str) or not _SNAKE_CASE.fullmatch(code):
        raise ValueError(f"A check code must be snake_case text, not {code!r}.")
    if code in _INFO_BY_CODE or code == CHECK_FAILED:
        raise ValueError(f"The code {code!r} belongs to a built-in check.")
    if code in _EXTRA:
        raise ValueError(f"A check with the code {code!r} is already registered.")
    if not isinstance(severity, Severity):
        raise TypeError(f"The severity must be a Severity, not {type(severity).__name__}.")
    if not isinstance(title, str) or not isinstance(source, str):
        raise TypeError("The title and the source must be text.")

    def register(function: RegisteredCheck) -> RegisteredCheck:
        if code in _EXTRA:
            raise ValueError(f"A check with the code {code!r} is already registered.")
        if not callable(function):
            raise TypeError("Only a function can be registered as a check.")
        _EXTRA[code] = (CheckInfo(code, severity, source, title), function)
        return function

    return register


def unregister_check(code: str) -> None:
    """Remove the registered check ``code`` (built-in checks cannot be removed).

    Raises:
        ValueError: no registered check has that code.
    """
    if _EXTRA.pop(code, None) is None:
        raise ValueError(f"No registered check has the code {code!r}.")


def registered_checks() -> tuple[CheckInfo, ...]:
    """Return the checks registered with :func:`register_check`, in registration order.

    :data:`CHECKS` lists the built-in checks only; these run after them.
    """
    return tuple(info for info, _ in _EXTRA.values())


def load_check_plugins() -> tuple[str, ...]:
    """Load every entry point of the ``iptkit.checks`` group, once per process.

    An entry point names a module (importing it registers its checks) or a
    function, which is called with no arguments.  ``iptkit check`` calls
    this itself, in the main process and in every worker; a program using
    :func:`check` directly calls it once before building a
    :class:`CheckConfig` that names a plugin's code.

    Returns:
        The names of the entry points loaded by this call, sorted.

    Raises:
        Exception: whatever loading an entry point raised, with a note
            naming the entry point.
    """
    from importlib.metadata import entry_points

    loaded: list[str] = []
    for point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: (p.name, p.value)):
        key = (point.name, point.value)
        if key in _LOADED_PLUGINS:
            continue
        try:
            target = point.load()
            if callable(target) and not isinstance(target, types.ModuleType):
                target()
        except Exception as exc:
            exc.add_note(f"while loading the {PLUGIN_GROUP} entry point {point.name!r}")
            raise
        _LOADED_PLUGINS.add(key)
        loaded.append(point.name)
    return tuple(loaded)


def _registered_findings(
    course: TreatmentCourse, protocol: Protocol, settings: CheckConfig
) -> Iterator[Finding]:
    """Run the registered checks; a failing one becomes one ``check_failed`` finding."""
    for code, (_, function) in list(_EXTRA.items()):
        if code in settings.disabled:
            continue
        pairs: list[tuple[str, str]] | None
        failure = ""
        try:
            pairs = list(function(course, protocol, settings))
            if not all(
                isinstance(pair, tuple)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and pair[0].startswith("$")
                and isinstance(pair[1], str)
                for pair in pairs
            ):
                pairs = None
                failure = "it yielded something other than (path, message) pairs"
        except Exception as exc:
            pairs = None
            failure = f"it raised {type(exc).__name__}"
        if pairs is None:
            message = f"The registered check {code!r} failed ({failure}); its rule was not applied."
            yield Finding(Severity.ERROR, CHECK_FAILED, "$", message)
            continue
        severity = settings.severity(code)
        for path, text in pairs:
            yield Finding(severity, code, path, text)
