"""Batch benchmark: `dilmanc batch` against `dilmanc translate` on the same folder, and Ray.

    python benchmarks/batch.py --json batch.json     # 400 NTREX lines in 20 files, opus-mt base
    python benchmarks/batch.py --quick               # 100 lines, 1-layer model (smoke test)

The NTREX-128 Azerbaijani file (read from ../shared at run time, never copied) is cut into
--files text documents in a temporary folder, translated into English with an
opus-mt-base-shaped CTranslate2 int8 model (random weights, every segment decodes exactly
--tokens tokens), memory and cache off, three ways, each its own process:
`translate FOLDER -o OUT --threads T`, `batch FOLDER -o OUT --threads T` (local, one process)
and `batch FOLDER -o OUT --ray local --workers W --threads 1` (a Ray cluster started by the
command, W actors × 1 thread). Reported per run: wall time (start-up, model load and for Ray
the cluster start included), segments per second, and the time until the first output file
appears. The fastest of --rounds rounds counts. The three output folders must be identical.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _models import MINI_MARIAN, MarianShape, build_marian, convert_ct2  # noqa: E402
from throughput import _cores, _env, dilmanc_cmd, ntrex_inputs  # noqa: E402


def make_folder(lines: list[str], files: int, folder: Path) -> Path:
    folder.mkdir(parents=True)
    per = -(-len(lines) // files)
    for number in range(files):
        chunk = lines[number * per : (number + 1) * per]
        if chunk:
            (folder / f"doc{number:03}.az.txt").write_text("\n".join(chunk) + "\n", "utf-8")
    return folder


def timed(cmd: list[str], out: Path) -> dict:
    """Run `cmd`; wall seconds and seconds until the first output file appeared."""
    started = time.perf_counter()
    first = None
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=_env())
        while process.poll() is None:
            if first is None and out.exists() and any(out.glob("*.txt")):
                first = time.perf_counter() - started
            time.sleep(0.05)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"batch bench: {cmd[3]} failed:\n{err.read().decode()[-2000:]}")
    return {"wall_s": round(wall, 3), "first_output_s": round(first or wall, 3)}


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.txt"))}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="100 lines and a 1-layer model")
    p.add_argument("--json", dest="json_out", help="write the numbers to this JSON file")
    p.add_argument("--work-dir", help="model cache (default ~/.cache/dilmanc/bench)")
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--lines", type=int, help="first N lines (default 400; quick 100)")
    p.add_argument("--files", type=int, default=20, help="documents to cut the lines into")
    p.add_argument("--tokens", type=int, default=32, help="fixed target tokens per segment")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--threads", type=int, default=_cores(), help="threads of the local runs")
    p.add_argument("--workers", type=int, default=2, help="Ray actors (1 thread each)")
    p.add_argument("--rounds", type=int, default=2)
    opts = p.parse_args(argv)
    work, (az, en) = ntrex_inputs(opts.data_dir, opts.work_dir)
    shape = MINI_MARIAN if opts.quick else MarianShape()
    model = convert_ct2(build_marian(work, az, en, shape))
    lines = az[: opts.lines or (100 if opts.quick else 400)]
    n = str(opts.tokens)
    common = ["--to", "en", "--model", str(model), "--engine", "ctranslate2", "--beam",
              str(opts.beam), "--min-length", n, "--max-length", n, "--no-cache", "--no-tm",
              "-q"]  # fmt: skip
    runs = {
        "translate": ["translate", "--threads", str(opts.threads)],
        "batch-local": ["batch", "--threads", str(opts.threads)],
        "batch-ray": ["batch", "--ray", "local", "--workers", str(opts.workers), "--threads", "1"],
    }
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(lines, opts.files, Path(tmp) / "archive")
        seen = {}
        for round_ in range(opts.rounds):
            for name, head in runs.items():
                out = Path(tmp) / f"{name}-{round_}"
                cmd = [
                    sys.executable,
                    *dilmanc_cmd(),
                    head[0],
                    str(folder),
                    "-o",
                    str(out),
                    *head[1:],
                    *common,
                ]
                result = timed(cmd, out)
                seen[name] = outputs(out)
                if name not in best or result["wall_s"] < best[name]["wall_s"]:
                    best[name] = result
        if not (seen["translate"] == seen["batch-local"] == seen["batch-ray"]):
            raise SystemExit("batch bench: the three runs wrote different outputs")
    for result in best.values():
        result["segments_per_s"] = round(len(lines) / result["wall_s"], 2)
    report = {
        "lines": len(lines),
        "files": opts.files,
        "model": "mini" if opts.quick else "opus-mt-base",
        "tokens": opts.tokens,
        "threads": opts.threads,
        "workers": opts.workers,
        "runs": best,
        "batch_local_vs_translate": round(
            best["translate"]["wall_s"] / best["batch-local"]["wall_s"], 3
        ),
        "ray_vs_batch_local": round(best["batch-local"]["wall_s"] / best["batch-ray"]["wall_s"], 3),
    }
    print(json.dumps(report, indent=2))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
