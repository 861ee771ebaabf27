"""Every problem of a document in one report.

For any valid document and any set of independent corruptions of single
fields (a wrong type in one, a value out of bounds in another, a bad pattern,
time zone, enumeration value or date in others, an item listed twice or a
date out of order within a list), one :func:`iptkit.load` reports every one
of them: each corrupted path is among the issues.  A missing or unsupported
``schema_version`` is one more issue of the same report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
import iptkit.testing
from _helpers import issues_of, public_documents
from _positions import Loc, positions, replace_at, value_at
from iptkit import (
    FocusArea,
    Frequency,
    InterpersonalInventory,
    SessionTerms,
    TreatmentContract,
    TreatmentCourse,
    ValidationError,
)
from iptkit._errors import join_path
from iptkit._model import Constraints, field_specs
from iptkit.protocols import STANDARD

DOCUMENTS = public_documents()

#: A wrong JSON type for each kind of position.
WRONG_TYPE: dict[str, Any] = {
    "text": 12345,
    "zone": 12345,
    "enum": 7,
    "date": 20260101,
    "datetime": 20260101,
    "int": "12",
    "number": "1.5",
    "bool": "no",
    "union": [1],
}

#: A value of the right JSON type that breaks a rule of the field, by kind.
BAD_VALUE: dict[str, list[Any]] = {
    "zone": ["Mars/Olympus"],
    "enum": ["not_a_member"],
    "date": ["2026-02-30", "26-01-05"],
    "datetime": ["2026-01-05T09:00:00", "2026-02-30T09:00:00Z"],
}


def path_of(loc: Loc) -> str:
    path = "$"
    for key in loc:
        path = join_path(path, key)
    return path


def field_key(loc: Loc) -> Loc:
    """The field a position belongs to: its loc without trailing list indexes."""
    end = len(loc)
    while end and isinstance(loc[end - 1], int):
        end -= 1
    return loc[:end]


def constraints_of(owner: tuple[type, str] | None) -> Constraints:
    if owner is None:
        return Constraints()
    cls, name = owner
    return next(spec.constraints for spec in field_specs(cls) if spec.name == name)


def rule_names(owner: tuple[type, str] | None) -> set[str]:
    """The factories of the field's own rules (``distinct``, ``in_date_order``, ...)."""
    rules = constraints_of(owner).rules
    return {getattr(rule, "issues", rule).__qualname__.split(".")[0] for rule in rules}


def corruptions(doc: Any, loc: Loc, kind: str, owner: Any) -> list[tuple[Loc, Any]]:
    """Ways to break the one field at ``loc``: ``(loc to replace, new value)`` pairs."""
    found: list[tuple[Loc, Any]] = [(loc, WRONG_TYPE[kind])]
    found += [(loc, value) for value in BAD_VALUE.get(kind, [])]
    c = constraints_of(owner)
    inside_list = isinstance(loc[-1], int)
    if not inside_list and kind in ("int", "number"):
        step = 1 if kind == "int" else 0.5
        if c.le is not None:
            found.append((loc, c.le + step))
        if c.ge is not None:
            found.append((loc, c.ge - step))
    if not inside_list and kind in ("text", "zone"):
        if c.max_len is not None:
            found.append((loc, "x" * (c.max_len + 1)))
        if c.min_len is not None and c.min_len >= 1:
            found.append((loc, ""))
        if c.pattern is not None:
            found.append((loc, "not in the pattern!"))
    if inside_list:
        # Break a rule of the list field the item is in.
        where = field_key(loc)
        items = value_at(doc, where)
        names = rule_names(owner)
        if "distinct" in names and items:
            found.append((where, [*items, items[0]]))
        if "in_date_order" in names and len(items) >= 2 and items[0] != items[-1]:
            found.append((where, list(reversed(items))))
    return found


@st.composite
def corrupted_documents(draw: st.DrawFn, cls: type) -> tuple[Any, list[Loc]]:
    """A valid ``cls`` document with independent single-field corruptions.

    Returns the document and the locs that were corrupted.
    """
    doc = iptkit.dump(draw(st.from_type(cls)))
    places = positions(cls, doc, document=True)
    chosen = draw(st.lists(st.sampled_from(places), min_size=1, max_size=4, unique=True))
    corrupted: list[Loc] = []
    taken: list[Loc] = []
    changed = doc
    for loc, kind, owner in chosen:
        loc_to, value = draw(st.sampled_from(corruptions(doc, loc, kind, owner)))
        key = field_key(loc_to) if loc_to == loc else loc_to
        # Independent: different fields, none inside another one.
        if any(key[: len(other)] == other or other[: len(key)] == key for other in taken):
            continue
        taken.append(key)
        changed = replace_at(changed, loc_to, value)
        corrupted.append(loc_to)
    if draw(st.booleans()) and "schema_version" in changed:
        version = draw(st.sampled_from(["drop", 99, 0, "2"]))
        if version == "drop":
            changed = {k: v for k, v in changed.items() if k != "schema_version"}
        else:
            changed = {**changed, "schema_version": version}
        corrupted.append(("schema_version",))
    return changed, corrupted


def reported(paths: list[str], loc: Loc) -> bool:
    """Whether a problem is reported at ``loc`` or inside it."""
    target = path_of(loc)
    return any(p == target or p.startswith((target + ".", target + "[")) for p in paths)


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
def test_one_load_reports_every_corruption(cls: type) -> None:
    """Each corrupted field is reported by the same load, whatever the others hold."""

    @given(corrupted_documents(cls))
    def run(case: tuple[Any, list[Loc]]) -> None:
        doc, corrupted = case
        loads: list[Callable[[], object]] = [
            lambda: iptkit.load(cls, doc),
            lambda: iptkit.loads(cls, json.dumps(doc)),
        ]
        for load in loads:
            with pytest.raises(ValidationError) as info:
                load()
            paths = [issue.path for issue in info.value.issues]
            missing = [path_of(loc) for loc in corrupted if not reported(paths, loc)]
            assert not missing, f"not reported: {missing}; reported: {paths}"

    run()


# --------------------------------------------------------------------------
# The cases of the issue, by hand
# --------------------------------------------------------------------------


def contract_document(**terms: Any) -> dict[str, Any]:
    contract = TreatmentContract(
        protocol=STANDARD,
        sessions=SessionTerms(
            total=16,
            frequency=Frequency.WEEKLY,
            minutes=50,
            first_session=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
            zone="UTC",
        ),
        focus_areas=(FocusArea.ROLE_DISPUTE,),
    )
    doc = iptkit.dump(contract)
    doc["sessions"] = {**doc["sessions"], **terms}
    return doc


def test_a_form_user_needs_one_round() -> None:
    """A wrong total, an unknown zone and a focus area listed twice, all at once."""
    doc = contract_document(total="16", zone="Mars/Olympus")
    doc["focus_areas"] = ["role_dispute", "role_dispute"]
    assert issues_of(lambda: iptkit.load(TreatmentContract, doc)) == [
        ("$.sessions.total", "wrong_type"),
        ("$.sessions.zone", "invalid_zone"),
        ("$.focus_areas[1]", "duplicate_value"),
    ]


def test_field_rules_run_beside_a_wrong_type_in_code_too() -> None:
    """Building an object: the zone is judged although the total has the wrong type."""
    with pytest.raises(ValidationError) as info:
        SessionTerms(
            total="16",  # type: ignore[arg-type]
            frequency=Frequency.WEEKLY,
            minutes=50,
            first_session=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
            zone="Mars/Olympus",
        )
    assert [(i.path, i.code) for i in info.value.issues] == [
        ("$.total", "wrong_type"),
        ("$.zone", "invalid_zone"),
    ]
    assert info.value.issues[1].input == "Mars/Olympus"


def test_excluded_dates_twice_beside_a_wrong_type() -> None:
    """No date twice is the list's own rule (the order is not: dates are stored sorted)."""
    doc = contract_document()
    doc["contingency"] = {
        **doc["contingency"],
        "max_missed": "two",
        "excluded_dates": ["2026-04-06", "2026-04-01", "2026-04-06"],
    }
    assert issues_of(lambda: iptkit.load(TreatmentContract, doc)) == [
        ("$.contingency.max_missed", "wrong_type"),
        ("$.contingency.excluded_dates[2]", "duplicate_value"),
    ]


def test_cross_field_rules_wait_for_their_fields() -> None:
    """A dispute stage without a role dispute is not judged while the areas cannot load."""
    doc = contract_document()
    doc["focus_areas"] = ["grief", "not_an_area"]
    doc["dispute_stage"] = "impasse"
    assert issues_of(lambda: iptkit.load(TreatmentContract, doc)) == [
        ("$.focus_areas[1]", "invalid_value")
    ]


class TestSchemaVersion:
    """A version problem is one issue among the others, never a gate."""

    def test_missing_version_is_one_issue_among_the_others(self) -> None:
        """The document is read as the current version and every problem is reported."""
        doc = {"relationships": [{"label": "A", "role": "partner", "closeness": 9}]}
        with pytest.raises(ValidationError) as info:
            iptkit.load(InterpersonalInventory, doc)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.schema_version", "missing_field"),
            ("$.relationships[0].closeness", "out_of_range"),
        ]
        assert f"version {iptkit.SCHEMA_VERSION}" in info.value.issues[0].message
        assert "current" in info.value.issues[0].message

    @pytest.mark.parametrize(
        "version", [iptkit.SCHEMA_VERSION + 1, 0, -1, 10**5000], ids=["next", "0", "-1", "huge"]
    )
    def test_unsupported_version_is_one_issue_among_the_others(self, version: int) -> None:
        """A future or impossible version: the rest is read as the current version."""
        doc = {"schema_version": version, "completed_on": "2026-02-30"}
        with pytest.raises(ValidationError) as info:
            iptkit.load(InterpersonalInventory, doc)
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.schema_version", "unsupported_schema_version"),
            ("$.completed_on", "invalid_value"),
        ]
        assert info.value.issues[0].input == version

    def test_version_of_the_wrong_type_is_one_issue_among_the_others(self) -> None:
        doc = {"schema_version": "2", "social_style": 3}
        assert issues_of(lambda: iptkit.load(InterpersonalInventory, doc)) == [
            ("$.schema_version", "wrong_type"),
            ("$.social_style", "wrong_type"),
        ]

    def test_a_valid_rest_gives_the_version_issue_alone(self) -> None:
        assert issues_of(lambda: iptkit.load(InterpersonalInventory, {})) == [
            ("$.schema_version", "missing_field")
        ]

    def test_not_required_for_a_form(self) -> None:
        """require_version=False reads a body without a version as the current version."""
        body = {"relationships": [{"label": "A", "role": "partner", "closeness": 1}]}
        inventory = iptkit.load(InterpersonalInventory, body, require_version=False)
        assert inventory.relationships[0].label == "A"
        text = json.dumps(body)
        assert iptkit.loads(InterpersonalInventory, text, require_version=False) == inventory

    def test_a_version_given_is_still_checked(self) -> None:
        """require_version=False does not accept a version this release cannot read."""
        doc = {"schema_version": 99, "relationships": []}
        assert issues_of(
            lambda: iptkit.load(InterpersonalInventory, doc, require_version=False)
        ) == [("$.schema_version", "unsupported_schema_version")]

    def test_an_older_version_given_is_still_migrated(self) -> None:
        """require_version=False still upgrades a document that says it is version 1."""
        doc = {"schema_version": 1, "patient_id": "P-1", "started_on": "2026-01-05"}
        course = iptkit.load(TreatmentCourse, doc, require_version=False)
        assert course.patient_id == "P-1"

    def test_nested_models_need_no_version(self) -> None:
        """Only top-level documents have one; require_version changes nothing for others."""
        person = {"label": "A", "role": "partner", "closeness": 1}
        assert iptkit.load(iptkit.Relationship, person, require_version=True).label == "A"


# --------------------------------------------------------------------------
# A cap on the issues listed (``max_issues``): the first ones, the rest counted
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__name__)
def test_capped_report_is_the_start_of_the_full_one(cls: type) -> None:
    """With ``max_issues=n`` the issues listed are the first n of the full report.

    The rest are counted per code in ``left_out``, and ``count`` is the full
    report's length: the cap changes what is listed, never what is found.
    """

    @given(corrupted_documents(cls), st.integers(min_value=1, max_value=6))
    def run(case: tuple[Any, list[Loc]], cap: int) -> None:
        doc, _ = case
        with pytest.raises(ValidationError) as full:
            iptkit.load(cls, doc)
        with pytest.raises(ValidationError) as capped:
            iptkit.load(cls, doc, max_issues=cap)
        every = full.value.issues
        assert capped.value.issues == every[:cap]
        assert [i.input for i in capped.value.issues] == [i.input for i in every[:cap]]
        assert capped.value.count == len(every)
        counted: dict[str, int] = {}
        for issue in every[cap:]:
            counted[issue.code] = counted.get(issue.code, 0) + 1
        assert dict(capped.value.left_out) == counted
        assert not full.value.left_out

    run()


def _many_bad_relationships(count: int) -> dict[str, Any]:
    bad = {"label": "P", "role": "not a role", "closeness": 9, "extra": 1}
    return {"schema_version": 2, "relationships": [1, *([bad] * (count - 1))]}


def test_cap_on_a_long_list_of_bad_items() -> None:
    doc = _many_bad_relationships(1000)
    with pytest.raises(ValidationError) as info:
        iptkit.load(InterpersonalInventory, doc, max_issues=5)
    err = info.value
    assert [(i.path, i.code) for i in err.issues] == [
        ("$.relationships[0]", "wrong_type"),
        ("$.relationships[1].role", "invalid_value"),
        ("$.relationships[1].closeness", "out_of_range"),
        ("$.relationships[1].extra", "unknown_field"),
        ("$.relationships[2].role", "invalid_value"),
    ]
    assert err.left_out == {"invalid_value": 997, "out_of_range": 998, "unknown_field": 998}
    assert err.count == 1 + 3 * 999
    text = str(err)
    assert text.startswith(f"{err.count} validation issues:")
    assert text.endswith(
        f"... and {err.count - 5} more not listed [invalid_value, out_of_range, unknown_field]"
    )
    assert "not a role" not in text


def test_cap_on_unknown_keys() -> None:
    doc = {"schema_version": 2, "relationships": [], **{f"k{n}": n for n in range(50)}}
    with pytest.raises(ValidationError) as info:
        iptkit.load(InterpersonalInventory, doc, max_issues=3)
    assert [i.path for i in info.value.issues] == ["$.k0", "$.k1", "$.k2"]
    assert info.value.left_out == {"unknown_field": 47}


def test_cap_counts_a_missing_version_too() -> None:
    doc = _many_bad_relationships(3)
    del doc["schema_version"]
    with pytest.raises(ValidationError) as info:
        iptkit.loads(InterpersonalInventory, json.dumps(doc), max_issues=2)
    assert [i.code for i in info.value.issues] == ["missing_field", "wrong_type"]
    assert info.value.count == 2 + 3 * 2


def test_capped_error_pickles_with_its_counts() -> None:
    import pickle

    with pytest.raises(ValidationError) as info:
        iptkit.load(InterpersonalInventory, _many_bad_relationships(4), max_issues=1)
    again = pickle.loads(pickle.dumps(info.value))
    assert again.issues == info.value.issues
    assert again.left_out == info.value.left_out
    assert str(again) == str(info.value)


@pytest.mark.parametrize(
    ("cap", "error"),
    [(0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_max_issues_must_be_a_positive_whole_number(cap: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_issues"):
        iptkit.load(InterpersonalInventory, {"relationships": []}, max_issues=cap)
    with pytest.raises(error, match="max_issues"):
        iptkit.loads(InterpersonalInventory, "{}", max_issues=cap)


def test_memory_of_a_capped_load_does_not_follow_the_issues() -> None:
    """A hundred thousand bad items, five issues listed: allocations stay small.

    Measured with ``tracemalloc`` (bytes allocated by this load, not time):
    listing every issue takes hundreds of bytes per issue, the capped load a
    few kilobytes in all.
    """
    import tracemalloc

    doc = {"schema_version": 2, "relationships": [1] * 100_000}
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError):
            iptkit.load(InterpersonalInventory, doc, max_issues=5)
        _, capped_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with pytest.raises(ValidationError):
            iptkit.load(InterpersonalInventory, doc)
        _, full_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert capped_peak < 1_000_000
    assert full_peak > 20 * capped_peak
