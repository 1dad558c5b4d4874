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


class Bars:
    """Progress over files and units: one bar counting units, its label naming the file
    (`file 2/5: release.docx`). A no-op unless enabled and stderr is a terminal."""

    def __init__(self, files: int, units: int, enabled: bool = True) -> None:
        self.files = files
        self.units = units or None
        self.enabled = enabled and sys.stderr.isatty()
        self.done = 0
        self._stack = contextlib.ExitStack()
        self._bar = None
        self._task = None

    def __enter__(self) -> Bars:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = self._stack.enter_context(
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                    transient=True,
                )
            )
            self._task = self._bar.add_task("translating", total=self.units)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def next_file(self, name: str) -> None:
        self.done += 1
        if self._bar is not None and self.files > 1:
            self._bar.update(self._task, description=f"file {self.done}/{self.files}: {name}")

    def advance(self, units: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, units)
