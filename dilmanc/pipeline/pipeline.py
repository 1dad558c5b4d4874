"""The translation pipeline: explicit stages over a frozen per-document context.

    segment → recall → protect → decode → verify → QE → assemble

Units arrive in document order and are processed in chunks of about `chunk_segments`
sentences, so a large file is read, translated and written piece by piece with flat memory.
For each chunk and target:

- segment (`segment.Segmenter`): each unit's source (a TaggedText) is cut into sentences (line
  by line, Azerbaijani rules, pass-through stretches kept verbatim); each sentence keeps the
  inline tags that fall inside it, numbered locally, so identical sentences are translated
  once per run and target (a bounded LRU cache per target and context serves repeats);
  placeholders become empty tags for the model only. A unit that is mostly markup (a row of
  links) is translated stretch by stretch, its tags never sent.
- recall (`recall`): translation-memory matches (context, exact), then the machine cache.
- protect and decode (`protect`, `decode`): the sentences left go, in length-sorted batches,
  through each leg of the engine with the context's glossary enforcer protecting terms around
  the leg's `Decoder`, which reads the tags back (re-decoding garbled ones without tags,
  placing tags by cross-attention); an engine that loads lazily loads when the first sentence
  reaches it, so a run the memory and the machine cache serve entirely never loads a model.
- verify and QE (`verify`): every translation the chunk produced or recalled, whatever its
  origin, is checked against its source's glossary terms, then given a quality verdict.
- assemble (`assemble`): each unit is put back together with everything that is not a sentence
  (line endings, blank lines, spaces, pass-through stretches) copied verbatim, so a document's
  layout comes out exactly as it went in.

What may differ from one document to the next (the glossary enforcer with a document's own
names or a request's glossary, QE on or off, where progress goes) is a frozen `RunContext`
passed to each call (`Pipeline.context(...)`), never set on the pipeline: one pipeline can
translate two documents at once under two glossaries. The pipeline prints nothing: progress
goes to the context's callback.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from dilmanc.documents.base import Translated, Unit
from dilmanc.engines.base import DecodeOptions
from dilmanc.errors import UsageError
from dilmanc.languages import Language
from dilmanc.pipeline.assemble import assemble
from dilmanc.pipeline.context import Advance, RunContext
from dilmanc.pipeline.fit import segment_fitter
from dilmanc.pipeline.outputs import Fresh, Output
from dilmanc.pipeline.protect import hypotheses, restored, translate_unique
from dilmanc.pipeline.recall import MemoryStage, from_cache, recall, recalled
from dilmanc.pipeline.reports import PipelineReport, QeCounts
from dilmanc.pipeline.segment import Piece, Prepared, Segmenter, segment_unit
from dilmanc.pipeline.verify import CheckedSegment, GlossarySink, estimate, verify
from dilmanc.qe import DEFAULT_THRESHOLDS, Thresholds
from dilmanc.text.tagged import TaggedText

if TYPE_CHECKING:
    from dilmanc.engines.base import Engine
    from dilmanc.glossary import TermEnforcer

__all__ = [
    "Advance",
    "CheckedSegment",
    "GlossarySink",
    "Pipeline",
    "RunContext",
    "segment_unit",
]

# Receives each chunk of translated units, per target language.
Emit = Callable[[str, list[Translated]], None]


class Pipeline:
    """Translate units from `source` into any language that `engines` (iso → Engine) serve.

    `enforcer`, `qe` and `progress` make the default context (`defaults`); a call may pass
    another (`context(...)`). The pipeline keeps what a run shares: the engines, the memory,
    the sentence caches (one per target and context) and the run's report (`stats`)."""

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
        self.defaults = RunContext(enforcer, qe, progress)
        self.chunk_segments = max(1, chunk_segments)
        self.cache_size = max(0, cache_size)
        self.glossary_sink = glossary_sink or self._keep_reports
        self.glossary_reports: list[dict] = []  # per segment, kept when there is no sink
        self.stats = PipelineReport()
        self.thresholds = thresholds
        self.memory = memory
        fit = segment_fitter(engines.values(), source)
        self.segmenter = Segmenter(source.iso, fit, overwrite)
        self._caches: OrderedDict[tuple, OrderedDict[str, Output]] = OrderedDict()
        self._lock = threading.Lock()  # the caches, when documents run at once
        self._sent: dict[str, int] = {}  # target iso → segments sent to its engine
        self._count(self.defaults)

    # --- public API ---------------------------------------------------------------------------

    def context(self, **changes) -> RunContext:
        """The default context with `changes` (`enforcer`, `qe`, `progress`), for one call."""
        return self.defaults.but(**changes)

    def translate_units(
        self,
        units: Iterable[Unit],
        targets: list[Language],
        emit: Emit,
        context: RunContext | None = None,
    ) -> None:
        """Translate `units` chunk by chunk into every target; `emit(iso, chunk)` receives the
        translated units in document order, once per target (the input is read once)."""
        context = context or self.defaults
        self._count(context)
        for target in targets:
            self._engine_for(target)
        for chunk in self.segmenter.chunks(units, self.chunk_segments, self.stats):
            for target in targets:
                translated = self._translate_chunk(chunk, target, context)
                with self.stats.timed("write"):
                    emit(target.iso, translated)
            if context.progress is not None:
                context.progress(len(chunk))

    def translate_text(self, text: str, target: Language, context: RunContext | None = None) -> str:
        """Translate plain text; paragraphs, blank lines and line endings are kept."""
        return self.translate_texts([text], [target], context)[target.iso][0]

    def translate_texts(
        self, texts: list[str], targets: list[Language], context: RunContext | None = None
    ) -> dict[str, list[str]]:
        """Translate many plain texts together (batched across texts) into every target:
        iso → the translations in the order of `texts`, layout kept as `translate_text`."""
        owner: dict[int, int] = {}  # id(unit) → index of its text
        units = []
        for number, text in enumerate(texts):
            for unit in _text_units(text):
                owner[id(unit)] = number
                units.append(unit)
        out = {t.iso: [[] for _ in texts] for t in targets}

        def emit(iso: str, chunk: list[Translated]) -> None:
            for t in chunk:
                out[iso][owner[id(t.unit)]].append(t.target.text + t.unit.extra)

        self.translate_units(units, targets, emit, context)
        return {iso: ["".join(parts) for parts in texts_out] for iso, texts_out in out.items()}

    def translate_lines(
        self, lines: list[str], target: Language, context: RunContext | None = None
    ) -> list[str]:
        """Translate each line on its own: output line i is the translation of input line i."""
        out: list[str] = []
        units = (Unit(str(i), TaggedText(line)) for i, line in enumerate(lines, 1))
        self.translate_units(units, [target], lambda _, chunk: out.extend(_texts(chunk)), context)
        return out

    def translate_stream(
        self,
        lines: Iterable[str],
        targets: list[Language],
        write: Callable[[str, str], None],
        context: RunContext | None = None,
    ) -> None:
        """Translate `lines` (each with its line ending) into every target; `write(iso, text)`
        receives each translated chunk in order."""
        from dilmanc.documents.plaintext import split_ending

        def units() -> Iterator[Unit]:
            for number, raw in enumerate(lines, 1):
                body, ending = split_ending(raw)
                yield Unit(str(number), TaggedText(body), extra=ending)

        def emit(iso: str, chunk: list[Translated]) -> None:
            write(iso, _lines(chunk))

        self.translate_units(units(), targets, emit, context)

    def alternatives(
        self, text: str, target: Language, count: int, context: RunContext | None = None
    ) -> list[str]:
        """Up to `count` further translations of plain `text`: the model's hypotheses
        2..count+1 of each sentence, with the text's own layout. They pass the segment,
        decode, verify and assemble stages like a translation; the glossary is checked on
        them (verify), not enforced."""
        context = context or self.defaults
        self._count(context)
        chunk = [self.segmenter(unit, self.stats) for unit in _text_units(text)]
        distinct = {p.key: p for prepared in chunk for p in prepared.sentences()}
        if not distinct or count < 1:
            return []
        engine = self._engine_for(target)
        engine.load()
        sentences = list(distinct.values())
        inputs = [piece.model_input for piece in sentences]
        lists = hypotheses(
            inputs, engine.legs(self.source, target), self.decode, count + 1, self.stats
        )
        out = []
        for k in range(1, count + 1):
            picked = [each[min(k, len(each) - 1)] for each in lists]
            out.append(self._alternative(chunk, sentences, picked, target.iso, context))
        return out

    def _alternative(
        self,
        chunk: list[Prepared],
        sentences: list[Piece],
        picked: list,
        iso: str,
        context: RunContext,
    ) -> str:
        """One alternative: each sentence's `picked` hypothesis (a protect.Unique) verified,
        then the text assembled with its layout."""
        pairs = zip(sentences, picked, strict=True)
        found = {piece.key: restored(piece, unique) for piece, unique in pairs}
        fresh = [Fresh(piece.local, found[piece.key]) for piece in sentences]
        verify(fresh, iso, context, self.stats, self.glossary_sink)
        scratch = PipelineReport()  # alternatives are not units of the run
        return _lines([assemble(prepared, found, {}, iso, scratch) for prepared in chunk])

    def report(self) -> dict:
        """The run so far as JSON (see `PipelineReport`)."""
        return self.stats.to_json()

    # --- the stages, per chunk and target --------------------------------------------------

    def _translate_chunk(
        self, chunk: list[Prepared], target: Language, context: RunContext
    ) -> list[Translated]:
        iso = target.iso
        matches = recall(self.memory, chunk, iso, self.stats) if self.memory else {}
        cache = self._cache(iso, context)
        found, misses, order = self._lookup(chunk, matches, cache)
        fresh: list[Fresh] = []
        if misses and self.memory is not None:
            hits = from_cache(self.memory, misses, iso, context.enforcer, self.stats)
            found.update(hits)
            fresh += [Fresh(m.local, hits[m.key]) for m in misses if m.key in hits]
            misses = [m for m in misses if m.key not in hits]
        if misses:
            fresh += self._decode(misses, target, context, found)
        self._remember(cache, found)
        fresh += recalled(chunk, matches)
        fresh.sort(key=lambda item: order[item.local.render()])
        checks = verify(fresh, iso, context, self.stats, self.glossary_sink)
        if context.qe:
            estimate(fresh, checks, (self.source.iso, iso), self.thresholds, self.stats)
        return [assemble(prepared, found, matches, iso, self.stats) for prepared in chunk]

    def _lookup(
        self, chunk: list[Prepared], matches: dict[int, Output], cache: OrderedDict
    ) -> tuple[dict[str, Output | None], list[Piece], dict[str, int]]:
        """The run's cache for the sentences the memory did not match: what it holds (by
        sentence), the distinct sentences it misses, and each sentence's first position."""
        found: dict[str, Output | None] = {}
        misses: list[Piece] = []
        order: dict[str, int] = {}
        with self._lock:
            for prepared in chunk:
                for piece in prepared.sentences():
                    order.setdefault(piece.key, len(order))
                    if piece.key in found or id(piece) in matches:
                        continue
                    hit = cache.get(piece.key)
                    if hit is None:
                        misses.append(piece)
                    else:
                        cache.move_to_end(piece.key)
                    found[piece.key] = hit
        return found, misses, order

    def _decode(
        self, misses: list[Piece], target: Language, context: RunContext, found: dict
    ) -> list[Fresh]:
        """The protect and decode stages for the sentences nothing else supplied."""
        engine = self._engine_for(target)
        engine.load()  # a lazily loaded engine loads here, when a sentence first needs it
        legs = engine.legs(self.source, target)
        inputs = [m.model_input for m in misses]
        made = translate_unique(inputs, legs, context, self.decode, self.stats)
        fresh = []
        for piece, unique in zip(misses, made, strict=True):
            output = found[piece.key] = restored(piece, unique)
            fresh.append(Fresh(piece.local, output, unique.enforced, signals=unique.signals))
        if self.memory is not None:
            pairs = [(m.key, found[m.key].tagged.render()) for m in misses]
            self.memory.store(pairs, target.iso, context.enforcer)
        with self._lock:
            sent = self._sent[target.iso] = self._sent.get(target.iso, 0) + len(misses)
        self.stats.segments.unique = max(self.stats.segments.unique, sent)
        self.stats.segments.translated += len(misses)
        return fresh

    # --- the run's state ----------------------------------------------------------------------

    def _engine_for(self, target: Language) -> Engine:
        engine = self.engines.get(target.iso)
        if engine is None:
            have = ", ".join(sorted(self.engines)) or "none"
            raise UsageError(f"no model loaded for target language {target.iso!r} (have: {have})")
        return engine

    def _count(self, context: RunContext) -> None:
        """The report's glossary totals and QE counts, once a context needs them."""
        if context.enforcer is not None and self.stats.glossary is None:
            from dilmanc.glossary.enforce import GlossaryTotals

            self.stats.glossary = GlossaryTotals()
        if context.qe and self.stats.qe is None:
            self.stats.qe = QeCounts()

    def _cache(self, iso: str, context: RunContext) -> OrderedDict[str, Output]:
        """The sentence cache for `iso` under `context`: translations made under another
        glossary or without QE are not reused. Caches of the latest contexts are kept (two per
        target), so a document's own names do not keep every earlier document's cache."""
        key = (iso, *context.cache_key)
        with self._lock:
            cache = self._caches.pop(key, None)
            self._caches[key] = cache = OrderedDict() if cache is None else cache
            while len(self._caches) > 2 * max(1, len(self.engines)):
                self._caches.popitem(last=False)
        return cache

    def _remember(self, cache: OrderedDict[str, Output], found: dict[str, Output]) -> None:
        with self._lock:
            for key, output in found.items():
                cache[key] = output
            while len(cache) > self.cache_size:
                cache.popitem(last=False)

    def _keep_reports(self, iso: str, _sources: list[str], checked: list[CheckedSegment]) -> None:
        """The verify stage's reports, when no sink takes them."""
        self.glossary_reports += [{"target": iso, **c.to_json()} for c in checked]


def _text_units(text: str) -> list[Unit]:
    from dilmanc.documents.plaintext import TextDocument

    return list(TextDocument.from_text(text).units())


def _texts(chunk: list[Translated]) -> list[str]:
    return [t.target.text for t in chunk]


def _lines(chunk: list[Translated]) -> str:
    """Translated lines with their endings (plain-text units keep theirs in `extra`)."""
    return "".join(t.target.text + t.unit.extra for t in chunk)
