"""The error model: Issue, ValidationError and the exception hierarchy."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from iptkit import IptkitError, Issue, ScheduleError, ValidationError
from iptkit._errors import join_path

CLOSENESS = Issue("$.relationships[2].closeness", "out_of_range", "Closeness must be 1 to 5.")
LABEL = Issue("$.relationships[0].label", "missing_field", "The label is missing.")


class TestIssue:
    """Issue: one problem with a path, a code and a message."""

    def test_fields(self) -> None:
        """An issue keeps its path, code and message as given."""
        issue = Issue("$.closeness", "out_of_range", "Too far.")
        assert (issue.path, issue.code, issue.message) == (
            "$.closeness",
            "out_of_range",
            "Too far.",
        )

    def test_str(self) -> None:
        """str() reads path, message, then the code in brackets."""
        assert str(CLOSENESS) == (
            "$.relationships[2].closeness: Closeness must be 1 to 5. [out_of_range]"
        )

    def test_is_frozen_and_hashable(self) -> None:
        """Issues are values: equal issues compare and hash equal."""
        again = Issue(CLOSENESS.path, CLOSENESS.code, CLOSENESS.message)
        assert again == CLOSENESS
        assert len({again, CLOSENESS}) == 1

    @pytest.mark.parametrize(
        ("path", "loc"),
        [
            ("$", ()),
            ("$.relationships", ("relationships",)),
            ("$.relationships[2].closeness", ("relationships", 2, "closeness")),
            ("$[0][1]", (0, 1)),
            ("$['two words']", ("two words",)),
            ("$.people['it\\'s'].x", ("people", "it's", "x")),
            ("$['back\\\\slash']", ("back\\slash",)),
            ("$['12']", ("12",)),
        ],
    )
    def test_loc(self, path: str, loc: tuple[str | int, ...]) -> None:
        """loc splits a path into keys and indexes, unquoting quoted keys."""
        assert Issue(path, "wrong_type", "m").loc == loc

    def test_loc_of_a_path_not_written_by_iptkit(self) -> None:
        """A path that is not a JSON path is kept whole rather than failing."""
        assert Issue("closeness", "wrong_type", "m").loc == ("closeness",)

    @given(st.lists(st.text(max_size=6) | st.integers(min_value=0, max_value=99), max_size=5))
    def test_loc_inverts_join_path(self, keys: list[str | int]) -> None:
        """For any keys, loc of the joined path gives the keys back."""
        path = "$"
        for key in keys:
            path = join_path(path, key)
        assert Issue(path, "wrong_type", "m").loc == tuple(keys)


class TestValidationError:
    """ValidationError: every problem of a value in one exception."""

    def test_is_a_value_error_and_an_iptkit_error(self) -> None:
        """One except clause for ValueError or IptkitError catches it."""
        error = ValidationError([CLOSENESS])
        assert isinstance(error, ValueError)
        assert isinstance(error, IptkitError)

    def test_keeps_every_issue_in_order(self) -> None:
        """issues is a tuple of all issues, in the order given."""
        error = ValidationError([LABEL, CLOSENESS])
        assert error.issues == (LABEL, CLOSENESS)

    def test_needs_an_issue(self) -> None:
        """An error without any issue is a programming mistake."""
        with pytest.raises(ValueError, match="at least one Issue"):
            ValidationError([])

    def test_single(self) -> None:
        """single() builds an error holding exactly one issue."""
        error = ValidationError.single("$.label", "too_short", "The label is empty.")
        assert error.issues == (Issue("$.label", "too_short", "The label is empty."),)

    def test_str_lists_every_issue(self) -> None:
        """str() counts the issues and puts each on its own line."""
        assert str(ValidationError([LABEL, CLOSENESS])).splitlines() == [
            "2 validation issues:",
            "  $.relationships[0].label: The label is missing. [missing_field]",
            "  $.relationships[2].closeness: Closeness must be 1 to 5. [out_of_range]",
        ]
        assert str(ValidationError([LABEL])).startswith("1 validation issue:")

    def test_errors_shape(self) -> None:
        """errors() gives pydantic-style dicts: loc, type, msg, plus the path."""
        assert ValidationError([LABEL, CLOSENESS]).errors() == [
            {
                "loc": ("relationships", 0, "label"),
                "type": "missing_field",
                "msg": "The label is missing.",
                "path": "$.relationships[0].label",
            },
            {
                "loc": ("relationships", 2, "closeness"),
                "type": "out_of_range",
                "msg": "Closeness must be 1 to 5.",
                "path": "$.relationships[2].closeness",
            },
        ]

    def test_codes(self) -> None:
        """codes is the set of distinct codes."""
        error = ValidationError([LABEL, CLOSENESS, LABEL])
        assert error.codes == frozenset({"missing_field", "out_of_range"})

    def test_pickles(self) -> None:
        """The error survives pickling with every issue (for worker processes)."""
        error = ValidationError([LABEL, CLOSENESS])
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is ValidationError
        assert again.issues == error.issues
        assert str(again) == str(error)

    def test_raised_from_a_model(self) -> None:
        """Building a model with bad values raises it, not TypeError."""
        from iptkit import Relationship

        with pytest.raises(ValidationError) as info:
            Relationship(label=3, role="partner", closeness="1")  # type: ignore[arg-type]
        assert [(i.path, i.code) for i in info.value.issues] == [
            ("$.label", "wrong_type"),
            ("$.role", "wrong_type"),
            ("$.closeness", "wrong_type"),
        ]


class TestScheduleError:
    """ScheduleError: a schedule that cannot exist."""

    def test_is_an_iptkit_error_but_not_a_value_error(self) -> None:
        """It derives from IptkitError only: it is about a request, not about data."""
        assert issubclass(ScheduleError, IptkitError)
        assert not issubclass(ScheduleError, ValueError)


def test_a_key_with_a_lone_surrogate_can_be_written() -> None:
    """An unknown key holding a lone surrogate is escaped in the path, so the report is UTF-8."""
    with pytest.raises(iptkit.ValidationError) as caught:
        iptkit.load(
            iptkit.InterpersonalInventory,
            {"schema_version": iptkit.SCHEMA_VERSION, "relationships": [], "a\ud800b": 1},
        )
    (issue,) = caught.value.issues
    assert (issue.path, issue.code) == ("$['a\\ud800b']", "unknown_field")
    str(caught.value).encode("utf-8")  # no UnicodeEncodeError
