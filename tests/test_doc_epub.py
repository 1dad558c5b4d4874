"""EPUB books: the spine's XHTML through the HTML format, the navigation document, NCX labels
and the title and description translated; the language set to the target; every other member
copied unchanged; DRM, unsafe XML and broken packages refused with one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import epub_fixtures as F
import pytest
from doc_helpers import load_refused, members, repack, upper, write
from doubles import DictEngine, translate_document
from ebooklib import epub
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401
from lxml import etree

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.epub import EpubDocument
from dilmanc.documents.registry import detect_format
from dilmanc.languages import resolve
from dilmanc.text.tagged import TaggedText

EN, RU = resolve("en"), resolve("ru")
OPF = "EPUB/content.opf"
NCX = "EPUB/toc.ncx"
CHAPTER = "EPUB/fesil1.xhtml"
NS = {"dc": "http://purl.org/dc/elements/1.1/", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}


@pytest.fixture
def book(tmp_path) -> Path:
    return F.save(F.book(), tmp_path / "kitab.epub")


def read_back(data: bytes, tmp_path: Path) -> epub.EpubBook:
    path = tmp_path / "back.epub"
    path.write_bytes(data)
    return epub.read_epub(str(path), {"ignore_ncx": False})


# --- reading ----------------------------------------------------------------------------------


def test_units_are_metadata_ncx_labels_nav_and_the_spine_in_reading_order(book):
    units = [(unit.source.render(), unit.location) for unit in EpubDocument.load(book).units()]
    assert units == [
        ("Yeni körpü haqqında", f"{OPF} title"),
        ("Körpünün açılışı haqqında kitab.", f"{OPF} description"),
        ("Yeni körpü haqqında", f"{NCX} label 1"),
        ("Birinci fəsil", f"{NCX} label 2"),
        ("İkinci fəsil", f"{NCX} label 3"),
        ("Yeni körpü haqqında", "EPUB/nav.xhtml line 5, <title>"),
        ("Yeni körpü haqqında", "EPUB/nav.xhtml line 9, <h2>"),
        ("Birinci fəsil", "EPUB/nav.xhtml line 11, <li>"),
        ("İkinci fəsil", "EPUB/nav.xhtml line 14, <li>"),
        ("Birinci fəsil", f"{CHAPTER} line 5, <title>"),
        ("Birinci fəsil", f"{CHAPTER} line 9, <h1>"),
        ("Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.", f"{CHAPTER} line 10, <p>"),
        ("Ətraflı məlumat <g1>növbəti fəsildə</g1> verilib.", f"{CHAPTER} line 11, <p>"),
        ("Körpünün şəkli", f"{CHAPTER} line 13, <img alt>"),
        ("İkinci fəsil", "EPUB/fesil2.xhtml line 5, <title>"),
        ("İkinci fəsil", "EPUB/fesil2.xhtml line 9, <h1>"),
        ("Körpünün uzunluğu iki kilometrdir.", "EPUB/fesil2.xhtml line 10, <p>"),
        ("vahidi ilə ölçülür.", "EPUB/fesil2.xhtml line 11, <p>"),  # <code> stays outside
    ]
    document = EpubDocument.load(book)
    ids = [unit.id for unit in document.units()]
    assert len(ids) == len(set(ids)) == document.size
    first, second = list(document.units())[:2]
    assert second.prev == first.source.text and first.next == second.source.text


# --- writing ----------------------------------------------------------------------------------


def test_every_unit_is_translated_and_the_package_kept(book, tmp_path):
    document = EpubDocument.load(book)
    data = write(document, [(unit, upper) for unit in document.units()], RU)
    before, after = members(book.read_bytes()), members(data)
    assert list(after) == list(before)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    for name in ("mimetype", "META-INF/container.xml", "EPUB/style.css", "EPUB/images/korpu.png"):
        assert after[name] == before[name], name
    chapter = after[CHAPTER].decode()
    assert "DÜNƏN <b>YENI</b> KÖRPÜ <i>TƏNTƏNƏLI</i> ŞƏKILDƏ AÇILDI." in chapter
    assert 'alt="KÖRPÜNÜN ŞƏKLI"' in chapter and 'lang="ru" xml:lang="ru"' in chapter
    assert "<code>km</code> VAHIDI" in after["EPUB/fesil2.xhtml"].decode()
    opf = etree.fromstring(after[OPF])
    assert opf.findtext(".//dc:title", namespaces=NS) == "YENI KÖRPÜ HAQQINDA"
    assert opf.findtext(".//dc:description", namespaces=NS) == "KÖRPÜNÜN AÇILIŞI HAQQINDA KITAB."
    assert opf.findtext(".//dc:language", namespaces=NS) == "ru"
    assert opf.findtext(".//dc:creator", namespaces=NS) == "Mətbuat xidməti"  # not translated
    ncx = etree.fromstring(after[NCX])
    labels = [t.text for t in ncx.iter(f"{{{NS['ncx']}}}text")]
    assert labels == ["YENI KÖRPÜ HAQQINDA", "BIRINCI FƏSIL", "İKINCI FƏSIL"]
    back = read_back(data, tmp_path)  # ebooklib reads what was written
    assert back.get_metadata("DC", "title")[0][0] == "YENI KÖRPÜ HAQQINDA"
    assert [link.title for link in back.toc] == ["BIRINCI FƏSIL", "İKINCI FƏSIL"]


def test_untranslated_bytes_of_a_chapter_are_kept(book):
    document = EpubDocument.load(book)
    data = write(document, [(unit, unit.source) for unit in document.units()], EN)
    before, after = members(book.read_bytes()), members(data)
    for name in (CHAPTER, "EPUB/fesil2.xhtml", "EPUB/nav.xhtml"):
        assert after[name] == before[name].replace(b'lang="az" xml:lang="az"',
                                                   b'lang="en" xml:lang="en"'), name  # fmt: skip


def test_a_chapter_is_written_and_its_translations_let_go_once_all_its_units_arrived(book):
    """A long book must not hold every translation until the end (issue 21: memory)."""
    document = EpubDocument.load(book)
    units = list(document.units())
    whole = write(document, [(unit, upper) for unit in units])
    items = [Translated(unit, upper(unit.source), Origin.MACHINE) for unit in units]
    buffer = io.BytesIO()
    writer = document.writer(EN, buffer)
    chapter = [item for item in items if item.unit.id.startswith(CHAPTER + "#")]
    rest = [item for item in items if item not in chapter]
    writer.add(chapter[::-1])  # in any order
    assert CHAPTER in writer.replaced and not writer.held[CHAPTER]
    assert all(name not in writer.replaced for name in ("EPUB/fesil2.xhtml", "EPUB/nav.xhtml"))
    for start in range(len(rest) - 1, -1, -2):
        writer.add(rest[max(0, start - 1) : start + 1])
    writer.finish()
    assert members(buffer.getvalue()) == members(whole)


def test_languages_do_not_leak_into_each_other(book):
    document = EpubDocument.load(book)
    unit = next(u for u in document.units() if u.source.text == "Körpünün şəkli")
    english = members(write(document, [(unit, TaggedText("The bridge"))], EN))
    russian = members(write(document, [(unit, TaggedText("Мост"))], RU))
    assert b'alt="The bridge"' in english[CHAPTER] and b"The bridge" not in russian[CHAPTER]
    assert 'alt="Мост"'.encode() in russian[CHAPTER]


def test_through_the_pipeline_formatting_lands_on_the_right_words(book):
    document = EpubDocument.load(book)
    engine = DictEngine(
        {
            "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı.": (
                "Yesterday the <g2>solemn</g2> opening of the <g1>new</g1> bridge."
            ),
            "Ətraflı məlumat <g1>növbəti fəsildə</g1> verilib.": (
                "Details are in <g1>the next chapter</g1>."
            ),
        }
    )
    buffer = io.BytesIO()
    document.write(buffer, EN, translate_document(document, engine))
    chapter = members(buffer.getvalue())[CHAPTER].decode()
    assert "Yesterday the <i>solemn</i> opening of the <b>new</b> bridge." in chapter
    assert 'Details are in <a href="fesil2.xhtml">the next chapter</a>.' in chapter


def test_an_epub2_book_with_doctypes_is_read_and_its_ncx_doctype_kept(book, tmp_path):
    doctype = (
        b'<!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" '
        b'"http://www.daisy.org/z3986/2005/ncx-2005-1.dtd">'
    )
    entries = members(book.read_bytes())
    ncx = entries[NCX].replace(b"?>", b"?>\n" + doctype, 1)
    xhtml = entries["EPUB/fesil2.xhtml"].replace(
        b"<!DOCTYPE html>",
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
        b'"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">',
    )
    path = tmp_path / "epub2.epub"
    path.write_bytes(repack(book.read_bytes(), {NCX: ncx, "EPUB/fesil2.xhtml": xhtml}))
    document = EpubDocument.load(path)
    data = members(write(document, [(unit, upper) for unit in document.units()]))
    assert doctype in data[NCX] and b"BIRINCI F\xc6\x8fSIL" in data[NCX]
    assert b"xhtml11.dtd" in data["EPUB/fesil2.xhtml"]


def test_font_obfuscation_is_not_drm(book, tmp_path):
    path = tmp_path / "fonts.epub"
    path.write_bytes(repack(book.read_bytes(), {"META-INF/encryption.xml": _encryption(
        "http://www.idpf.org/2008/embedding", "EPUB/fonts/font.otf")}))  # fmt: skip
    assert len(list(EpubDocument.load(path).units())) == 18


def test_sniffing_recognises_an_epub_without_its_extension(book, tmp_path):
    renamed = tmp_path / "kitab"
    renamed.write_bytes(book.read_bytes())
    assert detect_format(renamed) is EpubDocument


# --- bad input --------------------------------------------------------------------------------


def _encryption(algorithm: str, uri: str) -> bytes:
    return (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        f'<enc:EncryptionMethod Algorithm="{algorithm}"/><enc:CipherData>'
        f'<enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>'
    ).encode()


def _entities(book: Path) -> bytes:
    chapter = members(book.read_bytes())[CHAPTER]
    hostile = chapter.replace(
        b"<!DOCTYPE html>", b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    )
    return repack(book.read_bytes(), {CHAPTER: hostile})


BAD = {
    "drm": (
        lambda book: repack(
            book.read_bytes(),
            {
                "META-INF/encryption.xml": _encryption(
                    "http://www.w3.org/2001/04/xmlenc#aes128-cbc", "EPUB/fesil1.xhtml"
                )
            },
        ),
        "DRM-protected (encrypted) EPUB (EPUB/fesil1.xhtml is encrypted)",
    ),  # fmt: skip
    "adobe rights": (
        lambda book: repack(book.read_bytes(), {"META-INF/rights.xml": b"<rights/>"}),
        "DRM-protected EPUB",
    ),
    "entities": (_entities, "declares a DOCTYPE or entities"),
    "renamed zip": (
        lambda book: repack(book.read_bytes(), {"META-INF/container.xml": None}),
        "not an EPUB book",
    ),
    "truncated": (lambda book: book.read_bytes()[:2000], "corrupt or truncated"),
    "no package file": (
        lambda book: repack(book.read_bytes(), {OPF: None}),
        "not a readable EPUB",
    ),
    "empty": (lambda book: b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_books_are_one_line_input_errors(case, book, tmp_path):
    make, reason = BAD[case]
    message = load_refused(EpubDocument, tmp_path / "bad.epub", make(book))
    assert reason in message, message


# --- through `dilmanc translate` ----------------------------------------------------------------


def test_translate_command_writes_one_book_per_language(cli, table_engine, book, tmp_path):
    out = tmp_path / "out"
    res = cli(["translate", book, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["kitab.en.epub", "kitab.ru.epub"]
    english = members((out / "kitab.en.epub").read_bytes())
    assert (
        "<p>&lt;en&gt; Körpünün uzunluğu iki kilometrdir.</p>"
        in english["EPUB/fesil2.xhtml"].decode()
    )
    back = read_back((out / "kitab.ru.epub").read_bytes(), tmp_path)
    assert back.get_metadata("DC", "title")[0][0] == "<ru> Yeni körpü haqqında"
    assert back.get_metadata("DC", "language")[0][0] == "ru"


@pytest.mark.parametrize("case", ["drm", "entities", "truncated", "renamed zip"])
def test_translate_command_refuses_bad_books_with_one_line(case, cli, table_engine, book, tmp_path):
    make, reason = BAD[case]
    assert reason in refused(cli, tmp_path / "bad.epub", table_engine, data=make(book))


def test_translate_command_with_a_tiny_real_model_keeps_links_images_and_code(
    cli, book, tmp_path, tiny_marian_ct2_dir
):
    out = tmp_path / "out"
    args = ["--model", tiny_marian_ct2_dir, "--max-length", "6", "--beam", "1", "--quiet"]
    res = cli(["translate", book, "--to", "en", "-o", out, *args])
    assert res.code == 0, res.err
    data = members((out / "kitab.en.epub").read_bytes())
    chapter = data[CHAPTER].decode()
    assert "Dünən" not in chapter and 'lang="en" xml:lang="en"' in chapter
    assert (
        chapter.count('<a href="fesil2.xhtml">') == 1 and '<img src="images/korpu.png"' in chapter
    )
    assert "<code>km</code>" in data["EPUB/fesil2.xhtml"].decode()
    assert read_back((out / "kitab.en.epub").read_bytes(), tmp_path).get_metadata("DC", "language")
