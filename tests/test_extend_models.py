"""A downstream package extends iptkit's models with fields of its own.

The subclass lives in this module, not in iptkit's: its annotations and the
inherited ones are each read in their own module.
"""

from __future__ import annotations

import datetime as dt

import pytest

import iptkit
from _helpers import issues_of
from iptkit import (
    InterpersonalInventory,
    Relationship,
    RelationshipRole,
    TreatmentContract,
    ValidationError,
)


@iptkit.model
class SiteRelationship(Relationship):
    """A relationship recorded at one of a trial's sites."""

    site: str = iptkit.field(default="A", min_len=1, max_len=8, doc="The trial site's code.")
    visits: int = iptkit.field(default=0, ge=0, le=365, doc="Visits in the last year.")


@iptkit.model(document="site_contract")
class SiteContract:
    """A trial's own document holding an iptkit contract (composition)."""

    site: str = iptkit.field(min_len=1, max_len=8)
    contract: TreatmentContract
    signed: dt.date | None = None


def _relationship(**changes: object) -> SiteRelationship:
    values: dict[str, object] = {
        "label": "P1",
        "role": RelationshipRole.FRIEND,
        "closeness": 2,
        "site": "B",
        "visits": 4,
    }
    values.update(changes)
    return SiteRelationship(**values)  # type: ignore[arg-type]


class TestSubclass:
    def test_round_trip_keeps_the_extra_fields(self) -> None:
        relationship = _relationship()
        written = iptkit.dump(relationship)
        assert (written["site"], written["visits"]) == ("B", 4)
        assert iptkit.load(SiteRelationship, written) == relationship
        assert iptkit.loads(SiteRelationship, iptkit.dumps(relationship)) == relationship

    def test_is_still_a_relationship(self) -> None:
        """An inventory takes it and writes its extra fields too, never dropping them.

        Reading them back needs an inventory whose field names the subclass:
        the plain inventory refuses the keys it does not know.
        """
        inventory = InterpersonalInventory(relationships=(_relationship(),))
        written = iptkit.dump(inventory)
        assert written["relationships"][0]["site"] == "B"
        assert ("$.relationships[0].site", "unknown_field") in issues_of(
            lambda: iptkit.load(InterpersonalInventory, written)
        )

    def test_schema_lists_every_field(self) -> None:
        schema = iptkit.json_schema(SiteRelationship)
        assert {"label", "role", "closeness", "site", "visits"} <= set(schema["properties"])
        assert schema["properties"]["visits"]["maximum"] == 365

    def test_every_problem_with_its_path(self) -> None:
        """The inherited fields' rules and the new ones, in one report."""
        doc = iptkit.dump(_relationship())
        doc.update(closeness=9, site="", visits=-1, extra=True)
        assert issues_of(lambda: iptkit.load(SiteRelationship, doc)) == [
            ("$.closeness", "out_of_range"),
            ("$.site", "too_short"),
            ("$.visits", "out_of_range"),
            ("$.extra", "unknown_field"),
        ]

    def test_built_in_code_too(self) -> None:
        assert issues_of(lambda: _relationship(site="", closeness=0)) == [
            ("$.closeness", "out_of_range"),
            ("$.site", "too_short"),
        ]


class TestPlainSubclass:
    """A subclass without the decorator would lose what it adds: it is refused."""

    def test_refused_where_a_model_is_expected(self) -> None:
        class Plain(Relationship):
            pass

        plain = Plain(label="P1", role=RelationshipRole.FRIEND, closeness=2)
        with pytest.raises(ValidationError) as info:
            InterpersonalInventory(relationships=(plain,))
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == ("$.relationships[0]", "wrong_type")
        assert "iptkit.model" in issue.message
        with pytest.raises(TypeError, match="not an iptkit model"):
            iptkit.dump(plain)


class TestComposition:
    def test_paths_run_through_the_user_model(self) -> None:
        contract = iptkit.dump(_contract())
        del contract["schema_version"]  # a part of a document carries none
        contract["sessions"]["total"] = 1
        contract["focus_areas"] = []
        doc = {"schema_version": iptkit.SCHEMA_VERSION, "site": "B", "contract": contract}
        assert issues_of(lambda: iptkit.load(SiteContract, doc)) == [
            ("$.contract.sessions.total", "out_of_range"),
            ("$.contract.focus_areas", "too_short"),
        ]

    def test_round_trip(self) -> None:
        document = SiteContract(site="B", contract=_contract(), signed=dt.date(2026, 3, 1))
        assert iptkit.loads(SiteContract, iptkit.dumps(document)) == document


def _contract() -> TreatmentContract:
    return TreatmentContract(
        protocol=iptkit.protocols.IPT_UK,
        sessions=iptkit.SessionTerms(
            total=16,
            frequency=iptkit.Frequency.WEEKLY,
            minutes=50,
            first_session=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
            zone="UTC",
        ),
        focus_areas=(iptkit.FocusArea.GRIEF,),
    )
