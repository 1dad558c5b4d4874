"""Glossary file readers, one module per format, behind one function: `read_glossary(path)`.

A reader returns the entries it could build and the problems it found (each with its line);
a file it cannot read as a glossary at all raises InputError with the line number.
"""

from __future__ import annotations

from pathlib import Path

from dilmanc.glossary.model import Entry, Problem

TBX_SUFFIXES = (".tbx", ".xml")


def read_glossary(path: str | Path) -> tuple[list[Entry], list[Problem]]:
    """Read a TSV/CSV (by header sniffing) or TBX (by extension) glossary file."""
    if str(path).lower().endswith(TBX_SUFFIXES):
        from dilmanc.glossary.formats.tbx import read_tbx

        return read_tbx(path)
    from dilmanc.glossary.formats.table import read_table

    return read_table(path)
