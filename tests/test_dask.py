"""Checking on Dask gives the rows and the report of ``iptkit check``."""

from __future__ import annotations

import collections
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import iptkit

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

import iptkit.dask  # noqa: E402  (after the extra is known to be there)

CORPUS = Path(__file__).resolve().parent.parent / "examples" / "data" / "corpus.jsonl"

#: A small file of our own: a valid course, a blank line, text that is not
#: JSON, a course with a field missing, and a course with a bad date.
SMALL = (
    '{"schema_version": 2, "patient_id": "AB-1", "started_on": "2026-03-02"}\n'
    "\n"
    "not json at all\n"
    '{"schema_version": 2, "started_on": "2026-03-02"}\n'
    '{"schema_version": 2, "patient_id": "AB-2", "started_on": "March"}\n'
)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One cluster of two worker processes for the whole module."""
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.jsonl"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iptkit", "check", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _problems(stdout: str) -> collections.Counter[str]:
    """The problem rows of a jsonl report, without their type, as a multiset."""
    rows = collections.Counter[str]()
    for line in stdout.splitlines():
        row = json.loads(line)
        if row.pop("type") == "problem":
            rows[json.dumps(row, sort_keys=True)] += 1
    return rows


def _summary(stderr: str) -> dict[str, Any]:
    """The summary of a jsonl report: the last line of standard error."""
    last: dict[str, Any] = json.loads(stderr.splitlines()[-1])
    assert last["type"] == "summary"
    return last


def _compute(bag: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = bag.compute()
    return rows


def _multiset(rows: list[dict[str, Any]]) -> collections.Counter[str]:
    return collections.Counter(json.dumps(row, sort_keys=True) for row in rows)


@pytest.fixture
def packed(tmp_path: Path) -> Path:
    """A folder with a gzip-compressed JSON Lines file and a JSON file holding an array."""
    folder = tmp_path / "packed"
    folder.mkdir()
    (folder / "part.jsonl.gz").write_bytes(gzip.compress(SMALL.encode()))
    courses = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:8]]
    (folder / "array.json").write_text(json.dumps([{}, *courses[1:]]), encoding="utf-8")
    return folder


def test_rows_match_the_command_line(client: Any, small: Path, packed: Path) -> None:
    """The bag holds the rows of ``iptkit check --format jsonl``, no more, no fewer."""
    expected = _cli("--format", "jsonl", str(CORPUS), str(small), str(packed))
    assert expected.returncode == 1
    bag = iptkit.dask.check([str(CORPUS), str(small), str(packed)])
    assert isinstance(bag, dask_bag.Bag)
    rows = _compute(bag)
    assert rows, "the corpus has broken lines on purpose"
    assert _multiset(rows) == _problems(expected.stdout)
    assert {Path(row["file"]).name for row in rows} == {
        CORPUS.name,
        small.name,
        "part.jsonl.gz",
        "array.json",
    }
    # Line numbers come from the files: the text that is not JSON is line 3.
    assert any(row["file"] == str(small) and row["line"] == 3 for row in rows)
    assert any(row["index"] == 0 for row in rows)  # the empty object in the array
    assert any(row["patient_id"] is not None for row in rows)
    assert list(rows[0]) == [
        "file",
        "line",
        "index",
        "patient_id",
        "path",
        "code",
        "severity",
        "message",
    ]


def test_options_reach_the_workers(client: Any, small: Path) -> None:
    """``max_problems``, ``show_values`` and globs give what the command line gives."""
    expected = _cli("--format", "jsonl", "--max-problems", "1", "--show-values", str(small))
    pattern = str(small.parent / "*.jsonl")
    bag = iptkit.dask.check(pattern, max_problems=1, config={"show_values": True})
    rows = _compute(bag)
    assert _multiset(rows) == _problems(expected.stdout)
    assert all("value" in row for row in rows)


def test_a_bag_of_lines(client: Any, small: Path) -> None:
    """Lines from ``read_text`` are checked too, named by partition and position."""
    lines = dask_bag.read_text(str(small), linedelimiter="\n")
    rows = _compute(iptkit.dask.check(lines))
    by_file = _compute(iptkit.dask.check(str(small)))
    strip = [{k: v for k, v in row.items() if k != "file"} for row in rows]
    assert _multiset(strip) == _multiset(
        [{k: v for k, v in row.items() if k != "file"} for row in by_file]
    )
    assert {row["file"] for row in rows} == {"<partition 0>"}


def test_unknown_config_and_missing_files() -> None:
    with pytest.raises(iptkit.IptkitError, match="unknown config keys: colour"):
        iptkit.dask.check(str(CORPUS), config={"colour": "red"})
    with pytest.raises(iptkit.IptkitError, match="no file matches"):
        iptkit.dask.check("no-such-dir/*.jsonl")
    with pytest.raises(iptkit.IptkitError, match="standard input"):
        iptkit.dask.check("-")


@pytest.mark.parametrize("output", ["jsonl", "text"])
def test_cli_on_a_local_cluster(small: Path, output: str) -> None:
    """``--dask local`` prints the same report with the same exit code."""
    args = ["--format", output, str(CORPUS), str(small)]
    plain, on_dask = _cli(*args), _cli("--dask", "local", *args)
    assert on_dask.returncode == plain.returncode == 1
    if output == "jsonl":
        assert _problems(on_dask.stdout) == _problems(plain.stdout)
        assert _summary(on_dask.stderr) == _summary(plain.stderr)
    else:
        assert sorted(on_dask.stdout.splitlines()) == sorted(plain.stdout.splitlines())


def test_cli_valid_input_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "valid.jsonl"
    path.write_text(SMALL.splitlines()[0] + "\n", encoding="utf-8")
    result = _cli("--dask", "local", "--format", "jsonl", str(path))
    assert result.returncode == 0
    assert _summary(result.stderr)["documents"] == {"read": 1, "valid": 1, "with_errors": 0}


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-port-here"])
def test_bad_address_is_a_usage_error(address: str) -> None:
    """A scheduler that cannot be reached: exit code 2 and one line, nothing on stdout."""
    result = _cli("--dask", address, str(CORPUS))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(
        f"iptkit check: error: cannot reach the Dask scheduler at '{address}'"
    )


def test_stdin_is_a_usage_error() -> None:
    result = _cli("--dask", "local", "-")
    assert result.returncode == 2
    assert "standard input" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_missing_extra_names_it() -> None:
    """Without dask, importing iptkit.dask says which extra to install."""
    code = (
        "import sys\n"
        "sys.modules['dask'] = None\n"
        "import iptkit\n"
        "try:\n"
        "    import iptkit.dask\n"
        "except iptkit.MissingExtraError as exc:\n"
        "    print(exc.extra)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "dask"
    assert issubclass(iptkit.MissingExtraError, ImportError)
