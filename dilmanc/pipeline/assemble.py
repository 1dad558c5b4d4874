"""The assemble stage: a unit's translated sentences put back between the stretches it kept
(line endings, spaces between sentences, pass-through stretches, markup), each sentence with
the unit's own tag ids; the unit is labelled by its least trusted sentence's origin and
carries the worst of their quality estimates."""

from __future__ import annotations

from dilmanc.documents.base import Origin, TagOutcome, Translated
from dilmanc.pipeline.outputs import ORIGIN_RANK, Output
from dilmanc.pipeline.reports import PipelineReport
from dilmanc.pipeline.segment import Piece, Prepared, where
from dilmanc.qe import Assessment
from dilmanc.qe import worst as worst_of
from dilmanc.text.tagged import TaggedText, join


def assemble(
    prepared: Prepared,
    found: dict[str, Output],
    recalled: dict[int, Output],
    target: str,
    stats: PipelineReport,
) -> Translated:
    """`prepared`'s unit translated: each sentence's output from the memory (`recalled`, by
    occurrence) or the run (`found`, by sentence)."""
    unit = prepared.unit
    if prepared.pieces is None:
        stats.origins[Origin.KEPT] += 1
        return Translated(unit, unit.target or unit.source, Origin.KEPT)
    parts: list[TaggedText] = []
    outcome = TagOutcome()
    origin = Origin.KEPT
    assessments: list[Assessment] = []
    for piece in prepared.pieces:
        if not piece.translate:
            parts.append(piece.tagged)
            if piece.tagged.tags and not piece.tagged.text:  # a markup list's own tags
                kept = len(piece.tagged.tags)
                outcome += TagOutcome(kept, by_model=kept)
            continue
        output = recalled.get(id(piece)) or found[piece.key]
        _notes(prepared, piece, output, target, stats)
        parts.append(output.tagged.with_ids(piece.back))
        outcome += output.outcome
        if output.qe is not None:
            assessments.append(output.qe)
        stats.memory.count(output.origin)
        origin = max(origin, output.origin, key=ORIGIN_RANK.index)
    stats.origins[origin] += 1
    if outcome.tags:
        stats.units_with_tags += 1
        stats.tags += outcome
    qe = worst_of(*assessments) if assessments else None
    if qe is not None and stats.qe is not None:
        stats.qe.count(qe.verdict)
    return Translated(unit, join(parts), origin, outcome, qe=qe)


def _notes(
    prepared: Prepared, piece: Piece, output: Output, target: str, stats: PipelineReport
) -> None:
    """Warnings for an empty translation and lost placeholders; placeholders counted."""
    place = where(prepared.unit)
    if not output.tagged.text.strip():
        text = piece.tagged.text.strip()
        shown = text if len(text) <= 60 else text[:57] + "..."
        stats.warn(f"{place}: the model returned an empty translation into {target} of {shown!r}")
    if piece.protected is None:
        return
    stats.placeholders.protected += len(piece.protected.texts)
    if output.restored:
        stats.placeholders.restored += len(output.restored)
        lost = " ".join(output.restored)
        stats.warn(f"{place}: the model dropped {lost}; put back by alignment")
