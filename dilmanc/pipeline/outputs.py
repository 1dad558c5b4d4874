"""What the stages hand each other: a sentence's translation (`Output`) and a translation new
to a chunk, on its way to the verify and QE stages (`Fresh`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dilmanc.documents.base import Origin, TagOutcome
from dilmanc.glossary.enforce import TermReport
from dilmanc.qe import Assessment, ModelSignals
from dilmanc.text.align import place_tags
from dilmanc.text.tagged import TaggedText, parse

# A unit whose sentences came from several places is labelled by the least trusted one.
ORIGIN_RANK = [Origin.KEPT, Origin.TM_CONTEXT, Origin.TM_EXACT, Origin.CACHE, Origin.MACHINE]

SPACES = re.compile(r"(?<=\S)[^\S\n]{2,}(?=\S)")


@dataclass
class Output:
    """A sentence's translation, how its tags came through, where it came from, and what
    quality estimation made of it (set by the QE stage; the run's cache keeps it)."""

    tagged: TaggedText
    outcome: TagOutcome
    origin: Origin
    restored: tuple[str, ...] = ()  # placeholders the model lost, put back by the pipeline
    qe: Assessment | None = None


@dataclass
class Fresh:
    """A translation new to this chunk, waiting for the verify stage."""

    local: TaggedText  # the sentence, locally numbered
    output: Output
    enforced: TermReport | None = None  # the enforcer's report, for the model's output
    where: str = ""  # the first unit it belongs to (memory matches: for warnings)
    signals: ModelSignals | None = None  # the model's own, for its output
    copies: list[Output] = field(default_factory=list)  # the same match elsewhere in the chunk


def stored(local: TaggedText, text: str, origin: Origin) -> Output:
    """A stored translation (memory or cache, compact form) with the sentence's tags."""
    if not local.has_tags:
        return Output(TaggedText(text), TagOutcome(), origin)
    expected = local.tag_set()
    parsed = parse(text, expected)
    if parsed.ok:
        return Output(parsed.tagged, TagOutcome(len(expected), by_model=len(expected)), origin)
    placement = place_tags(local, SPACES.sub(" ", parsed.tagged.text).strip(), None)
    count = len(expected)
    fallback = min(count, placement.fallback)
    outcome = TagOutcome(count, count - fallback, 0, fallback, emptied=placement.emptied)
    return Output(placement.tagged, outcome, origin)
