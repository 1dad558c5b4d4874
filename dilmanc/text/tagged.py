"""Text with inline tags: what a sentence of a formatted document looks like inside dilmanc.

A `TaggedText` is plain text plus inline tags at character offsets. Tags are numbered
placeholders for markup kept aside by the document format (bold runs, links, `<b>`, XLIFF
`<g>`/`<x/>`, printf placeholders): an opening and a closing tag with the same id enclose
words, an empty tag stands alone. The text never contains the markup itself, so glossary
matching, segmentation and scoring see clean text, and every edit to the text (a term
injected, a placeholder restored, quotes removed) moves the tags with it (`apply`).

The model sees the compact form (`render`): `<g1>bold words</g1>` and `<x2/>`, short
XML-like placeholders that translation models tend to copy. `parse` reads that form back
from model output and says whether the tags came back complete and well nested.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

OPEN, CLOSE, EMPTY = "open", "close", "empty"
TAG_PATTERN = re.compile(r"<(/?)([gx])(\d{1,3})\s*(/?)>")


@dataclass(frozen=True, order=True)
class Tag:
    """One inline tag: `kind` is open, close or empty; `id` pairs an opening with its closing."""

    id: int
    kind: str

    def render(self) -> str:
        if self.kind == OPEN:
            return f"<g{self.id}>"
        if self.kind == CLOSE:
            return f"</g{self.id}>"
        return f"<x{self.id}/>"


Placed = tuple[int, Tag]  # (offset into the plain text, tag)


@dataclass(frozen=True)
class Edit:
    """Replace `text[start:end]` with `replacement` (offsets into the text before any edit)."""

    start: int
    end: int
    replacement: str = ""


@dataclass(frozen=True)
class TaggedText:
    """Plain `text` with `tags` at offsets (sorted; the order of tags at one offset counts)."""

    text: str
    tags: tuple[Placed, ...] = ()

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def plain(cls, text: str) -> TaggedText:
        return cls(text)

    @classmethod
    def from_parts(cls, parts: Iterable[str | Tag]) -> TaggedText:
        """Build from a sequence of text pieces and tags, in document order."""
        text: list[str] = []
        tags: list[Placed] = []
        length = 0
        for part in parts:
            if isinstance(part, Tag):
                tags.append((length, part))
            else:
                text.append(part)
                length += len(part)
        return cls("".join(text), tuple(tags))

    # --- views -----------------------------------------------------------------------------
    @property
    def has_tags(self) -> bool:
        return bool(self.tags)

    def render(self) -> str:
        """The compact form sent to models and used as a memory key: `<g1>…</g1>`, `<x2/>`."""
        if not self.tags:
            return self.text
        out: list[str] = []
        pos = 0
        for offset, tag in self.tags:
            out.append(self.text[pos:offset])
            out.append(tag.render())
            pos = offset
        out.append(self.text[pos:])
        return "".join(out)

    def parts(self) -> list[str | Tag]:
        """Text pieces and tags in order (the inverse of `from_parts`)."""
        out: list[str | Tag] = []
        pos = 0
        for offset, tag in self.tags:
            if offset > pos:
                out.append(self.text[pos:offset])
            out.append(tag)
            pos = offset
        if pos < len(self.text) or not out:
            out.append(self.text[pos:])
        return out

    def tag_set(self) -> list[Tag]:
        return sorted(tag for _, tag in self.tags)

    def pair_spans(self) -> dict[int, tuple[int, int]]:
        """Text span enclosed by each opening/closing pair (id → (start, end))."""
        opens: dict[int, int] = {}
        spans: dict[int, tuple[int, int]] = {}
        for offset, tag in self.tags:
            if tag.kind == OPEN:
                opens[tag.id] = offset
            elif tag.kind == CLOSE and tag.id in opens:
                spans[tag.id] = (opens.pop(tag.id), offset)
        return spans

    # --- edits -----------------------------------------------------------------------------
    def apply(self, edits: Sequence[Edit]) -> TaggedText:
        """Apply non-overlapping `edits` (offsets into this text); tags move with the text.

        A tag at an edit's start stays before the replacement; one at its end ends up after
        it; one strictly inside a replaced span moves to the nearer end of the replacement
        (an opening tag to its start, a closing tag to its end when it was in the second
        half), so `<g1>BMqT</g1>-nin` → `<g1>"IOM"</g1>-nin` keeps the tag on the term.
        """
        if not edits:
            return self
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        pieces: list[str] = []
        pos = 0
        shift_points: list[tuple[Edit, int]] = []  # edit, its start in the new text
        new_len = 0
        for edit in ordered:
            if edit.start < pos or edit.end < edit.start or edit.end > len(self.text):
                raise ValueError(f"overlapping or out-of-range edit {edit}")
            pieces.append(self.text[pos : edit.start])
            new_len += edit.start - pos
            shift_points.append((edit, new_len))
            pieces.append(edit.replacement)
            new_len += len(edit.replacement)
            pos = edit.end
        pieces.append(self.text[pos:])
        if not self.tags:
            return TaggedText("".join(pieces))
        return TaggedText("".join(pieces), tuple(_move(self.tags, shift_points)))

    def replace(self, start: int, end: int, replacement: str) -> TaggedText:
        return self.apply([Edit(start, end, replacement)])

    def sub(self, pattern: re.Pattern[str], repl: str) -> TaggedText:
        """`re.sub` on the text with tags kept in place (repl is a literal string)."""
        edits = [Edit(m.start(), m.end(), repl) for m in pattern.finditer(self.text)]
        return self.apply(edits)

    def strip(self) -> TaggedText:
        """Trim surrounding whitespace; tags in it move to the trimmed ends."""
        start = len(self.text) - len(self.text.lstrip())
        end = len(self.text.rstrip())
        if start == 0 and end == len(self.text):
            return self
        return self.slice(start, max(start, end), clamp=True)

    def slice(self, start: int, end: int, *, clamp: bool = False) -> TaggedText:
        """`text[start:end]` with the tags inside it (at its edges: openings at `start`,
        closings at `end`, empties at either); `clamp` pulls every outside tag to the edges."""
        tags: list[Placed] = []
        for offset, tag in self.tags:
            at_start = offset == start and tag.kind != CLOSE
            at_end = offset == end and tag.kind != OPEN
            if start < offset < end or at_start or at_end:
                tags.append((offset - start, tag))
            elif clamp:
                tags.append((0 if offset < start else end - start, tag))
        return TaggedText(self.text[start:end], tuple(tags))

    # --- numbering -------------------------------------------------------------------------
    def renumbered(self) -> tuple[TaggedText, dict[int, int]]:
        """Ids renumbered 1, 2, ... in order of appearance; returns (text, new id → old id)."""
        mapping: dict[int, int] = {}
        back: dict[int, int] = {}
        tags: list[Placed] = []
        for offset, tag in self.tags:
            if tag.id not in mapping:
                mapping[tag.id] = len(mapping) + 1
                back[mapping[tag.id]] = tag.id
            tags.append((offset, Tag(mapping[tag.id], tag.kind)))
        return TaggedText(self.text, tuple(tags)), back

    def with_ids(self, back: dict[int, int]) -> TaggedText:
        """Undo `renumbered` (ids not in `back` are kept)."""
        if not self.tags:
            return self
        return TaggedText(
            self.text, tuple((o, Tag(back.get(t.id, t.id), t.kind)) for o, t in self.tags)
        )


def _move(tags: tuple[Placed, ...], shifts: list[tuple[Edit, int]]) -> list[Placed]:
    """New offsets of `tags` after the edits (each with its start in the new text).

    A tag before an edit keeps its offset (plus the growth of earlier edits); one at an
    edit's start stays before the replacement; one at its end follows it. Inside a replaced
    span tags move outward: openings to the replacement's start, closings and empties to its
    end, so a pair never loses the words it enclosed. At a pure insertion point openings stay
    before the inserted text and closings go after it.
    """
    out: list[Placed] = []
    for offset, tag in tags:
        new = offset
        for edit, new_start in shifts:
            grown = new_start + len(edit.replacement)
            if offset < edit.start:
                break
            if offset == edit.start and (edit.start < edit.end or tag.kind == OPEN):
                new = new_start
                break
            if offset >= edit.end:
                new = offset - edit.end + grown
                continue
            new = new_start if tag.kind == OPEN else grown  # inside, or a close at an insertion
            break
        out.append((new, tag))
    out.sort(key=lambda item: item[0])  # stable: tags at one offset keep their order
    return out


@dataclass
class ParsedOutput:
    """Model output read back: the tagged text, and what was wrong with its tags."""

    tagged: TaggedText
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tag_of(m: re.Match) -> Tag:
    """The tag a `TAG_PATTERN` match stands for (`<x2/>`, `<g1/>` and `<x2>` are empties)."""
    closing, letter, number, empty = m.groups()
    kind = EMPTY if letter == "x" or empty else CLOSE if closing else OPEN
    return Tag(int(number), kind)


def iter_tags(rendered: str) -> Iterator[tuple[re.Match, Tag]]:
    """Each compact tag of `rendered` (its match and its tag), in order."""
    if "<" not in rendered:
        return
    for m in TAG_PATTERN.finditer(rendered):
        yield m, tag_of(m)


def retag(rendered: str, change: Callable[[Tag], Tag]) -> str:
    """`rendered` with every compact tag replaced by `change(tag)`, rendered."""
    if "<" not in rendered:
        return rendered
    return TAG_PATTERN.sub(lambda m: change(tag_of(m)).render(), rendered)


def strip_tags(rendered: str) -> str:
    """The compact form without its tags."""
    return TAG_PATTERN.sub("", rendered) if "<" in rendered else rendered


def parse(rendered: str, expected: Iterable[Tag] = ()) -> ParsedOutput:
    """Read the compact form back; `expected` tags (those sent) are checked: each must come
    back exactly once, every opening closed after it, pairs well nested, none invented."""
    parts: list[str | Tag] = []
    pos = 0
    for m, tag in iter_tags(rendered):
        parts.append(rendered[pos : m.start()])
        parts.append(tag)
        pos = m.end()
    parts.append(rendered[pos:])
    tagged = TaggedText.from_parts(parts)
    return ParsedOutput(tagged, check(tagged, expected))


_LT = r"(?:<|&lt;|&amp;lt;|＜)"
_GT = r"(?:>|&gt;|&amp;gt;|＞)"
_ANGLES = re.compile(r"[<>＜＞]|&lt;|&gt;")


def debris_spans(text: str, source: str, ids: Iterable[int]) -> list[tuple[int, int]]:
    """Stretches of `text` (a model's output with its well-formed tags taken out) that are
    pieces of the tag syntax sent to it: `<g1`, `</g10`, `1g10&gt;`, `x2/>`, `</`, `<>`, a
    lone `g10`. A stretch that also occurs in `source` (the text sent, without its tags) is
    real text and kept; when the source has no angle brackets, numbers stuck to one (`3>`)
    and stray `&lt;`, `&gt;` count as debris too (a `<word>` of the model's own is kept)."""
    numbers = "|".join(str(i) for i in sorted(set(ids), reverse=True))
    ident = rf"\d*[gGxX]\s*(?:{numbers})(?!\d)" if numbers else r"(?!)"
    tight = rf"(?<!\w)\d*[gGxX](?:{numbers})(?!\w)" if numbers else r"(?!)"
    parts = [
        rf"{_LT}\s*/?\s*{ident}\s*/?\s*{_GT}?",  # <g1  </g10  <x3 /
        rf"/?\s*{ident}\s*/?\s*{_GT}",  # g1>  1g10&gt;  x2/>
        rf"{_LT}\s*/\s*{_GT}?|/\s*{_GT}|{_LT}\s*{_GT}",  # </  />  <>  </>
        tight,  # g10 standing alone
    ]
    if not _ANGLES.search(source):
        parts += [rf"{_LT}\s*/?\s*\d{{1,3}}|\d{{1,3}}\s*/?\s*{_GT}", r"&(?:amp;)?[lg]t;"]
    pattern = re.compile("|".join(f"(?:{part})" for part in parts))
    spans = []
    for m in pattern.finditer(text):
        piece = m.group(0)
        if piece.strip() not in source:  # without the spaces round it: they separate words
            start = m.start() + len(piece) - len(piece.lstrip())
            spans.append((start, start + len(piece.strip())))
    return spans


def check(tagged: TaggedText, expected: Iterable[Tag]) -> list[str]:
    """Problems with `tagged`'s tags against `expected` (empty list: all well)."""
    want = sorted(expected)
    got = tagged.tag_set()
    problems: list[str] = []
    if got != want:
        missing = _difference(want, got)
        invented = _difference(got, want)
        if missing:
            problems.append("lost " + " ".join(t.render() for t in missing))
        if invented:
            problems.append("invented " + " ".join(t.render() for t in invented))
    problem = pairing_problem([tag for _, tag in tagged.tags])
    if problem and not (problems and problem.endswith("never closed")):
        problems.append(problem)
    return problems


def keep_inside(tagged: TaggedText, source: TaggedText) -> TaggedText:
    """`tagged` with every standalone code that left the pair enclosing it in `source` (a
    table-of-contents tab and page field moved after the closing of their hyperlink, an image
    out of its link) put back inside that pair: on the side where it stood in the source when
    it stood at an end of the pair's text there, else on the side the output moved it to.
    The text and the other tags stay where the output put them."""
    home = _homes(source.parts())
    parts = tagged.parts()
    for tag, (pair, side) in home.items():
        if pair is None or tag not in parts or Tag(pair, CLOSE) not in parts:
            continue
        index = parts.index(tag)
        if pair in _open_around(parts, index) or Tag(pair, OPEN) not in parts:
            continue
        if side is None:
            side = "start" if index < parts.index(Tag(pair, OPEN)) else "end"
        del parts[index]
        if side == "start":
            parts.insert(parts.index(Tag(pair, OPEN)) + 1, tag)
        else:
            parts.insert(parts.index(Tag(pair, CLOSE)), tag)
    return TaggedText.from_parts(parts)


def _homes(parts: list[str | Tag]) -> dict[Tag, tuple[int | None, str | None]]:
    """Each standalone tag → the innermost pair around it and the end of that pair's text it
    stands at ("start", "end"; None: between words of the pair, or no pair)."""
    out: dict[Tag, tuple[int | None, str | None]] = {}
    for index, part in enumerate(parts):
        if not isinstance(part, Tag) or part.kind != EMPTY:
            continue
        stack = _open_around(parts, index)
        if not stack:
            out[part] = (None, None)
            continue
        pair = stack[-1]
        before = parts[parts.index(Tag(pair, OPEN)) + 1 : index]
        after = parts[index + 1 : parts.index(Tag(pair, CLOSE))]
        words = lambda items: any(isinstance(i, str) and i.strip() for i in items)  # noqa: E731
        side = "end" if not words(after) else "start" if not words(before) else None
        out[part] = (pair, side)
    return out


def _open_around(parts: list[str | Tag], index: int) -> list[int]:
    """The pairs open at `parts[index]`, outermost first."""
    stack: list[int] = []
    for part in parts[:index]:
        if isinstance(part, Tag) and part.kind == OPEN:
            stack.append(part.id)
        elif isinstance(part, Tag) and part.kind == CLOSE and part.id in stack:
            stack.remove(part.id)
    return stack


def pairing_problem(tags: Iterable[Tag], nested: bool = True) -> str | None:
    """None when every opening tag is opened once and closed once after it (and, when
    `nested`, pairs are well nested; TMX bpt/ept pairs may overlap), else what is wrong."""
    stack: list[int] = []
    opened: set[int] = set()
    for tag in tags:
        if tag.kind == OPEN:
            if tag.id in opened:
                return f"tag {tag.render()} opened twice"
            opened.add(tag.id)
            stack.append(tag.id)
        elif tag.kind == CLOSE:
            if nested and (not stack or stack[-1] != tag.id):
                return f"tag {tag.render()} closes out of order"
            if tag.id not in stack:
                return f"tag {tag.render()} closes nothing open"
            stack.remove(tag.id)
    if stack:
        return f"tag <g{stack[0]}> is never closed"
    return None


def _difference(a: list[Tag], b: list[Tag]) -> list[Tag]:
    rest = list(b)
    out = []
    for tag in a:
        if tag in rest:
            rest.remove(tag)
        else:
            out.append(tag)
    return out


def is_markup_list(tagged: TaggedText) -> bool:
    """Mostly markup: three or more pairs, and every letter or digit inside a pair that holds
    no other tag (a menu, a row of links, a table-of-contents line: `<g1>Home</g1> |
    <g2>News</g2> | …`). Such text has no sentence to keep whole."""
    tags = tagged.tags
    if sum(tag.kind == OPEN for _, tag in tags) < 3:
        return False
    leaves = [
        (offset, tags[k + 1][0])
        for k, (offset, tag) in enumerate(tags[:-1])
        if tag.kind == OPEN and tags[k + 1][1] == Tag(tag.id, CLOSE)
    ]
    words = [i for i, char in enumerate(tagged.text) if char.isalnum()]
    return bool(words) and all(any(a <= i < b for a, b in leaves) for i in words)


def join(parts: Sequence[TaggedText]) -> TaggedText:
    """Concatenate pieces of one unit; a pair split across pieces (closed at the end of one
    and reopened at the start of the next by `split`) becomes one pair again."""
    text: list[str] = []
    placed: list[Placed] = []
    length = 0
    for part in parts:
        text.append(part.text)
        placed.extend((length + offset, tag) for offset, tag in part.tags)
        length += len(part.text)
    first_open: dict[int, int] = {}
    last_close: dict[int, int] = {}
    for index, (_, tag) in enumerate(placed):
        if tag.kind == OPEN:
            first_open.setdefault(tag.id, index)
        elif tag.kind == CLOSE:
            last_close[tag.id] = index
    kept = [
        item
        for index, item in enumerate(placed)
        if item[1].kind == EMPTY
        or (item[1].kind == OPEN and first_open.get(item[1].id) == index)
        or (item[1].kind == CLOSE and last_close.get(item[1].id) == index)
    ]
    return TaggedText("".join(text), tuple(kept))


def split(tagged: TaggedText, bounds: Sequence[tuple[int, int]]) -> list[TaggedText]:
    """Cut `tagged` into consecutive spans (`bounds` cover the text, in order). A pair that
    crosses a cut is closed at the end of one piece and reopened at the start of the next, so
    every piece is well formed on its own; `join` undoes this."""
    if not tagged.tags:
        return [TaggedText(tagged.text[a:b]) for a, b in bounds]
    starts = [a for a, _ in bounds]
    opened_in: dict[int, int] = {}
    closed_in: dict[int, int] = {}
    assigned: list[list[Placed]] = [[] for _ in bounds]
    tags = list(tagged.tags)
    index = 0
    while index < len(tags):
        offset = tags[index][0]
        group_end = index
        while group_end < len(tags) and tags[group_end][0] == offset:
            group_end += 1
        i = max(0, bisect.bisect_right(starts, offset) - 1)
        # At a cut, everything up to the last closing tag of a pair opened earlier ends the
        # previous piece; the rest starts the next one.
        split_at = index
        if offset == starts[i] and i > 0:
            for k in range(index, group_end):
                tag = tags[k][1]
                if tag.kind == CLOSE and opened_in.get(tag.id, i) < i:
                    split_at = k + 1
        for k in range(index, group_end):
            piece = i - 1 if k < split_at else i
            tag = tags[k][1]
            if tag.kind == OPEN:
                opened_in[tag.id] = piece
            elif tag.kind == CLOSE:
                closed_in[tag.id] = piece
            assigned[piece].append((offset - bounds[piece][0], tag))
        index = group_end
    pieces: list[TaggedText] = []
    order = [tag.id for _, tag in tagged.tags if tag.kind == OPEN]
    for i, (start, end) in enumerate(bounds):
        spanning = [pid for pid in order if opened_in[pid] < i <= closed_in.get(pid, len(bounds))]
        leaving = [pid for pid in order if opened_in[pid] <= i < closed_in.get(pid, len(bounds))]
        tags = [(0, Tag(pid, OPEN)) for pid in spanning]
        tags += assigned[i]
        tags += [(end - start, Tag(pid, CLOSE)) for pid in reversed(leaving)]
        pieces.append(TaggedText(tagged.text[start:end], tuple(tags)))
    return pieces


@dataclass(frozen=True)
class TagOutcome:
    """How the inline tags of one unit came through translation."""

    tags: int = 0  # tags in the source (an opening and its closing count as two)
    by_model: int = 0  # tags the model put back itself, or a markup list kept in place
    by_alignment: int = 0  # tags placed from the word alignment
    fallback: int = 0  # tags without aligned words: put back in source order
    redecoded: int = 0  # sentences decoded again without their tags (the first came back garbled)
    emptied: int = 0  # pairs left around no text: the output had fewer words than such pairs

    def __add__(self, other: TagOutcome) -> TagOutcome:
        return TagOutcome(
            self.tags + other.tags,
            self.by_model + other.by_model,
            self.by_alignment + other.by_alignment,
            self.fallback + other.fallback,
            self.redecoded + other.redecoded,
            self.emptied + other.emptied,
        )
