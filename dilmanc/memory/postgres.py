"""The PostgreSQL memory backend (psycopg 3): one memory shared by a team — several CLIs and
`dilmanc serve` — at `postgresql://user@host/db`.

* Tables live in their own schema, `dilmanc`: `units`, `postings` (the same fuzzy index as
  SQLite's, see `dilmanc.memory.store`), `cache`, and `meta` (the schema version; a
  `dilmanc` schema without it is refused). `MIGRATIONS[v]` upgrades version v to v+1 under
  an advisory lock, so processes opening a new database at once migrate it once.
* Writes are transactions. Writers of units take a transaction-level advisory lock (as
  SQLite's BEGIN IMMEDIATE does), so a dedupe check and its insert never race; the unique
  `dkey` with ON CONFLICT DO NOTHING is the safety net: nothing is lost or stored twice.
  Readers never wait (MVCC). Cache writes are upserts outside that lock.
* Concordance: PostgreSQL full-text search (`simple` configuration, prefix queries) over
  the folded words of source and target, in a GIN-indexed tsvector column.
"""

from __future__ import annotations

import contextlib
import time
from array import array
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from dilmanc.errors import DilmancError, InputError, ResourceUnavailable
from dilmanc.memory.backend import (
    META_FIELDS,
    UNIT_COLUMNS,
    NewUnit,
    Probe,
    index_keys,
    row_unit,
    search_words,
    unit_row,
)
from dilmanc.memory.model import TMUnit

SCHEMA_VERSION = 1
APPLICATION = "dilmanc translation memory"
MIGRATION_LOCK = 0x444C4D43  # advisory lock keys ("DLMC")
WRITE_LOCK = 0x444C4D44
CONNECT_TIMEOUT_S = 10


def _schema_v1(conn) -> None:
    for statement in (
        "CREATE SCHEMA IF NOT EXISTS dilmanc",
        "CREATE TABLE dilmanc.meta(application text NOT NULL, version integer NOT NULL)",
        f"INSERT INTO dilmanc.meta VALUES ('{APPLICATION}', 0)",
        """CREATE TABLE dilmanc.units(
            id bigserial PRIMARY KEY,
            src_lang text NOT NULL,
            tgt_lang text NOT NULL,
            source text NOT NULL,
            target text NOT NULL,
            prev text,
            next text,
            tuid text,
            creation_id text,
            created text,
            change_id text,
            changed text,
            origin text,
            extra text,
            skey bigint NOT NULL,
            fkey bigint NOT NULL,
            dkey bytea NOT NULL UNIQUE,
            ntok integer NOT NULL,
            toks bytea NOT NULL,
            search tsvector NOT NULL
        )""",
        "CREATE INDEX units_skey ON dilmanc.units(skey)",
        "CREATE INDEX units_fkey ON dilmanc.units(fkey)",
        "CREATE INDEX units_origin ON dilmanc.units(origin)",
        "CREATE INDEX units_search ON dilmanc.units USING gin(search)",
        """CREATE TABLE dilmanc.postings(
            key bigint NOT NULL,
            ntok integer NOT NULL,
            unit bigint NOT NULL,
            PRIMARY KEY(key, ntok, unit)
        )""",
        """CREATE TABLE dilmanc.cache(
            key text PRIMARY KEY,
            target text NOT NULL,
            created bigint NOT NULL
        )""",
    ):
        conn.execute(statement)


# MIGRATIONS[v] turns schema version v into v+1 (0 = no `dilmanc` schema yet).
MIGRATIONS: list[Callable] = [_schema_v1]


# New units go through a temporary staging table (one per session, emptied after each batch).
_STAGE = "dilmanc_staged_units"
_STAGE_COLUMNS = (
    f"n, {UNIT_COLUMNS.removeprefix('id, ')}, skey, fkey, dkey, ntok, toks, search, keys"
)
_STAGE_TYPES = ["int4"] + ["text"] * 13 + ["int8", "int8", "bytea", "int4", "bytea", "text"]
_STAGE_TYPES.append("int8[]")
_STAGE_TABLE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE}(n integer, "
    + ", ".join(f"{name} text" for name in UNIT_COLUMNS.split(", ")[1:])
    + ", skey bigint, fkey bigint, dkey bytea, ntok integer, toks bytea, search text, "
    "keys bigint[]) ON COMMIT DROP"
)
_INTO_UNITS = f"{UNIT_COLUMNS.removeprefix('id, ')}, skey, fkey, dkey, ntok, toks"
_FROM_STAGE = (
    f"WITH added AS (INSERT INTO dilmanc.units({_INTO_UNITS}, search) "
    f"SELECT {_INTO_UNITS}, to_tsvector('simple', search) FROM {_STAGE} ORDER BY n "
    "ON CONFLICT (dkey) DO NOTHING RETURNING id, dkey, ntok), "
    "posted AS (INSERT INTO dilmanc.postings(key, ntok, unit) "
    f"SELECT k, a.ntok, a.id FROM added a JOIN {_STAGE} s ON s.dkey = a.dkey, "
    "unnest(s.keys) AS k ORDER BY k) "  # in key order: the index is written page by page
    "SELECT dkey FROM added"
)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}"))


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class PostgresBackend:
    """Units, postings, full-text index and machine cache in a PostgreSQL database."""

    threadsafe = True  # psycopg connections are

    def __init__(self, conn, url: str, timeout: float) -> None:
        self.conn = conn
        self.path = redact(url)
        self.timeout = timeout

    @classmethod
    def open(cls, location: str, timeout: float) -> PostgresBackend:
        import psycopg

        url = str(location)
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as err:
            raise ResourceUnavailable(
                f"{redact(url)}: cannot connect to PostgreSQL ({_first_line(err)})"
            ) from None
        backend = cls(conn, url, timeout)
        try:
            with backend.guard():
                backend._setup()
        except BaseException:
            conn.close()
            raise
        return backend

    # --- errors, schema, transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn PostgreSQL failures into one-line dilmanc errors."""
        import psycopg
        from psycopg import errors

        try:
            yield
        except DilmancError:
            raise
        except (errors.LockNotAvailable, errors.QueryCanceled) as err:
            raise ResourceUnavailable(
                f"{self.path}: the memory stayed locked by another writer ({_first_line(err)})"
            ) from None
        except psycopg.OperationalError as err:
            raise ResourceUnavailable(
                f"{self.path}: PostgreSQL unavailable ({_first_line(err)})"
            ) from None
        except psycopg.Error as err:
            raise InputError(f"{self.path}: database error ({_first_line(err)})") from None

    def _version(self) -> int:
        has_schema, has_meta = self.conn.execute(
            "SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'dilmanc'), "
            "to_regclass('dilmanc.meta') IS NOT NULL"
        ).fetchone()
        if not has_schema:
            return 0
        row = None
        if has_meta:
            row = self.conn.execute("SELECT application, version FROM dilmanc.meta").fetchone()
        if row is None or row[0] != APPLICATION:
            raise InputError(
                f"{self.path}: has a 'dilmanc' schema that is not a dilmanc translation memory"
            )
        if row[1] > SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: memory schema version {row[1]} is newer than this dilmanc "
                f"supports ({SCHEMA_VERSION}); upgrade dilmanc"
            )
        return row[1]

    def _setup(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = self._version()  # another process may have done it
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](self.conn)
            self.conn.execute("UPDATE dilmanc.meta SET version = %s", (SCHEMA_VERSION,))

    def schema_version(self) -> int:
        return self.conn.execute("SELECT version FROM dilmanc.meta").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def write(self, timeout: float | None = None) -> Iterator[None]:
        """One transaction holding the memory's write lock (waiting `timeout` s at most)."""
        wait = self.timeout if timeout is None else timeout
        with self.conn.transaction():
            deadline = time.monotonic() + wait
            while not self.conn.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)
            ).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise ResourceUnavailable(
                        f"{self.path}: the memory stayed locked by another writer for "
                        f"{wait:g} s; try again when the other import has finished"
                    )
                time.sleep(0.02)
            yield

    # --- units ----------------------------------------------------------------------------------

    def stored(self, dkeys: list[bytes]) -> dict[bytes, tuple[int, str | None]]:
        rows = self.conn.execute(
            "SELECT dkey, id, changed FROM dilmanc.units WHERE dkey = ANY(%s)", (dkeys,)
        ).fetchall()
        return {bytes(dkey): (uid, changed) for dkey, uid, changed in rows}

    def update_meta(self, rows: list[tuple]) -> None:
        sets = ", ".join(f"{f}=%s" for f in META_FIELDS)
        with self.conn.cursor() as cur:
            cur.executemany(f"UPDATE dilmanc.units SET {sets} WHERE id=%s", rows)

    def insert(self, units: list[NewUnit]) -> set[bytes]:
        """Store new units in their order (ids follow it) inside `write`, whose lock keeps
        other unit writers out; ON CONFLICT is the safety net of the unique identity.

        One binary COPY into a session-private staging table, then one statement moves the
        rows into `units` (the tsvector made by the server) and their keys into `postings`."""
        rows = [
            (n, *unit_row(p.unit), p.skey, p.fkey, p.dkey, len(p.hashes))
            + (array("q", p.hashes).tobytes(), search_words(p.search_src, p.search_tgt))
            + (list(p.keys),)
            for n, p in enumerate(units)
        ]
        with self.conn.cursor() as cur:
            cur.execute(_STAGE_TABLE)
            with cur.copy(f"COPY {_STAGE}({_STAGE_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_STAGE_TYPES)
                for row in rows:
                    copy.write_row(row)
            cur.execute(_FROM_STAGE)
            got = {bytes(dkey) for (dkey,) in cur.fetchall()}
            cur.execute(f"TRUNCATE {_STAGE}")
        return got

    def delete(self, ids: list[int]) -> int:
        rows = self.conn.execute(
            "SELECT id, ntok, toks FROM dilmanc.units WHERE id = ANY(%s)", (ids,)
        ).fetchall()
        keys, ntoks, units = [], [], []
        for uid, ntok, toks in rows:
            for key in index_keys(array("q", bytes(toks)).tolist()):
                keys.append(key)
                ntoks.append(ntok)
                units.append(uid)
        self.conn.execute(
            "DELETE FROM dilmanc.postings p USING unnest(%s::bigint[], %s::int[], %s::bigint[]) "
            "AS d(key, ntok, unit) WHERE p.key = d.key AND p.ntok = d.ntok AND p.unit = d.unit",
            (keys, ntoks, units),
        )
        found = [r[0] for r in rows]
        return self.conn.execute("DELETE FROM dilmanc.units WHERE id = ANY(%s)", (found,)).rowcount

    def ids_of_origin(self, origin: str) -> list[int]:
        rows = self.conn.execute("SELECT id FROM dilmanc.units WHERE origin = %s", (origin,))
        return [r[0] for r in rows]

    def by_key(self, column: str, key: int) -> list[TMUnit]:
        assert column in ("skey", "fkey")
        sql = f"SELECT {UNIT_COLUMNS} FROM dilmanc.units WHERE {column} = %s"
        return [row_unit(r) for r in self.conn.execute(sql, (key,)).fetchall()]

    def by_ids(self, ids: list[int]) -> list[TMUnit]:
        sql = f"SELECT {UNIT_COLUMNS} FROM dilmanc.units WHERE id = ANY(%s)"
        return [row_unit(r) for r in self.conn.execute(sql, (list(ids),)).fetchall()]

    def page(self, after: int, size: int) -> list[TMUnit]:
        sql = f"SELECT {UNIT_COLUMNS} FROM dilmanc.units WHERE id > %s ORDER BY id LIMIT %s"
        return [row_unit(r) for r in self.conn.execute(sql, (after, size)).fetchall()]

    def candidates(self, probes: list[Probe], needed: int, cap: int, limit: int) -> list[int]:
        sql = (
            "SELECT p.unit, sum(q.w) AS hits "
            "FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[]) AS q(key, w, lo, hi) "
            "CROSS JOIN LATERAL (SELECT unit FROM dilmanc.postings "
            "  WHERE key = q.key AND ntok BETWEEN q.lo AND q.hi LIMIT %s) AS p "
            "GROUP BY p.unit HAVING sum(q.w) >= %s ORDER BY hits DESC LIMIT %s"
        )
        columns = [[p.key for p in probes], [p.weight for p in probes]]
        columns += [[p.lo for p in probes], [p.hi for p in probes]]
        rows = self.conn.execute(sql, (*columns, cap, needed, limit)).fetchall()
        return [unit for unit, _ in rows]

    def tokens(self, ids: list[int]) -> Iterator[tuple[int, list[int], str, str]]:
        rows = self.conn.execute(
            "SELECT id, toks, src_lang, tgt_lang FROM dilmanc.units WHERE id = ANY(%s)", (ids,)
        ).fetchall()
        for uid, toks, src, tgt in rows:
            yield uid, array("q", bytes(toks)).tolist(), src, tgt

    def concordance(self, words: list[str], limit: int, offset: int) -> list[int]:
        query = " & ".join("'" + w.replace("'", "''") + "':*" for w in words)
        rows = self.conn.execute(
            "SELECT id FROM dilmanc.units WHERE search @@ to_tsquery('simple', %s) "
            "ORDER BY id DESC LIMIT %s OFFSET %s",
            (query, limit, offset),
        )
        return [r[0] for r in rows]

    def counts(self) -> tuple[dict[str, int], int, int, int]:
        rows = self.conn.execute(
            "SELECT src_lang, tgt_lang, count(*) FROM dilmanc.units GROUP BY 1, 2 ORDER BY 3 DESC"
        ).fetchall()
        origins, cached, size = self.conn.execute(
            "SELECT (SELECT count(DISTINCT origin) FROM dilmanc.units), "
            "(SELECT count(*) FROM dilmanc.cache), "
            "pg_total_relation_size('dilmanc.units') + pg_total_relation_size('dilmanc.postings')"
            " + pg_total_relation_size('dilmanc.cache')"
        ).fetchone()
        return {f"{s}-{t}": n for s, t, n in rows}, origins, cached, size

    # --- machine cache --------------------------------------------------------------------------

    def cache_get(self, keys: list[str]) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT key, target FROM dilmanc.cache WHERE key = ANY(%s)", (keys,)
        ).fetchall()
        return dict(rows)

    def cache_put(self, rows: list[tuple[str, str, int]], wait: float) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(wait * 1000)}ms",))
            cur.executemany(
                "INSERT INTO dilmanc.cache(key, target, created) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET target = EXCLUDED.target, "
                "created = EXCLUDED.created",
                sorted(rows),  # one lock order for every writer
            )

    def cache_page(self, after: str, size: int) -> list[tuple[str, str, int]]:
        sql = (
            "SELECT key, target, created FROM dilmanc.cache WHERE key > %s "
            'ORDER BY key COLLATE "C" LIMIT %s'
        )
        return self.conn.execute(sql, (after, size)).fetchall()

    def cache_clear(self) -> int:
        return self.conn.execute("DELETE FROM dilmanc.cache").rowcount
