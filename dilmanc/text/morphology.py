"""Azerbaijani inflection data for term matching, kept in ONE place: suffixes, softening, quotes.

A glossary term is matched with its last word inflected: the glossary form (e.g. "Təşkilatı",
"səviyyə", "əmək") followed by a chain of up to `MAX_CHAIN` inflectional suffixes drawn from
`SUFFIXES` (plural, possessive, case, copula). Derivational suffixes that make a different word
(-çı "one who", -lıq, -lı "with", -sız "without") are deliberately absent, so "alver" never
matches "Alverçilər" and "səviyyə" never matches "səviyyəli".

Patterns are written for case-insensitive matching with Python's `re`, which treats i, I, ı and
İ as one letter; vowel harmony is therefore not checked (i/ı), only the suffix shapes.
"""

from __future__ import annotations

# Vowel classes as regex character classes. V2: two-way harmony (a/ə), V4: four-way (ı/i/u/ü).
V2 = "[aə]"
V4 = "[ıiuü]"
VOWELS = "aəeıioöuü"

# Inflectional suffix shapes (regex), one row per suffix; a buffer consonant in (...)? appears
# after a vowel-final stem. Order inside the chain is not enforced; the set is what matters.
SUFFIXES: dict[str, str] = {
    "plural": f"l{V2}r",
    "possessive 3sg": f"s?{V4}",  # Plan+ı, səviyyə+si
    "possessive 1sg/2sg": f"{V4}?[mn]",
    "possessive 1pl": f"{V4}?m{V4}z",
    "possessive 2pl": f"{V4}?n{V4}z",
    "genitive": f"n?{V4}n",  # Təşkilatı+nın, əməy+in, BMqT-nin
    "dative": f"[yn]?{V2}",  # səviyyə+yə, alveri+nə, BMT-yə
    "accusative": f"[ny]?{V4}",
    "locative": f"n?[dt]{V2}",  # Planı+nda, səviyyə+də
    "ablative": f"n?[dt]{V2}n",  # siyahısı+ndan
    "instrumental": f"y?l{V2}",  # BMT-ylə, əmək+lə
    "terminative": f"[yn]?{V2}d{V2}k",  # Planı+nadək
    "relative -ki": f"k{V4}",  # Təşkilatı+ndakı
    "equative": f"c{V2}",  # BMT-cə
    "copula": f"d{V4}r",
    "past copula": f"y?d{V4}",
    "evidential copula": f"y?m{V4}ş",
    "conditional copula": f"y?s{V2}",
}
MAX_CHAIN = 4

# Consonant softening before a vowel-initial suffix: əmək → əməy+in, -lıq → -lığ+ı,
# -lik → -liy+i, bıçaq → bıçağ+ı. Both the softened and the plain stem are accepted.
SOFTENING: dict[str, str] = {"k": "y", "q": "ğ"}

# Separators that put a suffix on an acronym, a number or a quoted name: BMqT-nin, BMT'yə,
# BMqT’nin, "Plan"-ın. Hyphen look-alikes are accepted too.
SUFFIX_SEPARATORS = "-‐‑'’‘ʼ"
HYPHENS = "-‐‑–"

OPENING_QUOTES = "“„«‹‘‚"
CLOSING_QUOTES = "”“»›’‘"
STRAIGHT_QUOTES = "\"'"
QUOTES = "".join(dict.fromkeys(OPENING_QUOTES + CLOSING_QUOTES + STRAIGHT_QUOTES + "‟"))
# Closing quote for each opening quote (German „...“ and „..." are both in use).
QUOTE_PAIRS: dict[str, str] = {
    "“": "”",
    "„": '“”"',
    "«": "»",
    "‹": "›",
    "‘": "’",
    "‚": "‘’",
    '"': '"',
    "'": "'",
}

# Function words that scraped text often glues to the next word ("vəməcburi əmək" for
# "və məcburi əmək"). A term may start right after one of them at the start of a word. Only
# words that precede what they join are listed (not the enclitics da/də, isə), and not
# "həm", a productive prefix (həmkar, həmyerli). The term's first word must have at least
# GLUED_MIN_LETTERS letters: real words that are a function word plus a short word
# (vəkil = və + kil, kitab = ki + tab) must not hide a short term.
GLUED_FUNCTION_WORDS = (
    "həmçinin", "yaxud", "lakin", "ancaq", "amma", "ilə", "və", "ki", "ya", "bu",
)  # fmt: skip
GLUED_MIN_LETTERS = 5

# Letter classes used to accept a missing space between a lower-case word end and a capital
# ("Agentliyininİdarə", a frequent typo in scraped press text).
LOWER_LETTERS = "a-zəöüğışç"
UPPER_LETTERS = "A-ZƏÖÜĞIŞÇİ"


def char_class(chars: str) -> str:
    """A regex character class of `chars`, escaped."""
    return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in chars) + "]"


SUFFIX_RE = "(?:" + "|".join(SUFFIXES.values()) + ")"
QUOTE_CLASS = char_class(QUOTES)
SEPARATOR_CLASS = char_class(SUFFIX_SEPARATORS)
CLOSING_CLASS = char_class(CLOSING_QUOTES + STRAIGHT_QUOTES)


def suffix_chain(min_count: int = 0) -> str:
    """Regex for a chain of `min_count`..MAX_CHAIN inflectional suffixes."""
    return f"(?:{SUFFIX_RE}){{{min_count},{MAX_CHAIN}}}"


def is_acronym(word: str) -> bool:
    """BMqT, USAID, ABŞ: two or more capitals; suffixes on these need a separator."""
    return sum(ch.isupper() for ch in word) >= 2 and not any(ch.isspace() for ch in word)
