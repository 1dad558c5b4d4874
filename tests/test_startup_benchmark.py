"""Smoke test of benchmarks/startup.py on the tiny CTranslate2 models: both commands run, the
JSON contract holds and the importtime check sees no torch/transformers. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "startup.py"


@pytest.mark.parametrize("fixture", ["tiny_marian_ct2_dir", "tiny_nllb_ct2_dir"])
def test_startup_benchmark_contract(fixture, request, tmp_path):
    model = request.getfixturevalue(fixture)
    out, imports = tmp_path / "startup.json", tmp_path / "importtime.txt"
    cmd = [
        sys.executable, str(SCRIPT), "--model", str(model), "--runs", "1", "--tokens", "3",
        "--json", str(out), "--importtime-out", str(imports),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| dilmanc |" in done.stdout and "ratio dilmanc / bare" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["runs"]) == {"dilmanc", "bare_ct2"}
    for rows in report["runs"].values():
        assert len(rows) == 1 and rows[0]["line"] and rows[0]["first_line_s"] > 0
        assert rows[0]["first_line_s"] <= rows[0]["exit_s"] and rows[0]["cpu_s"] > 0
    medians = report["median_first_line_s"]
    assert report["ratio"] == pytest.approx(medians["dilmanc"] / medians["bare_ct2"])
    cpu = report["median_cpu_s"]
    assert report["cpu_ratio"] == pytest.approx(cpu["dilmanc"] / cpu["bare_ct2"])
    assert report["architecture"] == ("nllb" if "nllb" in fixture else "marian")
    assert "--min-length 3" in report["commands"]["dilmanc"]
    assert report["importtime"]["heavy_imported"] == []
    assert report["importtime"]["modules"] > 50 and "dilmanc.cli" in imports.read_text()


def test_startup_benchmark_gives_ratio_tiny_and_ratio_base(tiny_marian_ct2_dir, tmp_path):
    out = tmp_path / "startup.json"
    model = str(tiny_marian_ct2_dir)
    cmd = [
        sys.executable, str(SCRIPT), "--tiny-model", model, "--base-model", model,
        "--runs", "1", "--tokens", "3", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ratio_base"] == report["ratio"] > 0
    assert report["ratio_tiny"] == report["tiny"]["ratio"] > 0
    assert set(report["tiny"]["runs"]) == {"dilmanc", "bare_ct2"}
