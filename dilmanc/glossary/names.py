"""People's names as automatic glossary terms, and the per-person summary `dilmanc names` prints.

`names_glossary` gives one `Entry` per person (id "name:<key>") holding the forms of the full
name found in the document; a person also mentioned by surname or given name alone gets one
more entry per such shape (id "name:<key>:surname", ...), rendered from the same words, so
every mention of one person is spelt one way. Single words that are also ordinary words
("Dövlət") are never made terms: the glossary matcher would find them everywhere.
Flags are {"case", "name"}: matched case-sensitively, verified with Russian name declension.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dilmanc.glossary.model import Entry, Glossary
from dilmanc.text.names.detect import NameMention, PersonName, find_names_in
from dilmanc.text.names.render import LANGUAGES, render
from dilmanc.text.names.table import NameTable
from dilmanc.text.turkic_case import term_key

NAME_FLAGS = frozenset({"case", "name"})


def _shape_id(person: PersonName, shape: tuple[str, ...]) -> str:
    if shape == person.shape:
        return person.id
    return f"{person.id}:{'-'.join(shape)}"


def _safe_variant(form: str, table: NameTable) -> bool:
    """A one-word form is a term only if it is not also an ordinary word."""
    if " " in form:
        return True
    given = table.given_name(form)
    return not (given and given.lexical)


def names_glossary(
    texts: Iterable[str],
    targets: list[str],
    *,
    style: str = "direct",
    table: NameTable | None = None,
) -> Glossary:
    """Glossary entries for the people named in `texts` (one document), rendered into each of
    `targets` that names support (en, ru); other languages get no name targets."""
    table = table or NameTable.load()
    mentions = [m for ms in find_names_in(texts, table) for m in ms]
    langs = [getattr(t, "iso", t) for t in targets]
    langs = [t for t in dict.fromkeys(langs) if t in LANGUAGES]
    groups: dict[tuple[str, tuple[str, ...]], list[NameMention]] = {}
    for m in mentions:
        groups.setdefault((m.person.key, m.shape), []).append(m)
    taken: set[str] = set()
    entries = []
    for (_key, shape), group in groups.items():
        person = group[0].person
        variants = []
        for m in group:
            k = term_key(m.form)
            if k in taken or not _safe_variant(m.form, table):
                continue
            taken.add(k)
            variants.append(m.form)
        if not variants:
            continue
        notes = list(person.notes) + [m.note for m in group if m.note]
        entries.append(
            Entry(
                az=tuple(variants),
                targets={lang: (render(person, lang, style, shape),) for lang in langs},
                id=_shape_id(person, shape),
                flags=NAME_FLAGS,
                note="; ".join(dict.fromkeys(notes)),
                origin="names",
            )
        )
    return Glossary(entries)


@dataclass
class FormCount:
    text: str
    count: int = 0
    offsets: list[tuple[int, int]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class PersonSummary:
    """One person of a document for editors: forms found, renderings, notes."""

    person: PersonName
    renderings: dict[str, str]
    forms: list[FormCount]
    ambiguous: bool
    notes: list[str]

    def to_json(self) -> dict:
        p = self.person
        return {
            "id": p.id,
            "person": p.az(),
            "given": list(p.given),
            "patronymic": list(p.patronymic),
            "surname": p.surname,
            "gender": p.gender or None,
            "foreign": p.foreign,
            "renderings": self.renderings,
            "mentions": sum(f.count for f in self.forms),
            "forms": [
                {
                    "text": f.text,
                    "count": f.count,
                    "offsets": [list(o) for o in f.offsets],
                    "lines": f.lines,
                }
                for f in self.forms
            ],
            "ambiguous": self.ambiguous,
            "notes": self.notes,
        }


def summarize_names(
    text: str, targets: list[str], *, style: str = "direct", table: NameTable | None = None
) -> list[PersonSummary]:
    """Every person in `text`, in order of first mention, with forms (by surface text, with
    offsets and 1-based lines) and the full name rendered into each target language."""
    table = table or NameTable.load()
    mentions = find_names_in([text], table)[0]
    people: dict[str, PersonSummary] = {}
    for m in mentions:
        p = m.person
        summary = people.get(p.key)
        if summary is None:
            renderings = {lang: render(p, lang, style) for lang in targets}
            summary = people[p.key] = PersonSummary(p, renderings, [], False, list(p.notes))
        form = next((f for f in summary.forms if f.text == m.text), None)
        if form is None:
            form = FormCount(m.text)
            summary.forms.append(form)
        form.count += 1
        form.offsets.append((m.start, m.end))
        form.lines.append(text.count("\n", 0, m.start) + 1)
        summary.ambiguous |= m.ambiguous
        if m.note and m.note not in summary.notes:
            summary.notes.append(m.note)
    return list(people.values())
