"""Find glossary terms in Azerbaijani text: every occurrence, with offsets into the original text.

Each `az` variant compiles to one regex run directly on the original string (so offsets never
drift): words in order, any whitespace or quotes between them, the last word followed by an
inflectional suffix chain from `morphology.SUFFIXES` (after a hyphen or apostrophe for acronyms
and numbers). Python's case-insensitive `re` treats i/I/ı/İ as one letter, which gives Turkic
casing and "USAİD" = "USAID" at once. Overlapping candidates are resolved longest first.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from dilmanc.glossary import morphology as morph
from dilmanc.glossary.model import Entry

_HYPHEN_CLASS = morph._cls(morph.HYPHENS)
_GAP = f"[\\s{morph.QUOTE_CLASS[1:-1]}]+"
_GLUE = f"(?-i:(?<=[{morph.LOWER_LETTERS}])(?=[{morph.UPPER_LETTERS}]))"
_LEFT = f"(?:(?<![^\\W_])|{_GLUE})"
_RIGHT = f"(?:(?![^\\W_])|{_GLUE})"
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


@dataclass(frozen=True)
class Match:
    """One occurrence: `text == source[start:end]`; `stem_end` ends the term before its suffix."""

    start: int
    end: int
    text: str
    entry: Entry
    stem_end: int
    quoted: bool = False  # the span begins with an opening quote that closes inside it

    @property
    def suffix(self) -> str:
        """The inflection after the term, without quotes or separators ("nin" for BMqT-nin)."""
        tail = self.text[self.stem_end - self.start :]
        return "".join(ch for ch in tail if ch.isalpha())

    def to_json(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "id": self.entry.id,
            "term": self.entry.term,
            "targets": self.entry.targets_preferred(),
        }


def _literal(word: str, case_sensitive: bool) -> str:
    out = []
    for ch in word:
        if ch in morph.HYPHENS:
            out.append(_HYPHEN_CLASS)
        elif case_sensitive and ch in "Iİ":
            out.append("[Iİ]")
        elif case_sensitive and ch in "iı":
            out.append("[iı]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _words(variant: str) -> list[str]:
    cleaned = "".join(" " if ch in morph.QUOTES else ch for ch in variant)
    return cleaned.split()


def variant_pattern(variant: str, case_sensitive: bool = False) -> re.Pattern[str] | None:
    """Compile one Azerbaijani term variant; None when it has no words."""
    words = _words(variant)
    if not words:
        return None
    *head, last = words
    stem = _literal(last, case_sensitive)
    soft = morph.SOFTENING.get(last[-1].lower()) if len(last) > 2 else None
    if soft:
        vowel = morph._cls(morph.VOWELS + morph.VOWELS.upper() + "İ")
        stem = f"(?:{stem}|{_literal(last[:-1], case_sensitive)}(?i:{soft})(?={vowel}))"
    separated = (
        f"{morph.CLOSING_CLASS}?{morph.SEPARATOR_CLASS}{morph.suffix_chain(1)}"
        f"|{morph.CLOSING_CLASS}{morph.suffix_chain(1)}"
    )
    if morph.is_acronym(last) or last[-1].isdigit():
        tail = f"(?:{separated})?"
    else:
        tail = f"(?:{separated}|{morph.suffix_chain(0)})"
    if case_sensitive:
        tail = f"(?i:{tail})"
    body = _GAP.join(_literal(w, case_sensitive) for w in head)
    if head:
        body += _GAP
    pattern = f"{_LEFT}{body}(?P<stem>{stem})(?P<tail>{tail}){_RIGHT}"
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)


def _opening_quote_before(text: str, start: int, span: str) -> bool:
    """True when text[start-1] opens a quote that closes inside `span` ("“2-ci səviyyə”-yə")."""
    if start == 0:
        return False
    opener = text[start - 1]
    closers = morph.QUOTE_PAIRS.get(opener)
    if not closers:
        return False
    if opener in closers:  # straight quotes: an odd count inside means one closes there
        return span.count(opener) % 2 == 1
    return any(c in span for c in closers) and opener not in span


class Matcher:
    """All term patterns of a glossary, compiled once."""

    def __init__(self, entries: list[Entry]) -> None:
        self._patterns: list[tuple[re.Pattern[str], Entry]] = []
        for entry in entries:
            seen: set[str] = set()
            for variant in entry.az:
                pattern = variant_pattern(variant, entry.case_sensitive)
                if pattern is not None and pattern.pattern not in seen:
                    seen.add(pattern.pattern)
                    self._patterns.append((pattern, entry))

    def find(self, text: str) -> list[Match]:
        """Non-overlapping occurrences in `text`, longest match first, returned in text order."""
        candidates: list[Match] = []
        for pattern, entry in self._patterns:
            for m in pattern.finditer(text):
                start, end = m.span()
                span = text[start:end]
                if _BLANK_LINE.search(span):
                    continue
                quoted = _opening_quote_before(text, start, span)
                if quoted:
                    start -= 1
                candidates.append(
                    Match(start, end, text[start:end], entry, m.end("stem"), quoted=quoted)
                )
        return _longest_first(candidates)


def _longest_first(candidates: list[Match]) -> list[Match]:
    """Keep the longest of overlapping candidates (then the earliest), in text order."""
    candidates.sort(key=lambda c: (c.start - c.end, c.start))
    starts: list[int] = []  # taken spans, sorted and disjoint
    taken: list[Match] = []
    for cand in candidates:
        i = bisect.bisect_right(starts, cand.start)
        if i > 0 and taken[i - 1].end > cand.start:
            continue
        if i < len(taken) and taken[i].start < cand.end:
            continue
        starts.insert(i, cand.start)
        taken.insert(i, cand)
    return taken


def find_terms(text: str, glossary) -> list[Match]:
    """Occurrences of `glossary`'s terms in Azerbaijani `text` (see `Matcher.find`)."""
    return glossary.matcher.find(text)
