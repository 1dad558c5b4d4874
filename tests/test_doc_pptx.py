"""PPTX presentations: units from every shape's text on every slide (groups, tables, notes),
formatting and links that follow moved tags, boxes kept with overflow reported, macros never
touched, bad files refused with one line."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pptx
import pytest
from doc_helpers import OLE, by_source, load_refused, upper, with_doctype, write, zipped
from doubles import ScriptedEngine, translate_document
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401
from lxml import etree
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.util import Inches

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.pptx import PptxDocument
from dilmanc.documents.registry import detect_format
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

EN = resolve("en")
RU = resolve("ru")
LINK = "https://example.az/korpu"


def add_runs(paragraph, pieces) -> None:
    """(text, bold, italic) runs; a run may also carry a hyperlink: (text, False, False, url)."""
    for text, bold, italic, *url in pieces:
        run = paragraph.add_run()
        run.text = text
        if bold:
            run.font.bold = True
        if italic:
            run.font.italic = True
        if url:
            run.hyperlink.address = url[0]


def deck(path: Path) -> Path:
    """Two slides: title and body with bold, italic, a link, runs split for nothing, a line
    break and a slide-number field; a group; notes; a table and a shrink-to-fit text box."""
    prs = pptx.Presentation()
    one = prs.slides.add_slide(prs.slide_layouts[1])
    one.shapes.title.text = "Yeni körpü açıldı"
    body = one.placeholders[1].text_frame
    add_runs(
        body.paragraphs[0],
        [("Dünən ", 0, 0), ("yeni", 1, 0), (" körpü ", 0, 0), ("təntənəli", 0, 1),
         (" şəkildə açıldı.", 0, 0)],
    )  # fmt: skip
    add_runs(
        body.add_paragraph(),
        [("Ətraflı məlumat ", 0, 0), ("saytımızda", 0, 0, LINK), (" verilib.", 0, 0)],
    )
    add_runs(
        body.add_paragraph(), [("Bu cümlə ", 0, 0), ("iki hissəyə ", 0, 0), ("bölünüb.", 0, 0)]
    )
    breaks = body.add_paragraph()
    add_runs(breaks, [("Birinci sətir", 0, 0)])
    breaks._p.append(parse_xml(f"<a:br {nsdecls('a')}/>"))
    add_runs(breaks, [("ikinci sətir, slayd ", 0, 0)])
    breaks._p.append(
        parse_xml(
            f'<a:fld {nsdecls("a")} id="{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}" '
            'type="slidenum"><a:t>1</a:t></a:fld>'
        )
    )
    group = one.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1))
    box.text_frame.text = "Qrupdakı mətn"
    one.notes_slide.notes_text_frame.text = "Natiq üçün qeyd"
    two = prs.slides.add_slide(prs.slide_layouts[5])
    two.shapes.title.text = "Cədvəl"
    table = two.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (row, column), text in {(0, 0): "Şəhər", (0, 1): "Əhali", (1, 0): "Bakı"}.items():
        table.cell(row, column).text = text
    box = two.shapes.add_textbox(Inches(1), Inches(4), Inches(2), Inches(1))
    box.name = "Qısa qutu"
    box.text_frame.word_wrap = True
    box.text_frame.text = "Qısa mətn burada"
    box.text_frame.paragraphs[0]._p.append(parse_xml(f'<a:endParaRPr {nsdecls("a")} lang="az"/>'))
    box.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    prs.save(path)
    return path


@pytest.fixture
def rich(tmp_path) -> Path:
    return deck(tmp_path / "təqdimat.pptx")


def reopen(data: bytes):
    return pptx.Presentation(io.BytesIO(data))


def find_paragraph(prs, text: str):
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    if paragraph.text == text:
                        return paragraph
    raise AssertionError(f"no paragraph {text!r}")


def runs_of(paragraph) -> list[tuple[str, bool, bool]]:
    return [(run.text, bool(run.font.bold), bool(run.font.italic)) for run in paragraph.runs]


def parts_xml(data: bytes) -> dict[str, bytes]:
    parser = etree.XMLParser(remove_blank_text=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: etree.tostring(etree.fromstring(archive.read(name), parser), method="c14n")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        }


# --- reading ----------------------------------------------------------------------------------


def test_units_cover_shapes_groups_tables_and_notes(rich):
    units = by_source(PptxDocument.load(rich))
    assert list(units) == [
        "Yeni körpü açıldı",
        "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.",
        "Ətraflı məlumat <g1>saytımızda</g1> verilib.",
        "Bu cümlə iki hissəyə bölünüb.",  # three runs alike: no tags
        "Birinci sətir<x1/>ikinci sətir, slayd <x2/>",
        "Qrupdakı mətn",
        "Natiq üçün qeyd",
        "Cədvəl",
        "Şəhər",
        "Əhali",
        "Bakı",
        "Qısa mətn burada",
    ]
    names = lambda s: [c.name for c in units[s].codes.values()]  # noqa: E731
    assert names("Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.") == [
        "bold",
        "italic",
    ]
    assert names("Ətraflı məlumat <g1>saytımızda</g1> verilib.") == ["link"]
    assert names("Birinci sətir<x1/>ikinci sətir, slayd <x2/>") == ["break", "field"]
    assert units["Əhali"].location == "slide 2, 'Table 2', row 1, cell 2, paragraph 1"
    assert units["Natiq üçün qeyd"].location == "slide 1 notes, paragraph 1"
    assert units["Qrupdakı mətn"].location == "slide 1, 'TextBox 4', paragraph 1"
    document = PptxDocument.load(rich)
    assert document.size == len(units)
    ids = [unit.id for unit in document.units()]
    assert len(ids) == len(set(ids))


def test_runs_differing_only_in_proofing_state_are_not_tags(tmp_path):
    prs = pptx.Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(0, 0, 100, 100)
    paragraph = box.text_frame.paragraphs[0]
    add_runs(paragraph, [("Azərbaycan ", 0, 0), ("dili", 0, 0)])
    first, second = paragraph.runs
    first._r.get_or_add_rPr().set("lang", "az-Latn-AZ")
    second._r.get_or_add_rPr().set("lang", "en-US")
    second._r.get_or_add_rPr().set("err", "1")
    path = tmp_path / "l.pptx"
    prs.save(path)
    (unit,) = PptxDocument.load(path).units()
    assert unit.source.render() == "Azərbaycan dili"


# --- writing ----------------------------------------------------------------------------------


def test_identity_write_keeps_every_part(rich):
    document = PptxDocument.load(rich)
    out = write(document, [(unit, unit.source) for unit in document.units()])
    assert parts_xml(out) == parts_xml(rich.read_bytes())


def test_moved_tags_put_the_formatting_on_the_new_words(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı."]
    target = TaggedText.from_parts(
        ["Yesterday the ", Tag(2, OPEN), "solemn", Tag(2, CLOSE), " opening of a ",
         Tag(1, OPEN), "new", Tag(1, CLOSE), " bridge."]
    )  # fmt: skip
    paragraph = find_paragraph(
        reopen(write(document, [(unit, target)])), "Yesterday the solemn opening of a new bridge."
    )
    assert runs_of(paragraph) == [
        ("Yesterday the ", False, False),
        ("solemn", False, True),
        (" opening of a ", False, False),
        ("new", True, False),
        (" bridge.", False, False),
    ]


def test_nested_pairs_combine_their_formatting(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı."]
    target = TaggedText.from_parts(
        [Tag(1, OPEN), "new and ", Tag(2, OPEN), "solemn", Tag(2, CLOSE), Tag(1, CLOSE), " bridge"]
    )
    paragraph = find_paragraph(reopen(write(document, [(unit, target)])), "new and solemn bridge")
    assert runs_of(paragraph) == [
        ("new and ", True, False),
        ("solemn", True, True),
        (" bridge", False, False),
    ]


def test_hyperlink_follows_its_words(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Ətraflı məlumat <g1>saytımızda</g1> verilib."]
    target = TaggedText.from_parts(["Details are on ", Tag(1, OPEN), "our website", Tag(1, CLOSE)])
    paragraph = find_paragraph(
        reopen(write(document, [(unit, target)])), "Details are on our website"
    )
    links = [(run.text, run.hyperlink.address) for run in paragraph.runs]
    assert links == [("Details are on ", None), ("our website", LINK)]


def test_a_link_the_model_loses_is_kept_around_the_text(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Ətraflı məlumat <g1>saytımızda</g1> verilib."]
    engine = ScriptedEngine(lambda _: "See our website.")
    translated = translate_document(document, engine)
    buffer = io.BytesIO()
    document.write(buffer, EN, {unit.id: translated[unit.id]})
    paragraph = find_paragraph(reopen(buffer.getvalue()), "See our website.")
    assert any(run.hyperlink.address == LINK for run in paragraph.runs)


def test_line_break_and_field_come_back_at_their_tags(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Birinci sətir<x1/>ikinci sətir, slayd <x2/>"]
    target = TaggedText.from_parts(["Slide ", Tag(2, EMPTY), ", first line", Tag(1, EMPTY), "next"])
    data = write(document, [(unit, target)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        slide = archive.read("ppt/slides/slide1.xml").decode()
    start = slide.index("<a:t>Slide </a:t>")
    paragraph = slide[slide.rindex("<a:p>", 0, start) : slide.index("</a:p>", start)]
    assert paragraph.index('type="slidenum"') < paragraph.index("first line")
    assert paragraph.index("first line") < paragraph.index("<a:br/>") < paragraph.index("next")


def test_newlines_in_a_target_become_line_breaks_before_the_end_properties(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Qısa mətn burada"]
    data = write(document, [(unit, TaggedText("Short\ntext"))])
    paragraph = find_paragraph(reopen(data), "Short\x0btext")  # python-pptx shows a:br as \v
    children = [etree.QName(child).localname for child in paragraph._p]
    assert children[-1] == "endParaRPr" and "br" in children


def test_tables_groups_notes_and_titles_are_translated(rich):
    document = PptxDocument.load(rich)
    out = reopen(write(document, [(unit, upper) for unit in document.units()]))
    one, two = out.slides
    assert one.shapes.title.text == "YENI KÖRPÜ AÇILDI"
    assert one.notes_slide.notes_text_frame.text == "NATIQ ÜÇÜN QEYD"
    group = next(shape for shape in one.shapes if shape.shape_type == 6)  # a group
    assert group.shapes[0].text_frame.text == "QRUPDAKI MƏTN"
    table = next(shape for shape in two.shapes if shape.has_table).table
    assert [table.cell(0, 0).text, table.cell(0, 1).text, table.cell(1, 0).text] == [
        "ŞƏHƏR",
        "ƏHALI",
        "BAKI",
    ]
    assert table.cell(1, 1).text == ""


def test_proofing_language_follows_the_target(tmp_path):
    prs = pptx.Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(0, 0, 100, 100)
    add_runs(box.text_frame.paragraphs[0], [("Salam", 0, 0)])
    box.text_frame.paragraphs[0].runs[0]._r.get_or_add_rPr().set("lang", "az-Latn-AZ")
    path = tmp_path / "lang.pptx"
    prs.save(path)
    document = PptxDocument.load(path)
    (unit,) = document.units()
    xml = parts_xml(write(document, [(unit, TaggedText("Привет"))], RU))["ppt/slides/slide1.xml"]
    assert b'lang="ru-RU"' in xml and b"az-Latn-AZ" not in xml


def test_languages_do_not_leak_into_each_other(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Şəhər"]
    english = write(document, [(unit, TaggedText("City"))], EN)
    russian = write(document, [(unit, TaggedText("Город"))], RU)
    assert b"City" not in b"".join(parts_xml(russian).values())
    assert "Город".encode() in b"".join(parts_xml(russian).values())
    assert b"City" in b"".join(parts_xml(english).values())


def test_a_one_language_run_parses_the_package_once(rich, monkeypatch):
    import dilmanc.documents.pptx as module

    opened = []
    real = module._open
    monkeypatch.setattr(module, "_open", lambda *a: opened.append(1) or real(*a))
    document = PptxDocument.load(rich)
    english = write(document, [(unit, upper) for unit in document.units()], EN)
    assert len(opened) == 1  # the writer translated the loaded presentation
    assert [u.source.text for u in document.units()] == [
        u.source.text for u in PptxDocument.load(rich).units()
    ]
    assert parts_xml(
        write(document, [(unit, upper) for unit in document.units()], EN)
    ) == parts_xml(english)


def shape_named(prs, name: str):
    return next(shape for slide in prs.slides for shape in slide.shapes if shape.name == name)


def test_autofit_boxes_keep_their_size_and_growth_is_reported(rich):
    document = PptxDocument.load(rich)
    unit = by_source(document)["Qısa mətn burada"]  # 16 characters
    before = shape_named(reopen(rich.read_bytes()), "Qısa qutu")
    just_under = TaggedText("x" * 20)  # 25% longer: no warning
    write(document, [(unit, just_under)])
    assert document.warnings == []
    longer = TaggedText("A short text written here")  # 25 characters: 56% longer
    out = reopen(write(document, [(unit, longer)]))
    after = shape_named(out, "Qısa qutu")
    assert (after.left, after.top, after.width, after.height) == (
        before.left,
        before.top,
        before.width,
        before.height,
    )
    body = after.text_frame._txBody.find(qn("a:bodyPr"))
    assert body.find(qn("a:normAutofit")) is not None  # shrink-on-overflow is still asked for
    assert document.warnings == [
        "slide 2, 'Qısa qutu': the en text is 56% longer than the source; check that it fits "
        "its shrink-on-overflow text box"
    ]
    write(document, [(unit, TaggedText("x" * 21))])  # 31% longer: reported
    assert len(document.warnings) == 1


def test_table_cells_and_notes_are_not_reported_as_overflowing(rich):
    document = PptxDocument.load(rich)
    units = by_source(document)
    write(
        document,
        [(units["Şəhər"], TaggedText("A much longer city")),
         (units["Natiq üçün qeyd"], TaggedText("A note for the speaker, and much longer"))],
    )  # fmt: skip
    assert document.warnings == []


def test_the_streaming_writer_applies_chunks_in_any_order(rich):
    document = PptxDocument.load(rich)
    units = list(document.units())
    whole = write(document, [(unit, upper) for unit in units])
    buffer = io.BytesIO()
    writer = document.writer(EN, buffer)
    items = [Translated(unit, upper(unit.source), Origin.MACHINE) for unit in units]
    for start in range(len(items) - 1, -1, -3):
        writer.add(items[max(0, start - 2) : start + 1])
    writer.finish()
    assert parts_xml(buffer.getvalue()) == parts_xml(whole)


# --- macros -------------------------------------------------------------------------------------

VBA = b"\xd0\xcf\x11\xe0 pretend VBA project \x00\x01\x02" * 20
MACRO_MAIN = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"


def with_macros(data: bytes, main: str, folder: str) -> bytes:
    """An OOXML package made macro-enabled: a vbaProject.bin part related to the main part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = re.sub(
                    rb'(PartName="/' + folder.encode() + rb'/[a-z]+\.xml" ContentType=")[^"]+',
                    rb"\g<1>" + main.encode(),
                    content,
                    count=1,
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" '
                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            elif info.filename == f"{folder}/_rels/{MAIN_PART[folder]}.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Target="vbaProject.bin" Type="http://schemas.'
                    b'microsoft.com/office/2006/relationships/vbaProject"/></Relationships>',
                )
            out.writestr(info, content)
        out.writestr(f"{folder}/vbaProject.bin", VBA)
    return buffer.getvalue()


MAIN_PART = {"ppt": "presentation.xml", "xl": "workbook.xml"}


def test_a_macro_enabled_deck_is_translated_and_its_macros_copied_unchanged(
    cli, table_engine, rich, tmp_path
):
    path = tmp_path / "makros.pptm"
    path.write_bytes(with_macros(rich.read_bytes(), MACRO_MAIN, "ppt"))
    out = tmp_path / "out"
    res = cli(["translate", path, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    data = (out / "makros.en.pptm").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("ppt/vbaProject.bin") == VBA
        assert MACRO_MAIN.encode() in archive.read("[Content_Types].xml")
        assert b"vbaProject" in archive.read("ppt/_rels/presentation.xml.rels")
    assert reopen(data).slides[0].shapes.title.text == "<en> Yeni körpü açıldı"
    assert res.err.count("macros (VBA project) are copied unchanged") == 1  # not once a language


# --- sniffing and bad input -------------------------------------------------------------------


def _broken_main(rich: Path) -> bytes:
    with zipfile.ZipFile(rich) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["ppt/presentation.xml"] = b"<p:presentation"
    return zipped(entries)


BAD = {
    "encrypted": (
        lambda rich: OLE + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100,
        "password-protected",
    ),
    "legacy ppt": (lambda rich: OLE + b"\0" * 600, "legacy PowerPoint 97-2003 file (.ppt)"),
    "truncated": (lambda rich: rich.read_bytes()[:2000], "corrupt or truncated"),
    "renamed zip": (
        lambda rich: zipped({"a.txt": b"salam"}),
        "not a PowerPoint presentation (a ZIP",
    ),
    "word document": (
        lambda rich: zipped({"word/document.xml": b"<w:document/>"}),
        "not a PowerPoint presentation (a Word document",
    ),
    "hostile xml": (
        lambda rich: with_doctype(rich.read_bytes(), "ppt/slides/slide1.xml"),
        "DOCTYPE",
    ),
    "empty": (lambda rich: b"", "empty"),
    "broken main part": (_broken_main, "corrupt XML inside the .pptx"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_input_errors(case, rich, tmp_path):
    make, reason = BAD[case]
    message = load_refused(PptxDocument, tmp_path / "bad.pptx", make(rich))
    assert reason in message, message


@pytest.mark.parametrize("case", ["encrypted", "legacy ppt", "renamed zip", "truncated"])
def test_translate_command_refuses_bad_pptx_with_one_line(case, cli, table_engine, rich, tmp_path):
    make, reason = BAD[case]
    assert reason in refused(cli, tmp_path / "bad.pptx", table_engine, data=make(rich))


def test_a_legacy_ppt_file_is_named_as_such(cli, tmp_path):
    path = tmp_path / "köhnə.ppt"
    path.write_bytes(OLE + b"\0" * 600)
    line = one_line_error(cli(["translate", path, "--to", "en", "-o", tmp_path / "out"]))
    assert "legacy PowerPoint 97-2003 file (.ppt)" in line and "save it as .pptx" in line


def test_sniff_recognises_a_pptx_without_its_extension(rich, tmp_path):
    renamed = tmp_path / "deck"
    renamed.write_bytes(rich.read_bytes())
    assert detect_format(renamed) is PptxDocument


# --- through `dilmanc translate` ----------------------------------------------------------------


def test_translate_command_writes_a_deck_with_formatting_on_the_right_words(
    cli, table_engine, rich, tmp_path
):
    table_engine.table.update(
        {
            "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.": (
                "Yesterday the <g2>solemn</g2> opening of the <g1>new</g1> bridge."
            ),
            "Ətraflı məlumat <g1>saytımızda</g1> verilib.": "Details are on <g1>our website</g1>.",
        }
    )
    out = tmp_path / "out"
    res = cli(["translate", rich, "--to", "en", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    english = reopen((out / "təqdimat.en.pptx").read_bytes())
    paragraph = find_paragraph(english, "Yesterday the solemn opening of the new bridge.")
    assert runs_of(paragraph) == [
        ("Yesterday the ", False, False),
        ("solemn", False, True),
        (" opening of the ", False, False),
        ("new", True, False),
        (" bridge.", False, False),
    ]
    link = find_paragraph(english, "Details are on our website.")
    assert [r.hyperlink.address for r in link.runs] == [None, LINK, None]
    assert english.slides[0].notes_slide.notes_text_frame.text == "<en> Natiq üçün qeyd"
    # the short box grew from 16 to 21 characters: 31% longer, reported even with --quiet
    assert "slide 2, 'Qısa qutu': the en text is 31% longer" in res.err


def test_a_one_word_output_takes_the_longest_runs_formatting_alone(tmp_path):
    prs = pptx.Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(0, 0, 100, 100)
    add_runs(
        box.text_frame.paragraphs[0],
        [("Tədbirdə ", 0, 0), ("BMqT", 1, 0), ("-nin nümayəndəsi ", 0, 0),
         ("insan alveri", 0, 1), (" barədə danışdı.", 0, 0)],
    )  # fmt: skip
    path = tmp_path / "bir.pptx"
    prs.save(path)
    document = PptxDocument.load(path)
    translated = translate_document(document, ScriptedEngine(lambda _: "Meeting."))
    buffer = io.BytesIO()
    document.write(buffer, EN, translated)
    # not bold italic (no run was): the longest formatted stretch's italic (text.align)
    assert runs_of(find_paragraph(reopen(buffer.getvalue()), "Meeting.")) == [
        ("Meeting.", False, True)
    ]
