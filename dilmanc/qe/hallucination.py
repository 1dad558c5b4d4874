"""Output a model made up: n-gram loops ("loop", bad), a length far outside the pair's
distribution ("length", review; a truncation or an addition), and known boilerplate that
models trained on web and subtitle data emit instead of a translation ("boilerplate", bad)."""

from __future__ import annotations

import math
import re

from dilmanc.qe.base import BAD, REVIEW, Finding, Segment, Thresholds

_TOKEN = re.compile(r"\w+|[^\w\s]")

# mean and standard deviation of log(target chars / source chars), measured on NTREX-128
# az→en and az→ru references (benchmarks/qe.py --fit-length prints them)
LENGTH_RATIO: dict[tuple[str, str], tuple[float, float]] = {
    ("az", "en"): (-0.092, 0.1706),
    ("az", "ru"): (0.0112, 0.1966),
}
_DEFAULT_RATIO = (0.0, 0.25)  # other pairs: centred on 1 and wider

BOILERPLATE = re.compile(
    r"allowed html tags|subtitles? (?:by|made by|created by)|"
    r"amara\.org|all rights reserved|copyright ©|www\.\S+\.(?:com|org|net)\b.*subtitle|"
    r"субтитры (?:сделаны|подготовил|создавал)|редактор субтитров|"
    r"продолжение следует|thanks for watching|подписывайтесь на канал",
    re.IGNORECASE,
)


def loop_of(tokens: list[str], thresholds: Thresholds) -> tuple[str, int] | None:
    """The first n-gram (1-6 tokens) repeated back to back at least the loop threshold times
    (single words need more), as (n-gram, repeats)."""
    for n in range(1, 7):
        need = thresholds.loop_word_repeats if n == 1 else thresholds.loop_repeats
        for start in range(len(tokens) - n * need + 1):
            gram = tokens[start : start + n]
            if n == 1 and not gram[0].isalnum():
                continue  # "...", "!!!"
            count = 1
            while tokens[start + count * n : start + (count + 1) * n] == gram:
                count += 1
            if count >= need:
                return " ".join(gram), count
    return None


def check_loop(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    tokens = _TOKEN.findall(segment.target.casefold())
    if len(set(tokens)) == len(tokens):
        return []  # a repeat needs some token twice
    found = loop_of(tokens, thresholds)
    if found is None:
        return []
    source_tokens = _TOKEN.findall(segment.source.casefold())
    if loop_of(source_tokens, thresholds) is not None:
        return []  # the source repeats itself too
    gram, count = found
    return [Finding("loop", BAD, f"{gram!r} ×{count}")]


def length_z(segment: Segment) -> float | None:
    """How many standard deviations the target/source length ratio is from the pair's mean."""
    source, target = len(segment.source.strip()), len(segment.target.strip())
    if not source or not target:
        return None
    mean, sd = LENGTH_RATIO.get((segment.source_lang, segment.target_lang), _DEFAULT_RATIO)
    return (math.log(target / source) - mean) / sd


def check_length(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    if len(segment.source.strip()) < thresholds.length_chars:
        return []
    z = length_z(segment)
    if z is None or abs(z) < thresholds.length_z:
        return []
    how = "short" if z < 0 else "long"
    ratio = len(segment.target.strip()) / len(segment.source.strip())
    return [Finding("length", REVIEW, f"too {how}: {ratio:.2f}× the source ({z:+.1f} sd)")]


def check_boilerplate(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    found = BOILERPLATE.search(segment.target)
    if found is None or BOILERPLATE.search(segment.source):
        return []
    return [Finding("boilerplate", BAD, repr(found.group()))]
