"""Help pages in plain command-line terms: `FILE...`, `--glossary FILE`, `--beam N`.

typer prints an argument as `{files}` in the usage line and as `files... <list[str]>` in
its list, and an option without a metavar as `--hyp <str>`. Every dilmanc command is built
with `DilmancCommand` (through `make_app`), which names arguments in capitals and gives every
option that takes a value a metavar: the one declared, else N for integers, X for numbers,
else the option's name in capitals.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand


def _default_metavar(param) -> str:
    bare = param.bare_type() if hasattr(param, "bare_type") else ""
    if bare in ("int", "list[int]"):
        return "N"
    if bare in ("float", "list[float]"):
        return "X"
    longest = max(param.opts, key=len).lstrip("-")
    return longest.upper()


def _argument_label(param) -> str:
    return param.metavar + ("..." if param.nargs != 1 else "")


class DilmancCommand(TyperCommand):
    """A typer command whose help shows metavars, never Python types or parameter names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is not None:
                continue
            if param.param_type_name == "argument":
                param.metavar = (param.name or "value").upper()
            elif not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
                param.metavar = _default_metavar(param)

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                label = _argument_label(param)
                pieces.append(label if param.required else f"[{label}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((_argument_label(param), record[1]))
            elif param.param_type_name == "option":
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class DilmancTyper(typer.Typer):
    """A typer app whose commands are DilmancCommands."""

    def command(self, name: str | None = None, *, cls: Any = None, **kwargs: Any):
        return super().command(name, cls=cls or DilmancCommand, **kwargs)


def make_app(**kwargs: Any) -> typer.Typer:
    """A command group (or the root app) with dilmanc's defaults and help style."""
    settings = {"no_args_is_help": True, "add_completion": False, "rich_markup_mode": None}
    return DilmancTyper(**{**settings, **kwargs})
