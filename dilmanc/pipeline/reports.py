"""Typed run reports, serialized in one place (`to_json`).

`PipelineReport` is what one translation run did: units and segments counted, seconds per
stage, glossary totals, how inline tags came through, where targets came from (model,
cache, memory), and warnings a user must see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dilmanc.documents.base import Origin, TagOutcome
from dilmanc.glossary.enforce import GlossaryTotals

STAGES = ("segment", "memory", "glossary", "engine", "write")


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
class PipelineReport:
    segments: SegmentCounts = field(default_factory=SegmentCounts)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    glossary: GlossaryTotals | None = None
    tags: TagOutcome = TagOutcome()
    units_with_tags: int = 0
    origins: Counter[Origin] = field(default_factory=Counter)  # per unit and target
    warnings: list[str] = field(default_factory=list)

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
            },
            "origins": {origin.value: self.origins.get(origin, 0) for origin in Origin},
            "warnings": list(self.warnings),
        }
        if self.glossary is not None:
            out["glossary"] = self.glossary.to_json()
        return out
