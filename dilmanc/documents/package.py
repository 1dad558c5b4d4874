"""ZIP-based documents (OpenDocument, EPUB; DOCX, PPTX, XLSX may share it): one check before
any reader parses them, `check_zip(path)`, and `rewrite` to write a translated copy.

It refuses, with one InputError line naming the file:

* what is not a readable ZIP archive (a renamed file, a truncated package, a member whose
  data does not match its checksum, a ZIP-encrypted member);
* a decompression bomb: more than `entries` members, or members that declare more than
  `part` bytes each or `total` bytes together (nothing is inflated to learn that: the sizes
  are in the central directory, and zipfile never inflates a member past its declared size);
* XML that declares a DOCTYPE or entities (`refuse`, a pattern over the raw bytes; EPUB
  passes `ENTITIES`, since its XHTML and NCX files carry harmless external DOCTYPEs).

Every member is read once, in pieces, so a refused file costs little memory and a truncated
member is found here rather than half-way through writing a translation.

`rewrite` copies every member of the original package in its order (so an OpenDocument or
EPUB `mimetype` stays first and stored), replacing the members a translation changed.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dilmanc.errors import InputError

MB = 1024 * 1024
PIECE = 64 * 1024
XML_MEMBERS = (".xml", ".rels", ".xhtml", ".html", ".htm", ".opf", ".ncx", ".svg", ".rdf")
# Any DOCTYPE or entity declaration: OpenDocument and Office XML have neither.
DOCTYPE_OR_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Entity declarations, or a DOCTYPE with an internal subset (`[ ... ]`): what can expand.
ENTITIES = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_OVERLAP = 1024  # bytes of the previous piece searched again (a match cut in two)


@dataclass(frozen=True)
class ZipLimits:
    entries: int = 10_000  # members
    part: int = 64 * MB  # uncompressed bytes of one member
    total: int = 512 * MB  # uncompressed bytes of all members


LIMITS = ZipLimits()


def check_zip(
    path: str | Path,
    *,
    kind: str = "ZIP archive",
    refuse: re.Pattern[bytes] | None = DOCTYPE_OR_ENTITY,
    limits: ZipLimits = LIMITS,
) -> None:
    """InputError (one line, naming `path` and what is wrong) unless `path` is a readable
    ZIP archive within `limits` whose XML members do not match `refuse`; `kind` names the
    format in messages (".odt", "EPUB")."""
    label = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_sizes(archive, label, limits)
            _read_all(archive, label, refuse)
    except zipfile.BadZipFile as err:
        raise InputError(f"{label}: not a valid {kind} (corrupt or truncated ZIP: {err})") from None
    except RuntimeError as err:  # zipfile: "File ... is encrypted, password required"
        raise InputError(f"{label}: an encrypted ZIP member; refused ({err})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as err:
        raise InputError(f"{label}: cannot read the {kind} archive ({err})") from None


def _check_sizes(archive: zipfile.ZipFile, label: str, limits: ZipLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.entries:
        raise InputError(
            f"{label}: {len(members):,} members in the archive (the limit is {limits.entries:,})"
        )
    total = 0
    for member in members:
        if member.file_size > limits.part:
            raise InputError(
                f"{label}: {member.filename} inflates to {_mb(member.file_size)} "
                f"(the limit is {_mb(limits.part)} per member)"
            )
        total += member.file_size
    if total > limits.total:
        raise InputError(
            f"{label}: the archive inflates to {_mb(total)} (the limit is {_mb(limits.total)})"
        )


def _read_all(archive: zipfile.ZipFile, label: str, refuse: re.Pattern[bytes] | None) -> None:
    """Read every member (checksums verified); XML members are searched for `refuse`."""
    for member in archive.infolist():
        if member.is_dir():
            continue
        searched = refuse is not None and member.filename.lower().endswith(XML_MEMBERS)
        tail = b""
        with archive.open(member) as handle:
            while piece := handle.read(PIECE):
                if searched and refuse.search(tail + piece):
                    raise InputError(
                        f"{label}: {member.filename} declares a DOCTYPE or entities; "
                        "refused (unsafe XML)"
                    )
                tail = piece[-_OVERLAP:]


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size:,} bytes"


def rewrite(data: bytes, replaced: dict[str, bytes], handle: IO) -> None:
    """Write the package `data` to `handle` with the members named in `replaced` given new
    bytes; every member keeps its place, name, date and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as archive, zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            member = zipfile.ZipInfo(info.filename, info.date_time)
            member.compress_type = info.compress_type
            member.external_attr = info.external_attr
            body = replaced.get(info.filename)
            out.writestr(member, archive.read(info) if body is None else body)
    handle.write(buffer.getvalue())
