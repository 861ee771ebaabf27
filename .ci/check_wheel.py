"""Check the contents of a built iptkit wheel and sdist.

Usage: ``python .ci/check_wheel.py build/dist/iptkit-*.whl build/dist/iptkit-*.tar.gz``.
Fails (exit status 1) unless

* the wheel holds the ``iptkit`` package with its ``py.typed`` marker, nothing
  outside it but the ``.dist-info`` folder, the licence and the module that
  the ``hypothesis`` entry point names (when that lies outside the package),
  and that entry point names a module the wheel holds;
* the sdist holds what building the wheel needs (``pyproject.toml``, the
  readme, the licence, the package) and no virtual environment, build output
  or caches.
"""

from __future__ import annotations

import configparser
import sys
import tarfile
import zipfile

#: Files every sdist must hold, relative to its top folder.
SDIST_REQUIRED = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "src/iptkit/__init__.py",
    "src/iptkit/py.typed",
)
#: Path parts an sdist must never hold.
SDIST_FORBIDDEN = (".venv", "__pycache__", ".git", ".mypy_cache", ".pytest_cache", "_build")


def _entry_point_modules(text: str) -> tuple[list[str], list[str]]:
    """The modules the ``hypothesis`` entry points name, and what is wrong with them."""
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return [], [f"entry_points.txt does not parse: {exc}"]
    if not parser.has_section("hypothesis") or not parser.items("hypothesis"):
        return [], ["missing the hypothesis entry point"]
    modules, found = [], []
    for name, value in parser.items("hypothesis"):
        module, _, function = value.strip().partition(":")
        if not module or not function:
            found.append(f"hypothesis entry point {name!r} names no module:function")
            continue
        if not module.split(".")[0].lstrip("_").startswith("iptkit"):
            found.append(f"hypothesis entry point {name!r} names a module not of iptkit")
        modules.append(module)
    return modules, found


def wheel_problems(path: str) -> list[str]:
    """Return what is wrong with the wheel at ``path`` (empty when it is fine)."""
    found: list[str] = []
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dist_info = sorted(
            {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        )
        if len(dist_info) != 1:
            return [f"expected one .dist-info folder, found {dist_info}"]
        meta = dist_info[0]
        entry_points = (
            wheel.read(f"{meta}/entry_points.txt").decode()
            if (f"{meta}/entry_points.txt" in names)
            else ""
        )
        modules, entry_problems = _entry_point_modules(entry_points)
        found += entry_problems
        allowed: set[str] = set()
        for module in modules:
            files = (module.replace(".", "/") + ".py", module.replace(".", "/") + "/__init__.py")
            if not any(f in names for f in files):
                found.append(f"the hypothesis entry point's module {module} is not in the wheel")
            allowed.update(files)
        strays = [
            n for n in names if not n.startswith(("iptkit/", meta + "/")) and n not in allowed
        ]
        if strays:
            found.append(f"files outside the iptkit package: {strays}")
        for required in ("iptkit/__init__.py", "iptkit/py.typed", "iptkit/testing/__init__.py"):
            if required not in names:
                found.append(f"missing {required}")
        if not any(n.startswith(f"{meta}/licenses/LICENSE") for n in names):
            found.append("missing the LICENSE file")
        if any("/tests/" in n or "__pycache__" in n for n in names):
            found.append("tests or caches were packaged")
    return found


def sdist_problems(path: str) -> list[str]:
    """Return what is wrong with the sdist at ``path`` (empty when it is fine)."""
    with tarfile.open(path) as sdist:
        names = sdist.getnames()
    tops = {n.split("/")[0] for n in names}
    if len(tops) != 1:
        return [f"expected one top folder, found {sorted(tops)}"]
    top = tops.pop()
    inside = {n[len(top) + 1 :] for n in names if n.startswith(top + "/")}
    found = [f"missing {required}" for required in SDIST_REQUIRED if required not in inside]
    bad = sorted(n for n in inside if set(n.split("/")) & set(SDIST_FORBIDDEN))
    if bad:
        found.append(f"a venv, build output or caches were packaged: {bad[:5]}")
    return found


def problems(path: str) -> list[str]:
    """What is wrong with the wheel or sdist at ``path``."""
    if path.endswith(".whl"):
        return wheel_problems(path)
    if path.endswith(".tar.gz"):
        return sdist_problems(path)
    return ["neither a wheel (.whl) nor an sdist (.tar.gz)"]


def main(paths: list[str]) -> int:
    """Check every wheel and sdist given; return the exit status."""
    if not paths:
        print("usage: check_wheel.py WHEEL_OR_SDIST...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        found = problems(path)
        for problem in found:
            print(f"{path}: {problem}", file=sys.stderr)
            status = 1
        if not found:
            print(f"{path}: contents as expected")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
