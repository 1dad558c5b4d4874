"""The verify and QE stages, for every translation a chunk made or recalled, whatever its
origin (the model, the machine cache, a memory match): verify checks it against the glossary
terms of its source in the target language (reports and totals count a sentence the same
whether it was translated now or served from the cache); QE then gives it a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dilmanc.documents.base import Origin
from dilmanc.pipeline.context import RunContext
from dilmanc.pipeline.outputs import Fresh
from dilmanc.pipeline.reports import PipelineReport, QeCounts
from dilmanc.qe import ModelSignals, Segment, Thresholds, assess
from dilmanc.text.tagged import TaggedText

if TYPE_CHECKING:
    from dilmanc.glossary.enforce import TermReport

# Receives each batch the verify stage checked: target iso, sources, CheckedSegments.
GlossarySink = Callable[[str, list[str], list["CheckedSegment"]], None]


@dataclass(frozen=True)
class CheckedSegment:
    """A distinct sentence's translation as the verify stage checked it. `report.found` and
    `report.checks` are the verify stage's; the rest says how the glossary was enforced when
    the translation was made in this run (`strategy` is None for the cache and the memory)."""

    source: str  # compact tagged form
    tagged: TaggedText
    report: TermReport
    origin: Origin

    @property
    def output(self) -> str:
        return self.tagged.text

    def to_json(self) -> dict:
        return {"source": self.source, "origin": self.origin.value, **self.report.to_json()}


def verify(
    fresh: list[Fresh],
    target: str,
    context: RunContext,
    stats: PipelineReport,
    sink: GlossarySink,
) -> list[tuple | None]:
    """Check each item against the context's glossary, count it and hand it to `sink`.
    Returns each item's term checks (None without a glossary) for the QE stage."""
    if context.enforcer is None or not fresh:
        return [None] * len(fresh)
    from dilmanc.glossary.enforce import GlossaryTotals, summarize

    with stats.timed("glossary"):
        checked = [_check(item, context.enforcer.glossary, target, stats) for item in fresh]
        stats.glossary = (stats.glossary or GlossaryTotals()) + summarize(checked)
        sink(target, [c.source for c in checked], checked)
    return [tuple(c.report.checks) for c in checked]


def _check(item: Fresh, glossary, target: str, stats: PipelineReport) -> CheckedSegment:
    from dilmanc.glossary.enforce import TermReport
    from dilmanc.glossary.verify import check_terms, expected_terms

    terms = expected_terms(item.local.text, glossary, target)
    checks = check_terms(item.output.tagged.text, terms, target)
    report = replace(item.enforced or TermReport(None), found=terms, checks=checks)
    if report.retried:  # rescued: the retry left nothing failing in the final output
        report = replace(report, rescued=not report.failed)
    origin = item.output.origin
    if report.failed and origin in (Origin.TM_EXACT, Origin.TM_CONTEXT):
        issues = "; ".join(check.describe() for check in report.failed)
        stats.warn(f"{item.where}: memory target breaks the glossary: {issues}")
    return CheckedSegment(item.local.render(), item.output.tagged, report, origin)


def estimate(
    fresh: list[Fresh],
    checks: list[tuple | None],
    languages: tuple[str, str],
    thresholds: Thresholds,
    stats: PipelineReport,
) -> None:
    """The QE stage, after verify: every item gets a verdict from the detectors (the model's
    signals only where the model made it in this run), kept with its outputs (the run's
    cache keeps the verdict with the translation)."""
    if stats.qe is None:
        stats.qe = QeCounts()
    with stats.timed("qe"):
        for item, terms in zip(fresh, checks, strict=True):
            found = assess(_segment(item, terms, languages), thresholds)
            for output in (item.output, *item.copies):
                output.qe = found


def _segment(item: Fresh, terms: tuple | None, languages: tuple[str, str]) -> Segment:
    signals = item.signals or ModelSignals()
    return Segment(
        item.local.text,
        item.output.tagged.text,
        *languages,
        score=signals.score,
        alternatives=signals.alternatives,
        attention=signals.attention,
        source_tokens=signals.source_tokens,
        terms=terms,
        tags=item.output.outcome,
    )
