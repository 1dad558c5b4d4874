"""The memory: translation memory (human-approved units) and translation cache (machine
output), two separate stores behind one backend (`dilmanc.memory.backend`): a SQLite file by
default (`dilmanc.memory.sqlite`), or a PostgreSQL database a team shares
(`dilmanc.memory.postgres`). This module is the part that knows no backend.

* Every write is one transaction (an import is ONE transaction: killed half-way, the memory
  is as it was before it). Cache writes that cannot get the lock quickly are kept and retried
  later, so a translation run never stalls behind an import.
* Exact and context lookups go through 64-bit hashes of the normalized source (`skey`, and
  `fkey` for case-insensitive lookups). Fuzzy lookups never scan the table: `postings` is an
  inverted index (key, segment length, unit) whose keys are 64-bit hashes of the source's
  word BIGRAMS (folded words, numbers as NUM), plus its single words for short units (at most
  `SHORT_UNIT` words). One edit destroys at most two bigrams, so a unit within d edits of an
  n-word query shares at least n - 1 - 2d of its bigrams: one query sums, per unit, the
  bigrams it shares within the allowed lengths and returns only units above that count
  (for queries too short for bigrams, the same with single words over short units). The
  word sequences of those few candidates (`toks`) are scored with rapidfuzz, and the best
  ones get the full score of `dilmanc.memory.fuzzy`.
* Concordance: the backend's full-text index over folded sources and targets (prefix
  queries), each hit checked here as a substring.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from dilmanc.errors import DilmancError, InputError, ResourceUnavailable, UsageError
from dilmanc.memory import fuzzy
from dilmanc.memory.backend import (
    SHORT_UNIT,
    WORD,
    Backend,
    NewUnit,
    Probe,
    backend_class,
    meta_row,
    pair,
    unit_key,
    word_hashes,
)
from dilmanc.memory.model import (
    IngestResult,
    InlineCode,
    MemoryStats,
    TMMatch,
    TMUnit,
    default_code,
    tag_shapes,
)
from dilmanc.memory.normalize import (
    Analysis,
    analyse,
    base_language,
    fold,
    h64,
    language,
    normalize,
    search_fold,
    strip_tags,
)
from dilmanc.memory.sqlite import SCHEMA_VERSION, default_path
from dilmanc.text.tagged import iter_tags, pairing_problem

CHUNK = 2000  # units per batch inside an import transaction
POSTINGS_CAP = 50_000  # postings read per key and lookup at most (a hugely common bigram)
MAX_CANDIDATES = 5000  # units scored per fuzzy lookup at most
MAX_KEYS = 200  # postings keys per lookup at most (very long segments)
CACHE_LOCK_WAIT_S = 0.5  # a cache write waits this long for the lock, then is deferred


def _guard(method):
    """Serialise calls on one memory and turn backend failures into one-line dilmanc errors."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock, self.backend.guard():
            return method(self, *args, **kwargs)

    return wrapper


@dataclass
class LookupStats:
    """What the last fuzzy lookup read (for tests and diagnostics)."""

    mode: str = ""  # "bigrams" or "words"
    keys: int = 0  # distinct postings keys looked up
    needed: int = 0  # shared keys a unit needs to be a candidate
    candidates: int = 0  # units whose word sequences were scored


def _newer(new: TMUnit, old_changed: str | None) -> bool:
    """Does `new` replace the metadata of a stored duplicate last changed at `old_changed`?"""
    new_date = new.changed or new.created
    return not (old_changed and (not new_date or new_date < old_changed))


def _default_codes(text: str, codes: dict[int, InlineCode]) -> dict[int, InlineCode]:
    """Codes for every tag of `text`: those given, and TMX markup made up for the others."""
    out = dict(codes)
    for n, paired in tag_shapes(text).items():
        out.setdefault(n, default_code(n, paired))
    return out


def _tag_problem(text: str) -> str | None:
    """None if every `<gN>` of `text` is opened once and closed once after it (pairs may
    overlap, as TMX bpt/ept pairs can), else what is wrong."""
    return pairing_problem((tag for _, tag in iter_tags(text)), nested=False)


class Memory:
    """A translation memory and translation cache over one backend; see the module doc."""

    def __init__(self, backend: Backend, timeout: float) -> None:
        self.backend = backend
        self.path = backend.path
        self.timeout = timeout
        self._lock = threading.RLock()
        self._pending_cache: dict[str, str] = {}
        self._closed = False
        self.cache_dropped = 0  # cache entries given up at close because the lock never came
        self.last_lookup = LookupStats()

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, location: str | Path | None = None, *, timeout: float = 600.0) -> Memory:
        """Open (creating or upgrading) the memory at `location`: a SQLite file (default
        `$DILMANC_HOME/memory.db`) or a `postgresql://…` URL. Writers wait up to `timeout`
        seconds for the write lock. InputError (exit 2) for a store that is not a dilmanc
        memory, is damaged or truncated, or has a newer schema (left untouched);
        ResourceUnavailable (exit 3) for a server that cannot be reached."""
        return cls(backend_class(location).open(location, timeout), timeout)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._pending_cache:
                try:
                    self._flush_cache(self.timeout)
                except DilmancError:
                    self.cache_dropped += len(self._pending_cache)
                    self._pending_cache.clear()
            self.backend.close()
            self._closed = True

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self.backend.guard():
            return self.backend.schema_version()

    # --- translation memory: writing ----------------------------------------------------------

    def add_units(self, units: Iterable[TMUnit]) -> int:
        """Store approved units in one transaction; returns how many were new (duplicates —
        same languages, source, target and context after normalization — are merged: the
        more recently changed copy's metadata wins)."""
        return self.ingest(units).added

    @_guard
    def ingest(
        self, units: Iterable[TMUnit], progress: Callable[[int], None] | None = None
    ) -> IngestResult:
        """`add_units` with counts; `progress(units read so far)` is called after each batch.
        The iterable is read lazily inside the transaction, so an error it raises (a malformed
        file) rolls the whole import back."""
        result = IngestResult()
        batches = ((len(c), [self._prepare(u) for u in c]) for c in _batches(units, CHUNK))

        def store(batch: tuple[int, list]) -> None:
            result.read += batch[0]
            self._ingest_chunk([p for p in batch[1] if p is not None], result)
            if progress:
                progress(result.read)

        with self.backend.write():
            if self.backend.threadsafe:  # a server stores a batch while the next is read
                behind(batches, store)
            else:
                for batch in batches:
                    store(batch)
        return result

    def _prepare(self, unit: TMUnit) -> NewUnit | None:
        if not isinstance(unit, TMUnit):
            raise UsageError(f"expected a TMUnit, got {type(unit).__name__}")
        src = language(unit.src_lang, keep_variants=True)
        tgt = language(unit.tgt_lang, keep_variants=True)
        for given, code in ((unit.src_lang, src), (unit.tgt_lang, tgt)):
            if code is None:
                raise UsageError(f"not a language code: {given!r}")
        source = normalize(unit.source)
        target = normalize(unit.target)
        if not source or not target:
            return None
        for text in (unit.source, unit.target):
            problem = _tag_problem(text)
            if problem:
                raise InputError(f"inline tags of {text[:60]!r}: {problem}")
        prev = normalize(unit.prev) or None if unit.prev is not None else None
        nxt = normalize(unit.next) or None if unit.next is not None else None
        changes: dict = {}
        if (src, tgt, prev, nxt) != (unit.src_lang, unit.tgt_lang, unit.prev, unit.next):
            changes.update(src_lang=src, tgt_lang=tgt, prev=prev, next=nxt)
        if "<" in unit.source or "<" in unit.target:
            changes["source_codes"] = _default_codes(unit.source, unit.source_codes)
            changes["target_codes"] = _default_codes(unit.target, unit.target_codes)
        if changes:
            unit = unit.with_(**changes)
        sb, tb = base_language(src), base_language(tgt)
        return NewUnit(
            unit=unit,
            skey=h64(sb, tb, source),
            fkey=h64(sb, tb, fold(source, sb)),
            dkey=unit_key(unit),
            hashes=word_hashes(analyse(source, sb).words, sb),
            search_src=search_fold(strip_tags(unit.source)),
            search_tgt=search_fold(strip_tags(unit.target)),
        )

    def _ingest_chunk(self, offered: list[NewUnit], result: IngestResult) -> None:
        fresh: dict[bytes, NewUnit] = {}
        stored = self.backend.stored(list({p.dkey for p in offered}))
        dupes: list[NewUnit] = []
        for p in offered:
            if p.dkey in stored:
                dupes.append(p)
            elif p.dkey in fresh:
                result.merged += 1
                old = fresh[p.dkey]
                if _newer(p.unit, old.unit.changed or old.unit.created):
                    p.unit = p.unit.with_(source=old.unit.source, target=old.unit.target)
                    p.search_src, p.search_tgt = old.search_src, old.search_tgt
                    fresh[p.dkey] = p
            else:
                fresh[p.dkey] = p
        if fresh:
            added = self.backend.insert(list(fresh.values()))
            result.added += len(added)
            # a concurrent writer stored some of them first: merge into its copies
            late = [p for p in fresh.values() if p.dkey not in added]
            if late:
                stored.update(self.backend.stored([p.dkey for p in late]))
                dupes += late
        self._merge(dupes, stored, result)

    def _merge(self, dupes: list[NewUnit], stored: dict, result: IngestResult) -> None:
        """Stored duplicates take the metadata of newer copies."""
        updates = []
        for p in dupes:
            result.merged += 1
            uid, changed = stored[p.dkey]
            if _newer(p.unit, changed):
                updates.append((*meta_row(p.unit), uid))
                stored[p.dkey] = (uid, p.unit.changed or p.unit.created)
        if updates:
            self.backend.update_meta(updates)

    @_guard
    def delete(
        self,
        *,
        ids: Iterable[int] | None = None,
        source: str | None = None,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        target: str | None = None,
        origin: str | None = None,
    ) -> int:
        """Delete units by id, by source (+ optional target) in a language pair, or every unit
        imported from `origin`; returns how many were deleted. One transaction."""
        given = [ids is not None, source is not None, origin is not None]
        if sum(given) != 1:
            raise UsageError("delete needs exactly one of: ids, a source (with languages), origin")
        with self.backend.write():
            if ids is not None:
                wanted = [int(i) for i in ids]
            elif origin is not None:
                wanted = self.backend.ids_of_origin(origin)
            else:
                if not src_lang or not tgt_lang:
                    raise UsageError("deleting by source needs the source and target languages")
                matches = self._exact_rows(source, src_lang, tgt_lang, case_insensitive=False)
                wanted = [
                    u.id
                    for u in matches
                    if target is None or normalize(u.target) == normalize(target)
                ]
            return self.backend.delete(wanted)

    # --- translation memory: reading ----------------------------------------------------------

    def _langs(self, src_lang: str, tgt_lang: str) -> tuple[str, str]:
        out = []
        for code in (src_lang, tgt_lang):
            lang = language(code, keep_variants=True)
            if lang is None:
                raise UsageError(f"not a language code: {code!r}")
            out.append(lang)
        return out[0], out[1]

    @staticmethod
    def _lang_ok(stored: str, wanted: str) -> bool:
        """`en` asks for any English; `en-GB` only for en-GB."""
        return stored == wanted if "-" in wanted else base_language(stored) == wanted

    def _exact_rows(
        self, source: str, src_lang: str, tgt_lang: str, *, case_insensitive: bool
    ) -> list[TMUnit]:
        src, tgt = self._langs(src_lang, tgt_lang)
        sb, tb = base_language(src), base_language(tgt)
        norm = normalize(source)
        if case_insensitive:
            column, key, want = "fkey", h64(sb, tb, fold(norm, sb)), fold(norm, sb)
        else:
            column, key, want = "skey", h64(sb, tb, norm), norm
        found = []
        for unit in self.backend.by_key(column, key):
            text = normalize(unit.source)
            same = fold(text, sb) == want if case_insensitive else text == want
            if same and self._lang_ok(unit.src_lang, src) and self._lang_ok(unit.tgt_lang, tgt):
                found.append(unit)
        return found

    @_guard
    def lookup(
        self,
        source: str,
        src_lang: str,
        tgt_lang: str,
        *,
        prev: str | None = None,
        next: str | None = None,  # noqa: A002 - the contract's name
        threshold: float = 75.0,
        limit: int = 3,
        case_insensitive: bool = False,
        glossary=None,
    ) -> list[TMMatch]:
        """Best memory matches for `source`, best first: context (101: same source, and the
        same previous and next source as given — pass at least one of them), exact (100), then
        fuzzy (≥ `threshold`, see `dilmanc.memory.fuzzy`). With a `glossary`, each match lists
        the glossary terms of `source` its target breaks."""
        if limit <= 0:
            return []
        src, tgt = self._langs(src_lang, tgt_lang)
        sb = base_language(src)
        query = analyse(source, sb)
        matches: list[TMMatch] = []
        with_context = prev is not None or next is not None
        want_prev = normalize(prev) or None if prev is not None else None
        want_next = normalize(next) or None if next is not None else None
        exact_ids = set()
        for unit in self._exact_rows(source, src, tgt, case_insensitive=case_insensitive):
            exact_ids.add(unit.id)
            context = with_context and unit.prev == want_prev and unit.next == want_next
            kind, value = ("context", 101.0) if context else ("exact", 100.0)
            matches.append(TMMatch(kind, value, unit.target, unit))
        if len(matches) < limit:
            matches.extend(
                self._fuzzy(query, src, tgt, threshold, limit, case_insensitive, exact_ids)
            )
        matches.sort(key=lambda m: (-m.score, -_date_key(m.unit), -(m.unit.id or 0)))
        matches = matches[:limit]
        if glossary is not None:
            matches = _flag_glossary(matches, source, sb, base_language(tgt), glossary)
        return matches

    def _candidates(
        self, hashes: list[int], lo: int, hi: int, max_edits: int, stats: LookupStats
    ) -> list[int]:
        """Units of `lo`..`hi` words that can be within `max_edits` word edits of the query
        (whose words hash to `hashes`); see the module doc."""
        n = len(hashes)
        bigrams = Counter(pair(a, b) for a, b in zip(hashes, hashes[1:], strict=False))
        if n - 1 - 2 * max_edits >= 1:
            mode, needed, keys = "bigrams", n - 1 - 2 * max_edits, bigrams
            ranges = [(lo, hi)]
        else:
            # too short (or too loose a threshold) for bigrams: single words of short units,
            # and, best effort, longer units sharing any bigram
            mode, needed, keys = "words", max(1, n - max_edits), Counter(hashes)
            ranges = [(lo, min(hi, SHORT_UNIT))] if lo <= SHORT_UNIT else []
        if len(keys) > MAX_KEYS:  # SQLite allows 500 terms in a compound SELECT
            kept = dict(list(keys.items())[:MAX_KEYS])
            needed = max(1, needed - sum(w for k, w in keys.items() if k not in kept))
            keys = Counter(kept)
        stats.mode, stats.keys, stats.needed = mode, len(keys), needed
        probes = [Probe(k, w, low, high) for low, high in ranges for k, w in keys.items()]
        if mode == "words" and hi > SHORT_UNIT and bigrams:
            low = max(lo, SHORT_UNIT + 1)
            probes += [Probe(k, needed, low, hi) for k in list(bigrams)[:MAX_KEYS]]
        if not probes:
            return []
        return self.backend.candidates(probes, needed, POSTINGS_CAP, MAX_CANDIDATES)

    def _fuzzy(
        self,
        query: Analysis,
        src: str,
        tgt: str,
        threshold: float,
        limit: int,
        case_insensitive: bool,
        skip: set[int],
    ) -> list[TMMatch]:
        n = len(query.words)
        self.last_lookup = stats = LookupStats()
        if n == 0:
            return []
        t = max(min(threshold, 100.0), 1.0) / 100.0
        lo = math.ceil(t * n - 1e-9)
        hi = math.floor(n / t + 1e-9)
        max_edits = math.floor((1.0 - t) * hi + 1e-9)  # d ≤ (1 − t) × longer length
        sb = base_language(src)
        hashes = word_hashes(query.words, sb)
        candidates = [
            c for c in self._candidates(hashes, lo, hi, max_edits, stats) if c not in skip
        ]
        if not candidates:
            return []
        choices = {
            uid: toks
            for uid, toks, src_lang, tgt_lang in self.backend.tokens(candidates)
            if self._lang_ok(src_lang, src) and self._lang_ok(tgt_lang, tgt)
        }
        stats.candidates = len(choices)
        best = process.extract(
            hashes,
            choices,
            scorer=Levenshtein.normalized_similarity,
            processor=None,
            score_cutoff=t - 1e-9,
            limit=max(4 * limit, 20),
        )
        if not best:
            return []
        out = []
        for unit in self.backend.by_ids([uid for _, _, uid in best]):
            scored = fuzzy.score(
                query, analyse(unit.source, sb), unit.target, case_insensitive=case_insensitive
            )
            if scored.score >= threshold:
                out.append(TMMatch("fuzzy", scored.score, scored.target, unit, scored.repaired))
        return out

    @_guard
    def search(self, query: str, *, lang: str | None = None, limit: int = 50) -> list[TMUnit]:
        """Concordance: units whose source or target contains `query` (case-insensitively,
        dotted and dotless i equal, words may continue: "insan alveri" finds "İnsan
        alverinə"), newest first. `lang` keeps units with that language as source or target
        and looks in that side only."""
        needle = " ".join(search_fold(query).split())
        words = WORD.findall(needle)
        if not words:
            raise UsageError(f"search query {query!r} has no words to look for")
        want = None
        if lang:
            want = language(lang, keep_variants=True)
            if want is None:
                raise UsageError(f"not a language code: {lang!r}")
        found: list[TMUnit] = []
        offset, page, scanned = 0, 500, 0
        while len(found) < limit and scanned < 100_000:
            ids = self.backend.concordance(words, page, offset)
            if not ids:
                break
            offset += len(ids)
            scanned += len(ids)
            for unit in sorted(self.backend.by_ids(ids), key=lambda u: -(u.id or 0)):
                sides = []
                if want is None or self._lang_ok(unit.src_lang, want):
                    sides.append(unit.source)
                if want is None or self._lang_ok(unit.tgt_lang, want):
                    sides.append(unit.target)
                if any(needle in " ".join(search_fold(strip_tags(s)).split()) for s in sides):
                    found.append(unit)
                    if len(found) >= limit:
                        break
        return found

    def units(
        self, *, src_lang: str | None = None, tgt_lang: str | None = None
    ) -> Iterator[TMUnit]:
        """Every unit (optionally of one source and/or target language), in id order; read in
        pages, so memory stays flat on large memories."""
        src = language(src_lang, keep_variants=True) if src_lang else None
        tgt = language(tgt_lang, keep_variants=True) if tgt_lang else None
        last = 0
        while True:
            with self._lock, self.backend.guard():
                rows = self.backend.page(last, 2000)
            if not rows:
                return
            last = rows[-1].id
            for unit in rows:
                if src and not self._lang_ok(unit.src_lang, src):
                    continue
                if tgt and not self._lang_ok(unit.tgt_lang, tgt):
                    continue
                yield unit

    @_guard
    def get(self, unit_id: int) -> TMUnit | None:
        found = self.backend.by_ids([unit_id])
        return found[0] if found else None

    @_guard
    def stats(self) -> MemoryStats:
        pairs, origins, cached, size = self.backend.counts()
        return MemoryStats(
            path=str(self.path),
            schema_version=self.backend.schema_version(),
            units=sum(pairs.values()),
            pairs=pairs,
            origins=origins,
            cache_entries=cached + len(self._pending_cache),
            size_bytes=size,
        )

    # --- translation cache (machine output) ---------------------------------------------------

    @_guard
    def cache_get_many(self, keys: list[str]) -> dict[str, str]:
        """Cached machine translations for the `cache_key`s that have one."""
        found = {k: self._pending_cache[k] for k in keys if k in self._pending_cache}
        rest = [k for k in dict.fromkeys(keys) if k not in found]
        found.update(self.backend.cache_get(rest))
        return found

    @_guard
    def cache_put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store machine translations under their `cache_key`s. Written at once if the write
        lock is free within half a second, else kept and written with a later call (or at
        `close`), so a long import never stalls or breaks a translation run."""
        self._pending_cache.update(items)
        if self._pending_cache:
            with contextlib.suppress(ResourceUnavailable):
                self._flush_cache(CACHE_LOCK_WAIT_S)

    def _flush_cache(self, wait: float) -> None:
        rows = [(k, v, int(time.time())) for k, v in self._pending_cache.items()]
        with self.backend.guard():
            self.backend.cache_put(rows, wait)
        self._pending_cache.clear()

    def cache_entries(self) -> Iterator[tuple[str, str, int]]:
        """Every cached machine translation as (key, target, created), in key order."""
        last = ""
        while True:
            with self._lock, self.backend.guard():
                rows = self.backend.cache_page(last, 5000)
            if not rows:
                return
            last = rows[-1][0]
            yield from rows

    @_guard
    def copy_to(self, other: Memory, progress: Callable[[int], None] | None = None) -> tuple:
        """Copy every unit and cached translation into `other` (one transaction there for
        the units); returns (IngestResult, cache entries copied)."""
        result = other.ingest(self.units(), progress)
        cached = 0
        for part in _batches(self.cache_entries(), CHUNK):
            with other._lock, other.backend.guard():
                other.backend.cache_put(part, other.timeout)
            cached += len(part)
        return result, cached

    @_guard
    def cache_clear(self) -> int:
        self._pending_cache.clear()
        return self.backend.cache_clear()


def behind(items: Iterable, consume: Callable[[object], None], depth: int = 2) -> None:
    """`consume(item)` for each of `items`, called by a worker thread while this thread makes
    the next items (at most `depth` ahead). The first exception of either side is raised
    here once the worker has stopped; after one, no more items are consumed."""
    handoff: queue.Queue = queue.Queue(depth)
    failed: list[BaseException] = []
    end = object()

    def work() -> None:
        while (item := handoff.get()) is not end:
            if failed:
                continue  # drain: the caller stops soon
            try:
                consume(item)
            except BaseException as err:  # raised in the caller's thread
                failed.append(err)

    worker = threading.Thread(target=work, name="dilmanc-store", daemon=True)
    worker.start()
    try:
        for item in items:
            if failed:
                break
            handoff.put(item)
    except BaseException as err:
        failed.insert(0, err)
    finally:
        handoff.put(end)
        worker.join()
    if failed:
        raise failed[0]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while part := list(islice(iterator, size)):
        yield part


def _date_key(unit: TMUnit) -> int:
    date = unit.changed or unit.created or ""
    digits = "".join(ch for ch in date if ch.isdigit())[:14]
    return int(digits) if digits else 0


def _flag_glossary(matches, source, src_base, tgt_base, glossary) -> list[TMMatch]:
    """Each match with the glossary terms of `source` that its target breaks."""
    if src_base != "az":
        return matches
    from dataclasses import replace

    from dilmanc.glossary.verify import term_issues

    plain = strip_tags(source)
    return [
        replace(m, glossary_issues=term_issues(plain, strip_tags(m.target), glossary, tgt_base))
        for m in matches
    ]


def cache_key(
    *,
    source: str,
    src_lang: str,
    tgt_lang: str,
    model: str,
    revision: str | None = None,
    engine: str | None = None,
    compute_type: str | None = None,
    decode: dict | None = None,
    glossary_hash: str | None = None,
    glossary_mode: str | None = None,
) -> str:
    """A stable sha256 (hex) of everything that changes a machine translation."""
    import hashlib

    data = {
        "v": 1,
        "source": source,
        "src_lang": src_lang,
        "tgt_lang": tgt_lang,
        "model": model,
        "revision": revision,
        "engine": engine,
        "compute_type": compute_type,
        "decode": decode or {},
        "glossary_hash": glossary_hash,
        "glossary_mode": glossary_mode,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def glossary_hash(glossary) -> str | None:
    """A sha256 (hex) of a glossary's content — terms, targets, forbidden renderings, flags,
    in order — for `cache_key(glossary_hash=...)`; None for no glossary. Computed once per
    glossary object (`Glossary.content_hash`), so a server's requests do not hash a large
    glossary again each time."""
    return None if glossary is None else glossary.content_hash


__all__ = ["SCHEMA_VERSION", "Memory", "cache_key", "default_path", "glossary_hash", "unit_key"]
