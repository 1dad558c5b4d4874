"""Quality estimation: signals and one verdict (ok | review | bad) with reasons for every
translated segment, whatever made it (the model, the cache, the memory, another system).

    from dilmanc.qe import Segment, assess
    assess(Segment("2019-cu ildə", "In 2018", "az", "en")).reasons  # ["number"]

One module per detector family (model, checks, entities, language, hallucination); the
registry (`DETECTORS`) runs them all. Thresholds live in `Thresholds`, calibrated by
benchmarks/qe.py on NTREX references with injected faults.
"""

from dilmanc.qe.base import (
    BAD,
    DEFAULT_THRESHOLDS,
    OK,
    REVIEW,
    VERDICTS,
    Assessment,
    Finding,
    ModelSignals,
    Segment,
    Thresholds,
    worst,
)
from dilmanc.qe.registry import DETECTORS, assess, assess_lines

__all__ = [
    "BAD",
    "DEFAULT_THRESHOLDS",
    "DETECTORS",
    "OK",
    "REVIEW",
    "VERDICTS",
    "Assessment",
    "Finding",
    "ModelSignals",
    "Segment",
    "Thresholds",
    "assess",
    "assess_lines",
    "worst",
]
