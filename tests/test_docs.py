"""The documentation stays true to the code.

The error-code table must list exactly the codes the source raises, the
README's example must run, and the documentation must build without the
network.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import runpy
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "iptkit"
DOCS = ROOT / "docs"
README = ROOT / "README.md"

_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
_TABLE_ROW = re.compile(r"^\| `([^`]+)` \|(.*)\|\s*$", re.MULTILINE)
#: Calls whose second argument (or ``code=``) is an issue or finding code.
_CODE_CALLS = {"Issue", "single", "Finding"}


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def codes_raised() -> dict[str, list[str]]:
    """Every code literal passed to ``Issue(...)``, ``ValidationError.single(...)`` or
    ``Finding(...)`` in the source, with where it is used.

    The code is the second positional argument of each (``Issue(path, code,
    message)``, ``single(path, code, message)``, ``Finding(severity, code, ...)``)
    or a ``code=`` keyword.
    """
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) not in _CODE_CALLS:
                continue
            candidates = [node.args[1]] if len(node.args) > 1 else []
            candidates += [kw.value for kw in node.keywords if kw.arg == "code"]
            for candidate in candidates:
                code = _literal(candidate)
                if code:  # an empty code only builds a throwaway Issue to parse a path
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.setdefault(code, []).append(where)
    return found


def string_constants() -> set[str]:
    """Every string literal in the source (a code may be passed on through a variable)."""
    found: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def table_rows() -> list[tuple[str, list[str]]]:
    """The rows of the tables in docs/error-codes.md: code and the other cells."""
    text = (DOCS / "error-codes.md").read_text(encoding="utf-8")
    return [
        (code, [cell.strip() for cell in rest.split(" | ")])
        for code, rest in _TABLE_ROW.findall(text)
    ]


class TestErrorCodeTable:
    """docs/error-codes.md against the codes in src/iptkit."""

    def test_scan_finds_the_generic_codes(self) -> None:
        """The scan sees codes of the model framework and the codec (so it can fail)."""
        assert {"wrong_type", "missing_field", "unknown_field", "invalid_json"} <= set(
            codes_raised()
        )

    def test_every_code_raised_is_listed(self) -> None:
        """Each code the source raises has a row in the table."""
        listed = {code for code, _ in table_rows()}
        missing = {code: where for code, where in codes_raised().items() if code not in listed}
        assert not missing, f"add these codes to docs/error-codes.md: {missing}"

    def test_every_listed_code_is_used(self) -> None:
        """Each code in the table still appears in the source."""
        used = string_constants()
        stale = [code for code, _ in table_rows() if code not in used]
        assert not stale, f"codes listed but no longer in the source: {stale}"

    def test_codes_are_snake_case(self) -> None:
        """Codes are stable snake_case identifiers."""
        bad = [c for c in [*codes_raised(), *(c for c, _ in table_rows())] if not _CODE.match(c)]
        assert not bad

    def test_codes_listed_once(self) -> None:
        """No code has two rows."""
        codes = [code for code, _ in table_rows()]
        assert len(codes) == len(set(codes))

    def test_rows_are_complete(self) -> None:
        """Each row explains the code and gives an example path starting at $."""
        for code, cells in table_rows():
            assert len(cells) == 2, code
            explanation, example = cells
            assert explanation, code
            assert example.startswith("`$"), code


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


class TestReadme:
    """README.md: the example runs and the set-up is two commands."""

    def test_example_runs(self) -> None:
        """The example prints each problem of the bad document with its path and code."""
        (block,) = _python_blocks(README.read_text(encoding="utf-8"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {})
        assert out.getvalue().splitlines() == [
            "$.relationships[0].label missing_field",
            "$.relationships[0].role missing_field",
            "$.relationships[0].closeness missing_field",
        ]

    def test_two_setup_commands(self) -> None:
        """A fresh machine needs exactly make demo and make test."""
        text = README.read_text(encoding="utf-8")
        (block,) = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
        commands = [line.split("#")[0].strip() for line in block.splitlines()]
        assert [c for c in commands if c] == ["make demo", "make test"]

    def test_intro_markers_for_the_docs(self) -> None:
        """The intro the docs include is marked once, start before end."""
        text = README.read_text(encoding="utf-8")
        start, end = text.index("<!-- intro-start -->"), text.index("<!-- intro-end -->")
        assert start < end
        assert text.count("<!-- intro-start -->") == 1

    def test_linked_pages_exist(self) -> None:
        """Every relative link of the README points at a file."""
        text = README.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", text):
            assert (ROOT / target).is_file(), target


class TestSphinxConfig:
    """docs/conf.py builds without the network."""

    def _load(self, monkeypatch: pytest.MonkeyPatch, env: str | None) -> dict[str, Any]:
        pytest.importorskip("sphinx")
        if env is None:
            monkeypatch.delenv("IPTKIT_DOCS_INTERSPHINX", raising=False)
        else:
            monkeypatch.setenv("IPTKIT_DOCS_INTERSPHINX", env)
        return runpy.run_path(str(DOCS / "conf.py"))

    def test_offline_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the switch, no extension fetches inventories from the web."""
        conf = self._load(monkeypatch, None)
        assert "sphinx.ext.intersphinx" not in conf["extensions"]
        assert "intersphinx_mapping" not in conf

    def test_intersphinx_on_request(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """IPTKIT_DOCS_INTERSPHINX=1 links type names to other projects' docs."""
        conf = self._load(monkeypatch, "1")
        assert "sphinx.ext.intersphinx" in conf["extensions"]
        assert "python" in conf["intersphinx_mapping"]

    def test_version_from_pyproject(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The documented release is the package version."""
        import tomllib

        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        assert self._load(monkeypatch, None)["release"] == pyproject["project"]["version"]


class TestPages:
    """The pages of the documentation."""

    def test_toctree_entries_exist(self) -> None:
        """Every page named in the index's table of contents exists."""
        text = (DOCS / "index.md").read_text(encoding="utf-8")
        (tree,) = re.findall(r"```\{toctree\}\n(.*?)```", text, re.DOTALL)
        entries = [line.strip() for line in tree.splitlines() if line and ":" not in line]
        assert entries
        for entry in entries:
            assert (DOCS / f"{entry}.md").is_file(), entry

    def test_no_machine_paths(self) -> None:
        """Pages and the README name no path of a particular machine."""
        for page in [README, *DOCS.rglob("*.md")]:
            text = page.read_text(encoding="utf-8")
            assert not re.search(r"/(home|root|Users|tmp)/", text), page.name
            assert os.sep + "work" + os.sep not in text, page.name
