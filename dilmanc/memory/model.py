"""Translation-memory data: `TMUnit` (one approved source/target pair), `InlineCode`, `TMMatch`,
`MemoryStats`, `IngestResult`.

Inline markup inside `source`/`target` uses dilmanc's compact tag form: paired `<g1>…</g1>`
and standalone `<x2/>`. The source's tags are numbered in order; a target tag carries the
number of the source code it stands for (`pair_numbers`), so `<g1>` is the same code on both
sides. `source_codes`/`target_codes` keep, for each number, the original TMX markup the tag
stands for, so an export writes it back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from itertools import count

from dilmanc.text.tagged import EMPTY, Tag, iter_tags, retag

# kind: "bpt" (a bpt/ept pair), "hi" (a <hi> element), or a standalone "ph", "it", "ut", "x"
PAIRED_KINDS = frozenset({"bpt", "hi"})


@dataclass(frozen=True)
class InlineCode:
    """One inline code: `open` is the TMX markup of `<gN>` (bpt element, or a `<hi ...>` start
    tag) or of `<xN/>` (the whole ph/it/ut/x element); `close` is the ept element or `</hi>`."""

    kind: str
    open: str
    close: str = ""

    def to_json(self) -> list[str]:
        return [self.kind, self.open, self.close] if self.close else [self.kind, self.open]

    @classmethod
    def from_json(cls, data: list[str]) -> InlineCode:
        return cls(*data)


Codes = dict[int, InlineCode]

_START_ATTRS = re.compile(r"""\s([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def default_code(n: int, paired: bool) -> InlineCode:
    """The TMX markup made up for tag `n` when no file brought one (`<bpt i=n/>`, `<ph x=n/>`)."""
    if paired:
        return InlineCode("bpt", f'<bpt i="{n}"/>', f'<ept i="{n}"/>')
    return InlineCode("ph", f'<ph x="{n}"/>')


def tag_shapes(text: str) -> dict[int, bool]:
    """Tag number → paired (`<gN>`) or not (`<xN/>`), in the order the tags first appear."""
    shapes: dict[int, bool] = {}
    for _, tag in iter_tags(text):
        shapes.setdefault(tag.id, tag.kind != EMPTY)
    return shapes


def code_key(code: InlineCode | None) -> tuple[str, str] | None:
    """What pairs a TMX code with its counterpart in another `<tuv>`: `i` for bpt/ept (then
    `x`), `x` for ph/it/ut/x/hi; None when the code has neither."""
    if code is None:
        return None
    start = code.open[: code.open.find(">") + 1]
    attrs = {m.group(1): m.group(2) or m.group(3) for m in _START_ATTRS.finditer(start)}
    for name in ("i", "x") if code.kind in ("bpt", "ept") else ("x",):
        if attrs.get(name):
            return name, attrs[name]
    return None


def pair_numbers(
    source: str,
    source_keys: dict[int, Hashable],
    target: str,
    target_keys: dict[int, Hashable],
) -> dict[int, int]:
    """Target tag number → the number it gets: the source tag with the same key (and shape);
    a target tag without a key takes the next source tag of its shape no target tag took
    (document order); any other gets a number the source does not use (its key's own number
    when that is free)."""
    src_shapes, tgt_shapes = tag_shapes(source), tag_shapes(target)
    by_key: dict[tuple, int] = {}
    for n, paired in src_shapes.items():
        if source_keys.get(n) is not None:
            by_key.setdefault((paired, source_keys[n]), n)
    mapping: dict[int, int] = {}
    unkeyed, unmatched = [], []
    for n, paired in tgt_shapes.items():
        key = target_keys.get(n)
        match = by_key.pop((paired, key), None) if key is not None else None
        if match is not None:
            mapping[n] = match
        else:
            (unmatched if key is not None else unkeyed).append(n)
    taken = set(mapping.values())
    for n in unkeyed:
        left = [m for m, p in src_shapes.items() if p == tgt_shapes[n] and m not in taken]
        if left:
            mapping[n] = left[0]
            taken.add(left[0])
        else:
            unmatched.append(n)
    for n in unmatched:
        new = _own_number(target_keys.get(n))
        if not new or new in src_shapes or new in taken:
            new = next(m for m in count(1) if m not in src_shapes and m not in taken)
        mapping[n] = new
        taken.add(new)
    return mapping


def _own_number(key: Hashable) -> int:
    """The number a key names (`("x", "9")` → 9), 0 if none."""
    value = key[-1] if isinstance(key, tuple) and key else key
    ok = isinstance(value, str) and value.isascii() and value.isdigit()
    return int(value) if ok and 0 < int(value) < 1000 else 0  # tags have 1-3 digits


def renumber(text: str, codes: Codes, mapping: dict[int, int]) -> tuple[str, Codes]:
    """`text` and `codes` with every tag number `n` made `mapping[n]`."""

    moved = {mapping.get(n, n): code for n, code in codes.items()}
    renamed = retag(text, lambda tag: Tag(mapping.get(tag.id, tag.id), tag.kind))
    return renamed, dict(sorted(moved.items()))


def pair_codes(source: str, source_codes: Codes, target: str, target_codes: Codes):
    """The target's text and codes numbered after the source's (TMX `i`/`x`, see
    `pair_numbers`)."""
    if not target_codes:
        return target, target_codes
    mapping = pair_numbers(
        source,
        {n: code_key(c) for n, c in source_codes.items()},
        target,
        {n: code_key(c) for n, c in target_codes.items()},
    )
    return renumber(target, target_codes, mapping)


@dataclass(frozen=True)
class TMUnit:
    """A human-approved translation pair. `prev`/`next` are the sources of the neighbouring
    units in the document it came from (None at either end or when unknown); `props` are TMX
    `<prop type=...>` pairs in order (a type may repeat); dates are TMX `YYYYMMDDThhmmssZ`."""

    source: str
    target: str
    src_lang: str
    tgt_lang: str
    prev: str | None = None
    next: str | None = None
    tuid: str | None = None
    creation_id: str | None = None
    created: str | None = None
    change_id: str | None = None
    changed: str | None = None
    origin: str | None = None
    datatype: str | None = None  # TMX datatype of its native codes ("html", "rtf", ...)
    props: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    source_codes: Codes = field(default_factory=dict)
    target_codes: Codes = field(default_factory=dict)
    id: int | None = None  # rowid in the memory database, None before it is stored

    def prop(self, kind: str) -> str | None:
        """The last `<prop type=kind>` value, or None."""
        found = [value for key, value in self.props if key == kind]
        return found[-1] if found else None

    def with_(self, **changes) -> TMUnit:
        return replace(self, **changes)

    def native_codes(self) -> str:
        """The inline codes a file brought (every code but a made-up `default_code`) as one
        JSON text, "" if none. Part of a unit's identity: two files with the same text but
        other native codes give two units, so each file's codes are written back."""
        parts = []
        for side, text, codes in (
            ("s", self.source, self.source_codes),
            ("t", self.target, self.target_codes),
        ):
            if not codes:
                continue
            shapes = tag_shapes(text)
            for n in sorted(codes):
                if codes[n] != default_code(n, shapes.get(n, True)):
                    parts.append([side, n, *codes[n].to_json()])
        return json.dumps(parts, ensure_ascii=False, separators=(",", ":")) if parts else ""

    def extra_json(self) -> str | None:
        """props, notes, datatype and inline codes as one JSON text (None when all are empty)."""
        data: dict = {}
        if self.datatype:
            data["d"] = self.datatype
        if self.props:
            data["p"] = [list(p) for p in self.props]
        if self.notes:
            data["n"] = list(self.notes)
        if self.source_codes:
            data["s"] = {str(k): v.to_json() for k, v in self.source_codes.items()}
        if self.target_codes:
            data["t"] = {str(k): v.to_json() for k, v in self.target_codes.items()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data else None

    @staticmethod
    def parse_extra(text: str | None) -> dict:
        if not text:
            return {}
        data = json.loads(text)
        return {
            "props": tuple(tuple(p) for p in data.get("p", ())),
            "notes": tuple(data.get("n", ())),
            "datatype": data.get("d"),
            "source_codes": {int(k): InlineCode.from_json(v) for k, v in data.get("s", {}).items()},
            "target_codes": {int(k): InlineCode.from_json(v) for k, v in data.get("t", {}).items()},
        }

    def to_json(self) -> dict:
        out = {
            "id": self.id,
            "src_lang": self.src_lang,
            "tgt_lang": self.tgt_lang,
            "source": self.source,
            "target": self.target,
        }
        for name in ("prev", "next", "tuid", "creation_id", "created", "change_id", "changed"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.origin:
            out["origin"] = self.origin
        if self.datatype:
            out["datatype"] = self.datatype
        if self.props:
            out["props"] = [list(p) for p in self.props]
        if self.notes:
            out["notes"] = list(self.notes)
        return out


MATCH_KINDS = ("context", "exact", "fuzzy")


@dataclass(frozen=True)
class TMMatch:
    """A memory hit: kind "context" (score 101), "exact" (100) or "fuzzy" (< 100).

    `target` is the unit's target, with numbers replaced when the match differed from the
    query only in numbers that could be mapped into the target (`repaired`). `glossary_issues`
    lists terms the target breaks ("forbidden rendering 'x'" / "missing 'y'") when a glossary
    was given to the lookup."""

    kind: str
    score: float
    target: str
    unit: TMUnit
    repaired: bool = False
    glossary_issues: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.glossary_issues)

    def to_json(self) -> dict:
        out = {
            "kind": self.kind,
            "score": self.score,
            "target": self.target,
            "repaired": self.repaired,
            "unit": self.unit.to_json(),
        }
        if self.glossary_issues:
            out["glossary_issues"] = list(self.glossary_issues)
        return out


@dataclass(frozen=True)
class MemoryStats:
    path: str
    schema_version: int
    units: int
    pairs: dict[str, int]  # "az-en" → units
    origins: int  # distinct origins (files) units came from
    cache_entries: int
    size_bytes: int  # database file + its WAL

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "units": self.units,
            "pairs": self.pairs,
            "origins": self.origins,
            "cache_entries": self.cache_entries,
            "size_bytes": self.size_bytes,
        }


@dataclass
class IngestResult:
    """What one `Memory.ingest` (an import or `tm add`) did."""

    read: int = 0  # units offered
    added: int = 0  # new units stored
    merged: int = 0  # duplicates of stored (or earlier offered) units, merged into them

    def to_json(self) -> dict:
        return {"read": self.read, "added": self.added, "merged": self.merged}
