"""Cost benchmark: a pivot (two models in a row) and n-best glossary enforcement, per segment.

    python benchmarks/costs.py --json costs.json        # opus-mt base shape, 200 segments
    python benchmarks/costs.py --quick                  # mini models, 12 segments (smoke test)

Models (`_models.py`, random weights, real opus-mt-base size, CTranslate2 int8): A is az→en
(sentencepiece trained on NTREX az / en), B is en→ru (NTREX en / ru); NTREX is read from
../shared at run time, never copied. Every segment decodes exactly --tokens tokens per model
(`--min-length = --max-length`), beam 4, and `--no-cache --no-tm` keeps the memory out.

(a) pivot: the same NTREX sentences (lines dilmanc keeps as one sentence) through
    `dilmanc translate --to ru --model ru=A+B` (az → en → ru: both models decode) and
    through the direct single model, `--to en --model A`.
(b) n-best: NTREX sentences with one built-in glossary term each (the Azerbaijani form of a
    press.tsv entry inserted mid-sentence at run time, cycling through the entries) through
    `--to en --model A --builtin-glossary` with `--n-best 4` and `--n-best 1`, and without a
    glossary for scale. The --glossary-report's per-segment "hypothesis" says which n-best
    hypothesis was kept: the share with rank > 1 is how often n-best changed the choice. With
    random weights no term is ever translated right, so the choice is meaningless for quality
    and every segment is retried with the other strategy (inject ↔ placeholder): the costs are
    real, the counts are what a model that never gets a term right would cost.

Time per segment is the command's own `total - load` from --report over the segments; runs
are interleaved and the fastest of --rounds counts (other load only ever slows a run down).
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
    NTREX,
    NTREX_EN,
    NTREX_RU,
    _cores,
    _env,
    ntrex_inputs,
    run_cpu_measured,
    single_segment_lines,
)


def with_terms(sentences: list[str]) -> tuple[list[str], list[str]]:
    """Each sentence with one built-in glossary term (Azerbaijani form) inserted mid-sentence,
    cycling through the entries; only sentences in which dilmanc finds the term are kept.
    Returns (sentences, entry id of each)."""
    from dilmanc.glossary import find_terms, load_glossaries

    glossary = load_glossaries([], builtin=True)
    entries = [e for e in glossary if e.target("en")]
    out, ids = [], []
    for index, sentence in enumerate(sentences):
        entry = entries[index % len(entries)]
        words = sentence.split(" ")
        at = max(1, len(words) // 2)
        text = " ".join([*words[:at], entry.az[0], *words[at:]])
        if any(m.entry.id == entry.id for m in find_terms(text, glossary)):
            out.append(text)
            ids.append(entry.id)
    return out, ids


def run(name: str, cmd_args: list[str], source: Path, tmp: Path, opts, n: int) -> dict:
    """One `dilmanc translate` process; its times (per segment) and report."""
    out_dir = tmp / f"out-{name}"
    report = tmp / f"{name}.report.json"
    cmd = ["-m", "dilmanc", "translate", str(source), "--out-dir", str(out_dir),
           "--beam", str(opts.beam), "--min-length", str(opts.tokens),
           "--max-length", str(opts.tokens), "--threads", str(opts.threads),
           "--engine", "ctranslate2", "--no-cache", "--no-tm", "--report", str(report),
           "--quiet", *cmd_args]  # fmt: skip
    env = _env()
    env["DILMANC_HOME"] = str(tmp / "home")
    wall, rss, code, err, cpu = run_cpu_measured(cmd, env)
    if code != 0:
        raise SystemExit(f"costs: {name} failed ({code}):\n{err}")
    stats = json.loads(report.read_text(encoding="utf-8"))
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in out_dir.glob("*"))
    if lines != n:
        raise SystemExit(f"costs: {name} wrote {lines} lines for {n} segments")
    seconds = stats["seconds"]
    translate_s = float(seconds["total"]) - float(seconds["load"])
    row = {
        "translate_s": translate_s,
        "ms_per_segment": 1000 * translate_s / stats["segments"]["total"],
        "load_s": float(seconds["load"]),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "stages_s": {k: v for k, v in seconds.items() if k not in ("total", "load")},
        "segments": stats["segments"],
    }
    if "glossary" in stats:
        row["glossary"] = stats["glossary"]
    return row


def best_of(rows: list[dict]) -> dict:
    kept = dict(min(rows, key=lambda r: r["translate_s"]))
    kept["ms_per_segment_rounds"] = [round(r["ms_per_segment"], 2) for r in rows]
    return kept


def hypothesis_stats(path: Path) -> dict:
    """From a --glossary-report: how many segments kept a hypothesis other than the best."""
    report = json.loads(path.read_text(encoding="utf-8"))
    segments = report["segments"]
    ranks = [s["hypothesis"]["rank"] for s in segments]
    changed = sum(1 for rank in ranks if rank > 1)
    return {
        "segments_with_terms": len(segments),
        "changed": changed,
        "changed_share": changed / len(segments) if segments else 0.0,
        "hypotheses_considered": max((s["hypothesis"]["of"] for s in segments), default=0),
        "suppressed": sum(1 for s in segments if s["hypothesis"]["suppressed"]),
        "retried": sum(1 for s in segments if s["retried"]),
        "strategies": {
            k: sum(1 for s in segments if s["strategy"] == k) for k in ("inject", "placeholder")
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="12 segments and 1-layer models (smoke)")
    p.add_argument("--json", dest="json_out", help="write all numbers to this JSON file")
    p.add_argument("--work-dir", help="model cache (default ~/.cache/dilmanc/bench)")
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--sentences", type=int, help="segments per run (default 200; quick 12)")
    p.add_argument("--tokens", type=int, default=32, help="fixed target tokens per segment")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--threads", type=int, default=_cores())
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    p.add_argument("--parts", default="pivot,nbest", help="pivot, nbest or both")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    started = time.perf_counter()
    parts = {part.strip() for part in opts.parts.split(",") if part.strip()}
    if not parts or parts - {"pivot", "nbest"}:
        raise SystemExit(f"costs: --parts takes pivot and/or nbest, not {opts.parts!r}")
    work, (az, en, ru) = ntrex_inputs(opts.data_dir, opts.work_dir, NTREX, NTREX_EN, NTREX_RU)
    shape = MINI_MARIAN if opts.quick else MarianShape()
    model_a = convert_ct2(build_marian(work, az, en, shape))
    n = opts.sentences or (12 if opts.quick else 200)
    rounds = opts.rounds or (1 if opts.quick else 3)
    sentences = single_segment_lines(az)[:n]
    result: dict = {
        "model": "mini-marian" if opts.quick else "opus-mt-base",
        "model_a": str(model_a),
        "tokens_per_segment": opts.tokens,
        "beam": opts.beam,
        "threads": opts.threads,
        "rounds": rounds,
    }
    with tempfile.TemporaryDirectory(prefix="dilmanc-costs-") as tmp_name:
        tmp = Path(tmp_name)
        plans: dict[str, tuple[list[str], Path, int]] = {}
        if "pivot" in parts:
            model_b = convert_ct2(build_marian(work, en, ru, shape, languages=("en", "ru")))
            result["model_b"] = str(model_b)
            source = tmp / "plain.az.txt"
            source.write_text("\n".join(sentences) + "\n", encoding="utf-8")
            plans["direct"] = (["--to", "en", "--model", str(model_a)], source, len(sentences))
            pivot = ["--to", "ru", "--model", f"ru={model_a}+{model_b}"]
            plans["pivot"] = (pivot, source, len(sentences))
            result["pivot_segments"] = len(sentences)
        if "nbest" in parts:
            termed, ids = with_terms(sentences)
            source = tmp / "terms.az.txt"
            source.write_text("\n".join(termed) + "\n", encoding="utf-8")
            base = ["--to", "en", "--model", str(model_a)]
            glossary = [*base, "--builtin-glossary"]
            plans["no-glossary"] = (base, source, len(termed))
            for k in (1, 4):
                report = str(tmp / f"glossary-n{k}.json")
                args = [*glossary, "--n-best", str(k), "--glossary-report", report]
                plans[f"n-best-{k}"] = (args, source, len(termed))
            result["nbest_segments"] = len(termed)
            result["nbest_entries"] = len(set(ids))
        runs: dict[str, list[dict]] = {name: [] for name in plans}
        hypotheses: dict[str, dict] = {}
        for _ in range(rounds):  # interleaved, so load drifts hit every variant alike
            for name, (args, source, count) in plans.items():
                runs[name].append(run(name, args, source, tmp, opts, count))
                if name.startswith("n-best"):
                    hypotheses[name] = hypothesis_stats(tmp / f"glossary-n{name[-1]}.json")
    rows = {name: best_of(r) for name, r in runs.items()}
    result["runs"] = rows
    if "pivot" in parts:
        result["pivot_over_direct"] = rows["pivot"]["translate_s"] / rows["direct"]["translate_s"]
    if "nbest" in parts:
        result["hypotheses"] = hypotheses
        n1, n4 = rows["n-best-1"]["translate_s"], rows["n-best-4"]["translate_s"]
        result["nbest4_over_nbest1"] = n4 / n1
        result["nbest1_over_no_glossary"] = n1 / rows["no-glossary"]["translate_s"]
    result["benchmark_s"] = time.perf_counter() - started
    print(render(result))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def render(r: dict) -> str:
    lines = [
        f"model {r['model']} (random weights), {r['tokens_per_segment']} tokens/segment per "
        f"model, beam {r['beam']}, best of {r['rounds']} interleaved round(s), --no-cache --no-tm",
        "| run | segments | ms/segment (best) | rounds ms/segment | CPU ms/segment | engine s "
        "| glossary s |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name, row in r["runs"].items():
        stages = row["stages_s"]
        cpu_ms = 1000 * row["cpu_s"] / row["segments"]["total"]
        lines.append(
            f"| {name} | {row['segments']['total']} | {row['ms_per_segment']:.1f} | "
            f"{row['ms_per_segment_rounds']} | {cpu_ms:.1f} "
            f"| {stages['engine']:.2f} | {stages['glossary']:.2f} |"
        )
    if "pivot_over_direct" in r:
        lines.append(f"pivot A+B / direct A: {r['pivot_over_direct']:.2f}x per segment")
    if "nbest4_over_nbest1" in r:
        lines.append(
            f"n-best 4 / n-best 1: {r['nbest4_over_nbest1']:.2f}x per segment with terms; "
            f"glossary (n-best 1) / no glossary: {r['nbest1_over_no_glossary']:.2f}x"
        )
        for name, h in r["hypotheses"].items():
            lines.append(
                f"{name}: {h['changed']} of {h['segments_with_terms']} segments with terms "
                f"kept a hypothesis other than rank 1 ({100 * h['changed_share']:.1f} %), "
                f"of {h['hypotheses_considered']} considered; {h['retried']} retried with the "
                f"other strategy, {h['suppressed']} re-decoded with suppression"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
