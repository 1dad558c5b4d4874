"""PDF in, Word out: paragraphs rebuilt across line breaks and hyphenation, headings, lists
and a simple table recognised, bold and italic words as tags; written as DOCX with a warning
saying so; scans (no text layer), encrypted and broken PDFs refused with one line."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pdf_fixtures as F
import pytest
from doc_helpers import load_refused, upper, write
from doubles import DictEngine, translate_document
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401

from dilmanc.documents.pdf import PdfDocument
from dilmanc.documents.registry import detect_format, output_name
from dilmanc.errors import InputError
from dilmanc.languages import resolve

EN, RU = resolve("en"), resolve("ru")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PARAGRAPH = (
    "Dünən Bakıda yeni körpü təntənəli şəkildə açıldı. Körpünün uzunluğu iki kilometrdir və o, "
    "şəhərin iki hissəsini birləşdirir. Açılışda nazir çıxış etdi və tikintidə iştirak "
    "edənlərə təşəkkür etdi."
)
EVENT = "Tədbirdə <g1>BMqT</g1>-nin nümayəndəsi <g2>insan alveri</g2> barədə danışdı."


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return F.release(tmp_path_factory.mktemp("pdf") / "bəyanat.pdf")


def runs(paragraph) -> list[tuple[str, bool, bool]]:
    return [(run.text, bool(run.bold), bool(run.italic)) for run in paragraph.runs]


def blocks(data: bytes) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(io.BytesIO(data)).paragraphs]


# --- reading ----------------------------------------------------------------------------------


def test_units_are_blocks_rebuilt_from_lines(release):
    units = [
        (u.source.render(), u.location, u.translate) for u in PdfDocument.load(release).units()
    ]
    assert units == [
        ("Yeni körpü açıldı", "page 1, block 1 (heading)", True),
        (PARAGRAPH, "page 1, block 2 (paragraph)", True),  # "kilo-" + "metrdir" joined
        (EVENT, "page 1, block 3 (paragraph)", True),
        ("Əsas rəqəmlər", "page 1, block 4 (heading)", True),
        ("Körpü iki kilometrdir.", "page 1, block 5 (bullet)", True),  # the bullet is Word's
        ("Tikinti üç il çəkdi.", "page 1, block 6 (bullet)", True),
        ("Birinci mərhələ bitdi.", "page 1, block 7 (number)", True),
        ("İkinci mərhələ başlayır.", "page 1, block 8 (number)", True),
        ("Şəhər", "page 1, table 1, row 1, cell 1", True),
        ("Əhali", "page 1, table 1, row 1, cell 2", True),
        ("Sahə", "page 1, table 1, row 1, cell 3", True),
        ("Bakı", "page 1, table 1, row 2, cell 1", True),
        ("2300000", "page 1, table 1, row 2, cell 2", False),  # no letter: kept as it is
        ("2140", "page 1, table 1, row 2, cell 3", False),
        ("Gəncə", "page 1, table 1, row 3, cell 1", True),
        ("330000", "page 1, table 1, row 3, cell 2", False),
        ("110", "page 1, table 1, row 3, cell 3", False),
        ("Ətraflı məlumat üçün mətbuat xidmətinə müraciət edin.", "page 1, block 10 (paragraph)",
         True),
        ("1", "page 1, block 11 (paragraph)", False),  # the page number
    ]  # fmt: skip
    document = PdfDocument.load(release)
    event = next(u for u in document.units() if u.source.render() == EVENT)
    assert [code.name for code in event.codes.values()] == ["bold", "italic"]
    assert document.size == 14


def test_lists_items_over_two_lines_and_pages(tmp_path):
    document = PdfDocument.load(F.lists(tmp_path / "siyahı.pdf"))
    assert [(u.source.render(), u.location) for u in document.units()] == [
        ("Birinci bənd.", "page 1, block 1 (number)"),
        ("İkinci bənd.", "page 1, block 2 (number)"),
        ("Aradakı mətn burada yazılıb.", "page 1, block 3 (paragraph)"),
        ("Beşinci bənd.", "page 1, block 4 (number)"),
        ("Altıncı bənd.", "page 1, block 5 (number)"),
        # the indented second line is in a text box of its own: still the same item
        ("Uzun bənd iki sətrə <g1>bölünür</g1> və orada davam edir.", "page 1, block 6 (bullet)"),
        ("Qısa bənd.", "page 1, block 7 (bullet)"),
        ("İkinci səhifədəki mətn.", "page 2, block 8 (paragraph)"),
    ]
    out = docx.Document(io.BytesIO(write(document, [])))
    numbering = out.part.numbering_part.element
    starts = []
    for paragraph in out.paragraphs:
        if paragraph.style.name == "List Number":
            num_id = paragraph._p.pPr.numPr.numId.val
            num = numbering.num_having_numId(num_id)
            starts.append((paragraph.text, num_id, num.find(f".//{W}startOverride").get(f"{W}val")))
    (first, a, one), (_, b, _), (fifth, c, five), (_, d, _) = starts
    assert a == b != c == d  # each list its own numbering ...
    assert (one, five) == ("1", "5")  # ... starting where the PDF's did


# --- writing ----------------------------------------------------------------------------------


def test_written_as_docx_with_headings_lists_and_a_table(release):
    document = PdfDocument.load(release)
    data = write(document, [(unit, upper) for unit in document.units()], RU)
    assert blocks(data) == [
        ("Heading 1", "YENI KÖRPÜ AÇILDI"),
        ("Normal", PARAGRAPH.upper()),
        ("Normal", "TƏDBIRDƏ BMQT-NIN NÜMAYƏNDƏSI INSAN ALVERI BARƏDƏ DANIŞDI."),
        ("Heading 2", "ƏSAS RƏQƏMLƏR"),
        ("List Bullet", "KÖRPÜ IKI KILOMETRDIR."),
        ("List Bullet", "TIKINTI ÜÇ IL ÇƏKDI."),
        ("List Number", "BIRINCI MƏRHƏLƏ BITDI."),
        ("List Number", "İKINCI MƏRHƏLƏ BAŞLAYIR."),
        ("Normal", "ƏTRAFLI MƏLUMAT ÜÇÜN MƏTBUAT XIDMƏTINƏ MÜRACIƏT EDIN."),
        ("Normal", "1"),
    ]
    out = docx.Document(io.BytesIO(data))
    (table,) = out.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["ŞƏHƏR", "ƏHALI", "SAHƏ"],
        ["BAKI", "2300000", "2140"],
        ["GƏNCƏ", "330000", "110"],
    ]
    assert out.core_properties.title == "YENI KÖRPÜ AÇILDI"
    assert out.core_properties.language == "ru-RU"
    assert out.styles["Normal"].element.rPr.find(f"{W}lang").get(f"{W}val") == "ru-RU"
    assert document.warnings == [
        "written as a Word document (.docx), the Russian translation of a PDF: headings, "
        "paragraphs, lists, simple tables and JPEG images are rebuilt; the page layout, other "
        "images and fonts are not"
    ]


def test_through_the_pipeline_formatting_lands_on_the_right_words(release):
    document = PdfDocument.load(release)
    engine = DictEngine({EVENT: "The <g1>IOM</g1> envoy spoke about <g2>human trafficking</g2>."})
    buffer = io.BytesIO()
    document.write(buffer, EN, translate_document(document, engine))
    out = docx.Document(io.BytesIO(buffer.getvalue()))
    event = next(p for p in out.paragraphs if p.text.startswith("The IOM"))
    assert runs(event) == [
        ("The ", False, False),
        ("IOM", True, False),
        (" envoy spoke about ", False, False),
        ("human trafficking", False, True),
        (".", False, False),
    ]
    assert engine.seen["2300000"] == 0 and engine.seen["1"] == 0  # numbers never sent


def test_output_name_of_a_pdf_is_a_docx():
    assert output_name("bəyanat.pdf", "en", "az") == "bəyanat.en.docx"
    assert output_name("bəyanat.az.PDF", "ru", "az") == "bəyanat.ru.docx"


def test_sniffing_recognises_a_pdf_without_its_extension(release, tmp_path):
    renamed = tmp_path / "bəyanat"
    renamed.write_bytes(release.read_bytes())
    assert detect_format(renamed) is PdfDocument


# --- bad input --------------------------------------------------------------------------------

BAD = {
    "scanned": (lambda release, tmp: F.scanned(tmp / "scan.pdf").read_bytes(), "OCR"),
    "encrypted": (
        lambda release, tmp: F.encrypted(tmp / "locked.pdf").read_bytes(),
        "password-protected PDF",
    ),
    "truncated": (lambda release, tmp: release.read_bytes()[:900], "not a readable PDF"),
    "not a pdf": (lambda release, tmp: b"Salam, bu m\xc9\x99tndir.\n", "not a PDF"),
    "empty": (lambda release, tmp: b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_input_errors(case, release, tmp_path):
    make, reason = BAD[case]
    message = load_refused(PdfDocument, tmp_path / "bad.pdf", make(release, tmp_path))
    assert reason in message, message


def test_a_scan_names_ocr_as_the_missing_step(tmp_path):
    path = F.scanned(tmp_path / "scan.pdf")
    with pytest.raises(InputError) as caught:
        PdfDocument.load(path)
    assert "no text layer" in str(caught.value) and "OCR is the missing step" in str(caught.value)


# --- through `dilmanc translate` ----------------------------------------------------------------


def test_translate_command_writes_docx_and_says_so(cli, table_engine, release, tmp_path):
    out = tmp_path / "out"
    res = cli(["translate", release, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["bəyanat.en.docx", "bəyanat.ru.docx"]
    warnings = [line for line in res.err.splitlines() if "warning" in line]
    assert warnings == [
        f"dilmanc: warning: {release}: written as a Word document (.docx), the {name} "
        "translation of a PDF: headings, paragraphs, lists, simple tables and JPEG images are "
        "rebuilt; the page layout, other images and fonts are not"
        for name in ("English", "Russian")
    ]
    english = blocks((out / "bəyanat.en.docx").read_bytes())
    assert english[0] == ("Heading 1", "<en> Yeni körpü açıldı")
    assert ("List Bullet", "<en> Körpü iki kilometrdir.") in english


@pytest.mark.parametrize("case", ["scanned", "encrypted", "truncated"])
def test_translate_command_refuses_bad_pdfs_with_one_line(
    case, cli, table_engine, release, tmp_path
):
    make, reason = BAD[case]
    assert reason in refused(cli, tmp_path / "bad.pdf", table_engine, data=make(release, tmp_path))


def test_a_jpeg_image_is_kept_at_its_place_and_other_images_left_out(tmp_path):
    photo = F.jpeg()
    document = PdfDocument.load(F.with_images(tmp_path / "şəkil.pdf", photo))
    assert [unit.source.text for unit in document.units()] == [
        "Yeni körpü açıldı",
        "Dünən Bakıda yeni körpü açıldı.",
        "Körpünün uzunluğu iki kilometrdir.",
    ]
    out = docx.Document(io.BytesIO(write(document, [(u, upper) for u in document.units()], EN)))
    pictures = [p for p in out.paragraphs if p._p.xpath(".//pic:pic")]
    assert [p.text or "<picture>" for p in out.paragraphs] == [
        "YENI KÖRPÜ AÇILDI",
        "DÜNƏN BAKIDA YENI KÖRPÜ AÇILDI.",
        "<picture>",
        "KÖRPÜNÜN UZUNLUĞU IKI KILOMETRDIR.",
    ]
    (shape,) = out.inline_shapes
    assert round(shape.width.pt) == 240 and len(pictures) == 1
    (part,) = [p for p in out.part.package.parts if p.partname.startswith("/word/media/")]
    assert part.blob == photo  # the JPEG's own bytes, not a re-encoding
    assert "JPEG images are rebuilt" in document.warnings[0]
