"""A progress bar on stderr (rich) for long runs, or a no-op when it is not wanted.

`progress_bar(total, label, enabled)` yields an `advance(n)` function. The bar is shown only
when enabled and stderr is a terminal, so redirected or captured output never contains it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

Advance = Callable[[int], None]


def _noop(_: int) -> None:
    return None


def wanted(quiet: bool = False) -> bool:
    """True when a bar would be visible: not --quiet and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(total: int | None, label: str, enabled: bool = True) -> Iterator[Advance]:
    """Show a transient bar counting `total` units (lines); yields `advance(n)`."""
    if not enabled or not sys.stderr.isatty():
        yield _noop
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
