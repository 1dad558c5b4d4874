"""Output that is not a translation into the target language: a copy of the source
("copy", bad), text in the source language ("untranslated", bad) or in a third language
("language", bad), judged by lingua over the languages dilmanc knows."""

from __future__ import annotations

import re

from dilmanc.qe.base import BAD, Finding, Segment, Thresholds

_WORD = re.compile(r"[^\W\d_]+")


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def check_copy(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    """The target is (almost) the source: a model that gave up, or a skipped segment.
    Sources of fewer than `copy_words` words (a name, a code) may rightly stay as they are."""
    from rapidfuzz import fuzz

    source, target = _normal(segment.source), _normal(segment.target)
    if len(source.split()) < thresholds.copy_words or not target:
        return []
    similarity = fuzz.ratio(source, target)
    if similarity < thresholds.copy_similarity:
        return []
    return [Finding("copy", BAD, f"{similarity:.0f}% the same as the source")]


#: a quick (low-accuracy) verdict this sure settles the check without the accurate detector
_SURE = 0.95


def confidences(text: str, quick: bool = False) -> dict[str, float]:
    """lingua's confidence (0-1) per language dilmanc knows, for `text`."""
    from dilmanc.text.detect import detect

    return {d.language: d.confidence / 100 for d in detect(text, top=100, quick=quick)}


def _judged(text: str, target_lang: str) -> dict[str, float]:
    """Confidences from the quick detector when it is sure either way (the target language,
    or another one with the target near zero), else from the accurate one, whose models take
    seconds to load: a run whose outputs are plainly right or wrong never loads them."""
    quick = confidences(text, quick=True)
    best = max(quick.values(), default=0.0)
    if best >= _SURE and (quick.get(target_lang, 0.0) == best or target_lang not in quick):
        return quick
    return confidences(text)


def check_language(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    letters = sum(len(w) for w in _WORD.findall(segment.target))
    if letters < thresholds.language_letters:
        return []
    found = _judged(segment.target, segment.target_lang)
    if not found:
        return []
    best = max(found, key=found.__getitem__)
    if (
        best == segment.target_lang
        or found.get(segment.target_lang, 0.0) >= thresholds.min_language
    ):
        return []
    detail = f"reads as {best} ({found[best]:.0%}), not {segment.target_lang}"
    reason = "untranslated" if best == segment.source_lang else "language"
    return [Finding(reason, BAD, detail)]
