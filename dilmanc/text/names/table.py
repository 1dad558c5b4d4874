"""The name tables: the bundled given-name list and exceptions, plus the user's overrides.

`given.tsv` (az, gender, flags) lists Azerbaijani and common foreign given names; `word` marks a
name that is also an ordinary word or a place (Dövlət "state"), `foreign` a foreign name spelled
the Azerbaijani way. `exceptions.tsv` and every user `--names-file` share one format:

    az	ru	en	gender	note

`az` is one word (used wherever it is part of a name, also as a surname stem) or a whole name
(used for that person; a whole name in a user file is also detected as a name). A one-word row
with a `gender` (m/f) declares a given name. Later files win over earlier ones and over the
bundled tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dilmanc.errors import InputError
from dilmanc.fileio import read_text
from dilmanc.text.turkic_case import term_key

OVERRIDE_COLUMNS = ("az", "ru", "en", "gender", "note")
GIVEN_COLUMNS = ("az", "gender", "flags")
GENDERS = ("m", "f", "")
GIVEN_FLAGS = frozenset({"word", "foreign"})
LANGS = ("ru", "en")


def data_path(name: str) -> Path:
    return Path(str(resources.files("dilmanc") / "data" / "names" / name))


@dataclass(frozen=True)
class GivenName:
    name: str
    gender: str = ""
    lexical: bool = False  # also an ordinary word or a place: needs corroboration
    foreign: bool = False


@dataclass(frozen=True)
class Override:
    """One row of an exceptions / names file: renderings of one word or one whole name."""

    az: str
    targets: dict[str, str] = field(default_factory=dict)
    gender: str = ""
    note: str = ""
    origin: str = ""
    line: int = 0
    user: bool = False

    @property
    def words(self) -> list[str]:
        return self.az.split()


def _rows(path: Path, columns: tuple[str, ...]):
    """(line, {column: cell}) for each data row of a TSV with a header among `columns`."""
    origin = str(path)
    header: list[str] | None = None
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in raw.split("\t")]
        if header is None:
            header = [c.lower() for c in cells]
            unknown = [c for c in header if c not in columns]
            if unknown or "az" not in header or "\t" not in raw:
                what = f"unknown column {unknown[0]!r}" if unknown else "no 'az' column"
                if "\t" not in raw:
                    what = "the header is not tab-separated"
                raise InputError(
                    f"{origin}: line {number}: {what} (expected tab-separated columns: "
                    f"{', '.join(columns)})"
                )
            if len(set(header)) != len(header):
                raise InputError(f"{origin}: line {number}: a column appears twice")
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise InputError(
                f"{origin}: line {number}: {len(cells)} fields but the header has {len(header)}"
            )
        row = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))
        yield number, row
    if header is None:
        raise InputError(f"{origin}: line 1: no header row (expected {', '.join(columns)})")


def _check_name(origin: str, line: int, az: str) -> None:
    if not az:
        raise InputError(f"{origin}: line {line}: empty az name")
    for word in az.split():
        if not all(ch.isalpha() or ch in "-'’" for ch in word):
            raise InputError(f"{origin}: line {line}: {az!r} is not a name (letters only)")


def read_overrides(path: str | Path, user: bool = True) -> list[Override]:
    """Rows of an exceptions/names TSV; InputError naming the line on the first bad row."""
    path = Path(path)
    origin = str(path)
    rows = []
    for line, row in _rows(path, OVERRIDE_COLUMNS):
        az = " ".join(row["az"].split())
        _check_name(origin, line, az)
        gender = row.get("gender", "").lower()
        if gender not in GENDERS:
            raise InputError(f"{origin}: line {line}: gender must be m or f, not {gender!r}")
        targets = {lang: row[lang] for lang in LANGS if row.get(lang)}
        for lang, value in targets.items():
            if len(value.split()) != len(az.split()) and len(az.split()) == 1:
                raise InputError(
                    f"{origin}: line {line}: {lang} rendering {value!r} of the one-word name "
                    f"{az!r} has {len(value.split())} words"
                )
        if not targets and not gender:
            raise InputError(f"{origin}: line {line}: {az!r} has no ru, en or gender value")
        rows.append(Override(az, targets, gender, row.get("note", ""), origin, line, user))
    return rows


def read_given(path: str | Path) -> list[GivenName]:
    path = Path(path)
    out = []
    for line, row in _rows(path, GIVEN_COLUMNS):
        az = row["az"]
        _check_name(str(path), line, az)
        flags = {f.strip() for f in row.get("flags", "").split(",") if f.strip()}
        if flags - GIVEN_FLAGS or row.get("gender", "") not in GENDERS:
            raise InputError(f"{path}: line {line}: bad gender or flags for {az!r}")
        out.append(GivenName(az, row.get("gender", ""), "word" in flags, "foreign" in flags))
    return out


class NameTable:
    """Given names, one-word renderings and whole-name renderings, keyed by `term_key`."""

    def __init__(
        self, given: list[GivenName], overrides: list[Override], files: tuple[str, ...] = ()
    ) -> None:
        self.files = files
        self.given: dict[str, GivenName] = {term_key(g.name): g for g in given}
        self.words: dict[str, Override] = {}
        self.persons: dict[str, Override] = {}
        for row in overrides:
            key = term_key(row.az)
            if len(row.words) == 1:
                old = self.words.get(key)
                merged = {**(old.targets if old else {}), **row.targets}
                self.words[key] = Override(
                    row.az, merged, row.gender, row.note, row.origin, row.line, row.user
                )
                if row.gender and row.user:
                    known = self.given.get(key)
                    self.given[key] = GivenName(
                        row.az, row.gender, False, bool(known and known.foreign)
                    )
            else:
                self.persons[key] = row

    @classmethod
    def load(cls, overrides: list[str | Path] | tuple[str | Path, ...] = ()) -> NameTable:
        """The bundled tables, then each user TSV in order (later rows win)."""
        given, rows = _builtin()
        user_rows = [row for path in overrides for row in read_overrides(path)]
        return cls(given, rows + user_rows, tuple(str(p) for p in overrides))

    def given_name(self, word: str) -> GivenName | None:
        return self.given.get(term_key(word))

    def word(self, word: str) -> Override | None:
        return self.words.get(term_key(word))

    def person(self, name: str) -> Override | None:
        return self.persons.get(term_key(name))

    @functools.cached_property
    def user_person_words(self) -> dict[str, list[Override]]:
        """First word key → whole names declared in user files (detected as names)."""
        out: dict[str, list[Override]] = {}
        for row in self.persons.values():
            if row.user:
                out.setdefault(term_key(row.words[0]), []).append(row)
        return out


@functools.lru_cache(maxsize=1)
def _builtin() -> tuple[list[GivenName], list[Override]]:
    given = read_given(data_path("given.tsv"))
    rows = read_overrides(data_path("exceptions.tsv"), user=False)
    return given, rows
