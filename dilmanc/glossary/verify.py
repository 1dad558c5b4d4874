"""Is a glossary term present in a translation? English/Latin-script and Russian verification.

- English and other languages: case-insensitive, whitespace- and hyphen-tolerant, possessive
  and plural endings tolerated ("IOM's", "IOMs"); one-word all-capital acronyms ("UN", "IOM")
  are matched case-sensitively so "un" or "Iom" do not count.
- Russian: lemma by lemma with pymorphy3, so "торговлей людьми" satisfies "торговля людьми"
  and "Национального плана действий" satisfies "Национальный план действий"; a capitalised
  word also matches its personal-name case forms (`dilmanc.text.names.russian`), so
  "Вугара Бехбудова" and "Довлята" satisfy "Вугар Бехбудов" and "Довлят".

`term_accuracy` is the WMT21 terminology exact-match metric: the share of source term
occurrences whose target term appears in the hypothesis line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dilmanc.errors import InputError
from dilmanc.glossary.matcher import Match, find_terms
from dilmanc.glossary.model import Entry

Span = tuple[int, int]
LEMMATIZED = frozenset({"ru"})
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]")


def _is_acronym(variant: str) -> bool:
    letters = [ch for ch in variant if ch.isalpha()]
    return " " not in variant.strip() and len(letters) >= 2 and variant == variant.upper()


@functools.lru_cache(maxsize=4096)
def _surface_pattern(variant: str) -> re.Pattern[str]:
    words = re.split(r"[\s\-‐‑–]+", variant.strip())
    body = r"[\s\-‐‑–]+".join(re.escape(w) for w in words if w)
    flags = 0 if _is_acronym(variant) else re.IGNORECASE
    return re.compile(rf"(?<!\w){body}(?:['’]s|['’]|s|es)?(?!\w)", flags)


@functools.lru_cache(maxsize=1)
def _analyzer():
    try:
        import pymorphy3
    except ImportError:  # declared dependency; degrade to stem prefixes rather than crash
        return None
    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=200_000)
def _lemmas(word: str) -> frozenset[str]:
    low = word.lower().replace("ё", "е")
    if not _CYRILLIC.search(low):
        return frozenset({low})
    analyzer = _analyzer()
    if analyzer is None:
        return frozenset({low[: max(4, len(low) - 2)]})
    forms = {p.normal_form.replace("ё", "е") for p in analyzer.parse(low)}
    return frozenset(forms | {low})


@functools.lru_cache(maxsize=4096)
def _name_forms(word: str) -> frozenset[str]:
    """Case forms of a capitalised Cyrillic word, as a personal name declines ("Вугар" →
    "Вугара", "Вугаром"...): pymorphy3 does not know every Azerbaijani name ("Довлята")."""
    if not word[:1].isupper() or word.isupper() or not _CYRILLIC.search(word):
        return frozenset()
    from dilmanc.text.names.russian import name_forms

    return name_forms(word)


def _word_matches(want: frozenset[str], names: frozenset[str], token: str) -> bool:
    if want & _lemmas(token):
        return True
    return bool(names) and token[:1].isupper() and token.lower().replace("ё", "е") in names


def _lemma_spans(text: str, variant: str) -> list[Span]:
    words = _WORD.findall(variant)
    want = [_lemmas(w) for w in words]
    if not want:
        return []
    names = [_name_forms(w) for w in words]
    tokens = list(_WORD.finditer(text))
    spans: list[Span] = []
    n = len(want)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if not all(_word_matches(want[j], names[j], window[j].group()) for j in range(n)):
            continue
        gaps = (text[a.end() : b.start()] for a, b in zip(window, window[1:], strict=False))
        if any(_SENTENCE_BREAK.search(gap) for gap in gaps):
            continue
        spans.append((window[0].start(), window[-1].end()))
    return spans


def find_rendering(text: str, variant: str, lang: str) -> list[Span]:
    """Spans of `variant` (a target term) in `text`, inflection-aware for Russian."""
    if lang in LEMMATIZED and _CYRILLIC.search(variant):
        return _lemma_spans(text, variant)
    return [m.span() for m in _surface_pattern(variant).finditer(text)]


def find_any(text: str, variants: tuple[str, ...] | list[str], lang: str) -> list[Span]:
    """Non-overlapping spans of any of `variants`, longest first where they overlap."""
    spans = sorted(
        (s for v in variants for s in find_rendering(text, v, lang)),
        key=lambda s: (s[0] - s[1], s[0]),
    )
    taken: list[Span] = []
    for s in spans:
        if all(s[1] <= t[0] or s[0] >= t[1] for t in taken):
            taken.append(s)
    return sorted(taken)


@dataclass(frozen=True)
class TermCheck:
    entry: Entry
    expected: str
    satisfied: bool
    reason: str = ""  # "missing" or "forbidden rendering '...'" when not satisfied
    forbidden: str = ""  # the forbidden rendering found, when that is the reason

    def to_json(self) -> dict:
        out = {"id": self.entry.id, "term": self.entry.term, "expected": self.expected}
        if not self.satisfied:
            out["reason"] = self.reason
        return out

    def describe(self) -> str:
        """One failure in words: "insan alveri: missing 'human trafficking'"."""
        reason = f"missing {self.expected!r}" if self.reason == "missing" else self.reason
        return f"{self.entry.term}: {reason}"


def check_entry(text: str, entry: Entry, lang: str) -> TermCheck | None:
    """Whether `text` renders `entry` in `lang` as the glossary demands; None if no target."""
    accepted = entry.accepted(lang)
    if not accepted:
        return None
    for bad in entry.forbidden_in(lang):
        if find_rendering(text, bad, lang):
            return TermCheck(entry, accepted[0], False, f"forbidden rendering {bad!r}", bad)
    if find_any(text, accepted, lang):
        return TermCheck(entry, accepted[0], True)
    return TermCheck(entry, accepted[0], False, "missing")


def expected_terms(source: str, glossary, lang: str) -> tuple[Match, ...]:
    """The glossary terms found in `source` that the glossary renders in `lang`: what a
    translation of `source` into `lang` must carry."""
    return tuple(m for m in find_terms(source, glossary) if m.entry.target(lang))


def check_terms(output: str, found: Iterable[Match], lang: str) -> tuple[TermCheck, ...]:
    """One check of `output` per entry among the terms `found` in its source, in order."""
    checks: dict[str, TermCheck] = {}
    for match in found:
        if match.entry.key not in checks:
            check = check_entry(output, match.entry, lang)
            if check is not None:
                checks[match.entry.key] = check
    return tuple(checks.values())


def term_issues(source: str, output: str, glossary, lang: str) -> tuple[str, ...]:
    """The glossary terms of `source` that `output` breaks, in words (see `TermCheck.describe`)."""
    checks = check_terms(output, expected_terms(source, glossary, lang), lang)
    return tuple(check.describe() for check in checks if not check.satisfied)


@dataclass
class TermAccuracy:
    hits: int = 0
    total: int = 0
    misses: list[dict] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """hits / total; 1.0 when the source holds no glossary term (nothing to get wrong)."""
        return self.hits / self.total if self.total else 1.0

    def to_json(self) -> dict:
        return {
            "term_accuracy": self.accuracy,
            "hits": self.hits,
            "total": self.total,
            "misses": self.misses,
        }


def term_accuracy(sources: list[str], hyps: list[str], lang: str, glossary) -> TermAccuracy:
    """WMT21 exact-match term accuracy of line-aligned `hyps` against `sources`' terms.

    An entry occurring k times in a source line scores min(k, n) hits, n being the number of
    its accepted renderings found in the hypothesis line.
    """
    if len(sources) != len(hyps):
        raise InputError(
            f"{len(sources)} source lines but {len(hyps)} hypothesis lines; they must align"
        )
    lang = getattr(lang, "iso", lang)
    result = TermAccuracy()
    for number, (src, hyp) in enumerate(zip(sources, hyps, strict=True), 1):
        counts: dict[str, list] = {}
        for match in find_terms(src, glossary):
            if match.entry.accepted(lang):
                counts.setdefault(match.entry.key, [match.entry, 0])[1] += 1
        for entry, k in counts.values():
            found = len(find_any(hyp, entry.accepted(lang), lang))
            hits = min(k, found)
            result.hits += hits
            result.total += k
            miss = {"line": number, "id": entry.id, "term": entry.term}
            miss["expected"] = entry.target(lang)
            result.misses.extend(dict(miss) for _ in range(k - hits))
    return result
