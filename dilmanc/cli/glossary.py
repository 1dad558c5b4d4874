"""`dilmanc glossary check | verify | validate | list`.

Output contracts (other tools read them):
- `check FILE -g G --json` → {"matches": [{"start", "end", "text", "id", "term", "targets"}]}
  with offsets into the file's decoded text.
- `verify --src S --hyp H --lang L -g G --json` → {"term_accuracy", "hits", "total", "misses":
  [{"line", "id", "term", "expected"}]}.
- `validate G...` prints every problem as "FILE: line N: SEVERITY: message"; exit 2 on errors.
"""

from __future__ import annotations

import json

import typer

from dilmanc.cli.help import make_app
from dilmanc.errors import EXIT_USAGE, UsageError
from dilmanc.fileio import ENCODING_ADVICE

app = make_app()

GLOSSARY_HELP = "Glossary file (TSV, CSV or TBX); repeat for several, later ones win."
ENCODING = typer.Option(
    None,
    "--encoding",
    metavar="ENCODING",
    help="Encoding of the text files (default UTF-8); glossaries are read as UTF-8, or as "
    "UTF-16 when they start with a byte-order mark.",
)
BUILTIN_HELP = "Use the bundled press-domain glossary (also the default when no -g is given)."


def _glossary(paths: list[str] | None, builtin: bool):
    from dilmanc.glossary.load import load_glossaries

    return load_glossaries(paths or [], builtin=builtin or not paths)


def _print_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("check")
def check_command(
    file: str = typer.Argument(
        ..., metavar="FILE", help="Azerbaijani text file ('-' reads stdin)."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help=GLOSSARY_HELP
    ),
    builtin: bool = typer.Option(False, "--builtin", help=BUILTIN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON."),
    encoding: str = ENCODING,
) -> None:
    """List every glossary term occurring in an Azerbaijani text, with character offsets."""
    from dilmanc.fileio import read_text
    from dilmanc.glossary.matcher import find_terms

    gloss = _glossary(glossary, builtin)
    matches = find_terms(read_text(file, encoding, ENCODING_ADVICE), gloss)
    if as_json:
        _print_json({"matches": [m.to_json() for m in matches]})
        return
    for m in matches:
        targets = "; ".join(f"{k}={v}" for k, v in m.entry.targets_preferred().items())
        typer.echo(f"{m.start}-{m.end}\t{m.entry.id or '-'}\t{m.text}\t{targets}")
    typer.echo(f"{len(matches)} term occurrence(s)", err=True)


@app.command("verify")
def verify_command(
    src: str = typer.Option(
        ..., "--src", metavar="FILE", help="Azerbaijani source, one segment per line."
    ),
    hyp: str = typer.Option(
        ..., "--hyp", metavar="FILE", help="Translation, line-aligned with --src."
    ),
    lang: str = typer.Option(
        ..., "--lang", "-l", metavar="LANG", help="Language of --hyp (en, ru, ...)."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help=GLOSSARY_HELP
    ),
    builtin: bool = typer.Option(False, "--builtin", help=BUILTIN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    encoding: str = ENCODING,
) -> None:
    """Term accuracy of a translation: share of source terms rendered as the glossary says."""
    from dilmanc.fileio import read_lines
    from dilmanc.glossary.verify import term_accuracy
    from dilmanc.languages import resolve

    gloss = _glossary(glossary, builtin)
    target = resolve(lang).iso
    if target not in gloss.languages:
        known = ", ".join(gloss.languages) or "none"
        raise UsageError(f"the glossary has no {target} terms (it has: {known})")
    sources = read_lines(src, encoding, ENCODING_ADVICE)
    result = term_accuracy(sources, read_lines(hyp, encoding, ENCODING_ADVICE), target, gloss)
    if as_json:
        _print_json(result.to_json())
        return
    if not result.total:
        typer.echo("no glossary terms in the source: term accuracy not measured (0 terms)")
        return
    typer.echo(f"term accuracy {result.accuracy:.4f} ({result.hits}/{result.total})")
    for miss in result.misses:
        typer.echo(f"line {miss['line']}: {miss['term']} → expected {miss['expected']!r}")


@app.command("validate")
def validate_command(
    files: list[str] = typer.Argument(..., metavar="FILE", help="Glossary files to check."),
) -> None:
    """Report every problem in glossary files with its line; exit 2 if any is an error."""
    from dilmanc.glossary.load import problems_in

    errors = warnings = 0
    for path in files:
        for problem in problems_in(path):
            typer.echo(str(problem))
            errors += problem.severity == "error"
            warnings += problem.severity == "warning"
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        raise typer.Exit(EXIT_USAGE)


@app.command("list")
def list_command(
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help=GLOSSARY_HELP
    ),
    builtin: bool = typer.Option(False, "--builtin", help=BUILTIN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON."),
) -> None:
    """Print the entries of glossaries (the bundled one by default)."""
    gloss = _glossary(glossary, builtin)
    langs = gloss.languages
    if as_json:
        _print_json(
            {
                "entries": [
                    {
                        "id": e.id,
                        "az": list(e.az),
                        "targets": {k: list(v) for k, v in e.targets.items()},
                        "forbidden": {k: list(v) for k, v in e.forbidden.items()},
                        "flags": sorted(e.flags),
                        "note": e.note,
                    }
                    for e in gloss
                ]
            }
        )
        return
    typer.echo("\t".join(["id", "az", *langs, "flags"]))
    for e in gloss:
        cells = [e.id or "-", " | ".join(e.az)]
        cells += [" | ".join(e.targets.get(lang, ())) for lang in langs]
        cells.append(",".join(sorted(e.flags)))
        typer.echo("\t".join(cells))
