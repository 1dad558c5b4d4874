"""Quality estimation: each detector on hand-made cases, the calibration on injected NTREX
faults (recall ≥ 0.95 at precision ≥ 0.9 for untranslated/copy/loop/number/term), and the
`dilmanc qe` command."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from doubles import DictEngine, use_for_every_model

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


def test_plain_target_language_is_judged_without_the_accurate_detector(monkeypatch):
    """lingua's accurate models take seconds to load: a segment the quick (low-accuracy)
    detector is sure about never asks for them."""
    from dilmanc.text import detect

    asked, real = [], detect.detect

    def spy(text, top=3, among=(), **options):
        asked.append(options.get("quick", False))
        return real(text, top, among, **options)

    monkeypatch.setattr(detect, "detect", spy)
    target = "The weather was very nice today, so all of us went to the park together."
    assert _reasons("Bu gün hava çox gözəl idi, ona görə hamımız parka getdik.", target) == []
    assert asked == [True]


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


COPY_SOURCES = ("Bakıda hava bu gün çox isti olacaq.", "O, evə getdi.")
UNRELATED = "purple elephant quantum sandwich tomorrow"


@pytest.mark.parametrize("model", ["copy_marian_ct2_dir", "copy_marian_dir"])
def test_qe_with_a_model_scores_the_given_translations(model, request, tmp_path):
    """`qe --model`: the copy model gives its own output (the source) a score near 0 and
    unrelated words a much lower one, flagged "score"; the JSON score is the model's."""
    src = tmp_path / "src.txt"
    hyp = tmp_path / "hyp.txt"
    src.write_text("\n".join(COPY_SOURCES) + "\n")
    hyp.write_text(f"{COPY_SOURCES[0]}\n{UNRELATED}\n")
    from typer.testing import CliRunner

    from dilmanc.cli.app import app

    args = ["qe", "--src", str(src), "--hyp", str(hyp), "--to", "en", "--json"]
    done = CliRunner().invoke(app, [*args, "--model", str(request.getfixturevalue(model))])
    assert done.exit_code == 0, done.output
    copied, unrelated = json.loads(done.output)["segments"]
    assert copied["score"] > -0.5 and "score" not in copied["reasons"]
    assert unrelated["score"] < copied["score"] - 5 and "score" in unrelated["reasons"]
    without = json.loads(CliRunner().invoke(app, args).output)["segments"]
    assert [s["score"] for s in without] == [None, None]


def test_qe_with_a_model_that_cannot_score_says_so(cli, monkeypatch, tmp_path):
    """A model without scores (a pivot, here a test double): the other detectors still run
    and one line says the model signals are unavailable."""
    use_for_every_model(monkeypatch, DictEngine({}))
    src = tmp_path / "src.txt"
    hyp = tmp_path / "hyp.txt"
    src.write_text("Bu gün 5 nəfər gəldi.\n")
    hyp.write_text("Today 6 people came.\n")
    args = ["qe", "--src", src, "--hyp", hyp, "--to", "en", "--json", "--model", "any"]
    done = cli(args)
    assert done.code == 0 and "model signals unavailable" in done.err
    (segment,) = json.loads(done.out)["segments"]
    assert segment["score"] is None and segment["reasons"] == ["number"]


def test_engine_scores_agree_between_backends(copy_marian_dir, copy_marian_ct2_dir):
    """Both backends score the same pairs alike (mean log-probability per piece); a blank
    pair gets None; a pivot cannot score."""
    from dilmanc.engines.pivot import PivotEngine
    from dilmanc.engines.registry import load_engine
    from dilmanc.languages import resolve

    az, en = resolve("az"), resolve("en")
    sources, hypotheses = [*COPY_SOURCES, ""], [COPY_SOURCES[0], UNRELATED, ""]
    found = [
        load_engine(str(d)).score(sources, hypotheses, az, en)
        for d in (copy_marian_dir, copy_marian_ct2_dir)
    ]
    for hf, ct2 in zip(*found, strict=True):
        assert (hf is None and ct2 is None) or abs(hf - ct2) < 0.5
    assert found[0][2] is None and found[0][0] > found[0][1]
    engine = load_engine(str(copy_marian_dir))
    assert PivotEngine(engine, engine, en).score(sources, hypotheses, az, en) is None


# --- QE in the translation pipeline ---------------------------------------------------------------

LOOPED = "Şəhərdə yeni park açıldı və sakinlər çox sevindilər."
COPIED = "Azərbaycan Respublikasının paytaxtı Bakı şəhəridir və orada çox adam yaşayır."
FINE = "Bu gün 5 nəfər gəldi."
OUTPUTS = {
    LOOPED: "The park park park park park park was opened.",
    COPIED: COPIED,  # a model that gave the source back
    FINE: "Five people came today.",
}


@pytest.fixture
def faulty(monkeypatch):
    """Every --model loads a double that loops on one sentence and copies another."""
    return use_for_every_model(monkeypatch, DictEngine(dict(OUTPUTS)))


def _run(cli, tmp_path, *extra: str):
    source = tmp_path / "in.txt"
    source.write_text(f"{LOOPED}\n{COPIED}\n{FINE}\n", encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["translate", source, "--to", "en", "--out-dir", tmp_path / "out"]
    res = cli([*args, "--tm", tmp_path / "memory.db", "--report", report, *extra])
    assert res.code == 0, res.err
    return res, json.loads(report.read_text())


def _verdicts(record) -> dict[str, tuple[str, list[str]]]:
    return {v["unit"]: (v["verdict"], v["reasons"]) for v in record["documents"][0]["review"]}


def test_report_has_verdicts_and_reasons_and_cached_rerun_gives_the_same(cli, faulty, tmp_path):
    res, record = _run(cli, tmp_path)
    document = record["documents"][0]
    assert document["qe"] == {"en": {"ok": 1, "review": 0, "bad": 2}}
    assert record["qe"] == {"ok": 1, "review": 0, "bad": 2}
    found = _verdicts(record)
    assert found["1"] == ("bad", ["loop"])
    assert found["2"][0] == "bad" and "copy" in found["2"][1]
    assert found["3"] == ("ok", [])
    looped = next(v for v in document["review"] if v["unit"] == "1")
    assert looped["translation"] == OUTPUTS[LOOPED] and "'park' ×6" in looped["detail"]
    assert "1 units ok, 0 need review, 2 bad" in res.err
    calls = faulty.segments_translated
    again, second = _run(cli, tmp_path)
    assert faulty.segments_translated == calls  # every sentence from the cache
    assert second["memory"]["cache"] == 3
    assert _verdicts(second) == found


def test_review_only_lists_just_the_flagged_units(cli, faulty, tmp_path):
    res, record = _run(cli, tmp_path, "--review-only", "--quiet")
    lines = [line for line in res.err.splitlines() if line.startswith("dilmanc: bad")]
    assert len(lines) == 2 and "line 1" in lines[0] and "loop" in lines[0]
    assert "Five people" not in res.err
    assert [v["unit"] for v in record["documents"][0]["review"]] == ["1", "2"]


def test_qe_off_leaves_no_verdicts_and_review_only_needs_it(cli, faulty, tmp_path):
    res, record = _run(cli, tmp_path, "--qe", "off")
    assert "qe" not in record and "qe" not in record["documents"][0]
    assert record["options"]["qe"] == "off" and "quality" not in res.err
    source = tmp_path / "in.txt"
    bad = cli(["translate", source, "--to", "en", "--qe", "off", "--review-only"])
    assert bad.code == 2 and "--review-only needs" in bad.err
    wrong = cli(["translate", source, "--to", "en", "--qe", "maybe"])
    assert wrong.code == 2 and "--qe must be one of" in wrong.err


def test_the_models_own_score_reaches_qe():
    """A low length-normalised log-probability is a finding ("score") for the model's output,
    next to what the other detectors find."""
    from dilmanc.engines.base import TranslationResult
    from dilmanc.languages import resolve
    from dilmanc.pipeline.pipeline import Pipeline

    class Unsure(DictEngine):
        def _translate_encoded(self, batch, source, target, **decode):
            texts = super()._translate_encoded(batch, source, target, **decode)
            return [TranslationResult(text, score=-4.0) for text in texts]

    out = []
    pipeline = Pipeline({"en": Unsure(dict(OUTPUTS))}, resolve("az"))
    pipeline.translate_units(_units(FINE, LOOPED), [resolve("en")], lambda _, c: out.extend(c))
    assert [t.qe.reasons for t in out] == [["score"], ["score", "loop"]]
    assert pipeline.report()["qe"] == {"ok": 0, "review": 1, "bad": 1}


def _units(*texts):
    from dilmanc.documents.base import Unit
    from dilmanc.text.tagged import TaggedText

    return [Unit(str(i), TaggedText(text)) for i, text in enumerate(texts, 1)]
