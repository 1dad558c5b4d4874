"""TBX (TermBase eXchange, ISO 30042) glossaries, as CAT tools export them, read with lxml.

Both TBX 2 (`martif/termEntry/langSet/tig|ntig`) and TBX 3 (`tbx/conceptEntry/langSec/termSec`)
are accepted, with or without namespaces. A term whose administrativeStatus (or
normativeAuthorization) is deprecated, superseded or forbidden becomes a forbidden rendering;
a preferred term is listed first. Entities and DTDs are never loaded, and a file that
declares or references an entity is refused.
"""

from __future__ import annotations

from pathlib import Path

from dilmanc.errors import DilmancError, InputError
from dilmanc.fileio import read_text
from dilmanc.glossary.model import Entry, Problem
from dilmanc.languages import resolve

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONCEPTS = {"termEntry", "conceptEntry"}
LANG_SETS = {"langSet", "langSec"}
STATUS_TYPES = {"administrativeStatus", "normativeAuthorization"}
BAD_STATUS = ("deprecated", "superseded", "forbidden", "rejected")


def _local(el) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _lang(code: str) -> str | None:
    for candidate in (code, code.replace("_", "-").split("-")[0]):
        try:
            return resolve(candidate).iso
        except DilmancError:
            continue
    return None


def _status(term_el, lang_set) -> str:
    """The administrative status note next to a term (in its tig/ntig/termSec)."""
    node = term_el.getparent()
    while node is not None and node is not lang_set:
        for child in node:
            if _local(child) in ("termNote", "descrip") and child.get("type") in STATUS_TYPES:
                return (child.text or "").strip().lower()
        node = node.getparent()
    return ""


def _refuse_entities(root, data: bytes, origin: str) -> None:
    """InputError for entity declarations and entity references: the parser never expands
    them, and a term must not be one left as it is ("&xxe;")."""
    from lxml import etree

    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.entities()):
        at = data.find(b"<!ENTITY")
        line = data.count(b"\n", 0, at) + 1 if at >= 0 else 1
        raise InputError(
            f"{origin}: line {line}: entity declarations are not accepted (never expanded)"
        )
    for ref in root.iter(etree.Entity):
        line = ref.sourceline or getattr(ref.getparent(), "sourceline", None) or 1
        raise InputError(f"{origin}: line {line}: entity reference {ref.text} is not accepted")


def read_tbx(path: str | Path) -> tuple[list[Entry], list[Problem]]:
    from lxml import etree

    origin = str(path)
    data = read_text(path).encode("utf-8")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.lineno or 1
        raise InputError(f"{origin}: line {line}: malformed TBX ({err.msg})") from None
    _refuse_entities(root, data, origin)
    problems: list[Problem] = []
    entries: list[Entry] = []
    concepts = [el for el in root.iter() if _local(el) in CONCEPTS]
    if not concepts:
        raise InputError(f"{origin}: line {root.sourceline}: no termEntry or conceptEntry found")
    for concept in concepts:
        line = concept.sourceline or 0
        terms: dict[str, list[tuple[bool, str]]] = {}
        bad: dict[str, list[str]] = {}
        notes = [
            " ".join((el.text or "").split())
            for el in concept
            if _local(el) in ("descrip", "note") and (el.text or "").strip()
        ]
        for lang_set in concept.iter():
            if _local(lang_set) not in LANG_SETS:
                continue
            code = lang_set.get(XML_LANG) or lang_set.get("lang") or ""
            lang = _lang(code)
            if lang is None:
                problems.append(
                    Problem("warning", origin, lang_set.sourceline, f"unknown language {code!r}")
                )
                continue
            for term_el in lang_set.iter():
                if _local(term_el) != "term":
                    continue
                text = " ".join("".join(term_el.itertext()).split())
                if not text:
                    continue
                status = _status(term_el, lang_set)
                if any(word in status for word in BAD_STATUS):
                    bad.setdefault(lang, []).append(text)
                else:
                    terms.setdefault(lang, []).append((not status.startswith("preferred"), text))
        az = tuple(t for _, t in sorted(terms.pop("az", []), key=lambda p: p[0]))
        if not az:
            problems.append(Problem("error", origin, line, "entry has no az (source) term"))
            continue
        targets = {
            lang: tuple(t for _, t in sorted(v, key=lambda p: p[0])) for lang, v in terms.items()
        }
        if not targets:
            problems.append(Problem("warning", origin, line, f"no target term for {az[0]!r}"))
        entries.append(
            Entry(
                az=az,
                targets=targets,
                forbidden={lang: tuple(v) for lang, v in bad.items() if lang != "az"},
                id=concept.get("id"),
                note="; ".join(notes),
                origin=origin,
                line=line,
            )
        )
    return entries, problems
