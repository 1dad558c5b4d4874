"""Loading glossaries: the bundled press glossary and user files, merged in order."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dilmanc.errors import InputError
from dilmanc.glossary.formats import read_glossary
from dilmanc.glossary.model import Glossary, Problem
from dilmanc.glossary.validate import check_entries


def builtin_path() -> Path:
    """The bundled press-domain glossary (dilmanc/data/glossary/press.tsv)."""
    return Path(str(resources.files("dilmanc") / "data" / "glossary" / "press.tsv"))


def problems_in(path: str | Path) -> list[Problem]:
    """Every problem in one glossary file; a file that cannot be read at all is one error."""
    try:
        entries, problems = read_glossary(path)
    except InputError as err:
        message = str(err)
        line = 1
        prefix = f"{path}: line "
        if message.startswith(prefix):
            number, _, message = message[len(prefix) :].partition(": ")
            line = int(number) if number.isdigit() else 1
        elif message.startswith(f"{path}: "):
            message = message[len(f"{path}: ") :]
        return [Problem("error", str(path), line, message)]
    found = problems + check_entries(entries)
    return sorted(found, key=lambda p: p.line)


def read_checked(path: str | Path) -> Glossary:
    """One file as a Glossary; InputError (with the line) on the first error-level problem."""
    entries, problems = read_glossary(path)
    problems = problems + check_entries(entries)
    errors = sorted((p for p in problems if p.severity == "error"), key=lambda p: p.line)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = errors[0]
        raise InputError(
            f"{first.origin}: line {first.line}: {first.message}{more}; "
            f"see 'dilmanc glossary validate {path}'"
        )
    return Glossary(entries)


def load_glossaries(paths: list[str] | tuple[str, ...] = (), builtin: bool = False) -> Glossary:
    """The bundled glossary (if `builtin`) and then each file; later entries win on conflicts."""
    glossary = Glossary()
    if builtin:
        glossary.extend(read_checked(builtin_path()))
    for path in paths or ():
        glossary.extend(read_checked(path))
    return glossary
