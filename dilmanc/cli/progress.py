"""A progress bar on stderr (rich) for long runs, or a no-op when it is not wanted.

`Bars(files, units, enabled)` counts units with one bar whose label names the file being
translated; `progress_bar(total, label, enabled)` is the one-task form, yielding
`advance(n)`. A bar is shown only when enabled and stderr is a terminal, so redirected or
captured output never contains it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

Advance = Callable[[int], None]


def wanted(quiet: bool = False) -> bool:
    """True when a bar would be visible: not --quiet and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


class Bars:
    """Progress over files and units: one bar counting units, its label naming the file
    (`file 2/5: release.docx`). A no-op unless enabled and stderr is a terminal."""

    def __init__(
        self, files: int, units: int | None, enabled: bool = True, label: str = "translating"
    ) -> None:
        self.files = files
        self.units = units or None
        self.label = label
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
            self._task = self._bar.add_task(self.label, total=self.units)
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


@contextlib.contextmanager
def progress_bar(total: int | None, label: str, enabled: bool = True) -> Iterator[Advance]:
    """Show a transient bar counting `total` units; yields `advance(n)`."""
    with Bars(1, total, enabled, label) as bars:
        yield bars.advance
