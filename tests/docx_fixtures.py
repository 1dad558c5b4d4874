"""Word documents built in code for the DOCX tests (never third-party files).

python-docx makes the body, tables, headers and hyperlinks; raw WordprocessingML adds what it
has no API for: a footnotes part, complex and simple fields, a DrawingML text box with its VML
fallback, and an inline image drawing.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import RGBColor

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (
    f'xmlns:w="{W}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def add_hyperlink(paragraph, url: str, text: str, *, bold: bool = False):
    """An external hyperlink run (python-docx can read hyperlinks but not add them)."""
    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    rpr = '<w:rPr><w:rStyle w:val="Hyperlink"/>' + ("<w:b/>" if bold else "") + "</w:rPr>"
    link = parse_xml(
        f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}">'
        f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r></w:hyperlink>'
    )
    paragraph._p.append(link)
    return rid


def add_xml(paragraph, xml: str) -> None:
    """Append raw run-level XML (namespaces declared by NS) to a paragraph."""
    element = parse_xml(f"<w:wrap {NS}>{xml}</w:wrap>")
    for child in list(element):
        paragraph._p.append(child)


def complex_field(instruction: str, result: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{result}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def text_box(text: str) -> str:
    """A run holding a DrawingML text box and its VML fallback, both with `text`."""
    body = f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
    return (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><wp:extent cx="914400" cy="457200"/>'
        '<wp:docPr id="10" name="Mətn qutusu"/><a:graphic><a:graphicData '
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx>{body}</wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{body}</v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


def image_run(rid: str = "rIdImage1") -> str:
    return (
        '<w:r><w:drawing><wp:inline><wp:extent cx="9525" cy="9525"/>'
        '<wp:docPr id="11" name="Şəkil 1"/><a:graphic><a:graphicData '
        'uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<a:blip r:embed="{rid}"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
    )


def add_footnotes(document, notes: dict[int, str]) -> None:
    """A footnotes part (separators + `notes`) related to the main document part."""
    body = "".join(
        f'<w:footnote w:id="{nid}"><w:p><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/>'
        f'</w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r>'
        "</w:p></w:footnote>"
        for nid, text in notes.items()
    )
    xml = (
        f"<w:footnotes {nsdecls('w')}>"
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        "</w:footnote>"
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        "<w:continuationSeparator/></w:r></w:p></w:footnote>"
        f"{body}</w:footnotes>"
    )
    part = XmlPart(
        PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, parse_xml(xml), document.part.package
    )
    document.part.relate_to(part, RT.FOOTNOTES)


def footnote_reference(nid: int) -> str:
    return (
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
        f'<w:footnoteReference w:id="{nid}"/></w:r>'
    )


def split_run(paragraph, pieces: list[str], **font) -> None:
    """Runs with the same formatting, as Word leaves them after edits (distinct rsids)."""
    for n, piece in enumerate(pieces):
        run = paragraph.add_run(piece)
        run._r.set(qn("w:rsidR"), f"00A1B2C{n}")
        for name, value in font.items():
            setattr(run.font, name, value)


def rich_document() -> docx.document.Document:
    """Everything the tests look at, in one document."""
    d = docx.Document()
    section = d.sections[0]
    section.header.paragraphs[0].text = "Rəsmi bülleten"
    section.footer.paragraphs[0].text = "Bakı şəhəri"
    d.add_heading("Yeni körpü açıldı", level=1)

    p = d.add_paragraph("Dünən ")
    p.add_run("yeni").bold = True
    p.add_run(" körpü ")
    p.add_run("təntənəli").italic = True
    p.add_run(" şəkildə açıldı.")

    p = d.add_paragraph("Ətraflı məlumat ")
    add_hyperlink(p, "https://example.az/korpu", "saytımızda")
    p.add_run(" verilib.")

    p = d.add_paragraph()
    split_run(p, ["Bu cümlə ", "iki hissəyə ", "bölünüb."])

    p = d.add_paragraph()
    p.add_run("BMqT").bold = True
    p.add_run("-nin nümayəndəsi gəldi.")

    p = d.add_paragraph("Qırmızı ")
    red = p.add_run("xəbərdarlıq")
    red.font.color.rgb = RGBColor(0xFF, 0, 0)
    p.add_run(" edildi.")

    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Şəhər"
    table.cell(0, 1).text = "Əhali"
    inner = table.cell(1, 0).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "İç cədvəl xanası"

    p = d.add_paragraph("Səhifə ")
    add_xml(p, complex_field("PAGE", "3"))
    p.add_run(" hesabatın sonudur.")

    p = d.add_paragraph("Körpünün şəkli ")
    add_xml(p, image_run())
    p.add_run(" aşağıdadır.")

    p = d.add_paragraph("Qeyd edək ki")
    add_xml(p, footnote_reference(1))
    p.add_run(" körpü uzundur.")
    add_footnotes(d, {1: "Uzunluğu iki kilometrdir."})

    p = d.add_paragraph("Qutuda yazılıb:")
    add_xml(p, text_box("Qutudakı mətn"))

    p = d.add_paragraph("Ad:\tSoyad")
    return d


def save(document, path: Path) -> Path:
    document.save(str(path))
    return path


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- decompression bombs (issue 18 item 1) ------------------------------------------------------

MB = 1024 * 1024


def bomb(path: Path, inflated: int, filler: bytes = b"<w:p/>", members: int = 0) -> Path:
    """A small valid-looking .docx whose word/document.xml inflates to about `inflated` bytes
    of `filler` inside the body (`<w:p/>`: millions of elements; b" ": a whitespace bomb), plus
    `members` extra empty members. Written in pieces, so building it costs no memory."""
    template = to_bytes(docx.Document())
    return package_bomb(path, template, "word/document.xml", b"<w:body>", inflated, filler, members)


def package_bomb(
    path: Path,
    template: bytes,
    member: str,
    after: bytes,
    inflated: int,
    filler: bytes,
    members: int = 0,
) -> Path:
    """Any ZIP package (`template`: DOCX, PPTX, XLSX...) with `member` inflated by about
    `inflated` bytes of `filler` written right after the first `after` in it."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(template)) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    head, found, tail = parts.pop(member).partition(after)
    assert found, f"{after!r} not in {member}"
    piece = filler * (MB // len(filler))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open(member, "w") as handle:
            handle.write(head + after)
            for _ in range(inflated // len(piece)):
                handle.write(piece)
            handle.write(tail)
        for number in range(members):
            archive.writestr(f"customXml/item{number}.bin", b"")
    return path
