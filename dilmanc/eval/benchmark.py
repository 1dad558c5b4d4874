"""`eval run`: translate a registered test set through the normal pipeline and score it.

The same service layer as `dilmanc translate` (`dilmanc.pipeline.service`) builds the
engines, glossary enforcement and pipeline, so a benchmark measures what users get; with
`glossary_mode` "off" the glossary still checks and reports, as in `translate`.
The result is a run record (see records.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dilmanc.errors import SettingError
from dilmanc.eval.metrics import METRICS, corpus_scores
from dilmanc.eval.provenance import model_revision, peak_rss_mib, reset_peak_rss
from dilmanc.eval.records import RunRecord, new_record
from dilmanc.eval.testsets import load_pair


@dataclass
class RunSettings:
    testset: str
    pair: str
    models: list[str]
    glossaries: list[str]
    glossary_mode: str = "inject"
    limit: int | None = None
    engine: str | None = None
    device: str = "cpu"
    threads: int = 0
    builtin_glossary: bool = False
    beam: int = 4
    data_dir: str | None = None
    progress: Callable[[int], None] | None = None  # advance(lines done)


def run_benchmark(settings: RunSettings) -> tuple[RunRecord, list[str]]:
    """Translate and score through the service layer; return (run record, hypotheses)."""
    from dilmanc.engines.base import DecodeOptions
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings

    started = time.perf_counter()
    reset_peak_rss()
    if settings.limit is not None and settings.limit < 1:
        raise SettingError("limit", "must be at least 1")
    data = load_pair(settings.testset, settings.pair, settings.data_dir, settings.limit)
    src_code, _, tgt_code = data.pair.pair.partition("-")
    service = Service(
        Settings(
            source=src_code,
            targets=(tgt_code,),
            models=tuple(settings.models),
            engine=settings.engine,
            device=settings.device,
            threads=settings.threads,
            decode=DecodeOptions(beam_size=settings.beam),
            glossaries=tuple(settings.glossaries),
            builtin_glossary=settings.builtin_glossary,
            glossary_mode=settings.glossary_mode,
            use_tm=False,  # a benchmark measures the model: no memory, no cache
            use_cache=False,
        )
    ).load()
    target = service.targets[0]
    info = service.run_info()
    pipeline = service.pipeline(progress=settings.progress)
    t0 = time.perf_counter()
    hyps = pipeline.translate_lines(data.sources, target)
    translate_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = corpus_scores(hyps, [data.references], METRICS)
    term = None
    glossary = service.glossary()
    if glossary is not None:
        from dilmanc.glossary import term_accuracy

        term = term_accuracy(data.sources, hyps, target.iso, glossary)
    score_s = time.perf_counter() - t0

    engine = info.engines[target.iso]
    record = new_record(
        model=info.models[target.iso],
        engine=engine.engine,
        architecture=engine.architecture,
        engine_info={**engine.to_json(), "revision": model_revision(engine.directory)},
        options={
            "decode": info.decode,
            "device": settings.device,
            "threads": settings.threads,
            "glossary_mode": info.glossary_mode,
            "n_best": info.n_best,
        },
        glossary=info.to_json()["glossary"],
        testset=data.record(settings.limit),
        metrics={**scores.scores, "signatures": scores.signatures},
        term_accuracy=None if term is None else term.accuracy,
        term_counts=None if term is None else {"hits": term.hits, "total": term.total},
        timings={
            "load_s": round(service.load_seconds, 3),
            "translate_s": round(translate_s, 3),
            "score_s": round(score_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
            "segments_per_s": round(len(hyps) / translate_s, 2) if translate_s > 0 else None,
        },
        memory={"peak_rss_mib": peak_rss_mib()},
        pipeline=pipeline.report(),
    )
    return record, hyps
