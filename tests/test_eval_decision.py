"""`eval report --baseline` and `eval gate`: deltas with significance, settings, where, cost.

Two kinds of runs: real ones made by `eval run` with the tiny random models (garbage output,
real plumbing), and synthetic records whose hypotheses are perturbed NTREX references, written
at test time (never committed) so that significance has something to find. The glossary below
is our own list of common words.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from chromium import check_page, require_chromium

from dilmanc.eval.metrics import corpus_scores
from dilmanc.eval.records import load_run, new_record, record_json, write_run
from dilmanc.eval.testsets import load_pair
from dilmanc.pipeline.service import glossary_files, glossary_hash
from dilmanc.pipeline.settings import Settings

N = 200  # segments in the synthetic runs
GLOSSARY = (
    "az\ten\nhökumət\tgovernment\nprezident\tpresident\nölkə\tcountry\nparlament\tparliament\n"
    "seçki\telection\npolis\tpolice\nməhkəmə\tcourt\nkomanda\tteam\noyunçu\tplayer\n"
)
TERM_WORDS = re.compile(r"\b(?:police|parliament\w*|countr\w*|president\w*)\b", re.IGNORECASE)


# --- synthetic runs --------------------------------------------------------------------------


def _glossary_ref(path) -> dict:
    """What `eval run` records for a glossary file (the service layer's hashes)."""
    files = glossary_files(Settings(glossaries=(str(path),)))
    return {"files": [f.to_json() for f in files], "sha256": glossary_hash(files)}


def drop_words(lines: list[str], rate: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(w for w in line.split() if rng.random() > rate) for line in lines]


def fix_lines(hyps: list[str], refs: list[str], rate: float, seed: int) -> list[str]:
    """Replace a share of the lines by the reference (a better system)."""
    rng = random.Random(seed)
    return [ref if rng.random() < rate else hyp for hyp, ref in zip(hyps, refs, strict=True)]


def make_run(out: Path, data_dir: Path, name: str, hyps: list[str], **kw) -> Path:
    """A run record for `hyps` through the real record code (new_record + write_run)."""
    from dilmanc.glossary import load_glossaries, term_accuracy

    pair = kw.get("pair", "az-en")
    data = load_pair("ntrex128", pair, data_dir, len(hyps))
    scores = corpus_scores(hyps, [data.references])
    glossary = kw.get("glossary")
    term = None
    if glossary is not None:
        term = term_accuracy(data.sources, hyps, pair[-2:], load_glossaries([str(glossary)]))
    record = new_record(
        model=f"synthetic/{name}",
        engine=kw.get("engine", "ctranslate2"),
        architecture="marian",
        engine_info={"compute_type": kw.get("compute_type", "int8"), "device": "cpu"},
        options={
            "decode": {"beam_size": kw.get("beam", 4), "max_length": 256},
            "device": "cpu",
            "threads": 0,
            "glossary_mode": "inject" if glossary else None,
        },
        glossary=_glossary_ref(glossary) if glossary else None,
        testset=data.record(len(hyps)),
        metrics={**scores.scores, "signatures": scores.signatures},
        term_accuracy=None if term is None else term.accuracy,
        term_counts=None if term is None else {"hits": term.hits, "total": term.total},
        timings={
            "load_s": 1.5,
            "translate_s": kw.get("seconds", 10.0),
            "score_s": 0.1,
            "total_s": 12.0,
            "segments_per_s": len(hyps) / kw.get("seconds", 10.0),
        },
        memory={"peak_rss_mib": kw.get("memory", 512.0)},
    )
    out.mkdir(parents=True, exist_ok=True)
    json_path, _ = write_run(out, record, hyps)
    return json_path


@pytest.fixture(scope="module")
def synth(tmp_path_factory, data_dir):
    """Synthetic runs on the first N az-en segments, and the files sacrebleu's CLI reads."""
    root = tmp_path_factory.mktemp("synth")
    data = load_pair("ntrex128", "az-en", data_dir, N)
    refs = data.references
    glossary = root / "terms.tsv"
    glossary.write_text(GLOSSARY, encoding="utf-8")
    base = drop_words(refs, 0.3, seed=1)
    hyps = {
        "base": base,
        "better": fix_lines(base, refs, 0.1, seed=3),
        "close": fix_lines(base, refs, 0.01, seed=5),  # 3 lines better: p ≈ 0.1
        "worse": drop_words(base, 0.15, seed=7),
        "same": list(base),
        "refs": list(refs),
        "noterms": [TERM_WORDS.sub("", line) for line in refs],
    }
    runs = {}
    for name, lines in hyps.items():
        extra = {"glossary": glossary} if name in ("base", "refs", "noterms", "worse") else {}
        if name == "better":
            extra.update(beam=5, seconds=20.0, memory=900.0)
        runs[name] = make_run(root / "runs", data_dir, name, lines, **extra)
    files = {}
    for name, lines in [("ref", refs), *hyps.items()]:
        files[name] = root / f"{name}.txt"
        files[name].write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return {"root": root, "runs": runs, "files": files, "glossary": glossary}


# --- real runs with the tiny models -------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory, data_dir, tiny_marian_dir, tiny_nllb_dir):
    """Two az-en runs through `eval run`: tiny Marian and tiny NLLB, both with a glossary."""
    from dilmanc.cli import main

    out = tmp_path_factory.mktemp("tiny-runs")
    glossary = out / "terms.tsv"
    glossary.write_text(GLOSSARY, encoding="utf-8")
    base = ["eval", "run", "--testset", "ntrex128", "--pair", "az-en", "--limit", "20"]
    base += ["--out", str(out), "--data-dir", str(data_dir), "--quiet", "--beam", "1"]
    base += ["-g", str(glossary)]
    assert main([*base, "--model", str(tiny_marian_dir)]) == 0
    assert main([*base, "--model", str(tiny_nllb_dir)]) == 0
    paths = sorted(out.glob("*.json"))
    assert len(paths) == 2
    marian = next(p for p in paths if tiny_marian_dir.name in p.name)
    nllb = next(p for p in paths if p != marian)
    return marian, nllb


def table_rows(page: str, caption_part: str) -> list[list[str]]:
    """Cells (tags stripped) of the HTML table whose caption contains `caption_part`."""
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        if caption_part in table:
            rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
            return [
                [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
                for r in rows
                if "<td" in r
            ]
    raise AssertionError(f"no table with {caption_part!r}")


def test_report_on_tiny_model_runs(cli, tiny_runs, data_dir, tmp_path):
    marian, nllb = tiny_runs
    html_path, md_path = tmp_path / "report.html", tmp_path / "report.md"
    res = cli(
        ["eval", "report", marian, nllb, "--baseline", marian, "--html", html_path]
        + ["--md", md_path, "--data-dir", data_dir]
    )
    assert res.code == 0, res.err
    page = html_path.read_text(encoding="utf-8")
    for title in ("Runs", "Decision", "What differs", "Where", "Terms", "At what cost"):
        assert f">{title}</h2>" in page
    decision = table_rows(page, "against #1")
    assert [row[0] for row in decision] == ["BLEU ↑", "chrF++ ↑", "TER ↓", "term accuracy ↑"]
    for row in decision:
        assert re.fullmatch(r"\d\.\d{4}", row[5]) and row[6] in (
            "▲ better",
            "▼ worse",
            "= no sig. diff.",
        )
    # what differs: model and its revision, not the engine or beam (both runs share them)
    settings = re.search(r"What differs</h2>(.*?)</section>", page, re.S).group(1)
    assert "model revision" in settings and "sha256:" in settings
    assert ">beam<" not in settings and ">engine<" not in settings
    # cost: the peak memory the run recorded, and a quality-against-speed chart
    record = load_run(nllb)
    assert f"{record.peak_rss_mib:.1f}" in page
    assert "chrF++ against segments per second" in page
    svg = r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"'
    charts = re.findall(svg, page)
    assert len(charts) == 5  # BLEU, chrF++, TER, term accuracy, quality/speed
    assert "http" not in page.split("<body>")[1].replace("http://www.w3.org", "")
    md = md_path.read_text(encoding="utf-8")
    assert "| BLEU ↑ |" in md and "| model revision |" in md


def test_report_html_renders_without_console_errors(tiny_runs, data_dir, tmp_path, cli):
    binary = require_chromium()
    marian, nllb = tiny_runs
    html_path = tmp_path / "report.html"
    res = cli(["eval", "report", marian, nllb, "--html", html_path, "--data-dir", data_dir])
    assert res.code == 0, res.err
    check = check_page(html_path, binary)
    assert check.errors == []
    assert len(check.images) == 5 and all(image["width"] > 100 for image in check.images)
    assert check.title == "dilmanc evaluation report: ntrex128 az-en"
    assert "What differs" in check.text and "At what cost" in check.text


def test_chromium_check_catches_a_broken_page(tmp_path):
    """The check above can fail: a script error, console.error, a blocked fetch, a bad image."""
    binary = require_chromium()
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title>'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; script-src 'unsafe-inline'\"></head><body><p>x</p>"
        "<script>undefinedFunction();</script><script>console.error('boom')</script>"
        '<img src="data:image/png;base64,AAAA" alt="bad"></body></html>',
        encoding="utf-8",
    )
    errors = check_page(page, binary).errors
    assert any("undefinedFunction" in e for e in errors), errors
    assert any("console.error: boom" in e for e in errors), errors
    assert any("image not rendered" in e for e in errors), errors
    clean = tmp_path / "clean.html"
    clean.write_text("<!DOCTYPE html><title>ok</title><p>fine</p>", encoding="utf-8")
    assert check_page(clean, binary).errors == []


# --- numbers: pinned to sacrebleu's own command line ---------------------------------------------


def sacrebleu_cli(files, names, test: str) -> str:
    exe = Path(sys.executable).with_name("sacrebleu")
    cmd = [str(exe)] if exe.exists() else [shutil.which("sacrebleu") or "sacrebleu"]
    cmd += [str(files["ref"]), "-i", *(str(files[n]) for n in names)]
    cmd += ["-m", "bleu", "chrf", "ter", "--chrf-word-order", "2", f"--paired-{test}"]
    cmd += ["-f", "text", "-w", "4"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return done.stdout


def test_bootstrap_numbers_equal_sacrebleu_paired_bs(cli, synth, data_dir):
    out = sacrebleu_cli(synth["files"], ["base", "close"], "bs")
    triples = [tuple(map(float, m)) for m in re.findall(r"([\d.]+) \(([\d.]+) ± ([\d.]+)\)", out)]
    p_values = [float(p) for p in re.findall(r"\(p = ([\d.]+)\)", out)]
    assert len(triples) == 6 and len(p_values) == 3
    res = cli(
        ["eval", "gate", "--baseline", synth["runs"]["base"], "--candidate"]
        + [synth["runs"]["close"], "--max-drop", "bleu=0", "--data-dir", data_dir, "--json"]
    )
    assert res.code == 0, res.err
    verdict = json.loads(res.out)
    assert verdict["test"] == "paired bootstrap resampling" and verdict["n_samples"] == 1000
    from dilmanc.eval.inputs import read_segments
    from dilmanc.eval.significance import paired_deltas

    files = synth["files"]
    deltas = paired_deltas(
        read_segments(files["base"]), read_segments(files["close"]), [read_segments(files["ref"])]
    )
    for i, (line, delta) in enumerate(zip(verdict["metrics"], deltas, strict=False)):
        base_score, base_mean, base_ci = triples[i]
        cand_score, cand_mean, cand_ci = triples[3 + i]
        assert line["baseline"] == pytest.approx(base_score, abs=5e-5)
        assert line["candidate"] == pytest.approx(cand_score, abs=5e-5)
        assert line["p_value"] == pytest.approx(p_values[i], abs=5e-5)
        assert delta.candidate_mean == pytest.approx(cand_mean, abs=5e-5)
        assert delta.candidate_ci == pytest.approx(cand_ci, abs=5e-5)
        assert delta.baseline_mean == pytest.approx(base_mean, abs=5e-5)
        assert delta.baseline_ci == pytest.approx(base_ci, abs=5e-5)
        assert line["ci95"][0] <= line["delta"] <= line["ci95"][1]
    # a mid-range p-value somewhere, so the pin is not only on the 1/1001 floor
    assert any(0.01 < p < 0.9 for p in p_values), out


def test_approximate_randomization_equals_sacrebleu_paired_ar(cli, synth, data_dir):
    out = sacrebleu_cli(synth["files"], ["base", "close"], "ar")
    p_values = [float(p) for p in re.findall(r"\(p = ([\d.]+)\)", out)]
    assert len(p_values) == 3
    res = cli(
        ["eval", "gate", "-b", synth["runs"]["base"], "-c", synth["runs"]["close"]]
        + ["--max-drop", "chrf=1", "--test", "ar", "--data-dir", data_dir, "--json"]
    )
    assert res.code == 0, res.err
    verdict = json.loads(res.out)
    assert verdict["test"] == "paired approximate randomization" and verdict["n_samples"] == 10000
    got = [line["p_value"] for line in verdict["metrics"][:3]]
    assert got == pytest.approx(p_values, abs=5e-5)


# --- the report's verdicts on synthetic runs ----------------------------------------------------


@pytest.fixture(scope="module")
def synth_report(synth, data_dir, tmp_path_factory):
    from dilmanc.cli import main

    out = tmp_path_factory.mktemp("report")
    runs = synth["runs"]
    names = ["better", "base", "worse", "same", "refs"]
    code = main(
        ["eval", "report", *(str(runs[n]) for n in names), "--baseline", str(runs["base"])]
        + ["--html", str(out / "r.html"), "--md", str(out / "r.md"), "--data-dir", str(data_dir)]
        + ["--segments", "5"]
    )
    assert code == 0
    return (out / "r.html").read_text(encoding="utf-8"), (out / "r.md").read_text(encoding="utf-8")


def test_report_verdicts(synth_report):
    page, _ = synth_report
    better = table_rows(page, "#1 better")
    assert [r[6] for r in better[:3]] == ["▲ better"] * 3
    assert float(better[0][3]) > 0 and float(better[2][3]) < 0  # BLEU up, TER down
    worse = table_rows(page, "#3 worse")
    assert [r[6] for r in worse[:3]] == ["▼ worse"] * 3
    same = table_rows(page, "#4 same")
    assert all(r[3] in ("+0.00", "+0.000") and r[5] == "1.0000" for r in same)
    assert all(r[6] == "= no sig. diff." for r in same)
    # term accuracy: "worse" (own glossary = the baseline's) drops terms with the words
    assert worse[3][0] == "term accuracy ↑" and float(worse[3][3]) < 0
    # the baseline is named and every candidate is compared to it
    assert "Baseline: #2 " in page and page.count("against #2 base") == 4


def test_report_settings_where_and_cost(synth_report):
    page, _ = synth_report
    settings = re.search(r"What differs</h2>(.*?)</section>", page, re.S).group(1)
    for name in ("model", "beam", "glossary files", "glossary sha256", "glossary mode"):
        assert f"<td>{name}</td>" in settings, name
    for same in ("engine", "compute type", "dilmanc version", "test set sha256", "max length"):
        assert f"<td>{same}</td>" not in settings, same
    gains = table_rows(page, "#5 refs: largest gains")
    assert len(gains) == 5
    deltas = [float(r[2]) for r in gains]
    assert deltas == sorted(deltas, reverse=True) and deltas[0] > 0
    assert gains[0][4] == gains[0][6]  # the "refs" candidate is the reference
    assert "<ins>" in page and "<del>" in page
    assert "#3 worse: largest gains: none." in page
    cost = table_rows(page, "segments/s")  # header row is th; rows are per run
    by_run = {row[0]: row for row in cost}
    assert by_run["#1 better"][1] == "10.00" and by_run["#1 better"][4] == "900.0"
    assert by_run["#2 base"][1] == "20.00" and by_run["#2 base"][4] == "512.0"


def test_report_terms_per_entry(synth_report, synth, data_dir):
    page, md = synth_report
    rows = table_rows(page, "most misses first")
    by_term = {r[0]: r for r in rows}
    # columns: term, expected, then the runs with a glossary: #2 base, #3 worse, #5 refs
    assert by_term["polis"][1] == "police"
    refs_col = 4
    hits, total = map(int, by_term["polis"][refs_col].split("/"))
    assert total >= 5 and hits <= total
    misses = [int(t) - int(h) for r in rows for h, t in [r[refs_col].split("/")]]
    assert sum(misses) > 0
    # totals equal the term counts the runs recorded
    for name, col in (("base", 2), ("worse", 3), ("refs", 4)):
        record = load_run(synth["runs"][name])
        counted = [tuple(map(int, r[col].split("/"))) for r in rows]
        assert sum(h for h, _ in counted) == record.term_counts.hits
        assert sum(t for _, t in counted) == record.term_counts.total
    assert "| polis | police |" in md


def test_markdown_has_the_html_tables(synth_report):
    page, md = synth_report
    html_rows = len(re.findall(r"<tr>", page))
    md_rows = len([line for line in md.splitlines() if line.startswith("| ")])
    assert md_rows == html_rows  # header + body rows of every table
    captions = [line for line in md.splitlines() if re.fullmatch(r"\*\*[^|]*\*\*", line)]
    assert len(captions) == page.count("<caption>")
    for heading in re.findall(r"<h2>(.*?)</h2>", page):
        assert f"## {heading}" in md
    assert "▲ better" in md and "▼ worse" in md and "**" in md
    assert "data:image" not in md


# --- the gate -----------------------------------------------------------------------------------


def gate(cli, synth, data_dir, base, cand, *extra):
    runs = synth["runs"]
    return cli(
        ["eval", "gate", "--baseline", runs[base], "--candidate", runs[cand]]
        + ["--data-dir", data_dir, *extra]
    )


def test_gate_fails_on_a_significant_drop(cli, synth, data_dir):
    res = gate(cli, synth, data_dir, "base", "worse", "--max-drop", "bleu=0.5,chrf=0.5")
    assert res.code == 1
    lines = res.out.strip().splitlines()
    assert lines[0].startswith("BLEU: ") and lines[0].endswith("and is significant: FAIL")
    assert lines[1].startswith("chrF++: ") and lines[1].endswith("FAIL")
    assert lines[2].startswith("TER: ") and lines[2].endswith("not gated")
    assert lines[-1] == "gate: FAILED"
    assert res.err.startswith("dilmanc: error: regression gate failed: BLEU dropped")
    assert len(res.err.strip().splitlines()) == 1


def test_gate_passes_within_tolerance(cli, synth, data_dir):
    res = gate(cli, synth, data_dir, "base", "worse", "--max-drop", "bleu=50,chrf=50,ter=80")
    assert res.code == 0, res.err
    assert "within 50: pass" in res.out and res.out.strip().endswith("gate: passed")


def test_gate_passes_a_drop_that_is_not_significant(cli, synth, data_dir):
    """The "close" run is a little better than "base"; reversed, "base" is a small, noisy drop."""
    res = gate(cli, synth, data_dir, "close", "base", "--max-drop", "bleu=0,chrf=0,ter=0")
    verdict = json.loads(
        gate(
            cli, synth, data_dir, "close", "base", "--max-drop", "bleu=0,chrf=0,ter=0", "--json"
        ).out
    )
    insignificant = [m for m in verdict["metrics"][:3] if m["p_value"] >= 0.05]
    assert insignificant, verdict  # the data set-up guarantees one (see the pinned test)
    for metric in insignificant:
        assert metric["drop"] > 0 and not metric["failed"]
    assert "(not significant): pass" in res.out
    assert res.code == 0 and verdict["passed"] is True


def test_gate_json_and_alpha(cli, synth, data_dir):
    res = gate(cli, synth, data_dir, "base", "worse", "--max-drop", "bleu=0.5", "--json")
    assert res.code == 1
    verdict = json.loads(res.out)
    assert verdict["passed"] is False and verdict["alpha"] == 0.05
    bleu = verdict["metrics"][0]
    assert bleu["metric"] == "bleu" and bleu["failed"] is True and bleu["max_drop"] == 0.5
    assert bleu["drop"] == pytest.approx(-bleu["delta"]) and bleu["p_value"] < 0.05
    # with an absurdly strict alpha nothing is significant: exit 0
    res = gate(cli, synth, data_dir, "base", "worse", "--max-drop", "bleu=0.5", "--alpha", "1e-9")
    assert res.code == 0 and "not significant" in res.out


def test_gate_on_term_accuracy(cli, synth, data_dir):
    res = gate(cli, synth, data_dir, "refs", "noterms", "--max-term-drop", "0.01")
    assert res.code == 1
    term_line = next(line for line in res.out.splitlines() if line.startswith("term accuracy:"))
    assert term_line.endswith("FAIL")
    assert "term accuracy dropped" in res.err
    res = gate(cli, synth, data_dir, "refs", "noterms", "--max-term-drop", "0.9")
    assert res.code == 0


def test_gate_on_tiny_model_runs(cli, tiny_runs, data_dir):
    marian, nllb = tiny_runs
    res = cli(
        ["eval", "gate", "-b", marian, "-c", nllb, "--max-drop", "bleu=0.5,chrf=0.5"]
        + ["--max-term-drop", "0.01", "--data-dir", data_dir]
    )
    assert res.code in (0, 1), res.err
    assert [line.split(":")[0] for line in res.out.splitlines()[:4]] == [
        "BLEU",
        "chrF++",
        "TER",
        "term accuracy",
    ]


# --- bad input: one line, exit 2 (3 when the test set is unavailable), no output file ------------


def damaged(tmp_path: Path, source: Path, edit) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    edit(data)
    target = tmp_path / source.name
    target.write_text(json.dumps(data), encoding="utf-8")
    hyp_name = json.loads(source.read_text(encoding="utf-8"))["hypotheses_file"]
    shutil.copy(source.with_name(hyp_name), tmp_path)
    return target


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(metrics="high"), "field 'metrics' should be an object (got a string)"),
        (lambda d: d.update(testset=None), "field 'testset' should be an object (got null)"),
        (lambda d: d["metrics"].update(chrf="55"), "field 'metrics.chrf' should be a valid number"),
        (lambda d: d["testset"].update(segments=0), "field 'testset.segments'"),
        (lambda d: d.pop("model"), "field 'model' is missing"),
        (lambda d: d.update(term_accuracy=1.5), "field 'term_accuracy'"),
    ],
)
def test_damaged_record_is_one_line(cli, synth, data_dir, tmp_path, edit, expected):
    bad = damaged(tmp_path, synth["runs"]["better"], edit)
    out = tmp_path / "r.html"
    res = cli(["eval", "report", synth["runs"]["base"], bad, "--html", out, "--data-dir", data_dir])
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    assert str(bad) in res.err and expected in res.err, res.err
    assert not out.exists()
    res = gate(cli, synth, data_dir, "base", "better", "--max-drop", "bleu=1")
    assert res.code == 0  # the undamaged pair still gates


def test_bad_inputs(cli, synth, data_dir, tmp_path):
    runs = synth["runs"]
    out = tmp_path / "r.html"

    def report(*args):
        return cli(["eval", "report", *args, "--html", out, "--data-dir", data_dir])

    ru_data = load_pair("ntrex128", "az-ru", data_dir, N)
    other_pair = make_run(tmp_path / "ru", data_dir, "ru", ru_data.references, pair="az-ru")
    shorter = make_run(tmp_path / "short", data_dir, "short", ["x"] * 50)
    no_hyps = tmp_path / "nohyps"
    no_hyps.mkdir()
    shutil.copy(runs["better"], no_hyps)  # the .hyp.txt is not copied
    cases = [
        (report(runs["base"], other_pair), 2, "different test sets or pairs"),
        (report(runs["base"], shorter), 2, "do not pair"),
        (report(runs["base"], no_hyps / runs["better"].name), 2, "stored hypotheses"),
        (report(runs["base"], runs["better"], "--baseline", runs["same"]), 2, "not among"),
        (report(runs["base"], runs["base"]), 2, "given more than once"),
        (report(runs["base"], "--test", "xx"), 2, "--test must be bs or ar"),
        (
            cli(["eval", "gate", "-b", runs["base"], "-c", runs["better"]]),
            2,
            "--max-drop",
        ),
        (
            cli(["eval", "gate", "-b", runs["base"], "-c", runs["better"], "--max-drop", "x"]),
            2,
            "is not METRIC=POINTS",
        ),
        (
            cli(["eval", "gate", "-b", runs["base"], "-c", other_pair, "--max-drop", "bleu=1"]),
            2,
            "different test sets or pairs",
        ),
        (
            cli(
                ["eval", "gate", "-b", runs["better"], "-c", runs["close"], "--data-dir"]
                + [data_dir, "--max-term-drop", "0.01"]
            ),
            2,
            "neither run used a glossary",
        ),
    ]
    for res, code, text in cases:
        assert res.code == code, (text, res.err)
        assert text in res.err and len(res.err.strip().splitlines()) == 1, res.err
    assert not out.exists()


def test_test_set_unavailable_is_exit_3(cli, synth, tmp_path, monkeypatch):
    monkeypatch.delenv("DILMANC_DATA", raising=False)
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("base", "better"):
        source = synth["runs"][name]
        data = json.loads(source.read_text(encoding="utf-8"))
        for file in data["testset"]["files"]:
            file["path"] = str(tmp_path / "gone" / "ntrex128" / Path(file["path"]).name)
        (moved / source.name).write_text(json.dumps(data), encoding="utf-8")
        shutil.copy(source.with_name(data["hypotheses_file"]), moved)
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "r.md"
    args = [moved / synth["runs"]["base"].name, moved / synth["runs"]["better"].name]
    res = cli(["eval", "report", *args, "--md", out, "--data-dir", empty])
    assert res.code == 3 and "unavailable" in res.err and "offline" in res.err
    assert len(res.err.strip().splitlines()) == 1 and not out.exists()


def test_changed_glossary_is_reported_not_replaced(cli, synth, data_dir, tmp_path):
    root = tmp_path / "g"
    glossary = root / "terms.tsv"
    root.mkdir()
    glossary.write_text(GLOSSARY, encoding="utf-8")
    refs = load_pair("ntrex128", "az-en", data_dir, N).references
    base = make_run(root, data_dir, "gbase", refs, glossary=glossary)
    cand = make_run(root, data_dir, "gcand", list(refs), glossary=glossary)
    glossary.write_text(GLOSSARY + "şəhər\tcity\n", encoding="utf-8")  # edited after the runs
    out = tmp_path / "r.md"
    res = cli(["eval", "report", base, cand, "--md", out, "--data-dir", data_dir])
    assert res.code == 0, res.err
    md = out.read_text(encoding="utf-8")
    assert "has changed since the run" in md and "not checked" in md
    res = cli(
        ["eval", "gate", "-b", base, "-c", cand, "--max-term-drop", "0.01", "--data-dir", data_dir]
    )
    assert res.code == 2 and "has changed since the run" in res.err
    glossary.unlink()
    res = cli(
        ["eval", "gate", "-b", base, "-c", cand, "--max-term-drop", "0.01", "--data-dir", data_dir]
    )
    assert res.code == 3 and "is missing" in res.err


# --- records -------------------------------------------------------------------------------------


def test_records_round_trip_and_old_records_still_read(synth, data_dir, cli, tmp_path):
    path = synth["runs"]["better"]
    record = load_run(path)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert record_json(record) == on_disk  # one schema, written and read in one place
    old = tmp_path / "old"
    old.mkdir()
    for name in ("base", "better"):  # a record from before engine_info and memory existed
        data = json.loads(synth["runs"][name].read_text(encoding="utf-8"))
        del data["engine_info"], data["memory"]
        (old / synth["runs"][name].name).write_text(json.dumps(data), encoding="utf-8")
        shutil.copy(synth["runs"][name].with_name(data["hypotheses_file"]), old)
    out = tmp_path / "r.md"
    res = cli(
        ["eval", "report", *(old / synth["runs"][n].name for n in ("base", "better"))]
        + ["--md", out, "--data-dir", data_dir]
    )
    assert res.code == 0, res.err
    cost = [line for line in out.read_text().splitlines() if line.startswith("| #1 base")]
    assert cost and "–" in cost[-1]  # no peak memory recorded
