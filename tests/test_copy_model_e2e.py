"""End to end through the real engines with the copy model (a tiny Marian trained to copy its
input, tests/copy_model.py): formatting lands on the same words, injected terms come out,
and tags the model drops are put back by the alignment from its own cross-attention.

The sentences are chosen at run time from a pool: those the model copies exactly, tags
included (a regenerated fixture may miss others), and there must be enough of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dilmanc.documents.base import Unit
from dilmanc.engines.base import Engine, TranslationResult
from dilmanc.engines.registry import load_engine
from dilmanc.languages import resolve
from dilmanc.pipeline.pipeline import Pipeline
from dilmanc.text.align import piece_spans
from dilmanc.text.tagged import CLOSE, OPEN, TAG_PATTERN, Tag, TaggedText

pytestmark = pytest.mark.slow
AZ, EN = resolve("az"), resolve("en")


@pytest.fixture(params=["ctranslate2", "transformers"])
def copy_model(request, copy_marian_dir, copy_marian_ct2_dir) -> Path:
    return copy_marian_ct2_dir if request.param == "ctranslate2" else copy_marian_dir


def bold(words: list[str], index: int) -> TaggedText:
    """A sentence with word `index` in a pair of tags."""
    parts: list = []
    for i, word in enumerate(words):
        if i:
            parts.append(" ")
        parts += [Tag(1, OPEN), word, Tag(1, CLOSE)] if i == index else [word]
    return TaggedText.from_parts(parts)


def bolded_word(tagged: TaggedText) -> str:
    (start, end) = tagged.pair_spans()[1]
    return tagged.text[start:end]


POOL = [
    ("Dünən şəhərdə yeni körpü açıldı.", 2),
    ("Nazirlik bu gün hesabatını dərc etdi.", 3),
    ("Beynəlxalq təşkilatın nümayəndələri görüşdə çıxış etdilər.", 1),
    ("Məktəbdə uşaqlar üçün yeni kitabxana istifadəyə verildi.", 4),
    ("Sərgi gələn həftə paytaxtın mərkəzində keçiriləcək.", 3),
    ("Komissiya iclasında büdcə layihəsi müzakirə olundu.", 2),
    ("Festivalda yerli sənətkarlar öz əsərlərini nümayiş etdirdilər.", 2),
    ("Hava proqnozuna görə sabah güclü külək əsəcək.", 4),
]
NEEDED = 3


def copied_sentences(engine: Engine) -> list[tuple[str, int]]:
    """The pool sentences the model copies exactly, with and without their tags."""
    tagged = [bold(text.split(), k).render() for text, k in POOL]
    outputs = engine.translate_batch([text for text, _ in POOL] + tagged, AZ, EN)
    plain, marked = outputs[: len(POOL)], outputs[len(POOL) :]
    chosen = [
        item
        for item, out, tag_out, tag_in in zip(POOL, plain, marked, tagged, strict=True)
        if out == item[0] and tag_out == tag_in
    ]
    assert len(chosen) >= NEEDED, f"the copy model copies only {len(chosen)} of the pool"
    return chosen


def test_tags_kept_by_the_model_stay_on_their_words(copy_model):
    engine = load_engine(str(copy_model))
    sentences = copied_sentences(engine)
    pipeline = Pipeline({"en": engine}, AZ)
    units = [Unit(str(i), bold(text.split(), k)) for i, (text, k) in enumerate(sentences)]
    out: list = []
    pipeline.translate_units(units, [EN], lambda _, chunk: out.extend(chunk))
    for item, (text, k) in zip(out, sentences, strict=True):
        assert item.target.text == text  # the model copies
        assert bolded_word(item.target) == text.split()[k]
        assert item.tags.by_model == 2 and item.tags.fallback == 0


class DroppingTags(Engine):
    """The real engine, but its output loses the tags (words, tokens and attention of the
    remaining pieces untouched): a model that drops markup."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model

    def supports(self, source, target):
        return self.inner.supports(source, target)

    def supported_targets(self):
        return self.inner.supported_targets()

    def describe_languages(self):
        return self.inner.describe_languages()

    def _encode(self, texts, source, target):  # pragma: no cover - iter_results is used
        raise NotImplementedError

    def _translate_encoded(self, batch, source, target, **decode):  # pragma: no cover
        raise NotImplementedError

    def iter_results(self, texts, source, target, options=None, **kwargs):
        for result in self.inner.iter_results(texts, source, target, options, **kwargs):
            yield _drop_tags(result)


def _drop_tags(result: TranslationResult) -> TranslationResult:
    detok, spans = piece_spans(result.tokens)
    markup = [m.span() for m in TAG_PATTERN.finditer(detok)]
    keep = [
        i
        for i, span in enumerate(spans)
        if span is None or not any(a < span[1] and span[0] < b for a, b in markup)
    ]
    text = " ".join(TAG_PATTERN.sub(" ", result.text).split())
    attention = [result.attention[i] for i in keep] if result.attention else None
    tokens = tuple(result.tokens[i] for i in keep)
    return TranslationResult(text, result.score, tokens, result.source_tokens, attention)


def test_tags_the_model_drops_are_placed_by_its_attention(copy_model):
    engine = DroppingTags(load_engine(str(copy_model)))
    sentences = copied_sentences(engine.inner)
    pipeline = Pipeline({"en": engine}, AZ)
    units = [Unit(str(i), bold(text.split(), k)) for i, (text, k) in enumerate(sentences)]
    out: list = []
    pipeline.translate_units(units, [EN], lambda _, chunk: out.extend(chunk))
    placed = 0
    for item, (text, k) in zip(out, sentences, strict=True):
        assert item.target.text == text
        assert item.tags.by_model == 0 and item.tags.tags == 2  # never dropped
        if bolded_word(item.target) == text.split()[k]:
            placed += 1
    assert placed == len(sentences)
    report = pipeline.report()["tags"]
    assert report["by_alignment"] == 2 * len(sentences) and report["fallback"] == 0


def test_docx_bold_word_and_injected_term_through_the_cli(cli, copy_model, tmp_path):
    import docx

    source = tmp_path / "release.az.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("Dünən şəhərdə ")
    paragraph.add_run("yeni").bold = True
    paragraph.add_run(" körpü açıldı.")
    term = document.add_paragraph()
    term.add_run("BMqT").bold = True
    term.add_run("-nin nümayəndəsi çıxış etdi.")
    document.save(source)
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    args = ["translate", source, "--to", "en", "--model", copy_model, "-o", out]
    res = cli([*args, "--builtin-glossary", "--report", report, "--no-cache", "-q"])
    assert res.code == 0, res.err
    result = docx.Document(out / "release.en.docx")
    first, second = result.paragraphs[:2]
    assert first.text == "Dünən şəhərdə yeni körpü açıldı."
    assert [r.text for r in first.runs if r.bold] == ["yeni"]
    # the injected English term came out, and the bold stayed on the term
    assert "IOM" in second.text and "BMqT" not in second.text
    assert [r.text for r in second.runs if r.bold] == ["IOM"]
    record = json.loads(report.read_text())
    assert record["glossary"]["failed"] == 0 and record["glossary"]["satisfied"] >= 1
    (document_report,) = record["documents"]
    assert document_report["tags_in"] >= 4 and document_report["tags_fallback"] == 0


def test_html_inline_markup_and_terms(cli, copy_model, tmp_path):
    page = tmp_path / "page.az.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="az"><body><p>Bakıda <b>BMqT</b>-nin '
        '<a href="https://example.org/x">nümayəndəsi</a> çıxış etdi.</p></body></html>\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["translate", page, "--to", "en", "--model", copy_model, "-o", out]
    res = cli([*args, "--builtin-glossary", "--no-cache", "-q"])
    assert res.code == 0, res.err
    html = (out / "page.en.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert re.search(r"<b>IOM</b>", html), html
    assert '<a href="https://example.org/x">nümayəndəsi</a>' in html


def test_placeholders_and_references_survive_the_copy_model(copy_marian_ct2_dir, tmp_path):
    """Issue 17 items 3 and 4 on a real model: every placeholder and reference comes back
    exactly once, in its spelling, and an ICU skeleton is never sent."""
    from doubles import translate_and_write

    from dilmanc.documents.html import HtmlDocument
    from dilmanc.documents.po import PoDocument

    engine = load_engine(str(copy_marian_ct2_dir))
    page = tmp_path / "p.html"
    page.write_text(
        "<html><body><p>Saat 02.00&#160;EST&rlm; başlayır, sonra&nbsp;bitir.</p></body></html>",
        encoding="utf-8",
    )
    html, _ = translate_and_write(HtmlDocument.load(page), engine)
    assert html.count(b"&#160;") == 1 and html.count(b"&rlm;") == 1
    assert html.count(b"&nbsp;") == 1 and "\u00a0" not in html.decode()
    catalogue = tmp_path / "app.pot"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, python-format\nmsgid "Faylı %(name)r çevrildi və %(count)d yazıldı"\nmsgstr ""\n\n'
        'msgid "{VAR_PLURAL, plural, =0 {heç kim} =1 {bir nəfər} other {hamı}}"\nmsgstr ""\n'
        'msgid "${resultCount} nəticə tapıldı"\nmsgstr ""\n',
        encoding="utf-8",
    )
    data, _ = translate_and_write(PoDocument.load(catalogue), engine)
    text = data.decode()
    assert text.count("%(name)r") == 2 and text.count("%(count)d") == 2  # msgid and msgstr
    assert text.count("${resultCount}") == 2
    assert re.search(r'msgstr "\{VAR_PLURAL, plural, =0 \{[^{}]*\} =1 \{[^{}]*\} other \{', text)


def test_seed_release_terms_all_come_out_in_english_and_russian(
    cli, seed_path, copy_marian_ct2_dir, copy_marian_ru_ct2_dir, tmp_path
):
    """The sample release through the copy model into both languages: every glossary term
    the release holds comes out in each (quoted speech is cut into sentences the model
    reads whole, so no term is lost in an over-long input)."""
    report = tmp_path / "r.json"
    models = ["--model", copy_marian_ct2_dir, "--model", f"ru={copy_marian_ru_ct2_dir}"]
    args = ["translate", seed_path, "--to", "en,ru", *models, "-o", tmp_path / "out"]
    res = cli([*args, "--builtin-glossary", "--report", report, "--no-cache", "--no-tm", "-q"])
    assert res.code == 0, res.err
    glossary = json.loads(report.read_text())["glossary"]
    assert glossary["expected"] >= 80, glossary  # 84 (42 per language) today
    assert glossary["failed"] == 0 and glossary["satisfied"] == glossary["expected"], glossary


# --- issue 21: the new formats through both engines -------------------------------------------
# Each builds a file with one word of a sentence the model copies in bold, translates it with
# `dilmanc translate` and reads it back with the library that wrote it: the text is copied and
# the bold run holds the same word.


def _split(text: str, k: int) -> tuple[str, str, str]:
    words = text.split()
    before = " ".join(words[:k]) + (" " if k else "")
    after = (" " if k < len(words) - 1 else "") + " ".join(words[k + 1 :])
    return before, words[k], after


def _pptx_write(path: Path, text: str, k: int) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    before, word, after = _split(text, k)
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    paragraph = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(8), Inches(1)).text_frame
    paragraph = paragraph.paragraphs[0]
    for piece, is_bold in ((before, False), (word, True), (after, False)):
        if piece:
            run = paragraph.add_run()
            run.text, run.font.bold = piece, is_bold
    prs.save(path)


def _pptx_read(path: Path) -> tuple[str, list[str]]:
    from pptx import Presentation

    (shape,) = Presentation(path).slides[0].shapes
    paragraph = shape.text_frame.paragraphs[0]
    return paragraph.text, [run.text for run in paragraph.runs if run.font.bold]


def _xlsx_write(path: Path, text: str, k: int) -> None:
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    before, word, after = _split(text, k)
    book = openpyxl.Workbook()
    parts = [before, TextBlock(InlineFont(b=True), word), after]
    book.active["A1"] = CellRichText([part for part in parts if part])
    book.save(path)


def _xlsx_read(path: Path) -> tuple[str, list[str]]:
    import openpyxl
    from openpyxl.cell.rich_text import TextBlock

    value = openpyxl.load_workbook(path, rich_text=True).active["A1"].value
    blocks = [(b.text, bool(b.font.b)) if isinstance(b, TextBlock) else (b, False) for b in value]
    return "".join(t for t, _ in blocks), [t for t, is_bold in blocks if is_bold]


def _odf_write(kind: str):
    """A writer of an ODT (the paragraph in the body), an ODS (in a cell) or an ODP (in a
    slide's text box) holding the sentence with word k in a bold span."""

    def write(path: Path, text: str, k: int) -> None:
        from odf import draw, opendocument, style, table
        from odf.text import P, Span

        before, word, after = _split(text, k)
        document = {
            "odt": opendocument.OpenDocumentText,
            "ods": opendocument.OpenDocumentSpreadsheet,
            "odp": opendocument.OpenDocumentPresentation,
        }[kind]()
        bold = style.Style(name="T1", family="text")
        bold.addElement(style.TextProperties(fontweight="bold"))
        document.automaticstyles.addElement(bold)
        paragraph = P()
        paragraph.addText(before)
        paragraph.addElement(Span(stylename=bold, text=word))
        paragraph.addText(after)
        if kind == "odt":
            document.text.addElement(paragraph)
        elif kind == "ods":
            cell, row, sheet = table.TableCell(valuetype="string"), table.TableRow(), table.Table()
            cell.addElement(paragraph)
            row.addElement(cell)
            sheet.setAttribute("name", "Vərəq")
            sheet.addElement(row)
            document.spreadsheet.addElement(sheet)
        else:
            layout = style.PageLayout(name="PM1")
            document.automaticstyles.addElement(layout)
            master = style.MasterPage(name="Default", pagelayoutname=layout)
            document.masterstyles.addElement(master)
            page = draw.Page(name="slayd1", masterpagename=master)
            frame = draw.Frame(width="25cm", height="5cm", x="1cm", y="1cm")
            box = draw.TextBox()
            box.addElement(paragraph)
            frame.addElement(box)
            page.addElement(frame)
            document.presentation.addElement(page)
        document.save(str(path))

    return write


def _odf_read(path: Path) -> tuple[str, list[str]]:
    from odf import teletype
    from odf.opendocument import load
    from odf.style import Style, TextProperties
    from odf.text import P, Span

    document = load(str(path))
    bold_styles = {
        style.getAttribute("name")
        for style in document.automaticstyles.getElementsByType(Style)
        if any(
            p.getAttribute("fontweight") == "bold" for p in style.getElementsByType(TextProperties)
        )
    }
    (paragraph,) = document.body.getElementsByType(P)
    spans = paragraph.getElementsByType(Span)
    bold = [teletype.extractText(s) for s in spans if s.getAttribute("stylename") in bold_styles]
    return teletype.extractText(paragraph), bold


def _epub_write(path: Path, text: str, k: int) -> None:
    from ebooklib import epub

    before, word, after = _split(text, k)
    book = epub.EpubBook()
    book.set_identifier("dilmanc-copy-0001")
    book.set_title("Xəbər")
    book.set_language("az")
    chapter = epub.EpubHtml(title="Xəbər", file_name="xeber.xhtml", lang="az")
    chapter.content = f"<h1>Xəbər</h1><p>{before}<b>{word}</b>{after}</p>"
    book.add_item(chapter)
    book.toc = [epub.Link("xeber.xhtml", "Xəbər", "xeber")]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", chapter]
    epub.write_epub(str(path), book)


def _epub_read(path: Path) -> tuple[str, list[str]]:
    from ebooklib import epub
    from lxml import etree

    book = epub.read_epub(str(path), {"ignore_ncx": False})
    root = etree.fromstring(book.get_item_with_href("xeber.xhtml").get_content())
    (paragraph,) = root.iter("{http://www.w3.org/1999/xhtml}p")
    bold = ["".join(b.itertext()) for b in paragraph.iter("{http://www.w3.org/1999/xhtml}b")]
    return "".join(paragraph.itertext()), bold


FORMATS = {
    "pptx": (_pptx_write, _pptx_read),
    "xlsx": (_xlsx_write, _xlsx_read),
    "odt": (_odf_write("odt"), _odf_read),
    "ods": (_odf_write("ods"), _odf_read),
    "odp": (_odf_write("odp"), _odf_read),
    "epub": (_epub_write, _epub_read),
}


@pytest.mark.parametrize("ext", list(FORMATS))
def test_new_formats_keep_the_bold_word_through_the_cli(cli, copy_model, ext, tmp_path):
    build, read = FORMATS[ext]
    sentences = copied_sentences(load_engine(str(copy_model)))
    text, k = sentences[0]
    source = tmp_path / f"xeber.az.{ext}"
    build(source, text, k)
    assert read(source) == (text, [text.split()[k]])  # the file says what the test means
    out = tmp_path / "out"
    res = cli(["translate", source, "--to", "en", "--model", copy_model, "-o", out, "-q"])
    assert res.code == 0, res.err
    assert read(out / f"xeber.en.{ext}") == (text, [text.split()[k]])
