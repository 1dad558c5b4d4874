"""The one ZIP guard (documents/archive.py `open_zip`) every ZIP-based reader opens its bytes
with: limits, unsafe XML, unreadable members. DOCX bombs through the command line and the
server are in test_hardening.py and test_server_hardening.py."""

from __future__ import annotations

import pytest
from doc_helpers import zipped

from dilmanc.documents import archive
from dilmanc.documents.archive import (
    DOCTYPE_OR_ENTITY,
    ENTITIES,
    PIECE,
    ArchiveTooLarge,
    ZipLimits,
    open_zip,
)
from dilmanc.documents.registry import open_document
from dilmanc.errors import InputError


def test_a_sound_package_opens_with_its_members():
    with open_zip(zipped({"a.xml": b"<a/>", "b.bin": b"\0" * 10}), "ok.zip") as opened:
        assert opened.namelist() == ["a.xml", "b.bin"]


@pytest.mark.parametrize(
    "entries, limits, reason",
    [
        ({f"p{n}.xml": b"<p/>" for n in range(6)}, ZipLimits(entries=5), "6 members"),
        ({"big.xml": b"<a>" + b" " * 5000 + b"</a>"}, ZipLimits(part=4096), "big.xml inflates"),
        (
            {"a.xml": b"<a>" + b" " * 3000 + b"</a>", "b.xml": b"<b>" + b" " * 3000 + b"</b>"},
            ZipLimits(total=5000),
            "the archive inflates to 6,014 bytes",
        ),
        ({"a.xml": b"<p/>" * 6, "b.rels": b"<r/>" * 5}, ZipLimits(markup=10), "more than 10 XML"),
        (
            {"a.xml": b"<a>" + b" " * (2 * PIECE) + b"</a>"},
            ZipLimits(text_run=PIECE),
            "a.xml has more than 65,536 bytes of text without markup",
        ),
    ],
)
def test_archives_past_a_limit_are_refused_with_one_line(entries, limits, reason):
    with pytest.raises(ArchiveTooLarge) as caught:
        open_zip(zipped(entries), "bomb.xlsx", limits=limits)
    assert str(caught.value).startswith("bomb.xlsx: ") and reason in str(caught.value)


@pytest.mark.parametrize("cut", range(1, 9))  # "<!DOCTYPE" split after 1..8 of its characters
def test_a_doctype_cut_between_two_pieces_is_found(cut):
    prefix = b'<?xml version="1.0"?><!--'
    head = prefix + b"x" * (PIECE - cut - len(prefix) - len(b"-->")) + b"-->"
    xml = head + b"<!DOCTYPE d><d/>"
    assert xml.index(b"<!DOCTYPE") == PIECE - cut
    with pytest.raises(InputError, match="word/document.xml declares a DOCTYPE or entities"):
        open_zip(zipped({"word/document.xml": xml}), "a.docx")


def test_an_entity_declaration_cut_between_two_pieces_is_found():
    xml = b"<a>" + b" " * (PIECE - 5) + b"<!ENTITY x 'y'><a/>"
    with pytest.raises(InputError, match="part.xml declares a DOCTYPE or entities"):
        open_zip(zipped({"part.xml": xml}), "x.pptx")


def test_an_internal_subset_after_a_long_public_doctype_is_found_across_pieces():
    """EPUB's pattern (ENTITIES) lets a plain DOCTYPE through but not one with `[`: the `[`
    may come hundreds of bytes after `<!DOCTYPE`, in the next piece."""
    doctype = b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "' + b"u" * 300 + b'" ['
    xml = b"<!--" + b"x" * (PIECE - 100 - 7) + b"-->" + doctype + b"]><html/>"
    assert xml.index(b"<!DOCTYPE") < PIECE < xml.index(b"[")
    with pytest.raises(InputError, match="c.xhtml declares"):
        open_zip(zipped({"c.xhtml": xml}), "b.epub", refuse=ENTITIES)
    plain = b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "x.dtd"><html/>'
    with open_zip(zipped({"c.xhtml": plain}), "b.epub", refuse=ENTITIES):
        pass
    with pytest.raises(InputError, match="declares"):
        open_zip(zipped({"c.xhtml": plain}), "b.epub", refuse=DOCTYPE_OR_ENTITY)


def test_a_member_that_does_not_inflate_is_an_input_error():
    data = bytearray(zipped({"a.xml": b"<a>" + b"salam " * 500 + b"</a>"}))
    data[40:60] = b"\xff" * 20  # inside the compressed stream
    with pytest.raises(InputError, match="x.xlsx: "):
        open_zip(bytes(data), "x.xlsx")


def test_a_corrupt_member_that_is_not_xml_is_found_before_any_part_is_parsed():
    """Every member is read once (its checksum verified), not only the XML ones: a broken
    image is refused on opening, not half-way through writing a translation."""
    body = bytes(range(256)) * 40
    data = bytearray(zipped({"content.xml": b"<a/>", "Pictures/p.png": body}))
    start = data.index(b"Pictures/p.png") + len("Pictures/p.png")  # its local header's end
    data[start + 100 : start + 110] = b"\x00" * 10
    with pytest.raises(InputError, match="x.odt: cannot read the .odt archive"):
        open_zip(bytes(data), "x.odt", kind=".odt")


def test_an_encrypted_member_is_refused_by_name():
    data = bytearray(zipped({"content.xml": b"<a/>"}))
    for header, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central
        data[data.index(header) + flags] |= 0x1  # "encrypted": zipfile would ask a password
    with pytest.raises(InputError, match="x.odt: content.xml is an encrypted ZIP member"):
        open_zip(bytes(data), "x.odt", kind=".odt")


def test_not_a_zip_is_one_line_naming_the_format():
    with pytest.raises(InputError, match=r"x.epub: not a valid EPUB \(corrupt or truncated"):
        open_zip(b"Salam, bu zip deyil.", "x.epub", kind="EPUB")


@pytest.mark.parametrize("suffix", [".docx", ".pptx", ".xlsx", ".odt", ".ods", ".odp", ".epub"])
def test_every_zip_based_format_opens_through_the_one_guard(suffix, tmp_path, monkeypatch):
    """Every ZIP-based reader stops at the same guard and the same LIMITS (a tag bomb, which
    only archive.open_zip counts, is refused before any part is parsed)."""
    monkeypatch.setattr(archive, "LIMITS", ZipLimits(markup=100))
    path = tmp_path / f"bomba{suffix}"
    path.write_bytes(zipped({"mimetype": b"x", "content.xml": b"<p/>" * 101}))
    with pytest.raises(ArchiveTooLarge, match="more than 100 XML tags"):
        open_document(path)
