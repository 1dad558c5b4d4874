"""`dilmanc translate`: files or stdin in, one output per target language."""

from __future__ import annotations

import typer


def translate_command(
    files: list[str] = typer.Argument(None, help="Input files; none or '-' reads stdin."),
    to: str = typer.Option("en", "--to", "-t", help="Target languages, comma separated."),
) -> None:
    """Translate Azerbaijani text into one or more target languages."""
    raise NotImplementedError("translate: not built yet")
