"""Smoke test of benchmarks/memory.py in its quick mode (20,000 synthetic units): it runs end to
end and writes the JSON contract. It checks wiring and the numbers' consistency, not speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "memory.py"

pytestmark = pytest.mark.slow


def test_quick_benchmark_writes_its_report(tmp_path):
    out = tmp_path / "memory.json"
    work = tmp_path / "work"
    cmd = [sys.executable, str(SCRIPT), "--units", "20000", "--queries", "100",
           "--work-dir", str(work), "--json", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exact lookup ms p50" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["units"] == 20000
    imported = report["import"]
    assert imported["added"] + imported["merged"] == 20000 and imported["added"] > 19000
    assert imported["units_per_s"] > 0 and imported["cpu_seconds"] > 0
    marks = imported["rss_checkpoints"]
    assert len(marks) >= 5 and marks[-1]["units"] == 20000
    assert all(m["rss_mib"] > 0 for m in marks)
    assert report["db_mib"] > 0 and (work / "memory-20000.db").exists()
    for kind in ("exact_ms", "fuzzy_ms", "miss_ms"):
        assert report[kind]["n"] == 100 and 0 < report[kind]["p50"] <= report[kind]["p95"]
    assert report["exact_found"] == 1.0  # every stored source is found as an exact match
    assert report["fuzzy_found"] >= 0.9  # perturbed sources (1-2 words, or a number) too


def test_too_few_units_is_a_usage_error():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--units", "5"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--units must be at least 100" in done.stderr
