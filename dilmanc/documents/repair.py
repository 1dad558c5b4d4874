"""Making a target's tags match its unit's codes before a writer turns them back into markup.

The pipeline hands writers targets whose tags are complete and well nested; writers still call
`complete` so that a target that somehow lost a tag never loses the markup behind it (a link
target, an image, a placeholder): a missing standalone code is appended at the end, a pair that
is missing entirely encloses the whole text, a standalone code that began the source begins the
target, a lone opening is closed at the end and a lone
closing is opened at the start. Tags with ids the unit does not have, and repeats, are dropped.
"""

from __future__ import annotations

from dilmanc.documents.base import InlineCode
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Placed, Tag, TaggedText


def complete(
    target: TaggedText, codes: dict[int, InlineCode], source: TaggedText | None = None
) -> TaggedText:
    """`target` with exactly the tags `codes` call for (see the module docstring); a missing
    standalone code that opened the `source` opens the target too."""
    leading = {tag.id for offset, tag in (source.tags if source else ()) if offset == 0}
    seen: set[tuple[int, str]] = set()
    kept: list[Placed] = []
    for offset, tag in target.tags:
        code = codes.get(tag.id)
        if code is None or (tag.id, tag.kind) in seen:
            continue
        if (code.kind == "pair") == (tag.kind == EMPTY):
            continue  # an empty tag for a pair, or an opening for a standalone code
        seen.add((tag.id, tag.kind))
        kept.append((offset, tag))
    end = len(target.text)
    head: list[Placed] = []
    tail: list[Placed] = []
    for code_id in sorted(codes):
        code = codes[code_id]
        if code.kind == "pair":
            has_open = (code_id, OPEN) in seen
            has_close = (code_id, CLOSE) in seen
            if not has_open:
                head.append((0, Tag(code_id, OPEN)))
            if not has_close:
                tail.insert(0, (end, Tag(code_id, CLOSE)))
        elif (code_id, EMPTY) not in seen and code_id in leading:
            head.append((0, Tag(code_id, EMPTY)))
        elif (code_id, EMPTY) not in seen:
            tail.append((end, Tag(code_id, EMPTY)))
    if not head and not tail and len(kept) == len(target.tags):
        return target
    return TaggedText(target.text, tuple(head + kept + tail))
