"""Reading translation-memory units from TMX, PO, XLIFF (1.2 and 2.x) and TSV files.

Every format is read by its one reader in `documents/` and turned into memory units by
`memory.units`. PO and XLIFF are the `documents` formats `translate` uses, so their inline
codes are the tags `translate` looks the memory up with (a PO `%s` is `<x1/>`, an XLIFF `<g>`
`<g1>…</g1>`); TMX (`documents.tmx`) and TSV (`documents.tsv`) readers give each pair's
languages and metadata with it:

* PO: non-fuzzy translated messages, msgid → msgstr (singular form). Languages from
  --src/--tgt, else the header's `X-Source-Language` (default en, as msgids usually are) and
  `Language`. The message's notes (comments, references, flags) become notes, msgctxt the
  prop `x-context`; neighbouring messages give prev/next.
* XLIFF (entities and DOCTYPEs refused): 1.2 `<trans-unit>` whose target is `approved="yes"`
  or in state translated / signed-off / final; 2.x `<segment>` in state translated / reviewed
  / final. Languages from the (first) `<file>` or the root. A target code takes the number of
  the source code with the same markup.
* TMX: see `documents.tmx` (languages and variants, inline codes kept as they came, tuid,
  dates, props, notes).
* TSV: a header of language codes (`az<TAB>en<TAB>ru`); the first column (or --src) is the
  source, every other column a target.

Every reader yields units lazily and raises InputError naming the file and line; `Skipped`
counts what was left out and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from dilmanc.errors import PASS, InputError, UsageError
from dilmanc.languages import option_language
from dilmanc.memory.model import TMUnit
from dilmanc.memory.normalize import language
from dilmanc.memory.tmx import read_tmx
from dilmanc.memory.units import approved_units, recorded_unit, with_context

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
    from dilmanc.documents.tsv import read_tsv

    units = read_tsv(
        path, src_lang=src_lang, tgt_lang=tgt_lang, keep_variants=keep_variants, skipped=skipped
    )
    return (recorded_unit(unit, Path(path).name) for unit in units)


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
    src = option_language(src_lang, "src_lang", keep)
    if src is None:
        code = declared_src or default_source
        if not code:
            raise InputError(
                f"{p}: no source language in the file", setting="src_lang", template=PASS
            )
        src = _file_lang(code, p, keep)
    tgt = option_language(tgt_lang, "tgt_lang", keep)
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


__all__ = ["FORMATS", "Skipped", "detect_format", "read_units"]
