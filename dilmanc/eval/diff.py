"""Baseline against candidates: what changed, how sure we are, where, and at what cost.

`build_comparison` reads nothing but run records, their stored hypotheses, the test set they
name (hash-checked through `testsets`) and their glossary files (hash-checked through
`terms`). It returns a typed `Comparison` that `report.py` renders and `gate.py` judges.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.errors import COLON, InputError, ResourceUnavailable, SettingError, UsageError
from dilmanc.eval.metrics import LABELS, METRICS
from dilmanc.eval.records import Run, RunRecord, read_run
from dilmanc.eval.significance import ALPHA, DEFAULT_SEED, TESTS, PairedDelta
from dilmanc.eval.terms import GlossaryStatus, TermBreakdown, run_glossary, term_breakdown

TERM = "term"
METRIC_LABELS = {**LABELS, TERM: "term accuracy"}


@dataclass
class CompareOptions:
    test: str = "bs"  # "bs" paired bootstrap, "ar" approximate randomization
    seed: int = DEFAULT_SEED
    samples: int | None = None  # None: sacrebleu's default for the test (1000 / 10000)
    alpha: float = ALPHA
    segments: int = 10  # largest gains and losses shown per candidate
    data_dir: str | None = None
    require_terms: bool = False  # the gate asked for term accuracy: unavailable is an error

    def check(self) -> None:
        if self.test not in TESTS:
            raise SettingError("test", f"must be bs or ar, not {self.test!r}")
        if not 0 < self.alpha < 1:
            raise SettingError("alpha", "must be between 0 and 1 (e.g. 0.05)")
        if self.samples is not None and self.samples < 10:
            raise SettingError("samples", "must be at least 10")
        if self.segments < 0:
            raise SettingError("segments", "must be 0 or more")


# --- loading and matching runs ---------------------------------------------------------------


def load_runs(paths: list[str | Path]) -> list[Run]:
    """Read every record with its hypotheses; labels #1, #2... in the order given."""
    if not paths:
        raise UsageError("no run records given")
    runs = [read_run(path) for path in paths]
    seen: dict[Path, Path] = {}
    for run in runs:
        key = run.path.resolve()
        if key in seen:
            raise UsageError(f"{run.path} is given more than once")
        seen[key] = run.path
    for i, run in enumerate(runs):
        run.label = f"#{i + 1}"
    return runs


def find_baseline(runs: list[Run], spec: str | None) -> int:
    """Index of the run `spec` names (its path or file name); the first run when None."""
    if spec is None:
        return 0
    wanted = Path(spec)
    for i, run in enumerate(runs):
        if wanted.exists() and run.path.exists() and wanted.resolve() == run.path.resolve():
            return i
    names = [i for i, run in enumerate(runs) if spec in (run.path.name, run.name)]
    if len(names) == 1:
        return names[0]
    raise SettingError("baseline", f"{spec} is not among the runs given")


def check_comparable(runs: list[Run]) -> None:
    """InputError unless every run is on the same test set, pair and segments."""
    first = runs[0]
    for run in runs[1:]:
        a, b = first.record.testset, run.record.testset
        if (a.name, a.pair) != (b.name, b.pair):
            raise InputError(
                f"{first.path} ({a.name} {a.pair}) and {run.path} ({b.name} {b.pair}) are on "
                "different test sets or pairs; only runs on the same one can be compared"
            )
        if a.segments != b.segments or [f.sha256 for f in a.files] != [f.sha256 for f in b.files]:
            raise InputError(
                f"{first.path} and {run.path} used different data of {a.name} {a.pair} "
                f"({a.segments} vs {b.segments} segments or other files); they do not pair"
            )


@dataclass
class TestData:
    __test__ = False

    sources: list[str]
    references: list[str]
    target_lang: str
    files: list[str]


def load_test_data(run: Run, data_dir: str | None) -> TestData:
    """Sources and references of the run's test set, hash-checked; exit 3 when unavailable."""
    from dilmanc.eval.testsets import get_pair, get_testset, load_pair

    ts = run.record.testset
    test_pair = get_pair(get_testset(ts.name), ts.pair)
    registered = [f.sha256 for f in test_pair.files]
    if sorted(registered) != sorted(f.sha256 for f in ts.files):
        raise InputError(
            f"{run.path}: its {ts.name} {ts.pair} files are not the registered ones (sha256 "
            "differs); it cannot be re-scored here"
        )
    where = data_dir
    if where is None:  # look beside the files the run read, then the usual places
        recorded = Path(ts.files[0].path)
        if recorded.parent.name == ts.name and recorded.is_file():
            where = str(recorded.parent.parent)
    try:
        data = load_pair(ts.name, ts.pair, where, ts.segments)
    except ResourceUnavailable as err:
        raise ResourceUnavailable(
            f"test set of {run.path} is unavailable, so sources and references cannot be "
            f"shown or compared: {err}"
        ) from None
    if len(data.sources) != ts.segments:
        raise InputError(
            f"{run.path}: record says {ts.segments} segments, test set has {len(data.sources)}"
        )
    return TestData(data.sources, data.references, ts.pair.split("-")[-1], list(data.files))


# --- what the report and gate show -------------------------------------------------------------


@dataclass
class Token:
    text: str
    changed: bool


@dataclass
class SegmentChange:
    line: int  # 1-based
    source: str
    reference: str
    baseline: str
    candidate: str
    baseline_chrf: float
    candidate_chrf: float
    baseline_tokens: list[Token] = field(default_factory=list)
    candidate_tokens: list[Token] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return self.candidate_chrf - self.baseline_chrf


@dataclass
class TermComparison:
    """The candidate's and baseline's hypotheses checked against one glossary."""

    delta: PairedDelta | None
    glossary_of: str  # label of the run whose glossary was used, or ""
    note: str = ""  # why there is no delta, or which glossary was used


@dataclass
class CandidateResult:
    run: Run
    deltas: list[PairedDelta]  # bleu, chrf, ter in that order
    term: TermComparison
    gains: list[SegmentChange] = field(default_factory=list)
    losses: list[SegmentChange] = field(default_factory=list)


@dataclass
class SettingRow:
    name: str
    values: list[str]  # one per run, in run order


@dataclass
class TermRow:
    key: str
    term: str
    expected: str
    counts: list[tuple[int, int] | None]  # (hits, total) per run; None: not measured


@dataclass
class RunTerms:
    status: GlossaryStatus | None
    breakdown: TermBreakdown | None


@dataclass
class Comparison:
    runs: list[Run]
    baseline: Run
    candidates: list[CandidateResult]
    options: CompareOptions
    settings: list[SettingRow]
    terms: list[TermRow]
    run_terms: list[RunTerms]
    notes: list[str]

    @property
    def test_name(self) -> str:
        return TESTS[self.options.test]

    @property
    def n_samples(self) -> int:
        from dilmanc.eval.significance import DEFAULT_AR_TRIALS, DEFAULT_SAMPLES

        if self.options.samples:
            return self.options.samples
        return DEFAULT_SAMPLES if self.options.test == "bs" else DEFAULT_AR_TRIALS


def _word_diff(a: str, b: str) -> tuple[list[Token], list[Token]]:
    left, right = a.split(), b.split()
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, left, right, autojunk=False
    ).get_opcodes():
        same = op == "equal"
        out_a += [Token(w, not same) for w in left[i1:i2]]
        out_b += [Token(w, not same) for w in right[j1:j2]]
    return out_a, out_b


def sentence_chrf(hyps: list[str], refs: list[str]) -> list[float]:
    from dilmanc.eval.metrics import make_metric

    metric = make_metric("chrf")
    return [float(metric.sentence_score(h, [r]).score) for h, r in zip(hyps, refs, strict=True)]


def segment_changes(
    base: Run, cand: Run, data: TestData, base_chrf: list[float], count: int
) -> tuple[list[SegmentChange], list[SegmentChange]]:
    """The `count` largest sentence chrF++ gains and losses of `cand` against `base`."""
    cand_chrf = sentence_chrf(cand.hypotheses, data.references)
    order = sorted(range(len(cand_chrf)), key=lambda i: (cand_chrf[i] - base_chrf[i], i))

    def change(i: int) -> SegmentChange:
        b_tokens, c_tokens = _word_diff(base.hypotheses[i], cand.hypotheses[i])
        return SegmentChange(
            i + 1,
            data.sources[i],
            data.references[i],
            base.hypotheses[i],
            cand.hypotheses[i],
            base_chrf[i],
            cand_chrf[i],
            b_tokens,
            c_tokens,
        )

    losses = [change(i) for i in order[:count] if cand_chrf[i] < base_chrf[i]]
    gains = [
        change(i) for i in reversed(order[-count:] if count else []) if cand_chrf[i] > base_chrf[i]
    ]
    return gains, losses


def _short_hash(value: str | None) -> str:
    if not value:
        return "–"
    prefix, sep, digest = value.partition(":")
    return f"{prefix}:{digest[:12]}" if sep else value[:12]


SETTINGS = (
    ("model", lambda r: r.model),
    ("model revision", lambda r: _short_hash(r.revision)),
    ("engine", lambda r: r.engine),
    ("compute type", lambda r: r.compute_type or "–"),
    ("device", lambda r: r.options.device if r.options else "–"),
    ("beam", lambda r: str(r.beam) if r.beam is not None else "–"),
    ("max length", lambda r: str(r.max_length) if r.max_length is not None else "–"),
    (
        "glossary files",
        lambda r: ", ".join(Path(f.path).name for f in r.glossary.files) if r.glossary else "none",
    ),
    ("glossary sha256", lambda r: _short_hash(r.glossary.sha256) if r.glossary else "–"),
    ("glossary mode", lambda r: r.glossary_mode or "–"),
    ("dilmanc version", lambda r: r.dilmanc_version),
    ("test set sha256", lambda r: _short_hash(r.testset.sha256)),
    ("sacrebleu signatures", lambda r: _short_hash(_signature_hash(r))),
)


def _signature_hash(record: RunRecord) -> str:
    import hashlib

    text = "|".join(f"{k}={v}" for k, v in sorted(record.metrics.signatures.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def differing_settings(records: list[RunRecord]) -> list[SettingRow]:
    """The settings that are not the same in every run (all of them for one run: none)."""
    rows = []
    for name, getter in SETTINGS:
        values = [getter(r) for r in records]
        if len(set(values)) > 1:
            rows.append(SettingRow(name, values))
    return rows


def _compare_terms(
    base_i: int, cand_i: int, runs: list[Run], statuses, data: TestData, opts: CompareOptions
) -> TermComparison:
    from dilmanc.eval.significance import paired_ratio_delta

    base_status, cand_status = statuses[base_i], statuses[cand_i]
    chosen, owner = (base_status, base_i) if base_status is not None else (cand_status, cand_i)
    if chosen is None:
        if opts.require_terms:
            raise SettingError(
                "max_term_drop",
                "neither run used a glossary, so there is no term accuracy to gate",
                template=COLON,
            )
        return TermComparison(None, "", "neither run used a glossary")
    if not chosen.usable:
        if opts.require_terms:
            error = ResourceUnavailable if chosen.missing else InputError
            raise error(f"cannot check term accuracy: {chosen.problem}")
        return TermComparison(None, "", f"not compared: {chosen.problem}")
    glossary = chosen.glossary
    base = term_breakdown(data.sources, runs[base_i].hypotheses, data.target_lang, glossary)
    cand = term_breakdown(data.sources, runs[cand_i].hypotheses, data.target_lang, glossary)
    delta = paired_ratio_delta(
        base.segments, cand.segments, test=opts.test, seed=opts.seed, n_samples=opts.samples
    )
    whose = "the baseline's" if owner == base_i else "the candidate's (the baseline had none)"
    note = f"both runs checked against {whose} glossary ({runs[owner].label})"
    if base.total == 0:
        note += "; the test data holds none of its terms"
    return TermComparison(delta, runs[owner].label, note)


def _consistency_notes(run: Run, data: TestData, deltas_score: float | None) -> list[str]:
    notes = []
    if deltas_score is not None and abs(deltas_score - run.record.metrics.chrf) > 1e-6:
        notes.append(
            f"{run.label} {run.path.name}: its stored hypotheses score chrF++ "
            f"{deltas_score:.2f}, the record says {run.record.metrics.chrf:.2f} "
            "(hypotheses edited after the run?)"
        )
    return notes


def build_comparison(
    runs: list[Run], baseline_index: int, opts: CompareOptions, *, gate: bool = False
) -> Comparison:
    """Compare runs[baseline_index] with every other run (all checked to pair first)."""
    from dilmanc.eval.significance import paired_deltas

    opts.check()
    check_comparable(runs)
    base = runs[baseline_index]
    data = load_test_data(base, opts.data_dir)
    refs = [data.references]
    statuses = [run_glossary(run.record, run.path) for run in runs]
    notes: list[str] = []
    base_chrf = sentence_chrf(base.hypotheses, data.references) if not gate else []
    candidates = []
    for i, run in enumerate(runs):
        if i == baseline_index:
            continue
        deltas = paired_deltas(
            base.hypotheses,
            run.hypotheses,
            refs,
            metrics=METRICS,
            test=opts.test,
            seed=opts.seed,
            n_samples=opts.samples,
        )
        notes += _consistency_notes(run, data, deltas[1].candidate)
        if len(candidates) == 0:
            notes += _consistency_notes(base, data, deltas[1].baseline)
        term = _compare_terms(baseline_index, i, runs, statuses, data, opts)
        result = CandidateResult(run, deltas, term)
        if not gate:
            result.gains, result.losses = segment_changes(base, run, data, base_chrf, opts.segments)
        candidates.append(result)
    run_terms, term_rows = [], []
    if not gate:
        run_terms, term_rows = _term_tables(runs, statuses, data)
        notes += [s.problem for s in statuses if s is not None and s.problem]
        notes += _record_notes(runs)
    return Comparison(
        runs,
        base,
        candidates,
        opts,
        differing_settings([r.record for r in runs]),
        term_rows,
        run_terms,
        notes,
    )


def _term_tables(runs: list[Run], statuses, data: TestData) -> tuple[list[RunTerms], list[TermRow]]:
    """Per run, its hypotheses against its own glossary; rows: entries, most misses first."""
    per_run = []
    for run, status in zip(runs, statuses, strict=True):
        breakdown = None
        if status is not None and status.usable:
            breakdown = term_breakdown(
                data.sources, run.hypotheses, data.target_lang, status.glossary
            )
        per_run.append(RunTerms(status, breakdown))
    rows: dict[str, TermRow] = {}
    for i, terms in enumerate(per_run):
        if terms.breakdown is None:
            continue
        for key, tally in terms.breakdown.entries.items():
            row = rows.setdefault(key, TermRow(key, tally.term, tally.expected, [None] * len(runs)))
            row.counts[i] = (tally.hits, tally.total)
    for i, terms in enumerate(per_run):  # a run with a glossary lacking the entry: 0 of 0
        if terms.breakdown is not None:
            for row in rows.values():
                if row.counts[i] is None:
                    row.counts[i] = (0, 0)

    def misses(row: TermRow) -> tuple:
        missed = sum(t - h for c in row.counts if c for h, t in [c])
        total = sum(t for c in row.counts if c for _, t in [c])
        return (-missed, -total, row.term)

    return per_run, sorted(rows.values(), key=misses)


def _record_notes(runs: list[Run]) -> list[str]:
    notes = []
    ts = runs[0].record.testset
    if ts.translationese:
        notes.append(f"{ts.name}: translationese source. {ts.note}".strip())
    signatures = {}
    for run in runs:
        for metric, sig in run.record.metrics.signatures.items():
            signatures.setdefault(metric, set()).add(sig.split("|version:")[0])
    for metric, sigs in signatures.items():
        if len(sigs) > 1:
            notes.append(f"{LABELS.get(metric, metric)} signatures differ between runs.")
    return notes
