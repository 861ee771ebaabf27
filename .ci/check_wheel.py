"""Check the contents of a built iptkit wheel.

Usage: ``python .ci/check_wheel.py dist/iptkit-*.whl``.  Fails (exit status 1)
unless the wheel holds the ``iptkit`` package with its ``py.typed`` marker,
nothing outside it but the ``.dist-info`` folder, the licence, and the
``hypothesis`` entry point that registers the strategies.
"""

from __future__ import annotations

import sys
import zipfile


def problems(path: str) -> list[str]:
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
        strays = [n for n in names if not n.startswith(("iptkit/", meta + "/"))]
        if strays:
            found.append(f"files outside the iptkit package: {strays}")
        for required in ("iptkit/__init__.py", "iptkit/py.typed", "iptkit/testing/__init__.py"):
            if required not in names:
                found.append(f"missing {required}")
        if not any(n.startswith(f"{meta}/licenses/LICENSE") for n in names):
            found.append("missing the LICENSE file")
        if any("/tests/" in n or "__pycache__" in n for n in names):
            found.append("tests or caches were packaged")
        entry_points = (
            wheel.read(f"{meta}/entry_points.txt").decode()
            if (f"{meta}/entry_points.txt" in names)
            else ""
        )
        if "[hypothesis]" not in entry_points or "iptkit._hypothesis" not in entry_points:
            found.append("missing the hypothesis entry point")
    return found


def main(paths: list[str]) -> int:
    """Check every wheel given; return the exit status."""
    if not paths:
        print("usage: check_wheel.py WHEEL...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        for problem in problems(path):
            print(f"{path}: {problem}", file=sys.stderr)
            status = 1
        if status == 0:
            print(f"{path}: contents as expected")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
