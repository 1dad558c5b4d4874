"""Document overhead benchmark: the same sentences as plain text, DOCX, HTML, PPTX, XLSX,
ODT/ODS/ODP, EPUB and PDF.

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

With random weights the model garbles the tags of every tagged sentence it is sent, so the
pipeline decodes each such sentence a second time without its tags (issue 17): model work
that plain text does not have, and that a model which keeps tags does not do. Each row
reports the sentences re-decoded and the seconds that took (the --report's
`tags.redecode_seconds`), and `over_plain_without_redecode` is the ratio with those seconds
taken out: the format and tag code's own cost. `outside_engine_s` (fastest round) is the time
outside the engine stage (importing the format's libraries, reading, segmenting, writing): the
format code's cost on its own, against plain text's.

The formats of issue 21 (`--formats`, all by default) carry the same sentences and the same
inline formatting: a PPTX (10 paragraphs to a slide's text box; bold/italic/hyperlink runs), an
XLSX (a text cell a row, rich text; the link word is an underlined run), an ODT, ODS (a cell a
row) and ODP (10 paragraphs a slide) with bold/italic spans and links, an EPUB (chapters of 50
paragraphs, the HTML page's markup) and a text PDF (fpdf2, read into paragraphs and written as
DOCX). Each one's ratio to plain text is in `over_plain`.

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
    _cores,
    _env,
    ntrex_inputs,
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


def _html_paragraphs(sentences: list[str], styled: bool = True) -> list[str]:
    import html

    tags = {"b": ("<b>", "</b>"), "i": ("<i>", "</i>"), "a": (f'<a href="{LINK}">', "</a>")}
    body = []
    for index, sentence in enumerate(sentences, 1):
        pieces = []
        for text, style in _styled(index, sentence.split(" "), styled):
            opening, closing = tags.get(style, ("", ""))
            pieces.append(opening + html.escape(text, quote=False) + closing)
        body.append("<p>" + "".join(pieces) + "</p>")
    return body


def write_html(sentences: list[str], path: Path, *, styled: bool = True) -> Path:
    page = (
        '<!DOCTYPE html>\n<html lang="az">\n<head><meta charset="utf-8"></head>\n<body>\n'
        + "\n".join(_html_paragraphs(sentences, styled))
        + "\n</body>\n</html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path


def _numbered(sentences: list[str], per: int):
    """(first sentence number, sentences) of each group of `per`: a slide, a chapter."""
    for start in range(0, len(sentences), per):
        yield start + 1, sentences[start : start + per]


def write_pptx(sentences: list[str], path: Path, *, per_slide: int = 10) -> Path:
    """One text box a slide, `per_slide` paragraphs in it, bold/italic/hyperlink runs."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for first, group in _numbered(sentences, per_slide):
        slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
        box = slide.shapes.add_textbox(Inches(0.5), Inches(0.5), Inches(9), Inches(6))
        box.text_frame.word_wrap = True
        for offset, sentence in enumerate(group):
            frame = box.text_frame
            paragraph = frame.paragraphs[0] if offset == 0 else frame.add_paragraph()
            for text, style in _styled(first + offset, sentence.split(" ")):
                run = paragraph.add_run()
                run.text = text
                run.font.bold = style == "b" or None
                run.font.italic = style == "i" or None
                if style == "a":
                    run.hyperlink.address = LINK
    deck.save(str(path))
    return path


def write_xlsx(sentences: list[str], path: Path) -> Path:
    """One text cell a row; a formatted sentence is rich text (a link is an underlined run)."""
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    fonts = {"b": InlineFont(b=True), "i": InlineFont(i=True), "a": InlineFont(u="single")}
    book = openpyxl.Workbook()
    for row, sentence in enumerate(sentences, 1):
        pieces = _styled(row, sentence.split(" "))
        value = CellRichText([TextBlock(fonts[s], t) if s else t for t, s in pieces])
        book.active.cell(row, 1, value if len(pieces) > 1 else sentence)
    book.save(str(path))
    return path


def _odf_paragraphs(document, sentences: list[str]) -> list:
    """text:p elements with bold/italic spans and links, their styles added to `document`."""
    from odf.style import Style, TextProperties
    from odf.text import A, P, Span

    styles = {}
    for name, key, props in (("T1", "b", {"fontweight": "bold"}),
                             ("T2", "i", {"fontstyle": "italic"})):  # fmt: skip
        styles[key] = Style(name=name, family="text")
        styles[key].addElement(TextProperties(**props))
        document.automaticstyles.addElement(styles[key])
    out = []
    for index, sentence in enumerate(sentences, 1):
        paragraph = P()
        for text, style in _styled(index, sentence.split(" ")):
            if style == "a":
                paragraph.addElement(A(type="simple", href=LINK, text=text))
            elif style:
                paragraph.addElement(Span(stylename=styles[style], text=text))
            else:
                paragraph.addText(text)
        out.append(paragraph)
    return out


def write_odt(sentences: list[str], path: Path) -> Path:
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    for paragraph in _odf_paragraphs(document, sentences):
        document.text.addElement(paragraph)
    document.save(str(path))
    return path


def write_ods(sentences: list[str], path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow

    document = OpenDocumentSpreadsheet()
    table = Table(name="Cədvəl")
    for paragraph in _odf_paragraphs(document, sentences):
        cell = TableCell(valuetype="string")
        cell.addElement(paragraph)
        row = TableRow()
        row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_odp(sentences: list[str], path: Path, *, per_slide: int = 10) -> Path:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout

    document = OpenDocumentPresentation()
    layout = PageLayout(name="PM1")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    paragraphs = _odf_paragraphs(document, sentences)
    for first, group in _numbered(paragraphs, per_slide):
        page = Page(name=f"slayd{first}", masterpagename=master)
        frame = Frame(width="25cm", height="17cm", x="1cm", y="1cm")
        box = TextBox()
        for paragraph in group:
            box.addElement(paragraph)
        frame.addElement(box)
        page.addElement(frame)
        document.presentation.addElement(page)
    document.save(str(path))
    return path


def write_epub(sentences: list[str], path: Path, *, per_chapter: int = 50) -> Path:
    """Chapters of `per_chapter` paragraphs, the same markup as the HTML page."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("dilmanc-bench")
    book.set_title("Xəbərlər")
    book.set_language("az")
    chapters = []
    paragraphs = _html_paragraphs(sentences)
    for first, group in _numbered(paragraphs, per_chapter):
        chapter = epub.EpubHtml(title=f"{first}", file_name=f"c{first}.xhtml", lang="az")
        chapter.content = "".join(group)
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = [epub.Link(c.file_name, c.title, c.file_name) for c in chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)
    return path


def write_pdf(sentences: list[str], path: Path) -> Path:
    """A text PDF (fpdf2, DejaVu Sans from matplotlib) with bold/italic/linked words; dilmanc
    reads it into paragraphs and writes a DOCX."""
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4", unit="pt")
    for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold"),
                        ("I", "DejaVuSans-Oblique")):  # fmt: skip
        pdf.add_font("DejaVu", style, str(fonts / f"{name}.ttf"))
    pdf.add_page()
    for index, sentence in enumerate(sentences, 1):
        if pdf.get_y() > pdf.h - 160:  # a paragraph is never cut by a page break
            pdf.add_page()
        for text, style in _styled(index, sentence.split(" ")):
            pdf.set_font("DejaVu", {"b": "B", "i": "I"}.get(style, ""), 11)
            for number, word in enumerate(text.split(" ")):
                if number:
                    pdf.write(14, " ")
                if pdf.x + pdf.get_string_width(word) > pdf.w - pdf.r_margin - 4 * pdf.c_margin:
                    pdf.ln(14)  # fpdf2 would cut a word written on its own
                pdf.write(14, word, link=LINK if style == "a" else "")
        pdf.ln(24)
    pdf.output(str(path))
    return path


WRITERS = {  # the formats of issue 21, each on the same sentences and inline formatting
    "pptx": write_pptx,
    "xlsx": write_xlsx,
    "odt": write_odt,
    "ods": write_ods,
    "odp": write_odp,
    "epub": write_epub,
    "pdf": write_pdf,
}


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
    tags = stats.get("tags", {})
    return {
        "file": source.name,
        "translate_s": float(seconds["total"]) - load,
        # sentences whose tagged output came back garbled and were decoded again without
        # their tags, and the seconds that took (part of translate_s)
        "units_with_tags": tags.get("units", 0),
        "redecoded": tags.get("redecoded", 0),
        "redecode_s": float(tags.get("redecode_seconds", 0.0)),
        # everything but the engine stage: imports, reading, segmenting, writing the format
        "outside_engine_s": float(seconds["total"]) - load - float(seconds.get("engine", 0.0)),
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
    best["outside_engine_s"] = min(r["outside_engine_s"] for r in runs)
    return best


def check_outputs(results: dict, n: int) -> None:
    """Every format's output holds the n translated sentences (nothing lost or merged)."""
    counts = {name: count_sentences(name, Path(row["output"])) for name, row in results.items()}
    if set(counts.values()) != {n}:
        raise SystemExit(f"documents: outputs do not hold {n} sentences each: {counts}")


def count_sentences(name: str, output: Path) -> int:
    """Non-empty paragraphs (cells, for a workbook) in a translated file."""
    if name == "text":
        return len(output.read_text(encoding="utf-8").splitlines())
    if name.startswith("docx") or name == "pdf":  # a PDF comes back as DOCX
        import docx

        return sum(1 for p in docx.Document(str(output)).paragraphs if p.text)
    if name == "pptx":
        from pptx import Presentation

        frames = [s.text_frame for slide in Presentation(str(output)).slides for s in slide.shapes]
        return sum(1 for frame in frames for p in frame.paragraphs if p.text)
    if name == "xlsx":
        import openpyxl

        return sum(1 for (cell,) in openpyxl.load_workbook(output).active.iter_rows() if cell.value)
    if name in ("odt", "ods", "odp"):
        from lxml import etree

        with zipfile.ZipFile(output) as archive:
            root = etree.fromstring(archive.read("content.xml"))
        paragraphs = root.iter("{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p")
        return sum(1 for p in paragraphs if "".join(p.itertext()).strip())
    if name == "epub":
        with zipfile.ZipFile(output) as archive:
            names = [m for m in archive.namelist() if m.endswith(".xhtml") and "nav" not in m]
            return sum(archive.read(m).decode("utf-8").count("<p>") for m in names)
    return output.read_text(encoding="utf-8").count("<p>")


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
    p.add_argument("--formats", default=",".join(WRITERS),
                   help="formats beside text, DOCX and HTML (comma-separated)")  # fmt: skip
    opts = p.parse_args(argv)
    unknown = set(filter(None, opts.formats.split(","))) - set(WRITERS)
    if unknown:
        p.error(f"--formats: unknown {', '.join(sorted(unknown))} (known: {', '.join(WRITERS)})")
    return opts


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    started = time.perf_counter()
    work, (az, en) = ntrex_inputs(opts.data_dir, opts.work_dir)
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
        for name in filter(None, opts.formats.split(",")):
            inputs[name] = WRITERS[name](sentences, tmp / f"doc.{name}")
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
        result["over_plain"] = {
            name: row["translate_s"] / plain for name, row in results.items() if name != "text"
        }
        # the same without the decodes again: what the format and tag code cost, not the
        # random model's garbled tags
        result["over_plain_without_redecode"] = {
            name: (row["translate_s"] - row["redecode_s"]) / plain
            for name, row in results.items()
            if name != "text"
        }
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
        "| format | translate s (best) | rounds | load s | peak RSS MiB | tagged units | "
        "re-decoded | re-decode s | over plain | without re-decode | outside engine s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["formats"].items():
        ratios = (
            f"{result['over_plain'][name]:.3f} | {result['over_plain_without_redecode'][name]:.3f}"
            if name != "text"
            else "1 | 1"
        )
        lines.append(
            f"| {name} | {row['translate_s']:.2f} | {row['translate_s_rounds']} | "
            f"{row['load_s']:.2f} | {row['peak_rss_mib']:.0f} | {row['units_with_tags']} | "
            f"{row['redecoded']} | {row['redecode_s']:.2f} | {ratios} | "
            f"{row['outside_engine_s']:.2f} |"
        )
    lines.append(
        f"DOCX/plain {result['docx_over_plain']:.3f}, HTML/plain {result['html_over_plain']:.3f}"
        " (target <= 1.15); without inline formatting: DOCX/plain "
        f"{result['docx_untagged_over_plain']:.3f}, HTML/plain "
        f"{result['html_untagged_over_plain']:.3f}"
    )
    new = [f"{name.upper()}/plain {ratio:.3f}" for name, ratio in result["over_plain"].items()
           if name in WRITERS]  # fmt: skip
    if new:
        lines.append(", ".join(new))
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
