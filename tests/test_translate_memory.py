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


# --- issue 16, item 1: every segment is verified, whatever its origin ---------------------------

TERM = "BMqT-nin nümayəndəsi çıxış etdi."


def glossary_run(cli, tmp_path, *extra, text):
    greport = tmp_path / "g.json"
    res, record = run(cli, tmp_path, "--builtin-glossary", "--glossary-report", greport, *extra,
                      text=text)  # fmt: skip
    return res, record, json.loads(greport.read_text(encoding="utf-8"))


def test_a_rerun_from_the_cache_counts_the_same_term_failures(cli, double, tmp_path):
    # the model loses the term whichever way it is protected: one expected term, one failure
    lost, rest = "The envoy spoke.", TERM.split(" ", 1)[1]
    double.table.update({f'"IOM"-nin {rest}': lost, f"ZXQ1-nin {rest}": lost})
    first, record, checks = glossary_run(cli, tmp_path, text=f"{TERM}\n")
    assert first.out == f"{lost}\n" and record["memory"]["machine"] == 1
    again, record_again, checks_again = glossary_run(cli, tmp_path, text=f"{TERM}\n")
    assert again.out == first.out and record_again["memory"]["cache"] == 1  # from the cache
    for rec, chk in ((record, checks), (record_again, checks_again)):
        assert (rec["glossary"]["expected"], rec["glossary"]["failed"]) == (1, 1)
        assert (chk["summary"]["expected"], chk["summary"]["failed"]) == (1, 1)
        (segment,) = chk["segments"]
        assert segment["source"] == TERM and segment["output"] == lost
        assert [f["id"] for f in segment["failed"]] == ["iom"]
    assert [s["origin"] for s in checks["segments"] + checks_again["segments"]] == [
        "machine",
        "cache",
    ]
    assert "1 term failures" in first.err and "1 term failures" in again.err


def test_memory_matches_are_verified_and_counted(cli, double, tmp_path):
    db = tmp_path / "m.db"
    add = ["tm", "add", "--tm", db, "--src", "az", "--tgt", "en"]
    assert cli([*add, "Məcburi əmək qadağandır.", "Forced labor is banned."]).code == 0
    text = "Məcburi əmək qadağandır.\nMəcburi əmək qadağandır.\n"
    for _ in range(2):
        res, record, checks = glossary_run(cli, tmp_path, text=text)
        assert res.out == "Forced labor is banned.\n" * 2 and not double.calls
        assert (record["glossary"]["expected"], record["glossary"]["failed"]) == (1, 1)
        (segment,) = checks["segments"]  # one distinct sentence, checked once
        assert segment["origin"] == "tm-exact" and segment["failed"]
        assert checks["summary"]["failed"] == 1
        assert "memory target breaks the glossary" in res.err


# --- issue 16, item 7: an engine loads only when a sentence needs it ----------------------------

MODEL_OPTIONS = ("--max-length", "4", "--beam", "1")


@pytest.fixture
def loads(monkeypatch):
    """Counts models actually loaded (weights read), whatever asks for them."""
    from dilmanc.engines import registry

    counted: list[str] = []
    real = registry._load

    def load(resolved, *args, **kwargs):
        counted.append(str(resolved.directory))
        return real(resolved, *args, **kwargs)

    monkeypatch.setattr(registry, "_load", load)
    return counted


def test_a_rerun_served_from_the_cache_never_loads_the_model(cli, tiny_marian_dir, loads, tmp_path):
    from dilmanc.engines import registry

    model = ("--model", tiny_marian_dir, *MODEL_OPTIONS)
    first, _ = run(cli, tmp_path, *model)
    assert len(loads) == 1
    registry.clear_cache()  # as in a new process: nothing loaded
    again, record = run(cli, tmp_path, *model)
    assert again.out == first.out and record["memory"]["cache"] == 3
    assert len(loads) == 1  # every sentence came from the cache: the model was never loaded
    assert record["engines"]["en"]["directory"] == str(tiny_marian_dir)
    registry.clear_cache()
    _, record = run(cli, tmp_path, *model, text=TEXT + "Yeni cümlə.\n")
    assert record["memory"]["machine"] == 1 and len(loads) == 2  # one new sentence needs it


def test_a_cached_run_imports_neither_torch_nor_transformers(cli, tiny_marian_dir, tmp_path):
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    db = tmp_path / "m.db"
    args = ["translate", "--tm", str(db), "--model", str(tiny_marian_dir), *MODEL_OPTIONS, "-q"]
    first = cli(args, stdin=TEXT)
    assert first.code == 0, first.err
    code = textwrap.dedent(
        f"""
        import io, sys
        sys.stdin = io.TextIOWrapper(io.BytesIO({TEXT.encode()!r}), encoding="utf-8")
        from dilmanc.cli import main
        assert main({args!r}) == 0
        heavy = [name for name in ("torch", "transformers") if name in sys.modules]
        assert not heavy, heavy
        """
    )
    root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    env["DILMANC_HOME"] = str(tmp_path / "dilmanc")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == first.out


def test_a_model_that_cannot_load_fails_when_a_sentence_needs_it(cli, tiny_marian_dir, tmp_path):
    import os
    import shutil

    from dilmanc.engines import registry

    model = shutil.copytree(tiny_marian_dir, tmp_path / "opus-mt-az-en-copy")
    options = ("--model", model, *MODEL_OPTIONS)
    first, _ = run(cli, tmp_path, *options)
    weights = model / "model.safetensors"
    stat = weights.stat()
    weights.write_bytes(b"\0" * stat.st_size)  # broken, same size and time: same fingerprint
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    registry.clear_cache()  # as in a new process
    again, record = run(cli, tmp_path, *options)  # everything from the cache: never loaded
    assert again.out == first.out and record["memory"]["cache"] == 3
    out = tmp_path / "out"
    res = cli(["translate", "--tm", tmp_path / "m.db", *options, "-o", out], stdin="Yeni cümlə.\n")
    assert res.code == 3 and "cannot load the model" in res.err, res.err
    assert len(res.err.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())  # no output file, not even a part
    res = cli(["translate", "--tm", tmp_path / "m.db", "--model", tmp_path / "nope"], stdin=TEXT)
    assert res.code == 3 and "no such model directory" in res.err  # said up front, as before
    assert len(res.err.strip().splitlines()) == 1
