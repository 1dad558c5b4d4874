"""What a batch translates: a folder, a glob, or a manifest of paths, as `Item`s.

An item's `relative` path is where its outputs go under the output folder (folders
mirrored), exactly as `dilmanc translate -o OUT` lays out the same inputs: relative to the
folder for a folder, to the glob's fixed part for a glob, the file's name for a manifest.
"""

from __future__ import annotations

import csv
import glob
import json
from dataclasses import dataclass
from pathlib import Path

from dilmanc.documents.registry import detect_format, walk_folder
from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_text

MANIFEST_SUFFIXES = (".jsonl", ".csv")


@dataclass(frozen=True)
class Item:
    """One input document: its path and its place under the output folder."""

    path: str
    relative: str


def find_inputs(
    spec: str, source_iso: str, fmt: str | None = None, skipped: list[Path] | None = None
) -> list[Item]:
    """The items of `spec`: a folder (walked like `translate`), a manifest file (.jsonl of
    `{"path": ...}` or strings, .csv with a `path` column or paths in the first column;
    relative paths are read from the manifest's folder), a glob (`archive/**/*.docx`) or one
    file. InputError when nothing is found; UsageError when two items would share outputs."""
    skipped = [] if skipped is None else skipped
    path = Path(spec)
    if path.is_dir():
        pairs = walk_folder(path, fmt, source_iso, skipped)
    elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        pairs = [(file, Path(file.name)) for file in _manifest(path)]
    elif glob.has_magic(spec):
        pairs = _glob(spec, fmt, source_iso, skipped)
    elif path.is_file():
        pairs = [(path, Path(path.name))]
    else:
        raise InputError(f"{spec}: no such file, folder or pattern")
    items, seen = [], {}
    for file, relative in pairs:
        if relative in seen:
            raise UsageError(f"{seen[relative]} and {file} would both be written as {relative}")
        seen[relative] = file
        items.append(Item(str(file), relative.as_posix()))
    return items


def _glob(spec: str, fmt: str | None, source_iso: str, skipped: list[Path]):
    parts = Path(spec).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = Path(*parts[:fixed]) if fixed else Path(".")
    pairs = []
    for name in sorted(glob.glob(spec, recursive=True)):
        file = Path(name)
        if not file.is_file():
            continue
        try:
            detect_format(file, fmt, source_iso)
        except InputError:
            skipped.append(file)
            continue
        pairs.append((file, file.relative_to(root)))
    if not pairs:
        raise InputError(f"{spec}: no files of a known type match this pattern")
    return pairs


def _manifest(manifest: Path) -> list[Path]:
    text = read_text(manifest)
    if manifest.suffix.lower() == ".jsonl":
        lines = enumerate(text.splitlines(), 1)
        names = [name for n, line in lines if (name := _jsonl_path(manifest, n, line))]
    else:
        rows = [row for row in csv.reader(text.splitlines()) if row and any(row)]
        column = rows[0].index("path") if rows and "path" in rows[0] else None
        names = [row[column or 0] for row in rows[1 if column is not None else 0 :]]
    paths = [Path(name) if Path(name).is_absolute() else manifest.parent / name for name in names]
    if not paths:
        raise InputError(f"{manifest}: the manifest lists no files")
    for path in paths:
        if not path.is_file():
            raise InputError(f"{manifest}: {path}: no such file")
    return paths


def _jsonl_path(manifest: Path, number: int, line: str) -> str | None:
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"{manifest}:{number}: not JSON ({err.msg})") from None
    name = value.get("path") if isinstance(value, dict) else value
    if not isinstance(name, str) or not name:
        raise InputError(f'{manifest}:{number}: expected a path or {{"path": ...}}')
    return name
