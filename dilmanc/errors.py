"""Errors users can act on, each carrying the process exit code the CLI returns.

Exit codes: 0 ok, 1 quality gate failed, 2 usage or input error (or an output path that
cannot be written), 3 model or resource unavailable (or a full disk); 130 Ctrl-C, 143
SIGTERM, 141 standard output closed by its reader. The CLI prints such an error as one line,
never a traceback.
"""

from collections.abc import Callable
from string import Formatter

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERNAL = 70  # a bug in dilmanc, not the input (sysexits' EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


#: templates of a setting's line (see DilmancError): "--fail-below: …", "…; pass --src"
COLON = "{option}: {problem}"
PASS = "{problem}; pass {option}"


def setting_name(setting: str) -> str:
    """How a core message names a setting when no front end names its option for it."""
    return setting.replace("_", " ")


class DilmancError(Exception):
    """Base class: `str(err)` is the one line shown to the user.

    An error about a setting carries it (`setting`, e.g. "model"), so that no core module
    names a front end's option: its line is `template`, in which `{option}` stands for the
    setting and `{problem}` for the rest. `line(name)` renders it with a front end's name for
    the setting (the CLI's flag); `str(err)` with the setting's own name."""

    exit_code = EXIT_USAGE

    def __init__(
        self, problem: str = "", *, setting: str | None = None, template: str = "{option} {problem}"
    ) -> None:
        self.problem = problem
        self.setting = setting
        self.template = template if setting else "{problem}"
        super().__init__(self.line(setting_name))

    def line(self, name: Callable[[str], str]) -> str:
        """The error's line, naming its setting (if any) as `name(setting)`; any other field
        of the template is another setting's name (`{allow_anonymous}`), named the same way."""
        fields = {field for _, field, _, _ in Formatter().parse(self.template) if field}
        names = {field: name(field) for field in fields - {"option", "problem"}}
        option = name(self.setting) if self.setting else ""
        return self.template.format(option=option, problem=self.problem, **names)

    def __reduce__(self):  # pickle (Ray workers) keeps the setting, whatever __init__ takes
        return _restore, (type(self), str(self), self.__dict__)


def _restore(cls: type, message: str, state: dict) -> DilmancError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class UsageError(DilmancError):
    """Bad option value, unknown language, unsupported language pair, conflicting flags."""

    exit_code = EXIT_USAGE


class SettingError(UsageError):
    """A setting has a value it cannot take; `setting` names the field (e.g. "beam_size"),
    so a front end can name its own option for it (see DilmancError)."""

    def __init__(self, setting: str, problem: str, template: str = "{option} {problem}") -> None:
        super().__init__(problem, setting=setting, template=template)


class InputError(DilmancError):
    """Unreadable, missing, empty or undecodable input, or malformed data files."""

    exit_code = EXIT_USAGE


class EncodingError(InputError):
    """Text that is not valid in the encoding it was read with, where a setting (`setting`,
    "encoding") could name the right one; `problem` is the text's fault alone."""

    def __init__(self, problem: str, setting: str = "encoding") -> None:
        super().__init__(
            problem, setting=setting, template="{problem}; convert it or pass {option}"
        )


class ModelUnavailable(DilmancError):
    """A model is neither cached locally nor downloadable (offline, unknown id, broken dir)."""

    exit_code = EXIT_UNAVAILABLE


class ResourceUnavailable(DilmancError):
    """A test set or other resource is missing and cannot be fetched."""

    exit_code = EXIT_UNAVAILABLE


class Terminated(BaseException):  # noqa: N818 - it is a signal, like KeyboardInterrupt
    """Raised by the CLI's SIGTERM handler so that, like Ctrl-C, every `finally` and
    `atomic_writer` cleanup runs before the process exits with 143."""


class QualityGateFailed(DilmancError):
    """A metric fell below its `--fail-below` floor."""

    exit_code = EXIT_GATE_FAILED


class OutputError(DilmancError):
    """An output cannot be written. The path is wrong (a folder, a read-only place, no
    permission: exit 2) or the system ran out of a resource (disk full, I/O error: exit 3)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, path: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.path = path  # the output that failed ("standard output" for stdout)


class OutputClosed(OutputError):
    """Standard output was closed by its reader (`dilmanc ... | head`): not an error to show."""

    def __init__(self) -> None:
        super().__init__("standard output was closed", EXIT_BROKEN_PIPE, "standard output")
