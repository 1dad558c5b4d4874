"""The translation pipeline: units → sentences → memory → (glossary) → engine → verify → units.

Units arrive in document order and are processed in chunks of about `chunk_segments`
sentences, so a large file is read, translated and written piece by piece with flat memory.
Each unit's source (a TaggedText) is cut into sentences (line by line, Azerbaijani rules,
pass-through stretches kept verbatim); each sentence keeps the inline tags that fall inside it,
numbered locally so that identical sentences are translated once per run and target (a
bounded LRU cache per target serves repeats). Distinct sentences go to the glossary enforcer
and the engine in length-sorted batches under a token budget; an engine that loads lazily
(`dilmanc.engines.lazy`) loads when the first sentence reaches it, so a run the memory and
the machine cache serve entirely never loads a model.

With a glossary, the verify stage checks every translation the chunk produced or recalled,
whatever its origin (the model, the machine cache, a memory match), against the source's
terms in the target language: reports and totals count a sentence the same whether it was
translated now or served from the cache.

Inline tags travel into the model in their compact form. After decoding, pieces of tags the
model broke are removed from the text and each sentence's tags are checked (complete, well
nested, none invented): when the model kept them they stay where it put them. A sentence
whose output cannot be read back (tags lost, doubled, misnested or invented, or pieces of
tags in its text) is decoded once more without its tags, all such sentences of a batch
together (`_redecode`); when that plain output is clean it is used. Either way the tags are
then placed on the output words aligned to their source words by the engine's
cross-attention, or, as a last resort, back in source order at word boundaries — a tag is
never dropped (`TagOutcome` counts each case and the re-decodes). A unit that is mostly
markup (a row of links) is translated stretch by stretch, its tags never sent.

Placeholders (`text.placeholders`: printf, brace fields, `${…}`, `{{…}}`, ICU arguments,
character references, invisible characters) are tags too, for the model only: a sentence's
placeholders become empty tags after its own (`_Piece.protected`) and their text is put back
in the output, exactly once; the cache, the translation memory and the verify stage see the
sentence with its placeholders as text. One the model did not return is put back by the
alignment and named in a warning (`PipelineReport.placeholders` counts both). An ICU
plural/select is cut into its skeleton, kept like any pass-through stretch, and its
sub-messages, each a sentence.

Everything that is not a sentence (line endings, blank lines, spaces between sentences,
pass-through stretches, metadata prefixes) is copied verbatim, so a document's layout comes
out exactly as it went in. The pipeline prints nothing: progress goes to a callback.
"""

from __future__ import annotations

import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dilmanc.documents.base import Origin, TagOutcome, Translated, Unit, UnitState
from dilmanc.engines.base import DecodeOptions, Leg, TranslationResult
from dilmanc.errors import UsageError
from dilmanc.glossary.enforce import Candidate
from dilmanc.languages import Language
from dilmanc.pipeline.fit import Fitter, segment_fitter
from dilmanc.pipeline.recall import MemoryStage, Suggestion
from dilmanc.pipeline.reports import PipelineReport, QeCounts
from dilmanc.qe import DEFAULT_THRESHOLDS, Assessment, ModelSignals, Segment, Thresholds, assess
from dilmanc.qe import worst as worst_of
from dilmanc.text.align import drop_spans, place_tags, word_alignment
from dilmanc.text.placeholders import Protected, Scan, Span, protect, scan
from dilmanc.text.segment import segment_line
from dilmanc.text.tagged import (
    EMPTY,
    Edit,
    TaggedText,
    debris_spans,
    is_markup_list,
    join,
    parse,
    split,
)

if TYPE_CHECKING:
    from dilmanc.engines.base import Engine
    from dilmanc.glossary import TermEnforcer
    from dilmanc.glossary.enforce import EnforcedSegment, TermReport

# Receives each batch the verify stage checked: target iso, sources, CheckedSegments.
GlossarySink = Callable[[str, list[str], list["CheckedSegment"]], None]
# Called with the number of units finished (a progress bar's `advance`).
Advance = Callable[[int], None]
# Receives each chunk of translated units, per target language.
Emit = Callable[[str, list[Translated]], None]


@dataclass
class _Piece:
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
class _Output:
    """A sentence's translation, how its tags came through, where it came from, and what
    quality estimation made of it (set by the QE stage; the run's cache keeps it)."""

    tagged: TaggedText
    outcome: TagOutcome
    origin: Origin
    restored: tuple[str, ...] = ()  # placeholders the model lost, put back by the pipeline
    qe: Assessment | None = None


@dataclass(frozen=True)
class CheckedSegment:
    """A distinct sentence's translation as the verify stage checked it. `report.found` and
    `report.checks` are the verify stage's; the rest says how the glossary was enforced when
    the translation was made in this run (`strategy` is None for the cache and the memory)."""

    source: str  # compact tagged form
    tagged: TaggedText
    report: TermReport
    origin: Origin

    @property
    def output(self) -> str:
        return self.tagged.text

    def to_json(self) -> dict:
        return {"source": self.source, "origin": self.origin.value, **self.report.to_json()}


@dataclass
class _Fresh:
    """A translation new to this chunk, waiting for the verify stage."""

    local: TaggedText  # the sentence, locally numbered
    output: _Output
    enforced: TermReport | None = None  # the enforcer's report, for the model's output
    where: str = ""  # the first unit it belongs to (memory matches: for warnings)
    signals: ModelSignals | None = None  # the model's own, for its output
    copies: list[_Output] = field(default_factory=list)  # the same match elsewhere in the chunk


@dataclass
class _Unique:
    """What the engine step made of one distinct sentence."""

    tagged: TaggedText
    outcome: TagOutcome
    enforced: TermReport | None = None
    dropped: frozenset[int] = frozenset()  # empty tags the model did not return exactly once
    signals: ModelSignals | None = None


# A unit whose sentences came from several places is labelled by the least trusted one.
ORIGIN_RANK = [Origin.KEPT, Origin.TM_CONTEXT, Origin.TM_EXACT, Origin.CACHE, Origin.MACHINE]


def _stored(local: TaggedText, text: str, origin: Origin) -> _Output:
    """A stored translation (memory or cache, compact form) with the sentence's tags."""
    if not local.has_tags:
        return _Output(TaggedText(text), TagOutcome(), origin)
    expected = local.tag_set()
    parsed = parse(text, expected)
    if parsed.ok:
        return _Output(parsed.tagged, TagOutcome(len(expected), by_model=len(expected)), origin)
    placement = place_tags(local, _SPACES.sub(" ", parsed.tagged.text).strip(), None)
    count = len(expected)
    fallback = min(count, placement.fallback)
    return _Output(placement.tagged, TagOutcome(count, count - fallback, 0, fallback), origin)


@dataclass
class _Prepared:
    unit: Unit
    pieces: list[_Piece] | None  # None: the unit is carried through unchanged


_SPACES = re.compile(r"(?<=\S)[^\S\n]{2,}(?=\S)")


def _clean(output: str) -> str:
    """One segment's translation on one line: a stray line break would shift the layout."""
    if "\n" in output or "\r" in output:
        return " ".join(output.split())
    return output


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
        pieces: list[tuple[TaggedText, bool]] = []
        split_count = 0
        for part in source.parts():
            if isinstance(part, str):
                found, count = segment_unit(TaggedText(part), language, fit)
                pieces, split_count = pieces + found, split_count + count
            else:
                pieces.append((TaggedText("", ((0, part),)), False))
        return pieces, split_count
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


def _inside(spans: list[Span], start: int, end: int) -> list[Span]:
    """The spans within [start, end), with offsets from `start`."""
    return [
        Span(s.start - start, s.end - start, s.kind)
        for s in spans
        if start <= s.start and s.end <= end
    ]


class Pipeline:
    """Translate units from `source` into any language that `engines` (iso → Engine) serve."""

    def __init__(
        self,
        engines: dict[str, Engine],
        source: Language,
        *,
        decode: DecodeOptions | None = None,
        enforcer: TermEnforcer | None = None,
        progress: Advance | None = None,
        chunk_segments: int = 2000,
        cache_size: int = 20_000,
        glossary_sink: GlossarySink | None = None,
        overwrite: bool = False,
        memory: MemoryStage | None = None,
        qe: bool = True,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.engines = engines
        self.source = source
        self.decode = decode or DecodeOptions()
        self.enforcer = enforcer
        self.progress = progress
        self.chunk_segments = max(1, chunk_segments)
        self.cache_size = max(0, cache_size)
        self.glossary_sink = glossary_sink
        self.overwrite = overwrite
        self.glossary_reports: list[dict] = []  # per segment, kept when there is no sink
        self.stats = PipelineReport()
        self.qe = qe  # quality estimation of every translated sentence
        self.thresholds = thresholds
        if qe:
            self.stats.qe = QeCounts()
        if enforcer is not None:
            from dilmanc.glossary.enforce import GlossaryTotals

            self.stats.glossary = GlossaryTotals()
        self._caches: dict[str, OrderedDict[str, _Output]] = {}
        self.memory = memory
        if memory is not None:
            memory.use_glossary(enforcer.glossary if enforcer else None, _mode(enforcer))
        self._leg_enforcers: dict[tuple[str, str], TermEnforcer] = {}
        self._fit = segment_fitter(engines.values(), source)
        self._sent: dict[str, int] = {}  # target iso → segments sent to its engine

    # --- public API ---------------------------------------------------------------------------

    def use_enforcer(self, enforcer: TermEnforcer | None) -> None:
        """Enforce another glossary from now on (a document's own names); sentences already
        translated under the previous one are not reused."""
        self.enforcer = enforcer
        if enforcer is not None and self.stats.glossary is None:
            from dilmanc.glossary.enforce import GlossaryTotals

            self.stats.glossary = GlossaryTotals()  # a pipeline made without a glossary
        self._caches.clear()
        self._leg_enforcers.clear()
        if self.memory is not None:
            self.memory.use_glossary(enforcer.glossary if enforcer else None, _mode(enforcer))

    def use_qe(self, on: bool = True) -> None:
        """Estimate the quality of what is translated from now on (or stop)."""
        self.qe = on
        if on and self.stats.qe is None:
            self.stats.qe = QeCounts()
        self._caches.clear()  # entries made without QE carry no verdict

    def translate_units(self, units: Iterable[Unit], targets: list[Language], emit: Emit) -> None:
        """Translate `units` chunk by chunk into every target; `emit(iso, chunk)` receives the
        translated units in document order, once per target (the input is read once)."""
        for target in targets:
            self._engine_for(target)
        for chunk in self._chunks(units):
            for target in targets:
                translated = self._translate_chunk(chunk, target)
                started = time.perf_counter()
                emit(target.iso, translated)
                self.stats.seconds["write"] += time.perf_counter() - started
            if self.progress is not None:
                self.progress(len(chunk))

    def translate_text(self, text: str, target: Language) -> str:
        """Translate plain text; paragraphs, blank lines and line endings are kept."""
        return self.translate_texts([text], [target])[target.iso][0]

    def translate_texts(self, texts: list[str], targets: list[Language]) -> dict[str, list[str]]:
        """Translate many plain texts together (batched across texts) into every target:
        iso → the translations in the order of `texts`, layout kept as `translate_text`."""
        from dilmanc.documents.plaintext import TextDocument

        owner: dict[int, int] = {}  # id(unit) → index of its text
        units = []
        for number, text in enumerate(texts):
            for unit in TextDocument.from_text(text).units():
                owner[id(unit)] = number
                units.append(unit)
        out = {t.iso: [[] for _ in texts] for t in targets}

        def emit(iso: str, chunk: list[Translated]) -> None:
            for t in chunk:
                out[iso][owner[id(t.unit)]].append(t.target.text + t.unit.extra)

        self.translate_units(units, targets, emit)
        return {iso: ["".join(parts) for parts in texts_out] for iso, texts_out in out.items()}

    def translate_lines(self, lines: list[str], target: Language) -> list[str]:
        """Translate each line on its own: output line i is the translation of input line i."""
        out: list[str] = []
        units = (Unit(str(i), TaggedText(line)) for i, line in enumerate(lines, 1))
        self.translate_units(units, [target], lambda _, chunk: out.extend(_texts(chunk)))
        return out

    def translate_stream(
        self, lines: Iterable[str], targets: list[Language], write: Callable[[str, str], None]
    ) -> None:
        """Translate `lines` (each with its line ending) into every target; `write(iso, text)`
        receives each translated chunk in order."""
        from dilmanc.documents.plaintext import split_ending

        def units() -> Iterator[Unit]:
            for number, raw in enumerate(lines, 1):
                body, ending = split_ending(raw)
                yield Unit(str(number), TaggedText(body), extra=ending)

        self.translate_units(units(), targets, lambda iso, chunk: write(iso, _lines(chunk)))

    def report(self) -> dict:
        """The run so far as JSON (see `PipelineReport`)."""
        return self.stats.to_json()

    # --- internals ----------------------------------------------------------------------------

    def _engine_for(self, target: Language) -> Engine:
        engine = self.engines.get(target.iso)
        if engine is None:
            have = ", ".join(sorted(self.engines)) or "none"
            raise UsageError(f"no model loaded for target language {target.iso!r} (have: {have})")
        return engine

    def _prepare(self, unit: Unit) -> _Prepared:
        if not unit.translate or (self._keeps(unit) and not self.overwrite):
            return _Prepared(unit, None)
        pieces = []
        found = scan(unit.source.text)
        parts, split_count = segment_unit(unit.source, self.source.iso, self._fit, found)
        if split_count:
            self.stats.segments.split += split_count
            self._note_split(unit, split_count)
        end = 0
        for tagged, translate in parts:
            start, end = end, end + len(tagged.text)
            piece = _Piece(tagged, translate and bool(tagged.text.strip()))
            if piece.translate:
                piece.local, piece.back = tagged.renumbered()
                piece.key = piece.local.render()
                spans = _inside(found.placeholders, start, end)
                if spans:
                    piece.protected = protect(piece.local, spans)
                    piece.translate = any(c.isalpha() for c in piece.protected.tagged.text)
            if piece.translate:
                self.stats.segments.total += 1
            elif tagged.text.strip():
                self.stats.segments.passthrough += 1
            pieces.append(piece)
        return _Prepared(unit, pieces)

    @staticmethod
    def _keeps(unit: Unit) -> bool:
        """An existing target a person made or approved is kept (unless overwriting); an
        empty, new or machine-made one (fuzzy PO entries, XLIFF mt-suggestions) is redone."""
        return unit.target is not None and unit.state in (UnitState.REVIEWED, UnitState.MEMORY)

    def _note_split(self, unit: Unit, count: int) -> None:
        """A warning for the report and stderr: nothing is cut, but the model saw parts."""
        self._warn(
            f"{_where(unit)}: {count} sentence(s) too long for the model, translated in parts"
        )

    def _note_empty(self, unit: Unit, piece: _Piece, target: Language) -> None:
        """A warning for each sentence whose translation is empty (nothing is written for it)."""
        text = piece.tagged.text.strip()
        shown = text if len(text) <= 60 else text[:57] + "..."
        message = f"the model returned an empty translation into {target.iso} of {shown!r}"
        self._warn(f"{_where(unit)}: {message}")

    def _note_placeholders(self, unit: Unit, piece: _Piece, output: _Output) -> None:
        """Count the sentence's placeholders; a warning when the model lost some of them."""
        if piece.protected is None:
            return
        self.stats.placeholders.protected += len(piece.protected.texts)
        if output.restored:
            self.stats.placeholders.restored += len(output.restored)
            lost = " ".join(output.restored)
            self._warn(f"{_where(unit)}: the model dropped {lost}; put back by alignment")

    def _warn(self, message: str) -> None:
        """A warning for the report and stderr (the first 20; then one line saying so)."""
        if len(self.stats.warnings) < 20:
            self.stats.warnings.append(message)
        elif len(self.stats.warnings) == 20:
            self.stats.warnings.append("more warnings; see the report's segments and memory")

    def _chunks(self, units: Iterable[Unit]) -> Iterator[list[_Prepared]]:
        """Prepare units as they are read; yield lists holding ~chunk_segments sentences."""
        chunk: list[_Prepared] = []
        segments = 0
        limit = self.chunk_segments
        started = time.perf_counter()
        for unit in units:
            prepared = self._prepare(unit)
            self.stats.segments.units += 1
            segments += sum(p.translate for p in prepared.pieces or ())
            chunk.append(prepared)
            if segments >= limit or len(chunk) >= 4 * limit:
                self.stats.seconds["segment"] += time.perf_counter() - started
                yield chunk
                chunk, segments = [], 0
                started = time.perf_counter()
        self.stats.seconds["segment"] += time.perf_counter() - started
        if chunk:
            yield chunk

    def _translate_chunk(self, chunk: list[_Prepared], target: Language) -> list[Translated]:
        recalled = self._recall(chunk, target) if self.memory is not None else {}
        cache = self._caches.setdefault(target.iso, OrderedDict())
        found: dict[str, _Output | None] = {}
        fresh: list[_Fresh] = []  # translations new to this run's cache: verified below
        misses: list[_Piece] = []
        order: dict[str, int] = {}  # sentence → first position in the chunk
        for prepared in chunk:
            for piece in prepared.pieces or ():
                if piece.translate:
                    order.setdefault(piece.key, len(order))
                if not piece.translate or piece.key in found or id(piece) in recalled:
                    continue
                hit = cache.get(piece.key)
                if hit is None:
                    found[piece.key] = None
                    misses.append(piece)
                else:
                    cache.move_to_end(piece.key)
                    found[piece.key] = hit
        if misses and self.memory is not None:
            started = time.perf_counter()
            stored = self.memory.cached([piece.key for piece in misses], target.iso)
            for piece in [m for m in misses if m.key in stored]:
                output = _stored(piece.local, stored[piece.key], Origin.CACHE)
                found[piece.key] = output
                fresh.append(_Fresh(piece.local, output))
            misses = [m for m in misses if m.key not in stored]
            self.stats.seconds["memory"] += time.perf_counter() - started
        if misses:
            made = self._translate_unique([m.model_input for m in misses], target)
            for piece, unique in zip(misses, made, strict=True):
                output = _restored(piece, unique)
                found[piece.key] = output
                fresh.append(_Fresh(piece.local, output, unique.enforced, signals=unique.signals))
            if self.memory is not None:
                pairs = [(m.key, found[m.key].tagged.render()) for m in misses]
                self.memory.store(pairs, target.iso)
            sent = self._sent[target.iso] = self._sent.get(target.iso, 0) + len(misses)
            self.stats.segments.unique = max(self.stats.segments.unique, sent)
            self.stats.segments.translated += len(misses)
        for key, output in found.items():
            cache[key] = output
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        fresh += _recalled(chunk, recalled)
        fresh.sort(key=lambda item: order[item.local.render()])
        self._estimate(fresh, self._verify(fresh, target), target)
        return [self._assemble(prepared, found, recalled, target) for prepared in chunk]

    def _recall(self, chunk: list[_Prepared], target: Language) -> dict[int, _Output]:
        """Translation-memory matches per sentence occurrence (context needs neighbours)."""
        started = time.perf_counter()
        occurrences = [
            (prepared, piece)
            for prepared in chunk
            for piece in prepared.pieces or ()
            if piece.translate
        ]
        out: dict[int, _Output] = {}
        for k, (prepared, piece) in enumerate(occurrences):
            prev = occurrences[k - 1][1].key if k else prepared.unit.prev
            nxt = occurrences[k + 1][1].key if k + 1 < len(occurrences) else prepared.unit.next
            hit, fuzzy = self.memory.recall(piece.key, target.iso, prev, nxt)
            if hit is not None:
                out[id(piece)] = _stored(piece.local, hit.target, hit.origin)
            elif fuzzy is not None:
                self.stats.memory.fuzzy += 1
                if len(self.stats.memory.suggestions) < 200:
                    where = _where(prepared.unit)
                    self.stats.memory.suggestions.append(
                        Suggestion(where, piece.key, fuzzy.score, fuzzy.target, fuzzy.unit.source)
                    )
        self.stats.seconds["memory"] += time.perf_counter() - started
        return out

    def _verify(self, fresh: list[_Fresh], target: Language) -> list[tuple | None]:
        """The verify stage: each translation new to this chunk, whatever made it (the model,
        the machine cache, a memory match), is checked against the glossary terms of its
        source in the target language, then counted and reported the same way. Returns each
        item's term checks (None without a glossary) for the QE stage."""
        if self.enforcer is None or not fresh:
            return [None] * len(fresh)
        from dilmanc.glossary.enforce import TermReport, summarize
        from dilmanc.glossary.verify import check_terms, expected_terms

        started = time.perf_counter()
        glossary, lang = self.enforcer.glossary, target.iso
        checked: list[CheckedSegment] = []
        for item in fresh:
            terms = expected_terms(item.local.text, glossary, lang)
            checks = check_terms(item.output.tagged.text, terms, lang)
            report = replace(item.enforced or TermReport(None), found=terms, checks=checks)
            if report.retried:  # rescued: the retry left nothing failing in the final output
                report = replace(report, rescued=not report.failed)
            origin = item.output.origin
            checked.append(CheckedSegment(item.local.render(), item.output.tagged, report, origin))
            if report.failed and origin in (Origin.TM_EXACT, Origin.TM_CONTEXT):
                issues = "; ".join(check.describe() for check in report.failed)
                self._warn(f"{item.where}: memory target breaks the glossary: {issues}")
        self.stats.glossary = self.stats.glossary + summarize(checked)
        if self.glossary_sink is not None:
            self.glossary_sink(lang, [c.source for c in checked], checked)
        else:
            self.glossary_reports += [{"target": lang, **c.to_json()} for c in checked]
        self.stats.seconds["glossary"] += time.perf_counter() - started
        return [tuple(c.report.checks) for c in checked]

    def _estimate(self, fresh: list[_Fresh], checks: list[tuple | None], target: Language) -> None:
        """The QE stage, after verify: every translation new to this chunk, whatever made it,
        gets a verdict from the detectors (the model's signals only where the model made it
        in this run); the run's cache keeps the verdict with the translation."""
        if not self.qe:
            return
        started = time.perf_counter()
        for item, terms in zip(fresh, checks, strict=True):
            signals = item.signals or ModelSignals()
            segment = Segment(
                item.local.text,
                item.output.tagged.text,
                self.source.iso,
                target.iso,
                score=signals.score,
                alternatives=signals.alternatives,
                attention=signals.attention,
                source_tokens=signals.source_tokens,
                terms=terms,
                tags=item.output.outcome,
            )
            found = assess(segment, self.thresholds)
            for output in (item.output, *item.copies):
                output.qe = found
        self.stats.seconds["qe"] += time.perf_counter() - started

    def _assemble(
        self, prepared: _Prepared, found: dict, recalled: dict, target: Language
    ) -> Translated:
        unit = prepared.unit
        if prepared.pieces is None:
            self.stats.origins[Origin.KEPT] += 1
            return Translated(unit, unit.target or unit.source, Origin.KEPT)
        parts: list[TaggedText] = []
        outcome = TagOutcome()
        origin = Origin.KEPT
        assessments: list[Assessment] = []
        for piece in prepared.pieces:
            if piece.translate:
                output = recalled.get(id(piece)) or found[piece.key]
                if not output.tagged.text.strip():
                    self._note_empty(unit, piece, target)
                self._note_placeholders(unit, piece, output)
                parts.append(output.tagged.with_ids(piece.back))
                outcome += output.outcome
                if output.qe is not None:
                    assessments.append(output.qe)
                self.stats.memory.count(output.origin)
                origin = max(origin, output.origin, key=ORIGIN_RANK.index)
            else:
                parts.append(piece.tagged)
                if piece.tagged.tags and not piece.tagged.text:  # a markup list's own tags
                    kept = len(piece.tagged.tags)
                    outcome += TagOutcome(kept, by_model=kept)
        self.stats.origins[origin] += 1
        if outcome.tags:
            self.stats.units_with_tags += 1
            self.stats.tags += outcome
        qe = worst_of(*assessments) if assessments else None
        if qe is not None and self.stats.qe is not None:
            self.stats.qe.count(qe.verdict)
        return Translated(unit, join(parts), origin, outcome, qe=qe)

    def _translate_unique(self, segments: list[TaggedText], target: Language) -> list[_Unique]:
        """Distinct sentences through the glossary and the engine (each leg of a pivot)."""
        engine = self._engine_for(target)
        engine.load()  # a lazily loaded engine loads here, when a sentence first needs it
        legs = engine.legs(self.source, target)
        texts = segments
        outcomes: list[TagOutcome] | None = None
        signals: list[ModelSignals] | None = None
        first: list[EnforcedSegment] | None = None
        dropped: list[frozenset[int]] = [frozenset()] * len(segments)
        for index, leg in enumerate(legs):
            enforcer = self.enforcer if index == 0 else self._leg_enforcer(leg)
            texts, leg_outcomes, leg_signals, enforced, leg_dropped = self._run_leg(
                texts, leg, enforcer
            )
            outcomes = (
                leg_outcomes if outcomes is None else list(map(_worse, outcomes, leg_outcomes))
            )
            signals = leg_signals if signals is None else list(map(_weaker, signals, leg_signals))
            dropped = [a | b for a, b in zip(dropped, leg_dropped, strict=True)]
            first = enforced if index == 0 else first
        reports = [segment.report for segment in first] if first else [None] * len(texts)
        made = zip(texts, outcomes, reports, dropped, signals, strict=True)
        return [_Unique(*one) for one in made]

    def _leg_enforcer(self, leg: Leg) -> TermEnforcer | None:
        """A later pivot leg maps the pivot-language terms to the target's."""
        if self.enforcer is None:
            return None
        from dilmanc.glossary import TermEnforcer
        from dilmanc.glossary.pivot import pivot_glossary

        key = (leg.source.iso, leg.target.iso)
        if key not in self._leg_enforcers:
            glossary = pivot_glossary(self.enforcer.glossary, leg.source.iso, leg.target.iso)
            self._leg_enforcers[key] = TermEnforcer(
                glossary, self.enforcer.mode, n_best=self.enforcer.n_best
            )
        return self._leg_enforcers[key]

    def _run_leg(
        self, segments: list[TaggedText], leg: Leg, enforcer: TermEnforcer | None
    ) -> tuple[
        list[TaggedText],
        list[TagOutcome],
        list[ModelSignals],
        list[EnforcedSegment] | None,
        list[frozenset[int]],
    ]:
        """One leg through the engine (and the enforcer): outputs, how their tags came
        through, the model's signals for each (found by output, as the outcomes), the
        glossary's results, and the empty tags each output's model did not return exactly
        once."""
        engine_seconds = 0.0
        outcomes: dict[int, TagOutcome] = {}
        signals: dict[int, ModelSignals] = {}
        dropped: dict[int, frozenset[int]] = {}

        def run_engine(
            batch: list[TaggedText], n_best: int = 1, suppress: Sequence[str] = ()
        ) -> list:
            """Outputs of `batch` with their tags placed; with `n_best` > 1 a list of
            Candidates per segment (the enforcer picks one)."""
            nonlocal engine_seconds
            started = time.perf_counter()
            options = self.decode if n_best == 1 else replace(self.decode, num_hypotheses=n_best)
            # Each group is one buffer (sorted by length together); attention, which costs,
            # is asked for only where there are tags to place.
            results: list = [None] * len(batch)
            for with_tags in (False, True):
                group = [i for i, segment in enumerate(batch) if segment.has_tags == with_tags]
                if not group:
                    continue
                decoded = leg.engine.iter_results(
                    [batch[i].render() for i in group],
                    leg.source,
                    leg.target,
                    options,
                    buffer_size=len(group),
                    return_attention=with_tags,
                    suppress=suppress,
                )
                for i, result in zip(group, decoded, strict=True):
                    results[i] = result
            redecoding = time.perf_counter()
            again = _redecode(leg, batch, results, options, suppress)
            self.stats.redecode_seconds += time.perf_counter() - redecoding
            outputs: list = []
            for i, (segment, result) in enumerate(zip(batch, results, strict=True)):
                place = _place_plain if i in again else _place
                output, outcome = place(segment, result)
                outcomes[id(output)] = outcome
                dropped[id(output)] = _dropped(segment, result.text)
                if self.qe:
                    signals[id(output)] = ModelSignals.of(result)
                if n_best == 1:
                    outputs.append(output)
                    continue
                candidates = [Candidate(output, result.score)]
                for alternative in result.alternatives:  # no attention of their own
                    other, other_outcome = place(segment, TranslationResult(alternative.text))
                    outcomes[id(other)] = other_outcome
                    dropped[id(other)] = _dropped(segment, alternative.text)
                    if self.qe:
                        signals[id(other)] = ModelSignals.of(alternative, best=False)
                    candidates.append(Candidate(other, alternative.score))
                outputs.append(candidates)
            engine_seconds += time.perf_counter() - started
            return outputs

        def signals_of(outputs: list) -> list[ModelSignals]:
            return [signals.get(id(output)) or ModelSignals() for output in outputs]

        if enforcer is None:
            outputs = run_engine(segments)
            self.stats.seconds["engine"] += engine_seconds
            lost = [dropped[id(output)] for output in outputs]
            outs = [outcomes[id(output)] for output in outputs]
            return outputs, outs, signals_of(outputs), None, lost
        started = time.perf_counter()
        results = enforcer.translate(segments, leg.target.iso, run_engine)
        elapsed = time.perf_counter() - started
        self.stats.seconds["engine"] += engine_seconds
        self.stats.seconds["glossary"] += elapsed - engine_seconds
        raws = [r.raw for r in results]
        return (
            [r.tagged for r in results],
            [outcomes[id(r)] for r in raws],
            signals_of(raws),
            results,
            [dropped[id(r)] for r in raws],
        )


def _mode(enforcer: TermEnforcer | None) -> str | None:
    return enforcer.mode if enforcer is not None else None


def _worse(a: TagOutcome, b: TagOutcome) -> TagOutcome:
    """Two legs' outcomes for one sentence: placed by the model only if both legs kept them."""
    fallback = max(a.fallback, b.fallback)
    by_model = min(a.by_model, b.by_model)
    tags = max(a.tags, b.tags)
    redecoded = max(a.redecoded, b.redecoded)
    return TagOutcome(tags, by_model, tags - by_model - fallback, fallback, redecoded)


def _weaker(a: ModelSignals, b: ModelSignals) -> ModelSignals:
    return a.weaker(b)


def _where(unit: Unit) -> str:
    return unit.location or f"unit {unit.id}"


def _recalled(chunk: list[_Prepared], recalled: dict[int, _Output]) -> list[_Fresh]:
    """The chunk's memory matches for the verify stage: each sentence and target once."""
    out: dict[tuple[str, str], _Fresh] = {}
    for prepared in chunk:
        for piece in prepared.pieces or ():
            output = recalled.get(id(piece))
            if output is not None:
                key = (piece.key, output.tagged.render())
                if key not in out:
                    out[key] = _Fresh(piece.local, output, where=_where(prepared.unit))
                else:
                    out[key].copies.append(output)
    return list(out.values())


def _texts(chunk: list[Translated]) -> list[str]:
    return [t.target.text for t in chunk]


def _lines(chunk: list[Translated]) -> str:
    """Translated lines with their endings (plain-text units keep theirs in `extra`)."""
    return "".join(t.target.text + t.unit.extra for t in chunk)


def _restored(piece: _Piece, unique: _Unique) -> _Output:
    """A model's output with the sentence's placeholders written back as text; those the model
    did not return itself are named in `restored`."""
    if piece.protected is None:
        return _Output(unique.tagged, unique.outcome, Origin.MACHINE)
    output, missing = piece.protected.restore(unique.tagged)
    texts = piece.protected.texts
    lost = tuple(texts[i] for i in sorted(unique.dropped | set(missing)) if i in texts)
    return _Output(output, unique.outcome, Origin.MACHINE, lost)


def _dropped(segment: TaggedText, output: str) -> frozenset[int]:
    """The empty tags of `segment` that `output` does not hold exactly once."""
    wanted = {tag.id for _, tag in segment.tags if tag.kind == EMPTY}
    if not wanted:
        return frozenset()
    got = Counter(tag.id for _, tag in parse(_clean(output)).tagged.tags if tag.kind == EMPTY)
    return frozenset(i for i in wanted if got[i] != 1)


def _place(segment: TaggedText, result: TranslationResult) -> tuple[TaggedText, TagOutcome]:
    """The engine's output as TaggedText with the segment's tags, and how they were placed."""
    text = _clean(result.text)
    if not segment.has_tags:
        return TaggedText(text), TagOutcome()
    expected = segment.tag_set()
    count = len(expected)
    parsed = parse(text, expected)
    # pieces of tags the model broke (`</g1`, `1g10&gt;`) never reach the output
    debris = debris_spans(parsed.tagged.text, segment.text, {tag.id for tag in expected})
    if parsed.ok:
        tagged = parsed.tagged
        if debris:
            edits = [Edit(a, b) for a, b in _with_a_space(debris, tagged.text)]
            tagged = tagged.apply(edits).strip()
        return tagged, TagOutcome(count, by_model=count)
    plain = parsed.tagged.text  # tags taken out, invented ones too
    alignment = None
    if result.attention:
        alignment = word_alignment(
            segment, result.source_tokens, text, plain, result.tokens, result.attention
        )
    plain, alignment = drop_spans(plain, debris, alignment)
    # the same words without the gaps removed tags left (the alignment counts words)
    placement = place_tags(segment, _SPACES.sub(" ", plain).strip(), alignment)
    fallback = min(count, placement.fallback)
    return placement.tagged, TagOutcome(count, by_alignment=count - fallback, fallback=fallback)


def _garbled(segment: TaggedText, output: str) -> bool:
    """Whether a tagged segment's output cannot be read back: its tags missing, doubled,
    misnested or invented, or pieces of the tag syntax left in its text."""
    if not segment.has_tags:
        return False
    expected = segment.tag_set()
    parsed = parse(_clean(output), expected)
    ids = {tag.id for tag in expected}
    return not parsed.ok or bool(debris_spans(parsed.tagged.text, segment.text, ids))


def _plain(segment: TaggedText) -> str:
    """A tagged segment's words alone, for a decode without its tags."""
    return " ".join(segment.text.split())


def _redecode(
    leg: Leg,
    batch: list[TaggedText],
    results: list[TranslationResult],
    options: DecodeOptions,
    suppress: Sequence[str],
) -> set[int]:
    """Decode once more, as plain text and in one batch, the segments of `batch` whose output
    is `_garbled`; where the plain output is clean (no tags, no debris, not empty) it replaces
    the first in `results`. Returns the indices replaced (their tags go on by `_place_plain`)."""
    failed = [
        i
        for i, (segment, result) in enumerate(zip(batch, results, strict=True))
        if _plain(segment) and _garbled(segment, result.text)
    ]
    if not failed:
        return set()
    decoded = leg.engine.iter_results(
        [_plain(batch[i]) for i in failed],
        leg.source,
        leg.target,
        options,
        buffer_size=len(failed),
        return_attention=True,
        suppress=suppress,
    )
    again: set[int] = set()
    for i, result in zip(failed, decoded, strict=True):
        text = _clean(result.text)
        ids = {tag.id for _, tag in batch[i].tags}
        parsed = parse(text)
        if text.strip() and not parsed.tagged.tags and not debris_spans(text, batch[i].text, ids):
            results[i] = result
            again.add(i)
    return again


def _place_plain(segment: TaggedText, result: TranslationResult) -> tuple[TaggedText, TagOutcome]:
    """A plain re-decode of `segment` (see `_redecode`) with the segment's tags placed on it by
    the alignment or, as a last resort, in source order."""
    text = " ".join(_clean(result.text).split())
    alignment = None
    if result.attention:
        sent = TaggedText(_plain(segment))  # the same words as segment.text, so the same indices
        alignment = word_alignment(
            sent, result.source_tokens, text, text, result.tokens, result.attention
        )
    placement = place_tags(segment, text, alignment)
    count = len(segment.tag_set())
    fallback = min(count, placement.fallback)
    outcome = TagOutcome(count, by_alignment=count - fallback, fallback=fallback, redecoded=1)
    return placement.tagged, outcome


def _with_a_space(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """`spans` to remove, each taking the space after it when there is one before it too
    (so removing `g1>` from `a g1> b` leaves `a b`)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        spaced = start > 0 and text[start - 1].isspace() and end < len(text)
        if spaced and text[end].isspace():
            end += 1
        out.append((start, end))
    return out
