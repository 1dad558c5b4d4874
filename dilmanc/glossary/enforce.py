"""Glossary enforcement around any translate function: protect terms, translate, restore, verify.

Strategies:
- `inject` (default): each matched source span becomes the preferred target term in straight
  quotes, its Azerbaijani suffix kept after a hyphen ("BMqT-nin" → '"IOM"-nin'), so the model
  copies the term and still sees the case; the quotes are removed from the output afterwards.
- `placeholder`: each span becomes an opaque token (ZXQ1, ZXQ2, ...) that is replaced by the
  preferred term after translation (no re-inflection: the term appears in its glossary form).
  Tokens the model mangles ("zxq 1") are repaired; stray ones are removed, never shown.
- `off`: translate untouched, then only check.

Every expected term is verified in the output. With `n_best` > 1 a segment that holds terms is
decoded into an n-best list and the hypothesis satisfying the most terms is kept (the best
scoring among equals); when a forbidden rendering keeps appearing, the segment is decoded once
more with that rendering suppressed. A segment that still fails is translated once more with
the other strategy (inject ↔ placeholder) and the better result is kept; whatever still fails
is listed in the segment's report.

The translate function takes a list of texts and returns one output each. When n-best or
suppression is asked for it is called as `translate_fn(texts, n_best=k, suppress=[...])` and
returns, per text, a list of `Candidate`s best first.

Sources may be plain strings or `TaggedText` (a sentence of a formatted document): terms are
found in the plain text, and every edit (a term injected, a token restored, quotes removed)
moves the inline tags with the words, so "<g1>BMqT</g1>-nin" comes back as "<g1>IOM</g1>".

`EnforcedSegment.report` is a `TermReport`; `to_json()` gives, per segment:
    strategy   "inject" | "placeholder" | "off": the strategy whose output was kept; null for
               a translation not made in this run (the machine cache, the memory), which the
               pipeline's verify stage checks all the same
    retried    whether the other strategy was tried; rescued: the retry fixed every failure
    found      source occurrences [{"start", "end", "text", "id", "term", "targets"}]
    expected   preferred target terms (one per entry); satisfied: those found in the output
    failed     [{"id", "term", "expected", "reason"}]; reason "missing" or "forbidden ..."
    placeholders_repaired   mangled or invented tokens fixed or removed
    attempts   [{"strategy", "failed"}] for each try, in order
    hypothesis {"rank", "of", "reason", "suppressed"}: which n-best hypothesis was kept and why
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dilmanc.errors import UsageError
from dilmanc.glossary.matcher import Match, find_terms
from dilmanc.glossary.verify import TermCheck, check_terms, find_any
from dilmanc.text import morphology as morph
from dilmanc.text.tagged import Edit, TaggedText

MODES = ("inject", "placeholder", "off")
OTHER = {"inject": "placeholder", "placeholder": "inject"}
MARK = '"'
PLACEHOLDER = "ZXQ{}"
# Tokens are found even when glued to a neighbouring word ("ninZXQ2"): they must never leak.
_TOKEN = re.compile(r"z\W{0,2}x\W{0,2}q\W{0,2}0*(\d{1,3})(?!\d)", re.IGNORECASE)
_STRAY = re.compile(r"zxq\d*", re.IGNORECASE)
_RESIDUE = re.compile(f"{morph.SEPARATOR_CLASS}{morph.suffix_chain(1)}(?![^\\W_])", re.IGNORECASE)
_OPEN = set(morph.OPENING_QUOTES + morph.STRAIGHT_QUOTES + "”")
_CLOSE = set(morph.CLOSING_QUOTES + morph.STRAIGHT_QUOTES + "“")
_SPACES = re.compile(r"(?<=\S)[^\S\n]{2,}(?=\S)")

Text = str | TaggedText


@dataclass(frozen=True)
class Candidate:
    """One hypothesis of an n-best list returned by a translate function."""

    output: Text
    score: float | None = None


@dataclass(frozen=True)
class Choice:
    """Which hypothesis of an n-best list was kept, and why."""

    rank: int = 1  # 1-based
    of: int = 1  # hypotheses considered
    reason: str = "best-scoring"
    suppressed: tuple[str, ...] = ()  # forbidden renderings suppressed in a re-decode

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "of": self.of,
            "reason": self.reason,
            "suppressed": list(self.suppressed),
        }


@dataclass(frozen=True)
class AttemptReport:
    strategy: str
    failed: tuple[TermCheck, ...]

    def to_json(self) -> dict:
        return {"strategy": self.strategy, "failed": [c.to_json() for c in self.failed]}


@dataclass(frozen=True)
class TermReport:
    """What enforcement did to one segment (see the module docstring for the JSON keys)."""

    strategy: str | None
    retried: bool = False
    rescued: bool = False
    found: tuple[Match, ...] = ()
    checks: tuple[TermCheck, ...] = ()  # one per entry found, of the kept attempt
    placeholders_repaired: int = 0
    attempts: tuple[AttemptReport, ...] = ()
    choice: Choice = Choice()

    @property
    def expected(self) -> list[str]:
        return [c.expected for c in self.checks]

    @property
    def satisfied(self) -> list[str]:
        return [c.expected for c in self.checks if c.satisfied]

    @property
    def failed(self) -> list[TermCheck]:
        return [c for c in self.checks if not c.satisfied]

    def to_json(self) -> dict:
        return {
            "strategy": self.strategy,
            "retried": self.retried,
            "rescued": self.rescued,
            "found": [m.to_json() for m in self.found],
            "expected": self.expected,
            "satisfied": self.satisfied,
            "failed": [c.to_json() for c in self.failed],
            "placeholders_repaired": self.placeholders_repaired,
            "attempts": [a.to_json() for a in self.attempts],
            "hypothesis": self.choice.to_json(),
        }


@dataclass
class EnforcedSegment:
    source: Text
    tagged: TaggedText  # the output with its inline tags
    report: TermReport
    raw: object = None  # what the translate function returned for the kept attempt

    @property
    def output(self) -> str:
        return self.tagged.text

    @property
    def ok(self) -> bool:
        return not self.report.failed


@dataclass(frozen=True)
class GlossaryTotals:
    """Totals over segments, for run reports."""

    segments: int = 0
    segments_with_terms: int = 0
    expected: int = 0
    satisfied: int = 0
    retried: int = 0
    rescued: int = 0
    failed: tuple[TermCheck, ...] = ()

    def __add__(self, other: GlossaryTotals) -> GlossaryTotals:
        return GlossaryTotals(
            self.segments + other.segments,
            self.segments_with_terms + other.segments_with_terms,
            self.expected + other.expected,
            self.satisfied + other.satisfied,
            self.retried + other.retried,
            self.rescued + other.rescued,
            self.failed + other.failed,
        )

    def to_json(self, *, failures: bool = False) -> dict:
        """Counts (`failed` as a count; the failures themselves with `failures=True`)."""
        out = {
            "segments": self.segments,
            "segments_with_terms": self.segments_with_terms,
            "expected": self.expected,
            "satisfied": self.satisfied,
            "retried": self.retried,
            "rescued": self.rescued,
            "failed": len(self.failed),
        }
        if failures:
            out["failures"] = [c.to_json() for c in self.failed]
        return out


def summarize(segments: Sequence[EnforcedSegment]) -> GlossaryTotals:
    """Totals over segments: expected, satisfied, retried, rescued, failed."""
    reports = [s.report for s in segments]
    return GlossaryTotals(
        segments=len(reports),
        segments_with_terms=sum(1 for r in reports if r.found),
        expected=sum(len(r.checks) for r in reports),
        satisfied=sum(len(r.satisfied) for r in reports),
        retried=sum(1 for r in reports if r.retried),
        rescued=sum(1 for r in reports if r.rescued),
        failed=tuple(f for r in reports for f in r.failed),
    )


@dataclass
class _Slot:
    match: Match
    target: str
    token: str = ""


@dataclass
class _Attempt:
    strategy: str
    output: TaggedText
    checks: list[TermCheck]
    repaired: int = 0
    raw: object = None
    choice: Choice = Choice()

    @property
    def failures(self) -> list[TermCheck]:
        return [c for c in self.checks if not c.satisfied]

    @property
    def forbidden(self) -> tuple[str, ...]:
        return tuple(sorted({c.forbidden for c in self.failures if c.forbidden}))


def _suffix_tail(match: Match) -> str:
    """What stays after the replaced term: a closing quote left open, then "-suffix"."""
    tail = match.text[match.stem_end - match.start :]
    quote = "" if match.quoted else "".join(ch for ch in tail if ch in morph.CLOSING_QUOTES)
    return quote + (f"-{match.suffix}" if match.suffix else "")


def _residue(text: str, end: int) -> Edit | None:
    """An Azerbaijani suffix copied after a restored term ("IOM-nin" → "IOM"), as an edit."""
    if end < len(text) and text[end] in _CLOSE:
        end += 1  # '"IOM"-nin', 'Plan”-nın'
    m = _RESIDUE.match(text, end)
    return Edit(end, m.end(), "") if m else None


def _tidy(text: TaggedText) -> TaggedText:
    """Collapse the double spaces a removed token leaves behind."""
    return text.sub(_SPACES, " ").strip()


def _as_tagged(value: Text) -> TaggedText:
    return value if isinstance(value, TaggedText) else TaggedText(value)


class TermEnforcer:
    """Make a translate function respect a glossary; see the module docstring."""

    def __init__(self, glossary, mode: str = "inject", *, n_best: int = 1) -> None:
        if mode not in MODES:
            raise UsageError(f"unknown glossary mode {mode!r} (choose {', '.join(MODES)})")
        self.glossary = glossary
        self.mode = mode
        self.n_best = max(1, n_best)

    # -- protect -------------------------------------------------------------------------
    def _slots(self, source: TaggedText, lang: str) -> list[_Slot]:
        slots = []
        for match in find_terms(source.text, self.glossary):
            target = match.entry.target(lang)
            if target:
                slots.append(_Slot(match, target))
        return slots

    def _protect(self, source: TaggedText, slots: list[_Slot], strategy: str) -> TaggedText:
        edits = []
        for number, slot in enumerate(slots, 1):
            m = slot.match
            if strategy == "placeholder":
                slot.token = PLACEHOLDER.format(number)
                term = f"{MARK}{slot.token}{MARK}" if m.quoted else slot.token
            else:
                term = f"{MARK}{slot.target}{MARK}"
            edits.append(Edit(m.start, m.stem_end, term))
            edits.append(Edit(m.stem_end, m.end, _suffix_tail(m)))
        return source.apply(edits)

    # -- restore -------------------------------------------------------------------------
    def _restore_placeholders(
        self, text: TaggedText, slots: list[_Slot], lang: str
    ) -> tuple[TaggedText, int]:
        by_number = {str(i): s for i, s in enumerate(slots, 1)}
        repaired = 0
        edits: list[Edit] = []
        tokens = list(_TOKEN.finditer(text.text))
        for m in tokens:
            slot = by_number.get(str(int(m.group(1))))
            if m.group(0) != (slot.token if slot else None):
                repaired += 1  # mangled token, or one the model invented: fixed or dropped
            edits.append(Edit(m.start(), m.end(), slot.target if slot else ""))
            if slot and lang != "az":
                residue = _residue(text.text, m.end())
                if residue is not None:
                    edits.append(residue)
        taken = [(e.start, e.end) for e in edits]
        for m in _STRAY.finditer(text.text):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                edits.append(Edit(m.start(), m.end(), ""))
                repaired += 1
        return text.apply(edits), repaired

    def _unmark(self, text: TaggedText, slots: list[_Slot], lang: str) -> TaggedText:
        """Remove the inject quotes (and copied suffixes) around each injected term."""
        for slot in slots:
            for start, end in reversed(find_any(text.text, [slot.target], lang)):
                plain = text.text
                quoted = start > 0 and end < len(plain)
                quoted = quoted and plain[start - 1] in _OPEN and plain[end] in _CLOSE
                if quoted and not slot.match.quoted:
                    text = text.apply([Edit(start - 1, start), Edit(end, end + 1)])
                    end -= 1
                if lang != "az":
                    residue = _residue(text.text, end)
                    if residue is not None:
                        text = text.apply([residue])
        return text

    def _finish(self, raw: object, slots: list[_Slot], strategy: str, lang: str) -> _Attempt:
        output = _as_tagged(raw)
        repaired = 0
        if strategy == "placeholder":
            output, repaired = self._restore_placeholders(output, slots, lang)
        elif strategy == "inject":
            output = self._unmark(output, slots, lang)
        output = _tidy(output) if slots else output
        checks = check_terms(output.text, [slot.match for slot in slots], lang)
        return _Attempt(strategy, output, list(checks), repaired, raw)

    # -- run -----------------------------------------------------------------------------
    def translate(
        self,
        sources: Sequence[Text],
        target,
        translate_fn: Callable[[list], list],
    ) -> list[EnforcedSegment]:
        """Translate `sources` into `target` (ISO code or Language) through `translate_fn`.

        Plain-string sources give `translate_fn` plain strings; TaggedText sources give it
        TaggedText (it returns the same kind: a string, or a TaggedText with the tags placed).
        """
        lang = getattr(target, "iso", target)
        sources = list(sources)
        plain = all(isinstance(s, str) for s in sources)
        tagged = [_as_tagged(s) for s in sources]
        slots = [self._slots(s, lang) for s in tagged]
        first = self.mode
        run = (tagged, slots, lang, translate_fn, plain)
        attempts = self._attempt(*run, first, range(len(sources)))
        history = [[a] for a in attempts]
        retry = [i for i, a in enumerate(attempts) if a.failures] if first in OTHER else []
        if retry:
            again = self._attempt(*run, OTHER[first], retry)
            for i, attempt in zip(retry, again, strict=True):
                history[i].append(attempt)
        return [
            self._segment(src, sl, hist)
            for src, sl, hist in zip(sources, slots, history, strict=True)
        ]

    def _attempt(
        self, sources, slots, lang, translate_fn, plain, strategy, indices
    ) -> list[_Attempt]:
        indices = list(indices)
        if strategy == "off":
            texts = {i: sources[i] for i in indices}
        else:
            texts = {i: self._protect(sources[i], slots[i], strategy) for i in indices}

        def call(group: list[int], **options) -> list:
            batch = [texts[i].render() if plain else texts[i] for i in group]
            outputs = list(translate_fn(batch, **options)) if batch else []
            if len(outputs) != len(batch):
                raise RuntimeError(f"translate function returned {len(outputs)} for {len(batch)}")
            return outputs

        # n-best only where there are terms to satisfy: the rest decode as usual, in one call
        nbest = [i for i in indices if slots[i]] if self.n_best > 1 else []
        single = [i for i in indices if i not in set(nbest)]
        attempts: dict[int, _Attempt] = {}
        for i, out in zip(single, call(single), strict=True):
            attempts[i] = self._finish(out, slots[i], strategy, lang)
        for i, cands in zip(nbest, call(nbest, n_best=self.n_best), strict=True):
            attempts[i] = self._choose(cands, slots[i], strategy, lang)
        self._suppress(attempts, call, slots, strategy, lang)
        return [attempts[i] for i in indices]

    def _choose(self, candidates, slots, strategy, lang, suppressed=()) -> _Attempt:
        """The hypothesis satisfying the most terms; the best-scoring among equals."""
        if not isinstance(candidates, list):  # a translate function without n-best
            candidates = [Candidate(candidates)]
        tried = [self._finish(c.output, slots, strategy, lang) for c in candidates]
        best = min(range(len(tried)), key=lambda k: (len(tried[k].failures), k))
        chosen = tried[best]
        if best:
            met = [len(t.checks) - len(t.failures) for t in (chosen, tried[0])]
            reason = (
                f"rank {best + 1} satisfies {met[0]} of {len(chosen.checks)} terms, rank 1 {met[1]}"
            )
        else:
            reason = "best-scoring" + (", satisfies all terms" if not chosen.failures else "")
        chosen.choice = Choice(best + 1, len(tried), reason, tuple(suppressed))
        return chosen

    def _suppress(self, attempts: dict[int, _Attempt], call, slots, strategy, lang) -> None:
        """Decode again, with the forbidden renderings suppressed, the segments that produced
        them; keep the new output where it fails fewer terms."""
        if self.n_best <= 1 or strategy == "off":
            return
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, attempt in attempts.items():
            if attempt.forbidden:
                groups.setdefault(attempt.forbidden, []).append(i)
        for forbidden, group in groups.items():
            outputs = call(group, n_best=self.n_best, suppress=list(forbidden))
            for i, cands in zip(group, outputs, strict=True):
                again = self._choose(cands, slots[i], strategy, lang, forbidden)
                if len(again.failures) < len(attempts[i].failures):
                    attempts[i] = again

    @staticmethod
    def _segment(source: Text, slots: list[_Slot], history: list[_Attempt]) -> EnforcedSegment:
        best = min(history, key=lambda a: len(a.failures))  # first wins ties
        report = TermReport(
            strategy=best.strategy,
            retried=len(history) > 1,
            rescued=len(history) > 1 and not best.failures,
            found=tuple(s.match for s in slots),
            checks=tuple(best.checks),
            placeholders_repaired=best.repaired,
            attempts=tuple(AttemptReport(a.strategy, tuple(a.failures)) for a in history),
            choice=best.choice,
        )
        return EnforcedSegment(source, best.output, report, best.raw)
