"""Excel workbooks (.xlsx, .xlsm): the text of cells and comments, patched at the XML level.

openpyxl's load-and-save loses what it does not model (its documentation says so of shapes;
a text box is dropped, see test_doc_xlsx), so a workbook is never re-saved through it: the
package is read with
lxml, and writing copies every member byte for byte except the parts holding translated text
(the shared strings, a worksheet with inline strings, a comments part, and with sheet names
the parts that name sheets). Column and row layout, styles, number formats, charts, images,
defined names, macros and everything else stay as they were. openpyxl's formula tokenizer
finds what formulas refer to, and its helpers read cell references and Excel's `_xHHHH_`
escapes.

Units, sheet by sheet in workbook order, cells row by row:

* a text cell is a unit: a shared string (one unit however many cells use it; `ss:INDEX`) or
  an inline string (`cell:SHEET:REF`); numbers, dates, booleans, errors and formulas (their
  cached results too) never are, nor text with no letter in it;
* a text cell that a formula refers to (directly, through a range, a defined name or a table
  column, or a shared formula's whole range), that a list validation's source refers to or
  that a list validation checks, and a table's header cell (its column's name) is kept as it
  is, so lookups, comparisons and tables go on working; a shared string used by kept and
  translated cells alike gets a second entry for the translated ones;
* rich-text runs become tags the DOCX way (dilmanc.documents.runs): runs formatted alike are
  merged, the most common formatting is the base, other runs are pairs (`bold`, `color`, ...);
* each legacy comment (note) is a unit (`comment:SHEET:N`);
* with `sheet_names`, each worksheet's name is a unit (`name:SHEET`); a translated name is
  made valid (no `[]:*?/\\`, at most 31 characters, unique; else it stays and a warning says
  why) and every reference to it is renamed: formulas, defined names, validations,
  conditional formats, hyperlinks, charts, pivot caches and the document properties.
"""

from __future__ import annotations

import bisect
import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree
from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
    range_boundaries,
)
from openpyxl.utils.escape import escape, unescape

from dilmanc.documents import runs
from dilmanc.documents.archive import rewrite as rewrite_package
from dilmanc.documents.base import Document, Translated, Unit, UnitWriter, linked
from dilmanc.documents.ooxml import macro_note, read_package
from dilmanc.errors import InputError
from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
WORKBOOK = "xl/workbook.xml"


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


SI, T, R, RPR, RPH, PHONETIC = _q("si"), _q("t"), _q("r"), _q("rPr"), _q("rPh"), _q("phoneticPr")
C, V, F, IS, ROW = _q("c"), _q("v"), _q("f"), _q("is"), _q("row")
SHEET, DEFINED_NAME, COMMENT, TEXT = _q("sheet"), _q("definedName"), _q("comment"), _q("text")
R_ID = f"{{{R_NS}}}id"
# Excel's order of font properties in a run (any order is valid; Excel writes this one).
_RPR_NAMES = "b i strike condense extend outline shadow u vertAlign sz color rFont family charset"
RPR_ORDER = {_q(name): n for n, name in enumerate(f"{_RPR_NAMES} scheme".split(" "))}
PROPERTY_NAMES = {
    "b": "bold",
    "i": "italic",
    "u": "underline",
    "strike": "strike",
    "color": "color",
    "sz": "size",
    "rFont": "font",
    "vertAlign": "vertical alignment",
}
FORMULA_TAGS = {"f", "formula", "formula1", "formula2"}
BAD_NAME = re.compile(r"[\[\]:*?/\\]")
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
LETTER = re.compile(r"[^\W\d_]")
MAX_ROW, MAX_COL = 1_048_576, 16_384
WIDE_RANGE = 256  # ranges over this many columns are looked through one by one
CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class SheetStyle(runs.Style):
    """SpreadsheetML run properties: the children of `rPr` (a font)."""

    def properties(self, rpr) -> dict[str, object]:
        return {
            child.tag: (
                tuple(sorted(child.attrib.items())),
                etree.tostring(child) if len(child) else b"",
            )
            for child in runs.children(rpr)
        }

    def label(self, name: str) -> str:
        local = etree.QName(name).localname
        return PROPERTY_NAMES.get(local, local)

    def combine(self, rpr, added: list[tuple[str, object]]):
        rpr = copy.deepcopy(rpr) if rpr is not None else etree.Element(RPR)
        for name, source in added:
            for old in rpr.findall(name):
                rpr.remove(old)
            order = RPR_ORDER.get(name, len(RPR_ORDER))
            later = [i for i, c in enumerate(rpr) if RPR_ORDER.get(c.tag, len(RPR_ORDER)) > order]
            rpr.insert(later[0] if later else len(rpr), copy.deepcopy(source.find(name)))
        return rpr


STYLE = SheetStyle()


def analyse(rich) -> runs.Analysed | None:
    """A string item (`si`, `is`, a comment's `text`) as tagged text; None without text."""
    tokens: list[runs.Text | runs.Node] = []
    for child in rich:
        if child.tag == T and child.text:
            tokens.append(runs.Text(unescape(child.text), None, (), ()))
        elif child.tag == R:
            rpr, t = child.find(RPR), child.find(T)
            if t is not None and t.text:
                tokens.append(runs.Text(unescape(t.text), rpr, STYLE.key(rpr), ()))
    analysed = runs.analyse(tokens, STYLE)
    if analysed is None or not LETTER.search(analysed.source.text):
        return None
    return analysed


def _set_text(t, text: str) -> None:
    t.text = escape(text)
    if text != text.strip() or "\n" in text:
        t.set(runs.XML_SPACE, "preserve")
    else:
        t.attrib.pop(runs.XML_SPACE, None)


class _Builder(runs.Builder):
    """SpreadsheetML runs: `r` holding a copy of the font (`rPr`) and one `t`; phonetic runs
    (readings of the source text) are dropped, phonetic properties kept at the end."""

    style = STYLE
    kept = frozenset({PHONETIC})
    tail = frozenset({PHONETIC})

    def new_run(self, container, rpr, *, translated: bool):
        run = self.append(container, etree.Element(R))
        if rpr is not None:
            run.append(copy.deepcopy(rpr))
        etree.SubElement(run, T)
        return run

    def text(self, text: str, container, rpr, key: tuple) -> None:
        t = self.run(container, rpr, key, translated=True).find(T)
        _set_text(t, unescape(t.text or "") + text)


def rewrite(rich, target: TaggedText) -> None:
    """Put `target` into a string item: a plain one keeps its single `t`, a rich one is
    rebuilt run by run."""
    analysed = analyse(rich)
    if analysed is None or target == analysed.source:
        return
    plain = rich.find(T)
    if plain is not None and not analysed.codes:
        for child in list(rich):
            if child.tag == RPH:
                rich.remove(child)
        _set_text(plain, target.text)
        return
    runs.rebuild(_Builder(rich, analysed.codes), analysed, target)


# --- the package ------------------------------------------------------------------------------


def _parse(archive: zipfile.ZipFile, member: str, label: str):
    try:
        return etree.fromstring(archive.read(member), PARSER)
    except KeyError:
        raise InputError(f"{label}: {member} is missing from the workbook") from None
    except etree.XMLSyntaxError as err:
        raise InputError(f"{label}: corrupt XML in {member} ({err})") from None


def _serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rels(archive: zipfile.ZipFile, member: str, label: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type, target member), external ones left out."""
    folder, name = posixpath.split(member)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for rel in _parse(archive, rels, label).iter(f"{{{REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id")] = (rel.get("Type", ""), posixpath.normpath(target))
    return found


def _cells(root) -> Iterator[tuple[str, int, int, object]]:
    """(reference, column, row, element) of every cell of a worksheet, in order."""
    for row_number, row in enumerate(root.iter(ROW), 1):
        row_number = int(row.get("r") or row_number)
        column = 0
        for cell in row.iter(C):
            ref = cell.get("r")
            if ref:
                letters, row_number = coordinate_from_string(ref)
                column = column_index_from_string(letters)
            else:
                column += 1
                ref = f"{get_column_letter(column)}{row_number}"
            yield ref, column, row_number, cell


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    try:
        c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    except (ValueError, TypeError):
        return None
    return (c1 or 1, r1 or 1, c2 or MAX_COL, r2 or MAX_ROW)


def _unquote(sheet: str) -> str:
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet


def _quote(sheet: str) -> str:
    if PLAIN_NAME.fullmatch(sheet) and not CELL_LIKE.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _operands(formula: str) -> Iterator[Token]:
    try:
        items = Tokenizer("=" + formula).items
    except (TokenizerError, ValueError, IndexError):
        return
    for token in items:
        if token.type == Token.OPERAND and token.subtype == Token.RANGE:
            yield token


@dataclass
class _Table:
    sheet: str
    bounds: tuple[int, int, int, int]
    columns: list[str]
    header: bool


class _Cells:
    """A set of cells, per sheet, from ranges: each column's row intervals are merged once,
    so a lookup is a binary search however many formulas named the same cells."""

    def __init__(self) -> None:
        self.pending: set[tuple[str, tuple[int, int, int, int]]] = set()
        self.columns: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        self.wide: dict[str, list[tuple[int, int, int, int]]] = {}  # whole rows and the like

    def add(self, sheet: str, bounds: tuple[int, int, int, int]) -> None:
        self.pending.add((sheet, bounds))

    def _merge(self) -> None:
        spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for sheet, (c1, r1, c2, r2) in self.pending:
            if c2 - c1 >= WIDE_RANGE:
                self.wide.setdefault(sheet, []).append((c1, r1, c2, r2))
                continue
            for column in range(c1, c2 + 1):
                spans.setdefault((sheet, column), []).append((r1, r2))
        for key, found in spans.items():
            starts, ends = self.columns.pop(key, ([], []))
            merged: list[list[int]] = []
            for r1, r2 in sorted([*zip(starts, ends, strict=True), *found]):
                if merged and r1 <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], r2)
                else:
                    merged.append([r1, r2])
            self.columns[key] = ([m[0] for m in merged], [m[1] for m in merged])
        self.pending.clear()

    def __contains__(self, where: tuple[str, int, int]) -> bool:
        if self.pending:
            self._merge()
        sheet, column, row = where
        if any(
            c1 <= column <= c2 and r1 <= row <= r2 for c1, r1, c2, r2 in self.wide.get(sheet, ())
        ):
            return True
        starts, ends = self.columns.get((sheet, column), ((), ()))
        at = bisect.bisect_right(starts, row) - 1
        return at >= 0 and row <= ends[at]


class _References(_Cells):
    """The cells formulas refer to, with the defined names and tables they may go through."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, list[tuple[str, str]]] = {}  # lower-case name → (sheet, ref)
        self.tables: dict[str, _Table] = {}  # lower-case name → table

    def formula(self, text: str, sheet: str, spread: tuple[int, int] = (0, 0)) -> None:
        """Record what `text` (a formula on `sheet`) refers to; `spread`: the extra columns
        and rows a shared formula covers."""
        for token in _operands(text):
            value = token.value
            if "[" in value and not value.startswith("["):
                self._table(value)
                continue
            target, _, ref = value.rpartition("!")
            sheets = [_unquote(s) for s in _unquote(target).split(":")] if target else [sheet]
            bounds = _bounds(ref)
            if bounds is None:
                for name_sheet, name_ref in self.names.get(ref.lower(), ()):
                    if (found := _bounds(name_ref)) is not None:
                        self.add(name_sheet, found)
                continue
            c1, r1, c2, r2 = bounds
            for name in sheets:
                self.add(name, (c1, r1, min(c2 + spread[0], MAX_COL), min(r2 + spread[1], MAX_ROW)))

    def _table(self, value: str) -> None:
        table = self.tables.get(value.split("[", 1)[0].lower())
        if table is None:
            return
        c1, r1, c2, r2 = table.bounds
        columns = [c for c in re.findall(r"\[([^\[\]#@][^\[\]]*)\]", value) if c in table.columns]
        if not columns:
            self.add(table.sheet, table.bounds)
        for column in columns:
            at = c1 + table.columns.index(column)
            self.add(table.sheet, (at, r1, at, r2))


@dataclass
class _Sheet:
    number: int
    name: str
    member: str
    comments: str | None = None


class _Reader:
    """Everything `XlsxDocument` needs from the package, parsed once at load."""

    def __init__(self, archive: zipfile.ZipFile, label: str, sheet_names: bool) -> None:
        self.archive, self.label = archive, label
        self.workbook = _parse(archive, WORKBOOK, label)
        rels = _rels(archive, WORKBOOK, label)
        self.sheets: list[_Sheet] = []
        for element in self.workbook.iter(SHEET):
            kind, member = rels.get(element.get(R_ID), ("", ""))
            if kind == RT + "worksheet" and member in archive.namelist():
                self.sheets.append(_Sheet(len(self.sheets) + 1, element.get("name", ""), member))
        shared = [m for kind, m in rels.values() if kind == RT + "sharedStrings"]
        self.sst_member = shared[0] if shared and shared[0] in archive.namelist() else None
        self.sst = _parse(archive, self.sst_member, label) if self.sst_member else None
        self.strings = self.sst.findall(SI) if self.sst is not None else []
        self.roots = {sheet.member: _parse(archive, sheet.member, label) for sheet in self.sheets}
        self.comment_roots: dict[str, object] = {}
        self.references = _References()
        self.kept = _Cells()  # table headers, cells a list validation checks
        self._names()
        for sheet in self.sheets:
            self._sheet_parts(sheet)
        for sheet in self.sheets:
            self._formulas(sheet)
        self.sheet_names = sheet_names

    def _names(self) -> None:
        for element in self.workbook.iter(DEFINED_NAME):
            name = element.get("name", "")
            for token in _operands(element.text or ""):
                target, _, ref = token.value.rpartition("!")
                if target:
                    sheets = _unquote(target).split(":")
                    self.references.names.setdefault(name.lower(), []).append((sheets[0], ref))

    def _sheet_parts(self, sheet: _Sheet) -> None:
        for kind, member in _rels(self.archive, sheet.member, self.label).values():
            if member not in self.archive.namelist():
                continue
            if kind == RT + "comments":
                sheet.comments = member
                self.comment_roots[member] = _parse(self.archive, member, self.label)
            elif kind == RT + "table":
                root = _parse(self.archive, member, self.label)
                bounds = _bounds(root.get("ref", ""))
                if bounds is None:
                    continue
                columns = [c.get("name", "") for c in root.iter(_q("tableColumn"))]
                header = root.get("headerRowCount", "1") != "0"
                table = _Table(sheet.name, bounds, columns, header)
                for name in {root.get("name", ""), root.get("displayName", "")} - {""}:
                    self.references.tables[name.lower()] = table
                if header:
                    c1, r1, c2, _ = bounds
                    self.kept.add(sheet.name, (c1, r1, c2, r1))

    def _formulas(self, sheet: _Sheet) -> None:
        root = self.roots[sheet.member]
        for element in root.iter(etree.Element):
            local = etree.QName(element).localname
            if local in FORMULA_TAGS and element.text:
                spread = (0, 0)
                if element.tag == F and element.get("t") == "shared" and element.get("ref"):
                    c1, r1, c2, r2 = _bounds(element.get("ref")) or (1, 1, 1, 1)
                    spread = (c2 - c1, r2 - r1)
                self.references.formula(element.text, sheet.name, spread)
            elif local == "dataValidation" and element.get("type") == "list":
                sqref = element.get("sqref") or next(
                    (e.text for e in element if etree.QName(e).localname == "sqref"), ""
                )
                for ref in (sqref or "").split():
                    if (bounds := _bounds(ref)) is not None:
                        self.kept.add(sheet.name, bounds)

    def translatable(self, sheet: _Sheet, column: int, row: int) -> bool:
        where = (sheet.name, column, row)
        return where not in self.kept and where not in self.references


@dataclass
class _Entry:
    """One unit's place: what kind of text it is and how to find it again."""

    id: str
    location: str
    kind: str  # "name", "ss", "cell", "comment"
    sheet: int
    key: object  # shared string index, cell reference, comment number
    rich: object = None  # the string item in the loaded package


class XlsxDocument(Document):
    format = "xlsx"
    extensions = (".xlsx", ".xlsm")
    binary = True
    options = ("sheet_names",)

    def __init__(
        self, path: Path | None, label: str, data: bytes, macros: bool, sheet_names: bool
    ) -> None:
        super().__init__(path, label)
        self._data = data
        self.macros = macros
        self._sheet_names = sheet_names
        self._read()

    def _read(self) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(self._data)) as archive:
                self._reader = _Reader(archive, self.label, self._sheet_names)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise InputError(f"{self.label}: cannot read the .xlsx archive ({err})") from None
        self._entries = list(self._plan())
        self.split: dict[int, list[tuple[str, str]]] = {}  # string → translated (sheet, ref)
        self._split_uses()
        self._shared = False  # a writer is using the loaded trees
        self._changed = False  # ... and may have changed them

    def _for_writer(self) -> dict[str, object]:
        """Member → parsed tree of the loaded package for the first writer, which translates
        them in place (no second parse in a one-language run); empty for further writers."""
        if self._shared or self._changed:
            return {}
        self._shared = True
        reader = self._reader
        trees = {WORKBOOK: reader.workbook, **reader.roots, **reader.comment_roots}
        if reader.sst_member is not None:
            trees[reader.sst_member] = reader.sst
        return trees

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"xl/" in head

    @classmethod
    def load(
        cls, path: Path, *, encoding: str | None = None, sheet_names: bool = False
    ) -> XlsxDocument:
        package = read_package(path, "xlsx")
        return cls(path, str(path), package.data, package.has_macros, sheet_names)

    @property
    def size(self) -> int:
        return len(self._entries)

    def _plan(self) -> Iterator[_Entry]:
        reader = self._reader
        seen: set[int] = set()
        for sheet in reader.sheets:
            if reader.sheet_names and LETTER.search(sheet.name):
                yield _Entry(f"name:{sheet.number}", f"sheet {sheet.number} name", "name",
                             sheet.number, None)  # fmt: skip
            for ref, column, row, cell in _cells(reader.roots[sheet.member]):
                kind = cell.get("t")
                if cell.find(F) is not None or kind not in ("s", "inlineStr"):
                    continue
                if not reader.translatable(sheet, column, row):
                    continue
                where = f"{_quote(sheet.name)}!{ref}"
                if kind == "inlineStr":
                    rich = cell.find(IS)
                    if rich is not None and analyse(rich) is not None:
                        yield _Entry(f"cell:{sheet.number}:{ref}", where, "cell", sheet.number,
                                     ref, rich)  # fmt: skip
                    continue
                index = _index(cell, len(reader.strings))
                if index is None or index in seen or analyse(reader.strings[index]) is None:
                    continue
                seen.add(index)
                yield _Entry(f"ss:{index}", where, "ss", sheet.number, index, reader.strings[index])
            if sheet.comments is not None:
                root = reader.comment_roots[sheet.comments]
                for number, comment in enumerate(root.iter(COMMENT), 1):
                    text = comment.find(TEXT)
                    if text is not None and analyse(text) is not None:
                        where = f"{_quote(sheet.name)}!{comment.get('ref', '')} comment"
                        yield _Entry(f"comment:{sheet.number}:{number}", where, "comment",
                                     sheet.number, number, text)  # fmt: skip

    def _split_uses(self) -> None:
        """Shared strings used by translated and kept cells alike: the translated cells'
        places, so that writers give them an entry of their own."""
        reader = self._reader
        translated = {entry.key for entry in self._entries if entry.kind == "ss"}
        uses: dict[int, list[tuple[str, str]]] = {}
        kept: set[int] = set()
        for sheet in reader.sheets:
            for ref, column, row, cell in _cells(reader.roots[sheet.member]):
                if cell.get("t") != "s" or cell.find(F) is not None:
                    continue
                index = _index(cell, len(reader.strings))
                if index not in translated:
                    continue
                if reader.translatable(sheet, column, row):
                    uses.setdefault(index, []).append((sheet.member, ref))
                else:
                    kept.add(index)
        self.split = {index: uses[index] for index in kept if index in uses}

    def units(self) -> Iterator[Unit]:
        return linked(self._unlinked())

    def _unlinked(self) -> Iterator[Unit]:
        if self._changed:  # a writer has translated the loaded trees: read the package again
            self._read()
        for entry in self._entries:
            if entry.kind == "name":
                name = self._reader.sheets[entry.sheet - 1].name
                unit = Unit(entry.id, TaggedText(name), location=entry.location)
            else:
                analysed = analyse(entry.rich)
                codes = runs.inline_codes(analysed, {})
                unit = Unit(entry.id, analysed.source, codes, location=entry.location)
            yield unit

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        writer = self.writer(lang, handle)
        writer.add(list(translations.values()))
        writer.finish()

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _XlsxWriter(self, lang, handle)


def _index(cell, count: int) -> int | None:
    value = cell.find(V)
    try:
        index = int(value.text) if value is not None and value.text else -1
    except ValueError:
        return None
    return index if 0 <= index < count else None


class _XlsxWriter(UnitWriter):
    """Parses the parts a translation changes (fresh for each language), applies chunks as
    they arrive, and writes the package at the end with every other member as it was."""

    def __init__(self, document: XlsxDocument, lang: Language, handle: IO) -> None:
        super().__init__(document, lang, handle)
        self.archive = zipfile.ZipFile(io.BytesIO(document._data))
        self.loaded = document._for_writer()  # the first writer's: the loaded trees
        self.shared = bool(self.loaded)
        self.trees: dict[str, object] = {}
        self.cells: dict[str, dict[str, object]] = {}
        self.items: dict[str, list] = {}  # a part's string items or comments, in order
        self.names: dict[int, str] = {}  # sheet number → translated name
        self.reader = document._reader

    def tree(self, member: str):
        if member not in self.trees:
            if member in self.loaded:
                self.document._changed = True
                self.trees[member] = self.loaded[member]
            else:
                self.trees[member] = _parse(self.archive, member, self.document.label)
        return self.trees[member]

    def listed(self, member: str, tag: str) -> list:
        if member not in self.items:
            self.items[member] = list(self.tree(member).iter(tag))
        return self.items[member]

    def cell(self, member: str, ref: str):
        if member not in self.cells:
            self.cells[member] = {r: c for r, _, _, c in _cells(self.tree(member))}
        return self.cells[member].get(ref)

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            kind, _, rest = item.unit.id.partition(":")
            if kind == "name":
                self.names[int(rest)] = item.target.text
            elif kind == "ss":
                self._shared(int(rest), item.target)
            elif kind == "cell":
                number, _, ref = rest.partition(":")
                cell = self.cell(self.reader.sheets[int(number) - 1].member, ref)
                if cell is not None and cell.find(IS) is not None:
                    rewrite(cell.find(IS), item.target)
            elif kind == "comment":
                number, _, k = rest.partition(":")
                member = self.reader.sheets[int(number) - 1].comments
                comment = self.listed(member, COMMENT)[int(k) - 1]
                rewrite(comment.find(TEXT), item.target)

    def _shared(self, index: int, target: TaggedText) -> None:
        sst = self.tree(self.reader.sst_member)
        rich = self.listed(self.reader.sst_member, SI)[index]
        uses = self.document.split.get(index)
        analysed = analyse(rich)
        if analysed is None or target == analysed.source:
            return
        if uses is None:
            rewrite(rich, target)
            return
        twin = copy.deepcopy(rich)
        rewrite(twin, target)
        sst.append(twin)
        count = len(self.listed(self.reader.sst_member, SI)) + 1
        self.items[self.reader.sst_member].append(twin)
        sst.set("uniqueCount", str(count))
        new = str(count - 1)
        for member, ref in uses:
            cell = self.cell(member, ref)
            if cell is not None:
                cell.find(V).text = new

    def finish(self) -> None:
        self.document.warnings = macro_note(self.document)
        if self.names:
            self._rename()
        self.archive.close()
        replaced = {member: _serialize(tree) for member, tree in self.trees.items()}
        rewrite_package(self.document._data, replaced, self.handle)
        self.loaded = {}
        if self.shared:
            self.document._shared = False

    # --- sheet names ---------------------------------------------------------------------------

    def _rename(self) -> None:
        mapping = self._valid_names()
        if not mapping:
            return
        workbook = self.tree(WORKBOOK)
        for element in workbook.iter(SHEET):
            element.set("name", mapping.get(element.get("name", ""), element.get("name", "")))
        for element in workbook.iter(DEFINED_NAME):
            element.text = _renamed(element.text or "", mapping)
        for name in self.archive.namelist():
            if name in {sheet.member for sheet in self.reader.sheets} or re.fullmatch(
                r"xl/(charts/chart|pivotCache/pivotCacheDefinition)\d+\.xml|docProps/app\.xml", name
            ):
                self._rename_in(name, mapping)

    def _rename_in(self, member: str, mapping: dict[str, str]) -> None:
        for element in self.tree(member).iter(etree.Element):
            local = etree.QName(element).localname
            if local in FORMULA_TAGS and element.text:
                element.text = _renamed(element.text, mapping)
            elif local == "hyperlink" and element.get("location"):
                element.set("location", _renamed(element.get("location"), mapping))
            elif local == "worksheetSource" and element.get("sheet") in mapping:
                element.set("sheet", mapping[element.get("sheet")])
            elif local == "lpstr" and element.text in mapping:
                element.text = mapping[element.text]

    def _valid_names(self) -> dict[str, str]:
        """Old name → new name for the translated names Excel accepts; a warning for each
        name that has to stay."""
        mapping: dict[str, str] = {}
        taken = {sheet.name.lower() for sheet in self.reader.sheets}
        for sheet in self.reader.sheets:
            if sheet.number not in self.names:
                continue
            name = " ".join(BAD_NAME.sub(" ", self.names[sheet.number]).split()).strip("'")[:31]
            name = name.strip()
            if not name or name == sheet.name:
                continue
            if name.lower() in taken - {sheet.name.lower()} or name.lower() == "history":
                self.document.warnings.append(
                    f"sheet {sheet.number} keeps its name {sheet.name!r}: its translation "
                    f"{name!r} is the name of another sheet"
                )
                continue
            taken.discard(sheet.name.lower())
            taken.add(name.lower())
            mapping[sheet.name] = name
        return mapping


def _renamed(formula: str, mapping: dict[str, str]) -> str:
    """`formula` with references to the sheets in `mapping` renamed."""
    try:
        items = Tokenizer("=" + formula).items
    except (TokenizerError, ValueError, IndexError):
        return formula
    out = []
    for token in items:
        value = token.value
        if (
            token.type == Token.OPERAND
            and token.subtype == Token.RANGE
            and "!" in value
            and not value.startswith("[")
        ):
            target, _, ref = value.rpartition("!")
            names = [mapping.get(n, n) for n in _unquote(target).split(":")]
            if names != _unquote(target).split(":"):
                value = _quote(":".join(names)) + "!" + ref
        out.append(value)
    return "".join(out)
