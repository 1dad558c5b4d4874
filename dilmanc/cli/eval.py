"""`dilmanc eval`: score, compare, testsets, run, report, gate.

Exit codes follow dilmanc.errors: 2 for mismatched or unreadable inputs, 3 for a test set
that is missing offline, 1 when `--fail-below` floors are not met or `gate` finds a
significant regression beyond its tolerance.
"""

from __future__ import annotations

import json

import typer

from dilmanc.cli.help import make_app
from dilmanc.cli.options import ENGINE
from dilmanc.errors import UsageError
from dilmanc.eval.metrics import LABELS, METRICS
from dilmanc.fileio import ENCODING_ADVICE, check_writable

app = make_app()

ENCODING = typer.Option(None, "--encoding", help="Input encoding (default UTF-8).")
FAIL_BELOW = typer.Option(
    None,
    "--fail-below",
    metavar="FLOORS",
    help="Exit 1 unless every floor holds, e.g. bleu=25,chrf=50. TER is lower-is-better: "
    "ter=60 fails when TER is above 60. term=0.9 gates term accuracy (a fraction).",
)


def warn_empty(name: str, lines: list[str]) -> None:
    """A stderr warning when hypothesis lines are empty (they still count, as empty)."""
    from dilmanc.eval.inputs import empty_warning

    message = empty_warning(name, lines)
    if message:
        typer.echo(f"dilmanc: warning: {message}", err=True)


def _echo_json(data: dict | list) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _term_accuracy(sources: list[str], hyps: list[str], lang: str, paths: list[str]):
    from dilmanc.glossary import load_glossaries, term_accuracy
    from dilmanc.languages import resolve

    glossary = load_glossaries(paths)
    return term_accuracy(sources, hyps, resolve(lang).iso, glossary)


def score_json(scores, term) -> dict:
    """The `eval score --json` contract: metrics not computed are null."""
    return {
        **{m: scores.get(m) for m in METRICS},
        "signatures": scores.signatures,
        "term_accuracy": None if term is None else term.accuracy,
        "segments": scores.segments,
    }


@app.command("score")
def score_command(
    hyp: str = typer.Option(
        ..., "--hyp", "-i", metavar="FILE", help="Hypothesis file, one segment per line."
    ),
    ref: list[str] = typer.Option(
        ..., "--ref", "-r", metavar="FILE", help="Reference file; repeat for more."
    ),
    metrics: str = typer.Option(
        "bleu,chrf,ter", "--metrics", "-m", metavar="LIST", help="bleu,chrf,ter"
    ),
    src: str | None = typer.Option(
        None, "--src", "-s", metavar="FILE", help="Source file (for term accuracy)."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Glossary file(s)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", "-l", metavar="LANG", help="Hypothesis language (en, ru)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    segments_csv: str | None = typer.Option(
        None,
        "--segments",
        metavar="FILE",
        help="Write per-segment sentence BLEU/chrF++ (worst first) to CSV.",
    ),
    fail_below: str | None = FAIL_BELOW,
    encoding: str | None = ENCODING,
) -> None:
    """Corpus BLEU, chrF++ and TER, equal to the sacrebleu command line on the same files."""
    from dilmanc.eval.gate import TERM, check_floors, parse_floors
    from dilmanc.eval.inputs import check_aligned, read_segments
    from dilmanc.eval.metrics import corpus_scores, parse_metrics

    floors = parse_floors(fail_below)
    if segments_csv:
        check_writable(segments_csv)
    wanted = set(parse_metrics(metrics)) | {m for m in floors if m != TERM}
    chosen = [m for m in METRICS if m in wanted]
    if glossary and not (src and lang):
        raise UsageError("term accuracy needs --src and --lang together with --glossary")
    if lang:
        from dilmanc.languages import resolve

        resolve(lang)  # an unknown code is a usage error even without a glossary
    hyps = read_segments(hyp, encoding, ENCODING_ADVICE)
    refs = [read_segments(r, encoding, ENCODING_ADVICE) for r in ref]
    files = [(hyp, hyps), *zip(ref, refs, strict=True)]
    sources = read_segments(src, encoding, ENCODING_ADVICE) if src else None
    if sources is not None:
        files.append((src, sources))
    check_aligned(files)
    warn_empty(hyp, hyps)
    scores = corpus_scores(hyps, refs, chosen)
    term = _term_accuracy(sources, hyps, lang, glossary) if glossary else None
    if segments_csv:
        _write_segments(segments_csv, hyps, refs, sources)
    if as_json:
        _echo_json(score_json(scores, term))
    else:
        lines = [scores.lines[name] for name in chosen]
        if term is not None:
            lines.append(f"term accuracy = {_fraction(term)}")
        lines.append(f"segments = {scores.segments}")
        typer.echo("\n".join(_align_on_equals(lines)))
    values = {**scores.scores, TERM: None if term is None else term.accuracy}
    check_floors(values, floors)


def _align_on_equals(lines: list[str]) -> list[str]:
    """Right-align the text before " = ", as the sacrebleu command line prints its scores."""
    heads = [line.partition(" = ") for line in lines]
    width = max(len(head) for head, _, _ in heads)
    return [f"{head.rjust(width)} = {tail}" for head, _, tail in heads]


def _fraction(term) -> str:
    if not term.total:
        return "n/a (no glossary terms in the source)"
    acc = "n/a" if term.accuracy is None else f"{term.accuracy:.3f}"
    return f"{acc} ({term.hits}/{term.total} terms)"


def _write_segments(path: str, hyps, refs, sources) -> None:
    import csv

    from dilmanc.eval.metrics import segment_scores
    from dilmanc.fileio import atomic_writer

    with atomic_writer(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["line", "sentence_bleu", "sentence_chrf", "hypothesis", "reference"]
            + (["source"] if sources is not None else [])
        )
        for seg in segment_scores(hyps, refs):
            i = seg.line - 1
            row = [seg.line, f"{seg.bleu:.2f}", f"{seg.chrf:.2f}", hyps[i], refs[0][i]]
            writer.writerow(row + ([sources[i]] if sources is not None else []))


@app.command("compare")
def compare_command(
    systems: list[str] = typer.Argument(
        ..., metavar="FILE", help="System outputs; the first is the baseline."
    ),
    ref: list[str] = typer.Option(
        ..., "--ref", "-r", metavar="FILE", help="Reference file; repeat for more."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    seed: int = typer.Option(12345, "--seed", help="Resampling seed (fixed for repeatability)."),
    samples: int = typer.Option(1000, "--samples", min=10, help="Bootstrap resamples."),
    encoding: str | None = ENCODING,
) -> None:
    """Paired bootstrap resampling (sacrebleu) of BLEU and chrF++ against the first system."""
    from dilmanc.eval.inputs import check_aligned, read_segments
    from dilmanc.eval.significance import paired_bootstrap

    if len(systems) < 2:
        raise UsageError("compare needs at least two systems (the first is the baseline)")
    outputs = [(name, read_segments(name, encoding, ENCODING_ADVICE)) for name in systems]
    refs = [read_segments(r, encoding, ENCODING_ADVICE) for r in ref]
    check_aligned([*outputs, *zip(ref, refs, strict=True)])
    for name, lines in outputs:
        warn_empty(name, lines)
    comparison = paired_bootstrap(outputs, refs, seed=seed, n_samples=samples)
    if as_json:
        _echo_json(comparison.as_dict())
        return
    _print_comparison(comparison)


def _print_comparison(comparison) -> None:
    metrics = list(comparison.signatures)
    rows = [["system"] + [h for m in metrics for h in (f"{LABELS[m]} (mean ± 95% CI)", "p")]]
    for system in comparison.systems:
        row = [system.name + (" (baseline)" if system.baseline else "")]
        for m in metrics:
            r = system.metrics[m]
            row.append(f"{r.score:.1f} ({r.mean:.1f} ± {r.ci:.1f})")
            star = "*" if r.significant else " "
            row.append("–" if r.p_value is None else f"{r.p_value:.4f}{star}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    typer.echo(
        f"paired bootstrap resampling: {comparison.n_samples} resamples, seed {comparison.seed}"
    )
    for k, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        typer.echo("  ".join(cells).rstrip())
        if k == 0:
            typer.echo("  ".join("-" * w for w in widths))
    typer.echo("* significantly different from the baseline (p < 0.05)")
    for m, sig in comparison.signatures.items():
        typer.echo(f"{LABELS[m]} signature: {sig}")


@app.command("testsets")
def testsets_command(
    data_dir: str | None = typer.Option(
        None, "--data-dir", metavar="DIR", help="Folder holding test sets."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List registered test sets: pairs, sizes, licences, and whether present here."""
    from dilmanc.eval.testsets import listing, search_dirs

    rows = listing(data_dir)
    if as_json:
        _echo_json(rows)
        return
    table = [["test set", "pair", "segments", "licence", "status", "note"]]
    for row in rows:
        table.append(
            [
                row["testset"],
                row["pair"],
                str(row["segments"]),
                row["licence"],
                row["status"],
                "translationese source" if row["translationese"] else "",
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    typer.echo("searched: " + ", ".join(str(d) for d in search_dirs(data_dir)))


@app.command("run")
def run_command(
    testset: str = typer.Option(
        ..., "--testset", metavar="NAME", help="Registered test set (ntrex128)."
    ),
    pair: str = typer.Option("az-en", "--pair", "-p", help="Language pair, e.g. az-en."),
    model: list[str] = typer.Option(
        None, "--model", "-m", help="Preset, hub id or model directory (default: as translate)."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Glossary file(s)."
    ),
    builtin_glossary: bool = typer.Option(
        False, "--builtin-glossary/--no-builtin-glossary", help="Also use the built-in glossary."
    ),
    glossary_mode: str = typer.Option(
        "inject",
        "--glossary-mode",
        metavar="MODE",
        help="Term enforcement: inject, placeholder or off.",
    ),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="First N segments."),
    out: str = typer.Option(
        "runs", "--out", "-o", metavar="DIR", help="Folder for the run record."
    ),
    engine: str | None = ENGINE,
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    threads: int = typer.Option(0, "--threads", help="CPU threads (0: the engine's default)."),
    beam: int = typer.Option(4, "--beam", min=1, help="Beam size."),
    data_dir: str | None = typer.Option(
        None, "--data-dir", metavar="DIR", help="Folder holding test sets."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as JSON."),
    fail_below: str | None = FAIL_BELOW,
) -> None:
    """Translate a test set through the pipeline, score it, write a JSON run record."""
    from dilmanc.eval.benchmark import RunSettings, run_benchmark
    from dilmanc.eval.gate import TERM, check_floors, parse_floors
    from dilmanc.eval.records import write_run

    floors = parse_floors(fail_below)
    if glossary_mode not in ("inject", "placeholder", "off"):
        raise UsageError("--glossary-mode must be inject, placeholder or off")
    check_writable(out, directory=True)  # before the whole set is translated
    settings = RunSettings(
        testset=testset,
        pair=pair,
        models=model or [],
        glossaries=glossary or [],
        builtin_glossary=builtin_glossary,
        glossary_mode=glossary_mode,
        limit=limit,
        engine=engine,
        device=device,
        threads=threads,
        beam=beam,
        data_dir=data_dir,
    )
    from dilmanc.cli.progress import progress_bar, wanted

    with progress_bar(None, "translating", enabled=wanted(quiet) and not as_json) as advance:
        settings.progress = advance
        record, hyps = run_benchmark(settings)
    json_path, hyp_path = write_run(out, record, hyps)
    warn_empty(str(hyp_path), hyps)
    if as_json:
        from dilmanc.eval.records import record_json

        _echo_json(record_json(record))
    metrics = record.metrics
    if not as_json:
        summary = ", ".join(f"{LABELS[m]} {metrics.get(m):.1f}" for m in METRICS)
        if record.term_accuracy is not None:
            summary += f", term accuracy {record.term_accuracy:.3f}"
        typer.echo(f"{record.testset.name} {record.testset.pair}: {summary}")
        typer.echo(f"wrote {json_path} and {hyp_path.name}")
    check_floors({**{m: metrics.get(m) for m in METRICS}, TERM: record.term_accuracy}, floors)


TEST = typer.Option(
    "bs",
    "--test",
    help="Significance test: bs (paired bootstrap) or ar (approximate randomization).",
)
SEED = typer.Option(12345, "--seed", help="Resampling seed (sacrebleu's default).")
SAMPLES = typer.Option(
    None, "--samples", help="Bootstrap resamples (default 1000) or AR trials (default 10000)."
)
ALPHA_OPTION = typer.Option(0.05, "--alpha", help="Significance level: p below it is significant.")
DATA_DIR = typer.Option(
    None, "--data-dir", help="Folder holding test sets (for sources and references)."
)


@app.command("report")
def report_command(
    runs: list[str] = typer.Argument(
        ..., metavar="FILE", help="Run records (JSON) written by `eval run`."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", "-b", help="The run to compare against (default: the first)."
    ),
    html_out: str | None = typer.Option(
        None, "--html", metavar="FILE", help="Write a self-contained HTML."
    ),
    md_out: str | None = typer.Option(None, "--md", metavar="FILE", help="Write Markdown."),
    data_dir: str | None = DATA_DIR,
    test: str = TEST,
    seed: int = SEED,
    samples: int | None = SAMPLES,
    alpha: float = ALPHA_OPTION,
    segments: int = typer.Option(
        10, "--segments", help="Largest sentence chrF++ gains and losses shown per candidate."
    ),
) -> None:
    """Decide between runs: deltas with significance, differing settings, where, and cost."""
    from dilmanc.eval.diff import CompareOptions, build_comparison, find_baseline, load_runs
    from dilmanc.eval.report import render_html, render_markdown
    from dilmanc.fileio import write_text_atomic

    if not html_out and not md_out:
        raise UsageError("report needs --html FILE and/or --md FILE")
    for path in (html_out, md_out):
        if path:
            check_writable(path)  # all of them, before one is written
    options = CompareOptions(
        test=test, seed=seed, samples=samples, alpha=alpha, segments=segments, data_dir=data_dir
    )
    options.check()
    loaded = load_runs(runs)
    comparison = build_comparison(loaded, find_baseline(loaded, baseline), options)
    pages = []
    if html_out:
        pages.append((html_out, render_html(comparison)))
    if md_out:
        pages.append((md_out, render_markdown(comparison)))
    for path, text in pages:
        write_text_atomic(path, text)
        typer.echo(f"wrote {path}")


@app.command("gate")
def gate_command(
    baseline: str = typer.Option(..., "--baseline", "-b", help="Baseline run record (JSON)."),
    candidate: str = typer.Option(..., "--candidate", "-c", help="Candidate run record (JSON)."),
    max_drop: str | None = typer.Option(
        None,
        "--max-drop",
        help="Tolerated drop per metric in points, e.g. bleu=0.5,chrf=0.5 (ter=1: a rise of 1).",
    ),
    max_term_drop: float | None = typer.Option(
        None, "--max-term-drop", help="Tolerated drop of term accuracy (a fraction, e.g. 0.01)."
    ),
    alpha: float = ALPHA_OPTION,
    test: str = TEST,
    seed: int = SEED,
    samples: int | None = SAMPLES,
    data_dir: str | None = DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as one JSON object."),
) -> None:
    """Exit 1 when the candidate is significantly worse than the baseline beyond a tolerance."""
    from dilmanc.eval.diff import CompareOptions, build_comparison, load_runs
    from dilmanc.eval.gate import judge, parse_max_drops

    drops = parse_max_drops(max_drop)
    if not drops and max_term_drop is None:
        raise UsageError("gate needs --max-drop METRIC=POINTS and/or --max-term-drop FRACTION")
    if max_term_drop is not None and not 0 <= max_term_drop <= 1:
        raise UsageError("--max-term-drop is a fraction between 0 and 1 (e.g. 0.01)")
    options = CompareOptions(
        test=test,
        seed=seed,
        samples=samples,
        alpha=alpha,
        data_dir=data_dir,
        require_terms=max_term_drop is not None,
    )
    options.check()
    runs = load_runs([baseline, candidate])
    comparison = build_comparison(runs, 0, options, gate=True)
    verdict = judge(comparison, drops, max_term_drop)
    if as_json:
        _echo_json(verdict.as_dict())
    else:
        for line in verdict.lines:
            typer.echo(line.text())
        for note in verdict.notes:
            typer.echo(f"note: {note}")
        typer.echo("gate: " + ("passed" if verdict.passed else "FAILED"))
    verdict.raise_if_failed()
