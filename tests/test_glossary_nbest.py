"""n-best selection with the glossary in mind, and suppression of forbidden renderings,
through the real pipeline and TermEnforcer with engine doubles that return n-best lists."""

from __future__ import annotations

from dilmanc.engines.base import DecodeOptions, Engine, Hypothesis, TranslationResult
from dilmanc.glossary import TermEnforcer, load_glossaries
from dilmanc.languages import Language, resolve
from dilmanc.pipeline.pipeline import Pipeline

AZ, EN = resolve("az"), resolve("en")


class NBestEngine(Engine):
    """Rank 1 drops the injected term, rank 2 keeps it; "forced labor" unless suppressed."""

    name = "nbest-double"
    model = "nbest-double"

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def supports(self, source: Language, target: Language) -> bool:
        return True

    def supported_targets(self) -> list[str]:
        return ["en"]

    def describe_languages(self) -> str:
        return "az→en"

    def _encode(self, texts, source, target):
        return list(texts)

    def _translate_encoded(self, batch, source, target, **decode):
        self.calls.append({"n": decode.get("num_hypotheses", 1), "batch": list(batch), **decode})
        out = []
        for text in batch:
            if "məcburi" in text or "forced labour" in text:
                labour = "forced labour" if "forced labor" in decode.get("suppress", ()) else None
                best = f"They fought {labour or 'forced labor'}."
                alternatives = (Hypothesis("They fought forced labor again.", -2.0),)
            else:
                best = text.replace('"IOM"', "the organization").replace("ZXQ1", "")
                alternatives = (Hypothesis(text.replace('"', ""), -1.5),)
            n = decode.get("num_hypotheses", 1)
            out.append(TranslationResult(best, -1.0, alternatives=alternatives[: n - 1]))
        return out


def run(texts: list[str], n_best: int) -> tuple[list[str], Pipeline, NBestEngine]:
    engine = NBestEngine()
    enforcer = TermEnforcer(load_glossaries([], builtin=True), "inject", n_best=n_best)
    pipeline = Pipeline({"en": engine}, AZ, decode=DecodeOptions(beam_size=4), enforcer=enforcer)
    return pipeline.translate_lines(texts, EN), pipeline, engine


def test_second_hypothesis_carrying_the_term_is_chosen_and_reported():
    out, pipeline, engine = run(["BMqT çıxış etdi.", "Salam dünya."], n_best=4)
    assert out[0] == "IOM çıxış etdi."  # rank 2 kept the injected term
    (with_terms,) = [r for r in pipeline.glossary_reports if r["found"]]
    assert with_terms["hypothesis"]["rank"] == 2 and with_terms["hypothesis"]["of"] == 2
    assert "rank 2 satisfies 1 of 1 terms, rank 1 0" in with_terms["hypothesis"]["reason"]
    assert not with_terms["retried"]  # n-best fixed it: no second strategy needed
    # n-best only for the segment with terms; the other went through a single-best call
    assert sorted(c["n"] for c in engine.calls) == [1, 4]
    assert [c["batch"] for c in engine.calls if c["n"] == 1] == [["Salam dünya."]]


def test_without_nbest_the_other_strategy_is_the_rescue():
    out, pipeline, _ = run(["BMqT çıxış etdi."], n_best=1)
    (report,) = pipeline.glossary_reports
    assert report["hypothesis"]["of"] == 1 and report["retried"]


def test_forbidden_rendering_is_suppressed_in_a_redecode():
    out, pipeline, engine = run(["Məcburi əməyə qarşı mübarizə apardılar."], n_best=3)
    assert out == ["They fought forced labour."]
    (report,) = pipeline.glossary_reports
    assert report["failed"] == [] and report["hypothesis"]["suppressed"] == ["forced labor"]
    assert any(c.get("suppress") == ("forced labor",) for c in engine.calls)
