"""FocusArea.parse and Phase.parse: the spellings clinicians write, read explicitly.

Design note "JSON": one canonical spelling per value in documents; human
spellings (focus-area aliases, "conclusion" for termination) are read by
explicit parse functions, never by the codec.  The spellings and their
sources come from the domain reference: §2.1 (canonical names and aliases of
the focus areas), §1, §3.1 and §9 (Stuart & Robertson's "conclusion"), §4
(IPSRT's stages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from iptkit import (
    Alias,
    FocusArea,
    Formulation,
    Phase,
    SessionRecord,
    ValidationError,
    load,
)
from iptkit._focus import _FOCUS_LOOKUP, normalise_spelling

DOCS = Path(__file__).resolve().parent.parent / "docs"

G, D, T, DEF, H = (
    FocusArea.GRIEF,
    FocusArea.ROLE_DISPUTE,
    FocusArea.ROLE_TRANSITION,
    FocusArea.INTERPERSONAL_DEFICITS,
    FocusArea.LOSS_OF_HEALTHY_SELF,
)

#: (spelling as written, area, where the reference gives it).
FOCUS_SPELLINGS = [
    # §2.1 Weissman, Markowitz & Klerman: "Grief (complicated bereavement)".
    pytest.param("complicated bereavement", G, "§2.1", id="complicated bereavement"),
    # §2.1 other aliases seen: bereavement, complicated grief, abnormal grief.
    pytest.param("Bereavement", G, "§2.1", id="bereavement"),
    pytest.param("complicated grief", G, "§2.1", id="complicated grief"),
    pytest.param("abnormal grief", G, "§2.1", id="abnormal grief"),
    # §2.1 Stuart & Robertson: "Grief and loss".
    pytest.param("Grief and Loss", G, "§2.1", id="grief and loss"),
    # §2.1 Weissman et al.: "Interpersonal role disputes".
    pytest.param("role dispute", D, None, id="role dispute (the value)"),
    pytest.param("Role disputes", D, "§2.1", id="role disputes"),
    pytest.param("interpersonal role disputes", D, "§2.1", id="interpersonal role disputes"),
    # §2.1 IPT-UK: "Interpersonal (role) dispute".
    pytest.param("Interpersonal (role) dispute", D, "§2.1", id="interpersonal (role) dispute"),
    pytest.param("interpersonal dispute", D, "§2.1", id="interpersonal dispute"),
    # §2.1 Stuart & Robertson: "Interpersonal disputes".
    pytest.param("Interpersonal disputes", D, "§2.1", id="interpersonal disputes"),
    # §2.1 WHO Group IPT: "Disputes (open or hidden)"; "unresolved conflict".
    pytest.param("disputes", D, "§2.1", id="disputes"),
    pytest.param("unresolved conflict", D, "§2.1", id="unresolved conflict"),
    # §2.1 other aliases seen: role conflict, interpersonal conflict.
    pytest.param("role conflict", D, "§2.1", id="role conflict"),
    pytest.param("interpersonal conflict", D, "§2.1", id="interpersonal conflict"),
    # §2.1 Weissman et al., Stuart & Robertson: "Role transitions"; IPT-UK "Interpersonal role
    # transitions"; WHO "Life changes"; other aliases "transitions".
    pytest.param("role transition", T, None, id="role transition (the value)"),
    pytest.param("Role transitions", T, "§2.1", id="role transitions"),
    pytest.param("interpersonal role transitions", T, "§2.1", id="interpersonal role transitions"),
    pytest.param("interpersonal role transition", T, "§2.1", id="interpersonal role transition"),
    pytest.param("Life changes", T, "§2.1", id="life changes"),
    pytest.param("life change", T, "§2.1", id="life change"),
    pytest.param("transitions", T, "§2.1", id="transitions"),
    pytest.param("Transition", T, "§2.1", id="transition"),
    # §2.1 Weissman 2018: "Interpersonal Deficits (Social Isolation; No Life Events)";
    # WHO / IPC "Loneliness / social isolation"; practitioner sites "interpersonal
    # sensitivity" [S]; other aliases "paucity of attachments".
    pytest.param("interpersonal deficits", DEF, None, id="interpersonal deficits (the value)"),
    pytest.param("Social isolation", DEF, "§2.1", id="social isolation"),
    pytest.param("loneliness", DEF, "§2.1", id="loneliness"),
    pytest.param("Interpersonal sensitivity", DEF, "§2.1", id="interpersonal sensitivity"),
    pytest.param("paucity of attachments", DEF, "§2.1", id="paucity of attachments"),
    # §2.1 IPSRT: grief for the lost healthy self ("loss of the healthy self") [S].
    pytest.param("Loss of the healthy self", H, "§2.1", id="loss of the healthy self"),
    pytest.param("grief for the lost healthy self", H, "§2.1", id="grief for the lost self"),
    pytest.param("loss_of_healthy_self", H, None, id="loss_of_healthy_self (the value)"),
]

#: (spelling, phase, where the reference gives it).
PHASE_SPELLINGS = [
    # §1, §3.1, §9: Stuart & Robertson call the last acute phase "conclusion of acute treatment".
    pytest.param("Conclusion", Phase.TERMINATION, "§3.1", id="conclusion"),
    pytest.param("conclusion of acute treatment", Phase.TERMINATION, "§3.1", id="conclusion of"),
    pytest.param("Concluding acute treatment", Phase.TERMINATION, "§3.2", id="concluding"),
    pytest.param("conclusion phase", Phase.TERMINATION, "§3.1", id="conclusion phase"),
    # §4 IPSRT: "initial" and "intermediate" on ipsrt.org [S]; "preventive" after Frank [U].
    pytest.param("Intermediate", Phase.MIDDLE, "§4", id="intermediate"),
    pytest.param("preventive", Phase.MAINTENANCE, "§4", id="preventive"),
    # The values, with or without the word "phase".
    pytest.param("Initial phase", Phase.INITIAL, None, id="initial phase"),
    pytest.param("MIDDLE", Phase.MIDDLE, None, id="middle"),
    pytest.param("termination", Phase.TERMINATION, None, id="termination"),
    pytest.param("maintenance phase", Phase.MAINTENANCE, None, id="maintenance phase"),
]

#: Texts that are neither a value nor a known spelling.
UNKNOWN = [
    "",
    " ",
    "phase",
    "grief2",
    "role",
    "dispute resolution",
    "conclusions",
    "Mrs X's husband",
]


def _alias_for(aliases: tuple[Alias[Any], ...], text: str) -> Alias[Any] | None:
    for alias in aliases:
        if alias.text == normalise_spelling(text):
            return alias
    return None


def _vary(draw: st.DrawFn, text: str) -> str:
    """``text`` with random case, hyphens or underscores for spaces, and extra space."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    words = cased.split(" ")
    out = words[0]
    for word in words[1:]:
        out += draw(st.sampled_from([" ", "  ", "-", "_", " - ", "\t"])) + word
    return draw(st.sampled_from(["", " ", "  "])) + out + draw(st.sampled_from(["", " ", "\n"]))


class TestFocusAreaParse:
    """FocusArea.parse against the names and aliases of §2.1."""

    @pytest.mark.parametrize(("text", "area", "section"), FOCUS_SPELLINGS)
    def test_spelling_reads_as_its_area(
        self, text: str, area: FocusArea, section: str | None
    ) -> None:
        """Each spelling reads as the area §2.1 gives it, and its alias cites that section."""
        assert FocusArea.parse(text) is area
        alias = _alias_for(FocusArea.aliases(), text)
        if section is None:
            assert alias is None  # the value itself, not an alias
        else:
            assert alias is not None
            assert alias.value is area
            assert alias.source.startswith(section)

    def test_issue_spellings(self) -> None:
        """The spellings the issue asks for (singular and plural) are all read."""
        expected = {
            "role dispute": D,
            "role disputes": D,
            "interpersonal dispute": D,
            "interpersonal disputes": D,
            "disputes": D,
            "life change": T,
            "life changes": T,
            "transition": T,
            "transitions": T,
            "complicated bereavement": G,
            "bereavement": G,
            "social isolation": DEF,
            "loneliness": DEF,
            "interpersonal sensitivity": DEF,
        }
        assert {text: FocusArea.parse(text) for text in expected} == expected

    @pytest.mark.parametrize("area", list(FocusArea))
    def test_values_read_as_themselves(self, area: FocusArea) -> None:
        """The canonical value reads as its area, in any case, with spaces or hyphens."""
        assert FocusArea.parse(area.value) is area
        assert FocusArea.parse(area.value.upper().replace("_", " ")) is area
        assert FocusArea.parse(area.value.replace("_", "-")) is area

    def test_a_focus_area_is_returned_as_it_is(self) -> None:
        """Parsing a member gives the member back."""
        assert FocusArea.parse(FocusArea.GRIEF) is FocusArea.GRIEF  # type: ignore[arg-type]

    @given(st.data())
    def test_case_and_separators_do_not_matter(self, data: st.DataObject) -> None:
        """Every value and alias, in any case and with any separators, reads the same."""
        spellings = [a.value.replace("_", " ") for a in FocusArea]
        spellings += [a.text for a in FocusArea.aliases()]
        text = data.draw(st.sampled_from(spellings))
        varied = data.draw(st.composite(lambda draw: _vary(draw, text))())
        assert FocusArea.parse(varied) is FocusArea.parse(text)

    @pytest.mark.parametrize("text", UNKNOWN)
    def test_unknown_text_is_invalid_value(self, text: str) -> None:
        """Text that is no value or spelling: invalid_value at $, the text not quoted."""
        with pytest.raises(ValidationError) as info:
            FocusArea.parse(text)
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == ("$", "invalid_value")
        assert issue.input == text
        if text.strip():
            assert text not in str(info.value)
            assert text not in repr(info.value)

    @pytest.mark.parametrize("value", [None, 3, b"grief", ["grief"], Phase.INITIAL])
    def test_not_text_is_wrong_type(self, value: Any) -> None:
        """Anything but text (or a focus area) is the wrong type."""
        with pytest.raises(ValidationError) as info:
            FocusArea.parse(value)
        assert [(i.path, i.code) for i in info.value.issues] == [("$", "wrong_type")]

    @given(st.text(max_size=40))
    def test_parse_is_total(self, text: str) -> None:
        """Any text gives a focus area or a ValidationError, nothing else."""
        if normalise_spelling(text) in _FOCUS_LOOKUP:
            assert isinstance(FocusArea.parse(text), FocusArea)
        else:
            with pytest.raises(ValidationError) as info:
                FocusArea.parse(text)
            assert info.value.codes == {"invalid_value"}


class TestPhaseParse:
    """Phase.parse against §3.1 and §4."""

    @pytest.mark.parametrize(("text", "phase", "section"), PHASE_SPELLINGS)
    def test_spelling_reads_as_its_phase(
        self, text: str, phase: Phase, section: str | None
    ) -> None:
        """Each spelling reads as its phase; an alias cites the reference section."""
        assert Phase.parse(text) is phase
        words = normalise_spelling(text).removesuffix(" phase")
        alias = _alias_for(Phase.aliases(), words)
        if section is None:
            assert alias is None
        else:
            assert alias is not None
            assert alias.value is phase
            assert section in alias.source

    @pytest.mark.parametrize("phase", list(Phase))
    def test_values_read_as_themselves(self, phase: Phase) -> None:
        """Every phase value reads as itself."""
        assert Phase.parse(phase.value) is phase
        assert Phase.parse(f"{phase.value.title()} Phase") is phase

    @pytest.mark.parametrize("text", UNKNOWN)
    def test_unknown_text_is_invalid_value(self, text: str) -> None:
        """Unknown text is invalid_value at $, the text not quoted."""
        with pytest.raises(ValidationError) as info:
            Phase.parse(text)
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == ("$", "invalid_value")
        assert issue.input == text
        assert issue.message == "The text is not a phase or a known spelling of one."

    def test_unknown_text_with_phase_is_kept_whole(self) -> None:
        """The issue keeps the text as given, the word "phase" included."""
        with pytest.raises(ValidationError) as info:
            Phase.parse("Final Phase")
        assert info.value.issues[0].input == "Final Phase"
        assert "Final" not in str(info.value)

    def test_not_text_is_wrong_type(self) -> None:
        """A number is the wrong type."""
        with pytest.raises(ValidationError) as info:
            Phase.parse(1)  # type: ignore[arg-type]
        assert info.value.codes == {"wrong_type"}


class TestAliasTables:
    """The spellings have one home, and it is consistent."""

    @pytest.mark.parametrize(
        "aliases", [FocusArea.aliases(), Phase.aliases()], ids=["focus", "phase"]
    )
    def test_aliases_are_normalised_unique_and_sourced(
        self, aliases: tuple[Alias[Any], ...]
    ) -> None:
        """Each alias is in normal form, listed once, and cites a section of the reference."""
        texts = [a.text for a in aliases]
        assert texts == [normalise_spelling(t) for t in texts]
        assert len(texts) == len(set(texts))
        assert all(re.match(r"§\d", a.source) for a in aliases)
        assert all(re.search(r"\[[MSCU]\]", a.source) for a in aliases)

    def test_no_alias_shadows_a_value(self) -> None:
        """No alias is another member's value."""
        values = {normalise_spelling(a.value) for a in FocusArea}
        assert not values & {a.text for a in FocusArea.aliases()}
        phases = {normalise_spelling(p.value) for p in Phase}
        assert not phases & {a.text for a in Phase.aliases()}

    def test_documented_table_matches(self) -> None:
        """docs/classification.md lists exactly the aliases, values and sources of the code."""
        text = (DOCS / "classification.md").read_text(encoding="utf-8")
        rows = re.findall(r'^\| "([^"]+)" \| `([a-z_]+)` \| (.+) \|$', text, re.MULTILINE)
        aliases: list[Alias[Any]] = [*FocusArea.aliases(), *Phase.aliases()]
        expected = [(a.text, a.value.value, a.source) for a in aliases]
        assert rows == expected

    def test_alias_is_public(self) -> None:
        """Alias is exported, so the tables can be typed by users."""
        assert iptkit.Alias is Alias


class TestCodecStaysCanonical:
    """JSON keeps one spelling per value: the codec reads no alias (design note "JSON")."""

    @pytest.mark.parametrize(
        "text", ["role disputes", "Role_Dispute", "life changes", "ROLE_DISPUTE"]
    )
    def test_focus_alias_in_json_is_refused(self, text: str) -> None:
        """An alias or a re-cased value in a document is an invalid value."""
        with pytest.raises(ValidationError) as info:
            load(Formulation, {"focus_areas": [text], "agreed_on": "2024-07-01"})
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.focus_areas[0]", "invalid_value")
        ]

    def test_canonical_value_in_json_is_read(self) -> None:
        """The value itself loads."""
        loaded = load(Formulation, {"focus_areas": ["role_dispute"], "agreed_on": "2024-07-01"})
        assert loaded.focus_areas == (FocusArea.ROLE_DISPUTE,)

    def test_phase_alias_in_json_is_refused(self) -> None:
        """Stuart's "conclusion" in a session record is refused; "termination" loads."""
        record: dict[str, Any] = {
            "number": 12,
            "starts_at": "2026-05-18T09:00:00+00:00",
            "minutes": 50,
            "status": "held",
            "phase": "conclusion",
        }
        with pytest.raises(ValidationError) as info:
            load(SessionRecord, record)
        assert ("$.phase", "invalid_value") in [(i.path, i.code) for i in info.value.issues]
        assert load(SessionRecord, {**record, "phase": "termination"}).phase is Phase.TERMINATION

    def test_parse_then_store(self) -> None:
        """Parsed human input dumps as the one canonical spelling."""
        formulation = Formulation(
            focus_areas=(FocusArea.parse("Interpersonal disputes"),),
            agreed_on=__import__("datetime").date(2024, 7, 1),
        )
        assert iptkit.dump(formulation)["focus_areas"] == ["role_dispute"]
