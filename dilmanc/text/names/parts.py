"""What a word can be in a person's name: surname endings, honorifics, patronymic markers.

These are name-formation facts, not inflection: the inflectional suffixes that follow a name
("Behbudovun", "Aslanovaya") come from `dilmanc.text.morphology`, the one suffix table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dilmanc.text import morphology as morph
from dilmanc.text.turkic_case import az_lower, term_key


def _words(text: str) -> list[str]:
    return text.split()


@dataclass(frozen=True)
class Ending:
    az: str
    ru: str
    gender: str  # "m", "f" or "" (the ending does not tell)
    strong: bool  # enough on its own to call a capitalised word a surname
    foreign: bool = False


# Longest first. A surname is <capitalised stem of >= 3 letters> + ending.
ENDINGS: tuple[Ending, ...] = (
    Ending("şvili", "швили", "", True, True),
    Ending("skaya", "ская", "f", True, True),
    Ending("bəyli", "бейли", "", False),
    Ending("yeva", "ева", "f", True),
    Ending("zadə", "заде", "", True),
    Ending("oğlu", "оглу", "", True),
    Ending("skiy", "ский", "m", True, True),
    Ending("enko", "енко", "", True, True),
    Ending("ova", "ова", "f", True),
    Ending("yev", "ев", "m", True),
    Ending("eva", "ева", "f", True, True),  # after a consonant: Lebedeva
    Ending("ski", "ский", "m", True, True),
    Ending("dze", "дзе", "", True, True),
    Ending("ov", "ов", "m", True),
    Ending("ev", "ев", "m", True, True),
    Ending("li", "ли", "", False),
    Ending("lı", "лы", "", False),
    Ending("lu", "лу", "", False),
    Ending("lü", "лю", "", False),
)
MIN_STEM = 3

# Capitalised words with a surname ending that are not surnames: cities, and frequent
# adjectives in -li/-lı (Milli Məclis "National Assembly").
NOT_SURNAMES = frozenset(
    term_key(w)
    for w in _words(
        "Rostov Xarkov Saratov Tambov Pskov Kişinyov Çernigov Qorxmazlı Milli Əlli Elmli "
        "Azərbaycanlı Bakılı Gəncəli Şəkili Naxçıvanlı Qarabağlı Türkiyəli Rusiyalı "
        "Gürcüstanlı İranlı Avropalı Amerikalı Dövlətli Vətənli Şirvanlı Hüquqlu"
    )
)

# Honorifics and titles before a name; their gender when they tell it.
PRE_HONORIFICS: dict[str, str] = {
    "cənab": "m",
    "xanım": "f",
    "professor": "",
    "akademik": "",
    "dosent": "",
    "doktor": "",
    "deputat": "",
    "səfir": "",
}
# Honorifics after a name ("Həzi müəllim", "Leyla xanım"); they may take the case suffix.
POST_HONORIFICS: dict[str, str] = {"müəllim": "", "müəllimə": "", "xanım": "f", "bəy": "m"}
# Capitalised titles that are never part of a name ("Cənab Prezident", "Baş Nazir").
TITLES = frozenset(
    _words(
        "prezident nazir baş səfir sədr direktor general professor doktor hakim deputat spiker "
        "kansler kral kraliça şahzadə senator qubernator mer rəis komandir müavin katib başçı"
    )
)
# Patronymic markers: "Vüqar Əli oğlu Behbudov" (son of Əli), "Leyla Həsən qızı".
MARKERS: dict[str, str] = {"oğlu": "m", "qızı": "f"}

# Words after a name that show it is in the dative: postpositions and verbs governing it
# ("Aslanova görə" = according to Aslanov; "Aslanova müraciət etdi" = turned to Aslanov).
DATIVE_GOVERNORS = frozenset(
    _words(
        "görə qədər qarşı doğru tərəf dair aid məxsus rəğmən baxmayaraq müraciət təşəkkür "
        "minnətdarlıq minnətdarlığını zəng məktub təqdim verildi verilib verilmişdir göndərildi "
        "göndərilib ünvanlanıb ünvanlanmış həsr tapşırıldı tapşırılıb xitabən"
    )
)

_CHAIN = re.compile(morph.suffix_chain(1), re.IGNORECASE)
_SEPARATORS = set(morph.SUFFIX_SEPARATORS)
_UNSOFTEN = {v: k for k, v in morph.SOFTENING.items()}  # ğ → q, y → k


_BARE_KI = re.compile(r"(?<![dtn][aə])(?<!n)k[ıiuü]")  # -ki only after locative/genitive


def _joins(stem: str, tail: str) -> bool:
    """Buffer-letter phonotactics the suffix table leaves open: after a vowel a suffix cannot
    start with a vowel (Həzi+nin, not Həzi+in); after a consonant it cannot start with a
    buffer letter s/y/n/m (Con+un, not Con+su); -ki follows only a locative or a genitive
    (Bakıdakı, but Çexoslovakiya is not Çexoslova+ki+ya)."""
    last, first = az_lower(stem[-1]), az_lower(tail[0])
    if last in morph.VOWELS and first in morph.VOWELS:
        return False
    if last not in morph.VOWELS and first in "synm":
        return False
    return not _BARE_KI.search(az_lower(tail))


def inflections(word: str) -> list[tuple[str, str]]:
    """(stem, suffix) readings of `word`: itself, then every split whose tail is a chain of
    inflectional suffixes (from the shared morphology table), longest stem first. After an
    apostrophe only the split at the apostrophe counts ("Smit'in")."""
    out = [(word, "")]
    for i, ch in enumerate(word):
        if ch in _SEPARATORS and i > 0:
            tail = word[i + 1 :]
            return out + ([(word[:i], word[i:])] if _CHAIN.fullmatch(tail) else [])
    for k in range(len(word) - 1, 1, -1):
        tail = word[k:]
        if not tail.islower() or not _CHAIN.fullmatch(tail) or not _joins(word[:k], tail):
            continue
        stem = word[:k]
        out.append((stem, tail))
        soft = _UNSOFTEN.get(stem[-1])
        if soft and az_lower(tail[0]) in morph.VOWELS:
            out.append((stem[:-1] + soft, tail))
    return out


_CASE_TAIL = re.compile(
    "|".join(morph.SUFFIXES[c] for c in ("genitive", "locative", "ablative", "instrumental")),
    re.IGNORECASE,
)


def case_splits(word: str) -> list[tuple[str, str]]:
    """Splits of a word on no list into stem + a case suffix of two or more letters
    (Muellerin → Mueller + in), longest stem first: only a hint, never applied silently."""
    return [
        (stem, tail)
        for stem, tail in inflections(word)[1:]
        if len(tail) >= 2 and len(stem) >= 3 and _CASE_TAIL.fullmatch(tail)
    ]


def surname_ending(stem: str) -> Ending | None:
    """The surname ending of a capitalised word (Behbudov → -ov), or None."""
    if term_key(stem) in NOT_SURNAMES:
        return None
    low = az_lower(stem)
    for ending in ENDINGS:
        if low.endswith(ending.az) and len(low) - len(ending.az) >= MIN_STEM:
            base = low[: -len(ending.az)]
            if ending.az in ("eva", "ev") and (base[-1] in morph.VOWELS or base[-1] == "y"):
                continue  # native -yev/-yeva is matched above; vowel + ev is not a surname
            if ending.az in ("ov", "ova") and base[-1] in morph.VOWELS:
                continue
            return ending
    return None


_CLUSTER = re.compile(r"^[bcçdfgğhjklmnpqrsştvxzw][bcçdfgğhjklmnpqrsştvxzwy]", re.IGNORECASE)


def looks_foreign(word: str) -> bool:
    """Letter shapes Azerbaijani words do not have: two consonants at the start (Vladimir,
    Qyorqiyev, Smit), or w."""
    low = az_lower(word)
    return bool(_CLUSTER.match(low)) or "w" in low
