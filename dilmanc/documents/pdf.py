"""PDF in, Word out (.pdf → .docx): the text layer read with pdfminer.six, rebuilt into
headings, paragraphs, list items and simple tables, and written as a new Word document with
python-docx. JPEG images are kept at their place (between the blocks above and below them,
at their width on the page); the page layout, other images and fonts of the PDF are not kept
(each output's write says so in a warning).

Reading, page by page (pdfminer's text boxes, in its reading order, so a two-column page is
read column by column):

* lines are one paragraph until the next starts a list item, changes size, begins after a
  gap, follows a short line that ended a sentence, or is indented like a first line; a word
  hyphenated at a line's end is joined again (`kilo-` + `metrdir`), other line ends become
  spaces;
* a block set larger than the body text (the most common size) is a heading, the largest size
  level 1 (down to level 3); a short single bold line is a heading of the level below them;
* a line starting with a bullet (•, ◦, ▪, –, -, *) or a number (`1.`, `2)`, `a)`) is a list
  item: bulleted or numbered in Word (each numbered list restarts at its first number);
* two or more consecutive rows of short lines aligned in the same columns are a table, each
  cell a unit;
* bold and italic words (by font name) are pair tags, as in DOCX; text without a letter (a
  page number, a figure in a table) is kept as it is;
* an image stored as a JPEG (DCTDecode; pdfminer hands over its bytes as they are) becomes an
  image block before the first block whose top is below the image's top; images in other
  encodings, CMYK JPEGs (often stored inverted) and images Word cannot read are left out.

A PDF without a text layer (a scan) is refused: OCR is the missing step. Encrypted PDFs that
need a password and files that are not PDFs are refused with one line.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from dilmanc.documents.base import Document, InlineCode, Translated, Unit
from dilmanc.errors import InputError
from dilmanc.fileio import read_bytes
from dilmanc.languages import Language
from dilmanc.text.tagged import CLOSE, OPEN, Tag, TaggedText

BULLET = re.compile(r"^\s*([•◦▪▫●○■□‣⁃∙·–\-*])\s+")
NUMBER = re.compile(r"^\s*(\d{1,3}|[a-zA-Z])([.)])\s+")
MARKER_ONLY = re.compile(r"^\s*(?:[•◦▪▫●○■□‣⁃∙·–\-*]|\d{1,3}[.)]|[a-zA-Z][.)])\s*$")
LETTER = re.compile(r"[^\W\d_]")
SENTENCE_END = re.compile(r"[.!?:;…»\"”)]$")
BOLD = re.compile(r"bold|black|heavy|semibold|demibold", re.IGNORECASE)
ITALIC = re.compile(r"italic|oblique", re.IGNORECASE)
WORD_LANG = {"en": "en-US", "ru": "ru-RU", "tr": "tr-TR", "de": "de-DE", "fr": "fr-FR"}
NOTE = (
    "written as a Word document (.docx), the {lang} translation of a PDF: headings, "
    "paragraphs, lists, simple tables and JPEG images are rebuilt; the page layout, other "
    "images and fonts are not"
)

Style = tuple[bool, bool]  # (bold, italic)
PLAIN: Style = (False, False)


# --- lines ------------------------------------------------------------------------------------


@dataclass
class _Line:
    """One line of text: styled pieces, where it is and how big."""

    pieces: list[tuple[str, Style | None]]  # None: a space pdfminer inferred
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    box: int  # pdfminer's text box, in reading order

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.pieces)


def _style(fontname: str) -> Style:
    return bool(BOLD.search(fontname)), bool(ITALIC.search(fontname))


def _line(line, box: int) -> _Line | None:
    from pdfminer.layout import LTChar

    pieces: list[tuple[str, Style | None]] = []
    sizes = []
    for item in line:
        text = item.get_text()
        style = None
        if isinstance(item, LTChar):
            style = _style(item.fontname)
            sizes.append(round(item.size, 1))
        else:
            text = text.replace("\n", "")
        if pieces and style is not None and pieces[-1][1] == style:
            pieces[-1] = (pieces[-1][0] + text, style)  # one piece per run, not per character
        else:
            pieces.append((text, style))
    while pieces and not pieces[-1][0].strip():
        pieces.pop()
    while pieces and not pieces[0][0].strip():
        pieces.pop(0)
    if not pieces or not sizes:
        return None
    pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
    pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    size = Counter(sizes).most_common(1)[0][0]
    return _Line(pieces, line.x0, line.y0, line.x1, line.y1, size, box)


def _page_lines(page) -> list[_Line]:
    from pdfminer.layout import LTTextBox, LTTextLine

    out = []
    for number, box in enumerate(item for item in page if isinstance(item, LTTextBox)):
        for line in box:
            if isinstance(line, LTTextLine):
                found = _line(line, number)
                if found is not None:
                    out.append(found)
    return out


# --- blocks -----------------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # "paragraph", "heading", "bullet", "number", "table", "image"
    lines: list[_Line] = field(default_factory=list)
    page: int = 0
    level: int = 0  # headings: 1-3; numbered items: their number
    rows: list[list[list[_Line]]] = field(default_factory=list)  # tables: row → cell → lines
    image: bytes = b""  # images: the JPEG file
    width: float = 0.0  # images: the width on the page, in points
    top: float = 0.0  # images: where the image starts on the page

    def highest(self) -> float:
        """The top of the block on its page (PDF coordinates: larger is higher)."""
        if self.kind == "image":
            return self.top
        return max(line.y1 for line in _all_lines(self))


def _images(item) -> Iterator:
    """The images in a layout item, those inside figures too."""
    from pdfminer.layout import LTContainer, LTImage

    if isinstance(item, LTImage):
        yield item
    elif isinstance(item, LTContainer):
        for child in item:
            yield from _images(child)


def _jpeg(image, page: int) -> _Block | None:
    """An image block for a JPEG image (its stream's one filter DCTDecode: the stream is the
    JPEG file); None for other encodings, CMYK JPEGs and encrypted streams."""
    from pdfminer.pdftypes import LITERALS_DCT_DECODE
    from pdfminer.psparser import LIT

    stream = image.stream
    filters = stream.get_filters()
    if len(filters) != 1 or filters[0][0] not in LITERALS_DCT_DECODE or stream.decipher:
        return None
    if LIT("DeviceCMYK") in (image.colorspace or []):
        return None
    data = stream.get_rawdata()  # as stored: get_data() would apply a stray /Predictor
    if not data or not data.startswith(b"\xff\xd8"):
        return None
    return _Block("image", page=page, image=data, width=image.x1 - image.x0, top=image.y1)


def _with_images(blocks: list[_Block], page, number: int) -> list[_Block]:
    """The page's blocks with its JPEG images, each before the first block below its top."""
    found = [_jpeg(image, number) for image in _images(page)]
    for image in sorted(filter(None, found), key=lambda block: -block.top):
        below = (i for i, block in enumerate(blocks) if block.highest() < image.top)
        at = next(below, len(blocks))
        blocks.insert(at, image)
    return blocks


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Lines on the same height (their middles inside each other's extent), top to bottom,
    each row left to right."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda line: (-line.y1, line.x0)):
        middle = (line.y0 + line.y1) / 2
        for row in rows:
            first = row[0]
            if first.y0 <= middle <= first.y1:
                row.append(line)
                break
        else:
            rows.append([line])
    for row in rows:
        row.sort(key=lambda line: line.x0)
    rows.sort(key=lambda row: -row[0].y1)
    return rows


def _aligned(a: _Line, b: _Line, tolerance: float) -> bool:
    return (
        abs(a.x0 - b.x0) <= tolerance
        or abs(a.x1 - b.x1) <= tolerance
        or abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2) <= tolerance
    )


def _table_row(row: list[_Line]) -> bool:
    """Short pieces of text far apart on one height: what a table row looks like."""
    if len(row) < 2 or any(len(line.text) > 60 or line.text.endswith("-") for line in row):
        return False
    if MARKER_ONLY.match(row[0].text):  # "2." before its item: a list, not a table
        return False
    return all(b.x0 - a.x1 >= 1.5 * a.size for a, b in zip(row, row[1:], strict=False))


def _tables(rows: list[list[_Line]]) -> list[list[list[_Line]]]:
    """Runs of two or more consecutive table rows with the same columns."""
    tables = []
    run: list[list[_Line]] = []

    def close() -> None:
        if len(run) >= 2 and statistics.mean(len(line.text) for r in run for line in r) <= 30:
            tables.append(list(run))
        run.clear()

    for row in rows:
        fits = _table_row(row) and (
            not run
            or len(row) == len(run[0])
            and all(_aligned(a, b, 2 * a.size) for a, b in zip(run[0], row, strict=True))
        )
        if not fits:
            close()
            if _table_row(row):
                run.append(row)
            continue
        run.append(row)
    close()
    return tables


def _join_markers(lines: list[_Line], rows: list[list[_Line]]) -> list[_Line]:
    """A list marker that pdfminer put in a box of its own ("2." left of its item) is put back
    in front of the item's line."""
    gone = set()
    for row in rows:
        for marker, item in zip(row, row[1:], strict=False):
            if MARKER_ONLY.match(marker.text) and not MARKER_ONLY.match(item.text):
                item.pieces[:0] = [*marker.pieces, (" ", None)]
                item.x0 = marker.x0
                gone.add(id(marker))
    return [line for line in lines if id(line) not in gone]


def _starts_item(line: _Line) -> bool:
    return bool(BULLET.match(line.text) or NUMBER.match(line.text))


def _breaks(previous: _Line, line: _Line, left: float, right: float, item: bool) -> bool:
    """Whether `line` starts a new block after `previous` (both in one text box); in a list
    item (`item`) an indented line goes on with the item."""
    if _starts_item(line) or abs(line.size - previous.size) > 0.5:
        return True
    height = previous.y1 - previous.y0
    if previous.y0 - line.y1 > 0.8 * height:  # a gap wider than line spacing
        return True
    short = previous.x1 < right - 3 * previous.size
    if short and SENTENCE_END.search(previous.text):
        return True
    if item:
        return line.x0 <= left + 1  # back at the margin: the list is over
    return line.x0 > left + previous.size and previous.x0 <= left + 1  # a first-line indent


def _blocks_of_page(lines: list[_Line], page: int) -> list[_Block]:
    rows = _rows(lines)
    tables = _tables(rows)
    in_table = {id(line) for table in tables for row in table for line in row}
    rest = _join_markers([line for line in lines if id(line) not in in_table], rows)
    placed: list[tuple[tuple, _Block]] = []  # (reading order key, block)
    for table in tables:
        first = min(line.box for row in table for line in row)
        block = _Block("table", page=page, rows=[[[line] for line in row] for row in table])
        placed.append(((first, -table[0][0].y1), block))
    boxes: dict[int, list[_Line]] = {}
    for line in rest:
        boxes.setdefault(line.box, []).append(line)
    for box, members in boxes.items():
        members.sort(key=lambda line: (-line.y1, line.x0))
        left = min(line.x0 for line in members)
        right = max(line.x1 for line in members)
        current: _Block | None = None
        for line in members:
            item = current is not None and current.kind in ("bullet", "number")
            if current is None or _breaks(current.lines[-1], line, left, right, item):
                current = _Block(_kind(line), page=page)
                placed.append(((box, -line.y1), current))
            current.lines.append(line)
    placed.sort(key=lambda item: item[0])
    blocks: list[_Block] = []
    for _, block in placed:
        if blocks and _continues(blocks[-1], block):
            blocks[-1].lines += block.lines
        else:
            blocks.append(block)
    return blocks


def _continues(block: _Block, following: _Block) -> bool:
    """Whether `following`, a text box of its own, is the next line of `block` (pdfminer
    puts an item's indented second line in a box of its own)."""
    if following.kind != "paragraph" or block.kind not in ("paragraph", "bullet", "number"):
        return False
    previous, line = block.lines[-1], following.lines[0]
    height = previous.y1 - previous.y0
    if not 0 <= previous.y0 - line.y1 <= 0.8 * height:
        return False
    left = min(member.x0 for member in block.lines)
    right = max(member.x1 for member in block.lines + following.lines)
    return not _breaks(previous, line, left, right, block.kind != "paragraph")


def _kind(line: _Line) -> str:
    if BULLET.match(line.text):
        return "bullet"
    if NUMBER.match(line.text):
        return "number"
    return "paragraph"


def _headings(blocks: list[_Block]) -> None:
    """Blocks set larger than the body text become headings (levels by size), and so do
    short single bold lines (the level below)."""
    sizes: Counter = Counter()
    for block in blocks:
        for line in _all_lines(block):
            sizes[line.size] += len(line.text)
    if not sizes:
        return
    body = sizes.most_common(1)[0][0]
    large = sorted({line.size for b in blocks for line in b.lines if line.size >= body * 1.15},
                   reverse=True)  # fmt: skip
    levels = {size: min(3, n) for n, size in enumerate(large, 1)}
    for block in blocks:
        if block.kind != "paragraph":
            continue
        size = max(line.size for line in block.lines)
        text = " ".join(line.text for line in block.lines)
        if size in levels:
            block.kind, block.level = "heading", levels[size]
        elif (
            len(block.lines) == 1
            and len(text.split()) <= 10
            and not SENTENCE_END.search(text)
            and all(style[0] for piece, style in block.lines[0].pieces if style and piece.strip())
        ):
            block.kind, block.level = "heading", min(3, len(large) + 1)


def _all_lines(block: _Block) -> list[_Line]:
    if block.kind == "table":
        return [line for row in block.rows for cell in row for line in cell]
    return block.lines


# --- tagged text ------------------------------------------------------------------------------


def _pieces(lines: list[_Line]) -> list[tuple[str, Style | None]]:
    """The lines as one stretch of styled text: hyphenated words joined, line ends spaces."""
    out: list[tuple[str, Style | None]] = []
    for number, line in enumerate(lines):
        pieces = list(line.pieces)
        if number < len(lines) - 1:
            text, following = line.text, lines[number + 1].text.lstrip()
            if text.endswith("\xad"):
                pieces = _drop_last(pieces)
            elif (
                text.endswith("-")
                and len(text) > 1
                and text[-2].islower()
                and following[:1].islower()
            ):
                pieces = _drop_last(pieces)  # kilo- metrdir: one word
            elif not text.endswith(("-", "/")) or text[-2:-1].isspace():
                pieces.append((" ", None))
        out += pieces
    return out


def _drop_last(pieces: list) -> list:
    text, style = pieces[-1]
    return [*pieces[:-1], (text[:-1], style)] if len(text) > 1 else pieces[:-1]


def _resolve(pieces: list[tuple[str, Style | None]]) -> list[tuple[str, Style]]:
    """Merged runs: a space between two runs styled alike takes their style, else the
    style before it."""
    styled: list[tuple[str, Style]] = []
    for index, (text, style) in enumerate(pieces):
        if style is None or not text.strip():
            before = next((s for _, s in reversed(pieces[:index]) if s is not None), None)
            after = next((s for _, s in pieces[index + 1 :] if s is not None), None)
            style = before if before == after and before is not None else None
        if styled and (style is None or styled[-1][1] == style):
            styled[-1] = (styled[-1][0] + text, styled[-1][1])
        else:
            styled.append((text, style or PLAIN))
    return styled


def _cut(runs: list[tuple[str, Style]], count: int) -> list[tuple[str, Style]]:
    """`runs` without their first `count` characters."""
    out = []
    for text, style in runs:
        if count >= len(text):
            count -= len(text)
            continue
        out.append((text[count:], style))
        count = 0
    return out


def _tagged(lines: list[_Line], strip_marker: bool) -> tuple[TaggedText, dict, Style]:
    """(source, codes, base style): runs styled unlike the base are pairs."""
    runs = _resolve(_pieces(lines))
    if strip_marker:  # the bullet or number is Word's to draw
        whole = "".join(text for text, _ in runs)
        match = BULLET.match(whole) or NUMBER.match(whole)
        runs = _cut(runs, match.end() if match else 0)
    counts: Counter = Counter()
    for text, style in runs:
        counts[style] += len(LETTER.findall(text))
    base = counts.most_common(1)[0][0] if counts else PLAIN
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    for text, style in runs:
        if style == base or not text.strip():
            parts.append(text)
            continue
        lead = len(text) - len(text.lstrip())
        tail = len(text.rstrip())
        pid = len(codes) + 1
        name = {(True, False): "bold", (False, True): "italic"}.get(
            (style[0] != base[0] and style[0], style[1] != base[1] and style[1]), "format"
        )
        codes[pid] = InlineCode(pid, "pair", name, style)
        parts += [text[:lead], Tag(pid, OPEN), text[lead:tail], Tag(pid, CLOSE), text[tail:]]
    source = TaggedText.from_parts([p for p in parts if p != ""]).sub(re.compile(r"\s+"), " ")
    return source.strip(), codes, base


def _number(lines: list[_Line]) -> int:
    match = NUMBER.match(lines[0].text)
    if match and match.group(1).isdigit():
        return int(match.group(1))
    if match:
        return ord(match.group(1).lower()) - ord("a") + 1
    return 1


# --- the document -----------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_pdfminer():
    """pdfminer logs warnings about odd files; a core module prints nothing."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read(data: bytes, label: str) -> tuple[list[_Block], int]:
    """(blocks, pages) of a PDF; InputError when it cannot be read."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    blocks: list[_Block] = []
    pages = 0
    try:
        with _quiet_pdfminer():
            for number, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), 1):
                pages = number
                blocks += _with_images(_blocks_of_page(_page_lines(page), number), page, number)
    except PDFPasswordIncorrect:
        raise InputError(f"{label}: a password-protected PDF; remove the password") from None
    except Exception as err:  # pdfminer raises PSEOF, PDFSyntaxError, KeyError, TypeError ...
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"{label}: not a readable PDF ({reason})") from None
    return blocks, pages


class PdfDocument(Document):
    format = "pdf"
    extensions = (".pdf",)
    binary = True

    def __init__(self, path: Path | None, label: str, blocks: list[_Block]) -> None:
        super().__init__(path, label)
        self._blocks = blocks
        self._units = list(self._make_units())

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return b"%PDF-" in head[:1024]

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> PdfDocument:
        data = read_bytes(path)
        label = str(path)
        if not data.strip():
            raise InputError(f"{label} is empty")
        if b"%PDF-" not in data[:1024]:
            raise InputError(f"{label}: not a PDF (no %PDF- header)")
        blocks, pages = _read(data, label)
        if not any(block.kind != "image" for block in blocks):
            raise InputError(
                f"{label}: no text layer in its {pages} page(s) (a scanned PDF?); "
                "OCR is the missing step: run OCR on it (for example ocrmypdf) and translate "
                "the result"
            )
        _headings(blocks)
        return cls(path, label, blocks)

    @property
    def size(self) -> int:
        return sum(1 for unit in self._units if unit.translate)

    def _make_units(self) -> Iterator[Unit]:
        tables = 0
        for number, block in enumerate(self._blocks, 1):
            if block.kind == "image":
                continue
            if block.kind == "table":
                tables += 1
                for r, row in enumerate(block.rows, 1):
                    for c, cell in enumerate(row, 1):
                        where = f"page {block.page}, table {tables}, row {r}, cell {c}"
                        yield _unit(f"b{number}.{r}.{c}", cell, where, False)
            else:
                where = f"page {block.page}, block {number} ({block.kind})"
                yield _unit(f"b{number}", block.lines, where, block.kind in ("bullet", "number"))

    def units(self) -> Iterator[Unit]:
        previous: Unit | None = None
        for unit in self._units:
            unit.prev = previous.source.text if previous is not None else None
            if previous is not None:
                previous.next = unit.source.text
            previous = unit
        yield from self._units

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        import docx

        document = docx.Document()
        _set_language(document, lang)
        by_id = {unit.id: unit for unit in self._units}
        writer = _Writer(document, by_id, translations)
        for number, block in enumerate(self._blocks, 1):
            writer.block(f"b{number}", block)
        title = next((b for b in self._blocks if b.kind == "heading"), None)
        if title is not None:
            document.core_properties.title = writer.text_of(f"b{self._blocks.index(title) + 1}")
        buffer = io.BytesIO()
        document.save(buffer)
        handle.write(buffer.getvalue())
        self.warnings = [NOTE.format(lang=lang.name)]


def _unit(uid: str, lines: list[_Line], where: str, item: bool) -> Unit:
    source, codes, base = _tagged(lines, item)
    unit = Unit(uid, source, codes, location=where, extra=base)
    unit.translate = bool(LETTER.search(source.text))
    return unit


class _Writer:
    """Adds blocks to a python-docx Document, each unit's target (or its source) with bold
    and italic on the words its tags enclose."""

    def __init__(self, document, units: dict[str, Unit], translations: dict) -> None:
        self.document = document
        self.units = units
        self.translations = translations
        self.numbering: int | None = None  # the w:num of the numbered list going on

    def target(self, uid: str) -> tuple[Unit, TaggedText]:
        unit = self.units[uid]
        found = self.translations.get(uid)
        return unit, (found.target if found is not None else unit.source)

    def text_of(self, uid: str) -> str:
        return self.target(uid)[1].text

    def block(self, uid: str, block: _Block) -> None:
        if block.kind != "number":
            self.numbering = None
        if block.kind == "table":
            self.table(uid, block)
            return
        if block.kind == "image":
            self.image(block)
            return
        if block.kind == "heading":
            paragraph = self.document.add_heading(level=block.level)
        elif block.kind == "bullet":
            paragraph = self.document.add_paragraph(style="List Bullet")
        elif block.kind == "number":
            paragraph = self.document.add_paragraph(style="List Number")
            self.number(paragraph, _number(block.lines))
        else:
            paragraph = self.document.add_paragraph()
        self.fill(paragraph, uid)

    def image(self, block: _Block) -> None:
        """The JPEG at its width on the page (at most the text width); left out when Word
        cannot read it."""
        from docx.image.exceptions import UnrecognizedImageError
        from docx.image.image import Image
        from docx.shared import Pt

        try:
            Image.from_blob(block.image)  # the header Word needs, read before anything is added
        except (UnrecognizedImageError, ValueError, IndexError, KeyError, EOFError):
            return
        section = self.document.sections[-1]
        room = section.page_width - section.left_margin - section.right_margin
        self.document.add_picture(io.BytesIO(block.image), width=min(Pt(block.width), room))

    def table(self, uid: str, block: _Block) -> None:
        columns = max(len(row) for row in block.rows)
        table = self.document.add_table(rows=len(block.rows), cols=columns)
        table.style = "Table Grid"
        for r, row in enumerate(block.rows, 1):
            for c, _ in enumerate(row, 1):
                self.fill(table.cell(r - 1, c - 1).paragraphs[0], f"{uid}.{r}.{c}")

    def fill(self, paragraph, uid: str) -> None:
        unit, target = self.target(uid)
        base: Style = unit.extra or PLAIN
        stack: list[int] = []
        for part in target.parts():
            if isinstance(part, Tag):
                code = unit.codes.get(part.id)
                if part.kind == OPEN and code is not None and part.id not in stack:
                    stack.append(part.id)
                elif part.kind == CLOSE and part.id in stack:
                    stack.remove(part.id)
                continue
            if not part:
                continue
            bold, italic = base
            for pid in stack:  # outermost first: each pair sets what it changes
                style = unit.codes[pid].data
                bold = style[0] if style[0] != base[0] else bold
                italic = style[1] if style[1] != base[1] else italic
            run = paragraph.add_run(part)
            run.bold = True if bold else None
            run.italic = True if italic else None

    def number(self, paragraph, start: int) -> None:
        """Numbered items of one list share a numbering that starts at the list's first
        number; the next list gets its own."""
        if self.numbering is None:
            numbering = self.document.part.numbering_part.numbering_definitions._numbering
            style = self.document.styles["List Number"].element
            num = numbering.num_having_numId(style.pPr.numPr.numId.val)
            fresh = numbering.add_num(num.abstractNumId.val)
            override = fresh.add_lvlOverride(ilvl=0)
            override.add_startOverride(start)
            self.numbering = fresh.numId
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = self.numbering


def _set_language(document, lang: Language) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = document.styles["Normal"].element.get_or_add_rPr()
    element = OxmlElement("w:lang")
    element.set(qn("w:val"), WORD_LANG.get(lang.iso, lang.iso))
    rpr.append(element)
    document.core_properties.language = WORD_LANG.get(lang.iso, lang.iso)
