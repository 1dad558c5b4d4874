"""TMX 1.4b read as bilingual units: one `Unit` per (source `<tuv>`, target `<tuv>`) pair,
with its languages and metadata in `Unit.record`. What a memory import reads; `memory.units`
makes the units memory units, `memory.tmx` writes TMX back.

Reading streams with lxml `iterparse` (each `<tu>` is freed once read, so memory stays flat on
large files) and never loads a DTD, resolves an entity or touches the network. A document
type declaration with an internal subset (where ENTITY declarations live) is refused; the
plain `<!DOCTYPE tmx SYSTEM "tmx14.dtd">` line CAT tools write is accepted, and its DTD is
never read.

* Languages: `xml:lang` (or TMX 1.1 `lang`), as stored by `languages.stored_language` (en-GB →
  en unless `keep_variants`). `srclang` comes from the `<tu>` or the header; `*all*` means
  every `<tuv>` can be a source. Each (source tuv, other tuv) pair becomes one unit, so a
  `<tu>` with az, en and ru gives az→en and az→ru (and every pair for `*all*`). Two variants
  of one language (en-US and en-GB) keep their variants in that pair instead of both becoming
  en; only two `<tuv>`s in the very same language make no unit. Whatever is left out is
  counted in `skipped` by reason, never dropped silently.
* Inline codes: bpt/ept pairs and hi are paired tags, ph/it/ut/x and unpaired bpt/ept
  standalone ones; each `InlineCode` is named by its element (`bpt`, `hi`, `ph`, ...) and its
  `data` is its TMX markup `(open, close)`, written back as it came. Each side's tags are
  numbered in its own order (the memory pairs a target code with the source code of the same
  `i` or `x`). `datatype` (of the `<tu>`, else the header) says how to read the markup.
* Kept in `Unit.record`: tuid, creationdate/creationid/changedate/changeid (from the `<tu>`,
  else the target `<tuv>`), the `<prop>`s of the `<tu>` and the target `<tuv>`; their
  `<note>`s are the unit's notes. Props `prev`/`next` (OmegaT's context) become the unit's
  prev/next, `x-dilmanc-origin` the record's origin.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import quoteattr

from dilmanc.documents.base import InlineCode, Record, Unit, UnitState
from dilmanc.errors import PASS, InputError
from dilmanc.languages import base_language, option_language, stored_language
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PROP_PREV, PROP_NEXT, PROP_ORIGIN = "prev", "next", "x-dilmanc-origin"
CONTEXT_PROPS = {PROP_PREV: "prev", "x-context-prev": "prev", PROP_NEXT: "next"}
CONTEXT_PROPS["x-context-next"] = "next"
DATE_ATTRS = (
    ("creationdate", "created"),
    ("creationid", "creation_id"),
    ("changedate", "changed"),
    ("changeid", "change_id"),
)


def _local(el) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def open_xml_events(path: str | Path, kind: str, events=("start", "end")):
    """A safe lxml iterparse over `path` (no DTD loading, no entities, no network)."""
    from lxml import etree

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a file")
    try:
        handle = p.open("rb")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror})") from None
    parser = etree.iterparse(
        handle,
        events=events,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    return handle, parser


def _internal_subset(path) -> bool:
    """Does the file's DOCTYPE have an internal subset (`<!DOCTYPE x [ ... ]>`)?"""
    with Path(path).open("rb") as handle:
        head = handle.read(65536)
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[2:].decode(codec, errors="ignore")
            break
    else:
        text = head.decode("utf-8", errors="ignore")
    return bool(re.search(r"<!DOCTYPE[^>\[]*\[", text))


def check_doctype(root, path, kind: str) -> None:
    """Refuse a DOCTYPE with an internal subset (where ENTITY declarations live) or one that
    points outside; only TMX's plain `<!DOCTYPE tmx SYSTEM "tmx14.dtd">` is let through."""
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    declares = dtd is not None and (any(dtd.iterentities()) or any(dtd.iterelements()))
    if declares or (info.doctype and _internal_subset(path)):
        raise InputError(
            f"{path}: line 1: the {kind} file declares a DOCTYPE with entities or an "
            "internal subset; refused (entities are never expanded)"
        )
    if info.doctype and kind != "TMX":
        raise InputError(f"{path}: line 1: the {kind} file declares a DOCTYPE; refused")
    system = info.system_url or ""
    if info.doctype and ("/" in system or ":" in system):
        raise InputError(f"{path}: line 1: the TMX DOCTYPE points at {system!r}; refused")


def syntax_error(path, kind: str, err) -> InputError:
    line = getattr(err, "lineno", None) or getattr(err, "position", (1,))[0] or 1
    message = str(getattr(err, "msg", "") or err).split(", line ")[0].strip()
    if "Start tag expected" in message or "Document is empty" in message:
        return InputError(f"{path}: line {line}: not an XML file, so not {kind}")
    if "Entity" in message or "entity" in message:
        return InputError(f"{path}: line {line}: entity reference refused in {kind} ({message})")
    return InputError(f"{path}: line {line}: malformed {kind} ({message})")


def _start_tag(el) -> str:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in el.attrib.items())
    return f"<{_local(el)}{attrs}>"


def _markup(el) -> str:
    from lxml import etree

    return etree.tostring(el, encoding="unicode", with_tail=False)


def read_seg(seg) -> tuple[TaggedText, dict[int, InlineCode]]:
    """A TMX `<seg>` as tagged text and the code behind each tag (see the module docstring)."""
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    open_pairs: dict[str, int] = {}  # bpt `i` → its tag number, until its ept comes

    def code(name: str, open_: str, close: str = "") -> int:
        n = len(codes) + 1
        codes[n] = InlineCode(n, "pair" if close else "standalone", name, (open_, close))
        return n

    def walk(el) -> None:
        if el.text:
            parts.append(el.text)
        for child in el:
            name = _local(child)
            if name == "bpt":
                n = code("bpt", _markup(child))
                open_pairs[child.get("i", "")] = n
                parts.append(Tag(n, OPEN))
            elif name == "ept" and child.get("i", "") in open_pairs:
                n = open_pairs.pop(child.get("i", ""))
                codes[n] = InlineCode(n, "pair", "bpt", (codes[n].data[0], _markup(child)))
                parts.append(Tag(n, CLOSE))
            elif name == "hi":
                n = code("hi", _start_tag(child), "</hi>")
                parts.append(Tag(n, OPEN))
                walk(child)
                parts.append(Tag(n, CLOSE))
            elif name:  # ph, it, ut, x, an unpaired ept, or anything else: standalone
                parts.append(Tag(code(name, _markup(child)), EMPTY))
            if child.tail:
                parts.append(child.tail)

    walk(seg)
    unclosed = set(open_pairs.values())  # a bpt never closed is a standalone code
    parts = [Tag(p.id, EMPTY) if isinstance(p, Tag) and p.id in unclosed else p for p in parts]
    return TaggedText.from_parts(parts), codes


class _Tuv(NamedTuple):
    lang: str  # as stored: en-GB → en unless variants are kept
    variant: str  # with its variant: en-GB
    text: TaggedText
    codes: dict[int, InlineCode]
    el: object


def _props_notes(el) -> tuple[list[tuple[str, str]], list[str]]:
    props, notes = [], []
    for child in el:
        name = _local(child)
        if name == "prop":
            props.append((child.get("type", ""), child.text or ""))
        elif name == "note":
            notes.append(child.text or "")
    return props, notes


def _narrow(tuvs: list[_Tuv], variant: str | None) -> list[_Tuv]:
    """Those of `tuvs` in exactly `variant` if there are any (the others are targets)."""
    exact = [t for t in tuvs if t.variant == variant]
    return exact or tuvs


def _same(code: str, wanted: str) -> bool:
    return code == wanted if "-" in wanted else base_language(code) == wanted


def _first(value: str | None, fallback: str | None) -> str | None:
    return value if value is not None else fallback


def _pair(src: _Tuv, tgt: _Tuv) -> tuple[str, str] | None:
    """The languages a unit from `src` to `tgt` is stored under: two variants of one
    language (en-US → en-GB) keep their variants rather than becoming en → en; None for
    two `<tuv>`s in the very same language."""
    if src.lang != tgt.lang:
        return src.lang, tgt.lang
    return (src.variant, tgt.variant) if src.variant != tgt.variant else None


class _Reader:
    def __init__(self, path, src_lang, tgt_lang, keep_variants, skipped) -> None:
        self.path = str(path)
        self.keep = keep_variants
        self.skipped = skipped if skipped is not None else Counter()
        self.src = option_language(src_lang, "src_lang", keep_variants)
        self.src_variant = stored_language(src_lang, True) if src_lang else None
        self.tgt = option_language(tgt_lang, "tgt_lang", keep_variants)
        self.header_src: str | None = None  # the header's srclang as written
        self.header_all = False
        self.header_datatype: str | None = None

    def lang(self, code: str | None, line: int, what: str) -> str:
        if not code:
            raise InputError(f"{self.path}: line {line}: {what} has no xml:lang")
        lang = stored_language(code, self.keep)
        if lang is None:
            raise InputError(f"{self.path}: line {line}: {what} has an invalid xml:lang {code!r}")
        return lang

    def header(self, el) -> None:
        datatype = el.get("datatype")
        self.header_datatype = None if datatype == "unknown" else datatype  # as dilmanc writes
        srclang = el.get("srclang")
        if srclang and srclang.strip().lower() == "*all*":
            self.header_all = True
        elif srclang:
            self.lang(srclang, el.sourceline or 1, "the header's srclang")
            self.header_src = srclang

    def units(self, tu) -> Iterator[Unit]:
        line = tu.sourceline or 0
        tuvs = self._tuvs(tu, line)
        skipped_before = sum(self.skipped.values())
        made = 0
        for src in self._sources(tu, tuvs, line):
            for tgt in tuvs:
                langs = _pair(src, tgt)
                if tgt is src or langs is None:
                    continue
                if self.tgt is not None and not _same(langs[1], self.tgt):
                    continue
                if not src.text.text.strip() or not tgt.text.text.strip():
                    self.skipped["empty"] += 1
                    continue
                made += 1
                yield self._unit(tu, line, src, tgt, langs)
        if not made and sum(self.skipped.values()) == skipped_before:
            where = self.tgt or "another language"
            self.skipped[f"<tu> with no <tuv> in {where}"] += 1

    def _tuvs(self, tu, line: int) -> list[_Tuv]:
        tuvs = []
        for tuv in tu:
            if _local(tuv) != "tuv":
                continue
            tuv_line = tuv.sourceline or line
            code = tuv.get(XML_LANG) or tuv.get("lang")
            lang = self.lang(code, tuv_line, "<tuv>")
            segs = [el for el in tuv if _local(el) == "seg"]
            if len(segs) != 1:
                raise InputError(f"{self.path}: line {tuv_line}: <tuv> needs exactly one <seg>")
            text, codes = read_seg(segs[0])
            tuvs.append(_Tuv(lang, stored_language(code, True) or lang, text, codes, tuv))
        if not tuvs:
            raise InputError(f"{self.path}: line {line}: <tu> has no <tuv>")
        return tuvs

    def _sources(self, tu, tuvs: list[_Tuv], line: int) -> list[_Tuv]:
        """The `<tuv>`s that are sources: of src_lang, of the declared srclang (the variant it
        names when the unit has it, else any variant), or all of them for `*all*`."""
        srclang = tu.get("srclang")
        every = self.header_all
        declared = self.header_src
        if srclang:
            every = srclang.strip().lower() == "*all*"
            if not every:
                self.lang(srclang, line, "the <tu>'s srclang")
                declared = srclang
        if self.src is not None:
            sources = [t for t in tuvs if _same(t.lang, self.src)]
            if not sources:
                self.skipped[f"<tu> with no <tuv> in {self.src}"] += 1
            return _narrow(sources, self.src_variant)
        if every:
            return tuvs
        if declared is None:
            raise InputError(
                f"{self.path}: line {line}: no srclang in the header or <tu>",
                setting="src_lang",
                template=PASS,
            )
        variant = stored_language(declared, True) or ""
        # the declared srclang picks its language, whatever variant a tuv names
        sources = [t for t in tuvs if base_language(t.variant) == base_language(variant)]
        if not sources:
            raise InputError(
                f"{self.path}: line {line}: <tu> has no <tuv> in its source language "
                f"{stored_language(declared, self.keep)}"
            )
        return _narrow(sources, variant)

    def _unit(self, tu, line: int, src: _Tuv, tgt: _Tuv, langs: tuple[str, str]) -> Unit:
        dates = {name: _first(tu.get(attr), tgt.el.get(attr)) for attr, name in DATE_ATTRS}
        props, notes = _props_notes(tu)
        tuv_props, tuv_notes = _props_notes(tgt.el)
        context: dict[str, str] = {}
        kept = []
        origin = None
        for kind, value in [*props, *tuv_props]:
            if kind in CONTEXT_PROPS:
                context[CONTEXT_PROPS[kind]] = value
            elif kind == PROP_ORIGIN:
                origin = value
            else:
                kept.append((kind, value))
        tuid = tu.get("tuid")
        record = Record(
            langs[0],
            langs[1],
            tuid=tuid,
            datatype=tu.get("datatype") or self.header_datatype,
            props=tuple(kept),
            origin=origin,
            **dates,
        )
        return Unit(
            id=f"{tuid or line}:{src.variant}:{tgt.variant}",
            source=src.text,
            codes=src.codes,
            location=f"line {line}",
            notes=(*notes, *tuv_notes),
            prev=context.get("prev"),
            next=context.get("next"),
            target=tgt.text,
            state=UnitState.REVIEWED,
            target_codes=tgt.codes,
            approved=True,
            record=record,
        )


def read_tmx(
    path: str | Path,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    keep_variants: bool = False,
    skipped: Counter | None = None,
) -> Iterator[Unit]:
    """Stream the pairs of a TMX file as units; InputError (with the line) on anything
    malformed. What is left out (empty segments, a `<tu>` with nothing in the wanted
    languages) is counted in `skipped` by reason."""
    from lxml import etree

    reader = _Reader(path, src_lang, tgt_lang, keep_variants, skipped)
    handle, events = open_xml_events(path, "TMX")
    depth = 0
    seen_root = seen_body = False
    try:
        with handle:
            for event, el in events:
                if event == "start":
                    depth += 1
                    if not seen_root:
                        seen_root = True
                        check_doctype(el, path, "TMX")
                        if _local(el) != "tmx":
                            raise InputError(
                                f"{path}: line {el.sourceline}: not a TMX file "
                                f"(root element <{_local(el)}>, expected <tmx>)"
                            )
                    elif depth == 2 and _local(el) == "header":
                        reader.header(el)
                    elif depth == 2 and _local(el) == "body":
                        seen_body = True
                    continue
                depth -= 1
                if depth == 2 and _local(el) == "tu":
                    yield from reader.units(el)
                    el.clear(keep_tail=False)
                    parent = el.getparent()
                    while el.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as err:
        raise syntax_error(path, "TMX", err) from None
    if not seen_root:
        raise InputError(f"{path}: line 1: empty file, not TMX")
    if not seen_body:
        raise InputError(f"{path}: not a TMX file (no <body>)")
