"""Azerbaijani name words in Russian and English letters.

Russian follows the established practical transcription: c → дж, ç → ч, ş → ш, x/h → х,
q/ğ → г, ı → ы (и after ж/ч/ш/дж and before й), and the front vowels by context:
- ə → а, but я after к, г, л and a vowel (Kəmalə → Кямаля, Dövlət → Довлят), е before a
  closing й (Bəy → Бей, Zeynəb → Зейнаб), я for yə (Vilayət → Вилаят); а word-initially.
- ü → ю after к, г, л and a vowel (Gülnarə → Гюльнара), у elsewhere (Rüstəm → Рустам).
- ö → ё after к, г, л and a vowel, о elsewhere (Dövlət → Довлят).
- y + vowel → я/ю/ё/е (with ь after a consonant other than г/к/х: Məryəm → Марьям).
- e → э word-initially and after a vowel (Elçin → Эльчин), else е.
- л is soft (ль) after a front vowel before a consonant or at the end (Elmar → Эльмар,
  Kamil → Камиль).
Traditional forms the rules do not give (Füzuli → Физули, Heydər → Гейдар) come from the
exceptions table. English "direct" style: ə → a, ş → sh, ç → ch, c → j, q → g, ğ → gh,
x → kh, ü → u, ö → o, ı → i (İ → I); "keep" keeps the Azerbaijani spelling.
"""

from __future__ import annotations

from dilmanc.text.turkic_case import az_lower

VOWELS = set("aəeıioöuü")
FRONT = set("eiəöü")
PALATAL = set("kgl")  # consonants after which ə/ü/ö are written я/ю/ё
SOFT_SIGN_BLOCKERS = set("gkqxh")  # no ь before ya/yu/yo after these (Qyorqiyev → Гёргиев)
HUSHING = set("cçşj")

_RU = {
    "a": "а",
    "b": "б",
    "c": "дж",
    "ç": "ч",
    "d": "д",
    "f": "ф",
    "g": "г",
    "ğ": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "г",
    "r": "р",
    "s": "с",
    "ş": "ш",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "х",
    "z": "з",
}
_IOTATED = {
    "a": "я",
    "ə": "я",
    "u": "ю",
    "ü": "ю",
    "o": "ё",
    "ö": "ё",
    "e": "е",
    "i": "и",
    "ı": "ы",
}
_EN = {
    "ə": "a",
    "ş": "sh",
    "ç": "ch",
    "c": "j",
    "q": "g",
    "ğ": "gh",
    "x": "kh",
    "ü": "u",
    "ö": "o",
    "ı": "i",
}


def _capitalize(out: str, source: str) -> str:
    if source[:1].isupper():
        return out[:1].upper() + out[1:]
    return out


def ru_word(word: str) -> str:
    """One Azerbaijani word in Cyrillic by the rules above (no exceptions table)."""
    w = az_lower(word)
    out: list[str] = []
    i = 0
    n = len(w)
    while i < n:
        ch = w[i]
        prev = w[i - 1] if i else ""
        nxt = w[i + 1] if i + 1 < n else ""
        after = w[i + 2] if i + 2 < n else ""
        if ch == "y":
            if nxt == "y":  # Ülviyyə: a doubled y is written once
                i += 1
                continue
            if nxt in _IOTATED:
                if prev and prev not in VOWELS and prev not in SOFT_SIGN_BLOCKERS | {"y"}:
                    out.append("ь")
                out.append(_IOTATED[nxt])
                i += 2
                continue
            out.append("й")
        elif ch == "ə":
            if i == 0:
                out.append("а")
            elif nxt == "y" and after not in VOWELS:
                out.append("е")
            elif prev in PALATAL or prev in VOWELS:
                out.append("я")
            else:
                out.append("а")
        elif ch in "üö":
            soft = i > 0 and (prev in PALATAL or prev in VOWELS)
            out.append({"ü": "юу", "ö": "ёо"}[ch][0 if soft else 1])
        elif ch == "e":
            out.append("э" if i == 0 or prev in VOWELS else "е")
        elif ch == "ı":
            out.append("и" if prev in HUSHING or nxt == "y" else "ы")
        elif ch == "l":
            soft = prev in FRONT and (not nxt or nxt not in VOWELS and nxt != "y")
            out.append("ль" if soft else "л")
        elif ch in _RU:
            out.append(_RU[ch])
        else:
            out.append(ch)
        i += 1
    return _capitalize("".join(out), word)


def en_word(word: str) -> str:
    """One Azerbaijani word in the English "direct" style (Vüqar → Vugar, Həzi → Hazi)."""
    out = []
    for ch in word:
        low = az_lower(ch)
        mapped = _EN.get(low, "i" if low == "i" else low)
        if ch != low:  # upper case: capitalise the first letter of a digraph
            mapped = mapped[:1].upper() + mapped[1:]
        out.append(mapped)
    return "".join(out)
