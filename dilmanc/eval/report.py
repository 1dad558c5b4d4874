"""Side-by-side reports of benchmark runs: a self-contained HTML page and Markdown.

The HTML embeds its chart as a base64 PNG (matplotlib, Agg backend, imported lazily), so
the file can be mailed or archived on its own. Test sets whose source side is
translationese (NTREX-128 az/ru, translated from English) get a note under the table.
"""

from __future__ import annotations

import base64
import html
import io

from dilmanc.eval.metrics import LABELS, METRICS
from dilmanc.eval.records import slug

COLUMNS = ("run", "model", "engine", "test set", "pair", "segments", *METRICS, "term", "seconds")


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def run_label(index: int) -> str:
    return f"#{index + 1}"


def table_rows(records: list[dict]) -> list[list[str]]:
    rows = []
    for i, rec in enumerate(records):
        metrics = rec.get("metrics", {})
        term = rec.get("term_accuracy")
        rows.append(
            [
                run_label(i),
                str(rec.get("model", "")),
                str(rec.get("engine", "")),
                rec["testset"].get("name", ""),
                rec["testset"].get("pair", ""),
                _fmt(rec["testset"].get("segments")),
                *(_fmt(metrics.get(m)) for m in METRICS),
                _fmt(term, 3) if term is not None else "–",
                _fmt((rec.get("timings") or {}).get("total_s")),
            ]
        )
    return rows


def header() -> list[str]:
    names = {m: LABELS[m] + (" ↓" if m == "ter" else " ↑") for m in METRICS}
    return [names.get(c, c) for c in COLUMNS]


def notes(records: list[dict]) -> list[str]:
    """One note per translationese test set used by the runs, plus signature lines."""
    out = []
    seen = set()
    for rec in records:
        ts = rec["testset"]
        if ts.get("translationese") and ts.get("name") not in seen:
            seen.add(ts.get("name"))
            out.append(f"{ts.get('name')}: translationese source. {ts.get('note', '')}".strip())
    signatures = {}
    for rec in records:
        for metric, sig in (rec.get("metrics", {}).get("signatures") or {}).items():
            signatures.setdefault(metric, set()).add(sig)
    for metric, sigs in signatures.items():
        if len(sigs) > 1:
            out.append(
                f"{LABELS.get(metric, metric)} signatures differ between runs: not comparable."
            )
    return out


def chart_png(records: list[dict]) -> bytes:
    """Grouped bars of BLEU, chrF++ and TER per run, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(5.0, 1.2 * len(records) + 3), 3.6), dpi=100)
    ax = fig.add_subplot()
    width = 0.8 / len(METRICS)
    for j, metric in enumerate(METRICS):
        values = [rec.get("metrics", {}).get(metric) or 0.0 for rec in records]
        xs = [i + (j - (len(METRICS) - 1) / 2) * width for i in range(len(records))]
        bars = ax.bar(
            xs, values, width, label=LABELS[metric] + (" (lower is better)" * (metric == "ter"))
        )
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(range(len(records)))
    ax.set_xticklabels(
        [
            f"{run_label(i)} {r['testset'].get('pair', '')}\n{slug(str(r.get('model', '')))}"
            for i, r in enumerate(records)
        ],
        fontsize=8,
    )
    ax.set_ylabel("score")
    ax.legend(fontsize=8)
    ax.set_title("dilmanc benchmark runs")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def render_html(records: list[dict], sources: list[str]) -> str:
    """A self-contained HTML page: runs table, embedded chart, notes, signatures."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header())
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
        for row in table_rows(records)
    )
    image = base64.b64encode(chart_png(records)).decode("ascii")
    note_items = "".join(f"<li>{esc(n)}</li>" for n in notes(records))
    details = "".join(
        f"<li>{esc(run_label(i))}: {esc(src)} — {esc(r.get('date', ''))}, dilmanc "
        f"{esc(str(r.get('dilmanc_version', '')))}; "
        + "; ".join(
            f"{esc(LABELS.get(m, m))} {esc(s)}"
            for m, s in (r.get("metrics", {}).get("signatures") or {}).items()
        )
        + "</li>"
        for i, (r, src) in enumerate(zip(records, sources, strict=True))
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dilmanc evaluation report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 4px 8px; text-align: right; }}
th {{ background: #eee; }}
td:nth-child(-n+5) {{ text-align: left; }}
</style></head>
<body>
<h1>dilmanc evaluation report</h1>
<table class="runs">
<thead><tr>{head}</tr></thead>
<tbody>{body}</tbody>
</table>
<p><img alt="scores per run" src="data:image/png;base64,{image}"></p>
<h2>Notes</h2>
<ul>{note_items or "<li>No notes.</li>"}</ul>
<h2>Runs</h2>
<ul>{details}</ul>
</body></html>
"""


def render_markdown(records: list[dict], sources: list[str]) -> str:
    cells = header()
    lines = ["# dilmanc evaluation report", "", "| " + " | ".join(cells) + " |"]
    lines.append("|" + "|".join("---" for _ in cells) + "|")
    lines += [
        "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table_rows(records)
    ]
    lines.append("")
    for note in notes(records):
        lines.append(f"> {note}")
        lines.append("")
    for i, (rec, src) in enumerate(zip(records, sources, strict=True)):
        sigs = rec.get("metrics", {}).get("signatures") or {}
        sig_text = "; ".join(f"{LABELS.get(m, m)} `{s}`" for m, s in sigs.items())
        lines.append(f"- {run_label(i)}: `{src}`, {rec.get('date', '')}; {sig_text}")
    return "\n".join(lines) + "\n"
