"""Smoke test of benchmarks/throughput.py on miniature models: build, convert, measure, JSON.

Runs the real script end to end (raw CTranslate2 worker and the `dilmanc translate` pipeline,
fixed-length decoding, streaming RSS) with 1-layer random models, so it checks wiring and the
JSON contract, not speed. No timing assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "throughput.py"

pytestmark = pytest.mark.slow


def test_quick_json_contract_on_mini_models(tmp_path, data_dir):
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable, str(SCRIPT), "--mini", "--engines", "ct2-int8,pipeline", "--rounds", "1",
        "--sentences", "5", "--tokens", "3", "--stream-sizes", "12",
        "--work-dir", str(tmp_path / "models"), "--data-dir", str(data_dir), "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| engine | sentences/s |" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))

    rows = {r["engine"]: r for r in report["results"]}
    assert set(rows) == {"ct2-int8", "dilmanc-pipeline-ct2-int8"}
    for row in rows.values():
        assert row["sentences"] == 5
        # every engine decoded exactly tokens-per-sentence tokens (min = max length)
        assert row["target_tokens"] == 5 * 3
        assert row["translate_s"] > 0 and row["peak_rss_mib"] > 0
    assert report["pipeline_overhead"] == pytest.approx(
        rows["dilmanc-pipeline-ct2-int8"]["translate_s"] / rows["ct2-int8"]["translate_s"]
    )
    assert "speedup_ct2_int8_vs_transformers_fp32" not in report  # fp32 was not run

    runs = report["streaming"]["runs"]
    assert runs["12"]["written"] == 12 and runs["12"]["peak_rss_mib"] > 0

    # the built model has the hub layout dilmanc's loader reads, and a CT2 conversion beside it
    model = Path(report["models"]["opus-mt-base"]["dir"])
    assert {"source.spm", "target.spm", "vocab.json", "config.json"} <= {
        p.name for p in model.iterdir()
    }
    vocab = json.loads((model / "vocab.json").read_text(encoding="utf-8"))
    assert max(vocab, key=vocab.get) == "<pad>"
    assert len(vocab) == report["models"]["opus-mt-base"]["shape"]["vocab_size"]
    assert (Path(report["models"]["opus-mt-base"]["ct2_dir"]) / "model.bin").exists()


def test_unknown_engine_is_a_usage_error():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--engines", "ct2-int8,warp-drive"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown engine(s) warp-drive" in done.stderr


def test_plan_batches_shares_a_short_tail_batch_out_evenly():
    """The benchmark found a small leftover batch slow; the planner now evens out the tail."""
    from dilmanc.engines.base import plan_batches

    lengths = [10] * 9
    batches = plan_batches(lengths, batch_tokens=40)
    assert [len(b) for b in batches] == [4, 3, 2]
    assert [i for b in batches for i in b] == sorted(range(9), key=lambda i: -lengths[i])
    assert plan_batches([500, 10, 10], batch_tokens=100) == [[0], [1, 2]]  # limits still hold
