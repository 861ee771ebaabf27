"""Protocol variants of IPT and the phase of each acute session.

The sources disagree on where the phases of acute IPT begin and end (domain
reference §3.1, §4, §9), so the boundaries are a property of a named
:class:`Protocol`, never a constant: a protocol's :class:`PhaseRule` says how
many sessions the initial phase and the termination phase take.

:func:`phase_of` is rule 3 of the session-numbering rules: the phase of an
acute session is a function of its number, the contracted total and the
protocol; phases never go backwards as numbers rise.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from iptkit._errors import Issue, ValidationError
from iptkit._focus import (
    CLASSIC_FOCUS_AREAS,
    Alias,
    FocusArea,
    parse_spelling,
    spelling_lookup,
)
from iptkit._model import distinct, field, model

__all__ = [
    "ADOLESCENT",
    "BRIEF",
    "BUILTIN_PROTOCOLS",
    "COMMUNITY_GROUP",
    "COUNSELING",
    "GROUP",
    "IPSRT",
    "IPT_UK",
    "PHASE_ALIASES",
    "STANDARD",
    "STUART",
    "WHO_GROUP",
    "Format",
    "Frequency",
    "Phase",
    "PhaseRule",
    "Protocol",
    "phase_lengths",
    "phase_of",
]

#: A course needs at least one session in each acute phase.
MIN_ACUTE_SESSIONS = 3


class Phase(enum.Enum):
    """Phase of a course of IPT, in the order they happen."""

    INITIAL = "initial"
    MIDDLE = "middle"
    TERMINATION = "termination"
    MAINTENANCE = "maintenance"

    @property
    def order(self) -> int:
        """Position of the phase in a course (0 for initial ... 3 for maintenance)."""
        return _PHASE_ORDER[self]

    @classmethod
    def parse(cls, text: str) -> Phase:
        """Read a phase from its value or a common human spelling.

        Case, hyphens, underscores and spacing do not matter, and a trailing
        word "phase" is ignored ("Initial phase").  The spellings accepted
        besides the values, each with its source, are listed by
        :meth:`aliases`; Stuart & Robertson's "conclusion" is the termination
        phase.  A :class:`Phase` is returned as it is.

        >>> Phase.parse("Conclusion")
        <Phase.TERMINATION: 'termination'>
        >>> Phase.parse("middle phase")
        <Phase.MIDDLE: 'middle'>

        Raises:
            ValidationError: ``text`` is not text (``wrong_type``) or is not a
                phase or a known spelling of one (``invalid_value``).  The
                message never quotes the text; the issue keeps it as its
                ``input``.
        """
        return parse_spelling(cls, _PHASE_LOOKUP, text, "a phase", ignore_suffix=" phase")

    @classmethod
    def aliases(cls) -> tuple[Alias[Phase], ...]:
        """Every human spelling :meth:`parse` reads besides the values, with its source."""
        return PHASE_ALIASES


_PHASE_ORDER = {phase: index for index, phase in enumerate(Phase)}

#: Every human spelling of a phase that :meth:`Phase.parse` reads, with its
#: source (domain reference §1, §3.1, §4 and §9).  The values themselves are
#: read too and are not listed.  The one home of these spellings: the table in
#: the documentation is tested against it.
PHASE_ALIASES: tuple[Alias[Phase], ...] = (
    Alias(
        "conclusion",
        Phase.TERMINATION,
        "§1, §3.1, §9: Stuart & Robertson, 2nd ed. (IPT Institute) [M]",
    ),
    Alias(
        "conclusion of acute treatment",
        Phase.TERMINATION,
        "§1, §3.1: Stuart & Robertson, 2nd ed. (IPT Institute) [M]",
    ),
    Alias(
        "concluding acute treatment",
        Phase.TERMINATION,
        "§3.2: Stuart & Robertson, chapter title (taylorfrancis.com) [M]",
    ),
    Alias("intermediate", Phase.MIDDLE, "§4: IPSRT, ipsrt.org [S]"),
    Alias("preventive", Phase.MAINTENANCE, "§4: IPSRT, after Frank's book [U]"),
)

_PHASE_LOOKUP = spelling_lookup(Phase, PHASE_ALIASES)

#: The phases of the acute course, in order (maintenance comes after it).
ACUTE_PHASES = (Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION)


class Frequency(enum.Enum):
    """How often sessions take place."""

    WEEKLY = "weekly"
    TWICE_WEEKLY = "twice_weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Format(enum.Enum):
    """Who takes part in sessions."""

    INDIVIDUAL = "individual"
    GROUP = "group"
    #: Joint sessions of two people, e.g. child and parent (FB-IPT) or a couple.
    CONJOINT = "conjoint"


@model
class PhaseRule:
    """How many acute sessions the initial and termination phases take.

    The middle phase takes the sessions in between.  In a course too short for
    the full lengths, both are shortened (the longer one first, termination on
    a tie) until at least ``min_middle`` middle sessions remain (one by
    default) or both are down to one session; each phase keeps at least one
    session.

    >>> PhaseRule(initial=3, termination=2, min_middle=4)
    PhaseRule(initial=3, termination=2, min_middle=4)
    """

    initial: int = field(ge=1, le=20, doc="Sessions in the initial phase.")
    termination: int = field(ge=1, le=20, doc="Sessions in the termination phase.")
    min_middle: int = field(
        default=1,
        ge=1,
        le=20,
        doc="Fewest middle sessions a short course keeps, shortening the other phases for them.",
    )


#: The built-in protocols' names, reserved for them (filled in below, once they exist).
_RESERVED: dict[str, Protocol] = {}


@model
class Protocol:
    """An immutable description of one IPT protocol variant.

    The built-ins live in :mod:`iptkit.protocols`; define your own for a local
    adaptation:

    >>> from iptkit import Format, Frequency, PhaseRule, Protocol, phase_of
    >>> six = Protocol(
    ...     name="clinic_six",
    ...     population="Adults in a primary-care pilot",
    ...     min_sessions=6,
    ...     typical_sessions=6,
    ...     max_sessions=8,
    ...     min_minutes=30,
    ...     max_minutes=45,
    ...     default_frequency=Frequency.WEEKLY,
    ...     phase_rule=PhaseRule(initial=2, termination=1),
    ... )
    >>> [phase_of(n, 6, six).value for n in range(1, 7)]
    ['initial', 'initial', 'middle', 'middle', 'middle', 'termination']
    """

    name: str = field(min_len=1, max_len=64, pattern=r"[a-z][a-z0-9_]*", doc="Identifier.")
    population: str = field(min_len=1, doc="Who the variant is for.")
    min_sessions: int = field(ge=MIN_ACUTE_SESSIONS, le=100)
    typical_sessions: int = field(ge=MIN_ACUTE_SESSIONS, le=100)
    max_sessions: int = field(ge=MIN_ACUTE_SESSIONS, le=100)
    min_minutes: int = field(ge=1, le=480, doc="Shortest usual session, in minutes.")
    max_minutes: int = field(ge=1, le=480, doc="Longest usual session, in minutes.")
    default_frequency: Frequency = Frequency.WEEKLY
    frequencies: tuple[Frequency, ...] = field(
        default=(Frequency.WEEKLY,),
        min_len=1,
        doc="Frequencies the variant allows.",
        rules=[distinct("A frequency is listed twice.", each=False)],
    )
    format: Format = Format.INDIVIDUAL
    pre_treatment: bool = field(
        default=False,
        doc="Whether a pre-treatment contact (engagement or pre-group meeting) "
        "comes before session 1.",
    )
    phase_rule: PhaseRule = field(default=PhaseRule(initial=3, termination=3))
    focus_areas: tuple[FocusArea, ...] = field(
        default=CLASSIC_FOCUS_AREAS,
        min_len=1,
        doc="Focus areas the variant recognises (by default the four of Weissman et al.).",
        rules=[distinct("A focus area is listed twice.", each=False)],
    )
    max_focus_areas: int = field(default=2, ge=1, le=4, doc="Most focus areas per course.")
    min_age: int | None = field(
        default=None, ge=0, le=120, doc="Youngest age in years the variant is for, if it says."
    )
    max_age: int | None = field(
        default=None, ge=0, le=120, doc="Oldest age in years the variant is for, if it says."
    )

    def _invariants(self) -> Iterator[Issue]:
        if not self.min_sessions <= self.typical_sessions <= self.max_sessions:
            yield Issue(
                "$.typical_sessions",
                "invalid_range",
                "Session counts must satisfy minimum <= typical <= maximum.",
            )
        if self.min_minutes > self.max_minutes:
            yield Issue(
                "$.max_minutes",
                "invalid_range",
                "The longest session cannot be shorter than the shortest.",
            )
        if self.default_frequency not in self.frequencies:
            yield Issue(
                "$.default_frequency",
                "invalid_value",
                "The default frequency must be one of the allowed frequencies.",
                self.default_frequency,
            )
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            yield Issue(
                "$.max_age",
                "invalid_range",
                "The oldest age cannot be below the youngest.",
            )
        builtin = _RESERVED.get(self.name)
        if builtin is not None and builtin != self:
            yield Issue(
                "$.name",
                "builtin_protocol_altered",
                "A built-in protocol's name is given to other rules; a local adaptation needs "
                "a name of its own.",
            )

    def allows_total(self, total: int) -> bool:
        """Whether ``total`` acute sessions lie within the variant's range."""
        return self.min_sessions <= total <= self.max_sessions

    def allows_age(self, age: int) -> bool:
        """Whether a patient ``age`` years old lies within the variant's age range.

        A bound the protocol does not give is no limit.

        >>> from iptkit.protocols import ADOLESCENT, STANDARD
        >>> ADOLESCENT.allows_age(11), ADOLESCENT.allows_age(18), STANDARD.allows_age(11)
        (False, True, True)
        """
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


def phase_lengths(total: int, protocol: Protocol) -> tuple[int, int, int]:
    """Return how many sessions the (initial, middle, termination) phases take.

    >>> from iptkit.protocols import IPT_UK, COUNSELING
    >>> phase_lengths(16, IPT_UK)
    (4, 8, 4)
    >>> phase_lengths(3, COUNSELING)
    (1, 1, 1)

    Raises:
        ValidationError: ``total`` is below 3 (a course needs every phase).
    """
    if type(total) is not int or total < MIN_ACUTE_SESSIONS:
        raise ValidationError.single(
            "$.total",
            "out_of_range",
            f"A course needs at least {MIN_ACUTE_SESSIONS} acute sessions to have every phase.",
            total,
        )
    rule = protocol.phase_rule
    initial, termination = rule.initial, rule.termination
    # Shorten the longer phase first (termination on a tie) until the middle
    # phase has its minimum (one session unless the rule says more); both
    # stay at least one session long.
    while initial + termination > total - rule.min_middle and initial + termination > 2:
        if termination >= initial and termination > 1:
            termination -= 1
        else:
            initial -= 1
    return initial, total - initial - termination, termination


def phase_of(number: int, total: int, protocol: Protocol | None = None) -> Phase:
    """Return the phase of acute session ``number`` of a ``total``-session course.

    Pure and deterministic: initial for the first *i* sessions, termination for
    the last *t*, middle in between, with *(i, t)* from the protocol's
    :class:`PhaseRule` (shortened for short courses, see :func:`phase_lengths`).
    ``protocol`` defaults to :data:`iptkit.protocols.STANDARD`.

    >>> from iptkit.protocols import IPT_UK
    >>> [phase_of(n, 16, IPT_UK).value for n in (1, 4, 5, 12, 13, 16)]
    ['initial', 'initial', 'middle', 'middle', 'termination', 'termination']

    Raises:
        ValidationError: ``number`` is not within 1..``total``, or ``total`` is
            below 3.
    """
    rule = STANDARD if protocol is None else protocol
    initial, middle, _ = phase_lengths(total, rule)
    if type(number) is not int or not 1 <= number <= total:
        raise ValidationError.single(
            "$.number",
            "out_of_range",
            f"Session number must be between 1 and {total}.",
            number,
        )
    if number <= initial:
        return Phase.INITIAL
    if number <= initial + middle:
        return Phase.MIDDLE
    return Phase.TERMINATION


# --------------------------------------------------------------------------
# Built-in variants (domain reference §3.1 and §4).  Values marked [C] are
# conventions chosen here where the sources give no number.
# --------------------------------------------------------------------------

STANDARD = Protocol(
    name="standard",
    population="Adults with major depression, outpatient",
    min_sessions=8,
    typical_sessions=16,
    max_sessions=16,
    min_minutes=45,
    max_minutes=50,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY, Frequency.TWICE_WEEKLY),
    phase_rule=PhaseRule(initial=3, termination=3),
)
"""Adult acute IPT after Weissman, Markowitz & Klerman (Comprehensive Guide, 2000;
Guide 2018) and Markowitz (2006).

12-16 weekly sessions of 45-50 minutes, sometimes twice weekly; 8 for a brief
course.  The initial phase takes no more than 3 sessions (manual).  The manual
asks that the end be discussed at least 2-4 sessions before the last one; a
termination phase of the last 3 sessions is a convention [C] taken from the
middle of that span.  Some trials ran to 20 sessions: here that is a protocol
departure (a finding), not an error.
"""

IPT_UK = Protocol(
    name="ipt_uk",
    population="Adults with depression, UK practice (IPT-UK / IAPT)",
    min_sessions=12,
    typical_sessions=16,
    max_sessions=16,
    min_minutes=50,
    max_minutes=50,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=4, termination=4),
)
"""UK practice as described by IPT-UK (iptuk.net, stages of IPT).

Sessions 1-4 initial and 5-12 middle are stated; the termination phase as the
remaining sessions (13-16 of 16) is read from the page's structure.  The
16-session, 50-minute weekly course and the 12-session minimum are
conventions [C] of UK services.
"""

STUART = Protocol(
    name="stuart",
    population="Adults, wide range of conditions (IPT Institute)",
    min_sessions=6,
    typical_sessions=12,
    max_sessions=17,
    min_minutes=50,
    max_minutes=60,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=3, termination=2, min_middle=4),
    focus_areas=(FocusArea.GRIEF, FocusArea.ROLE_DISPUTE, FocusArea.ROLE_TRANSITION),
)
"""Stuart & Robertson, *Interpersonal Psychotherapy: A Clinician's Guide* (2nd ed., ch. 3).

Phase lengths (domain reference §3.1, §4): initial phase 1-3 sessions, middle
4-12, "conclusion of acute treatment" 1-2; then maintenance per contract.
Those lengths imply an acute course of 6 (1 + 4 + 1) to 17 (3 + 12 + 2)
sessions, which is the range here; the 8-20 a review cites (§4) is a
secondary reading and would need a middle phase longer than 12 sessions, so
it is not used.  The phase rule keeps every allowed total within the
lengths: 3 initial and 2 conclusion sessions when they fit, and at least 4
middle sessions, shortening the other two phases for them (6 sessions are
1 / 4 / 1, 9 are 3 / 4 / 2, 17 are 3 / 12 / 2).  Three problem areas:
interpersonal sensitivity is a complicating factor, not a focus.  The
typical 12 sessions and the 50-60 minute sessions are conventions [C].
"""

ADOLESCENT = Protocol(
    name="adolescent",
    population="Adolescents 12-18 with mild to moderate depression (IPT-A)",
    min_sessions=12,
    typical_sessions=12,
    max_sessions=16,
    min_minutes=35,
    max_minutes=50,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=4, termination=4),
    min_age=12,
    max_age=18,
)
"""IPT for depressed adolescents (Mufson et al.; Columbia, CEBC, NREPP listings).

12 weekly sessions (up to 16) of 35-50 minutes, with a parent taking part in
the first session, a middle-phase joint session when the focus involves a
parent, and the end.  For adolescents aged 12-18 (§4; the ages are
inclusive here).  Phases 1-4 / 5-8 / 9-12 as commonly taught; not
confirmed in the manual text retrieved [C].
"""

BRIEF = Protocol(
    name="brief",
    population="Adults with barriers to attending, e.g. perinatal or low income (IPT-B)",
    min_sessions=8,
    typical_sessions=8,
    max_sessions=8,
    min_minutes=45,
    max_minutes=50,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    pre_treatment=True,
    phase_rule=PhaseRule(initial=2, termination=2),
)
"""Brief IPT (IPT-B; Swartz et al. 2014, IPT Institute).

Eight sessions, often preceded by one engagement session (a pre-treatment
contact, not session 1).  The initial phase is limited to 2 sessions (manual);
the 2-session termination phase and the 45-50 minute sessions are
conventions [C].
"""

WHO_GROUP = Protocol(
    name="group",
    population="Adults with depression in low-resource settings (WHO Group IPT)",
    min_sessions=8,
    typical_sessions=8,
    max_sessions=8,
    min_minutes=90,
    max_minutes=90,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    format=Format.GROUP,
    pre_treatment=True,
    phase_rule=PhaseRule(initial=2, termination=2),
)
"""WHO Group Interpersonal Therapy for depression (WHO 2016; ISRCTN15091477).

An individual pre-group meeting, then 8 weekly group sessions in initial,
middle and termination phases (§3.1, §4).  The manual's phase-to-session
mapping was not retrieved: the 2 / 4 / 2 split and the 90-minute sessions
are conventions [C].  Its name in documents stays ``"group"``, as stored
records already spell it; for group programmes of other lengths see
:data:`COMMUNITY_GROUP`.
"""

GROUP = WHO_GROUP
"""The same protocol as :data:`WHO_GROUP` (WHO Group IPT, 8 sessions), under its earlier name."""

COMMUNITY_GROUP = Protocol(
    name="community_group",
    population="Adults with depression in community group IPT programmes (8-16 weeks)",
    min_sessions=8,
    typical_sessions=12,
    max_sessions=16,
    min_minutes=60,
    max_minutes=120,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    format=Format.GROUP,
    phase_rule=PhaseRule(initial=3, termination=3),
)
"""Group IPT programmes for depression beyond WHO's 8 sessions (domain reference §4,
"Other group IPT programmes").

8 to 16 weekly group sessions in initial, middle and termination phases, as
general group IPT runs them (mhpss.net group IPT resource), with 12 weeks
the length StrongMinds runs in Africa (strongminds; mhinnovation.net) [S].
No source in the reference gives session minutes or the phase boundaries:
the 60-120 minute sessions and the 3 / … / 3 phase rule are
conventions [C], as is leaving out a pre-group meeting.  A programme outside
8-16 sessions (StrongMinds US runs 6 weeks; Wilfley's group IPT for eating
disorders gives its last 5 sessions to termination) is a :class:`Protocol`
you build, see the protocols guide.
"""

COUNSELING = Protocol(
    name="counseling",
    population="Primary care and non-mental-health settings, students (IPC)",
    min_sessions=3,
    typical_sessions=3,
    max_sessions=6,
    min_minutes=20,
    max_minutes=30,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=1, termination=1),
)
"""Interpersonal Counseling (IPC; Weissman et al. 2014; IPC for college students).

3-6 brief sessions following a session-by-session outline.  Taking the first
session as initial and the last as termination, and sessions of 20-30
minutes, are conventions [C].
"""

IPSRT = Protocol(
    name="ipsrt",
    population="Adults with bipolar I or II disorder (IPSRT); also used in major depression",
    min_sessions=16,
    typical_sessions=20,
    max_sessions=24,
    min_minutes=45,
    max_minutes=60,
    default_frequency=Frequency.WEEKLY,
    frequencies=(Frequency.WEEKLY,),
    phase_rule=PhaseRule(initial=4, termination=3),
    focus_areas=(*CLASSIC_FOCUS_AREAS, FocusArea.LOSS_OF_HEALTHY_SELF),
)
"""Interpersonal and social rhythm therapy (IPSRT; Frank; ipsrt.org; domain reference §2.1, §4).

An acute course of about 20 weekly sessions of 45-60 minutes, then
optional maintenance (§4) [S].  Besides IPT's four problem areas it works on
a fifth, grief for the lost healthy self
(:attr:`~iptkit.FocusArea.LOSS_OF_HEALTHY_SELF`, §2.1) [S]; only protocols
that list that area recognise it.  IPSRT names four stages: "initial" and
"intermediate" (ipsrt.org), then preventive (maintenance) and final stages
after Frank's book [U].  Here the initial stage is the initial phase, the
intermediate stage the middle phase, and the preventive stage maintenance
(:meth:`~iptkit.Phase.parse` reads "intermediate" and "preventive"); the
acute course ends with a short termination phase.  The 16-24 range around
the 20 weeks and the 4 initial / 3 termination sessions are
conventions [C].
"""

#: Every built-in protocol, by name.
BUILTIN_PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        STANDARD,
        IPT_UK,
        STUART,
        ADOLESCENT,
        BRIEF,
        WHO_GROUP,
        COMMUNITY_GROUP,
        COUNSELING,
        IPSRT,
    )
}
_RESERVED.update(BUILTIN_PROTOCOLS)
