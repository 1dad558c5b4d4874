"""The segment stage: a unit's source cut into sentences to translate and stretches to keep.

Each sentence keeps the inline tags that fall inside it, numbered locally (`Piece.key`), so
that identical sentences are translated once per run and target; its placeholders become
empty tags after its own, for the model only (`Piece.protected`). Units are prepared as they
are read and handed on in chunks of about `chunk_segments` sentences (`chunks`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dilmanc.documents.base import Unit, UnitState
from dilmanc.pipeline.fit import Fitter
from dilmanc.pipeline.reports import PipelineReport
from dilmanc.text.placeholders import Protected, Scan, Span, protect, scan
from dilmanc.text.segment import segment_line
from dilmanc.text.tagged import TaggedText, is_markup_list, split


@dataclass
class Piece:
    tagged: TaggedText  # with the unit's tag ids
    translate: bool
    key: str = ""  # the locally numbered compact form: identical sentences share it
    local: TaggedText | None = None
    back: dict[int, int] | None = None
    protected: Protected | None = None  # `local` with its placeholders as tags, for the model

    @property
    def model_input(self) -> TaggedText:
        return self.protected.tagged if self.protected else self.local


@dataclass
class Prepared:
    unit: Unit
    pieces: list[Piece] | None  # None: the unit is carried through unchanged

    def sentences(self) -> list[Piece]:
        return [piece for piece in self.pieces or () if piece.translate]


def where(unit: Unit) -> str:
    return unit.location or f"unit {unit.id}"


def segment_unit(
    source: TaggedText, language: str, fit: Fitter | None = None, found: Scan | None = None
) -> tuple[list[tuple[TaggedText, bool]], int]:
    """Cut a unit's source into sentences to translate and stretches to keep (line by line;
    tags that cross a cut are reopened, see `tagged.split`); `fit` splits sentences a model
    could not read whole. The skeleton of an ICU message (`found`, else scanned here) is kept
    and each of its sub-messages is segmented on its own. Returns the pieces and how many
    sentences were split.

    A unit that is mostly markup (a menu, a row of links: see `tagged.is_markup_list`) is
    cut at every tag instead: each stretch of text goes to the model alone and the tags stay
    exactly where they were, so a model has no tags to lose."""
    if is_markup_list(source):
        return _markup_pieces(source, language, fit)
    text = source.text
    found = found if found is not None else scan(text)
    bounds: list[tuple[int, int]] = []
    flags: list[bool] = []
    split_count = 0
    pos = 0
    for start, end in [*found.skeleton, (len(text), len(text))]:
        for line in text[pos:start].splitlines(keepends=True):
            body = line.rstrip("\r\n")
            pieces = segment_line(body, language)
            if fit is not None:
                fitted = fit(pieces)
                pieces, split_count = fitted.pieces, split_count + fitted.split
            for piece in pieces:
                bounds.append((pos, pos + len(piece.text)))
                flags.append(piece.translate)
                pos += len(piece.text)
            if len(line) > len(body):
                bounds.append((pos, pos + len(line) - len(body)))
                flags.append(False)
                pos += len(line) - len(body)
        if end > start:
            bounds.append((start, end))
            flags.append(False)
            pos = end
    if not bounds:
        return [(source, False)], 0
    return list(zip(split(source, bounds), flags, strict=True)), split_count


def _markup_pieces(
    source: TaggedText, language: str, fit: Fitter | None
) -> tuple[list[tuple[TaggedText, bool]], int]:
    """A markup list cut at every tag: its stretches of text segmented, its tags kept."""
    pieces: list[tuple[TaggedText, bool]] = []
    split_count = 0
    for part in source.parts():
        if isinstance(part, str):
            found, count = segment_unit(TaggedText(part), language, fit)
            pieces, split_count = pieces + found, split_count + count
        else:
            pieces.append((TaggedText("", ((0, part),)), False))
    return pieces, split_count


def _inside(spans: list[Span], start: int, end: int) -> list[Span]:
    """The spans within [start, end), with offsets from `start`."""
    return [
        Span(s.start - start, s.end - start, s.kind)
        for s in spans
        if start <= s.start and s.end <= end
    ]


@dataclass(frozen=True)
class Segmenter:
    """The segment stage for one source language (and the models' length limits)."""

    language: str
    fit: Fitter | None = None
    overwrite: bool = False

    def __call__(self, unit: Unit, stats: PipelineReport) -> Prepared:
        if not unit.translate or (keeps(unit) and not self.overwrite):
            return Prepared(unit, None)
        found = scan(unit.source.text)
        parts, split_count = segment_unit(unit.source, self.language, self.fit, found)
        if split_count:
            stats.segments.split += split_count
            stats.warn(
                f"{where(unit)}: {split_count} sentence(s) too long for the model, "
                "translated in parts"
            )
        pieces = []
        end = 0
        for tagged, translate in parts:
            start, end = end, end + len(tagged.text)
            piece = _piece(tagged, translate, _inside(found.placeholders, start, end))
            if piece.translate:
                stats.segments.total += 1
            elif tagged.text.strip():
                stats.segments.passthrough += 1
            pieces.append(piece)
        return Prepared(unit, pieces)

    def chunks(
        self, units: Iterable[Unit], size: int, stats: PipelineReport
    ) -> Iterator[list[Prepared]]:
        """Prepare units as they are read; yield lists holding about `size` sentences."""
        chunk: list[Prepared] = []
        segments = 0
        started = time.perf_counter()
        for unit in units:
            prepared = self(unit, stats)
            stats.segments.units += 1
            segments += len(prepared.sentences())
            chunk.append(prepared)
            if segments >= size or len(chunk) >= 4 * size:
                stats.seconds["segment"] += time.perf_counter() - started
                yield chunk
                chunk, segments = [], 0
                started = time.perf_counter()
        stats.seconds["segment"] += time.perf_counter() - started
        if chunk:
            yield chunk


def _piece(tagged: TaggedText, translate: bool, placeholders: list[Span]) -> Piece:
    """One stretch of a unit: a sentence (locally numbered, placeholders protected) or kept."""
    piece = Piece(tagged, translate and bool(tagged.text.strip()))
    if piece.translate:
        piece.local, piece.back = tagged.renumbered()
        piece.key = piece.local.render()
        if placeholders:
            piece.protected = protect(piece.local, placeholders)
            piece.translate = any(c.isalpha() for c in piece.protected.tagged.text)
    return piece


def keeps(unit: Unit) -> bool:
    """An existing target a person made or approved is kept (unless overwriting); an
    empty, new or machine-made one (fuzzy PO entries, XLIFF mt-suggestions) is redone."""
    return unit.target is not None and unit.state in (UnitState.REVIEWED, UnitState.MEMORY)
