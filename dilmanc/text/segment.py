"""Azerbaijani segmentation: lines into sentences, and what is kept unchanged (pass-through).

The unit of work is a line. A document keeps its exact layout because everything that is not
a sentence to translate (line endings, blank lines between paragraphs, spaces between
sentences, pass-through lines, a metadata prefix) is carried over verbatim; only sentence
text is replaced by its translation. Paragraphs (runs of non-blank lines separated by blank
lines) therefore survive one for one, and any line boundary is a safe place to cut a large
input into chunks.

Sentences come from sentencex (`segment("az", line)`), then boundaries that Azerbaijani
text does not have are undone using the small tables below: titles and abbreviations such
as "prof.", "cən.", "məs." never end a sentence; "və s.", "və ş.", "b.e." end one only
before a capital letter; a single-letter initial ("A. Əliyev") or a bare list number
("1.", "IV.") never does. Suffixed forms ("28-də", "BMqT-nin", "2020-2024-cü") are
already kept whole by sentencex.

Quoted speech: sentencex keeps a quotation whole, however many sentences it holds, so a
reporting clause and a long quote would reach the model as one over-long input. Two cuts
are added. A quotation after a colon that is a full sentence (a capital, at least
`MIN_SPEECH_WORDS` words, nothing after it but the final punctuation) is a sentence of its
own: `Sədr dedi:` | `“Biz gələcəyik.”`. A quotation that holds several sentences is cut
between them, the opening mark staying on the first and the closing mark on the last:
`“Biz gəldik.` | `Onlar getdi.”`. Short quoted names and terms ("Tier 2", «Azərbaycan»)
are never cut, and the rules above (abbreviations, initials) hold inside quotes too. Marks
pair by position (one opens after a space, bracket, dash or colon; one closes after a
letter or punctuation), by the pairs in `morphology.QUOTE_PAIRS`, and straight with curly
("…” as press text has it); an apostrophe between letters (BMT'yə) is not a quote.

Pass-through rule: a line, and each sentence in a line, is kept unchanged and never sent
to the model when it

1. has no letters (numbers, dates, prices, phone numbers, punctuation), or
2. has no letters once URLs, e-mail addresses and domain names are taken out, or
3. reads as English: at least 2 English stop words ("the", "you", "must", "for" ...) that
   make up at least a quarter of its words and outnumber its Azerbaijani evidence (words
   with ə ğ ı ö ü ç ş or common function words such as "və", "ilə", "üçün", "bu").
   Rule 3 is decided per sentence, so an English sentence that dominates a line never
   hides the Azerbaijani sentence beside it; a short sentence with English but no
   Azerbaijani evidence ("Cookies help us.") follows the verdict of its whole line.

A metadata prefix glued to the start of a line ("date 2022-07 ", "Tarix: 28.07.2022 ") is
split off and kept as is; the rest of the line is segmented as usual.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

from sentencex import segment as _sentencex_segment

from dilmanc.text import morphology as morph
from dilmanc.text.turkic_case import az_lower

# --- Azerbaijani rules (data) ---------------------------------------------------------------

# Abbreviations after which a sentence never ends: they precede what they qualify. A single
# lower-case letter with a full stop ("Bakı ş.", "Nəsimi r.") never ends one either.
NEVER_FINAL = frozenset(
    {
        "prof.", "dos.", "dr.", "akad.", "cən.", "xan.", "müəl.", "red.", "məs.", "müq.",
        "bax.", "səh.", "küç.", "qəs.", "pr.", "No.", "mln.", "mlrd.", "kv.",
    }
)  # fmt: skip

# Abbreviations that may close a sentence: a boundary after them is kept only when the
# next sentence starts with a capital letter ("... kitablar və s. Sonra ...").
FINAL_BEFORE_CAPITAL = frozenset({"və s.", "və ş.", "və b.", "və i.a.", "b.e.", "e.ə."})

# Common Azerbaijani function words: evidence that a line is Azerbaijani prose.
AZ_FUNCTION_WORDS = frozenset(
    {
        "və", "ilə", "üçün", "bu", "o", "bir", "da", "də", "ki", "kimi", "isə", "olan",
        "olaraq", "həm", "ya", "yaxud", "amma", "lakin", "ancaq", "görə", "qarşı", "üzrə",
        "dair", "haqqında", "barədə", "sonra", "əvvəl", "artıq", "hər", "bütün", "onun",
        "onlar", "biz", "mən", "siz", "edib", "edir", "oldu", "olub", "etdi", "qeyd", "il",
    }
)  # fmt: skip

# English stop words: evidence that a line is English (web boilerplate, quoted titles).
EN_STOP_WORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "from",
        "at", "as", "is", "are", "was", "were", "be", "been", "this", "that", "these", "it",
        "its", "you", "your", "we", "our", "they", "their", "must", "can", "will", "not",
        "all", "please", "here", "more", "about", "has", "have", "do", "does", "if", "no",
    }
)  # fmt: skip

# Fewest words in a quotation after a colon that is cut off as a sentence of its own: fewer
# is a quoted name or term ("Hesabatın adı: “Tier 2”.").
MIN_SPEECH_WORDS = 3

AZ_LETTERS = frozenset("əğıöüçşƏĞIİÖÜÇŞ") - {"I"}  # "I" is plain Latin too

# Metadata glued to the start of a line: "date 2022-07 ", "Tarix: 28.07.2022 ", "2022-07-28 ".
METADATA_PREFIX = re.compile(
    r"""^\s*(?:
        (?:date|tarix|published|updated|dərc\s+edilib)\s*:?\s*
            \d{4}[-./]\d{1,2}(?:[-./]\d{1,2})?
        | (?:date|tarix)\s*:?\s*\d{1,2}[-./]\d{1,2}[-./]\d{4}
        | \d{4}-\d{2}-\d{2}
    )(?:[\s,;:|–—-]+|$)""",
    re.IGNORECASE | re.VERBOSE,
)

# --- implementation ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:[’'][^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w-]+(?:\.[\w-]+)*"
    r"\.(?:az|com|org|net|int|gov|edu|ru|info|io|eu|uk)(?:/\S*)?)",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^(?:\d{1,3}|[IVXLC]{1,6}|[a-z])\.$")
_SINGLE_LOWER = re.compile(r"^[^\W\d_]\.$")
_INITIALS = re.compile(r"(?:[A-ZƏĞİÖÜÇŞ]\.)+")
_OPENERS = "(“«\"'‘"
# Quote marks (see `_quotations`): the pairs are morphology's, and a straight quote may also
# close a curly one or the reverse ("…” and “…"), both found in press text.
_MIXED_PAIRS = {'"': "”", "“": '"'}


def _closing_marks() -> dict[str, str]:
    """Each closing quote mark → the opening marks it may close."""
    closes: dict[str, str] = {}
    for opener, closers in morph.QUOTE_PAIRS.items():
        for closer in closers + _MIXED_PAIRS.get(opener, ""):
            closes[closer] = closes.get(closer, "") + opener
    return closes


_CLOSES = _closing_marks()
_OPENS = "".join(morph.QUOTE_PAIRS)
_QUOTE_MARKS = frozenset(_OPENS) | frozenset(_CLOSES)
_BEFORE_OPENING = "([{/:–—-" + _OPENS
_SENTENCE_END = re.compile(r"[.!?…]*\s*")
_SENTENCE_MARK = re.compile(r"[.!?…]")
_LINK_EDGES = ",;:.()<>[]|\"'“”«»"


class Piece(NamedTuple):
    """A stretch of a line: `translate` says whether it goes to the model or is kept as is."""

    text: str
    translate: bool


def is_passthrough(text: str) -> bool:
    """True when `text` is not Azerbaijani prose and must be kept unchanged (see module doc)."""
    return _has_no_prose(text) or _reads_as_english(text)


def _has_no_prose(text: str) -> bool:
    """Rules 1 and 2: no letters at all, or letters only inside links and addresses."""
    if not _LETTER.search(text):
        return True
    return ("." in text or "@" in text) and _only_links(text)


def _reads_as_english(text: str, line_is_english: bool = False) -> bool:
    """Rule 3, for one sentence: English stop words dominate and outnumber Azerbaijani evidence.

    A short sentence with some English and no Azerbaijani evidence ("Cookies help us.") cannot
    decide alone; it follows its line (`line_is_english`).
    """
    words = _WORD.findall(text)
    if len(words) < 2:
        return False
    english = 0
    azerbaijani = 0
    for word in words:
        low = word.lower()
        if low in EN_STOP_WORDS:
            english += 1
        if low in AZ_FUNCTION_WORDS or not AZ_LETTERS.isdisjoint(word):
            azerbaijani += 1
    if english >= 2 and english * 4 >= len(words) and english > azerbaijani:
        return True
    return line_is_english and english >= 1 and azerbaijani == 0


def _only_links(text: str) -> bool:
    """True when every word with letters in `text` is a URL, e-mail address or domain name."""
    for token in text.split():
        if _LETTER.search(token) and not _LINK.fullmatch(token.strip(_LINK_EDGES)):
            return False
    return True


def split_metadata(line: str) -> tuple[str, str]:
    """Split a metadata prefix ("date 2022-07 ") off a line: (prefix, rest); prefix may be ""."""
    match = METADATA_PREFIX.match(line)
    if not match or not match.group().strip():
        return "", line
    return match.group(), line[match.end() :]


def _keeps_together(left: str, right: str) -> bool:
    """True when the boundary sentencex put between `left` and `right` is not a real one."""
    tail = left.rstrip()
    if not tail.endswith("."):
        return False
    head = right.lstrip()[:1]
    words = tail.rsplit(None, 2)
    token = words[-1].lstrip(_OPENERS)
    if len(words) > 1 and az_lower(f"{words[-2]} {token}") in FINAL_BEFORE_CAPITAL:
        return not head.isupper()
    if token in NEVER_FINAL or az_lower(token) in NEVER_FINAL:
        return True
    if _SINGLE_LOWER.match(token) and token[0].islower():
        return True
    if token in FINAL_BEFORE_CAPITAL:
        return not head.isupper()
    if len(words) == 1 and _LIST_MARKER.match(token):
        return True
    return bool(_INITIALS.fullmatch(token)) and head.isupper()


def split_sentences(text: str, language: str = "az") -> list[str]:
    """Sentences of one line or paragraph, each with its trailing whitespace (they join back).

    Quoted speech is cut further (see the module doc): a quoted sentence after a colon is a
    sentence of its own, and so is each sentence of a quotation that holds several."""
    sentences = _sentences(text, language)
    if "".join(sentences) != text:  # never expected; keep sentencex's own answer then
        return sentences
    starts = [0, *itertools.accumulate(len(s) for s in sentences)]
    bounds = sorted(set(starts) | _quote_cuts(text, language, starts))
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _sentences(text: str, language: str) -> list[str]:
    """Sentences by sentencex, with the boundaries Azerbaijani does not have undone."""
    parts = [p for p in _sentencex_segment(language, text) if p]
    if len(parts) < 2:
        return parts or ([text] if text else [])
    merged = [parts[0]]
    for part in parts[1:]:
        if _keeps_together(merged[-1], part):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def _quotations(text: str) -> list[tuple[int, int]]:
    """Outermost quotations in `text`: (index of the opening mark, index of the closing mark).

    A mark opens after a space, an opening bracket, a dash or a colon and before a non-space;
    it closes after anything else (letters, digits, ".!?…", another closing mark), so "“..”"
    nested inside a straight-quoted sentence and a suffix after a quote ("Planı”nın") pair up.
    A closing mark closes the nearest open mark it may close (`_CLOSES`); mixed pairs such as
    "\"…”" occur in real text. "'", "’" or "‘" between two letters is an apostrophe.
    """
    stack: list[tuple[str, int]] = []
    spans: list[tuple[int, int]] = []
    for i, mark in enumerate(text):
        if mark not in _QUOTE_MARKS:
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        opening_place = before.isspace() or before in _BEFORE_OPENING
        if not opening_place and mark in _CLOSES:
            if mark in morph.SUFFIX_SEPARATORS and before.isalpha() and after.isalpha():
                continue  # an apostrophe: BMT'yə, BMqT’nin
            depth = next(
                (d for d in range(len(stack) - 1, -1, -1) if stack[d][0] in _CLOSES[mark]), None
            )
            if depth is not None:
                spans.append((stack[depth][1], i))
                del stack[depth:]
        elif opening_place and mark in _OPENS and not after.isspace():
            stack.append((mark, i))
    outermost: list[tuple[int, int]] = []
    for start, end in sorted(spans):  # a mark left open does not hide the pairs after it
        if not outermost or start > outermost[-1][1]:
            outermost.append((start, end))
    return outermost


def _quote_cuts(text: str, language: str, starts: list[int]) -> set[int]:
    """Where quoted speech is cut: before a quoted sentence that follows a colon, and between
    the sentences inside each quotation (the quote marks stay on the first and last piece).
    `starts` are the sorted indices where the sentences found so far begin, and len(text)."""
    cuts: set[int] = set()
    for start, end in _quotations(text):
        if _is_quoted_speech(text, start, end, starts):
            cuts.add(start)
        inner = text[start + 1 : end]
        if not _SENTENCE_MARK.search(inner):
            continue
        offset = start + 1
        for part in _sentences(inner, language)[:-1]:
            offset += len(part)
            cuts.add(offset)
    return cuts


def _is_quoted_speech(text: str, start: int, end: int, starts: list[int]) -> bool:
    """True when the quotation at start..end is a full sentence that a colon introduces: a
    clause with letters and a colon before it in the same sentence, a capital and at least
    `MIN_SPEECH_WORDS` words inside, and after it only its sentence's final punctuation."""
    clause = text[starts[bisect.bisect_right(starts, start) - 1] : start].rstrip()
    if not clause.endswith(":") or not _LETTER.search(clause):
        return False
    quoted = text[start + 1 : end].lstrip(_BEFORE_OPENING + " ")
    after = _SENTENCE_END.match(text, end + 1).end()
    at = bisect.bisect_left(starts, after)
    return (
        quoted[:1].isupper()
        and len(_WORD.findall(quoted)) >= MIN_SPEECH_WORDS
        and at < len(starts)
        and starts[at] == after
    )


def segment_line(line: str, language: str = "az") -> list[Piece]:
    """Pieces of one line (no line ending); joining their texts gives the line back exactly."""
    if not line or line.isspace():
        return [Piece(line, False)] if line else []
    prefix, rest = split_metadata(line)
    if _has_no_prose(rest):
        return [Piece(line, False)]
    sentences = split_sentences(rest, language)
    # The English rule is decided per sentence: an English sentence that dominates its line
    # must not hide an Azerbaijani sentence beside it.
    line_is_english = _reads_as_english(rest)
    bodies = [sentence.strip() for sentence in sentences]
    if len(sentences) == 1:
        keep = [line_is_english]
    else:
        keep = [
            not body or _has_no_prose(body) or _reads_as_english(body, line_is_english)
            for body in bodies
        ]
    if all(keep):
        return [Piece(line, False)]
    pieces: list[Piece] = [Piece(prefix, False)] if prefix else []
    for sentence, body, kept in zip(sentences, bodies, keep, strict=True):
        if not body:
            pieces.append(Piece(sentence, False))
            continue
        start = len(sentence) - len(sentence.lstrip())
        if start:
            pieces.append(Piece(sentence[:start], False))
        pieces.append(Piece(body, not kept))
        end = start + len(body)
        if end < len(sentence):
            pieces.append(Piece(sentence[end:], False))
    return pieces


# --- over-long segments ----------------------------------------------------------------------
# A segment longer than a model takes is split, never cut: at sentence punctuation first (a
# boundary sentencex did not make), then at clause punctuation, then between words, and only
# then inside a word. Each cut falls after the punctuation and the spaces that follow it, so
# every part is a stripped text to translate and the spaces between parts are kept as is.

_CLOSERS = re.escape("\"'”’»)]")
_CUT_LEVELS = (
    re.compile(f"[.!?…]+[{_CLOSERS}]*\\s+"),
    re.compile(f"(?:[;,:]|(?<=\\s)[–—-]|[–—])[{_CLOSERS}]*\\s+"),
    re.compile(r"\s+"),
)
_SPACES = re.compile(r"\s*")
# A coarser cut is taken only when it keeps at least this share of what would fit.
_MIN_FILL = 0.5


class Fitted(NamedTuple):
    """`fit_pieces` result: the pieces, and how many segments had to be split."""

    pieces: list[Piece]
    split: int


def split_long(text: str, max_chars: int) -> list[Piece]:
    """Split `text` into parts of at most `max_chars` characters (see `split_long_tokens`)."""
    return _split_long(text, len, max_chars)


def split_long_tokens(
    text: str, count_tokens: Callable[[str], int], max_tokens: int
) -> list[Piece]:
    """Split `text` so that every part has at most `max_tokens` tokens by `count_tokens`.

    Parts end at sentence punctuation, else clause punctuation (; , : – —), else between
    words, else inside a word (never before a combining mark). The texts of the returned
    pieces join back to `text` exactly: parts to translate are stripped, and the whitespace
    between them is kept in pieces of its own. Nothing is dropped; only a single character
    (with its combining marks) that alone exceeds the limit can come out over it.
    """
    return _split_long(text, count_tokens, max_tokens)


def fit_pieces(
    pieces: list[Piece],
    *,
    max_chars: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
) -> Fitted:
    """Replace every piece to translate that exceeds `max_chars` characters, or `max_tokens`
    by `count_tokens`, with its parts (`split_long`); other pieces are kept as they are."""
    out: list[Piece] = []
    split = 0
    for piece in pieces:
        parts = [piece]
        if piece.translate and max_chars is not None and len(piece.text) > max_chars:
            parts = split_long(piece.text, max_chars)
        if piece.translate and count_tokens is not None and max_tokens is not None:
            parts = [
                sub
                for part in parts
                for sub in (
                    split_long_tokens(part.text, count_tokens, max_tokens)
                    if part.translate and count_tokens(part.text) > max_tokens
                    else [part]
                )
            ]
        split += len(parts) > 1
        out += parts
    return Fitted(out, split)


def _split_long(text: str, measure: Callable[[str], int], limit: int) -> list[Piece]:
    limit = max(1, limit)
    size = len(text)

    def fits(start: int, end: int) -> bool:
        return measure(text[start:end].strip()) <= limit

    levels = [[m.end() for m in p.finditer(text) if m.end() < size] for p in _CUT_LEVELS]
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < size:
        reach = _reach(text, start, fits, limit)
        if reach >= size:
            bounds.append((start, size))
            break
        end = reach
        for cuts in levels:
            i = bisect.bisect_right(cuts, reach) - 1
            while i >= 0 and cuts[i] > start and not fits(start, cuts[i]):
                i -= 1  # a measure that is not monotone (rare with subword tokens)
            if i >= 0 and cuts[i] > start and cuts[i] - start >= _MIN_FILL * (reach - start):
                end = cuts[i]
                break
        bounds.append((start, end))
        start = end
    pieces: list[Piece] = []
    for begin, end in bounds:
        chunk = text[begin:end]
        body = chunk.strip()
        if not body:
            pieces.append(Piece(chunk, False))
            continue
        lead = len(chunk) - len(chunk.lstrip())
        if lead:
            pieces.append(Piece(chunk[:lead], False))
        pieces.append(Piece(body, True))
        if lead + len(body) < len(chunk):
            pieces.append(Piece(chunk[lead + len(body) :], False))
    return pieces


def _reach(text: str, start: int, fits: Callable[[int, int], bool], limit: int) -> int:
    """The furthest end, at a character boundary, such that text[start:end] fits; at least one
    character with its combining marks even when that alone does not fit. Probes grow from
    `limit` characters and double, so the cost follows the part's size, not the text's."""
    size = len(text)
    first = _SPACES.match(text, start).end()  # spaces before the part do not count
    if first == size:
        return size
    good, bad = first, 0
    probe = min(size, first + limit)
    while True:
        if not fits(start, probe):
            bad = probe
            break
        good = probe
        if probe == size:
            return size
        probe = min(size, first + 2 * (probe - first))
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(start, middle):
            good = middle
        else:
            bad = middle
    end = good
    while first < end < size and unicodedata.combining(text[end]):
        end -= 1
    if end <= first:  # nothing fits: take one character and its marks
        end = first + 1
        while end < size and unicodedata.combining(text[end]):
            end += 1
    return end


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines, separated by one or more blank lines."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n\s*", text) if p.strip()]
