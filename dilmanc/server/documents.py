"""Documents through the service: load a file with its format's reader, translate it with a
request's pipeline, write the result atomically (or into memory for HTML strings).

Format detection, parsing and writing are dilmanc.documents'; this module only connects an
upload (bytes + file name) to `Service.translate_document`, and a stored result back to the
client (`stored_file`, `file_answer`).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi.responses import FileResponse

from dilmanc.documents.archive import ArchiveTooLarge
from dilmanc.documents.base import Document
from dilmanc.documents.registry import FORMATS, detect_format, format_class, output_name
from dilmanc.errors import DilmancError, EncodingError, InputError, UsageError
from dilmanc.fileio import atomic_writer
from dilmanc.languages import Language
from dilmanc.pipeline.pipeline import Pipeline, RunContext
from dilmanc.pipeline.service import DocumentReport, Service
from dilmanc.server.batching import check_deadline


class Interrupted(Exception):
    """Raised from the progress callback when the server stops during a document."""


def extensions() -> list[str]:
    """File name endings of every registered format (those whose module is installed)."""
    out = []
    for name, (_, endings) in FORMATS.items():
        if available(name):
            out += endings
    return out


def available(name: str) -> bool:
    try:
        format_class(name)
    except (ImportError, DilmancError):
        return False
    return True


def safe_name(filename: str | None) -> str:
    """The upload's base name without directories or control characters."""
    name = Path((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(". ")
    return name[:200]


def load(path: Path, source_iso: str) -> Document:
    """Parse `path` completely: InputError on a file that cannot be read as its format,
    ArchiveTooLarge (a ZIP-based file past a limit: 413), Timeout when the request's
    deadline passed while parsing (nothing is charged or translated then)."""
    try:
        cls = detect_format(path, None, source_iso)
    except ImportError:
        raise InputError(f"{path.name}: this file type is not supported") from None
    except InputError:
        raise InputError(f"{path.name}: file format not supported") from None
    try:
        document = cls.load(path)
    except DilmancError as err:  # name the upload, never the server's folders
        message = err.problem if isinstance(err, EncodingError) else str(err)
        message = message.replace(str(path), path.name).replace(str(path.parent) + "/", "")
        kind = ArchiveTooLarge if isinstance(err, ArchiveTooLarge) else InputError
        raise kind(message) from None
    check_deadline()
    document.label = path.name
    return document


def characters(document: Document) -> int:
    """Source characters to translate (billing, quotas, limits)."""
    return sum(len(unit.source.text) for unit in document.units() if unit.translate)


@dataclass
class FileResult:
    output: Path
    characters: int
    report: DocumentReport


def translate_path(
    service: Service,
    pipeline: Pipeline,
    document: Document,
    target: Language,
    output: Path,
    *,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int], None] | None = None,
    context: RunContext | None = None,
) -> FileResult:
    """Translate a loaded document into `output` (written atomically, nothing on failure);
    `progress` hears of each chunk of units done, `stop` is asked after each; `context`
    (default: the pipeline's) says what else the document is translated under."""
    context = context or pipeline.defaults
    if stop is not None or progress is not None:

        def check(units: int) -> None:
            if progress is not None:
                progress(units)
            if stop is not None and stop():
                raise Interrupted("the server is stopping")

        context = context.but(progress=check)
    chars = characters(document)
    with atomic_writer(output, document.encoding, binary=document.binary) as handle:
        handles = {target.iso: handle}
        report = service.translate_document(document, handles, pipeline, context=context)
    return FileResult(output, chars, report)


def translate_markup(
    service: Service,
    pipeline: Pipeline,
    text: str,
    target: Language,
    fmt: str = "html",
    on_chunk=None,
    context: RunContext | None = None,
) -> str:
    """An HTML (or XML) string through the document format, in memory."""
    try:
        cls = format_class(fmt)
    except ImportError:
        raise UsageError(f"{fmt} format is not supported") from None
    if hasattr(cls, "from_text"):
        document = cls.from_text(text, "q")
    else:  # formats that only read files
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"q{FORMATS[cls.format][1][0]}"
            path.write_text(text, encoding="utf-8")
            document = cls.load(path)
    handle: io.IOBase = io.BytesIO() if document.binary else io.StringIO()
    handles = {target.iso: handle}
    service.translate_document(document, handles, pipeline, on_chunk=on_chunk, context=context)
    value = handle.getvalue()
    if isinstance(value, bytes):
        return value.decode(getattr(document, "codec", None) or "utf-8")
    return value


def result_name(filename: str, target_iso: str, source_iso: str) -> str:
    return output_name(filename, target_iso, source_iso)


def stored_file(folder: Path, name: str) -> Path | None:
    """`folder/name` when `name` can be a file made there (printable, one path component,
    at most 255 bytes, not hidden); None otherwise, before the file system is asked, so an
    impossible name never becomes an OSError naming the folder."""
    if not name or not name.isprintable() or len(name.encode("utf-8", "replace")) > 255:
        return None
    if name.startswith(".") or "/" in name or "\\" in name:
        return None
    return folder / name


def file_answer(path: Path, filename: str) -> FileResponse:
    """A translated document as an attachment: bytes (`application/octet-stream`), never
    content a browser would render or run from the server's origin."""
    return FileResponse(
        path,
        filename=filename,
        media_type="application/octet-stream",
        headers={"X-Content-Type-Options": "nosniff"},
    )
