"""TSV and CSV glossaries: a header row, then one entry per row; `#` starts a comment line.

Columns: `az` (required), one per target language (`en`, `ru`, ...; at least one), and the
optional `id`, `note`, `flags` (comma list: case, dnt), `forbidden_<lang>`. The delimiter is
sniffed from the header line (a tab makes it TSV, else CSV); TSV cells are never quoted, so
terms may contain straight quotes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from dilmanc.errors import DilmancError, InputError
from dilmanc.fileio import read_text
from dilmanc.glossary.model import KNOWN_FLAGS, Entry, Problem, split_variants
from dilmanc.languages import resolve

META_COLUMNS = ("id", "az", "note", "flags")
FORBIDDEN_PREFIX = "forbidden_"


def _rows(text: str, origin: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based line, cells) for every non-blank, non-comment row."""
    lines = text.splitlines()
    header_line = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if header_line is None:
        raise InputError(f"{origin}: line 1: no header row (expected columns like az, en, ru)")
    if "\t" in lines[header_line]:
        for number, line in enumerate(lines, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, line.split("\t")
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        last = 0
        for cells in reader:
            first = last + 1
            last = reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            yield first, cells
    except csv.Error as err:
        raise InputError(f"{origin}: line {reader.line_num}: malformed CSV ({err})") from None


def _language(column: str) -> str | None:
    try:
        return resolve(column).iso
    except DilmancError:
        return None


def read_table(path: str | Path) -> tuple[list[Entry], list[Problem]]:
    origin = str(path)
    rows = _rows(read_text(path), origin)
    header_no, header = next(rows)
    names = [h.strip().lower() for h in header]
    problems: list[Problem] = []

    def problem(severity: str, line: int, message: str) -> None:
        problems.append(Problem(severity, origin, line, message))

    if "az" not in names:
        raise InputError(f"{origin}: line {header_no}: header has no 'az' column ({header!r})")
    langs: dict[int, str] = {}
    forbidden: dict[int, str] = {}
    for col, name in enumerate(names):
        if name in META_COLUMNS:
            continue
        if name.startswith(FORBIDDEN_PREFIX):
            lang = _language(name[len(FORBIDDEN_PREFIX) :])
            if lang:
                forbidden[col] = lang
                continue
        elif (lang := _language(name)) and lang != "az":
            langs[col] = lang
            continue
        problem("warning", header_no, f"unknown column {name!r} ignored")
    for name in set(names):
        if name and names.count(name) > 1:
            raise InputError(f"{origin}: line {header_no}: column {name!r} appears twice")
    if not langs:
        raise InputError(
            f"{origin}: line {header_no}: no target language column (expected e.g. en, ru)"
        )
    col = {name: names.index(name) for name in META_COLUMNS if name in names}

    entries: list[Entry] = []
    rows_seen = 0
    for line, cells in rows:
        rows_seen += 1
        if len(cells) > len(names):
            problem("error", line, f"{len(cells)} fields but the header has {len(names)}")
            continue
        cells = [c.strip() for c in cells] + [""] * (len(names) - len(cells))
        az = split_variants(cells[col["az"]])
        if not az:
            problem("error", line, "empty az (source) term")
            continue
        flag_cell = cells[col["flags"]] if "flags" in col else ""
        flags = frozenset(f.strip().lower() for f in flag_cell.split(",") if f.strip())
        for flag in sorted(flags - KNOWN_FLAGS):
            problem("error", line, f"unknown flag {flag!r} (known: {', '.join(KNOWN_FLAGS)})")
        targets: dict[str, tuple[str, ...]] = {}
        for c, lang in langs.items():
            variants = split_variants(cells[c])
            if not variants and "dnt" in flags:
                variants = az
            if variants:
                targets[lang] = variants
            else:
                problem("warning", line, f"no {lang} term for {az[0]!r}; not enforced in {lang}")
        bad = {lang: split_variants(cells[c]) for c, lang in forbidden.items()}
        entries.append(
            Entry(
                az=az,
                targets=targets,
                forbidden={lang: v for lang, v in bad.items() if v},
                id=(cells[col["id"]] or None) if "id" in col else None,
                flags=flags,
                note=cells[col["note"]] if "note" in col else "",
                origin=origin,
                line=line,
            )
        )
    if not rows_seen:
        problem("warning", header_no, "no entries (only a header)")
    return entries, problems
