"""The package behaves as one API: its attributes, its version, its errors.

- ``import iptkit`` is enough to reach the public modules ``iptkit.measures``
  and ``iptkit.protocols``, and ``iptkit.__version__`` is the installed
  distribution's version.
- Every exception iptkit raises on purpose derives from
  :class:`~iptkit.IptkitError`; the few built-in exceptions left in the source
  guard programming errors and are listed here with the reason.
"""

from __future__ import annotations

import ast
import builtins
import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import iptkit
from _helpers import issues_of
from iptkit import IptkitError, ValidationError
from iptkit.measures import HAMD17, PHQ9, Band, SeverityTable, SymptomSeverity, TableStatus

SRC = Path(__file__).resolve().parent.parent / "src" / "iptkit"

_S = SymptomSeverity


def run_python(code: str, cwd: Path) -> Any:
    """Run ``code`` in a fresh interpreter; return what it prints, read as JSON."""
    environ = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --------------------------------------------------------------------------
# Attributes of the package
# --------------------------------------------------------------------------


class TestPackageAttributes:
    """What ``import iptkit`` alone makes available."""

    def test_fresh_import(self, tmp_path: Path) -> None:
        """Right after ``import iptkit``: protocols, measures and the metadata version."""
        try:
            expected = importlib.metadata.version("iptkit")
        except importlib.metadata.PackageNotFoundError:
            pytest.skip("iptkit is not installed, only on the path")
        out = run_python(
            """
            import json
            import iptkit
            print(json.dumps({
                "standard": iptkit.protocols.STANDARD.name,
                "phq9": iptkit.measures.PHQ9.name,
                "version": iptkit.__version__,
            }))
            """,
            tmp_path,
        )
        assert out == {"standard": "standard", "phq9": "PHQ-9", "version": expected}

    def test_version_without_metadata(self, tmp_path: Path) -> None:
        """A source tree that was never installed still has a (PEP 440) version."""
        out = run_python(
            """
            import importlib.metadata, json

            def missing(name):
                raise importlib.metadata.PackageNotFoundError(name)

            importlib.metadata.version = missing
            import iptkit
            print(json.dumps(iptkit.__version__))
            """,
            tmp_path,
        )
        assert out == "0+unknown"

    def test_version_is_a_string(self) -> None:
        """The version is text, read once and then kept on the module."""
        version: str = iptkit.__version__
        assert isinstance(version, str)
        assert version
        assert vars(iptkit)["__version__"] == version

    def test_public_modules_are_attributes(self) -> None:
        """The public submodules are the package's attributes."""
        assert iptkit.protocols is sys.modules["iptkit.protocols"]
        assert iptkit.measures is sys.modules["iptkit.measures"]
        assert iptkit.protocols.STANDARD in iptkit.protocols.BUILTIN_PROTOCOLS.values()

    def test_not_star_exported(self) -> None:
        """``__all__`` lists names, not modules or the version (``from iptkit import *``)."""
        assert not {"__version__", "measures", "protocols"} & set(iptkit.__all__)
        namespace: dict[str, Any] = {}
        exec("from iptkit import *", namespace)
        assert "__version__" not in namespace
        assert "protocols" not in namespace

    def test_unknown_attribute(self) -> None:
        """Any other missing name is still an AttributeError naming it."""
        with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
            _ = iptkit.no_such_name  # type: ignore[attr-defined]
        assert not hasattr(iptkit, "no_such_name")
        with pytest.raises(ImportError):
            exec("from iptkit import no_such_name", {})


# --------------------------------------------------------------------------
# Severity tables raise ValidationError
# --------------------------------------------------------------------------


def table(*bands: Any, name: str = "custom") -> SeverityTable:
    """Build a severity table from bands."""
    return SeverityTable(
        name=name, bands=tuple(bands), status=TableStatus.CONVENTION, source="test"
    )


def table_error(call: Any) -> ValidationError:
    """The ValidationError ``call`` raises."""
    with pytest.raises(ValidationError) as info:
        call()
    return info.value


class TestSeverityTableErrors:
    """Building a severity table with bad bands raises ValidationError with every issue."""

    def test_valid_table(self) -> None:
        """Contiguous bands from 0 build a table."""
        built = table(Band(_S.MILD, 0, 4), Band(_S.SEVERE, 5, 9))
        assert built.max_total == 9

    def test_is_iptkit_error_and_value_error(self) -> None:
        """The error is an IptkitError (and, as before, a ValueError)."""
        error = table_error(lambda: table(Band(_S.MILD, 0, 4), Band(_S.SEVERE, 6, 9)))
        assert isinstance(error, IptkitError)
        assert isinstance(error, ValueError)

    @pytest.mark.parametrize(
        ("bands", "expected"),
        [
            pytest.param(
                (Band(_S.MILD, 0, 4), Band(_S.SEVERE, 6, 9)),
                [("$.bands[1].low", "bands_not_contiguous")],
                id="gap",
            ),
            pytest.param(
                (Band(_S.MILD, 0, 4), Band(_S.SEVERE, 3, 9)),
                [("$.bands[1].low", "bands_not_contiguous")],
                id="overlap",
            ),
            pytest.param(
                (Band(_S.MILD, 1, 4),),
                [("$.bands[0].low", "bands_not_contiguous")],
                id="not-from-zero",
            ),
            pytest.param(
                (Band(_S.MILD, 0, 4), Band(_S.SEVERE, 5, 2)),
                [("$.bands[1]", "invalid_range")],
                id="high-below-low",
            ),
            pytest.param((), [("$.bands", "too_short")], id="no-bands"),
            pytest.param(
                (Band(_S.MILD, 0, 4), "5-9"),
                [("$.bands[1]", "wrong_type")],
                id="not-a-band",
            ),
            pytest.param(
                (Band(_S.MILD, 0, "4"), Band("severe", 5, 9.0)),  # type: ignore[arg-type]
                [
                    ("$.bands[0].high", "wrong_type"),
                    ("$.bands[1].severity", "wrong_type"),
                    ("$.bands[1].high", "wrong_type"),
                ],
                id="bad-field-types",
            ),
            pytest.param(
                (Band(_S.MILD, 1, 4), Band(_S.MODERATE, 6, 9), Band(_S.SEVERE, 11, 12)),
                [
                    ("$.bands[0].low", "bands_not_contiguous"),
                    ("$.bands[1].low", "bands_not_contiguous"),
                    ("$.bands[2].low", "bands_not_contiguous"),
                ],
                id="every-gap-reported",
            ),
        ],
    )
    def test_issues(self, bands: tuple[Any, ...], expected: list[tuple[str, str]]) -> None:
        """Each problem is one issue at its path, all of them at once."""
        assert issues_of(lambda: table(*bands)) == expected

    def test_bands_must_be_a_tuple(self) -> None:
        """A list of bands (mutable) is refused at $.bands."""
        bands: Any = [Band(_S.MILD, 0, 9)]
        assert issues_of(
            lambda: SeverityTable(
                name="listed", bands=bands, status=TableStatus.CONVENTION, source="test"
            )
        ) == [("$.bands", "wrong_type")]

    def test_messages_quote_no_value(self) -> None:
        """No message repeats the table's name or a band's bounds."""
        error = table_error(
            lambda: table(
                Band(_S.MILD, 4321, 8765),
                Band(_S.SEVERE, 9999, 1234),
                name="Clinic-Confidential",
            )
        )
        text = str(error) + " ".join(issue.message for issue in error.issues)
        for value in ("Clinic", "Confidential", "4321", "8765", "9999", "1234"):
            assert value not in text


class TestBandForErrors:
    """band_for() and severity() raise ValidationError for a total outside the table."""

    @pytest.mark.parametrize(
        ("total", "severity"), [(0, "no_depression"), (7, "no_depression"), (52, "severe")]
    )
    def test_edges(self, total: int, severity: str) -> None:
        """Totals from 0 to the table's maximum have a band."""
        assert HAMD17.default_table.band_for(total).severity.value == severity
        assert HAMD17.default_table.severity(total).value == severity

    @pytest.mark.parametrize("total", [28, 10_000, -1, -31_337])
    def test_outside(self, total: int) -> None:
        """Above the maximum or below 0 is out_of_range at $.total."""
        kroenke = PHQ9.default_table
        for call in (kroenke.band_for, kroenke.severity):
            error = table_error(lambda call=call: call(total))
            assert [(i.path, i.code) for i in error.issues] == [("$.total", "out_of_range")]
            assert isinstance(error, IptkitError)

    @pytest.mark.parametrize("total", [4242, -31_337, "secret"])
    def test_message_quotes_no_total(self, total: Any) -> None:
        """The message names the table's range, never the total given."""
        error = table_error(lambda: PHQ9.default_table.band_for(total))
        assert str(total).lstrip("-") not in str(error)

    @pytest.mark.parametrize("total", ["3", 3.0, True, None])
    def test_not_a_whole_number(self, total: Any) -> None:
        """A total that is not an int (bool included) is wrong_type at $.total."""
        assert issues_of(lambda: PHQ9.default_table.band_for(total)) == [("$.total", "wrong_type")]


# --------------------------------------------------------------------------
# No bare built-in exception escapes on purpose
# --------------------------------------------------------------------------

#: The built-in exceptions the source may raise, by (file under src/iptkit,
#: enclosing function, exception): each guards a programming error, never
#: bad data, or is caught inside iptkit.  Anything else raised on purpose must
#: be an IptkitError.
ALLOWED_BUILTIN_RAISES: dict[tuple[str, str, str], str] = {
    ("__init__.py", "__getattr__", "AttributeError"): "module __getattr__ protocol",
    ("__main__.py", "<module>", "SystemExit"): "exit status of `python -m iptkit`",
    ("_cli/_main.py", "Reporter.problem", "NotImplementedError"): "abstract method",
    ("_cli/_main.py", "Reporter.finish", "NotImplementedError"): "abstract method",
    ("_cli/_synth.py", "_writer_for", "TypeError"): "bug guard, unreachable",
    ("_cli/_synth.py", "_numbered", "AssertionError"): "bug guard, unreachable",
    ("_checks.py", "register_check", "ValueError"): "a check code not snake_case, or taken",
    ("_checks.py", "register_check", "TypeError"): "a severity not a Severity, a title not text",
    ("_checks.py", "register_check.register", "ValueError"): "a check code registered since",
    ("_checks.py", "register_check.register", "TypeError"): "registering something not callable",
    ("_checks.py", "unregister_check", "ValueError"): "removing a code never registered",
    ("_errors.py", "ValidationError.__init__", "ValueError"): "an error built with no issue",
    ("_io/_codec.py", "_check_model_class", "TypeError"): "load/dump of a non-model class",
    ("_io/_codec.py", "_check_max_issues", "TypeError"): "max_issues that is not an int",
    ("_io/_codec.py", "_check_max_issues", "ValueError"): "max_issues below 1",
    ("_io/_schema.py", "json_schema", "ValueError"): "ref_template without {model}",
    ("_io/_codec.py", "_reject_constant", "ValueError"): "caught: becomes invalid_json",
    ("_io/_codec.py", "_as_text", "TypeError"): "loads() given neither str nor bytes",
    ("_io/_codec.py", "_model_writer", "TypeError"): "a field name no template can hold",
    ("_io/_schema.py", "json_schema", "TypeError"): "a non-model class, or a ref_template not text",
    ("_model.py", "model.wrap", "TypeError"): "a model class defined wrongly",
    ("_types.py", "TypeShape.inner", "TypeError"): "bug guard, unreachable",
    ("_types.py", "_build", "TypeError"): "a model field of an unsupported type",
}

_BUILTIN_EXCEPTIONS = {
    name
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
}


def builtin_raises() -> list[tuple[str, str, str, int]]:
    """Every ``raise`` of a built-in exception class in src/iptkit, with where it is."""
    found: list[tuple[str, str, str, int]] = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()

        def visit(node: ast.AST, scope: list[str], relative: str = relative) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    visit(child, [*scope, child.name])
                    continue
                if isinstance(child, ast.Raise) and child.exc is not None:
                    target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                    if isinstance(target, ast.Name) and target.id in _BUILTIN_EXCEPTIONS:
                        where = ".".join(scope) or "<module>"
                        found.append((relative, where, target.id, child.lineno))
                visit(child, scope)

        visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


class TestRaiseSites:
    """Built-in exceptions are raised only where listed as programming-error guards."""

    def test_scan_finds_raises(self) -> None:
        """The scan sees a known guard (so the test below can fail)."""
        sites = {site[:3] for site in builtin_raises()}
        assert ("_errors.py", "ValidationError.__init__", "ValueError") in sites

    def test_only_listed_builtin_raises(self) -> None:
        """Every raise of a built-in exception is a listed guard; user errors are IptkitErrors."""
        unlisted = [
            f"src/iptkit/{file}:{line} {exc} in {where}"
            for file, where, exc, line in builtin_raises()
            if (file, where, exc) not in ALLOWED_BUILTIN_RAISES
        ]
        assert not unlisted, (
            "raise a ValidationError/ScheduleError (an IptkitError) for bad input, or list "
            f"a programming-error guard in ALLOWED_BUILTIN_RAISES: {unlisted}"
        )

    def test_measures_raise_only_iptkit_errors(self) -> None:
        """The measures modules raise no built-in exception at all."""
        assert not [s for s in builtin_raises() if s[0] in ("_measures.py", "measures.py")]
