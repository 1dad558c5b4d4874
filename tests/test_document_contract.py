"""The contract every registered `Document` class passes (as translate-toolkit's storage tests
do): a new format is added by passing it. For each format in `documents/registry.FORMATS`, a
small sample file built here:

* written back without any translation, it is byte-identical to the input for the formats in
  BYTE_IDENTICAL; the others are structurally identical (read again, they give the same
  units): PowerPoint, OpenDocument and EPUB packages have members re-serialized, HTML gets
  the target language in `<html lang>`, and PDF is written as Word (the same paragraphs);
* every unit has an id (unique) and a location, and its source and any existing target have
  balanced tags, each tag id with a code;
* a broken file is one InputError line naming the file.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from doc_helpers import OLE, members, with_doctype, zipped
from format_cli import refused

from dilmanc.documents.registry import FORMATS, format_class
from dilmanc.errors import InputError
from dilmanc.languages import resolve
from dilmanc.text.tagged import EMPTY, pairing_problem

EN = resolve("en")

# formats whose untranslated write-back is the input byte for byte
BYTE_IDENTICAL = {"docx", "xlsx", "xliff", "po", "srt", "vtt", "markdown", "text"}
# broken input per format: a truncated package or PDF, malformed XML or PO; the formats that
# take any text (HTML never fails on malformed markup) get an empty file
BROKEN = {
    **dict.fromkeys(("docx", "pptx", "xlsx", "odt", "ods", "odp", "epub"), b"PK\x03\x04 cut"),
    "pdf": b"%PDF-1.4 cut",
    "xliff": b"<xliff version='1.2'><file",
    "po": b'msgid "a\n',
    **dict.fromkeys(("html", "srt", "vtt", "markdown", "text"), b""),
}


def _docx(path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Nazirlik ")
    paragraph.add_run("hesabat").bold = True
    paragraph.add_run(" dərc etdi.")
    document.add_paragraph("İkinci abzas.")
    document.save(path)


def _pptx(path: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Hesabat"
    body = slide.placeholders[1].text_frame
    body.text = "Birinci bənd."
    body.add_paragraph().text = "İkinci bənd."
    deck.save(path)


def _xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Ad"
    sheet["B1"] = "Şəhər"
    sheet["A2"] = 42
    sheet["B2"] = "Bakı şəhəri"
    book.save(path)


def _odf(kind: str):
    def build(path: Path) -> None:
        import odf_fixtures

        maker = {"odt": odf_fixtures.rich_text, "ods": odf_fixtures.spreadsheet}
        odf_fixtures.save(maker.get(kind, odf_fixtures.presentation)(), path)

    return build


def _epub(path: Path) -> None:
    import epub_fixtures

    epub_fixtures.save(epub_fixtures.book(), path)


def _pdf(path: Path) -> None:
    import pdf_fixtures

    pdf_fixtures.release(path)


def _text(data: str):
    def build(path: Path) -> None:
        path.write_bytes(data.encode("utf-8"))

    return build


XLIFF = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
 <file source-language="az" target-language="en" datatype="plaintext" original="a.txt">
  <body>
   <trans-unit id="1"><source>Bu <g id="b">vacib</g> xəbərdir<x id="x1"/>.</source>
     <target state="translated">This is <g id="b">important</g> news<x id="x1"/>.</target>
   </trans-unit>
   <trans-unit id="2"><source>Son söz.</source></trans-unit>
  </body>
 </file>
</xliff>
"""
PO = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    '#, c-format\nmsgid "Copy %s to <b>%d</b> files"\nmsgstr ""\n\n'
    'msgid "Open"\nmsgstr "Open"\n'
)
HTML = (
    "<!DOCTYPE html>\n<html><head><title>Xəbər</title></head>\n<body>\n"
    "<p>Nazirlik <b>hesabat</b> dərc etdi.</p>\n<p>İkinci abzas.</p>\n</body></html>\n"
)
SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nSalam, <i>dünya</i>!\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\nSağ ol.\n"
)
VTT = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nSalam, <b>dünya</b>!\n\n"
    "00:00:03.000 --> 00:00:04.000\nSağ ol.\n"
)
MARKDOWN = "# Başlıq\n\nŞəhərin *yeni* parkı açıldı.\n\n- bir\n- iki\n"
TEXT = "Birinci sətir.\r\nİkinci sətir.\n\nÜçüncü.\n"

SAMPLES = {
    "docx": _docx,
    "pptx": _pptx,
    "xlsx": _xlsx,
    "odt": _odf("odt"),
    "ods": _odf("ods"),
    "odp": _odf("odp"),
    "epub": _epub,
    "pdf": _pdf,
    "xliff": _text(XLIFF),
    "po": _text(PO),
    "html": _text(HTML),
    "srt": _text(SRT),
    "vtt": _text(VTT),
    "markdown": _text(MARKDOWN),
    "text": _text(TEXT),
}


def test_every_registered_format_has_a_sample():
    assert set(SAMPLES) == set(FORMATS)
    assert set(FORMATS) >= BYTE_IDENTICAL and set(BROKEN) == set(FORMATS)


def _sample(name: str, tmp_path: Path) -> Path:
    path = tmp_path / f"sample{FORMATS[name][1][0]}"
    SAMPLES[name](path)
    return path


def _load(name: str, path: Path):
    return format_class(name).load(path)


def _write(document) -> bytes:
    handle = io.BytesIO()
    if document.binary:
        document.write(handle, EN, {})
        return handle.getvalue()
    text = io.TextIOWrapper(handle, encoding=document.encoding, newline="")
    document.write(text, EN, {})
    text.flush()
    return handle.getvalue()


def _shape(units) -> list[tuple[str, str | None]]:
    return [(u.source.render(), u.target.render() if u.target else None) for u in units]


@pytest.fixture(params=sorted(FORMATS))
def fmt(request) -> str:
    return request.param


def test_units_carry_ids_locations_and_balanced_tags(fmt, tmp_path):
    units = list(_load(fmt, _sample(fmt, tmp_path)).units())
    assert units, f"{fmt}: the sample gives no units"
    ids = [u.id for u in units]
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(u.location for u in units), [u.id for u in units if not u.location]
    for unit in units:
        for side in (unit.source, unit.target):
            if side is None:
                continue
            tags = [tag for _, tag in side.tags]
            assert pairing_problem(tags) is None, (fmt, unit.id, side.render())
        for _, tag in unit.source.tags:
            assert tag.id in unit.codes, (fmt, unit.id, tag)
            assert (unit.codes[tag.id].kind == "standalone") == (tag.kind == EMPTY)


def test_round_trip_without_translation(fmt, tmp_path):
    path = _sample(fmt, tmp_path)
    document = _load(fmt, path)
    before = _shape(document.units())
    written = _write(document)
    if fmt in BYTE_IDENTICAL:
        assert written == path.read_bytes()
        return
    out_format = "docx" if fmt == "pdf" else fmt
    out = tmp_path / f"out{FORMATS[out_format][1][0]}"
    out.write_bytes(written)
    after = _shape(_load(out_format, out).units())
    if fmt == "pdf":  # written as Word: the same text, paragraph by paragraph
        assert [s for s, _ in after] == [s for s, _ in before]
    else:
        assert after == before


def test_bad_input_is_one_input_error_line(fmt, tmp_path):
    path = tmp_path / f"broken{FORMATS[fmt][1][0]}"
    path.write_bytes(BROKEN[fmt])
    with pytest.raises(InputError) as err:
        format_class(fmt).load(path)
    message = str(err.value)
    assert "\n" not in message.strip() and "broken" in message


# --- bad input through the command line ---------------------------------------------------------

PACKAGED = ("docx", "pptx", "xlsx", "odt", "ods", "odp", "epub")


def _main_member(data: bytes) -> str:
    """The package member holding the text (the one a hostile DOCTYPE goes into)."""
    names = list(members(data))
    for wanted in ("word/document.xml", "ppt/slides/slide1.xml", "xl/worksheets/sheet1.xml"):
        if wanted in names:
            return wanted
    return next(n for n in names if n == "content.xml" or n.endswith(".xhtml"))


PACKAGE_CASES = {  # what every ZIP-packaged format refuses, whatever its own checks add
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "legacy or encrypted": lambda data: OLE + b"\0" * 600,
    "another zip": lambda data: zipped({"notes.txt": b"salam"}),
    "hostile xml": lambda data: with_doctype(data, _main_member(data)),
}


@pytest.fixture
def table_engine(monkeypatch):
    from doubles import DictEngine, use_for_every_model

    engine = DictEngine({})
    use_for_every_model(monkeypatch, engine)
    return engine


def test_broken_input_is_refused_by_the_command_line_without_output(
    fmt, cli, table_engine, tmp_path
):
    line = refused(cli, tmp_path / f"broken{FORMATS[fmt][1][0]}", table_engine, data=BROKEN[fmt])
    assert "broken" in line


@pytest.mark.parametrize("fmt", PACKAGED)
@pytest.mark.parametrize("case", sorted(PACKAGE_CASES))
def test_bad_packages_are_refused_by_the_command_line(fmt, case, cli, table_engine, tmp_path):
    data = PACKAGE_CASES[case](_sample(fmt, tmp_path).read_bytes())
    line = refused(cli, tmp_path / f"bad{FORMATS[fmt][1][0]}", table_engine, data=data)
    assert f"bad{FORMATS[fmt][1][0]}" in line
