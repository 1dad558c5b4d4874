"""Quality estimation: each detector on hand-made cases, the calibration on injected NTREX
faults (recall ≥ 0.95 at precision ≥ 0.9 for untranslated/copy/loop/number/term), and the
`dilmanc qe` command."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dilmanc.documents.base import TagOutcome
from dilmanc.qe import Segment, assess, worst

ROOT = Path(__file__).resolve().parents[1]


def _reasons(source: str, target: str, lang: str = "en", **extra) -> list[str]:
    return assess(Segment(source, target, "az", lang, **extra)).reasons


def test_clean_translation_is_ok():
    found = assess(Segment("Bu gün 5 nəfər gəldi.", "Five people came today.", "az", "en"))
    assert found.verdict == "ok" and found.reasons == []


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [
        ("2019-cu ildə 120 nəfər gəldi.", "In 2018, 120 people came.", "number"),
        ("Ətraflı: https://iom.int/az", "More at https://iom.int/en", "url"),
        ("Yazın: info@iom.az", "Write to: office@iom.az", "email"),
        ("Salam, %s!", "Hello!", "placeholder"),
        (
            "Bu gün hava çox gözəldir və biz parka getdik.",
            "Bu gün hava çox gözəldir və biz parka getdik.",
            "copy",
        ),
        (
            "Bu gün hava çox gözəldir.",
            "Sabah biz hamımız birlikdə parka gedəcəyik, dedi.",
            "untranslated",
        ),
        ("Bu gün hava çox gözəldir.", "Heute ist das Wetter sehr schön und wir gehen.", "language"),
        (
            "Hava gözəldir və biz parka getdik.",
            "The weather is nice and we went to the park park park park",
            "loop",
        ),
        ("Hava gözəldir və biz parka getdik, sonra evə qayıtdıq.", "The weather", "length"),
        ("Hava gözəldir.", "Subtitles by the Amara.org community", "boilerplate"),
    ],
)
def test_each_detector_flags_its_fault(source, target, reason):
    assert reason in _reasons(source, target)


def test_numbers_written_as_words_or_in_thousands_are_not_flagged():
    assert _reasons("Hadisədə 6 nəfər həbs edilib.", "Six people were arrested.") == []
    assert _reasons("30 mindən çox insan gəldi.", "More than 30,000 people came.") == []
    assert _reasons("Saat 07:55-də başladı.", "It started at 7.55am.") == []
    assert _reasons("Arizonanın 40%-i quraqlıqdadır.", "40% of Arizona is in drought.") == []


def test_signals_from_other_stages_become_findings():
    from dilmanc.glossary import Entry
    from dilmanc.glossary.verify import check_entry

    entry = Entry(("BMT",), {"en": ("UN",)})
    failed = (check_entry("The organisation said.", entry, "en"),)
    assert _reasons("BMT bildirdi.", "The organisation said.", terms=failed) == ["term"]
    tags = TagOutcome(2, 0, 0, 2)
    assert _reasons("Salam dünya.", "Hello world.", tags=tags) == ["tags"]
    assert _reasons("Salam dünya.", "Hello world.", score=-3.2) == ["score"]
    attention = [[0.9, 0.05, 0.05], [0.9, 0.05, 0.05]]
    found = _reasons(
        "Salam dünya.", "Hello world.", attention=attention, source_tokens=("▁Sal", "am", "▁dünya")
    )
    assert found == ["attention"]


def test_worst_of_several_sentences():
    a = assess(Segment("Salam.", "Hello.", "az", "en"))
    b = assess(Segment("2019-cu il.", "2018.", "az", "en"))
    assert worst(a, b).verdict == "review" and worst(a, b).reasons == ["number"]


def _benchmark():
    spec = importlib.util.spec_from_file_location("qe_bench", ROOT / "benchmarks" / "qe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("detector", ["language", "copy", "loop", "number", "term"])
def test_calibration_on_injected_faults(detector, data_dir, calibration):
    row = calibration["detectors"][detector]
    assert row["cases"] >= 40, row
    assert row["recall"] >= 0.95, row
    assert row["precision"] >= 0.9, row


@pytest.fixture(scope="module")
def calibration(data_dir):
    return _benchmark().measure(250, seed=7, data=data_dir / "ntrex128")


def test_qe_command_json_and_gate(tmp_path):
    src = tmp_path / "src.txt"
    hyp = tmp_path / "hyp.txt"
    src.write_text("Bu gün 5 nəfər gəldi.\nBakıda hava bu gün çox isti olacaq.\nO, evə getdi.\n")
    hyp.write_text("Today 6 people came.\nBakıda hava bu gün çox isti olacaq.\nHe went home.\n")
    from typer.testing import CliRunner

    from dilmanc.cli.app import app

    runner = CliRunner()
    done = runner.invoke(app, ["qe", "--src", str(src), "--hyp", str(hyp), "--to", "en", "--json"])
    assert done.exit_code == 0, done.output
    segments = json.loads(done.output)["segments"]
    assert [(s["line"], s["verdict"]) for s in segments] == [(1, "review"), (2, "bad"), (3, "ok")]
    assert segments[0]["reasons"] == ["number"] and "copy" in segments[1]["reasons"]
    args = ["qe", "--src", str(src), "--hyp", str(hyp), "--to", "en", "--review-only"]
    done = runner.invoke(app, args)
    assert [line.split("\t")[0] for line in done.output.splitlines()] == ["1", "2"]
    from dilmanc.errors import InputError, QualityGateFailed

    gate = runner.invoke(app, [*args, "--fail-on", "bad"]).exception
    assert isinstance(gate, QualityGateFailed) and gate.exit_code == 1
    hyp.write_text("Today 5 people came.\n")
    uneven = runner.invoke(app, args).exception
    assert isinstance(uneven, InputError) and "must align" in str(uneven)
