"""Aligning a document with its human translation (`tm align`): two files of one format, e.g.
last year's `release.az.docx` and `release.en.docx`, become approved memory units.

Units are paired by structure: when both files have as many translatable units, in order,
unit i goes with unit i; otherwise a small Gale-Church alignment over the units' lengths
(beads 1-1, 1-0, 0-1, 2-1, 1-2, 2-2) finds the pairing: 1-1 and 2-2 beads pair in order, a
2-1 or 1-2 bead keeps its one pair of closest lengths (a unit left out of a translation
usually lands in such a bead), and what is in no pair is reported as not paired. Within a
unit pair without inline tags, sentences (`text.segment.split_sentences`) are paired one by
one when both sides have as many; otherwise (or when a unit has tags) the whole unit pair is
stored, its tags paired in order by shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dilmanc.documents.base import Document, Unit
from dilmanc.memory.model import TMUnit
from dilmanc.memory.units import tm_unit, with_context
from dilmanc.text.segment import split_sentences

# Gale & Church (1993): bead priors and the variance of the length ratio
BEADS = {(1, 1): 0.89, (1, 0): 0.0099, (0, 1): 0.0099, (2, 1): 0.089, (1, 2): 0.089, (2, 2): 0.011}
VARIANCE = 6.8


@dataclass
class Alignment:
    """What `align_documents` paired and what it could not."""

    units: list[TMUnit] = field(default_factory=list)
    unit_pairs: int = 0  # unit pairs kept
    sentence_pairs: int = 0  # units stored sentence by sentence (pairs of sentences)
    whole_units: int = 0  # unit pairs stored whole (sentence counts differed, or tags)
    unpaired_source: int = 0  # source units in no 1-1 pair
    unpaired_target: int = 0

    def summary(self) -> str:
        """One line: what was stored, and what could not be paired."""
        line = (
            f"{len(self.units)} pair(s) from {self.unit_pairs} aligned unit(s) "
            f"({self.sentence_pairs} sentence pair(s), {self.whole_units} whole unit(s))"
        )
        if self.unpaired_source or self.unpaired_target:
            line += (
                f"; not paired: {self.unpaired_source} source unit(s), "
                f"{self.unpaired_target} target unit(s)"
            )
        return line


def _cost(a: int, b: int, prior: float) -> float:
    """-log P(bead) - log P(length match) for source length `a` and target length `b`."""
    if a == 0 and b == 0:
        return 0.0
    mean = (a + b) / 2
    delta = (b - a) / math.sqrt(max(mean, 1) * VARIANCE)
    tail = math.erfc(abs(delta) / math.sqrt(2))  # two-sided P(|Z| >= |delta|)
    return -math.log(prior) - math.log(max(tail, 1e-300))


def gale_church(source: list[int], target: list[int]) -> list[tuple[list[int], list[int]]]:
    """Beads (source indices, target indices) aligning two sequences of lengths, in order."""
    n, m = len(source), len(target)
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for (di, dj), prior in BEADS.items():
                if i + di > n or j + dj > m:
                    continue
                a, b = sum(source[i : i + di]), sum(target[j : j + dj])
                cost = best[i][j] + _cost(a, b, prior)
                if cost < best[i + di][j + dj]:
                    best[i + di][j + dj] = cost
                    back[i + di][j + dj] = (di, dj)
    beads = []
    i, j = n, m
    while i or j:
        di, dj = back[i][j]
        beads.append((list(range(i - di, i)), list(range(j - dj, j))))
        i, j = i - di, j - dj
    return beads[::-1]


def _translatable(document: Document) -> list[Unit]:
    return [u for u in document.units() if u.translate and u.source.text.strip()]


def pair_units(source: list[Unit], target: list[Unit]) -> list[tuple[Unit, Unit]]:
    """Unit pairs by structure (see the module docstring)."""
    if len(source) == len(target):
        return list(zip(source, target, strict=True))
    lengths = [len(u.source.text) for u in source], [len(u.source.text) for u in target]
    pairs = []
    for s, t in gale_church(*lengths):
        if len(s) == len(t):  # 1-1, 2-2: in order
            pairs += [(source[i], target[j]) for i, j in zip(s, t, strict=True)]
        elif s and t:  # 2-1, 1-2: the pair of closest lengths
            i, j = min(
                ((i, j) for i in s for j in t),
                key=lambda ij: _cost(lengths[0][ij[0]], lengths[1][ij[1]], 1.0),
            )
            pairs.append((source[i], target[j]))
    return pairs


def _as_target(unit: Unit, target: Unit) -> Unit:
    """`unit` with `target`'s text as its target (tags paired by shape and order)."""
    return Unit(unit.id, unit.source, unit.codes, target=target.source, approved=True)


def align_documents(
    source: Document, target: Document, src_lang: str, tgt_lang: str, origin: str
) -> Alignment:
    """The approved memory units two translations of one document give (module docstring)."""
    src_units, tgt_units = _translatable(source), _translatable(target)
    pairs = pair_units(src_units, tgt_units)
    result = Alignment(
        unit_pairs=len(pairs),
        unpaired_source=len(src_units) - len(pairs),
        unpaired_target=len(tgt_units) - len(pairs),
    )
    found: list[TMUnit] = []
    for a, b in pairs:
        sentences = _sentence_pairs(a, b, src_lang, tgt_lang)
        if sentences:
            result.sentence_pairs += len(sentences)
            found += [TMUnit(s, t, src_lang, tgt_lang, origin=origin) for s, t in sentences]
        else:
            result.whole_units += 1
            found.append(tm_unit(_as_target(a, b), src_lang, tgt_lang, origin, by_markup=False))
    result.units = list(with_context(found))
    return result


def _sentence_pairs(a: Unit, b: Unit, src_lang: str, tgt_lang: str) -> list[tuple[str, str]]:
    """Sentence pairs of two untagged units with as many sentences (more than one), else []."""
    if a.source.tags or b.source.tags:
        return []
    left = [s.strip() for s in split_sentences(a.source.text, src_lang) if s.strip()]
    right = [s.strip() for s in split_sentences(b.source.text, tgt_lang) if s.strip()]
    if len(left) < 2 or len(left) != len(right):
        return []
    return list(zip(left, right, strict=True))
