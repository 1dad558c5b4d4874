"""Typed run reports, serialized in one place (`to_json`).

`PipelineReport` is what one translation run did: units and segments counted, seconds per
stage, glossary totals, how inline tags came through, where targets came from (model,
cache, memory), quality-estimation verdicts, and warnings a user must see.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from dilmanc.documents.base import Origin, TagOutcome
from dilmanc.glossary.enforce import GlossaryTotals

STAGES = ("segment", "memory", "glossary", "engine", "qe", "write")


@dataclass
class QeCounts:
    """Quality-estimation verdicts, one per translated unit and target language."""

    ok: int = 0
    review: int = 0
    bad: int = 0

    def count(self, verdict: str) -> None:
        setattr(self, verdict, getattr(self, verdict) + 1)

    def __add__(self, other: QeCounts) -> QeCounts:
        return QeCounts(self.ok + other.ok, self.review + other.review, self.bad + other.bad)

    def to_json(self) -> dict:
        return {"ok": self.ok, "review": self.review, "bad": self.bad}


@dataclass
class SegmentCounts:
    units: int = 0  # units read (lines of a text file, paragraphs, messages, cues)
    total: int = 0  # sentences to translate, over all units
    unique: int = 0  # distinct sentences sent to a model (largest over target languages)
    translated: int = 0  # sentences sent to models, all targets together
    passthrough: int = 0  # stretches kept as they are (numbers, links, English lines)
    split: int = 0  # over-long sentences cut into parts that each fit the model

    def to_json(self) -> dict:
        return {
            "lines": self.units,
            "units": self.units,
            "total": self.total,
            "unique": self.unique,
            "translated": self.translated,
            "passthrough": self.passthrough,
            "split": self.split,
        }


@dataclass
class MemoryCounts:
    """Where each sentence's translation came from (one count per sentence occurrence)."""

    context: int = 0
    exact: int = 0
    cache: int = 0
    machine: int = 0
    fuzzy: int = 0  # fuzzy memory matches recorded as suggestions (the model translated)
    suggestions: list = field(default_factory=list)  # recall.Suggestion, the first 200

    def count(self, origin: Origin) -> None:
        if origin == Origin.TM_CONTEXT:
            self.context += 1
        elif origin == Origin.TM_EXACT:
            self.exact += 1
        elif origin == Origin.CACHE:
            self.cache += 1
        elif origin == Origin.MACHINE:
            self.machine += 1

    def to_json(self) -> dict:
        return {
            "context": self.context,
            "exact": self.exact,
            "fuzzy": self.fuzzy,
            "cache": self.cache,
            "machine": self.machine,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


@dataclass
class PlaceholderCounts:
    """Placeholders (`text.placeholders`) sent to models as tags, per sentence occurrence."""

    protected: int = 0
    restored: int = 0  # not returned by the model, put back by alignment or at the end

    def to_json(self) -> dict:
        return {"protected": self.protected, "restored": self.restored}


@dataclass
class PipelineReport:
    segments: SegmentCounts = field(default_factory=SegmentCounts)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    glossary: GlossaryTotals | None = None
    tags: TagOutcome = TagOutcome()
    units_with_tags: int = 0
    redecode_seconds: float = 0.0  # of the engine stage: finding and decoding again (`_redecode`)
    origins: Counter[Origin] = field(default_factory=Counter)  # per unit and target
    memory: MemoryCounts = field(default_factory=MemoryCounts)  # per sentence and target
    placeholders: PlaceholderCounts = field(default_factory=PlaceholderCounts)
    warnings: list[str] = field(default_factory=list)
    qe: QeCounts | None = None  # None: quality estimation off

    def warn(self, message: str) -> None:
        """A warning for the report and stderr (the first 20; then one line saying so)."""
        if len(self.warnings) < 20:
            self.warnings.append(message)
        elif len(self.warnings) == 20:
            self.warnings.append("more warnings; see the report's segments and memory")

    def timed(self, stage: str) -> _Timer:
        """`with report.timed("engine"):` adds the block's seconds to the stage's."""
        return _Timer(self.seconds, stage)

    def to_json(self) -> dict:
        out: dict = {
            "segments": self.segments.to_json(),
            "seconds": {stage: round(value, 4) for stage, value in self.seconds.items()},
            "tags": {
                "units": self.units_with_tags,
                "tags_in": self.tags.tags,
                "by_model": self.tags.by_model,
                "by_alignment": self.tags.by_alignment,
                "fallback": self.tags.fallback,
                "redecoded": self.tags.redecoded,
                "emptied": self.tags.emptied,
                "redecode_seconds": round(self.redecode_seconds, 4),
            },
            "origins": {origin.value: self.origins.get(origin, 0) for origin in Origin},
            "memory": self.memory.to_json(),
            "placeholders": self.placeholders.to_json(),
            "warnings": list(self.warnings),
        }
        if self.glossary is not None:
            out["glossary"] = self.glossary.to_json()
        if self.qe is not None:
            out["qe"] = self.qe.to_json()
        return out


class _Timer:
    def __init__(self, seconds: dict[str, float], stage: str) -> None:
        self.seconds, self.stage = seconds, stage

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_) -> None:
        self.seconds[self.stage] += time.perf_counter() - self.started
