"""Case forms of Russian personal names, for verification where pymorphy3 does not know them.

pymorphy3 lemmatizes most surnames in -ов/-ев/-ин and common given names ("Бехбудова" →
бехбудов, "Алиевой" → алиев), but not every Azerbaijani given name ("Довлята" → довлёнок).
`name_forms` lists the singular case forms a Russian text can use for a name word:
- surnames in -ов/-ев/-ёв/-ин/-ын: -а, -у, -ым, -е (and the feminine -а/-ой/-у);
- feminine surnames in -ова/-ева/-ина/-ына: -ой, -у;
- words in -а: -ы/-и, -е, -у, -ой/-ей; in -я: -и, -е, -ю, -ей;
- words in -й or -ь: -я, -ю, -ем, -е (and -и for feminine -ь);
- other consonant-final words: -а, -у, -ом/-ем, -е;
- words ending in another vowel (Хази, Мамедли, Гасанзаде, оглы) do not decline.
"""

from __future__ import annotations

import functools

_VOWELS = set("аеёиоуыэюя")
_AFTER_I = set("гкхжчшщ")  # these take -и, not -ы
_HUSHING = set("жчшщц")


@functools.lru_cache(maxsize=4096)
def name_forms(word: str) -> frozenset[str]:
    """Lower-case singular case forms of a Russian name word (ё written е), itself included."""
    w = word.lower().replace("ё", "е")
    forms = {w}
    if len(w) < 2:
        return frozenset(forms)
    stem, last = w[:-1], w[-1]
    if w.endswith(("ова", "ева", "ина", "ына")):
        forms |= {stem + "ой", stem + "у"}
    elif w.endswith(("ов", "ев", "ин", "ын")):
        return frozenset(forms | {w + "а", w + "у", w + "ым", w + "е", w + "ой"})
    if last == "а":
        forms |= {stem + ("и" if stem[-1:] in _AFTER_I else "ы"), stem + "е", stem + "у"}
        forms |= {stem + ("ей" if stem[-1:] in _HUSHING else "ой")}
    elif last == "я":
        forms |= {stem + "и", stem + "е", stem + "ю", stem + "ей"}
    elif last in "йь":
        forms |= {stem + "я", stem + "ю", stem + "ем", stem + "е", stem + "и"}
    elif last not in _VOWELS:
        forms |= {w + "а", w + "у", w + "е", w + ("ем" if last in _HUSHING else "ом")}
        if w.endswith("дж"):
            forms.add(w + "ем")
    return frozenset(forms)
