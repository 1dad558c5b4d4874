"""PDF files built in code with fpdf2 for the PDF tests (never third-party files), set in the
DejaVu Sans that matplotlib ships (Azerbaijani letters need a Unicode font): a heading, a
paragraph broken over lines with a hyphenated word and bold and italic words, a bulleted and
a numbered list, a simple table, a page number; and a "scanned" page that is only an image."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fpdf import FPDF

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

PARAGRAPH = (
    "Dünən Bakıda yeni körpü təntənəli şəkildə açıldı. Körpünün uzunluğu iki kilo-",
    "metrdir və o, şəhərin iki hissəsini birləşdirir. Açılışda nazir çıxış etdi",
    "və tikintidə iştirak edənlərə təşəkkür etdi.",
)


def _pdf() -> FPDF:
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_compression(True)
    for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold"), ("I", "DejaVuSans-Oblique"),
                        ("BI", "DejaVuSans-BoldOblique")):  # fmt: skip
        pdf.add_font("DejaVu", style, str(FONTS / f"{name}.ttf"))
    return pdf


def _line(pdf: FPDF, y: float, pieces, size: float = 11, x: float = 72) -> None:
    """One line of text at (x, y) from (text, style) pieces."""
    pdf.set_xy(x, y)
    for text, style in pieces:
        pdf.set_font("DejaVu", style, size)
        pdf.cell(pdf.get_string_width(text), size * 1.2, text)


def release(path: Path) -> Path:
    """A one-page press release with every structure the PDF reader rebuilds."""
    pdf = _pdf()
    pdf.add_page()
    _line(pdf, 60, [("Yeni körpü açıldı", "B")], size=20)
    y = 110
    for line in PARAGRAPH:
        _line(pdf, y, [(line, "")])
        y += 14
    y += 14
    _line(pdf, y, [("Tədbirdə ", ""), ("BMqT", "B"), ("-nin nümayəndəsi ", ""),
                   ("insan alveri", "I"), (" barədə danışdı.", "")])  # fmt: skip
    y += 28
    _line(pdf, y, [("Əsas rəqəmlər", "B")], size=14)
    y += 26
    for item in ("Körpü iki kilometrdir.", "Tikinti üç il çəkdi."):
        _line(pdf, y, [("•", "")])
        _line(pdf, y, [(item, "")], x=90)
        y += 16
    y += 10
    for number, item in enumerate(("Birinci mərhələ bitdi.", "İkinci mərhələ başlayır."), 1):
        _line(pdf, y, [(f"{number}.", "")])
        _line(pdf, y, [(item, "")], x=90)
        y += 16
    y += 16
    for row in (
        ("Şəhər", "Əhali", "Sahə"),
        ("Bakı", "2300000", "2140"),
        ("Gəncə", "330000", "110"),
    ):
        for column, text in enumerate(row):
            _line(pdf, y, [(text, "")], x=72 + column * 150)
        y += 16
    y += 16
    _line(pdf, y, [("Ətraflı məlumat üçün mətbuat xidmətinə müraciət edin.", "")])
    _line(pdf, 800, [("1", "")], size=9, x=290)
    pdf.output(str(path))
    return path


def scanned(path: Path) -> Path:
    """A page with a picture of text and no text layer, as a scanner makes it."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 120), 255)
    ImageDraw.Draw(image).text((20, 50), "Yeni korpu acildi", fill=0)
    pdf = _pdf()
    pdf.add_page()
    pdf.image(image, x=72, y=72, w=400)
    pdf.output(str(path))
    return path


def lists(path: Path) -> Path:
    """Two numbered lists (the second starting at 5) with a paragraph between, a bulleted
    list whose first item goes on over two lines, and a second page."""
    pdf = _pdf()
    pdf.add_page()
    y = 72
    for label, item in (("1.", "Birinci bənd."), ("2.", "İkinci bənd.")):
        _line(pdf, y, [(f"{label} {item}", "")])
        y += 16
    y += 20
    _line(pdf, y, [("Aradakı mətn burada yazılıb.", "")])
    y += 36
    for label, item in (("5)", "Beşinci bənd."), ("6)", "Altıncı bənd.")):
        _line(pdf, y, [(f"{label} {item}", "")])
        y += 16
    y += 20
    _line(pdf, y, [("•", "")])
    _line(pdf, y, [("Uzun bənd iki sətrə ", ""), ("bölünür", "B")], x=90)
    _line(pdf, y + 14, [("və orada davam edir.", "")], x=90)
    _line(pdf, y + 30, [("•", "")])
    _line(pdf, y + 30, [("Qısa bənd.", "")], x=90)
    pdf.add_page()
    _line(pdf, 72, [("İkinci səhifədəki mətn.", "")])
    pdf.output(str(path))
    return path


def encrypted(path: Path) -> Path:
    """A PDF that opens only with a password."""
    from fpdf.enums import EncryptionMethod

    pdf = _pdf()
    pdf.add_page()
    _line(pdf, 72, [("Gizli mətn", "")])
    pdf.set_encryption(owner_password="sahib", user_password="parol",
                       encryption_method=EncryptionMethod.RC4)  # fmt: skip
    pdf.output(str(path))
    return path


def jpeg(width: int = 120, height: int = 60) -> bytes:
    """A small JPEG file (two coloured halves)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (200, 30, 30))
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(30, 30, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def with_images(path: Path, photo: bytes) -> Path:
    """A heading, a paragraph, the JPEG `photo` 240 points wide, a PNG-like (Flate) image
    that is not a JPEG, and a closing paragraph below them."""
    import io

    from PIL import Image

    pdf = _pdf()
    pdf.add_page()
    _line(pdf, 60, [("Yeni körpü açıldı", "B")], size=20)
    _line(pdf, 110, [("Dünən Bakıda yeni körpü açıldı.", "")])
    pdf.image(io.BytesIO(photo), x=72, y=140, w=240)
    pdf.image(Image.new("L", (40, 40), 128), x=72, y=280, w=40)
    _line(pdf, 340, [("Körpünün uzunluğu iki kilometrdir.", "")])
    pdf.output(str(path))
    return path
