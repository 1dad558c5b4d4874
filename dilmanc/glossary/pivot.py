"""The glossary of a pivot's second leg (`dilmanc.engines.pivot`): terms in the pivot
language mapped to the target's, so a term enforced in English on the first leg becomes the
glossary's Russian term on the second."""

from __future__ import annotations

from dilmanc.glossary.model import Entry, Glossary, term_key


def pivot_glossary(glossary, pivot: str, target: str):
    """The glossary of a second leg: each entry's pivot-language renderings as the terms to
    find, its target-language renderings (and forbidden ones) as what they must become.

    The preferred pivot rendering is what the first leg injects, so it always maps back to
    its own entry; other accepted renderings are added only where no other entry prefers
    them ("IOM" stays IOM → МОМ even when the full name lists "IOM" as a variant)."""
    usable = [e for e in glossary if e.accepted(pivot) and e.accepted(target)]
    preferred = {term_key(e.accepted(pivot)[0]) for e in usable}
    entries = []
    for entry in usable:
        first, *others = entry.accepted(pivot)
        found = (first, *(v for v in others if term_key(v) not in preferred))
        entries.append(
            Entry(
                az=found,
                targets={target: entry.accepted(target)},
                forbidden={target: entry.forbidden_in(target)},
                id=entry.id,
                flags=entry.flags - {"dnt"},
                note=entry.note,
                origin=entry.origin,
                line=entry.line,
            )
        )
    return Glossary(entries)
