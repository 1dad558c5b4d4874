"""The evaluation report: one self-contained HTML page and the same content in Markdown.

Sections, in order: the runs; the decision (each candidate's delta per metric against the
baseline, its 95% interval, p-value and verdict); what differs in their settings; where
(largest sentence chrF++ gains and losses, differing words marked; term accuracy per
glossary entry); at what cost (speed, load time, peak memory); notes and signatures.

Both renderers read the same `Section`/`Table` objects built here from a `diff.Comparison`,
so the Markdown (for a merge request) says what the HTML says. The HTML embeds its charts
as SVG data URIs and forbids any fetch with a Content-Security-Policy.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.eval.diff import METRIC_LABELS, TERM, Comparison, Token
from dilmanc.eval.metrics import HIGHER_IS_BETTER, METRICS
from dilmanc.eval.records import Run, slug
from dilmanc.eval.significance import PairedDelta

ARROWS = {"better": "▲ better", "worse": "▼ worse", "no significant difference": "= no sig. diff."}


@dataclass
class Cell:
    text: str
    tokens: list[Token] | None = None  # words, some marked changed (HTML <ins>/<del>)
    kind: str = ""  # "ins" or "del" for token cells; "num" right-aligns


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    caption: str = ""


@dataclass
class Chart:
    title: str
    svg: str
    alt: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@dataclass
class Section:
    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    level: int = 2


def _num(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text


def _digits(metric: str) -> int:
    return 3 if metric == TERM else 2


def _p(value: float) -> str:
    return f"{value:.4f}"


def run_name(run: Run) -> str:
    return f"{run.label} {slug(run.record.model)}"


def _c(text: str, kind: str = "") -> Cell:
    return Cell(text, kind=kind)


# --- sections ----------------------------------------------------------------------------------


def runs_section(cmp: Comparison) -> Section:
    header = ["run", "file", "model", "engine", "BLEU ↑", "chrF++ ↑", "TER ↓", "term acc. ↑"]
    rows = []
    for run in cmp.runs:
        r = run.record
        rows.append(
            [
                _c(run.label + (" (baseline)" if run is cmp.baseline else "")),
                _c(run.path.name),
                _c(r.model),
                _c(r.engine),
                *(_c(_num(r.metrics.get(m)), "num") for m in METRICS),
                _c(_num(r.term_accuracy, 3), "num"),
            ]
        )
    ts = cmp.baseline.record.testset
    intro = [
        f"Test set: {ts.name} {ts.pair}, {ts.segments} segments (sha256 {ts.sha256[:12]}...). "
        f"Baseline: {cmp.baseline.label} {cmp.baseline.path.name}."
    ]
    return Section("Runs", intro, [Table(header, rows)])


def decision_section(cmp: Comparison) -> Section:
    alpha = cmp.options.alpha
    intro = [
        f"Each candidate against the baseline on the same {cmp.baseline.record.testset.segments}"
        f" segments, from the runs' stored hypotheses: {cmp.test_name} (sacrebleu, "
        f"{cmp.n_samples} {'resamples' if cmp.options.test == 'bs' else 'trials'}, seed "
        f"{cmp.options.seed}); Δ = candidate − baseline with its 95% interval over paired "
        f"bootstrap resamples; a difference is significant when p < {alpha:g}. TER is "
        "lower-is-better, so a negative Δ is better."
    ]
    if not cmp.candidates:
        intro.append("Only one run was given: there is nothing to compare against the baseline.")
    tables = []
    header = ["metric", "baseline", "candidate", "Δ", "95% CI of Δ", "p", "verdict"]
    for cand in cmp.candidates:
        rows = [_delta_row(d, alpha) for d in cand.deltas]
        if cand.term.delta is not None:
            rows.append(_delta_row(cand.term.delta, alpha))
        else:
            rows.append([_c("term accuracy"), *[_c("–")] * 5, _c(cand.term.note)])
        caption = f"{run_name(cand.run)} ({cand.run.path.name}) against {run_name(cmp.baseline)}"
        if cand.term.delta is not None:
            caption += f"; term accuracy: {cand.term.note}"
        tables.append(Table(header, rows, caption))
    charts = metric_charts(cmp)
    return Section("Decision", intro, tables, charts)


def _delta_row(d: PairedDelta, alpha: float) -> list[Cell]:
    digits = _digits(d.metric)
    label = METRIC_LABELS[d.metric] + (" ↑" if d.higher_is_better else " ↓")
    return [
        _c(label),
        _c(_num(d.baseline, digits), "num"),
        _c(_num(d.candidate, digits), "num"),
        _c(_num(d.delta, digits, signed=True), "num"),
        _c(f"[{_num(d.ci_low, digits, True)}, {_num(d.ci_high, digits, True)}]", "num"),
        _c(_p(d.p_value), "num"),
        _c(ARROWS[d.verdict(alpha)]),
    ]


def metric_charts(cmp: Comparison) -> list[Chart]:
    from dilmanc.eval.charts import Bar, metric_chart

    by_run = {id(c.run): c for c in cmp.candidates}
    charts = []
    metrics = list(METRICS)
    if any(r.record.term_accuracy is not None for r in cmp.runs):
        metrics.append(TERM)
    for metric in metrics:
        bars = []
        for run in cmp.runs:
            value, low, high = _chart_value(run, metric, by_run.get(id(run)), cmp)
            if value is None:
                continue
            bars.append(Bar(run_name(run), value, low, high, run is cmp.baseline))
        if not bars:
            continue
        better = "higher" if HIGHER_IS_BETTER.get(metric, True) else "lower"
        unit = " %" if metric == TERM else ""
        title = f"{METRIC_LABELS[metric]}{unit} ({better} is better)"
        alt = f"{title}: " + "; ".join(f"{b.label} {b.value:.1f}" for b in bars)
        charts.append(Chart(title, metric_chart(title, bars), alt))
    return charts


def _chart_value(run: Run, metric: str, cand, cmp: Comparison):
    """A run's score for the chart and, with the bootstrap test, sacrebleu's 95% interval."""
    if metric == TERM:
        acc = run.record.term_accuracy
        return (None, None, None) if acc is None else (100 * acc, None, None)
    value = run.record.metrics.get(metric)
    source = cand or (cmp.candidates[0] if cmp.candidates else None)
    if source is None:
        return value, None, None
    delta = next(d for d in source.deltas if d.metric == metric)
    mean, ci = (
        (delta.candidate_mean, delta.candidate_ci)
        if cand is not None
        else (delta.baseline_mean, delta.baseline_ci)
    )
    if mean is None or ci is None:
        return value, None, None
    return value, mean - ci, mean + ci


def settings_section(cmp: Comparison) -> Section:
    if len(cmp.runs) < 2:
        return Section("What differs", ["One run: nothing to set against."])
    if not cmp.settings:
        return Section(
            "What differs",
            [
                "No recorded setting differs between the runs (model, revision, engine, compute "
                "type, beam, max length, glossary, dilmanc version, test data)."
            ],
        )
    header = ["setting", *(run_name(r) for r in cmp.runs)]
    rows = [[_c(s.name), *(_c(v) for v in s.values)] for s in cmp.settings]
    intro = ["Only the settings that are not the same in every run are listed."]
    return Section("What differs", intro, [Table(header, rows)])


def where_section(cmp: Comparison) -> Section:
    section = Section(
        "Where",
        [
            "Segments with the largest sentence-level chrF++ gains and losses against the "
            "baseline. Words that differ between baseline and candidate are marked: struck "
            "through in the baseline, underlined in the candidate (bold in Markdown)."
        ],
    )
    header = ["line", "chrF++ base → cand", "Δ", "source", "reference", "baseline", "candidate"]
    if cmp.options.segments == 0:
        section.intro.append("Segment changes not shown (segments: 0).")
        return section
    for cand in cmp.candidates:
        for kind, changes in (("gains", cand.gains), ("losses", cand.losses)):
            caption = f"{run_name(cand.run)}: largest {kind}"
            if not changes:
                section.intro.append(f"{caption}: none.")
                continue
            rows = [
                [
                    _c(str(ch.line), "num"),
                    _c(f"{ch.baseline_chrf:.1f} → {ch.candidate_chrf:.1f}", "num"),
                    _c(_num(ch.delta, 1, signed=True), "num"),
                    _c(ch.source),
                    _c(ch.reference),
                    Cell(ch.baseline, ch.baseline_tokens, "del"),
                    Cell(ch.candidate, ch.candidate_tokens, "ins"),
                ]
                for ch in changes
            ]
            section.tables.append(Table(header, rows, caption))
    return section


def terms_section(cmp: Comparison, limit: int = 30) -> Section:
    section = Section("Terms", [])
    for run, terms in zip(cmp.runs, cmp.run_terms, strict=True):
        if terms.status is None:
            section.intro.append(f"{run_name(run)}: no glossary.")
        elif terms.breakdown is None:
            section.intro.append(f"{run_name(run)}: not checked: {terms.status.problem}.")
        else:
            b = terms.breakdown
            names = ", ".join(Path(p).name for p in terms.status.paths)
            section.intro.append(
                f"{run_name(run)}: {b.hits}/{b.total} term occurrences rendered as the "
                f"glossary demands ({names})."
            )
    if cmp.terms:
        checked = [i for i, t in enumerate(cmp.run_terms) if t.breakdown is not None]
        header = ["term", "expected", *(run_name(cmp.runs[i]) + " hits/total" for i in checked)]
        rows = []
        for row in cmp.terms[:limit]:
            cells = [_c(row.term), _c(row.expected)]
            for i in checked:
                count = row.counts[i]
                cells.append(_c("–" if count is None else f"{count[0]}/{count[1]}", "num"))
            rows.append(cells)
        caption = "Per glossary entry, each run against its own glossary; most misses first"
        if len(cmp.terms) > limit:
            caption += f" (first {limit} of {len(cmp.terms)} entries)"
        section.tables.append(Table(header, rows, caption))
    return section


def cost_section(cmp: Comparison) -> Section:
    from dilmanc.eval.charts import Point, quality_speed_chart

    header = [
        "run",
        "segments/s ↑",
        "load s ↓",
        "translate s ↓",
        "peak memory MiB ↓",
        "chrF++ ↑",
        "BLEU ↑",
    ]
    rows, points = [], []
    for run in cmp.runs:
        r = run.record
        rows.append(
            [
                _c(run_name(run)),
                _c(_num(r.timings.segments_per_s), "num"),
                _c(_num(r.timings.load_s), "num"),
                _c(_num(r.timings.translate_s), "num"),
                _c(_num(r.peak_rss_mib, 1), "num"),
                _c(_num(r.metrics.chrf), "num"),
                _c(_num(r.metrics.bleu), "num"),
            ]
        )
        if r.timings.segments_per_s is not None:
            points.append(
                Point(run_name(run), r.timings.segments_per_s, r.metrics.chrf, run is cmp.baseline)
            )
    intro = [
        "Speed and memory as each run measured them (peak memory: the process's resident "
        "high-water mark during the run; – where the record predates it). Timings depend on "
        "the machine: compare runs made on the same one."
    ]
    charts = []
    if points:
        alt = "chrF++ against segments per second: " + "; ".join(
            f"{p.label} {p.quality:.1f} at {p.speed:.2f}/s" for p in points
        )
        charts.append(Chart("chrF++ against speed", quality_speed_chart(points), alt))
    return Section("At what cost", intro, [Table(header, rows)], charts)


def notes_section(cmp: Comparison) -> Section:
    intro = list(cmp.notes) or ["No notes."]
    header = ["run", "file", "date", "dilmanc", "signatures"]
    rows = []
    for run in cmp.runs:
        sigs = "; ".join(
            f"{METRIC_LABELS.get(m, m)} {s}" for m, s in run.record.metrics.signatures.items()
        )
        rows.append(
            [
                _c(run.label),
                _c(str(run.path)),
                _c(run.record.date),
                _c(run.record.dilmanc_version),
                _c(sigs),
            ]
        )
    return Section("Notes and provenance", intro, [Table(header, rows)])


def build_sections(cmp: Comparison) -> list[Section]:
    return [
        runs_section(cmp),
        decision_section(cmp),
        settings_section(cmp),
        where_section(cmp),
        terms_section(cmp),
        cost_section(cmp),
        notes_section(cmp),
    ]


# --- rendering -----------------------------------------------------------------------------------

# Nothing may be fetched: only inline styles and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; max-width: 90em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #999; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #eee; }
td { max-width: 30em; overflow-wrap: anywhere; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
del { text-decoration: line-through; background: #eee; }
ins { text-decoration: underline; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
</style></head>
<body>
<h1>{{ title }}</h1>
{% for section in sections %}
<section>
<h{{ section.level }}>{{ section.title }}</h{{ section.level }}>
{% for line in section.intro %}<p>{{ line }}</p>
{% endfor %}
{% for table in section.tables %}<table>
{% if table.caption %}<caption>{{ table.caption }}</caption>{% endif %}
<thead><tr>{% for h in table.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}<tr>{% for cell in row %}{{ render_cell(cell) }}{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
{% if section.charts %}<div class="charts">
{% for chart in section.charts %}<figure><img src="{{ chart.data_uri }}" alt="{{ chart.alt }}">
</figure>
{% endfor %}</div>{% endif %}
</section>
{% endfor %}
</body></html>
"""


def _html_cell(cell: Cell):
    from markupsafe import Markup, escape

    if cell.tokens is None:
        css = ' class="num"' if cell.kind == "num" else ""
        return Markup(f"<td{css}>{escape(cell.text)}</td>")
    tag = cell.kind or "ins"
    words = [
        f"<{tag}>{escape(t.text)}</{tag}>" if t.changed else str(escape(t.text))
        for t in cell.tokens
    ]
    return Markup("<td>" + " ".join(words) + "</td>")


def render_html(cmp: Comparison) -> str:
    from jinja2 import Environment

    env = Environment(autoescape=True, keep_trailing_newline=True)
    template = env.from_string(HTML_TEMPLATE)
    return template.render(
        title=_title(cmp), sections=build_sections(cmp), render_cell=_html_cell, csp=CSP
    )


def _title(cmp: Comparison) -> str:
    ts = cmp.baseline.record.testset
    return f"dilmanc evaluation report: {ts.name} {ts.pair}"


def _md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell: no cell breaks, emphasis, code or HTML tags."""
    out = text.replace("\\", "\\\\").replace("|", "\\|")
    for ch in "*_`":
        out = out.replace(ch, "\\" + ch)
    out = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", out)
    return out.replace("\n", " ")


def _md_cell(cell: Cell) -> str:
    if cell.tokens is None:
        return _md_escape(cell.text) if cell.text else " "
    return (
        " ".join(
            f"**{_md_escape(t.text)}**" if t.changed else _md_escape(t.text) for t in cell.tokens
        )
        or " "
    )


def render_markdown(cmp: Comparison) -> str:
    lines = [f"# {_title(cmp)}", ""]
    for section in build_sections(cmp):
        lines += [f"{'#' * section.level} {section.title}", ""]
        for line in section.intro:
            lines += [_md_escape(line), ""]
        for chart in section.charts:
            lines += [f"- Chart: {_md_escape(chart.alt)}"]
        if section.charts:
            lines.append("")
        for table in section.tables:
            if table.caption:
                lines += [f"**{_md_escape(table.caption)}**", ""]
            lines.append("| " + " | ".join(_md_escape(h) for h in table.header) + " |")
            lines.append(
                "|"
                + "|".join(
                    "---:" if _is_numeric(table, i) else "---" for i in range(len(table.header))
                )
                + "|"
            )
            for row in table.rows:
                lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _is_numeric(table: Table, column: int) -> bool:
    return bool(table.rows) and all(
        row[column].kind == "num" for row in table.rows if column < len(row)
    )
