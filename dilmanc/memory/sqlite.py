"""The SQLite memory backend (the default): one file, nothing to start.

* File: `$DILMANC_HOME/memory.db` unless a path is given; WAL journal, so lookups never wait
  for a writer. Every write is one `BEGIN IMMEDIATE` transaction (an import is ONE
  transaction: killed half-way, the database is as it was before it). Writers queue on the
  lock (busy timeout) instead of failing with "database is locked".
* Schema: `PRAGMA user_version` is the schema version, `PRAGMA application_id` marks the file
  as dilmanc's; `MIGRATIONS[v]` upgrades version v to v+1. A newer schema is refused.
* `postings` (key, segment length, unit) is the fuzzy index of `dilmanc.memory.store`; one
  compound SELECT sums the shared keys per unit. Concordance: a contentless FTS5 table over
  folded sources and targets (prefix queries).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

from dilmanc.errors import DilmancError, InputError, ResourceUnavailable
from dilmanc.memory.backend import (
    META_FIELDS,
    UNIT_COLUMNS,
    NewUnit,
    Probe,
    chunks,
    index_keys,
    row_unit,
    unit_key,
    unit_row,
)
from dilmanc.memory.model import TMUnit, pair_codes
from dilmanc.memory.normalize import search_fold, strip_tags

SCHEMA_VERSION = 2
APPLICATION_ID = 0x444C4D43  # "DLMC"
SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_NAME = "memory.db"
SQL_VARS = 900  # values per IN (...) list


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
    for part in chunks(ids, SQL_VARS):
        rows = db.execute(
            f"SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({_marks(len(part))})", part
        ).fetchall()
        for row in rows:
            unit = row_unit(row)
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


def _marks(n: int) -> str:
    return ",".join("?" * n)


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


def _delete_rows(db: sqlite3.Connection, ids: list[int]) -> int:
    """Delete units with their postings and concordance entries; returns how many."""
    deleted = 0
    for part in chunks(ids, SQL_VARS):
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


class SQLiteBackend:
    """Units, postings, concordance and machine cache in one SQLite file."""

    threadsafe = False  # the connection belongs to the thread that opened it

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self.conn = conn
        self.path = path
        self.timeout = timeout
        self._inserted = 0

    @classmethod
    def open(cls, location: str | Path | None, timeout: float) -> SQLiteBackend:
        path = Path(location).expanduser() if location else default_path()
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
        backend = cls(conn, path, timeout)
        try:
            backend._setup()
        except BaseException:
            conn.close()
            raise
        return backend

    # --- errors, schema, transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn SQLite failures into one-line dilmanc errors."""
        try:
            yield
        except DilmancError:
            raise
        except sqlite3.OperationalError as err:
            raise self._operational(err) from None
        except sqlite3.DatabaseError as err:
            raise InputError(f"{self.path}: damaged database ({err})") from None

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
        db = self.conn
        version = db.execute("PRAGMA user_version").fetchone()[0]
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return version, app, tables

    def _setup(self) -> None:
        try:
            version, app, tables = self._version()
            self._check_version(version, app, tables)
            db = self.conn
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA temp_store=MEMORY")
            db.execute(f"PRAGMA cache_size=-{_cache_kib()}")
            if version < SCHEMA_VERSION:
                with self.write():
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

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def write(self, timeout: float | None = None) -> Iterator[None]:
        """One write transaction holding the database's write lock from its start."""
        db = self.conn
        wait = self.timeout if timeout is None else timeout
        db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        try:
            db.execute("BEGIN IMMEDIATE")
        finally:
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        self._inserted = 0
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if self._inserted > 50_000:
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # --- units ----------------------------------------------------------------------------------

    def stored(self, dkeys: list[bytes]) -> dict[bytes, tuple[int, str | None]]:
        found = {}
        for part in chunks(dkeys, SQL_VARS):
            for dkey, uid, changed in self.conn.execute(
                f"SELECT dkey, id, changed FROM units WHERE dkey IN ({_marks(len(part))})", part
            ):
                found[dkey] = (uid, changed)
        return found

    def update_meta(self, rows: list[tuple]) -> None:
        sets = ", ".join(f"{f}=?" for f in META_FIELDS)
        self.conn.executemany(f"UPDATE units SET {sets} WHERE id=?", rows)

    def insert(self, units: list[NewUnit]) -> set[bytes]:
        """Store new units (inside `write`, which holds the lock: no other writer can add one
        of these keys meanwhile)."""
        db = self.conn
        next_id = db.execute("SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0]
        rows, postings, search = [], [], []
        for uid, p in enumerate(units, next_id):
            ntok = len(p.hashes)
            postings.extend((key, ntok, uid) for key in p.keys)
            rows.append(
                (uid, *unit_row(p.unit), p.skey, p.fkey, p.dkey, ntok)
                + (array("q", p.hashes).tobytes(),)
            )
            search.append((uid, p.search_src, p.search_tgt))
        db.executemany(
            f"INSERT INTO units({UNIT_COLUMNS}, skey, fkey, dkey, ntok, toks) "
            f"VALUES ({_marks(19)})",
            rows,
        )
        postings.sort()
        db.executemany("INSERT INTO postings(key, ntok, unit) VALUES (?,?,?)", postings)
        db.executemany("INSERT INTO concordance(rowid, src, tgt) VALUES (?,?,?)", search)
        self._inserted += len(rows)
        return {p.dkey for p in units}

    def delete(self, ids: list[int]) -> int:
        return _delete_rows(self.conn, ids)

    def ids_of_origin(self, origin: str) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM units WHERE origin=?", (origin,))]

    def by_key(self, column: str, key: int) -> list[TMUnit]:
        assert column in ("skey", "fkey")
        sql = f"SELECT {UNIT_COLUMNS} FROM units WHERE {column}=?"
        return [row_unit(r) for r in self.conn.execute(sql, (key,)).fetchall()]

    def by_ids(self, ids: list[int]) -> list[TMUnit]:
        out = []
        for part in chunks(ids, SQL_VARS):
            sql = f"SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({_marks(len(part))})"
            out += [row_unit(r) for r in self.conn.execute(sql, part).fetchall()]
        return out

    def page(self, after: int, size: int) -> list[TMUnit]:
        sql = f"SELECT {UNIT_COLUMNS} FROM units WHERE id > ? ORDER BY id LIMIT ?"
        return [row_unit(r) for r in self.conn.execute(sql, (after, size)).fetchall()]

    def candidates(self, probes: list[Probe], needed: int, cap: int, limit: int) -> list[int]:
        part = (
            "SELECT * FROM (SELECT unit, ? AS w FROM postings "
            "WHERE key=? AND ntok BETWEEN ? AND ? LIMIT ?)"
        )
        params = []
        for p in probes:
            params += [p.weight, p.key, p.lo, p.hi, cap]
        sql = (
            f"SELECT unit, sum(w) AS hits FROM ({' UNION ALL '.join([part] * len(probes))}) "
            "GROUP BY unit HAVING hits >= ? ORDER BY hits DESC LIMIT ?"
        )
        return [u for u, _ in self.conn.execute(sql, (*params, needed, limit)).fetchall()]

    def tokens(self, ids: list[int]) -> Iterator[tuple[int, list[int], str, str]]:
        for part in chunks(ids, SQL_VARS):
            marks = _marks(len(part))
            sql = f"SELECT id, toks, src_lang, tgt_lang FROM units WHERE id IN ({marks})"
            for uid, toks, src, tgt in self.conn.execute(sql, part).fetchall():
                yield uid, array("q", toks).tolist(), src, tgt

    def concordance(self, words: list[str], limit: int, offset: int) -> list[int]:
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        sql = (
            "SELECT rowid FROM concordance WHERE concordance MATCH ? "
            "ORDER BY rowid DESC LIMIT ? OFFSET ?"
        )
        return [r[0] for r in self.conn.execute(sql, (match, limit, offset))]

    def counts(self) -> tuple[dict[str, int], int, int, int]:
        db = self.conn
        pairs = {
            f"{s}-{t}": n
            for s, t, n in db.execute(
                "SELECT src_lang, tgt_lang, count(*) FROM units GROUP BY 1, 2 ORDER BY 3 DESC"
            )
        }
        origins = db.execute("SELECT count(DISTINCT origin) FROM units").fetchone()[0]
        cached = db.execute("SELECT count(*) FROM cache").fetchone()[0]
        size = sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )
        return pairs, origins, cached, size

    # --- machine cache --------------------------------------------------------------------------

    def cache_get(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in chunks(keys, SQL_VARS):
            sql = f"SELECT key, target FROM cache WHERE key IN ({_marks(len(part))})"
            found.update(self.conn.execute(sql, part).fetchall())
        return found

    def cache_put(self, rows: list[tuple[str, str, int]], wait: float) -> None:
        with self.write(timeout=wait):
            self.conn.executemany(
                "INSERT OR REPLACE INTO cache(key, target, created) VALUES (?,?,?)", rows
            )

    def cache_page(self, after: str, size: int) -> list[tuple[str, str, int]]:
        sql = "SELECT key, target, created FROM cache WHERE key > ? ORDER BY key LIMIT ?"
        return self.conn.execute(sql, (after, size)).fetchall()

    def cache_clear(self) -> int:
        with self.write():
            return self.conn.execute("DELETE FROM cache").rowcount
