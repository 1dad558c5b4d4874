"""Language codes: ISO 639-1/639-3 as users type them, NLLB-200 (FLORES) codes, Marian codes.

`resolve("az")` → Language("az", "azj_Latn", "Azerbaijani"); NLLB codes are accepted as is.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass

from dilmanc.errors import DilmancError, SettingError, UsageError


@dataclass(frozen=True)
class Language:
    iso: str  # ISO 639-1 where one exists, used in file names (release.en.txt)
    nllb: str  # FLORES-200 code used by NLLB tokenizers (azj_Latn)
    name: str


# Languages dilmanc is built for first, then neighbours users ask about. Extend freely.
LANGUAGES: tuple[Language, ...] = (
    Language("az", "azj_Latn", "Azerbaijani"),
    Language("en", "eng_Latn", "English"),
    Language("ru", "rus_Cyrl", "Russian"),
    Language("tr", "tur_Latn", "Turkish"),
    Language("uk", "ukr_Cyrl", "Ukrainian"),
    Language("ka", "kat_Geor", "Georgian"),
    Language("hy", "hye_Armn", "Armenian"),
    Language("fa", "pes_Arab", "Persian"),
    Language("de", "deu_Latn", "German"),
    Language("fr", "fra_Latn", "French"),
    Language("es", "spa_Latn", "Spanish"),
    Language("ar", "arb_Arab", "Arabic"),
    Language("kk", "kaz_Cyrl", "Kazakh"),
    Language("uz", "uzn_Latn", "Uzbek"),
)

# Other spellings users type for the same language.
_ALIASES = {
    "aze": "az",
    "azj": "az",
    "azb": "az",
    "az_latn": "az",
    "az-latn": "az",
    "aze_latn": "az",
    "eng": "en",
    "rus": "ru",
    "tur": "tr",
    "ukr": "uk",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
}

_BY_ISO = {lang.iso: lang for lang in LANGUAGES}
_BY_NLLB = {lang.nllb.lower(): lang for lang in LANGUAGES}


def resolve(code: str) -> Language:
    """Map a user-typed code (az, aze, azj_Latn, AZ) to a Language; UsageError if unknown."""
    key = code.strip().lower()
    key = _ALIASES.get(key, key)
    if key in _BY_ISO:
        return _BY_ISO[key]
    if key in _BY_NLLB:
        return _BY_NLLB[key]
    if "_" in key and len(key.split("_")[0]) == 3:  # any other FLORES-200 code, e.g. kir_Cyrl
        lang3, script = code.strip().split("_", 1)
        nllb = f"{lang3.lower()}_{script.title()}"
        return Language(nllb, nllb, nllb)
    known = ", ".join(lang.iso for lang in LANGUAGES)
    raise UsageError(
        f"unknown language code {code!r} (known: {known}, or an NLLB code like azj_Latn)"
    )


def parse_targets(spec: str) -> list[Language]:
    """`"en,ru"` → [English, Russian], de-duplicated, order kept."""
    out: list[Language] = []
    for part in spec.split(","):
        if part.strip():
            lang = resolve(part)
            if lang not in out:
                out.append(lang)
    if not out:
        raise SettingError(
            "targets", "no target language given", template="{problem} (use {option} en,ru)"
        )
    return out


# --- codes as a translation memory or bilingual file stores them -----------------------------

_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


@functools.lru_cache(maxsize=4096)
def stored_language(code: str, keep_variants: bool = False) -> str | None:
    """A language code as stored: `en-GB` → `en`, `az-Latn-AZ` → `az`, `aze` → `az`;
    with `keep_variants`, `en-GB` stays `en-GB` (canonical case). None if not a language code."""
    code = (code or "").strip()
    if not code or not _LANG.match(code):
        if code:  # an NLLB code such as azj_Latn is fine too
            try:
                return resolve(code).iso
            except DilmancError:
                return None
        return None
    parts = re.split(r"[-_]", code)
    primary = parts[0].lower()
    with contextlib.suppress(DilmancError):
        primary = resolve(primary).iso
    if not keep_variants or len(parts) == 1:
        return primary
    out = [primary]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script: Latn, Cyrl
        elif len(part) in (2, 3):
            out.append(part.upper())  # region: GB, AZ, 419
        else:
            out.append(part.lower())
    return "-".join(out)


def base_language(code: str) -> str:
    """`en-GB` → `en` (codes as stored by `stored_language`)."""
    return code.split("-")[0]


def option_language(code: str | None, setting: str, keep_variants: bool) -> str | None:
    """`code` given as `setting` (src_lang, tgt_lang) as stored; None when not given;
    SettingError when it is not a language code."""
    if code is None:
        return None
    lang = stored_language(code, keep_variants)
    if lang is None:
        raise SettingError(setting, f"{code!r} is not a language code")
    return lang
