"""OpenDocument text, spreadsheets and presentations (.odt, .ods, .odp; and their templates):
one unit per paragraph or heading, wherever it is, read and written with lxml over the package.

Paragraphs (`text:p`, `text:h`) are found in the body (lists, tables, sections, indexes), in
frames and text boxes, in footnotes and endnotes, on slides and their notes pages, in shapes,
and in the page headers and footers of styles.xml; the alternative text of frames
(`svg:title`, `svg:desc`) and a presentation's footer and header declarations are units too.
Left alone: comments (`office:annotation`), deleted text kept for change tracking, the
placeholder text of slide masters, and spreadsheet cells that hold a number, a date, a
boolean or a formula (only text cells are translated).

Inside a paragraph (the same rules as DOCX):

* a `text:span` is a pair tag whose data is the span (its style name); spans whose automatic
  style differs only in what does not show (LibreOffice's revision ids `officeooo:rsid`, the
  proofing language, the properties of Asian and complex scripts) are one stretch, and a span
  that changes nothing visible is no tag at all, so an editor's arbitrary splits never become
  tags; a link (`text:a`) is a pair too; spans may nest, and so do their tags;
* a span or link around the whole paragraph stays outside the unit and is re-created around
  the translation;
* notes, frames, images, fields, bookmarks, tabs and line breaks are standalone tags carrying
  the very same elements (so a footnote or a text box keeps its own translated paragraphs);
* white space is read as OpenDocument says it shows (runs collapsed, `text:s` spaces kept) and
  written so that it shows as translated (`text:s`, `text:tab`, `text:line-break`).

Writing parses the kept package again per language, rebuilds each translated paragraph from
its target (its attributes kept), sets the language of the styles and the metadata to the
target, and copies every other member of the package unchanged.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from dilmanc.documents.archive import open_zip, rewrite
from dilmanc.documents.base import (
    Document,
    InlineCode,
    Translated,
    Unit,
    UnitWriter,
    WrittenByWriter,
    linked,
)
from dilmanc.errors import InputError
from dilmanc.fileio import read_bytes
from dilmanc.languages import Language
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "officeooo": "http://openoffice.org/2009/office",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


def q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


T_P, T_H, T_SPAN, T_A, T_S = q("text:p"), q("text:h"), q("text:span"), q("text:a"), q("text:s")
T_TAB, T_BR, T_NOTE = q("text:tab"), q("text:line-break"), q("text:note")
T_SOFT_BREAK, T_TRACKED = q("text:soft-page-break"), q("text:tracked-changes")
T_STYLE_NAME, T_C = q("text:style-name"), q("text:c")
TABLE, ROW, CELL = q("table:table"), q("table:table-row"), q("table:table-cell")
COVERED = q("table:covered-table-cell")
COLUMNS_REPEATED, ROWS_REPEATED = (
    q("table:number-columns-repeated"),
    q("table:number-rows-repeated"),
)
VALUE_TYPE, FORMULA = q("office:value-type"), q("table:formula")
ANNOTATION, BODY = q("office:annotation"), q("office:body")
PAGE, NOTES, FRAME = q("draw:page"), q("presentation:notes"), q("draw:frame")
STYLE, TEXT_PROPS, NAME = q("style:style"), q("style:text-properties"), q("style:name")
PARENT_STYLE = q("style:parent-style-name")
SVG_TITLE, SVG_DESC = q("svg:title"), q("svg:desc")
DECLARATIONS = {q(f"presentation:{kind}-decl") for kind in ("header", "footer", "date-time")}
# Where styles.xml holds text that shows: page headers and footers (not slide masters).
HEADER_FOOTER = {
    q(f"style:{name}")
    for name in (
        "header",
        "footer",
        "header-left",
        "footer-left",
        "header-first",
        "footer-first",
    )
}
# Text properties that do not change how Latin or Cyrillic text looks.
INVISIBLE = {
    q("officeooo:rsid"),
    q("officeooo:paragraph-rsid"),
    q("fo:language"),
    q("fo:country"),
    q("fo:script"),
    q("fo:hyphenate"),
    q("style:rfc-language-tag"),
} | {
    q(f"style:{prop}-{script}")
    for prop in (
        "language",
        "country",
        "script",
        "rfc-language-tag",
        "font-name",
        "font-size",
        "font-weight",
        "font-style",
        "font-family",
        "font-family-generic",
        "font-pitch",
        "font-charset",
        "font-style-name",
    )
    for script in ("asian", "complex")
}
PROPERTY_NAMES = {
    q("fo:font-weight"): "bold",
    q("fo:font-style"): "italic",
    q("style:text-underline-style"): "underline",
    q("fo:color"): "color",
    q("fo:background-color"): "highlight",
    q("style:text-line-through-style"): "strike",
    q("style:text-position"): "vertical alignment",
    q("fo:font-size"): "size",
    q("style:font-name"): "font",
    q("fo:font-variant"): "small caps",
    q("fo:text-transform"): "caps",
}
NODE_NAMES = {
    "tab": "tab",
    "line-break": "break",
    "note": "note",
    "frame": "frame",
    "a": "link",
    "bookmark": "bookmark",
    "bookmark-start": "bookmark",
    "bookmark-end": "bookmark",
    "reference-mark": "reference",
    "reference-mark-start": "reference",
    "reference-mark-end": "reference",
    "annotation": "comment",
    "annotation-end": "comment",
    "change": "change",
    "change-start": "change",
    "change-end": "change",
}
_FIELD_NAMES = (
    "page-number page-count page-continuation date time sequence sequence-ref variable-get "
    "variable-set user-field-get user-defined chapter title subject author-name "
    "author-initials file-name template-name sheet-name word-count character-count "
    "paragraph-count note-ref bookmark-ref reference-ref expression text-input placeholder"
)
FIELDS = frozenset(_FIELD_NAMES.split(" "))
SPACE = re.compile(r"[ \t\r\n]+")
LANG_ATTRIBUTES = (q("fo:language"), q("fo:country"), q("style:rfc-language-tag"))
COUNTRIES = {"en": "US", "ru": "RU", "tr": "TR", "de": "DE", "fr": "FR", "uk": "UA"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


# --- styles -----------------------------------------------------------------------------------


class _Styles:
    """Text styles by name, for telling which spans look different (and what they change)."""

    def __init__(self, *roots) -> None:
        self.styles: dict[str, object] = {}
        for root in roots:
            if root is None:
                continue
            for style in root.iter(STYLE):
                if style.get(q("style:family")) == "text" and style.get(NAME):
                    self.styles.setdefault(style.get(NAME), style)
        self.keys: dict[str, tuple | None] = {}

    def key(self, name: str | None) -> tuple | None:
        """What a span with this style looks like beyond its paragraph: None when nothing."""
        if not name:
            return None
        if name not in self.keys:
            style = self.styles.get(name)
            if style is None or style.getparent().tag != q("office:automatic-styles"):
                self.keys[name] = ("style", name)  # a named style (Emphasis): always shows
            else:
                props = style.find(TEXT_PROPS)
                visible = tuple(
                    sorted(
                        (k, v)
                        for k, v in (props.attrib.items() if props is not None else ())
                        if k not in INVISIBLE
                    )
                )
                parent = style.get(PARENT_STYLE)
                inner = [etree.tostring(c) for c in props] if props is not None else []
                shows = visible or parent or inner
                self.keys[name] = ("span", parent, visible, tuple(inner)) if shows else None
        return self.keys[name]

    def name(self, style_name: str | None) -> str:
        """A pair's name for people: the one property its style changes, else "format"."""
        style = self.styles.get(style_name or "")
        if style is None or style.getparent().tag != q("office:automatic-styles"):
            return "style"
        props = style.find(TEXT_PROPS)
        kinds = {
            PROPERTY_NAMES.get(k, "format")
            for k in (props.attrib if props is not None else ())
            if k not in INVISIBLE
        }
        return kinds.pop() if len(kinds) == 1 else "format"


# --- reading a paragraph ----------------------------------------------------------------------


@dataclass
class _Wrap:
    key: tuple
    element: object


@dataclass
class _Text:
    text: str
    ctx: tuple  # _Wrap, outermost first
    literal: bool = False  # spaces of text:s: never collapsed


@dataclass
class _Node:
    element: object
    ctx: tuple


@dataclass
class _Pair:
    element: object  # the span or link, copied (without content) around the new words
    name: str


@dataclass
class _Standalone:
    nodes: list = field(default_factory=list)


@dataclass
class _Paragraph:
    source: TaggedText
    codes: dict[int, _Pair | _Standalone]
    outer: list  # wrappers around the whole paragraph (kept outside the unit)


def _tokens(element, ctx: tuple, styles: _Styles, out: list) -> None:
    if element.text:
        out.append(_Text(element.text, ctx))
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # a comment or processing instruction: not content
            pass
        elif tag == T_S:
            out.append(_Text(" " * _count(child), ctx, literal=True))
        elif tag == T_SPAN:
            key = styles.key(child.get(T_STYLE_NAME))
            inner = (*ctx, _Wrap(key, child)) if key is not None else ctx
            _tokens(child, inner, styles, out)
        elif tag == T_A:
            attrs = tuple(sorted((k, v) for k, v in child.attrib.items() if k != q("office:name")))
            _tokens(child, (*ctx, _Wrap(("a", attrs), child)), styles, out)
        elif tag != T_SOFT_BREAK:  # a page break where the last layout put it: dropped
            out.append(_Node(child, ctx))
        if child.tail:
            out.append(_Text(child.tail, ctx))


def _count(element) -> int:
    try:
        return max(1, int(element.get(T_C) or 1))
    except ValueError:
        return 1


def _keys(ctx: tuple) -> tuple:
    return tuple(wrap.key for wrap in ctx)


def _collapse(tokens: list) -> list:
    """White space as it shows: runs of it one space, none at the start of the paragraph;
    adjacent text in the same wrappers merged."""
    out: list = []
    space = True  # at the start of a paragraph leading white space does not show
    for tok in tokens:
        if isinstance(tok, _Text):
            text = tok.text
            if not tok.literal:
                text = SPACE.sub(" ", text)
                if space and text.startswith(" "):
                    text = text[1:]
            if not text:
                continue
            space = text.endswith(" ")
            last = out[-1] if out else None
            if isinstance(last, _Text) and _keys(last.ctx) == _keys(tok.ctx):
                out[-1] = _Text(last.text + text, last.ctx, True)
            else:
                out.append(_Text(text, tok.ctx, True))
        else:
            space = space or etree.QName(tok.element).localname in ("tab", "line-break")
            out.append(tok)
    return out


def _outer(tokens: list) -> int:
    """How many wrappers enclose every token (kept outside the unit)."""
    depth = min(len(tok.ctx) for tok in tokens)
    first = _keys(tokens[0].ctx)
    for tok in tokens:
        keys = _keys(tok.ctx)
        same = 0
        while same < depth and keys[same] == first[same]:
            same += 1
        depth = same
    return depth


def _node_name(element) -> str:
    local = etree.QName(element).localname
    if local == "note":
        return "endnote" if element.get(q("text:note-class")) == "endnote" else "footnote"
    if local == "frame":
        has_text = element.find(q("draw:text-box")) is not None
        return "text box" if has_text else "image"
    if local in FIELDS:
        return "field"
    return NODE_NAMES.get(local, local)


def analyse(paragraph, styles: _Styles) -> _Paragraph | None:
    """The paragraph as tagged text, or None when it has no text at all."""
    raw: list = []
    _tokens(paragraph, (), styles, raw)
    tokens = _collapse(raw)
    if not any(isinstance(tok, _Text) and tok.text.strip() for tok in tokens):
        return None
    depth = _outer(tokens)
    outer = [wrap.element for wrap in tokens[0].ctx[:depth]]
    parts: list[str | Tag] = []
    codes: dict[int, _Pair | _Standalone] = {}
    stack: list[tuple[tuple, int]] = []  # open pairs: (key, id)
    pending: int | None = None  # the standalone that a following node joins
    for tok in tokens:
        ctx = tok.ctx[depth:]
        keys = _keys(ctx)
        common = 0
        while common < len(stack) and common < len(keys) and stack[common][0] == keys[common]:
            common += 1
        if common < len(stack) or common < len(keys):
            pending = None
        while len(stack) > common:
            parts.append(Tag(stack.pop()[1], CLOSE))
        for wrap in ctx[common:]:
            pid = len(codes) + 1
            element = wrap.element
            name = "link" if element.tag == T_A else styles.name(element.get(T_STYLE_NAME))
            codes[pid] = _Pair(element, name)
            stack.append((wrap.key, pid))
            parts.append(Tag(pid, OPEN))
        if isinstance(tok, _Text):
            parts.append(tok.text)
            pending = None
        elif pending is not None:
            codes[pending].nodes.append(tok.element)
        else:
            pending = len(codes) + 1
            codes[pending] = _Standalone([tok.element])
            parts.append(Tag(pending, EMPTY))
    while stack:
        parts.append(Tag(stack.pop()[1], CLOSE))
    return _Paragraph(TaggedText.from_parts(parts).strip(), codes, outer)


def _inline_codes(analysed: _Paragraph) -> dict[int, InlineCode]:
    out = {}
    for cid, code in analysed.codes.items():
        if isinstance(code, _Pair):
            out[cid] = InlineCode(cid, "pair", code.name, _xml(code.element, shallow=True))
        else:
            names = [_node_name(node) for node in code.nodes]
            name = names[0] if len(set(names)) == 1 else "code"
            out[cid] = InlineCode(cid, "standalone", name, "".join(_xml(n) for n in code.nodes))
    return out


def _xml(element, shallow: bool = False) -> str:
    if shallow:
        element = _shell(element)
    else:
        element = copy.deepcopy(element)
        element.tail = None
    return etree.tostring(element, encoding="unicode")


def _shell(element):
    """A copy of `element` without its content (a span or link to fill again)."""
    shell = etree.Element(element.tag, attrib=dict(element.attrib), nsmap=element.nsmap)
    return shell


# --- writing a paragraph ----------------------------------------------------------------------


class _Builder:
    """Appends text to an element the way OpenDocument shows it: a space that would collapse
    becomes `text:s`, a tab `text:tab`, a newline `text:line-break`."""

    def __init__(self) -> None:
        self.space = True  # the paragraph starts: a leading space would not show

    def text(self, container, text: str) -> None:
        for piece in re.split(r"(\t|\n| +)", text):
            if not piece:
                continue
            if piece in ("\t", "\n"):
                etree.SubElement(container, T_TAB if piece == "\t" else T_BR)
                self.space = True
            elif piece.startswith(" "):
                shown = 0 if self.space else 1
                if shown:
                    self._plain(container, " ")
                if len(piece) > shown:
                    extra = etree.SubElement(container, T_S)
                    if len(piece) - shown > 1:
                        extra.set(T_C, str(len(piece) - shown))
                self.space = True
            else:
                self._plain(container, piece)
                self.space = False

    @staticmethod
    def _plain(container, text: str) -> None:
        if len(container):
            last = container[-1]
            last.tail = (last.tail or "") + text
        else:
            container.text = (container.text or "") + text


def rebuild(paragraph, analysed: _Paragraph, target: TaggedText) -> None:
    """Replace the paragraph's content (its attributes kept) by `target`'s text and tags."""
    codes = analysed.codes
    parts = list(target.parts())
    seen = {(tag.id, tag.kind) for _, tag in target.tags}
    # Defensive: a link whose tags went missing encloses the whole text; a lost standalone
    # (a note, a frame) is appended; a lost span only loses its formatting.
    for cid, code in codes.items():
        if isinstance(code, _Pair) and code.element.tag == T_A:
            if (cid, OPEN) not in seen:
                parts.insert(0, Tag(cid, OPEN))
            if (cid, CLOSE) not in seen:
                parts.append(Tag(cid, CLOSE))
        elif isinstance(code, _Standalone) and (cid, EMPTY) not in seen:
            parts.append(Tag(cid, EMPTY))
    for child in list(paragraph):
        paragraph.remove(child)
    paragraph.text = None
    container = paragraph
    for element in analysed.outer:
        container = etree.SubElement(container, element.tag, attrib=dict(element.attrib))
    builder = _Builder()
    stack: list[tuple[int, object]] = [(0, container)]  # (pair id, its element)
    placed: set[int] = set()
    for part in parts:
        top = stack[-1][1]
        if isinstance(part, str):
            builder.text(top, part)
            continue
        code = codes.get(part.id)
        opened = [pid for pid, _ in stack[1:]]
        if part.kind == OPEN and isinstance(code, _Pair) and part.id not in opened:
            stack.append((part.id, etree.SubElement(top, code.element.tag,
                                                    attrib=dict(code.element.attrib))))  # fmt: skip
        elif part.kind == CLOSE and part.id in opened:
            reopen = []
            while stack[-1][0] != part.id:
                reopen.append(stack.pop()[0])
            stack.pop()
            for pid in reversed(reopen):  # pairs closed out of order: opened again inside
                element = codes[pid].element
                shell = etree.SubElement(stack[-1][1], element.tag, attrib=dict(element.attrib))
                stack.append((pid, shell))
        elif part.kind == EMPTY and isinstance(code, _Standalone) and part.id not in placed:
            placed.add(part.id)
            for node in code.nodes:
                node.tail = None
                top.append(node)
                name = etree.QName(node).localname
                builder.space = name in ("tab", "line-break") or builder.space
    _drop_empty(paragraph)


def _drop_empty(paragraph) -> None:
    """Spans left without content by the target (a pair closed where it opened)."""
    for element in list(paragraph.iter(T_SPAN)):
        if not len(element) and not element.text and element is not paragraph:
            parent = element.getparent()
            if element.tail:
                previous = element.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + element.tail
                else:
                    parent.text = (parent.text or "") + element.tail
            parent.remove(element)


# --- where paragraphs are ---------------------------------------------------------------------


def _skipped(paragraph) -> bool:
    """Comments, tracked deletions, and spreadsheet cells that hold no text value."""
    for ancestor in paragraph.iterancestors():
        tag = ancestor.tag
        if tag in (ANNOTATION, T_TRACKED):
            return True
        if tag == CELL:
            kind = ancestor.get(VALUE_TYPE)
            return ancestor.get(FORMULA) is not None or kind not in (None, "string")
    return False


@dataclass
class _Part:
    name: str  # content.xml, styles.xml
    key: str  # in unit ids: "content", "styles"
    root: object


def _units_of(part: _Part) -> list:
    """The elements that are units of a part, in document order: paragraphs, frame titles
    and descriptions, presentation declarations."""
    root = part.root
    if part.key == "styles":
        holders = [e for e in root.iter() if e.tag in HEADER_FOOTER]
        elements = [e for h in holders for e in h.iter(T_P, T_H, SVG_TITLE, SVG_DESC)]
    else:
        body = root.find(BODY)
        elements = list(body.iter(T_P, T_H, SVG_TITLE, SVG_DESC, *DECLARATIONS))
    out = []
    for element in elements:
        if element.tag in (SVG_TITLE, SVG_DESC) and element.getparent().tag != FRAME:
            continue
        if element.tag in DECLARATIONS or element.tag in (SVG_TITLE, SVG_DESC):
            if any(a.tag == ANNOTATION for a in element.iterancestors()):
                continue
            out.append(element)
        elif not _skipped(element):
            out.append(element)
    return out


def _plain(element) -> TaggedText | None:
    """The text of a frame title or description, or of a declaration (no markup inside)."""
    text = SPACE.sub(" ", "".join(element.itertext())).strip()
    return TaggedText(text) if text else None


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _places(root, spreadsheet: bool) -> dict:
    """Element → where it is ("Sheet1!B3", "table Table1, row 2, cell 1", "slide 3")."""
    places: dict = {}
    rows: dict = {}
    for row in root.iter(ROW):
        table = next(row.iterancestors(TABLE), None)
        number = rows.get(table, 0) + 1
        rows[table] = number + _repeat(row, ROWS_REPEATED) - 1
        column = 0
        for cell in row:
            if cell.tag not in (CELL, COVERED):
                continue
            column += 1
            name = table.get(q("table:name"), "?") if table is not None else "?"
            if spreadsheet:
                places[cell] = f"{name}!{_column_name(column)}{number}"
            else:
                places[cell] = f"table {name}, row {number}, cell {column}"
            column += _repeat(cell, COLUMNS_REPEATED) - 1
    for number, page in enumerate(root.iter(PAGE), 1):
        places[page] = f"slide {number}"
    return places


def _repeat(element, attribute: str) -> int:
    try:
        return max(1, int(element.get(attribute) or 1))
    except ValueError:
        return 1


def _location(element, part: _Part, number: int, places: dict) -> str:
    where = []
    for ancestor in reversed(list(element.iterancestors())):
        tag = ancestor.tag
        if ancestor in places:
            where.append(places[ancestor])
        elif tag == NOTES:
            where.append("notes")
        elif tag == T_NOTE:
            where.append(f"{_node_name(ancestor)} {ancestor.get(q('text:id'), '')}".strip())
        elif tag == FRAME:
            name = ancestor.get(q("draw:name"))
            where.append(f"frame {name}" if name else "frame")
        elif tag in HEADER_FOOTER:
            where.append(etree.QName(tag).localname)
    kind = {SVG_TITLE: "title", SVG_DESC: "description"}.get(element.tag, "paragraph")
    if element.tag in DECLARATIONS:
        kind = etree.QName(element).localname
    label = f"{part.name} {kind} {number}" if part.key != "content" else f"{kind} {number}"
    return f"{label} ({'; '.join(where)})" if where else label


# --- the document -----------------------------------------------------------------------------


def _parse(archive: zipfile.ZipFile, name: str, label: str, suffix: str):
    try:
        return etree.fromstring(archive.read(name), PARSER)
    except etree.XMLSyntaxError as err:
        raise InputError(f"{label}: corrupt XML in {name} inside the {suffix} ({err})") from None


def _which(names: list[str]) -> str:
    if "word/document.xml" in names:
        return "a Word document (.docx)"
    if "xl/workbook.xml" in names:
        return "a spreadsheet (.xlsx)"
    if "ppt/presentation.xml" in names:
        return "a presentation (.pptx)"
    if "META-INF/container.xml" in names:
        return "an EPUB book"
    return "a ZIP archive"


def _open(data: bytes, label: str, suffix: str) -> tuple[object, object]:
    """(content root, styles root or None) after checking `data` is a safe, readable package."""
    if data.startswith(OLE_MAGIC):
        raise InputError(
            f"{label}: a legacy binary Office file (.doc, .xls, .ppt), not OpenDocument; "
            "save it in OpenDocument format"
        )
    if not data.strip():
        raise InputError(f"{label} is empty")
    with open_zip(data, label, kind=suffix) as archive:
        names = archive.namelist()
        if "content.xml" not in names:
            raise InputError(
                f"{label}: not an OpenDocument file ({_which(names)} without content.xml)"
            )
        if "META-INF/manifest.xml" in names:
            manifest = _parse(archive, "META-INF/manifest.xml", label, suffix)
            if manifest.find(f".//{q('manifest:encryption-data')}") is not None:
                raise InputError(
                    f"{label}: an encrypted (password-protected) OpenDocument file; "
                    "save it without a password"
                )
        content = _parse(archive, "content.xml", label, suffix)
        styles = _parse(archive, "styles.xml", label, suffix) if "styles.xml" in names else None
    if content.tag != q("office:document-content") or content.find(BODY) is None:
        local = etree.QName(content).localname if isinstance(content.tag, str) else "?"
        raise InputError(
            f"{label}: not a readable OpenDocument file (content.xml holds <{local}>, "
            "not document content with a body)"
        )
    return content, styles


class OdfDocument(WrittenByWriter, Document):
    """Any OpenDocument package; the subclasses differ only in name, endings and sniffing."""

    format = "odt"
    extensions: tuple[str, ...] = ()
    binary = True
    mimetype = b"application/vnd.oasis.opendocument.text"

    def __init__(self, path: Path | None, label: str, data: bytes, content, styles) -> None:
        super().__init__(path, label)
        self._data = data
        self._content = content
        self._styles = styles
        self._size = sum(len(_units_of(part)) for part in self._parts(content, styles))

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"mimetype" + cls.mimetype in head[:200]

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> OdfDocument:
        data = read_bytes(path)
        label = str(path)
        suffix = path.suffix.lower() or f".{cls.format}"
        content, styles = _open(data, label, suffix)
        return cls(path, label, data, content, styles)

    @staticmethod
    def _parts(content, styles) -> list[_Part]:
        parts = [_Part("content.xml", "content", content)]
        if styles is not None:
            parts.append(_Part("styles.xml", "styles", styles))
        return parts

    @property
    def size(self) -> int:
        return self._size

    def units(self) -> Iterator[Unit]:
        return linked(self._unlinked())

    def _unlinked(self) -> Iterator[Unit]:
        styles = _Styles(self._content, self._styles)
        spreadsheet = self._content.find(f"{BODY}/{q('office:spreadsheet')}") is not None
        for part in self._parts(self._content, self._styles):
            places = _places(part.root, spreadsheet)
            for number, element in enumerate(_units_of(part), 1):
                unit = _unit(element, styles, f"{part.key}:{number}")
                if unit is None:
                    continue
                unit.location = _location(element, part, number, places)
                yield unit

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _OdfWriter(self, lang, handle)


def _unit(element, styles: _Styles, uid: str) -> Unit | None:
    if element.tag in (T_P, T_H):
        analysed = analyse(element, styles)
        if analysed is None:
            return None
        return Unit(uid, analysed.source, _inline_codes(analysed))
    source = _plain(element)
    return Unit(uid, source) if source is not None else None


class _OdfWriter(UnitWriter):
    """Applies each chunk to a fresh parse of the package and writes it at the end."""

    def __init__(self, document: OdfDocument, lang: Language, handle: IO) -> None:
        super().__init__(document, lang, handle)
        with zipfile.ZipFile(io.BytesIO(document._data)) as archive:
            names = archive.namelist()
            self.roots = {
                name: etree.fromstring(archive.read(name), PARSER)
                for name in ("content.xml", "styles.xml", "meta.xml")
                if name in names
            }
        content, styles = self.roots["content.xml"], self.roots.get("styles.xml")
        self.styles = _Styles(content, styles)
        self.elements = {part.key: _units_of(part) for part in OdfDocument._parts(content, styles)}

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            key, _, number = item.unit.id.rpartition(":")
            elements = self.elements.get(key)
            if elements is None or not number.isdigit() or not 0 < int(number) <= len(elements):
                continue
            self.apply(elements[int(number) - 1], item.target)

    def apply(self, element, target: TaggedText) -> None:
        if element.tag in (T_P, T_H):
            analysed = analyse(element, self.styles)
            if analysed is not None and target != analysed.source:
                rebuild(element, analysed, target)
        elif _plain(element) != target:
            for child in list(element):
                element.remove(child)
            element.text = target.text

    def finish(self) -> None:
        _set_language(self.roots, self.lang)
        replaced = {
            name: etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            for name, root in self.roots.items()
        }
        rewrite(self.document._data, replaced, self.handle)
        self.elements.clear()


def _set_language(roots: dict, lang: Language) -> None:
    """The target language wherever the package declares a language: text properties of
    every style, and dc:language in meta.xml."""
    country = COUNTRIES.get(lang.iso)
    language, country_attr, tag = LANG_ATTRIBUTES
    for name in ("content.xml", "styles.xml"):
        root = roots.get(name)
        if root is None:
            continue
        for props in root.iter(TEXT_PROPS):
            if props.get(language) is None and props.get(tag) is None:
                continue
            props.set(language, lang.iso)
            if country:
                props.set(country_attr, country)
            else:
                props.attrib.pop(country_attr, None)
            if props.get(tag) is not None:
                props.set(tag, f"{lang.iso}-{country}" if country else lang.iso)
    meta = roots.get("meta.xml")
    holder = meta.find(q("office:meta")) if meta is not None else None
    if holder is not None:
        found = holder.find(q("dc:language"))
        if found is None:
            found = etree.SubElement(holder, q("dc:language"))
        found.text = f"{lang.iso}-{country}" if country else lang.iso


class OdtDocument(OdfDocument):
    format = "odt"
    extensions = (".odt", ".ott")
    mimetype = b"application/vnd.oasis.opendocument.text"


class OdsDocument(OdfDocument):
    format = "ods"
    extensions = (".ods", ".ots")
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"


class OdpDocument(OdfDocument):
    format = "odp"
    extensions = (".odp", ".otp")
    mimetype = b"application/vnd.oasis.opendocument.presentation"
