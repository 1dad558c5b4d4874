"""The document model: a format reads a file into units, the pipeline fills their targets,
the format writes the file back with everything that was not translated kept as it was.

In the spirit of translate-toolkit's Store/Unit. A `Unit` is one translatable stretch (a
line, a paragraph, a table cell, a PO message, an XLIFF trans-unit, a subtitle cue's text):
its source is a `TaggedText` whose inline markup (bold runs, links, `<b>`, `%s`, XLIFF codes)
has been replaced by numbered tags, the original markup of each tag being kept aside in
`codes` so the writer puts it back byte for byte. Context travels with the unit (location,
notes, neighbouring sources for translation-memory context matches), and so do an existing
target and its state.

A format module subclasses `Document`: `load` parses and validates the whole input (any
problem is one InputError naming the file and, where there is one, the line), `units`
yields the units in document order, and `write` serializes one target language given the
translations. `writer(lang)` returns a `UnitWriter` that receives translated units chunk by
chunk; the default collects them and calls `write` once at the end (formats that stream,
like plain text, write as they go).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar

from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText, TagOutcome

if TYPE_CHECKING:
    from dilmanc.qe import Assessment


class UnitState(enum.StrEnum):
    NEW = "new"  # no target yet
    MACHINE = "machine"  # translated by a model (or a machine cache hit)
    MEMORY = "memory"  # filled from the translation memory
    REVIEWED = "reviewed"  # approved by a person (kept unless --overwrite)


class Origin(enum.StrEnum):
    """Where a unit's target came from in this run."""

    MACHINE = "machine"
    CACHE = "cache"
    TM_CONTEXT = "tm-context"
    TM_EXACT = "tm-exact"
    KEPT = "kept"  # an existing target, or a unit that is not translated


@dataclass(frozen=True)
class InlineCode:
    """Markup behind one tag id: a pair (opening + closing) or a standalone code."""

    id: int
    kind: str  # "pair" | "standalone"
    name: str  # what it is, for people and reports: "b", "a", "bold", "ph", "printf"
    data: object = None  # format-private: the original markup, written back as it was


@dataclass(frozen=True)
class Record:
    """What a translation-memory file (TMX, TSV) says about one of its pairs beyond the text:
    the pair's languages (as stored, see `languages.stored_language`) and the unit's own
    metadata, kept as the memory stores it. Documents to translate carry none."""

    src_lang: str
    tgt_lang: str
    tuid: str | None = None
    created: str | None = None
    creation_id: str | None = None
    changed: str | None = None
    change_id: str | None = None
    datatype: str | None = None  # how to read the native codes ("html", "rtf", ...)
    props: tuple[tuple[str, str], ...] = ()  # (type, value) in order; a type may repeat
    origin: str | None = None  # the file the pair first came from, when the file says


@dataclass
class Unit:
    id: str
    source: TaggedText
    codes: dict[int, InlineCode] = field(default_factory=dict)
    location: str = ""  # "paragraph 3", "table 2, row 1, cell 2", an XPath, "cue 14"
    notes: tuple[str, ...] = ()
    prev: str | None = None  # plain source of the previous unit (memory context)
    next: str | None = None
    target: TaggedText | None = None  # an existing translation in the file
    state: UnitState = UnitState.NEW
    target_codes: dict[int, InlineCode] = field(default_factory=dict)  # the target's own codes
    approved: bool = False  # the file marks the target signed off: what a memory imports
    translate: bool = True  # False: carried through unchanged (code blocks, notranslate)
    extra: object = None  # format-private data (a line ending, a node handle, ...)
    record: Record | None = None  # a memory file's languages and metadata of the pair


@dataclass(frozen=True)
class Translated:
    """One unit with its target in one language, and its quality estimate (the worst of
    its sentences'; None when QE is off or nothing in the unit was translated)."""

    unit: Unit
    target: TaggedText
    origin: Origin
    tags: TagOutcome = TagOutcome()
    warnings: tuple[str, ...] = ()
    qe: Assessment | None = None

    @property
    def needs_review(self) -> bool:
        """Whether quality estimation flagged the target (review or bad)."""
        return self.qe is not None and self.qe.needs_review


class UnitWriter:
    """Receives translated units in document order; `finish` completes the output."""

    def __init__(self, document: Document, lang: Language, handle: IO) -> None:
        self.document = document
        self.lang = lang
        self.handle = handle
        self.translations: dict[str, Translated] = {}

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            self.translations[item.unit.id] = item

    def finish(self) -> None:
        self.document.write(self.handle, self.lang, self.translations)


class Document(abc.ABC):
    """A loaded input file of one format (see the module docstring)."""

    #: registry name (`--format`)
    format: ClassVar[str] = ""
    #: file name endings, lower case, with the dot
    extensions: ClassVar[tuple[str, ...]] = ()
    #: whether outputs are bytes (DOCX) rather than text
    binary: ClassVar[bool] = False
    #: whether outputs record quality estimation (XLIFF states, PO comments): a run that
    #: writes one needs QE even when nothing else reads its verdicts
    carries_qe: ClassVar[bool] = False
    #: keyword options `load` takes beside `encoding` (a spreadsheet's "sheet_names")
    options: ClassVar[tuple[str, ...]] = ()
    #: the codec a text output file is written in: formats that keep their input's encoding
    #: (a UTF-16 subtitle file gives a UTF-16 translation) set it when they load a file
    encoding: str = "utf-8"

    def __init__(self, path: Path | None, label: str) -> None:
        self.path = path
        self.label = label  # for messages: the file name, or "standard input"
        self.warnings: list[str] = []  # what the last `write` could not do as asked

    def check_target(self, lang: Language) -> None:  # noqa: B027 - optional hook
        """UsageError when this file cannot hold `lang` (a bilingual file made for another
        language); called before anything is translated."""

    def languages(self) -> tuple[str | None, str | None]:
        """The (source, target) language codes the file declares, as written (a bilingual
        file's header or attributes); None for each it does not name."""
        return None, None

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        """Whether the first bytes of a file look like this format (for unknown extensions)."""
        return False

    @classmethod
    @abc.abstractmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> Document:
        """Parse and check `path` completely; InputError (one line) when it is unusable."""

    @abc.abstractmethod
    def units(self) -> Iterator[Unit]:
        """The units, in document order."""

    @abc.abstractmethod
    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        """Serialize the document in `lang`: every unit in `translations` gets its target,
        everything else is written back as it was read."""

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return UnitWriter(self, lang, handle)

    @property
    def size(self) -> int:
        """Units to translate, for progress bars (0 when unknown)."""
        return 0


class WrittenByWriter:
    """For formats whose `writer` applies chunks as they arrive: `write` is one chunk."""

    def write(self, handle: IO, lang: Language, translations: dict[str, Translated]) -> None:
        writer = self.writer(lang, handle)
        writer.add(list(translations.values()))
        writer.finish()


def linked(units: Iterable[Unit]) -> Iterator[Unit]:
    """`units` in order, each with `prev`/`next` set to its neighbours' source text (a unit
    is yielded once the next one is known, so documents still stream)."""
    previous: Unit | None = None
    for unit in units:
        if previous is not None:
            unit.prev = previous.source.text
            previous.next = unit.source.text
            yield previous
        previous = unit
    if previous is not None:
        yield previous
