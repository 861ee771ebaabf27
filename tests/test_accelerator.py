"""The ``fast`` extra: the compiled path gives what the pure path gives.

The same documents, valid and mutated, go through :func:`iptkit.loads` and
:func:`iptkit.dumps` with the accelerator and without it (in one process):
the loaded objects are equal, the issues are the same (paths, codes,
messages, inputs and order), and the text is the same byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import mutated, public_documents, public_models
from iptkit import TreatmentCourse, ValidationError
from iptkit._io import _codec, _fast

MODELS = public_models()
DOCUMENTS = public_documents()
COMPILED = _codec.accelerated()


@contextlib.contextmanager
def pure() -> Iterator[None]:
    """Run the block without the accelerator."""
    _codec.use_accelerator(None, None)
    try:
        yield
    finally:
        _codec.use_accelerator(*COMPILED)


@contextlib.contextmanager
def compiled() -> Iterator[None]:
    """Run the block with the accelerator (whatever the environment says)."""
    _codec.use_accelerator(_fast.load_plain, _fast.dump_text)
    try:
        yield
    finally:
        _codec.use_accelerator(*COMPILED)


def outcome(cls: type, text: str | bytes) -> Any:
    """What ``loads`` gives: the object, or the issues with everything they hold."""
    try:
        return iptkit.loads(cls, text)
    except ValidationError as exc:
        return [(i.path, i.code, i.message, repr(i.input)) for i in exc.issues], exc.left_out


def both(cls: type, text: str | bytes) -> Any:
    """Load ``text`` both ways; assert they agree; return the outcome."""
    with pure():
        expected = outcome(cls, text)
    with compiled():
        found = outcome(cls, text)
    assert found == expected
    return found


def test_in_use_unless_switched_off() -> None:
    """CI installs the extra: the compiled path is on unless IPTKIT_PURE_PYTHON is set."""
    off = os.environ.get(_fast.ENV_PURE, "") not in ("", "0")
    assert _fast.accelerator() is not off
    assert (COMPILED[0] is None) is off


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
class TestBothPaths:
    """Every public model, through both paths."""

    def test_valid_documents(self, cls: type) -> None:
        """A valid document loads to the same object and is written as the same text."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            with pure():
                text = iptkit.dumps(obj)
            with compiled():
                assert iptkit.dumps(obj) == text
            assert both(cls, text) == obj
            assert both(cls, text.encode()) == obj

        run()

    def test_mutated_documents(self, cls: type) -> None:
        """A mutated document gives the same object or the same issues."""

        @given(mutated(cls))
        def run(doc: Any) -> None:
            text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
            both(cls, text)
            both(cls, json.dumps(doc, indent=1))

        run()


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "data" / "adult_grief_16.json"


def _course_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


class TestTextTheProofMustRead:
    """Texts where the count of keys, not msgspec, decides."""

    @pytest.fixture
    def text(self) -> str:
        return iptkit.dumps(iptkit.loads(TreatmentCourse, _course_text()))

    def test_a_repeated_key_is_refused(self, text: str) -> None:
        """msgspec keeps the last of a repeated key; the codec still refuses it."""
        repeated = text.replace('"patient_id":', '"patient_id":"X","patient_id":', 1)
        found = both(TreatmentCourse, repeated)
        assert [issue[1] for issue in found[0]] == ["duplicate_key"]

    def test_a_repeated_key_after_white_space_is_refused(self, text: str) -> None:
        repeated = text.replace('"patient_id":', '"patient_id" :"X","patient_id":', 1)
        found = both(TreatmentCourse, repeated)
        assert [issue[1] for issue in found[0]] == ["duplicate_key"]

    def test_a_repeated_nested_key_is_refused(self, text: str) -> None:
        repeated = text.replace('"minutes":', '"minutes":1,"minutes":', 1)
        found = both(TreatmentCourse, repeated)
        assert [issue[1] for issue in found[0]] == ["duplicate_key"]

    def test_text_holding_a_key_ending_loads(self, text: str) -> None:
        """A string holding ``":`` makes the counts differ; the strict decoder finds no repeat."""
        data = json.loads(text)
        data["sessions"][0]["notes"] = 'Said "enough": then left.'
        course = both(TreatmentCourse, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        assert course.sessions[0].notes == 'Said "enough": then left.'

    @pytest.mark.parametrize(
        "change",
        [
            lambda t: "\ufeff" + t,  # a byte order mark
            lambda t: t + " x",  # trailing text
            lambda t: t.replace('"minutes":50', '"minutes":NaN', 1),
            lambda t: t.replace('"minutes":50', '"minutes":50.0', 1),
            lambda t: t.replace('"minutes":50', '"minutes":1' + "0" * 30, 1),
            lambda t: t.replace('"minutes":50', '"minutes":true', 1),
            lambda t: t.replace('"patient_id":"', '"patient_id":"\\ud800', 1),
            lambda t: t.replace('"schema_version":2', '"schema_version":1', 1),
            lambda t: t.replace('"schema_version":2,', "", 1),
            lambda t: t.replace("+", "-", 1),
            lambda t: t.replace("T", " ", 1),
            lambda t: "[" * 70 + t + "]" * 70,
        ],
    )
    def test_edge_texts(self, text: str, change: Any) -> None:
        both(TreatmentCourse, change(text))
        both(TreatmentCourse, change(text).encode())

    def test_invalid_utf8(self, text: str) -> None:
        both(TreatmentCourse, text.encode()[:20] + b"\xff" + text.encode()[20:])

    def test_a_version_1_document_is_migrated(self) -> None:
        data = json.loads(_course_text())
        data["schema_version"] = 1
        both(TreatmentCourse, json.dumps(data))


def test_writer_leaves_decimals_to_the_pure_writer() -> None:
    """msgspec writes ``1e-7`` where the standard library writes ``1e-07``: it is not asked to."""
    config = iptkit.TriggerRule(
        kind=iptkit.LifeEventKind.RETIREMENT, area=iptkit.FocusArea.ROLE_TRANSITION, weight=1e-07
    )
    with compiled():
        assert _fast.dump_text(config) is None
        text = iptkit.dumps(config)
    with pure():
        assert iptkit.dumps(config) == text
    assert '"weight":1e-07' in text  # the standard library's form


def test_without_msgspec_the_pure_path_runs() -> None:
    """Without the extra, iptkit imports, reads and writes on the pure path alone."""
    code = (
        "import sys\n"
        "sys.modules['msgspec'] = None\n"
        "import iptkit\n"
        "from iptkit._io import _codec, _fast\n"
        "assert not _fast.accelerator() and _codec.accelerated() == (None, None)\n"
        f"text = open({str(EXAMPLE)!r}, encoding='utf-8').read()\n"
        "course = iptkit.loads(iptkit.TreatmentCourse, text)\n"
        "print(iptkit.loads(iptkit.TreatmentCourse, iptkit.dumps(course)) == course)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout.strip() == "True", result.stderr


def test_the_environment_switches_it_off() -> None:
    """IPTKIT_PURE_PYTHON=1 keeps the compiled path out although msgspec is installed."""
    code = "from iptkit._io import _codec\nprint(_codec.accelerated() == (None, None))\n"
    env = {**os.environ, _fast.ENV_PURE: "1"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    assert result.stdout.strip() == "True", result.stderr


@iptkit.model
class AnyValue:
    """A downstream model with a field of any JSON value."""

    value: Any


def test_deep_nesting_inside_any_value_goes_the_pure_way() -> None:
    """msgspec gives up on deep nesting with RecursionError; the pure path reports it."""
    text = '{"value":' + "[" * 100_000 + "]" * 100_000 + "}"
    found = both(AnyValue, text)
    assert [issue[1] for issue in found[0]] == ["too_deep"]
    assert both(AnyValue, '{"value":{"a":[1,"x",null]}}') == AnyValue(value={"a": [1, "x", None]})
