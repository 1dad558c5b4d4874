"""TMX 1.4b import and export.

Reading streams with lxml `iterparse` (each `<tu>` is freed once read, so memory stays flat on
large files) and never loads a DTD, resolves an entity or touches the network. A document
type declaration with an internal subset (where ENTITY declarations live) is refused; the
plain `<!DOCTYPE tmx SYSTEM "tmx14.dtd">` line CAT tools write is accepted, and its DTD is
never read.

* Languages: `xml:lang` (or TMX 1.1 `lang`), normalized with `normalize.language` (en-GB → en
  unless `keep_variants`). `srclang` comes from the `<tu>` or the header; `*all*` means every
  `<tuv>` can be a source. Each (source tuv, other tuv) pair becomes one `TMUnit`, so a unit
  with az, en and ru gives az→en and az→ru (and every pair for `*all*`). Two variants of one
  language (en-US and en-GB) keep their variants in that pair instead of both becoming en;
  only two `<tuv>`s in the very same language make no unit. Whatever is left out is counted
  in `skipped` by reason, never dropped silently.
* Inline codes: bpt/ept pairs → `<gN>…</gN>`, hi → `<gN>…</gN>`, ph/it/ut/x and unpaired
  bpt/ept → `<xN/>`. The source's codes are numbered in order; a target code takes the
  number of the source code with the same `i` (bpt/ept) or `x` (the others), codes with
  neither are paired in order (`model.pair_numbers`). Each code's TMX markup is kept in
  `TMUnit.source_codes`/`target_codes` and written back on export, with the `datatype`
  (of the `<tu>`, else the header) that says how to read it.
* Kept: tuid, creationdate/creationid/changedate/changeid (from the `<tu>`, else the target
  `<tuv>`), `<prop>` and `<note>` of the `<tu>` and the target `<tuv>`. Props `prev`/`next`
  (OmegaT's context) become `TMUnit.prev`/`next`; `x-dilmanc-origin` the unit's origin.

Export writes one `<tu>` per unit (two `<tuv>`), so export → import gives the same units.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from dilmanc.errors import PASS, InputError, SettingError
from dilmanc.fileio import atomic_writer
from dilmanc.memory.model import Codes, InlineCode, TMUnit, default_code, pair_codes
from dilmanc.memory.normalize import base_language, language
from dilmanc.text.tagged import CLOSE, EMPTY, iter_tags

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STANDALONE = ("ph", "it", "ut", "x")
PROP_PREV, PROP_NEXT, PROP_ORIGIN = "prev", "next", "x-dilmanc-origin"
CONTEXT_PROPS = {PROP_PREV: "prev", "x-context-prev": "prev", PROP_NEXT: "next"}
CONTEXT_PROPS["x-context-next"] = "next"
DATE_ATTRS = (
    ("creationdate", "created"),
    ("creationid", "creation_id"),
    ("changedate", "changed"),
    ("changeid", "change_id"),
)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def _attr_text(name: str, value: str) -> str:
    return f" {name}={quoteattr(value)}"


def _start_tag(el) -> str:
    attrs = "".join(_attr_text(k, v) for k, v in el.attrib.items())
    return f"<{_local(el)}{attrs}>"


def _markup(el) -> str:
    from lxml import etree

    return etree.tostring(el, encoding="unicode", with_tail=False)


def seg_to_text(seg) -> tuple[str, dict[int, InlineCode]]:
    """A TMX `<seg>` as compact-tag text and the markup of each code."""
    parts: list[str] = []
    codes: dict[int, InlineCode] = {}
    open_pairs: dict[str, int] = {}
    counter = 0

    def walk(el) -> None:
        nonlocal counter
        if el.text:
            parts.append(el.text)
        for child in el:
            name = _local(child)
            if name == "bpt":
                counter += 1
                open_pairs[child.get("i", "")] = counter
                codes[counter] = InlineCode("bpt", _markup(child))
                parts.append(f"<g{counter}>")
            elif name == "ept" and child.get("i", "") in open_pairs:
                n = open_pairs.pop(child.get("i", ""))
                codes[n] = InlineCode("bpt", codes[n].open, _markup(child))
                parts.append(f"</g{n}>")
            elif name == "hi":
                counter += 1
                n = counter
                codes[n] = InlineCode("hi", _start_tag(child), "</hi>")
                parts.append(f"<g{n}>")
                walk(child)
                parts.append(f"</g{n}>")
            elif name:  # ph, it, ut, x, an unpaired ept, or anything else: standalone
                counter += 1
                codes[counter] = InlineCode(name, _markup(child))
                parts.append(f"<x{counter}/>")
            if child.tail:
                parts.append(child.tail)

    walk(seg)
    text = "".join(parts)
    for n in open_pairs.values():  # a bpt never closed is a standalone code
        text = text.replace(f"<g{n}>", f"<x{n}/>", 1)
    return text, codes


def text_to_seg(text: str, codes: dict[int, InlineCode]) -> str:
    """Compact-tag text back to the inside of a TMX `<seg>` (codes' markup restored)."""
    out: list[str] = []
    pos = 0
    for m, tag in iter_tags(text):
        out.append(escape(text[pos : m.start()]))
        pos = m.end()
        n = tag.id
        if tag.kind == EMPTY:
            out.append((codes.get(n) or default_code(n, False)).open)
            continue
        code = codes.get(n) or default_code(n, True)
        out.append(code.close if tag.kind == CLOSE else code.open)
    out.append(escape(text[pos:]))
    return "".join(out)


class _Tuv(NamedTuple):
    lang: str  # as stored: en-GB → en unless variants are kept
    variant: str  # with its variant: en-GB
    text: str
    codes: Codes
    el: object


class _Reader:
    def __init__(self, path, src_lang, tgt_lang, keep_variants, origin, skipped) -> None:
        self.path = str(path)
        self.keep = keep_variants
        self.origin = origin or Path(path).name
        self.skipped = skipped if skipped is not None else Counter()
        self.src = self._option(src_lang, "src_lang")
        self.src_variant = language(src_lang, True) if src_lang else None
        self.tgt = self._option(tgt_lang, "tgt_lang")
        self.header_src: str | None = None  # the header's srclang as written
        self.header_all = False
        self.header_datatype: str | None = None

    def _option(self, code: str | None, setting: str) -> str | None:
        if code is None:
            return None
        lang = language(code, self.keep)
        if lang is None:
            raise SettingError(setting, f"{code!r} is not a language code")
        return lang

    def lang(self, code: str | None, line: int, what: str) -> str:
        if not code:
            raise InputError(f"{self.path}: line {line}: {what} has no xml:lang")
        lang = language(code, self.keep)
        if lang is None:
            raise InputError(f"{self.path}: line {line}: {what} has an invalid xml:lang {code!r}")
        return lang

    @staticmethod
    def same(code: str, wanted: str) -> bool:
        return code == wanted if "-" in wanted else base_language(code) == wanted

    def header(self, el) -> None:
        datatype = el.get("datatype")
        self.header_datatype = None if datatype == "unknown" else datatype  # as dilmanc writes
        srclang = el.get("srclang")
        if srclang and srclang.strip().lower() == "*all*":
            self.header_all = True
        elif srclang:
            self.lang(srclang, el.sourceline or 1, "the header's srclang")
            self.header_src = srclang

    def units(self, tu) -> Iterator[TMUnit]:
        line = tu.sourceline or 0
        meta: dict[str, str | None] = {"tuid": tu.get("tuid")}
        for attr, name in DATE_ATTRS:
            meta[name] = tu.get(attr)
        meta["datatype"] = tu.get("datatype") or self.header_datatype
        props, notes = self._props_notes(tu)
        tuvs = self._tuvs(tu, line)
        skipped_before = sum(self.skipped.values())
        made = 0
        for src in self._sources(tu, tuvs, line):
            for tgt in tuvs:
                langs = self._pair(src, tgt)
                if tgt is src or langs is None:
                    continue
                if self.tgt is not None and not self.same(langs[1], self.tgt):
                    continue
                if not src.text.strip() or not tgt.text.strip():
                    self.skipped["empty"] += 1
                    continue
                made += 1
                yield self._unit(src, tgt, langs, meta, props, notes)
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
            text, codes = seg_to_text(segs[0])
            tuvs.append(_Tuv(lang, language(code, True) or lang, text, codes, tuv))
        if not tuvs:
            raise InputError(f"{self.path}: line {line}: <tu> has no <tuv>")
        return tuvs

    def _sources(self, tu, tuvs: list[_Tuv], line: int) -> list[_Tuv]:
        """The `<tuv>`s that are sources: of --src, of the declared srclang (the variant it
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
            sources = [t for t in tuvs if self.same(t.lang, self.src)]
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
        variant = language(declared, True) or ""
        # the declared srclang picks its language, whatever variant a tuv names
        sources = [t for t in tuvs if base_language(t.variant) == base_language(variant)]
        if not sources:
            raise InputError(
                f"{self.path}: line {line}: <tu> has no <tuv> in its source language "
                f"{language(declared, self.keep)}"
            )
        return _narrow(sources, variant)

    @staticmethod
    def _pair(src: _Tuv, tgt: _Tuv) -> tuple[str, str] | None:
        """The languages a unit from `src` to `tgt` is stored under: two variants of one
        language (en-US → en-GB) keep their variants rather than becoming en → en; None for
        two `<tuv>`s in the very same language."""
        if src.lang != tgt.lang:
            return src.lang, tgt.lang
        return (src.variant, tgt.variant) if src.variant != tgt.variant else None

    def _props_notes(self, el) -> tuple[list[tuple[str, str]], list[str]]:
        props, notes = [], []
        for child in el:
            name = _local(child)
            if name == "prop":
                props.append((child.get("type", ""), child.text or ""))
            elif name == "note":
                notes.append(child.text or "")
        return props, notes

    def _unit(self, src: _Tuv, tgt: _Tuv, langs, meta, props, notes) -> TMUnit:
        fields = dict(meta)
        for attr, name in DATE_ATTRS:
            if fields[name] is None:
                fields[name] = tgt.el.get(attr)
        tuv_props, tuv_notes = self._props_notes(tgt.el)
        context: dict[str, str] = {}
        kept = []
        origin = self.origin
        for kind, value in [*props, *tuv_props]:
            if kind in CONTEXT_PROPS:
                context[CONTEXT_PROPS[kind]] = value
            elif kind == PROP_ORIGIN:
                origin = value
            else:
                kept.append((kind, value))
        target, target_codes = pair_codes(src.text, src.codes, tgt.text, tgt.codes)
        if not src.codes and not target_codes:
            fields["datatype"] = None  # it only says how to read native codes
        return TMUnit(
            source=src.text,
            target=target,
            src_lang=langs[0],
            tgt_lang=langs[1],
            prev=context.get("prev"),
            next=context.get("next"),
            origin=origin,
            props=tuple(kept),
            notes=tuple([*notes, *tuv_notes]),
            source_codes=src.codes,
            target_codes=target_codes,
            **fields,
        )


def _narrow(tuvs: list[_Tuv], variant: str | None) -> list[_Tuv]:
    """Those of `tuvs` in exactly `variant` if there are any (the others are targets)."""
    exact = [t for t in tuvs if t.variant == variant]
    return exact or tuvs


def read_tmx(
    path: str | Path,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    keep_variants: bool = False,
    origin: str | None = None,
    skipped: Counter | None = None,
) -> Iterator[TMUnit]:
    """Stream the units of a TMX file; InputError (with the line) on anything malformed.
    What is left out (empty segments, a `<tu>` with nothing in the wanted languages) is
    counted in `skipped` by reason."""
    from lxml import etree

    reader = _Reader(path, src_lang, tgt_lang, keep_variants, origin, skipped)
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


def write_tmx(path: str | Path, units: Iterable[TMUnit], *, src_lang: str | None = None) -> int:
    """Write `units` as TMX 1.4b (atomically); returns how many were written."""
    from dilmanc import __version__

    count = 0
    header_src = src_lang or "*all*"
    with atomic_writer(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n')
        out.write(
            '  <header creationtool="dilmanc" creationtoolversion='
            f'{quoteattr(__version__)} segtype="sentence" o-tmf="dilmanc" adminlang="en" '
            f'srclang={quoteattr(header_src)} datatype="unknown"/>\n  <body>\n'
        )
        for unit in units:
            out.write(tu_xml(unit))
            count += 1
        out.write("  </body>\n</tmx>\n")
    return count


def _clean(text: str, unit: TMUnit) -> str:
    if _ILLEGAL_XML.search(text):
        raise InputError(f"unit {unit.id}: control characters cannot be written to TMX")
    return text


def tu_xml(unit: TMUnit) -> str:
    attrs = ""
    if unit.tuid is not None:
        attrs += _attr_text("tuid", unit.tuid)
    for attr, name in DATE_ATTRS:
        value = getattr(unit, name)
        if value is not None:
            attrs += _attr_text(attr, value)
    attrs += _attr_text("srclang", unit.src_lang)
    if unit.datatype:
        attrs += _attr_text("datatype", unit.datatype)
    lines = [f"    <tu{attrs}>"]
    for note in unit.notes:
        lines.append(f"      <note>{escape(_clean(note, unit))}</note>")
    props = list(unit.props)
    if unit.prev is not None:
        props.append((PROP_PREV, unit.prev))
    if unit.next is not None:
        props.append((PROP_NEXT, unit.next))
    if unit.origin:
        props.append((PROP_ORIGIN, unit.origin))
    for kind, value in props:
        lines.append(f"      <prop type={quoteattr(kind)}>{escape(_clean(value, unit))}</prop>")
    for lang, text, codes in (
        (unit.src_lang, unit.source, unit.source_codes),
        (unit.tgt_lang, unit.target, unit.target_codes),
    ):
        seg = text_to_seg(_clean(text, unit), codes)
        _check_seg(seg, unit)
        lines.append(f"      <tuv xml:lang={quoteattr(lang)}><seg>{seg}</seg></tuv>")
    lines.append("    </tu>\n")
    return "\n".join(lines)


def _check_seg(seg: str, unit: TMUnit) -> None:
    if "<" not in seg:
        return
    from lxml import etree

    try:
        etree.fromstring(f"<seg>{seg}</seg>")
    except etree.XMLSyntaxError:
        raise InputError(
            f"unit {unit.id}: its inline tags do not nest, so it cannot be written as TMX"
        ) from None
