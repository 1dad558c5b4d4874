"""`dilmanc qe`: score existing translations line by line (any system's output) with the
quality-estimation detectors; print each line's verdict and reasons, or JSON."""

from __future__ import annotations

import json

import typer

from dilmanc.cli.options import DEVICE, ENGINE, SOURCE
from dilmanc.errors import QualityGateFailed, UsageError

FAIL_ON = ("bad", "review")


def qe_command(
    src: str = typer.Option(..., "--src", metavar="FILE", help="Source text, one segment a line."),
    hyp: str = typer.Option(..., "--hyp", metavar="FILE", help="Translations, line-aligned."),
    to: str = typer.Option(..., "--to", "-t", metavar="LANG", help="Language of the translations."),
    source_code: str = SOURCE,
    model: str = typer.Option(
        None,
        "--model",
        "-m",
        metavar="MODEL",
        help="Preset, hub id or model directory: score each translation under this model too.",
    ),
    engine: str = ENGINE,
    device: str = DEVICE,
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Verify terms of this glossary too."
    ),
    builtin_glossary: bool = typer.Option(
        False, "--builtin-glossary", help="Verify dilmanc's built-in glossary's terms too."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
    review_only: bool = typer.Option(
        False, "--review-only", help="List only the lines whose verdict is review or bad."
    ),
    fail_on: str = typer.Option(
        None,
        "--fail-on",
        metavar="VERDICT",
        help="Exit 1 when any line is bad (bad) or needs review or worse (review).",
    ),
) -> None:
    """Estimate the quality of existing translations, line by line (a model only for its
    score, with --model)."""
    from dilmanc.fileio import read_lines
    from dilmanc.languages import resolve
    from dilmanc.qe import OK, VERDICTS, assess_lines
    from dilmanc.qe.registry import check_aligned

    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    source, target = resolve(source_code), resolve(to)
    terms = None
    if glossary or builtin_glossary:
        from dilmanc.glossary import load_glossaries

        terms = load_glossaries(tuple(glossary or ()), builtin=builtin_glossary)
    sources, targets = read_lines(src), read_lines(hyp)
    check_aligned(sources, targets)
    signals = None
    if model is not None:
        signals = _model_signals(sources, targets, source, target, model, engine, device)
    found = assess_lines(sources, targets, source.iso, target.iso, terms, signals=signals)
    rows = [
        {"line": n, **a.to_json()}
        for n, a in enumerate(found, 1)
        if not review_only or a.verdict != OK
    ]
    if as_json:
        counts = {v: sum(a.verdict == v for a in found) for v in VERDICTS}
        typer.echo(json.dumps({"counts": counts, "segments": rows}, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            detail = found[row["line"] - 1].describe()
            typer.echo(f"{row['line']}\t{row['verdict']}\t{detail}".rstrip("\t"))
    if fail_on is not None:
        worst = max((a.verdict for a in found), key=VERDICTS.index, default=OK)
        if VERDICTS.index(worst) >= VERDICTS.index(fail_on):
            raise QualityGateFailed(f"quality gate failed: some lines are {worst}")


def _model_signals(sources, targets, source, target, model, engine, device):
    """Each translation's score under `model` (loaded as `translate` loads it), or None with
    a note when that model cannot score (a pivot)."""
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings
    from dilmanc.qe import ModelSignals

    settings = Settings(
        source=source.iso, targets=(target.iso,), models=(model,), engine=engine, device=device
    )
    scorer = Service(settings).engines()[target.iso]
    scores = scorer.score(sources, targets, source, target)
    if scores is None:
        typer.echo(
            f"qe: model {model} cannot score translations; model signals unavailable", err=True
        )
        return None
    return [ModelSignals(score) for score in scores]
