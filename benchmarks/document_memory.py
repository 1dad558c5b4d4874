"""Memory of large documents (issue 21): does peak RSS grow with size beyond the document object?

    python benchmarks/document_memory.py --json mem.json      # ~5 min on 2 cores

Three documents, each at full size and at 1/4, of distinct NTREX-128 Azerbaijani sentences
(read from ../shared at run time, numbered so that none repeats): a 20-slide deck (PPTX, a
text box of 10 paragraphs a slide, bold/italic/link runs), a workbook of 5,000 text cells
(XLSX, a cell a row, rich text) and a 300-page EPUB (15 paragraphs a page, chapters of 50).
Each is measured in fresh processes (peak RSS is the process's own VmHWM, reset with
/proc/self/clear_refs after the imports and a warm-up sentence, as in tests/memory_probe.py):

* object: the peak growth of loading the file (`open_document`) and reading its units one by
  one (none kept): the document object;
* format: the peak growth of loading it, translating every unit through the pipeline with an
  instant engine (it copies its input; no model) and writing the translation to a file: the
  format's reader and writer and the pipeline, without a model's memory and without quality
  estimation (its language check loads lingua's language models lazily, ~190 MiB however
  long the document; the `translate` runs include it);
* translate: the peak RSS of the whole `dilmanc translate FILE --model CT2DIR` process with
  the mini Marian model (beam 1, 4 tokens), next to the same sentences as a plain-text file.

The rows that matter are the growths from 1/4 to full size: `format` growth minus `object`
growth is what the translation itself holds as the document grows (outputs, copies, caches);
the same sentences as a plain-text file through the same probe show what the pipeline holds
whatever the format (its bounded caches and per-sentence counts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DOCUMENTS = {  # name: (extension, units at full size, what full size is)
    "pptx": ("pptx", 200, "20 slides"),
    "xlsx": ("xlsx", 5000, "5,000 text cells"),
    "epub": ("epub", 4500, "300 pages"),
}

PROBE = """
import io, json, sys
from pathlib import Path

def kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])

from document_memory import CopyEngine
from dilmanc.documents.registry import detect_format, open_document
from dilmanc.languages import resolve
from dilmanc.pipeline.pipeline import Pipeline

mode, path, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
detect_format(path, None, "az")  # the format's module and its libraries imported
AZ, EN = resolve("az"), resolve("en")
Pipeline({"en": CopyEngine()}, AZ, qe=False).translate_text("Salam dünya.", EN)  # warm-up
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) starts again from the resident size
except OSError:
    pass
before = kb("VmRSS:")
document = open_document(path)
if mode == "object":
    for unit in document.units():  # formats that parse lazily have parsed all by now
        pass
if mode == "format":
    pipeline = Pipeline({"en": CopyEngine()}, AZ, qe=False)
    with open(out, "wb" if document.binary else "w") as handle:
        writer = document.writer(EN, handle)
        pipeline.translate_units(document.units(), [EN], lambda iso, chunk: writer.add(chunk))
        writer.finish()
print(json.dumps({"growth_mib": (kb("VmHWM:") - before) / 1024}))
"""


def _copy_engine_class():
    from dilmanc.engines.base import Engine

    class CopyEngine(Engine):
        """An instant engine that returns its input: the pipeline without a model."""

        name = "copy"
        model = "copy"

        def supports(self, source, target) -> bool:
            return True

        def supported_targets(self) -> list[str]:
            return ["en"]

        def describe_languages(self) -> str:
            return "any → en"

        def _encode(self, texts, source, target):
            return [text.split(" ") for text in texts]

        def _translate_encoded(self, batch, source, target, **decode):
            return [" ".join(tokens) for tokens in batch]

    return CopyEngine


def __getattr__(name: str):  # CopyEngine is made on first use: dilmanc imports stay lazy
    if name == "CopyEngine":
        return _copy_engine_class()
    raise AttributeError(name)


def probe(mode: str, path: Path, out: Path) -> float:
    """Peak RSS growth (MiB) of `mode` ("object" or "format") on `path`, in a fresh process."""
    from throughput import _env

    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(path), str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"document_memory: probe {mode} {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])["growth_mib"]


def sentences_for(az: list[str], n: int) -> list[str]:
    lines = [line for line in az if line.strip()]
    return [f"{lines[i % len(lines)]} ({i // len(lines) + 1})" for i in range(n)]


def build(name: str, sentences: list[str], path: Path) -> Path:
    from documents import write_epub, write_pptx, write_xlsx

    if name == "pptx":
        return write_pptx(sentences, path, per_slide=10)
    if name == "xlsx":
        return write_xlsx(sentences, path)
    return write_epub(sentences, path, per_chapter=50)


def measure(name: str, n: int, model: Path, az: list[str], tmp: Path, threads: int) -> dict:
    from documents import translate

    extension = DOCUMENTS[name][0]
    sentences = sentences_for(az, n)
    path = build(name, sentences, tmp / f"{name}-{n}.{extension}")
    text = tmp / f"{name}-{n}.txt"
    text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    opts = argparse.Namespace(threads=threads)
    run = translate(model, path, tmp / f"out-{name}-{n}", opts, beam=1, tokens=4)
    plain = translate(model, text, tmp / f"out-{name}-{n}-text", opts, beam=1, tokens=4)
    return {
        "units": n,
        "file_kib": path.stat().st_size / 1024,
        "object_mib": probe("object", path, tmp / "probe-out"),
        "format_mib": probe("format", path, tmp / "probe-out"),
        "plain_text_format_mib": probe("format", text, tmp / "probe-out.txt"),
        "translate_peak_rss_mib": run["peak_rss_mib"],
        "translate_s": run["translate_s"],
        "plain_text_peak_rss_mib": plain["peak_rss_mib"],
    }


def growth(rows: dict) -> dict:
    """Full size minus 1/4 size, for each measure."""
    full, quarter = rows["full"], rows["quarter"]
    keys = ("object_mib", "format_mib", "plain_text_format_mib", "translate_peak_rss_mib",
            "plain_text_peak_rss_mib")  # fmt: skip
    out = {key: full[key] - quarter[key] for key in keys}
    out["format_beyond_object_mib"] = out["format_mib"] - out["object_mib"]
    out["format_beyond_object_and_pipeline_mib"] = (
        out["format_beyond_object_mib"] - out["plain_text_format_mib"]
    )
    out["translate_beyond_plain_text_mib"] = (
        out["translate_peak_rss_mib"] - out["plain_text_peak_rss_mib"]
    )
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from throughput import _cores

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", dest="json_out", help="write all numbers to this JSON file")
    p.add_argument("--work-dir", default=os.environ.get("DILMANC_BENCH_DIR"),
                   help="model cache (default ~/.cache/dilmanc/bench)")  # fmt: skip
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--scale", type=float, default=1.0, help="shrink every size (smoke tests)")
    p.add_argument("--documents", default=",".join(DOCUMENTS), help="comma-separated")
    p.add_argument("--threads", type=int, default=_cores())
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    from _models import MINI_MARIAN, build_marian, convert_ct2
    from throughput import ntrex_inputs

    opts = parse_args(argv)
    started = time.perf_counter()
    work, (az, en) = ntrex_inputs(opts.data_dir, opts.work_dir)
    model = convert_ct2(build_marian(work, az, en, MINI_MARIAN))
    result: dict = {"model": "mini-marian", "beam": 1, "tokens_per_segment": 4, "documents": {}}
    with tempfile.TemporaryDirectory(prefix="dilmanc-docmem-") as tmp_name:
        tmp = Path(tmp_name)
        for name in filter(None, opts.documents.split(",")):
            full = max(4, int(DOCUMENTS[name][1] * opts.scale))
            rows = {
                size: measure(name, n, model, az, tmp, opts.threads)
                for size, n in (("quarter", full // 4), ("full", full))
            }
            rows["growth"] = growth(rows)
            rows["full_size"] = DOCUMENTS[name][2]
            result["documents"][name] = rows
    result["benchmark_s"] = time.perf_counter() - started
    print(render(result))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def render(result: dict) -> str:
    lines = [
        "| document | units | file KiB | object MiB | format MiB | same as text: format MiB "
        "| translate peak MiB | same as text: translate peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in result["documents"].items():
        for size in ("quarter", "full"):
            row = rows[size]
            lines.append(
                f"| {name} {size} | {row['units']} | {row['file_kib']:.0f} | "
                f"{row['object_mib']:.1f} | {row['format_mib']:.1f} | "
                f"{row['plain_text_format_mib']:.1f} | "
                f"{row['translate_peak_rss_mib']:.0f} | {row['plain_text_peak_rss_mib']:.0f} |"
            )
        g = rows["growth"]
        lines.append(
            f"| {name} growth 1/4 → full | | | {g['object_mib']:+.1f} | {g['format_mib']:+.1f} | "
            f"{g['plain_text_format_mib']:+.1f} | {g['translate_peak_rss_mib']:+.0f} | "
            f"{g['plain_text_peak_rss_mib']:+.0f} |"
        )
        lines.append(
            f"{name}: from 1/4 to full size ({rows['full_size']}) the format run grows "
            f"{g['format_beyond_object_mib']:+.1f} MiB beyond the document object, "
            f"{g['format_beyond_object_and_pipeline_mib']:+.1f} MiB beyond the object and what "
            "the pipeline holds for the same sentences as plain text"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
