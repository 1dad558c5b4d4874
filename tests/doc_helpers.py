"""Helpers shared by the per-format document tests (tests/test_doc_*.py): write a document
with chosen targets, look units up by their source, a target that is the source upper-cased."""

from __future__ import annotations

import io

from dilmanc.documents.base import Origin, Translated
from dilmanc.languages import resolve
from dilmanc.text.tagged import TaggedText

EN = resolve("en")


def write(document, targets: list, lang=EN) -> bytes:
    """`targets`: (unit, TaggedText or a function of the unit's source) pairs."""
    translations = {}
    for unit, target in targets:
        value = target(unit.source) if callable(target) else target
        translations[unit.id] = Translated(unit, value, Origin.MACHINE)
    buffer = io.BytesIO()
    document.write(buffer, lang, translations)
    return buffer.getvalue()


def by_source(document) -> dict[str, object]:
    """The document's units by their compact tagged source."""
    return {unit.source.render(): unit for unit in document.units()}


def upper(source: TaggedText) -> TaggedText:
    """A target: the source upper-cased, its tags where they were."""
    return TaggedText(source.text.upper(), source.tags)
