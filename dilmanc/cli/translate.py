"""`dilmanc translate`: files or stdin in, one output per target language.

Everything that can fail cheaply is checked before a model loads or an output is created:
languages, options, output names, and every input decoded in full. Outputs are written
through `atomic_writer`, so an error or Ctrl-C never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import IO

import typer

from dilmanc.cli.inputs import Input, check_input, open_input, output_name
from dilmanc.cli.progress import progress_bar, wanted
from dilmanc.errors import UsageError
from dilmanc.fileio import STDIO, atomic_writer, write_text_atomic
from dilmanc.languages import Language, parse_targets, resolve
from dilmanc.models.resolve import normalize_engine, parse_model_options
from dilmanc.pipeline.pipeline import DecodeOptions, Pipeline

DEVICES = ("cpu", "cuda")
GLOSSARY_MODES = ("inject", "placeholder", "off")


def _choice(option: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise UsageError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")


def _positive(option: str, value: int, minimum: int = 1) -> None:
    if value < minimum:
        raise UsageError(f"{option} must be at least {minimum}, got {value}")


def _plan_outputs(
    inputs: list[Input], targets: list[Language], source: Language, out_dir: str | None
) -> list[dict[str, Path | None]]:
    """Per input: target iso → output path (None = stdout). UsageError on impossible layouts."""
    if out_dir is None:
        if len(targets) > 1:
            raise UsageError("several target languages need --out-dir DIR (one file per language)")
        if len(inputs) > 1:
            raise UsageError("several input files need --out-dir DIR (one output per input)")
        return [{targets[0].iso: None}]
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out-dir {directory} exists and is not a directory")
    plans: list[dict[str, Path | None]] = []
    taken: dict[Path, str] = {}
    for source_input in inputs:
        plan: dict[str, Path | None] = {}
        for target in targets:
            path = directory / output_name(source_input, target.iso, source.iso)
            if path in taken:
                raise UsageError(
                    f"{taken[path]} and {source_input.label} would both be written to {path}"
                )
            if not source_input.is_stdin and path.resolve() == Path(source_input.name).resolve():
                raise UsageError(f"output {path} would overwrite its input")
            taken[path] = source_input.label
            plan[target.iso] = path
        plans.append(plan)
    return plans


def _load_enforcer(glossaries: list[str], builtin: bool, mode: str):
    """A TermEnforcer when glossary terms are asked for ("off" checks without enforcing)."""
    if not (glossaries or builtin):
        return None
    from dilmanc.glossary import TermEnforcer, load_glossaries

    return TermEnforcer(load_glossaries(glossaries, builtin=builtin), mode=mode)


def _load_engines(specs: dict[str, str], source: Language, targets: list[Language], **kwargs):
    from dilmanc.engines.registry import load_engine

    engines = {}
    for target in targets:
        engine = load_engine(specs[target.iso], **kwargs)
        engine.check_pair(source, target)
        engines[target.iso] = engine
    return engines


class _GlossaryReport:
    """Streams `{"segments": [...], "summary": {...}}` to a file: each distinct segment in
    which a glossary term was found (per target), then the run's totals."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.first = True
        handle.write('{"segments": [')

    def __call__(self, target: str, sources: list[str], results: list) -> None:
        for source, result in zip(sources, results, strict=True):
            if result.report.get("found"):
                record = {"target": target, "source": source, "output": result.output}
                record.update(result.report)
                self.handle.write(",\n" if not self.first else "\n")
                self.handle.write(json.dumps(record, ensure_ascii=False))
                self.first = False

    def close(self, summary: dict) -> None:
        self.handle.write(f'\n], "summary": {json.dumps(summary)}}}\n')


def translate_command(
    files: list[str] = typer.Argument(
        None, metavar="FILE", help="Input files; none or '-' reads stdin."
    ),
    to: str = typer.Option(
        "en", "--to", "-t", metavar="LANGS", help="Target languages, comma separated."
    ),
    source_code: str = typer.Option("az", "--from", "-f", metavar="LANG", help="Source language."),
    model: list[str] = typer.Option(
        None,
        "--model",
        "-m",
        metavar="MODEL",
        help="Preset, hub id or model directory; LANG=MODEL picks one per target (repeatable).",
    ),
    engine: str = typer.Option(
        None,
        "--engine",
        metavar="ENGINE",
        help="transformers or ctranslate2 (default: from the model directory).",
    ),
    out_dir: str = typer.Option(
        None,
        "--out-dir",
        "-o",
        metavar="DIR",
        help="Write <stem>.<lang><ext> here (needed for several outputs).",
    ),
    encoding: str = typer.Option(
        None, "--encoding", metavar="ENCODING", help="Input encoding (default UTF-8)."
    ),
    beam: int = typer.Option(4, "--beam", metavar="N", help="Beam size."),
    max_length: int = typer.Option(
        256, "--max-length", metavar="N", help="Longest output, in tokens."
    ),
    min_length: int = typer.Option(
        0,
        "--min-length",
        hidden=True,
        metavar="N",
        help="Shortest output, in tokens (benchmarks: min = max).",
    ),
    batch_tokens: int = typer.Option(
        2048, "--batch-tokens", metavar="N", help="Token budget per batch."
    ),
    batch_size: int = typer.Option(
        0, "--batch-size", metavar="N", help="Most segments per batch (0: the engine's default)."
    ),
    device: str = typer.Option("cpu", "--device", metavar="DEVICE", help="cpu or cuda."),
    threads: int = typer.Option(
        0, "--threads", metavar="N", help="CPU threads (0: the engine's default)."
    ),
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
    glossary_mode: str = typer.Option(
        "inject", "--glossary-mode", metavar="MODE", help="inject, placeholder or off."
    ),
    glossary_report: str = typer.Option(
        None,
        "--glossary-report",
        metavar="FILE",
        help="Write per-segment glossary checks (JSON) to FILE.",
    ),
) -> None:
    """Translate Azerbaijani text into one or more target languages."""
    started = time.perf_counter()
    source = resolve(source_code)
    targets = parse_targets(to)
    if source in targets:
        raise UsageError(f"source and target language are both {source.iso}")
    engine = normalize_engine(engine)
    _choice("--device", device, DEVICES)
    _choice("--glossary-mode", glossary_mode, GLOSSARY_MODES)
    _positive("--beam", beam)
    _positive("--max-length", max_length)
    _positive("--min-length", min_length, 0)
    if min_length > max_length:
        raise UsageError(f"--min-length {min_length} is above --max-length {max_length}")
    _positive("--batch-tokens", batch_tokens)
    _positive("--batch-size", batch_size, 0)
    _positive("--threads", threads, 0)
    glossaries = list(glossary or [])
    if glossary_report and not (glossaries or builtin_glossary):
        raise UsageError("--glossary-report needs a glossary (-g FILE or --builtin-glossary)")
    names = list(files or []) or [STDIO]
    if names.count(STDIO) > 1:
        raise UsageError("standard input ('-') can be read only once")

    inputs = [check_input(name, encoding) for name in names]
    plans = _plan_outputs(inputs, targets, source, out_dir)

    specs = parse_model_options(list(model or []), targets)
    enforcer = _load_enforcer(glossaries, builtin_glossary, glossary_mode)
    load_started = time.perf_counter()
    engines = _load_engines(specs, source, targets, engine=engine, device=device, threads=threads)
    load_seconds = time.perf_counter() - load_started

    decode = DecodeOptions(beam, max_length, batch_tokens, batch_size, min_length)
    show = wanted(quiet)
    written: list[str] = []
    with contextlib.ExitStack() as stack:
        sink = None
        if glossary_report:
            sink = _GlossaryReport(stack.enter_context(atomic_writer(glossary_report)))
        advance = stack.enter_context(
            progress_bar(sum(i.lines for i in inputs), "translating", enabled=show)
        )
        pipeline = Pipeline(
            engines, source, decode=decode, enforcer=enforcer, progress=advance, glossary_sink=sink
        )
        for source_input, plan in zip(inputs, plans, strict=True):
            written += _translate_one(pipeline, source_input, plan, targets, encoding)
        if sink is not None:
            sink.close(pipeline.report().get("glossary", {}))

    if report:
        record = _report(pipeline, specs, engines, source, targets, decode, inputs, written)
        record["options"].update(device=device, threads=threads, glossary_mode=glossary_mode)
        record["options"]["glossaries"] = glossaries + (["builtin"] if builtin_glossary else [])
        record["seconds"]["load"] = round(load_seconds, 4)
        record["seconds"]["total"] = round(time.perf_counter() - started, 4)
        write_text_atomic(report, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    if not quiet and written:
        for path in written:
            print(f"dilmanc: wrote {path}", file=sys.stderr)
    if enforcer is not None:  # failures are shown even with --quiet
        totals = pipeline.report()["glossary"]
        if totals.get("failed") or not quiet:
            print(_glossary_summary(totals, glossary_report), file=sys.stderr)


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


def _translate_one(
    pipeline: Pipeline,
    source_input: Input,
    plan: dict[str, Path | None],
    targets: list[Language],
    encoding: str | None,
) -> list[str]:
    """Stream one input into its outputs; returns the files written."""
    with contextlib.ExitStack() as stack:
        handles: dict[str, IO[str]] = {}
        for iso, path in plan.items():
            handles[iso] = sys.stdout if path is None else stack.enter_context(atomic_writer(path))
        pipeline.translate_stream(
            open_input(source_input, encoding), targets, lambda iso, text: handles[iso].write(text)
        )
        if None in plan.values():
            sys.stdout.flush()
    return [str(path) for path in plan.values() if path is not None]


def _report(
    pipeline: Pipeline,
    specs: dict[str, str],
    engines: dict,
    source: Language,
    targets: list[Language],
    decode: DecodeOptions,
    inputs: list[Input],
    written: list[str],
) -> dict:
    from dilmanc import __version__

    stats = pipeline.report()
    return {
        "dilmanc": __version__,
        "model": {t.iso: specs[t.iso] for t in targets},
        "engine": {t.iso: engines[t.iso].name for t in targets},
        "languages": {"source": source.iso, "targets": [t.iso for t in targets]},
        "options": decode.as_dict(),
        "inputs": [i.label for i in inputs],
        "outputs": written or ["standard output"],
        "segments": stats["segments"],
        "seconds": stats["seconds"],
        **({"glossary": stats["glossary"]} if "glossary" in stats else {}),
    }
