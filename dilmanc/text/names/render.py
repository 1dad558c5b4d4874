"""A person's name in the target language: Russian transcription, English direct or keep.

Order of authority for each word: a whole-name row of the names files (aligned word by word
with the name when the word counts match), a one-word row (user files first, then the bundled
exceptions; also used as a surname stem: Rüstəm → Рустам gives Rüstəmov → Рустамов), then the
transcription rules of `transcribe`.
"""

from __future__ import annotations

from dilmanc.errors import UsageError
from dilmanc.text.names import parts
from dilmanc.text.names.detect import GIVEN, PATRONYMIC, SURNAME, PersonName
from dilmanc.text.names.table import NameTable
from dilmanc.text.names.transcribe import en_word, ru_word
from dilmanc.text.turkic_case import az_lower

STYLES = ("direct", "keep")
LANGUAGES = ("en", "ru")


def _split_ending(word: str) -> tuple[str, parts.Ending] | None:
    ending = parts.surname_ending(word)
    if ending is None:
        return None
    return word[: len(word) - len(ending.az)], ending


def _fixed_en(row, word: str, table: NameTable) -> bool:
    """An English table form also wins over "keep" for user rows and foreign names (John,
    not Con); Azerbaijani names keep their own spelling."""
    given = table.given_name(word)
    return row.user or bool(given and given.foreign) or parts.looks_foreign(word)


def _word(word: str, role: str, lang: str, style: str, table: NameTable) -> str:
    if "-" in word.strip("-"):
        return "-".join(_word(w, role, lang, style, table) for w in word.split("-"))
    row = table.word(word)
    if (
        lang == "en"
        and style == "keep"
        and not (row and "en" in row.targets and _fixed_en(row, word, table))
    ):
        return word
    if row and lang in row.targets:
        return row.targets[lang]
    split = _split_ending(word) if role == SURNAME else None
    if split:
        stem, ending = split
        stem_row = table.word(stem)
        if stem_row and lang in stem_row.targets:
            tail = ending.ru if lang == "ru" else en_word(az_lower(ending.az))
            return stem_row.targets[lang] + tail
        if lang == "ru" and ending.az == "zadə":
            return ru_word(stem) + ending.ru
    return ru_word(word) if lang == "ru" else en_word(word)


def render(
    person: PersonName,
    lang: str,
    style: str = "direct",
    shape: tuple[str, ...] | None = None,
    *,
    table: NameTable | None = None,
) -> str:
    """`person` in `lang` ("en" or "ru"); `style` applies to English ("direct" or "keep");
    `shape` picks and orders parts (e.g. ("surname",) for a surname-only mention)."""
    lang = getattr(lang, "iso", lang)
    if lang not in LANGUAGES:
        raise UsageError(f"names can be rendered into {' or '.join(LANGUAGES)}, not {lang!r}")
    if style not in STYLES:
        raise UsageError(f"unknown names style {style!r} (choose {' or '.join(STYLES)})")
    table = table or person.table or NameTable.load()
    full_shape = person.shape
    shape = tuple(shape or full_shape)
    aligned: dict[tuple[str, int], str] = {}
    for names in (person.az(), " ".join([*person.given, person.surname]).strip()):
        row = table.person(names)
        if row is None or lang not in row.targets:
            continue
        target = row.targets[lang]
        if shape == full_shape and names == person.az():
            return target
        roles = [r for r in full_shape for _ in person.words(r)]
        if names != person.az():
            roles = [r for r in roles if r != PATRONYMIC]
        if len(target.split()) == len(roles):
            counters: dict[str, int] = {}
            for role, word in zip(roles, target.split(), strict=True):
                aligned[(role, counters.get(role, 0))] = word
                counters[role] = counters.get(role, 0) + 1
            break
    out = []
    for role in shape:
        for k, word in enumerate(person.words(role)):
            fixed = aligned.get((role, k))
            out.append(
                fixed or _word(word, role if role != PATRONYMIC else GIVEN, lang, style, table)
            )
    return " ".join(out)
