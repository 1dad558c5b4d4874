"""`dilmanc models list|pull|convert`: see which models are on disk, fetch them, convert them."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dilmanc.cli.help import make_app
from dilmanc.errors import UsageError
from dilmanc.models import hub
from dilmanc.models.presets import (
    DEFAULT_MODEL,
    PIVOTS,
    PRESETS,
    commercial_use,
    find_preset,
    licences_of,
)

app = make_app()


def _conversions() -> list[Path]:
    root = hub.dilmanc_home() / "ct2"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "model.bin").is_file())


def model_rows() -> list[dict]:
    """One row per preset (and per other CTranslate2 conversion in dilmanc's cache)."""
    from dilmanc.models.convert import read_info

    rows = []
    claimed: set[Path] = set()
    for preset in PRESETS.values():
        snapshot = hub.cached_snapshot(preset.hub_id)
        converted = [p for p in _conversions() if p.name.startswith(f"{hub.slug(preset.name)}-")]
        claimed.update(converted)
        rows.append(
            {
                "name": preset.name,
                "default": preset.name == DEFAULT_MODEL,
                "hub_id": preset.hub_id,
                "architecture": preset.architecture,
                "languages": preset.languages,
                "size": preset.size,
                "licence": preset.licence,
                "note": preset.note,
                "hf_cache": str(snapshot) if snapshot else None,
                "ct2": [str(p) for p in converted],
            }
        )
    for name, chain in PIVOTS.items():
        licences = licences_of(name)
        commercial = all(commercial_use(lic) for lic in licences)
        rows.append(
            {
                "name": name,
                "default": False,
                "hub_id": None,
                "architecture": "pivot",
                "languages": "az→en→ru",
                "size": None,
                "licence": " + ".join(str(lic) for lic in licences),
                "note": f"pivot {chain}" + ("; commercial use allowed" if commercial else ""),
                "hf_cache": None,
                "ct2": [],
            }
        )
    for path in _conversions():
        if path not in claimed:
            info = read_info(path)
            rows.append(
                {
                    "name": info.get("source", path.name),
                    "default": False,
                    "hub_id": None,
                    "architecture": info.get("architecture"),
                    "languages": None,
                    "size": f"{_size_mb(path)} MB",
                    "licence": None,
                    "note": "CTranslate2 conversion",
                    "hf_cache": None,
                    "ct2": [str(path)],
                }
            )
    return rows


def _size_mb(path: Path) -> int:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6)


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List model presets, their languages, size, licence and whether they are on disk."""
    rows = model_rows()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "models": rows,
                    "hf_cache": str(hub.hf_cache_dir()),
                    "ct2_cache": str(hub.dilmanc_home() / "ct2"),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for row in rows:
        title = row["name"] + ("  (default)" if row["default"] else "")
        typer.echo(title)
        if row["architecture"] == "pivot":
            typer.echo(f"  licences:  {row['licence']}")
        if row["hub_id"]:
            typer.echo(
                f"  hub id:    {row['hub_id']} ({row['architecture']}, {row['size']}, "
                f"{row['licence']})"
            )
            typer.echo(f"  languages: {row['languages']}")
            typer.echo(f"  local:     {row['hf_cache'] or 'not downloaded'}")
        for path in row["ct2"]:
            typer.echo(f"  ct2:       {path}")
        if row["note"]:
            typer.echo(f"  note:      {row['note']}")
    typer.echo(f"Hugging Face cache: {hub.hf_cache_dir()}")
    typer.echo(f"CTranslate2 conversions: {hub.dilmanc_home() / 'ct2'}")
    typer.echo("Fetch one with `dilmanc models pull NAME [--ct2]`.")


@app.command("pull")
def pull_command(
    name: str = typer.Argument(..., metavar="MODEL", help="Preset name or Hugging Face hub id."),
    ct2: bool = typer.Option(False, "--ct2", help="Also convert to CTranslate2 (fast on CPU)."),
    quantization: str = typer.Option(
        "int8", "--quantization", metavar="TYPE", help="CTranslate2 weight type."
    ),
    force: bool = typer.Option(False, "--force", help="Redo an existing conversion."),
) -> None:
    """Download a model into the Hugging Face cache (and convert it with --ct2)."""
    from dilmanc.models.convert import QUANTIZATIONS, convert_to_ct2, is_ct2_dir
    from dilmanc.models.resolve import HUB_ID

    if quantization not in QUANTIZATIONS:
        raise UsageError(f"unknown quantization {quantization!r} ({', '.join(QUANTIZATIONS)})")
    preset = find_preset(name)
    if preset is None and not HUB_ID.match(name.strip()):
        raise UsageError(f"unknown model {name!r}: use a preset ({', '.join(PRESETS)}) or a hub id")
    label = preset.name if preset else name.strip()
    repo = preset.hub_id if preset else name.strip()
    snapshot = hub.cached_snapshot(repo)
    if snapshot is None or not hub.offline():
        snapshot = hub.download(repo)
    typer.echo(f"{label}: {snapshot}")
    if ct2 and is_ct2_dir(snapshot):
        typer.echo(f"{label}: already a CTranslate2 model; nothing to convert")
    elif ct2:
        target = hub.ct2_dir(label, quantization)
        if is_ct2_dir(target) and not force:
            typer.echo(f"{label}: CTranslate2 {quantization} already at {target}")
            return
        convert_to_ct2(
            snapshot,
            target,
            quantization=quantization,
            force=True,
            source_name=label,
            pairs=preset.pairs if preset else (),
        )
        typer.echo(f"{label}: CTranslate2 {quantization} at {target}")


@app.command("convert")
def convert_command(
    source: str = typer.Argument(
        ..., metavar="MODEL", help="Model directory, preset name or hub id."
    ),
    output: Path = typer.Option(..., "--output", "-o", metavar="DIR", help="Directory to create."),
    quantization: str = typer.Option(
        "int8", "--quantization", metavar="TYPE", help="CTranslate2 weight type."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing output directory."),
) -> None:
    """Convert a Hugging Face model to CTranslate2, tokenizer files included."""
    from dilmanc.models.convert import QUANTIZATIONS, convert_to_ct2, is_ct2_dir
    from dilmanc.models.resolve import resolve_model

    if quantization not in QUANTIZATIONS:
        raise UsageError(f"unknown quantization {quantization!r} ({', '.join(QUANTIZATIONS)})")
    if output.exists() and not force:
        raise UsageError(f"{output} already exists; pass --force to replace it")
    if is_ct2_dir(Path(source).expanduser()):
        raise UsageError(f"{source} is already a CTranslate2 model")
    resolved = resolve_model(source, engine="transformers")
    convert_to_ct2(
        resolved.directory,
        output,
        quantization=quantization,
        force=force,
        source_name=source,
        pairs=resolved.pairs,
    )
    typer.echo(f"{output}")


@app.command("vmap")
def vmap_command(
    lang: str = typer.Option(..., "--lang", metavar="LANG", help="Target language of the corpus."),
    corpus: Path = typer.Option(
        ..., "--corpus", metavar="FILE", help="Text in that language, one sentence a line."
    ),
    model: str = typer.Option(
        DEFAULT_MODEL, "--model", "-m", metavar="MODEL", help="A CTranslate2 model (or preset)."
    ),
) -> None:
    """Build the vocabulary map beside a CTranslate2 model (use it with `--vmap auto`)."""
    from dilmanc.engines.vmap import build_language_tokens
    from dilmanc.fileio import read_text
    from dilmanc.languages import resolve
    from dilmanc.models.resolve import resolve_model

    language = resolve(lang)
    text = read_text(str(corpus))
    resolved = resolve_model(model, engine="ctranslate2")
    path = build_language_tokens(resolved.directory, language, text.splitlines())
    typer.echo(str(path))
