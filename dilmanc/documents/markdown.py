"""Markdown: the text of paragraphs, headings, list items, table cells and quotes is translated;
everything else (code blocks and fences, HTML blocks, front matter, link definitions, the
markup itself, spacing) stays exactly as it was written.

markdown-it-py (CommonMark + GFM tables and strikethrough) finds the blocks and parses their
inline content; the output is NOT re-rendered from tokens (that would reformat the file): each
inline block is located in the source through its token's line range, and only that stretch of
source text is replaced. Inside a block, emphasis, strong, strikethrough and links are pairs
whose data is their exact source markup (`**`, `_`, `[` … `](url "title")`, `][ref]`); inline
code, inline HTML, images, autolinks, hard line breaks and emoji shortcodes (`:tada:`) are
standalone codes. A block the
locator cannot map back to the source byte for byte is left untranslated rather than risked.

A translated block is written on one line (a paragraph that was wrapped over several lines comes
out unwrapped, which renders the same); its text is escaped where a character would otherwise
start markup, except inside placeholders (`{user_name}` and `%(file_name)s` stay as written,
see `text.placeholders`). Character references (`&nbsp;`, `&copy;`, `&#160;`) are decoded for
the model and written back as they were spelled. A block whose target equals its source is
written back byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, autolink, backtick, image, link
from markdown_it.token import Token

from dilmanc.documents.base import Document, InlineCode, Translated, Unit
from dilmanc.documents.repair import complete
from dilmanc.fileio import read_document_text
from dilmanc.languages import Language
from dilmanc.text.placeholders import Spellings, find, spelled, spellings
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_FRONT_OPEN = re.compile(r"---[ \t]*")
_FRONT_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_HEADING_REST = re.compile(r"[ \t]*(?:#+[ \t]*)?")
_BLANK_REST = re.compile(r"[ \t]*")
_ESCAPE = re.compile(r"([\\`*_\[\]<~])")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_ESCAPE_IN_PLACEHOLDER = re.compile(r"([`<])")
_VERBATIM = frozenset(
    ["printf", "percent-name", "brace", "dollar-brace", "double-brace", "template", "icu"]
)
# GitHub / Slack emoji shortcodes (`:card_file_box:`, `:+1:`), not times or a:b:c
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])")
_BLOCK_START = re.compile(r"^([ \t]*)(?:([#>+=-])|(\d{1,9})([.)]))")


def _parser() -> MarkdownIt:
    # text_join would merge escapes and entities into plain text and lose their source form
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")


class _Unmappable(Exception):
    """The inline content cannot be matched to the source exactly: leave the block alone."""


@dataclass(frozen=True)
class _Block:
    """Where a unit sits in the source: [start, end) and what kind of block it is."""

    start: int
    end: int
    kind: str  # paragraph, heading, list item, blockquote, table cell
    spellings: Spellings  # characters read from references (see text.placeholders.spellings)


class MarkdownDocument(Document):
    format = "markdown"
    extensions = (".md", ".markdown")

    def __init__(
        self, path: Path | None, label: str, text: str, bom: bool, encoding: str = "utf-8"
    ) -> None:
        super().__init__(path, label)
        self.text = text
        self.bom = bom
        self.encoding = encoding
        self._units: list[Unit] = []
        self._blocks: dict[str, _Block] = {}
        self._scan()

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        try:
            text = head.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return False
        return bool(re.search(r"^(#{1,6} \S|```|\[[^\]]+\]\([^)]+\))", text, re.MULTILINE))

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> MarkdownDocument:
        read = read_document_text(path, encoding)
        return cls(path, str(path), read.text, read.bom, read.encoding)

    @classmethod
    def from_text(cls, text: str, label: str = "standard input") -> MarkdownDocument:
        return cls(None, label, text, False)

    @property
    def size(self) -> int:
        return len(self._units)

    # --- reading ---------------------------------------------------------------------------
    def _scan(self) -> None:
        lines = [m.group(0) for m in _LINE.finditer(self.text)]
        if lines and lines[-1] == "":
            lines.pop()
        starts: list[int] = []
        offset = 0
        for line in lines:
            starts.append(offset)
            offset += len(line)
        bodies = [line.rstrip("\r\n") for line in lines]
        parse_lines = list(bodies)
        for index in range(_front_matter_end(bodies)):
            parse_lines[index] = ""  # front matter: never parsed, never translated
        md = _parser()
        env: dict = {}
        tokens = md.parse("\n".join(parse_lines), env)
        stack: list[str] = []
        row_cursor: dict[int, int] = {}
        for token in tokens:
            if token.nesting == 1:
                stack.append(token.type)
            elif token.nesting == -1 and stack:
                stack.pop()
            if token.type != "inline" or not token.map or not token.content.strip():
                continue
            kind = _kind(stack)
            try:
                if kind == "table cell":
                    line = token.map[0]
                    cmap, row_cursor[line] = _locate_cell(
                        token.content, bodies[line], starts[line], row_cursor.get(line, 0)
                    )
                else:
                    cmap = _locate_lines(token.content, token.map, bodies, starts, kind)
                parts, codes, written = _inline_parts(token, self.text, cmap, md, env)
            except _Unmappable:
                continue
            source = TaggedText.from_parts(parts)
            if not any(char.isalpha() for char in source.text):
                continue  # nothing to translate: numbers, punctuation, only code
            unit_id = str(len(self._units) + 1)
            unit = Unit(
                unit_id,
                source,
                codes,
                location=f"{kind}, line {token.map[0] + 1}",
            )
            if self._units:
                unit.prev = self._units[-1].source.text
                self._units[-1].next = source.text
            self._units.append(unit)
            self._blocks[unit_id] = _Block(cmap[0], cmap[-1], kind, written)

    def units(self) -> Iterator[Unit]:
        yield from self._units

    # --- writing ---------------------------------------------------------------------------
    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        out: list[str] = ["\ufeff"] if self.bom else []
        pos = 0
        for unit in self._units:
            found = translations.get(unit.id)
            if found is None or found.target == unit.source:
                continue
            block = self._blocks[unit.id]
            out.append(self.text[pos : block.start])
            out.append(_markup(complete(found.target, unit.codes, unit.source), unit.codes, block))
            pos = block.end
        out.append(self.text[pos:])
        handle.write("".join(out))


def _front_matter_end(bodies: list[str]) -> int:
    """Number of lines of a YAML front matter block at the very top (0 when there is none)."""
    if not bodies or not _FRONT_OPEN.fullmatch(bodies[0]):
        return 0
    for index in range(1, len(bodies)):
        if _FRONT_CLOSE.fullmatch(bodies[index]):
            return index + 1
    return 0


def _kind(stack: list[str]) -> str:
    for opened in reversed(stack):
        if opened == "heading_open":
            return "heading"
        if opened in ("th_open", "td_open"):
            return "table cell"
        if opened == "list_item_open":
            return "list item"
        if opened == "blockquote_open":
            return "blockquote"
    return "paragraph"


def _locate_lines(
    content: str, span: list[int], bodies: list[str], starts: list[int], kind: str
) -> list[int]:
    """Source offset of every character of `content` (and of its end): content line j is the
    tail of source line span[0] + j, after any indentation, list marker or quote marker."""
    cmap: list[int] = []
    lines = content.split("\n")
    if span[0] + len(lines) > min(span[1], len(bodies)):
        raise _Unmappable
    for j, piece in enumerate(lines):
        number = span[0] + j
        body = bodies[number]
        rest = _HEADING_REST if kind == "heading" else _BLANK_REST
        found = -1
        at = body.find(piece)
        while at >= 0:
            if rest.fullmatch(body, at + len(piece)):
                found = at
            at = body.find(piece, at + 1)
        if found < 0:
            raise _Unmappable
        base = starts[number] + found
        cmap.extend(range(base, base + len(piece)))
        cmap.append(base + len(piece))  # the "\n" after the line, or the end of the content
    return cmap


def _locate_cell(content: str, body: str, line_start: int, cursor: int) -> tuple[list[int], int]:
    """Source offsets of a table cell's content (GFM unescapes `\\|` inside cells)."""
    pattern = r"\\?\|".join(re.escape(piece) for piece in content.split("|"))
    m = re.compile(pattern).search(body, cursor)
    if m is None:
        raise _Unmappable
    cmap: list[int] = []
    src = m.start()
    for char in content:
        if char == "|" and body[src] == "\\":
            src += 1
        cmap.append(line_start + src)
        src += 1
    cmap.append(line_start + m.end())
    return cmap, m.end()


def _inline_parts(
    token: Token, text: str, cmap: list[int], md: MarkdownIt, env: dict
) -> tuple[list[str | Tag], dict[int, InlineCode], Spellings]:
    """The inline content as text and tags, matched to the source character by character, and
    how its character references were spelled."""
    content = token.content
    children = token.children or []
    state = StateInline(content, md, env, [])
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    opened: list[tuple[int, str, int]] = []  # (tag id, token type prefix, content offset)
    read: list[tuple[str, str]] = []  # (decoded, source) of each piece of text
    pos = 0

    def src(a: int, b: int) -> str:
        return text[cmap[a] : cmap[b]]

    def standalone(name: str, end: int) -> None:
        nonlocal pos
        tag_id = len(codes) + 1
        codes[tag_id] = InlineCode(tag_id, "standalone", name, src(pos, end))
        parts.append(Tag(tag_id, EMPTY))
        pos = end

    def scan(rule) -> int:
        state.pos = pos
        state.posMax = len(content)
        if not rule(state, True):
            raise _Unmappable
        return state.pos

    def skip_space(at: int) -> int:
        while at < len(content) and content[at] in " \t":
            at += 1
        return at

    index = 0
    while index < len(children):
        child = children[index]
        kind = child.type
        if kind == "text":
            if not content.startswith(child.content, pos):
                raise _Unmappable
            end = pos + len(child.content)
            for shortcode in _SHORTCODE.finditer(content, pos, end):
                if shortcode.start() > pos:
                    parts.append(content[pos : shortcode.start()])
                    read.append((parts[-1], parts[-1]))
                    pos = shortcode.start()
                standalone("emoji", shortcode.end())
            if end > pos:
                parts.append(content[pos:end])
                read.append((parts[-1], parts[-1]))
            pos = end
        elif kind == "text_special":
            if not content.startswith(child.markup, pos):
                raise _Unmappable
            parts.append(child.content)
            source = child.markup if child.info == "entity" else child.content
            read.append((child.content, source))
            pos += len(child.markup)
        elif kind == "softbreak":
            at = skip_space(pos)
            if content[at : at + 1] != "\n":
                raise _Unmappable
            parts.append(" ")
            pos = skip_space(at + 1)
        elif kind == "hardbreak":
            at = pos + 1 if content.startswith("\\", pos) else skip_space(pos)
            if content[at : at + 1] != "\n":
                raise _Unmappable
            standalone("break", skip_space(at + 1))
        elif kind == "code_inline":
            standalone("code", scan(backtick))
        elif kind == "html_inline":
            if not content.startswith(child.content, pos):
                raise _Unmappable
            standalone("html", pos + len(child.content))
        elif kind == "image":
            standalone("image", scan(image))
        elif kind == "link_open" and child.markup in ("autolink", "linkify"):
            end = scan(autolink)
            while index < len(children) and children[index].type != "link_close":
                index += 1
            standalone("autolink", end)
        elif kind in ("em_open", "strong_open", "s_open", "link_open"):
            markup = "[" if kind == "link_open" else child.markup
            if not content.startswith(markup, pos):
                raise _Unmappable
            tag_id = len(codes) + 1
            codes[tag_id] = InlineCode(tag_id, "pair", kind[:-5], None)
            opened.append((tag_id, kind[:-5], pos))
            parts.append(Tag(tag_id, OPEN))
            pos += len(markup)
        elif kind in ("em_close", "strong_close", "s_close", "link_close"):
            if not opened or opened[-1][1] != kind[:-6]:
                raise _Unmappable
            tag_id, name, start = opened.pop()
            if kind == "link_close":
                if not content.startswith("]", pos):
                    raise _Unmappable
                saved, pos = pos, start
                end = scan(link)
                pos = saved
            else:
                if not content.startswith(child.markup, pos):
                    raise _Unmappable
                end = pos + len(child.markup)
            opening = src(start, start + (1 if name == "link" else len(child.markup)))
            closing = src(pos, end)
            if name == "link" and closing in ("]", "][]"):
                # [label] and [label][] find their definition by the link text itself: once
                # the text is translated the label must be spelled out
                closing = f"][{src(start + 1, pos)}]"
            codes[tag_id] = InlineCode(tag_id, "pair", name, (opening, closing))
            parts.append(Tag(tag_id, CLOSE))
            pos = end
        else:
            raise _Unmappable  # a construct this reader does not know: keep the block as is
        index += 1
    if opened or content[pos:].strip():
        raise _Unmappable
    return parts, codes, spellings(read)


def _escape(text: str, *, cell: bool, spelling: Spellings | None = None) -> str:
    """`text` escaped where it would start markup; placeholders keep their characters (a
    backtick or `<` in one is still escaped), references their spelling."""
    text = re.sub(r"[\r\n]+", " ", text)
    return spelled(text, spelling or {}, lambda chunk: _escape_around_placeholders(chunk, cell))


def _escape_around_placeholders(text: str, cell: bool) -> str:
    out: list[str] = []
    pos = 0
    for span in find(text):
        if span.kind in _VERBATIM:
            out.append(_escape_plain(text[pos : span.start], cell))
            verbatim = _ESCAPE_IN_PLACEHOLDER.sub(r"\\\1", text[span.start : span.end])
            out.append(verbatim.replace("|", r"\|") if cell else verbatim)
            pos = span.end
    out.append(_escape_plain(text[pos:], cell))
    return "".join(out)


def _escape_plain(text: str, cell: bool) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub(r"\\&", text)
    return text.replace("|", r"\|") if cell else text


def _markup(target: TaggedText, codes: dict[int, InlineCode], block: _Block) -> str:
    """The target written back as Markdown: escaped text, codes as their source markup."""
    kind = block.kind
    out: list[str] = []
    parts = target.parts()
    starred = _underscores_inside_words(target, codes)
    hollow = _hollow_emphasis(target, codes)
    for number, part in enumerate(parts):
        if isinstance(part, Tag):
            if part.id in hollow:
                continue
            data = starred.get(part.id) or codes[part.id].data
            if part.kind == OPEN:
                out.append(data[0])
            elif part.kind == CLOSE:
                out.append(data[1])
            else:
                out.append(data)
            continue
        piece = _escape(part, cell=kind == "table cell", spelling=block.spellings)
        if number == 0 and kind != "table cell":
            # a paragraph that starts with "# ", "- ", "1." ... would become another block
            piece = _BLOCK_START.sub(
                lambda m: (
                    m.group(1)
                    + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}")
                ),
                piece,
                count=1,
            )
        if number == len(parts) - 1 and kind == "heading":
            piece = re.sub(r"#(\s*)$", r"\\#\1", piece)  # not a closing sequence
        out.append(piece)
    return "".join(out)


def _hollow_emphasis(target: TaggedText, codes: dict[int, InlineCode]) -> set[int]:
    """Emphasis, strong and strikethrough pairs around no text (a model's output had fewer
    words than pairs, see `text.align`): `****` would show as literal stars, so they are left
    out. A link stays, empty (`[](url)`): its target is kept."""
    return {
        tag_id
        for tag_id, (start, end) in target.pair_spans().items()
        if codes[tag_id].name != "link" and not target.text[start:end].strip()
    }


def _underscores_inside_words(
    target: TaggedText, codes: dict[int, InlineCode]
) -> dict[int, tuple[str, str]]:
    """`_em_` moved against a letter does not render as emphasis: such pairs become `*em*`."""
    text = target.text
    out: dict[int, tuple[str, str]] = {}
    for tag_id, (start, end) in target.pair_spans().items():
        data = codes[tag_id].data
        if codes[tag_id].name not in ("em", "strong") or not data[0].startswith("_"):
            continue
        before = text[start - 1 : start]
        after = text[end : end + 1]
        if before.isalnum() or after.isalnum():
            out[tag_id] = ("*" * len(data[0]), "*" * len(data[1]))
    return out
