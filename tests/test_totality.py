"""Totality: ``load`` returns a valid object or raises ValidationError, for any JSON value.

The fuzz cases of issue 11 are regression tests here, and a hypothesis
property injects the values that found them (huge integers, unpaired
surrogates, dates near the ends of Python's calendar with extreme offsets,
deep nesting, host-specific zone names) into documents of every public model.
Whatever loads can be dumped, shown and written as UTF-8.  Constructors and
``iptkit.evolve`` report missing and unknown arguments as ValidationError.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import iptkit
from _helpers import _nodes, _replace, issues_of, mutated, public_models, value_at
from iptkit import (
    InterpersonalInventory,
    LifeEvent,
    LifeEventKind,
    Relationship,
    RelationshipRole,
    ScheduleError,
    ValidationError,
    plan_sessions,
)
from iptkit._model import field_specs
from iptkit.measures import PHQ9, Measurement, from_total

MODELS = public_models()

#: The constructors, typed loosely, for calls a type checker would refuse.
ANY_RELATIONSHIP: Any = Relationship
ANY_LIFE_EVENT: Any = LifeEvent
UTC = dt.UTC
HUGE = 10**5000  # more digits than Python turns into text (sys.int_info.default_max_str_digits)


def _nest(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


#: Values that broke load, dump or repr when fuzzed, and their neighbours.
NASTY: list[Any] = [
    HUGE,
    -HUGE,
    2**63,
    -(2**63) - 1,
    2**53 + 1,
    10**400,
    True,
    False,
    1e308,
    -0.0,
    5e-324,
    "P\ud800",
    "\udfff",
    "a\ud83d",
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "2201-01-01",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+00:00",
    "1900-01-01T00:00:00+23:59",
    "2200-12-31T23:59:59-23:59",
    "2026-01-05T09:00:00+01:00:30",
    "2026-01-05T09:00:00.5+01:00:30.5",
    "localtime",
    "posixrules",
    "right/UTC",
    "posix/Europe/London",
    "Factory",
    "",
    _nest(65),
    _nest(1000),
    {"a": _nest(300)},
    [_nest(100)],
]


def _outcome(cls: type, doc: Any, *, parse: bool = False) -> Any:
    """``load``'s (or ``loads``') object or its ValidationError; anything else fails the test."""
    try:
        return iptkit.loads(cls, doc) if parse else iptkit.load(cls, doc)
    except ValidationError as exc:
        return exc


def assert_usable(cls: type, outcome: Any) -> None:
    """An accepted object can be dumped, shown, written as UTF-8 and read back; an error shown."""
    if isinstance(outcome, ValidationError):
        assert outcome.issues
        assert all(issue.path.startswith("$") for issue in outcome.issues)
        str(outcome), repr(outcome)
        return
    assert isinstance(outcome, cls)
    text = iptkit.dumps(outcome)
    text.encode("utf-8")
    repr(outcome).encode("utf-8")
    assert iptkit.load(cls, iptkit.dump(outcome)) == outcome
    assert iptkit.loads(cls, text.encode("utf-8")) == outcome


@st.composite
def injected(draw: st.DrawFn, cls: type) -> Any:
    """A document of ``cls`` (valid or mutated) with nasty values put in, or as a key."""
    doc = draw(mutated(cls) | st.from_type(cls).map(iptkit.dump))
    for _ in range(draw(st.integers(1, 3))):
        trail = draw(st.sampled_from(_nodes(doc)))
        target = value_at(doc, trail)
        if isinstance(target, dict) and draw(st.booleans()):
            key = draw(st.sampled_from(["\ud800", "schema_version", "x"]))
            doc = _replace(doc, trail, {**target, key: draw(st.sampled_from(NASTY))})
        else:
            doc = _replace(doc, trail, draw(st.sampled_from(NASTY)))
    return doc


def _json_text(doc: Any) -> str | None:
    """``doc`` as JSON text, or None where the encoder itself cannot write it."""
    try:
        return json.dumps(doc)
    except (ValueError, RecursionError):  # ints beyond 4300 digits, very deep values
        return None


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__qualname__)
class TestLoadIsTotal:
    """For every public model: nothing but a valid object or a ValidationError."""

    def test_injected_values(self, cls: type) -> None:
        """Huge ints, surrogates, extreme dates, deep nesting anywhere: load or ValidationError."""

        @given(injected(cls))
        def run(doc: Any) -> None:
            outcome = _outcome(cls, doc)
            assert_usable(cls, outcome)
            text = _json_text(doc)
            if text is not None:
                # The same document as JSON text gets the same answer.
                again = _outcome(cls, text, parse=True)
                if isinstance(outcome, ValidationError):
                    assert isinstance(again, ValidationError)
                    assert [(i.path, i.code) for i in again.issues] == [
                        (i.path, i.code) for i in outcome.issues
                    ]
                else:
                    assert again == outcome

        run()

    def test_nasty_value_as_the_document(self, cls: type) -> None:
        """Each nasty value on its own is refused."""
        for value in NASTY:
            assert isinstance(_outcome(cls, value), ValidationError)

    def test_missing_argument(self, cls: type) -> None:
        """Leaving out a required argument is missing_field, never a TypeError."""

        @given(st.from_type(cls), st.data())
        def run(obj: Any, data: st.DataObject) -> None:
            given_fields = {f.alias: getattr(obj, f.name) for f in attrs.fields(cls)}
            required = [spec.name for spec in field_specs(cls) if spec.required]
            if not required:
                return
            name = data.draw(st.sampled_from(required))
            del given_fields[name]
            issues = issues_of(lambda: cls(**given_fields))
            assert ("$." + name, "missing_field") in issues

        run()

    def test_unknown_argument(self, cls: type) -> None:
        """An unknown argument to the constructor or to evolve is unknown_field."""

        @given(st.from_type(cls))
        def run(obj: Any) -> None:
            assert issues_of(lambda: iptkit.evolve(obj, no_such_field=1)) == [
                ("$.no_such_field", "unknown_field")
            ]
            given_fields = {f.alias: getattr(obj, f.name) for f in attrs.fields(cls)}
            assert issues_of(lambda: cls(**given_fields, no_such_field=1)) == [
                ("$.no_such_field", "unknown_field")
            ]
            # A valid call still builds the same object.
            assert cls(**given_fields) == obj

        run()


# --------------------------------------------------------------------------
# The fuzz cases of issue 11, one by one
# --------------------------------------------------------------------------


class TestFuzzCases:
    """Each case the fuzzing found, as a regression test."""

    def test_huge_schema_version(self) -> None:
        """A schema_version with 5001 digits was a ValueError from the message f-string."""
        doc = {"schema_version": HUGE, "relationships": []}
        issues = issues_of(lambda: iptkit.load(InterpersonalInventory, doc))
        assert ("$.schema_version", "unsupported_schema_version") in issues
        for version in (-HUGE, 2**64, 10**4000):
            assert issues_of(
                functools.partial(
                    iptkit.load, InterpersonalInventory, {**doc, "schema_version": version}
                )
            )

    def test_huge_session_number(self) -> None:
        """Measurement.session_number had no upper bound: 10**5000 loaded, then dumps failed."""
        doc = {
            "taken_on": "2026-01-05",
            "session_number": HUGE,
            "score": iptkit.dump(from_total(PHQ9, 9)),
        }
        assert issues_of(lambda: iptkit.load(Measurement, doc)) == [
            ("$.session_number", "out_of_range")
        ]
        with pytest.raises(ValidationError):
            Measurement(
                taken_on=dt.date(2026, 1, 5), session_number=HUGE, score=from_total(PHQ9, 9)
            )

    @pytest.mark.parametrize("text", ["P\ud800", "\udfff", "x\udbff", "\udc00x\ud800"])
    def test_lone_surrogates(self, text: str) -> None:
        """Text with an unpaired surrogate loaded, then dumps made text UTF-8 cannot hold."""
        doc = {"label": text, "role": "friend", "closeness": 2}
        assert issues_of(lambda: iptkit.load(Relationship, doc)) == [("$.label", "invalid_text")]
        escaped = json.dumps(doc)  # "\\ud800" escapes: valid JSON text
        assert issues_of(lambda: iptkit.loads(Relationship, escaped)) == [
            ("$.label", "invalid_text")
        ]
        assert issues_of(
            lambda: Relationship(label=text, role=RelationshipRole.FRIEND, closeness=2)
        ) == [("$.label", "invalid_text")]

    def test_surrogates_in_lists_and_optional_text(self) -> None:
        """Every text position refuses them: list items, optional text."""
        friend = Relationship(label="F", role=RelationshipRole.FRIEND, closeness=2)
        assert issues_of(lambda: iptkit.evolve(friend, positive_aspects=("ok", "\ud800"))) == [
            ("$.positive_aspects[1]", "invalid_text")
        ]
        assert issues_of(
            lambda: LifeEvent(LifeEventKind.DEATH, dt.date(2024, 3, 1), description="\udc00")
        ) == [("$.description", "invalid_text")]

    def test_surrogate_pairs(self) -> None:
        """Two surrogates in a Python str are not text; in JSON text they escape one character."""
        doc = {"label": "\ud83d\ude00", "role": "friend", "closeness": 2}
        assert issues_of(lambda: iptkit.load(Relationship, doc)) == [("$.label", "invalid_text")]
        text = '{"label": "\\ud83d\\ude00", "role": "friend", "closeness": 2}'
        assert iptkit.loads(Relationship, text).label == "\U0001f600"

    def test_real_non_ascii_text_is_fine(self) -> None:
        """Accents, scripts and emoji (astral characters) are text, and round-trip."""
        for label in ("Zoë", "张伟", "😀 Ω", "\U0010fffd"):
            friend = Relationship(label=label, role=RelationshipRole.FRIEND, closeness=2)
            assert iptkit.loads(Relationship, iptkit.dumps(friend).encode("utf-8")) == friend

    @pytest.mark.parametrize(
        "starts_at",
        [
            "0001-01-01T00:00:00+23:59",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:00:00Z",
            "1899-12-31T23:59:59Z",
            "2201-01-01T00:00:00+14:00",
        ],
    )
    def test_extreme_dates_are_refused(self, starts_at: str) -> None:
        """Dates near year 1 or 9999 loaded, then to_ical, extend, ends_at overflowed."""
        row = iptkit.dump(self._schedule().sessions[0])
        issues = issues_of(
            lambda: iptkit.load(iptkit.ScheduledSession, {**row, "starts_at": starts_at})
        )
        assert issues == [("$.starts_at", "out_of_range")]

    def test_plan_from_year_9999(self) -> None:
        """plan_sessions(datetime(9999, 12, 1, tzinfo=UTC), 12, zone="UTC") was an OverflowError."""
        assert issues_of(
            lambda: plan_sessions(dt.datetime(9999, 12, 1, tzinfo=UTC), 12, zone="UTC")
        ) == [("$.first_start", "out_of_range")]

    def test_session_of_a_huge_number(self) -> None:
        """Schedule.session(10**5000) was a ValueError; a bool is not a number either."""
        schedule = self._schedule()
        assert issues_of(lambda: schedule.session(HUGE)) == [("$.number", "unknown_session")]
        assert issues_of(lambda: schedule.session(True)) == [("$.number", "wrong_type")]
        assert issues_of(lambda: schedule.hold(True)) == [("$.number", "wrong_type")]

    def test_offset_with_seconds(self) -> None:
        """+01:00:30 was accepted though the docs say Z or +HH:MM."""
        row = iptkit.dump(self._schedule().sessions[0])
        for text in ("2026-03-02T09:00:00+01:00:30", "2026-03-02T09:00:00+01:00:00.5"):
            assert issues_of(
                functools.partial(iptkit.load, iptkit.ScheduledSession, {**row, "starts_at": text})
            ) == [("$.starts_at", "invalid_value")]
        odd = dt.timezone(dt.timedelta(hours=1, seconds=30))
        assert issues_of(
            lambda: iptkit.evolve(
                self._schedule().sessions[0], starts_at=dt.datetime(2026, 3, 2, 9, tzinfo=odd)
            )
        ) == [("$.starts_at", "invalid_value")]

    @pytest.mark.parametrize(
        "zone", ["localtime", "posixrules", "right/UTC", "Factory", "posix/UTC"]
    )
    def test_host_specific_zone_names(self, zone: str) -> None:
        """Names whose meaning depends on the machine were accepted."""
        first = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
        assert issues_of(lambda: plan_sessions(first, 12, zone=zone)) == [
            ("$.zone", "invalid_zone")
        ]
        doc = iptkit.dump(self._schedule())
        assert ("$.zone", "invalid_zone") in issues_of(
            lambda: iptkit.load(iptkit.Schedule, {**doc, "zone": zone})
        )

    @pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Europe/London", "America/New_York", "GMT"])
    def test_iana_zone_names(self, zone: str) -> None:
        """IANA names, canonical or backward links, still plan."""
        assert plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 12, zone=zone).zone == zone

    def test_int_subclasses(self) -> None:
        """IntEnum members (and bools) were accepted as whole numbers."""

        class Ring(enum.IntEnum):
            CLOSE = 2

        assert issues_of(
            lambda: Relationship(label="F", role=RelationshipRole.FRIEND, closeness=Ring.CLOSE)
        ) == [("$.closeness", "wrong_type")]
        assert issues_of(
            lambda: Relationship(label="F", role=RelationshipRole.FRIEND, closeness=True)
        ) == [("$.closeness", "wrong_type")]
        for value in (Ring.CLOSE, True):
            doc = {"label": "F", "role": "friend", "closeness": value}
            assert issues_of(functools.partial(iptkit.load, Relationship, doc)) == [
                ("$.closeness", "wrong_type")
            ]

    def test_constructor_type_errors(self) -> None:
        """Missing or unknown constructor arguments were a bare TypeError."""
        assert issues_of(lambda: ANY_RELATIONSHIP(label="F", role=RelationshipRole.FRIEND)) == [
            ("$.closeness", "missing_field")
        ]
        assert issues_of(
            lambda: ANY_RELATIONSHIP(
                label="F", role=RelationshipRole.FRIEND, closeness=2, closenes=2
            )
        ) == [("$.closenes", "unknown_field")]
        friend = Relationship(label="F", role=RelationshipRole.FRIEND, closeness=2)
        assert issues_of(lambda: iptkit.evolve(friend, closenes=3)) == [
            ("$.closenes", "unknown_field")
        ]

    def test_every_argument_problem_in_one_report(self) -> None:
        """Unknown, missing and wrongly typed arguments are reported together."""
        issues = issues_of(lambda: ANY_RELATIONSHIP(label=3, colour="red"))
        assert sorted(issues) == sorted(
            [
                ("$.colour", "unknown_field"),
                ("$.label", "wrong_type"),
                ("$.role", "missing_field"),
                ("$.closeness", "missing_field"),
            ]
        )

    def test_positional_arguments(self) -> None:
        """Fields by position where only names are taken, too many, or twice: invalid_arguments."""
        assert ("$", "invalid_arguments") in issues_of(lambda: ANY_RELATIONSHIP("F"))
        day = dt.date(2024, 3, 1)
        event = LifeEvent(LifeEventKind.DEATH, day, "P1", "Husband died")
        assert (
            LifeEvent(kind=LifeEventKind.DEATH, date=day, person="P1", description="Husband died")
            == event
        )
        assert LifeEvent(LifeEventKind.DEATH, day, description="Husband died", person="P1") == event
        assert issues_of(lambda: ANY_LIFE_EVENT(LifeEventKind.DEATH, day, None, None, 5)) == [
            ("$", "invalid_arguments")
        ]
        assert issues_of(
            lambda: ANY_LIFE_EVENT(LifeEventKind.DEATH, day, kind=LifeEventKind.DEATH)
        ) == [("$.kind", "invalid_arguments")]
        assert issues_of(lambda: ANY_LIFE_EVENT(LifeEventKind.DEATH)) == [
            ("$.date", "missing_field")
        ]

    def test_signature_is_kept(self) -> None:
        """help() and inspect still show the fields, with their defaults."""
        import inspect

        signature = inspect.signature(Relationship)
        assert list(signature.parameters)[:3] == ["label", "role", "closeness"]
        assert signature.parameters["closeness"].default is inspect.Parameter.empty
        assert signature.parameters["deceased"].default is False
        assert list(inspect.signature(LifeEvent).parameters) == [
            "kind",
            "date",
            "person",
            "description",
        ]

    @staticmethod
    def _schedule() -> iptkit.Schedule:
        return plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 12, zone="UTC")


# --------------------------------------------------------------------------
# Deep nesting: one fixed limit, whatever the caller's stack
# --------------------------------------------------------------------------


def _free_frames() -> int:
    """How many more frames fit on the stack here."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return sys.getrecursionlimit() - depth


def _at_stack_depth(frames: int, call: Callable[[], Any]) -> Any:
    """Run ``call`` with ``frames`` more frames on the stack; return its issues or result."""
    if frames > 0:
        return _at_stack_depth(frames - 1, call)
    try:
        return call()
    except ValidationError as exc:
        return [(issue.path, issue.code) for issue in exc.issues]


class TestDeepNesting:
    """The 985-deep document of issue 11 got a different code 30 frames deeper."""

    @pytest.mark.parametrize("depth", [65, 300, 985, 5000])
    def test_same_answer_at_any_stack_depth(self, depth: int) -> None:
        """loads and load refuse a too-deep document alike, from the top or deep in a stack."""
        text = '{"schema_version": 2, "relationships": ' + "[" * depth + "]" * depth + "}"
        value = {"schema_version": 2, "relationships": _nest(depth)}
        room = _free_frames() - 60
        for frames in (0, 30, room // 2, room):
            assert _at_stack_depth(frames, lambda: iptkit.loads(InterpersonalInventory, text)) == [
                ("$", "too_deep")
            ]
            assert _at_stack_depth(frames, lambda: iptkit.load(InterpersonalInventory, value)) == [
                ("$", "too_deep")
            ]

    def test_limit_is_64(self) -> None:
        """64 levels (the document being level 1) are read as usual; 65 are too deep."""
        for depth, code in ((64, "wrong_type"), (65, "too_deep")):
            inner = "[" * (depth - 2) + "]" * (depth - 2)
            text = '{"schema_version": 2, "relationships": [' + inner + "]}"
            issues = issues_of(functools.partial(iptkit.loads, InterpersonalInventory, text))
            assert [c for _, c in issues] == [code]

    def test_invalid_and_deep(self) -> None:
        """Too deep is too_deep, valid JSON or not; shallow junk is invalid_json."""
        assert issues_of(lambda: iptkit.loads(InterpersonalInventory, "[" * 2000)) == [
            ("$", "too_deep")
        ]
        assert issues_of(lambda: iptkit.loads(InterpersonalInventory, "[" * 60)) == [
            ("$", "invalid_json")
        ]
        # Brackets inside strings are not nesting.
        text = json.dumps({"schema_version": 2, "relationships": [], "x": "[" * 100})
        assert issues_of(lambda: iptkit.loads(InterpersonalInventory, text)) == [
            ("$.x", "unknown_field")
        ]

    def test_shared_and_cyclic_values(self) -> None:
        """A value that contains itself, or shares parts widely, is judged quickly."""
        loop: list[Any] = []
        loop.append(loop)
        assert issues_of(lambda: iptkit.load(InterpersonalInventory, {"relationships": loop})) == [
            ("$", "too_deep")
        ]
        wide: Any = [1]
        for _ in range(40):
            wide = [wide] * 1000  # 1000**40 paths, 40 lists
        issues = issues_of(
            lambda: iptkit.load(
                InterpersonalInventory, {"schema_version": 2, "relationships": wide}
            )
        )
        assert ("$", "too_deep") not in issues

    def test_usual_text_with_a_nearly_full_stack(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A document within the limit is read even when the caller's stack is nearly full."""
        from iptkit._io import _codec

        fresh: list[str] = []
        decode = _codec._decode_on_fresh_stack

        def spy(text: str) -> Any:
            fresh.append(text)
            return decode(text)

        monkeypatch.setattr(_codec, "_decode_on_fresh_stack", spy)
        text = "[" * 60 + "]" * 60
        # Room for parse_json's own frames (and a thread start), not for the decoder's 60.
        room = _free_frames() - 30
        assert _at_stack_depth(room, lambda: _codec.parse_json(text)) == _nest(60)
        assert fresh == [text]


class TestPlanningNearTheEnds:
    """Derived dates near the supported bounds: work, or ValidationError / ScheduleError."""

    def test_late_schedule(self) -> None:
        """A course ending near 2200-12-31 plans; what would pass that day is a ScheduleError."""
        plan = plan_sessions(dt.datetime(2200, 9, 1, 9, tzinfo=UTC), 16, zone="UTC")
        assert plan.sessions[-1].ends_at == dt.datetime(2200, 12, 15, 9, 50, tzinfo=UTC)
        assert "BEGIN:VEVENT" in iptkit.to_ical(plan, stamp=dt.datetime(2026, 1, 1, tzinfo=UTC))
        with pytest.raises(ScheduleError, match="2200-12-31"):
            plan.extend(20, on=dt.date(2200, 9, 2), reason="Slow response")
        with pytest.raises(ScheduleError, match="2200-12-31"):
            plan.add_maintenance(3)
        assert plan.miss(1, make_up=True).sessions[-1].starts_at.year == 2200
        with pytest.raises(ScheduleError):
            plan_sessions(dt.datetime(2200, 12, 1, 9, tzinfo=UTC), 12, zone="UTC")

    def test_early_schedule(self) -> None:
        """A pre-treatment slot before 1900-01-01 is a ScheduleError."""
        with pytest.raises(ScheduleError, match="1900-01-01"):
            plan_sessions(
                dt.datetime(1900, 1, 1, 9, tzinfo=UTC),
                8,
                zone="UTC",
                protocol=iptkit.protocols.BRIEF,
            )

    @pytest.mark.parametrize(
        "first",
        [
            dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=23, minutes=59))),
            dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=23))),
            dt.datetime(2200, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=23))),
            dt.datetime(1900, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        ],
    )
    def test_arguments_outside_the_bounds(self, first: dt.datetime) -> None:
        """First sessions outside the supported dates (in the plan's zone) are out_of_range."""
        plan = plan_sessions(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 8, zone="UTC")
        assert issues_of(lambda: plan_sessions(first, 12, zone="UTC")) == [
            ("$.first_start", "out_of_range")
        ]
        with pytest.raises(ValidationError):
            plan.add_maintenance(3, first_start=first)
        if 1900 <= first.year <= 2200:  # a stamp in the supported years as written is fine
            assert "BEGIN:VEVENT" in iptkit.to_ical(plan, stamp=first)
        else:
            assert issues_of(lambda: iptkit.to_ical(plan, stamp=first)) == [
                ("$.stamp", "out_of_range")
            ]

    def test_zone_without_whole_minute_offsets(self) -> None:
        """Amsterdam kept local mean time (+00:19:32) until 1937: such plans are refused."""
        with pytest.raises(ScheduleError, match="whole minutes"):
            plan_sessions(dt.datetime(1920, 1, 5, 9, tzinfo=UTC), 12, zone="Europe/Amsterdam")
