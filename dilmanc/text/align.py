"""Placing inline tags by word alignment when a model drops or scrambles them.

The engine returns, with its output, the pieces it read and wrote and the cross-attention
of its alignment head (`TranslationResult.attention[i][j]`: output piece i on source piece
j). Pieces are mapped to character offsets, offsets to words, and each output word is aligned
to the source word it attends to most, as Bergamot does for HTML. A tag pair that enclosed
source words then encloses the output words aligned to them; a standalone tag goes before the
output word aligned to the source word it preceded.

Nothing is ever dropped, and a code never wraps another code's words. When a tag's words have
no aligned output word, or the alignment would put a pair around a sibling's words, every tag
of the sentence goes back in source order (so the nesting is the source's), each at a word
boundary: the stretches of text between tags share the output words in order, in proportion
to their length or following the alignment, every stretch inside a pair gets a word, and two
codes that had a space between them keep one (`Placement.fallback` counts these tags).
An output with fewer words than enclosed stretches gives its words to the longest of them
(the earlier on a tie); the other pairs stay, in source order, as empty pairs at the word
boundary where their text would have been (`Placement.emptied` counts them). Pairs never share
words: sibling links never nest, whatever the output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dilmanc.text.tagged import (
    CLOSE,
    EMPTY,
    OPEN,
    TAG_PATTERN,
    Placed,
    Tag,
    TaggedText,
    check,
    keep_inside,
)

_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_SPECIAL = re.compile(r"^(?:<[^>]*>|>>\w+<<|[a-z]{3}_[A-Z][a-z]{3}|__\w+__)$")
_WORD = re.compile(r"\S+")
SPACE_MARK = "▁"


@dataclass(frozen=True)
class Placement:
    """Tags placed on an output: `fallback` counts the tags placed without an alignment of
    their own words (a pair counts two); `emptied` counts the pairs that enclosed text in the
    source and enclose none in the output (it had fewer words than such pairs)."""

    tagged: TaggedText
    fallback: int = 0
    emptied: int = 0


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


def drop_spans(
    text: str, spans: list[tuple[int, int]], alignment: list[int | None] | None
) -> tuple[str, list[int | None] | None]:
    """`text` without `spans` (sorted, apart), and `alignment` (one entry per word of `text`)
    for the words of the result: each word keeps the entry of the word it starts in."""
    if not spans:
        return text, alignment
    pieces: list[str] = []
    origin: list[int] = []  # offset in `text` of each character kept
    pos = 0
    for start, end in [*spans, (len(text), len(text))]:
        pieces.append(text[pos:start])
        origin.extend(range(pos, start))
        pos = end
    kept = "".join(pieces)
    if alignment is None:
        return kept, None
    words = [m.span() for m in _WORD.finditer(text)]
    starts = [start for start, _ in words]
    out: list[int | None] = []
    for m in _WORD.finditer(kept):
        old = _word_at(starts, words, origin[m.start()])
        out.append(alignment[old] if old is not None and old < len(alignment) else None)
    return kept, out


def place_tags(
    source: TaggedText,
    output_plain: str,
    alignment: list[int | None] | None,
) -> Placement:
    """Put `source`'s tags on `output_plain` following `alignment` (output word → source word).

    When every tag has aligned words and pairs that were apart in the source stay apart (or
    share exactly the same words), the tags go where the alignment says. Otherwise every tag
    goes back in source order (`_in_source_order`): the source's nesting is kept exactly,
    each code at a word boundary, never around another code's words.
    """
    source_words = [m.span() for m in _WORD.finditer(source.text)]
    target_words = [m.span() for m in _WORD.finditer(output_plain)]
    alignment = alignment or [None] * len(target_words)
    pairs = source.pair_spans()
    spans = _aligned_spans(pairs, source_words, target_words, alignment)
    empties = _aligned_empties(source, source_words, target_words, alignment, output_plain)
    if len(spans) == len(pairs) and None not in empties and _apart(pairs, spans):
        tagged = _assemble(output_plain, source, spans, empties)
        if not check(tagged, source.tag_set()):
            return Placement(keep_inside(tagged, source), 0)
    tagged = _in_source_order(source, output_plain, source_words, target_words, alignment)
    placed = tagged.pair_spans()
    fallback = sum(2 for pid in pairs if spans.get(pid) != placed.get(pid))
    fallback += sum(1 for item in empties if item is None)
    emptied = sum(
        1
        for pid, (start, end) in pairs.items()
        if _has_text(source.text[start:end]) and not _has_text(output_plain[slice(*placed[pid])])
    )
    return Placement(tagged, fallback, emptied)


def _aligned_spans(
    pairs: dict[int, tuple[int, int]],
    source_words: list[tuple[int, int]],
    target_words: list[tuple[int, int]],
    alignment: list[int | None],
) -> dict[int, tuple[int, int]]:
    """Each pair whose source words have aligned output words: around those words."""
    spans: dict[int, tuple[int, int]] = {}
    for pair_id, (start, end) in pairs.items():
        covered = {i for i, (a, b) in enumerate(source_words) if a < end and b > start}
        hits = [t for t, s in enumerate(alignment) if s in covered]
        if hits:
            spans[pair_id] = (target_words[min(hits)][0], target_words[max(hits)][1])
    return spans


def _aligned_empties(
    source: TaggedText,
    source_words: list[tuple[int, int]],
    target_words: list[tuple[int, int]],
    alignment: list[int | None],
    text: str,
) -> list[tuple[int, Tag] | None]:
    """Each standalone tag before the output word aligned to the source word it preceded
    (after the last word when it followed every word); None when that word has no match."""
    end_all = len(text.rstrip())
    out: list[tuple[int, Tag] | None] = []
    for offset, tag in source.tags:
        if tag.kind != EMPTY:
            continue
        anchor = next((i for i, (a, _) in enumerate(source_words) if a >= offset), None)
        if anchor is None:
            out.append((end_all, tag))
            continue
        hits = [t for t, s in enumerate(alignment) if s == anchor]
        out.append((target_words[min(hits)][0], tag) if hits else None)
    return out


def _apart(pairs: dict[int, tuple[int, int]], spans: dict[int, tuple[int, int]]) -> bool:
    """Pairs apart in the source are apart in the output, or on exactly the same words."""
    ids = sorted(pairs)
    for n, first in enumerate(ids):
        for second in ids[n + 1 :]:
            (a, b), (c, d) = pairs[first], pairs[second]
            if a < d and c < b:
                continue  # nested in the source (or around the same words)
            (a, b), (c, d) = spans[first], spans[second]
            if a < d and c < b:
                return False  # siblings on shared words would nest: `<a><a>x</a></a>`
    return True


def _in_source_order(
    source: TaggedText,
    text: str,
    source_words: list[tuple[int, int]],
    target_words: list[tuple[int, int]],
    alignment: list[int | None],
) -> TaggedText:
    """The source's tags in their own order at word boundaries of `text`, so the nesting is
    the source's. The stretches of source text between tag positions share the output words
    in order, in proportion to their length (or following the alignment where there is
    one), and every stretch a pair encloses gets at least one word. An output with fewer
    words than such stretches gives them to the longest stretches; the others get none, so
    their pairs are empty, still in source order (never around another pair's words)."""
    groups: list[tuple[int, list[Tag]]] = []
    for offset, tag in source.tags:
        if groups and groups[-1][0] == offset:
            groups[-1][1].append(tag)
        else:
            groups.append((offset, [tag]))
    cuts = [0, *(offset for offset, _ in groups), len(source.text)]
    stretches = [source.text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    inside = _depths(groups)
    count = len(target_words)
    if not count:  # nothing to stand on: every tag where the text ends, in order
        end = len(text.rstrip())
        return TaggedText(text, tuple((end, tag) for _, tag in source.tags))
    ideals = [_ideal(offset, source_words, alignment) for offset, _ in groups]
    for needs in (_has_text, _has_word):
        required = [depth > 0 and needs(s) for depth, s in zip(inside, stretches, strict=True)]
        if sum(required) <= count:
            break
    else:
        required = _longest(required, stretches, count)
    boundaries = _fit(ideals, required, count)
    return _at_boundaries(text, groups, boundaries, target_words, source.text)


def _longest(required: list[bool], stretches: list[str], count: int) -> list[bool]:
    """`required` kept for the `count` longest required stretches (the earlier on a tie)."""
    ranked = sorted(
        (i for i, needed in enumerate(required) if needed),
        key=lambda i: (-len(stretches[i].strip()), i),
    )
    keep = set(ranked[:count])
    return [i in keep for i in range(len(required))]


def _depths(groups: list[tuple[int, list[Tag]]]) -> list[int]:
    """How many pairs are open in each stretch (before the first group, after each)."""
    depth = 0
    out = [0]
    for _, tags in groups:
        depth += sum(1 if t.kind == OPEN else -1 if t.kind == CLOSE else 0 for t in tags)
        out.append(depth)
    return out


def _has_text(text: str) -> bool:
    return bool(text.strip())


def _has_word(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _ideal(offset: int, words: list[tuple[int, int]], alignment: list[int | None]) -> float:
    """Where in the output (in words) a tag at `offset` of the source would fall: the output
    words aligned to source words that start before it, plus the same share of the output's
    unaligned words as of the source's words before it."""
    before = sum(1 for a, _ in words if a < offset)
    share = before / (len(words) or 1)
    aligned = sum(1 for s in alignment if s is not None and s < before)
    return aligned + share * sum(1 for s in alignment if s is None)


def _fit(ideals: list[float], required: list[bool], count: int) -> list[int]:
    """Word boundaries (0..count) for the tag groups, as near their ideals as possible,
    never decreasing, with a word between two groups wherever the stretch is required."""
    bounds = [min(count, max(0, round(x))) for x in ideals]
    floor = 0
    for g in range(len(bounds)):
        floor = bounds[g] = max(bounds[g], floor + required[g])
    ceiling = count
    for g in reversed(range(len(bounds))):
        ceiling = bounds[g] = min(bounds[g], ceiling - required[g + 1])
    return bounds


def _at_boundaries(
    text: str,
    groups: list[tuple[int, list[Tag]]],
    boundaries: list[int],
    words: list[tuple[int, int]],
    source_text: str,
) -> TaggedText:
    """Each group at its word boundary: right after the previous word when it followed text
    and preceded a space in the source, right before the next word in the opposite case,
    else closings (and standalone tags stuck to a word) after and the rest before. Two
    groups that land together but had space between them in the source keep a space, and
    so does a standalone code that had one before the next word (`a` `b` must not become
    `a``b`)."""
    first = words[0][0] if words else 0
    last = words[-1][1] if words else len(text.rstrip())
    parts: list[str | Tag] = []
    pos = 0
    previous: int | None = None  # source offset of the tag placed last
    pending = False  # a space owed after the tags at `pos`
    for (offset, tags), boundary in zip(groups, boundaries, strict=True):
        after = words[boundary - 1][1] if boundary else first
        before = words[boundary][0] if boundary < len(words) else last
        left = offset > 0 and not source_text[offset - 1].isspace()
        right = offset < len(source_text) and not source_text[offset].isspace()
        for tag in tags:
            if left != right:  # the tag stuck to the text on one side: it still does
                at = after if left else before
            else:
                at = before if tag.kind == OPEN or (tag.kind == EMPTY and not left) else after
            at = max(at, pos)
            between = previous not in (None, offset) and source_text[previous:offset].isspace()
            if pending and (at > pos or between):
                parts.append(" ")  # `a` `b` must not become `a``b`
            elif at == pos and between:
                parts.append(" ")
            pending = False
            parts += [text[pos:at], tag]
            pos, previous = at, offset
        spaced = offset < len(source_text) and source_text[offset].isspace()
        pending = tags[-1].kind == EMPTY and pos == before < last and spaced
    if pending:
        parts.append(" ")  # a code that stood between words still does
    parts.append(text[pos:])
    return TaggedText.from_parts(parts)


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
