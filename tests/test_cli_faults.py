"""Fault injection for ``iptkit check``: the real command under every fault a registry run meets.

Each test starts ``python -m iptkit ...`` as a subprocess in a session of
its own, injects a fault (a signal to the main process or to a worker, a
FIFO, a device, a broken or looping symbolic link, an unreadable entry, a
file that changes size while it is read, a closed or full standard stream, a
reader that goes away, a hostile document) and checks the documented exit
code, a single line on standard error without a traceback, and that no
process of the session is left.  Every wait is bounded, and every process a
test starts is killed when the test ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import json
import math
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import iptkit
from _helpers import quiet
from iptkit import _checkrun as checkrun
from iptkit import _sources as readers
from iptkit._cli import _main as cli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX faults: signals, FIFOs, /dev")

LINUX = sys.platform.startswith("linux")
needs_proc = pytest.mark.skipif(not LINUX, reason="reads the process table from /proc")

SRC = Path(iptkit.__file__).resolve().parent.parent
#: Upper bound in seconds on every wait for a process of a test.
TIMEOUT = 60.0
#: How long workers get to notice that their parent is gone.
ORPHAN_GRACE = 10.0

#: A valid course without findings at error severity.
COURSE: dict[str, Any] = {"schema_version": 1, "patient_id": "AB-1234", "started_on": "2026-03-02"}
CLEAN = json.dumps(COURSE).encode() + b"\n"
#: Text that must never reach a message.
SECRET = "Jane Doe told me about her sister"
MISSPELT = json.dumps({**COURSE, "closness": 1}).encode() + b"\n"


# --------------------------------------------------------------------------
# Running the command
# --------------------------------------------------------------------------


def command(*args: str) -> list[str]:
    """The command line of ``python -m iptkit ARGS``."""
    return [sys.executable, "-m", "iptkit", *args]


def environment() -> dict[str, str]:
    """The environment of the command: this checkout first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def started(*args: str, **options: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python -m iptkit ARGS`` in a new session; kill the whole session at the end."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen(command(*args), env=environment(), start_new_session=True, **options)
    try:
        yield proc
    finally:
        kill_session(proc.pid)
        with contextlib.suppress(Exception):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(timeout=TIMEOUT)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session ``sid`` (its process group and any stray)."""
    with contextlib.suppress(OSError):
        os.killpg(sid, signal.SIGKILL)
    for pid in session_members(sid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def session_members(sid: int) -> list[int]:
    """The live (not zombie) processes of session ``sid``; empty where /proc is missing."""
    if not LINUX:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return sorted(found)


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, bytes, bytes]:
    """Wait (bounded) for ``proc``; return its exit code, standard output and error."""
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out or b"", quiet(err)


def run(*args: str, feed: bytes | None = None, **options: Any) -> tuple[int, bytes, bytes]:
    """Run ``python -m iptkit ARGS`` to its end; return exit code, output and error.

    ``feed`` is written to its standard input; ``options`` go to ``Popen``.
    """
    if feed is not None:
        options["stdin"] = subprocess.PIPE
    with started(*args, **options) as proc:
        out, err = proc.communicate(input=feed, timeout=TIMEOUT)
        assert session_members(proc.pid) == [] or wait_gone(proc.pid)
        return proc.returncode, out or b"", quiet(err)


def wait_gone(sid: int, timeout: float = ORPHAN_GRACE) -> bool:
    """Whether every process of session ``sid`` ends within ``timeout`` seconds."""
    return wait_for(lambda: session_members(sid) == [], timeout)


def one_line(err: bytes, *fragments: str) -> str:
    """Assert that ``err`` is one line, without a traceback, holding ``fragments``."""
    text = err.decode("utf-8", "replace")
    lines = text.splitlines()
    assert "Traceback" not in text, text
    assert len(lines) == 1, text
    for fragment in fragments:
        assert fragment in lines[0], text
    return lines[0]


def summary(err: bytes) -> dict[str, Any]:
    """The summary object ``--format jsonl`` writes as the last line of standard error."""
    last = json.loads(err.decode().splitlines()[-1])
    assert last["type"] == "summary"
    return dict(last)


def other_lines(err: bytes) -> bytes:
    """Standard error of a ``--format jsonl`` run without its summary line."""
    lines = err.splitlines(keepends=True)
    assert lines, err
    assert lines[-1].startswith(b'{"type": "summary"'), err
    return b"".join(lines[:-1])


def rows(out: bytes) -> list[dict[str, Any]]:
    """The problem rows of ``--format jsonl`` output."""
    records = [json.loads(line) for line in out.decode().splitlines()]
    return [r for r in records if r["type"] == "problem"]


def unread_bytes(pipe: IO[bytes]) -> int:
    """How many bytes written to ``pipe`` the reader has not taken yet (Linux: FIONREAD)."""
    size = bytearray(4)
    fcntl.ioctl(pipe.fileno(), termios.FIONREAD, size)
    return int.from_bytes(size, sys.byteorder)


@contextlib.contextmanager
def feeding(jobs: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """``iptkit check --jobs N -`` with standard input held open, running and idle.

    Three hundred documents go in (more than one chunk, so the workers start);
    the block runs once the command has read them all and, with ``--jobs`` above
    1, its workers are up.
    """
    with started("check", "--jobs", str(jobs), *extra, "-", stdin=subprocess.PIPE) as proc:
        stdin = proc.stdin
        assert stdin is not None
        stdin.write(CLEAN * 300)
        stdin.flush()
        expected = 1 + (jobs if jobs > 1 else 0)
        assert wait_for(lambda: unread_bytes(stdin) == 0), "the command read nothing"
        assert wait_for(lambda: len(session_members(proc.pid)) >= expected), "no workers"
        yield proc


# --------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------


@needs_proc
class TestSignals:
    """Stopping the main process, or losing a worker, never leaves a process behind."""

    @pytest.mark.parametrize(
        ("signum", "code"),
        [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)],
    )
    @pytest.mark.parametrize("jobs", [1, 2])
    def test_stop_signal(self, signum: int, code: int, jobs: int) -> None:
        """SIGTERM, SIGINT or SIGHUP to the main process: 128 + N, one line, no worker left."""
        with feeding(jobs) as proc:
            proc.send_signal(signum)
            assert proc.stdin is not None
            proc.stdin.close()
            proc.stdin = None
            returncode, _, err = finish(proc)
            assert returncode == code
            one_line(err, f"stopped by {signal.Signals(signum).name}")
            assert wait_gone(proc.pid), session_members(proc.pid)

    def test_sigkill_of_the_main_process(self) -> None:
        """SIGKILL to the main process of --jobs 2: the orphaned workers exit on their own."""
        with feeding(2) as proc:
            workers = [pid for pid in session_members(proc.pid) if pid != proc.pid]
            assert len(workers) == 2
            proc.kill()
            proc.wait(timeout=TIMEOUT)
            assert wait_gone(proc.pid), session_members(proc.pid)

    def test_killed_worker_is_an_io_error(self) -> None:
        """A worker killed mid-run: exit 2 and one line naming the signal, not a traceback."""
        with feeding(2, "--format", "jsonl") as proc:
            worker = next(pid for pid in session_members(proc.pid) if pid != proc.pid)
            os.kill(worker, signal.SIGKILL)
            assert proc.stdin is not None
            proc.stdin.write(CLEAN * 600)
            proc.stdin.close()
            proc.stdin = None
            returncode, _, err = finish(proc)
            assert returncode == 2
            # The signal is named when the dead worker was reaped in time; either way
            # it is one line saying a worker died and the report is incomplete.
            one_line(err, "worker process", "the report is incomplete")
            assert wait_gone(proc.pid), session_members(proc.pid)

    def test_workers_are_capped_at_the_cpus(self) -> None:
        """--jobs far above the CPU count starts one worker per CPU, with a notice."""
        cpus = cli.available_cpus()
        asked = cpus + 62
        with started("check", "--jobs", str(asked), "-", stdin=subprocess.PIPE) as proc:
            stdin = proc.stdin
            assert stdin is not None
            stdin.write(CLEAN * 300)
            stdin.flush()
            assert wait_for(lambda: unread_bytes(stdin) == 0)
            assert wait_for(lambda: len(session_members(proc.pid)) == 1 + cpus)
            time.sleep(0.3)  # any extra worker would be forked by now
            assert len(session_members(proc.pid)) == 1 + cpus
            stdin.close()
            proc.stdin = None
            returncode, _, err = finish(proc)
        assert returncode == 0
        one_line(err, "note: using", f"({asked:,} asked for)")


@needs_proc
def test_worker_exits_when_its_parent_dies_without_the_kernel() -> None:
    """The portable watchdog alone ends a worker whose parent died (no PR_SET_PDEATHSIG)."""
    script = (
        "import os, sys, time\n"
        "from iptkit._cli._main import exit_with_parent\n"
        "ready_r, ready_w = os.pipe()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    exit_with_parent(os.getppid(), kernel=False)\n"
        "    os.write(ready_w, b'x')\n"
        "    time.sleep(120)\n"
        "    os._exit(0)\n"
        "os.read(ready_r, 1)\n"
        "print(child, flush=True)\n"
        "os._exit(0)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=environment(),
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
        child = int(out)
        assert proc.returncode == 0
        assert wait_gone(proc.pid), f"child {child} still runs after its parent died"
    finally:
        kill_session(proc.pid)
        with contextlib.suppress(Exception):
            proc.kill()
            proc.wait(timeout=TIMEOUT)


# --------------------------------------------------------------------------
# What is read: only regular files
# --------------------------------------------------------------------------


def make_socket(path: Path) -> socket.socket:
    """A bound Unix socket at ``path`` (closed by the caller)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


@pytest.fixture
def short_tmp(tmp_path: Path) -> Iterator[Path]:
    """A temporary folder with a short name (a socket path is at most about 100 bytes)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ipt"))
    try:
        yield folder
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


class TestSpecialFiles:
    """FIFOs, devices and sockets are skipped in directories and refused by name."""

    def test_skipped_inside_a_directory(self, short_tmp: Path) -> None:
        """A FIFO, a socket and a link to a device are skipped with a notice; the rest is read."""
        (short_tmp / "a.jsonl").write_bytes(CLEAN + MISSPELT)
        os.mkfifo(short_tmp / "b.jsonl")
        (short_tmp / "c.json").symlink_to("/dev/zero")
        sock = make_socket(short_tmp / "d.jsonl")
        try:
            code, out, err = run("check", "--format", "jsonl", str(short_tmp))
        finally:
            sock.close()
        assert code == 1  # the misspelt document; skipping is not an error
        assert "Traceback" not in err.decode()
        notes = other_lines(err).decode().splitlines()
        assert notes == [
            f"iptkit check: note: skipping {str(short_tmp / 'b.jsonl')!r}: "
            "not a regular file (a FIFO)",
            f"iptkit check: note: skipping {str(short_tmp / 'c.json')!r}: "
            "not a regular file (a character device)",
            f"iptkit check: note: skipping {str(short_tmp / 'd.jsonl')!r}: "
            "not a regular file (a socket)",
        ]
        assert [r["code"] for r in rows(out)] == ["unknown_field"]
        total = summary(err)
        assert total["documents"]["read"] == 2
        assert (total["files"], total["skipped"], total["io_errors"]) == (1, 3, 0)

    @pytest.mark.parametrize("kind", ["fifo", "socket", "/dev/zero", "/dev/null", "/dev/full"])
    def test_refused_when_named(self, short_tmp: Path, kind: str) -> None:
        """Named on the command line, they are refused at once: exit 2, one line, no output."""
        sock = None
        if kind == "fifo":
            path = short_tmp / "pipe.jsonl"
            os.mkfifo(path)
        elif kind == "socket":
            path = short_tmp / "sock.jsonl"
            sock = make_socket(path)
        else:
            path = Path(kind)
        try:
            code, out, err = run("check", str(path))
        finally:
            if sock is not None:
                sock.close()
        assert code == 2
        assert out == b""
        one_line(err, repr(str(path)), "not a regular file", "give - to read standard input")

    def test_standard_input_may_be_a_pipe(self) -> None:
        """``-`` is the one way to read a pipe, and it works."""
        code, _, err = run("check", "--format", "jsonl", "-", feed=CLEAN * 3)
        assert (code, other_lines(err)) == (0, b"")
        assert summary(err)["documents"]["read"] == 3

    def test_schedule_refuses_a_device(self) -> None:
        """``iptkit schedule /dev/zero`` is refused too, instead of reading forever."""
        code, out, err = run("schedule", "/dev/zero")
        assert (code, out) == (2, b"")
        one_line(err, "not a regular file")


class TestBrokenEntries:
    """An entry of a directory that cannot be read is its own problem; the run goes on."""

    def test_broken_link_and_link_loop(self, tmp_path: Path) -> None:
        """A dangling symbolic link and a loop are reported, each in one line; exit 2."""
        (tmp_path / "a.jsonl").write_bytes(MISSPELT)
        (tmp_path / "b.json").symlink_to(tmp_path / "nowhere.json")
        (tmp_path / "c.json").symlink_to(tmp_path / "d.json")
        (tmp_path / "d.json").symlink_to(tmp_path / "c.json")
        (tmp_path / "e.jsonl").write_bytes(CLEAN + MISSPELT)
        code, out, err = run("check", "--format", "jsonl", str(tmp_path))
        assert code == 2
        lines = other_lines(err).decode().splitlines()
        assert lines == [
            f"iptkit check: error: cannot read {str(tmp_path / 'b.json')!r}: "
            "a broken symbolic link (its target does not exist)",
            f"iptkit check: error: cannot read {str(tmp_path / 'c.json')!r}: "
            "a loop of symbolic links",
            f"iptkit check: error: cannot read {str(tmp_path / 'd.json')!r}: "
            "a loop of symbolic links",
        ]
        found = [(Path(r["file"]).name, r["line"], r["code"]) for r in rows(out)]
        assert found == [("a.jsonl", 1, "unknown_field"), ("e.jsonl", 2, "unknown_field")]
        total = summary(err)
        assert (total["documents"]["read"], total["io_errors"]) == (3, 3)

    def test_broken_link_named(self, tmp_path: Path) -> None:
        """A dangling symbolic link named on the command line is refused in one line."""
        link = tmp_path / "gone.jsonl"
        link.symlink_to(tmp_path / "nowhere.jsonl")
        code, out, err = run("check", str(link))
        assert (code, out) == (2, b"")
        one_line(err, "a broken symbolic link")

    def test_symlinked_folders_are_not_followed(self, tmp_path: Path) -> None:
        """A link to a folder (here, a loop back to the top) is not walked into."""
        (tmp_path / "a.jsonl").write_bytes(CLEAN)
        (tmp_path / "again").symlink_to(tmp_path)
        (tmp_path / "again.json").symlink_to(tmp_path)
        code, _, err = run("check", "--format", "jsonl", str(tmp_path))
        assert code == 0
        one_line(other_lines(err), "skipping", "a symbolic link to a directory (not followed)")
        assert summary(err)["documents"]["read"] == 1


def drop_file_permissions_override() -> None:
    """In the child: give up root's right to read any file (Linux capabilities).

    Root keeps its uid (so it can still run this interpreter from a private
    folder) but loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so file
    permissions apply to it as to anyone.
    """
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture
def unprivileged(tmp_path: Path) -> Callable[[], None]:
    """A ``preexec_fn`` under which permissions hold, or skip the test if there is none."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    if os.geteuid() == 0 and not LINUX:
        pytest.skip("needs a non-root user or Linux capabilities")
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}).read()"],
            preexec_fn=drop_file_permissions_override,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.SubprocessError:
        pytest.skip("cannot start an unprivileged child")
    if b"PermissionError" not in result.stderr:
        pytest.skip("file permissions do not apply to this user")
    return drop_file_permissions_override


class TestPermissions:
    """Unreadable files and folders, with permissions that really apply."""

    def test_unreadable_entries_inside_a_directory(
        self, tmp_path: Path, unprivileged: Callable[[], None]
    ) -> None:
        """An unreadable file and an unreadable folder are reported; the others are read."""
        (tmp_path / "a.jsonl").write_bytes(MISSPELT)
        locked_file = tmp_path / "b.jsonl"
        locked_file.write_bytes(CLEAN)
        locked_file.chmod(0)
        locked_folder = tmp_path / "c"
        locked_folder.mkdir()
        (locked_folder / "inside.jsonl").write_bytes(MISSPELT)
        locked_folder.chmod(0)
        (tmp_path / "d.jsonl").write_bytes(MISSPELT)
        try:
            code, out, err = run(
                "check", "--format", "jsonl", str(tmp_path), preexec_fn=unprivileged
            )
        finally:
            locked_folder.chmod(0o700)
        denied = os.strerror(errno.EACCES)
        assert code == 2
        assert other_lines(err).decode().splitlines() == [
            f"iptkit check: error: cannot read {str(locked_file)!r}: {denied}",
            f"iptkit check: error: cannot read directory {str(locked_folder)!r}: {denied}",
        ]
        assert [Path(r["file"]).name for r in rows(out)] == ["a.jsonl", "d.jsonl"]
        assert summary(err)["io_errors"] == 2

    def test_unreadable_file_named(self, tmp_path: Path, unprivileged: Callable[[], None]) -> None:
        """An unreadable file named on the command line is refused before any document."""
        locked = tmp_path / "locked.jsonl"
        locked.write_bytes(CLEAN)
        locked.chmod(0)
        code, out, err = run("check", str(locked), preexec_fn=unprivileged)
        assert (code, out) == (2, b"")
        one_line(err, repr(str(locked)), os.strerror(errno.EACCES))


@needs_proc
class TestChangingFiles:
    """A file that changes size while it is read is reported."""

    @staticmethod
    def open_in(pid: int, path: Path) -> bool:
        """Whether process ``pid`` has ``path`` open."""
        folder = Path("/proc", str(pid), "fd")
        with contextlib.suppress(OSError):
            for fd in os.listdir(folder):
                with contextlib.suppress(OSError):
                    if os.readlink(folder / fd) == os.path.realpath(path):
                        return True
        return False

    @pytest.mark.parametrize("change", ["truncate", "append"])
    def test_size_change_while_read(self, tmp_path: Path, change: str) -> None:
        """The command is stopped while it reads the file, the file changes, the command goes on."""
        path = tmp_path / "growing.jsonl"
        lines = 20_000
        path.write_bytes(CLEAN * lines)
        with started("check", "--format", "jsonl", str(path)) as proc:
            assert wait_for(lambda: self.open_in(proc.pid, path), timeout=TIMEOUT)
            proc.send_signal(signal.SIGSTOP)
            try:
                if change == "truncate":
                    os.truncate(path, len(CLEAN) * lines // 2 + 7)
                else:
                    with path.open("ab") as stream:
                        stream.write(CLEAN * 10)
            finally:
                proc.send_signal(signal.SIGCONT)
            code, _, err = finish(proc)
        assert code == 2
        one_line(other_lines(err), repr(str(path)), "changed size while it was read")
        assert summary(err)["io_errors"] == 1


# --------------------------------------------------------------------------
# Memory: caps on problems, previews and jobs
# --------------------------------------------------------------------------


def many_problems(count: int) -> bytes:
    """One course line with ``count`` sessions of the wrong type (one issue each)."""
    return json.dumps({**COURSE, "sessions": [1] * count}).encode() + b"\n"


class TestCaps:
    """Whatever a line holds, the report stays small."""

    def test_problems_per_document_are_capped(self, tmp_path: Path) -> None:
        """100 problems are listed, the rest counted: one info row and the summary say how many."""
        path = tmp_path / "many.jsonl"
        path.write_bytes(many_problems(5_000) + MISSPELT)
        code, out, err = run("check", "--format", "jsonl", str(path))
        assert (code, other_lines(err)) == (1, b"")
        found = rows(out)
        first = [r for r in found if r["line"] == 1]
        assert len(first) == checkrun.MAX_PROBLEMS + 1
        note = first[-1]
        assert (note["code"], note["severity"], note["path"]) == (
            checkrun.LEFT_OUT_CODE,
            "info",
            "$",
        )
        assert "4,900 more problems" in note["message"]
        assert [(r["line"], r["code"]) for r in found if r["line"] == 2] == [(2, "unknown_field")]
        total = summary(err)
        assert total["left_out"] == 4_900
        assert total["severities"]["error"] == 5_001  # every problem is counted
        assert total["documents"]["with_errors"] == 2

    @pytest.mark.parametrize(("limit", "listed"), [("3", 3), ("0", 5_000)])
    def test_max_problems_option(self, tmp_path: Path, limit: str, listed: int) -> None:
        """--max-problems N lists N per document; 0 lists them all."""
        path = tmp_path / "many.jsonl"
        path.write_bytes(many_problems(5_000))
        code, out, err = run("check", "--format", "jsonl", "--max-problems", limit, str(path))
        assert code == 1
        found = rows(out)
        assert len([r for r in found if r["code"] == "wrong_type"]) == listed
        assert summary(err)["left_out"] == 5_000 - listed

    def test_text_report_says_how_many_were_left_out(self, tmp_path: Path) -> None:
        """The text summary has a line for the problems not listed."""
        path = tmp_path / "many.jsonl"
        path.write_bytes(many_problems(250))
        code, out, _ = run("check", "--max-problems", "10", str(path))
        assert code == 1
        text = out.decode()
        assert "240 more problems of this document are not listed" in text
        assert "Problems not listed: 240 (at most 10 per document; see --max-problems)" in text

    def test_same_rows_with_jobs(self, tmp_path: Path) -> None:
        """The cap gives the same rows whatever the number of worker processes."""
        path = tmp_path / "many.jsonl"
        path.write_bytes((many_problems(300) + CLEAN * 600) * 3)  # more chunks than in flight
        one = run("check", "--format", "jsonl", "--jobs", "1", str(path))
        two = run("check", "--format", "jsonl", "--jobs", "2", str(path))
        every_cpu = run("check", "--format", "jsonl", "--jobs", "0", str(path))
        assert one[1] == two[1] == every_cpu[1]
        assert one[0] == two[0] == every_cpu[0] == 1

    def test_hostile_line_gives_a_small_report(self, tmp_path: Path) -> None:
        """A line with 100,000 bad items gives about a hundred rows, not 100,000."""
        path = tmp_path / "hostile.jsonl"
        path.write_bytes(many_problems(100_000))
        for fmt in ("text", "jsonl"):
            code, out, _ = run("check", "--format", fmt, "--show-values", str(path))
            assert code == 1
            assert len(out) < 60_000

    @pytest.mark.parametrize("jobs", ["99999999999999999999", "4097", "-1", "1e3", "two"])
    def test_absurd_jobs(self, tmp_path: Path, jobs: str) -> None:
        """A number of jobs out of range is a usage error, not a traceback."""
        path = tmp_path / "clean.jsonl"
        path.write_bytes(CLEAN)
        code, out, err = run("check", "--jobs", jobs, str(path))
        assert (code, out) == (2, b"")
        text = err.decode()
        assert "usage:" in text
        assert "Traceback" not in text
        assert "--jobs" in text.splitlines()[-1]


#: Runs ``python -m iptkit ARGS`` with SIZE zero bytes on its standard input, fed
#: 1 MiB at a time as ``head -c SIZE /dev/zero`` would, and prints as JSON its exit
#: code, output, error and peak resident memory (the largest of its process tree).
MEASURE = """\
import contextlib, json, resource, subprocess, sys
args, size = json.loads(sys.argv[1]), int(sys.argv[2])
proc = subprocess.Popen(
    [sys.executable, "-m", "iptkit", *args],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
)
zeros = bytes(1 << 20)
with contextlib.suppress(BrokenPipeError):
    for start in range(0, size, len(zeros)):
        proc.stdin.write(zeros[: size - start])
with contextlib.suppress(BrokenPipeError):
    proc.stdin.close()
proc.stdin = None
out, err = proc.communicate()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({
    "code": proc.returncode,
    "out": out.decode(),
    "err": err.decode(),
    "peak": peak * (1024 if sys.platform.startswith("linux") else 1),
}))
"""


def measured(*args: str, zeros: int = 0) -> tuple[int, bytes, bytes, int]:
    """Run ``python -m iptkit ARGS`` fed ``zeros`` zero bytes; return code, out, err, peak bytes.

    The command runs under a small Python wrapper that feeds it and reads the
    peak resident memory of its process tree once it has ended.
    """
    wrapper = subprocess.Popen(
        [sys.executable, "-c", MEASURE, json.dumps(args), str(zeros)],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = wrapper.communicate(timeout=TIMEOUT)
        assert wrapper.returncode == 0, err.decode()
        result = json.loads(out)
        return (
            result["code"],
            result["out"].encode(),
            quiet(result["err"].encode()),
            result["peak"],
        )
    finally:
        kill_session(wrapper.pid)
        with contextlib.suppress(Exception):
            wrapper.kill()
            wrapper.wait(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def baseline_peak() -> int:
    """Peak memory of ``iptkit check -`` for one short line that is not JSON."""
    code, out, _, peak = measured("check", "--max-document-bytes", "1000000", "-", zeros=1_000)
    assert code == 1
    assert b"invalid_json" in out
    return peak


#: What one document above the cap may cost beyond the baseline: a fifth of the
#: 50 MB line below. Reading that line whole would cost about twice its size.
MEMORY_SLACK = 10_000_000


def too_large(limit: int) -> str:
    """The message of the ``document_too_large`` row for ``limit``."""
    return (
        f"This document is larger than the limit of {limit:,} bytes "
        "(see --max-document-bytes); it was not read."
    )


class TestDocumentSize:
    """No line or file can make memory grow beyond the size cap of one document."""

    def test_endless_line_on_standard_input(self, baseline_peak: int) -> None:
        """``head -c 50000000 /dev/zero | iptkit check -``: one row, memory flat."""
        size = 50_000_000
        code, out, err, peak = measured(
            "check", "--format", "jsonl", "--max-document-bytes", "1000000", "-", zeros=size
        )
        assert (code, other_lines(err)) == (1, b"")
        assert [(r["file"], r["line"], r["path"], r["code"], r["severity"]) for r in rows(out)] == [
            ("<stdin>", 1, "$", "document_too_large", "error")
        ]
        assert rows(out)[0]["message"] == too_large(1_000_000)
        total = summary(err)
        assert total["documents"] == {"read": 1, "valid": 0, "with_errors": 1}
        assert peak - baseline_peak < MEMORY_SLACK, (peak, baseline_peak)

    def test_json_file_above_the_cap_is_not_read(self, tmp_path: Path, baseline_peak: int) -> None:
        """A sparse 200 MB .json file is reported from its size, beside a file that is read."""
        big = tmp_path / "big.json"
        big.touch()
        os.truncate(big, 200_000_000)  # above the default cap of 64 MiB
        (tmp_path / "small.json").write_bytes(MISSPELT)
        code, out, err, peak = measured("check", "--format", "jsonl", str(tmp_path))
        assert (code, other_lines(err)) == (1, b"")
        found = [(Path(r["file"]).name, r["line"], r["code"]) for r in rows(out)]
        assert found == [
            ("big.json", None, "document_too_large"),
            ("small.json", None, "unknown_field"),
        ]
        assert rows(out)[0]["message"] == too_large(readers.MAX_DOCUMENT_BYTES)
        assert summary(err)["io_errors"] == 0
        assert peak - baseline_peak < MEMORY_SLACK, (peak, baseline_peak)

    @pytest.mark.parametrize("fmt", sorted(cli.REPORTERS))
    def test_oversized_line_between_good_lines(self, tmp_path: Path, fmt: str) -> None:
        """The lines around an oversized one are checked; each number of jobs gives the same."""
        limit = 1_000
        oversized = json.dumps({**COURSE, "notes": SECRET * 100}).encode() + b"\n"
        blank = b" " * (limit * 3) + b"\n"  # a blank line is skipped, however long
        path = tmp_path / "mixed.jsonl"
        path.write_bytes(CLEAN + oversized + blank + MISSPELT)
        assert len(oversized) > limit > len(MISSPELT)
        outputs, errors = [], []
        for jobs in ("1", "2"):
            code, out, err = run(
                "check",
                "--format",
                fmt,
                "--show-values",
                "--max-document-bytes",
                str(limit),
                "--jobs",
                jobs,
                str(path),
            )
            assert code == 1
            # The csv and jsonl formats write their summary to standard error, never into the rows.
            assert err == b"" or fmt in ("csv", "jsonl")
            assert SECRET.encode() not in out + err
            assert b"document_too_large" in out
            outputs.append(out)
            errors.append(err)
        assert outputs[0] == outputs[1]
        if fmt == "jsonl":
            found = rows(outputs[0])
            assert [(r["line"], r["code"], r["value"]) for r in found] == [
                (2, "document_too_large", None),
                (4, "unknown_field", "1"),
            ]
            total = summary(errors[0])
            assert total["documents"] == {"read": 3, "valid": 1, "with_errors": 2}
            assert total["io_errors"] == 0  # the dropped bytes count as read

    def test_schedule_refuses_an_oversized_contract(self, tmp_path: Path) -> None:
        """``iptkit schedule``: a file above the cap is not read; standard input stops at it."""
        big = tmp_path / "contract.json"
        big.touch()
        os.truncate(big, 200_000_000)
        code, out, err = run("schedule", str(big))
        assert (code, out) == (2, b"")
        one_line(
            err, repr(str(big)), f"larger than the limit of {readers.MAX_DOCUMENT_BYTES:,} bytes"
        )
        code, out, err = run("schedule", "--max-document-bytes", "100", "-", feed=b" " * 101)
        assert (code, out) == (2, b"")
        one_line(err, "'-'", "larger than the limit of 100 bytes", "--max-document-bytes")
        code, _, err = run("schedule", "--max-document-bytes", "100", "-", feed=b" " * 98 + b"{}")
        assert code == 1  # read: not a valid contract
        assert b"larger than" not in err

    @pytest.mark.parametrize("command_name", ["check", "schedule"])
    @pytest.mark.parametrize("value", ["0", "-1", "text", "1.5", "", "9" * 40])
    def test_bad_values(self, tmp_path: Path, command_name: str, value: str) -> None:
        """A cap that is not a whole number of bytes from 1 up is a usage error."""
        path = tmp_path / "clean.jsonl"
        path.write_bytes(CLEAN)
        code, out, err = run(command_name, "--max-document-bytes", value, str(path))
        assert (code, out) == (2, b"")
        text = err.decode()
        assert "Traceback" not in text
        assert text.splitlines()[0].startswith("usage:")
        last = text.splitlines()[-1]
        assert "argument --max-document-bytes: expected a number of bytes from 1" in last


def units_of(data: bytes, limit: int) -> tuple[list[tuple[int | None, Any]], int]:
    """The ``(line, raw)`` of each document of a JSON Lines text, and the bytes read."""
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=64)
    found: list[tuple[int | None, Any]] = []
    reader = readers.read_lines(7, stream, limit)
    while True:
        try:
            index, line, raw = next(reader)
        except StopIteration as end:
            return found, int(end.value)
        assert index == 7
        found.append((line, raw))


class TestDocumentSizeInProcess:
    """The size cap to the byte, and the markers that stand for what it keeps out."""

    def test_lines_at_the_cap(self) -> None:
        """A line of exactly the cap is kept; one byte more is not, whatever its end or BOM."""
        data = (
            b"\xef\xbb\xbf"
            + b"a" * 10
            + b"\r\n"  # first line: byte order mark, the cap, CRLF
            + b"b" * 11
            + b"\n"
            + b"c" * 10
            + b"\n"
            + b"d" * 10_000  # no end of line at the end of the stream
            + b"\n\n"
            + b"e" * 11  # the last line, without an end
        )
        found, read = units_of(data, 10)
        assert found == [
            (1, b"a" * 10),
            (2, readers.Oversized(12)),
            (3, b"c" * 10),
            (4, readers.Oversized(10_001)),
            (6, readers.Oversized(11)),
        ]
        assert read == len(data)

    def test_every_byte_of_a_dropped_line_is_counted(self) -> None:
        """Lines far above the cap are dropped in pieces; the count of bytes read stays exact."""
        data = (
            b"x" * (3 * readers.DISCARD_BYTES + 5)
            + b"\n"
            + b"  \t" * readers.DISCARD_BYTES
            + b"\n1\n"
        )
        found, read = units_of(data, 100)
        assert found == [(1, readers.Oversized(3 * readers.DISCARD_BYTES + 6)), (3, b"1")]
        assert read == len(data)

    def test_json_files_at_the_cap(self, tmp_path: Path) -> None:
        """A .json file is read up to the cap (a BOM aside) and reported beyond it."""
        names = {
            "a.json": b"1" * 10,
            "b.json": b"\xef\xbb\xbf" + b"2" * 10,
            "c.json": b"3" * 11,
            "d.json": b"4" * 100,
        }
        for name, data in names.items():
            (tmp_path / name).write_bytes(data)
        errors: list[str] = []
        sources = readers.expand_paths([str(tmp_path)])
        units = list(
            readers.read_units(sources, lambda _, m: errors.append(m), lambda *_: None, 10)
        )
        assert [raw for _, _, raw in units] == [
            b"1" * 10,
            b"2" * 10,
            readers.Oversized(11),
            readers.Oversized(100),
        ]
        assert errors == []

    def test_a_growing_json_file_stays_under_the_cap(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A file larger than its size when opened is read no further than the cap allows."""
        path = tmp_path / "growing.json"
        path.write_bytes(b"5" * 1_000_000)
        opened = readers.open_regular

        def looks_small(target: Path) -> tuple[int, int]:
            fd, _ = opened(target)
            return fd, 10  # as if the rest was written after it was opened

        monkeypatch.setattr(readers, "open_regular", looks_small)
        errors: list[str] = []
        sources = [readers.Source(str(path), path, False, 10)]
        units = list(readers.read_units(sources, lambda _, m: errors.append(m), lambda *_: None, 8))
        assert units == [(0, None, readers.Oversized(11))]
        assert len(errors) == 1
        assert "changed size while it was read (10 bytes when opened, 11 read" in errors[0]

    def test_markers_travel_to_workers(self) -> None:
        """A marker pickles, is cut into chunks by what it holds, and is counted by its size."""
        import pickle

        unit: readers.Unit = (3, 9, readers.Oversized(10**12))
        assert pickle.loads(pickle.dumps(unit)) == unit
        small: readers.Unit = (3, 10, b"{}")
        assert list(checkrun.chunked([unit, small])) == [([unit, small], 10**12 + 2)]
        options = checkrun.CheckOptions("course", max_document_bytes=123)
        ((source, line, _, _, valid, found, left),) = checkrun.check_chunk(options, [unit])
        assert (source, line, valid, left) == (3, 9, False, ())
        assert found == (("$", "document_too_large", "error", too_large(123), None),)


class TestPreviews:
    """``--show-values`` shows at most 60 characters and works no more than that."""

    def test_deep_and_huge_values(self, tmp_path: Path) -> None:
        """Deep nesting, a 4 MB text and a list of 500,000 items: short values, no traceback."""
        deep: Any = []
        for _ in range(30):
            deep = [deep]
        document = {
            **COURSE,
            "deep": deep,
            "text": "x" * 4_000_000,
            "items": list(range(500_000)),
            "obj": {str(n): n for n in range(100_000)},
        }
        path = tmp_path / "big.jsonl"
        path.write_bytes(json.dumps(document).encode() + b"\n")
        started_at = time.monotonic()
        code, out, err = run("check", "--format", "jsonl", "--show-values", str(path))
        elapsed = time.monotonic() - started_at
        assert (code, other_lines(err)) == (1, b"")
        values = {r["path"]: r["value"] for r in rows(out)}
        assert values["$.text"] == '"' + "x" * 58 + "\u2026"
        assert values["$.items"].startswith("[0, 1, 2, 3, ")
        assert values["$.deep"].startswith("[[[[")
        assert values["$.obj"].startswith('{"0": 0, "1": 1, ')
        assert all(len(value) <= checkrun.VALUE_WIDTH for value in values.values())
        assert elapsed < TIMEOUT

    def test_too_deep_document(self, tmp_path: Path) -> None:
        """A document nested thousands deep is one row whatever the codec's depth limit."""
        path = tmp_path / "deep.jsonl"
        path.write_bytes(b'{"deep": ' + b"[" * 5_000 + b"]" * 5_000 + b"}\n")
        code, out, err = run("check", "--format", "jsonl", "--show-values", str(path))
        assert (code, other_lines(err)) == (1, b"")
        assert all(len(r["value"] or "") <= checkrun.VALUE_WIDTH for r in rows(out))

    def test_preview_visits_only_what_it_shows(self) -> None:
        """Only the items that fit in the preview are taken from a huge list."""
        taken = 0

        def items() -> Iterator[int]:
            nonlocal taken
            for number in range(10**9):
                taken += 1
                yield number

        class Huge(list[int]):
            def __iter__(self) -> Iterator[int]:
                return items()

        text = checkrun.json_preview(Huge())
        assert text.startswith("[0, 1, 2, ")
        assert len(text) == checkrun.VALUE_WIDTH
        assert taken < checkrun.VALUE_WIDTH

    def test_preview_of_a_very_deep_value(self) -> None:
        """Nesting far beyond the recursion limit is previewed without recursion."""
        deep: Any = "leaf"
        for _ in range(100_000):
            deep = {"k": [deep]}
        text = checkrun.json_preview(deep)
        assert text.startswith('{"k": [{"k": [')
        assert len(text) == checkrun.VALUE_WIDTH

    @settings(max_examples=300, deadline=None)
    @given(
        value=st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text(max_size=80),
            lambda children: (
                st.lists(children, max_size=6)
                | st.dictionaries(st.text(max_size=10), children, max_size=6)
            ),
            max_leaves=40,
        ),
        width=st.integers(min_value=2, max_value=120),
    )
    def test_preview_is_the_start_of_the_json_text(self, value: Any, width: int) -> None:
        """The preview is exactly the JSON text cut to its width."""
        full = json.dumps(value, ensure_ascii=False)
        expected = full if len(full) <= width else full[: width - 1] + "\u2026"
        assert checkrun.json_preview(value, width) == expected


# --------------------------------------------------------------------------
# Standard input and output
# --------------------------------------------------------------------------


def closing(fd: int) -> Callable[[], None]:
    """A ``preexec_fn`` that closes descriptor ``fd`` in the child."""
    return lambda: os.close(fd)


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    """A JSON Lines file of clean documents."""
    path = tmp_path / "clean.jsonl"
    path.write_bytes(CLEAN * 5)
    return path


@pytest.fixture
def noisy_file(tmp_path: Path) -> Path:
    """A JSON Lines file with far more rows of output than a pipe holds."""
    path = tmp_path / "noisy.jsonl"
    path.write_bytes(MISSPELT * 5_000)
    return path


class TestStandardStreams:
    """A closed, full or abandoned standard stream: one line, the documented exit code."""

    @pytest.mark.parametrize(
        "args",
        [
            ("check", "CLEAN"),
            ("check", "--format", "json", "CLEAN"),
            ("schema",),
            ("synth", "--courses", "2"),
            ("--version",),
            ("check", "--help"),
        ],
    )
    def test_closed_standard_output(self, clean_file: Path, args: tuple[str, ...]) -> None:
        """With standard output closed, every command ends with 2 and one line."""
        argv = [str(clean_file) if a == "CLEAN" else a for a in args]
        code, _, err = run(*argv, stdout=None, preexec_fn=closing(1))
        assert code == 2
        one_line(err, "cannot write to standard output", "standard output is closed")

    @pytest.mark.parametrize(
        "args",
        [
            ("check", "CLEAN"),
            ("check", "NOISY"),
            ("check", "--format", "jsonl", "NOISY"),
            ("schema",),
            ("synth", "--courses", "50"),
            ("--version",),
        ],
    )
    def test_full_disk(self, clean_file: Path, noisy_file: Path, args: tuple[str, ...]) -> None:
        """Output to /dev/full (a full disk) ends with 2 and one line."""
        files = {"CLEAN": str(clean_file), "NOISY": str(noisy_file)}
        argv = [files.get(a, a) for a in args]
        with open("/dev/full", "wb") as full:
            code, _, err = run(*argv, stdout=full)
        assert code == 2
        one_line(err, "cannot write to standard output", os.strerror(errno.ENOSPC))

    def test_output_not_writable(self, clean_file: Path) -> None:
        """Standard output open for reading only: 2 and one line."""
        with open(os.devnull, "rb") as read_only:
            code, _, err = run("check", str(clean_file), stdout=read_only)
        assert code == 2
        one_line(err, "cannot write to standard output", os.strerror(errno.EBADF))

    @pytest.mark.parametrize("corpus", ["clean", "noisy"])
    def test_broken_pipe(self, clean_file: Path, noisy_file: Path, corpus: str) -> None:
        """A pipe whose reader is gone: 2 (not 1, even on a clean corpus) and one line."""
        path = clean_file if corpus == "clean" else noisy_file
        reader, writer = os.pipe()
        os.close(reader)
        try:
            code, _, err = run("check", str(path), stdout=writer)
        finally:
            os.close(writer)
        assert code == 2
        one_line(err, "cannot write to standard output", "broken pipe")

    def test_reader_stops_early(self, noisy_file: Path) -> None:
        """Like ``| head -n 1``: the reader takes one line and leaves; 2 and one line."""
        with started("check", str(noisy_file)) as proc:
            assert proc.stdout is not None
            first = b""
            deadline = time.monotonic() + TIMEOUT
            while b"\n" not in first and time.monotonic() < deadline:
                if select.select([proc.stdout], [], [], 0.1)[0]:
                    chunk = os.read(proc.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    first += chunk
            assert b"unknown_field" in first.split(b"\n")[0]
            proc.stdout.close()
            proc.stdout = None
            code, _, err = finish(proc)
        assert code == 2
        one_line(err, "broken pipe")

    def test_closed_standard_input(self) -> None:
        """``-`` with standard input closed is an input error: 2 and one line."""
        code, _, err = run("check", "--format", "jsonl", "-", preexec_fn=closing(0))
        assert code == 2
        one_line(other_lines(err), "cannot read '<stdin>'", "standard input is closed")
        assert summary(err)["io_errors"] == 1

    def test_schedule_with_closed_standard_input(self) -> None:
        """``iptkit schedule -`` with standard input closed: 2 and one line."""
        code, _, err = run("schedule", "-", preexec_fn=closing(0))
        assert code == 2
        one_line(err, "standard input is closed")

    def test_standard_input_not_readable(self) -> None:
        """Standard input open for writing only: 2 and one line."""
        with open(os.devnull, "wb") as write_only:
            code, _, err = run("check", "-", stdin=write_only)
        assert code == 2
        one_line(err, "cannot read '<stdin>'", os.strerror(errno.EBADF))

    def test_closed_standard_error(self, noisy_file: Path, tmp_path: Path) -> None:
        """With standard error closed the report is still written and the exit code kept."""
        written = tmp_path / "summary.json"
        code, out, _ = run(
            "check",
            "--format",
            "jsonl",
            "--summary",
            str(written),
            str(noisy_file),
            preexec_fn=closing(2),
        )
        assert code == 1
        assert rows(out)
        assert json.loads(written.read_text(encoding="utf-8"))["documents"]["read"] == 5_000

    def test_every_stream_broken(self, clean_file: Path) -> None:
        """Standard output and error both on a full disk: still 2, and no hang."""
        with open("/dev/full", "wb") as full:
            code, _, _ = run("check", str(clean_file), stdout=full, stderr=full)
        assert code == 2


# --------------------------------------------------------------------------
# Escaping: no input reaches the terminal raw
# --------------------------------------------------------------------------

#: Keys and values that would forge a report line or drive a terminal.
HOSTILE_KEYS = [
    "a\nfake.jsonl:1: error [forged] $: forged",
    "\x1b[31mred",
    "c1\x9b2J",
    "cr\rreturn",
    "line\u2028separator",
    "bidi\u202eevil",
    "del\x7f",
]
RAW_CONTROLS = [b"\x1b", b"\r", b"\x7f", "\x9b".encode(), "\u2028".encode(), "\u202e".encode()]


def hostile_line() -> bytes:
    """One course line with every hostile key, each holding a hostile text."""
    document: dict[str, Any] = dict(COURSE)
    for key in HOSTILE_KEYS:
        document[key] = "\x1b[2J" + key
    return json.dumps(document, ensure_ascii=False).encode() + b"\n"


class TestEscaping:
    """Control characters in keys, values and file names are escaped in every format."""

    @pytest.mark.parametrize("show_values", [False, True])
    def test_text(self, tmp_path: Path, show_values: bool) -> None:
        """Each problem is one text line starting with its file; nothing raw reaches stdout."""
        path = tmp_path / "hostile.jsonl"
        path.write_bytes(hostile_line())
        flags = ["--show-values"] if show_values else []
        code, out, err = run("check", *flags, str(path))
        assert (code, err) == (1, b"")
        for raw in RAW_CONTROLS:
            assert raw not in out
        lines = [line for line in out.decode().split("\n") if line]
        problems = [line for line in lines if line.startswith(f"{path}:1: error [unknown_field] ")]
        assert len(problems) == len(HOSTILE_KEYS)
        others = [line.split()[0] for line in lines if line not in problems]
        assert others == ["code", "unknown_field", "Problems:", "Documents:"]

    @pytest.mark.parametrize("fmt", ["json", "jsonl"])
    def test_json(self, tmp_path: Path, fmt: str) -> None:
        """JSON output escapes C1 controls and separators too, and decodes to the true keys."""
        path = tmp_path / "hostile.jsonl"
        path.write_bytes(hostile_line())
        code, out, _ = run("check", "--format", fmt, "--show-values", str(path))
        assert code == 1
        for raw in RAW_CONTROLS:
            assert raw not in out
        if fmt == "jsonl":
            assert len(out.splitlines()) == len(HOSTILE_KEYS)
            found = rows(out)
        else:
            found = json.loads(out)["rows"]
        keys = [iptkit.Issue(r["path"], "", "").loc[0] for r in found]
        assert sorted(map(str, keys)) == sorted(HOSTILE_KEYS)

    def test_file_name(self, tmp_path: Path) -> None:
        """A file name with a newline and ESC is escaped in rows and in messages."""
        folder = tmp_path / "in"
        folder.mkdir()
        name = "bad\nname\x1b[31m.jsonl"
        (folder / name).write_bytes(MISSPELT)
        os.mkfifo(folder / "pipe\x1b[2J.jsonl")
        code, out, err = run("check", str(folder))
        assert code == 1
        assert b"\x1b" not in out + err
        assert out.decode().splitlines()[0].startswith(f"{folder}/bad\\nname\\x1b[31m.jsonl:1: ")
        one_line(err, "skipping", "pipe\\x1b[2J.jsonl")

    def test_schedule_messages(self, tmp_path: Path) -> None:
        """``iptkit schedule`` escapes the keys it quotes on standard error."""
        path = tmp_path / "contract.json"
        path.write_text(json.dumps({"schema_version": 1, "\x1b[31mkey\nline": 1}))
        code, _, err = run("schedule", str(path))
        assert code == 1
        assert b"\x1b" not in err
        assert "Traceback" not in err.decode()


def test_escape_text_covers_every_control() -> None:
    """Every C0 and C1 control, DEL and line separator comes out as a visible escape."""
    controls = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0x202E]]
    escaped = cli.escape_text("".join(controls))
    assert all(c not in escaped for c in controls)
    assert escaped.startswith("\\x00\\x01")
    assert "\\n" in escaped
    assert "\\x1b" in escaped
    assert "\\x9b" in escaped
    assert "\\u2028" in escaped
    assert cli.escape_text("plain ünïcode text, 日本語") == "plain ünïcode text, 日本語"


def test_explicit_path_kinds_are_classified() -> None:
    """The message for a refused path names what it is."""
    assert readers.file_kind(stat.S_IFIFO) == "a FIFO"
    assert readers.file_kind(stat.S_IFCHR) == "a character device"
    assert readers.file_kind(stat.S_IFBLK) == "a block device"
    assert readers.file_kind(stat.S_IFSOCK) == "a socket"
    assert readers.file_kind(stat.S_IFDIR) == "a directory"


# --------------------------------------------------------------------------
# The same guards, in process
# --------------------------------------------------------------------------


class TestInProcess:
    """Branches that no real input reaches, called directly."""

    RAW = json.dumps(COURSE).encode()

    def test_defects_become_internal_error_rows(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure in reading, loading or checking is one internal_error row naming the step."""
        options = checkrun.CheckOptions("course")

        def boom(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(SECRET)

        monkeypatch.setattr(checkrun, "findings", boom)
        ((_, _, _, _, valid, found, left),) = checkrun.check_chunk(options, [(0, 1, self.RAW)])
        assert (valid, [r[:3] for r in found], left) == (
            True,
            [("$", "internal_error", "error")],
            (),
        )
        assert "check" in found[0][3]
        assert SECRET not in found[0][3]
        monkeypatch.setattr(checkrun, "load", boom)
        ((_, _, _, _, valid, found, _),) = checkrun.check_chunk(options, [(0, 1, self.RAW)])
        assert (valid, found[0][1]) == (False, "internal_error")
        assert "load" in found[0][3]

        def out_of_memory(*args: Any) -> Any:
            raise MemoryError

        monkeypatch.setattr(checkrun, "parse_json", out_of_memory)
        ((_, _, _, _, valid, found, _),) = checkrun.check_chunk(options, [(0, 1, self.RAW)])
        assert (valid, found[0][1]) == (False, "internal_error")
        assert "read" in found[0][3]
        assert "MemoryError" in found[0][3]

    def test_findings_are_capped_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Findings beyond the cap are counted per code and severity, like issues."""
        found = [("warning", "w", f"$.sessions[{n}]", "W.") for n in range(150)]
        found += [("error", "e", "$", "E.")] * 3
        monkeypatch.setattr(checkrun, "findings", lambda *_: found)
        ((_, _, _, _, valid, listed, left),) = checkrun.check_chunk(
            checkrun.CheckOptions("course"), [(0, 1, self.RAW)]
        )
        assert valid
        assert len(listed) == checkrun.MAX_PROBLEMS
        assert sorted(left) == [("e", "error", 3), ("w", "warning", 50)]

    def test_preview_of_odd_scalars(self) -> None:
        """Values no JSON text holds still get a short preview."""
        assert (
            checkrun.json_preview([math.nan, math.inf, -math.inf]) == "[NaN, Infinity, -Infinity]"
        )
        assert checkrun.json_preview(object()) == '"<object>"'
        huge = checkrun.json_preview(10**5000)  # more digits than Python turns into text
        assert len(huge) == checkrun.VALUE_WIDTH
        assert checkrun._preview_value({"a": [1]}, "$.a[3]") is None
        assert checkrun._preview_value({"a": [1]}, "$.b") is None
        assert checkrun._preview_value({"a": [1]}, "$.a[0]") == "1"

    def test_open_regular_refuses_a_fifo_at_once(self, short_tmp: Path) -> None:
        """An entry that became a FIFO after the listing is refused when opened, without waiting."""
        fifo = short_tmp / "late.jsonl"
        os.mkfifo(fifo)
        with pytest.raises(readers.NotRegularError, match="a FIFO"):
            readers.open_regular(fifo)

    def test_replaced_entry(self, short_tmp: Path) -> None:
        """A file replaced by a FIFO between the listing and the read is that entry's error."""
        path = short_tmp / "a.jsonl"
        path.write_bytes(CLEAN)
        sources = readers.expand_paths([str(short_tmp)])
        path.unlink()
        os.mkfifo(path)
        errors: list[str] = []
        units = list(readers.read_units(sources, lambda _, m: errors.append(m), lambda *_: None))
        assert units == []
        assert errors == [f"cannot read {str(path)!r}: not a regular file (a FIFO)"]

    def test_worker_death_messages(self) -> None:
        """The message names the signal that killed a worker, before the pool's own SIGTERM."""

        class Dead:
            def __init__(self, exitcode: int | None) -> None:
                self.exitcode = exitcode

        assert "killed by SIGKILL (perhaps it ran out of memory)" in cli._worker_death(
            [Dead(-signal.SIGTERM), Dead(-signal.SIGKILL)]
        )
        assert "killed by SIGTERM;" in cli._worker_death([Dead(-signal.SIGTERM), Dead(None)])
        assert "stopped unexpectedly" in cli._worker_death([Dead(1), Dead(None)])

    def test_workers_that_cannot_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A fork that fails (too many processes) is a WorkerError naming the reason."""

        def no_fork(*args: Any, **kwargs: Any) -> Any:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))

        from concurrent.futures import ProcessPoolExecutor

        monkeypatch.setattr(ProcessPoolExecutor, "submit", no_fork)
        unit: readers.Unit = (0, 1, self.RAW)
        chunks = [([unit], len(self.RAW))]
        with pytest.raises(cli.WorkerError, match="cannot start a worker process"):
            list(cli.run_chunks(checkrun.CheckOptions("course"), chunks, 2))

    def test_alive(self) -> None:
        """A process that has ended is not alive; this one is."""
        ended = subprocess.run(["true"], check=True, timeout=TIMEOUT)
        assert ended.returncode == 0
        assert cli._alive(os.getpid())
        probe = subprocess.Popen([sys.executable, "-c", "pass"])
        probe.wait(timeout=TIMEOUT)
        assert not cli._alive(probe.pid)

    def test_worker_exits_when_the_main_process_is_already_gone(self) -> None:
        """A worker started after its main process died exits at once (exit code 2)."""
        probe = subprocess.Popen([sys.executable, "-c", "pass"])
        probe.wait(timeout=TIMEOUT)
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child only
            try:
                cli.exit_with_parent(probe.pid, kernel=False)
            finally:
                os._exit(0)
        deadline = time.monotonic() + TIMEOUT
        while True:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
                pytest.fail("the worker did not exit")
            time.sleep(0.01)
        assert os.waitstatus_to_exitcode(status) == cli.EXIT_USAGE

    def test_output_errors(self) -> None:
        """A stream that fails or is closed becomes an OutputError with a plain reason."""

        class Failing:
            def __init__(self, error: Exception) -> None:
                self.error = error

            def write(self, text: str) -> None:
                raise self.error

            def flush(self) -> None:
                raise self.error

        for error, reason in [
            (BrokenPipeError(errno.EPIPE, "Broken pipe"), "broken pipe"),
            (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
            (ValueError("I/O operation on closed file."), "standard output is closed"),
        ]:
            out = cli.Output(Failing(error))  # type: ignore[arg-type]
            with pytest.raises(cli.OutputError, match=reason):
                out.write("x")
            with pytest.raises(cli.OutputError, match=reason):
                out.flush()
        with pytest.raises(cli.OutputError, match="closed"):
            cli.Output(None)

    @pytest.mark.parametrize(
        ("error", "message"),
        [(MemoryError, "out of memory"), (RuntimeError, "unexpected RuntimeError")],
    )
    def test_failures_of_a_command(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        error: type[BaseException],
        message: str,
    ) -> None:
        """A failure iptkit does not expect is one line and exit code 2, not a traceback."""

        def fail(*args: Any) -> int:
            raise error(SECRET)

        monkeypatch.setitem(cli._COMMANDS, "schema", fail)
        assert cli.main(["schema"]) == 2
        captured = capsys.readouterr()
        assert captured.err == f"iptkit schema: error: {message}" + (
            "; please report it\n" if error is RuntimeError else "\n"
        )

    def test_flush_failure_at_the_end(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Output that fails only when flushed at the end still ends with 2 and one line."""

        class FullDisk(io.StringIO):
            def flush(self) -> None:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(sys, "stdout", FullDisk())
        assert cli.main(["schema"]) == 2
        assert capsys.readouterr().err == (
            f"iptkit schema: error: cannot write to standard output: {os.strerror(errno.ENOSPC)}\n"
        )

    def test_from_another_thread(self, capsys: pytest.CaptureFixture[str]) -> None:
        """main() runs outside the main thread too (signals are then left alone)."""
        codes: list[int] = []
        thread = threading.Thread(target=lambda: codes.append(cli.main(["schema"])))
        thread.start()
        thread.join(timeout=TIMEOUT)
        assert codes == [0]
        assert json.loads(capsys.readouterr().out)["$schema"].startswith("https://json-schema")

    def test_usage_goes_to_standard_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The parser writes anything meant for standard error there."""
        cli.build_parser().print_usage(sys.stderr)
        assert capsys.readouterr().err.startswith("usage: iptkit")
