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

from dilmanc.documents.base import Origin


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
    revision, engine, compute type, decoding); the glossary part is set by `use_glossary`,
    since a document's own names change the glossary from one document to the next.
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
        self.glossary_hash: str | None = None
        self.glossary_mode: str | None = None

    def use_glossary(self, glossary, mode: str | None) -> None:
        from dilmanc.memory import glossary_hash

        self.glossary_hash = glossary_hash(glossary)
        self.glossary_mode = mode if glossary is not None else None

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
    def _key(self, sentence: str, target: str) -> str:
        from dilmanc.memory import cache_key

        return cache_key(
            source=sentence,
            src_lang=self.source,
            tgt_lang=target,
            glossary_hash=self.glossary_hash,
            glossary_mode=self.glossary_mode,
            **self.fields[target],
        )

    def cached(self, sentences: list[str], target: str) -> dict[str, str]:
        """Machine outputs already cached for `sentences` (sentence → compact output)."""
        if not self.use_cache or not sentences:
            return {}
        keys = {self._key(s, target): s for s in sentences}
        found = self.memory.cache_get_many(list(keys))
        return {keys[key]: text for key, text in found.items()}

    def store(self, outputs: list[tuple[str, str]], target: str) -> None:
        """Cache machine outputs (sentence, compact output)."""
        if self.use_cache and outputs:
            self.memory.cache_put_many([(self._key(s, target), o) for s, o in outputs])
