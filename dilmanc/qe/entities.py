"""Things a translation must carry over unchanged: numbers (and the digits of dates and
times), URLs, e-mail addresses and placeholders. A difference between source and target is a
finding ("number", "url", "email", "placeholder"; review)."""

from __future__ import annotations

import re
from collections import Counter

from dilmanc.qe.base import REVIEW, Finding, Segment, Thresholds

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PLACEHOLDER = re.compile(
    r"%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?[sdifuxXeEgGcr%]|%\([^)\s]+\)[sdif]"
    r"|\{\{[^{}\s]+\}\}|\{[\w.:!]*\}|\$\{\w+\}"
)
# digit groups: 1 000 000 (thin/normal spaces as thousands), 1,234.5, 12.05.2019, 15:30
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|\d+(?:[.,:/]\d+)*")
_TRAIL = re.compile(r"[.,]+$")


def _canonical(match: str) -> list[str]:
    """The numbers in one digit group, separators normalised: "1 000" and "1,000" → 1000,
    "1,5" and "1.5" → 1.5, "12.05.2019" → 12, 5, 2019 (dates and times part by part)."""
    text = re.sub(r"[ \u00a0\u202f]", "", match)
    groups = re.split(r"[.,:/]", text)
    if len(groups) == 1:
        return [str(int(groups[0]))]
    if all(len(g) == 3 for g in groups[1:]) and "," in text and ":" not in text:
        if len(groups) > 2 or "." not in text:  # 1,000 / 1,000,000 (not 1.000,5)
            return [str(int("".join(groups)))]
    if len(groups) == 2 and re.fullmatch(r"\d+[.,]\d+", text):
        return [f"{int(groups[0])}.{groups[1].rstrip('0') or '0'}"]
    return [str(int(g)) for g in groups]


def numbers(text: str) -> Counter[str]:
    """Every number in `text` in canonical form, counted (URLs and e-mails left out)."""
    text = _EMAIL.sub(" ", _URL.sub(" ", text))
    found: Counter[str] = Counter()
    for match in _NUMBER.finditer(text):
        found.update(_canonical(_TRAIL.sub("", match.group())))
    return found


def _difference(source: Counter[str], target: Counter[str]) -> tuple[list[str], list[str]]:
    return sorted((source - target).elements()), sorted((target - source).elements())


def _finding(reason: str, missing: list[str], added: list[str]) -> list[Finding]:
    if not missing and not added:
        return []
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if added:
        parts.append("not in source " + ", ".join(added))
    return [Finding(reason, REVIEW, "; ".join(parts))]


def check_numbers(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    missing, added = _difference(numbers(segment.source), numbers(segment.target))
    return _finding("number", missing, added)


def _matches(pattern: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(m.group().rstrip(".,;:").lower() for m in pattern.finditer(text))


def check_links(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    out = []
    for reason, pattern in (("url", _URL), ("email", _EMAIL), ("placeholder", _PLACEHOLDER)):
        missing, added = _difference(
            _matches(pattern, segment.source), _matches(pattern, segment.target)
        )
        out += _finding(reason, missing, added)
    return out
