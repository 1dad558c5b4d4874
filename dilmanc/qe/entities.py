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
    r"(?<!\d)%(?:\d+\$)?(?:[-+#0]*\d+)?(?:\.\d+)?[sdifuxXeEgGc]\b|%\([^)\s]+\)[sdif]"
    r"|\{\{[^{}\s]+\}\}|\{[\w.:!]*\}|\$\{\w+\}"
)
# digit groups: 1 000 000 (thin/normal spaces as thousands), 1,234.5, 12.05.2019, 15:30
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|\d+(?:[.,:/]\d+)*")
_TRAIL = re.compile(r"[.,]+$")
_DIGIT = re.compile(r"\d")
#: text holding none of these has no URL, e-mail or placeholder (checked before the patterns)
_LINK_MARKS = re.compile(r"[@%{]|://|www\.", re.IGNORECASE)


def _canonical(match: str) -> list[str]:
    """The numbers in one digit group, separators normalised: "1 000", "1,000" and "1.000"
    → 1000; other groups part by part, so "1,5" and "1.5" → 1, 5, "07:55" and "7.55" → 7, 55,
    "12.05.2019" → 12, 5, 2019."""
    text = re.sub(r"[ \u00a0\u202f]", "", match)
    groups = re.split(r"[.,:/]", text)
    thousands = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if len(groups) > 1 and thousands and ":" not in text and "/" not in text:
        return [str(int("".join(groups)))]
    return [str(int(g)) for g in groups]


# Small numbers may be written as words: the stems of 1-12 (and ordinals) per language.
NUMBER_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("one", "first", "once", "single", "a "),
        ("two", "second", "twice", "both", "pair"),
        ("three", "third"),
        ("four", "fourth"),
        ("five", "fifth"),
        ("six", "sixth"),
        ("seven",),
        ("eight",),
        ("nine", "ninth"),
        ("ten",),
        ("eleven",),
        ("twelve", "twelfth"),
    ),
    "ru": (
        ("од", "перв"),
        ("два", "две", "втор", "двух", "дву", "оба", "обе"),
        ("три", "трет", "трех", "трёх"),
        ("четыр", "четв"),
        ("пят",),
        ("шест",),
        ("сем", "седьм"),
        ("восем", "восьм"),
        ("девят",),
        ("десят",),
        ("одиннадцат",),
        ("двенадцат",),
    ),
    "az": (
        ("bir", "birinci"),
        ("iki", "ikinci"),
        ("üç",),
        ("dörd",),
        ("beş",),
        ("altı",),
        ("yeddi",),
        ("səkkiz",),
        ("doqquz",),
        ("on",),
        ("on bir",),
        ("on iki",),
    ),
}


def _spelled(value: str, text: str, lang: str) -> bool:
    """Whether the small number `value` could be written as a word in `text`."""
    stems = NUMBER_WORDS.get(lang)
    if not stems or not value.isdigit() or not 1 <= int(value) <= len(stems):
        return False
    words = " " + " ".join(re.findall(r"[^\W\d_]+", text.casefold())) + " "
    return any(" " + stem in words for stem in stems[int(value) - 1])


def _scaled(a: str, b: str) -> bool:
    """ "30 min" / "30 тысяч" against 30000: the same number with a word for thousands or
    millions."""
    if not (a.isdigit() and b.isdigit()) or int(a) == 0 or int(b) == 0:
        return False
    big, small = max(int(a), int(b)), min(int(a), int(b))
    return any(big == small * scale for scale in (1000, 1_000_000, 1_000_000_000))


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


def number_difference(segment: Segment) -> tuple[list[str], list[str]]:
    """Numbers of the source missing from the target, and numbers of the target not in the
    source, allowing small numbers written as words and "30 thousand" for 30000."""
    if not (_DIGIT.search(segment.source) or _DIGIT.search(segment.target)):
        return [], []  # no digit: no number (the common case, checked cheaply)
    missing, added = _difference(numbers(segment.source), numbers(segment.target))
    for a in list(missing):
        other = next((b for b in added if _scaled(a, b)), None)
        if other is not None:
            missing.remove(a)
            added.remove(other)
    missing = [n for n in missing if not _spelled(n, segment.target, segment.target_lang)]
    added = [n for n in added if not _spelled(n, segment.source, segment.source_lang)]
    return missing, added


def check_numbers(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    return _finding("number", *number_difference(segment))


def _matches(pattern: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(m.group().rstrip(".,;:").lower() for m in pattern.finditer(text))


def check_links(segment: Segment, thresholds: Thresholds) -> list[Finding]:
    if not (_LINK_MARKS.search(segment.source) or _LINK_MARKS.search(segment.target)):
        return []
    out = []
    for reason, pattern in (("url", _URL), ("email", _EMAIL), ("placeholder", _PLACEHOLDER)):
        missing, added = _difference(
            _matches(pattern, segment.source), _matches(pattern, segment.target)
        )
        out += _finding(reason, missing, added)
    return out
