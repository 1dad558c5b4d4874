"""The command line: the only part of dilmanc that prints. One module per command group."""

from dilmanc.cli.app import app, main, run

__all__ = ["app", "main", "run"]
