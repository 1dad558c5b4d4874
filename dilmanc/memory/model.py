"""Translation-memory data: `TMUnit` (one approved source/target pair), `InlineCode`, `TMMatch`,
`MemoryStats`, `IngestResult`.

Inline markup inside `source`/`target` uses dilmanc's compact tag form, numbered per segment:
paired `<g1>…</g1>` and standalone `<x2/>`. `source_codes`/`target_codes` keep, for each
number, the original TMX markup the tag stands for, so an export writes it back unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

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

    def extra_json(self) -> str | None:
        """props, notes and inline codes as one JSON text (None when all are empty)."""
        data: dict = {}
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
