"""Corpus and sentence metrics through sacrebleu's own metric classes.

One sacrebleu class per metric, with sacrebleu's defaults, so that scores and signatures
equal `sacrebleu REF -i HYP -m bleu chrf ter --chrf-word-order 2`:

    bleu  BLEU()               corpus BLEU, 13a tokenization, exp smoothing
    chrf  CHRF(word_order=2)   chrF++
    ter   TER()                translation edit rate (lower is better)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dilmanc.errors import UsageError

METRICS = ("bleu", "chrf", "ter")
LABELS = {"bleu": "BLEU", "chrf": "chrF++", "ter": "TER"}
HIGHER_IS_BETTER = {"bleu": True, "chrf": True, "ter": False}
_ALIASES = {"chrf++": "chrf", "chrf2": "chrf", "chrf2++": "chrf", "sacrebleu": "bleu"}


def metric_name(name: str) -> str:
    """Normalise a user-typed metric name (`chrF++` → `chrf`); UsageError if unknown."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in METRICS:
        raise UsageError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")
    return key


def parse_metrics(spec: str) -> list[str]:
    """`"bleu,chrf"` → ["bleu", "chrf"], in the canonical order, duplicates dropped."""
    wanted = {metric_name(part) for part in spec.split(",") if part.strip()}
    if not wanted:
        raise UsageError("no metric given (use --metrics bleu,chrf,ter)")
    return [m for m in METRICS if m in wanted]


def make_metric(name: str, *, sentence: bool = False):
    """A fresh sacrebleu metric object; `sentence=True` gives BLEU with effective order."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    if name == "bleu":
        return BLEU(effective_order=sentence)
    if name == "chrf":
        return CHRF(word_order=2)
    if name == "ter":
        return TER()
    raise UsageError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")


@dataclass
class CorpusScores:
    """Scores of one system: `scores[m]` (full float), `signatures[m]`, sacrebleu's text line."""

    segments: int
    scores: dict[str, float] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)

    def get(self, metric: str) -> float | None:
        return self.scores.get(metric)


def corpus_scores(
    hyps: list[str], refs: list[list[str]], metrics: list[str] | tuple[str, ...] = METRICS
) -> CorpusScores:
    """Corpus scores of `hyps` against one or more reference streams (each as long as hyps)."""
    result = CorpusScores(segments=len(hyps))
    for name in metrics:
        metric = make_metric(name)
        score = metric.corpus_score(hyps, refs)
        signature = metric.get_signature().format()
        result.scores[name] = float(score.score)
        result.signatures[name] = signature
        result.lines[name] = score.format(width=1, signature=signature)
    return result


@dataclass(frozen=True)
class SegmentScore:
    line: int  # 1-based
    bleu: float  # sentence BLEU with effective order
    chrf: float  # sentence chrF++


def segment_scores(hyps: list[str], refs: list[list[str]]) -> list[SegmentScore]:
    """Per-line sentence BLEU and chrF++, worst first (by chrF++, then BLEU, then line)."""
    bleu = make_metric("bleu", sentence=True)
    chrf = make_metric("chrf")
    out = []
    for i, hyp in enumerate(hyps):
        line_refs = [stream[i] for stream in refs]
        out.append(
            SegmentScore(
                line=i + 1,
                bleu=float(bleu.sentence_score(hyp, line_refs).score),
                chrf=float(chrf.sentence_score(hyp, line_refs).score),
            )
        )
    out.sort(key=lambda s: (s.chrf, s.bleu, s.line))
    return out
