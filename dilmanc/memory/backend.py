"""The seam between the memory's logic (`store.Memory`: normalisation, dedupe, candidate maths,
rapidfuzz scoring, cache keys) and where its rows live.

A backend stores units, their postings (the fuzzy index of `store`), a concordance index and
the machine cache, and answers a few plain queries; it knows nothing of scores or languages.
One module per backend; a backend joins by one line in `BACKENDS`, and the memory location
chooses it: a file path is SQLite (the default, nothing to start), `postgresql://…` (or
`postgres://…`) is PostgreSQL, shared by a team.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dilmanc.memory.model import TMUnit
from dilmanc.memory.normalize import h64, h128, normalize

# scheme → "module:class"; a path without a scheme is "sqlite"
BACKENDS = {
    "sqlite": "dilmanc.memory.sqlite:SQLiteBackend",
    "postgresql": "dilmanc.memory.postgres:PostgresBackend",
}
SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite"}

WORD = re.compile(r"[^\W_]+")  # a word of concordance search
SHORT_UNIT = 8  # units of at most this many words are also indexed by single words

UNIT_FIELDS = (
    "id",
    "src_lang",
    "tgt_lang",
    "source",
    "target",
    "prev",
    "next",
    "tuid",
    "creation_id",
    "created",
    "change_id",
    "changed",
    "origin",
    "extra",
)
UNIT_COLUMNS = ", ".join(UNIT_FIELDS)
META_FIELDS = ("tuid", "creation_id", "created", "change_id", "changed", "origin", "extra")


@dataclass
class NewUnit:
    """A unit ready to be stored: its row, index keys and concordance text."""

    unit: TMUnit
    skey: int  # h64(src base, tgt base, normalized source)
    fkey: int  # the same over the case-folded source
    dkey: bytes  # identity (`unit_key`)
    hashes: list[int]  # 64-bit hashes of its source words
    search_src: str
    search_tgt: str

    @property
    def keys(self) -> set[int]:
        return index_keys(self.hashes)


@dataclass(frozen=True)
class Probe:
    """One postings read of a fuzzy lookup: units of `lo`..`hi` words under `key`, each worth
    `weight` shared keys."""

    key: int
    weight: int
    lo: int
    hi: int


class Backend(Protocol):
    """What `store.Memory` needs from a store. Every method runs under `guard()`; writes run
    inside `write()`, one transaction."""

    path: Path | str  # shown in messages and stats (a URL without its password)
    threadsafe: bool  # its connection may be used from another thread (an import's writer)

    def guard(self) -> AbstractContextManager[None]: ...
    def write(self, timeout: float | None = None) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...
    def schema_version(self) -> int: ...
    # units
    def stored(self, dkeys: list[bytes]) -> dict[bytes, tuple[int, str | None]]: ...
    def insert(self, units: list[NewUnit]) -> set[bytes]: ...
    def update_meta(self, rows: list[tuple]) -> None: ...
    def delete(self, ids: list[int]) -> int: ...
    def ids_of_origin(self, origin: str) -> list[int]: ...
    def by_key(self, column: str, key: int) -> list[TMUnit]: ...
    def by_ids(self, ids: list[int]) -> list[TMUnit]: ...
    def page(self, after: int, size: int) -> list[TMUnit]: ...
    def candidates(self, probes: list[Probe], needed: int, cap: int, limit: int) -> list[int]: ...
    def tokens(self, ids: list[int]) -> Iterator[tuple[int, list[int], str, str]]: ...
    def concordance(self, words: list[str], limit: int, offset: int) -> list[int]: ...
    def counts(self) -> tuple[dict[str, int], int, int, int]: ...
    # machine cache
    def cache_get(self, keys: list[str]) -> dict[str, str]: ...
    def cache_put(self, rows: list[tuple[str, str, int]], wait: float) -> None: ...
    def cache_clear(self) -> int: ...
    def cache_page(self, after: str, size: int) -> list[tuple[str, str, int]]: ...


def scheme_of(location: str | Path | None) -> str:
    """The backend name a memory location asks for: "postgresql" for postgresql://…, else
    "sqlite" (a file path)."""
    text = str(location or "")
    head, sep, _ = text.partition("://")
    return SCHEMES.get(head.lower(), head.lower()) if sep and head.isalpha() else "sqlite"


def backend_class(location: str | Path | None):
    from dilmanc.errors import UsageError

    name = scheme_of(location)
    target = BACKENDS.get(name)
    if target is None:
        raise UsageError(
            f"memory {location}: unknown memory backend {name!r} "
            f"(a file path, or one of {', '.join(s + '://' for s in SCHEMES if s != 'sqlite')})"
        )
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def row_unit(row: Iterable) -> TMUnit:
    values = dict(zip(UNIT_FIELDS, row, strict=True))
    extra = values.pop("extra")
    return TMUnit(**values, **TMUnit.parse_extra(extra))


def unit_row(u: TMUnit) -> tuple:
    """A unit's values in `UNIT_FIELDS` order without the id."""
    return (u.src_lang, u.tgt_lang, u.source, u.target, u.prev, u.next) + meta_row(u)


def meta_row(u: TMUnit) -> tuple:
    return (u.tuid, u.creation_id, u.created, u.change_id, u.changed, u.origin, u.extra_json())


_MASK = (1 << 64) - 1


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def pair(a: int, b: int) -> int:
    """The key of the bigram (a, b) from its words' 64-bit hashes."""
    x = ((a * 0x9E3779B97F4A7C15) ^ (b + 0x632BE59BD9B4E019)) & _MASK
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    return _signed(x ^ (x >> 32))


def word_hashes(words: tuple[str, ...], src_base: str) -> list[int]:
    return [h64(src_base, w) for w in words]


def index_keys(hashes: list[int]) -> set[int]:
    """The postings keys of a unit whose words hash to `hashes`."""
    keys = {pair(a, b) for a, b in zip(hashes, hashes[1:], strict=False)}
    if len(hashes) <= SHORT_UNIT:
        keys.update(hashes)
    return keys


def search_words(*texts: str) -> str:
    """The words of folded texts, space-separated, for a full-text index (whose own parser
    then sees the same words as a concordance query's `WORD`s)."""
    return " ".join(w for text in texts for w in WORD.findall(text))


def unit_key(unit: TMUnit) -> bytes:
    """A unit's identity (`dkey`): languages, normalized source and target, context, and the
    inline codes its file brought (so units differing only in native codes stay apart)."""
    parts = [unit.src_lang, unit.tgt_lang, normalize(unit.source), normalize(unit.target)]
    parts += [unit.prev or "\x00", unit.next or "\x00"]
    native = unit.native_codes()
    return h128(*parts, native) if native else h128(*parts)
