"""Quality gates for CI: absolute floors, and a regression gate against a baseline run.

Floors: `--fail-below bleu=25,chrf=50,ter=60,term=0.9`.

BLEU and chrF++ fail when the score is under the floor. TER is lower-is-better, so its
value is a ceiling: `ter=60` fails when TER is above 60. `term` gates term accuracy, a
fraction between 0 and 1 (as in the `term_accuracy` field).

Regression (`eval gate`): `--max-drop bleu=0.5,chrf=0.5` and `--max-term-drop 0.01`. A
metric fails only when the candidate is worse than the baseline by more than its tolerance
AND the difference is significant (p < alpha, paired test on the runs' hypotheses): a small
test set's noise never blocks a merge, and neither does an insignificant wobble.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dilmanc.errors import COLON, QualityGateFailed, SettingError
from dilmanc.eval.metrics import HIGHER_IS_BETTER, LABELS, METRICS, metric_name
from dilmanc.eval.significance import PairedDelta

TERM = "term"
GATED = (*METRICS, TERM)


def parse_floors(spec: str | None) -> dict[str, float]:
    """`"bleu=25,chrf=50"` → {"bleu": 25.0, "chrf": 50.0}; UsageError on a malformed item."""
    floors: dict[str, float] = {}
    if not spec:
        return floors
    for item in spec.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingError(
                "fail_below", f"{item.strip()!r} is not METRIC=VALUE (bleu=25)", template=COLON
            )
        key = TERM if name.strip().lower() in (TERM, "term_accuracy") else metric_name(name)
        try:
            floors[key] = float(value)
        except ValueError:
            raise SettingError(
                "fail_below", f"{value.strip()!r} is not a number", template=COLON
            ) from None
        if key == TERM and not 0 <= floors[key] <= 1:
            raise SettingError(
                "fail_below", "term accuracy is a fraction between 0 and 1", template=COLON
            )
    return floors


def gate_failures(values: dict[str, float | None], floors: dict[str, float]) -> list[str]:
    """One phrase per metric that misses its floor, e.g. "BLEU 12.30 < 25"."""
    failures = []
    for name, floor in floors.items():
        value = values.get(name)
        label = "term accuracy" if name == TERM else LABELS[name]
        if value is None:
            failures.append(f"{label} was not measured (floor {floor:g})")
        elif HIGHER_IS_BETTER.get(name, True) and value < floor:
            failures.append(f"{label} {value:.2f} < {floor:g}")
        elif not HIGHER_IS_BETTER.get(name, True) and value > floor:
            failures.append(f"{label} {value:.2f} > {floor:g} (lower is better)")
    return failures


def check_floors(values: dict[str, float | None], floors: dict[str, float]) -> None:
    """Raise QualityGateFailed (exit 1) naming every metric, value and floor that failed."""
    failures = gate_failures(values, floors)
    if failures:
        raise QualityGateFailed("quality gate failed: " + "; ".join(failures))


# --- regression gate: candidate against baseline (`eval gate`) --------------------------------


def parse_max_drops(spec: str | None) -> dict[str, float]:
    """`"bleu=0.5,chrf=0.5,ter=1"` → tolerated drop per metric, in its own points.

    For TER, lower is better: its "drop" is a rise of TER.
    """
    drops: dict[str, float] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingError(
                "max_drop", f"{item.strip()!r} is not METRIC=POINTS (bleu=0.5)", template=COLON
            )
        if name.strip().lower() in (TERM, "term_accuracy"):
            raise SettingError(
                "max_term_drop",
                "term accuracy is not a metric of max drop",
                template="{problem}; gate it with {option} FRACTION",
            )
        key = metric_name(name)
        try:
            drops[key] = float(value)
        except ValueError:
            raise SettingError(
                "max_drop", f"{value.strip()!r} is not a number", template=COLON
            ) from None
        if not drops[key] >= 0:
            raise SettingError("max_drop", f"{name.strip()} must be 0 or more", template=COLON)
    return drops


@dataclass
class GateLine:
    metric: str
    delta: PairedDelta
    tolerance: float | None  # None: not gated
    alpha: float

    @property
    def label(self) -> str:
        return "term accuracy" if self.metric == TERM else LABELS[self.metric]

    @property
    def drop(self) -> float:
        """How much worse the candidate is, in the metric's units (negative: it is better)."""
        return -self.delta.improvement()

    @property
    def significant(self) -> bool:
        return self.delta.significant_at(self.alpha)

    @property
    def failed(self) -> bool:
        return self.tolerance is not None and self.drop > self.tolerance and self.significant

    def text(self) -> str:
        d, digits = self.delta, 3 if self.metric == TERM else 2
        head = (
            f"{self.label}: {d.baseline:.{digits}f} -> {d.candidate:.{digits}f}, "
            f"delta {d.delta:+.{digits}f} [95% CI {d.ci_low:+.{digits}f}, {d.ci_high:+.{digits}f}]"
            f", p = {d.p_value:.4f}: {d.verdict(self.alpha)}"
        )
        if self.tolerance is None:
            return f"{head}; not gated"
        drop = f"drop {max(self.drop, 0.0) or 0.0:.{digits}f}"
        if self.drop <= self.tolerance:
            return f"{head}; {drop} within {self.tolerance:g}: pass"
        if not self.significant:
            return (
                f"{head}; {drop} exceeds {self.tolerance:g} but p >= {self.alpha:g} "
                "(not significant): pass"
            )
        return f"{head}; {drop} exceeds {self.tolerance:g} and is significant: FAIL"

    def as_dict(self) -> dict:
        d = self.delta
        return {
            "metric": self.metric,
            "baseline": d.baseline,
            "candidate": d.candidate,
            "delta": d.delta,
            "ci95": [d.ci_low, d.ci_high],
            "p_value": d.p_value,
            "verdict": d.verdict(self.alpha),
            "max_drop": self.tolerance,
            "drop": self.drop,
            "gated": self.tolerance is not None,
            "failed": self.failed,
        }


@dataclass
class GateVerdict:
    baseline: str
    candidate: str
    test: str
    n_samples: int
    seed: int
    alpha: float
    lines: list[GateLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(line.failed for line in self.lines)

    @property
    def failures(self) -> list[GateLine]:
        return [line for line in self.lines if line.failed]

    def as_dict(self) -> dict:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "test": self.test,
            "n_samples": self.n_samples,
            "seed": self.seed,
            "alpha": self.alpha,
            "passed": self.passed,
            "metrics": [line.as_dict() for line in self.lines],
            "notes": self.notes,
        }

    def raise_if_failed(self) -> None:
        """QualityGateFailed (exit 1) naming every metric whose significant drop is too big."""
        if not self.passed:
            named = ", ".join(
                f"{line.label} dropped {line.drop:.3g} > {line.tolerance:g} "
                f"(p = {line.delta.p_value:.4f})"
                for line in self.failures
            )
            raise QualityGateFailed(f"regression gate failed: {named}")


def judge(comparison, max_drops: dict[str, float], max_term_drop: float | None) -> GateVerdict:
    """The gate's verdict on a baseline/candidate `diff.Comparison` (one candidate)."""
    cand = comparison.candidates[0]
    alpha = comparison.options.alpha
    verdict = GateVerdict(
        baseline=str(comparison.baseline.path),
        candidate=str(cand.run.path),
        test=comparison.test_name,
        n_samples=comparison.n_samples,
        seed=comparison.options.seed,
        alpha=alpha,
        notes=list(comparison.notes),
    )
    for delta in cand.deltas:
        verdict.lines.append(GateLine(delta.metric, delta, max_drops.get(delta.metric), alpha))
    if cand.term.delta is not None:
        verdict.lines.append(GateLine(TERM, cand.term.delta, max_term_drop, alpha))
        verdict.notes.append(f"term accuracy: {cand.term.note}")
    elif cand.term.note:
        verdict.notes.append(f"term accuracy: {cand.term.note}")
    return verdict
