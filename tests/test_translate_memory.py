"""`translate` with the translation memory and the machine cache (one SQLite file): exact and
context matches replace the model, fuzzy ones are reported, an unchanged re-run comes from
the cache, and changing a setting that changes the output invalidates exactly that."""

from __future__ import annotations

import json

import pytest
from doubles import DictEngine, use_for_every_model

FUZZY = "Bakıda insan alverinə qarşı yeni layihə təqdim olundu və geniş müzakirə edildi."
TEXT = f"Salam.\nLayihə davam edir.\n{FUZZY}\n"


@pytest.fixture
def double(monkeypatch):
    engine = DictEngine({"Salam.": "Hello."})
    use_for_every_model(monkeypatch, engine)
    return engine


def run(cli, tmp_path, *extra, text=TEXT):
    report = tmp_path / "r.json"
    res = cli(["translate", "--tm", tmp_path / "m.db", "--report", report, *extra], stdin=text)
    assert res.code == 0, res.err
    return res, json.loads(report.read_text(encoding="utf-8"))


def test_rerun_comes_from_the_cache_and_settings_invalidate_it(cli, double, tmp_path):
    first, record = run(cli, tmp_path)
    assert record["memory"]["machine"] == 3 and record["memory"]["cache"] == 0
    calls = len(double.calls)
    again, record = run(cli, tmp_path)
    assert again.out == first.out
    assert len(double.calls) == calls  # the model was not asked again
    assert record["memory"]["cache"] == 3 and record["origins"]["cache"] == 3
    assert "3 from the cache" in again.err
    _, record = run(cli, tmp_path, "--beam", "2")  # another beam: other outputs, no hits
    assert record["memory"]["machine"] == 3 and len(double.calls) > calls
    _, record = run(cli, tmp_path, "--no-cache")
    assert record["memory"]["machine"] == 3


def test_memory_matches_replace_the_model_and_fuzzy_ones_are_reported(cli, double, tmp_path):
    db = tmp_path / "m.db"
    add = ["tm", "add", "--tm", db, "--src", "az", "--tgt", "en"]
    assert cli([*add, "Layihə davam edir.", "The project goes on."]).code == 0
    near = FUZZY.replace("geniş", "qısa")  # one word of twelve differs
    assert cli([*add, near, "A new project was presented and briefly discussed."]).code == 0
    res, record = run(cli, tmp_path, "--no-cache")
    lines = res.out.splitlines()
    assert lines[1] == "The project goes on."  # exact match, used as it is
    assert "Layihə davam edir." not in double.seen  # ...without the model
    assert lines[2] == f"<en> {FUZZY}"  # fuzzy: the model still translates
    memory = record["memory"]
    assert (memory["exact"], memory["fuzzy"], memory["machine"]) == (1, 1, 2)
    (suggestion,) = memory["suggestions"]
    assert suggestion["target"].startswith("A new project") and 75 <= suggestion["score"] < 100
    assert record["origins"]["tm-exact"] == 1
    # context: the same sentence between the same neighbours scores 101
    ctx = [*add, "--prev", "Salam.", "--next", FUZZY]
    assert cli([*ctx, "Layihə davam edir.", "The project continues."]).code == 0
    res, record = run(cli, tmp_path, "--no-cache")
    assert res.out.splitlines()[1] == "The project continues."
    assert record["memory"]["context"] == 1
    _, record = run(cli, tmp_path, "--no-cache", "--no-tm")
    assert record["memory"]["machine"] == 3


def test_memory_target_breaking_the_glossary_is_flagged(cli, double, tmp_path):
    db = tmp_path / "m.db"
    add = ["tm", "add", "--tm", db, "--src", "az", "--tgt", "en"]
    assert cli([*add, "Məcburi əmək qadağandır.", "Forced labor is banned."]).code == 0
    res, record = run(cli, tmp_path, "--builtin-glossary", text="Məcburi əmək qadağandır.\n")
    assert res.out == "Forced labor is banned.\n"
    assert any("memory target breaks the glossary" in w for w in record["warnings"])
    assert "memory target breaks the glossary" in res.err


def test_bad_memory_file_is_one_line_exit_2(cli, double, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 10)
    res = cli(["translate", "--tm", bad], stdin="Salam.")
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1, res.err
    assert not double.calls
