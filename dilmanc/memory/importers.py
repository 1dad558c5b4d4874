"""Reading translation-memory units from TMX, PO, XLIFF (1.2 and 2.x) and TSV files.

PO and XLIFF are read by their `documents` formats (the same readers `translate` uses) and
turned into memory units by `memory.units`, so their inline codes are the tags `translate`
looks the memory up with (a PO `%s` is `<x1/>`, an XLIFF `<g>` `<g1>…</g1>`):

* PO: non-fuzzy translated messages, msgid → msgstr (singular form). Languages from
  --src/--tgt, else the header's `X-Source-Language` (default en, as msgids usually are) and
  `Language`. The message's notes (comments, references, flags) become notes, msgctxt the
  prop `x-context`; neighbouring messages give prev/next.
* XLIFF (entities and DOCTYPEs refused): 1.2 `<trans-unit>` whose target is `approved="yes"`
  or in state translated / signed-off / final; 2.x `<segment>` in state translated / reviewed
  / final. Languages from the (first) `<file>` or the root. A target code takes the number of
  the source code with the same markup.
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
from dilmanc.memory.model import TMUnit
from dilmanc.memory.normalize import language
from dilmanc.memory.tmx import read_tmx
from dilmanc.memory.units import approved_units, with_context

FORMATS = {
    ".tmx": "tmx",
    ".po": "po",
    ".pot": "po",
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".tsv": "tsv",
    ".tab": "tsv",
}


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
    if kind in _BILINGUAL:
        return read_document(path, kind, src_lang, tgt_lang, keep_variants, skipped)
    return read_tsv(path, src_lang, tgt_lang, keep_variants, skipped)


# --- PO and XLIFF: through the document readers --------------------------------------------

# per format: the source language when the file names none, what says the target language,
# why an existing target is left out
_BILINGUAL = {
    "po": ("en", "the PO header has no Language", "fuzzy"),
    "xliff": (None, "no target-language (trgLang) in the file", "not approved or translated"),
}


def read_document(path, kind, src_lang, tgt_lang, keep, skipped: Skipped) -> Iterator[TMUnit]:
    """The approved units of a bilingual document (PO, XLIFF) read by its `documents` format."""
    from dilmanc.documents.registry import format_class

    p = Path(path)
    default_source, no_target, not_approved = _BILINGUAL[kind]
    document = format_class(kind).load(p)
    declared_src, declared_tgt = document.languages()
    src = _lang_option(src_lang, "src_lang", keep)
    if src is None:
        code = declared_src or default_source
        if not code:
            raise InputError(
                f"{p}: no source language in the file", setting="src_lang", template=PASS
            )
        src = _file_lang(code, p, keep)
    tgt = _lang_option(tgt_lang, "tgt_lang", keep)
    units = list(document.units())
    if tgt is None and any(u.approved for u in units):
        if not declared_tgt:
            raise InputError(f"{p}: {no_target}", setting="tgt_lang", template=PASS)
        tgt = _file_lang(declared_tgt, p, keep)
    found = approved_units(
        units,
        src,
        tgt or "",
        p.name,
        skipped,
        not_approved,
        tuids=kind == "xliff",
        derived="#" if kind == "po" else "",
    )
    return with_context(found)


def _file_lang(code: str, path: Path, keep: bool) -> str:
    lang = language(code, keep)
    if lang is None:
        raise InputError(f"{path}: invalid language code {code!r} in the file")
    return lang


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
