"""What quality estimation reads and says: a `Segment` (source, target, whatever signals the
run has), a `Finding` per problem a detector sees, and an `Assessment` (one verdict with its
reasons). `Thresholds` holds every documented cut-off (calibrated by benchmarks/qe.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dilmanc.glossary.verify import TermCheck
    from dilmanc.text.tagged import TagOutcome

OK, REVIEW, BAD = "ok", "review", "bad"
VERDICTS = (OK, REVIEW, BAD)


@dataclass(frozen=True)
class Segment:
    """One translated sentence with the signals known about it (None/empty: not known)."""

    source: str
    target: str
    source_lang: str  # iso codes
    target_lang: str
    score: float | None = None  # the model's length-normalised log-probability
    alternatives: tuple[float | None, ...] = ()  # scores of n-best hypotheses 2..n
    attention: Sequence[Sequence[float]] | None = None  # [output piece][source piece]
    source_tokens: tuple[str, ...] = ()
    terms: tuple[TermCheck, ...] | None = None  # glossary verification (None: no glossary)
    tags: TagOutcome | None = None


@dataclass(frozen=True)
class ModelSignals:
    """What a model said about its own output, as the pipeline keeps it for one sentence
    (absent for translations from the cache or the memory)."""

    score: float | None = None
    alternatives: tuple[float | None, ...] = ()
    attention: Sequence[Sequence[float]] | None = None
    source_tokens: tuple[str, ...] = ()

    @classmethod
    def of(cls, result, *, best: bool = True) -> ModelSignals:
        """The signals of an engine's `TranslationResult`; `best=False` for a hypothesis
        other than the model's first choice (its score only)."""
        if not best:
            return cls(result.score)
        return cls(
            result.score,
            tuple(h.score for h in result.alternatives),
            result.attention,
            tuple(result.source_tokens),
        )

    def weaker(self, other: ModelSignals) -> ModelSignals:
        """Of two pivot legs' signals, the leg the model was less sure of."""
        if other.score is None:
            return self
        if self.score is None or other.score < self.score:
            return other
        return self


@dataclass(frozen=True)
class Finding:
    """One problem: `reason` is a stable word ("number", "loop"), `severity` review or bad."""

    reason: str
    severity: str
    detail: str = ""

    def to_json(self) -> dict:
        return {"reason": self.reason, "severity": self.severity, "detail": self.detail}


@dataclass(frozen=True)
class Assessment:
    """The verdict on one segment: the worst severity found, `ok` when nothing was."""

    verdict: str = OK
    score: float | None = None
    findings: tuple[Finding, ...] = ()
    signals: dict = field(default_factory=dict, compare=False)

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(f.reason for f in self.findings))

    @property
    def needs_review(self) -> bool:
        return self.verdict != OK

    def describe(self) -> str:
        """The findings in words: "number: 1990 missing; loop: 'the the' ×5"."""
        return "; ".join(f"{f.reason}: {f.detail}" if f.detail else f.reason for f in self.findings)

    def to_json(self) -> dict:
        score = None if self.score is None else round(self.score, 4)
        return {
            "verdict": self.verdict,
            "score": score,
            "reasons": self.reasons,
            "findings": [f.to_json() for f in self.findings],
        }


def worst(*assessments: Assessment) -> Assessment:
    """Several sentences' assessments as one (a unit): worst verdict, lowest score, all
    findings."""
    findings = tuple(f for a in assessments for f in a.findings)
    verdict = max((a.verdict for a in assessments), key=VERDICTS.index, default=OK)
    scores = [a.score for a in assessments if a.score is not None]
    return Assessment(verdict, min(scores) if scores else None, findings)


@dataclass(frozen=True)
class Thresholds:
    """Every cut-off the detectors use. The defaults were measured with benchmarks/qe.py on
    NTREX-128 az→en/ru references with injected faults (see README, "Quality estimation")."""

    # model: length-normalised log-prob below this → review; n-best margin below → review
    min_score: float = -1.5
    min_margin: float = 0.0  # 0 disables the margin check (a tie of the two best)
    # attention: share of source content pieces that get at least `attended` of some
    # output piece's attention; below `min_coverage` → review
    attended: float = 0.1
    min_coverage: float = 0.5
    # language: shortest text (letters) judged; the target language's lingua confidence
    # below `min_language` while another language leads → bad
    language_letters: int = 20
    min_language: float = 0.2
    # copy: similarity of target to source (0-100, rapidfuzz ratio) at or above → bad
    copy_similarity: float = 90.0
    copy_words: int = 3
    # loop: an n-gram (1-6 words) repeated back to back this many times → bad
    loop_repeats: int = 3
    loop_word_repeats: int = 4
    # length: |z| of log(target chars / source chars) against the pair's distribution
    length_z: float = 2.5
    length_chars: int = 20  # shorter sources are not judged


DEFAULT_THRESHOLDS = Thresholds()
