"""Subtitles (SRT and WebVTT): cue numbers, timings, settings, the WEBVTT header and NOTE,
STYLE and REGION blocks are kept exactly; only cue text is translated.

A cue's text is cut into *pieces*: one per speaker (a line opening with a dialogue dash
starts one), and in a cue of more than two lines (credits, a cast list, lyrics) one per line,
unless a line carries on the sentence of the line before (no sentence end before it, a lower
case letter starting it). A dialogue dash (`- `, `– `) opening a piece and a continuation dash
(` -`) ending one are kept out of the text sent to the model and put back at the edges of
the piece's lines, whatever the model returns.

A unit is a sentence, not a cue: the last piece of a cue is joined (line breaks become
spaces) with the first piece of the next cue while the sentence has not ended (`.`, `!`, `?`,
`…`, possibly followed by a closing quote or bracket), the next piece does not open with a
dialogue dash, neither cue is a many-line cue, four pieces have not been joined yet, and the
sentence goes on: the next piece starts with a lower case letter, the piece before ends with
a comma, semicolon or continuation dash, or the sentence ends within those four pieces
(credits that never end a sentence are never joined). The translation of the whole sentence
is then cut back into the same pieces in proportion to the length of each piece's source
text, at the nearest word boundary (preferring one after punctuation only where the source
piece ended with punctuation), so a translation as long as its source is cut exactly where
the source was.

Each piece has a line budget: its own number of lines, plus the lines its cue has to spare
under two (a one-line cue may grow to two lines, each speaker of a two-speaker cue keeps one
line, a line of the credits stays one line). Its text is wrapped to the fewest lines of at
most 42 characters within that budget, balanced; text that cannot fit takes the whole budget
with longer lines and is reported in `warnings`, never truncated and never given more lines.
A cue is never written empty: when the translation has fewer words than the sentence has
pieces, each word goes to the piece its middle falls in; a cue left without any text is
removed, the cue before it lasting until the removed one ended; an empty translation keeps
the source text. Both are reported in `warnings`. A unit whose target equals its source is
written back byte for byte.

Inline markup (`<i>`, `<b>`, `<u>`, `<font …>`, VTT `<c.class>`, `<v Speaker>`, `<lang …>`,
`<ruby>`/`<rt>`, karaoke timestamps, SRT `{\\an8}` overrides) becomes tags: a pair when its
closing is found in the same unit, otherwise a standalone tag. A pair that a cut crosses is
closed at the end of one cue and reopened at the start of the next.

A small parser of our own rather than `srt`/`webvtt-py`: those rebuild the file from their
objects (losing unusual spacing, numbering and comment blocks) and report broken timestamps
without a line number; this one keeps every other byte and names the line. (The tests check
its outputs with both.)
"""

from __future__ import annotations

import bisect
import codecs
import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

from dilmanc.documents.base import Document, InlineCode, Translated, Unit
from dilmanc.documents.repair import complete
from dilmanc.errors import InputError
from dilmanc.fileio import read_document_text
from dilmanc.languages import Language
from dilmanc.text.placeholders import Spellings, references, spelled
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText, split

MAX_LINE = 42
MAX_LINES = 2
MAX_CUES_PER_SENTENCE = 4

Token = tuple[str, str, str]  # ("text", "", decoded text) or ("open"|"close"|"empty", name, raw)

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_SRT_TIME = r"(\d{1,3}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(.*)")
_VTT_TIME = r"(?:(\d{1,}):)?(\d{2}):(\d{2})\.(\d{3})"
_VTT_TIMING = re.compile(rf"\s*{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?")
_MARKUP = re.compile(r"<(/?)([A-Za-z][\w-]*)([^<>]*)>|<\d[\d:.]*>|\{\\[^{}]*\}")
_SENTENCE_END = re.compile(r"[.!?…؟。]+[\"'»”’)\]]*\s*$")
_GOES_ON = re.compile(r"[,;]\s*$")
_DASH_OPENING = re.compile(r"\s*[-–—](?!\d)\s*")  # "- Salam", "–Salam"; not "-5 dərəcə"
_DASH_CLOSING = re.compile(r"\s*(?:--|[-–—])\s*$")  # "… ki -", "… ki—"
_PUNCT_BEFORE = re.compile(r"[,.;:!?…)\]»”]$")
_MARKUP_HEAD = re.compile(r"^(?:<[^<>]*>|\{\\[^{}]*\})*")
_MARKUP_TAIL = re.compile(r"(?:<[^<>]*>|\{\\[^{}]*\})*$")


@dataclass
class _Cue:
    number: int  # ordinal position among the cues, from 1
    label: str  # SRT number or VTT identifier (may be empty in VTT)
    line: int  # line number of the timing line
    text_first: int  # index of the first text line in the file's lines
    text_end: int  # index after the last text line
    block_first: int  # index of the block's first line (its number or identifier, or timing)
    end_time: tuple[int, int]  # where the end time is in the timing line
    pieces: list[_Piece] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.label or self.number)


@dataclass
class _Piece:
    """Lines [first, end) of a cue's text that belong to one sentence: one speaker's lines,
    or one line of a many-line cue. The dashes at its edges stay out of its tokens."""

    cue: _Cue
    first: int
    end: int
    tokens: list[Token]
    budget: int  # lines it may take
    dash: str = ""  # a dialogue dash that opened its first line ("- ")
    dash_inside: bool = False  # ... after markup that opened the line ("<i>- Salam")
    tail: str = ""  # a continuation dash that ended its last line (" -")
    tail_inside: bool = False  # ... before markup that closed the line ("ki -</i>")
    many: bool = False  # from a cue of more than MAX_LINES lines: never joined across cues

    @property
    def plain(self) -> str:
        return "".join(raw for kind, _, raw in self.tokens if kind == "text")

    @property
    def opens_cue(self) -> bool:
        return self is self.cue.pieces[0]

    @property
    def closes_cue(self) -> bool:
        return self is self.cue.pieces[-1]


@dataclass(frozen=True)
class _Group:
    pieces: tuple[_Piece, ...]
    lengths: tuple[int, ...]  # plain-text length of each piece's part of the unit


class SubtitleDocument(Document):
    """Shared reader/writer; `SrtDocument` and `VttDocument` differ in syntax only."""

    #: VTT text has HTML-like entities (&amp; &lt; &gt; &nbsp;); SRT text is taken literally
    entities: ClassVar[bool] = False

    def __init__(
        self, path: Path | None, label: str, text: str, bom: bool, encoding: str = "utf-8"
    ) -> None:
        super().__init__(path, label)
        self.text = text
        self.bom = bom
        self.encoding = encoding
        self.lines = [m.group(0) for m in _LINE.finditer(text)]
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        first = self.lines[0] if self.lines else "\n"
        self.newline = first[len(first.rstrip("\r\n")) :] or "\n"
        self._spellings: Spellings = {}  # VTT: how a character read from a reference was written
        self.cues = self._parse([line.rstrip("\r\n") for line in self.lines])
        self._units: list[Unit] = []
        self._groups: dict[str, _Group] = {}
        self._build_units()
        #: what the last write could not do as asked (long lines, merged cues, empty targets)
        self.warnings: list[str] = []

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> SubtitleDocument:
        read = read_document_text(path, encoding)
        return cls(path, str(path), read.text, read.bom, read.encoding)

    @classmethod
    def from_text(cls, text: str, label: str = "standard input") -> SubtitleDocument:
        return cls(None, label, text, False)

    @property
    def size(self) -> int:
        return len(self._units)

    # --- parsing ---------------------------------------------------------------------------
    def _parse(self, bodies: list[str]) -> list[_Cue]:
        raise NotImplementedError

    def _error(self, line: int, problem: str) -> InputError:
        return InputError(f"{self.label}: line {line}: {problem}")

    def _check_times(self, m: re.Match, line: int, vtt: bool) -> None:
        groups = m.groups()
        times = []
        for first in (0, 4):
            hours, minutes, seconds, millis = groups[first : first + 4]
            if int(minutes) > 59 or int(seconds) > 59:
                raise self._error(line, f"broken timestamp (minutes or seconds over 59): {m[0]}")
            ms = int((millis + "00")[:3]) if not vtt else int(millis)
            times.append(((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + ms)
        if times[1] < times[0]:
            raise self._error(line, f"cue ends before it starts: {m[0].strip()}")

    def _tokens(self, text: str) -> list[Token]:
        """Cue text as ("text", "", decoded text) and ("open"|"close"|"empty", name, markup)."""
        out: list[Token] = []
        pos = 0
        for m in _MARKUP.finditer(text):
            if m.start() > pos:
                out.append(("text", "", self._unescape(text[pos : m.start()])))
            closing, name = m.group(1), (m.group(2) or "").lower()
            if not name:
                out.append(("empty", "timestamp" if m[0].startswith("<") else "override", m[0]))
            elif closing:
                out.append(("close", name, m[0]))
            elif m.group(3).rstrip().endswith("/") or name == "br":
                out.append(("empty", name, m[0]))
            else:
                out.append(("open", name, m[0]))
            pos = m.end()
        if pos < len(text):
            out.append(("text", "", self._unescape(text[pos:])))
        return out

    def _split(self, cue: _Cue, lines: list[str]) -> list[_Piece]:
        """A cue's text lines as pieces (see the module docstring); a cue without text
        (a timing line and nothing under it) has none and is written back as it is."""
        if not lines:
            return []
        tokens = [self._tokens(line.strip()) for line in lines]
        many = len(lines) > MAX_LINES
        spare = max(0, MAX_LINES - len(lines))
        starts: list[int] = []
        for number, line in enumerate(tokens):
            if (
                not starts
                or _opening_dash(line)
                or (many and not _goes_on(tokens[number - 1], line))
            ):
                starts.append(number)
        pieces = []
        for first, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            joined: list[Token] = []
            for number in range(first, end):
                if number > first:
                    joined.append(("text", "", " "))
                joined.extend(tokens[number])
            piece = _Piece(cue, first, end, joined, end - first + spare, many=many)
            piece.tokens, piece.dash, piece.dash_inside = _take_opening_dash(piece.tokens)
            piece.tokens, piece.tail, piece.tail_inside = _take_closing_dash(piece.tokens)
            pieces.append(piece)
        return pieces

    def _unescape(self, text: str) -> str:
        if not self.entities:
            return text
        for char, ways in references(text).items():
            self._spellings.setdefault(char, [ways[0]])
        return html.unescape(text)

    def _escape(self, text: str) -> str:
        """VTT: `&`, `<`, `>` escaped and a character read from a reference (`&nbsp;`, `&lrm;`)
        written as the file first spelled it (one spelling per character and file)."""
        if not self.entities:
            return text
        return spelled(text, self._spellings, _escape_vtt)

    # --- units -----------------------------------------------------------------------------
    def _build_units(self) -> None:
        pieces = [piece for cue in self.cues for piece in cue.pieces]
        group: list[_Piece] = []
        for index, piece in enumerate(pieces):
            if not any(char.isalpha() for char in piece.plain):
                self._flush(group)  # music notes, empty lines: never part of a sentence
                group = []
                continue
            group.append(piece)
            if not _joins(pieces, index, MAX_CUES_PER_SENTENCE - len(group)):
                self._flush(group)
                group = []
        self._flush(group)
        for before, after in zip(self._units, self._units[1:], strict=False):
            after.prev = before.source.text
            before.next = after.source.text

    def _flush(self, pieces: list[_Piece]) -> None:
        if not pieces:
            return
        tokens: list[Token] = []
        lengths: list[int] = []
        for number, piece in enumerate(pieces):
            if number:
                tokens.append(("text", "", " "))
            tokens.extend(piece.tokens)
            lengths.append(len(piece.plain) + (1 if number else 0))
        parts, codes = _tag(tokens)
        source = TaggedText.from_parts(parts)
        first, last = pieces[0], pieces[-1]
        where = f"cue {first.cue.name}"
        if last.cue is not first.cue:
            where = f"cues {first.cue.name}–{last.cue.name}"
        line = first.cue.line if first.opens_cue else first.cue.text_first + first.first + 1
        index = first.cue.pieces.index(first)
        unit_id = f"{first.cue.number}" + (f".{index + 1}" if index else "")
        unit = Unit(unit_id, source, codes, location=f"{where}, line {line}")
        self._units.append(unit)
        self._groups[unit.id] = _Group(tuple(pieces), tuple(lengths))

    def units(self) -> Iterator[Unit]:
        yield from self._units

    # --- writing ---------------------------------------------------------------------------
    def _layout(self, item: Translated) -> tuple[dict[int, list[str]], list[str]]:
        """The new lines of each piece of one translated unit (keyed by `id(piece)`; a piece
        whose words went to the piece before it gets none), and the layout warnings. No lines
        at all: the translation is empty and the source text is kept."""
        unit = item.unit
        group = self._groups[unit.id]
        target = complete(item.target, unit.codes, unit.source)
        target = target.sub(re.compile(r"\s+"), " ").strip()
        if not target.text.strip():
            where = unit.location.split(", line")[0]
            return {}, [f"{where}: the translation is empty; the source text is kept"]
        ends = tuple(bool(_PUNCT_BEFORE.search(piece.plain.rstrip())) for piece in group.pieces)
        bounds = _cuts(target.text, group.lengths, ends)
        runs = _runs([bool(target.text[a:b].strip()) for a, b in bounds])
        pieces = split(target, [(bounds[run[0]][0], bounds[run[-1]][1]) for run in runs])
        out: dict[int, list[str]] = {id(piece): [] for piece in group.pieces}
        warnings: list[str] = []
        for run, text in zip(runs, pieces, strict=True):
            first, last = group.pieces[run[0]], group.pieces[run[-1]]
            out[id(first)] = self._run_lines(text.strip(), first, last, unit.codes, warnings)
        return out, warnings

    def _run_lines(
        self,
        text: TaggedText,
        first: _Piece,
        last: _Piece,
        codes: dict[int, InlineCode],
        warnings: list[str],
    ) -> list[str]:
        """The lines of the text of pieces `first`..`last`, written where `first` was: wrapped
        to its budget, its dashes put back; a line too long for the budget is a warning."""
        # the dashes count in a line's length, and never stand on a line of their own
        probe = "x" * len(first.dash) + text.text + "x" * len(last.tail)
        breaks = _wrap(probe, first.budget)
        longest = max(len(line) for line in _lines(probe, breaks))
        if longest > MAX_LINE:
            lines = "line" if first.budget == 1 else "lines"
            warnings.append(
                f"cue {first.cue.name}: a line of {longest} characters "
                f"(limit {MAX_LINE} × {first.budget} {lines}); nothing was cut"
            )
        breaks = [offset - len(first.dash) for offset in breaks]
        out = self._render(text, codes, breaks).split("\n")
        out[0] = _put_back(out[0], first.dash, first.dash_inside, end=False)
        out[-1] = _put_back(out[-1], last.tail, last.tail_inside, end=True)
        return out

    def _render(self, piece: TaggedText, codes: dict[int, InlineCode], breaks: list[int]) -> str:
        out: list[str] = []
        for part_offset, part in _parts_with_offsets(piece):
            if isinstance(part, Tag):
                data = codes[part.id].data
                out.append(data if part.kind == EMPTY else data[0 if part.kind == OPEN else 1])
                continue
            chars = list(part)
            for br in breaks:
                if part_offset <= br < part_offset + len(part):
                    chars[br - part_offset] = "\n"
            out.append("\n".join(self._escape(chunk) for chunk in "".join(chars).split("\n")))
        return "".join(out)

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        self.warnings = []
        laid: dict[int, list[str]] = {}  # id(piece) → its new lines
        for unit in self._units:
            found = translations.get(unit.id)
            if found is None or found.target == unit.source:
                continue
            lines, warnings = self._layout(found)
            laid.update(lines)
            self.warnings.extend(warnings)
        replaced: dict[int, tuple[int, list[str]]] = {}  # first line → (end, new lines)
        merged: dict[int, list[_Cue]] = {}  # cue number → the cues merged into it
        kept: _Cue | None = None
        for cue in self.cues:
            if not any(id(piece) in laid for piece in cue.pieces):
                kept = cue
                continue
            lines = [line for piece in cue.pieces for line in self._lines_of(piece, laid)]
            if any(line.strip() for line in lines) or kept is None:
                replaced[cue.text_first] = (cue.text_end, [line for line in lines if line])
                kept = cue
                continue
            merged.setdefault(kept.number, [kept]).append(cue)
            replaced[self._block_start(cue)] = (cue.text_end, [])
        for first, *rest in merged.values():
            replaced[first.text_first - 1] = (first.text_first, [self._timing(first, rest[-1])])
            self.warnings.append(self._merged(first, rest))
        self._write_lines(handle, replaced)

    def _lines_of(self, piece: _Piece, laid: dict[int, list[str]]) -> list[str]:
        """The piece's new lines, or its source lines when it was not translated."""
        if id(piece) in laid:
            return laid[id(piece)]
        first = piece.cue.text_first
        return [line.rstrip("\r\n") for line in self.lines[first + piece.first : first + piece.end]]

    def _write_lines(self, handle: IO, replaced: dict[int, tuple[int, list[str]]]) -> None:
        out: list[str] = ["\ufeff"] if self.bom else []
        index = 0
        while index < len(self.lines):
            if index in replaced:
                end, lines = replaced[index]
                last = self.lines[end - 1]
                ending = last[len(last.rstrip("\r\n")) :]
                out.append(self.newline.join(lines) + ending if lines else "")
                index = end
                continue
            out.append(self.lines[index])
            index += 1
        handle.write("".join(out))

    def _end(self, cue: _Cue) -> str:
        return self.lines[cue.text_first - 1][slice(*cue.end_time)]

    def _merged(self, first: _Cue, rest: list[_Cue]) -> str:
        names = ", ".join(cue.name for cue in rest)
        return (
            f"cue {first.name}: the translation has fewer words than its sentence has cues; "
            f"cue {names} merged into it (it now ends at {self._end(rest[-1])})"
        )

    def _timing(self, first: _Cue, last: _Cue) -> str:
        """The first cue's timing line ending at the last cue's end time."""
        line = self.lines[first.text_first - 1]
        return (
            line[: first.end_time[0]] + self._end(last) + line[first.end_time[1] :].rstrip("\r\n")
        )

    def _block_start(self, cue: _Cue) -> int:
        """Where a cue's block starts, with the blank lines that separate it from the last
        block (so that removing it leaves one separator)."""
        start = cue.block_first
        while start > 0 and not self.lines[start - 1].strip():
            start -= 1
        return start


class SrtDocument(SubtitleDocument):
    format = "srt"
    extensions = (".srt",)

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
        return bool(re.match(r"\s*\d+\s*\r?\n" + _SRT_TIMING.pattern, text))

    def _parse(self, bodies: list[str]) -> list[_Cue]:
        cues: list[_Cue] = []
        index = 0
        while index < len(bodies):
            if not bodies[index].strip():
                index += 1
                continue
            label = bodies[index].strip()
            timing_at = index + 1
            if "-->" in label:  # a cue without its number
                label, timing_at = "", index
            elif not label.lstrip("\ufeff").isdigit():
                raise self._error(index + 1, f"expected a cue number, found {label[:40]!r}")
            if timing_at >= len(bodies):
                raise self._error(index + 1, "cue number without a timing line")
            m = _SRT_TIMING.fullmatch(bodies[timing_at])
            if m is None:
                raise self._error(
                    timing_at + 1,
                    f"broken timestamp {bodies[timing_at].strip()[:60]!r} "
                    "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)",
                )
            self._check_times(m, timing_at + 1, vtt=False)
            end = timing_at + 1
            while end < len(bodies) and bodies[end].strip():
                end += 1
            cue = _Cue(
                len(cues) + 1,
                label.lstrip("\ufeff"),
                timing_at + 1,
                timing_at + 1,
                end,
                index,
                _end_time(m),
            )
            cue.pieces = self._split(cue, bodies[timing_at + 1 : end])
            cues.append(cue)
            index = end
        if not cues:
            raise InputError(f"{self.label}: no subtitle cues found")
        return cues


class VttDocument(SubtitleDocument):
    format = "vtt"
    extensions = (".vtt",)
    entities = True

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.lstrip(codecs.BOM_UTF8).startswith(b"WEBVTT")

    def _parse(self, bodies: list[str]) -> list[_Cue]:
        if not bodies or not re.match(r"WEBVTT(?:[ \t].*)?$", bodies[0].lstrip("\ufeff")):
            raise self._error(1, "a WebVTT file must start with 'WEBVTT'")
        cues: list[_Cue] = []
        index = 1
        while index < len(bodies) and bodies[index].strip():
            index += 1  # header lines
        while index < len(bodies):
            if not bodies[index].strip():
                index += 1
                continue
            end = index
            while end < len(bodies) and bodies[end].strip():
                end += 1
            first = bodies[index]
            if re.match(r"(NOTE|STYLE|REGION)(?:[ \t]|$)", first) and "-->" not in first:
                index = end  # kept as it is
                continue
            label = ""
            timing_at = index
            if "-->" not in first:
                label, timing_at = first.strip(), index + 1
            if timing_at >= end or "-->" not in bodies[timing_at]:
                raise self._error(
                    timing_at + 1, f"expected a cue timing line, found {first.strip()[:40]!r}"
                )
            m = _VTT_TIMING.fullmatch(bodies[timing_at])
            if m is None:
                raise self._error(
                    timing_at + 1,
                    f"broken timestamp {bodies[timing_at].strip()[:60]!r} "
                    "(expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm [settings])",
                )
            self._check_times(m, timing_at + 1, vtt=True)
            end = _vtt_text_end(bodies, timing_at + 1, end)
            cue = _Cue(len(cues) + 1, label, timing_at + 1, timing_at + 1, end, index, _end_time(m))
            cue.pieces = self._split(cue, bodies[timing_at + 1 : end])
            cues.append(cue)
            index = end
        return cues


# --- helpers ---------------------------------------------------------------------------------
def _vtt_text_end(bodies: list[str], first: int, end: int) -> int:
    """Where a VTT cue's text ends: at the block's end, or earlier at a line containing "-->"
    (the WebVTT parsing algorithm starts the next cue there, blank line or not)."""
    return next((i for i in range(first, end) if "-->" in bodies[i]), end)


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_of(tokens: list[Token]) -> str:
    return "".join(raw for kind, _, raw in tokens if kind == "text")


def _opening_dash(tokens: list[Token]) -> bool:
    """Whether a line opens with a dialogue dash (after any markup that opens it)."""
    return bool(_take_opening_dash(tokens)[1])


def _goes_on(before: list[Token], line: list[Token]) -> bool:
    """Whether `line` carries on the sentence of the line before it (in a many-line cue)."""
    first = next((char for char in _text_of(line) if char.isalpha()), "")
    return first.islower() and not _SENTENCE_END.search(_text_of(before))


def _take_opening_dash(tokens: list[Token]) -> tuple[list[Token], str, bool]:
    """(tokens without it, the dialogue dash that opens them, whether markup precedes it)."""
    for index, (kind, name, raw) in enumerate(tokens):
        if kind == "close":
            break
        if kind != "text":
            continue
        m = _DASH_OPENING.match(raw)
        if m is None or (not raw[m.end() :].strip() and index == len(tokens) - 1):
            break
        rest = [(kind, name, raw[m.end() :])] if raw[m.end() :] else []
        return [*tokens[:index], *rest, *tokens[index + 1 :]], raw[: m.end()].lstrip(), index > 0
    return tokens, "", False


def _take_closing_dash(tokens: list[Token]) -> tuple[list[Token], str, bool]:
    """(tokens without it, the continuation dash that ends them, whether markup follows it)."""
    for index in range(len(tokens) - 1, -1, -1):
        kind, name, raw = tokens[index]
        if kind == "open":
            break
        if kind != "text":
            continue
        m = _DASH_CLOSING.search(raw)
        if m is None or not any(
            char.isalpha() for char in _text_of(tokens[:index]) + raw[: m.start()]
        ):
            break
        rest = [(kind, name, raw[: m.start()])] if raw[: m.start()] else []
        tail = raw[m.start() :].rstrip()
        return [*tokens[:index], *rest, *tokens[index + 1 :]], tail, index < len(tokens) - 1
    return tokens, "", False


def _joins(pieces: list[_Piece], index: int, room: int) -> bool:
    """Whether the sentence of `pieces[index]` goes on into the next piece (module docstring)."""
    if not _chained(pieces, index) or room <= 0:
        return False
    piece, after = pieces[index], pieces[index + 1]
    if _SENTENCE_END.search(piece.plain):
        return False
    first = next((char for char in after.plain if char.isalpha()), "")
    if first.islower() or piece.tail or _GOES_ON.search(piece.plain):
        return True
    for ahead in range(index + 1, index + 1 + room):  # does the sentence end in reach?
        if _SENTENCE_END.search(pieces[ahead].plain):
            return True
        if not _chained(pieces, ahead):
            return False
    return False


def _chained(pieces: list[_Piece], index: int) -> bool:
    """Whether the piece after `pieces[index]` may continue its sentence at all: it opens the
    next cue, neither is from a many-line cue, it has words and no dialogue dash."""
    if index + 1 >= len(pieces):
        return False
    piece, after = pieces[index], pieces[index + 1]
    return (
        piece.closes_cue
        and after.opens_cue
        and after.cue.number == piece.cue.number + 1
        and not (piece.many or after.many or after.dash)
        and any(char.isalpha() for char in after.plain)
    )


def _put_back(line: str, dash: str, inside: bool, *, end: bool) -> str:
    """`line` with a dash put back at its start (or its `end`), inside the markup at that
    edge when the source had it there ("<i>- Salam</i>", "ki -</i>")."""
    if not dash:
        return line
    if end:
        at = _MARKUP_TAIL.search(line).start() if inside else len(line)
    else:
        at = _MARKUP_HEAD.match(line).end() if inside else 0
    return line[:at] + dash + line[at:]


def _tag(tokens: list[Token]) -> tuple[list[str | Tag], dict[int, InlineCode]]:
    """Number the markup: an opening with its matching closing is a pair, the rest standalone."""
    partner: dict[int, int] = {}
    stack: list[int] = []
    for index, (kind, name, _) in enumerate(tokens):
        if kind == "open":
            stack.append(index)
        elif kind == "close":
            for depth in range(len(stack) - 1, -1, -1):
                if tokens[stack[depth]][1] == name:
                    partner[stack[depth]] = index
                    partner[index] = stack[depth]
                    del stack[depth:]  # openings left inside are unclosed: standalone
                    break
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    ids: dict[int, int] = {}
    for index, (kind, name, raw) in enumerate(tokens):
        if kind == "text":
            parts.append(raw)
            continue
        if index in partner and kind == "open":
            tag_id = len(codes) + 1
            ids[index] = ids[partner[index]] = tag_id
            codes[tag_id] = InlineCode(tag_id, "pair", name, (raw, tokens[partner[index]][2]))
            parts.append(Tag(tag_id, OPEN))
        elif index in partner:
            parts.append(Tag(ids[index], CLOSE))
        else:
            tag_id = len(codes) + 1
            codes[tag_id] = InlineCode(tag_id, "standalone", name or kind, raw)
            parts.append(Tag(tag_id, EMPTY))
    return parts, codes


def _cuts(
    text: str, lengths: tuple[int, ...], punctuated: tuple[bool, ...] = ()
) -> list[tuple[int, int]]:
    """Cut `text` into len(lengths) spans in proportion to `lengths`, at the word boundary
    nearest to each proportional point; a boundary after punctuation is preferred where the
    source piece ended with punctuation (`punctuated`), at most a few characters away."""
    if len(lengths) == 1:
        return [(0, len(text))]
    spaces = [m.start() for m in re.finditer(r" ", text)]
    if len(spaces) < len(lengths) - 1:
        return _few_words(text, lengths)
    total = sum(lengths) or 1
    cuts: list[int] = []
    done = 0
    for number, length in enumerate(lengths[:-1]):
        done += length
        ideal = done / total * len(text)
        left = len(lengths) - 1 - number  # cuts still to place after this one
        floor = cuts[-1] + 1 if cuts else 1
        usable = [s for s in spaces if s >= floor and sum(t > s for t in spaces) >= left - 1]
        if not usable:
            cuts.append(len(text) if not cuts else max(cuts[-1], len(text)))
            continue
        bonus = 0.08 * len(text) if number < len(punctuated) and punctuated[number] else 0.0

        def cost(space: int, ideal: float = ideal, bonus: float = bonus) -> float:
            return abs(space - ideal) - (bonus if _PUNCT_BEFORE.search(text[:space]) else 0.0)

        cuts.append(min(usable, key=cost))
    bounds = []
    start = 0
    for cut in cuts:
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(text)))
    return bounds


def _few_words(text: str, lengths: tuple[int, ...]) -> list[tuple[int, int]]:
    """Fewer words than cues: each word goes to the cue its middle falls in (in proportion to
    the cues' lengths); a cue that gets no word gets an empty span."""
    edges = list(itertools.accumulate(lengths))
    scale = edges[-1] / (len(text) or 1)
    cues = [
        min(bisect.bisect_right(edges, (m.start() + m.end()) / 2 * scale), len(lengths) - 1)
        for m in re.finditer(r"\S+", text)
    ]
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    cuts = [0]
    for cue in range(1, len(lengths)):
        later = [start for start, c in zip(starts, cues, strict=True) if c >= cue]
        cuts.append(max(later[0] - 1, 0) if later else len(text))
    return list(zip(cuts, [*cuts[1:], len(text)], strict=True))


def _runs(filled: list[bool]) -> list[list[int]]:
    """Piece indexes grouped so that each group holds one filled piece: an empty piece joins
    the filled piece before it (the first filled one when none is before it)."""
    runs: list[list[int]] = []
    waiting: list[int] = []
    for index, full in enumerate(filled):
        if full:
            runs.append([*waiting, index])
            waiting = []
        elif runs:
            runs[-1].append(index)
        else:
            waiting.append(index)
    return runs


def _end_time(m: re.Match) -> tuple[int, int]:
    """Where the end time is in a timing line matched by _SRT_TIMING or _VTT_TIMING."""
    return (m.start(5) if m.group(5) is not None else m.start(6)), m.end(8)


def _wrap(text: str, budget: int) -> list[int]:
    """Offsets of the spaces to turn into line breaks: the fewest lines of at most MAX_LINE
    characters, at most `budget` of them, as even as they can be (longer lines last on
    ties); `budget` lines as even as they can be when the text does not fit."""
    if len(text) <= MAX_LINE or budget <= 1:
        return []
    spaces = [m.start() for m in re.finditer(r" ", text)]
    fitting = _fill(text, spaces, MAX_LINE)
    lines = min(len(fitting) + 1, budget) if fitting is not None else budget
    low, high = 1, len(text)
    while low < high:  # the narrowest width that still takes no more than `lines` lines
        width = (low + high) // 2
        breaks = _fill(text, spaces, width)
        if breaks is not None and len(breaks) < lines:
            high = width
        else:
            low = width + 1
    return _fill(text, spaces, low) or []


def _fill(text: str, spaces: list[int], width: int) -> list[int] | None:
    """Breaks that fill lines of at most `width` characters from the end (the fewest lines);
    None when a word is longer than `width`."""
    breaks: list[int] = []
    end = len(text)
    while end > width:
        fits = [space for space in spaces if space < end and end - space - 1 <= width]
        if not fits:
            return None
        breaks.append(fits[0])
        end = fits[0]
    return breaks[::-1]


def _lines(text: str, breaks: list[int]) -> list[str]:
    out, start = [], 0
    for br in breaks:
        out.append(text[start:br])
        start = br + 1
    out.append(text[start:])
    return out


def _parts_with_offsets(tagged: TaggedText) -> Iterator[tuple[int, str | Tag]]:
    offset = 0
    for part in tagged.parts():
        yield offset, part
        if isinstance(part, str):
            offset += len(part)
