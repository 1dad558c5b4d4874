"""Results other stages already have, as findings: the glossary verification ("term",
review: a required rendering missing or a forbidden one used) and the tag outcome ("tags",
review: tags put back in source order because no aligned word was found)."""

from __future__ import annotations

from dilmanc.qe.base import REVIEW, Finding, Segment, Thresholds


def check_terms(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    return [
        Finding("term", REVIEW, check.describe())
        for check in segment.terms or ()
        if not check.satisfied
    ]


def check_tags(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    if segment.tags is None or not segment.tags.fallback:
        return []
    return [Finding("tags", REVIEW, f"{segment.tags.fallback} tag(s) placed by fallback")]
