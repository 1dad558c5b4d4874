"""The translation work of the server's requests (`Translations`, part of `Server`): each
request gets its own pipeline and a frozen context carrying its API glossary's enforcer and
QE; texts, markup, alternatives and document jobs all go through the pipeline's stages;
suggestions go to the translation memory or a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

from dilmanc.languages import Language, resolve


class Translations:
    """Requests' translation work over the `Server`'s service, glossaries, jobs and metrics."""

    def counted(self, pipeline):
        """`pipeline` once it has run: its sentences counted by origin in the metrics."""
        if self.metrics is not None:
            self.metrics.pipeline(pipeline.stats)
        return pipeline

    def pipeline(self):
        """A request's pipeline (its stats are the request's, counted in the metrics)."""
        return self.service.pipeline()

    def context(self, pipeline, glossary=None):
        """A request's context on `pipeline`: with an API glossary, its enforcer (built once,
        reused) instead of the service's."""
        if glossary is None:
            return pipeline.defaults
        return pipeline.context(enforcer=self.enforcers.get(glossary))

    def _enforcer(self, glossary):
        enforcer = self.service.enforcer(extra=glossary)
        enforcer.glossary.matcher  # noqa: B018 - compiled now, once, not by each request
        if self.service.memory() is not None:
            enforcer.glossary.content_hash  # noqa: B018 - in the memory's cache keys
        return enforcer

    def create_glossary(self, *args, **kwargs):
        """`GlossaryStore.create`, and its enforcer prepared now (seconds for a large
        glossary) rather than by the first request that uses it."""
        item = self.glossaries.create(*args, **kwargs)
        self.enforcers.get(item)
        return item

    def translate_texts(
        self,
        texts: list[str],
        target: Language,
        *,
        glossary=None,
        markup: str | None = None,
        ignore_tags: tuple[str, ...] = (),
        qe: list | None = None,
    ) -> list[str]:
        """Translate each text (plain: layout kept; markup "html"/"xml": through the HTML
        document format) in one pipeline, so all their sentences go to the engine together;
        with `qe` (a list) each text's quality estimate is appended to it."""
        from dilmanc.server.translate import translate_markup_texts, translate_plain

        pipeline = self.pipeline()
        context = self.context(pipeline, glossary)
        try:
            if markup:
                return translate_markup_texts(
                    self.service, pipeline, texts, target, ignore_tags, qe, context
                )
            return translate_plain(pipeline, texts, target, qe, context)
        finally:
            self.counted(pipeline)

    def alternatives(self, text: str, target: Language, count: int, *, glossary=None) -> list[str]:
        """Up to `count` further translations of `text` (`Pipeline.alternatives`: the same
        stages as a translation, verified against the request's glossary)."""
        pipeline = self.pipeline()
        try:
            return pipeline.alternatives(text, target, count, self.context(pipeline, glossary))
        finally:
            self.counted(pipeline)

    # --- documents ---------------------------------------------------------------------------
    def _run_job(self, record, input_path: Path, output_path: Path, stop) -> int:
        from dilmanc.server.documents import load, translate_path

        self.loaded.wait()
        glossary = None
        if record.glossary_id:
            glossary = self.glossaries.get(record.glossary_id)
        document = load(input_path, self.source.iso)
        total = document.size

        def progress(units: int) -> None:
            self.jobs.advance(record.id, units, total)

        pipeline = self.pipeline()
        try:
            result = translate_path(
                self.service,
                pipeline,
                document,
                resolve(record.target),
                output_path,
                stop=stop,
                progress=progress,
                context=self.context(pipeline, glossary),
            )
        finally:
            self.counted(pipeline)
        self.log.info(
            "document job",
            extra={
                "job": record.id,
                "status": "done",
                "characters": result.characters,
                "units": result.report.units,
            },
        )
        return result.characters

    def expire_files(self) -> None:
        now = time.time()
        for path in self.files_dir.iterdir():
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > self.config.file_ttl:
                    path.unlink()

    # --- suggestions ----------------------------------------------------------------------------
    def _suggestion_sink(self):
        """Where /suggest puts a suggestion: the translation memory the service uses (as a
        unit with origin "suggestion"), else a JSON-lines file in the data folder."""
        if not self.config.suggestions:
            return None
        if self.service.settings.use_tm:
            from dilmanc.memory import TMUnit

            service = self.service

            def to_memory(q: str, s: str, source: str, target: str) -> None:
                memory = service.memory()
                memory.add_units([TMUnit(q, s, source, target, origin="suggestion")])

            return to_memory
        path = self.config.directory() / "suggestions.jsonl"
        lock = threading.Lock()

        def to_file(q: str, s: str, source: str, target: str) -> None:
            line = json.dumps(
                {"q": q, "s": s, "source": source, "target": target, "time": time.time()},
                ensure_ascii=False,
            )
            with lock, open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())

        return to_file
