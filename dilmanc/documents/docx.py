"""Word documents (.docx) through python-docx: one unit per paragraph, wherever it is.

Paragraphs (`w:p`) are found in the body, in table cells (nested tables too), in text boxes
(`w:txbxContent`), in every header and footer part, and in the footnotes and endnotes parts
(python-docx has no API for those: they are registered as plain XML parts and reached through
the main part's relationships).

Inside a paragraph, python-docx's `iter_inner_content` sees runs and hyperlinks only, while
a paragraph also holds fields, bookmarks, tracked changes, content controls and more, all of
which must come back where they were. So a paragraph is read at the XML level, into tokens
that dilmanc.documents.runs (shared with PPTX and XLSX) turns into tagged text:

* adjacent runs whose formatting (`w:rPr`) is the same are merged first, so Word's arbitrary
  run splits (spell-check marks, revision ids, proofing language) never become tags;
* the most common formatting (by characters) is the paragraph's base and gets no tag; a run
  formatted differently becomes a pair (`bold`, `italic`, `color`, ... or `format`) whose data
  is its `w:rPr`; a hyperlink (or tracked insertion, smart tag) is a pair around its runs;
* tabs, breaks, drawings, text boxes, fields (simple and complex, begin to end, result
  included), footnote references, bookmarks and comment ranges are standalone tags carrying
  their XML. A field that ends in a later paragraph (a table of contents) is one only up to
  its separator: its result there is text, as in the paragraphs after it.

Writing re-opens the document from the kept bytes (so languages never leak into each other),
analyses each translated paragraph again the same way (so tag ids match the unit's) and
rebuilds its runs from the target: a stretch of text gets the formatting of the innermost
open pair plus what the pairs around it add (bold around italic is bold italic; or the base),
hyperlinks are re-created around their stretch, standalone XML (the
very same elements, so a text box keeps its own translated paragraphs) goes back at its tag.
The paragraph properties and everything outside translated paragraphs (styles, numbering,
images, sections, comments, settings) are untouched; a target equal to its source leaves the
paragraph's XML as it was.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory, XmlPart
from docx.oxml.ns import nsmap, qn
from lxml import etree

from dilmanc.documents import runs
from dilmanc.documents.archive import open_zip
from dilmanc.documents.base import Document, Translated, Unit, UnitWriter, WrittenByWriter, linked
from dilmanc.documents.runs import XML_SPACE
from dilmanc.errors import InputError
from dilmanc.fileio import read_bytes
from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText

# Footnotes and endnotes have no part class in python-docx: load them as XML parts so their
# element tree is reachable and serialized on save.
PartFactory.part_type_for.setdefault(CT.WML_FOOTNOTES, XmlPart)
PartFactory.part_type_for.setdefault(CT.WML_ENDNOTES, XmlPart)

W_P, W_R, W_T, W_PPR, W_RPR = qn("w:p"), qn("w:r"), qn("w:t"), qn("w:pPr"), qn("w:rPr")
W_TBL, W_TR, W_TC = qn("w:tbl"), qn("w:tr"), qn("w:tc")
W_TXBX = qn("w:txbxContent")
W_FOOTNOTE, W_ENDNOTE, W_ID = qn("w:footnote"), qn("w:endnote"), qn("w:id")
W_FLDCHAR, W_FLDCHARTYPE = qn("w:fldChar"), qn("w:fldCharType")
W_TAB, W_BR = qn("w:tab"), qn("w:br")
W_LANG, W_VAL, W_RFONTS, W_HINT = qn("w:lang"), qn("w:val"), qn("w:rFonts"), qn("w:hint")
# ISO/IEC 29500 Strict ("Strict Open XML Document") names its namespaces and relationship
# types under purl.oclc.org; python-docx reads only the Transitional ones
STRICT = b"http://purl.oclc.org/ooxml/"
STRICT_PARTS = ("_rels/.rels", "word/document.xml")

# Containers of runs that are kept around their (translated) runs as pairs.
WRAPPERS = {
    qn(f"w:{name}"): label
    for name, label in (
        ("hyperlink", "link"),
        ("ins", "insertion"),
        ("moveTo", "move"),
        ("smartTag", "smart tag"),
        ("customXml", "custom XML"),
        ("dir", "direction"),
        ("bdo", "direction"),
    )
}
# Rendering hints that would be wrong after translation: dropped from translated paragraphs.
DROPPED = {qn("w:proofErr"), qn("w:lastRenderedPageBreak"), qn("w:softHyphen")}
# Run properties that do not change how Latin or Cyrillic text looks: ignored when deciding
# whether two runs are formatted alike (Word splits runs on them all the time).
INVISIBLE = {qn("w:lang"), qn("w:noProof"), qn("w:szCs"), qn("w:bCs"), qn("w:iCs")}
PROPERTY_NAMES = {
    "b": "bold",
    "i": "italic",
    "u": "underline",
    "color": "color",
    "highlight": "highlight",
    "shd": "shading",
    "strike": "strike",
    "dstrike": "strike",
    "vertAlign": "vertical alignment",
    "rStyle": "style",
    "sz": "size",
    "rFonts": "font",
    "caps": "caps",
    "smallCaps": "small caps",
}
NODE_NAMES = {
    "tab": "tab",
    "ptab": "tab",
    "br": "break",
    "cr": "break",
    "drawing": "image",
    "pict": "image",
    "object": "object",
    "AlternateContent": "drawing",
    "fldChar": "field",
    "instrText": "field",
    "fldSimple": "field",
    "footnoteReference": "footnote",
    "endnoteReference": "endnote",
    "footnoteRef": "footnote mark",
    "endnoteRef": "endnote mark",
    "bookmarkStart": "bookmark",
    "bookmarkEnd": "bookmark",
    "commentRangeStart": "comment",
    "commentRangeEnd": "comment",
    "commentReference": "comment",
    "del": "deletion",
}
# The schema's order of run properties (ECMA-376 CT_RPr; a merged w:rPr keeps it).
_RPR_NAMES = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
)
RPR_ORDER = {qn(f"w:{name}"): n for n, name in enumerate(_RPR_NAMES.split(" "))}
WORD_LANG = {"en": "en-US", "ru": "ru-RU", "tr": "tr-TR", "de": "de-DE", "fr": "fr-FR"}
PART_KINDS = {RT.HEADER: 0, RT.FOOTER: 1, RT.FOOTNOTES: 2, RT.ENDNOTES: 3}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- reading and writing a paragraph --------------------------------------------------------


class WordStyle(runs.Style):
    """WordprocessingML run properties: the children of `w:rPr`, invisible ones aside."""

    def properties(self, rpr) -> dict[str, object]:
        found = {}
        for child in runs.children(rpr):
            if child.tag in INVISIBLE:
                continue
            attrs = tuple(
                sorted(
                    (k, v) for k, v in child.attrib.items() if child.tag != W_RFONTS or k != W_HINT
                )
            )
            if child.tag == W_RFONTS and not attrs:
                continue
            found[child.tag] = (attrs, etree.tostring(child) if len(child) else b"")
        return found

    def label(self, name: str) -> str:
        local = etree.QName(name).localname
        return PROPERTY_NAMES.get(local, local)

    def combine(self, rpr, added: list[tuple[str, object]]):
        rpr = copy.deepcopy(rpr) if rpr is not None else etree.Element(W_RPR)
        for name, source in added:
            if name not in RPR_ORDER:
                continue
            later = [i for i, old in enumerate(rpr)
                     if RPR_ORDER.get(old.tag, len(RPR_ORDER)) > RPR_ORDER[name]]  # fmt: skip
            rpr.insert(later[0] if later else len(rpr), copy.deepcopy(source.find(name)))
        return rpr


STYLE = WordStyle()


class _Flattener:
    """A paragraph's content as text and node tokens, fields folded into nodes."""

    def __init__(self, open_ended: frozenset = frozenset()) -> None:
        self.tokens: list[runs.Text | runs.Node] = []
        self.depth = 0  # open complex fields
        self.open_ended = open_ended  # separators of fields that end after the paragraph

    def container(self, element, ctx: tuple) -> None:
        for child in element:
            tag = child.tag
            if tag == W_PPR or not isinstance(tag, str):
                continue
            if tag == W_R:
                self.run(child, ctx)
            elif tag in DROPPED and not self.depth:
                continue
            elif tag in WRAPPERS and not self.depth and _has_text(child):
                self.container(child, (*ctx, child))
            else:
                self._count_fields(child)
                self.tokens.append(runs.Node(child, None, (), False, ctx))

    def run(self, run, ctx: tuple) -> None:
        children = list(run)
        rpr = children[0] if children and children[0].tag == W_RPR else None
        key = STYLE.key(rpr)
        for child in children:
            tag = child.tag
            if tag == W_RPR or not isinstance(tag, str):
                continue
            if tag == W_FLDCHAR:
                kind = child.get(W_FLDCHARTYPE)
                if kind == "begin":
                    self.depth += 1
                elif kind == "end" or (kind == "separate" and child in self.open_ended):
                    self.depth = max(0, self.depth - 1)
            elif tag == W_T and not self.depth:
                if child.text:
                    self.tokens.append(runs.Text(child.text, rpr, key, ctx))
                continue
            elif tag in DROPPED and not self.depth:
                continue
            self.tokens.append(runs.Node(child, rpr, key, True, ctx))

    def _count_fields(self, element) -> None:
        for fld in element.iter(W_FLDCHAR):
            kind = fld.get(W_FLDCHARTYPE)
            if kind == "begin":
                self.depth += 1
            elif kind == "end":
                self.depth = max(0, self.depth - 1)


def _has_text(element) -> bool:
    return any(t.text for t in element.iter(W_T))


def _open_ended(paragraph) -> frozenset:
    """The separators of the fields that begin in `paragraph` and end after it (a table of
    contents, an index): what follows is their result running on over paragraphs, text like
    that of the paragraphs after it, not part of one standalone code (the field's start up
    to its separator is one)."""
    stack: list = []  # per open field: its separator, once seen
    for mark in paragraph.iter(W_FLDCHAR):
        kind = mark.get(W_FLDCHARTYPE)
        if kind == "begin":
            stack.append(None)
        elif kind == "separate" and stack:
            stack[-1] = mark
        elif kind == "end" and stack:
            stack.pop()
    return frozenset(mark for mark in stack if mark is not None)


def analyse(paragraph) -> runs.Analysed | None:
    """The paragraph as tagged text, or None when it has no text at all."""
    flat = _Flattener(_open_ended(paragraph))
    flat.container(paragraph, ())
    return runs.analyse(flat.tokens, STYLE, WRAPPERS)


class _Builder(runs.Builder):
    """Word runs: `w:r` with a copy of the run properties (the proofing language set to the
    target's in translated text), `w:t`, `w:tab` and `w:br` for tabs and newlines."""

    style = STYLE
    kept = frozenset({W_PPR})

    def __init__(self, paragraph, codes, lang: str | None) -> None:
        super().__init__(paragraph, codes)
        self.lang = lang

    def new_run(self, container, rpr, *, translated: bool):
        run = self.append(container, etree.Element(W_R))
        if rpr is not None:
            rpr = copy.deepcopy(rpr)
            lang = rpr.find(W_LANG)
            if translated and self.lang and lang is not None and lang.get(W_VAL):
                lang.set(W_VAL, self.lang)
            run.append(rpr)
        return run

    def text(self, text: str, container, rpr, key: tuple) -> None:
        run = self.run(container, rpr, key, translated=True)
        for piece in re.split(r"([\t\n])", text) if ("\t" in text or "\n" in text) else (text,):
            if piece == "\t":
                etree.SubElement(run, W_TAB)
            elif piece == "\n":
                etree.SubElement(run, W_BR)
            elif piece:
                t = etree.SubElement(run, W_T)
                t.text = piece
                if piece != piece.strip():
                    t.set(XML_SPACE, "preserve")


def rebuild(paragraph_element, analysed: runs.Analysed, target: TaggedText, lang: str | None):
    """Replace the paragraph's content (its properties kept) by `target`'s text and tags."""
    runs.rebuild(_Builder(paragraph_element, analysed.codes, lang), analysed, target)


# --- the document -----------------------------------------------------------------------------


@dataclass
class _Part:
    key: str  # in unit ids: "body", "header1", "footnotes"
    label: str  # in locations: "", "header1.xml"
    root: object


def _natural(name: str) -> tuple:
    return tuple(int(s) if s.isdigit() else s for s in re.split(r"(\d+)", name))


def _parts(document) -> list[_Part]:
    main = document.part
    found = [_Part("body", "", main.element.body)]
    related = []
    seen = set()
    for rel in main.rels.values():
        kind = PART_KINDS.get(rel.reltype)
        if kind is None or rel.is_external:
            continue
        part = rel.target_part
        if id(part) in seen or not isinstance(part, XmlPart):
            continue
        seen.add(id(part))
        name = str(part.partname).rsplit("/", 1)[-1]
        related.append((kind, _natural(name), name, part))
    for _, _, name, part in sorted(related, key=lambda item: item[:2]):
        found.append(_Part(name.rsplit(".", 1)[0], name, part.element))
    return found


def _paragraphs(root) -> list:
    return runs.outside_fallbacks(root, W_P)


def _location(paragraph, part: _Part, number: int, tables: dict) -> str:
    where = []
    for ancestor in reversed(list(paragraph.iterancestors())):
        tag = ancestor.tag
        if tag == W_TC:
            row = ancestor.getparent()
            table = row.getparent()
            first_row = table.find(W_TR)
            row_number = table.index(row) - (table.index(first_row) if first_row is not None else 0)
            cells = [c for c in row if c.tag == W_TC]
            where.append(
                f"table {tables.get(table, '?')}, row {row_number + 1}, "
                f"cell {cells.index(ancestor) + 1}"
            )
        elif tag == W_TXBX:
            where.append("text box")
        elif tag in (W_FOOTNOTE, W_ENDNOTE):
            kind = "footnote" if tag == W_FOOTNOTE else "endnote"
            where.append(f"{kind} {ancestor.get(W_ID)}")
    label = f"{part.label} paragraph {number}" if part.label else f"paragraph {number}"
    return f"{label} ({'; '.join(where)})" if where else label


class DocxDocument(WrittenByWriter, Document):
    format = "docx"
    extensions = (".docx",)
    binary = True

    def __init__(self, path: Path | None, label: str, data: bytes, document) -> None:
        super().__init__(path, label)
        self._data = data
        self._document = document
        self._size = sum(
            1
            for part in _parts(document)
            for p in _paragraphs(part.root)
            if any(t.text and t.text.strip() for t in p.iter(W_T))
        )
        # The first writer translates the loaded tree in place (one tree in memory for a
        # one-language run): units already read are never read again by a running `units()`;
        # once it has changed the tree, later `units()` calls and writers parse a fresh copy.
        self._shared = False  # a writer is using the loaded tree
        self._changed = False  # ... and has changed it

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"word/" in head

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> DocxDocument:
        data = read_bytes(path)
        label = str(path)
        return cls(path, label, data, _open(data, label))

    def _open(self):
        return _open(self._data, self.label)

    @property
    def size(self) -> int:
        return self._size

    def _tree_for_writer(self):
        """(tree, shared): the loaded tree for the first writer, else a fresh copy."""
        if self._shared or self._changed:
            return self._open(), False
        self._shared = True
        return self._document, True

    def _release(self) -> None:
        self._shared = False

    def units(self) -> Iterator[Unit]:
        return linked(self._unlinked())

    def _unlinked(self) -> Iterator[Unit]:
        if self._changed:  # a writer has translated the loaded tree: read the original again
            self._document, self._shared, self._changed = self._open(), False, False
        for part in _parts(self._document):
            tables = {table: n for n, table in enumerate(part.root.iter(W_TBL), 1)}
            for number, paragraph in enumerate(_paragraphs(part.root), 1):
                analysed = analyse(paragraph)
                if analysed is None:
                    continue
                unit = Unit(
                    f"{part.key}:{number}",
                    analysed.source,
                    runs.inline_codes(analysed, NODE_NAMES),
                    location=_location(paragraph, part, number, tables),
                )
                yield unit

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _DocxWriter(self, lang, handle)


class _DocxWriter(UnitWriter):
    """Applies each chunk of translations to the document as it arrives (no translation is
    kept) and saves it at the end: the loaded tree for the first writer, a copy for others."""

    def __init__(self, document: DocxDocument, lang: Language, handle: IO) -> None:
        super().__init__(document, lang, handle)
        self.copy, self.shared = document._tree_for_writer()
        self.word_lang = WORD_LANG.get(lang.iso, lang.iso)
        self.paragraphs = {part.key: _paragraphs(part.root) for part in _parts(self.copy)}

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            key, _, number = item.unit.id.rpartition(":")
            paragraphs = self.paragraphs.get(key)
            if paragraphs is None or not number.isdigit() or not 0 < int(number) <= len(paragraphs):
                continue
            self.apply(paragraphs[int(number) - 1], item.target)

    def apply(self, paragraph, target: TaggedText) -> None:
        analysed = analyse(paragraph)
        if analysed is None or target == analysed.source:
            return
        if self.shared:
            self.document._changed = True
        twin = runs.fallback_twin(paragraph, W_P)
        rebuild(paragraph, analysed, target, self.word_lang)
        if twin is not None:
            twin_analysed = analyse(twin)
            if twin_analysed is not None and twin_analysed.source == analysed.source:
                rebuild(twin, twin_analysed, target, self.word_lang)

    def finish(self) -> None:
        self.copy.save(self.handle)
        self.paragraphs.clear()
        if self.shared:
            self.document._release()


def _open(data: bytes, label: str):
    """python-docx's Document over `data`, after checking it is a safe, readable .docx."""
    if data.startswith(OLE_MAGIC):
        raise InputError(
            f"{label}: an encrypted (password-protected) or legacy .doc Word file, not a .docx; "
            "remove the password or save it as .docx"
        )
    if not data.strip():
        raise InputError(f"{label} is empty")
    with open_zip(data, label, kind=".docx") as archive:
        names = archive.namelist()  # sizes, tags and unsafe XML checked: bombs stop here
        if "word/document.xml" not in names:
            kind = (
                "a spreadsheet (.xlsx)"
                if "xl/workbook.xml" in names
                else "a presentation (.pptx)"
                if "ppt/presentation.xml" in names
                else "a ZIP archive"
            )
            raise InputError(f"{label}: not a Word document ({kind} without word/document.xml)")
        if any(STRICT in archive.read(name) for name in STRICT_PARTS if name in names):
            raise InputError(
                f"{label}: ISO/IEC 29500 Strict is not supported; save as Word 2007+ Transitional"
            )
        data = _with_word_namespace(archive, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except etree.XMLSyntaxError as err:
        raise InputError(f"{label}: corrupt XML inside the .docx ({err})") from None
    except Exception as err:  # python-docx raises KeyError/ValueError/... on broken packages
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"{label}: not a readable .docx ({reason})") from None
    root = document.element
    if root.tag != qn("w:document") or root.find(qn("w:body")) is None:
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise InputError(
            f"{label}: not a readable .docx (the main part holds <{name}>, "
            "not a WordprocessingML document with a body)"
        )
    return document


def _with_word_namespace(archive: zipfile.ZipFile, data: bytes) -> bytes:
    """`data` with every XML part under word/ whose elements have no namespace (such files
    exist: some tools write WordprocessingML with its prefixes stripped) moved into the Word
    namespace, elements and their attributes; `data` itself when no part needs it."""
    fixed: dict[str, bytes] = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for name in archive.namelist():
        if not (name.startswith("word/") and name.endswith(".xml")):
            continue
        try:
            root = etree.fromstring(archive.read(name), parser)
        except etree.XMLSyntaxError:
            continue  # python-docx says what is wrong if it reads that part
        if not isinstance(root.tag, str) or root.tag.startswith("{"):
            continue
        for element in root.iter(etree.Element):
            if not element.tag.startswith("{"):
                element.tag = qn(f"w:{element.tag}")
                for key in [key for key in element.attrib if not key.startswith("{")]:
                    element.set(qn(f"w:{key}"), element.attrib.pop(key))
        etree.cleanup_namespaces(root, top_nsmap={"w": nsmap["w"]})
        fixed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if not fixed:
        return data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(info, fixed.get(info.filename) or archive.read(info.filename))
    return buffer.getvalue()
