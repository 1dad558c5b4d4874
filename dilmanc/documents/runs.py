"""Office paragraphs as tagged text: the run handling DOCX, PPTX and XLSX share.

Word, PowerPoint and Excel all store a paragraph (in Excel, a rich-text string) as runs, each
with its formatting (`w:rPr`, `a:rPr`, `rPr`) and its text, and all three split runs where
nothing visible changes (spell-check marks, revision ids, the proofing language). A format
module flattens a paragraph into tokens, `Text` for a run's text and `Node` for anything else
it holds (a tab, a field, an image, a line break), and this module does the rest the same way
for all of them:

* `analyse` merges adjacent text formatted alike first, so arbitrary run splits never become
  tags (a whitespace-only run between two runs formatted alike takes their formatting); the
  most common formatting (by characters) is the paragraph's base and gets no tag; text
  formatted differently becomes a pair whose name says what differs (`bold`, `link`, or
  `format` when several properties do); a wrapper element around runs (a DOCX hyperlink) is a
  pair around them; other nodes are standalone tags;
* `rebuild` empties the paragraph (its properties kept) and writes the target back through a
  format's `Builder`: a stretch of text gets the formatting of the innermost open pair plus
  what the pairs around it add (bold around italic is bold italic), wrappers are re-created
  around their stretch, kept nodes go back at their tag.

A `Style` says what a format's run properties are: which of them are visible (two runs
differing only in invisible ones are formatted alike), what a difference is called, and how
the properties of pairs that fall on the same words combine.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from dilmanc.documents.base import InlineCode
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MC_CHOICE, MC_FALLBACK = f"{{{MC}}}Choice", f"{{{MC}}}Fallback"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass
class Text:
    text: str
    rpr: object
    key: tuple
    ctx: tuple  # the wrapper elements around it, outermost first


@dataclass
class Node:
    element: object
    rpr: object  # the run's properties for a run child; None for a paragraph-level element
    key: tuple
    in_run: bool
    ctx: tuple


@dataclass
class Pair:
    rpr: object  # formatting of text directly inside the pair
    key: tuple
    wrapper: object = None  # the original wrapper element (a DOCX w:hyperlink) of a wrapper pair
    name: str = "format"


@dataclass
class Standalone:
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Analysed:
    source: TaggedText
    codes: dict[int, Pair | Standalone]
    base_rpr: object
    base_key: tuple


class Style:
    """A format's run properties (see the module docstring); subclasses say what they are."""

    def properties(self, rpr) -> dict[str, object]:
        """The visible properties of a run-properties element: name → comparable value."""
        raise NotImplementedError

    def label(self, name: str) -> str:
        """What a pair differing from its context only in property `name` is called."""
        return etree.QName(name).localname if name.startswith("{") else name

    def combine(self, rpr, added: list[tuple[str, object]]):
        """A copy of `rpr` (None: no properties) with each (property name, element it comes
        from) of `added` set as it is there."""
        raise NotImplementedError

    def key(self, rpr) -> tuple:
        return tuple(sorted(self.properties(rpr).items()))

    def pair_name(self, rpr, base_rpr) -> str:
        have, base = self.properties(rpr), self.properties(base_rpr)
        differ = [name for name in have.keys() | base.keys() if have.get(name) != base.get(name)]
        return self.label(differ[0]) if len(differ) == 1 else "format"


def children(element) -> list:
    """The element children of `element` (None: none), comments and the like left out."""
    found = element if element is not None else ()
    return [child for child in found if isinstance(child.tag, str)]


def xml(element) -> str:
    return etree.tostring(element, encoding="unicode") if element is not None else ""


# --- reading ----------------------------------------------------------------------------------


def merge(tokens: list[Text | Node]) -> list[Text | Node]:
    """Adjacent text runs formatted alike become one; a whitespace-only run between two runs
    formatted alike takes their formatting."""
    out: list[Text | Node] = []
    for i, tok in enumerate(tokens):
        if isinstance(tok, Text) and not tok.text.strip() and 0 < i < len(tokens) - 1:
            before, after = tokens[i - 1], tokens[i + 1]
            if (
                isinstance(before, Text)
                and isinstance(after, Text)
                and before.key == after.key
                and before.ctx == tok.ctx == after.ctx
            ):
                tok = Text(tok.text, before.rpr, before.key, tok.ctx)
        last = out[-1] if out else None
        if (
            isinstance(tok, Text)
            and isinstance(last, Text)
            and last.key == tok.key
            and last.ctx == tok.ctx
        ):
            out[-1] = Text(last.text + tok.text, last.rpr, last.key, last.ctx)
        else:
            out.append(tok)
    return out


def bases(tokens: list[Text | Node]) -> dict[object, tuple[object, tuple]]:
    """Most common formatting (by characters) of the text directly in each context (None:
    the paragraph itself; else a wrapper element) → (rPr, key)."""
    texts = [tok for tok in tokens if isinstance(tok, Text)]
    if all(tok.key == texts[0].key and not tok.ctx for tok in texts):  # the usual paragraph
        return {None: (texts[0].rpr, texts[0].key)}
    counts: dict[object, Counter] = {}
    first: dict[tuple, object] = {}
    for tok in texts:
        owner = tok.ctx[-1] if tok.ctx else None
        counts.setdefault(owner, Counter())[tok.key] += len(tok.text)
        first.setdefault(tok.key, tok.rpr)
    found = {owner: counter.most_common(1)[0][0] for owner, counter in counts.items()}
    if None not in found:  # all text is inside wrappers: their common formatting is the base
        total = Counter()
        for counter in counts.values():
            total.update(counter)
        found[None] = total.most_common(1)[0][0] if total else ()
    return {owner: (first.get(key), key) for owner, key in found.items()}


def analyse(
    tokens: list[Text | Node], style: Style, wrapper_names: dict | None = None
) -> Analysed | None:
    """A flattened paragraph as tagged text, or None when it has no text at all.
    `wrapper_names`: wrapper element tag → pair name."""
    tokens = merge(tokens)
    if not any(isinstance(tok, Text) and tok.text.strip() for tok in tokens):
        return None
    wrapper_names = wrapper_names or {}
    contexts = bases(tokens)
    base_rpr, base_key = contexts[None]
    parts: list[str | Tag] = []
    codes: dict[int, Pair | Standalone] = {}
    wrappers: list[tuple[object, int]] = []
    fmt: tuple[int, tuple] | None = None  # the open format pair: id, key
    pending: int | None = None  # the standalone a following node joins

    def close_fmt() -> None:
        nonlocal fmt, pending
        if fmt is not None:
            parts.append(Tag(fmt[0], CLOSE))
            fmt = None
            pending = None

    for tok in tokens:
        common = 0
        while (
            common < len(wrappers)
            and common < len(tok.ctx)
            and wrappers[common][0] is tok.ctx[common]
        ):
            common += 1
        if common < len(wrappers) or common < len(tok.ctx):
            close_fmt()
            while len(wrappers) > common:
                parts.append(Tag(wrappers.pop()[1], CLOSE))
            for wrapper in tok.ctx[common:]:
                pid = len(codes) + 1
                rpr, key = contexts.get(wrapper, (base_rpr, base_key))
                codes[pid] = Pair(rpr, key, wrapper, wrapper_names.get(wrapper.tag, "wrapper"))
                wrappers.append((wrapper, pid))
                parts.append(Tag(pid, OPEN))
            pending = None
        if isinstance(tok, Text):
            context_rpr, context_key = contexts[tok.ctx[-1] if tok.ctx else None]
            if fmt is not None and fmt[1] != tok.key:
                close_fmt()
            if tok.key != context_key and fmt is None:
                pid = len(codes) + 1
                codes[pid] = Pair(tok.rpr, tok.key, name=style.pair_name(tok.rpr, context_rpr))
                fmt = (pid, tok.key)
                parts.append(Tag(pid, OPEN))
            parts.append(tok.text)
            pending = None
        elif pending is not None:
            codes[pending].nodes.append(tok)
        else:
            pending = len(codes) + 1
            codes[pending] = Standalone([tok])
            parts.append(Tag(pending, EMPTY))
    close_fmt()
    while wrappers:
        parts.append(Tag(wrappers.pop()[1], CLOSE))
    return Analysed(TaggedText.from_parts(parts), codes, base_rpr, base_key)


def inline_codes(analysed: Analysed, node_names: dict[str, str]) -> dict[int, InlineCode]:
    """The unit's codes: a pair's data is its wrapper's attributes or its run properties'
    XML, a standalone's its nodes' XML; `node_names`: local name → what a standalone is."""
    out: dict[int, InlineCode] = {}
    for cid, code in analysed.codes.items():
        if isinstance(code, Pair):
            data = dict(code.wrapper.attrib) if code.wrapper is not None else xml(code.rpr)
            out[cid] = InlineCode(cid, "pair", code.name, data)
        else:
            local = etree.QName(code.nodes[0].element).localname
            data = "".join(xml(node.element) for node in code.nodes)
            out[cid] = InlineCode(cid, "standalone", node_names.get(local, local), data)
    return out


# --- writing ----------------------------------------------------------------------------------


class Builder:
    """Appends runs, wrappers and kept elements to an emptied paragraph. A format subclasses
    it: `style`, the paragraph children `kept` (and of those, the ones that stay after the
    content, `tail`), and `new_run` / `text` for its run and text elements."""

    style: Style
    kept: frozenset = frozenset()
    tail: frozenset = frozenset()

    def __init__(self, paragraph, codes: dict[int, Pair | Standalone]) -> None:
        self.paragraph = paragraph
        self.codes = codes
        self.chain: list[tuple[int, object]] = []  # open wrapper copies: pair id, element
        self.made: set[int] = set()  # pair ids whose wrapper copy exists
        self.last_run = None
        self.last_key: tuple | None = None
        self.end = None  # the first kept element after the content

    def clear(self) -> None:
        for child in list(self.paragraph):
            if child.tag not in self.kept:
                self.paragraph.remove(child)
        self.end = next((c for c in self.paragraph if c.tag in self.tail), None)

    def append(self, container, element):
        """Add `element` at the end of `container` (before the paragraph's tail)."""
        if container is self.paragraph and self.end is not None:
            self.end.addprevious(element)
        else:
            container.append(element)
        self.last_run = None
        return element

    def container(self, wrapper_ids: list[int]):
        common = 0
        while (
            common < len(self.chain)
            and common < len(wrapper_ids)
            and self.chain[common][0] == wrapper_ids[common]
        ):
            common += 1
        del self.chain[common:]
        for pid in wrapper_ids[common:]:
            original = self.codes[pid].wrapper
            parent = self.chain[-1][1] if self.chain else self.paragraph
            element = self.append(parent, etree.Element(original.tag, dict(original.attrib)))
            for child in original:
                if isinstance(child.tag, str) and child.tag.endswith("Pr"):
                    element.append(copy.deepcopy(child))
            self.chain.append((pid, element))
            self.made.add(pid)
        return self.chain[-1][1] if self.chain else self.paragraph

    def run(self, container, rpr, key: tuple, *, translated: bool):
        """The run text formatted `rpr` goes into: the last one when it is formatted alike
        and nothing came after it, else a new one."""
        last = self.last_run
        if last is not None and key == self.last_key and last.getparent() is container:
            return last
        run = self.new_run(container, rpr, translated=translated)
        self.last_run, self.last_key = run, key
        return run

    def new_run(self, container, rpr, *, translated: bool):
        """A new run at the end of `container`, formatted `rpr` (via `append`)."""
        raise NotImplementedError

    def text(self, text: str, container, rpr, key: tuple) -> None:
        raise NotImplementedError

    def node(self, node: Node, container) -> None:
        if node.in_run:
            self.run(container, node.rpr, node.key, translated=False).append(node.element)
        else:
            self.append(container, node.element)


def rebuild(builder: Builder, analysed: Analysed, target: TaggedText) -> None:
    """Replace the paragraph's content (its kept children stay) by `target`'s text and tags."""
    codes = analysed.codes
    parts = list(target.parts())
    seen = {(tag.id, tag.kind) for _, tag in target.tags}
    # Defensive: a wrapper whose tags went missing encloses the whole text; a lost standalone
    # (an image, a field) is appended; a lost formatting pair only loses its formatting.
    for cid, code in codes.items():
        if isinstance(code, Pair) and code.wrapper is not None:
            if (cid, OPEN) not in seen:
                parts.insert(0, Tag(cid, OPEN))
            if (cid, CLOSE) not in seen:
                parts.append(Tag(cid, CLOSE))
        elif isinstance(code, Standalone) and (cid, EMPTY) not in seen:
            parts.append(Tag(cid, EMPTY))
    builder.clear()
    stack: list[int] = []
    placed: set[int] = set()
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            wrappers = [cid for cid in stack if codes[cid].wrapper is not None]
            rpr, key = formatting([codes[cid] for cid in stack], analysed, builder.style)
            builder.text(part, builder.container(wrappers), rpr, key)
            continue
        code = codes.get(part.id)
        if part.kind == OPEN and isinstance(code, Pair) and part.id not in stack:
            stack.append(part.id)
        elif part.kind == CLOSE and part.id in stack:
            if code.wrapper is not None and part.id not in builder.made:
                # a link left without words (see text.align) stays, empty: its target is kept
                builder.container([cid for cid in stack if codes[cid].wrapper is not None])
            stack.remove(part.id)
        elif part.kind == EMPTY and isinstance(code, Standalone) and part.id not in placed:
            placed.add(part.id)
            wrappers = [cid for cid in stack if codes[cid].wrapper is not None]
            container = builder.container(wrappers)
            for node in code.nodes:
                builder.node(node, container)


def formatting(pairs: list[Pair], analysed: Analysed, style: Style) -> tuple[object, tuple]:
    """The run properties of text inside `pairs` (outermost first): the innermost pair's,
    plus every property an outer pair adds to the paragraph's base that the innermost does
    not set, so bold and italic falling on the same words give a bold italic run."""
    if not pairs:
        return analysed.base_rpr, analysed.base_key
    inner = pairs[-1]
    base = style.properties(analysed.base_rpr)
    have = set(style.properties(inner.rpr))
    added: list[tuple[str, object]] = []
    for pair in reversed(pairs[:-1]):
        for name, value in style.properties(pair.rpr).items():
            if name not in have and base.get(name) != value:
                added.append((name, pair.rpr))
                have.add(name)
    if not added:
        return inner.rpr, inner.key
    rpr = style.combine(inner.rpr, added)
    return rpr, style.key(rpr)


def fallback_twin(paragraph, paragraph_tag: str):
    """The same paragraph in the fallback of markup-compatibility content (a DrawingML text
    box's VML copy), if there is one."""
    choice = next(paragraph.iterancestors(MC_CHOICE), None)
    if choice is None:
        return None
    fallback = choice.getparent().find(MC_FALLBACK)
    if fallback is None:
        return None
    mine, theirs = list(choice.iter(paragraph_tag)), list(fallback.iter(paragraph_tag))
    if len(mine) != len(theirs):
        return None
    return theirs[mine.index(paragraph)]


def outside_fallbacks(root, paragraph_tag: str) -> list:
    """Every paragraph under `root` except the copies in markup-compatibility fallbacks."""
    return [p for p in root.iter(paragraph_tag) if next(p.iterancestors(MC_FALLBACK), None) is None]
