"""Document units → translation-memory units: the one place a `documents.base.Unit` (a
`TaggedText` source and target with the format's inline codes) becomes a `TMUnit` (compact-tag
strings). Every bilingual format a memory imports (PO, XLIFF, TMX, TSV), and `tm align`, go
through here.

Tags: the source's tags keep their numbers; each target tag takes the number of the source
code with the same markup (`pair_numbers`), so `<g1>` is the same code on both sides. The
native markup itself is not stored (an export writes TMX `<bpt>`/`<ph>` codes for the tags),
as before for PO and XLIFF. A `context: …` note (a PO msgctxt) becomes the prop
`x-context`; the other notes are kept as they are.

Memory files (TMX, TSV) bring a `Record` with each unit: its languages and metadata are the
memory unit's, and TMX's native codes are kept as they came (an export writes them back), a
target code taking the number of the source code with the same TMX `i`/`x` (`pair_codes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dilmanc.documents.base import Unit
from dilmanc.memory.model import Codes, InlineCode, TMUnit, pair_codes, pair_numbers, renumber

CONTEXT_NOTE = "context: "


def _keys(codes: dict) -> dict[int, tuple]:
    """What pairs a code with its counterpart on the other side: its kind, name and markup."""
    return {n: (c.kind, c.name, repr(c.data)) for n, c in codes.items()}


def tm_unit(
    unit: Unit, src_lang: str, tgt_lang: str, origin: str | None, by_markup: bool = True
) -> TMUnit:
    """`unit` (with a target) as a memory unit; prev/next are set by `with_context`. Target
    tags take the numbers of the source codes with the same markup (`by_markup`), else of
    the source tags of their shape in order (two documents aligned)."""
    source = unit.source.render()
    target = unit.target.render() if unit.target is not None else ""
    if unit.target is not None and unit.target.tags:
        keys = (_keys(unit.codes), _keys(unit.target_codes)) if by_markup else ({}, {})
        mapping = pair_numbers(source, keys[0], target, keys[1])
        target = renumber(target, {}, mapping)[0]
    props = tuple(
        ("x-context", note[len(CONTEXT_NOTE) :])
        for note in unit.notes
        if note.startswith(CONTEXT_NOTE)
    )
    notes = tuple(note for note in unit.notes if not note.startswith(CONTEXT_NOTE))
    return TMUnit(
        source, target, src_lang, tgt_lang, origin=origin, tuid=None, props=props, notes=notes
    )


def _native(codes: dict) -> Codes:
    """Document codes that carry their TMX markup `(open, close)` as memory codes."""
    return {n: InlineCode(c.name, *c.data) for n, c in codes.items()}


def recorded_unit(unit: Unit, origin: str | None) -> TMUnit:
    """A unit of a memory file (TMX, TSV: `unit.record` set, a target present) as a memory
    unit; `origin` unless the record names the file it first came from."""
    record = unit.record
    source = unit.source.render()
    source_codes = _native(unit.codes)
    target, target_codes = pair_codes(
        source, source_codes, unit.target.render(), _native(unit.target_codes)
    )
    return TMUnit(
        source,
        target,
        record.src_lang,
        record.tgt_lang,
        prev=unit.prev,
        next=unit.next,
        tuid=record.tuid,
        creation_id=record.creation_id,
        created=record.created,
        change_id=record.change_id,
        changed=record.changed,
        origin=record.origin or origin,
        # the datatype only says how to read native codes
        datatype=record.datatype if source_codes or target_codes else None,
        props=record.props,
        notes=unit.notes,
        source_codes=source_codes,
        target_codes=target_codes,
    )


def with_context(units: list[TMUnit]) -> Iterator[TMUnit]:
    """Each unit's prev/next set to its neighbours' sources (document order)."""
    for i, unit in enumerate(units):
        prev = units[i - 1].source if i > 0 else None
        nxt = units[i + 1].source if i + 1 < len(units) else None
        yield unit.with_(prev=prev, next=nxt)


def approved_units(
    units: Iterable[Unit],
    src_lang: str,
    tgt_lang: str,
    origin: str | None,
    skipped,
    not_approved: str = "not approved",
    tuids: bool = False,
    derived: str = "",
) -> list[TMUnit]:
    """The units whose target the file marks approved, as memory units (document order);
    `skipped` (a Counter) counts the others by reason. `tuids`: the unit id becomes the tuid;
    units whose id contains `derived` (a PO message's plural forms, "3#plural") are left out
    without counting."""
    out: list[TMUnit] = []
    for unit in units:
        if derived and derived in unit.id:
            continue
        if unit.target is None or not unit.target.text.strip():
            skipped["untranslated"] += 1
        elif not unit.approved:
            skipped[not_approved] += 1
        elif not unit.source.text.strip():
            skipped["empty"] += 1
        else:
            tm = tm_unit(unit, src_lang, tgt_lang, origin)
            out.append(tm.with_(tuid=unit.id) if tuids else tm)
    return out
