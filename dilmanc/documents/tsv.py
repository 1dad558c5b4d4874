"""Tab-separated bilingual (or multilingual) files read as units: a header of language codes
(`az<TAB>en<TAB>ru`), one entry per line. The first column (or `src_lang`) is the source and
every other column (or only `tgt_lang`'s) a target: each (source, target) cell pair is one
`Unit` with the languages in `Unit.record`. What a memory import reads (`memory.units`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from dilmanc.documents.base import Record, Unit, UnitState
from dilmanc.errors import InputError, UsageError
from dilmanc.languages import option_language, stored_language
from dilmanc.text.tagged import TaggedText


def _header(p: Path, line: str, keep: bool) -> list[str]:
    langs = []
    for column, cell in enumerate(line.split("\t"), 1):
        lang = stored_language(cell.strip(), keep)
        if lang is None:
            raise InputError(
                f"{p}: line 1: column {column} header {cell.strip()!r} is not a language "
                "code (the header names each column's language, e.g. az<TAB>en)"
            )
        langs.append(lang)
    if len(langs) < 2 or len(set(langs)) != len(langs):
        raise InputError(f"{p}: line 1: the header needs two or more different languages")
    return langs


def read_tsv(
    path: str | Path,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    keep_variants: bool = False,
    skipped: Counter | None = None,
) -> Iterator[Unit]:
    """The (source, target) pairs of a TSV file as units; the header is checked before this
    returns, each line as it is read (InputError naming the line). Pairs with an empty cell
    are counted in `skipped` as "empty"."""
    from dilmanc.fileio import read_text

    p = Path(path)
    skipped = skipped if skipped is not None else Counter()
    lines = read_text(p).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise InputError(f"{p}: empty file")
    langs = _header(p, lines[0], keep_variants)
    src = option_language(src_lang, "src_lang", keep_variants) or langs[0]
    tgt = option_language(tgt_lang, "tgt_lang", keep_variants)
    if src not in langs:
        raise UsageError(f"{p}: no {src} column (columns: {', '.join(langs)})")
    s = langs.index(src)
    targets = [i for i, lang in enumerate(langs) if i != s and (tgt is None or lang == tgt)]
    if not targets:
        raise UsageError(f"{p}: no {tgt} column (columns: {', '.join(langs)})")

    def units() -> Iterator[Unit]:
        for number, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            cells = line.split("\t")
            if len(cells) != len(langs):
                raise InputError(
                    f"{p}: line {number}: {len(cells)} columns, but the header has {len(langs)}"
                )
            for i in targets:
                if not cells[s].strip() or not cells[i].strip():
                    skipped["empty"] += 1
                    continue
                yield Unit(
                    id=f"{number}:{langs[i]}",
                    source=TaggedText.plain(cells[s]),
                    location=f"line {number}",
                    target=TaggedText.plain(cells[i]),
                    state=UnitState.REVIEWED,
                    approved=True,
                    record=Record(langs[s], langs[i]),
                )

    return units()
