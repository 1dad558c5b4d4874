"""Start-up benchmark: time to the first output line of a one-sentence stdin run.

    python benchmarks/startup.py --json out.json          # tiny and opus-mt-base shapes:
                                                          # ratio_tiny, ratio_base
    python benchmarks/startup.py --model CT2DIR --to en   # any CTranslate2 model directory
    python benchmarks/startup.py --json out.json --runs 9

Compares, each run in a fresh process, N times (median counts):

(a) `echo SENTENCE | dilmanc translate --model CT2DIR --to en -q` (the console script beside
    this interpreter, or `python -m dilmanc`), and
(b) a bare script that imports only ctranslate2 + sentencepiece, loads the same model and
    sentencepiece files, and translates the same sentence with the same options,

from process start until the first output line arrives on the pipe. Both decode the same fixed
number of tokens (min = max length, `--tokens`), beam 4, all cores, int8, so a random-weight
model does identical work in both. The target is ratio = (a) / (b) <= 1.5. `python -X importtime`
of one dilmanc run is saved (`--importtime-out`) and its slowest imports are printed, with a
check that neither torch nor transformers is among them.

Without --model, two models are measured: a tiny Marian (MINI_MARIAN, `ratio_tiny`) and an
opus-mt-base-shaped one (random weights, real sizes, `ratio_base`; see _models.py), each built
once from NTREX-128 text in ../shared and cached under --work-dir (or --tiny-model/--base-model).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
NTREX_AZ = "ntrex128/newstest2019-ref.aze-Latn.txt"
NTREX_EN = "ntrex128/newstest2019-src.eng.txt"
#: our own sentence (no third-party text)
SENTENCE = "Bakıda keçirilən görüşdə yeni layihənin əsas məqsədləri müzakirə olunub."
HEAVY = ("torch", "transformers")

BARE_SCRIPT = r"""
import sys

import ctranslate2
import sentencepiece as spm

directory, arch, src_lang, tgt_lang, beam, tokens, threads = sys.argv[1:8]
beam, tokens, threads = int(beam), int(tokens), int(threads)
if arch == "nllb":
    source = target = spm.SentencePieceProcessor(model_file=directory + "/sentencepiece.bpe.model")
else:
    source = spm.SentencePieceProcessor(model_file=directory + "/source.spm")
    target = spm.SentencePieceProcessor(model_file=directory + "/target.spm")
translator = ctranslate2.Translator(
    directory, device="cpu", compute_type="int8", inter_threads=1, intra_threads=threads
)
line = sys.stdin.readline().strip()
pieces = source.encode(line, out_type=str)
extra = 0
if arch == "nllb":
    tokens_in, prefix, extra = [src_lang, *pieces, "</s>"], [[tgt_lang]], 1
else:
    tokens_in, prefix = [*pieces, "</s>"], None
result = translator.translate_batch(
    [tokens_in],
    target_prefix=prefix,
    beam_size=beam,
    max_decoding_length=tokens + extra,
    min_decoding_length=tokens + extra,
    max_input_length=512,
)
output = result[0].hypotheses[0][extra:]
print(target.decode_pieces(output).replace("\u2581", " ").strip(), flush=True)
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="CTranslate2 model directory (default: build opus-mt base)")
    p.add_argument("--tiny-model", help="without --model: the tiny CT2 model (default: built)")
    p.add_argument("--base-model", help="without --model: the base-shaped CT2 model (built)")
    p.add_argument("--from", dest="source", default="az", help="source language (az)")
    p.add_argument("--to", dest="target", default="en", help="target language (en)")
    p.add_argument("--sentence", default=SENTENCE, help="the one stdin line")
    p.add_argument("--runs", type=int, default=5, help="runs of each command (median counts)")
    p.add_argument("--tokens", type=int, default=32, help="target tokens decoded (min = max)")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--threads", type=int, default=0, help="0: all available cores")
    p.add_argument("--work-dir", help="model cache (default ~/.cache/dilmanc/bench)")
    p.add_argument("--data-dir", help="../shared/data (NTREX-128), to build the default model")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--importtime-out", help="save dilmanc's -X importtime log here")
    p.add_argument("--top", type=int, default=15, help="slowest imports to print")
    p.add_argument("--mini", action="store_true", help=argparse.SUPPRESS)  # tiny shapes
    return p.parse_args(argv)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def build_default_model(opts: argparse.Namespace) -> Path:
    """An opus-mt-base-shaped (or, with --mini, tiny) Marian model converted to CT2 int8."""
    from _models import MINI_MARIAN, MarianShape, build_marian, convert_ct2

    data = Path(opts.data_dir or os.environ.get("DILMANC_DATA") or ROOT.parent / "shared" / "data")
    if not (data / NTREX_AZ).exists():
        raise SystemExit(f"startup: NTREX-128 not found under {data} (pass --data-dir or --model)")
    work = Path(opts.work_dir or Path.home() / ".cache" / "dilmanc" / "bench")
    work.mkdir(parents=True, exist_ok=True)
    az = (data / NTREX_AZ).read_text(encoding="utf-8").splitlines()
    en = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    shape = MINI_MARIAN if opts.mini else MarianShape()
    return convert_ct2(build_marian(work, az, en, shape))


def architecture(model: Path) -> str:
    return "nllb" if (model / "sentencepiece.bpe.model").is_file() else "marian"


def dilmanc_command(opts: argparse.Namespace, model: Path) -> list[str]:
    exe = Path(sys.executable).with_name("dilmanc")
    prefix = [str(exe)] if exe.is_file() else [sys.executable, "-m", "dilmanc"]
    return [
        *prefix, "translate", "--model", str(model), "--from", opts.source, "--to", opts.target,
        "-q", "--beam", str(opts.beam), "--max-length", str(opts.tokens),
        "--min-length", str(opts.tokens), "--threads", str(opts.threads or _cores()),
        "--no-cache", "--no-tm",  # every run must decode, not come from the cache
    ]  # fmt: skip


def bare_command(opts: argparse.Namespace, model: Path, script: Path) -> list[str]:
    from dilmanc.languages import resolve

    return [
        sys.executable, str(script), str(model), architecture(model),
        resolve(opts.source).nllb, resolve(opts.target).nllb, str(opts.beam), str(opts.tokens),
        str(opts.threads or _cores()),
    ]  # fmt: skip


def first_line(cmd: list[str], sentence: str) -> tuple[float, float, float, str]:
    """(seconds to the first stdout line, seconds to exit, CPU seconds used, that line) of `cmd`
    fed `sentence`. CPU time (user + sys of the child) barely moves when other processes load
    the machine, wall time does."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=tempfile.gettempdir(),
    )
    proc.stdin.write(sentence.encode("utf-8") + b"\n")
    proc.stdin.close()
    line = proc.stdout.readline()
    first = time.perf_counter() - start
    proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    if code != 0 or not line:
        tail = err.decode("utf-8", "replace").strip()[-1500:]
        raise SystemExit(f"startup: {' '.join(cmd[:3])}... failed (exit {code}): {tail}")
    return first, total, cpu, line.decode("utf-8", "replace").rstrip("\n")


def importtime(cmd: list[str], sentence: str, out: Path | None, top: int) -> dict:
    """Run `cmd` under `python -X importtime`; the slowest imports and any heavy ones."""
    if cmd[0] != sys.executable:  # the console script: run the same entry point via -m
        cmd = [sys.executable, "-m", "dilmanc", *cmd[1:]]
    full = [cmd[0], "-X", "importtime", *cmd[1:]]
    done = subprocess.run(
        full, input=sentence + "\n", capture_output=True, text=True, env=_env(), check=False
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, rest = line.split(":", 1)
        self_us, cumulative_us, name = rest.split("|")
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(done.stderr, encoding="utf-8")
    names = {name.strip() for _, _, name in rows}
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY)
    slowest = sorted(rows, reverse=True)[:top]
    top_level = sorted((r for r in rows if not r[2].startswith("  ")), reverse=True)
    return {
        "modules": len(rows),
        "heavy_imported": heavy,
        "top_level_ms": {name.strip(): round(c / 1000, 1) for c, _, name in top_level[:top]},
        "slowest": [
            {"module": name, "cumulative_ms": round(c / 1000, 1), "self_ms": round(s / 1000, 1)}
            for c, s, name in slowest
        ],
    }


def main(argv: list[str] | None = None) -> dict:
    """With --model: that model's `ratio`. Without: the tiny and the opus-mt-base shapes (or
    --tiny-model / --base-model), `ratio_tiny` and `ratio_base`; the rest is the base run's."""
    opts = parse_args(argv)
    if opts.model:
        report = measure(opts, Path(opts.model))
    else:
        tiny_opts = argparse.Namespace(**{**vars(opts), "mini": True})
        tiny = measure(tiny_opts, _model(opts.tiny_model) or build_default_model(tiny_opts))
        report = measure(opts, _model(opts.base_model) or build_default_model(opts))
        report.update(ratio_tiny=tiny["ratio"], ratio_base=report["ratio"], tiny=tiny)
        report["tiny"].pop("importtime")
        print(f"ratio_tiny {report['ratio_tiny']:.2f}, ratio_base {report['ratio_base']:.2f}")
    if opts.json:
        Path(opts.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _model(path: str | None) -> Path | None:
    return Path(path) if path else None


def measure(opts: argparse.Namespace, model: Path) -> dict:
    if not (model / "model.bin").is_file():
        raise SystemExit(f"startup: {model} is not a CTranslate2 model directory (no model.bin)")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bare_ct2.py"
        script.write_text(BARE_SCRIPT, encoding="utf-8")
        commands = {
            "dilmanc": dilmanc_command(opts, model),
            "bare_ct2": bare_command(opts, model, script),
        }
        runs: dict[str, list[dict]] = {name: [] for name in commands}
        for _ in range(max(1, opts.runs)):  # interleaved: drift hits both alike
            for name, cmd in commands.items():
                first, total, cpu, line = first_line(cmd, opts.sentence)
                runs[name].append(
                    {"first_line_s": first, "exit_s": total, "cpu_s": cpu, "line": line[:80]}
                )
        imports = importtime(
            commands["dilmanc"],
            opts.sentence,
            Path(opts.importtime_out) if opts.importtime_out else None,
            opts.top,
        )
    medians = {
        name: statistics.median(r["first_line_s"] for r in rows) for name, rows in runs.items()
    }
    cpu = {name: statistics.median(r["cpu_s"] for r in rows) for name, rows in runs.items()}
    report = {
        "model": str(model),
        "architecture": architecture(model),
        "sentence": opts.sentence,
        "tokens": opts.tokens,
        "beam": opts.beam,
        "threads": opts.threads or _cores(),
        "runs": runs,
        "median_first_line_s": medians,
        "ratio": medians["dilmanc"] / medians["bare_ct2"],
        "target_ratio": 1.5,
        "median_cpu_s": cpu,
        "cpu_ratio": cpu["dilmanc"] / cpu["bare_ct2"],
        "load_average": os.getloadavg()[0],
        "commands": {name: " ".join(cmd) for name, cmd in commands.items()},
        "importtime": imports,
        "machine": {"python": platform.python_version(), "cores": _cores()},
    }
    print_report(report)
    return report


def print_report(report: dict) -> None:
    med = report["median_first_line_s"]
    print(f"model: {report['model']} ({report['architecture']}), {report['tokens']} tokens")
    cpu = report["median_cpu_s"]
    print("| command | median first line s | median CPU s | first line s, each run |")
    print("|---|---|---|---|")
    for name, rows in report["runs"].items():
        values = ", ".join(f"{r['first_line_s']:.3f}" for r in rows)
        print(f"| {name} | {med[name]:.3f} | {cpu[name]:.3f} | {values} |")
    verdict = "ok" if report["ratio"] <= report["target_ratio"] else "ABOVE TARGET"
    print(
        f"ratio dilmanc / bare: {report['ratio']:.2f} (target <= 1.5: {verdict}); CPU time "
        f"ratio {report['cpu_ratio']:.2f}; load average {report['load_average']:.1f}"
    )
    imports = report["importtime"]
    heavy = ", ".join(imports["heavy_imported"]) or "none"
    print(f"imports: {imports['modules']} modules; torch/transformers imported: {heavy}")
    print("slowest top-level imports (cumulative ms):")
    for name, ms in imports["top_level_ms"].items():
        print(f"  {ms:8.1f}  {name}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
