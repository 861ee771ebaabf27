"""One description of each field type (iptkit._types), and what every consumer does with it.

The constructor checks, the compiled fast check, the codec, the JSON Schema
and the corpus generator all switch on :class:`~iptkit._types.TypeShape`;
these tests hold them to the same reading of each kind: numbers mean the same
in code and JSON, messages tell Python callers what to pass and never quote a
value, and generated code goes through one helper.
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
import json
import linecache
import re
import traceback
import typing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _helpers import issues_of, public_models
from iptkit import (
    InterpersonalInventory,
    Relationship,
    RelationshipRole,
    ValidationError,
    dump,
    dumps,
    json_schema,
    load,
    loads,
)
from iptkit._model import check_fields, fast_check, field, field_specs, model
from iptkit._types import (
    SCALARS,
    Kind,
    TypeShape,
    compile_function,
    describe,
    int_fits_float,
    shape_of,
    value_words,
)
from iptkit.measures import PHQ9, Change, from_total

SRC = Path(__file__).resolve().parent.parent / "src" / "iptkit"
UTC = dt.UTC


class Colour(enum.Enum):
    """A small enumeration for the test models."""

    RED = "red"
    BLUE = "blue"


@model
class Part:
    """A nested model."""

    size: int = field(ge=0)


@model(document="every_kind")
class EveryKind:
    """A model with a field of every kind, and the nestings the walk supports."""

    flag: bool
    count: int = field(ge=0, le=1_000_000)
    ratio: float = field(ge=0)
    label: str = field(min_len=1, max_len=8, pattern="[a-z]+")
    day: dt.date
    moment: dt.datetime
    colour: Colour
    part: Part
    anything: Any = None
    days: tuple[dt.date, ...] = ()
    ratios: tuple[float, ...] = field(default=(), max_len=3)
    maybe_days: tuple[dt.date | None, ...] = ()
    maybe_ratio: float | None = None
    maybe_colour: Colour | None = None
    maybe_part: Part | None = None
    number_or_text: int | str = 0
    decimal_or_text: float | str = "x"
    whole_or_decimal: int | float = 0
    answers: tuple[int | str, ...] | None = None


def every_kind(**changes: Any) -> EveryKind:
    values: dict[str, Any] = {
        "flag": True,
        "count": 3,
        "ratio": 0.5,
        "label": "abc",
        "day": dt.date(2026, 1, 14),
        "moment": dt.datetime(2026, 1, 14, 9, tzinfo=UTC),
        "colour": Colour.RED,
        "part": Part(size=1),
        "anything": {"free": ["form"]},
        "days": (dt.date(2026, 1, 1),),
        "ratios": (0.25, 2.0),
        "maybe_days": (None, dt.date(2026, 2, 1)),
        "maybe_ratio": 1.5,
        "maybe_colour": Colour.BLUE,
        "maybe_part": Part(size=2),
        "number_or_text": "seven",
        "decimal_or_text": 2.5,
        "whole_or_decimal": 4,
        "answers": (1, "2a"),
    }
    values.update(changes)
    return EveryKind(**values)


def messages(call: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        call()
    return [issue.message for issue in info.value.issues]


# --------------------------------------------------------------------------
# shape_of
# --------------------------------------------------------------------------


class TestShapeOf:
    """shape_of: one small tree per type hint, cached."""

    @pytest.mark.parametrize(
        ("hint", "kind"),
        [
            (Any, Kind.ANY),
            (bool, Kind.BOOL),
            (int, Kind.INT),
            (float, Kind.FLOAT),
            (str, Kind.STR),
            (dt.date, Kind.DATE),
            (dt.datetime, Kind.DATETIME),
            (Colour, Kind.ENUM),
            (Part, Kind.MODEL),
            (tuple[int, ...], Kind.TUPLE),
            (int | None, Kind.OPTIONAL),
            (typing.Optional[int], Kind.OPTIONAL),  # noqa: UP045 - the old spelling too
            (int | str, Kind.UNION),
        ],
    )
    def test_kinds(self, hint: Any, kind: Kind) -> None:
        """Each supported hint has its kind; the hint is kept for the codec."""
        shape = shape_of(hint)
        assert shape.kind is kind
        assert shape.hint == hint

    def test_nesting(self) -> None:
        """Items, the non-null part of an optional and union alternatives are shapes too."""
        shape = shape_of(tuple[int | str, ...] | None)
        assert shape.kind is Kind.OPTIONAL
        assert shape.inner.kind is Kind.TUPLE
        assert [a.kind for a in shape.inner.inner.alternatives] == [Kind.INT, Kind.STR]
        several = shape_of(int | str | None)
        assert several.kind is Kind.OPTIONAL
        assert several.inner.kind is Kind.UNION
        assert shape_of(Colour).cls is Colour
        assert shape_of(Part).cls is Part

    def test_cached(self) -> None:
        """The same hint gives the same shape object, and a field keeps it in its spec."""
        assert shape_of(tuple[Colour, ...]) is shape_of(tuple[Colour, ...])
        for spec in field_specs(EveryKind):
            assert spec.shape is shape_of(spec.type)

    def test_contains(self) -> None:
        """contains() finds a kind anywhere in the tree."""
        assert shape_of(tuple[float, ...] | None).contains(Kind.FLOAT)
        assert not shape_of(tuple[int, ...]).contains(Kind.FLOAT)

    @pytest.mark.parametrize(
        "hint",
        [list[int], tuple[int, int], dict[str, int], set, bytes, Part | Colour, Path],
    )
    def test_unsupported_types_are_refused(self, hint: Any) -> None:
        """A hint no consumer knows is a TypeError (a design error), not a silent fallback."""
        with pytest.raises(TypeError):
            shape_of(hint)

    def test_a_model_with_an_unsupported_field_fails_when_first_used(self) -> None:
        """field_specs refuses the class the first time anything needs its fields."""

        @model
        class Odd:
            values: list[int]

        with pytest.raises(TypeError, match="unsupported field type"):
            field_specs(Odd)

    def test_every_public_field_has_a_shape(self) -> None:
        """Every field of every public model is described (nothing falls through)."""
        for cls in public_models():
            for spec in field_specs(cls):
                assert isinstance(spec.shape, TypeShape)

    def test_describe(self) -> None:
        """describe() speaks JSON: lists, null, enumeration values."""
        assert describe(shape_of(tuple[int, ...])) == "a list"
        assert describe(shape_of(Colour | None)) == "one of 'red', 'blue' or null"
        assert describe(shape_of(int | str)) == "a whole number or text"
        assert describe(shape_of(Part)) == "an object"
        assert describe(shape_of(Any)) == "any value"

    def test_value_words_never_quote(self) -> None:
        """value_words names a value's kind only."""
        assert value_words("Jane Doe") == "text"
        assert value_words(RelationshipRole.FRIEND) == "a RelationshipRole member"
        assert value_words(Part(size=1)) == "a Part"
        assert value_words(object()) == "an object"


class TestLayering:
    """The shape module belongs to the model layer."""

    def test_types_imports_no_io_or_cli(self) -> None:
        """iptkit._types imports nothing from the io wing, the cli wing or the checks."""
        tree = ast.parse((SRC / "_types.py").read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not {name for name in imported if name.startswith("iptkit")}

    def test_no_consumer_inspects_typing_objects(self) -> None:
        """Only _types walks type hints: no get_origin/get_args in the consumers."""
        for name in ("_model.py", "_io/_codec.py", "_io/_schema.py", "_cli/_synth.py"):
            text = (SRC / name).read_text(encoding="utf-8")
            assert "get_origin" not in text, name
            assert "get_args" not in text, name
            assert "UnionType" not in text, name


# --------------------------------------------------------------------------
# Every consumer, every kind
# --------------------------------------------------------------------------


class TestEveryConsumerEveryKind:
    """A model with a field of every kind works in every consumer."""

    def test_construct_and_round_trip(self) -> None:
        """Built in code, it dumps to JSON types and loads back equal."""
        obj = every_kind()
        data = dump(obj)
        assert data["maybe_days"] == [None, "2026-02-01"]
        assert data["anything"] == {"free": ["form"]}
        assert load(EveryKind, data) == obj
        assert loads(EveryKind, dumps(obj)) == obj
        assert dumps(loads(EveryKind, dumps(obj))) == dumps(obj)

    def test_fast_check_accepts_it(self) -> None:
        """The compiled fast check accepts the valid object."""
        assert fast_check(EveryKind)(every_kind())

    def test_schema(self) -> None:
        """The schema has a property of the right JSON type for every field."""
        schema = json_schema(EveryKind)
        props = schema["properties"]
        assert props["ratio"] == {"type": "number", "minimum": 0}
        date = {"type": "string", "format": "date", "pattern": iptkit_date_pattern()}
        assert props["maybe_days"]["items"] == {"anyOf": [date, {"type": "null"}]}
        assert props["number_or_text"] == {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "default": 0,
        }
        assert props["anything"] == {"default": None}
        assert props["colour"] == {"$ref": "#/$defs/Colour"}

    def test_synth_writes_what_dumps_writes(self) -> None:
        """The corpus generator's compiled writer gives the codec's text, byte for byte."""
        from iptkit._cli import _synth

        render = _synth._shape(EveryKind, top=True)
        obj = every_kind(ratio=2, ratios=(1, 0.5))
        values = {spec.name: getattr(obj, spec.name) for spec in field_specs(EveryKind)}
        values["ratio"] = 2  # the generator may hold a whole number for a decimal field
        assert render(**values) == dumps(obj)

    def test_nested_optional_items(self) -> None:
        """A null item in a tuple of optional dates loads, dumps and is checked."""
        doc = {**dump(every_kind()), "maybe_days": [None, "2026-02-30"]}
        assert issues_of(lambda: load(EveryKind, doc)) == [("$.maybe_days[1]", "invalid_value")]
        assert issues_of(lambda: every_kind(maybe_days=(None, "2026-02-01"))) == [
            ("$.maybe_days[1]", "wrong_type")
        ]


def iptkit_date_pattern() -> str:
    from iptkit._io._schema import DATE_PATTERN

    return DATE_PATTERN


# --------------------------------------------------------------------------
# Numbers mean the same in code and JSON
# --------------------------------------------------------------------------


class TestWholeNumbersForDecimals:
    """An int (not a bool) is a valid float, stored as the float of the same value."""

    def test_constructor_accepts_an_int(self) -> None:
        """Change(response_drop=1) is built, and stores 1.0."""
        change = Change(
            baseline=from_total(PHQ9, 16), follow_up=from_total(PHQ9, 8), response_drop=1
        )
        assert change.response_drop == 1.0
        assert type(change.response_drop) is float

    def test_optional_decimal_takes_an_int(self) -> None:
        """float | None takes an int too."""
        change = Change(
            baseline=from_total(PHQ9, 16),
            follow_up=from_total(PHQ9, 8),
            reliability_sd=4,
            test_retest=0,
        )
        assert (change.reliability_sd, change.test_retest) == (4.0, 0.0)
        assert type(change.reliability_sd) is float
        assert type(change.test_retest) is float

    def test_load_accepts_an_int(self) -> None:
        """Loading gives the same object as building in code."""
        doc = dump(Change(baseline=from_total(PHQ9, 16), follow_up=from_total(PHQ9, 8)))
        doc["response_drop"] = 1
        loaded = load(Change, doc)
        assert type(loaded.response_drop) is float
        built = Change(
            baseline=from_total(PHQ9, 16), follow_up=from_total(PHQ9, 8), response_drop=1
        )
        assert loaded == built

    def test_round_trip(self) -> None:
        """load(type(x), dump(x)) == x, and the text says 1.0 whichever way x was made."""
        built = Change(
            baseline=from_total(PHQ9, 16), follow_up=from_total(PHQ9, 8), response_drop=1
        )
        assert load(Change, dump(built)) == built
        assert '"response_drop":1.0' in dumps(built)
        assert dumps(load(Change, json.loads(dumps(built)))) == dumps(built)

    def test_inside_tuples_and_unions(self) -> None:
        """Ints become floats in a tuple of floats and in float | str; int | float keeps an int."""
        obj = every_kind(ratios=(1, 0.5), decimal_or_text=3, whole_or_decimal=4, maybe_ratio=2)
        assert obj.ratios == (1.0, 0.5)
        assert [type(x) for x in obj.ratios] == [float, float]
        assert type(obj.decimal_or_text) is float
        assert type(obj.whole_or_decimal) is int
        assert type(obj.maybe_ratio) is float
        assert load(EveryKind, dump(obj)) == obj

    @pytest.mark.parametrize("value", [True, False])
    def test_a_bool_is_not_a_number(self, value: bool) -> None:
        """A boolean is refused for a decimal field, in code and in JSON."""
        assert issues_of(lambda: every_kind(ratio=value)) == [("$.ratio", "wrong_type")]
        doc = {**dump(every_kind()), "ratio": value}
        assert issues_of(lambda: load(EveryKind, doc)) == [("$.ratio", "wrong_type")]

    @pytest.mark.parametrize("value", [2**53 + 1, -(2**60) - 1, 10**400])
    def test_an_int_no_float_holds_is_refused(self, value: int) -> None:
        """The value is never silently rounded: out_of_range in code and in JSON."""
        assert not int_fits_float(value)
        assert issues_of(lambda: every_kind(maybe_ratio=value)) == [
            ("$.maybe_ratio", "out_of_range")
        ]
        doc = {**dump(every_kind()), "maybe_ratio": value}
        assert issues_of(lambda: load(EveryKind, doc)) == [("$.maybe_ratio", "out_of_range")]

    def test_a_large_exact_int_is_kept(self) -> None:
        """A large whole number a float holds exactly is stored with the same value."""
        obj = every_kind(maybe_ratio=2**60)
        assert obj.maybe_ratio == 2**60
        assert load(EveryKind, dump(obj)) == obj

    def test_bounds_apply_to_the_int(self) -> None:
        """The bounds of a decimal field hold for a whole number too."""
        assert issues_of(lambda: every_kind(ratio=-1)) == [("$.ratio", "out_of_range")]


# --------------------------------------------------------------------------
# Messages for Python callers; privacy
# --------------------------------------------------------------------------

SECRET = "Mrs Jane Doe said she feels hopeless"


class TestMessages:
    """Messages say what kind of value arrived and what to pass; never the value."""

    def test_list_for_a_tuple(self) -> None:
        """A list where a tuple belongs: 'got a list; use a tuple' (lists are not converted)."""
        relationship = Relationship(label="P1", role=RelationshipRole.FRIEND, closeness=1)
        with pytest.raises(ValidationError) as info:
            InterpersonalInventory(relationships=[relationship])  # type: ignore[arg-type]
        (issue,) = info.value.issues
        assert (issue.path, issue.code) == ("$.relationships", "wrong_type")
        assert "got a list; use a tuple" in issue.message
        assert "got a list." not in issue.message

    def test_text_for_an_enumeration(self) -> None:
        """Text where a member belongs names the enumeration and asks for a member."""
        (message,) = messages(
            lambda: Relationship(label="P1", role="friend", closeness=1)  # type: ignore[arg-type]
        )
        assert "got text; use a RelationshipRole member" in message
        assert "friend" not in message

    def test_text_for_an_enumeration_never_quotes_it(self) -> None:
        """The text itself appears in no message, in code or in JSON."""
        (message,) = messages(
            lambda: Relationship(label="P1", role=SECRET, closeness=1)  # type: ignore[arg-type]
        )
        assert SECRET not in message
        doc = {"label": "P1", "role": SECRET, "closeness": 1}
        (message,) = messages(lambda: load(Relationship, doc))
        assert SECRET not in message
        assert "Jane" not in message

    @pytest.mark.parametrize(
        "changes",
        [
            {"label": 12},
            {"count": SECRET},
            {"ratio": SECRET},
            {"day": SECRET},
            {"moment": SECRET},
            {"colour": SECRET},
            {"part": SECRET},
            {"days": (SECRET,)},
            {"answers": (SECRET.encode(),)},
            {"number_or_text": [SECRET]},
        ],
    )
    def test_no_message_quotes_a_value(self, changes: dict[str, Any]) -> None:
        """Whatever the field and the value, the value is not in the message (code and JSON)."""
        for message in messages(lambda: every_kind(**changes)):
            assert SECRET not in message
            assert "Jane" not in message
        (name, value), *_ = changes.items()
        doc = {**dump(every_kind()), name: value if not isinstance(value, tuple) else list(value)}
        for message in messages(lambda: load(EveryKind, doc)):
            assert "Jane" not in message

    def test_a_datetime_given_to_load(self) -> None:
        """load() reads JSON: a datetime object is told a JSON string is expected."""
        for value in (
            dt.datetime(2026, 1, 14, 9, tzinfo=UTC),
            dt.datetime(2026, 1, 14, 9),
        ):
            doc = {**dump(every_kind()), "moment": value}
            with pytest.raises(ValidationError) as info:
                load(EveryKind, doc)
            (issue,) = info.value.issues
            assert (issue.path, issue.code) == ("$.moment", "wrong_type")
            assert "JSON string" in issue.message
            assert "time zone" not in issue.message
            assert "no UTC offset" not in issue.message

    def test_other_python_objects_given_to_load(self) -> None:
        """A date, a tuple or a model object given to load() is refused the same way."""
        doc = {
            **dump(every_kind()),
            "day": dt.date(2026, 1, 14),
            "days": (dt.date(2026, 1, 1),),
            "part": Part(size=1),
            "colour": Colour.RED,
        }
        with pytest.raises(ValidationError) as info:
            load(EveryKind, doc)
        found = {issue.path: issue.message for issue in info.value.issues}
        assert set(found) == {"$.day", "$.days", "$.part", "$.colour"}
        assert all("which load() does not read" in message for message in found.values())
        assert "JSON array" in found["$.days"]
        assert "JSON object (Part)" in found["$.part"]

    def test_json_messages_name_what_was_found(self) -> None:
        """A JSON value of the wrong type: what was expected, and what kind was found."""
        doc = {**dump(every_kind()), "days": "2026-01-01", "colour": 3, "part": []}
        with pytest.raises(ValidationError) as info:
            load(EveryKind, doc)
        found = {issue.path: issue.message for issue in info.value.issues}
        assert found["$.days"] == "Expected a list; got text."
        assert found["$.colour"] == "Expected one of 'red', 'blue'; got a whole number."
        assert found["$.part"] == "Expected an object (Part); got a list."

    def test_python_hints(self) -> None:
        """A dict for a model, a datetime for a date: the message says what to do."""
        found = messages(
            lambda: every_kind(part={"size": 1}, day=dt.datetime(2026, 1, 14, tzinfo=UTC))
        )
        assert "Expected a date; got a datetime; use its date()." in found
        assert (
            "Expected a Part; got an object (a dict); build a Part, "
            "or read JSON with iptkit.load()." in found
        )

    def test_naive_datetime_in_code(self) -> None:
        """A naive datetime built in code is still naive_datetime."""
        assert issues_of(lambda: every_kind(moment=dt.datetime(2026, 1, 14, 9))) == [
            ("$.moment", "naive_datetime")
        ]


# --------------------------------------------------------------------------
# Stored form of datetimes
# --------------------------------------------------------------------------


def test_datetimes_keep_their_offset_not_their_zone() -> None:
    """A zone-aware datetime is stored with its fixed offset (same instant, same wall clock)."""
    moment = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    obj = every_kind(moment=moment)
    assert type(obj.moment.tzinfo) is dt.timezone
    assert obj.moment.timestamp() == moment.timestamp()
    assert obj.moment.replace(tzinfo=None) == moment.replace(tzinfo=None)
    assert obj.moment.utcoffset() == moment.utcoffset()
    assert load(EveryKind, dump(obj)) == obj


# --------------------------------------------------------------------------
# Generated code: one helper
# --------------------------------------------------------------------------


def _exec_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("exec", "eval")
    ]


class TestGeneratedCode:
    """compile_function is the one exec site."""

    def test_only_the_helper_calls_exec(self) -> None:
        """No module but iptkit._types calls exec() or eval()."""
        sites = {
            str(path.relative_to(SRC)): lines
            for path in sorted(SRC.rglob("*.py"))
            if (lines := _exec_calls(path))
        }
        assert list(sites) == ["_types.py"]
        assert len(sites["_types.py"]) == 1

    def test_compile_function(self) -> None:
        """The helper returns the named function; tracebacks show its source."""
        fail = compile_function("fail", ["def fail(x):", "    return 1 / x"], {})
        with pytest.raises(ZeroDivisionError) as info:
            fail(0)
        text = "".join(traceback.format_tb(info.tb))
        assert "return 1 / x" in text
        filename = fail.__code__.co_filename
        assert linecache.getline(filename, 2).strip() == "return 1 / x"

    def test_each_generated_path_states_its_measurement(self) -> None:
        """Every compile_function call sits next to a note of what it was measured to save."""
        for name in ("_model.py", "_io/_codec.py", "_cli/_synth.py"):
            text = (SRC / name).read_text(encoding="utf-8")
            for match in re.finditer(r"compile_function\(", text):
                start = text.rfind("\ndef ", 0, match.start())
                body = text[start : match.start()]
                assert re.search(r"\d\.\d\dx", body), f"{name}: no measurement before the call"


def test_spec_for_is_gone() -> None:
    """The unused spec_for helper was removed."""
    import iptkit._model

    assert not hasattr(iptkit._model, "spec_for")


def test_every_no_cover_pragma_gives_a_reason() -> None:
    """Each '# pragma: no cover' in the source says why on the same line."""
    bare = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"# pragma: no cover\s*$", line)
    ]
    assert not bare


def test_check_fields_agrees_with_construction() -> None:
    """check_fields (the codec's detailed pass) finds the constructor's field issues."""
    values = {"count": -1, "label": "", "ratio": 1}
    found = [(i.path, i.code) for i in check_fields(EveryKind, values)]
    assert found == [
        ("$.count", "out_of_range"),
        ("$.label", "too_short"),
        ("$.label", "invalid_value"),
    ]
    with pytest.raises(ValidationError) as info:
        every_kind(**values)
    assert [(i.path, i.code) for i in info.value.issues] == found


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_is_exercised(kind: Kind) -> None:
    """The EveryKind model holds every kind, so the tests above reach every branch."""
    shapes = [spec.shape for spec in field_specs(EveryKind)]
    assert any(shape.contains(kind) for shape in shapes)
    assert set(Kind) >= SCALARS
