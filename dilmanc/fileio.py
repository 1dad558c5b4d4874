"""Reading user input (files or stdin, UTF-8 with optional BOM) and writing outputs atomically.

Every output file is written to a temporary name in the destination directory and renamed
into place only when complete, so an error or Ctrl-C never leaves a partial file behind.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dilmanc.errors import InputError

STDIO = "-"


def decode(data: bytes, source: str, encoding: str | None = None) -> str:
    """Decode bytes as UTF-8 (a BOM is dropped) or as `encoding`; one clear error otherwise."""
    if encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InputError(
                f"{source} is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset "
                f"{err.start}); convert it or pass --encoding"
            ) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(f"{source} cannot be decoded as {encoding} (offset {err.start})") from None


def check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None


def open_error(path: str | Path, err: OSError) -> InputError:
    """The one-line InputError for a file that cannot be opened or read."""
    if isinstance(err, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(err, IsADirectoryError):
        return InputError(f"{path}: is a directory, not a file")
    if isinstance(err, PermissionError):
        return InputError(f"{path}: permission denied")
    return InputError(f"{path}: cannot read ({err.strerror})")


def read_bytes(path: str | Path) -> bytes:
    """A whole file's bytes; InputError (one line) when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise open_error(path, err) from None


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """Read a whole file, or stdin for "-", as text. Missing/unreadable files are InputErrors."""
    check_encoding(encoding)
    if str(path) == STDIO:
        return decode(sys.stdin.buffer.read(), "standard input", encoding)
    return decode(read_bytes(path), str(path), encoding)


def read_lines(path: str | Path, encoding: str | None = None) -> list[str]:
    """Lines of a text file without their line endings (a final newline adds no empty line)."""
    return read_text(path, encoding).splitlines()


@contextlib.contextmanager
def atomic_writer(
    path: str | Path, encoding: str = "utf-8", *, binary: bool = False
) -> Iterator[IO]:
    """Open a temp file beside `path` for writing (text, or bytes with `binary`); rename it
    over `path` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        opened = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline="")
        )
        with opened as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)
