"""Term accuracy of a run per glossary entry and per segment, with the run's own glossary.

The glossary is reloaded from the files the run record names, and only when each file is
still there with the recorded sha256: a missing or changed file is reported, never replaced
by whatever is on disk now. Counting is `dilmanc.glossary.term_accuracy`'s, line by line, so
the totals equal the run's `term_counts`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.eval.records import RunRecord


@dataclass
class GlossaryStatus:
    """Whether a run's glossary can be used again: `glossary` when it can, else `problem`."""

    paths: list[str]
    sha256: str | None
    glossary: object | None = None
    problem: str | None = None
    missing: bool = False  # a file is gone (as opposed to changed or unreadable)

    @property
    def usable(self) -> bool:
        return self.glossary is not None


def run_glossary(record: RunRecord, source: str | Path) -> GlossaryStatus | None:
    """The run's glossary, reloaded and hash-checked; None when the run used none."""
    from dilmanc.errors import DilmancError
    from dilmanc.glossary import load_glossaries

    ref = record.glossary
    if ref is None:
        return None
    status = GlossaryStatus([f.path for f in ref.files], ref.sha256)
    for file in ref.files:
        path = Path(file.path)
        if file.sha256 is None:
            status.problem = f"{file.path} was missing when the run was made"
        elif not path.is_file():
            status.problem, status.missing = f"{file.path} is missing", True
        elif hashlib.sha256(path.read_bytes()).hexdigest() != file.sha256:
            status.problem = (
                f"{file.path} has changed since the run (sha256 recorded "
                f"{file.sha256[:12]}..., now {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
                "...)"
            )
        if status.problem:
            status.problem = f"glossary of {Path(source).name}: {status.problem}"
            return status
    try:
        status.glossary = load_glossaries(status.paths)
    except DilmancError as err:
        status.problem = f"glossary of {Path(source).name}: {err}"
    return status


@dataclass
class EntryTally:
    key: str
    term: str  # Azerbaijani term
    expected: str  # preferred rendering
    hits: int = 0
    total: int = 0

    @property
    def misses(self) -> int:
        return self.total - self.hits


@dataclass
class TermBreakdown:
    entries: dict[str, EntryTally] = field(default_factory=dict)
    segments: list[tuple[int, int]] = field(default_factory=list)  # (hits, total) per line

    @property
    def hits(self) -> int:
        return sum(h for h, _ in self.segments)

    @property
    def total(self) -> int:
        return sum(t for _, t in self.segments)

    @property
    def accuracy(self) -> float:
        return self.hits / self.total if self.total else 1.0


def term_breakdown(sources: list[str], hyps: list[str], lang: str, glossary) -> TermBreakdown:
    """Hits and occurrences per entry and per segment (WMT21 exact match, as term_accuracy)."""
    from dilmanc.glossary import find_terms, term_accuracy
    from dilmanc.glossary.model import term_key

    out = TermBreakdown()
    for source, hyp in zip(sources, hyps, strict=True):
        line = term_accuracy([source], [hyp], lang, glossary)
        out.segments.append((line.hits, line.total))
        if not line.total:
            continue
        for match in find_terms(source, glossary):
            entry = match.entry
            if not entry.accepted(lang):
                continue
            tally = out.entries.setdefault(
                entry.key, EntryTally(entry.key, entry.term, entry.target(lang) or "")
            )
            tally.total += 1
            tally.hits += 1
        for miss in line.misses:  # Entry.key: the id, else the normalised term
            out.entries[miss["id"] or term_key(miss["term"])].hits -= 1
    return out
