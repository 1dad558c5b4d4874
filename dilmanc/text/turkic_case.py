"""Case mapping for Azerbaijani (and Turkish): dotted İ/i and dotless I/ı.

Python's `str.lower()` maps "I" to "i" and "İ" to "i̇" (i + combining dot), both wrong for
Azerbaijani, where I↔ı and İ↔i. These helpers apply the Turkic mapping first and then the
ordinary Unicode one, so "İNSAN ALVERİ" → "insan alveri" and "BAKI" → "bakı".
"""

_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def az_lower(text: str) -> str:
    """Lower-case with Turkic dotted/dotless i rules; length is preserved. (Two `replace`
    calls: faster than a translate table on long strings, which the memory folds.)"""
    return text.replace("İ", "i").replace("I", "ı").lower()


def az_upper(text: str) -> str:
    """Upper-case with Turkic dotted/dotless i rules."""
    return text.translate(_UPPER).upper()


def az_title(word: str) -> str:
    """Upper-case the first letter Turkic-style and lower-case the rest."""
    return az_upper(word[:1]) + az_lower(word[1:]) if word else word


def term_key(term: str) -> str:
    """Comparison key for Azerbaijani terms: Turkic lower case, dots on i ignored, spaces single."""
    return " ".join(az_lower(term).replace("ı", "i").split())
