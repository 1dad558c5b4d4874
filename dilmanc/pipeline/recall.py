"""The memory stage of the pipeline: translation memory first, then the machine cache.

For each sentence about to be translated, the translation memory (human-approved pairs) is
asked first: a context match (101%: same sentence, same neighbours) or an exact match (100%)
is used as it is, without the model; a fuzzy match above the threshold is only recorded as a
suggestion, and the model still translates. Sentences the memory does not cover are looked
up in the machine-translation cache, keyed by everything that changes a machine output
(sentence, languages, model and its revision, engine, compute type, decoding, glossary content
and mode), so an unchanged re-run comes from the cache and changing any of those invalidates
exactly what it should. Machine output goes into the cache, never into the memory.

Whatever this stage supplies is checked against the glossary by the pipeline's verify stage,
like the model's own output (a memory target that breaks the glossary is reported there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dilmanc.documents.base import Origin
from dilmanc.pipeline.outputs import Fresh, Output, stored
from dilmanc.pipeline.reports import PipelineReport
from dilmanc.pipeline.segment import Piece, Prepared, where

if TYPE_CHECKING:
    from dilmanc.glossary import TermEnforcer


@dataclass(frozen=True)
class Recalled:
    """A memory match used as the translation of one sentence."""

    target: str  # compact tagged form
    origin: Origin  # TM_CONTEXT or TM_EXACT
    score: float


@dataclass(frozen=True)
class Suggestion:
    """A fuzzy memory match recorded for a sentence the model translated."""

    location: str
    source: str
    score: float
    target: str
    tm_source: str

    def to_json(self) -> dict:
        return {
            "location": self.location,
            "source": self.source,
            "score": self.score,
            "target": self.target,
            "tm_source": self.tm_source,
        }


class MemoryStage:
    """Look-ups in one open `dilmanc.memory.Memory` for one run's settings.

    `fields[iso]` holds what identifies the machine output for target `iso` (model,
    revision, engine, compute type, decoding); the glossary part comes with each call (the
    context's enforcer), since a document's own names change the glossary from one document
    to the next.
    """

    def __init__(
        self,
        memory,
        source: str,
        fields: dict[str, dict],
        *,
        use_tm: bool = True,
        use_cache: bool = True,
        threshold: float = 75.0,
    ) -> None:
        self.memory = memory
        self.source = source
        self.fields = fields
        self.use_tm = use_tm
        self.use_cache = use_cache
        self.threshold = threshold

    # --- translation memory ---------------------------------------------------------------
    def recall(
        self, sentence: str, target: str, prev: str | None, next_: str | None
    ) -> tuple[Recalled | None, object | None]:
        """(a context or exact match to use, the best fuzzy match to record) for a sentence."""
        if not self.use_tm:
            return None, None
        matches = self.memory.lookup(
            sentence,
            self.source,
            target,
            prev=prev,
            next=next_,
            threshold=self.threshold,
            limit=1,
        )
        if not matches:
            return None, None
        best = matches[0]
        if best.kind in ("context", "exact"):
            origin = Origin.TM_CONTEXT if best.kind == "context" else Origin.TM_EXACT
            return Recalled(best.target, origin, best.score), None
        return None, best

    # --- machine cache ----------------------------------------------------------------------
    def _key(self, sentence: str, target: str, enforcer: TermEnforcer | None) -> str:
        from dilmanc.memory import cache_key, glossary_hash

        glossary = enforcer.glossary if enforcer is not None else None
        return cache_key(
            source=sentence,
            src_lang=self.source,
            tgt_lang=target,
            glossary_hash=glossary_hash(glossary),
            glossary_mode=enforcer.mode if glossary is not None else None,
            **self.fields[target],
        )

    def cached(
        self, sentences: list[str], target: str, enforcer: TermEnforcer | None
    ) -> dict[str, str]:
        """Machine outputs already cached for `sentences` made under `enforcer`'s glossary
        (sentence → compact output)."""
        if not self.use_cache or not sentences:
            return {}
        keys = {self._key(s, target, enforcer): s for s in sentences}
        found = self.memory.cache_get_many(list(keys))
        return {keys[key]: text for key, text in found.items()}

    def store(
        self, outputs: list[tuple[str, str]], target: str, enforcer: TermEnforcer | None
    ) -> None:
        """Cache machine outputs (sentence, compact output) made under `enforcer`."""
        if self.use_cache and outputs:
            keys = [(self._key(s, target, enforcer), o) for s, o in outputs]
            self.memory.cache_put_many(keys)


# --- the stage --------------------------------------------------------------------------------


def recall(
    memory: MemoryStage, chunk: list[Prepared], target: str, stats: PipelineReport
) -> dict[int, Output]:
    """Translation-memory matches per sentence occurrence (id of its Piece; context needs
    the neighbours); fuzzy matches are counted and kept as suggestions."""
    with stats.timed("memory"):
        occurrences = [(p, piece) for p in chunk for piece in p.sentences()]
        out: dict[int, Output] = {}
        for k, (prepared, piece) in enumerate(occurrences):
            prev = occurrences[k - 1][1].key if k else prepared.unit.prev
            nxt = occurrences[k + 1][1].key if k + 1 < len(occurrences) else prepared.unit.next
            hit, fuzzy = memory.recall(piece.key, target, prev, nxt)
            if hit is not None:
                out[id(piece)] = stored(piece.local, hit.target, hit.origin)
            elif fuzzy is not None:
                _suggest(stats, prepared, piece, fuzzy)
    return out


def _suggest(stats: PipelineReport, prepared: Prepared, piece: Piece, fuzzy) -> None:
    stats.memory.fuzzy += 1
    if len(stats.memory.suggestions) < 200:
        where_ = where(prepared.unit)
        suggestion = Suggestion(where_, piece.key, fuzzy.score, fuzzy.target, fuzzy.unit.source)
        stats.memory.suggestions.append(suggestion)


def recalled(chunk: list[Prepared], matches: dict[int, Output]) -> list[Fresh]:
    """The chunk's memory matches for the verify stage: each sentence and target once."""
    out: dict[tuple[str, str], Fresh] = {}
    for prepared in chunk:
        for piece in prepared.sentences():
            output = matches.get(id(piece))
            if output is not None:
                key = (piece.key, output.tagged.render())
                if key not in out:
                    out[key] = Fresh(piece.local, output, where=where(prepared.unit))
                else:
                    out[key].copies.append(output)
    return list(out.values())


def from_cache(
    memory: MemoryStage,
    misses: list[Piece],
    target: str,
    enforcer: TermEnforcer | None,
    stats: PipelineReport,
) -> dict[str, Output]:
    """The machine cache's outputs (by sentence) for sentences the run has not translated yet,
    made under `enforcer`'s glossary."""
    with stats.timed("memory"):
        found = memory.cached([piece.key for piece in misses], target, enforcer)
        return {
            piece.key: stored(piece.local, found[piece.key], Origin.CACHE)
            for piece in misses
            if piece.key in found
        }
