"""The translation pipeline: lines → segments → (glossary) → engine → lines with the same layout.

Input is processed in chunks of whole lines (about `chunk_segments` sentences each), so a
large file is read, translated and written piece by piece with flat memory; a line boundary
is always a safe cut because segmentation never looks across lines. Identical segments are
translated once per run and target: a bounded LRU cache per target serves repeats, and each
chunk sends only its distinct, not yet cached segments to the engine, whose
`translate_iterable` batches them by length under a token budget.

Everything that is not a segment (line endings, blank lines, spaces between sentences,
pass-through lines, metadata prefixes) is copied verbatim, so paragraphs and the whitespace
between them come out exactly as they went in.
"""

from __future__ import annotations

import io
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from dilmanc.errors import UsageError
from dilmanc.languages import Language
from dilmanc.text.segment import Piece, segment_line

if TYPE_CHECKING:
    from dilmanc.engines.base import Engine
    from dilmanc.glossary import TermEnforcer

STAGES = ("segment", "glossary", "engine", "write")

# Receives each batch the enforcer checked: target iso, source segments, EnforcedSegments.
GlossarySink = Callable[[str, list[str], list], None]
# Called with the number of input lines finished (a progress bar's `advance`).
Advance = Callable[[int], None]


@dataclass(frozen=True)
class DecodeOptions:
    """How the engine decodes: beam width, output length cap, batch limits."""

    beam_size: int = 4
    max_length: int = 256
    batch_tokens: int = 2048  # token budget per batch (source tokens incl. padding)
    batch_size: int = 0  # most segments per batch; 0 = only the token budget limits
    min_length: int = 0  # shortest output in tokens; benchmarks set min = max (fixed work)

    def engine_kwargs(self) -> dict[str, int]:
        """Keyword arguments for `Engine.translate_iterable`."""
        kwargs = {
            "beam_size": self.beam_size,
            "max_length": self.max_length,
            "batch_tokens": self.batch_tokens,
        }
        if self.batch_size:
            kwargs["max_batch_size"] = self.batch_size
        if self.min_length:
            kwargs["min_length"] = self.min_length
        return kwargs

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Line:
    pieces: list[Piece]
    ending: str


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _clean(output: str) -> str:
    """One segment's translation on one line: a stray line break would shift the layout."""
    if "\n" in output or "\r" in output:
        return " ".join(output.split())
    return output


class Pipeline:
    """Translate text from `source` into any language that `engines` (iso → Engine) serve."""

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
    ) -> None:
        self.engines = engines
        self.source = source
        self.decode = decode or DecodeOptions()
        self.enforcer = enforcer
        self.progress = progress
        self.chunk_segments = max(1, chunk_segments)
        self.cache_size = max(0, cache_size)
        self.glossary_sink = glossary_sink
        self.glossary_reports: list[dict] = []  # per segment, kept when there is no sink
        self._glossary: dict[str, int] = {}  # totals over all checked segments
        self._caches: dict[str, OrderedDict[str, str]] = {}
        self._seconds = dict.fromkeys(STAGES, 0.0)
        self._counts = {"lines": 0, "total": 0, "passthrough": 0}
        self._sent: dict[str, int] = {}  # target iso → segments sent to its engine

    # --- public API ---------------------------------------------------------------------------

    def translate_text(self, text: str, target: Language) -> str:
        """Translate a document; paragraphs, blank lines and line endings are kept."""
        out: list[str] = []
        self.translate_stream(io.StringIO(text, newline=""), [target], lambda _, s: out.append(s))
        return "".join(out)

    def translate_lines(self, lines: list[str], target: Language) -> list[str]:
        """Translate each line on its own: output line i is the translation of input line i."""
        out: list[str] = []
        self._run(lines, [target], lambda _, chunk: out.extend(chunk), len(lines))
        return out

    def translate_stream(
        self,
        lines: Iterable[str],
        targets: list[Language],
        write: Callable[[str, str], None],
        *,
        total: int | None = None,
    ) -> None:
        """Translate `lines` (each with its line ending) chunk by chunk into every target.

        `write(iso, text)` receives each translated chunk, in order, once per target; the
        input is read once whatever the number of targets.
        """

        def emit(iso: str, chunk: list[str]) -> None:
            started = time.perf_counter()
            write(iso, "".join(chunk))
            self._seconds["write"] += time.perf_counter() - started

        self._run(lines, targets, emit, total)

    def report(self) -> dict:
        """Segment counts, seconds per stage and glossary totals so far (JSON-able)."""
        sent = self._sent.values()
        glossary = {"glossary": dict(self._glossary)} if self.enforcer is not None else {}
        return {
            "segments": {
                "lines": self._counts["lines"],
                "total": self._counts["total"],
                "unique": max(sent, default=0),
                "translated": sum(sent),
                "passthrough": self._counts["passthrough"],
            },
            "seconds": {stage: round(value, 4) for stage, value in self._seconds.items()},
            **glossary,
        }

    # --- internals ----------------------------------------------------------------------------

    def _engine_for(self, target: Language) -> Engine:
        engine = self.engines.get(target.iso)
        if engine is None:
            have = ", ".join(sorted(self.engines)) or "none"
            raise UsageError(f"no model loaded for target language {target.iso!r} (have: {have})")
        return engine

    def _run(
        self,
        lines: Iterable[str],
        targets: list[Language],
        emit: Callable[[str, list[str]], None],
        total: int | None,
    ) -> None:
        for target in targets:
            self._engine_for(target)
        for chunk in self._chunks(lines):
            for target in targets:
                emit(target.iso, self._translate_chunk(chunk, target))
            if self.progress is not None:
                self.progress(len(chunk))

    def _chunks(self, lines: Iterable[str]) -> Iterator[list[_Line]]:
        """Segment lines as they are read; yield lists of lines holding ~chunk_segments each."""
        language = self.source.iso
        chunk: list[_Line] = []
        segments = 0
        limit = self.chunk_segments
        started = time.perf_counter()
        for raw in lines:
            body, ending = _split_ending(raw)
            pieces = segment_line(body, language)
            for piece in pieces:
                if piece.translate:
                    segments += 1
                elif not piece.text.isspace():
                    self._counts["passthrough"] += 1
            chunk.append(_Line(pieces, ending))
            if segments >= limit or len(chunk) >= 4 * limit:
                self._count_chunk(chunk, segments)
                self._seconds["segment"] += time.perf_counter() - started
                yield chunk
                chunk, segments = [], 0
                started = time.perf_counter()
        self._seconds["segment"] += time.perf_counter() - started
        if chunk:
            self._count_chunk(chunk, segments)
            yield chunk

    def _count_chunk(self, chunk: list[_Line], segments: int) -> None:
        self._counts["lines"] += len(chunk)
        self._counts["total"] += segments

    def _translate_chunk(self, chunk: list[_Line], target: Language) -> list[str]:
        """The translated lines of `chunk`, each with its original line ending."""
        cache = self._caches.setdefault(target.iso, OrderedDict())
        found: dict[str, str | None] = {}
        misses: list[str] = []
        for line in chunk:
            for text, translate in line.pieces:
                if not translate or text in found:
                    continue
                hit = cache.get(text)
                if hit is None:
                    found[text] = None
                    misses.append(text)
                else:
                    cache.move_to_end(text)
                    found[text] = hit
        if misses:
            for text, output in zip(misses, self._translate_unique(misses, target), strict=True):
                found[text] = output
                cache[text] = output
            self._sent[target.iso] = self._sent.get(target.iso, 0) + len(misses)
            while len(cache) > self.cache_size:
                cache.popitem(last=False)
        return [
            "".join([found[text] if translate else text for text, translate in line.pieces])
            + line.ending
            for line in chunk
        ]

    def _translate_unique(self, texts: list[str], target: Language) -> list[str]:
        engine = self._engine_for(target)
        kwargs = self.decode.engine_kwargs()
        engine_seconds = 0.0

        def run_engine(batch: list[str]) -> list[str]:
            nonlocal engine_seconds
            started = time.perf_counter()
            # the whole batch is one buffer: all of it is sorted by length together
            stream = engine.translate_iterable(
                batch, self.source, target, buffer_size=len(batch), **kwargs
            )
            outputs = [_clean(out) for out in stream]
            engine_seconds += time.perf_counter() - started
            return outputs

        if self.enforcer is None:
            outputs = run_engine(texts)
            self._seconds["engine"] += engine_seconds
            return outputs
        started = time.perf_counter()
        results = self.enforcer.translate(texts, target.iso, run_engine)
        elapsed = time.perf_counter() - started
        self._seconds["engine"] += engine_seconds
        self._seconds["glossary"] += elapsed - engine_seconds
        self._add_glossary_totals(results)
        if self.glossary_sink is not None:
            self.glossary_sink(target.iso, texts, results)
        else:
            self.glossary_reports += [
                {"target": target.iso, "source": text, **result.report}
                for text, result in zip(texts, results, strict=True)
            ]
        return [_clean(result.output) for result in results]

    def _add_glossary_totals(self, results: list) -> None:
        from dilmanc.glossary.enforce import summarize

        for key, value in summarize(results).items():
            count = len(value) if isinstance(value, list) else value
            self._glossary[key] = self._glossary.get(key, 0) + count
