"""Which format a file is: `--format`, else its extension, else a look at its first bytes.

Format modules are imported only when a file of theirs is opened, so plain-text runs never
load python-docx or lxml.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from dilmanc.documents.base import Document
from dilmanc.errors import InputError, UsageError

# name → ("module:Class", file name endings); order matters for sniffing (most specific first)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "docx": ("dilmanc.documents.docx:DocxDocument", (".docx",)),
    "pptx": ("dilmanc.documents.pptx:PptxDocument", (".pptx", ".pptm")),
    "xlsx": ("dilmanc.documents.xlsx:XlsxDocument", (".xlsx", ".xlsm")),
    "odt": ("dilmanc.documents.odf:OdtDocument", (".odt", ".ott")),
    "ods": ("dilmanc.documents.odf:OdsDocument", (".ods", ".ots")),
    "odp": ("dilmanc.documents.odf:OdpDocument", (".odp", ".otp")),
    "epub": ("dilmanc.documents.epub:EpubDocument", (".epub",)),
    "pdf": ("dilmanc.documents.pdf:PdfDocument", (".pdf",)),
    "xliff": ("dilmanc.documents.xliff:XliffDocument", (".xlf", ".xliff")),
    "po": ("dilmanc.documents.po:PoDocument", (".po", ".pot")),
    "html": ("dilmanc.documents.html:HtmlDocument", (".html", ".htm", ".xhtml")),
    "srt": ("dilmanc.documents.subtitles:SrtDocument", (".srt",)),
    "vtt": ("dilmanc.documents.subtitles:VttDocument", (".vtt",)),
    "markdown": ("dilmanc.documents.markdown:MarkdownDocument", (".md", ".markdown")),
    "text": ("dilmanc.documents.plaintext:TextDocument", (".txt", ".text")),
}
ALIASES = {
    "txt": "text",
    "plain": "text",
    "md": "markdown",
    "xlf": "xliff",
    "htm": "html",
    "pptm": "pptx",
    "xlsm": "xlsx",
}
# Binary Office 97-2003 files → the format to save them as
LEGACY = {".doc": ("Word", "docx"), ".ppt": ("PowerPoint", "pptx"), ".xls": ("Excel", "xlsx")}
SNIFF_BYTES = 4096


def format_class(name: str) -> type[Document]:
    """The Document class registered as `name` (or an alias); UsageError when unknown."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in FORMATS:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module, _, cls = FORMATS[key][0].partition(":")
    return getattr(importlib.import_module(module), cls)


def format_names() -> list[str]:
    return list(FORMATS)


def _by_extension(path: Path) -> type[Document] | None:
    suffix = path.suffix.lower()
    for name, (_, extensions) in FORMATS.items():
        if suffix in extensions:
            return format_class(name)
    return None


def detect_format(
    path: Path, explicit: str | None = None, source_iso: str = "az"
) -> type[Document]:
    """The format of `path`: explicit, by extension (`.az`, the source language, is plain
    text), then by content; InputError if none."""
    if explicit:
        return format_class(explicit)
    if path.suffix.lower() == f".{source_iso}":
        return format_class("text")
    if path.suffix.lower() in LEGACY:
        application, modern = LEGACY[path.suffix.lower()]
        raise InputError(
            f"{path}: a legacy {application} 97-2003 file ({path.suffix}); dilmanc reads "
            f".{modern}: save it as .{modern}"
        )
    found = _by_extension(path)
    if found is not None:
        return found
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        head = b""  # the loader reports the read error with its own message
    for name in FORMATS:
        if name == "text" and path.suffix:
            continue  # any readable file is text: only for names without an extension
        cls = format_class(name)
        if cls.sniff(head):
            return cls
    known = sorted({ext for _, extensions in FORMATS.values() for ext in extensions})
    raise InputError(
        f"{path}: unknown file type {path.suffix or '(no extension)'}; known: {', '.join(known)}",
        setting="format",
        template="{problem}; or pass {option}",
    )


def open_document(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    source_iso: str = "az",
    **options,
) -> Document:
    """Load `path` with its format's reader (everything is checked before returning);
    `options` (such as `sheet_names=True`) go to the formats that take them."""
    path = Path(path)
    cls = detect_format(path, format, source_iso)
    taken = {name: value for name, value in options.items() if name in cls.options}
    return cls.load(path, encoding=encoding, **taken)


# Inputs written out in another format: a PO template is a PO file, a PDF becomes Word.
OUTPUT_SUFFIXES = {".pot": ".po", ".pdf": ".docx"}


def output_name(name: str, target_iso: str, source_iso: str) -> str:
    """`release.az.docx` → `release.en.docx`; `notes.txt` → `notes.en.txt`; `release.az` →
    `release.en`; a PO template `app.pot` → `app.en.po`; a PDF `report.pdf` →
    `report.en.docx`."""
    path = Path(name)
    suffix = OUTPUT_SUFFIXES.get(path.suffix.lower(), path.suffix)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if suffix.lower() == f".{source_iso}":  # "release.az" with no other extension
        suffix = ""
    elif stem.lower().endswith(f".{source_iso}"):
        stem = stem[: -len(source_iso) - 1]
    return f"{stem}.{target_iso}{suffix}"


def output_paths(relative: Path, targets: list[str], source_iso: str, out_dir: Path) -> dict:
    """Target iso → where the translation of an input at `relative` (to its root) goes under
    `out_dir`: folders mirrored, names from `output_name`."""
    return {
        iso: out_dir / relative.parent / output_name(relative.name, iso, source_iso)
        for iso in targets
    }


def walk_folder(
    folder: Path, explicit: str | None, source_iso: str, skipped: list[Path]
) -> list[tuple[Path, Path]]:
    """(file, path relative to `folder`) for every file of a known format under `folder`,
    sorted; hidden files and folders are passed over, files of unknown type go to `skipped`.
    InputError when none is found."""
    found = []
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if not file.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        try:
            detect_format(file, explicit, source_iso)
        except InputError:
            skipped.append(file)
            continue
        found.append((file, relative))
    if not found:
        raise InputError(f"{folder}: no files of a known type in this folder")
    return found
