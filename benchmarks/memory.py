"""Translation-memory benchmark: import, database size, exact and fuzzy lookup latency.

    python benchmarks/memory.py --units 1000000 --json memory.json   # the full run
    python benchmarks/memory.py --units 20000                        # quick (smoke test)
    python benchmarks/memory.py --units 1000000 --postgres auto --writers 8   # beside PostgreSQL

`--postgres URL` (an empty database) or `--postgres auto` (a throw-away cluster started by
tests/pg_cluster.py, as root with Debian's postgresql package) measures the same units on
PostgreSQL after SQLite, in the same run; the report's "postgresql" key has the same fields,
plus the server backend's CPU seconds during the import. `--writers N` then has N processes
write small transactions (5 own units and 1 unit every writer offers, as reviewers and the
server do) into the PostgreSQL memory while one more process looks units up (what the server
does per request), and checks that nothing was lost or stored twice.

Units are synthetic Azerbaijani-like sentences made from this script's own syllables and
suffixes (no third-party text): a Zipf-distributed vocabulary of invented stems, Azerbaijani
suffixes, function words, numbers, commas and occasional inline tags, in "documents" of 25
units (so every unit has a previous and next source). Targets are pseudo-English made by
mapping each stem to an invented word, with the same numbers, so number repair works.

Steps: write the units as TMX (`write_tmx`), import it into a fresh database exactly as
`dilmanc tm import` does (`read_units` + `Memory.ingest`: one transaction) while sampling
the process RSS at checkpoints, then time lookups:
* exact: sources of stored units (`limit=1`);
* fuzzy: stored sources with one or two words replaced, or a number changed (`limit=3`);
* miss: new sentences from the same generator (`limit=3`), which read the most postings.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dilmanc.memory import Memory, TMUnit  # noqa: E402
from dilmanc.memory.importers import read_units  # noqa: E402
from dilmanc.memory.tmx import write_tmx  # noqa: E402
from dilmanc.text.turkic_case import az_title  # noqa: E402

ONSETS = [
    "b",
    "c",
    "ç",
    "d",
    "f",
    "g",
    "ğ",
    "h",
    "x",
    "j",
    "k",
    "q",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "ş",
    "t",
    "v",
    "y",
    "z",
]
VOWELS = ["a", "ə", "ı", "i", "o", "ö", "u", "ü"]
CODAS = ["", "", "", "l", "r", "n", "m", "s", "t", "q", "z", "ş", "y"]
SUFFIXES = [
    "lar",
    "lər",
    "da",
    "də",
    "dan",
    "dən",
    "ın",
    "in",
    "un",
    "ün",
    "nın",
    "nin",
    "ı",
    "i",
    "a",
    "ə",
    "la",
    "lə",
    "dır",
    "dir",
    "mış",
    "miş",
    "acaq",
]
FUNCTION = [
    "və",
    "bu",
    "ilə",
    "üçün",
    "bir",
    "də",
    "ki",
    "olan",
    "bütün",
    "hər",
    "çox",
    "daha",
    "artıq",
    "isə",
    "həm",
]
EN_ONSETS = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "br",
    "cr",
    "dr",
    "st",
    "tr",
    "pl",
]
EN_VOWELS = ["a", "e", "i", "o", "u", "ea", "oo", "ai"]


def rss_mib() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MiB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


class Generator:
    """Deterministic synthetic sentence pairs (seeded)."""

    def __init__(self, seed: int = 20240601, stems: int = 60000) -> None:
        self.rng = random.Random(seed)
        made: set[str] = set()
        self.stems: list[str] = []
        while len(self.stems) < stems:
            word = "".join(
                self.rng.choice(ONSETS) + self.rng.choice(VOWELS) + self.rng.choice(CODAS)
                for _ in range(self.rng.choice((1, 2, 2, 3)))
            )
            if word not in made and len(word) > 2:
                made.add(word)
                self.stems.append(word)
        english: set[str] = set()
        self.english: list[str] = []
        while len(self.english) < stems:
            word = "".join(
                self.rng.choice(EN_ONSETS) + self.rng.choice(EN_VOWELS)
                for _ in range(self.rng.choice((1, 2, 2, 3)))
            ) + self.rng.choice(["", "n", "t", "s", "ck", "ng"])
            if word not in english:
                english.add(word)
                self.english.append(word)
        weights = [1.0 / (rank**1.05) for rank in range(1, stems + 1)]
        total = 0.0
        self.cumulative = []
        for w in weights:
            total += w
            self.cumulative.append(total)
        self.total = total

    def _stem(self) -> int:
        return bisect.bisect_left(self.cumulative, self.rng.random() * self.total)

    def sentence(self) -> tuple[str, str]:
        rng = self.rng
        az: list[str] = []
        en: list[str] = []
        for _ in range(int(rng.triangular(4, 26, 11))):
            roll = rng.random()
            if roll < 0.18:
                word = rng.choice(FUNCTION)
                az.append(word)
                en.append(self.english[FUNCTION.index(word)])
            elif roll < 0.22:
                number = str(rng.choice((rng.randint(1, 99), rng.randint(1990, 2030))))
                az.append(number)
                en.append(number)
            else:
                stem = self._stem()
                suffix = rng.choice(SUFFIXES) if rng.random() < 0.45 else ""
                az.append(self.stems[stem] + suffix)
                en.append(self.english[stem] + ("s" if suffix in ("lar", "lər") else ""))
            if rng.random() < 0.06 and len(az) > 2:
                az[-1] += ","
                en[-1] += ","
        if rng.random() < 0.05 and len(az) > 3:
            i = rng.randrange(len(az) - 1)
            az[i], en[-1] = f"<g1>{az[i]}</g1>", f"<g1>{en[-1]}</g1>"
        end = rng.choice(".....?!")
        source = az_title(az[0]) + (" " + " ".join(az[1:]) if len(az) > 1 else "") + end
        target = en[0][:1].upper() + en[0][1:] + (" " + " ".join(en[1:]) if len(en) > 1 else "")
        return source, target + end

    def units(self, count: int, sample_every: int, samples: list) -> iter:
        doc: list[tuple[str, str]] = []
        made = 0
        while made < count:
            size = min(25, count - made)
            doc = [self.sentence() for _ in range(size)]
            for i, (source, target) in enumerate(doc):
                unit = TMUnit(
                    source,
                    target,
                    "az",
                    "en",
                    prev=doc[i - 1][0] if i else None,
                    next=doc[i + 1][0] if i + 1 < size else None,
                    tuid=f"u{made}",
                    created="20240601T120000Z",
                )
                if made % sample_every == 0:
                    samples.append(unit)
                made += 1
                yield unit

    def perturb(self, source: str) -> str:
        """Replace one or two words of `source`, or change one of its numbers."""
        words = source.split(" ")
        numbered = [i for i, w in enumerate(words) if w.strip(".,?!").isdigit()]
        if numbered and self.rng.random() < 0.3:
            i = self.rng.choice(numbered)
            tail = words[i][len(words[i].rstrip(".,?!")) :]
            words[i] = str(int(words[i].rstrip(".,?!")) + 1) + tail
            return " ".join(words)
        for _ in range(1 if len(words) < 10 else 2):
            i = self.rng.randrange(len(words))
            tail = words[i][len(words[i].rstrip(".,?!")) :]
            words[i] = self.stems[self._stem()] + tail
        return " ".join(words)


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50": round(at(0.50), 3),
        "p95": round(at(0.95), 3),
        "max": round(ordered[-1], 3),
        "mean": round(statistics.fmean(ordered), 3),
        "n": len(ordered),
    }


def timed_lookups(mem: Memory, queries: list[str], limit: int) -> tuple[list[float], list]:
    times, results = [], []
    for query in queries:
        start = time.perf_counter()
        found = mem.lookup(query, "az", "en", limit=limit)
        times.append((time.perf_counter() - start) * 1000)
        results.append(found)
    return times, results


def backend_cpu(mem: Memory) -> float | None:
    """CPU seconds used so far by the PostgreSQL server process serving `mem` (a local
    server), None for SQLite or when /proc does not show it."""
    conn = getattr(mem.backend, "conn", None)
    pid = getattr(getattr(conn, "info", None), "backend_pid", None)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lookup_queries(samples: list, gen: Generator, count: int) -> dict[str, list[str]]:
    """Exact (stored sources), fuzzy (perturbed stored sources) and miss (new) queries."""
    rng = random.Random(7)
    pool = list(samples)
    rng.shuffle(pool)
    return {
        "exact": [u.source for u in pool[:count]],
        "fuzzy": [gen.perturb(u.source) for u in pool[count : 2 * count]],
        "miss": [gen.sentence()[0] for _ in range(count)],
    }


def measure(location, tmx: Path, units: int, queries: dict, args) -> dict:
    """Import `tmx` into the empty memory at `location`, then time lookups."""
    checkpoints: list[dict] = []
    every = max(1, units // args.checkpoints)
    next_mark = [every]

    def progress(done: int) -> None:
        if done >= next_mark[0] or done == units:
            now, peak = rss_mib()
            checkpoints.append(
                {"units": done, "rss_mib": round(now, 1), "peak_mib": round(peak, 1)}
            )
            next_mark[0] += every

    mem = Memory.open(location)
    server_cpu = backend_cpu(mem)
    start, cpu = time.perf_counter(), time.process_time()
    result = mem.ingest(read_units(tmx), progress=progress)
    import_s, import_cpu = time.perf_counter() - start, time.process_time() - cpu
    if server_cpu is not None:
        server_cpu = backend_cpu(mem) - server_cpu
    size = mem.stats().size_bytes
    mem.close()
    print(
        f"{mem.backend.path}: imported {result.added} units in {import_s:.1f} s = "
        f"{result.added / import_s:,.0f} units/s ({result.added / import_cpu:,.0f} per CPU "
        f"second of this process"
        + (
            f", {result.added / server_cpu:,.0f} per CPU second of the server)"
            if server_cpu
            else ")"
        )
        + f"; database {size / 2**20:.0f} MiB"
    )
    print(
        "RSS during import (MiB): "
        + ", ".join(f"{c['units']}: {c['rss_mib']}" for c in checkpoints)
    )

    mem = Memory.open(location)
    exact_q, fuzzy_q, miss_q = queries["exact"], queries["fuzzy"], queries["miss"]
    timed_lookups(mem, exact_q[:20], 1)  # warm the page cache a little
    exact_t, exact_r = timed_lookups(mem, exact_q, 1)
    fuzzy_t, fuzzy_r = timed_lookups(mem, fuzzy_q, 3)
    miss_t, _ = timed_lookups(mem, miss_q, 3)
    mem.close()
    imported = {
        "seconds": round(import_s, 1),
        "units_per_s": round(result.added / import_s),
        "cpu_seconds": round(import_cpu, 1),  # this process's CPU time (shared machine)
        "units_per_cpu_s": round(result.added / import_cpu),
        "added": result.added,
        "merged": result.merged,
        "rss_checkpoints": checkpoints,
    }
    if server_cpu is not None:
        imported["server_cpu_seconds"] = round(server_cpu, 1)
        imported["units_per_server_cpu_s"] = round(result.added / max(server_cpu, 1e-3))
    report = {
        "import": imported,
        "db_mib": round(size / 2**20, 1),
        "db_bytes_per_unit": round(size / max(1, result.added)),
        "exact_ms": percentiles(exact_t),
        "exact_found": sum(bool(r) and r[0].score >= 100 for r in exact_r) / len(exact_r),
        "fuzzy_ms": percentiles(fuzzy_t),
        "fuzzy_found": sum(bool(r) for r in fuzzy_r) / len(fuzzy_r),
        "miss_ms": percentiles(miss_t),
    }
    print(
        f"exact lookup ms p50 {report['exact_ms']['p50']} p95 {report['exact_ms']['p95']} "
        f"(found {report['exact_found']:.0%}); fuzzy p50 {report['fuzzy_ms']['p50']} "
        f"p95 {report['fuzzy_ms']['p95']} (found {report['fuzzy_found']:.0%}); "
        f"no-match p50 {report['miss_ms']['p50']} p95 {report['miss_ms']['p95']}"
    )
    return report


# --- concurrent writers and a reader (PostgreSQL) -----------------------------------------------


def _writer(location: str, worker: int, rounds: int, shared: int, done) -> None:
    with Memory.open(location, timeout=600) as mem:
        for r in range(rounds):
            units = [
                TMUnit(
                    f"Yazan {worker} dövrə {r} cümlə {k}.", f"Writer {worker} {r} {k}.", "az", "en"
                )
                for k in range(5)
            ]
            # every writer also offers the same shared units: none may be stored twice
            units.append(TMUnit(f"Ortaq yazı {r % shared}.", f"Shared {r % shared}.", "az", "en"))
            mem.add_units(units)
            mem.cache_put_many([(f"bench-w{worker}-{r}", f"machine {worker} {r}")])
    done.put(worker)


def _reader(location: str, queries: list[str], stop, out) -> None:
    times, errors, found = [], 0, 0
    with Memory.open(location) as mem:
        i = 0
        while not stop.is_set() or i < len(queries):
            query = queries[i % len(queries)]
            start = time.perf_counter()
            try:
                found += bool(mem.lookup(query, "az", "en", limit=3))
            except Exception:  # counted: the run fails when any lookup failed
                errors += 1
            times.append((time.perf_counter() - start) * 1000)
            i += 1
    out.put({"lookups": len(times), "errors": errors, "found": found, "ms": percentiles(times)})


def concurrent_writers(location: str, writers: int, rounds: int, queries: list[str]) -> dict:
    """`writers` processes add units in small transactions while one process looks up;
    checks that every unit is stored once."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    shared = 10
    with Memory.open(location) as mem:
        before = mem.stats().units
    done, out, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_reader, args=(location, queries, stop, out))
    procs = [
        ctx.Process(target=_writer, args=(location, w, rounds, shared, done))
        for w in range(writers)
    ]
    reader.start()
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - start
    stop.set()
    reading = out.get(timeout=600)
    reader.join()
    expected = before + writers * rounds * 5 + shared
    with Memory.open(location) as mem:
        stored = mem.stats().units
        new = [u.source for u in mem.units() if u.source.startswith(("Yazan ", "Ortaq yazı "))]
        cached = mem.cache_get_many(
            [f"bench-w{w}-{r}" for w in range(writers) for r in range(rounds)]
        )
    report = {
        "writers": writers,
        "transactions": writers * rounds,
        "seconds": round(seconds, 1),
        "units_per_s": round(writers * rounds * 6 / seconds),
        "exit_codes": [p.exitcode for p in procs],
        "expected_units": expected,
        "stored_units": stored,
        "stored_twice": len(new) - len(set(new)),
        "cache_entries_found": len(cached),
        "reader": reading,
    }
    report["nothing_lost"] = (
        stored == expected
        and report["stored_twice"] == 0
        and len(cached) == writers * rounds
        and reading["errors"] == 0
        and report["exit_codes"] == [0] * writers
    )
    print(
        f"{writers} writers: {report['transactions']} transactions of 6 units in "
        f"{seconds:.1f} s ({report['units_per_s']:,} units/s offered) while one reader made "
        f"{reading['lookups']} lookups (p50 {reading['ms']['p50']} ms, p95 "
        f"{reading['ms']['p95']} ms, {reading['errors']} errors); units {stored} of "
        f"{expected} expected, {report['stored_twice']} stored twice: "
        + ("nothing lost" if report["nothing_lost"] else "LOST OR DOUBLED")
    )
    return report


def postgres_location(spec: str):
    """(URL, cluster to stop or None) for `--postgres URL|auto`."""
    if spec != "auto":
        return spec, None
    sys.path.insert(0, str(ROOT / "tests"))
    import pg_cluster

    cluster = pg_cluster.start()
    if isinstance(cluster, str):
        raise SystemExit(f"memory benchmark: {cluster}")
    return pg_cluster.create_database(cluster, "bench"), cluster


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=500, help="Lookups per kind.")
    ap.add_argument("--work-dir", help="Where the TMX and database go (default: a temp dir).")
    ap.add_argument("--json", help="Write the results here too.")
    ap.add_argument(
        "--tm",
        help="An empty memory to fill instead of a new SQLite file "
        "(e.g. postgresql://user@host/db).",
    )
    ap.add_argument("--checkpoints", type=int, default=10, help="RSS samples during import.")
    ap.add_argument(
        "--postgres",
        metavar="URL|auto",
        help="Also measure an empty PostgreSQL database (auto: start a throw-away cluster).",
    )
    ap.add_argument(
        "--writers", type=int, default=0, help="Concurrent writer processes (with --postgres)."
    )
    ap.add_argument("--rounds", type=int, default=100, help="Transactions per writer.")
    args = ap.parse_args(argv)
    if args.units < 100:
        print("memory benchmark: --units must be at least 100", file=sys.stderr)
        return 2
    on_postgres = str(args.tm or "").startswith(("postgresql://", "postgres://"))
    if args.writers and not (args.postgres or on_postgres):
        print("memory benchmark: --writers needs a PostgreSQL memory", file=sys.stderr)
        return 2
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="dilmanc-tm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    tmx, db = work / f"synthetic-{args.units}.tmx", work / f"memory-{args.units}.db"
    location = args.tm or db
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)

    gen = Generator()
    samples: list[TMUnit] = []
    start = time.perf_counter()
    written = write_tmx(
        tmx, gen.units(args.units, max(1, args.units // (3 * args.queries)), samples), src_lang="az"
    )
    write_s = time.perf_counter() - start
    print(f"wrote {written} units to {tmx} ({tmx.stat().st_size / 2**20:.0f} MiB, {write_s:.1f} s)")

    report = {"units": args.units, "tmx_mib": round(tmx.stat().st_size / 2**20, 1)}
    report["write_tmx_s"] = round(write_s, 1)
    queries = lookup_queries(samples, gen, args.queries)
    report.update(measure(location, tmx, args.units, queries, args))
    report["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    report["machine"]["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if args.writers and on_postgres:
        report["concurrent"] = concurrent_writers(
            args.tm, args.writers, args.rounds, queries["exact"] + queries["fuzzy"]
        )
    if args.postgres:
        url, cluster = postgres_location(args.postgres)
        try:
            report["postgresql"] = measure(url, tmx, args.units, queries, args)
            if args.writers:
                report["postgresql"]["concurrent"] = concurrent_writers(
                    url, args.writers, args.rounds, queries["exact"] + queries["fuzzy"]
                )
        finally:
            if cluster is not None:
                cluster.stop()
        report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not args.work_dir:
        for path in (tmx, db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        work.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
