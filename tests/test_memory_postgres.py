"""The PostgreSQL memory backend as a user meets it: `tm migrate` from a SQLite file without
loss, `translate --tm postgresql://…`, and a server that cannot be reached. (The matching,
CLI, concurrency and server tests run on both backends through the `tm_location` fixture.)"""

from __future__ import annotations

import json
import re

import pytest
from doubles import DictEngine, use_for_every_model

from dilmanc.memory import Memory, TMUnit

TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
<header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en"
        srclang="az" datatype="plaintext"/>
<body>
<tu tuid="7" creationdate="20230102T030405Z" creationid="aynur"><prop type="x-domain">xəbər</prop>
  <note>redaktə olunub</note>
  <tuv xml:lang="az"><seg>AZ_SEG</seg></tuv>
  <tuv xml:lang="en-GB"><seg>EN_SEG</seg></tuv>
</tu>
<tu>
  <tuv xml:lang="az"><seg>İnsan alverinə qarşı mübarizə gücləndirilir.</seg></tuv>
  <tuv xml:lang="en"><seg>The fight against human trafficking is being stepped up.</seg></tuv>
  <tuv xml:lang="ru"><seg>Борьба с торговлей людьми усиливается.</seg></tuv>
</tu>
</body>
</tmx>
"""
BOLD = '<bpt i="1">&lt;b&gt;</bpt>{}<ept i="1">&lt;/b&gt;</ept>'
TMX = TMX.replace(
    "AZ_SEG", f'Nazirlik {BOLD.format("2024-cü il")} üçün <ph x="2">{{0}}</ph> hesabat dərc etdi.'
).replace("EN_SEG", f'The ministry published <ph x="2">{{0}}</ph> report for {BOLD.format(2024)}.')


def _export(cli, location, path) -> str:
    done = cli(["tm", "export", path, "--tm", location])
    assert done.code == 0, done.err
    text = path.read_text(encoding="utf-8")
    return re.sub(r'creationdate="[^"]*"(?=[^>]*creationtool)', "", text)  # the header's date


def test_migrate_moves_a_sqlite_memory_to_postgresql_without_loss(cli, tmp_path, pg_url):
    db, tmx = tmp_path / "memory.db", tmp_path / "in.tmx"
    tmx.write_text(TMX, encoding="utf-8")
    assert cli(["tm", "import", tmx, "--tm", db, "--keep-variants"]).code == 0
    with Memory.open(db) as mem:
        mem.add_units(
            [TMUnit("Sabah görüşərik.", "See you tomorrow.", "az", "en", prev="Salam.",
                    next="Sağ ol.", origin="ctx")] +
            [TMUnit(f"Cümlə nömrə {i} burada.", f"Sentence {i} here.", "az", "en")
             for i in range(2500)]  # more than one page of `units()`
        )  # fmt: skip
        mem.cache_put_many([(f"key{i:04d}", f"machine {i}") for i in range(30)])
    moved = cli(["tm", "migrate", "--from", db, "--to", pg_url])
    assert moved.code == 0, moved.err
    assert moved.out.strip() == (
        f"copied 2504 unit(s) (2504 new, 0 merged) and 30 cached translation(s) to {pg_url}"
    )
    assert _export(cli, pg_url, tmp_path / "pg.tmx") == _export(cli, db, tmp_path / "db.tmx")
    with Memory.open(db) as old, Memory.open(pg_url) as new:
        assert list(new.cache_entries()) == list(old.cache_entries())
        assert new.stats().pairs == old.stats().pairs == {"az-en": 2502, "az-en-GB": 1, "az-ru": 1}
        (hit,) = new.lookup("Sabah görüşərik.", "az", "en", prev="Salam.", next="Sağ ol.")
        assert (hit.kind, hit.target) == ("context", "See you tomorrow.")
    again = cli(["tm", "migrate", "--from", db, "--to", pg_url])  # nothing is doubled
    assert "(0 new, 2504 merged)" in again.out
    assert json.loads(cli(["tm", "stats", "--tm", pg_url, "--json"]).out)["units"] == 2504


def test_migrate_from_a_missing_file_is_one_line_exit_2(cli, tmp_path, pg_url):
    done = cli(["tm", "migrate", "--from", tmp_path / "nope.db", "--to", pg_url])
    assert done.code == 2 and "no such memory file" in done.err
    assert len(done.err.strip().splitlines()) == 1


def test_translate_uses_a_postgresql_memory_and_cache(cli, monkeypatch, tmp_path, pg_url):
    engine = DictEngine({"Salam.": "Hello."})
    use_for_every_model(monkeypatch, engine)
    add = ["tm", "add", "--tm", pg_url, "--src", "az", "--tgt", "en"]
    assert cli([*add, "Layihə davam edir.", "The project goes on."]).code == 0
    report = tmp_path / "r.json"
    args = ["translate", "--tm", pg_url, "--report", report]
    first = cli(args, stdin="Salam.\nLayihə davam edir.\n")
    assert first.code == 0, first.err
    assert first.out.splitlines() == ["Hello.", "The project goes on."]
    assert "Layihə davam edir." not in engine.seen  # the memory's match, not the model
    assert json.loads(report.read_text())["memory"]["exact"] == 1
    calls = len(engine.calls)
    again = cli(args, stdin="Salam.\nLayihə davam edir.\n")
    assert again.out == first.out and len(engine.calls) == calls  # from the shared cache
    assert json.loads(report.read_text())["memory"]["cache"] == 1
    import psycopg

    with psycopg.connect(pg_url) as conn:  # the unit and the cached output are in PostgreSQL
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM dilmanc.units), (SELECT count(*) FROM dilmanc.cache)"
        ).fetchone()
    assert counts == (1, 1)


@pytest.mark.parametrize("command", [["tm", "stats"], ["translate"]])
def test_an_unreachable_server_is_one_line_exit_3(cli, monkeypatch, command):
    use_for_every_model(monkeypatch, DictEngine({}))
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    done = cli([*command, "--tm", url], stdin="Salam.\n")
    assert done.code == 3, done.err
    line = done.err.strip()
    assert "\n" not in line and "cannot connect to PostgreSQL" in line
    assert "postgresql://nobody@127.0.0.1:1/none" in line and "secret" not in line


def test_a_foreign_dilmanc_schema_is_refused(pg_url):
    import psycopg

    from dilmanc.errors import InputError

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA dilmanc; CREATE TABLE dilmanc.units(id int)")
    with pytest.raises(InputError, match="not a dilmanc translation memory"):
        Memory.open(pg_url)


def test_an_unknown_scheme_is_a_usage_error():
    from dilmanc.errors import UsageError

    with pytest.raises(UsageError, match="unknown memory backend 'mysql'"):
        Memory.open("mysql://x@y/z")


def _looker(url: str, sources: list[str], stop, out) -> None:
    """What the server does per request while others write: look units up, which must
    always be found."""
    lookups = missed = 0
    with Memory.open(url) as mem:
        while not stop.is_set():
            for source in sources:
                found = mem.lookup(source, "az", "en", limit=1)
                lookups += 1
                missed += not found or found[0].score < 100
    out.put((lookups, missed))


def test_eight_writers_an_import_and_a_reader_lose_and_double_nothing(tmp_path, pg_url):
    import multiprocessing

    from test_memory_db import _importer, _writer

    from dilmanc.memory.tmx import write_tmx

    before = [TMUnit(f"Köhnə cümlə {i}.", f"Old sentence {i}.", "az", "en") for i in range(50)]
    with Memory.open(pg_url) as mem:
        mem.add_units(before)
    tmx = tmp_path / "batch.tmx"
    write_tmx(tmx, (TMUnit(f"Toplu cümlə {i}.", f"Bulk {i}.", "az", "en") for i in range(5000)))
    ctx = multiprocessing.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    reader = ctx.Process(target=_looker, args=(pg_url, [u.source for u in before], stop, out))
    reader.start()
    procs = [ctx.Process(target=_writer, args=(pg_url, w, 15, 10)) for w in range(8)]
    procs.append(ctx.Process(target=_importer, args=(pg_url, str(tmx))))
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    stop.set()
    lookups, missed = out.get(timeout=120)
    reader.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * 9 and reader.exitcode == 0
    assert lookups > 0 and missed == 0
    with Memory.open(pg_url) as mem:
        stats = mem.stats()
        assert stats.units == 50 + 8 * 15 * 5 + 10 + 5000
        assert stats.cache_entries == 8 * 15
        sources = [u.source for u in mem.units()]
        assert len(sources) == len(set(sources))
        assert mem.cache_get_many(["w7-14"]) == {"w7-14": "machine 7 14"}
