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
