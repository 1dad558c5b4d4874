"""`dilmanc eval score` and `eval compare`: equal to the sacrebleu CLI, significance, gates.

Hypotheses are NTREX-128 references perturbed at test time (words dropped and swapped,
some lines blanked), read from ../shared; nothing third-party is stored in the repo.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

N_LINES = 200
REFS = {"en": "newstest2019-src.eng.txt", "ru": "newstest2019-ref.rus.txt"}


def perturb(lines: list[str], seed: int, drop: float = 0.2, blank_every: int = 0) -> list[str]:
    """Drop and swap words at random; blank every `blank_every`-th line when given."""
    rng = random.Random(seed)
    out = []
    for i, line in enumerate(lines, 1):
        words = [w for w in line.split() if rng.random() > drop]
        if len(words) > 3 and rng.random() < 0.5:
            j = rng.randrange(len(words) - 1)
            words[j], words[j + 1] = words[j + 1], words[j]
        out.append("" if blank_every and i % blank_every == 0 else " ".join(words))
    return out


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=sorted(REFS))
def ntrex(request, data_dir, tmp_path_factory):
    """(lang, ref, mildly perturbed hyp, heavily perturbed hyp, second ref) in a tmp dir."""
    lang = request.param
    tmp = tmp_path_factory.mktemp(f"ntrex-{lang}")
    source = (data_dir / "ntrex128" / REFS[lang]).read_text(encoding="utf-8")
    ref_lines = source.splitlines()[:N_LINES]
    return {
        "lang": lang,
        "ref": write(tmp / f"ref.{lang}", ref_lines),
        "hyp": write(tmp / f"hyp.{lang}", perturb(ref_lines, 1, drop=0.1, blank_every=50)),
        "bad": write(tmp / f"bad.{lang}", perturb(ref_lines, 2, drop=0.5)),
        "ref2": write(tmp / f"ref2.{lang}", perturb(ref_lines, 3, drop=0.05)),
    }


def sacrebleu_cli(refs: list[Path], hyp: Path) -> dict[str, dict]:
    """Scores from the real sacrebleu command line, 6 decimals, keyed bleu/chrf/ter."""
    cmd = [sys.executable, "-m", "sacrebleu", *map(str, refs), "-i", str(hyp)]
    cmd += ["-m", "bleu", "chrf", "ter", "--chrf-word-order", "2", "-w", "6", "-f", "json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    keys = {"BLEU": "bleu", "chrF2++": "chrf", "TER": "ter"}
    return {keys[item["name"]]: item for item in json.loads(done.stdout)}


def round6(x: float) -> float:
    return float(f"{x:.6f}")


@pytest.mark.parametrize("which", ["hyp", "bad"])
def test_scores_equal_sacrebleu_cli(cli, ntrex, which):
    res = cli(["eval", "score", "--hyp", ntrex[which], "--ref", ntrex["ref"], "--json"])
    assert res.code == 0, res.err
    ours = json.loads(res.out)
    assert set(ours) == {"bleu", "chrf", "ter", "signatures", "term_accuracy", "segments"}
    theirs = sacrebleu_cli([ntrex["ref"]], ntrex[which])
    for metric in ("bleu", "chrf", "ter"):
        assert round6(ours[metric]) == theirs[metric]["score"], metric
        assert ours["signatures"][metric] == theirs[metric]["signature"]
    assert ours["segments"] == N_LINES
    assert ours["term_accuracy"] is None
    assert 0 < ours["bleu"] < 100


def test_two_references_equal_sacrebleu_cli(cli, ntrex):
    refs = [ntrex["ref"], ntrex["ref2"]]
    res = cli(["eval", "score", "--hyp", ntrex["bad"], "-r", refs[0], "-r", refs[1], "--json"])
    assert res.code == 0, res.err
    ours = json.loads(res.out)
    theirs = sacrebleu_cli(refs, ntrex["bad"])
    for metric in ("bleu", "chrf", "ter"):
        assert round6(ours[metric]) == theirs[metric]["score"]
    assert ours["signatures"]["bleu"].startswith("nrefs:2|")


def test_text_output_lines_equal_sacrebleu(cli, ntrex):
    res = cli(["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"]])
    cmd = [sys.executable, "-m", "sacrebleu", str(ntrex["ref"]), "-i", str(ntrex["hyp"])]
    cmd += ["-m", "bleu", "chrf", "ter", "--chrf-word-order", "2", "-f", "text"]
    theirs = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    ours = res.out.splitlines()
    assert ours[:3] == theirs
    assert ours[3].strip() == f"segments = {N_LINES}"


def test_empty_hypothesis_lines_are_counted_and_warned(cli, ntrex):
    res = cli(["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "--json"])
    assert res.code == 0
    assert "4 of 200 hypothesis lines are empty (lines 50, 100, 150, 200)" in res.err
    assert json.loads(res.out)["segments"] == N_LINES


def test_metrics_not_requested_are_null(cli, ntrex):
    res = cli(
        ["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "-m", "chrf", "--json"]
    )
    out = json.loads(res.out)
    assert out["bleu"] is None and out["ter"] is None and out["chrf"] > 0
    assert list(out["signatures"]) == ["chrf"]


def test_mismatched_line_counts_fail_in_one_line(cli, ntrex, tmp_path):
    short = write(tmp_path / "short.txt", ["one line", "two lines"])
    res = cli(["eval", "score", "--hyp", short, "--ref", ntrex["ref"]])
    assert res.code == 2
    assert res.out == ""
    lines = res.err.strip().splitlines()
    assert len(lines) == 1
    assert f"{short} has 2" in lines[0] and f"{ntrex['ref']} has {N_LINES}" in lines[0]
    assert lines[0].startswith("dilmanc: error: line counts differ")


def test_mismatched_source_counts_fail(cli, ntrex, tmp_path):
    src = write(tmp_path / "src.az", ["bir"] * (N_LINES - 1))
    res = cli(["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "--src", src])
    assert res.code == 2 and f"{src} has {N_LINES - 1}" in res.err


def test_missing_file_is_input_error(cli, ntrex, tmp_path):
    res = cli(["eval", "score", "--hyp", tmp_path / "nope.txt", "--ref", ntrex["ref"]])
    assert res.code == 2 and "no such file" in res.err and "Traceback" not in res.err


def test_segments_csv_is_sorted_worst_first(cli, ntrex, tmp_path):
    out_csv = tmp_path / "segments.csv"
    res = cli(
        ["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "--segments", out_csv]
    )
    assert res.code == 0, res.err
    with out_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == N_LINES
    chrf = [float(r["sentence_chrf"]) for r in rows]
    assert chrf == sorted(chrf)
    assert {r["line"] for r in rows[:4]} == {"50", "100", "150", "200"}  # the blanked lines
    assert float(rows[-1]["sentence_chrf"]) > 50


def test_fail_below_passes_and_fails(cli, ntrex):
    base = ["eval", "score", "--hyp", ntrex["bad"], "--ref", ntrex["ref"]]
    ok = cli([*base, "--fail-below", "bleu=1,chrf=1"])
    assert ok.code == 0, ok.err
    low = cli([*base, "--json", "--fail-below", "bleu=99,chrf=1"])
    assert low.code == 1
    assert json.loads(low.out)["bleu"] < 99  # scores are still printed
    assert "quality gate failed: BLEU" in low.err and "< 99" in low.err
    assert "chrF++" not in low.err


def test_fail_below_ter_is_a_ceiling(cli, ntrex):
    base = ["eval", "score", "--hyp", ntrex["bad"], "--ref", ntrex["ref"], "-m", "bleu"]
    res = cli([*base, "--json", "--fail-below", "ter=1"])
    assert res.code == 1
    assert "TER" in res.err and "> 1 (lower is better)" in res.err
    assert json.loads(res.out)["ter"] > 1  # a gated metric is computed even if not asked
    assert cli([*base, "--fail-below", "ter=100"]).code == 0


@pytest.mark.parametrize("spec", ["bleu", "bleu=high", "meteor=3", "term=90"])
def test_fail_below_malformed_is_usage_error(cli, ntrex, spec):
    res = cli(["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "--fail-below", spec])
    assert res.code == 2 and res.err.startswith("dilmanc: error:")


def test_glossary_needs_src_and_lang(cli, ntrex, tmp_path):
    res = cli(["eval", "score", "--hyp", ntrex["hyp"], "--ref", ntrex["ref"], "-g", tmp_path])
    assert res.code == 2 and "--src and --lang" in res.err


# ---- compare -------------------------------------------------------------------------------


def compare_json(cli, *args) -> dict:
    res = cli(["eval", "compare", *map(str, args), "--json"])
    assert res.code == 0, res.err
    return json.loads(res.out)


def test_compare_worse_system_is_significant_identical_is_not(cli, ntrex, tmp_path):
    same = tmp_path / "same.txt"
    same.write_bytes(ntrex["hyp"].read_bytes())
    out = compare_json(cli, "--ref", ntrex["ref"], ntrex["hyp"], ntrex["bad"], same)
    assert out["baseline"] == str(ntrex["hyp"])
    assert out["n_samples"] == 1000 and out["seed"] == 12345
    base, bad, twin = out["systems"]
    for metric in ("bleu", "chrf"):
        assert base[metric]["p_value"] is None
        assert bad[metric]["p_value"] < 0.05 and bad[metric]["significant"] is True
        assert bad[metric]["score"] < base[metric]["score"]
        assert twin[metric]["p_value"] == 1.0 and twin[metric]["significant"] is False
        assert twin[metric]["score"] == base[metric]["score"]
        assert base[metric]["ci95"] > 0
    assert "bs:1000|seed:12345" in out["signatures"]["bleu"]


def test_compare_scores_and_ci_equal_sacrebleu_cli(cli, ntrex):
    out = compare_json(cli, "--ref", ntrex["ref"], ntrex["hyp"], ntrex["bad"])
    cmd = [sys.executable, "-m", "sacrebleu", str(ntrex["ref"]), "-i", str(ntrex["hyp"])]
    cmd += [str(ntrex["bad"]), "-m", "bleu", "chrf", "--chrf-word-order", "2", "--paired-bs"]
    text = subprocess.run(cmd + ["-f", "text"], capture_output=True, text=True, check=True).stdout
    bad = out["systems"][1]
    for metric in ("bleu", "chrf"):
        r = bad[metric]
        cell = f"{r['score']:.1f} ({r['mean']:.1f} ± {r['ci95']:.1f})"
        assert cell in text, (cell, text)
        assert f"(p = {r['p_value']:.4f})" in text


def test_compare_seed_repeatable(cli, ntrex):
    args = ["--ref", ntrex["ref"], ntrex["hyp"], ntrex["bad"]]
    assert compare_json(cli, *args, "--seed", "7") == compare_json(cli, *args, "--seed", "7")


def test_compare_text_table(cli, ntrex):
    res = cli(["eval", "compare", "--ref", ntrex["ref"], ntrex["hyp"], ntrex["bad"]])
    assert res.code == 0, res.err
    assert "(baseline)" in res.out and "p < 0.05" in res.out
    bad_row = next(line for line in res.out.splitlines() if line.startswith(str(ntrex["bad"])))
    assert bad_row.count("*") == 2


def test_compare_needs_two_systems_and_aligned_files(cli, ntrex, tmp_path):
    assert cli(["eval", "compare", "--ref", ntrex["ref"], ntrex["hyp"]]).code == 2
    short = write(tmp_path / "short.txt", ["x"])
    res = cli(["eval", "compare", "--ref", ntrex["ref"], ntrex["hyp"], short])
    assert res.code == 2 and f"{short} has 1" in res.err
    assert len(res.err.strip().splitlines()) == 1


# ---- term accuracy (our own sentences and glossary) ----------------------------------------

GLOSSARY = "az\ten\tru\nnazirlik\tministry\tминистерство\nsəfirlik\tembassy\tпосольство\n"
SOURCES = ["Nazirlik yeni layihə başladı.", "Səfirliyin əməkdaşları gəldi.", "Hava yaxşıdır."]
HYPS = ["The ministry started a new project.", "Mission staff came.", "The weather is good."]


@pytest.fixture
def term_files(tmp_path):
    return {
        "g": write(tmp_path / "terms.tsv", GLOSSARY.splitlines()),
        "src": write(tmp_path / "src.az", SOURCES),
        "hyp": write(tmp_path / "hyp.en", HYPS),
        "ref": write(tmp_path / "ref.en", HYPS[:1] + ["The embassy staff came.", HYPS[2]]),
    }


def test_term_accuracy_from_glossary(cli, term_files):
    f = term_files
    args = ["eval", "score", "--hyp", f["hyp"], "--ref", f["ref"], "--src", f["src"]]
    res = cli([*args, "-g", f["g"], "--lang", "en", "--json"])
    assert res.code == 0, res.err
    assert json.loads(res.out)["term_accuracy"] == pytest.approx(0.5)
    text = cli([*args, "-g", f["g"], "--lang", "en"])
    assert "term accuracy = 0.500 (1/2 terms)" in text.out
    gate = cli([*args, "-g", f["g"], "--lang", "en", "--fail-below", "term=0.9"])
    assert gate.code == 1 and "term accuracy 0.50 < 0.9" in gate.err


def test_empty_files_are_an_input_error(cli, tmp_path):
    hyp, ref = write(tmp_path / "h.txt", []), write(tmp_path / "r.txt", [])
    res = cli(["eval", "score", "--hyp", hyp, "--ref", ref])
    assert res.code == 2 and "nothing to score" in res.err and "Traceback" not in res.err
    assert cli(["eval", "compare", "--ref", ref, hyp, hyp]).code == 2


def test_metrics_come_from_one_registry_like_sacrebleus():
    import sacrebleu.metrics

    from dilmanc.errors import SettingError
    from dilmanc.eval.metrics import (
        HIGHER_IS_BETTER,
        LABELS,
        METRICS,
        REGISTRY,
        make_metric,
        parse_metrics,
    )

    assert METRICS == tuple(REGISTRY) == ("bleu", "chrf", "ter")
    for name, kind in REGISTRY.items():
        assert isinstance(make_metric(name), getattr(sacrebleu.metrics, kind.cls))
        assert LABELS[name] == kind.label and HIGHER_IS_BETTER[name] == kind.higher_is_better
    assert make_metric("chrF++").word_order == 2
    assert make_metric("bleu", sentence=True).effective_order
    assert not make_metric("bleu").effective_order
    with pytest.raises(SettingError) as refused:
        parse_metrics(" , ")
    assert refused.value.setting == "metrics" and "--" not in str(refused.value)
