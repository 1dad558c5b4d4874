"""ZIP-based formats (DOCX; PPTX, XLSX, ODT and EPUB when they come): one guard against
decompression bombs, run before any part is parsed, for `dilmanc translate` and the server
alike. Every ZIP-based reader opens its bytes with `open_zip` and nothing else.

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

The XML members are read in pieces while counting, never whole, so a refused archive costs
next to no memory. The compression ratio is not a test: ordinary Word files with repeated
paragraphs reach 200:1. `refuse` is a pattern a format forbids in its XML (DOCX: a DOCTYPE or
entity declarations), found while the same pieces stream by.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from dilmanc.errors import InputError

MB = 1024 * 1024
XML_MEMBERS = (".xml", ".rels", ".xhtml", ".html", ".htm", ".opf", ".ncx", ".svg")
PIECE = 64 * 1024


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
    limits: ZipLimits = LIMITS,
    refuse: re.Pattern[bytes] | None = None,
    why: str = "is refused",
) -> zipfile.ZipFile:
    """The checked archive over `data` (the caller closes it). InputError when it is not a
    readable ZIP archive (`kind` names the format), ArchiveTooLarge past a limit, InputError
    "<member> `why`" when `refuse` matches an XML member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InputError(f"{label}: not a valid {kind} (corrupt or truncated ZIP: {err})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise InputError(f"{label}: cannot read the {kind} archive ({err})") from None
    try:
        check_sizes(archive, label, limits)
        scan_markup(archive, label, limits, refuse, why)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        OSError,
        RuntimeError,
    ) as err:  # a member that does not inflate; RuntimeError: encrypted
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
        total += member.file_size
    if total > limits.total:
        raise ArchiveTooLarge(
            f"{label}: the archive inflates to {_mb(total)} (the limit is {_mb(limits.total)})"
        )


def scan_markup(
    archive: zipfile.ZipFile,
    label: str,
    limits: ZipLimits = LIMITS,
    refuse: re.Pattern[bytes] | None = None,
    why: str = "is refused",
) -> None:
    """Stream every XML member once: count tags, measure text runs, look for `refuse`."""
    tags = 0
    for member in archive.infolist():
        if member.is_dir() or not member.filename.lower().endswith(XML_MEMBERS):
            continue
        run = 0  # bytes since the last "<"
        tail = b""  # the end of the previous piece, for a pattern cut in two
        with archive.open(member) as handle:
            while piece := handle.read(PIECE):
                if refuse is not None and refuse.search(tail + piece):
                    raise InputError(f"{label}: {member.filename} {why}")
                tail = piece[-32:]
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
