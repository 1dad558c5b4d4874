"""Placeholder sub-app; filled in by its subpackage."""

import typer

app = typer.Typer(no_args_is_help=True)
