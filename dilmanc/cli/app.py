"""The `dilmanc` command line: one root typer app that mounts each subpackage's commands.

`main()` turns every DilmancError and click usage error into one line on stderr and the
documented exit code (0 ok, 1 quality gate, 2 usage/input, 3 model/resource unavailable;
130 Ctrl-C, 143 SIGTERM, 141 standard output closed).
Subcommand modules import heavy libraries (torch, transformers) lazily, inside commands, and
a run imports only the module of the subcommand it runs (`COMMANDS`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import threading

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from dilmanc import __version__
from dilmanc.cli.help import make_app
from dilmanc.cli.options import flag
from dilmanc.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    DilmancError,
    OutputClosed,
    OutputError,
    Terminated,
)
from dilmanc.fileio import OUTPUTS, RESOURCE_ERRNOS, STDOUT_NAME, GuardedStream

#: every subcommand, in help order: name → (module, attribute, group help or None for a
#: command, registration keywords). A run imports only the module of the command it runs.
COMMANDS: dict[str, tuple[str, str, str | None, dict]] = {
    "translate": ("dilmanc.cli.translate", "translate_command", None, {"no_args_is_help": False}),
    "batch": ("dilmanc.cli.batch", "batch_command", None, {}),
    "models": ("dilmanc.cli.models", "app", "List, download and convert translation models.", {}),
    "glossary": ("dilmanc.cli.glossary", "app", "Check, verify and validate terminology.", {}),
    "eval": ("dilmanc.cli.eval", "app", "Score, compare and benchmark translations.", {}),
    "names": ("dilmanc.cli.names", "names_command", None, {}),
    "qe": ("dilmanc.cli.qe", "qe_command", None, {}),
    "serve": ("dilmanc.cli.serve", "serve_command", None, {}),
    "review": ("dilmanc.cli.review", "review_command", None, {"no_args_is_help": False}),
    "tm": (
        "dilmanc.cli.tm",
        "app",
        "Translation memory: import, export, search, add, delete, migrate.",
        {},
    ),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dilmanc {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Offline-first Azerbaijani translation with enforced terminology and honest evaluation."""


def build_app(names: list[str] | None = None) -> typer.Typer:
    """The root app with the subcommands `names` (all of them by default) mounted."""
    import importlib

    root = make_app(
        name="dilmanc",
        help="Offline-first Azerbaijani translation with enforced terminology and honest "
        "evaluation.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    root.callback()(_root)
    for name in names or COMMANDS:
        module, attribute, group_help, keywords = COMMANDS[name]
        target = getattr(importlib.import_module(module), attribute)
        if group_help is None:
            root.command(name, **keywords)(target)
        else:
            root.add_typer(target, name=name, help=group_help)
    return root


def _app_for(argv: list[str]) -> typer.Typer:
    """The app a run needs: only its subcommand when the first word names one (its options
    and help are the same), else every subcommand (the root help, a misspelt name)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return build_app([first] if first in COMMANDS else None)


def __getattr__(name: str):
    """`app`: the full command tree, built on first use (tests, help walkers)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def error(message: str) -> None:
    """Print one error line on stderr, the only form in which errors reach users."""
    with contextlib.suppress(OSError):
        print(f"dilmanc: error: {message}", file=sys.stderr)


def _message(err: DilmancError) -> str:
    """The error's line, naming this CLI's option where the error names a setting."""
    return err.line(flag)


def _names(paths: list[str], shown: int = 3) -> str:
    unique = list(dict.fromkeys(paths))
    more = f" and {len(unique) - shown} more" if len(unique) > shown else ""
    return ", ".join(unique[:shown]) + more


def interrupt_message(how: str, stdout: GuardedStream) -> str:
    """What an interrupt left behind, truthfully: what standard output got, which outputs
    were abandoned (their temporaries removed) and which had been completed before it."""
    done = []
    if stdout.chars:
        done.append(f"standard output stopped after {stdout.lines} lines")
    if OUTPUTS.discarded:
        done.append(f"removed unfinished {_names(OUTPUTS.discarded)}")
    if OUTPUTS.finished:
        done.append(f"completed before it: {_names(OUTPUTS.finished)}")
    return f"interrupted ({how}); " + ("; ".join(done) or "nothing was written")


def _silence(stream: GuardedStream) -> None:
    """Point a failed standard output at /dev/null, so that the data still buffered in it
    cannot fail again (with a traceback) when the interpreter exits."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise Terminated


def _invoke(argv: list[str] | None, stdout: GuardedStream) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        result = _app_for(argv)(args=argv, prog_name="dilmanc", standalone_mode=False)
    except OutputClosed:
        _silence(stdout)
        return EXIT_BROKEN_PIPE
    except DilmancError as err:
        if isinstance(err, OutputError) and err.path == STDOUT_NAME:
            _silence(stdout)
        error(_message(err))
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
    except Terminated:
        error(interrupt_message("SIGTERM", stdout))
        return EXIT_TERMINATED
    except (typer.Abort, KeyboardInterrupt):
        error(interrupt_message("Ctrl-C", stdout))
        return EXIT_INTERRUPTED
    except OSError as err:  # core code names its files; this is a last resort, not a traceback
        where = f"{err.filename}: " if err.filename else ""
        error(f"{where}{(err.strerror or type(err).__name__).lower()}")
        return EXIT_UNAVAILABLE if err.errno in RESOURCE_ERRNOS else EXIT_USAGE
    except Exception as err:  # a bug: one line and 70, the traceback only when asked for
        if os.environ.get("DILMANC_DEBUG"):
            raise
        detail = " ".join(f"{type(err).__name__}: {err}".split())
        error(
            f"internal error ({detail}); this is a bug in dilmanc, not in your input: run "
            "again with DILMANC_DEBUG=1 for the traceback and report it"
        )
        return EXIT_INTERNAL
    if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C into a returned 130
        error(interrupt_message("Ctrl-C", stdout))
    return result if isinstance(result, int) else 0


class _StderrHandler(logging.Handler):
    """Notes from core modules (downloading, converting) as `dilmanc: ...` lines on stderr;
    it looks sys.stderr up at each record, so a captured or replaced stderr is honoured."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "dilmanc: warning: " if record.levelno >= logging.WARNING else "dilmanc: "
        print(prefix + record.getMessage(), file=sys.stderr)


def _notes_to_stderr() -> None:
    logger = logging.getLogger("dilmanc")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this in-process).

    Standard output is guarded for the run: a full disk or /dev/full is one error line (exit
    3), a reader that went away (`| head`) ends quietly with 141. SIGTERM is handled like
    Ctrl-C: temporaries are removed, one line says what was written, exit 143.
    """
    OUTPUTS.clear()
    _notes_to_stderr()
    saved_stdout = sys.stdout
    stdout = GuardedStream(saved_stdout, STDOUT_NAME)
    sys.stdout = stdout
    in_main_thread = threading.current_thread() is threading.main_thread()
    saved_handler = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        code = _invoke(argv, stdout)
        try:  # output still buffered fails here, not at exit
            stdout.flush()
        except OutputClosed:
            _silence(stdout)
            code = code or EXIT_BROKEN_PIPE
        except OutputError as err:
            _silence(stdout)
            if not code:
                error(_message(err))
                code = err.exit_code
    except Terminated:  # between the command's end and here
        error(interrupt_message("SIGTERM", stdout))
        code = EXIT_TERMINATED
    finally:
        sys.stdout = saved_stdout
        if saved_handler is not None:
            signal.signal(signal.SIGTERM, saved_handler)
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
