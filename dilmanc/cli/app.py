"""The `dilmanc` command line: one root typer app that mounts each subpackage's commands.

`main()` turns every DilmancError and click usage error into one line on stderr and the
documented exit code (0 ok, 1 quality gate, 2 usage/input, 3 model/resource unavailable).
Subcommand modules import heavy libraries (torch, transformers) lazily, inside commands.
"""

from __future__ import annotations

import sys

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from dilmanc import __version__
from dilmanc.cli.eval import app as eval_app
from dilmanc.cli.glossary import app as glossary_app
from dilmanc.cli.models import app as models_app
from dilmanc.cli.names import names_command
from dilmanc.cli.serve import serve_command
from dilmanc.cli.translate import translate_command
from dilmanc.errors import EXIT_USAGE, DilmancError

EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="dilmanc",
    help="Offline-first Azerbaijani translation with enforced terminology and honest evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dilmanc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Offline-first Azerbaijani translation with enforced terminology and honest evaluation."""


app.command("translate", no_args_is_help=False)(translate_command)
app.add_typer(models_app, name="models", help="List, download and convert translation models.")
app.add_typer(glossary_app, name="glossary", help="Check, verify and validate terminology.")
app.add_typer(eval_app, name="eval", help="Score, compare and benchmark translations.")
app.command("names")(names_command)
app.command("serve")(serve_command)


def error(message: str) -> None:
    """Print one error line on stderr, the only form in which errors reach users."""
    print(f"dilmanc: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this in-process)."""
    try:
        result = app(args=argv, prog_name="dilmanc", standalone_mode=False)
    except DilmancError as err:
        error(str(err))
        return err.exit_code
    except typer.Exit as err:
        return err.exit_code
    except NoArgsIsHelpError as err:
        err.show()
        return EXIT_USAGE
    except ClickException as err:
        hint = f" (see '{err.ctx.command_path} --help')" if getattr(err, "ctx", None) else ""
        error(err.format_message().replace("\n", " ") + hint)
        return err.exit_code if err.exit_code else EXIT_USAGE
    except (typer.Abort, KeyboardInterrupt):
        error("interrupted; no output file was left half-written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 141
    if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C into a returned 130
        error("interrupted; no output file was left half-written")
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
