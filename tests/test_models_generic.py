"""Properties every public model must have, picked up without extra code.

A new public model gets these tests as soon as it is exported and has a
strategy registered in :mod:`iptkit.testing`.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
import iptkit.testing
from _helpers import assert_only_json, json_values, mutated, public_documents, public_models
from iptkit import ValidationError

MODELS = public_models()
DOCUMENTS = public_documents()


def _load_or_issues(cls: type, doc: Any) -> object:
    """Load ``doc``; return the object or the ValidationError (anything else propagates)."""
    try:
        return iptkit.load(cls, doc)
    except ValidationError as exc:
        return exc


def test_there_are_models() -> None:
    """The public API exports models and documents for the generic tests."""
    assert iptkit.InterpersonalInventory in MODELS
    assert iptkit.InterpersonalInventory in DOCUMENTS


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
class TestEveryModel:
    """Round trip, determinism and totality for each public model."""

    def test_round_trip(self, cls: type) -> None:
        """load(dump(x)) == x, loads(dumps(x)) == x, and dump holds only JSON types."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            assert isinstance(obj, cls)
            data = iptkit.dump(obj)
            assert_only_json(data)
            assert iptkit.load(cls, data) == obj
            text = iptkit.dumps(obj)
            assert iptkit.loads(cls, text) == obj
            assert iptkit.loads(cls, text.encode()) == obj
            # Deterministic: the same object, and its copy, give the same text.
            assert iptkit.dumps(iptkit.loads(cls, text)) == text
            assert json.loads(text) == data

        run()

    def test_pickles(self, cls: type) -> None:
        """Models survive pickling (researchers check records in worker processes)."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            assert pickle.loads(pickle.dumps(obj)) == obj

        run()

    def test_load_is_total_on_mutations(self, cls: type) -> None:
        """A mutated document loads or raises ValidationError, nothing else."""

        @given(mutated(cls))
        def run(doc: Any) -> None:
            outcome = _load_or_issues(cls, doc)
            if isinstance(outcome, ValidationError):
                assert outcome.issues
                assert all(issue.path.startswith("$") for issue in outcome.issues)
            else:
                assert isinstance(outcome, cls)

        run()

    def test_load_is_total_on_any_json(self, cls: type) -> None:
        """Any JSON value at all loads or raises ValidationError."""

        @given(json_values)
        def run(doc: Any) -> None:
            outcome = _load_or_issues(cls, doc)
            if isinstance(outcome, ValidationError):
                assert outcome.issues
            else:
                assert isinstance(outcome, cls)

        run()


@pytest.mark.parametrize("cls", DOCUMENTS, ids=lambda c: c.__qualname__)
class TestEveryDocument:
    """Schema version handling of top-level documents."""

    def test_dump_carries_schema_version(self, cls: type) -> None:
        """dump() writes the current schema_version first."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            data = iptkit.dump(obj)
            assert next(iter(data)) == "schema_version"
            assert data["schema_version"] == iptkit.SCHEMA_VERSION

        run()

    def test_unknown_version_refused(self, cls: type) -> None:
        """A version this release does not know gets unsupported_schema_version."""

        @given(
            st.from_type(cls),
            st.sampled_from([0, -1, iptkit.SCHEMA_VERSION + 1, 999]) | st.integers(max_value=0),
        )
        def run(obj: Any, version: int) -> None:
            data = {**iptkit.dump(obj), "schema_version": version}
            with pytest.raises(ValidationError) as info:
                iptkit.load(cls, data)
            assert [(i.path, i.code) for i in info.value.issues] == [
                ("$.schema_version", "unsupported_schema_version")
            ]

        run()
