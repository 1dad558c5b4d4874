"""Glossaries created through the API (DeepL `/v2/glossaries`, and `glossary` on LibreTranslate's
`/translate`), kept on disk and matched with dilmanc's Azerbaijani-aware matcher.

The entries a client sends (DeepL's two-column TSV, or CSV with optional language columns)
are written below a header row (`az<TAB>en`) as a dilmanc glossary file and read back with
`dilmanc.glossary`'s own table reader and consistency checks, so an API glossary behaves
exactly like `-g FILE`: inflected Azerbaijani forms match, `|` separates variants. A
glossary exists once its metadata file is written (last, atomically); files without one
are leftovers of an interrupted create and are removed at start.

Each stored glossary is immutable. Creating or deleting swaps one dict entry under a lock,
so a request that picked a glossary keeps a complete one whatever happens meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dilmanc.errors import DilmancError, InputError, UsageError
from dilmanc.fileio import read_text, write_text_atomic
from dilmanc.glossary import Entry, Glossary
from dilmanc.glossary.formats import read_glossary
from dilmanc.glossary.model import term_key
from dilmanc.glossary.validate import check_entries
from dilmanc.languages import resolve

FORMATS = ("tsv", "csv")
MAX_ENTRIES_BYTES = 10 * 1024 * 1024
_LINE = re.compile(r"\bline (\d+)\b")  # a line of the stored file, in a check's message


class GlossaryNotFound(DilmancError):
    pass


class BadEntries(InputError):
    """The entries are malformed; `str()` names the entry (1-based) and the problem."""


@dataclass(frozen=True)
class GlossaryInfo:
    glossary_id: str
    name: str
    source_lang: str  # iso, lower case
    target_lang: str
    creation_time: str
    entry_count: int
    owner: str | None = None  # the API key's name that created it
    merged: tuple[str, ...] = ()  # entries that are one term for Azerbaijani matching

    def to_json(self) -> dict:
        out = {
            "glossary_id": self.glossary_id,
            "name": self.name,
            "ready": True,
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "creation_time": self.creation_time,
            "entry_count": self.entry_count,
        }
        if self.merged:  # an extension: DeepL would not merge them
            out["merged_entries"] = list(self.merged)
        return out


@dataclass(frozen=True)
class StoredGlossary:
    info: GlossaryInfo
    glossary: Glossary
    path: Path
    sha256: str = ""  # of the stored entries file: with the id, the key of its enforcer

    def entries_tsv(self) -> str:
        """The entries as DeepL returns them: `source<TAB>target` lines."""
        lang = self.info.target_lang
        return "\n".join(
            f"{' | '.join(entry.az)}\t{' | '.join(entry.accepted(lang))}" for entry in self.glossary
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class GlossaryStore:
    """Glossaries in `directory` (`<id>.tsv|csv` + `<id>.json`)."""

    def __init__(self, directory: Path, source: str, targets: list[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.targets = targets
        self._lock = threading.Lock()
        self._items: dict[str, StoredGlossary] = {}
        self._load_all()

    def _load_all(self) -> None:
        metas = {path.stem for path in self.directory.glob("*.json")}
        for path in self.directory.iterdir():
            if path.suffix in (".tsv", ".csv", ".part") and path.stem not in metas:
                with contextlib.suppress(OSError):
                    path.unlink()  # an interrupted create
        for stem in sorted(metas):
            meta = self.directory / f"{stem}.json"
            try:
                data = json.loads(read_text(meta))
                path = self.directory / f"{stem}.{data.pop('format', 'tsv')}"
                info = GlossaryInfo(**{**data, "merged": tuple(data.get("merged", ()))})
                glossary, _ = self._parse(path)
            except (OSError, ValueError, TypeError, DilmancError):
                continue  # a damaged glossary is skipped; the others are served
            self._items[info.glossary_id] = StoredGlossary(info, glossary, path, _sha256(path))

    # --- reading ---------------------------------------------------------------------------
    def get(self, glossary_id: str, owner: str | None = None) -> StoredGlossary:
        item = self._items.get(glossary_id)
        if item is None or (owner is not None and item.info.owner != owner):
            raise GlossaryNotFound(f"glossary {glossary_id!r} not found")
        return item

    def list(self, owner: str | None = None) -> list[StoredGlossary]:
        items = list(self._items.values())
        return [i for i in items if owner is None or i.info.owner == owner]

    # --- writing ---------------------------------------------------------------------------
    def _parse(self, path: Path) -> tuple[Glossary, tuple[str, ...]]:
        """The glossary in `path`, and which entries it merged (see `merged_entries`)."""
        try:
            entries, problems = read_glossary(path)
        except InputError as err:
            raise BadEntries(_entry_message(str(err), path)) from None
        problems = [p for p in problems + check_entries(entries) if p.severity == "error"]
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            message = _LINE.sub(lambda m: f"entry {int(m.group(1)) - 1}", first.message)
            raise BadEntries(f"entry {first.line - 1}: {message}{more}")
        if not entries:
            raise BadEntries("no glossary entries")
        glossary = Glossary(entries)
        glossary.matcher  # noqa: B018 - compile the matcher now, not in a request
        return glossary, merged_entries(entries, glossary)

    def create(
        self,
        name: str,
        source_lang: str,
        target_lang: str,
        entries: str,
        entries_format: str = "tsv",
        owner: str | None = None,
    ) -> StoredGlossary:
        if not name or not name.strip():
            raise UsageError("glossary name must not be empty")
        source = resolve(source_lang).iso
        target = resolve(target_lang).iso
        if source != self.source or target not in self.targets:
            have = ", ".join(f"{self.source}>{t}" for t in self.targets)
            raise UsageError(
                f"unsupported glossary language pair {source_lang}>{target_lang} (have: {have})"
            )
        entries_format = (entries_format or "tsv").lower()
        if entries_format not in FORMATS:
            raise UsageError(f"unsupported entries_format {entries_format!r} (use tsv or csv)")
        if not entries or not entries.strip():
            raise BadEntries("no glossary entries")
        if len(entries.encode("utf-8")) > MAX_ENTRIES_BYTES:
            raise BadEntries(f"glossary entries exceed {MAX_ENTRIES_BYTES // (1024 * 1024)} MB")
        if "\0" in entries:
            raise BadEntries("glossary entries contain a NUL character")
        glossary_id = str(uuid.uuid4())
        if entries_format == "tsv":
            header = f"az\t{target}"
        else:  # DeepL's CSV: source,target[,source_lang,target_lang]
            header = f"az,{target},source_lang,target_lang"
        path = self.directory / f"{glossary_id}.{entries_format}"
        write_text_atomic(path, header + "\n" + entries.lstrip("\ufeff"))
        try:
            glossary, merged = self._parse(path)
            _require_targets(glossary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        info = GlossaryInfo(
            glossary_id, name.strip(), source, target, _now(), len(glossary), owner, merged
        )
        meta = {**info.__dict__, "format": entries_format}
        write_text_atomic(self.directory / f"{glossary_id}.json", json.dumps(meta) + "\n")
        item = StoredGlossary(info, glossary, path, _sha256(path))
        with self._lock:
            self._items[glossary_id] = item
        return item

    def delete(self, glossary_id: str, owner: str | None = None) -> None:
        with self._lock:
            item = self.get(glossary_id, owner)
            del self._items[glossary_id]
        for path in (self.directory / f"{glossary_id}.json", item.path):  # metadata first
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def merged_entries(entries: list[Entry], glossary: Glossary) -> tuple[str, ...]:
    """One line per entry the glossary dropped because a later one has a term that is the
    same for Azerbaijani matching (`qfığc` / `qfiğc`, case), naming both (1-based entries)."""
    kept = {id(entry) for entry in glossary}
    out = []
    for index, entry in enumerate(entries):
        if id(entry) in kept:
            continue
        keys = {term_key(term) for term in entry.az}
        later = next(e for e in entries[index + 1 :] if keys & {term_key(t) for t in e.az})
        out.append(
            f"entry {entry.line - 1} ({entry.term!r}) and entry {later.line - 1} "
            f"({later.term!r}) are one term for Azerbaijani matching; "
            f"entry {later.line - 1} is used"
        )
    return tuple(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Enforcers:
    """One term enforcer per API glossary (keyed by its id and content hash), built on first
    use over the service's own glossary and reused by every later request: building one over
    a large glossary (merging, compiling its matcher) takes seconds. The `size` most recently
    used are kept."""

    def __init__(self, build: Callable[[Glossary], object], size: int = 16) -> None:
        self.build = build
        self.size = size
        self._lock = threading.Lock()
        self._slots: OrderedDict[tuple[str, str], _Slot] = OrderedDict()

    def get(self, item: StoredGlossary):
        key = (item.info.glossary_id, item.sha256)
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
                while len(self._slots) > self.size:
                    self._slots.popitem(last=False)
            self._slots.move_to_end(key)
        with slot.lock:  # one build per glossary; other glossaries are not held up
            if slot.value is None:
                slot.value = self.build(item.glossary)
            return slot.value


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    value: object = None


def _require_targets(glossary: Glossary, target: str) -> None:
    """Every API entry has a target term, as DeepL requires (a dilmanc glossary file may
    leave a language out; an API glossary has only the one)."""
    for number, entry in enumerate(glossary, 1):
        if not entry.targets.get(target):
            raise BadEntries(
                f"entry {entry.line - 1 if entry.line else number}: empty {target} (target) term"
            )


def _entry_message(message: str, path: Path) -> str:
    """A reader's message about the stored file, in the client's terms (entry numbers)."""
    prefix = f"{path}: line "
    if message.startswith(prefix):
        number, _, rest = message[len(prefix) :].partition(": ")
        if number.isdigit():
            return f"entry {int(number) - 1}: {rest}"
    return message.replace(f"{path}: ", "").replace(str(path), "entries")
