"""End to end through the real engines with the copy model (a tiny Marian trained in the test
session to copy its input): formatting lands on the same words, injected terms come out,
and tags the model drops are put back by the alignment from its own cross-attention."""

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


SENTENCES = [
    ("Dünən şəhərdə yeni körpü açıldı.", 2),
    ("Nazirlik bu gün hesabatını dərc etdi.", 3),
    ("Beynəlxalq təşkilatın nümayəndələri görüşdə çıxış etdilər.", 1),
]


def test_tags_kept_by_the_model_stay_on_their_words(copy_model):
    engine = load_engine(str(copy_model))
    pipeline = Pipeline({"en": engine}, AZ)
    units = [Unit(str(i), bold(text.split(), k)) for i, (text, k) in enumerate(SENTENCES)]
    out: list = []
    pipeline.translate_units(units, [EN], lambda _, chunk: out.extend(chunk))
    for item, (text, k) in zip(out, SENTENCES, strict=True):
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
    pipeline = Pipeline({"en": engine}, AZ)
    units = [Unit(str(i), bold(text.split(), k)) for i, (text, k) in enumerate(SENTENCES)]
    out: list = []
    pipeline.translate_units(units, [EN], lambda _, chunk: out.extend(chunk))
    placed = 0
    for item, (text, k) in zip(out, SENTENCES, strict=True):
        assert item.target.text == text
        assert item.tags.by_model == 0 and item.tags.tags == 2  # never dropped
        if bolded_word(item.target) == text.split()[k]:
            placed += 1
    assert placed == len(SENTENCES)
    report = pipeline.report()["tags"]
    assert report["by_alignment"] == 2 * len(SENTENCES) and report["fallback"] == 0


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
