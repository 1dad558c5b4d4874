"""The memory database under faults: foreign, truncated or newer files, concurrent writers,
and an import killed half-way."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dilmanc.errors import InputError
from dilmanc.memory import Memory, TMUnit
from dilmanc.memory.store import SCHEMA_VERSION
from dilmanc.memory.tmx import write_tmx

ROOT = Path(__file__).resolve().parents[1]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filled(path: Path, n: int = 300) -> Path:
    with Memory.open(path) as mem:
        mem.add_units(
            TMUnit(f"Sınaq cümləsi {i} burada.", f"Test {i}.", "az", "en") for i in range(n)
        )
    assert not Path(f"{path}-wal").exists()  # closed cleanly: everything is in the main file
    return path


def _refused(path: Path, message: str) -> None:
    before = _digest(path)
    with pytest.raises(InputError) as err:
        Memory.open(path)
    text = str(err.value)
    assert message in text and "\n" not in text and str(path) in text
    assert _digest(path) == before


def test_a_text_file_is_not_a_memory(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n" * 20, encoding="utf-8")
    _refused(path, "not a SQLite database")


def test_a_short_file_is_not_a_memory(tmp_path):
    path = tmp_path / "short.db"
    path.write_bytes(b"SQLite format 3\x00")
    _refused(path, "not a SQLite database")


def test_a_truncated_memory_is_refused(tmp_path):
    path = _filled(tmp_path / "tm.db")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "truncated database")


def test_another_programs_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things(x)")
    conn.commit()
    conn.close()
    _refused(path, "not a dilmanc translation memory")


def test_a_newer_schema_is_refused(tmp_path):
    path = _filled(tmp_path / "tm.db", 5)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    _refused(path, f"schema version {SCHEMA_VERSION + 1} is newer than this dilmanc supports")


def test_an_empty_file_becomes_a_memory(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with Memory.open(path) as mem:
        assert mem.schema_version == SCHEMA_VERSION and mem.stats().units == 0


# --- concurrency ------------------------------------------------------------------------------


def _writer(path: str, worker: int, rounds: int, shared: int) -> None:
    with Memory.open(path, timeout=120) as mem:
        for r in range(rounds):
            units = [
                TMUnit(
                    f"İşçi {worker} dövrə {r} cümlə {k}.", f"Worker {worker} {r} {k}.", "az", "en"
                )
                for k in range(5)
            ]
            # every worker also offers the same shared units: they must not be doubled
            units.append(TMUnit(f"Ortaq cümlə {r % shared}.", f"Shared {r % shared}.", "az", "en"))
            mem.add_units(units)
            mem.cache_put_many([(f"w{worker}-{r}", f"machine {worker} {r}")])
            assert mem.lookup(units[0].source, "az", "en")[0].score == 100.0


def _importer(path: str, tmx: str) -> None:
    from dilmanc.memory.importers import read_units

    with Memory.open(path, timeout=120) as mem:
        mem.ingest(read_units(tmx))


def test_concurrent_writers_lose_and_double_nothing(tmp_path, tm_location):
    path = tm_location
    tmx = tmp_path / "batch.tmx"
    write_tmx(tmx, (TMUnit(f"Toplu cümlə {i}.", f"Bulk {i}.", "az", "en") for i in range(3000)))
    ctx = multiprocessing.get_context("spawn")  # the processes also race to create the file
    procs = [ctx.Process(target=_writer, args=(path, w, 40, 10)) for w in range(3)]
    procs.append(ctx.Process(target=_importer, args=(path, str(tmx))))
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with Memory.open(path) as mem:
        stats = mem.stats()
        assert stats.units == 3 * 40 * 5 + 10 + 3000
        assert stats.cache_entries == 3 * 40
        sources = [u.source for u in mem.units()]
        assert len(sources) == len(set(sources))
        assert mem.cache_get_many(["w2-39"]) == {"w2-39": "machine 2 39"}


def test_stored_behind_in_order_and_a_failure_reading_is_raised():
    from dilmanc.memory.store import behind

    got = []
    behind(iter(range(50)), got.append)
    assert got == list(range(50))

    def made():
        yield from range(5)
        raise InputError("file.tmx: line 9: malformed TMX")

    with pytest.raises(InputError, match="line 9"):
        behind(made(), got.append)


def test_a_failure_storing_behind_stops_the_reading_and_is_raised():
    import threading

    from dilmanc.memory.store import behind

    read = []

    def endless():
        while True:
            read.append(len(read))
            yield read[-1]

    def store(item):
        if item == 3:
            raise InputError("database error (disk full)")

    with pytest.raises(InputError, match="disk full"):
        behind(endless(), store, depth=2)
    assert len(read) <= 3 + 2 + 2  # reading stopped a queue and an item or two later
    assert not any(t.name == "dilmanc-store" for t in threading.enumerate())


def test_cache_writes_wait_for_a_long_import_instead_of_failing(tmp_path):
    """While another connection holds the write lock, cache puts are kept and written later."""
    path = tmp_path / "tm.db"
    Memory.open(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    mem = Memory.open(path, timeout=1)
    mem.cache_put_many([("k1", "v1")])  # does not raise "database is locked"
    assert mem.cache_get_many(["k1"]) == {"k1": "v1"}  # served from the pending writes
    blocker.execute("ROLLBACK")
    blocker.close()
    mem.cache_put_many([("k2", "v2")])
    mem.close()
    with Memory.open(path) as again:
        assert again.cache_get_many(["k1", "k2"]) == {"k1": "v1", "k2": "v2"}


# --- killed import ----------------------------------------------------------------------------


def test_an_import_killed_half_way_leaves_the_memory_as_before(tmp_path):
    path = _filled(tmp_path / "tm.db", 50)
    with Memory.open(path) as mem:
        before = [u.with_(id=None) for u in mem.units()]
    big = tmp_path / "big.tmx"
    write_tmx(
        big,
        (
            TMUnit(f"Böyük fayl cümləsi {i} bitir.", f"Big file {i}.", "az", "en")
            for i in range(60_000)
        ),
    )
    # a small page cache makes the import spill its open transaction into the WAL early
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DILMANC_TM_CACHE_MIB": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dilmanc", "tm", "import", str(big), "--tm", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wal = Path(f"{path}-wal")
    deadline = time.monotonic() + 120
    # wait until the import has written a good part of its transaction into the WAL
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 4_000_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Memory.open(path) as mem:
        assert [u.with_(id=None) for u in mem.units()] == before
        assert mem.search("böyük fayl") == []
        assert mem.backend.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert mem.lookup("Böyük fayl cümləsi 7 bitir.", "az", "en") == []
