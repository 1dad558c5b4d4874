"""Glossary data: `Entry` (a concept with its Azerbaijani and target terms), `Glossary`, `Problem`.

In every term cell `|` separates variants; the first target variant is the preferred rendering,
the others are accepted. Flags: `case` (match case-sensitively), `dnt` (do not translate).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from dilmanc.text.turkic_case import az_lower, term_key  # noqa: F401 - re-exported

KNOWN_FLAGS = frozenset({"case", "dnt", "name"})
SEVERITIES = ("error", "warning")


def split_variants(cell: str) -> tuple[str, ...]:
    """`"IOM | International Organization for Migration"` → both, stripped, empty ones dropped."""
    return tuple(v for v in (part.strip() for part in cell.split("|")) if v)


@dataclass(frozen=True, eq=False)  # hashable by identity (targets are dicts)
class Entry:
    az: tuple[str, ...]
    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)
    id: str | None = None
    flags: frozenset[str] = frozenset()
    note: str = ""
    origin: str = ""  # file the entry came from
    line: int = 0  # 1-based line (TSV) or element line (TBX)

    @property
    def term(self) -> str:
        """The preferred Azerbaijani form (first `az` variant)."""
        return self.az[0]

    @property
    def key(self) -> str:
        """Identity used for conflicts between glossaries: the id, else the first az term."""
        return self.id or term_key(self.term)

    @property
    def case_sensitive(self) -> bool:
        return "case" in self.flags

    @property
    def dnt(self) -> bool:
        return "dnt" in self.flags

    def accepted(self, lang: str) -> tuple[str, ...]:
        """Target variants accepted in `lang` (preferred first); the source term for `dnt`."""
        found = self.targets.get(lang, ())
        if self.dnt:
            return found + tuple(v for v in self.az if v not in found)
        return found

    def target(self, lang: str) -> str | None:
        """The preferred rendering in `lang`, or None when the glossary gives none."""
        accepted = self.accepted(lang)
        return accepted[0] if accepted else None

    def forbidden_in(self, lang: str) -> tuple[str, ...]:
        return self.forbidden.get(lang, ())

    def targets_preferred(self) -> dict[str, str]:
        return {lang: variants[0] for lang, variants in self.targets.items() if variants}


@dataclass(frozen=True)
class Problem:
    """One finding of `glossary validate` (or a load error), with its 1-based line number."""

    severity: str  # "error" | "warning"
    origin: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: line {self.line}: {self.severity}: {self.message}"


class Glossary:
    """Entries from one or more files; a later entry with the same id or az term replaces one
    loaded before it (`-g base.tsv -g override.tsv`)."""

    def __init__(self, entries: list[Entry] | None = None) -> None:
        self._entries: dict[int, Entry] = {}  # insertion order = load order
        self._names: dict[str, int] = {}  # "id:X" / "az:term key" → slot in _entries
        self._next = 0
        for entry in entries or []:
            self.add(entry)

    @staticmethod
    def _names_of(entry: Entry) -> set[str]:
        names = {"az:" + term_key(v) for v in entry.az}
        if entry.id:
            names.add("id:" + entry.id)
        return names

    def add(self, entry: Entry) -> None:
        """Add `entry`, replacing every earlier entry with the same id or an az term in common."""
        names = self._names_of(entry)
        for slot in {self._names[n] for n in names if n in self._names}:
            old = self._entries.pop(slot)
            for name in self._names_of(old):
                if self._names.get(name) == slot:
                    del self._names[name]
        self._entries[self._next] = entry
        self._names.update(dict.fromkeys(names, self._next))
        self._next += 1
        self.__dict__.pop("matcher", None)
        self.__dict__.pop("content_hash", None)

    def extend(self, other: Glossary) -> Glossary:
        for entry in other:
            self.add(entry)
        return self

    def __iter__(self):
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    @property
    def languages(self) -> list[str]:
        langs: dict[str, None] = {}
        for entry in self:
            langs.update(dict.fromkeys(entry.targets))
        return list(langs)

    def by_id(self, entry_id: str) -> Entry | None:
        return next((e for e in self if e.id == entry_id), None)

    @cached_property
    def matcher(self):
        """Compiled Azerbaijani term matcher for these entries (built once, on first use)."""
        from dilmanc.glossary.matcher import Matcher

        return Matcher(self.entries)

    @cached_property
    def content_hash(self) -> str:
        """sha256 (hex) of the terms, targets, forbidden renderings, flags and ids, in order
        (notes and origins left out): equal for glossaries that translate alike."""
        data = [
            [
                list(e.az),
                sorted((k, list(v)) for k, v in e.targets.items()),
                sorted((k, list(v)) for k, v in e.forbidden.items()),
                sorted(e.flags),
                e.id,
            ]
            for e in self
        ]
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
