"""XLSX workbooks: text cells (shared and inline strings, rich text) and comments are units;
numbers, dates, formulas and the text formulas rely on are not; the package is patched at the
XML level so layout, styles, charts, tables, defined names and macros stay; sheet names only
when asked, with every reference renamed; bad files refused with one line."""

from __future__ import annotations

import copy
import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from doc_helpers import OLE, by_source, load_refused, members, repack, upper, write, zipped
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401
from lxml import etree
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table
from test_doc_pptx import VBA, with_macros

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.registry import detect_format, open_document
from dilmanc.documents.xlsx import XlsxDocument
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, OPEN, Tag, TaggedText

EN = resolve("en")
RU = resolve("ru")
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def to_shared_strings(data: bytes, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with `sheet`'s inline strings moved into a shared strings part, as Excel
    saves them (openpyxl writes inline strings); equal strings share one entry."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    root = etree.fromstring(entries[sheet])
    sst = etree.Element(f"{{{NS}}}sst", nsmap={None: NS})
    index: dict[bytes, int] = {}
    uses = 0
    for cell in root.iter(f"{{{NS}}}c"):
        rich = cell.find(f"{{{NS}}}is")
        if cell.get("t") != "inlineStr" or rich is None:
            continue
        key = etree.tostring(rich)
        if key not in index:
            index[key] = len(index)
            si = etree.SubElement(sst, f"{{{NS}}}si")
            si.extend(copy.deepcopy(child) for child in rich)
        cell.remove(rich)
        cell.set("t", "s")
        etree.SubElement(cell, f"{{{NS}}}v").text = str(index[key])
        uses += 1
    sst.set("count", str(uses))
    sst.set("uniqueCount", str(len(index)))
    entries[sheet] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    entries["xl/sharedStrings.xml"] = etree.tostring(sst, xml_declaration=True, encoding="UTF-8")
    entries["xl/_rels/workbook.xml.rels"] = entries["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        b'formats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in entries.items():
            out.writestr(name, content)
    return buffer.getvalue()


def workbook(path: Path) -> Path:
    """Sheet "Hesabat" (shared strings): text, numbers, a date, formulas, rich text, a
    comment, text a formula compares, a defined name a formula uses, a table, a chart,
    styles and layout. Sheet "Siyahı" (inline strings): a list validation, a formula
    into the first sheet, an internal hyperlink."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hesabat"
    ws["A1"] = "Şəhər"
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B1"] = "Əhali"
    ws["A2"], ws["B2"] = "Bakı", 2300000
    ws["B2"].number_format = "#,##0"
    ws["A3"], ws["B3"] = "Gəncə", 335000
    ws["A4"] = CellRichText(["Cəmi ", TextBlock(InlineFont(b=True), "əhali"), " sayı"])
    ws["B4"] = "=SUM(B2:B3)"
    ws["C1"] = "Bakı"  # the same shared string as A2, which a formula compares
    ws["D1"] = '=IF(C1="Bakı",1,0)'
    ws["A5"] = "Qeyd"
    ws["A5"].comment = Comment("Bu rəqəmlər təxminidir", "Redaktor")
    ws["A6"] = 42
    ws["A7"] = "2024"
    ws["A8"] = datetime.date(2024, 5, 28)
    ws["E2"], ws["E3"] = "Sumqayıt", "Şəki"
    wb.defined_names["Cities"] = DefinedName("Cities", attr_text="Hesabat!$E$2:$E$3")
    ws["F1"] = '=VLOOKUP("Şəki",Cities,1,FALSE)'
    for ref, value in {"H1": "Ad", "I1": "Say", "J1": "Növ", "H2": "Alma", "I2": 1,
                       "J2": "Təzə", "H3": "Armud", "I3": 2, "J3": "Köhnə"}.items():  # fmt: skip
        ws[ref] = value
    ws.add_table(Table(displayName="Meyve", ref="H1:J3"))
    ws["K1"] = '=COUNTIF(Meyve[Ad],"Alma")'
    ws.column_dimensions["A"].width = 30
    ws.row_dimensions[2].height = 25
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=3))
    ws.add_chart(chart, "M2")
    other = wb.create_sheet("Siyahı")
    other["A1"], other["A2"] = "Bəli", "Xeyr"
    other["B1"], other["B2"] = "Cavab", "Bəli"
    validation = DataValidation(type="list", formula1="=$A$1:$A$2")
    other.add_data_validation(validation)
    validation.add("B2")
    other["C1"] = "=Hesabat!A3"
    other["D1"] = "Keçid"
    other["D1"].hyperlink = Hyperlink(ref="D1", location="Hesabat!A1")
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(to_shared_strings(buffer.getvalue()))
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return workbook(tmp_path / "hesabat.xlsx")


def reopen(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data), rich_text=True)


def c14n(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


# --- reading ----------------------------------------------------------------------------------


def test_units_are_text_cells_rich_text_and_comments(book):
    document = XlsxDocument.load(book)
    units = list(document.units())
    assert [(unit.id.split(":")[0], unit.source.render()) for unit in units] == [
        ("ss", "Şəhər"),
        ("ss", "Əhali"),
        ("ss", "Bakı"),  # A2 (C1 uses the same string, but a formula compares it)
        ("ss", "Təzə"),  # row by row
        ("ss", "Köhnə"),
        ("ss", "Cəmi <g1>əhali</g1> sayı"),
        ("ss", "Qeyd"),
        ("comment", "Bu rəqəmlər təxminidir"),
        ("cell", "Cavab"),
        ("cell", "Keçid"),
    ]
    assert units[5].codes[1].name == "bold"
    assert units[2].location == "Hesabat!A2"
    assert units[7].location == "Hesabat!A5 comment"
    assert units[8].location == "'Siyahı'!B1"
    assert document.size == len(units)


def test_what_formulas_and_validations_rely_on_is_not_translated(book):
    sources = set(by_source(XlsxDocument.load(book)))
    kept = {
        "Gəncə",  # =Hesabat!A3 on the other sheet
        "Sumqayıt",  # in the defined name Cities, which VLOOKUP uses
        "Şəki",
        "Ad",  # table headers are the table's column names
        "Say",
        "Növ",
        "Alma",  # Meyve[Ad], counted by COUNTIF
        "Armud",
        "Bəli",  # a list validation's source, and the cell it checks
        "Xeyr",
        "2024",  # no letters
    }
    assert not kept & sources


def test_sheet_names_are_units_only_when_asked(book):
    assert not any(u.id.startswith("name:") for u in XlsxDocument.load(book).units())
    document = open_document(book, sheet_names=True)
    names = [u for u in document.units() if u.id.startswith("name:")]
    assert [(u.source.text, u.location) for u in names] == [
        ("Hesabat", "sheet 1 name"),
        ("Siyahı", "sheet 2 name"),
    ]


# --- writing ----------------------------------------------------------------------------------


def test_identity_write_keeps_every_member(book):
    document = XlsxDocument.load(book)
    out = members(write(document, [(unit, unit.source) for unit in document.units()]))
    original = members(book.read_bytes())
    assert list(out) == list(original)
    for name, data in original.items():
        if name.endswith((".xml", ".rels")):
            assert c14n(out[name]) == c14n(data), name
        else:
            assert out[name] == data, name


def test_translations_land_in_their_cells_and_the_rest_stays(book):
    document = XlsxDocument.load(book)
    data = write(document, [(unit, upper) for unit in document.units()])
    wb = reopen(data)
    ws, other = wb["Hesabat"], wb["Siyahı"]
    values = {cell.coordinate: cell.value for row in ws.iter_rows() for cell in row}
    assert values["A1"] == "ŞƏHƏR" and values["B1"] == "ƏHALI" and values["A2"] == "BAKI"
    assert values["A3"] == "Gəncə" and values["C1"] == "Bakı" and values["E3"] == "Şəki"
    assert values["H1"] == "Ad" and values["H2"] == "Alma" and values["J2"] == "TƏZƏ"
    assert values["B2"] == 2300000 and values["A6"] == 42 and values["A7"] == "2024"
    assert values["A8"] == datetime.datetime(2024, 5, 28)
    assert values["B4"] == "=SUM(B2:B3)" and values["D1"] == '=IF(C1="Bakı",1,0)'
    assert ws["A5"].comment.text == "BU RƏQƏMLƏR TƏXMINIDIR"
    assert [other["B1"].value, other["B2"].value, other["A1"].value] == ["CAVAB", "Bəli", "Bəli"]
    assert other["D1"].value == "KEÇID" and other["D1"].hyperlink.location == "Hesabat!A1"
    # layout and styles
    assert ws.column_dimensions["A"].width == 30 and ws.row_dimensions[2].height == 25
    assert ws["A1"].font.b and ws["A1"].font.color.rgb == "00FF0000"
    assert ws["A1"].fill.fgColor.rgb == "00FFFF00" and ws["B2"].number_format == "#,##0"
    assert wb.defined_names["Cities"].attr_text == "Hesabat!$E$2:$E$3"
    assert list(ws.tables) == ["Meyve"]
    out, original = members(data), members(book.read_bytes())
    changed = {name for name in original if out[name] != original[name]}
    assert changed == {
        "xl/sharedStrings.xml",
        "xl/worksheets/sheet1.xml",  # A2 points to its own entry now (see the split test)
        "xl/worksheets/sheet2.xml",  # inline strings
        "xl/comments/comment1.xml",
    }


TEXT_BOX = (
    b'<xdr:twoCellAnchor xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
    b'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    b"<xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>10</xdr:row>"
    b"<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff>"
    b"<xdr:row>14</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
    b'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="9" name="TextBox 1"/>'
    b'<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr><a:prstGeom prst="rect"><a:avLst/>'
    b"</a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>Qutu</a:t>"
    b"</a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>"
)


def test_a_text_box_shape_openpyxl_would_drop_is_kept(book, tmp_path):
    drawing = members(book.read_bytes())["xl/drawings/drawing1.xml"]
    path = tmp_path / "qutu.xlsx"
    path.write_bytes(
        repack(
            book.read_bytes(),
            {"xl/drawings/drawing1.xml": drawing.replace(b"</wsDr>", TEXT_BOX + b"</wsDr>")},
        )
    )
    document = XlsxDocument.load(path)
    out = members(write(document, [(unit, upper) for unit in document.units()]))
    assert out["xl/drawings/drawing1.xml"] == members(path.read_bytes())["xl/drawings/drawing1.xml"]
    assert b'name="TextBox 1"' in out["xl/drawings/drawing1.xml"]


def test_rich_text_formatting_follows_its_words(book):
    document = XlsxDocument.load(book)
    unit = by_source(document)["Cəmi <g1>əhali</g1> sayı"]
    target = TaggedText.from_parts(["Total ", Tag(1, OPEN), "population", Tag(1, CLOSE), " count"])
    value = reopen(write(document, [(unit, target)]))["Hesabat"]["A4"].value
    assert isinstance(value, CellRichText)
    blocks = [(b.text, bool(b.font.b)) if isinstance(b, TextBlock) else (b, False) for b in value]
    assert blocks == [("Total ", False), ("population", True), (" count", False)]


def test_a_shared_string_that_kept_and_translated_cells_use_is_split(book):
    document = XlsxDocument.load(book)
    unit = by_source(document)["Bakı"]
    data = write(document, [(unit, TaggedText("Baku"))])
    ws = reopen(data)["Hesabat"]
    assert ws["A2"].value == "Baku" and ws["C1"].value == "Bakı"
    sst = etree.fromstring(members(data)["xl/sharedStrings.xml"])
    assert sst.get("uniqueCount") == str(len(sst))


def test_languages_do_not_leak_into_each_other(book):
    document = XlsxDocument.load(book)
    unit = by_source(document)["Əhali"]
    english = write(document, [(unit, TaggedText("Population"))], EN)
    russian = write(document, [(unit, TaggedText("Население"))], RU)
    assert reopen(english)["Hesabat"]["B1"].value == "Population"
    assert reopen(russian)["Hesabat"]["B1"].value == "Население"


def test_the_first_writer_translates_the_loaded_trees_without_parsing_again(book, monkeypatch):
    import dilmanc.documents.xlsx as module

    document = open_document(book, sheet_names=True)
    sources = [unit.source.text for unit in document.units()]
    parsed = []
    real = module._parse
    monkeypatch.setattr(module, "_parse", lambda *a: parsed.append(a[1]) or real(*a))
    items = [Translated(unit, upper(unit.source), Origin.MACHINE) for unit in document.units()]
    english, russian = io.BytesIO(), io.BytesIO()
    writers = [document.writer(EN, english), document.writer(RU, russian)]  # as `--to en,ru`
    for writer in writers:
        writer.add(items)
    sheet_and_strings = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"}
    assert sheet_and_strings <= set(parsed)  # the second writer parses its own copy
    parsed.clear()
    for writer in writers:
        writer.finish()
    assert members(english.getvalue()) == members(russian.getvalue())  # the same uppercasing
    assert reopen(english.getvalue())["HESABAT"]["B1"].value == "ƏHALI"
    assert [unit.source.text for unit in document.units()] == sources  # read again, untouched
    parsed.clear()
    assert members(write(document, [(u, upper) for u in document.units()])) == members(
        english.getvalue()
    )
    assert not sheet_and_strings & set(parsed)  # one language: the loaded trees, no copy


def test_translated_sheet_names_rename_every_reference(book):
    document = open_document(book, sheet_names=True)
    names = {"Hesabat": "Report", "Siyahı": "List: answers?"}  # ":" and "?" are not allowed
    targets = [(u, TaggedText(names.get(u.source.text, u.source.text))) for u in document.units()]
    data = write(document, targets)
    wb = reopen(data)
    assert wb.sheetnames == ["Report", "List answers"]
    assert wb["List answers"]["C1"].value == "=Report!A3"
    assert wb["List answers"]["D1"].hyperlink.location == "Report!A1"
    assert wb.defined_names["Cities"].attr_text == "Report!$E$2:$E$3"
    chart = members(data)["xl/charts/chart1.xml"].decode()
    assert "<f>Report!B1</f>" in chart and "Hesabat" not in chart
    assert document.warnings == []


def test_a_sheet_name_that_would_repeat_another_stays_with_a_warning(book):
    document = open_document(book, sheet_names=True)
    targets = [(u, TaggedText("Report")) for u in document.units() if u.id.startswith("name:")]
    wb = reopen(write(document, targets))
    assert wb.sheetnames == ["Report", "Siyahı"]
    assert document.warnings == [
        "sheet 2 keeps its name 'Siyahı': its translation 'Report' is the name of another sheet"
    ]


def test_the_streaming_writer_applies_chunks_in_any_order(book):
    document = XlsxDocument.load(book)
    units = list(document.units())
    whole = members(write(document, [(unit, upper) for unit in units]))
    buffer = io.BytesIO()
    writer = document.writer(EN, buffer)
    items = [Translated(unit, upper(unit.source), Origin.MACHINE) for unit in units]
    for start in range(len(items) - 1, -1, -3):
        writer.add(items[max(0, start - 2) : start + 1])
    writer.finish()
    assert members(buffer.getvalue()) == whole


def test_a_macro_enabled_workbook_keeps_its_macros(book, tmp_path):
    path = tmp_path / "makros.xlsm"
    main = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    path.write_bytes(with_macros(book.read_bytes(), main, "xl"))
    document = XlsxDocument.load(path)
    out = members(write(document, [(unit, upper) for unit in document.units()]))
    assert out["xl/vbaProject.bin"] == VBA and main.encode() in out["[Content_Types].xml"]
    assert any("macros (VBA project) are copied unchanged" in w for w in document.warnings)


# --- bad input ----------------------------------------------------------------------------------


BAD = {
    "encrypted": (
        lambda book: OLE + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"),
        "password-protected",
    ),
    "legacy xls": (lambda book: OLE + b"\0" * 600, "legacy Excel 97-2003 file (.xls)"),
    "truncated": (lambda book: book.read_bytes()[:3000], "corrupt or truncated"),
    "renamed zip": (lambda book: zipped({"a.txt": b"salam"}), "not an Excel workbook (a ZIP"),
    "presentation": (
        lambda book: zipped({"ppt/presentation.xml": b"<p/>"}),
        "not an Excel workbook (a PowerPoint presentation",
    ),
    "hostile xml": (
        lambda book: repack(
            book.read_bytes(),
            {"xl/sharedStrings.xml": b'<!DOCTYPE s [<!ENTITY a "aaaa">]><sst>&a;</sst>'},
        ),
        "xl/sharedStrings.xml declares a DOCTYPE",
    ),
    "broken sheet": (
        lambda book: repack(
            book.read_bytes(), {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData>"}
        ),
        "corrupt XML in xl/worksheets/sheet1.xml",
    ),
    "empty": (lambda book: b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_input_errors(case, book, tmp_path):
    make, reason = BAD[case]
    message = load_refused(XlsxDocument, tmp_path / "bad.xlsx", make(book))
    assert reason in message, message


@pytest.mark.parametrize("case", ["encrypted", "legacy xls", "renamed zip", "truncated"])
def test_translate_command_refuses_bad_xlsx_with_one_line(case, cli, table_engine, book, tmp_path):
    make, reason = BAD[case]
    assert reason in refused(cli, tmp_path / "bad.xlsx", table_engine, data=make(book))


def test_a_legacy_xls_file_is_named_as_such(cli, tmp_path):
    path = tmp_path / "köhnə.xls"
    path.write_bytes(OLE + b"\0" * 600)
    line = one_line_error(cli(["translate", path, "--to", "en", "-o", tmp_path / "out"]))
    assert "legacy Excel 97-2003 file (.xls)" in line and "save it as .xlsx" in line


def test_sniff_recognises_an_xlsx_without_its_extension(book, tmp_path):
    renamed = tmp_path / "workbook"
    renamed.write_bytes(book.read_bytes())
    assert detect_format(renamed) is XlsxDocument


# --- through `dilmanc translate` ----------------------------------------------------------------


def test_translate_command_writes_the_workbook(cli, table_engine, book, tmp_path):
    table_engine.table["Cəmi <g1>əhali</g1> sayı"] = "<g1>Total</g1> population"
    out = tmp_path / "out"
    res = cli(["translate", book, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    english = reopen((out / "hesabat.en.xlsx").read_bytes())
    assert english.sheetnames == ["Hesabat", "Siyahı"]
    ws = english["Hesabat"]
    assert ws["A1"].value == "<en> Şəhər" and ws["B2"].value == 2300000
    assert [(b.text, bool(b.font.b)) if isinstance(b, TextBlock) else (b, False)
            for b in ws["A4"].value] == [("Total", True), (" population", False)]  # fmt: skip
    russian = reopen((out / "hesabat.ru.xlsx").read_bytes())
    assert russian["Hesabat"]["A5"].comment.text == "<ru> Bu rəqəmlər təxminidir"


def test_translate_command_with_sheet_names(cli, table_engine, book, tmp_path):
    table_engine.table.update({"Hesabat": "Report", "Siyahı": "List"})
    out = tmp_path / "out"
    res = cli(["translate", book, "--to", "en", "-o", out, "--quiet", "--xlsx-sheet-names"])
    assert res.code == 0, res.err
    english = reopen((out / "hesabat.en.xlsx").read_bytes())
    assert english.sheetnames == ["Report", "List"]
    assert english["List"]["C1"].value == "=Report!A3"
