"""Throughput benchmark: transformers fp32 / dynamic int8, CTranslate2 int8, dilmanc pipeline.

    python benchmarks/throughput.py --quick --json out.json      # opus-mt base, ~2-3 min
    python benchmarks/throughput.py --nllb                       # + NLLB-200-distilled-600M

Models have the real architectures and sizes but random weights (built once, cached under
--work-dir), so every engine decodes the SAME fixed number of tokens per sentence (min = max
length) with the same beam, on the same real Azerbaijani sentences from NTREX-128. Each
engine runs in its own process; peak RSS is that process's own VmHWM (see _rss.py).

Times: `load_s` is model + tokenizer load (and quantization); `translate_s` excludes it (raw
engines: tokenize + decode + detokenize of all segments). For the pipeline (`dilmanc translate
FILE --model CT2DIR --out-dir ...`, file in, file out) `translate_s` is the command's own
`total - load` from its --report JSON (input checks, segmenting, engine, writing), so
`pipeline_overhead` = pipeline translate_s / raw CT2 translate_s compares both WITHOUT model
load; `pipeline_overhead_with_load` compares whole process wall times (start-up, imports, load).
Short runs are repeated (--rounds) and the fastest counts, because other load on a small
machine only ever slows a run down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _models import (  # noqa: E402
    MarianShape,
    NllbShape,
    build_marian,
    build_nllb,
    convert_ct2,
)

ROOT = HERE.parent
NTREX = "ntrex128/newstest2019-ref.aze-Latn.txt"
NTREX_EN = "ntrex128/newstest2019-src.eng.txt"
NTREX_RU = "ntrex128/newstest2019-ref.rus.txt"


def data_dir(value: str | None) -> Path:
    path = Path(value or os.environ.get("DILMANC_DATA") or ROOT.parent / "shared" / "data")
    if not (path / NTREX).exists():
        raise SystemExit(f"throughput: NTREX-128 not found under {path} (pass --data-dir)")
    return path


def ntrex_inputs(data: str | None, work: str | None, *files: str) -> tuple[Path, list[list[str]]]:
    """A benchmark's work folder (made; default ~/.cache/dilmanc/bench) and the lines of each
    NTREX `files` (default: Azerbaijani and English) under the data folder."""
    folder = data_dir(data)
    where = Path(work or Path.home() / ".cache" / "dilmanc" / "bench")
    where.mkdir(parents=True, exist_ok=True)
    names = files or (NTREX, NTREX_EN)
    texts = [(folder / name).read_text(encoding="utf-8").splitlines() for name in names]
    return where, texts


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, int, str]:
    """Run `python ARGS` (cmd without the interpreter); (wall s, peak RSS MiB, exit code, stderr).

    The child runs under `_rss.py`, which records its own VmHWM: `wait4`'s ru_maxrss would
    include this (large) parent's pages, inherited across fork + exec.
    """
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as err:
        rss_file = Path(tmp) / "rss"
        full = [sys.executable, str(HERE / "_rss.py"), str(rss_file), *cmd]
        start = time.perf_counter()
        code = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=err, env=env).returncode
        wall = time.perf_counter() - start
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-2000:]
        rss = float(rss_file.read_text()) if rss_file.exists() else float("nan")
    return wall, rss, code, tail


def run_cpu_measured(cmd: list[str], env: dict) -> tuple[float, float, int, str, float]:
    """`run_measured` plus the child's CPU time (user + sys, all threads): less moved by
    other load on a shared machine than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, rss, code, err = run_measured(cmd, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, rss, code, err, cpu


def worker(engine: str, model: Path, segments: Path, args: dict, tmp: Path) -> dict:
    out = tmp / f"{engine}.json"
    cmd = ["-", str(HERE / "_workers.py"), engine, str(model), str(segments), str(out)]
    wall, rss, code, err = run_measured(cmd + [json.dumps(args)], env=_env())
    if code != 0:
        raise SystemExit(f"throughput: {engine} failed ({code}):\n{err}")
    result = json.loads(out.read_text())
    result.update(engine=engine, wall_s=wall, peak_rss_mib=rss)
    return result


def dilmanc_cmd() -> list[str]:
    return ["-m", "dilmanc"]


def translate_cmd(
    model: Path, source: Path, out_dir: Path, args: dict, beam: int, n: int, memory: bool = False
) -> list:
    """`dilmanc translate` on a CT2 model, decoding exactly `n` tokens per segment; without
    `memory` the translation memory and cache are off (repeated rounds must decode)."""
    return dilmanc_cmd() + [
        "translate", str(source), "--to", args["target"], "--model", str(model),
        "--engine", "ctranslate2", "--out-dir", str(out_dir), "--beam", str(beam),
        "--min-length", str(n), "--max-length", str(n), "--threads", str(args["threads"]),
    ] + ([] if memory else ["--no-cache", "--no-tm"])  # fmt: skip


def pipeline(model: Path, segments: Path, args: dict, tmp: Path) -> dict:
    """The full `dilmanc translate` CLI on the CT2 model, file in, file out."""
    out_dir = tmp / "pipeline-out"
    report = tmp / "pipeline-report.json"
    cmd = translate_cmd(model, segments, out_dir, args, args["beam"], args["tokens"])
    wall, rss, code, err = run_measured(cmd + ["--report", str(report)], env=_env())
    if code != 0:
        raise SystemExit(f"throughput: dilmanc translate failed ({code}):\n{err}")
    n_in = len(segments.read_text(encoding="utf-8").splitlines())
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in out_dir.glob("*"))
    if lines != n_in:
        raise SystemExit(f"throughput: pipeline wrote {lines} lines for {n_in} input lines")
    stats = json.loads(report.read_text()) if report.exists() else {}
    seconds = stats.get("seconds", {})
    load_s = float(seconds.get("load", 0.0))
    if "total" in seconds:  # the command's own clock: everything but imports and model load
        translate_s, timing = float(seconds["total"]) - load_s, "report total - load"
    else:
        translate_s, timing = wall - load_s - _startup_seconds(), "wall - load - start-up"
    return {
        "engine": "dilmanc-pipeline-ct2-int8",
        "sentences": n_in,
        "target_tokens": n_in * args["tokens"],  # forced by --min-length = --max-length
        "load_s": load_s,
        "translate_s": translate_s,
        "translate_timing": timing,
        "wall_s": wall,
        "peak_rss_mib": rss,
        "report": stats,
    }


_STARTUP: float | None = None


def _startup_seconds() -> float:
    """Process start + `import dilmanc.cli` time, which the raw workers' translate_s excludes."""
    global _STARTUP
    if _STARTUP is None:
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", "import dilmanc.cli, ctranslate2, sentencepiece"],
                check=True,
                env=_env(),
            )
            best = min(best, time.perf_counter() - start)
        _STARTUP = best
    return _STARTUP


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def streaming(model: Path, source: list[str], sizes: list[int], args: dict, tmp: Path) -> dict:
    """Peak RSS of the pipeline for growing inputs, decoding a tiny fixed length."""
    rows = {}
    for size in sizes:
        path = tmp / f"stream-{size}.az.txt"
        with path.open("w", encoding="utf-8") as handle:
            for i in range(size):  # numbered so no two lines are equal (no de-dup shortcut)
                words = source[i % len(source)].split()[: args["stream_words"]]
                handle.write(f"{' '.join(words)} {i + 1}.\n")
        out_dir = tmp / f"stream-out-{size}"
        cmd = translate_cmd(model, path, out_dir, args, 1, args["stream_tokens"])
        wall, rss, code, err = run_measured(cmd, env=_env())
        if code != 0:
            raise SystemExit(f"throughput: streaming run on {size} lines failed ({code}):\n{err}")
        written = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in out_dir.glob("*"))
        rows[str(size)] = {"lines": size, "written": written, "wall_s": wall, "peak_rss_mib": rss}
    small, large = (rows[str(s)]["peak_rss_mib"] for s in (sizes[0], sizes[-1]))
    return {
        "runs": rows,
        "rss_ratio_large_vs_small": large / small,
        "decode": {"beam": 1, "tokens_per_segment": args["stream_tokens"]},
        "words_per_line": args["stream_words"],
    }


ENGINE_RATE = """
import json, sys, time
from dilmanc.engines.base import DecodeOptions
from dilmanc.engines.registry import load_engine
from dilmanc.languages import resolve
cfg = json.loads(sys.argv[1])
lines = open(cfg["segments"], encoding="utf-8").read().splitlines()
engine = load_engine(cfg["model"], **cfg["engine"])
options = DecodeOptions(beam_size=cfg["beam"], min_length=cfg["tokens"], max_length=cfg["tokens"])
src, tgt = resolve("az"), resolve(cfg["target"])
engine.translate_results(lines[:4], src, tgt, options)  # warm-up
best = float("inf")
for _ in range(cfg["rounds"]):
    start = time.perf_counter()
    engine.translate_results(lines, src, tgt, options)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "tokens_per_s": len(lines) * cfg["tokens"] / best,
                  "threads": engine.threads, "vmap": engine.vmap}))
"""


def engine_rate(model: Path, segments: Path, engine: dict, **cfg) -> dict:
    """Target tokens/s of the dilmanc engine on `model` (own process; fastest of rounds)."""
    cfg = dict(cfg, model=str(model), segments=str(segments), engine=engine)
    done = subprocess.run(
        [sys.executable, "-c", ENGINE_RATE, json.dumps(cfg)],
        env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"throughput: engine run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


RAW_VMAP = """
import json, sys, time
import ctranslate2
from tokenizers import Tokenizer
cfg = json.loads(sys.argv[1])
tok = Tokenizer.from_file(cfg["model"] + "/tokenizer.json")
lines = open(cfg["segments"], encoding="utf-8").read().splitlines()
batch = [["azj_Latn", *e.tokens, "</s>"] for e in tok.encode_batch(lines, add_special_tokens=False)]
t = ctranslate2.Translator(cfg["model"], compute_type="int8", intra_threads=cfg["threads"])
opts = dict(beam_size=cfg["beam"], min_decoding_length=cfg["tokens"] + 1,
            max_decoding_length=cfg["tokens"] + 1, use_vmap=cfg["use_vmap"],
            target_prefix=[["eng_Latn"]] * len(batch), max_batch_size=32)
t.translate_batch(batch[:2], **dict(opts, target_prefix=[["eng_Latn"]] * 2))
best = float("inf")
for _ in range(cfg["rounds"]):
    start = time.perf_counter()
    t.translate_batch(batch, **opts)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "tokens_per_s": len(lines) * cfg["tokens"] / best}))
"""


def vmap_speedup(ct2_dir: Path, segments: Path, data: Path, opts, n_tok: int) -> dict:
    """Tokens/s with a vocabulary map (NTREX English pieces + every source piece, written by
    `dilmanc.engines.vmap.write_vmap`) ÷ without, on the NLLB-shaped model, az→en, fixed
    output length. The bench model has only tokenizer.json (no sentencepiece model), so this
    runs CTranslate2 directly with the `tokenizers` pieces."""
    from tokenizers import Tokenizer

    from dilmanc.engines.vmap import write_vmap

    tok = Tokenizer.from_file(str(ct2_dir / "tokenizer.json"))
    english = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    pieces = {p for e in tok.encode_batch(english, add_special_tokens=False) for p in e.tokens}
    (ct2_dir / "vmap.en.tokens").write_text("\n".join(sorted(pieces)) + "\n", encoding="utf-8")
    vmap = write_vmap(ct2_dir)
    allowed = len(vmap.read_text(encoding="utf-8").split("\n", 1)[0].split(" "))
    common = {"beam": opts.beam, "tokens": n_tok, "rounds": opts.rounds, "threads": _cores()}
    off = _raw_vmap(ct2_dir, segments, dict(common, use_vmap=False))
    on = _raw_vmap(ct2_dir, segments, dict(common, use_vmap=True))
    return {"off": off, "on": on, "always_allowed_tokens": allowed,
            "speedup": on["tokens_per_s"] / off["tokens_per_s"]}  # fmt: skip


def _raw_vmap(model: Path, segments: Path, cfg: dict) -> dict:
    cfg = dict(cfg, model=str(model), segments=str(segments))
    done = subprocess.run(
        [sys.executable, "-c", RAW_VMAP, json.dumps(cfg)], env=_env(), capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"throughput: CTranslate2 run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def multicore(ct2_dir: Path, segments: Path, opts, n_tok: int) -> dict:
    """The threads layout chosen for batches ÷ one translator over every core (1×N)."""
    from dilmanc.engines.base import thread_layout

    common = {"beam": opts.beam, "tokens": n_tok, "target": "en", "rounds": opts.rounds}
    wide = engine_rate(ct2_dir, segments, {"threads": _cores()}, **common)
    layout = engine_rate(ct2_dir, segments, {"workload": "batch"}, **common)
    inter, intra = thread_layout(0, "batch", _cores())
    return {"wide_1xN": wide, "layout": layout, "inter_threads": inter, "intra_threads": intra,
            "speedup": layout["tokens_per_s"] / wide["tokens_per_s"]}  # fmt: skip


def best_of(runs: list[dict]) -> dict:
    """The fastest round (least disturbed by other load); RSS is the worst round's."""
    best = dict(min(runs, key=lambda r: r["translate_s"]))
    best["translate_s_rounds"] = [round(r["translate_s"], 3) for r in runs]
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return best


def summarize(result: dict, tokens_per_sentence: int) -> dict:
    seconds = result["translate_s"]
    result["sentences_per_s"] = result["sentences"] / seconds
    result["target_tokens_per_s"] = result["target_tokens"] / seconds
    result["tokens_per_sentence"] = tokens_per_sentence
    return result


def table(rows: list[dict]) -> str:
    head = "| engine | sentences/s | target tokens/s | translate s | load s | peak RSS MiB |"
    lines = [head, "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['model']} {r['engine']} | {r['sentences_per_s']:.2f} | "
            f"{r['target_tokens_per_s']:.1f} | {r['translate_s']:.2f} | {r['load_s']:.2f} | "
            f"{r['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


ENGINES = ("transformers-fp32", "transformers-int8", "ct2-int8", "pipeline")
PIPELINE = "dilmanc-pipeline-ct2-int8"


def single_segment_lines(lines: list[str]) -> list[str]:
    """Lines the pipeline keeps as exactly one segment (so all engines get the same units)."""
    try:
        from dilmanc.text.segment import segment_line
    except ImportError:  # pragma: no cover - segmentation not built yet
        return lines
    keep = []
    for line in lines:
        pieces = [p for p in segment_line(line, "az") if p.text.strip()]
        if len(pieces) == 1 and pieces[0].translate and pieces[0].text == line.strip():
            keep.append(line.strip())
    return keep


def ratios(rows: list[dict]) -> dict:
    """The headline ratios this run's engines allow (wall time ratios, load excluded)."""
    by = {r["engine"]: r for r in rows}
    out = {}
    pairs = {
        "speedup_ct2_int8_vs_transformers_fp32": ("transformers-fp32", "ct2-int8"),
        "speedup_transformers_int8_vs_fp32": ("transformers-fp32", "transformers-int8"),
        "pipeline_overhead": (PIPELINE, "ct2-int8"),
    }
    for key, (num, den) in pairs.items():
        if num in by and den in by:
            out[key] = by[num]["translate_s"] / by[den]["translate_s"]
    if PIPELINE in by and "ct2-int8" in by:
        out["pipeline_overhead_with_load"] = by[PIPELINE]["wall_s"] / by["ct2-int8"]["wall_s"]
        medians = [statistics.median(by[e]["translate_s_rounds"]) for e in (PIPELINE, "ct2-int8")]
        out["pipeline_overhead_median"] = medians[0] / medians[1]  # robustness check
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer segments; < 5 min on 2 cores")
    p.add_argument("--nllb", action="store_true", help="also NLLB-200-distilled-600M (slow)")
    p.add_argument("--json", dest="json_out", help="write all numbers to this JSON file")
    p.add_argument("--work-dir", default=os.environ.get("DILMANC_BENCH_DIR"),
                   help="model cache (default ~/.cache/dilmanc/bench)")  # fmt: skip
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--sentences", type=int, help="segments to translate (quick 96, full 400)")
    p.add_argument("--tokens", type=int, help="fixed target tokens per segment (quick 32, full 48)")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32, help="segments per raw batch")
    p.add_argument("--threads", type=int, default=_cores())
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of ct2-int8 and pipeline (short, noise-prone); the fastest counts",
    )
    p.add_argument("--transformers-rounds", type=int, default=2,
                   help="runs of each transformers engine; the fastest counts")  # fmt: skip
    p.add_argument("--engines", default=",".join(ENGINES), help="subset of " + ",".join(ENGINES))
    p.add_argument("--stream-sizes", default="2000,20000", help="line counts for the RSS test")
    p.add_argument("--no-streaming", action="store_true", help="skip the streaming RSS test")
    p.add_argument("--vmap-nllb", action="store_true",
                   help="only vmap_speedup_nllb (NLLB-shaped, see --nllb-layers)")  # fmt: skip
    p.add_argument("--nllb-layers", type=int, default=12, help="NLLB shape: layers (600M: 12)")
    p.add_argument("--nllb-d-model", type=int, default=1024, help="NLLB shape: d_model (1024)")
    p.add_argument("--multicore", action="store_true", help="only multicore_speedup")
    p.add_argument("--mini", action="store_true", help=argparse.SUPPRESS)  # tests: tiny shapes
    opts = p.parse_args(argv)
    opts.engines = [e.strip() for e in opts.engines.split(",") if e.strip()]
    unknown = sorted(set(opts.engines) - set(ENGINES))
    if unknown:
        p.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    return opts


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def build_models(opts: argparse.Namespace, data: Path, work: Path) -> tuple[list, dict]:
    """(name, hf dir, ct2 dir, language args) per model, and what building them took."""
    az = (data / NTREX).read_text(encoding="utf-8").splitlines()
    en = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    if opts.mini:
        from _models import MINI_MARIAN, MINI_NLLB

        marian_shape, nllb_shape = MINI_MARIAN, MINI_NLLB
    else:
        marian_shape, nllb_shape = MarianShape(), NllbShape()
    info = {}
    t = time.perf_counter()
    marian = build_marian(work, az, en, marian_shape)
    marian_ct2 = convert_ct2(marian)
    info["opus-mt-base"] = _info(marian, marian_ct2, marian_shape, t)
    models = [("opus-mt-base", marian, marian_ct2, {})]
    if opts.nllb:
        t = time.perf_counter()
        ru = (data / NTREX_RU).read_text(encoding="utf-8").splitlines()
        nllb = build_nllb(work, az + en + ru, nllb_shape)
        nllb_ct2 = convert_ct2(nllb)
        info["nllb-200-distilled-600M"] = _info(nllb, nllb_ct2, nllb_shape, t)
        lang = {"source_lang_token": "azj_Latn", "target_lang_token": "eng_Latn"}
        models.append(("nllb-200-distilled-600M", nllb, nllb_ct2, lang))
    return models, info


def _info(hf_dir: Path, ct2_dir: Path, shape: object, started: float) -> dict:
    seconds = time.perf_counter() - started
    return {"dir": str(hf_dir), "ct2_dir": str(ct2_dir), "shape": asdict(shape), "build_s": seconds}


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    started = time.perf_counter()
    data = data_dir(opts.data_dir)
    work = Path(opts.work_dir or Path.home() / ".cache" / "dilmanc" / "bench")
    work.mkdir(parents=True, exist_ok=True)
    az = (data / NTREX).read_text(encoding="utf-8").splitlines()
    n_sent = opts.sentences or (96 if opts.quick else 400)
    n_tok = opts.tokens or (32 if opts.quick else 48)
    segments_list = single_segment_lines(az)[:n_sent]
    args = {
        "threads": opts.threads,
        "beam": opts.beam,
        "tokens": n_tok,
        "batch_size": opts.batch_size,
        "target": "en",
        "stream_tokens": 1,
        "stream_words": 8 if opts.quick else 1000,  # quick: shorter lines, same count
    }
    report: dict = {
        "settings": {
            "sentences": len(segments_list),
            "tokens_per_sentence": n_tok,
            "beam": opts.beam,
            "threads": opts.threads,
            "raw_batch_size": opts.batch_size,
            "rounds": opts.rounds,
            "transformers_rounds": opts.transformers_rounds,
            "quick": opts.quick,
            "cpu": platform.processor() or platform.machine(),
            "cores": _cores(),
            "timing": "translate_s excludes model load for every engine (raw: tokenize + decode"
            " + detokenize; pipeline: its reported total minus load: input checks, segmenting,"
            " engine, writing)",
        },
    }
    if opts.vmap_nllb or opts.multicore:
        return speed_only(opts, data, work, segments_list, n_tok, report, started)
    models, report["models"] = build_models(opts, data, work)
    report["results"] = []
    with tempfile.TemporaryDirectory(prefix="dilmanc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        segments = tmp / "segments.az.txt"
        segments.write_text("\n".join(segments_list) + "\n", encoding="utf-8")
        for name, hf_dir, ct2_dir, lang in models:
            run_args = dict(args, **lang)
            runs: dict[str, list[dict]] = {engine: [] for engine in opts.engines}
            for round_no in range(max(opts.rounds, opts.transformers_rounds)):
                order = opts.engines if round_no % 2 == 0 else opts.engines[::-1]  # drift: alike
                for engine in order:
                    wanted = opts.transformers_rounds if "transformers" in engine else opts.rounds
                    if round_no >= wanted:
                        continue
                    if engine == "pipeline":
                        runs[engine].append(pipeline(ct2_dir, segments, run_args, tmp))
                    else:
                        model_dir = ct2_dir if engine.startswith("ct2") else hf_dir
                        runs[engine].append(worker(engine, model_dir, segments, run_args, tmp))
            rows = [best_of(runs[engine]) for engine in opts.engines]
            for row in rows:
                row["model"] = name
                report["results"].append(summarize(row, n_tok))
            if name == "opus-mt-base":
                report.update(ratios(rows))
            else:
                report[name] = ratios(rows)
        if not opts.no_streaming and "pipeline" in opts.engines:
            sizes = [int(s) for s in opts.stream_sizes.split(",")]
            report["streaming"] = streaming(models[0][2], az, sizes, args, tmp)
    report["total_s"] = time.perf_counter() - started
    print(render(report))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def speed_only(opts, data: Path, work: Path, lines, n_tok: int, report, started) -> dict:
    """`--vmap-nllb` / `--multicore`: the vocabulary-map and threads-layout ratios alone."""
    az = (data / NTREX).read_text(encoding="utf-8").splitlines()
    en = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory(prefix="dilmanc-bench-") as tmp_name:
        segments = Path(tmp_name) / "segments.az.txt"
        segments.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if opts.multicore:
            marian = convert_ct2(build_marian(work, az, en, MarianShape()))
            report["multicore"] = multicore(marian, segments, opts, n_tok)
            report["multicore_speedup"] = report["multicore"]["speedup"]
        if opts.vmap_nllb:
            d, layers = opts.nllb_d_model, opts.nllb_layers
            shape = NllbShape(d_model=d, layers=layers, heads=max(2, d // 64), ffn=4 * d)
            t = time.perf_counter()
            ru = (data / NTREX_RU).read_text(encoding="utf-8").splitlines()
            nllb = convert_ct2(build_nllb(work, az + en + ru, shape))
            report["nllb_shape"] = {**asdict(shape), "build_s": time.perf_counter() - t}
            report["vmap_nllb"] = vmap_speedup(nllb, segments, data, opts, n_tok)
            report["vmap_speedup_nllb"] = report["vmap_nllb"]["speedup"]
    report["total_s"] = time.perf_counter() - started
    print(json.dumps({k: v for k, v in report.items() if k != "settings"}, indent=2))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def render(report: dict) -> str:
    s = report["settings"]
    lines = [
        f"{s['sentences']} NTREX segments, {s['tokens_per_sentence']} target tokens each "
        f"(min = max), beam {s['beam']}, {s['threads']} threads; fastest of "
        f"{s['transformers_rounds']} (transformers) / {s['rounds']} (ct2, pipeline) runs; "
        "times exclude model load",
        "",
        table(report["results"]),
        "",
    ]
    targets = {"speedup_ct2_int8_vs_transformers_fp32": ">= 3.0", "pipeline_overhead": "<= 1.10"}
    keys = ("speedup_ct2_int8_vs_transformers_fp32", "speedup_transformers_int8_vs_fp32",
            "pipeline_overhead", "pipeline_overhead_median",
            "pipeline_overhead_with_load")  # fmt: skip
    for key in keys:
        if key in report:
            goal = f" (target {targets[key]})" if key in targets else ""
            lines.append(f"{key} = {report[key]:.2f}{goal}")
    for key in keys:
        if key in report.get("nllb-200-distilled-600M", {}):
            lines.append(
                f"nllb-200-distilled-600M {key} = {report['nllb-200-distilled-600M'][key]:.2f}"
            )
    for row in report.get("streaming", {}).get("runs", {}).values():
        lines.append(
            f"streaming: {row['lines']} lines -> peak RSS {row['peak_rss_mib']:.0f} MiB "
            f"({row['wall_s']:.1f} s)"
        )
    if "streaming" in report:
        ratio = report["streaming"]["rss_ratio_large_vs_small"]
        lines.append(f"streaming: peak RSS ratio largest/smallest input = {ratio:.2f}")
    lines.append(f"total {report['total_s']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
