"""`eval run` end to end on tiny random models, and `eval report` HTML/Markdown.

Tiny random-weight models translate into garbage, so BLEU is near 0: the tests check the
plumbing (alignment, record contents, files, gate), not translation quality.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from dilmanc.eval.records import RECORD_FORMAT, load_run

pytestmark = pytest.mark.slow

LIMIT = 20


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir, tiny_marian_dir, tiny_nllb_dir):
    """Two benchmark runs (az→en on Marian, az→ru on NLLB) made through the CLI."""
    from dilmanc.cli import main

    out = tmp_path_factory.mktemp("runs")
    base = ["eval", "run", "--testset", "ntrex128", "--limit", str(LIMIT), "--out", str(out)]
    base += ["--data-dir", str(data_dir), "--quiet", "--beam", "1"]
    assert main([*base, "--pair", "az-en", "--model", str(tiny_marian_dir)]) == 0
    assert main([*base, "--pair", "az-ru", "--model", str(tiny_nllb_dir)]) == 0
    records = sorted(out.glob("*.json"))
    assert len(records) == 2
    return out, records


def test_run_record_contents(runs, tiny_marian_dir):
    out, paths = runs
    by_pair = {json.loads(p.read_text())["testset"]["pair"]: p for p in paths}
    record = load_run(by_pair["az-en"])
    assert record.format == RECORD_FORMAT
    assert record.model == str(tiny_marian_dir)
    assert record.engine in ("transformers", "ctranslate2")
    assert record.options.decode.beam_size == 1 and record.beam == 1
    assert record.max_length == 256
    assert record.glossary is None and record.term_accuracy is None
    ts = record.testset
    assert ts.name == "ntrex128" and ts.segments == LIMIT and ts.limit == LIMIT
    assert ts.translationese is True and "translated from English" in ts.note
    assert {f.sha256 for f in ts.files} == {
        "90edee8c16867fbbf777687c4c59a6008aea7af0945bd331843ee69073f749a5",
        "389e8f5796c66db4f646dfad33e1ec622d74767af5ef112b42a1f2cd814df3cc",
    }
    metrics = record.metrics
    assert all(metrics.get(m) >= 0 for m in ("bleu", "chrf", "ter"))
    assert set(metrics.signatures) == {"bleu", "chrf", "ter"}
    assert record.timings.translate_s >= 0 and record.timings.total_s > 0
    assert record.pipeline["segments"]["lines"] == LIMIT
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.date)
    assert record.dilmanc_version
    hyp_file = out / record.hypotheses_file
    assert hyp_file.exists() and len(hyp_file.read_text(encoding="utf-8").splitlines()) == LIMIT
    # new in the record: engine details, model revision (content hash of a local dir), memory
    assert record.compute_type and record.engine_info.device == "cpu"
    assert record.revision.startswith("sha256:") and len(record.revision) == 7 + 64
    assert record.peak_rss_mib > 10


def test_run_scores_equal_eval_score(cli, runs, data_dir, tmp_path):
    """The record's metrics equal `eval score` on the written hypotheses."""
    out, paths = runs
    record = load_run(paths[0])
    ref_name = next(f.path for f in record.testset.files if "aze-Latn" not in f.path)
    ref_lines = Path(ref_name).read_text(encoding="utf-8").splitlines()[:LIMIT]
    ref = tmp_path / "ref.txt"
    ref.write_text("\n".join(ref_lines) + "\n", encoding="utf-8")
    res = cli(["eval", "score", "--hyp", out / record.hypotheses_file, "--ref", ref, "--json"])
    scored = json.loads(res.out)
    for metric in ("bleu", "chrf", "ter"):
        assert scored[metric] == pytest.approx(record.metrics.get(metric), abs=1e-9)


def test_run_fail_below_exits_1_after_writing(cli, runs, data_dir, tiny_marian_dir, tmp_path):
    res = cli(
        ["eval", "run", "--testset", "ntrex128", "--pair", "az-en", "--limit", "3"]
        + ["--model", tiny_marian_dir, "--out", tmp_path, "--data-dir", data_dir, "-q"]
        + ["--beam", "1", "--fail-below", "bleu=90"]
    )
    assert res.code == 1
    assert "quality gate failed: BLEU" in res.err and "< 90" in res.err
    assert len(list(tmp_path.glob("*.json"))) == 1  # the record is kept for inspection


def test_report_refuses_runs_on_different_pairs(cli, runs, tmp_path, data_dir):
    """az-en and az-ru runs do not pair: one line, exit 2, no file (see test_eval_decision)."""
    _, paths = runs
    html_path = tmp_path / "report.html"
    res = cli(["eval", "report", *paths, "--html", html_path, "--data-dir", data_dir])
    assert res.code == 2
    assert "different test sets or pairs" in res.err and len(res.err.strip().splitlines()) == 1
    assert not html_path.exists()


def test_report_rejects_non_records(cli, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    res = cli(["eval", "report", bad, "--html", tmp_path / "r.html"])
    assert res.code == 2 and "not a dilmanc run record" in res.err
    assert not (tmp_path / "r.html").exists()
    broken = tmp_path / "y.json"
    broken.write_text("{", encoding="utf-8")
    assert cli(["eval", "report", broken, "--md", tmp_path / "r.md"]).code == 2


def test_report_needs_an_output(cli, runs):
    _, paths = runs
    res = cli(["eval", "report", *paths])
    assert res.code == 2 and "--html" in res.err


def test_run_with_glossary_records_hash_and_term_accuracy(cli, data_dir, tiny_marian_dir, tmp_path):
    glossary = tmp_path / "terms.tsv"
    glossary.write_text("az\ten\nnazirlik\tministry\nprezident\tpresident\n", encoding="utf-8")
    res = cli(
        ["eval", "run", "--testset", "ntrex128", "--pair", "az-en", "--limit", "5"]
        + ["--model", tiny_marian_dir, "--out", tmp_path / "runs", "--data-dir", data_dir]
        + ["-q", "--beam", "1", "-g", glossary, "--json"]
    )
    assert res.code == 0, res.err
    record = json.loads(res.out)
    digest = hashlib.sha256(glossary.read_bytes()).hexdigest()
    assert record["glossary"]["files"] == [{"path": str(glossary), "sha256": digest}]
    assert record["options"]["glossary_mode"] == "inject"
    assert 0.0 <= record["term_accuracy"] <= 1.0
    assert record["term_counts"]["total"] >= 0
