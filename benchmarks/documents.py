"""Document overhead benchmark: the same sentences as plain text, DOCX and HTML.

    python benchmarks/documents.py --json out.json            # mini Marian, ~3 min on 2 cores
    python benchmarks/documents.py --base                     # opus-mt-base shape (slower)

The same NTREX-128 Azerbaijani sentences (read from ../shared at run time, never copied; only
lines dilmanc keeps as one sentence) are written as a plain-text file (one per line), a DOCX
(one paragraph per sentence; every 3rd has a bold word, every 5th an italic phrase, every 7th
a hyperlink) and an HTML page (one <p> per sentence, <b>/<i>/<a> on the same words). Each is
translated by `dilmanc translate FILE --model CT2DIR` with the same CTranslate2 int8 model
(random weights, so every segment decodes exactly --tokens tokens) in its own process;
`translate s` is the command's own `total - load` from its --report, best of --rounds. The
ratios DOCX/plain and HTML/plain are the document overhead (target <= 1.15): reading,
tagging, tag placement and writing the document, with the model's work held equal.

Memory: a 50-page and a 500-page DOCX (20 paragraphs a page) are translated with a tiny
decode (beam 1, 4 tokens); peak RSS is each process's own VmHWM (see _rss.py). For scale,
the RSS that python-docx's object for the 500-page document takes on its own is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _models import MINI_MARIAN, MarianShape, build_marian, convert_ct2  # noqa: E402
from throughput import (  # noqa: E402
    NTREX,
    NTREX_EN,
    _cores,
    _env,
    data_dir,
    run_measured,
    single_segment_lines,
)

LINK = "https://example.az/xeber"


def _styled(index: int, words: list[str], styled: bool = True) -> list[tuple[str, str]]:
    """(text, style) pieces of sentence `index`: style is "", "b", "i" or "a"."""
    if len(words) < 4 or not styled:
        return [(" ".join(words), "")]
    if index % 3 == 0:
        return [(" ".join(words[:2]) + " ", ""), (words[2], "b"), (" " + " ".join(words[3:]), "")]
    if index % 5 == 0:
        return [(words[0] + " ", ""), (" ".join(words[1:3]), "i"), (" " + " ".join(words[3:]), "")]
    if index % 7 == 0:
        return [(" ".join(words[:-2]) + " ", ""), (words[-2], "a"), (" " + words[-1], "")]
    return [(" ".join(words), "")]


def write_docx(
    sentences: list[str], path: Path, *, page_break_every: int = 0, styled: bool = True
) -> Path:
    import docx
    from docx.enum.text import WD_BREAK
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    rid = document.part.relate_to(LINK, RT.HYPERLINK, is_external=True)
    for index, sentence in enumerate(sentences, 1):
        paragraph = document.add_paragraph()
        for text, style in _styled(index, sentence.split(" "), styled):
            if style == "a":
                paragraph._p.append(
                    parse_xml(
                        f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}"><w:r><w:rPr>'
                        f'<w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">'
                        f"{_xml_escape(text)}</w:t></w:r></w:hyperlink>"
                    )
                )
            else:
                run = paragraph.add_run(text)
                run.bold = style == "b" or None
                run.italic = style == "i" or None
        if page_break_every and index % page_break_every == 0:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_html(sentences: list[str], path: Path, *, styled: bool = True) -> Path:
    import html

    tags = {"b": ("<b>", "</b>"), "i": ("<i>", "</i>"), "a": (f'<a href="{LINK}">', "</a>")}
    body = []
    for index, sentence in enumerate(sentences, 1):
        pieces = []
        for text, style in _styled(index, sentence.split(" "), styled):
            opening, closing = tags.get(style, ("", ""))
            pieces.append(opening + html.escape(text, quote=False) + closing)
        body.append("<p>" + "".join(pieces) + "</p>")
    page = (
        '<!DOCTYPE html>\n<html lang="az">\n<head><meta charset="utf-8"></head>\n<body>\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path


def translate(model: Path, source: Path, out_dir: Path, opts, *, beam: int, tokens: int) -> dict:
    report = out_dir.with_suffix(".report.json")
    cmd = [
        "-m", "dilmanc", "translate", str(source), "--to", "en", "--model", str(model),
        "--engine", "ctranslate2", "--out-dir", str(out_dir), "--beam", str(beam),
        "--min-length", str(tokens), "--max-length", str(tokens), "--threads", str(opts.threads),
        "--quiet", "--report", str(report),
        "--no-cache", "--no-tm",  # repeated rounds must decode, not come from the cache
    ]  # fmt: skip
    wall, rss, code, err = run_measured(cmd, env=_env())
    if code != 0:
        raise SystemExit(f"documents: dilmanc translate {source.name} failed ({code}):\n{err}")
    stats = json.loads(report.read_text(encoding="utf-8"))
    seconds = stats.get("seconds", {})
    load = float(seconds.get("load", 0.0))
    outputs = list(out_dir.iterdir())
    return {
        "file": source.name,
        "translate_s": float(seconds["total"]) - load,
        "load_s": load,
        "wall_s": wall,
        "peak_rss_mib": rss,
        "seconds": seconds,
        "output": str(outputs[0]) if outputs else None,
    }


def best_of(runs: list[dict]) -> dict:
    best = dict(min(runs, key=lambda r: r["translate_s"]))
    best["translate_s_rounds"] = [round(r["translate_s"], 3) for r in runs]
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return best


def check_outputs(results: dict, n: int) -> None:
    """Every format's output holds the n translated sentences (nothing lost or merged)."""
    import docx

    counts = {}
    for name, row in results.items():
        output = Path(row["output"])
        if name == "text":
            counts[name] = len(output.read_text(encoding="utf-8").splitlines())
        elif name.startswith("docx"):
            counts[name] = sum(1 for p in docx.Document(str(output)).paragraphs if p.text)
        else:
            counts[name] = output.read_text(encoding="utf-8").count("<p>")
    if set(counts.values()) != {n}:
        raise SystemExit(f"documents: outputs do not hold {n} sentences each: {counts}")


def document_object_mib(path: Path) -> float:
    """RSS growth of loading `path` with python-docx alone, in a fresh process."""
    code = (
        "import docx,sys\n"
        "def rss():\n"
        " return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]"
        ".split()[1])/1024\n"
        "before=rss(); d=docx.Document(sys.argv[1]); print(rss()-before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=_env()
    )
    return float(done.stdout.strip() or "nan")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", dest="json_out", help="write all numbers to this JSON file")
    p.add_argument("--work-dir", default=os.environ.get("DILMANC_BENCH_DIR"),
                   help="model cache (default ~/.cache/dilmanc/bench)")  # fmt: skip
    p.add_argument("--data-dir", help="directory holding ntrex128/ (default ../shared/data)")
    p.add_argument("--sentences", type=int, default=500)
    p.add_argument("--tokens", type=int, default=32, help="fixed target tokens per segment")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--rounds", type=int, default=3, help="runs per format; the fastest counts")
    p.add_argument("--threads", type=int, default=_cores())
    p.add_argument("--base", action="store_true", help="opus-mt-base shape instead of mini")
    p.add_argument("--pages", default="50,500", help="DOCX page counts for the memory test")
    p.add_argument("--no-memory", action="store_true", help="skip the DOCX memory test")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    started = time.perf_counter()
    data = data_dir(opts.data_dir)
    work = Path(opts.work_dir or Path.home() / ".cache" / "dilmanc" / "bench")
    work.mkdir(parents=True, exist_ok=True)
    az = (data / NTREX).read_text(encoding="utf-8").splitlines()
    en = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    shape = MarianShape() if opts.base else MINI_MARIAN
    model = convert_ct2(build_marian(work, az, en, shape))
    sentences = single_segment_lines(az)[: opts.sentences]
    result: dict = {
        "model": "opus-mt-base" if opts.base else "mini-marian",
        "ct2_dir": str(model),
        "sentences": len(sentences),
        "tokens_per_segment": opts.tokens,
        "beam": opts.beam,
        "threads": opts.threads,
    }
    with tempfile.TemporaryDirectory(prefix="dilmanc-docbench-") as tmp_name:
        tmp = Path(tmp_name)
        inputs = {
            "text": tmp / "doc.txt",
            "docx": write_docx(sentences, tmp / "doc.docx"),
            "html": write_html(sentences, tmp / "doc.html"),
            "docx-untagged": write_docx(sentences, tmp / "untagged.docx", styled=False),
            "html-untagged": write_html(sentences, tmp / "untagged.html", styled=False),
        }
        inputs["text"].write_text("\n".join(sentences) + "\n", encoding="utf-8")
        runs: dict[str, list[dict]] = {name: [] for name in inputs}
        for round_number in range(opts.rounds):  # interleaved, so load drifts hit all alike
            for name, source in inputs.items():
                out = tmp / f"out-{name}-{round_number}"
                runs[name].append(
                    translate(model, source, out, opts, beam=opts.beam, tokens=opts.tokens)
                )
        results = {name: best_of(rows) for name, rows in runs.items()}
        check_outputs(results, len(sentences))
        for row in results.values():
            row.pop("output", None)
        result["formats"] = results
        plain = results["text"]["translate_s"]
        result["docx_over_plain"] = results["docx"]["translate_s"] / plain
        result["html_over_plain"] = results["html"]["translate_s"] / plain
        # the same files without inline formatting: the format's own cost, no tag placement
        result["docx_untagged_over_plain"] = results["docx-untagged"]["translate_s"] / plain
        result["html_untagged_over_plain"] = results["html-untagged"]["translate_s"] / plain
        if not opts.no_memory:
            result["memory"] = memory(model, az, [int(n) for n in opts.pages.split(",")], tmp)
    result["benchmark_s"] = time.perf_counter() - started
    print(render(result))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def memory(model: Path, az: list[str], pages: list[int], tmp: Path) -> dict:
    """Peak RSS of translating DOCX files of growing page counts (tiny decode)."""
    lines = [line for line in az if line.strip()]
    rows = {}
    opts = argparse.Namespace(threads=_cores())
    for count in pages:
        n = count * 20
        sentences = [f"{lines[i % len(lines)]} ({i // len(lines) + 1})" for i in range(n)]
        path = write_docx(sentences, tmp / f"pages-{count}.docx", page_break_every=20)
        row = translate(model, path, tmp / f"out-pages-{count}", opts, beam=1, tokens=4)
        text = tmp / f"pages-{count}.txt"
        text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        baseline = translate(model, text, tmp / f"out-text-{count}", opts, beam=1, tokens=4)
        with zipfile.ZipFile(path) as archive:
            xml_mib = archive.getinfo("word/document.xml").file_size / 2**20
        rows[str(count)] = {
            "paragraphs": n,
            "docx_kib": path.stat().st_size / 1024,
            "document_xml_mib": xml_mib,
            "peak_rss_mib": row["peak_rss_mib"],
            "translate_s": row["translate_s"],
            "plain_text_peak_rss_mib": baseline["peak_rss_mib"],
            "plain_text_translate_s": baseline["translate_s"],
            "python_docx_object_mib": document_object_mib(path),
        }
    return rows


def render(result: dict) -> str:
    lines = [
        f"model {result['model']}, {result['sentences']} sentences, "
        f"{result['tokens_per_segment']} tokens/segment, beam {result['beam']}",
        "| format | translate s (best) | rounds | load s | peak RSS MiB |",
        "|---|---:|---|---:|---:|",
    ]
    for name, row in result["formats"].items():
        lines.append(
            f"| {name} | {row['translate_s']:.2f} | {row['translate_s_rounds']} | "
            f"{row['load_s']:.2f} | {row['peak_rss_mib']:.0f} |"
        )
    lines.append(
        f"DOCX/plain {result['docx_over_plain']:.3f}, HTML/plain {result['html_over_plain']:.3f}"
        " (target <= 1.15); without inline formatting: DOCX/plain "
        f"{result['docx_untagged_over_plain']:.3f}, HTML/plain "
        f"{result['html_untagged_over_plain']:.3f}"
    )
    for pages, row in result.get("memory", {}).items():
        lines.append(
            f"DOCX {pages} pages ({row['paragraphs']} paragraphs, document.xml "
            f"{row['document_xml_mib']:.1f} MiB): peak RSS {row['peak_rss_mib']:.0f} MiB "
            f"(same sentences as plain text {row['plain_text_peak_rss_mib']:.0f} MiB), "
            f"python-docx object alone {row['python_docx_object_mib']:.0f} MiB"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
