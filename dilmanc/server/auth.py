"""API keys (stored as SHA-256 hashes), per-key character quotas and request rate limits.

The keys file is JSON: `{"keys": [{"name", "sha256", "char_quota", "chars_used",
"req_limit"}]}`. Keys are random 32-byte tokens, so an unsalted SHA-256 is enough to make a
stolen file useless; the key itself is shown once, when it is created. Characters used are
counted in memory and written back (atomically) every few seconds and at shutdown.

Rate limits are a sliding one-minute window per key (or per client address without a key).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_text, write_text_atomic


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class ApiKey:
    name: str
    sha256: str
    char_quota: int | None = None  # characters this key may translate in all (None: no quota)
    chars_used: int = 0
    req_limit: int | None = None  # requests per minute (None: the server's default)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "char_quota": self.char_quota,
            "chars_used": self.chars_used,
            "req_limit": self.req_limit,
        }

    @property
    def remaining(self) -> int | None:
        return None if self.char_quota is None else max(0, self.char_quota - self.chars_used)


class QuotaExceeded(Exception):
    def __init__(self, key: ApiKey, wanted: int) -> None:
        self.key = key
        super().__init__(
            f"character quota exceeded ({key.chars_used} of {key.char_quota} used, "
            f"this request needs {wanted})"
        )


class KeyStore:
    """The keys file, loaded once; lookups by hash; usage flushed back periodically."""

    def __init__(self, path: Path, keys: list[ApiKey]) -> None:
        self.path = path
        self._by_hash = {key.sha256: key for key in keys}
        self._lock = threading.Lock()
        self._dirty = False

    @classmethod
    def load(cls, path: str | Path, *, create: bool = False) -> KeyStore:
        path = Path(path)
        if not path.exists():
            if create:
                return cls(path, [])
            raise InputError(f"{path}: no such file (create a key with --new-key NAME)")
        try:
            data = json.loads(read_text(path))
            keys = [
                ApiKey(
                    name=str(item["name"]),
                    sha256=str(item["sha256"]),
                    char_quota=item.get("char_quota"),
                    chars_used=int(item.get("chars_used") or 0),
                    req_limit=item.get("req_limit"),
                )
                for item in data["keys"]
            ]
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"{path}: not a dilmanc keys file ({err})") from None
        return cls(path, keys)

    def add(self, name: str, *, char_quota: int | None = None, req_limit: int | None = None) -> str:
        """Create a key called `name`, save the file and return the key (shown only now)."""
        if not name.strip():
            raise UsageError("a key needs a name")
        if any(key.name == name for key in self._by_hash.values()):
            raise UsageError(f"{self.path}: a key named {name!r} exists already")
        token = "dk-" + secrets.token_urlsafe(32)
        key = ApiKey(name, hash_key(token), char_quota, 0, req_limit)
        with self._lock:
            self._by_hash[key.sha256] = key
            self._dirty = True
        self.flush()
        return token

    def lookup(self, token: str | None) -> ApiKey | None:
        if not token:
            return None
        return self._by_hash.get(hash_key(token))

    def charge(self, key: ApiKey, chars: int) -> None:
        """Count `chars` against the key's quota; QuotaExceeded (nothing counted) if over."""
        with self._lock:
            if key.char_quota is not None and key.chars_used + chars > key.char_quota:
                raise QuotaExceeded(key, chars)
            key.chars_used += chars
            self._dirty = True

    def flush(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            data = {"keys": [key.to_json() for key in self._by_hash.values()]}
            self._dirty = False
        write_text_atomic(self.path, json.dumps(data, indent=1) + "\n")

    def __len__(self) -> int:
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
