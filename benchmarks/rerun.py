"""Re-run benchmark: an unchanged document translated twice with the same model and memory.

    python benchmarks/rerun.py --json rerun.json        # NTREX az (1,997 lines), opus-mt base
    python benchmarks/rerun.py --quick                  # 200 lines, mini model (smoke test)

The NTREX-128 Azerbaijani file (read from ../shared at run time, never copied) is translated
by `dilmanc translate FILE --model CT2DIR --tm DB --report R.json` with an opus-mt-base-shaped
CTranslate2 int8 model (random weights, so every segment decodes exactly --tokens tokens:
`--min-length = --max-length`), first into a fresh translation-memory file and then a second
time, unchanged, with the same file: the second run's sentences all come from the machine
cache. Each run is its own process (`python -m dilmanc translate ...`). Reported per run:
the process wall time and CPU time (user + sys; start-up, imports and model load included),
the command's own `seconds.total` and `total - load` from --report, and its memory counts
{context, exact, fuzzy, cache, machine}. Ratios are first / second for each clock (target:
>= 50x).

Each round starts from a fresh memory file; the fastest round counts for each run (other load
on a small shared machine only slows a run down). Both runs' outputs must be identical.
`--second-runs N` repeats the cached run N times per round (the first run is the long one).

`cached_run_seconds` is the process wall time of the fully cached run with --report (so
quality estimation runs on every sentence: the report holds its verdicts);
`cached_run_seconds_without_report` is the same command without --report (quiet, text
output: nothing reads QE verdicts, so none are made), as a scripted re-run would be.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _models import MINI_MARIAN, MarianShape, build_marian, convert_ct2  # noqa: E402
from throughput import (  # noqa: E402
    _cores,
    _env,
    ntrex_inputs,
    run_cpu_measured,
    translate_cmd,
)


def translate_run(
    model: Path, source: Path, out_dir: Path, tm: Path, opts, home: Path, report: bool = True
) -> dict:
    """One `dilmanc translate` process with the memory file `tm`; its times and counts (only
    times and output without `report`)."""
    report_path = out_dir.with_suffix(".report.json")
    args = {"target": "en", "threads": opts.threads}
    cmd = translate_cmd(model, source, out_dir, args, opts.beam, opts.tokens, memory=True)
    cmd += ["--tm", str(tm), "--quiet"] + (["--report", str(report_path)] if report else [])
    env = _env()
    env["DILMANC_HOME"] = str(home)  # nothing from the user's own memory or cache
    wall, rss, code, err, cpu = run_cpu_measured(cmd, env)
    if code != 0:
        raise SystemExit(f"rerun: dilmanc translate failed ({code}):\n{err}")
    outputs = sorted(out_dir.glob("*"))
    output = outputs[0].read_text(encoding="utf-8") if outputs else ""
    if not report:
        return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "output": output}
    stats = json.loads(report_path.read_text(encoding="utf-8"))
    seconds = stats["seconds"]
    memory = {k: stats["memory"][k] for k in ("context", "exact", "fuzzy", "cache", "machine")}
    return {
        "wall_s": wall,
        "total_s": float(seconds["total"]),
        "load_s": float(seconds["load"]),
        "translate_s": float(seconds["total"]) - float(seconds["load"]),
        "stages_s": {k: v for k, v in seconds.items() if k not in ("total", "load")},
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "memory": memory,
        "segments": stats["segments"],
        "output": output,
    }


def best(runs: list[dict], key: str) -> float:
    return min(run[key] for run in runs)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="200 lines and a 1-layer model (smoke)")
    p.add_argument("--json", dest="json_out", help="write all numbers to this JSON file")
    p.add_argument("--work-dir", help="model cache (default ~/.cache/dilmanc/bench)")
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--lines", type=int, help="first N lines of the file (default all; quick 200)")
    p.add_argument("--tokens", type=int, default=32, help="fixed target tokens per segment")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--threads", type=int, default=_cores())
    p.add_argument("--rounds", type=int, help="fresh-memory rounds (default 2; quick 1)")
    p.add_argument("--base", action="store_true", help="opus-mt-base shape even with --quick")
    p.add_argument("--second-runs", type=int, default=1, help="cached runs per round (each)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    started = time.perf_counter()
    work, (az, en) = ntrex_inputs(opts.data_dir, opts.work_dir)
    mini = opts.quick and not opts.base
    model = convert_ct2(build_marian(work, az, en, MINI_MARIAN if mini else MarianShape()))
    lines = az[: opts.lines or (200 if opts.quick else len(az))]
    rounds = opts.rounds or (1 if opts.quick else 2)
    result: dict = {
        "model": "mini-marian" if mini else "opus-mt-base",
        "ct2_dir": str(model),
        "lines": len(lines),
        "tokens_per_segment": opts.tokens,
        "beam": opts.beam,
        "threads": opts.threads,
        "rounds": rounds,
    }
    runs: dict[str, list[dict]] = {"first": [], "second": [], "second_without_report": []}
    with tempfile.TemporaryDirectory(prefix="dilmanc-rerun-") as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "ntrex.az.txt"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for number in range(rounds):
            tm = tmp / f"memory-{number}.db"  # fresh: the first run fills it
            home = tmp / "home"
            out = tmp / f"out-first-{number}"
            runs["first"].append(translate_run(model, source, out, tm, opts, home))
            for again in range(max(1, opts.second_runs)):
                for name, report in (("second", True), ("second_without_report", False)):
                    out = tmp / f"out-{name}-{number}-{again}"
                    runs[name].append(translate_run(model, source, out, tm, opts, home, report))
                    if runs[name][-1]["output"] != runs["first"][-1]["output"]:
                        raise SystemExit(f"rerun: the {name} run's output differs from the first's")
    for rows in runs.values():
        for row in rows:
            row.pop("output")
    result["runs"] = runs
    first, second = runs["first"], runs["second"]
    result["segments"] = first[0]["segments"]
    result["first_memory"] = first[0]["memory"]
    result["second_memory"] = second[0]["memory"]
    for key in ("wall_s", "total_s", "translate_s", "load_s", "cpu_s"):
        result[f"first_{key}"] = best(first, key)
        result[f"second_{key}"] = best(second, key)
    # the key: wall seconds of the fully cached re-run (every segment from memory)
    result["cached_run_seconds"] = result["second_wall_s"]
    plain = runs["second_without_report"]
    result["cached_run_seconds_without_report"] = best(plain, "wall_s")
    result["second_without_report_cpu_s"] = best(plain, "cpu_s")
    result["second_without_report_peak_rss_mib"] = min(r["peak_rss_mib"] for r in plain)
    result["ratio_translate"] = result["first_translate_s"] / result["second_translate_s"]
    result["ratio_total"] = result["first_total_s"] / result["second_total_s"]
    result["ratio_wall"] = result["first_wall_s"] / result["second_wall_s"]
    result["ratio_cpu"] = result["first_cpu_s"] / result["second_cpu_s"]
    result["benchmark_s"] = time.perf_counter() - started
    print(render(result))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def render(r: dict) -> str:
    seg = r["segments"]
    rows = [
        f"model {r['model']}, {r['lines']} lines ({seg['total']} sentences, {seg['unique']} "
        f"distinct), {r['tokens_per_segment']} tokens/segment, beam {r['beam']}, best of "
        f"{r['rounds']} fresh-memory round(s)",
        "| run | wall s (process) | CPU s (process) | report total s | total - load s | load s "
        "| memory counts |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("first", "second"):
        counts = ", ".join(f"{k} {v}" for k, v in r[f"{name}_memory"].items())
        rows.append(
            f"| {name} | {r[f'{name}_wall_s']:.2f} | {r[f'{name}_cpu_s']:.2f} | "
            f"{r[f'{name}_total_s']:.2f} | "
            f"{r[f'{name}_translate_s']:.3f} | {r[f'{name}_load_s']:.2f} | {counts} |"
        )
    rows.append(
        f"| second, no --report | {r['cached_run_seconds_without_report']:.2f} | "
        f"{r['second_without_report_cpu_s']:.2f} | | | | |"
    )
    rows.append(
        f"first/second: translate (total - load) {r['ratio_translate']:.1f}x, report total "
        f"{r['ratio_total']:.1f}x, process wall {r['ratio_wall']:.1f}x, process CPU "
        f"{r['ratio_cpu']:.1f}x (target >= 50x)"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
