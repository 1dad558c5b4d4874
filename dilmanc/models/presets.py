"""Model presets: short names for the open models dilmanc is tested with.

A preset names a Hugging Face hub id, its architecture, the directions it translates, its
approximate download size and its licence. `--model` also accepts any hub id or directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from dilmanc.languages import resolve


@dataclass(frozen=True)
class Preset:
    name: str
    hub_id: str
    architecture: str  # "nllb" | "marian"
    pairs: tuple[tuple[str, str], ...]  # Marian directions (ISO codes); () = any NLLB language
    size: str  # approximate download of the files dilmanc needs
    licence: str
    note: str = ""

    @property
    def languages(self) -> str:
        if not self.pairs:
            return "202 NLLB-200 languages, any direction (az, en, ru among them)"
        return ", ".join(f"{src}→{tgt}" for src, tgt in self.pairs)


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "nllb-200-distilled-600M",
            "facebook/nllb-200-distilled-600M",
            "nllb",
            (),
            "2.5 GB",
            "CC-BY-NC-4.0",
            "default; non-commercial use only",
        ),
        Preset(
            "nllb-200-distilled-1.3B",
            "facebook/nllb-200-distilled-1.3B",
            "nllb",
            (),
            "5.5 GB",
            "CC-BY-NC-4.0",
            "better quality, about 2x slower; non-commercial use only",
        ),
        Preset(
            "opus-mt-az-en",
            "Helsinki-NLP/opus-mt-az-en",
            "marian",
            (("az", "en"),),
            "300 MB",
            "Apache-2.0",
            "small and fast, Azerbaijani to English only",
        ),
        Preset(
            "opus-mt-en-ru",
            "Helsinki-NLP/opus-mt-en-ru",
            "marian",
            (("en", "ru"),),
            "300 MB",
            "Apache-2.0",
            "English to Russian only; from Azerbaijani through the opus-mt-az-en-ru pivot",
        ),
    )
}

DEFAULT_MODEL = "nllb-200-distilled-600M"

# Pivot presets: two models in a row (source → English → target), see engines/pivot.py.
PIVOTS: dict[str, str] = {
    "opus-mt-az-en-ru": "opus-mt-az-en+opus-mt-en-ru",
}
# Licences that allow commercial use (SPDX ids, lower case).
COMMERCIAL_LICENCES = frozenset(
    {"apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0"}
)


def commercial_use(licence: str | None) -> bool | None:
    """True/False for a known licence, None when the licence is unknown."""
    if not licence:
        return None
    key = licence.strip().lower()
    if key in COMMERCIAL_LICENCES:
        return True
    return False if "nc" in key.split("-") or key.startswith("cc-by-nc") else None


# Every language a preset names must be one dilmanc knows.
for _preset in PRESETS.values():
    for _pair in _preset.pairs:
        resolve(_pair[0]), resolve(_pair[1])


def find_preset(spec: str) -> Preset | None:
    """The preset called `spec`, or whose hub id is `spec` (case-insensitive); else None."""
    key = spec.strip().lower()
    for preset in PRESETS.values():
        if key in (preset.name.lower(), preset.hub_id.lower()):
            return preset
    return None


def licences_of(spec: str) -> list[str | None]:
    """The licence of each model a `--model` value names (both legs of a pivot); None for a
    model that is not a preset (a hub id or directory whose licence dilmanc cannot know)."""
    spec = PIVOTS.get(spec.strip(), spec.strip())
    out: list[str | None] = []
    for part in spec.split("+"):
        preset = find_preset(part)
        out.append(preset.licence if preset else None)
    return out
