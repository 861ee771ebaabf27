"""Reading documents from files, directories and standard input.

One home for the rules that decide which files hold documents and how each
is read, used by ``iptkit check``, :func:`iptkit.read_documents` and
:mod:`iptkit.dask` alike:

* :func:`expand_paths` turns paths into :class:`Source` inputs (a directory
  is searched for document files, plain or gzip-compressed);
* :func:`read_units` yields the raw documents of the inputs, one at a time,
  each no larger than a size cap (a larger one becomes an :class:`Oversized`
  marker and is never held);
* :func:`documents_in` splits a whole JSON file that holds an array into
  its elements, once it is parsed.

It reads bytes only: parsing, loading and checking happen elsewhere, so a
model module never needs it and it needs no model.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import sys
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from iptkit._errors import IptkitError

__all__ = [
    "BOM",
    "DOCUMENT_SUFFIXES",
    "GZIP_SUFFIX",
    "LINES_SUFFIXES",
    "MAX_DOCUMENT_BYTES",
    "STDIN_NAME",
    "TOO_LARGE_CODE",
    "InputError",
    "Oversized",
    "Source",
    "Unit",
    "documents_in",
    "expand_paths",
    "open_regular",
    "read_lines",
    "read_units",
    "reason",
    "stdin_bytes",
]

#: Suffixes of JSON Lines files (one document per line).
LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
#: Suffixes of the files a directory is searched for (each also with :data:`GZIP_SUFFIX`).
DOCUMENT_SUFFIXES = frozenset({".json"}) | LINES_SUFFIXES
#: The suffix of a gzip-compressed file, read decompressed (``.jsonl.gz``, ``.json.gz``).
GZIP_SUFFIX = ".gz"
#: Name shown for standard input.
STDIN_NAME = "<stdin>"
#: Bytes one document may hold unless told otherwise (64 MiB), not counting a
#: line's end or a leading byte order mark; for a compressed file, its size decompressed.
MAX_DOCUMENT_BYTES = 64 << 20
#: Code of the problem that stands for a document above the size cap, which is not read.
TOO_LARGE_CODE = "document_too_large"
#: The rest of a line above the size cap is read and dropped this many bytes at a time.
DISCARD_BYTES = 1 << 20
#: The UTF-8 byte order mark, dropped from the start of a file.
BOM = b"\xef\xbb\xbf"


class InputError(IptkitError):
    """A path named to be read does not exist, cannot be read, or is not a file or directory."""


class Oversized(NamedTuple):
    """Stands in for a document larger than the size cap, which was not kept.

    It travels to the workers in place of the document's bytes (small and
    picklable) and comes back as one ``document_too_large`` problem.
    """

    #: Bytes of the input the document took (what progress counts), not shown.
    size: int


#: One document: ``(source index, line number or None, raw bytes)``; a
#: document above the size cap has an :class:`Oversized` in place of its bytes.
Unit = tuple[int, int | None, bytes | Oversized]


class Source(NamedTuple):
    """One input: a file, or standard input.

    An entry found in a directory that cannot be read has a ``problem`` (the
    whole message), reported in its turn; one that is not a regular file has
    the reason it is ``skipped``.  A ``compressed`` file is read through
    gzip; its ``size`` (what progress is measured against) is then unknown.
    """

    name: str
    path: Path | None
    json_lines: bool
    size: int | None
    problem: str | None = None
    skipped: str | None = None
    compressed: bool = False


def expand_paths(paths: Sequence[str]) -> list[Source]:
    """Turn paths into the list of inputs, in reading order.

    Directories are searched recursively for ``*.json``, ``*.jsonl`` and
    ``*.ndjson`` files and the same with ``.gz`` added, in sorted order,
    without following symbolic links to directories; ``-`` is standard
    input.  Inside a directory, only regular files are read: other entries
    (FIFOs, devices, sockets) are skipped, and an entry that cannot be read
    (no permission, a broken symbolic link, a loop of links) becomes a
    source with a ``problem``.  A file named directly is read through gzip
    when its name ends in ``.gz``.

    Raises:
        InputError: a path named does not exist, cannot be read, or is not
            a regular file or a directory.
    """
    sources: list[Source] = []
    for arg in paths:
        if arg == "-":
            sources.append(Source(STDIN_NAME, None, True, None))
            continue
        path = Path(arg)
        try:
            info = os.stat(path)
        except OSError as exc:
            raise InputError(f"cannot read {arg!r}: {_stat_failure(path, exc)}") from None
        if stat.S_ISDIR(info.st_mode):
            sources.extend(_walk(path))
        elif stat.S_ISREG(info.st_mode):
            try:
                os.close(open_regular(path)[0])
            except OSError as exc:
                raise InputError(f"cannot read {arg!r}: {reason(exc)}") from None
            sources.append(_file_source(path, info.st_size))
        else:
            kind = file_kind(info.st_mode)
            msg = f"cannot read {arg!r}: not a regular file ({kind}); give - to read standard input"
            raise InputError(msg)
    return sources


def _walk(top: Path) -> Iterator[Source]:
    """Yield the document files under ``top``, depth first, each folder's files first."""
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            message = f"cannot read directory {str(folder)!r}: {reason(exc)}"
            if folder == top:
                raise InputError(message) from None
            yield Source(str(folder), folder, False, None, problem=message)
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:  # pragma: no cover - only if the entry vanishes while listed
                is_folder = False
            if is_folder:
                subfolders.append(path)
            elif _inner_suffix(path) in DOCUMENT_SUFFIXES:
                yield _entry_source(path)
        folders.extend(reversed(subfolders))


def _inner_suffix(path: Path) -> str:
    """The suffix that names the kind of a file, under a ``.gz`` suffix if there is one.

    >>> [_inner_suffix(Path(name)) for name in ("a/b.JSONL.gz", "b.json", "b.gz")]
    ['.jsonl', '.json', '']
    """
    suffix = path.suffix.lower()
    if suffix == GZIP_SUFFIX:
        return Path(path.stem).suffix.lower()
    return suffix


def _entry_source(path: Path) -> Source:
    """Return the source for a document file found in a directory."""
    try:
        info = os.stat(path)
    except OSError as exc:
        message = f"cannot read {str(path)!r}: {_stat_failure(path, exc)}"
        return Source(str(path), path, False, None, problem=message)
    if stat.S_ISREG(info.st_mode):
        return _file_source(path, info.st_size)
    if stat.S_ISDIR(info.st_mode):
        why = "a symbolic link to a directory (not followed)"
    else:
        why = f"not a regular file ({file_kind(info.st_mode)})"
    return Source(str(path), path, False, None, skipped=why)


def _file_source(path: Path, size: int) -> Source:
    compressed = path.suffix.lower() == GZIP_SUFFIX
    lines = _inner_suffix(path) in LINES_SUFFIXES
    return Source(str(path), path, lines, None if compressed else size, compressed=compressed)


def _stat_failure(path: Path, exc: OSError) -> str:
    """Say why ``path`` could not be looked at, naming broken links and loops."""
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return "a broken symbolic link (its target does not exist)"
        return "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return reason(exc)


def reason(exc: OSError) -> str:
    """Say in a few words why an operation on a file failed."""
    if isinstance(exc, gzip.BadGzipFile):
        return "not a gzip file, or damaged compressed data"
    return exc.strerror or type(exc).__name__


def file_kind(mode: int) -> str:
    """Name the kind of file a ``st_mode`` stands for (one that is not a regular file)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "an unknown kind of file"  # pragma: no cover - doors, whiteouts, ports


class NotRegularError(OSError):
    """A path names something other than a regular file."""


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def open_regular(path: Path) -> tuple[int, int]:
    """Open ``path`` for reading if it is a regular file; return the descriptor and its size.

    The check is made on the open file, so an entry replaced by a FIFO or a
    device after the directory was listed is refused too, and never waited on.

    Raises:
        NotRegularError: it is not a regular file.
        OSError: it cannot be opened.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularError(errno.EINVAL, f"not a regular file ({file_kind(info.st_mode)})")
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


class ChangedSizeError(OSError):
    """A file changed size while it was read."""


class ClosedStreamError(OSError):
    """A standard stream is closed (the program was started without it)."""


def read_units(
    sources: Sequence[Source],
    on_error: Callable[[Source, str], None],
    on_skip: Callable[[Source, str], None],
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[Unit]:
    """Yield every document of every input, one at a time.

    JSON Lines inputs are read line by line (blank lines are skipped); other
    files hold one document each; compressed files are decompressed as they
    are read.  A source that cannot be read, that fails while being read
    (damaged compressed data included) or that changes size while being read
    is passed to ``on_error`` with the message to show, and reading goes on
    with the next one; a source that is not a regular file is passed to
    ``on_skip``.

    No document above ``max_document_bytes`` (not counting a line's end or
    a leading byte order mark; decompressed, for a compressed file) is kept
    in memory: it is yielded as an :class:`Oversized` marker instead, so
    memory stays bounded by the cap whatever one line or file holds.
    """
    for index, source in enumerate(sources):
        if source.problem is not None:
            on_error(source, source.problem)
            continue
        if source.skipped is not None:
            on_skip(source, source.skipped)
            continue
        try:
            if source.path is None:
                yield from read_lines(index, stdin_bytes(), max_document_bytes)
            else:
                yield from _file_units(index, source, max_document_bytes)
        except ChangedSizeError as exc:
            on_error(source, f"{source.name!r} {exc.strerror}")
        except OSError as exc:
            on_error(source, f"cannot read {source.name!r}: {reason(exc)}")
        except EOFError:  # a compressed file cut short
            on_error(source, f"cannot read {source.name!r}: the compressed data ends early")
        except zlib.error:
            on_error(source, f"cannot read {source.name!r}: damaged compressed data")


def stdin_bytes() -> BinaryIO:
    """Return standard input as a binary stream.

    Raises:
        ClosedStreamError: the program was started without standard input.
    """
    stream = sys.stdin
    if stream is None:
        raise ClosedStreamError(errno.EBADF, "standard input is closed")
    return stream.buffer


def _file_units(index: int, source: Source, limit: int) -> Iterator[Unit]:
    assert source.path is not None
    fd, opened = open_regular(source.path)
    with open(fd, "rb") as stream:
        if source.compressed:
            with gzip.GzipFile(fileobj=stream, mode="rb") as unpacked:
                binary = cast("BinaryIO", unpacked)
                if source.json_lines:
                    yield from read_lines(index, binary, limit)
                else:
                    yield (index, None, _whole(binary, limit))
            read = opened  # what the compressed file held is known only when read to its end
        elif source.json_lines:
            read = yield from read_lines(index, stream, limit)
        elif opened > limit + len(BOM):  # too large even with a byte order mark: not read
            read = opened
            yield (index, None, Oversized(opened))
        else:
            # One byte more than the size when opened tells that the file grew;
            # never more than the cap allows, so growth cannot get past it.
            raw = stream.read(opened + 1)
            read = len(raw)
            document = raw.removeprefix(BOM)
            yield (index, None, Oversized(read) if len(document) > limit else document)
        now = os.fstat(fd).st_size
    if read != opened or now != opened:
        message = (
            f"changed size while it was read ({opened:,} bytes when opened, {read:,} read, "
            f"{now:,} at the end); its documents may be incomplete"
        )
        raise ChangedSizeError(errno.EIO, message)


def _whole(stream: BinaryIO, limit: int) -> bytes | Oversized:
    """Read one whole document from a stream of unknown size, no further than the cap allows."""
    raw = stream.read(limit + len(BOM) + 1)
    document = raw.removeprefix(BOM)
    return Oversized(len(raw)) if len(document) > limit else document


def read_lines(index: int, stream: BinaryIO, limit: int) -> Generator[Unit, None, int]:
    """Yield the documents of a JSON Lines stream; return the number of bytes read.

    Each line is read with a bounded ``readline``: a line above ``limit``
    bytes (not counting its end, nor a byte order mark on the first line) is
    yielded as an :class:`Oversized` marker, and what is left of it is read
    and dropped in chunks of :data:`DISCARD_BYTES`, so no more than about
    ``limit`` bytes of it are ever held.  Blank lines are skipped, however long.
    """
    read = 0
    number = 0
    while True:
        number += 1
        # Room for the cap, a two-byte line end and, on the first line, a byte order mark.
        want = limit + 2 + (len(BOM) if number == 1 else 0)
        line = stream.readline(want)
        if not line:
            return read
        read += len(line)
        whole = line.endswith(b"\n") or len(line) < want  # else the line goes on
        if number == 1:
            line = line.removeprefix(BOM)
        if not whole:
            blank, size = line.isspace(), len(line)
            del line  # hold one piece of the line at a time, never two
            rest, blank = _discard_line(stream, blank)
            read += rest
            if not blank:
                yield (index, number, Oversized(size + rest))
            continue
        if line.strip():
            document = line.rstrip(b"\r\n")
            yield (index, number, document if len(document) <= limit else Oversized(len(line)))


def _discard_line(stream: BinaryIO, blank: bool) -> tuple[int, bool]:
    """Read and drop the rest of a line; return its size and whether the whole line is blank."""
    dropped = 0
    while True:
        piece = stream.readline(DISCARD_BYTES)
        if not piece:
            return dropped, blank
        dropped += len(piece)
        blank = blank and piece.isspace()
        if piece.endswith(b"\n"):
            return dropped, blank


def documents_in(data: Any, line: int | None) -> list[tuple[int | None, Any]]:
    """Split parsed JSON into its documents: ``(index in an array or None, document)``.

    A whole file (``line`` is ``None``) whose top level is an array holds one
    document per element, each with its position; anything else, and every
    line of a JSON Lines file, is one document.

    >>> documents_in([{"a": 1}, {"b": 2}], None)
    [(0, {'a': 1}), (1, {'b': 2})]
    >>> documents_in([{"a": 1}], 3)
    [(None, [{'a': 1}])]
    """
    if line is None and isinstance(data, list):
        return list(enumerate(data))
    return [(None, data)]
