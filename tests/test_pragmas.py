"""Every ``# pragma: no cover`` in the package says why the line needs no test.

Branch coverage is measured in ``make test`` and must stay above the floor in
``pyproject.toml``; a pragma takes lines out of that count, so it has to carry
its reason on the same line: ``# pragma: no cover - not Linux``.
"""

from __future__ import annotations

import re
from pathlib import Path

import iptkit

PACKAGE = Path(iptkit.__file__).resolve().parent

#: What coverage.py itself takes for the pragma (its default ``exclude_lines`` pattern).
PRAGMA = re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)")
#: A reason is a word of at least three letters after the pragma and any punctuation.
REASON = re.compile(r"[A-Za-z]{3,}")


def pragmas_without_reason(root: Path) -> list[str]:
    """Return ``path:line`` of every coverage pragma under ``root`` that gives no reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            match = PRAGMA.search(line)
            if match and not REASON.search(line[match.end() :]):
                found.append(f"{path.relative_to(root.parent)}:{number}")
    return found


def test_every_pragma_gives_a_reason() -> None:
    """A ``pragma: no cover`` with nothing after it is refused."""
    missing = pragmas_without_reason(PACKAGE)
    assert not missing, (
        "give a reason on the same line, as in '# pragma: no cover - design error': "
        + ", ".join(missing)
    )


def test_the_scan_finds_a_bare_pragma(tmp_path: Path) -> None:
    """The scan itself tells a bare pragma from one with a reason."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text(
        "a = 1  # pragma: no cover\n"
        "b = 2  # pragma: no cover - not Linux\n"
        "c = 3  #pragma:no cover (design error)\n"
        "d = 4  # pragma: no cover -\n",
        encoding="utf-8",
    )
    assert pragmas_without_reason(package) == ["pkg/mod.py:1", "pkg/mod.py:4"]
