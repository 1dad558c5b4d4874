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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dilmanc.text import morphology as morph
from dilmanc.text.turkic_case import az_lower

if TYPE_CHECKING:
    from dilmanc.glossary.model import Entry

_HYPHEN_CLASS = morph.char_class(morph.HYPHENS)
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


_SEPARATED = (
    f"{morph.CLOSING_CLASS}?{morph.SEPARATOR_CLASS}{morph.suffix_chain(1)}"
    f"|{morph.CLOSING_CLASS}{morph.suffix_chain(1)}"
)
# The inflection after the last word, shared by every term: acronyms and numbers take suffixes
# only after a hyphen, apostrophe or closing quote; words also take them directly.
# A suffix glued straight onto an acronym counts only at a capital→lower-case change
# ("BMqTnin"), never after another capital ("BMTX").
_GLUED = f"(?-i:(?<=[{morph.UPPER_LETTERS}])(?=[{morph.LOWER_LETTERS}])){morph.suffix_chain(1)}"
_TAIL_ACRONYM = re.compile(f"(?:{_SEPARATED}|{_GLUED})?{_RIGHT}", re.IGNORECASE)
_TAIL_WORD = re.compile(f"(?:{_SEPARATED}|{morph.suffix_chain(0)}){_RIGHT}", re.IGNORECASE)
# Where a term may start: a word start, or a capital glued to a lower-case letter.
_STARTS = re.compile(
    f"(?<![^\\W_])(?=[^\\W_])|(?<=[{morph.LOWER_LETTERS}])(?=[{morph.UPPER_LETTERS}])"
)
_ANCHOR = 3  # index key: a term's first letters
_GLUED_WORDS = tuple(az_lower(w).replace("ı", "i") for w in morph.GLUED_FUNCTION_WORDS)
_GLUED_LONGEST = max(map(len, _GLUED_WORDS))
_FOLD = str.maketrans({"ı": "i", **dict.fromkeys(morph.HYPHENS, "-")})


def _fold(text: str) -> str:
    """Key for anchors: Turkic lower case with i/ı merged, as case-insensitive `re` sees it."""
    return az_lower(text).translate(_FOLD)


class _Variant:
    """One az variant: the letters it must start with (`prefix`), its body regex (compiled on
    first use) and the shared suffix tail that follows it."""

    __slots__ = ("entry", "source", "prefix", "tail", "_body", "_glued", "gluable")

    def __init__(self, entry: Entry, variant: str, words: list[str]) -> None:
        self.entry = entry
        self.source = variant
        first, last = words[0], words[-1]
        # may follow a glued function word ("vəməcburi əmək"): long enough to be no accident
        self.gluable = sum(ch.isalpha() for ch in first) >= morph.GLUED_MIN_LETTERS
        # the first word is fixed in a multi-word term; a lone word may soften its last letter
        self.prefix = _fold(first[:-1] if len(words) == 1 and len(first) > 1 else first)
        acronym = morph.is_acronym(last) or last[-1].isdigit()
        self.tail = _TAIL_ACRONYM if acronym else _TAIL_WORD
        self._body: re.Pattern[str] | None = None
        self._glued: re.Pattern[str] | None = None

    @property
    def body(self) -> re.Pattern[str]:
        if self._body is None:
            self._body = body_pattern(_words(self.source), self.entry.case_sensitive)
        return self._body

    @property
    def glued_body(self) -> re.Pattern[str]:
        """The body without its word-start condition, tried only after a glued function word."""
        if self._glued is None:
            words = _words(self.source)
            self._glued = body_pattern(words, self.entry.case_sensitive, word_start=False)
        return self._glued

    def match(self, text: str, pos: int, glued: bool = False) -> tuple[int, int] | None:
        """(stem end, end) of this variant starting at `pos`, or None. `glued`: `pos` follows
        a function word glued to the term, inside a word."""
        m = (self.glued_body if glued else self.body).match(text, pos)
        if m is None:
            return None
        tail = self.tail.match(text, m.end())
        return (m.end(), tail.end()) if tail else None


def body_pattern(
    words: list[str], case_sensitive: bool = False, word_start: bool = True
) -> re.Pattern[str]:
    """The term up to its last word's stem: words in order, spaces or quotes between them;
    starting a word unless `word_start` is False."""
    *head, last = words
    stem = _literal(last, case_sensitive)
    soft = morph.SOFTENING.get(last[-1].lower()) if len(last) > 2 else None
    if soft:
        vowel = morph.char_class(morph.VOWELS + morph.VOWELS.upper() + "İ")
        stem = f"(?:{stem}|{_literal(last[:-1], case_sensitive)}(?i:{soft})(?={vowel}))"
    body = "".join(_literal(w, case_sensitive) + _GAP for w in head)
    left = _LEFT if word_start else ""
    return re.compile(f"{left}{body}{stem}", 0 if case_sensitive else re.IGNORECASE)


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
    """All term variants of a glossary, indexed by their first letters so that a text position
    is only tried against the few terms that can start there; regexes compile on first use."""

    def __init__(self, entries: list[Entry]) -> None:
        # anchor (first ≤3 folded letters) → prefix length → prefix → variants
        self._index: dict[str, dict[int, dict[str, list[_Variant]]]] = {}
        self._anchor_sizes: set[int] = set()
        for entry in entries:
            seen: set[str] = set()
            for variant in entry.az:
                words = _words(variant)
                if not words or " ".join(words) in seen:
                    continue
                seen.add(" ".join(words))
                item = _Variant(entry, variant, words)
                anchor = item.prefix[:_ANCHOR]
                self._anchor_sizes.add(len(anchor))
                by_size = self._index.setdefault(anchor, {})
                by_size.setdefault(len(item.prefix), {}).setdefault(item.prefix, []).append(item)

    def _variants_at(self, text: str, pos: int) -> Iterator[_Variant]:
        head = _fold(text[pos : pos + _ANCHOR])
        for size in self._anchor_sizes:
            for length, table in self._index.get(head[:size], {}).items():
                yield from table.get(_fold(text[pos : pos + length]), ())

    def _starts(self, text: str) -> Iterator[tuple[int, bool]]:
        """(position, glued) where a term may start: word starts, a capital glued to a
        lower-case letter, and the end of a function word glued to the next word."""
        for start_m in _STARTS.finditer(text):
            pos = start_m.start()
            yield pos, False
            if (pos == 0 or not text[pos - 1].isalpha()) and text[pos].isalpha():
                head = _fold(text[pos : pos + _GLUED_LONGEST + 1])
                for word in _GLUED_WORDS:
                    if head.startswith(word) and head[len(word) : len(word) + 1].isalpha():
                        yield pos + len(word), True

    def find(self, text: str) -> list[Match]:
        """Non-overlapping occurrences in `text`, longest match first, returned in text order."""
        candidates: list[Match] = []
        for pos, glued in self._starts(text):
            for variant in self._variants_at(text, pos):
                if glued and not variant.gluable:
                    continue
                found = variant.match(text, pos, glued)
                if found is None:
                    continue
                stem_end, end = found
                span = text[pos:end]
                if _BLANK_LINE.search(span):
                    continue
                quoted = _opening_quote_before(text, pos, span)
                start = pos - 1 if quoted else pos
                candidates.append(
                    Match(start, end, text[start:end], variant.entry, stem_end, quoted)
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
