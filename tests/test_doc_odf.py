"""OpenDocument (.odt, .ods, .odp): units from every paragraph that shows, spans and links as
tags that move with their words, notes, frames, headers and footers translated in place,
everything else in the package kept, bad files refused with one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import odf_fixtures as F
import pytest
from doc_helpers import OLE, by_source, load_refused, members, repack, upper, write, zipped
from doubles import DictEngine, translate_document
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401
from lxml import etree
from odf.opendocument import load as odf_load

from dilmanc.documents.odf import OdpDocument, OdsDocument, OdtDocument
from dilmanc.documents.registry import detect_format
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

EN, RU = resolve("en"), resolve("ru")
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
NS = {
    "text": TEXT,
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@pytest.fixture
def odt(tmp_path) -> Path:
    return F.save(F.rich_text(), tmp_path / "xəbər.odt")


def xml(data: bytes, name: str = "content.xml"):
    return etree.fromstring(members(data)[name])


def paragraph(root, text: str):
    """The paragraph (or heading) whose shown text is `text`."""
    for element in root.iter(f"{{{TEXT}}}p", f"{{{TEXT}}}h"):
        if _shown(element) == text:
            return element
    shown = [_shown(e) for e in root.iter(f"{{{TEXT}}}p")]
    raise AssertionError(f"no paragraph {text!r} in {shown}")


def _shown(element) -> str:
    """Text as a reader shows it (notes and frames left out)."""
    out = [element.text or ""]
    for child in element:
        local = etree.QName(child).localname
        if local in ("span", "a"):
            out.append(_shown(child))
        elif local == "s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif local == "tab":
            out.append("\t")
        elif local == "line-break":
            out.append("\n")
        out.append(child.tail or "")
    return "".join(out)


def spans(element) -> list[tuple[str, str | None]]:
    """(text, style name) of each stretch of a paragraph: None outside spans."""
    out = []
    if element.text:
        out.append((element.text, None))
    for child in element:
        if etree.QName(child).localname == "span":
            out.append((_shown(child), child.get(f"{{{TEXT}}}style-name")))
        if child.tail:
            out.append((child.tail, None))
    return out


# --- reading ----------------------------------------------------------------------------------


def test_units_cover_body_notes_tables_frames_headers_and_footers(odt):
    units = by_source(OdtDocument.load(odt))
    assert set(units) == {
        "Yeni körpü açıldı",
        "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.",
        "Əvvəl <g1>qalın söz</g1> sonra.",
        "Bu cümlə iki hissəyə bölünüb.",
        "Ətraflı məlumat <g1>saytımızda</g1> verilib.",
        "Qırmızı <g1>xəbərdarlıq</g1> edildi.",
        "Körpü uzundur<x1/> deyə bildirildi.",
        "Uzunluğu iki kilometrdir.",
        "Ad:<x1/>Soyad<x2/>Ata adı   son.",
        "Hamısı qalındır.",
        "Şərhli cümlə<x1/> burada.",  # the comment itself is not a unit
        "Şəhər",
        "Əhali",
        "Gəncə",
        "Sumqayıt",
        "Şəkil aşağıdadır:<x1/>",
        "Körpünün şəkli",
        "Çayın üstündə yeni körpü",
        "Qutudakı mətn",
        "Rəsmi bülleten",
        "Bakı şəhəri",
    }
    names = lambda source: [c.name for c in units[source].codes.values()]  # noqa: E731
    assert names("Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.") == [
        "bold",
        "italic",
    ]
    assert names("Qırmızı <g1>xəbərdarlıq</g1> edildi.") == ["color"]
    link = units["Ətraflı məlumat <g1>saytımızda</g1> verilib."].codes[1]
    assert link.name == "link" and "https://example.az/korpu" in link.data
    assert names("Körpü uzundur<x1/> deyə bildirildi.") == ["footnote"]
    assert names("Ad:<x1/>Soyad<x2/>Ata adı   son.") == ["tab", "break"]
    assert names("Şəkil aşağıdadır:<x1/>") == ["text box"]
    assert units["Uzunluğu iki kilometrdir."].location == "paragraph 8 (footnote ftn1)"
    assert units["Sumqayıt"].location.endswith("(table Cədvəl1, row 2, cell 2)")
    assert units["Körpünün şəkli"].location.startswith("title")
    assert units["Rəsmi bülleten"].location == "styles.xml paragraph 1 (header)"
    ids = [unit.id for unit in OdtDocument.load(odt).units()]
    assert len(ids) == len(set(ids))


def test_spans_split_by_revision_ids_or_showing_nothing_are_not_tags(odt):
    units = by_source(OdtDocument.load(odt))
    # T1 and T3 are both bold, apart from LibreOffice's revision id: one pair
    assert "Əvvəl <g1>qalın söz</g1> sonra." in units
    # T4 sets only a revision id: no tag at all
    assert "Bu cümlə iki hissəyə bölünüb." in units
    # a span around the whole paragraph stays outside the unit
    assert units["Hamısı qalındır."].codes == {}


def test_prev_and_next_are_the_neighbouring_sources(odt):
    units = list(OdtDocument.load(odt).units())
    assert units[0].prev is None and units[-1].next is None
    assert units[1].prev == units[0].source.text and units[1].next == units[2].source.text


def test_spreadsheet_translates_text_cells_only(tmp_path):
    document = OdsDocument.load(F.save(F.spreadsheet(), tmp_path / "hesabat.ods"))
    units = {unit.source.render(): unit.location for unit in document.units()}
    assert units == {
        "Şəhər": "paragraph 1 (Hesabat!A1)",
        "Əhali": "paragraph 2 (Hesabat!B1)",
        "Qeyd": "paragraph 3 (Hesabat!C1)",
        "Bakı": "paragraph 4 (Hesabat!A2)",
        "paytaxt": "paragraph 5 (Hesabat!C2)",
        "Gəncə": "paragraph 6 (Hesabat!A3)",
        "Çox <g1>vacib</g1> qeyd": "paragraph 7 (Hesabat!A4)",
    }  # numbers, the date, the formula's text and the comment are left alone
    data = write(document, [(unit, upper) for unit in document.units()])
    root = xml(data)
    shown = [_shown(p) for p in root.iter(f"{{{TEXT}}}p")]
    assert "2 300 000" in shown and "01.07.2022" in shown and "Cəmi" in shown
    assert "Şərh mətni" in shown and "PAYTAXT" in shown
    cell = paragraph(root, "ÇOX VACIB QEYD")
    assert spans(cell) == [("ÇOX ", None), ("VACIB", "T1"), (" QEYD", None)]


def test_presentation_slides_notes_and_picture_titles(tmp_path):
    document = OdpDocument.load(F.save(F.presentation(), tmp_path / "masa.odp"))
    units = [(unit.source.render(), unit.location) for unit in document.units()]
    assert units[:4] == [
        ("Dəyirmi masa", "paragraph 1 (slide 1; frame)"),
        ("Mövzu: <g1>insan alveri</g1>", "paragraph 2 (slide 1; frame)"),
        ("Tədbirin şəkli", "title 3 (slide 1; frame)"),
        ("Qonaqları salamlayın.", "paragraph 4 (slide 1; notes; frame)"),
    ]
    assert len(units) == 8
    data = write(document, [(unit, upper) for unit in document.units()])
    root = xml(data)
    assert spans(paragraph(root, "YENI QANUN")) == [("YENI ", None), ("QANUN", "T1")]
    assert _shown(paragraph(root, "SUALLARA VAXT SAXLAYIN.")) == "SUALLARA VAXT SAXLAYIN."
    titles = [t.text for t in root.iter(f"{{{NS['svg']}}}title")]
    assert titles == ["TƏDBIRIN ŞƏKLI", "TƏDBIRIN ŞƏKLI"]


# --- writing ----------------------------------------------------------------------------------


def test_identity_write_keeps_the_package(odt):
    document = OdtDocument.load(odt)
    data = write(document, [(unit, unit.source) for unit in document.units()], RU)
    before, after = members(odt.read_bytes()), members(data)
    assert list(after) == list(before)  # same members, same order: mimetype first
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    for name in before:
        if name not in ("styles.xml", "meta.xml"):  # these carry the language
            assert (
                etree.tostring(etree.fromstring(after[name]), method="c14n")
                == etree.tostring(etree.fromstring(before[name]), method="c14n")
                if name.endswith(".xml")
                else after[name] == before[name]
            ), name
    odf_load(io.BytesIO(data))  # odfpy reads what was written


def test_the_language_of_styles_and_metadata_becomes_the_target(odt):
    document = OdtDocument.load(odt)
    data = write(document, [], RU)
    props = xml(data, "styles.xml").find(".//style:default-style/style:text-properties", NS)
    assert props.get(f"{{{NS['fo']}}}language") == "ru"
    assert props.get(f"{{{NS['fo']}}}country") == "RU"
    assert xml(data, "meta.xml").find(".//dc:language", NS).text == "ru-RU"


def test_moved_tags_put_each_span_on_its_new_words(odt):
    document = OdtDocument.load(odt)
    unit = by_source(document)["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı."]
    target = TaggedText.from_parts(
        ["Yesterday the ", Tag(2, OPEN), "solemn", Tag(2, CLOSE), " opening of a ",
         Tag(1, OPEN), "new", Tag(1, CLOSE), " bridge."]
    )  # fmt: skip
    root = xml(write(document, [(unit, target)]))
    assert spans(paragraph(root, "Yesterday the solemn opening of a new bridge.")) == [
        ("Yesterday the ", None),
        ("solemn", "T2"),
        (" opening of a ", None),
        ("new", "T1"),
        (" bridge.", None),
    ]


def test_nested_pairs_become_nested_spans(odt):
    document = OdtDocument.load(odt)
    unit = by_source(document)["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı."]
    target = TaggedText.from_parts(
        [Tag(1, OPEN), "new and ", Tag(2, OPEN), "solemn", Tag(2, CLOSE), Tag(1, CLOSE), " bridge"]
    )
    element = paragraph(xml(write(document, [(unit, target)])), "new and solemn bridge")
    (bold,) = element.findall("text:span", NS)
    assert bold.get(f"{{{TEXT}}}style-name") == "T1" and bold.text == "new and "
    (italic,) = bold.findall("text:span", NS)
    assert italic.get(f"{{{TEXT}}}style-name") == "T2" and italic.text == "solemn"


def test_link_is_recreated_around_its_new_words_and_kept_when_lost(odt):
    document = OdtDocument.load(odt)
    unit = by_source(document)["Ətraflı məlumat <g1>saytımızda</g1> verilib."]
    target = TaggedText.from_parts(["Details are on ", Tag(1, OPEN), "our site", Tag(1, CLOSE)])
    element = paragraph(xml(write(document, [(unit, target)])), "Details are on our site")
    (link,) = element.findall("text:a", NS)
    assert link.text == "our site" and link.get("{http://www.w3.org/1999/xlink}href") == (
        "https://example.az/korpu"
    )
    lost = paragraph(xml(write(document, [(unit, TaggedText("See the site."))])), "See the site.")
    (link,) = lost.findall("text:a", NS)
    assert link.text == "See the site."


def test_notes_frames_headers_footers_and_alt_text_are_translated_in_place(odt):
    document = OdtDocument.load(odt)

    def moved(source: TaggedText) -> TaggedText:  # standalone tags first, as a model may
        empties = [tag for _, tag in source.tags if tag.kind == EMPTY]
        return TaggedText.from_parts([*empties, source.text.upper()])

    data = write(document, [(unit, moved) for unit in document.units()])
    root = xml(data)
    outer = paragraph(root, "KÖRPÜ UZUNDUR DEYƏ BILDIRILDI.")
    (note,) = outer.findall("text:note", NS)
    assert note.findtext("text:note-citation", namespaces=NS) == "1"
    assert _shown(note.find("text:note-body/text:p", NS)) == "UZUNLUĞU IKI KILOMETRDIR."
    assert outer.text is None and note.tail == "KÖRPÜ UZUNDUR DEYƏ BILDIRILDI."
    framed = paragraph(root, "ŞƏKIL AŞAĞIDADIR:")
    frame = framed.find("{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame")
    assert frame.findtext("svg:title", namespaces=NS) == "KÖRPÜNÜN ŞƏKLI"
    assert frame.findtext("svg:desc", namespaces=NS) == "ÇAYIN ÜSTÜNDƏ YENI KÖRPÜ"
    assert _shown(frame.find(".//text:p", NS)) == "QUTUDAKI MƏTN"
    styles = xml(data, "styles.xml")
    assert [_shown(p) for p in styles.iter(f"{{{TEXT}}}p")] == ["RƏSMI BÜLLETEN", "BAKI ŞƏHƏRI"]
    comment = paragraph(root, "ŞƏRHLI CÜMLƏ BURADA.")
    assert _shown(comment.find("office:annotation/text:p", NS)) == "Bu şərhdir."


def test_tabs_breaks_and_spaces_are_written_as_they_show(odt):
    document = OdtDocument.load(odt)
    unit = by_source(document)["Bu cümlə iki hissəyə bölünüb."]
    data = write(document, [(unit, TaggedText(" Name\tSurname\nNext   word"))])
    element = paragraph(xml(data), " Name\tSurname\nNext   word")
    rendered = etree.tostring(element, encoding="unicode")
    assert '<text:s/>Name<text:tab/>Surname<text:line-break/>Next <text:s text:c="2"/>word' in (
        rendered
    )
    kept = by_source(document)["Ad:<x1/>Soyad<x2/>Ata adı   son."]
    root = xml(write(document, [(kept, upper)]))
    assert _shown(paragraph(root, "AD:\tSOYAD\nATA ADI   SON.")) == "AD:\tSOYAD\nATA ADI   SON."


def test_languages_do_not_leak_into_each_other(odt):
    document = OdtDocument.load(odt)
    unit = by_source(document)["Şəhər"]
    english = write(document, [(unit, TaggedText("City"))], EN)
    russian = write(document, [(unit, TaggedText("Город"))], RU)
    assert "City" in members(english)["content.xml"].decode()
    assert "City" not in members(russian)["content.xml"].decode()
    assert "Город" in members(russian)["content.xml"].decode()


def test_through_the_pipeline_formatting_lands_on_the_right_words(odt):
    document = OdtDocument.load(odt)
    engine = DictEngine(
        {
            "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.": (
                "Yesterday the <g2>solemn</g2> opening of the <g1>new</g1> bridge."
            ),
            "Əvvəl <g1>qalın söz</g1> sonra.": "Before <g1>the bold word</g1> after.",
        }
    )
    translated = translate_document(document, engine)
    buffer = io.BytesIO()
    document.write(buffer, EN, translated)
    root = xml(buffer.getvalue())
    assert spans(paragraph(root, "Yesterday the solemn opening of the new bridge.")) == [
        ("Yesterday the ", None),
        ("solemn", "T2"),
        (" opening of the ", None),
        ("new", "T1"),
        (" bridge.", None),
    ]
    assert spans(paragraph(root, "Before the bold word after.")) == [
        ("Before ", None),
        ("the bold word", "T1"),
        (" after.", None),
    ]
    assert _shown(paragraph(root, "<en> Hamısı qalındır.")) == "<en> Hamısı qalındır."


# --- sniffing and bad input -------------------------------------------------------------------


def test_sniffing_tells_text_spreadsheet_and_presentation_apart(tmp_path):
    for make, cls in ((F.rich_text, OdtDocument), (F.spreadsheet, OdsDocument),
                      (F.presentation, OdpDocument)):  # fmt: skip
        path = F.save(make(), tmp_path / "file")
        assert detect_format(path) is cls


ENCRYPTED_MANIFEST = (
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
    b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
    b"</manifest:encryption-data></manifest:file-entry></manifest:manifest>"
)
HOSTILE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
    b"<office:body>&x;</office:body></office:document-content>"
)
BAD = {
    "renamed zip": (lambda odt: zipped({"notes.txt": b"salam"}), "not an OpenDocument file"),
    "word file": (
        lambda odt: zipped({"word/document.xml": b"<w:document/>"}),
        "a Word document (.docx) without content.xml",
    ),
    "truncated": (lambda odt: odt.read_bytes()[: len(odt.read_bytes()) // 2], "truncated"),
    "not a zip": (lambda odt: b"Salam, bu adi m\xc9\x99tndir.\n", "corrupt or truncated"),
    "empty": (lambda odt: b"", "empty"),
    "legacy": (lambda odt: OLE + b"\0" * 600, "legacy"),
    "encrypted": (
        lambda odt: repack(odt.read_bytes(), {"META-INF/manifest.xml": ENCRYPTED_MANIFEST}),
        "encrypted (password-protected)",
    ),
    "hostile xml": (lambda odt: repack(odt.read_bytes(), {"content.xml": HOSTILE}), "DOCTYPE"),
    "broken xml": (
        lambda odt: repack(odt.read_bytes(), {"content.xml": b"<office:document"}),
        "corrupt XML",
    ),
    "not content": (
        lambda odt: repack(odt.read_bytes(), {"content.xml": b"<html><body/></html>"}),
        "content.xml holds <html>",
    ),
    "zip bomb": (
        lambda odt: repack(odt.read_bytes(), {"Pictures/big.bmp": bytes(65 * 1024 * 1024)}),
        "inflates to 65 MB",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_input_errors(case, odt, tmp_path):
    make, reason = BAD[case]
    message = load_refused(OdtDocument, tmp_path / "bad.odt", make(odt))
    assert reason in message, message


# --- through `dilmanc translate` ----------------------------------------------------------------


def test_translate_command_writes_each_opendocument_kind(cli, table_engine, tmp_path):
    table_engine.table["Mövzu: <g1>insan alveri</g1>"] = "Topic: <g1>human trafficking</g1>"
    paths = [
        F.save(F.rich_text(), tmp_path / "xəbər.odt"),
        F.save(F.spreadsheet(), tmp_path / "hesabat.ods"),
        F.save(F.presentation(), tmp_path / "masa.odp"),
    ]
    out = tmp_path / "out"
    res = cli(["translate", *paths, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == [
        "hesabat.en.ods", "hesabat.ru.ods", "masa.en.odp", "masa.ru.odp",
        "xəbər.en.odt", "xəbər.ru.odt",
    ]  # fmt: skip
    slide = xml((out / "masa.en.odp").read_bytes())
    assert spans(paragraph(slide, "Topic: human trafficking")) == [
        ("Topic: ", None),
        ("human trafficking", "T1"),
    ]
    sheet = xml((out / "hesabat.ru.ods").read_bytes())
    assert _shown(paragraph(sheet, "<ru> Bakı")) == "<ru> Bakı"
    assert [_shown(p) for p in sheet.iter(f"{{{TEXT}}}p")].count("2 300 000") == 1
    header = xml((out / "xəbər.ru.odt").read_bytes(), "styles.xml")
    assert [_shown(p) for p in header.iter(f"{{{TEXT}}}p")][0] == "<ru> Rəsmi bülleten"
    for name in ("xəbər.en.odt", "hesabat.ru.ods", "masa.en.odp"):
        odf_load(str(out / name))


@pytest.mark.parametrize("case", ["renamed zip", "truncated", "encrypted", "hostile xml"])
def test_translate_command_refuses_bad_files_with_one_line(case, cli, table_engine, odt, tmp_path):
    make, reason = BAD[case]
    assert reason in refused(cli, tmp_path / "bad.odt", table_engine, data=make(odt))


def test_a_model_that_loses_every_tag_loses_no_note_frame_or_link(odt):
    from doubles import ScriptedEngine

    from dilmanc.text.tagged import TAG_PATTERN

    document = OdtDocument.load(odt)
    engine = ScriptedEngine(lambda text: " ".join(TAG_PATTERN.sub(" ", text).split()).upper())
    buffer = io.BytesIO()
    document.write(buffer, EN, translate_document(document, engine))
    root = xml(buffer.getvalue())
    draw = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
    notes = root.findall(".//text:note", NS)
    assert len(notes) == 1 and _shown(notes[0].find(".//text:p", NS)) == (
        "UZUNLUĞU IKI KILOMETRDIR."
    )
    assert len(root.findall(f".//{draw}frame")) == 1
    (link,) = root.findall(".//text:a", NS)
    assert link.get("{http://www.w3.org/1999/xlink}href") == "https://example.az/korpu"
    assert link.text  # some of the words are linked
    bold = [s.text for s in root.iter(f"{{{TEXT}}}span") if s.get(f"{{{TEXT}}}style-name") == "T1"]
    assert bold and all(bold)


def test_translate_command_with_a_tiny_real_model_keeps_notes_frames_and_links(
    cli, odt, tmp_path, tiny_marian_ct2_dir
):
    out = tmp_path / "out"
    args = ["--model", tiny_marian_ct2_dir, "--max-length", "6", "--beam", "1", "--quiet"]
    res = cli(["translate", odt, "--to", "en", "-o", out, *args])
    assert res.code == 0, res.err
    data = (out / "xəbər.en.odt").read_bytes()
    root = xml(data)
    assert "Yeni körpü açıldı" not in [_shown(h) for h in root.iter(f"{{{TEXT}}}h")]
    assert len(root.findall(".//text:note", NS)) == 1
    assert len(root.findall(".//{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame")) == 1
    (link,) = root.findall(".//text:a", NS)
    assert link.get("{http://www.w3.org/1999/xlink}href") == "https://example.az/korpu"
    odf_load(io.BytesIO(data))
