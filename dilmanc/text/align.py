"""Placing inline tags by word alignment when a model drops or scrambles them.

The engine returns, with its output, the pieces it read and wrote and the cross-attention
of its alignment head (`TranslationResult.attention[i][j]`: output piece i on source piece
j). Pieces are mapped to character offsets, offsets to words, and each output word is aligned
to the source word it attends to most, as Bergamot does for HTML. A tag pair that enclosed
source words then encloses the output words aligned to them; a standalone tag goes before the
output word aligned to the source word it preceded. Nothing is ever dropped: a pair whose
words have no aligned output word goes around the nearest aligned word, and when there is no
alignment at all, around the whole sentence (`Placement.fallback` says so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, TAG_PATTERN, Placed, Tag, TaggedText, check

_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_SPECIAL = re.compile(r"^(?:<[^>]*>|>>\w+<<|[a-z]{3}_[A-Z][a-z]{3}|__\w+__)$")
_WORD = re.compile(r"\S+")
SPACE_MARK = "▁"


@dataclass(frozen=True)
class Placement:
    """Tags placed on an output: `fallback` counts the tags placed without an alignment of
    their own words (a pair counts two)."""

    tagged: TaggedText
    fallback: int = 0


def piece_spans(pieces: Sequence[str]) -> tuple[str, list[tuple[int, int] | None]]:
    """Detokenize sentencepiece `pieces`; return the text and each piece's (start, end) in it
    (None for special tokens). Byte-fallback pieces (`<0xE2>`) are decoded as UTF-8."""
    out: list[str] = []
    spans: list[tuple[int, int] | None] = [None] * len(pieces)
    length = 0
    pending: list[int] = []  # indices of byte pieces not yet decoded
    pending_bytes = bytearray()

    def flush() -> None:
        nonlocal length
        if not pending:
            return
        text = pending_bytes.decode("utf-8", errors="replace")
        for index in pending:
            spans[index] = (length, length + len(text))
        out.append(text)
        length += len(text)
        pending.clear()
        pending_bytes.clear()

    for index, piece in enumerate(pieces):
        byte = _BYTE.match(piece)
        if byte:
            pending.append(index)
            pending_bytes.append(int(byte.group(1), 16))
            continue
        flush()
        if _SPECIAL.match(piece):
            continue
        text = piece.replace(SPACE_MARK, " ")
        spans[index] = (length, length + len(text))
        out.append(text)
        length += len(text)
    flush()
    return "".join(out), spans


def _offset_map(detok: str, text: str) -> list[int | None]:
    """For each offset of `detok`, the matching offset in `text`, in one linear walk: equal
    characters pair up, whitespace only one side has is skipped, and anything else (a
    normalized character, an unknown piece) is taken as a substitution."""
    if detok == text:
        return list(range(len(detok) + 1))
    mapping: list[int | None] = [None] * (len(detok) + 1)
    i = j = 0
    while i < len(detok):
        if j < len(text) and detok[i] == text[j]:
            mapping[i] = j
            i += 1
            j += 1
        elif detok[i].isspace():
            mapping[i] = j
            i += 1
        elif j < len(text) and text[j].isspace():
            j += 1
        else:
            mapping[i] = min(j, len(text))
            i += 1
            j = min(j + 1, len(text))
    mapping[len(detok)] = len(text)
    return mapping


def _rendered_to_plain(rendered: str) -> list[int | None]:
    """For each offset of a rendered tagged string, the offset in its plain text (None inside
    tag markup)."""
    mapping: list[int | None] = [None] * (len(rendered) + 1)
    plain = 0
    pos = 0
    for m in TAG_PATTERN.finditer(rendered):
        for k in range(pos, m.start()):
            mapping[k] = plain
            plain += 1
        pos = m.end()
    for k in range(pos, len(rendered)):
        mapping[k] = plain
        plain += 1
    mapping[len(rendered)] = plain
    return mapping


def _piece_words(
    pieces: Sequence[str], rendered: str, words: list[tuple[int, int]]
) -> list[int | None]:
    """The word (index into `words`, spans in the plain text of `rendered`) of each piece."""
    detok, spans = piece_spans(pieces)
    lead = len(detok) - len(detok.lstrip(" "))
    to_rendered = _offset_map(detok[lead:], rendered)
    to_plain = _rendered_to_plain(rendered)
    starts = [start for start, _ in words]
    out: list[int | None] = []
    for span in spans:
        word = None
        if span is not None:
            for offset in range(span[0], span[1]):
                if offset < lead or detok[offset] == " ":
                    continue
                r = to_rendered[offset - lead]
                p = to_plain[r] if r is not None else None
                if p is not None:
                    word = _word_at(starts, words, p)
                    break
        out.append(word)
    return out


def _word_at(starts: list[int], words: list[tuple[int, int]], offset: int) -> int | None:
    import bisect

    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and words[i][0] <= offset < words[i][1]:
        return i
    return None


def word_alignment(
    source: TaggedText,
    source_pieces: Sequence[str],
    output_rendered: str,
    output_plain: str,
    target_pieces: Sequence[str],
    attention: Sequence[Sequence[float]],
) -> list[int | None]:
    """For each word of `output_plain`, the word of `source.text` it aligns to (or None)."""
    source_words = [m.span() for m in _WORD.finditer(source.text)]
    target_words = [m.span() for m in _WORD.finditer(output_plain)]
    src_of_piece = _piece_words(source_pieces, source.render(), source_words)
    tgt_of_piece = _piece_words(target_pieces, output_rendered, target_words)
    scores = [[0.0] * len(source_words) for _ in target_words]
    for i, row in enumerate(attention):
        tw = tgt_of_piece[i] if i < len(tgt_of_piece) else None
        if tw is None:
            continue
        for j, weight in enumerate(row):
            sw = src_of_piece[j] if j < len(src_of_piece) else None
            if sw is not None:
                scores[tw][sw] += weight
    aligned: list[int | None] = []
    for row in scores:
        best = max(range(len(row)), key=row.__getitem__, default=None)
        aligned.append(best if best is not None and row[best] > 0 else None)
    return aligned


def place_tags(
    source: TaggedText,
    output_plain: str,
    alignment: list[int | None] | None,
) -> Placement:
    """Put `source`'s tags on `output_plain` following `alignment` (output word → source word)."""
    source_words = [m.span() for m in _WORD.finditer(source.text)]
    target_words = [m.span() for m in _WORD.finditer(output_plain)]
    alignment = alignment or [None] * len(target_words)
    end_all = len(output_plain.rstrip())
    start_all = len(output_plain) - len(output_plain.lstrip())
    fallback = 0
    spans: dict[int, tuple[int, int]] = {}
    for pair_id, (start, end) in source.pair_spans().items():
        covered = {i for i, (a, b) in enumerate(source_words) if a < end and b > start}
        hits = [t for t, s in enumerate(alignment) if s in covered]
        if not hits:
            fallback += 2
            hits = _nearest(alignment, covered, source_words, start)
        if hits:
            spans[pair_id] = (target_words[min(hits)][0], target_words[max(hits)][1])
        else:
            spans[pair_id] = (start_all, max(start_all, end_all))
    empties: list[tuple[int, Tag]] = []
    for offset, tag in source.tags:
        if tag.kind != EMPTY:
            continue
        following = [i for i, (a, _) in enumerate(source_words) if a >= offset]
        anchor = following[0] if following else None
        hits = [t for t, s in enumerate(alignment) if s == anchor] if anchor is not None else []
        if hits:
            empties.append((target_words[min(hits)][0], tag))
        elif anchor is None and alignment:
            empties.append((end_all, tag))
        else:
            fallback += 1
            empties.append((end_all if not following else start_all, tag))
    tagged = _assemble(output_plain, source, spans, empties)
    if check(tagged, source.tag_set()):  # crossing spans: nest every pair around all words
        fallback += 2 * len(spans)
        whole = (start_all, max(start_all, end_all))
        tagged = _assemble(output_plain, source, dict.fromkeys(spans, whole), empties)
    return Placement(tagged, fallback)


def _nearest(
    alignment: list[int | None], covered: set[int], words: list[tuple[int, int]], start: int
) -> list[int]:
    """The output word aligned to the source word nearest to a pair's words."""
    if covered:
        centre = sum(covered) / len(covered)
    else:  # a pair around no word (e.g. only punctuation): the word at or after it
        after = [i for i, (a, _) in enumerate(words) if a >= start]
        centre = after[0] if after else len(words)
    best = None
    for t, s in enumerate(alignment):
        if s is not None and (best is None or abs(s - centre) < abs(alignment[best] - centre)):
            best = t
    return [best] if best is not None else []


def _assemble(
    text: str,
    source: TaggedText,
    spans: dict[int, tuple[int, int]],
    empties: list[tuple[int, Tag]],
) -> TaggedText:
    """Tags at their offsets, ordered so pairs nest: at one offset closings first (innermost
    first), then empties, then openings (outermost first); identical spans keep source order."""
    order = {tag.id: n for n, (_, tag) in enumerate(source.tags) if tag.kind == OPEN}
    events: list[tuple[tuple, Placed]] = []
    for pair_id, (start, end) in spans.items():
        size = end - start
        events.append(((start, 2, -size, order[pair_id]), (start, Tag(pair_id, OPEN))))
        closing = 0 if size else 3  # an empty span still opens before it closes
        events.append(((end, closing, size, -order[pair_id]), (end, Tag(pair_id, CLOSE))))
    for offset, tag in empties:
        events.append(((offset, 1, 0, 0), (offset, tag)))
    events.sort(key=lambda item: item[0])
    return TaggedText(text, tuple(placed for _, placed in events))
