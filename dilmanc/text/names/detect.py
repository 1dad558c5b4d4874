"""Find people's names in Azerbaijani text, one `PersonName` per person per document.

Evidence, from strongest to weakest:
- a whole name from the user's names file;
- a given name from the bundled list (or a user row with a gender) followed by a surname
  (Vüqar Behbudov, Leyla Məmmədli), optionally with a patronymic (Vüqar Əli oğlu Behbudov),
  or in surname-first order (Behbudov Vüqar);
- a surname with a strong ending (-ov/-ova, -yev/-yeva, -zadə, -oğlu) on its own;
- a given name on its own, unless it is also an ordinary word (Dövlət "state", Araz the
  river): those need a surname, an honorific or a patronymic next to them;
- an honorific: cənab/xanım/professor... before, müəllim/xanım/bəy after, which also admits
  capitalised words that are on no list (cənab Con Smit), at most two of them.
Weak surname endings (-li/-lı/-lu/-lü, -bəyli) count only after a given name or an honorific,
so "Milli" in "Milli Məclis" is never a name. Only the last word of a name carries the case
suffix ("Vüqar Behbudovun"); suffixes come from the shared morphology table.

"Aslanova" is either the woman Aslanova or "to Aslanov": a given name's gender, an honorific,
a dative-governing next word (görə, qarşı, müraciət...) and the other mentions of the document
decide; when only weak evidence decides, the mention is marked `ambiguous` with a note.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from dilmanc.text import morphology as morph
from dilmanc.text.names import parts
from dilmanc.text.names.table import NameTable
from dilmanc.text.turkic_case import az_lower, term_key

_TOKEN = re.compile(r"[^\W\d_]+(?:[-‐‑'’ʼ][^\W\d_]+)*")
_SENTENCE_END = set(".!?…:;")
_OPENERS = set(morph.OPENING_QUOTES + morph.STRAIGHT_QUOTES + "([–—-")
_DATIVE = re.compile(r"^[-'’]?[yn]?[aə]$", re.IGNORECASE)
MAX_RUN = 5

GIVEN, PATRONYMIC, SURNAME = "given", "patronymic", "surname"


@dataclass(frozen=True, eq=False)
class PersonName:
    """One person of a document, in the nominative as written in the source."""

    key: str  # term_key of "given surname" (or of the single name); ids use it
    given: tuple[str, ...] = ()
    patronymic: tuple[str, ...] = ()  # ("Əli", "oğlu")
    surname: str = ""
    gender: str = ""  # "m", "f" or "" (unknown)
    foreign: bool = False
    notes: tuple[str, ...] = ()
    table: NameTable | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[str, ...]:
        """The full name's parts in the usual given-first order."""
        return tuple(
            role for role, words in ((GIVEN, self.given), (PATRONYMIC, self.patronymic)) if words
        ) + ((SURNAME,) if self.surname else ())

    def words(self, role: str) -> tuple[str, ...]:
        if role == SURNAME:
            return (self.surname,) if self.surname else ()
        return self.given if role == GIVEN else self.patronymic

    def az(self, shape: tuple[str, ...] | None = None) -> str:
        return " ".join(w for role in (shape or self.shape) for w in self.words(role))

    @property
    def id(self) -> str:
        return "name:" + self.key.replace(" ", "-")


@dataclass(frozen=True)
class NameMention:
    """One occurrence: `text == source[start:end]`, suffix included ("Behbudovun")."""

    start: int
    end: int
    text: str
    person: PersonName
    ambiguous: bool = False
    note: str = ""
    form: str = ""  # the mention without its case suffix ("Behbudov", "Həzi Aslanov")
    shape: tuple[str, ...] = ()  # which parts of the name, in source order
    suffix: str = ""


@dataclass(frozen=True)
class _Reading:
    role: str  # G given, S surname, M patronymic marker, X capitalised word on no list
    stem: str
    suffix: str = ""
    gender: str = ""
    lexical: bool = False
    strong: bool = True
    foreign: bool = False
    name_base: bool = False  # a -li surname built on a given name (Əhməd+li)


@dataclass
class _Token:
    start: int
    end: int
    text: str
    initial: bool
    cap: bool
    readings: list[_Reading]


@dataclass
class _Parse:
    readings: tuple[_Reading, ...]
    roles: tuple[str, ...]  # GIVEN / PATRONYMIC / SURNAME per word
    score: float = 0.0
    why: str = ""
    honour: bool = False  # an honorific stands next to it

    @property
    def given(self) -> tuple[str, ...]:
        return tuple(
            r.stem for r, role in zip(self.readings, self.roles, strict=True) if role == GIVEN
        )

    @property
    def patronymic(self) -> tuple[str, ...]:
        return tuple(
            r.stem for r, role in zip(self.readings, self.roles, strict=True) if role == PATRONYMIC
        )

    @property
    def surname(self) -> str:
        return next(
            (r.stem for r, role in zip(self.readings, self.roles, strict=True) if role == SURNAME),
            "",
        )

    @property
    def gender(self) -> str:
        own = [r.gender for r, role in zip(self.readings, self.roles, strict=True) if role == GIVEN]
        sur = [
            r.gender for r, role in zip(self.readings, self.roles, strict=True) if role == SURNAME
        ]
        marker = [r.gender for r in self.readings if r.role == "M"]
        for g in sur[:1] + marker + own[:1]:
            if g:
                return g
        return ""

    @property
    def shape(self) -> tuple[str, ...]:
        return tuple(role for role, _ in itertools.groupby(self.roles))

    @property
    def form(self) -> str:
        return " ".join(r.stem for r in self.readings)

    @property
    def identity(self) -> str:
        if self.given and self.surname:
            return term_key(f"{self.given[0]} {self.surname}")
        return term_key(self.surname or " ".join(self.given))


@dataclass
class _Cand:
    text_index: int
    start: int
    end: int
    text: str
    parses: list[_Parse]  # best first
    ambiguous: bool = False
    note: str = ""
    person: object = None

    @property
    def best(self) -> _Parse:
        return self.parses[0]


# -- tokens ----------------------------------------------------------------------------------


def _is_initial(text: str, start: int) -> bool:
    i = start - 1
    saw_newline = False
    while i >= 0 and (text[i].isspace() or text[i] in _OPENERS):
        saw_newline |= text[i] == "\n"
        i -= 1
    return i < 0 or saw_newline or text[i] in _SENTENCE_END


def _readings(word: str, table: NameTable) -> list[_Reading]:
    out: list[_Reading] = []
    if morph.is_acronym(word):
        return out
    for stem, suffix in parts.inflections(word):
        if len(stem) < 2:
            continue
        if stem[0].isupper():
            given = table.given_name(stem)
            if given:
                foreign = given.foreign or parts.looks_foreign(stem)
                out.append(_Reading("G", stem, suffix, given.gender, given.lexical, True, foreign))
            ending = parts.surname_ending(stem)
            if ending:
                foreign = ending.foreign or parts.looks_foreign(stem)
                base = table.given_name(stem[: len(stem) - len(ending.az)])
                out.append(
                    _Reading(
                        "S", stem, suffix, ending.gender, False, ending.strong, foreign, bool(base)
                    )
                )
        marker = parts.MARKERS.get(az_lower(stem))
        if marker is not None:
            out.append(_Reading("M", stem, suffix, marker))
    return out


def _tokens(text: str, table: NameTable) -> list[_Token]:
    toks = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        cap = word[0].isupper() and not morph.is_acronym(word)
        toks.append(
            _Token(
                m.start(), m.end(), word, _is_initial(text, m.start()), cap, _readings(word, table)
            )
        )
    return toks


def _connected(text: str, a: _Token, b: _Token) -> bool:
    gap = text[a.end : b.start]
    return 0 < len(gap) <= 2 and gap.isspace() and "\n" not in gap


def _honorific(word: str, table: dict[str, str]) -> str | None:
    """The gender an honorific tells ("" if none), or None if `word` is not one."""
    for stem, _suffix in parts.inflections(word):
        low = az_lower(stem)
        if low in table:
            return table[low]
    return None


# -- parsing one run of capitalised words ------------------------------------------------------

_PATTERNS = (
    (re.compile(r"G{1,2}(?:GM)?S"), "given-first"),
    (re.compile(r"SG(?:G|GM)?"), "surname-first"),
    (re.compile(r"G(?:G|GM)?"), "given"),
    (re.compile(r"S"), "surname"),
)


def _roles(letters: str, kind: str) -> tuple[str, ...]:
    roles = []
    for i, ch in enumerate(letters):
        if ch == "S":
            roles.append(SURNAME)
        elif ch == "M" or (ch == "G" and letters[i + 1 : i + 2] == "M"):
            roles.append(PATRONYMIC)
        else:
            roles.append(GIVEN)
    return tuple(roles)


def _parse(
    readings: tuple[_Reading, ...], pre: str | None, post: str | None, initial: bool
) -> _Parse | None:
    """A valid name parse of these readings given the honorifics around them, or None."""
    letters = "".join(r.role for r in readings)
    honour = pre is not None or post is not None
    xs = letters.count("X")
    if xs:
        if letters == "GXS" and readings[2].strong:
            letters = "GGS"
        elif letters == "GX" and readings[0].foreign and not readings[0].lexical:
            if len(readings[1].stem) < 3:
                return None
            letters = "GS"  # Maykl Braun: a foreign given name brings its surname along
        elif letters == "XX":
            return None  # two unknown words: only the first is taken (see _candidates)
        elif pre is not None and len(letters) <= 2:
            letters = letters[:-1].replace("X", "G") + ("S" if letters[-1] == "X" else letters[-1])
        elif post is not None and letters == "X" and not initial:
            letters = "G"
        else:
            return None
    for pattern, kind in _PATTERNS:
        if not pattern.fullmatch(letters):
            continue
        first = readings[0]
        if kind == "given-first":
            last = readings[-1]
            weak = not last.strong and not last.name_base
            if weak and first.lexical and not honour and xs == 0:
                return None
        elif kind == "given":
            if len(letters) == 1 and first.lexical and not honour and xs == 0:
                return None
            if letters == "GG" and not honour and any(r.lexical for r in readings):
                return None
        elif kind == "surname-first" and not first.strong:
            return None  # Danimarkalı Tomas is not "Tomas Danimarkalı"
        elif kind == "surname" and not (first.strong or honour or xs):
            return None
        return _Parse(readings, _roles(letters, kind), honour=honour)
    return None


def _options(tok: _Token, inner: bool, attested: frozenset[str]) -> list[_Reading]:
    found = [r for r in tok.readings if not (inner and r.suffix)]
    unknown = tok.cap and az_lower(tok.text) not in parts.TITLES
    if unknown and not any(r.role in "GS" for r in tok.readings):
        stem, suffix = tok.text, ""
        for ch in tok.text[1:]:
            if ch in morph.SUFFIX_SEPARATORS:
                stem, _, _ = tok.text.partition(ch)
                suffix = tok.text[len(stem) :]
                break
        else:  # Trampın = Tramp + ın when "Tramp" is a name elsewhere in the document
            for split_stem, split_suffix in reversed(parts.inflections(tok.text)[1:]):
                if term_key(split_stem) in attested:
                    stem, suffix = split_stem, split_suffix
                    break
        if not (inner and suffix):
            found.append(_Reading("X", stem, suffix))
    return [r for r in found if r.role != "M" or not r.stem[:1].isupper() or not inner]


def _score(parse: _Parse, pre: str | None, post: str | None, next_word: str) -> _Parse:
    """Prefer parses whose genders agree and whose case fits the next word."""
    score, why = 0.0, []
    own = next(
        (r for r, role in zip(parse.readings, parse.roles, strict=True) if role == GIVEN), None
    )
    sur = next(
        (r for r, role in zip(parse.readings, parse.roles, strict=True) if role == SURNAME), None
    )
    gender = (sur.gender if sur else "") or (own.gender if own and not sur else "")
    if own and sur and own.gender and sur.gender:
        agree = own.gender == sur.gender
        score += 4 if agree else -4
        why.append("the given name's gender")
    for hon in (pre, post):
        if hon and gender:
            score += 3 if hon == gender else -3
            why.append("the honorific")
    last = parse.readings[-1]
    if next_word in parts.DATIVE_GOVERNORS:
        score += 1 if _DATIVE.match(last.suffix) else -1
        why.append(f"the next word '{next_word}'")
    score -= 0.5 * sum(r.role == "X" for r in parse.readings)
    score += 0.1 if not last.suffix else 0.0
    parse.score, parse.why = score, " and ".join(dict.fromkeys(why))
    return parse


def _user_parse(
    toks: list[_Token], i: int, text: str, table: NameTable
) -> tuple[int, _Parse] | None:
    """A whole name from a user names file starting at token i (its last word inflected)."""
    rows = table.user_person_words.get(term_key(toks[i].text))
    if not rows:
        return None
    for row in sorted(rows, key=lambda r: -len(r.words)):
        n = len(row.words)
        span = toks[i : i + n]
        if len(span) < n or any(
            not _connected(text, a, b) for a, b in zip(span, span[1:], strict=False)
        ):
            continue
        if any(
            term_key(t.text) != term_key(w) for t, w in zip(span[:-1], row.words[:-1], strict=True)
        ):
            continue
        last = next(
            (
                (stem, suffix)
                for stem, suffix in parts.inflections(span[-1].text)
                if term_key(stem) == term_key(row.words[-1])
            ),
            None,
        )
        if last is None:
            continue
        readings = []
        for k, (tok, word) in enumerate(zip(span, row.words, strict=True)):
            stem, suffix = (word, "") if k < n - 1 else (span[-1].text[: len(last[0])], last[1])
            stem = tok.text[: len(stem)]
            known = next((r for r in tok.readings if r.stem == stem and r.role in "GS"), None)
            role = known.role if known else ("S" if k == n - 1 else "G")
            gender = known.gender if known else ""
            readings.append(_Reading(role, stem, suffix, gender, False, True, False))
        letters = "".join(r.role for r in readings)
        if not any(p.fullmatch(letters) for p, _ in _PATTERNS):
            letters = "G" * (n - 1) + "S"
        kind = "given-first" if letters.startswith("G") else "surname-first"
        return n, _Parse(tuple(readings), _roles(letters, kind), 10.0, "the names file")
    return None


def _candidates(
    text: str, index: int, table: NameTable, attested: frozenset[str] = frozenset()
) -> list[_Cand]:
    toks = _tokens(text, table)
    cands: list[_Cand] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        user = _user_parse(toks, i, text, table) if tok.cap else None
        if user:
            n, parse = user
            cands.append(_Cand(index, tok.start, toks[i + n - 1].end, "", [parse]))
            i += n
            continue
        if not tok.cap and not tok.readings:
            i += 1
            continue
        run = [i]
        while (
            len(run) < MAX_RUN
            and run[-1] + 1 < len(toks)
            and _connected(text, toks[run[-1]], toks[run[-1] + 1])
            and (toks[run[-1] + 1].cap or any(r.role == "M" for r in toks[run[-1] + 1].readings))
        ):
            run.append(run[-1] + 1)
        pre = None
        j = i - 1
        while j >= 0 and _connected(text, toks[j], toks[j + 1]):
            gender = parts.PRE_HONORIFICS.get(az_lower(toks[j].text))
            if gender is None:
                break
            pre = gender if pre is None or not pre else pre
            j -= 1
        found = None
        for length in range(len(run), 0, -1):
            span = [toks[k] for k in run[:length]]
            after = run[length - 1] + 1
            nxt = (
                toks[after]
                if after < len(toks) and _connected(text, span[-1], toks[after])
                else None
            )
            post = _honorific(nxt.text, parts.POST_HONORIFICS) if nxt and not nxt.cap else None
            next_word = az_lower(nxt.text) if nxt else ""
            options = [_options(t, k < length - 1, attested) for k, t in enumerate(span)]
            parses = []
            for combo in itertools.product(*options):
                parse = _parse(tuple(combo), pre, post, tok.initial)
                if parse is not None:
                    parses.append(_score(parse, pre, post, next_word))
            if parses:
                if len(run) > length and any(r.role == "X" for p in parses for r in p.readings):
                    for p in parses:
                        p.why = "name boundary uncertain (capitalised words follow)"
                found = (length, parses)
                break
        if found is None:
            i += 1
            continue
        length, parses = found
        parses.sort(key=lambda p: -p.score)
        end_tok = toks[run[length - 1]]
        cands.append(_Cand(index, tok.start, end_tok.end, "", _distinct(parses)))
        i = run[length - 1] + 1
    for cand in cands:
        cand.text = text[cand.start : cand.end]
    return cands


def _distinct(parses: list[_Parse]) -> list[_Parse]:
    """One parse per reading of the name (same identity and roles = same reading). A longer
    stem that still takes a suffix wins over a shorter one: "Aslanovanın" is the woman
    Aslanova's genitive, never Aslanov + dative + genitive."""
    seen: dict[tuple, _Parse] = {}
    for p in parses:
        seen.setdefault((p.identity, p.roles, p.readings[-1].suffix), p)
    kept = list(seen.values())

    def shadowed(p: _Parse) -> bool:
        last = p.readings[-1]
        return any(
            q.readings[:-1] == p.readings[:-1]
            and q.readings[-1].suffix
            and len(q.readings[-1].stem) > len(last.stem)
            and q.readings[-1].stem.startswith(last.stem)
            for q in kept
        )

    return [p for p in kept if not shadowed(p)]


# -- the document: resolve readings, merge mentions into persons ----------------------------


def _describe(p: _Parse) -> str:
    suffix = p.readings[-1].suffix
    return f"'{p.form}'" + (f" + -{suffix.lstrip(chr(39) + '’-')}" if suffix else "")


def _resolve(cands: list[_Cand]) -> None:
    """Choose a reading for candidates with several: local evidence first (given name's
    gender, honorific, the next word), then the other mentions of the document."""
    sure = [c for c in cands if len(c.parses) == 1 or c.parses[0].score - c.parses[1].score >= 3]
    known_full = {c.best.identity for c in sure if c.best.given and c.best.surname}
    known_surnames = {term_key(c.best.surname) for c in sure if c.best.surname}
    for cand in cands:
        if len(cand.parses) == 1:
            notes = [cand.best.why] if "boundary" in cand.best.why else []
            last = cand.best.readings[-1]
            splits = parts.case_splits(last.stem) if last.role == "X" else []
            if splits and not last.suffix:
                stem, suffix = splits[0]
                notes.append(
                    f"'{last.stem}' is on no list and may be inflected ({stem} + -{suffix}); "
                    "give its nominative in a names file if so"
                )
            if notes:
                cand.ambiguous, cand.note = True, "; ".join(notes)
            continue
        best, runner = cand.parses[0], cand.parses[1]
        others = " or ".join(_describe(p) for p in cand.parses[1:])
        if best.score - runner.score >= 3:
            cand.note = f"read as {_describe(best)}, not {others}, by {best.why}"
            continue
        if best.score > runner.score and best.why:
            reason = best.why
        else:
            supported = [
                p
                for p in cand.parses
                if p.identity in known_full or (p.surname and term_key(p.surname) in known_surnames)
            ]
            if len(supported) == 1:
                cand.parses.remove(supported[0])
                cand.parses.insert(0, supported[0])
                best = supported[0]
                others = " or ".join(_describe(p) for p in cand.parses[1:])
                reason = "another mention in the document"
            else:
                reason = "default (no suffix)" if not best.readings[-1].suffix else "default"
        cand.ambiguous = True
        cand.note = f"ambiguous: read as {_describe(best)}, could be {others}; chosen by {reason}"


def _persons(cands: list[_Cand], table: NameTable) -> None:
    """Merge candidates into persons; partial mentions join the one full name they fit."""
    full: dict[str, list[_Cand]] = {}
    for c in cands:
        if c.best.given and c.best.surname:
            full.setdefault(c.best.identity, []).append(c)
    by_surname: dict[str, set[str]] = {}
    by_given: dict[str, set[str]] = {}
    for key, group in full.items():
        p = group[0].best
        by_surname.setdefault(term_key(p.surname), set()).add(key)
        by_given.setdefault(term_key(p.given[0]), set()).add(key)
    groups: dict[str, list[_Cand]] = {k: list(v) for k, v in full.items()}
    for c in cands:
        p = c.best
        if p.given and p.surname:
            continue
        pool = (
            by_surname.get(term_key(p.surname)) if p.surname else by_given.get(term_key(p.given[0]))
        )
        if pool and len(pool) == 1:
            groups[next(iter(pool))].append(c)
            continue
        if not p.surname and p.readings[-1].suffix and not p.honour and not pool:
            c.person = None  # an inflected lone given name may be a word (Mübariz+ə)
            continue
        if pool:
            names = ", ".join(sorted(pool))
            extra = f"could be any of: {names}; kept apart"
            c.note = f"{c.note}; {extra}" if c.note else extra
            c.ambiguous = True
        groups.setdefault(p.identity, []).append(c)
    persons: dict[str, PersonName] = {}
    for key, group in groups.items():
        persons[key] = _person(key, group, table)
    _near_duplicates(persons)
    for key, group in groups.items():
        for c in group:
            c.person = persons[key]


def _person(key: str, group: list[_Cand], table: NameTable) -> PersonName:
    parses = [c.best for c in group]
    richest = max(
        parses, key=lambda p: (bool(p.surname) and bool(p.given), len(p.given), len(p.patronymic))
    )
    patronymic = next((p.patronymic for p in parses if p.patronymic), ())
    gender = next((p.gender for p in parses if p.gender), "")
    readings = [r for p in parses for r in p.readings]
    words = [*richest.given, *patronymic, *([richest.surname] if richest.surname else [])]
    whole = table.person(" ".join(words)) or table.person(
        " ".join([*richest.given, richest.surname]).strip()
    )
    foreign = any(r.foreign for r in readings) and not (whole and whole.user)
    notes = []
    if foreign:
        unfixed = [w for w in words if not (table.word(w) and table.word(w).targets)]
        if unfixed or not whole:
            notes.append(
                "looks like a foreign name spelled the Azerbaijani way; its rendering is "
                "mechanical: check it and fix it in a names file"
            )
    return PersonName(
        key=key,
        given=richest.given,
        patronymic=patronymic,
        surname=richest.surname,
        gender=gender,
        foreign=foreign,
        notes=tuple(notes),
        table=table,
    )


def _near_duplicates(persons: dict[str, PersonName]) -> None:
    """Two persons whose names differ by a letter or two are probably one person misspelt."""
    keys = sorted(persons)
    for a, b in itertools.combinations(keys, 2):
        if " " not in a or " " not in b:
            continue
        if difflib.SequenceMatcher(None, a, b).ratio() >= 0.88:
            for this, other in ((a, b), (b, a)):
                note = (
                    f"possibly the same person as '{persons[other].az()}'; if so, give both "
                    "spellings one rendering in a names file"
                )
                persons[this] = replace(persons[this], notes=persons[this].notes + (note,))


def find_names_in(texts: Iterable[str], table: NameTable | None = None) -> list[list[NameMention]]:
    """Names in each text of one document (segments, lines), linked across all of them."""
    table = table or NameTable.load()
    texts = list(texts)
    cands = [c for i, t in enumerate(texts) for c in _candidates(t, i, table)]
    attested = frozenset(
        term_key(r.stem) for c in cands for r in c.best.readings if r.role == "X" and not r.suffix
    )
    if attested:  # second pass: unknown names inflected elsewhere get their stem
        cands = [c for i, t in enumerate(texts) for c in _candidates(t, i, table, attested)]
    _resolve(cands)
    _persons(cands, table)
    out: list[list[NameMention]] = [[] for _ in texts]
    for c in cands:
        if c.person is None:
            continue
        best = c.best
        out[c.text_index].append(
            NameMention(
                start=c.start,
                end=c.end,
                text=c.text,
                person=c.person,
                ambiguous=c.ambiguous,
                note=c.note,
                form=best.form,
                shape=best.shape,
                suffix=best.readings[-1].suffix,
            )
        )
    return out


def find_names(text: str, table: NameTable | None = None) -> list[NameMention]:
    """Names in one Azerbaijani text (a whole document), in text order."""
    return find_names_in([text], table)[0]
