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

from dilmanc.errors import SettingError, UsageError
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
        raise SettingError("seed", "must be a positive integer (sacrebleu treats 0 as unseeded)")
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


# --- baseline vs candidate deltas (eval report, eval gate) ---------------------------------

TESTS = {"bs": "paired bootstrap resampling", "ar": "paired approximate randomization"}
DEFAULT_AR_TRIALS = 10000  # sacrebleu's default for --paired-ar


@dataclass
class PairedDelta:
    """One metric of a candidate against the baseline on the same segments.

    `delta` is candidate − baseline in the metric's own units (BLEU points; a fraction for
    term accuracy); `ci_low`..`ci_high` is the 95% interval of that delta over paired
    bootstrap resamples (the resamples sacrebleu's own bootstrap draws, same seed);
    `p_value` comes from sacrebleu's paired test (`bs` or `ar`). For the bootstrap test,
    `candidate_mean ± candidate_ci` is sacrebleu's "μ ± 95% CI" column.
    """

    metric: str
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    higher_is_better: bool = True
    baseline_mean: float | None = None
    baseline_ci: float | None = None
    candidate_mean: float | None = None
    candidate_ci: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    def significant_at(self, alpha: float) -> bool:
        return self.p_value < alpha

    def improvement(self) -> float:
        """The delta signed so that positive is better (TER's delta is negated)."""
        return self.delta if self.higher_is_better else -self.delta

    def verdict(self, alpha: float = ALPHA) -> str:
        if not self.significant_at(alpha) or self.delta == 0:
            return "no significant difference"
        return "better" if self.improvement() > 0 else "worse"


def _ci_bounds(values) -> tuple[float, float]:
    """The 95% interval as sacrebleu's estimate_ci cuts it (1/40 from each end)."""
    import numpy as np

    ordered = np.sort(np.asarray(values, dtype=float))
    lower = len(ordered) // 40
    return float(ordered[lower]), float(ordered[len(ordered) - lower - 1])


def _resample_indices(n_segments: int, n_samples: int, seed: int):
    """The indices sacrebleu's paired bootstrap draws for this seed (numpy default_rng)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.choice(n_segments, size=(n_samples, n_segments), replace=True)


def _resampled_scores(metric, stats, idxs):
    import numpy as np

    array = np.array(stats, dtype="float32")
    return np.array([metric._compute_score_from_stats(s.sum(0)).score for s in array[idxs]])


def paired_deltas(
    baseline: list[str],
    candidate: list[str],
    refs: list[list[str]],
    *,
    metrics: tuple[str, ...] = ("bleu", "chrf", "ter"),
    test: str = "bs",
    seed: int = DEFAULT_SEED,
    n_samples: int | None = None,
    n_resamples: int = DEFAULT_SAMPLES,
) -> list[PairedDelta]:
    """Candidate vs baseline per metric: delta, its 95% CI and sacrebleu's paired p-value.

    `test` is "bs" (paired bootstrap, `n_samples` resamples, default 1000) or "ar"
    (approximate randomization, `n_samples` trials, default 10000); the delta's interval
    always comes from `n_resamples` paired bootstrap resamples (for "bs": the same ones).
    """
    from sacrebleu.significance import PairedTest

    from dilmanc.eval.metrics import HIGHER_IS_BETTER

    if test not in TESTS:
        raise UsageError(f"unknown significance test {test!r} (bs or ar)")
    if seed < 1:
        raise SettingError("seed", "must be a positive integer (sacrebleu treats 0 as unseeded)")
    if len(baseline) != len(candidate):
        raise UsageError("baseline and candidate have different numbers of segments")
    n_samples = n_samples or (DEFAULT_SAMPLES if test == "bs" else DEFAULT_AR_TRIALS)
    if test == "bs":
        n_resamples = n_samples
    with _sacrebleu_seed(seed):
        paired = PairedTest(
            [("baseline", baseline), ("candidate", candidate)],
            {m: make_metric(m) for m in metrics},
            references=refs,
            test_type=test,
            n_samples=n_samples,
        )
        _, table = paired()
    columns = [key for key in table if key != "System"]
    idxs = _resample_indices(len(baseline), n_resamples, seed)
    out = []
    for name, column in zip(metrics, columns, strict=True):
        base_res, cand_res = table[column]
        metric = make_metric(name)
        base_stats = metric._extract_corpus_statistics(baseline, refs)
        cand_stats = metric._extract_corpus_statistics(candidate, refs)
        deltas = _resampled_scores(metric, cand_stats, idxs) - _resampled_scores(
            metric, base_stats, idxs
        )
        low, high = _ci_bounds(deltas)
        base_score, cand_score = float(base_res.score), float(cand_res.score)
        p_value = 1.0 if cand_score == base_score else float(cand_res.p_value)
        out.append(
            PairedDelta(
                metric=name,
                baseline=base_score,
                candidate=cand_score,
                delta=cand_score - base_score,
                ci_low=low,
                ci_high=high,
                p_value=p_value,
                higher_is_better=HIGHER_IS_BETTER[name],
                baseline_mean=_maybe(base_res.mean),
                baseline_ci=_maybe(base_res.ci),
                candidate_mean=_maybe(cand_res.mean),
                candidate_ci=_maybe(cand_res.ci),
            )
        )
    return out


def _maybe(value) -> float | None:
    return None if value is None else float(value)


def paired_ratio_delta(
    baseline: list[tuple[int, int]],
    candidate: list[tuple[int, int]],
    *,
    metric: str = "term",
    test: str = "bs",
    seed: int = DEFAULT_SEED,
    n_samples: int | None = None,
    n_resamples: int = DEFAULT_SAMPLES,
) -> PairedDelta:
    """The same paired tests for a ratio of per-segment counts (term accuracy: hits/total).

    sacrebleu's procedures, applied to (hits, total) per segment: the bootstrap p-value
    counts centred resample differences above the observed one, approximate randomization
    counts swapped-system differences at least as large; both add one to numerator and
    denominator. A resample without any term scores 1.0, as `term_accuracy` does.
    """
    import numpy as np

    if test not in TESTS:
        raise UsageError(f"unknown significance test {test!r} (bs or ar)")
    n_samples = n_samples or (DEFAULT_SAMPLES if test == "bs" else DEFAULT_AR_TRIALS)
    if test == "bs":
        n_resamples = n_samples
    base = np.array(baseline, dtype=float).reshape(-1, 2)
    cand = np.array(candidate, dtype=float).reshape(-1, 2)

    def ratio(stats):  # stats: (..., 2) summed over segments → (...)
        hits, total = stats[..., 0], stats[..., 1]
        return np.where(total > 0, hits / np.maximum(total, 1), 1.0)

    base_score, cand_score = float(ratio(base.sum(0))), float(ratio(cand.sum(0)))
    observed = abs(cand_score - base_score)
    idxs = _resample_indices(len(base), n_resamples, seed)
    base_bs, cand_bs = ratio(base[idxs].sum(1)), ratio(cand[idxs].sum(1))
    low, high = _ci_bounds(cand_bs - base_bs)
    if test == "bs":
        diffs = np.abs(cand_bs - base_bs)
        count = int(np.sum(diffs - diffs.mean() > observed))
    else:
        rng = np.random.default_rng(seed)
        keep = rng.integers(2, size=(n_samples, len(base)), dtype=bool)
        shuffled_a = keep @ base + ~keep @ cand
        shuffled_b = ~keep @ base + keep @ cand
        count = int(np.sum(np.abs(ratio(shuffled_a) - ratio(shuffled_b)) > observed))
    p_value = 1.0 if cand_score == base_score else (count + 1) / (n_samples + 1)
    return PairedDelta(
        metric=metric,
        baseline=base_score,
        candidate=cand_score,
        delta=cand_score - base_score,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
    )
