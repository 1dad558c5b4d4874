"""Reading line-aligned evaluation files the way the `sacrebleu` command line does.

sacrebleu splits on "\\n" only and strips trailing whitespace from every line; doing the
same here keeps our scores equal to its CLI. Files that must align (hypotheses, references,
sources) are checked together and a mismatch is reported in one line.
"""

from __future__ import annotations

from pathlib import Path

from dilmanc.errors import InputError
from dilmanc.fileio import UTF8_ADVICE, read_text


def split_segments(text: str) -> list[str]:
    """Text → segments: split on newline only, trailing whitespace stripped, as sacrebleu."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip() for line in lines]


def read_segments(
    path: str | Path, encoding: str | None = None, advice: str | None = UTF8_ADVICE
) -> list[str]:
    return split_segments(read_text(path, encoding, advice))


def check_aligned(files: list[tuple[str, list[str]]]) -> int:
    """The common line count of (name, lines) pairs; InputError if they differ or are empty."""
    counts = [(name, len(lines)) for name, lines in files]
    if len({n for _, n in counts}) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in counts)
        raise InputError(f"line counts differ: {listing}")
    if not counts or counts[0][1] == 0:
        names = list(dict.fromkeys(name for name, _ in counts))
        if len(names) == 1:
            raise InputError(f"nothing to score: {names[0]} is empty")
        listed = f"{', '.join(names[:-1])} and {names[-1]}"
        raise InputError(f"nothing to score: {listed} are empty")
    return counts[0][1]


def empty_lines(lines: list[str]) -> list[int]:
    """1-based numbers of empty (or whitespace-only) lines."""
    return [i for i, line in enumerate(lines, 1) if not line.strip()]


def empty_warning(name: str, lines: list[str]) -> str | None:
    """The warning to show about empty hypothesis lines, or None when there are none."""
    empty = empty_lines(lines)
    if not empty:
        return None
    shown = ", ".join(map(str, empty[:10])) + (", ..." if len(empty) > 10 else "")
    return (
        f"{name}: {len(empty)} of {len(lines)} hypothesis lines are empty (lines {shown}); "
        "they are scored as empty translations"
    )
