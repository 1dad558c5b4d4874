"""Helpers shared by the per-format document tests (tests/test_doc_*.py): write a document
with chosen targets, look units up by their source, a target that is the source upper-cased;
ZIP packages read, built and changed member by member (the bad-input cases of every
packaged format)."""

from __future__ import annotations

import io
import zipfile

from dilmanc.documents.base import Origin, Translated
from dilmanc.languages import resolve
from dilmanc.text.tagged import TaggedText

EN = resolve("en")


def write(document, targets: list, lang=EN) -> bytes:
    """`targets`: (unit, TaggedText or a function of the unit's source) pairs."""
    translations = {}
    for unit, target in targets:
        value = target(unit.source) if callable(target) else target
        translations[unit.id] = Translated(unit, value, Origin.MACHINE)
    buffer = io.BytesIO()
    document.write(buffer, lang, translations)
    return buffer.getvalue()


def by_source(document) -> dict[str, object]:
    """The document's units by their compact tagged source."""
    return {unit.source.render(): unit for unit in document.units()}


def upper(source: TaggedText) -> TaggedText:
    """A target: the source upper-cased, its tags where they were."""
    return TaggedText(source.text.upper(), source.tags)


#: the start of an OLE compound file: legacy Office files and password-protected OOXML
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def members(data: bytes) -> dict[str, bytes]:
    """A ZIP package's members by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP package of `entries`, in their order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def repack(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The package with members replaced, added, or removed (None); the others copied as
    they are stored (an EPUB's uncompressed mimetype stays so)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as archive, zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            if info.filename not in changes:
                out.writestr(info, archive.read(info))
        for name, body in changes.items():
            if body is not None:
                out.writestr(name, body, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def with_doctype(data: bytes, name: str) -> bytes:
    """The package with member `name` declaring an external entity (an XXE attempt)."""
    body = members(data)[name]
    body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    doctype = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    return repack(data, {name: doctype + body})


def load_refused(cls, path, data: bytes) -> str:
    """`cls.load(path)` of `data` refused as bad input must be: one InputError line naming
    the file (returned, for the reason to be checked)."""
    import pytest

    from dilmanc.errors import InputError

    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        cls.load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    return message
