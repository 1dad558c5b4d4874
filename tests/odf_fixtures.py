"""OpenDocument files built in code with odfpy for the ODT/ODS/ODP tests (never third-party
files): styled spans (some split the way LibreOffice splits them, by revision id), links,
footnotes, tables, frames with text boxes and alternative text, page headers and footers,
comments, spreadsheet cells of every value type, slides with notes."""

from __future__ import annotations

from pathlib import Path

from odf.draw import Frame, Image, Page, TextBox
from odf.office import Annotation
from odf.opendocument import (
    OpenDocumentPresentation,
    OpenDocumentSpreadsheet,
    OpenDocumentText,
)
from odf.presentation import Notes
from odf.style import (
    DefaultStyle,
    Footer,
    Header,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    Style,
    TextProperties,
)
from odf.svg import Desc, Title
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import A, H, LineBreak, Note, NoteBody, NoteCitation, P, S, Span, Tab

OFFICEOOO = "http://openoffice.org/2009/office"


def _text_style(document, name: str, rsid: str | None = None, **properties) -> Style:
    style = Style(name=name, family="text")
    props = TextProperties(**properties)
    if rsid:
        props.setAttrNS(OFFICEOOO, "rsid", rsid)
    style.addElement(props)
    document.automaticstyles.addElement(style)
    return style


def _p(*content) -> P:
    paragraph = P()
    for item in content:
        if isinstance(item, str):
            paragraph.addText(item)
        else:
            paragraph.addElement(item)
    return paragraph


def _span(style: Style, text: str) -> Span:
    return Span(stylename=style, text=text)


def rich_text() -> OpenDocumentText:
    """A press release: everything a Writer document holds that must come back translated."""
    d = OpenDocumentText()
    bold = _text_style(d, "T1", "00111", fontweight="bold")
    italic = _text_style(d, "T2", "00111", fontstyle="italic")
    bold_again = _text_style(d, "T3", "00222", fontweight="bold")  # another revision
    revision = _text_style(d, "T4", "00333")  # nothing visible
    red = _text_style(d, "T5", None, color="#ff0000")
    default = DefaultStyle(family="paragraph")
    default.addElement(TextProperties(language="az", country="AZ"))
    d.styles.addElement(default)

    layout = PageLayout(name="PL1")
    layout.addElement(PageLayoutProperties(pagewidth="21cm", pageheight="29.7cm"))
    d.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(_p("Rəsmi bülleten"))
    footer.addElement(_p("Bakı şəhəri"))
    master.addElement(header)
    master.addElement(footer)
    d.masterstyles.addElement(master)

    body = d.text
    body.addElement(H(outlinelevel=1, text="Yeni körpü açıldı"))
    body.addElement(
        _p(
            "Dünən ", _span(bold, "yeni"), " körpü ", _span(italic, "təntənəli"), " şəkildə açıldı."
        )  # fmt: skip
    )
    body.addElement(_p("Əvvəl ", _span(bold, "qalın "), _span(bold_again, "söz"), " sonra."))
    body.addElement(_p(_span(revision, "Bu cümlə "), "iki hissəyə bölünüb."))
    link = A(type="simple", href="https://example.az/korpu", text="saytımızda")
    body.addElement(_p("Ətraflı məlumat ", link, " verilib."))
    body.addElement(_p("Qırmızı ", _span(red, "xəbərdarlıq"), " edildi."))
    note = Note(id="ftn1", noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    note_body = NoteBody()
    note_body.addElement(_p("Uzunluğu iki kilometrdir."))
    note.addElement(note_body)
    body.addElement(_p("Körpü uzundur", note, " deyə bildirildi."))
    body.addElement(_p("Ad:", Tab(), "Soyad", LineBreak(), "Ata adı", S(c=3), "son."))
    body.addElement(_p(_span(bold, "Hamısı qalındır.")))
    comment = Annotation()
    comment.addElement(_p("Bu şərhdir."))
    body.addElement(_p("Şərhli cümlə", comment, " burada."))
    body.addElement(_p("   "))  # no text: not a unit

    table = Table(name="Cədvəl1")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for cells in (("Şəhər", "Əhali"), ("Gəncə", "Sumqayıt")):
        row = TableRow()
        for text in cells:
            cell = TableCell(valuetype="string")
            cell.addElement(_p(text))
            row.addElement(cell)
        table.addElement(row)
    body.addElement(table)

    frame = Frame(name="Şəkil1", width="4cm", height="3cm", anchortype="paragraph")
    frame.addElement(Title(text="Körpünün şəkli"))
    frame.addElement(Desc(text="Çayın üstündə yeni körpü"))
    box = TextBox()
    box.addElement(_p("Qutudakı mətn"))
    frame.addElement(box)
    body.addElement(_p("Şəkil aşağıdadır:", frame))
    return d


def spreadsheet() -> OpenDocumentSpreadsheet:
    d = OpenDocumentSpreadsheet()
    bold = _text_style(d, "T1", "00111", fontweight="bold")
    table = Table(name="Hesabat")
    rows = [
        [("string", "Şəhər"), ("string", "Əhali"), ("string", "Qeyd")],
        [("string", "Bakı"), ("float", "2300000"), ("string", "paytaxt")],
        [("string", "Gəncə"), ("float", "330000"), ("formula", "Cəmi")],
    ]
    for cells in rows:
        row = TableRow()
        for kind, text in cells:
            if kind == "float":
                cell = TableCell(valuetype="float", value=text)
                cell.addElement(_p(f"{int(text):,}".replace(",", " ")))
            elif kind == "formula":
                cell = TableCell(valuetype="string", formula="of:=CONCATENATE([.A3])")
                cell.addElement(_p(text))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(_p(text))
            row.addElement(cell)
        table.addElement(row)
    row = TableRow()
    cell = TableCell(valuetype="string")
    cell.addElement(_p("Çox ", _span(bold, "vacib"), " qeyd"))
    comment = Annotation()
    comment.addElement(_p("Şərh mətni"))
    cell.addElement(comment)
    row.addElement(cell)
    date = TableCell(valuetype="date", datevalue="2022-07-01")
    date.addElement(_p("01.07.2022"))
    row.addElement(date)
    table.addElement(row)
    d.spreadsheet.addElement(table)
    return d


def presentation() -> OpenDocumentPresentation:
    d = OpenDocumentPresentation()
    italic = _text_style(d, "T1", None, fontstyle="italic")
    layout = PageLayout(name="PM1")
    d.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    d.masterstyles.addElement(master)
    for number, (title, line, notes) in enumerate(
        [
            ("Dəyirmi masa", ("Mövzu: ", "insan alveri"), "Qonaqları salamlayın."),
            ("Nəticələr", ("Yeni ", "qanun"), "Suallara vaxt saxlayın."),
        ],
        1,
    ):
        page = Page(name=f"slayd{number}", masterpagename=master)
        frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
        box = TextBox()
        box.addElement(_p(title))
        box.addElement(_p(line[0], _span(italic, line[1])))
        frame.addElement(box)
        page.addElement(frame)
        picture = Frame(width="5cm", height="4cm", x="1cm", y="5cm")
        picture.addElement(Title(text="Tədbirin şəkli"))
        picture.addElement(Image(href="Pictures/none.png"))
        page.addElement(picture)
        speaker = Notes()
        notes_frame = Frame(width="15cm", height="10cm", x="2cm", y="12cm")
        notes_box = TextBox()
        notes_box.addElement(_p(notes))
        notes_frame.addElement(notes_box)
        speaker.addElement(notes_frame)
        page.addElement(speaker)
        d.presentation.addElement(page)
    return d


def save(document, path: Path) -> Path:
    document.save(str(path))
    return path
