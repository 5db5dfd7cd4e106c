"""Reading an import file as a stream of rows, never as a whole.

A source is a file path, a binary file object that can be rewound (an upload), or a callable
returning a fresh binary stream: an import reads its file more than once (encoding check,
validation, writing) and holds only one buffer at a time.

Encoding: UTF-8, with or without a byte order mark, else Windows-1252 (what French
spreadsheets save). Delimiter: `,` or `;`, whichever the header line uses more.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .report import Report

CHUNK_SIZE = 64 * 1024
UTF8 = "utf-8-sig"  # reads a file with or without the byte order mark
CP1252 = "cp1252"

HEADER_LINE = 1


class UnreadableFile(Exception):
    """The file is in neither accepted encoding; `line` is where it stops being readable."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _CountingRaw(io.RawIOBase):
    """Adapts any object with `read(size)` to the io stack, counts the bytes read (progress
    against the file size) and fingerprints them (the second pass must read what the first
    validated)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._hash = hashlib.blake2b(digest_size=16)
        self.bytes_read = 0

    def fingerprint(self) -> str:
        return self._hash.hexdigest()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.bytes_read += size
        self._hash.update(data)
        return size


class Source:
    """Something an import can open again and again."""

    def __init__(self, source: Any, *, size: int | None = None):
        self._source = source
        self._size = size  # for a callable source, which cannot tell its own size
        if isinstance(source, str | os.PathLike):
            self._path = os.fspath(source)
            self._opener: Callable[[], Any] | None = None
        elif callable(source):
            self._path, self._opener = None, source
        elif hasattr(source, "read") and hasattr(source, "seek"):
            self._path, self._opener = None, None
        else:
            raise TypeError(
                "an import source is a path, a seekable binary file or a callable opening one"
            )

    @property
    def size(self) -> int | None:
        if self._size is not None:
            return self._size
        if self._path is not None:
            return os.path.getsize(self._path)
        return getattr(self._source, "size", None)

    @contextmanager
    def open(self) -> Iterator[_CountingRaw]:
        if self._path is not None:
            with open(self._path, "rb") as stream:
                yield _CountingRaw(stream)
        elif self._opener is not None:
            stream = self._opener()
            try:
                yield _CountingRaw(stream)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        else:
            # The caller's file (an upload): rewound, read, left open for them.
            self._source.seek(0)
            yield _CountingRaw(self._source)


def as_source(source: Any) -> Source:
    return source if isinstance(source, Source) else Source(source)


def detect_encoding(source: Source) -> tuple[str, str]:
    """(encoding, fingerprint of the bytes): UTF-8 if the whole file decodes as UTF-8, else
    Windows-1252 if it decodes as that; one pass over the bytes, a chunk at a time."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    cp1252_stop = newlines = 0
    with source.open() as raw:
        while chunk := raw.read(CHUNK_SIZE):
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            if cp1252_ok:
                try:
                    cp1252.decode(chunk)
                except UnicodeDecodeError as error:
                    cp1252_ok = False
                    cp1252_stop = newlines + chunk.count(b"\n", 0, error.start) + 1
            if not (utf8_ok or cp1252_ok):
                break
            newlines += chunk.count(b"\n")
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:  # the file ends in the middle of a character
                utf8_ok = False
        fingerprint = raw.fingerprint()
    if utf8_ok:
        return UTF8, fingerprint
    if cp1252_ok:
        return CP1252, fingerprint
    raise UnreadableFile(cp1252_stop)


@dataclass
class Table:
    """An open CSV file: its header, and its rows with their physical line numbers."""

    header: list[str]
    delimiter: str
    _reader: Any
    _raw: _CountingRaw

    @property
    def bytes_read(self) -> int:
        return self._raw.bytes_read

    def fingerprint(self) -> str:
        """Of the bytes read so far: of the whole file once the rows are exhausted."""
        return self._raw.fingerprint()

    def rows(self) -> Iterator[tuple[int, list[str] | None]]:
        """(line, fields) for each record, in file order; fields is None for a record the
        CSV reader could not parse. Blank lines (or lines of empty cells, as spreadsheets
        leave at the end) are skipped."""
        reader = self._reader
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield line, None
                continue
            if not fields or not any(field.strip() for field in fields):
                continue
            yield line, fields


@contextmanager
def open_table(source: Source, encoding: str) -> Iterator[Table | None]:
    """The file as a `Table`, or None when it has no header line at all."""
    with source.open() as raw:
        buffered = io.BufferedReader(raw, buffer_size=CHUNK_SIZE)
        stream = io.TextIOWrapper(buffered, encoding=encoding, newline="")
        try:
            first = stream.readline()
            if not first.strip().strip(",;"):
                yield None
                return
            delimiter = ";" if first.count(";") > first.count(",") else ","
            reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter)
            try:
                header = next(reader)
            except csv.Error:
                header = [first]
            yield Table(header=header, delimiter=delimiter, _reader=reader, _raw=raw)
        finally:
            # Leave the caller's stream open: only our wrappers go.
            stream.detach()


# --- header --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Where each known column sits in the rows of one file."""

    index: dict[str, int]  # column name -> position
    width: int  # a row needs at least this many fields to reach every named column
    header_width: int
    extra: tuple[int, ...]  # positions of columns without a name (must stay empty)

    def __contains__(self, name: str) -> bool:
        return name in self.index


def map_header(
    header: Sequence[str],
    *,
    required: Sequence[str],
    optional: Sequence[str],
    report: Report,
) -> Columns | None:
    """Match the header against the format; report every problem and return None if any.

    Names are trimmed and case-insensitive, in any order. A column without a name (the
    trailing `;` a spreadsheet may add) is accepted as long as its cells stay empty.
    """
    known = set(required) | set(optional)
    index: dict[str, int] = {}
    extra = []
    ok = True
    for position, raw in enumerate(header):
        name = raw.strip().lower()
        if not name:
            extra.append(position)
        elif name not in known:
            report.add(HEADER_LINE, raw.strip(), "", "unknown_column")
            ok = False
        elif name in index:
            report.add(HEADER_LINE, raw.strip(), "", "duplicate_column")
            ok = False
        else:
            index[name] = position
    for name in required:
        if name not in index:
            report.add(HEADER_LINE, name, "", "missing_column")
            ok = False
    if not ok:
        return None
    width = max(index.values()) + 1 if index else 0
    return Columns(index=index, width=width, header_width=len(header), extra=tuple(extra))


def check_shape(line: int, fields: list[str], columns: Columns, report: Report) -> bool:
    """A row reaches every named column and puts nothing outside them."""
    if len(fields) < columns.width:
        report.add(line, "", "", "missing_values", found=len(fields), expected=columns.width)
        return False
    ok = True
    outside = itertools.chain(columns.extra, range(columns.header_width, len(fields)))
    for position in outside:
        if position < len(fields) and fields[position].strip():
            report.add(line, str(position + 1), fields[position].strip(), "unexpected_value")
            ok = False
    return ok
