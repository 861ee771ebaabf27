"""Focus (problem) areas of IPT, the stages of a role dispute, and human spellings.

Domain reference §2: four focus areas in the Weissman, Markowitz & Klerman
tradition; Stuart & Robertson use three (no interpersonal deficits); IPSRT
adds a fifth, grief for the lost healthy self.  A role dispute is in exactly
one of three stages.

JSON keeps one spelling per value (design note "JSON").  The spellings
clinicians write in notes and registries ("role disputes", "life changes",
"complicated bereavement", ...) are read by :meth:`FocusArea.parse`, never by
the codec; each is listed once, with its source, in ``FOCUS_AREA_ALIASES``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from iptkit._errors import ValidationError

__all__ = [
    "CLASSIC_FOCUS_AREAS",
    "FOCUS_AREA_ALIASES",
    "Alias",
    "DisputeStage",
    "FocusArea",
    "normalise_spelling",
]

T = TypeVar("T", bound=enum.Enum)

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_spelling(text: str) -> str:
    """Return ``text`` as the parse functions compare it.

    Case-insensitive (``casefold``); hyphens, underscores and runs of white
    space become one space; parentheses are dropped; leading and trailing
    space is removed.

    >>> normalise_spelling("  Interpersonal (Role)-Dispute_ ")
    'interpersonal role dispute'
    """
    text = text.casefold().replace("(", " ").replace(")", " ")
    return _SEPARATORS.sub(" ", text).strip()


@attrs.frozen
class Alias(Generic[T]):
    """A human spelling of an enumeration value, with where it is used.

    Attributes:
        text: the spelling as the parse functions compare it (lowercase,
            words separated by single spaces).
        value: the enumeration member it reads as.
        source: who uses the spelling (domain reference section, source and
            firmness: [M] manual, [S] secondary, [C] convention, [U]
            unconfirmed).
    """

    text: str
    value: T
    source: str


class FocusArea(enum.Enum):
    """The interpersonal problem a course of IPT works on.

    >>> FocusArea("role_dispute")
    <FocusArea.ROLE_DISPUTE: 'role_dispute'>
    >>> FocusArea.parse("Role disputes")
    <FocusArea.ROLE_DISPUTE: 'role_dispute'>
    """

    #: Complicated bereavement after the death of someone close.
    GRIEF = "grief"
    #: Conflict with a significant other over non-reciprocal expectations.
    ROLE_DISPUTE = "role_dispute"
    #: A change of social role (a move, a new baby, divorce, a new job, ...).
    ROLE_TRANSITION = "role_transition"
    #: Long-standing isolation with no recent life event; the last resort.
    INTERPERSONAL_DEFICITS = "interpersonal_deficits"
    #: Grief for the lost healthy self, IPSRT's fifth problem area (bipolar
    #: disorder; domain reference §2.1).  Only protocols that list it (the
    #: built-in :data:`~iptkit.protocols.IPSRT`) recognise it.
    LOSS_OF_HEALTHY_SELF = "loss_of_healthy_self"

    @property
    def label(self) -> str:
        """The area's name in plain words, for messages and reports.

        >>> FocusArea.ROLE_DISPUTE.label
        'role dispute'
        >>> FocusArea.LOSS_OF_HEALTHY_SELF.label
        'loss of the healthy self'
        """
        return _LABELS.get(self, self.value.replace("_", " "))

    @classmethod
    def parse(cls, text: str) -> FocusArea:
        """Read a focus area from its value or a common human spelling.

        Case, hyphens, underscores, parentheses and spacing do not matter.
        The spellings accepted besides the values, each with its source, are
        listed by :meth:`aliases`.  A :class:`FocusArea` is returned as it is.

        >>> FocusArea.parse("Interpersonal disputes")
        <FocusArea.ROLE_DISPUTE: 'role_dispute'>
        >>> FocusArea.parse("life-changes")
        <FocusArea.ROLE_TRANSITION: 'role_transition'>
        >>> FocusArea.parse("ROLE_TRANSITION")
        <FocusArea.ROLE_TRANSITION: 'role_transition'>

        Raises:
            ValidationError: ``text`` is not text (``wrong_type``) or is not a
                focus area or a known spelling of one (``invalid_value``).
                The message never quotes the text; the issue keeps it as
                its ``input``.
        """
        return parse_spelling(cls, _FOCUS_LOOKUP, text, "a focus area")

    @classmethod
    def aliases(cls) -> tuple[Alias[FocusArea], ...]:
        """Every human spelling :meth:`parse` reads besides the values, with its source."""
        return FOCUS_AREA_ALIASES


#: Plain-word names that differ from the value with spaces.
_LABELS = {FocusArea.LOSS_OF_HEALTHY_SELF: "loss of the healthy self"}

#: The four focus areas of Weissman, Markowitz & Klerman (domain reference §2.1):
#: what a protocol recognises unless it says otherwise.  IPSRT's fifth area is
#: not among them.
CLASSIC_FOCUS_AREAS: tuple[FocusArea, ...] = (
    FocusArea.GRIEF,
    FocusArea.ROLE_DISPUTE,
    FocusArea.ROLE_TRANSITION,
    FocusArea.INTERPERSONAL_DEFICITS,
)

_WEISSMAN = "§2.1: Weissman, Markowitz & Klerman (2000, 2018) [M]"
_IPT_UK = "§2.1: IPT-UK [M]"
_STUART = "§2.1: Stuart & Robertson, 2nd ed. (IPT Institute) [M]"
_WHO = "§2.1: WHO Group IPT / IPC / StrongMinds wording [M]"
_SEEN = "§2.1: other aliases seen in practice [S]"
_IPSRT = "§2.1: IPSRT (Frank), observingsolution.com/library/ipsrt [S]"

_G, _D, _T, _I, _H = (
    FocusArea.GRIEF,
    FocusArea.ROLE_DISPUTE,
    FocusArea.ROLE_TRANSITION,
    FocusArea.INTERPERSONAL_DEFICITS,
    FocusArea.LOSS_OF_HEALTHY_SELF,
)

#: Every human spelling of a focus area that :meth:`FocusArea.parse` reads,
#: with its source (domain reference §2.1, "Canonical names and aliases").
#: The values themselves ("role_dispute", and so "role dispute") are read too
#: and are not listed.  This is the one home of the spellings: the table in
#: the documentation is tested against it.
FOCUS_AREA_ALIASES: tuple[Alias[FocusArea], ...] = (
    Alias("complicated bereavement", _G, f"{_WEISSMAN}: 'Grief (complicated bereavement)'"),
    Alias("grief and loss", _G, f"{_STUART}: 'Grief and loss'"),
    Alias("bereavement", _G, _SEEN),
    Alias("complicated grief", _G, _SEEN),
    Alias("abnormal grief", _G, _SEEN),
    Alias("role disputes", _D, f"{_WEISSMAN}: 'Interpersonal role disputes'"),
    Alias("interpersonal role disputes", _D, f"{_WEISSMAN}: 'Interpersonal role disputes'"),
    Alias("interpersonal role dispute", _D, f"{_IPT_UK}: 'Interpersonal (role) dispute'"),
    Alias("interpersonal dispute", _D, f"{_IPT_UK}: 'Interpersonal (role) dispute'"),
    Alias("interpersonal disputes", _D, f"{_STUART}: 'Interpersonal disputes'"),
    Alias("disputes", _D, f"{_WHO}: 'Disputes (open or hidden)'"),
    Alias("unresolved conflict", _D, f"{_WHO}: 'unresolved conflict'"),
    Alias("role conflict", _D, _SEEN),
    Alias("interpersonal conflict", _D, _SEEN),
    Alias(
        "role transitions",
        _T,
        "§2.1: Weissman, Markowitz & Klerman (2000, 2018) and Stuart & Robertson [M]: "
        "'Role transitions'",
    ),
    Alias("interpersonal role transitions", _T, f"{_IPT_UK}: 'Interpersonal role transitions'"),
    Alias("interpersonal role transition", _T, f"{_IPT_UK}: 'Interpersonal role transitions'"),
    Alias("life changes", _T, f"{_WHO}: 'Life changes'"),
    Alias("life change", _T, f"{_WHO}: 'Life changes' (singular)"),
    Alias("transitions", _T, _SEEN),
    Alias("transition", _T, f"{_SEEN} (singular)"),
    Alias(
        "social isolation",
        _I,
        f"{_WEISSMAN}: 'Interpersonal Deficits (Social Isolation; No Life Events)'",
    ),
    Alias("loneliness", _I, f"{_WHO}: 'Loneliness / social isolation'"),
    Alias(
        "interpersonal sensitivity",
        _I,
        "§2.1: practitioner sites and reviews [S]; Stuart & Robertson treat it as a "
        "complicating factor, not a focus",
    ),
    Alias("paucity of attachments", _I, _SEEN),
    Alias("loss of the healthy self", _H, f"{_IPSRT}: 'loss of the healthy self'"),
    Alias("grief for the lost healthy self", _H, f"{_IPSRT}: 'grief for the lost healthy self'"),
)


def spelling_lookup(members: Iterable[T], aliases: Iterable[Alias[T]]) -> dict[str, T]:
    """Map each normalised value and alias of an enumeration to its member.

    The alias tables are tested to be normalised and free of clashes (a value
    and an alias, or two aliases, with the same spelling).
    """
    lookup = {normalise_spelling(m.value): m for m in members}
    for alias in aliases:
        lookup.setdefault(normalise_spelling(alias.text), alias.value)
    return lookup


def parse_spelling(
    cls: type[T], lookup: Mapping[str, T], text: Any, what: str, *, ignore_suffix: str = ""
) -> T:
    """Read a member of ``cls`` from ``text`` through ``lookup`` (see :meth:`FocusArea.parse`).

    ``ignore_suffix`` is a last word dropped before the lookup (" phase").
    """
    if isinstance(text, cls):
        return text
    if not isinstance(text, str):
        raise ValidationError.single("$", "wrong_type", f"Expected text naming {what}.", text)
    key = normalise_spelling(text)
    if ignore_suffix and key.endswith(ignore_suffix):
        key = key.removesuffix(ignore_suffix)
    found = lookup.get(key)
    if found is None:
        raise ValidationError.single(
            "$",
            "invalid_value",
            f"The text is not {what} or a known spelling of one.",
            text,
        )
    return found


_FOCUS_LOOKUP = spelling_lookup(FocusArea, FOCUS_AREA_ALIASES)


class DisputeStage(enum.Enum):
    """Stage of a role dispute (domain reference §2.3)."""

    #: Both sides know they disagree and are still trying to change things.
    RENEGOTIATION = "renegotiation"
    #: Talk has stopped; nothing is being tried.
    IMPASSE = "impasse"
    #: The relationship is judged beyond repair.
    DISSOLUTION = "dissolution"
