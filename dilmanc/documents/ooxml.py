"""Office Open XML packages (PPTX, XLSX): the checks every reader runs before parsing a part.

`read_package` reads a file's bytes and refuses, with one InputError line naming the file:
an OLE compound file (a password-protected OOXML file is one, and so is a legacy 97-2003
`.ppt`/`.xls`: which one is said), an empty file, a package the one ZIP guard
(`archive.open_zip`) refuses (not a ZIP, truncated, too large, unsafe XML), and a package
of another kind (a Word document or a plain ZIP archive renamed to `.pptx`). A
macro-enabled package (`.pptm`, `.xlsm`, or any package with a VBA project) is read;
`MACRO_NOTE` is what its reader reports: the macros are copied byte for byte, never run,
read or translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dilmanc.documents.archive import open_zip
from dilmanc.errors import InputError
from dilmanc.fileio import read_bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted OOXML file is an OLE file with these streams (MS-OFFCRYPTO); their names are
# stored in UTF-16 in the file's directory.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Kind:
    extension: str  # ".pptx"
    main: str  # the main part's name in the package
    noun: str  # "a PowerPoint presentation"
    application: str  # "PowerPoint"
    legacy: str  # ".ppt"


KINDS = {
    "docx": Kind(".docx", "word/document.xml", "a Word document", "Word", ".doc"),
    "pptx": Kind(
        ".pptx", "ppt/presentation.xml", "a PowerPoint presentation", "PowerPoint", ".ppt"
    ),
    "xlsx": Kind(".xlsx", "xl/workbook.xml", "an Excel workbook", "Excel", ".xls"),
}
MACRO_NOTE = (
    "macro-enabled file: its macros (VBA project) are copied unchanged, never run, read or "
    "translated"
)


def macro_note(document) -> list[str]:
    """`[MACRO_NOTE]` when the first writer of a macro-enabled `document` finishes (one note
    however many languages it is written in), else []."""
    if not getattr(document, "macros", False) or getattr(document, "macros_noted", False):
        return []
    document.macros_noted = True
    return [MACRO_NOTE]


@dataclass
class Package:
    data: bytes
    names: list[str]

    @property
    def has_macros(self) -> bool:
        return any(name.lower().endswith("vbaproject.bin") for name in self.names)


def read_package(path: Path, kind: str) -> Package:
    """The bytes and member names of an OOXML file of `kind` ("pptx", "xlsx"), checked as the
    module docstring says."""
    expected = KINDS[kind]
    label = str(path)
    data = read_bytes(path)
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in data:
            raise InputError(
                f"{label}: a password-protected (encrypted) {expected.extension} file; remove "
                f"the password in {expected.application} and save it again"
            )
        raise InputError(
            f"{label}: a legacy {expected.application} 97-2003 file ({expected.legacy}), not "
            f"a {expected.extension}; save it as {expected.extension}"
        )
    if not data.strip():
        raise InputError(f"{label} is empty")
    with open_zip(data, label, kind=expected.extension) as archive:
        names = archive.namelist()
    if expected.main not in names:
        found = next(
            (other.noun for other in KINDS.values() if other.main in names), "a ZIP archive"
        )
        raise InputError(f"{label}: not {expected.noun} ({found} without {expected.main})")
    return Package(data, names)
