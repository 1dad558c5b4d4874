"""TMX 1.4b import and export for the memory.

Import reads the file through the one TMX reader (`documents.tmx`, where languages, variants,
inline codes and metadata are described) and makes each pair a memory unit in
`memory.units`. Export writes one `<tu>` per unit (two `<tuv>`): each code's native markup as
it came (a made-up `<bpt>`/`<ph>` for tags no file brought), the `datatype`, tuid, dates,
props (prev/next as OmegaT's context props, the origin as `x-dilmanc-origin`) and notes, so
export → import gives the same units.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from dilmanc.documents.tmx import DATE_ATTRS, PROP_NEXT, PROP_ORIGIN, PROP_PREV
from dilmanc.documents.tmx import read_tmx as read_tmx_units
from dilmanc.errors import InputError
from dilmanc.fileio import atomic_writer
from dilmanc.memory.model import InlineCode, TMUnit, default_code
from dilmanc.memory.units import recorded_unit
from dilmanc.text.tagged import CLOSE, EMPTY, iter_tags

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def read_tmx(
    path: str | Path,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    keep_variants: bool = False,
    origin: str | None = None,
    skipped: Counter | None = None,
) -> Iterator[TMUnit]:
    """Stream the memory units of a TMX file (see `documents.tmx.read_tmx`); `origin` (else
    the file name) for units whose file does not name theirs."""
    units = read_tmx_units(
        path, src_lang=src_lang, tgt_lang=tgt_lang, keep_variants=keep_variants, skipped=skipped
    )
    origin = origin or Path(path).name
    return (recorded_unit(unit, origin) for unit in units)


def _attr_text(name: str, value: str) -> str:
    return f" {name}={quoteattr(value)}"


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
