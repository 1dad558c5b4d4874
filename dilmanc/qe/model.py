"""The model's own signals: its length-normalised log-probability of the chosen output
("score", review when low), the margin to the next n-best hypothesis ("margin", review when
the model hardly preferred its choice) and how much of the source the cross-attention covered
("attention", review: a hallucination reads little of its source)."""

from __future__ import annotations

import re

from dilmanc.qe.base import REVIEW, Finding, Segment, Thresholds

_CONTENT = re.compile(r"\w")


def margin(segment: Segment) -> float | None:
    """Best score minus the next hypothesis' score (None without an n-best list)."""
    others = [s for s in segment.alternatives if s is not None]
    if segment.score is None or not others:
        return None
    return segment.score - max(others)


def coverage(segment: Segment, attended: float) -> float | None:
    """Share of the source's content pieces (special tokens and punctuation left out) that
    some output piece gives at least `attended` of its attention."""
    attention = segment.attention
    if not attention or not segment.source_tokens:
        return None
    columns = [
        j
        for j, piece in enumerate(segment.source_tokens)
        if _CONTENT.search(piece) and not (piece.startswith("<") or piece.endswith("_Latn"))
    ]
    columns = [j for j in columns if all(j < len(row) for row in attention)]
    if not columns:
        return None
    covered = sum(1 for j in columns if max(row[j] for row in attention) >= attended)
    return covered / len(columns)


def check_model(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    out = []
    if segment.score is not None and segment.score < thresholds.min_score:
        out.append(Finding("score", REVIEW, f"log-probability {segment.score:.2f}"))
    gap = margin(segment)
    if gap is not None and gap < thresholds.min_margin:
        out.append(Finding("margin", REVIEW, f"next hypothesis {gap:.2f} behind"))
    share = coverage(segment, thresholds.attended)
    if share is not None and share < thresholds.min_coverage:
        out.append(Finding("attention", REVIEW, f"attention covers {share:.0%} of the source"))
    return out
