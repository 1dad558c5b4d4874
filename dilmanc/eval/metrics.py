"""Corpus and sentence metrics through sacrebleu's own metric classes.

One sacrebleu class per metric, with sacrebleu's defaults, so that scores and signatures
equal `sacrebleu REF -i HYP -m bleu chrf ter --chrf-word-order 2`:

    bleu  BLEU()               corpus BLEU, 13a tokenization, exp smoothing
    chrf  CHRF(word_order=2)   chrF++
    ter   TER()                translation edit rate (lower is better)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dilmanc.errors import SettingError, UsageError


@dataclass(frozen=True)
class MetricKind:
    """One metric: the sacrebleu class that computes it and how it is shown and compared."""

    cls: str  # a class of sacrebleu.metrics
    label: str
    higher_is_better: bool = True
    options: tuple[tuple[str, object], ...] = ()
    sentence_options: tuple[tuple[str, object], ...] = ()  # added for sentence scores


#: metric name → kind, in report order (as sacrebleu's METRICS): a metric is one line here
REGISTRY: dict[str, MetricKind] = {
    "bleu": MetricKind("BLEU", "BLEU", sentence_options=(("effective_order", True),)),
    "chrf": MetricKind("CHRF", "chrF++", options=(("word_order", 2),)),
    "ter": MetricKind("TER", "TER", higher_is_better=False),
}
METRICS = tuple(REGISTRY)
LABELS = {name: kind.label for name, kind in REGISTRY.items()}
HIGHER_IS_BETTER = {name: kind.higher_is_better for name, kind in REGISTRY.items()}
_ALIASES = {"chrf++": "chrf", "chrf2": "chrf", "chrf2++": "chrf", "sacrebleu": "bleu"}


def metric_name(name: str) -> str:
    """Normalise a user-typed metric name (`chrF++` → `chrf`); UsageError if unknown."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in REGISTRY:
        raise UsageError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")
    return key


def parse_metrics(spec: str) -> list[str]:
    """`"bleu,chrf"` → ["bleu", "chrf"], in the canonical order, duplicates dropped."""
    wanted = {metric_name(part) for part in spec.split(",") if part.strip()}
    if not wanted:
        raise SettingError("metrics", f"names no metric (choose from {', '.join(METRICS)})")
    return [m for m in METRICS if m in wanted]


def make_metric(name: str, *, sentence: bool = False):
    """A fresh sacrebleu metric object; `sentence=True` gives BLEU with effective order."""
    import sacrebleu.metrics

    kind = REGISTRY[metric_name(name)]
    options = dict(kind.options) | (dict(kind.sentence_options) if sentence else {})
    return getattr(sacrebleu.metrics, kind.cls)(**options)


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
