"""`dilmanc translate`: files, folders or stdin in, one output per target language.

Everything that can fail cheaply is checked before a model loads or an output is created:
settings, output names, and every input parsed in full by its format. Outputs are written
through `atomic_writer`, so an error or Ctrl-C never leaves a partial file behind. The work
itself is the service layer's (`dilmanc.pipeline.service`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import typer

from dilmanc.cli.options import (
    BEAM,
    DEVICE,
    ENGINE,
    GLOSSARY_MODE,
    MEMORY_FILE,
    MIN_LENGTH,
    NO_CACHE,
    NO_TM,
    SOURCE,
    VMAP,
)
from dilmanc.documents.base import Document
from dilmanc.documents.registry import FORMATS, format_names, output_paths, walk_folder
from dilmanc.engines.base import DecodeOptions
from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import (
    ENCODING_ADVICE,
    STDIO,
    atomic_writer,
    check_writable,
    write_text_atomic,
)
from dilmanc.languages import Language
from dilmanc.pipeline.settings import Settings


@dataclass
class Job:
    """One input document and where each target language goes (None: standard output)."""

    document: Document
    outputs: dict[str, Path | None]


def _settings(**values) -> Settings:
    return Settings(**values).validate()  # a SettingError's line names its flag (app.py)


def _expand(
    names: list[str], source_iso: str, explicit: str | None, skipped: list[Path]
) -> list[tuple[Path, Path]]:
    """Input files as (path, path relative to its root); folders are walked recursively for
    files of a known format (hidden files are passed over, unknown types go to `skipped`)."""
    out: list[tuple[Path, Path]] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            out += walk_folder(path, explicit, source_iso, skipped)
        else:
            out.append((path, Path(path.name)))
    return out


def _load(
    names: list[str],
    source: Language,
    fmt: str | None,
    encoding: str | None,
    skipped: list[Path],
    **options,
):
    """(document, relative output path) per input, all parsed before any model loads."""
    from dilmanc.documents.plaintext import TextDocument
    from dilmanc.documents.registry import open_document
    from dilmanc.fileio import read_text

    loaded = []
    for path, relative in _expand([n for n in names if n != STDIO], source.iso, fmt, skipped):
        document = open_document(
            path, format=fmt, encoding=encoding, source_iso=source.iso, **options
        )
        loaded.append((document, relative))
    if STDIO in names:
        if fmt not in (None, "text", "txt", "plain"):
            raise UsageError("standard input is read as plain text; --format needs files")
        text = read_text(STDIO, encoding, ENCODING_ADVICE)
        if not text.strip():
            raise InputError("standard input is empty")
        loaded.insert(names.index(STDIO), (TextDocument.from_text(text), Path("stdin.txt")))
    return loaded


def _plan(
    loaded: list[tuple[Document, Path]],
    targets: list[Language],
    source: Language,
    out_dir: str | None,
) -> list[Job]:
    """Per input: target iso → output path (None = stdout). UsageError on impossible layouts."""
    for document, _ in loaded:
        for target in targets:
            document.check_target(target)
        if getattr(document, "single_target", False) and len(targets) > 1:
            raise UsageError(
                f"{document.label}: a {document.format} file holds one target language; "
                "translate it with one --to at a time"
            )
    if out_dir is None:
        if len(targets) > 1:
            raise UsageError("several target languages need --out-dir DIR (one file per language)")
        if len(loaded) > 1:
            raise UsageError("several input files need --out-dir DIR (one output per input)")
        document = loaded[0][0]
        if document.binary:
            raise UsageError(f"{document.label}: a {document.format} file needs --out-dir DIR")
        return [Job(document, {targets[0].iso: None})]
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out-dir {directory} exists and is not a directory")
    jobs: list[Job] = []
    taken: dict[Path, str] = {}
    for document, relative in loaded:
        outputs: dict[str, Path | None] = {}
        planned = output_paths(relative, [t.iso for t in targets], source.iso, directory)
        for target in targets:
            path = planned[target.iso]
            if path in taken:
                raise UsageError(
                    f"{taken[path]} and {document.label} would both be written to {path}"
                )
            if document.path is not None and path.resolve() == document.path.resolve():
                raise UsageError(f"output {path} would overwrite its input")
            taken[path] = document.label
            outputs[target.iso] = path
        jobs.append(Job(document, outputs))
    return jobs


class _GlossaryReport:
    """Streams `{"segments": [...], "summary": {...}}` to a file: each distinct segment in
    which a glossary term was found (per target), with where its translation came from
    (`origin`: machine, cache, tm-exact, tm-context), then the run's totals."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.first = True
        handle.write('{"segments": [')

    def __call__(self, target: str, sources: list[str], results: list) -> None:
        for source, result in zip(sources, results, strict=True):
            if result.report.found:
                record = {"target": target, "source": source, "output": result.output}
                record.update(origin=result.origin.value, **result.report.to_json())
                self.handle.write(",\n" if not self.first else "\n")
                self.handle.write(json.dumps(record, ensure_ascii=False))
                self.first = False

    def close(self, summary: dict) -> None:
        self.handle.write(f'\n], "summary": {json.dumps(summary)}}}\n')


def translate_command(
    files: list[str] = typer.Argument(
        None, metavar="FILE|DIR", help="Input files or folders; none or '-' reads stdin."
    ),
    to: str = typer.Option(
        "en", "--to", "-t", metavar="LANGS", help="Target languages, comma separated."
    ),
    source_code: str = SOURCE,
    model: list[str] = typer.Option(
        None,
        "--model",
        "-m",
        metavar="MODEL",
        help="Preset, hub id or model directory; LANG=MODEL picks one per target (repeatable).",
    ),
    engine: str = ENGINE,
    out_dir: str = typer.Option(
        None,
        "--out-dir",
        "-o",
        metavar="DIR",
        help="Write <stem>.<lang><ext> here, folders mirrored (needed for several outputs).",
    ),
    fmt: str = typer.Option(
        None,
        "--format",
        metavar="FORMAT",
        help="Input format instead of detecting it: " + ", ".join(FORMATS) + ".",
    ),
    encoding: str = typer.Option(
        None, "--encoding", metavar="ENCODING", help="Input encoding of text files (default UTF-8)."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace existing translations in PO and XLIFF files."
    ),
    beam: int = BEAM,
    max_length: int = typer.Option(
        256, "--max-length", metavar="N", help="Longest output, in tokens."
    ),
    min_length: int = MIN_LENGTH,
    batch_tokens: int = typer.Option(
        2048, "--batch-tokens", metavar="N", help="Token budget per batch."
    ),
    batch_size: int = typer.Option(
        0, "--batch-size", metavar="N", help="Most segments per batch (0: the engine's default)."
    ),
    device: str = DEVICE,
    threads: int = typer.Option(
        0,
        "--threads",
        metavar="N",
        help="CPU threads of one translator (0: chosen from the work: one wide translator "
        "for a single sentence, several narrow ones otherwise).",
    ),
    vmap: str = VMAP,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or notes."),
    report: str = typer.Option(
        None, "--report", metavar="FILE", help="Write a JSON run report to FILE."
    ),
    glossary: list[str] = typer.Option(
        None,
        "--glossary",
        "-g",
        metavar="FILE",
        help="Glossary file (TSV, CSV or TBX); repeatable.",
    ),
    builtin_glossary: bool = typer.Option(
        False,
        "--builtin-glossary/--no-builtin-glossary",
        help="Also enforce dilmanc's built-in glossary (IOM, USAID, Tier 2 ...).",
    ),
    glossary_mode: str = GLOSSARY_MODE,
    n_best: int = typer.Option(
        4,
        "--n-best",
        metavar="N",
        help="For sentences with terms, keep the best of N hypotheses that satisfies the "
        "most terms (1: off).",
    ),
    glossary_report: str = typer.Option(
        None,
        "--glossary-report",
        metavar="FILE",
        help="Write per-segment glossary checks (JSON) to FILE.",
    ),
    tm: str = MEMORY_FILE,
    no_tm: bool = NO_TM,
    no_cache: bool = NO_CACHE,
    tm_threshold: float = typer.Option(
        75.0,
        "--tm-threshold",
        metavar="PCT",
        help="Report fuzzy memory matches from this score (the model still translates).",
    ),
    names: str = typer.Option(
        "off",
        "--names",
        metavar="STYLE",
        help="People's names as terms, one rendering per document: direct (Vugar), keep "
        "(Vüqar in English) or off. See `dilmanc names`.",
    ),
    names_file: list[str] = typer.Option(
        None, "--names-file", metavar="FILE", help="Name table overrides (TSV); repeatable."
    ),
    xlsx_sheet_names: bool = typer.Option(
        False,
        "--xlsx-sheet-names",
        help="Also translate worksheet names in Excel files (references to them follow).",
    ),
    qe: str = typer.Option(
        "on",
        "--qe",
        metavar="on|off",
        help="Quality estimation of every translated unit: verdict ok/review/bad with reasons "
        "(in --report, XLIFF states, PO fuzzy flags).",
    ),
    review_only: bool = typer.Option(
        False,
        "--review-only",
        help="List on stderr (and in --report) only the units that need review (review or bad).",
    ),
) -> None:
    """Translate Azerbaijani text and documents into one or more target languages."""
    from dilmanc.cli.progress import Bars, wanted

    started = time.perf_counter()
    settings = _settings(
        source=source_code,
        targets=tuple(part.strip() for part in to.split(",") if part.strip()),
        models=tuple(model or ()),
        engine=engine,
        device=device,
        threads=threads,
        vmap=vmap,
        decode=DecodeOptions(beam, max_length, batch_tokens, batch_size, min_length),
        glossaries=tuple(glossary or ()),
        builtin_glossary=builtin_glossary,
        glossary_mode=glossary_mode,
        n_best=n_best,
        overwrite=overwrite,
        memory=tm,
        use_tm=not no_tm,
        use_cache=not no_cache,
        tm_threshold=tm_threshold,
        names=None if names == "off" else names,
        name_files=tuple(names_file or ()),
        sheet_names=xlsx_sheet_names,
        qe=qe,
    )
    if review_only and settings.qe == "off":
        raise UsageError("--review-only needs quality estimation (--qe on)")
    if names_file and names == "off":
        raise UsageError("--names-file needs --names direct or --names keep")
    if fmt is not None and fmt not in format_names():
        from dilmanc.documents.registry import format_class

        format_class(fmt)  # UsageError naming the formats, or an alias
    if glossary_report and not settings.uses_glossary:
        raise UsageError(
            "--glossary-report needs a glossary (-g FILE, --builtin-glossary or --names)"
        )
    names = list(files or []) or [STDIO]
    if names.count(STDIO) > 1:
        raise UsageError("standard input ('-') can be read only once")
    source, targets = settings.source_language, settings.target_languages

    skipped: list[Path] = []
    loaded = _load(names, source, fmt, encoding, skipped, sheet_names=settings.sheet_names)
    if skipped and not quiet:
        shown = ", ".join(str(p) for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        print(f"dilmanc: skipped {len(skipped)} file(s) of unknown type: {shown}", file=sys.stderr)
    jobs = _plan(loaded, targets, source, out_dir)
    if out_dir:
        check_writable(out_dir, directory=True)
    for path in (report, glossary_report):
        if path:
            check_writable(path)

    from dilmanc.pipeline.service import Service

    if sum(job.document.size for job in jobs) <= 1:  # one sentence: one wide translator
        settings = dataclasses.replace(settings, workload="single")
    if settings.qe == "on" and not _reads_qe(jobs, report, review_only, quiet):
        settings = dataclasses.replace(settings, qe="off")  # verdicts nobody would see
    service = Service(settings)
    show = wanted(quiet)
    written: list[str] = []
    documents = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(service)  # the memory file is closed (cache written) at the end
        service.load(lazy=True)  # a model loads when a sentence needs it, not for cache hits
        sink = None
        if glossary_report:
            sink = _GlossaryReport(stack.enter_context(atomic_writer(glossary_report)))
        bars = stack.enter_context(
            Bars(len(jobs), sum(job.document.size for job in jobs), enabled=show)
        )
        pipeline = service.pipeline(progress=bars.advance, glossary_sink=sink)
        for job in jobs:
            bars.next_file(job.document.label)
            documents.append(_translate_one(service, pipeline, job, review_only))
            written += documents[-1].outputs
        if sink is not None:
            sink.close(pipeline.report().get("glossary", {}))

    stats = pipeline.report()
    info = service.run_info()
    if report:
        record = info.to_json()
        record.update(
            inputs=[job.document.label for job in jobs],
            outputs=written or ["standard output"],
            documents=[d.to_json() for d in documents],
            **stats,
        )
        record["options"].update(
            device=settings.device,
            threads=settings.threads,
            glossaries=[*settings.glossaries, *(["builtin"] if settings.builtin_glossary else [])],
            qe=settings.qe,
        )
        record["seconds"]["load"] = round(service.load_seconds, 4)
        record["seconds"]["total"] = round(time.perf_counter() - started, 4)
        write_text_atomic(report, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    if not quiet:
        for path in written:
            print(f"dilmanc: wrote {path}", file=sys.stderr)
        if written:  # with files, not on a pipe to standard output
            print(_licence_note(info), file=sys.stderr)
        for document in documents:
            if document.tags.tags:
                print(_tags_summary(document), file=sys.stderr)
    for document in documents:
        for warning in document.warnings:  # shown even with --quiet
            print(f"dilmanc: warning: {document.input}: {warning}", file=sys.stderr)
    for warning in stats["warnings"]:
        print(f"dilmanc: warning: {warning}", file=sys.stderr)
    if review_only:  # shown even with --quiet: it is what was asked for
        for document in documents:
            for line in _review_lines(document):
                print(line, file=sys.stderr)
    qe = stats.get("qe")
    if qe and not quiet and (written or qe["review"] + qe["bad"]):  # on a pipe: when flagged
        print(_qe_summary(qe), file=sys.stderr)
    recalled = sum(stats["memory"][k] for k in ("context", "exact", "fuzzy", "cache"))
    if not quiet and recalled:  # said only when the memory or the cache did something
        print(_memory_summary(stats["memory"]), file=sys.stderr)
    if settings.uses_glossary:  # failures are shown even with --quiet
        totals = stats["glossary"]
        if totals.get("failed") or not quiet:
            print(_glossary_summary(totals, glossary_report), file=sys.stderr)


def _reads_qe(jobs: list[Job], report: str | None, review_only: bool, quiet: bool) -> bool:
    """Whether anything in this run reads QE verdicts: the --report, --review-only, the
    quality line on stderr (not --quiet) or an output format that records them (XLIFF, PO).
    A quiet pipe to standard output reads none, so it is not estimated (the output is the
    same either way: QE never changes a translation)."""
    carried = any(job.document.carries_qe for job in jobs)
    return bool(report) or review_only or not quiet or carried


def _review_lines(document) -> list[str]:
    """One line per unit QE flagged: where it is, the verdict and the reasons in words."""
    return [
        f"dilmanc: {item['verdict']}: {document.input} [{item['target']}] "
        f"{item['location'] or 'unit ' + item['unit']}: {item['detail']}"
        for item in document.flagged
    ]


def _qe_summary(counts: dict) -> str:
    return (
        f"dilmanc: quality: {counts['ok']} units ok, {counts['review']} need review, "
        f"{counts['bad']} bad"
        + ("; --review-only lists them" if counts["review"] + counts["bad"] else "")
    )


def _tags_summary(document) -> str:
    tags = document.tags
    return (
        f"dilmanc: {document.input}: {tags.tags} inline tags in {document.units_with_tags} "
        f"units: {tags.by_model} kept by the model, {tags.by_alignment} placed by alignment, "
        f"{tags.fallback} by fallback"
        + (f" ({tags.emptied} pairs left empty: fewer words than pairs)" if tags.emptied else "")
        + f"; sentences re-decoded without tags: {tags.redecoded}"
    )


def _licence_note(info) -> str:
    """Whether the models used may be used commercially, from their licences."""
    licences = sorted({lic or "unknown" for lics in info.licences.values() for lic in lics})
    verdict = {
        True: "every model used allows commercial use",
        False: "a model used forbids commercial use",
        None: "commercial use: check the licence of models that are not presets",
    }[info.commercial_use]
    return f"dilmanc: licences: {', '.join(licences)}; {verdict}"


def _memory_summary(counts: dict) -> str:
    """Where the sentences' translations came from, in one stderr line."""
    return (
        f"dilmanc: memory: {counts['context']} context and {counts['exact']} exact matches, "
        f"{counts['fuzzy']} fuzzy suggestions, {counts['cache']} from the cache, "
        f"{counts['machine']} translated by the model"
    )


def _glossary_summary(totals: dict, report_path: str | None) -> str:
    """One stderr line: how many expected terms the output carries; failures are never hidden."""
    failed = totals.get("failed", 0)
    line = (
        f"dilmanc: glossary: {totals.get('satisfied', 0)} of {totals.get('expected', 0)} "
        f"expected terms in the output, {totals.get('rescued', 0)} segments rescued by retry"
    )
    if failed:
        where = f"; see {report_path}" if report_path else "; --glossary-report FILE lists them"
        line += f", {failed} term failures{where}"
    return line


def _translate_one(service, pipeline, job: Job, review_only: bool = False):
    """One document into its outputs (atomically); returns its DocumentReport."""
    if None not in job.outputs.values():
        return service.write_document(job.document, job.outputs, pipeline, review_only=review_only)
    handles: dict[str, IO] = dict.fromkeys(job.outputs, sys.stdout)
    result = service.translate_document(job.document, handles, pipeline, review_only=review_only)
    sys.stdout.flush()
    return result
