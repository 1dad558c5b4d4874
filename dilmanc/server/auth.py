"""API keys (stored as SHA-256 hashes), per-key character quotas and request rate limits.

The keys file is JSON: `{"keys": [{"name", "sha256", "char_quota", "req_limit", "roles"}]}`;
`roles` is optional (a key without it is a translate key): "translate" uses the APIs,
"reviewer" may also edit and approve in the review workspace. Keys are
random 32-byte tokens, so an unsalted SHA-256 is enough to make a stolen file useless; the
key itself is shown once, when it is created. The file is written only when a key is added
(`dilmanc serve --new-key`): under a lock file (`FILE.lock`), re-read, then replaced
atomically, so keys added at the same time by several processes are all kept. A server never
writes it; it reads it again whenever it changes on disk, so a key added (or removed) while
it serves works (or stops working) at the next request.

Characters used live in a SQLite database next to the keys file (`keys.json` →
`keys.usage.sqlite`): every charge is one committed transaction (write-ahead log), so a
crashed or killed server loses no usage, and servers sharing the file share the counts.
A `chars_used` left in the keys file by an older version is taken over once.

Rate limits are a sliding one-minute window per key (or per client address without a key).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from dilmanc.errors import DilmancError, InputError, ResourceUnavailable, UsageError
from dilmanc.fileio import read_text, write_text_atomic

LOCK_SECONDS = 30.0  # how long adding a key waits for another process adding one


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    char_quota: int | None = None  # characters this key may translate in all (None: no quota)
    req_limit: int | None = None  # requests per minute (None: the server's default)
    roles: tuple[str, ...] = ("translate",)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "char_quota": self.char_quota,
            "req_limit": self.req_limit,
            "roles": list(self.roles),
        }


class QuotaExceeded(Exception):
    def __init__(self, key: ApiKey, used: int, wanted: int) -> None:
        self.key = key
        super().__init__(
            f"character quota exceeded ({used} of {key.char_quota} used, "
            f"this request needs {wanted})"
        )


def usage_path(keys_path: Path) -> Path:
    """Where the characters used by the keys of `keys_path` are counted."""
    return keys_path.with_name(keys_path.stem + ".usage.sqlite")


class Usage:
    """Characters used per key hash, in SQLite; one committed transaction per charge."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(
                    str(self.path), timeout=30, isolation_level=None, check_same_thread=False
                )
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # a commit survives a process crash
                db.execute(
                    "CREATE TABLE IF NOT EXISTS usage "
                    "(sha256 TEXT PRIMARY KEY, chars_used INTEGER NOT NULL)"
                )
            except sqlite3.Error as err:
                raise ResourceUnavailable(f"{self.path}: cannot open ({err})") from None
            self._db = db
        return self._db

    def open(self) -> Usage:
        """Open (or create) the database now: ResourceUnavailable if it cannot be."""
        with self._lock:
            self._conn()
        return self

    def seed(self, counts: dict[str, int]) -> None:
        """Take over counts from an older keys file (only for keys not counted here yet)."""
        if counts:
            with self._lock:
                self._conn().executemany(
                    "INSERT OR IGNORE INTO usage VALUES (?, ?)", list(counts.items())
                )

    def used(self, sha256: str) -> int:
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT chars_used FROM usage WHERE sha256 = ?", (sha256,))
                .fetchone()
            )
        return row[0] if row else 0

    def charge(self, sha256: str, chars: int, quota: int | None) -> int | None:
        """Add `chars`; the new total, or None (nothing added) when it would pass `quota`."""
        try:
            return self._charge(sha256, chars, quota)
        except sqlite3.Error as err:
            raise ResourceUnavailable(f"{self.path}: usage not recorded ({err})") from None

    def _charge(self, sha256: str, chars: int, quota: int | None) -> int | None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT chars_used FROM usage WHERE sha256 = ?", (sha256,)
                ).fetchone()
                used = row[0] if row else 0
                if quota is not None and used + chars > quota:
                    db.execute("ROLLBACK")
                    return None
                db.execute(
                    "INSERT INTO usage VALUES (?, ?) ON CONFLICT(sha256) "
                    "DO UPDATE SET chars_used = excluded.chars_used",
                    (sha256, used + chars),
                )
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        return used + chars

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _parse(path: Path, text: str) -> tuple[list[ApiKey], dict[str, int]]:
    """The keys of a keys file, and the usage an older version recorded in it."""
    try:
        data = json.loads(text)
        keys, recorded = [], {}
        for item in data["keys"]:
            key = ApiKey(
                name=str(item["name"]),
                sha256=str(item["sha256"]),
                char_quota=item.get("char_quota"),
                req_limit=item.get("req_limit"),
                roles=_roles(item.get("roles", ["translate"])),
            )
            keys.append(key)
            if int(item.get("chars_used") or 0):
                recorded[key.sha256] = int(item["chars_used"])
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a dilmanc keys file ({err})") from None
    return keys, recorded


ROLES = ("translate", "reviewer")


def _roles(value) -> tuple[str, ...]:
    """A key's roles, checked (ValueError for an unknown one or a value that is no list)."""
    if isinstance(value, str) or not all(isinstance(r, str) for r in value):
        raise ValueError(f"roles must be a list of {', '.join(ROLES)}")
    unknown = [r for r in value if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r} (roles: {', '.join(ROLES)})")
    return tuple(value)


def _signature(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class KeyStore:
    """The keys file (read again when it changes on disk) and the usage counts of its keys."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.usage = Usage(usage_path(self.path))
        self._by_hash: dict[str, ApiKey] = {}
        self._recorded: dict[str, int] = {}
        self._seen: tuple | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, *, create: bool = False) -> KeyStore:
        store = cls(Path(path))
        if not store.path.exists() and not create:
            raise InputError(
                f"{store.path}: no such file",
                setting="new_key",
                template="{problem} (create a key with {option} NAME)",
            )
        store._reload(strict=True)
        return store

    def _reload(self, strict: bool = False) -> None:
        """Read the file again if it changed; a broken file keeps the keys read before
        (raises InputError instead when `strict`)."""
        seen = _signature(self.path)
        if seen == self._seen:
            return
        try:
            keys, recorded = _parse(self.path, read_text(self.path)) if seen else ([], {})
        except DilmancError:
            if strict:
                raise
            return
        with self._lock:
            self._by_hash = {key.sha256: key for key in keys}
            self._recorded = recorded
            self._seen = seen

    def add(
        self,
        name: str,
        *,
        char_quota: int | None = None,
        req_limit: int | None = None,
        roles: tuple[str, ...] = ("translate",),
    ) -> str:
        """Create a key called `name`, save the file and return the key (shown only now)."""
        if not name.strip():
            raise UsageError("a key needs a name")
        try:
            roles = _roles(roles)
        except ValueError as err:
            raise UsageError(str(err)) from None
        token = "dk-" + secrets.token_urlsafe(32)
        key = ApiKey(name, hash_key(token), char_quota, req_limit, roles)
        lock = FileLock(self.path.with_name(self.path.name + ".lock"), timeout=LOCK_SECONDS)
        try:
            with lock:
                text = read_text(self.path) if self.path.exists() else '{"keys": []}'
                data = json.loads(text)
                _parse(self.path, text)  # refuse to rewrite a file that is not a keys file
                if any(item.get("name") == name for item in data["keys"]):
                    raise UsageError(f"{self.path}: a key named {name!r} exists already")
                data["keys"].append(key.to_json())
                write_text_atomic(self.path, json.dumps(data, indent=1) + "\n")
        except Timeout:
            raise ResourceUnavailable(
                f"{self.path}: locked by another process for {LOCK_SECONDS:g} s"
            ) from None
        self._reload()
        return token

    def lookup(self, token: str | None) -> ApiKey | None:
        if not token:
            return None
        self._reload()
        return self._by_hash.get(hash_key(token))

    def _seed(self, key: ApiKey) -> None:
        recorded = self._recorded.pop(key.sha256, 0)
        if recorded:
            self.usage.seed({key.sha256: recorded})

    def used(self, key: ApiKey) -> int:
        self._seed(key)
        return self.usage.used(key.sha256)

    def charge(self, key: ApiKey, chars: int) -> None:
        """Count `chars` against the key's quota (written to disk before this returns);
        QuotaExceeded (nothing counted) if over."""
        self._seed(key)
        if self.usage.charge(key.sha256, chars, key.char_quota) is None:
            raise QuotaExceeded(key, self.usage.used(key.sha256), chars)

    def close(self) -> None:
        self.usage.close()

    def __len__(self) -> int:
        self._reload()
        return len(self._by_hash)


class RateLimiter:
    """At most `limit` requests per `period` seconds per client (sliding window)."""

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, limit: int | None) -> bool:
        if not limit or limit < 0:
            return True
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.period:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for name in [n for n, h in self._hits.items() if not h]:
                    del self._hits[name]
            return True
