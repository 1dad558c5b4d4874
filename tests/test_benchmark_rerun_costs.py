"""Smoke tests of benchmarks/rerun.py and benchmarks/costs.py on miniature models: they run
end to end through `dilmanc translate` and write their JSON. They check wiring and counts (the
re-run is served from the cache, the glossary report is read), not speed: no timing asserts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"

pytestmark = pytest.mark.slow


def _run(script: str, tmp_path: Path, data_dir: Path, *extra: str) -> dict:
    out = tmp_path / f"{script}.json"
    cmd = [sys.executable, str(BENCH / f"{script}.py"), "--quick", "--work-dir",
           str(tmp_path / "models"), "--data-dir", str(data_dir), "--json", str(out),
           *extra]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_rerun_second_run_comes_from_the_cache(tmp_path, data_dir):
    report = _run(
        "rerun", tmp_path, data_dir, "--lines", "40", "--tokens", "4", "--second-runs", "2"
    )
    sentences = report["segments"]["total"]
    assert len(report["runs"]["second"]) == len(report["runs"]["second_without_report"]) == 2
    assert report["cached_run_seconds"] == report["second_wall_s"] > 0
    assert report["cached_run_seconds_without_report"] > 0  # its output is checked by the script
    assert report["lines"] == 40 and sentences >= 40
    assert report["first_memory"]["machine"] == sentences and report["first_memory"]["cache"] == 0
    assert report["second_memory"]["cache"] == sentences
    assert report["second_memory"]["machine"] == 0
    for run in (*report["runs"]["first"], *report["runs"]["second"]):
        assert run["translate_s"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mib"] > 0
    assert report["ratio_translate"] == pytest.approx(
        report["first_translate_s"] / report["second_translate_s"]
    )


def test_costs_pivot_and_nbest_contract(tmp_path, data_dir):
    report = _run("costs", tmp_path, data_dir, "--sentences", "6", "--tokens", "4")
    runs = report["runs"]
    assert set(runs) == {"direct", "pivot", "no-glossary", "n-best-1", "n-best-4"}
    assert runs["pivot"]["segments"]["total"] == runs["direct"]["segments"]["total"] == 6
    # the en→ru leg is a model of its own, built with its language pair
    config = json.loads((Path(report["model_b"]) / "tokenizer_config.json").read_text())
    assert (config["source_lang"], config["target_lang"]) == ("en", "ru")
    # every n-best sentence carries a built-in glossary term that dilmanc finds
    assert report["nbest_segments"] == 6
    assert runs["n-best-4"]["glossary"]["segments_with_terms"] == 6
    assert runs["no-glossary"].get("glossary") is None
    hyp = report["hypotheses"]
    assert hyp["n-best-4"]["segments_with_terms"] == 6
    assert hyp["n-best-4"]["hypotheses_considered"] == 4
    assert hyp["n-best-1"]["hypotheses_considered"] == 1 and hyp["n-best-1"]["changed"] == 0
    assert report["pivot_over_direct"] == pytest.approx(
        runs["pivot"]["translate_s"] / runs["direct"]["translate_s"]
    )


def test_costs_rejects_unknown_parts():
    done = subprocess.run(
        [sys.executable, str(BENCH / "costs.py"), "--parts", "pivot,warp"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "--parts takes pivot and/or nbest" in done.stderr
