"""Reading translation-memory units from TMX, PO, XLIFF (1.2 and 2.x) and TSV files.

* PO (translate-toolkit): translated, non-fuzzy, non-obsolete messages, msgid → msgstr
  (singular form). Languages from --src/--tgt, else the header's `X-Source-Language` (default
  en, as msgids usually are) and `Language`. Translator and developer comments become notes,
  msgctxt the prop `x-context`; neighbouring messages give prev/next.
* XLIFF (lxml, entities and DOCTYPEs refused): 1.2 `<trans-unit>` whose target is
  `approved="yes"` or in state translated / signed-off / final; 2.x `<segment>` in state
  translated / reviewed / final. Inline codes become compact tags (g/pc → `<gN>…</gN>`,
  everything else standalone `<xN/>`; mrk keeps only its text); a target code takes the
  number of the source code with the same id.
* TSV: a header of language codes (`az<TAB>en<TAB>ru`); the first column (or --src) is the
  source, every other column a target.

Every reader yields units lazily and raises InputError naming the file and line; `Skipped`
counts what was left out and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from dilmanc.errors import PASS, InputError, SettingError, UsageError
from dilmanc.memory.model import TMUnit, pair_numbers, renumber
from dilmanc.memory.normalize import language
from dilmanc.memory.tmx import check_doctype, open_xml_events, read_tmx, syntax_error

FORMATS = {
    ".tmx": "tmx",
    ".po": "po",
    ".pot": "po",
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".tsv": "tsv",
    ".tab": "tsv",
}
XLIFF12_OK = frozenset({"translated", "signed-off", "final"})
XLIFF2_OK = frozenset({"translated", "reviewed", "final"})


class Skipped(Counter):
    """Reason → count of entries left out of an import."""

    def summary(self) -> str:
        return ", ".join(f"{n} {reason}" for reason, n in sorted(self.items()))


def _lang_option(code: str | None, setting: str, keep: bool) -> str | None:
    """`code` as a language; `setting` names where it came from (src_lang, tgt_lang or the
    file's own header field, as "the header's Language")."""
    if code is None:
        return None
    lang = language(code, keep)
    if lang is None:
        if setting.startswith(("X-", "the ")):
            raise UsageError(f"{setting} {code!r} is not a language code")
        raise SettingError(setting, f"{code!r} is not a language code")
    return lang


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        fmt = fmt.lower()
        if fmt not in set(FORMATS.values()):
            raise UsageError(f"unknown format {fmt!r} (tmx, po, xliff, tsv)")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"{path}: cannot tell the format from {suffix or 'no extension'!r} "
            "(.tmx, .po, .xlf/.xliff, .tsv",
            setting="format",
            template="{problem}; or pass {option})",
        )
    return FORMATS[suffix]


def read_units(
    path: str | Path,
    *,
    fmt: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    keep_variants: bool = False,
    skipped: Skipped | None = None,
) -> Iterator[TMUnit]:
    """The approved units of a TMX, PO, XLIFF or TSV file (format from the extension)."""
    kind = detect_format(path, fmt)
    skipped = skipped if skipped is not None else Skipped()
    if kind == "tmx":
        return read_tmx(
            path,
            src_lang=src_lang,
            tgt_lang=tgt_lang,
            keep_variants=keep_variants,
            skipped=skipped,
        )
    if kind == "po":
        return read_po(path, src_lang, tgt_lang, keep_variants, skipped)
    if kind == "xliff":
        return read_xliff(path, src_lang, tgt_lang, keep_variants, skipped)
    return read_tsv(path, src_lang, tgt_lang, keep_variants, skipped)


def _with_context(units: list[TMUnit]) -> Iterator[TMUnit]:
    """Set each unit's prev/next to its neighbours' sources (document order)."""
    for i, unit in enumerate(units):
        prev = units[i - 1].source if i > 0 else None
        nxt = units[i + 1].source if i + 1 < len(units) else None
        yield unit.with_(prev=prev, next=nxt)


# --- PO ---------------------------------------------------------------------------------------


def read_po(path, src_lang, tgt_lang, keep, skipped: Skipped) -> Iterator[TMUnit]:
    from translate.storage import po

    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror})") from None
    try:
        store = po.pofile(data)
    except Exception as err:  # translate-toolkit raises assorted errors on bad PO
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise InputError(f"{p}: malformed PO file ({first[:200]})") from None
    header = store.parseheader() if hasattr(store, "parseheader") else {}
    src = _lang_option(src_lang, "src_lang", keep) or _lang_option(
        header.get("X-Source-Language") or "en", "X-Source-Language", keep
    )
    tgt_code = tgt_lang or header.get("Language")
    if not tgt_code:
        raise InputError(f"{p}: the PO header has no Language", setting="tgt_lang", template=PASS)
    tgt = _lang_option(tgt_code, "tgt_lang" if tgt_lang else "the header's Language", keep)
    units: list[TMUnit] = []
    for unit in store.units:
        if unit.isheader() or unit.isobsolete():
            continue
        if unit.isfuzzy():
            skipped["fuzzy"] += 1
            continue
        if not unit.istranslated():
            skipped["untranslated"] += 1
            continue
        source = _first(unit.source)
        target = _first(unit.target)
        if not source.strip() or not target.strip():
            skipped["empty"] += 1
            continue
        notes = [n for n in (unit.getnotes("translator"), unit.getnotes("developer")) if n]
        ctx = unit.getcontext()
        units.append(
            TMUnit(
                source=source,
                target=target,
                src_lang=src,
                tgt_lang=tgt,
                origin=p.name,
                props=(("x-context", ctx),) if ctx else (),
                notes=tuple(notes),
            )
        )
    return _with_context(units)


def _first(value) -> str:
    """The singular form of a (possibly plural) PO string."""
    strings = getattr(value, "strings", None)
    if strings:
        return str(strings[0])
    return str(value or "")


# --- XLIFF ------------------------------------------------------------------------------------

_PAIRED = {"g", "pc"}
_TRANSPARENT = {"mrk"}


def _inline_text(el) -> tuple[str, dict[int, tuple[str, str]]]:
    """An XLIFF source/target as compact-tag text (codes numbered in order) and each code's
    key: its element and id (or `startRef`, `rid`), which pairs it with the other side's."""
    parts: list[str] = []
    keys: dict[int, tuple[str, str]] = {}
    counter = 0

    def walk(node) -> None:
        nonlocal counter
        if node.text:
            parts.append(node.text)
        for child in node:
            name = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if name in _TRANSPARENT:
                walk(child)
            elif name:
                counter += 1
                n = counter
                ref = child.get("id") or child.get("startRef") or child.get("rid")
                if ref:
                    keys[n] = (name, ref)
                if name in _PAIRED:
                    parts.append(f"<g{n}>")
                    walk(child)
                    parts.append(f"</g{n}>")
                else:
                    parts.append(f"<x{n}/>")
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts), keys


def read_xliff(path, src_lang, tgt_lang, keep, skipped: Skipped) -> Iterator[TMUnit]:
    from lxml import etree

    handle, events = open_xml_events(path, "XLIFF", events=("start", "end"))
    units: list[TMUnit] = []
    version2 = False
    src = _lang_option(src_lang, "src_lang", keep)
    tgt = _lang_option(tgt_lang, "tgt_lang", keep)
    file_src, file_tgt = src, tgt
    first = True
    try:
        with handle:
            for event, el in events:
                name = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
                if event == "start":
                    if first:
                        first = False
                        check_doctype(el, path, "XLIFF")
                        if name != "xliff":
                            raise InputError(
                                f"{path}: line {el.sourceline}: not an XLIFF file "
                                f"(root element <{name}>)"
                            )
                        version2 = (el.get("version") or "").startswith("2")
                        if version2:
                            file_src = src or _xlf_lang(el.get("srcLang"), el, path, keep)
                            file_tgt = tgt or _xlf_lang(el.get("trgLang"), el, path, keep, True)
                    elif name == "file" and not version2:
                        file_src = src or _xlf_lang(el.get("source-language"), el, path, keep)
                        file_tgt = tgt or _xlf_lang(
                            el.get("target-language"), el, path, keep, optional=True
                        )
                    continue
                if not version2 and name == "trans-unit":
                    unit = _xliff12_unit(el, file_src, file_tgt, path, skipped)
                elif version2 and name == "segment":
                    unit = _xliff2_unit(el, file_src, file_tgt, path, skipped)
                else:
                    continue
                if unit is not None:
                    units.append(unit)
                el.clear(keep_tail=False)
    except etree.XMLSyntaxError as err:
        raise syntax_error(path, "XLIFF", err) from None
    if first:
        raise InputError(f"{path}: line 1: empty file, not XLIFF")
    return _with_context(units)


def _xlf_lang(code, el, path, keep, optional=False) -> str | None:
    if not code:
        if optional:
            return None
        raise InputError(
            f"{path}: line {el.sourceline}: no source language", setting="src_lang", template=PASS
        )
    lang = language(code, keep)
    if lang is None:
        raise InputError(f"{path}: line {el.sourceline}: invalid language code {code!r}")
    return lang


def _child(el, name):
    for child in el:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == name:
            return child
    return None


def _make(el, source_el, target_el, src, tgt, path, skipped) -> TMUnit | None:
    if source_el is None or target_el is None:
        skipped["untranslated"] += 1
        return None
    if tgt is None:
        raise InputError(
            f"{path}: line {el.sourceline}: no target language", setting="tgt_lang", template=PASS
        )
    (source, source_keys), (target, target_keys) = _inline_text(source_el), _inline_text(target_el)
    if not source.strip() or not target.strip():
        skipped["empty"] += 1
        return None
    if target_keys:
        target = renumber(target, {}, pair_numbers(source, source_keys, target, target_keys))[0]
    return TMUnit(source, target, src, tgt, origin=Path(path).name, tuid=el.get("id"))


def _xliff12_unit(el, src, tgt, path, skipped) -> TMUnit | None:
    target_el = _child(el, "target")
    state = (target_el.get("state") if target_el is not None else None) or ""
    if el.get("approved") != "yes" and state not in XLIFF12_OK:
        skipped["not approved or translated"] += 1
        return None
    return _make(el, _child(el, "source"), target_el, src, tgt, path, skipped)


def _xliff2_unit(el, src, tgt, path, skipped) -> TMUnit | None:
    if (el.get("state") or "initial") not in XLIFF2_OK:
        skipped["not translated, reviewed or final"] += 1
        return None
    return _make(el, _child(el, "source"), _child(el, "target"), src, tgt, path, skipped)


# --- TSV --------------------------------------------------------------------------------------


def read_tsv(path, src_lang, tgt_lang, keep, skipped: Skipped) -> Iterator[TMUnit]:
    from dilmanc.fileio import read_text

    p = Path(path)
    lines = read_text(p).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise InputError(f"{p}: empty file")
    header = lines[0].split("\t")
    langs = []
    for column, cell in enumerate(header, 1):
        lang = language(cell.strip(), keep)
        if lang is None:
            raise InputError(
                f"{p}: line 1: column {column} header {cell.strip()!r} is not a language "
                "code (the header names each column's language, e.g. az<TAB>en)"
            )
        langs.append(lang)
    if len(langs) < 2 or len(set(langs)) != len(langs):
        raise InputError(f"{p}: line 1: the header needs two or more different languages")
    src = _lang_option(src_lang, "src_lang", keep) or langs[0]
    tgt = _lang_option(tgt_lang, "tgt_lang", keep)
    if src not in langs:
        raise UsageError(f"{p}: no {src} column (columns: {', '.join(langs)})")
    s = langs.index(src)
    targets = [i for i, lang in enumerate(langs) if i != s and (tgt is None or lang == tgt)]
    if not targets:
        raise UsageError(f"{p}: no {tgt} column (columns: {', '.join(langs)})")

    def units() -> Iterator[TMUnit]:
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
                yield TMUnit(cells[s], cells[i], langs[s], langs[i], origin=p.name)

    return units()


__all__ = ["FORMATS", "Skipped", "detect_format", "read_units"]
