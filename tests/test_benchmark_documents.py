"""Smoke test of benchmarks/documents.py on a miniature model: the same sentences as text,
DOCX, HTML and the formats of issue 21 through `dilmanc translate`, outputs checked, ratios
and memory rows in the JSON. Checks wiring and the JSON contract, not speed (no timing
assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "documents.py"

pytestmark = pytest.mark.slow


def test_documents_benchmark_json_contract(tmp_path, data_dir):
    out = tmp_path / "docs.json"
    cmd = [
        sys.executable, str(SCRIPT), "--sentences", "6", "--tokens", "3", "--rounds", "1",
        "--pages", "1", "--work-dir", str(tmp_path / "models"), "--data-dir", str(data_dir),
        "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "DOCX/plain" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["sentences"] == 6
    new = {"pptx", "xlsx", "odt", "ods", "odp", "epub", "pdf"}  # issue 21's formats
    assert (
        set(report["formats"]) == {"text", "docx", "html", "docx-untagged", "html-untagged"} | new
    )
    assert set(report["over_plain"]) == set(report["formats"]) - {"text"}
    assert set(report["over_plain_without_redecode"]) == set(report["over_plain"])
    for name, row in report["formats"].items():
        assert 0 <= row["redecode_s"] <= row["translate_s"]
        assert 0 < row["outside_engine_s"] <= row["translate_s"]
        assert row["redecoded"] >= 0 and row["units_with_tags"] >= 0
        if name != "text":
            without = (row["translate_s"] - row["redecode_s"]) / seconds_of(report, "text")
            assert report["over_plain_without_redecode"][name] == pytest.approx(without)
    assert report["formats"]["docx-untagged"]["redecoded"] == 0
    for row in report["formats"].values():
        assert row["translate_s"] > 0 and row["peak_rss_mib"] > 0
    seconds = {name: row["translate_s"] for name, row in report["formats"].items()}
    assert report["docx_over_plain"] == pytest.approx(seconds["docx"] / seconds["text"])
    for name in new:
        assert report["over_plain"][name] == pytest.approx(seconds[name] / seconds["text"])
        assert f"{name.upper()}/plain" in done.stdout
    memory = report["memory"]["1"]
    assert memory["paragraphs"] == 20 and memory["peak_rss_mib"] > 0
    assert memory["python_docx_object_mib"] >= 0


def seconds_of(report: dict, name: str) -> float:
    return report["formats"][name]["translate_s"]


def test_document_memory_benchmark_json_contract(tmp_path, data_dir):
    out = tmp_path / "mem.json"
    cmd = [
        sys.executable, str(ROOT / "benchmarks" / "document_memory.py"), "--scale", "0.01",
        "--documents", "epub", "--work-dir", str(tmp_path / "models"),
        "--data-dir", str(data_dir), "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text(encoding="utf-8"))["documents"]["epub"]
    assert (rows["quarter"]["units"], rows["full"]["units"]) == (11, 45)
    for size in ("quarter", "full"):
        assert rows[size]["translate_peak_rss_mib"] > 0 and rows[size]["object_mib"] >= 0
    growth = rows["growth"]
    assert growth["format_beyond_object_mib"] == pytest.approx(
        growth["format_mib"] - growth["object_mib"]
    )
    assert "epub growth 1/4 → full" in done.stdout
