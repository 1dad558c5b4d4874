"""Subtitles (SRT and WebVTT): cue numbers, timings, settings, the WEBVTT header and NOTE,
STYLE and REGION blocks are kept exactly; only cue text is translated.

A unit is a sentence, not a cue: consecutive cues are joined (line breaks become spaces) until
one ends a sentence (`.`, `!`, `?`, `…`, possibly followed by a closing quote or bracket), the
next one starts a dialogue line (`-`), or four cues have been joined. The translation of the
whole sentence is then cut back into the same cues in proportion to the length of each cue's
source text (at the nearest word boundary, preferring one after punctuation), and each cue's
text is wrapped to at most 42 characters per line and at most 2 lines (balanced; a cue that
cannot fit keeps 2 longer lines and is reported in `warnings` / `layout_warnings`, never
truncated). A cue is never written empty: when the translation has fewer words than the
sentence has cues, each word goes to the cue its middle falls in and a cue left without one
is removed, the cue before it lasting until the removed one ended; an empty translation keeps
the source text. Both are reported in `warnings`. A unit whose target equals its source is
written back byte for byte.

Inline markup (`<i>`, `<b>`, `<u>`, `<font …>`, VTT `<c.class>`, `<v Speaker>`, `<lang …>`,
`<ruby>`/`<rt>`, karaoke timestamps, SRT `{\\an8}` overrides) becomes tags: a pair when its
closing is found in the same unit, otherwise a standalone tag. A pair that a cut crosses is
closed at the end of one cue and reopened at the start of the next.

A small parser of our own rather than `srt`/`webvtt-py`: those rebuild the file from their
objects (losing unusual spacing, numbering and comment blocks) and report broken timestamps
without a line number; this one keeps every other byte and names the line.
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

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_SRT_TIME = r"(\d{1,3}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(.*)")
_VTT_TIME = r"(?:(\d{1,}):)?(\d{2}):(\d{2})\.(\d{3})"
_VTT_TIMING = re.compile(rf"\s*{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?")
_MARKUP = re.compile(r"<(/?)([A-Za-z][\w-]*)([^<>]*)>|<\d[\d:.]*>|\{\\[^{}]*\}")
_SENTENCE_END = re.compile(r"[.!?…؟。]+[\"'»”’)\]]*\s*$")
_DIALOGUE = re.compile(r"^\s*(?:<[^>]+>\s*)*[-–—]")
_PUNCT_BEFORE = re.compile(r"[,.;:!?…)\]»”]$")


@dataclass
class _Cue:
    number: int  # ordinal position among the cues, from 1
    label: str  # SRT number or VTT identifier (may be empty in VTT)
    line: int  # line number of the timing line
    text_first: int  # index of the first text line in the file's lines
    text_end: int  # index after the last text line
    block_first: int  # index of the block's first line (its number or identifier, or timing)
    end_time: tuple[int, int]  # where the end time is in the timing line
    tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, raw)

    @property
    def plain(self) -> str:
        return "".join(raw for kind, _, raw in self.tokens if kind == "text")


@dataclass(frozen=True)
class _Run:
    """Cues written as one: the first keeps its number and takes the last one's end time."""

    cues: tuple[_Cue, ...]
    lines: list[str]


@dataclass(frozen=True)
class _Group:
    cues: tuple[_Cue, ...]
    lengths: tuple[int, ...]  # plain-text length of each cue's part of the unit


class SubtitleDocument(Document):
    """Shared reader/writer; `SrtDocument` and `VttDocument` differ in syntax only."""

    #: VTT text has HTML-like entities (&amp; &lt; &gt; &nbsp;); SRT text is taken literally
    entities: ClassVar[bool] = False

    def __init__(self, path: Path | None, label: str, text: str, bom: bool) -> None:
        super().__init__(path, label)
        self.text = text
        self.bom = bom
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
        #: cues whose translation did not fit MAX_LINES lines of MAX_LINE characters (last write)
        self.warnings: list[str] = []

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> SubtitleDocument:
        text, bom = read_document_text(path, encoding)
        return cls(path, str(path), text, bom)

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

    def _tokens(self, text: str) -> list[tuple[str, str, str]]:
        """Cue text as ("text", "", decoded text) and ("open"|"close"|"empty", name, markup)."""
        out: list[tuple[str, str, str]] = []
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

    def _cue_tokens(self, lines: list[str]) -> list[tuple[str, str, str]]:
        """A cue's lines joined by spaces; a line break before a dialogue dash is kept as a
        standalone "break" code so that each speaker keeps a line."""
        tokens: list[tuple[str, str, str]] = []
        for number, line in enumerate(lines):
            if number:
                dialogue = _DIALOGUE.match(line)
                tokens.append(("empty", "break", "\n") if dialogue else ("text", "", " "))
            tokens.extend(self._tokens(line.strip()))
        return tokens

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
        group: list[_Cue] = []
        for index, cue in enumerate(self.cues):
            if not any(char.isalpha() for char in cue.plain):
                self._flush(group)  # music notes, empty cues: never part of a sentence
                group = []
                continue
            group.append(cue)
            nxt = self.cues[index + 1] if index + 1 < len(self.cues) else None
            if (
                _SENTENCE_END.search(cue.plain)
                or nxt is None
                or _DIALOGUE.match(
                    self.lines[nxt.text_first] if nxt.text_end > nxt.text_first else ""
                )
                or len(group) >= MAX_CUES_PER_SENTENCE
            ):
                self._flush(group)
                group = []
        self._flush(group)
        for before, after in zip(self._units, self._units[1:], strict=False):
            after.prev = before.source.text
            before.next = after.source.text

    def _flush(self, cues: list[_Cue]) -> None:
        if not cues:
            return
        tokens: list[tuple[str, str, str]] = []
        lengths: list[int] = []
        for number, cue in enumerate(cues):
            if number:
                tokens.append(("text", "", " "))
            tokens.extend(cue.tokens)
            lengths.append(len(cue.plain) + (1 if number else 0))
        parts, codes = _tag(tokens)
        source = TaggedText.from_parts(parts)
        first, last = cues[0], cues[-1]
        where = f"cue {first.label or first.number}"
        if len(cues) > 1:
            where = f"cues {first.label or first.number}–{last.label or last.number}"
        unit = Unit(str(first.number), source, codes, location=f"{where}, line {first.line}")
        self._units.append(unit)
        self._groups[unit.id] = _Group(tuple(cues), tuple(lengths))

    def units(self) -> Iterator[Unit]:
        yield from self._units

    # --- writing ---------------------------------------------------------------------------
    def layout(self, item: Translated) -> tuple[list[_Run], list[str]]:
        """The new text lines of one translated unit, run by run (a run is one cue, or a cue
        that also takes the time of the next ones when the translation has fewer words than
        the unit has cues: a cue is never left empty), and the layout warnings. No runs: the
        translation is empty and the source text is kept."""
        unit = item.unit
        group = self._groups[unit.id]
        target = complete(item.target, unit.codes, unit.source)
        target = target.sub(re.compile(r"\s+"), " ").strip()
        if not target.text.strip():
            where = unit.location.split(", line")[0]
            return [], [f"{where}: the translation is empty; the source text is kept"]
        bounds = _cuts(target.text, group.lengths)
        runs = _runs([bool(target.text[a:b].strip()) for a, b in bounds])
        pieces = split(target, [(bounds[run[0]][0], bounds[run[-1]][1]) for run in runs])
        out: list[_Run] = []
        warnings = [self._merged(group, run) for run in runs if len(run) > 1]
        for run, piece in zip(runs, pieces, strict=True):
            cue = group.cues[run[0]]
            piece = piece.strip()
            kept = [o for o, t in piece.tags if unit.codes[t.id].name == "break"]
            breaks = [] if kept else _wrap(piece.text)
            lines = _lines(piece.text, breaks) if breaks else _cut_at(piece.text, kept)
            longest = max((len(line.strip()) for line in lines), default=0)
            if longest > MAX_LINE:
                warnings.append(
                    f"cue {cue.label or cue.number}: a line of {longest} characters "
                    f"(limit {MAX_LINE} × {MAX_LINES} lines); nothing was cut"
                )
            lines = self._render(piece, unit.codes, breaks).split("\n")
            out.append(_Run(tuple(group.cues[i] for i in run), lines))
        return out, warnings

    def _merged(self, group: _Group, run: list[int]) -> str:
        first, *rest = (group.cues[i] for i in run)
        end = self.lines[rest[-1].text_first - 1][slice(*rest[-1].end_time)]
        names = ", ".join(str(cue.label or cue.number) for cue in rest)
        return (
            f"cue {first.label or first.number}: the translation has fewer words than its "
            f"sentence has cues; cue {names} merged into it (it now ends at {end})"
        )

    def layout_warnings(self, item: Translated) -> tuple[str, ...]:
        """What `write` will report for this unit (for `Translated.warnings`)."""
        return tuple(self.layout(item)[1])

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
        replaced: dict[int, tuple[int, list[str]]] = {}  # first line → (end, new lines)
        for unit in self._units:
            found = translations.get(unit.id)
            if found is None or found.target == unit.source:
                continue
            runs, warnings = self.layout(found)
            self.warnings.extend(warnings)
            for run in runs:
                first = run.cues[0]
                replaced[first.text_first] = (first.text_end, [line for line in run.lines if line])
                if len(run.cues) > 1:
                    replaced[first.text_first - 1] = (first.text_first, [self._timing(run)])
                for cue in run.cues[1:]:
                    replaced[self._block_start(cue)] = (cue.text_end, [])
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

    def _timing(self, run: _Run) -> str:
        """The first cue's timing line ending at the last cue's end time."""
        first, last = run.cues[0], run.cues[-1]
        line = self.lines[first.text_first - 1]
        end = self.lines[last.text_first - 1][slice(*last.end_time)]
        return line[: first.end_time[0]] + end + line[first.end_time[1] :].rstrip("\r\n")

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
            cue.tokens = self._cue_tokens(bodies[timing_at + 1 : end])
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
            cue = _Cue(len(cues) + 1, label, timing_at + 1, timing_at + 1, end, index, _end_time(m))
            cue.tokens = self._cue_tokens(bodies[timing_at + 1 : end])
            cues.append(cue)
            index = end
        return cues


# --- helpers ---------------------------------------------------------------------------------
def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tag(tokens: list[tuple[str, str, str]]) -> tuple[list[str | Tag], dict[int, InlineCode]]:
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


def _cuts(text: str, lengths: tuple[int, ...]) -> list[tuple[int, int]]:
    """Cut `text` into len(lengths) spans in proportion to `lengths`, at word boundaries."""
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

        def cost(space: int, ideal: float = ideal) -> float:
            bonus = 0.08 * len(text) if _PUNCT_BEFORE.search(text[:space]) else 0.0
            return abs(space - ideal) - bonus

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
    """Cue indexes grouped so that each group holds one filled cue: an empty cue joins the
    filled cue before it (the first filled one when none is before it)."""
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


def _wrap(text: str) -> list[int]:
    """Offsets of the spaces to turn into line breaks: none when the text fits one line, else
    the one break that balances two lines best (a longer second line on ties)."""
    if len(text) <= MAX_LINE:
        return []
    spaces = [m.start() for m in re.finditer(r" ", text)]
    if not spaces:
        return []
    return [min(spaces, key=lambda s: (max(s, len(text) - s - 1), s > len(text) - s - 1))]


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


def _cut_at(text: str, offsets: list[int]) -> list[str]:
    out, start = [], 0
    for offset in offsets:
        out.append(text[start:offset])
        start = offset
    out.append(text[start:])
    return out
