"""The service layer: everything a translation run needs, built once from one `Settings`.

`Service(settings)` loads the glossary and the enforcer, the engines (once per model, shared
by targets that use the same model; with `load(lazy=True)` a model loads only when a
sentence first needs it, so a run served from the cache never loads one) and makes pipelines
(settings without targets get every language of dilmanc's list the models translate into: see
`producible_targets`); `translate_document` runs one document through a pipeline into one
writer per target language. `dilmanc translate`, `eval run` and the server all go through
here, so what a benchmark measures is what a user gets, and no second place wires engines,
glossary and
pipeline together.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dilmanc import __version__
from dilmanc.documents.base import Document, TagOutcome, Translated
from dilmanc.languages import Language
from dilmanc.pipeline.pipeline import Advance, GlossarySink, Pipeline, RunContext
from dilmanc.pipeline.reports import QeCounts
from dilmanc.pipeline.settings import Settings

if TYPE_CHECKING:
    from dilmanc.engines.base import Engine
    from dilmanc.glossary import Glossary, TermEnforcer


@dataclass(frozen=True)
class GlossaryFile:
    path: str
    sha256: str | None

    def to_json(self) -> dict:
        return {"path": self.path, "sha256": self.sha256}


def glossary_files(settings: Settings) -> list[GlossaryFile]:
    """The glossary files a run reads, in order (the built-in one first), with their hashes."""
    from dilmanc.glossary import builtin_path

    paths = ([str(builtin_path())] if settings.builtin_glossary else []) + list(settings.glossaries)
    out = []
    for path in paths:
        file = Path(path)
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
        out.append(GlossaryFile(str(path), digest))
    return out


def glossary_hash(files: list[GlossaryFile]) -> str | None:
    """One sha256 over the glossary files' hashes, in order (None without a glossary)."""
    if not files:
        return None
    total = hashlib.sha256()
    for file in files:
        total.update((file.sha256 or "").encode())
    return total.hexdigest()


@dataclass(frozen=True)
class EngineInfo:
    """What a report must say about the engine serving one target language."""

    model: str
    engine: str
    architecture: str
    directory: str | None
    device: str | None
    compute_type: str | None
    threads: int | None

    @classmethod
    def of(cls, engine: Engine) -> EngineInfo:
        info = engine.info()
        return cls(
            model=info["model"],
            engine=info["engine"],
            architecture=info["architecture"],
            directory=info["directory"],
            device=info["device"],
            compute_type=info["compute_type"],
            threads=info["threads"],
        )

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "engine": self.engine,
            "architecture": self.architecture,
            "directory": self.directory,
            "device": self.device,
            "compute_type": self.compute_type,
            "threads": self.threads,
        }


@dataclass(frozen=True)
class RunInfo:
    """Everything that identifies how a run translates (for reports, records, cache keys)."""

    source: str
    targets: tuple[str, ...]
    models: dict[str, str]  # target iso → model spec
    engines: dict[str, EngineInfo]
    decode: dict
    glossary_mode: str | None
    glossaries: tuple[GlossaryFile, ...]
    glossary_sha256: str | None
    n_best: int = 1
    licences: dict[str, list[str | None]] = field(default_factory=dict)  # target → per model
    dilmanc_version: str = __version__

    @property
    def commercial_use(self) -> bool | None:
        """True when every model's licence allows commercial use, False when one forbids
        it, None when a licence is unknown."""
        from dilmanc.models.presets import commercial_use

        verdicts = [commercial_use(lic) for lics in self.licences.values() for lic in lics]
        if False in verdicts:
            return False
        return None if None in verdicts or not verdicts else True

    def to_json(self) -> dict:
        return {
            "dilmanc": self.dilmanc_version,
            "licences": {iso: list(lics) for iso, lics in self.licences.items()},
            "commercial_use": self.commercial_use,
            "languages": {"source": self.source, "targets": list(self.targets)},
            "model": dict(self.models),
            "engine": {iso: info.engine for iso, info in self.engines.items()},
            "engines": {iso: info.to_json() for iso, info in self.engines.items()},
            "options": {**self.decode, "glossary_mode": self.glossary_mode, "n_best": self.n_best},
            "glossary": {
                "files": [g.to_json() for g in self.glossaries],
                "sha256": self.glossary_sha256,
            }
            if self.glossaries
            else None,
        }


@dataclass
class DocumentReport:
    """One document of a run: units per target, how its inline tags came through, and the
    quality-estimation verdicts per target language (`qe`: counts; `review`: each unit's
    verdict, or with `review_only` just the units that need a person's eyes)."""

    input: str
    format: str
    outputs: list[str] = field(default_factory=list)
    units: int = 0
    units_with_tags: int = 0
    tags: TagOutcome = TagOutcome()
    warnings: list[str] = field(default_factory=list)
    qe: dict[str, QeCounts] = field(default_factory=dict)  # target iso → verdict counts
    verdicts: list[dict] = field(default_factory=list)
    review_only: bool = False

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            self.units += 1
            if item.tags.tags:
                self.units_with_tags += 1
                self.tags += item.tags
            self.warnings.extend(item.warnings)

    def add_qe(self, iso: str, chunk: list[Translated]) -> None:
        """Count the chunk's verdicts in `iso` and list them (units QE did not judge aside)."""
        for item in chunk:
            if item.qe is None:
                continue
            self.qe.setdefault(iso, QeCounts()).count(item.qe.verdict)
            if item.needs_review or not self.review_only:
                self.verdicts.append(_verdict(iso, item))

    @property
    def flagged(self) -> list[dict]:
        """The listed units whose verdict is review or bad."""
        return [v for v in self.verdicts if v["verdict"] != "ok"]

    def to_json(self) -> dict:
        return {
            "input": self.input,
            "format": self.format,
            "outputs": self.outputs,
            "units": self.units,
            "units_with_tags": self.units_with_tags,
            "tags_in": self.tags.tags,
            "tags_by_model": self.tags.by_model,
            "tags_by_alignment": self.tags.by_alignment,
            "tags_fallback": self.tags.fallback,
            "tags_redecoded": self.tags.redecoded,
            "tags_emptied": self.tags.emptied,
            "warnings": self.warnings,
            **(
                {"qe": {iso: c.to_json() for iso, c in self.qe.items()}, "review": self.verdicts}
                if self.qe
                else {}
            ),
        }


def _verdict(iso: str, item: Translated) -> dict:
    """One unit's QE verdict for the report; flagged units carry their texts and findings."""
    out = {
        "target": iso,
        "unit": item.unit.id,
        "location": item.unit.location,
        **item.qe.to_json(),
    }
    if not item.needs_review:
        del out["findings"]
        return out
    out["source"] = item.unit.source.text
    out["translation"] = item.target.text
    out["detail"] = item.qe.describe()
    return out


def _load_engine(spec: str, settings: Settings) -> Engine:
    """The engine of one model spec with the settings' engine, device, threads, compute type
    (made once per process: the registry caches engines); lazy: it answers language and
    token questions from the model's small files and loads the weights on first use."""
    from dilmanc.engines.registry import load_engine, normalize_engine

    return load_engine(
        spec,
        engine=normalize_engine(settings.engine),
        device=settings.device,
        threads=settings.threads,
        compute_type=settings.compute_type,
        lazy=True,
        vmap=settings.vmap,
        workload=settings.workload,
    )


def producible_targets(settings: Settings) -> tuple[str, ...]:
    """The targets when none are given (a server serves all it can, as LibreTranslate serves
    every installed pair): each language of dilmanc's list, the source aside, that the plain
    model translates the source into, and each LANG of a LANG=MODEL. A model that does not
    say which languages it writes gives English. Loads the models (the registry keeps them)."""
    from dilmanc.languages import LANGUAGES
    from dilmanc.models.presets import DEFAULT_MODEL
    from dilmanc.models.resolve import split_model_options

    default, per_target = split_model_options(list(settings.models))
    source = settings.source_language
    found = set(per_target)
    if default is not None or not per_target:
        engine = _load_engine(default or DEFAULT_MODEL, settings)
        if engine.supported_targets() == ["any"]:
            found.add("en")
        else:
            found.update(t.iso for t in LANGUAGES if t != source and engine.supports(source, t))
        if not found:
            from dilmanc.errors import UsageError

            raise UsageError(
                f"model {engine.model} translates {source.iso} into none of dilmanc's "
                f"languages; it supports {engine.describe_languages()}"
            )
    known = [t.iso for t in LANGUAGES if t.iso in found]
    return tuple(known + sorted(found - set(known)))


class Service:
    """Engines, glossary and pipelines for one `Settings` (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        from dilmanc.models.resolve import parse_model_options

        settings = settings.validate()
        if not settings.targets:
            settings = replace(settings, targets=producible_targets(settings))
        self.settings = settings
        self.source = settings.source_language
        self.targets = settings.target_languages
        self.specs = parse_model_options(list(settings.models), self.targets)
        self._prepare_seconds = 0.0
        self._glossary: Glossary | None = None
        self._names = None  # NameTable when people's names are on
        self._engines: dict[str, Engine] | None = None
        self._made: dict[str, Engine] = {}  # as made, before `wrap_engines`
        self._memory = None  # dilmanc.memory.Memory, opened on first use

    # --- resources, loaded once -----------------------------------------------------------
    def load(self, *, lazy: bool = False) -> Service:
        """Load what the run needs, cheapest and most likely to fail first: glossary files,
        the memory file, then models. With `lazy`, models are resolved and checked (a wrong
        name fails here) but load only when a sentence first needs them."""
        self.glossary()
        self.memory()
        engines = self.engines()
        if not lazy:
            for engine in _unique(engines.values()):
                engine.load()
        return self

    @property
    def load_seconds(self) -> float:
        """Seconds spent resolving and loading models, whenever they loaded."""
        return self._prepare_seconds + sum(e.load_seconds for e in _unique(self._made.values()))

    def memory(self):
        """The translation memory and machine cache (a SQLite file or a PostgreSQL database),
        or None when off."""
        if self._memory is None and self.settings.uses_memory:
            from dilmanc.memory import Memory

            self._memory = Memory.open(self.settings.memory)
        return self._memory

    def wrap_memory(self, wrap: Callable[[Any], Any]):
        """Replace the memory by `wrap(memory)` before pipelines are made (a batch worker's
        cache collector); returns the wrapped memory, or None when the memory is off."""
        if self.memory() is not None:
            self._memory = wrap(self._memory)
        return self._memory

    def close(self) -> None:
        """Write what is pending (cached translations) and close the memory file."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def memory_stage(self):
        """The pipeline's memory stage for this run's settings, or None."""
        memory = self.memory()
        if memory is None:
            return None
        from dilmanc.models.hub import model_fingerprint
        from dilmanc.pipeline.recall import MemoryStage

        decode = {**self.settings.decode.as_dict(), "n_best": self.settings.n_best}
        fields = {}
        self.engines()
        for iso, engine in self._made.items():
            info = engine.identity()  # the same before and after the model loads
            directories = [leg["directory"] for leg in info.get("legs", [info])]
            fields[iso] = {
                "model": info["model"],
                "revision": "+".join(str(model_fingerprint(d)) for d in directories),
                "engine": info["engine"],
                "compute_type": info["compute_type"],
                "decode": decode,
            }
            if info.get("vmap"):  # a smaller output vocabulary can change the output
                fields[iso]["vmap"] = info["vmap"]
        return MemoryStage(
            memory,
            self.source.iso,
            fields,
            use_tm=self.settings.use_tm,
            use_cache=self.settings.use_cache,
            threshold=self.settings.tm_threshold,
        )

    def glossary(self) -> Glossary | None:
        """The user's glossary files (and the built-in one), loaded once."""
        if self._glossary is None and self.settings.uses_glossary:
            from dilmanc.glossary import load_glossaries

            self._glossary = load_glossaries(
                list(self.settings.glossaries), builtin=self.settings.builtin_glossary
            )
            if self.settings.names:
                from dilmanc.text.names import NameTable

                self._names = NameTable.load(list(self.settings.name_files))
        return self._glossary

    def enforcer(
        self, texts: list[str] | None = None, *, extra: Glossary | None = None
    ) -> TermEnforcer | None:
        """Term enforcement ("off" checks and reports without rewriting the source), over
        layers where a later one wins on conflicts: with people's names on, the names of
        `texts` (one document's sources, so one person has one rendering per document); then
        this service's glossary; then `extra` (one request's glossary, e.g. from the server's
        API). No glossary is changed."""
        glossary = self.glossary()
        if glossary is None and extra is None:
            return None
        names = self._names_of(texts) if texts is not None else None
        return self._layered([names, glossary, extra])

    def document_enforcer(
        self, texts: list[str], enforcer: TermEnforcer | None
    ) -> TermEnforcer | None:
        """One document's enforcer with people's names on: the names of `texts` (its sources)
        under `enforcer`'s glossary (this service's, or a request's over it), which wins on
        conflicts; without an enforcer, `enforcer(texts)`."""
        if enforcer is None:
            return self.enforcer(texts)
        return self._layered([self._names_of(texts), enforcer.glossary])

    def _names_of(self, texts: list[str]) -> Glossary | None:
        if not self.settings.names:
            return None
        from dilmanc.glossary.names import names_glossary

        targets = [t.iso for t in self.targets]
        return names_glossary(texts, targets, style=self.settings.names, table=self._names)

    def _layered(self, layers: list[Glossary | None]) -> TermEnforcer:
        """An enforcer over `layers` (a later one wins on conflicts); one layer is used as it
        is, so its compiled matcher is reused."""
        from dilmanc.glossary import Glossary, TermEnforcer

        present = [layer for layer in layers if layer is not None]
        if len(present) == 1:
            merged = present[0]
        else:
            merged = Glossary()
            for layer in present:
                merged.extend(layer)
        return TermEnforcer(merged, mode=self.settings.glossary_mode, n_best=self.settings.n_best)

    def wrap_engines(self, wrap: Callable[[Engine], Engine]) -> dict[str, Engine]:
        """Replace each loaded engine by `wrap(engine)` (once per model, shared by the targets
        it serves): the server's cross-request batcher. Returns the new iso → Engine map."""
        engines = self.engines()
        wrapped: dict[int, Engine] = {}
        for engine in engines.values():
            if id(engine) not in wrapped:
                wrapped[id(engine)] = wrap(engine)
        self._engines = {iso: wrapped[id(engine)] for iso, engine in engines.items()}
        return self._engines

    def engines(self) -> dict[str, Engine]:
        """iso → Engine for every target (a model serving several targets loads once); each
        loads its model on first use unless `load()` loaded it."""
        if self._engines is None:
            started = time.perf_counter()
            engines = {}
            for target in self.targets:
                engine = _load_engine(self.specs[target.iso], self.settings)
                engine.check_pair(self.source, target)
                engines[target.iso] = engine
            self._engines, self._made = engines, dict(engines)
            self._prepare_seconds = time.perf_counter() - started
        return self._engines

    def pipeline(
        self,
        *,
        progress: Advance | None = None,
        glossary_sink: GlossarySink | None = None,
        chunk_segments: int = 2000,
    ) -> Pipeline:
        """A pipeline over this service's engines and glossary (one per run or request)."""
        return Pipeline(
            self.engines(),
            self.source,
            decode=self.settings.decode,
            enforcer=self.enforcer(),
            progress=progress,
            glossary_sink=glossary_sink,
            chunk_segments=chunk_segments,
            overwrite=self.settings.overwrite,
            memory=self.memory_stage(),
            qe=self.settings.qe != "off",
        )

    def run_info(self) -> RunInfo:
        from dilmanc.models.presets import licences_of

        files = glossary_files(self.settings) if self.settings.uses_glossary else []
        engines = self.engines()
        return RunInfo(
            source=self.source.iso,
            targets=tuple(t.iso for t in self.targets),
            models={t.iso: self.specs[t.iso] for t in self.targets},
            engines={iso: EngineInfo.of(engine) for iso, engine in engines.items()},
            decode=self.settings.decode.as_dict(),
            glossary_mode=self.settings.glossary_mode if files else None,
            glossaries=tuple(files),
            glossary_sha256=glossary_hash(files),
            n_best=self.settings.n_best if files or self.settings.names else 1,
            licences={t.iso: licences_of(self.specs[t.iso]) for t in self.targets},
        )

    # --- running ---------------------------------------------------------------------------
    def translate_document(
        self,
        document: Document,
        handles: dict[str, IO],
        pipeline: Pipeline,
        *,
        on_chunk: Callable[[list[Translated]], None] | None = None,
        review_only: bool = False,
        context: RunContext | None = None,
    ) -> DocumentReport:
        """Translate `document` into every language in `handles` (iso → open output), under
        `context` (default: the pipeline's); with people's names on, the document is
        translated under a copy of that context whose enforcer adds its names
        (`document_enforcer`)."""
        targets = [t for t in self.targets if t.iso in handles]
        writers = {t.iso: document.writer(t, handles[t.iso]) for t in targets}
        report = DocumentReport(document.label, document.format, review_only=review_only)
        first = targets[0].iso

        def emit(iso: str, chunk: list[Translated]) -> None:
            writers[iso].add(chunk)
            report.add_qe(iso, chunk)
            if iso == first:
                report.add(chunk)
                if on_chunk is not None:
                    on_chunk(chunk)

        context = context or pipeline.defaults
        if self.settings.names:  # this document's people, as terms for this document
            texts = [unit.source.text for unit in document.units() if unit.translate]
            context = context.but(enforcer=self.document_enforcer(texts, context.enforcer))
        pipeline.translate_units(document.units(), targets, emit, context)
        for writer in writers.values():
            writer.finish()
            report.warnings.extend(document.warnings)
        return report

    def write_document(
        self,
        document: Document,
        outputs: dict[str, Path],
        pipeline: Pipeline,
        *,
        review_only: bool = False,
        context: RunContext | None = None,
    ) -> DocumentReport:
        """Translate `document` into files (iso → path), each written through `atomic_writer`:
        complete or not there, never partial. Returns the report, outputs listed."""
        import contextlib

        from dilmanc.fileio import atomic_writer

        with contextlib.ExitStack() as stack:
            handles = {
                iso: stack.enter_context(
                    atomic_writer(path, document.encoding, binary=document.binary)
                )
                for iso, path in outputs.items()
            }
            report = self.translate_document(
                document, handles, pipeline, review_only=review_only, context=context
            )
        report.outputs = [str(path) for path in outputs.values()]
        return report

    def translate_text(self, text: str, target: Language, pipeline: Pipeline | None = None) -> str:
        """Plain text in, plain text out (layout kept): for API callers and the server."""
        return (pipeline or self.pipeline()).translate_text(text, target)


def _unique(engines) -> list[Engine]:
    """Each engine once (a model serving several targets is one engine)."""
    return list({id(engine): engine for engine in engines}.values())
