"""The protect stage around the decode stage: distinct sentences through each leg of an
engine (one, or two for a pivot), each leg's glossary enforcer (the context's on the first,
its pivot mapping on a later one) protecting terms around that leg's `Decoder`; the legs'
tag outcomes and model signals are merged (the weaker wins), and placeholders the model
lost are written back (`restored`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dilmanc.documents.base import Origin, TagOutcome
from dilmanc.engines.base import DecodeOptions, Leg
from dilmanc.pipeline.context import RunContext
from dilmanc.pipeline.decode import Decoded, Decoder
from dilmanc.pipeline.outputs import Output
from dilmanc.pipeline.reports import PipelineReport
from dilmanc.pipeline.segment import Piece
from dilmanc.qe import ModelSignals
from dilmanc.text.tagged import TaggedText


@dataclass
class Unique:
    """What the protect and decode stages made of one distinct sentence."""

    tagged: TaggedText
    outcome: TagOutcome
    enforced: object | None = None  # the first leg's TermReport, with a glossary
    dropped: frozenset[int] = frozenset()  # empty tags the model did not return exactly once
    signals: ModelSignals | None = None


def run_leg(
    segments: list[TaggedText],
    leg: Leg,
    enforcer,
    decoder: Decoder,
    stats: PipelineReport,
) -> Decoded:
    """One leg through its decoder, with `enforcer` (a TermEnforcer) protecting terms."""
    if enforcer is None:
        outputs = decoder(segments)
        decoder.charge(stats)
        return decoder.decoded(outputs)
    started = time.perf_counter()
    results = enforcer.translate(segments, leg.target.iso, decoder)
    elapsed = time.perf_counter() - started
    decoder.charge(stats)
    stats.seconds["glossary"] += elapsed - decoder.seconds
    return decoder.decoded([r.raw for r in results], results)


def translate_unique(
    segments: list[TaggedText],
    legs: list[Leg],
    context: RunContext,
    options: DecodeOptions,
    stats: PipelineReport,
) -> list[Unique]:
    """Distinct sentences through every leg, each leg's output the next one's input."""
    if not legs:
        return []
    texts = segments
    merged: Decoded | None = None
    first: list | None = None
    for index, leg in enumerate(legs):
        enforcer = context.leg_enforcer(index, leg)
        decoder = Decoder(leg, options, context.qe)
        found = run_leg(texts, leg, enforcer, decoder, stats)
        merged = found if merged is None else _merge(merged, found)
        first = found.enforced if index == 0 else first
        texts = found.texts
    reports = [segment.report for segment in first] if first else [None] * len(texts)
    made = zip(texts, merged.outcomes, reports, merged.dropped, merged.signals, strict=True)
    return [Unique(*one) for one in made]


def _merge(a: Decoded, b: Decoded) -> Decoded:
    """Two legs' results for the same sentences: `b`'s texts, the worse of each."""
    return Decoded(
        b.texts,
        list(map(_worse, a.outcomes, b.outcomes)),
        [x.weaker(y) for x, y in zip(a.signals, b.signals, strict=True)],
        [x | y for x, y in zip(a.dropped, b.dropped, strict=True)],
        b.enforced,
    )


def _worse(a: TagOutcome, b: TagOutcome) -> TagOutcome:
    """Two legs' outcomes for one sentence: placed by the model only if both legs kept them."""
    fallback = max(a.fallback, b.fallback)
    by_model = min(a.by_model, b.by_model)
    tags = max(a.tags, b.tags)
    redecoded = max(a.redecoded, b.redecoded)
    emptied = max(a.emptied, b.emptied)
    return TagOutcome(tags, by_model, tags - by_model - fallback, fallback, redecoded, emptied)


def restored(piece: Piece, unique: Unique) -> Output:
    """A model's output with the sentence's placeholders written back as text; those the model
    did not return itself are named in `restored`."""
    if piece.protected is None:
        return Output(unique.tagged, unique.outcome, Origin.MACHINE)
    output, missing = piece.protected.restore(unique.tagged)
    texts = piece.protected.texts
    lost = tuple(texts[i] for i in sorted(unique.dropped | set(missing)) if i in texts)
    return Output(output, unique.outcome, Origin.MACHINE, lost)


def hypotheses(
    segments: list[TaggedText],
    legs: list[Leg],
    options: DecodeOptions,
    count: int,
    stats: PipelineReport,
) -> list[list[Unique]]:
    """Each sentence's best `count` hypotheses (best first): the last leg's n-best over the
    earlier legs' best outputs. No glossary is enforced on them (the verify stage checks)."""
    earlier = translate_unique(segments, legs[:-1], RunContext(qe=False), options, stats)
    texts = [unique.tagged for unique in earlier] if earlier else segments
    decoder = Decoder(legs[-1], options, qe=False)
    lists = decoder(texts, n_best=count)
    decoder.charge(stats)
    out = []
    for index, candidates in enumerate(lists):
        found = decoder.decoded([candidate.output for candidate in candidates])
        before = earlier[index].dropped if earlier else frozenset()
        made = zip(found.texts, found.outcomes, found.dropped, strict=True)
        out.append([Unique(text, outcome, None, before | lost) for text, outcome, lost in made])
    return out
