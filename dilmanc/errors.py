"""Errors users can act on, each carrying the process exit code the CLI returns.

Exit codes: 0 ok, 1 quality gate failed, 2 usage or input error (or an output path that
cannot be written), 3 model or resource unavailable (or a full disk); 130 Ctrl-C, 143
SIGTERM, 141 standard output closed by its reader. The CLI prints such an error as one line,
never a traceback.
"""

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class DilmancError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = EXIT_USAGE


class UsageError(DilmancError):
    """Bad option value, unknown language, unsupported language pair, conflicting flags."""

    exit_code = EXIT_USAGE


class SettingError(UsageError):
    """A setting has a value it cannot take; `setting` names the field (e.g. "beam_size"),
    so a front end can name its own option for it."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting.replace('_', ' ')} {problem}")


class InputError(DilmancError):
    """Unreadable, missing, empty or undecodable input, or malformed data files."""

    exit_code = EXIT_USAGE


class EncodingError(InputError):
    """Text that is not valid in the encoding it was read with, where a setting (`setting`,
    "encoding") could name the right one: a front end completes `problem` with its own option
    for it, as it does for SettingError."""

    def __init__(self, problem: str, setting: str = "encoding") -> None:
        self.problem = problem
        self.setting = setting
        super().__init__(f"{problem}; convert it or set {setting.replace('_', ' ')}")


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
