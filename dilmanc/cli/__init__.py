"""The command line: the only part of dilmanc that prints. One module per command group."""

import sys

from dilmanc.cli.app import main, run

__all__ = ["app", "main", "run"]
del app  # noqa: F821 - the submodule; `app` here is its command tree, built on first use


def __getattr__(name: str):
    """`app`: the full command tree (every subcommand imported), built on first use; a run
    through `main` builds only the command it runs."""
    if name == "app":
        return sys.modules["dilmanc.cli.app"].app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
