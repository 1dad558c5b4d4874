"""Quality gate: `--fail-below bleu=25,chrf=50,ter=60,term=0.9` for CI release checks.

BLEU and chrF++ fail when the score is under the floor. TER is lower-is-better, so its
value is a ceiling: `ter=60` fails when TER is above 60. `term` gates term accuracy, a
fraction between 0 and 1 (as in the `term_accuracy` field).
"""

from __future__ import annotations

from dilmanc.errors import QualityGateFailed, UsageError
from dilmanc.eval.metrics import HIGHER_IS_BETTER, LABELS, METRICS, metric_name

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
            raise UsageError(f"--fail-below: {item.strip()!r} is not METRIC=VALUE (bleu=25)")
        key = TERM if name.strip().lower() in (TERM, "term_accuracy") else metric_name(name)
        try:
            floors[key] = float(value)
        except ValueError:
            raise UsageError(f"--fail-below: {value.strip()!r} is not a number") from None
        if key == TERM and not 0 <= floors[key] <= 1:
            raise UsageError("--fail-below: term accuracy is a fraction between 0 and 1")
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
