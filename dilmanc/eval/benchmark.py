"""`eval run`: translate a registered test set through the normal pipeline and score it.

The same loader, pipeline and glossary enforcement as `dilmanc translate` are used, so a
benchmark measures what users get. The result is a run record (see records.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import UsageError
from dilmanc.eval.metrics import METRICS, corpus_scores
from dilmanc.eval.provenance import model_revision, peak_rss_mib, reset_peak_rss
from dilmanc.eval.records import RunRecord, new_record
from dilmanc.eval.testsets import load_pair
from dilmanc.languages import resolve


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


def glossary_hashes(paths: list[str]) -> dict | None:
    """sha256 of each glossary file and of them all together (in the order given)."""
    if not paths:
        return None
    files, total = [], hashlib.sha256()
    for path in paths:
        digest = (
            hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else None
        )
        files.append({"path": str(path), "sha256": digest})
        total.update((digest or "").encode())
    return {"files": files, "sha256": total.hexdigest()}


def run_benchmark(settings: RunSettings) -> tuple[RunRecord, list[str]]:
    """Translate and score; return (run record, hypotheses)."""
    from dilmanc.engines.registry import load_engine
    from dilmanc.models.resolve import normalize_engine, parse_model_options
    from dilmanc.pipeline.pipeline import DecodeOptions, Pipeline

    started = time.perf_counter()
    reset_peak_rss()
    if settings.limit is not None and settings.limit < 1:
        raise UsageError("--limit must be at least 1")
    data = load_pair(settings.testset, settings.pair, settings.data_dir, settings.limit)
    src_code, _, tgt_code = data.pair.pair.partition("-")
    source, target = resolve(src_code), resolve(tgt_code)

    t0 = time.perf_counter()
    spec = parse_model_options(settings.models, [target])[target.iso]
    engine = load_engine(
        spec,
        engine=normalize_engine(settings.engine),
        device=settings.device,
        threads=settings.threads,
    )
    load_s = time.perf_counter() - t0

    glossary = enforcer = None
    glossary_files = list(settings.glossaries)
    if glossary_files or settings.builtin_glossary:
        from dilmanc.glossary import TermEnforcer, builtin_path, load_glossaries

        glossary = load_glossaries(settings.glossaries, builtin=settings.builtin_glossary)
        if settings.builtin_glossary:
            glossary_files.insert(0, str(builtin_path()))
        if settings.glossary_mode != "off":
            enforcer = TermEnforcer(glossary, mode=settings.glossary_mode)
    decode = DecodeOptions(beam_size=settings.beam)
    pipeline = Pipeline(
        {target.iso: engine}, source, decode=decode, enforcer=enforcer, progress=settings.progress
    )
    t0 = time.perf_counter()
    hyps = pipeline.translate_lines(data.sources, target)
    translate_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = corpus_scores(hyps, [data.references], METRICS)
    term = None
    if glossary is not None:
        from dilmanc.glossary import term_accuracy

        term = term_accuracy(data.sources, hyps, target.iso, glossary)
    score_s = time.perf_counter() - t0
    engine_info = engine.info() if hasattr(engine, "info") else {}

    record = new_record(
        model=spec,
        engine=getattr(engine, "name", ""),
        architecture=getattr(engine, "architecture", ""),
        engine_info={**engine_info, "revision": model_revision(engine_info.get("directory"))},
        options={
            "decode": decode.as_dict(),
            "device": settings.device,
            "threads": settings.threads,
            "glossary_mode": settings.glossary_mode if glossary is not None else None,
        },
        glossary=glossary_hashes(glossary_files),
        testset=data.record(settings.limit),
        metrics={**scores.scores, "signatures": scores.signatures},
        term_accuracy=None if term is None else term.accuracy,
        term_counts=None if term is None else {"hits": term.hits, "total": term.total},
        timings={
            "load_s": round(load_s, 3),
            "translate_s": round(translate_s, 3),
            "score_s": round(score_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
            "segments_per_s": round(len(hyps) / translate_s, 2) if translate_s > 0 else None,
        },
        memory={"peak_rss_mib": peak_rss_mib()},
        pipeline=pipeline.report(),
    )
    return record, hyps
