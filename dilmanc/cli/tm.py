"""`dilmanc tm import|align|export|search|lookup|stats|add|delete|migrate`: the translation memory.

Output contracts (other tools read them):
- `search QUERY --json` → {"units": [TMUnit.to_json()...]}
- `lookup SOURCE --json` → {"matches": [TMMatch.to_json()...]}
- `stats --json` → MemoryStats.to_json()
- `import ... --json` → {"read", "added", "merged", "skipped": {reason: n}}
Every write is one transaction: on any error nothing is stored (exit 2, one line).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import chain

import typer

from dilmanc.cli.help import make_app
from dilmanc.errors import UsageError

app = make_app()

TM_HELP = (
    "Memory: a SQLite file (default: $DILMANC_HOME/memory.db) or a postgresql://user@host/db URL."
)
SRC_HELP = "Source language (az, en-GB, ...)."
TGT_HELP = "Target language."


def _open(tm: str | None):
    from dilmanc.memory import Memory

    return Memory.open(tm)


def _print_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@app.command("import")
def import_command(
    files: list[str] = typer.Argument(..., help="TMX, PO, XLIFF (.xlf/.xliff) or TSV files."),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    src: str = typer.Option(None, "--src", help="Source language (default: from the file)."),
    tgt: str = typer.Option(None, "--tgt", help="Only this target language."),
    keep_variants: bool = typer.Option(
        False,
        "--keep-variants",
        help="Keep regional variants (en-GB) instead of mapping to en (a pair of two variants "
        "of one language, en-US → en-GB, always keeps them).",
    ),
    fmt: str = typer.Option(None, "--format", help="tmx, po, xliff or tsv (default: extension)."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Import approved translation units; all files in one transaction (all or nothing).
    What is skipped is said with its reason; an import that reads nothing exits 2."""
    from dilmanc.errors import InputError
    from dilmanc.memory.importers import Skipped, detect_format, read_units

    for path in files:
        detect_format(path, fmt)
    skipped = Skipped()
    streams = [
        read_units(
            path, fmt=fmt, src_lang=src, tgt_lang=tgt, keep_variants=keep_variants, skipped=skipped
        )
        for path in files
    ]
    with _open(tm) as mem:
        result = mem.ingest(chain.from_iterable(streams))
    if not result.read:
        why = f"skipped {skipped.summary()}" if skipped else "no translation units in it"
        raise InputError(f"nothing to import from {', '.join(files)}: {why}")
    if as_json:
        _print_json({**result.to_json(), "skipped": dict(skipped)})
        return
    line = f"{result.added} new unit(s), {result.merged} merged into existing ones"
    line += f" ({result.read} read"
    line += f"; skipped: {skipped.summary()})" if skipped else ")"
    typer.echo(line)


@app.command("align")
def align_command(
    source: str = typer.Argument(..., help="The original document (e.g. release.az.docx)."),
    target: str = typer.Argument(..., help="Its human translation, same format."),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    src: str = typer.Option("az", "--from", help="Language of the original."),
    tgt: str = typer.Option("en", "--to", help="Language of the translation."),
    fmt: str = typer.Option(None, "--format", help="Format of both files (default: extension)."),
) -> None:
    """Pair a document with its earlier human translation (units by structure, then sentences)
    and store the pairs as approved units; says in one line what could not be paired."""
    from pathlib import Path

    from dilmanc.documents.registry import open_document
    from dilmanc.errors import InputError
    from dilmanc.memory.align import align_documents
    from dilmanc.memory.normalize import language

    langs = []
    for flag, code in (("--from", src), ("--to", tgt)):
        if language(code) is None:
            raise UsageError(f"{flag} {code!r} is not a language code")
        langs.append(language(code))
    original = open_document(source, format=fmt, source_iso=langs[0])
    translation = open_document(target, format=fmt, source_iso=langs[1])
    if original.format != translation.format:
        raise UsageError(
            f"{source} is {original.format} but {target} is {translation.format}; "
            "align two files of one format"
        )
    origin = f"{Path(source).name} → {Path(target).name}"
    found = align_documents(original, translation, langs[0], langs[1], origin)
    if not found.units:
        raise InputError(f"nothing to align in {source} and {target}: {found.summary()}")
    with _open(tm) as mem:
        result = mem.ingest(found.units)
    typer.echo(f"{result.added} new unit(s), {result.merged} merged; {found.summary()}")


@app.command("export")
def export_command(
    file: str = typer.Argument(..., help="TMX file to write (.tmx)."),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    src: str = typer.Option(None, "--src", help="Only units with this source language."),
    tgt: str = typer.Option(None, "--tgt", help="Only units with this target language."),
) -> None:
    """Write the memory (or one language pair of it) as TMX 1.4b."""
    from dilmanc.memory.normalize import language
    from dilmanc.memory.tmx import write_tmx

    if not file.lower().endswith(".tmx"):
        raise UsageError(f"{file}: export writes TMX; give a file name ending in .tmx")
    for flag, code in (("--src", src), ("--tgt", tgt)):
        if code is not None and language(code, True) is None:
            raise UsageError(f"{flag} {code!r} is not a language code")
    with _open(tm) as mem:
        count = write_tmx(
            file,
            mem.units(src_lang=src, tgt_lang=tgt),
            src_lang=language(src, True) if src else None,
        )
    typer.echo(f"wrote {count} unit(s) to {file}")


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help="Words to find in sources and targets."),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    lang: str = typer.Option(None, "--lang", "-l", help="Look only at text in this language."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many units."),
    as_json: bool = typer.Option(False, "--json", help="Print the units as JSON."),
) -> None:
    """Concordance: units whose source or target contains QUERY (case- and i/ı-insensitive,
    words may go on: "insan alveri" finds "insan alverinə")."""
    with _open(tm) as mem:
        units = mem.search(query, lang=lang, limit=limit)
    if as_json:
        _print_json({"units": [u.to_json() for u in units]})
        return
    for u in units:
        typer.echo(f"{u.id}\t{u.src_lang}-{u.tgt_lang}\t{u.source}\t{u.target}")
    typer.echo(f"{len(units)} unit(s)", err=True)


@app.command("lookup")
def lookup_command(
    source: str = typer.Argument(..., help="Source segment to find matches for."),
    src: str = typer.Option(..., "--src", help=SRC_HELP),
    tgt: str = typer.Option(..., "--tgt", help=TGT_HELP),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    prev: str = typer.Option(None, "--prev", help="Source of the previous segment (context)."),
    next_: str = typer.Option(None, "--next", help="Source of the next segment (context)."),
    threshold: float = typer.Option(75.0, "--threshold", min=1, max=100, help="Lowest score."),
    limit: int = typer.Option(3, "--limit", "-n", min=1, help="At most this many matches."),
    ignore_case: bool = typer.Option(False, "--ignore-case", help="Turkic-aware, case-blind."),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", help="Flag matches whose target breaks this glossary."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON."),
) -> None:
    """Memory matches for one segment: context 101, exact 100, fuzzy below."""
    gloss = None
    if glossary:
        from dilmanc.glossary.load import load_glossaries

        gloss = load_glossaries(glossary)
    with _open(tm) as mem:
        matches = mem.lookup(
            source,
            src,
            tgt,
            prev=prev,
            next=next_,
            threshold=threshold,
            limit=limit,
            case_insensitive=ignore_case,
            glossary=gloss,
        )
    if as_json:
        _print_json({"matches": [m.to_json() for m in matches]})
        return
    for m in matches:
        extra = " (numbers repaired)" if m.repaired else ""
        if m.glossary_issues:
            extra += " [glossary: " + "; ".join(m.glossary_issues) + "]"
        typer.echo(f"{m.score:g}\t{m.kind}\t{m.unit.source}\t{m.target}{extra}")
    typer.echo(f"{len(matches)} match(es)", err=True)


@app.command("stats")
def stats_command(
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Units per language pair, cache entries, size."""
    with _open(tm) as mem:
        stats = mem.stats()
    if as_json:
        _print_json(stats.to_json())
        return
    typer.echo(f"memory: {stats.path} (schema {stats.schema_version})")
    typer.echo(f"units: {stats.units}")
    for pair, count in stats.pairs.items():
        typer.echo(f"  {pair}: {count}")
    typer.echo(f"origins: {stats.origins}")
    typer.echo(f"translation cache entries: {stats.cache_entries}")
    typer.echo(f"size: {stats.size_bytes / 1_048_576:.1f} MiB")


@app.command("add")
def add_command(
    source: str = typer.Argument(..., help="Source segment."),
    target: str = typer.Argument(..., help="Its approved translation."),
    src: str = typer.Option(..., "--src", help=SRC_HELP),
    tgt: str = typer.Option(..., "--tgt", help=TGT_HELP),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
    prev: str = typer.Option(None, "--prev", help="Source of the previous segment."),
    next_: str = typer.Option(None, "--next", help="Source of the next segment."),
    note: list[str] = typer.Option(None, "--note", help="A note to keep with the unit."),
    tuid: str = typer.Option(None, "--tuid", help="Unit id to keep (TMX tuid)."),
) -> None:
    """Add one approved translation unit."""
    import getpass

    from dilmanc.memory import TMUnit

    for flag, code in (("--src", src), ("--tgt", tgt)):
        from dilmanc.memory.normalize import language

        if language(code) is None:
            raise UsageError(f"{flag} {code!r} is not a language code")
    if not source.strip() or not target.strip():
        raise UsageError("source and target must not be empty")
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    now = _now()
    unit = TMUnit(
        source,
        target,
        src,
        tgt,
        prev=prev,
        next=next_,
        tuid=tuid,
        creation_id=user,
        created=now,
        change_id=user,
        changed=now,
        origin="dilmanc tm add",
        notes=tuple(note or ()),
    )
    with _open(tm) as mem:
        result = mem.ingest([unit])
    typer.echo("added 1 unit" if result.added else "already in the memory; metadata updated")


@app.command("delete")
def delete_command(
    ids: list[int] = typer.Option(None, "--id", help="Delete this unit id (repeatable)."),
    source: str = typer.Option(None, "--source", help="Delete units with this source..."),
    src: str = typer.Option(None, "--src", help="...in this source language..."),
    tgt: str = typer.Option(None, "--tgt", help="...and target language..."),
    target: str = typer.Option(None, "--target", help="...and (optionally) this target."),
    origin: str = typer.Option(None, "--origin", help="Delete every unit imported from this."),
    tm: str = typer.Option(None, "--tm", help=TM_HELP),
) -> None:
    """Delete units by id, by source (with --src/--tgt), or by origin file."""
    chosen = sum(x is not None and x != [] for x in (ids, source, origin))
    if chosen != 1:
        raise UsageError("give exactly one of --id, --source (with --src and --tgt), --origin")
    if source is not None and (not src or not tgt):
        raise UsageError("--source needs --src and --tgt")
    with _open(tm) as mem:
        if ids:
            count = mem.delete(ids=ids)
        elif origin is not None:
            count = mem.delete(origin=origin)
        else:
            count = mem.delete(source=source, src_lang=src, tgt_lang=tgt, target=target)
    typer.echo(f"deleted {count} unit(s)")


@app.command("migrate")
def migrate_command(
    source: str = typer.Option(..., "--from", help="Memory to copy: a SQLite file or a URL."),
    dest: str = typer.Option(..., "--to", help="Memory to copy into, e.g. postgresql://…"),
) -> None:
    """Copy a whole memory (units with their metadata, and the machine cache) into another,
    e.g. a SQLite file into a team's PostgreSQL database. The source is left as it was; units
    the destination holds already are merged as an import merges them."""
    from pathlib import Path

    from dilmanc.memory.backend import scheme_of

    if scheme_of(source) == "sqlite" and not Path(source).expanduser().is_file():
        raise UsageError(f"--from {source}: no such memory file")
    if source == dest:
        raise UsageError("--from and --to are the same memory")
    with _open(source) as old, _open(dest) as new:
        result, cached = old.copy_to(new)
        where = new.path
    typer.echo(
        f"copied {result.read} unit(s) ({result.added} new, {result.merged} merged) and "
        f"{cached} cached translation(s) to {where}"
    )
