"""XLIFF 1.2 and 2.0/2.1 with lxml: source → target for each translatable segment, every other
node, attribute, note and comment kept.

Units: 1.2 — one per `<trans-unit>` (one per `<mrk mtype="seg">` when it has a `<seg-source>`);
2.x — one per `<segment>` of a `<unit>`. `translate="no"` (on the unit, a group or the file)
units are not yielded. Unit ids are the trans-unit/unit ids (`#mid` or `#segment` appended
for segments, `fN/` prefixed when a document has several files); `notes` are the `<note>`s.

Inline codes: `<g>`, `<pc>` and `<mrk>` enclose text and become pairs; begin/end markers —
`<bx>`/`<ex>` (paired by rid or id), `<bpt>`/`<ept>` (rid or id), `<sc>`/`<ec>` (startRef),
`<sm>`/`<em>` (startRef) — become pairs when both ends are in the segment; `<x>`, `<ph>`,
`<it>`, `<cp>`, protected `<mrk>`s, unpaired markers and comments are standalone. Each code
keeps a serialized copy of its element(s), and the target is rebuilt from the tags wherever the
translation put them, with the same elements, attributes and code content.

States. Read: 1.2 `approved="yes"` and 2.x `state="final"`/`"reviewed"` segments are locked
(yielded with `translate=False`, never written over, even with --overwrite); other existing
targets are REVIEWED (MACHINE for a machine suggestion, NEW for `new`/`needs-translation`/
`initial`). Written: 1.2 `state="needs-review-translation" state-qualifier="mt-suggestion"`
for machine output, `state="translated"` with `exact-match`/`id-match` for translation-memory
hits; 2.x `state="translated"` with `subState="dilmanc:mt"` or `"dilmanc:tm"`. A target that
quality estimation flagged, whatever its origin, is 1.2 `state="needs-review-translation"` with
`state-qualifier="x-dilmanc-qe-review"` or `"x-dilmanc-qe-bad"`, and 2.x `subState=
"dilmanc:qe-review"` or `"dilmanc:qe-bad"`; read back, those are machine suggestions (redone).
The file's target language (1.2 `target-language`, 2.x `trgLang`) is set when missing and must
match `--to` when present (`check_target`).

Hostile XML is refused, never expanded: any DOCTYPE or ENTITY declaration is an InputError, and
the parser itself resolves no entities and loads nothing from the network.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from dilmanc.documents.base import Document, InlineCode, Origin, Translated, Unit, UnitState
from dilmanc.documents.repair import complete
from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_bytes
from dilmanc.languages import Language
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS2 = "urn:oasis:names:tc:xliff:document:2.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_WRAP = {"g", "pc", "mrk"}
_BEGIN = {"bx": "ex", "bpt": "ept", "sc": "ec", "sm": "em"}
_END = {end: begin for begin, end in _BEGIN.items()}
_HOSTILE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_MACHINE = frozenset({Origin.MACHINE, Origin.CACHE})
APPROVED_12 = frozenset({"translated", "signed-off", "final"})


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@dataclass
class _Slot:
    """One translatable place in a parsed tree, found again the same way in every write."""

    unit_id: str
    container: etree._Element  # trans-unit (1.2) or segment (2.x)
    source: etree._Element  # <source>, or the seg-source <mrk>
    file: etree._Element
    mid: str | None = None  # 1.2 seg-source segment id


class XliffDocument(Document):
    format = "xliff"
    extensions = (".xlf", ".xliff")
    binary = True
    carries_qe = True  # flagged targets: 1.2 needs-review state, 2.x dilmanc:qe-* subState

    def __init__(self, path: Path | None, label: str, data: bytes) -> None:
        super().__init__(path, label)
        self.data = data
        tree = self._parse()
        root = tree.getroot()
        if _local(root) != "xliff":
            raise InputError(f"{label}: line {root.sourceline}: not XLIFF (root <{_local(root)}>)")
        version = root.get("version", "")
        namespace = etree.QName(root).namespace or ""
        self.v2 = version.startswith("2") or namespace == NS2
        if not self.v2 and not (version.startswith("1") or namespace == NS12):
            raise InputError(f"{label}: unsupported XLIFF version {version!r} (1.2, 2.0, 2.1)")
        self.ns = namespace
        self.declared = self._declared(root)
        first = root.find(self._q("file"))
        holder = root if self.v2 or first is None else first
        self.declared_source = holder.get("srcLang" if self.v2 else "source-language", "")
        self._units: list[Unit] = []
        self._locked: set[str] = set()
        for slot in self._slots(tree):
            self._read(slot)
        for before, after in zip(self._units, self._units[1:], strict=False):
            after.prev = before.source.text
            before.next = after.source.text

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return b"<xliff" in head

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> XliffDocument:
        """Read an XLIFF file (its encoding comes from its XML declaration)."""
        data = read_bytes(path)
        if not data.strip():
            raise InputError(f"{path} is empty (nothing but whitespace)")
        return cls(path, str(path), data)

    @property
    def size(self) -> int:
        return len(self._units)

    # --- parsing ---------------------------------------------------------------------------
    def _parse(self) -> etree._ElementTree:
        head = self.data
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", errors="replace").encode("utf-8")
        m = _HOSTILE.search(head)
        if m:
            line = head.count(b"\n", 0, m.start()) + 1
            raise InputError(
                f"{self.label}: line {line}: DOCTYPE/ENTITY declarations are refused "
                "(XML entities are never expanded)"
            )
        try:
            tree = etree.ElementTree(etree.fromstring(self.data, _parser()))
        except etree.XMLSyntaxError as err:
            message = str(err.msg or err).splitlines()[0]
            raise InputError(
                f"{self.label}: line {err.lineno}: not well-formed XML: {message}"
            ) from None
        if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
            raise InputError(f"{self.label}: DOCTYPE declarations are refused")
        return tree

    def _q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def _find(self, element, name: str):
        return element.find(self._q(name))

    def _declared(self, root) -> str:
        if self.v2:
            return root.get("trgLang", "")
        files = root.findall(self._q("file"))
        return next((f.get("target-language", "") for f in files if f.get("target-language")), "")

    def _slots(self, tree) -> Iterator[_Slot]:
        root = tree.getroot()
        files = root.findall(self._q("file"))
        seen: dict[str, int] = {}
        for number, file in enumerate(files, 1):
            prefix = f"f{number}/" if len(files) > 1 else ""
            tag = "unit" if self.v2 else "trans-unit"
            for container in file.iter(self._q(tag)):
                if self._no_translate(container, file):
                    continue
                ident = container.get("id")
                if not ident:
                    raise InputError(
                        f"{self.label}: line {container.sourceline}: <{tag}> without an id"
                    )
                key = prefix + ident
                if key in seen:
                    raise InputError(
                        f"{self.label}: line {container.sourceline}: duplicate {tag} id "
                        f"{ident!r} (first on line {seen[key]})"
                    )
                seen[key] = container.sourceline
                if self.v2:
                    segments = container.findall(self._q("segment"))
                    for index, segment in enumerate(segments, 1):
                        source = self._required_source(segment, "segment")
                        suffix = f"#{segment.get('id') or index}" if len(segments) > 1 else ""
                        yield _Slot(key + suffix, segment, source, file)
                    continue
                source = self._required_source(container, tag)
                seg_source = self._find(container, "seg-source")
                marks = (
                    [m for m in seg_source.iter(self._q("mrk")) if m.get("mtype") == "seg"]
                    if seg_source is not None
                    else []
                )
                if not marks:
                    yield _Slot(key, container, source, file)
                for mark in marks:
                    mid = mark.get("mid", "")
                    yield _Slot(f"{key}#{mid}", container, mark, file, mid)

    def _required_source(self, container, tag: str):
        source = self._find(container, "source")
        if source is None:
            raise InputError(f"{self.label}: line {container.sourceline}: <{tag}> has no <source>")
        return source

    @staticmethod
    def _no_translate(container, file) -> bool:
        node = container
        while node is not None:
            if node.get("translate") == "no":
                return True
            if node is file:
                break
            node = node.getparent()
        return False

    def _read(self, slot: _Slot) -> None:
        parts, codes = _inline(slot.source)
        source = TaggedText.from_parts(parts)
        if not source.text.strip():
            return
        container = slot.container
        target_el = self._target_of(slot)
        unit = Unit(
            slot.unit_id,
            source,
            codes,
            location=f"{_local(container)} {container.get('id') or slot.unit_id!r}, "
            f"line {slot.source.sourceline}",
            notes=self._notes(slot),
        )
        if target_el is not None and (target_el.text or len(target_el)):
            target_parts, unit.target_codes = _inline(target_el)
            unit.target = TaggedText.from_parts(target_parts)
            unit.state = self._state(slot, target_el)
            unit.approved = self._approved(slot)
            if self._locked_slot(slot):
                unit.translate = False
                self._locked.add(unit.id)
        self._units.append(unit)

    def _target_of(self, slot: _Slot, create: bool = False):
        """The element holding this slot's target text (made when `create`), or None."""
        container = slot.container
        target = self._find(container, "target")
        seg_source = self._find(container, "seg-source") if slot.mid is not None else None
        if target is None and create:
            if seg_source is not None:
                # a new segmented target starts as a copy of seg-source (text between segments,
                # segment markers); the segments translated here are then filled in
                target = etree.Element(self._q("target"))
                target.text = seg_source.text
                for child in seg_source:
                    _copy_into(target, child).tail = child.tail
            else:
                target = etree.Element(self._q("target"))
            anchor = seg_source if seg_source is not None else slot.source
            before = anchor.getprevious()
            target.tail = anchor.tail
            anchor.tail = before.tail if before is not None else container.text
            anchor.addnext(target)
        if slot.mid is None or target is None:
            return target
        for mark in target.iter(self._q("mrk")):
            if mark.get("mtype") == "seg" and mark.get("mid") == slot.mid:
                return mark
        if not create:
            return None
        return etree.SubElement(target, self._q("mrk"), {"mtype": "seg", "mid": slot.mid})

    def _approved(self, slot: _Slot) -> bool:
        """1.2: `approved="yes"` or a target in state translated/signed-off/final; 2.x: a
        segment translated, reviewed or final (what a translation memory imports)."""
        if self.v2:
            return slot.container.get("state", "initial") in ("translated", "reviewed", "final")
        holder = self._find(slot.container, "target")
        state = holder.get("state", "") if holder is not None else ""
        return slot.container.get("approved") == "yes" or state in APPROVED_12

    def _locked_slot(self, slot: _Slot) -> bool:
        if self.v2:
            return slot.container.get("state") in ("final", "reviewed")
        return slot.container.get("approved") == "yes"

    def _state(self, slot: _Slot, target) -> UnitState:
        if self.v2:
            state = slot.container.get("state", "initial")
            if state in ("final", "reviewed"):
                return UnitState.REVIEWED
            if state == "initial":
                return UnitState.NEW
            if slot.container.get("subState", "").startswith(("dilmanc:mt", "dilmanc:qe")):
                return UnitState.MACHINE
            return UnitState.REVIEWED
        holder = self._find(slot.container, "target")
        state = holder.get("state", "") if holder is not None else ""
        qualifier = holder.get("state-qualifier", "") if holder is not None else ""
        if slot.container.get("approved") == "yes":
            return UnitState.REVIEWED
        if state in ("new", "needs-translation"):
            return UnitState.NEW
        if qualifier in ("mt-suggestion", "leveraged-mt") or qualifier.startswith("x-dilmanc-qe"):
            return UnitState.MACHINE
        return UnitState.REVIEWED

    def _notes(self, slot: _Slot) -> tuple[str, ...]:
        holder = slot.container
        if self.v2:
            holder = slot.container.getparent()  # notes belong to the <unit>
            notes = holder.find(self._q("notes"))
            found = notes.findall(self._q("note")) if notes is not None else []
        else:
            found = holder.findall(self._q("note"))
        return tuple(" ".join("".join(n.itertext()).split()) for n in found if n.text)

    def units(self) -> Iterator[Unit]:
        yield from self._units

    def languages(self) -> tuple[str | None, str | None]:
        """1.2: the first file's source-language and target-language; 2.x: srcLang, trgLang."""
        return self.declared_source.strip() or None, self.declared.strip() or None

    # --- writing ---------------------------------------------------------------------------
    def check_target(self, lang: Language) -> None:
        """UsageError when the file's declared target language is not `lang`."""
        declared = self.declared.strip()
        if declared and declared.lower().replace("_", "-").split("-")[0] != lang.iso.lower():
            raise UsageError(f"{self.label} declares target language {declared!r}, not {lang.iso}")

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        self.check_target(lang)
        tree = self._parse()  # fresh per language: nothing leaks between writes
        units = {unit.id: unit for unit in self._units}
        changed = False
        for slot in self._slots(tree):
            item = translations.get(slot.unit_id)
            unit = units.get(slot.unit_id)
            if item is None or unit is None or slot.unit_id in self._locked:
                continue
            if item.origin == Origin.KEPT and item.target == unit.target:
                continue
            target = self._target_of(slot, create=True)
            self._fill(target, complete(item.target, unit.codes, unit.source), unit.codes)
            self._mark(slot, item)
            changed = True
        if not changed:
            handle.write(self.data)  # nothing to change: the input, byte for byte
            return
        self._set_language(tree, lang)
        handle.write(self._serialize(tree))

    def _fill(self, target, tagged: TaggedText, codes: dict[int, InlineCode]) -> None:
        for child in list(target):
            target.remove(child)
        target.text = None
        stack = [target]
        for part in tagged.parts():
            parent = stack[-1]
            if isinstance(part, str):
                if len(parent):
                    parent[-1].tail = (parent[-1].tail or "") + part
                else:
                    parent.text = (parent.text or "") + part
                continue
            code = codes[part.id]
            kind, *elements = code.data
            if kind == "comment":
                comment = etree.Comment(elements[0])
                parent.append(comment)
            elif part.kind == EMPTY:
                _transplant(parent, elements[0])
            elif kind == "wrap" and part.kind == OPEN:
                stack.append(_transplant(parent, elements[0]))
            elif kind == "wrap":
                if len(stack) > 1:
                    stack.pop()
            else:
                _transplant(parent, elements[0 if part.kind == OPEN else 1])

    def _mark(self, slot: _Slot, item: Translated) -> None:
        origin = item.origin
        flagged = item.qe.verdict if item.needs_review else None  # review | bad
        if self.v2:
            segment = slot.container
            segment.set("state", "translated")
            if flagged:
                segment.set("subState", f"dilmanc:qe-{flagged}")
            elif origin == Origin.KEPT:  # copied through (nothing translatable in it)
                segment.attrib.pop("subState", None)
            else:
                segment.set("subState", "dilmanc:mt" if origin in _MACHINE else "dilmanc:tm")
            return
        target = self._find(slot.container, "target")
        if flagged:
            target.set("state", "needs-review-translation")
            target.set("state-qualifier", f"x-dilmanc-qe-{flagged}")
        elif origin in _MACHINE:
            target.set("state", "needs-review-translation")
            target.set("state-qualifier", "mt-suggestion")
        elif origin in (Origin.TM_EXACT, Origin.TM_CONTEXT):
            target.set("state", "translated")
            qualifier = "exact-match" if origin == Origin.TM_EXACT else "id-match"
            target.set("state-qualifier", qualifier)

    def _set_language(self, tree, lang: Language) -> None:
        root = tree.getroot()
        if self.v2:
            if not root.get("trgLang"):
                root.set("trgLang", lang.iso)
            return
        for file in root.findall(self._q("file")):
            if not file.get("target-language"):
                file.set("target-language", lang.iso)

    def _serialize(self, tree) -> bytes:
        """The tree as bytes, with the original prolog (declaration, comments) byte for byte."""
        root = tree.getroot()
        encoding = tree.docinfo.encoding or "UTF-8"
        body = etree.tostring(root, encoding=encoding, xml_declaration=False, with_tail=False)
        after = [
            etree.tostring(node, encoding=encoding, with_tail=False) for node in root.itersiblings()
        ]
        trailing = self.data[len(self.data.rstrip()) :]
        return self.data[: _prolog_end(self.data)] + b"\n".join([body, *after]) + trailing


def _prolog_end(data: bytes) -> int:
    """Offset of the root element's start tag (after the declaration, comments, PIs)."""
    pos = 3 if data.startswith(codecs.BOM_UTF8) else 0
    while pos < len(data):
        if data[pos : pos + 1].isspace():
            pos += 1
        elif data.startswith(b"<?", pos):
            pos = data.find(b"?>", pos) + 2
        elif data.startswith(b"<!--", pos):
            pos = data.find(b"-->", pos) + 3
        else:
            return pos
    return pos


# --- inline content ---------------------------------------------------------------------------
def _shell(element) -> str:
    """The element alone (attributes, no content), serialized."""
    copy = etree.Element(element.tag, dict(element.attrib), nsmap=element.nsmap)
    return etree.tostring(copy, encoding="unicode")


def _whole(element) -> str:
    """The element with its content (code text, <sub>), without its tail."""
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _transplant(parent, data: str):
    """Add a copy of serialized `data` under `parent` (no namespace re-declarations)."""
    element = etree.fromstring(data, _parser())
    return _copy_into(parent, element)


def _copy_into(parent, element):
    if not isinstance(element.tag, str):  # a comment or processing instruction
        copy = etree.Comment(element.text)
        parent.append(copy)
        return copy
    copy = etree.SubElement(parent, element.tag, dict(element.attrib))
    copy.text = element.text
    for child in element:
        _copy_into(copy, child).tail = child.tail
    return copy


def _events(element, out: list[tuple[str, object]]) -> None:
    if element.text:
        out.append(("text", element.text))
    for child in element:
        name = _local(child)
        protected = (name == "mrk" and child.get("mtype") == "protected") or (
            name == "mrk" and child.get("translate") == "no"
        )
        if name in _WRAP and not protected:
            out.append(("open", child))
            _events(child, out)
            out.append(("close", child))
        elif name in _BEGIN or name in _END:
            out.append(("marker", child))
        else:
            out.append(("standalone", child))
        if child.tail:
            out.append(("text", child.tail))


def _marker_key(element) -> tuple[str, str]:
    name = _local(element)
    begin = _END.get(name, name)
    if name in ("ec", "em"):
        return begin, element.get("startRef") or element.get("id", "")
    return begin, element.get("rid") or element.get("id", "")


def _inline(container) -> tuple[list[str | Tag], dict[int, InlineCode]]:
    """A <source>/<target>/<mrk>'s content as text and tags."""
    events: list[tuple[str, object]] = []
    _events(container, events)
    partner: dict[int, int] = {}
    waiting: dict[tuple[str, str], list[int]] = {}
    for index, (kind, element) in enumerate(events):
        if kind != "marker":
            continue
        name = _local(element)
        if name in _BEGIN:
            waiting.setdefault(_marker_key(element), []).append(index)
        else:
            key = _marker_key(element)
            if waiting.get(key):
                begin = waiting[key].pop()
                partner[begin] = index
                partner[index] = begin
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    ids: dict[int, int] = {}
    open_ids: dict[int, int] = {}  # id(element) of a wrap → tag id
    for index, (kind, element) in enumerate(events):
        if kind == "text":
            parts.append(element)
            continue
        if kind == "open":
            tag_id = len(codes) + 1
            open_ids[id(element)] = tag_id
            codes[tag_id] = InlineCode(tag_id, "pair", _local(element), ("wrap", _shell(element)))
            parts.append(Tag(tag_id, OPEN))
        elif kind == "close":
            parts.append(Tag(open_ids[id(element)], CLOSE))
        elif kind == "marker" and index in partner and partner[index] > index:
            tag_id = len(codes) + 1
            ids[index] = ids[partner[index]] = tag_id
            end = events[partner[index]][1]
            data = ("markers", _whole(element), _whole(end))
            codes[tag_id] = InlineCode(tag_id, "pair", _local(element), data)
            parts.append(Tag(tag_id, OPEN))
        elif kind == "marker" and index in partner:
            parts.append(Tag(ids[index], CLOSE))
        else:
            tag_id = len(codes) + 1
            if isinstance(element.tag, str):
                data = ("element", _whole(element))
            else:  # a comment or processing instruction inside the text
                data = ("comment", element.text or "")
            codes[tag_id] = InlineCode(tag_id, "standalone", _local(element) or "comment", data)
            parts.append(Tag(tag_id, EMPTY))
    return parts, codes
