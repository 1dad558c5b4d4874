"""Fuzzy match scores as translators know them (OmegaT / translate-toolkit style).

    base = 100 × (1 − d / max(len_q, len_c))

where d is the Levenshtein distance between the two segments' WORD TOKENS (rapidfuzz's
`Levenshtein`, insert/delete/substitute all cost 1 — not `fuzz.ratio`, which is Indel), the
words folded to lower case and every number counted as the same token NUM. Then penalties,
one point each:

* a word differing only in case (unless the lookup is case-insensitive);
* a tag inserted, deleted or changed (tags compared by shape `<g>`, `</g>`, `<x/>`, since
  their numbers are only positions);
* a punctuation mark inserted, deleted or changed;
* numbers: when both segments have the same count of numbers and some values differ, the
  memory target is REPAIRED if every differing number occurs in it (each old value is
  replaced by the query's value) — one point in all, so a match differing only in a number
  scores 99; otherwise two points per differing number and the target is left as it is.
  Numbers added or removed are already in d.

A segment that is not identical after normalization never scores more than 99.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from dilmanc.memory.normalize import Analysis


@dataclass(frozen=True)
class Score:
    score: float
    target: str  # the memory target, with numbers repaired when `repaired`
    repaired: bool


def _number_pattern(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.,:/]){re.escape(value)}(?![\d]|[.,:/]\d)")


def repair_numbers(target: str, old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    """Replace each differing number of `old` by its counterpart in `new` inside `target`;
    None if a differing number is missing from the target or maps to two values."""
    mapping: dict[str, str] = {}
    for was, now in zip(old, new, strict=True):
        if was == now:
            continue
        if mapping.setdefault(was, now) != now:
            return None  # one number became two different ones: ambiguous
    if not mapping:
        return target
    for was in mapping:
        if not _number_pattern(was).search(target):
            return None
    alternation = "|".join(
        _number_pattern(was).pattern for was in sorted(mapping, key=len, reverse=True)
    )
    return re.sub(alternation, lambda m: mapping[m.group()], target)


def score(query: Analysis, candidate: Analysis, target: str, *, case_insensitive=False) -> Score:
    """The score of memory segment `candidate` (whose translation is `target`) for `query`."""
    longest = max(len(query.words), len(candidate.words))
    distance = Levenshtein.distance(query.words, candidate.words)
    value = 100.0 if longest == 0 else 100.0 * (1.0 - distance / longest)
    penalty = 0
    if not case_insensitive and query.cased != candidate.cased:
        penalty += max(0, Levenshtein.distance(query.cased, candidate.cased) - distance)
    penalty += Levenshtein.distance(query.tags, candidate.tags)
    penalty += Levenshtein.distance(query.punct, candidate.punct)
    repaired = False
    if query.numbers != candidate.numbers and len(query.numbers) == len(candidate.numbers):
        fixed = repair_numbers(target, candidate.numbers, query.numbers)
        if fixed is not None:
            target, repaired = fixed, True
            penalty += 1
        else:
            penalty += 2 * sum(
                a != b for a, b in zip(query.numbers, candidate.numbers, strict=True)
            )
    value -= penalty
    same = query.text == candidate.text or (
        case_insensitive and query.words == candidate.words and not penalty
    )
    if not same:
        value = min(value, 99.0)
    return Score(round(max(0.0, value), 2), target, repaired)
