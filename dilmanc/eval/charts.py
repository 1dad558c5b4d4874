"""Small charts for the evaluation report, as SVG text (matplotlib, Agg, imported lazily).

One chart per metric, each on its own axis (BLEU and chrF++ 0–100, TER its own range, term
accuracy in %), and one of quality against speed. Every chart reads without colour: the
baseline bar is hatched, values are written on the bars, points carry their run label and
a distinct marker. SVG output is made reproducible (fixed ids, no date).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


@dataclass
class Bar:
    label: str  # "#1 opus-mt-az-en"
    value: float
    low: float | None = None  # 95% interval, when known
    high: float | None = None
    baseline: bool = False


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _svg(fig) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dilmanc", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def metric_chart(title: str, bars: list[Bar], unit: str = "") -> str:
    """Horizontal bars, one per run, value written at each bar's end; SVG text."""
    fig = _figure(4.2, 0.9 + 0.45 * len(bars))
    ax = fig.add_subplot()
    ys = list(range(len(bars)))[::-1]
    values = [b.value for b in bars]
    drawn = ax.barh(
        ys,
        values,
        height=0.6,
        color=["#d9d9d9" if b.baseline else "#ffffff" for b in bars],
        edgecolor="#222222",
        hatch=None,
    )
    for patch, bar in zip(drawn, bars, strict=True):
        if bar.baseline:
            patch.set_hatch("///")
    for y, bar in zip(ys, bars, strict=True):
        if bar.low is not None and bar.high is not None:
            ax.errorbar(  # sacrebleu's interval is around the bootstrap mean, not the score
                (bar.low + bar.high) / 2,
                y,
                xerr=(bar.high - bar.low) / 2,
                fmt="none",
                ecolor="#000000",
                capsize=3,
                linewidth=1,
            )
    top = max([b.high or b.value for b in bars] + [1.0])
    ax.set_xlim(0, top * 1.25)
    for y, bar in zip(ys, bars, strict=True):
        ax.text(
            (bar.high if bar.high is not None else bar.value) + top * 0.02,
            y,
            f"{bar.value:.1f}{unit}",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([b.label + (" (baseline)" if b.baseline else "") for b in bars], fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return _svg(fig)


@dataclass
class Point:
    label: str
    speed: float  # segments per second
    quality: float  # chrF++
    baseline: bool = False


def quality_speed_chart(points: list[Point], quality_label: str = "chrF++") -> str:
    """Quality (y) against speed (x), one labelled marker per run; SVG text."""
    fig = _figure(4.6, 3.2)
    ax = fig.add_subplot()
    for i, point in enumerate(points):
        ax.scatter(
            [point.speed],
            [point.quality],
            marker=MARKERS[i % len(MARKERS)],
            s=60,
            facecolors="#000000" if point.baseline else "#ffffff",
            edgecolors="#000000",
            linewidths=1.2,
            zorder=3,
        )
        ax.annotate(
            point.label + (" (baseline)" if point.baseline else ""),
            (point.speed, point.quality),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=8,
        )
    ax.set_xlabel("speed: segments per second (higher is faster)", fontsize=8)
    ax.set_ylabel(f"{quality_label} (higher is better)", fontsize=8)
    ax.set_title(f"{quality_label} against speed", fontsize=9)
    ax.grid(True, linestyle=":", linewidth=0.6, color="#888888")
    ax.tick_params(labelsize=7)
    if points:
        xs = [p.speed for p in points]
        ys = [p.quality for p in points]
        pad_x = (max(xs) - min(xs)) * 0.25 or max(max(xs) * 0.25, 0.5)
        pad_y = (max(ys) - min(ys)) * 0.25 or 2.0
        ax.set_xlim(max(0.0, min(xs) - pad_x), max(xs) + pad_x * 1.6)
        ax.set_ylim(max(0.0, min(ys) - pad_y), max(ys) + pad_y)
    fig.tight_layout()
    return _svg(fig)
