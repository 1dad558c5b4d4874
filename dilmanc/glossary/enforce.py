"""Glossary enforcement around any translate function: protect terms, translate, restore, verify.

Strategies:
- `inject` (default): each matched source span becomes the preferred target term in straight
  quotes, its Azerbaijani suffix kept after a hyphen ("BMqT-nin" → '"IOM"-nin'), so the model
  copies the term and still sees the case; the quotes are removed from the output afterwards.
- `placeholder`: each span becomes an opaque token (ZXQ1, ZXQ2, ...) that is replaced by the
  preferred term after translation (no re-inflection: the term appears in its glossary form).
  Tokens the model mangles ("zxq 1") are repaired; stray ones are removed, never shown.
- `off`: translate untouched, then only check.

Every expected term is verified in the output. A segment with a failure is translated once
more with the other strategy (inject ↔ placeholder) and the better result is kept; whatever
still fails is listed in the segment's report.

`EnforcedSegment.report` (JSON-able), per segment:
    strategy   "inject" | "placeholder" | "off": the strategy whose output was kept
    retried    whether the other strategy was tried; rescued: the retry fixed every failure
    found      source occurrences [{"start", "end", "text", "id", "term", "targets"}]
    expected   preferred target terms (one per entry); satisfied: those found in the output
    failed     [{"id", "term", "expected", "reason"}]; reason "missing" or "forbidden ..."
    placeholders_repaired   mangled or invented tokens fixed or removed
    attempts   [{"strategy", "failed"}] for each try, in order
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dilmanc.errors import UsageError
from dilmanc.glossary import morphology as morph
from dilmanc.glossary.matcher import Match, find_terms
from dilmanc.glossary.verify import TermCheck, check_entry, find_any

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


@dataclass
class EnforcedSegment:
    source: str
    output: str
    report: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.report.get("failed")


@dataclass
class _Slot:
    match: Match
    target: str
    token: str = ""


@dataclass
class _Attempt:
    strategy: str
    output: str
    checks: list[TermCheck]
    repaired: int = 0

    @property
    def failures(self) -> list[TermCheck]:
        return [c for c in self.checks if not c.satisfied]


def _suffix_tail(match: Match) -> str:
    """What stays after the replaced term: a closing quote left open, then "-suffix"."""
    tail = match.text[match.stem_end - match.start :]
    quote = "" if match.quoted else "".join(ch for ch in tail if ch in morph.CLOSING_QUOTES)
    return quote + (f"-{match.suffix}" if match.suffix else "")


def _strip_residue(text: str, end: int) -> str:
    """Drop an Azerbaijani suffix copied after a restored term ("IOM-nin" → "IOM")."""
    if end < len(text) and text[end] in _CLOSE:
        end += 1  # '"IOM"-nin', 'Plan”-nın'
    m = _RESIDUE.match(text, end)
    return text[:end] + text[m.end() :] if m else text


def _tidy(text: str) -> str:
    """Collapse the double spaces a removed token leaves behind."""
    return re.sub(r"(?<=\S)[^\S\n]{2,}(?=\S)", " ", text).strip()


class TermEnforcer:
    """Make a translate function respect a glossary; see the module docstring."""

    def __init__(self, glossary, mode: str = "inject") -> None:
        if mode not in MODES:
            raise UsageError(f"unknown glossary mode {mode!r} (choose {', '.join(MODES)})")
        self.glossary = glossary
        self.mode = mode

    # -- protect -------------------------------------------------------------------------
    def _slots(self, source: str, lang: str) -> list[_Slot]:
        slots = []
        for match in find_terms(source, self.glossary):
            target = match.entry.target(lang)
            if target:
                slots.append(_Slot(match, target))
        return slots

    def _protect(self, source: str, slots: list[_Slot], strategy: str) -> str:
        out, pos = [], 0
        for number, slot in enumerate(slots, 1):
            m = slot.match
            out.append(source[pos : m.start])
            if strategy == "placeholder":
                slot.token = PLACEHOLDER.format(number)
                out.append(f"{MARK}{slot.token}{MARK}" if m.quoted else slot.token)
            else:
                out.append(f"{MARK}{slot.target}{MARK}")
            out.append(_suffix_tail(m))
            pos = m.end
        out.append(source[pos:])
        return "".join(out)

    # -- restore -------------------------------------------------------------------------
    def _restore_placeholders(self, text: str, slots: list[_Slot], lang: str) -> tuple[str, int]:
        by_number = {str(i): s for i, s in enumerate(slots, 1)}
        repaired = 0
        for m in reversed(list(_TOKEN.finditer(text))):
            slot = by_number.get(str(int(m.group(1))))
            if m.group(0) != (slot.token if slot else None):
                repaired += 1  # mangled token, or one the model invented: fixed or dropped
            value = slot.target if slot else ""
            text = text[: m.start()] + value + text[m.end() :]
            if slot and lang != "az":
                text = _strip_residue(text, m.start() + len(value))
        text, stray = _STRAY.subn("", text)
        return text, repaired + stray

    def _unmark(self, text: str, slots: list[_Slot], lang: str) -> str:
        """Remove the inject quotes (and copied suffixes) around each injected term."""
        for slot in slots:
            for start, end in reversed(find_any(text, [slot.target], lang)):
                quoted = start > 0 and end < len(text)
                quoted = quoted and text[start - 1] in _OPEN and text[end] in _CLOSE
                if quoted and not slot.match.quoted:
                    text = text[: start - 1] + text[start:end] + text[end + 1 :]
                    start, end, quoted = start - 1, end - 1, False
                if lang != "az":
                    text = _strip_residue(text, end)
        return text

    def _finish(self, output: str, slots: list[_Slot], strategy: str, lang: str) -> _Attempt:
        repaired = 0
        if strategy == "placeholder":
            output, repaired = self._restore_placeholders(output, slots, lang)
        elif strategy == "inject":
            output = self._unmark(output, slots, lang)
        output = _tidy(output) if slots else output
        checks: dict[str, TermCheck] = {}
        for slot in slots:
            if slot.match.entry.key not in checks:
                check = check_entry(output, slot.match.entry, lang)
                if check is not None:
                    checks[slot.match.entry.key] = check
        return _Attempt(strategy, output, list(checks.values()), repaired)

    # -- run -----------------------------------------------------------------------------
    def translate(
        self,
        sources: list[str],
        target,
        translate_fn: Callable[[list[str]], list[str]],
    ) -> list[EnforcedSegment]:
        """Translate `sources` into `target` (ISO code or Language) through `translate_fn`."""
        lang = getattr(target, "iso", target)
        sources = list(sources)
        slots = [self._slots(s, lang) for s in sources]
        first = self.mode
        attempts = self._attempt(sources, slots, first, lang, translate_fn, range(len(sources)))
        history = [[a] for a in attempts]
        retry = [i for i, a in enumerate(attempts) if a.failures] if first in OTHER else []
        if retry:
            again = self._attempt(sources, slots, OTHER[first], lang, translate_fn, retry)
            for i, attempt in zip(retry, again, strict=True):
                history[i].append(attempt)
        return [
            self._segment(src, sl, hist)
            for src, sl, hist in zip(sources, slots, history, strict=True)
        ]

    def _attempt(self, sources, slots, strategy, lang, translate_fn, indices) -> list[_Attempt]:
        indices = list(indices)
        if strategy == "off":
            texts = [sources[i] for i in indices]
        else:
            texts = [self._protect(sources[i], slots[i], strategy) for i in indices]
        outputs = list(translate_fn(texts)) if texts else []
        if len(outputs) != len(texts):
            raise RuntimeError(f"translate function returned {len(outputs)} for {len(texts)}")
        return [
            self._finish(out, slots[i], strategy, lang)
            for i, out in zip(indices, outputs, strict=True)
        ]

    @staticmethod
    def _segment(source: str, slots: list[_Slot], history: list[_Attempt]) -> EnforcedSegment:
        best = min(history, key=lambda a: len(a.failures))  # first wins ties
        report = {
            "strategy": best.strategy,
            "retried": len(history) > 1,
            "rescued": len(history) > 1 and not best.failures,
            "found": [s.match.to_json() for s in slots],
            "expected": [c.expected for c in best.checks],
            "satisfied": [c.expected for c in best.checks if c.satisfied],
            "failed": [c.to_json() for c in best.failures],
            "placeholders_repaired": best.repaired,
            "attempts": [
                {"strategy": a.strategy, "failed": [c.to_json() for c in a.failures]}
                for a in history
            ],
        }
        return EnforcedSegment(source, best.output, report)


def summarize(segments: list[EnforcedSegment]) -> dict:
    """Totals over segments, for run reports: expected, satisfied, retried, rescued, failed."""
    reports = [s.report for s in segments]
    return {
        "segments": len(reports),
        "segments_with_terms": sum(1 for r in reports if r.get("found")),
        "expected": sum(len(r.get("expected", [])) for r in reports),
        "satisfied": sum(len(r.get("satisfied", [])) for r in reports),
        "retried": sum(1 for r in reports if r.get("retried")),
        "rescued": sum(1 for r in reports if r.get("rescued")),
        "failed": [f for r in reports for f in r.get("failed", [])],
    }
