"""Checks of one's own: register_check, the iptkit.checks entry points, --protocol FILE."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import iptkit
from _helpers import quiet
from iptkit import CheckConfig, Protocol, Severity, TreatmentCourse
from iptkit.protocols import STANDARD

SRC = Path(iptkit.__file__).resolve().parent.parent

COURSE = TreatmentCourse(patient_id="AB-1234", started_on=dt.date(2026, 3, 2))


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Codes to unregister after the test."""
    codes: list[str] = []
    yield codes
    for code in codes:
        if code in {info.code for info in iptkit.registered_checks()}:
            iptkit.unregister_check(code)


def _register_prefix_rule(codes: list[str], code: str = "local_id_scheme") -> None:
    @iptkit.register_check(
        code=code, severity=Severity.WARNING, title="The id is not local.", source="SOP 4.2"
    )
    def rule(course: TreatmentCourse, protocol: Protocol, config: CheckConfig) -> Iterator[Any]:
        if not course.patient_id.startswith("LOC-"):
            yield "$.patient_id", "The patient id does not follow the local scheme."

    codes.append(code)


class TestRegister:
    def test_runs_after_builtins_and_is_listed(self, registered: list[str]) -> None:
        before = iptkit.check(COURSE)
        _register_prefix_rule(registered)
        after = iptkit.check(COURSE)
        added = [f for f in after if f not in before]
        assert [(f.severity, f.code, f.path) for f in added] == [
            (Severity.WARNING, "local_id_scheme", "$.patient_id")
        ]
        info = iptkit.registered_checks()[-1]
        assert (info.code, info.severity, info.source, info.description) == (
            "local_id_scheme",
            Severity.WARNING,
            "SOP 4.2",
            "The id is not local.",
        )
        assert "local_id_scheme" not in {i.code for i in iptkit.CHECKS}
        assert list(after) == sorted(after, key=lambda f: f.sort_key)

    def test_gets_course_protocol_and_config(self, registered: list[str]) -> None:
        seen: list[tuple[Any, ...]] = []

        @iptkit.register_check(code="spy_rule", severity=Severity.INFO, title="Spy.")
        def spy(course: TreatmentCourse, protocol: Protocol, config: CheckConfig) -> list[Any]:
            seen.append((course, protocol, config))
            return []

        registered.append("spy_rule")
        config = CheckConfig(measure_interval=6)
        iptkit.check(COURSE, protocol=STANDARD, config=config)
        assert seen == [(COURSE, STANDARD, config)]

    def test_disabled_and_severity_changed(self, registered: list[str]) -> None:
        _register_prefix_rule(registered)
        off = iptkit.check(COURSE, config=CheckConfig(disabled={"local_id_scheme"}))
        assert "local_id_scheme" not in {f.code for f in off}
        config = CheckConfig(severities={"local_id_scheme": Severity.ERROR})
        [found] = [f for f in iptkit.check(COURSE, config=config) if f.code == "local_id_scheme"]
        assert found.severity is Severity.ERROR

    def test_unregistered_code_is_unknown_to_config(self, registered: list[str]) -> None:
        _register_prefix_rule(registered)
        iptkit.unregister_check("local_id_scheme")
        with pytest.raises(iptkit.ValidationError, match="unknown_check"):
            CheckConfig(disabled={"local_id_scheme"})
        assert "local_id_scheme" not in {f.code for f in iptkit.check(COURSE)}

    @pytest.mark.parametrize("code", ["MyRule", "my-rule", "", "_rule", "rule_", 3])
    def test_bad_code(self, code: Any) -> None:
        with pytest.raises(ValueError, match="snake_case"):
            iptkit.register_check(code=code, severity=Severity.INFO, title="T.")

    @pytest.mark.parametrize("code", ["measure_gap", "member_missed_too_many", "check_failed"])
    def test_builtin_code_taken(self, code: str) -> None:
        with pytest.raises(ValueError, match="built-in"):
            iptkit.register_check(code=code, severity=Severity.INFO, title="T.")

    def test_registered_code_taken(self, registered: list[str]) -> None:
        _register_prefix_rule(registered)
        with pytest.raises(ValueError, match="already registered"):
            _register_prefix_rule([])
        assert [i.code for i in iptkit.registered_checks()].count("local_id_scheme") == 1

    def test_bad_severity(self) -> None:
        with pytest.raises(TypeError, match="Severity"):
            iptkit.register_check(code="my_rule", severity="warning", title="T.")  # type: ignore[arg-type]

    def test_unregister_unknown(self) -> None:
        with pytest.raises(ValueError, match="No registered check"):
            iptkit.unregister_check("measure_gap")


class TestFailingCheck:
    def test_raising_check_becomes_check_failed(self, registered: list[str]) -> None:
        @iptkit.register_check(code="broken_rule", severity=Severity.INFO, title="Broken.")
        def broken(course: TreatmentCourse, protocol: Protocol, config: CheckConfig) -> list[Any]:
            raise KeyError(course.patient_id)

        registered.append("broken_rule")
        found = [f for f in iptkit.check(COURSE) if f.code == "check_failed"]
        assert [(f.severity, f.path) for f in found] == [(Severity.ERROR, "$")]
        assert "'broken_rule'" in found[0].message
        assert "KeyError" in found[0].message
        assert "AB-1234" not in found[0].message

    def test_bad_pairs_become_check_failed(self, registered: list[str]) -> None:
        @iptkit.register_check(code="odd_rule", severity=Severity.INFO, title="Odd.")
        def odd(course: TreatmentCourse, protocol: Protocol, config: CheckConfig) -> list[Any]:
            return [("patient_id", "No leading $.")]

        registered.append("odd_rule")
        codes = [f.code for f in iptkit.check(COURSE)]
        assert "check_failed" in codes
        assert "odd_rule" not in codes

    def test_check_failed_cannot_be_disabled(self) -> None:
        with pytest.raises(iptkit.ValidationError, match="unknown_check"):
            CheckConfig(disabled={"check_failed"})


# --------------------------------------------------------------------------
# The command line, with a fake installed plugin
# --------------------------------------------------------------------------

PLUGIN = """
from iptkit import Severity, register_check


@register_check(
    code="local_id_scheme",
    severity=Severity.WARNING,
    title="The patient id does not follow the local scheme.",
    source="Local SOP 4.2",
)
def _scheme(course, protocol, config):
    if not course.patient_id.startswith("LOC-"):
        yield "$.patient_id", "The patient id does not follow the local scheme."
"""

PLUGIN_FUNCTION = """
from iptkit import Severity, register_check


def setup():
    @register_check(code="local_max_sessions", severity=Severity.INFO, title="Over twelve.")
    def _long(course, protocol, config):
        if protocol.max_sessions > 12:
            yield "$", "The judged protocol allows more than twelve sessions."
"""


def _plugin_dir(tmp_path: Path, entry_points: str, **modules: str) -> Path:
    site = tmp_path / "site"
    info = site / "localrules-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: localrules\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[iptkit.checks]\n{entry_points}", encoding="utf-8")
    for name, text in modules.items():
        (site / f"{name}.py").write_text(text, encoding="utf-8")
    return site


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(site)])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "iptkit",
            "check",
            "--format",
            "jsonl",
            "--summary",
            os.devnull,
            *args,
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    # Under coverage (make pytest) the child may warn on standard error; that is not ours.
    proc.stderr = quiet(proc.stderr)
    return proc


def _rows(proc: subprocess.CompletedProcess[bytes]) -> list[tuple[Any, ...]]:
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return sorted(
        (r["line"], r["path"], r["code"], r["severity"])
        for r in records
        if r["type"] == "problem" and r["code"].startswith("local_")
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "courses.jsonl"
    ids = ["LOC-1", "AB-2", "LOC-3", "AB-4"]
    lines = [
        json.dumps({"schema_version": 1, "patient_id": i, "started_on": "2026-03-02"}) for i in ids
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TestPluginsOnTheCommandLine:
    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_entry_points_run(self, tmp_path: Path, corpus: Path, jobs: str) -> None:
        site = _plugin_dir(
            tmp_path,
            "scheme = iptkit_localrules\nlong = iptkit_localfn:setup\n",
            iptkit_localrules=PLUGIN,
            iptkit_localfn=PLUGIN_FUNCTION,
        )
        proc = _run(site, "--jobs", jobs, str(corpus))
        assert proc.stderr == b""
        assert _rows(proc) == [
            (1, "$", "local_max_sessions", "info"),
            (2, "$", "local_max_sessions", "info"),
            (2, "$.patient_id", "local_id_scheme", "warning"),
            (3, "$", "local_max_sessions", "info"),
            (4, "$", "local_max_sessions", "info"),
            (4, "$.patient_id", "local_id_scheme", "warning"),
        ]

    @pytest.mark.parametrize("jobs", ["1", "2"])
    def test_protocol_file(self, tmp_path: Path, corpus: Path, jobs: str) -> None:
        site = _plugin_dir(
            tmp_path, "long = iptkit_localfn:setup\n", iptkit_localfn=PLUGIN_FUNCTION
        )
        short = _changed(STANDARD, name="local_short", typical_sessions=12, max_sessions=12)
        protocol = tmp_path / "local.json"
        protocol.write_text(iptkit.dumps(short), encoding="utf-8")
        proc = _run(site, "--jobs", jobs, "--protocol", str(protocol), str(corpus))
        assert proc.stderr == b""
        assert _rows(proc) == []  # the custom protocol allows twelve sessions at most
        assert len(_rows(_run(site, "--protocol", "standard", str(corpus)))) == 4

    def test_failing_plugin_is_a_usage_error(self, tmp_path: Path, corpus: Path) -> None:
        site = _plugin_dir(
            tmp_path, "bad = iptkit_localbad\n", iptkit_localbad="raise RuntimeError('no')\n"
        )
        proc = _run(site, str(corpus))
        assert proc.returncode == 2
        assert proc.stdout == b""
        [line] = proc.stderr.decode().splitlines()
        assert line.startswith("iptkit check: error: cannot load the check plugins: RuntimeError")
        assert "'bad'" in line


class TestProtocolFile:
    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            (None, "is neither a built-in protocol"),
            ("{not json", "is not a valid protocol document"),
            ('{"name": 3}', "is not a valid protocol document: $.name [wrong_type]"),
        ],
    )
    def test_bad_protocol_is_a_usage_error(
        self, tmp_path: Path, corpus: Path, content: str | None, expected: str
    ) -> None:
        protocol = tmp_path / "protocol.json"
        if content is not None:
            protocol.write_text(content, encoding="utf-8")
        proc = _run(tmp_path, "--protocol", str(protocol), str(corpus))
        assert proc.returncode == 2
        assert proc.stdout == b""
        [line] = proc.stderr.decode().splitlines()
        assert line.startswith("iptkit check: error: --protocol ")
        assert expected in line


def _changed(protocol: Protocol, **changes: Any) -> Protocol:
    """A copy of ``protocol`` with ``changes``, validated as a new protocol."""
    data = iptkit.dump(protocol)
    data.update(changes)
    return iptkit.load(Protocol, data)
