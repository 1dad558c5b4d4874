"""Gettext PO/POT: msgid → msgstr for ONE target language, read and written with
translate-toolkit's pure-Python PO store (it keeps every unit it is not asked to change byte for
byte: comments, `#:` references, `#.` notes, `#,` flags, `#|` previous msgids, msgctxt, line
wrapping, obsolete `#~` entries and line endings).

Units: one per message (the header and obsolete messages are never yielded), id = the message's
position in the file; `notes` carry its context, comments, references and flags. The
placeholders of `text.placeholders` (printf, brace fields, `${…}`, `{{…}}`, ICU arguments and
`#`, character references), reStructuredText references, roles, literals and substitutions
(Sphinx catalogues) and line breaks/tabs are standalone tags; HTML tags are pairs when
opened and closed in the message, else standalone. The message's flags choose the rules: a
printf flag (`c-format`, `python-format`, ...) takes every printf conversion, a brace flag
(`python-brace-format`, `csharp-format`, ...) every brace field, a message without any format
flag both (as `msgfmt` cannot say otherwise); a message flagged only `no-…-format` is read
with the prose rules ("20%-dən" stays text). An ICU plural/select keeps its skeleton as text:
the pipeline translates each sub-message on its own and never sends the skeleton.

A message that already has a msgstr is yielded with that target: state REVIEWED, or MACHINE
when it is fuzzy; whether it is kept is the pipeline's decision (--overwrite). The writer writes
what it receives; targets of origin MACHINE or CACHE add the `fuzzy` flag (memory hits are not
flagged: see `FUZZY_ORIGINS`), nor are targets quality estimation flagged (review or bad),
whatever their origin: those also get a translator comment `# dilmanc QE: <verdict>: <reasons>`
(replaced on every write, removed when the new target is ok; never read back as a note). A
message whose translations all came back KEPT is not touched.

Plurals: a message with msgid_plural yields "<n>" (msgid, for the singular form),
"<n>#plural" (msgid_plural), and — when a count placeholder (`%d`, `%(n)d`, `{count}`…) is
found — "<n>#2" and "<n>#5": msgid_plural with the count replaced by a real number, so a model
produces the right Russian case ("2 файла", "5 файлов"); the number is put back as the
placeholder when it comes back exactly once, else that form falls back to the "#plural"
translation. Each msgstr[k] of the target language is filled from the unit whose number the
language's plural rule maps to k (rule from the file's Plural-Forms, else a built-in table).

Header: only `Language` (when missing or empty) and `Plural-Forms` (when missing or the POT
placeholder "nplurals=INTEGER") are filled in; nothing else changes. A file whose Language
header names another language is refused (`check_target`).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, ClassVar

from translate.misc.multistring import multistring
from translate.storage import pypo
from translate.storage.poparser import PoParseError

from dilmanc.documents.base import Document, InlineCode, Origin, Translated, Unit, UnitState
from dilmanc.documents.repair import complete
from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_bytes
from dilmanc.languages import Language
from dilmanc.text.placeholders import CODE, Rules, find
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

FUZZY_ORIGINS = frozenset({Origin.MACHINE, Origin.CACHE})
QE_COMMENT = "dilmanc QE:"  # the translator comment quality estimation writes
SAMPLE_NUMBERS = (2, 5)  # enough for one/few/many (Slavic) and one/other languages

_SLAVIC = (
    3,
    "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
)
PLURAL_RULES: dict[str, tuple[int, str]] = {
    "ru": _SLAVIC,
    "uk": _SLAVIC,
    "be": _SLAVIC,
    "fr": (2, "(n > 1)"),
    "fa": (2, "(n > 1)"),
    "tr": (2, "(n != 1)"),
    "ka": (2, "(n != 1)"),
    "hy": (2, "(n != 1)"),
    "ar": (
        6,
        "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)",
    ),
}
DEFAULT_RULE = (2, "(n != 1)")

_COUNT_PRINTF = re.compile(r"%(?:\d+\$|\([^()\s]+\))?[-+#0]*\d*(?:hh|h|ll|l|L|q|j|z|t)?[diu]$")
PRINTF_FLAGS = frozenset(
    f"{name}-format"
    for name in (
        "c", "objc", "python", "php", "perl", "perl-brace", "sh", "java-printf", "javascript",
        "boost", "gcc-internal", "gfc-internal", "qt", "kde", "lua", "awk", "object-pascal",
        "tcl", "ycp", "librep", "scheme", "lisp", "elisp", "smalltalk", "c++",
    )
)  # fmt: skip
BRACE_FLAGS = frozenset(
    f"{name}-format" for name in ("python-brace", "csharp", "java", "rust", "go", "perl-brace")
)
_COUNT_NAMES = {"count", "n", "num", "number", "total", "amount", "quantity", "0"}
_HTML = re.compile(r"<(/?)([A-Za-z][\w:-]*)(?:\s[^<>]*)?(/?)>")
# reStructuredText inline markup a translation must keep as it is (Sphinx catalogues): a
# hyperlink reference `name`_ / `text <url>`__ (its text is the target's name), a role
# :ref:`label`, an inline literal ``code``, a substitution |name| and a footnote reference [#]_.
_REST = re.compile(
    r"`[^`\n]+`__?(?![\w`])|(?<![\w`]):[\w.+-]+(?::[\w.+-]+)?:`[^`\n]+`"
    r"|``[^`\n]+``|(?<![\w|])\|[\w][\w .-]*(?<! )\|(?![\w|])|\[(?:#[\w-]*|\*|\d+)\]_"
)
_BREAKS = {"\n": "newline", "\t": "tab"}
_HEADER_LINE = re.compile(r"^([\w-]+):[ \t]*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class _Message:
    index: int  # position in the store's units
    line: int  # line of its msgid
    plural: bool
    count_code: str | None  # the count placeholder of msgid_plural, when found


def rules_for(flags: list[str]) -> Rules:
    """The placeholder rules a message's flags call for (see the module docstring)."""
    formats = {flag for flag in flags if flag.endswith("-format")}
    wanted = {flag for flag in formats if not flag.startswith("no-")}
    if not formats:
        return CODE
    return Rules(
        "strict" if wanted & PRINTF_FLAGS else "bounded",
        "strict" if wanted & BRACE_FLAGS else "bounded",
    )


def protect(text: str, rules: Rules = CODE) -> tuple[list[str | Tag], dict[int, InlineCode]]:
    """Placeholders, line breaks and HTML tags of a msgid as tags (see the module docstring)."""
    found = [(s.start, s.end, s.kind) for s in find(text, rules)]
    found += [(m.start(), m.end(), "html") for m in _HTML.finditer(text)]
    found += [(m.start(), m.end(), "rest") for m in _REST.finditer(text)]
    found += [(m.start(), m.end(), _BREAKS[m.group()]) for m in re.finditer("[\n\t]", text)]
    spans: list[tuple[int, int, str]] = []  # (start, end, name), not overlapping
    for span in sorted(found):
        if not spans or span[0] >= spans[-1][1]:
            spans.append(span)
    partner = _html_pairs(text, spans)
    parts: list[str | Tag] = []
    codes: dict[int, InlineCode] = {}
    ids: dict[int, int] = {}
    last = 0
    for index, (start, end, name) in enumerate(spans):
        if start > last:
            parts.append(text[last:start])
        markup = text[start:end]
        if index in partner and partner[index] > index:
            tag_id = len(codes) + 1
            ids[index] = ids[partner[index]] = tag_id
            close = spans[partner[index]]
            codes[tag_id] = InlineCode(tag_id, "pair", "html", (markup, text[close[0] : close[1]]))
            parts.append(Tag(tag_id, OPEN))
        elif index in partner:
            parts.append(Tag(ids[index], CLOSE))
        else:
            tag_id = len(codes) + 1
            codes[tag_id] = InlineCode(tag_id, "standalone", name, markup)
            parts.append(Tag(tag_id, EMPTY))
        last = end
    if last < len(text) or not parts:
        parts.append(text[last:])
    return parts, codes


def _html_pairs(text: str, spans: list[tuple[int, int, str]]) -> dict[int, int]:
    partner: dict[int, int] = {}
    stack: list[tuple[int, str]] = []
    for index, (start, _end, name) in enumerate(spans):
        if name != "html":
            continue
        m = _HTML.match(text, start)
        closing, tag, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if selfclosing or tag in ("br", "hr", "img", "input", "wbr"):
            continue
        if not closing:
            stack.append((index, tag))
        elif stack and stack[-1][1] == tag:
            opening = stack.pop()[0]
            partner[opening] = index
            partner[index] = opening
    return partner


def render(target: TaggedText, codes: dict[int, InlineCode]) -> str:
    out: list[str] = []
    for part in target.parts():
        if isinstance(part, str):
            out.append(part)
        elif part.kind == EMPTY:
            out.append(codes[part.id].data)
        else:
            out.append(codes[part.id].data[0 if part.kind == OPEN else 1])
    return "".join(out)


def _count_code(codes: dict[int, InlineCode]) -> int | None:
    """The id of the placeholder that stands for the number in a plural message."""
    for code in codes.values():
        if code.name == "printf" and _COUNT_PRINTF.match(code.data):
            return code.id
    for code in codes.values():
        if code.name == "brace":
            field = re.split(r"[!:}]", code.data[1:], maxsplit=1)[0].strip()
            if field in _COUNT_NAMES:
                return code.id
    return None


def _with_number(
    parts: list[str | Tag], codes: dict[int, InlineCode], count: int, number: int
) -> tuple[TaggedText, dict[int, InlineCode]]:
    """`parts` with the count placeholder written as `number`, the other tags renumbered."""
    mapping: dict[int, int] = {}
    new_parts: list[str | Tag] = []
    new_codes: dict[int, InlineCode] = {}
    for part in parts:
        if isinstance(part, str):
            new_parts.append(part)
        elif part.id == count:
            new_parts.append(str(number))
        else:
            if part.id not in mapping:
                mapping[part.id] = len(mapping) + 1
                old = codes[part.id]
                new_codes[mapping[part.id]] = InlineCode(
                    mapping[part.id], old.kind, old.name, old.data
                )
            new_parts.append(Tag(mapping[part.id], part.kind))
    return TaggedText.from_parts(new_parts), new_codes


def _flags(po: pypo.pounit) -> list[str]:
    """The `#,` flags of a message."""
    return [
        flag.strip()
        for comment in po.typecomments
        for flag in comment.lstrip("#,").split(",")
        if flag.strip()
    ]


def _has_words(tagged: TaggedText) -> bool:
    return any(char.isalpha() for char in tagged.text)


def _same_language(a: str, b: str) -> bool:
    return re.split(r"[-_@.]", a.strip().lower())[0] == re.split(r"[-_@.]", b.lower())[0]


class PoDocument(Document):
    format = "po"
    extensions = (".po", ".pot")
    binary = True  # written in the file's own charset, as translate-toolkit serializes it
    carries_qe = True  # flagged messages get a "# dilmanc QE:" translator comment
    #: a PO file holds one target language: the CLI refuses several `--to` languages
    single_target: ClassVar[bool] = True

    def __init__(self, path: Path | None, label: str, data: bytes) -> None:
        super().__init__(path, label)
        self.data = data
        store = self._parse()
        self.header = store.parseheader() if store.header() else {}
        self._messages: dict[str, _Message] = {}
        self._units: list[Unit] = []
        self._read(store)

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return bool(re.search(rb'^msgid\s+"', head, re.MULTILINE)) and b"msgstr" in head

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> PoDocument:
        """Read a PO/POT file (its charset comes from its header; `encoding` is not used)."""
        data = read_bytes(path)
        if not data.strip():
            raise InputError(f"{path} is empty (nothing but whitespace)")
        return cls(path, str(path), data)

    def _parse(self) -> pypo.pofile:
        try:
            store = pypo.pofile(self.data)
        except PoParseError as err:
            raise InputError(f"{self.label}: malformed PO file: {err}") from None
        except UnicodeError as err:
            raise InputError(f"{self.label}: not valid in its declared charset ({err})") from None
        except (ValueError, LookupError) as err:
            raise InputError(f"{self.label}: malformed PO file: {err}") from None
        return store

    @property
    def size(self) -> int:
        return len(self._units)

    # --- reading ---------------------------------------------------------------------------
    def _read(self, store: pypo.pofile) -> None:
        lines = self.data.splitlines()
        seen: dict[tuple[str, str], int] = {}
        for index, po in enumerate(store.units):
            if po.isheader() or po.isobsolete() or po.isblank():
                continue
            line = po._line_number
            while line <= len(lines) and not lines[line - 1].lstrip().startswith(b"msgid"):
                line += 1
            context = po.getcontext() or ""
            sources = list(po.source.strings) if po.hasplural() else [str(po.source)]
            key = (context, sources[0])
            if key in seen:
                raise InputError(
                    f"{self.label}: line {line}: duplicate message (same msgctxt and msgid as "
                    f"line {seen[key]})"
                )
            seen[key] = line
            where = f"msgid line {line}" if not context else f"msgctxt {context!r}, line {line}"
            notes = self._notes(po, context)
            rules = rules_for(_flags(po))
            targets = self._existing(po)
            state = UnitState.NEW
            if any(targets):
                state = UnitState.MACHINE if po.isfuzzy() else UnitState.REVIEWED
            singular_parts, singular_codes = protect(sources[0], rules)
            units = [(str(index), singular_parts, singular_codes, targets[0], where)]
            count_code = None
            if po.hasplural():
                plural_text = sources[1] if len(sources) > 1 else sources[0]
                parts, codes = protect(plural_text, rules)
                plural_target = targets[1] if len(targets) > 1 else targets[0]
                units.append((f"{index}#plural", parts, codes, plural_target, f"{where} (plural)"))
                count = _count_code(codes)
                if count is not None:
                    count_code = codes[count].data
                    for number in SAMPLE_NUMBERS:
                        form = self._form_for(number, len(targets))
                        units.append(
                            (
                                f"{index}#{number}",
                                _with_number(parts, codes, count, number),
                                None,
                                targets[form] if form < len(targets) else "",
                                f"{where} (plural, n={number})",
                            )
                        )
            for unit_id, parts, codes, existing, location in units:
                if codes is None:
                    source, codes = parts
                else:
                    source = TaggedText.from_parts(parts)
                if not _has_words(source):
                    continue
                unit = Unit(unit_id, source, codes, location=location, notes=notes)
                if existing:
                    target_parts, unit.target_codes = protect(existing, rules)
                    unit.target = TaggedText.from_parts(target_parts)
                    unit.state = state
                    # a memory takes the singular form of a non-fuzzy message
                    unit.approved = state == UnitState.REVIEWED and unit_id == str(index)
                if self._units:
                    unit.prev = self._units[-1].source.text
                    self._units[-1].next = source.text
                self._units.append(unit)
            self._messages[str(index)] = _Message(index, line, po.hasplural(), count_code)

    @staticmethod
    def _notes(po: pypo.pounit, context: str) -> tuple[str, ...]:
        notes: list[str] = []
        if context:
            notes.append(f"context: {context}")
        for origin, label in (("developer", "note"), ("translator", "comment")):
            text = po.getnotes(origin)
            if origin == "translator":
                text = "\n".join(
                    line for line in text.splitlines() if not line.startswith(QE_COMMENT)
                )
            if text:
                notes.append(f"{label}: {text}")
        if po.getlocations():
            notes.append("references: " + " ".join(po.getlocations()))
        flags = [flag for flag in _flags(po) if flag != "fuzzy"]
        if flags:
            notes.append("flags: " + ", ".join(flags))
        return tuple(notes)

    @staticmethod
    def _existing(po: pypo.pounit) -> list[str]:
        target = po.target
        if po.hasplural():
            strings = list(target.strings) if isinstance(target, multistring) else [str(target)]
            return [str(s) for s in strings]
        return [str(target or "")]

    def _rule(self, lang: Language | None = None) -> tuple[int, object]:
        """(nplurals, plural function): the file's Plural-Forms, else the language's."""
        declared = self.header.get("Plural-Forms", "")
        m = re.search(r"nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+);?", declared)
        if m:
            try:
                return int(m.group(1)), gettext.c2py(m.group(2).strip())
            except (ValueError, SyntaxError, RecursionError):
                pass
        nplurals, expression = PLURAL_RULES.get(lang.iso if lang else "", DEFAULT_RULE)
        return nplurals, gettext.c2py(expression)

    def _form_for(self, number: int, nforms: int) -> int:
        """The msgstr index an existing translation uses for `number` (reading only)."""
        if not self.header.get("Plural-Forms"):
            return 1 if nforms > 1 else 0
        form = self._rule()[1](number)
        return form if form < nforms else nforms - 1

    def units(self) -> Iterator[Unit]:
        yield from self._units

    def languages(self) -> tuple[str | None, str | None]:
        """`X-Source-Language` and `Language` from the header."""
        source = self.header.get("X-Source-Language", "").strip()
        target = self.header.get("Language", "").strip()
        return source or None, target or None

    # --- writing ---------------------------------------------------------------------------
    def check_target(self, lang: Language) -> None:
        """UsageError when the file declares a different Language than `lang`."""
        declared = self.header.get("Language", "").strip()
        if declared and not _same_language(declared, lang.iso):
            raise UsageError(
                f"{self.label} is a PO file for language {declared!r} (its Language header), "
                f"not {lang.iso}; translate its template (.pot) or a file for {lang.iso}"
            )

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        self.check_target(lang)
        store = self._parse()  # fresh per language: nothing leaks between writes
        by_id = {unit.id: unit for unit in self._units}
        changed = False
        for key, message in self._messages.items():
            mine = {
                uid: translations[uid]
                for uid in (key, f"{key}#plural", *(f"{key}#{n}" for n in SAMPLE_NUMBERS))
                if uid in translations
            }
            if not mine or all(item.origin == Origin.KEPT for item in mine.values()):
                continue
            po = store.units[message.index]
            texts = {uid: self._text(item, by_id[uid]) for uid, item in mine.items()}
            if message.plural:
                po.target = multistring(self._forms(key, message, texts, lang, po))
            elif key in texts:
                po.target = texts[key]
            else:
                continue
            flagged = _qe_comment(po, list(mine.values()))
            po.markfuzzy(flagged or any(item.origin in FUZZY_ORIGINS for item in mine.values()))
            changed = True
        if changed:
            self._fill_header(store, lang)
        handle.write(bytes(store))

    @staticmethod
    def _text(item: Translated, unit: Unit) -> str:
        return render(complete(item.target, unit.codes, unit.source), unit.codes)

    def _forms(
        self,
        key: str,
        message: _Message,
        texts: dict[str, str],
        lang: Language,
        po: pypo.pounit,
    ) -> list[str]:
        nplurals, rule = self._rule(lang)
        existing = self._existing(po)
        plural = texts.get(f"{key}#plural") or (existing[1] if len(existing) > 1 else "")
        forms: list[str] = []
        for form in range(nplurals):
            numbers = [n for n in range(0, 200) if rule(n) == form]
            text = ""
            if 1 in numbers:
                text = texts.get(key, "")
            else:
                for number in SAMPLE_NUMBERS:
                    if number in numbers and f"{key}#{number}" in texts:
                        text = _number_back(texts[f"{key}#{number}"], number, message.count_code)
                        break
            if not text:
                text = plural or texts.get(key, "")
            if not text and form < len(existing):
                text = existing[form]
            forms.append(text)
        return forms

    def _fill_header(self, store: pypo.pofile, lang: Language) -> None:
        header = store.header()
        if header is None:
            return
        text = str(header.target or "")
        fields = dict(_HEADER_LINE.findall(text))
        if not fields.get("Language", "").strip():
            text = _set_field(text, "Language", lang.iso)
        if not re.search(r"nplurals\s*=\s*\d", fields.get("Plural-Forms", "")):
            nplurals, expression = PLURAL_RULES.get(lang.iso, DEFAULT_RULE)
            text = _set_field(text, "Plural-Forms", f"nplurals={nplurals}; plural={expression};")
        if text != str(header.target or ""):
            header.target = text


def _set_field(header: str, name: str, value: str) -> str:
    """`name: value` in a PO header: the existing line replaced in place, else appended."""
    pattern = re.compile(rf"^{re.escape(name)}:[^\n]*$", re.MULTILINE)
    if pattern.search(header):
        return pattern.sub(lambda _: f"{name}: {value}", header, count=1)
    if header and not header.endswith("\n"):
        header += "\n"
    return header + f"{name}: {value}\n"


def _number_back(text: str, number: int, placeholder: str | None) -> str:
    """The count placeholder back in place of `number`; "" when it is not there exactly once."""
    if placeholder is None:
        return ""
    found = list(re.finditer(rf"(?<![\d.,]){number}(?![\d.,]?\d)", text))
    if len(found) != 1:
        return ""
    m = found[0]
    return text[: m.start()] + placeholder + text[m.end() :]


def _qe_comment(po: pypo.pounit, items: list[Translated]) -> bool:
    """Replace the message's QE translator comment by one for `items` (the worst verdict and
    every reason); whether QE flagged any of them."""
    po.othercomments = [
        line for line in po.othercomments if not line.lstrip("# ").startswith(QE_COMMENT)
    ]
    flagged = [item.qe for item in items if item.needs_review]
    if not flagged:
        return False
    verdict = "bad" if any(qe.verdict == "bad" for qe in flagged) else "review"
    detail = "; ".join(qe.describe() for qe in flagged)
    po.othercomments.append(f"# {QE_COMMENT} {verdict}: {' '.join(detail.split())}\n")
    return True
