"""EPUB books built in code with ebooklib for the EPUB tests (never third-party files): two
chapters with inline formatting, links and an image, a navigation document and an NCX, a
title and a description, a stylesheet and a cover image copied as they are."""

from __future__ import annotations

from pathlib import Path

from ebooklib import epub

CSS = b"p { margin: 0 } b { color: #a00 }"
PNG = (  # a 1x1 transparent PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
CHAPTERS = (
    (
        "Birinci fəsil",
        "fesil1.xhtml",
        "<h1>Birinci fəsil</h1>"
        "<p>Dünən <b>yeni</b> körpü <i>təntənəli</i> şəkildə açıldı.</p>"
        '<p>Ətraflı məlumat <a href="fesil2.xhtml">növbəti fəsildə</a> verilib.</p>'
        '<p><img src="images/korpu.png" alt="Körpünün şəkli"/></p>',
    ),
    (
        "İkinci fəsil",
        "fesil2.xhtml",
        "<h1>İkinci fəsil</h1><p>Körpünün uzunluğu iki kilometrdir.</p>"
        "<p><code>km</code> vahidi ilə ölçülür.</p>",
    ),
)


def book() -> epub.EpubBook:
    b = epub.EpubBook()
    b.set_identifier("dilmanc-test-0001")
    b.set_title("Yeni körpü haqqında")
    b.set_language("az")
    b.add_metadata("DC", "description", "Körpünün açılışı haqqında kitab.")
    b.add_author("Mətbuat xidməti")
    style = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=CSS)
    b.add_item(style)
    b.add_item(epub.EpubImage(uid="korpu", file_name="images/korpu.png", media_type="image/png",
                              content=PNG))  # fmt: skip
    chapters = []
    for title, name, body in CHAPTERS:
        chapter = epub.EpubHtml(title=title, file_name=name, lang="az")
        chapter.content = body
        chapter.add_item(style)
        b.add_item(chapter)
        chapters.append(chapter)
    b.toc = [epub.Link(c.file_name, c.title, c.file_name.split(".")[0]) for c in chapters]
    b.add_item(epub.EpubNcx())
    b.add_item(epub.EpubNav())
    b.spine = ["nav", *chapters]
    return b


def save(b: epub.EpubBook, path: Path) -> Path:
    epub.write_epub(str(path), b)
    return path
