"""The memory database: translation memory (human-approved units) and translation cache
(machine output), two separate stores in one SQLite file.

* File: `$DILMANC_HOME/memory.db` unless a path is given; WAL journal, so lookups never wait
  for a writer. Every write is one `BEGIN IMMEDIATE` transaction (an import is ONE
  transaction: killed half-way, the database is as it was before it). Writers queue on the
  lock (busy timeout) instead of failing with "database is locked"; cache writes that cannot
  get the lock quickly are kept and retried later, so a translation run never stalls behind
  an import.
* Schema: `PRAGMA user_version` is the schema version, `PRAGMA application_id` marks the file
  as dilmanc's; `MIGRATIONS[v]` upgrades version v to v+1. A newer schema is refused.
* Exact and context lookups go through 64-bit hashes of the normalized source (`skey`, and
  `fkey` for case-insensitive lookups). Fuzzy lookups never scan the table: `postings` is an
  inverted index (key, segment length, unit) whose keys are 64-bit hashes of the source's
  word BIGRAMS (folded words, numbers as NUM), plus its single words for short units (at most
  `SHORT_UNIT` words). One edit destroys at most two bigrams, so a unit within d edits of an
  n-word query shares at least n - 1 - 2d of its bigrams: one SQL query sums, per unit, the
  bigrams it shares within the allowed lengths and returns only units above that count
  (for queries too short for bigrams, the same with single words over short units). The
  word sequences of those few candidates (`toks`) are scored with rapidfuzz, and the best
  ones get the full score of `dilmanc.memory.fuzzy`.
* Concordance: a contentless FTS5 table over folded sources and targets (prefix queries),
  each hit checked as a substring.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sqlite3
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from dilmanc.errors import DilmancError, InputError, ResourceUnavailable, UsageError
from dilmanc.memory import fuzzy
from dilmanc.memory.model import (
    IngestResult,
    InlineCode,
    MemoryStats,
    TMMatch,
    TMUnit,
    default_code,
    pair_codes,
    tag_shapes,
)
from dilmanc.memory.normalize import (
    TAG,
    Analysis,
    analyse,
    base_language,
    fold,
    h64,
    h128,
    language,
    normalize,
    search_fold,
    strip_tags,
)

SCHEMA_VERSION = 2
APPLICATION_ID = 0x444C4D43  # "DLMC"
SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_NAME = "memory.db"

CHUNK = 2000  # units per batch inside an import transaction
SQL_VARS = 900  # values per IN (...) list
SHORT_UNIT = 8  # units of at most this many words are also indexed by single words
POSTINGS_CAP = 50_000  # postings read per key and lookup at most (a hugely common bigram)
MAX_CANDIDATES = 5000  # units scored per fuzzy lookup at most
MAX_KEYS = 200  # postings keys per lookup at most (very long segments)
CACHE_LOCK_WAIT_S = 0.5  # a cache write waits this long for the lock, then is deferred


def _schema_v1(db: sqlite3.Connection) -> None:
    # statement by statement: executescript() would COMMIT the migration's transaction
    script = """
        CREATE TABLE units(
            id INTEGER PRIMARY KEY,
            src_lang TEXT NOT NULL,
            tgt_lang TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            prev TEXT,
            next TEXT,
            skey INTEGER NOT NULL,      -- h64(src base, tgt base, normalized source)
            fkey INTEGER NOT NULL,      -- the same over the case-folded source
            dkey BLOB NOT NULL UNIQUE,  -- identity: langs, source, target, prev, next
            ntok INTEGER NOT NULL,      -- word tokens in the source
            toks BLOB NOT NULL,         -- their 64-bit hashes (int64 array)
            tuid TEXT,
            creation_id TEXT,
            created TEXT,
            change_id TEXT,
            changed TEXT,
            origin TEXT,
            extra TEXT                  -- JSON: props, notes, inline codes
        );
        CREATE INDEX units_skey ON units(skey);
        CREATE INDEX units_fkey ON units(fkey);
        CREATE INDEX units_origin ON units(origin);
        CREATE TABLE postings(
            key INTEGER NOT NULL,       -- hash of a word bigram, or of a word (short units)
            ntok INTEGER NOT NULL,
            unit INTEGER NOT NULL,
            PRIMARY KEY(key, ntok, unit)
        ) WITHOUT ROWID;
        CREATE VIRTUAL TABLE concordance USING fts5(
            src, tgt, content='', tokenize='unicode61 remove_diacritics 0'
        );
        CREATE TABLE cache(
            key TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            created INTEGER NOT NULL
        ) WITHOUT ROWID;
    """
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


def _schema_v2(db: sqlite3.Connection) -> None:
    """Version 1 numbered a target's inline tags in order; now a target tag carries the number
    of the source code it pairs with (TMX i/x, `pair_codes`), and the native codes are part of
    a unit's identity (`unit_key`). A unit that becomes the same as another is merged away."""
    where = "extra LIKE '%\"s\":{%' OR extra LIKE '%\"t\":{%'"
    ids = [r[0] for r in db.execute(f"SELECT id FROM units WHERE {where}")]
    # every key to be rewritten out of the way first, so new keys meet only final ones
    db.execute(f"UPDATE units SET dkey = 'v1:' || id WHERE {where}")
    for part in _chunks(ids):
        rows = db.execute(
            f"SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({_marks(len(part))})", part
        ).fetchall()
        for row in rows:
            unit = _row_unit(row)
            target, codes = pair_codes(
                unit.source, unit.source_codes, unit.target, unit.target_codes
            )
            new = unit.with_(target=target, target_codes=codes)
            try:
                db.execute(
                    "UPDATE units SET target=?, extra=?, dkey=? WHERE id=?",
                    (target, new.extra_json(), unit_key(new), unit.id),
                )
            except sqlite3.IntegrityError:  # the very same unit is stored already
                _delete_rows(db, [unit.id])


# MIGRATIONS[v] turns schema version v into v+1 (0 = an empty file).
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_schema_v1, _schema_v2]

UNIT_COLUMNS = (
    "id, src_lang, tgt_lang, source, target, prev, next, tuid, creation_id, created, "
    "change_id, changed, origin, extra"
)


def _cache_kib() -> int:
    """SQLite page cache per connection: 64 MiB, or $DILMANC_TM_CACHE_MIB."""
    try:
        mib = float(os.environ.get("DILMANC_TM_CACHE_MIB") or 64)
    except ValueError:
        mib = 64
    return max(1024, int(mib * 1024))


def default_path() -> Path:
    from dilmanc.models.hub import dilmanc_home

    return dilmanc_home() / DEFAULT_NAME


def _chunks(items: list, size: int = SQL_VARS) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _row_unit(row) -> TMUnit:
    (uid, src, tgt, source, target, prev, nxt, tuid, cid, created, chid, changed, origin, extra) = (
        row
    )
    return TMUnit(
        source=source,
        target=target,
        src_lang=src,
        tgt_lang=tgt,
        prev=prev,
        next=nxt,
        tuid=tuid,
        creation_id=cid,
        created=created,
        change_id=chid,
        changed=changed,
        origin=origin,
        id=uid,
        **TMUnit.parse_extra(extra),
    )


_MASK = (1 << 64) - 1


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def _pair(a: int, b: int) -> int:
    """The key of the bigram (a, b) from its words' 64-bit hashes."""
    x = ((a * 0x9E3779B97F4A7C15) ^ (b + 0x632BE59BD9B4E019)) & _MASK
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    return _signed(x ^ (x >> 32))


def word_hashes(words: tuple[str, ...], src_base: str) -> list[int]:
    return [h64(src_base, w) for w in words]


def index_keys(hashes: list[int]) -> set[int]:
    """The postings keys of a unit whose words hash to `hashes`."""
    keys = {_pair(a, b) for a, b in zip(hashes, hashes[1:], strict=False)}
    if len(hashes) <= SHORT_UNIT:
        keys.update(hashes)
    return keys


def _check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a file that is not a (complete) SQLite database."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a memory database")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    if not head:
        return  # an empty file becomes a new database
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise InputError(f"{path}: not a SQLite database (not a dilmanc translation memory)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    header_valid = head[24:28] == head[92:96]  # change counter = version-valid-for
    wal = Path(f"{path}-wal")
    wal_has_data = wal.exists() and wal.stat().st_size > 0
    if header_valid and pages and not wal_has_data and path.stat().st_size < pages * page_size:
        raise InputError(
            f"{path}: truncated database ({path.stat().st_size} bytes, the header says "
            f"{pages * page_size}); restore it from a backup"
        )


def _guard(method):
    """Turn SQLite failures inside a public method into one-line dilmanc errors."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except DilmancError:
                raise
            except sqlite3.OperationalError as err:
                raise self._operational(err) from None
            except sqlite3.DatabaseError as err:
                raise InputError(f"{self.path}: damaged database ({err})") from None

    return wrapper


@dataclass
class LookupStats:
    """What the last fuzzy lookup read (for tests and diagnostics)."""

    mode: str = ""  # "bigrams" or "words"
    keys: int = 0  # distinct postings keys looked up
    needed: int = 0  # shared keys a unit needs to be a candidate
    candidates: int = 0  # units whose word sequences were scored


@dataclass
class _Prepared:
    unit: TMUnit
    src_base: str
    skey: int
    fkey: int
    dkey: bytes
    hashes: list[int]
    search_src: str
    search_tgt: str


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


def unit_key(unit: TMUnit) -> bytes:
    """A unit's identity (`dkey`): languages, normalized source and target, context, and the
    inline codes its file brought (so units differing only in native codes stay apart)."""
    parts = [unit.src_lang, unit.tgt_lang, normalize(unit.source), normalize(unit.target)]
    parts += [unit.prev or "\x00", unit.next or "\x00"]
    native = unit.native_codes()
    return h128(*parts, native) if native else h128(*parts)


def _tag_problem(text: str) -> str | None:
    """None if every `<gN>` of `text` is opened once and closed once after it (pairs may
    overlap, as TMX bpt/ept pairs can), else what is wrong."""
    if "<" not in text:
        return None
    opened: set[str] = set()
    closed: set[str] = set()
    for m in TAG.finditer(text):
        if m.group(3):
            continue
        n = m.group(2)
        if not m.group(1):
            if n in opened:
                return f"tag <g{n}> opened twice"
            opened.add(n)
        elif n not in opened or n in closed:
            return f"tag </g{n}> closes nothing open"
        else:
            closed.add(n)
    unclosed = sorted(opened - closed, key=int)
    return f"tag <g{unclosed[0]}> is never closed" if unclosed else None


def _delete_rows(db: sqlite3.Connection, ids: list[int]) -> int:
    """Delete units with their postings and concordance entries; returns how many."""
    deleted = 0
    for part in _chunks(ids):
        marks = _marks(len(part))
        rows = db.execute(
            f"SELECT id, ntok, toks, source, target FROM units WHERE id IN ({marks})", part
        ).fetchall()
        postings, search = [], []
        for uid, ntok, toks, source, target in rows:
            postings.extend((k, ntok, uid) for k in index_keys(array("q", toks).tolist()))
            search.append((uid, search_fold(strip_tags(source)), search_fold(strip_tags(target))))
        db.executemany("DELETE FROM postings WHERE key=? AND ntok=? AND unit=?", postings)
        db.executemany(
            "INSERT INTO concordance(concordance, rowid, src, tgt) VALUES ('delete', ?, ?, ?)",
            search,
        )
        db.executemany("DELETE FROM units WHERE id=?", [(r[0],) for r in rows])
        deleted += len(rows)
    return deleted


class Memory:
    """A translation memory and translation cache in one SQLite file; see the module doc."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self._db = conn
        self.path = path
        self.timeout = timeout
        self._lock = threading.RLock()
        self._pending_cache: dict[str, str] = {}
        self.cache_dropped = 0  # cache entries given up at close because the lock never came
        self.last_lookup = LookupStats()

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, *, timeout: float = 600.0) -> Memory:
        """Open (creating or upgrading) the memory database at `path`, default
        `$DILMANC_HOME/memory.db`. Writers wait up to `timeout` seconds for the write lock.
        InputError (exit 2) for a file that is not a dilmanc memory, is damaged or truncated,
        or has a newer schema; such a file is left untouched."""
        path = Path(path).expanduser() if path else default_path()
        _check_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"{path.parent}: cannot create directory ({err.strerror})") from None
        try:
            conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as err:
            raise InputError(f"{path}: cannot open database ({err})") from None
        memory = cls(conn, path, timeout)
        try:
            memory._setup()
        except BaseException:
            conn.close()
            raise
        return memory

    def _operational(self, err: sqlite3.OperationalError) -> DilmancError:
        text = str(err)
        if "locked" in text or "busy" in text:
            return ResourceUnavailable(
                f"{self.path}: the memory database stayed locked by another writer for "
                f"{self.timeout:g} s; try again when the other import has finished"
            )
        if "readonly" in text or "read-only" in text:
            return InputError(f"{self.path}: database is read-only ({text})")
        if "disk" in text and "full" in text:
            return ResourceUnavailable(f"{self.path}: disk full; nothing was written")
        if "malformed" in text or "not a database" in text:
            return InputError(f"{self.path}: damaged database ({text})")
        return InputError(f"{self.path}: database error ({text})")

    def _version(self) -> tuple[int, int, int]:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return version, app, tables

    def _setup(self) -> None:
        try:
            version, app, tables = self._version()
            self._check_version(version, app, tables)
            db = self._db
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA temp_store=MEMORY")
            db.execute(f"PRAGMA cache_size=-{_cache_kib()}")
            if version < SCHEMA_VERSION:
                with self._write():
                    version, app, tables = self._version()  # another process may have done it
                    self._check_version(version, app, tables)
                    for step in range(version, SCHEMA_VERSION):
                        MIGRATIONS[step](db)
                    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except DilmancError:
            raise
        except sqlite3.OperationalError as err:
            raise self._operational(err) from None
        except sqlite3.DatabaseError as err:
            raise InputError(f"{self.path}: not a usable memory database ({err})") from None

    def _check_version(self, version: int, app: int, tables: int) -> None:
        if app != APPLICATION_ID and (tables or version):
            raise InputError(
                f"{self.path}: a SQLite database, but not a dilmanc translation memory"
            )
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: memory schema version {version} is newer than this dilmanc "
                f"supports ({SCHEMA_VERSION}); upgrade dilmanc"
            )

    def close(self) -> None:
        with self._lock:
            if self._db is None:
                return
            if self._pending_cache:
                try:
                    self._flush_cache(self.timeout)
                except (DilmancError, sqlite3.Error):
                    self.cache_dropped += len(self._pending_cache)
                    self._pending_cache.clear()
            self._db.close()
            self._db = None

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    @contextlib.contextmanager
    def _write(self, timeout: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its start."""
        db = self._db
        wait = self.timeout if timeout is None else timeout
        db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        try:
            db.execute("BEGIN IMMEDIATE")
        finally:
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

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
        with self._write() as db:
            next_id = [db.execute("SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0]]
            iterator = iter(units)
            while chunk := list(islice(iterator, CHUNK)):
                result.read += len(chunk)
                self._ingest_chunk(db, chunk, next_id, result)
                if progress:
                    progress(result.read)
        if result.added > 50_000:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return result

    def _prepare(self, unit: TMUnit) -> _Prepared | None:
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
        an = analyse(source, sb)
        return _Prepared(
            unit=unit,
            src_base=sb,
            skey=h64(sb, tb, source),
            fkey=h64(sb, tb, fold(source, sb)),
            dkey=unit_key(unit),
            hashes=word_hashes(an.words, sb),
            search_src=search_fold(strip_tags(unit.source)),
            search_tgt=search_fold(strip_tags(unit.target)),
        )

    def _ingest_chunk(
        self, db: sqlite3.Connection, chunk: list[TMUnit], next_id: list[int], result
    ) -> None:
        fresh: dict[bytes, _Prepared] = {}
        offered: list[_Prepared] = []
        for unit in chunk:
            prepared = self._prepare(unit)
            if prepared is not None:
                offered.append(prepared)
        keys = list({p.dkey for p in offered})
        stored: dict[bytes, tuple[int, str | None]] = {}
        for part in _chunks(keys):
            for dkey, uid, changed in db.execute(
                f"SELECT dkey, id, changed FROM units WHERE dkey IN ({_marks(len(part))})", part
            ):
                stored[dkey] = (uid, changed)
        updates = []
        for p in offered:
            if p.dkey in stored:
                result.merged += 1
                uid, changed = stored[p.dkey]
                if _newer(p.unit, changed):
                    u = p.unit
                    updates.append(
                        (u.tuid, u.creation_id, u.created, u.change_id, u.changed, u.origin)
                        + (u.extra_json(), uid)
                    )
                    stored[p.dkey] = (uid, u.changed or u.created)
            elif p.dkey in fresh:
                result.merged += 1
                old = fresh[p.dkey]
                if _newer(p.unit, old.unit.changed or old.unit.created):
                    p.unit = p.unit.with_(source=old.unit.source, target=old.unit.target)
                    p.search_src, p.search_tgt = old.search_src, old.search_tgt
                    fresh[p.dkey] = p
            else:
                fresh[p.dkey] = p
        if updates:
            db.executemany(
                "UPDATE units SET tuid=?, creation_id=?, created=?, change_id=?, changed=?, "
                "origin=?, extra=? WHERE id=?",
                updates,
            )
        if not fresh:
            return
        rows, postings, search = [], [], []
        for p in fresh.values():
            uid = next_id[0]
            next_id[0] += 1
            u = p.unit
            ntok = len(p.hashes)
            postings.extend((key, ntok, uid) for key in index_keys(p.hashes))
            rows.append(
                (uid, u.src_lang, u.tgt_lang, u.source, u.target, u.prev, u.next, p.skey, p.fkey)
                + (p.dkey, ntok, array("q", p.hashes).tobytes(), u.tuid, u.creation_id, u.created)
                + (u.change_id, u.changed, u.origin, u.extra_json())
            )
            search.append((uid, p.search_src, p.search_tgt))
        db.executemany(
            "INSERT INTO units(id, src_lang, tgt_lang, source, target, prev, next, skey, fkey, "
            "dkey, ntok, toks, tuid, creation_id, created, change_id, changed, origin, extra) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        postings.sort()
        db.executemany("INSERT INTO postings(key, ntok, unit) VALUES (?,?,?)", postings)
        db.executemany("INSERT INTO concordance(rowid, src, tgt) VALUES (?,?,?)", search)
        result.added += len(rows)

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
        with self._write() as db:
            if ids is not None:
                wanted = [int(i) for i in ids]
            elif origin is not None:
                wanted = [
                    r[0] for r in db.execute("SELECT id FROM units WHERE origin=?", (origin,))
                ]
            else:
                if not src_lang or not tgt_lang:
                    raise UsageError("deleting by source needs the source and target languages")
                matches = self._exact_rows(source, src_lang, tgt_lang, case_insensitive=False)
                wanted = [
                    u.id
                    for u in matches
                    if target is None or normalize(u.target) == normalize(target)
                ]
            return _delete_rows(db, wanted)

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
        for row in self._db.execute(
            f"SELECT {UNIT_COLUMNS} FROM units WHERE {column}=?", (key,)
        ).fetchall():
            unit = _row_unit(row)
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
        bigrams = Counter(_pair(a, b) for a, b in zip(hashes, hashes[1:], strict=False))
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
        parts, params = [], []
        for low, high in ranges:
            for key, weight in keys.items():
                parts.append(
                    "SELECT * FROM (SELECT unit, ? AS w FROM postings "
                    "WHERE key=? AND ntok BETWEEN ? AND ? LIMIT ?)"
                )
                params += [weight, key, low, high, POSTINGS_CAP]
        if mode == "words" and hi > SHORT_UNIT and bigrams:
            for key in list(bigrams)[:MAX_KEYS]:
                parts.append(
                    "SELECT * FROM (SELECT unit, ? AS w FROM postings "
                    "WHERE key=? AND ntok BETWEEN ? AND ? LIMIT ?)"
                )
                params += [needed, key, max(lo, SHORT_UNIT + 1), hi, POSTINGS_CAP]
        if not parts:
            return []
        sql = (
            f"SELECT unit, sum(w) AS hits FROM ({' UNION ALL '.join(parts)}) GROUP BY unit "
            "HAVING hits >= ? ORDER BY hits DESC LIMIT ?"
        )
        rows = self._db.execute(sql, (*params, needed, MAX_CANDIDATES)).fetchall()
        return [unit for unit, _ in rows]

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
        choices: dict[int, list[int]] = {}
        for part in _chunks(candidates, 5000):
            for uid, toks, src_lang, tgt_lang in self._db.execute(
                f"SELECT id, toks, src_lang, tgt_lang FROM units WHERE id IN ({_marks(len(part))})",
                part,
            ):
                if self._lang_ok(src_lang, src) and self._lang_ok(tgt_lang, tgt):
                    choices[uid] = array("q", toks).tolist()
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
        top = [uid for _, _, uid in best]
        rows = self._db.execute(
            f"SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({_marks(len(top))})", top
        ).fetchall()
        out = []
        for row in rows:
            unit = _row_unit(row)
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
        import re

        needle = " ".join(search_fold(query).split())
        words = re.findall(r"[^\W_]+", needle)
        if not words:
            raise UsageError(f"search query {query!r} has no words to look for")
        want = None
        if lang:
            want = language(lang, keep_variants=True)
            if want is None:
                raise UsageError(f"not a language code: {lang!r}")
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        found: list[TMUnit] = []
        offset, page, scanned = 0, 500, 0
        while len(found) < limit and scanned < 100_000:
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT rowid FROM concordance WHERE concordance MATCH ? "
                    "ORDER BY rowid DESC LIMIT ? OFFSET ?",
                    (match, page, offset),
                )
            ]
            if not ids:
                break
            offset += len(ids)
            scanned += len(ids)
            rows = self._db.execute(
                f"SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({_marks(len(ids))}) "
                "ORDER BY id DESC",
                ids,
            ).fetchall()
            for row in rows:
                unit = _row_unit(row)
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

    @_guard
    def units(
        self, *, src_lang: str | None = None, tgt_lang: str | None = None
    ) -> Iterator[TMUnit]:
        """Every unit (optionally of one source and/or target language), in id order; read in
        pages, so memory stays flat on large memories."""
        src = language(src_lang, keep_variants=True) if src_lang else None
        tgt = language(tgt_lang, keep_variants=True) if tgt_lang else None
        last = 0
        while True:
            rows = self._db.execute(
                f"SELECT {UNIT_COLUMNS} FROM units WHERE id > ? ORDER BY id LIMIT 2000", (last,)
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for row in rows:
                unit = _row_unit(row)
                if src and not self._lang_ok(unit.src_lang, src):
                    continue
                if tgt and not self._lang_ok(unit.tgt_lang, tgt):
                    continue
                yield unit

    @_guard
    def get(self, unit_id: int) -> TMUnit | None:
        row = self._db.execute(
            f"SELECT {UNIT_COLUMNS} FROM units WHERE id=?", (unit_id,)
        ).fetchone()
        return _row_unit(row) if row else None

    @_guard
    def stats(self) -> MemoryStats:
        db = self._db
        pairs = {
            f"{s}-{t}": n
            for s, t, n in db.execute(
                "SELECT src_lang, tgt_lang, count(*) FROM units GROUP BY 1, 2 ORDER BY 3 DESC"
            )
        }
        size = sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )
        return MemoryStats(
            path=str(self.path),
            schema_version=self.schema_version,
            units=sum(pairs.values()),
            pairs=pairs,
            origins=db.execute("SELECT count(DISTINCT origin) FROM units").fetchone()[0],
            cache_entries=db.execute("SELECT count(*) FROM cache").fetchone()[0]
            + len(self._pending_cache),
            size_bytes=size,
        )

    # --- translation cache (machine output) ---------------------------------------------------

    @_guard
    def cache_get_many(self, keys: list[str]) -> dict[str, str]:
        """Cached machine translations for the `cache_key`s that have one."""
        found = {k: self._pending_cache[k] for k in keys if k in self._pending_cache}
        rest = [k for k in dict.fromkeys(keys) if k not in found]
        for part in _chunks(rest):
            found.update(
                self._db.execute(
                    f"SELECT key, target FROM cache WHERE key IN ({_marks(len(part))})", part
                ).fetchall()
            )
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
        try:
            with self._write(timeout=wait) as db:
                db.executemany(
                    "INSERT OR REPLACE INTO cache(key, target, created) VALUES (?,?,?)", rows
                )
        except sqlite3.OperationalError as err:
            raise self._operational(err) from None
        self._pending_cache.clear()

    @_guard
    def cache_clear(self) -> int:
        with self._write() as db:
            self._pending_cache.clear()
            return db.execute("DELETE FROM cache").rowcount


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


__all__ = ["SCHEMA_VERSION", "Memory", "cache_key", "default_path", "glossary_hash"]
