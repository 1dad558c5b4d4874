"""PowerPoint presentations (.pptx, .pptm) through python-pptx: one unit per paragraph.

Paragraphs (`a:p`) are found in every shape's text frame on every slide, in slide order:
shapes inside groups, table cells, and the speaker notes of each slide. Slide layouts and
masters are left alone (their text is the prompt a placeholder shows while it is empty); so
are charts and SmartArt, which live in parts of their own.

A paragraph is read at the XML level into tokens for dilmanc.documents.runs (shared with
DOCX): adjacent runs formatted alike are merged first, so PowerPoint's arbitrary run splits
(spell-check state, proofing language) never become tags; a run formatted differently is a
pair (`bold`, `italic`, `color`, `link` for a hyperlink, which DrawingML stores in the run's
properties, or `format`); line breaks (`a:br`) and fields (`a:fld`: slide number, date) are
standalone tags. Writing re-opens the presentation from the kept bytes for each language and
rebuilds each translated paragraph's runs; paragraph properties, the text frame's body
properties (autofit included: the box keeps its size), and everything outside translated
paragraphs are untouched. A text box whose translation is 30% longer or more than its source
is reported in `warnings`: it may no longer fit its box.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pptx
from lxml import etree
from pptx.oxml.ns import qn

from dilmanc.documents import runs
from dilmanc.documents.base import Document, Translated, Unit, UnitWriter, WrittenByWriter, linked
from dilmanc.documents.ooxml import macro_note, read_package
from dilmanc.errors import InputError
from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText

A_P, A_R, A_T, A_BR = qn("a:p"), qn("a:r"), qn("a:t"), qn("a:br")
A_PPR, A_RPR, A_END = qn("a:pPr"), qn("a:rPr"), qn("a:endParaRPr")
A_TBL, A_TR, A_TC, A_BODYPR = qn("a:tbl"), qn("a:tr"), qn("a:tc"), qn("a:bodyPr")
P_SP, P_FRAME, P_TXBODY, P_CNVPR = qn("p:sp"), qn("p:graphicFrame"), qn("p:txBody"), qn("p:cNvPr")
# How long a translation may grow before its box is reported (1.3: 30% longer).
OVERFLOW_RATIO = 1.3
# Run properties that do not change how text looks (proofing and editing state).
INVISIBLE_ATTRS = {"lang", "altLang", "noProof", "dirty", "err", "smtClean", "smtId", "bmk"}
INVISIBLE = {qn("a:ea"), qn("a:cs")}  # East Asian and complex-script fonts: not for az/en/ru
# Children of a:rPr that are one property whichever element holds it, and their order
# (ECMA-376 CT_TextCharacterProperties).
GROUPS = {
    **dict.fromkeys(("noFill", "solidFill", "gradFill", "blipFill", "pattFill", "grpFill"), "fill"),
    **dict.fromkeys(("effectLst", "effectDag"), "effect"),
    **dict.fromkeys(("uLnTx", "uLn"), "uLn"),
    **dict.fromkeys(("uFillTx", "uFill"), "uFill"),
}
_ORDER = "ln fill effect highlight uLn uFill latin ea cs sym hlinkClick hlinkMouseOver rtl extLst"
ORDER = {name: n for n, name in enumerate(_ORDER.split(" "))}
LABELS = {
    "@b": "bold",
    "@i": "italic",
    "@u": "underline",
    "@strike": "strike",
    "@sz": "size",
    "@baseline": "vertical alignment",
    "@cap": "caps",
    "@spc": "spacing",
    "fill": "color",
    "highlight": "highlight",
    "latin": "font",
    "uLn": "underline",
    "hlinkClick": "link",
    "hlinkMouseOver": "link",
}
NODE_NAMES = {"br": "break", "fld": "field"}
FITS = {
    qn("a:normAutofit"): "shrink-on-overflow",
    qn("a:spAutoFit"): "resize-shape-to-fit",
    qn("a:noAutofit"): "fixed-size",
}
LANG_TAGS = {"en": "en-US", "ru": "ru-RU", "tr": "tr-TR", "de": "de-DE", "fr": "fr-FR"}


def _group(tag: str) -> str:
    local = etree.QName(tag).localname
    return GROUPS.get(local, local)


class DrawingStyle(runs.Style):
    """DrawingML run properties: the attributes of `a:rPr` and its children."""

    def properties(self, rpr) -> dict[str, object]:
        if rpr is None:
            return {}
        found: dict[str, object] = {
            f"@{name}": value for name, value in rpr.attrib.items() if name not in INVISIBLE_ATTRS
        }
        for child in runs.children(rpr):
            if child.tag not in INVISIBLE:
                found[_group(child.tag)] = etree.tostring(child)
        return found

    def label(self, name: str) -> str:
        return LABELS.get(name, name.lstrip("@"))

    def combine(self, rpr, added: list[tuple[str, object]]):
        rpr = copy.deepcopy(rpr) if rpr is not None else etree.Element(A_RPR)
        for name, source in added:
            if name.startswith("@"):
                rpr.set(name[1:], source.get(name[1:]))
                continue
            if name not in ORDER:
                continue
            for old in [c for c in runs.children(rpr) if _group(c.tag) == name]:
                rpr.remove(old)
            new = next(c for c in runs.children(source) if _group(c.tag) == name)
            later = [i for i, c in enumerate(rpr) if ORDER.get(_group(c.tag), 99) > ORDER[name]]
            rpr.insert(later[0] if later else len(rpr), copy.deepcopy(new))
        return rpr


STYLE = DrawingStyle()


def analyse(paragraph) -> runs.Analysed | None:
    """A DrawingML paragraph as tagged text, or None when it has no text."""
    tokens: list[runs.Text | runs.Node] = []
    for child in paragraph:
        tag = child.tag
        if tag in (A_PPR, A_END) or not isinstance(tag, str):
            continue
        if tag == A_R:
            rpr, t = child.find(A_RPR), child.find(A_T)
            if t is not None and t.text:
                tokens.append(runs.Text(t.text, rpr, STYLE.key(rpr), ()))
            continue
        tokens.append(runs.Node(child, None, (), False, ()))
    return runs.analyse(tokens, STYLE)


class _Builder(runs.Builder):
    """DrawingML runs: `a:r` holding a copy of the run properties and one `a:t`; a newline in
    the target is a line break (`a:br`), kept before the paragraph's end properties."""

    style = STYLE
    kept = frozenset({A_PPR, A_END})
    tail = frozenset({A_END})

    def __init__(self, paragraph, codes, lang: str | None) -> None:
        super().__init__(paragraph, codes)
        self.lang = lang

    def _rpr(self, rpr):
        rpr = copy.deepcopy(rpr)
        if self.lang and rpr.get("lang"):
            rpr.set("lang", self.lang)
        rpr.attrib.pop("err", None)  # a spelling mark for the source text
        return rpr

    def new_run(self, container, rpr, *, translated: bool):
        run = self.append(container, etree.Element(A_R))
        if rpr is not None:
            run.append(self._rpr(rpr) if translated else copy.deepcopy(rpr))
        etree.SubElement(run, A_T)
        return run

    def text(self, text: str, container, rpr, key: tuple) -> None:
        for n, piece in enumerate(text.replace("\v", "\n").split("\n")):
            if n:
                br = self.append(container, etree.Element(A_BR))
                if rpr is not None:
                    br.append(self._rpr(rpr))
            if piece:
                t = self.run(container, rpr, key, translated=True).find(A_T)
                t.text = (t.text or "") + piece


# --- the presentation -------------------------------------------------------------------------


@dataclass
class _Part:
    key: str  # in unit ids: "slide3", "notes3"
    label: str  # in locations: "slide 3", "slide 3 notes"
    root: object
    notes: bool


def _parts(presentation) -> list[_Part]:
    found = []
    for number, slide in enumerate(presentation.slides, 1):
        found.append(_Part(f"slide{number}", f"slide {number}", slide.element, False))
        if slide.has_notes_slide:  # asking `notes_slide` would add one
            root = slide.notes_slide.element
            found.append(_Part(f"notes{number}", f"slide {number} notes", root, True))
    return found


def _paragraphs(root) -> list:
    return runs.outside_fallbacks(root, A_P)


def _shape(paragraph):
    """The slide shape (or graphic frame, for a table) a paragraph belongs to."""
    return next(paragraph.iterancestors(P_SP, P_FRAME), None)


def _shape_name(shape) -> str:
    found = next(shape.iter(P_CNVPR), None) if shape is not None else None
    return found.get("name", "") if found is not None else ""


def _location(paragraph, part: _Part) -> str:
    where = [part.label]
    shape = _shape(paragraph)
    if shape is not None and not part.notes:
        where.append(f"'{_shape_name(shape)}'")
    cell = next(paragraph.iterancestors(A_TC), None)
    if cell is not None:
        row = cell.getparent()
        rows = [r for r in row.getparent() if r.tag == A_TR]
        cells = [c for c in row if c.tag == A_TC]
        where.append(f"row {rows.index(row) + 1}, cell {cells.index(cell) + 1}")
    body = paragraph.getparent()
    number = [p for p in body if p.tag == A_P].index(paragraph) + 1
    where.append(f"paragraph {number}")
    return ", ".join(where)


def _open(data: bytes, label: str):
    try:
        return pptx.Presentation(io.BytesIO(data))
    except etree.XMLSyntaxError as err:
        raise InputError(f"{label}: corrupt XML inside the .pptx ({err})") from None
    except Exception as err:  # python-pptx raises KeyError/ValueError/... on broken packages
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"{label}: not a readable .pptx ({reason})") from None


class PptxDocument(WrittenByWriter, Document):
    format = "pptx"
    extensions = (".pptx", ".pptm")
    binary = True

    def __init__(self, path: Path | None, label: str, data: bytes, macros: bool) -> None:
        super().__init__(path, label)
        self._data = data
        self._presentation = _open(data, label)
        self._shared = False  # a writer is using the loaded presentation
        self._changed = False  # ... and has changed it
        self.macros = macros
        self._size = sum(1 for _ in self.units())

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"ppt/" in head

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> PptxDocument:
        package = read_package(path, "pptx")
        return cls(path, str(path), package.data, package.has_macros)

    @property
    def size(self) -> int:
        return self._size

    def units(self) -> Iterator[Unit]:
        return linked(self._unlinked())

    def _for_writer(self):
        """(presentation, shared): the loaded one for the first writer (no second parse of
        the package in a one-language run), else a fresh one."""
        if self._shared or self._changed:
            return _open(self._data, self.label), False
        self._shared = True
        return self._presentation, True

    def _unlinked(self) -> Iterator[Unit]:
        if self._changed:  # a writer has translated the loaded presentation: read it again
            self._presentation = _open(self._data, self.label)
            self._shared = self._changed = False
        for part in _parts(self._presentation):
            for number, paragraph in enumerate(_paragraphs(part.root), 1):
                analysed = analyse(paragraph)
                if analysed is None:
                    continue
                unit = Unit(
                    f"{part.key}:{number}",
                    analysed.source,
                    runs.inline_codes(analysed, NODE_NAMES),
                    location=_location(paragraph, part),
                )
                yield unit

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _PptxWriter(self, lang, handle)


class _PptxWriter(UnitWriter):
    """Applies each chunk of translations to the presentation as it arrives (the loaded one
    for the first writer, a fresh one for others) and saves it at the end, with the text
    boxes that grew too much in `warnings`."""

    def __init__(self, document: PptxDocument, lang: Language, handle: IO) -> None:
        super().__init__(document, lang, handle)
        self.copy, self.shared = document._for_writer()
        self.lang_tag = LANG_TAGS.get(lang.iso, lang.iso)
        self.parts = {part.key: part for part in _parts(self.copy)}
        self.paragraphs = {key: _paragraphs(part.root) for key, part in self.parts.items()}
        self.lengths: dict[object, list] = {}  # slide text body → [location, source, target]

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            key, _, number = item.unit.id.rpartition(":")
            paragraphs = self.paragraphs.get(key)
            if paragraphs is None or not number.isdigit() or not 0 < int(number) <= len(paragraphs):
                continue
            self.apply(self.parts[key], paragraphs[int(number) - 1], item.target)

    def apply(self, part: _Part, paragraph, target: TaggedText) -> None:
        analysed = analyse(paragraph)
        if analysed is None or target == analysed.source:
            return
        if self.shared:
            self.document._changed = True
        twin = runs.fallback_twin(paragraph, A_P)
        runs.rebuild(_Builder(paragraph, analysed.codes, self.lang_tag), analysed, target)
        if twin is not None:
            twin_analysed = analyse(twin)
            if twin_analysed is not None and twin_analysed.source == analysed.source:
                runs.rebuild(_Builder(twin, twin_analysed.codes, self.lang_tag), twin_analysed,
                             target)  # fmt: skip
        body = paragraph.getparent()
        if part.notes or body.tag != P_TXBODY or body.getparent().tag != P_SP:
            return  # notes have no box; table rows grow with their text
        if body not in self.lengths:
            self.lengths[body] = [f"{part.label}, '{_shape_name(body.getparent())}'", 0, 0]
        self.lengths[body][1] += len(analysed.source.text)
        self.lengths[body][2] += len(target.text)

    def finish(self) -> None:
        self.document.warnings = macro_note(self.document)
        for body, (where, source, target) in self.lengths.items():
            if source and target >= source * OVERFLOW_RATIO:
                kinds = runs.children(body.find(A_BODYPR))
                fit = next((FITS[c.tag] for c in kinds if c.tag in FITS), "")
                self.document.warnings.append(
                    f"{where}: the {self.lang.iso} text is {round(100 * (target / source - 1))}% "
                    f"longer than the source; check that it fits its "
                    f"{fit + ' ' if fit else ''}text box"
                )
        self.copy.save(self.handle)
        self.lengths.clear()
        if self.shared:
            self.document._shared = False
