"""Placeholders: the stretches of a text a translation must carry over unchanged, in ONE grammar
for every format, and the ICU message structure whose sub-messages are translated one by one.

What counts as a placeholder (`scan` finds them; `protect` turns them into empty inline tags
`<xN/>` for the model and `Protected.restore` puts their text back, exactly once):

* printf: `%s`, `%d`, `%5.2f`, `%-10s`, `%lld`, `%zu`, `%r`, `%a`, positional `%1$s` and
  `%2$@` (Android, iOS), named `%(name)s` and `%(name)r`, `%@` (Objective-C), `%#@items@`
  (iOS stringsdict); in code also `%%` and Qt's `%1`/`%L1`.
* Symfony and Laravel names between percent signs: `%count%`, `%user_name%` (two or more
  characters; `%ld%s` and `%d%%` stay printf).
* brace fields: `{name}`, `{0}`, `{user.name}`, `{items[0]}`, `{x!r:>4}`, `{0:N2}`; in code
  also `{}`, `{ name }` and non-ASCII names.
* `${name}` (JavaScript template literals, shell), `{{ name }}` and `{{{ raw }}}` (Angular,
  Handlebars, Jinja), `{% tag %}` and `{# comment #}` (Jinja, Django).
* ICU MessageFormat: a simple argument (`{n}`, `{n, number}`, `{d, date, short}`) is one
  placeholder; a `plural`, `selectordinal` or `select` argument is a *skeleton* (`{n, plural,
  =0 {`, `} other {`, `}}`) that is kept as it is and never sent to a model, and each of its
  sub-messages is text of its own (translated as a separate segment) in which `#` (the number,
  in a plural) and nested arguments are placeholders again.
* character references written in the text: `&nbsp;`, `&#160;`, `&#x200F;` (named ones only
  when HTML defines the name).
* invisible characters that models drop: no-break and other non-ASCII spaces (U+00A0,
  U+202F, U+2000–U+200A, ...), bidi marks and controls (U+200E LRM, U+200F RLM, U+061C,
  U+202A–U+202E, U+2066–U+2069), U+200B, U+2060 and U+FEFF. A space-like one is shown to the
  model as a space followed by its tag (`02.00 <x1/>EST`), so words stay apart; plain spaces
  the model puts next to it are dropped again when it is restored.

Two rule sets. `CODE` is for text a format declares to be a format string (a PO message
flagged `c-format`, `python-format`, ... or without any flag). `PROSE`, for everything else,
keeps ordinary writing intact: a bare printf conversion (`%s`, `%d`, `%.2f`, `%@`) counts
only when neither side touches a letter or digit, so "50%", "20%-dən" and "%5-i" stay text;
named and positional conversions (`%(n)s`, `%1$s`) always count; a brace field needs an ASCII
name or a number (`{name}`, `{0}`; not `{bir söz}`, not a lone `{`); `%%`, `{}` and `%1`
are text. ICU skeletons must parse completely (balanced braces, at least one option) to count.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dilmanc.text.tagged import EMPTY, Tag, TaggedText


@dataclass(frozen=True)
class Rules:
    """Which forms count: `strict` (code) or `bounded` (prose), see the module docstring."""

    printf: str = "bounded"  # "strict" | "bounded"
    brace: str = "bounded"


CODE = Rules("strict", "strict")
PROSE = Rules()


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    kind: str  # printf, percent-name, brace, dollar-brace, double-brace, template, icu,
    #            icu-count, entity, space (a space-like character), mark (another invisible one)


@dataclass
class Scan:
    """What `scan` found: placeholders, and the ICU skeleton stretches (kept, never sent)."""

    placeholders: list[Span] = field(default_factory=list)
    skeleton: list[tuple[int, int]] = field(default_factory=list)

    def add(self, other: Scan) -> None:
        self.placeholders.extend(other.placeholders)
        self.skeleton.extend(other.skeleton)


_PRINTF = re.compile(
    r"%#@[A-Za-z_]\w*@|"
    r"%(?P<position>\d+\$)?(?P<key>\([^()\s]+\))?[-+#0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
    r"(?:hh|h|ll|l|L|q|j|z|t|I64|I32)?(?P<conversion>[diouxXeEfFgGaAcCsSpnr@%])"
)
_QT = re.compile(r"%L?[1-9]\d?(?!\d)")
# Symfony / Laravel-style `%count%`, `%user_name%`: two or more name characters, and not
# `%ld%s` or `%lu%%` (printf next to a percent)
_PERCENT_NAME = re.compile(r"%[A-Za-z_][\w.]*\w%(?![%\w])", re.ASCII)
_BRACE_CODE = re.compile(r"\{\s*[\w.\[\]]*\s*(?:![rsa])?(?::[^{}]*)?\}")
_BRACE_PROSE = re.compile(
    r"\{(?:\d+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\w+\])*)(?:![rsa])?(?::[^{}\s]*)?\}", re.ASCII
)
_DOUBLE = re.compile(r"\{\{(\{)?[^{}\n]+?\}\}(?(1)\})")
_TEMPLATE = re.compile(r"\{%[^\n]*?%\}|\{#[^\n]*?#\}")
_DOLLAR = re.compile(r"\$\{[^{}\n]+\}")
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|([A-Za-z][A-Za-z0-9]{1,31}));")
_ICU_HEAD = re.compile(r"\{\s*([^\s{},#]+)\s*,\s*(plural|selectordinal|select)\s*,")
_ICU_SIMPLE = re.compile(
    r"\{\s*[^\s{},#]+\s*(?:,\s*(?:number|date|time|spellout|ordinal|duration)\s*(?:,[^{}]*)?)?\}"
)
_ICU_OFFSET = re.compile(r"\s*offset\s*:\s*\d+")
_ICU_OPTION = re.compile(r"\s*(?:=\d+|[^\s{}]+)\s*\{")
_SPACES = frozenset("\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))))
_MARKS = frozenset("\u200b\u200e\u200f\u061c\u2060\ufeff\u202a\u202b\u202c\u202d\u202e")
_MARKS |= frozenset("\u2066\u2067\u2068\u2069")
INVISIBLE = _SPACES | _MARKS


class _NotIcu(Exception):
    """A brace inside an ICU sub-message that is not ICU: the whole message is not ICU."""


def scan(text: str, rules: Rules = PROSE) -> Scan:
    """Placeholders and ICU skeletons of `text` under `rules`."""
    out = Scan()
    _scan(text, 0, rules, out, inside=False, plural=False)
    out.placeholders.sort()
    out.skeleton.sort()
    return out


def find(text: str, rules: Rules = PROSE) -> list[Span]:
    """The placeholders of `text` (ICU skeletons are not placeholders; see `scan`)."""
    return scan(text, rules).placeholders


def _scan(text: str, pos: int, rules: Rules, out: Scan, *, inside: bool, plural: bool) -> int:
    """Scan from `pos` to the end (top level) or to the `}` that closes an ICU sub-message
    (`inside`: its offset is returned; raises _NotIcu when there is none)."""
    while pos < len(text):
        char = text[pos]
        if char == "}" and inside:
            return pos
        end = 0
        kind = ""
        if char == "{":
            end = _brace(text, pos, rules, out, inside=inside, plural=plural)
            if not end and inside:
                raise _NotIcu
        elif char == "#" and plural:
            end, kind = pos + 1, "icu-count"
        elif char == "%":
            end, kind = _percent(text, pos, rules)
        elif char == "$":
            m = _DOLLAR.match(text, pos)
            end, kind = (m.end(), "dollar-brace") if m else (0, "")
        elif char == "&":
            m = _REFERENCE.match(text, pos)
            if m and (not m.group(1) or m.group(1) + ";" in html.entities.html5):
                end, kind = m.end(), "entity"
        elif char in INVISIBLE:
            end, kind = pos + 1, "space" if char in _SPACES else "mark"
        if end and kind:
            out.placeholders.append(Span(pos, end, kind))
        pos = end or pos + 1
    if inside:
        raise _NotIcu
    return pos


def _percent(text: str, pos: int, rules: Rules) -> tuple[int, str]:
    """The end and kind of the placeholder at a `%`: a `%name%`, else printf (0: none)."""
    m = _PERCENT_NAME.match(text, pos)
    if m and not (pos and text[pos - 1].isalnum()):
        return m.end(), "percent-name"
    return _printf(text, pos, rules), "printf"


def _printf(text: str, pos: int, rules: Rules) -> int:
    m = _PRINTF.match(text, pos)
    if rules.printf == "strict":
        if m:
            return m.end()
        qt = _QT.match(text, pos)
        return qt.end() if qt else 0
    if not m or m.group("conversion") == "%":
        return 0
    if m.group("position") or m.group("key") or m.group(0).startswith("%#@"):
        return m.end()
    before = text[pos - 1] if pos else " "
    after = text[m.end()] if m.end() < len(text) else " "
    return 0 if before.isalnum() or after.isalnum() else m.end()


def _brace(text: str, pos: int, rules: Rules, out: Scan, *, inside: bool, plural: bool) -> int:
    """The end of the brace construct at `pos` (recorded in `out`), or 0."""
    for pattern, kind in ((_DOUBLE, "double-brace"), (_TEMPLATE, "template")):
        m = pattern.match(text, pos)
        if m:
            out.placeholders.append(Span(pos, m.end(), kind))
            return m.end()
    found = _icu(text, pos, rules, plural)
    if found is not None:
        end, inner = found
        out.add(inner)
        return end
    m = _ICU_SIMPLE.match(text, pos)
    if m and (inside or "," in m.group(0)):
        out.placeholders.append(Span(pos, m.end(), "icu"))
        return m.end()
    m = (_BRACE_CODE if rules.brace == "strict" else _BRACE_PROSE).match(text, pos)
    if m and not inside:
        out.placeholders.append(Span(pos, m.end(), "brace"))
        return m.end()
    return 0


def _icu(text: str, pos: int, rules: Rules, plural: bool) -> tuple[int, Scan] | None:
    """A plural/select argument at `pos`: its end and what it holds, or None."""
    head = _ICU_HEAD.match(text, pos)
    if head is None:
        return None
    kind = head.group(2)
    plural = plural or kind != "select"  # `#` in a select inside a plural is the plural's
    inner = Scan()
    at = head.end()
    if kind != "select":
        offset = _ICU_OFFSET.match(text, at)
        at = offset.end() if offset else at
    skeleton_start = pos
    options = 0
    try:
        while (option := _ICU_OPTION.match(text, at)) is not None:
            inner.skeleton.append((skeleton_start, option.end()))
            close = _scan(text, option.end(), rules, inner, inside=True, plural=plural)
            skeleton_start, at = close, close + 1
            options += 1
    except _NotIcu:
        return None
    while at < len(text) and text[at].isspace():
        at += 1
    if not options or at >= len(text) or text[at] != "}":
        return None
    inner.skeleton.append((skeleton_start, at + 1))
    return at + 1, inner


# --- protection for a model -------------------------------------------------------------------


@dataclass(frozen=True)
class Protected:
    """A segment with its placeholders as empty tags (ids after the segment's own)."""

    tagged: TaggedText
    texts: dict[int, str]  # tag id → the placeholder's text
    spaces: frozenset[int] = frozenset()  # ids of space-like characters

    def restore(self, output: TaggedText) -> tuple[TaggedText, list[int]]:
        """`output` with every placeholder tag replaced by its text; one the output does not
        hold goes at its end. Returns the text and the ids that had to be put back that way."""
        out: list[str | Tag] = []
        seen: set[int] = set()
        strip_next = False
        for part in output.parts():
            if isinstance(part, Tag) and part.kind == EMPTY and part.id in self.texts:
                if part.id in seen:
                    continue
                seen.add(part.id)
                if part.id in self.spaces:
                    if out and isinstance(out[-1], str):
                        out[-1] = out[-1].rstrip(" ")
                    strip_next = True
                else:
                    strip_next = False
                out.append(self.texts[part.id])
                continue
            if isinstance(part, str) and strip_next:
                part = part.lstrip(" ")
            strip_next = False
            out.append(part)
        missing = [i for i in self.texts if i not in seen]
        out.extend(self.texts[i] for i in missing)
        return TaggedText.from_parts(out), missing


def protect(tagged: TaggedText, spans: Sequence[Span]) -> Protected:
    """`tagged` with each span (offsets into its text) replaced by an empty tag; a span with a
    tag strictly inside it is left as text."""
    text = tagged.text
    inner = [o for o, _ in tagged.tags]
    chosen = [s for s in sorted(spans) if not any(s.start < o < s.end for o in inner)]
    if not chosen:
        return Protected(tagged, {})
    next_id = max((tag.id for _, tag in tagged.tags), default=0) + 1
    tags = list(tagged.tags)
    parts: list[str | Tag] = []
    texts: dict[int, str] = {}
    spaces: set[int] = set()
    pos = index = 0
    for span in chosen:
        if span.start < pos:
            continue  # overlapping spans: the first one wins
        while index < len(tags) and tags[index][0] <= span.start:
            parts.append(text[pos : tags[index][0]])
            parts.append(tags[index][1])
            pos = tags[index][0]
            index += 1
        parts.append(text[pos : span.start])
        if span.kind == "space":
            parts.append(" ")
            spaces.add(next_id)
        parts.append(Tag(next_id, EMPTY))
        texts[next_id] = text[span.start : span.end]
        next_id += 1
        pos = span.end
    for offset, tag in tags[index:]:
        parts.append(text[pos:offset])
        parts.append(tag)
        pos = offset
    parts.append(text[pos:])
    return Protected(TaggedText.from_parts(parts), texts, frozenset(spaces))


Spellings = dict[str, list[str]]  # character → how each occurrence was written, in order


def spellings(pieces: Iterable[tuple[str, str]]) -> Spellings:
    """How each character that a reference stood for was written, occurrence by occurrence:
    `pieces` are (decoded, raw) in document order, a reference being one character and its
    spelling (`("\u00a0", "&nbsp;")`), other text the same on both sides."""
    pieces = list(pieces)
    wanted = {d for d, r in pieces if len(d) == 1 and r != d}
    out: Spellings = {}
    for decoded, raw in pieces:
        if decoded in wanted and raw != decoded:
            out.setdefault(decoded, []).append(raw)
            continue
        for char in decoded if raw == decoded else ():
            if char in wanted:
                out.setdefault(char, []).append(char)
    return out


def references(raw: str) -> Spellings:
    """`spellings` of a raw text that holds character references (`a&nbsp;b`), decoded as HTML
    decodes them."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _REFERENCE.finditer(raw):
        pieces.append((raw[pos : m.start()], raw[pos : m.start()]))
        pieces.append((html.unescape(m.group(0)), m.group(0)))
        pos = m.end()
    pieces.append((raw[pos:], raw[pos:]))
    return spellings(pieces)


def spelled(text: str, spelling: Spellings, escape: Callable[[str], str]) -> str:
    """`text` escaped with `escape`, the k-th occurrence of each character in `spelling` written
    as its k-th occurrence in the source was (`&nbsp;` stays `&nbsp;`, `&#160;` stays `&#160;`;
    extra occurrences take the last spelling)."""
    if not spelling:
        return escape(text)
    out: list[str] = []
    seen: dict[str, int] = {}
    start = 0
    for pos, char in enumerate(text):
        if char in spelling:
            ways = spelling[char]
            way = ways[min(seen.get(char, 0), len(ways) - 1)]
            seen[char] = seen.get(char, 0) + 1
            out.append(escape(text[start:pos]))
            out.append(escape(char) if way == char else way)
            start = pos + 1
    out.append(escape(text[start:]))
    return "".join(out)
