"""Web pages (.html, .htm, .xhtml): text and a few attributes are units, every other byte of
the page is written back exactly as it was.

Why not lxml: lxml.html recovers from any markup, but it serializes a tree, not the page that
was read: `&nbsp;`/`&copy;` come back as characters, attribute quoting and spacing, `<br/>` vs
`<br>`, upper-case tags and the doctype spelling are all normalized. A translated page must not
change a byte that was not translated, so the page is tokenized with the standard library's
`html.parser` (a tolerant, browser-like tokenizer that reports entities separately when
`convert_charrefs=False` and where each token starts), units are located as spans of the
original text, and writing splices translations into that text.

* Block elements (p, h1-h6, li, td, th, dt, dd, blockquote, div/section text, caption,
  figcaption, title, button, label, option, ...) end a unit; inline elements (b, i, a, span,
  em, strong, ...) inside a unit are pair tags whose data is their start and end markup; void
  inline elements (img, br, input, wbr) and comments are standalone tags.
* script, style, code, pre, kbd, samp, var, textarea, template, svg, math, noscript, MathJax
  output (`class="MathJax…"`, `<mjx-container>`) and anything marked `translate="no"` or
  `class="notranslate"` are kept untouched (inline ones as one standalone tag with all their
  markup, so no word can move into them).
* The alt, title, placeholder and aria-label attributes and the content of
  `<meta name="description">` (and og:/twitter: title and description) are units of their own.
* The `lang` (and `xml:lang`) of `<html>` is set to the target language.
* Character references are decoded for the model and written back as they were spelled: a
  unit that had `&nbsp;`, `&#160;`, `&rlm;` or `&copy;` gets `&nbsp;`, `&#160;`, `&rlm;`,
  `&copy;` again, not the raw character (invisible ones travel as placeholders, see
  `text.placeholders`, so a model cannot drop them).

Malformed markup never fails: unclosed or misnested inline elements become standalone tags,
stray end tags are kept where they were, bogus declarations are read as browsers do.
"""

from __future__ import annotations

import bisect
import codecs
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

from dilmanc.documents.base import Document, InlineCode, Translated, Unit
from dilmanc.errors import EncodingError, InputError
from dilmanc.fileio import check_encoding, read_bytes
from dilmanc.languages import Language
from dilmanc.text.placeholders import Spellings, references, spelled, spellings
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

BLOCK = frozenset(
    [
        "html",
        "head",
        "body",
        "title",
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "summary",
        "dialog",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "section",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "colgroup",
        "ul",
        "menu",
        "center",
        "button",
        "label",
        "option",
        "optgroup",
        "select",
        "legend",
        "noscript",
        "iframe",
        "object",
        "video",
        "audio",
        "canvas",
        "map",
        "datalist",
        "frameset",
        "noframes",
        "search",
        "address",
    ]
)
VOID_INLINE = frozenset(["img", "br", "input", "wbr", "embed"])
VOID_OTHER = frozenset(
    ["area", "base", "col", "hr", "link", "meta", "param", "source", "track", "keygen", "frame"]
)
VOID = VOID_INLINE | VOID_OTHER
SKIP = frozenset(
    [
        "script",
        "style",
        "code",
        "pre",
        "kbd",
        "samp",
        "var",
        "textarea",
        "template",
        "svg",
        "math",
        "noscript",  # what crawlers and script-less browsers get: kept as it was written
    ]
)
# MathJax output (v2 spans and divs with these classes, v3 <mjx-*> elements): one opaque code
MATHJAX_CLASS = re.compile(r"^(?:MathJax|MJX)")
SKIP_BLOCK = frozenset(["pre", "textarea", "template"])
TRANSLATED_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
META_NAMES = frozenset(
    ["description", "og:title", "og:description", "twitter:title", "twitter:description"]
)
SPACE = re.compile(r"[ \t\n\r\f]+")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
SNIFF = re.compile(
    rb"\s*(?:<!--.*?-->\s*|<\?xml[^>]*>\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
TAG_NAME = re.compile(r"<[a-zA-Z][^\t\n\r\f />\x00]*(?:\s|/(?!>))*")
ATTRIBUTE = re.compile(
    r"""((?<=['"\s/])[^\s/>][^\s/=>]*)(\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?(?:\s|/(?!>))*"""
)
ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.I)


# --- tokens -----------------------------------------------------------------------------------


@dataclass
class _Token:
    kind: str  # start, startend, end, data, entity, comment, decl, pi
    start: int
    end: int = 0
    name: str = ""  # tag name
    text: str = ""  # decoded text (data, entity), raw markup (start tags)
    attrs: list = field(default_factory=list)


class _Tokenizer(HTMLParser):
    """html.parser with every token recorded with its offset in the source."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[_Token] = []
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", text))
        self._line_starts = starts
        self.feed(text)
        self.close()
        for token, following in zip(self.tokens, self.tokens[1:], strict=False):
            token.end = max(token.start, following.start)
        if self.tokens:
            self.tokens[-1].end = len(text)

    def _here(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _add(self, kind: str, **values) -> None:
        self.tokens.append(_Token(kind, self._here(), **values))

    def handle_starttag(self, tag, attrs):
        self._add("start", name=tag, text=self.get_starttag_text() or "", attrs=attrs)

    def handle_startendtag(self, tag, attrs):
        self._add("startend", name=tag, text=self.get_starttag_text() or "", attrs=attrs)

    def handle_endtag(self, tag):
        self._add("end", name=tag)

    def handle_data(self, data):
        self._add("data", text=data)

    def handle_entityref(self, name):
        self._add("entity", text=html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self._add("entity", text=html.unescape(f"&#{name};"))

    def handle_comment(self, data):
        self._add("comment", text=data)

    def handle_decl(self, decl):
        self._add("decl", text=decl)

    def unknown_decl(self, data):
        self._add("decl", text=data)

    def handle_pi(self, data):
        self._add("pi", text=data)

    def parse_marked_section(self, i, report=1):
        """`<![foo[ ... >` that is not CDATA or a conditional: a bogus comment, as browsers
        read it (html.parser would raise)."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            if end < 0:
                return -1
            self.unknown_decl(self.rawdata[i + 3 : end])
            return end + 1


# --- units ------------------------------------------------------------------------------------


@dataclass
class _Piece:
    """Content of a unit being collected: text, or markup that becomes a tag."""

    kind: str  # text, open, close, standalone
    start: int
    end: int
    text: str = ""  # decoded text
    raw: str = ""  # source of a text piece (to trim whitespace at its edges)
    name: str = ""
    partner: int = -1  # index of the matching close/open


@dataclass
class _Record:
    """Where a unit is in the source, for writing."""

    start: int
    end: int
    # tag id → ("pair", (open start, open end), (close start, close end)) or
    # ("standalone", (start, end)) for text units; attribute units: quote and name
    codes: dict = field(default_factory=dict)
    quote: str | None = None  # attribute units: the value's quote character ('' unquoted)
    attribute: bool = False
    spellings: Spellings = field(default_factory=dict)  # see text.placeholders.spellings


@dataclass
class _Found:
    unit: Unit
    record: _Record


def _skipped(name: str, attrs: list) -> bool:
    if name in SKIP or name.startswith("mjx-"):
        return True
    for key, value in attrs:
        if key == "translate" and (value or "").strip().lower() == "no":
            return True
        classes = (value or "").split() if key == "class" else []
        if "notranslate" in classes or any(MATHJAX_CLASS.match(c) for c in classes):
            return True
    return False


def _attribute_spans(raw: str, offset: int) -> list[tuple[str, int, int, str]]:
    """(name, value start, value end, quote) of each attribute of a raw start tag."""
    match = TAG_NAME.match(raw)
    if not match:
        return []
    out = []
    position = match.end()
    while position < len(raw):
        found = ATTRIBUTE.match(raw, position)
        if not found or found.end() == position:
            break
        name = found.group(1).lower()
        if found.group(3) is not None:
            value_start, value_end = found.span(3)
            quote = raw[value_start] if raw[value_start] in "'\"" else ""
            if quote:
                value_start, value_end = value_start + 1, value_end - 1
            out.append((name, offset + value_start, offset + value_end, quote))
        else:
            out.append((name, -1, -1, ""))
        position = found.end()
    return out


def _pair_up(pieces: list[_Piece]) -> None:
    """Match inline start and end tags like a stack; what does not match is standalone."""
    stack: list[int] = []
    for index, piece in enumerate(pieces):
        if piece.kind == "open":
            stack.append(index)
        elif piece.kind == "close":
            depth = next(
                (d for d in range(len(stack) - 1, -1, -1) if pieces[stack[d]].name == piece.name),
                None,
            )
            if depth is None:
                piece.kind = "standalone"
                continue
            for unclosed in stack[depth + 1 :]:
                pieces[unclosed].kind = "standalone"
            opener = stack[depth]
            del stack[depth:]
            pieces[opener].partner, piece.partner = index, opener
    for unclosed in stack:
        pieces[unclosed].kind = "standalone"


def _trim(pieces: list[_Piece]) -> tuple[int, int]:
    """The kept range [first, last) once blank text and standalone markup at the edges, and
    pairs enclosing everything, are left outside the unit."""
    first, last = 0, len(pieces)
    while first < last:
        head, tail = pieces[first], pieces[last - 1]
        if head.kind == "standalone" or (head.kind == "text" and not head.text.strip()):
            first += 1
        elif tail.kind == "standalone" or (tail.kind == "text" and not tail.text.strip()):
            last -= 1
        elif head.kind == "open" and head.partner == last - 1:
            first += 1
            last -= 1
        else:
            break
    return first, last


def _build(pieces: list[_Piece], location: str) -> tuple[Unit, _Record] | None:
    _pair_up(pieces)
    first, last = _trim(pieces)
    kept = pieces[first:last]
    if not any(piece.kind == "text" and piece.text.strip() for piece in kept):
        return None
    # whitespace at the outer edges of the text stays outside the unit
    start, end = kept[0].start, kept[-1].end
    head, tail = kept[0], kept[-1]
    if head.kind == "text" and head.raw == head.text:
        cut = len(head.text) - len(head.text.lstrip(" \t\n\r\f"))
        start += cut
    if tail.kind == "text" and tail.raw == tail.text:
        cut = len(tail.text) - len(tail.text.rstrip(" \t\n\r\f"))
        end -= cut
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    spans: dict[int, tuple] = {}
    ids: dict[int, int] = {}  # piece index → tag id
    for index, piece in enumerate(kept, first):
        if piece.kind == "text":
            if parts and isinstance(parts[-1], str):
                parts[-1] += piece.text
            else:
                parts.append(piece.text)
        elif piece.kind == "open":
            tid = ids[index] = len(codes) + 1
            closing = pieces[piece.partner]
            codes[tid] = InlineCode(tid, "pair", piece.name, (piece.raw, closing.raw))
            spans[tid] = ("pair", (piece.start, piece.end), (closing.start, closing.end))
            parts.append(Tag(tid, OPEN))
        elif piece.kind == "close":
            parts.append(Tag(ids[piece.partner], CLOSE))
        else:
            tid = len(codes) + 1
            codes[tid] = InlineCode(tid, "standalone", piece.name, piece.raw)
            spans[tid] = ("standalone", (piece.start, piece.end))
            parts.append(Tag(tid, EMPTY))
    # white space collapses as a browser shows it (per stretch between tags, so a space on
    # each side of an inline code stays)
    parts = [SPACE.sub(" ", part) if isinstance(part, str) else part for part in parts]
    source = TaggedText.from_parts(parts).strip()
    unit = Unit("", source, codes, location=location)
    written = spellings((p.text, p.raw) for p in kept if p.kind == "text")
    return unit, _Record(start, end, spans, spellings=written)


class _Reader:
    """Walks the tokens once and collects units (text and attributes) and lang edits."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.found: list[_Found] = []
        self.lang_edits: list[tuple[int, int, str]] = []  # (start, end, "{lang}" template)
        self.pieces: list[_Piece] = []
        self.block = "body"
        self.lines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.lines, offset) + 1

    def flush(self) -> None:
        if self.pieces:
            where = f"line {self.line(self.pieces[0].start)}, <{self.block}>"
            built = _build(self.pieces, where)
            if built is not None:
                self.found.append(_Found(*built))
        self.pieces = []

    def piece(self, kind: str, token: _Token, end: int | None = None, **values) -> None:
        raw = self.text[token.start : token.end if end is None else end]
        self.pieces.append(
            _Piece(kind, token.start, token.end if end is None else end, raw=raw, **values)
        )

    def attributes(self, token: _Token) -> None:
        """Translatable attribute values of a start tag, and the page language."""
        spans = _attribute_spans(self.text[token.start : token.end], token.start)
        names = [name for name, *_ in spans]
        if names != [key for key, _ in token.attrs]:
            return  # the tag could not be read the way the parser did: leave it alone
        values = {key: value for key, value in token.attrs}
        for (name, start, end, quote), (_, value) in zip(spans, token.attrs, strict=True):
            wanted = name in TRANSLATED_ATTRIBUTES
            if token.name == "meta" and name == "content":
                kind = (values.get("name") or values.get("property") or "").strip().lower()
                wanted = kind in META_NAMES
            if wanted and value and value.strip() and start >= 0:
                source = TaggedText(value).sub(SPACE, " ").strip()
                location = f"line {self.line(token.start)}, <{token.name} {name}>"
                written = references(self.text[start:end])
                record = _Record(start, end, quote=quote, attribute=True, spellings=written)
                self.found.append(_Found(Unit("", source, location=location), record))
        if token.name == "html":
            edits = [(s, e, q) for n, s, e, q in spans if n in ("lang", "xml:lang") and s >= 0]
            for start, end, quote in edits:
                self.lang_edits.append((start, end, "{lang}" if quote else '"{lang}"'))
            if "lang" not in names:
                at = token.start + TAG_NAME.match(token.text).end()
                at = token.start + len(token.text[: at - token.start].rstrip())
                self.lang_edits.append((at, at, ' lang="{lang}"'))
        if token.name == "meta" and (values.get("http-equiv") or "").lower() == (
            "content-language"
        ):
            for name, start, end, quote in spans:
                if name == "content" and start >= 0:
                    self.lang_edits.append((start, end, "{lang}" if quote else '"{lang}"'))

    def read(self) -> None:
        tokens = self.tokens
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind, name = token.kind, token.name
            if kind in ("start", "startend") and _skipped(name, token.attrs):
                index = self.skip(index)
                continue
            if kind in ("start", "startend"):
                self.attributes(token)
                if name in BLOCK or name in VOID_OTHER:
                    self.flush()
                    self.block = name
                elif name in VOID_INLINE or kind == "startend":
                    self.piece("standalone", token, name=name)
                else:
                    self.piece("open", token, name=name)
            elif kind == "end":
                if name in BLOCK or name in VOID_OTHER:
                    self.flush()
                elif name in VOID_INLINE:
                    self.piece("standalone", token, name=name)
                else:
                    self.piece("close", token, name=name)
            elif kind in ("data", "entity"):
                self.piece("text", token, text=token.text)
            elif kind == "comment":
                self.piece("standalone", token, name="comment")
            else:  # doctype, processing instruction, marked section
                self.flush()
            index += 1
        self.flush()

    def skip(self, index: int) -> int:
        """Skip an untranslated element (to its matching end tag); inline ones stay in the
        unit as one standalone tag. Returns the index of the next token to read."""
        token = self.tokens[index]
        name = token.name
        if token.kind == "startend" or name in VOID:
            self.piece("standalone", token, name=name)
            return index + 1
        depth = 0
        end = index
        while end < len(self.tokens):
            current = self.tokens[end]
            if current.name == name and current.kind == "start":
                depth += 1
            elif current.name == name and current.kind == "end":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        last = self.tokens[min(end, len(self.tokens) - 1)]
        if name in SKIP_BLOCK or name in BLOCK:
            self.flush()
        else:
            self.piece("standalone", token, end=last.end, name=name)
        return end + 1


# --- the document -----------------------------------------------------------------------------


def _detect(data: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """(text, codec to write it back with)."""
    if data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    elif encoding:
        codec = encoding
    else:
        declared = META_CHARSET.search(data[:2048])
        codec = "utf-8"
        if declared:
            try:
                codec = codecs.lookup(declared.group(1).decode("ascii")).name
            except LookupError:
                codec = "utf-8"
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as err:
        raise EncodingError(
            f"{label} is not valid {codec} (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None


class HtmlDocument(Document):
    format = "html"
    extensions = (".html", ".htm", ".xhtml")
    binary = True

    def __init__(self, path: Path | None, label: str, text: str, codec: str, found, langs):
        super().__init__(path, label)
        self.text = text
        self.codec = codec
        self._found: list[_Found] = found
        self._lang_edits: list[tuple[int, int, str]] = langs

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        if head.startswith(codecs.BOM_UTF8):
            head = head[3:]
        return bool(SNIFF.match(head))

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> HtmlDocument:
        check_encoding(encoding)
        label = str(path)
        text, codec = _detect(read_bytes(path), label, encoding)
        return cls.from_text(text, label, codec=codec, path=path)

    @classmethod
    def from_text(
        cls, text: str, label: str = "standard input", *, codec: str = "utf-8", path=None
    ) -> HtmlDocument:
        if not text.strip():
            raise InputError(f"{label} is empty (nothing but whitespace)")
        tokens = _Tokenizer(text).tokens
        first_tag = next((t.start for t in tokens if t.kind in ("start", "startend")), len(text))
        declaration = ENTITY_DECLARATION.search(text, 0, first_tag)
        if declaration:
            line = text.count("\n", 0, declaration.start()) + 1
            raise InputError(f"{label}:{line}: declares XML entities; refused (unsafe markup)")
        reader = _Reader(text, tokens)
        reader.read()
        found = sorted(reader.found, key=lambda f: f.record.start)
        for number, item in enumerate(found, 1):
            item.unit.id = str(number)
        for before, after in zip(found, found[1:], strict=False):
            before.unit.next = after.unit.source.text
            after.unit.prev = before.unit.source.text
        return cls(path, label, text, codec, found, reader.lang_edits)

    @property
    def size(self) -> int:
        return len(self._found)

    def units(self) -> Iterator[Unit]:
        for item in self._found:
            yield item.unit

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        handle.write(self.render(lang, translations).encode(self.codec, "xmlcharrefreplace"))

    def render(self, lang: Language, translations: dict[str, Translated]) -> str:
        """The page in `lang` as text."""
        small: list[tuple[int, int, str]] = [
            (start, end, template.format(lang=lang.iso))
            for start, end, template in self._lang_edits
        ]
        big: list[tuple[_Found, TaggedText]] = []
        for item in self._found:
            found = translations.get(item.unit.id)
            if found is None or found.target == item.unit.source:
                continue
            if item.record.attribute:
                quote = item.record.quote
                spellings = item.record.spellings
                value = spelled(found.target.text, spellings, lambda t: html.escape(t, quote=True))
                if quote == "'":
                    value = spelled(found.target.text, spellings, _single_quoted)
                small.append((item.record.start, item.record.end, value if quote else f'"{value}"'))
            else:
                big.append((item, found.target))
        small.sort(key=lambda edit: (edit[0], edit[1]))
        starts = [edit[0] for edit in small]
        text = self.text

        def source(start: int, end: int) -> str:
            """text[start:end] with the small edits inside it applied."""
            out = []
            position = start
            for index in range(bisect.bisect_left(starts, start), len(small)):
                edit_start, edit_end, replacement = small[index]
                if edit_start >= end or edit_end > end:
                    break
                out.append(text[position:edit_start])
                out.append(replacement)
                position = edit_end
            out.append(text[position:end])
            return "".join(out)

        out: list[str] = []
        position = 0
        for item, target in big:
            out.append(source(position, item.record.start))
            out.append(_render(item.record, target, source))
            position = item.record.end
        out.append(source(position, len(text)))
        return "".join(out)


def _single_quoted(text: str) -> str:
    return html.escape(text, quote=False).replace("'", "&#x27;")


def _text(text: str) -> str:
    return html.escape(text, quote=False)


def _render(record: _Record, target: TaggedText, source) -> str:
    """A translated text unit: escaped text, and each tag's original markup."""
    parts = list(target.parts())
    seen = {(tag.id, tag.kind) for _, tag in target.tags}
    for tid, code in record.codes.items():
        if code[0] == "standalone":
            if (tid, EMPTY) not in seen:
                parts.append(Tag(tid, EMPTY))  # never lose an image or a code span
            continue
        has_open, has_close = (tid, OPEN) in seen, (tid, CLOSE) in seen
        if has_open and not has_close:
            parts.append(Tag(tid, CLOSE))
        elif has_close and not has_open:
            parts.insert(0, Tag(tid, OPEN))
        elif not has_open and source(*code[1]).lower().startswith("<a"):
            parts.insert(0, Tag(tid, OPEN))  # a lost link encloses the sentence
            parts.append(Tag(tid, CLOSE))
    out: list[str] = []
    done: set[tuple[int, str]] = set()
    for part in parts:
        if isinstance(part, str):
            out.append(spelled(part, record.spellings, _text))
            continue
        code = record.codes.get(part.id)
        if code is None or (part.id, part.kind) in done:
            continue
        done.add((part.id, part.kind))
        if (
            part.kind == EMPTY
            and code[0] == "standalone"
            or part.kind == OPEN
            and code[0] == "pair"
        ):
            out.append(source(*code[1]))
        elif part.kind == CLOSE and code[0] == "pair":
            out.append(source(*code[2]))
    return "".join(out)
