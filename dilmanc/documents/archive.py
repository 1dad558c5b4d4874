"""ZIP-based documents (DOCX, PPTX, XLSX, ODT/ODS/ODP, EPUB): the one guard against
decompression bombs and unsafe XML, run before any part is parsed, for `dilmanc translate`
and the server alike. Every ZIP-based reader opens its bytes with `open_zip` and nothing
else; `rewrite` writes a translated copy of a package.

An archive is refused (ArchiveTooLarge, one line naming the member and the limit) when:

* it has more than `entries` members;
* a member declares more than `part` bytes uncompressed, or all of them together more than
  `total` (zipfile never inflates a member past the size it declares, and the readers read
  through zipfile, so these bound what reading can cost; nothing is inflated to check them);
* its XML members hold more than `markup` tags together: a parsed element costs a parser
  about 200 bytes, so a small member of nothing but `<w:p/>` would need gigabytes of memory
  although its size is modest;
* an XML member has more than `text_run` bytes with no tag (lxml refuses text nodes longer
  than 10,000,000 bytes anyway; a whitespace bomb is one).

It is refused with an InputError line when it is not a readable ZIP archive: a renamed file,
a truncated package, a ZIP-encrypted member, a member whose data does not inflate or does not
match its checksum (every member is read once, so that is found here rather than half-way
through writing a translation), or when an XML member matches `refuse`, the pattern a format
forbids (`DOCTYPE_OR_ENTITY` by default: no Office or OpenDocument part needs either; EPUB
passes `ENTITIES`, since its XHTML and NCX files carry harmless external DOCTYPEs).

Members are read in pieces while counting, never whole, so a refused archive costs next to
no memory. The compression ratio is not a test: ordinary Word files with repeated
paragraphs reach 200:1.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from dilmanc.errors import InputError

MB = 1024 * 1024
XML_MEMBERS = (
    ".xml", ".rels", ".xhtml", ".html", ".htm", ".opf", ".ncx", ".svg", ".rdf", ".vml"
)  # fmt: skip
PIECE = 64 * 1024
# Any DOCTYPE or entity declaration: OpenDocument and Office XML have neither.
DOCTYPE_OR_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Entity declarations, or a DOCTYPE with an internal subset (`[ ... ]`): what can expand.
ENTITIES = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
UNSAFE = "declares a DOCTYPE or entities; refused (unsafe XML)"
OVERLAP = 1024  # bytes of the previous piece searched again (a match cut in two)


class ArchiveTooLarge(InputError):
    """A ZIP-based document exceeds a `ZipLimits` limit (the server answers 413)."""


@dataclass(frozen=True)
class ZipLimits:
    entries: int = 10_000  # members
    part: int = 64 * MB  # uncompressed bytes of one member
    total: int = 256 * MB  # uncompressed bytes of all members
    markup: int = 2_000_000  # tags ("<") in all XML members
    text_run: int = 10_000_000  # bytes without a tag in an XML member


LIMITS = ZipLimits()


def open_zip(
    data: bytes,
    label: str,
    *,
    kind: str = "ZIP archive",
    limits: ZipLimits | None = None,
    refuse: re.Pattern[bytes] | None = DOCTYPE_OR_ENTITY,
    why: str = UNSAFE,
) -> zipfile.ZipFile:
    """The checked archive over `data` (the caller closes it). InputError when it is not a
    readable ZIP archive (`kind` names the format: ".odt", "EPUB"), ArchiveTooLarge past a
    limit (`limits`, by default `LIMITS`, the same for every format), InputError
    "<member> `why`" when `refuse` matches an XML member."""
    limits = limits or LIMITS
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InputError(f"{label}: not a valid {kind} (corrupt or truncated ZIP: {err})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise InputError(f"{label}: cannot read the {kind} archive ({err})") from None
    try:
        check_sizes(archive, label, limits)
        scan_members(archive, label, limits, refuse, why)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        OSError,
        RuntimeError,
        ValueError,
        zlib.error,
    ) as err:  # a member that does not inflate or fails its checksum
        archive.close()
        raise InputError(f"{label}: cannot read the {kind} archive ({err})") from None
    except BaseException:
        archive.close()
        raise
    return archive


def check_sizes(archive: zipfile.ZipFile, label: str, limits: ZipLimits = LIMITS) -> None:
    """The entry count and the declared uncompressed sizes (the central directory only)."""
    members = archive.infolist()
    if len(members) > limits.entries:
        raise ArchiveTooLarge(
            f"{label}: {len(members):,} members in the archive (the limit is {limits.entries:,})"
        )
    total = 0
    for member in members:
        if member.file_size > limits.part:
            raise ArchiveTooLarge(
                f"{label}: {member.filename} inflates to {_mb(member.file_size)} "
                f"(the limit is {_mb(limits.part)} per part)"
            )
        if member.flag_bits & 0x1:  # zipfile would ask for a password
            raise InputError(f"{label}: {member.filename} is an encrypted ZIP member; refused")
        total += member.file_size
    if total > limits.total:
        raise ArchiveTooLarge(
            f"{label}: the archive inflates to {_mb(total)} (the limit is {_mb(limits.total)})"
        )


def scan_members(
    archive: zipfile.ZipFile,
    label: str,
    limits: ZipLimits = LIMITS,
    refuse: re.Pattern[bytes] | None = DOCTYPE_OR_ENTITY,
    why: str = UNSAFE,
) -> None:
    """Stream every member once (checksums verified); in XML members count tags, measure
    text runs, look for `refuse`."""
    tags = 0
    for member in archive.infolist():
        if member.is_dir():
            continue
        xml = member.filename.lower().endswith(XML_MEMBERS)
        run = 0  # bytes since the last "<"
        tail = b""  # the end of the previous piece, for a pattern cut in two
        with archive.open(member) as handle:
            while piece := handle.read(PIECE):
                if not xml:
                    continue
                if refuse is not None and refuse.search(tail + piece):
                    raise InputError(f"{label}: {member.filename} {why}")
                tail = piece[-OVERLAP:]
                tags += piece.count(b"<")
                if tags > limits.markup:
                    raise ArchiveTooLarge(
                        f"{label}: more than {limits.markup:,} XML tags (at "
                        f"{member.filename}; the limit is {limits.markup:,}): split the document"
                    )
                first = piece.find(b"<")
                stretch = run + (len(piece) if first < 0 else first)  # the text run going on
                if stretch > limits.text_run:
                    raise ArchiveTooLarge(
                        f"{label}: {member.filename} has more than {_mb(limits.text_run)} of "
                        "text without markup"
                    )
                run = stretch if first < 0 else len(piece) - piece.rfind(b"<") - 1


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size:,} bytes"


def rewrite(data: bytes, replaced: dict[str, bytes], handle: IO) -> None:
    """Write the package `data` to `handle` with the members named in `replaced` given new
    bytes; every member keeps its place (so an OpenDocument or EPUB `mimetype` stays first
    and stored), name, date and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as archive, zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            member = zipfile.ZipInfo(info.filename, info.date_time)
            member.compress_type = info.compress_type
            member.external_attr = info.external_attr
            body = replaced.get(info.filename)
            out.writestr(member, archive.read(info) if body is None else body)
    handle.write(buffer.getvalue())
