"""check_zip: the guard every ZIP-based reader runs before parsing a part."""

from __future__ import annotations

import io
import zipfile

import pytest

from dilmanc.documents.zipguard import PIECE, ZipLimits, check_zip
from dilmanc.errors import InputError


def package(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_sound_package_gives_its_member_names(tmp_path):
    path = tmp_path / "ok.zip"
    path.write_bytes(package({"a.xml": b"<a/>", "b.bin": b"\0" * 10}))
    assert check_zip(path) == ["a.xml", "b.bin"]


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
    ],
)
def test_archives_past_a_limit_are_refused_with_one_line(entries, limits, reason):
    with pytest.raises(InputError) as caught:
        check_zip(package(entries), label="bomb.xlsx", limits=limits)
    assert str(caught.value).startswith("bomb.xlsx: ") and reason in str(caught.value)


def test_an_entity_declaration_cut_between_two_pieces_is_found():
    xml = b"<a>" + b" " * (PIECE - 5) + b"<!ENTITY x 'y'><a/>"
    with pytest.raises(InputError, match="part.xml declares a DOCTYPE or entities"):
        check_zip(package({"part.xml": xml}), label="x.pptx")


def test_a_member_that_does_not_inflate_is_an_input_error():
    data = bytearray(package({"a.xml": b"<a>" + b"salam " * 500 + b"</a>"}))
    data[40:60] = b"\xff" * 20  # inside the compressed stream
    with pytest.raises(InputError, match="x.xlsx: "):
        check_zip(bytes(data), label="x.xlsx")
