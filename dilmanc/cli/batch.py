"""`dilmanc batch`: a whole archive into one or more languages, resumable, locally or on Ray.

Outputs are the ones `dilmanc translate INPUT -o OUT` writes (same names, same bytes, same
atomic writes); `OUT/.dilmanc-batch/manifest.jsonl` records each finished item, so running the
same command again translates only what is missing or changed. An item that fails is tried
again (`--retries`), then recorded with its error, and the run goes on. Exit 0 when every
item is done, 1 when some failed (they are listed; the next run tries them again), 2 for bad
usage, 3 when Ray is wanted but not installed or not reachable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dilmanc.cli.options import (
    BEAM,
    DEVICE,
    GLOSSARY_MODE,
    MEMORY_FILE,
    MIN_LENGTH,
    NO_CACHE,
    NO_TM,
    SOURCE,
)
from dilmanc.cli.translate import _settings
from dilmanc.documents.registry import FORMATS
from dilmanc.engines.base import DecodeOptions
from dilmanc.errors import EXIT_GATE_FAILED, UsageError
from dilmanc.fileio import check_writable, write_text_atomic


def batch_command(
    source_input: str = typer.Argument(
        ..., metavar="INPUT", help="A folder, a glob ('archive/**/*.docx') or a .jsonl/.csv list."
    ),
    to: str = typer.Option(
        "en", "--to", "-t", metavar="LANGS", help="Target languages, comma separated."
    ),
    out_dir: str = typer.Option(
        ..., "--out-dir", "-o", metavar="DIR", help="Output folder (inputs' folders mirrored)."
    ),
    ray_address: str = typer.Option(
        None,
        "--ray",
        metavar="ADDRESS",
        help="Run on a Ray cluster: auto (started with `ray start --head`), an address, or "
        "local (a new one here). Default: this process.",
    ),
    workers: int = typer.Option(
        0, "--workers", metavar="N", help="Ray actors (0: as many as the CPUs allow)."
    ),
    retries: int = typer.Option(
        2, "--retries", metavar="N", help="Further attempts for an item that fails."
    ),
    source_code: str = SOURCE,
    model: list[str] = typer.Option(
        None, "--model", "-m", metavar="MODEL", help="As for translate (LANG=MODEL per target)."
    ),
    engine: str = typer.Option(None, "--engine", metavar="ENGINE", help="As for translate."),
    fmt: str = typer.Option(
        None, "--format", metavar="FORMAT", help="Input format: " + ", ".join(FORMATS) + "."
    ),
    encoding: str = typer.Option(
        None, "--encoding", metavar="ENCODING", help="Input encoding of text files."
    ),
    beam: int = BEAM,
    max_length: int = typer.Option(
        256, "--max-length", metavar="N", help="Longest output, in tokens."
    ),
    min_length: int = MIN_LENGTH,
    batch_tokens: int = typer.Option(
        2048, "--batch-tokens", metavar="N", help="Token budget per batch."
    ),
    device: str = DEVICE,
    threads: int = typer.Option(
        0, "--threads", metavar="N", help="CPU threads (per Ray actor; 0: chosen)."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Glossary file; repeatable."
    ),
    builtin_glossary: bool = typer.Option(
        False, "--builtin-glossary/--no-builtin-glossary", help="Also the built-in glossary."
    ),
    glossary_mode: str = GLOSSARY_MODE,
    tm: str = MEMORY_FILE,
    no_tm: bool = NO_TM,
    no_cache: bool = NO_CACHE,
    qe: str = typer.Option("on", "--qe", metavar="on|off", help="Quality estimation."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    report: str = typer.Option(
        None, "--report", metavar="FILE", help="Write the run's summary (JSON) to FILE."
    ),
) -> int:
    """Translate an archive (thousands of documents), resumable, locally or on Ray."""
    from dilmanc.batch import RunState, Summary, Worker, find_inputs, plan, run_local
    from dilmanc.batch import settings_hash as make_hash
    from dilmanc.batch.texts import is_text_table
    from dilmanc.cli.progress import Bars, wanted

    if workers < 0 or retries < 0:
        raise UsageError("--workers and --retries must be 0 or more")
    if workers and not ray_address:
        raise UsageError("--workers needs --ray (locally one process translates)")
    settings = _settings(
        source=source_code,
        targets=tuple(part.strip() for part in to.split(",") if part.strip()),
        models=tuple(model or ()),
        engine=engine,
        device=device,
        threads=threads,
        decode=DecodeOptions(beam, max_length, batch_tokens, min_length=min_length),
        glossaries=tuple(glossary or ()),
        builtin_glossary=builtin_glossary,
        glossary_mode=glossary_mode,
        memory=tm,
        use_tm=not no_tm,
        use_cache=not no_cache,
        qe=qe,
    )
    if ray_address:
        from dilmanc.batch.cluster import require_ray

        require_ray()  # exit 3 naming the extra, before any work
        from dilmanc.pipeline.service import Service

        Service(settings).engines()  # a wrong model fails here, not in every actor
    digest = make_hash(settings, format=fmt, encoding=encoding)
    if is_text_table(source_input):
        if report:
            check_writable(report)
        summary = _texts(source_input, out_dir, settings, digest, ray_address, workers, retries,
                         quiet)  # fmt: skip
        return _finish(summary, [], report, quiet)
    skipped: list[Path] = []
    items = find_inputs(source_input, settings.source_language.iso, fmt, skipped)
    check_writable(out_dir, directory=True)
    if report:
        check_writable(report)
    summary = Summary()
    with RunState(out_dir, digest) as state:
        pending, summary.skipped = plan(items, state)
        show = wanted(quiet)
        with Bars(len(pending), len(pending), enabled=show, label="batch") as bars:

            def advance(item, outcome) -> None:
                bars.next_file(Path(item.relative).name)
                bars.advance(1)

            if ray_address:
                from dilmanc.batch.cluster import run_ray

                run_ray(pending, state, settings, summary, address=ray_address,
                        workers=workers, fmt=fmt, encoding=encoding, retries=retries,
                        on_result=advance)  # fmt: skip
            else:

                def factory() -> Worker:
                    return Worker(settings, out_dir, fmt=fmt, encoding=encoding, retries=retries)

                run_local(pending, state, factory, summary, on_result=advance)
    return _finish(summary, skipped, report, quiet)


def _finish(summary, skipped: list[Path], report: str | None, quiet: bool) -> int:
    """The report, the failures and the summary line; the exit code."""
    if report:
        write_text_atomic(report, json.dumps(summary.to_json(), indent=2) + "\n")
    for path, problem in summary.failed:  # shown even with --quiet
        print(f"dilmanc: failed: {path}: {problem}", file=sys.stderr)
    if not quiet:
        if skipped:
            print(f"dilmanc: passed over {len(skipped)} file(s) of unknown type", file=sys.stderr)
        print(
            f"dilmanc: batch: {summary.done} done, {summary.skipped} skipped (already done), "
            f"{len(summary.failed)} failed, {summary.units} units in {summary.seconds:.1f} s",
            file=sys.stderr,
        )
    return EXIT_GATE_FAILED if summary.failed else 0


def _texts(source, out_dir, settings, digest, ray_address, workers, retries, quiet):
    """A corpus of texts with ids (see `dilmanc.batch.texts`): batches of texts, resumable by
    id; the output file is written once every text is translated."""
    from dilmanc.batch import RunState, Summary, Worker
    from dilmanc.batch import texts as corpus
    from dilmanc.cli.progress import Bars, wanted

    texts = corpus.read_texts(source)
    check_writable(out_dir, directory=True)
    summary = Summary()
    with RunState(out_dir, digest) as state:
        batches, summary.skipped = corpus.plan_texts(texts, corpus.finished(state))
        rows = corpus.batch_rows(batches)
        with Bars(len(rows), len(rows), enabled=wanted(quiet), label="batch") as bars:

            def advance(item, outcome) -> None:
                bars.advance(1)

            if ray_address:
                from dilmanc.batch.cluster import run_ray_texts

                run_ray_texts(rows, state, settings, summary, address=ray_address,
                              workers=workers, retries=retries, on_result=advance)  # fmt: skip
            else:

                def factory() -> Worker:
                    return Worker(settings, out_dir, retries=retries)

                corpus.run_texts_local(rows, state, factory, summary, on_result=advance)
        if not summary.failed:
            targets = [t.iso for t in settings.target_languages]
            path = corpus.output_path(out_dir, source)
            corpus.write_output(texts, corpus.finished(state), targets, path)
    return summary
