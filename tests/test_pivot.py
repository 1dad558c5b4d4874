"""Pivot translation (source → English → target): engine chaining, glossary over both legs,
licences, the `a+b` model spec and the pivot preset."""

from __future__ import annotations

import pytest
from doubles import DictEngine

from dilmanc.engines.base import Leg, Translator
from dilmanc.engines.pivot import PivotEngine
from dilmanc.glossary import TermEnforcer, load_glossaries
from dilmanc.glossary.pivot import pivot_glossary
from dilmanc.languages import resolve
from dilmanc.models.presets import PIVOTS, commercial_use
from dilmanc.pipeline.pipeline import Pipeline

AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")


def pivot() -> tuple[PivotEngine, DictEngine, DictEngine]:
    first = DictEngine(model="az-en", targets=("en",))
    second = DictEngine(model="en-ru", targets=("ru",), source="en")
    return PivotEngine(first, second, EN), first, second


def test_legs_chain_and_languages():
    engine, first, second = pivot()
    assert engine.supports(AZ, RU) and not engine.supports(AZ, EN)
    assert engine.translate_batch(["Salam dünya."], AZ, RU) == ["<ru> <en> Salam dünya."]
    assert first.calls == [("en", ["Salam dünya."])]
    assert second.calls == [("ru", ["<en> Salam dünya."])]
    assert engine.info()["model"] == "az-en+en-ru"


def test_glossary_holds_over_both_legs():
    engine, first, second = pivot()
    glossary = load_glossaries([], builtin=True)
    pipeline = Pipeline({"ru": engine}, AZ, enforcer=TermEnforcer(glossary, "inject"))
    iom = glossary.by_id("iom")
    english, russian = iom.target("en"), iom.target("ru")
    (out,) = pipeline.translate_lines(["BMqT-nin nümayəndəsi çıxış etdi."], RU)
    assert f'"{english}"-nin' in first.calls[0][1][0]  # leg one: the English term injected
    assert f'"{russian}"' in second.calls[0][1][0]  # leg two: mapped to the Russian term
    assert russian in out and '"' not in out and english not in out
    (report,) = pipeline.glossary_reports
    assert report["expected"] == [russian] and report["satisfied"] == [russian]
    assert report["found"][0]["text"] == "BMqT-nin"  # found in the Azerbaijani source


def test_a_term_lost_on_leg_one_is_reported_in_the_target_language():
    engine, first, _ = pivot()
    first.table = {'"IOM"-nin işi.': "The work.", "ZXQ1-nin işi.": "The work."}
    glossary = load_glossaries([], builtin=True)
    pipeline = Pipeline({"ru": engine}, AZ, enforcer=TermEnforcer(glossary, "inject"))
    pipeline.translate_lines(["BMqT-nin işi."], RU)
    (report,) = pipeline.glossary_reports
    iom = glossary.by_id("iom")
    assert report["failed"] and report["failed"][0]["expected"] == iom.target("ru")


def test_any_engine_that_says_two_legs_gets_the_glossary_on_both():
    """The pipeline asks the engine for its legs (no class check): an engine of another kind
    with two legs is run leg by leg, the English term enforced and mapped to Russian."""
    first = DictEngine(model="az-en", targets=("en",))
    second = DictEngine(model="en-ru", targets=("ru",), source="en")

    class Chained(DictEngine):  # not a PivotEngine
        def legs(self, source, target):
            return [Leg(first, source, EN), Leg(second, EN, target)]

    glossary = load_glossaries([], builtin=True)
    engine = Chained(model="chained", targets=("ru",))
    pipeline = Pipeline({"ru": engine}, AZ, enforcer=TermEnforcer(glossary, "inject"))
    (out,) = pipeline.translate_lines(["BMqT-nin nümayəndəsi çıxış etdi."], RU)
    iom = glossary.by_id("iom")
    assert engine.calls == []  # its legs did the work
    assert f'"{iom.target("en")}"-nin' in first.calls[0][1][0]
    assert f'"{iom.target("ru")}"' in second.calls[0][1][0]
    assert iom.target("ru") in out


def test_every_engine_is_a_translator_with_one_leg_unless_it_says_more():
    engine, first, second = pivot()
    assert isinstance(first, Translator) and isinstance(engine, Translator)
    assert first.legs(AZ, EN) == [Leg(first, AZ, EN)]
    assert [leg.engine for leg in engine.legs(AZ, RU)] == [first, second]
    wrapped = engine.with_legs(lambda e: DictEngine(model=f"wrapped {e.model}"))
    assert [leg.engine.model for leg in wrapped.legs(AZ, RU)] == ["wrapped az-en", "wrapped en-ru"]


def test_pivot_glossary_maps_english_to_russian():
    glossary = pivot_glossary(load_glossaries([], builtin=True), "en", "ru")
    iom = next(e for e in glossary if e.id == "iom")
    assert "IOM" in iom.az and "МОМ" in iom.accepted("ru")


def test_licences_and_pivot_preset():
    from dilmanc.models.presets import licences_of

    assert PIVOTS["opus-mt-az-en-ru"] == "opus-mt-az-en+opus-mt-en-ru"
    assert licences_of("opus-mt-az-en-ru") == ["Apache-2.0", "Apache-2.0"]
    assert licences_of("nllb-200-distilled-600M") == ["CC-BY-NC-4.0"]
    assert commercial_use("Apache-2.0") is True
    assert commercial_use("CC-BY-NC-4.0") is False
    assert commercial_use(None) is None


@pytest.mark.slow
def test_pivot_spec_through_the_cli(cli, tiny_marian_dir, tmp_path):
    from tiny_models import build_marian

    en_ru = build_marian(tmp_path / "opus-mt-en-ru-tiny", source="en", target="ru")
    spec = f"ru={tiny_marian_dir}+{en_ru}"
    report = tmp_path / "r.json"
    args = ["translate", "--to", "ru", "-m", spec, "--max-length", "5", "--report", report]
    res = cli(args, stdin="Bakı şəhəri.\n")
    assert res.code == 0, res.err
    assert res.out.strip()
    import json

    record = json.loads(report.read_text())
    assert record["engine"]["ru"] == "transformers+transformers"
    assert record["licences"] == {"ru": [None, None]} and record["commercial_use"] is None
    bad = cli(["translate", "--to", "ru", "-m", f"ru={tiny_marian_dir}+"], stdin="Salam.")
    assert bad.code == 2 and "two models joined by '+'" in bad.err
