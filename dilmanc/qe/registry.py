"""The detector registry and `assess`: every detector runs on every segment; the verdict is
the worst severity found."""

from __future__ import annotations

from collections.abc import Callable

from dilmanc.qe import checks, entities, hallucination, language, model
from dilmanc.qe.base import (
    DEFAULT_THRESHOLDS,
    OK,
    VERDICTS,
    Assessment,
    Finding,
    ModelSignals,
    Segment,
    Thresholds,
)

Detector = Callable[[Segment, Thresholds], list[Finding]]

DETECTORS: dict[str, Detector] = {
    "model": model.check_model,
    "term": checks.check_terms,
    "tags": checks.check_tags,
    "number": entities.check_numbers,
    "links": entities.check_links,
    "copy": language.check_copy,
    "language": language.check_language,
    "loop": hallucination.check_loop,
    "length": hallucination.check_length,
    "boilerplate": hallucination.check_boilerplate,
}


def assess(
    segment: Segment,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    detectors: dict[str, Detector] | None = None,
) -> Assessment:
    """Run `detectors` (all by default) on `segment`; one verdict with its findings."""
    findings: list[Finding] = []
    if segment.source.strip() and not segment.target.strip():
        findings.append(Finding("empty", "bad", "no translation"))
    elif segment.source.strip():
        for detect in (detectors or DETECTORS).values():
            findings += detect(segment, thresholds)
    verdict = max((f.severity for f in findings), key=VERDICTS.index, default=OK)
    signals = {"score": segment.score, "margin": model.margin(segment)}
    return Assessment(verdict, segment.score, tuple(findings), signals)


def check_aligned(sources: list[str], targets: list[str]) -> None:
    """InputError when line-aligned sources and translations differ in number."""
    from dilmanc.errors import InputError

    if len(sources) != len(targets):
        raise InputError(
            f"{len(sources)} source lines but {len(targets)} translation lines; they must align"
        )


def assess_lines(
    sources: list[str],
    targets: list[str],
    source_lang: str,
    target_lang: str,
    glossary=None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    signals: list[ModelSignals] | None = None,
) -> list[Assessment]:
    """Line-aligned existing translations (any system's), each assessed; with `glossary`
    its terms are verified too, with `signals` (one per line: a model's score of the given
    translation) the model detector runs on them. InputError when the line counts differ."""
    check_aligned(sources, targets)
    out = []
    signals = signals or [ModelSignals()] * len(sources)
    for source, target, said in zip(sources, targets, signals, strict=True):
        terms = None
        if glossary is not None:
            from dilmanc.glossary.verify import check_terms, expected_terms

            terms = check_terms(target, expected_terms(source, glossary, target_lang), target_lang)
        segment = Segment(source, target, source_lang, target_lang, score=said.score, terms=terms)
        out.append(assess(segment, thresholds))
    return out
