"""Plain text: one unit per line, line endings and blank lines kept exactly, streamed.

`load` decodes the whole file block by block (flat memory) and fails with one clear line when
it is missing, unreadable, not valid in its encoding, or blank; `units` then reads it again
line by line, so a file of any size is translated with flat memory. Standard input cannot be
read twice: it is decoded once and kept (`from_text`).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dilmanc.documents.base import Document, Translated, Unit, UnitWriter
from dilmanc.errors import InputError
from dilmanc.fileio import (
    ENCODING_ADVICE,
    check_encoding,
    check_text,
    decoding_error,
    nul_error,
    open_error,
    output_encoding,
    sniff_bom,
)
from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText

BLOCK = 1 << 20


def _head(path: Path) -> bytes:
    """A file's first bytes (for its byte-order mark); nothing when it cannot be read (the
    error is reported when it is opened for real)."""
    try:
        with path.open("rb") as handle:
            return handle.read(4)
    except OSError:
        return b""


def _codec(encoding: str | None, head: bytes = b"") -> str:
    """The codec to read with: what a byte-order mark says, else `encoding`, else UTF-8."""
    marked = sniff_bom(head) or ("utf-8" if head.startswith(codecs.BOM_UTF8) else None)
    encoding = marked or encoding
    if encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return "utf-8-sig"
    return encoding


def _decode_error(path: Path, codec: str, data: bytes, offset: int, err: UnicodeDecodeError):
    if codec == "utf-8-sig":
        if (nul := data.find(b"\x00")) >= 0:
            return nul_error(str(path), offset + nul, ENCODING_ADVICE)
        byte = data[err.start] if err.start < len(data) else 0
        problem = f"{path} is not valid UTF-8 (byte 0x{byte:02x} at offset {offset + err.start})"
        return decoding_error(problem, ENCODING_ADVICE)
    problem = f"{path} cannot be decoded as {codec} (offset {offset + err.start})"
    return decoding_error(problem, ENCODING_ADVICE)


def split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


class TextDocument(Document):
    format = "text"
    extensions = (".txt", ".text")

    def __init__(
        self,
        path: Path | None,
        label: str,
        lines: int,
        *,
        text: str | None = None,
        codec: str,
        bom: bool = False,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__(path, label)
        self.lines = lines
        self.text = text
        self.codec = codec  # to read with
        self.bom = bom  # the file began with a byte-order mark: its translations do too
        self.encoding = encoding  # to write with (fileio.output_encoding)

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        if b"\0" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            return err.start > len(head) - 4  # a character cut by the sniff window
        return True

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> TextDocument:
        check_encoding(encoding)
        head = _head(path)
        codec = _codec(encoding, head)
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
            raise open_error(path, err) from None
        if blank:
            raise InputError(f"{path} is empty (nothing but whitespace)")
        written, bom = output_encoding(head, encoding)
        count = lines + (last != "\n")
        return cls(path, str(path), count, codec=codec, bom=bom, encoding=written)

    @classmethod
    def from_text(cls, text: str, label: str = "standard input") -> TextDocument:
        """A document over text already in memory (standard input, API callers)."""
        return cls(None, label, text.count("\n") + (not text.endswith("\n")), text=text, codec="")

    @property
    def size(self) -> int:
        return self.lines

    def _raw_lines(self) -> Iterator[str]:
        if self.text is not None:
            yield from io.StringIO(self.text, newline="")
            return
        try:
            with open(self.path, encoding=self.codec, newline="") as handle:
                yield from handle
        except OSError as err:
            raise open_error(self.path, err) from None

    def units(self) -> Iterator[Unit]:
        """One unit per line (line ending kept in `extra`); `prev`/`next` are the neighbours."""
        previous: Unit | None = None
        for number, raw in enumerate(self._raw_lines(), 1):
            body, ending = split_ending(raw)
            unit = Unit(str(number), TaggedText(body), location=f"line {number}", extra=ending)
            if previous is not None:
                unit.prev = previous.source.text
                previous.next = body
                yield previous
            previous = unit
        if previous is not None:
            yield previous

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _LineWriter(self, lang, handle)

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        if self.bom:
            handle.write("\ufeff")
        for unit in self.units():
            found = translations.get(unit.id)
            handle.write((found.target.text if found else unit.source.text) + unit.extra)


class _LineWriter(UnitWriter):
    """Writes each chunk as it arrives: memory stays flat however long the file is."""

    started = False

    def add(self, chunk: list[Translated]) -> None:
        text = "".join(item.target.text + item.unit.extra for item in chunk)
        if not self.started and self.document.bom:
            text = "\ufeff" + text
        self.started = True
        self.handle.write(text)

    def finish(self) -> None:
        self.handle.flush()
