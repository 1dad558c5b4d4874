"""`dilmanc names FILE`: the people named in an Azerbaijani text, for an editor to check.

Output contract (`--json`): {"style", "targets", "persons": [{"id", "person", "given",
"patronymic", "surname", "gender", "foreign", "renderings": {lang: text}, "mentions",
"forms": [{"text", "count", "offsets": [[start, end]], "lines"}], "ambiguous", "notes"}]},
offsets into the file's decoded text, lines 1-based.
"""

from __future__ import annotations

import json

import typer

from dilmanc.errors import UsageError

NAMES_FILE_HELP = (
    "Name overrides (TSV: az, ru, en, gender, note); repeat for several, later ones win."
)


def names_command(
    file: str = typer.Argument(..., help="Azerbaijani text file ('-' reads stdin)."),
    to: str = typer.Option("en,ru", "--to", "-t", metavar="LANGS", help="en, ru or both."),
    names_file: list[str] = typer.Option(None, "--names-file", help=NAMES_FILE_HELP),
    style: str = typer.Option(
        "direct", "--names", metavar="STYLE", help="English style: direct (Vugar) or keep (Vüqar)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    encoding: str = typer.Option(None, "--encoding", help="Input encoding (default UTF-8)."),
) -> None:
    """List the people named in a text: their forms, renderings and doubtful readings."""
    from dilmanc.fileio import ENCODING_ADVICE, read_text
    from dilmanc.glossary.names import summarize_names
    from dilmanc.languages import parse_targets
    from dilmanc.text.names import LANGUAGES, STYLES, NameTable

    if style not in STYLES:
        raise UsageError(f"--names must be {' or '.join(STYLES)}, not {style!r}")
    targets = [lang.iso for lang in parse_targets(to)]
    bad = [t for t in targets if t not in LANGUAGES]
    if bad:
        raise UsageError(f"names can be rendered into {', '.join(LANGUAGES)}, not {bad[0]}")
    table = NameTable.load(names_file or [])
    text = read_text(file, encoding, ENCODING_ADVICE)
    people = summarize_names(text, targets, style=style, table=table)
    if as_json:
        data = {"style": style, "targets": targets, "persons": [p.to_json() for p in people]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for p in people:
        flags = " [ambiguous]" * p.ambiguous + " [foreign?]" * p.person.foreign
        typer.echo(f"{p.person.az()}{flags}")
        for lang in targets:
            typer.echo(f"  {lang}: {p.renderings[lang]}")
        for form in p.forms:
            lines = ",".join(str(n) for n in dict.fromkeys(form.lines))
            spans = " ".join(f"{a}-{b}" for a, b in form.offsets)
            typer.echo(f"  {form.count} × {form.text}  (line {lines}; chars {spans})")
        for note in p.notes:
            typer.echo(f"  note: {note}")
    typer.echo(
        f"{len(people)} person(s), {sum(sum(f.count for f in p.forms) for p in people)} mention(s)",
        err=True,
    )
