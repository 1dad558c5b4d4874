"""Normalization for matching: text (NFC, whitespace, optional Turkic-aware case folding),
language codes (en-GB → en unless variants are kept) and segment tokens.

Tokens are words, numbers, compact inline tags (`<g1>`, `</g1>`, `<x2/>`) and single
punctuation marks. The fuzzy index and the base score use the folded words with every number
replaced by one NUM token; tags, punctuation, case and number values are compared separately
(see `fuzzy`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from dilmanc.languages import base_language as base_language  # codes as stored, re-exported
from dilmanc.languages import stored_language as language  # noqa: F401
from dilmanc.text.tagged import EMPTY, OPEN, TAG_PATTERN, tag_of
from dilmanc.text.tagged import strip_tags as strip_tags
from dilmanc.text.turkic_case import az_lower

# Latin-script Turkic languages with dotted/dotless i (İ/i, I/ı).
TURKIC = frozenset({"az", "tr", "crh", "gag", "tt"})
NUM = "\x00N"  # the index token standing for any number

_TOKEN = re.compile(
    rf"(?P<tag>{TAG_PATTERN.pattern})"
    r"|(?P<num>\d+(?:[.,:/]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<punct>[^\w\s]|_)"
)


def normalize(text: str) -> str:
    """Unicode NFC with runs of whitespace made one space and the ends stripped."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def fold(text: str, lang: str) -> str:
    """Lower case: Turkic rules (I→ı, İ→i) for Turkic languages, Unicode lower otherwise."""
    base = lang.split("-")[0]
    return az_lower(text) if base in TURKIC else text.lower()


def search_fold(text: str) -> str:
    """The key concordance search compares: Turkic lower case with dotted and dotless i equal,
    so "İNSAN", "insan" and "ınsan" all match, whichever language the text is in."""
    return az_lower(unicodedata.normalize("NFC", text)).replace("ı", "i")


def h64(*parts: str) -> int:
    """A signed 64-bit hash of the parts (SQLite INTEGER), for indexed equality lookups."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def h128(*parts: str) -> bytes:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).digest()


@dataclass(frozen=True)
class Analysis:
    """A normalized segment split for matching."""

    text: str  # normalize(segment)
    words: tuple[str, ...]  # folded words, NUM for each number: the base sequence (indexed)
    cased: tuple[str, ...]  # the same with case kept (case penalty)
    numbers: tuple[str, ...]  # number values in order
    tags: tuple[str, ...]  # tag shapes in order: "<g>", "</g>", "<x/>"
    punct: tuple[str, ...]


def analyse(text: str, lang: str) -> Analysis:
    text = normalize(text)
    folded = fold(text, lang)
    aligned = len(folded) == len(text)  # true for Turkic folding and nearly always otherwise
    words: list[str] = []
    cased: list[str] = []
    numbers: list[str] = []
    tags: list[str] = []
    punct: list[str] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "word":
            token = m.group()
            words.append(folded[m.start() : m.end()] if aligned else fold(token, lang))
            cased.append(token)
        elif kind == "num":
            words.append(NUM)
            cased.append(NUM)
            numbers.append(m.group())
        elif kind == "tag":
            kind = tag_of(TAG_PATTERN.fullmatch(m.group())).kind
            tags.append("<x/>" if kind == EMPTY else "<g>" if kind == OPEN else "</g>")
        else:
            punct.append(m.group())
    return Analysis(text, tuple(words), tuple(cased), tuple(numbers), tuple(tags), tuple(punct))
