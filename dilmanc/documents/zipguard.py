"""One guard for ZIP-based documents (PPTX, XLSX; DOCX, OpenDocument and EPUB can use it
too), run before any part is parsed: `check_zip(path)`.

A package is refused with one InputError line naming the file (and the member) when:

* it is not a ZIP archive, or a truncated or corrupt one (a member that does not inflate,
  a CRC error, an encrypted member);
* it has more than `ZipLimits.entries` members;
* a member declares more than `ZipLimits.part` bytes uncompressed, or all of them together
  more than `ZipLimits.total` (zipfile never inflates a member past the size it declares, so
  these bound what reading it can cost; nothing is inflated to check them);
* an XML member (`.xml`, `.rels`, `.vml`) declares a DOCTYPE or entities: no Office or
  OpenDocument part needs one, and entity expansion is how XML bombs work. The members are
  read in pieces, never whole.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import InputError

MB = 1024 * 1024
XML_MEMBERS = (".xml", ".rels", ".vml")
HOSTILE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
PIECE = 64 * 1024


@dataclass(frozen=True)
class ZipLimits:
    entries: int = 10_000  # members
    part: int = 64 * MB  # uncompressed bytes of one member
    total: int = 512 * MB  # uncompressed bytes of all members


LIMITS = ZipLimits()


def check_zip(
    path: str | Path | bytes,
    *,
    label: str | None = None,
    kind: str = "ZIP archive",
    limits: ZipLimits = LIMITS,
) -> list[str]:
    """The member names of the package at `path` (or in these bytes) after the checks of the
    module docstring; InputError naming `label` (default: the path) otherwise. `kind` names
    the format in messages (".pptx")."""
    label = label or ("the upload" if isinstance(path, bytes) else str(path))
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    try:
        with zipfile.ZipFile(source) as archive:
            _check_sizes(archive, label, limits)
            _check_markup(archive, label)
            return archive.namelist()
    except zipfile.BadZipFile as err:
        raise InputError(f"{label}: not a valid {kind} (corrupt or truncated ZIP: {err})") from None
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, RuntimeError) as err:
        # a member that does not inflate; RuntimeError: an encrypted member
        raise InputError(f"{label}: cannot read the {kind} archive ({err})") from None


def _check_sizes(archive: zipfile.ZipFile, label: str, limits: ZipLimits) -> None:
    """The entry count and the declared uncompressed sizes (the central directory only)."""
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
                f"(the limit is {_mb(limits.part)} per part)"
            )
        total += member.file_size
    if total > limits.total:
        raise InputError(
            f"{label}: the archive inflates to {_mb(total)} (the limit is {_mb(limits.total)})"
        )


def _check_markup(archive: zipfile.ZipFile, label: str) -> None:
    """Stream every XML member once, looking for a DOCTYPE or an entity declaration."""
    for member in archive.infolist():
        if member.is_dir() or not member.filename.lower().endswith(XML_MEMBERS):
            continue
        tail = b""  # the end of the previous piece, for a declaration cut in two
        with archive.open(member) as handle:
            while piece := handle.read(PIECE):
                if HOSTILE.search(tail + piece):
                    raise InputError(
                        f"{label}: {member.filename} declares a DOCTYPE or entities; "
                        "refused (unsafe XML)"
                    )
                tail = piece[-16:]


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size:,} bytes"
