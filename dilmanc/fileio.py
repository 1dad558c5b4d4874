"""Reading user input (files or stdin, UTF-8 with optional BOM) and writing outputs atomically.

Every output file is written to a temporary name in the destination directory and renamed
into place only when complete, so an error, Ctrl-C or SIGTERM never leaves a partial file
behind; temporaries of a killed writer are removed by the next write of the same output.
Write failures are OutputErrors naming the file (exit 2 for a bad path, 3 for a full disk),
and `check_writable` finds a bad output path before any work is done.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from dilmanc.errors import (
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    EncodingError,
    InputError,
    OutputClosed,
    OutputError,
)

STDIO = "-"


# Advice in decoding errors when the user has no way to name an encoding (a glossary, a
# record); a command with an encoding option passes its own advice.
UTF8_ADVICE = "save it as UTF-8 (or UTF-16 with a byte-order mark)"
# Advice for inputs whose encoding a setting names: no text, an EncodingError instead, which
# carries the setting for the front end to name its option (`--encoding` in the CLI).
ENCODING_ADVICE = None

# Byte-order marks that identify an encoding by themselves (UTF-32 first: its little-endian
# mark begins with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_bom(head: bytes) -> str | None:
    """ "utf-16" or "utf-32" when `head` (a file's first bytes) starts with such a byte-order
    mark, as spreadsheet "Unicode text" exports do; None otherwise (UTF-8 is the default)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def decoding_error(problem: str, advice: str | None = UTF8_ADVICE) -> InputError:
    """`problem` followed by `advice`; an EncodingError when the advice is ENCODING_ADVICE."""
    return EncodingError(problem) if advice is None else InputError(f"{problem}; {advice}")


def nul_error(source: str, offset: int, advice: str | None = UTF8_ADVICE) -> InputError:
    """The error for data with NUL bytes: no text file has them, UTF-16 without a BOM does."""
    return decoding_error(
        f"{source} has NUL bytes (the first at offset {offset}): it is UTF-16 without a "
        "byte-order mark, or not text at all",
        advice,
    )


def check_text(text: str, source: str, advice: str | None = UTF8_ADVICE) -> str:
    """`text` unchanged, or InputError when it holds NUL characters (see `nul_error`)."""
    nul = text.find("\x00")
    if nul >= 0:
        raise nul_error(source, nul, advice)
    return text


def decode(
    data: bytes, source: str, encoding: str | None = None, advice: str | None = UTF8_ADVICE
) -> str:
    """Decode bytes as UTF-8 (a BOM is dropped), as UTF-16/32 when a byte-order mark says so,
    or as `encoding`; one clear error otherwise, ending with `advice` (ENCODING_ADVICE: an
    EncodingError naming the encoding setting)."""
    if encoding is None:
        encoding = sniff_bom(data[:4])
    if encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        try:
            return check_text(data.decode("utf-8-sig"), source, advice)
        except UnicodeDecodeError as err:
            if (nul := data.find(b"\x00")) >= 0:
                raise nul_error(source, nul, advice) from None
            raise decoding_error(
                f"{source} is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
                advice,
            ) from None
    try:
        return check_text(data.decode(encoding), source, advice)
    except UnicodeDecodeError as err:
        raise decoding_error(
            f"{source} cannot be decoded as {encoding} (offset {err.start})", advice
        ) from None


def check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None


def open_error(path: str | Path, err: OSError) -> InputError:
    """The one-line InputError for a file that cannot be opened or read."""
    if isinstance(err, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(err, IsADirectoryError):
        return InputError(f"{path}: is a directory, not a file")
    if isinstance(err, PermissionError):
        return InputError(f"{path}: permission denied")
    return InputError(f"{path}: cannot read ({err.strerror})")


def read_bytes(path: str | Path) -> bytes:
    """A whole file's bytes; InputError (one line) when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise open_error(path, err) from None


def read_text(
    path: str | Path, encoding: str | None = None, advice: str | None = UTF8_ADVICE
) -> str:
    """Read a whole file, or stdin for "-", as text. Missing/unreadable files are InputErrors;
    `advice` ends the message for text that cannot be decoded."""
    check_encoding(encoding)
    if str(path) == STDIO:
        return decode(sys.stdin.buffer.read(), "standard input", encoding, advice)
    return decode(read_bytes(path), str(path), encoding, advice)


@dataclass(frozen=True)
class DocumentText:
    """A text document as read: its text, whether it began with a byte-order mark, and the
    codec its translations are written in (without the mark, which writers put back)."""

    text: str
    bom: bool
    encoding: str


# Byte-order marks and the codec of what follows them (UTF-32 before UTF-16, see _BOMS).
_MARKED = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NATIVE = {"utf-16": f"utf-16-{sys.byteorder[0]}e", "utf-32": f"utf-32-{sys.byteorder[0]}e"}


def output_encoding(data: bytes, encoding: str | None = None) -> tuple[str, bool]:
    """(codec, byte-order mark) to write a translation of `data` in: the input's own Unicode
    encoding (UTF-8, UTF-16 or UTF-32, either byte order) and its mark; UTF-8 for an input
    read with a legacy `encoding` (cp1252, koi8-r ...), which cannot hold every language."""
    for bom, name in _MARKED:
        if data.startswith(bom):
            return name, True
    name = codecs.lookup(encoding).name if encoding else "utf-8"
    name = _NATIVE.get(name, name)
    return (name if name.startswith(("utf-8", "utf-16", "utf-32")) else "utf-8"), False


def read_document_text(path: str | Path, encoding: str | None = None) -> DocumentText:
    """A text document's decoded text, its byte-order mark and output codec (formats that
    write the file back keep them: see `output_encoding`); InputError when the file cannot be
    read or decoded, or holds nothing but whitespace."""
    check_encoding(encoding)
    data = read_bytes(path)
    text = decode(data, str(path), encoding, ENCODING_ADVICE)
    if not text.strip():
        raise InputError(f"{path} is empty (nothing but whitespace)")
    codec, bom = output_encoding(data, encoding)
    return DocumentText(text.removeprefix("\ufeff"), bom, codec.removesuffix("-sig"))


def read_lines(
    path: str | Path, encoding: str | None = None, advice: str | None = UTF8_ADVICE
) -> list[str]:
    """Lines of a text file without their line endings (a final newline adds no empty line)."""
    return read_text(path, encoding, advice).splitlines()


# --- writing ----------------------------------------------------------------------------------

STDOUT_NAME = "standard output"
# Errors that say the system ran out of something (exit 3), not that the path is wrong (exit 2).
RESOURCE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.ENOMEM, errno.ENOBUFS}
)
_REASONS = {
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "input/output error",
    errno.EFBIG: "file too large",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOENT: "no such file or directory",
}
_TEMP_NAME_CHARS = 200  # of the output's name in its temporary's name (names max 255 bytes)


def output_error(path: str | Path, err: OSError) -> OutputError:
    """The one-line OutputError for an OSError met while writing `path` (exit 2 or 3)."""
    reason = _REASONS.get(err.errno or 0) or (err.strerror or type(err).__name__).lower()
    code = EXIT_UNAVAILABLE if err.errno in RESOURCE_ERRNOS else EXIT_USAGE
    return OutputError(f"cannot write {path}: {reason}", code, str(path))


@dataclass
class OutputLog:
    """What this process wrote: outputs completed, and outputs abandoned (their temporary
    file removed) because of an error or an interrupt. The CLI reports it on Ctrl-C/SIGTERM."""

    finished: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.finished.clear()
        self.discarded.clear()


OUTPUTS = OutputLog()


class GuardedStream:
    """A text stream whose write errors become OutputErrors naming it (`OutputClosed` for a
    closed standard output); it counts what went through. Other attributes are the stream's."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self._stream = stream
        self.name = name
        self.chars = 0
        self.lines = 0

    def _error(self, err: OSError) -> OutputError:
        if err.errno == errno.EPIPE and self.name == STDOUT_NAME:
            return OutputClosed()
        return output_error(self.name, err)

    def write(self, text: str) -> int:
        try:
            written = self._stream.write(text)
        except OSError as err:
            raise self._error(err) from None
        self.chars += len(text)
        self.lines += text.count(b"\n" if isinstance(text, bytes) else "\n")
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise self._error(err) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _existing_ancestor(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _check_target(target: Path, shown: str | Path) -> None:
    """OutputError unless `target` could be written as a file (its folders may be missing)."""
    if target.is_dir():
        raise OutputError(f"cannot write {shown}: is a directory")
    ancestor = _existing_ancestor(target.parent)
    if not ancestor.is_dir():
        raise OutputError(f"cannot write {shown}: {ancestor} is not a directory")


def _probe(folder: Path, shown: str | Path) -> None:
    """Create and remove a file in `folder`: the only test of writability that also holds for
    root (who ignores permission bits) and read-only mounts."""
    probe = folder / f".dilmanc-check.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as err:
        raise output_error(shown, err) from None


def check_writable(path: str | Path, *, directory: bool = False) -> None:
    """Fail early, before any work, when `path` cannot be written: a file output (default)
    or a folder that outputs go into (`directory=True`). "-" (standard output) always passes.
    Missing folders are fine (writers create them) and nothing is left behind."""
    if str(path) == STDIO:
        return
    target = Path(path)
    if directory:
        if target.exists() and not target.is_dir():
            raise OutputError(f"cannot write into {path}: it is not a directory")
        folder = _existing_ancestor(target)
        if not folder.is_dir():
            raise OutputError(f"cannot write into {path}: {folder} is not a directory")
        _probe(folder, path)
        return
    target = target.resolve() if target.is_symlink() else target
    _check_target(target, path)
    if target.exists() and not target.is_file():
        return  # a device or pipe such as /dev/null, written directly
    _probe(_existing_ancestor(target.parent), path)


def _umask() -> int:
    try:  # Linux reports it without changing it
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """The replaced file's mode, else what open() would give a new file under the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_TEMP_NAME_CHARS]}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def _remove_stale(target: Path) -> None:
    """Remove temporaries of `target` left by writers that were killed (SIGKILL, power loss):
    `.NAME.<pid>.part` whose process is gone. A running writer's temporary is kept."""
    prefix = _temp_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".part")):
            continue
        match = _TEMP_PID.fullmatch(name[len(prefix) : -len(".part")])
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


_TEMP_PID = re.compile(r"(\d+)(?:-\d+)?")


def _create_temp(target: Path, shown: str | Path) -> tuple[Path, int]:
    """A new temporary file beside `target`, named `.NAME.<pid>.part` (then `-2`, `-3` ...)."""
    base = f"{_temp_prefix(target)}{os.getpid()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for number in range(1, 1000):
        tmp = target.parent / (f"{base}.part" if number == 1 else f"{base}-{number}.part")
        try:
            return tmp, os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as err:
            raise output_error(shown, err) from None
    raise OutputError(f"cannot write {shown}: too many temporary files beside it")


@contextlib.contextmanager
def atomic_writer(
    path: str | Path, encoding: str = "utf-8", *, binary: bool = False
) -> Iterator[IO]:
    """Open a temp file beside `path` for writing (text, or bytes with `binary`); rename it
    over `path` only on success.

    Every failure is an OutputError naming `path` (exit 2 for a bad path, 3 for a full disk
    or an I/O error), raised before anything is written when the path itself is wrong. On
    any error or interrupt (Ctrl-C, SIGTERM) the temporary file is removed and `path` is left
    as it was. The output gets the replaced file's mode, else the umask's. A device or pipe
    (/dev/null, /dev/stdout) is written directly; a symbolic link is written through.
    """
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    _check_target(target, path)
    if target.exists() and not target.is_file():
        with _direct_writer(target, path, encoding, binary) as handle:
            yield handle
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(path, err) from None
    _remove_stale(target)
    mode = _mode_for(target)
    tmp, fd = _create_temp(target, path)
    handle = None

    def discard() -> None:
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()  # a failed flush would raise again; the file goes anyway
        else:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        OUTPUTS.discarded.append(str(path))

    try:
        os.fchmod(fd, mode)
        if binary:
            handle = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding=encoding, newline="")
    except OSError as err:
        discard()
        raise output_error(path, err) from None
    try:  # errors of the body pass unchanged (the handle's own are OutputErrors already)
        yield GuardedStream(handle, str(path))
    except BaseException:
        discard()
        raise
    try:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(tmp, target)
    except OSError as err:
        discard()
        raise output_error(path, err) from None
    except BaseException:
        discard()
        raise
    OUTPUTS.finished.append(str(path))


@contextlib.contextmanager
def _direct_writer(
    target: Path, shown: str | Path, encoding: str, binary: bool = False
) -> Iterator[IO]:
    """Write a device or pipe in place: there is no file to replace atomically."""
    try:
        mode = {"mode": "wb"} if binary else {"mode": "w", "encoding": encoding, "newline": ""}
        handle = open(target, **mode)  # noqa: SIM115
    except OSError as err:
        raise output_error(shown, err) from None
    try:
        yield GuardedStream(handle, str(shown))
        handle.flush()
    except OSError as err:
        raise output_error(shown, err) from None
    finally:
        with contextlib.suppress(OSError):
            handle.close()
    OUTPUTS.finished.append(str(shown))


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)
