"""Inputs of `dilmanc translate`: checked in full before any model loads, then streamed.

`check_input` decodes a whole file block by block (flat memory) and fails with one clear
line when it is missing, unreadable, not valid in its encoding, or blank; `open_input` then
yields its lines with their original endings. Standard input cannot be read twice, so it is
decoded once and kept in memory.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import InputError
from dilmanc.fileio import (
    STDIO,
    check_encoding,
    check_text,
    nul_error,
    read_text,
    sniff_bom,
)

BLOCK = 1 << 20


@dataclass
class Input:
    """One input: a file path, or "-" for stdin (whose text is then held in `text`)."""

    name: str
    lines: int  # line count, for the progress bar
    text: str | None = None

    @property
    def is_stdin(self) -> bool:
        return self.name == STDIO

    @property
    def label(self) -> str:
        return "standard input" if self.is_stdin else self.name


# Advice in decoding errors of files whose encoding the command's --encoding sets.
ENCODING_ADVICE = "convert it or pass --encoding"


def _codec(encoding: str | None, path: Path | None = None) -> str:
    if encoding is None and path is not None:
        try:
            with path.open("rb") as handle:
                encoding = sniff_bom(handle.read(4))
        except OSError:
            pass  # reported when the file is opened for real
    if encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return "utf-8-sig"
    return encoding


def _open_error(path: Path, err: OSError) -> InputError:
    if isinstance(err, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(err, IsADirectoryError):
        return InputError(f"{path}: is a directory, not a file")
    if isinstance(err, PermissionError):
        return InputError(f"{path}: permission denied")
    return InputError(f"{path}: cannot read ({err.strerror})")


def _decode_error(path: Path, codec: str, data: bytes, offset: int, err: UnicodeDecodeError):
    if codec == "utf-8-sig":
        if (nul := data.find(b"\x00")) >= 0:
            return nul_error(str(path), offset + nul, ENCODING_ADVICE)
        byte = data[err.start] if err.start < len(data) else 0
        return InputError(
            f"{path} is not valid UTF-8 (byte 0x{byte:02x} at offset {offset + err.start}); "
            f"{ENCODING_ADVICE}"
        )
    return InputError(f"{path} cannot be decoded as {codec} (offset {offset + err.start})")


def check_input(name: str, encoding: str | None = None) -> Input:
    """Decode `name` completely (or read stdin) and count its lines; InputError if unusable."""
    check_encoding(encoding)
    if name == STDIO:
        text = read_text(STDIO, encoding, ENCODING_ADVICE)
        if not text.strip():
            raise InputError("standard input is empty")
        return Input(name, text.count("\n") + (not text.endswith("\n")), text)
    path = Path(name)
    codec = _codec(encoding, path)
    decoder = codecs.getincrementaldecoder(codec)()
    lines = 0
    blank = True
    offset = 0
    last = "\n"
    try:
        with path.open("rb") as handle:
            while True:
                data = handle.read(BLOCK)
                try:
                    text = decoder.decode(data, final=not data)
                except UnicodeDecodeError as err:
                    raise _decode_error(path, codec, data, offset, err) from None
                check_text(text, str(path), ENCODING_ADVICE)
                lines += text.count("\n")
                if text:
                    last = text[-1]
                if blank and text.strip():
                    blank = False
                if not data:
                    break
                offset += len(data)
    except OSError as err:
        raise _open_error(path, err) from None
    if blank:
        raise InputError(f"{path} is empty (nothing but whitespace)")
    return Input(name, lines + (last != "\n"))


def open_input(source: Input, encoding: str | None = None) -> Iterator[str]:
    """The lines of a checked input, each with its original line ending."""
    if source.text is not None:
        yield from io.StringIO(source.text, newline="")
        return
    try:
        codec = _codec(encoding, Path(source.name))
        with open(source.name, encoding=codec, newline="") as handle:
            yield from handle
    except OSError as err:
        raise _open_error(Path(source.name), err) from None


def output_name(source: Input, target_iso: str, source_iso: str) -> str:
    """`release.az.txt` → `release.en.txt`; `notes.txt` → `notes.en.txt`; stdin → `stdin.en.txt`."""
    if source.is_stdin:
        return f"stdin.{target_iso}.txt"
    path = Path(source.name)
    suffix = path.suffix
    stem = path.name[: -len(suffix)] if suffix else path.name
    if suffix.lower() == f".{source_iso}":  # "release.az" with no other extension
        stem, suffix = stem, ""
    elif stem.lower().endswith(f".{source_iso}"):
        stem = stem[: -len(source_iso) - 1]
    return f"{stem}.{target_iso}{suffix}"
