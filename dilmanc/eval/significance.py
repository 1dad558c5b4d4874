"""Paired bootstrap resampling between systems, via sacrebleu's `PairedTest`.

The first system is the baseline. Each metric gets its score, the bootstrap mean and 95%
confidence half-width, and for every other system a p-value (p < 0.05: significant).

One deviation from sacrebleu: when a system's corpus score equals the baseline's (for
example identical output), sacrebleu's test reports p = 1/(n+1) because no resample
difference is strictly greater than zero; we report p = 1.0, since an observed
difference of zero is no evidence of any difference.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from dilmanc.errors import UsageError
from dilmanc.eval.metrics import make_metric

ALPHA = 0.05
DEFAULT_SEED = 12345  # sacrebleu's own default
DEFAULT_SAMPLES = 1000
COMPARE_METRICS = ("bleu", "chrf")


@dataclass
class MetricResult:
    score: float
    mean: float
    ci: float  # half-width of the 95% interval around `mean`
    p_value: float | None = None  # None for the baseline

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < ALPHA

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "mean": self.mean,
            "ci95": self.ci,
            "p_value": self.p_value,
            "significant": self.significant,
        }


@dataclass
class SystemResult:
    name: str
    baseline: bool
    metrics: dict[str, MetricResult] = field(default_factory=dict)


@dataclass
class Comparison:
    systems: list[SystemResult]
    signatures: dict[str, str]
    seed: int
    n_samples: int

    def as_dict(self) -> dict:
        return {
            "baseline": self.systems[0].name,
            "test": "paired bootstrap resampling",
            "n_samples": self.n_samples,
            "seed": self.seed,
            "alpha": ALPHA,
            "signatures": self.signatures,
            "systems": [
                {
                    "name": s.name,
                    "baseline": s.baseline,
                    **{m: r.as_dict() for m, r in s.metrics.items()},
                }
                for s in self.systems
            ],
        }


@contextlib.contextmanager
def _sacrebleu_seed(seed: int) -> Iterator[None]:
    """sacrebleu reads its seed from $SACREBLEU_SEED; set it for the duration of a test."""
    old = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SACREBLEU_SEED", None)
        else:
            os.environ["SACREBLEU_SEED"] = old


def paired_bootstrap(
    systems: list[tuple[str, list[str]]],
    refs: list[list[str]],
    *,
    metrics: tuple[str, ...] = COMPARE_METRICS,
    seed: int = DEFAULT_SEED,
    n_samples: int = DEFAULT_SAMPLES,
) -> Comparison:
    """Compare systems[1:] against systems[0] with sacrebleu's paired bootstrap test."""
    from sacrebleu.significance import PairedTest

    if len(systems) < 2:
        raise UsageError("compare needs at least two systems (the first is the baseline)")
    if seed < 1:
        raise UsageError("--seed must be a positive integer (sacrebleu treats 0 as unseeded)")
    names = [name for name, _ in systems]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(f"compare: {', '.join(twice)} given more than once")
    with _sacrebleu_seed(seed):
        test = PairedTest(
            systems,
            {m: make_metric(m) for m in metrics},
            references=refs,
            test_type="bs",
            n_samples=n_samples,
        )
        signatures, table = test()
    # PairedTest keys its columns by sacrebleu's display names, in our metric order.
    columns = [key for key in table if key != "System"]
    results = [SystemResult(name, i == 0) for i, name in enumerate(names)]
    out_signatures = {}
    for metric, column in zip(metrics, columns, strict=True):
        out_signatures[metric] = signatures[column].format()
        baseline_score = float(table[column][0].score)
        for system, res in zip(results, table[column], strict=True):
            p_value = None if system.baseline else float(res.p_value)
            if p_value is not None and float(res.score) == baseline_score:
                p_value = 1.0
            system.metrics[metric] = MetricResult(
                score=float(res.score), mean=float(res.mean), ci=float(res.ci), p_value=p_value
            )
    return Comparison(results, out_signatures, seed, n_samples)
